//! [`pool()`]: a Team of FreeRTOS-task workers (alloc configuration).

use alloc::boxed::Box;
use alloc::sync::Arc;

use freertos_next::FreeRtosError;
use threadteam_core::pool::CreateThreadWorker;
use threadteam_core::{BoxedWork, Coordinate, LockWorker, Statistics, TeamBuilder, ThreadTeam, ThreadWorker};

use crate::{FreeRtosLock, FreeRtosSignal, FreeRtosThreadFactory, SpawnError};

/// A Team of the core's [`ThreadWorker`]s on FreeRTOS tasks, as made by [`pool()`].
pub type FreeRtosPool = ThreadTeam<FreeRtosSignal, LockWorker<Coordinate<BoxedWork>, FreeRtosLock>>;

/// A Team of FreeRTOS-task workers started through `factory`, never more than `limit()`
/// alive, coordinated under a [`FreeRtosLock`] (the FreeRTOS form of the core's
/// [`threadteam_core::team::pool`]).
///
/// Each worker is a task sleeping on its own [`FreeRtosSignal`]. When a worker cannot be
/// made (the FreeRTOS heap has no room for its task or semaphore), `on_start_error` hears
/// why, and the work stays in the backlog: the next submit, hand-back, `grow` or
/// [`Team::pump`](threadteam_core::team::Team::pump) tries again. Shrinking or quitting ends worker tasks: they return and
/// are deleted.
///
/// Call it, and use the pool, from FreeRTOS tasks of the factory's priority (see the
/// [crate rules](crate#rules-on-freertos)).
///
/// # Errors
/// [`FreeRtosError::OutOfMemory`] when the coordinator's mutex cannot be created.
pub fn pool(
    limit: impl FnMut() -> usize + Send + 'static,
    factory: FreeRtosThreadFactory,
    mut on_start_error: impl FnMut(&SpawnError) + Send + 'static,
) -> Result<Arc<FreeRtosPool>, FreeRtosError> {
    let create = move |_: &Statistics| {
        let started = FreeRtosSignal::new()
            .map_err(|_| SpawnError::OutOfMemory)
            .and_then(|signal| ThreadWorker::start(&factory, signal));
        match started {
            Ok((worker, _task)) => Some(worker),
            Err(e) => {
                on_start_error(&e);
                None
            }
        }
    };
    let create: CreateThreadWorker<FreeRtosSignal> = Box::new(create);
    Ok(TeamBuilder::new(create).coordinator(LockWorker::new(FreeRtosLock::new()?)).limit(limit).build())
}

//! [`pool()`]: a Team of FreeRTOS-task workers (alloc configuration).

use alloc::boxed::Box;
use alloc::sync::Arc;

use threadteam_core::team::CreateThreadWorker;
use threadteam_core::{
    port::ThreadFactory,
    team::{Coordinate, Statistics, TeamBuilder, ThreadTeam},
    workers::{BoxedWork, LockWorker, ThreadWorker},
};

use crate::{FreeRtosLock, FreeRtosSignal, SpawnError};

/// A Team of the core's [`ThreadWorker`]s on FreeRTOS tasks, as made by [`pool()`].
///
/// ``` no_run
/// use std::sync::Arc;
/// use threadteam_core::Worker;
/// use threadteam_freertos::{pool, FreeRtosPool, FreeRtosThreadFactory};
///
/// struct App {
///     workers: Arc<FreeRtosPool>,
/// }
/// // In a task:
/// let app = App { workers: pool(|| 2, FreeRtosThreadFactory::new("w", 512, 1), |_| {}) };
/// app.workers.submit(Box::new(|| ())).unwrap();
/// ```
pub type FreeRtosPool = ThreadTeam<FreeRtosSignal, LockWorker<Coordinate<BoxedWork>, FreeRtosLock>>;

/// A Team of FreeRTOS-task workers started through `factory` (a
/// [`FreeRtosThreadFactory`](crate::FreeRtosThreadFactory), or one that wraps it), never more
/// than `limit()` alive, coordinated under a [`FreeRtosLock`] (the FreeRTOS form of the core's
/// [`threadteam_core::team::pool`]).
///
/// Each worker is a task from the FreeRTOS heap sleeping on its own [`FreeRtosSignal`]
/// (which lives in the worker, on the Rust heap). When a worker cannot be made (the
/// FreeRTOS heap has no room for its task, or the call came from an interrupt handler),
/// `on_start_error` hears why, and the work stays in the backlog: the next submit,
/// hand-back, `grow` or [`Team::pump`](threadteam_core::team::Team::pump) tries again. Shrinking or quitting ends worker tasks:
/// they return and are deleted.
///
/// Use it from tasks of any priorities, not from interrupt handlers: its work items, its
/// backlog and its coordinator's queue live on the heap, and a FreeRTOS heap may not be
/// used there. A Team fed from interrupts is a no-alloc one coordinated by a task (see
/// [`TaskWorker`](crate::TaskWorker)).
///
/// ```no_run
/// use threadteam_core::Worker;
/// use threadteam_freertos::{pool, FreeRtosThreadFactory};
///
/// // In a task:
/// let team = pool(|| 4, FreeRtosThreadFactory::new("worker", 512, 1), |_error| {});
/// team.submit(Box::new(|| { /* runs in a worker task */ })).unwrap();
/// ```
pub fn pool<F>(
    limit: impl FnMut() -> usize + Send + 'static,
    factory: F,
    mut on_start_error: impl FnMut(&SpawnError) + Send + 'static,
) -> Arc<FreeRtosPool>
where
    F: ThreadFactory<Error = SpawnError> + Send + 'static,
{
    let create = move |_: &Statistics| match ThreadWorker::start(&factory, FreeRtosSignal::new()) {
        Ok((worker, _task)) => Some(worker),
        Err(e) => {
            on_start_error(&e);
            None
        }
    };
    let create: CreateThreadWorker<FreeRtosSignal> = Box::new(create);
    TeamBuilder::new(create).coordinator(LockWorker::new(FreeRtosLock::new())).limit(limit).build()
}

//! [`pool()`]: a Team of thread workers, capped by a limit function.

use alloc::boxed::Box;
use alloc::sync::Arc;

use crate::launch::Launcher;
use crate::{
    BoxedWork, Coordinate, Growable, Job, LockWorker, RawLock, Signal, Statistics, Team, ThreadFactory, ThreadWorker,
};

/// A Team of [`ThreadWorker`]s coordinated by a [`LockWorker`], as made by [`pool()`].
pub type Pool<S, L> = Team<
    BoxedWork,
    ThreadWorker<Job<BoxedWork>, S>,
    LockWorker<Coordinate<BoxedWork>, L>,
    Box<dyn FnMut(&Statistics) -> Option<ThreadWorker<Job<BoxedWork>, S>> + Send>,
    Growable,
>;

/// A Team of thread workers started through `factory`, never more than `limit()` alive
/// (Twisted's `pool(currentLimit, threadFactory)`).
///
/// `limit` is called at every attempt to create a worker, so the cap can change at any
/// time; after raising it, [`Team::pump`] serves waiting work at once (otherwise the next
/// coordinated submit or hand-back does: while every worker is busy, submits bypass the
/// coordinator through the Team's [fast lane](crate::team#the-fast-lane), but never more than
/// [`BYPASS_BUDGET`](crate::BYPASS_BUDGET) in a row). Threads start lazily, on demand or by [`Team::grow`]. A
/// thread the factory fails to start is as if the limit were reached: the work stays in
/// the backlog and creation is tried again later. Each worker's thread sleeps on a fresh
/// `S::default()`; the coordinator is a [`LockWorker`] on a fresh `L::default()`.
///
/// A thread is started by the thread whose submit (or hand-back, grow, ...) called for it,
/// right after that call's pass through the coordinator, not inside it: a slow start never
/// holds up the workers waiting to hand back. Until then its worker counts as busy with
/// the item it was created for. The factory is therefore shared between threads.
///
/// Failed work is reported to `on_failure` (see [`Team::with_failure_hook`]).
pub fn pool<S, L, F>(
    limit: impl FnMut() -> usize + Send + 'static,
    factory: F,
    on_failure: impl Fn(&crate::Failure) + Send + Sync + 'static,
) -> Arc<Pool<S, L>>
where
    S: Signal + Default + 'static,
    L: RawLock + Default + 'static,
    F: ThreadFactory + Send + Sync + 'static,
{
    let launcher = Arc::new(Launcher::new(factory));
    let workers = Arc::clone(&launcher);
    let create = move |_: &Statistics| Some(workers.create());
    let limit: crate::policy::LimitFn = Box::new(limit);
    Team::launching(
        LockWorker::new(L::default()),
        Box::new(create) as Box<_>,
        on_failure,
        None,
        Some(limit),
        launcher as Arc<_>,
    )
}

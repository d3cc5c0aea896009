//! [`pool()`] with the std pieces: a Team of [`StdThreadWorker`](crate::StdThreadWorker)s
//! behind a [`LockWorker`](threadteam_core::LockWorker) on a [`StdLock`].

use std::sync::Arc;

use threadteam_core::{Pool, StdLock, ThreadFactory};

use crate::report::{default_panic_hook, default_spawn_error_hook};
use crate::StdSignal;

/// The Team [`pool()`] makes: thread workers sleeping on [`StdSignal`]s, coordinated
/// under a [`StdLock`].
pub type StdPool = Pool<StdSignal, StdLock>;

/// A Team of OS threads started through `factory`, never more than `limit()` alive at once
/// (Twisted's `pool(currentLimit, threadFactory)`), with the std defaults:
///
/// - `limit` is called at every attempt to create a worker, so the cap can change at any
///   time; after raising it, call [`Team::pump`](threadteam_core::Team::pump) to serve
///   waiting work at once (otherwise the next coordinated submit or hand-back does: at
///   least one in every [`BYPASS_BUDGET`](threadteam_core::BYPASS_BUDGET) submits);
/// - threads start lazily: on demand, or by [`Team::grow`](threadteam_core::Team::grow);
/// - a panic in work is caught, the thread keeps serving, and the panic is counted in
///   [`Statistics::failures`](threadteam_core::Statistics::failures) and reported by
///   [`default_panic_hook`] (use [`threadteam_core::pool`] for another hook);
/// - a thread the factory cannot start is reported by [`default_spawn_error_hook`]; the
///   work stays in the backlog, runs on the workers that exist, and creation is tried
///   again on the next coordinated submit, grow or hand-back (with none alive, the very
///   next submit).
///
/// [`Worker::quit`](threadteam_core::Worker::quit) lets the backlog drain, then the
/// threads return; nothing joins them (keep the handles in your `factory` if you need to,
/// or use [`ThreadPool`](crate::ThreadPool), which does). A Team dropped without quit
/// leaves its idle threads parked for the rest of the process.
///
/// ```
/// use threadteam_core::Worker;
/// use threadteam_std::{pool, StdThreadFactory};
/// use std::sync::mpsc;
///
/// let team = pool(|| 4, StdThreadFactory::new().name_prefix("doc"));
/// let (tx, rx) = mpsc::channel();
/// for i in 0..8 {
///     let tx = tx.clone();
///     team.submit(Box::new(move || tx.send(i * i).unwrap())).unwrap();
/// }
/// let mut squares: Vec<i32> = rx.iter().take(8).collect();
/// squares.sort();
/// assert_eq!(squares, [0, 1, 4, 9, 16, 25, 36, 49]);
/// assert!(team.statistics().workers() <= 4);
/// team.quit().unwrap();
/// ```
pub fn pool<F>(limit: impl FnMut() -> usize + Send + 'static, factory: F) -> Arc<StdPool>
where
    F: ThreadFactory + Send + Sync + 'static,
{
    threadteam_core::pool(limit, ReportSpawnErrors(factory), default_panic_hook)
}

/// Passes a factory's refusals to [`default_spawn_error_hook`] on their way to the Team
/// (which only learns "no worker now").
struct ReportSpawnErrors<F>(F);

impl<F: ThreadFactory> ThreadFactory for ReportSpawnErrors<F> {
    type Thread = F::Thread;
    type Error = F::Error;

    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<F::Thread, F::Error> {
        self.0.start(main).inspect_err(|error| default_spawn_error_hook(error))
    }
}

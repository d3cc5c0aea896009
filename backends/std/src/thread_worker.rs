//! [`StdThreadWorker`]: the core [`ThreadWorker`] on an OS thread.

use std::sync::LazyLock;
use std::thread::JoinHandle;

use threadteam_core::workers::{ThreadWorker, Work};

use crate::{SpawnError, StdSignal, StdThreadFactory};

/// An exclusive worker that owns one OS thread and a FIFO queue (Twisted's
/// `ThreadWorker`), sleeping on a [`StdSignal`] when it has nothing to do.
///
/// Items run one at a time, in submission order, on that one thread. A panicking item is
/// caught and the thread keeps serving. [`quit`](threadteam_core::Worker::quit) lets the
/// queued items finish, then the thread returns: join it through the handle that
/// [`thread_worker`] (or [`ThreadWorker::start`]) gave you.
///
/// ```
/// use std::sync::mpsc;
/// use threadteam::workers::{thread_worker, BoxedWork, StdThreadWorker};
/// use threadteam::Worker;
///
/// struct Logger {
///     worker: StdThreadWorker<BoxedWork>,
/// }
/// let (worker, thread) = thread_worker().unwrap();
/// let logger = Logger { worker };
/// let (tx, rx) = mpsc::channel();
/// logger.worker.submit(Box::new(move || tx.send("logged").unwrap())).unwrap();
/// assert_eq!(rx.recv().unwrap(), "logged");
/// logger.worker.quit().unwrap();
/// thread.join().unwrap();
/// ```
pub type StdThreadWorker<T> = ThreadWorker<T, StdSignal>;

/// The factory behind [`thread_worker`]: one process-wide numbering, so its thread names
/// (`threadteam-worker-N`) never repeat.
static WORKER_THREADS: LazyLock<StdThreadFactory> =
    LazyLock::new(|| StdThreadFactory::new().name_prefix("threadteam-worker"));

/// Starts a [`StdThreadWorker`] on a new thread named `threadteam-worker-N`; returns the
/// worker and the thread's join handle. Use [`ThreadWorker::start`] with your own
/// [`StdThreadFactory`] to choose the name or stack size.
///
/// # Errors
/// [`SpawnError`] when the OS refuses the thread.
///
/// ```
/// use threadteam::Worker;
/// use threadteam::workers::thread_worker;
/// use std::sync::{Arc, Mutex};
///
/// let (worker, thread) = thread_worker::<Box<dyn FnOnce() + Send>>().unwrap();
/// let log = Arc::new(Mutex::new(Vec::new()));
/// for i in 0..3 {
///     let log = Arc::clone(&log);
///     worker.submit(Box::new(move || log.lock().unwrap().push(i))).unwrap();
/// }
/// worker.quit().unwrap(); // the queued items still run, then the thread returns
/// thread.join().unwrap();
/// assert_eq!(*log.lock().unwrap(), [0, 1, 2]);
/// ```
pub fn thread_worker<T: Work + Send + 'static>() -> Result<(StdThreadWorker<T>, JoinHandle<()>), SpawnError> {
    ThreadWorker::start(&*WORKER_THREADS, StdSignal::new())
}

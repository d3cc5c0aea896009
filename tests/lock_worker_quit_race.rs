//! A `LockWorker` quit while a submitter waits for its lock refuses that submitter's work
//! (handing it back) instead of running it in a quit worker. For a Team's coordinator this
//! is what keeps a submit that races the Team's end from landing in a finished Team's
//! backlog, where nobody would reclaim it.
//!
//! The race is made deterministic with a lock that runs a closure just before it starts
//! waiting: the quit happens exactly in the window between `submit`'s quit check and its
//! lock acquisition.

use core::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use threadteam::{
    port::{RawLock, StdLock},
    team::{Coordinate, Job, Statistics, TeamBuilder},
    workers::{BoxedWork, LockWorker, MemoryWorker},
    Worker,
};

type Before = Arc<Mutex<Option<Box<dyn FnOnce() + Send>>>>;

/// A `StdLock` that first runs (once) whatever closure is set in `before`.
#[derive(Default)]
struct QuitWhileWaiting {
    inner: StdLock,
    before: Before,
}

impl RawLock for QuitWhileWaiting {
    fn with<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S> {
        let before = self.before.lock().unwrap().take();
        if let Some(before) = before {
            before();
        }
        self.inner.with(state, f)
    }
}

#[test]
fn lock_worker_refuses_work_that_waited_for_the_lock_across_a_quit() {
    let lock = QuitWhileWaiting::default();
    let before = Arc::clone(&lock.before);
    let worker: &'static LockWorker<BoxedWork, QuitWhileWaiting> = Box::leak(Box::new(LockWorker::new(lock)));
    *before.lock().unwrap() = Some(Box::new(|| worker.quit().unwrap()));
    let ran = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&ran);
    let refused = worker
        .submit(Box::new(move || {
            r.fetch_add(1, Ordering::SeqCst);
        }))
        .unwrap_err();
    assert!(refused.is_already_quit());
    assert_eq!(ran.load(Ordering::SeqCst), 0, "not run by a quit worker");
    refused.into_inner()();
    assert_eq!(ran.load(Ordering::SeqCst), 1, "handed back intact");
}

#[test]
fn a_submit_racing_the_end_of_a_team_is_handed_back_not_stranded() {
    type NoWorker = Arc<MemoryWorker<Job<BoxedWork>>>;
    let lock = QuitWhileWaiting::default();
    let before = Arc::clone(&lock.before);
    let coordinator: LockWorker<Coordinate<BoxedWork>, QuitWhileWaiting> = LockWorker::new(lock);
    // No worker can ever be made, so quitting finishes the Team at once.
    let team = TeamBuilder::new(|_: &Statistics| None::<NoWorker>).coordinator(coordinator).build();
    let t = Arc::clone(&team);
    // Runs after `submit` passed both quit checks, before it takes the coordinator lock:
    // the whole quit (and the coordinator's own quit) happens in between.
    *before.lock().unwrap() = Some(Box::new(move || t.quit().unwrap()));
    let refused = team.submit(Box::new(|| ())).unwrap_err();
    assert!(refused.is_already_quit(), "the work comes back to its submitter");
    assert!(team.is_finished());
    assert!(team.reclaim().is_none(), "nothing was left behind in the finished Team");
    assert_eq!(team.statistics().backlogged, 0);
}

//! Scoped work on a real Team of OS threads. The threads are joined at the end of every
//! test, so Miri can check for leaks and use-after-scope (`cargo +nightly miri test -p
//! threadteam-std --test scope`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;

use threadteam_core::{
    port::StdLock,
    team::{Coordinate, Growable, Job, Statistics, Team, TeamBuilder},
    workers::{BoxedWork, LockWorker, ThreadWorker},
    TaskError, Worker,
};
use threadteam_std::{scope, StdSignal, StdThreadFactory};

type Wk = ThreadWorker<Job<BoxedWork>, StdSignal>;
type Create = Box<dyn FnMut(&Statistics) -> Option<Wk> + Send>;
type Pool = Team<BoxedWork, Wk, LockWorker<Coordinate<BoxedWork>, StdLock>, Create, Growable>;

/// A Team of up to `limit` threads whose threads can be joined.
struct Threads {
    team: Arc<Pool>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Threads {
    fn new(limit: usize) -> Self {
        let threads = Arc::new(Mutex::new(Vec::new()));
        let started = Arc::clone(&threads);
        let factory = StdThreadFactory::new().name_prefix("scoped");
        let create: Create = Box::new(move |stats: &Statistics| {
            if stats.workers() >= limit {
                return None;
            }
            let (worker, thread) = ThreadWorker::start(&factory, StdSignal::new()).ok()?;
            started.lock().unwrap().push(thread);
            Some(worker)
        });
        let team = TeamBuilder::new(create).coordinator(LockWorker::new(StdLock::default())).on_failure(|_| ()).build();
        Self { team, threads }
    }
}

impl Drop for Threads {
    fn drop(&mut self) {
        let _ = self.team.quit();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap());
        for thread in threads {
            thread.join().unwrap();
        }
    }
}

#[test]
fn scoped_work_borrows_and_is_joined() {
    let pool = Threads::new(2);
    let mut numbers = vec![1, 2, 3, 4, 5];
    let factor = 3;
    let sum = scope(&*pool.team, |s| s.spawn(|| numbers.iter().sum::<i32>()).join().unwrap());
    assert_eq!(sum, 15);
    scope(&*pool.team, |s| {
        for n in numbers.iter_mut() {
            s.spawn(move || *n *= factor);
        }
    });
    assert_eq!(numbers, [3, 6, 9, 12, 15], "scope returned after all work finished");
}

#[test]
fn a_result_may_borrow_from_the_environment() {
    let pool = Threads::new(1);
    let words = [String::from("alpha"), String::from("beta")];
    let longest = scope(&*pool.team, |s| {
        let handle = s.spawn(|| words.iter().max_by_key(|w| w.len()).unwrap().as_str());
        handle.join().unwrap()
    });
    assert_eq!(longest, "alpha");
}

#[test]
fn scoped_work_can_spawn_more_scoped_work() {
    let pool = Threads::new(2);
    let count = AtomicUsize::new(0);
    scope(&*pool.team, |s| {
        s.spawn(|| {
            count.fetch_add(1, Ordering::SeqCst);
            s.spawn(|| count.fetch_add(10, Ordering::SeqCst));
        });
    });
    assert_eq!(count.load(Ordering::SeqCst), 11);
}

#[test]
fn a_panic_is_propagated_after_the_other_work_finishes() {
    let pool = Threads::new(2);
    let finished = AtomicUsize::new(0);
    let (panicked_tx, panicked_rx) = mpsc::channel::<()>();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        scope(&*pool.team, |s| {
            s.spawn(move || {
                // Dropped while unwinding: tells the other work the panic has happened.
                let _signal = panicked_tx;
                panic!("scoped boom");
            });
            let finished = &finished;
            s.spawn(move || {
                // Wait for the panic (the sender's drop ends `recv`), then finish.
                let _ = panicked_rx.recv();
                finished.fetch_add(1, Ordering::SeqCst);
            });
        })
    }));
    let payload = caught.expect_err("the panic reaches the caller");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"scoped boom"));
    assert_eq!(finished.load(Ordering::SeqCst), 1, "the other work finished first");
}

#[test]
fn a_joined_panic_is_not_propagated_again() {
    let pool = Threads::new(1);
    let outcome: Result<(), TaskError> = scope(&*pool.team, |s| s.spawn(|| panic!("seen")).join());
    let err = outcome.unwrap_err();
    assert_eq!(err.try_into_panic().unwrap().downcast_ref::<&str>(), Some(&"seen"));
}

#[test]
fn the_scope_waits_for_its_work_even_when_its_body_panics() {
    let pool = Threads::new(1);
    let finished = AtomicUsize::new(0);
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        scope(&*pool.team, |s| {
            let finished = &finished;
            s.spawn(move || {
                // The body has panicked (dropping `go_tx`) before this goes on.
                let _ = go_rx.recv();
                finished.fetch_add(1, Ordering::SeqCst);
            });
            let _go = go_tx;
            panic!("body boom");
        })
    }));
    assert_eq!(caught.unwrap_err().downcast_ref::<&str>(), Some(&"body boom"));
    assert_eq!(finished.load(Ordering::SeqCst), 1);
}

#[test]
fn unjoined_results_are_dropped_before_the_scope_returns() {
    struct Marks<'a>(&'a AtomicUsize);
    impl Drop for Marks<'_> {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let pool = Threads::new(2);
    let dropped = AtomicUsize::new(0);
    scope(&*pool.team, |s| {
        for _ in 0..4 {
            s.spawn(|| Marks(&dropped));
        }
    });
    assert_eq!(dropped.load(Ordering::SeqCst), 4);
}

#[test]
fn work_refused_by_a_quit_team_panics_in_spawn() {
    let pool = Threads::new(1);
    pool.team.quit().unwrap();
    let data = [1];
    let caught = catch_unwind(AssertUnwindSafe(|| scope(&*pool.team, |s| drop(s.spawn(|| data.len())))));
    let payload = caught.unwrap_err();
    let message = payload.downcast_ref::<String>().unwrap();
    assert!(message.contains("scoped work refused"), "{message}");
}

/// A worker that drops work without running it.
struct Discard;

impl Worker<BoxedWork> for Discard {
    fn submit(&self, work: BoxedWork) -> Result<(), threadteam_core::SubmitError<BoxedWork>> {
        drop(work);
        Ok(())
    }

    fn quit(&self) -> Result<(), threadteam_core::AlreadyQuit> {
        Ok(())
    }
}

#[test]
fn work_dropped_unrun_is_cancelled_and_reported() {
    let joined = scope(&Discard, |s| s.spawn(|| 1).join());
    assert!(joined.unwrap_err().is_cancelled());

    let caught = catch_unwind(AssertUnwindSafe(|| scope(&Discard, |s| drop(s.spawn(|| 1)))));
    let payload = caught.unwrap_err();
    assert!(payload.downcast_ref::<&str>().unwrap().contains("dropped without running"));
}

#[test]
fn a_thread_pool_spawns_and_scopes() {
    let pool = threadteam_std::ThreadPool::new(1, 2);
    pool.start().unwrap();
    assert_eq!(pool.spawn(|| 6 * 7).unwrap().join().unwrap(), 42);
    let mut data = [1, 2, 3];
    pool.scope(|s| {
        for n in data.iter_mut() {
            s.spawn(move || *n += 1);
        }
    });
    assert_eq!(data, [2, 3, 4]);
    assert!(pool.stop().is_empty());
    assert!(pool.spawn(|| ()).unwrap_err().is_already_quit());
}

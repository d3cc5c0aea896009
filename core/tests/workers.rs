//! LockWorker, MemoryWorker and Quit.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};

use threadteam_core::{
    port::{CriticalSectionLock, RawLock, StdLock},
    workers::{create_memory_worker, LockWorker, Quit},
    AlreadyQuit, Worker,
};
// `CriticalSectionLock` needs a critical-section implementation: the host's.
use threadteam_critical_section_std as _;

type Item = Box<dyn FnOnce() + Send>;

fn leak<T>(t: T) -> &'static T {
    Box::leak(Box::new(t))
}

#[test]
fn memory_worker_records_and_performs_in_order() {
    let (worker, perform) = create_memory_worker::<Item>();
    let log = Arc::new(Mutex::new(vec![]));
    for i in 0..3 {
        let log = log.clone();
        worker.submit(Box::new(move || log.lock().unwrap().push(i))).unwrap();
    }
    assert!(log.lock().unwrap().is_empty(), "nothing runs until performed");
    assert!(perform.perform());
    assert_eq!(*log.lock().unwrap(), [0]);
    assert_eq!(perform.perform_all(), 2);
    assert_eq!(*log.lock().unwrap(), [0, 1, 2]);
    assert!(!perform.perform(), "nothing queued");
}

#[test]
fn memory_worker_runs_work_queued_before_quit_then_returns_false_forever() {
    let (worker, perform) = create_memory_worker::<Item>();
    worker.submit(Box::new(|| ())).unwrap();
    worker.quit().unwrap();
    assert_eq!(worker.quit(), Err(AlreadyQuit));
    assert!(worker.submit(Box::new(|| ())).unwrap_err().is_already_quit());
    assert!(perform.perform());
    assert!(!perform.perform());
    assert!(!perform.perform());
}

#[test]
fn memory_worker_with_fixed_capacity_hands_back_when_full() {
    type Small = threadteam_core::workers::MemoryWorker<fn(), heapless::Deque<fn(), 2>>;
    let worker = Small::new();
    worker.submit(|| ()).unwrap();
    worker.submit(|| ()).unwrap();
    let full = worker.submit(|| ()).unwrap_err();
    assert!(full.is_backlog_full());
    assert!(worker.perform());
    worker.submit(full.into_inner()).unwrap();
    assert_eq!(worker.pending(), 2);
}

#[test]
fn lock_worker_runs_in_the_calling_thread_at_once() {
    let worker: &LockWorker<Item, StdLock> = leak(LockWorker::new(StdLock::new()));
    let ran_on = Arc::new(Mutex::new(None));
    let r = ran_on.clone();
    worker.submit(Box::new(move || *r.lock().unwrap() = Some(std::thread::current().id()))).unwrap();
    assert_eq!(*ran_on.lock().unwrap(), Some(std::thread::current().id()));
}

fn reentrant_order<L: RawLock + 'static>(lock: L) {
    let worker: &'static LockWorker<Item, L> = leak(LockWorker::new(lock));
    let log = Arc::new(Mutex::new(vec![]));
    let l = log.clone();
    worker
        .submit(Box::new(move || {
            let inner = l.clone();
            worker
                .submit(Box::new(move || {
                    inner.lock().unwrap().push("inner");
                    let innermost = inner.clone();
                    worker.submit(Box::new(move || innermost.lock().unwrap().push("innermost"))).unwrap();
                    inner.lock().unwrap().push("inner done");
                }))
                .unwrap();
            l.lock().unwrap().push("outer done");
        }))
        .unwrap();
    assert_eq!(*log.lock().unwrap(), ["outer done", "inner", "inner done", "innermost"]);
}

#[test]
fn lock_worker_queues_reentrant_work_after_the_current_item_std_lock() {
    reentrant_order(StdLock::new());
}

#[test]
fn lock_worker_queues_reentrant_work_after_the_current_item_critical_section() {
    reentrant_order(CriticalSectionLock::new());
}

#[test]
fn lock_worker_serialises_threads() {
    const THREADS: usize = 4;
    let items = if cfg!(miri) { 5 } else { 200 };
    let worker: &'static LockWorker<Item, StdLock> = leak(LockWorker::new(StdLock::new()));
    let active = leak(AtomicUsize::new(0));
    let max_active = leak(AtomicUsize::new(0));
    let ran = leak(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                for _ in 0..items {
                    worker
                        .submit(Box::new(|| {
                            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                            max_active.fetch_max(now, Ordering::SeqCst);
                            std::hint::black_box(0..100).for_each(drop);
                            active.fetch_sub(1, Ordering::SeqCst);
                            ran.fetch_add(1, Ordering::SeqCst);
                        }))
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(ran.load(Ordering::SeqCst), THREADS * items);
    assert_eq!(max_active.load(Ordering::SeqCst), 1, "never two items at once");
}

#[test]
fn lock_worker_quit_from_inside_work_lets_the_drain_finish() {
    let worker: &'static LockWorker<Item, StdLock> = leak(LockWorker::new(StdLock::new()));
    let ran = leak(AtomicBool::new(false));
    worker
        .submit(Box::new(move || {
            worker.submit(Box::new(move || ran.store(true, Ordering::SeqCst))).unwrap();
            worker.quit().unwrap();
            assert!(worker.submit(Box::new(|| ())).unwrap_err().is_already_quit());
        }))
        .unwrap();
    assert!(ran.load(Ordering::SeqCst), "queued before quit, so it ran");
    assert_eq!(worker.quit(), Err(AlreadyQuit));
    assert!(worker.submit(Box::new(|| ())).unwrap_err().is_already_quit());
}

#[test]
fn lock_worker_keeps_reentrant_work_after_a_panic_and_runs_it_next_time() {
    let worker: &'static LockWorker<Item, StdLock> = leak(LockWorker::new(StdLock::new()));
    let log = leak(Mutex::new(vec![]));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        worker
            .submit(Box::new(move || {
                worker.submit(Box::new(move || log.lock().unwrap().push("queued"))).unwrap();
                panic!("item fails");
            }))
            .unwrap();
    }));
    assert!(result.is_err(), "the panic reaches the outermost caller");
    assert!(log.lock().unwrap().is_empty());
    worker.submit(Box::new(move || log.lock().unwrap().push("next"))).unwrap();
    assert_eq!(*log.lock().unwrap(), ["queued", "next"], "not dropped (Twisted drops it)");
}

#[test]
fn lock_worker_quit_runs_reentrant_work_left_by_a_panic() {
    let worker: &'static LockWorker<Item, StdLock> = leak(LockWorker::new(StdLock::new()));
    let ran = leak(AtomicBool::new(false));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        worker
            .submit(Box::new(move || {
                worker.submit(Box::new(move || ran.store(true, Ordering::SeqCst))).unwrap();
                panic!("item fails");
            }))
            .unwrap();
    }));
    assert!(result.is_err());
    assert!(!ran.load(Ordering::SeqCst));
    // The queued item was accepted with Ok: quit must not strand it.
    worker.quit().unwrap();
    assert!(ran.load(Ordering::SeqCst), "accepted work lost at quit");
}

/// A lock whose drop is counted.
struct Counted<L> {
    inner: L,
    drops: &'static AtomicUsize,
}

impl<L: RawLock> RawLock for Counted<L> {
    fn with<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S> {
        self.inner.with(state, f)
    }
}

impl<L> Drop for Counted<L> {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn lock_worker_quit_drops_the_lock() {
    let drops = leak(AtomicUsize::new(0));
    let worker: &'static LockWorker<Item, Counted<StdLock>> =
        leak(LockWorker::new(Counted { inner: StdLock::new(), drops }));
    worker.submit(Box::new(|| ())).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    worker.quit().unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 1, "the lock outlived quit");
    assert!(worker.submit(Box::new(|| ())).unwrap_err().is_already_quit());
    assert_eq!(worker.quit(), Err(AlreadyQuit));
    assert_eq!(drops.load(Ordering::SeqCst), 1, "dropped once");
}

#[test]
fn lock_worker_quit_from_inside_an_item_drops_the_lock_when_the_item_returns() {
    let drops = leak(AtomicUsize::new(0));
    let worker: &'static LockWorker<Item, Counted<CriticalSectionLock>> =
        leak(LockWorker::new(Counted { inner: CriticalSectionLock::new(), drops }));
    let ran = leak(AtomicBool::new(false));
    worker
        .submit(Box::new(move || {
            worker.submit(Box::new(move || ran.store(true, Ordering::SeqCst))).unwrap();
            worker.quit().unwrap();
            assert_eq!(drops.load(Ordering::SeqCst), 0, "still in use");
        }))
        .unwrap();
    assert!(ran.load(Ordering::SeqCst));
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn lock_worker_quit_while_another_thread_is_inside_drops_the_lock_when_it_leaves() {
    let drops = leak(AtomicUsize::new(0));
    let worker: &'static LockWorker<Item, Counted<StdLock>> =
        leak(LockWorker::new(Counted { inner: StdLock::new(), drops }));
    let inside = Arc::new(Barrier::new(2));
    let leave = Arc::new(Barrier::new(2));
    let (i, l) = (Arc::clone(&inside), Arc::clone(&leave));
    let holder = std::thread::spawn(move || {
        worker
            .submit(Box::new(move || {
                i.wait();
                l.wait();
            }))
            .unwrap();
    });
    inside.wait();
    worker.quit().unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 0, "dropped under its holder");
    leave.wait();
    holder.join().unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn lock_worker_with_fixed_reentrant_queue_hands_back_when_full() {
    type Fixed = heapless::Deque<Item, 1>;
    let worker: &'static LockWorker<Item, CriticalSectionLock, Fixed> =
        leak(LockWorker::with_queue(CriticalSectionLock::new(), Fixed::new()));
    let refused = leak(AtomicBool::new(false));
    worker
        .submit(Box::new(move || {
            worker.submit(Box::new(|| ())).unwrap();
            let err = worker.submit(Box::new(|| ())).unwrap_err();
            refused.store(err.is_backlog_full(), Ordering::SeqCst);
        }))
        .unwrap();
    assert!(refused.load(Ordering::SeqCst));
}

#[test]
fn quit_flag_set_exactly_once_under_races() {
    let threads = if cfg!(miri) { 2 } else { 8 };
    for _ in 0..if cfg!(miri) { 2 } else { 50 } {
        let quit = Arc::new(Quit::new());
        let wins = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (quit, wins, start) = (quit.clone(), wins.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    if quit.set().is_ok() {
                        wins.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(wins.load(Ordering::SeqCst), 1);
        assert!(quit.is_set());
    }
}

#[test]
fn errors_debug_without_the_work_being_debug() {
    let (worker, _perform) = create_memory_worker::<Item>();
    worker.quit().unwrap();
    let err = worker.submit(Box::new(|| ())).unwrap_err();
    assert_eq!(format!("{err:?}"), "AlreadyQuit(..)");
    assert_eq!(err.to_string(), "work refused: the worker has quit");
    let as_error: &dyn std::error::Error = &err;
    assert!(as_error.source().is_none());
    assert_eq!(AlreadyQuit.to_string(), "this worker has quit and accepts no more work");
}

//! The loom models' hand-offs on real std threads, sized to run under Miri too
//! (`.ci/miri.sh`): Miri checks the unsafe code underneath (spin, heapless, critical-section,
//! std) for undefined behaviour and data races on every path these tests take.
//!
//! Counts scale down under Miri, which runs code thousands of times slower.
#![cfg(all(feature = "std", not(threadteam_loom)))]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use common::TestSignal;
use threadteam_core::{
    port::{StdLock, ThreadFactory},
    team::pool,
    workers::{BoxedWork, LockWorker, ThreadWorker},
    SubmitError, Worker,
};

/// Items per submitter: small under Miri, enough to interleave on real threads otherwise.
const ITEMS: usize = if cfg!(miri) { 8 } else { 2_000 };
/// Repetitions of the quit-versus-submit race.
const RACES: usize = if cfg!(miri) { 4 } else { 200 };

/// Starts std threads and keeps their handles so a test can prove every one exited.
#[derive(Clone, Debug, Default)]
struct JoiningFactory {
    started: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl JoiningFactory {
    fn join_all(&self) -> usize {
        let mut joined = 0;
        loop {
            let handles: Vec<_> = std::mem::take(&mut *self.started.lock().unwrap());
            if handles.is_empty() {
                return joined;
            }
            for handle in handles {
                handle.join().unwrap();
                joined += 1;
            }
        }
    }
}

impl ThreadFactory for JoiningFactory {
    type Thread = ();
    type Error = std::io::Error;

    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<(), Self::Error> {
        let handle = thread::Builder::new().spawn(main)?;
        self.started.lock().unwrap().push(handle);
        Ok(())
    }
}

fn counters(n: usize) -> Arc<Vec<AtomicUsize>> {
    Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect())
}

fn counting(runs: &Arc<Vec<AtomicUsize>>, i: usize) -> BoxedWork {
    let runs = Arc::clone(runs);
    Box::new(move || {
        runs[i].fetch_add(1, Ordering::SeqCst);
    })
}

#[test]
fn lock_worker_serialises_threads_and_queues_reentrant_work() {
    let worker: Arc<LockWorker<BoxedWork, StdLock>> = Arc::new(LockWorker::new(StdLock::new()));
    let runs = counters(4 * ITEMS * 2);
    let running = Arc::new(AtomicBool::new(false));
    let submitters: Vec<_> = (0..4)
        .map(|s| {
            let (worker, runs, running) = (Arc::clone(&worker), Arc::clone(&runs), Arc::clone(&running));
            thread::spawn(move || {
                for k in 0..ITEMS {
                    let parent = (s * ITEMS + k) * 2;
                    let (w, r, busy) = (Arc::clone(&worker), Arc::clone(&runs), Arc::clone(&running));
                    worker
                        .submit(Box::new(move || {
                            assert!(!busy.swap(true, Ordering::SeqCst), "two items at once");
                            r[parent].fetch_add(1, Ordering::SeqCst);
                            let (r2, b2) = (Arc::clone(&r), Arc::clone(&busy));
                            w.submit(Box::new(move || {
                                assert!(!b2.swap(true, Ordering::SeqCst), "child nested in its parent");
                                assert_eq!(r2[parent].load(Ordering::SeqCst), 1, "child before parent");
                                r2[parent + 1].fetch_add(1, Ordering::SeqCst);
                                b2.store(false, Ordering::SeqCst);
                            }))
                            .unwrap();
                            busy.store(false, Ordering::SeqCst);
                        }))
                        .unwrap();
                }
            })
        })
        .collect();
    for s in submitters {
        s.join().unwrap();
    }
    assert!(runs.iter().all(|r| r.load(Ordering::SeqCst) == 1));
}

#[test]
fn thread_worker_runs_fifo_and_exits_on_quit() {
    let factory = JoiningFactory::default();
    let (worker, ()) = ThreadWorker::<BoxedWork, TestSignal>::start(&factory, TestSignal::default()).unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    for i in 0..ITEMS {
        let order = Arc::clone(&order);
        worker.submit(Box::new(move || order.lock().unwrap().push(i))).unwrap();
    }
    worker.quit().unwrap();
    assert!(worker.submit(Box::new(|| ())).unwrap_err().is_already_quit());
    assert_eq!(factory.join_all(), 1);
    assert_eq!(*order.lock().unwrap(), (0..ITEMS).collect::<Vec<_>>());
}

#[test]
fn pool_with_two_submitters_ends_idle_and_exits_on_quit() {
    let factory = JoiningFactory::default();
    let team = pool::<TestSignal, _>(|| 3, factory.clone(), |f| panic!("unexpected failure: {f}"));
    let runs = counters(2 * ITEMS);
    let submitters: Vec<_> = (0..2)
        .map(|s| {
            let (team, runs) = (Arc::clone(&team), Arc::clone(&runs));
            thread::spawn(move || {
                for k in 0..ITEMS {
                    team.submit(counting(&runs, s * ITEMS + k)).unwrap();
                }
            })
        })
        .collect();
    for s in submitters {
        s.join().unwrap();
    }
    team.quit().unwrap();
    let joined = factory.join_all();
    assert!(team.is_finished());
    assert!(team.reclaim().is_none());
    assert!(runs.iter().all(|r| r.load(Ordering::SeqCst) == 1));
    let s = team.statistics();
    assert_eq!((s.idle_workers, s.busy_workers, s.backlogged), (0, 0, 0), "{s:?}");
    assert_eq!(s.workers_created, joined as u64);
    assert_eq!(s.workers_retired, s.workers_created);
    assert!(s.high_water <= 3);
}

#[test]
fn quit_racing_submit_runs_or_hands_back_each_item_once() {
    for _ in 0..RACES {
        let factory = JoiningFactory::default();
        let team = pool::<TestSignal, _>(|| 2, factory.clone(), |f| panic!("unexpected failure: {f}"));
        let runs = counters(4);
        let submitter = {
            let (team, runs) = (Arc::clone(&team), Arc::clone(&runs));
            thread::spawn(move || {
                (0..4)
                    .filter(|&i| match team.submit(counting(&runs, i)) {
                        Ok(()) => false,
                        Err(SubmitError::AlreadyQuit(_)) => true,
                        Err(SubmitError::BacklogFull(_)) => unreachable!("growable backlog"),
                    })
                    .count()
            })
        };
        team.quit().unwrap();
        let handed_back = submitter.join().unwrap();
        factory.join_all();
        assert!(team.is_finished());
        let mut reclaimed = 0;
        while team.reclaim().is_some() {
            reclaimed += 1;
        }
        let ran: usize = runs.iter().map(|r| r.load(Ordering::SeqCst)).sum();
        assert!(runs.iter().all(|r| r.load(Ordering::SeqCst) <= 1), "an item ran twice");
        assert_eq!(ran + handed_back + reclaimed, 4, "ran {ran}, handed back {handed_back}, reclaimed {reclaimed}");
    }
}

#[test]
fn std_lock_ids_are_not_reused_by_later_threads() {
    // Regression test for the loom finding: a thread started after another one exited must
    // not be taken for the lock's holder. Threads run one after another so a reused
    // thread-local address is likely; every submit must run its item, none be queued.
    let worker: Arc<LockWorker<BoxedWork, StdLock>> = Arc::new(LockWorker::new(StdLock::new()));
    let runs = counters(ITEMS);
    for i in 0..ITEMS {
        let (worker, runs) = (Arc::clone(&worker), Arc::clone(&runs));
        thread::spawn(move || {
            worker.submit(counting(&runs, i)).unwrap();
            // The item ran in this submit, not queued for a later one.
            assert_eq!(runs[i].load(Ordering::SeqCst), 1);
        })
        .join()
        .unwrap();
    }
}

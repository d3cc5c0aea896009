//! The Team scenarios of the reference (Twisted's `test_team.py`), plus a test for each of
//! Twisted's latent defects that threadteam fixes. Deterministic: memory workers, no sleeps.

mod common;

use std::sync::{Arc, Mutex};

use common::{logging, submit, Harness};
use threadteam_core::{AlreadyQuit, Worker};

#[test]
fn grow_creates_idle_workers() {
    let h = Harness::new(10);
    h.team.grow(5).unwrap();
    assert_eq!(h.counts(), (0, 0, 0), "nothing happens before coordination");
    h.coordinate();
    assert_eq!(h.counts(), (5, 0, 0));
    assert_eq!(h.created(), 5);
}

#[test]
fn grow_stops_at_the_creation_limit() {
    let h = Harness::new(3);
    h.team.grow(5).unwrap();
    h.coordinate();
    assert_eq!(h.counts(), (3, 0, 0));
    assert_eq!(h.team.statistics().workers_created, 3);
}

#[test]
fn grow_with_zero_or_shrink_with_zero_does_nothing() {
    let h = Harness::new(3);
    h.team.grow(0).unwrap();
    h.team.shrink(Some(0)).unwrap();
    h.coordinate();
    assert_eq!(h.counts(), (0, 0, 0));
}

#[test]
fn shrink_quits_idle_workers() {
    let h = Harness::new(10);
    h.team.grow(3).unwrap();
    h.team.shrink(Some(2)).unwrap();
    h.coordinate();
    assert_eq!(h.counts(), (1, 0, 0));
    let quit: Vec<bool> = (0..3).map(|i| h.worker(i).is_quit()).collect();
    // The coldest idle workers go first; the most recently idled one stays.
    assert_eq!(quit, [true, true, false]);
    assert_eq!(h.team.statistics().workers_retired, 2);
}

#[test]
fn shrink_to_zero() {
    let h = Harness::new(10);
    h.team.grow(4).unwrap();
    h.team.shrink(None).unwrap();
    h.coordinate();
    assert_eq!(h.counts(), (0, 0, 0));
    assert!((0..4).all(|i| h.worker(i).is_quit()));
}

#[test]
fn shrink_while_busy_retires_workers_when_they_finish() {
    let h = Harness::new(10);
    let log = Arc::new(Mutex::new(vec![]));
    submit(&h.team, logging(&log, 1));
    submit(&h.team, logging(&log, 2));
    h.coordinate();
    assert_eq!(h.counts(), (0, 2, 0));
    h.team.shrink(None).unwrap();
    h.coordinate();
    assert_eq!(h.team.statistics().shrink_debt, 2);
    assert!(!h.worker(0).is_quit(), "busy workers are never interrupted");
    assert!(h.perform(0));
    h.coordinate();
    assert!(h.worker(0).is_quit());
    assert_eq!(h.counts(), (0, 1, 0));
    assert!(h.perform(1));
    h.coordinate();
    assert!(h.worker(1).is_quit());
    assert_eq!(h.counts(), (0, 0, 0));
    assert_eq!(h.team.statistics().shrink_debt, 0);
    assert_eq!(*log.lock().unwrap(), [1, 2]);
}

#[test]
fn work_with_no_worker_available_is_backlogged_and_later_run() {
    let h = Harness::new(1);
    let log = Arc::new(Mutex::new(vec![]));
    submit(&h.team, logging(&log, 1));
    submit(&h.team, logging(&log, 2));
    h.coordinate();
    assert_eq!(h.counts(), (0, 1, 1));
    assert!(h.perform(0));
    h.coordinate(); // hand-back: the same worker takes the backlog
    assert_eq!(h.counts(), (0, 1, 0));
    assert!(h.perform(0));
    h.coordinate();
    assert_eq!(h.counts(), (1, 0, 0));
    assert_eq!(*log.lock().unwrap(), [1, 2]);
    assert_eq!(h.created(), 1);
}

#[test]
fn backlog_is_served_before_shrinking() {
    let h = Harness::new(1);
    let log = Arc::new(Mutex::new(vec![]));
    submit(&h.team, logging(&log, 1));
    submit(&h.team, logging(&log, 2));
    h.coordinate();
    h.team.shrink(Some(1)).unwrap();
    h.coordinate();
    h.settle();
    assert_eq!(*log.lock().unwrap(), [1, 2], "the backlog ran before the worker retired");
    assert!(h.worker(0).is_quit());
    assert_eq!(h.counts(), (0, 0, 0));
}

#[test]
fn a_failure_is_reported_and_the_worker_reused() {
    let h = Harness::new(5);
    submit(&h.team, Box::new(|| panic!("boom")));
    h.coordinate();
    assert!(h.perform(0));
    h.coordinate();
    assert_eq!(*h.failures.lock().unwrap(), ["boom"]);
    let s = h.team.statistics();
    assert_eq!((s.idle_workers, s.busy_workers, s.failures), (1, 0, 1));
    let log = Arc::new(Mutex::new(vec![]));
    submit(&h.team, logging(&log, 7));
    h.settle();
    assert_eq!(*log.lock().unwrap(), [7]);
    assert_eq!(h.created(), 1, "the same worker served again");
}

#[test]
fn a_panicking_failure_hook_does_not_leak_a_busy_slot() {
    let h = Harness::with_hook(1, true);
    submit(&h.team, Box::new(|| panic!("first")));
    h.settle();
    assert_eq!(h.counts(), (1, 0, 0), "the worker was handed back despite the hook's panic");
    let log = Arc::new(Mutex::new(vec![]));
    submit(&h.team, logging(&log, 1));
    h.settle();
    assert_eq!(*log.lock().unwrap(), [1]);
    assert_eq!(h.team.statistics().failures, 1);
}

#[test]
fn quit_twice_is_already_quit() {
    let h = Harness::new(1);
    h.team.quit().unwrap();
    assert_eq!(h.team.quit(), Err(AlreadyQuit));
    assert_eq!(h.team.grow(1), Err(AlreadyQuit));
    assert_eq!(h.team.shrink(None), Err(AlreadyQuit));
    let refused = h.team.submit(Box::new(|| ())).unwrap_err();
    assert!(refused.is_already_quit());
    refused.into_inner()(); // the work came back and can still be run
}

#[test]
fn quit_while_busy_finishes_later_then_quits_the_coordinator() {
    let h = Harness::new(1);
    let log = Arc::new(Mutex::new(vec![]));
    submit(&h.team, logging(&log, 1));
    submit(&h.team, logging(&log, 2));
    h.coordinate();
    h.team.quit().unwrap();
    h.coordinate();
    assert!(!h.team.is_finished(), "a worker is still busy");
    assert!(h.perform(0));
    h.coordinate();
    assert!(!h.worker(0).is_quit(), "the backlog comes first");
    assert!(h.perform(0));
    h.coordinate();
    assert!(h.worker(0).is_quit());
    assert!(h.team.is_finished());
    assert!(!h.coordinator.perform(), "the coordinator has quit");
    assert_eq!(*log.lock().unwrap(), [1, 2]);
    assert_eq!(h.counts(), (0, 0, 0));
}

#[test]
fn quit_concurrent_with_work() {
    // Work and quit are both queued at the coordinator before either is coordinated.
    let h = Harness::new(2);
    let log = Arc::new(Mutex::new(vec![]));
    submit(&h.team, logging(&log, 1));
    h.team.quit().unwrap();
    h.settle();
    assert_eq!(*log.lock().unwrap(), [1]);
    assert!(h.team.is_finished());
    assert!(h.worker(0).is_quit());
}

#[test]
fn quit_quits_idle_workers_at_once() {
    let h = Harness::new(3);
    h.team.grow(3).unwrap();
    h.coordinate();
    h.team.quit().unwrap();
    h.coordinate();
    assert!((0..3).all(|i| h.worker(i).is_quit()));
    assert!(h.team.is_finished());
}

// --- Twisted's latent defects, fixed -------------------------------------------------

#[test]
fn quit_with_no_worker_alive_hands_the_backlog_back() {
    let h = Harness::new(0); // like a ThreadPool that was never started
    let log = Arc::new(Mutex::new(vec![]));
    for tag in 1..=3 {
        submit(&h.team, logging(&log, tag));
    }
    h.team.quit().unwrap();
    h.settle();
    assert!(h.team.is_finished());
    assert_eq!(h.counts(), (0, 0, 3), "the backlog is kept, not silently dropped");
    let mut back = vec![];
    while let Some(work) = h.team.reclaim() {
        back.push(work);
    }
    assert_eq!(back.len(), 3);
    for work in back {
        work();
    }
    assert_eq!(*log.lock().unwrap(), [1, 2, 3], "handed back oldest first");
    assert_eq!(h.counts(), (0, 0, 0));
}

#[test]
fn quit_with_no_worker_alive_runs_the_backlog_when_a_worker_can_be_made() {
    let h = Harness::new(0);
    let log = Arc::new(Mutex::new(vec![]));
    submit(&h.team, logging(&log, 1));
    submit(&h.team, logging(&log, 2));
    h.coordinate();
    h.set_limit(1);
    h.team.quit().unwrap();
    h.settle();
    assert_eq!(*log.lock().unwrap(), [1, 2]);
    assert!(h.team.is_finished());
    assert!(h.team.reclaim().is_none());
}

#[test]
fn failed_creation_keeps_work_backlogged_and_retries_on_submit_grow_and_hand_back() {
    let h = Harness::new(0);
    let log = Arc::new(Mutex::new(vec![]));
    submit(&h.team, logging(&log, 1));
    h.coordinate();
    assert_eq!(h.counts(), (0, 0, 1));
    // Retried on the next submit, once capacity appears.
    h.set_limit(1);
    submit(&h.team, logging(&log, 2));
    h.coordinate();
    assert_eq!(h.counts(), (0, 1, 1), "the old item got the new worker; the new one waits behind");
    // Retried on hand-back: the limit rose while everything was busy.
    h.set_limit(3);
    submit(&h.team, logging(&log, 3));
    h.coordinate();
    assert_eq!(h.counts(), (0, 3, 0));
    h.settle();
    assert_eq!(*log.lock().unwrap(), [1, 2, 3]);
    // Retried on grow.
    let g = Harness::new(0);
    submit(&g.team, logging(&log, 4));
    g.coordinate();
    g.set_limit(1);
    g.team.grow(1).unwrap();
    g.settle();
    assert_eq!(*log.lock().unwrap(), [1, 2, 3, 4]);
}

#[test]
fn a_raised_limit_drains_the_backlog_on_pump() {
    let h = Harness::new(1);
    let log = Arc::new(Mutex::new(vec![]));
    for tag in 1..=4 {
        submit(&h.team, logging(&log, tag));
    }
    h.coordinate();
    assert_eq!(h.counts(), (0, 1, 3));
    h.set_limit(4);
    h.team.pump().unwrap();
    h.coordinate();
    assert_eq!(h.counts(), (0, 4, 0));
    h.settle();
    assert_eq!(log.lock().unwrap().len(), 4);
}

#[test]
fn new_work_never_overtakes_older_backlogged_work() {
    // Twisted: limit 1, A B C backlogged, limit raised to 5, D submitted: D ran first.
    let h = Harness::new(1);
    let log = Arc::new(Mutex::new(vec![]));
    submit(&h.team, logging(&log, 0)); // occupies the only worker
    for tag in [1, 2, 3] {
        submit(&h.team, logging(&log, tag));
    }
    h.coordinate();
    h.set_limit(5);
    submit(&h.team, logging(&log, 4));
    h.coordinate();
    // Dispatch order is submission order: worker i got item i.
    for i in 1..5 {
        assert!(h.perform(i));
    }
    assert_eq!(*log.lock().unwrap(), [1, 2, 3, 4]);
    assert!(h.perform(0));
    h.settle();
    assert_eq!(*log.lock().unwrap(), [1, 2, 3, 4, 0]);
}

#[test]
fn shrink_debt_never_exceeds_the_workers_that_exist() {
    let h = Harness::new(10);
    h.team.shrink(Some(5)).unwrap();
    h.coordinate();
    assert_eq!(h.team.statistics().shrink_debt, 0, "no workers, so no debt");
    // Twisted would quit all three at once (debt 5 -> 2).
    h.team.grow(3).unwrap();
    h.coordinate();
    assert_eq!(h.counts(), (3, 0, 0));
    // One busy, two idle: shrink 4 retires the two idle and owes one.
    submit(&h.team, Box::new(|| ()));
    h.coordinate();
    h.team.shrink(Some(4)).unwrap();
    h.coordinate();
    assert_eq!(h.team.statistics().shrink_debt, 1);
    assert_eq!(h.counts(), (0, 1, 0));
}

#[test]
fn grow_cancels_debt_instead_of_making_workers_to_retire() {
    let h = Harness::new(10);
    submit(&h.team, Box::new(|| ()));
    submit(&h.team, Box::new(|| ()));
    h.coordinate();
    h.team.shrink(Some(2)).unwrap();
    h.team.grow(3).unwrap();
    h.coordinate();
    let s = h.team.statistics();
    assert_eq!((s.shrink_debt, s.workers_created), (0, 3), "two units of debt cancelled, one worker made");
    h.settle();
    assert_eq!(h.counts(), (3, 0, 0));
}

#[test]
fn the_most_recently_idled_worker_is_reused_first() {
    let h = Harness::new(3);
    h.team.grow(3).unwrap();
    h.coordinate();
    submit(&h.team, Box::new(|| ()));
    h.coordinate();
    assert_eq!(h.worker(2).pending(), 1, "the last idled (here: last created) worker got the work");
}

#[test]
fn a_worker_that_refuses_work_is_retired_and_the_work_keeps_its_place() {
    let h = Harness::new(2);
    h.team.grow(1).unwrap();
    h.coordinate();
    h.worker(0).quit().unwrap(); // behind the team's back
    let log = Arc::new(Mutex::new(vec![]));
    submit(&h.team, logging(&log, 1));
    h.coordinate();
    assert_eq!(h.created(), 2, "a new worker replaced the refusing one");
    h.settle();
    assert_eq!(*log.lock().unwrap(), [1]);
    assert_eq!(h.team.statistics().workers_retired, 1);
}

#[test]
fn statistics_are_exact_after_each_coordinated_step() {
    let h = Harness::new(2);
    for _ in 0..3 {
        submit(&h.team, Box::new(|| ()));
    }
    h.coordinate();
    assert_eq!(h.counts(), (0, 2, 1));
    assert!(h.perform(0));
    assert_eq!(h.counts(), (0, 2, 1), "busy until the hand-back is coordinated");
    h.coordinate();
    assert_eq!(h.counts(), (0, 2, 0));
    h.settle();
    assert_eq!(h.counts(), (2, 0, 0));
    let s = h.team.statistics();
    assert_eq!((s.workers_created, s.high_water), (2, 2));
}

//! Task handles on a Team driven by memory workers: every step is explicit, so each test
//! is deterministic, and the whole file runs under Miri.
#![cfg(feature = "alloc")]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use threadteam_core::{
    team::{Coordinate, Growable, Job, Statistics, Team, TeamBuilder},
    workers::{create_memory_worker, BoxedWork, MemoryWorker, Perform},
    JoinHandle, TaskError, Worker,
};

type Coord = Arc<MemoryWorker<Coordinate<BoxedWork>>>;
type JobWorker = Arc<MemoryWorker<Job<BoxedWork>>>;
type Create = Box<dyn FnMut(&Statistics) -> Option<JobWorker> + Send>;
type TestTeam = Team<BoxedWork, JobWorker, Coord, Create, Growable>;

struct Harness {
    team: Arc<TestTeam>,
    coordinate: Perform<Coordinate<BoxedWork>>,
    work: Perform<Job<BoxedWork>>,
}

/// A Team that makes at most `limit` workers, all the same memory worker.
fn harness(limit: usize) -> Harness {
    let (coordinator, coordinate) = create_memory_worker::<Coordinate<BoxedWork>>();
    let (worker, work) = create_memory_worker::<Job<BoxedWork>>();
    let create: Create = Box::new(move |stats: &Statistics| (stats.workers() < limit).then(|| worker.clone()));
    Harness { team: TeamBuilder::new(create).coordinator(coordinator).build(), coordinate, work }
}

/// Quits the Team and runs whatever is left. Unperformed items hold the Team (their way
/// back to it) and the Team holds the memory workers that hold them: draining breaks that
/// cycle, so Miri's leak check sees only what the handles leave behind.
impl Drop for Harness {
    fn drop(&mut self) {
        let _ = self.team.quit();
        while self.coordinate.perform_all() + self.work.perform_all() > 0 {}
    }
}

/// Counts its wake-ups.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

fn poll<T>(handle: &mut JoinHandle<T>, waker: &Arc<CountingWaker>) -> Poll<Result<T, TaskError>> {
    let waker = Waker::from(Arc::clone(waker));
    Pin::new(handle).poll(&mut Context::from_waker(&waker))
}

#[test]
fn the_value_is_delivered() {
    let h = harness(1);
    let mut handle = h.team.spawn(|| String::from("done")).unwrap();
    let waker = Arc::new(CountingWaker::default());
    assert!(poll(&mut handle, &waker).is_pending());
    h.coordinate.perform();
    h.work.perform();
    match poll(&mut handle, &waker) {
        Poll::Ready(Ok(value)) => assert_eq!(value, "done"),
        other => panic!("expected the value, got {other:?}"),
    }
}

#[test]
fn the_waker_is_woken_exactly_when_the_result_is_ready() {
    let h = harness(1);
    let mut handle = h.team.spawn(|| 7).unwrap();
    let waker = Arc::new(CountingWaker::default());
    assert!(poll(&mut handle, &waker).is_pending());
    // A second poll with the same waker registers nothing new.
    assert!(poll(&mut handle, &waker).is_pending());
    h.coordinate.perform(); // dispatched: not ready yet
    assert_eq!(waker.count(), 0);
    assert!(!handle.is_finished());
    assert!(h.work.perform()); // ran
    assert_eq!(waker.count(), 1);
    assert!(handle.is_finished());
    h.coordinate.perform(); // the hand-back wakes nobody
    assert_eq!(waker.count(), 1);
    assert!(matches!(poll(&mut handle, &waker), Poll::Ready(Ok(7))));
    assert_eq!(waker.count(), 1);
}

#[test]
fn only_the_latest_waker_is_woken() {
    let h = harness(1);
    let mut handle = h.team.spawn(|| ()).unwrap();
    let (first, second) = (Arc::new(CountingWaker::default()), Arc::new(CountingWaker::default()));
    assert!(poll(&mut handle, &first).is_pending());
    assert!(poll(&mut handle, &second).is_pending());
    h.coordinate.perform();
    h.work.perform();
    assert_eq!((first.count(), second.count()), (0, 1));
}

#[test]
fn a_result_ready_before_the_first_poll_needs_no_wake() {
    let h = harness(1);
    let mut handle = h.team.spawn(|| 1).unwrap();
    h.coordinate.perform();
    h.work.perform();
    let waker = Arc::new(CountingWaker::default());
    assert!(matches!(poll(&mut handle, &waker), Poll::Ready(Ok(1))));
    assert_eq!(waker.count(), 0);
}

#[test]
fn cancel_before_start_never_runs_and_frees_the_backlog_slot() {
    let h = harness(1);
    let ran = Arc::new(AtomicUsize::new(0));
    let (r1, r2) = (Arc::clone(&ran), Arc::clone(&ran));
    let first = h.team.spawn(move || r1.fetch_add(1, Ordering::SeqCst)).unwrap();
    let mut second = h.team.spawn(move || r2.fetch_add(10, Ordering::SeqCst)).unwrap();
    h.coordinate.perform(); // the first takes the only worker
    h.coordinate.perform(); // the second waits
    assert_eq!(h.team.statistics().backlogged, 1);

    let waker = Arc::new(CountingWaker::default());
    assert!(poll(&mut second, &waker).is_pending());
    assert!(second.cancel());
    assert_eq!(h.team.statistics().backlogged, 0, "the slot is freed at once");
    assert_eq!(waker.count(), 1, "the awaiting task learns of the cancellation");
    // Its closure (and the Arc it captured) is already gone.
    assert_eq!(Arc::strong_count(&ran), 2);
    assert!(!second.cancel(), "a second cancel finds nothing to cancel");
    assert!(matches!(poll(&mut second, &waker), Poll::Ready(Err(TaskError::Cancelled))));

    h.work.perform();
    h.coordinate.perform();
    assert!(!h.work.perform(), "nothing else was dispatched");
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert!(!first.cancel(), "finished work cannot be cancelled");
    drop(first);
    assert_eq!(Arc::strong_count(&ran), 1);
}

#[test]
fn cancel_while_the_submission_is_being_coordinated_still_never_runs() {
    let h = harness(1);
    let ran = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&ran);
    let handle = h.team.spawn(move || r.fetch_add(1, Ordering::SeqCst)).unwrap();
    // The submit event has not been coordinated: the work is not in the backlog yet.
    assert!(handle.cancel());
    h.coordinate.perform();
    h.work.perform(); // a worker picks it up and finds nothing to run
    h.coordinate.perform();
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert_eq!(h.team.statistics().backlogged, 0);
    assert!(handle.is_finished());
}

#[test]
fn cancel_after_dispatch_but_before_start_never_runs() {
    let h = harness(1);
    let ran = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&ran);
    let mut handle = h.team.spawn(move || r.fetch_add(1, Ordering::SeqCst)).unwrap();
    h.coordinate.perform(); // in the worker's queue, not started
    assert!(handle.cancel());
    h.work.perform();
    h.coordinate.perform();
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    let waker = Arc::new(CountingWaker::default());
    assert!(matches!(poll(&mut handle, &waker), Poll::Ready(Err(TaskError::Cancelled))));
}

#[test]
fn a_refused_spawn_hands_the_closure_back() {
    let h = harness(1);
    h.team.quit().unwrap();
    h.coordinate.perform();
    let err = h.team.spawn(|| 5).unwrap_err();
    assert!(err.is_already_quit());
    assert_eq!(err.into_inner()(), 5);
}

#[test]
fn work_dropped_unrun_resolves_as_cancelled() {
    // No worker can be made: the work waits, the Team quits, and the work is reclaimed.
    let h = harness(0);
    let mut handle = h.team.spawn(|| 1).unwrap();
    h.coordinate.perform();
    h.team.quit().unwrap();
    h.coordinate.perform();
    let waker = Arc::new(CountingWaker::default());
    assert!(poll(&mut handle, &waker).is_pending());
    let reclaimed = h.team.reclaim().expect("the work could not run");
    drop(reclaimed);
    assert_eq!(waker.count(), 1);
    assert!(matches!(poll(&mut handle, &waker), Poll::Ready(Err(TaskError::Cancelled))));
}

#[test]
fn reclaimed_work_can_still_be_run() {
    let h = harness(0);
    let mut handle = h.team.spawn(|| 3).unwrap();
    h.coordinate.perform();
    h.team.quit().unwrap();
    h.coordinate.perform();
    let work = h.team.reclaim().unwrap();
    work();
    let waker = Arc::new(CountingWaker::default());
    assert!(matches!(poll(&mut handle, &waker), Poll::Ready(Ok(3))));
}

/// Counts live instances, to show what a dropped handle leaves behind.
struct Tracked(Arc<AtomicUsize>);

impl Tracked {
    fn new(live: &Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(live))
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn a_dropped_handle_detaches_and_leaks_nothing() {
    let h = harness(1);
    let live = Arc::new(AtomicUsize::new(0));
    let (l1, l2) = (Arc::clone(&live), Tracked::new(&live));
    let handle = h.team.spawn(move || (Tracked::new(&l1), l2)).unwrap();
    drop(handle); // detach: the work still runs
    h.coordinate.perform();
    h.work.perform();
    h.coordinate.perform();
    assert_eq!(live.load(Ordering::SeqCst), 0, "the unwanted result was dropped");
    assert_eq!(Arc::strong_count(&live), 1);
}

#[test]
fn a_handle_dropped_after_the_result_drops_it() {
    let h = harness(1);
    let live = Arc::new(AtomicUsize::new(0));
    let l = Arc::clone(&live);
    let handle = h.team.spawn(move || Tracked::new(&l)).unwrap();
    h.coordinate.perform();
    h.work.perform();
    assert_eq!(live.load(Ordering::SeqCst), 1);
    drop(handle);
    assert_eq!(live.load(Ordering::SeqCst), 0);
    assert_eq!(Arc::strong_count(&live), 1);
}

#[test]
fn a_team_dropped_with_backlogged_work_cancels_it() {
    let h = harness(0);
    let live = Arc::new(AtomicUsize::new(0));
    let captured = Tracked::new(&live);
    let mut handle = h.team.spawn(move || drop(captured)).unwrap();
    h.coordinate.perform();
    // Quitting leaves the work to reclaim (no worker can be made); dropping the Team drops it.
    drop(h);
    assert_eq!(live.load(Ordering::SeqCst), 0);
    let waker = Arc::new(CountingWaker::default());
    assert!(matches!(poll(&mut handle, &waker), Poll::Ready(Err(TaskError::Cancelled))));
    assert!(!handle.cancel(), "nothing left to cancel, and no Team to search");
}

#[test]
#[should_panic(expected = "polled after it returned")]
fn polling_after_the_result_panics() {
    let h = harness(1);
    let mut handle = h.team.spawn(|| ()).unwrap();
    h.coordinate.perform();
    h.work.perform();
    let waker = Arc::new(CountingWaker::default());
    assert!(poll(&mut handle, &waker).is_ready());
    let _ = poll(&mut handle, &waker);
}

#[cfg(feature = "std")]
mod with_std {
    use super::*;

    fn quiet_team(limit: usize, failures: Arc<Mutex<Vec<String>>>) -> Harness {
        let (coordinator, coordinate) = create_memory_worker::<Coordinate<BoxedWork>>();
        let (worker, work) = create_memory_worker::<Job<BoxedWork>>();
        let create: Create = Box::new(move |stats: &Statistics| (stats.workers() < limit).then(|| worker.clone()));
        let team = TeamBuilder::new(create)
            .coordinator(coordinator)
            .on_failure(move |failure| {
                failures.lock().unwrap().push(failure.message().unwrap_or("?").to_owned());
            })
            .build();
        Harness { team, coordinate, work }
    }

    #[test]
    fn a_panic_reaches_the_handle_with_its_payload() {
        let failures = Arc::new(Mutex::new(Vec::new()));
        let h = quiet_team(1, Arc::clone(&failures));
        let handle = h.team.spawn(|| -> u8 { panic!("boom") }).unwrap();
        h.coordinate.perform();
        h.work.perform();
        h.coordinate.perform();
        let err = handle.join().unwrap_err();
        assert!(err.is_panic() && !err.is_cancelled());
        assert_eq!(err.to_string(), "work panicked: boom");
        let payload = err.try_into_panic().unwrap();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
        // The handle had it, so the Team's hook did not.
        assert!(failures.lock().unwrap().is_empty());
        assert_eq!(h.team.statistics().failures, 0);
        // The worker was handed back as usual.
        assert_eq!(h.team.statistics().idle_workers, 1);
    }

    #[test]
    fn a_panic_nobody_can_see_goes_to_the_failure_hook() {
        let failures = Arc::new(Mutex::new(Vec::new()));
        let h = quiet_team(1, Arc::clone(&failures));
        drop(h.team.spawn(|| panic!("unseen")).unwrap());
        h.coordinate.perform();
        h.work.perform();
        h.coordinate.perform();
        assert_eq!(*failures.lock().unwrap(), ["unseen"]);
        assert_eq!(h.team.statistics().failures, 1);
        assert_eq!(h.team.statistics().idle_workers, 1);
    }

    #[test]
    fn join_blocks_until_another_thread_runs_the_work() {
        let h = harness(1);
        let handle = h.team.spawn(|| 40 + 2).unwrap();
        let (coordinate, work) = (h.coordinate.clone(), h.work.clone());
        let runner = std::thread::spawn(move || {
            coordinate.perform();
            work.perform();
            coordinate.perform();
        });
        assert_eq!(handle.join().unwrap(), 42);
        runner.join().unwrap();
    }

    #[test]
    fn cancel_after_start_returns_false_and_the_value_still_arrives() {
        use std::sync::mpsc;
        let h = harness(1);
        let (started_tx, started_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let handle = h
            .team
            .spawn(move || {
                started_tx.send(()).unwrap();
                go_rx.recv().unwrap();
                "finished"
            })
            .unwrap();
        h.coordinate.perform();
        let (coordinate, work) = (h.coordinate.clone(), h.work.clone());
        let runner = std::thread::spawn(move || {
            work.perform();
            coordinate.perform();
        });
        started_rx.recv().unwrap();
        assert!(!handle.cancel(), "started work runs to completion");
        go_tx.send(()).unwrap();
        assert_eq!(handle.join().unwrap(), "finished");
        runner.join().unwrap();
    }

    #[test]
    fn task_error_displays_and_is_an_error() {
        let cancelled: Box<dyn std::error::Error> = Box::new(TaskError::Cancelled);
        assert_eq!(cancelled.to_string(), "the work was cancelled before it started");
        let panicked = TaskError::from_panic(Box::new(String::from("oops")));
        assert_eq!(panicked.to_string(), "work panicked: oops");
        assert!(TaskError::Cancelled.try_into_panic().unwrap_err().is_cancelled());
    }
}

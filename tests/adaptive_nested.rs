//! Twisted #5298 with real threads: tasks that each submit a child task to the same pool
//! and block until it finishes. A hard cap of 2 deadlocks; the adaptive pool completes.
#![cfg(feature = "std")]

use core::time::Duration;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use threadteam::{port::StdSignal, team::pool, Pool, StdTeam, StdThreadFactory, Worker};

const PARENTS: usize = 20;

/// A gate parents wait at until every parent has been submitted, so that the first ones
/// cannot finish (their children running on a spare thread) before the pool is saturated:
/// the workload is the same on every run.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn wait(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.opened.wait(open).unwrap();
        }
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }
}

/// What the test keeps of the nested workload.
struct Nested {
    /// Each parent's wake-up: its child sends on it, and so can the test, to release it.
    releases: Vec<Sender<()>>,
    parents_done: Receiver<usize>,
    children_done: Receiver<usize>,
}

/// Submits `PARENTS` tasks; each submits a child to `team` and blocks until woken. They
/// start once all are submitted.
fn submit_nested(team: &Arc<StdTeam>) -> Nested {
    let gate = Arc::new(Gate::default());
    let (parent_tx, parents_done) = mpsc::channel();
    let (child_tx, children_done) = mpsc::channel();
    let mut releases = Vec::new();
    for i in 0..PARENTS {
        let (wake_tx, wake_rx) = mpsc::channel::<()>();
        releases.push(wake_tx.clone());
        let (team2, parent_tx, child_tx, gate) = (Arc::clone(team), parent_tx.clone(), child_tx.clone(), gate.clone());
        team.submit(Box::new(move || {
            gate.wait();
            team2
                .submit(Box::new(move || {
                    // The parent may be gone already if the test released it.
                    let _ = wake_tx.send(());
                    child_tx.send(i).unwrap();
                }))
                .unwrap();
            wake_rx.recv().unwrap();
            parent_tx.send(i).unwrap();
        }))
        .unwrap();
    }
    gate.open();
    Nested { releases, parents_done, children_done }
}

/// Receives `n` items, failing the test (instead of hanging) past `deadline`.
fn recv_all(rx: &Receiver<usize>, n: usize, deadline: Instant) {
    for _ in 0..n {
        let left = deadline.saturating_duration_since(Instant::now());
        rx.recv_timeout(left).expect("work did not complete in time");
    }
}

#[test]
fn adaptive_pool_runs_tasks_that_wait_on_tasks() {
    let started = Instant::now();
    let pool = Pool::builder().min(1).burst(2).growth_interval(Duration::from_millis(20)).build().unwrap();
    let nested = submit_nested(pool.team());
    // 21 threads are needed (20 blocked parents and one for the children); at one new
    // thread per 20 ms that is about 0.4 s. 30 s only guards against a hang.
    let deadline = started + Duration::from_secs(30);
    recv_all(&nested.parents_done, PARENTS, deadline);
    recv_all(&nested.children_done, PARENTS, deadline);
    let s = pool.statistics();
    assert!(s.high_water > 2, "it grew past the burst: {s:?}");
    assert_eq!(s.workers_created as usize, s.high_water, "no thread was created needlessly: {s:?}");
    println!("completed in {:?} with at most {} threads", started.elapsed(), s.high_water);
    drop(nested.releases);
    pool.join();
}

#[test]
fn hard_capped_pool_of_two_deadlocks() {
    let team: Arc<StdTeam> = pool::<StdSignal, _>(|| 2, StdThreadFactory::new(), |f| panic!("{f}"));
    let nested = submit_nested(&team);
    // Wait (observing only) until both threads run a parent that has queued its child
    // behind the other parents: from then on no task can ever finish.
    let start = Instant::now();
    loop {
        let s = team.statistics();
        if (s.busy_workers, s.idle_workers, s.backlogged) == (2, 0, PARENTS) {
            break; // 18 parents and 2 children wait
        }
        assert!(start.elapsed() < Duration::from_secs(10), "never reached the stuck state: {s:?}");
        std::thread::sleep(Duration::from_millis(1));
    }
    // Any timeout shows it; this one keeps the test short.
    match nested.parents_done.recv_timeout(Duration::from_millis(500)) {
        Err(RecvTimeoutError::Timeout) => {}
        other => panic!("a capped pool should be stuck, got {other:?}"),
    }
    assert_eq!(team.statistics().backlogged, PARENTS, "still stuck");

    // Unblock every parent so the pool drains and its threads exit.
    for release in &nested.releases {
        // A parent whose child has run since is done, and its receiver gone: ignore that.
        let _ = release.send(());
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    recv_all(&nested.parents_done, PARENTS, deadline);
    recv_all(&nested.children_done, PARENTS, deadline);
    team.quit().unwrap();
}

//! `JoinHandle::cancel` racing `ThreadPool::stop`: each task must end exactly one way,
//! cancelled (it never runs) or handed back by `stop` as work that runs when called. `stop`
//! must never hand back the empty shell of a task that a cancel already dropped.
//!
//! The pool is never started, so every task waits in the backlog until `stop` takes it back,
//! while another thread cancels them all: the two race over every task. Bounded by a
//! deadline; the outcome of each race varies, the invariant does not.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::Duration;

use threadteam::ThreadPool;

const ROUNDS: usize = 400;
const TASKS: usize = 64;

#[derive(Default, Debug)]
struct Outcomes {
    cancelled: usize,
    handed_back: usize,
    shells: usize,
}

fn round() -> Outcomes {
    let pool = ThreadPool::new(0, 1); // never started: the work waits for `stop`
    let runs: Arc<Vec<AtomicUsize>> = Arc::new((0..TASKS).map(|_| AtomicUsize::new(0)).collect());
    let handles: Vec<_> = (0..TASKS)
        .map(|i| {
            let runs = Arc::clone(&runs);
            pool.spawn(move || runs[i].fetch_add(1, Ordering::SeqCst)).unwrap()
        })
        .collect();
    let start = Arc::new(Barrier::new(2));
    let go = Arc::clone(&start);
    let canceller = thread::spawn(move || {
        go.wait();
        handles.iter().map(|h| h.cancel()).collect::<Vec<bool>>()
    });
    start.wait();
    let unrun = pool.stop();
    let cancelled = canceller.join().unwrap();

    let mut outcomes = Outcomes::default();
    let handed_back = unrun.len();
    for work in unrun {
        let before: usize = runs.iter().map(|r| r.load(Ordering::SeqCst)).sum();
        work();
        let after: usize = runs.iter().map(|r| r.load(Ordering::SeqCst)).sum();
        if after == before {
            outcomes.shells += 1;
        }
    }
    for (i, cancelled) in cancelled.iter().enumerate() {
        let ran = runs[i].load(Ordering::SeqCst);
        if *cancelled {
            assert_eq!(ran, 0, "task {i} was cancelled, yet ran");
            outcomes.cancelled += 1;
        } else {
            assert_eq!(ran, 1, "task {i} was neither cancelled nor handed back to run");
        }
    }
    outcomes.handed_back = handed_back - outcomes.shells;
    assert_eq!(outcomes.cancelled + outcomes.handed_back, TASKS, "{outcomes:?}");
    outcomes
}

#[test]
fn stop_never_hands_back_the_shell_of_a_cancelled_task() {
    let (done, result) = mpsc::channel();
    thread::spawn(move || {
        let mut total = Outcomes::default();
        for _ in 0..ROUNDS {
            let outcomes = round();
            total.cancelled += outcomes.cancelled;
            total.handed_back += outcomes.handed_back;
            total.shells += outcomes.shells;
        }
        let _ = done.send(total);
    });
    let total = result.recv_timeout(Duration::from_secs(120)).expect("the races did not finish in time (hung?)");
    println!(
        "{} tasks: {} cancelled, {} handed back by stop, {} shells",
        ROUNDS * TASKS,
        total.cancelled,
        total.handed_back,
        total.shells
    );
    assert_eq!(total.shells, 0, "stop handed back the shell of a cancelled task");
    assert_eq!(total.cancelled + total.handed_back, ROUNDS * TASKS);
}

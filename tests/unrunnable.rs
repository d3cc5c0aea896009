//! A blocking wait on work that can never run says so instead of waiting forever: a
//! `ThreadPool` that was never started, a Team whose limit is 0. A pool whose threads are
//! merely all busy is waited for.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use threadteam::port::StdSignal;
use threadteam::team::pool;
use threadteam::{StdThreadFactory, TaskError, ThreadPool, Worker};

#[test]
fn join_on_a_never_started_thread_pool_fails_at_once_and_the_work_never_runs() {
    let pool = ThreadPool::new(0, 8);
    let ran = Arc::new(AtomicBool::new(false));
    let r = Arc::clone(&ran);
    let handle = pool.spawn(move || r.store(true, Ordering::SeqCst)).unwrap();
    let err = handle.join().unwrap_err();
    assert!(matches!(err, TaskError::Unrunnable), "{err:?}");
    assert!(err.to_string().contains("ThreadPool that was not started"), "{err}");
    // It was cancelled: starting the pool now does not run it.
    pool.start().unwrap();
    let after = pool.spawn(|| 1).unwrap();
    assert_eq!(after.join().unwrap(), 1);
    assert!(!ran.load(Ordering::SeqCst));
    assert!(pool.stop().is_empty());
}

#[test]
fn work_held_until_start_still_runs_when_nobody_waits_for_it() {
    let pool = ThreadPool::new(0, 2);
    let handle = pool.spawn(|| 6 * 7).unwrap();
    let (tx, rx) = mpsc::channel();
    pool.call_in_thread(move || tx.send(()).unwrap()).unwrap();
    pool.start().unwrap();
    rx.recv().unwrap();
    assert_eq!(handle.join().unwrap(), 42);
    drop(pool.stop());
}

#[test]
#[should_panic(expected = "maximum of 0 threads could never run work")]
fn a_thread_pool_of_no_threads_is_refused_at_construction() {
    drop(ThreadPool::new(0, 0));
}

#[test]
#[should_panic(expected = "maximum of 0 threads could never run work")]
fn a_resize_to_no_threads_is_refused() {
    let pool = ThreadPool::new(0, 2);
    pool.set_max(0);
}

#[test]
#[should_panic(expected = "never started")]
fn scope_on_a_never_started_thread_pool_panics_before_running_anything() {
    let pool = ThreadPool::new(1, 2);
    let ran = AtomicBool::new(false);
    pool.scope(|s| {
        ran.store(true, Ordering::SeqCst);
        s.spawn(|| ());
    });
}

#[test]
fn a_busy_pool_is_waited_for() {
    // One thread, held busy while more work queues behind it: nothing is stalled.
    let pool = ThreadPool::new(0, 1);
    pool.start().unwrap();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel();
    let blocker = pool
        .spawn(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        })
        .unwrap();
    started_rx.recv().unwrap();
    let queued = pool.spawn(|| "waited").unwrap();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        release_tx.send(()).unwrap();
    });
    assert_eq!(queued.join().unwrap(), "waited");
    blocker.join().unwrap();
    releaser.join().unwrap();
    drop(pool.stop());
}

#[test]
fn a_team_with_a_limit_of_zero_is_unrunnable_until_raised() {
    let limit = Arc::new(AtomicUsize::new(0));
    let l = Arc::clone(&limit);
    let team = pool::<StdSignal, _>(move || l.load(Ordering::SeqCst), StdThreadFactory::new(), |_| ());
    let handle = team.spawn(|| 1).unwrap();
    assert!(team.is_stalled());
    assert!(matches!(handle.join(), Err(TaskError::Unrunnable)));
    assert_eq!(team.statistics().backlogged, 0, "the cancelled work left the backlog");
    limit.store(2, Ordering::SeqCst);
    let later = team.spawn(|| 2).unwrap(); // a coordinated submit re-reads the limit
    assert!(!team.is_stalled());
    assert_eq!(later.join().unwrap(), 2);
    team.quit().unwrap();
}

#[test]
fn thread_pool_sizes_can_be_read_and_set_one_at_a_time() {
    let pool = ThreadPool::new(1, 4);
    assert_eq!((pool.min(), pool.max()), (1, 4));
    pool.start().unwrap();
    pool.set_min(2);
    assert_eq!((pool.min(), pool.max()), (2, 4));
    assert_eq!(pool.statistics().workers(), 2);
    pool.set_max(3);
    assert_eq!((pool.min(), pool.max()), (2, 3));
    let s = pool.statistics();
    assert_eq!((s.min, s.max), (2, Some(3)));
    drop(pool.stop());
}

//! After a burst of blocking work the adaptive pool shrinks back to `min` within the
//! keep-alive, and its threads really exit (counted in /proc). One test per file: the
//! thread count is process-wide.
#![cfg(all(feature = "std", target_os = "linux"))]

use core::time::Duration;
use std::sync::mpsc;
use std::thread::sleep;
use std::time::Instant;

use threadteam::{Pool, Worker};

/// Threads of this process, from /proc/self/status.
fn os_threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Threads:")).unwrap();
    line["Threads:".len()..].trim().parse().unwrap()
}

/// Polls `done` every millisecond until it holds, or panics after `limit`; returns how
/// long it took. (Polling observes the pool; it does not order anything.)
fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        sleep(Duration::from_millis(1));
    }
    start.elapsed()
}

#[test]
fn thread_count_returns_to_min_after_a_burst() {
    const MIN: usize = 1;
    const TASKS: usize = 200;
    let keep_alive = Duration::from_millis(300);
    let interval = Duration::from_millis(10);
    let baseline = os_threads();

    let pool =
        Pool::builder().min(MIN).burst(2).growth_interval(interval).keep_alive(Some(keep_alive)).build().unwrap();
    assert_eq!(os_threads(), baseline + MIN + 1, "min workers and the timer");

    let (tx, rx) = mpsc::channel();
    for _ in 0..TASKS {
        let tx = tx.clone();
        pool.submit(Box::new(move || {
            sleep(Duration::from_millis(10)); // blocking load
            tx.send(()).unwrap();
        }))
        .unwrap();
    }
    for _ in 0..TASKS {
        rx.recv_timeout(Duration::from_secs(60)).expect("the burst did not complete");
    }
    let peak = pool.statistics().high_water;
    assert!(peak > 2, "the backlog made the pool grow past its burst (peak {peak})");

    // Every worker went idle before now, so each expires at most `keep_alive` from now.
    // The bound adds one interval, as specified, and 1 s for a loaded 2-core CI machine.
    let bound = keep_alive + interval + Duration::from_secs(1);
    let took = wait_for(bound, "back to min", || pool.statistics().workers() == MIN);
    wait_for(Duration::from_secs(5), "retired threads exit", || os_threads() == baseline + MIN + 1);
    let s = pool.team().statistics();
    assert_eq!(s.workers_retired as usize, s.workers_created as usize - MIN, "{s:?}");
    assert_eq!(pool.team().next_deadline(), None, "nothing left to age out");
    println!("peak {peak} threads; back to {MIN} {took:?} after the burst (keep-alive {keep_alive:?})");

    pool.join();
    wait_for(Duration::from_secs(5), "all threads exit after join", || os_threads() == baseline);
}

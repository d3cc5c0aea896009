//! An idle adaptive pool uses no CPU: its workers and its timer sleep without timeouts.
//! One test per file: CPU time is process-wide.
#![cfg(all(feature = "std", target_os = "linux"))]

use core::time::Duration;
use std::sync::mpsc;
use std::thread::sleep;
use std::time::Instant;

use threadteam::{Pool, Worker};

/// CPU time used so far by this process (all threads, user and system), from
/// /proc/self/stat (in clock ticks of 1/100 s: Linux reports USER_HZ, which is 100).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // The command name may contain spaces; fields are counted after its closing ')'.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

#[test]
fn an_idle_pool_uses_no_cpu() {
    let pool = Pool::builder()
        .min(2)
        .burst(4)
        .growth_interval(Duration::from_millis(10))
        .keep_alive(Some(Duration::from_millis(100)))
        .build()
        .unwrap();
    // Some load first, so there are threads above min to retire, then let them age out.
    let (tx, rx) = mpsc::channel();
    for _ in 0..40 {
        let tx = tx.clone();
        pool.submit(Box::new(move || {
            sleep(Duration::from_millis(5)); // blocking load
            tx.send(()).unwrap();
        }))
        .unwrap();
    }
    for _ in 0..40 {
        rx.recv_timeout(Duration::from_secs(30)).unwrap();
    }
    let start = Instant::now();
    while pool.statistics().workers() > 2 {
        assert!(start.elapsed() < Duration::from_secs(10), "idle threads were not retired");
        sleep(Duration::from_millis(5)); // observing, not ordering
    }
    assert_eq!(pool.team().next_deadline(), None, "the timer sleeps without a timeout");

    let before = cpu_time();
    sleep(Duration::from_secs(1));
    let used = cpu_time() - before;
    println!("CPU used by the idle pool over 1 s: {used:?}");
    // Sleeping threads use none; the bound leaves room for the test harness and
    // the 10 ms granularity of the counters.
    assert!(used < Duration::from_millis(50), "idle CPU {used:?}");
    pool.join();
}

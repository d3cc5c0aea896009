//! The adaptive pool's thread count over time, as load comes and goes.
//!
//! Run with `cargo run --example elastic`. Three phases of load (a steady stream, a quiet
//! gap, a spike of 100 tasks at once) on a pool with min 1, burst 2, one new thread per
//! 50 ms while work waits and a 400 ms keep-alive. Each line is a 100 ms sample:
//! `#` busy threads, `.` idle ones, then the backlog and the age of its oldest item.

use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use std::sync::Arc;
use std::thread::{sleep, spawn};
use std::time::Instant;

use threadteam::{Pool, Worker};

fn main() {
    let pool = Pool::builder()
        .min(1)
        .burst(2)
        .growth_interval(Duration::from_millis(50))
        .keep_alive(Some(Duration::from_millis(400)))
        .build()
        .expect("start the pool");
    let team = Arc::clone(pool.team());
    let start = Instant::now();
    let done = Arc::new(AtomicBool::new(false));

    let load = {
        let done = Arc::clone(&done);
        spawn(move || {
            let task = |ms| Box::new(move || sleep(Duration::from_millis(ms))) as Box<dyn FnOnce() + Send>;
            sleep(Duration::from_millis(500));
            // A steady stream: a 30 ms blocking task every 3 ms needs about 10 threads.
            let until = Instant::now() + Duration::from_millis(1500);
            while Instant::now() < until {
                team.submit(task(30)).unwrap();
                sleep(Duration::from_millis(3));
            }
            sleep(Duration::from_millis(1500)); // quiet: the surplus ages out
            for _ in 0..100 {
                team.submit(task(60)).unwrap(); // a spike, all at once
            }
            sleep(Duration::from_millis(2500));
            done.store(true, Ordering::Release);
        })
    };

    println!("   time  threads (# busy, . idle)                        backlog  oldest");
    while !done.load(Ordering::Acquire) {
        let s = pool.statistics();
        let bar = format!("{}{}", "#".repeat(s.busy_workers), ".".repeat(s.idle_workers));
        let oldest = s.oldest_backlog_age.map_or(String::from("-"), |age| format!("{} ms", age.as_millis()));
        println!(
            "{:>5.1} s  {:>3} {:<44} {:>7}  {:>6}",
            start.elapsed().as_secs_f64(),
            s.workers(),
            bar,
            s.backlogged,
            oldest
        );
        sleep(Duration::from_millis(100));
    }
    load.join().unwrap();
    let s = pool.team().statistics();
    println!(
        "created {} threads, retired {}, at most {} at once, {} panics",
        s.workers_created, s.workers_retired, s.high_water, s.failures
    );
    pool.join();
}

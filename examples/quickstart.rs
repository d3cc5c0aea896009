//! A `Pool` runs a batch of blocking jobs (simulated I/O), with a live statistics line while
//! it works and a summary at the end.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use core::time::Duration;
use std::io::{self, IsTerminal, Write};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use threadteam::Pool;

const JOBS: u64 = 48;

/// A stand-in for a blocking call (a file read, a DNS lookup, a database query): it holds
/// its thread without using the CPU.
fn blocking_job(job: u64) -> u64 {
    thread::sleep(Duration::from_millis(20 + (job % 5) * 10));
    job * job
}

fn main() {
    // Up to 8 threads, created as work arrives (no start step), kept while idle.
    let pool = Pool::builder().capped(8).name("quickstart").build().expect("no thread is started yet");

    let started = Instant::now();
    let done = Arc::new(AtomicUsize::new(0));
    let sum = Arc::new(AtomicU64::new(0));
    for job in 0..JOBS {
        let (done, sum) = (Arc::clone(&done), Arc::clone(&sum));
        pool.execute(move || {
            sum.fetch_add(blocking_job(job), Ordering::Relaxed);
            done.fetch_add(1, Ordering::Release);
        })
        .expect("the pool is running");
    }

    // On a terminal the line updates in place; in a log, one line per sample.
    let live = io::stdout().is_terminal();
    let mut out = io::stdout().lock();
    while done.load(Ordering::Acquire) < JOBS as usize {
        let line = format!("{}  ·  done {:>2}/{JOBS}", pool.statistics(), done.load(Ordering::Acquire));
        if live {
            write!(out, "\r{line}").and_then(|()| out.flush()).expect("stdout is writable");
        } else {
            writeln!(out, "{line}").expect("stdout is writable");
        }
        thread::sleep(Duration::from_millis(40));
    }
    if live {
        writeln!(out).expect("stdout is writable");
    }

    let unrun = pool.shutdown(); // waits for every thread
    let elapsed = started.elapsed();
    let s = pool.statistics();
    let serial: u64 = (0..JOBS).map(|job| 20 + (job % 5) * 10).sum();
    writeln!(
        out,
        "{JOBS} jobs in {:.2} s on {} threads (at most {} at once); one thread would take {:.2} s.\n\
         sum of results {}; panics {}; threads still running {}; work handed back {}",
        elapsed.as_secs_f64(),
        s.threads_started,
        s.high_water,
        Duration::from_millis(serial).as_secs_f64(),
        sum.load(Ordering::Relaxed),
        s.panics,
        s.threads_running,
        unrun.len(),
    )
    .expect("stdout is writable");
}

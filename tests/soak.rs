//! Soak: a steady random load for 60 s (`THREADTEAM_SOAK_SECS` to change), sampling the
//! process's resident memory and thread count once a second; both must stay bounded.
//! Not part of CI: it runs only with `THREADTEAM_SOAK=1`, otherwise it says so and returns.
//!
//! ```text
//! THREADTEAM_SOAK=1 cargo test --release --test soak -- --nocapture
//! ```
//!
//! The load: 4 submitters each send a random batch (1..=64 tasks, some sleeping up to 2 ms
//! to hold a worker the way real blocking work does), wait for the batch to finish, pause
//! up to 5 ms, and repeat; a controller moves the pool's limit between 1 and 8 and shrinks
//! idle workers, so threads are created and retired all the time.

mod ledger;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ledger::{SharedFactory, TestFactory, XorShift};
use threadteam::{port::StdSignal, team::pool, Worker};

const SUBMITTERS: usize = 4;
const MAX_LIMIT: usize = 8;

/// (resident KiB, threads) of this process, from /proc/self/status.
fn sample() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status (Linux only)");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/self/status"))
    };
    (field("VmRSS:"), field("Threads:"))
}

#[test]
fn soak_rss_and_threads_stay_bounded() {
    if std::env::var_os("THREADTEAM_SOAK").is_none() {
        println!("soak: skipped (set THREADTEAM_SOAK=1 to run the 60 s soak)");
        return;
    }
    let secs = ledger::env_usize("THREADTEAM_SOAK_SECS", 60) as u64;
    let seed = ledger::seed();
    let factory = TestFactory::new(0, seed);
    let limit = Arc::new(AtomicUsize::new(4));
    let l = Arc::clone(&limit);
    let team = pool::<StdSignal, _>(
        move || l.load(Ordering::SeqCst),
        SharedFactory(Arc::clone(&factory)),
        |f| panic!("unexpected failure: {f}"),
    );
    let running = Arc::new(AtomicBool::new(true));
    let ran = Arc::new(AtomicUsize::new(0));

    let mut threads = Vec::new();
    for s in 0..SUBMITTERS {
        let (team, running, ran) = (Arc::clone(&team), Arc::clone(&running), Arc::clone(&ran));
        threads.push(thread::spawn(move || {
            let mut rng = XorShift::new(seed.wrapping_add(s as u64 + 1));
            while running.load(Ordering::SeqCst) {
                let batch = 1 + rng.below(64) as usize;
                let (tx, rx) = mpsc::channel();
                for _ in 0..batch {
                    let (tx, ran) = (tx.clone(), Arc::clone(&ran));
                    let hold = (rng.percent(20)).then(|| Duration::from_micros(rng.below(2_000)));
                    team.submit(Box::new(move || {
                        if let Some(hold) = hold {
                            thread::sleep(hold); // blocking work, not synchronisation
                        }
                        ran.fetch_add(1, Ordering::Relaxed);
                        let _ = tx.send(());
                    }))
                    .unwrap();
                }
                // Back-pressure: the batch must finish before the next one starts.
                for _ in 0..batch {
                    rx.recv().expect("a task of the batch was lost");
                }
                thread::sleep(Duration::from_micros(rng.below(5_000)));
            }
        }));
    }
    {
        let (team, running, limit) = (Arc::clone(&team), Arc::clone(&running), Arc::clone(&limit));
        threads.push(thread::spawn(move || {
            let mut rng = XorShift::new(seed ^ 0x50);
            while running.load(Ordering::SeqCst) {
                limit.store(1 + rng.below(MAX_LIMIT as u64) as usize, Ordering::SeqCst);
                team.pump().unwrap();
                if rng.percent(30) {
                    team.shrink(Some(1 + rng.below(3) as usize)).unwrap();
                }
                thread::sleep(Duration::from_millis(rng.below(50)));
            }
        }));
    }

    // The first 5 samples (or a tenth of a short run's) warm the allocator up; the baseline
    // is the highest of them.
    let warmup_samples = (secs / 10).clamp(1, 5);
    let mut samples = 0;
    let start = Instant::now();
    let mut baseline_rss = 0;
    let (mut max_rss, mut max_threads) = (0, 0);
    while start.elapsed() < Duration::from_secs(secs) {
        thread::sleep(Duration::from_secs(1)); // the sampling period
        let (rss, threads_now) = sample();
        samples += 1;
        if samples <= warmup_samples {
            baseline_rss = baseline_rss.max(rss);
        }
        max_rss = max_rss.max(rss);
        max_threads = max_threads.max(threads_now);
        println!(
            "soak: t={:>3}s rss {rss} KiB threads {threads_now} ran {}",
            start.elapsed().as_secs(),
            ran.load(Ordering::Relaxed)
        );
    }
    running.store(false, Ordering::SeqCst);
    for t in threads {
        t.join().unwrap();
    }
    team.quit().unwrap();
    factory.join_all();
    assert!(team.is_finished());
    assert_eq!(factory.live(), 0);
    let s = team.statistics();
    println!(
        "soak: {secs} s, seed {seed}: tasks ran {}, workers created {}, high water {}; \
         rss baseline {baseline_rss} KiB, max {max_rss} KiB; max threads {max_threads}",
        ran.load(Ordering::Relaxed),
        s.workers_created,
        s.high_water
    );
    // Threads: the test harness's (main + this test), submitters, controller, at most
    // MAX_LIMIT workers, and slack for a retired worker still unwinding its last item.
    let thread_bound = (2 + SUBMITTERS + 1 + MAX_LIMIT + MAX_LIMIT) as u64;
    assert!(max_threads <= thread_bound, "threads grew to {max_threads} (bound {thread_bound})");
    // Memory: steady load must not grow the heap. Slack for the allocator: 25% + 4 MiB.
    // (A leak of 8 KiB per worker thread, which unjoined exited threads once caused here,
    // grew RSS by 12 MiB in 60 s and fails this.)
    let rss_bound = baseline_rss + baseline_rss / 4 + 4 * 1024;
    assert!(max_rss <= rss_bound, "RSS grew to {max_rss} KiB (baseline {baseline_rss} KiB, bound {rss_bound} KiB)");
}

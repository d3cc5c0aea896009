//! The workloads, each written once and generic over [`Pool`].

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use crate::pool::{Pool, PoolConfig};
use crate::procfs;
use crate::sync::{poll_until, Gate, Handoff, Latch};

/// Runs `tasks` tasks on a warm pool and waits for all of them. Warm-up: `warm` tasks
/// first, so thread start-up is not counted.
fn warm_up<P: Pool>(pool: &P, warm: usize) {
    let latch = Latch::leak(warm);
    for _ in 0..warm {
        pool.submit(move || latch.count_down());
    }
    latch.wait();
}

/// Workload 1: `tasks` empty tasks (each only counts down the shared latch) submitted
/// by `submitters` threads at once; tasks per second from the start signal to the last
/// count.
pub fn throughput<P: Pool>(config: &PoolConfig, tasks: usize, submitters: usize) -> f64 {
    let pool = Arc::new(P::build(config));
    warm_up(&*pool, 1_000);
    let per = tasks / submitters;
    let total = per * submitters;
    let latch = Latch::leak(total);
    let start = Arc::new(Barrier::new(submitters + 1));
    // The clock starts when the first submitter does (the bench thread may be scheduled
    // late on a busy machine) and stops at the last task's count, not at the wake-up.
    let epoch = Instant::now();
    let first = Arc::new(AtomicU64::new(u64::MAX));
    let handles: Vec<_> = (0..submitters)
        .map(|_| {
            let pool = Arc::clone(&pool);
            let start = Arc::clone(&start);
            let first = Arc::clone(&first);
            thread::spawn(move || {
                start.wait();
                first.fetch_min(epoch.elapsed().as_nanos() as u64, Ordering::AcqRel);
                for _ in 0..per {
                    pool.submit(move || latch.count_down());
                }
            })
        })
        .collect();
    start.wait();
    let end = latch.wait();
    let elapsed = (end - epoch).saturating_sub(Duration::from_nanos(first.load(Ordering::Acquire)));
    for h in handles {
        h.join().expect("submitter");
    }
    shutdown(pool);
    total as f64 / elapsed.as_secs_f64()
}

/// Sorted samples in microseconds: (median, p99).
pub fn median_p99(mut us: Vec<f64>) -> (f64, f64) {
    us.sort_by(f64::total_cmp);
    let pick = |q: f64| us[((us.len() - 1) as f64 * q).round() as usize];
    (pick(0.5), pick(0.99))
}

/// Workload 2: `n` times, submit one task and wait until it has run (the task signals
/// a [`Handoff`]); (median, p99) in µs.
pub fn round_trip<P: Pool>(config: &PoolConfig, n: usize) -> (f64, f64) {
    round_trip_paused::<P>(config, n, Duration::ZERO)
}

/// Workload 2b: the round trip with `pause` between trips, long enough for the pool's
/// threads to have gone to sleep (parked on their condition variable, futex or signal):
/// what a submit that wakes a sleeping thread costs, where back-to-back trips may find a
/// thread still spinning for work. (median, p99) in µs.
pub fn round_trip_parked<P: Pool>(config: &PoolConfig, n: usize) -> (f64, f64) {
    round_trip_paused::<P>(config, n, Duration::from_micros(300))
}

fn round_trip_paused<P: Pool>(config: &PoolConfig, n: usize, pause: Duration) -> (f64, f64) {
    let pool = P::build(config);
    warm_up(&pool, 100);
    let handoff = Handoff::leak();
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
        let t0 = Instant::now();
        pool.submit(move || handoff.set());
        handoff.wait();
        samples.push(t0.elapsed().as_secs_f64() * 1e6);
    }
    pool.shutdown();
    median_p99(samples)
}

/// Workload 6: `n` times, run a task through the pool's own result handle and wait for
/// its value; (median, p99) in µs, or `None` when the pool has no result handle.
pub fn spawn_await<P: Pool>(config: &PoolConfig, n: usize) -> Option<(f64, f64)> {
    let pool = P::build(config);
    warm_up(&pool, 100);
    let mut samples = Vec::with_capacity(n);
    let mut sum = 0u64;
    for i in 0..n as u64 {
        let t0 = Instant::now();
        match pool.spawn_await(move || i + 1) {
            Ok(v) => sum += v,
            Err(_) => {
                pool.shutdown();
                return None;
            }
        }
        samples.push(t0.elapsed().as_secs_f64() * 1e6);
    }
    let n = n as u64;
    assert_eq!(sum, n * (n + 1) / 2, "every result came back");
    pool.shutdown();
    Some(median_p99(samples))
}

/// What the burst and the time after it showed (workloads 3 and 4).
#[derive(Clone, Copy, Debug)]
pub struct Burst {
    /// From the first submit to the last task's end, ms.
    pub wall_ms: f64,
    /// Most threads the pool had alive at once (sampled every 0.5 ms).
    pub peak_threads: usize,
    /// Pool threads alive 1 s after the burst.
    pub alive_early: usize,
    /// Pool threads alive `late` after the burst.
    pub alive_late: usize,
}

/// Samples the process's thread count from a thread of its own until stopped.
struct ThreadMonitor {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicUsize>,
    handle: thread::JoinHandle<()>,
}

impl ThreadMonitor {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicUsize::new(0));
        let (s, p) = (Arc::clone(&stop), Arc::clone(&peak));
        let handle = thread::spawn(move || {
            while !s.load(Ordering::Acquire) {
                p.fetch_max(procfs::threads(), Ordering::AcqRel);
                thread::sleep(Duration::from_micros(500));
            }
            p.fetch_max(procfs::threads(), Ordering::AcqRel);
        });
        Self { stop, peak, handle }
    }

    fn stop(self) -> usize {
        self.stop.store(true, Ordering::Release);
        self.handle.join().expect("monitor");
        self.peak.load(Ordering::Acquire)
    }
}

/// Workloads 3 and 4: `tasks` tasks that each sleep `work` on a cold pool that may grow
/// to `config.max_threads`; then the pool's threads alive 1 s and `late` after the
/// burst. Thread counts are this process's `Threads:` minus those alive before the pool
/// was built, so run it in a process of its own. `after_burst` is called as soon as the
/// burst is measured (the driver uses it to start the next process).
pub fn burst<P: Pool>(
    config: &PoolConfig,
    tasks: usize,
    work: Duration,
    late: Duration,
    after_burst: impl FnOnce(f64, usize),
) -> Burst {
    let base = procfs::threads();
    let monitor = ThreadMonitor::start();
    let pool = P::build(config);
    let latch = Latch::leak(tasks);
    let t0 = Instant::now();
    for _ in 0..tasks {
        pool.submit(move || {
            thread::sleep(work);
            latch.count_down();
        });
    }
    let end = latch.wait();
    let wall_ms = (end - t0).as_secs_f64() * 1e3;
    // The monitor thread itself is one of the threads it saw.
    let peak_threads = monitor.stop().saturating_sub(base + 1);
    after_burst(wall_ms, peak_threads);
    let alive_at = |after: Duration| {
        if let Some(wait) = (end + after).checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
        procfs::threads().saturating_sub(base)
    };
    let alive_early = alive_at(Duration::from_secs(1));
    let alive_late = alive_at(late);
    pool.shutdown();
    Burst { wall_ms, peak_threads, alive_early, alive_late }
}

/// What the memory workload showed (workload 5).
#[derive(Clone, Copy, Debug)]
pub struct Memory {
    /// Peak RSS of the process while `queued` tasks waited, MiB.
    pub peak_rss_mib: f64,
    /// Growth of the peak RSS per queued task, bytes.
    pub bytes_per_queued: f64,
}

/// Workload 5a: block every thread of a pool of `threads`, queue `queued` tasks behind
/// them, and read the peak RSS; then let them all run. Run it in a process of its own.
pub fn queued_memory<P: Pool>(threads: usize, queued: usize) -> Memory {
    let pool = P::build(&PoolConfig::fixed(threads));
    let gate: &'static Gate = Box::leak(Box::new(Gate::new()));
    let started: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
    for _ in 0..threads {
        pool.submit(move || {
            started.fetch_add(1, Ordering::AcqRel);
            gate.pass();
        });
    }
    let all_blocked = poll_until(Duration::from_secs(10), || started.load(Ordering::Acquire) == threads);
    assert!(all_blocked, "{}: not every thread took a blocker", P::NAME);
    let before = procfs::rss_kib();
    procfs::reset_peak_rss();
    let latch = Latch::leak(queued);
    for _ in 0..queued {
        pool.submit(move || latch.count_down());
    }
    let peak = procfs::peak_rss_kib().max(procfs::rss_kib());
    gate.open();
    latch.wait();
    pool.shutdown();
    Memory {
        peak_rss_mib: peak as f64 / 1024.0,
        bytes_per_queued: peak.saturating_sub(before) as f64 * 1024.0 / queued as f64,
    }
}

/// Workload 5b: grow a pool to `threads` busy threads, let them go idle, and divide the
/// RSS growth by the threads added; bytes per idle thread. Run in a process of its own.
pub fn idle_thread_memory<P: Pool>(threads: usize, keep_alive: Duration) -> (f64, usize) {
    let base_threads = procfs::threads();
    let base_rss = procfs::rss_kib();
    let pool = P::build(&PoolConfig::elastic(threads, keep_alive));
    let gate: &'static Gate = Box::leak(Box::new(Gate::new()));
    let started: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
    let latch = Latch::leak(threads);
    for _ in 0..threads {
        pool.submit(move || {
            started.fetch_add(1, Ordering::AcqRel);
            gate.pass();
            latch.count_down();
        });
    }
    // Pools that grow lazily need every blocker running to reach `threads`.
    poll_until(Duration::from_secs(10), || started.load(Ordering::Acquire) == threads);
    gate.open();
    latch.wait();
    // Let the threads settle into their idle wait.
    thread::sleep(Duration::from_millis(200));
    let added = procfs::threads().saturating_sub(base_threads);
    let grown = procfs::rss_kib().saturating_sub(base_rss);
    pool.shutdown();
    (grown as f64 * 1024.0 / added.max(1) as f64, added)
}

fn shutdown<P: Pool>(pool: Arc<P>) {
    match Arc::try_unwrap(pool) {
        Ok(pool) => pool.shutdown(),
        Err(_) => unreachable!("submitters were joined"),
    }
}

//! Fault injection on the adaptive policy's clock: a clock that jumps backwards, stalls, or
//! leaps forward while real threads submit work. The contract of `Clock` says it never
//! goes backwards; a broken one must still lose nothing, run nothing twice, and keep the
//! pool serving (pacing only ever waits longer; deadlines always lie ahead of `now`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use threadteam::{
    port::{Clock, StdSignal},
    team::ThreadTeamBuilder,
    GrowthPolicy, StdThreadFactory, Worker,
};

/// Real time plus an offset the test moves at will, or frozen.
struct FaultyClock {
    origin: Instant,
    /// Added to real time, in ns; may be negative.
    offset: std::sync::atomic::AtomicI64,
    /// When non-zero, the clock is stalled at this reading (ns).
    frozen: AtomicU64,
}

impl Clock for FaultyClock {
    fn now(&self) -> Duration {
        let frozen = self.frozen.load(Ordering::SeqCst);
        if frozen != 0 {
            return Duration::from_nanos(frozen);
        }
        let real = self.origin.elapsed().as_nanos() as i64 + 10_000_000_000; // start at 10 s
        Duration::from_nanos((real + self.offset.load(Ordering::SeqCst)).max(0) as u64)
    }
}

#[test]
fn a_clock_that_jumps_backwards_stalls_and_leaps_loses_nothing() {
    let clock = Arc::new(FaultyClock {
        origin: Instant::now(),
        offset: std::sync::atomic::AtomicI64::new(0),
        frozen: AtomicU64::new(0),
    });
    let policy = GrowthPolicy::new()
        .min(1)
        .burst(2)
        .growth_interval(Duration::from_millis(2))
        .keep_alive(Some(Duration::from_millis(5)))
        .max(Some(16));
    let pool = ThreadTeamBuilder::<_, StdSignal>::new(StdThreadFactory::new())
        .policy(policy)
        .clock(clock.clone())
        .on_failure(|_| {})
        .build()
        .expect("the timer starts");
    let team = pool.team.clone();

    const SUBMITTERS: usize = 4;
    let per_submitter = 5_000;
    let runs: Arc<Vec<AtomicUsize>> = Arc::new((0..SUBMITTERS * per_submitter).map(|_| AtomicUsize::new(0)).collect());
    let start = Arc::new(Barrier::new(SUBMITTERS + 1));
    let submitters: Vec<_> = (0..SUBMITTERS)
        .map(|s| {
            let (team, runs, start) = (team.clone(), runs.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for i in 0..per_submitter {
                    let runs = runs.clone();
                    let id = s * per_submitter + i;
                    team.submit(Box::new(move || {
                        runs[id].fetch_add(1, Ordering::SeqCst);
                        if id % 500 == 0 {
                            std::thread::sleep(Duration::from_millis(1)); // real blocking load
                        }
                    }))
                    .expect("accepted before quit");
                }
            })
        })
        .collect();
    start.wait();
    // The faults, while work flows: backwards by 5 s, a stall, a leap of an hour, backwards again.
    let mut faults = 0;
    for round in 0..40 {
        match round % 4 {
            0 => clock.offset.fetch_sub(5_000_000_000, Ordering::SeqCst),
            1 => {
                clock.frozen.store(clock.now().as_nanos() as u64, Ordering::SeqCst);
                0
            }
            2 => {
                clock.frozen.store(0, Ordering::SeqCst);
                clock.offset.fetch_add(3_600_000_000_000, Ordering::SeqCst)
            }
            _ => clock.offset.fetch_sub(3_600_000_000_000, Ordering::SeqCst),
        };
        faults += 1;
        std::thread::sleep(Duration::from_millis(2));
    }
    for s in submitters {
        s.join().unwrap();
    }
    // Leave the clock stalled: the pool must still finish everything and quit.
    clock.frozen.store(clock.now().as_nanos() as u64, Ordering::SeqCst);
    team.quit().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !team.is_finished() {
        assert!(Instant::now() < deadline, "the pool stopped serving under a faulty clock");
        std::thread::yield_now();
    }
    pool.timer.expect("a paced policy has a timer").join().unwrap();
    let ran: usize = runs.iter().map(|r| r.load(Ordering::SeqCst)).sum();
    let doubled = runs.iter().filter(|r| r.load(Ordering::SeqCst) > 1).count();
    let lost = runs.iter().filter(|r| r.load(Ordering::SeqCst) == 0).count();
    let s = team.statistics();
    println!(
        "clock faults: {faults} injected (backwards 5 s, stall, +1 h, -1 h); tasks {}, ran {ran}, lost {lost}, doubled {doubled}; workers created {}, high water {}",
        runs.len(),
        s.workers_created,
        s.high_water
    );
    assert_eq!((lost, doubled), (0, 0));
    assert!(s.high_water <= 16, "max held");
}

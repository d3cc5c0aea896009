//! The adaptive Team, deterministically: a manual clock, a memory coordinator and one
//! memory worker per Team worker, so every step (coordination, each worker's item, time)
//! is taken by the test.
#![cfg(feature = "alloc")]

use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use core::time::Duration;
use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use threadteam_core::{
    policy::ManualClock,
    port::{Clock, Signal},
    team::{Coordinate, Growable, Job, Statistics, Team, TeamBuilder},
    workers::{create_memory_worker, BoxedWork, MemoryWorker, Perform},
    GrowthPolicy, Worker,
};

type W = BoxedWork;
type Wk = Arc<MemoryWorker<Job<W>>>;
type Create = Box<dyn FnMut(&Statistics) -> Option<Wk> + Send>;
type Paced = Team<W, Wk, Arc<MemoryWorker<Coordinate<W>>>, Create, Growable>;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Counts its notifications; never blocks (nothing waits on it in these tests).
#[derive(Default)]
struct CountingSignal(AtomicUsize);

impl Signal for CountingSignal {
    fn wait(&self) {}
    fn wait_timeout(&self, _: Duration) -> bool {
        false
    }
    fn notify(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A created worker: its memory worker, its perform function, and when it was created.
struct Made {
    worker: Wk,
    perform: Perform<Job<W>>,
    at: Duration,
    live_before: usize,
    /// Made by an explicit `grow`, which is not paced.
    explicit: bool,
}

struct Rig {
    team: Arc<Paced>,
    coordinate: Perform<Coordinate<W>>,
    clock: Arc<ManualClock>,
    wake: Arc<CountingSignal>,
    made: Arc<Mutex<Vec<Made>>>,
    /// How many creations the factory still refuses (a failing spawn).
    refuse: Arc<AtomicUsize>,
    /// Set around an explicit `grow`.
    growing: Arc<AtomicBool>,
    runs: Arc<Mutex<Vec<usize>>>,
}

impl Rig {
    fn new(policy: GrowthPolicy) -> Self {
        let (coordinator, coordinate) = create_memory_worker::<Coordinate<W>>();
        let clock = Arc::new(ManualClock::new());
        let wake = Arc::new(CountingSignal::default());
        let made = Arc::new(Mutex::new(Vec::new()));
        let refuse = Arc::new(AtomicUsize::new(0));
        let growing = Arc::new(AtomicBool::new(false));
        let (m, c, r, g) = (made.clone(), clock.clone(), refuse.clone(), growing.clone());
        let create: Create = Box::new(move |stats: &Statistics| {
            if r.load(Ordering::SeqCst) > 0 {
                r.fetch_sub(1, Ordering::SeqCst);
                return None;
            }
            let (worker, perform) = create_memory_worker::<Job<W>>();
            m.lock().unwrap().push(Made {
                worker: worker.clone(),
                perform,
                at: c.now(),
                live_before: stats.workers(),
                explicit: g.load(Ordering::SeqCst),
            });
            Some(worker)
        });
        let team = TeamBuilder::new(create)
            .coordinator(coordinator)
            .on_failure(|f| panic!("unexpected failure: {f}"))
            .policy(policy)
            .shared_clock(clock.clone())
            .shared_timer(wake.clone())
            .build();
        Rig { team, coordinate, clock, wake, made, refuse, growing, runs: Arc::new(Mutex::new(Vec::new())) }
    }

    /// Submits item number `runs.len()`, which counts its executions, and coordinates.
    fn submit(&self) {
        let i = {
            let mut runs = self.runs.lock().unwrap();
            runs.push(0);
            runs.len() - 1
        };
        let runs = self.runs.clone();
        self.team.submit(Box::new(move || runs.lock().unwrap()[i] += 1)).unwrap();
        self.coordinate.perform_all();
    }

    fn tick_at(&self, t: Duration) {
        self.clock.advance_to(t);
        self.team.tick().unwrap();
        self.coordinate.perform_all();
    }

    /// Runs one pending item on every worker that has one, then coordinates the hand-backs.
    /// Returns whether anything ran.
    fn step_workers(&self) -> bool {
        let performs: Vec<_> = self.made.lock().unwrap().iter().map(|m| m.perform.clone()).collect();
        let ran = performs.iter().filter(|p| p.perform()).count();
        self.coordinate.perform_all();
        ran > 0
    }

    fn drain_workers(&self) {
        while self.step_workers() {}
    }

    fn stats(&self) -> Statistics {
        self.team.statistics()
    }

    fn created(&self) -> usize {
        self.made.lock().unwrap().len()
    }

    fn assert_each_ran_once(&self) {
        let runs = self.runs.lock().unwrap();
        assert!(runs.iter().all(|&n| n == 1), "executions per item: {runs:?}");
    }
}

fn policy() -> GrowthPolicy {
    GrowthPolicy::new().min(1).burst(3).growth_interval(ms(100)).keep_alive(Some(ms(1000)))
}

#[test]
fn grows_at_once_to_burst_then_one_per_interval_while_work_waits() {
    let rig = Rig::new(policy());
    for _ in 0..10 {
        rig.submit();
    }
    let s = rig.stats();
    assert_eq!((s.busy_workers, s.backlogged, s.workers_created), (3, 7, 3), "burst at once");
    assert_eq!(s.oldest_backlog_age, Some(ms(0)));
    assert_eq!(rig.team.next_deadline(), Some(ms(100)));
    assert!(rig.wake.0.load(Ordering::SeqCst) >= 1, "the timer is told about the first deadline");

    rig.tick_at(ms(99));
    assert_eq!(rig.created(), 3, "not before an interval");
    assert_eq!(rig.stats().oldest_backlog_age, Some(ms(99)));
    rig.tick_at(ms(100));
    assert_eq!(rig.created(), 4);
    assert_eq!(rig.team.next_deadline(), Some(ms(200)));
    // More submissions do not speed growth up.
    rig.submit();
    rig.tick_at(ms(150));
    assert_eq!(rig.created(), 4);
    rig.tick_at(ms(200));
    assert_eq!(rig.created(), 5);
    // A late tick still adds only one.
    rig.tick_at(ms(1000));
    assert_eq!(rig.created(), 6);
    let s = rig.stats();
    assert_eq!((s.busy_workers, s.backlogged), (6, 5));

    rig.drain_workers();
    let s = rig.stats();
    assert_eq!((s.idle_workers, s.busy_workers, s.backlogged, s.high_water), (6, 0, 0, 6));
    assert_eq!(s.oldest_backlog_age, None);
    rig.assert_each_ran_once();
    assert_eq!(rig.runs.lock().unwrap().len(), 11);
}

#[test]
fn idle_workers_retire_after_keep_alive_down_to_min_coldest_first() {
    let rig = Rig::new(policy());
    for _ in 0..3 {
        rig.submit();
    }
    assert_eq!(rig.created(), 3);
    // The workers go idle at 10, 20 and 30 ms.
    for (i, t) in [10, 20, 30].into_iter().enumerate() {
        rig.clock.advance_to(ms(t));
        assert!(rig.made.lock().unwrap()[i].perform.perform());
        rig.coordinate.perform_all();
    }
    assert_eq!(rig.stats().idle_workers, 3);
    assert_eq!(rig.team.next_deadline(), Some(ms(1010)), "the coldest idle worker's expiry");

    // New work goes to the most recently idled worker (number 2), so the others age.
    rig.clock.advance_to(ms(40));
    rig.submit();
    assert_eq!(rig.made.lock().unwrap()[2].worker.pending(), 1);
    rig.step_workers(); // idle again at 40 ms

    rig.tick_at(ms(1009));
    assert_eq!(rig.stats().workers_retired, 0);
    rig.tick_at(ms(1010));
    assert_eq!(rig.stats().workers_retired, 1);
    assert!(rig.made.lock().unwrap()[0].worker.is_quit(), "the coldest retires first");
    assert_eq!(rig.team.next_deadline(), Some(ms(1020)));
    rig.tick_at(ms(5000));
    let s = rig.stats();
    assert_eq!((s.idle_workers, s.workers_retired), (1, 2), "down to min, not below");
    let made = rig.made.lock().unwrap();
    assert!(made[1].worker.is_quit() && !made[2].worker.is_quit(), "the warmest worker is kept");
    drop(made);
    assert_eq!(rig.team.next_deadline(), None, "nothing left to age out: sleep until woken");
    rig.assert_each_ran_once();
}

#[test]
fn a_failed_creation_is_retried_on_the_timer() {
    let rig = Rig::new(policy());
    rig.refuse.store(1, Ordering::SeqCst);
    rig.submit();
    let s = rig.stats();
    assert_eq!((s.workers(), s.backlogged), (0, 1));
    assert_eq!(rig.team.next_deadline(), Some(ms(100)), "retried an interval later");
    rig.tick_at(ms(100));
    let s = rig.stats();
    assert_eq!((s.busy_workers, s.backlogged), (1, 0));
    rig.drain_workers();
    rig.assert_each_ran_once();
}

#[test]
fn max_is_a_safety_net() {
    let rig = Rig::new(policy().max(Some(4)));
    for _ in 0..8 {
        rig.submit();
    }
    rig.tick_at(ms(100));
    assert_eq!(rig.created(), 4);
    assert_eq!(rig.team.next_deadline(), None, "at the cap, time alone changes nothing");
    rig.tick_at(ms(10_000));
    assert_eq!(rig.created(), 4);
    rig.drain_workers();
    rig.assert_each_ran_once();
}

#[test]
fn a_new_policy_applies_at_once_and_on_the_timer() {
    let rig = Rig::new(policy().max(Some(3)));
    for _ in 0..6 {
        rig.submit();
    }
    assert_eq!((rig.created(), rig.team.next_deadline()), (3, None), "stuck at the cap");
    // Raising the cap: waiting work is served on the timer, at the usual pace.
    rig.team.set_policy(policy().max(Some(5))).unwrap();
    rig.coordinate.perform_all();
    assert_eq!(rig.team.policy(), policy().max(Some(5)));
    assert_eq!(rig.team.next_deadline(), Some(ms(100)));
    rig.tick_at(ms(100));
    rig.tick_at(ms(200));
    assert_eq!((rig.created(), rig.team.next_deadline()), (5, None));
    rig.drain_workers();
    rig.assert_each_ran_once();
    // Raising min starts workers at once; lowering it lets them age out.
    rig.team.set_policy(policy().min(7).max(None)).unwrap();
    rig.coordinate.perform_all();
    assert_eq!((rig.stats().idle_workers, rig.team.next_deadline()), (7, None));
    rig.team.set_policy(policy().min(2)).unwrap();
    rig.coordinate.perform_all();
    assert_eq!(rig.team.next_deadline(), Some(ms(1200)), "the coldest went idle at 200 ms");
    rig.tick_at(ms(1200));
    assert_eq!(rig.stats().idle_workers, 2);
}

#[test]
fn quit_serves_the_backlog_then_wakes_the_timer() {
    let rig = Rig::new(policy().min(0).burst(1));
    for _ in 0..3 {
        rig.submit();
    }
    rig.team.quit().unwrap();
    rig.coordinate.perform_all();
    let before = rig.wake.0.load(Ordering::SeqCst);
    rig.drain_workers();
    assert!(rig.team.is_finished());
    assert!(rig.wake.0.load(Ordering::SeqCst) > before, "finishing wakes the timer");
    assert_eq!(rig.team.next_deadline(), None);
    rig.assert_each_ran_once();
}

#[derive(Clone, Debug)]
enum Op {
    Submit,
    StepWorker(usize),
    Advance(u64),
    Tick,
    Shrink,
    Grow,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Submit),
        4 => (0usize..16).prop_map(Op::StepWorker),
        3 => (0u64..300).prop_map(Op::Advance),
        3 => Just(Op::Tick),
        1 => Just(Op::Shrink),
        1 => Just(Op::Grow),
    ]
}

proptest! {
    /// Any interleaving of submits, worker steps, time and ticks: nothing runs twice,
    /// nothing is lost, the cap holds, paced creations are an interval apart, and idle
    /// workers above min are always retired by their deadline.
    #[test]
    fn paced_team_loses_nothing(ops in proptest::collection::vec(op(), 1..120), min in 0usize..3, burst in 0usize..4) {
        let interval = ms(100);
        let policy = GrowthPolicy::new().min(min).burst(burst).growth_interval(interval)
            .keep_alive(Some(ms(500))).max(Some(6));
        let rig = Rig::new(policy);
        for op in ops {
            match op {
                Op::Submit => rig.submit(),
                Op::StepWorker(i) => {
                    let perform = rig.made.lock().unwrap().get(i).map(|m| m.perform.clone());
                    if let Some(p) = perform {
                        p.perform();
                        rig.coordinate.perform_all();
                    }
                }
                Op::Advance(n) => rig.clock.advance(ms(n)),
                Op::Tick => {
                    rig.tick_at(rig.clock.now());
                    // Everything due has been done: the next deadline is in the future.
                    if let Some(d) = rig.team.next_deadline() {
                        prop_assert!(d > rig.clock.now());
                    }
                }
                Op::Shrink => { rig.team.shrink(Some(1)).unwrap(); rig.coordinate.perform_all(); }
                Op::Grow => {
                    rig.growing.store(true, Ordering::SeqCst);
                    rig.team.grow(1).unwrap();
                    rig.coordinate.perform_all();
                    rig.growing.store(false, Ordering::SeqCst);
                }
            }
            let s = rig.stats();
            prop_assert!(s.workers() <= 6);
            prop_assert!(s.idle_workers == 0 || s.backlogged == 0);
        }
        // Let time run until everything is done.
        for _ in 0..200 {
            rig.drain_workers();
            match rig.team.next_deadline() {
                Some(d) => rig.tick_at(d),
                None => break,
            }
        }
        rig.drain_workers();
        let s = rig.stats();
        prop_assert_eq!(s.backlogged, 0);
        prop_assert_eq!(rig.team.next_deadline(), None);
        prop_assert_eq!(s.busy_workers, 0);
        prop_assert!(s.workers() <= min, "idle workers above min aged out");
        rig.assert_each_ran_once();
        // Paced creations (made with at least `unpaced` workers alive, not by an explicit
        // grow) came at least an interval after the previous creation.
        let made = rig.made.lock().unwrap();
        for pair in made.windows(2) {
            if !pair[1].explicit && pair[1].live_before >= min.max(burst) {
                prop_assert!(pair[1].at >= pair[0].at + interval, "creations at {:?} then {:?}", pair[0].at, pair[1].at);
            }
        }
    }
}

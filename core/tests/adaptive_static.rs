//! The adaptive Team without an allocator's types: fixed storage, a `'static` clock and
//! Team slot, function-pointer work and a function-pointer worker factory. (The test
//! itself runs under std; what it uses is the no-alloc API.)

use core::sync::atomic::{AtomicUsize, Ordering};
use core::time::Duration;
use std::sync::OnceLock;

use heapless::Deque;
use threadteam_core::{
    policy::ManualClock,
    team::{Coordinate, Fixed, Job, Statistics, Team, TeamBuilder, TeamSlot},
    workers::{FnWork, MemoryWorker},
    GrowthPolicy, Worker,
};

type Jobs = MemoryWorker<Job<FnWork>, Deque<Job<FnWork>, 16>>;
type Wk = &'static Jobs;
type Coordinator = &'static MemoryWorker<Coordinate<FnWork>, Deque<Coordinate<FnWork>, 32>>;
type StaticTeam = Team<FnWork, Wk, Coordinator, fn(&Statistics) -> Option<Wk>, Fixed<8, 4>>;

static SLOT: TeamSlot<StaticTeam> = TeamSlot::new();
static CLOCK: ManualClock = ManualClock::new();
static COORDINATOR: OnceLock<MemoryWorker<Coordinate<FnWork>, Deque<Coordinate<FnWork>, 32>>> = OnceLock::new();
static WORKERS: OnceLock<[Jobs; 4]> = OnceLock::new();
static MADE: AtomicUsize = AtomicUsize::new(0);
static RUNS: [AtomicUsize; 8] = [const { AtomicUsize::new(0) }; 8];

fn workers() -> &'static [Jobs; 4] {
    WORKERS.get_or_init(|| core::array::from_fn(|_| MemoryWorker::new()))
}

/// Hands out the next unused memory worker (a retired one has quit for good).
fn create(_: &Statistics) -> Option<Wk> {
    workers().get(MADE.fetch_add(1, Ordering::SeqCst))
}

fn count(item: usize) {
    RUNS[item].fetch_add(1, Ordering::SeqCst);
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn paced_static_team_grows_paced_and_ages_out() {
    let coordinator = COORDINATOR.get_or_init(MemoryWorker::new);
    let policy = GrowthPolicy::new().min(1).burst(2).growth_interval(ms(100)).keep_alive(Some(ms(1000))).max(Some(3));
    let team = TeamBuilder::new(create as fn(&_) -> _)
        .coordinator(coordinator)
        .policy(policy)
        .clock(&CLOCK)
        .build_static(&SLOT);
    let coordinate = || while coordinator.perform() {};

    for item in 0..5 {
        team.submit(FnWork::new(count, item)).unwrap();
    }
    coordinate();
    assert_eq!((team.statistics().busy_workers, team.statistics().backlogged), (2, 3));
    assert_eq!(team.next_deadline(), Some(ms(100)));
    CLOCK.advance(ms(100));
    team.tick().unwrap();
    coordinate();
    assert_eq!(team.statistics().busy_workers, 3);
    assert_eq!(team.next_deadline(), None, "at max");

    CLOCK.advance(ms(50));
    while workers().iter().map(|w| w.perform()).fold(false, |a, b| a | b) {
        coordinate();
    }
    coordinate();
    assert!(RUNS[..5].iter().all(|r| r.load(Ordering::SeqCst) == 1), "each item ran once");
    assert_eq!(team.statistics().idle_workers, 3);
    assert_eq!(team.next_deadline(), Some(ms(1150)));

    CLOCK.advance(ms(1000));
    team.tick().unwrap();
    coordinate();
    let s = team.statistics();
    assert_eq!((s.idle_workers, s.workers_retired), (1, 2));
    assert_eq!(team.next_deadline(), None);
}

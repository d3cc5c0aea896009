//! The no-alloc configuration: fixed capacities, `FnWork` items, a Team in a static.
//! (The test binary has std; the Team code under test is the same code a `no_std`,
//! no-`alloc` build runs, with `Fixed` storage and `&'static` workers.)

use std::sync::atomic::{AtomicUsize, Ordering};

use threadteam_core::{
    team::{Coordinate, Fixed, Job, Statistics, Team, TeamBuilder, TeamSlot},
    workers::{FnWork, MemoryWorker},
    Worker,
};

type WorkerQ = heapless::Deque<Job<FnWork>, 4>;
type CoordQ = heapless::Deque<Coordinate<FnWork>, 16>;
type Wk = &'static MemoryWorker<Job<FnWork>, WorkerQ>;
type Coord = &'static MemoryWorker<Coordinate<FnWork>, CoordQ>;
type FixedTeam = Team<FnWork, Wk, Coord, fn(&Statistics) -> Option<Wk>, Fixed<2, 2>>;

static WORKERS: [MemoryWorker<Job<FnWork>, WorkerQ>; 2] =
    [const { MemoryWorker::with_queue(heapless::Deque::new()) }; 2];
static COORDINATOR: MemoryWorker<Coordinate<FnWork>, CoordQ> = MemoryWorker::with_queue(heapless::Deque::new());
static SLOT: TeamSlot<FixedTeam> = TeamSlot::new();
static RAN: AtomicUsize = AtomicUsize::new(0);

fn create(stats: &Statistics) -> Option<Wk> {
    WORKERS.get(stats.workers_created as usize)
}

fn count(n: usize) {
    RAN.fetch_add(n, Ordering::SeqCst);
}

fn settle() {
    loop {
        let mut progress = false;
        while COORDINATOR.perform() {
            progress = true;
        }
        for w in &WORKERS {
            while w.perform() {
                progress = true;
            }
        }
        if !progress {
            return;
        }
    }
}

#[test]
fn a_static_team_with_fixed_capacities_runs_and_hands_back_a_full_backlog() {
    let team = TeamBuilder::new(create as fn(&Statistics) -> Option<Wk>).coordinator(&COORDINATOR).build_static(&SLOT);
    // Two workers exist at most; hold them busy so work backlogs.
    team.grow(2).unwrap();
    settle();
    assert_eq!(team.statistics().idle_workers, 2);
    // Capacity counts work accepted and not yet dispatched, including work still waiting
    // for the coordinator: two items fill it until they are coordinated onto the workers.
    team.submit(FnWork::new(count, 1)).unwrap();
    team.submit(FnWork::new(count, 2)).unwrap();
    assert!(team.submit(FnWork::new(count, 100)).unwrap_err().is_backlog_full());
    while COORDINATOR.perform() {}
    team.submit(FnWork::new(count, 4)).unwrap();
    team.submit(FnWork::new(count, 8)).unwrap();
    let refused = team.submit(FnWork::new(count, 100)).unwrap_err();
    assert!(refused.is_backlog_full(), "a full backlog hands the work back");
    while COORDINATOR.perform() {}
    let s = team.statistics();
    assert_eq!((s.idle_workers, s.busy_workers, s.backlogged), (0, 2, 2));
    assert!(team.submit(FnWork::new(count, 100)).unwrap_err().is_backlog_full());
    settle();
    assert_eq!(RAN.load(Ordering::SeqCst), 0b1111, "every accepted item ran once");
    // Room again: the refused item is accepted now.
    team.submit(refused.into_inner()).unwrap();
    team.quit().unwrap();
    settle();
    assert_eq!(RAN.load(Ordering::SeqCst), 0b1111 + 100);
    assert!(team.is_finished());
    assert!(WORKERS.iter().all(MemoryWorker::is_quit));
}

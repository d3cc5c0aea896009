//! The minimal no-alloc Team that issue 15 measured: `Fixed<8, 2>` storage, two static
//! memory workers, a `CriticalSectionLock` coordinator, a few `FnWork` submits and performs
//! (so nothing is optimised away). Prints the size of its `TeamSlot`; `.ci/firmware.sh`
//! compares its sections with `empty`'s.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicUsize, Ordering};

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use threadteam_core::{
    port::CriticalSectionLock,
    team::{Coordinate, Fixed, Job, Statistics, Team, TeamBuilder, TeamSlot},
    workers::{FnWork, LockWorker, MemoryWorker},
    Worker,
};
use threadteam_firmware::{finish, BOARD};

// One slot: a Team gives a worker one item at a time.
type Inbox = heapless::Deque<Job<FnWork>, 1>;
type Wk = &'static MemoryWorker<Job<FnWork>, Inbox>;
type Coord = LockWorker<Coordinate<FnWork>, CriticalSectionLock, heapless::Deque<Coordinate<FnWork>, 8>>;
type SmallTeam = Team<FnWork, Wk, Coord, fn(&Statistics) -> Option<Wk>, Fixed<8, 2>>;

static WORKERS: [MemoryWorker<Job<FnWork>, Inbox>; 2] = [const { MemoryWorker::with_queue(heapless::Deque::new()) }; 2];
static SLOT: TeamSlot<SmallTeam> = TeamSlot::new();
static RAN: AtomicUsize = AtomicUsize::new(0);

fn create(stats: &Statistics) -> Option<Wk> {
    WORKERS.get(stats.workers_created as usize)
}

fn count(n: usize) {
    // Load and store only: thumbv6m has no read-modify-write atomics, and only `main` runs work.
    RAN.store(RAN.load(Ordering::Relaxed) + n, Ordering::Relaxed);
}

#[entry]
fn main() -> ! {
    let team = TeamBuilder::new(create as fn(&_) -> _)
        .coordinator(LockWorker::with_queue(CriticalSectionLock::new(), heapless::Deque::new()))
        .build_static(&SLOT);
    for n in 1..=3 {
        let _ = team.submit(FnWork::new(count, n));
    }
    for worker in &WORKERS {
        while worker.perform() {}
    }
    let _ = team.quit();
    for worker in &WORKERS {
        while worker.perform() {}
    }
    let ran = RAN.load(Ordering::Relaxed);
    hprintln!("{} {}: team_slot={} B ran={}", "footprint", BOARD, core::mem::size_of::<TeamSlot<SmallTeam>>(), ran);
    finish(ran == 6 && team.is_finished())
}

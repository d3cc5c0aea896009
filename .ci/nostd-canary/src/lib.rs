//! Proof that threadteam-core builds and links with neither `std` nor `alloc`: a Team in
//! a static, fixed capacities, function-pointer work, memory workers.
#![no_std]

use core::panic::PanicInfo;
use core::sync::atomic::{AtomicUsize, Ordering};

use threadteam_core::{team::{Coordinate, Fixed, Job, Statistics, Team, TeamBuilder, TeamSlot}, port::CriticalSectionLock, workers::{FnWork, LockWorker, MemoryWorker}, Worker};

type Inbox = heapless::Deque<Job<FnWork>, 4>;
type Wk = &'static MemoryWorker<Job<FnWork>, Inbox>;
type Coord = LockWorker<Coordinate<FnWork>, CriticalSectionLock, heapless::Deque<Coordinate<FnWork>, 8>>;
type CanaryTeam = Team<FnWork, Wk, Coord, fn(&Statistics) -> Option<Wk>, Fixed<8, 2>>;

static WORKERS: [MemoryWorker<Job<FnWork>, Inbox>; 2] = [const { MemoryWorker::with_queue(heapless::Deque::new()) }; 2];
static SLOT: TeamSlot<CanaryTeam> = TeamSlot::new();
static RAN: AtomicUsize = AtomicUsize::new(0);

fn create(stats: &Statistics) -> Option<Wk> {
    WORKERS.get(stats.workers_created as usize)
}

fn count(n: usize) {
    RAN.fetch_add(n, Ordering::Relaxed);
}

/// Runs a few items through a static Team and returns how many ran.
#[no_mangle]
pub extern "C" fn threadteam_canary() -> usize {
    let team = TeamBuilder::new(create as fn(&Statistics) -> Option<Wk>)
        .coordinator(LockWorker::with_queue(CriticalSectionLock::new(), heapless::Deque::new()))
        .build_static(&SLOT);
    for _ in 0..3 {
        let _ = team.submit(FnWork::new(count, 1));
    }
    for worker in &WORKERS {
        while worker.perform() {}
    }
    let _ = team.quit();
    RAN.load(Ordering::Relaxed)
}

#[panic_handler]
fn panic(_: &PanicInfo<'_>) -> ! {
    loop {}
}

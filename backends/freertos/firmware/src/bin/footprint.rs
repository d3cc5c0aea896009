//! The smallest useful FreeRTOS pool, for the flash figures (`.ci/freertos-firmware.sh`
//! subtracts `empty`):
//!
//! - no-alloc: a `Fixed<8, 2>` Team of two static `TaskWorker`s under a `FreeRtosLock`
//!   coordinator, in a static `TeamSlot`, running `FnWork`;
//! - alloc: `pool()`, at most two `ThreadWorker` tasks from the FreeRTOS heap, running boxed
//!   closures.
//!
//! One task submits four items, waits for them, quits the Team and ends the run.
#![no_std]
#![no_main]

#[cfg(feature = "alloc")]
extern crate alloc;

use core::sync::atomic::{AtomicUsize, Ordering};

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use threadteam_core::{workers::FnWork, Worker};
use threadteam_freertos::{kernel, TaskWorker};
use threadteam_freertos_firmware::{finish, BOARD};

static RAN: AtomicUsize = AtomicUsize::new(0);

fn item(n: usize) {
    RAN.fetch_add(n, Ordering::Relaxed);
}

#[cfg(not(feature = "alloc"))]
mod pool {
    use threadteam_core::{
        team::{Coordinate, Fixed, Job, Statistics, Team, TeamBuilder, TeamSlot},
        workers::{FnWork, LockWorker},
    };
    use threadteam_freertos::{FreeRtosLock, TaskWorker};

    type Wk = &'static TaskWorker<Job<FnWork>, 1>;
    type Coord = LockWorker<Coordinate<FnWork>, FreeRtosLock, heapless::Deque<Coordinate<FnWork>, 8>>;
    pub type Pool = Team<FnWork, Wk, Coord, fn(&Statistics) -> Option<Wk>, Fixed<8, 2>>;

    static WORKERS: [TaskWorker<Job<FnWork>, 1>; 2] = [const { TaskWorker::new() }; 2];
    static SLOT: TeamSlot<Pool> = TeamSlot::new();

    fn create(_: &Statistics) -> Option<Wk> {
        WORKERS.iter().find(|w| !w.is_started())?.start("worker", 1).ok()
    }

    pub fn new() -> &'static Pool {
        TeamBuilder::new(create as fn(&Statistics) -> Option<Wk>)
            .coordinator(LockWorker::with_queue(FreeRtosLock::new(), heapless::Deque::new()))
            .build_static(&SLOT)
    }

    pub fn work(n: usize) -> FnWork {
        FnWork::new(super::item, n)
    }

    pub const STATIC_BYTES: usize =
        core::mem::size_of::<TeamSlot<Pool>>() + core::mem::size_of::<[TaskWorker<Job<FnWork>, 1>; 2]>();
}

#[cfg(feature = "alloc")]
mod pool {
    use alloc::boxed::Box;
    use alloc::sync::Arc;

    use threadteam_core::workers::BoxedWork;
    use threadteam_freertos::{pool, FreeRtosPool, FreeRtosThreadFactory};

    pub fn new() -> Arc<FreeRtosPool> {
        pool(|| 2, FreeRtosThreadFactory::new("worker", 512, 1), |_| ())
    }

    pub fn work(n: usize) -> BoxedWork {
        Box::new(move || super::item(n))
    }

    pub const STATIC_BYTES: usize = 0;
}

fn run(_: usize) {
    let team = pool::new();
    for n in 1..=4 {
        team.submit(pool::work(n)).unwrap();
    }
    while RAN.load(Ordering::Relaxed) != 1 + 2 + 3 + 4 {
        kernel::delay(1);
    }
    team.quit().unwrap();
    while !team.is_finished() {
        kernel::delay(1);
    }
    hprintln!("{} {}: PASS static_bytes={}", "footprint", BOARD, pool::STATIC_BYTES);
    finish(true)
}

#[entry]
fn main() -> ! {
    // 4 KiB: `build_static` builds the Team (1 KiB here) on this task's stack before it
    // moves it into its slot, on top of the submit path and the formatting of the last line.
    static MAIN: TaskWorker<FnWork, 1, 1024> = TaskWorker::new();
    MAIN.start("main", 2).unwrap().submit(FnWork::new(run, 0)).unwrap();
    kernel::start_scheduler()
}

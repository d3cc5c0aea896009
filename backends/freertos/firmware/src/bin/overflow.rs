//! A task that overflows its stack must stop the program with the task's name, not corrupt
//! memory silently: `.ci/freertos-firmware.sh` expects this run to fail with
//! "FreeRTOS task 'deep' overflowed its stack".
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use threadteam_core::{workers::FnWork, Worker};
use threadteam_freertos::{kernel, TaskWorker};
use threadteam_freertos_firmware::{finish, BOARD};

/// 1 KiB of stack, with room below it (stacks grow down) so that the overflow lands in a
/// guard, not in other data.
#[repr(C)]
struct Guarded {
    guard: [u8; 2048],
    task: TaskWorker<FnWork, 1, 256>,
}

static DEEP: Guarded = Guarded { guard: [0; 2048], task: TaskWorker::new() };

/// Uses about 1.5 KiB of stack, then lets the kernel switch tasks.
fn deep(_: usize) {
    let mut buffer = [0_u8; 1536];
    for (i, b) in buffer.iter_mut().enumerate() {
        *b = i as u8;
    }
    core::hint::black_box(&mut buffer);
    kernel::delay(1);
    hprintln!("overflow {}: FAIL: the overflow went unnoticed", BOARD);
    finish(false)
}

#[entry]
fn main() -> ! {
    let _ = &DEEP.guard;
    DEEP.task.start("deep", 1).unwrap().submit(FnWork::new(deep, 0)).unwrap();
    kernel::start_scheduler()
}

//! An empty FreeRTOS program, the baseline of the flash figures: the kernel (port, idle
//! task, no other task), this crate's glue and the firmware harness; the first tick prints
//! the same line as `footprint` (so that both carry the same formatting code) and ends the
//! run.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use threadteam_freertos::kernel;
use threadteam_freertos_firmware::{finish, BOARD};

fn first_tick() {
    let bytes = core::hint::black_box(0_usize);
    hprintln!("{} {}: PASS static_bytes={}", "empty", BOARD, bytes);
    finish(true)
}

#[entry]
fn main() -> ! {
    kernel::set_tick_hook(Some(first_tick));
    kernel::start_scheduler()
}

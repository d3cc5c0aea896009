//! The footprint baseline: a bare cortex-m-rt program whose entry prints one line and exits
//! through semihosting, with the same shared handlers and the same print as `footprint`, so
//! that `footprint` minus `empty` is the Team alone.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use threadteam_firmware::{finish, BOARD};

#[entry]
fn main() -> ! {
    let (slot, ran) = core::hint::black_box((0usize, 0usize));
    hprintln!("{} {}: team_slot={} B ran={}", "empty", BOARD, slot, ran);
    finish(true)
}

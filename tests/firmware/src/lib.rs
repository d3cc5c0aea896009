//! What every firmware binary here shares: a run ends through semihosting with QEMU's exit
//! status, and a panic, a HardFault or an unexpected interrupt fails the run at once
//! instead of hanging it.
//!
//! Each binary links this crate (`use threadteam_firmware as _;`) so that `empty` and
//! `footprint` carry the same handlers and the same semihosting calls: their size
//! difference is the Team alone.
#![no_std]

use core::panic::PanicInfo;

use cortex_m_rt::{exception, ExceptionFrame};
use cortex_m_semihosting::{debug, hprintln};

/// The QEMU board the binary was built for (`lm3s6965evb` or `microbit`), from `build.rs`.
pub const BOARD: &str = env!("FIRMWARE_BOARD");

/// Ends the run: QEMU exits with status 0 if `passed`, 1 otherwise.
pub fn finish(passed: bool) -> ! {
    debug::exit(if passed { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    // Only reached without a semihosting host; nothing else is left to do.
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    cortex_m::interrupt::disable();
    #[cfg(not(feature = "terse-panic"))]
    hprintln!("FAIL: panic on {}: {}", BOARD, info);
    #[cfg(feature = "terse-panic")]
    {
        let _ = info;
        hprintln!("FAIL: panic on {}", BOARD);
    }
    finish(false)
}

// `unsafe fn`: cortex-m-rt requires the HardFault handler to be declared unsafe (the
// hardware calls it, never Rust code); its body does nothing unsafe.
#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    hprintln!(
        "FAIL: HardFault on {}: pc={:#010x} lr={:#010x} xpsr={:#010x}",
        BOARD,
        frame.pc(),
        frame.lr(),
        frame.xpsr()
    );
    finish(false)
}

// `unsafe fn`: required by cortex-m-rt for the default handler, as for HardFault.
#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    hprintln!("FAIL: unexpected exception or interrupt {} on {}", irqn, BOARD);
    finish(false)
}

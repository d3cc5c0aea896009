//! What every firmware binary here shares: the run's verdict through semihosting (QEMU's exit
//! status), handlers that fail the run at once on a panic, a HardFault or an unexpected
//! interrupt, the CMSDK timer whose interrupt feeds Teams, and the checks and helper tasks of
//! the scenarios.
//!
//! With the `alloc` feature the FreeRTOS heap is the global allocator; without it there is
//! none anywhere in the program.
#![no_std]

use core::fmt::Arguments;
use core::panic::PanicInfo;
use core::ptr;
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use cortex_m_rt::{exception, ExceptionFrame};
use cortex_m_semihosting::{debug, hprintln};
use threadteam_core::{workers::FnWork, Worker};
use threadteam_freertos::{kernel, TaskWorker};

/// The QEMU board the binary was built for (`mps2-an385` or `mps2-an386`), from `build.rs`.
pub const BOARD: &str = env!("FIRMWARE_BOARD");

/// The FreeRTOS heap (heap_4, 48 KiB) as Rust's allocator, in the alloc configuration.
#[cfg(feature = "alloc")]
#[global_allocator]
static HEAP: threadteam_freertos::freertos_next::FreeRtosAllocator =
    threadteam_freertos::freertos_next::FreeRtosAllocator;

// Task priorities (0 is the idle task's; the kernel is built with 8 levels).
/// The workers' priority.
pub const LOW: u8 = 1;
/// The controller's and the secondary submitters' priority.
pub const MID: u8 = 2;
/// A coordinator task's and timer tasks' priority.
pub const HIGH: u8 = 3;
/// The flooding submitter's priority.
pub const TOP: u8 = 4;

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
    hprintln!("FAIL: panic on {}: {}", BOARD, info);
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

/// The CMSDK APB timer 0's interrupt on the MPS2 boards.
const TIMER0_IRQ: i16 = 8;

// Every interrupt lands here (cortex-m-rt's table without a device crate); only the timer's
// is expected. `unsafe fn`: required by cortex-m-rt for the default handler.
#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    if irqn == TIMER0_IRQ {
        timer::interrupt();
        return;
    }
    hprintln!("FAIL: unexpected exception or interrupt {} on {}", irqn, BOARD);
    finish(false)
}

/// CMSDK APB timer 0 (at `0x4000_0000`, clocked at 25 MHz on QEMU's MPS2 boards): an
/// interrupt source asynchronous to the FreeRTOS tick, at a priority that may call FreeRTOS.
pub mod timer {
    use super::*;

    const BASE: usize = 0x4000_0000;
    const CTRL: *mut u32 = BASE as *mut u32;
    const VALUE: *mut u32 = (BASE + 0x04) as *mut u32;
    const RELOAD: *mut u32 = (BASE + 0x08) as *mut u32;
    const INTCLEAR: *mut u32 = (BASE + 0x0c) as *mut u32;
    const CTRL_ENABLE: u32 = 1;
    const CTRL_IRQ_ENABLE: u32 = 1 << 3;
    const NVIC_ISER0: *mut u32 = 0xe000_e100 as *mut u32;
    const NVIC_ICER0: *mut u32 = 0xe000_e180 as *mut u32;
    const NVIC_IPR: *mut u8 = 0xe000_e400 as *mut u8;
    /// NVIC priority of the timer's interrupt: numerically above FreeRTOS's
    /// configMAX_SYSCALL_INTERRUPT_PRIORITY (0xa0), so it may call the FromISR API, and
    /// masked by FreeRTOS's critical sections.
    pub const PRIORITY: u8 = 0xc0;
    /// Periods between interrupts: 100-300 us (2,500-7,500 cycles), varied at each one so
    /// that interrupts land at ever different points of the tasks' code.
    const PERIOD_MIN: u32 = 2_500;
    const PERIOD_SPREAD: u32 = 5_000;

    static HOOK: AtomicPtr<()> = AtomicPtr::new(ptr::null_mut());
    static SEED: AtomicU32 = AtomicU32::new(0x2545_f491);
    static COUNT: AtomicU32 = AtomicU32::new(0);

    /// Starts the timer: `hook` runs in its interrupt handler until [`stop`].
    pub fn start(hook: fn()) {
        HOOK.store(hook as *mut (), Ordering::Release);
        // SAFETY: the MPS2 boards' timer 0 and NVIC registers, written by one task at a time
        // (the scenarios' controller); the interrupt is enabled last.
        unsafe {
            ptr::write_volatile(CTRL, 0);
            ptr::write_volatile(RELOAD, PERIOD_MIN);
            ptr::write_volatile(VALUE, PERIOD_MIN);
            ptr::write_volatile(INTCLEAR, 1);
            ptr::write_volatile(NVIC_IPR.add(TIMER0_IRQ as usize), PRIORITY);
            ptr::write_volatile(NVIC_ISER0, 1 << TIMER0_IRQ);
            ptr::write_volatile(CTRL, CTRL_ENABLE | CTRL_IRQ_ENABLE);
        }
    }

    /// Stops the timer and its interrupt; the hook runs no more once this returns.
    pub fn stop() {
        // SAFETY: as in `start`. Disabling in the NVIC (with the barriers) means no handler
        // is running or pending after this.
        unsafe {
            ptr::write_volatile(CTRL, 0);
            ptr::write_volatile(NVIC_ICER0, 1 << TIMER0_IRQ);
        }
        cortex_m::asm::dsb();
        cortex_m::asm::isb();
        HOOK.store(ptr::null_mut(), Ordering::Release);
    }

    /// Interrupts taken so far.
    pub fn count() -> u32 {
        COUNT.load(Ordering::Relaxed)
    }

    pub(crate) fn interrupt() {
        // SAFETY: the timer's registers; only this handler writes them while it runs.
        unsafe { ptr::write_volatile(INTCLEAR, 1) };
        // xorshift32: a different period each time.
        let mut x = SEED.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        SEED.store(x, Ordering::Relaxed);
        // SAFETY: as above; the new reload applies from the next period.
        unsafe { ptr::write_volatile(RELOAD, PERIOD_MIN + x % PERIOD_SPREAD) };
        COUNT.fetch_add(1, Ordering::Relaxed);
        let hook = HOOK.load(Ordering::Acquire);
        if !hook.is_null() {
            // SAFETY: `start` stored a `fn()` here; function and data pointers have the same
            // size on Arm.
            let hook: fn() = unsafe { core::mem::transmute::<*mut (), fn()>(hook) };
            hook();
        }
    }
}

static PASSED: AtomicU32 = AtomicU32::new(0);
static FAILED: AtomicU32 = AtomicU32::new(0);

/// Records one check and prints it.
pub fn check(name: &str, ok: bool, detail: Arguments<'_>) {
    if ok {
        PASSED.fetch_add(1, Ordering::Relaxed);
        hprintln!("  ok   {}: {}", name, detail);
    } else {
        FAILED.fetch_add(1, Ordering::Relaxed);
        hprintln!("  FAIL {}: {}", name, detail);
    }
}

/// Prints a measured figure in a form `.ci/freertos-firmware.sh` collects.
pub fn figure(args: Arguments<'_>) {
    hprintln!("FIGURE {}", args);
}

/// Ends the run with the verdict line the CI script looks for.
pub fn verdict(binary: &str) -> ! {
    let (p, f) = (PASSED.load(Ordering::Relaxed), FAILED.load(Ordering::Relaxed));
    let status = if f == 0 && p > 0 { "PASS" } else { "FAIL" };
    hprintln!("{} {}: {} ({} passed, {} failed, {} ticks)", binary, BOARD, status, p, f, kernel::tick_count());
    finish(f == 0 && p > 0)
}

/// Waits, a tick at a time, until `cond` holds or `limit` ticks pass; whether it held.
pub fn wait_until(limit: u32, mut cond: impl FnMut() -> bool) -> bool {
    let t0 = kernel::tick_count();
    loop {
        if cond() {
            return true;
        }
        if kernel::tick_count().wrapping_sub(t0) > limit {
            return cond();
        }
        kernel::delay(1);
    }
}

/// The scenarios' controller: runs `main` in a task at `priority` with a 4 KiB stack
/// (formatting output needs it), after the scheduler starts.
pub fn run_controller(priority: u8, main: fn(usize)) -> ! {
    static CONTROLLER: TaskWorker<FnWork, 1, 1024> = TaskWorker::new();
    CONTROLLER.start("controller", priority).expect("start the controller");
    CONTROLLER.submit(FnWork::new(main, 0)).expect("hand the controller its work");
    kernel::start_scheduler()
}

/// A task that runs one `FnWork` and ends: submitters, timers and other helpers.
pub type Helper = TaskWorker<FnWork, 1>;
static HELPERS: [Helper; 8] = [const { TaskWorker::new() }; 8];

/// Runs `f(arg)` in a new static task at `priority`; the task ends (and is deleted) after it.
///
/// # Panics
/// When every helper has been used (each starts one task, once).
pub fn in_task(name: &str, priority: u8, f: fn(usize), arg: usize) -> &'static Helper {
    let helper = HELPERS.iter().find(|h| !h.is_started()).expect("a helper task left");
    let helper = helper.start(name, priority).expect("start a helper task");
    helper.submit(FnWork::new(f, arg)).expect("hand the helper its work");
    helper.quit().expect("quit the helper after its work");
    helper
}

/// The helpers started so far, for their stack figures.
pub fn helpers() -> impl Iterator<Item = &'static Helper> {
    HELPERS.iter().filter(|h| h.is_started())
}

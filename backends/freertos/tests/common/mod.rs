//! Shared by the FreeRTOS test binaries (`harness = false`: the scheduler owns the process).
//!
//! Rules kept here: every FreeRTOS call is made from a FreeRTOS task (or the tick hook, the
//! host's one interrupt handler); only the controller task prints (stdout's lock is a pthread
//! lock the scheduler cannot see). Only this crate's own API is used, so that the no-alloc
//! binary runs without any allocation once the scheduler has started.

#![allow(dead_code)] // each binary uses a different part

use core::fmt::Display;
use core::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::OnceLock;
use std::time::Instant;

use threadteam_core::{workers::FnWork, Worker};
use threadteam_freertos::{kernel, TaskWorker};

/// Task priorities (0 is the idle task's; the build configures 8 levels).
pub const LOW: u8 = 1;
pub const MID: u8 = 2;
pub const HIGH: u8 = 3;
pub const TOP: u8 = 4;
/// Words of a test task's FreeRTOS stack. On the POSIX host port only the port's thread
/// bookkeeping lives there (code runs on the pthread's stack).
pub const STACK: u32 = 1024;
/// A hang fails the run instead of stalling CI.
const WATCHDOG_SECS: u64 = 30;

static PASSED: AtomicU32 = AtomicU32::new(0);
static FAILED: AtomicU32 = AtomicU32::new(0);

/// Records one check.
pub fn check(name: &str, ok: bool, detail: impl Display) {
    if ok {
        PASSED.fetch_add(1, SeqCst);
        println!("  ok   {name}: {detail}");
    } else {
        FAILED.fetch_add(1, SeqCst);
        println!("  FAIL {name}: {detail}");
    }
}

/// Whether threadteam-core was built with `std`. `cargo test --workspace` builds it so
/// (Cargo unifies features across the packages it builds, and the facade's and the std
/// backend's need `std`); its short internal sections are then not critical sections, which
/// FreeRTOS tasks of different priorities and interrupt handlers must not share.
const CORE_HAS_STD: bool = !threadteam_core::CRITICAL_SECTIONS;

/// The controller: a static task (no allocation) that runs the scenarios.
static CONTROLLER: TaskWorker<FnWork, 1> = TaskWorker::new();
static MAIN: OnceLock<(&'static str, fn(), Instant)> = OnceLock::new();

fn controller_main(_: usize) {
    let (binary, controller, started) = *MAIN.get().unwrap();
    controller();
    let (p, f) = (PASSED.load(SeqCst), FAILED.load(SeqCst));
    println!(
        "{binary}: {p} passed, {f} failed ({} ms wall, {} ticks)",
        started.elapsed().as_millis(),
        kernel::tick_count()
    );
    std::process::exit(i32::from(f != 0));
}

/// Starts the scheduler with `controller` run by the first task (at [`MID`]); it runs the
/// tests, then the process exits with the verdict. `before_start` runs last before the
/// scheduler starts (the no-alloc test arms its allocator there).
pub fn run(binary: &'static str, controller: fn(), before_start: fn()) -> ! {
    if CORE_HAS_STD {
        println!(
            "{binary}: SKIPPED: threadteam-core was built with `std` (feature unification in a workspace build); \
             run `cargo test -p threadteam-freertos` (as .ci/test does)"
        );
        std::process::exit(0);
    }
    println!("{binary}: FreeRTOS V11.2.0, POSIX port");
    MAIN.set((binary, controller, Instant::now())).unwrap();
    std::thread::spawn(move || {
        std::thread::sleep(core::time::Duration::from_secs(WATCHDOG_SECS));
        eprintln!("{binary}: WATCHDOG: no verdict after {WATCHDOG_SECS} s, something hung");
        std::process::exit(2);
    });
    CONTROLLER.start("controller", MID).expect("create the controller task");
    CONTROLLER.submit(FnWork::new(controller_main, 0)).unwrap();
    before_start();
    kernel::start_scheduler()
}

/// Waits, a tick at a time, until `cond` holds or `limit` ticks pass; whether it held.
/// Delaying (not spinning) lets tasks of every priority run.
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

/// The tasks alive between scenarios: the idle task and the controller (timers are off).
pub const BASE_TASKS: usize = 2;

/// Waits until the tasks of earlier scenarios are gone (cleaned up by the idle task) and
/// returns [`BASE_TASKS`]; a scenario counts its own tasks from there.
pub fn settled_tasks() -> usize {
    let settled = wait_until(5_000, || kernel::task_count() == BASE_TASKS);
    // The idle task counts a task gone just before it frees its memory: let it finish.
    kernel::delay(2);
    check("earlier tasks are gone", settled, format_args!("{} tasks alive", kernel::task_count()));
    BASE_TASKS
}

/// Runs one scenario, printing its name and how long it took in ticks.
pub fn scenario(name: &str, f: fn()) {
    println!("{name}:");
    let t0 = kernel::tick_count();
    f();
    println!("  ({} ticks)", kernel::tick_count().wrapping_sub(t0));
}

/// Tasks alive. A task that returned counts until the idle task cleans it up, so compare
/// through [`wait_until`].
pub fn tasks() -> usize {
    kernel::task_count()
}

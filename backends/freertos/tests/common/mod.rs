//! Shared by the FreeRTOS test binaries (`harness = false`: the scheduler owns the process).
//!
//! Rules kept here: every FreeRTOS call is made from a FreeRTOS task; only the controller
//! task prints (stdout's lock is a pthread lock the scheduler cannot see); every task that
//! touches a Team runs at the same priority, `PRIO`.

#![allow(dead_code)] // each binary uses a different part

use core::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::Instant;

use threadteam_freertos::freertos_next::{CurrentTask, Duration, FreeRtosUtils};
use threadteam_freertos::spawn;

/// The one priority of the controller, submitters and workers.
pub const PRIO: u8 = 2;
/// Words; only the port's bookkeeping lives there on the POSIX host (code runs on the
/// pthread's stack), so the minimum the build configures is plenty.
pub const STACK: u32 = 4096;
/// A hang fails the run instead of stalling CI.
const WATCHDOG_SECS: u64 = 30;

static PASSED: AtomicU32 = AtomicU32::new(0);
static FAILED: AtomicU32 = AtomicU32::new(0);

/// Records one check.
pub fn check(name: &str, ok: bool, detail: impl core::fmt::Display) {
    if ok {
        PASSED.fetch_add(1, SeqCst);
        println!("  ok   {name}: {detail}");
    } else {
        FAILED.fetch_add(1, SeqCst);
        println!("  FAIL {name}: {detail}");
    }
}

/// Starts the scheduler with `controller` as the first task; it runs the tests, then the
/// process exits with the verdict.
pub fn run(binary: &'static str, controller: fn()) -> ! {
    let started = Instant::now();
    std::thread::spawn(move || {
        std::thread::sleep(core::time::Duration::from_secs(WATCHDOG_SECS));
        eprintln!("{binary}: WATCHDOG: no verdict after {WATCHDOG_SECS} s, something hung");
        std::process::exit(2);
    });
    spawn("controller", STACK, PRIO, move || {
        controller();
        let (p, f) = (PASSED.load(SeqCst), FAILED.load(SeqCst));
        println!(
            "{binary}: {p} passed, {f} failed ({} ms wall, {} ticks)",
            started.elapsed().as_millis(),
            FreeRtosUtils::get_tick_count()
        );
        std::process::exit(i32::from(f != 0));
    })
    .expect("create the controller task");
    FreeRtosUtils::start_scheduler()
}

/// Waits, a tick at a time, until `cond` holds or `limit` ticks pass; whether it held.
/// Delaying (not spinning) lets tasks of our priority and the idle task run.
pub fn wait_until(limit: u32, mut cond: impl FnMut() -> bool) -> bool {
    let t0 = FreeRtosUtils::get_tick_count();
    loop {
        if cond() {
            return true;
        }
        if FreeRtosUtils::get_tick_count().wrapping_sub(t0) > limit {
            return cond();
        }
        CurrentTask::delay(Duration::ticks(1));
    }
}

/// The tasks alive between scenarios: the idle task and the controller (timers are off).
pub const BASE_TASKS: usize = 2;

/// Waits until the tasks of earlier scenarios are gone (freed by the idle task) and
/// returns [`BASE_TASKS`]; a scenario counts its own tasks from there.
pub fn settled_tasks() -> usize {
    let settled = wait_until(5_000, || tasks() == BASE_TASKS);
    check("earlier tasks are gone", settled, format!("{} tasks alive", tasks()));
    BASE_TASKS
}

/// Runs one scenario, printing its name and how long it took in ticks.
pub fn scenario(name: &str, f: fn()) {
    println!("{name}:");
    let t0 = FreeRtosUtils::get_tick_count();
    f();
    println!("  ({} ticks)", FreeRtosUtils::get_tick_count().wrapping_sub(t0));
}

/// Tasks alive. A task that returned counts until the idle task frees it, so compare
/// through [`wait_until`].
pub fn tasks() -> usize {
    FreeRtosUtils::get_number_of_tasks()
}

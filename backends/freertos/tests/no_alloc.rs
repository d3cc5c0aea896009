//! The no-alloc configuration on a real FreeRTOS kernel (POSIX port): threadteam-core without
//! `alloc`, a kernel without a heap (`configSUPPORT_DYNAMIC_ALLOCATION 0`), every task,
//! mutex and semaphore in static memory, Teams in static `TeamSlot`s with `Fixed`
//! capacities, work as `FnWork` or a user enum.
//!
//! Run it as CI does, so that core's `alloc` feature is really off:
//! `cargo test -p threadteam-freertos --no-default-features --features critical-section-impl --test no_alloc`
//! (`cargo tree -p threadteam-freertos --no-default-features -e features -i threadteam-core`
//! shows no feature). The test binary itself has std (it is the host), but its global
//! allocator **aborts the process on any Rust heap allocation once the scheduler starts**:
//! everything below, every task, Team, lock and interrupt feed, runs without one.
//!
//! Tasks run at different priorities, and the tick hook (the POSIX port's interrupt
//! handler) feeds a Team through the FromISR calls.

mod common;

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, AtomicUsize, Ordering::SeqCst};
use core::time::Duration;
use std::alloc::System;

use common::{check, scenario, settled_tasks, tasks, wait_until, HIGH, LOW, MID, TOP};
use threadteam_core::{
    port::{Clock, RawLock, Signal},
    team::{Coordinate, Fixed, Job, Statistics, Team, TeamBuilder, TeamSlot},
    workers::{FnWork, LockWorker, Work},
    GrowthPolicy, Worker,
};
use threadteam_freertos::{kernel, FreeRtosClock, FreeRtosLock, FreeRtosSignal, SpawnError, TaskWorker};

/// Forwards to System until armed; armed, any allocation aborts the process.
struct NoAllocAfterStart;

static ARMED: AtomicBool = AtomicBool::new(false);

// SAFETY: forwards to System unchanged, or aborts before allocating anything.
unsafe impl GlobalAlloc for NoAllocAfterStart {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ARMED.swap(false, SeqCst) {
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                b"no_alloc: FAIL: a Rust heap allocation after the scheduler started (or a panic, which allocates)\n",
            );
            std::process::abort();
        }
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is System's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: NoAllocAfterStart = NoAllocAfterStart;

const EVENTUALLY: u32 = 5_000;
/// Live workers at most (the Team's worker slots).
const LIMIT: usize = 3;
/// Work waiting for a worker, at most.
const BACKLOG: usize = 4;

type Wk<W> = &'static TaskWorker<Job<W>, 1>;
type Create<W> = fn(&Statistics) -> Option<Wk<W>>;
/// Coordinated under a lock, in whichever task submits or hands back.
type LockCoordinator<W> = LockWorker<Coordinate<W>, FreeRtosLock, heapless::Deque<Coordinate<W>, 8>>;
type LockTeam<W> = Team<W, Wk<W>, LockCoordinator<W>, Create<W>, Fixed<BACKLOG, LIMIT>>;

/// A task that runs one `FnWork` and ends: the submitters and helpers of the scenarios.
type Helper = TaskWorker<FnWork, 1>;
static HELPERS: [Helper; 12] = [const { TaskWorker::new() }; 12];

/// Runs `f(arg)` in a new task at `priority`; the task ends (and is deleted) after it.
fn in_task(name: &str, priority: u8, f: fn(usize), arg: usize) {
    let helper = HELPERS.iter().find(|h| !h.is_started()).expect("a helper task left");
    let helper = helper.start(name, priority).expect("start a helper task");
    helper.submit(FnWork::new(f, arg)).unwrap();
    helper.quit().unwrap();
}

/// Every worker there will ever be: each starts one task, once.
static WORKERS: [TaskWorker<Job<FnWork>, 1>; 40] = [const { TaskWorker::new() }; 40];
/// The priority `create` starts workers at; a bad one makes creation fail.
static WORKER_PRIORITY: AtomicU8 = AtomicU8::new(LOW);
static START_ERRORS: AtomicU32 = AtomicU32::new(0);
static LAST_START_ERROR: AtomicU32 = AtomicU32::new(0);

/// `create_worker`: the next unused static worker, started as a task.
fn create(stats: &Statistics) -> Option<Wk<FnWork>> {
    if stats.workers() >= LIMIT {
        return None;
    }
    let unused = WORKERS.iter().find(|w| !w.is_started())?;
    match unused.start("worker", WORKER_PRIORITY.load(SeqCst)) {
        Ok(worker) => Some(worker),
        Err(e) => {
            START_ERRORS.fetch_add(1, SeqCst);
            LAST_START_ERROR.store(error_code(e), SeqCst);
            None
        }
    }
}

fn error_code(e: SpawnError) -> u32 {
    match e {
        SpawnError::InvalidPriority { .. } => 1,
        SpawnError::InInterrupt => 2,
        _ => 99,
    }
}

fn lock_coordinator<W: Work>() -> LockCoordinator<W> {
    LockWorker::with_queue(FreeRtosLock::new(), heapless::Deque::new())
}

fn new_lock_team(slot: &'static TeamSlot<LockTeam<FnWork>>) -> &'static LockTeam<FnWork> {
    TeamBuilder::new(create as Create<FnWork>).coordinator(lock_coordinator()).build_static(slot)
}

fn main() {
    common::run(
        "no_alloc",
        || {
            scenario("static_objects", static_objects);
            scenario("priorities_every_item_once", priorities_every_item_once);
            scenario("full_backlog_hands_work_back", full_backlog_hands_work_back);
            scenario("failed_task_creation_keeps_work", failed_task_creation_keeps_work);
            scenario("user_enum_work", user_enum_work);
            scenario("interrupt_feed_task_coordinator", interrupt_feed_task_coordinator);
            scenario("paced_team_on_ticks", paced_team_on_ticks);
        },
        || ARMED.store(std::env::var_os("THREADTEAM_NO_ALLOC_UNARMED").is_none(), SeqCst),
    )
}

static READY: FreeRtosSignal = FreeRtosSignal::new();
static WOKE: AtomicBool = AtomicBool::new(false);

fn sleeper(_: usize) {
    READY.wait();
    WOKE.store(true, SeqCst);
}

fn static_objects() {
    let base = settled_tasks();
    let (tcb, semaphore) = kernel::static_object_sizes();
    check(
        "static kernel objects",
        tcb > 0 && semaphore > 0,
        format_args!("StaticTask_t {tcb} B, StaticSemaphore_t {semaphore} B, all in Rust statics"),
    );
    // A higher-priority task waits on a static semaphore; our give wakes it at once.
    in_task("sleeper", HIGH, sleeper, 0);
    let asleep = wait_until(EVENTUALLY, || tasks() == base + 1);
    READY.notify();
    let woke = WOKE.load(SeqCst);
    let gone = wait_until(EVENTUALLY, || tasks() == base);
    check(
        "a static signal wakes a higher-priority task at once",
        asleep && woke && gone,
        format_args!("woke before notify returned: {woke}"),
    );
    // The lock is re-entrancy safe.
    static LOCK: FreeRtosLock = FreeRtosLock::new();
    let nested = LOCK.with(1, |one| (one, LOCK.with(2, |two| two)));
    check("a static lock refuses re-entry", nested == Ok((1, Err(2))), format_args!("{nested:?}"));
}

const FLOOD: usize = 200;
const SIDE: usize = 50;
const ITEMS: usize = FLOOD + 2 * SIDE;
static HITS: [AtomicU8; ITEMS] = [const { AtomicU8::new(0) }; ITEMS];
static RAN: AtomicUsize = AtomicUsize::new(0);
static HANDED_BACK: AtomicUsize = AtomicUsize::new(0);
static SUBMITTERS_DONE: AtomicUsize = AtomicUsize::new(0);
static PRIORITY_TEAM: TeamSlot<LockTeam<FnWork>> = TeamSlot::new();

fn hit(i: usize) {
    HITS[i].fetch_add(1, SeqCst);
    if i.is_multiple_of(25) {
        // Block now and then so workers really are busy and the small backlog fills.
        kernel::delay(1);
    }
    RAN.fetch_add(1, SeqCst);
}

/// Submits items `first..first + count`, retrying a full backlog after a tick.
fn submit_range<T: Worker<FnWork>>(team: &T, first: usize, count: usize) {
    for i in first..first + count {
        let mut work = FnWork::new(hit, i);
        while let Err(refused) = team.submit(work) {
            assert!(refused.is_backlog_full());
            HANDED_BACK.fetch_add(1, SeqCst);
            work = refused.into_inner();
            kernel::delay(1);
        }
    }
}

fn flood(_: usize) {
    submit_range(PRIORITY_TEAM.get().unwrap(), 0, FLOOD);
    SUBMITTERS_DONE.fetch_add(1, SeqCst);
}

fn side(k: usize) {
    submit_range(PRIORITY_TEAM.get().unwrap(), FLOOD + k * SIDE, SIDE);
    SUBMITTERS_DONE.fetch_add(1, SeqCst);
}

/// A high-priority task floods a low-priority pool while two mid-priority tasks submit
/// too; the coordinator runs in whichever of them takes the lock.
fn priorities_every_item_once() {
    let base = settled_tasks();
    let team = new_lock_team(&PRIORITY_TEAM);
    WORKER_PRIORITY.store(LOW, SeqCst);
    in_task("flood", TOP, flood, 0);
    in_task("side0", MID, side, 0);
    in_task("side1", MID, side, 1);
    let all_ran = wait_until(EVENTUALLY, || SUBMITTERS_DONE.load(SeqCst) == 3 && RAN.load(SeqCst) == ITEMS);
    let quiet = wait_until(EVENTUALLY, || {
        let s = team.statistics();
        s.busy_workers == 0 && s.backlogged == 0
    });
    let s = team.statistics();
    let alive = wait_until(EVENTUALLY, || tasks() == base + s.workers());
    team.quit().unwrap();
    let finished = wait_until(EVENTUALLY, || team.is_finished() && tasks() == base);
    let end = team.statistics();
    let once = HITS.iter().filter(|h| h.load(SeqCst) == 1).count();
    check(
        "every item exactly once",
        all_ran && once == ITEMS,
        format_args!(
            "a priority-{TOP} task x {FLOOD} and two priority-{MID} tasks x {SIDE} into priority-{LOW} workers: {once}/{ITEMS} ran exactly once; {} hand-backs of a full backlog, resubmitted",
            HANDED_BACK.load(SeqCst)
        ),
    );
    check(
        "statistics",
        quiet
            && alive
            && s.workers() == LIMIT
            && s.high_water == LIMIT
            && s.workers_created == LIMIT as u64
            && end.workers_retired == LIMIT as u64
            && end.workers() == 0,
        format_args!("after the burst {s:?}; after quit {end:?}"),
    );
    check("quit deletes the worker tasks", finished, format_args!("{} tasks alive (base {base})", tasks()));
}

static PERMITS: AtomicUsize = AtomicUsize::new(0);
static GATED_SUM: AtomicUsize = AtomicUsize::new(0);

/// Waits for a permit (a tick at a time), then adds `n`.
fn gated(n: usize) {
    while PERMITS.fetch_update(SeqCst, SeqCst, |p| p.checked_sub(1)).is_err() {
        kernel::delay(1);
    }
    GATED_SUM.fetch_add(n, SeqCst);
}

fn full_backlog_hands_work_back() {
    static SLOT: TeamSlot<LockTeam<FnWork>> = TeamSlot::new();
    let base = settled_tasks();
    let team = new_lock_team(&SLOT);

    team.grow(2).unwrap();
    let grown = team.statistics().idle_workers == 2 && wait_until(EVENTUALLY, || tasks() == base + 2);
    team.shrink(Some(1)).unwrap();
    let shrunk = team.statistics().idle_workers == 1 && wait_until(EVENTUALLY, || tasks() == base + 1);
    check("grow and shrink start and delete tasks", grown && shrunk, format_args!("{:?}", team.statistics()));

    // LIMIT workers each wait at the gate; BACKLOG more wait; the next is handed back.
    for n in 0..LIMIT + BACKLOG {
        team.submit(FnWork::new(gated, 1 << n)).unwrap();
    }
    let s = team.statistics();
    let mut refused = team.submit(FnWork::new(gated, 1 << 20)).unwrap_err();
    let arg = refused.work_mut().arg;
    let back = refused.is_backlog_full() && arg == 1 << 20;
    check(
        "a full backlog hands work back",
        back && s.busy_workers == LIMIT && s.backlogged == BACKLOG && s.idle_workers == 0,
        format_args!("{s:?}; refused: {refused:?} carrying arg {arg:#x}"),
    );

    PERMITS.fetch_add(LIMIT + BACKLOG, SeqCst);
    let expected = (1 << (LIMIT + BACKLOG)) - 1;
    let drained = wait_until(EVENTUALLY, || GATED_SUM.load(SeqCst) == expected);
    let resubmitted = team.submit(refused.into_inner());
    PERMITS.fetch_add(1, SeqCst);
    let all = wait_until(EVENTUALLY, || GATED_SUM.load(SeqCst) == expected + (1 << 20));
    team.quit().unwrap();
    let finished = wait_until(EVENTUALLY, || team.is_finished() && tasks() == base);
    let s = team.statistics();
    check(
        "the handed-back item runs once there is room; quit deletes tasks",
        drained && resubmitted.is_ok() && all && finished && s.workers() == 0 && s.workers_created == s.workers_retired,
        format_args!("sum {:#x}; {s:?}; {} tasks (base {base})", GATED_SUM.load(SeqCst), tasks()),
    );
}

static LATE: AtomicUsize = AtomicUsize::new(0);

fn late(n: usize) {
    LATE.store(n, SeqCst);
}

fn failed_task_creation_keeps_work() {
    static SLOT: TeamSlot<LockTeam<FnWork>> = TeamSlot::new();
    let base = settled_tasks();
    let team = new_lock_team(&SLOT);
    let errors_before = START_ERRORS.load(SeqCst);

    // Static creation cannot run out of memory; a priority the kernel refuses makes it fail.
    WORKER_PRIORITY.store(200, SeqCst);
    team.submit(FnWork::new(late, 7)).unwrap();
    let s = team.statistics();
    let errors = START_ERRORS.load(SeqCst) - errors_before;
    check(
        "a failed task creation keeps the work queued and is reported",
        s.backlogged == 1
            && s.workers() == 0
            && LATE.load(SeqCst) == 0
            && errors == 1
            && LAST_START_ERROR.load(SeqCst) == 1,
        format_args!("{s:?}; {errors} start error(s), last code {}", LAST_START_ERROR.load(SeqCst)),
    );
    WORKER_PRIORITY.store(LOW, SeqCst);
    team.pump().unwrap();
    let ran = wait_until(EVENTUALLY, || LATE.load(SeqCst) == 7);
    team.quit().unwrap();
    let finished = wait_until(EVENTUALLY, || team.is_finished() && tasks() == base);
    check(
        "with a valid priority again, pump serves it",
        ran && finished && team.statistics().workers_created == 1,
        format_args!("{:?}", team.statistics()),
    );
}

/// A user enum as the work item: no function pointers, no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    Add(u32),
    Double,
}

static TOTAL: AtomicU32 = AtomicU32::new(0);
static CMDS_RUN: AtomicU32 = AtomicU32::new(0);

impl Work for Cmd {
    fn run(self) {
        match self {
            Cmd::Add(n) => TOTAL.fetch_add(n, SeqCst),
            Cmd::Double => TOTAL.fetch_add(TOTAL.load(SeqCst), SeqCst),
        };
        CMDS_RUN.fetch_add(1, SeqCst);
    }
}

static CMD_WORKERS: [TaskWorker<Job<Cmd>, 1>; 2] = [const { TaskWorker::new() }; 2];

fn create_cmd_worker(stats: &Statistics) -> Option<Wk<Cmd>> {
    // One worker: the commands run in order, so the result is exact.
    if stats.workers() >= 1 {
        return None;
    }
    CMD_WORKERS.iter().find(|w| !w.is_started())?.start("cmd", LOW).ok()
}

fn user_enum_work() {
    static SLOT: TeamSlot<LockTeam<Cmd>> = TeamSlot::new();
    let base = settled_tasks();
    let team = TeamBuilder::new(create_cmd_worker as Create<Cmd>).coordinator(lock_coordinator()).build_static(&SLOT);
    let cmds = [Cmd::Add(1), Cmd::Add(2), Cmd::Double, Cmd::Add(4), Cmd::Double];
    for cmd in cmds {
        let mut cmd = cmd;
        while let Err(refused) = team.submit(cmd) {
            cmd = refused.into_inner();
            kernel::delay(1);
        }
    }
    let done = wait_until(EVENTUALLY, || CMDS_RUN.load(SeqCst) == 5);
    team.quit().unwrap();
    let finished = wait_until(EVENTUALLY, || team.is_finished() && tasks() == base);
    check(
        "user enum work, in order on one worker",
        done && finished && TOTAL.load(SeqCst) == ((1 + 2) * 2 + 4) * 2,
        format_args!("{cmds:?} -> {}", TOTAL.load(SeqCst)),
    );
}

// ---- A Team fed from the tick interrupt, coordinated by a task ------------------------------

/// The coordinator's inbox: the backlog, the workers and a few control events.
const COORDINATOR_INBOX: usize = BACKLOG + LIMIT + 8;
type TaskCoordinator = &'static TaskWorker<Coordinate<FnWork>, COORDINATOR_INBOX>;
type IsrTeam = Team<FnWork, Wk<FnWork>, TaskCoordinator, Create<FnWork>, Fixed<BACKLOG, LIMIT>>;

static ISR_TEAM: TeamSlot<IsrTeam> = TeamSlot::new();
static COORDINATOR: TaskWorker<Coordinate<FnWork>, COORDINATOR_INBOX> = TaskWorker::new();

const ISR_ITEMS: usize = 150;
const TASK_ITEMS: usize = 100;
const ISR_PER_TICK: usize = 3;
static ISR_HITS: [AtomicU8; ISR_ITEMS + TASK_ITEMS] = [const { AtomicU8::new(0) }; ISR_ITEMS + TASK_ITEMS];
static ISR_RAN: AtomicUsize = AtomicUsize::new(0);
static ISR_FED: AtomicUsize = AtomicUsize::new(0);
static ISR_REFUSED: AtomicUsize = AtomicUsize::new(0);
static ISR_CALLS: AtomicUsize = AtomicUsize::new(0);
static ISR_SEEN_AS_INTERRUPT: AtomicBool = AtomicBool::new(true);
static ISR_LOCK_REFUSED: AtomicBool = AtomicBool::new(false);
static ISR_START_REFUSED: AtomicBool = AtomicBool::new(false);
static ISR_SIGNAL: FreeRtosSignal = FreeRtosSignal::new();
static ISR_SIGNAL_WOKE: AtomicBool = AtomicBool::new(false);
static TASK_FED_DONE: AtomicBool = AtomicBool::new(false);

fn isr_hit(i: usize) {
    ISR_HITS[i].fetch_add(1, SeqCst);
    if i.is_multiple_of(20) {
        kernel::delay(1);
    }
    ISR_RAN.fetch_add(1, SeqCst);
}

/// The tick hook: the host's interrupt handler. Submits a few items per tick; a full
/// backlog or coordinator inbox hands the item back, and it is tried again next tick.
fn tick_feed() {
    ISR_CALLS.fetch_add(1, SeqCst);
    if !kernel::in_interrupt() {
        ISR_SEEN_AS_INTERRUPT.store(false, SeqCst);
    }
    if ISR_CALLS.load(SeqCst) == 1 {
        // What may not be done in an interrupt handler is refused, not attempted.
        static LOCK: FreeRtosLock = FreeRtosLock::new();
        ISR_LOCK_REFUSED.store(LOCK.with((), |()| ()).is_err(), SeqCst);
        let unused = WORKERS.iter().find(|w| !w.is_started()).unwrap();
        ISR_START_REFUSED.store(matches!(unused.start("never", LOW), Err(SpawnError::InInterrupt)), SeqCst);
        ISR_SIGNAL.notify();
    }
    let Some(team) = ISR_TEAM.get() else { return };
    for _ in 0..ISR_PER_TICK {
        let i = ISR_FED.load(SeqCst);
        if i == ISR_ITEMS {
            return;
        }
        match team.submit(FnWork::new(isr_hit, i)) {
            Ok(()) => ISR_FED.store(i + 1, SeqCst),
            Err(_) => {
                ISR_REFUSED.fetch_add(1, SeqCst);
                return;
            }
        }
    }
}

fn signal_waiter(_: usize) {
    ISR_SIGNAL.wait();
    ISR_SIGNAL_WOKE.store(true, SeqCst);
}

fn task_feed(_: usize) {
    let team = ISR_TEAM.get().unwrap();
    for i in ISR_ITEMS..ISR_ITEMS + TASK_ITEMS {
        let mut work = FnWork::new(isr_hit, i);
        while let Err(refused) = team.submit(work) {
            work = refused.into_inner();
            kernel::delay(1);
        }
    }
    TASK_FED_DONE.store(true, SeqCst);
}

/// The recommended topology for interrupts: the coordinator is a task (above the workers),
/// so an interrupt's submit only queues an event and wakes it with a FromISR notify.
fn interrupt_feed_task_coordinator() {
    let base = settled_tasks();
    WORKER_PRIORITY.store(LOW, SeqCst);
    in_task("waiter", MID, signal_waiter, 0);
    let coordinator = COORDINATOR.start("coordinator", HIGH).unwrap();
    let team = TeamBuilder::new(create as Create<FnWork>).coordinator(coordinator).build_static(&ISR_TEAM);
    kernel::set_tick_hook(Some(tick_feed));
    in_task("feeder", MID, task_feed, 0);
    let all = ISR_ITEMS + TASK_ITEMS;
    let all_ran = wait_until(EVENTUALLY, || {
        ISR_FED.load(SeqCst) == ISR_ITEMS && TASK_FED_DONE.load(SeqCst) && ISR_RAN.load(SeqCst) == all
    });
    kernel::set_tick_hook(None);
    let quiet = wait_until(EVENTUALLY, || {
        let s = team.statistics();
        s.busy_workers == 0 && s.backlogged == 0
    });
    let s = team.statistics();
    team.quit().unwrap();
    let finished = wait_until(EVENTUALLY, || team.is_finished() && COORDINATOR.stack_high_water_mark().is_some());
    let gone = wait_until(EVENTUALLY, || tasks() == base);
    let end = team.statistics();
    let once = ISR_HITS.iter().filter(|h| h.load(SeqCst) == 1).count();
    check(
        "items from the tick interrupt and from a task, each exactly once",
        all_ran && once == all,
        format_args!(
            "{ISR_ITEMS} submitted in the tick hook ({} hand-backs retried at the next tick), {TASK_ITEMS} by a task: {once}/{all} ran exactly once",
            ISR_REFUSED.load(SeqCst)
        ),
    );
    check(
        "in the tick hook: in_interrupt, the lock and task creation are refused, a signal wakes a task",
        ISR_SEEN_AS_INTERRUPT.load(SeqCst)
            && ISR_LOCK_REFUSED.load(SeqCst)
            && ISR_START_REFUSED.load(SeqCst)
            && wait_until(EVENTUALLY, || ISR_SIGNAL_WOKE.load(SeqCst)),
        format_args!("{} hook calls", ISR_CALLS.load(SeqCst)),
    );
    check(
        "the task coordinator creates, retires and quits worker tasks",
        quiet
            && finished
            && gone
            && s.workers_created >= 1
            && end.workers() == 0
            && end.workers_retired == end.workers_created,
        format_args!("after the feed {s:?}; after quit {end:?}; {} tasks (base {base})", tasks()),
    );
}

// ---- A paced Team on FreeRTOS ticks ---------------------------------------------------------

static CLOCK: FreeRtosClock = FreeRtosClock::new();
static TIMER: FreeRtosSignal = FreeRtosSignal::new();
static PACED: TeamSlot<LockTeam<FnWork>> = TeamSlot::new();
const INTERVAL_MS: u64 = 30;
const KEEP_ALIVE_MS: u64 = 60;
const SLOW_ITEMS: usize = 6;
const SLOW_TICKS: u32 = 40;
static CREATED_AT: [AtomicU32; LIMIT] = [const { AtomicU32::new(0) }; LIMIT];
static PACED_CREATED: AtomicUsize = AtomicUsize::new(0);
static SLOW_DONE: AtomicUsize = AtomicUsize::new(0);
static LAST_DONE_AT: AtomicU32 = AtomicU32::new(0);
static TIMER_ENDED: AtomicBool = AtomicBool::new(false);

fn create_paced(stats: &Statistics) -> Option<Wk<FnWork>> {
    let worker = create(stats)?;
    let n = PACED_CREATED.fetch_add(1, SeqCst);
    if let Some(at) = CREATED_AT.get(n) {
        at.store(kernel::tick_count(), SeqCst);
    }
    Some(worker)
}

fn slow(_: usize) {
    kernel::delay(SLOW_TICKS);
    LAST_DONE_AT.store(kernel::tick_count(), SeqCst);
    SLOW_DONE.fetch_add(1, SeqCst);
}

/// The Team's timer: sleeps until its next deadline (or until woken because the deadline
/// moved earlier), then ticks it.
fn timer(_: usize) {
    let team = PACED.get().unwrap();
    while !team.is_finished() {
        match team.next_deadline() {
            Some(deadline) => {
                let now = CLOCK.now();
                if deadline > now {
                    TIMER.wait_timeout(deadline - now);
                }
                let _ = team.tick();
            }
            None => TIMER.wait(),
        }
    }
    TIMER_ENDED.store(true, SeqCst);
}

fn paced_team_on_ticks() {
    let base = settled_tasks();
    WORKER_PRIORITY.store(LOW, SeqCst);
    let policy = GrowthPolicy::new()
        .burst(1)
        .growth_interval(Duration::from_millis(INTERVAL_MS))
        .keep_alive(Some(Duration::from_millis(KEEP_ALIVE_MS)))
        .max(Some(LIMIT));
    let team = TeamBuilder::new(create_paced as Create<FnWork>)
        .coordinator(lock_coordinator())
        .policy(policy)
        .clock(&CLOCK)
        .timer(&TIMER)
        .build_static(&PACED);
    in_task("timer", HIGH, timer, 0);
    let t0 = kernel::tick_count();
    for _ in 0..SLOW_ITEMS {
        let mut work = FnWork::new(slow, 0);
        while let Err(refused) = team.submit(work) {
            work = refused.into_inner();
            kernel::delay(1);
        }
    }
    let ran = wait_until(EVENTUALLY, || SLOW_DONE.load(SeqCst) == SLOW_ITEMS);
    let retired = wait_until(EVENTUALLY, || team.statistics().workers() == 0);
    let retired_at = kernel::tick_count();
    let s = team.statistics();
    let at: [u32; LIMIT] = core::array::from_fn(|i| CREATED_AT[i].load(SeqCst).wrapping_sub(t0));
    // One tick of slack: a pass reads the clock when it starts, and `create` may run a tick
    // later (without pacing, all three would come within a tick of the first).
    let paced = at.windows(2).all(|w| u64::from(w[1].wrapping_sub(w[0])) >= INTERVAL_MS - 1);
    let kept = u64::from(retired_at.wrapping_sub(LAST_DONE_AT.load(SeqCst))) >= KEEP_ALIVE_MS;
    check(
        "workers come one growth interval apart, on ticks",
        ran && s.workers_created == LIMIT as u64 && paced,
        format_args!(
            "{SLOW_ITEMS} items of {SLOW_TICKS} ticks; workers created at ticks {at:?} (interval {INTERVAL_MS})"
        ),
    );
    check(
        "idle workers retire after the keep-alive, on ticks",
        retired && kept && s.workers_retired == LIMIT as u64,
        format_args!(
            "last item done at +{}, all retired by +{} (keep-alive {KEEP_ALIVE_MS}); {s:?}",
            LAST_DONE_AT.load(SeqCst).wrapping_sub(t0),
            retired_at.wrapping_sub(t0)
        ),
    );
    team.quit().unwrap();
    let ended = wait_until(EVENTUALLY, || team.is_finished() && TIMER_ENDED.load(SeqCst) && tasks() == base);
    check("quit ends the timer task too", ended, format_args!("{} tasks (base {base})", tasks()));
}

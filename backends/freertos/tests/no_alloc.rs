//! The no-alloc configuration on a real FreeRTOS kernel (POSIX port): threadteam-core
//! without `alloc`, a Team in a static `TeamSlot` with `Fixed` capacities, work as `FnWork`
//! (a function pointer and an argument) or a user enum, workers that are static
//! `TaskWorker`s (a fixed inbox plus a FreeRTOS task sleeping on its notification).
//!
//! Run it as CI does, so that core's `alloc` feature is really off:
//! `cargo test -p threadteam-freertos --no-default-features --test no_alloc`
//! (`cargo tree -p threadteam-freertos --no-default-features -e features -i threadteam-core`
//! shows no feature). A counting global allocator checks that the Team's work makes no Rust
//! heap allocation at all. The test binary itself has std: it is the host.

mod common;

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicU32, AtomicU8, AtomicUsize, Ordering::SeqCst};
use std::alloc::System;
use std::sync::OnceLock;

use common::{check, scenario, settled_tasks, tasks, wait_until, PRIO, STACK};
use threadteam_core::{
    Coordinate, Fixed, FnWork, Job, LockWorker, Statistics, Team, TeamBuilder, TeamSlot, Work, Worker,
};
use threadteam_freertos::freertos_next::{CurrentTask, Duration, FreeRtosAllocator, Semaphore};
use threadteam_freertos::{spawn, FreeRtosLock, SpawnError, TaskWorker};

/// Counts Rust heap allocations, from every thread and task.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to System unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, SeqCst);
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is System's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const EVENTUALLY: u32 = 5_000;
/// Live workers at most (the Team's worker slots).
const LIMIT: usize = 3;
/// Work waiting for a worker, at most.
const BACKLOG: usize = 4;

type Wk<W> = &'static TaskWorker<Job<W>, 1>;
type Coordinator<W> = LockWorker<Coordinate<W>, FreeRtosLock, heapless::Deque<Coordinate<W>, 8>>;
type FixedTeam<W> = Team<W, Wk<W>, Coordinator<W>, fn(&Statistics) -> Option<Wk<W>>, Fixed<BACKLOG, LIMIT>>;

/// Every worker there will ever be: each starts one task, once.
static WORKERS: [TaskWorker<Job<FnWork>, 1>; 16] = [const { TaskWorker::new() }; 16];
static START_ERRORS: AtomicU32 = AtomicU32::new(0);
static LAST_START_ERROR: OnceLock<SpawnError> = OnceLock::new();

/// `create_worker`: the next unused static worker, started as a task.
fn create(stats: &Statistics) -> Option<Wk<FnWork>> {
    if stats.workers() >= LIMIT {
        return None;
    }
    let unused = WORKERS.iter().find(|w| !w.is_started())?;
    match unused.start("worker", STACK, PRIO) {
        Ok(worker) => Some(worker),
        Err(e) => {
            START_ERRORS.fetch_add(1, SeqCst);
            let _ = LAST_START_ERROR.set(e);
            None
        }
    }
}

fn new_team(slot: &'static TeamSlot<FixedTeam<FnWork>>) -> &'static FixedTeam<FnWork> {
    let coordinator =
        LockWorker::with_queue(FreeRtosLock::new().expect("room for the coordinator's mutex"), heapless::Deque::new());
    TeamBuilder::new(create as fn(&Statistics) -> Option<Wk<FnWork>>).coordinator(coordinator).build_static(slot)
}

fn main() {
    common::run("no_alloc", || {
        scenario("several_tasks_submit_fn_work", several_tasks_submit_fn_work);
        scenario("full_backlog_hands_work_back", full_backlog_hands_work_back);
        scenario("failed_task_creation_keeps_work", failed_task_creation_keeps_work);
        scenario("user_enum_work", user_enum_work);
    })
}

const SUBMITTERS: usize = 3;
const PER: usize = 100;
const ITEMS: usize = SUBMITTERS * PER;
static HITS: [AtomicU8; ITEMS] = [const { AtomicU8::new(0) }; ITEMS];
static RAN: AtomicUsize = AtomicUsize::new(0);

fn hit(i: usize) {
    HITS[i].fetch_add(1, SeqCst);
    if i.is_multiple_of(25) {
        // Block now and then so workers really are busy and the small backlog fills.
        CurrentTask::delay(Duration::ticks(1));
    }
    RAN.fetch_add(1, SeqCst);
}

fn several_tasks_submit_fn_work() {
    static SLOT: TeamSlot<FixedTeam<FnWork>> = TeamSlot::new();
    static HANDED_BACK: AtomicUsize = AtomicUsize::new(0);
    static SUBMITTED: AtomicUsize = AtomicUsize::new(0);
    let base = settled_tasks();

    let a0 = ALLOCATIONS.load(SeqCst);
    let team = new_team(&SLOT);
    let a1 = ALLOCATIONS.load(SeqCst);
    for s in 0..SUBMITTERS {
        // Test scaffolding: spawn boxes its closure (counted out of the measurement).
        spawn("submitter", STACK, PRIO, move || {
            let team = SLOT.get().unwrap();
            for k in 0..PER {
                let mut work = FnWork::new(hit, s * PER + k);
                // A full backlog hands the item back: retry it after a tick.
                while let Err(refused) = team.submit(work) {
                    assert!(refused.is_backlog_full());
                    HANDED_BACK.fetch_add(1, SeqCst);
                    work = refused.into_inner();
                    CurrentTask::delay(Duration::ticks(1));
                }
            }
            SUBMITTED.fetch_add(1, SeqCst);
        })
        .unwrap();
    }
    let a2 = ALLOCATIONS.load(SeqCst);
    let all_ran = wait_until(EVENTUALLY, || SUBMITTED.load(SeqCst) == SUBMITTERS && RAN.load(SeqCst) == ITEMS);
    let quiet = wait_until(EVENTUALLY, || {
        let s = team.statistics();
        s.busy_workers == 0 && s.backlogged == 0
    });
    let s = team.statistics();
    let alive = wait_until(EVENTUALLY, || tasks() == base + s.workers());
    team.quit().unwrap();
    let finished = wait_until(EVENTUALLY, || team.is_finished() && tasks() == base);
    let a3 = ALLOCATIONS.load(SeqCst);
    let end = team.statistics();

    let once = HITS.iter().filter(|h| h.load(SeqCst) == 1).count();
    check(
        "every item exactly once",
        all_ran && once == ITEMS,
        format!(
            "{SUBMITTERS} submitter tasks x {PER} FnWork: {once}/{ITEMS} ran exactly once; {} hand-backs of a full backlog, resubmitted",
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
            && s.workers_retired == 0
            && end.workers_retired == LIMIT as u64
            && end.workers() == 0,
        format!("after the burst {s:?}; after quit {end:?}"),
    );
    check("quit deletes the worker tasks", finished, format!("{} tasks alive (base {base})", tasks()));
    let rust_allocations = (a1 - a0) + (a3 - a2);
    check(
        "no Rust heap allocation",
        rust_allocations == 0 && a2 > a1,
        format!(
            "{rust_allocations} allocations by the Team, its coordinator and its worker tasks (the counter works: spawning the submitters made {})",
            a2 - a1
        ),
    );
}

static GATE: OnceLock<Semaphore> = OnceLock::new();
static GATED_SUM: AtomicUsize = AtomicUsize::new(0);

fn gated(n: usize) {
    GATE.get().unwrap().take(Duration::infinite()).unwrap();
    GATED_SUM.fetch_add(n, SeqCst);
}

fn full_backlog_hands_work_back() {
    static SLOT: TeamSlot<FixedTeam<FnWork>> = TeamSlot::new();
    GATE.get_or_init(|| Semaphore::new_counting(32, 0).unwrap());
    let base = settled_tasks();
    let team = new_team(&SLOT);

    team.grow(2).unwrap();
    let grown = team.statistics().idle_workers == 2 && wait_until(EVENTUALLY, || tasks() == base + 2);
    team.shrink(Some(1)).unwrap();
    let shrunk = team.statistics().idle_workers == 1 && wait_until(EVENTUALLY, || tasks() == base + 1);
    check("grow and shrink start and delete tasks", grown && shrunk, format!("{:?}", team.statistics()));

    // LIMIT workers each block on the gate; BACKLOG more wait; the next is handed back.
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
        format!("{s:?}; refused: {refused:?} carrying arg {arg:#x}"),
    );

    for _ in 0..LIMIT + BACKLOG {
        GATE.get().unwrap().give();
    }
    let expected = (1 << (LIMIT + BACKLOG)) - 1;
    let drained = wait_until(EVENTUALLY, || GATED_SUM.load(SeqCst) == expected);
    let resubmitted = team.submit(refused.into_inner());
    GATE.get().unwrap().give();
    let all = wait_until(EVENTUALLY, || GATED_SUM.load(SeqCst) == expected + (1 << 20));
    team.quit().unwrap();
    let finished = wait_until(EVENTUALLY, || team.is_finished() && tasks() == base);
    let s = team.statistics();
    check(
        "the handed-back item runs once there is room; quit deletes tasks",
        drained && resubmitted.is_ok() && all && finished && s.workers() == 0 && s.workers_created == s.workers_retired,
        format!("sum {:#x}; {s:?}; {} tasks (base {base})", GATED_SUM.load(SeqCst), tasks()),
    );
}

static LATE: AtomicUsize = AtomicUsize::new(0);

fn late(n: usize) {
    LATE.store(n, SeqCst);
}

fn failed_task_creation_keeps_work() {
    static SLOT: TeamSlot<FixedTeam<FnWork>> = TeamSlot::new();
    let base = settled_tasks();
    let team = new_team(&SLOT);
    let errors_before = START_ERRORS.load(SeqCst);

    // Take the whole FreeRTOS heap (Rust's heap is not involved: this is pvPortMalloc).
    let mut taken = Vec::new();
    for size in [64 * 1024, 1024, 8] {
        let layout = Layout::from_size_align(size, 8).unwrap();
        loop {
            // SAFETY: a non-zero size; freed with the same layout below.
            let p = unsafe { FreeRtosAllocator.alloc(layout) };
            if p.is_null() {
                break;
            }
            taken.push((p, layout));
        }
    }
    team.submit(FnWork::new(late, 7)).unwrap();
    let s = team.statistics();
    let errors = START_ERRORS.load(SeqCst) - errors_before;
    check(
        "a failed task creation keeps the work queued and is reported",
        s.backlogged == 1
            && s.workers() == 0
            && LATE.load(SeqCst) == 0
            && errors == 1
            && LAST_START_ERROR.get() == Some(&SpawnError::OutOfMemory),
        format!("{s:?}; {errors} start error(s), last {:?}", LAST_START_ERROR.get()),
    );
    for (p, layout) in taken {
        // SAFETY: allocated above with this layout, freed once.
        unsafe { FreeRtosAllocator.dealloc(p, layout) };
    }
    team.pump().unwrap();
    let ran = wait_until(EVENTUALLY, || LATE.load(SeqCst) == 7);
    team.quit().unwrap();
    let finished = wait_until(EVENTUALLY, || team.is_finished() && tasks() == base);
    check(
        "with room again, pump serves it",
        ran && finished && team.statistics().workers_created == 1,
        format!("{:?}", team.statistics()),
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
    CMD_WORKERS.iter().find(|w| !w.is_started())?.start("cmd", STACK, PRIO).ok()
}

fn user_enum_work() {
    static SLOT: TeamSlot<FixedTeam<Cmd>> = TeamSlot::new();
    let base = settled_tasks();
    let coordinator = LockWorker::with_queue(FreeRtosLock::new().unwrap(), heapless::Deque::new());
    let team = TeamBuilder::new(create_cmd_worker as fn(&Statistics) -> Option<Wk<Cmd>>)
        .coordinator(coordinator)
        .build_static(&SLOT);
    let cmds = [Cmd::Add(1), Cmd::Add(2), Cmd::Double, Cmd::Add(4), Cmd::Double];
    for cmd in cmds {
        let mut cmd = cmd;
        while let Err(refused) = team.submit(cmd) {
            cmd = refused.into_inner();
            CurrentTask::delay(Duration::ticks(1));
        }
    }
    let done = wait_until(EVENTUALLY, || CMDS_RUN.load(SeqCst) == 5);
    team.quit().unwrap();
    let finished = wait_until(EVENTUALLY, || team.is_finished() && tasks() == base);
    check(
        "user enum work, in order on one worker",
        done && finished && TOTAL.load(SeqCst) == ((1 + 2) * 2 + 4) * 2,
        format!("{cmds:?} -> {}", TOTAL.load(SeqCst)),
    );
}

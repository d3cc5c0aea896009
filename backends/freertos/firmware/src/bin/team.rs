//! threadteam's FreeRTOS backend on the real Cortex-M port, no allocator anywhere: every task
//! (`xTaskCreateStatic`), mutex and semaphore is static, the kernel has no heap, and this
//! binary has no `#[global_allocator]`.
//!
//! 1. `lock_coordinator`: a priority-4 task floods a Team of priority-1 worker tasks while two
//!    priority-2 tasks submit too and the CMSDK timer interrupt submits into the same Team
//!    (its `LockWorker<_, FreeRtosLock>` coordinator defers the interrupt's work to the lock's
//!    holder); every item runs exactly once; grow, shrink and quit delete tasks.
//! 2. `task_coordinator`: the recommended topology for interrupts: the coordinator is a
//!    priority-3 `TaskWorker`; the timer interrupt (`xTaskNotifyFromISR`) and a priority-2
//!    task feed it; what an interrupt may not do (take the lock, create a task) is refused
//!    there, and a signal notified there wakes a task.
//! 3. `paced`: a Team with a growth policy on `FreeRtosClock` (FreeRTOS ticks) and a timer
//!    task: workers come one growth interval apart and retire after the keep-alive.
//! 4. Figures: each task's stack high-water mark, the static memory of the pieces.
#![no_std]
#![no_main]

use core::mem::size_of;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, AtomicUsize, Ordering::SeqCst};
use core::time::Duration;

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use threadteam_core::{
    port::{Clock, RawLock, Signal},
    team::{Coordinate, Fixed, Job, Statistics, Team, TeamBuilder, TeamSlot},
    workers::{FnWork, LockWorker},
    GrowthPolicy, Worker,
};
use threadteam_freertos::{kernel, FreeRtosClock, FreeRtosLock, FreeRtosSignal, SpawnError, TaskWorker};
use threadteam_freertos_firmware::{
    check, figure, helpers, in_task, run_controller, timer, verdict, wait_until, BOARD, HIGH, LOW, MID, TOP,
};

/// Ticks (1 ms) to wait for anything that should happen; a run takes well under 1,000.
const EVENTUALLY: u32 = 5_000;
const LIMIT: usize = 3;
const BACKLOG: usize = 4;
/// Words of a worker's stack (2 KiB).
const WORKER_STACK_WORDS: usize = 512;

type WorkerTask = TaskWorker<Job<FnWork>, 1, WORKER_STACK_WORDS>;
type Wk = &'static WorkerTask;
type Create = fn(&Statistics) -> Option<Wk>;
type LockCoordinator = LockWorker<Coordinate<FnWork>, FreeRtosLock, heapless::Deque<Coordinate<FnWork>, 16>>;
type LockTeam = Team<FnWork, Wk, LockCoordinator, Create, Fixed<BACKLOG, LIMIT>>;
/// The coordinator's inbox: the backlog, the workers and a few control events.
const COORDINATOR_INBOX: usize = BACKLOG + LIMIT + 8;
type CoordinatorTask = TaskWorker<Coordinate<FnWork>, COORDINATOR_INBOX>;
type TaskTeam = Team<FnWork, Wk, &'static CoordinatorTask, Create, Fixed<BACKLOG, LIMIT>>;

/// Every worker task there will ever be; each starts one task, once.
static WORKERS: [WorkerTask; 24] = [const { TaskWorker::new() }; 24];
/// Which scenario started each worker (for the figures).
static WORKER_SCENARIO: [AtomicU8; 24] = [const { AtomicU8::new(0) }; 24];
static SCENARIO: AtomicU8 = AtomicU8::new(0);
const SCENARIOS: [&str; 4] = ["-", "lock_coordinator", "task_coordinator", "paced"];

fn new_lock_coordinator() -> LockCoordinator {
    LockWorker::with_queue(FreeRtosLock::new(), heapless::Deque::new())
}

/// `create_worker`: the next unused static worker, started at priority 1.
fn create(stats: &Statistics) -> Option<Wk> {
    if stats.workers() >= LIMIT {
        return None;
    }
    let (i, unused) = WORKERS.iter().enumerate().find(|(_, w)| !w.is_started())?;
    let worker = unused.start("worker", LOW).ok()?;
    WORKER_SCENARIO[i].store(SCENARIO.load(SeqCst), SeqCst);
    Some(worker)
}

#[entry]
fn main() -> ! {
    hprintln!("team {}: FreeRTOS V11.2.0 on the Cortex-M port, no allocator", BOARD);
    run_controller(MID, controller)
}

fn controller(_: usize) {
    scenario(1, lock_coordinator);
    scenario(2, task_coordinator);
    scenario(3, paced);
    figures();
    verdict("team")
}

fn scenario(n: u8, f: fn()) {
    SCENARIO.store(n, SeqCst);
    hprintln!("{}:", SCENARIOS[usize::from(n)]);
    let t0 = kernel::tick_count();
    f();
    hprintln!("  ({} ticks)", kernel::tick_count().wrapping_sub(t0));
}

/// Idle and the controller.
const BASE_TASKS: usize = 2;

fn settled() -> bool {
    wait_until(EVENTUALLY, || kernel::task_count() == BASE_TASKS)
}

/// Submits `work`, retrying after a tick while the Team hands it back (full backlog).
fn submit_retrying<T: Worker<FnWork>>(team: &T, mut work: FnWork) -> usize {
    let mut refusals = 0;
    while let Err(refused) = team.submit(work) {
        assert!(refused.is_backlog_full(), "a Team refused work: {refused:?}");
        refusals += 1;
        work = refused.into_inner();
        kernel::delay(1);
    }
    refusals
}

// ---- 1. A lock coordinator, tasks at four priorities, and the timer interrupt -------------

const FLOOD: usize = 300;
const SIDE: usize = 100;
const LOCK_ISR_ITEMS: usize = 100;
const LOCK_ITEMS: usize = FLOOD + 2 * SIDE + LOCK_ISR_ITEMS;
static LOCK_HITS: [AtomicU8; LOCK_ITEMS] = [const { AtomicU8::new(0) }; LOCK_ITEMS];
static LOCK_RAN: AtomicUsize = AtomicUsize::new(0);
static LOCK_REFUSALS: AtomicUsize = AtomicUsize::new(0);
static LOCK_SUBMITTERS_DONE: AtomicUsize = AtomicUsize::new(0);
static LOCK_ISR_FED: AtomicUsize = AtomicUsize::new(0);
static LOCK_ISR_REFUSED: AtomicUsize = AtomicUsize::new(0);
static LOCK_TEAM: TeamSlot<LockTeam> = TeamSlot::new();

fn lock_hit(i: usize) {
    LOCK_HITS[i].fetch_add(1, SeqCst);
    if i.is_multiple_of(40) {
        // Block now and then, so that workers are busy and the backlog fills.
        kernel::delay(1);
    }
    LOCK_RAN.fetch_add(1, SeqCst);
}

fn lock_flood(_: usize) {
    let team = LOCK_TEAM.get().unwrap();
    for i in 0..FLOOD {
        LOCK_REFUSALS.fetch_add(submit_retrying(team, FnWork::new(lock_hit, i)), SeqCst);
    }
    LOCK_SUBMITTERS_DONE.fetch_add(1, SeqCst);
}

fn lock_side(k: usize) {
    let team = LOCK_TEAM.get().unwrap();
    for i in FLOOD + k * SIDE..FLOOD + (k + 1) * SIDE {
        LOCK_REFUSALS.fetch_add(submit_retrying(team, FnWork::new(lock_hit, i)), SeqCst);
    }
    LOCK_SUBMITTERS_DONE.fetch_add(1, SeqCst);
}

/// The timer interrupt: one item per interrupt into the lock-coordinated Team. The handler
/// may not take the FreeRTOS mutex, so the item is deferred to the lock's next holder; a
/// full backlog (the flood keeps it full) hands it back, and it is tried again.
fn lock_isr() {
    let i = LOCK_ISR_FED.load(SeqCst);
    if i == LOCK_ISR_ITEMS {
        return;
    }
    let Some(team) = LOCK_TEAM.get() else { return };
    match team.submit(FnWork::new(lock_hit, FLOOD + 2 * SIDE + i)) {
        Ok(()) => LOCK_ISR_FED.store(i + 1, SeqCst),
        Err(_) => {
            LOCK_ISR_REFUSED.fetch_add(1, SeqCst);
        }
    }
}

fn lock_coordinator() {
    let team = TeamBuilder::new(create as Create).coordinator(new_lock_coordinator()).build_static(&LOCK_TEAM);
    let base = settled();

    team.grow(3).unwrap();
    let grown = wait_until(EVENTUALLY, || kernel::task_count() == BASE_TASKS + 3);
    team.shrink(Some(2)).unwrap();
    let shrunk = wait_until(EVENTUALLY, || kernel::task_count() == BASE_TASKS + 1);
    check(
        "grow and shrink create and delete worker tasks",
        base && grown && shrunk && team.statistics().idle_workers == 1,
        format_args!("{:?}", team.statistics()),
    );

    timer::start(lock_isr);
    in_task("flood", TOP, lock_flood, 0);
    in_task("side0", MID, lock_side, 0);
    in_task("side1", MID, lock_side, 1);
    // Work the interrupt defers runs when a task next takes the lock: a submitter, a worker
    // handing back, or (once those are done) this task's pump at every tick.
    let submitted = wait_until(EVENTUALLY, || {
        team.pump().unwrap();
        LOCK_SUBMITTERS_DONE.load(SeqCst) == 3 && LOCK_ISR_FED.load(SeqCst) == LOCK_ISR_ITEMS
    });
    timer::stop();
    team.pump().unwrap();
    let all_ran = wait_until(EVENTUALLY, || LOCK_RAN.load(SeqCst) == LOCK_ITEMS);
    let quiet = wait_until(EVENTUALLY, || {
        let s = team.statistics();
        s.busy_workers == 0 && s.backlogged == 0
    });
    let s = team.statistics();
    team.quit().unwrap();
    let finished = wait_until(EVENTUALLY, || team.is_finished() && kernel::task_count() == BASE_TASKS);
    let end = team.statistics();
    let once = LOCK_HITS.iter().filter(|h| h.load(SeqCst) == 1).count();
    check(
        "every item exactly once: a priority-4 flood, two priority-2 tasks and the timer interrupt into priority-1 workers",
        submitted && all_ran && once == LOCK_ITEMS,
        format_args!(
            "{}/{} ran exactly once ({} by the interrupt, {} interrupt hand-backs; {} task hand-backs of a full backlog)",
            once,
            LOCK_ITEMS,
            LOCK_ISR_ITEMS,
            LOCK_ISR_REFUSED.load(SeqCst),
            LOCK_REFUSALS.load(SeqCst)
        ),
    );
    check(
        "quit deletes every worker task",
        quiet && finished && s.workers() == LIMIT && end.workers() == 0 && end.workers_retired == end.workers_created,
        format_args!("after the flood {:?}; after quit {:?}", s, end),
    );
}

// ---- 2. A task coordinator fed from the timer interrupt -------------------------------------

const ISR_ITEMS: usize = 400;
const TASK_ITEMS: usize = 150;
const ISR_PER_INTERRUPT: usize = 3;
const FED_ITEMS: usize = ISR_ITEMS + TASK_ITEMS;
static TASK_HITS: [AtomicU8; FED_ITEMS] = [const { AtomicU8::new(0) }; FED_ITEMS];
static TASK_RAN: AtomicUsize = AtomicUsize::new(0);
static RAN_IN_INTERRUPT: AtomicUsize = AtomicUsize::new(0);
static ISR_FED: AtomicUsize = AtomicUsize::new(0);
static ISR_REFUSED: AtomicUsize = AtomicUsize::new(0);
static ISR_CALLS: AtomicU32 = AtomicU32::new(0);
static ISR_WAS_INTERRUPT: AtomicBool = AtomicBool::new(true);
static ISR_LOCK_REFUSED: AtomicBool = AtomicBool::new(false);
static ISR_START_REFUSED: AtomicBool = AtomicBool::new(false);
static ISR_SIGNAL: FreeRtosSignal = FreeRtosSignal::new();
static ISR_SIGNAL_WOKE: AtomicBool = AtomicBool::new(false);
static TASK_FEED_DONE: AtomicBool = AtomicBool::new(false);
static COORDINATOR: CoordinatorTask = TaskWorker::new();
static TASK_TEAM: TeamSlot<TaskTeam> = TeamSlot::new();
static ISR_LOCK: FreeRtosLock = FreeRtosLock::new();

fn task_hit(i: usize) {
    if kernel::in_interrupt() {
        RAN_IN_INTERRUPT.fetch_add(1, SeqCst);
    }
    TASK_HITS[i].fetch_add(1, SeqCst);
    if i.is_multiple_of(50) {
        kernel::delay(1);
    }
    TASK_RAN.fetch_add(1, SeqCst);
}

/// The timer interrupt: up to three items per interrupt; a hand-back (full backlog or
/// coordinator inbox) is tried again at the next interrupt.
fn task_isr() {
    let calls = ISR_CALLS.fetch_add(1, SeqCst);
    if !kernel::in_interrupt() {
        ISR_WAS_INTERRUPT.store(false, SeqCst);
    }
    if calls == 0 {
        // What may not be done in an interrupt handler is refused, not attempted.
        ISR_LOCK_REFUSED.store(ISR_LOCK.with((), |()| ()).is_err(), SeqCst);
        let unused = WORKERS.iter().find(|w| !w.is_started()).unwrap();
        ISR_START_REFUSED.store(matches!(unused.start("never", LOW), Err(SpawnError::InInterrupt)), SeqCst);
        ISR_SIGNAL.notify();
    }
    let Some(team) = TASK_TEAM.get() else { return };
    for _ in 0..ISR_PER_INTERRUPT {
        let i = ISR_FED.load(SeqCst);
        if i == ISR_ITEMS {
            return;
        }
        if team.submit(FnWork::new(task_hit, i)).is_err() {
            ISR_REFUSED.fetch_add(1, SeqCst);
            return;
        }
        ISR_FED.store(i + 1, SeqCst);
    }
}

fn signal_waiter(_: usize) {
    ISR_SIGNAL.wait();
    ISR_SIGNAL_WOKE.store(true, SeqCst);
}

fn task_feed(_: usize) {
    let team = TASK_TEAM.get().unwrap();
    for i in ISR_ITEMS..FED_ITEMS {
        submit_retrying(team, FnWork::new(task_hit, i));
    }
    TASK_FEED_DONE.store(true, SeqCst);
}

fn task_coordinator() {
    let base = settled();
    in_task("waiter", TOP, signal_waiter, 0);
    let coordinator = COORDINATOR.start("coordinator", HIGH).unwrap();
    let team = TeamBuilder::new(create as Create).coordinator(coordinator).build_static(&TASK_TEAM);
    timer::start(task_isr);
    in_task("feeder", MID, task_feed, 0);
    let all_ran = wait_until(EVENTUALLY, || {
        ISR_FED.load(SeqCst) == ISR_ITEMS && TASK_FEED_DONE.load(SeqCst) && TASK_RAN.load(SeqCst) == FED_ITEMS
    });
    timer::stop();
    let quiet = wait_until(EVENTUALLY, || {
        let s = team.statistics();
        s.busy_workers == 0 && s.backlogged == 0
    });
    let s = team.statistics();
    team.quit().unwrap();
    let finished = wait_until(EVENTUALLY, || {
        team.is_finished() && COORDINATOR.stack_high_water_mark().is_some() && kernel::task_count() == BASE_TASKS
    });
    let end = team.statistics();
    let once = TASK_HITS.iter().filter(|h| h.load(SeqCst) == 1).count();
    check(
        "every item exactly once: the timer interrupt and a priority-2 task into a priority-3 coordinator task",
        base && all_ran && once == FED_ITEMS && RAN_IN_INTERRUPT.load(SeqCst) == 0,
        format_args!(
            "{}/{} ran exactly once, none in an interrupt ({} from {} interrupts, {} hand-backs retried)",
            once,
            FED_ITEMS,
            ISR_ITEMS,
            ISR_CALLS.load(SeqCst),
            ISR_REFUSED.load(SeqCst)
        ),
    );
    check(
        "in the interrupt: the lock and task creation are refused, a notify wakes a priority-4 task",
        ISR_WAS_INTERRUPT.load(SeqCst)
            && ISR_LOCK_REFUSED.load(SeqCst)
            && ISR_START_REFUSED.load(SeqCst)
            && wait_until(EVENTUALLY, || ISR_SIGNAL_WOKE.load(SeqCst)),
        format_args!("timer priority {:#x} (configMAX_SYSCALL_INTERRUPT_PRIORITY 0xa0)", timer::PRIORITY),
    );
    check(
        "the coordinator task creates and retires worker tasks; quit ends it and them",
        quiet && finished && s.workers_created >= 1 && end.workers() == 0 && end.workers_retired == end.workers_created,
        format_args!("after the feed {:?}; after quit {:?}", s, end),
    );
}

// ---- 3. A paced Team on FreeRTOS ticks ------------------------------------------------------

static CLOCK: FreeRtosClock = FreeRtosClock::new();
static TIMER: FreeRtosSignal = FreeRtosSignal::new();
static PACED: TeamSlot<LockTeam> = TeamSlot::new();
const INTERVAL_MS: u32 = 30;
const KEEP_ALIVE_MS: u32 = 60;
const SLOW_ITEMS: usize = 6;
const SLOW_TICKS: u32 = 40;
static CREATED_AT: [AtomicU32; LIMIT] = [const { AtomicU32::new(0) }; LIMIT];
static PACED_CREATED: AtomicUsize = AtomicUsize::new(0);
static SLOW_DONE: AtomicUsize = AtomicUsize::new(0);
static LAST_DONE_AT: AtomicU32 = AtomicU32::new(0);
static TIMER_ENDED: AtomicBool = AtomicBool::new(false);

fn create_paced(stats: &Statistics) -> Option<Wk> {
    let worker = create(stats)?;
    if let Some(at) = CREATED_AT.get(PACED_CREATED.fetch_add(1, SeqCst)) {
        at.store(kernel::tick_count(), SeqCst);
    }
    Some(worker)
}

fn slow(_: usize) {
    kernel::delay(SLOW_TICKS);
    LAST_DONE_AT.store(kernel::tick_count(), SeqCst);
    SLOW_DONE.fetch_add(1, SeqCst);
}

/// The Team's timer task: sleeps until the next deadline (or until the Team wakes it
/// because the deadline moved earlier), then ticks the Team.
fn pace(_: usize) {
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

fn paced() {
    let base = settled();
    let policy = GrowthPolicy::new()
        .burst(1)
        .growth_interval(Duration::from_millis(u64::from(INTERVAL_MS)))
        .keep_alive(Some(Duration::from_millis(u64::from(KEEP_ALIVE_MS))))
        .max(Some(LIMIT));
    let team = TeamBuilder::new(create_paced as Create)
        .coordinator(new_lock_coordinator())
        .policy(policy)
        .clock(&CLOCK)
        .timer(&TIMER)
        .build_static(&PACED);
    in_task("pacer", HIGH, pace, 0);
    let t0 = kernel::tick_count();
    for _ in 0..SLOW_ITEMS {
        submit_retrying(team, FnWork::new(slow, 0));
    }
    let ran = wait_until(EVENTUALLY, || SLOW_DONE.load(SeqCst) == SLOW_ITEMS);
    let retired = wait_until(EVENTUALLY, || team.statistics().workers() == 0);
    let retired_at = kernel::tick_count();
    let s = team.statistics();
    let at: [u32; LIMIT] = core::array::from_fn(|i| CREATED_AT[i].load(SeqCst).wrapping_sub(t0));
    // One tick of slack: a pass reads the clock when it starts, and `create` may run a tick
    // later (without pacing, all three would come within a tick of the first).
    let paced = at.windows(2).all(|w| w[1].wrapping_sub(w[0]) >= INTERVAL_MS - 1);
    let kept = retired_at.wrapping_sub(LAST_DONE_AT.load(SeqCst)) >= KEEP_ALIVE_MS;
    check(
        "workers come one growth interval apart, on FreeRTOS ticks",
        base && ran && s.workers_created == LIMIT as u64 && paced,
        format_args!(
            "{} items of {} ticks; workers created at ticks {:?} (interval {})",
            SLOW_ITEMS, SLOW_TICKS, at, INTERVAL_MS
        ),
    );
    check(
        "idle workers retire after the keep-alive, on FreeRTOS ticks",
        retired && kept && s.workers_retired == LIMIT as u64,
        format_args!(
            "last item done at +{}, all retired by +{} (keep-alive {})",
            LAST_DONE_AT.load(SeqCst).wrapping_sub(t0),
            retired_at.wrapping_sub(t0),
            KEEP_ALIVE_MS
        ),
    );
    team.quit().unwrap();
    let ended =
        wait_until(EVENTUALLY, || team.is_finished() && TIMER_ENDED.load(SeqCst) && kernel::task_count() == BASE_TASKS);
    check("quit ends the timer task too", ended, format_args!("{} tasks", kernel::task_count()));
}

// ---- 4. Figures ------------------------------------------------------------------------------

/// Bytes of a `StackType_t`.
const WORD: usize = 4;

fn figures() {
    for (i, worker) in WORKERS.iter().enumerate().filter(|(_, w)| w.is_started()) {
        if let Some(free) = worker.stack_high_water_mark() {
            let scenario = SCENARIOS[usize::from(WORKER_SCENARIO[i].load(SeqCst))];
            figure(format_args!(
                "stack worker {} {}: used {} of {} B",
                scenario,
                i,
                (WORKER_STACK_WORDS - free) * WORD,
                WORKER_STACK_WORDS * WORD
            ));
        }
    }
    if let Some(free) = COORDINATOR.stack_high_water_mark() {
        figure(format_args!(
            "stack coordinator: used {} of {} B",
            (threadteam_freertos::DEFAULT_STACK_WORDS - free) * WORD,
            threadteam_freertos::DEFAULT_STACK_WORDS * WORD
        ));
    }
    for helper in helpers() {
        if let Some(free) = helper.stack_high_water_mark() {
            figure(format_args!(
                "stack helper: used {} of {} B",
                (threadteam_freertos::DEFAULT_STACK_WORDS - free) * WORD,
                threadteam_freertos::DEFAULT_STACK_WORDS * WORD
            ));
        }
    }
    let (tcb, semaphore) = kernel::static_object_sizes();
    figure(format_args!("static StaticTask_t {} B, StaticSemaphore_t {} B", tcb, semaphore));
    figure(format_args!(
        "static worker TaskWorker<Job<FnWork>, 1, {}> {} B (stack {} B)",
        WORKER_STACK_WORDS,
        size_of::<WorkerTask>(),
        WORKER_STACK_WORDS * WORD
    ));
    figure(format_args!(
        "static coordinator TaskWorker<Coordinate<FnWork>, {}> {} B",
        COORDINATOR_INBOX,
        size_of::<CoordinatorTask>()
    ));
    figure(format_args!(
        "static TeamSlot lock-coordinated Fixed<{}, {}> {} B",
        BACKLOG,
        LIMIT,
        size_of::<TeamSlot<LockTeam>>()
    ));
    figure(format_args!(
        "static TeamSlot task-coordinated Fixed<{}, {}> {} B",
        BACKLOG,
        LIMIT,
        size_of::<TeamSlot<TaskTeam>>()
    ));
    figure(format_args!(
        "static FreeRtosLock {} B, FreeRtosSignal {} B, FreeRtosClock {} B",
        size_of::<FreeRtosLock>(),
        size_of::<FreeRtosSignal>(),
        size_of::<FreeRtosClock>()
    ));
    figure(format_args!("heap none (configSUPPORT_DYNAMIC_ALLOCATION 0, no global allocator)"));
}

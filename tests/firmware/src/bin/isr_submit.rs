//! The proof for issue 15: a static no-alloc Team takes submits from an interrupt handler
//! that lands anywhere in `main`'s work, on a single core, without deadlock or loss.
//!
//! - The Team: `Fixed<8, 3>` storage, a `LockWorker<_, CriticalSectionLock>` coordinator,
//!   three static memory workers that only `main` drives (`perform`), in a static `TeamSlot`.
//! - SysTick fires every 85-130 us (the reload is varied at each tick) and submits up to
//!   `ISR_BURST` new items; `main` submits its own between rounds of performs. A refused item
//!   (`BacklogFull`) is kept and resubmitted first next time, by whichever side owns it.
//! - Each item's argument is a unique id; a counter per id records how often it ran.
//! - At the end: SysTick off, `quit()`, drain, then every id ran exactly once, every item
//!   was accepted once, nothing ran in an interrupt handler, and the Team's statistics
//!   are those of a finished Team. One summary line; QEMU's exit status is the verdict.
#![no_std]
#![no_main]

use core::cell::RefCell;
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

use cortex_m::interrupt::{self, Mutex};
use cortex_m::peripheral::scb::VectActive;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::{SCB, SYST};
use cortex_m_rt::{entry, exception};
use cortex_m_semihosting::hprintln;
use threadteam_core::{
    port::CriticalSectionLock,
    team::{Coordinate, Fixed, Job, Statistics, Team, TeamBuilder, TeamSlot},
    workers::{FnWork, LockWorker, MemoryWorker},
    SubmitError, Worker,
};
use threadteam_firmware::{finish, BOARD};

type Inbox = heapless::Deque<Job<FnWork>, 4>;
type Wk = &'static MemoryWorker<Job<FnWork>, Inbox>;
type Coord = LockWorker<Coordinate<FnWork>, CriticalSectionLock, heapless::Deque<Coordinate<FnWork>, 8>>;
type IsrTeam = Team<FnWork, Wk, Coord, fn(&Statistics) -> Option<Wk>, Fixed<8, 3>>;

const WORKERS_MAX: usize = 3;
/// Items in all; ids `0..ISR_ITEMS` are submitted by the SysTick handler, the rest by `main`.
const ITEMS: usize = 4000;
const ISR_ITEMS: usize = if cfg!(feature = "main-only") { 0 } else { ITEMS / 2 };
/// New items the handler submits per tick (fewer once one is refused).
const ISR_BURST: usize = 3;
/// New items `main` submits between two rounds of performs.
const MAIN_BURST: usize = 2;
/// `main` keeps pace with the ticks: it submits only while its count stays below
/// `ISR_BURST` per tick so far plus this lead, so both sides submit all through the run
/// (and the control variant lasts as long as the real one).
const MAIN_LEAD: usize = 16;
/// SysTick counts core cycles: 12 MHz on QEMU's lm3s6965evb, 16 MHz on its microbit.
#[cfg(board = "lm3s6965evb")]
const CORE_MHZ: u32 = 12;
#[cfg(board = "microbit")]
const CORE_MHZ: u32 = 16;
/// Tick periods are `RELOAD_MIN + (0..RELOAD_SPREAD)` cycles (85-130 us), varied at each
/// tick so the interrupt lands at ever different points of `main`'s loop. Not shorter:
/// below about 80 us QEMU 7.2 delivers SysTick late and irregularly, and a run gets slower.
const RELOAD_MIN: u32 = 85 * CORE_MHZ;
const RELOAD_SPREAD: u32 = 45 * CORE_MHZ;

static WORKERS: [MemoryWorker<Job<FnWork>, Inbox>; WORKERS_MAX] =
    [const { MemoryWorker::with_queue(heapless::Deque::new()) }; WORKERS_MAX];
static SLOT: TeamSlot<IsrTeam> = TeamSlot::new();

/// How often each id ran. Atomics for shared statics; only load and store exist on
/// thumbv6m, so increments happen inside a critical section.
static RAN: [AtomicU8; ITEMS] = [const { AtomicU8::new(0) }; ITEMS];
/// Items that ran inside an exception handler (none may: only `main` performs).
static RAN_IN_HANDLER: AtomicUsize = AtomicUsize::new(0);

// Written by the SysTick handler only; read by `main` once SysTick is off (and `TICKS`
// all along, to pace its own submits).
static TICKS: AtomicUsize = AtomicUsize::new(0);
static TICKS_IN_PERFORM: AtomicUsize = AtomicUsize::new(0);
static ISR_SUBMITS: AtomicUsize = AtomicUsize::new(0);
static ISR_REFUSALS: AtomicUsize = AtomicUsize::new(0);
static ISR_ERRORS: AtomicUsize = AtomicUsize::new(0);
static ISR_DONE: AtomicBool = AtomicBool::new(false);

/// Set by `main` around each `perform`: a tick that finds it set interrupted the window
/// where the memory worker's lock may be held.
static IN_PERFORM: AtomicBool = AtomicBool::new(false);

/// The SysTick peripheral, lent to the handler (which varies the reload) while it runs.
static SYSTICK: Mutex<RefCell<Option<SYST>>> = Mutex::new(RefCell::new(None));

fn create(stats: &Statistics) -> Option<Wk> {
    WORKERS.get(stats.workers_created as usize)
}

/// The work: counts one run of item `id`.
fn record(id: usize) {
    if SCB::vect_active() != VectActive::ThreadMode {
        interrupt::free(|_| bump(&RAN_IN_HANDLER));
    }
    let counter = &RAN[id];
    interrupt::free(|_| counter.store(counter.load(Ordering::Relaxed).saturating_add(1), Ordering::Relaxed));
}

/// `+= 1` for a counter whose every writer holds a critical section or is its only writer.
fn bump(counter: &AtomicUsize) {
    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// A submitter's own sequence of items: new ids in its range, and the one the Team last
/// refused, which goes first next time.
struct Submitter {
    next: usize,
    end: usize,
    kept: Option<FnWork>,
}

/// What one round of submits came to.
#[derive(Default)]
struct Round {
    accepted: usize,
    refused: usize,
    errors: usize,
}

impl Submitter {
    const fn new(start: usize, end: usize) -> Self {
        Self { next: start, end, kept: None }
    }

    fn is_done(&self) -> bool {
        self.kept.is_none() && self.next == self.end
    }

    /// Submits up to `burst` items, the kept one first; stops at the first refusal and
    /// keeps that item.
    fn round(&mut self, team: &IsrTeam, burst: usize) -> Round {
        let mut round = Round::default();
        for _ in 0..burst {
            let work = match self.kept.take() {
                Some(work) => work,
                None if self.next < self.end => {
                    self.next += 1;
                    FnWork::new(record, self.next - 1)
                }
                None => break,
            };
            match team.submit(work) {
                Ok(()) => round.accepted += 1,
                Err(SubmitError::BacklogFull(work)) => {
                    round.refused += 1;
                    self.kept = Some(work.into_inner());
                    break;
                }
                Err(refused) => {
                    // The Team never quits while submitters are active: a wrong answer.
                    round.errors += 1;
                    self.kept = Some(refused.into_inner());
                    break;
                }
            }
        }
        round
    }
}

#[exception]
fn SysTick() {
    static mut SUBMITTER: Submitter = Submitter::new(0, ISR_ITEMS);
    static mut LFSR: u32 = 0xACE1;

    bump(&TICKS);
    if IN_PERFORM.load(Ordering::Relaxed) {
        bump(&TICKS_IN_PERFORM);
    }
    // Next period: a 16-bit Galois LFSR picks it, so interrupts fall on varying instructions.
    *LFSR = (*LFSR >> 1) ^ (0u32.wrapping_sub(*LFSR & 1) & 0xB400);
    let reload = RELOAD_MIN + (*LFSR % RELOAD_SPREAD);
    interrupt::free(|cs| {
        if let Some(syst) = SYSTICK.borrow(cs).borrow_mut().as_mut() {
            syst.set_reload(reload);
        }
    });

    let Some(team) = SLOT.get() else { return };
    let round = SUBMITTER.round(team, ISR_BURST);
    ISR_SUBMITS.store(ISR_SUBMITS.load(Ordering::Relaxed) + round.accepted, Ordering::Relaxed);
    ISR_REFUSALS.store(ISR_REFUSALS.load(Ordering::Relaxed) + round.refused, Ordering::Relaxed);
    ISR_ERRORS.store(ISR_ERRORS.load(Ordering::Relaxed) + round.errors, Ordering::Relaxed);
    if SUBMITTER.is_done() {
        ISR_DONE.store(true, Ordering::Release);
    }
}

/// Performs one item on each worker; returns how many ran.
fn perform_round() -> usize {
    let mut ran = 0;
    for worker in &WORKERS {
        IN_PERFORM.store(true, Ordering::Relaxed);
        let performed = worker.perform();
        IN_PERFORM.store(false, Ordering::Relaxed);
        ran += usize::from(performed);
    }
    ran
}

#[entry]
fn main() -> ! {
    let Some(peripherals) = cortex_m::Peripherals::take() else { finish(false) };
    let team = TeamBuilder::new(create as fn(&_) -> _)
        .coordinator(LockWorker::with_queue(CriticalSectionLock::new(), heapless::Deque::new()))
        .build_static(&SLOT);

    let mut syst = peripherals.SYST;
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD_MIN);
    syst.clear_current();
    syst.enable_counter();
    interrupt::free(|cs| *SYSTICK.borrow(cs).borrow_mut() = Some(syst));
    interrupt::free(|cs| {
        if let Some(syst) = SYSTICK.borrow(cs).borrow_mut().as_mut() {
            syst.enable_interrupt();
        }
    });

    let mut submitter = Submitter::new(ISR_ITEMS, ITEMS);
    let (mut main_submits, mut main_refusals, mut main_errors) = (0, 0, 0);
    let mut rounds: usize = 0;
    loop {
        if main_submits < TICKS.load(Ordering::Relaxed) * ISR_BURST + MAIN_LEAD {
            let round = submitter.round(team, MAIN_BURST);
            main_submits += round.accepted;
            main_refusals += round.refused;
            main_errors += round.errors;
        }
        let ran = perform_round();
        rounds += 1;
        if ran == 0 && submitter.is_done() && ISR_DONE.load(Ordering::Acquire) {
            break;
        }
    }

    // SysTick off (and any pending tick dropped) before the Team quits.
    let syst = interrupt::free(|cs| SYSTICK.borrow(cs).borrow_mut().take());
    let Some(mut syst) = syst else { finish(false) };
    syst.disable_interrupt();
    syst.disable_counter();
    SCB::clear_pendst();

    let quit_ok = team.quit().is_ok();
    let mut drained = 0;
    loop {
        let ran = perform_round();
        if ran == 0 {
            break;
        }
        drained += ran;
    }

    let mut ran_once = 0;
    let mut ran_twice = 0;
    let mut first_bad = None;
    for (id, counter) in RAN.iter().enumerate() {
        match counter.load(Ordering::Relaxed) {
            1 => ran_once += 1,
            n => {
                if n > 1 {
                    ran_twice += 1;
                }
                first_bad.get_or_insert((id, n));
            }
        }
    }
    let stats = team.statistics();
    let ticks = TICKS.load(Ordering::Relaxed);
    let ticks_in_perform = TICKS_IN_PERFORM.load(Ordering::Relaxed);
    let isr_submits = ISR_SUBMITS.load(Ordering::Relaxed);
    let errors = ISR_ERRORS.load(Ordering::Relaxed) + main_errors;
    let created = stats.workers_created as usize;
    let workers_clean = WORKERS.iter().all(|w| w.pending() == 0)
        && WORKERS[..created.min(WORKERS_MAX)].iter().all(MemoryWorker::is_quit);

    let checks = [
        ("every id ran exactly once", ran_once == ITEMS),
        ("every item accepted once", isr_submits == ISR_ITEMS && main_submits == ITEMS - ISR_ITEMS),
        ("no submit refused but for a full backlog", errors == 0),
        ("nothing ran in a handler", RAN_IN_HANDLER.load(Ordering::Relaxed) == 0),
        ("quit accepted", quit_ok),
        ("finished", team.is_finished()),
        ("nothing busy, idle or backlogged", (stats.busy_workers, stats.idle_workers, stats.backlogged) == (0, 0, 0)),
        ("every worker retired", stats.workers_retired == stats.workers_created),
        ("at most 3 workers", created <= WORKERS_MAX && stats.high_water <= WORKERS_MAX),
        ("no failure reported", stats.failures == 0),
        ("workers drained and quit", workers_clean),
        ("SysTick interrupted perform", ticks_in_perform > 0),
    ];
    let failed = checks.iter().find(|(_, ok)| !ok).map(|(name, _)| *name);

    hprintln!(
        "isr_submit {}: {} items={} ran_once={} ran_twice={} first_bad={:?} isr_submits={} main_submits={} \
         isr_refusals={} main_refusals={} ticks={} ticks_in_perform={} main_rounds={} drained={} \
         workers_created={} high_water={}{}",
        BOARD,
        if failed.is_none() { "PASS" } else { "FAIL" },
        ITEMS,
        ran_once,
        ran_twice,
        first_bad,
        isr_submits,
        main_submits,
        ISR_REFUSALS.load(Ordering::Relaxed),
        main_refusals,
        ticks,
        ticks_in_perform,
        rounds,
        drained,
        created,
        stats.high_water,
        if cfg!(feature = "main-only") { " (main-only control)" } else { "" },
    );
    if let Some(name) = failed {
        hprintln!("isr_submit {}: failed check: {}", BOARD, name);
    }
    finish(failed.is_none())
}

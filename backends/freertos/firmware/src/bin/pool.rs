//! threadteam's FreeRTOS backend on the real Cortex-M port, alloc configuration: `pool()`, a
//! Team of the core's `ThreadWorker`s, each a task from the FreeRTOS heap (heap_4, 48 KiB),
//! which is also Rust's global allocator; work is boxed closures.
//!
//! A priority-4 task floods a pool of priority-1 worker tasks while two priority-2 tasks
//! submit too; every item runs exactly once; grow, shrink and quit delete tasks; the heap
//! comes back. Figures: the FreeRTOS heap the pool used at its peak (tasks, semaphores,
//! queued boxed work), each worker's stack high-water mark.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering::SeqCst};

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use threadteam_core::{port::ThreadFactory, Worker};
use threadteam_freertos::{kernel, pool, FreeRtosPool, FreeRtosThreadFactory, SpawnError, TaskId};
use threadteam_freertos_firmware::{check, figure, in_task, run_controller, verdict, wait_until, BOARD, LOW, MID, TOP};

const EVENTUALLY: u32 = 5_000;
const LIMIT: usize = 3;
/// Words of a worker task's stack (2 KiB).
const WORKER_STACK_WORDS: u32 = 512;
const WORD: usize = 4;

/// Starts worker tasks through the real factory, and has each record its stack high-water
/// mark as it ends.
struct Measured(FreeRtosThreadFactory);

static MARKS: [AtomicUsize; 16] = [const { AtomicUsize::new(usize::MAX) }; 16];
static STARTED: AtomicUsize = AtomicUsize::new(0);

impl ThreadFactory for Measured {
    type Thread = TaskId;
    type Error = SpawnError;

    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<TaskId, SpawnError> {
        let n = STARTED.fetch_add(1, SeqCst);
        self.0.start(move || {
            main();
            if let Some(mark) = MARKS.get(n) {
                mark.store(kernel::stack_high_water_mark(), SeqCst);
            }
        })
    }
}

static POOL: spin_cell::Cell = spin_cell::Cell::new();

/// A place for the pool that the submitter tasks can reach (set once by the controller).
mod spin_cell {
    use core::sync::atomic::{AtomicPtr, Ordering};

    use super::{Arc, FreeRtosPool};

    pub struct Cell(AtomicPtr<FreeRtosPool>);

    impl Cell {
        pub const fn new() -> Self {
            Self(AtomicPtr::new(core::ptr::null_mut()))
        }

        /// Keeps a reference to `pool` until [`take`](Cell::take).
        pub fn set(&self, pool: &Arc<FreeRtosPool>) {
            let raw = Arc::into_raw(pool.clone()).cast_mut();
            assert!(self.0.swap(raw, Ordering::AcqRel).is_null(), "the pool is set once");
        }

        pub fn get(&self) -> Arc<FreeRtosPool> {
            let raw = self.0.load(Ordering::Acquire);
            assert!(!raw.is_null(), "the pool is set");
            // SAFETY: `raw` came from `Arc::into_raw` in `set` and its count is held until
            // `take`, which the controller calls only after every user is done.
            unsafe {
                Arc::increment_strong_count(raw);
                Arc::from_raw(raw)
            }
        }

        pub fn take(&self) {
            let raw = self.0.swap(core::ptr::null_mut(), Ordering::AcqRel);
            if !raw.is_null() {
                // SAFETY: the reference `set` kept, released once.
                drop(unsafe { Arc::from_raw(raw) });
            }
        }
    }
}

const FLOOD: usize = 300;
const SIDE: usize = 100;
const ITEMS: usize = FLOOD + 2 * SIDE;
static HITS: [AtomicU8; ITEMS] = [const { AtomicU8::new(0) }; ITEMS];
static RAN: AtomicUsize = AtomicUsize::new(0);
static SUBMITTERS_DONE: AtomicUsize = AtomicUsize::new(0);
static REFUSED: AtomicUsize = AtomicUsize::new(0);

fn submit_range(first: usize, count: usize) {
    let team = POOL.get();
    for (i, hit) in HITS.iter().enumerate().skip(first).take(count) {
        let work = Box::new(move || {
            hit.fetch_add(1, SeqCst);
            if i.is_multiple_of(40) {
                kernel::delay(1);
            }
            RAN.fetch_add(1, SeqCst);
        });
        if team.submit(work).is_err() {
            REFUSED.fetch_add(1, SeqCst);
        }
    }
    SUBMITTERS_DONE.fetch_add(1, SeqCst);
}

fn flood(_: usize) {
    submit_range(0, FLOOD);
}

fn side(k: usize) {
    submit_range(FLOOD + k * SIDE, SIDE);
}

#[entry]
fn main() -> ! {
    hprintln!("pool {}: FreeRTOS V11.2.0 on the Cortex-M port, FreeRTOS heap as the allocator", BOARD);
    run_controller(MID, controller)
}

/// Idle and the controller.
const BASE_TASKS: usize = 2;

fn controller(_: usize) {
    // heap_4 sets itself up at the first allocation; before that it reports nothing free.
    drop(Box::new(0_u8));
    let errors = Arc::new(AtomicUsize::new(0));
    let e = errors.clone();
    let heap_before = kernel::heap_stats();
    let team = pool(
        move || LIMIT,
        Measured(FreeRtosThreadFactory::new("worker", WORKER_STACK_WORDS, LOW)),
        move |_| {
            e.fetch_add(1, SeqCst);
        },
    );
    let heap_empty_pool = kernel::heap_stats();

    team.grow(3).unwrap();
    let grown = wait_until(EVENTUALLY, || kernel::task_count() == BASE_TASKS + 3);
    let heap_three_idle = kernel::heap_stats();
    team.shrink(Some(2)).unwrap();
    let shrunk = wait_until(EVENTUALLY, || kernel::task_count() == BASE_TASKS + 1);
    check(
        "grow and shrink create and delete worker tasks",
        grown && shrunk && team.statistics().idle_workers == 1,
        format_args!("{:?}", team.statistics()),
    );

    POOL.set(&team);
    in_task("flood", TOP, flood, 0);
    in_task("side0", MID, side, 0);
    in_task("side1", MID, side, 1);
    let all_ran = wait_until(EVENTUALLY, || SUBMITTERS_DONE.load(SeqCst) == 3 && RAN.load(SeqCst) == ITEMS);
    let quiet = wait_until(EVENTUALLY, || {
        let s = team.statistics();
        s.busy_workers == 0 && s.backlogged == 0
    });
    let heap_busy = kernel::heap_stats();
    let s = team.statistics();
    POOL.take();
    team.quit().unwrap();
    let finished = wait_until(EVENTUALLY, || team.is_finished() && kernel::task_count() == BASE_TASKS);
    let end = team.statistics();
    drop(team);
    // The idle task frees a deleted task's memory a little after it stops counting it.
    let heap_back = wait_until(EVENTUALLY, || kernel::heap_stats().free >= heap_before.free);
    let heap_after = kernel::heap_stats();
    let once = HITS.iter().filter(|h| h.load(SeqCst) == 1).count();
    check(
        "every item exactly once: a priority-4 flood and two priority-2 tasks into priority-1 workers",
        all_ran && once == ITEMS && REFUSED.load(SeqCst) == 0,
        format_args!("{}/{} boxed items ran exactly once, {} refused", once, ITEMS, REFUSED.load(SeqCst)),
    );
    check(
        "quit deletes every worker task",
        quiet && finished && s.workers() == LIMIT && end.workers() == 0 && end.workers_retired == end.workers_created,
        format_args!("after the flood {:?}; after quit {:?}", s, end),
    );
    check(
        "the FreeRTOS heap comes back",
        heap_back && heap_after.free == heap_before.free && errors.load(SeqCst) == 0,
        format_args!(
            "free {} B before, {} B after; least ever free {} B of {} B",
            heap_before.free, heap_after.free, heap_busy.min_ever_free, heap_before.total
        ),
    );
    figure(format_args!(
        "heap pool: {} B for the empty pool (Team, coordinator, lock), {} B at the peak ({} worker tasks and up to 500 queued boxed items), of {} B",
        heap_before.free - heap_empty_pool.free,
        heap_before.free - heap_busy.min_ever_free,
        LIMIT,
        heap_before.total
    ));
    let (tcb, _) = kernel::static_object_sizes();
    figure(format_args!(
        "heap per idle worker: {} B (TCB {} B, stack {} B, its ThreadWorker with its FreeRtosSignal, heap_4 block headers)",
        (heap_empty_pool.free - heap_three_idle.free) / 3,
        tcb,
        WORKER_STACK_WORDS as usize * WORD
    ));
    for (i, mark) in MARKS.iter().enumerate().take(STARTED.load(SeqCst)) {
        let free = mark.load(SeqCst);
        if free != usize::MAX {
            figure(format_args!(
                "stack worker pool {}: used {} of {} B",
                i,
                (WORKER_STACK_WORDS as usize - free) * WORD,
                WORKER_STACK_WORDS as usize * WORD
            ));
        }
    }
    verdict("pool")
}

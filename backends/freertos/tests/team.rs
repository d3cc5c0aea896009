//! The alloc configuration on a real FreeRTOS kernel (POSIX port): a Team of FreeRTOS-task
//! `ThreadWorker`s made by `threadteam_freertos::pool`, with its signal, lock and clock.
//! Run: `cargo test -p threadteam-freertos --test team`.
//!
//! Every task here runs at one priority, [`MID`], because they all allocate through the
//! host's allocator: on the POSIX port a task is a pthread that FreeRTOS suspends wherever
//! the tick lands, and one suspended inside glibc's `malloc` or `free` holds a lock that a
//! higher-priority task would then wait for in the host kernel, where FreeRTOS cannot see it
//! (the simulator's limitation, not the backend's). Mixed priorities are tested where
//! nothing allocates through glibc: the no-alloc test on the host, and both configurations
//! on the Cortex-M port (`backends/freertos/firmware`, where the heap is FreeRTOS's).

mod common;

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, OnceLock};

use common::{check, scenario, settled_tasks, tasks, wait_until, MID, STACK};
use threadteam_core::{
    port::{Clock, RawLock, Signal},
    workers::BoxedWork,
    Worker,
};
use threadteam_freertos::freertos_next::{CurrentTask, Duration, FreeRtosAllocator, Semaphore};
use threadteam_freertos::{
    pool, spawn, FreeRtosClock, FreeRtosLock, FreeRtosPool, FreeRtosSignal, FreeRtosThreadFactory, SpawnError,
};

/// Generous bound for "eventually" (ticks): every wait here normally ends within a few.
const EVENTUALLY: u32 = 5_000;

fn main() {
    common::run(
        "team",
        || {
            scenario("signal_and_clock", signal_and_clock);
            scenario("lock_is_exclusive_and_refuses_reentry", lock_is_exclusive_and_refuses_reentry);
            scenario("many_submitters_every_item_once", many_submitters_every_item_once);
            scenario("grow_shrink_and_quit_delete_tasks", grow_shrink_and_quit_delete_tasks);
            scenario(
                "heap_exhaustion_leaves_work_queued_and_reports_it",
                heap_exhaustion_leaves_work_queued_and_reports_it,
            );
        },
        || (),
    )
}

fn ms(d: u64) -> core::time::Duration {
    core::time::Duration::from_millis(d)
}

fn signal_and_clock() {
    let clock = FreeRtosClock::new();
    let sig = Arc::new(FreeRtosSignal::new());
    sig.notify();
    sig.notify();
    let first = sig.wait_timeout(ms(0));
    let second = sig.wait_timeout(ms(0));
    check("signal keeps one token", first && !second, format!("two notifies, then polls: {first}, {second}"));

    let t0 = clock.now();
    let timed_out = !sig.wait_timeout(ms(20));
    let waited = clock.now() - t0;
    check(
        "signal wait_timeout",
        timed_out && waited >= ms(20) && waited < ms(1_000),
        format!("no token: false after {waited:?} of ticks (asked 20 ms)"),
    );

    // Another task sleeps in wait(); a notify from this task wakes it.
    let woke = Arc::new(Semaphore::new_binary().unwrap());
    let (s, w) = (sig.clone(), woke.clone());
    spawn("sleeper", STACK, MID, move || {
        s.wait();
        w.give();
    })
    .unwrap();
    CurrentTask::delay(Duration::ticks(5)); // let it reach wait() (not needed for correctness)
    sig.notify();
    let ok = woke.take(Duration::ticks(EVENTUALLY)).is_ok();
    check("signal wakes a waiting task", ok, "notify from another task");

    let a = clock.now();
    CurrentTask::delay(Duration::ticks(10));
    let b = clock.now();
    check(
        "clock follows the tick",
        clock.tick_rate_hz() == 1000 && b - a >= ms(10) && b - a < ms(1_000) && clock.ticks() >= 10,
        format!("{} Hz; delay(10 ticks) measured {:?}; now {:?}", clock.tick_rate_hz(), b - a, b),
    );
}

fn lock_is_exclusive_and_refuses_reentry() {
    let lock = Arc::new(FreeRtosLock::new());
    let nested = lock.with(1, |one| (one, lock.with(2, |two| two)));
    check("lock refuses re-entry", nested == Ok((1, Err(2))), format!("{nested:?}"));

    // Load, yield, store under the lock: any overlap between tasks would lose updates.
    const TASKS: u32 = 3;
    const ITERS: u32 = 300;
    let counter = Arc::new(AtomicU32::new(0));
    let done = Arc::new(Semaphore::new_counting(TASKS, 0).unwrap());
    for i in 0..TASKS {
        let (lock, counter, done) = (lock.clone(), counter.clone(), done.clone());
        spawn(&format!("locker{i}"), STACK, MID, move || {
            for _ in 0..ITERS {
                lock.with((), |()| {
                    let v = counter.load(SeqCst);
                    CurrentTask::yield_now();
                    counter.store(v + 1, SeqCst);
                })
                .unwrap();
            }
            done.give();
        })
        .unwrap();
    }
    let joined = (0..TASKS).filter(|_| done.take(Duration::ticks(EVENTUALLY)).is_ok()).count();
    let total = counter.load(SeqCst);
    check(
        "lock excludes other tasks",
        joined == TASKS as usize && total == TASKS * ITERS,
        format!("{joined} tasks x {ITERS} yielding increments = {total}"),
    );
}

fn new_pool(limit: usize, errors: Arc<Mutex<Vec<SpawnError>>>) -> Arc<FreeRtosPool> {
    pool(move || limit, FreeRtosThreadFactory::new("worker", STACK, MID), move |e| errors.lock().push(*e))
}

/// The test's record of start errors: a FreeRTOS mutex, since the reporting task and the
/// controller are both FreeRTOS tasks.
struct Mutex<T>(threadteam_freertos::freertos_next::Mutex<T>);

impl<T> Mutex<T> {
    fn new(v: T) -> Self {
        Self(threadteam_freertos::freertos_next::Mutex::new(v).unwrap())
    }
    fn lock(
        &self,
    ) -> threadteam_freertos::freertos_next::MutexGuard<'_, T, threadteam_freertos::freertos_next::MutexNormal> {
        self.0.lock(Duration::infinite()).unwrap()
    }
}

fn no_errors() -> Arc<Mutex<Vec<SpawnError>>> {
    Arc::new(Mutex::new(Vec::new()))
}

fn many_submitters_every_item_once() {
    const SUBMITTERS: usize = 4;
    const PER: usize = 250;
    const ITEMS: usize = SUBMITTERS * PER;
    static HITS: [AtomicU8; ITEMS] = [const { AtomicU8::new(0) }; ITEMS];
    static RAN: AtomicUsize = AtomicUsize::new(0);
    static ALL_RAN: OnceLock<Semaphore> = OnceLock::new();
    ALL_RAN.get_or_init(|| Semaphore::new_binary().unwrap());

    let base = settled_tasks();
    let team = new_pool(4, no_errors());
    let submitted = Arc::new(Semaphore::new_counting(SUBMITTERS as u32, 0).unwrap());
    let refused = Arc::new(AtomicUsize::new(0));
    for s in 0..SUBMITTERS {
        let (team, submitted, refused) = (team.clone(), submitted.clone(), refused.clone());
        spawn(&format!("submitter{s}"), STACK, MID, move || {
            for k in 0..PER {
                let i = s * PER + k;
                let work: BoxedWork = Box::new(move || {
                    HITS[i].fetch_add(1, SeqCst);
                    if i.is_multiple_of(50) {
                        // Block now and then so workers really are busy and work backlogs.
                        CurrentTask::delay(Duration::ticks(1));
                    }
                    if RAN.fetch_add(1, SeqCst) + 1 == ITEMS {
                        ALL_RAN.get().unwrap().give();
                    }
                });
                if team.submit(work).is_err() {
                    refused.fetch_add(1, SeqCst);
                }
            }
            submitted.give();
        })
        .unwrap();
    }
    let submitters_done = (0..SUBMITTERS).filter(|_| submitted.take(Duration::ticks(EVENTUALLY)).is_ok()).count();
    let all_ran = ALL_RAN.get().unwrap().take(Duration::ticks(EVENTUALLY)).is_ok();
    let quiet = wait_until(EVENTUALLY, || {
        let s = team.statistics();
        s.busy_workers == 0 && s.backlogged == 0
    });
    let once = HITS.iter().filter(|h| h.load(SeqCst) == 1).count();
    let s = team.statistics();
    check(
        "every item exactly once",
        submitters_done == SUBMITTERS && all_ran && refused.load(SeqCst) == 0 && once == ITEMS,
        format!(
            "{SUBMITTERS} submitter tasks x {PER}: {once}/{ITEMS} ran exactly once, {} refused",
            refused.load(SeqCst)
        ),
    );
    // The first submits find every worker busy (new tasks of equal priority do not run
    // before the submitter's slice ends), so the Team grows to its limit.
    check(
        "statistics after the burst",
        quiet
            && s.idle_workers == 4
            && s.busy_workers == 0
            && s.backlogged == 0
            && s.workers_created == 4
            && s.workers_retired == 0
            && s.high_water == 4
            && s.failures == 0
            && wait_until(EVENTUALLY, || tasks() == base + 4),
        format!("{s:?}; tasks {} (base {base})", tasks()),
    );
    team.quit().unwrap();
    let finished = wait_until(EVENTUALLY, || team.is_finished());
    let gone = wait_until(EVENTUALLY, || tasks() == base);
    let s = team.statistics();
    check(
        "quit ends every worker task",
        finished && gone && s.workers() == 0 && s.workers_retired == 4,
        format!("finished {finished}; tasks {} (base {base}); {s:?}", tasks()),
    );
}

fn grow_shrink_and_quit_delete_tasks() {
    let base = settled_tasks();
    let team = new_pool(8, no_errors());
    team.grow(3).unwrap();
    let s = team.statistics();
    let grown = s.idle_workers == 3 && s.workers_created == 3 && wait_until(EVENTUALLY, || tasks() == base + 3);
    check("grow creates tasks", grown, format!("{s:?}; tasks {} (base {base})", tasks()));

    team.shrink(Some(2)).unwrap();
    let s = team.statistics();
    let shrunk = s.idle_workers == 1 && s.workers_retired == 2 && wait_until(EVENTUALLY, || tasks() == base + 1);
    check("shrink deletes idle tasks", shrunk, format!("{s:?}; tasks {} (base {base})", tasks()));

    // A busy worker is not interrupted: shrinking everything leaves a debt it pays when done.
    let gate = Arc::new(Semaphore::new_binary().unwrap());
    let ran = Arc::new(AtomicBool::new(false));
    let (g, r) = (gate.clone(), ran.clone());
    team.submit(Box::new(move || {
        g.take(Duration::infinite()).unwrap();
        r.store(true, SeqCst);
    }))
    .unwrap();
    team.grow(1).unwrap();
    team.shrink(None).unwrap();
    let s = team.statistics();
    let debt = s.busy_workers == 1
        && s.idle_workers == 0
        && s.shrink_debt == 1
        && wait_until(EVENTUALLY, || tasks() == base + 1);
    check("shrink waits for busy work", debt, format!("{s:?}; tasks {} (base {base})", tasks()));
    gate.give();
    let paid =
        wait_until(EVENTUALLY, || team.statistics().workers() == 0) && wait_until(EVENTUALLY, || tasks() == base);
    let s = team.statistics();
    check(
        "the debt retires the worker after its item",
        paid && ran.load(SeqCst)
            && s.shrink_debt == 0
            && s.workers_created == 4
            && s.workers_retired == 4
            && s.high_water == 3,
        format!("{s:?}; tasks {} (base {base})", tasks()),
    );

    team.grow(2).unwrap();
    team.quit().unwrap();
    let finished = wait_until(EVENTUALLY, || team.is_finished()) && wait_until(EVENTUALLY, || tasks() == base);
    let refused = team.submit(Box::new(|| ())).map_err(|e| e.is_already_quit());
    let s = team.statistics();
    check(
        "quit deletes the rest and refuses work",
        finished && refused == Err(true) && s.workers_created == 6 && s.workers_retired == 6,
        format!("{s:?}; tasks {} (base {base}); submit after quit: {refused:?}", tasks()),
    );
}

/// Takes the FreeRTOS heap until one block of `room` bytes is all that is left free.
fn exhaust_heap(room: usize) -> Vec<(*mut u8, Layout)> {
    let mut taken = Vec::new();
    for size in [64 * 1024, 4 * 1024, room, 64, 8] {
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
    // Give back one block of `room` bytes: enough for a semaphore, never for a task.
    if let Some(i) = taken.iter().position(|(_, l)| l.size() == room) {
        let (p, l) = taken.remove(i);
        // SAFETY: allocated above with this layout, freed once.
        unsafe { FreeRtosAllocator.dealloc(p, l) };
    }
    taken
}

fn heap_exhaustion_leaves_work_queued_and_reports_it() {
    let base = settled_tasks();
    let errors = no_errors();
    let team = new_pool(2, errors.clone());
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();

    let free_before = FreeRtosAllocator.get_free_size();
    let taken = exhaust_heap(1024);
    let free_exhausted = FreeRtosAllocator.get_free_size();
    team.submit(Box::new(move || r.store(true, SeqCst))).unwrap();
    let s = team.statistics();
    let reported = errors.lock().clone();
    let free_after_failure = FreeRtosAllocator.get_free_size();
    check(
        "failed task creation keeps the work and reports it",
        !ran.load(SeqCst)
            && s.backlogged == 1
            && s.workers() == 0
            && s.workers_created == 0
            && reported == [SpawnError::OutOfMemory]
            && free_after_failure == free_exhausted
            && tasks() == base,
        format!(
            "{s:?}; reported {reported:?}; FreeRTOS heap free {free_before} -> {free_exhausted} (exhausted) -> {free_after_failure} after the failure (nothing leaked)"
        ),
    );

    for (p, l) in taken {
        // SAFETY: allocated by exhaust_heap with this layout, freed once.
        unsafe { FreeRtosAllocator.dealloc(p, l) };
    }
    team.pump().unwrap();
    let served =
        wait_until(EVENTUALLY, || ran.load(SeqCst)) && wait_until(EVENTUALLY, || team.statistics().busy_workers == 0);
    let s = team.statistics();
    check(
        "with room again, pump serves the work",
        served && s.backlogged == 0 && s.workers_created == 1 && errors.lock().len() == 1,
        format!("{s:?}"),
    );
    team.quit().unwrap();
    let clean = wait_until(EVENTUALLY, || team.is_finished() && tasks() == base);
    // The idle task frees a deleted task's memory a little after it stops counting it.
    let back = wait_until(EVENTUALLY, || FreeRtosAllocator.get_free_size() >= free_before);
    let free_end = FreeRtosAllocator.get_free_size();
    drop(team);
    check("the heap comes back", clean && back, format!("free {free_before} before, {free_end} after quit"));
}

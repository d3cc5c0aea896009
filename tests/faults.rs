//! Fault injection: a thread factory that refuses 30% of spawns (seeded), tasks that panic
//! at random, and a failure hook that itself panics every time, while a controller keeps
//! shrinking the pool to nothing and growing it again. Nothing may be lost and the pool
//! must keep serving: every task runs exactly once, every panic is counted, and after quit
//! every thread exits.
//!
//! `THREADTEAM_FAULT_TASKS=N` per submitter (default 10,000); `THREADTEAM_SEED=S` replays
//! the faults chosen. Figures: `cargo test --release --test faults -- --nocapture`.
//!
//! Not covered here: a clock that jumps backwards or stalls. The core takes no time source;
//! that fault belongs with the adaptive (time-based) pool policy, and its test with it.

mod ledger;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ledger::{Ledger, SharedFactory, TestFactory, XorShift};
use threadteam::{port::StdSignal, team::pool, Worker};

const SUBMITTERS: usize = 4;
/// Controller operations, at least; submitters add their own at `CONTROL_PERCENT`.
const MIN_CONTROL_OPS: usize = 1_000;
const CONTROL_PERCENT: u64 = 2;
const SPAWN_FAIL_PERCENT: u64 = 30;
const TASK_PANIC_PERCENT: u64 = 5;
/// Panic payloads this test raises on purpose; the process panic hook stays quiet for them.
const MARK: &str = "threadteam-fault-injection";

/// Counts finished tasks and wakes whoever waits for a total.
#[derive(Default)]
struct Finished {
    count: Mutex<usize>,
    changed: Condvar,
}

#[test]
fn nothing_is_lost_under_spawn_failures_panicking_tasks_and_a_panicking_hook() {
    let seed = ledger::seed();
    let per = ledger::env_usize("THREADTEAM_FAULT_TASKS", 10_000);
    let total = SUBMITTERS * per;

    // Thousands of injected panics would each print a message and backtrace.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let ours = payload.downcast_ref::<&str>().is_some_and(|m| m.starts_with(MARK))
            || payload.downcast_ref::<String>().is_some_and(|m| m.starts_with(MARK));
        if !ours {
            default_hook(info);
        }
    }));

    let ledger = Ledger::new(total);
    let factory = TestFactory::new(SPAWN_FAIL_PERCENT, seed);
    let hook_calls = Arc::new(AtomicUsize::new(0));
    let h = Arc::clone(&hook_calls);
    let team = pool::<StdSignal, _>(
        || 4,
        SharedFactory(Arc::clone(&factory)),
        move |failure| {
            h.fetch_add(1, Ordering::SeqCst);
            assert!(failure.message().is_some_and(|m| m.starts_with(MARK)), "unexpected failure: {failure}");
            // The hook fails too; the Team must catch it and keep its worker.
            panic!("{MARK}: the failure hook panics");
        },
    );
    let finished = Arc::new(Finished::default());
    let panics_planned = Arc::new(AtomicUsize::new(0));
    let submitting = Arc::new(AtomicBool::new(true));
    let inline_ops = Arc::new(AtomicUsize::new(0));

    // Shrinking to nothing forces new spawns, which fail 30% of the time.
    let controller = {
        let (team, submitting) = (Arc::clone(&team), Arc::clone(&submitting));
        thread::spawn(move || {
            let mut rng = XorShift::new(seed ^ 0xFA);
            let mut ops = 0usize;
            // Also while the backlog drains after the last submit: recovery from a pool
            // shrunk to nothing with spawns failing is the point.
            while submitting.load(Ordering::SeqCst) || ops < MIN_CONTROL_OPS {
                if rng.percent(50) {
                    team.shrink(None).unwrap();
                } else {
                    team.grow(1 + rng.below(4) as usize).unwrap();
                }
                ops += 1;
                thread::yield_now();
            }
            ops
        })
    };

    let submitters: Vec<_> = (0..SUBMITTERS)
        .map(|s| {
            let (team, ledger, finished, planned) =
                (Arc::clone(&team), Arc::clone(&ledger), Arc::clone(&finished), Arc::clone(&panics_planned));
            let inline_ops = Arc::clone(&inline_ops);
            thread::spawn(move || {
                let mut rng = XorShift::new(seed.wrapping_add(s as u64 + 1));
                for k in 0..per {
                    let panics = rng.percent(TASK_PANIC_PERCENT);
                    planned.fetch_add(usize::from(panics), Ordering::SeqCst);
                    let f = Arc::clone(&finished);
                    let task = ledger.task(s * per + k, move || {
                        // Counted as finished whether or not it panics.
                        struct Done(Arc<Finished>);
                        impl Drop for Done {
                            fn drop(&mut self) {
                                *self.0.count.lock().unwrap() += 1;
                                self.0.changed.notify_all();
                            }
                        }
                        let _done = Done(f);
                        if panics {
                            panic!("{MARK}: task panics");
                        }
                    });
                    team.submit(task).expect("the pool accepts work until quit");
                    // Submitters shrink to nothing / grow too, interleaved with their work.
                    if rng.percent(CONTROL_PERCENT) {
                        inline_ops.fetch_add(1, Ordering::SeqCst);
                        if rng.percent(50) {
                            team.shrink(None).unwrap();
                        } else {
                            team.grow(1 + rng.below(4) as usize).unwrap();
                        }
                    }
                }
            })
        })
        .collect();
    for s in submitters {
        s.join().unwrap();
    }
    submitting.store(false, Ordering::SeqCst);

    // If the controller's last shrink left no worker and the spawns for the backlog were
    // refused, the work waits for the next attempt: `pump` is that attempt (a timer would
    // call it in an application). The wait is on the tasks' own completion; the timeout
    // only paces the retries. 60 s is far beyond a healthy run (well under a second).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut pumps = 0;
    {
        let mut done = finished.count.lock().unwrap();
        while *done < total {
            assert!(Instant::now() < deadline, "pool stopped serving: {:?}", team.statistics());
            let (d, wait) = finished.changed.wait_timeout(done, Duration::from_millis(10)).unwrap();
            done = d;
            if *done < total && wait.timed_out() {
                drop(done);
                team.pump().unwrap();
                pumps += 1;
                done = finished.count.lock().unwrap();
            }
        }
    }

    let control_ops = controller.join().unwrap() + inline_ops.load(Ordering::SeqCst);
    // The controller's last shrink may have come after the last task: nothing is left to
    // serve, so nothing can be stranded; quit serves anything that is.
    team.quit().unwrap();
    let joined = factory.join_all();
    assert!(team.is_finished());
    assert!(team.reclaim().is_none(), "work left behind");
    assert_eq!(factory.live(), 0, "a pool thread is still alive after stop");

    let t = ledger.totals();
    let stats = team.statistics();
    let planned = panics_planned.load(Ordering::SeqCst);
    let refused = factory.refused.load(Ordering::SeqCst);
    println!(
        "faults: seed {seed}: tasks {}, ran {}, handed back {}, lost {}, doubled {}; injected: \
         {refused} of {} spawns refused, {planned} task panics, {} hook panics; \
         {control_ops} grow/shrink, {pumps} retry pumps after a 10 ms lull; threads started {joined}, alive after stop 0",
        t.tasks,
        t.ran,
        t.handed_back,
        t.lost,
        t.doubled,
        refused + factory.started.load(Ordering::SeqCst),
        hook_calls.load(Ordering::SeqCst),
    );
    let _ = std::panic::take_hook(); // back to the default hook

    assert_eq!((t.lost, t.doubled, t.handed_back), (0, 0, 0), "{t:?}");
    assert_eq!(t.ran, total);
    assert_eq!(stats.failures, planned as u64, "{stats:?}");
    assert_eq!(hook_calls.load(Ordering::SeqCst), planned);
    assert!(refused > 0, "no spawn failure was injected");
    // Every worker the Team counts got its thread, or saw its start refused while idle (a
    // grown worker, given no work to hand back): one refused with work is not counted.
    let created = stats.workers_created;
    assert!((joined as u64..=(joined + refused) as u64).contains(&created), "{stats:?}");
}

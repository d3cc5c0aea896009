//! Stress on the Twisted-style `ThreadPool`: 8 submitters while a controller resizes the
//! pool with `adjust_pool_size` at random, and `stop` comes at a random moment. Every task
//! runs exactly once or comes back (refused by `call_in_thread`, or returned by `stop`);
//! no thread is alive after `stop`. `THREADTEAM_STRESS_FULL=1` runs 8 x 100,000.

mod ledger;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use ledger::{env_usize, seed, XorShift};
use threadteam::ThreadPool;

#[test]
fn every_task_runs_once_or_comes_back_under_adjust_pool_size_and_a_random_stop() {
    const SUBMITTERS: usize = 8;
    let per_submitter = if std::env::var("THREADTEAM_STRESS_FULL").is_ok() {
        100_000
    } else {
        env_usize("THREADTEAM_STRESS_TASKS", 20_000)
    };
    let seed = seed();
    let mut rng = XorShift::new(seed);
    let stop_after = rng.below((SUBMITTERS * per_submitter) as u64) as usize;

    let pool = Arc::new(ThreadPool::new(1, 4));
    pool.start().unwrap();
    let runs: Arc<Vec<AtomicUsize>> = Arc::new((0..SUBMITTERS * per_submitter).map(|_| AtomicUsize::new(0)).collect());
    let submitted = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(SUBMITTERS + 3)); // submitters, controller, stopper, this thread

    let controller = {
        let (pool, done, start) = (pool.clone(), done.clone(), start.clone());
        let mut rng = XorShift::new(seed ^ 0x5eed);
        std::thread::spawn(move || {
            start.wait();
            let mut resizes = 0;
            while !done.load(Ordering::SeqCst) {
                let min = rng.below(4) as usize;
                let max = min + rng.below(6) as usize;
                pool.adjust_pool_size(min, max.max(1));
                resizes += 1;
                std::thread::yield_now();
            }
            resizes
        })
    };
    let stopper = {
        let (pool, submitted, start) = (pool.clone(), submitted.clone(), start.clone());
        std::thread::spawn(move || {
            start.wait();
            while submitted.load(Ordering::SeqCst) < stop_after {
                std::thread::yield_now();
            }
            pool.stop()
        })
    };
    let submitters: Vec<_> = (0..SUBMITTERS)
        .map(|s| {
            let (pool, runs, submitted, refused, start) =
                (pool.clone(), runs.clone(), submitted.clone(), refused.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for i in 0..per_submitter {
                    let runs = runs.clone();
                    let id = s * per_submitter + i;
                    if pool
                        .call_in_thread(move || {
                            runs[id].fetch_add(1, Ordering::SeqCst);
                        })
                        .is_err()
                    {
                        refused.fetch_add(1, Ordering::SeqCst);
                    }
                    submitted.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    start.wait();
    for s in submitters {
        s.join().unwrap();
    }
    let unrun = stopper.join().unwrap();
    done.store(true, Ordering::SeqCst);
    let resizes = controller.join().unwrap();
    // Everything accepted has run by the time stop returns; stop hands back what never could.
    let returned = unrun.len();
    drop(unrun);

    let ran: usize = runs.iter().map(|r| r.load(Ordering::SeqCst)).sum();
    let doubled = runs.iter().filter(|r| r.load(Ordering::SeqCst) > 1).count();
    let refused = refused.load(Ordering::SeqCst);
    let lost = runs.len() - ran - refused - returned;
    let s = pool.statistics();
    println!(
        "stress (ThreadPool, adjust_pool_size): seed {seed}: tasks {}, ran {ran}, refused after stop {refused}, returned by stop {returned}, lost {lost}, doubled {doubled}; {resizes} resizes; threads started {}, running after stop {}",
        runs.len(),
        s.threads_started,
        s.threads_running
    );
    assert_eq!((lost, doubled), (0, 0));
    assert_eq!(s.threads_running, 0, "every thread has exited and been joined");
}

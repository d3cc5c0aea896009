//! Stress: 8 submitter threads hammer one pool while a controller thread grows, shrinks and
//! moves the pool's limit, and (in the first test) one submitter quits the pool at a
//! random moment. Every task must run exactly once or come back to its submitter.
//!
//! Sizes: 8 x 20,000 tasks by default (seconds); `THREADTEAM_STRESS_FULL=1` for the full
//! 8 x 100,000, or `THREADTEAM_STRESS_TASKS=N` per submitter. `THREADTEAM_SEED=S` replays a
//! run's random choices (not its thread interleaving). Figures are printed:
//! `cargo test --release --test stress -- --nocapture`.

mod ledger;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use ledger::{hand_back, Ledger, SharedFactory, TestFactory, Totals, XorShift};
use threadteam::{port::StdSignal, team::pool, SubmitError, Worker};

const SUBMITTERS: usize = 8;
/// Controller operations per round, at least.
const MIN_CONTROL_OPS: usize = 2_000;

fn tasks_per_submitter() -> usize {
    if std::env::var_os("THREADTEAM_STRESS_FULL").is_some() {
        100_000
    } else {
        ledger::env_usize("THREADTEAM_STRESS_TASKS", 20_000)
    }
}

/// What the controller did while the submitters ran.
#[derive(Debug, Default)]
struct Controls {
    grows: usize,
    shrinks: usize,
    limit_changes: usize,
    refused_after_quit: usize,
}

/// Runs one stress round; `quit_at` is (submitter, task index) at which that submitter
/// quits the pool, or `None` to quit after every submit.
fn round(
    seed: u64,
    per: usize,
    quit_at: Option<(usize, usize)>,
) -> (Totals, Controls, threadteam::team::Statistics, usize) {
    let total = SUBMITTERS * per;
    let ledger = Ledger::new(total);
    let factory = TestFactory::new(0, seed);
    let limit = Arc::new(AtomicUsize::new(4));
    let l = Arc::clone(&limit);
    let team = pool::<StdSignal, _>(
        move || l.load(Ordering::SeqCst),
        SharedFactory(Arc::clone(&factory)),
        |f| panic!("unexpected failure: {f}"),
    );
    let submitting = Arc::new(AtomicBool::new(true));

    // grow / shrink / limit changes (what `adjust_pool_size` does) racing the submitters.
    let controller = {
        let (team, limit, submitting) = (Arc::clone(&team), Arc::clone(&limit), Arc::clone(&submitting));
        thread::spawn(move || {
            let mut rng = XorShift::new(seed ^ 0xC0);
            let mut c = Controls::default();
            // Keep going past the submitters' end for a minimum of operations, so the
            // controller also races the workers draining the backlog.
            let mut ops = 0;
            while submitting.load(Ordering::SeqCst) || ops < MIN_CONTROL_OPS {
                ops += 1;
                let refused = match rng.below(10) {
                    0..=3 => {
                        c.grows += 1;
                        team.grow(1 + rng.below(3) as usize).is_err()
                    }
                    4..=6 => {
                        c.shrinks += 1;
                        team.shrink(Some(1 + rng.below(2) as usize)).is_err()
                    }
                    7 => {
                        c.shrinks += 1;
                        team.shrink(None).is_err()
                    }
                    _ => {
                        c.limit_changes += 1;
                        limit.store(1 + rng.below(8) as usize, Ordering::SeqCst);
                        team.pump().is_err()
                    }
                };
                c.refused_after_quit += usize::from(refused);
                thread::yield_now();
            }
            c
        })
    };

    let submitters: Vec<_> = (0..SUBMITTERS)
        .map(|s| {
            let (team, ledger) = (Arc::clone(&team), Arc::clone(&ledger));
            thread::spawn(move || {
                for k in 0..per {
                    if quit_at == Some((s, k)) {
                        team.quit().expect("only one quit");
                    }
                    match team.submit(ledger.task(s * per + k, || ())) {
                        Ok(()) => {}
                        Err(SubmitError::AlreadyQuit(work)) => hand_back(work.into_inner()),
                        Err(SubmitError::BacklogFull(_)) => unreachable!("growable backlog"),
                    }
                }
            })
        })
        .collect();
    for s in submitters {
        s.join().unwrap();
    }
    submitting.store(false, Ordering::SeqCst);
    let controls = controller.join().unwrap();
    if quit_at.is_none() {
        team.quit().unwrap();
    }

    // After quit, busy workers serve the backlog and retire; their hand-backs may start the
    // last workers, which `join_all` also waits for.
    let joined = factory.join_all();
    assert!(team.is_finished(), "quit did not complete: {:?}", team.statistics());
    while let Some(work) = team.reclaim() {
        hand_back(work);
    }
    assert_eq!(factory.live(), 0, "a pool thread is still alive after stop");
    let stats = team.statistics();
    assert_eq!((stats.idle_workers, stats.busy_workers, stats.backlogged), (0, 0, 0), "{stats:?}");
    assert_eq!(stats.workers_created, stats.workers_retired, "{stats:?}");
    assert_eq!(stats.workers_created, joined as u64, "{stats:?}");
    (ledger.totals(), controls, stats, joined)
}

fn report(name: &str, seed: u64, t: &Totals, c: &Controls, s: &threadteam::team::Statistics, threads: usize) {
    println!(
        "{name}: seed {seed}: tasks {}, ran {}, handed back {}, lost {}, doubled {}; \
         controller: {} grow, {} shrink, {} limit changes ({} refused after quit); \
         threads started {threads}, high water {}, alive after stop 0",
        t.tasks,
        t.ran,
        t.handed_back,
        t.lost,
        t.doubled,
        c.grows,
        c.shrinks,
        c.limit_changes,
        c.refused_after_quit,
        s.high_water
    );
}

/// Quit comes at a random moment, from inside one submitter, while the others keep going.
#[test]
fn every_task_runs_once_or_comes_back_when_quit_comes_at_a_random_moment() {
    let seed = ledger::seed();
    let per = tasks_per_submitter();
    let mut rng = XorShift::new(seed);
    let quit_at = (rng.below(SUBMITTERS as u64) as usize, rng.below(per as u64) as usize);
    let (t, c, s, threads) = round(seed, per, Some(quit_at));
    report("stress (random quit)", seed, &t, &c, &s, threads);
    assert_eq!((t.lost, t.doubled), (0, 0), "{t:?}");
    assert_eq!(t.ran + t.handed_back, t.tasks, "{t:?}");
}

/// No early quit: every task must run (none handed back) despite the controller.
#[test]
fn every_task_runs_exactly_once_under_grow_shrink_and_limit_changes() {
    let seed = ledger::seed().wrapping_add(1);
    let (t, c, s, threads) = round(seed, tasks_per_submitter(), None);
    report("stress (quit after submits)", seed, &t, &c, &s, threads);
    assert_eq!((t.lost, t.doubled, t.handed_back), (0, 0, 0), "{t:?}");
    assert_eq!(t.ran, t.tasks, "{t:?}");
}

//! `ThreadPool` with real threads: exactly-once execution, stop racing submit, panics,
//! refused spawns, joining, dropping, resizing.

mod common;

use core::cell::RefCell;
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread;

use threadteam::{
    port::ThreadFactory, team::bypass::BYPASS_BUDGET, AlreadyQuit, SpawnError, StdThreadFactory, ThreadPool,
};

use common::{eventually, Gate, Scripted};

fn flags(n: usize) -> Arc<Vec<AtomicU8>> {
    Arc::new((0..n).map(|_| AtomicU8::new(0)).collect())
}

fn all_once(runs: &[AtomicU8]) -> bool {
    runs.iter().all(|r| r.load(Ordering::SeqCst) == 1)
}

/// Submits work that blocks on `gate`, then counts itself in `ran`.
fn call_gated(pool: &ThreadPool, gate: &Arc<Gate>, ran: &Arc<AtomicUsize>) {
    let (gate, ran) = (Arc::clone(gate), Arc::clone(ran));
    pool.call_in_thread(move || {
        gate.wait();
        ran.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
}

thread_local! {
    /// A clone of a test's token, dropped only when the thread that holds it exits.
    static HELD: RefCell<Option<Arc<()>>> = const { RefCell::new(None) };
}

/// Ties `token` to the calling thread's lifetime: `Arc::strong_count(token) == 1` means
/// every thread that called this has fully exited.
fn hold_until_thread_exit(token: &Arc<()>) {
    HELD.with(|held| *held.borrow_mut() = Some(Arc::clone(token)));
}

#[test]
fn many_submitters_each_task_runs_exactly_once() {
    const SUBMITTERS: usize = 8;
    const PER: usize = if cfg!(miri) { 50 } else { 2_500 };
    let pool = ThreadPool::new(2, 8);
    pool.start().unwrap();
    let runs = flags(SUBMITTERS * PER);
    thread::scope(|scope| {
        for s in 0..SUBMITTERS {
            let (pool, runs) = (&pool, &runs);
            scope.spawn(move || {
                for i in s * PER..(s + 1) * PER {
                    let runs = Arc::clone(runs);
                    pool.call_in_thread(move || {
                        runs[i].fetch_add(1, Ordering::SeqCst);
                    })
                    .unwrap();
                }
            });
        }
    });
    assert!(pool.stop().is_empty());
    assert!(all_once(&runs), "every task ran exactly once");
    let s = pool.statistics();
    assert_eq!((s.idle_workers, s.busy_workers, s.backlogged, s.threads_running), (0, 0, 0, 0));
    assert!(s.threads_started <= 8 && s.high_water <= 8, "{s:?}");
    assert_eq!(s.panics, 0);
}

#[test]
fn stop_racing_submit_runs_or_hands_back_each_item_once() {
    const SUBMITTERS: usize = 3;
    const PER: usize = if cfg!(miri) { 20 } else { 400 };
    const ROUNDS: usize = if cfg!(miri) { 2 } else { 20 };
    for round in 0..ROUNDS {
        let pool = ThreadPool::new(0, 4);
        pool.start().unwrap();
        let runs = flags(SUBMITTERS * PER);
        let in_pool = Arc::new(AtomicUsize::new(0));
        let go = Barrier::new(SUBMITTERS + 1);
        let (unrun, in_pool_at_stop) = thread::scope(|scope| {
            for s in 0..SUBMITTERS {
                let (pool, runs, in_pool, go) = (&pool, &runs, &in_pool, &go);
                scope.spawn(move || {
                    go.wait();
                    for i in s * PER..(s + 1) * PER {
                        let (runs, in_pool) = (Arc::clone(runs), Arc::clone(in_pool));
                        let work = move || {
                            runs[i].fetch_add(1, Ordering::SeqCst);
                            in_pool.fetch_add(1, Ordering::SeqCst);
                        };
                        if let Err(refused) = pool.call_in_thread(work) {
                            assert!(refused.is_already_quit());
                            // Handed back: run it here instead. It counts in `in_pool`
                            // too, but only after stop returned (checked below).
                            refused.into_inner()();
                        }
                    }
                });
            }
            go.wait();
            // Let roughly a third of the work in before stopping (not a timing
            // assumption: any interleaving must give the same totals).
            while in_pool.load(Ordering::SeqCst) < SUBMITTERS * PER / 3 && !pool.is_stopped() {
                thread::yield_now();
            }
            let unrun = pool.stop();
            (unrun, pool.statistics())
        });
        // Work the pool had accepted ran before stop returned: the backlog drained.
        assert!(unrun.is_empty(), "round {round}: a started pool with threads runs its backlog");
        assert_eq!(in_pool_at_stop.backlogged, 0);
        assert_eq!(in_pool_at_stop.threads_running, 0, "round {round}");
        assert!(all_once(&runs), "round {round}: every item ran exactly once, in the pool or handed back");
    }
}

#[test]
fn panics_in_ten_percent_of_tasks_lose_nothing_else() {
    const TASKS: usize = if cfg!(miri) { 50 } else { 1_000 };
    let reported = Arc::new(Mutex::new(Vec::new()));
    let r = Arc::clone(&reported);
    let pool = ThreadPool::builder()
        .min(0)
        .max(4)
        .on_panic(move |failure| r.lock().unwrap().push(failure.message().unwrap_or_default().to_owned()))
        .build();
    pool.start().unwrap();
    let runs = flags(TASKS);
    for i in 0..TASKS {
        let runs = Arc::clone(&runs);
        pool.call_in_thread(move || {
            runs[i].fetch_add(1, Ordering::SeqCst);
            if i % 10 == 0 {
                panic!("task {i} fails on purpose");
            }
        })
        .unwrap();
    }
    assert!(pool.stop().is_empty());
    assert!(all_once(&runs));
    let mut reported = reported.lock().unwrap().clone();
    reported.sort_unstable();
    let mut expected: Vec<String> = (0..TASKS).step_by(10).map(|i| format!("task {i} fails on purpose")).collect();
    expected.sort_unstable();
    assert_eq!(reported, expected, "each panic reported once");
    let s = pool.statistics();
    assert_eq!(s.panics, (TASKS / 10) as u64);
    assert!(s.threads_started <= 4, "threads survive panics: {s:?}");
    assert_eq!((s.busy_workers, s.backlogged), (0, 0));
}

#[test]
fn a_panicking_hook_does_not_break_the_pool() {
    let pool = ThreadPool::builder().min(0).max(1).on_panic(|_| panic!("the hook fails too")).build();
    pool.start().unwrap();
    let (tx, rx) = mpsc::channel();
    for i in 0..5 {
        pool.call_in_thread(move || panic!("task {i}")).unwrap();
    }
    pool.call_in_thread(move || tx.send("still serving").unwrap()).unwrap();
    assert_eq!(rx.recv().unwrap(), "still serving");
    assert!(pool.stop().is_empty());
    let s = pool.statistics();
    assert_eq!(s.panics, 5);
    assert_eq!(s.threads_started, 1, "the one thread survived every panic and hook panic");
    assert_eq!((s.busy_workers, s.backlogged), (0, 0), "no busy slot leaked");
}

#[test]
fn the_callback_gets_the_result_or_the_panic_on_the_worker_thread() {
    let hook_calls = Arc::new(AtomicUsize::new(0));
    let h = Arc::clone(&hook_calls);
    let pool = ThreadPool::builder()
        .min(0)
        .max(2)
        .name("cb")
        .on_panic(move |_| {
            h.fetch_add(1, Ordering::SeqCst);
        })
        .build();
    pool.start().unwrap();
    let (tx, rx) = mpsc::channel();
    let t = tx.clone();
    pool.call_in_thread_with_callback(
        move |result: thread::Result<(u32, String)>| {
            let (value, work_thread) = result.unwrap();
            t.send((value.to_string(), work_thread == thread::current().name().unwrap())).unwrap();
        },
        || (42, thread::current().name().unwrap().to_owned()),
    )
    .unwrap();
    assert_eq!(rx.recv().unwrap(), ("42".to_owned(), true));
    pool.call_in_thread_with_callback(
        move |result: thread::Result<u32>| {
            let payload = result.unwrap_err();
            let message = payload.downcast_ref::<&str>().copied().unwrap_or_default().to_owned();
            let on_pool = thread::current().name().unwrap().starts_with("cb-");
            tx.send((message, on_pool)).unwrap();
        },
        || panic!("no value"),
    )
    .unwrap();
    assert_eq!(rx.recv().unwrap(), ("no value".to_owned(), true));
    assert!(pool.stop().is_empty());
    assert_eq!(pool.statistics().panics, 1, "a panic given to the callback still counts");
    assert_eq!(hook_calls.load(Ordering::SeqCst), 0, "but it is not reported twice");
}

#[test]
fn work_submitted_before_start_is_held_then_runs() {
    let pool = ThreadPool::new(3, 10);
    let (gate, ran) = (Gate::new(), Arc::new(AtomicUsize::new(0)));
    let _open = gate.open_on_drop();
    for _ in 0..5 {
        call_gated(&pool, &gate, &ran);
    }
    let s = pool.statistics();
    assert_eq!((s.workers(), s.backlogged, s.threads_started), (0, 5, 0), "no thread before start");
    pool.start().unwrap();
    // Twisted #8090: start serves the whole backlog, not just `min`.
    let s = pool.statistics();
    assert_eq!((s.busy_workers, s.backlogged, s.threads_started), (5, 0, 5));
    gate.open();
    assert!(pool.stop().is_empty());
    assert_eq!(ran.load(Ordering::SeqCst), 5);
}

#[test]
fn start_creates_min_threads_and_is_idempotent() {
    let pool = ThreadPool::new(2, 7);
    pool.start().unwrap();
    pool.start().unwrap();
    let s = pool.statistics();
    assert_eq!((s.idle_workers, s.threads_started), (2, 2));
    assert!(pool.is_started());
    assert!(pool.stop().is_empty());
    assert!(!pool.is_started() && pool.is_stopped());
}

#[test]
fn stop_before_start_hands_the_work_back() {
    let pool = ThreadPool::new(0, 4);
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        let ran = Arc::clone(&ran);
        pool.call_in_thread(move || {
            ran.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    }
    let unrun = pool.stop();
    assert_eq!(unrun.len(), 3, "Twisted drops it; we hand it back");
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    for work in unrun {
        work();
    }
    assert_eq!(ran.load(Ordering::SeqCst), 3);
    assert_eq!(pool.statistics().threads_started, 0);
}

#[test]
fn after_stop_work_is_refused_start_fails_and_stop_is_a_no_op() {
    let pool = ThreadPool::new(1, 2);
    pool.start().unwrap();
    assert!(pool.stop().is_empty());
    assert!(pool.stop().is_empty(), "a second stop is harmless");
    assert_eq!(pool.start(), Err(AlreadyQuit), "a pool cannot be restarted");
    let (tx, rx) = mpsc::channel();
    let refused = pool.call_in_thread(move || tx.send(()).unwrap()).unwrap_err();
    assert!(refused.is_already_quit());
    refused.into_inner()();
    rx.recv().unwrap();
    pool.adjust_pool_size(3, 5); // recorded, starts nothing (Twisted #7011)
    let s = pool.statistics();
    assert_eq!((s.min, s.max, s.threads_running, s.threads_started), (3, Some(5), 0, 1));
}

#[test]
fn every_thread_is_gone_after_stop() {
    const MAX: usize = 8;
    let token = Arc::new(());
    let pool = ThreadPool::builder().min(0).max(MAX).build();
    pool.start().unwrap();
    // MAX tasks that can only finish together force MAX threads to exist at once.
    let together = Arc::new(Barrier::new(MAX));
    for _ in 0..MAX {
        let (together, token) = (Arc::clone(&together), Arc::clone(&token));
        pool.call_in_thread(move || {
            hold_until_thread_exit(&token);
            together.wait();
        })
        .unwrap();
    }
    for _ in 0..200 {
        let token = Arc::clone(&token);
        pool.call_in_thread(move || hold_until_thread_exit(&token)).unwrap();
    }
    assert!(pool.stop().is_empty());
    let s = pool.statistics();
    assert_eq!(s.threads_started, MAX as u64);
    assert_eq!(s.threads_running, 0);
    // Thread-locals are destroyed before a joined thread's join returns.
    assert_eq!(Arc::strong_count(&token), 1, "every pool thread has exited");
}

/// A factory that says when a start begins, then waits for `release` before spawning.
struct HeldStart {
    inner: StdThreadFactory,
    began: mpsc::Sender<()>,
    release: Arc<Gate>,
}

impl ThreadFactory for HeldStart {
    type Thread = thread::JoinHandle<()>;
    type Error = SpawnError;

    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<Self::Thread, SpawnError> {
        self.began.send(()).unwrap();
        self.release.wait();
        self.inner.start(main)
    }
}

/// The pool starts a thread after the submit's pass through its coordinator, on the
/// submitting thread: `stop` from another thread while that start is still in flight
/// waits for it, lets its work run, and joins the thread.
#[test]
fn stop_waits_for_a_thread_start_in_flight() {
    let (began, began_rx) = mpsc::channel();
    let release = Gate::new();
    let _open = release.open_on_drop();
    let factory = HeldStart { inner: StdThreadFactory::new(), began, release: Arc::clone(&release) };
    let pool = ThreadPool::builder().min(0).max(1).thread_factory(factory).build();
    pool.start().unwrap();
    let (token, ran) = (Arc::new(()), Arc::new(AtomicUsize::new(0)));
    let unrun = thread::scope(|scope| {
        let (pool, token, ran) = (&pool, Arc::clone(&token), Arc::clone(&ran));
        scope.spawn(move || {
            pool.call_in_thread(move || {
                hold_until_thread_exit(&token);
                ran.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
        });
        began_rx.recv().unwrap();
        // Most often the stop below is already waiting when the start goes ahead; either
        // order must give the same result.
        let release = Arc::clone(&release);
        scope.spawn(move || {
            thread::sleep(std::time::Duration::from_millis(20));
            release.open();
        });
        pool.stop()
    });
    assert!(unrun.is_empty());
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    let s = pool.statistics();
    assert_eq!((s.threads_started, s.threads_running), (1, 0), "{s}");
    assert_eq!(Arc::strong_count(&token), 1, "the pool thread has exited");
}

#[test]
fn dropping_a_pool_that_was_not_stopped_drains_and_joins() {
    let token = Arc::new(());
    let ran = Arc::new(AtomicUsize::new(0));
    let gate = Gate::new();
    {
        let pool = ThreadPool::new(0, 3);
        let _open = gate.open_on_drop();
        pool.start().unwrap();
        for _ in 0..50 {
            let (gate, ran, token) = (Arc::clone(&gate), Arc::clone(&ran), Arc::clone(&token));
            pool.call_in_thread(move || {
                hold_until_thread_exit(&token);
                gate.wait();
                ran.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
        }
        assert_eq!(pool.statistics().backlogged, 47);
        gate.open();
    } // dropped here, not stopped
    assert_eq!(ran.load(Ordering::SeqCst), 50, "the backlog drained before drop returned");
    assert_eq!(Arc::strong_count(&token), 1, "every pool thread has exited");
}

#[test]
fn adjust_pool_size_up_drains_the_backlog() {
    let pool = ThreadPool::new(0, 1);
    pool.start().unwrap();
    let (gate, ran) = (Gate::new(), Arc::new(AtomicUsize::new(0)));
    let _open = gate.open_on_drop();
    for _ in 0..5 {
        call_gated(&pool, &gate, &ran);
    }
    let s = pool.statistics();
    assert_eq!((s.busy_workers, s.backlogged), (1, 4));
    pool.adjust_pool_size(0, 5);
    let s = pool.statistics();
    assert_eq!((s.busy_workers, s.backlogged, s.threads_started), (5, 0, 5), "served at once");
    gate.open();
    assert!(pool.stop().is_empty());
    assert_eq!(ran.load(Ordering::SeqCst), 5);
}

#[test]
fn adjust_pool_size_down_retires_idle_workers_at_once_and_busy_ones_later() {
    let pool = ThreadPool::new(4, 4);
    pool.start().unwrap();
    assert_eq!(pool.statistics().idle_workers, 4);
    pool.adjust_pool_size(0, 1);
    let s = pool.statistics();
    assert_eq!((s.idle_workers, s.workers_retired), (1, 3));
    // Retired threads return on their own; the pool joins them at stop.
    eventually("3 retired threads returned", || pool.statistics().threads_running == 1);

    pool.adjust_pool_size(0, 4);
    let (gate, ran) = (Gate::new(), Arc::new(AtomicUsize::new(0)));
    let _open = gate.open_on_drop();
    for _ in 0..4 {
        call_gated(&pool, &gate, &ran);
    }
    assert_eq!(pool.statistics().busy_workers, 4);
    pool.adjust_pool_size(0, 2);
    assert_eq!(pool.statistics().shrink_debt, 2, "busy workers are never interrupted");
    call_gated(&pool, &gate, &ran);
    assert_eq!(pool.statistics().backlogged, 1, "the lowered max admits no new thread");
    gate.open();
    // Backlog before shrink: one worker takes the fifth item, then two retire.
    eventually("the pool settled at 2 workers", || {
        let s = pool.statistics();
        (s.busy_workers, s.idle_workers, s.backlogged, s.shrink_debt) == (0, 2, 0, 0)
    });
    assert_eq!(ran.load(Ordering::SeqCst), 5);
    assert!(pool.stop().is_empty());
    let s = pool.statistics();
    assert_eq!((s.threads_running, s.workers_retired, s.threads_started), (0, 7, 7));
}

#[test]
fn a_factory_that_fails_every_third_spawn_is_reported_and_loses_nothing() {
    let reported = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&reported);
    let pool = ThreadPool::builder()
        .min(0)
        .max(6)
        .thread_factory(Scripted::new(|attempt| attempt % 3 == 0))
        .on_spawn_error(move |error| {
            assert!(error.to_string().contains("refused by the test"));
            r.fetch_add(1, Ordering::SeqCst);
        })
        .build();
    pool.start().unwrap();
    let (gate, ran) = (Gate::new(), Arc::new(AtomicUsize::new(0)));
    let _open = gate.open_on_drop();
    // Spawns 1 and 2 work, 3 fails: the third item waits.
    for _ in 0..3 {
        call_gated(&pool, &gate, &ran);
    }
    let s = pool.statistics();
    assert_eq!((s.busy_workers, s.backlogged, s.threads_started, s.spawn_failures), (2, 1, 2, 1));
    // With every thread busy, work bypasses the coordinator, which still sees one submit
    // in every `BYPASS_BUDGET` and retries the spawn then: 4 and 5 work, 6 fails, 7 and 8
    // work.
    let mut submitted = 3;
    while pool.statistics().threads_started < 6 {
        call_gated(&pool, &gate, &ran);
        submitted += 1;
        assert!(submitted <= 3 + 2 * (BYPASS_BUDGET + 1), "failed spawns are retried within the budget");
    }
    let s = pool.statistics();
    assert_eq!((s.busy_workers, s.backlogged, s.threads_started, s.spawn_failures), (6, submitted - 6, 6, 2));
    assert_eq!(reported.load(Ordering::SeqCst), 2);
    gate.open();
    assert!(pool.stop().is_empty());
    assert_eq!(ran.load(Ordering::SeqCst), submitted);
    assert_eq!(pool.statistics().threads_running, 0);
}

#[test]
fn when_no_thread_can_start_stop_hands_the_work_back() {
    let pool =
        ThreadPool::builder().min(2).max(4).thread_factory(Scripted::new(|_| true)).on_spawn_error(|_| ()).build();
    pool.start().unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..5 {
        let ran = Arc::clone(&ran);
        pool.call_in_thread(move || {
            ran.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    }
    let s = pool.statistics();
    assert_eq!((s.workers(), s.backlogged), (0, 5));
    assert!(s.spawn_failures >= 6, "start and each submit retried: {s:?}");
    let unrun = pool.stop();
    assert_eq!(unrun.len(), 5, "never lost");
    unrun.into_iter().for_each(|work| work());
    assert_eq!(ran.load(Ordering::SeqCst), 5);
}

#[test]
fn stop_from_inside_a_pool_thread_does_not_deadlock() {
    let pool = Arc::new(ThreadPool::new(0, 2));
    pool.start().unwrap();
    let (tx, rx) = mpsc::channel();
    let p = Arc::clone(&pool);
    pool.call_in_thread(move || tx.send(p.stop().len()).unwrap()).unwrap();
    assert_eq!(rx.recv().unwrap(), 0, "stop from a pool thread returns at once");
    assert!(pool.is_stopped());
    assert!(pool.call_in_thread(|| ()).is_err(), "and new work is refused");
    assert!(pool.stop().is_empty(), "stop from outside waits for the rest");
    assert_eq!(pool.statistics().threads_running, 0);
}

#[test]
fn dropping_the_last_handle_on_a_pool_thread_does_not_deadlock() {
    let pool = Arc::new(ThreadPool::new(0, 2));
    pool.start().unwrap();
    let (tx, rx) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let last = Arc::clone(&pool);
    pool.call_in_thread(move || {
        released.recv().unwrap(); // until the test has dropped its handle
        drop(last); // the pool's drop, on the pool's own thread
        tx.send("dropped").unwrap();
    })
    .unwrap();
    drop(pool);
    release.send(()).unwrap();
    assert_eq!(rx.recv().unwrap(), "dropped");
}

#[test]
fn the_pool_types_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<ThreadPool>();
    shared::<threadteam::StdTeam>();
    shared::<threadteam::Pool>();
    shared::<threadteam::workers::StdThreadWorker<threadteam::workers::BoxedWork>>();
    shared::<threadteam::PoolStatistics>();
}

#[test]
fn statistics_display_as_one_line() {
    let pool = ThreadPool::new(1, 3);
    pool.start().unwrap();
    assert_eq!(pool.statistics().to_string(), "idle 1 · busy 0 · backlog 0 · threads 1");
}

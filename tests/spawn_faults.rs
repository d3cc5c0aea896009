//! Thread starts that fail on std threads: a name std cannot give a thread, a factory that
//! panics or refuses, a spawn-error hook that calls back into the pool. Each must leave the
//! work queued (it runs elsewhere or comes back from `stop`), be reported, and let `stop`
//! and `Drop` return; a refusing factory is asked a bounded number of times.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use threadteam::port::ThreadFactory;
use threadteam::{Pool, SpawnError, StdThreadFactory, ThreadPool};

/// Long enough for anything here on a loaded machine; a deadlock fails instead of hanging.
const DEADLINE: Duration = Duration::from_secs(20);

/// Runs `f` on its own thread; fails the test if it has not returned by the deadline.
fn within_deadline<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(f()).unwrap());
    rx.recv_timeout(DEADLINE).unwrap_or_else(|_| panic!("{what}: no return before the deadline"))
}

/// Starts std threads while fewer than `room` of its threads are alive; beyond that it
/// refuses, or panics if `panics`. Counts every call.
#[derive(Clone)]
struct Counting {
    room: usize,
    panics: bool,
    calls: Arc<AtomicUsize>,
    live: Arc<AtomicUsize>,
}

impl Counting {
    fn new(room: usize, panics: bool) -> Self {
        Self { room, panics, calls: Arc::new(AtomicUsize::new(0)), live: Arc::new(AtomicUsize::new(0)) }
    }
}

impl ThreadFactory for Counting {
    type Thread = JoinHandle<()>;
    type Error = SpawnError;
    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<JoinHandle<()>, SpawnError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.live.fetch_add(1, Ordering::SeqCst) >= self.room {
            self.live.fetch_sub(1, Ordering::SeqCst);
            assert!(!self.panics, "a factory that panics instead of refusing");
            return Err(SpawnError(std::io::Error::other("no room for a thread")));
        }
        let live = Arc::clone(&self.live);
        StdThreadFactory::new().start(move || {
            main();
            live.fetch_sub(1, Ordering::SeqCst);
        })
    }
}

/// Issue 18, fault 1: std's spawn panicked on the name inside the pool, the panic reached
/// the submitter, the work never ran, and `stop` and `Drop` never returned.
#[test]
fn a_thread_pool_whose_name_has_a_nul_byte_reports_keeps_the_work_and_stops() {
    let (pool, reported) = within_deadline("start and submit", || {
        let reported = Arc::new(Mutex::new(Vec::new()));
        let hook = Arc::clone(&reported);
        let pool = ThreadPool::builder()
            .min(0)
            .max(2)
            .name("bad\0name")
            .on_spawn_error(move |e| hook.lock().unwrap().push(e.0.kind()))
            .build();
        pool.start().unwrap();
        pool.call_in_thread(|| ()).unwrap();
        (pool, reported)
    });
    let stats = pool.statistics();
    assert_eq!((stats.backlogged, stats.busy_workers, stats.workers_created), (1, 0, 0), "{stats:?}");
    assert!(stats.spawn_failures >= 1, "{stats:?}");
    assert_eq!(reported.lock().unwrap()[0], std::io::ErrorKind::InvalidInput);
    let unrun = within_deadline("stop", move || pool.stop());
    assert_eq!(unrun.len(), 1, "the work that never got a thread comes back from stop");
    // And a dropped one returns too.
    within_deadline("drop", || {
        let pool = ThreadPool::builder().min(0).max(2).name("bad\0name").on_spawn_error(|_| ()).build();
        pool.start().unwrap();
        pool.call_in_thread(|| ()).unwrap();
        drop(pool);
    });
}

/// Any factory that panics instead of returning an error: the work given to the worker
/// that could not start runs on one that did, and the panic is reported as a spawn error.
#[test]
fn a_panicking_thread_factory_strands_no_work_and_is_reported() {
    within_deadline("a panicking factory", panicking_factory);
}

fn panicking_factory() {
    let factory = Counting::new(1, true);
    let calls = Arc::clone(&factory.calls);
    let reported = Arc::new(Mutex::new(Vec::new()));
    let hook = Arc::clone(&reported);
    let pool = ThreadPool::builder()
        .min(0)
        .max(2)
        .thread_factory(factory)
        .on_spawn_error(move |e| hook.lock().unwrap().push(e.to_string()))
        .build();
    pool.start().unwrap();
    let (release, hold) = mpsc::channel::<()>();
    let (ran, ran_rx) = mpsc::channel();
    let first = ran.clone();
    pool.call_in_thread(move || {
        hold.recv().unwrap();
        first.send("first").unwrap();
    })
    .unwrap();
    // The only thread is busy: this asks for a second, and the factory panics.
    pool.call_in_thread(move || ran.send("second").unwrap()).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(reported.lock().unwrap()[0].contains("the thread factory panicked"), "{reported:?}");
    release.send(()).unwrap();
    let order: Vec<_> = ran_rx.iter().take(2).collect();
    assert_eq!(order, ["first", "second"]);
    assert!(pool.stop().is_empty());
}

/// Issue 18, fault 3: `adjust_pool_size(usize::MAX, usize::MAX)` on a factory that always
/// refuses did not return (memory growing about 1 MB/s).
#[test]
fn adjust_pool_size_to_usize_max_on_a_refusing_factory_returns() {
    let factory = Counting::new(0, false);
    let calls = Arc::clone(&factory.calls);
    let pool = ThreadPool::builder().min(0).max(1).thread_factory(factory).on_spawn_error(|_| ()).build();
    pool.start().unwrap();
    let pool = within_deadline("adjust_pool_size(usize::MAX, usize::MAX)", move || {
        pool.adjust_pool_size(usize::MAX, usize::MAX);
        pool
    });
    // One batch of at most 128 (the starts under way when the first refusal is known).
    let n = calls.load(Ordering::SeqCst);
    assert!((1..=128).contains(&n), "{n} attempts");
    assert_eq!(pool.statistics().spawn_failures, n as u64);
    assert!(within_deadline("stop", move || pool.stop()).is_empty());
}

/// Issue 18, fault 4: a spawn-error hook that resizes the pool, reached from `start`,
/// deadlocked. Every public method called from the hook works or, where it would wait for
/// the pool, refuses by the hook's rule: `stop` only begins the stop, `scope` panics.
#[test]
fn a_spawn_error_hook_that_resizes_from_start_or_calls_any_method_does_not_deadlock() {
    let factory = Counting::new(0, false);
    let slot: Arc<OnceLock<Weak<ThreadPool>>> = Arc::new(OnceLock::new());
    let in_hook = Arc::clone(&slot);
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&seen);
    let pool = Arc::new(
        ThreadPool::builder()
            .min(1)
            .max(4)
            .thread_factory(factory)
            .on_spawn_error(move |_| {
                let Some(pool) = in_hook.get().and_then(Weak::upgrade) else { return };
                let mut log = log.lock().unwrap();
                pool.adjust_pool_size(0, 1);
                pool.set_max(2);
                pool.set_min(0);
                pool.start().unwrap();
                log.push(format!("sizes {} {}", pool.min(), pool.max()));
                pool.call_in_thread(|| ()).unwrap();
                pool.call_in_thread_with_callback(|_| (), || ()).unwrap();
                drop(pool.spawn(|| 1).unwrap());
                let _ = (pool.statistics(), pool.is_started(), pool.is_stopped());
                let scoped = std::panic::catch_unwind(AssertUnwindSafe(|| pool.scope(|_| ())));
                let message = scoped.unwrap_err().downcast::<&str>().map(|m| m.to_string()).unwrap_or_default();
                log.push(message);
                log.push(format!("stop handed back {}", pool.stop().len()));
            })
            .build(),
    );
    slot.set(Arc::downgrade(&pool)).unwrap();
    pool.call_in_thread(|| ()).unwrap();
    let pool = within_deadline("start, whose spawn fails into the hook", move || {
        pool.start().unwrap();
        pool
    });
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0], "sizes 0 2");
    assert!(seen[1].contains("spawn-error hook"), "the panic names the rule: {seen:?}");
    assert_eq!(seen[2], "stop handed back 0");
    assert!(pool.is_stopped());
    let pool = Arc::into_inner(pool).unwrap();
    let unrun = within_deadline("stop after the hook", move || pool.stop());
    assert_eq!(unrun.len(), 4, "all the work comes back: nothing could start");
}

/// Issue 18, fault 8: `Pool::builder().name("a\0b").build()` panicked instead of returning
/// the documented `Err(SpawnError)`.
#[test]
fn a_pool_builder_with_a_nul_in_its_name_is_an_error_not_a_panic() {
    for builder in [Pool::builder(), Pool::builder().capped(2)] {
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| builder.name("a\0b").build()));
        let error = result.expect("no panic").expect_err("a name no thread can have");
        assert_eq!(error.0.kind(), std::io::ErrorKind::InvalidInput);
    }
}

/// Issue 18, fault 9 on std threads: 20 items, a factory with room for 3 threads, a cap of
/// 5. At most 5 factory calls: 3 that succeed, and at most `5 - 3` more made before the
/// first refusal is known (see the core's `refusing_factory` test); after it, submits and
/// hand-backs change no capacity and ask nothing.
#[test]
fn a_refusing_factory_on_std_threads_is_asked_a_bounded_number_of_times() {
    let factory = Counting::new(3, false);
    let calls = Arc::clone(&factory.calls);
    let pool = Pool::builder().capped(5).thread_factory(factory).on_spawn_error(|_| ()).build().unwrap();
    let (done, finished) = mpsc::channel();
    for i in 0..20u32 {
        let done = done.clone();
        pool.execute(move || done.send(i).unwrap()).unwrap();
    }
    let mut ran: Vec<u32> = within_deadline("20 items", move || finished.iter().take(20).collect());
    ran.sort_unstable();
    assert_eq!(ran, (0..20).collect::<Vec<_>>());
    let s = pool.statistics();
    let n = calls.load(Ordering::SeqCst);
    assert!((3..=5).contains(&n), "{n} factory calls for 20 items: {s:?}");
    assert!(s.high_water <= 3 && s.workers_created == 3, "{s:?}");
    assert!(within_deadline("shutdown", move || pool.shutdown()).is_empty());
}

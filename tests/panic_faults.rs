//! Panics that outlive their catch (a payload, a captured value or a result whose `Drop`
//! panics), a panicking hook or callback, a forgotten scope handle and a submit from a
//! thread-local's destructor: the pool must keep serving, lose nothing, and `stop` must
//! return. Every case runs under a deadline, so a hang fails the test instead of the run.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use threadteam::{Pool, StdThreadFactory, ThreadPool, Worker};

/// Panic payloads raised on purpose carry this, and the process panic hook stays quiet
/// for them.
const MARK: &str = "threadteam-panic-fault";

/// How long any one case may take before it counts as hung.
const DEADLINE: Duration = Duration::from_secs(30);

fn quiet_expected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str));
            if !message.is_some_and(|m| m.contains(MARK)) && !info.payload().is::<PanicOnDrop>() {
                default(info);
            }
        }));
    });
}

/// Runs `case` on a thread of its own and fails if it does not return within [`DEADLINE`]
/// (the hung thread is left behind; the test binary's exit ends it). A panic in `case` is
/// resumed here.
fn within<R: Send + 'static>(what: &str, case: impl FnOnce() -> R + Send + 'static) -> R {
    quiet_expected_panics();
    let (done, result) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(panic::catch_unwind(AssertUnwindSafe(case)));
    });
    match result.recv_timeout(DEADLINE) {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(_) => panic!("{what}: still running after {DEADLINE:?} (hung)"),
    }
}

/// A value whose `Drop` panics, counting its drops.
struct PanicOnDrop(Arc<AtomicUsize>);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("{MARK}: a Drop that panics");
    }
}

/// Panics with a payload whose `Drop` panics.
fn panic_with_bad_payload(drops: &Arc<AtomicUsize>) -> ! {
    panic::panic_any(PanicOnDrop(Arc::clone(drops)))
}

/// With one thread: submits `bad`, then `n` plain items, then stops; every plain item must
/// run and `stop` must return with nothing handed back.
fn serves_after(pool: ThreadPool, bad: impl FnOnce() + Send + 'static) {
    pool.start().unwrap();
    pool.call_in_thread(bad).unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..10 {
        let ran = Arc::clone(&ran);
        pool.call_in_thread(move || {
            ran.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    }
    let unrun = pool.stop();
    assert!(unrun.is_empty(), "{} items handed back", unrun.len());
    assert_eq!(ran.load(Ordering::SeqCst), 10, "the pool stopped serving");
}

#[test]
fn a_panic_payload_whose_drop_panics_does_not_stop_the_pool() {
    within("payload drop", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let reported = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&reported);
        let pool = ThreadPool::builder()
            .min(1)
            .max(1)
            .on_panic(move |failure| {
                assert!(failure.payload_is::<PanicOnDrop>());
                seen.fetch_add(1, Ordering::SeqCst);
            })
            .build();
        let bad = Arc::clone(&drops);
        serves_after(pool, move || panic_with_bad_payload(&bad));
        assert_eq!(reported.load(Ordering::SeqCst), 1, "the panic was reported");
        assert_eq!(drops.load(Ordering::SeqCst), 1, "the payload was dropped once");
    });
}

#[test]
fn a_panic_hook_that_panics_with_a_payload_whose_drop_panics_does_not_stop_the_pool() {
    within("hook payload drop", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let bad = Arc::clone(&drops);
        let pool = ThreadPool::builder().min(1).max(1).on_panic(move |_| panic_with_bad_payload(&bad)).build();
        serves_after(pool, || panic!("{MARK}: in work"));
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_failure_hook_of_a_bare_team_that_panics_badly_does_not_cost_a_worker() {
    within("team hook", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let bad = Arc::clone(&drops);
        let team = threadteam::team::ThreadTeamBuilder::<_, threadteam::port::StdSignal>::new(StdThreadFactory::new())
            .limit(|| 1)
            .on_failure(move |_| panic_with_bad_payload(&bad))
            .build()
            .unwrap()
            .team;
        let ran = Arc::new(AtomicUsize::new(0));
        team.submit(Box::new(|| panic!("{MARK}: in work"))).unwrap();
        for _ in 0..10 {
            let ran = Arc::clone(&ran);
            team.submit(Box::new(move || {
                ran.fetch_add(1, Ordering::SeqCst);
            }))
            .unwrap();
        }
        team.quit().unwrap();
        while !team.is_finished() {
            thread::sleep(Duration::from_millis(1));
        }
        assert!(team.reclaim().is_none());
        assert_eq!(ran.load(Ordering::SeqCst), 10);
        assert_eq!(team.statistics().failures, 1);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn captured_values_and_results_whose_drop_panics_do_not_stop_the_pool() {
    within("captures and results", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let pool = ThreadPool::builder().min(1).max(1).on_panic(|_| ()).build();
        pool.start().unwrap();
        // A capture that panics in its drop, with a payload whose drop panics.
        struct BadCapture(Arc<AtomicUsize>);
        impl Drop for BadCapture {
            fn drop(&mut self) {
                panic_with_bad_payload(&self.0)
            }
        }
        let capture = BadCapture(Arc::clone(&drops));
        pool.call_in_thread(move || drop(capture)).unwrap();
        // A detached task whose result panics in its drop, likewise.
        let result_drops = Arc::clone(&drops);
        drop(pool.spawn(move || BadCapture(result_drops)).unwrap());
        // A callback given a panic whose payload's drop panics, which it drops.
        let work_drops = Arc::clone(&drops);
        pool.call_in_thread_with_callback(
            |result: std::thread::Result<()>| drop(result.unwrap_err()),
            move || panic_with_bad_payload(&work_drops),
        )
        .unwrap();
        // A callback that panics with such a payload.
        let callback_drops = Arc::clone(&drops);
        pool.call_in_thread_with_callback(
            move |_: std::thread::Result<()>| panic_with_bad_payload(&callback_drops),
            || (),
        )
        .unwrap();
        serves_after(pool, || ());
        // Each of the four raised one bad payload, and each was dropped once.
        assert_eq!(drops.load(Ordering::SeqCst), 4);
    });
}

#[test]
fn a_forgotten_scope_handle_does_not_hang_the_scope() {
    within("forgotten handle", || {
        let pool = Pool::builder().capped(2).build().unwrap();
        let ran = AtomicBool::new(false);
        pool.scope(|s| {
            std::mem::forget(s.spawn(|| ran.store(true, Ordering::SeqCst)));
        });
        assert!(ran.load(Ordering::SeqCst), "scope returned before its work ran");
        // A handle leaked otherwise: the same.
        let count = AtomicUsize::new(0);
        pool.scope(|s| {
            let _: &mut _ = Box::leak(Box::new(s.spawn(|| count.fetch_add(1, Ordering::SeqCst))));
        });
        assert_eq!(count.load(Ordering::SeqCst), 1);
    });
}

//! Thread factories that refuse or panic, on a thread Team (threads start after the
//! coordinator pass): the factory is asked a bounded number of times, never in a loop of
//! create and retire; work given to a worker whose thread could not start runs elsewhere;
//! a huge `grow` returns.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use common::TestSignal;
use threadteam_core::team::ThreadTeamBuilder;
use threadteam_core::{port::ThreadFactory, Worker};
use threadteam_critical_section_std as _;

/// Long enough for anything here on a loaded machine; a deadlock fails instead of hanging.
const DEADLINE: Duration = Duration::from_secs(20);

/// Starts real threads while fewer than `room` of its threads are alive; beyond that it
/// refuses, or panics if `panics`. Counts every call.
struct Counting {
    room: usize,
    panics: bool,
    calls: Arc<AtomicUsize>,
    live: Arc<AtomicUsize>,
}

impl Counting {
    fn new(room: usize, panics: bool) -> (Self, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        (Self { room, panics, calls: Arc::clone(&calls), live: Arc::new(AtomicUsize::new(0)) }, calls)
    }
}

impl ThreadFactory for Counting {
    type Thread = JoinHandle<()>;
    type Error = &'static str;
    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<JoinHandle<()>, &'static str> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.live.fetch_add(1, Ordering::SeqCst) >= self.room {
            self.live.fetch_sub(1, Ordering::SeqCst);
            assert!(!self.panics, "a factory that panics instead of refusing");
            return Err("no room for a thread");
        }
        let live = Arc::clone(&self.live);
        Ok(std::thread::spawn(move || {
            main();
            live.fetch_sub(1, Ordering::SeqCst);
        }))
    }
}

/// Runs `f` on its own thread; fails the test if it has not returned by the deadline.
fn within_deadline<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(f()).unwrap());
    rx.recv_timeout(DEADLINE).unwrap_or_else(|_| panic!("{what}: no return before the deadline"))
}

/// The README's port (`examples/port_sketch.rs`) in miniature: 20 items, a limit of 5, a
/// factory with room for 3 threads. Before pacing, every submit and hand-back made a worker
/// whose start then failed (about 67 calls, a high-water mark of 5).
///
/// The bound: 3 starts succeed; a pass may make a worker while another's start is still
/// under way, so up to `limit - 3 = 2` more can be attempted before the first refusal is
/// known; after it, submits and hand-backs (which change no capacity) ask nothing. So at
/// most 5 calls, whatever the interleaving.
#[test]
fn a_refusing_factory_is_asked_a_bounded_number_of_times_not_once_per_item() {
    within_deadline("20 items on a refusing factory", || {
        let (factory, calls) = Counting::new(3, false);
        let team = ThreadTeamBuilder::<_, TestSignal>::new(factory).limit(|| 5).build().unwrap().team;
        let (done, finished) = mpsc::channel();
        for i in 0..20u32 {
            let done = done.clone();
            team.submit(Box::new(move || done.send(i).unwrap())).unwrap();
        }
        let mut ran: Vec<u32> = finished.iter().take(20).collect();
        ran.sort_unstable();
        assert_eq!(ran, (0..20).collect::<Vec<_>>());
        let calls_while_serving = calls.load(Ordering::SeqCst);
        let s = team.statistics();
        assert!((3..=5).contains(&calls_while_serving), "{calls_while_serving} factory calls for 20 items: {s:?}");
        assert!(s.high_water <= 3, "a worker whose thread never started was counted: {s:?}");
        assert_eq!(s.workers_created, 3, "{s:?}");
        team.quit().unwrap();
        // Quitting with nothing left over asks for no thread.
        assert_eq!(calls.load(Ordering::SeqCst), calls_while_serving);
    });
}

/// A factory that panics instead of returning an error: the panic stays in the pool (the
/// submitter's call returns), the work given to the worker that could not start runs on a
/// worker that did, and quitting finishes.
#[test]
fn a_panicking_factory_does_not_strand_the_work_given_to_the_unstarted_worker() {
    within_deadline("a panicking factory", || {
        let (factory, calls) = Counting::new(1, true);
        let team = ThreadTeamBuilder::<_, TestSignal>::new(factory).build().unwrap().team;
        let (release, hold) = mpsc::channel::<()>();
        let (ran, ran_rx) = mpsc::channel();
        let first = ran.clone();
        team.submit(Box::new(move || {
            hold.recv().unwrap();
            first.send("first").unwrap();
        }))
        .unwrap();
        // The only thread is busy: this one asks for a second, whose start panics.
        team.submit(Box::new(move || ran.send("second").unwrap())).unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(team.statistics().backlogged, 1, "the work went back to the backlog");
        release.send(()).unwrap();
        let order: Vec<_> = ran_rx.iter().take(2).collect();
        assert_eq!(order, ["first", "second"]);
        team.quit().unwrap();
        assert!(team.reclaim().is_none());
    });
}

/// `grow(usize::MAX)` on a factory that always refuses used to make unstarted workers
/// without end (memory growing about 1 MB/s): it now makes one batch, whose first refusal
/// ends it, and returns.
#[test]
fn growing_by_usize_max_on_a_refusing_factory_returns_after_one_batch() {
    within_deadline("grow(usize::MAX)", || {
        let (factory, calls) = Counting::new(0, false);
        let team = ThreadTeamBuilder::<_, TestSignal>::new(factory).build().unwrap().team;
        // One batch: the starts under way when the first refusal is known.
        team.grow(usize::MAX).unwrap();
        let first = calls.load(Ordering::SeqCst);
        assert!((1..=128).contains(&first), "{first} attempts");
        team.grow(usize::MAX).unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), first + 1, "one more for the next grow");
        team.quit().unwrap();
    });
}

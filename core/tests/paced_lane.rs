//! A paced Team on the fast path, deterministically: the production coordinator (a
//! `LockWorker`, which runs events in the caller and so lets work go around it through the
//! fast lane), memory workers the test performs by hand, and a manual clock.
//!
//! Items in the lane carry no time stamp; the Team dates them by clock readings paired with
//! marks of the lane (`team::bypass`). What must hold: a new worker beyond `burst` never
//! comes before the oldest waiting item has really waited a growth interval, and comes at
//! most a quarter interval after that (the timer being called at each published deadline).
#![cfg(feature = "std")]

use core::sync::atomic::{AtomicUsize, Ordering};
use core::time::Duration;
use std::sync::{Arc, Mutex};

use threadteam_core::{
    policy::ManualClock,
    port::StdLock,
    team::{Coordinate, Growable, Job, Statistics, Team, TeamBuilder},
    workers::{create_memory_worker, BoxedWork, LockWorker, MemoryWorker, Perform},
    AlreadyQuit, ExclusiveWorker, GrowthPolicy, SubmitError, Worker,
};

type W = BoxedWork;
type Wk = Arc<MemoryWorker<Job<W>>>;
type Create = Box<dyn FnMut(&Statistics) -> Option<Wk> + Send>;
type Paced = Team<W, Wk, Counting, Create, Growable>;

/// The production coordinator, counting the events it runs.
#[derive(Debug)]
struct Counting {
    inner: LockWorker<Coordinate<W>, StdLock>,
    events: Arc<AtomicUsize>,
}

impl Worker<Coordinate<W>> for Counting {
    fn submit(&self, work: Coordinate<W>) -> Result<(), SubmitError<Coordinate<W>>> {
        self.events.fetch_add(1, Ordering::SeqCst);
        self.inner.submit(work)
    }

    fn quit(&self) -> Result<(), AlreadyQuit> {
        self.inner.quit()
    }
}

impl ExclusiveWorker<Coordinate<W>> for Counting {
    fn run_now<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S> {
        self.events.fetch_add(1, Ordering::SeqCst);
        self.inner.run_now(state, f)
    }

    fn runs_in_caller(&self) -> bool {
        self.inner.runs_in_caller()
    }
}

const INTERVAL: Duration = Duration::from_millis(100);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A created worker's perform function and creation time.
type Made = (Perform<Job<W>>, Duration);

struct Rig {
    team: Arc<Paced>,
    clock: Arc<ManualClock>,
    /// Each created worker's perform function and creation time.
    made: Arc<Mutex<Vec<Made>>>,
    /// When each item was submitted, by index.
    submitted: Mutex<Vec<Duration>>,
    ran: Arc<Mutex<Vec<usize>>>,
    /// Events the coordinator has run.
    events: Arc<AtomicUsize>,
}

impl Rig {
    fn new(policy: GrowthPolicy) -> Self {
        let clock = Arc::new(ManualClock::new());
        let made = Arc::new(Mutex::new(Vec::new()));
        let (m, c) = (made.clone(), clock.clone());
        let create: Create = Box::new(move |_: &Statistics| {
            let (worker, perform) = create_memory_worker::<Job<W>>();
            m.lock().unwrap().push((perform, threadteam_core::port::Clock::now(&*c)));
            Some(worker)
        });
        let events = Arc::new(AtomicUsize::new(0));
        let coordinator = Counting { inner: LockWorker::new(StdLock::new()), events: events.clone() };
        let team = TeamBuilder::new(create)
            .coordinator(coordinator)
            .on_failure(|f| panic!("unexpected failure: {f}"))
            .policy(policy)
            .shared_clock(clock.clone())
            .build();
        Self { team, clock, made, submitted: Mutex::new(Vec::new()), ran: Arc::default(), events }
    }

    fn submit(&self) {
        let mut submitted = self.submitted.lock().unwrap();
        let index = submitted.len();
        submitted.push(threadteam_core::port::Clock::now(&*self.clock));
        let ran = self.ran.clone();
        self.team.submit(Box::new(move || ran.lock().unwrap().push(index))).unwrap();
    }

    fn created(&self) -> usize {
        self.made.lock().unwrap().len()
    }

    /// Moves the clock to `at` and, as the timer would, ticks at every deadline on the way.
    fn run_timer_until(&self, at: Duration) {
        while let Some(deadline) = self.team.next_deadline().filter(|&d| d <= at) {
            self.clock.advance_to(deadline);
            self.team.tick().unwrap();
        }
        self.clock.advance_to(at);
    }

    fn drain(&self) {
        loop {
            let performs: Vec<_> = self.made.lock().unwrap().iter().map(|(p, _)| p.clone()).collect();
            if performs.iter().map(Perform::perform_all).sum::<usize>() == 0 {
                return;
            }
        }
    }
}

#[test]
fn lane_items_get_a_new_worker_after_a_growth_interval_never_before() {
    let rig = Rig::new(GrowthPolicy::new().burst(1).growth_interval(INTERVAL).keep_alive(None).max(Some(4)));
    rig.submit(); // item 0: the first worker is made at once and keeps it (nobody performs)
    assert_eq!(rig.created(), 1);
    rig.submit(); // item 1: no worker may be made yet; the Team is saturated
    rig.clock.advance_to(ms(10));
    let events = rig.events.load(Ordering::SeqCst);
    for _ in 0..3 {
        rig.submit(); // items 2-4: around the coordinator, into the lane
    }
    assert_eq!(rig.events.load(Ordering::SeqCst), events, "no event coordinated: they took the fast lane");
    assert_eq!(rig.team.statistics().backlogged, 4);

    // Step the timer a millisecond at a time; each creation must come no earlier than the
    // oldest waiting item's interval, and no later than a quarter interval after it.
    let mut served = 1; // items handed to a worker so far (one per creation, oldest first)
    for t in 1..=600 {
        rig.run_timer_until(ms(t));
        let made = rig.made.lock().unwrap().iter().map(|&(_, at)| at).collect::<Vec<_>>();
        while served < made.len() {
            let oldest = rig.submitted.lock().unwrap()[served];
            let at = made[served];
            assert!(at >= oldest + INTERVAL, "worker {served} at {at:?} for an item waiting since {oldest:?}: early");
            // Also spaced from the previous creation.
            assert!(at >= made[served - 1] + INTERVAL, "worker {served} at {at:?}: too soon after the last");
            let due = (oldest + INTERVAL).max(made[served - 1] + INTERVAL);
            assert!(at <= due + INTERVAL / 4 + ms(1), "worker {served} at {at:?}, due {due:?}: late");
            served += 1;
        }
    }
    assert_eq!(rig.created(), 4, "grown to max");
    let stats = rig.team.statistics();
    assert_eq!((stats.busy_workers, stats.backlogged), (4, 1));
    assert!(stats.oldest_backlog_age.is_some_and(|age| age >= ms(500)), "{stats:?}");
    rig.team.quit().unwrap();
    rig.drain();
    let mut ran = rig.ran.lock().unwrap().clone();
    ran.sort_unstable();
    assert_eq!(ran, [0, 1, 2, 3, 4], "every item ran exactly once");
    assert!(rig.team.is_finished());
}

#[test]
fn while_the_lane_is_in_use_the_timer_keeps_dating_it() {
    let rig = Rig::new(GrowthPolicy::new().burst(1).growth_interval(INTERVAL).keep_alive(None).max(Some(2)));
    rig.submit();
    rig.submit();
    // The gate is open: the Team asks to be looked at again within a quarter interval,
    // even before any item is old enough for a worker.
    let first = rig.team.next_deadline().expect("a deadline while the lane is in use");
    assert!(first <= INTERVAL / 4, "{first:?}");
    rig.clock.advance_to(ms(40));
    rig.submit(); // into the lane, after the first reading
    rig.run_timer_until(ms(99));
    assert_eq!(rig.created(), 1, "nothing has waited an interval yet");
    rig.run_timer_until(ms(125));
    assert_eq!(rig.created(), 2, "item 1 waited an interval: a second worker took it");
    // At max: nothing more can come with time, so no deadline is left.
    assert_eq!(rig.team.next_deadline(), None);
    rig.team.quit().unwrap();
    rig.drain();
    assert_eq!(rig.ran.lock().unwrap().len(), 3);
}

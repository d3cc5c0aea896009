//! loom model tests of every synchronisation hand-off in the core.
//!
//! Run with (see `.ci/loom.sh`):
//!
//! ```text
//! RUSTFLAGS="--cfg threadteam_loom" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test -p threadteam-core --features std --test loom --release
//! ```
//!
//! Under `--cfg threadteam_loom` the core's internal mutex, its atomics and `StdLock` are
//! loom's, so loom explores every interleaving of them (up to the preemption bound). The
//! worker threads are loom threads (a `ThreadFactory` over `loom::thread::spawn`) sleeping on
//! a loom `Signal`, so the ThreadWorker's park/wake is explored too. Each model is tiny on
//! purpose: loom's cost grows exponentially with the number of synchronisation points.
//!
//! What is recorded but not itself a synchronisation point (the order log, the "running"
//! flag) uses std types: loom runs every model thread on one OS thread, so they are exact,
//! and keeping them out of loom keeps the state space small.
#![cfg(threadteam_loom)]

use std::sync::atomic::{AtomicBool as StdAtomicBool, Ordering as StdOrdering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::{Condvar, Mutex};
use loom::thread::{self, JoinHandle};
use threadteam_core::{
    port::{Signal, StdLock, ThreadFactory},
    team::bypass::{Lane, Ring},
    team::{pool, Job, Statistics, TeamBuilder},
    workers::{BoxedWork, LockWorker, ThreadWorker, Work},
    AlreadyQuit, SubmitError, Worker,
};

/// Runs `f` under loom with a preemption bound of 2 unless `LOOM_MAX_PREEMPTIONS` says
/// otherwise: enough to find every two-step race in these models, and keeps CI in minutes.
fn model<F: Fn() + Send + Sync + 'static>(f: F) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    builder.check(f);
}

/// A binary semaphore over loom's mutex and condvar (the contract of [`Signal`]).
#[derive(Debug, Default)]
struct LoomSignal {
    token: Mutex<bool>,
    wake: Condvar,
}

impl Signal for LoomSignal {
    fn wait(&self) {
        let mut token = self.token.lock().unwrap();
        while !*token {
            token = self.wake.wait(token).unwrap();
        }
        *token = false;
    }

    fn wait_timeout(&self, _timeout: Duration) -> bool {
        // loom has no time: a wait that may time out is modelled as one that times out at
        // once unless the token is already there (a legal outcome of a real timed wait).
        std::mem::replace(&mut *self.token.lock().unwrap(), false)
    }

    fn notify(&self) {
        *self.token.lock().unwrap() = true;
        self.wake.notify_one();
    }
}

/// Starts loom threads and keeps their handles, so a model can join every thread it
/// started and so prove that each one exited.
#[derive(Clone, Debug, Default)]
struct LoomFactory {
    started: Arc<StdMutex<Vec<JoinHandle<()>>>>,
}

impl LoomFactory {
    /// Joins every thread started so far, including ones started while joining.
    fn join_all(&self) -> usize {
        let mut joined = 0;
        loop {
            let handles: Vec<_> = std::mem::take(&mut *self.started.lock().unwrap());
            if handles.is_empty() {
                return joined;
            }
            for handle in handles {
                handle.join().unwrap();
                joined += 1;
            }
        }
    }
}

impl ThreadFactory for LoomFactory {
    type Thread = ();
    type Error = std::convert::Infallible;

    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<(), Self::Error> {
        let handle = thread::spawn(main);
        self.started.lock().unwrap().push(handle);
        Ok(())
    }
}

/// Per-item run counts, plus a check that no two items of one exclusive worker overlap.
struct Tally {
    runs: Vec<AtomicUsize>,
    running: StdAtomicBool,
    order: StdMutex<Vec<&'static str>>,
}

impl Tally {
    fn new(items: usize) -> Arc<Self> {
        Arc::new(Self {
            runs: (0..items).map(|_| AtomicUsize::new(0)).collect(),
            running: StdAtomicBool::new(false),
            order: StdMutex::new(Vec::new()),
        })
    }

    /// Work that logs `name` and counts a run of item `index`; with `exclusive`, it fails
    /// the model if another exclusive item is running at the same time.
    fn item(self: &Arc<Self>, index: usize, name: &'static str, exclusive: bool) -> BoxedWork {
        let tally = Arc::clone(self);
        Box::new(move || tally.run(index, name, exclusive))
    }

    fn run(&self, index: usize, name: &'static str, exclusive: bool) {
        if exclusive {
            assert!(!self.running.swap(true, StdOrdering::SeqCst), "{name} overlapped another item");
        }
        self.order.lock().unwrap().push(name);
        // A loom operation inside the item: a point where loom may switch threads, so an
        // overlapping item would be caught by `running`.
        self.runs[index].fetch_add(1, Ordering::SeqCst);
        if exclusive {
            self.running.store(false, StdOrdering::SeqCst);
        }
    }

    fn runs(&self, index: usize) -> usize {
        self.runs[index].load(Ordering::SeqCst)
    }

    fn order(&self) -> Vec<&'static str> {
        self.order.lock().unwrap().clone()
    }
}

type Lw = LockWorker<BoxedWork, StdLock>;

/// (a) Two threads submit to one LockWorker while the first item re-enters it: every item
/// runs exactly once, never two at a time, and the re-entrant item after its parent.
#[test]
fn lock_worker_reentrancy_and_two_submitters() {
    model(|| {
        let worker = Arc::new(Lw::new(StdLock::new()));
        let tally = Tally::new(3);

        let (w, t) = (Arc::clone(&worker), Arc::clone(&tally));
        let parent: BoxedWork = Box::new(move || {
            t.run(0, "parent-start", true);
            // Re-entrant: queued, not nested, because this thread holds the lock.
            w.submit(t.item(1, "child", true)).unwrap();
            t.order.lock().unwrap().push("parent-end");
        });
        let w = Arc::clone(&worker);
        let t = Arc::clone(&tally);
        let other = thread::spawn(move || w.submit(t.item(2, "other", true)).unwrap());
        worker.submit(parent).unwrap();
        other.join().unwrap();

        for i in 0..3 {
            assert_eq!(tally.runs(i), 1, "item {i} ran {} times", tally.runs(i));
        }
        let order = tally.order();
        let pos = |name| order.iter().position(|n| *n == name).unwrap();
        assert!(pos("parent-end") < pos("child"), "child nested in its parent: {order:?}");
        // The child runs in its parent's turn: the other thread cannot get in between.
        assert_eq!(pos("child"), pos("parent-end") + 1, "{order:?}");
    });
}

loom::thread_local!(static IN_HANDLER: std::cell::Cell<bool> = std::cell::Cell::new(false));

/// A `StdLock` that a context marked as an interrupt handler may not take (as an RTOS mutex
/// in an interrupt): it answers `Err` there at once.
#[derive(Debug, Default)]
struct TaskOnlyLock(StdLock);

impl threadteam_core::port::RawLock for TaskOnlyLock {
    fn with<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S> {
        if IN_HANDLER.with(std::cell::Cell::get) {
            return Err(state);
        }
        self.0.with(state, f)
    }
}

/// (a') A context that may not take the lock (an interrupt handler) submits while a task
/// holds it or is about to: the handler never waits, its item is deferred to the holder (or
/// to the next caller that takes the lock), and every item runs exactly once, one at a
/// time, the deferred one before anything submitted after it.
#[test]
fn lock_worker_defers_work_from_a_context_that_may_not_wait() {
    model(|| {
        let worker = Arc::new(LockWorker::<BoxedWork, TaskOnlyLock>::new(TaskOnlyLock::default()));
        let tally = Tally::new(3);
        let (w, t) = (Arc::clone(&worker), Arc::clone(&tally));
        let handler = thread::spawn(move || {
            IN_HANDLER.with(|h| h.set(true));
            w.submit(t.item(1, "handler", true)).unwrap();
        });
        worker.submit(tally.item(0, "task", true)).unwrap();
        handler.join().unwrap();
        worker.submit(tally.item(2, "later", true)).unwrap();
        for i in 0..3 {
            assert_eq!(tally.runs(i), 1, "item {i} ran {} times", tally.runs(i));
        }
        let order = tally.order();
        let pos = |name| order.iter().position(|n| *n == name).unwrap();
        assert!(pos("handler") < pos("later"), "{order:?}");
    });
}

/// A lock that records whether a caller is inside, and its own drop.
struct Watched {
    lock: TaskOnlyLock,
    inside: Arc<StdAtomicBool>,
    drops: Arc<std::sync::atomic::AtomicUsize>,
}

impl threadteam_core::port::RawLock for Watched {
    fn with<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S> {
        self.lock.with(state, |state| {
            self.inside.store(true, StdOrdering::SeqCst);
            let result = f(state);
            self.inside.store(false, StdOrdering::SeqCst);
            result
        })
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        assert!(!self.inside.load(StdOrdering::SeqCst), "the lock was dropped under its holder");
        self.drops.fetch_add(1, StdOrdering::SeqCst);
    }
}

/// (a'') `quit` races a submitting thread and a handler that may not take the lock: every
/// item accepted with `Ok` runs exactly once (a refused one never), and the lock is dropped
/// exactly once, after the last caller is out.
#[test]
fn lock_worker_quit_races_a_holder_and_a_handler() {
    model(|| {
        let drops = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let lock = Watched { lock: TaskOnlyLock::default(), inside: Arc::default(), drops: Arc::clone(&drops) };
        let worker = Arc::new(LockWorker::<BoxedWork, Watched>::new(lock));
        let tally = Tally::new(2);
        let (w, t) = (Arc::clone(&worker), Arc::clone(&tally));
        let handler = thread::spawn(move || {
            IN_HANDLER.with(|h| h.set(true));
            w.submit(t.item(0, "handler", true)).is_ok()
        });
        let (w, t) = (Arc::clone(&worker), Arc::clone(&tally));
        let other = thread::spawn(move || w.submit(t.item(1, "other", true)).is_ok());
        worker.quit().unwrap();
        let accepted = [handler.join().unwrap(), other.join().unwrap()];
        for (i, accepted) in accepted.into_iter().enumerate() {
            assert_eq!(tally.runs(i), usize::from(accepted), "item {i}: accepted {accepted}, ran {}", tally.runs(i));
        }
        assert_eq!(drops.load(StdOrdering::SeqCst), 1, "the lock outlived quit");
        drop(worker);
        assert_eq!(drops.load(StdOrdering::SeqCst), 1, "dropped twice");
    });
}

/// (b) One thread submits to a ThreadWorker while its thread parks and wakes, then quits:
/// both items run once, in FIFO order, and the thread exits (loom reports a deadlock if it
/// stays parked).
#[test]
fn thread_worker_park_wake_then_quit() {
    model(|| {
        let factory = LoomFactory::default();
        let (worker, ()) = ThreadWorker::<BoxedWork, LoomSignal>::start(&factory, LoomSignal::default()).unwrap();
        let tally = Tally::new(2);
        worker.submit(tally.item(0, "first", true)).unwrap();
        worker.submit(tally.item(1, "second", true)).unwrap();
        worker.quit().unwrap();
        assert!(worker.submit(tally.item(0, "late", true)).unwrap_err().is_already_quit());
        assert_eq!(factory.join_all(), 1);
        assert_eq!(tally.order(), ["first", "second"]);
        assert_eq!((tally.runs(0), tally.runs(1)), (1, 1));
    });
}

/// (b') Submitting from another thread while the worker's thread is parked: the wake-up is
/// never lost (a lost one would leave the item queued and the join deadlocked).
#[test]
fn thread_worker_submit_from_other_thread() {
    model(|| {
        let factory = LoomFactory::default();
        let (worker, ()) = ThreadWorker::<BoxedWork, LoomSignal>::start(&factory, LoomSignal::default()).unwrap();
        let tally = Tally::new(1);
        let (w, t) = (worker.clone(), Arc::clone(&tally));
        let submitter = thread::spawn(move || w.submit(t.item(0, "remote", true)).unwrap());
        submitter.join().unwrap();
        worker.quit().unwrap();
        assert_eq!(factory.join_all(), 1);
        assert_eq!(tally.runs(0), 1);
    });
}

/// The std `pool()` shape, on loom threads: a LockWorker(StdLock) coordinator and
/// ThreadWorkers, at most `limit` of them.
fn loom_pool(limit: usize, factory: LoomFactory) -> Arc<threadteam_core::team::ThreadTeam<LoomSignal>> {
    pool::<LoomSignal, _>(move || limit, factory, |failure| panic!("unexpected failure: {failure}"))
}

/// Counts jobs dispatched and finished, and lets a thread block until every dispatched job
/// has finished and `ran()` says all work has run. A job may run several items (a worker
/// takes the next from the Team's fast lane), so jobs are not items.
#[derive(Debug, Default)]
struct Done {
    /// (dispatched, finished)
    count: Mutex<(usize, usize)>,
    changed: Condvar,
}

impl Done {
    fn dispatched(&self) {
        self.count.lock().unwrap().0 += 1;
    }

    fn finished(&self) {
        self.count.lock().unwrap().1 += 1;
        self.changed.notify_all();
    }

    fn wait_until(&self, ran: impl Fn() -> bool) {
        let mut count = self.count.lock().unwrap();
        while !(count.0 == count.1 && ran()) {
            count = self.changed.wait(count).unwrap();
        }
    }
}

/// A ThreadWorker whose items are Jobs followed by `Done::finished`. Running a Job runs the
/// work (and any more it takes from the fast lane) and then its hand-back, which the
/// LockWorker coordinator applies in this same thread; so once every dispatched Job has
/// finished and every item has run, every hand-back has been coordinated and the
/// statistics are exact. (Polling `statistics()` instead would make loom explore an
/// unbounded spin, and a snapshot can mix two coordinated steps.)
struct CountingWorker {
    inner: ThreadWorker<BoxedWork, LoomSignal>,
    done: Arc<Done>,
}

impl Worker<Job<BoxedWork>> for CountingWorker {
    fn submit(&self, job: Job<BoxedWork>) -> Result<(), SubmitError<Job<BoxedWork>>> {
        // A refusal is not expected here (the Team never dispatches to a worker it retired).
        let done = Arc::clone(&self.done);
        self.done.dispatched();
        self.inner
            .submit(Box::new(move || {
                job.run();
                done.finished();
            }))
            .map_err(|_| unreachable!("the Team dispatched to a worker that had quit"))
    }

    fn quit(&self) -> Result<(), AlreadyQuit> {
        self.inner.quit()
    }
}

/// (c) Two submitters (the model's main thread and one more) and a Team of at most `limit`
/// ThreadWorkers behind a LockWorker(StdLock) coordinator, so hand-backs race submits in
/// the coordinator. Every item runs once; the statistics end at (idle = workers created,
/// busy 0, backlog 0); after quit every worker thread exits.
fn team_model(limit: usize) {
    team_model_n(limit, 1)
}

/// As `team_model`, the main thread submitting `main_items` items.
fn team_model_n(limit: usize, main_items: usize) {
    let factory = LoomFactory::default();
    let done = Arc::new(Done::default());
    let (f, d) = (factory.clone(), Arc::clone(&done));
    let create = move |stats: &Statistics| {
        (stats.workers() < limit).then(|| {
            let (inner, ()) = ThreadWorker::start(&f, LoomSignal::default()).unwrap();
            CountingWorker { inner, done: Arc::clone(&d) }
        })
    };
    let team = TeamBuilder::new(create)
        .coordinator(LockWorker::<_, StdLock>::new(StdLock::new()))
        .on_failure(|failure| panic!("unexpected failure: {failure}"))
        .build();
    let n = main_items + 1;
    let tally = Tally::new(n);
    let (tm, t) = (Arc::clone(&team), Arc::clone(&tally));
    let other = thread::spawn(move || tm.submit(t.item(main_items, "item", false)).unwrap());
    for i in 0..main_items {
        team.submit(tally.item(i, "item", false)).unwrap();
    }
    other.join().unwrap();
    done.wait_until(|| (0..n).map(|i| tally.runs(i)).sum::<usize>() == n);

    for i in 0..n {
        assert_eq!(tally.runs(i), 1);
    }
    let s = team.statistics();
    assert_eq!((s.busy_workers, s.backlogged, s.shrink_debt), (0, 0, 0), "{s:?}");
    assert_eq!(s.idle_workers as u64, s.workers_created, "{s:?}");
    assert!(s.idle_workers >= 1 && s.idle_workers <= limit, "{s:?}");
    team.quit().unwrap();
    assert_eq!(factory.join_all() as u64, s.workers_created);
    assert!(team.is_finished());
    assert_eq!(team.statistics().workers_retired, s.workers_created);
}

#[test]
fn team_two_submitters_one_worker() {
    model(|| team_model(1));
}

/// One worker and three items: the second waits in the lane and opens the gate, so the
/// third can bypass the coordinator and land while the worker's hand-back closes the gate
/// (the keep/`landing` path, which the two models above never reach).
#[test]
fn team_bypass_races_last_hand_back() {
    model(|| team_model_n(1, 2));
}

/// As above with a cap of two workers: a dispatch to a second worker races the first
/// one's hand-back.
#[test]
fn team_two_submitters_two_workers() {
    model(|| team_model(2));
}

/// (c') A paced Team on the fast path: a cap of two workers, one made at once (`burst` 1),
/// the second only once the oldest waiting item has waited a growth interval. The second
/// item waits in the lane, dated by a clock reading paired with a lane mark; a tick (the
/// timer, an interval later) races the first worker taking it from the lane and handing
/// back. The tick either finds it (a second worker takes it) or not; either way it runs
/// once, and the statistics end consistent.
#[test]
fn paced_team_dates_its_lane_while_a_tick_races_a_pop() {
    model(|| {
        let factory = LoomFactory::default();
        let done = Arc::new(Done::default());
        let (f, d) = (factory.clone(), Arc::clone(&done));
        let create = move |_: &Statistics| {
            let (inner, ()) = ThreadWorker::start(&f, LoomSignal::default()).unwrap();
            Some(CountingWorker { inner, done: Arc::clone(&d) })
        };
        let clock = Arc::new(threadteam_core::policy::ManualClock::new());
        let interval = Duration::from_millis(100);
        let policy =
            threadteam_core::GrowthPolicy::new().burst(1).max(Some(2)).keep_alive(None).growth_interval(interval);
        let team = TeamBuilder::new(create)
            .coordinator(LockWorker::<_, StdLock>::new(StdLock::new()))
            .on_failure(|failure| panic!("unexpected failure: {failure}"))
            .policy(policy)
            .shared_clock(Arc::clone(&clock) as Arc<dyn threadteam_core::port::Clock>)
            .build();
        let tally = Tally::new(2);
        team.submit(tally.item(0, "first", false)).unwrap();
        // Into the lane (the Team is saturated), dated by a reading at 0.
        team.submit(tally.item(1, "second", false)).unwrap();
        clock.advance(interval);
        team.tick().unwrap();
        done.wait_until(|| (0..2).map(|i| tally.runs(i)).sum::<usize>() == 2);
        for i in 0..2 {
            assert_eq!(tally.runs(i), 1);
        }
        let s = team.statistics();
        assert_eq!((s.busy_workers, s.backlogged), (0, 0), "{s:?}");
        assert!(s.workers_created <= 2, "{s:?}");
        team.quit().unwrap();
        assert_eq!(factory.join_all() as u64, s.workers_created);
        assert!(team.is_finished());
    });
}

/// A [`LoomFactory`] that refuses its first start.
#[derive(Clone, Default)]
struct RefuseFirst {
    inner: LoomFactory,
    refused: Arc<StdAtomicBool>,
}

impl ThreadFactory for RefuseFirst {
    type Thread = ();
    type Error = &'static str;

    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<(), Self::Error> {
        if !self.refused.swap(true, StdOrdering::SeqCst) {
            return Err("the first start is refused");
        }
        self.inner.start(main).map_err(|never| match never {})
    }
}

/// (c) A pool starts its threads after the coordinator pass, and the first start fails:
/// its item goes back to the backlog while the other submitter's pass creates, dispatches
/// to, or hands back a second worker. Every item still runs exactly once; nothing is left
/// to reclaim; only workers whose thread started count as created, and each retired.
#[test]
fn pool_start_failure_races_a_submit() {
    model(|| {
        let factory = RefuseFirst::default();
        let team = pool::<LoomSignal, _>(|| 2, factory.clone(), |failure| panic!("unexpected: {failure}"));
        let tally = Tally::new(2);
        let (tm, t) = (Arc::clone(&team), Arc::clone(&tally));
        let other = thread::spawn(move || tm.submit(t.item(1, "other", false)).unwrap());
        team.submit(tally.item(0, "main", false)).unwrap();
        other.join().unwrap();
        // Both submits' starts are done, so quit lets what is busy finish and drains.
        team.quit().unwrap();
        let joined = factory.inner.join_all();
        assert!(team.is_finished());
        assert!(team.reclaim().is_none(), "work left behind");
        assert_eq!((tally.runs(0), tally.runs(1)), (1, 1));
        let s = team.statistics();
        assert_eq!(s.workers_created, joined as u64, "{s:?}");
        assert_eq!(s.workers_retired, s.workers_created, "{s:?}");
    });
}

/// What happened to one item in a quit-vs-submit race.
fn outcome(ran: usize, handed_back: usize, reclaimed: usize) {
    assert_eq!(ran + handed_back + reclaimed, 1, "ran {ran}, handed back {handed_back}, reclaimed {reclaimed}");
}

/// (d) quit racing submit on a LockWorker: the item ran or was handed back, never both.
#[test]
fn lock_worker_quit_races_submit() {
    model(|| {
        let worker = Arc::new(Lw::new(StdLock::new()));
        let tally = Tally::new(1);
        let (w, t) = (Arc::clone(&worker), Arc::clone(&tally));
        let submitter = thread::spawn(move || match w.submit(t.item(0, "item", true)) {
            Ok(()) => 0,
            Err(SubmitError::AlreadyQuit(_)) => 1,
            Err(SubmitError::BacklogFull(_)) => unreachable!("growable queue"),
        });
        worker.quit().unwrap();
        let handed_back = submitter.join().unwrap();
        outcome(tally.runs(0), handed_back, 0);
    });
}

/// (d) quit racing submit on a ThreadWorker: accepted work runs before the thread exits.
#[test]
fn thread_worker_quit_races_submit() {
    model(|| {
        let factory = LoomFactory::default();
        let (worker, ()) = ThreadWorker::<BoxedWork, LoomSignal>::start(&factory, LoomSignal::default()).unwrap();
        let tally = Tally::new(1);
        let (w, t) = (worker.clone(), Arc::clone(&tally));
        let submitter = thread::spawn(move || usize::from(w.submit(t.item(0, "item", true)).is_err()));
        worker.quit().unwrap();
        let handed_back = submitter.join().unwrap();
        assert_eq!(factory.join_all(), 1);
        outcome(tally.runs(0), handed_back, 0);
    });
}

/// (d) quit racing submit on a Team: the item ran, was handed back by `submit`, or (if its
/// submit event reached the coordinator after quitting completed) waits in `reclaim`;
/// exactly one of the three. Every worker thread exits.
///
/// Also the regression test for the first bug loom found here: `StdLock` took the address
/// of a thread-local as the holder's id; a worker thread whose thread-local reused the
/// address of an exited submitter's could read that submitter's stale id, refuse the lock
/// as re-entrant, and leave its hand-back queued forever (a deadlock: the worker was never
/// retired). This model failed on every run before `StdLock` got never-reused ids (it now
/// reads no holder id at all).
#[test]
fn team_quit_races_submit() {
    model(|| {
        let factory = LoomFactory::default();
        let team = loom_pool(1, factory.clone());
        let tally = Tally::new(1);
        let (tm, t) = (Arc::clone(&team), Arc::clone(&tally));
        let submitter = thread::spawn(move || usize::from(tm.submit(t.item(0, "item", false)).is_err()));
        team.quit().unwrap();
        let handed_back = submitter.join().unwrap();
        factory.join_all();
        assert!(team.is_finished());
        let mut reclaimed = 0;
        while team.reclaim().is_some() {
            reclaimed += 1;
        }
        outcome(tally.runs(0), handed_back, reclaimed);
        let s = team.statistics();
        assert_eq!((s.idle_workers, s.busy_workers), (0, 0), "{s:?}");
    });
}

/// (e) The fast lane on its own: two pushers race a pop while the lane's first segment
/// (two places under loom) fills and the chain grows a second one. Every item comes out
/// exactly once, each pusher's in its order.
#[test]
fn lane_pushes_race_a_pop_across_growth() {
    model(|| {
        let ring = Arc::new(Ring::<usize>::new());
        let (r, p) = (Arc::clone(&ring), Arc::clone(&ring));
        let pusher = thread::spawn(move || {
            r.push(10).unwrap();
            r.push(11).unwrap();
        });
        let popper = thread::spawn(move || p.pop());
        ring.push(20).unwrap();
        ring.push(21).unwrap();
        pusher.join().unwrap();
        let mut seen: Vec<usize> = popper.join().unwrap().into_iter().collect();
        seen.extend(std::iter::from_fn(|| ring.pop()));
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [10, 11, 20, 21], "{seen:?}");
        let order = |a, b| seen.iter().position(|&x| x == a) < seen.iter().position(|&x| x == b);
        assert!(order(10, 11) && order(20, 21), "{seen:?}");
        assert!(!ring.is_claimed());
    });
}

/// (e) The gate closing while a submitter pushes through it (and has to grow the chain to
/// do so): a push that got in shows as claimed once `close` returns (so the Team's last
/// busy worker waits for it), and one that did not get in is handed back.
#[test]
fn lane_close_races_a_gated_push_that_grows() {
    model(|| {
        let ring = Arc::new(Ring::<usize>::new());
        // Fill the first segment, so the gated push must add the second.
        ring.push(1).unwrap();
        ring.push(2).unwrap();
        ring.open();
        let r = Arc::clone(&ring);
        let submitter = thread::spawn(move || r.push_open(3).is_ok());
        ring.close();
        let claimed_after_close = ring.len();
        let pushed = submitter.join().unwrap();
        if pushed {
            assert_eq!(claimed_after_close, 3, "a push through the gate was not visible after close");
        }
        let all: Vec<usize> = std::iter::from_fn(|| ring.pop()).collect();
        assert_eq!(all, if pushed { vec![1, 2, 3] } else { vec![1, 2] });
        assert_eq!(ring.push_open(4), Err(4), "closed");
    });
}

/// (h) A task handle's `cancel` races the Team's quit and `reclaim` (a pool's stop) over
/// work waiting in the backlog (limit 0): the task ends exactly one way, cancelled (it never
/// runs) or reclaimed as work that runs when called. Never a reclaimed empty shell.
#[test]
fn cancel_races_quit_and_reclaim() {
    model(|| {
        let team = loom_pool(0, LoomFactory::default());
        let ran = Arc::new(StdAtomicBool::new(false));
        let r = Arc::clone(&ran);
        let handle = team.spawn(move || r.store(true, StdOrdering::SeqCst)).unwrap();
        let canceller = thread::spawn(move || handle.cancel());
        team.quit().unwrap();
        let reclaimed = team.reclaim();
        let cancelled = canceller.join().unwrap();
        // What the canceller did not take is still there for a later reclaim.
        let reclaimed = reclaimed.or_else(|| team.reclaim());
        assert!(team.reclaim().is_none());
        match (cancelled, reclaimed) {
            (true, None) => assert!(!ran.load(StdOrdering::SeqCst)),
            (false, Some(work)) => {
                work();
                assert!(ran.load(StdOrdering::SeqCst), "reclaimed an empty shell");
            }
            (cancelled, reclaimed) => {
                panic!("cancelled {cancelled}, reclaimed {}: the task ended both ways or neither", reclaimed.is_some())
            }
        }
    });
}

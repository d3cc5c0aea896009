//! [`Team`]: a composite worker made of idle workers, busy workers and a backlog, every
//! change of which goes through one exclusive coordinator (Twisted's `Team`).
//!
//! # The state machine
//!
//! The state is `idle` (a stack of worker ids; the most recently idled is reused first, so
//! a surplus ages out at the bottom), `busy` (a count), `backlog` (FIFO), `debt` (workers
//! to retire as they next idle), and the flags `quitting` and `finished`. Each event below
//! is one item run by the coordinator; nothing else touches the state.
//!
//! | event | transition |
//! |---|---|
//! | `submit(w)` | `w` joins the back of the backlog; then **pump** |
//! | **pump** | while backlog: pop an idle worker, or create one (`create_worker` → `None` stops), and dispatch the oldest item to it (`busy += 1`) |
//! | hand-back (a worker finished its item) | `busy -= 1`; then, in priority order: the backlog's oldest item goes to this same worker, then **pump** · quitting → retire it · `debt > 0` → `debt -= 1`, retire it · else it becomes idle |
//! | start failed (a worker [`pool()`](crate::pool()) created could not start its thread; see below) | like a refused dispatch: `busy -= 1`, the worker retires, its item returns to the front of the backlog; idle workers serve it, but none is created until the next event |
//! | `grow(n)` | cancel up to `n` units of debt; create the rest, each served like a hand-back |
//! | `shrink(n)` | per unit: retire the coldest idle worker, else `debt += 1` while `debt < busy` |
//! | `quit()` | `quitting`; retire every idle worker; **finish** |
//! | `tick()` (a timer, with a [policy](crate::policy)) | retire idle workers past keep-alive, coldest first, down to `min`; then **pump** |
//! | **finish** | when quitting and `busy == 0`: serve any backlog with new workers if possible; else `finished`, quit the coordinator; what is left can be [reclaimed](Team::reclaim) |
//!
//! With a [`GrowthPolicy`] (see [`Pacing`]), creation in **pump** is
//! paced by the policy (an explicit `grow` and work left at quit only respect its `max`),
//! each idle worker and backlogged item carries a time stamp from the [`Clock`](crate::Clock), and after
//! every event the Team publishes its [next deadline](Team::next_deadline) for a timer.
//!
//! The thread pools ([`pool()`](crate::pool()), [`adaptive_pool()`](crate::adaptive_pool()))
//! create workers unstarted and start their threads after the pass that created them, on
//! the thread that ran it, outside the coordinator: starting a thread is slow, and every
//! hand-back waits for the coordinator. Until its thread starts, such a worker counts as
//! busy with the item it was given.
//!
//! Invariants when the coordinator is quiescent: idle workers imply an empty backlog;
//! `debt <= busy`; a worker is busy from dispatch until its hand-back has been coordinated.
//!
//! # The fast lane
//!
//! Coordinating every item would make the coordinator the serial point of a busy pool: a
//! submit and a hand-back per item, each taking its lock. So the head of the backlog is a
//! lock-free queue, the *lane* (a [`Ring`](crate::Ring) with [`Growable`](crate::Growable)
//! storage; [`Fixed`](crate::Fixed) storage has none), which work may enter and leave
//! without the coordinator in exactly the situation where coordinating would decide
//! nothing:
//!
//! - **Bypassing submits.** At the end of each event the coordinator opens the lane's gate
//!   if every worker is busy, the last request for a new worker was refused (the limit is
//!   reached, or a spawn failed) and no worker has come or gone since (a submit or
//!   hand-back that found nothing waiting asked nothing, so an earlier refusal still
//!   stands; any other event asks afresh), nothing waits in the coordinated part of the
//!   backlog, the Team has no policy and is not quitting; otherwise it closes it. While it is open, `submit` claims
//!   a place in the lane with one compare-and-swap that also checks the gate. At most
//!   [`BYPASS_BUDGET`](crate::BYPASS_BUDGET) submits bypass between two events, so a
//!   saturated Team still sees a coordinated submit now and then: the limit is re-read and
//!   a failed spawn is retried.
//! - **Workers keep busy.** A worker that finishes an item takes the next from the lane
//!   (with a short spin, while the gate is open) instead of being handed back: exactly
//!   what its hand-back would have done with the backlog's oldest item.
//! - **No work is stranded.** Only the last busy worker's hand-back could leave the lane
//!   with nobody to serve it. It closes the gate first; then any place claimed before the
//!   close (an item, or a push still landing) keeps that worker busy until it has taken it.
//!   So with nobody busy the gate is closed and the lane holds nothing in flight, and quit
//!   (which closes the gate too) finishes as before.
//!
//! The state machine treats the lane as the front of the backlog: the coordinator pops it
//! first and pushes to it while the coordinated part is empty, so order is kept (work
//! refused by a worker that quit behind the Team's back goes back to the front of the
//! coordinated part, behind the lane: the one exception). [`Statistics::backlogged`]
//! counts both; with the lane in use, `busy_workers` counts a worker from dispatch until
//! the lane it drains is empty. A Team whose coordinator is not
//! [inline](crate::ExclusiveWorker::runs_in_caller) (a memory worker) never uses the lane, so
//! a test driven step by step sees every event.
//!
//! # Differences from Twisted (its latent bugs, fixed)
//!
//! - Quit with no worker alive does not drop the backlog: it runs on new workers, or is
//!   handed back through [`Team::reclaim`].
//! - A failing item is reported through a hook that cannot break the Team: a panicking hook
//!   is caught and the worker is still handed back (with `std`).
//! - When `create_worker` gives `None`, the work stays in the backlog and creation is tried
//!   again whenever capacity may have changed: the next coordinated submit or hand-back (at
//!   least one in every [`BYPASS_BUDGET`](crate::BYPASS_BUDGET) submits; see
//!   [the fast lane](#the-fast-lane)), grow, or [`Team::pump`].
//! - New work joins the back of the backlog, so it never overtakes older work.
//! - Shrink debt never exceeds the number of busy workers; `grow` cancels debt first.

mod link;
mod state;

use core::fmt;
use core::time::Duration;

use crate::sync::{AtomicBool, AtomicUsize, Claim, Ordering, Section};
use crate::{AlreadyQuit, ExclusiveWorker, GrowthPolicy, Lane, Pacing, Quit, Storage, SubmitError, Work, Worker};

pub(crate) use link::SelfLink;
pub use link::{Coordinate, Job};
use link::{Event, Link, TeamLink};
pub(crate) use state::{Effects, TeamState};

/// How many times a worker that finds the fast lane empty looks again (spinning, then
/// yielding) before it is handed back: under load the next item is usually a push away.
#[cfg(not(threadteam_loom))]
const LANE_PATIENCE: u32 = 10;
/// Under loom every re-check multiplies the interleavings.
#[cfg(threadteam_loom)]
const LANE_PATIENCE: u32 = 1;

/// Identifies a worker inside its Team (an index into the Team's worker slots).
pub type WorkerId = usize;

/// A snapshot of a Team's counts (Twisted's `Statistics`, plus lifetime counters).
///
/// Exact whenever the coordinator is quiescent; while work is moving, each field is a
/// value it really had, published at the end of a coordinated step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Statistics {
    /// Workers alive and waiting for work.
    pub idle_workers: usize,
    /// Workers running an item (until their hand-back has been coordinated).
    pub busy_workers: usize,
    /// Work waiting for a worker.
    pub backlogged: usize,
    /// Busy workers that will retire when they next become idle.
    pub shrink_debt: usize,
    /// Workers created so far. A worker of [`pool()`](crate::pool()) whose thread then could
    /// not start counts here too (and as retired): the pools start threads after the
    /// coordinator pass that created their workers.
    pub workers_created: u64,
    /// Workers retired so far (by shrink, quit, keep-alive or refusal).
    pub workers_retired: u64,
    /// The most workers alive at once.
    pub high_water: usize,
    /// Work items that failed (panicked) so far and were reported to the failure hook. A
    /// panic in [`Team::spawn`]ed work goes to its [`JoinHandle`](crate::JoinHandle) instead,
    /// and is counted here only if the handle was dropped first.
    pub failures: u64,
    /// How long the oldest backlogged item has waited; `None` when the backlog is empty or
    /// the Team has no clock (only a [paced](Pacing) Team has one).
    pub oldest_backlog_age: Option<Duration>,
}

impl Statistics {
    /// Idle plus busy workers.
    pub fn workers(&self) -> usize {
        self.idle_workers + self.busy_workers
    }
}

/// An item in a Team's backlog: the work and when it was submitted, by the Team's
/// [`Clock`](crate::Clock) (zero without one). Storage holds these; see [`Storage`].
#[derive(Debug)]
pub struct Backlogged<W> {
    pub(crate) since: Duration,
    pub(crate) work: W,
}

impl<W> Backlogged<W> {
    /// When it was submitted.
    pub fn since(&self) -> Duration {
        self.since
    }

    /// The work.
    pub fn work(&self) -> &W {
        &self.work
    }
}

/// A failed work item, as given to the failure hook.
///
/// With `std`, a failure is a panic caught around the item; its payload is available.
/// Without `std` a panic aborts, so no failure is ever reported.
pub struct Failure {
    #[cfg(feature = "std")]
    payload: alloc::boxed::Box<dyn core::any::Any + Send + 'static>,
    #[cfg(not(feature = "std"))]
    _never: core::convert::Infallible,
}

impl Failure {
    #[cfg(feature = "std")]
    pub(crate) fn from_panic(payload: alloc::boxed::Box<dyn core::any::Any + Send + 'static>) -> Self {
        Self { payload }
    }

    /// The panic message, when the payload is a string (as with `panic!("...")`).
    pub fn message(&self) -> Option<&str> {
        #[cfg(feature = "std")]
        {
            let p = &self.payload;
            p.downcast_ref::<&'static str>()
                .copied()
                .or_else(|| p.downcast_ref::<alloc::string::String>().map(|s| s.as_str()))
        }
        #[cfg(not(feature = "std"))]
        match self._never {}
    }

    /// The panic payload, e.g. to resume the panic elsewhere.
    #[cfg(feature = "std")]
    pub fn into_payload(self) -> alloc::boxed::Box<dyn core::any::Any + Send + 'static> {
        self.payload
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure").field("message", &self.message()).finish()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.message() {
            Some(m) => write!(f, "work panicked: {m}"),
            None => f.write_str("work panicked"),
        }
    }
}

/// Who hears about failed work.
#[cfg_attr(not(feature = "std"), allow(dead_code))] // without std nothing fails
enum Hook {
    /// With `std`: a line on stderr, like an uncaught thread panic's. Otherwise nothing.
    Default,
    Fn(fn(&Failure)),
    #[cfg(feature = "alloc")]
    Boxed(alloc::boxed::Box<dyn Fn(&Failure) + Send + Sync>),
}

#[cfg_attr(not(feature = "std"), allow(dead_code))]
impl Hook {
    fn call(&self, failure: &Failure) {
        match self {
            Hook::Default => {
                #[cfg(feature = "std")]
                std::eprintln!("threadteam: {failure}");
                #[cfg(not(feature = "std"))]
                let _ = failure;
            }
            Hook::Fn(f) => f(failure),
            #[cfg(feature = "alloc")]
            Hook::Boxed(f) => f(failure),
        }
    }
}

/// Published counts, readable from any thread without taking the coordinator.
#[derive(Default)]
struct Published {
    idle: AtomicUsize,
    busy: AtomicUsize,
    backlogged: AtomicUsize,
    debt: AtomicUsize,
    created: AtomicUsize,
    retired: AtomicUsize,
    high_water: AtomicUsize,
    failures: AtomicUsize,
    finished: AtomicBool,
}

impl Published {
    fn store(&self, s: &Statistics) {
        let r = Ordering::Release;
        self.idle.store(s.idle_workers, r);
        self.busy.store(s.busy_workers, r);
        self.backlogged.store(s.backlogged, r);
        self.debt.store(s.shrink_debt, r);
        self.created.store(s.workers_created as usize, r);
        self.retired.store(s.workers_retired as usize, r);
        self.high_water.store(s.high_water, r);
    }

    fn store_finished(&self, finished: bool) {
        self.finished.store(finished, Ordering::Release);
    }

    fn load(&self) -> Statistics {
        let a = Ordering::Acquire;
        Statistics {
            idle_workers: self.idle.load(a),
            busy_workers: self.busy.load(a),
            backlogged: self.backlogged.load(a),
            shrink_debt: self.debt.load(a),
            workers_created: self.created.load(a) as u64,
            workers_retired: self.retired.load(a) as u64,
            high_water: self.high_water.load(a),
            failures: self.failures.load(a) as u64,
            oldest_backlog_age: None,
        }
    }
}

/// What a paced Team publishes for its timer, its statistics and [`Team::policy`].
#[derive(Default)]
struct Timing {
    deadline: Option<Duration>,
    oldest_backlogged_since: Option<Duration>,
    /// Written by [`Team::set_policy`] before it sends the event that applies it, so the
    /// event carries no policy; [`Team::policy`] reads it.
    policy: Option<GrowthPolicy>,
}

struct Core<W, Wk, F, S: Storage<W, Wk>> {
    state: TeamState<W, Wk, S>,
    create_worker: F,
    /// Whether the lane's gate is open (only the coordinator opens or closes it): a closed
    /// gate is not closed again, sparing a write to the lane's shared tail per event.
    gate_open: bool,
}

/// A composite [`Worker`]: a pool of workers behind a serialising coordinator.
///
/// - `W`: the work ([`BoxedWork`](crate::BoxedWork) with `alloc`, [`FnWork`](crate::FnWork)
///   or your own [`Work`] type without);
/// - `Wk`: a worker of [`Job<W>`](Job): a `ThreadWorker`, an RTOS task worker, a memory
///   worker in tests;
/// - `C`: the coordinator, an [`ExclusiveWorker`] of [`Coordinate<W>`](Coordinate): a
///   [`LockWorker`](crate::LockWorker) in real pools, a [`MemoryWorker`](crate::MemoryWorker)
///   in tests;
/// - `F`: `create_worker`, called in the coordinator with the current statistics; `None`
///   means "no worker now" and leaves work in the backlog;
/// - `S`: the [`Storage`]: [`Fixed`](crate::Fixed) capacities or [`Growable`](crate::Growable).
///
/// A Team is shared: [`Team::new`] returns an `Arc` (with `alloc`); without an allocator,
/// [`Team::new_static`] places it in a [`TeamSlot`]. See the [module documentation](self)
/// for the state machine.
///
/// ```
/// use threadteam_core::{create_memory_worker, BoxedWork, Coordinate, Job, Team, Worker};
/// use std::sync::{Arc, Mutex};
///
/// let (coordinator, coordinate) = create_memory_worker::<Coordinate<BoxedWork>>();
/// let (worker, work) = create_memory_worker::<Job<BoxedWork>>();
/// let team = Team::new(coordinator, move |_stats: &_| Some(worker.clone()));
///
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let l = log.clone();
/// team.submit(Box::new(move || l.lock().unwrap().push("ran"))).unwrap();
/// assert_eq!(team.statistics().backlogged, 0); // nothing happens until coordinated
/// coordinate.perform(); // dispatch: creates the worker, which becomes busy
/// assert_eq!(team.statistics().busy_workers, 1);
/// work.perform(); // the worker runs the item and asks to be handed back
/// coordinate.perform(); // the hand-back: the worker is idle again
/// let s = team.statistics();
/// assert_eq!((s.idle_workers, s.busy_workers, s.backlogged), (1, 0, 0));
/// assert_eq!(*log.lock().unwrap(), ["ran"]);
/// ```
pub struct Team<W: 'static, Wk, C, F, S: Storage<W, Wk>> {
    quit: Quit,
    coordinator: C,
    /// The state, owned by whoever runs the coordinator's pass (see [`Claim`]).
    core: Claim<Core<W, Wk, F, S>>,
    published: Published,
    /// Work accepted but not yet dispatched, when the backlog has a fixed capacity: room
    /// is reserved at submit so the coordinator never meets a full backlog.
    reserved: AtomicUsize,
    capacity: usize,
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    hook: Hook,
    link: spin::Once<SelfLink<W>>,
    pacing: Option<Pacing>,
    timing: Section<Timing>,
    /// The head of the backlog, for work that bypasses the coordinator (see
    /// [the fast lane](self#the-fast-lane)).
    lane: S::Lane,
    /// Whether the lane is used: the storage has one, the coordinator runs events in the
    /// caller (so none is ever left queued behind the lane), and there is no policy.
    fast: bool,
    /// Starts the threads of workers created unstarted, after the pass that created them.
    #[cfg(feature = "alloc")]
    launcher: Option<alloc::sync::Arc<dyn crate::launch::Launch>>,
}

/// A place for a Team that lives forever, for programs without an allocator:
/// `static TEAM: TeamSlot<MyTeam> = TeamSlot::new();` then [`Team::new_static`].
pub struct TeamSlot<T>(spin::Once<T>);

impl<T> TeamSlot<T> {
    /// An empty slot.
    pub const fn new() -> Self {
        Self(spin::Once::new())
    }

    /// The Team, once placed.
    pub fn get(&self) -> Option<&T> {
        self.0.get()
    }
}

impl<T> Default for TeamSlot<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for TeamSlot<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamSlot").field("filled", &self.0.is_completed()).finish()
    }
}

impl<W, Wk, C, F, S> Team<W, Wk, C, F, S>
where
    W: Work + Send + 'static,
    Wk: Worker<Job<W>> + Send + 'static,
    C: ExclusiveWorker<Coordinate<W>> + Send + Sync + 'static,
    F: FnMut(&Statistics) -> Option<Wk> + Send + 'static,
    S: Storage<W, Wk> + 'static,
    S::Backlog: Send,
    S::Slots: Send,
    S::Ids: Send,
    S::Lane: Send + Sync,
{
    fn build(coordinator: C, create_worker: F, hook: Hook, pacing: Option<Pacing>) -> Self {
        let state = TeamState::new(pacing.as_ref().map(|p| p.policy));
        let capacity = state.backlog_capacity();
        let fast = <S::Lane as Lane<W>>::ENABLED && coordinator.runs_in_caller() && pacing.is_none();
        let timing = Timing { policy: pacing.as_ref().map(|p| p.policy), ..Timing::default() };
        Self {
            lane: S::Lane::default(),
            fast,
            quit: Quit::new(),
            coordinator,
            core: Claim::new(Core { state, create_worker, gate_open: false }),
            published: Published::default(),
            reserved: AtomicUsize::new(0),
            capacity,
            hook,
            link: spin::Once::new(),
            pacing,
            timing: Section::new(timing),
            #[cfg(feature = "alloc")]
            launcher: None,
        }
    }

    /// A Team placed in `slot` for the rest of the program: no allocator needed.
    /// `hook` hears about failed work (`None`: the default, see [`Team::with_failure_hook`]).
    ///
    /// # Panics
    /// If `slot` already holds a Team.
    pub fn new_static(
        slot: &'static TeamSlot<Self>,
        coordinator: C,
        create_worker: F,
        hook: Option<fn(&Failure)>,
    ) -> &'static Self {
        let mut fresh = false;
        let team = slot.0.call_once(|| {
            fresh = true;
            Self::build(coordinator, create_worker, hook.map_or(Hook::Default, Hook::Fn), None)
        });
        assert!(fresh, "TeamSlot already holds a Team");
        team.link.call_once(|| SelfLink::Static(team));
        team
    }

    /// Like [`Team::new_static`], for a Team that follows a growth policy (see [`Pacing`]).
    ///
    /// # Panics
    /// If `slot` already holds a Team.
    pub fn new_static_paced(
        slot: &'static TeamSlot<Self>,
        coordinator: C,
        create_worker: F,
        hook: Option<fn(&Failure)>,
        pacing: Pacing,
    ) -> &'static Self {
        let mut fresh = false;
        let team = slot.0.call_once(|| {
            fresh = true;
            Self::build(coordinator, create_worker, hook.map_or(Hook::Default, Hook::Fn), Some(pacing))
        });
        assert!(fresh, "TeamSlot already holds a Team");
        team.link.call_once(|| SelfLink::Static(team));
        team
    }

    /// The counts as last published by the coordinator. See [`Statistics`]. The age of the
    /// oldest backlogged item is measured now, from its published submit time.
    pub fn statistics(&self) -> Statistics {
        let mut stats = self.published.load();
        stats.backlogged += self.lane.len();
        if let Some(pacing) = &self.pacing {
            let since = self.timing.with(|timing| timing.oldest_backlogged_since);
            stats.oldest_backlog_age = since.map(|since| pacing.clock.now().saturating_sub(since));
        }
        stats
    }

    /// The growth policy, for a [paced](Pacing) Team.
    pub fn policy(&self) -> Option<GrowthPolicy> {
        self.timing.with(|timing| timing.policy)
    }

    /// Replaces the growth policy of a [paced](Pacing) Team (Twisted's `adjustPoolsize`):
    /// workers are started up to the new `min` at once, idle workers beyond it age out by
    /// the new keep-alive, and waiting work is served under the new limits (lowering `max`
    /// retires no busy worker). A Team without a policy ignores it.
    ///
    /// # Errors
    /// [`AlreadyQuit`] after [`quit`](Worker::quit).
    ///
    /// # Panics
    /// If the coordinator's fixed-capacity queue is full.
    pub fn set_policy(&self, policy: GrowthPolicy) -> Result<(), AlreadyQuit> {
        self.quit.check()?;
        if self.pacing.is_none() {
            return Ok(());
        }
        self.timing.with(|timing| timing.policy = Some(policy));
        self.control(Event::Policy)
    }

    /// When the Team next needs a [`tick`](Team::tick), on its clock: an idle worker's
    /// keep-alive expires, or waiting work may get a new worker (or a failed creation is
    /// retried). `None`: not until some other event; a timer may sleep until woken.
    /// Always `None` without a policy. Published at the end of each coordinated event.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.timing.with(|timing| timing.deadline)
    }

    /// Tells the Team that time has passed: with a policy, idle workers past their
    /// keep-alive retire (down to `min`) and waiting work gets a new worker if the pace now
    /// allows it. A timer calls it at [`next_deadline`](Team::next_deadline). Without a
    /// policy it is [`pump`](Team::pump).
    ///
    /// # Errors
    /// [`AlreadyQuit`] once quitting has completed.
    pub fn tick(&self) -> Result<(), AlreadyQuit> {
        self.send(Event::Tick).map_err(|_| AlreadyQuit)
    }

    /// Whether [`quit`](Worker::quit) has been called.
    pub fn is_quit(&self) -> bool {
        self.quit.is_set()
    }

    /// Whether quitting has completed: nothing is busy and the coordinator has quit.
    pub fn is_finished(&self) -> bool {
        self.published.finished.load(Ordering::Acquire)
    }

    /// Adds up to `n` workers of capacity (see the [state table](self)). Cancels pending
    /// shrink debt first; stops at the first `None` from `create_worker`.
    ///
    /// # Errors
    /// [`AlreadyQuit`] after [`quit`](Worker::quit).
    ///
    /// # Panics
    /// If the coordinator's fixed-capacity queue is full (size it for your submitters).
    pub fn grow(&self, n: usize) -> Result<(), AlreadyQuit> {
        self.control(Event::Grow(n))
    }

    /// Retires `n` workers (`None`: all of them): idle ones at once, busy ones when they
    /// next become idle with no backlog. Never interrupts running work.
    ///
    /// # Errors
    /// [`AlreadyQuit`] after [`quit`](Worker::quit).
    ///
    /// # Panics
    /// If the coordinator's fixed-capacity queue is full.
    pub fn shrink(&self, n: Option<usize>) -> Result<(), AlreadyQuit> {
        self.control(Event::Shrink(n))
    }

    /// Serves the backlog again: creates workers for waiting work if `create_worker` now
    /// allows it. Call it after raising a limit; the Team also does it on every coordinated
    /// submit, grow and hand-back (see [the fast lane](self#the-fast-lane)).
    ///
    /// # Errors
    /// [`AlreadyQuit`] once quitting has completed.
    pub fn pump(&self) -> Result<(), AlreadyQuit> {
        self.send(Event::Pump).map_err(|_| AlreadyQuit)
    }

    /// After quitting has completed, takes back one item of work that could not run
    /// because no worker could be made for it, oldest first. `None` otherwise.
    ///
    /// Never waits without `std`: called from a context that preempted a pass which still
    /// holds the Team's state (possible only after quitting with a coordinator that ran
    /// events recorded before the quit), it returns `None`; call it again from there.
    pub fn reclaim(&self) -> Option<W> {
        if !self.is_finished() {
            return None;
        }
        self.outside(|core| {
            if !core.state.is_finished() {
                return None;
            }
            // The lane's items are older than the coordinated backlog's.
            let work = self.lane.pop().or_else(|| core.state.reclaim());
            if work.is_some() {
                self.unreserve();
                self.published.store(&core.state.statistics());
            }
            work
        })
        .flatten()
    }

    /// Removes the first backlogged item that `matches` and returns it: it will not run.
    /// Work already dispatched to a worker cannot be removed.
    ///
    /// It runs through the coordinator when that runs events in the caller, so it never
    /// races a pass. Otherwise it takes the Team's state directly; `None` then also when the
    /// state is in use by a pass it cannot wait for: this thread's own (from inside a
    /// coordinator call-back), or, without `std`, one that this context preempted.
    pub fn cancel_backlogged(&self, mut matches: impl FnMut(&W) -> bool) -> Option<W> {
        // The lane holds the older items.
        if let Some(work) = self.fast.then(|| self.lane.remove_first(&mut matches)).flatten() {
            return Some(work);
        }
        self.outside(|core| {
            let work = core.state.remove_backlogged(matches);
            if work.is_some() {
                self.unreserve();
                let now = self.now();
                self.publish(&core.state, now);
            }
            work
        })
        .flatten()
    }

    /// Runs `f` on the Team's state from outside a pass: inside the coordinator when it
    /// runs events in the caller (so `f` is serialised with every pass and, with a
    /// [`CriticalSectionLock`](crate::CriticalSectionLock), runs with interrupts off), and
    /// otherwise (a coordinator that has quit, declines here, or runs events elsewhere) by
    /// entering the state directly. `None` when the state is in use and this call cannot
    /// wait for it (see [`Claim`]).
    fn outside<R>(&self, f: impl FnOnce(&mut Core<W, Wk, F, S>) -> R) -> Option<R> {
        match self.coordinator.run_now(f, |f| self.core.enter(f)) {
            Ok(result) => result,
            Err(f) => self.core.enter(f),
        }
    }

    fn control(&self, event: Event<W>) -> Result<(), AlreadyQuit> {
        self.quit.check()?;
        match self.send(event) {
            Ok(()) => Ok(()),
            Err(SubmitError::AlreadyQuit(_)) => Err(AlreadyQuit),
            Err(SubmitError::BacklogFull(_)) => panic!("threadteam: the coordinator's queue is full"),
        }
    }

    /// Has the coordinator apply `event`: on the spot when it can (a LockWorker), otherwise
    /// as an item it runs later.
    fn send(&self, event: Event<W>) -> Result<(), SubmitError<Event<W>>> {
        let sent = self.coordinate(event);
        self.launch_pending();
        sent
    }

    /// Starts the threads of the workers that coordinator passes created unstarted. Every
    /// thread that ran a pass calls it afterwards, outside the coordinator, so a slow
    /// thread start never holds up the workers waiting to hand back.
    fn launch_pending(&self) {
        #[cfg(feature = "alloc")]
        if let Some(launcher) = &self.launcher {
            launcher.launch_pending();
        }
    }

    fn coordinate(&self, event: Event<W>) -> Result<(), SubmitError<Event<W>>> {
        let event = match self.coordinator.run_now(event, |event| self.apply(event, None, true)) {
            Ok(_) => return Ok(()),
            Err(event) => event,
        };
        let Some(link) = self.self_link() else {
            return Err(SubmitError::AlreadyQuit(event));
        };
        self.coordinator.submit(Coordinate::new(event, link)).map_err(|e| e.map(Coordinate::into_event))
    }

    fn unreserve(&self) {
        if self.capacity != usize::MAX {
            self.reserved.fetch_sub(1, Ordering::AcqRel);
        }
    }

    fn now(&self) -> Option<Duration> {
        self.pacing.as_ref().map(|pacing| pacing.clock.now())
    }

    /// Publishes the counts and, for a paced Team, the timing; wakes the timer when its
    /// deadline moved earlier or the Team has finished.
    fn publish(&self, state: &TeamState<W, Wk, S>, now: Option<Duration>) {
        self.published.store(&state.statistics());
        self.published.store_finished(state.is_finished());
        let Some(pacing) = &self.pacing else { return };
        let deadline = state.next_deadline(now);
        let earlier = {
            let oldest = state.oldest_backlogged_since();
            self.timing.with(|timing| {
                let earlier = match (deadline, timing.deadline) {
                    (Some(new), Some(old)) => new < old,
                    (new, _) => new.is_some(),
                };
                timing.deadline = deadline;
                timing.oldest_backlogged_since = oldest;
                earlier
            })
        };
        if earlier || state.is_finished() {
            if let Some(wake) = &pacing.wake {
                wake.notify();
            }
        }
    }

    /// Applies one event to the state; runs inside the coordinator. `link`: the way back to
    /// this Team for the Jobs it dispatches, when the caller already holds one. `inline`:
    /// the caller waits for the answer (the coordinator runs the event on its thread).
    /// Returns whether a handed-back worker stays busy to take an item landing in the lane.
    fn apply(&self, event: Event<W>, link: Option<&Link<W>>, inline: bool) -> bool {
        let passed = self.core.enter(|core| {
            let mut kept = false;
            let Core { state, create_worker, gate_open } = core;
            state.begin_event(event.may_change_capacity());
            let now = self.now();
            let mut fx = Fx { team: self, link, create_worker, now, gate_open };
            match event {
                Event::Submit(work) => {
                    if state.submit(work, &mut fx).is_err() {
                        unreachable!("room in the backlog was reserved at submit");
                    }
                }
                Event::HandedBack(id) => kept = state.handed_back(id, inline, &mut fx),
                #[cfg(feature = "alloc")]
                Event::StartFailed(id, work) => state.start_failed(id, work, &mut fx),
                Event::Grow(n) => state.grow(n, &mut fx),
                Event::Shrink(n) => state.shrink(n, &mut fx),
                Event::Quit => state.quit(&mut fx),
                Event::Pump => state.pump(&mut fx),
                Event::Tick => state.tick(&mut fx),
                Event::Policy => {
                    // The latest policy given: of two racing calls, both events apply the
                    // one that `policy()` reports.
                    if let Some(policy) = self.timing.with(|timing| timing.policy) {
                        state.set_policy(policy, &mut fx);
                    }
                }
            }
            if self.fast {
                // Closed, the gate sends every submit through the coordinator; the state
                // closes it itself (and looks at the lane again) before anything that needs
                // it shut.
                if state.may_bypass() {
                    // Even if it is open: with a fresh budget.
                    self.lane.open();
                    *fx.gate_open = true;
                } else {
                    fx.lane_close();
                }
            }
            self.publish(state, now);
            kept
        });
        passed.unwrap_or_else(|| {
            panic!(
                "threadteam: a coordinator pass found the Team's state in use. Passes must not \
                 nest (an ExclusiveWorker queues work submitted while its item runs), and \
                 without std a pass must not preempt a reclaim or cancel in progress"
            )
        })
    }

    /// For a worker that just finished an item: the next one from the lane, if there is
    /// one or one arrives within a short spin while the gate is open. Keeps a busy worker
    /// busy without a coordinated hand-back per item.
    #[cfg(feature = "std")]
    fn next_from_lane(&self) -> Option<W> {
        if !self.fast {
            return None;
        }
        let mut step = 0;
        loop {
            if let Some(work) = self.lane.pop() {
                return Some(work);
            }
            if step == LANE_PATIENCE || !self.lane.is_open() {
                return None;
            }
            crate::sync::backoff(step);
            step += 1;
        }
    }
}

#[cfg(feature = "alloc")]
impl<W, Wk, C, F> Team<W, Wk, C, F, crate::Growable>
where
    W: Work + Send + 'static,
    Wk: Worker<Job<W>> + Send + 'static,
    C: ExclusiveWorker<Coordinate<W>> + Send + Sync + 'static,
    F: FnMut(&Statistics) -> Option<Wk> + Send + 'static,
{
    /// A Team over `coordinator` that makes workers with `create_worker`. It starts with no
    /// worker: they are created on demand or by [`grow`](Team::grow).
    pub fn new(coordinator: C, create_worker: F) -> alloc::sync::Arc<Self> {
        Self::arc(Self::build(coordinator, create_worker, Hook::Default, None))
    }

    /// Like [`Team::new`], reporting failed work to `hook` instead of stderr. The hook runs
    /// on the worker's thread; if it panics, the panic is caught and the Team carries on.
    pub fn with_failure_hook(
        coordinator: C,
        create_worker: F,
        hook: impl Fn(&Failure) + Send + Sync + 'static,
    ) -> alloc::sync::Arc<Self> {
        Self::arc(Self::build(coordinator, create_worker, Hook::Boxed(alloc::boxed::Box::new(hook)), None))
    }

    /// A Team that grows and shrinks by a [`GrowthPolicy`] (see [`Pacing`]): `create_worker`
    /// is only asked for a worker when the policy allows one. Something must call
    /// [`tick`](Team::tick) at each [`next_deadline`](Team::next_deadline) for keep-alive
    /// and paced growth to happen without other events; `adaptive_pool` runs such a timer.
    /// Failed work is reported to `hook`, as with [`Team::with_failure_hook`].
    pub fn paced(
        coordinator: C,
        create_worker: F,
        hook: impl Fn(&Failure) + Send + Sync + 'static,
        pacing: Pacing,
    ) -> alloc::sync::Arc<Self> {
        Self::arc(Self::build(coordinator, create_worker, Hook::Boxed(alloc::boxed::Box::new(hook)), Some(pacing)))
    }

    /// A Team whose `create_worker` makes workers unstarted and leaves their threads to
    /// `launcher`: the thread that ran the pass starts them once it is out of the
    /// coordinator, and a start that fails hands its work back (see [`crate::launch`]).
    ///
    /// # Panics
    /// If the coordinator does not run events in the caller: a pass that a coordinator ran
    /// on its own thread would have nobody to start its workers' threads after it.
    pub(crate) fn launching(
        coordinator: C,
        create_worker: F,
        hook: impl Fn(&Failure) + Send + Sync + 'static,
        pacing: Option<Pacing>,
        launcher: alloc::sync::Arc<dyn crate::launch::Launch>,
    ) -> alloc::sync::Arc<Self> {
        assert!(coordinator.runs_in_caller(), "a launching Team needs an inline coordinator");
        let mut team = Self::build(coordinator, create_worker, Hook::Boxed(alloc::boxed::Box::new(hook)), pacing);
        team.launcher = Some(launcher);
        Self::arc(team)
    }

    fn arc(team: Self) -> alloc::sync::Arc<Self> {
        let team = alloc::sync::Arc::new(team);
        let weak: alloc::sync::Weak<dyn TeamLink<W>> = alloc::sync::Arc::downgrade(&team) as _;
        team.link.call_once(|| SelfLink::Weak(weak));
        team
    }
}

impl<W: 'static, Wk, C, F, S: Storage<W, Wk>> Team<W, Wk, C, F, S> {
    fn self_link(&self) -> Option<Link<W>> {
        self.link.get().and_then(SelfLink::get)
    }

    /// See [`TeamLink::landing`].
    fn lane_landing(&self) -> Option<W> {
        // The oldest item, waiting (spinning, then yielding) while a place is claimed and
        // its submitter is between its claim and its store; `None` once nothing is
        // claimed. For the kept worker (then the gate is closed and nobody else pops) and
        // the coordinator's own pops.
        let mut step = 0;
        while self.lane.is_claimed() {
            if let Some(work) = self.lane.pop() {
                return Some(work);
            }
            crate::sync::backoff(step);
            step = (step + 1).min(LANE_PATIENCE);
        }
        // The place held a cancelled item: nothing to take after all.
        None
    }

    /// A link back to this Team that does not keep it alive (for task handles).
    #[cfg_attr(not(feature = "alloc"), allow(dead_code))]
    pub(crate) fn weak_link(&self) -> Option<SelfLink<W>> {
        self.link.get().cloned()
    }
}

/// The effects of a transition, as a Team performs them.
struct Fx<'a, W: 'static, Wk, C, F, S: Storage<W, Wk>> {
    team: &'a Team<W, Wk, C, F, S>,
    /// Borrowed from the item being coordinated, if any; otherwise made on dispatch, so an
    /// event that dispatches nothing costs no reference-count traffic.
    link: Option<&'a Link<W>>,
    create_worker: &'a mut F,
    now: Option<Duration>,
    /// The Team's record of its gate (see `Core::gate_open`).
    gate_open: &'a mut bool,
}

impl<W: 'static, Wk, C, F, S> Effects<W, Wk> for Fx<'_, W, Wk, C, F, S>
where
    Wk: Worker<Job<W>>,
    C: ExclusiveWorker<Coordinate<W>>,
    F: FnMut(&Statistics) -> Option<Wk>,
    S: Storage<W, Wk>,
{
    fn now(&self) -> Option<Duration> {
        self.now
    }

    fn create(&mut self, stats: &Statistics) -> Option<Wk> {
        (self.create_worker)(stats)
    }

    fn dispatch(&mut self, worker: &Wk, id: WorkerId, work: W) -> Result<(), W> {
        let link = match self.link {
            Some(link) => link.clone(),
            None => match self.team.self_link() {
                Some(link) => link,
                // The Team is being dropped: nothing can run any more.
                None => return Err(work),
            },
        };
        match worker.submit(Job::new(work, id, link)) {
            Ok(()) => {
                if self.team.capacity != usize::MAX {
                    self.team.reserved.fetch_sub(1, Ordering::AcqRel);
                }
                Ok(())
            }
            Err(refused) => Err(refused.into_inner().into_work()),
        }
    }

    fn quit_worker(&mut self, worker: Wk) {
        // A worker that already quit has nothing more to free.
        let _ = worker.quit();
    }

    fn quit_coordinator(&mut self) {
        let _ = self.team.coordinator.quit();
    }

    fn lane_push(&mut self, work: W) -> Result<(), W> {
        if self.team.fast {
            self.team.lane.push(work)
        } else {
            Err(work)
        }
    }

    fn lane_pop(&mut self) -> Option<W> {
        if self.team.fast {
            // Patient: a place at the head that is claimed but not yet written belongs to
            // a submitter between its claim and its store (preempted there, perhaps). Calling
            // the lane empty then would leave an idle worker idle, shut the gate and send
            // every submit through the coordinator until that submitter runs again.
            self.team.lane_landing()
        } else {
            None
        }
    }

    fn lane_len(&self) -> usize {
        self.team.lane.len()
    }

    fn lane_close(&mut self) {
        // Already closed: no push claimed a place since, so `is_claimed` stays exact.
        if self.team.fast && *self.gate_open {
            self.team.lane.close();
            *self.gate_open = false;
        }
    }

    fn lane_claimed(&self) -> bool {
        self.team.fast && self.team.lane.is_claimed()
    }
}

impl<W, Wk, C, F, S> TeamLink<W> for Team<W, Wk, C, F, S>
where
    W: Work + Send + 'static,
    Wk: Worker<Job<W>> + Send + 'static,
    C: ExclusiveWorker<Coordinate<W>> + Send + Sync + 'static,
    F: FnMut(&Statistics) -> Option<Wk> + Send + 'static,
    S: Storage<W, Wk> + 'static,
    S::Backlog: Send,
    S::Slots: Send,
    S::Ids: Send,
    S::Lane: Send + Sync,
{
    fn apply(&self, event: Event<W>, link: &Link<W>) {
        Team::apply(self, event, Some(link), false);
    }

    fn hand_back(&self, id: WorkerId, link: &Link<W>) -> bool {
        let kept = match self.coordinator.run_now(id, |id| Team::apply(self, Event::HandedBack(id), Some(link), true)) {
            Ok(kept) => kept,
            Err(id) => {
                match self.coordinator.submit(Coordinate::new(Event::HandedBack(id), link.clone())) {
                    Ok(()) => {}
                    // The coordinator quits only when nothing is busy, so only a coordinator
                    // quit from outside the Team refuses this; there is nothing left to
                    // coordinate.
                    Err(SubmitError::AlreadyQuit(_)) => {}
                    Err(SubmitError::BacklogFull(_)) => panic!("threadteam: the coordinator's queue is full"),
                }
                false
            }
        };
        self.launch_pending();
        kept
    }

    #[cfg(feature = "alloc")]
    fn start_failed(&self, id: WorkerId, work: W) {
        // The worker was busy with this work until now, so the Team has not finished and
        // its coordinator takes the event.
        match self.send(Event::StartFailed(id, work)) {
            Ok(()) => {}
            Err(SubmitError::AlreadyQuit(_)) => unreachable!("a Team with a busy worker has not finished"),
            Err(SubmitError::BacklogFull(_)) => panic!("threadteam: the coordinator's queue is full"),
        }
    }

    #[cfg(feature = "std")]
    fn report(&self, failure: Failure) {
        self.published.failures.fetch_add(1, Ordering::AcqRel);
        // A hook that panics must not cost the Team its worker.
        let hook = &self.hook;
        let _ = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| hook.call(&failure)));
    }

    #[cfg(feature = "alloc")]
    fn remove_backlogged(&self, matches: &mut dyn FnMut(&W) -> bool) -> Option<W> {
        self.cancel_backlogged(matches)
    }

    #[cfg(feature = "std")]
    fn next_work(&self) -> Option<W> {
        self.next_from_lane()
    }

    #[cfg(feature = "std")]
    fn landing(&self) -> Option<W> {
        self.lane_landing()
    }
}

impl<W, Wk, C, F, S> Worker<W> for Team<W, Wk, C, F, S>
where
    W: Work + Send + 'static,
    Wk: Worker<Job<W>> + Send + 'static,
    C: ExclusiveWorker<Coordinate<W>> + Send + Sync + 'static,
    F: FnMut(&Statistics) -> Option<Wk> + Send + 'static,
    S: Storage<W, Wk> + 'static,
    S::Backlog: Send,
    S::Slots: Send,
    S::Ids: Send,
    S::Lane: Send + Sync,
{
    /// Hands `work` to the Team: an idle worker takes it, or a new one, or it waits in the
    /// backlog behind older work.
    ///
    /// # Errors
    /// [`SubmitError::AlreadyQuit`] after quit; [`SubmitError::BacklogFull`] when a
    /// fixed-capacity backlog (or coordinator queue) has no room. Both carry the work.
    fn submit(&self, work: W) -> Result<(), SubmitError<W>> {
        if self.quit.is_set() {
            return Err(SubmitError::AlreadyQuit(work));
        }
        let work = if self.fast {
            // Straight into the lane while the gate is open; otherwise coordinated.
            match self.lane.push_open(work) {
                Ok(()) => return Ok(()),
                Err(work) => work,
            }
        } else {
            work
        };
        if self.capacity != usize::MAX && self.reserved.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.reserved.fetch_sub(1, Ordering::AcqRel);
            return Err(SubmitError::BacklogFull(work));
        }
        self.send(Event::Submit(work)).map_err(|refused| {
            self.unreserve();
            refused.map(|event| event.into_work().expect("a submit event carries its work"))
        })
    }

    /// Stops accepting work. Idle workers retire now; busy ones finish, serve the backlog,
    /// then retire; then the coordinator quits. Returns at once: it waits for nothing.
    ///
    /// # Errors
    /// [`AlreadyQuit`] on the second call.
    fn quit(&self) -> Result<(), AlreadyQuit> {
        self.quit.set()?;
        match self.send(Event::Quit) {
            Ok(()) => Ok(()),
            Err(SubmitError::AlreadyQuit(_)) => Ok(()),
            Err(SubmitError::BacklogFull(_)) => panic!("threadteam: the coordinator's queue is full"),
        }
    }
}

impl<W: 'static, Wk, C, F, S: Storage<W, Wk>> Drop for Team<W, Wk, C, F, S> {
    fn drop(&mut self) {
        // A timer sleeping without a deadline must notice that its Team is gone.
        if let Some(wake) = self.pacing.as_ref().and_then(|pacing| pacing.wake.as_ref()) {
            wake.notify();
        }
    }
}

impl<W: 'static, Wk, C: fmt::Debug, F, S: Storage<W, Wk>> fmt::Debug for Team<W, Wk, C, F, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Team")
            .field("statistics", &self.published.load())
            .field("quit", &self.quit.is_set())
            .field("coordinator", &self.coordinator)
            .finish_non_exhaustive()
    }
}

//! [`Team`](crate::team::Team): a composite worker made of idle workers, busy workers and a backlog, every
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
//! | start failed (a worker of a thread Team (`ThreadTeamBuilder`, `pool()`) created could not start its thread; see below) | like a refused dispatch: `busy -= 1`, the worker retires, its item returns to the front of the backlog; idle workers serve it, but none is created until the next event |
//! | `grow(n)` | cancel up to `n` units of debt; create the rest, each served like a hand-back |
//! | `shrink(n)` | per unit: retire the coldest idle worker, else `debt += 1` while `debt < busy` |
//! | `quit()` | `quitting`; retire every idle worker; **finish** |
//! | `tick()` (a timer, with a [policy](crate::policy)) | retire idle workers past keep-alive, coldest first, down to `min`; then **pump** |
//! | **finish** | when quitting and `busy == 0`: serve any backlog with new workers if possible; else `finished`, quit the coordinator; what is left can be [reclaimed](crate::team::Team::reclaim) |
//!
//! Every Team is sized by one [`GrowthPolicy`] (`min`, `max`, `burst`, growth interval,
//! keep-alive), plus, optionally, a limit function re-read at every creation (Twisted's
//! `pool(currentLimit, ...)`). A hard cap is the policy that creates at once up to its `max`
//! and keeps idle workers forever; it needs no clock. A policy that paces growth beyond
//! `burst` or ages idle workers out needs one ([`TeamBuilder::clock`](crate::team::TeamBuilder::clock)): creation in **pump** is then
//! paced (an explicit `grow` and work left at quit only respect its `max`), idle workers and
//! backlogged items carry time stamps from the [`Clock`](crate::port::Clock), and after every
//! event the Team publishes its [next deadline](crate::team::Team::next_deadline) for a timer.
//!
//! The thread Teams (`ThreadTeamBuilder`, `pool()`, with `alloc`)
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
//! While every worker is busy and no new one may be made, submits go around the coordinator
//! through a lock-free queue at the head of the backlog, and workers take their next item
//! from it without a hand-back: see [`bypass`], where the whole protocol lives. The state
//! machine (`TeamState`) sees that queue and the coordinated one behind it as one FIFO.
//!
//! # Differences from Twisted (its latent bugs, fixed)
//!
//! - Quit with no worker alive does not drop the backlog: it runs on new workers, or is
//!   handed back through [`Team::reclaim`](crate::team::Team::reclaim).
//! - A failing item is reported through a hook that cannot break the Team: a panicking hook
//!   is caught and the worker is still handed back (with `std`).
//! - When `create_worker` gives `None`, the work stays in the backlog and creation is tried
//!   again whenever capacity may have changed: the next coordinated submit or hand-back (at
//!   least one in every [`BYPASS_BUDGET`](crate::team::bypass::BYPASS_BUDGET) submits; see
//!   [the fast lane](bypass)), grow, or [`Team::pump`](crate::team::Team::pump).
//! - New work joins the back of the backlog, so it never overtakes older work.
//! - Shrink debt never exceeds the number of busy workers; `grow` cancels debt first.

mod builder;
pub mod bypass;
mod event;
pub(crate) mod failure;
mod link;
mod pass;
mod state;
mod stats;

use core::fmt;
use core::time::Duration;

use crate::policy::{LimitFn, StaticOrArc};
use crate::sync::{AtomicUsize, Claim, Ordering, Section};
use crate::{AlreadyQuit, Clock, ExclusiveWorker, GrowthPolicy, Lane, Quit, Signal, SubmitError, Work, Worker};

#[cfg(feature = "alloc")]
pub use crate::pool::{pool, CreateThreadWorker, StartedThreadTeam, ThreadTeam, ThreadTeamBuilder};
#[cfg(feature = "alloc")]
pub use crate::storage::Growable;
pub use crate::storage::{Fixed, Queue, Seq, Storage};
pub use builder::{CallerLock, DefaultLock, TeamBuilder};
#[cfg(feature = "alloc")]
pub use builder::{CreateWorker, HeapTeam, MemoryTeam};
use bypass::{Bypass, Gate};
use event::Event;
use failure::{Failure, Hook};
use link::Link;
pub(crate) use link::SelfLink;
#[cfg(feature = "alloc")]
use link::TeamLink;
pub use link::{Coordinate, Job};
use pass::PassState;
use state::TeamState;
pub use stats::Statistics;
use stats::{Published, Timing};

/// Identifies a worker inside its Team (an index into the Team's worker slots).
///
/// ```
/// # #[cfg(feature = "alloc")]
/// # fn main() {
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::team::{Job, TeamBuilder, WorkerId};
/// use threadteam::workers::{create_memory_worker, BoxedWork, MemoryWorker};
/// use threadteam::Worker;
///
/// // A worker that tells which worker each job was given to.
/// let (worker, _work) = create_memory_worker::<Job<BoxedWork>>();
/// let team = TeamBuilder::new(move |_| Some(worker.clone())).build();
/// team.submit(Box::new(|| ())).unwrap();
/// let first: WorkerId = 0; // ids are indexes into the Team's worker slots
/// # let _ = (first, MemoryWorker::<u8>::new());
/// # }
/// # #[cfg(not(feature = "alloc"))]
/// # fn main() {}
/// ```
pub type WorkerId = usize;

/// An item in a Team's backlog: the work and when it was submitted, by the Team's
/// [`Clock`](crate::port::Clock) (zero without one). Storage holds these; see [`Storage`](crate::team::Storage).
///
/// ```
/// # #[cfg(feature = "alloc")]
/// # fn main() {
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::team::{Job, TeamBuilder};
/// use threadteam::workers::{create_memory_worker, BoxedWork};
/// use threadteam::Worker;
///
/// // A limit of 0 keeps work in the backlog; after quit it can be reclaimed, unrun.
/// let (worker, _work) = create_memory_worker::<Job<BoxedWork>>();
/// let team = TeamBuilder::new(move |_| Some(worker.clone())).limit(|| 0).build();
/// team.submit(Box::new(|| ())).unwrap();
/// team.quit().unwrap();
/// assert!(team.reclaim().is_some());
/// # }
/// # #[cfg(not(feature = "alloc"))]
/// # fn main() {}
/// ```
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

/// A composite [`Worker`]: a pool of workers behind a serialising coordinator.
///
/// - `W`: the work (`BoxedWork` with `alloc`, [`FnWork`](crate::workers::FnWork)
///   or your own [`Work`](crate::workers::Work) type without);
/// - `Wk`: a worker of [`Job<W>`](crate::team::Job): a `ThreadWorker`, an RTOS task worker, a memory
///   worker in tests;
/// - `C`: the coordinator, an [`ExclusiveWorker`] of [`Coordinate<W>`](crate::team::Coordinate): a
///   [`LockWorker`](crate::workers::LockWorker) in real pools, a [`MemoryWorker`](crate::workers::MemoryWorker)
///   in tests;
/// - `F`: `create_worker`, called in the coordinator with the current statistics; `None`
///   means "no worker now" and leaves work in the backlog;
/// - `S`: the [`Storage`](crate::team::Storage): [`Fixed`](crate::team::Fixed) capacities, or `Growable` with `alloc`.
///
/// A Team is made by a [`TeamBuilder`](crate::team::TeamBuilder): shared in an `Arc` (with `alloc`), or placed in a
/// static [`TeamSlot`](crate::team::TeamSlot) without an allocator. See the [module documentation](self)
/// for the state machine.
///
/// ```
/// # #[cfg(feature = "alloc")]
/// # fn main() {
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::team::{Coordinate, Job, TeamBuilder};
/// use threadteam::workers::{create_memory_worker, BoxedWork};
/// use threadteam::Worker;
/// use std::sync::{Arc, Mutex};
///
/// let (coordinator, coordinate) = create_memory_worker::<Coordinate<BoxedWork>>();
/// let (worker, work) = create_memory_worker::<Job<BoxedWork>>();
/// let team = TeamBuilder::new(move |_| Some(worker.clone())).coordinator(coordinator).build();
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
/// # }
/// # #[cfg(not(feature = "alloc"))]
/// # fn main() {}
/// ```
pub struct Team<W: 'static, Wk, C, F, S: Storage<W, Wk>> {
    quit: Quit,
    coordinator: C,
    /// The state, owned by whoever runs the coordinator's pass (see [`Claim`]).
    pass: Claim<PassState<W, Wk, F, S>>,
    published: Published,
    /// Work accepted but not yet dispatched, when the backlog has a fixed capacity: room
    /// is reserved at submit so the coordinator never meets a full backlog.
    reserved: AtomicUsize,
    capacity: usize,
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    hook: Hook,
    link: spin::Once<SelfLink<W>>,
    /// The clock of a policy that needs one (pacing, keep-alive).
    clock: Option<StaticOrArc<dyn Clock>>,
    /// The timer to wake when the deadline moves earlier, the Team finishes or is dropped.
    wake: Option<StaticOrArc<dyn Signal>>,
    timing: Section<Timing>,
    /// The head of the backlog, for work that goes around the coordinator.
    bypass: Bypass<S::Lane>,
    /// Starts the threads of workers created unstarted, after the pass that created them.
    #[cfg(feature = "alloc")]
    launcher: Option<alloc::sync::Arc<dyn crate::pool::Launch>>,
}

/// A place for a Team that lives forever, for programs without an allocator:
/// `static TEAM: TeamSlot<MyTeam> = TeamSlot::new();` then
/// [`TeamBuilder::build_static`](crate::team::TeamBuilder::build_static).
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::port::CriticalSectionLock;
/// use threadteam::team::{Coordinate, Fixed, Job, Statistics, Team, TeamBuilder, TeamSlot};
/// use threadteam::workers::{FnWork, LockWorker, MemoryWorker};
/// use threadteam::Worker;
///
/// // Firmware: no allocator. Two static workers whose inboxes a task (here: this thread)
/// // performs, a coordinator under a critical section, at most 4 waiting items.
/// type Inbox = MemoryWorker<Job<FnWork>, heapless::Deque<Job<FnWork>, 2>>;
/// type Create = fn(&Statistics) -> Option<&'static Inbox>;
/// type Coordinator = LockWorker<Coordinate<FnWork>, CriticalSectionLock, heapless::Deque<Coordinate<FnWork>, 4>>;
/// type Firmware = Team<FnWork, &'static Inbox, Coordinator, Create, Fixed<4, 2>>;
///
/// static INBOXES: [Inbox; 2] = [MemoryWorker::with_queue(heapless::Deque::new()), MemoryWorker::with_queue(heapless::Deque::new())];
/// static TEAM: TeamSlot<Firmware> = TeamSlot::new();
///
/// fn create(stats: &Statistics) -> Option<&'static Inbox> {
///     INBOXES.get(stats.workers_created as usize)
/// }
/// fn blink(times: usize) {
///     assert!(times > 0);
/// }
///
/// let coordinator = LockWorker::with_queue(CriticalSectionLock::new(), heapless::Deque::new());
/// let team = TeamBuilder::new(create as Create).coordinator(coordinator).build_static(&TEAM);
/// team.submit(FnWork::new(blink, 3)).unwrap(); // an interrupt handler may do this too
/// team.submit(FnWork::new(blink, 1)).unwrap();
/// assert_eq!(team.statistics().busy_workers, 2);
/// while INBOXES.iter().any(|inbox| inbox.perform()) {}
/// assert_eq!(team.statistics().idle_workers, 2);
/// assert!(core::ptr::eq(TEAM.get().unwrap(), team));
/// ```
pub struct TeamSlot<T>(spin::Once<T>);

impl<T> TeamSlot<T> {
    /// An empty slot.
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::team::TeamSlot;
    ///
    /// static SLOT: TeamSlot<u32> = TeamSlot::new(); // any `static` Team type; see `TeamSlot`
    /// assert!(SLOT.get().is_none()); // filled by `TeamBuilder::build_static`
    /// ```
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

/// How a Team is configured (by its [`TeamBuilder`](crate::team::TeamBuilder)).
struct Config {
    hook: Hook,
    policy: GrowthPolicy,
    clock: Option<StaticOrArc<dyn Clock>>,
    wake: Option<StaticOrArc<dyn Signal>>,
    limit: Option<LimitFn>,
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
    fn build(coordinator: C, create_worker: F, config: Config) -> Self {
        let Config { hook, policy, clock, wake, limit } = config;
        assert!(
            clock.is_some() || !policy.needs_clock(),
            "threadteam: a growth policy that paces growth or ages idle workers out needs a clock"
        );
        let plain = S::Backlog::default();
        let capacity = plain.capacity();
        let fast = <S::Lane as Lane<W>>::ENABLED && coordinator.runs_in_caller();
        Self {
            bypass: Bypass::new(fast),
            quit: Quit::new(),
            coordinator,
            pass: Claim::new(PassState {
                state: TeamState::new(policy),
                plain,
                create_worker,
                limit,
                gate: Gate::default(),
            }),
            published: Published::default(),
            reserved: AtomicUsize::new(0),
            capacity,
            hook,
            link: spin::Once::new(),
            clock,
            wake,
            timing: Section::new(Timing { deadline: None, oldest_backlogged_since: None, policy }),
            #[cfg(feature = "alloc")]
            launcher: None,
        }
    }

    /// Places the Team `build` makes in `slot`.
    ///
    /// # Panics
    /// If `slot` already holds a Team.
    fn place(slot: &'static TeamSlot<Self>, build: impl FnOnce() -> Self) -> &'static Self {
        let mut fresh = false;
        let team = slot.0.call_once(|| {
            fresh = true;
            build()
        });
        assert!(fresh, "TeamSlot already holds a Team");
        team.link.call_once(|| SelfLink::Static(team));
        team
    }

    /// The counts as last published by the coordinator, plus the fast lane's items as of
    /// now. See [`Statistics`](crate::team::Statistics). With a clock, the age of the oldest backlogged item is
    /// measured now.
    pub fn statistics(&self) -> Statistics {
        let mut stats = self.published.load();
        stats.backlogged += self.bypass.len::<W>();
        if let Some(clock) = &self.clock {
            let now = clock.now();
            let since = self
                .bypass
                .oldest_since::<W>(Some(now))
                .or_else(|| self.timing.with(|timing| timing.oldest_backlogged_since));
            stats.oldest_backlog_age = since.map(|since| now.saturating_sub(since));
        }
        stats
    }

    /// Whether work waits that cannot run: no worker is alive, and the last request for
    /// one was refused because none may exist (the policy's `max`, or the limit function,
    /// is 0). Such work runs only once the limit is raised (and the Team
    /// [pumped](crate::team::Team::pump)), so a blocking `JoinHandle::join` (with `std`) on it fails at
    /// once with `TaskError::Unrunnable`
    /// instead of waiting forever. As of the last coordinated event; never `true` while any
    /// worker is alive, busy or not.
    ///
    /// ```
    /// # #[cfg(feature = "alloc")]
    /// # fn main() {
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::team::{Coordinate, Job, TeamBuilder};
    /// use threadteam::workers::{create_memory_worker, BoxedWork};
    /// use threadteam::Worker;
    ///
    /// let (worker, _work) = create_memory_worker::<Job<BoxedWork>>();
    /// let team = TeamBuilder::new(move |_| Some(worker.clone())).limit(|| 0).build();
    /// assert!(!team.is_stalled());
    /// team.submit(Box::new(|| ())).unwrap();
    /// assert!(team.is_stalled()); // a limit of 0, and no worker
    /// # }
    /// # #[cfg(not(feature = "alloc"))]
    /// # fn main() {}
    /// ```
    pub fn is_stalled(&self) -> bool {
        self.published.stalled.load(Ordering::Acquire)
    }

    /// The policy the Team is sized by (the latest given to [`set_policy`](crate::team::Team::set_policy)).
    pub fn policy(&self) -> GrowthPolicy {
        self.timing.with(|timing| timing.policy)
    }

    /// Replaces the growth policy (Twisted's `adjustPoolsize`): workers above the new `max`
    /// retire (idle ones now, busy ones when they next become idle), waiting work is served
    /// under the new limits, workers are started up to the new `min`, and idle workers
    /// beyond it age out by the new keep-alive.
    ///
    /// # Errors
    /// [`AlreadyQuit`] after [`quit`](Worker::quit).
    ///
    /// # Panics
    /// If the new policy needs a clock (it paces growth or ages idle workers out) and the
    /// Team has none; if the coordinator's fixed-capacity queue is full.
    pub fn set_policy(&self, policy: GrowthPolicy) -> Result<(), AlreadyQuit> {
        self.quit.check()?;
        assert!(
            self.clock.is_some() || !policy.needs_clock(),
            "threadteam: a growth policy that paces growth or ages idle workers out needs a clock, and this Team has none"
        );
        self.timing.with(|timing| timing.policy = policy);
        self.control(Event::Policy)
    }

    /// When the Team next needs a [`tick`](crate::team::Team::tick), on its clock: an idle worker's
    /// keep-alive expires, or waiting work may get a new worker (or a failed creation is
    /// retried). `None`: not until some other event; a timer may sleep until woken.
    /// Always `None` without a clock. Published at the end of each coordinated event.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.timing.with(|timing| timing.deadline)
    }

    /// Tells the Team that time has passed: idle workers past their keep-alive retire (down
    /// to `min`) and waiting work gets a new worker if the pace now allows it. A timer calls
    /// it at [`next_deadline`](crate::team::Team::next_deadline). Without a clock it is
    /// [`pump`](crate::team::Team::pump).
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
    /// submit, grow and hand-back (see [the fast lane](bypass)).
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
        self.outside(|owned| {
            if !owned.state.is_finished() {
                return None;
            }
            // The lane's items are older than the coordinated queue's.
            let work = self.bypass.landing().or_else(|| Queue::pop_front(&mut owned.plain).map(|item| item.work));
            if work.is_some() {
                self.unreserve();
                self.published.store(&owned.state.statistics(Queue::len(&owned.plain)));
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
        if let Some(work) = self.bypass.remove_first(&mut matches) {
            return Some(work);
        }
        self.outside(|owned| {
            let work = owned.plain.remove_first(|item| matches(&item.work)).map(|item| item.work);
            if work.is_some() {
                self.unreserve();
                let now = self.now();
                let PassState { state, plain, gate, .. } = owned;
                self.publish(state, &mut self.bypass.waiting(plain, now), gate, now);
            }
            work
        })
        .flatten()
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
    fn arc(team: Self) -> alloc::sync::Arc<Self> {
        let team = alloc::sync::Arc::new(team);
        let weak: alloc::sync::Weak<dyn TeamLink<W>> = alloc::sync::Arc::downgrade(&team) as _;
        team.link.call_once(|| SelfLink::Weak(weak));
        team
    }
}

impl<W: 'static, Wk, C, F, S: Storage<W, Wk>> Team<W, Wk, C, F, S> {
    fn unreserve(&self) {
        if self.capacity != usize::MAX {
            self.reserved.fetch_sub(1, Ordering::AcqRel);
        }
    }

    fn now(&self) -> Option<Duration> {
        self.clock.as_ref().map(|clock| clock.now())
    }

    fn self_link(&self) -> Option<Link<W>> {
        self.link.get().and_then(SelfLink::get)
    }

    /// A link back to this Team that does not keep it alive (for task handles).
    #[cfg_attr(not(feature = "alloc"), allow(dead_code))]
    pub(crate) fn weak_link(&self) -> Option<SelfLink<W>> {
        self.link.get().cloned()
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
    /// Never blocks in an interrupt handler: the event is coordinated there (a
    /// [`CriticalSectionLock`](crate::port::CriticalSectionLock) coordinator), queued for a
    /// coordinator with a task of its own, or handed to the holder of a lock the handler may
    /// not take; see [interrupt handlers and priorities](crate#interrupt-handlers-and-priorities).
    ///
    /// # Errors
    /// [`SubmitError::AlreadyQuit`] after quit; [`SubmitError::BacklogFull`] when a
    /// fixed-capacity backlog (or coordinator queue) has no room. Both carry the work.
    fn submit(&self, work: W) -> Result<(), SubmitError<W>> {
        if self.quit.is_set() {
            return Err(SubmitError::already_quit(work));
        }
        // Straight into the lane while the gate is open; otherwise coordinated.
        let work = match self.bypass.submit(work) {
            Ok(()) => return Ok(()),
            Err(work) => work,
        };
        if self.capacity != usize::MAX && self.reserved.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.reserved.fetch_sub(1, Ordering::AcqRel);
            return Err(SubmitError::backlog_full(work));
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
        if let Some(wake) = &self.wake {
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

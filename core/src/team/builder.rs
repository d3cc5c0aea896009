//! [`TeamBuilder`](crate::team::TeamBuilder): the one way to make a [`Team`](crate::team::Team).

use core::fmt;
use core::marker::PhantomData;

use super::failure::Hook;
use super::{Config, Coordinate, Failure, Job, Statistics, Team, TeamSlot};
use crate::policy::{LimitFn, StaticOrArc};
use crate::{Clock, ExclusiveWorker, GrowthPolicy, LockWorker, Signal, Storage, Work, Worker};

/// The lock a Team's coordinator takes by default: `StdLock` with `std`,
/// [`CriticalSectionLock`](crate::port::CriticalSectionLock) without.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::port::RawLock;
/// use threadteam::team::DefaultLock;
///
/// let lock = DefaultLock::default();
/// assert_eq!(lock.with(2, |n| n * 21), Ok(42));
/// ```
#[cfg(feature = "std")]
pub type DefaultLock = crate::StdLock;
/// The lock a Team's coordinator takes by default: `StdLock` with `std`,
/// [`CriticalSectionLock`](crate::port::CriticalSectionLock) without.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::port::RawLock;
/// use threadteam::team::DefaultLock;
///
/// let lock = DefaultLock::default();
/// assert_eq!(lock.with(2, |n| n * 21), Ok(42));
/// ```
#[cfg(not(feature = "std"))]
pub type DefaultLock = crate::CriticalSectionLock;

/// The coordinator a Team gets unless told otherwise: the caller's lock. Each event runs in
/// the thread that caused it (a submit, a hand-back), under [`DefaultLock`](crate::team::DefaultLock), as Twisted's
/// `pool()` does when it is given no reactor.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::team::CallerLock;
/// use threadteam::workers::FnWork;
///
/// // The coordinator `TeamBuilder::new` gives a Team; name it where a Team's type is written.
/// let coordinator: CallerLock<FnWork> = CallerLock::new(Default::default());
/// # let _ = coordinator;
/// ```
pub type CallerLock<W> = LockWorker<Coordinate<W>, DefaultLock>;

/// How a Team made by [`TeamBuilder::build`](crate::team::TeamBuilder::build) makes its workers: the `create_worker` closure,
/// boxed, so the Team's type can be written down.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use std::sync::Arc;
/// use threadteam::team::{CreateWorker, Job};
/// use threadteam::workers::{BoxedWork, MemoryWorker};
///
/// type Wk = Arc<MemoryWorker<Job<BoxedWork>>>;
/// let mut made = 0;
/// let mut create: CreateWorker<Wk> = Box::new(move |_| {
///     made += 1;
///     (made <= 2).then(|| Arc::new(MemoryWorker::new()))
/// });
/// # let stats = Default::default();
/// assert!(create(&stats).is_some());
/// ```
#[cfg(feature = "alloc")]
pub type CreateWorker<Wk> = alloc::boxed::Box<dyn FnMut(&Statistics) -> Option<Wk> + Send>;

/// The type of a Team made by [`TeamBuilder::build`](crate::team::TeamBuilder::build) (shared in an `Arc`): work `W`, workers
/// `Wk`, coordinated by `C` (the caller's lock unless told otherwise), with growable
/// storage. Name it in a struct as `Arc<HeapTeam<W, Wk>>`.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use std::sync::Arc;
/// use threadteam::team::{HeapTeam, Job, TeamBuilder};
/// use threadteam::workers::{BoxedWork, LockWorker};
/// use threadteam::port::CriticalSectionLock;
///
/// type Inline = Arc<LockWorker<Job<BoxedWork>, CriticalSectionLock>>;
/// struct Service {
///     team: Arc<HeapTeam<BoxedWork, Inline>>,
/// }
/// let worker: Inline = Arc::new(LockWorker::new(CriticalSectionLock::new()));
/// let service = Service { team: TeamBuilder::new(move |_| Some(Arc::clone(&worker))).build() };
/// # let _ = service.team;
/// ```
#[cfg(feature = "alloc")]
pub type HeapTeam<W, Wk, C = CallerLock<W>> = Team<W, Wk, C, CreateWorker<Wk>, crate::Growable>;

/// The type of a Team of [memory workers](crate::workers::MemoryWorker), coordinated by one,
/// as made for a step-by-step test with
/// [`create_memory_worker`](crate::workers::create_memory_worker) and
/// [`TeamBuilder::build`](crate::team::TeamBuilder::build).
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use std::sync::Arc;
/// use threadteam::team::{Coordinate, Job, MemoryTeam, TeamBuilder};
/// use threadteam::workers::{create_memory_worker, BoxedWork, Perform};
///
/// struct Harness {
///     team: Arc<MemoryTeam>,
///     coordinate: Perform<Coordinate<BoxedWork>>,
///     work: Perform<Job<BoxedWork>>,
/// }
///
/// let (coordinator, coordinate) = create_memory_worker();
/// let (worker, work) = create_memory_worker();
/// let team = TeamBuilder::new(move |_| Some(worker.clone())).coordinator(coordinator).build();
/// let harness = Harness { team, coordinate, work };
/// # let _ = (harness.team, harness.coordinate, harness.work);
/// ```
#[cfg(feature = "alloc")]
pub type MemoryTeam<W = crate::BoxedWork> =
    HeapTeam<W, alloc::sync::Arc<crate::MemoryWorker<Job<W>>>, alloc::sync::Arc<crate::MemoryWorker<Coordinate<W>>>>;

/// Builds a [`Team`](crate::team::Team): its workers (`create_worker`), its coordinator, how it is sized
/// ([`GrowthPolicy`], a limit function), the clock and timer of a policy that needs them,
/// and who hears about failed work. Then `build` (an `Arc`, with
/// `alloc`) or [`build_static`](crate::team::TeamBuilder::build_static) (a [`TeamSlot`](crate::team::TeamSlot), no allocator).
///
/// `create_worker` is called in the coordinator with the current statistics, whenever the
/// policy and the limit allow a new worker; `None` means "no worker now" and leaves work in
/// the backlog until capacity may have changed.
///
/// Deterministic tests coordinate on a memory worker and perform every step:
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
/// let (coordinator, coordinate) = create_memory_worker::<Coordinate<BoxedWork>>();
/// let (worker, work) = create_memory_worker::<Job<BoxedWork>>();
/// let team = TeamBuilder::new(move |_| Some(worker.clone())).coordinator(coordinator).build();
///
/// team.submit(Box::new(|| println!("hello"))).unwrap();
/// coordinate.perform(); // dispatch: a worker is created and gets the item
/// work.perform(); // it runs, and asks to be handed back
/// coordinate.perform(); // the hand-back
/// assert_eq!(team.statistics().idle_workers, 1);
/// # }
/// # #[cfg(not(feature = "alloc"))]
/// # fn main() {}
/// ```
///
/// Without an allocator, the Team lives in a static [`TeamSlot`](crate::team::TeamSlot):
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::team::{CallerLock, Fixed, Job, Statistics, Team, TeamBuilder, TeamSlot};
/// use threadteam::workers::{FnWork, MemoryWorker};
/// use threadteam::Worker;
///
/// type Inbox = MemoryWorker<Job<FnWork>, heapless::Deque<Job<FnWork>, 1>>;
/// type Tiny = Team<FnWork, &'static Inbox, CallerLock<FnWork>, fn(&Statistics) -> Option<&'static Inbox>, Fixed<4, 1>>;
/// static WORKER: Inbox = MemoryWorker::with_queue(heapless::Deque::new());
/// static SLOT: TeamSlot<Tiny> = TeamSlot::new();
///
/// fn create(stats: &Statistics) -> Option<&'static Inbox> {
///     (stats.workers_created == 0).then_some(&WORKER)
/// }
/// fn blink(times: usize) { assert_eq!(times, 3) }
///
/// let team = TeamBuilder::new(create as fn(&Statistics) -> Option<&'static Inbox>).build_static(&SLOT);
/// team.submit(FnWork::new(blink, 3)).unwrap();
/// assert!(WORKER.perform()); // the item ran; its hand-back was coordinated at once
/// assert_eq!(team.statistics().idle_workers, 1);
/// ```
#[must_use = "a builder does nothing until it is built"]
pub struct TeamBuilder<W: 'static, Wk, F, C = CallerLock<W>> {
    create_worker: F,
    coordinator: C,
    policy: GrowthPolicy,
    clock: Option<StaticOrArc<dyn Clock>>,
    timer: Option<StaticOrArc<dyn Signal>>,
    limit: Option<LimitFn>,
    hook: Hook,
    _types: PhantomData<fn(W) -> Wk>,
}

impl<W, Wk, F> TeamBuilder<W, Wk, F>
where
    W: Work + Send + 'static,
    Wk: Worker<Job<W>> + Send + 'static,
    F: FnMut(&Statistics) -> Option<Wk> + Send + 'static,
{
    /// A Team whose workers come from `create_worker`, coordinated under the caller's lock
    /// ([`CallerLock`](crate::team::CallerLock)), with no cap and no pacing ([`GrowthPolicy::unbounded`]), failures
    /// reported to stderr (with `std`; without it nothing can fail).
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
    /// let (worker, work) = create_memory_worker::<Job<BoxedWork>>();
    /// // At most one worker: `create_worker` sees the Team's statistics.
    /// let team = TeamBuilder::new(move |stats| (stats.workers() == 0).then(|| worker.clone())).build();
    /// team.submit(Box::new(|| ())).unwrap(); // coordinated at once, under the caller's lock
    /// assert_eq!(team.statistics().busy_workers, 1);
    /// work.perform_all();
    /// assert_eq!(team.statistics().idle_workers, 1);
    /// # }
    /// # #[cfg(not(feature = "alloc"))]
    /// # fn main() {}
    /// ```
    pub fn new(create_worker: F) -> Self {
        Self {
            create_worker,
            coordinator: LockWorker::new(DefaultLock::default()),
            policy: GrowthPolicy::unbounded(),
            clock: None,
            timer: None,
            limit: None,
            hook: Hook::Default,
            _types: PhantomData,
        }
    }
}

impl<W, Wk, F, C> TeamBuilder<W, Wk, F, C>
where
    W: Work + Send + 'static,
    Wk: Worker<Job<W>> + Send + 'static,
    F: FnMut(&Statistics) -> Option<Wk> + Send + 'static,
    C: ExclusiveWorker<Coordinate<W>> + Send + Sync + 'static,
{
    /// Coordinates the Team on `coordinator` instead of the caller's lock: any
    /// [`ExclusiveWorker`] of [`Coordinate`](crate::team::Coordinate) events, such as a
    /// [`MemoryWorker`](crate::workers::MemoryWorker) a test performs, a `LockWorker` over another
    /// lock, or a worker with a thread (or RTOS task) of its own that stands for an event
    /// loop (Twisted's `pool(..., reactor)`). Only a coordinator that runs events in the
    /// caller lets work take the [fast lane](super::bypass).
    pub fn coordinator<C2>(self, coordinator: C2) -> TeamBuilder<W, Wk, F, C2>
    where
        C2: ExclusiveWorker<Coordinate<W>> + Send + Sync + 'static,
    {
        TeamBuilder {
            create_worker: self.create_worker,
            coordinator,
            policy: self.policy,
            clock: self.clock,
            timer: self.timer,
            limit: self.limit,
            hook: self.hook,
            _types: PhantomData,
        }
    }

    /// Sizes the Team by `policy` (see [`GrowthPolicy`]): `min`, `max`, `burst`, growth
    /// interval, keep-alive. A policy that paces growth or ages idle workers out needs a
    /// [`clock`](crate::team::TeamBuilder::clock), and a timer that calls [`Team::tick`](crate::team::Team::tick) at each
    /// [`Team::next_deadline`](crate::team::Team::next_deadline).
    pub fn policy(mut self, policy: GrowthPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The clock of a policy that needs one, living forever (no allocator needed).
    pub fn clock(mut self, clock: &'static dyn Clock) -> Self {
        self.clock = Some(StaticOrArc::Static(clock));
        self
    }

    /// The clock of a policy that needs one, shared.
    #[cfg(feature = "alloc")]
    pub fn shared_clock(mut self, clock: alloc::sync::Arc<dyn Clock>) -> Self {
        self.clock = Some(StaticOrArc::Arc(clock));
        self
    }

    /// The timer's signal: notified when the Team's [deadline](crate::team::Team::next_deadline) moves
    /// earlier, when it finishes quitting, and when it is dropped.
    pub fn timer(mut self, timer: &'static dyn Signal) -> Self {
        self.timer = Some(StaticOrArc::Static(timer));
        self
    }

    /// Like [`timer`](crate::team::TeamBuilder::timer), with a shared signal.
    #[cfg(feature = "alloc")]
    pub fn shared_timer(mut self, timer: alloc::sync::Arc<dyn Signal>) -> Self {
        self.timer = Some(StaticOrArc::Arc(timer));
        self
    }

    /// Caps the live workers by `limit()`, re-read at every attempt to create one, so the
    /// cap can change at any time (Twisted's `pool(currentLimit, ...)`); after raising it,
    /// [`Team::pump`](crate::team::Team::pump) serves waiting work at once. It applies on top of the policy's `max`.
    #[cfg(feature = "alloc")]
    pub fn limit(mut self, limit: impl FnMut() -> usize + Send + 'static) -> Self {
        self.limit = Some(alloc::boxed::Box::new(limit));
        self
    }

    /// Caps the live workers by `limit()`, re-read at every attempt to create one, so the
    /// cap can change at any time (Twisted's `pool(currentLimit, ...)`); after raising it,
    /// [`Team::pump`](crate::team::Team::pump) serves waiting work at once. It applies on top of the policy's `max`.
    #[cfg(not(feature = "alloc"))]
    pub fn limit(mut self, limit: fn() -> usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Reports failed work (a caught panic, with `std`) to `hook` instead of stderr. It runs
    /// on the worker's thread; if it panics, the panic is caught and the Team carries on.
    #[cfg(feature = "alloc")]
    pub fn on_failure(mut self, hook: impl Fn(&Failure) + Send + Sync + 'static) -> Self {
        self.hook = Hook::Boxed(alloc::boxed::Box::new(hook));
        self
    }

    /// Reports failed work to `hook` instead of the default. (Without `std` a panic does not
    /// unwind, so nothing is ever reported.)
    #[cfg(not(feature = "alloc"))]
    pub fn on_failure(mut self, hook: fn(&Failure)) -> Self {
        self.hook = Hook::Fn(hook);
        self
    }

    fn config(self) -> (C, F, Config) {
        let config =
            Config { hook: self.hook, policy: self.policy, clock: self.clock, wake: self.timer, limit: self.limit };
        (self.coordinator, self.create_worker, config)
    }

    /// The Team, in a static [`TeamSlot`](crate::team::TeamSlot) for the rest of the program: no allocator
    /// needed. Its storage (`S`) is the slot's: [`Fixed`](crate::team::Fixed) capacities, a full
    /// backlog handing work back.
    ///
    /// # Panics
    /// If `slot` already holds a Team, or the policy needs a clock and none was given.
    pub fn build_static<S>(self, slot: &'static TeamSlot<Team<W, Wk, C, F, S>>) -> &'static Team<W, Wk, C, F, S>
    where
        S: Storage<W, Wk> + 'static,
        S::Backlog: Send,
        S::Slots: Send,
        S::Ids: Send,
        S::Lane: Send + Sync,
    {
        let (coordinator, create_worker, config) = self.config();
        Team::place(slot, || Team::build(coordinator, create_worker, config))
    }

    /// The Team, shared, with [`Growable`](crate::team::Growable) storage. Its
    /// `create_worker` is boxed, so its type can be named: [`HeapTeam<W, Wk, C>`](crate::team::HeapTeam).
    ///
    /// # Panics
    /// If the policy needs a clock and none was given.
    #[cfg(feature = "alloc")]
    pub fn build(self) -> alloc::sync::Arc<HeapTeam<W, Wk, C>> {
        let (coordinator, create_worker, config) = self.config();
        let create_worker: CreateWorker<Wk> = alloc::boxed::Box::new(create_worker);
        Team::arc(Team::build(coordinator, create_worker, config))
    }
}

#[cfg(feature = "alloc")]
impl<W, Wk, C> TeamBuilder<W, Wk, CreateWorker<Wk>, C>
where
    W: Work + Send + 'static,
    Wk: Worker<Job<W>> + Send + 'static,
    C: ExclusiveWorker<Coordinate<W>> + Send + Sync + 'static,
{
    /// Like [`build`](crate::team::TeamBuilder::build), leaving the threads of workers made unstarted to
    /// `launcher`, which the thread that ran each pass calls after it (see the `pool` module).
    pub(crate) fn build_launching(
        self,
        launcher: alloc::sync::Arc<dyn crate::pool::Launch>,
    ) -> alloc::sync::Arc<HeapTeam<W, Wk, C>> {
        let (coordinator, create_worker, config) = self.config();
        let mut team = Team::build(coordinator, create_worker, config);
        team.launcher = Some(launcher);
        Team::arc(team)
    }
}

impl<W, Wk, F, C: fmt::Debug> fmt::Debug for TeamBuilder<W, Wk, F, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamBuilder")
            .field("coordinator", &self.coordinator)
            .field("policy", &self.policy)
            .field("clock", &self.clock.is_some())
            .field("timer", &self.timer.is_some())
            .field("limit", &self.limit.is_some())
            .finish_non_exhaustive()
    }
}

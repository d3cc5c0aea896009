//! Thread pools: a [`Team`](crate::team::Team) of [`ThreadWorker`](crate::workers::ThreadWorker)s over a [`ThreadFactory`](crate::port::ThreadFactory), built by
//! [`ThreadTeamBuilder`](crate::team::ThreadTeamBuilder), with a timer thread when its policy needs one.
//!
//! Every pool is the same Team, configured differently: Twisted's hard-capped `pool(limit,
//! ...)` ([`pool()`]), a fixed `min`/`max` pool, or an adaptive one that paces growth beyond
//! `burst` and lets idle threads go ([`GrowthPolicy`]). Threads start lazily, after the
//! coordinator pass that called for them, on the thread that ran it (see `launch`), and a
//! thread the factory cannot start leaves its work queued.

mod launch;
mod thread_worker;
mod timer;

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::fmt;

pub(crate) use launch::Launch;
use launch::Launcher;
pub use thread_worker::ThreadWorker;

use crate::team::CallerLock;
use crate::{
    BoxedWork, Clock, Coordinate, ExclusiveWorker, Failure, GrowthPolicy, Job, Signal, Statistics, TeamBuilder,
    ThreadFactory,
};

/// How a pool makes its workers: an unstarted [`ThreadWorker`](crate::workers::ThreadWorker) whose thread the pass's
/// thread starts after the pass.
pub type CreateThreadWorker<S> = crate::team::CreateWorker<ThreadWorker<Job<BoxedWork>, S>>;

/// The Team of a thread pool: [`ThreadWorker`](crate::workers::ThreadWorker)s sleeping on signals `S`, coordinated by `C`
/// (the caller's lock unless the pool was given another coordinator), boxed work.
pub type ThreadTeam<S, C = CallerLock<BoxedWork>> =
    crate::team::HeapTeam<BoxedWork, ThreadWorker<Job<BoxedWork>, S>, C>;

/// A started thread pool: its Team, and the handle of its timer thread if its policy needs
/// one (pacing growth, or idle threads ageing out).
#[derive(Debug)]
pub struct StartedThreadTeam<S: Signal + 'static, C: 'static, T> {
    /// The Team: submit to it, read its statistics, resize it.
    pub team: Arc<ThreadTeam<S, C>>,
    /// The timer thread's handle (as the factory returned it): join it after quitting the
    /// Team to wait until all work has run. `None` when the policy needs no timer.
    pub timer: Option<T>,
}

/// Builds a thread pool over a [`ThreadFactory`](crate::port::ThreadFactory): how it is sized (a [`GrowthPolicy`], a
/// limit function), the clock of a policy that needs one, its coordinator, who hears about
/// failed work. Each worker's thread sleeps on a fresh `S::default()`.
///
/// ```
/// use std::sync::{mpsc, Arc};
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::port::{Signal, ThreadFactory};
/// use threadteam::team::ThreadTeamBuilder;
/// use threadteam::{GrowthPolicy, Worker};
/// # #[derive(Default)] struct Parker(std::sync::Mutex<bool>, std::sync::Condvar);
/// # impl Signal for Parker {
/// #     fn wait(&self) { let mut t = self.0.lock().unwrap(); while !*t { t = self.1.wait(t).unwrap(); } *t = false; }
/// #     fn wait_timeout(&self, d: std::time::Duration) -> bool { let t = self.0.lock().unwrap(); let (mut t, _) = self.1.wait_timeout_while(t, d, |t| !*t).unwrap(); std::mem::replace(&mut *t, false) }
/// #     fn notify(&self) { *self.0.lock().unwrap() = true; self.1.notify_one(); }
/// # }
/// # struct Threads;
/// # impl ThreadFactory for Threads {
/// #     type Thread = std::thread::JoinHandle<()>;
/// #     type Error = std::io::Error;
/// #     fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<Self::Thread, Self::Error> {
/// #         std::thread::Builder::new().spawn(main)
/// #     }
/// # }
///
/// // At most 4 threads, created at once as work arrives, kept while idle.
/// let pool = ThreadTeamBuilder::<_, Parker>::new(Threads).policy(GrowthPolicy::capped(4)).build().unwrap();
/// let (tx, rx) = mpsc::channel();
/// pool.team.submit(Box::new(move || tx.send(6 * 7).unwrap())).unwrap();
/// assert_eq!(rx.recv().unwrap(), 42);
/// pool.team.quit().unwrap();
/// ```
#[must_use = "a builder does nothing until it is built"]
pub struct ThreadTeamBuilder<F, S: Signal + 'static, C = CallerLock<BoxedWork>> {
    team: TeamBuilder<BoxedWork, ThreadWorker<Job<BoxedWork>, S>, CreateThreadWorker<S>, C>,
    launcher: Arc<Launcher<BoxedWork, F, S>>,
    policy: GrowthPolicy,
    clock: Option<Arc<dyn Clock>>,
}

impl<F, S> ThreadTeamBuilder<F, S>
where
    F: ThreadFactory + Send + Sync + 'static,
    S: Signal + Default + 'static,
{
    /// A pool of threads started through `factory`, with no cap and no pacing until told
    /// otherwise ([`GrowthPolicy::unbounded`]).
    pub fn new(factory: F) -> Self {
        let launcher = Arc::new(Launcher::new(factory));
        let workers = Arc::clone(&launcher);
        let create: CreateThreadWorker<S> = Box::new(move |stats: &Statistics| workers.create(stats));
        Self { team: TeamBuilder::new(create), launcher, policy: GrowthPolicy::unbounded(), clock: None }
    }
}

impl<F, S, C> ThreadTeamBuilder<F, S, C>
where
    F: ThreadFactory + Send + Sync + 'static,
    S: Signal + Default + 'static,
    C: ExclusiveWorker<Coordinate<BoxedWork>> + Send + Sync + 'static,
{
    /// Coordinates the pool on `coordinator` instead of the caller's lock (see
    /// [`TeamBuilder::coordinator`](crate::team::TeamBuilder::coordinator)).
    pub fn coordinator<C2>(self, coordinator: C2) -> ThreadTeamBuilder<F, S, C2>
    where
        C2: ExclusiveWorker<Coordinate<BoxedWork>> + Send + Sync + 'static,
    {
        ThreadTeamBuilder {
            team: self.team.coordinator(coordinator),
            launcher: self.launcher,
            policy: self.policy,
            clock: self.clock,
        }
    }

    /// Sizes the pool by `policy`: its `min` threads are started at once. One that paces
    /// growth or ages idle threads out needs a [`clock`](crate::team::ThreadTeamBuilder::clock); the pool then
    /// runs a timer thread.
    pub fn policy(mut self, policy: GrowthPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Caps the live threads by `limit()`, re-read at every attempt to create one
    /// (Twisted's `pool(currentLimit, ...)`).
    pub fn limit(mut self, limit: impl FnMut() -> usize + Send + 'static) -> Self {
        self.team = self.team.limit(limit);
        self
    }

    /// The clock of a policy that needs one.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Reports work that panicked to `hook` (on the worker's thread) instead of stderr.
    pub fn on_failure(mut self, hook: impl Fn(&Failure) + Send + Sync + 'static) -> Self {
        self.team = self.team.on_failure(hook);
        self
    }

    /// Starts the pool: its timer thread, if the policy needs one, then its `min` threads.
    ///
    /// # Errors
    /// The factory's error if it cannot start the timer thread (the Team is then quit and
    /// dropped). Worker threads that cannot start are not an error: their work waits, and
    /// creation is tried again at the next event (or, with a timer, a growth interval on).
    ///
    /// # Panics
    /// If the policy needs a clock and none was given.
    pub fn build(self) -> Result<StartedThreadTeam<S, C, F::Thread>, F::Error> {
        let Self { team, launcher, policy, clock, .. } = self;
        let mut team = team.policy(policy);
        let timer_signal = policy.needs_clock().then(|| Arc::new(S::default()));
        if let Some(clock) = &clock {
            team = team.shared_clock(Arc::clone(clock));
        }
        if let Some(signal) = &timer_signal {
            team = team.shared_timer(Arc::clone(signal) as Arc<dyn Signal>);
        }
        let team = team.build_launching(Arc::clone(&launcher) as Arc<dyn Launch>);
        let timer = match (timer_signal, clock) {
            (Some(signal), Some(clock)) => {
                let weak = Arc::downgrade(&team);
                match launcher.factory().start(move || timer::run(&weak, &*clock, &*signal)) {
                    Ok(timer) => Some(timer),
                    Err(e) => {
                        let _ = crate::Worker::quit(&*team);
                        return Err(e);
                    }
                }
            }
            _ => None,
        };
        // Not quit yet, so this cannot fail; a thread that cannot start is simply not there.
        let _ = team.grow(policy.min);
        Ok(StartedThreadTeam { team, timer })
    }
}

impl<F, S: Signal, C: fmt::Debug> fmt::Debug for ThreadTeamBuilder<F, S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadTeamBuilder").field("policy", &self.policy).finish_non_exhaustive()
    }
}

/// A Team of thread workers started through `factory`, never more than `limit()` alive
/// (Twisted's `pool(currentLimit, threadFactory)`): a [`ThreadTeamBuilder`](crate::team::ThreadTeamBuilder) with that limit,
/// no pacing and no timer.
///
/// `limit` is called at every attempt to create a worker, so the cap can change at any
/// time; after raising it, [`Team::pump`](crate::team::Team::pump) serves waiting work at once (otherwise the next
/// coordinated submit or hand-back does: while every worker is busy, submits bypass the
/// coordinator through the Team's [fast lane](crate::team::bypass), but never more than
/// [`BYPASS_BUDGET`](crate::team::bypass::BYPASS_BUDGET) in a row). Threads start lazily, on demand or by
/// [`Team::grow`](crate::team::Team::grow). A thread the factory fails to start is as if the limit were reached: the
/// work stays in the backlog and creation is tried again later. Each worker's thread sleeps
/// on a fresh `S::default()`; the coordinator is the caller's lock ([`CallerLock`](crate::team::CallerLock)).
///
/// Failed work is reported to `on_failure`.
pub fn pool<S, F>(
    limit: impl FnMut() -> usize + Send + 'static,
    factory: F,
    on_failure: impl Fn(&Failure) + Send + Sync + 'static,
) -> Arc<ThreadTeam<S>>
where
    S: Signal + Default + 'static,
    F: ThreadFactory + Send + Sync + 'static,
{
    let started = ThreadTeamBuilder::new(factory).limit(limit).on_failure(on_failure).build();
    match started {
        Ok(StartedThreadTeam { team, .. }) => team,
        // Without a timer, nothing is started before the first submit.
        Err(_) => unreachable!("an unpaced pool starts no thread when built"),
    }
}

//! [`AdaptivePool`]: OS threads that come when work waits and go when they idle.

use core::num::NonZeroUsize;
use core::ops::Deref;
use core::time::Duration;
use std::fmt;
use std::sync::Arc;
use std::thread::JoinHandle;

use threadteam_core::{adaptive_pool, Failure, GrowthPolicy, PacedPool, Pool, StdLock, Worker};

use crate::{SpawnError, StdClock, StdSignal, StdThreadFactory};

/// The Team inside an [`AdaptivePool`]: thread workers behind a lock coordinator.
pub type AdaptiveTeam = Pool<StdSignal, StdLock>;

type Hook = Box<dyn Fn(&Failure) + Send + Sync>;

/// Configures an [`AdaptivePool`]: its [`GrowthPolicy`] (min, burst, growth interval,
/// keep-alive, max), thread names and stack size, and who hears about panics.
///
/// ```
/// use std::time::Duration;
/// use threadteam_std::AdaptivePool;
///
/// let pool = AdaptivePool::builder()
///     .min(1)
///     .burst(4)
///     .growth_interval(Duration::from_millis(200))
///     .keep_alive(Some(Duration::from_secs(30)))
///     .max(Some(256))
///     .name("io")
///     .build()
///     .unwrap();
/// assert_eq!(pool.statistics().workers(), 1); // min is started at once
/// pool.join();
/// ```
pub struct AdaptivePoolBuilder {
    policy: GrowthPolicy,
    name: String,
    stack_size: Option<usize>,
    on_failure: Option<Hook>,
}

impl Default for AdaptivePoolBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl AdaptivePoolBuilder {
    /// The defaults of [`GrowthPolicy::new`], except `burst`: the available parallelism
    /// (1 if unknown). Threads are named `threadteam-N`.
    pub fn new() -> Self {
        let burst = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Self { policy: GrowthPolicy::new().burst(burst), name: "threadteam".into(), stack_size: None, on_failure: None }
    }

    /// Replaces the whole policy.
    #[must_use]
    pub fn policy(mut self, policy: GrowthPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Threads kept however long they idle ([`GrowthPolicy::min`]); started at once.
    #[must_use]
    pub fn min(mut self, threads: usize) -> Self {
        self.policy = self.policy.min(threads);
        self
    }

    /// Threads created at once when work arrives and none is idle ([`GrowthPolicy::burst`]).
    #[must_use]
    pub fn burst(mut self, threads: usize) -> Self {
        self.policy = self.policy.burst(threads);
        self
    }

    /// Beyond `burst`, at most one new thread per `interval` while work waits
    /// ([`GrowthPolicy::growth_interval`]).
    #[must_use]
    pub fn growth_interval(mut self, interval: Duration) -> Self {
        self.policy = self.policy.growth_interval(interval);
        self
    }

    /// How long a thread above `min` may idle before it exits; `None`: forever
    /// ([`GrowthPolicy::keep_alive`]).
    #[must_use]
    pub fn keep_alive(mut self, keep_alive: Option<Duration>) -> Self {
        self.policy = self.policy.keep_alive(keep_alive);
        self
    }

    /// A hard cap on threads, as a safety net; `None`: none ([`GrowthPolicy::max`]).
    #[must_use]
    pub fn max(mut self, threads: Option<usize>) -> Self {
        self.policy = self.policy.max(threads);
        self
    }

    /// Names threads `{prefix}-N`; the pool's timer thread is the first.
    #[must_use]
    pub fn name(mut self, prefix: impl Into<String>) -> Self {
        self.name = prefix.into();
        self
    }

    /// Gives each thread a stack of `bytes`.
    #[must_use]
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Reports work that panicked to `hook` (on the worker's thread) instead of stderr.
    #[must_use]
    pub fn on_failure(mut self, hook: impl Fn(&Failure) + Send + Sync + 'static) -> Self {
        self.on_failure = Some(Box::new(hook));
        self
    }

    /// The policy as configured so far.
    pub fn growth_policy(&self) -> GrowthPolicy {
        self.policy
    }

    /// Starts the pool: its timer thread and `min` worker threads.
    ///
    /// # Errors
    /// [`SpawnError`] if the timer thread cannot be started. Worker threads that cannot be
    /// started are not an error: work waits and the pool retries on its timer.
    pub fn build(self) -> Result<AdaptivePool, SpawnError> {
        let mut factory = StdThreadFactory::new().name_prefix(self.name);
        if let Some(bytes) = self.stack_size {
            factory = factory.stack_size(bytes);
        }
        let hook = self.on_failure.unwrap_or_else(|| Box::new(report));
        let PacedPool { team, timer } = adaptive_pool(self.policy, factory, StdClock::new(), hook)?;
        Ok(AdaptivePool { team, timer: Some(timer) })
    }
}

/// The default failure report: like an uncaught thread panic's message.
fn report(failure: &Failure) {
    #[cfg(feature = "log")]
    log::error!("threadteam: {failure}");
    #[cfg(not(feature = "log"))]
    eprintln!("threadteam: {failure}");
}

impl fmt::Debug for AdaptivePoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdaptivePoolBuilder")
            .field("policy", &self.policy)
            .field("name", &self.name)
            .field("stack_size", &self.stack_size)
            .field("on_failure", &self.on_failure.is_some())
            .finish()
    }
}

/// A pool of OS threads with no hard cap that still stays small: it grows at once up to
/// `burst` threads, then by one thread per growth interval while work waits, and threads
/// idle for the keep-alive exit, down to `min` (see [`GrowthPolicy`]). So work that waits
/// for other work in the same pool cannot deadlock it (Twisted #5298), and an idle pool
/// costs no CPU: its one timer thread sleeps without a timeout when nothing can age out.
///
/// It dereferences to its [`AdaptiveTeam`]: submit with [`Worker::submit`], read
/// [`statistics`](threadteam_core::Team::statistics), [`grow`](threadteam_core::Team::grow)
/// or [`shrink`](threadteam_core::Team::shrink) it by hand.
///
/// ```
/// use std::sync::mpsc;
/// use threadteam_core::Worker;
/// use threadteam_std::AdaptivePool;
///
/// let pool = AdaptivePool::builder().min(1).build().unwrap();
/// let (tx, rx) = mpsc::channel();
/// pool.submit(Box::new(move || tx.send(6 * 7).unwrap())).unwrap();
/// assert_eq!(rx.recv().unwrap(), 42);
/// pool.join();
/// ```
pub struct AdaptivePool {
    team: Arc<AdaptiveTeam>,
    timer: Option<JoinHandle<()>>,
}

impl AdaptivePool {
    /// A builder with the defaults of [`AdaptivePoolBuilder::new`].
    pub fn builder() -> AdaptivePoolBuilder {
        AdaptivePoolBuilder::new()
    }

    /// A pool with the default policy.
    ///
    /// # Errors
    /// [`SpawnError`] if the timer thread cannot be started.
    pub fn new() -> Result<Self, SpawnError> {
        Self::builder().build()
    }

    /// The Team, shared (e.g. to submit from inside work).
    pub fn team(&self) -> &Arc<AdaptiveTeam> {
        &self.team
    }

    /// Quits (if not done yet) and waits until all accepted work has run and the timer
    /// thread has exited. Worker threads exit on their own right after their last item.
    ///
    /// Never call it from work running in this pool: it would wait for itself.
    ///
    /// # Panics
    /// If the timer thread panicked (a bug).
    pub fn join(mut self) {
        let _ = self.team.quit();
        if let Some(timer) = self.timer.take() {
            timer.join().expect("the adaptive pool's timer thread panicked");
        }
    }
}

impl Deref for AdaptivePool {
    type Target = AdaptiveTeam;
    fn deref(&self) -> &AdaptiveTeam {
        &self.team
    }
}

impl Drop for AdaptivePool {
    /// Quits without waiting: accepted work still runs, then the threads exit.
    fn drop(&mut self) {
        let _ = self.team.quit();
    }
}

impl fmt::Debug for AdaptivePool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdaptivePool").field("team", &self.team).finish_non_exhaustive()
    }
}

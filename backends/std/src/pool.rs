//! [`Pool`]: the std thread pool. One type for every configuration: adaptive by default
//! (threads come when work waits and go when they idle), or hard-capped, or sized by a
//! limit function; Twisted's [`ThreadPool`](crate::ThreadPool) is a thin layer over it.

use core::cell::Cell;
use core::fmt;
use core::mem;
use core::num::NonZeroUsize;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use core::time::Duration;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use threadteam_core::{
    port::ThreadFactory,
    team::{StartedThreadTeam, ThreadTeam, ThreadTeamBuilder},
    workers::BoxedWork,
    AlreadyQuit, Failure, GrowthPolicy, JoinHandle as TaskHandle, SubmitError, Worker,
};

use crate::report::{boxed_in_current_span, call_hook, default_panic_hook, default_spawn_error_hook, in_current_span};
use crate::{Scope, SpawnError, StdClock, StdSignal, StdThreadFactory};

/// The Team inside a [`Pool`]: thread workers sleeping on [`StdSignal`]s, coordinated
/// under the caller's lock ([`StdLock`](threadteam_core::port::StdLock)). Name it as
/// `Arc<StdTeam>`; it is what [`pool()`] returns and what [`Pool::team`] shares.
///
/// ```
/// use std::sync::Arc;
/// use threadteam::{pool, StdTeam, StdThreadFactory, Worker};
///
/// struct Service {
///     team: Arc<StdTeam>,
/// }
/// let service = Service { team: pool(|| 2, StdThreadFactory::new()) };
/// service.team.submit(Box::new(|| println!("on a pool thread"))).unwrap();
/// service.team.quit().unwrap();
/// ```
pub type StdTeam = ThreadTeam<StdSignal>;

type PanicHook = Box<dyn Fn(&Failure) + Send + Sync>;
type SpawnErrorHook = Box<dyn Fn(&SpawnError) + Send + Sync>;
type Spawn = Box<dyn Fn(BoxedWork) -> Result<JoinHandle<()>, SpawnError> + Send + Sync>;
type Limit = Box<dyn FnMut() -> usize + Send>;

/// A pool of OS threads that grows when work waits and shrinks when threads idle, with no
/// start step: build it and submit.
///
/// By default it follows [`GrowthPolicy`]'s adaptive defaults, with `burst` at the available
/// parallelism: threads are created at once up to `burst` when work arrives and none is
/// idle; beyond that, while work waits, one more per growth interval (500 ms); a thread idle
/// for the keep-alive (10 s) exits; there is no hard cap, so work that waits for other work
/// in the same pool cannot deadlock it (Twisted #5298), and an idle pool costs no CPU (its
/// timer thread sleeps without a timeout when nothing can age out). A hard cap, a minimum
/// and a limit function are one [`PoolBuilder`] call away.
///
/// - A panic in work is caught, counted ([`PoolStatistics::panics`]) and reported to the
///   panic hook (by default [`default_panic_hook`]); the thread keeps serving.
/// - A thread the OS refuses is counted and reported to the spawn-error hook; its work stays
///   queued and runs on the threads that exist, or when creation is retried.
/// - [`shutdown`](Pool::shutdown) lets the backlog drain, joins every thread and hands back
///   what could not run; dropping the pool does the same, dropping that work. Work submitted
///   after shutdown began is refused and handed back.
///
/// ```
/// use threadteam::Pool;
///
/// let pool = Pool::new();
/// let answer = pool.spawn(|| 6 * 7).unwrap();
/// assert_eq!(answer.join().unwrap(), 42);
/// let mut squares = vec![0; 8];
/// pool.scope(|s| {
///     for (i, square) in squares.iter_mut().enumerate() {
///         s.spawn(move || *square = i * i);
///     }
/// });
/// assert_eq!(squares[7], 49);
/// ```
pub struct Pool {
    team: Arc<StdTeam>,
    threads: Arc<Threads>,
    /// Serialises the joining part of `shutdown`, so every `shutdown` returns after the
    /// threads are gone, not just the first.
    stopping: Mutex<()>,
}

/// What the pool, its thread factory and its threads share. It never refers to the Team,
/// so the Team (which owns the factory) holds no cycle.
struct Threads {
    /// Join handles of threads that may still be running. Threads known to have returned
    /// are pruned at each spawn, so a long-lived pool does not grow this without bound
    /// (Twisted #8114).
    handles: Mutex<Vec<JoinHandle<()>>>,
    /// Spawns under way: a thread may exist (and its work have run) before its handle is
    /// recorded, so `shutdown` waits for these as well as for the recorded handles.
    spawning: AtomicUsize,
    running: AtomicUsize,
    started: AtomicU64,
    spawn_failures: AtomicU64,
    /// Panics delivered to a callback (see `ThreadPool`) instead of the hook.
    callback_panics: AtomicU64,
    spawn: Spawn,
    on_spawn_error: SpawnErrorHook,
}

thread_local! {
    /// The pool (the address of its `Threads`) whose thread this is; 0 for other threads.
    /// `const` and without a destructor, so `with` works even while the thread's
    /// thread-locals are destroyed (a thread-local's destructor that drops or stops a pool;
    /// `tests/tls_destructor_submit.rs`). A thread-local with a destructor would need
    /// `try_with` there, as the core's thread token uses.
    static OWNER: Cell<usize> = const { Cell::new(0) };
    /// The pool (the address of its `Threads`) whose thread factory, spawn-error hook or
    /// limit function this thread is running; 0 when none.
    static IN_CALLBACK: Cell<usize> = const { Cell::new(0) };
}

impl Threads {
    fn id(self: &Arc<Self>) -> usize {
        Arc::as_ptr(self) as usize
    }

    /// Whether the calling thread is one of this pool's: it must never wait for the pool's
    /// threads, itself among them.
    fn is_own_thread(self: &Arc<Self>) -> bool {
        OWNER.with(Cell::get) == self.id()
    }

    /// Whether the calling thread is running this pool's thread factory, spawn-error hook or
    /// limit function: until that call returns, the work meant for the thread being started
    /// is in neither the backlog nor a running thread (or, for the limit, the Team's pass is
    /// under way on this thread), so nothing there may wait for the pool.
    fn in_callback(self: &Arc<Self>) -> bool {
        IN_CALLBACK.with(Cell::get) == self.id()
    }

    /// Runs `f` (the user's factory, spawn-error hook or limit function), marking this
    /// thread as inside it.
    fn run_callback<R>(self: &Arc<Self>, f: impl FnOnce() -> R) -> R {
        /// Unmarks the thread however `f` ends (the factory's panic is caught further out).
        struct Unmark(usize);
        impl Drop for Unmark {
            fn drop(&mut self) {
                IN_CALLBACK.with(|inside| inside.set(self.0));
            }
        }
        let _unmark = Unmark(IN_CALLBACK.with(|inside| inside.replace(self.id())));
        f()
    }

    /// Reports a refused spawn to the hook, marking this thread as inside it meanwhile.
    fn report_spawn_error(self: &Arc<Self>, error: &SpawnError) {
        self.spawn_failures.fetch_add(1, Ordering::AcqRel);
        self.run_callback(|| call_hook(&*self.on_spawn_error, error));
    }

    fn handles(&self) -> MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.handles.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Counts a pool thread as running until its main function returns.
struct Running(Arc<Threads>);

impl Drop for Running {
    fn drop(&mut self) {
        let _running = self.0.running.fetch_sub(1, Ordering::AcqRel) - 1;
        #[cfg(feature = "tracing")]
        tracing::debug!(target: "threadteam", threads_running = _running, "thread exits");
    }
}

/// The factory the Team starts its threads through (workers and the timer): it marks,
/// counts and records the pool's threads, and reports refusals.
struct Tracking(Arc<Threads>);

impl ThreadFactory for Tracking {
    type Thread = ();
    type Error = SpawnError;

    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<(), SpawnError> {
        let threads = &self.0;
        if threads.in_callback() {
            // The factory or the spawn-error hook submitted work or resized: starting
            // threads from inside it could recurse (the factory runs again, a refusal calls
            // the hook again). The work waits for the next event.
            threads.spawn_failures.fetch_add(1, Ordering::AcqRel);
            let error = std::io::Error::other(
                "threadteam: no thread is started from inside the pool's thread factory, spawn-error hook or limit function",
            );
            return Err(SpawnError(error));
        }
        // Counted before the thread can run, so its `Running` guard never underflows.
        threads.running.fetch_add(1, Ordering::AcqRel);
        let running = Running(Arc::clone(threads));
        let id = threads.id();
        let body: BoxedWork = Box::new(move || {
            OWNER.with(|owner| owner.set(id));
            let _running = running;
            main();
        });
        // Counted until the handle is recorded, so `shutdown` cannot miss the thread: its
        // work may run, and the Team finish, before the spawn returns here (the Team starts
        // threads after its coordinator pass, not under it). No lock is held across the
        // spawn: the factory is user code, which may call into the pool.
        threads.spawning.fetch_add(1, Ordering::AcqRel);
        // A factory must return an error, but one that panics must not unwind through the
        // pool: its panic (already printed by the panic hook) is reported as a refusal, and
        // its payload dropped where a panicking `Drop` cannot escape either.
        let spawned =
            threadteam_core::unwind::catch(|| threads.run_callback(|| (threads.spawn)(body))).unwrap_or_else(|panic| {
                let message = format!("the thread factory panicked: {}", crate::report::panic_message(&*panic));
                threadteam_core::unwind::discard(panic);
                Err(SpawnError(std::io::Error::other(message)))
            });
        let result = match spawned {
            Ok(handle) => {
                threads.started.fetch_add(1, Ordering::AcqRel);
                #[cfg(feature = "tracing")]
                tracing::debug!(
                    target: "threadteam",
                    thread = handle.thread().name().unwrap_or("<unnamed>"),
                    threads_running = threads.running.load(Ordering::Acquire),
                    "thread started"
                );
                // Threads that have returned need no join; dropping their handles frees
                // them. Joining here would wait, with this lock held, for their
                // thread-local destructors, which may want it (or the Team).
                let mut handles = threads.handles();
                handles.retain(|thread| !thread.is_finished());
                handles.push(handle);
                Ok(())
            }
            Err(error) => Err(error),
        };
        // After the handle is recorded: `shutdown` reads this before it takes the handles.
        threads.spawning.fetch_sub(1, Ordering::AcqRel);
        if let Err(error) = &result {
            // `body` (with its `Running` guard) was dropped unrun: the count is undone.
            threads.report_spawn_error(error);
        }
        result
    }
}

impl Pool {
    /// A pool with the defaults of [`PoolBuilder::new`]: adaptive, no hard cap, threads
    /// named `threadteam-N`.
    ///
    /// ```
    /// use threadteam::Pool;
    ///
    /// let pool = Pool::new();
    /// pool.execute(|| println!("hello from a pool thread")).unwrap();
    /// pool.join(); // the work runs, then the threads return
    /// ```
    ///
    /// # Panics
    /// If the OS refuses the pool's timer thread, as [`std::thread::spawn`] panics; use
    /// [`Pool::builder`] and [`PoolBuilder::build`] to get the error instead.
    pub fn new() -> Self {
        Self::builder().build().unwrap_or_else(|e| panic!("threadteam: could not start the pool: {e}"))
    }

    /// A builder: sizes, policy, thread names and stack size, hooks (see [`PoolBuilder`]).
    ///
    /// ```
    /// use threadteam::Pool;
    ///
    /// let pool = Pool::builder().capped(4).name("cpu").build().unwrap();
    /// assert_eq!(pool.policy().max, Some(4));
    /// ```
    pub fn builder() -> PoolBuilder {
        PoolBuilder::new()
    }

    /// Runs `f` on a pool thread. A panic in `f` is caught, counted and reported to the
    /// panic hook; the thread keeps serving. With the `tracing` feature, `f` runs inside the
    /// span that is current here.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use threadteam::Pool;
    ///
    /// let pool = Pool::new();
    /// let (tx, rx) = mpsc::channel();
    /// pool.execute(move || tx.send(6 * 7).unwrap()).unwrap();
    /// assert_eq!(rx.recv().unwrap(), 42);
    /// ```
    ///
    /// # Errors
    /// [`SubmitError::AlreadyQuit`] after [`quit`](Worker::quit) or shutdown, carrying the
    /// work (boxed): it will not run unless you run it.
    pub fn execute<F>(&self, f: F) -> Result<(), SubmitError<BoxedWork>>
    where
        F: FnOnce() + Send + 'static,
    {
        self.team.submit(in_current_span(f))
    }

    /// Runs `f` on a pool thread and returns a handle to its result: a
    /// [`Future`](core::future::Future) that any executor can await, or
    /// [`join`](threadteam_core::JoinHandle::join) it. Cancel it while it waits for a thread;
    /// dropping it detaches. A panic in `f` goes to the handle. See
    /// [`JoinHandle`](threadteam_core::JoinHandle). With the `tracing` feature, `f` runs
    /// inside the span that is current here.
    ///
    /// ```
    /// use threadteam::Pool;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// let pool = Pool::new();
    /// let answer = pool.spawn(|| 6 * 7)?;
    /// assert_eq!(answer.join()?, 42); // or `answer.await` in async code
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`SubmitError::AlreadyQuit`] after quit, carrying `f`, unrun.
    pub fn spawn<F, T>(&self, f: F) -> Result<TaskHandle<T>, SubmitError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.team.spawn(f)
    }

    /// Runs `f` with a [`Scope`] whose work may borrow from the caller, on this pool's
    /// threads: see [`scope`](crate::scope).
    ///
    /// ```
    /// use threadteam::Pool;
    ///
    /// let pool = Pool::new();
    /// let mut halves = [10, 20, 30];
    /// pool.scope(|s| {
    ///     for half in halves.iter_mut() {
    ///         s.spawn(move || *half /= 2);
    ///     }
    /// });
    /// assert_eq!(halves, [5, 10, 15]);
    /// ```
    ///
    /// # Panics
    /// As [`scope`](crate::scope): a panic in `f`, or an unjoined one in scoped work, is
    /// resumed once all scoped work has finished. Called from inside the pool's thread
    /// factory, spawn-error hook or limit function, which hold the pool up while they run, it
    /// panics at once instead of waiting for ever.
    pub fn scope<'env, F, R>(&'env self, f: F) -> R
    where
        F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> R,
    {
        assert!(
            !self.threads.in_callback(),
            "threadteam: scope called from inside the pool's thread factory, spawn-error hook or limit \
             function: it would wait for work that cannot be served until that call returns (none of \
             them may wait for the pool)"
        );
        crate::scope(&*self.team, f)
    }

    /// The policy the pool is sized by: its current `min`, `max` (if any), `burst`, growth
    /// interval and keep-alive.
    ///
    /// ```
    /// use threadteam::Pool;
    ///
    /// let pool = Pool::builder().min(1).max(8).build().unwrap();
    /// let policy = pool.policy();
    /// assert_eq!((policy.min, policy.max), (1, Some(8)));
    /// ```
    pub fn policy(&self) -> GrowthPolicy {
        self.team.policy()
    }

    /// Resizes the pool by a new policy: threads above the new `max` retire (idle ones now,
    /// busy ones when they finish), waiting work is served under the new limits, threads
    /// are started up to the new `min`, idle ones beyond it age out by the new keep-alive.
    /// With the `tracing` feature, the new sizes are an info event.
    ///
    /// ```
    /// use threadteam::{GrowthPolicy, Pool};
    ///
    /// let pool = Pool::new();
    /// pool.set_policy(GrowthPolicy::capped(2).min(1)).unwrap();
    /// assert_eq!(pool.statistics().workers(), 1); // `min` is started at once
    /// ```
    ///
    /// # Errors
    /// [`AlreadyQuit`] after quit.
    ///
    /// # Panics
    /// If the policy paces growth or ages threads out and the pool was built without
    /// (a policy that needed) a clock: see [`Team::set_policy`](threadteam_core::team::Team::set_policy).
    pub fn set_policy(&self, policy: GrowthPolicy) -> Result<(), AlreadyQuit> {
        self.team.set_policy(policy)?;
        #[cfg(feature = "tracing")]
        tracing::info!(
            target: "threadteam",
            min = policy.min,
            max = policy.max,
            burst = policy.burst,
            "pool resized"
        );
        Ok(())
    }

    /// The Team, shared: to submit from inside work, or to [`grow`](threadteam_core::team::Team::grow),
    /// [`shrink`](threadteam_core::team::Team::shrink) or [`pump`](threadteam_core::team::Team::pump) it.
    ///
    /// ```
    /// use threadteam::Pool;
    ///
    /// let pool = Pool::builder().capped(4).build().unwrap();
    /// pool.team().grow(2).unwrap(); // two threads now, before any work
    /// assert_eq!(pool.statistics().idle_workers, 2);
    /// ```
    pub fn team(&self) -> &Arc<StdTeam> {
        &self.team
    }

    /// Stops the pool and waits for it: refuses new work, lets the backlog drain on the
    /// pool's threads, then joins every thread the pool created. Returns the work that could
    /// not run because no thread could be started for it (Twisted silently drops it).
    /// Calling it again returns an empty `Vec` once the threads are gone.
    ///
    /// ```
    /// use threadteam::Pool;
    ///
    /// let pool = Pool::new();
    /// pool.execute(|| ()).unwrap();
    /// let unrun = pool.shutdown();
    /// assert!(unrun.is_empty()); // every item ran
    /// assert!(pool.execute(|| ()).unwrap_err().is_already_quit());
    /// ```
    ///
    /// Called from one of the pool's own threads (from work), it cannot wait for that
    /// thread, which would be waiting for itself; nor from the pool's thread factory,
    /// spawn-error hook or limit function, which hold up the pool while they run. There it only
    /// begins the shutdown (new work is refused, the backlog still drains) and returns an
    /// empty `Vec` at once.
    #[must_use = "the work that could not run is handed back; drop it to discard it"]
    pub fn shutdown(&self) -> Vec<BoxedWork> {
        let _first = self.team.quit().is_ok();
        #[cfg(feature = "tracing")]
        if _first {
            tracing::info!(target: "threadteam", "pool shutting down");
        }
        if self.threads.is_own_thread() || self.threads.in_callback() {
            return Vec::new();
        }
        let _stopping = self.stopping.lock().unwrap_or_else(PoisonError::into_inner);
        // Threads started while we join (the backlog may still call for new ones) are
        // recorded by the time their start returns. A thread whose start is still pending
        // has a busy worker, so the Team has not finished: wait for it to be recorded. Once
        // the Team has finished nothing can start another thread, and the ones it had are
        // recorded (its finishing needed their work to have run).
        loop {
            let finished = self.team.is_finished();
            // Read before the handles: a spawn that ended since has recorded its handle.
            let spawning = self.threads.spawning.load(Ordering::Acquire);
            let batch = mem::take(&mut *self.threads.handles());
            if batch.is_empty() {
                if finished && spawning == 0 {
                    break;
                }
                std::thread::yield_now();
                continue;
            }
            for thread in batch {
                // A pool thread's main never panics: work panics are caught around it.
                let _ = thread.join();
            }
        }
        let mut unrun = Vec::new();
        while let Some(work) = self.team.reclaim() {
            unrun.push(work);
        }
        unrun
    }

    /// Shuts the pool down and waits: returns once every accepted item has run and every
    /// thread has returned (see [`shutdown`](Pool::shutdown)); work that could not run at
    /// all is dropped.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use threadteam::Pool;
    ///
    /// let pool = Pool::new();
    /// let done = Arc::new(AtomicUsize::new(0));
    /// for _ in 0..10 {
    ///     let done = Arc::clone(&done);
    ///     pool.execute(move || { done.fetch_add(1, Ordering::Relaxed); }).unwrap();
    /// }
    /// pool.join();
    /// assert_eq!(done.load(Ordering::Relaxed), 10);
    /// ```
    pub fn join(self) {
        drop(self.shutdown());
    }

    /// Whether the pool has quit: shutdown has begun.
    pub fn is_quit(&self) -> bool {
        self.team.is_quit()
    }

    /// The pool's counts: workers, backlog, threads, panics, sizes. Exact when the pool is
    /// quiescent; while work moves, each count is a value it really had.
    ///
    /// ```
    /// use threadteam::Pool;
    ///
    /// let pool = Pool::builder().min(2).build().unwrap();
    /// let s = pool.statistics();
    /// assert_eq!((s.workers(), s.busy_workers, s.panics), (2, 0, 0));
    /// println!("{s}"); // idle 2 · busy 0 · backlog 0 · threads 3
    /// ```
    pub fn statistics(&self) -> PoolStatistics {
        let team = self.team.statistics();
        let threads = &*self.threads;
        let policy = self.team.policy();
        PoolStatistics {
            idle_workers: team.idle_workers,
            busy_workers: team.busy_workers,
            backlogged: team.backlogged,
            shrink_debt: team.shrink_debt,
            threads_running: threads.running.load(Ordering::Acquire),
            threads_started: threads.started.load(Ordering::Acquire),
            workers_created: team.workers_created,
            workers_retired: team.workers_retired,
            high_water: team.high_water,
            panics: team.failures + threads.callback_panics.load(Ordering::Acquire),
            spawn_failures: threads.spawn_failures.load(Ordering::Acquire),
            oldest_backlog_age: team.oldest_backlog_age,
            min: policy.min,
            max: policy.max,
        }
    }

    /// A counter a callback can bump from a pool thread (see `ThreadPool`).
    pub(crate) fn callback_panics(&self) -> CallbackPanics {
        CallbackPanics(Arc::clone(&self.threads))
    }
}

/// Counts panics delivered to callbacks, from any thread.
pub(crate) struct CallbackPanics(Arc<Threads>);

impl CallbackPanics {
    pub(crate) fn count(&self) {
        self.0.callback_panics.fetch_add(1, Ordering::AcqRel);
    }
}

impl Default for Pool {
    fn default() -> Self {
        Self::new()
    }
}

impl Worker<BoxedWork> for Pool {
    /// Hands boxed work to the pool (see [`execute`](Pool::execute) for closures).
    ///
    /// # Errors
    /// [`SubmitError::AlreadyQuit`] after quit, carrying the work.
    fn submit(&self, work: BoxedWork) -> Result<(), SubmitError<BoxedWork>> {
        self.team.submit(boxed_in_current_span(work))
    }

    /// Begins the shutdown without waiting: new work is refused, accepted work still runs,
    /// then the threads return. [`shutdown`](Pool::shutdown) waits for that.
    ///
    /// # Errors
    /// [`AlreadyQuit`] on the second call.
    fn quit(&self) -> Result<(), AlreadyQuit> {
        self.team.quit()
    }
}

impl Drop for Pool {
    /// Shuts the pool down (see [`Pool::shutdown`]): drains the backlog and joins every
    /// thread, dropping work that could not run. Dropped on one of its own threads, it only
    /// begins the shutdown; the threads return on their own.
    fn drop(&mut self) {
        drop(self.shutdown());
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool").field("statistics", &self.statistics()).finish_non_exhaustive()
    }
}

/// A snapshot of a [`Pool`]'s (or [`ThreadPool`](crate::ThreadPool)'s) counts.
///
/// `Display` gives the one-line summary `idle 2 · busy 6 · backlog 10 · threads 8`.
///
/// ```
/// use threadteam::ThreadPool;
///
/// let pool = ThreadPool::new(2, 4);
/// pool.start().unwrap();
/// let s = pool.statistics();
/// assert_eq!((s.idle_workers, s.busy_workers, s.backlogged, s.min, s.max), (2, 0, 0, 2, Some(4)));
/// assert_eq!(s.to_string(), format!("idle 2 · busy 0 · backlog 0 · threads {}", s.threads_running));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PoolStatistics {
    /// Workers alive and waiting for work (Twisted's `waiters`).
    pub idle_workers: usize,
    /// Workers running work (Twisted's `working`).
    pub busy_workers: usize,
    /// Work waiting for a worker (Twisted's `q.qsize()`).
    pub backlogged: usize,
    /// Busy workers that will retire when they next become idle.
    pub shrink_debt: usize,
    /// OS threads started and not yet returned (workers, the timer, and retired workers'
    /// threads still finishing their last item).
    pub threads_running: usize,
    /// OS threads started so far.
    pub threads_started: u64,
    /// Workers created so far (each a thread, unless its thread could not start).
    pub workers_created: u64,
    /// Workers retired so far (by resizing, idling out or stopping).
    pub workers_retired: u64,
    /// The most workers alive at once.
    pub high_water: usize,
    /// Panics caught in work so far: those reported to the panic hook, and those delivered
    /// to a callback.
    pub panics: u64,
    /// Threads the factory could not start so far.
    pub spawn_failures: u64,
    /// How long the oldest backlogged item has waited (a lower bound while work takes the
    /// fast lane); `None` when nothing waits.
    pub oldest_backlog_age: Option<Duration>,
    /// The minimum size.
    pub min: usize,
    /// The maximum size, if any.
    pub max: Option<usize>,
}

impl PoolStatistics {
    /// Idle plus busy workers (Twisted's `workers`).
    pub fn workers(&self) -> usize {
        self.idle_workers + self.busy_workers
    }
}

impl fmt::Display for PoolStatistics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "idle {} · busy {} · backlog {} · threads {}",
            self.idle_workers, self.busy_workers, self.backlogged, self.threads_running
        )
    }
}

/// Configures a [`Pool`]: how it is sized, its threads' names and stack size (or a whole
/// thread factory), and who hears about panics and refused spawns.
///
/// ```
/// use std::time::Duration;
/// use threadteam::Pool;
///
/// // Adaptive, with a floor and a safety cap.
/// let io = Pool::builder()
///     .min(1)
///     .burst(4)
///     .growth_interval(Duration::from_millis(200))
///     .keep_alive(Some(Duration::from_secs(30)))
///     .max(256)
///     .name("io")
///     .build()
///     .unwrap();
/// assert_eq!(io.statistics().workers(), 1); // min is started at once
///
/// // Hard-capped: up to 4 threads, created at once as work arrives, kept while idle.
/// let cpu = Pool::builder().capped(4).name("cpu").build().unwrap();
/// assert_eq!(cpu.policy().max, Some(4));
/// ```
#[must_use = "a builder does nothing until it is built"]
pub struct PoolBuilder {
    policy: GrowthPolicy,
    threads: StdThreadFactory,
    spawn: Option<Spawn>,
    limit: Option<Limit>,
    on_panic: Option<PanicHook>,
    on_spawn_error: Option<SpawnErrorHook>,
}

impl Default for PoolBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl PoolBuilder {
    /// The defaults of [`GrowthPolicy::new`] (min 0, growth interval 500 ms, keep-alive
    /// 10 s, no max), with `burst` at the available parallelism (1 if unknown); threads
    /// named `threadteam-N`; the default hooks. The same as [`Pool::builder`].
    ///
    /// ```
    /// use threadteam::PoolBuilder;
    ///
    /// let policy = PoolBuilder::new().growth_policy();
    /// assert_eq!((policy.min, policy.max), (0, None));
    /// ```
    pub fn new() -> Self {
        let burst = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Self {
            policy: GrowthPolicy::new().burst(burst),
            threads: StdThreadFactory::new(),
            spawn: None,
            limit: None,
            on_panic: None,
            on_spawn_error: None,
        }
    }

    /// Replaces the whole policy.
    pub fn policy(mut self, policy: GrowthPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// A hard cap of `threads`, created at once as work arrives and kept however long they
    /// idle ([`GrowthPolicy::capped`]); `min` is kept.
    pub fn capped(mut self, threads: usize) -> Self {
        self.policy = GrowthPolicy::capped(threads).min(self.policy.min);
        self
    }

    /// Threads kept however long they idle ([`GrowthPolicy::min`]); started at once.
    pub fn min(mut self, threads: usize) -> Self {
        self.policy = self.policy.min(threads);
        self
    }

    /// The most threads alive at once ([`GrowthPolicy::max`]).
    pub fn max(mut self, threads: usize) -> Self {
        self.policy = self.policy.max(Some(threads));
        self
    }

    /// Threads created at once when work arrives and none is idle ([`GrowthPolicy::burst`]).
    pub fn burst(mut self, threads: usize) -> Self {
        self.policy = self.policy.burst(threads);
        self
    }

    /// Beyond `burst`, at most one new thread per `interval` while work waits
    /// ([`GrowthPolicy::growth_interval`]).
    pub fn growth_interval(mut self, interval: Duration) -> Self {
        self.policy = self.policy.growth_interval(interval);
        self
    }

    /// How long a thread above `min` may idle before it exits; `None`: forever
    /// ([`GrowthPolicy::keep_alive`]).
    pub fn keep_alive(mut self, keep_alive: Option<Duration>) -> Self {
        self.policy = self.policy.keep_alive(keep_alive);
        self
    }

    /// Caps the live threads by `limit()`, re-read at every attempt to create one, so the
    /// cap can change at any time (Twisted's `pool(currentLimit, ...)`). It runs inside the
    /// Team's coordinator pass, so it must not wait for the pool: a
    /// [`shutdown`](Pool::shutdown) from it only begins the shutdown, and a
    /// [`scope`](Pool::scope) from it panics; work it submits runs after the pass.
    pub fn limit(mut self, limit: impl FnMut() -> usize + Send + 'static) -> Self {
        self.limit = Some(Box::new(limit));
        self
    }

    /// Names threads `{prefix}-N`, N counting from 1 and never repeating within the pool
    /// (its timer thread, if it has one, is the first). Ignored with
    /// [`thread_factory`](Self::thread_factory).
    pub fn name(mut self, prefix: impl Into<String>) -> Self {
        self.threads = self.threads.name_prefix(prefix);
        self
    }

    /// Gives each thread a stack of `bytes`. Ignored with
    /// [`thread_factory`](Self::thread_factory).
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.threads = self.threads.stack_size(bytes);
        self
    }

    /// Starts the pool's threads through `factory` instead of a [`StdThreadFactory`] (for
    /// instance to set thread priorities, or to inject spawn failures in tests).
    pub fn thread_factory<F>(mut self, factory: F) -> Self
    where
        F: ThreadFactory<Thread = JoinHandle<()>, Error = SpawnError> + Send + Sync + 'static,
    {
        self.spawn = Some(Box::new(move |main| factory.start(main)));
        self
    }

    /// Reports each panic caught in work to `hook`, on the thread the work ran on, instead
    /// of [`default_panic_hook`]. If the hook panics, that panic is caught and the pool
    /// carries on.
    pub fn on_panic(mut self, hook: impl Fn(&Failure) + Send + Sync + 'static) -> Self {
        self.on_panic = Some(Box::new(hook));
        self
    }

    /// Reports each thread the factory could not start to `hook`, instead of
    /// [`default_spawn_error_hook`]. The hook runs on the thread whose call asked for the
    /// new thread (a submit, a worker's hand-back, a resize, the timer), after that call's
    /// pass through the pool's coordinator and before the work meant for the thread goes
    /// back to the backlog: it must not wait for the pool ([`Pool::shutdown`]), which would
    /// wait for that work. If it panics, that panic is caught.
    pub fn on_spawn_error(mut self, hook: impl Fn(&SpawnError) + Send + Sync + 'static) -> Self {
        self.on_spawn_error = Some(Box::new(hook));
        self
    }

    /// The policy as configured so far.
    pub fn growth_policy(&self) -> GrowthPolicy {
        self.policy
    }

    /// Starts the pool: its timer thread (if the policy paces growth or ages threads out),
    /// then its `min` threads.
    ///
    /// ```
    /// use threadteam::Pool;
    ///
    /// # fn main() -> Result<(), threadteam::SpawnError> {
    /// let pool = Pool::builder().min(1).name("io").build()?;
    /// assert_eq!(pool.statistics().workers(), 1);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`SpawnError`] if the timer thread cannot be started, or if the [`name`](Self::name)
    /// has a NUL byte (no thread could have it; `ErrorKind::InvalidInput`). Worker threads
    /// that cannot be started are not an error: their work waits and the pool retries.
    ///
    /// # Panics
    /// If the `max` is 0: such a pool could never run anything.
    pub fn build(self) -> Result<Pool, SpawnError> {
        if self.spawn.is_none() {
            // Every thread would be refused: say so now.
            crate::factory::check_name(self.threads.prefix())?;
        }
        self.build_unchecked()
    }

    /// [`build`](Self::build) without checking the name up front: a `ThreadPool`, whose
    /// build cannot fail, reports such a name at each spawn instead.
    pub(crate) fn build_unchecked(self) -> Result<Pool, SpawnError> {
        assert_ne!(self.policy.max, Some(0), "threadteam: a pool with a maximum of 0 threads could never run work");
        let spawn = self.spawn.unwrap_or_else(|| {
            let threads = self.threads;
            Box::new(move |main| threads.start(main))
        });
        let threads = Arc::new(Threads {
            handles: Mutex::new(Vec::new()),
            spawning: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            started: AtomicU64::new(0),
            spawn_failures: AtomicU64::new(0),
            callback_panics: AtomicU64::new(0),
            spawn,
            on_spawn_error: self.on_spawn_error.unwrap_or_else(|| Box::new(|error| default_spawn_error_hook(error))),
        });
        let on_panic: PanicHook = self.on_panic.unwrap_or_else(|| Box::new(default_panic_hook));
        let mut team = ThreadTeamBuilder::new(Tracking(Arc::clone(&threads))).policy(self.policy).on_failure(on_panic);
        if self.policy.needs_clock() {
            team = team.clock(StdClock::new());
        }
        if let Some(mut limit) = self.limit {
            // The limit runs inside the Team's pass: marked, so that a shutdown or scope
            // from it does not wait for that very pass.
            let threads = Arc::clone(&threads);
            team = team.limit(move || threads.run_callback(&mut limit));
        }
        let StartedThreadTeam { team, timer: _ } = team.build()?;
        Ok(Pool { team, threads, stopping: Mutex::new(()) })
    }
}

impl fmt::Debug for PoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("policy", &self.policy)
            .field("threads", &self.threads)
            .field("custom_factory", &self.spawn.is_some())
            .field("limit", &self.limit.is_some())
            .finish_non_exhaustive()
    }
}

/// A Team of OS threads started through `factory`, never more than `limit()` alive at once
/// (Twisted's `pool(currentLimit, threadFactory)`), with the std defaults:
///
/// - `limit` is called at every attempt to create a worker, so the cap can change at any
///   time; after raising it, call [`Team::pump`](threadteam_core::team::Team::pump) to serve
///   waiting work at once;
/// - threads start lazily: on demand, or by [`Team::grow`](threadteam_core::team::Team::grow);
/// - a panic in work is caught, the thread keeps serving, and the panic is counted in
///   [`Statistics::failures`](threadteam_core::team::Statistics::failures) and reported by
///   [`default_panic_hook`];
/// - a thread the factory cannot start is reported by [`default_spawn_error_hook`]; the
///   work stays in the backlog, and creation is tried again at the next event.
///
/// [`Worker::quit`] lets the backlog drain, then the threads return; nothing joins them
/// (use a [`Pool`], which does, for that).
///
/// ```
/// use threadteam::Worker;
/// use threadteam::{pool, StdThreadFactory};
/// use std::sync::mpsc;
///
/// let team = pool(|| 4, StdThreadFactory::new().name_prefix("doc"));
/// let (tx, rx) = mpsc::channel();
/// for i in 0..8 {
///     let tx = tx.clone();
///     team.submit(Box::new(move || tx.send(i * i).unwrap())).unwrap();
/// }
/// let mut squares: Vec<i32> = rx.iter().take(8).collect();
/// squares.sort();
/// assert_eq!(squares, [0, 1, 4, 9, 16, 25, 36, 49]);
/// assert!(team.statistics().workers() <= 4);
/// team.quit().unwrap();
/// ```
pub fn pool<F>(limit: impl FnMut() -> usize + Send + 'static, factory: F) -> Arc<StdTeam>
where
    F: ThreadFactory + Send + Sync + 'static,
{
    threadteam_core::team::pool(limit, ReportSpawnErrors(factory), default_panic_hook)
}

/// Passes a factory's refusals to [`default_spawn_error_hook`] on their way to the Team
/// (which only learns "no worker now").
struct ReportSpawnErrors<F>(F);

impl<F: ThreadFactory> ThreadFactory for ReportSpawnErrors<F> {
    type Thread = F::Thread;
    type Error = F::Error;

    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<F::Thread, F::Error> {
        self.0.start(main).inspect_err(|error| default_spawn_error_hook(error))
    }
}

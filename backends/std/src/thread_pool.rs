//! [`ThreadPool`]: Twisted's `twisted.python.threadpool.ThreadPool`, over a [`pool()`](crate::pool)
//! Team.
//!
//! | ThreadPool | Team |
//! |---|---|
//! | the limit | `max` once started, `0` before (work waits in the backlog) |
//! | [`start`](ThreadPool::start) | grow to `min`, then serve the backlog (up to `max`) |
//! | [`call_in_thread`](ThreadPool::call_in_thread) | `submit` |
//! | [`adjust_pool_size`](ThreadPool::adjust_pool_size) | `shrink(workers - max)` and/or `grow(min - workers)`, then serve the backlog |
//! | [`stop`](ThreadPool::stop) | `quit`, join every thread, reclaim what could not run |

use core::cell::Cell;
use core::fmt;
use core::mem;
use core::panic::AssertUnwindSafe;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::panic;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use threadteam_core::{AlreadyQuit, BoxedWork, Failure, StdLock, SubmitError, ThreadFactory, Worker};

use crate::report::{call_hook, default_panic_hook, default_spawn_error_hook};
use crate::{Scope, SpawnError, StdPool, StdSignal, StdThreadFactory};

type PanicHook = Box<dyn Fn(&Failure) + Send + Sync>;
type SpawnErrorHook = Box<dyn Fn(&SpawnError) + Send + Sync>;
type Spawn = Box<dyn Fn(BoxedWork) -> Result<JoinHandle<()>, SpawnError> + Send + Sync>;

/// A pool of OS threads with a minimum and a maximum size, started and stopped as a whole:
/// the equivalent of Twisted's `twisted.python.threadpool.ThreadPool`, built on a Team.
///
/// - Work submitted before [`start`](Self::start) is held, and runs once the pool starts.
/// - Threads are created on demand, up to `max`; [`start`](Self::start) creates `min` at
///   once. They are named `threadteam-N` (see [`ThreadPoolBuilder::name`]).
/// - [`stop`](Self::stop) lets the backlog drain, joins every thread the pool created, and
///   hands back the work that could not run. A second `stop` does nothing.
/// - Work submitted after `stop` is refused and handed back (Twisted drops it silently).
/// - A panic in work is caught; the thread keeps serving; the panic is counted in
///   [`PoolStatistics::panics`] and reported to the panic hook (by default
///   [`default_panic_hook`]). A panicking hook does not break the pool.
/// - A thread the OS refuses to start is counted and reported to the spawn-error hook (by
///   default [`default_spawn_error_hook`]); the work stays queued and runs on the threads
///   that exist, or, with none alive, creation is retried on the next submit, resize or
///   hand-back. It is never lost: at worst `stop` hands it back.
/// - **Dropping a pool that was not stopped stops it**: the backlog drains and every
///   thread is joined before `drop` returns; work that could not run at all (no thread
///   could ever be started for it) is dropped. Call [`stop`](Self::stop) to get it back.
///
/// The pool can be shared between threads (`&ThreadPool`, `Arc<ThreadPool>`); every method
/// takes `&self`.
///
/// ```
/// use threadteam_std::ThreadPool;
/// use std::sync::mpsc;
///
/// let pool = ThreadPool::new(0, 4);
/// let (tx, rx) = mpsc::channel();
/// pool.call_in_thread_with_callback(move |result| tx.send(result.unwrap()).unwrap(), || 6 * 7).unwrap();
/// pool.start().unwrap(); // the held work runs now
/// assert_eq!(rx.recv().unwrap(), 42);
/// let unrun = pool.stop(); // drains, then joins every thread
/// assert!(unrun.is_empty());
/// assert!(pool.call_in_thread(|| ()).unwrap_err().is_already_quit());
/// ```
pub struct ThreadPool {
    team: Arc<StdPool>,
    shared: Arc<Shared>,
    /// Serialises start and resizing, so two resizes do not both grow from the same count.
    sizing: Mutex<()>,
    /// Serialises the joining part of `stop`, so every `stop` returns after the threads
    /// are gone, not just the first.
    stopping: Mutex<()>,
}

/// What the pool, its limit function, its thread factory and its threads share. It never
/// refers to the Team, so the Team (which owns the limit function) holds no cycle.
struct Shared {
    min: AtomicUsize,
    max: AtomicUsize,
    started: AtomicBool,
    stopped: AtomicBool,
    /// Join handles of threads that may still be running. Threads known to have returned
    /// are pruned at each spawn, so a long-lived pool that resizes often does not grow
    /// this without bound (Twisted #8114).
    threads: Mutex<Vec<JoinHandle<()>>>,
    threads_running: AtomicUsize,
    threads_started: AtomicU64,
    spawn_failures: AtomicU64,
    /// Panics delivered to a `call_in_thread_with_callback` callback instead of the hook.
    callback_panics: AtomicU64,
    spawn: Spawn,
    on_spawn_error: SpawnErrorHook,
}

thread_local! {
    /// The pool (the address of its `Shared`) whose thread this is; 0 for other threads.
    static OWNER: Cell<usize> = const { Cell::new(0) };
}

impl Shared {
    fn id(self: &Arc<Self>) -> usize {
        Arc::as_ptr(self) as usize
    }

    /// Whether the calling thread is one of this pool's: it must never wait for the pool's
    /// threads, itself among them.
    fn is_own_thread(self: &Arc<Self>) -> bool {
        OWNER.with(Cell::get) == self.id()
    }

    fn limit(&self) -> usize {
        if self.started.load(Ordering::Acquire) {
            self.max.load(Ordering::Acquire)
        } else {
            0
        }
    }

    fn threads(&self) -> MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.threads.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Counts a pool thread as running until its main function returns.
struct Running(Arc<Shared>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.threads_running.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The factory the Team starts workers through: it marks, counts and records the pool's
/// threads, and reports refusals.
struct Tracking(Arc<Shared>);

impl ThreadFactory for Tracking {
    type Thread = ();
    type Error = SpawnError;

    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<(), SpawnError> {
        let shared = &self.0;
        // Counted before the thread can run, so its `Running` guard never underflows.
        shared.threads_running.fetch_add(1, Ordering::AcqRel);
        let running = Running(Arc::clone(shared));
        let id = shared.id();
        let body: BoxedWork = Box::new(move || {
            OWNER.with(|owner| owner.set(id));
            let _running = running;
            main();
        });
        // Held across the spawn, so `stop` cannot miss the thread: the thread's work may run,
        // and the Team finish, before the spawn returns here (the Team starts threads after
        // its coordinator pass, not under it).
        let mut threads = shared.threads();
        match (shared.spawn)(body) {
            Ok(handle) => {
                shared.threads_started.fetch_add(1, Ordering::AcqRel);
                // Threads that have returned need no join; dropping their handles frees
                // them. Joining here would wait, with this lock held, for their
                // thread-local destructors, which may want it (or the Team).
                threads.retain(|thread| !thread.is_finished());
                threads.push(handle);
                Ok(())
            }
            Err(error) => {
                drop(threads);
                // `body` (with its `Running` guard) was dropped unrun: the count is undone.
                shared.spawn_failures.fetch_add(1, Ordering::AcqRel);
                call_hook(&*shared.on_spawn_error, &error);
                Err(error)
            }
        }
    }
}

impl ThreadPool {
    /// A stopped-until-[`start`](Self::start)ed pool of at least `min` and at most `max`
    /// threads, with the default names, stack size and hooks (see [`ThreadPool::builder`]).
    ///
    /// # Panics
    /// If `min > max`.
    pub fn new(min: usize, max: usize) -> Self {
        Self::builder().min(min).max(max).build()
    }

    /// A builder for a pool with a chosen name, stack size, thread factory or hooks.
    pub fn builder() -> ThreadPoolBuilder {
        ThreadPoolBuilder::new()
    }

    /// Starts the pool: creates `min` threads, then serves the work submitted so far with
    /// as many threads as it needs, up to `max` (Twisted #8090). Starting a started pool
    /// only re-applies the sizes.
    ///
    /// # Errors
    /// [`AlreadyQuit`] after [`stop`](Self::stop): a pool cannot be restarted.
    pub fn start(&self) -> Result<(), AlreadyQuit> {
        let _sizing = lock(&self.sizing);
        if self.shared.stopped.load(Ordering::Acquire) {
            return Err(AlreadyQuit);
        }
        self.shared.started.store(true, Ordering::Release);
        self.resize();
        Ok(())
    }

    /// Whether [`start`](Self::start) has been called (and [`stop`](Self::stop) has not).
    pub fn is_started(&self) -> bool {
        self.shared.started.load(Ordering::Acquire) && !self.is_stopped()
    }

    /// Whether [`stop`](Self::stop) has been called.
    pub fn is_stopped(&self) -> bool {
        self.shared.stopped.load(Ordering::Acquire)
    }

    /// Runs `f` on a pool thread (after the pool starts, if it has not yet).
    ///
    /// A panic in `f` is caught, counted and reported to the panic hook; the thread keeps
    /// serving.
    ///
    /// # Errors
    /// [`SubmitError::AlreadyQuit`] after [`stop`](Self::stop), carrying the work (boxed):
    /// it will not run unless you run it.
    pub fn call_in_thread<F>(&self, f: F) -> Result<(), SubmitError<BoxedWork>>
    where
        F: FnOnce() + Send + 'static,
    {
        self.team.submit(Box::new(f))
    }

    /// Runs `f` on a pool thread, then, on the same thread, `on_result` with `Ok(value)`,
    /// or `Err(payload)` if `f` panicked. `f` is dropped before `on_result` runs.
    ///
    /// A panic in `f` goes to `on_result`, not to the panic hook; it is still counted in
    /// [`PoolStatistics::panics`]. A panic in `on_result` is caught and reported to the
    /// hook like any panic in work.
    ///
    /// # Errors
    /// [`SubmitError::AlreadyQuit`] after [`stop`](Self::stop), carrying the work (`f` and
    /// `on_result`, boxed together): it will not run unless you run it.
    pub fn call_in_thread_with_callback<R, F, C>(&self, on_result: C, f: F) -> Result<(), SubmitError<BoxedWork>>
    where
        F: FnOnce() -> R + Send + 'static,
        C: FnOnce(std::thread::Result<R>) + Send + 'static,
    {
        let shared = Arc::clone(&self.shared);
        self.team.submit(Box::new(move || {
            let result = panic::catch_unwind(AssertUnwindSafe(f));
            if result.is_err() {
                shared.callback_panics.fetch_add(1, Ordering::AcqRel);
            }
            drop(shared);
            on_result(result);
        }))
    }

    /// Runs `f` on a pool thread and returns a handle to its result: a [`Future`] that any
    /// executor can await, or [`join`](threadteam_core::JoinHandle::join) it. Cancel it while it waits for a
    /// thread; dropping it detaches. See [`threadteam_core::task`].
    ///
    /// A panic in `f` goes to the handle, not to the panic hook, and is not counted in
    /// [`PoolStatistics::panics`], unless the handle was dropped first.
    ///
    /// ```
    /// use threadteam_std::ThreadPool;
    ///
    /// let pool = ThreadPool::new(1, 2);
    /// pool.start().unwrap();
    /// let handle = pool.spawn(|| 6 * 7).unwrap();
    /// assert_eq!(handle.join().unwrap(), 42);
    /// pool.stop();
    /// ```
    ///
    /// [`Future`]: core::future::Future
    ///
    /// # Errors
    /// [`SubmitError::AlreadyQuit`] after [`stop`](Self::stop), carrying `f`, unrun.
    pub fn spawn<F, T>(&self, f: F) -> Result<threadteam_core::JoinHandle<T>, SubmitError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.team.spawn(f)
    }

    /// Runs `f` with a [`Scope`] whose work may borrow from the caller, on this pool's
    /// threads: see [`scope`](crate::scope). Before [`start`](Self::start), scoped work
    /// waits (and so does this call) until another thread starts the pool.
    ///
    /// # Panics
    /// As [`scope`](crate::scope): a panic in `f`, or an unjoined one in scoped work, is
    /// resumed once all scoped work has finished.
    pub fn scope<'env, F, R>(&'env self, f: F) -> R
    where
        F: for<'scope> FnOnce(&'scope Scope<'scope, 'env, StdPool>) -> R,
    {
        crate::scope(&*self.team, f)
    }

    /// Sets the sizes. If the pool is started, it grows to `min` threads now, and retires
    /// threads above `max`: idle ones at once, busy ones when they finish their work and
    /// the backlog is empty. A raised `max` serves waiting work at once. Before
    /// [`start`](Self::start) or after [`stop`](Self::stop) it only records the sizes
    /// (Twisted #7011).
    ///
    /// # Panics
    /// If `min > max`.
    pub fn adjust_pool_size(&self, min: usize, max: usize) {
        assert!(min <= max, "threadteam: the minimum pool size ({min}) is greater than the maximum ({max})");
        let _sizing = lock(&self.sizing);
        self.shared.min.store(min, Ordering::Release);
        self.shared.max.store(max, Ordering::Release);
        if self.is_started() {
            self.resize();
        }
    }

    /// Brings the number of workers between `min` and `max`, serving the backlog.
    /// Errors mean a concurrent `stop` quit the Team: nothing more to do.
    fn resize(&self) {
        let min = self.shared.min.load(Ordering::Acquire);
        let max = self.shared.max.load(Ordering::Acquire);
        // Busy workers already doomed by shrink debt do not count as staying.
        let staying = |s: threadteam_core::Statistics| s.workers() - s.shrink_debt;
        let now = staying(self.team.statistics());
        if now > max {
            let _ = self.team.shrink(Some(now - max));
        }
        // The backlog first: the workers made for it count towards `min`. (A grow first
        // would make `min` workers and then more for the backlog: with `min` 3 and 5
        // waiting items, 7 threads where Twisted starts 5.)
        let _ = self.team.pump();
        let now = staying(self.team.statistics());
        if now < min {
            let _ = self.team.grow(min - now);
        }
    }

    /// Stops the pool and waits for it: refuses new work, lets the backlog drain on the
    /// pool's threads, then joins every thread the pool created. Returns the work that
    /// could not run because no thread could be started for it: work submitted to a pool
    /// that was never started, or while every spawn failed (Twisted silently drops it).
    /// Calling `stop` again returns an empty `Vec` once the threads are gone.
    ///
    /// Called from one of the pool's own threads (from work, or a callback), `stop` cannot
    /// wait for that thread, which would be waiting for itself: it only begins the stop
    /// (new work is refused, the backlog still drains) and returns an empty `Vec` at once.
    /// A later `stop` (or the drop) from another thread waits for the rest.
    ///
    /// Like Twisted's, `stop` waits for running work: it blocks as long as some work does.
    pub fn stop(&self) -> Vec<BoxedWork> {
        if self.shared.is_own_thread() {
            self.begin_stop();
            return Vec::new();
        }
        let _stopping = lock(&self.stopping);
        self.begin_stop();
        // Threads started while we join (the backlog may still call for new ones) are
        // recorded by the time their start returns. A thread whose start is still pending
        // has a busy worker, so the Team has not finished: wait for it to be recorded. Once
        // the Team has finished nothing can start another thread, and the ones it had are
        // recorded (its finishing needed their work to have run).
        loop {
            let finished = self.team.is_finished();
            let batch = mem::take(&mut *self.shared.threads());
            if batch.is_empty() {
                if finished {
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
        debug_assert!(self.team.is_finished(), "every thread has returned, so the Team has finished");
        let mut unrun = Vec::new();
        while let Some(work) = self.team.reclaim() {
            unrun.push(work);
        }
        unrun
    }

    fn begin_stop(&self) {
        if !self.shared.stopped.swap(true, Ordering::AcqRel) {
            // The limit stays at `max` while stopping, so the backlog drains at full speed
            // and a spawn that failed earlier is retried for it.
            let _ = self.team.quit();
        }
    }

    /// The pool's counts: workers, backlog, threads, panics. Exact when the pool is
    /// quiescent; while work moves, each count is a value it really had.
    pub fn statistics(&self) -> PoolStatistics {
        let team = self.team.statistics();
        let shared = &*self.shared;
        PoolStatistics {
            idle_workers: team.idle_workers,
            busy_workers: team.busy_workers,
            backlogged: team.backlogged,
            shrink_debt: team.shrink_debt,
            threads_running: shared.threads_running.load(Ordering::Acquire),
            threads_started: shared.threads_started.load(Ordering::Acquire),
            workers_retired: team.workers_retired,
            high_water: team.high_water,
            panics: team.failures + shared.callback_panics.load(Ordering::Acquire),
            spawn_failures: shared.spawn_failures.load(Ordering::Acquire),
            min: shared.min.load(Ordering::Acquire),
            max: shared.max.load(Ordering::Acquire),
        }
    }
}

impl Drop for ThreadPool {
    /// Stops the pool (see [`ThreadPool::stop`]): drains the backlog and joins every
    /// thread, dropping work that could not run. Dropped on one of its own threads, it
    /// only begins the stop; the threads return on their own.
    fn drop(&mut self) {
        drop(self.stop());
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("started", &self.is_started())
            .field("stopped", &self.is_stopped())
            .field("statistics", &self.statistics())
            .finish_non_exhaustive()
    }
}

fn lock(mutex: &Mutex<()>) -> MutexGuard<'_, ()> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A snapshot of a [`ThreadPool`]'s counts.
///
/// `Display` gives the one-line summary `idle 2 · busy 6 · backlog 10 · threads 8`.
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
    /// OS threads started and not yet returned, including retired workers' threads still
    /// finishing their last item.
    pub threads_running: usize,
    /// OS threads started so far.
    pub threads_started: u64,
    /// Workers retired so far (by resizing or stopping).
    pub workers_retired: u64,
    /// The most workers alive at once.
    pub high_water: usize,
    /// Panics caught in work so far: those reported to the panic hook, and those delivered
    /// to a callback.
    pub panics: u64,
    /// Threads the factory could not start so far.
    pub spawn_failures: u64,
    /// The minimum size.
    pub min: usize,
    /// The maximum size.
    pub max: usize,
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

/// Configures a [`ThreadPool`]: sizes, thread names and stack size (or a whole thread
/// factory), and the panic and spawn-error hooks.
///
/// ```
/// use threadteam_std::ThreadPool;
///
/// let pool = ThreadPool::builder()
///     .min(1)
///     .max(8)
///     .name("io")
///     .stack_size(256 * 1024)
///     .on_panic(|failure| eprintln!("io pool: {failure}"))
///     .build();
/// pool.start().unwrap();
/// pool.call_in_thread(|| assert!(std::thread::current().name().unwrap().starts_with("io-"))).unwrap();
/// pool.stop();
/// ```
pub struct ThreadPoolBuilder {
    min: usize,
    max: usize,
    threads: StdThreadFactory,
    spawn: Option<Spawn>,
    on_panic: Option<PanicHook>,
    on_spawn_error: Option<SpawnErrorHook>,
}

impl Default for ThreadPoolBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ThreadPoolBuilder {
    /// Twisted's defaults: at least 5 and at most 20 threads, named `threadteam-N`, with
    /// the platform's stack size and the default hooks.
    pub fn new() -> Self {
        Self { min: 5, max: 20, threads: StdThreadFactory::new(), spawn: None, on_panic: None, on_spawn_error: None }
    }

    /// The number of threads [`start`](ThreadPool::start) creates and the pool keeps.
    #[must_use]
    pub fn min(mut self, min: usize) -> Self {
        self.min = min;
        self
    }

    /// The most threads the pool runs at once.
    #[must_use]
    pub fn max(mut self, max: usize) -> Self {
        self.max = max;
        self
    }

    /// Names the threads `{name}-N`, N counting from 1 and never repeating within the
    /// pool. Ignored with [`thread_factory`](Self::thread_factory).
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.threads = self.threads.name_prefix(name);
        self
    }

    /// Gives each thread a stack of `bytes`. Ignored with
    /// [`thread_factory`](Self::thread_factory).
    #[must_use]
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.threads = self.threads.stack_size(bytes);
        self
    }

    /// Starts the pool's threads through `factory` instead of a [`StdThreadFactory`]
    /// (for instance to set thread priorities, or to inject spawn failures in tests).
    #[must_use]
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
    #[must_use]
    pub fn on_panic(mut self, hook: impl Fn(&Failure) + Send + Sync + 'static) -> Self {
        self.on_panic = Some(Box::new(hook));
        self
    }

    /// Reports each thread the factory could not start to `hook`, instead of
    /// [`default_spawn_error_hook`]. The hook runs on the thread whose call asked for the
    /// new thread (a submit, a worker's hand-back, [`start`](ThreadPool::start) or a
    /// resize), after that call's pass through the pool's coordinator and before the work
    /// meant for the thread goes back to the backlog: it must not call
    /// [`stop`](ThreadPool::stop), which would wait for that work. If it panics, that
    /// panic is caught.
    #[must_use]
    pub fn on_spawn_error(mut self, hook: impl Fn(&SpawnError) + Send + Sync + 'static) -> Self {
        self.on_spawn_error = Some(Box::new(hook));
        self
    }

    /// The pool, not yet started: no thread exists until [`start`](ThreadPool::start).
    ///
    /// # Panics
    /// If `min > max`.
    pub fn build(self) -> ThreadPool {
        assert!(
            self.min <= self.max,
            "threadteam: the minimum pool size ({}) is greater than the maximum ({})",
            self.min,
            self.max
        );
        let spawn = self.spawn.unwrap_or_else(|| {
            let threads = self.threads;
            Box::new(move |main| threads.start(main))
        });
        let shared = Arc::new(Shared {
            min: AtomicUsize::new(self.min),
            max: AtomicUsize::new(self.max),
            started: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            threads: Mutex::new(Vec::new()),
            threads_running: AtomicUsize::new(0),
            threads_started: AtomicU64::new(0),
            spawn_failures: AtomicU64::new(0),
            callback_panics: AtomicU64::new(0),
            spawn,
            on_spawn_error: self.on_spawn_error.unwrap_or_else(|| Box::new(|error| default_spawn_error_hook(error))),
        });
        let limit = {
            let shared = Arc::clone(&shared);
            move || shared.limit()
        };
        let on_panic: PanicHook = self.on_panic.unwrap_or_else(|| Box::new(default_panic_hook));
        let team = threadteam_core::pool::<StdSignal, StdLock, _>(limit, Tracking(Arc::clone(&shared)), on_panic);
        ThreadPool { team, shared, sizing: Mutex::new(()), stopping: Mutex::new(()) }
    }
}

impl fmt::Debug for ThreadPoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPoolBuilder")
            .field("min", &self.min)
            .field("max", &self.max)
            .field("threads", &self.threads)
            .field("custom_factory", &self.spawn.is_some())
            .finish_non_exhaustive()
    }
}

//! [`ThreadPool`]: Twisted's `twisted.python.threadpool.ThreadPool`, a thin layer over a
//! [`Pool`].
//!
//! | ThreadPool | Pool |
//! |---|---|
//! | the sizes | a hard-capped policy: `min` kept, up to `max` created at once |
//! | before [`start`](ThreadPool::start) | a limit of 0: work waits in the backlog; a blocking join on it fails at once ([`TaskError::Unrunnable`](threadteam_core::TaskError::Unrunnable)) |
//! | [`start`](ThreadPool::start), [`adjust_pool_size`](ThreadPool::adjust_pool_size) | [`set_policy`](Pool::set_policy): above `max` retire, serve the backlog, grow to `min` |
//! | [`call_in_thread`](ThreadPool::call_in_thread) | [`execute`](Pool::execute) |
//! | [`stop`](ThreadPool::stop) | [`shutdown`](Pool::shutdown): drain, join every thread, hand back what could not run |

use core::fmt;
use core::panic::AssertUnwindSafe;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::panic;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{JoinHandle, ThreadId};

use threadteam_core::{port::ThreadFactory, workers::BoxedWork, AlreadyQuit, Failure, GrowthPolicy, SubmitError};

use crate::{Pool, PoolBuilder, PoolStatistics, Scope, SpawnError};

/// A pool of OS threads with a minimum and a maximum size, started and stopped as a whole:
/// the equivalent of Twisted's `twisted.python.threadpool.ThreadPool`, over a [`Pool`].
///
/// - Work submitted before [`start`](Self::start) is held, and runs once the pool starts.
///   Waiting for it before then would wait forever, so a blocking
///   [`JoinHandle::join`](threadteam_core::JoinHandle::join) on it cancels it and returns
///   [`TaskError::Unrunnable`](threadteam_core::TaskError::Unrunnable), and
///   [`scope`](Self::scope) panics. (A pool without a start step: [`Pool`].)
/// - Threads are created on demand, up to `max`; [`start`](Self::start) creates `min` at
///   once. They are named `threadteam-N` (see [`ThreadPoolBuilder::name`]).
/// - [`stop`](Self::stop) lets the backlog drain, joins every thread the pool created, and
///   hands back the work that could not run. A second `stop` does nothing.
/// - Work submitted after `stop` is refused and handed back (Twisted drops it silently).
/// - A panic in work is caught; the thread keeps serving; the panic is counted in
///   [`PoolStatistics::panics`] and reported to the panic hook (by default
///   [`default_panic_hook`](crate::default_panic_hook)). A panicking hook does not break
///   the pool.
/// - A thread the OS refuses to start is counted and reported to the spawn-error hook; the
///   work stays queued and runs on the threads that exist, or, with none alive, creation is
///   retried on the next submit, resize or hand-back. It is never lost: at worst `stop`
///   hands it back.
/// - **Dropping a pool that was not stopped stops it**: the backlog drains and every thread
///   is joined before `drop` returns; work that could not run at all is dropped. Call
///   [`stop`](Self::stop) to get it back.
///
/// The pool can be shared between threads (`&ThreadPool`, `Arc<ThreadPool>`); every method
/// takes `&self`. A program that needs no start/stop lifecycle uses a [`Pool`] directly.
///
/// ```
/// use threadteam::ThreadPool;
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
    pool: Pool,
    sizes: Arc<Sizes>,
    /// Serialises start and resizing, so two resizes apply in the order they were made.
    sizing: Sizing,
}

/// A lock that the thread holding it may take again: the spawn-error hook runs on the
/// thread that asked for a thread, which may be inside `start` or a resize, and may resize.
#[derive(Default)]
struct Sizing {
    /// The holder and how many times it has taken the lock.
    holder: Mutex<Option<(ThreadId, usize)>>,
    released: Condvar,
}

struct Sized<'a>(&'a Sizing);

impl Sizing {
    fn holder(&self) -> MutexGuard<'_, Option<(ThreadId, usize)>> {
        self.holder.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock(&self) -> Sized<'_> {
        let me = std::thread::current().id();
        let mut holder = self.holder();
        loop {
            match &mut *holder {
                None => *holder = Some((me, 1)),
                Some((thread, depth)) if *thread == me => *depth += 1,
                Some(_) => {
                    holder = self.released.wait(holder).unwrap_or_else(PoisonError::into_inner);
                    continue;
                }
            }
            return Sized(self);
        }
    }
}

impl Drop for Sized<'_> {
    fn drop(&mut self) {
        let mut holder = self.0.holder();
        if let Some((_, depth)) = &mut *holder {
            *depth -= 1;
            if *depth == 0 {
                *holder = None;
                self.0.released.notify_all();
            }
        }
    }
}

/// The sizes and the lifecycle, shared with the pool's limit function.
struct Sizes {
    min: AtomicUsize,
    max: AtomicUsize,
    started: AtomicBool,
    stopped: AtomicBool,
}

impl Sizes {
    fn policy(&self) -> GrowthPolicy {
        GrowthPolicy::capped(self.max.load(Ordering::Acquire)).min(self.min.load(Ordering::Acquire))
    }
}

impl ThreadPool {
    /// A stopped-until-[`start`](Self::start)ed pool of at least `min` and at most `max`
    /// threads, with the default names, stack size and hooks (see [`ThreadPool::builder`]).
    ///
    /// ```
    /// use threadteam::ThreadPool;
    ///
    /// let pool = ThreadPool::new(1, 4);
    /// pool.start().unwrap();
    /// assert_eq!((pool.min(), pool.max()), (1, 4));
    /// pool.call_in_thread(|| println!("on a pool thread")).unwrap();
    /// drop(pool.stop());
    /// ```
    ///
    /// # Panics
    /// If `min > max`, or `max` is 0 (such a pool could never run anything).
    pub fn new(min: usize, max: usize) -> Self {
        Self::builder().min(min).max(max).build()
    }

    /// A builder for a pool with a chosen name, stack size, thread factory or hooks (see
    /// [`ThreadPoolBuilder`]).
    ///
    /// ```
    /// use threadteam::ThreadPool;
    ///
    /// let pool = ThreadPool::builder().min(2).max(8).name("io").build();
    /// assert_eq!((pool.min(), pool.max()), (2, 8));
    /// ```
    pub fn builder() -> ThreadPoolBuilder {
        ThreadPoolBuilder::new()
    }

    /// Starts the pool: creates `min` threads, then serves the work submitted so far with
    /// as many threads as it needs, up to `max` (Twisted #8090). Starting a started pool
    /// only re-applies the sizes.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use threadteam::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2, 4);
    /// let (tx, rx) = mpsc::channel();
    /// pool.call_in_thread(move || tx.send("ran").unwrap()).unwrap(); // held until start
    /// pool.start().unwrap();
    /// assert_eq!(rx.recv().unwrap(), "ran");
    /// assert_eq!(pool.statistics().workers(), 2); // `min` is kept
    /// ```
    ///
    /// # Errors
    /// [`AlreadyQuit`] after [`stop`](Self::stop): a pool cannot be restarted.
    pub fn start(&self) -> Result<(), AlreadyQuit> {
        let _sizing = self.sizing.lock();
        if self.is_stopped() {
            return Err(AlreadyQuit);
        }
        self.sizes.started.store(true, Ordering::Release);
        // The backlog first: the workers made for it count towards `min`.
        self.pool.set_policy(self.sizes.policy())
    }

    /// The minimum size: the threads [`start`](Self::start) creates and the pool keeps
    /// (Twisted's `min`).
    pub fn min(&self) -> usize {
        self.sizes.min.load(Ordering::Acquire)
    }

    /// The maximum size: the most threads the pool runs at once (Twisted's `max`).
    pub fn max(&self) -> usize {
        self.sizes.max.load(Ordering::Acquire)
    }

    /// Sets the minimum size, keeping the maximum: [`adjust_pool_size`](Self::adjust_pool_size)
    /// with the current `max` (Twisted's `adjustPoolsize(minthreads=min)`).
    ///
    /// ```
    /// use threadteam::ThreadPool;
    ///
    /// let pool = ThreadPool::new(0, 8);
    /// pool.start().unwrap();
    /// pool.set_min(3);
    /// assert_eq!((pool.min(), pool.max(), pool.statistics().workers()), (3, 8, 3));
    /// ```
    ///
    /// # Panics
    /// If `min` is greater than the maximum.
    pub fn set_min(&self, min: usize) {
        let _sizing = self.sizing.lock();
        self.resize(min, self.max());
    }

    /// Sets the maximum size, keeping the minimum: [`adjust_pool_size`](Self::adjust_pool_size)
    /// with the current `min` (Twisted's `adjustPoolsize(maxthreads=max)`).
    ///
    /// ```
    /// use threadteam::ThreadPool;
    ///
    /// let pool = ThreadPool::new(1, 8);
    /// pool.set_max(2);
    /// assert_eq!((pool.min(), pool.max()), (1, 2));
    /// ```
    ///
    /// # Panics
    /// If `max` is 0 or less than the minimum.
    pub fn set_max(&self, max: usize) {
        let _sizing = self.sizing.lock();
        self.resize(self.min(), max);
    }

    /// Whether [`start`](Self::start) has been called (and [`stop`](Self::stop) has not).
    pub fn is_started(&self) -> bool {
        self.sizes.started.load(Ordering::Acquire) && !self.is_stopped()
    }

    /// Whether [`stop`](Self::stop) has been called.
    pub fn is_stopped(&self) -> bool {
        self.sizes.stopped.load(Ordering::Acquire)
    }

    /// Runs `f` on a pool thread (after the pool starts, if it has not yet).
    ///
    /// A panic in `f` is caught, counted and reported to the panic hook; the thread keeps
    /// serving. With the `tracing` feature, `f` runs inside the span that is current here.
    ///
    /// ```
    /// use threadteam::ThreadPool;
    ///
    /// let pool = ThreadPool::new(1, 2);
    /// pool.start().unwrap();
    /// pool.call_in_thread(|| println!("on a pool thread")).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`SubmitError::AlreadyQuit`] after [`stop`](Self::stop), carrying the work (boxed):
    /// it will not run unless you run it.
    pub fn call_in_thread<F>(&self, f: F) -> Result<(), SubmitError<BoxedWork>>
    where
        F: FnOnce() + Send + 'static,
    {
        self.pool.execute(f)
    }

    /// Runs `f` on a pool thread, then, on the same thread, `on_result` with `Ok(value)`,
    /// or `Err(payload)` if `f` panicked. `f` is dropped before `on_result` runs.
    ///
    /// A panic in `f` goes to `on_result`, not to the panic hook; it is still counted in
    /// [`PoolStatistics::panics`]. A panic in `on_result` is caught and reported to the
    /// hook like any panic in work.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use threadteam::ThreadPool;
    ///
    /// let pool = ThreadPool::new(1, 2);
    /// pool.start().unwrap();
    /// let (tx, rx) = mpsc::channel();
    /// pool.call_in_thread_with_callback(move |result| tx.send(result.is_ok()).unwrap(), || 2 + 2).unwrap();
    /// assert!(rx.recv().unwrap());
    /// ```
    ///
    /// # Errors
    /// [`SubmitError::AlreadyQuit`] after [`stop`](Self::stop), carrying the work (`f` and
    /// `on_result`, boxed together): it will not run unless you run it.
    pub fn call_in_thread_with_callback<R, F, C>(&self, on_result: C, f: F) -> Result<(), SubmitError<BoxedWork>>
    where
        F: FnOnce() -> R + Send + 'static,
        C: FnOnce(std::thread::Result<R>) + Send + 'static,
    {
        let panics = self.pool.callback_panics();
        self.pool.execute(move || {
            let result = panic::catch_unwind(AssertUnwindSafe(f));
            if result.is_err() {
                panics.count();
            }
            drop(panics);
            on_result(result);
        })
    }

    /// Runs `f` on a pool thread and returns a handle to its result: a [`Future`] that any
    /// executor can await, or [`join`](threadteam_core::JoinHandle::join) it. Cancel it while it waits for a
    /// thread; dropping it detaches. See [`JoinHandle`](threadteam_core::JoinHandle).
    /// Joining it before the pool is [started](Self::start) does not wait forever: see
    /// [`TaskError::Unrunnable`](threadteam_core::TaskError::Unrunnable).
    ///
    /// A panic in `f` goes to the handle, not to the panic hook, and is not counted in
    /// [`PoolStatistics::panics`], unless the handle was dropped first.
    ///
    /// ```
    /// use threadteam::ThreadPool;
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
        self.pool.spawn(f)
    }

    /// Runs `f` with a [`Scope`] whose work may borrow from the caller, on this pool's
    /// threads: see [`scope`](crate::scope). The pool must be [started](Self::start):
    /// scoped work on a pool that is not would never run, and `scope` would wait for it
    /// forever.
    ///
    /// ```
    /// use threadteam::ThreadPool;
    ///
    /// let pool = ThreadPool::new(0, 4);
    /// pool.start().unwrap();
    /// let mut squares = [1, 2, 3];
    /// pool.scope(|s| {
    ///     for n in squares.iter_mut() {
    ///         s.spawn(move || *n *= *n);
    ///     }
    /// });
    /// assert_eq!(squares, [1, 4, 9]);
    /// ```
    ///
    /// # Panics
    /// If the pool has not been started (or has been stopped: its work is refused), before
    /// `f` runs. As [`scope`](crate::scope): a panic in `f`, or an unjoined one in scoped
    /// work, is resumed once all scoped work has finished.
    pub fn scope<'env, F, R>(&'env self, f: F) -> R
    where
        F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> R,
    {
        assert!(
            self.sizes.started.load(Ordering::Acquire),
            "threadteam: ThreadPool::scope on a pool that was never started: its scoped work could never run; call start() first"
        );
        assert!(!self.is_stopped(), "threadteam: ThreadPool::scope on a stopped pool: its work would be refused");
        self.pool.scope(f)
    }

    /// Sets the sizes. If the pool is started, it retires threads above `max` (idle ones at
    /// once, busy ones when they finish their work and the backlog is empty), serves
    /// waiting work under the new `max`, and grows to `min` threads. Before
    /// [`start`](Self::start) or after [`stop`](Self::stop) it only records the sizes
    /// (Twisted #7011).
    ///
    /// ```
    /// use threadteam::ThreadPool;
    ///
    /// let pool = ThreadPool::new(0, 4);
    /// pool.start().unwrap();
    /// pool.adjust_pool_size(2, 6);
    /// assert_eq!((pool.min(), pool.max(), pool.statistics().workers()), (2, 6, 2));
    /// ```
    ///
    /// # Panics
    /// If `min > max`, or `max` is 0 (the pool could never run anything).
    pub fn adjust_pool_size(&self, min: usize, max: usize) {
        let _sizing = self.sizing.lock();
        self.resize(min, max);
    }

    /// `adjust_pool_size`, with `sizing` held.
    fn resize(&self, min: usize, max: usize) {
        check_sizes(min, max);
        self.sizes.min.store(min, Ordering::Release);
        self.sizes.max.store(max, Ordering::Release);
        if self.is_started() {
            // An error means a concurrent `stop` quit the pool: nothing more to do.
            let _ = self.pool.set_policy(self.sizes.policy());
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
    ///
    /// ```
    /// use threadteam::ThreadPool;
    ///
    /// let pool = ThreadPool::new(0, 2);
    /// pool.call_in_thread(|| println!("never started: never run")).unwrap();
    /// let unrun = pool.stop();
    /// assert_eq!(unrun.len(), 1); // handed back, not dropped
    /// for work in unrun {
    ///     work(); // run it here instead, or drop it
    /// }
    /// ```
    #[must_use = "the work that could not run is handed back; drop it to discard it"]
    pub fn stop(&self) -> Vec<BoxedWork> {
        self.sizes.stopped.store(true, Ordering::Release);
        // The limit stays as it is while stopping, so the backlog drains at full speed.
        self.pool.shutdown()
    }

    /// The pool's counts: workers, backlog, threads, panics, sizes. Exact when the pool is
    /// quiescent; while work moves, each count is a value it really had.
    ///
    /// ```
    /// use threadteam::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2, 4);
    /// pool.start().unwrap();
    /// let s = pool.statistics();
    /// assert_eq!((s.workers(), s.min, s.max), (2, 2, Some(4)));
    /// ```
    pub fn statistics(&self) -> PoolStatistics {
        let mut stats = self.pool.statistics();
        stats.min = self.sizes.min.load(Ordering::Acquire);
        stats.max = Some(self.sizes.max.load(Ordering::Acquire));
        stats
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

/// Configures a [`ThreadPool`]: sizes, thread names and stack size (or a whole thread
/// factory), and the panic and spawn-error hooks.
///
/// ```
/// use threadteam::ThreadPool;
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
#[must_use = "a builder does nothing until it is built"]
pub struct ThreadPoolBuilder {
    /// `None` until set: Twisted's 5, lowered to `max` when only `max` is set below it.
    min: Option<usize>,
    max: usize,
    pool: PoolBuilder,
}

impl Default for ThreadPoolBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ThreadPoolBuilder {
    /// Twisted's defaults: at least 5 and at most 20 threads, named `threadteam-N`, with
    /// the platform's stack size and the default hooks. The same as [`ThreadPool::builder`].
    ///
    /// ```
    /// use threadteam::ThreadPoolBuilder;
    ///
    /// let pool = ThreadPoolBuilder::new().build();
    /// assert_eq!((pool.min(), pool.max()), (5, 20));
    /// ```
    pub fn new() -> Self {
        Self { min: None, max: 20, pool: PoolBuilder::new() }
    }

    /// The number of threads [`start`](ThreadPool::start) creates and the pool keeps.
    /// Unset, it is Twisted's 5, or `max` if that is smaller.
    pub fn min(mut self, min: usize) -> Self {
        self.min = Some(min);
        self
    }

    /// The most threads the pool runs at once.
    ///
    /// ```
    /// use threadteam::ThreadPool;
    ///
    /// // Without a minimum of its own, the pool keeps at most `max` threads.
    /// let pool = ThreadPool::builder().max(2).build();
    /// assert_eq!((pool.min(), pool.max()), (2, 2));
    /// ```
    pub fn max(mut self, max: usize) -> Self {
        self.max = max;
        self
    }

    /// Names the threads `{name}-N`, N counting from 1 and never repeating within the
    /// pool. Ignored with [`thread_factory`](Self::thread_factory). A name with a NUL byte
    /// makes every spawn fail (reported to the spawn-error hook; the work waits, and
    /// [`stop`](ThreadPool::stop) hands it back).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.pool = self.pool.name(name);
        self
    }

    /// Gives each thread a stack of `bytes`. Ignored with
    /// [`thread_factory`](Self::thread_factory).
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.pool = self.pool.stack_size(bytes);
        self
    }

    /// Starts the pool's threads through `factory` instead of a
    /// [`StdThreadFactory`](crate::StdThreadFactory) (for instance to set thread
    /// priorities, or to inject spawn failures in tests).
    pub fn thread_factory<F>(mut self, factory: F) -> Self
    where
        F: ThreadFactory<Thread = JoinHandle<()>, Error = SpawnError> + Send + Sync + 'static,
    {
        self.pool = self.pool.thread_factory(factory);
        self
    }

    /// Reports each panic caught in work to `hook`, on the thread the work ran on, instead
    /// of [`default_panic_hook`](crate::default_panic_hook). If the hook panics, that panic
    /// is caught and the pool carries on.
    pub fn on_panic(mut self, hook: impl Fn(&Failure) + Send + Sync + 'static) -> Self {
        self.pool = self.pool.on_panic(hook);
        self
    }

    /// Reports each thread the factory could not start to `hook`, instead of
    /// [`default_spawn_error_hook`](crate::default_spawn_error_hook). The hook runs on the
    /// thread whose call asked for the new thread (a submit, a worker's hand-back,
    /// [`start`](ThreadPool::start) or a resize), after that call's pass through the pool's
    /// coordinator and before the work meant for the thread goes back to the backlog. If it
    /// panics, that panic is caught.
    ///
    /// The rule for calling the pool from the hook: **the hook must not wait for the pool**.
    /// Everything that does not wait works, on the same thread: resizing
    /// ([`adjust_pool_size`](ThreadPool::adjust_pool_size), `set_min`, `set_max`, `start`;
    /// to lower the `max` when the OS refuses threads), submitting, statistics. The pool
    /// starts no thread from inside the hook (work submitted there waits for the next event,
    /// a start it asks for counts as refused without calling the hook again), so the hook
    /// cannot recurse. [`stop`](ThreadPool::stop) (and dropping the pool) there only begins
    /// the stop and returns an empty `Vec`, as from one of the pool's own threads;
    /// [`scope`](ThreadPool::scope) there panics, naming this rule; a blocking
    /// [`join`](threadteam_core::JoinHandle::join) there may wait for ever.
    ///
    /// ```
    /// use std::sync::{Arc, OnceLock};
    /// use threadteam::{SpawnError, ThreadPool};
    ///
    /// // Lower the max to what the OS gave when it refuses a thread.
    /// let pool: Arc<OnceLock<std::sync::Weak<ThreadPool>>> = Arc::new(OnceLock::new());
    /// let hook_pool = Arc::clone(&pool);
    /// let tp = Arc::new(
    ///     ThreadPool::builder()
    ///         .min(0)
    ///         .max(4)
    ///         .thread_factory(Refusing)
    ///         .on_spawn_error(move |_| {
    ///             if let Some(pool) = hook_pool.get().and_then(std::sync::Weak::upgrade) {
    ///                 pool.adjust_pool_size(0, 1);
    ///             }
    ///         })
    ///         .build(),
    /// );
    /// pool.set(Arc::downgrade(&tp)).unwrap();
    /// tp.call_in_thread(|| ()).unwrap();
    /// tp.start().unwrap(); // the spawn is refused; the hook resizes, on this thread
    /// assert_eq!(tp.max(), 1);
    /// assert_eq!(tp.stop().len(), 1); // the work that never got a thread comes back
    /// # struct Refusing;
    /// # impl threadteam::port::ThreadFactory for Refusing {
    /// #     type Thread = std::thread::JoinHandle<()>;
    /// #     type Error = SpawnError;
    /// #     fn start<M: FnOnce() + Send + 'static>(&self, _: M) -> Result<Self::Thread, SpawnError> {
    /// #         Err(SpawnError(std::io::Error::other("no threads")))
    /// #     }
    /// # }
    /// ```
    pub fn on_spawn_error(mut self, hook: impl Fn(&SpawnError) + Send + Sync + 'static) -> Self {
        self.pool = self.pool.on_spawn_error(hook);
        self
    }

    /// The pool, not yet started: no thread exists until [`start`](ThreadPool::start).
    ///
    /// ```
    /// use threadteam::ThreadPool;
    ///
    /// let pool = ThreadPool::builder().min(1).max(4).build();
    /// assert!(!pool.is_started());
    /// assert_eq!(pool.statistics().threads_running, 0);
    /// ```
    ///
    /// # Panics
    /// If `min > max`, or `max` is 0 (the pool could never run anything).
    pub fn build(self) -> ThreadPool {
        let min = self.min.unwrap_or(TWISTED_MIN.min(self.max));
        check_sizes(min, self.max);
        let sizes = Arc::new(Sizes {
            min: AtomicUsize::new(min),
            max: AtomicUsize::new(self.max),
            started: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
        });
        let limit = {
            let sizes = Arc::clone(&sizes);
            // Nothing before `start`: work waits in the backlog.
            move || if sizes.started.load(Ordering::Acquire) { usize::MAX } else { 0 }
        };
        // A capped policy needs no timer, so building starts no thread and cannot fail.
        let pool = self.pool.policy(sizes.policy()).limit(limit).build_unchecked();
        let pool = pool.unwrap_or_else(|e| unreachable!("a capped pool starts no thread when built: {e}"));
        ThreadPool { pool, sizes, sizing: Sizing::default() }
    }
}

/// Twisted's default minimum.
const TWISTED_MIN: usize = 5;

/// The sizes a ThreadPool may have.
fn check_sizes(min: usize, max: usize) {
    assert!(min <= max, "threadteam: the minimum pool size ({min}) is greater than the maximum ({max})");
    assert!(max > 0, "threadteam: a ThreadPool with a maximum of 0 threads could never run work");
}

impl fmt::Debug for ThreadPoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPoolBuilder")
            .field("min", &self.min)
            .field("max", &self.max)
            .field("pool", &self.pool)
            .finish()
    }
}

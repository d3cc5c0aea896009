//! Every pool under test, behind [`Pool`]. Adding a pool is one `impl Pool` here plus
//! one line in [`for_each_pool`].

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use threadteam_core::Worker;
use threadteam_std::{StdSignal, StdThreadFactory};

use crate::pool::{NoResultHandle, Pool, PoolConfig, Role};

/// Something done once per pool type (workloads are generic, so pools are visited, not
/// listed as trait objects).
pub trait Visit {
    /// Called with each pool type in turn.
    fn visit<P: Pool>(&mut self);
}

/// Visits every pool, threadteam first and the floor last.
///
/// Extension point: a new pool is an `impl Pool` and a `v.visit::<...>()` line here; every
/// workload, table and chart picks it up.
pub fn for_each_pool(v: &mut impl Visit) {
    v.visit::<ThreadTeam>();
    v.visit::<ThreadTeamPrestarted>();
    v.visit::<ThreadTeamAdaptive>();
    v.visit::<ThreadTeamTwisted>();
    v.visit::<ThreadPoolPeer>();
    v.visit::<RustyPool>();
    v.visit::<Rayon>();
    v.visit::<Blocking>();
    v.visit::<Tokio>();
    v.visit::<Floor>();
}

/// Names of all pools, in [`for_each_pool`] order, with their roles and whether they are
/// [burst-only](Pool::BURST_ONLY).
pub fn names() -> Vec<(&'static str, Role, bool)> {
    struct Names(Vec<(&'static str, Role, bool)>);
    impl Visit for Names {
        fn visit<P: Pool>(&mut self) {
            self.0.push((P::NAME, P::ROLE, P::BURST_ONLY));
        }
    }
    let mut n = Names(Vec::new());
    for_each_pool(&mut n);
    n.0
}

type CorePool = threadteam_core::team::ThreadTeam<StdSignal>;

/// threadteam's core `pool()`: a Team of `ThreadWorker`s behind a `LockWorker`
/// coordinator, capped at `max_threads`, `min_threads` pre-started with `grow`.
/// It has no idle release (keep-alive is the adaptive pool's job).
#[derive(Debug)]
pub struct ThreadTeam(Arc<CorePool>);

impl Pool for ThreadTeam {
    const NAME: &'static str = "threadteam";
    const ROLE: Role = Role::Subject;
    const SETUP: &'static str =
        "core `pool::<StdSignal, _>(|| max, StdThreadFactory::new(), |_| {})`, `grow(min)` up front; no keep-alive";

    fn build(config: &PoolConfig) -> Self {
        let limit = config.max_threads;
        let pool = threadteam_core::team::pool::<StdSignal, _>(move || limit, StdThreadFactory::new(), |_| {});
        if config.min_threads > 0 {
            pool.grow(config.min_threads).expect("a fresh pool has not quit");
        }
        Self(pool)
    }

    fn submit<F: FnOnce() + Send + 'static>(&self, task: F) {
        if self.0.submit(Box::new(task)).is_err() {
            panic!("threadteam refused work before quit");
        }
    }

    /// The task handle, awaited as a future (as tokio's and blocking's are).
    fn spawn_await<R: Send + 'static, F: FnOnce() -> R + Send + 'static>(&self, task: F) -> Result<R, NoResultHandle> {
        let handle = self.0.spawn(task).unwrap_or_else(|_| panic!("threadteam refused work before quit"));
        Ok(futures_lite::future::block_on(handle).expect("the task neither panics nor is cancelled"))
    }

    fn shutdown(self) {
        // Threads retire once the backlog is served; `pool()` keeps no join handles.
        let _ = self.0.quit();
    }
}

/// [`ThreadTeam`] with all `max_threads` threads started before the clock, as threadpool's
/// and rayon's are (a `ThreadPool` with `min == max` does this in `start()`): the burst
/// without the cost of creating threads on demand. Elsewhere it is [`ThreadTeam`] exactly
/// (fixed-size workloads already start every thread up front), so it runs in the burst only.
#[derive(Debug)]
pub struct ThreadTeamPrestarted(ThreadTeam);

impl Pool for ThreadTeamPrestarted {
    const NAME: &'static str = "threadteam-prestarted";
    const ROLE: Role = Role::Subject;
    const SETUP: &'static str = "as threadteam, with `grow(max)` up front (burst only)";
    const BURST_ONLY: bool = true;

    fn build(config: &PoolConfig) -> Self {
        Self(ThreadTeam::build(&PoolConfig { min_threads: config.max_threads, ..*config }))
    }

    fn submit<F: FnOnce() + Send + 'static>(&self, task: F) {
        self.0.submit(task);
    }

    fn shutdown(self) {
        self.0.shutdown();
    }
}

/// threadteam's std `Pool` with its adaptive policy: the same Team, sized by a growth
/// policy. It grows at once up to `max_threads` (burst), beyond that by one thread per
/// growth interval while work waits (there is no hard cap, so its growth is paced and its
/// fast lane dates waiting work), and releases threads idle for `keep_alive` down to
/// `min_threads`.
#[derive(Debug)]
pub struct ThreadTeamAdaptive(threadteam_std::Pool);

impl Pool for ThreadTeamAdaptive {
    const NAME: &'static str = "threadteam-adaptive";
    const ROLE: Role = Role::Subject;
    const SETUP: &'static str =
        "std `Pool::builder().min(min).burst(max).keep_alive(Some(keep_alive))` (no max: paced beyond burst)";

    fn build(config: &PoolConfig) -> Self {
        let pool = threadteam_std::Pool::builder()
            .min(config.min_threads)
            .burst(config.max_threads)
            .keep_alive(Some(config.keep_alive))
            .build()
            .expect("the timer thread starts");
        Self(pool)
    }

    fn submit<F: FnOnce() + Send + 'static>(&self, task: F) {
        if self.0.execute(task).is_err() {
            panic!("threadteam refused work before quit");
        }
    }

    fn spawn_await<R: Send + 'static, F: FnOnce() -> R + Send + 'static>(&self, task: F) -> Result<R, NoResultHandle> {
        let handle = self.0.spawn(task).unwrap_or_else(|_| panic!("threadteam refused work before quit"));
        Ok(futures_lite::future::block_on(handle).expect("the task neither panics nor is cancelled"))
    }

    fn shutdown(self) {
        self.0.join();
    }
}

/// threadteam's Twisted-compatible `ThreadPool` (min and max, started and stopped as a
/// whole): the same Team again, behind a limit that holds work until `start`.
#[derive(Debug)]
pub struct ThreadTeamTwisted(threadteam_std::ThreadPool);

impl Pool for ThreadTeamTwisted {
    const NAME: &'static str = "threadteam-threadpool";
    const ROLE: Role = Role::Subject;
    const SETUP: &'static str = "std `ThreadPool::new(min, max)`, `start()`; no keep-alive";

    fn build(config: &PoolConfig) -> Self {
        let pool = threadteam_std::ThreadPool::new(config.min_threads, config.max_threads);
        pool.start().expect("a fresh pool starts");
        Self(pool)
    }

    fn submit<F: FnOnce() + Send + 'static>(&self, task: F) {
        if self.0.call_in_thread(task).is_err() {
            panic!("threadteam refused work before stop");
        }
    }

    fn spawn_await<R: Send + 'static, F: FnOnce() -> R + Send + 'static>(&self, task: F) -> Result<R, NoResultHandle> {
        let handle = self.0.spawn(task).unwrap_or_else(|_| panic!("threadteam refused work before stop"));
        Ok(futures_lite::future::block_on(handle).expect("the task neither panics nor is cancelled"))
    }

    fn shutdown(self) {
        drop(self.0.stop());
    }
}

/// `threadpool` 1.8: a fixed set of threads on one `Mutex<mpsc::Receiver>`.
#[derive(Debug)]
pub struct ThreadPoolPeer(threadpool::ThreadPool);

impl Pool for ThreadPoolPeer {
    const NAME: &'static str = "threadpool";
    const ROLE: Role = Role::Peer;
    const SETUP: &'static str = "`ThreadPool::new(max)` (fixed size; no keep-alive)";

    fn build(config: &PoolConfig) -> Self {
        Self(threadpool::ThreadPool::new(config.max_threads))
    }

    fn submit<F: FnOnce() + Send + 'static>(&self, task: F) {
        self.0.execute(task);
    }

    fn shutdown(self) {
        self.0.join();
    }
}

/// `rusty_pool` 1: core threads plus elastic ones on a crossbeam channel.
pub struct RustyPool(rusty_pool::ThreadPool);

impl std::fmt::Debug for RustyPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RustyPool").field("workers", &self.0.get_current_worker_count()).finish()
    }
}

impl Pool for RustyPool {
    const NAME: &'static str = "rusty_pool";
    const ROLE: Role = Role::Peer;
    const SETUP: &'static str =
        "`Builder` core = min, max = max, keep_alive = 10 s; `execute`; results via `evaluate` + `await_complete`";

    fn build(config: &PoolConfig) -> Self {
        let pool = rusty_pool::Builder::new()
            .core_size(config.min_threads)
            .max_size(config.max_threads)
            .keep_alive(config.keep_alive)
            .build();
        pool.start_core_threads();
        Self(pool)
    }

    fn submit<F: FnOnce() + Send + 'static>(&self, task: F) {
        self.0.execute(task);
    }

    fn spawn_await<R: Send + 'static, F: FnOnce() -> R + Send + 'static>(&self, task: F) -> Result<R, NoResultHandle> {
        Ok(self.0.evaluate(task).await_complete())
    }

    fn shutdown(self) {
        self.0.shutdown_join();
    }
}

/// `rayon-core` 1: `ThreadPool::spawn` (fire and forget) on a fixed work-stealing pool.
#[derive(Debug)]
pub struct Rayon(rayon_core::ThreadPool);

impl Pool for Rayon {
    const NAME: &'static str = "rayon";
    const ROLE: Role = Role::Peer;
    const SETUP: &'static str = "rayon-core `ThreadPoolBuilder::num_threads(max)`, `spawn`; results via `install`";

    fn build(config: &PoolConfig) -> Self {
        Self(rayon_core::ThreadPoolBuilder::new().num_threads(config.max_threads).build().expect("rayon pool"))
    }

    fn submit<F: FnOnce() + Send + 'static>(&self, task: F) {
        self.0.spawn(task);
    }

    fn spawn_await<R: Send + 'static, F: FnOnce() -> R + Send + 'static>(&self, task: F) -> Result<R, NoResultHandle> {
        Ok(self.0.install(task))
    }

    fn shutdown(self) {
        // rayon terminates its threads on drop without joining them.
        drop(self.0);
    }
}

/// `blocking` 1.7 (smol): the process-wide `unblock` pool.
#[derive(Debug)]
pub struct Blocking(());

impl Pool for Blocking {
    const NAME: &'static str = "blocking";
    const ROLE: Role = Role::Peer;
    const SETUP: &'static str = "global pool, `set_max_blocking_threads(max)`, `unblock(f).detach()`; idle release fixed by the crate; results via the `Task` future";

    fn build(config: &PoolConfig) -> Self {
        // One global pool per process: the limit is all there is to configure.
        blocking::set_max_blocking_threads(NonZeroUsize::new(config.max_threads.max(1)).expect("non-zero"));
        Self(())
    }

    fn submit<F: FnOnce() + Send + 'static>(&self, task: F) {
        blocking::unblock(task).detach();
    }

    fn spawn_await<R: Send + 'static, F: FnOnce() -> R + Send + 'static>(&self, task: F) -> Result<R, NoResultHandle> {
        Ok(futures_lite::future::block_on(blocking::unblock(task)))
    }

    fn shutdown(self) {}
}

/// `tokio` 1: `Runtime::spawn_blocking` on a multi-thread runtime with one async worker.
#[derive(Debug)]
pub struct Tokio(tokio::runtime::Runtime);

impl Pool for Tokio {
    const NAME: &'static str = "tokio";
    const ROLE: Role = Role::Peer;
    const SETUP: &'static str = "multi-thread runtime, 1 async worker, `max_blocking_threads(max)`, `thread_keep_alive(10 s)`, `spawn_blocking`; results via `block_on(JoinHandle)`";

    fn build(config: &PoolConfig) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(config.max_threads)
            .thread_keep_alive(config.keep_alive)
            .build()
            .expect("tokio runtime");
        Self(rt)
    }

    fn submit<F: FnOnce() + Send + 'static>(&self, task: F) {
        drop(self.0.spawn_blocking(task));
    }

    fn spawn_await<R: Send + 'static, F: FnOnce() -> R + Send + 'static>(&self, task: F) -> Result<R, NoResultHandle> {
        Ok(self.0.block_on(self.0.spawn_blocking(task)).expect("task did not panic"))
    }

    fn shutdown(self) {
        self.0.shutdown_timeout(Duration::from_secs(5));
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// The floor: `max_threads` plain threads looping on one crossbeam channel.
#[derive(Debug)]
pub struct Floor {
    sender: crossbeam_channel::Sender<Job>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool for Floor {
    const NAME: &'static str = "floor";
    const ROLE: Role = Role::Floor;
    const SETUP: &'static str =
        "`max` threads looping on one unbounded crossbeam channel of boxed closures; results via a bounded(1) channel";

    fn build(config: &PoolConfig) -> Self {
        let (sender, receiver) = crossbeam_channel::unbounded::<Job>();
        let threads = (0..config.max_threads)
            .map(|_| {
                let receiver = receiver.clone();
                std::thread::spawn(move || {
                    for job in receiver {
                        job();
                    }
                })
            })
            .collect();
        Self { sender, threads }
    }

    fn submit<F: FnOnce() + Send + 'static>(&self, task: F) {
        self.sender.send(Box::new(task)).expect("floor threads are alive");
    }

    fn spawn_await<R: Send + 'static, F: FnOnce() -> R + Send + 'static>(&self, task: F) -> Result<R, NoResultHandle> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.submit(move || {
            let _ = tx.send(task());
        });
        Ok(rx.recv().expect("the task ran"))
    }

    fn shutdown(self) {
        drop(self.sender);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

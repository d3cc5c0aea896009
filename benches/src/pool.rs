//! The one interface every pool under test is driven through.

use std::time::Duration;

/// What a pool is in the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// threadteam itself: the pool the targets are about.
    Subject,
    /// Another crate: the "best peer" ratios are taken over these.
    Peer,
    /// N plain threads reading one crossbeam channel: the least machinery a pool can
    /// have, shown for scale but never the "best peer".
    Floor,
}

/// How big a pool a workload wants.
///
/// Pools honour what they can: fixed-size pools (threadpool, rayon, the floor) start
/// `max_threads` and never change; elastic ones start `min_threads`, grow to
/// `max_threads` and release idle threads after `keep_alive` when they have such a knob.
#[derive(Clone, Copy, Debug)]
pub struct PoolConfig {
    /// Threads to keep even when idle (started at once where the pool can).
    pub min_threads: usize,
    /// Never more threads than this.
    pub max_threads: usize,
    /// How long an idle thread above `min_threads` lingers, where configurable.
    pub keep_alive: Duration,
}

impl PoolConfig {
    /// A pool of exactly `n` threads, all started up front.
    pub fn fixed(n: usize) -> Self {
        Self { min_threads: n, max_threads: n, keep_alive: Duration::from_secs(10) }
    }

    /// A pool that starts empty and may grow to `max` threads.
    pub fn elastic(max: usize, keep_alive: Duration) -> Self {
        Self { min_threads: 0, max_threads: max, keep_alive }
    }
}

/// The pool has no handle through which a caller can wait for a task's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoResultHandle;

/// A thread pool as the workloads see it. Each workload is written once, generic over
/// this trait, and each pool is one `impl` (plus one line in
/// [`for_each_pool`](crate::peers::for_each_pool)).
///
/// `submit` is generic rather than taking `Box<dyn FnOnce()>`: every peer boxes the
/// closure itself, so a boxed argument would cost the peers a second allocation per
/// task that threadteam (whose work type *is* the box) would not pay.
///
/// Waiting is not part of the trait: the workloads wait on a [`Latch`](crate::sync::Latch)
/// or [`Handoff`](crate::sync::Handoff) that the tasks signal, so every pool pays the same
/// price for being waited on.
pub trait Pool: Send + Sync + Sized + 'static {
    /// The name printed in tables and charts.
    const NAME: &'static str;
    /// Subject, peer or floor.
    const ROLE: Role;
    /// One-line note on how this pool is configured (for BENCHMARKS.md).
    const SETUP: &'static str;
    /// Measured in the burst only (with its elasticity samples): a variant of another
    /// pool's configuration that the other workloads would not tell apart from it.
    const BURST_ONLY: bool = false;

    /// Builds a pool sized by `config`.
    fn build(config: &PoolConfig) -> Self;

    /// Hands one task to the pool. It must run exactly once, on a pool thread.
    fn submit<F: FnOnce() + Send + 'static>(&self, task: F);

    /// Runs `task` on the pool and waits for its result through the pool's own result
    /// handle (workload 6, spawn-and-await).
    ///
    /// # Errors
    /// [`NoResultHandle`] when the pool has no such handle (the default).
    fn spawn_await<R: Send + 'static, F: FnOnce() -> R + Send + 'static>(&self, task: F) -> Result<R, NoResultHandle> {
        drop(task);
        Err(NoResultHandle)
    }

    /// Stops the pool after its queued work, joining its threads where the pool can.
    fn shutdown(self);
}

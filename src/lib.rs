//! **threadteam**: a well-behaved team of threads (or RTOS tasks) to run work on.
//!
//! # Where things are
//!
//! The top level is what a program on an operating system uses (the `std` feature, on by
//! default): [`Pool`] (adaptive, no start step), [`ThreadPool`] (Twisted's start/stop
//! lifecycle), [`JoinHandle`] and [`TaskError`] for results, [`scope`] for borrowing work,
//! [`SubmitError`] and [`AlreadyQuit`] for refusals, [`GrowthPolicy`] for sizing, and
//! [`pool()`] (Twisted's `pool(currentLimit, threadFactory)`, the [`StdTeam`] itself). Every
//! error type is `Send + Sync + 'static`, so `?` takes it into `anyhow::Error` or
//! `Box<dyn Error + Send + Sync>`.
//!
//! The generic pieces, for tests that drive a Team step by step, for firmware and for ports,
//! are in modules:
//!
//! | module | what is in it |
//! |---|---|
//! | [`team`] | the [`Team`](team::Team) and its [`TeamBuilder`](team::TeamBuilder), [`TeamSlot`](team::TeamSlot) for a Team without an allocator, storage ([`Fixed`](team::Fixed), `Growable`), thread Teams over any thread factory (`ThreadTeamBuilder`, the generic `pool`), the fast lane ([`team::bypass`]) |
//! | [`workers`] | [`Work`](workers::Work), [`FnWork`](workers::FnWork), [`LockWorker`](workers::LockWorker), [`MemoryWorker`](workers::MemoryWorker), `ThreadWorker`, [`Quit`](workers::Quit) |
//! | [`port`] | what a platform provides: [`ThreadFactory`](port::ThreadFactory), [`Signal`](port::Signal), [`RawLock`](port::RawLock), [`Clock`](port::Clock), and the implementations shipped |
//! | [`policy`] | what [`GrowthPolicy`] decides from ([`Observation`](policy::Observation)), and a [`ManualClock`](policy::ManualClock) for tests |
//!
//! The same pieces are the `threadteam-core` crate (with the same module paths), for a
//! program that wants the `no_std` core alone.
#![doc = include_str!("../README.md")]
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
// The crate docs (this page's overview and the README) describe every build and link to the
// std pools and task handles; a build without `std` (or `alloc`) has no such items, so those
// links have nothing to point at there. docs.rs builds with every feature.
#![cfg_attr(not(all(feature = "std", feature = "alloc")), allow(rustdoc::broken_intra_doc_links))]

#[cfg(feature = "std")]
extern crate std;

pub use threadteam_core::{policy, team};
pub use threadteam_core::{AlreadyQuit, ExclusiveWorker, Failure, GrowthPolicy, Refused, SubmitError, Worker};
#[cfg(feature = "alloc")]
pub use threadteam_core::{JoinHandle, TaskError};
#[cfg(feature = "std")]
pub use threadteam_std::{
    default_panic_hook, default_spawn_error_hook, pool, scope, Pool, PoolBuilder, PoolStatistics, Scope,
    ScopedJoinHandle, SpawnError, StdTeam, StdThreadFactory, ThreadPool, ThreadPoolBuilder,
};

/// Workers and what they run: the [`Work`](workers::Work) trait, [`FnWork`](workers::FnWork)
/// (work without an allocator) and `BoxedWork` (a boxed closure);
/// [`LockWorker`](workers::LockWorker), which runs work in the caller under a lock (a Team's
/// usual coordinator); [`MemoryWorker`](workers::MemoryWorker) and `create_memory_worker`,
/// which record work until a test performs it; `ThreadWorker`, one thread and a queue;
/// [`Quit`](workers::Quit), the one-shot flag. With `std`, `StdThreadWorker` and
/// `thread_worker()`: a worker on an OS thread of its own.
///
/// Every worker implements [`Worker`]; a Team's coordinator is also an [`ExclusiveWorker`].
pub mod workers {
    pub use threadteam_core::workers::*;
    #[cfg(feature = "std")]
    pub use threadteam_std::{thread_worker, StdThreadWorker};
}

/// The platform seam: what a port to an operating system or RTOS implements
/// ([`ThreadFactory`](port::ThreadFactory), [`Signal`](port::Signal), a
/// [`RawLock`](port::RawLock) if [`CriticalSectionLock`](port::CriticalSectionLock) does not
/// suit, a [`Clock`](port::Clock) for adaptive sizing), and the implementations shipped:
/// with `std`, the OS's `StdSignal`, `StdClock` and `StdLock` ([`StdThreadFactory`] is at
/// the top level, next to [`pool()`] and [`PoolBuilder::thread_factory`], which take one).
/// The README's "Porting to another RTOS" has the contract.
pub mod port {
    pub use threadteam_core::port::*;
    #[cfg(feature = "std")]
    pub use threadteam_std::{StdClock, StdSignal};
}

/// The FreeRTOS backend (feature `freertos`): [`threadteam_freertos`], re-exported whole.
///
/// ```no_run
/// use threadteam::freertos::{kernel, TaskWorker};
/// use threadteam::workers::FnWork;
/// use threadteam::Worker;
///
/// static MAIN: TaskWorker<FnWork, 1> = TaskWorker::new();
/// fn app(_: usize) { /* build Teams, submit work */ }
/// MAIN.start("main", 2).unwrap().submit(FnWork::new(app, 0)).unwrap();
/// kernel::start_scheduler();
/// ```
#[cfg(feature = "freertos")]
pub use threadteam_freertos as freertos;

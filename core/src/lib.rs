//! The `no_std` core of **threadteam**: a Rust re-design of Twisted's `twisted._threads`.
//!
//! Everything that decides *what* runs *where* lives here, written once, with no threads
//! and no allocator required. Most programs use it through the `threadteam` crate, which
//! adds OS threads and a ready-made pool and has the same module paths; examples here are
//! written as `threadteam::...`, with a hidden `use threadteam_core as threadteam;`.
//!
//! | where | what |
//! |---|---|
//! | the top level | [`Worker`], [`ExclusiveWorker`]: accept work (`submit`, Twisted's `do`) and [`quit`](Worker::quit); [`SubmitError`] (holding the work in a [`Refused`]) and [`AlreadyQuit`]: refusals that hand the work back; [`GrowthPolicy`]: how a Team is sized; [`Failure`]: a panic in work; `JoinHandle`, `TaskError` (with `alloc`): a spawned closure's result, on any executor |
//! | [`team`] | the [`Team`](team::Team) (idle workers, busy workers, a FIFO backlog behind one coordinator; the module has the state table), [`TeamBuilder`](team::TeamBuilder), [`TeamSlot`](team::TeamSlot) and [`Fixed`](team::Fixed) storage for a Team without an allocator; with `alloc`, thread Teams over any [`ThreadFactory`](port::ThreadFactory) (`ThreadTeamBuilder`, Twisted's `pool`) and the type aliases `HeapTeam`, `MemoryTeam` |
//! | [`workers`] | [`Work`](workers::Work) and [`FnWork`](workers::FnWork); [`LockWorker`](workers::LockWorker), which runs work in the caller under a lock; [`MemoryWorker`](workers::MemoryWorker), which records work until a test performs it; [`Quit`](workers::Quit); with `alloc`, `ThreadWorker` and `BoxedWork` |
//! | [`port`] | the seam a platform implements: [`ThreadFactory`](port::ThreadFactory), [`Signal`](port::Signal), [`RawLock`](port::RawLock), [`Clock`](port::Clock), and [`CriticalSectionLock`](port::CriticalSectionLock) |
//! | [`policy`] | what a [`GrowthPolicy`] decides from ([`Observation`](policy::Observation)), and a [`ManualClock`](policy::ManualClock) for tests |
//!
//! # Storage modes
//!
//! With neither `alloc` nor `std`, every queue is a [`heapless`] structure whose capacity is a
//! const generic ([`Fixed`](team::Fixed)), and a full queue hands the work back
//! ([`SubmitError::BacklogFull`]). With `alloc`, `Growable` storage grows as needed and
//! `BoxedWork` (a boxed `FnOnce`) is the usual work type. The state machine is the same
//! code in both modes. A Team without an allocator lives in a `static`
//! ([`TeamBuilder::build_static`](team::TeamBuilder::build_static)).
//!
//! # Interrupt handlers and priorities
//!
//! Firmware submits work from interrupt handlers and runs its tasks at different
//! priorities. The core never *waits* for something that a context it preempted could be
//! holding (a spinning waiter would keep that context from ever running again): its short
//! internal sections are `critical_section` sections without `std` (interrupts off for a
//! few instructions, on a single core), a Team's state belongs to whoever runs its
//! coordinator's pass and is never waited for, and everything else is atomics. Tasks at any
//! priorities may therefore share a Team. What remains is the platform's part: which
//! context may take the coordinator's lock, and which of the platform's calls work in an
//! interrupt handler.
//!
//! | call | from an interrupt handler |
//! |---|---|
//! | [`Team::submit`](Worker::submit) | **yes, never blocks.** A full fixed backlog (or coordinator queue) hands the work back ([`SubmitError::BacklogFull`]). Where the pass runs depends on the coordinator: under a [`LockWorker`](crate::workers::LockWorker) with a [`CriticalSectionLock`](crate::port::CriticalSectionLock), in the handler (so its workers' `submit` and `create_worker` must work there); under a coordinator with a task of its own, in that task (the handler only queues the event); under a [`LockWorker`](crate::workers::LockWorker) whose lock the handler may not take, in the lock's holder (see [`LockWorker`](crate::workers::LockWorker)). |
//! | [`Team::quit`](Worker::quit), [`grow`](crate::team::Team::grow), [`shrink`](crate::team::Team::shrink), [`pump`](crate::team::Team::pump), [`tick`](crate::team::Team::tick), [`set_policy`](crate::team::Team::set_policy) | yes, on the same terms as `submit` (a pass may create or quit workers) |
//! | [`Team::statistics`](crate::team::Team::statistics), [`is_quit`](crate::team::Team::is_quit), [`is_finished`](crate::team::Team::is_finished), [`next_deadline`](crate::team::Team::next_deadline), [`policy`](crate::team::Team::policy) | yes: atomics and short sections |
//! | [`Team::reclaim`](crate::team::Team::reclaim), [`cancel_backlogged`](crate::team::Team::cancel_backlogged) | yes; `None` if a pass it preempted holds the Team's state |
//! | [`MemoryWorker`](crate::workers::MemoryWorker): `submit`, `quit`, `pending`, `is_quit`, `perform` | yes (`perform` runs the item in the caller) |
//! | [`LockWorker::submit`](Worker::submit) | yes: runs the item there, or defers it to the lock's holder |
//! | [`Quit`](crate::workers::Quit), [`ManualClock`](crate::policy::ManualClock), [`Statistics`](crate::team::Statistics) | yes |
//! | `ThreadWorker`, `Team::spawn`, `JoinHandle` (`alloc`) | only where the allocator may be called from a handler (they allocate) and the [`Signal`](crate::port::Signal) can be notified there |
//! | [`TeamBuilder`](crate::team::TeamBuilder) | at start-up, from thread context |
//!
//! A port that feeds a Team from interrupts provides a `critical-section` implementation
//! that masks those interrupts, a [`Signal`](crate::port::Signal) whose `notify` works in a handler, a
//! [`RawLock`](crate::port::RawLock) that answers `Err` at once in a handler if it cannot be taken there, and a
//! [`ThreadFactory`](crate::port::ThreadFactory) that returns an error there if threads cannot be started.
//!
//! # Features
//!
//! - `alloc`: boxed work, growable storage, thread Teams (`ThreadWorker`, `ThreadTeamBuilder`, `pool()`), task handles.
//!   It needs `alloc::sync::Arc`, so compare-and-swap: not on Cortex-M0 (`thumbv6m`), where
//!   the no-alloc configuration runs.
//! - `std` (implies `alloc`): panics in work are caught and reported, `StdLock`, the
//!   Team's fast lane (`Ring`).
//! - `tracing` (implies `std`): `Team::spawn`ed work runs inside the `tracing` span that was
//!   current where it was spawned.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
// `threadteam_loom` is the model tests' cfg, not something a user turns on: no badges for it.
#![cfg_attr(docsrs, doc(auto_cfg(hide(threadteam_loom))))]
#![forbid(unsafe_code)]
// Links spell out the public paths (`[`Team`](crate::team::Team)`), which rustdoc calls
// redundant where the short name is in scope too; the paths are what a reader sees.
#![allow(rustdoc::redundant_explicit_links)]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core, clippy::std_instead_of_alloc)]

#[cfg(feature = "alloc")]
extern crate alloc;

// `alloc::sync::Arc` exists only where the target has compare-and-swap.
#[cfg(all(feature = "alloc", not(target_has_atomic = "ptr")))]
compile_error!(
    "threadteam-core's `alloc` feature needs `alloc::sync::Arc`, which this target (no \
     compare-and-swap, e.g. Cortex-M0) lacks: use the no-alloc configuration (`Fixed` storage, \
     `FnWork`, a `TeamSlot`), which runs there."
);
#[cfg(feature = "std")]
extern crate std;

// The host tests' critical-section implementation: the core needs one and provides none
// (firmware links its RTOS's or its chip's).
#[cfg(test)]
use threadteam_critical_section_std as _;

mod error;
mod factory;
mod lock;
mod lock_worker;
mod memory;
pub mod policy;
mod quit;
mod storage;
mod sync;
pub mod team;
mod work;
mod worker;

#[cfg(feature = "alloc")]
mod pool;
#[cfg(feature = "alloc")]
mod task;
// Public (out of the docs) for the backends, which drop user values the same way.
#[doc(hidden)]
pub mod unwind;

pub use error::{AlreadyQuit, Refused, SubmitError};
pub use policy::GrowthPolicy;
#[cfg(feature = "alloc")]
pub use task::{JoinHandle, TaskError};
pub use team::failure::Failure;
pub use worker::{ExclusiveWorker, Worker};

/// Workers and what they run: the [`Work`](crate::workers::Work) trait and its no-alloc and boxed forms,
/// [`LockWorker`](crate::workers::LockWorker) (a coordinator that runs work in the caller under a lock),
/// [`MemoryWorker`](crate::workers::MemoryWorker) (records work until a test performs it), the one-shot [`Quit`](crate::workers::Quit) flag
/// and, with `alloc`, the thread-backed `ThreadWorker`.
///
/// Every worker implements [`Worker`](crate::Worker); a Team's coordinator must also be an
/// [`ExclusiveWorker`](crate::ExclusiveWorker).
pub mod workers {
    pub use crate::lock_worker::LockWorker;
    pub use crate::memory::MemoryWorker;
    #[cfg(feature = "alloc")]
    pub use crate::memory::{create_memory_worker, Perform};
    #[cfg(feature = "alloc")]
    pub use crate::pool::ThreadWorker;
    pub use crate::quit::Quit;
    #[cfg(feature = "alloc")]
    pub use crate::work::BoxedWork;
    pub use crate::work::{FnWork, Work};
}

/// The platform seam: what a port to an operating system or RTOS implements
/// ([`ThreadFactory`](crate::port::ThreadFactory), [`Signal`](crate::port::Signal), a [`RawLock`](crate::port::RawLock) if [`CriticalSectionLock`](crate::port::CriticalSectionLock) does not suit,
/// a [`Clock`](crate::port::Clock) for adaptive sizing), and the implementations the core ships. The std
/// backend adds OS threads, a signal and a clock. The README's "Porting to another RTOS"
/// has the contract; `examples/port_sketch.rs` implements it for a toy kernel.
pub mod port {
    pub use crate::factory::{Clock, Signal, ThreadFactory};
    #[cfg(feature = "std")]
    pub use crate::lock::StdLock;
    pub use crate::lock::{CriticalSectionLock, RawLock};
    pub use crate::CRITICAL_SECTIONS;
}

// The crate's own short paths to the items the public modules above place (`crate::Work`,
// `crate::Team`): not public, so users meet each item under one name.
pub(crate) use policy::Observation;
pub(crate) use port::*;
#[cfg(feature = "std")]
pub(crate) use team::bypass::Ring;
pub(crate) use team::bypass::{Lane, NoLane};
#[cfg(feature = "alloc")]
pub(crate) use team::Growable;
#[cfg(feature = "alloc")]
pub(crate) use team::{Coordinate, Job, Statistics, Team, TeamBuilder};
pub(crate) use team::{Queue, Seq, Storage};
pub(crate) use workers::*;

/// Whether this build of the core keeps its short internal sections in `critical-section`
/// sections: without `std`, yes (interrupt handlers and tasks of any priority may share a
/// Team); with `std` they are locks that end up sleeping while they wait, which a program
/// with interrupt handlers or an RTOS scheduler must not rely on. A build of an RTOS port
/// can check it, since a workspace build may turn `std` on through feature unification.
///
/// ```
/// assert_eq!(threadteam_core::CRITICAL_SECTIONS, !cfg!(feature = "std"));
/// ```
pub const CRITICAL_SECTIONS: bool = !cfg!(feature = "std");

//! The `no_std` core of **threadteam**: a Rust re-design of Twisted's `twisted._threads`.
//!
//! Everything that decides *what* runs *where* lives here, written once, with no threads
//! and no allocator required:
//!
//! | piece | what it is |
//! |---|---|
//! | [`Worker`], [`ExclusiveWorker`] | accept work (`submit`, Twisted's `do`) and [`quit`](Worker::quit) |
//! | [`SubmitError`], [`AlreadyQuit`] | refusals that hand the work back: nothing is silently dropped |
//! | [`Quit`] | the one-shot quit flag |
//! | [`LockWorker`] | runs work in the caller's thread under a [`RawLock`]; re-entrant work is queued, never nested |
//! | [`MemoryWorker`] / `create_memory_worker` | records work; `perform` runs one item, for deterministic tests |
//! | [`Team`] | idle workers, busy workers and a FIFO backlog behind one coordinator ([`team`] has the state table) |
//! | [`ThreadFactory`], [`Signal`] | the seam a platform backend implements (std threads, RTOS tasks) |
//! | `ThreadWorker`, `pool` | (with `alloc`) one thread and a queue; a Team of them capped by a limit function |
//! | [`GrowthPolicy`], [`Clock`] | ([`policy`]) how a Team is sized: a hard cap, or no cap with growth paced beyond a burst and idle workers ageing out |
//! | `Team::spawn`, `JoinHandle`, `TaskError` | (with `alloc`) run a closure, await its result on any executor, cancel it while queued |
//!
//! # Storage modes
//!
//! With neither `alloc` nor `std`, every queue is a [`heapless`] structure whose capacity is a
//! const generic ([`Fixed`]), and a full queue hands the work back
//! ([`SubmitError::BacklogFull`]). With `alloc`, [`Growable`] storage grows as needed and
//! [`BoxedWork`] (a boxed `FnOnce`) is the usual work type. The state machine is the same
//! code in both modes.
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
//! | [`Team::submit`](Worker::submit) | **yes, never blocks.** A full fixed backlog (or coordinator queue) hands the work back ([`SubmitError::BacklogFull`]). Where the pass runs depends on the coordinator: under a [`LockWorker`] with a [`CriticalSectionLock`], in the handler (so its workers' `submit` and `create_worker` must work there); under a coordinator with a task of its own, in that task (the handler only queues the event); under a [`LockWorker`] whose lock the handler may not take, in the lock's holder (see [`LockWorker`]). |
//! | [`Team::quit`](Worker::quit), [`grow`](Team::grow), [`shrink`](Team::shrink), [`pump`](Team::pump), [`tick`](Team::tick), [`set_policy`](Team::set_policy) | yes, on the same terms as `submit` (a pass may create or quit workers) |
//! | [`Team::statistics`], [`is_quit`](Team::is_quit), [`is_finished`](Team::is_finished), [`next_deadline`](Team::next_deadline), [`policy`](Team::policy) | yes: atomics and short sections |
//! | [`Team::reclaim`], [`cancel_backlogged`](Team::cancel_backlogged) | yes; `None` if a pass it preempted holds the Team's state |
//! | [`MemoryWorker`]: `submit`, `quit`, `pending`, `is_quit`, `perform` | yes (`perform` runs the item in the caller) |
//! | [`LockWorker::submit`](Worker::submit) | yes: runs the item there, or defers it to the lock's holder |
//! | [`Quit`], [`ManualClock`], [`Statistics`] | yes |
//! | `ThreadWorker`, `Team::spawn`, `JoinHandle` (`alloc`) | only where the allocator may be called from a handler (they allocate) and the [`Signal`] can be notified there |
//! | [`TeamBuilder`] | at start-up, from thread context |
//!
//! A port that feeds a Team from interrupts provides a `critical-section` implementation
//! that masks those interrupts, a [`Signal`] whose `notify` works in a handler, a
//! [`RawLock`] that answers `Err` at once in a handler if it cannot be taken there, and a
//! [`ThreadFactory`] that returns an error there if threads cannot be started.
//!
//! # Features
//!
//! - `alloc`: boxed work, growable storage, thread pools ([`pool`](mod@pool): `ThreadWorker`, `ThreadTeamBuilder`, `pool()`), task handles.
//!   It needs `alloc::sync::Arc`, so compare-and-swap: not on Cortex-M0 (`thumbv6m`), where
//!   the no-alloc configuration runs.
//! - `std` (implies `alloc`): panics in work are caught and reported, [`StdLock`], the
//!   Team's fast lane (`Ring`).
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
// `threadteam_loom` is the model tests' cfg, not something a user turns on: no badges for it.
#![cfg_attr(docsrs, doc(auto_cfg(hide(threadteam_loom))))]
#![forbid(unsafe_code)]
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
pub mod pool;
#[cfg(feature = "alloc")]
pub mod task;

pub use error::{AlreadyQuit, SubmitError};
pub use factory::{Signal, ThreadFactory};
#[cfg(feature = "std")]
pub use lock::StdLock;
pub use lock::{CriticalSectionLock, RawLock};
pub use lock_worker::LockWorker;
pub use memory::MemoryWorker;
#[cfg(feature = "alloc")]
pub use memory::{create_memory_worker, Perform};
pub use policy::{Clock, GrowthPolicy, ManualClock, Observation};
#[cfg(feature = "alloc")]
pub use pool::{pool, StartedThreadTeam, ThreadTeam, ThreadTeamBuilder, ThreadWorker};
pub use quit::Quit;
#[cfg(feature = "alloc")]
pub use storage::Growable;
pub use storage::{Fixed, Queue, Seq, Storage};
#[cfg(feature = "alloc")]
pub use task::{JoinHandle, TaskError};
#[cfg(feature = "std")]
pub use team::bypass::Ring;
pub use team::bypass::{Lane, NoLane, BYPASS_BUDGET};
pub use team::{
    Backlogged, CallerLock, Coordinate, DefaultLock, Failure, Job, Statistics, Team, TeamBuilder, TeamSlot, WorkerId,
};
#[cfg(feature = "alloc")]
pub use work::BoxedWork;
pub use work::{FnWork, Work};
pub use worker::{ExclusiveWorker, Worker};

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

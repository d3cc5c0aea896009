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
//! | [`GrowthPolicy`], [`Clock`], [`Pacing`], `adaptive_pool` | ([`policy`]) no hard cap: burst, then one new worker per interval while work waits; idle workers age out |
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
//! # Features
//!
//! - `alloc`: boxed work, growable storage, `ThreadWorker`, `pool()`, `adaptive_pool()`, task handles.
//! - `std` (implies `alloc`): panics in work are caught and reported, [`StdLock`].
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core, clippy::std_instead_of_alloc)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod error;
mod factory;
mod lane;
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
mod adaptive;
#[cfg(feature = "alloc")]
mod launch;
#[cfg(feature = "alloc")]
mod pool;
#[cfg(feature = "alloc")]
pub mod task;
#[cfg(feature = "alloc")]
mod thread_worker;

#[cfg(feature = "alloc")]
pub use adaptive::{adaptive_pool, PacedPool};
pub use error::{AlreadyQuit, SubmitError};
pub use factory::{Signal, ThreadFactory};
#[cfg(feature = "alloc")]
pub use lane::Ring;
pub use lane::{Lane, NoLane, BYPASS_BUDGET};
#[cfg(feature = "std")]
pub use lock::StdLock;
pub use lock::{CriticalSectionLock, RawLock};
pub use lock_worker::LockWorker;
pub use memory::MemoryWorker;
#[cfg(feature = "alloc")]
pub use memory::{create_memory_worker, Perform};
pub use policy::{Clock, GrowthPolicy, ManualClock, Observation, Pacing};
#[cfg(feature = "alloc")]
pub use pool::{pool, Pool};
pub use quit::Quit;
#[cfg(feature = "alloc")]
pub use storage::Growable;
pub use storage::{Fixed, Queue, Seq, Storage};
#[cfg(feature = "alloc")]
pub use task::{JoinHandle, TaskError};
pub use team::{Backlogged, Coordinate, Failure, Job, Statistics, Team, TeamSlot, WorkerId};
#[cfg(feature = "alloc")]
pub use thread_worker::ThreadWorker;
#[cfg(feature = "alloc")]
pub use work::BoxedWork;
pub use work::{FnWork, Work};
pub use worker::{ExclusiveWorker, Worker};

//! The std backend of threadteam: OS threads for the `no_std` core, and [`scope`]d work.
//!
//! | piece | what it is |
//! |---|---|
//! | [`StdThreadFactory`] | starts named OS threads with a chosen stack size; a refused spawn is a [`SpawnError`] |
//! | [`StdSignal`] | the wait/wake primitive idle threads sleep on |
//! | [`StdThreadWorker`], [`thread_worker`] | one OS thread and a FIFO queue (Twisted's `ThreadWorker`) |
//! | [`Pool`], [`PoolBuilder`] | the std thread pool: adaptive by default (threads come when work waits, go when they idle), or hard-capped, or sized by a limit function |
//! | [`ThreadPool`] | Twisted's `threadpool.ThreadPool` (start / stop / resize) as a thin layer over a [`Pool`] |
//! | [`pool()`], [`StdTeam`] | Twisted's `pool(currentLimit, threadFactory)`: the Team itself |
//! | [`default_panic_hook`], [`default_spawn_error_hook`] | where panics in work and refused spawns are reported by default |
//! | [`scope`], [`Scope`], [`ScopedJoinHandle`] | work that borrows from the caller's stack (like `std::thread::scope`) |
//!
//! ```
//! use threadteam_std::ThreadPool;
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use std::sync::Arc;
//!
//! let pool = ThreadPool::new(2, 8);
//! pool.start().unwrap();
//! let done = Arc::new(AtomicUsize::new(0));
//! for _ in 0..100 {
//!     let done = Arc::clone(&done);
//!     pool.call_in_thread(move || {
//!         done.fetch_add(1, Ordering::Relaxed);
//!     })
//!     .unwrap();
//! }
//! pool.stop(); // the backlog drains, then every thread is joined
//! assert_eq!(done.load(Ordering::Relaxed), 100);
//! assert_eq!(pool.statistics().threads_running, 0);
//! ```
//!
//! # Features
//!
//! - `log`: report panics in work and refused spawns through the `log` crate
//!   (target `threadteam`) instead of stderr.
//!
//! # Unsafe code
//!
//! The only `unsafe` code is in the scope module (erasing a scoped closure's lifetime; see
//! its `SAFETY` comments); everything else is checked by `deny(unsafe_code)`.
#![deny(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod clock;
mod factory;
mod pool;
mod report;
mod scope;
mod signal;
mod thread_pool;
mod thread_worker;

pub use clock::StdClock;
pub use factory::{SpawnError, StdThreadFactory};
pub use pool::{pool, Pool, PoolBuilder, PoolStatistics, StdTeam};
pub use report::{default_panic_hook, default_spawn_error_hook};
pub use scope::{scope, Scope, ScopedJoinHandle};
pub use signal::StdSignal;
pub use thread_pool::{ThreadPool, ThreadPoolBuilder};
pub use thread_worker::{thread_worker, StdThreadWorker};

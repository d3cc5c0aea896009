//! **threadteam**: a well-behaved team of threads (or RTOS tasks) to run work on.
//!
//! This facade re-exports the `no_std` core ([`threadteam_core`]), with the `std` feature
//! (on by default) the std backend ([`threadteam_std`]), and with the `freertos` feature the
//! FreeRTOS backend as `threadteam::freertos`.
#![doc = include_str!("../README.md")]
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

#[cfg(feature = "std")]
extern crate std;

pub use threadteam_core::*;

#[cfg(feature = "std")]
pub use threadteam_std::*;

// Both crates have a `pool`. The name keeps the core's generic signature under every
// feature set (features must be additive); the std flavour is `std_pool`.
#[cfg(feature = "alloc")]
pub use threadteam_core::pool;
#[cfg(feature = "std")]
pub use threadteam_std::pool as std_pool;

/// The FreeRTOS backend (feature `freertos`): [`threadteam_freertos`], re-exported whole.
///
/// ```no_run
/// use threadteam::freertos::{kernel, TaskWorker};
/// use threadteam::{FnWork, Worker};
///
/// static MAIN: TaskWorker<FnWork, 1> = TaskWorker::new();
/// fn app(_: usize) { /* build Teams, submit work */ }
/// MAIN.start("main", 2).unwrap().submit(FnWork::new(app, 0)).unwrap();
/// kernel::start_scheduler();
/// ```
#[cfg(feature = "freertos")]
pub use threadteam_freertos as freertos;

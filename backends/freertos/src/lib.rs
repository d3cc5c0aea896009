//! The FreeRTOS backend of threadteam: FreeRTOS tasks as workers.
//!
//! It implements the porting surface of [`threadteam_core`] for FreeRTOS (through
//! [`freertos_next`], which bundles the FreeRTOS V11.2.0 kernel):
//!
//! | core seam | here | FreeRTOS object |
//! |---|---|---|
//! | [`ThreadFactory`](threadteam_core::ThreadFactory) | [`FreeRtosThreadFactory`] | a task (name, stack depth in words, priority) |
//! | [`Signal`](threadteam_core::Signal) | [`FreeRtosSignal`] | a binary semaphore |
//! | [`RawLock`](threadteam_core::RawLock) | [`FreeRtosLock`] | a mutex (priority inheritance) plus the owning task's handle |
//! | a clock for adaptive policies | [`FreeRtosClock`] | the tick count |
//!
//! Two configurations:
//!
//! - **alloc** (feature `alloc`, default): [`pool()`] makes a Team of the core's
//!   [`ThreadWorker`](threadteam_core::ThreadWorker)s, each a FreeRTOS task sleeping on a
//!   [`FreeRtosSignal`], coordinated under a [`FreeRtosLock`]; work is boxed closures.
//! - **no-alloc**: threadteam-core without `alloc`. A Team lives in a static
//!   [`TeamSlot`](threadteam_core::TeamSlot) with [`Fixed`](threadteam_core::Fixed) capacities;
//!   each worker is a static [`TaskWorker`] (a fixed inbox and a task that sleeps on its task
//!   notification); work is [`FnWork`](threadteam_core::FnWork) or your own enum.
//!
//! # Rules on FreeRTOS
//!
//! - Call FreeRTOS (and therefore every type here) **only from FreeRTOS tasks**.
//! - Run every task that submits to, coordinates or works for a Team at the **same
//!   priority**, with time slicing on (FreeRTOS's default). The core guards its short
//!   internal sections with a spin lock; a task spinning on it while a *lower*-priority
//!   holder is preempted would spin forever. At equal priority the holder gets the next time
//!   slice.
//! - A panic in a task cannot unwind into the kernel's C frames: it aborts the program.
//!   (Without `std`, threadteam-core does not catch panics in work either.)
//!
//! # Building
//!
//! This package's `build.rs` compiles the kernel with its **POSIX port** with the host C
//! compiler, so it runs on Linux/macOS hosts, for tests. On a microcontroller, build the
//! same Rust code against your port (freertos-build's Cortex-M ports) and drop the
//! POSIX-only glue; `freertos/glue.c`'s task trampoline is plain FreeRTOS C.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;

mod clock;
mod ffi;
mod lock;
mod signal;
mod task;
mod task_worker;

#[cfg(feature = "alloc")]
mod pool;

pub use clock::FreeRtosClock;
pub use lock::FreeRtosLock;
#[cfg(feature = "alloc")]
pub use pool::{pool, FreeRtosPool};
pub use signal::FreeRtosSignal;
pub use task::{spawn, FreeRtosThreadFactory, SpawnError, TaskId};
pub use task_worker::TaskWorker;

/// The `freertos-next` crate this backend is built on (scheduler start, delays, semaphores).
pub use freertos_next;

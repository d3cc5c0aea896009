//! The FreeRTOS backend of threadteam: FreeRTOS tasks as workers, on the host (POSIX port,
//! for tests) and on Cortex-M microcontrollers.
//!
//! It implements the porting surface of [`threadteam_core`] for the FreeRTOS V11.2.0 kernel
//! (bundled in `freertos-next`, which `build.rs` compiles through `freertos-build`):
//!
//! | core seam | here | FreeRTOS object |
//! |---|---|---|
//! | [`ThreadFactory`](threadteam_core::port::ThreadFactory) | [`FreeRtosThreadFactory`] (`alloc`) | a task from the FreeRTOS heap (name, stack depth in words, priority) |
//! | a static worker | [`TaskWorker`] | a task in static memory (`xTaskCreateStatic`) with a fixed inbox, sleeping on its task notification |
//! | [`Signal`](threadteam_core::port::Signal) | [`FreeRtosSignal`] | a binary semaphore in static memory |
//! | [`RawLock`](threadteam_core::port::RawLock) | [`FreeRtosLock`] | a mutex in static memory (priority inheritance) plus the owning task's handle |
//! | [`Clock`](threadteam_core::port::Clock) | [`FreeRtosClock`] | the tick count |
//! | `critical-section` | feature `critical-section-impl` (default) | `taskENTER_CRITICAL`, `taskENTER_CRITICAL_FROM_ISR` in interrupt handlers |
//!
//! Two configurations:
//!
//! - **alloc** (feature `alloc`, default): [`pool()`] makes a Team of the core's
//!   [`ThreadWorker`](threadteam_core::workers::ThreadWorker)s, each a task from the FreeRTOS heap
//!   sleeping on a [`FreeRtosSignal`], coordinated under a [`FreeRtosLock`]; work is boxed
//!   closures. The program needs a `#[global_allocator]` (e.g. freertos-next's
//!   `FreeRtosAllocator`, which allocates from the FreeRTOS heap).
//! - **no-alloc**: no allocator at all, neither Rust's nor FreeRTOS's (the kernel is built
//!   with `configSUPPORT_DYNAMIC_ALLOCATION 0`). A Team lives in a static
//!   [`TeamSlot`](threadteam_core::team::TeamSlot) with [`Fixed`](threadteam_core::team::Fixed) capacities;
//!   each worker is a static [`TaskWorker`]; the lock and signals are statics too; work is
//!   [`FnWork`](threadteam_core::workers::FnWork) or your own enum.
//!
//! # Rules on FreeRTOS
//!
//! - Tasks of **any priorities** may submit to, coordinate and work for a Team: the core's
//!   short internal sections are `critical-section` sections, which on FreeRTOS mask the
//!   scheduler and the interrupts that may use FreeRTOS, and the coordinator's lock is a
//!   mutex with priority inheritance.
//! - **Interrupt handlers** may submit to a Team, quit it, and notify a [`FreeRtosSignal`],
//!   if their NVIC priority lets them call FreeRTOS (numerically at or above
//!   `configMAX_SYSCALL_INTERRUPT_PRIORITY`, `0xa0` here). Nothing blocks there: a task
//!   worker is woken with `xTaskNotifyFromISR`, a worker that would have to be created is
//!   created later by a task ([`SpawnError::InInterrupt`]), and a lock coordinator hands the
//!   item to its holder. Coordinate a Team fed from interrupts with a [`TaskWorker`].
//! - Everything else (`wait`, starting tasks, the lock) belongs to tasks.
//! - A panic in a task cannot unwind into the kernel's C frames: it aborts the program.
//!   (Without `std`, threadteam-core does not catch panics in work either.) A task that
//!   overflows its stack panics too, at the next task switch (`configCHECK_FOR_STACK_OVERFLOW 2`).
//! - `TeamBuilder::build_static` builds the Team on the caller's stack and then moves it
//!   into its slot: call it before the scheduler starts (on the main stack), or from a task whose
//!   stack has room for about twice the Team (a [`TaskWorker`]'s is 2 KiB by default).
//!
//! # Building
//!
//! `build.rs` compiles the kernel for the target: the POSIX port with the host C compiler on
//! Linux hosts (the tests), the Cortex-M ports with `arm-none-eabi-gcc` on `thumbv7m-none-eabi`
//! (`GCC/ARM_CM3`) and `thumbv7em-none-eabihf` (`GCC/ARM_CM4F`). On Cortex-M the port's
//! `SVCall`, `PendSV` and `SysTick` handlers carry cortex-m-rt's names, so linking the crate
//! puts them in the vector table; set `THREADTEAM_FREERTOS_CPU_HZ` to the core clock
//! (25 MHz by default) and `THREADTEAM_FREERTOS_HEAP_BYTES` for the alloc configuration's heap
//! (48 KiB by default). `backends/freertos/firmware` runs it on QEMU.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;

mod clock;
#[cfg(feature = "critical-section-impl")]
mod critical;
mod ffi;
pub mod kernel;
mod lock;
mod semaphore;
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
#[cfg(feature = "alloc")]
pub use task::{spawn, FreeRtosThreadFactory};
pub use task::{SpawnError, TaskId};
pub use task_worker::{TaskWorker, DEFAULT_STACK_WORDS};

/// The `freertos-next` crate whose kernel this backend builds: its safe wrappers (queues,
/// semaphores, timers, `FreeRtosAllocator`) work next to this crate's types. Alloc
/// configuration only (freertos-next needs an allocator). Do not turn on its
/// `critical-section-impl` feature next to ours.
#[cfg(feature = "alloc")]
pub use freertos_next;

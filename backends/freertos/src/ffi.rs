//! Our C glue (`freertos/glue.c`) and the kernel objects Rust keeps in its own memory. C
//! types are spelled as the ports spell them (`long`, `unsigned long`): freertos-next's
//! hard-coded 32-bit aliases do not match 64-bit hosts.

use core::cell::UnsafeCell;
use core::ffi::{c_char, c_long, c_ulong, c_void};
use core::mem::MaybeUninit;

include!(concat!(env!("OUT_DIR"), "/sizes.rs"));

/// A task's main as the C trampolines call it.
pub(crate) type TaskMain = extern "C" fn(*mut c_void);

/// What a static task's C trampoline calls: `main(arg)`. Read by the task when it starts,
/// so it lives as long as the task (inside a static `TaskWorker`). `None` (a null pointer to
/// C) until the task is created: all zeros, so a `TaskWorker` in a `static` stays in `.bss`
/// instead of taking its size (stack included) in flash.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) main: Option<TaskMain>,
    pub(crate) arg: *mut c_void,
}

/// Memory for one kernel object (`StaticTask_t`, `StaticSemaphore_t`): the kernel writes it
/// through a raw pointer, Rust never reads it. Aligned for any member the C structures have.
#[repr(C, align(8))]
pub(crate) struct Buffer<const WORDS: usize>(UnsafeCell<MaybeUninit<[usize; WORDS]>>);

impl<const WORDS: usize> Buffer<WORDS> {
    pub(crate) const fn new() -> Self {
        Self(UnsafeCell::new(MaybeUninit::uninit()))
    }

    pub(crate) fn as_ptr(&self) -> *mut c_void {
        self.0.get().cast()
    }
}

// SAFETY: Rust code never reads or writes the contents; only the kernel does, under its own
// synchronisation (critical sections), through the pointer handed to it.
unsafe impl<const WORDS: usize> Sync for Buffer<WORDS> {}

unsafe extern "C" {
    // Interrupt context and critical sections.
    pub(crate) safe fn threadteam_in_isr() -> c_long;
    pub(crate) fn threadteam_enter_critical();
    pub(crate) fn threadteam_exit_critical();
    pub(crate) fn threadteam_enter_critical_from_isr() -> c_ulong;
    pub(crate) fn threadteam_exit_critical_from_isr(saved: c_ulong);

    // Tasks.
    /// Creates a task in the given memory, entering through the C trampoline with `entry`;
    /// null when the stack depth does not fit `configSTACK_DEPTH_TYPE`.
    pub(crate) fn threadteam_task_create_static(
        entry: *const Entry,
        name: *const c_char,
        stack_words: c_ulong,
        stack: *mut usize,
        tcb: *mut c_void,
        priority: c_ulong,
    ) -> *mut c_void;
    /// Creates a task from the FreeRTOS heap entering through the C trampoline: `main(arg)`
    /// runs, returns, and the task deletes itself. 1: created; 0: FreeRTOS heap exhausted;
    /// -1: stack depth too big.
    #[cfg(feature = "alloc")]
    pub(crate) fn threadteam_task_create(
        main: TaskMain,
        arg: *mut c_void,
        name: *const c_char,
        stack_words: c_ulong,
        priority: c_ulong,
        handle: *mut *mut c_void,
    ) -> c_long;
    pub(crate) safe fn threadteam_current_task() -> *mut c_void;
    pub(crate) fn threadteam_task_notify(task: *mut c_void, bits: u32);
    pub(crate) fn threadteam_task_notify_wait(ticks: c_ulong, bits: *mut u32) -> c_long;

    // Semaphores and mutexes.
    pub(crate) fn threadteam_mutex_create_static(buffer: *mut c_void) -> *mut c_void;
    pub(crate) fn threadteam_binary_create_static(buffer: *mut c_void) -> *mut c_void;
    pub(crate) fn threadteam_semaphore_delete(semaphore: *mut c_void);
    pub(crate) fn threadteam_semaphore_take(semaphore: *mut c_void, ticks: c_ulong) -> c_long;
    pub(crate) fn threadteam_semaphore_give(semaphore: *mut c_void);
    pub(crate) fn threadteam_mutex_give(mutex: *mut c_void);

    // Time, scheduler, statistics, configuration.
    pub(crate) fn threadteam_delay(ticks: c_ulong);
    pub(crate) safe fn threadteam_tick_count() -> c_ulong;
    pub(crate) safe fn threadteam_max_delay() -> c_ulong;
    pub(crate) safe fn threadteam_task_count() -> c_ulong;
    pub(crate) safe fn threadteam_scheduler_started() -> c_long;
    pub(crate) fn threadteam_start_scheduler();
    pub(crate) fn threadteam_stack_high_water_mark() -> c_ulong;
    #[cfg(feature = "alloc")]
    pub(crate) safe fn threadteam_heap_free() -> c_ulong;
    #[cfg(feature = "alloc")]
    pub(crate) safe fn threadteam_heap_min_ever_free() -> c_ulong;
    #[cfg(feature = "alloc")]
    pub(crate) safe fn threadteam_heap_total() -> c_ulong;
    pub(crate) safe fn threadteam_max_priorities() -> c_ulong;
    pub(crate) safe fn threadteam_tick_rate_hz() -> c_ulong;
    pub(crate) safe fn threadteam_tcb_size() -> c_ulong;
    pub(crate) safe fn threadteam_semaphore_size() -> c_ulong;
}

/// A C `unsigned long` as a `u64`: a no-op on 64-bit hosts, a widening on 32-bit ports.
#[allow(clippy::useless_conversion)] // useless only where `c_ulong` is `u64`
pub(crate) fn widen(value: c_ulong) -> u64 {
    u64::from(value)
}

/// A C `unsigned long` as a `u32`, saturating: a no-op on 32-bit ports.
#[allow(clippy::useless_conversion)] // useless only where `c_ulong` is `u32`
pub(crate) fn narrow(value: c_ulong) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// A `u32` as a C `unsigned long`: a no-op on 32-bit ports.
#[allow(clippy::useless_conversion)] // useless only where `c_ulong` is `u32`
pub(crate) fn ulong(value: u32) -> c_ulong {
    c_ulong::from(value)
}

/// Whether the caller runs in an interrupt handler (on the POSIX port: the tick hook).
pub(crate) fn in_isr() -> bool {
    threadteam_in_isr() != 0
}

/// `configASSERT`'s handler: a failed kernel assertion is a bug; report where, as a panic.
#[unsafe(no_mangle)]
extern "C" fn threadteam_freertos_assert_failed(file: *const c_char, line: c_ulong) {
    // SAFETY: the kernel passes `__FILE__`, a NUL-terminated string literal.
    let file = unsafe { core::ffi::CStr::from_ptr(file) };
    panic!("FreeRTOS assertion failed at {}:{line}", file.to_str().unwrap_or("?"));
}

/// The kernel's stack-overflow hook (`configCHECK_FOR_STACK_OVERFLOW 2`, at a task switch):
/// the task's stack has already overflowed, so memory next to it may be corrupt; stop.
#[unsafe(no_mangle)]
extern "C" fn threadteam_freertos_stack_overflow(task_name: *const c_char) {
    // SAFETY: the kernel passes the task's name from its control block, NUL-terminated
    // (configMAX_TASK_NAME_LEN bytes at most).
    let name = unsafe { core::ffi::CStr::from_ptr(task_name) };
    panic!("FreeRTOS task '{}' overflowed its stack", name.to_str().unwrap_or("?"));
}

/// The kernel's tick hook: runs the application's hook, if one is set, in the tick
/// interrupt.
#[unsafe(no_mangle)]
extern "C" fn threadteam_freertos_tick_hook() {
    crate::kernel::run_tick_hook();
}

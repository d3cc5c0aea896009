//! Our C glue (`freertos/glue.c`). C types are spelled as the POSIX port's (`long`,
//! `unsigned long`), which freertos-next's hard-coded 32-bit aliases do not match on 64-bit
//! hosts.

use core::ffi::{c_char, c_long, c_ulong, c_void};

/// A task's main as the C trampoline calls it.
pub(crate) type TaskMain = extern "C" fn(*mut c_void);

unsafe extern "C" {
    /// Creates a task entering through the C trampoline: `main(arg)` runs, returns, and the
    /// task deletes itself. 1: created; 0: FreeRTOS heap exhausted; -1: stack depth too big.
    pub(crate) fn threadteam_task_create(
        main: TaskMain,
        arg: *mut c_void,
        name: *const c_char,
        stack_words: c_ulong,
        priority: c_ulong,
        handle: *mut *mut c_void,
    ) -> c_long;

    /// `configMAX_PRIORITIES`.
    pub(crate) safe fn threadteam_max_priorities() -> c_ulong;

    /// `configTICK_RATE_HZ`.
    pub(crate) safe fn threadteam_tick_rate_hz() -> c_ulong;
}

//! The few kernel services a program around a Team needs, for both configurations (with no
//! allocator, freertos-next's wrappers are not available): starting the scheduler, delays,
//! the tick, task counts, stack and heap figures, and a hook in the tick interrupt.

use core::sync::atomic::{AtomicPtr, Ordering};

use crate::ffi;

/// Starts the FreeRTOS scheduler; on a real kernel it never returns.
///
/// Create the first tasks (a [`TaskWorker`](crate::TaskWorker), or
/// [`spawn`](crate::spawn) with `alloc`) before calling it.
///
/// ```no_run
/// use threadteam_core::{workers::FnWork, Worker};
/// use threadteam_freertos::{kernel, TaskWorker};
///
/// static MAIN: TaskWorker<FnWork, 1> = TaskWorker::new();
/// fn run(_: usize) { /* the application */ }
///
/// MAIN.start("main", 2).unwrap().submit(FnWork::new(run, 0)).unwrap();
/// kernel::start_scheduler();
/// ```
///
/// # Panics
/// If the scheduler returns (it does only when it cannot start, e.g. with no room for the
/// idle task).
pub fn start_scheduler() -> ! {
    // SAFETY: called from the program's main thread, once; the kernel takes over.
    unsafe { ffi::threadteam_start_scheduler() };
    panic!("the FreeRTOS scheduler returned");
}

/// Whether the scheduler has been started.
pub fn scheduler_started() -> bool {
    ffi::threadteam_scheduler_started() != 0
}

/// Blocks the calling task for `ticks` ticks (`vTaskDelay`); 0 yields to tasks of the same
/// priority.
///
/// # Panics
/// In an interrupt handler, where nothing may block.
pub fn delay(ticks: u32) {
    assert!(!ffi::in_isr(), "kernel::delay in an interrupt handler");
    // SAFETY: called from a task (checked above for interrupts; the kernel asserts the rest).
    unsafe { ffi::threadteam_delay(ffi::ulong(ticks)) };
}

/// The tick count (`xTaskGetTickCount`, or its FromISR form in an interrupt handler),
/// truncated to 32 bits. [`FreeRtosClock`](crate::FreeRtosClock) counts its wraps.
pub fn tick_count() -> u32 {
    // Truncation wanted: 32-bit ports wrap there anyway.
    ffi::threadteam_tick_count() as u32
}

/// The tasks that exist (`uxTaskGetNumberOfTasks`), counting the idle task and tasks that
/// have returned but whose memory the idle task has not cleaned up yet.
pub fn task_count() -> usize {
    ffi::threadteam_task_count() as usize
}

/// Whether the caller runs in an interrupt handler (`xPortIsInsideInterrupt`; on the POSIX
/// host port, inside the [tick hook](set_tick_hook)).
pub fn in_interrupt() -> bool {
    ffi::in_isr()
}

/// The calling task's stack high-water mark (`uxTaskGetStackHighWaterMark`): the least
/// stack that has ever been free, in words (`StackType_t`). Its stack size minus this is the
/// most it has used.
///
/// # Panics
/// Outside a task.
pub fn stack_high_water_mark() -> usize {
    assert!(!ffi::in_isr() && !ffi::threadteam_current_task().is_null(), "stack_high_water_mark outside a task");
    // SAFETY: called from a task: it reads the current task's own stack.
    unsafe { ffi::threadteam_stack_high_water_mark() as usize }
}

/// FreeRTOS heap figures (`xPortGetFreeHeapSize`, `xPortGetMinimumEverFreeHeapSize`,
/// `configTOTAL_HEAP_SIZE`), in bytes. Only the alloc configuration has a heap.
///
/// ``` no_run
/// use threadteam_freertos::kernel::{heap_stats, HeapStats};
///
/// let HeapStats { total, free, min_ever_free } = heap_stats();
/// assert!(min_ever_free <= free && free <= total);
/// ```
#[cfg(feature = "alloc")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeapStats {
    /// The heap's size.
    pub total: usize,
    /// Free now.
    pub free: usize,
    /// The least that has ever been free.
    pub min_ever_free: usize,
}

/// The FreeRTOS heap's figures now. (heap_4 sets itself up at the first allocation:
/// until then it reports nothing free.)
///
/// ```no_run
/// let heap = threadteam_freertos::kernel::heap_stats();
/// let peak_use = heap.total - heap.min_ever_free;
/// # let _ = peak_use;
/// ```
#[cfg(feature = "alloc")]
pub fn heap_stats() -> HeapStats {
    HeapStats {
        total: ffi::threadteam_heap_total() as usize,
        free: ffi::threadteam_heap_free() as usize,
        min_ever_free: ffi::threadteam_heap_min_ever_free() as usize,
    }
}

/// Sizes, in bytes, of the kernel objects this backend keeps in static memory:
/// `(StaticTask_t, StaticSemaphore_t)` for this port and configuration.
pub fn static_object_sizes() -> (usize, usize) {
    (ffi::threadteam_tcb_size() as usize, ffi::threadteam_semaphore_size() as usize)
}

static TICK_HOOK: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

/// Runs `hook` in the tick interrupt, at every tick (FreeRTOS's `vApplicationTickHook`),
/// from now on; `None` removes it.
///
/// It runs in interrupt context: it may use only what works there (a Team's `submit` to a
/// task coordinator, [`FreeRtosSignal::notify`](crate::FreeRtosSignal)), must not block, and
/// should be short. On the POSIX host port the tick is the only interrupt there is, so this
/// is how host tests run code in an interrupt handler.
///
/// ```no_run
/// fn every_tick() { /* e.g. submit to a Team coordinated by a task */ }
/// threadteam_freertos::kernel::set_tick_hook(Some(every_tick));
/// ```
pub fn set_tick_hook(hook: Option<fn()>) {
    let raw = hook.map_or(core::ptr::null_mut(), |f| f as *mut ());
    TICK_HOOK.store(raw, Ordering::Release);
}

pub(crate) fn run_tick_hook() {
    let raw = TICK_HOOK.load(Ordering::Acquire);
    if !raw.is_null() {
        // SAFETY: only `set_tick_hook` stores non-null values, each a `fn()` cast to a
        // pointer; function pointers and data pointers have the same size on every target
        // FreeRTOS runs Rust on.
        let hook: fn() = unsafe { core::mem::transmute::<*mut (), fn()>(raw) };
        hook();
    }
}

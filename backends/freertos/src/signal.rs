//! [`FreeRtosSignal`]: what a worker task sleeps on.

use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;

use threadteam_core::port::Signal;

use crate::clock::duration_to_ticks;
use crate::ffi;
use crate::semaphore::{Kind, StaticSemaphore};

/// A [`Signal`] over a FreeRTOS binary semaphore: `notify` gives, `wait` takes.
///
/// A give with no waiter leaves the semaphore full, so a `notify` before the `wait` is not
/// lost, and several leave one token: exactly the binary-semaphore contract of [`Signal`].
/// A waiting task is blocked in the scheduler and costs no CPU.
///
/// `wait` and `wait_timeout` are for tasks. `notify` works from tasks **and from interrupt
/// handlers** (at a priority FreeRTOS allows to call it, see the crate docs): there it
/// gives with `xSemaphoreGiveFromISR` and switches to the woken task on return from the
/// interrupt if that task outranks the interrupted one.
///
/// No allocation: the semaphore lives inside this value (created on first use), so `new`
/// is `const` and a signal can sit in a `static`. Once used it must not move (it panics if
/// it did): keep it in a `static` or an `Arc`.
///
/// ```no_run
/// use threadteam_core::port::Signal;
/// use threadteam_freertos::FreeRtosSignal;
///
/// static READY: FreeRtosSignal = FreeRtosSignal::new();
/// // In an interrupt handler, or a task:
/// READY.notify();
/// // In the task that waits for it:
/// READY.wait();
/// ```
#[derive(Debug)]
pub struct FreeRtosSignal {
    semaphore: StaticSemaphore,
    /// A notify from an interrupt handler before the semaphore existed (interrupts cannot
    /// create it): given at creation. Read and written only inside critical sections.
    early: AtomicBool,
}

impl FreeRtosSignal {
    /// A signal with no token; the FreeRTOS semaphore is created on first use.
    ///
    /// ```
    /// use threadteam_freertos::FreeRtosSignal;
    ///
    /// static WAKE: FreeRtosSignal = FreeRtosSignal::new(); // the semaphore is created on first use
    /// # let _ = &WAKE;
    /// ```
    pub const fn new() -> Self {
        Self { semaphore: StaticSemaphore::new(Kind::Binary), early: AtomicBool::new(false) }
    }

    fn semaphore(&self) -> *mut core::ffi::c_void {
        self.semaphore.get(|created| {
            if self.early.swap(false, Ordering::Relaxed) {
                // SAFETY: `created` is the binary semaphore just created; nobody waits on
                // it yet, so the give wakes no task (allowed in a critical section).
                unsafe { ffi::threadteam_semaphore_give(created) };
            }
        })
    }
}

impl Default for FreeRtosSignal {
    fn default() -> Self {
        Self::new()
    }
}

impl Signal for FreeRtosSignal {
    fn wait(&self) {
        let semaphore = self.semaphore();
        // A wait of portMAX_DELAY ticks is not "forever" unless the kernel has
        // vTaskSuspend: wait again until the token comes.
        // SAFETY: our live binary semaphore, taken from a task.
        while unsafe { ffi::threadteam_semaphore_take(semaphore, ffi::threadteam_max_delay()) } == 0 {}
    }

    fn wait_timeout(&self, timeout: Duration) -> bool {
        let semaphore = self.semaphore();
        let max = ffi::widen(ffi::threadteam_max_delay()) - 1;
        let mut ticks = duration_to_ticks(timeout);
        loop {
            let chunk = ticks.min(max);
            // SAFETY: our live binary semaphore, taken from a task. `chunk` fits the
            // tick type: it is at most portMAX_DELAY - 1.
            if unsafe { ffi::threadteam_semaphore_take(semaphore, chunk as core::ffi::c_ulong) } != 0 {
                return true;
            }
            ticks -= chunk;
            if ticks == 0 {
                return false;
            }
        }
    }

    fn notify(&self) {
        if !ffi::in_isr() {
            // SAFETY: our live binary semaphore; the glue gives it from a task.
            unsafe { ffi::threadteam_semaphore_give(self.semaphore()) };
            return;
        }
        if let Some(semaphore) = self.semaphore.created() {
            // SAFETY: our live binary semaphore; the glue gives it with the FromISR call.
            unsafe { ffi::threadteam_semaphore_give(semaphore) };
            return;
        }
        // Not created yet, and a handler cannot create it: leave the token for creation,
        // which checks it in a critical section (this one keeps creation out meanwhile).
        critical_section::with(|_| match self.semaphore.created() {
            // SAFETY: as above; created between our check and this critical section.
            Some(semaphore) => unsafe { ffi::threadteam_semaphore_give(semaphore) },
            None => self.early.store(true, Ordering::Relaxed),
        });
    }
}

//! [`FreeRtosLock`]: the coordinator's lock on FreeRTOS.

use core::sync::atomic::{AtomicUsize, Ordering};

use threadteam_core::port::RawLock;

use crate::ffi;
use crate::semaphore::{Kind, StaticSemaphore};

/// A [`RawLock`] over a FreeRTOS mutex that remembers its holder task, so re-entrant use
/// from the same task is refused instead of deadlocking.
///
/// Between tasks it is a real mutex: a task waiting for it is blocked in the scheduler, and
/// the holder inherits the priority of the most urgent waiter, so a high-priority submitter
/// waiting for a low-priority coordinator does not wait behind medium-priority tasks.
/// That is why it, and not the core's
/// [`CriticalSectionLock`](threadteam_core::port::CriticalSectionLock), coordinates a Team fed from
/// tasks: the coordinator creates tasks and gives semaphores while it holds its lock, and
/// FreeRTOS forbids such calls inside a critical section.
///
/// **In an interrupt handler** it is never taken (a FreeRTOS mutex belongs to a task, and a
/// handler may not wait): [`with`](RawLock::with) returns `Err(state)` at once, and a
/// [`LockWorker`](threadteam_core::workers::LockWorker) hands the item to the lock's holder instead. A
/// Team fed from interrupts is better coordinated by a task (a
/// [`TaskWorker`](crate::TaskWorker) as its coordinator).
///
/// No allocation: the mutex lives inside this value (created on first use, in a
/// `StaticSemaphore_t`), so `new` is `const` and a lock can sit in a `static`. Once used it
/// must not move (it panics if it did): keep it in a `static`, a `TeamSlot` or an `Arc`.
///
/// ```no_run
/// use threadteam_core::{team::Coordinate, workers::{FnWork, LockWorker}};
/// use threadteam_freertos::FreeRtosLock;
///
/// // The coordinator of a Team fed from tasks (TeamBuilder::coordinator).
/// let coordinator: LockWorker<Coordinate<FnWork>, FreeRtosLock, heapless::Deque<_, 8>> =
///     LockWorker::with_queue(FreeRtosLock::new(), heapless::Deque::new());
/// # let _ = coordinator;
/// ```
#[derive(Debug)]
pub struct FreeRtosLock {
    mutex: StaticSemaphore,
    /// The holder's task handle, 0 when free. Only the holder writes its own handle, so
    /// reading one's own handle here means one holds the lock.
    owner: AtomicUsize,
}

impl FreeRtosLock {
    /// An unlocked lock; the FreeRTOS mutex is created when it is first taken.
    ///
    /// ```
    /// use threadteam_freertos::FreeRtosLock;
    ///
    /// static LOCK: FreeRtosLock = FreeRtosLock::new(); // the FreeRTOS mutex is created on first use
    /// # let _ = &LOCK;
    /// ```
    pub const fn new() -> Self {
        Self { mutex: StaticSemaphore::new(Kind::Mutex), owner: AtomicUsize::new(0) }
    }
}

impl Default for FreeRtosLock {
    fn default() -> Self {
        Self::new()
    }
}

impl RawLock for FreeRtosLock {
    /// # Errors
    /// `Err(state)` when the calling task holds the lock already, and in an interrupt
    /// handler (which may not wait for a task's mutex).
    ///
    /// # Panics
    /// When called outside any FreeRTOS task and interrupt handler, when the lock was moved
    /// after its first use, and when `f` panics (after releasing the lock).
    fn with<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S> {
        if ffi::in_isr() {
            return Err(state);
        }
        let me = ffi::threadteam_current_task() as usize;
        assert!(me != 0, "FreeRtosLock used outside a FreeRTOS task");
        if self.owner.load(Ordering::Relaxed) == me {
            return Err(state);
        }
        let mutex = self.mutex.get(|_| ());
        // A wait of portMAX_DELAY ticks is not "forever" unless the kernel has
        // vTaskSuspend: wait again.
        // SAFETY: `mutex` is our live FreeRTOS mutex; we are a task, not an interrupt.
        while unsafe { ffi::threadteam_semaphore_take(mutex, ffi::threadteam_max_delay()) } == 0 {}
        self.owner.store(me, Ordering::Relaxed);
        struct Release<'a> {
            owner: &'a AtomicUsize,
            mutex: *mut core::ffi::c_void,
        }
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                // Cleared while the mutex is still held: no other task can see its own
                // handle here.
                self.owner.store(0, Ordering::Relaxed);
                // SAFETY: this task took `mutex` above and gives it back once.
                unsafe { ffi::threadteam_mutex_give(self.mutex) };
            }
        }
        let _release = Release { owner: &self.owner, mutex };
        Ok(f(state))
    }
}

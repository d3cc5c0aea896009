//! [`FreeRtosLock`]: the coordinator's lock on FreeRTOS.

use core::sync::atomic::{AtomicUsize, Ordering};

use freertos_next::{FreeRtosError, Mutex, Task};
use threadteam_core::RawLock;

/// A [`RawLock`] over a FreeRTOS mutex that remembers its holder task, so re-entrant use
/// from the same task is refused instead of deadlocking.
///
/// The mutex has priority inheritance, and a task waiting for it is blocked in the
/// scheduler. This is why it, and not the core's
/// [`CriticalSectionLock`](threadteam_core::CriticalSectionLock), coordinates a Team on
/// FreeRTOS: the coordinator creates tasks and gives semaphores while it holds its lock, and
/// FreeRTOS forbids API calls inside a critical section. (On the POSIX port it is worse than
/// forbidden: a yield inside a critical section switches tasks at once, so another task
/// would run "inside" it.)
///
/// Use it from FreeRTOS tasks only.
#[derive(Debug)]
pub struct FreeRtosLock {
    mutex: Mutex<()>,
    /// The holder's task handle, 0 when free. Only the holder writes its own handle, so
    /// reading one's own handle here means one holds the lock.
    owner: AtomicUsize,
}

impl FreeRtosLock {
    /// An unlocked lock.
    ///
    /// # Errors
    /// [`FreeRtosError::OutOfMemory`] when the FreeRTOS heap has no room for the mutex.
    pub fn new() -> Result<Self, FreeRtosError> {
        Ok(Self { mutex: Mutex::new(())?, owner: AtomicUsize::new(0) })
    }
}

impl RawLock for FreeRtosLock {
    /// # Panics
    /// When called from outside a FreeRTOS task (there is no task to own the lock), and
    /// when `f` panics (after releasing the lock).
    fn with<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S> {
        let me = Task::current().expect("FreeRtosLock used outside a FreeRTOS task").raw_handle() as usize;
        if self.owner.load(Ordering::Relaxed) == me {
            return Err(state);
        }
        let _guard = loop {
            // A wait of u32::MAX ticks is not "forever" on 64-bit ports: wait again.
            if let Ok(guard) = self.mutex.lock(freertos_next::Duration::infinite()) {
                break guard;
            }
        };
        self.owner.store(me, Ordering::Relaxed);
        struct Disown<'a>(&'a AtomicUsize);
        impl Drop for Disown<'_> {
            fn drop(&mut self) {
                self.0.store(0, Ordering::Relaxed);
            }
        }
        // Dropped before `_guard`: the owner is cleared while the mutex is still held.
        let _disown = Disown(&self.owner);
        Ok(f(state))
    }
}

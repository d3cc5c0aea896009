//! [`FreeRtosSignal`]: what a worker task sleeps on.

use core::time::Duration;

use freertos_next::{FreeRtosError, Semaphore};
use threadteam_core::Signal;

use crate::clock::duration_to_ticks;

/// A [`Signal`] over a FreeRTOS binary semaphore: `notify` gives, `wait` takes.
///
/// A give with no waiter leaves the semaphore full, so a `notify` before the `wait` is not
/// lost, and several leave one token: exactly the binary-semaphore contract of [`Signal`].
/// A waiting task is blocked in the scheduler and costs no CPU.
///
/// Use it from FreeRTOS tasks only.
pub struct FreeRtosSignal {
    semaphore: Semaphore,
}

impl core::fmt::Debug for FreeRtosSignal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FreeRtosSignal").field("semaphore", &self.semaphore.raw_handle()).finish()
    }
}

impl FreeRtosSignal {
    /// A signal with no token.
    ///
    /// # Errors
    /// [`FreeRtosError::OutOfMemory`] when the FreeRTOS heap has no room for the semaphore.
    pub fn new() -> Result<Self, FreeRtosError> {
        Ok(Self { semaphore: Semaphore::new_binary()? })
    }
}

impl Signal for FreeRtosSignal {
    fn wait(&self) {
        // The longest single wait freertos-next can express is u32::MAX ticks (not
        // "forever" on 64-bit ports), so wait again until the token comes.
        while self.semaphore.take(freertos_next::Duration::infinite()).is_err() {}
    }

    fn wait_timeout(&self, timeout: Duration) -> bool {
        let mut ticks = duration_to_ticks(timeout);
        loop {
            let chunk = u32::try_from(ticks).unwrap_or(u32::MAX - 1).min(u32::MAX - 1);
            if self.semaphore.take(freertos_next::Duration::ticks(chunk)).is_ok() {
                return true;
            }
            ticks -= u64::from(chunk);
            if ticks == 0 {
                return false;
            }
        }
    }

    fn notify(&self) {
        // `false` means the semaphore was already full: one token is all a Signal keeps.
        let _ = self.semaphore.give();
    }
}

//! [`StdSignal`]: the wait/wake primitive for std threads.

use core::time::Duration;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Instant;

use threadteam_core::Signal;

/// A binary semaphore over `Mutex<bool>` and `Condvar`: the [`Signal`] std worker
/// threads sleep on.
#[derive(Debug, Default)]
pub struct StdSignal {
    token: Mutex<bool>,
    wake: Condvar,
}

impl StdSignal {
    /// A signal with no token.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Signal for StdSignal {
    fn wait(&self) {
        let mut token = self.token.lock().unwrap_or_else(PoisonError::into_inner);
        while !*token {
            token = self.wake.wait(token).unwrap_or_else(PoisonError::into_inner);
        }
        *token = false;
    }

    fn wait_timeout(&self, timeout: Duration) -> bool {
        let deadline = Instant::now().checked_add(timeout);
        let mut token = self.token.lock().unwrap_or_else(PoisonError::into_inner);
        while !*token {
            let left = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => return false,
                },
                None => Duration::from_secs(u32::MAX.into()),
            };
            token = self.wake.wait_timeout(token, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        *token = false;
        true
    }

    fn notify(&self) {
        *self.token.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.wake.notify_one();
    }
}

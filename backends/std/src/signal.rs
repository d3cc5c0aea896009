//! [`StdSignal`]: the wait/wake primitive std worker threads sleep on.

use core::sync::atomic::{AtomicU8, Ordering};
use core::time::Duration;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Instant;

use threadteam_core::port::Signal;

const EMPTY: u8 = 0;
const NOTIFIED: u8 = 1;
const PARKED: u8 = 2;

/// A binary semaphore (see [`Signal`]) in the manner of std's thread parker: the token is
/// an atomic, so `notify` is one atomic swap unless the waiter is really blocked; the
/// mutex and condition variable are touched only to block and to wake a blocked waiter.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use threadteam::port::{Signal, StdSignal};
///
/// let signal = Arc::new(StdSignal::new());
/// let waker = Arc::clone(&signal);
/// let waiter = std::thread::spawn(move || waker.wait_timeout(Duration::from_secs(10)));
/// signal.notify(); // before or after the wait: the token is kept
/// assert!(waiter.join().unwrap());
/// ```
#[derive(Debug, Default)]
pub struct StdSignal {
    state: AtomicU8,
    lock: Mutex<()>,
    wake: Condvar,
}

impl StdSignal {
    /// A signal with no token.
    ///
    /// ```
    /// use std::time::Duration;
    /// use threadteam::port::{Signal, StdSignal};
    ///
    /// let signal = StdSignal::new();
    /// assert!(!signal.wait_timeout(Duration::from_millis(1))); // no token yet
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    fn take_token(&self) -> bool {
        self.state.compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Relaxed).is_ok()
    }

    /// Blocks until notified or `deadline`; returns whether the token was taken.
    fn block(&self, deadline: Option<Instant>) -> bool {
        // No spinning here: a waiter that wants to catch a token without blocking polls
        // first (a pool's thread re-checks its inbox, yielding, before it waits), and a
        // spin on `pause` would hold a core that the notifier may need.
        if self.take_token() {
            return true;
        }
        let mut guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        // Announce that we block; a notify that came first leaves its token instead.
        if let Err(NOTIFIED) = self.state.compare_exchange(EMPTY, PARKED, Ordering::Acquire, Ordering::Acquire) {
            self.state.store(EMPTY, Ordering::Relaxed);
            return true;
        }
        loop {
            guard = match deadline {
                None => self.wake.wait(guard).unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        // Give up, unless a notify has just left its token.
                        return self.state.swap(EMPTY, Ordering::Acquire) == NOTIFIED;
                    }
                    self.wake.wait_timeout(guard, left).unwrap_or_else(PoisonError::into_inner).0
                }
            };
            if self.take_token() {
                return true;
            }
            // A spurious wake-up: still PARKED, wait again.
        }
    }
}

impl Signal for StdSignal {
    fn wait(&self) {
        self.block(None);
    }

    fn wait_timeout(&self, timeout: Duration) -> bool {
        // A timeout too large to represent is no timeout.
        self.block(Instant::now().checked_add(timeout))
    }

    fn notify(&self) {
        if self.state.swap(NOTIFIED, Ordering::Release) == PARKED {
            // Taking the lock orders this wake after the waiter's wait began: it cannot be
            // lost between its announcement and its sleep.
            drop(self.lock.lock().unwrap_or_else(PoisonError::into_inner));
            self.wake.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_notify_before_the_wait_is_kept_and_several_leave_one_token() {
        let s = StdSignal::new();
        s.notify();
        s.notify();
        s.wait();
        assert!(!s.wait_timeout(Duration::from_millis(5)), "only one token");
    }

    #[test]
    fn wakes_a_blocked_waiter() {
        let s = Arc::new(StdSignal::new());
        let waiter = {
            let s = s.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    s.wait();
                }
            })
        };
        for _ in 0..100 {
            // Each wait consumes one token; notify until the waiter has taken them all.
            s.notify();
            std::thread::yield_now();
        }
        while !waiter.is_finished() {
            s.notify();
            std::thread::yield_now();
        }
        waiter.join().unwrap();
    }

    #[test]
    fn wait_timeout_gives_up_without_a_token() {
        let s = StdSignal::new();
        let start = Instant::now();
        assert!(!s.wait_timeout(Duration::from_millis(20)));
        assert!(start.elapsed() >= Duration::from_millis(20));
        s.notify();
        assert!(s.wait_timeout(Duration::from_secs(5)));
    }
}

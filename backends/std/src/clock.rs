//! [`StdClock`]: the monotonic clock of std threads.

use core::time::Duration;
use std::sync::OnceLock;
use std::time::Instant;

use threadteam_core::port::Clock;

/// The time since a process-wide origin (the first use of any `StdClock`), read from
/// [`Instant`]: monotonic, and the same for every `StdClock`.
///
/// ```
/// use threadteam::port::Clock;
/// use threadteam::port::StdClock;
///
/// let (a, b) = (StdClock::new(), StdClock::new());
/// let t = a.now();
/// assert!(b.now() >= t);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct StdClock;

impl StdClock {
    /// The clock.
    ///
    /// ```
    /// use threadteam::port::{Clock, StdClock};
    ///
    /// let clock = StdClock::new();
    /// let before = clock.now();
    /// std::thread::sleep(std::time::Duration::from_millis(1));
    /// assert!(clock.now() > before);
    /// ```
    pub fn new() -> Self {
        Self
    }
}

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

impl Clock for StdClock {
    fn now(&self) -> Duration {
        origin().elapsed()
    }
}

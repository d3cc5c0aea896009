//! [`FreeRtosClock`]: the tick count as the core's [`Clock`].

use core::cell::Cell;
use core::ffi::c_ulong;
use core::time::Duration;

use threadteam_core::port::Clock;

use crate::ffi;

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// The ticks to block for so that at least `d` passes: rounded up, plus one tick because
/// the first tick of a wait may come at once. Zero stays zero (a poll).
pub(crate) fn duration_to_ticks(d: Duration) -> u64 {
    if d.is_zero() {
        return 0;
    }
    let hz = u128::from(ffi::threadteam_tick_rate_hz());
    let ticks = (d.as_nanos() * hz).div_ceil(NANOS_PER_SEC) + 1;
    u64::try_from(ticks).unwrap_or(u64::MAX)
}

/// A monotonic [`Clock`] over the FreeRTOS tick count, for a Team's
/// [`GrowthPolicy`](threadteam_core::GrowthPolicy) (given to
/// [`TeamBuilder::clock`](threadteam_core::team::TeamBuilder::clock)): a paced Team on FreeRTOS
/// measures keep-alives and growth intervals in ticks.
///
/// [`now`](Clock::now) is the time since the scheduler started, with the resolution of one
/// tick (1 ms at the default `configTICK_RATE_HZ = 1000`). It may be read from tasks and
/// from interrupt handlers. On a 32-bit port the tick count wraps after 2^32 ticks (49.7
/// days at 1 kHz); the clock counts the wraps, which needs it to be read at least once per
/// wrap period (a paced Team reads it at every event).
///
/// Ticks are the RTOS's time, not the wall clock: on the POSIX host port they run slower
/// than real time (the tick thread sleeps 1 ms between ticks and then signals).
///
/// ```no_run
/// use core::time::Duration;
/// use threadteam_core::{port::Clock, GrowthPolicy};
/// use threadteam_freertos::FreeRtosClock;
///
/// static CLOCK: FreeRtosClock = FreeRtosClock::new();
/// let policy = GrowthPolicy::new().burst(2).growth_interval(Duration::from_millis(20));
/// // TeamBuilder::new(create).policy(policy).clock(&CLOCK).timer(&TIMER).build_static(&SLOT)
/// let t0 = CLOCK.now();
/// // ... in a task ...
/// let elapsed = CLOCK.now() - t0;
/// # let _ = (policy, elapsed);
/// ```
#[derive(Debug)]
pub struct FreeRtosClock {
    /// (wraps, last tick seen); read and updated together in one critical section.
    seen: critical_section::Mutex<Cell<(u32, c_ulong)>>,
}

impl FreeRtosClock {
    /// A clock; all clocks read the same ticks.
    ///
    /// ```
    /// use threadteam_freertos::FreeRtosClock;
    ///
    /// static CLOCK: FreeRtosClock = FreeRtosClock::new(); // `const`: a `static`, no allocator
    /// # let _ = &CLOCK;
    /// ```
    pub const fn new() -> Self {
        Self { seen: critical_section::Mutex::new(Cell::new((0, 0))) }
    }

    /// The number of ticks since the scheduler started, with wraps counted.
    pub fn ticks(&self) -> u64 {
        if c_ulong::BITS >= u64::BITS {
            // A 64-bit tick count (the POSIX port on a 64-bit host) does not wrap.
            return ffi::widen(ffi::threadteam_tick_count());
        }
        critical_section::with(|cs| {
            let seen = self.seen.borrow(cs);
            let (mut wraps, last) = seen.get();
            // Read inside the section: no other reader can see a later tick and store it
            // before us, so a smaller tick than `last` is always a wrap.
            let now = ffi::threadteam_tick_count();
            if now < last {
                wraps += 1;
            }
            seen.set((wraps, now));
            u64::from(wraps).checked_shl(c_ulong::BITS).unwrap_or(0) | ffi::widen(now)
        })
    }

    /// The tick rate, `configTICK_RATE_HZ`.
    pub fn tick_rate_hz(&self) -> u32 {
        ffi::narrow(ffi::threadteam_tick_rate_hz())
    }
}

impl Clock for FreeRtosClock {
    /// The time since the scheduler started, in whole ticks.
    fn now(&self) -> Duration {
        let ticks = u128::from(self.ticks());
        let hz = u128::from(ffi::threadteam_tick_rate_hz());
        let nanos = ticks * NANOS_PER_SEC / hz;
        Duration::new(
            u64::try_from(nanos / NANOS_PER_SEC).unwrap_or(u64::MAX),
            u32::try_from(nanos % NANOS_PER_SEC).unwrap_or(0),
        )
    }
}

impl Default for FreeRtosClock {
    fn default() -> Self {
        Self::new()
    }
}

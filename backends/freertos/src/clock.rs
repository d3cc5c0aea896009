//! [`FreeRtosClock`]: the tick count as a [`Duration`].

use core::cell::Cell;
use core::time::Duration;

use freertos_next::FreeRtosUtils;

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

/// A monotonic clock over the FreeRTOS tick count, for the Team's adaptive policies.
///
/// [`now`](FreeRtosClock::now) is the time since the scheduler started, with the resolution
/// of one tick (1 ms at the default `configTICK_RATE_HZ = 1000`). FreeRTOS's 32-bit tick
/// count wraps after 2^32 ticks (49.7 days at 1 kHz); the clock counts the wraps, which
/// needs `now` to be called at least once per wrap period.
///
/// Ticks are the RTOS's time, not the wall clock: on the POSIX host port they run slower
/// than real time (the tick thread sleeps 1 ms between ticks and then signals).
///
/// Note: core does not define a `Clock` trait yet; when it does, this type implements it
/// with this `now`.
///
/// ```no_run
/// use threadteam_freertos::FreeRtosClock;
///
/// static CLOCK: FreeRtosClock = FreeRtosClock::new();
/// let t0 = CLOCK.now();
/// // ... in a task ...
/// let elapsed = CLOCK.now() - t0;
/// # let _ = elapsed;
/// ```
#[derive(Debug)]
pub struct FreeRtosClock {
    /// (wraps, last tick seen); read and updated together in one critical section.
    seen: critical_section::Mutex<Cell<(u32, u32)>>,
}

impl FreeRtosClock {
    /// A clock; all clocks read the same ticks.
    pub const fn new() -> Self {
        Self { seen: critical_section::Mutex::new(Cell::new((0, 0))) }
    }

    /// The number of ticks since the scheduler started, with wraps counted.
    pub fn ticks(&self) -> u64 {
        critical_section::with(|cs| {
            let seen = self.seen.borrow(cs);
            let (mut wraps, last) = seen.get();
            // Read inside the section: no other reader can see a later tick and store it
            // before us, so a smaller tick than `last` is always a wrap.
            let now = FreeRtosUtils::get_tick_count();
            if now < last {
                wraps += 1;
            }
            seen.set((wraps, now));
            (u64::from(wraps) << 32) | u64::from(now)
        })
    }

    /// The time since the scheduler started, in whole ticks.
    pub fn now(&self) -> Duration {
        let ticks = u128::from(self.ticks());
        let hz = u128::from(ffi::threadteam_tick_rate_hz());
        let nanos = ticks * NANOS_PER_SEC / hz;
        Duration::new(
            u64::try_from(nanos / NANOS_PER_SEC).unwrap_or(u64::MAX),
            u32::try_from(nanos % NANOS_PER_SEC).unwrap_or(0),
        )
    }

    /// The tick rate, `configTICK_RATE_HZ`.
    pub fn tick_rate_hz(&self) -> u32 {
        u32::try_from(ffi::threadteam_tick_rate_hz()).unwrap_or(u32::MAX)
    }
}

impl Default for FreeRtosClock {
    fn default() -> Self {
        Self::new()
    }
}

//! Adaptive sizing: when a [`Team`](crate::team::Team) may create a worker and when an idle one
//! retires, decided over a [`Clock`](crate::port::Clock).
//!
//! A hard cap on a pool's size turns a memory-pressure concern into a correctness bug: work
//! that waits on other work in the same pool deadlocks once every slot waits (Twisted
//! [#5298](https://github.com/twisted/twisted/issues/5298)). A [`GrowthPolicy`] keeps the
//! pool small without that failure mode:
//!
//! - **min** workers are never retired for being idle;
//! - up to **burst** workers (counting `min`) are created at once when work arrives and
//!   none is idle;
//! - beyond that, while work waits in the backlog, at most **one new worker per
//!   growth interval** (in the spirit of .NET's 500 ms starvation injection), so blocked
//!   work is always eventually served while a short spike costs few threads;
//! - a worker idle for **keep-alive** retires, down to `min`; the most recently idled
//!   worker is reused first, so the surplus ages out;
//! - an optional hard **max** stays available as a safety net.
//!
//! The decisions are pure functions of an [`Observation`](crate::policy::Observation) and the time, so they run without
//! `std` and are tested with a [`ManualClock`](crate::policy::ManualClock). A Team given a clock (see
//! [`TeamBuilder::clock`](crate::team::TeamBuilder::clock)) applies them
//! in its state machine and computes the [next deadline](GrowthPolicy::next_deadline) at
//! which a timer must call [`Team::tick`](crate::team::Team::tick); with nothing to age out and
//! no backlog there is no deadline, so the timer can sleep indefinitely.

use core::fmt;
use core::ops::Deref;
use core::time::Duration;

use crate::sync::{const_unless_loom, Section};
use crate::Clock;

/// A clock that moves only when told to, for deterministic tests.
///
/// ```
/// use core::time::Duration;
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::policy::ManualClock;
/// use threadteam::port::Clock;
///
/// let clock = ManualClock::new();
/// assert_eq!(clock.now(), Duration::ZERO);
/// clock.advance(Duration::from_millis(5));
/// assert_eq!(clock.now(), Duration::from_millis(5));
/// ```
pub struct ManualClock {
    now: Section<Duration>,
}

impl ManualClock {
    const_unless_loom! {
        /// A clock at zero.
        ///
        /// ```
        /// # use threadteam_critical_section_std as _; // a host critical-section implementation
        /// # use threadteam_core as threadteam;
        /// use threadteam::policy::ManualClock;
        /// use threadteam::port::Clock;
        ///
        /// let clock = ManualClock::new();
        /// assert_eq!(clock.now(), core::time::Duration::ZERO);
        /// ```
        pub fn new() -> Self {
            Self { now: Section::new(Duration::ZERO) }
        }
    }

    /// Moves the clock forward by `by` (saturating at `Duration::MAX`).
    pub fn advance(&self, by: Duration) {
        self.now.with(|now| *now = now.saturating_add(by));
    }

    /// Moves the clock forward to `to`; a time in the past is ignored, as the clock is
    /// monotonic.
    pub fn advance_to(&self, to: Duration) {
        self.now.with(|now| *now = (*now).max(to));
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        self.now.with(|now| *now)
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock").field(&self.now()).finish()
    }
}

/// What a [`GrowthPolicy`] decides from: a snapshot of a Team, with times read from the
/// Team's clock.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use core::time::Duration;
/// use threadteam::policy::Observation;
/// use threadteam::GrowthPolicy;
///
/// let ms = Duration::from_millis;
/// let policy = GrowthPolicy::new().min(1).keep_alive(Some(ms(100)));
/// let seen = Observation { live: 2, coldest_idle_since: Some(ms(0)), ..Default::default() };
/// assert!(!policy.should_retire(ms(99), &seen));
/// assert!(policy.should_retire(ms(100), &seen)); // idle for the keep-alive, above `min`
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Observation {
    /// Workers alive: idle plus busy.
    pub live: usize,
    /// When the coldest idle worker (idle the longest) became idle; `None` if none is idle.
    pub coldest_idle_since: Option<Duration>,
    /// When the last worker was created; `None` if none ever was.
    pub last_created: Option<Duration>,
    /// When the oldest backlogged item was submitted; `None` if the backlog is empty.
    pub oldest_backlogged_since: Option<Duration>,
}

/// How an adaptive Team grows and shrinks (see the [module documentation](self)).
///
/// Built from [`GrowthPolicy::new`] (or `default()`) with the setters below; every
/// combination of values is meaningful, and `max` wins over everything else.
///
/// ```
/// use core::time::Duration;
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::policy::Observation;
/// use threadteam::GrowthPolicy;
///
/// let policy = GrowthPolicy::new().min(1).burst(2).growth_interval(Duration::from_millis(500));
/// let ms = Duration::from_millis;
/// // Below the burst level a worker is made at once.
/// assert!(policy.may_create(ms(0), &Observation { live: 1, ..Default::default() }));
/// // At it, only after work has waited for an interval, and an interval after the last creation.
/// let waiting = Observation { live: 2, last_created: Some(ms(0)), oldest_backlogged_since: Some(ms(0)), ..Default::default() };
/// assert!(!policy.may_create(ms(499), &waiting));
/// assert!(policy.may_create(ms(500), &waiting));
/// assert_eq!(policy.next_deadline(ms(100), &waiting), Some(ms(500)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct GrowthPolicy {
    /// Workers never retired for being idle. Default 0.
    pub min: usize,
    /// Workers (counting `min`) created at once when work arrives and none is idle.
    /// Default 1 here; the std backend defaults it to the available parallelism.
    pub burst: usize,
    /// Beyond `burst`, the pace of growth while work waits: a new worker only once the
    /// oldest backlogged item has waited this long, and this long after the previous
    /// creation. Also the retry delay after a worker could not be created. Default 500 ms.
    pub growth_interval: Duration,
    /// How long a worker above `min` may stay idle before it retires; `None`: never.
    /// Default 10 s (tokio's blocking-pool keep-alive).
    pub keep_alive: Option<Duration>,
    /// A hard cap on live workers, kept only as a safety net; `None`: no cap. Default `None`.
    pub max: Option<usize>,
}

impl Default for GrowthPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl GrowthPolicy {
    /// The defaults: min 0, burst 1, growth interval 500 ms, keep-alive 10 s, no max.
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use core::time::Duration;
    /// use threadteam::GrowthPolicy;
    ///
    /// let policy = GrowthPolicy::new();
    /// assert_eq!((policy.min, policy.burst, policy.max), (0, 1, None));
    /// assert_eq!(policy.keep_alive, Some(Duration::from_secs(10)));
    /// assert!(policy.needs_clock()); // it paces growth and ages idle workers out
    /// ```
    pub const fn new() -> Self {
        Self {
            min: 0,
            burst: 1,
            growth_interval: Duration::from_millis(500),
            keep_alive: Some(Duration::from_secs(10)),
            max: None,
        }
    }

    /// No cap and no pacing: a worker is created whenever work waits and none is idle, and
    /// idle workers are kept forever. The policy of a Team made without one; it needs no
    /// clock.
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::GrowthPolicy;
    ///
    /// let policy = GrowthPolicy::unbounded();
    /// assert!(!policy.needs_clock());
    /// assert_eq!(policy.max, None);
    /// ```
    pub const fn unbounded() -> Self {
        Self { min: 0, burst: usize::MAX, growth_interval: Duration::from_millis(500), keep_alive: None, max: None }
    }

    /// A hard cap of `max` workers, created at once as work arrives and kept however long
    /// they idle: Twisted's `pool(lambda: max, ...)`. It needs no clock.
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::GrowthPolicy;
    ///
    /// let policy = GrowthPolicy::capped(8);
    /// assert_eq!((policy.burst, policy.max), (8, Some(8)));
    /// assert!(!policy.needs_clock());
    /// ```
    pub const fn capped(max: usize) -> Self {
        Self { min: 0, burst: max, growth_interval: Duration::from_millis(500), keep_alive: None, max: Some(max) }
    }

    /// Whether growth beyond [`burst`](GrowthPolicy::burst) is paced by time: `max` (if
    /// any) is above `max(min, burst)`.
    pub const fn paces_growth(&self) -> bool {
        match self.max {
            Some(max) => self.unpaced() < max,
            None => self.unpaced() < usize::MAX,
        }
    }

    /// Whether following this policy needs a [`Clock`](crate::port::Clock): it paces growth or ages idle
    /// workers out.
    pub const fn needs_clock(&self) -> bool {
        self.paces_growth() || self.keep_alive.is_some()
    }

    /// Sets [`min`](GrowthPolicy::min).
    #[must_use]
    pub const fn min(mut self, workers: usize) -> Self {
        self.min = workers;
        self
    }

    /// Sets [`burst`](GrowthPolicy::burst).
    #[must_use]
    pub const fn burst(mut self, workers: usize) -> Self {
        self.burst = workers;
        self
    }

    /// Sets [`growth_interval`](GrowthPolicy::growth_interval).
    #[must_use]
    pub const fn growth_interval(mut self, interval: Duration) -> Self {
        self.growth_interval = interval;
        self
    }

    /// Sets [`keep_alive`](GrowthPolicy::keep_alive); `None` keeps idle workers forever.
    #[must_use]
    pub const fn keep_alive(mut self, keep_alive: Option<Duration>) -> Self {
        self.keep_alive = keep_alive;
        self
    }

    /// Sets [`max`](GrowthPolicy::max); `None` removes the cap.
    #[must_use]
    pub const fn max(mut self, workers: Option<usize>) -> Self {
        self.max = workers;
        self
    }

    /// Whether `live` workers leave room under the hard cap.
    pub fn below_max(&self, live: usize) -> bool {
        self.max.is_none_or(|max| live < max)
    }

    /// The number of workers that may be created without pacing: `max(min, burst)`.
    pub const fn unpaced(&self) -> usize {
        if self.min > self.burst {
            self.min
        } else {
            self.burst
        }
    }

    /// Whether a worker may be created now for waiting work.
    ///
    /// Under the cap, always below [`unpaced`](GrowthPolicy::unpaced) workers; beyond, only
    /// if the oldest backlogged item has waited a growth interval and the last creation is
    /// at least a growth interval ago.
    pub fn may_create(&self, now: Duration, seen: &Observation) -> bool {
        if !self.below_max(seen.live) {
            return false;
        }
        if seen.live < self.unpaced() {
            return true;
        }
        let Some(waiting_since) = seen.oldest_backlogged_since else {
            return false;
        };
        let interval = self.growth_interval;
        let waited = now.saturating_sub(waiting_since) >= interval;
        let spaced = seen.last_created.is_none_or(|at| now.saturating_sub(at) >= interval);
        waited && spaced
    }

    /// Whether the coldest idle worker should retire now: it has been idle for the
    /// keep-alive and more than `min` workers are alive.
    pub fn should_retire(&self, now: Duration, seen: &Observation) -> bool {
        match (self.keep_alive, seen.coldest_idle_since) {
            (Some(keep_alive), Some(since)) => seen.live > self.min && now.saturating_sub(since) >= keep_alive,
            _ => false,
        }
    }

    /// When the policy next needs to look at the Team again, given that everything it
    /// allows at `now` has already been done: the earlier of
    ///
    /// - the coldest idle worker's keep-alive expiry (when above `min`);
    /// - while work waits under the cap, the time the next worker may be created; if that
    ///   is already past (creation was allowed but failed: the factory refused), one growth
    ///   interval from now, so waiting work is retried and never stranded.
    ///
    /// `None`: nothing will change with time alone, and a timer may sleep until woken.
    pub fn next_deadline(&self, now: Duration, seen: &Observation) -> Option<Duration> {
        let retire = match (self.keep_alive, seen.coldest_idle_since) {
            (Some(keep_alive), Some(since)) if seen.live > self.min => since.checked_add(keep_alive),
            _ => None,
        };
        let grow = match seen.oldest_backlogged_since {
            Some(waiting_since) if self.below_max(seen.live) => {
                let interval = self.growth_interval;
                let allowed_at = if seen.live < self.unpaced() {
                    Some(now)
                } else {
                    let waited = waiting_since.checked_add(interval);
                    let spaced = seen.last_created.map_or(Some(now), |at| at.checked_add(interval));
                    waited.zip(spaced).map(|(a, b)| a.max(b))
                };
                allowed_at.and_then(|at| if at > now { Some(at) } else { now.checked_add(interval) })
            }
            _ => None,
        };
        match (retire, grow) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A limit function: the most workers a Team may have, re-read at every creation
/// (Twisted's `currentLimit`).
#[cfg(feature = "alloc")]
pub(crate) type LimitFn = alloc::boxed::Box<dyn FnMut() -> usize + Send>;
/// A limit function: the most workers a Team may have, re-read at every creation
/// (Twisted's `currentLimit`).
#[cfg(not(feature = "alloc"))]
pub(crate) type LimitFn = fn() -> usize;

/// A reference to something shared: `'static` (no allocator needed) or an `Arc`.
pub(crate) enum StaticOrArc<T: ?Sized + 'static> {
    Static(&'static T),
    #[cfg(feature = "alloc")]
    Arc(alloc::sync::Arc<T>),
}

impl<T: ?Sized> Deref for StaticOrArc<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            StaticOrArc::Static(t) => t,
            #[cfg(feature = "alloc")]
            StaticOrArc::Arc(t) => t,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn policy() -> GrowthPolicy {
        GrowthPolicy::new().min(1).burst(3).growth_interval(ms(100)).keep_alive(Some(ms(1000)))
    }

    #[test]
    fn creation_is_free_up_to_burst_then_paced() {
        let p = policy();
        let mut seen = Observation { live: 0, oldest_backlogged_since: Some(ms(0)), ..Default::default() };
        for live in 0..3 {
            seen.live = live;
            seen.last_created = Some(ms(0));
            assert!(p.may_create(ms(0), &seen), "live {live}");
        }
        seen.live = 3;
        assert!(!p.may_create(ms(99), &seen));
        assert!(p.may_create(ms(100), &seen));
        // Spaced from the last creation even when the work has waited long.
        seen.last_created = Some(ms(100));
        assert!(!p.may_create(ms(199), &seen));
        assert!(p.may_create(ms(200), &seen));
        // Freshly submitted work waits an interval even if the last creation is old.
        seen.oldest_backlogged_since = Some(ms(5000));
        assert!(!p.may_create(ms(5050), &seen));
        assert!(p.may_create(ms(5100), &seen));
        // No backlog: no paced creation.
        seen.oldest_backlogged_since = None;
        assert!(!p.may_create(ms(10_000), &seen));
    }

    #[test]
    fn max_wins() {
        let p = policy().max(Some(2));
        let seen = Observation { live: 2, oldest_backlogged_since: Some(ms(0)), ..Default::default() };
        assert!(!p.may_create(ms(0), &seen));
        assert_eq!(p.next_deadline(ms(0), &seen), None);
        assert!(p.may_create(ms(0), &Observation { live: 1, ..seen }));
    }

    #[test]
    fn retirement_keeps_min() {
        let p = policy();
        let seen = Observation { live: 2, coldest_idle_since: Some(ms(10)), ..Default::default() };
        assert!(!p.should_retire(ms(1009), &seen));
        assert!(p.should_retire(ms(1010), &seen));
        assert_eq!(p.next_deadline(ms(20), &seen), Some(ms(1010)));
        let at_min = Observation { live: 1, ..seen };
        assert!(!p.should_retire(ms(9999), &at_min));
        assert_eq!(p.next_deadline(ms(20), &at_min), None);
        let forever = p.keep_alive(None);
        assert!(!forever.should_retire(ms(9999), &seen));
        assert_eq!(forever.next_deadline(ms(20), &seen), None);
    }

    #[test]
    fn deadlines() {
        let p = policy();
        // Nothing to do: sleep until woken.
        assert_eq!(p.next_deadline(ms(5), &Observation { live: 1, ..Default::default() }), None);
        // Waiting work beyond burst: the later of waited-an-interval and spaced-an-interval.
        let seen = Observation {
            live: 3,
            last_created: Some(ms(50)),
            oldest_backlogged_since: Some(ms(20)),
            ..Default::default()
        };
        assert_eq!(p.next_deadline(ms(60), &seen), Some(ms(150)));
        // Allowed already but still waiting (a spawn failed): retry an interval from now.
        assert_eq!(p.next_deadline(ms(400), &seen), Some(ms(500)));
        let below = Observation { live: 1, ..seen };
        assert_eq!(p.next_deadline(ms(400), &below), Some(ms(500)));
        // The earlier of growth and retirement.
        let both = Observation { coldest_idle_since: Some(ms(0)), ..seen };
        assert_eq!(p.next_deadline(ms(60), &both), Some(ms(150)));
        let both = Observation { oldest_backlogged_since: Some(ms(5000)), ..both };
        assert_eq!(p.next_deadline(ms(5000), &both), Some(ms(1000)));
    }

    #[test]
    fn no_overflow_at_the_end_of_time() {
        let p = policy().keep_alive(Some(Duration::MAX)).growth_interval(Duration::MAX);
        let seen = Observation {
            live: 5,
            coldest_idle_since: Some(ms(1)),
            last_created: Some(ms(1)),
            oldest_backlogged_since: Some(ms(1)),
        };
        assert_eq!(p.next_deadline(ms(2), &seen), None);
        assert!(!p.should_retire(Duration::MAX, &seen));
    }

    #[test]
    fn manual_clock_is_monotonic() {
        let c = ManualClock::new();
        c.advance_to(ms(10));
        c.advance_to(ms(5));
        assert_eq!(c.now(), ms(10));
        c.advance(Duration::MAX);
        assert_eq!(c.now(), Duration::MAX);
    }
}

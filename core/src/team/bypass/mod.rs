//! The fast path: work that goes around the Team's coordinator while coordinating it would
//! decide nothing.
//!
//! Coordinating every item would make the coordinator the serial point of a busy pool: a
//! submit and a hand-back per item, each taking its lock. So the head of the backlog is a
//! lock-free queue, the *lane* (a `Ring` with `Growable`
//! storage and `std`; [`Fixed`](crate::team::Fixed) storage and builds without `std` have none),
//! which work enters and leaves without the coordinator in exactly the situation where
//! coordinating would decide nothing. The state machine (`TeamState`) does
//! not know about it: a pass sees the lane and the coordinated queue behind it as one FIFO
//! (`Chain`). Everything else of the protocol is here.
//!
//! - **The gate.** At the end of each event the coordinator opens the lane's gate if the
//!   state is saturated (every worker busy, the last
//!   request for a new worker refused, no worker come or gone since, not quitting) and
//!   nothing waits in the coordinated queue (it would be overtaken); otherwise it closes it.
//!   While it is open, `submit` claims a place in the lane with one
//!   compare-and-swap that also checks the gate.
//! - **The budget.** At most [`BYPASS_BUDGET`](crate::team::bypass::BYPASS_BUDGET) submits go around the coordinator between
//!   two events, so a saturated Team still sees a coordinated submit now and then: its
//!   limit is re-read and a failed spawn retried.
//! - **Workers keep busy.** A worker that finishes an item takes the next from the lane
//!   (`Bypass::next`, with a short spin while the gate is open) instead of being
//!   handed back: exactly what its hand-back would have done with the backlog's oldest
//!   item.
//! - **No work is stranded.** Only the last busy worker's hand-back could leave the lane
//!   with nobody to serve it. It closes the gate first (`Bypass::before_hand_back`);
//!   then any place claimed before the close (an item, or a push still landing) keeps that
//!   worker busy until it has taken it (`Bypass::landing`). So with nobody busy
//!   the gate is closed and the lane holds nothing in flight, and quit (which closes the
//!   gate first) finishes as before.
//! - **Paced Teams.** A [`GrowthPolicy`](crate::GrowthPolicy) that paces growth needs the
//!   age of the oldest waiting item, and items in the lane carry no time stamp (reading the
//!   clock on every submit would cost more than the rest of the submit). Instead, the
//!   coordinator pairs a [mark](crate::team::bypass::Lane::mark) of the lane with a clock reading at the end of
//!   its passes while the gate is open, at most one pair per quarter growth interval
//!   (`ClockMarks`): an item before a mark was submitted before that reading. The oldest
//!   item's age is then known from below (never overestimated: growth is never early), to
//!   within a quarter interval, and while the gate is open the Team asks its timer to
//!   look again a quarter interval after the last pair, so a new pair always comes. A new
//!   worker beyond `burst` therefore comes at most a quarter interval later than exact time
//!   stamps would allow.
//!
//! The order is kept: the coordinator pushes to the lane only while the coordinated queue
//! is empty, and pops the lane first. (Work refused by a worker that quit behind the Team's
//! back goes to the front of the coordinated queue, behind the lane: the one exception.)
//! With the lane in use, [`Statistics::busy_workers`](crate::team::Statistics::busy_workers)
//! counts a worker from dispatch until the lane it drains is empty. A Team whose
//! coordinator is not [inline](crate::ExclusiveWorker::runs_in_caller) (a memory worker)
//! never uses the lane, so a test driven step by step sees every event.

mod lane;
#[cfg(feature = "std")]
mod ring;

use core::time::Duration;

pub use lane::{Lane, NoLane, BYPASS_BUDGET};
#[cfg(feature = "std")]
pub use ring::Ring;

use super::state::Waiting;
use super::Backlogged;
#[cfg(feature = "std")]
use crate::sync::Section;
use crate::Queue;

/// How many times a worker that finds the lane empty looks again (spinning, then
/// yielding) before it is handed back: under load the next item is usually a push away.
const PATIENCE: u32 = crate::sync::patience(10);

/// A Team's fast path: its lane, and the time-keeping of a paced Team's lane.
pub(crate) struct Bypass<L> {
    lane: L,
    /// Whether the lane is used: the storage has one and the coordinator runs events in the
    /// caller (so none is ever left queued behind the lane).
    enabled: bool,
    marks: Dating,
}

/// The coordinator's record of the gate (it alone opens and closes it), kept with the
/// Team's state: a closed gate is not closed again, sparing a write to the lane's shared
/// tail per event.
#[derive(Default)]
pub(crate) struct Gate {
    open: bool,
}

impl<L: Default> Bypass<L> {
    pub(crate) fn new(enabled: bool) -> Self {
        Self { lane: L::default(), enabled, marks: Dating::new() }
    }
}

impl<L> Bypass<L> {
    /// A submitter's work, straight into the lane while the gate is open and its budget
    /// lasts; handed back otherwise, for the coordinator.
    pub(crate) fn submit<W>(&self, work: W) -> Result<(), W>
    where
        L: Lane<W>,
    {
        if self.enabled {
            self.lane.push_open(work)
        } else {
            Err(work)
        }
    }

    /// For a worker that just finished an item: the next one from the lane, if there is
    /// one or one arrives within a short spin while the gate is open.
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // without std there is no lane
    pub(crate) fn next<W>(&self) -> Option<W>
    where
        L: Lane<W>,
    {
        if !self.enabled {
            return None;
        }
        let mut step = 0;
        loop {
            if let Some(work) = self.lane.pop() {
                return Some(work);
            }
            if step == PATIENCE || !self.lane.is_open() {
                return None;
            }
            crate::sync::backoff(step);
            step += 1;
        }
    }

    /// The oldest item, waiting (spinning, then yielding) while a place is claimed and its
    /// submitter is between its claim and its store; `None` once nothing is claimed. For a
    /// worker kept busy by its hand-back (then the gate is closed and nobody else pops) and
    /// for the coordinator's own pops.
    pub(crate) fn landing<W>(&self) -> Option<W>
    where
        L: Lane<W>,
    {
        if !self.enabled {
            return None;
        }
        let mut step = 0;
        while self.lane.is_claimed() {
            if let Some(work) = self.lane.pop() {
                return Some(work);
            }
            crate::sync::backoff(step);
            step = (step + 1).min(PATIENCE);
        }
        // The place held a cancelled item: nothing to take after all.
        None
    }

    /// How many items the lane holds.
    pub(crate) fn len<W>(&self) -> usize
    where
        L: Lane<W>,
    {
        self.lane.len()
    }

    /// Removes the oldest lane item that `matches` (a cancelled task's work).
    pub(crate) fn remove_first<W>(&self, matches: &mut dyn FnMut(&W) -> bool) -> Option<W>
    where
        L: Lane<W>,
    {
        if self.enabled {
            self.lane.remove_first(matches)
        } else {
            None
        }
    }

    /// The waiting work as a pass sees it: the lane, then `plain` (the coordinated queue).
    /// `now`: the pass's clock reading, the bound on the age of lane items it cannot date.
    pub(crate) fn waiting<'a, Q>(&'a self, plain: &'a mut Q, now: Option<Duration>) -> Chain<'a, L, Q> {
        Chain { bypass: self, plain, now }
    }

    /// Before a hand-back is applied, with `busy` workers busy (this one included): the
    /// last busy worker closes the gate, since once nobody is busy nobody would serve the
    /// lane. If a place was claimed before the close (an item, or a push that is landing)
    /// and nothing waits in the coordinated queue, the worker stays busy and takes it
    /// itself (`true`, only if `may_keep`: the worker hears the answer); the hand-back is
    /// then not applied.
    pub(crate) fn before_hand_back<W>(&self, busy: usize, plain_empty: bool, may_keep: bool, gate: &mut Gate) -> bool
    where
        L: Lane<W>,
    {
        if busy != 1 {
            return false;
        }
        self.close::<W>(gate);
        may_keep && plain_empty && self.enabled && self.lane.is_claimed()
    }

    /// Closes the gate: submitters stop pushing to the lane (quit does this first).
    pub(crate) fn close<W>(&self, gate: &mut Gate)
    where
        L: Lane<W>,
    {
        // Already closed: no push claimed a place since, so `is_claimed` stays exact.
        if self.enabled && gate.open {
            self.lane.close();
            gate.open = false;
        }
    }

    /// At the end of each event: opens the gate (with a fresh budget) if work may now go
    /// around the coordinator, closes it otherwise. For a Team whose growth is paced,
    /// `paced` is the pass's clock reading and the policy's growth interval, and a clock
    /// reading is paired with the lane's mark while the gate is open.
    pub(crate) fn after_event<W>(&self, bypass: bool, paced: Option<(Duration, Duration)>, gate: &mut Gate)
    where
        L: Lane<W>,
    {
        if !self.enabled {
            return;
        }
        if bypass {
            // Even if it is open: with a fresh budget.
            self.lane.open();
            gate.open = true;
            if let Some((now, interval)) = paced {
                self.marks.record(&self.lane, now, interval / 4);
            }
        } else {
            self.close::<W>(gate);
        }
    }

    /// For a paced Team whose gate is open: when its timer must look at the lane again, so
    /// a new clock reading is paired with a mark (see the [module docs](self)).
    pub(crate) fn look_again_by(&self, gate: &Gate, interval: Duration) -> Option<Duration> {
        if !(self.enabled && gate.open) {
            return None;
        }
        self.marks.latest().and_then(|at| at.checked_add(interval / 4))
    }

    /// When the oldest lane item was submitted, at the latest: the first clock reading
    /// paired with a mark it is before, or `now` if it is after all of them. `None` when the
    /// lane is empty.
    pub(crate) fn oldest_since<W>(&self, now: Option<Duration>) -> Option<Duration>
    where
        L: Lane<W>,
    {
        if !self.enabled || self.lane.len() == 0 {
            return None;
        }
        self.marks.bound(&self.lane).or(now)
    }
}

/// The waiting work of a pass: the lane, then the coordinated queue behind it.
pub(crate) struct Chain<'a, L, Q> {
    bypass: &'a Bypass<L>,
    plain: &'a mut Q,
    now: Option<Duration>,
}

impl<L, Q> Chain<'_, L, Q> {
    /// The coordinated queue alone.
    pub(crate) fn plain(&mut self) -> &mut Q {
        self.plain
    }
}

impl<W, L: Lane<W>, Q: Queue<Backlogged<W>>> Waiting<W> for Chain<'_, L, Q> {
    fn len(&self) -> usize {
        self.bypass.len::<W>() + self.plain.len()
    }

    fn push_back(&mut self, item: Backlogged<W>) -> Result<(), Backlogged<W>> {
        // Into the lane only while nothing waits behind it, so order is kept.
        if self.bypass.enabled && self.plain.is_empty() {
            let since = item.since;
            match self.bypass.lane.push(item.work) {
                Ok(()) => return Ok(()),
                Err(work) => return self.plain.push_back(Backlogged { since, work }),
            }
        }
        self.plain.push_back(item)
    }

    fn push_front(&mut self, item: Backlogged<W>) -> Result<(), Backlogged<W>> {
        self.plain.push_front(item)
    }

    fn pop_front(&mut self) -> Option<Backlogged<W>> {
        // Patient: a place at the head that is claimed but not yet written belongs to a
        // submitter between its claim and its store (preempted there, perhaps). Calling the
        // lane empty then would leave an idle worker idle, shut the gate and send every
        // submit through the coordinator until that submitter runs again.
        // Dated only with a clock (and then only in a pass that pops the lane).
        let since = self.now.and_then(|_| self.bypass.oldest_since::<W>(self.now));
        match self.bypass.landing() {
            Some(work) => Some(Backlogged { since: since.unwrap_or_default(), work }),
            None => self.plain.pop_front(),
        }
    }

    fn oldest_since(&self) -> Option<Duration> {
        self.bypass.oldest_since::<W>(self.now).or_else(|| self.plain.front().map(Backlogged::since))
    }
}

/// Clock readings paired with lane marks. Only where a lane can exist (with `std`): without
/// it there is nothing to date, and firmware pays nothing for it.
#[cfg(feature = "std")]
struct Dating(Section<ClockMarks>);

#[cfg(feature = "std")]
impl Dating {
    fn new() -> Self {
        Self(Section::new(ClockMarks::new()))
    }

    fn record<W>(&self, lane: &impl Lane<W>, now: Duration, spacing: Duration) {
        self.0.with(|marks| marks.record(lane, now, spacing));
    }

    fn latest(&self) -> Option<Duration> {
        self.0.with(|marks| marks.latest())
    }

    fn bound<W>(&self, lane: &impl Lane<W>) -> Option<Duration> {
        self.0.with(|marks| marks.bound(lane))
    }
}

/// Without `std` there is no lane, so nothing is ever recorded.
#[cfg(not(feature = "std"))]
struct Dating;

#[cfg(not(feature = "std"))]
impl Dating {
    fn new() -> Self {
        Self
    }

    fn record<W>(&self, _lane: &impl Lane<W>, _now: Duration, _spacing: Duration) {}

    fn latest(&self) -> Option<Duration> {
        None
    }

    fn bound<W>(&self, _lane: &impl Lane<W>) -> Option<Duration> {
        None
    }
}

/// How many clock readings a paced Team keeps paired with lane marks.
#[cfg(feature = "std")]
const MARKS: usize = 8;

/// Clock readings paired with marks of the lane, oldest first: every item before a mark was
/// submitted before its reading.
#[cfg(feature = "std")]
pub(crate) struct ClockMarks {
    marks: [(usize, Duration); MARKS],
    first: usize,
    len: usize,
}

#[cfg(feature = "std")]
impl ClockMarks {
    const fn new() -> Self {
        Self { marks: [(0, Duration::ZERO); MARKS], first: 0, len: 0 }
    }

    fn get(&self, i: usize) -> (usize, Duration) {
        self.marks[(self.first + i) % MARKS]
    }

    /// Pairs `now` with the lane's mark, unless the last pair is younger than `spacing`.
    /// Pairs the head has passed are dropped first (they bound nothing any more). If all
    /// places are taken, the newest pair is replaced: the older ones date the oldest items,
    /// and the items between the last two pairs are dated later than they could be (never
    /// earlier), which only makes their worker come later.
    fn record<W>(&mut self, lane: &impl Lane<W>, now: Duration, spacing: Duration) {
        while self.len > 0 && !lane.head_before(self.get(0).0) {
            self.first = (self.first + 1) % MARKS;
            self.len -= 1;
        }
        if self.latest().is_some_and(|at| now.saturating_sub(at) < spacing) {
            return;
        }
        if self.len == MARKS {
            self.len -= 1;
        }
        self.marks[(self.first + self.len) % MARKS] = (lane.mark(), now);
        self.len += 1;
    }

    fn latest(&self) -> Option<Duration> {
        (self.len > 0).then(|| self.get(self.len - 1).1)
    }

    /// The reading of the first mark the lane's head is before.
    fn bound<W>(&self, lane: &impl Lane<W>) -> Option<Duration> {
        (0..self.len).map(|i| self.get(i)).find(|&(mark, _)| lane.head_before(mark)).map(|(_, at)| at)
    }
}

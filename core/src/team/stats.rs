//! A Team's counts: [`Statistics`](crate::team::Statistics), and how a Team publishes them for any thread to read.

use core::time::Duration;

use crate::sync::{AtomicBool, AtomicUsize, Ordering};
use crate::GrowthPolicy;

/// A snapshot of a Team's counts (Twisted's `Statistics`, plus lifetime counters).
///
/// Exact whenever the coordinator is quiescent; while work is moving, each field is a
/// value it really had, published at the end of a coordinated step.
///
/// ```
/// # #[cfg(feature = "alloc")]
/// # fn main() {
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::team::{Job, TeamBuilder};
/// use threadteam::workers::{create_memory_worker, BoxedWork};
/// use threadteam::Worker;
///
/// let (worker, work) = create_memory_worker::<Job<BoxedWork>>();
/// let team = TeamBuilder::new(move |_| Some(worker.clone())).limit(|| 1).build();
/// team.submit(Box::new(|| ())).unwrap();
/// team.submit(Box::new(|| ())).unwrap();
/// let s = team.statistics();
/// assert_eq!((s.busy_workers, s.backlogged, s.workers_created), (1, 1, 1));
/// work.perform_all();
/// assert_eq!(team.statistics().idle_workers, 1);
/// # }
/// # #[cfg(not(feature = "alloc"))]
/// # fn main() {}
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Statistics {
    /// Workers alive and waiting for work.
    pub idle_workers: usize,
    /// Workers running an item (until their hand-back has been coordinated).
    pub busy_workers: usize,
    /// Work waiting for a worker.
    pub backlogged: usize,
    /// Busy workers that will retire when they next become idle.
    pub shrink_debt: usize,
    /// Workers created so far. A worker of `pool()` whose thread then could
    /// not start counts here too (and as retired): the pools start threads after the
    /// coordinator pass that created their workers.
    pub workers_created: u64,
    /// Workers retired so far (by shrink, quit, keep-alive or refusal).
    pub workers_retired: u64,
    /// The most workers alive at once.
    pub high_water: usize,
    /// Work items that failed (panicked) so far and were reported to the failure hook. A
    /// panic in `Team::spawn`ed work goes to its `JoinHandle` instead,
    /// and is counted here only if the handle was dropped first.
    pub failures: u64,
    /// How long the oldest backlogged item has waited; `None` when the backlog is empty or
    /// the Team has no clock (only one whose policy needs a clock has one). With the fast
    /// lane in use it is a lower bound, to within a quarter growth interval (see
    /// [`bypass`](crate::team::bypass)).
    pub oldest_backlog_age: Option<Duration>,
}

impl Statistics {
    /// Idle plus busy workers.
    pub fn workers(&self) -> usize {
        self.idle_workers + self.busy_workers
    }
}

/// Published counts, readable from any thread without taking the coordinator.
#[derive(Default)]
pub(crate) struct Published {
    pub(crate) idle: AtomicUsize,
    pub(crate) busy: AtomicUsize,
    pub(crate) backlogged: AtomicUsize,
    pub(crate) debt: AtomicUsize,
    pub(crate) created: AtomicUsize,
    pub(crate) retired: AtomicUsize,
    pub(crate) high_water: AtomicUsize,
    pub(crate) failures: AtomicUsize,
    pub(crate) finished: AtomicBool,
    pub(crate) stalled: AtomicBool,
}

impl Published {
    pub(crate) fn store(&self, s: &Statistics) {
        let r = Ordering::Release;
        self.idle.store(s.idle_workers, r);
        self.busy.store(s.busy_workers, r);
        self.backlogged.store(s.backlogged, r);
        self.debt.store(s.shrink_debt, r);
        self.created.store(s.workers_created as usize, r);
        self.retired.store(s.workers_retired as usize, r);
        self.high_water.store(s.high_water, r);
    }

    pub(crate) fn store_finished(&self, finished: bool) {
        self.finished.store(finished, Ordering::Release);
    }

    pub(crate) fn load(&self) -> Statistics {
        let a = Ordering::Acquire;
        Statistics {
            idle_workers: self.idle.load(a),
            busy_workers: self.busy.load(a),
            backlogged: self.backlogged.load(a),
            shrink_debt: self.debt.load(a),
            workers_created: self.created.load(a) as u64,
            workers_retired: self.retired.load(a) as u64,
            high_water: self.high_water.load(a),
            failures: self.failures.load(a) as u64,
            oldest_backlog_age: None,
        }
    }
}

/// What a Team with a clock publishes for its timer and its statistics, and the policy
/// [`Team::policy`](super::Team::policy) reports.
pub(crate) struct Timing {
    pub(crate) deadline: Option<Duration>,
    /// Of the coordinated queue (the fast lane's items are dated apart).
    pub(crate) oldest_backlogged_since: Option<Duration>,
    /// Written by [`Team::set_policy`](super::Team::set_policy) before it sends the event
    /// that applies it, so the event carries no policy.
    pub(crate) policy: GrowthPolicy,
}

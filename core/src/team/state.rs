//! [`TeamState`]: the Team as plain data plus transitions. No threads, no locks, no I/O:
//! every side effect goes through [`Effects`], so the same code runs under the memory
//! worker, a LockWorker, fixed capacities or the heap.

use crate::{Queue, Seq, Storage};

use super::{Statistics, WorkerId};

/// What a transition asks its driver to do.
pub(crate) trait Effects<W, Wk> {
    /// Make a worker, or `None` when none may be made now (limit, resources).
    fn create(&mut self, stats: &Statistics) -> Option<Wk>;
    /// Hand `work` to `worker` (whose id is `id`); `Err(work)` if the worker refused it.
    fn dispatch(&mut self, worker: &Wk, id: WorkerId, work: W) -> Result<(), W>;
    /// The worker is no longer needed.
    fn quit_worker(&mut self, worker: Wk);
    /// Quitting is complete: nothing is busy and nothing more can run.
    fn quit_coordinator(&mut self);
}

/// The Team's state. See the [module documentation](super) for the state table.
pub(crate) struct TeamState<W, Wk, S: Storage<W, Wk>> {
    backlog: S::Backlog,
    /// `Some` while the worker is alive (idle or busy); ids are indexes.
    slots: S::Slots,
    /// Idle worker ids; the last is the most recently idled and is reused first.
    idle: S::Ids,
    busy: usize,
    /// Workers still to retire as they next become idle with no backlog. Never more than
    /// `busy`: debt is only taken for workers that exist.
    debt: usize,
    quitting: bool,
    finished: bool,
    created: u64,
    retired: u64,
    high_water: usize,
}

impl<W, Wk, S: Storage<W, Wk>> TeamState<W, Wk, S> {
    pub(crate) fn new() -> Self {
        Self {
            backlog: S::Backlog::default(),
            slots: S::Slots::default(),
            idle: S::Ids::default(),
            busy: 0,
            debt: 0,
            quitting: false,
            finished: false,
            created: 0,
            retired: 0,
            high_water: 0,
        }
    }

    /// Counts as of now (failures are counted by the Team, not here).
    pub(crate) fn statistics(&self) -> Statistics {
        Statistics {
            idle_workers: self.idle.as_slice().len(),
            busy_workers: self.busy,
            backlogged: self.backlog.len(),
            shrink_debt: self.debt,
            workers_created: self.created,
            workers_retired: self.retired,
            high_water: self.high_water,
            failures: 0,
        }
    }

    pub(crate) fn backlog_capacity(&self) -> usize {
        self.backlog.capacity()
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    fn live(&self) -> usize {
        self.idle.as_slice().len() + self.busy
    }

    /// New work joins the back of the backlog, so it never overtakes older work, and then
    /// the backlog is served.
    ///
    /// # Errors
    /// `Err(work)` only if the backlog is full; the Team reserves room before it submits.
    pub(crate) fn submit(&mut self, work: W, fx: &mut impl Effects<W, Wk>) -> Result<(), W> {
        self.backlog.push_back(work)?;
        if self.finished {
            // Nothing can run any more; the work waits to be reclaimed.
            return Ok(());
        }
        self.pump(fx);
        Ok(())
    }

    /// A busy worker finished its item.
    pub(crate) fn handed_back(&mut self, id: WorkerId, fx: &mut impl Effects<W, Wk>) {
        debug_assert!(self.busy > 0, "hand-back without a busy worker");
        self.busy -= 1;
        self.recycle(id, fx);
    }

    /// Add capacity: first cancel shrink debt (a worker that would be created only to be
    /// retired is never created), then create up to `n` workers; each serves the backlog.
    pub(crate) fn grow(&mut self, n: usize, fx: &mut impl Effects<W, Wk>) {
        let cancelled = n.min(self.debt);
        self.debt -= cancelled;
        for _ in cancelled..n {
            match self.create(fx) {
                Some(id) => self.recycle(id, fx),
                None => break,
            }
        }
    }

    /// Retire `n` workers (`None`: all): idle ones now, the coldest first; busy ones when
    /// they next become idle with no backlog.
    pub(crate) fn shrink(&mut self, n: Option<usize>, fx: &mut impl Effects<W, Wk>) {
        let n = n.unwrap_or_else(|| self.live());
        for _ in 0..n {
            if !self.idle.as_slice().is_empty() {
                let id = self.idle.remove(0);
                self.retire(id, fx);
            } else if self.debt < self.busy {
                self.debt += 1;
            } else {
                break;
            }
        }
    }

    /// Stop: idle workers retire now, busy ones after the backlog is done; then the
    /// coordinator quits.
    pub(crate) fn quit(&mut self, fx: &mut impl Effects<W, Wk>) {
        self.quitting = true;
        while let Some(id) = self.idle.pop() {
            self.retire(id, fx);
        }
        self.finish_if_done(fx);
    }

    /// Serve the backlog with idle workers, then with new ones while they can be made.
    /// Called whenever capacity may have changed: after submit, hand-back, grow, quit, and
    /// on request (a timer, a raised limit).
    pub(crate) fn pump(&mut self, fx: &mut impl Effects<W, Wk>) {
        while !self.backlog.is_empty() {
            let id = match self.idle.pop() {
                Some(id) => id,
                None => match self.create(fx) {
                    Some(id) => id,
                    None => break,
                },
            };
            let work = self.backlog.pop_front().expect("backlog checked non-empty");
            self.dispatch(id, work, fx);
        }
        self.finish_if_done(fx);
    }

    /// After quitting completes, work that could not run, oldest first.
    pub(crate) fn reclaim(&mut self) -> Option<W> {
        if self.finished {
            self.backlog.pop_front()
        } else {
            None
        }
    }

    /// Remove the first backlogged item that `matches` (cancellation of queued work).
    pub(crate) fn remove_backlogged(&mut self, matches: impl FnMut(&W) -> bool) -> Option<W> {
        self.backlog.remove_first(matches)
    }

    fn recycle(&mut self, id: WorkerId, fx: &mut impl Effects<W, Wk>) {
        if let Some(work) = self.backlog.pop_front() {
            self.dispatch(id, work, fx);
            // More backlog than this worker: capacity may have appeared (a raised limit).
            self.pump(fx);
        } else if self.quitting {
            // Retiring for quit also pays any debt this worker carried: keep `debt <= busy`.
            self.debt = self.debt.min(self.busy);
            self.retire(id, fx);
            self.finish_if_done(fx);
        } else if self.debt > 0 {
            self.debt -= 1;
            self.retire(id, fx);
        } else if self.idle.push(id).is_err() {
            unreachable!("idle ids never outnumber worker slots");
        }
    }

    fn dispatch(&mut self, id: WorkerId, work: W, fx: &mut impl Effects<W, Wk>) {
        let worker = self.slots.as_slice()[id].as_ref().expect("dispatch to a live worker");
        self.busy += 1;
        if let Err(work) = fx.dispatch(worker, id, work) {
            // The worker refused (it quit behind our back, or its queue is full): it is
            // gone, and the work keeps its place at the front of the backlog.
            self.busy -= 1;
            self.debt = self.debt.min(self.busy);
            self.retire(id, fx);
            if self.backlog.push_front(work).is_err() {
                unreachable!("the item just left the backlog, so it fits back");
            }
        }
    }

    fn create(&mut self, fx: &mut impl Effects<W, Wk>) -> Option<WorkerId> {
        let free = self.slots.as_slice().iter().position(Option::is_none);
        if free.is_none() && self.slots.push(None).is_err() {
            return None; // every fixed worker slot is in use
        }
        let stats = self.statistics();
        let Some(worker) = fx.create(&stats) else {
            if free.is_none() {
                self.slots.pop();
            }
            return None;
        };
        let id = free.unwrap_or(self.slots.as_slice().len() - 1);
        self.slots.as_mut_slice()[id] = Some(worker);
        self.created += 1;
        self.high_water = self.high_water.max(self.live() + 1);
        Some(id)
    }

    fn retire(&mut self, id: WorkerId, fx: &mut impl Effects<W, Wk>) {
        if let Some(worker) = self.slots.as_mut_slice()[id].take() {
            self.retired += 1;
            fx.quit_worker(worker);
        }
    }

    fn finish_if_done(&mut self, fx: &mut impl Effects<W, Wk>) {
        if !self.quitting || self.finished || self.busy != 0 {
            return;
        }
        // Quitting with work left and nobody busy: Twisted abandons it. Try to make a
        // worker for it; only if none can be made is the work left to reclaim.
        while !self.backlog.is_empty() {
            let Some(id) = self.create(fx) else { break };
            let work = self.backlog.pop_front().expect("backlog checked non-empty");
            self.dispatch(id, work, fx);
            if self.busy != 0 {
                return; // its hand-back finishes the job
            }
        }
        self.finished = true;
        fx.quit_coordinator();
    }
}

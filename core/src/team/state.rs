//! [`TeamState`]: the Team as plain data plus transitions. No threads, no locks, no I/O:
//! every side effect goes through [`Effects`], so the same code runs under the memory
//! worker, a LockWorker, fixed capacities or the heap.

use core::time::Duration;

use crate::{GrowthPolicy, Observation, Queue, Seq, Storage};

use super::{Backlogged, Statistics, WorkerId};

/// What a transition asks its driver to do.
pub(crate) trait Effects<W, Wk> {
    /// The time on the Team's clock (the same all through one event); `None` without one.
    fn now(&self) -> Option<Duration>;
    /// Make a worker, or `None` when none may be made now (limit, resources).
    fn create(&mut self, stats: &Statistics) -> Option<Wk>;
    /// Hand `work` to `worker` (whose id is `id`); `Err(work)` if the worker refused it.
    fn dispatch(&mut self, worker: &Wk, id: WorkerId, work: W) -> Result<(), W>;
    /// The worker is no longer needed.
    fn quit_worker(&mut self, worker: Wk);
    /// Quitting is complete: nothing is busy and nothing more can run.
    fn quit_coordinator(&mut self);
    /// Appends `work` to the fast lane, the head of the backlog that busy workers pop from
    /// without coordinating; `Err(work)` when the lane is full or the Team has none.
    fn lane_push(&mut self, work: W) -> Result<(), W>;
    /// Takes the oldest item in the fast lane, waiting for one that a submitter has
    /// claimed a place for and is still writing; `None` only when no place is claimed.
    fn lane_pop(&mut self) -> Option<W>;
    /// How many items the fast lane holds.
    fn lane_len(&self) -> usize;
    /// Closes the fast lane's gate: submitters stop pushing to it.
    fn lane_close(&mut self);
    /// Whether any place in the fast lane is claimed: an item waits there, or a
    /// submitter's push, which claimed its place before the gate closed, is landing.
    fn lane_claimed(&self) -> bool;
}

/// The Team's state. See the [module documentation](super) for the state table.
pub(crate) struct TeamState<W, Wk, S: Storage<W, Wk>> {
    /// The coordinated part of the backlog. The whole backlog is the fast lane (kept by the
    /// Team, reached through [`Effects`]) followed by this: items enter the lane only while
    /// this is empty, so every item here is newer than every item there.
    backlog: S::Backlog,
    /// `Some` while the worker is alive (idle or busy); ids are indexes.
    slots: S::Slots,
    /// Idle worker ids with the time each became idle; the last is the most recently idled
    /// and is reused first, the first is the coldest and retires first.
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
    /// With a policy, creation is paced and idle workers age out (see [`crate::policy`]).
    policy: Option<GrowthPolicy>,
    last_created: Option<Duration>,
    /// The last time waiting work asked for a worker, it was refused, and no worker has
    /// come or gone since. Kept across submits and hand-backs: one that finds nothing
    /// waiting (a busy worker took its item from the lane at once) asks nothing, and that
    /// must not read as "a worker could be made" (it would close the lane's gate, and a
    /// saturated Team would coordinate every item until some event asked again).
    declined: bool,
}

impl<W, Wk, S: Storage<W, Wk>> TeamState<W, Wk, S> {
    pub(crate) fn new(policy: Option<GrowthPolicy>) -> Self {
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
            policy,
            last_created: None,
            declined: false,
        }
    }

    /// Counts as of now, with only the coordinated part of the backlog (the Team adds the
    /// fast lane; failures are counted by the Team, not here).
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
            oldest_backlog_age: None,
        }
    }

    /// When the oldest backlogged item was submitted (meaningful with a clock).
    pub(crate) fn oldest_backlogged_since(&self) -> Option<Duration> {
        self.backlog.front().map(|item| item.since)
    }

    /// What the policy decides from.
    fn observation(&self) -> Observation {
        Observation {
            live: self.live(),
            coldest_idle_since: self.idle.as_slice().first().map(|&(_, since)| since),
            last_created: self.last_created,
            oldest_backlogged_since: self.oldest_backlogged_since(),
        }
    }

    /// When [`tick`](Self::tick) is next needed, by the policy (`None`: not until something
    /// else happens). Without a policy or a clock, never.
    pub(crate) fn next_deadline(&self, now: Option<Duration>) -> Option<Duration> {
        if self.finished {
            return None;
        }
        self.policy?.next_deadline(now?, &self.observation())
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

    /// Starts an event. `reconsider`: it may change what creation would answer (a grow,
    /// shrink, pump, tick, quit or new policy), so an earlier refusal no longer counts;
    /// a submit or hand-back keeps it.
    pub(crate) fn begin_event(&mut self, reconsider: bool) {
        if reconsider {
            self.declined = false;
        }
    }

    /// Whether, after this event, new work may go straight into the fast lane without
    /// being coordinated: it could only wait there anyway. That is when every worker is
    /// busy (so one of them will pop it), the last request for a worker was refused (and
    /// none has come or gone since), nothing is waiting in the coordinated backlog (it
    /// would be overtaken), and there is no policy (a paced Team stamps and ages every
    /// item) and no quit.
    pub(crate) fn may_bypass(&self) -> bool {
        self.declined
            && self.busy > 0
            && self.idle.as_slice().is_empty()
            && self.backlog.is_empty()
            && self.policy.is_none()
            && !self.quitting
            && !self.finished
    }

    fn has_waiting(&self, fx: &impl Effects<W, Wk>) -> bool {
        !self.backlog.is_empty() || fx.lane_len() != 0
    }

    /// The oldest waiting item: the fast lane first (it is older than the rest).
    fn pop_waiting(&mut self, fx: &mut impl Effects<W, Wk>) -> Option<Backlogged<W>> {
        match fx.lane_pop() {
            Some(work) => Some(Backlogged { since: Duration::ZERO, work }),
            None => self.backlog.pop_front(),
        }
    }

    /// New work joins the back of the backlog, so it never overtakes older work, and then
    /// the backlog is served.
    ///
    /// # Errors
    /// `Err(work)` only if the backlog is full; the Team reserves room before it submits.
    pub(crate) fn submit(&mut self, work: W, fx: &mut impl Effects<W, Wk>) -> Result<(), W> {
        let since = fx.now().unwrap_or_default();
        // A worker is idle: give it the oldest waiting item, and if nothing waits, this one,
        // straight (no push into the lane and pop back: the common case of a pool that
        // keeps up). Taking the older items out before this one goes in matters: pushed
        // first, it could be popped by a busy worker between the push and the idle one's
        // pop, leaving the idle one idle, the gate shut and every later submit coordinated
        // while one worker serves them all.
        // `pop_waiting` gives `None` only once no place in the lane is claimed, and with a
        // worker idle the gate is shut, so none can be claimed meanwhile: nothing is older.
        if !self.quitting && !self.finished && self.backlog.is_empty() {
            while let Some((id, _)) = self.idle.pop() {
                match self.pop_waiting(fx) {
                    Some(older) => self.dispatch(id, older, fx),
                    None => {
                        self.dispatch(id, Backlogged { since, work }, fx);
                        // A refused dispatch left the work at the front of the backlog.
                        self.pump(fx);
                        return Ok(());
                    }
                }
            }
        }
        // Behind the lane's items only while nothing newer waits here.
        let work = if self.backlog.is_empty() { fx.lane_push(work) } else { Err(work) };
        if let Err(work) = work {
            self.backlog.push_back(Backlogged { since, work }).map_err(|item| item.work)?;
        }
        if self.finished {
            // Nothing can run any more; the work waits to be reclaimed.
            return Ok(());
        }
        self.pump(fx);
        Ok(())
    }

    /// A busy worker finished its item. `true`: it stays busy, to take the item a
    /// submitter is landing in the fast lane (only when `may_keep`: the worker hears the
    /// answer).
    pub(crate) fn handed_back(&mut self, id: WorkerId, may_keep: bool, fx: &mut impl Effects<W, Wk>) -> bool {
        debug_assert!(self.busy > 0, "hand-back without a busy worker");
        self.busy -= 1;
        if self.busy == 0 {
            // The last busy worker: once nobody is busy, nobody would serve the lane, so
            // close it. A place claimed before the close is an item, or a push that is
            // landing: this worker stays busy and takes it from the lane itself.
            fx.lane_close();
            if may_keep && self.backlog.is_empty() && fx.lane_claimed() {
                self.busy += 1;
                return true;
            }
        }
        self.recycle(id, fx);
        false
    }

    /// Add capacity: first cancel shrink debt (a worker that would be created only to be
    /// retired is never created), then create up to `n` workers; each serves the backlog.
    pub(crate) fn grow(&mut self, n: usize, fx: &mut impl Effects<W, Wk>) {
        let cancelled = n.min(self.debt);
        self.debt -= cancelled;
        for _ in cancelled..n {
            match self.create(false, fx) {
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
                let (id, _) = self.idle.remove(0);
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
        fx.lane_close();
        // Every worker retires now or as it finishes: debt has nothing left to say.
        self.debt = 0;
        while let Some((id, _)) = self.idle.pop() {
            self.retire(id, fx);
        }
        self.finish_if_done(true, fx);
    }

    /// Replace the policy of a paced Team (a Team without one stays unpaced): start
    /// workers up to the new `min` at once, then apply the new limits as a tick does.
    pub(crate) fn set_policy(&mut self, policy: GrowthPolicy, fx: &mut impl Effects<W, Wk>) {
        if self.policy.is_none() {
            return;
        }
        self.policy = Some(policy);
        if !self.quitting {
            self.grow(policy.min.saturating_sub(self.live()), fx);
        }
        self.tick(fx);
    }

    /// Time has passed (a timer's call): with a policy, idle workers past their keep-alive
    /// retire, the coldest first, down to the policy's `min`; then the backlog is served
    /// again, which creates a worker if the pace now allows it or retries a failed one.
    pub(crate) fn tick(&mut self, fx: &mut impl Effects<W, Wk>) {
        if let (Some(policy), Some(now)) = (self.policy, fx.now()) {
            while policy.should_retire(now, &self.observation()) {
                let (id, _) = self.idle.remove(0);
                self.retire(id, fx);
            }
        }
        self.pump(fx);
    }

    /// Serve the backlog with idle workers, then with new ones while they can be made.
    /// Called whenever capacity may have changed: after submit, hand-back, grow, quit, and
    /// on request (a timer, a raised limit).
    pub(crate) fn pump(&mut self, fx: &mut impl Effects<W, Wk>) {
        self.serve(true, fx);
    }

    /// [`pump`](Self::pump), creating workers only if `create`.
    fn serve(&mut self, create: bool, fx: &mut impl Effects<W, Wk>) {
        while self.has_waiting(fx) {
            let (id, since) = match self.idle.pop() {
                Some(idle) => idle,
                None => match create.then(|| self.create(true, fx)).flatten() {
                    Some(id) => (id, fx.now().unwrap_or_default()),
                    None => {
                        self.declined = true;
                        break;
                    }
                },
            };
            match self.pop_waiting(fx) {
                Some(item) => self.dispatch(id, item, fx),
                None => {
                    // A busy worker took the last item from the lane meanwhile.
                    self.rest(id, since, fx);
                    break;
                }
            }
        }
        self.finish_if_done(create, fx);
    }

    /// The worker `id`, created for `work` and given it, could not start (a Team that
    /// starts its workers' threads after the coordinator pass learns it only then). As
    /// with a refused dispatch, the work goes back to the front of the backlog and the
    /// worker retires. Idle workers serve the backlog, but no worker is created in this
    /// event: a factory that keeps failing would otherwise be asked again at once, and
    /// again; the next submit, hand-back, grow or pump tries (as after any failed
    /// creation). The work's submit time is lost: with a clock it counts from now.
    #[cfg(feature = "alloc")]
    pub(crate) fn start_failed(&mut self, id: WorkerId, work: W, fx: &mut impl Effects<W, Wk>) {
        let since = fx.now().unwrap_or_default();
        self.refused(id, Backlogged { since, work }, fx);
        self.declined = true;
        self.serve(false, fx);
    }

    /// After quitting completes, work that could not run, oldest first.
    pub(crate) fn reclaim(&mut self) -> Option<W> {
        if self.finished {
            self.backlog.pop_front().map(|item| item.work)
        } else {
            None
        }
    }

    /// Remove the first backlogged item that `matches` (cancellation of queued work).
    pub(crate) fn remove_backlogged(&mut self, mut matches: impl FnMut(&W) -> bool) -> Option<W> {
        self.backlog.remove_first(|item| matches(&item.work)).map(|item| item.work)
    }

    fn recycle(&mut self, id: WorkerId, fx: &mut impl Effects<W, Wk>) {
        if let Some(item) = self.pop_waiting(fx) {
            self.dispatch(id, item, fx);
            // More backlog than this worker: capacity may have appeared (a raised limit).
            self.pump(fx);
        } else {
            self.rest(id, fx.now().unwrap_or_default(), fx);
        }
    }

    /// A worker with nothing to do (idle `since`): it retires if the Team is quitting or
    /// owes a retirement, otherwise it waits with the idle.
    fn rest(&mut self, id: WorkerId, since: Duration, fx: &mut impl Effects<W, Wk>) {
        if self.quitting {
            self.retire(id, fx);
            self.finish_if_done(true, fx);
        } else if self.debt > 0 {
            self.debt -= 1;
            self.retire(id, fx);
        } else if self.idle.push((id, since)).is_err() {
            unreachable!("idle ids never outnumber worker slots");
        }
    }

    fn dispatch(&mut self, id: WorkerId, item: Backlogged<W>, fx: &mut impl Effects<W, Wk>) {
        let worker = self.slots.as_slice()[id].as_ref().expect("dispatch to a live worker");
        self.busy += 1;
        let since = item.since;
        if let Err(work) = fx.dispatch(worker, id, item.work) {
            // The worker refused (it quit behind our back, or its queue is full).
            self.refused(id, Backlogged { since, work }, fx);
        }
    }

    /// The busy worker `id` could not take `item`: it is gone, and the work keeps its
    /// place at the front of the backlog.
    fn refused(&mut self, id: WorkerId, item: Backlogged<W>, fx: &mut impl Effects<W, Wk>) {
        self.busy -= 1;
        self.debt = self.debt.min(self.busy);
        self.retire(id, fx);
        if self.backlog.push_front(item).is_err() {
            unreachable!("a dispatched item fits back: it just left a fixed backlog, or the backlog grows");
        }
    }

    /// Make a worker. `paced`: for waiting work, as the policy allows; otherwise (an
    /// explicit grow, or work left at quit) only the policy's hard cap applies.
    fn create(&mut self, paced: bool, fx: &mut impl Effects<W, Wk>) -> Option<WorkerId> {
        let now = fx.now();
        if let Some(policy) = &self.policy {
            let allowed = if paced {
                policy.may_create(now.unwrap_or_default(), &self.observation())
            } else {
                policy.below_max(self.live())
            };
            if !allowed {
                return None;
            }
        }
        let free = self.slots.as_slice().iter().position(Option::is_none);
        if free.is_none() && self.slots.push(None).is_err() {
            return None; // every fixed worker slot is in use
        }
        let mut stats = self.statistics();
        stats.backlogged += fx.lane_len();
        stats.oldest_backlog_age =
            now.zip(self.oldest_backlogged_since()).map(|(now, since)| now.saturating_sub(since));
        let Some(worker) = fx.create(&stats) else {
            if free.is_none() {
                self.slots.pop();
            }
            return None;
        };
        let id = free.unwrap_or(self.slots.as_slice().len() - 1);
        self.declined = false;
        self.slots.as_mut_slice()[id] = Some(worker);
        self.created += 1;
        self.last_created = now.or(self.last_created);
        self.high_water = self.high_water.max(self.live() + 1);
        Some(id)
    }

    fn retire(&mut self, id: WorkerId, fx: &mut impl Effects<W, Wk>) {
        if let Some(worker) = self.slots.as_mut_slice()[id].take() {
            self.retired += 1;
            self.declined = false;
            fx.quit_worker(worker);
        }
    }

    /// `create`: whether a worker may be made for work left over (not right after one
    /// failed to start).
    fn finish_if_done(&mut self, create: bool, fx: &mut impl Effects<W, Wk>) {
        if !self.quitting || self.finished || self.busy != 0 {
            return;
        }
        // Quitting with work left and nobody busy: Twisted abandons it. Try to make a
        // worker for it; only if none can be made is the work left to reclaim.
        while create && self.has_waiting(fx) {
            let Some(id) = self.create(false, fx) else { break };
            let Some(item) = self.pop_waiting(fx) else {
                self.retire(id, fx);
                break;
            };
            self.dispatch(id, item, fx);
            if self.busy != 0 {
                return; // its hand-back finishes the job
            }
        }
        self.finished = true;
        fx.quit_coordinator();
    }
}

//! [`TeamState`]: the Team as plain data plus transitions. No threads, no locks, no I/O:
//! every transition is given the waiting work ([`Waiting`]) and its side effects
//! ([`Effects`]), so the same code runs under the memory worker, a LockWorker, fixed
//! capacities or the heap, with or without the fast lane. It knows nothing of the lane: the
//! waiting work is one FIFO queue to it (see [`bypass`](super::bypass) for how the Team
//! keeps it in two parts).

use core::time::Duration;

use super::event::Effects;
use super::{Backlogged, Statistics, WorkerId};
use crate::{GrowthPolicy, Observation, Queue, Seq, Storage};

/// The work waiting for a worker, as a transition sees it: one FIFO queue, oldest first.
pub(crate) trait Waiting<W> {
    /// How many items wait.
    fn len(&self) -> usize;
    /// Whether nothing waits.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Appends new work behind everything waiting; hands it back when full.
    fn push_back(&mut self, item: Backlogged<W>) -> Result<(), Backlogged<W>>;
    /// Puts work back in front (a dispatch the worker refused); hands it back when full.
    fn push_front(&mut self, item: Backlogged<W>) -> Result<(), Backlogged<W>>;
    /// Takes the oldest item.
    fn pop_front(&mut self) -> Option<Backlogged<W>>;
    /// When the oldest item was submitted, on the Team's clock: exactly, or, where only a
    /// bound is known, the latest time it can have been (so its age is never
    /// overestimated).
    fn oldest_since(&self) -> Option<Duration>;
}

impl<W, Q: Queue<Backlogged<W>>> Waiting<W> for Q {
    fn len(&self) -> usize {
        Queue::len(self)
    }

    fn push_back(&mut self, item: Backlogged<W>) -> Result<(), Backlogged<W>> {
        Queue::push_back(self, item)
    }

    fn push_front(&mut self, item: Backlogged<W>) -> Result<(), Backlogged<W>> {
        Queue::push_front(self, item)
    }

    fn pop_front(&mut self) -> Option<Backlogged<W>> {
        Queue::pop_front(self)
    }

    fn oldest_since(&self) -> Option<Duration> {
        self.front().map(Backlogged::since)
    }
}

/// The Team's state. See the [module documentation](super) for the state table.
pub(crate) struct TeamState<W, Wk, S: Storage<W, Wk>> {
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
    /// How the Team is sized (see [`crate::policy`]). Without pacing or keep-alive (a hard
    /// cap, or no cap at all) it never needs the clock.
    policy: GrowthPolicy,
    last_created: Option<Duration>,
    /// The last time waiting work asked for a worker, it was refused, and no worker has
    /// come or gone since. Kept across submits and hand-backs: one that finds nothing
    /// waiting (a busy worker took its item at once) asks nothing, and that must not read
    /// as "a worker could be made".
    creation_refused: bool,
    /// The last request for a worker was refused because no worker may exist at all (the
    /// policy's `max` or the limit is 0). With no worker alive, waiting work then cannot run
    /// until someone raises it (see `Team::is_stalled`).
    no_capacity: bool,
    /// Workers whose threads start after the pass (see `Effects::starts_later`) and that
    /// have not handed back yet, so may still fail to start, each with the high-water mark
    /// from before it was made: one that fails is taken out of the counts (see
    /// [`start_failed`](Self::start_failed)). Empty for Teams whose workers start at once.
    #[cfg(feature = "alloc")]
    unstarted: alloc::vec::Vec<(WorkerId, usize)>,
    _work: core::marker::PhantomData<fn(W)>,
}

impl<W, Wk, S: Storage<W, Wk>> TeamState<W, Wk, S> {
    pub(crate) fn new(policy: GrowthPolicy) -> Self {
        Self {
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
            creation_refused: false,
            no_capacity: false,
            #[cfg(feature = "alloc")]
            unstarted: alloc::vec::Vec::new(),
            _work: core::marker::PhantomData,
        }
    }

    /// Counts as of now, with `waiting` items backlogged (failures are counted by the Team,
    /// not here).
    pub(crate) fn statistics(&self, waiting: usize) -> Statistics {
        Statistics {
            idle_workers: self.idle.as_slice().len(),
            busy_workers: self.busy,
            backlogged: waiting,
            shrink_debt: self.debt,
            workers_created: self.created,
            workers_retired: self.retired,
            high_water: self.high_water,
            failures: 0,
            oldest_backlog_age: None,
        }
    }

    /// What the policy decides from.
    fn observation(&self, waiting: &impl Waiting<W>) -> Observation {
        Observation {
            live: self.live(),
            coldest_idle_since: self.idle.as_slice().first().map(|&(_, since)| since),
            last_created: self.last_created,
            oldest_backlogged_since: waiting.oldest_since(),
        }
    }

    /// When [`tick`](Self::tick) is next needed, by the policy (`None`: not until something
    /// else happens). Without a clock, never.
    pub(crate) fn next_deadline(&self, now: Option<Duration>, waiting: &impl Waiting<W>) -> Option<Duration> {
        if self.finished {
            return None;
        }
        self.policy.next_deadline(now?, &self.observation(waiting))
    }

    pub(crate) fn policy(&self) -> &GrowthPolicy {
        &self.policy
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    /// Whether waiting work cannot run: no worker is alive and the last request for one was
    /// refused because none may exist (a `max` or limit of 0).
    pub(crate) fn stalled(&self, waiting: &impl Waiting<W>) -> bool {
        self.no_capacity && self.live() == 0 && !waiting.is_empty() && !self.finished
    }

    pub(crate) fn busy(&self) -> usize {
        self.busy
    }

    /// Whether time alone may let waiting work have a new worker: the policy paces growth
    /// and the Team is below its `max`.
    pub(crate) fn grows_with_time(&self) -> bool {
        self.policy.paces_growth() && self.policy.below_max(self.live()) && !self.quitting
    }

    fn live(&self) -> usize {
        self.idle.as_slice().len() + self.busy
    }

    /// Starts an event. `reconsider`: it may change what creation would answer (a grow,
    /// shrink, pump, tick, quit or new policy), so an earlier refusal no longer counts;
    /// a submit or hand-back keeps it.
    pub(crate) fn begin_event(&mut self, reconsider: bool) {
        if reconsider {
            self.creation_refused = false;
        }
    }

    /// Whether new work could only wait, whatever happens next short of a worker finishing:
    /// every worker is busy, the last request for a worker was refused (and none has come
    /// or gone since), and the Team is not quitting. The [fast lane](super::bypass) lets
    /// work bypass the coordinator exactly then.
    pub(crate) fn saturated(&self) -> bool {
        self.creation_refused && self.busy > 0 && self.idle.as_slice().is_empty() && !self.quitting && !self.finished
    }

    /// New work joins the back of the backlog, so it never overtakes older work, and then
    /// the backlog is served.
    ///
    /// # Errors
    /// `Err(work)` only if the backlog is full; the Team reserves room before it submits.
    pub(crate) fn submit(
        &mut self,
        work: W,
        waiting: &mut impl Waiting<W>,
        fx: &mut impl Effects<W, Wk>,
    ) -> Result<(), W> {
        let since = fx.now().unwrap_or_default();
        // A worker is idle: give it the oldest waiting item, and if nothing waits, this one,
        // straight (no push and pop back: the common case of a pool that keeps up). Taking
        // the older items out before this one goes in matters with the fast lane: pushed
        // first, it could be popped by a busy worker between the push and the idle one's
        // pop, leaving the idle one idle.
        if !self.quitting && !self.finished {
            while let Some((id, _)) = self.idle.pop() {
                match waiting.pop_front() {
                    Some(older) => self.dispatch(id, older, waiting, fx),
                    None => {
                        self.dispatch(id, Backlogged { since, work }, waiting, fx);
                        // A refused dispatch left the work at the front of the backlog.
                        self.pump(waiting, fx);
                        return Ok(());
                    }
                }
            }
        }
        waiting.push_back(Backlogged { since, work }).map_err(|item| item.work)?;
        if self.finished {
            // Nothing can run any more; the work waits to be reclaimed.
            return Ok(());
        }
        self.pump(waiting, fx);
        Ok(())
    }

    /// A busy worker finished its item and is handed back.
    pub(crate) fn handed_back(&mut self, id: WorkerId, waiting: &mut impl Waiting<W>, fx: &mut impl Effects<W, Wk>) {
        debug_assert!(self.busy > 0, "hand-back without a busy worker");
        self.busy -= 1;
        // It ran its item, so its thread started.
        #[cfg(feature = "alloc")]
        self.take_unstarted(id);
        self.recycle(id, waiting, fx);
    }

    /// Add capacity: first cancel shrink debt (a worker that would be created only to be
    /// retired is never created), then create up to `n` workers; each serves the backlog.
    pub(crate) fn grow(&mut self, n: usize, waiting: &mut impl Waiting<W>, fx: &mut impl Effects<W, Wk>) {
        let cancelled = n.min(self.debt);
        self.debt -= cancelled;
        for _ in cancelled..n {
            match self.create(false, waiting, fx) {
                Some(id) => self.recycle(id, waiting, fx),
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
    pub(crate) fn quit(&mut self, waiting: &mut impl Waiting<W>, fx: &mut impl Effects<W, Wk>) {
        self.quitting = true;
        // Every worker retires now or as it finishes: debt has nothing left to say.
        self.debt = 0;
        while let Some((id, _)) = self.idle.pop() {
            self.retire(id, fx);
        }
        self.finish_if_done(true, waiting, fx);
    }

    /// Replace the policy (Twisted's `adjustPoolsize`): workers above the new `max` retire
    /// (idle ones now, busy ones as they next idle), waiting work is served under the new
    /// limits, then workers are started up to the new `min`, and idle ones beyond it age
    /// out by the new keep-alive.
    pub(crate) fn set_policy(
        &mut self,
        policy: GrowthPolicy,
        waiting: &mut impl Waiting<W>,
        fx: &mut impl Effects<W, Wk>,
    ) {
        self.policy = policy;
        if self.quitting {
            return;
        }
        if let Some(max) = policy.max {
            // Busy workers already owing a retirement do not count as staying.
            let staying = self.live() - self.debt;
            if staying > max {
                self.shrink(Some(staying - max), fx);
            }
        }
        // The backlog first: workers made for it count towards `min`.
        self.pump(waiting, fx);
        let staying = self.live() - self.debt;
        self.grow(policy.min.saturating_sub(staying), waiting, fx);
        self.tick(waiting, fx);
    }

    /// Time has passed (a timer's call): idle workers past their keep-alive retire, the
    /// coldest first, down to the policy's `min`; then the backlog is served again, which
    /// creates a worker if the pace now allows it or retries a failed one.
    pub(crate) fn tick(&mut self, waiting: &mut impl Waiting<W>, fx: &mut impl Effects<W, Wk>) {
        if let Some(now) = fx.now() {
            while self.policy.should_retire(now, &self.observation(waiting)) {
                let (id, _) = self.idle.remove(0);
                self.retire(id, fx);
            }
        }
        self.pump(waiting, fx);
    }

    /// Serve the backlog with idle workers, then with new ones while they can be made.
    /// Called whenever capacity may have changed: after submit, hand-back, grow, quit, and
    /// on request (a timer, a raised limit).
    pub(crate) fn pump(&mut self, waiting: &mut impl Waiting<W>, fx: &mut impl Effects<W, Wk>) {
        self.serve(true, waiting, fx);
    }

    /// [`pump`](Self::pump), creating workers only if `create`.
    fn serve(&mut self, create: bool, waiting: &mut impl Waiting<W>, fx: &mut impl Effects<W, Wk>) {
        while !waiting.is_empty() {
            let (id, since) = match self.idle.pop() {
                Some(idle) => idle,
                None => match create.then(|| self.create(true, waiting, fx)).flatten() {
                    Some(id) => (id, fx.now().unwrap_or_default()),
                    None => {
                        self.creation_refused = true;
                        break;
                    }
                },
            };
            match waiting.pop_front() {
                Some(item) => self.dispatch(id, item, waiting, fx),
                None => {
                    // A busy worker took the last item meanwhile (the fast lane's).
                    self.rest(id, since, waiting, fx);
                    break;
                }
            }
        }
        self.finish_if_done(create, waiting, fx);
    }

    /// The worker `id`, created for `work` and given it, could not start (a Team that
    /// starts its workers' threads after the coordinator pass learns it only then). As
    /// with a refused dispatch, the work goes back to the front of the backlog and the
    /// worker retires. Idle workers serve the backlog, but no worker is created in this
    /// event: a factory that keeps failing would otherwise be asked again at once, and
    /// again; the next submit, hand-back, grow or pump tries (as after any failed
    /// creation). The work's submit time is lost: with a clock it counts from now.
    ///
    /// A worker whose thread never started was never alive: it is taken out of
    /// `workers_created`, is not counted as retired, and the high-water mark is what it would
    /// have been without it.
    #[cfg(feature = "alloc")]
    pub(crate) fn start_failed(
        &mut self,
        id: WorkerId,
        work: W,
        waiting: &mut impl Waiting<W>,
        fx: &mut impl Effects<W, Wk>,
    ) {
        let since = fx.now().unwrap_or_default();
        if let Some(at) = self.unstarted.iter().position(|&(unstarted, _)| unstarted == id) {
            let (_, before) = self.unstarted.remove(at);
            // Every mark taken since it was made counted it; none before did.
            let without = |mark: usize| before.max(mark.saturating_sub(1));
            self.high_water = without(self.high_water);
            for (_, later) in &mut self.unstarted[at..] {
                *later = without(*later);
            }
        }
        let retired = self.retired;
        self.refused(id, Backlogged { since, work }, waiting, fx);
        self.retired = retired;
        self.created = self.created.saturating_sub(1);
        self.creation_refused = true;
        self.serve(false, waiting, fx);
    }

    fn recycle(&mut self, id: WorkerId, waiting: &mut impl Waiting<W>, fx: &mut impl Effects<W, Wk>) {
        if let Some(item) = waiting.pop_front() {
            self.dispatch(id, item, waiting, fx);
            // More backlog than this worker: capacity may have appeared (a raised limit).
            self.pump(waiting, fx);
        } else {
            self.rest(id, fx.now().unwrap_or_default(), waiting, fx);
        }
    }

    /// A worker with nothing to do (idle `since`): it retires if the Team is quitting or
    /// owes a retirement, otherwise it waits with the idle.
    fn rest(&mut self, id: WorkerId, since: Duration, waiting: &mut impl Waiting<W>, fx: &mut impl Effects<W, Wk>) {
        if self.quitting {
            self.retire(id, fx);
            self.finish_if_done(true, waiting, fx);
        } else if self.debt > 0 {
            self.debt -= 1;
            self.retire(id, fx);
        } else if self.idle.push((id, since)).is_err() {
            unreachable!("idle ids never outnumber worker slots");
        }
    }

    fn dispatch(
        &mut self,
        id: WorkerId,
        item: Backlogged<W>,
        waiting: &mut impl Waiting<W>,
        fx: &mut impl Effects<W, Wk>,
    ) {
        let worker = self.slots.as_slice()[id].as_ref().expect("dispatch to a live worker");
        self.busy += 1;
        let since = item.since;
        if let Err(work) = fx.dispatch(worker, id, item.work) {
            // The worker refused (it quit behind our back, or its queue is full).
            self.refused(id, Backlogged { since, work }, waiting, fx);
        }
    }

    /// The busy worker `id` could not take `item`: it is gone, and the work keeps its
    /// place at the front of the backlog.
    fn refused(
        &mut self,
        id: WorkerId,
        item: Backlogged<W>,
        waiting: &mut impl Waiting<W>,
        fx: &mut impl Effects<W, Wk>,
    ) {
        self.busy -= 1;
        self.debt = self.debt.min(self.busy);
        self.retire(id, fx);
        if waiting.push_front(item).is_err() {
            unreachable!("a dispatched item fits back: it just left a fixed backlog, or the backlog grows");
        }
    }

    /// Make a worker. `paced`: for waiting work, as the policy allows; otherwise (an
    /// explicit grow, or work left at quit) only the policy's hard cap applies. A limit
    /// function ([`Effects::cap`]) applies either way.
    fn create(&mut self, paced: bool, waiting: &impl Waiting<W>, fx: &mut impl Effects<W, Wk>) -> Option<WorkerId> {
        let now = fx.now();
        let live = self.live();
        let allowed = if paced {
            self.policy.may_create(now.unwrap_or_default(), &self.observation(waiting))
        } else {
            self.policy.below_max(live)
        };
        if !allowed {
            self.no_capacity = self.policy.max == Some(0);
            return None;
        }
        let cap = fx.cap();
        if cap.is_some_and(|cap| live >= cap) {
            self.no_capacity = cap == Some(0);
            return None;
        }
        self.no_capacity = false;
        let free = self.slots.as_slice().iter().position(Option::is_none);
        if free.is_none() && self.slots.push(None).is_err() {
            return None; // every fixed worker slot is in use
        }
        let mut stats = self.statistics(waiting.len());
        stats.oldest_backlog_age = now.zip(waiting.oldest_since()).map(|(now, since)| now.saturating_sub(since));
        let Some(worker) = fx.create(&stats) else {
            if free.is_none() {
                self.slots.pop();
            }
            return None;
        };
        let id = free.unwrap_or(self.slots.as_slice().len() - 1);
        #[cfg(feature = "alloc")]
        if fx.starts_later() {
            self.unstarted.push((id, self.high_water));
        }
        self.creation_refused = false;
        self.slots.as_mut_slice()[id] = Some(worker);
        self.created += 1;
        self.last_created = now.or(self.last_created);
        self.high_water = self.high_water.max(self.live() + 1);
        Some(id)
    }

    /// An unstarted worker's entry is no longer needed (it started, or is gone).
    #[cfg(feature = "alloc")]
    fn take_unstarted(&mut self, id: WorkerId) {
        if !self.unstarted.is_empty() {
            self.unstarted.retain(|&(unstarted, _)| unstarted != id);
        }
    }

    fn retire(&mut self, id: WorkerId, fx: &mut impl Effects<W, Wk>) {
        #[cfg(feature = "alloc")]
        self.take_unstarted(id);
        if let Some(worker) = self.slots.as_mut_slice()[id].take() {
            self.retired += 1;
            self.creation_refused = false;
            fx.quit_worker(worker);
        }
    }

    /// `create`: whether a worker may be made for work left over (not right after one
    /// failed to start).
    fn finish_if_done(&mut self, create: bool, waiting: &mut impl Waiting<W>, fx: &mut impl Effects<W, Wk>) {
        if !self.quitting || self.finished || self.busy != 0 {
            return;
        }
        // Quitting with work left and nobody busy: Twisted abandons it. Try to make a
        // worker for it; only if none can be made is the work left to reclaim.
        while create && !waiting.is_empty() {
            let Some(id) = self.create(false, waiting, fx) else { break };
            let Some(item) = waiting.pop_front() else {
                self.retire(id, fx);
                break;
            };
            self.dispatch(id, item, waiting, fx);
            if self.busy != 0 {
                return; // its hand-back finishes the job
            }
        }
        self.finished = true;
        fx.quit_coordinator();
    }
}

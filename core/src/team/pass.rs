//! One pass of a Team's coordinator: an event applied to the state ([`Team::apply`](crate::team::Team::apply)), the
//! effects the transition asks for ([`PassEffects`]), what is published afterwards, and the
//! call-backs through which the Team's items come back to it ([`TeamLink`]). Everything
//! here runs inside the coordinator, or gets there.

use core::time::Duration;

use super::bypass::{self, Gate};
use super::event::{Effects, Event};
use super::link::{Link, TeamLink};
use super::state::TeamState;
#[cfg(feature = "std")]
use super::Failure;
use super::{Backlogged, Coordinate, Job, Statistics, Team, WorkerId};
use crate::policy::LimitFn;
use crate::sync::Ordering;
use crate::{AlreadyQuit, ExclusiveWorker, Queue, Storage, SubmitError, Work, Worker};

/// What belongs to whoever runs the coordinator's pass (see [`Claim`]).
pub(super) struct PassState<W, Wk, F, S: Storage<W, Wk>> {
    pub(super) state: TeamState<W, Wk, S>,
    /// The coordinated queue: the backlog behind the fast lane.
    pub(super) plain: S::Backlog,
    pub(super) create_worker: F,
    pub(super) limit: Option<LimitFn>,
    pub(super) gate: Gate,
}

impl<W, Wk, C, F, S> Team<W, Wk, C, F, S>
where
    W: Work + Send + 'static,
    Wk: Worker<Job<W>> + Send + 'static,
    C: ExclusiveWorker<Coordinate<W>> + Send + Sync + 'static,
    F: FnMut(&Statistics) -> Option<Wk> + Send + 'static,
    S: Storage<W, Wk> + 'static,
    S::Backlog: Send,
    S::Slots: Send,
    S::Ids: Send,
    S::Lane: Send + Sync,
{
    /// Runs `f` on the Team's state from outside a pass: inside the coordinator when it
    /// runs events in the caller (so `f` is serialised with every pass and, with a
    /// [`CriticalSectionLock`](crate::port::CriticalSectionLock), runs with interrupts off), and
    /// otherwise (a coordinator that has quit, declines here, or runs events elsewhere) by
    /// entering the state directly. `None` when the state is in use and this call cannot
    /// wait for it (see [`Claim`]).
    pub(super) fn outside<R>(&self, f: impl FnOnce(&mut PassState<W, Wk, F, S>) -> R) -> Option<R> {
        match self.coordinator.run_now(f, |f| self.pass.enter(f)) {
            Ok(result) => result,
            Err(f) => self.pass.enter(f),
        }
    }

    pub(super) fn control(&self, event: Event<W>) -> Result<(), AlreadyQuit> {
        self.quit.check()?;
        match self.send(event) {
            Ok(()) => Ok(()),
            Err(SubmitError::AlreadyQuit(_)) => Err(AlreadyQuit),
            Err(SubmitError::BacklogFull(_)) => panic!("threadteam: the coordinator's queue is full"),
        }
    }

    /// Has the coordinator apply `event`: on the spot when it can (a LockWorker), otherwise
    /// as an item it runs later.
    pub(super) fn send(&self, event: Event<W>) -> Result<(), SubmitError<Event<W>>> {
        let sent = self.coordinate(event);
        self.launch_pending();
        sent
    }

    /// Starts the threads of the workers that coordinator passes created unstarted. Every
    /// thread that ran a pass calls it afterwards, outside the coordinator, so a slow
    /// thread start never holds up the workers waiting to hand back.
    pub(super) fn launch_pending(&self) {
        #[cfg(feature = "alloc")]
        if let Some(launcher) = &self.launcher {
            launcher.launch_pending();
            // A growth cut short by the starts in flight continues while starts succeed, a
            // batch at a time (see `pool::launch`).
            while launcher.take_cut_short() {
                if self.coordinate(Event::Policy).is_err() {
                    break;
                }
                launcher.launch_pending();
            }
        }
    }

    fn coordinate(&self, event: Event<W>) -> Result<(), SubmitError<Event<W>>> {
        let event = match self.coordinator.run_now(event, |event| self.apply(event, None, true)) {
            Ok(_) => return Ok(()),
            Err(event) => event,
        };
        let Some(link) = self.self_link() else {
            return Err(SubmitError::already_quit(event));
        };
        self.coordinator.submit(Coordinate::new(event, link)).map_err(|e| e.map(Coordinate::into_event))
    }

    /// Publishes the counts and, with a clock, the timing; wakes the timer when its deadline
    /// moved earlier or the Team has finished.
    pub(super) fn publish(
        &self,
        state: &TeamState<W, Wk, S>,
        waiting: &mut bypass::Chain<'_, S::Lane, S::Backlog>,
        gate: &Gate,
        now: Option<Duration>,
    ) {
        self.published.store(&state.statistics(Queue::len(waiting.plain())));
        self.published.store_finished(state.is_finished());
        self.published.stalled.store(state.stalled(waiting), Ordering::Release);
        if self.clock.is_none() {
            return;
        }
        let policy = *state.policy();
        let mut deadline = state.next_deadline(now, waiting);
        if state.grows_with_time() {
            // Lane items are dated by clock readings paired with lane marks: keep them
            // coming while the lane is in use (see `bypass`).
            if let Some(again) = self.bypass.look_again_by(gate, policy.growth_interval) {
                deadline = Some(deadline.map_or(again, |d| d.min(again)));
            }
        }
        let oldest = Queue::front(waiting.plain()).map(Backlogged::since);
        let earlier = self.timing.with(|timing| {
            let earlier = match (deadline, timing.deadline) {
                (Some(new), Some(old)) => new < old,
                (new, _) => new.is_some(),
            };
            timing.deadline = deadline;
            timing.oldest_backlogged_since = oldest;
            earlier
        });
        if earlier || state.is_finished() {
            if let Some(wake) = &self.wake {
                wake.notify();
            }
        }
    }

    /// Applies one event to the state; runs inside the coordinator. `link`: the way back to
    /// this Team for the Jobs it dispatches, when the caller already holds one. `inline`:
    /// the caller waits for the answer (the coordinator runs the event on its thread).
    /// Returns whether a handed-back worker stays busy to take an item landing in the lane.
    fn apply(&self, event: Event<W>, link: Option<&Link<W>>, inline: bool) -> bool {
        let passed = self.pass.enter(|owned| {
            let PassState { state, plain, create_worker, limit, gate } = owned;
            let reconsider = event.may_change_capacity();
            state.begin_event(reconsider);
            #[cfg(feature = "alloc")]
            if let (true, Some(launcher)) = (reconsider, &self.launcher) {
                launcher.reconsider();
            }
            let now = self.now();
            let mut waiting = self.bypass.waiting(plain, now);
            let mut fx = PassEffects { team: self, link, create_worker, limit, now };
            let mut kept = false;
            match event {
                Event::Submit(work) => {
                    if state.submit(work, &mut waiting, &mut fx).is_err() {
                        unreachable!("room in the backlog was reserved at submit");
                    }
                }
                Event::HandedBack(id) => {
                    let plain_empty = Queue::is_empty(waiting.plain());
                    kept = self.bypass.before_hand_back::<W>(state.busy(), plain_empty, inline, gate);
                    if !kept {
                        state.handed_back(id, &mut waiting, &mut fx);
                    }
                }
                #[cfg(feature = "alloc")]
                Event::StartFailed(id, work) => state.start_failed(id, work, &mut waiting, &mut fx),
                Event::Grow(n) => state.grow(n, &mut waiting, &mut fx),
                Event::Shrink(n) => state.shrink(n, &mut fx),
                Event::Quit => {
                    // No new work may slip into the lane while quitting decides.
                    self.bypass.close::<W>(gate);
                    state.quit(&mut waiting, &mut fx);
                }
                Event::Pump => state.pump(&mut waiting, &mut fx),
                Event::Tick => state.tick(&mut waiting, &mut fx),
                Event::Policy => {
                    // The latest policy given: of two racing calls, both events apply the
                    // one that `policy()` reports.
                    let policy = self.timing.with(|timing| timing.policy);
                    state.set_policy(policy, &mut waiting, &mut fx);
                }
            }
            let policy = *state.policy();
            let paced = now.filter(|_| policy.paces_growth()).map(|now| (now, policy.growth_interval));
            let bypass = state.saturated() && Queue::is_empty(waiting.plain());
            self.bypass.after_event::<W>(bypass, paced, gate);
            self.publish(state, &mut waiting, gate, now);
            kept
        });
        passed.unwrap_or_else(|| {
            panic!(
                "threadteam: a coordinator pass found the Team's state in use. Passes must not \
                 nest (an ExclusiveWorker queues work submitted while its item runs), and \
                 without std a pass must not preempt a reclaim or cancel in progress"
            )
        })
    }
}

/// The effects of a transition, as a Team performs them.
struct PassEffects<'a, W: 'static, Wk, C, F, S: Storage<W, Wk>> {
    team: &'a Team<W, Wk, C, F, S>,
    /// Borrowed from the item being coordinated, if any; otherwise made on dispatch, so an
    /// event that dispatches nothing costs no reference-count traffic.
    link: Option<&'a Link<W>>,
    create_worker: &'a mut F,
    limit: &'a mut Option<LimitFn>,
    now: Option<Duration>,
}

impl<W: 'static, Wk, C, F, S> Effects<W, Wk> for PassEffects<'_, W, Wk, C, F, S>
where
    Wk: Worker<Job<W>>,
    C: ExclusiveWorker<Coordinate<W>>,
    F: FnMut(&Statistics) -> Option<Wk>,
    S: Storage<W, Wk>,
{
    fn now(&self) -> Option<Duration> {
        self.now
    }

    fn cap(&mut self) -> Option<usize> {
        let limit = self.limit.as_mut()?;
        // The limit runs in the middle of a pass, with the Team's state taken out: a panic
        // unwinding from here would leave the state out for good, and every later pass
        // would fail. A limit that panics allows no new worker this time; it is asked again
        // at the next attempt.
        #[cfg(feature = "std")]
        {
            match crate::unwind::catch(limit) {
                Ok(cap) => Some(cap),
                Err(payload) => {
                    crate::unwind::discard(payload);
                    Some(0)
                }
            }
        }
        #[cfg(not(feature = "std"))]
        Some(limit())
    }

    fn create(&mut self, stats: &Statistics) -> Option<Wk> {
        (self.create_worker)(stats)
    }

    #[cfg(feature = "alloc")]
    fn starts_later(&self) -> bool {
        self.team.launcher.is_some()
    }

    fn dispatch(&mut self, worker: &Wk, id: WorkerId, work: W) -> Result<(), W> {
        let link = match self.link {
            Some(link) => link.clone(),
            None => match self.team.self_link() {
                Some(link) => link,
                // The Team is being dropped: nothing can run any more.
                None => return Err(work),
            },
        };
        match worker.submit(Job::new(work, id, link)) {
            Ok(()) => {
                self.team.unreserve();
                Ok(())
            }
            Err(refused) => Err(refused.into_inner().into_work()),
        }
    }

    fn quit_worker(&mut self, worker: Wk) {
        // A worker that already quit has nothing more to free.
        let _ = worker.quit();
    }

    fn quit_coordinator(&mut self) {
        let _ = self.team.coordinator.quit();
    }
}

impl<W, Wk, C, F, S> TeamLink<W> for Team<W, Wk, C, F, S>
where
    W: Work + Send + 'static,
    Wk: Worker<Job<W>> + Send + 'static,
    C: ExclusiveWorker<Coordinate<W>> + Send + Sync + 'static,
    F: FnMut(&Statistics) -> Option<Wk> + Send + 'static,
    S: Storage<W, Wk> + 'static,
    S::Backlog: Send,
    S::Slots: Send,
    S::Ids: Send,
    S::Lane: Send + Sync,
{
    fn apply(&self, event: Event<W>, link: &Link<W>) {
        Team::apply(self, event, Some(link), false);
        // The thread that ran the pass starts what it left unstarted, as `send` does.
        self.launch_pending();
    }

    fn hand_back(&self, id: WorkerId, link: &Link<W>) -> bool {
        let kept = match self.coordinator.run_now(id, |id| Team::apply(self, Event::HandedBack(id), Some(link), true)) {
            Ok(kept) => kept,
            Err(id) => {
                match self.coordinator.submit(Coordinate::new(Event::HandedBack(id), link.clone())) {
                    Ok(()) => {}
                    // The coordinator quits only when nothing is busy, so only a coordinator
                    // quit from outside the Team refuses this; there is nothing left to
                    // coordinate.
                    Err(SubmitError::AlreadyQuit(_)) => {}
                    Err(SubmitError::BacklogFull(_)) => panic!("threadteam: the coordinator's queue is full"),
                }
                false
            }
        };
        self.launch_pending();
        kept
    }

    #[cfg(feature = "alloc")]
    fn start_failed(&self, id: WorkerId, work: W) {
        // The worker was busy with this work until now, so the Team has not finished and
        // its coordinator takes the event.
        match self.send(Event::StartFailed(id, work)) {
            Ok(()) => {}
            Err(SubmitError::AlreadyQuit(_)) => unreachable!("a Team with a busy worker has not finished"),
            Err(SubmitError::BacklogFull(_)) => panic!("threadteam: the coordinator's queue is full"),
        }
    }

    #[cfg(feature = "std")]
    fn report(&self, failure: Failure) {
        self.published.failures.fetch_add(1, Ordering::AcqRel);
        // A hook that panics must not cost the Team its worker, nor may a payload (the
        // hook's, or the work's own, dropped here) whose `Drop` panics.
        let hook = &self.hook;
        if let Err(payload) = crate::unwind::catch(|| hook.call(&failure)) {
            crate::unwind::discard(payload);
        }
        crate::unwind::drop_caught(failure);
    }

    #[cfg(feature = "alloc")]
    fn remove_backlogged(&self, matches: &mut dyn FnMut(&W) -> bool) -> Option<W> {
        self.cancel_backlogged(matches)
    }

    #[cfg(feature = "alloc")]
    fn finished(&self) -> bool {
        self.is_finished()
    }

    #[cfg(feature = "std")]
    fn stalled(&self) -> bool {
        self.is_stalled()
    }

    #[cfg(feature = "std")]
    fn next_work(&self) -> Option<W> {
        self.bypass.next()
    }

    #[cfg(feature = "std")]
    fn landing(&self) -> Option<W> {
        self.bypass.landing()
    }
}

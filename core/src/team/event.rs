//! What happens to a Team ([`Event`]) and what a transition asks of the Team that runs it
//! ([`Effects`]).

use core::time::Duration;

use super::{Statistics, WorkerId};

/// One thing that happened to a Team, applied by its coordinator.
pub(crate) enum Event<W> {
    Submit(W),
    HandedBack(WorkerId),
    /// The worker given this work could not start its thread.
    #[cfg(feature = "alloc")]
    StartFailed(WorkerId, W),
    Grow(usize),
    Shrink(Option<usize>),
    Quit,
    Pump,
    Tick,
    /// A new growth policy. The policy itself waits in the Team (see `Team::set_policy`):
    /// carried here, it would make every queued event, and so every slot of a fixed
    /// coordinator queue, as large as a policy.
    Policy,
}

impl<W> Event<W> {
    /// Whether the event may change what creating a worker would answer (a grow, shrink,
    /// pump, tick, quit or new policy), so an earlier refusal no longer stands. A submit or
    /// hand-back, or a failed start (which asks nothing new), keeps it.
    pub(crate) fn may_change_capacity(&self) -> bool {
        match self {
            Event::Submit(_) | Event::HandedBack(_) => false,
            #[cfg(feature = "alloc")]
            Event::StartFailed(..) => false,
            Event::Grow(_) | Event::Shrink(_) | Event::Quit | Event::Pump | Event::Tick | Event::Policy => true,
        }
    }

    pub(crate) fn into_work(self) -> Option<W> {
        match self {
            Event::Submit(work) => Some(work),
            _ => None,
        }
    }
}

/// What a transition asks its driver to do: the only way out of the state machine.
pub(crate) trait Effects<W, Wk> {
    /// The time on the Team's clock (the same all through one event); `None` without one.
    fn now(&self) -> Option<Duration>;
    /// The Team's limit function's answer, re-read at every creation (Twisted's
    /// `pool(currentLimit, ...)`); `None` without one.
    fn cap(&mut self) -> Option<usize>;
    /// Make a worker, or `None` when none may be made now (resources).
    fn create(&mut self, stats: &Statistics) -> Option<Wk>;
    /// Whether the workers [`create`](Self::create) makes start their threads after the
    /// pass, so that one may yet fail to start (`Event::StartFailed`).
    #[cfg(feature = "alloc")]
    fn starts_later(&self) -> bool;
    /// Hand `work` to `worker` (whose id is `id`); `Err(work)` if the worker refused it.
    fn dispatch(&mut self, worker: &Wk, id: WorkerId, work: W) -> Result<(), W>;
    /// The worker is no longer needed.
    fn quit_worker(&mut self, worker: Wk);
    /// Quitting is complete: nothing is busy and nothing more can run.
    fn quit_coordinator(&mut self);
}

//! How the items a Team hands out find their way back to it.
//!
//! A worker's type names its item type ([`Job<W>`]) and the coordinator's names
//! [`Coordinate<W>`]; if those named the Team's type, the Team's type would contain
//! itself. So items reach the Team through `dyn TeamLink<W>`: a `&'static` for a Team in
//! a [`TeamSlot`](super::TeamSlot), an `Arc` otherwise.

use core::fmt;

use super::event::Event;
#[cfg(feature = "std")]
use super::Failure;
use super::WorkerId;
use crate::Work;

/// What the Team's items call back into.
pub(crate) trait TeamLink<W>: Send + Sync {
    /// Apply an event (inside the coordinator).
    fn apply(&self, event: Event<W>, link: &Link<W>);
    /// A worker finished its item: coordinate its hand-back. `link` leads to `self`.
    /// `true`: the worker stays busy and takes an item that a submitter is landing in the
    /// fast lane, from [`landing`](TeamLink::landing).
    fn hand_back(&self, id: WorkerId, link: &Link<W>) -> bool;
    // What only some builds use is compiled only there: every method here is in the
    // Team's vtable, so an unused one would still cost firmware its flash.
    /// The worker `id` could not start, so `work`, which it was given, never ran.
    #[cfg(feature = "alloc")]
    fn start_failed(&self, id: WorkerId, work: W);
    /// An item failed (a caught panic).
    #[cfg(feature = "std")]
    fn report(&self, failure: Failure);
    /// Removes the first backlogged item that `matches` (a task handle's cancel).
    #[cfg(feature = "alloc")]
    fn remove_backlogged(&self, matches: &mut dyn FnMut(&W) -> bool) -> Option<W>;
    /// Whether quitting has completed (see `Team::is_finished`): what is still in the
    /// backlog is then for `reclaim` alone.
    #[cfg(feature = "alloc")]
    fn finished(&self) -> bool;
    /// Whether waiting work cannot run (see `Team::is_stalled`), for a blocking join.
    #[cfg(feature = "std")]
    fn stalled(&self) -> bool;
    /// A worker finished an item: its next one, taken from the fast lane without
    /// coordinating, if there is one.
    #[cfg(feature = "std")]
    fn next_work(&self) -> Option<W>;
    /// For a worker kept busy by its hand-back: waits for the item landing in the lane.
    /// `None` if it was cancelled meanwhile; the worker is then handed back again.
    #[cfg(feature = "std")]
    fn landing(&self) -> Option<W>;
}

pub(crate) enum Link<W: 'static> {
    Static(&'static dyn TeamLink<W>),
    #[cfg(feature = "alloc")]
    Arc(alloc::sync::Arc<dyn TeamLink<W>>),
}

impl<W> Link<W> {
    fn team(&self) -> &dyn TeamLink<W> {
        match self {
            Link::Static(team) => *team,
            #[cfg(feature = "alloc")]
            Link::Arc(team) => &**team,
        }
    }
}

impl<W> Clone for Link<W> {
    fn clone(&self) -> Self {
        match self {
            Link::Static(team) => Link::Static(*team),
            #[cfg(feature = "alloc")]
            Link::Arc(team) => Link::Arc(alloc::sync::Arc::clone(team)),
        }
    }
}

/// A Team's link to itself: weak when the Team is in an `Arc`, so it does not keep itself
/// alive.
pub(crate) enum SelfLink<W: 'static> {
    Static(&'static dyn TeamLink<W>),
    #[cfg(feature = "alloc")]
    Weak(alloc::sync::Weak<dyn TeamLink<W>>),
}

impl<W> SelfLink<W> {
    pub(crate) fn get(&self) -> Option<Link<W>> {
        match self {
            SelfLink::Static(team) => Some(Link::Static(*team)),
            #[cfg(feature = "alloc")]
            SelfLink::Weak(team) => team.upgrade().map(Link::Arc),
        }
    }

    /// Whether the Team still exists and its waiting work cannot run.
    #[cfg(feature = "std")]
    pub(crate) fn stalled(&self) -> bool {
        self.get().is_some_and(|team| team.team().stalled())
    }

    /// Removes the first backlogged item that `matches`, if the Team still exists; with
    /// `None`, whether the item may still be on its way to a worker (the Team exists and
    /// has not finished), rather than taken back by `reclaim` or dropped with the Team.
    #[cfg(feature = "alloc")]
    pub(crate) fn remove_backlogged(&self, matches: &mut dyn FnMut(&W) -> bool) -> Result<W, bool> {
        let Some(team) = self.get() else { return Err(false) };
        let team = team.team();
        // Looked at after the search: a `reclaim` that took the item before the search
        // could only do so once the Team had finished.
        team.remove_backlogged(matches).ok_or_else(|| !team.finished())
    }
}

impl<W> Clone for SelfLink<W> {
    fn clone(&self) -> Self {
        match self {
            SelfLink::Static(team) => SelfLink::Static(*team),
            #[cfg(feature = "alloc")]
            SelfLink::Weak(team) => SelfLink::Weak(alloc::sync::Weak::clone(team)),
        }
    }
}

/// An item of work as a Team hands it to one of its workers: the work, plus the way back
/// to the Team. Running it runs the work, reports a failure (a panic, with `std`), then
/// hands the worker back to the Team's coordinator.
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
/// // A worker of a Team receives Jobs: the work plus the way back to the Team.
/// let (worker, work) = create_memory_worker::<Job<BoxedWork>>();
/// let team = TeamBuilder::new(move |_| Some(worker.clone())).build();
/// team.submit(Box::new(|| println!("in a job"))).unwrap();
/// assert!(work.perform()); // runs the work, then hands the worker back
/// # }
/// # #[cfg(not(feature = "alloc"))]
/// # fn main() {}
/// ```
pub struct Job<W: 'static> {
    work: W,
    worker: WorkerId,
    link: Link<W>,
}

impl<W> Job<W> {
    pub(crate) fn new(work: W, worker: WorkerId, link: Link<W>) -> Self {
        Self { work, worker, link }
    }

    pub(crate) fn into_work(self) -> W {
        self.work
    }

    /// The worker this job was given to could not start: the work goes back to the Team.
    #[cfg(feature = "alloc")]
    pub(crate) fn start_failed(self) {
        let Job { work, worker, link } = self;
        link.team().start_failed(worker, work);
    }

    /// The work inside.
    pub fn work(&self) -> &W {
        &self.work
    }

    /// The worker it was given to.
    pub fn worker(&self) -> WorkerId {
        self.worker
    }
}

impl<W: Work> Work for Job<W> {
    #[cfg(not(feature = "std"))]
    fn run(self) {
        // No fast lane without std, and a panic does not unwind: run, then hand back.
        let Job { work, worker, link } = self;
        work.run();
        link.team().hand_back(worker, &link);
    }

    /// Runs the work, then whatever the Team's fast lane holds (the worker stays busy, as a
    /// coordinated hand-back would have kept it with the backlog's oldest item), then hands
    /// the worker back.
    #[cfg(feature = "std")]
    fn run(self) {
        let Job { mut work, worker, link } = self;
        let team = link.team();
        loop {
            if let Err(payload) = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| work.run())) {
                team.report(Failure::from_panic(payload));
            }
            work = match team.next_work() {
                Some(next) => next,
                None => loop {
                    if !team.hand_back(worker, &link) {
                        return;
                    }
                    if let Some(next) = team.landing() {
                        break next;
                    }
                },
            };
        }
    }
}

impl<W> fmt::Debug for Job<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job").field("worker", &self.worker).finish_non_exhaustive()
    }
}

/// An item for a Team's coordinator: one event (a submit, a hand-back, a grow, ...) to
/// apply to the Team's state. Running it applies the event.
///
/// ```
/// # #[cfg(feature = "alloc")]
/// # fn main() {
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::team::{Coordinate, Job, TeamBuilder};
/// use threadteam::workers::{create_memory_worker, BoxedWork};
/// use threadteam::Worker;
///
/// // A coordinator that records its events: each `perform` applies one.
/// let (coordinator, coordinate) = create_memory_worker::<Coordinate<BoxedWork>>();
/// let (worker, _work) = create_memory_worker::<Job<BoxedWork>>();
/// let team = TeamBuilder::new(move |_| Some(worker.clone())).coordinator(coordinator).build();
/// team.submit(Box::new(|| ())).unwrap();
/// assert_eq!(team.statistics().busy_workers, 0); // the submit is only recorded
/// assert!(coordinate.perform()); // ... and applied now
/// assert_eq!(team.statistics().busy_workers, 1);
/// # }
/// # #[cfg(not(feature = "alloc"))]
/// # fn main() {}
/// ```
pub struct Coordinate<W: 'static> {
    event: Event<W>,
    link: Link<W>,
}

impl<W> Coordinate<W> {
    pub(crate) fn new(event: Event<W>, link: Link<W>) -> Self {
        Self { event, link }
    }

    pub(crate) fn into_event(self) -> Event<W> {
        self.event
    }
}

impl<W> Work for Coordinate<W> {
    fn run(self) {
        let Coordinate { event, link } = self;
        link.team().apply(event, &link);
    }
}

impl<W> fmt::Debug for Coordinate<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.event {
            Event::Submit(_) => "Submit",
            Event::HandedBack(_) => "HandedBack",
            #[cfg(feature = "alloc")]
            Event::StartFailed(..) => "StartFailed",
            Event::Grow(_) => "Grow",
            Event::Shrink(_) => "Shrink",
            Event::Quit => "Quit",
            Event::Pump => "Pump",
            Event::Tick => "Tick",
            Event::Policy => "Policy",
        };
        f.debug_tuple("Coordinate").field(&format_args!("{name}")).finish()
    }
}

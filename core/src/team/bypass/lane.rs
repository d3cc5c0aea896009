//! The [`Lane`](crate::team::bypass::Lane) trait: a gated lock-free FIFO, and [`NoLane`](crate::team::bypass::NoLane), its absence.

/// Pushes a submitter may make through an open lane before the coordinator sees a submit
/// again: a saturated Team still coordinates one submit in this many, so its limit is
/// re-read and a worker whose creation failed is tried again, without a round trip per
/// item.
pub const BYPASS_BUDGET: usize = 256;

pub(super) mod sealed {
    pub trait Sealed {}
}

/// A bounded multi-producer, multi-consumer FIFO with a gate, used by a
/// [`Team`](crate::team::Team) as the head of its backlog. Implemented by `Ring` (with `std`) and
/// [`NoLane`](crate::team::bypass::NoLane) only; a [`Storage`](crate::team::Storage) picks one.
///
/// The gate belongs to the Team's coordinator: it opens it at the end of an event when its
/// state allows work to go around it, and closes it otherwise (see [`bypass`](super)). Submitters push
/// through the gate only while it is open (and its budget lasts); the coordinator and busy
/// workers push and pop regardless.
///
/// `push` and `pop` may fail spuriously while another thread is in the middle of an
/// operation on the same slot (a full-looking lane refuses, an empty-looking lane gives
/// `None`); the Team treats both like a full or empty lane and takes its coordinated path,
/// which never misses the item.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::team::bypass::{Lane, NoLane};
///
/// // Sealed: a Storage picks one of the two. Without a lane every item is coordinated.
/// assert!(!<NoLane as Lane<u32>>::ENABLED);
/// assert_eq!(NoLane.push(7), Err(7));
/// ```
pub trait Lane<T>: sealed::Sealed + Default {
    /// Whether the lane exists at all; a Team with a disabled lane coordinates every item.
    const ENABLED: bool;
    /// Appends `item`, open or not (the coordinator's push).
    ///
    /// # Errors
    /// Hands `item` back when the lane is full (or disabled).
    fn push(&self, item: T) -> Result<(), T>;
    /// Appends `item` if the gate is open and its budget lasts (a submitter's push): the
    /// check of the gate and the claim of a place are one atomic step.
    ///
    /// # Errors
    /// Hands `item` back when the gate is closed or spent, or the lane is full.
    fn push_open(&self, item: T) -> Result<(), T>;
    /// Removes the oldest item.
    fn pop(&self) -> Option<T>;
    /// Removes the oldest item that `matches` (a cancelled task's work), wherever it is.
    fn remove_first(&self, matches: &mut dyn FnMut(&T) -> bool) -> Option<T>;
    /// Roughly how many items it holds (exact when no push or pop is under way).
    fn len(&self) -> usize;
    /// Whether it holds no items (as exactly as [`len`](crate::team::bypass::Lane::len)).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Opens the gate with a fresh budget of [`BYPASS_BUDGET`](crate::team::bypass::BYPASS_BUDGET) pushes. `open` and
    /// [`close`](crate::team::bypass::Lane::close) are the coordinator's: never called by two threads at once.
    fn open(&self);
    /// Closes the gate: from here on, [`push_open`](crate::team::bypass::Lane::push_open) refuses, and every
    /// place claimed before shows in [`is_claimed`](crate::team::bypass::Lane::is_claimed).
    fn close(&self);
    /// Whether the gate is open.
    fn is_open(&self) -> bool;
    /// Whether any place is claimed: an item is waiting, or a push has claimed a place and
    /// its item is about to land, or an item was removed by
    /// [`remove_first`](crate::team::bypass::Lane::remove_first) and no pop has stepped over its place yet (a
    /// pop then does, and returns `None` if that was all). Exact when the gate is closed
    /// and nothing else pops.
    fn is_claimed(&self) -> bool;
    /// A mark of how far places have been claimed: every place claimed before this call is
    /// before it. (The time-keeping of a paced Team pairs marks with clock readings.)
    fn mark(&self) -> usize;
    /// Whether the oldest claimed place still held (the head) is before `mark`: claimed
    /// before the mark was taken.
    fn head_before(&self, mark: usize) -> bool;
}

/// No lane: every item goes through the Team's coordinator. The choice of [`Fixed`](crate::team::Fixed)
/// storage, so a no-alloc Team keeps exactly its configured footprint.
///
/// [`Fixed`](crate::team::Fixed): crate::Fixed
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::team::bypass::{Lane, NoLane};
///
/// let lane = NoLane;
/// assert_eq!(lane.push_open("work"), Err("work")); // always refused: the coordinator takes it
/// assert!(Lane::<&str>::is_empty(&lane));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoLane;

impl sealed::Sealed for NoLane {}

impl<T> Lane<T> for NoLane {
    const ENABLED: bool = false;

    fn push(&self, item: T) -> Result<(), T> {
        Err(item)
    }

    fn push_open(&self, item: T) -> Result<(), T> {
        Err(item)
    }

    fn pop(&self) -> Option<T> {
        None
    }

    fn remove_first(&self, _matches: &mut dyn FnMut(&T) -> bool) -> Option<T> {
        None
    }

    fn len(&self) -> usize {
        0
    }

    fn open(&self) {}

    fn close(&self) {}

    fn is_open(&self) -> bool {
        false
    }

    fn is_claimed(&self) -> bool {
        false
    }

    fn mark(&self) -> usize {
        0
    }

    fn head_before(&self, _mark: usize) -> bool {
        false
    }
}

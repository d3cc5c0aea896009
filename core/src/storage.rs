//! Where queued work and workers live: fixed capacities (`heapless`) or the heap.
//!
//! One state machine serves both; it only talks to the two small traits [`Queue`](crate::team::Queue) and
//! [`Seq`](crate::team::Seq), and a [`Storage`](crate::team::Storage) picks the concrete types.

use core::time::Duration;

use crate::team::Backlogged;
use crate::{Lane, NoLane};

/// A FIFO queue. Implemented for [`heapless::Deque`] (fixed capacity) and, with `alloc`,
/// `VecDeque` (grows).
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::team::Queue;
///
/// let mut queue: heapless::Deque<u8, 2> = heapless::Deque::new();
/// Queue::push_back(&mut queue, 1).unwrap();
/// Queue::push_front(&mut queue, 0).unwrap();
/// assert_eq!(Queue::push_back(&mut queue, 2), Err(2)); // full: handed back
/// assert_eq!(Queue::remove_first(&mut queue, |&n| n == 1), Some(1));
/// assert_eq!(Queue::len(&queue), 1);
/// ```
pub trait Queue<T>: Default {
    /// Appends `item`.
    ///
    /// # Errors
    /// Hands `item` back when the queue is full.
    fn push_back(&mut self, item: T) -> Result<(), T>;
    /// Puts `item` first, for work that must keep its place.
    ///
    /// # Errors
    /// Hands `item` back when the queue is full.
    fn push_front(&mut self, item: T) -> Result<(), T>;
    /// Removes the oldest item.
    fn pop_front(&mut self) -> Option<T>;
    /// The oldest item.
    fn front(&self) -> Option<&T>;
    /// Number of items.
    fn len(&self) -> usize;
    /// Whether there are no items.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The most items it can hold (`usize::MAX` when it grows).
    fn capacity(&self) -> usize;
    /// Removes the first item for which `matches` is true, keeping the order of the rest.
    fn remove_first(&mut self, matches: impl FnMut(&T) -> bool) -> Option<T>;
}

/// A growable-or-fixed sequence (a `Vec`). Implemented for [`heapless::Vec`] and `Vec`.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::team::Seq;
///
/// let mut seq: heapless::Vec<char, 3> = heapless::Vec::new();
/// for c in ['a', 'b', 'c'] {
///     Seq::push(&mut seq, c).unwrap();
/// }
/// assert_eq!(Seq::push(&mut seq, 'd'), Err('d'));
/// assert_eq!(Seq::remove(&mut seq, 0), 'a');
/// assert_eq!(Seq::as_slice(&seq), ['b', 'c']);
/// ```
pub trait Seq<T>: Default {
    /// Appends `item`.
    ///
    /// # Errors
    /// Hands `item` back when full.
    fn push(&mut self, item: T) -> Result<(), T>;
    /// Removes the last item.
    fn pop(&mut self) -> Option<T>;
    /// The items.
    fn as_slice(&self) -> &[T];
    /// The items, mutably.
    fn as_mut_slice(&mut self) -> &mut [T];
    /// Removes the item at `index`, keeping the order of the rest.
    fn remove(&mut self, index: usize) -> T;
}

impl<T, const N: usize> Queue<T> for heapless::Deque<T, N> {
    fn push_back(&mut self, item: T) -> Result<(), T> {
        heapless::Deque::push_back(self, item)
    }
    fn push_front(&mut self, item: T) -> Result<(), T> {
        heapless::Deque::push_front(self, item)
    }
    fn pop_front(&mut self) -> Option<T> {
        heapless::Deque::pop_front(self)
    }
    fn front(&self) -> Option<&T> {
        heapless::Deque::front(self)
    }
    fn len(&self) -> usize {
        heapless::Deque::len(self)
    }
    fn capacity(&self) -> usize {
        N
    }
    fn remove_first(&mut self, mut matches: impl FnMut(&T) -> bool) -> Option<T> {
        // Rotate once through the queue: everything but the first match goes back in order.
        let mut found = None;
        for _ in 0..heapless::Deque::len(self) {
            let item = heapless::Deque::pop_front(self)?;
            if found.is_none() && matches(&item) {
                found = Some(item);
            } else if heapless::Deque::push_back(self, item).is_err() {
                unreachable!("an item just popped always fits back");
            }
        }
        found
    }
}

impl<T, const N: usize> Seq<T> for heapless::Vec<T, N> {
    fn push(&mut self, item: T) -> Result<(), T> {
        heapless::Vec::push(self, item)
    }
    fn pop(&mut self) -> Option<T> {
        heapless::Vec::pop(self)
    }
    fn as_slice(&self) -> &[T] {
        self
    }
    fn as_mut_slice(&mut self) -> &mut [T] {
        self
    }
    fn remove(&mut self, index: usize) -> T {
        // Swaps rather than `heapless::Vec::remove`'s block move, which would link
        // `memmove` (1.5 KiB on Cortex-M) into firmware for a handful of workers.
        let items: &mut [T] = self;
        for i in index..items.len() - 1 {
            items.swap(i, i + 1);
        }
        heapless::Vec::pop(self).expect("index within the sequence")
    }
}

#[cfg(feature = "alloc")]
mod heap {
    use alloc::collections::VecDeque;
    use alloc::vec::Vec;

    impl<T> super::Queue<T> for VecDeque<T> {
        fn push_back(&mut self, item: T) -> Result<(), T> {
            VecDeque::push_back(self, item);
            Ok(())
        }
        fn push_front(&mut self, item: T) -> Result<(), T> {
            VecDeque::push_front(self, item);
            Ok(())
        }
        fn pop_front(&mut self) -> Option<T> {
            VecDeque::pop_front(self)
        }
        fn front(&self) -> Option<&T> {
            VecDeque::front(self)
        }
        fn len(&self) -> usize {
            VecDeque::len(self)
        }
        fn capacity(&self) -> usize {
            usize::MAX
        }
        fn remove_first(&mut self, matches: impl FnMut(&T) -> bool) -> Option<T> {
            let index = self.iter().position(matches)?;
            VecDeque::remove(self, index)
        }
    }

    impl<T> super::Seq<T> for Vec<T> {
        fn push(&mut self, item: T) -> Result<(), T> {
            Vec::push(self, item);
            Ok(())
        }
        fn pop(&mut self) -> Option<T> {
            Vec::pop(self)
        }
        fn as_slice(&self) -> &[T] {
            self
        }
        fn as_mut_slice(&mut self) -> &mut [T] {
            self
        }
        fn remove(&mut self, index: usize) -> T {
            Vec::remove(self, index)
        }
    }
}

/// Picks the collections a [`Team`](crate::team::Team) keeps its backlog (of `W`) and its workers
/// (of `Wk`) in.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::team::{Fixed, Storage};
///
/// // A Team's storage type decides its capacities; `Fixed` names them in its type.
/// fn backlog_capacity<S: Storage<u8, ()>>() -> usize {
///     threadteam::team::Queue::capacity(&S::Backlog::default())
/// }
/// assert_eq!(backlog_capacity::<Fixed<8, 2>>(), 8);
/// ```
pub trait Storage<W, Wk> {
    /// The FIFO backlog of work waiting for a worker, each item with its submit time.
    type Backlog: Queue<Backlogged<W>>;
    /// The worker slots: `Some` while the worker is alive.
    type Slots: Seq<Option<Wk>>;
    /// Idle worker ids, each with the time it became idle; most recently idled last.
    type Ids: Seq<(usize, Duration)>;
    /// The [fast lane](crate::team#the-fast-lane) at the head of the backlog:
    /// `Ring` (with `std`) or [`NoLane`](crate::team::bypass::NoLane).
    type Lane: Lane<W>;
}

/// Fixed capacities: at most `BACKLOG` waiting items and `WORKERS` live workers.
/// Needs neither `alloc` nor `std`; a full backlog hands work back.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::team::{CallerLock, Fixed, Job, Statistics, Team, TeamBuilder, TeamSlot};
/// use threadteam::workers::{FnWork, MemoryWorker};
/// use threadteam::Worker;
///
/// // At most 2 items waiting and 1 worker: no allocator anywhere.
/// type Inbox = MemoryWorker<Job<FnWork>, heapless::Deque<Job<FnWork>, 1>>;
/// type Create = fn(&Statistics) -> Option<&'static Inbox>;
/// type Small = Team<FnWork, &'static Inbox, CallerLock<FnWork>, Create, Fixed<2, 1>>;
/// static INBOX: Inbox = MemoryWorker::with_queue(heapless::Deque::new());
/// static SLOT: TeamSlot<Small> = TeamSlot::new();
///
/// let create: Create = |_| Some(&INBOX);
/// let team = TeamBuilder::new(create).build_static(&SLOT);
/// let nothing = FnWork::new(|_| (), 0);
/// team.submit(nothing).unwrap(); // dispatched to the worker
/// team.submit(nothing).unwrap(); // waits
/// team.submit(nothing).unwrap(); // waits
/// assert!(team.submit(nothing).unwrap_err().is_backlog_full()); // handed back
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Fixed<const BACKLOG: usize, const WORKERS: usize>;

impl<W, Wk, const B: usize, const N: usize> Storage<W, Wk> for Fixed<B, N> {
    type Backlog = heapless::Deque<Backlogged<W>, B>;
    type Slots = heapless::Vec<Option<Wk>, N>;
    type Ids = heapless::Vec<(usize, Duration), N>;
    type Lane = NoLane;
}

/// Heap storage that grows as needed (requires `alloc`).
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use std::sync::Arc;
/// use threadteam::team::{Growable, HeapTeam, Team};
/// use threadteam::workers::{BoxedWork, MemoryWorker};
///
/// // What `TeamBuilder::build` makes: a Team with growable storage, named through an alias.
/// type Wk = Arc<MemoryWorker<threadteam::team::Job<BoxedWork>>>;
/// fn same(team: Arc<HeapTeam<BoxedWork, Wk>>) -> Arc<Team<BoxedWork, Wk, threadteam::team::CallerLock<BoxedWork>, threadteam::team::CreateWorker<Wk>, Growable>> {
///     team
/// }
/// # let _ = same;
/// ```
#[cfg(feature = "alloc")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Growable;

#[cfg(feature = "alloc")]
impl<W, Wk> Storage<W, Wk> for Growable {
    type Backlog = alloc::collections::VecDeque<Backlogged<W>>;
    type Slots = alloc::vec::Vec<Option<Wk>>;
    type Ids = alloc::vec::Vec<(usize, Duration)>;
    #[cfg(feature = "std")]
    type Lane = crate::Ring<W>;
    /// Without `std` there is no fast lane (see [`Lane`](crate::team::bypass::Lane)).
    #[cfg(not(feature = "std"))]
    type Lane = NoLane;
}

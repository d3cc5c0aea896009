//! The Team's fast lane: a lock-free FIFO at the head of its backlog, which submitters
//! push to and busy workers pop from without the coordinator once every worker is busy.
//!
//! A [`Storage`](crate::Storage) picks the lane: [`Ring`] (with `alloc`) or [`NoLane`]
//! (every item goes through the coordinator). How the lane stays consistent with the
//! Team's state is described under [the fast lane](crate::team#the-fast-lane).

#[cfg(feature = "alloc")]
pub use ring::Ring;

/// Pushes a submitter may make through an open lane before the coordinator sees a submit
/// again: a saturated Team still coordinates one submit in this many, so its limit is
/// re-read and a worker whose creation failed is tried again, without a round trip per
/// item.
pub const BYPASS_BUDGET: usize = 256;

mod sealed {
    pub trait Sealed {}
}

/// A bounded multi-producer, multi-consumer FIFO with a gate, used by a
/// [`Team`](crate::Team) as the head of its backlog. Implemented by [`Ring`] and
/// [`NoLane`] only; a [`Storage`](crate::Storage) picks one.
///
/// The gate belongs to the Team's coordinator: it closes the lane at the start of every
/// event and opens it at the end when its state allows work to bypass it. Submitters push
/// through the gate only while it is open (and its budget lasts); the coordinator and busy
/// workers push and pop regardless.
///
/// `push` and `pop` may fail spuriously while another thread is in the middle of an
/// operation on the same slot (a full-looking lane refuses, an empty-looking lane gives
/// `None`); the Team treats both like a full or empty lane and takes its coordinated path,
/// which never misses the item.
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
    /// Whether it holds no items (as exactly as [`len`](Lane::len)).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Opens the gate with a fresh budget of [`BYPASS_BUDGET`] pushes.
    fn open(&self);
    /// Closes the gate: from here on, [`push_open`](Lane::push_open) refuses, and every
    /// place claimed before shows in [`is_claimed`](Lane::is_claimed).
    fn close(&self);
    /// Whether the gate is open.
    fn is_open(&self) -> bool;
    /// Whether any place is claimed: an item is waiting, or a push has claimed a place and
    /// its item is about to land. Exact when the gate is closed and nothing else pops.
    fn is_claimed(&self) -> bool;
}

/// No lane: every item goes through the Team's coordinator. The choice of [`Fixed`]
/// storage, so a no-alloc Team keeps exactly its configured footprint.
///
/// [`Fixed`]: crate::Fixed
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
}

#[cfg(feature = "alloc")]
mod ring {
    use alloc::boxed::Box;
    use core::fmt;

    use super::{Lane, BYPASS_BUDGET};
    use crate::sync::{retry, AtomicUsize, Mutex, Once, Ordering};

    /// The tail word: the push position above the gate's bit, so that a submitter's claim
    /// of a position and its check of the gate are one compare-and-swap.
    const OPEN: usize = 1;
    /// Positions use one bit less than a word; they and sequence numbers wrap together.
    const POSITIONS: usize = usize::MAX >> 1;

    fn position(tail: usize) -> usize {
        tail >> 1
    }

    /// `pos + n`, wrapping like positions do.
    fn advance(pos: usize, n: usize) -> usize {
        pos.wrapping_add(n) & POSITIONS
    }

    /// `a - b` as a signed distance: positions wrap, differences stay small.
    fn distance(a: usize, b: usize) -> isize {
        ((a.wrapping_sub(b) << 1) as isize) >> 1
    }

    /// Slots per chunk, and chunks: a [`Ring`] holds up to a million items, in chunks
    /// allocated as the lane first grows into them (256 KiB each with boxed work: large
    /// enough that the allocator maps them apart from the small boxes of work), so an
    /// idle Team costs a small table and a burst from several submitters almost never
    /// spills into the coordinated backlog. Like a `VecDeque`'s buffer, the chunks stay
    /// until the Team is dropped.
    #[cfg(not(threadteam_loom))]
    const CHUNK: usize = 8192;
    #[cfg(not(threadteam_loom))]
    const CHUNKS: usize = 128;
    /// Under loom every slot is a modelled object: keep the model small, and wrap around.
    #[cfg(threadteam_loom)]
    const CHUNK: usize = 2;
    #[cfg(threadteam_loom)]
    const CHUNKS: usize = 1;

    /// Keeps the two ends on different cache lines (two, for adjacent-line prefetch), so
    /// submitters and workers do not contend on one line.
    #[repr(align(128))]
    struct Padded<T>(T);

    struct Slot<T> {
        /// Dmitry Vyukov's sequence number: `pos` when the slot is free for the push at
        /// `pos`, `pos + 1` when it holds that push's item.
        seq: AtomicUsize,
        /// Otherwise only the thread that claimed the slot's position touches it, so the
        /// lock is contended only by a [`remove_first`](Lane::remove_first) scan; it is
        /// what makes the slot safe Rust. `None` in a published slot: the item was removed.
        item: Mutex<Option<T>>,
    }

    /// `CHUNK` consecutive slots.
    type Chunk<T> = Box<[Slot<T>]>;

    /// The slots at positions `first..first + CHUNK` (their first lap).
    fn chunk<T>(first: usize) -> Chunk<T> {
        (first..first + CHUNK).map(|pos| Slot { seq: AtomicUsize::new(pos), item: Mutex::new(None) }).collect()
    }

    /// A bounded lock-free MPMC ring (Dmitry Vyukov's algorithm) on the heap: the fast
    /// lane of [`Growable`](crate::Growable) storage. One compare-and-swap per push or pop
    /// on the ring's index, then an uncontended slot.
    pub struct Ring<T> {
        /// The pop position.
        head: Padded<AtomicUsize>,
        /// The push position and the gate (see [`OPEN`]).
        tail: Padded<AtomicUsize>,
        /// The push position at which the gate last opened: the budget runs from there.
        opened_at: AtomicUsize,
        chunks: Box<[Once<Chunk<T>>]>,
        /// Removed items whose slots `pop` has not passed yet (they still count in
        /// `tail - head`).
        holes: AtomicUsize,
    }

    impl<T> Ring<T> {
        /// An empty ring; its first chunk is allocated by its first push.
        pub fn new() -> Self {
            let ring = Self {
                head: Padded(AtomicUsize::new(0)),
                tail: Padded(AtomicUsize::new(0)),
                opened_at: AtomicUsize::new(0),
                chunks: (0..CHUNKS).map(|_| Once::new()).collect(),
                holes: AtomicUsize::new(0),
            };
            if cfg!(threadteam_loom) {
                // A model must never wait on a `spin::Once` (loom cannot see it): allocate up
                // front.
                for (i, once) in ring.chunks.iter().enumerate() {
                    once.call_once(|| chunk(i * CHUNK));
                }
            }
            ring
        }

        /// The most items it holds.
        pub fn capacity(&self) -> usize {
            CHUNKS * CHUNK
        }

        /// The slot for `pos`; `None` if its chunk does not exist yet and `allocate` is
        /// false (no item was ever pushed there).
        fn slot(&self, pos: usize, allocate: bool) -> Option<&Slot<T>> {
            let index = pos & (self.capacity() - 1);
            let (c, i) = (index / CHUNK, index % CHUNK);
            let once = &self.chunks[c];
            let chunk = match once.get() {
                Some(chunk) => chunk,
                None if allocate => once.call_once(|| chunk(c * CHUNK)),
                None => return None,
            };
            Some(&chunk[i])
        }
    }

    impl<T> Default for Ring<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<T> Ring<T> {
        /// Vyukov's push, with the gate in the tail word: `gated` pushes claim a position
        /// only while the gate is open and its budget lasts.
        fn enqueue(&self, item: T, gated: bool) -> Result<(), T> {
            let mut tail = self.tail.0.load(Ordering::Acquire);
            loop {
                let pos = position(tail);
                if gated
                    && (tail & OPEN == 0
                        || distance(pos, self.opened_at.load(Ordering::Relaxed)) >= BYPASS_BUDGET as isize)
                {
                    return Err(item);
                }
                let slot = self.slot(pos, true).expect("allocated on demand");
                let seq = slot.seq.load(Ordering::Acquire);
                match distance(seq, pos) {
                    0 => {
                        let next = (advance(pos, 1) << 1) | (tail & OPEN);
                        match self.tail.0.compare_exchange_weak(tail, next, Ordering::AcqRel, Ordering::Acquire) {
                            Ok(_) => {
                                *slot.item.lock() = Some(item);
                                slot.seq.store(advance(pos, 1), Ordering::Release);
                                if pos % CHUNK == CHUNK / 2 {
                                    // Halfway through a chunk, make the next one, so that
                                    // other pushes do not wait for it when they get there.
                                    let _ = self.slot(advance(pos, CHUNK), true);
                                }
                                return Ok(());
                            }
                            Err(now) => {
                                tail = now;
                                retry();
                            }
                        }
                    }
                    // The slot still holds the item from one lap ago: full.
                    d if d < 0 => return Err(item),
                    // Another push took this position: catch up.
                    _ => {
                        tail = self.tail.0.load(Ordering::Acquire);
                        retry();
                    }
                }
            }
        }
    }

    impl<T> super::sealed::Sealed for Ring<T> {}

    impl<T> Lane<T> for Ring<T> {
        const ENABLED: bool = true;

        fn push(&self, item: T) -> Result<(), T> {
            self.enqueue(item, false)
        }

        fn push_open(&self, item: T) -> Result<(), T> {
            self.enqueue(item, true)
        }

        fn pop(&self) -> Option<T> {
            let mut pos = self.head.0.load(Ordering::Relaxed);
            loop {
                // No chunk yet: nothing was ever pushed this far.
                let slot = self.slot(pos, false)?;
                let seq = slot.seq.load(Ordering::Acquire);
                match distance(seq, advance(pos, 1)) {
                    0 => match self.head.0.compare_exchange_weak(
                        pos,
                        advance(pos, 1),
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => {
                            let item = slot.item.lock().take();
                            slot.seq.store(advance(pos, self.capacity()), Ordering::Release);
                            if item.is_some() {
                                return item;
                            }
                            // Removed by `remove_first`: step over the hole.
                            self.holes.fetch_sub(1, Ordering::Relaxed);
                            pos = self.head.0.load(Ordering::Relaxed);
                        }
                        Err(now) => {
                            pos = now;
                            retry();
                        }
                    },
                    // Not yet written by the push that claimed it: empty, for now.
                    d if d < 0 => return None,
                    // Another pop took this position: catch up.
                    _ => {
                        pos = self.head.0.load(Ordering::Relaxed);
                        retry();
                    }
                }
            }
        }

        fn remove_first(&self, matches: &mut dyn FnMut(&T) -> bool) -> Option<T> {
            // Oldest first, one lap from the head. An item seen here is waiting or being
            // published or popped; whoever locks its slot first takes it, and a pop that
            // finds its slot empty steps over it.
            let head = self.head.0.load(Ordering::Acquire);
            let tail = position(self.tail.0.load(Ordering::Acquire));
            let span = usize::try_from(distance(tail, head)).unwrap_or(0).min(self.capacity());
            for pos in (0..span).map(|i| advance(head, i)) {
                let Some(slot) = self.slot(pos, false) else { break };
                let mut item = slot.item.lock();
                if item.as_ref().is_some_and(&mut *matches) {
                    self.holes.fetch_add(1, Ordering::Relaxed);
                    return item.take();
                }
            }
            None
        }

        fn len(&self) -> usize {
            let head = self.head.0.load(Ordering::Acquire);
            let tail = position(self.tail.0.load(Ordering::Acquire));
            let holes = self.holes.load(Ordering::Relaxed);
            // Read apart, these can disagree for a moment: clamp to what a ring can hold.
            usize::try_from(distance(tail, head)).unwrap_or(0).saturating_sub(holes).min(self.capacity())
        }

        fn open(&self) {
            self.opened_at.store(position(self.tail.0.load(Ordering::Relaxed)), Ordering::Relaxed);
            // Release: a submitter that sees the gate open sees the budget's start.
            self.tail.0.fetch_or(OPEN, Ordering::Release);
        }

        fn close(&self) {
            // Reads the latest tail: every position claimed while open is below it.
            self.tail.0.fetch_and(!OPEN, Ordering::AcqRel);
        }

        fn is_open(&self) -> bool {
            self.tail.0.load(Ordering::Relaxed) & OPEN != 0
        }

        fn is_claimed(&self) -> bool {
            position(self.tail.0.load(Ordering::Acquire)) != self.head.0.load(Ordering::Acquire)
        }
    }

    impl<T> fmt::Debug for Ring<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Ring").field("len", &self.len()).field("capacity", &self.capacity()).finish()
        }
    }
}

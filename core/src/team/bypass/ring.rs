//! [`Ring`](crate::team::bypass::Ring): the fast lane of [`Growable`](crate::team::Growable) storage, an unbounded-looking
//! lock-free FIFO made of a chain of bounded rings.
//!
//! # Shape
//!
//! Each *segment* is a bounded multi-producer, multi-consumer ring (Dmitry Vyukov's
//! algorithm: one compare-and-swap on the ring's index per push or pop, then a slot of
//! its own). The first segment has [`FIRST`] places; when the newest segment is full, the
//! push that finds it full adds one twice as large, and pushes go there from then on. Pops
//! drain a segment before they move on to the next. So the lane's memory follows its
//! deepest backlog (like a `VecDeque`'s buffer): a Team that never queues more than a
//! thousand items keeps wrapping around its first 32 KiB, however much work passes
//! through it. A segment's slots are allocated in chunks as its first lap reaches them;
//! a drained segment's memory stays until the Team is dropped (it is never more than the
//! newest segment's).
//!
//! # One position space
//!
//! Positions are global: they count pushes (and pops) across all segments, and segment
//! `k` holds the positions from its `start` (the tail position when it was added) up to
//! the next segment's start. A slot's sequence number is a global position too. The tail
//! word holds the push position, the index of the newest segment, and two flags: the
//! Team's gate ([`OPEN`]) and [`GROW`] (a push is adding a segment, the others wait). So a
//! submitter's claim of a position checks the gate and names its segment in one
//! compare-and-swap, and a claim made from a stale view of the chain always fails: adding
//! a segment changes the tail word for good.
//!
//! # Safe Rust
//!
//! Slots hold their item behind a lock that only the thread which claimed the slot's
//! position touches (and, rarely, a [`remove_first`](crate::team::bypass::Lane::remove_first) scan), so the
//! lock is uncontended; it is what keeps the core free of `unsafe`.
//!
//! # Only with `std`
//!
//! A pop that finds a place claimed but not yet written, and a push that finds the chain
//! growing, wait (yielding) for the thread that is mid-way: harmless where a preempted
//! thread gets the processor back by time slicing, but a wait for a preempted context on
//! an RTOS or in an interrupt handler. So the lane exists only with `std`.

use alloc::boxed::Box;
use core::fmt;

use super::{Lane, BYPASS_BUDGET};
use crate::sync::{backoff, model_size, AtomicUsize, Once, Ordering, Retry, SlotLock, MODELLED};

/// The Team's gate, in the tail word.
const OPEN: usize = 1;
/// A push is adding a segment: no position may be claimed until it is named in the tail.
const GROW: usize = 2;
/// Bits of the tail word that name the newest segment.
const SEGMENT_BITS: u32 = 4;
const SEGMENT_SHIFT: u32 = 2;
const SEGMENT_ONE: usize = 1 << SEGMENT_SHIFT;
const SEGMENT_MASK: usize = ((1 << SEGMENT_BITS) - 1) << SEGMENT_SHIFT;
/// Positions take the rest of the word, and wrap (on 32-bit targets after 2^26 pushes).
const POSITION_SHIFT: u32 = SEGMENT_SHIFT + SEGMENT_BITS;
const POSITIONS: usize = usize::MAX >> POSITION_SHIFT;

/// Places in the first segment; each next one has twice as many. (Under loom a tiny chain
/// that still wraps and grows; under Miri the same shape as normally, several segments of
/// several chunks, a thousand times smaller.)
pub(super) const FIRST: usize = model_size(1024, 2, 4);
/// How many segments the chain may have: the newest one holds a million places.
pub(super) const SEGMENTS: usize = model_size(11, 2, 8);
/// A segment's slots are allocated this many at a time (256 KiB with boxed work), as its
/// first lap reaches them.
const CHUNK: usize = model_size(8192, 2, 16);

const _: () = assert!(SEGMENTS < 1 << SEGMENT_BITS && FIRST.is_power_of_two() && CHUNK.is_power_of_two());

/// `pos + n`, wrapping like positions do.
fn advance(pos: usize, n: usize) -> usize {
    pos.wrapping_add(n) & POSITIONS
}

/// `a - b` as a signed distance: positions wrap, but the live ones are never far apart.
fn distance(a: usize, b: usize) -> isize {
    ((a.wrapping_sub(b) << POSITION_SHIFT) as isize) >> POSITION_SHIFT
}

fn position(tail: usize) -> usize {
    tail >> POSITION_SHIFT
}

fn segment_index(tail: usize) -> usize {
    (tail & SEGMENT_MASK) >> SEGMENT_SHIFT
}

/// Keeps the two ends on different cache lines (two, for adjacent-line prefetch), so
/// submitters and workers do not contend on one line.
#[repr(align(128))]
struct Padded<T>(T);

struct Slot<T> {
    /// Vyukov's sequence number, a position: `pos` when the slot is free for the push at
    /// `pos`, `pos + 1` when it holds that push's item.
    seq: AtomicUsize,
    /// `None` in a published slot: the item was removed by `remove_first`.
    item: SlotLock<Option<T>>,
}

/// Consecutive slots of a segment.
type Chunk<T> = Box<[Slot<T>]>;

/// One bounded ring of the chain.
struct Segment<T> {
    /// The first position it holds.
    start: usize,
    /// Its places (a power of two).
    capacity: usize,
    /// Slots per chunk: `1 << chunk_shift`, at most `capacity`.
    chunk_shift: u32,
    chunks: Box<[Once<Chunk<T>>]>,
}

impl<T> Segment<T> {
    fn new(start: usize, capacity: usize) -> Self {
        let chunk_shift = capacity.min(CHUNK).trailing_zeros();
        let chunks = (0..capacity >> chunk_shift).map(|_| Once::new()).collect();
        let segment = Self { start, capacity, chunk_shift, chunks };
        if MODELLED {
            // A model must never wait for a `Once` (loom cannot see it): allocate up front.
            for c in 0..segment.chunks.len() {
                segment.chunk(c);
            }
        }
        segment
    }

    /// Chunk `c`, built by the first thread that needs it; the slot at index `i` of the
    /// segment first serves position `start + i`.
    fn chunk(&self, c: usize) -> &Chunk<T> {
        self.chunks[c].call_once(|| {
            let first = advance(self.start, c << self.chunk_shift);
            (0..1 << self.chunk_shift)
                .map(|i| Slot { seq: AtomicUsize::new(advance(first, i)), item: SlotLock::new(None) })
                .collect()
        })
    }

    /// The slot for `pos`; with `allocate` false, `None` if its chunk was never built (no
    /// item was ever pushed there).
    fn slot(&self, pos: usize, allocate: bool) -> Option<&Slot<T>> {
        let index = pos.wrapping_sub(self.start) & (self.capacity - 1);
        let (c, i) = (index >> self.chunk_shift, index & ((1 << self.chunk_shift) - 1));
        let chunk = match self.chunks[c].get() {
            Some(chunk) => chunk,
            None if allocate => self.chunk(c),
            None => return None,
        };
        if allocate && i == 1 << self.chunk_shift >> 1 && self.chunks.len() > 1 {
            // Halfway through a chunk, build the next one, so that other pushes do not
            // wait for it when they get there.
            self.chunk((c + 1) % self.chunks.len());
        }
        Some(&chunk[i])
    }
}

/// The fast lane of [`Growable`](crate::team::Growable) storage: a lock-free FIFO made of a
/// chain of bounded rings, each twice the size of the last, so its memory follows the
/// deepest backlog it has held (its first segment has 1024 places, its last a million).
/// How the Team uses it: [the fast lane](crate::team#the-fast-lane).
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::team::bypass::{Lane, Ring};
///
/// let lane = Ring::new();
/// assert_eq!(lane.push_open(1), Err(1)); // the gate is closed: submitters are refused
/// lane.open();
/// lane.push_open(2).unwrap();
/// lane.push(3).unwrap(); // the coordinator's push, open or not
/// assert_eq!((lane.pop(), lane.pop(), lane.pop()), (Some(2), Some(3), None));
/// ```
pub struct Ring<T> {
    /// The pop position.
    head: Padded<AtomicUsize>,
    /// The push position, the newest segment, [`GROW`] and [`OPEN`].
    tail: Padded<AtomicUsize>,
    /// The push position at which the gate last opened: the budget runs from there.
    opened_at: AtomicUsize,
    /// The segment that holds the pop position, as far as pops have seen (never behind it
    /// for long; only a hint where to start looking).
    popping: AtomicUsize,
    segments: Box<[Once<Segment<T>>]>,
    /// Removed items whose slots `pop` has not passed yet (they still count in
    /// `tail - head`).
    holes: AtomicUsize,
}

impl<T> Ring<T> {
    /// An empty lane; its first slots are allocated by its first push.
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::team::bypass::{Lane, Ring};
    ///
    /// let lane: Ring<u64> = Ring::new();
    /// assert!(lane.is_empty());
    /// println!("at most {} items at once", lane.capacity()); // a million or so (less under Miri)
    /// ```
    pub fn new() -> Self {
        let segments: Box<[Once<Segment<T>>]> = (0..SEGMENTS).map(|_| Once::new()).collect();
        segments[0].call_once(|| Segment::new(0, FIRST));
        Self {
            head: Padded(AtomicUsize::new(0)),
            tail: Padded(AtomicUsize::new(0)),
            opened_at: AtomicUsize::new(0),
            popping: AtomicUsize::new(0),
            segments,
            holes: AtomicUsize::new(0),
        }
    }

    /// The most items it can hold at once: every segment of the chain full.
    pub fn capacity(&self) -> usize {
        FIRST * ((1 << SEGMENTS) - 1)
    }

    /// The segment `k`, which the tail has named (so it exists).
    fn segment(&self, k: usize) -> &Segment<T> {
        self.segments[k].get().expect("a segment exists before the tail names it")
    }

    /// The segment that holds `pos`, looking from segment `from` on; `None` if `pos` is
    /// older than that segment (a stale position).
    fn owner(&self, pos: usize, from: usize) -> Option<(usize, &Segment<T>)> {
        let mut k = from;
        let mut segment = self.segment(k);
        if distance(pos, segment.start) < 0 {
            return None;
        }
        while let Some(next) = self.segments.get(k + 1).and_then(|next| next.get()) {
            if distance(pos, next.start) < 0 {
                break;
            }
            k += 1;
            segment = next;
        }
        Some((k, segment))
    }

    /// Vyukov's push, with the gate in the tail word: `gated` pushes claim a position
    /// only while the gate is open and its budget lasts.
    fn enqueue(&self, item: T, gated: bool) -> Result<(), T> {
        let mut tail = self.tail.0.load(Ordering::Acquire);
        let mut waits = 0;
        let mut retry = Retry::default();
        loop {
            let pos = position(tail);
            if gated
                && (tail & OPEN == 0 || distance(pos, self.opened_at.load(Ordering::Relaxed)) >= BYPASS_BUDGET as isize)
            {
                return Err(item);
            }
            if tail & GROW != 0 {
                // Another push is adding a segment: wait for it to be named.
                backoff(waits);
                waits = (waits + 1).min(8);
                tail = self.tail.0.load(Ordering::Acquire);
                continue;
            }
            let k = segment_index(tail);
            let segment = self.segment(k);
            let slot = segment.slot(pos, true).expect("allocated on demand");
            let seq = slot.seq.load(Ordering::Acquire);
            match distance(seq, pos) {
                0 => {
                    let next = (advance(pos, 1) << POSITION_SHIFT) | (tail & (SEGMENT_MASK | OPEN));
                    match self.tail.0.compare_exchange_weak(tail, next, Ordering::AcqRel, Ordering::Acquire) {
                        Ok(_) => {
                            slot.item.with(|place| *place = Some(item));
                            slot.seq.store(advance(pos, 1), Ordering::Release);
                            return Ok(());
                        }
                        Err(now) => {
                            tail = now;
                            retry.again();
                        }
                    }
                }
                // The slot still holds the item from one lap ago: this segment is full.
                d if d < 0 => {
                    if k + 1 == SEGMENTS {
                        return Err(item);
                    }
                    match self.tail.0.compare_exchange_weak(tail, tail | GROW, Ordering::AcqRel, Ordering::Acquire) {
                        Ok(_) => {
                            // Nothing can be claimed meanwhile, so the new segment starts
                            // exactly here.
                            self.segments[k + 1].call_once(|| Segment::new(pos, segment.capacity * 2));
                            // Name it and drop GROW in one step (leaving the gate as it is
                            // now), then push there: the gate is checked again.
                            tail = self.tail.0.fetch_add(SEGMENT_ONE - GROW, Ordering::AcqRel) + SEGMENT_ONE - GROW;
                        }
                        Err(now) => {
                            tail = now;
                            retry.again();
                        }
                    }
                }
                // Another push took this position: catch up.
                _ => {
                    tail = self.tail.0.load(Ordering::Acquire);
                    retry.again();
                }
            }
        }
    }
}

impl<T> Default for Ring<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> super::lane::sealed::Sealed for Ring<T> {}

impl<T> Lane<T> for Ring<T> {
    const ENABLED: bool = true;

    fn push(&self, item: T) -> Result<(), T> {
        self.enqueue(item, false)
    }

    fn push_open(&self, item: T) -> Result<(), T> {
        self.enqueue(item, true)
    }

    fn pop(&self) -> Option<T> {
        let mut pos = self.head.0.load(Ordering::Acquire);
        let mut retry = Retry::default();
        loop {
            let from = self.popping.load(Ordering::Acquire);
            let Some((k, segment)) = self.owner(pos, from) else {
                // Popped past meanwhile: catch up.
                pos = self.head.0.load(Ordering::Acquire);
                retry.again();
                continue;
            };
            if k != from {
                self.popping.fetch_max(k, Ordering::AcqRel);
            }
            // No chunk yet: nothing was ever pushed this far.
            let slot = segment.slot(pos, false)?;
            let seq = slot.seq.load(Ordering::Acquire);
            match distance(seq, advance(pos, 1)) {
                0 => match self.head.0.compare_exchange_weak(pos, advance(pos, 1), Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => {
                        let item = slot.item.with(Option::take);
                        slot.seq.store(advance(pos, segment.capacity), Ordering::Release);
                        if item.is_some() {
                            return item;
                        }
                        // Removed by `remove_first`: step over the hole.
                        self.holes.fetch_sub(1, Ordering::Relaxed);
                        pos = self.head.0.load(Ordering::Acquire);
                    }
                    Err(now) => {
                        pos = now;
                        retry.again();
                    }
                },
                // Not yet written by the push that claimed it: empty, for now.
                d if d < 0 => return None,
                // Another pop took this position: catch up.
                _ => {
                    pos = self.head.0.load(Ordering::Acquire);
                    retry.again();
                }
            }
        }
    }

    fn remove_first(&self, matches: &mut dyn FnMut(&T) -> bool) -> Option<T> {
        // Oldest first, from the head to the tail. An item seen here is waiting or being
        // published or popped; whoever locks its slot first takes it, and a pop that
        // finds its slot empty steps over it.
        let head = self.head.0.load(Ordering::Acquire);
        let tail = position(self.tail.0.load(Ordering::Acquire));
        let span = usize::try_from(distance(tail, head)).unwrap_or(0).min(self.capacity());
        let mut k = self.popping.load(Ordering::Acquire);
        for pos in (0..span).map(|i| advance(head, i)) {
            // Stale positions (popped meanwhile) are skipped.
            let Some((owner, segment)) = self.owner(pos, k) else { continue };
            k = owner;
            let Some(slot) = segment.slot(pos, false) else { continue };
            // The caller's matcher runs in the slot's section: it only compares addresses.
            let removed =
                slot.item.with(|item| if item.as_ref().is_some_and(&mut *matches) { item.take() } else { None });
            if removed.is_some() {
                self.holes.fetch_add(1, Ordering::Relaxed);
                return removed;
            }
        }
        None
    }

    fn len(&self) -> usize {
        let head = self.head.0.load(Ordering::Acquire);
        let tail = position(self.tail.0.load(Ordering::Acquire));
        let holes = self.holes.load(Ordering::Relaxed);
        // Read apart, these can disagree for a moment: clamp to what the lane can hold.
        usize::try_from(distance(tail, head)).unwrap_or(0).saturating_sub(holes).min(self.capacity())
    }

    fn open(&self) {
        let tail = self.tail.0.load(Ordering::Relaxed);
        self.opened_at.store(position(tail), Ordering::Release);
        // Only the coordinator opens and closes the gate, so it is still as read. Already
        // open, the fresh budget is all there is to give: no write to the tail word, which
        // every submitter shares. (A submitter that still sees the old budget spent takes
        // the coordinated path, which is always right.)
        if tail & OPEN == 0 {
            // Release: a submitter that sees the gate open sees the budget's start.
            self.tail.0.fetch_or(OPEN, Ordering::Release);
        }
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

    fn mark(&self) -> usize {
        position(self.tail.0.load(Ordering::Acquire))
    }

    fn head_before(&self, mark: usize) -> bool {
        distance(mark, self.head.0.load(Ordering::Acquire)) > 0
    }
}

impl<T> fmt::Debug for Ring<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let segments = self.segments.iter().take_while(|s| s.is_completed()).count();
        f.debug_struct("Ring").field("len", &self.len()).field("segments", &segments).finish()
    }
}

#[cfg(all(test, not(threadteam_loom)))]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    fn segments<T>(ring: &Ring<T>) -> usize {
        ring.segments.iter().take_while(|s| s.is_completed()).count()
    }

    fn drain<T>(ring: &Ring<T>) -> Vec<T> {
        core::iter::from_fn(|| ring.pop()).collect()
    }

    #[test]
    fn a_shallow_lane_wraps_around_its_first_segment() {
        let ring = Ring::new();
        let depth = FIRST.min(100);
        for round in 0..10 * FIRST / depth {
            for i in 0..depth {
                ring.push(round * depth + i).unwrap();
            }
            assert_eq!(ring.len(), depth);
            assert_eq!(drain(&ring), (round * depth..round * depth + depth).collect::<Vec<_>>());
        }
        assert_eq!(segments(&ring), 1, "ten laps, never deeper than the first segment: no growth");
        assert_eq!(ring.segment(0).chunks.len(), 1);
    }

    #[test]
    fn a_deep_backlog_grows_the_chain_and_keeps_fifo_order() {
        let ring = Ring::new();
        // Start mid-lap, so the first segment is full with its oldest items not at slot 0.
        for i in 0..FIRST / 2 {
            ring.push(i).unwrap();
        }
        assert_eq!(drain(&ring).len(), FIRST / 2);
        let deep = 5 * FIRST;
        for i in 0..deep {
            ring.push(i).unwrap();
        }
        // 1 + 2 + 4 = 7 times FIRST places hold 5 FIRST items: three segments.
        assert_eq!(segments(&ring), 3);
        assert_eq!(ring.len(), deep);
        // Interleave: pops drain the old segments while pushes go to the newest.
        let mut seen = Vec::new();
        for i in deep..deep + FIRST {
            seen.push(ring.pop().unwrap());
            ring.push(i).unwrap();
        }
        seen.extend(drain(&ring));
        assert_eq!(seen, (0..deep + FIRST).collect::<Vec<_>>());
        assert_eq!(ring.len(), 0);
        assert!(!ring.is_claimed());
    }

    #[test]
    fn the_newest_segment_full_hands_the_item_back() {
        let ring = Ring::new();
        let capacity = ring.capacity();
        for i in 0..capacity {
            ring.push(i).unwrap();
        }
        assert_eq!(segments(&ring), SEGMENTS);
        assert_eq!(ring.push(usize::MAX), Err(usize::MAX));
        assert_eq!(ring.pop(), Some(0));
        // The oldest segment has room again, but pushes only go to the newest: still full.
        assert_eq!(ring.push(usize::MAX), Err(usize::MAX));
        assert_eq!(drain(&ring), (1..capacity).collect::<Vec<_>>());
    }

    #[test]
    fn the_gate_and_its_budget() {
        let ring = Ring::new();
        assert_eq!(ring.push_open(1), Err(1), "closed at first");
        ring.open();
        assert!(ring.is_open());
        for i in 0..BYPASS_BUDGET {
            ring.push_open(i).unwrap();
        }
        assert_eq!(ring.push_open(0), Err(0), "budget spent");
        ring.push(7).unwrap(); // the coordinator's push ignores the gate
        ring.open();
        ring.push_open(8).unwrap();
        ring.close();
        assert!(!ring.is_open());
        assert_eq!(ring.push_open(9), Err(9));
        assert!(ring.is_claimed());
        assert_eq!(ring.len(), BYPASS_BUDGET + 2);
    }

    #[test]
    fn the_gate_survives_growth() {
        let ring = Ring::new();
        ring.open();
        // Fill the first segment through the coordinator's push, then grow through the gate.
        for i in 0..FIRST {
            ring.push(i).unwrap();
        }
        ring.open();
        ring.push_open(FIRST).unwrap();
        assert_eq!(segments(&ring), 2);
        assert!(ring.is_open());
        ring.close();
        assert_eq!(ring.push_open(0), Err(0));
        assert_eq!(drain(&ring), (0..=FIRST).collect::<Vec<_>>());
    }

    #[test]
    fn remove_first_takes_from_any_segment_and_pop_steps_over_the_hole() {
        let ring = Ring::new();
        for i in 0..3 * FIRST {
            ring.push(i).unwrap();
        }
        assert_eq!(ring.remove_first(&mut |&x| x == 5), Some(5));
        assert_eq!(ring.remove_first(&mut |&x| x == 2 * FIRST), Some(2 * FIRST));
        assert_eq!(ring.remove_first(&mut |&x| x == 5), None);
        assert_eq!(ring.len(), 3 * FIRST - 2);
        let rest = drain(&ring);
        assert_eq!(rest.len(), 3 * FIRST - 2);
        assert!(rest.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ring.len(), 0);
        assert_eq!(ring.holes.load(Ordering::Relaxed), 0);
    }
}

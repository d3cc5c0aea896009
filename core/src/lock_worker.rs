//! [`LockWorker`](crate::workers::LockWorker): run work in the caller's thread, one item at a time, under a lock.

use core::fmt;

use crate::sync::{fence, AtomicUsize, Ordering, Section};
use crate::{AlreadyQuit, ExclusiveWorker, Queue, Quit, RawLock, SubmitError, Work, Worker};

#[cfg(feature = "alloc")]
type DefaultQueue<T> = alloc::collections::VecDeque<T>;
#[cfg(not(feature = "alloc"))]
type DefaultQueue<T> = heapless::Deque<T, 16>;

/// An [`ExclusiveWorker`] that runs work **in the calling thread** while holding a lock
/// (Twisted's `LockWorker`). It is the coordinator of real pools.
///
/// Different threads are serialised by the lock: a second thread's `submit` waits until the
/// first thread's item, and everything it queued, has run. Work submitted from inside a
/// running item on the same thread is queued and runs right after that item, still under
/// the lock: never nested, never deadlocked.
///
/// # Contexts that may not wait
///
/// A context that may not wait for the lock at all, such as an interrupt handler for a lock
/// that only tasks can take (an RTOS mutex), gets `Err(state)` from
/// [`RawLock::with`](crate::port::RawLock::with); its `submit` then queues the work like
/// re-entrant work and returns at once. The lock's current holder runs it before it lets
/// go (and looks again just after), so nothing is stranded behind a holder; if nobody holds
/// the lock, the work runs at the start of the next `submit` or
/// [`run_now`](ExclusiveWorker::run_now) that takes it, or at [`quit`](Worker::quit). Once
/// `quit` has looked at that queue, such a context's work is refused instead. With a
/// [`CriticalSectionLock`](crate::port::CriticalSectionLock), which an interrupt handler can
/// always take on a single core, such work runs at once, in the handler.
///
/// `Q` holds that queued work; with `alloc` it grows, without it it is a fixed
/// [`heapless::Deque`] and a full one hands the work back
/// ([`SubmitError::BacklogFull`]). The queue is a short critical section without `std`, so
/// an interrupt handler may push to it while the code it interrupted is popping.
///
/// If an item panics, the panic reaches the outermost `submit` caller and the lock is
/// released; items it had queued are kept and run at the start of the next `submit`'s turn,
/// or by [`quit`](Worker::quit) (Twisted silently drops them).
///
/// # Quitting
///
/// [`quit`](Worker::quit) first runs, in its caller, any work left queued by an item that
/// panicked or by a context that may not wait for the lock (it was accepted, so it runs;
/// called where the lock cannot be taken, `quit` leaves it to the lock's holder, or to a
/// later `quit` from where it can). Then the worker lets go of its lock, as
/// Twisted's drops its reference: the lock is dropped in place by `quit`, or, if a thread is
/// still inside (an item running, possibly the one calling `quit`), by the last one out.
/// This needs no allocator: the lock's memory stays part of the worker, but its `Drop` (an
/// RTOS mutex freeing its kernel object, say) runs at quit. While anything queued is still
/// waiting to run, the lock is kept for it.
///
/// ```
/// # use threadteam_critical_section_std as _; // the host's critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::port::CriticalSectionLock;
/// use threadteam::workers::LockWorker;
/// use threadteam::Worker;
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// static ORDER: AtomicUsize = AtomicUsize::new(0);
/// type Item = Box<dyn FnOnce()>;
/// let worker: &'static LockWorker<Item, CriticalSectionLock> =
///     Box::leak(Box::new(LockWorker::new(CriticalSectionLock::new())));
/// worker
///     .submit(Box::new(|| {
///         // Queued, not nested: it runs after this item returns.
///         worker.submit(Box::new(|| assert_eq!(ORDER.fetch_add(1, Ordering::SeqCst), 1))).unwrap();
///         assert_eq!(ORDER.fetch_add(1, Ordering::SeqCst), 0);
///     }))
///     .unwrap();
/// assert_eq!(ORDER.load(Ordering::SeqCst), 2);
/// ```
pub struct LockWorker<T, L, Q = DefaultQueue<T>> {
    quit: Quit,
    /// `None` once the worker has quit and nobody is inside. Readers are the callers
    /// inside `with`, never waiting: a writer exists only while the lock is being taken
    /// out after quit, and a reader that meets one is refused as after quit. So an
    /// interrupt handler never spins here.
    lock: spin::RwLock<Option<L>>,
    /// Work for the lock's holder to run before it lets go: queued re-entrantly by its own
    /// items, or by a context that may not wait for the lock.
    deferred: Section<Q>,
    /// How many items `deferred` holds, so the holder skips the section when nothing was
    /// deferred (the common case).
    queued: AtomicUsize,
    _work: core::marker::PhantomData<fn(T)>,
}

impl<T, L: RawLock> LockWorker<T, L> {
    /// A worker that serialises on `lock`, queueing deferred work in the default queue (it
    /// grows with `alloc`; without it, it holds 16 items).
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::port::CriticalSectionLock;
    /// use threadteam::workers::{FnWork, LockWorker};
    /// use threadteam::Worker;
    ///
    /// fn log(n: usize) {
    ///     assert_eq!(n, 1);
    /// }
    /// let worker = LockWorker::new(CriticalSectionLock::new());
    /// worker.submit(FnWork::new(log, 1)).unwrap(); // ran here, under the lock
    /// ```
    pub fn new(lock: L) -> Self {
        Self::with_queue(lock, DefaultQueue::default())
    }
}

impl<T, L: RawLock, Q: Queue<T>> LockWorker<T, L, Q> {
    /// A worker that serialises on `lock`, queueing deferred work in `queue` (empty): a
    /// fixed [`heapless::Deque`] of the size a firmware chooses, for instance.
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::port::CriticalSectionLock;
    /// use threadteam::workers::{FnWork, LockWorker};
    ///
    /// let worker = LockWorker::with_queue(CriticalSectionLock::new(), heapless::Deque::<FnWork, 4>::new());
    /// # let _ = worker;
    /// ```
    pub fn with_queue(lock: L, queue: Q) -> Self {
        Self {
            quit: Quit::new(),
            lock: spin::RwLock::new(Some(lock)),
            deferred: Section::new(queue),
            queued: AtomicUsize::new(0),
            _work: core::marker::PhantomData,
        }
    }
}

impl<T: Work, L: RawLock, Q: Queue<T>> LockWorker<T, L, Q> {
    /// Runs deferred work, oldest first, until none is left. Only the lock's holder calls
    /// this. Nearly always nothing was deferred: one load, inline.
    #[inline]
    fn drain_deferred(&self) {
        if self.queued.load(Ordering::Acquire) != 0 {
            self.drain_deferred_items();
        }
    }

    #[cold]
    fn drain_deferred_items(&self) {
        while self.queued.load(Ordering::Acquire) != 0 {
            // Popped in the section, run outside it.
            let Some(item) = self.deferred.with(|queue| {
                let item = queue.pop_front();
                if item.is_some() {
                    self.queued.fetch_sub(1, Ordering::AcqRel);
                }
                item
            }) else {
                break;
            };
            item.run();
        }
    }

    /// Runs `f(state)` as an item would run: under the lock, after work deferred before it,
    /// followed by whatever is deferred meanwhile.
    ///
    /// `Ok(Err(state))` when the worker has quit (checked under the lock too: the holder's
    /// drain may have quit it while this thread waited); `Err(state)` when the lock cannot
    /// be taken here (re-entrant, or a context that may not wait for it).
    fn exclusively<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<Result<R, S>, S> {
        if self.quit.is_set() {
            return Ok(Err(state));
        }
        // Let go of (even when `f` unwinds) before the lock may be dropped.
        let Some(inside) = Inside::enter(self) else { return Ok(Err(state)) };
        let lock = inside.lock();
        let result = lock.with(state, |state| {
            if self.quit.is_set() {
                return Err(state);
            }
            // Deferred earlier (by a context that could not take the lock, or left over by
            // an item that panicked under a previous holder): it keeps its place ahead.
            self.drain_deferred();
            let result = f(state);
            self.drain_deferred();
            Ok(result)
        })?;
        if result.is_ok() {
            self.settle(lock);
        }
        Ok(result)
    }

    /// After letting go of the lock: work deferred between the holder's last look and its
    /// release (an interrupt handler that preempted it there) is run now, by taking the
    /// lock again, so it does not wait for the next caller.
    fn settle(&self, lock: &L) {
        while self.queued.load(Ordering::Acquire) != 0 {
            if lock.with((), |()| self.drain_deferred()).is_err() {
                // Re-entrant after all (this thread holds the lock further up its stack):
                // that holder drains it.
                return;
            }
        }
    }

    fn defer(&self, work: T) -> Result<(), SubmitError<T>> {
        // Decided in the section, where `finish` looks: either it sees this item (and runs
        // it, or leaves it to the holder), or it looked first and this is refused. Work
        // accepted here is never stranded behind a quit.
        self.deferred.with(|queue| {
            if self.quit.is_set() {
                return Err(SubmitError::already_quit(work));
            }
            queue.push_back(work).map_err(SubmitError::backlog_full)?;
            self.queued.fetch_add(1, Ordering::AcqRel);
            Ok(())
        })
    }

    /// After quit: runs work left queued (by an item that panicked), then lets go of the
    /// lock if nobody is inside and nothing waits for it. From a context that cannot take
    /// the lock (inside an item), the holder does both on its way out.
    fn finish(&self) {
        // After this section nothing more is deferred (see `defer`).
        if self.deferred.with(|_| self.queued.load(Ordering::Acquire)) != 0 {
            if let Some(inside) = Inside::enter(self) {
                let lock = inside.lock();
                if lock.with((), |()| self.drain_deferred()).is_ok() {
                    self.settle(lock);
                }
            }
        }
        self.release();
    }

    /// Drops the lock, after quit, if nobody is inside and nothing queued needs it. Never
    /// waits: with someone inside, the last one out calls this again.
    fn release(&self) {
        // Pairs with the same fence in `Inside::drop`'s call: either `quit` sees the reader
        // gone, or that reader sees the quit and releases.
        fence(Ordering::SeqCst);
        if !self.quit.is_set() {
            return;
        }
        // In the section, as `defer` decides: work deferred before this look is counted,
        // and after it none is accepted.
        if self.deferred.with(|_| self.queued.load(Ordering::Acquire)) != 0 {
            return;
        }
        let Some(mut slot) = self.lock.try_write() else { return };
        let lock = slot.take();
        drop(slot);
        // The lock's drop is the platform's code: outside the slot.
        drop(lock);
    }
}

/// A caller inside the worker's lock slot: the slot's lock cannot be dropped meanwhile.
/// Leaving (even by unwinding) releases the lock if the worker has quit.
struct Inside<'a, T: Work, L: RawLock, Q: Queue<T>> {
    worker: &'a LockWorker<T, L, Q>,
    slot: Option<spin::RwLockReadGuard<'a, Option<L>>>,
}

impl<'a, T: Work, L: RawLock, Q: Queue<T>> Inside<'a, T, L, Q> {
    /// `None` when the lock is gone or going (after quit). Never waits.
    fn enter(worker: &'a LockWorker<T, L, Q>) -> Option<Self> {
        let slot = worker.lock.try_read()?;
        slot.is_some().then_some(Self { worker, slot: Some(slot) })
    }

    fn lock(&self) -> &L {
        self.slot.as_ref().and_then(|slot| slot.as_ref()).expect("entered with a lock")
    }
}

impl<T: Work, L: RawLock, Q: Queue<T>> Drop for Inside<'_, T, L, Q> {
    fn drop(&mut self) {
        drop(self.slot.take());
        self.worker.release();
    }
}

impl<T: Work, L: RawLock, Q: Queue<T>> Worker<T> for LockWorker<T, L, Q> {
    /// Runs `work` now, in this thread, under the lock; from inside a running item, or from
    /// a context that may not wait for the lock, queues it for the lock's holder instead
    /// (see [the type's docs](crate::workers::LockWorker#contexts-that-may-not-wait)).
    ///
    /// # Errors
    /// [`SubmitError::AlreadyQuit`] after [`quit`](Worker::quit); [`SubmitError::BacklogFull`]
    /// when the work had to be queued and the fixed queue is full.
    fn submit(&self, work: T) -> Result<(), SubmitError<T>> {
        match self.exclusively(work, Work::run) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(work)) => Err(SubmitError::already_quit(work)),
            Err(work) => self.defer(work),
        }
    }

    /// Quits: later submits are refused. Work left queued by an item that panicked runs
    /// now, in this thread (a panic in it reaches this caller; what remains runs at the
    /// next `quit`). Then the lock is dropped (see [Quitting](crate::workers::LockWorker#quitting)).
    fn quit(&self) -> Result<(), AlreadyQuit> {
        let first = self.quit.set();
        self.finish();
        first
    }
}

impl<T: Work, L: RawLock, Q: Queue<T>> ExclusiveWorker<T> for LockWorker<T, L, Q> {
    fn run_now<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S> {
        match self.exclusively(state, f) {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(state)) | Err(state) => Err(state),
        }
    }

    fn runs_in_caller(&self) -> bool {
        true
    }
}

impl<T, L: fmt::Debug, Q> fmt::Debug for LockWorker<T, L, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockWorker")
            .field("quit", &self.quit.is_set())
            .field("lock", &self.lock.try_read().as_deref().map(Option::as_ref))
            .finish_non_exhaustive()
    }
}

//! [`LockWorker`]: run work in the caller's thread, one item at a time, under a lock.

use core::fmt;

use crate::sync::Mutex;
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
/// `Q` holds that re-entrant work; with `alloc` it grows, without it it is a fixed
/// [`heapless::Deque`] and a full one hands the work back.
///
/// A `submit` that passed the quit check and was still waiting for the lock when the
/// worker quit is refused with [`SubmitError::AlreadyQuit`], handing the work back: work
/// never starts in a worker that has quit (Twisted runs it). Work queued re-entrantly
/// before the quit still runs.
///
/// If an item panics, the panic reaches the outermost `submit` caller and the lock is
/// released; items it had queued are kept and run at the start of the next `submit`'s turn
/// (Twisted silently drops them).
///
/// ```
/// use threadteam_core::{CriticalSectionLock, LockWorker, Worker};
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
    lock: L,
    /// Re-entrant work of the thread holding `lock`; only that thread touches it.
    pending: Mutex<Q>,
    _work: core::marker::PhantomData<fn(T)>,
}

impl<T, L: RawLock, Q: Queue<T>> LockWorker<T, L, Q> {
    /// A worker that serialises on `lock`.
    pub fn new(lock: L) -> Self {
        Self { quit: Quit::new(), lock, pending: Mutex::new(Q::default()), _work: core::marker::PhantomData }
    }
}

impl<T: Work, L: RawLock, Q: Queue<T>> LockWorker<T, L, Q> {
    fn drain(&self, first: T) {
        first.run();
        loop {
            // Bind first so the queue's lock is released before the item runs.
            let next = self.pending.lock().pop_front();
            match next {
                Some(item) => item.run(),
                None => break,
            }
        }
    }
}

impl<T: Work, L: RawLock, Q: Queue<T>> Worker<T> for LockWorker<T, L, Q> {
    fn submit(&self, work: T) -> Result<(), SubmitError<T>> {
        if self.quit.is_set() {
            return Err(SubmitError::AlreadyQuit(work));
        }
        match self.lock.with(work, |work| {
            // Quit while this thread waited for the lock (the holder's drain may have quit
            // it): refuse, so work never runs in a worker that has already quit. A Team's
            // coordinator quits only once the Team is finished, and work that slipped in
            // then would sit in a backlog nobody reclaims any more.
            if self.quit.is_set() {
                return Err(work);
            }
            // Left over by an item that panicked under a previous holder.
            let leftover = self.pending.lock().pop_front();
            match leftover {
                Some(old) => {
                    self.drain(old);
                    self.drain(work);
                }
                None => self.drain(work),
            }
            Ok(())
        }) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(work)) => Err(SubmitError::AlreadyQuit(work)),
            Err(work) => self.pending.lock().push_back(work).map_err(SubmitError::BacklogFull),
        }
    }

    fn quit(&self) -> Result<(), AlreadyQuit> {
        self.quit.set()
    }
}

impl<T: Work, L: RawLock, Q: Queue<T>> ExclusiveWorker<T> for LockWorker<T, L, Q> {}

impl<T, L: fmt::Debug, Q> fmt::Debug for LockWorker<T, L, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockWorker")
            .field("quit", &self.quit.is_set())
            .field("lock", &self.lock)
            .finish_non_exhaustive()
    }
}

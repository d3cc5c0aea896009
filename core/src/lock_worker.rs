//! [`LockWorker`]: run work in the caller's thread, one item at a time, under a lock.

use core::fmt;

use crate::sync::{AtomicUsize, Mutex, Ordering};
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
    /// How many items `pending` holds; written and read only under `lock`.
    queued: AtomicUsize,
    _work: core::marker::PhantomData<fn(T)>,
}

impl<T, L: RawLock, Q: Queue<T>> LockWorker<T, L, Q> {
    /// A worker that serialises on `lock`.
    pub fn new(lock: L) -> Self {
        Self {
            quit: Quit::new(),
            lock,
            pending: Mutex::new(Q::default()),
            queued: AtomicUsize::new(0),
            _work: core::marker::PhantomData,
        }
    }
}

impl<T: Work, L: RawLock, Q: Queue<T>> LockWorker<T, L, Q> {
    /// Runs `first`, then everything queued re-entrantly, in order. Only the lock's holder
    /// calls this.
    fn drain(&self, first: T) {
        first.run();
        self.drain_queued();
    }

    /// Runs everything queued re-entrantly, in order. Only the lock's holder calls this.
    fn drain_queued(&self) {
        // The count spares the queue's lock on the common path, where nothing re-entered.
        while self.queued.load(Ordering::Relaxed) != 0 {
            // Bind first so the queue's lock is released before the item runs.
            let next = self.pending.lock().pop_front();
            let Some(item) = next else { break };
            self.queued.fetch_sub(1, Ordering::Relaxed);
            item.run();
        }
    }
}

impl<T: Work, L: RawLock, Q: Queue<T>> LockWorker<T, L, Q> {
    /// Runs `f(state)` as an item would run: under the lock, after work left over by a
    /// panicked holder, followed by whatever it queues re-entrantly.
    ///
    /// `Ok(Err(state))` when the worker has quit (checked under the lock: the holder's
    /// drain may have quit it while this thread waited); `Err(state)` when re-entrant.
    fn exclusively<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<Result<R, S>, S> {
        if self.quit.is_set() {
            return Ok(Err(state));
        }
        self.lock.with(state, |state| {
            if self.quit.is_set() {
                return Err(state);
            }
            if self.queued.load(Ordering::Relaxed) != 0 {
                // Left over by an item that panicked under a previous holder: it keeps its
                // place ahead of this work.
                let leftover = self.pending.lock().pop_front();
                if let Some(old) = leftover {
                    self.queued.fetch_sub(1, Ordering::Relaxed);
                    self.drain(old);
                }
            }
            let result = f(state);
            self.drain_queued();
            Ok(result)
        })
    }
}

impl<T: Work, L: RawLock, Q: Queue<T>> Worker<T> for LockWorker<T, L, Q> {
    fn submit(&self, work: T) -> Result<(), SubmitError<T>> {
        match self.exclusively(work, Work::run) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(work)) => Err(SubmitError::AlreadyQuit(work)),
            // Re-entrant: this thread holds the lock and is running an item of ours.
            Err(work) => {
                self.pending.lock().push_back(work).map_err(SubmitError::BacklogFull)?;
                self.queued.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
        }
    }

    fn quit(&self) -> Result<(), AlreadyQuit> {
        self.quit.set()
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
            .field("lock", &self.lock)
            .finish_non_exhaustive()
    }
}

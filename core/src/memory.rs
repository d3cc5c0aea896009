//! The memory worker: records work and runs it only when told to, one item at a time.

use core::fmt;

use crate::sync::{const_unless_loom, Section};
use crate::{AlreadyQuit, ExclusiveWorker, Queue, SubmitError, Work, Worker};

#[cfg(feature = "alloc")]
type DefaultQueue<T> = alloc::collections::VecDeque<T>;
#[cfg(not(feature = "alloc"))]
type DefaultQueue<T> = heapless::Deque<T, 16>;

/// An [`ExclusiveWorker`] that only records work; [`perform`](crate::workers::MemoryWorker::perform) runs
/// one recorded item (Twisted's `MemoryWorker`).
///
/// With memory workers as a [`Team`](crate::team::Team)'s coordinator and workers, a test drives
/// the whole Team step by step, with no threads and no sleeps. Items a Team gives them lead
/// back to the Team, so a memory worker that is never drained keeps its Team alive: finish
/// a test by quitting the Team and performing until nothing is left.
///
/// Without `alloc`, put one in a `static` and use `&'static MemoryWorker` as the worker;
/// with `alloc`, `create_memory_worker` returns a shareable handle and a `perform`
/// function, as in Twisted.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use core::sync::atomic::{AtomicUsize, Ordering};
/// use threadteam::workers::{FnWork, MemoryWorker};
/// use threadteam::Worker;
///
/// static RAN: AtomicUsize = AtomicUsize::new(0);
/// fn count(n: usize) {
///     RAN.fetch_add(n, Ordering::SeqCst);
/// }
/// let worker: MemoryWorker<FnWork> = MemoryWorker::new();
/// worker.submit(FnWork::new(count, 2)).unwrap();
/// assert_eq!((worker.pending(), RAN.load(Ordering::SeqCst)), (1, 0)); // recorded, not run
/// assert!(worker.perform());
/// assert_eq!((worker.pending(), RAN.load(Ordering::SeqCst)), (0, 2));
/// ```
pub struct MemoryWorker<T, Q = DefaultQueue<T>> {
    state: Section<State<Q>>,
    _work: core::marker::PhantomData<fn(T) -> T>,
}

struct State<Q> {
    queue: Q,
    quit: bool,
}

impl<T, Q: Queue<T>> MemoryWorker<T, Q> {
    /// An empty memory worker.
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::workers::MemoryWorker;
    ///
    /// let worker: MemoryWorker<fn()> = MemoryWorker::new();
    /// assert_eq!(worker.pending(), 0);
    /// ```
    pub fn new() -> Self {
        Self { state: Section::new(State { queue: Q::default(), quit: false }), _work: core::marker::PhantomData }
    }

    const_unless_loom! {
        /// A memory worker over an empty `queue`; `const`, so it can be a `static`:
        ///
        /// ```
        /// # use threadteam_critical_section_std as _; // a host critical-section implementation
        /// # use threadteam_core as threadteam;
        /// use threadteam::workers::{FnWork, MemoryWorker};
        /// static WORKER: MemoryWorker<FnWork, heapless::Deque<FnWork, 8>> =
        ///     MemoryWorker::with_queue(heapless::Deque::new());
        /// # assert_eq!(WORKER.pending(), 0);
        /// ```
        pub fn with_queue(queue: Q) -> Self {
            Self { state: Section::new(State { queue, quit: false }), _work: core::marker::PhantomData }
        }
    }

    /// Number of recorded items not yet performed.
    pub fn pending(&self) -> usize {
        self.state.with(|state| state.queue.len())
    }

    /// Whether [`quit`](Worker::quit) has been called.
    pub fn is_quit(&self) -> bool {
        self.state.with(|state| state.quit)
    }
}

impl<T: Work, Q: Queue<T>> MemoryWorker<T, Q> {
    /// Runs the oldest recorded item and returns `true`; returns `false` when nothing is
    /// recorded. Work recorded before [`quit`](Worker::quit) still runs; after that and
    /// once drained, `perform` returns `false` forever.
    ///
    /// Call it from one thread at a time: the item runs on the caller's thread, and two
    /// concurrent `perform`s would run two items at once.
    ///
    /// # Panics
    /// If the item panics, the panic propagates; the item has already been removed.
    pub fn perform(&self) -> bool {
        let item = self.state.with(|state| state.queue.pop_front());
        match item {
            Some(work) => {
                work.run();
                true
            }
            None => false,
        }
    }
}

impl<T, Q: Queue<T>> Default for MemoryWorker<T, Q> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, Q: Queue<T>> Worker<T> for MemoryWorker<T, Q> {
    fn submit(&self, work: T) -> Result<(), SubmitError<T>> {
        self.state.with(|state| {
            if state.quit {
                return Err(SubmitError::already_quit(work));
            }
            state.queue.push_back(work).map_err(SubmitError::backlog_full)
        })
    }

    fn quit(&self) -> Result<(), AlreadyQuit> {
        self.state.with(|state| {
            if state.quit {
                return Err(AlreadyQuit);
            }
            state.quit = true;
            Ok(())
        })
    }
}

impl<T, Q: Queue<T>> ExclusiveWorker<T> for MemoryWorker<T, Q> {}

impl<T, Q: Queue<T>> fmt::Debug for MemoryWorker<T, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (pending, quit) = self.state.with(|state| (state.queue.len(), state.quit));
        f.debug_struct("MemoryWorker").field("pending", &pending).field("quit", &quit).finish()
    }
}

#[cfg(feature = "alloc")]
pub use with_alloc::{create_memory_worker, Perform};

#[cfg(feature = "alloc")]
mod with_alloc {
    use alloc::sync::Arc;
    use core::fmt;

    use super::MemoryWorker;
    use crate::Work;

    /// Runs one recorded item of a memory worker: see [`create_memory_worker`](crate::workers::create_memory_worker).
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::workers::create_memory_worker;
    /// use threadteam::Worker;
    ///
    /// let (worker, perform) = create_memory_worker::<Box<dyn FnOnce() + Send>>();
    /// worker.submit(Box::new(|| ())).unwrap();
    /// worker.submit(Box::new(|| ())).unwrap();
    /// assert_eq!(perform.perform_all(), 2);
    /// ```
    pub struct Perform<T>(Arc<MemoryWorker<T>>);

    impl<T: Work> Perform<T> {
        /// Runs the oldest recorded item and returns `true`, or returns `false` when there
        /// is none (and forever once the worker has quit and drained).
        ///
        /// # Panics
        /// If the item panics, the panic propagates; the item has already been removed.
        pub fn perform(&self) -> bool {
            MemoryWorker::perform(&*self.0)
        }

        /// Performs until nothing is recorded; returns how many items ran.
        pub fn perform_all(&self) -> usize {
            let mut n = 0;
            while self.perform() {
                n += 1;
            }
            n
        }
    }

    impl<T> Clone for Perform<T> {
        fn clone(&self) -> Self {
            Self(Arc::clone(&self.0))
        }
    }

    impl<T> fmt::Debug for Perform<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_tuple("Perform").field(&self.0).finish()
        }
    }

    /// A memory worker and the function that performs its work (Twisted's
    /// `createMemoryWorker`).
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::workers::create_memory_worker;
    /// use threadteam::Worker;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let ran = Arc::new(AtomicUsize::new(0));
    /// let (worker, perform) = create_memory_worker::<Box<dyn FnOnce() + Send>>();
    /// let r = ran.clone();
    /// worker.submit(Box::new(move || { r.fetch_add(1, Ordering::SeqCst); })).unwrap();
    /// assert_eq!(ran.load(Ordering::SeqCst), 0); // only recorded
    /// worker.quit().unwrap();
    /// assert!(perform.perform()); // queued before quit: still runs
    /// assert_eq!(ran.load(Ordering::SeqCst), 1);
    /// assert!(!perform.perform());
    /// ```
    pub fn create_memory_worker<T>() -> (Arc<MemoryWorker<T>>, Perform<T>) {
        let worker: Arc<MemoryWorker<T>> = Arc::new(MemoryWorker::new());
        (Arc::clone(&worker), Perform(worker))
    }
}

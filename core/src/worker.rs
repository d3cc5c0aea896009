//! The worker traits.

use crate::{AlreadyQuit, SubmitError};

/// Something that accepts work and runs it, perhaps concurrently (Twisted's `IWorker`).
///
/// `submit` is Twisted's `do` (a reserved word in Rust). All methods take `&self` and must
/// be safe to call from any thread the implementation is shared with.
///
/// The promise is about *refusal*: work a worker does not accept comes back in the
/// [`SubmitError`]. Work it accepts is run, unless the worker documents otherwise.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use core::cell::Cell;
/// use threadteam::{AlreadyQuit, SubmitError, Worker};
/// use threadteam::workers::{FnWork, Work};
///
/// /// Runs work at once, on the caller's thread, until it quits.
/// #[derive(Default)]
/// struct Inline(Cell<bool>);
/// impl Worker<FnWork> for Inline {
///     fn submit(&self, work: FnWork) -> Result<(), SubmitError<FnWork>> {
///         if self.0.get() {
///             return Err(SubmitError::already_quit(work));
///         }
///         work.run();
///         Ok(())
///     }
///     fn quit(&self) -> Result<(), AlreadyQuit> {
///         if self.0.replace(true) { Err(AlreadyQuit) } else { Ok(()) }
///     }
/// }
/// let worker = Inline::default();
/// let work = FnWork::new(|n| assert_eq!(n, 7), 7);
/// worker.submit(work).unwrap(); // ran
/// worker.quit().unwrap();
/// assert!(worker.submit(work).unwrap_err().is_already_quit());
/// ```
pub trait Worker<T> {
    /// Hands `work` to the worker.
    ///
    /// # Errors
    /// [`SubmitError::AlreadyQuit`] after [`quit`](Worker::quit);
    /// [`SubmitError::BacklogFull`] when a fixed-capacity queue is full. Both carry the work.
    fn submit(&self, work: T) -> Result<(), SubmitError<T>>;

    /// Frees the worker's resources once the work it accepted is done, and refuses all
    /// future work.
    ///
    /// # Errors
    /// [`AlreadyQuit`] if `quit` was already called.
    fn quit(&self) -> Result<(), AlreadyQuit>;
}

/// A worker that runs one item at a time, in submission order (Twisted's
/// `IExclusiveWorker`): the items it is given never run concurrently with each other.
///
/// Work that an item submits to the same worker while it runs is queued and runs after it,
/// never nested inside it. A [`Team`](crate::team::Team)'s coordinator must be exclusive.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::port::CriticalSectionLock;
/// use threadteam::workers::{FnWork, LockWorker};
/// use threadteam::ExclusiveWorker;
///
/// // A LockWorker runs work in the caller: it can run a closure at once, exclusively.
/// let worker: LockWorker<FnWork, _> = LockWorker::new(CriticalSectionLock::new());
/// assert!(worker.runs_in_caller());
/// assert_eq!(worker.run_now(20, |n| n + 22), Ok(42));
/// ```
pub trait ExclusiveWorker<T>: Worker<T> {
    /// Runs `f(state)` at once, on the calling thread, exclusively with this worker's
    /// items, if this worker can; otherwise hands `state` back, and the caller submits an
    /// item instead.
    ///
    /// A worker that runs its items on the caller's thread anyway (a
    /// [`LockWorker`](crate::workers::LockWorker)) does this to spare its callers building an item:
    /// a [`Team`](crate::team::Team) uses it to apply an event to its state directly. The default
    /// declines; a re-entrant call (from inside a running item) must decline.
    ///
    /// # Errors
    /// `Err(state)` when the work cannot run now (re-entrant, quit, or never).
    fn run_now<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S> {
        let _ = f;
        Err(state)
    }

    /// Whether [`run_now`](ExclusiveWorker::run_now) runs work on the caller's thread
    /// whenever it is not re-entrant (a [`LockWorker`](crate::workers::LockWorker)), rather than
    /// declining. A [`Team`](crate::team::Team) with such a coordinator lets work bypass it
    /// through its [fast lane](crate::team#the-fast-lane) while every worker is busy; a
    /// Team coordinated by a [`MemoryWorker`](crate::workers::MemoryWorker) never does, so a test
    /// sees every step. The default is `false`.
    fn runs_in_caller(&self) -> bool {
        false
    }
}

impl<T, W: Worker<T> + ?Sized> Worker<T> for &W {
    fn submit(&self, work: T) -> Result<(), SubmitError<T>> {
        (**self).submit(work)
    }
    fn quit(&self) -> Result<(), AlreadyQuit> {
        (**self).quit()
    }
}
impl<T, W: ExclusiveWorker<T> + ?Sized> ExclusiveWorker<T> for &W {
    fn run_now<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S> {
        (**self).run_now(state, f)
    }
    fn runs_in_caller(&self) -> bool {
        (**self).runs_in_caller()
    }
}

#[cfg(feature = "alloc")]
impl<T, W: Worker<T> + ?Sized> Worker<T> for alloc::sync::Arc<W> {
    fn submit(&self, work: T) -> Result<(), SubmitError<T>> {
        (**self).submit(work)
    }
    fn quit(&self) -> Result<(), AlreadyQuit> {
        (**self).quit()
    }
}
#[cfg(feature = "alloc")]
impl<T, W: ExclusiveWorker<T> + ?Sized> ExclusiveWorker<T> for alloc::sync::Arc<W> {
    fn run_now<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S> {
        (**self).run_now(state, f)
    }
    fn runs_in_caller(&self) -> bool {
        (**self).runs_in_caller()
    }
}

//! Refusals. Each one that concerns a piece of work carries it, so the caller gets it back.

use core::fmt;

/// The worker has quit: the caller's `quit` (or `grow`/`shrink`) came too late.
///
/// Returned by a second [`Worker::quit`](crate::Worker::quit) and by
/// [`Team::grow`](crate::Team::grow) / [`Team::shrink`](crate::Team::shrink) after quit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AlreadyQuit;

impl fmt::Display for AlreadyQuit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("this worker has quit and accepts no more work")
    }
}

impl core::error::Error for AlreadyQuit {}

/// Work that a worker refused, handed back to the caller.
///
/// `Debug` does not require `T: Debug` (closures are not), so `unwrap()` works on the
/// result of any `submit`.
///
/// ```
/// use threadteam_core::{create_memory_worker, SubmitError, Worker};
///
/// let (worker, _perform) = create_memory_worker::<fn()>();
/// worker.quit().unwrap();
/// let err = worker.submit(|| ()).unwrap_err();
/// assert!(err.is_already_quit());
/// let work_back: fn() = err.into_inner();
/// work_back();
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum SubmitError<T> {
    /// The worker has quit.
    AlreadyQuit(T),
    /// A fixed-capacity queue is full.
    BacklogFull(T),
}

impl<T> SubmitError<T> {
    /// The refused work.
    pub fn into_inner(self) -> T {
        match self {
            Self::AlreadyQuit(t) | Self::BacklogFull(t) => t,
        }
    }

    /// A reference to the refused work.
    pub fn work(&self) -> &T {
        match self {
            Self::AlreadyQuit(t) | Self::BacklogFull(t) => t,
        }
    }

    /// Whether the refusal is because the worker has quit.
    pub fn is_already_quit(&self) -> bool {
        matches!(self, Self::AlreadyQuit(_))
    }

    /// Whether the refusal is because a fixed-capacity queue is full.
    pub fn is_backlog_full(&self) -> bool {
        matches!(self, Self::BacklogFull(_))
    }

    /// The same refusal carrying `f(work)`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> SubmitError<U> {
        match self {
            Self::AlreadyQuit(t) => SubmitError::AlreadyQuit(f(t)),
            Self::BacklogFull(t) => SubmitError::BacklogFull(f(t)),
        }
    }
}

impl<T> fmt::Debug for SubmitError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyQuit(_) => f.write_str("AlreadyQuit(..)"),
            Self::BacklogFull(_) => f.write_str("BacklogFull(..)"),
        }
    }
}

impl<T> fmt::Display for SubmitError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyQuit(_) => f.write_str("work refused: the worker has quit"),
            Self::BacklogFull(_) => f.write_str("work refused: the backlog is full"),
        }
    }
}

impl<T> core::error::Error for SubmitError<T> {}

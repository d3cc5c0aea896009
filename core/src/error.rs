//! Refusals. Each one that concerns a piece of work carries it, so the caller gets it back.

use core::fmt;

/// The worker has quit: the caller's `quit` (or `grow`/`shrink`) came too late.
///
/// Returned by a second [`Worker::quit`](crate::Worker::quit) and by
/// [`Team::grow`](crate::team::Team::grow) / [`Team::shrink`](crate::team::Team::shrink)
/// after quit.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::{AlreadyQuit, workers::Quit};
///
/// let quit = Quit::new();
/// quit.set().unwrap();
/// assert_eq!(quit.set(), Err(AlreadyQuit));
/// ```
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
/// result of any `submit`. The error is `Send + Sync` whenever the work is `Send`, even work
/// that is not `Sync` (a boxed closure): the work is held in a [`Refused`], so it goes into
/// `anyhow::Error` or `Box<dyn Error + Send + Sync>` with `?`.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::{workers::MemoryWorker, SubmitError, Worker};
///
/// let worker: MemoryWorker<fn()> = MemoryWorker::new();
/// worker.quit().unwrap();
/// let err = worker.submit(|| ()).unwrap_err();
/// assert!(err.is_already_quit());
/// assert!(matches!(err, SubmitError::AlreadyQuit(_)));
/// let work_back: fn() = err.into_inner();
/// work_back();
/// ```
pub enum SubmitError<T> {
    /// The worker has quit.
    AlreadyQuit(Refused<T>),
    /// A fixed-capacity queue is full.
    BacklogFull(Refused<T>),
}

impl<T> SubmitError<T> {
    /// A refusal because the worker has quit, carrying `work` (for [`Worker`](crate::Worker)
    /// implementations).
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::SubmitError;
    ///
    /// let err = SubmitError::already_quit(7);
    /// assert!(err.is_already_quit());
    /// assert_eq!(err.into_inner(), 7);
    /// ```
    pub const fn already_quit(work: T) -> Self {
        Self::AlreadyQuit(Refused::new(work))
    }

    /// A refusal because a fixed-capacity queue is full, carrying `work`.
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::SubmitError;
    ///
    /// let err = SubmitError::backlog_full("job");
    /// assert!(err.is_backlog_full());
    /// assert_eq!(err.to_string(), "work refused: the backlog is full");
    /// ```
    pub const fn backlog_full(work: T) -> Self {
        Self::BacklogFull(Refused::new(work))
    }

    /// The refused work.
    pub fn into_inner(self) -> T {
        match self {
            Self::AlreadyQuit(t) | Self::BacklogFull(t) => t.into_inner(),
        }
    }

    /// The refused work, to inspect or change before it is taken back with
    /// [`into_inner`](SubmitError::into_inner). (There is no shared `&T` access: that is
    /// what keeps the error `Sync` for work that is not.)
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::SubmitError;
    ///
    /// let mut err = SubmitError::backlog_full(vec![1, 2]);
    /// err.work_mut().push(3);
    /// assert_eq!(err.into_inner(), [1, 2, 3]);
    /// ```
    pub fn work_mut(&mut self) -> &mut T {
        match self {
            Self::AlreadyQuit(t) | Self::BacklogFull(t) => t.get_mut(),
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
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::SubmitError;
    ///
    /// let err = SubmitError::already_quit(20).map(|n| n + 1);
    /// assert!(err.is_already_quit());
    /// assert_eq!(err.into_inner(), 21);
    /// ```
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> SubmitError<U> {
        match self {
            Self::AlreadyQuit(t) => SubmitError::already_quit(f(t.into_inner())),
            Self::BacklogFull(t) => SubmitError::backlog_full(f(t.into_inner())),
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

/// Refused work inside a [`SubmitError`]: reachable only by value
/// ([`into_inner`](Refused::into_inner)) or by `&mut` ([`get_mut`](Refused::get_mut)), so
/// it is `Sync` whenever the work is `Send`, and the error goes wherever errors must be
/// `Send + Sync` (`anyhow::Error`, `Box<dyn Error + Send + Sync>`), even carrying a boxed
/// closure, which is not `Sync`.
///
/// (The same reasoning as `std::sync::Exclusive`, which is not stable yet: a shared
/// reference to a `Refused` gives no access to the work, so sharing one between threads
/// shares nothing. The core has no `unsafe` code, so the work is kept in a
/// `critical_section::Mutex`, which has the right `Sync` rule and costs nothing: it is never
/// locked, since only its by-value and `&mut` accessors are used.)
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::SubmitError;
///
/// fn assert_send_sync<E: Send + Sync + 'static>(_: &E) {}
/// let closure: Box<dyn FnOnce() + Send> = Box::new(|| ());
/// let err = SubmitError::already_quit(closure);
/// assert_send_sync(&err); // though `Box<dyn FnOnce() + Send>` is not `Sync`
/// let SubmitError::AlreadyQuit(refused) = err else { unreachable!() };
/// (refused.into_inner())();
/// ```
pub struct Refused<T>(critical_section::Mutex<T>);

impl<T> Refused<T> {
    /// Holds `work`.
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::{Refused, SubmitError};
    ///
    /// let err = SubmitError::BacklogFull(Refused::new(42));
    /// assert_eq!(err.into_inner(), 42);
    /// ```
    pub const fn new(work: T) -> Self {
        Self(critical_section::Mutex::new(work))
    }

    /// The work, handed back.
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }

    /// The work, by exclusive reference.
    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_mut()
    }
}

impl<T> From<T> for Refused<T> {
    fn from(work: T) -> Self {
        Self::new(work)
    }
}

impl<T> fmt::Debug for Refused<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Refused(..)")
    }
}

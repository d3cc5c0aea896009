//! Locks for [`LockWorker`](crate::workers::LockWorker): exclusive, and aware of their holder so
//! re-entrant use is detected instead of deadlocking.

/// A mutual-exclusion lock that knows whether the calling thread already holds it.
///
/// This is the porting surface for coordination: implement it over your RTOS mutex (with
/// the current task handle as the holder) or use [`CriticalSectionLock`](crate::port::CriticalSectionLock) or, with `std`,
/// `StdLock`.
///
/// Implementations must guarantee that two calls of `with` never run their closures at the
/// same time, and that a call made from inside a running closure on the same thread returns
/// `Err(state)` at once instead of waiting.
///
/// A lock that some context may not wait for (an RTOS mutex, in an interrupt handler) must
/// also return `Err(state)` there, at once: [`LockWorker`](crate::workers::LockWorker) then hands the
/// work to the lock's holder instead of waiting (see
/// [its docs](crate::workers::LockWorker#contexts-that-may-not-wait)). Waiting is allowed only where
/// the holder can still run meanwhile: a blocking RTOS mutex with priority inheritance
/// between tasks is fine, a spin lock is not.
///
/// ```
/// # use threadteam_critical_section_std as _; // the host's critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::port::{CriticalSectionLock, RawLock};
///
/// let lock = CriticalSectionLock::new();
/// let outer = lock.with(1, |one| {
///     // Re-entrant use is refused, not deadlocked:
///     assert_eq!(lock.with(2, |two| two), Err(2));
///     one
/// });
/// assert_eq!(outer, Ok(1));
/// ```
pub trait RawLock: Send + Sync {
    /// Runs `f(state)` while holding the lock, waiting for it if another thread holds it.
    ///
    /// # Errors
    /// `Err(state)`, without calling `f`, when the calling thread already holds the lock, or
    /// when the calling context may not wait for this lock.
    ///
    /// # Panics
    /// If `f` panics, the lock is released and the panic continues.
    fn with<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S>;
}

/// A [`RawLock`](crate::port::RawLock) over [`critical_section::with`]: holding it keeps every other thread and
/// interrupt out (on a single core, interrupts are off).
///
/// Sound wherever the linked `critical-section` implementation is. An interrupt handler can
/// always take it (nothing it could preempt holds it), so a Team coordinated under it
/// accepts work from interrupt handlers and runs each pass in the caller, handler or not:
/// everything a pass calls must then be safe there too (its workers' `submit` and `quit`,
/// and `create_worker`). Keep what runs under it short: interrupts stay off for a whole
/// pass.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::port::{CriticalSectionLock, RawLock};
/// use threadteam::team::CallerLock;
/// use threadteam::workers::{FnWork, LockWorker};
///
/// // A coordinator an interrupt handler can run, on a single core.
/// let coordinator: LockWorker<_, CriticalSectionLock> = LockWorker::new(CriticalSectionLock::new());
/// # let _: &LockWorker<threadteam::team::Coordinate<FnWork>, CriticalSectionLock> = &coordinator;
/// let lock = CriticalSectionLock::new();
/// assert_eq!(lock.with((), |()| "inside"), Ok("inside"));
/// # let _ = core::marker::PhantomData::<CallerLock<FnWork>>;
/// ```
#[derive(Debug)]
pub struct CriticalSectionLock {
    held: critical_section::Mutex<core::cell::Cell<bool>>,
}

impl CriticalSectionLock {
    /// An unlocked lock.
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::port::CriticalSectionLock;
    ///
    /// static LOCK: CriticalSectionLock = CriticalSectionLock::new(); // `const`: fits a `static`
    /// # let _ = &LOCK;
    /// ```
    pub const fn new() -> Self {
        Self { held: critical_section::Mutex::new(core::cell::Cell::new(false)) }
    }
}

impl Default for CriticalSectionLock {
    fn default() -> Self {
        Self::new()
    }
}

impl RawLock for CriticalSectionLock {
    fn with<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S> {
        critical_section::with(|cs| {
            // Critical sections nest on the thread that holds one, and only there, so a
            // `held` flag seen from inside one was set by this same thread.
            let held = self.held.borrow(cs);
            if held.replace(true) {
                return Err(state);
            }
            struct Release<'a>(&'a core::cell::Cell<bool>);
            impl Drop for Release<'_> {
                fn drop(&mut self) {
                    self.0.set(false);
                }
            }
            let _release = Release(held);
            Ok(f(state))
        })
    }
}

#[cfg(feature = "std")]
pub use std_lock::StdLock;

#[cfg(feature = "std")]
mod std_lock {
    use core::fmt;

    use crate::sync::HolderAwareMutex;

    /// A [`RawLock`](super::RawLock) over `std::sync::Mutex` that knows whether the calling
    /// thread holds it.
    ///
    /// A thread waiting for it blocks in the kernel (never spins), so threads of any
    /// priority may share it. Poisoning is ignored: a panic in work run under the lock does
    /// not make the lock unusable.
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use std::sync::Arc;
    /// use threadteam::port::{RawLock, StdLock};
    ///
    /// let lock = Arc::new(StdLock::new());
    /// let other = Arc::clone(&lock);
    /// let from_another_thread = std::thread::spawn(move || other.with(1, |n| n + 1)).join().unwrap();
    /// assert_eq!(from_another_thread, Ok(2));
    /// assert_eq!(lock.with((), |()| lock.with(3, |n| n)), Ok(Err(3))); // re-entry refused
    /// ```
    pub struct StdLock {
        mutex: HolderAwareMutex,
    }

    impl StdLock {
        /// An unlocked lock.
        ///
        /// ```
        /// # use threadteam_critical_section_std as _; // a host critical-section implementation
        /// # use threadteam_core as threadteam;
        /// use threadteam::port::{RawLock, StdLock};
        ///
        /// let lock = StdLock::new();
        /// assert_eq!(lock.with("state", |s| s.len()), Ok(5));
        /// ```
        pub fn new() -> Self {
            Self { mutex: HolderAwareMutex::new() }
        }
    }

    impl Default for StdLock {
        fn default() -> Self {
            Self::new()
        }
    }

    impl fmt::Debug for StdLock {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("StdLock").finish_non_exhaustive()
        }
    }

    impl super::RawLock for StdLock {
        fn with<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S> {
            let mut state = Some(state);
            match self.mutex.with(|| f(state.take().expect("the state is given to f once"))) {
                Some(result) => Ok(result),
                // Re-entrant: `f` never ran, so the state is still here.
                None => Err(state.take().expect("f did not run")),
            }
        }
    }
}

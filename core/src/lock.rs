//! Locks for [`LockWorker`](crate::LockWorker): exclusive, and aware of their holder so
//! re-entrant use is detected instead of deadlocking.

/// A mutual-exclusion lock that knows whether the calling thread already holds it.
///
/// This is the porting surface for coordination: implement it over your RTOS mutex (with
/// the current task handle as the holder) or use [`CriticalSectionLock`] or, with `std`,
/// [`StdLock`].
///
/// Implementations must guarantee that two calls of `with` never run their closures at the
/// same time, and that a call made from inside a running closure on the same thread returns
/// `Err(state)` at once instead of waiting.
///
/// ```
/// use threadteam_core::{CriticalSectionLock, RawLock};
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
    /// `Err(state)`, without calling `f`, when the calling thread already holds the lock.
    ///
    /// # Panics
    /// If `f` panics, the lock is released and the panic continues.
    fn with<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S>;
}

/// A [`RawLock`] over [`critical_section::with`]: holding it keeps every other thread and
/// interrupt out (on a single core, interrupts are off).
///
/// Sound wherever the linked `critical-section` implementation is. Keep what runs under it
/// short: a Team's coordinator only updates counters and hands work over.
#[derive(Debug)]
pub struct CriticalSectionLock {
    held: critical_section::Mutex<core::cell::Cell<bool>>,
}

impl CriticalSectionLock {
    /// An unlocked lock.
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
    use crate::sync::{AtomicUsize, Ordering};

    #[cfg(threadteam_loom)]
    use loom::sync::Mutex;
    #[cfg(not(threadteam_loom))]
    use std::sync::{Mutex, PoisonError};

    /// A [`RawLock`](super::RawLock) over `std::sync::Mutex` that remembers its holder.
    ///
    /// Poisoning is ignored: a panic in work run under the lock does not make the lock
    /// unusable.
    #[derive(Debug, Default)]
    pub struct StdLock {
        mutex: Mutex<()>,
        /// The holder's id, 0 when free. Only the holder writes its own id, so reading
        /// one's own id here means one holds the lock.
        owner: AtomicUsize,
    }

    impl StdLock {
        /// An unlocked lock.
        pub fn new() -> Self {
            Self::default()
        }
    }

    /// A non-zero id for the calling thread, unique for the life of the process.
    ///
    /// Not the address of a thread-local: a thread that starts after another one exited can
    /// get the same address, and nothing orders its relaxed read of `owner` after the dead
    /// thread's clearing store, so it could read its "own" id there, think it holds the
    /// lock, and queue its work where nobody runs it (found by the loom model
    /// `team_quit_races_submit`; std's `ReentrantLock` had the same bug, rust-lang/rust#123458).
    /// A counter never hands out an id twice, so reading one's own id in `owner` means this
    /// thread stored it.
    fn current_thread() -> usize {
        // Not a loom atomic: handing out ids is not a hand-off to model, only uniqueness
        // matters, and a read-modify-write gives that at any ordering.
        static NEXT: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(1);
        #[cfg(not(threadteam_loom))]
        std::thread_local!(static ID: core::cell::Cell<usize> = const { core::cell::Cell::new(0) });
        #[cfg(threadteam_loom)]
        loom::thread_local!(static ID: core::cell::Cell<usize> = core::cell::Cell::new(0));
        ID.with(|id| {
            if id.get() == 0 {
                id.set(NEXT.fetch_add(1, core::sync::atomic::Ordering::Relaxed));
            }
            id.get()
        })
    }

    impl super::RawLock for StdLock {
        fn with<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S> {
            let me = current_thread();
            if self.owner.load(Ordering::Relaxed) == me {
                return Err(state);
            }
            #[cfg(not(threadteam_loom))]
            let _guard = self.mutex.lock().unwrap_or_else(PoisonError::into_inner);
            #[cfg(threadteam_loom)]
            let _guard = self.mutex.lock().unwrap_or_else(|e| e.into_inner());
            self.owner.store(me, Ordering::Relaxed);
            struct Disown<'a>(&'a AtomicUsize);
            impl Drop for Disown<'_> {
                fn drop(&mut self) {
                    self.0.store(0, Ordering::Relaxed);
                }
            }
            // Dropped before `_guard`: the owner is cleared while the lock is still held.
            let _disown = Disown(&self.owner);
            Ok(f(state))
        }
    }
}

//! The seam a platform backend implements.

use core::fmt;
use core::time::Duration;

/// Starts a thread (or an RTOS task) that runs a worker's loop.
///
/// This is the first of the traits a port implements (the others: [`Signal`](crate::port::Signal), and a
/// [`RawLock`](crate::port::RawLock) if [`CriticalSectionLock`](crate::port::CriticalSectionLock) does not
/// suit). Starting may fail (the OS refuses a thread, the RTOS heap is exhausted): that is an
/// error value, never a panic, and a Team keeps the work queued. On a platform where a
/// thread cannot be started from an interrupt handler, `start` called there must return an
/// error too (the Team tries again at its next event).
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::port::ThreadFactory;
///
/// /// Runs the "thread" at once on the caller's stack: enough to show the contract.
/// struct Inline;
/// impl ThreadFactory for Inline {
///     type Thread = ();
///     type Error = core::convert::Infallible;
///     fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<(), Self::Error> {
///         main();
///         Ok(())
///     }
/// }
/// Inline.start(|| ()).unwrap();
/// ```
pub trait ThreadFactory {
    /// A handle to the started thread (a join handle, a task handle).
    type Thread;
    /// Why a thread could not be started.
    type Error: fmt::Debug + fmt::Display;

    /// Starts a thread running `main`.
    ///
    /// # Errors
    /// When the thread cannot be started; `main` is dropped without running.
    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<Self::Thread, Self::Error>;
}

impl<F: ThreadFactory + ?Sized> ThreadFactory for &F {
    type Thread = F::Thread;
    type Error = F::Error;
    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<Self::Thread, Self::Error> {
        (**self).start(main)
    }
}

/// The wait/wake primitive a worker's thread sleeps on: a binary semaphore.
///
/// `notify` leaves one token; `wait` takes it, blocking until there is one. A `notify`
/// before the `wait` is therefore never lost, and several `notify`s before a `wait` leave
/// just one token. Spurious wake-ups are allowed (callers re-check their condition).
///
/// For a Team that accepts work from interrupt handlers, `notify` must work there too (on
/// FreeRTOS: the `FromISR` give, then a yield if a higher-priority task woke).
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use std::sync::{Condvar, Mutex};
/// use std::time::Duration;
/// use threadteam::port::Signal;
///
/// /// A binary semaphore over a mutex and a condition variable.
/// #[derive(Default)]
/// struct Token(Mutex<bool>, Condvar);
/// impl Signal for Token {
///     fn wait(&self) {
///         let mut token = self.0.lock().unwrap();
///         while !*token {
///             token = self.1.wait(token).unwrap();
///         }
///         *token = false;
///     }
///     fn wait_timeout(&self, timeout: Duration) -> bool {
///         let token = self.0.lock().unwrap();
///         let (mut token, _) = self.1.wait_timeout_while(token, timeout, |t| !*t).unwrap();
///         std::mem::replace(&mut *token, false)
///     }
///     fn notify(&self) {
///         *self.0.lock().unwrap() = true;
///         self.1.notify_one();
///     }
/// }
/// let signal = Token::default();
/// signal.notify();
/// signal.notify(); // several notifies leave one token
/// assert!(signal.wait_timeout(Duration::ZERO));
/// assert!(!signal.wait_timeout(Duration::from_millis(1)));
/// ```
pub trait Signal: Send + Sync {
    /// Blocks until a token is available, and takes it.
    fn wait(&self);
    /// Like [`wait`](crate::port::Signal::wait), giving up after `timeout`. Returns whether a token was
    /// taken.
    fn wait_timeout(&self, timeout: Duration) -> bool;
    /// Leaves a token, waking the waiter if there is one.
    fn notify(&self);
}

/// A monotonic clock: time since an arbitrary, fixed origin. It never goes backwards.
///
/// The std backend's clock reads `Instant`; an RTOS port reads its tick counter; tests use a
/// [`ManualClock`](crate::policy::ManualClock).
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use core::sync::atomic::{AtomicU64, Ordering};
/// use core::time::Duration;
/// use threadteam::port::Clock;
///
/// /// An RTOS tick counter at 1 kHz, advanced by the tick interrupt.
/// struct Ticks(AtomicU64);
/// impl Clock for Ticks {
///     fn now(&self) -> Duration {
///         Duration::from_millis(self.0.load(Ordering::Relaxed))
///     }
/// }
/// let ticks = Ticks(AtomicU64::new(1500));
/// assert_eq!(ticks.now(), Duration::from_millis(1500));
/// ```
pub trait Clock: Send + Sync {
    /// The time since the clock's origin.
    fn now(&self) -> Duration;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Duration {
        (**self).now()
    }
}

#[cfg(feature = "alloc")]
impl<C: Clock + ?Sized> Clock for alloc::sync::Arc<C> {
    fn now(&self) -> Duration {
        (**self).now()
    }
}

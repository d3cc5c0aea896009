//! The synchronisation primitives the core uses, swapped for loom's under
//! `--cfg threadteam_loom` so model tests see every hand-off.

#[cfg(not(all(threadteam_loom, feature = "std")))]
pub(crate) use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
#[cfg(all(threadteam_loom, feature = "std"))]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The lock guarding plain data inside the core: a spin lock that, with `std`, yields to
/// the scheduler instead of burning a time slice when it finds the lock taken.
///
/// It only ever guards short, non-blocking sections (push, pop, a state transition).
#[cfg(not(all(threadteam_loom, feature = "std")))]
pub(crate) type Mutex<T> = spin::mutex::SpinMutex<T, Relax>;

#[cfg(all(threadteam_loom, feature = "std"))]
pub(crate) use loom_mutex::Mutex;

/// How the spin lock, and a thread waiting for a [`Once`] another thread is filling, wait.
///
/// With `std` it yields: the thread it waits for may be preempted (a pool's threads often
/// outnumber its cores), and spinning would only burn the time slice that thread needs.
#[derive(Debug)]
pub(crate) struct Relax;

impl spin::RelaxStrategy for Relax {
    #[inline]
    fn relax() {
        #[cfg(all(threadteam_loom, feature = "std"))]
        loom::thread::yield_now();
        #[cfg(all(not(threadteam_loom), feature = "std"))]
        std::thread::yield_now();
        #[cfg(not(feature = "std"))]
        core::hint::spin_loop();
    }
}

/// A cell filled once, by the first thread that needs it; the others wait with [`Relax`].
#[cfg(feature = "alloc")] // only the ring fills its parts on demand
pub(crate) type Once<T> = spin::once::Once<T, Relax>;

#[cfg(all(threadteam_loom, feature = "std"))]
mod loom_mutex {
    /// loom's mutex behind the same `lock()` shape as `spin::Mutex`.
    #[derive(Debug)]
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(|e| e.into_inner())
        }
    }
}

/// Between two attempts of a lock-free retry loop: after a lost compare-and-swap, spin a
/// little longer each time (up to 64 pauses, as crossbeam's `Backoff::spin`), so that
/// threads contending for one cache line stop taking it from each other at every attempt.
/// Under loom it hands control to the model instead, whose loads may keep returning a
/// stale value otherwise.
#[cfg(feature = "alloc")] // only the ring retries this way
#[derive(Debug, Default)]
pub(crate) struct Retry {
    step: u32,
}

#[cfg(feature = "alloc")]
impl Retry {
    #[inline]
    pub(crate) fn again(&mut self) {
        spin(self.step);
        self.step = (self.step + 1).min(6);
    }
}

/// `1 << step` pauses; under loom, a hand-over to the model instead.
#[inline]
fn spin(step: u32) {
    #[cfg(all(threadteam_loom, feature = "std"))]
    {
        let _ = step;
        loom::thread::yield_now();
    }
    #[cfg(not(all(threadteam_loom, feature = "std")))]
    for _ in 0..1u32 << step {
        core::hint::spin_loop();
    }
}

/// Waits a little before re-checking a condition: exponential spinning first, then (with
/// `std`) yielding the processor so the thread we wait for can run.
pub(crate) fn backoff(step: u32) {
    // Under loom `spin` hands control to the model: a spin must never be a busy loop there.
    if step < 6 {
        spin(step);
    } else {
        #[cfg(all(threadteam_loom, feature = "std"))]
        loom::thread::yield_now();
        #[cfg(all(not(threadteam_loom), feature = "std"))]
        std::thread::yield_now();
        #[cfg(not(feature = "std"))]
        for _ in 0..64 {
            core::hint::spin_loop();
        }
    }
}

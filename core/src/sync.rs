//! How the core synchronises, in one place: which atomics, and the two kinds of guarded
//! data, [`Section`] and [`Claim`]. Model tests (`--cfg threadteam_loom`) swap in loom's
//! versions here, so they see every hand-off.
//!
//! # The rule
//!
//! Firmware submits from interrupt handlers and runs tasks at different priorities, so no
//! code in the core may *wait* for something that a context it preempted holds: that
//! context cannot run again until the waiter gives up the processor, which a spinning
//! waiter never does. Hence:
//!
//! - a [`Section`] is data touched for a few instructions and never across a call to user
//!   code. Without `std` it is a `critical_section::Mutex`: on a single core, interrupts are
//!   off while it is held, so nothing that could want it can run meanwhile (a multi-core
//!   implementation only ever waits for a holder that is running on another core). With
//!   `std` it is one compare-and-swap when free; a waiter ends up sleeping between attempts,
//!   so even threads at real-time priorities cannot starve its holder.
//! - a [`Claim`] is data that one context works on for a long stretch: a Team's state,
//!   owned by whoever runs its coordinator's pass. Without `std` nobody ever waits for it:
//!   entering while another context is inside gives `None`, and the caller takes another
//!   path. With `std` a caller on another thread blocks until it is free (the thread that
//!   is inside already gets `None`, instead of deadlocking on itself).
//! - everything else is atomics. Where the target has no compare-and-swap (Cortex-M0,
//!   `thumbv6m`), they come from `portable-atomic`, which builds its read-modify-write
//!   operations on the same `critical-section` implementation.

#[cfg(all(not(all(threadteam_loom, feature = "std")), target_has_atomic = "ptr"))]
pub(crate) use core::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
#[cfg(all(threadteam_loom, feature = "std"))]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
#[cfg(all(not(all(threadteam_loom, feature = "std")), not(target_has_atomic = "ptr")))]
pub(crate) use portable_atomic::{fence, AtomicBool, AtomicUsize, Ordering};

pub(crate) use claim::Claim;
pub(crate) use section::Section;

/// [`Section`] without `std`: a critical section around a `RefCell`. A nested `with` on
/// the same section (a bug: sections never call out) panics on the `RefCell` instead of
/// deadlocking.
#[cfg(not(feature = "std"))]
mod section {
    use core::cell::RefCell;

    /// Data guarded for a few instructions at a time; see the [module docs](super).
    pub(crate) struct Section<T>(critical_section::Mutex<RefCell<T>>);

    impl<T> Section<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(critical_section::Mutex::new(RefCell::new(value)))
        }

        /// Runs `f` on the data. `f` must be short and must not call user code.
        #[inline]
        pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
            critical_section::with(|cs| f(&mut self.0.borrow_ref_mut(cs)))
        }
    }
}

/// [`Section`] with `std`: a lock taken with one compare-and-swap when free (the common
/// case: sections are a few instructions long). A waiter spins briefly, then yields, then
/// sleeps for a few microseconds between attempts: a sleeping thread is not runnable, so even
/// a holder at a lower real-time priority gets the processor back, and nobody can starve
/// it. No poisoning: no section runs user code, so a panic cannot leave one half-done.
/// (Loom's mutex under `--cfg threadteam_loom`.)
#[cfg(feature = "std")]
mod section {
    /// Data guarded for a few instructions at a time; see the [module docs](super).
    #[cfg(not(threadteam_loom))]
    pub(crate) struct Section<T>(spin::Mutex<T>);

    #[cfg(not(threadteam_loom))]
    impl<T> Section<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(spin::Mutex::new(value))
        }

        /// Runs `f` on the data. `f` must be short and must not call user code.
        #[inline]
        pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
            let mut guard = match self.0.try_lock() {
                Some(guard) => guard,
                None => self.wait(),
            };
            f(&mut guard)
        }

        #[cold]
        fn wait(&self) -> spin::MutexGuard<'_, T> {
            let mut step = 0u32;
            loop {
                if let Some(guard) = self.0.try_lock() {
                    return guard;
                }
                match step {
                    0..6 => super::backoff(step),
                    6..16 => std::thread::yield_now(),
                    _ => std::thread::sleep(core::time::Duration::from_micros(20)),
                }
                step = step.saturating_add(1);
            }
        }
    }

    /// Data guarded for a few instructions at a time; see the [module docs](super).
    #[cfg(threadteam_loom)]
    pub(crate) struct Section<T>(loom::sync::Mutex<T>);

    #[cfg(threadteam_loom)]
    impl<T> Section<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(loom::sync::Mutex::new(value))
        }

        /// Runs `f` on the data. `f` must be short and must not call user code.
        pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
            f(&mut self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
        }
    }
}

/// [`Claim`] without `std`: a try-only lock. Nothing ever waits for it.
#[cfg(not(feature = "std"))]
mod claim {
    /// Data one context works on for a long stretch; see the [module docs](super).
    pub(crate) struct Claim<T>(spin::Mutex<T>);

    impl<T> Claim<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(spin::Mutex::new(value))
        }

        /// Runs `f` on the data, or gives `None` at once if another context (or this one,
        /// further up its stack) is inside.
        #[inline]
        pub(crate) fn enter<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
            let mut guard = self.0.try_lock()?;
            Some(f(&mut guard))
        }
    }
}

/// A number for the calling thread, unique for the life of the process (never reused,
/// unlike a thread-local's address, which a new thread may inherit from an exited one): how
/// a lock knows whether the thread asking for it already holds it. `None` while the thread's
/// thread-locals are being destroyed (a thread-local's destructor that submits work): such a
/// caller is never taken for the holder, and gets a token of its own each time.
#[cfg(feature = "std")]
pub(crate) fn thread_token() -> usize {
    use core::cell::Cell;
    static NEXT: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(1);
    let fresh = || NEXT.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    #[cfg(not(threadteam_loom))]
    std::thread_local!(static TOKEN: Cell<usize> = const { Cell::new(0) });
    // Loom's threads share one OS thread: they need loom's thread-locals. Only uniqueness
    // matters, so the counter itself need not be modelled.
    #[cfg(threadteam_loom)]
    loom::thread_local!(static TOKEN: Cell<usize> = Cell::new(0));
    TOKEN
        .try_with(|token| {
            if token.get() == 0 {
                token.set(fresh());
            }
            token.get()
        })
        .unwrap_or_else(|_| fresh())
}

/// [`Claim`] with `std`: a lock taken with one compare-and-swap when free (the only case
/// with a `LockWorker` coordinator, under which every pass and every outside call runs), that
/// knows which thread is inside, so that thread gets `None` instead of deadlocking on
/// itself. A caller on another thread waits by yielding: it only ever waits for a running
/// pass of a coordinator that runs events elsewhere (a memory worker, in tests).
#[cfg(feature = "std")]
mod claim {
    // Not loom's: a thread only ever compares its own token with what it finds here, so
    // this is no hand-off for a model to explore.
    use core::sync::atomic::{AtomicUsize, Ordering};

    use super::thread_token;

    /// Data one context works on for a long stretch; see the [module docs](super).
    pub(crate) struct Claim<T> {
        #[cfg(not(threadteam_loom))]
        data: spin::Mutex<T>,
        #[cfg(threadteam_loom)]
        data: loom::sync::Mutex<T>,
        /// The [`thread_token`] of the thread inside, 0 when none. Only the thread inside
        /// writes its own token here (and clears it before it leaves), and tokens are never
        /// reused, so a thread that reads its own token is inside: no stale value can fool
        /// it.
        inside: AtomicUsize,
    }

    impl<T> Claim<T> {
        #[cfg(not(threadteam_loom))]
        pub(crate) const fn new(value: T) -> Self {
            Self { data: spin::Mutex::new(value), inside: AtomicUsize::new(0) }
        }

        #[cfg(threadteam_loom)]
        pub(crate) fn new(value: T) -> Self {
            Self { data: loom::sync::Mutex::new(value), inside: AtomicUsize::new(0) }
        }

        /// Runs `f` on the data, waiting while another thread is inside; `None` at once if
        /// this thread is inside already, further up its stack.
        pub(crate) fn enter<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
            let me = thread_token();
            let mut guard = self.lock(me)?;
            self.inside.store(me, Ordering::Relaxed);
            struct Leave<'a>(&'a AtomicUsize);
            impl Drop for Leave<'_> {
                fn drop(&mut self) {
                    self.0.store(0, Ordering::Relaxed);
                }
            }
            // Dropped before `guard`: the token is cleared while the data is still held.
            let _leave = Leave(&self.inside);
            Some(f(&mut guard))
        }

        #[cfg(not(threadteam_loom))]
        fn lock(&self, me: usize) -> Option<spin::MutexGuard<'_, T>> {
            loop {
                if let Some(guard) = self.data.try_lock() {
                    return Some(guard);
                }
                if self.inside.load(Ordering::Relaxed) == me {
                    return None;
                }
                std::thread::yield_now();
            }
        }

        #[cfg(threadteam_loom)]
        fn lock(&self, me: usize) -> Option<loom::sync::MutexGuard<'_, T>> {
            if self.inside.load(Ordering::Relaxed) == me {
                return None;
            }
            Some(self.data.lock().unwrap_or_else(|p| p.into_inner()))
        }
    }
}

/// A mutex that knows which thread holds it, so that thread is refused instead of
/// deadlocking on itself: what [`StdLock`](crate::port::StdLock) is made of. A waiter blocks in the
/// kernel (never spins), so threads of any priority may share it.
#[cfg(feature = "std")]
pub(crate) struct HolderAwareMutex {
    #[cfg(not(threadteam_loom))]
    mutex: std::sync::Mutex<()>,
    #[cfg(threadteam_loom)]
    mutex: loom::sync::Mutex<()>,
    /// As [`Claim`]'s: the holder's [`thread_token`], 0 when free.
    holder: core::sync::atomic::AtomicUsize,
}

#[cfg(feature = "std")]
impl HolderAwareMutex {
    pub(crate) fn new() -> Self {
        Self { mutex: Default::default(), holder: core::sync::atomic::AtomicUsize::new(0) }
    }

    /// Runs `f` holding the mutex (waiting for it if another thread holds it); `None` at
    /// once if this thread holds it already.
    pub(crate) fn with<R>(&self, f: impl FnOnce() -> R) -> Option<R> {
        use core::sync::atomic::Ordering::Relaxed;
        let me = thread_token();
        if self.holder.load(Relaxed) == me {
            return None;
        }
        let _guard = self.mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.holder.store(me, Relaxed);
        struct Release<'a>(&'a core::sync::atomic::AtomicUsize);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.store(0, Relaxed);
            }
        }
        // Dropped before `_guard`: the holder is cleared while the mutex is still held.
        let _release = Release(&self.holder);
        Some(f())
    }
}

/// Whether this build is a loom model (`--cfg threadteam_loom`): the model explores every
/// interleaving, so structures that would be waited for must exist up front.
#[cfg(feature = "std")] // only the fast lane (std) needs to know
pub(crate) const MODELLED: bool = cfg!(threadteam_loom);

/// A size: `normal`, or a smaller one where every access is expensive to check (`loom` in
/// the model tests, where each slot is a modelled object; `miri`, where every access is
/// interpreted), keeping the shape the normal size exercises.
#[cfg(feature = "std")] // only the fast lane (std) is sized so
pub(crate) const fn model_size(normal: usize, loom: usize, miri: usize) -> usize {
    if cfg!(threadteam_loom) {
        loom
    } else if cfg!(miri) {
        miri
    } else {
        normal
    }
}

/// Makes a constructor `const`, except in loom's model tests (with `std`), where the
/// primitives it builds (loom's) cannot be made in a `const`. The cfg is a model-test
/// detail: no documentation badge for it.
macro_rules! const_unless_loom {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {
        $(#[$attr])*
        #[cfg(not(all(threadteam_loom, feature = "std")))]
        #[cfg_attr(docsrs, doc(auto_cfg = false))]
        $vis const fn $name($($arg: $ty),*) -> $ret $body

        $(#[$attr])*
        #[cfg(all(threadteam_loom, feature = "std"))]
        $vis fn $name($($arg: $ty),*) -> $ret $body
    };
}
pub(crate) use const_unless_loom;

/// How many times to re-check a condition before giving up on it (a worker looking for its
/// next item, a thread before it parks): `n`, or 1 under loom, where every re-check
/// multiplies the interleavings explored.
pub(crate) const fn patience(n: u32) -> u32 {
    if cfg!(threadteam_loom) {
        1
    } else {
        n
    }
}

/// The lock of a fast-lane slot. Only the thread that claimed the slot's position touches
/// it (and, rarely, a cancel's scan), so it is all but never contended: a spin lock that
/// yields, sparing the slot a std `Mutex`'s poison bookkeeping on the hottest path. Only the
/// lane (std) has slots.
#[cfg(all(feature = "std", not(threadteam_loom)))]
pub(crate) struct SlotLock<T>(spin::mutex::SpinMutex<T, Yield>);

#[cfg(all(feature = "std", not(threadteam_loom)))]
impl<T> SlotLock<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(spin::mutex::SpinMutex::new(value))
    }

    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.0.lock())
    }
}

/// Under loom, the slot lock is a modelled one.
#[cfg(all(feature = "std", threadteam_loom))]
pub(crate) type SlotLock<T> = Section<T>;

/// Between two attempts of a lock-free retry loop: after a lost compare-and-swap, spin a
/// little longer each time (up to 64 pauses, as crossbeam's `Backoff::spin`), so that
/// threads contending for one cache line stop taking it from each other at every attempt.
/// Under loom it hands control to the model instead, whose loads may keep returning a
/// stale value otherwise.
#[cfg(feature = "std")] // only the fast lane retries this way
#[derive(Debug, Default)]
pub(crate) struct Retry {
    step: u32,
}

#[cfg(feature = "std")]
impl Retry {
    #[inline]
    pub(crate) fn again(&mut self) {
        spin(self.step);
        self.step = (self.step + 1).min(6);
    }
}

/// A cell filled once, by the first thread that needs it; the others yield until it is.
/// Only the fast lane (std) fills its parts on demand.
#[cfg(feature = "std")]
pub(crate) type Once<T> = spin::once::Once<T, Yield>;

/// How a thread waiting for a [`Once`] another thread is filling waits: it yields, since
/// the filler may be preempted (a pool's threads often outnumber its cores).
#[cfg(feature = "std")]
#[derive(Debug)]
pub(crate) struct Yield;

#[cfg(feature = "std")]
impl spin::RelaxStrategy for Yield {
    #[inline]
    fn relax() {
        #[cfg(threadteam_loom)]
        loom::thread::yield_now();
        #[cfg(not(threadteam_loom))]
        std::thread::yield_now();
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
/// `std`) yielding the processor. A bounded delay, never a wait for another context: the
/// caller re-checks and then takes a path that does not depend on it (a worker parks).
pub(crate) fn backoff(step: u32) {
    // Under loom `spin` hands control to the model: a spin must never be a busy loop there.
    if step < 6 {
        spin(step);
    } else {
        yield_processor();
    }
}

/// Lets any other runnable thread have this processor, then returns (without `std`, where
/// there is no scheduler to ask, a short spin). For a thread polling for work before it
/// parks: the scheduler often wakes the very thread that will submit that work onto the
/// poller's own core, and a poller that spun on `pause` would keep it from running.
pub(crate) fn yield_processor() {
    #[cfg(all(threadteam_loom, feature = "std"))]
    loom::thread::yield_now();
    #[cfg(all(not(threadteam_loom), feature = "std"))]
    std::thread::yield_now();
    #[cfg(not(feature = "std"))]
    for _ in 0..64 {
        core::hint::spin_loop();
    }
}

/// The sections and claims of a build without `std` (`cargo test -p threadteam-core --lib`,
/// with the critical-section implementation of the tests' dev-dependency).
#[cfg(all(test, not(feature = "std")))]
mod tests {
    extern crate std;

    use std::sync::mpsc;

    use super::{Claim, Section};

    #[test]
    fn a_claim_is_never_waited_for_by_its_holder() {
        let claim = Claim::new(0);
        let nested = claim.enter(|value| {
            *value += 1;
            claim.enter(|_| ())
        });
        assert_eq!(nested, Some(None), "refused at once from inside");
        assert_eq!(claim.enter(|value| *value), Some(1));
    }

    #[test]
    fn a_claim_is_never_waited_for_by_another_context() {
        let claim = &Claim::new(());
        let (inside_tx, inside_rx) = mpsc::channel();
        let (leave_tx, leave_rx) = mpsc::channel::<()>();
        std::thread::scope(|s| {
            s.spawn(move || {
                claim.enter(|()| {
                    inside_tx.send(()).unwrap();
                    leave_rx.recv().unwrap();
                })
            });
            inside_rx.recv().unwrap();
            assert_eq!(claim.enter(|()| ()), None, "refused at once, not waited for");
            leave_tx.send(()).unwrap();
        });
        assert_eq!(claim.enter(|()| ()), Some(()));
    }

    #[test]
    fn a_section_entered_from_inside_itself_panics_instead_of_deadlocking() {
        let section = Section::new(0);
        let nested = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| section.with(|_| section.with(|_| ()))));
        assert!(nested.is_err());
        assert_eq!(section.with(|value| *value), 0, "usable afterwards");
    }
}

//! A [`critical_section`] implementation for host test binaries: one process-wide,
//! re-entrant lock (a std `Mutex` plus a per-thread nesting depth).
//!
//! Why not `critical-section`'s own `std` feature: a feature is unified across every package
//! Cargo builds together, so `cargo test --workspace` would put that implementation into
//! every test binary, including the FreeRTOS backend's, which link FreeRTOS's
//! implementation (and `std` also selects a `restore-state-*` feature that other
//! implementations may not share). A crate is linked only into the binaries that use it,
//! so each test binary that needs this one says so:
//!
//! ```
//! use threadteam_critical_section_std as _;
//!
//! critical_section::with(|_| { /* other threads wait here */ });
//! ```
//!
//! The restore state is ignored (the nesting depth lives in a thread-local), so the
//! implementation works whatever `restore-state-*` feature is on.

use std::cell::{Cell, RefCell};
use std::sync::{Mutex, MutexGuard, PoisonError};

use critical_section::RawRestoreState;

static LOCK: Mutex<()> = Mutex::new(());

std::thread_local! {
    /// How deep this thread's critical sections nest.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// The lock, held by this thread while `DEPTH > 0`.
    static GUARD: RefCell<Option<MutexGuard<'static, ()>>> = const { RefCell::new(None) };
}

struct StdCriticalSection;
critical_section::set_impl!(StdCriticalSection);

// SAFETY: the outermost `acquire` on a thread takes the process-wide lock and the matching
// outermost `release` gives it back, so no two threads are ever inside at once; nested
// sections on the holding thread only count.
unsafe impl critical_section::Impl for StdCriticalSection {
    unsafe fn acquire() -> RawRestoreState {
        if DEPTH.get() == 0 {
            // A panic inside a section poisons nothing that matters: the lock guards no data.
            let guard = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
            GUARD.set(Some(guard));
        }
        DEPTH.set(DEPTH.get() + 1);
        RawRestoreState::default()
    }

    unsafe fn release(_: RawRestoreState) {
        let depth = DEPTH.get() - 1;
        DEPTH.set(depth);
        if depth == 0 {
            drop(GUARD.take());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn sections_exclude_other_threads_and_nest() {
        let inside = Arc::new(AtomicUsize::new(0));
        let overlaps = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (inside, overlaps) = (inside.clone(), overlaps.clone());
                std::thread::spawn(move || {
                    for _ in 0..1_000 {
                        critical_section::with(|_| {
                            if inside.fetch_add(1, Ordering::SeqCst) != 0 {
                                overlaps.fetch_add(1, Ordering::SeqCst);
                            }
                            // Nested on the same thread: no deadlock.
                            critical_section::with(|_| std::thread::yield_now());
                            inside.fetch_sub(1, Ordering::SeqCst);
                        });
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(overlaps.load(Ordering::SeqCst), 0);
    }
}

//! Ways for the bench's own thread to wait for tasks, identical for every pool.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// A countdown: the thread that made it waits until `count_down` has been called `n`
/// times. Only the last count wakes the waiter, so the per-task cost is one atomic
/// decrement on a shared line, the same for every pool. The last count also records
/// when it happened, so a waiter that is slow to be scheduled does not stretch the time.
#[derive(Debug)]
pub struct Latch {
    left: AtomicUsize,
    done: AtomicBool,
    finished_at: OnceLock<Instant>,
    waiter: Thread,
}

impl Latch {
    /// A latch for `n` counts, waited on by the calling thread. Leaked so tasks can hold a
    /// plain `&'static` (no reference count traffic per task); one small leak per run.
    pub fn leak(n: usize) -> &'static Self {
        Box::leak(Box::new(Self {
            left: AtomicUsize::new(n),
            done: AtomicBool::new(n == 0),
            finished_at: OnceLock::new(),
            waiter: thread::current(),
        }))
    }

    /// One task is done.
    pub fn count_down(&self) {
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _ = self.finished_at.set(Instant::now());
            self.done.store(true, Ordering::Release);
            self.waiter.unpark();
        }
    }

    /// Waits for every count (only from the thread that made the latch); when the last
    /// count happened.
    pub fn wait(&self) -> Instant {
        while !self.done.load(Ordering::Acquire) {
            thread::park();
        }
        *self.finished_at.get_or_init(Instant::now)
    }

    /// Waits for every count, at most until `deadline`; whether all came.
    pub fn wait_until(&self, deadline: Instant) -> bool {
        while !self.done.load(Ordering::Acquire) {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            thread::park_timeout(deadline - now);
        }
        true
    }

    /// Counts still outstanding.
    pub fn left(&self) -> usize {
        self.left.load(Ordering::Acquire)
    }
}

/// A reusable one-shot signal from a task back to the thread that made it: the round
/// trip's "it ran". `set` unparks the waiter; `wait` consumes the signal.
#[derive(Debug)]
pub struct Handoff {
    done: AtomicBool,
    waiter: Thread,
}

impl Handoff {
    /// A handoff waited on by the calling thread (leaked, like [`Latch::leak`]).
    pub fn leak() -> &'static Self {
        Box::leak(Box::new(Self { done: AtomicBool::new(false), waiter: thread::current() }))
    }

    /// The task ran.
    pub fn set(&self) {
        self.done.store(true, Ordering::Release);
        self.waiter.unpark();
    }

    /// Waits for `set`, then re-arms.
    pub fn wait(&self) {
        // A stale unpark token only costs one extra turn of the loop.
        while !self.done.swap(false, Ordering::AcqRel) {
            thread::park();
        }
    }
}

/// A gate tasks block on until it opens: keeps pool threads busy so later work queues.
#[derive(Debug, Default)]
pub struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    /// A closed gate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Blocks until the gate opens.
    pub fn pass(&self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        while !*open {
            open = self.opened.wait(open).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Lets everyone through, now and later.
    pub fn open(&self) {
        *self.open.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.opened.notify_all();
    }
}

/// Polls `done` every millisecond until it holds or `timeout` passes; whether it held.
/// Used only where a pool offers nothing to wait on (e.g. "all N tasks have started").
pub fn poll_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(1));
    }
}

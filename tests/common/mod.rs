//! Helpers shared by the std tests: a gate to hold work back, a thread factory with
//! scripted refusals that keeps its join handles, and a bounded wait.
#![allow(dead_code)] // each test binary uses a different subset

use core::sync::atomic::{AtomicUsize, Ordering};
use core::time::Duration;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use threadteam::{port::ThreadFactory, SpawnError, StdThreadFactory};

/// Work that waits on the gate blocks until it opens; once open it stays open.
#[derive(Default)]
pub struct Gate {
    open: Mutex<bool>,
    changed: Condvar,
}

impl Gate {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn wait(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.changed.wait(open).unwrap();
        }
    }

    pub fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.changed.notify_all();
    }

    /// Opens the gate when dropped: declared after a pool, it lets a failing test's pool
    /// drain (instead of hanging in the pool's drop) before the panic is reported.
    pub fn open_on_drop(self: &Arc<Self>) -> OpenOnDrop {
        OpenOnDrop(Arc::clone(self))
    }
}

/// See [`Gate::open_on_drop`].
pub struct OpenOnDrop(Arc<Gate>);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// A factory that refuses the spawns for which `refuse(attempt)` is true (attempts count
/// from 1).
pub struct Scripted {
    inner: StdThreadFactory,
    refuse: fn(usize) -> bool,
    pub attempts: Arc<AtomicUsize>,
}

impl Scripted {
    pub fn new(refuse: fn(usize) -> bool) -> Self {
        Self { inner: StdThreadFactory::new().name_prefix("scripted"), refuse, attempts: Arc::new(AtomicUsize::new(0)) }
    }
}

impl ThreadFactory for Scripted {
    type Thread = JoinHandle<()>;
    type Error = SpawnError;

    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<JoinHandle<()>, SpawnError> {
        let attempt = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        if (self.refuse)(attempt) {
            return Err(SpawnError(std::io::Error::other(format!("spawn {attempt} refused by the test"))));
        }
        self.inner.start(main)
    }
}

/// Keeps the join handles of the threads `F` starts (a bare `pool()` drops them).
pub struct Keep<F> {
    inner: F,
    pub threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl<F> Keep<F> {
    pub fn new(inner: F) -> Self {
        Self { inner, threads: Arc::new(Mutex::new(Vec::new())) }
    }
}

impl<F: ThreadFactory<Thread = JoinHandle<()>>> ThreadFactory for Keep<F> {
    type Thread = ();
    type Error = F::Error;

    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<(), F::Error> {
        let thread = self.inner.start(main)?;
        self.threads.lock().unwrap().push(thread);
        Ok(())
    }
}

/// Joins every thread in `threads`, and those started while joining; returns how many.
pub fn join_all(threads: &Mutex<Vec<JoinHandle<()>>>) -> usize {
    let mut joined = 0;
    loop {
        let batch = core::mem::take(&mut *threads.lock().unwrap());
        if batch.is_empty() {
            return joined;
        }
        for thread in batch {
            thread.join().unwrap();
            joined += 1;
        }
    }
}

/// Waits (yielding) until `condition` holds. For states reached only after the last
/// observable action of a thread, such as a worker's hand-back after its work returned.
/// The bound is generous: on a loaded 2-core machine the hand-back takes microseconds.
pub fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::yield_now();
    }
}

pub mod isolated;

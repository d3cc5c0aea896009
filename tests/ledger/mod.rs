//! Shared by the stress, fault-injection and soak tests: an exactly-once ledger of tasks,
//! a seeded xorshift generator, and a thread factory that counts, joins and (optionally)
//! refuses spawns.
#![allow(dead_code)] // each test binary uses a different part

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use threadteam::{port::ThreadFactory, workers::BoxedWork, StdThreadFactory};

/// xorshift64*: a tiny, seedable generator; plenty for choosing faults and moments.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        // Zero is xorshift's one fixed point.
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform-enough in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The run's seed: `THREADTEAM_SEED` if set (to replay a run's choices), else the clock.
/// Thread interleavings are not replayable; which tasks panic, which spawns fail and when
/// quit comes are.
pub fn seed() -> u64 {
    std::env::var("THREADTEAM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
    })
}

/// A number from the environment, or `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

thread_local! {
    /// Set while the test itself drops work the pool handed back to it.
    static HANDING_BACK: Cell<bool> = const { Cell::new(false) };
}

/// For every task: how often it ran and how often it came back to the submitter. A task
/// dropped anywhere else (inside the pool, unrun) counts as lost.
#[derive(Debug)]
pub struct Ledger {
    ran: Vec<AtomicU8>,
    handed_back: Vec<AtomicU8>,
    lost: AtomicUsize,
}

/// The totals a run reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub tasks: usize,
    pub ran: usize,
    pub handed_back: usize,
    /// Tasks neither run nor handed back (dropped unrun inside the pool, or never seen).
    pub lost: usize,
    /// Tasks run more than once, or both run and handed back.
    pub doubled: usize,
}

impl Ledger {
    pub fn new(tasks: usize) -> Arc<Self> {
        Arc::new(Self {
            ran: (0..tasks).map(|_| AtomicU8::new(0)).collect(),
            handed_back: (0..tasks).map(|_| AtomicU8::new(0)).collect(),
            lost: AtomicUsize::new(0),
        })
    }

    /// Task `id`: runs `body`, recording the run first (so a panicking body still counts
    /// as run). Dropped unrun, it records a hand-back or a loss (see [`hand_back`]).
    pub fn task(self: &Arc<Self>, id: usize, body: impl FnOnce() + Send + 'static) -> BoxedWork {
        let ticket = Ticket { ledger: Arc::clone(self), id, spent: false };
        Box::new(move || {
            ticket.ran();
            body();
        })
    }

    pub fn totals(&self) -> Totals {
        let mut t = Totals { tasks: self.ran.len(), lost: self.lost.load(Ordering::SeqCst), ..Totals::default() };
        let mut unseen = 0;
        for (ran, back) in self.ran.iter().zip(&self.handed_back) {
            let (ran, back) = (ran.load(Ordering::SeqCst) as usize, back.load(Ordering::SeqCst) as usize);
            t.ran += ran;
            t.handed_back += back;
            if ran + back > 1 {
                t.doubled += 1;
            }
            if ran + back == 0 {
                unseen += 1;
            }
        }
        // A task dropped unrun inside the pool is both counted in `lost` and unseen here;
        // a task still sitting somewhere is only unseen. Either way it is not accounted for.
        t.lost = t.lost.max(unseen);
        t
    }
}

/// Work the pool gave back (a refused submit, a reclaimed backlog item): dropping it here
/// is the submitter's decision, so its ticket records a hand-back, not a loss.
pub fn hand_back(work: BoxedWork) {
    HANDING_BACK.with(|h| h.set(true));
    drop(work);
    HANDING_BACK.with(|h| h.set(false));
}

struct Ticket {
    ledger: Arc<Ledger>,
    id: usize,
    spent: bool,
}

impl Ticket {
    fn ran(mut self) {
        self.ledger.ran[self.id].fetch_add(1, Ordering::SeqCst);
        self.spent = true;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.spent {
            return;
        }
        if HANDING_BACK.with(Cell::get) {
            self.ledger.handed_back[self.id].fetch_add(1, Ordering::SeqCst);
        } else {
            self.ledger.lost.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// A [`StdThreadFactory`] that refuses `fail_percent`% of spawns (seeded; with any, the
/// first spawn is always refused), keeps every
/// started thread's handle so a test can join them all, and counts.
#[derive(Debug)]
pub struct TestFactory {
    inner: StdThreadFactory,
    fail_percent: u64,
    rng: Mutex<XorShift>,
    handles: Mutex<Vec<JoinHandle<()>>>,
    pub started: AtomicUsize,
    pub refused: AtomicUsize,
    /// Threads joined early, while spawning others.
    pub reaped: AtomicUsize,
    live: Arc<AtomicUsize>,
}

impl TestFactory {
    pub fn new(fail_percent: u64, seed: u64) -> Arc<Self> {
        Arc::new(Self {
            inner: StdThreadFactory::new().name_prefix("tt-test").stack_size(128 * 1024),
            fail_percent,
            rng: Mutex::new(XorShift::new(seed)),
            handles: Mutex::new(Vec::new()),
            started: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
            reaped: AtomicUsize::new(0),
            live: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Threads started and not yet returned from their main function.
    pub fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// Joins every thread started so far, and any started meanwhile; returns how many were
    /// joined in all (including those reaped early).
    pub fn join_all(&self) -> usize {
        let mut joined = self.reaped.swap(0, Ordering::SeqCst);
        loop {
            let handles = std::mem::take(&mut *self.handles.lock().unwrap());
            if handles.is_empty() {
                return joined;
            }
            for h in handles {
                h.join().expect("a worker thread panicked");
                joined += 1;
            }
        }
    }
}

/// Lets `pool()` own a handle while the test keeps the factory to count and join.
#[derive(Debug, Clone)]
pub struct SharedFactory(pub Arc<TestFactory>);

/// A spawn refused by fault injection.
#[derive(Debug)]
pub struct Injected;

impl std::fmt::Display for Injected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("spawn refused by fault injection")
    }
}

impl ThreadFactory for SharedFactory {
    type Thread = ();
    type Error = Injected;

    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<(), Injected> {
        let f = &self.0;
        // The first attempt is always refused, so every run injects at least one fault
        // however few threads it happens to start.
        let first = f.started.load(Ordering::SeqCst) + f.refused.load(Ordering::SeqCst) == 0;
        if f.fail_percent > 0 && (first || f.rng.lock().unwrap().percent(f.fail_percent)) {
            f.refused.fetch_add(1, Ordering::SeqCst);
            return Err(Injected);
        }
        let live = Arc::clone(&f.live);
        live.fetch_add(1, Ordering::SeqCst);
        let handle = f
            .inner
            .start(move || {
                struct Exit(Arc<AtomicUsize>);
                impl Drop for Exit {
                    fn drop(&mut self) {
                        self.0.fetch_sub(1, Ordering::SeqCst);
                    }
                }
                let _exit = Exit(live);
                main();
            })
            .map_err(|_| {
                f.live.fetch_sub(1, Ordering::SeqCst);
                Injected
            })?;
        f.started.fetch_add(1, Ordering::SeqCst);
        let mut handles = f.handles.lock().unwrap();
        // Join threads that have already returned: an exited thread that is never joined
        // keeps its stack, which a long run would see as a leak (the soak test did).
        let (done, running): (Vec<_>, Vec<_>) = handles.drain(..).partition(JoinHandle::is_finished);
        *handles = running;
        handles.push(handle);
        drop(handles);
        for h in done {
            h.join().expect("a worker thread panicked");
            f.reaped.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

//! A Team of memory workers with a memory coordinator: every step is explicit.
#![allow(dead_code, missing_docs, missing_debug_implementations)] // a test harness; each test file uses part of it

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use threadteam_core::{
    port::Signal,
    team::{Coordinate, Growable, Job, Statistics, Team, TeamBuilder},
    workers::{create_memory_worker, BoxedWork, MemoryWorker, Perform},
    Failure, Worker,
};

pub type Wk = Arc<MemoryWorker<Job<BoxedWork>>>;
pub type Create = Box<dyn FnMut(&Statistics) -> Option<Wk> + Send>;
pub type MemTeam = Team<BoxedWork, Wk, Arc<MemoryWorker<Coordinate<BoxedWork>>>, Create, Growable>;

pub struct Harness {
    pub team: Arc<MemTeam>,
    pub coordinator: Perform<Coordinate<BoxedWork>>,
    /// Every worker ever created, in creation order.
    pub workers: Arc<Mutex<Vec<Wk>>>,
    /// How many workers may be alive; `create_worker` says `None` at the limit.
    pub limit: Arc<AtomicUsize>,
    pub failures: Arc<Mutex<Vec<String>>>,
}

impl Harness {
    pub fn new(limit: usize) -> Self {
        Self::with_hook(limit, false)
    }

    /// `panicking_hook`: the failure hook records the failure, then panics itself.
    pub fn with_hook(limit: usize, panicking_hook: bool) -> Self {
        let (coordinator, perform) = create_memory_worker::<Coordinate<BoxedWork>>();
        let workers: Arc<Mutex<Vec<Wk>>> = Arc::default();
        let limit = Arc::new(AtomicUsize::new(limit));
        let (w, l) = (workers.clone(), limit.clone());
        let create: Create = Box::new(move |stats: &Statistics| {
            if stats.workers() >= l.load(Ordering::SeqCst) {
                return None;
            }
            let (worker, _perform) = create_memory_worker::<Job<BoxedWork>>();
            w.lock().unwrap().push(worker.clone());
            Some(worker)
        });
        let failures: Arc<Mutex<Vec<String>>> = Arc::default();
        let f = failures.clone();
        let team = TeamBuilder::new(create)
            .coordinator(coordinator)
            .on_failure(move |failure: &Failure| {
                f.lock().unwrap().push(failure.message().unwrap_or("?").to_owned());
                if panicking_hook {
                    panic!("the failure hook itself panics");
                }
            })
            .build();
        Self { team, coordinator: perform, workers, limit, failures }
    }

    /// Runs every queued coordinator item; returns how many ran.
    pub fn coordinate(&self) -> usize {
        self.coordinator.perform_all()
    }

    pub fn worker(&self, i: usize) -> Wk {
        self.workers.lock().unwrap()[i].clone()
    }

    pub fn created(&self) -> usize {
        self.workers.lock().unwrap().len()
    }

    /// Performs one item on worker `i`; true if there was one.
    pub fn perform(&self, i: usize) -> bool {
        self.worker(i).perform()
    }

    /// Performs until nothing anywhere can make progress.
    pub fn settle(&self) {
        loop {
            let mut progress = self.coordinate();
            let workers = self.workers.lock().unwrap().clone();
            for w in workers {
                while w.perform() {
                    progress += 1;
                }
            }
            if progress == 0 {
                return;
            }
        }
    }

    /// (idle, busy, backlogged)
    pub fn counts(&self) -> (usize, usize, usize) {
        let s = self.team.statistics();
        (s.idle_workers, s.busy_workers, s.backlogged)
    }

    pub fn set_limit(&self, n: usize) {
        self.limit.store(n, Ordering::SeqCst);
    }
}

impl Drop for Harness {
    /// Queued items hold their Team (a Job or a Coordinate leads back to it), so a harness
    /// dropped with items still recorded would keep its Team alive: finish everything.
    fn drop(&mut self) {
        let _ = self.team.quit();
        self.settle();
        while self.team.reclaim().is_some() {}
    }
}

/// Work that appends `tag` to `log` when it runs.
pub fn logging(log: &Arc<Mutex<Vec<u32>>>, tag: u32) -> BoxedWork {
    let log = log.clone();
    Box::new(move || log.lock().unwrap().push(tag))
}

/// Submits and expects acceptance.
pub fn submit(team: &MemTeam, work: BoxedWork) {
    team.submit(work).expect("the team accepts work");
}

/// A binary semaphore on a std mutex and condition variable: the `Signal` the core's thread
/// workers sleep on in these tests (the std backend's is not a dependency of the core).
#[derive(Default)]
pub struct TestSignal(Mutex<bool>, Condvar);

impl Signal for TestSignal {
    fn wait(&self) {
        let mut token = self.0.lock().unwrap();
        while !*token {
            token = self.1.wait(token).unwrap();
        }
        *token = false;
    }

    fn wait_timeout(&self, timeout: Duration) -> bool {
        let (mut token, _) = self.1.wait_timeout_while(self.0.lock().unwrap(), timeout, |t| !*t).unwrap();
        std::mem::replace(&mut *token, false)
    }

    fn notify(&self) {
        *self.0.lock().unwrap() = true;
        self.1.notify_one();
    }
}

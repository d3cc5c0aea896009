//! Fault injection at every user call-back site: a panic, and a panic whose payload's own
//! `Drop` panics, raised by the thread factory (the core's worker factory over memory
//! workers), the limit function, the failure (panic) hook, the spawn-error hook,
//! `call_in_thread_with_callback`'s callback, a task, a spawned task, a task's captured
//! value when dropped and a spawned task's result when dropped; in the core (a Team over
//! real threads, and one over memory workers driven step by step) and in the std backend
//! (`Pool`, `ThreadPool`). Every pool has at most one thread, so a thread lost to a fault
//! is a pool that stops serving.
//!
//! Each case (target × site × fault) runs in a child process, killed after a timeout, and
//! asserts: the fault fired; the pool keeps serving (work submitted after the fault runs);
//! stop returns; every item ran exactly once or came back. `cargo test --test
//! fault_injection -- --nocapture` prints a line per case and the summary; a name filter
//! (`-- pool/factory`) runs some.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use threadteam::team::{Coordinate, Job, MemoryTeam, TeamBuilder, ThreadTeamBuilder};
use threadteam::workers::{create_memory_worker, BoxedWork, Perform};
use threadteam::{
    port::{StdSignal, ThreadFactory},
    GrowthPolicy, Pool, SpawnError, StdTeam, StdThreadFactory, TaskError, ThreadPool, Worker,
};

use common::isolated::{self, wait_for, Case, Fault, Figures, Ledger, PanicOnDrop};
use common::Keep;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// `team::ThreadTeamBuilder` over a std thread factory: the core's own thread pool.
    CoreThreads,
    /// `TeamBuilder` over memory workers, coordinated by a memory worker: deterministic.
    CoreMemory,
    Pool,
    ThreadPool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Site {
    /// The thread factory (the worker factory of a memory Team) panics once.
    Factory,
    /// The limit function panics once.
    Limit,
    /// The failure hook (`on_failure`, `on_panic`) panics, reporting a panicking task.
    FailureHook,
    /// The spawn-error hook panics, reporting a refused spawn.
    SpawnErrorHook,
    /// `call_in_thread_with_callback`'s callback panics.
    Callback,
    /// A task (`submit`, `execute`, `call_in_thread`) panics.
    Task,
    /// A spawned task panics: the panic goes to its handle.
    SpawnedTask,
    /// A value a task captured panics when the task drops it, after running.
    CapturedDrop,
    /// A spawned task's result panics when dropped by the pool (its handle was dropped).
    ResultDrop,
}

const SITES: [Site; 9] = [
    Site::Factory,
    Site::Limit,
    Site::FailureHook,
    Site::SpawnErrorHook,
    Site::Callback,
    Site::Task,
    Site::SpawnedTask,
    Site::CapturedDrop,
    Site::ResultDrop,
];

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::CoreThreads => "core-threads",
            Target::CoreMemory => "core-memory",
            Target::Pool => "pool",
            Target::ThreadPool => "thread-pool",
        }
    }

    /// Whether this target has the site: the core has no spawn-error hook (a refusal is
    /// "no worker now") and no callbacks, `ThreadPool` takes no limit function.
    fn has(self, site: Site) -> bool {
        match site {
            Site::SpawnErrorHook => matches!(self, Target::Pool | Target::ThreadPool),
            Site::Callback => self == Target::ThreadPool,
            Site::Limit => self != Target::ThreadPool,
            _ => true,
        }
    }
}

fn site_name(site: Site) -> &'static str {
    match site {
        Site::Factory => "factory",
        Site::Limit => "limit",
        Site::FailureHook => "failure-hook",
        Site::SpawnErrorHook => "spawn-error-hook",
        Site::Callback => "callback",
        Site::Task => "task",
        Site::SpawnedTask => "spawned-task",
        Site::CapturedDrop => "captured-drop",
        Site::ResultDrop => "result-drop",
    }
}

/// Fires once: the first call that reaches the site raises the fault.
struct Trap {
    armed: AtomicBool,
}

impl Trap {
    const fn new() -> Self {
        Self { armed: AtomicBool::new(true) }
    }

    fn spring(&self) -> bool {
        self.armed.swap(false, Ordering::SeqCst)
    }
}

static TRAP: Trap = Trap::new();

/// A std thread factory that, at `Site::Factory`, panics at its first start instead of
/// returning an error, and at `Site::SpawnErrorHook` refuses its first start.
struct Factory {
    site: Site,
    fault: Fault,
    inner: StdThreadFactory,
    attempts: AtomicUsize,
}

impl Factory {
    fn new(site: Site, fault: Fault) -> Self {
        Self { site, fault, inner: StdThreadFactory::new().name_prefix("fault"), attempts: AtomicUsize::new(0) }
    }
}

impl ThreadFactory for Factory {
    type Thread = JoinHandle<()>;
    type Error = SpawnError;

    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<JoinHandle<()>, SpawnError> {
        let first = self.attempts.fetch_add(1, Ordering::SeqCst) == 0;
        if first && self.site == Site::Factory {
            self.fault.inject("the thread factory");
        }
        if first && self.site == Site::SpawnErrorHook {
            return Err(SpawnError(std::io::Error::other("the first spawn is refused by the test")));
        }
        self.inner.start(main)
    }
}

fn limit(site: Site, fault: Fault) -> impl FnMut() -> usize + Send + 'static {
    move || {
        if site == Site::Limit && TRAP.spring() {
            fault.inject("the limit function");
        }
        1
    }
}

fn failure_hook(site: Site, fault: Fault) -> impl Fn(&threadteam::Failure) + Send + Sync + 'static {
    move |_| {
        if site == Site::FailureHook && TRAP.spring() {
            fault.inject("the failure hook");
        }
    }
}

/// The pool under test, with what a case needs to drive and stop it.
enum Subject {
    CoreThreads { team: Arc<StdTeam>, threads: Arc<Mutex<Vec<JoinHandle<()>>>> },
    CoreMemory { team: Arc<MemoryTeam>, coordinate: Perform<Coordinate<BoxedWork>>, work: Perform<Job<BoxedWork>> },
    Pool(Pool),
    ThreadPool(ThreadPool),
}

impl Subject {
    fn build(target: Target, site: Site, fault: Fault) -> Self {
        match target {
            Target::CoreThreads => {
                let factory = Keep::new(Factory::new(site, fault));
                let threads = Arc::clone(&factory.threads);
                let started = ThreadTeamBuilder::<_, StdSignal>::new(factory)
                    .policy(GrowthPolicy::capped(1))
                    .limit(limit(site, fault))
                    .on_failure(failure_hook(site, fault))
                    .build()
                    .unwrap_or_else(|e| panic!("build: {e}"));
                Subject::CoreThreads { team: started.team, threads }
            }
            Target::CoreMemory => {
                let (coordinator, coordinate) = create_memory_worker::<Coordinate<BoxedWork>>();
                let (worker, work) = create_memory_worker::<Job<BoxedWork>>();
                let team = TeamBuilder::new(move |_| {
                    if site == Site::Factory && TRAP.spring() {
                        fault.inject("the worker factory");
                    }
                    Some(Arc::clone(&worker))
                })
                .coordinator(coordinator)
                .policy(GrowthPolicy::capped(1))
                .limit(limit(site, fault))
                .on_failure(failure_hook(site, fault))
                .build();
                Subject::CoreMemory { team, coordinate, work }
            }
            Target::Pool => {
                let pool = Pool::builder()
                    .capped(1)
                    .limit(limit(site, fault))
                    .thread_factory(Factory::new(site, fault))
                    .on_panic(failure_hook(site, fault))
                    .on_spawn_error(move |_| {
                        if site == Site::SpawnErrorHook && TRAP.spring() {
                            fault.inject("the spawn-error hook");
                        }
                    })
                    .build()
                    .unwrap_or_else(|e| panic!("build: {e}"));
                Subject::Pool(pool)
            }
            Target::ThreadPool => {
                let pool = ThreadPool::builder()
                    .min(0)
                    .max(1)
                    .thread_factory(Factory::new(site, fault))
                    .on_panic(failure_hook(site, fault))
                    .on_spawn_error(move |_| {
                        if site == Site::SpawnErrorHook && TRAP.spring() {
                            fault.inject("the spawn-error hook");
                        }
                    })
                    .build();
                pool.start().unwrap();
                Subject::ThreadPool(pool)
            }
        }
    }

    /// Submits `f`; refused work comes back to the ledger.
    fn submit(&self, ledger: &Ledger, f: impl FnOnce() + Send + 'static) {
        let refused = match self {
            Subject::CoreThreads { team, .. } => team.submit(Box::new(f)).err().map(drop),
            Subject::CoreMemory { team, .. } => team.submit(Box::new(f)).err().map(drop),
            Subject::Pool(pool) => pool.execute(f).err().map(drop),
            Subject::ThreadPool(pool) => pool.call_in_thread(f).err().map(drop),
        };
        if refused.is_some() {
            ledger.returned(1);
        }
    }

    fn spawn<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> threadteam::JoinHandle<T> {
        let handle = match self {
            Subject::CoreThreads { team, .. } => team.spawn(f).ok(),
            Subject::CoreMemory { team, .. } => team.spawn(f).ok(),
            Subject::Pool(pool) => pool.spawn(f).ok(),
            Subject::ThreadPool(pool) => pool.spawn(f).ok(),
        };
        handle.expect("spawn on a running pool")
    }

    /// Runs what a memory Team has recorded; real threads need no driving. A panic out of
    /// a memory worker's `perform` is the documented behaviour of a bare memory worker; it
    /// is caught here (its payload forgotten: it may panic when dropped).
    fn drive(&self) {
        if let Subject::CoreMemory { coordinate, work, .. } = self {
            loop {
                let step = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    coordinate.perform_all() + work.perform_all()
                }));
                match step {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(payload) => std::mem::forget(payload),
                }
            }
        }
    }

    /// Stops the pool and waits for it; the work handed back goes to the ledger.
    fn stop(self, ledger: &Ledger) {
        let unrun = match self {
            Subject::CoreThreads { team, threads } => {
                let _ = team.quit();
                wait_for("the Team to finish after quit", || (), || team.is_finished());
                common::join_all(&threads);
                std::iter::from_fn(|| team.reclaim()).count()
            }
            Subject::CoreMemory { team, coordinate, work } => {
                let _ = team.quit();
                let subject = Subject::CoreMemory { team: Arc::clone(&team), coordinate, work };
                subject.drive();
                assert!(team.is_finished(), "a quit memory Team finishes once its work is performed");
                std::iter::from_fn(|| team.reclaim()).count()
            }
            Subject::Pool(pool) => pool.shutdown().len(),
            Subject::ThreadPool(pool) => pool.stop().len(),
        };
        ledger.returned(unrun);
    }
}

/// Items submitted around the fault: before it (they wait behind it, or meet it) and after.
const BATCH: usize = 8;

fn run_case(target: Target, site: Site, fault: Fault) -> Figures {
    let ledger = Ledger::new();
    let subject = Subject::build(target, site, fault);
    let first = ledger.submitted();
    let gate = common::Gate::new();
    let _open = gate.open_on_drop();
    match site {
        Site::Factory | Site::Limit | Site::SpawnErrorHook => {}
        Site::FailureHook => {
            let (l, id) = (Arc::clone(&ledger), ledger.id());
            subject.submit(&ledger, move || {
                l.ran(id);
                panic!("{}: a task panics, for the failure hook", isolated::MARK)
            });
        }
        Site::Task => {
            let (l, id) = (Arc::clone(&ledger), ledger.id());
            subject.submit(&ledger, move || {
                l.ran(id);
                fault.inject("a task")
            });
        }
        Site::Callback => {
            let Subject::ThreadPool(pool) = &subject else { unreachable!() };
            let (l, id) = (Arc::clone(&ledger), ledger.id());
            pool.call_in_thread_with_callback(
                move |result: std::thread::Result<usize>| {
                    assert_eq!(result.unwrap(), id);
                    l.ran(id);
                    fault.inject("a callback")
                },
                move || id,
            )
            .unwrap_or_else(|_| panic!("call_in_thread_with_callback on a running pool"));
        }
        Site::SpawnedTask => {
            let (l, id) = (Arc::clone(&ledger), ledger.id());
            let handle = subject.spawn(move || -> () {
                l.ran(id);
                fault.inject("a spawned task")
            });
            let mut outcome = None;
            wait_for("the spawned task to finish", || subject.drive(), || handle.is_finished());
            if let Err(error) = handle.join() {
                outcome = Some(error);
            }
            let error = outcome.expect("a spawned task that panics gives its handle an error");
            assert!(matches!(error, TaskError::Panicked(_)), "{error:?}");
            // The payload may panic when dropped: that is the caller's to meet, not the pool's.
            std::mem::forget(error);
        }
        Site::CapturedDrop => {
            let (l, id) = (Arc::clone(&ledger), ledger.id());
            let captured = PanicOnDrop(fault, "a task's captured value");
            subject.submit(&ledger, move || {
                let _captured = captured;
                l.ran(id);
            });
        }
        Site::ResultDrop => {
            // The only thread waits at the gate, so the handle is dropped before the task
            // runs and the pool drops the result.
            let (g, l, id) = (Arc::clone(&gate), Arc::clone(&ledger), ledger.id());
            subject.submit(&ledger, move || {
                g.wait();
                l.ran(id);
            });
            let (l, id) = (Arc::clone(&ledger), ledger.id());
            drop(subject.spawn(move || {
                l.ran(id);
                PanicOnDrop(fault, "a spawned task's result")
            }));
            gate.open();
        }
    }
    for _ in 0..BATCH {
        subject.submit(&ledger, ledger.item());
    }
    let before = ledger.submitted();
    wait_for("the work submitted with the fault to run", || subject.drive(), || ledger.all_ran(first..before));
    assert!(isolated::injected() > 0, "the fault at {} never fired", site_name(site));
    // Still serving.
    for _ in 0..BATCH {
        subject.submit(&ledger, ledger.item());
    }
    let after = ledger.submitted();
    wait_for("the work submitted after the fault to run", || subject.drive(), || ledger.all_ran(before..after));
    subject.stop(&ledger);
    ledger.settle()
}

fn main() {
    let mut cases = Vec::new();
    for target in [Target::CoreThreads, Target::CoreMemory, Target::Pool, Target::ThreadPool] {
        for site in SITES.into_iter().filter(|s| target.has(*s)) {
            for fault in Fault::ALL {
                cases.push(Case {
                    name: format!("{}/{}/{}", target.name(), site_name(site), fault.name()),
                    run: Box::new(move || run_case(target, site, fault)),
                });
            }
        }
    }
    isolated::run("fault injection (target x site x fault)", cases);
}

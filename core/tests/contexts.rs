//! Contexts that may not wait: a `LockWorker` whose lock some context may not take (an RTOS
//! mutex, in an interrupt handler) defers that context's work to the lock's holder instead
//! of blocking; and a Team's state, owned by whoever runs a pass, is never waited for by the
//! thread that holds it. The real interrupts are in the emulated-microcontroller runs
//! (`.ci/firmware.sh`); here a thread-local flag stands for "in an interrupt handler".

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use threadteam_core::{
    port::{RawLock, StdLock},
    team::{Coordinate, Growable, Job, Statistics, Team, TeamBuilder},
    workers::{create_memory_worker, BoxedWork, LockWorker, MemoryWorker},
    Worker,
};

type Item = Box<dyn FnOnce() + Send>;

/// Long enough for a thread that should be blocked to show it is not.
const SETTLE: Duration = Duration::from_millis(100);
/// A deadlock fails the test instead of hanging it.
const DEADLINE: Duration = Duration::from_secs(20);

std::thread_local!(static IN_HANDLER: Cell<bool> = const { Cell::new(false) });

/// Runs `f` as if in an interrupt handler.
fn as_handler<R>(f: impl FnOnce() -> R) -> R {
    IN_HANDLER.with(|h| h.set(true));
    let r = f();
    IN_HANDLER.with(|h| h.set(false));
    r
}

type Hook = Arc<Mutex<Option<Box<dyn FnOnce() + Send>>>>;

/// A std lock that a "handler" may not take, as an RTOS mutex in an interrupt: it answers
/// `Err` at once there. `before_release`, if set, runs once on the holder's thread after
/// `f`, still holding the lock.
#[derive(Default)]
struct TaskOnlyLock {
    inner: StdLock,
    before_release: Hook,
}

impl RawLock for TaskOnlyLock {
    fn with<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S> {
        if IN_HANDLER.with(Cell::get) {
            return Err(state);
        }
        self.inner.with(state, |state| {
            let r = f(state);
            let hook = self.before_release.lock().unwrap().take();
            if let Some(hook) = hook {
                hook();
            }
            r
        })
    }
}

fn leak<T>(t: T) -> &'static T {
    Box::leak(Box::new(t))
}

fn recv<T>(rx: &mpsc::Receiver<T>) -> T {
    rx.recv_timeout(DEADLINE).expect("deadlocked: no answer before the deadline")
}

#[test]
fn a_handler_that_may_not_take_the_lock_hands_its_work_to_the_holder() {
    let worker: &'static LockWorker<Item, TaskOnlyLock> = leak(LockWorker::new(TaskOnlyLock::default()));
    let holder_thread = Arc::new(OnceLock::new());
    let ran_on = Arc::new(OnceLock::new());
    let (inside_tx, inside_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel();
    let h = holder_thread.clone();
    // The holder: inside an item, it waits until the "handler" has submitted.
    std::thread::spawn(move || {
        let _ = h.set(std::thread::current().id());
        worker
            .submit(Box::new(move || {
                inside_tx.send(()).unwrap();
                go_rx.recv_timeout(DEADLINE).unwrap();
            }))
            .unwrap();
        done_tx.send(()).unwrap();
    });
    recv(&inside_rx);
    let r = ran_on.clone();
    let submitted = as_handler(|| worker.submit(Box::new(move || r.set(std::thread::current().id()).unwrap())));
    assert!(submitted.is_ok(), "the handler's submit returned at once, with the lock held elsewhere");
    assert!(ran_on.get().is_none(), "not run in the handler: it may not take the lock");
    go_tx.send(()).unwrap();
    recv(&done_rx);
    assert_eq!(ran_on.get(), holder_thread.get(), "the holder ran it before letting go of the lock");
}

#[test]
fn with_nobody_holding_the_lock_deferred_work_runs_first_at_the_next_submit() {
    let worker: &'static LockWorker<Item, TaskOnlyLock> = leak(LockWorker::new(TaskOnlyLock::default()));
    let log = leak(Mutex::new(Vec::new()));
    as_handler(|| worker.submit(Box::new(|| log.lock().unwrap().push("from the handler")))).unwrap();
    assert!(log.lock().unwrap().is_empty(), "deferred: nothing may run it yet");
    worker.submit(Box::new(|| log.lock().unwrap().push("from a task"))).unwrap();
    assert_eq!(*log.lock().unwrap(), ["from the handler", "from a task"], "in submission order");
}

#[test]
fn work_deferred_after_the_holders_last_look_runs_before_the_holder_returns() {
    let hook: Hook = Arc::default();
    let lock = TaskOnlyLock { inner: StdLock::new(), before_release: hook.clone() };
    let worker: &'static LockWorker<Item, TaskOnlyLock> = leak(LockWorker::new(lock));
    let ran = leak(AtomicBool::new(false));
    // An "interrupt" between the holder's last drain and its release.
    *hook.lock().unwrap() = Some(Box::new(move || {
        as_handler(|| worker.submit(Box::new(move || ran.store(true, Ordering::SeqCst)))).unwrap();
    }));
    worker.submit(Box::new(|| ())).unwrap();
    assert!(hook.lock().unwrap().is_none(), "the interrupt happened");
    assert!(ran.load(Ordering::SeqCst), "the holder took the lock again for it");
}

type Wk = Arc<MemoryWorker<Job<BoxedWork>>>;
type Create = Box<dyn FnMut(&Statistics) -> Option<Wk> + Send>;
type MemTeam = Team<BoxedWork, Wk, Arc<MemoryWorker<Coordinate<BoxedWork>>>, Create, Growable>;

#[test]
fn a_call_back_inside_a_pass_gets_none_from_the_teams_state_instead_of_deadlocking() {
    let (coordinator, coordinate) = create_memory_worker::<Coordinate<BoxedWork>>();
    let (worker, _work) = create_memory_worker::<Job<BoxedWork>>();
    let team_cell: Arc<OnceLock<std::sync::Weak<MemTeam>>> = Arc::default();
    let answers = Arc::new(Mutex::new(Vec::new()));
    let (t, a) = (team_cell.clone(), answers.clone());
    let create: Create = Box::new(move |_: &Statistics| {
        let team = t.get().and_then(std::sync::Weak::upgrade).expect("the team");
        a.lock().unwrap().push((team.cancel_backlogged(|_| true).is_some(), team.reclaim().is_some()));
        Some(worker.clone())
    });
    let team: Arc<MemTeam> = TeamBuilder::new(create).coordinator(coordinator).build();
    team_cell.set(Arc::downgrade(&team)).unwrap();
    team.submit(Box::new(|| ())).unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        tx.send(coordinate.perform()).unwrap();
    });
    assert!(recv(&rx), "the pass finished");
    assert_eq!(*answers.lock().unwrap(), [(false, false)]);
    assert_eq!(team.statistics().busy_workers, 1);
}

#[test]
fn a_call_from_another_thread_waits_for_the_pass_then_sees_its_result() {
    let (coordinator, coordinate) = create_memory_worker::<Coordinate<BoxedWork>>();
    let (worker, _work) = create_memory_worker::<Job<BoxedWork>>();
    let (inside_tx, inside_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let created = Arc::new(AtomicUsize::new(0));
    let c = created.clone();
    let go_rx = Mutex::new(go_rx);
    let create: Create = Box::new(move |_: &Statistics| {
        if c.fetch_add(1, Ordering::SeqCst) > 0 {
            return None; // one worker only: the second item stays backlogged
        }
        inside_tx.send(()).unwrap();
        go_rx.lock().unwrap().recv_timeout(DEADLINE).unwrap();
        Some(worker.clone())
    });
    let team: Arc<MemTeam> = TeamBuilder::new(create).coordinator(coordinator).build();
    let first_ran = Arc::new(AtomicBool::new(false));
    let f = first_ran.clone();
    team.submit(Box::new(move || f.store(true, Ordering::SeqCst))).unwrap();
    team.submit(Box::new(|| ())).unwrap();
    // Both submits are recorded; one pass at a time, on a thread of its own.
    let pass = std::thread::spawn(move || {
        assert!(coordinate.perform()); // creates the worker (and waits inside create_worker)
        assert!(coordinate.perform()); // backlogs the second item
    });
    recv(&inside_rx);
    let (cancel_tx, cancel_rx) = mpsc::channel();
    let t = team.clone();
    std::thread::spawn(move || cancel_tx.send(t.cancel_backlogged(|_| true).is_some()).unwrap());
    assert!(cancel_rx.recv_timeout(SETTLE).is_err(), "it waits while the pass holds the state");
    go_tx.send(()).unwrap();
    // Whatever the order of the second pass and the cancel, the cancel found the state free
    // and consistent: the first item was dispatched, never cancelled.
    let _ = recv(&cancel_rx);
    pass.join().unwrap();
    let s = team.statistics();
    assert_eq!(s.busy_workers, 1, "the first item is with its worker");
    assert!(!first_ran.load(Ordering::SeqCst), "and not run yet: nothing performed it");
}

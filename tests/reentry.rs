//! Re-entry: every hook of `ThreadPool` and `Pool` (panic hook, spawn-error hook,
//! `call_in_thread_with_callback`'s callback, the thread factory, the limit function, and
//! a task) calls every public method of its own pool (submit, spawn, scope, resizing,
//! statistics, start, stop, ...).
//!
//! Each case (pool × hook × method) runs in a child process, killed after a timeout, and
//! asserts: the hook ran and its call returned, with success, an error, or a panic whose
//! message names the rule (`threadteam: ...`), never a deadlock; every item (those the hook
//! submits among them) ran exactly once or came back; the pool keeps serving, or, after a
//! stop, refuses with an error; `stop` returns. `cargo test --test reentry -- --nocapture`
//! prints a line per case and the summary; a name filter (`-- thread-pool/on-panic`) runs
//! some.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

use threadteam::{port::ThreadFactory, GrowthPolicy, Pool, SpawnError, StdThreadFactory, ThreadPool};

use common::isolated::{self, wait_for, Case, Figures, Ledger};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    ThreadPool,
    Pool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hook {
    /// The panic hook, reporting a task that panicked (on the pool's thread).
    OnPanic,
    /// The spawn-error hook, reporting a refused spawn: from `start()` (a minimum of 1) on a
    /// `ThreadPool`, from a submit on a `Pool`.
    OnSpawnError,
    /// `call_in_thread_with_callback`'s callback (`ThreadPool`).
    Callback,
    /// The thread factory, starting the pool's first thread.
    Factory,
    /// The limit function (`Pool`), at the first creation.
    Limit,
    /// A task.
    Task,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Submit,
    SubmitWithCallback,
    Spawn,
    Scope,
    AdjustPoolSize,
    SetMin,
    SetMax,
    Start,
    SetPolicy,
    Grow,
    Shrink,
    Pump,
    Statistics,
    Getters,
    Stop,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::ThreadPool => "thread-pool",
            Kind::Pool => "pool",
        }
    }

    fn hooks(self) -> &'static [Hook] {
        match self {
            Kind::ThreadPool => &[Hook::OnPanic, Hook::OnSpawnError, Hook::Callback, Hook::Factory, Hook::Task],
            Kind::Pool => &[Hook::OnPanic, Hook::OnSpawnError, Hook::Factory, Hook::Limit, Hook::Task],
        }
    }

    fn methods(self) -> &'static [Method] {
        match self {
            Kind::ThreadPool => &[
                Method::Submit,
                Method::SubmitWithCallback,
                Method::Spawn,
                Method::Scope,
                Method::AdjustPoolSize,
                Method::SetMin,
                Method::SetMax,
                Method::Start,
                Method::Statistics,
                Method::Getters,
                Method::Stop,
            ],
            Kind::Pool => &[
                Method::Submit,
                Method::Spawn,
                Method::Scope,
                Method::SetPolicy,
                Method::Grow,
                Method::Shrink,
                Method::Pump,
                Method::Statistics,
                Method::Getters,
                Method::Stop,
            ],
        }
    }
}

fn hook_name(hook: Hook) -> &'static str {
    match hook {
        Hook::OnPanic => "on-panic",
        Hook::OnSpawnError => "on-spawn-error",
        Hook::Callback => "callback",
        Hook::Factory => "factory",
        Hook::Limit => "limit",
        Hook::Task => "task",
    }
}

fn method_name(kind: Kind, method: Method) -> &'static str {
    match (kind, method) {
        (Kind::ThreadPool, Method::Submit) => "call_in_thread",
        (Kind::Pool, Method::Submit) => "execute",
        (_, Method::SubmitWithCallback) => "call_in_thread_with_callback",
        (_, Method::Spawn) => "spawn",
        (_, Method::Scope) => "scope",
        (_, Method::AdjustPoolSize) => "adjust_pool_size",
        (_, Method::SetMin) => "set_min",
        (_, Method::SetMax) => "set_max",
        (_, Method::Start) => "start",
        (_, Method::SetPolicy) => "set_policy",
        (_, Method::Grow) => "team.grow",
        (_, Method::Shrink) => "team.shrink",
        (_, Method::Pump) => "team.pump",
        (_, Method::Statistics) => "statistics",
        (_, Method::Getters) => "getters",
        (Kind::ThreadPool, Method::Stop) => "stop",
        (Kind::Pool, Method::Stop) => "shutdown",
    }
}

/// The pool of this (child) process, for its hooks to reach.
enum Subject {
    ThreadPool(ThreadPool),
    Pool(Pool),
}

static SUBJECT: OnceLock<Subject> = OnceLock::new();
static LEDGER: OnceLock<Arc<Ledger>> = OnceLock::new();
/// The hook calls the method once; later calls of the hook do nothing.
static ARMED: AtomicBool = AtomicBool::new(true);
/// What the hook's call of the method came to.
static OUTCOME: Mutex<Option<Result<String, String>>> = Mutex::new(None);

fn ledger() -> &'static Arc<Ledger> {
    LEDGER.get().expect("the ledger is set before the pool is built")
}

/// From a hook: calls `method` on the pool once, and records how it went.
fn reenter(method: Method) {
    let Some(subject) = SUBJECT.get() else { return };
    if !ARMED.swap(false, Ordering::SeqCst) {
        return;
    }
    let outcome = match catch_unwind(AssertUnwindSafe(|| call(subject, method))) {
        Ok(result) => Ok(result),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|m| m.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "<a panic without a message>".into());
            Err(message)
        }
    };
    *OUTCOME.lock().unwrap() = Some(outcome);
}

/// Calls `method`; its work is counted in the ledger (refused work as handed back).
fn call(subject: &Subject, method: Method) -> String {
    let ledger = ledger();
    let refused = |what: String| {
        ledger.returned(1);
        format!("refused: {what}")
    };
    match (subject, method) {
        (Subject::ThreadPool(p), Method::Submit) => {
            p.call_in_thread(ledger.item()).map_or_else(|e| refused(e.to_string()), |()| "ok".into())
        }
        (Subject::Pool(p), Method::Submit) => {
            p.execute(ledger.item()).map_or_else(|e| refused(e.to_string()), |()| "ok".into())
        }
        (Subject::ThreadPool(p), Method::SubmitWithCallback) => {
            let (l, id) = (Arc::clone(ledger), ledger.id());
            p.call_in_thread_with_callback(
                move |r| {
                    r.unwrap();
                    l.ran(id)
                },
                || (),
            )
            .map_or_else(|e| refused(e.to_string()), |()| "ok".into())
        }
        (Subject::ThreadPool(p), Method::Spawn) => {
            p.spawn(ledger.item()).map_or_else(|e| refused(e.to_string()), |_detached| "ok".into())
        }
        (Subject::Pool(p), Method::Spawn) => {
            p.spawn(ledger.item()).map_or_else(|e| refused(e.to_string()), |_detached| "ok".into())
        }
        (Subject::ThreadPool(p), Method::Scope) => {
            // The item is made inside the scope: a scope refused by a panic never has one.
            p.scope(|s| {
                s.spawn(ledger.item());
            });
            "ok".into()
        }
        (Subject::Pool(p), Method::Scope) => {
            // The item is made inside the scope: a scope refused by a panic never has one.
            p.scope(|s| {
                s.spawn(ledger.item());
            });
            "ok".into()
        }
        (Subject::ThreadPool(p), Method::AdjustPoolSize) => {
            p.adjust_pool_size(1, 3);
            "ok".into()
        }
        (Subject::ThreadPool(p), Method::SetMin) => {
            p.set_min(1);
            "ok".into()
        }
        (Subject::ThreadPool(p), Method::SetMax) => {
            p.set_max(3);
            "ok".into()
        }
        (Subject::ThreadPool(p), Method::Start) => p.start().map_or_else(|e| format!("error: {e}"), |()| "ok".into()),
        (Subject::Pool(p), Method::SetPolicy) => {
            p.set_policy(GrowthPolicy::capped(3).min(1)).map_or_else(|e| format!("error: {e}"), |()| "ok".into())
        }
        (Subject::Pool(p), Method::Grow) => p.team().grow(1).map_or_else(|e| format!("error: {e}"), |()| "ok".into()),
        (Subject::Pool(p), Method::Shrink) => {
            p.team().shrink(Some(1)).map_or_else(|e| format!("error: {e}"), |()| "ok".into())
        }
        (Subject::Pool(p), Method::Pump) => p.team().pump().map_or_else(|e| format!("error: {e}"), |()| "ok".into()),
        (Subject::ThreadPool(p), Method::Statistics) => p.statistics().to_string(),
        (Subject::Pool(p), Method::Statistics) => p.statistics().to_string(),
        (Subject::ThreadPool(p), Method::Getters) => {
            format!("{} {} {} {} {p:?}", p.min(), p.max(), p.is_started(), p.is_stopped())
        }
        (Subject::Pool(p), Method::Getters) => format!("{:?} {} {p:?}", p.policy(), p.is_quit()),
        (Subject::ThreadPool(p), Method::Stop) => {
            let unrun = p.stop();
            ledger.returned(unrun.len());
            format!("stopped, {} handed back", unrun.len())
        }
        (Subject::Pool(p), Method::Stop) => {
            let unrun = p.shutdown();
            ledger.returned(unrun.len());
            format!("shut down, {} handed back", unrun.len())
        }
        (_, method) => unreachable!("{method:?} is not a method of this pool"),
    }
}

/// A std thread factory that calls the method at its first start (`Hook::Factory`), or
/// refuses its first start (`Hook::OnSpawnError`).
struct Factory {
    hook: Hook,
    method: Method,
    inner: StdThreadFactory,
    attempts: AtomicUsize,
}

impl ThreadFactory for Factory {
    type Thread = JoinHandle<()>;
    type Error = SpawnError;

    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<JoinHandle<()>, SpawnError> {
        let first = self.attempts.fetch_add(1, Ordering::SeqCst) == 0;
        if first && self.hook == Hook::OnSpawnError {
            return Err(SpawnError(std::io::Error::other("the first spawn is refused by the test")));
        }
        if self.hook == Hook::Factory {
            reenter(self.method);
        }
        self.inner.start(main)
    }
}

const BATCH: usize = 8;

fn run_case(kind: Kind, hook: Hook, method: Method) -> Figures {
    let ledger = Ledger::new();
    assert!(LEDGER.set(Arc::clone(&ledger)).is_ok());
    let factory =
        Factory { hook, method, inner: StdThreadFactory::new().name_prefix("reentry"), attempts: AtomicUsize::new(0) };
    let on_panic = move |_: &threadteam::Failure| {
        if hook == Hook::OnPanic {
            reenter(method);
        }
    };
    let on_spawn_error = move |_: &SpawnError| {
        if hook == Hook::OnSpawnError {
            reenter(method);
        }
    };
    let subject = match kind {
        Kind::ThreadPool => Subject::ThreadPool(
            ThreadPool::builder()
                .min(usize::from(hook == Hook::OnSpawnError))
                .max(2)
                .thread_factory(factory)
                .on_panic(on_panic)
                .on_spawn_error(on_spawn_error)
                .build(),
        ),
        Kind::Pool => Subject::Pool(
            Pool::builder()
                .capped(2)
                .limit(move || {
                    if hook == Hook::Limit {
                        reenter(method);
                    }
                    2
                })
                .thread_factory(factory)
                .on_panic(on_panic)
                .on_spawn_error(on_spawn_error)
                .build()
                .unwrap_or_else(|e| panic!("build: {e}")),
        ),
    };
    assert!(SUBJECT.set(subject).is_ok());
    let subject = SUBJECT.get().unwrap();
    let submit = |f: Box<dyn FnOnce() + Send>| {
        let refused = match subject {
            Subject::ThreadPool(p) => p.call_in_thread(f).is_err(),
            Subject::Pool(p) => p.execute(f).is_err(),
        };
        if refused {
            ledger.returned(1);
        }
        !refused
    };
    if let Subject::ThreadPool(p) = subject {
        p.start().unwrap();
    }
    match hook {
        Hook::OnPanic => {
            let (l, id) = (Arc::clone(&ledger), ledger.id());
            submit(Box::new(move || {
                l.ran(id);
                panic!("{}: a task panics, for the panic hook", isolated::MARK)
            }));
        }
        Hook::Callback => {
            let Subject::ThreadPool(p) = subject else { unreachable!() };
            let (l, id) = (Arc::clone(&ledger), ledger.id());
            p.call_in_thread_with_callback(move |_: std::thread::Result<()>| reenter(method), move || l.ran(id))
                .unwrap_or_else(|_| panic!("call_in_thread_with_callback on a running pool"));
        }
        Hook::Task => {
            submit(Box::new(move || reenter(method)));
        }
        Hook::OnSpawnError | Hook::Factory | Hook::Limit => {}
    }
    for _ in 0..BATCH {
        submit(Box::new(ledger.item()));
    }
    wait_for("the hook's call to return", || (), || OUTCOME.lock().unwrap().is_some());
    let outcome = OUTCOME.lock().unwrap().take().unwrap();
    if let Err(message) = &outcome {
        assert!(
            message.starts_with("threadteam:"),
            "{} panicked from the {} hook with a message that names no rule: {message}",
            method_name(kind, method),
            hook_name(hook)
        );
    }
    let stopped = match subject {
        Subject::ThreadPool(p) => p.is_stopped(),
        Subject::Pool(p) => p.is_quit(),
    };
    assert_eq!(stopped, method == Method::Stop, "only stop stops the pool");
    // Still serving, or (stopped) refusing with an error.
    for _ in 0..BATCH {
        let accepted = submit(Box::new(ledger.item()));
        assert!(accepted || stopped, "a running pool refused work");
    }
    if !stopped {
        wait_for("the work submitted after the re-entry to run", || (), || ledger.all_ran(0..ledger.submitted()));
    }
    let unrun = match subject {
        Subject::ThreadPool(p) => p.stop(),
        Subject::Pool(p) => p.shutdown(),
    };
    ledger.returned(unrun.len());
    drop(unrun);
    let figures = ledger.settle();
    println!(
        "{}",
        match outcome {
            Ok(result) => format!("the call returned: {result}"),
            Err(message) => format!("the call panicked: {message}"),
        }
    );
    figures
}

fn main() {
    let mut cases = Vec::new();
    for kind in [Kind::ThreadPool, Kind::Pool] {
        for &hook in kind.hooks() {
            for &method in kind.methods() {
                cases.push(Case {
                    name: format!("{}/{}/{}", kind.name(), hook_name(hook), method_name(kind, method)),
                    run: Box::new(move || run_case(kind, hook, method)),
                });
            }
        }
    }
    isolated::run("re-entry (pool x hook x method)", cases);
}

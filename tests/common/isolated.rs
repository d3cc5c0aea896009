//! A table-driven runner for fault cases, each in a child process of the test binary
//! (a `harness = false` test): a case that deadlocks is killed at its timeout and counted as
//! a hang, one that aborts (a panic while panicking) is counted as an abort, and neither
//! takes the other cases down with it.
//!
//! The binary's `main` calls [`run`] with its table. With `THREADTEAM_CASE=<name>` set it
//! runs that one case (in this process) and exits; otherwise it runs every case (or those
//! whose name contains a command-line filter) as children, a few at a time, prints one line
//! per case and a summary, and fails if any case failed or hung.

use std::collections::VecDeque;
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The environment variable naming the case a child runs.
const CASE_VAR: &str = "THREADTEAM_CASE";
/// A case's last line of output carries its figures, after this prefix.
const FIGURES: &str = "threadteam-case-figures:";
/// Panic messages (and payloads) this suite raises on purpose start with this; the process
/// panic hook stays quiet for them.
pub const MARK: &str = "threadteam-injected";

/// Cases do a few milliseconds of work; a loaded 2-core machine may stretch that a
/// hundredfold. A case still running after this is deadlocked (or livelocked).
const TIMEOUT: Duration = Duration::from_secs(10);
/// Children run this many at a time: most of a case is waiting on other threads.
const PARALLEL: usize = 4;

/// One row of a table: its name (`target/site/kind`) and what it runs, in the child.
pub struct Case {
    pub name: String,
    pub run: Box<dyn Fn() -> Figures + Send + Sync>,
}

/// What a passing case measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct Figures {
    /// Panics the case raised on purpose (call-backs that panicked, payload drops that did).
    pub injected: usize,
    /// Items of work submitted (including those submitted from hooks).
    pub submitted: usize,
    /// Items that ran, and items handed back unrun (by an error or by stop).
    pub ran: usize,
    pub returned: usize,
}

#[derive(Debug)]
enum Outcome {
    Pass(Figures),
    Fail(String),
    Hang,
}

/// Runs `cases` (see the module docs); `what` names the suite in the summary.
pub fn run(what: &str, cases: Vec<Case>) {
    if let Ok(name) = std::env::var(CASE_VAR) {
        run_child(&name, cases);
        return;
    }
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let names: Vec<String> = cases
        .iter()
        .map(|c| c.name.clone())
        .filter(|n| filters.is_empty() || filters.iter().any(|f| n.contains(f.as_str())))
        .collect();
    let started = Instant::now();
    let results = run_children(names);
    let mut mismatches = Vec::new();
    let (mut passed, mut failed, mut hangs, mut injected, mut lost) = (0, 0, 0, 0, 0);
    let (mut submitted, mut ran, mut returned) = (0, 0, 0);
    for (name, outcome, output) in &results {
        let line = match outcome {
            Outcome::Pass(f) => {
                passed += 1;
                injected += f.injected;
                submitted += f.submitted;
                ran += f.ran;
                returned += f.returned;
                lost += f.submitted - f.ran - f.returned;
                "ok".to_string()
            }
            Outcome::Fail(why) => {
                failed += 1;
                format!("FAILED: {why}")
            }
            Outcome::Hang => {
                hangs += 1;
                format!("HANG (killed after {TIMEOUT:?})")
            }
        };
        match outcome {
            Outcome::Pass(_) => println!("  {name}: ok"),
            _ => {
                println!("  {name}: {line}");
                let tail: Vec<&str> = output.lines().rev().take(25).collect();
                for l in tail.into_iter().rev() {
                    println!("    | {l}");
                }
                mismatches.push(format!("{name}: {line}"));
            }
        }
    }
    println!(
        "{what}: {} cases in {:.1?}: {passed} pass, {failed} fail, {hangs} hang; {injected} panics injected; {submitted} items: {ran} ran, {returned} handed back, {lost} lost",
        results.len(),
        started.elapsed(),
    );
    assert!(mismatches.is_empty(), "{} unexpected outcomes:\n{}", mismatches.len(), mismatches.join("\n"));
}

fn run_child(name: &str, cases: Vec<Case>) {
    let case = cases.into_iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no case named {name}"));
    quiet_injected_panics();
    let f = (case.run)();
    println!("{FIGURES} {} {} {} {}", f.injected, f.submitted, f.ran, f.returned);
}

/// Injected panics would each print a message (and a backtrace): only others are shown.
fn quiet_injected_panics() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let ours = payload.downcast_ref::<&str>().is_some_and(|m| m.starts_with(MARK))
            || payload.downcast_ref::<String>().is_some_and(|m| m.starts_with(MARK))
            || payload.is::<BadPayload>();
        if !ours {
            default_hook(info);
        } else if thread::current().name() == Some("main") {
            // Injected in a call-back, it unwound into the case's own thread: the pool let
            // it reach its caller.
            eprintln!(
                "an injected panic reached the caller's thread at {}",
                info.location().map_or_else(String::new, |l| l.to_string())
            );
        }
    }));
}

fn run_children(names: Vec<String>) -> Vec<(String, Outcome, String)> {
    let queue = Arc::new(Mutex::new(names.iter().cloned().enumerate().collect::<VecDeque<_>>()));
    let results = Arc::new(Mutex::new(Vec::new()));
    let progress = Arc::new(AtomicUsize::new(0));
    let exe = std::env::current_exe().expect("the test binary's path");
    let runners: Vec<_> = (0..PARALLEL)
        .map(|_| {
            let (queue, results, exe) = (Arc::clone(&queue), Arc::clone(&results), exe.clone());
            let progress = Arc::clone(&progress);
            thread::spawn(move || loop {
                let Some((index, name)) = queue.lock().unwrap().pop_front() else { return };
                let (outcome, output) = run_one(&exe, &name);
                progress.fetch_add(1, Ordering::Relaxed);
                results.lock().unwrap().push((index, name, outcome, output));
            })
        })
        .collect();
    for runner in runners {
        runner.join().unwrap();
    }
    let mut results = std::mem::take(&mut *results.lock().unwrap());
    results.sort_by_key(|r| r.0);
    results.into_iter().map(|(_, n, o, out)| (n, o, out)).collect()
}

fn run_one(exe: &std::path::Path, name: &str) -> (Outcome, String) {
    let mut child = Command::new(exe)
        .env(CASE_VAR, name)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start a child process");
    // Read both pipes while the child runs: a full pipe would block it.
    let readers: Vec<_> = [
        child.stdout.take().map(|o| Box::new(o) as Box<dyn Read + Send>),
        child.stderr.take().map(|e| Box::new(e) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|mut pipe| {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    })
    .collect();
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll a child") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(5));
    };
    let output: String = readers.into_iter().map(|r| r.join().unwrap_or_default()).collect::<Vec<_>>().join("");
    let outcome = match status {
        None => Outcome::Hang,
        Some(status) if status.success() => match output.lines().rev().find_map(|l| l.strip_prefix(FIGURES)) {
            Some(figures) => {
                let n: Vec<usize> = figures.split_whitespace().map(|x| x.parse().unwrap()).collect();
                Outcome::Pass(Figures { injected: n[0], submitted: n[1], ran: n[2], returned: n[3] })
            }
            None => Outcome::Fail("exited without its figures".into()),
        },
        Some(status) => {
            let why = output
                .lines()
                .filter(|l| {
                    l.contains("panicked at")
                        || l.starts_with("assertion")
                        || l.contains("fatal runtime error")
                        || l.starts_with("an injected panic reached")
                })
                .map(str::to_string)
                .chain(output.lines().skip_while(|l| !l.contains("panicked at")).nth(1).map(str::to_string))
                .collect::<Vec<_>>()
                .join(" / ");
            Outcome::Fail(format!("{status}{}", if why.is_empty() { String::new() } else { format!(": {why}") }))
        }
    };
    (outcome, output)
}

/// Panics raised on purpose in this process.
static INJECTED: AtomicUsize = AtomicUsize::new(0);

/// The two faults a call-back can have: it panics, or it panics with a payload whose own
/// `Drop` panics (so whoever drops the caught payload meets a second panic).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Panic,
    PayloadDropPanics,
}

impl Fault {
    pub const ALL: [Fault; 2] = [Fault::Panic, Fault::PayloadDropPanics];

    pub fn name(self) -> &'static str {
        match self {
            Fault::Panic => "panic",
            Fault::PayloadDropPanics => "payload-drop-panics",
        }
    }

    /// Raises this fault at the caller's site.
    pub fn inject(self, site: &str) -> ! {
        INJECTED.fetch_add(1, Ordering::SeqCst);
        match self {
            Fault::Panic => panic!("{MARK}: {site}"),
            Fault::PayloadDropPanics => std::panic::panic_any(BadPayload),
        }
    }
}

/// A panic payload whose `Drop` panics (with a plain message).
pub struct BadPayload;

impl Drop for BadPayload {
    fn drop(&mut self) {
        INJECTED.fetch_add(1, Ordering::SeqCst);
        panic!("{MARK}: a panic payload's drop panics");
    }
}

/// A value whose `Drop` raises `fault`: a task's captured value, or its result.
pub struct PanicOnDrop(pub Fault, pub &'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        self.0.inject(self.1);
    }
}

pub fn injected() -> usize {
    INJECTED.load(Ordering::SeqCst)
}

/// Every item of work a case submits: each must run exactly once or come back.
pub struct Ledger {
    ran: Vec<std::sync::atomic::AtomicU8>,
    next: AtomicUsize,
    returned: AtomicUsize,
}

impl Ledger {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            ran: (0..1024).map(|_| std::sync::atomic::AtomicU8::new(0)).collect(),
            next: AtomicUsize::new(0),
            returned: AtomicUsize::new(0),
        })
    }

    /// A new item's id: call [`Ledger::ran`] with it when it runs.
    pub fn id(&self) -> usize {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        assert!(id < self.ran.len(), "a case submits at most {} items", self.ran.len());
        id
    }

    pub fn ran(&self, id: usize) {
        let before = self.ran[id].fetch_add(1, Ordering::SeqCst);
        assert_eq!(before, 0, "item {id} ran twice");
    }

    /// A new item that only counts itself.
    pub fn item(self: &Arc<Self>) -> impl FnOnce() + Send + 'static {
        let (ledger, id) = (Arc::clone(self), self.id());
        move || ledger.ran(id)
    }

    /// `n` items came back to the caller unrun (by an error, or from stop).
    pub fn returned(&self, n: usize) {
        self.returned.fetch_add(n, Ordering::SeqCst);
    }

    pub fn ran_count(&self) -> usize {
        self.ran.iter().filter(|r| r.load(Ordering::SeqCst) > 0).count()
    }

    /// Whether every item in `ids` has run.
    pub fn all_ran(&self, ids: std::ops::Range<usize>) -> bool {
        ids.into_iter().all(|id| self.ran[id].load(Ordering::SeqCst) > 0)
    }

    pub fn submitted(&self) -> usize {
        self.next.load(Ordering::SeqCst)
    }

    /// Asserts nothing was lost or doubled, and returns the figures.
    pub fn settle(&self) -> Figures {
        let submitted = self.submitted();
        let doubled = self.ran.iter().filter(|r| r.load(Ordering::SeqCst) > 1).count();
        let ran = self.ran_count();
        let returned = self.returned.load(Ordering::SeqCst);
        assert_eq!(doubled, 0, "{doubled} items ran more than once");
        assert_eq!(ran + returned, submitted, "lost: {submitted} submitted, {ran} ran, {returned} handed back");
        Figures { injected: injected(), submitted, ran, returned }
    }
}

/// Waits until `condition` holds, calling `drive` in between (a memory Team's performer, or
/// nothing for real threads); fails the case after a few seconds, well before the parent
/// kills it, to say what it waited for.
pub fn wait_for(what: &str, mut drive: impl FnMut(), mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + TIMEOUT / 2;
    loop {
        drive();
        if condition() {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

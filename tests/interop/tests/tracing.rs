//! With the `tracing` feature: work runs inside the span that was current where it was
//! submitted, and panics, refused spawns, resizes and thread starts are `tracing` events.
//!
//! The subscriber is a small recorder (span ids per thread, every event with the span it was
//! emitted in), installed once for the whole test binary: pool threads are not the test's
//! thread, so a thread-local default would not see them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_core::span::Current;

use threadteam::{GrowthPolicy, Pool, SpawnError, ThreadPool};

#[derive(Clone, Debug)]
struct Seen {
    level: Level,
    target: String,
    /// The message and the other fields, `name=value` separated by spaces.
    text: String,
    /// The span current where the event was emitted.
    span: Option<u64>,
}

#[derive(Default)]
struct Recorder {
    next: AtomicU64,
    metadata: Mutex<HashMap<u64, &'static Metadata<'static>>>,
    events: Mutex<Vec<Seen>>,
}

thread_local! {
    static STACK: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

struct Text<'a>(&'a mut String);

impl Visit for Text<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl Subscriber for &'static Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        self.metadata.lock().unwrap().insert(id, span.metadata());
        Id::from_u64(id)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut text = String::new();
        event.record(&mut Text(&mut text));
        let span = STACK.with(|stack| stack.borrow().last().copied());
        let meta = event.metadata();
        self.events.lock().unwrap().push(Seen { level: *meta.level(), target: meta.target().into(), text, span });
    }
    fn enter(&self, span: &Id) {
        STACK.with(|stack| stack.borrow_mut().push(span.into_u64()));
    }
    fn exit(&self, span: &Id) {
        STACK.with(|stack| {
            let mut stack = stack.borrow_mut();
            if let Some(at) = stack.iter().rposition(|&id| id == span.into_u64()) {
                stack.remove(at);
            }
        });
    }
    fn current_span(&self) -> Current {
        match STACK.with(|stack| stack.borrow().last().copied()) {
            Some(id) => Current::new(Id::from_u64(id), self.metadata.lock().unwrap()[&id]),
            None => Current::none(),
        }
    }
}

fn recorder() -> &'static Recorder {
    static RECORDER: OnceLock<&'static Recorder> = OnceLock::new();
    RECORDER.get_or_init(|| {
        let recorder: &'static Recorder = Box::leak(Box::default());
        tracing::subscriber::set_global_default(recorder).expect("the only subscriber of this test binary");
        recorder
    })
}

/// The span id the current thread is in, as the work saw it.
fn current_span_id() -> Option<u64> {
    tracing::Span::current().id().map(|id| id.into_u64())
}

fn events_with(text: &str) -> Vec<Seen> {
    recorder().events.lock().unwrap().iter().filter(|e| e.text.contains(text)).cloned().collect()
}

#[test]
fn work_runs_inside_the_submitters_span() {
    recorder();
    let pool = Pool::builder().capped(2).build().unwrap();
    let thread_pool = ThreadPool::new(1, 2);
    thread_pool.start().unwrap();
    let span = tracing::info_span!("request", id = 7);
    let expected = span.id().map(|id| id.into_u64());
    assert!(expected.is_some());
    let (tx, rx) = mpsc::channel();
    {
        let _entered = span.enter();
        let tx1 = tx.clone();
        pool.execute(move || tx1.send(("execute", current_span_id())).unwrap()).unwrap();
        let spawned = pool.spawn(current_span_id).unwrap();
        let tx2 = tx.clone();
        thread_pool.call_in_thread(move || tx2.send(("call_in_thread", current_span_id())).unwrap()).unwrap();
        let tx3 = tx.clone();
        thread_pool
            .call_in_thread_with_callback(
                move |result| tx3.send(("callback", result.unwrap())).unwrap(),
                current_span_id,
            )
            .unwrap();
        let in_scope = pool.scope(|s| s.spawn(current_span_id).join().unwrap());
        tx.send(("scope", in_scope)).unwrap();
        tx.send(("spawn", spawned.join().unwrap())).unwrap();
    }
    // Events the work emits belong to the submitter's span too.
    {
        let _entered = span.enter();
        pool.execute(|| tracing::info!("emitted by traced work")).unwrap();
    }
    pool.spawn(|| ()).unwrap().join().unwrap(); // capped(2): a second item, to let the first finish
    let emitted = loop {
        let seen = events_with("emitted by traced work");
        if !seen.is_empty() {
            break seen;
        }
        std::thread::yield_now();
    };
    assert_eq!(emitted[0].span, expected);
    // Outside the span, work runs in no span.
    let outside = pool.spawn(current_span_id).unwrap().join().unwrap();
    drop(tx);
    let mut seen: Vec<_> = rx.iter().collect();
    seen.sort();
    assert_eq!(seen.len(), 5);
    for (how, id) in seen {
        assert_eq!(id, expected, "{how} ran outside the submitter's span");
    }
    assert_eq!(outside, None);
    drop(thread_pool.stop());
}

#[test]
fn panics_refused_spawns_and_resizes_are_events() {
    recorder();
    let pool = Pool::builder().capped(1).name("traced").build().unwrap();
    pool.execute(|| panic!("boom in traced work")).unwrap();
    pool.set_policy(GrowthPolicy::capped(3).min(2)).unwrap();
    pool.join();
    let panics = events_with("boom in traced work");
    assert_eq!(panics.len(), 1, "{panics:?}");
    assert_eq!((panics[0].level, panics[0].target.as_str()), (Level::ERROR, "threadteam"));
    assert!(panics[0].text.contains("thread=\"traced-"), "{:?}", panics[0]);
    let resizes = events_with("pool resized");
    assert!(resizes.iter().any(|e| e.level == Level::INFO && e.text.contains("min=2") && e.text.contains("max=3")));
    assert!(events_with("thread started").iter().any(|e| e.level == Level::DEBUG && e.text.contains("traced-")));
    assert!(!events_with("thread exits").is_empty());

    let refusing = Pool::builder().capped(1).thread_factory(Refusing).build().unwrap();
    refusing.execute(|| ()).unwrap();
    let refused = events_with("no threads for traced work");
    assert!(!refused.is_empty());
    assert!(refused.iter().all(|e| e.level == Level::WARN && e.target == "threadteam"), "{refused:?}");
    drop(refusing.shutdown());
}

struct Refusing;

impl threadteam::port::ThreadFactory for Refusing {
    type Thread = std::thread::JoinHandle<()>;
    type Error = SpawnError;

    fn start<M: FnOnce() + Send + 'static>(&self, _main: M) -> Result<Self::Thread, SpawnError> {
        Err(SpawnError(std::io::Error::other("no threads for traced work")))
    }
}

#[test]
fn spans_do_not_leak_between_items() {
    recorder();
    let pool = Pool::builder().capped(1).build().unwrap();
    let first = tracing::info_span!("first");
    let in_first = first.in_scope(|| pool.spawn(current_span_id).unwrap());
    let plain = pool.spawn(current_span_id).unwrap();
    assert_eq!(in_first.join().unwrap(), first.id().map(|id| id.into_u64()));
    assert_eq!(plain.join().unwrap(), None, "the next item on the same thread is not in the first's span");
}

//! `StdThreadWorker`: one OS thread, FIFO, quit drains then the thread exits.

mod common;

use core::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

use threadteam::{
    port::{StdSignal, ThreadFactory},
    workers::{thread_worker, BoxedWork, ThreadWorker},
    SpawnError, Worker,
};

use common::{Gate, Scripted};

const ITEMS: usize = if cfg!(miri) { 100 } else { 10_000 };

#[test]
fn items_run_in_submission_order_on_one_thread() {
    let (worker, thread) = thread_worker::<BoxedWork>().unwrap();
    let seen = Arc::new(Mutex::new(Vec::with_capacity(ITEMS)));
    for i in 0..ITEMS {
        let seen = Arc::clone(&seen);
        worker.submit(Box::new(move || seen.lock().unwrap().push((i, thread::current().id())))).unwrap();
    }
    let worker_thread = thread.thread().id();
    worker.quit().unwrap();
    thread.join().unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), ITEMS);
    for (expected, &(i, on)) in seen.iter().enumerate() {
        assert_eq!(i, expected, "FIFO");
        assert_eq!(on, worker_thread, "every item on the worker's one thread");
    }
}

#[test]
fn each_submitters_items_keep_their_order() {
    const SUBMITTERS: usize = 4;
    let (worker, thread) = thread_worker::<BoxedWork>().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    thread::scope(|scope| {
        for s in 0..SUBMITTERS {
            let (worker, seen) = (&worker, &seen);
            scope.spawn(move || {
                for i in 0..ITEMS / SUBMITTERS {
                    let seen = Arc::clone(seen);
                    worker.submit(Box::new(move || seen.lock().unwrap().push((s, i)))).unwrap();
                }
            });
        }
    });
    worker.quit().unwrap();
    thread.join().unwrap();
    let mut next = [0; SUBMITTERS];
    for &(s, i) in seen.lock().unwrap().iter() {
        assert_eq!(i, next[s], "submitter {s}'s items out of order");
        next[s] += 1;
    }
    assert_eq!(next, [ITEMS / SUBMITTERS; SUBMITTERS]);
}

#[test]
fn quit_lets_queued_work_finish_then_the_thread_exits() {
    let (worker, thread) = thread_worker::<BoxedWork>().unwrap();
    let gate = Gate::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let g = Arc::clone(&gate);
    let (started, first_running) = mpsc::channel();
    worker
        .submit(Box::new(move || {
            started.send(()).unwrap();
            g.wait();
        }))
        .unwrap();
    first_running.recv().unwrap();
    for _ in 0..100 {
        let ran = Arc::clone(&ran);
        worker
            .submit(Box::new(move || {
                ran.fetch_add(1, Ordering::SeqCst);
            }))
            .unwrap();
    }
    // The first item is still blocked, so all 100 are queued when quit comes.
    assert_eq!(worker.queued(), 100);
    worker.quit().unwrap();
    assert!(worker.quit().is_err(), "quit is not idempotent");
    let refused = worker.submit(Box::new(|| ())).unwrap_err();
    assert!(refused.is_already_quit(), "work after quit comes back");
    gate.open();
    thread.join().unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 100);
}

#[test]
fn a_panicking_item_does_not_stop_the_thread() {
    let (worker, thread) = thread_worker::<BoxedWork>().unwrap();
    let (tx, rx) = mpsc::channel();
    worker.submit(Box::new(|| panic!("item 0 panics"))).unwrap();
    worker.submit(Box::new(move || tx.send("item 1 ran").unwrap())).unwrap();
    assert_eq!(rx.recv().unwrap(), "item 1 ran");
    worker.quit().unwrap();
    thread.join().unwrap();
}

#[test]
fn a_refused_spawn_is_an_error_value() {
    let never = Scripted::new(|_| true);
    let started = ThreadWorker::<BoxedWork, StdSignal>::start(&never, StdSignal::new());
    let error: SpawnError = started.unwrap_err();
    assert!(error.to_string().contains("refused by the test"), "{error}");
    // The same factory shape starts real threads when it does not refuse.
    let always = Scripted::new(|_| false);
    always.start(|| ()).unwrap().join().unwrap();
}

#[test]
fn thread_names_do_not_repeat() {
    let (a, ta) = thread_worker::<BoxedWork>().unwrap();
    let (b, tb) = thread_worker::<BoxedWork>().unwrap();
    let (na, nb) = (ta.thread().name().unwrap().to_owned(), tb.thread().name().unwrap().to_owned());
    assert!(na.starts_with("threadteam-worker-") && nb.starts_with("threadteam-worker-"), "{na} {nb}");
    assert_ne!(na, nb);
    a.quit().unwrap();
    b.quit().unwrap();
    ta.join().unwrap();
    tb.join().unwrap();
}

//! ThreadWorker with real threads: FIFO, quit drains then the thread returns, a dropped
//! handle quits the thread, a panicking item does not kill the thread.

mod common;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use common::TestSignal;
use threadteam_core::{port::ThreadFactory, workers::ThreadWorker, Worker};

struct Threads;

impl ThreadFactory for Threads {
    type Thread = JoinHandle<()>;
    type Error = std::io::Error;
    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<JoinHandle<()>, std::io::Error> {
        std::thread::Builder::new().spawn(main)
    }
}

type Item = Box<dyn FnOnce() + Send>;

#[test]
fn runs_items_in_order_on_its_own_thread_and_quit_drains_then_returns() {
    let (worker, thread) = ThreadWorker::<Item, TestSignal>::start(&Threads, TestSignal::default()).unwrap();
    let log = Arc::new(Mutex::new(vec![]));
    let n = if cfg!(miri) { 20 } else { 2_000 };
    for i in 0..n {
        let log = log.clone();
        worker.submit(Box::new(move || log.lock().unwrap().push((i, std::thread::current().id())))).unwrap();
    }
    worker.quit().unwrap();
    assert!(worker.submit(Box::new(|| ())).unwrap_err().is_already_quit());
    let worker_thread = thread.thread().id();
    thread.join().unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log.len(), n, "work queued before quit all ran");
    assert!(log.iter().enumerate().all(|(i, (j, t))| i == *j && *t == worker_thread), "FIFO, on its thread");
}

#[test]
fn dropping_the_last_handle_quits_the_thread() {
    let (worker, thread) = ThreadWorker::<Item, TestSignal>::start(&Threads, TestSignal::default()).unwrap();
    let (tx, rx) = mpsc::channel();
    let clone = worker.clone();
    drop(worker);
    clone.submit(Box::new(move || tx.send(()).unwrap())).unwrap();
    drop(clone);
    rx.recv().unwrap();
    thread.join().unwrap(); // returns: the drop quit the worker
}

#[test]
fn a_panicking_item_does_not_stop_the_thread() {
    let (worker, thread) = ThreadWorker::<Item, TestSignal>::start(&Threads, TestSignal::default()).unwrap();
    let (tx, rx) = mpsc::channel();
    worker.submit(Box::new(|| panic!("this item fails"))).unwrap();
    worker.submit(Box::new(move || tx.send("still serving").unwrap())).unwrap();
    assert_eq!(rx.recv().unwrap(), "still serving");
    worker.quit().unwrap();
    thread.join().unwrap();
}

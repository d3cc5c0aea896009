//! Every public error type goes into `anyhow::Error` with `?` (so it is `Send + Sync +
//! 'static` and a `std::error::Error`), and refused work still comes back.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use threadteam::workers::{BoxedWork, Quit};
use threadteam::{AlreadyQuit, Pool, SpawnError, StdThreadFactory, SubmitError, TaskError, ThreadPool, Worker};

/// Only compiles for errors that `anyhow::Error` and `Box<dyn Error + Send + Sync>` take.
fn is_send_sync_error<E: std::error::Error + Send + Sync + 'static>() {}

#[test]
fn every_error_type_is_send_sync_and_static() {
    is_send_sync_error::<AlreadyQuit>();
    is_send_sync_error::<SubmitError<BoxedWork>>();
    // A closure that is `Send` but not `Sync`: the error is still `Sync`.
    is_send_sync_error::<SubmitError<std::cell::Cell<u8>>>();
    is_send_sync_error::<TaskError>();
    is_send_sync_error::<threadteam::Failure>();
    is_send_sync_error::<SpawnError>();
}

fn call_in_stopped_pool(pool: &ThreadPool, ran: &Arc<AtomicUsize>) -> anyhow::Result<()> {
    let ran = Arc::clone(ran);
    pool.call_in_thread(move || {
        ran.fetch_add(1, Ordering::SeqCst);
    })?;
    Ok(())
}

#[test]
fn submit_error_goes_into_anyhow_and_the_work_comes_back() {
    let pool = ThreadPool::new(1, 2);
    drop(pool.stop());
    let ran = Arc::new(AtomicUsize::new(0));
    let err = call_in_stopped_pool(&pool, &ran).unwrap_err();
    assert_eq!(err.to_string(), "work refused: the worker has quit");
    // Downcast back: the refused work is handed back through anyhow too.
    let refused = err.downcast::<SubmitError<BoxedWork>>().unwrap();
    assert!(refused.is_already_quit());
    refused.into_inner()();
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

#[test]
fn spawn_refusal_hands_back_the_closure_itself() {
    let pool = Pool::new();
    drop(pool.shutdown());
    let tag = String::from("mine");
    let attempt = || -> anyhow::Result<()> {
        let tag = tag.clone();
        pool.spawn(move || tag.len())?;
        Ok(())
    };
    assert_eq!(attempt().unwrap_err().to_string(), "work refused: the worker has quit");
    let closure_back = pool.spawn(|| 7).unwrap_err().into_inner();
    assert_eq!(closure_back(), 7);
}

fn joined(pool: &Pool) -> anyhow::Result<u32> {
    let handle = pool.spawn(|| -> u32 { panic!("exploded") })?;
    Ok(handle.join()?)
}

#[test]
fn task_error_goes_into_anyhow_with_the_panic_as_its_source() {
    let pool = Pool::new();
    let err = joined(&pool).unwrap_err();
    assert_eq!(err.to_string(), "work panicked: exploded");
    let chain: Vec<String> = err.chain().map(ToString::to_string).collect();
    assert_eq!(chain, ["work panicked: exploded", "work panicked: exploded"], "the Failure is the source");
    let task_error = err.downcast::<TaskError>().unwrap();
    assert!(task_error.is_panic());
}

fn quit_twice(quit: &Quit) -> anyhow::Result<()> {
    quit.set()?;
    quit.set()?;
    Ok(())
}

#[test]
fn already_quit_goes_into_anyhow() {
    let err = quit_twice(&Quit::new()).unwrap_err();
    assert_eq!(err.downcast_ref::<AlreadyQuit>(), Some(&AlreadyQuit));
    let pool = Pool::new();
    let twice = || -> anyhow::Result<()> {
        pool.quit()?;
        pool.quit()?;
        Ok(())
    };
    assert!(twice().unwrap_err().is::<AlreadyQuit>());
}

struct Refusing;

impl threadteam::port::ThreadFactory for Refusing {
    type Thread = std::thread::JoinHandle<()>;
    type Error = SpawnError;

    fn start<M: FnOnce() + Send + 'static>(&self, _main: M) -> Result<Self::Thread, SpawnError> {
        Err(SpawnError(std::io::Error::new(std::io::ErrorKind::OutOfMemory, "no threads today")))
    }
}

fn build_paced_pool() -> anyhow::Result<Pool> {
    // An adaptive pool starts its timer thread when built: the refusal is the build's error.
    Ok(Pool::builder().thread_factory(Refusing).build()?)
}

#[test]
fn spawn_error_goes_into_anyhow_with_the_io_error_as_its_source() {
    let err = build_paced_pool().unwrap_err();
    assert_eq!(err.to_string(), "could not start a thread: no threads today");
    let io = err.chain().nth(1).and_then(|e| e.downcast_ref::<std::io::Error>()).unwrap();
    assert_eq!(io.kind(), std::io::ErrorKind::OutOfMemory);
    // The std factory's own error, too.
    let refusal = StdThreadFactory::new().stack_size(usize::MAX);
    let started = threadteam::port::ThreadFactory::start(&refusal, || ());
    if let Err(e) = started {
        let _: anyhow::Error = e.into();
    }
}

//! Task handles from a real thread pool, awaited under different executors, and joined.

use std::sync::Arc;

use threadteam::{
    port::StdSignal,
    team::{pool, ThreadTeam},
    StdThreadFactory, TaskError, Worker,
};

fn threads(n: usize) -> Arc<ThreadTeam<StdSignal>> {
    pool::<StdSignal, _>(move || n, StdThreadFactory::new(), |_| ())
}

#[tokio::test(flavor = "current_thread")]
async fn awaited_under_tokio() {
    let pool = threads(2);
    let handles: Vec<_> = (0..8u64).map(|i| pool.spawn(move || i * i).unwrap()).collect();
    let mut squares = Vec::new();
    for handle in handles {
        squares.push(handle.await.unwrap());
    }
    assert_eq!(squares, [0, 1, 4, 9, 16, 25, 36, 49]);
    pool.quit().unwrap();
}

#[test]
fn awaited_under_futures_block_on() {
    let pool = threads(2);
    let handle = pool.spawn(|| String::from("offloaded")).unwrap();
    assert_eq!(futures::executor::block_on(handle).unwrap(), "offloaded");
    let failing = pool.spawn(|| panic!("in the pool")).unwrap();
    let outcome: Result<(), TaskError> = futures::executor::block_on(failing);
    let err = outcome.unwrap_err();
    assert_eq!(err.try_into_panic().unwrap().downcast_ref::<&str>(), Some(&"in the pool"));
    pool.quit().unwrap();
}

#[test]
fn cancelled_work_is_skipped_and_the_rest_is_joined() {
    let pool = threads(1);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    // Hold the only thread until every other item is queued behind it.
    let blocker = pool
        .spawn(move || {
            started_tx.send(()).unwrap();
            rx.recv().unwrap();
        })
        .unwrap();
    started_rx.recv().unwrap();
    let queued: Vec<_> = (0..4).map(|i| pool.spawn(move || i).unwrap()).collect();
    assert_eq!(pool.statistics().backlogged, 4);
    assert!(queued[1].cancel());
    assert!(queued[3].cancel());
    assert_eq!(pool.statistics().backlogged, 2);
    tx.send(()).unwrap();
    blocker.join().unwrap();
    let results: Vec<_> = queued.into_iter().map(|h| h.join().map_err(|e: TaskError| e.is_cancelled())).collect();
    assert_eq!(results, [Ok(0), Err(true), Ok(2), Err(true)]);
    pool.quit().unwrap();
}

#[test]
fn scope_is_reexported() {
    let pool = threads(2);
    let data = [1, 2, 3];
    let doubled = threadteam::scope(&*pool, |s| {
        let handles: Vec<_> = data.iter().map(|n| s.spawn(move || n * 2)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
    });
    assert_eq!(doubled, [2, 4, 6]);
    pool.quit().unwrap();
}

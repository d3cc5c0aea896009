//! Statistics after quit, found wrong by the stress test (`tests/stress.rs`): shrink debt
//! outliving the busy worker it was taken for, and `reclaim` not republishing the counts.
//! Deterministic: memory workers, every step performed by hand.
#![cfg(feature = "alloc")]

use threadteam_core::{
    team::{Coordinate, Job, TeamBuilder},
    workers::{create_memory_worker, BoxedWork},
    Worker,
};

#[test]
fn quit_clears_the_shrink_debt_of_a_busy_worker() {
    let (coordinator, coordinate) = create_memory_worker::<Coordinate<BoxedWork>>();
    let (worker, work) = create_memory_worker::<Job<BoxedWork>>();
    let team = TeamBuilder::new(move |_| Some(worker.clone())).coordinator(coordinator).build();
    team.submit(Box::new(|| ())).unwrap();
    assert!(coordinate.perform()); // dispatch: one busy worker
    team.shrink(Some(1)).unwrap();
    assert!(coordinate.perform()); // it will retire when idle: debt 1
    assert_eq!(team.statistics().shrink_debt, 1);
    team.quit().unwrap();
    assert!(coordinate.perform());
    assert!(work.perform()); // the item runs and asks for its hand-back
    assert!(coordinate.perform()); // quitting: the worker retires, quitting completes
    assert!(team.is_finished());
    let s = team.statistics();
    assert_eq!((s.idle_workers, s.busy_workers, s.shrink_debt), (0, 0, 0), "{s:?}");
    assert_eq!((s.workers_created, s.workers_retired), (1, 1), "{s:?}");
}

#[test]
fn reclaim_updates_the_published_backlog() {
    let (coordinator, coordinate) = create_memory_worker::<Coordinate<BoxedWork>>();
    // No worker can ever be made: work waits, then is left to reclaim.
    let team = TeamBuilder::new(|_| None::<threadteam_core::workers::MemoryWorker<Job<BoxedWork>>>)
        .coordinator(coordinator)
        .build();
    team.submit(Box::new(|| ())).unwrap();
    team.submit(Box::new(|| ())).unwrap();
    team.quit().unwrap();
    while coordinate.perform() {}
    assert!(team.is_finished());
    assert_eq!(team.statistics().backlogged, 2);
    assert!(team.reclaim().is_some());
    assert_eq!(team.statistics().backlogged, 1);
    assert!(team.reclaim().is_some());
    assert!(team.reclaim().is_none());
    assert_eq!(team.statistics().backlogged, 0);
}

//! A Team driven step by step: memory workers instead of threads, so every hand-off is an
//! explicit `perform()` and every state can be printed. This is how the Team's behaviour
//! is tested without any timing.
//!
//! ```text
//! cargo run --example deterministic
//! ```

use std::sync::{Arc, Mutex};

use threadteam::{
    create_memory_worker, BoxedWork, Coordinate, Job, MemoryWorker, Perform, Statistics, TeamBuilder, Worker,
};

/// The work items record what ran, in order.
fn note(log: &Arc<Mutex<Vec<String>>>, what: &str) -> BoxedWork {
    let (log, what) = (Arc::clone(log), what.to_owned());
    Box::new(move || log.lock().expect("log lock").push(what))
}

fn show(step: &str, s: Statistics) {
    println!(
        "{step:<46} idle {} · busy {} · backlog {} · debt {} · created {} · retired {}",
        s.idle_workers, s.busy_workers, s.backlogged, s.shrink_debt, s.workers_created, s.workers_retired
    );
}

fn main() {
    let (coordinator, coordinate) = create_memory_worker::<Coordinate<BoxedWork>>();
    // Every worker the Team creates is a memory worker; keep its `perform` to step it.
    let workers: Arc<Mutex<Vec<Perform<Job<BoxedWork>>>>> = Arc::default();
    let made = Arc::clone(&workers);
    let limit = 2;
    let team = TeamBuilder::new(move |stats: &Statistics| -> Option<Arc<MemoryWorker<Job<BoxedWork>>>> {
        if stats.workers() >= limit {
            return None;
        }
        let (worker, perform) = create_memory_worker();
        made.lock().expect("workers lock").push(perform);
        Some(worker)
    })
    .coordinator(coordinator)
    .build();
    let step_worker = |n: usize| workers.lock().expect("workers lock")[n].perform();
    let log = Arc::new(Mutex::new(Vec::new()));

    show("a new Team (limit 2)", team.statistics());
    for name in ["a", "b", "c"] {
        team.submit(note(&log, name)).expect("the Team is open");
    }
    show("submitted a, b, c: nothing coordinated yet", team.statistics());
    coordinate.perform();
    show("coordinated a: worker 0 created, busy", team.statistics());
    coordinate.perform();
    show("coordinated b: worker 1 created, busy", team.statistics());
    coordinate.perform();
    show("coordinated c: limit reached, backlogged", team.statistics());
    step_worker(0);
    show("worker 0 ran a; its hand-back is queued", team.statistics());
    coordinate.perform();
    show("hand-back: worker 0 takes c from the backlog", team.statistics());
    step_worker(1);
    step_worker(0);
    coordinate.perform_all();
    show("workers ran b and c; hand-backs coordinated", team.statistics());
    team.shrink(Some(1)).expect("the Team is open");
    coordinate.perform();
    show("shrink(1): the coldest idle worker retires", team.statistics());
    team.quit().expect("first quit");
    coordinate.perform();
    show("quit: the last idle worker retires", team.statistics());
    println!("finished: {} · ran, in order: {:?}", team.is_finished(), log.lock().expect("log lock"));
}

//! Property tests: random sequences of submit / grow / shrink / quit / perform / limit
//! changes against a small reference model of the state table. After every step the
//! Team's statistics must equal the model's, and at the end every submitted item has run
//! exactly once or been handed back. Twice: with every event coordinated (a memory
//! coordinator), and on the production fast path (a LockWorker coordinator, so saturated
//! submits go around it through the fast lane and workers drain it before handing back).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use threadteam_core::{
    port::StdLock,
    team::{Coordinate, Growable, Job, Statistics, Team, TeamBuilder},
    workers::{create_memory_worker, BoxedWork, LockWorker, MemoryWorker},
    ExclusiveWorker, Worker,
};

#[derive(Clone, Debug)]
enum Op {
    Submit,
    Grow(usize),
    Shrink(Option<usize>),
    Quit,
    /// Finish the oldest job of the n-th busy worker (mod the busy count), then coordinate.
    Finish(usize),
    SetLimit(usize),
    Pump,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Submit),
        1 => (0..4usize).prop_map(Op::Grow),
        1 => proptest::option::of(0..4usize).prop_map(Op::Shrink),
        1 => Just(Op::Quit),
        4 => (0..8usize).prop_map(Op::Finish),
        1 => (0..5usize).prop_map(Op::SetLimit),
        1 => Just(Op::Pump),
    ]
}

/// The state table, on counts only, with the fast lane's protocol where the Team uses it
/// (a coordinator that runs events in the caller): the gate, its budget, workers draining
/// the lane before they hand back, and the lane as the head of the backlog.
#[derive(Debug, Default)]
struct Model {
    idle: usize,
    busy: usize,
    /// Waiting items in the fast lane (the head of the backlog) ...
    lane: usize,
    /// ... and behind it, in the coordinated queue.
    plain: usize,
    debt: usize,
    limit: usize,
    quitting: bool,
    finished: bool,
    created: usize,
    /// The Team uses the fast lane.
    fast: bool,
    gate_open: bool,
    budget: usize,
    /// The last request for a worker was refused, and no worker has come or gone since.
    refused: bool,
}

const BUDGET: usize = threadteam_core::team::bypass::BYPASS_BUDGET;

impl Model {
    fn live(&self) -> usize {
        self.idle + self.busy
    }

    fn backlog(&self) -> usize {
        self.lane + self.plain
    }

    /// The oldest waiting item leaves the backlog (the lane first).
    fn pop(&mut self) -> bool {
        if self.lane > 0 {
            self.lane -= 1;
        } else if self.plain > 0 {
            self.plain -= 1;
        } else {
            return false;
        }
        true
    }

    /// New work at the back: into the lane only while nothing waits behind it.
    fn push(&mut self) {
        if self.fast && self.plain == 0 {
            self.lane += 1;
        } else {
            self.plain += 1;
        }
    }

    fn create(&mut self) -> bool {
        if self.live() >= self.limit {
            return false;
        }
        self.created += 1;
        self.refused = false;
        true
    }

    fn retire(&mut self) {
        self.refused = false;
    }

    fn begin(&mut self, reconsider: bool) {
        if reconsider {
            self.refused = false;
        }
    }

    fn end(&mut self) {
        let saturated = self.refused && self.busy > 0 && self.idle == 0 && !self.quitting && !self.finished;
        if self.fast && saturated && self.plain == 0 {
            self.gate_open = true;
            self.budget = BUDGET;
        } else {
            self.gate_open = false;
        }
    }

    fn submit(&mut self) {
        if self.gate_open && self.budget > 0 {
            // Around the coordinator.
            self.budget -= 1;
            self.lane += 1;
            return;
        }
        self.begin(false);
        self.submit_coordinated();
        self.end();
    }

    fn submit_coordinated(&mut self) {
        if !self.quitting && !self.finished {
            while self.idle > 0 {
                self.idle -= 1;
                self.busy += 1;
                if !self.pop() {
                    // This item goes to it straight.
                    self.pump();
                    return;
                }
            }
        }
        self.push();
        if !self.finished {
            self.pump();
        }
    }

    fn pump(&mut self) {
        self.serve();
        self.finish_if_done();
    }

    fn serve(&mut self) {
        while self.backlog() > 0 {
            if self.idle > 0 {
                self.idle -= 1;
            } else if !self.create() {
                self.refused = true;
                break;
            }
            self.pop();
            self.busy += 1;
        }
    }

    /// A worker (busy, or just created and not yet counted) becomes free.
    fn recycle(&mut self) {
        if self.pop() {
            self.busy += 1;
            self.pump();
        } else if self.quitting {
            self.retire();
            self.finish_if_done();
        } else if self.debt > 0 {
            self.debt -= 1;
            self.retire();
        } else {
            self.idle += 1;
        }
    }

    /// A busy worker finishes its item; returns how many items it ran. With the fast lane
    /// it then takes every item the lane holds before it hands back.
    fn finish(&mut self) -> usize {
        let ran = 1 + std::mem::take(&mut self.lane);
        self.begin(false);
        if self.busy == 1 {
            // The last busy worker closes the gate (nothing is claimed: it drained the lane).
            self.gate_open = false;
        }
        self.busy -= 1;
        self.recycle();
        self.end();
        ran
    }

    fn grow(&mut self, n: usize) {
        self.begin(true);
        let cancelled = n.min(self.debt);
        self.debt -= cancelled;
        for _ in cancelled..n {
            if !self.create() {
                break;
            }
            self.recycle();
        }
        self.end();
    }

    fn shrink(&mut self, n: Option<usize>) {
        self.begin(true);
        let n = n.unwrap_or(self.live());
        for _ in 0..n {
            if self.idle > 0 {
                self.idle -= 1;
                self.retire();
            } else if self.debt < self.busy {
                self.debt += 1;
            } else {
                break;
            }
        }
        self.end();
    }

    fn quit(&mut self) {
        self.begin(true);
        self.gate_open = false;
        self.quitting = true;
        self.debt = 0;
        if self.idle > 0 {
            self.idle = 0;
            self.retire();
        }
        self.finish_if_done();
        self.end();
    }

    fn explicit_pump(&mut self) {
        self.begin(true);
        self.pump();
        self.end();
    }

    fn finish_if_done(&mut self) {
        if !self.quitting || self.finished || self.busy != 0 {
            return;
        }
        if self.backlog() > 0 && self.create() {
            self.pop();
            self.busy += 1;
            return;
        }
        self.finished = true;
    }
}

type Wk = Arc<MemoryWorker<Job<BoxedWork>>>;
type Create = Box<dyn FnMut(&Statistics) -> Option<Wk> + Send>;

/// A Team of memory workers the test performs by hand, over coordinator `C`.
struct Fixture<C: ExclusiveWorker<Coordinate<BoxedWork>>> {
    team: Arc<Team<BoxedWork, Wk, C, Create, Growable>>,
    /// Runs what the coordinator has queued (nothing to do for one that runs in the caller).
    coordinate: Box<dyn Fn() -> usize>,
    workers: Arc<Mutex<Vec<Wk>>>,
    limit: Arc<AtomicUsize>,
}

impl<C> Fixture<C>
where
    C: ExclusiveWorker<Coordinate<BoxedWork>> + Send + Sync + 'static,
{
    fn new(coordinator: C, coordinate: Box<dyn Fn() -> usize>, limit: usize) -> Self {
        let workers: Arc<Mutex<Vec<Wk>>> = Arc::default();
        let limit = Arc::new(AtomicUsize::new(limit));
        let (w, l) = (workers.clone(), limit.clone());
        let create: Create = Box::new(move |stats: &Statistics| {
            if stats.workers() >= l.load(Ordering::SeqCst) {
                return None;
            }
            let (worker, _perform) = create_memory_worker::<Job<BoxedWork>>();
            w.lock().unwrap().push(worker.clone());
            Some(worker)
        });
        let team =
            TeamBuilder::new(create).coordinator(coordinator).on_failure(|f| panic!("unexpected failure: {f}")).build();
        Self { team, coordinate, workers, limit }
    }

    fn settle(&self) {
        loop {
            let mut progress = (self.coordinate)();
            let workers = self.workers.lock().unwrap().clone();
            for w in workers {
                while w.perform() {
                    progress += 1;
                }
            }
            if progress == 0 {
                return;
            }
        }
    }
}

fn check<C>(ops: Vec<Op>, initial_limit: usize, h: Fixture<C>, fast: bool) -> Result<(), TestCaseError>
where
    C: ExclusiveWorker<Coordinate<BoxedWork>> + Send + Sync + 'static,
{
    let mut model = Model { limit: initial_limit, fast, ..Model::default() };
    let runs: Vec<Arc<AtomicUsize>> = (0..ops.len()).map(|_| Arc::default()).collect();
    let total_runs = || runs.iter().map(|r| r.load(Ordering::SeqCst)).sum::<usize>();
    let mut handed_back = vec![false; ops.len()];

    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Submit => {
                let run = runs[i].clone();
                match h.team.submit(Box::new(move || {
                    run.fetch_add(1, Ordering::SeqCst);
                })) {
                    Ok(()) => model.submit(),
                    Err(e) => {
                        prop_assert!(e.is_already_quit() && model.quitting);
                        handed_back[i] = true;
                    }
                }
            }
            Op::Grow(n) => match h.team.grow(*n) {
                Ok(()) => model.grow(*n),
                Err(_) => prop_assert!(model.quitting),
            },
            Op::Shrink(n) => match h.team.shrink(*n) {
                Ok(()) => model.shrink(*n),
                Err(_) => prop_assert!(model.quitting),
            },
            Op::Quit => match h.team.quit() {
                Ok(()) => model.quit(),
                Err(_) => prop_assert!(model.quitting),
            },
            Op::Finish(k) => {
                let busy: Vec<_> = h.workers.lock().unwrap().iter().filter(|w| w.pending() > 0).cloned().collect();
                prop_assert_eq!(busy.len(), model.busy, "busy workers hold exactly one job each");
                if !busy.is_empty() {
                    let before = total_runs();
                    prop_assert!(busy[k % busy.len()].perform());
                    (h.coordinate)();
                    let ran = model.finish();
                    prop_assert_eq!(total_runs() - before, ran, "items run by one finish (the lane drained)");
                }
            }
            Op::SetLimit(n) => {
                h.limit.store(*n, Ordering::SeqCst);
                model.limit = *n;
            }
            Op::Pump => match h.team.pump() {
                Ok(()) => {
                    if !model.finished {
                        model.explicit_pump();
                    }
                }
                Err(_) => prop_assert!(model.finished),
            },
        }
        (h.coordinate)();
        let s = h.team.statistics();
        prop_assert_eq!(
            (s.idle_workers, s.busy_workers, s.backlogged, s.shrink_debt),
            (model.idle, model.busy, model.backlog(), model.debt),
            "after {:?} (step {})",
            op,
            i
        );
        prop_assert_eq!(s.workers_created as usize, model.created);
        prop_assert_eq!(h.team.is_finished(), model.finished);
        prop_assert!(s.shrink_debt <= s.busy_workers);
        prop_assert!(s.idle_workers == 0 || s.backlogged == 0, "idle workers imply an empty backlog");
    }

    // Wind down: quit, let every worker finish, then take back what could not run.
    let _ = h.team.quit();
    h.settle();
    prop_assert!(h.team.is_finished());
    let mut reclaimed = 0;
    while let Some(work) = h.team.reclaim() {
        drop(work);
        reclaimed += 1;
    }
    prop_assert!(runs.iter().all(|r| r.load(Ordering::SeqCst) <= 1), "nothing runs twice");
    let submitted = ops.iter().filter(|o| matches!(o, Op::Submit)).count();
    let refused = handed_back.iter().filter(|&&b| b).count();
    prop_assert_eq!(total_runs() + reclaimed + refused, submitted, "every item ran once or was handed back");
    let s = h.team.statistics();
    prop_assert_eq!((s.idle_workers, s.busy_workers, s.backlogged), (0, 0, 0));
    Ok(())
}

/// Every event a step of its own: a memory coordinator the test performs (no fast lane).
fn memory_coordinated(limit: usize) -> Fixture<Arc<MemoryWorker<Coordinate<BoxedWork>>>> {
    let (coordinator, perform) = create_memory_worker::<Coordinate<BoxedWork>>();
    Fixture::new(coordinator, Box::new(move || perform.perform_all()), limit)
}

/// The production coordinator: a LockWorker, so the Team uses its fast lane.
fn lock_coordinated(limit: usize) -> Fixture<LockWorker<Coordinate<BoxedWork>, StdLock>> {
    Fixture::new(LockWorker::new(StdLock::new()), Box::new(|| 0), limit)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: if cfg!(miri) { 4 } else { 512 }, ..ProptestConfig::default() })]

    #[test]
    fn team_matches_the_reference_model(ops in proptest::collection::vec(op(), 0..60), limit in 0..4usize) {
        check(ops, limit, memory_coordinated(limit), false)?;
    }

    /// The path every real pool runs: work going around the coordinator through the fast
    /// lane while the Team is saturated, workers draining it before they hand back.
    #[test]
    fn team_on_its_fast_path_matches_the_reference_model(
        ops in proptest::collection::vec(op(), 0..60),
        limit in 0..4usize,
    ) {
        check(ops, limit, lock_coordinated(limit), true)?;
    }
}

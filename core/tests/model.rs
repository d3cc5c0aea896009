//! Property tests: random sequences of submit / grow / shrink / quit / perform / limit
//! changes against a small reference model of the state table. After every step the
//! Team's statistics must equal the model's, and at the end every submitted item has run
//! exactly once or been handed back.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::Harness;
use proptest::prelude::*;
use threadteam_core::Worker;

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

/// The state table, on counts only.
#[derive(Debug, Default)]
struct Model {
    idle: usize,
    busy: usize,
    backlog: usize,
    debt: usize,
    limit: usize,
    quitting: bool,
    finished: bool,
    created: usize,
}

impl Model {
    fn live(&self) -> usize {
        self.idle + self.busy
    }

    fn can_create(&self) -> bool {
        self.live() < self.limit
    }

    fn create(&mut self) {
        self.created += 1;
    }

    fn submit(&mut self) {
        self.backlog += 1;
        if !self.finished {
            self.pump();
        }
    }

    fn pump(&mut self) {
        while self.backlog > 0 {
            if self.idle > 0 {
                self.idle -= 1;
            } else if self.can_create() {
                self.create();
            } else {
                break;
            }
            self.backlog -= 1;
            self.busy += 1;
        }
        self.finish_if_done();
    }

    /// A worker (busy, or just created and not yet counted) becomes free.
    fn recycle(&mut self) {
        if self.backlog > 0 {
            self.backlog -= 1;
            self.busy += 1;
            self.pump();
        } else if self.quitting {
            self.finish_if_done();
        } else if self.debt > 0 {
            self.debt -= 1;
        } else {
            self.idle += 1;
        }
    }

    fn handed_back(&mut self) {
        self.busy -= 1;
        self.recycle();
    }

    fn grow(&mut self, n: usize) {
        let cancelled = n.min(self.debt);
        self.debt -= cancelled;
        for _ in cancelled..n {
            if !self.can_create() {
                break;
            }
            self.create();
            self.recycle();
        }
    }

    fn shrink(&mut self, n: Option<usize>) {
        let n = n.unwrap_or(self.live());
        for _ in 0..n {
            if self.idle > 0 {
                self.idle -= 1;
            } else if self.debt < self.busy {
                self.debt += 1;
            } else {
                break;
            }
        }
    }

    fn quit(&mut self) {
        self.quitting = true;
        self.debt = 0;
        self.idle = 0;
        self.finish_if_done();
    }

    fn finish_if_done(&mut self) {
        if !self.quitting || self.finished || self.busy != 0 {
            return;
        }
        if self.backlog > 0 && self.can_create() {
            self.create();
            self.backlog -= 1;
            self.busy += 1;
            return;
        }
        self.finished = true;
    }
}

fn check(ops: Vec<Op>, initial_limit: usize) -> Result<(), TestCaseError> {
    let h = Harness::new(initial_limit);
    let mut model = Model { limit: initial_limit, ..Model::default() };
    let runs: Vec<Arc<AtomicUsize>> = (0..ops.len()).map(|_| Arc::default()).collect();
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
                    prop_assert!(busy[k % busy.len()].perform());
                    h.coordinate();
                    model.handed_back();
                }
            }
            Op::SetLimit(n) => {
                h.set_limit(*n);
                model.limit = *n;
            }
            Op::Pump => match h.team.pump() {
                Ok(()) => {
                    if !model.finished {
                        model.pump();
                    }
                }
                Err(_) => prop_assert!(model.finished),
            },
        }
        h.coordinate();
        let s = h.team.statistics();
        prop_assert_eq!(
            (s.idle_workers, s.busy_workers, s.backlogged, s.shrink_debt),
            (model.idle, model.busy, model.backlog, model.debt),
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
    let ran: usize = runs.iter().map(|r| r.load(Ordering::SeqCst)).sum();
    prop_assert!(runs.iter().all(|r| r.load(Ordering::SeqCst) <= 1), "nothing runs twice");
    let submitted = ops.iter().filter(|o| matches!(o, Op::Submit)).count();
    let refused = handed_back.iter().filter(|&&b| b).count();
    prop_assert_eq!(ran + reclaimed + refused, submitted, "every item ran once or was handed back");
    prop_assert_eq!(h.counts(), (0, 0, 0));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: if cfg!(miri) { 4 } else { 512 }, ..ProptestConfig::default() })]

    #[test]
    fn team_matches_the_reference_model(ops in proptest::collection::vec(op(), 0..60), limit in 0..4usize) {
        check(ops, limit)?;
    }
}

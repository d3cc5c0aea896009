//! Thread starts taken out of the coordinator.
//!
//! Starting an OS thread is slow (tens to hundreds of microseconds, more when many threads
//! fault in their stacks at once), and a Team's coordinator is the one lock every
//! hand-back needs. So the thread pools create their [`ThreadWorker`](crate::workers::ThreadWorker)s unstarted: a
//! worker's queue takes its first item at once, as a started worker's does before its
//! thread is first scheduled, and the thread that ran the coordinator pass starts the
//! worker's thread right after it, outside the coordinator. A start that fails hands the
//! worker's work back to the Team like a refused dispatch: the work returns to the front
//! of the backlog and the worker retires (see `TeamState::start_failed`).

use alloc::collections::VecDeque;

use super::thread_worker::Starter;
use super::ThreadWorker;
use crate::sync::{AtomicUsize, Ordering, Section};
use crate::{Job, Signal, ThreadFactory, Work};

/// What a Team calls after each coordinator pass: start whatever the pass left unstarted.
pub(crate) trait Launch: Send + Sync {
    /// Starts every pending thread; a failed start hands its worker's work back to the Team.
    fn launch_pending(&self);
}

/// Makes unstarted [`ThreadWorker`](crate::workers::ThreadWorker)s through a [`ThreadFactory`](crate::port::ThreadFactory) and starts them later.
pub(crate) struct Launcher<W: 'static, F, S> {
    factory: F,
    /// Oldest first, so threads start in the order their workers were created.
    pending: Section<VecDeque<Starter<Job<W>, S>>>,
    /// `pending.len()`, read without the lock: after most passes nothing is pending.
    count: AtomicUsize,
}

impl<W, F, S> Launcher<W, F, S>
where
    W: Work + Send + 'static,
    F: ThreadFactory,
    S: Signal + Default + 'static,
{
    pub(crate) fn new(factory: F) -> Self {
        Self { factory, pending: Section::new(VecDeque::new()), count: AtomicUsize::new(0) }
    }

    pub(crate) fn factory(&self) -> &F {
        &self.factory
    }

    /// A worker whose thread the next [`launch_pending`](Launch::launch_pending) starts.
    pub(crate) fn create(&self) -> ThreadWorker<Job<W>, S> {
        let (worker, starter) = ThreadWorker::unstarted(S::default());
        self.pending.with(|pending| {
            pending.push_back(starter);
            self.count.store(pending.len(), Ordering::Release);
        });
        worker
    }

    fn next(&self) -> Option<Starter<Job<W>, S>> {
        if self.count.load(Ordering::Acquire) == 0 {
            return None;
        }
        self.pending.with(|pending| {
            let next = pending.pop_front();
            self.count.store(pending.len(), Ordering::Release);
            next
        })
    }
}

impl<W, F, S> Launch for Launcher<W, F, S>
where
    W: Work + Send + 'static,
    F: ThreadFactory + Send + Sync,
    S: Signal + Default + 'static,
{
    fn launch_pending(&self) {
        // Whoever gets here first starts what is pending, one at a time, so two threads
        // that ran passes share the starts rather than queue behind each other.
        while let Some(starter) = self.next() {
            if let Err(failed) = starter.start(&self.factory) {
                // The factory reported its error; the work goes back to the Team, which
                // may run this very method again, for other starts.
                for job in failed.queued {
                    job.start_failed();
                }
            }
        }
    }
}

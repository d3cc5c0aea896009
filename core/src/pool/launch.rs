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
//!
//! Because a worker is made before its thread is started, the Team cannot learn at
//! creation that the factory refuses. So the launcher paces creation itself once a start
//! has failed: until a thread starts again, a worker is made only on an event that may
//! change capacity (a grow, shrink, pump, tick, new policy or quit, each allowing one
//! attempt; a worker retiring, whose thread ends; or, with no worker alive and no start
//! under way, any event, so waiting work is never left without a try), and otherwise once
//! in every [`BYPASS_BUDGET`](crate::team::bypass::BYPASS_BUDGET) requests (as a saturated Team's
//! coordinator sees one submit in that many). Every other request is refused at once, as a
//! full limit is, and the work waits for the workers that exist.
//! A refusing factory therefore costs one attempt per such event (plus the starts
//! already made by then), never a loop of create and retire. And one pass never leaves more than [`MAX_STARTS_IN_FLIGHT`] threads to
//! start: a larger `grow` (a `min` of `usize::MAX`) continues batch by batch while starts
//! succeed, so a factory that refuses stops it after one batch, with bounded memory.

use alloc::collections::VecDeque;

use super::thread_worker::{StartFailed, Starter};
use super::ThreadWorker;
use crate::sync::{AtomicBool, AtomicUsize, Ordering, Section};
use crate::{Job, Signal, Statistics, ThreadFactory, Work};

/// The most workers whose threads are yet to start (or are starting) at once; beyond it a
/// pass makes no more, and the growth continues after these have started.
pub(crate) const MAX_STARTS_IN_FLIGHT: usize = 128;

/// What a Team calls after each coordinator pass: start whatever the pass left unstarted.
pub(crate) trait Launch: Send + Sync {
    /// Starts every pending thread; a failed start hands its worker's work back to the Team.
    fn launch_pending(&self);
    /// An event that may change capacity (a grow, shrink, pump, tick, new policy or quit)
    /// is being applied: after failed starts, it may try one more.
    fn reconsider(&self);
    /// Whether a pass was refused a worker only because [`MAX_STARTS_IN_FLIGHT`] were under
    /// way while starts were succeeding (the flag is cleared): the Team then applies its
    /// policy again, to continue a large growth.
    fn take_cut_short(&self) -> bool;
}

/// Makes unstarted [`ThreadWorker`](crate::workers::ThreadWorker)s through a [`ThreadFactory`](crate::port::ThreadFactory) and starts them later.
pub(crate) struct Launcher<W: 'static, F, S> {
    factory: F,
    /// Oldest first, so threads start in the order their workers were created.
    pending: Section<VecDeque<Starter<Job<W>, S>>>,
    /// `pending.len()`, read without the lock: after most passes nothing is pending.
    count: AtomicUsize,
    /// Workers made whose thread's start has not returned yet.
    in_flight: AtomicUsize,
    /// The last start failed (a panic counts) and none has succeeded since.
    failing: AtomicBool,
    /// An event that may change capacity happened since the last attempt made while failing.
    retry: AtomicBool,
    /// `Statistics::workers_retired` at the last creation (truncated: only change counts).
    retired: AtomicUsize,
    /// A creation was refused because too many starts were in flight.
    cut_short: AtomicBool,
    /// Requests refused since the last attempt made while failing.
    refusals: AtomicUsize,
}

impl<W, F, S> Launcher<W, F, S>
where
    W: Work + Send + 'static,
    F: ThreadFactory,
    S: Signal + Default + 'static,
{
    pub(crate) fn new(factory: F) -> Self {
        Self {
            factory,
            pending: Section::new(VecDeque::new()),
            count: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            failing: AtomicBool::new(false),
            retry: AtomicBool::new(false),
            retired: AtomicUsize::new(0),
            cut_short: AtomicBool::new(false),
            refusals: AtomicUsize::new(0),
        }
    }

    pub(crate) fn factory(&self) -> &F {
        &self.factory
    }

    /// A worker whose thread the next [`launch_pending`](Launch::launch_pending) starts, or
    /// `None` when starts are failing and nothing since may have changed that, or too many
    /// starts are under way (see the module documentation). Runs inside the pass.
    pub(crate) fn create(&self, stats: &Statistics) -> Option<ThreadWorker<Job<W>, S>> {
        // Truncated on 32-bit targets: only whether it changed matters.
        #[allow(clippy::cast_possible_truncation)]
        let retired = stats.workers_retired as usize;
        let in_flight = self.in_flight.load(Ordering::Acquire);
        if self.failing.load(Ordering::Acquire) {
            let nothing_alive = stats.workers() == 0 && in_flight == 0;
            let a_thread_ended = retired != self.retired.load(Ordering::Acquire);
            // `swap` last: the ticket is spent only if nothing else allowed this attempt.
            if !(nothing_alive || a_thread_ended || self.retry.swap(false, Ordering::AcqRel)) {
                // Otherwise one request in every `BYPASS_BUDGET` tries, as a saturated
                // Team's coordinator sees one submit in that many: a transient refusal
                // does not stop a pool with no timer from growing for good.
                if self.refusals.fetch_add(1, Ordering::AcqRel) + 1 < crate::team::bypass::BYPASS_BUDGET {
                    return None;
                }
            }
            self.refusals.store(0, Ordering::Release);
        }
        self.retired.store(retired, Ordering::Release);
        if in_flight >= MAX_STARTS_IN_FLIGHT {
            self.cut_short.store(true, Ordering::Release);
            return None;
        }
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        let (worker, starter) = ThreadWorker::unstarted(S::default());
        self.pending.with(|pending| {
            pending.push_back(starter);
            self.count.store(pending.len(), Ordering::Release);
        });
        Some(worker)
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
            let started = starter.start(&self.factory);
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            match started {
                Ok(_) => self.failing.store(false, Ordering::Release),
                Err(StartFailed { error, queued }) => {
                    // Set before the work goes back, so the Team's pass for it (and any
                    // other) makes no worker that would only fail again.
                    self.failing.store(true, Ordering::Release);
                    self.retry.store(false, Ordering::Release);
                    // The factory reported its error (a panicking one's message went to
                    // the panic hook, and its payload may panic again when dropped); the
                    // work goes back to the Team, which may run this very method again,
                    // for other starts.
                    #[cfg(feature = "std")]
                    if let Err(payload) = error {
                        crate::unwind::discard(payload);
                    }
                    #[cfg(not(feature = "std"))]
                    drop(error);
                    for job in queued {
                        job.start_failed();
                    }
                }
            }
        }
    }

    fn reconsider(&self) {
        if self.failing.load(Ordering::Acquire) {
            self.retry.store(true, Ordering::Release);
        }
    }

    fn take_cut_short(&self) -> bool {
        self.cut_short.load(Ordering::Acquire)
            && self.cut_short.swap(false, Ordering::AcqRel)
            && !self.failing.load(Ordering::Acquire)
    }
}

//! Task results: [`JoinHandle`] and [`TaskError`] (see `JoinHandle`'s documentation).

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use crate::sync::Section;
use crate::team::SelfLink;
use crate::{BoxedWork, Coordinate, ExclusiveWorker, Failure, Job, Statistics, Storage, SubmitError, Team, Worker};

/// Why a [`JoinHandle`] (or a scoped handle) has no value.
///
/// `Send + Sync + 'static` and a [`std::error::Error`](core::error::Error), so `?` takes it
/// into `anyhow::Error` or `Box<dyn Error + Send + Sync>`; a panic's [`Failure`] is its
/// [`source`](core::error::Error::source).
///
/// ```
/// # #[cfg(feature = "std")]
/// # fn main() {
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::TaskError;
///
/// fn report(err: &TaskError) -> String {
///     match err {
///         TaskError::Panicked(failure) => format!("panicked: {}", failure.message().unwrap_or("?")),
///         other => other.to_string(),
///     }
/// }
/// let err = TaskError::from_panic(Box::new("boom"));
/// assert_eq!(report(&err), "panicked: boom");
/// assert!(std::error::Error::source(&err).is_some());
/// assert_eq!(report(&TaskError::Cancelled), "the work was cancelled before it started");
/// # }
/// # #[cfg(not(feature = "std"))]
/// # fn main() {}
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum TaskError {
    /// The work was cancelled before it started (by [`JoinHandle::cancel`], or because it
    /// was dropped unrun, e.g. reclaimed from a quit Team and discarded). It never ran.
    Cancelled,
    /// The work panicked (only with `std`; without it a panic does not unwind). The
    /// [`Failure`] holds the payload.
    Panicked(Failure),
    /// A blocking `join` (with `std`) found the work waiting on a Team that has no
    /// worker and may create none (its limit or `max` is 0: a `ThreadPool` that was never
    /// started, for one), so it would have waited forever. The work was cancelled: it never
    /// ran and will not.
    Unrunnable,
}

impl TaskError {
    /// A `Panicked` error carrying a caught panic's `payload` (for backends that run work
    /// themselves).
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::TaskError;
    ///
    /// let payload = std::panic::catch_unwind(|| panic!("oops")).unwrap_err();
    /// let err = TaskError::from_panic(payload);
    /// assert!(err.is_panic());
    /// assert_eq!(err.to_string(), "work panicked: oops");
    /// ```
    #[cfg(feature = "std")]
    pub fn from_panic(payload: Box<dyn core::any::Any + Send + 'static>) -> Self {
        Self::Panicked(Failure::from_panic(payload))
    }

    /// Whether the work was cancelled before it started.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Self::Cancelled)
    }

    /// Whether the work panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, Self::Panicked(_))
    }

    /// The panic payload, e.g. for [`std::panic::resume_unwind`]; the error itself if it is
    /// not a panic.
    ///
    /// # Errors
    /// `Err(self)` when the work was cancelled.
    #[cfg(feature = "std")]
    pub fn try_into_panic(self) -> Result<Box<dyn core::any::Any + Send + 'static>, Self> {
        match self {
            Self::Panicked(failure) => Ok(failure.into_payload()),
            other => Err(other),
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cancelled => f.write_str("the work was cancelled before it started"),
            Self::Panicked(failure) => fmt::Display::fmt(failure, f),
            Self::Unrunnable => f.write_str(
                "the work could never run: its Team has no worker and may create none (its limit \
                 or maximum is 0, as in a ThreadPool that was not started), so it was cancelled \
                 instead of waiting forever",
            ),
        }
    }
}

impl core::error::Error for TaskError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Panicked(failure) => Some(failure),
            _ => None,
        }
    }
}

/// Where a spawned closure is in its life.
enum Stage<F, T> {
    /// Submitted, not started. The closure lives here rather than in the boxed work, so
    /// whoever takes it out decides its fate: the worker runs it, `cancel` drops it.
    Queued(F),
    Running,
    Ready(Result<T, TaskError>),
    /// The result went to the handle, or was dropped because the handle had gone.
    Taken,
}

struct Inner<F, T> {
    stage: Stage<F, T>,
    /// The waker of the last poll that found no result.
    waker: Option<Waker>,
    /// The handle has been dropped: nobody wants the result.
    detached: bool,
    /// The boxed work that will run this task is still allocated. While it is, its
    /// address identifies it in the backlog; once it is freed, the address may be reused by
    /// other work, so cancellation must not go looking for it.
    work_alive: bool,
    /// The boxed work's address.
    work_addr: usize,
}

/// The completion cell shared by the boxed work and the handle.
struct Task<F, T> {
    inner: Section<Inner<F, T>>,
    /// The span current where the work was spawned: the work runs inside it.
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

/// What a handle needs from its task, with the closure's type erased.
trait Completion<T>: Send + Sync {
    fn poll_result(&self, waker: &Waker) -> Poll<Result<T, TaskError>>;
    fn cancel(&self) -> bool;
    fn detach(&self);
    fn is_finished(&self) -> bool;
    fn work_addr(&self) -> usize;
    fn work_alive(&self) -> bool;
}

impl<F, T> Task<F, T> {
    fn new(f: F) -> Self {
        Self {
            inner: Section::new(Inner {
                stage: Stage::Queued(f),
                waker: None,
                detached: false,
                work_alive: true,
                work_addr: 0,
            }),
            #[cfg(feature = "tracing")]
            span: tracing::Span::current(),
        }
    }

    /// Takes the closure if the work has not started, leaving `then` in its place.
    fn take_queued(&self, then: impl FnOnce(&Inner<F, T>) -> Stage<F, T>) -> (Option<F>, Option<Waker>) {
        self.inner.with(|inner| {
            if !matches!(inner.stage, Stage::Queued(_)) {
                return (None, None);
            }
            let next = then(inner);
            let Stage::Queued(f) = core::mem::replace(&mut inner.stage, next) else { unreachable!("checked above") };
            (Some(f), inner.waker.take())
        })
    }
}

/// A stage for work that will never run: cancelled, unless nobody is waiting.
fn cancelled<F, T>(inner: &Inner<F, T>) -> Stage<F, T> {
    if inner.detached {
        Stage::Taken
    } else {
        Stage::Ready(Err(TaskError::Cancelled))
    }
}

impl<F, T> Completion<T> for Task<F, T>
where
    F: Send,
    T: Send,
{
    fn poll_result(&self, waker: &Waker) -> Poll<Result<T, TaskError>> {
        let (polled, stale) = self.inner.with(|inner| match core::mem::replace(&mut inner.stage, Stage::Taken) {
            Stage::Ready(result) => (Some(Poll::Ready(result)), None),
            Stage::Taken => (None, None),
            pending => {
                inner.stage = pending;
                // Stored in the same step that found no result, so a wake-up cannot slip in
                // between.
                let stale = match &inner.waker {
                    Some(old) if old.will_wake(waker) => None,
                    _ => inner.waker.replace(waker.clone()),
                };
                (Some(Poll::Pending), stale)
            }
        });
        // A waker's drop is the executor's code: never in the section.
        drop(stale);
        polled.unwrap_or_else(|| panic!("threadteam: JoinHandle polled after it returned its result"))
    }

    fn cancel(&self) -> bool {
        let (f, waker) = self.take_queued(cancelled);
        let won = f.is_some();
        // Woken first: the captures' drop is user code and may panic.
        if let Some(waker) = waker {
            waker.wake();
        }
        // The closure's captures are dropped here, in the cancelling thread, unlocked.
        drop(f);
        won
    }

    fn detach(&self) {
        let (result, waker) = self.inner.with(|inner| {
            inner.detached = true;
            let result = match core::mem::replace(&mut inner.stage, Stage::Taken) {
                Stage::Ready(result) => Some(result),
                other => {
                    inner.stage = other;
                    None
                }
            };
            (result, inner.waker.take())
        });
        drop(result);
        drop(waker);
    }

    fn is_finished(&self) -> bool {
        self.inner.with(|inner| matches!(inner.stage, Stage::Ready(_) | Stage::Taken))
    }

    fn work_addr(&self) -> usize {
        self.inner.with(|inner| inner.work_addr)
    }

    fn work_alive(&self) -> bool {
        self.inner.with(|inner| inner.work_alive)
    }
}

/// The part of a task that travels inside the boxed work. Dropping it (after running, or
/// unrun) marks the work as gone; dropping it unrun cancels the task, so no handle waits
/// for work that no longer exists.
struct Runner<F, T> {
    task: Arc<Task<F, T>>,
}

impl<F: FnOnce() -> T, T> Runner<F, T> {
    fn run(self) {
        let f = self.task.inner.with(|inner| match core::mem::replace(&mut inner.stage, Stage::Running) {
            Stage::Queued(f) => Some(f),
            other => {
                // Cancelled before it started.
                inner.stage = other;
                None
            }
        });
        let Some(f) = f else { return };
        #[cfg(feature = "tracing")]
        let entered = self.task.span.enter();
        #[cfg(feature = "std")]
        // Unwind safety: like `std::thread::spawn`, the closure's state is not observed
        // after a panic except through the payload, which goes to the handle.
        let result = std::panic::catch_unwind(core::panic::AssertUnwindSafe(f)).map_err(TaskError::from_panic);
        #[cfg(not(feature = "std"))]
        let result = Ok(f());
        #[cfg(feature = "tracing")]
        drop(entered);

        let (unwanted, waker) = self.task.inner.with(|inner| {
            if inner.detached {
                inner.stage = Stage::Taken;
                (Some(result), None)
            } else {
                inner.stage = Stage::Ready(result);
                (None, inner.waker.take())
            }
        });
        if let Some(waker) = waker {
            waker.wake();
        }
        match unwanted {
            // Nobody can see this panic through a handle: let the Team report it.
            #[cfg(feature = "std")]
            Some(Err(TaskError::Panicked(failure))) => std::panic::resume_unwind(failure.into_payload()),
            other => drop(other),
        }
    }
}

impl<F, T> Drop for Runner<F, T> {
    fn drop(&mut self) {
        let (f, waker) = self.task.take_queued(cancelled);
        self.task.inner.with(|inner| inner.work_alive = false);
        // Woken first: the captures' drop is user code and may panic.
        if let Some(waker) = waker {
            waker.wake();
        }
        drop(f);
    }
}

fn work_addr(work: &BoxedWork) -> usize {
    let ptr: *const (dyn FnOnce() + Send) = &**work;
    ptr.cast::<()>().addr()
}

/// The result of work given to [`Team::spawn`](crate::team::Team::spawn) (or a pool's `spawn`): a runtime-agnostic
/// [`Future`] of `Result<T, TaskError>` (Twisted's `deferToThread`), and with `std` a
/// blocking `join`.
///
/// The handle needs only `alloc`: it is woken through the awaiting task's [`Waker`], so it
/// works under any executor (tokio, smol, `futures::executor::block_on`, an RTOS's async
/// executor). With `std` it also has a blocking `join`.
///
/// # Cancellation
///
/// [`JoinHandle::cancel`] stops work that has not started: the closure is dropped without
/// running and its place in the Team's backlog is freed at once. Work that has started runs
/// to completion, because a thread cannot be interrupted; `cancel` then returns `false` and
/// the handle still delivers the result.
///
/// # Dropping a handle detaches the work
///
/// As with `std::thread::JoinHandle` and tokio's, dropping a `JoinHandle` does not cancel
/// anything: the work still runs and its result is dropped. Call [`JoinHandle::cancel`]
/// first if the work is no longer wanted.
///
/// # Panics in spawned work
///
/// With `std`, a panic in the closure is caught and delivered to the handle as
/// [`TaskError::Panicked`], with its payload; the Team's failure hook does not hear of it and
/// [`Statistics::failures`](crate::team::Statistics::failures) does not count it. If the handle was
/// dropped before the panic, nobody could observe it there, so it goes to the Team's failure
/// hook and is counted, as for any other work. Without `std` a panic does not unwind, so
/// `Panicked` never happens.
///
/// ```
/// # #[cfg(feature = "std")]
/// # fn main() {
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::team::{Coordinate, Job, TeamBuilder};
/// use threadteam::workers::{create_memory_worker, BoxedWork};
///
/// let (coordinator, coordinate) = create_memory_worker::<Coordinate<BoxedWork>>();
/// let (worker, work) = create_memory_worker::<Job<BoxedWork>>();
/// let team = TeamBuilder::new(move |_| Some(worker.clone())).coordinator(coordinator).build();
///
/// let kept = team.spawn(|| "ran").unwrap();
/// let dropped = team.spawn(|| "never runs").unwrap();
/// assert!(dropped.cancel()); // still queued: it will not run
/// coordinate.perform_all();
/// work.perform_all();
/// assert_eq!(kept.join().unwrap(), "ran");
/// assert!(matches!(dropped.join(), Err(threadteam::TaskError::Cancelled)));
/// # coordinate.perform_all();
/// # }
/// # #[cfg(not(feature = "std"))]
/// # fn main() {}
/// ```
///
/// # Panics
/// Polling it again after it returned `Ready` panics, as futures may.
pub struct JoinHandle<T> {
    task: Arc<dyn Completion<T>>,
    team: Option<SelfLink<BoxedWork>>,
}

impl<T> JoinHandle<T> {
    /// Cancels the work if it has not started: the closure is dropped (in this thread)
    /// without running, its place in the Team's backlog is freed at once, and the handle
    /// resolves to [`TaskError::Cancelled`]. Returns whether that happened.
    ///
    /// Returns `false` when the work has started (it runs to completion: threads cannot be
    /// interrupted), has finished, or was already cancelled; the handle then delivers
    /// whatever the work produced. Also `false` when the Team has finished quitting and the
    /// work was taken back from it ([`Team::reclaim`](crate::team::Team::reclaim), a pool's `stop` or `shutdown`): it
    /// is then the taker's, to run (the handle gets the result) or drop (the handle gets
    /// [`TaskError::Cancelled`]); a cancel racing a `stop` never leaves `stop` handing back
    /// an empty shell.
    ///
    /// If the submission is still on its way through the Team's coordinator (another
    /// thread is coordinating), the work is not in the backlog yet: it is still cancelled
    /// and never runs, but its backlog place is freed only when a worker picks it up and
    /// finds nothing to do.
    pub fn cancel(&self) -> bool {
        let Some(team) = &self.team else { return self.task.cancel() };
        let (addr, task) = (self.task.work_addr(), &self.task);
        // Out of the backlog first: then it is ours alone, and a `reclaim` (a pool's stop)
        // racing this cancel cannot hand back its empty shell. The address alone could
        // name other work, allocated where ours was after ours was freed; while ours is
        // alive (checked under the Team's lock, so the backlog cannot change meanwhile),
        // the address is ours alone.
        match team.remove_backlogged(&mut |work| work_addr(work) == addr && task.work_alive()) {
            Ok(ours) => {
                let cancelled = self.task.cancel();
                // Dropping our own work (outside the Team's lock) finds the task cancelled.
                drop(ours);
                cancelled
            }
            // On its way through the coordinator or to a worker: cancelled where it is,
            // the worker that gets it finds nothing to run.
            Err(true) => self.task.cancel(),
            // Taken back by `reclaim` once the Team finished (it is the taker's to run or
            // drop: dropping it cancels the task), dropped with the Team, or already run.
            Err(false) => false,
        }
    }

    /// Whether the work has finished (or been cancelled): awaiting the handle will not wait.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Blocks the calling thread until the work has finished, and returns its result.
    ///
    /// Work that could never run is not waited for: if, when `join` is called, the Team has
    /// no worker and may create none (its limit or `max` is 0, as in a `ThreadPool` that was
    /// not started; see [`Team::is_stalled`](crate::team::Team::is_stalled)), the work is cancelled and `join` returns
    /// [`TaskError::Unrunnable`]. A Team whose workers are merely all busy is waited for.
    ///
    /// # Errors
    /// [`TaskError::Panicked`] if the work panicked, [`TaskError::Cancelled`] if it was
    /// cancelled before it started, [`TaskError::Unrunnable`] as above.
    ///
    /// # Panics
    /// If the handle already returned its result as a future.
    #[cfg(feature = "std")]
    pub fn join(mut self) -> Result<T, TaskError> {
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            match Pin::new(&mut self).poll(&mut cx) {
                Poll::Ready(result) => return result,
                Poll::Pending => {
                    // Only work still in the backlog can be cancelled: if a worker took it
                    // meanwhile (the Team was just given room), its result is waited for.
                    if self.team.as_ref().is_some_and(SelfLink::stalled) && self.cancel() {
                        return Err(TaskError::Unrunnable);
                    }
                    // A spurious unpark just polls again.
                    std::thread::park();
                }
            }
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.task.poll_result(cx.waker())
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.task.detach();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("finished", &self.is_finished()).finish_non_exhaustive()
    }
}

/// Wakes a thread blocked in [`JoinHandle::join`].
#[cfg(feature = "std")]
struct Unpark(std::thread::Thread);

#[cfg(feature = "std")]
impl alloc::task::Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

impl<Wk, C, F, S> Team<BoxedWork, Wk, C, F, S>
where
    Wk: Worker<Job<BoxedWork>> + Send + 'static,
    C: ExclusiveWorker<Coordinate<BoxedWork>> + Send + Sync + 'static,
    F: FnMut(&Statistics) -> Option<Wk> + Send + 'static,
    S: Storage<BoxedWork, Wk> + 'static,
    S::Backlog: Send,
    S::Slots: Send,
    S::Ids: Send,
    S::Lane: Send + Sync,
{
    /// Runs `f` on the Team, like [`submit`](Worker::submit), and returns a handle to its
    /// result: a [`Future`] for any executor, with `std` also a blocking `join`. See
    /// [`JoinHandle`] for cancellation,
    /// detaching and panics.
    ///
    /// ```
    /// # #[cfg(feature = "std")]
    /// # fn main() {
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::team::{Coordinate, Job, TeamBuilder};
    /// use threadteam::workers::{create_memory_worker, BoxedWork};
    ///
    /// let (coordinator, coordinate) = create_memory_worker::<Coordinate<BoxedWork>>();
    /// let (worker, work) = create_memory_worker::<Job<BoxedWork>>();
    /// let team = TeamBuilder::new(move |_| Some(worker.clone())).coordinator(coordinator).build();
    ///
    /// let handle = team.spawn(|| 6 * 7).unwrap();
    /// coordinate.perform(); // dispatch
    /// work.perform(); // run
    /// assert_eq!(handle.join().unwrap(), 42);
    /// # }
    /// # #[cfg(not(feature = "std"))]
    /// # fn main() {}
    /// ```
    ///
    /// # Errors
    /// As for `submit`: [`SubmitError::AlreadyQuit`] after quit, [`SubmitError::BacklogFull`]
    /// when a fixed-capacity queue is full. Either way `f` is handed back, unrun.
    pub fn spawn<Fun, T>(&self, f: Fun) -> Result<JoinHandle<T>, SubmitError<Fun>>
    where
        Fun: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let task = Arc::new(Task::new(f));
        let runner = Runner { task: Arc::clone(&task) };
        let work: BoxedWork = Box::new(move || runner.run());
        task.inner.with(|inner| inner.work_addr = work_addr(&work));
        match self.submit(work) {
            Ok(()) => Ok(JoinHandle { task, team: self.weak_link() }),
            Err(refused) => {
                // The work never reached a worker, so the closure is still queued: take it
                // back before dropping the work, which then finds nothing to cancel.
                let (f, _) = task.take_queued(|_| Stage::Taken);
                let f = f.expect("refused work has not started");
                Err(refused.map(|work| {
                    drop(work);
                    f
                }))
            }
        }
    }
}

//! [`TaskWorker`]: a FreeRTOS task with a fixed inbox, for the no-alloc configuration.

use core::ffi::c_void;
use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

use freertos_next::{Task, TaskNotification};
use threadteam_core::{AlreadyQuit, ExclusiveWorker, MemoryWorker, SubmitError, Work, Worker};

use crate::task::{spawn_static, StaticMain};
use crate::{SpawnError, TaskId};

/// Notification bit: work was queued.
const WORK: u32 = 1;
/// Notification bit: the worker has quit.
const QUIT: u32 = 2;

/// An [`ExclusiveWorker`] made of one FreeRTOS task and a fixed inbox of `N` items, with
/// no allocation at all: made to sit in a `static`.
///
/// The task runs queued items in order and sleeps on its **task notification** in between
/// (no semaphore object needed). After [`quit`](Worker::quit) it finishes what it had
/// accepted, returns, and its task is deleted. A full inbox hands work back
/// ([`SubmitError::BacklogFull`]). Inside a [`Team`](threadteam_core::Team) a worker is
/// given one item at a time, so `N = 1` suffices there.
///
/// Each `TaskWorker` starts one task, once; a Team's `create_worker` hands out unused ones
/// from a static array:
///
/// ```no_run
/// use threadteam_core::{FnWork, Job};
/// use threadteam_freertos::TaskWorker;
///
/// static WORKERS: [TaskWorker<Job<FnWork>, 1>; 4] = [const { TaskWorker::new() }; 4];
/// // In `create_worker`, from a FreeRTOS task:
/// let worker: &'static TaskWorker<Job<FnWork>, 1> = WORKERS[0].start("worker0", 4096, 2).unwrap();
/// # let _ = worker;
/// ```
pub struct TaskWorker<T: 'static, const N: usize> {
    inbox: MemoryWorker<T, heapless::Deque<T, N>>,
    /// The task's handle, set once it is created (before anyone can submit to it).
    task: AtomicPtr<c_void>,
    started: AtomicBool,
    /// Submitters and quitters between queueing and notifying. The task does not return
    /// (and so get deleted) while any remain: they are about to notify it by handle.
    waking: AtomicUsize,
}

impl<T: 'static, const N: usize> TaskWorker<T, N> {
    /// A worker with no task yet; `const`, for a `static`.
    pub const fn new() -> Self {
        Self {
            inbox: MemoryWorker::with_queue(heapless::Deque::new()),
            task: AtomicPtr::new(core::ptr::null_mut()),
            started: AtomicBool::new(false),
            waking: AtomicUsize::new(0),
        }
    }

    /// Number of accepted items not yet started.
    pub fn queued(&self) -> usize {
        self.inbox.pending()
    }

    /// Whether [`quit`](Worker::quit) has been called.
    pub fn is_quit(&self) -> bool {
        self.inbox.is_quit()
    }

    /// Whether [`start`](TaskWorker::start) has created its task.
    pub fn is_started(&self) -> bool {
        !self.task.load(Ordering::Acquire).is_null()
    }

    fn notify(&self, bits: u32) {
        let handle = self.task.load(Ordering::Acquire);
        if handle.is_null() {
            // Not started: the task checks its inbox before it first sleeps.
            return;
        }
        // SAFETY: the task is alive: it returns only after seeing QUIT and `waking == 0`,
        // and the caller is counted in `waking` until this call is over.
        let task = unsafe { Task::from_raw_handle(handle) };
        task.notify(TaskNotification::SetBits(bits));
    }
}

impl<T: Work + Send + 'static, const N: usize> TaskWorker<T, N> {
    /// Creates this worker's task: `name`, `stack_words` words of stack, `priority`.
    ///
    /// # Errors
    /// [`SpawnError::AlreadyStarted`] if it has a task already; the FreeRTOS errors of task
    /// creation otherwise, after which `start` may be tried again.
    pub fn start(&'static self, name: &str, stack_words: u32, priority: u8) -> Result<&'static Self, SpawnError> {
        if self.started.swap(true, Ordering::AcqRel) {
            return Err(SpawnError::AlreadyStarted);
        }
        match spawn_static(name, stack_words, priority, self) {
            Ok(TaskId(handle)) => {
                // Before the task can be notified: nobody submits until `start` returns.
                self.task.store(handle as *mut c_void, Ordering::Release);
                Ok(self)
            }
            Err(e) => {
                self.started.store(false, Ordering::Release);
                Err(e)
            }
        }
    }
}

impl<T: Work + Send + 'static, const N: usize> StaticMain for TaskWorker<T, N> {
    fn run(&'static self) {
        let me = Task::current().expect("a TaskWorker's own task");
        loop {
            while self.inbox.perform() {}
            // Clear every bit on the way out; an infinite wait is u32::MAX ticks, so a
            // timeout just means "wait again".
            let Ok(bits) = me.wait_for_notification(0, u32::MAX, freertos_next::Duration::infinite()) else {
                continue;
            };
            if bits & QUIT != 0 {
                break;
            }
        }
        // Quit was set before QUIT was sent: everything accepted is in the inbox now.
        while self.inbox.perform() {}
        // Whoever is still between queueing and notifying holds our handle; they are
        // short non-blocking calls, but may be of lower priority: delay, do not spin.
        while self.waking.load(Ordering::SeqCst) != 0 {
            freertos_next::CurrentTask::delay(freertos_next::Duration::ticks(1));
        }
    }
}

impl<T, const N: usize> Default for TaskWorker<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

/// Counts a caller in `waking` for as long as it lives.
struct Waking<'a>(&'a AtomicUsize);

impl<'a> Waking<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count)
    }
}

impl Drop for Waking<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<T, const N: usize> Worker<T> for TaskWorker<T, N> {
    fn submit(&self, work: T) -> Result<(), SubmitError<T>> {
        let _waking = Waking::enter(&self.waking);
        self.inbox.submit(work)?;
        self.notify(WORK);
        Ok(())
    }

    fn quit(&self) -> Result<(), AlreadyQuit> {
        let _waking = Waking::enter(&self.waking);
        self.inbox.quit()?;
        self.notify(QUIT);
        Ok(())
    }
}

impl<T, const N: usize> ExclusiveWorker<T> for TaskWorker<T, N> {}

impl<T, const N: usize> fmt::Debug for TaskWorker<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskWorker")
            .field("queued", &self.inbox.pending())
            .field("quit", &self.inbox.is_quit())
            .field("started", &self.is_started())
            .finish()
    }
}

//! [`TaskWorker`]: a FreeRTOS task with a fixed inbox, all in static memory.

use core::cell::UnsafeCell;
use core::ffi::{c_ulong, c_void};
use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

use threadteam_core::{
    workers::{MemoryWorker, Work},
    AlreadyQuit, ExclusiveWorker, SubmitError, Worker,
};

use crate::ffi::{self, Buffer, Entry, TCB_WORDS};
use crate::task::{check_creation, Name};
use crate::{SpawnError, TaskId};

/// Notification bit: work was queued.
const WORK: u32 = 1;
/// Notification bit: the worker has quit.
const QUIT: u32 = 2;

/// The default stack of a [`TaskWorker`], in words (`StackType_t`): 2 KiB on a 32-bit
/// microcontroller. Worker tasks running a Team's `FnWork` used 320-936 bytes of it on a
/// Cortex-M3 (see the README's figures); size it for your work.
pub const DEFAULT_STACK_WORDS: usize = 512;

/// An [`ExclusiveWorker`] made of one FreeRTOS task and a fixed inbox of `N` items, with no
/// allocation at all: its task's control block and its stack of `STACK_WORDS` words are
/// inside it, and the task is created with `xTaskCreateStatic`. Made to sit in a `static`.
///
/// The task runs queued items in order and sleeps on its **task notification** in between
/// (no semaphore object needed). After [`quit`](Worker::quit) it finishes what it had
/// accepted, records its [stack high-water mark](TaskWorker::stack_high_water_mark),
/// returns, and is deleted. A full inbox hands work back ([`SubmitError::BacklogFull`]).
///
/// `submit` and `quit` may be called from tasks and from **interrupt handlers** (the
/// notification is then sent with `xTaskNotifyFromISR`, and the woken task runs as soon as
/// the handler returns if it outranks the interrupted one).
///
/// Two roles in a Team:
///
/// - **worker**: a Team gives a worker one item at a time, so `N = 1` suffices. Each
///   `TaskWorker` starts one task, once; a Team's `create_worker` hands out unused ones from
///   a static array.
/// - **coordinator** (`TaskWorker<Coordinate<W>, N>`, an [`ExclusiveWorker`]): every pass
///   of the Team (dispatch, task creation, retirement) then runs in this task, at its
///   priority, and a `submit` from an interrupt handler only queues an event here. Size `N`
///   for the backlog plus the workers plus a few control events.
///
/// ```no_run
/// use threadteam_core::{team::{Coordinate, Fixed, Job, Statistics, Team, TeamBuilder, TeamSlot}, workers::FnWork};
/// use threadteam_freertos::TaskWorker;
///
/// type Worker = &'static TaskWorker<Job<FnWork>, 1>;
/// type Coordinator = &'static TaskWorker<Coordinate<FnWork>, 16>;
/// type MyTeam = Team<FnWork, Worker, Coordinator, fn(&Statistics) -> Option<Worker>, Fixed<8, 4>>;
///
/// static WORKERS: [TaskWorker<Job<FnWork>, 1>; 4] = [const { TaskWorker::new() }; 4];
/// static COORDINATOR: TaskWorker<Coordinate<FnWork>, 16> = TaskWorker::new();
/// static TEAM: TeamSlot<MyTeam> = TeamSlot::new();
///
/// fn create(stats: &Statistics) -> Option<Worker> {
///     // In the coordinator's task: start the next unused worker at priority 1.
///     WORKERS.iter().find(|w| !w.is_started())?.start("worker", 1).ok()
/// }
///
/// // Before the scheduler starts, or in a task:
/// let coordinator = COORDINATOR.start("coordinator", 3).unwrap();
/// let team = TeamBuilder::new(create as fn(&Statistics) -> Option<Worker>).coordinator(coordinator).build_static(&TEAM);
/// # let _ = team;
/// ```
pub struct TaskWorker<T: 'static, const N: usize, const STACK_WORDS: usize = DEFAULT_STACK_WORDS> {
    inbox: MemoryWorker<T, heapless::Deque<T, N>>,
    /// The task's handle, set once it is created (before anyone can submit to it).
    task: AtomicPtr<c_void>,
    started: AtomicBool,
    /// Submitters and quitters between queueing and notifying. The task does not return
    /// (and so get deleted) while any remain: they are about to notify it by handle.
    waking: AtomicUsize,
    /// The stack's least free words plus one, recorded by the task as it ends; 0 before
    /// (zero-initialised, like everything here: see [`Entry`]).
    high_water: AtomicUsize,
    /// What the C trampoline calls; written once, by `start`, before the task exists.
    entry: UnsafeCell<Entry>,
    tcb: Buffer<TCB_WORDS>,
    stack: UnsafeCell<[usize; STACK_WORDS]>,
}

// SAFETY: `entry` is written only by the one `start` that wins `started`, before the task
// that reads it exists; `tcb` and `stack` are only the kernel's, through the pointers `start`
// hands it. Everything else is atomics and the inbox, which is Sync for Send items.
unsafe impl<T: Send, const N: usize, const S: usize> Sync for TaskWorker<T, N, S> {}

impl<T: 'static, const N: usize, const STACK_WORDS: usize> TaskWorker<T, N, STACK_WORDS> {
    /// A worker with no task yet; `const`, for a `static`.
    ///
    /// ```
    /// use threadteam_core::workers::FnWork;
    /// use threadteam_freertos::TaskWorker;
    ///
    /// // Up to 4 queued items, no task until `start`.
    /// static WORKER: TaskWorker<FnWork, 4> = TaskWorker::new();
    /// # let _ = &WORKER;
    /// ```
    pub const fn new() -> Self {
        Self {
            inbox: MemoryWorker::with_queue(heapless::Deque::new()),
            task: AtomicPtr::new(core::ptr::null_mut()),
            started: AtomicBool::new(false),
            waking: AtomicUsize::new(0),
            high_water: AtomicUsize::new(0),
            entry: UnsafeCell::new(Entry { main: None, arg: core::ptr::null_mut() }),
            tcb: Buffer::new(),
            stack: UnsafeCell::new([0; STACK_WORDS]),
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

    /// The task, once started: an identity only (it may have ended since).
    pub fn task(&self) -> Option<TaskId> {
        let handle = self.task.load(Ordering::Acquire);
        (!handle.is_null()).then_some(TaskId(handle as usize))
    }

    /// The task's stack high-water mark (`uxTaskGetStackHighWaterMark`): the least stack,
    /// in words, that was ever free, as the task measured it when it ended; `None` while it
    /// has not ended. `STACK_WORDS` minus this is the most the task used.
    pub fn stack_high_water_mark(&self) -> Option<usize> {
        self.high_water.load(Ordering::Acquire).checked_sub(1)
    }

    fn notify(&self, bits: u32) {
        let handle = self.task.load(Ordering::Acquire);
        if handle.is_null() {
            // Not started: the task checks its inbox before it first sleeps.
            return;
        }
        // SAFETY: the task is alive: it returns only after seeing QUIT and `waking == 0`,
        // and the caller is counted in `waking` until this call is over. The glue picks the
        // FromISR call in an interrupt handler.
        unsafe { ffi::threadteam_task_notify(handle, bits) };
    }
}

impl<T: Work + Send + 'static, const N: usize, const STACK_WORDS: usize> TaskWorker<T, N, STACK_WORDS> {
    /// Creates this worker's task, named `name` (cut to 15 bytes), at `priority`, with the
    /// control block and the `STACK_WORDS`-word stack inside this worker.
    ///
    /// # Errors
    /// [`SpawnError::AlreadyStarted`] if it has a task already;
    /// [`SpawnError::InInterrupt`] in an interrupt handler;
    /// [`SpawnError::InvalidPriority`], [`SpawnError::InvalidStackDepth`] for values the
    /// kernel does not accept. After an error other than `AlreadyStarted`, `start` may be
    /// tried again.
    pub fn start(&'static self, name: &str, priority: u8) -> Result<&'static Self, SpawnError> {
        check_creation(priority)?;
        if self.started.swap(true, Ordering::AcqRel) {
            return Err(SpawnError::AlreadyStarted);
        }
        let entry = self.entry.get();
        let arg = core::ptr::from_ref(self).cast_mut().cast::<c_void>();
        // SAFETY: we won `started`, and no task reads `entry` yet: we are its only user.
        unsafe { *entry = Entry { main: Some(run::<T, N, STACK_WORDS>), arg } };
        let name = Name::new(name);
        // SAFETY: `entry`, `tcb` and `stack` are inside this `'static` worker and given to
        // the kernel only here, once (`started`); the stack holds STACK_WORDS words; the name
        // is NUL-terminated and copied by the kernel. We are a task or before the scheduler
        // started (`check_creation` refused interrupts).
        let handle = unsafe {
            ffi::threadteam_task_create_static(
                entry,
                name.as_ptr(),
                STACK_WORDS as c_ulong,
                self.stack.get().cast::<usize>(),
                self.tcb.as_ptr(),
                c_ulong::from(priority),
            )
        };
        if handle.is_null() {
            self.started.store(false, Ordering::Release);
            return Err(SpawnError::InvalidStackDepth(u32::try_from(STACK_WORDS).unwrap_or(u32::MAX)));
        }
        // The task may run already (if it outranks us) and sleep on its notification before
        // we publish the handle; nobody can submit before `start` returns, and the task
        // checks its inbox before it first sleeps.
        self.task.store(handle, Ordering::Release);
        Ok(self)
    }

    /// The task's body.
    fn run(&'static self) {
        loop {
            while self.inbox.perform() {}
            let mut bits = 0;
            // Clear every bit on the way out; a wait of portMAX_DELAY can end without a
            // notification (unless the kernel has vTaskSuspend): then wait again.
            // SAFETY: we are this worker's own task, waiting on our own notification.
            if unsafe { ffi::threadteam_task_notify_wait(ffi::threadteam_max_delay(), &mut bits) } == 0 {
                continue;
            }
            if bits & QUIT != 0 {
                break;
            }
        }
        // Quit was set before QUIT was sent: everything accepted is in the inbox now.
        while self.inbox.perform() {}
        // Whoever is still between queueing and notifying holds our handle; they are
        // short non-blocking calls, but may be of lower priority: delay, do not spin.
        while self.waking.load(Ordering::SeqCst) != 0 {
            crate::kernel::delay(1);
        }
        self.high_water.store(crate::kernel::stack_high_water_mark() + 1, Ordering::Release);
    }
}

extern "C" fn run<T: Work + Send + 'static, const N: usize, const S: usize>(arg: *mut c_void) {
    // SAFETY: `arg` is the `&'static TaskWorker<T, N, S>` that `start` gave this task.
    let worker: &'static TaskWorker<T, N, S> = unsafe { &*arg.cast_const().cast() };
    worker.run();
}

impl<T, const N: usize, const S: usize> Default for TaskWorker<T, N, S> {
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

impl<T, const N: usize, const S: usize> Worker<T> for TaskWorker<T, N, S> {
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

impl<T, const N: usize, const S: usize> ExclusiveWorker<T> for TaskWorker<T, N, S> {}

impl<T, const N: usize, const S: usize> fmt::Debug for TaskWorker<T, N, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskWorker")
            .field("queued", &self.inbox.pending())
            .field("quit", &self.inbox.is_quit())
            .field("started", &self.is_started())
            .field("stack_words", &S)
            .field("stack_high_water_mark", &self.stack_high_water_mark())
            .finish()
    }
}

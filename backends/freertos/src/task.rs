//! Creating FreeRTOS tasks that may return: [`spawn`] and [`FreeRtosThreadFactory`] (with
//! `alloc`), and what static tasks share with them.

#[cfg(feature = "alloc")]
use alloc::boxed::Box;
use core::ffi::c_char;
#[cfg(feature = "alloc")]
use core::ffi::{c_ulong, c_void};
use core::fmt;
#[cfg(feature = "alloc")]
use core::fmt::Write as _;
#[cfg(feature = "alloc")]
use core::sync::atomic::{AtomicU32, Ordering};

#[cfg(feature = "alloc")]
use threadteam_core::port::ThreadFactory;

use crate::ffi;

/// Why a task could not be created.
///
/// ```
/// use threadteam_freertos::SpawnError;
///
/// fn describe(error: SpawnError) -> &'static str {
///     match error {
///         SpawnError::OutOfMemory => "grow configTOTAL_HEAP_SIZE",
///         SpawnError::InInterrupt => "start tasks from a task",
///         _ => "fix the task's parameters",
///     }
/// }
/// assert_eq!(describe(SpawnError::OutOfMemory), "grow configTOTAL_HEAP_SIZE");
/// let as_error: &(dyn core::error::Error + Send + Sync) = &SpawnError::InInterrupt;
/// # let _ = as_error;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpawnError {
    /// The FreeRTOS heap (`configTOTAL_HEAP_SIZE`) has no room for the task's control block
    /// and stack, or for the worker's semaphore.
    OutOfMemory,
    /// The priority is not below `configMAX_PRIORITIES` (FreeRTOS would assert).
    InvalidPriority {
        /// The priority asked for.
        priority: u8,
        /// `configMAX_PRIORITIES`.
        max: u32,
    },
    /// The stack depth does not fit the port's `configSTACK_DEPTH_TYPE`.
    InvalidStackDepth(u32),
    /// A [`TaskWorker`](crate::TaskWorker) that already has its task.
    AlreadyStarted,
    /// Called from an interrupt handler, where FreeRTOS creates no task. A Team keeps the
    /// work queued and creates the worker at a later event in a task.
    InInterrupt,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutOfMemory => f.write_str("the FreeRTOS heap is exhausted"),
            Self::InvalidPriority { priority, max } => {
                write!(f, "task priority {priority} is not below configMAX_PRIORITIES ({max})")
            }
            Self::InvalidStackDepth(words) => write!(f, "a stack of {words} words does not fit configSTACK_DEPTH_TYPE"),
            Self::AlreadyStarted => f.write_str("this worker's task was already started"),
            Self::InInterrupt => f.write_str("no task can be created in an interrupt handler"),
        }
    }
}

impl core::error::Error for SpawnError {}

/// Identifies a task created here (its FreeRTOS handle, as a number).
///
/// Only an identity: the task may have returned and been deleted by the time you look at
/// it, so no FreeRTOS call can be made through it.
///
/// ``` no_run
/// let first = threadteam_freertos::spawn("a", 512, 1, || ()).unwrap();
/// let second = threadteam_freertos::spawn("b", 512, 1, || ()).unwrap();
/// assert_ne!(first, second); // an identity, for logs and maps, not a handle to call through
/// let _key: usize = first.as_usize();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TaskId(pub(crate) usize);

impl TaskId {
    /// The numeric value of the task's handle when it was created.
    pub fn as_usize(self) -> usize {
        self.0
    }
}

/// A NUL-terminated task name on the stack: FreeRTOS copies (and truncates) it at creation.
pub(crate) struct Name {
    bytes: [u8; 32],
    len: usize,
}

impl Name {
    pub(crate) fn new(name: &str) -> Self {
        let mut this = Self { bytes: [0; 32], len: 0 };
        let _ = fmt::Write::write_str(&mut this, name);
        this
    }

    pub(crate) fn as_ptr(&self) -> *const c_char {
        self.bytes.as_ptr().cast()
    }
}

impl fmt::Write for Name {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Keep the last byte for the NUL; a longer name is cut (FreeRTOS keeps at most
        // configMAX_TASK_NAME_LEN - 1 bytes anyway). An interior NUL just ends it early.
        for &b in s.as_bytes() {
            if self.len + 1 < self.bytes.len() {
                self.bytes[self.len] = b;
                self.len += 1;
            }
        }
        Ok(())
    }
}

/// Whether a task of `priority` may be created here and now.
pub(crate) fn check_creation(priority: u8) -> Result<(), SpawnError> {
    if ffi::in_isr() {
        return Err(SpawnError::InInterrupt);
    }
    let max = ffi::threadteam_max_priorities();
    if core::ffi::c_ulong::from(priority) >= max {
        return Err(SpawnError::InvalidPriority { priority, max: ffi::narrow(max) });
    }
    Ok(())
}

/// Creates a task from the FreeRTOS heap that calls `main(arg)`; the task deletes itself
/// once `main` returns.
#[cfg(feature = "alloc")]
fn create(
    name: &Name,
    stack_words: u32,
    priority: u8,
    main: ffi::TaskMain,
    arg: *mut c_void,
) -> Result<TaskId, SpawnError> {
    check_creation(priority)?;
    let mut handle: *mut c_void = core::ptr::null_mut();
    // SAFETY: `name` is NUL-terminated and outlives the call (FreeRTOS copies it); `handle`
    // is a valid out-pointer; `main` is an `extern "C"` fn that the caller pairs with an
    // `arg` it accepts, and ownership of `arg` passes to the task only on success.
    let created = unsafe {
        ffi::threadteam_task_create(
            main,
            arg,
            name.as_ptr(),
            c_ulong::from(stack_words),
            c_ulong::from(priority),
            &mut handle,
        )
    };
    match created {
        1 => Ok(TaskId(handle as usize)),
        -1 => Err(SpawnError::InvalidStackDepth(stack_words)),
        _ => Err(SpawnError::OutOfMemory),
    }
}

#[cfg(feature = "alloc")]
type Closure = Box<dyn FnOnce() + Send + 'static>;

/// The task's main for [`spawn`]: runs and frees the boxed closure, then returns to C.
#[cfg(feature = "alloc")]
extern "C" fn run_boxed(arg: *mut c_void) {
    // SAFETY: `arg` came from `Box::into_raw(Box<Closure>)` in `spawn` and is passed to
    // exactly one task, which calls this exactly once.
    let main: Box<Closure> = unsafe { Box::from_raw(arg.cast::<Closure>()) };
    main();
}

/// Creates a FreeRTOS task running `main`; when `main` returns, the task deletes itself.
///
/// `stack_words` is the task's stack depth in words, taken from the FreeRTOS heap with its
/// control block; `priority` must be below `configMAX_PRIORITIES` (1 to 7 with this
/// crate's 8; 0 is the idle task's). `name` is copied and cut to
/// `configMAX_TASK_NAME_LEN - 1` bytes. It may be called before the scheduler starts, or
/// from a task. (Without `alloc`, tasks are [`TaskWorker`](crate::TaskWorker)s.)
///
/// ```no_run
/// let task = threadteam_freertos::spawn("blinker", 512, 2, || { /* runs, returns, is deleted */ });
/// # let _ = task;
/// ```
///
/// # Errors
/// [`SpawnError`] when the task cannot be created (no room in the FreeRTOS heap, a bad
/// priority, an interrupt handler); `main` is then dropped without running.
#[cfg(feature = "alloc")]
pub fn spawn(
    name: &str,
    stack_words: u32,
    priority: u8,
    main: impl FnOnce() + Send + 'static,
) -> Result<TaskId, SpawnError> {
    spawn_boxed(&Name::new(name), stack_words, priority, Box::new(main))
}

#[cfg(feature = "alloc")]
fn spawn_boxed(name: &Name, stack_words: u32, priority: u8, main: Closure) -> Result<TaskId, SpawnError> {
    let arg = Box::into_raw(Box::new(main)).cast::<c_void>();
    create(name, stack_words, priority, run_boxed, arg).inspect_err(|_| {
        // SAFETY: the task was not created, so `arg` is still ours, from `Box::into_raw`.
        drop(unsafe { Box::from_raw(arg.cast::<Closure>()) });
    })
}

/// A [`ThreadFactory`] that starts each thread as a FreeRTOS task.
///
/// Tasks are named `name` followed by a running number (`worker0`, `worker1`, ...), cut to
/// `configMAX_TASK_NAME_LEN - 1` bytes. When a thread's closure returns, its task deletes
/// itself (through a C trampoline, so this is clean on the POSIX port too).
///
/// Called from an interrupt handler it creates nothing and returns
/// [`SpawnError::InInterrupt`]; a Team keeps the work queued until a later event in a task.
///
/// ```no_run
/// use threadteam_core::port::ThreadFactory;
/// use threadteam_freertos::FreeRtosThreadFactory;
///
/// let factory = FreeRtosThreadFactory::new("worker", 512, 2);
/// // From a FreeRTOS task (or before the scheduler starts):
/// let task = factory.start(|| { /* runs in the task "worker0" */ }).unwrap();
/// # let _ = task;
/// ```
#[cfg(feature = "alloc")]
#[derive(Debug)]
pub struct FreeRtosThreadFactory {
    name: &'static str,
    stack_words: u32,
    priority: u8,
    started: AtomicU32,
}

#[cfg(feature = "alloc")]
impl FreeRtosThreadFactory {
    /// Tasks named after `name`, with a stack of `stack_words` words and `priority`.
    ///
    /// ```
    /// use threadteam_freertos::FreeRtosThreadFactory;
    ///
    /// // Tasks "io0", "io1", ... with 1024-word stacks at priority 2.
    /// let factory = FreeRtosThreadFactory::new("io", 1024, 2);
    /// assert_eq!(factory.priority(), 2);
    /// ```
    pub const fn new(name: &'static str, stack_words: u32, priority: u8) -> Self {
        Self { name, stack_words, priority, started: AtomicU32::new(0) }
    }

    /// The priority of the tasks it starts.
    pub fn priority(&self) -> u8 {
        self.priority
    }

    /// The stack depth, in words, of the tasks it starts.
    pub fn stack_words(&self) -> u32 {
        self.stack_words
    }
}

#[cfg(feature = "alloc")]
impl ThreadFactory for FreeRtosThreadFactory {
    type Thread = TaskId;
    type Error = SpawnError;

    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<TaskId, SpawnError> {
        let n = self.started.fetch_add(1, Ordering::Relaxed);
        let mut name = Name::new(self.name);
        let _ = write!(name, "{n}");
        spawn_boxed(&name, self.stack_words, self.priority, Box::new(main))
    }
}

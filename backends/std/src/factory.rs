//! [`StdThreadFactory`]: starts OS threads through `std::thread::Builder`.

use core::fmt;
use core::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{Builder, JoinHandle};

use threadteam_core::port::ThreadFactory;

/// Starts named OS threads (`threadteam-1`, `threadteam-2`, ... by default) with an
/// optional stack size. A refused spawn is a [`SpawnError`], never a panic; so is a name
/// prefix with a NUL byte (`ErrorKind::InvalidInput`), which std's spawn would panic on.
///
/// ```
/// use threadteam::port::ThreadFactory;
/// use threadteam::StdThreadFactory;
///
/// let factory = StdThreadFactory::new().name_prefix("io").stack_size(256 * 1024);
/// let handle = factory.start(|| assert_eq!(std::thread::current().name(), Some("io-1"))).unwrap();
/// handle.join().unwrap();
/// ```
#[derive(Debug)]
pub struct StdThreadFactory {
    prefix: String,
    stack_size: Option<usize>,
    next: AtomicUsize,
}

impl Default for StdThreadFactory {
    fn default() -> Self {
        Self::new()
    }
}

impl StdThreadFactory {
    /// Threads named `threadteam-N`, with the platform's default stack size.
    ///
    /// ```
    /// use threadteam::port::ThreadFactory;
    /// use threadteam::StdThreadFactory;
    ///
    /// let factory = StdThreadFactory::new();
    /// let thread = factory.start(|| assert_eq!(std::thread::current().name(), Some("threadteam-1"))).unwrap();
    /// thread.join().unwrap();
    /// ```
    pub fn new() -> Self {
        Self { prefix: "threadteam".into(), stack_size: None, next: AtomicUsize::new(1) }
    }

    /// Names threads `{prefix}-N`, N counting from 1, never repeating. A prefix with a NUL
    /// byte makes every [`start`](ThreadFactory::start) fail with a [`SpawnError`].
    ///
    /// ```
    /// use threadteam::port::ThreadFactory;
    /// use threadteam::StdThreadFactory;
    ///
    /// let bad = StdThreadFactory::new().name_prefix("a\0b");
    /// assert_eq!(bad.start(|| ()).unwrap_err().0.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    #[must_use]
    pub fn name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The name prefix.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Gives each thread a stack of `bytes`.
    #[must_use]
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }
}

impl ThreadFactory for StdThreadFactory {
    type Thread = JoinHandle<()>;
    type Error = SpawnError;

    fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<JoinHandle<()>, SpawnError> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let name = format!("{}-{n}", self.prefix);
        // std's spawn panics on such a name; a factory must return an error instead.
        check_name(&name)?;
        let mut builder = Builder::new().name(name);
        if let Some(bytes) = self.stack_size {
            builder = builder.stack_size(bytes);
        }
        builder.spawn(main).map_err(SpawnError)
    }
}

/// A thread name std cannot give a thread (it panics on one with a NUL byte).
pub(crate) fn check_name(name: &str) -> Result<(), SpawnError> {
    if name.contains('\0') {
        let error = std::io::Error::new(std::io::ErrorKind::InvalidInput, "a thread name may not contain a NUL byte");
        return Err(SpawnError(error));
    }
    Ok(())
}

/// The OS refused to start a thread.
///
/// ```
/// use threadteam::port::ThreadFactory;
/// use threadteam::{SpawnError, StdThreadFactory};
///
/// /// A factory that refuses, as an OS out of threads does.
/// struct Exhausted;
/// impl ThreadFactory for Exhausted {
///     type Thread = std::thread::JoinHandle<()>;
///     type Error = SpawnError;
///     fn start<M: FnOnce() + Send + 'static>(&self, _: M) -> Result<Self::Thread, SpawnError> {
///         Err(SpawnError(std::io::Error::new(std::io::ErrorKind::WouldBlock, "no more threads")))
///     }
/// }
/// let err = Exhausted.start(|| ()).unwrap_err();
/// assert_eq!(err.to_string(), "could not start a thread: no more threads");
/// assert_eq!(err.0.kind(), std::io::ErrorKind::WouldBlock); // also its `source()`
/// # let _ = StdThreadFactory::new();
/// ```
#[derive(Debug)]
pub struct SpawnError(pub std::io::Error);

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not start a thread: {}", self.0)
    }
}

impl core::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        Some(&self.0)
    }
}

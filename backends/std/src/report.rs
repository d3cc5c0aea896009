//! The default reports: a panic in work and a refused thread spawn. On stderr, or through
//! the `log` crate when the `log` feature is on.

use core::fmt;

use threadteam_core::Failure;

/// The default panic hook of [`pool()`](crate::pool) and [`ThreadPool`](crate::ThreadPool):
/// reports a panic caught in work, naming the thread it ran on.
///
/// Without the `log` feature it writes a line to stderr, in the manner of an uncaught
/// thread panic (`threadteam: work panicked on thread 'io-3': boom`); with `log` it calls
/// `log::error!` with target `threadteam`. Note that Rust's own panic hook has already
/// printed its message (with location) when the panic happened, as it does for every
/// panic, caught or not; install a quieter one with [`std::panic::set_hook`] if needed.
///
/// Use it to chain a custom hook to the default:
///
/// ```
/// use threadteam_std::{default_panic_hook, ThreadPool};
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let seen = Arc::new(AtomicUsize::new(0));
/// let counter = Arc::clone(&seen);
/// let pool = ThreadPool::builder()
///     .on_panic(move |failure| {
///         counter.fetch_add(1, Ordering::Relaxed);
///         default_panic_hook(failure);
///     })
///     .build();
/// # drop(pool);
/// ```
pub fn default_panic_hook(failure: &Failure) {
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("<unnamed>");
    let message = failure.message().unwrap_or("Box<dyn Any>");
    #[cfg(feature = "log")]
    log::error!(target: "threadteam", "work panicked on thread '{name}': {message}");
    #[cfg(not(feature = "log"))]
    eprintln!("threadteam: work panicked on thread '{name}': {message}");
}

/// The default spawn-error hook: reports that a thread could not be started. The work
/// that wanted it stays queued (see [`ThreadPool`](crate::ThreadPool)).
///
/// Without the `log` feature it writes a line to stderr; with `log` it calls `log::warn!`
/// with target `threadteam`.
pub fn default_spawn_error_hook(error: &dyn fmt::Display) {
    #[cfg(feature = "log")]
    log::warn!(target: "threadteam", "{error}; the work stays queued");
    #[cfg(not(feature = "log"))]
    eprintln!("threadteam: {error}; the work stays queued");
}

/// Calls a user hook; a hook that panics must not take the pool (or the coordinator lock
/// it may be called under) down with it.
pub(crate) fn call_hook<A: ?Sized>(hook: &(dyn Fn(&A) + Send + Sync), arg: &A) {
    let _ = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| hook(arg)));
}

//! The default reports: a panic in work and a refused thread spawn. On stderr, or through
//! the `log` crate when the `log` feature is on.

use core::fmt;

use threadteam_core::Failure;

/// The default panic hook of [`pool()`](crate::pool) and [`ThreadPool`](crate::ThreadPool):
/// reports a panic caught in work, naming the thread it ran on.
///
/// Without the `log` and `tracing` features it writes a line to stderr, in the manner of an
/// uncaught thread panic (`threadteam: work panicked on thread 'io-3': boom`); with `log` it
/// calls `log::error!`, with `tracing` it emits a `tracing` error event (with a `thread`
/// field), each with target `threadteam`. Note that Rust's own panic hook has already
/// printed its message (with location) when the panic happened, as it does for every
/// panic, caught or not; install a quieter one with [`std::panic::set_hook`] if needed.
///
/// Use it to chain a custom hook to the default:
///
/// ```
/// use threadteam::{default_panic_hook, ThreadPool};
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
    #[cfg(feature = "tracing")]
    tracing::error!(target: "threadteam", thread = name, "work panicked: {message}");
    #[cfg(feature = "log")]
    log::error!(target: "threadteam", "work panicked on thread '{name}': {message}");
    #[cfg(not(any(feature = "log", feature = "tracing")))]
    eprintln!("threadteam: work panicked on thread '{name}': {message}");
}

/// The default spawn-error hook: reports that a thread could not be started. The work
/// that wanted it stays queued (see [`ThreadPool`](crate::ThreadPool)).
///
/// Without the `log` and `tracing` features it writes a line to stderr; with `log` it calls
/// `log::warn!`, with `tracing` it emits a `tracing` warning event, each with target
/// `threadteam`.
///
/// ```
/// use threadteam::{default_spawn_error_hook, Pool};
///
/// let pool = Pool::builder()
///     .on_spawn_error(|error| {
///         // ... count it, then report it as the pool would have:
///         default_spawn_error_hook(error);
///     })
///     .build()
///     .unwrap();
/// # drop(pool);
/// ```
pub fn default_spawn_error_hook(error: &dyn fmt::Display) {
    #[cfg(feature = "tracing")]
    tracing::warn!(target: "threadteam", "{error}; the work stays queued");
    #[cfg(feature = "log")]
    log::warn!(target: "threadteam", "{error}; the work stays queued");
    #[cfg(not(any(feature = "log", feature = "tracing")))]
    eprintln!("threadteam: {error}; the work stays queued");
}

/// Work that runs inside the span that is current now, where it is submitted (with the
/// `tracing` feature; otherwise the work itself).
pub(crate) fn in_current_span<F: FnOnce() + Send + 'static>(work: F) -> threadteam_core::workers::BoxedWork {
    #[cfg(feature = "tracing")]
    {
        let span = tracing::Span::current();
        if !span.is_none() {
            return Box::new(move || span.in_scope(work));
        }
    }
    Box::new(work)
}

/// Boxed work, made to run inside the span current where it is submitted (with the
/// `tracing` feature and a current span; otherwise unchanged, and not boxed again).
pub(crate) fn boxed_in_current_span(work: threadteam_core::workers::BoxedWork) -> threadteam_core::workers::BoxedWork {
    #[cfg(feature = "tracing")]
    {
        let span = tracing::Span::current();
        if !span.is_none() {
            return Box::new(move || span.in_scope(work));
        }
    }
    work
}

/// Calls a user hook; a hook that panics must not take the pool (or the coordinator lock
/// it may be called under) down with it.
pub(crate) fn call_hook<A: ?Sized>(hook: &(dyn Fn(&A) + Send + Sync), arg: &A) {
    if let Err(payload) = threadteam_core::unwind::catch(|| hook(arg)) {
        // Its payload's drop may panic too.
        threadteam_core::unwind::discard(payload);
    }
}

/// A panic payload's message, when it is a string.
pub(crate) fn panic_message(payload: &(dyn core::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a non-string payload)")
}

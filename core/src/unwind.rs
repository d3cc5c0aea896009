//! Dropping what user code gave us without letting its panics escape: a panic payload, a
//! closure's captures, a result, a hook's panic. The one place that decides what happens
//! when a `Drop` panics.
//!
//! Without `std` a panic does not unwind (it aborts or halts), so there is nothing to catch
//! and these are plain drops.

#[cfg(feature = "std")]
use alloc::boxed::Box;

/// A caught panic's payload.
#[cfg(feature = "std")]
pub type Payload = Box<dyn core::any::Any + Send + 'static>;

/// Runs `f`, catching a panic (with `std`). Unwind safety is the caller's: the places that
/// use it observe nothing `f` touched after a panic except the payload.
#[cfg(feature = "std")]
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Payload> {
    std::panic::catch_unwind(core::panic::AssertUnwindSafe(f))
}

/// Drops `value`, catching a panic in its `Drop`; that panic's payload is discarded (see
/// `discard`; the panic hook has already printed its message). Returns whether the drop
/// panicked.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// use threadteam_core::unwind::drop_caught;
///
/// struct Loud;
/// impl Drop for Loud {
///     fn drop(&mut self) {
///         panic!("in drop");
///     }
/// }
/// # #[cfg(feature = "std")]
/// assert!(drop_caught(Loud));
/// assert!(!drop_caught(String::from("quiet")));
/// ```
pub fn drop_caught<T>(value: T) -> bool {
    #[cfg(feature = "std")]
    {
        match catch(move || drop(value)) {
            Ok(()) => false,
            Err(payload) => {
                discard(payload);
                true
            }
        }
    }
    #[cfg(not(feature = "std"))]
    {
        drop(value);
        false
    }
}

/// Drops a caught panic's payload. A payload whose own `Drop` panics is dropped as far as
/// it goes (the panic is caught), and the payload of *that* panic is forgotten (leaked)
/// rather than dropped: dropping payloads could otherwise go on raising panics for ever,
/// and a leak of one box is the bounded price.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// use threadteam_core::unwind::{catch, discard};
///
/// let payload = catch(|| panic!("boom")).unwrap_err();
/// discard(payload); // never panics
/// ```
#[cfg(feature = "std")]
pub fn discard(payload: Payload) {
    if let Err(inner) = catch(move || drop(payload)) {
        core::mem::forget(inner);
    }
}

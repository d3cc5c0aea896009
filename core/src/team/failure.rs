//! [`Failure`]: work that failed (panicked), and the hook that hears of it.

use core::fmt;

/// A failed work item, as given to the failure hook.
///
/// With `std`, a failure is a panic caught around the item; its payload is available.
/// Without `std` a panic aborts, so no failure is ever reported.
pub struct Failure {
    #[cfg(feature = "std")]
    payload: alloc::boxed::Box<dyn core::any::Any + Send + 'static>,
    #[cfg(not(feature = "std"))]
    _never: core::convert::Infallible,
}

impl Failure {
    #[cfg(feature = "std")]
    pub(crate) fn from_panic(payload: alloc::boxed::Box<dyn core::any::Any + Send + 'static>) -> Self {
        Self { payload }
    }

    /// The panic message, when the payload is a string (as with `panic!("...")`).
    pub fn message(&self) -> Option<&str> {
        #[cfg(feature = "std")]
        {
            let p = &self.payload;
            p.downcast_ref::<&'static str>()
                .copied()
                .or_else(|| p.downcast_ref::<alloc::string::String>().map(|s| s.as_str()))
        }
        #[cfg(not(feature = "std"))]
        match self._never {}
    }

    /// The panic payload, e.g. to resume the panic elsewhere.
    #[cfg(feature = "std")]
    pub fn into_payload(self) -> alloc::boxed::Box<dyn core::any::Any + Send + 'static> {
        self.payload
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure").field("message", &self.message()).finish()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.message() {
            Some(m) => write!(f, "work panicked: {m}"),
            None => f.write_str("work panicked"),
        }
    }
}

/// Who hears about failed work.
#[cfg_attr(not(feature = "std"), allow(dead_code))] // without std nothing fails
pub(crate) enum Hook {
    /// With `std`: a line on stderr, like an uncaught thread panic's. Otherwise nothing.
    Default,
    /// Without an allocator: a function.
    #[cfg(not(feature = "alloc"))]
    Fn(fn(&Failure)),
    /// With one: any closure.
    #[cfg(feature = "alloc")]
    Boxed(alloc::boxed::Box<dyn Fn(&Failure) + Send + Sync>),
}

#[cfg_attr(not(feature = "std"), allow(dead_code))]
impl Hook {
    pub(crate) fn call(&self, failure: &Failure) {
        match self {
            Hook::Default => {
                #[cfg(feature = "std")]
                std::eprintln!("threadteam: {failure}");
                #[cfg(not(feature = "std"))]
                let _ = failure;
            }
            #[cfg(not(feature = "alloc"))]
            Hook::Fn(f) => f(failure),
            #[cfg(feature = "alloc")]
            Hook::Boxed(f) => f(failure),
        }
    }
}

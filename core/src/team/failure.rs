//! [`Failure`]: work that failed (panicked), and the hook that hears of it.

use core::fmt;

/// A failed work item, as given to the failure hook (and inside
/// `TaskError::Panicked`, with `alloc`).
///
/// With `std`, a failure is a panic caught around the item; [`message`](Failure::message)
/// and [`payload_is`](Failure::payload_is) look at its payload by reference (as a hook
/// must), `into_payload` hands it back, e.g. to resume the panic.
/// Without `std` a panic aborts, so no failure is ever reported.
///
/// A `Failure` is `Send + Sync` (so is a `TaskError` holding one), though
/// a panic payload is only `Send`: a string payload, which almost every panic has, is kept
/// as a string; any other payload is kept where only `into_payload` reaches it.
///
/// ```
/// # #[cfg(feature = "std")]
/// # fn main() {
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use std::sync::{Arc, Mutex};
/// use threadteam::team::{Coordinate, Job, TeamBuilder};
/// use threadteam::workers::{create_memory_worker, BoxedWork};
/// use threadteam::Worker;
///
/// struct Code(u32); // a payload that is not a string
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// let (coordinator, coordinate) = create_memory_worker::<Coordinate<BoxedWork>>();
/// let (worker, work) = create_memory_worker::<Job<BoxedWork>>();
/// let team = TeamBuilder::new(move |_| Some(worker.clone()))
///     .coordinator(coordinator)
///     .on_failure(move |failure| {
///         log.lock().unwrap().push((failure.message().map(String::from), failure.payload_is::<Code>()));
///     })
///     .build();
/// team.submit(Box::new(|| panic!("disk full"))).unwrap();
/// team.submit(Box::new(|| std::panic::panic_any(Code(7)))).unwrap();
/// coordinate.perform_all();
/// work.perform_all();
/// assert_eq!(*seen.lock().unwrap(), [(Some("disk full".to_string()), false), (None, true)]);
/// # coordinate.perform_all();
/// # }
/// # #[cfg(not(feature = "std"))]
/// # fn main() {}
/// ```
pub struct Failure {
    #[cfg(feature = "std")]
    payload: Payload,
    #[cfg(not(feature = "std"))]
    _never: core::convert::Infallible,
}

/// A panic payload, kept so that a shared `&Failure` can be read from any thread.
#[cfg(feature = "std")]
enum Payload {
    /// `panic!("literal")`.
    Str(&'static str),
    /// `panic!("{formatted}")`.
    String(alloc::string::String),
    /// Anything else (`panic_any`): only `Send`, so it is reachable by value alone (see
    /// [`Refused`](crate::Refused), which holds refused work the same way), with its type
    /// noted for [`Failure::payload_is`].
    Other(core::any::TypeId, crate::Refused<alloc::boxed::Box<dyn core::any::Any + Send + 'static>>),
}

impl Failure {
    /// A failure carrying a caught panic's `payload`.
    #[cfg(feature = "std")]
    pub(crate) fn from_panic(payload: alloc::boxed::Box<dyn core::any::Any + Send + 'static>) -> Self {
        let payload = match payload.downcast::<&'static str>() {
            Ok(message) => Payload::Str(*message),
            Err(payload) => match payload.downcast::<alloc::string::String>() {
                Ok(message) => Payload::String(*message),
                Err(other) => Payload::Other(core::any::Any::type_id(&*other), crate::Refused::new(other)),
            },
        };
        Self { payload }
    }

    /// The panic message, when the payload is a string (as with `panic!("...")`).
    pub fn message(&self) -> Option<&str> {
        #[cfg(feature = "std")]
        match &self.payload {
            Payload::Str(message) => Some(message),
            Payload::String(message) => Some(message),
            Payload::Other(..) => None,
        }
        #[cfg(not(feature = "std"))]
        match self._never {}
    }

    /// Whether the panic payload is a `T`: `&'static str` or `String` for `panic!` with a
    /// message, or the value given to `std::panic::panic_any`.
    ///
    /// ```
    /// # #[cfg(feature = "std")]
    /// # fn main() {
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::TaskError;
    ///
    /// let err = TaskError::from_panic(Box::new(404_u16));
    /// let TaskError::Panicked(failure) = &err else { unreachable!() };
    /// assert!(failure.payload_is::<u16>());
    /// assert!(!failure.payload_is::<String>());
    /// # }
    /// # #[cfg(not(feature = "std"))]
    /// # fn main() {}
    /// ```
    pub fn payload_is<T: core::any::Any>(&self) -> bool {
        #[cfg(feature = "std")]
        {
            use core::any::TypeId;
            let payload = match &self.payload {
                Payload::Str(_) => TypeId::of::<&'static str>(),
                Payload::String(_) => TypeId::of::<alloc::string::String>(),
                Payload::Other(type_id, _) => *type_id,
            };
            payload == TypeId::of::<T>()
        }
        #[cfg(not(feature = "std"))]
        match self._never {}
    }

    /// The panic payload, e.g. to resume the panic elsewhere with
    /// [`std::panic::resume_unwind`]. It has the type the panic gave it.
    #[cfg(feature = "std")]
    pub fn into_payload(self) -> alloc::boxed::Box<dyn core::any::Any + Send + 'static> {
        match self.payload {
            Payload::Str(message) => alloc::boxed::Box::new(message),
            Payload::String(message) => alloc::boxed::Box::new(message),
            Payload::Other(_, payload) => payload.into_inner(),
        }
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

impl core::error::Error for Failure {}

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

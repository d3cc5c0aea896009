//! The one-shot quit flag.

use crate::sync::{const_unless_loom, AtomicBool, Ordering};
use crate::AlreadyQuit;

/// A flag that can be set exactly once (Twisted's `Quit`).
///
/// Unlike Twisted's, [`set`](crate::workers::Quit::set) is atomic: when threads race, exactly one wins and
/// every other gets [`AlreadyQuit`].
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::workers::Quit;
/// use threadteam::AlreadyQuit;
///
/// let q = Quit::new();
/// assert!(q.check().is_ok());
/// q.set().unwrap();
/// assert!(q.is_set());
/// assert_eq!(q.set(), Err(AlreadyQuit));
/// assert_eq!(q.check(), Err(AlreadyQuit));
/// ```
#[derive(Debug, Default)]
pub struct Quit(AtomicBool);

impl Quit {
    const_unless_loom! {
        /// A flag that is not set.
        ///
        /// ```
        /// # use threadteam_critical_section_std as _; // a host critical-section implementation
        /// # use threadteam_core as threadteam;
        /// use threadteam::workers::Quit;
        ///
        /// assert!(!Quit::new().is_set());
        /// ```
        pub fn new() -> Self {
            Self(AtomicBool::new(false))
        }
    }

    /// Sets the flag.
    ///
    /// # Errors
    /// [`AlreadyQuit`] if it was already set.
    pub fn set(&self) -> Result<(), AlreadyQuit> {
        if self.0.swap(true, Ordering::AcqRel) {
            Err(AlreadyQuit)
        } else {
            Ok(())
        }
    }

    /// Checks the flag.
    ///
    /// # Errors
    /// [`AlreadyQuit`] if it is set.
    pub fn check(&self) -> Result<(), AlreadyQuit> {
        if self.is_set() {
            Err(AlreadyQuit)
        } else {
            Ok(())
        }
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

//! What a worker runs.

/// A unit of work: consumed by running it once.
///
/// Every `FnOnce()` closure is `Work`. Without an allocator, use [`FnWork`](crate::workers::FnWork) (a function
/// pointer plus an argument) or implement `Work` for your own enum of jobs.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::workers::Work;
///
/// enum Job { Blink(u8), Log }
/// impl Work for Job {
///     fn run(self) {
///         match self { Job::Blink(n) => { let _ = n; } Job::Log => {} }
///     }
/// }
/// Job::Blink(3).run();
/// ```
pub trait Work {
    /// Runs the work, consuming it.
    fn run(self);
}

impl<F: FnOnce()> Work for F {
    fn run(self) {
        self()
    }
}

/// Work as a plain function pointer and a word-sized argument: the no-alloc work item.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::workers::{FnWork, Work};
///
/// fn blink(times: usize) { assert_eq!(times, 3); }
/// FnWork::new(blink, 3).run();
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FnWork {
    /// The function to call.
    pub func: fn(usize),
    /// Its argument.
    pub arg: usize,
}

impl FnWork {
    /// Work that calls `func(arg)`.
    ///
    /// ```
    /// # use threadteam_critical_section_std as _; // a host critical-section implementation
    /// # use threadteam_core as threadteam;
    /// use threadteam::workers::{FnWork, Work};
    ///
    /// const BLINK_TWICE: FnWork = FnWork::new(|times| assert_eq!(times, 2), 2); // `const`: fits a `static`
    /// BLINK_TWICE.run();
    /// ```
    pub const fn new(func: fn(usize), arg: usize) -> Self {
        Self { func, arg }
    }
}

impl Work for FnWork {
    fn run(self) {
        (self.func)(self.arg)
    }
}

/// A heap-allocated closure: the usual work type when `alloc` is available.
///
/// ```
/// # use threadteam_critical_section_std as _; // a host critical-section implementation
/// # use threadteam_core as threadteam;
/// use threadteam::workers::{BoxedWork, Work};
///
/// let greeting = String::from("hello");
/// let work: BoxedWork = Box::new(move || assert_eq!(greeting, "hello"));
/// work.run();
/// ```
#[cfg(feature = "alloc")]
pub type BoxedWork = alloc::boxed::Box<dyn FnOnce() + Send + 'static>;

//! A FreeRTOS semaphore or mutex in memory the Rust value owns, created on first use.

use core::ffi::c_void;
use core::sync::atomic::{AtomicPtr, Ordering};

use crate::ffi::{self, Buffer, SEMAPHORE_WORDS};

/// Which kernel object to create.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Binary,
    Mutex,
}

/// Memory for a `StaticSemaphore_t` plus its handle, null until the first use creates it.
///
/// Created lazily so that the owner can be built in a `const` context (a `static`), and
/// moved freely until it is first used. The kernel object points into itself (its wait
/// lists), so it must not move once created: every use checks that it sits where it was
/// created and panics otherwise, instead of handing the kernel a corrupted object. A value
/// in a `static`, in a `TeamSlot` or behind an `Arc` never moves.
pub(crate) struct StaticSemaphore {
    buffer: Buffer<SEMAPHORE_WORDS>,
    handle: AtomicPtr<c_void>,
    kind: Kind,
}

impl StaticSemaphore {
    pub(crate) const fn new(kind: Kind) -> Self {
        Self { buffer: Buffer::new(), handle: AtomicPtr::new(core::ptr::null_mut()), kind }
    }

    /// The handle, if the object exists already.
    pub(crate) fn created(&self) -> Option<*mut c_void> {
        let handle = self.handle.load(Ordering::Acquire);
        if handle.is_null() {
            return None;
        }
        assert!(
            handle == self.buffer.as_ptr(),
            "a FreeRTOS {:?} was moved after its first use (keep it in a static, a TeamSlot or an Arc)",
            self.kind
        );
        Some(handle)
    }

    /// The handle, creating the object if this is its first use; `then` runs once, right
    /// after creation, inside the same critical section (interrupts that use FreeRTOS are
    /// masked).
    ///
    /// # Panics
    /// In an interrupt handler when the object does not exist yet: the kernel creates
    /// objects from tasks only. (Callers that may run in one check [`created`] first.)
    pub(crate) fn get(&self, then: impl FnOnce(*mut c_void)) -> *mut c_void {
        if let Some(handle) = self.created() {
            return handle;
        }
        assert!(!ffi::in_isr(), "a FreeRTOS {:?} is first used in an interrupt handler", self.kind);
        critical_section::with(|_| {
            if let Some(handle) = self.created() {
                return handle;
            }
            let buffer = self.buffer.as_ptr();
            // SAFETY: `buffer` is memory for a StaticSemaphore_t (glue.c checks the size)
            // that no kernel object uses yet (the handle is null, and we are alone in this
            // critical section); it stays where it is for as long as the handle is used
            // (`created` checks that). Creating a static semaphore or mutex neither
            // blocks nor switches tasks, so it may run in a critical section.
            let handle = unsafe {
                match self.kind {
                    Kind::Binary => ffi::threadteam_binary_create_static(buffer),
                    Kind::Mutex => ffi::threadteam_mutex_create_static(buffer),
                }
            };
            assert!(!handle.is_null(), "FreeRTOS refused a static {:?}", self.kind);
            self.handle.store(handle, Ordering::Release);
            then(handle);
            handle
        })
    }
}

impl Drop for StaticSemaphore {
    fn drop(&mut self) {
        let handle = *self.handle.get_mut();
        // A value moved after its first use left its kernel object behind, unused by
        // anyone (moving needs every borrow to be over): nothing to delete here.
        if !handle.is_null() && handle == self.buffer.as_ptr() {
            // SAFETY: the object exists, in our memory, and nothing else can use it: nobody
            // borrows us any more.
            unsafe { ffi::threadteam_semaphore_delete(handle) };
        }
    }
}

impl core::fmt::Debug for StaticSemaphore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StaticSemaphore")
            .field("kind", &self.kind)
            .field("created", &!self.handle.load(Ordering::Relaxed).is_null())
            .finish()
    }
}

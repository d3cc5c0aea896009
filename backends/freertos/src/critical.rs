//! FreeRTOS's critical sections as the [`critical_section`] implementation (feature
//! `critical-section-impl`).
//!
//! In a task, `taskENTER_CRITICAL`: interrupts that may call FreeRTOS (priority value at or
//! above `configMAX_SYSCALL_INTERRUPT_PRIORITY` on Cortex-M) are masked and the scheduler
//! does not switch tasks; sections nest through the kernel's own count. In an interrupt
//! handler, `taskENTER_CRITICAL_FROM_ISR`, whose saved mask is kept here rather than in the
//! crate's restore state, so that this implementation works whatever `restore-state-*`
//! feature some other crate turns on (it returns that type's default and ignores it).
//!
//! Interrupts above `configMAX_SYSCALL_INTERRUPT_PRIORITY` are not masked, exactly as
//! FreeRTOS's own critical sections do not mask them: they must not use FreeRTOS, and so
//! must not use threadteam either.

use core::cell::UnsafeCell;

use critical_section::RawRestoreState;

use crate::ffi;

/// An interrupt handler's critical sections: how deep they nest and the mask to restore
/// when the outermost one ends.
struct IsrSections {
    depth: UnsafeCell<u32>,
    saved: UnsafeCell<core::ffi::c_ulong>,
}

// SAFETY: only touched by `acquire` and `release` in an interrupt handler while the FreeRTOS
// mask is raised, so by one handler at a time (the others that may use FreeRTOS are masked;
// tasks cannot run), and never while a task's critical section is open (that masks every
// such handler too).
unsafe impl Sync for IsrSections {}

static ISR: IsrSections = IsrSections { depth: UnsafeCell::new(0), saved: UnsafeCell::new(0) };

struct FreeRtosCriticalSection;
critical_section::set_impl!(FreeRtosCriticalSection);

// SAFETY: a task's sections are the kernel's nesting critical sections; an interrupt
// handler's raise the same mask and restore it only when the outermost one is released, so
// no other context that uses critical sections runs between `acquire` and `release`.
unsafe impl critical_section::Impl for FreeRtosCriticalSection {
    unsafe fn acquire() -> RawRestoreState {
        if ffi::in_isr() {
            // SAFETY: in an interrupt handler, as the FromISR call requires.
            let saved = unsafe { ffi::threadteam_enter_critical_from_isr() };
            // SAFETY: the mask is raised: we are alone (see `IsrSections`).
            unsafe {
                if *ISR.depth.get() == 0 {
                    *ISR.saved.get() = saved;
                }
                *ISR.depth.get() += 1;
            }
        } else {
            // SAFETY: in a task (or before the scheduler starts), as the call requires.
            unsafe { ffi::threadteam_enter_critical() };
        }
        RawRestoreState::default()
    }

    unsafe fn release(_: RawRestoreState) {
        if ffi::in_isr() {
            // SAFETY: the mask is still raised by our `acquire`: we are alone.
            let outermost = unsafe {
                *ISR.depth.get() -= 1;
                (*ISR.depth.get() == 0).then(|| *ISR.saved.get())
            };
            if let Some(saved) = outermost {
                // SAFETY: restores the mask the outermost `acquire` of this handler saved.
                unsafe { ffi::threadteam_exit_critical_from_isr(saved) };
            }
        } else {
            // SAFETY: pairs with the `acquire` of this task's section.
            unsafe { ffi::threadteam_exit_critical() };
        }
    }
}

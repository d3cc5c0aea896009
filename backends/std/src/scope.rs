//! [`scope`]: work that borrows from the caller's stack, run by a Team (or any worker of
//! boxed work), like `std::thread::scope` and rayon's `scope`.
//!
//! Workers only take `'static` work, so each scoped closure is boxed and its lifetime
//! erased before it is submitted. That is the one `unsafe` operation in this crate, and it
//! is sound because [`scope`] does not return, normally or by unwinding, until every
//! closure it handed out has been dropped (after running, or unrun). See the `SAFETY`
//! comment in [`Scope::spawn`].
#![allow(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use threadteam_core::{workers::BoxedWork, TaskError, Worker};

/// Runs `f` with a [`Scope`] whose [`spawn`](Scope::spawn) hands work to `worker`; that
/// work may borrow anything that outlives the call. Returns `f`'s result once every piece
/// of scoped work has finished.
///
/// ```
/// use threadteam::{pool, scope, StdThreadFactory};
///
/// let pool = pool(|| 2, StdThreadFactory::new());
/// let mut numbers = vec![1, 2, 3, 4];
/// let total = 10;
/// scope(&*pool, |s| {
///     for n in numbers.iter_mut() {
///         s.spawn(move || *n *= total); // borrows `numbers` and `total`
///     }
/// });
/// assert_eq!(numbers, [10, 20, 30, 40]);
/// ```
///
/// Neither a handle nor a borrow of something that dies inside the scope can escape it:
///
/// ```compile_fail
/// # use threadteam::{pool, scope, StdThreadFactory};
/// # let pool = pool(|| 1, StdThreadFactory::new());
/// let handle = scope(&*pool, |s| s.spawn(|| 1)); // the handle would outlive its scope
/// ```
///
/// ```compile_fail,E0373
/// # use threadteam::{pool, scope, StdThreadFactory};
/// # let pool = pool(|| 1, StdThreadFactory::new());
/// scope(&*pool, |s| {
///     let local = vec![1];
///     s.spawn(|| local.len()); // `local` dies before the scope ends
/// });
/// ```
///
/// Do not block in `scope` from inside `worker`'s own work when `worker` may have no other
/// free thread: the scoped work would wait behind the thread that waits for it.
///
/// # Panics
/// If `f` panics, its panic is resumed after all scoped work has finished. Otherwise, if
/// scoped work panicked and its handle was not joined, the first such panic is resumed
/// (after all scoped work has finished). Scoped work that was dropped without running and
/// never joined is reported the same way. [`Scope::spawn`] panics if `worker` refuses work.
///
/// A handle that is leaked (`std::mem::forget`, a reference cycle) does not keep the scope
/// waiting: its work is waited for as any other, and its result, or its panic, is leaked
/// with the handle.
pub fn scope<'env, Wk, F, R>(worker: &'env Wk, f: F) -> R
where
    Wk: Worker<BoxedWork> + ?Sized,
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env, Wk>) -> R,
{
    let scope = Scope { data: Arc::new(ScopeData::default()), worker, scope: PhantomData, env: PhantomData };
    // Unwind safety: the scope is not used after a panic except to wait on it.
    let result = catch_unwind(AssertUnwindSafe(|| f(&scope)));
    // Whatever happened, no borrow may outlive this call: wait for all scoped work.
    let panic = scope.data.wait_all();
    match result {
        Err(payload) => resume_unwind(payload),
        Ok(value) => match panic {
            Some(payload) => resume_unwind(payload),
            None => value,
        },
    }
}

/// The handle [`scope`] gives its closure, to spawn borrowing work.
///
/// `'scope` is the lifetime of the scope itself; `'env` that of what the work may borrow.
///
/// ```
/// use threadteam::Pool;
///
/// let pool = Pool::new();
/// let words = ["scoped", "work"];
/// let total = pool.scope(|s| {
///     // The scope is shared: scoped work may spawn more scoped work.
///     let lengths: Vec<_> = words.iter().map(|w| s.spawn(move || w.len())).collect();
///     lengths.into_iter().map(|h| h.join().unwrap()).sum::<usize>()
/// });
/// assert_eq!(total, 10);
/// ```
pub struct Scope<'scope, 'env: 'scope, Wk: ?Sized = crate::StdTeam> {
    data: Arc<ScopeData>,
    worker: &'env Wk,
    // Invariant in both lifetimes, as in `std::thread::Scope`, so neither can be shrunk
    // or stretched to let a borrow escape.
    scope: PhantomData<&'scope mut &'scope ()>,
    env: PhantomData<&'env mut &'env ()>,
}

impl<'scope, 'env, Wk> Scope<'scope, 'env, Wk>
where
    Wk: Worker<BoxedWork> + ?Sized,
{
    /// Hands `f` to the scope's worker. `f` may borrow anything that outlives the scope;
    /// its result can be taken with [`ScopedJoinHandle::join`], and otherwise is dropped
    /// before [`scope`] returns. With the `tracing` feature, `f` runs inside the span that
    /// is current here.
    ///
    /// ```
    /// use threadteam::Pool;
    ///
    /// let pool = Pool::new();
    /// let text = String::from("borrowed");
    /// let len = pool.scope(|s| s.spawn(|| text.len()).join().unwrap());
    /// assert_eq!(len, 8);
    /// ```
    ///
    /// # Panics
    /// If the worker refuses the work (it has quit, or a fixed-capacity queue is full).
    pub fn spawn<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let packet =
            Arc::new(Packet { scope: Arc::clone(&self.data), result: Mutex::new(Slot::Empty), done: Condvar::new() });
        self.data.started();
        // Boxed on its own so that the closure below captures a `Box`, not `f`'s references
        // directly: see `ScopedRun`.
        let run = Box::new(ScopedRun {
            #[cfg(feature = "tracing")]
            span: tracing::Span::current(),
            f,
            sender: Sender { packet: Some(Arc::clone(&packet)), sent: false },
        });
        let work: Box<dyn FnOnce() + Send + 'scope> = Box::new(move || run.call());
        // SAFETY: only the lifetime changes (`'scope` to `'static`); the layout of a boxed
        // trait object does not depend on it. The erased box may be used only while what
        // it borrows is alive, i.e. until `scope` returns, and `scope` does not return
        // (even when unwinding) before `data.wait_all()` has seen every `ScopedRun` gone:
        // the runner's `Sender` releases the scope in its drop, and it is the last field of
        // `ScopedRun` to drop, after `f` and everything `f` borrows, both when the closure
        // runs (`call` consumes `f` first) and when it is dropped unrun; it lets go of its
        // packet first, so a result dropped with the packet is dropped before the release.
        // A result `T` left in a packet that a handle still holds may borrow from the
        // scope too: it is dropped by the packet's drop, when the handle goes. Handles
        // carry `'scope` (invariant), so they live only in `f`, in scoped closures or in
        // results in packets, all gone by the time `wait_all` returns, unless leaked; a
        // leaked handle's packet and result are never touched again, so a borrow in them
        // dangles only in memory no code can reach (as with `std::thread::scope`). No
        // function whose arguments hold a borrow of the scope is still running when the
        // scope is released (see `ScopedRun`), so no borrow the compiler assumes valid for
        // a whole call dangles. If the worker leaks the box instead, the sender never
        // drops and `scope` waits forever: a hang, not a dangling borrow.
        let work: BoxedWork = unsafe { erase_lifetime(work) };
        if let Err(refused) = self.worker.submit(work) {
            let reason = refused.to_string();
            // Dropping the refused work releases its share of the scope before we unwind.
            drop(refused);
            panic!("threadteam: scoped work refused: {reason}");
        }
        ScopedJoinHandle { packet, scope: PhantomData }
    }
}

impl<Wk: ?Sized> fmt::Debug for Scope<'_, '_, Wk> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope").field("running", &self.data.lock().running).finish_non_exhaustive()
    }
}

/// Extends a boxed closure's lifetime to `'static`.
///
/// # Safety
/// The caller must ensure the closure is run or dropped before anything it borrows ends.
unsafe fn erase_lifetime<'a>(work: Box<dyn FnOnce() + Send + 'a>) -> BoxedWork {
    // SAFETY: the two types differ only in the trait object's lifetime bound, so they
    // have the same layout and vtable; the caller upholds the lifetime (see above).
    unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + 'a>, BoxedWork>(work) }
}

/// A handle to scoped work's result: [`join`](ScopedJoinHandle::join) waits for it.
///
/// Dropping it leaves the work running; [`scope`] still waits for it, and resumes its panic
/// if it panics.
///
/// ```
/// use threadteam::Pool;
///
/// let pool = Pool::new();
/// let numbers = vec![1, 2, 3];
/// pool.scope(|s| {
///     let sum = s.spawn(|| numbers.iter().sum::<i32>());
///     let boom = s.spawn(|| -> i32 { panic!("in scoped work") });
///     assert_eq!(sum.join().unwrap(), 6);
///     assert!(boom.join().unwrap_err().is_panic()); // joined: not resumed by the scope
/// });
/// ```
pub struct ScopedJoinHandle<'scope, T> {
    packet: Arc<Packet<T>>,
    // Ties the handle to the scope: it cannot be returned out of `scope`, where it would
    // keep the scope waiting for its own drop.
    scope: PhantomData<&'scope ()>,
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Blocks until the work has finished and returns its result. A panic taken here is
    /// not resumed again by [`scope`].
    ///
    /// # Errors
    /// [`TaskError::Panicked`] with the payload if the work panicked;
    /// [`TaskError::Cancelled`] if it was dropped without running.
    pub fn join(self) -> Result<T, TaskError> {
        let mut slot = lock(&self.packet.result);
        loop {
            match std::mem::replace(&mut *slot, Slot::Taken) {
                Slot::Done(result) => return result,
                Slot::Empty => {
                    *slot = Slot::Empty;
                    slot = self.packet.done.wait(slot).unwrap_or_else(PoisonError::into_inner);
                }
                Slot::Taken => unreachable!("only `join`, which consumes the handle, takes the result"),
            }
        }
    }

    /// Whether the work has finished (`join` will not block).
    pub fn is_finished(&self) -> bool {
        !matches!(*lock(&self.packet.result), Slot::Empty)
    }
}

impl<T> fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedJoinHandle").field("finished", &self.is_finished()).finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks except `T`'s drop, which runs unlocked.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the scope waits for.
#[derive(Default)]
struct ScopeData {
    state: Mutex<ScopeState>,
    all_done: Condvar,
}

#[derive(Default)]
struct ScopeState {
    /// Spawned closures not yet gone (run, or dropped unrun). Handles are not counted:
    /// a leaked one must not keep the scope waiting.
    running: usize,
    /// The first panic no handle took.
    panic: Option<Box<dyn Any + Send + 'static>>,
}

impl ScopeData {
    fn lock(&self) -> MutexGuard<'_, ScopeState> {
        lock(&self.state)
    }

    fn started(&self) {
        self.lock().running += 1;
    }

    /// A spawned closure is gone: the scope may end once none is left.
    fn finished(&self) {
        let mut state = self.lock();
        state.running -= 1;
        if state.running == 0 {
            self.all_done.notify_all();
        }
    }

    /// A packet went without a handle taking its result: `panic` is the scope's to resume.
    fn unjoined(&self, panic: Option<Box<dyn Any + Send + 'static>>) {
        let mut state = self.lock();
        let extra = match panic {
            Some(payload) if state.panic.is_none() => {
                state.panic = Some(payload);
                None
            }
            other => other,
        };
        drop(state);
        // Only the first panic is resumed; a later payload is dropped unlocked (its drop is
        // user code). Catching keeps a panicking payload drop from skipping the count.
        threadteam_core::unwind::drop_caught(extra);
    }

    /// Blocks until no spawned closure is alive; returns the first panic no handle took.
    fn wait_all(&self) -> Option<Box<dyn Any + Send + 'static>> {
        let mut state = self.lock();
        while state.running != 0 {
            state = self.all_done.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        state.panic.take()
    }
}

enum Slot<T> {
    Empty,
    Done(Result<T, TaskError>),
    Taken,
}

/// Shared by a scoped closure and its handle; its drop hands an unjoined panic to the scope.
struct Packet<T> {
    scope: Arc<ScopeData>,
    result: Mutex<Slot<T>>,
    done: Condvar,
}

impl<T> Drop for Packet<T> {
    fn drop(&mut self) {
        let slot = std::mem::replace(self.result.get_mut().unwrap_or_else(PoisonError::into_inner), Slot::Taken);
        let panic = match slot {
            Slot::Done(Err(TaskError::Panicked(failure))) => Some(failure.into_payload()),
            // Scoped work ends only as run or dropped unrun (`Unrunnable` is for task handles).
            Slot::Done(Err(_)) => {
                Some(Box::new("threadteam: scoped work was dropped without running") as Box<dyn Any + Send>)
            }
            // The result borrows from the scope: drop it before releasing the scope. Its
            // drop may panic; that panic is the scope's to resume.
            Slot::Done(Ok(value)) => catch_unwind(AssertUnwindSafe(|| drop(value))).err(),
            Slot::Empty | Slot::Taken => None,
        };
        self.scope.unjoined(panic);
    }
}

/// The runner's end of a packet. Dropped without sending (the closure was dropped
/// unrun), it resolves the handle as cancelled.
struct Sender<T> {
    /// `None` only inside `drop`.
    packet: Option<Arc<Packet<T>>>,
    sent: bool,
}

impl<T> Sender<T> {
    /// Stores the result. It does not release the scope (dropping the sender may): a
    /// borrow inside `result` is an argument here, and must stay valid until this returns.
    fn send(&mut self, result: Result<T, TaskError>) {
        let packet = self.packet.as_ref().expect("only `drop` takes the packet");
        *lock(&packet.result) = Slot::Done(result);
        self.sent = true;
        packet.done.notify_all();
    }
}

impl<T> Drop for Sender<T> {
    /// Releases the scope: the closure is gone. The packet goes first (with it, if the
    /// handle has gone too, the result and anything it borrows), so the scope cannot end
    /// while that drop runs.
    fn drop(&mut self) {
        let Some(packet) = self.packet.take() else { return };
        if !self.sent {
            *lock(&packet.result) = Slot::Done(Err(TaskError::Cancelled));
            packet.done.notify_all();
        }
        let scope = Arc::clone(&packet.scope);
        // The packet's drop catches its result's panic and cannot unwind.
        drop(packet);
        scope.finished();
    }
}

/// A scoped closure and its way to report. Field order matters: `f` (and everything it
/// borrows) drops before `sender`, whose packet may release the scope.
///
/// A reference passed to a function, even inside a struct passed by value, must stay valid
/// until that function returns (the compiler may rely on it; Miri checks it). The scope is
/// released while the work's call is still on the stack, so the functions that run the
/// work must not take `f` as an argument: the boxed work captures a `Box<ScopedRun>` (the
/// promise then covers only this heap struct, never what `f` borrows), `call` moves `f`
/// out into a local, and only `f`'s own call, which ends before the release, receives it.
/// (std's scoped threads use the unstable `MaybeDangling` for the same reason.)
struct ScopedRun<F, T> {
    /// Where the work was spawned: it runs inside this span.
    #[cfg(feature = "tracing")]
    span: tracing::Span,
    f: F,
    sender: Sender<T>,
}

impl<F: FnOnce() -> T, T> ScopedRun<F, T> {
    // The box is the point: see above.
    #[allow(clippy::boxed_local)]
    fn call(self: Box<Self>) {
        #[cfg(feature = "tracing")]
        let ScopedRun { span, f, mut sender } = *self;
        #[cfg(not(feature = "tracing"))]
        let ScopedRun { f, mut sender } = *self;
        #[cfg(feature = "tracing")]
        let entered = span.enter();
        // Unwind safety: as for `std::thread::scope`, the payload is all that is observed.
        let result = catch_unwind(AssertUnwindSafe(f)).map_err(TaskError::from_panic);
        #[cfg(feature = "tracing")]
        drop(entered);
        sender.send(result);
        // Dropping `sender` here may release the scope: nothing borrowed is in use now.
        drop(sender);
    }
}

//! [`ThreadWorker`](crate::workers::ThreadWorker): an exclusive worker that owns one thread and a FIFO queue.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::fmt;

use crate::sync::Section;
use crate::{AlreadyQuit, ExclusiveWorker, Signal, SubmitError, ThreadFactory, Work, Worker};

/// An [`ExclusiveWorker`] made of one thread (or RTOS task), started through a
/// [`ThreadFactory`](crate::port::ThreadFactory), and a FIFO queue (Twisted's `ThreadWorker`).
///
/// The thread runs queued items in order; between items it sleeps on the [`Signal`](crate::port::Signal) `S`
/// and costs no CPU. [`quit`](Worker::quit) lets queued work finish, then the thread
/// returns. A handle is cheap to clone; all clones are the same worker.
///
/// With `std`, a panicking item is caught and the thread keeps serving (the panic message
/// is printed by the panic hook as usual). Inside a [`Team`](crate::team::Team), the Team's
/// [`Job`](crate::team::Job) catches and reports it first.
///
/// Dropping the last handle quits the worker, so a forgotten worker never leaks its
/// thread: the queued work finishes, then the thread returns.
pub struct ThreadWorker<T, S: Signal> {
    handle: Arc<Handle<T, S>>,
}

/// What the handles share; its drop (the last handle's) quits the worker. The thread holds
/// only `Mailbox`, so it does not keep itself alive.
struct Handle<T, S: Signal> {
    shared: Arc<Mailbox<T, S>>,
}

impl<T, S: Signal> Drop for Handle<T, S> {
    fn drop(&mut self) {
        let _ = quit(&self.shared);
    }
}

/// What a worker's handles and its thread share: the inbox and the signal the thread
/// sleeps on.
struct Mailbox<T, S> {
    inbox: Section<Inbox<T>>,
    signal: S,
}

struct Inbox<T> {
    items: VecDeque<T>,
    /// The thread found the queue empty and is (about to be) asleep on the signal.
    parked: bool,
    quit: bool,
}

impl<T: Work + Send + 'static, S: Signal + 'static> ThreadWorker<T, S> {
    /// Starts the worker's thread through `factory`; the thread sleeps on `signal`.
    ///
    /// # Errors
    /// The factory's error when the thread cannot be started.
    pub fn start<F: ThreadFactory>(factory: &F, signal: S) -> Result<(Self, F::Thread), F::Error> {
        let (worker, starter) = Self::unstarted(signal);
        match starter.start(factory) {
            Ok(thread) => Ok((worker, thread)),
            Err(StartFailed { error: Ok(error), .. }) => Err(error),
            // The caller asked for this start: its factory's panic is the caller's.
            #[cfg(feature = "std")]
            Err(StartFailed { error: Err(panic), .. }) => std::panic::resume_unwind(panic),
        }
    }

    /// A worker whose thread is not started yet: its queue takes work at once (as a
    /// started worker's does before its thread is first scheduled), and `Starter::start`
    /// starts the thread. A Team creates its thread workers this way so that the (slow)
    /// start happens after its coordinator pass, not inside it.
    pub(crate) fn unstarted(signal: S) -> (Self, Starter<T, S>) {
        let shared = Arc::new(Mailbox {
            inbox: Section::new(Inbox { items: VecDeque::new(), parked: false, quit: false }),
            signal,
        });
        let starter = Starter { shared: Arc::clone(&shared) };
        (Self { handle: Arc::new(Handle { shared }) }, starter)
    }
}

/// Starts the thread of a worker made by [`ThreadWorker::unstarted`](crate::workers::ThreadWorker::unstarted).
pub(crate) struct Starter<T, S> {
    shared: Arc<Mailbox<T, S>>,
}

/// Why a factory did not start a thread: its error, or (with `std`) the payload of its panic.
#[cfg(feature = "std")]
pub(crate) type StartError<E> = Result<E, crate::unwind::Payload>;
/// Why a factory did not start a thread: its error (without `std` a panic aborts).
#[cfg(not(feature = "std"))]
pub(crate) type StartError<E> = Result<E, core::convert::Infallible>;

/// A thread that could not be started, and the work its worker had been given.
pub(crate) struct StartFailed<T, E> {
    pub(crate) error: StartError<E>,
    /// Oldest first; the worker has quit, so nothing more can join it.
    pub(crate) queued: VecDeque<T>,
}

impl<T: Work + Send + 'static, S: Signal + 'static> Starter<T, S> {
    /// Starts the worker's thread through `factory`.
    ///
    /// # Errors
    /// The factory's error (or, with `std`, its panic: a factory must return an error, but
    /// one that panics must not strand the work already given to this worker), with the
    /// worker quit and its queued work taken out of it.
    pub(crate) fn start<F: ThreadFactory>(self, factory: &F) -> Result<F::Thread, StartFailed<T, F::Error>> {
        let for_thread = Arc::clone(&self.shared);
        let main = move || serve(&for_thread);
        #[cfg(feature = "std")]
        let started = match crate::unwind::catch(|| factory.start(main)) {
            Ok(started) => started.map_err(Ok),
            Err(panic) => Err(Err(panic)),
        };
        #[cfg(not(feature = "std"))]
        let started = factory.start(main).map_err(Ok);
        started.map_err(|error| StartFailed { error, queued: self.quit_unstarted() })
    }

    fn quit_unstarted(&self) -> VecDeque<T> {
        self.shared.inbox.with(|inbox| {
            inbox.quit = true;
            core::mem::take(&mut inbox.items)
        })
    }
}

/// How many times an idle thread re-checks its inbox before it parks. Parking costs the
/// next submitter a wake-up (a system call on std); under load the next item usually
/// arrives within microseconds, so a few re-checks avoid most of them, and an idle thread
/// still parks almost at once. Between checks it yields rather than spins: the submitter
/// that the item it waits for comes from is often just woken on this very core (by the
/// item this thread ran last), and spinning would keep it from running. Measured with the
/// benchmark suite's back-to-back round trip on the 2-core VM: 16-25 µs when the checks
/// spun (and the signal spun 400 times more), 1.6 µs when they yield.
const CHECKS_BEFORE_PARKING: u32 = crate::sync::patience(10);

/// The thread's loop: run items in order, sleep when there are none, return after quit.
fn serve<T: Work, S: Signal>(shared: &Mailbox<T, S>) {
    let mut checks = 0;
    loop {
        let next = shared.inbox.with(|inbox| match inbox.items.pop_front() {
            Some(item) => Ok(Some(item)),
            None if inbox.quit => Err(()),
            None if checks < CHECKS_BEFORE_PARKING => Ok(None),
            None => {
                inbox.parked = true;
                Ok(None)
            }
        });
        let Ok(next) = next else { return };
        match next {
            Some(item) => {
                checks = 0;
                run_caught(item);
            }
            None if checks < CHECKS_BEFORE_PARKING => {
                crate::sync::yield_processor();
                checks += 1;
            }
            None => {
                checks = 0;
                shared.signal.wait();
            }
        }
    }
}

fn run_caught<T: Work>(item: T) {
    #[cfg(feature = "std")]
    {
        // The panic hook has already printed the message; the thread keeps serving, even
        // if the payload's own drop panics.
        if let Err(payload) = crate::unwind::catch(|| item.run()) {
            crate::unwind::discard(payload);
        }
    }
    #[cfg(not(feature = "std"))]
    item.run();
}

impl<T, S: Signal> ThreadWorker<T, S> {
    /// Number of items queued and not yet started.
    pub fn queued(&self) -> usize {
        self.handle.shared.inbox.with(|inbox| inbox.items.len())
    }
}

fn quit<T, S: Signal>(shared: &Mailbox<T, S>) -> Result<(), AlreadyQuit> {
    let wake = shared.inbox.with(|inbox| {
        if inbox.quit {
            return Err(AlreadyQuit);
        }
        inbox.quit = true;
        Ok(core::mem::replace(&mut inbox.parked, false))
    })?;
    if wake {
        shared.signal.notify();
    }
    Ok(())
}

impl<T, S: Signal> Worker<T> for ThreadWorker<T, S> {
    fn submit(&self, work: T) -> Result<(), SubmitError<T>> {
        let shared = &self.handle.shared;
        let wake = shared.inbox.with(|inbox| {
            if inbox.quit {
                return Err(SubmitError::already_quit(work));
            }
            inbox.items.push_back(work);
            Ok(core::mem::replace(&mut inbox.parked, false))
        })?;
        // Only a sleeping thread needs the (possibly costly) wake-up.
        if wake {
            shared.signal.notify();
        }
        Ok(())
    }

    fn quit(&self) -> Result<(), AlreadyQuit> {
        quit(&self.handle.shared)
    }
}

impl<T, S: Signal> ExclusiveWorker<T> for ThreadWorker<T, S> {}

impl<T, S: Signal> Clone for ThreadWorker<T, S> {
    fn clone(&self) -> Self {
        Self { handle: Arc::clone(&self.handle) }
    }
}

impl<T, S: Signal> fmt::Debug for ThreadWorker<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (queued, quit) = self.handle.shared.inbox.with(|inbox| (inbox.items.len(), inbox.quit));
        f.debug_struct("ThreadWorker").field("queued", &queued).field("quit", &quit).finish()
    }
}

//! [`adaptive_pool()`]: a Team of thread workers sized by a [`GrowthPolicy`], plus the one
//! timer thread that ages idle workers out and paces growth.

use alloc::boxed::Box;
use alloc::sync::{Arc, Weak};

use crate::launch::Launcher;
use crate::{Clock, GrowthPolicy, LockWorker, Pacing, Pool, RawLock, Signal, Statistics, Team, ThreadFactory};

/// What [`adaptive_pool()`] starts: the Team and its timer thread.
#[derive(Debug)]
pub struct PacedPool<S: Signal + 'static, L: 'static, T> {
    /// The Team, of the same type as [`pool()`](crate::pool) makes.
    pub team: Arc<Pool<S, L>>,
    /// The timer thread's handle (as the factory returns it): join it after quitting the
    /// Team to wait until all work has run.
    pub timer: T,
}

/// A Team of [`ThreadWorker`](crate::ThreadWorker)s that grows and shrinks by `policy`
/// instead of a hard cap (see [`policy`](crate::policy)), and the handle of its timer
/// thread.
///
/// The Team is the same [`Pool`] type as [`pool()`](crate::pool) makes, coordinated by a
/// [`LockWorker`] on `L::default()`, with each worker's thread sleeping on an
/// `S::default()`. Its `policy.min` workers are started at once. Threads, the timer's
/// first, are started through `factory`; a worker thread the factory fails to start leaves
/// the work in the backlog, and the timer retries one growth interval later.
///
/// The timer thread sleeps on a signal of its own: with a timeout only while the Team has
/// a [deadline](Team::next_deadline) (an idle worker above `min` to age out, or waiting
/// work), indefinitely otherwise, so an idle pool costs no CPU. It calls
/// [`Team::tick`] at each deadline and returns once the Team has finished quitting (or has
/// been dropped); join the returned handle after [`quit`](crate::Worker::quit) to wait for
/// that, and with it for all accepted work to have run.
///
/// Failed work is reported to `on_failure` (see [`Team::with_failure_hook`]).
///
/// # Errors
/// The factory's error if it cannot start the timer thread; the Team is then quit and
/// dropped.
pub fn adaptive_pool<S, L, F, K>(
    policy: GrowthPolicy,
    factory: F,
    clock: K,
    on_failure: impl Fn(&crate::Failure) + Send + Sync + 'static,
) -> Result<PacedPool<S, L, F::Thread>, F::Error>
where
    S: Signal + Default + 'static,
    L: RawLock + Default + 'static,
    F: ThreadFactory + Send + Sync + 'static,
    K: Clock + 'static,
{
    let clock: Arc<dyn Clock> = Arc::new(clock);
    let wake = Arc::new(S::default());
    // The policy has decided before this is called: only the factory can still say no,
    // when the thread starts after the pass (see `pool()`).
    let launcher = Arc::new(Launcher::new(factory));
    let workers = Arc::clone(&launcher);
    let create = move |_: &Statistics| Some(workers.create());
    let pacing = Pacing::shared(policy, Arc::clone(&clock)).wake(Arc::clone(&wake) as Arc<dyn Signal>);
    let team: Arc<Pool<S, L>> = Team::launching(
        LockWorker::new(L::default()),
        Box::new(create) as Box<_>,
        on_failure,
        Some(pacing),
        None,
        Arc::clone(&launcher) as Arc<_>,
    );
    let weak = Arc::downgrade(&team);
    let timer = match launcher.factory().start(move || run_timer(&weak, &*clock, &*wake)) {
        Ok(timer) => timer,
        Err(e) => {
            let _ = crate::Worker::quit(&*team);
            return Err(e);
        }
    };
    // Not quit yet, so this cannot fail; a worker that cannot start is simply not there.
    let _ = team.grow(policy.min);
    Ok(PacedPool { team, timer })
}

/// The timer's loop. It holds the Team only while looking at it, so the Team can be
/// dropped; the Team wakes it when its deadline moves earlier, when it finishes, and when
/// it is dropped.
fn run_timer<S: Signal + 'static, L: RawLock + 'static>(team: &Weak<Pool<S, L>>, clock: &dyn Clock, wake: &S) {
    loop {
        let Some(strong) = team.upgrade() else { return };
        if strong.is_finished() {
            return;
        }
        let deadline = strong.next_deadline();
        let now = clock.now();
        match deadline {
            Some(at) if at <= now => {
                // The tick publishes a deadline later than `now` (or none), so this does
                // not spin.
                if strong.tick().is_err() {
                    return;
                }
            }
            Some(at) => {
                drop(strong);
                wake.wait_timeout(at - now);
            }
            None => {
                drop(strong);
                wake.wait();
            }
        }
    }
}

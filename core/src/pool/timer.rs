//! The timer thread of a pool whose policy needs one: it ticks the Team at each deadline.

use alloc::sync::Weak;

use super::ThreadTeam;
use crate::{BoxedWork, Clock, Coordinate, ExclusiveWorker, Signal};

/// The timer's loop. It holds the Team only while looking at it, so the Team can be
/// dropped; the Team wakes it when its deadline moves earlier, when it finishes, and when
/// it is dropped.
pub(super) fn run<S, C>(team: &Weak<ThreadTeam<S, C>>, clock: &dyn Clock, wake: &S)
where
    S: Signal + Default + 'static,
    C: ExclusiveWorker<Coordinate<BoxedWork>> + Send + Sync + 'static,
{
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

//! Variants of threadteam built only from its public seams, to measure a proposed
//! hot-path change before anyone makes it in the core. Listed only with
//! `BENCH_EXPERIMENTS=1` (see [`for_each_experiment`]); never a peer, never the subject.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use threadteam_core::{Signal, StdLock, Worker};
use threadteam_std::StdThreadFactory;

use crate::peers::Visit;
use crate::pool::{Pool, PoolConfig, Role};

const EMPTY: u8 = 0;
const NOTIFIED: u8 = 1;
const PARKED: u8 = 2;

/// How many times a waiter polls before it parks (each poll is a `spin_loop` hint;
/// about 10 µs in all on the test machine).
const SPINS: u32 = 300;

/// A [`Signal`] that spins briefly, then parks the waiting thread; `notify` only makes
/// a system call when the waiter is really parked. (The std backend's `StdSignal` is a
/// `Mutex<bool>` + `Condvar`: every wake takes the mutex on both sides.)
#[derive(Debug, Default)]
pub struct SpinParkSignal {
    state: AtomicU8,
    waiter: OnceLock<Thread>,
}

impl SpinParkSignal {
    fn spin(&self) -> bool {
        for _ in 0..SPINS {
            if self.state.compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                return true;
            }
            std::hint::spin_loop();
        }
        false
    }

    /// Parks until notified or `deadline`; whether notified.
    fn park(&self, deadline: Option<Instant>) -> bool {
        self.waiter.get_or_init(thread::current);
        if self.state.compare_exchange(EMPTY, PARKED, Ordering::Acquire, Ordering::Acquire).is_err() {
            // Notified between the spin and here.
            self.state.store(EMPTY, Ordering::Release);
            return true;
        }
        loop {
            match deadline {
                None => thread::park(),
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) => thread::park_timeout(left),
                    None => {
                        return match self.state.compare_exchange(PARKED, EMPTY, Ordering::Acquire, Ordering::Acquire) {
                            Ok(_) => false,
                            Err(_) => {
                                self.state.store(EMPTY, Ordering::Release);
                                true
                            }
                        };
                    }
                },
            }
            if self.state.compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                return true;
            }
        }
    }
}

impl Signal for SpinParkSignal {
    fn wait(&self) {
        if !self.spin() {
            self.park(None);
        }
    }

    fn wait_timeout(&self, timeout: Duration) -> bool {
        self.spin() || self.park(Instant::now().checked_add(timeout))
    }

    fn notify(&self) {
        if self.state.swap(NOTIFIED, Ordering::Release) == PARKED {
            if let Some(t) = self.waiter.get() {
                t.unpark();
            }
        }
    }
}

/// threadteam's core `pool()` with [`SpinParkSignal`] instead of `StdSignal`.
#[derive(Debug)]
pub struct ThreadTeamSpinPark(Arc<threadteam_core::Pool<SpinParkSignal, StdLock>>);

impl Pool for ThreadTeamSpinPark {
    const NAME: &'static str = "tt+spinpark";
    const ROLE: Role = Role::Experiment;
    const SETUP: &'static str = "experiment: core `pool()` with a spin-then-park `Signal` (benches/src/experiments.rs)";

    fn build(config: &PoolConfig) -> Self {
        let limit = config.max_threads;
        let pool = threadteam_core::pool::<SpinParkSignal, StdLock, _>(move || limit, StdThreadFactory::new(), |_| {});
        if config.min_threads > 0 {
            pool.grow(config.min_threads).expect("a fresh pool has not quit");
        }
        Self(pool)
    }

    fn submit<F: FnOnce() + Send + 'static>(&self, task: F) {
        if self.0.submit(Box::new(task)).is_err() {
            panic!("threadteam refused work before quit");
        }
    }

    fn shutdown(self) {
        let _ = self.0.quit();
    }
}

/// Visits the experimental variants.
pub fn for_each_experiment(v: &mut impl Visit) {
    v.visit::<ThreadTeamSpinPark>();
}

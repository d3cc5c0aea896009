//! A port of threadteam to a (toy) RTOS in a few dozen lines: the three seams a port
//! implements, `ThreadFactory`, `Signal` and `RawLock`, then the core's `pool()` runs on it.
//!
//! `toy_os` stands in for your kernel's API (task create, semaphore, current task). It is
//! built on std threads only so that this example runs on the host:
//! `cargo run --example port_sketch`. The FreeRTOS backend (`backends/freertos`) is the
//! same port against a real kernel.

#[cfg(feature = "alloc")]
mod toy_os {
    use core::sync::atomic::{AtomicUsize, Ordering};
    use core::time::Duration;
    use std::sync::{Condvar, Mutex, PoisonError};

    /// The kernel's task table is small: creation fails when it is full.
    pub const MAX_TASKS: usize = 3;
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

    #[derive(Debug)]
    pub struct NoMemory;

    /// `task_create`: runs `entry` as a task, which ends when `entry` returns; its id.
    pub fn task_create(entry: Box<dyn FnOnce() + Send>) -> Result<usize, NoMemory> {
        if LIVE.fetch_add(1, Ordering::SeqCst) >= MAX_TASKS {
            LIVE.fetch_sub(1, Ordering::SeqCst);
            return Err(NoMemory);
        }
        std::thread::spawn(move || {
            entry();
            LIVE.fetch_sub(1, Ordering::SeqCst);
        });
        Ok(NEXT_ID.fetch_add(1, Ordering::SeqCst))
    }

    /// `task_current`: a non-zero id of the calling task.
    pub fn task_current() -> usize {
        std::thread_local!(static ID: u8 = const { 0 });
        ID.with(|id| core::ptr::from_ref(id) as usize)
    }

    /// A counting semaphore with a maximum count: `sem_take(timeout)`, `sem_give`.
    #[derive(Debug)]
    pub struct Sem {
        count: Mutex<u32>,
        max: u32,
        cv: Condvar,
    }

    impl Sem {
        pub fn new(initial: u32, max: u32) -> Self {
            Self { count: Mutex::new(initial), max, cv: Condvar::new() }
        }
        /// `None` waits forever. Returns whether a count was taken.
        pub fn take(&self, timeout: Option<Duration>) -> bool {
            let count = self.count.lock().unwrap_or_else(PoisonError::into_inner);
            let mut count = match timeout {
                None => self.cv.wait_while(count, |c| *c == 0).unwrap_or_else(PoisonError::into_inner),
                Some(t) => self.cv.wait_timeout_while(count, t, |c| *c == 0).unwrap_or_else(PoisonError::into_inner).0,
            };
            if *count == 0 {
                return false;
            }
            *count -= 1;
            true
        }
        pub fn give(&self) {
            let mut count = self.count.lock().unwrap_or_else(PoisonError::into_inner);
            *count = (*count + 1).min(self.max);
            self.cv.notify_one();
        }
    }
}

// ---- The port: this is all a new RTOS needs. --------------------------------------------
#[cfg(feature = "alloc")]
mod port {
    use core::sync::atomic::{AtomicUsize, Ordering};
    use core::time::Duration;

    use super::toy_os;
    use threadteam::{RawLock, Signal, ThreadFactory};

    /// Thread factory: one RTOS task per worker; a refused task is an error value.
    pub struct ToyFactory;

    impl ThreadFactory for ToyFactory {
        type Thread = usize;
        type Error = &'static str;
        fn start<M: FnOnce() + Send + 'static>(&self, main: M) -> Result<usize, &'static str> {
            toy_os::task_create(Box::new(main)).map_err(|toy_os::NoMemory| "no room for a task")
        }
    }

    /// Wait/wake primitive: a binary semaphore (max count 1).
    #[derive(Debug)]
    pub struct ToySignal(toy_os::Sem);

    impl Default for ToySignal {
        fn default() -> Self {
            Self(toy_os::Sem::new(0, 1))
        }
    }

    impl Signal for ToySignal {
        fn wait(&self) {
            self.0.take(None);
        }
        fn wait_timeout(&self, timeout: Duration) -> bool {
            self.0.take(Some(timeout))
        }
        fn notify(&self) {
            self.0.give();
        }
    }

    /// Coordination lock: a kernel mutex plus the owner task, so re-entry is refused.
    #[derive(Debug)]
    pub struct ToyLock {
        sem: toy_os::Sem,
        owner: AtomicUsize,
    }

    impl Default for ToyLock {
        fn default() -> Self {
            Self { sem: toy_os::Sem::new(1, 1), owner: AtomicUsize::new(0) }
        }
    }

    impl RawLock for ToyLock {
        fn with<S, R>(&self, state: S, f: impl FnOnce(S) -> R) -> Result<R, S> {
            let me = toy_os::task_current();
            if self.owner.load(Ordering::Relaxed) == me {
                return Err(state);
            }
            self.sem.take(None);
            self.owner.store(me, Ordering::Relaxed);
            struct Release<'a>(&'a ToyLock);
            impl Drop for Release<'_> {
                fn drop(&mut self) {
                    self.0.owner.store(0, Ordering::Relaxed);
                    self.0.sem.give();
                }
            }
            let _release = Release(self);
            Ok(f(state))
        }
    }
}

#[cfg(feature = "alloc")]
fn main() {
    use std::sync::mpsc;
    use threadteam::{LockWorker, ThreadTeamBuilder, Worker};

    // Ask for more workers than the kernel has tasks: creation fails, work waits, and the
    // tasks that do exist serve everything. The Team is coordinated under the port's own
    // lock.
    let team = ThreadTeamBuilder::<_, port::ToySignal>::new(port::ToyFactory)
        .limit(|| 5)
        .coordinator(LockWorker::new(port::ToyLock::default()))
        .on_failure(|failure| eprintln!("{failure}"))
        .build()
        .expect("a pool with no timer starts no task when built")
        .team;
    let (done, finished) = mpsc::channel();
    for i in 0..20 {
        let done = done.clone();
        team.submit(Box::new(move || done.send(i * i).unwrap())).unwrap();
    }
    let sum: u32 = finished.iter().take(20).sum();
    let stats = team.statistics();
    println!("sum of squares 0..20 = {sum}; {stats:?}");
    assert_eq!(sum, (0..20).map(|i| i * i).sum());
    assert!(stats.high_water <= toy_os::MAX_TASKS);
    team.quit().unwrap();
}

#[cfg(not(feature = "alloc"))]
fn main() {
    eprintln!("port_sketch uses pool(), which needs the `alloc` feature");
}

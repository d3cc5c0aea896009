//! Work submitted from a thread-local's destructor, on a thread whose own thread-locals
//! were touched before the pool's: it must run (or be refused with an error), never abort
//! the process. Each case runs in a child process (this test binary, run again for that
//! one case), so an abort fails the case instead of killing the whole run; the parent
//! bounds the child's time, so a hang fails it too.

use std::cell::RefCell;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use threadteam::{Pool, ThreadPool};

/// Submits its job to its pool when its thread's thread-locals are destroyed.
struct SubmitOnExit(Option<Box<dyn FnOnce() + Send>>);

impl Drop for SubmitOnExit {
    fn drop(&mut self) {
        if let Some(submit) = self.0.take() {
            submit();
        }
    }
}

thread_local! {
    static ON_EXIT: RefCell<SubmitOnExit> = const { RefCell::new(SubmitOnExit(None)) };
}

/// Set in the child process: run the case itself.
const CHILD: &str = "THREADTEAM_TLS_CASE";

/// In the parent: runs `case` (this test's name) in a child process and fails unless it
/// exits successfully within the deadline. In the child: runs `body`.
fn in_child_process(case: &str, body: impl FnOnce()) {
    if std::env::var(CHILD).as_deref() == Ok(case) {
        body();
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([case, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD, case)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{case}: the child process hung");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        status.success() && stdout.contains("1 passed"),
        "{case}: the child process failed ({status}):\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// On a new thread: touches this test's thread-local first, then uses the pool (so the
/// pool's own thread-locals come later), then arranges for `submit` to run at thread exit.
fn submit_at_thread_exit(touch_pool: impl FnOnce() + Send + 'static, submit: impl FnOnce() + Send + 'static) {
    thread::spawn(move || {
        ON_EXIT.with(|_| ());
        touch_pool();
        ON_EXIT.with(|slot| slot.borrow_mut().0 = Some(Box::new(submit)));
    })
    .join()
    .expect("the thread exits normally");
}

#[test]
fn a_pool_takes_work_from_a_thread_local_destructor() {
    in_child_process("a_pool_takes_work_from_a_thread_local_destructor", || {
        let pool = Arc::new(Pool::builder().capped(2).build().unwrap());
        let (ran, result) = mpsc::channel();
        let (p1, p2) = (Arc::clone(&pool), Arc::clone(&pool));
        let (ran1, ran2) = (ran.clone(), ran);
        submit_at_thread_exit(
            move || {
                p1.spawn(|| ()).unwrap().join().unwrap();
                p1.execute(move || ran1.send("during").unwrap()).unwrap();
            },
            move || {
                p2.execute(move || ran2.send("at exit").unwrap()).unwrap();
                // A blocking join from a destructor too.
                assert_eq!(p2.spawn(|| 7).unwrap().join().unwrap(), 7);
            },
        );
        let mut seen: Vec<_> =
            (0..2).map(|_| result.recv_timeout(Duration::from_secs(20)).expect("work lost")).collect();
        seen.sort_unstable();
        assert_eq!(seen, ["at exit", "during"]);
    });
}

#[test]
fn a_thread_pool_takes_work_from_a_thread_local_destructor() {
    in_child_process("a_thread_pool_takes_work_from_a_thread_local_destructor", || {
        let pool = Arc::new(ThreadPool::new(0, 2));
        pool.start().unwrap();
        let (ran, result) = mpsc::channel();
        let (p1, p2) = (Arc::clone(&pool), Arc::clone(&pool));
        submit_at_thread_exit(
            move || p1.spawn(|| ()).unwrap().join().unwrap(),
            move || {
                p2.call_in_thread_with_callback(move |r| ran.send(r.unwrap()).unwrap(), || 42).unwrap();
            },
        );
        assert_eq!(result.recv_timeout(Duration::from_secs(20)).expect("work lost"), 42);
    });
}

#[test]
fn scope_stop_and_drop_work_from_a_thread_local_destructor() {
    in_child_process("scope_stop_and_drop_work_from_a_thread_local_destructor", || {
        let (ran, result) = mpsc::channel();
        let pool = Arc::new(ThreadPool::new(1, 2));
        pool.start().unwrap();
        let p1 = Arc::clone(&pool);
        submit_at_thread_exit(
            move || p1.spawn(|| ()).unwrap().join().unwrap(),
            move || {
                let mut total = 0;
                pool.scope(|s| {
                    s.spawn(|| total += 5);
                });
                let adaptive = Pool::new();
                adaptive.execute(|| ()).unwrap();
                drop(adaptive); // a Pool's drop from a destructor: drain and join
                assert!(pool.stop().is_empty());
                drop(pool);
                ran.send(total).unwrap();
            },
        );
        assert_eq!(result.recv_timeout(Duration::from_secs(20)).expect("work lost"), 5);
    });
}

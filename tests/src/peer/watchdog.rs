//! A hard time limit for a test: the body runs in a thread of its own, and if it has not finished
//! in time, every child process it started is killed and the test fails.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::process::Child;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, Weak};
use std::thread;
use std::time::Duration;

type Registry = Vec<(u64, Weak<Mutex<Child>>)>;

static REGISTRY: Mutex<Registry> = Mutex::new(Vec::new());
static NEXT_GROUP: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static GROUP: Cell<u64> = const { Cell::new(0) };
}

/// Records a child started by the current test body, so that a timeout can kill it.
pub(crate) fn register(child: &Arc<Mutex<Child>>) {
    let group = GROUP.with(Cell::get);
    if group != 0 {
        let mut registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        registry.retain(|(_, weak)| weak.strong_count() > 0);
        registry.push((group, Arc::downgrade(child)));
    }
}

fn take_group(group: u64) -> Vec<Arc<Mutex<Child>>> {
    let mut registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let mut children = Vec::new();
    registry.retain(|(g, weak)| {
        if *g == group {
            children.extend(weak.upgrade());
            false
        } else {
            true
        }
    });
    children
}

/// Runs `body` with a hard limit of `limit`. A panic in `body` is passed on (its children are
/// killed as it unwinds). If `body` is still running at the limit, the child processes it
/// started through [`super::Peer`] are killed and this panics; the body's thread is left behind,
/// with nothing to wait for.
pub fn hard_timeout<T, F>(limit: Duration, body: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let group = NEXT_GROUP.fetch_add(1, Ordering::Relaxed);
    let name = thread::current().name().unwrap_or("test").to_owned();
    let (done, finished) = mpsc::channel();
    let handle = thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            GROUP.with(|g| g.set(group));
            let result = panic::catch_unwind(AssertUnwindSafe(body));
            let _ = done.send(result);
        })
        .expect("cannot start the test thread");
    match finished.recv_timeout(limit) {
        Ok(result) => {
            let _ = handle.join();
            take_group(group);
            match result {
                Ok(value) => value,
                Err(payload) => panic::resume_unwind(payload),
            }
        }
        Err(_) => {
            let children = take_group(group);
            for child in &children {
                let mut child = child.lock().unwrap_or_else(|e| e.into_inner());
                let _ = child.kill();
                let _ = child.wait();
            }
            panic!(
                "{name}: still running after its hard limit of {limit:?}; killed {} child process(es)",
                children.len()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_that_finishes_returns_its_value() {
        assert_eq!(hard_timeout(Duration::from_secs(5), || 42), 42);
    }

    #[test]
    fn a_body_that_hangs_fails_the_test_and_its_child_dies() {
        let (tx, rx) = mpsc::channel();
        let outcome = panic::catch_unwind(|| {
            hard_timeout(Duration::from_millis(300), move || {
                let mut command = std::process::Command::new("sleep");
                command.arg("30");
                let peer = super::super::Peer::spawn("sleeper", command);
                tx.send(peer.id()).unwrap();
                std::thread::sleep(Duration::from_secs(3600));
                drop(peer);
            })
        });
        assert!(outcome.is_err());
        let pid = rx.recv().unwrap();
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(state.is_empty() || !state.contains(") S "), "the child was killed and reaped: {state}");
    }

    #[test]
    fn a_panic_in_the_body_is_passed_on() {
        let outcome = panic::catch_unwind(|| hard_timeout(Duration::from_secs(5), || panic!("boom")));
        assert!(outcome.is_err());
    }
}

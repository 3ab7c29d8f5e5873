//! Two independent pieces of work on two threads, when the machine has a second core and the
//! work is large enough to pay for a thread; otherwise one after the other, on the caller's
//! thread. The results are the same either way, and so is which error is reported: the
//! caller looks at the first piece's result before the second's.

use std::sync::{Mutex, OnceLock, PoisonError};

/// Whether this process may run two threads at once (`available_parallelism`, which reads the
/// cgroup's CPU quota, so asked once).
fn two_cores() -> bool {
    static TWO: OnceLock<bool> = OnceLock::new();
    *TWO.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
}

/// Runs `a` on this thread and `b` on a second one if `worth_it` and the machine has two
/// cores, and returns both results. If the second thread cannot be started, `b` runs after `a`
/// on this thread.
pub(crate) fn join<A, B: Send>(
    worth_it: bool,
    a: impl FnOnce() -> A,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !(worth_it && two_cores()) {
        let a = a();
        return (a, b());
    }
    // `b` waits here until a thread takes it; if none could be started, this one does.
    let waiting = Mutex::new(Some(b));
    let take = || {
        waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    };
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new().spawn_scoped(scope, || {
            // Linux places a new thread by the CPUs' load averages, which still count the
            // last join's thread: it often starts on this thread's busy CPU and waits there
            // for the load balancer's next tick (0.1 to 4 ms measured on a 2-core VM). A
            // thread that wakes from a sleep is placed on an idle CPU instead, so it sleeps
            // once first (~0.06 ms, the timer's slack).
            std::thread::sleep(std::time::Duration::from_nanos(1));
            take().map(|b| b())
        });
        let a = a();
        let b = match spawned.map(|thread| thread.join()) {
            Ok(Ok(Some(b))) => b,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // The thread did not start (or found nothing, which cannot happen): run `b` here.
            Ok(Ok(None)) | Err(_) => match take() {
                Some(b) => b(),
                None => unreachable!("`b` is taken once, by whoever runs it"),
            },
        };
        (a, b)
    })
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn both_run_and_come_back_in_order_either_way() {
        for worth_it in [false, true] {
            let (a, b) = join(worth_it, || "a".repeat(3), || vec![1, 2, 3].len());
            assert_eq!((a.as_str(), b), ("aaa", 3));
        }
    }
}

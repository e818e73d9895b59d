//! A one-shot stop signal between two halves of one task: one side calls `stop`, the other
//! awaits `stopped` (which completes at once if the stop came first). Single-threaded (`Cell`),
//! as pipecat runs each relay on one task.

use std::cell::Cell;

use tokio::sync::Notify;

/// Tells one side of a relay to stop, from the other side.
#[derive(Debug, Default)]
pub(crate) struct Stop {
    stopped: Cell<bool>,
    notify: Notify,
}

impl Stop {
    /// Asks the other side to stop.
    pub(crate) fn stop(&self) {
        self.stopped.set(true);
        self.notify.notify_one();
    }

    /// Whether [`stop`](Self::stop) was called.
    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.get()
    }

    /// Completes once [`stop`](Self::stop) was called (before or after).
    pub(crate) async fn stopped(&self) {
        if !self.is_stopped() {
            self.notify.notified().await;
        }
    }
}

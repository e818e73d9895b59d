//! Ctrl-C and SIGTERM end the work early: the work is dropped, and with it the pipe, so the
//! channel's FIFO directory is removed and the `--stats` summary is still printed.

use std::future::Future;

use crate::exit::{Failure, INTERRUPTED, TERMINATED};

/// Runs `work` until it ends, or until SIGINT (exit code 130) or SIGTERM (143).
pub async fn interruptible(work: impl Future<Output = Result<(), Failure>>) -> Result<(), Failure> {
    let terminated = terminate_signal();
    tokio::select! {
        result = work => result,
        _ = tokio::signal::ctrl_c() => Err(Failure::new(INTERRUPTED, "interrupted")),
        () = terminated => Err(Failure::new(TERMINATED, "terminated")),
    }
}

#[cfg(unix)]
async fn terminate_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            term.recv().await;
        }
        // Without a handler, SIGTERM keeps its default action.
        Err(_) => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn terminate_signal() {
    std::future::pending().await
}

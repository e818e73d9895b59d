//! Ctrl-C and SIGTERM end the work early: the work is dropped, and with it the pipe, so the
//! channel's FIFO directory is removed and the `--stats` summary is still printed.
//!
//! The handlers are installed before anything is printed, so that a signal sent as soon as the
//! ready line appears is not met by the default action (which would leave the directory behind).

use std::future::Future;

use crate::exit::{Failure, INTERRUPTED};
#[cfg(unix)]
use crate::exit::{OTHER, TERMINATED};

/// The installed handlers.
#[derive(Debug)]
pub struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers; from now on SIGINT and SIGTERM no longer kill the process.
    pub fn install() -> Result<Self, Failure> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let install =
                |kind| signal(kind).map_err(|e| Failure::new(OTHER, format!("installing a signal handler: {e}")));
            Ok(Self { interrupt: install(SignalKind::interrupt())?, terminate: install(SignalKind::terminate())? })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Runs `work` until it ends, or until SIGINT (exit code 130) or SIGTERM (143).
    pub async fn interruptible(&mut self, work: impl Future<Output = Result<(), Failure>>) -> Result<(), Failure> {
        #[cfg(unix)]
        {
            tokio::select! {
                result = work => result,
                _ = self.interrupt.recv() => Err(Failure::new(INTERRUPTED, "interrupted")),
                _ = self.terminate.recv() => Err(Failure::new(TERMINATED, "terminated")),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::select! {
                result = work => result,
                _ = tokio::signal::ctrl_c() => Err(Failure::new(INTERRUPTED, "interrupted")),
            }
        }
    }
}

//! What the send half learns from the receive half: that the peer closed, or that receiving
//! failed. The one state the two halves of a pipe share, so that a split pipe keeps the rules of
//! an unsplit one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::config::Config;
use crate::error::Failure;

/// Shared by the two halves of one pipe. Written by the receive half only; read by the send half
/// at each of its calls (one atomic load while nothing happened).
#[derive(Debug)]
pub(crate) struct Link {
    peer_closed: AtomicBool,
    failed: AtomicBool,
    failure: Mutex<Option<Failure>>,
    /// The configuration both halves were made with, for a reconnect and a reunion.
    config: Config,
    /// Whether the pipe has a rendezvous to reconnect on.
    has_rendezvous: bool,
}

impl Link {
    pub(crate) fn new(config: Config, has_rendezvous: bool) -> Self {
        Self {
            peer_closed: AtomicBool::new(false),
            failed: AtomicBool::new(false),
            failure: Mutex::new(None),
            config,
            has_rendezvous,
        }
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn has_rendezvous(&self) -> bool {
        self.has_rendezvous
    }

    /// The receive half delivered the peer's close.
    pub(crate) fn set_peer_closed(&self) {
        self.peer_closed.store(true, Ordering::Release);
    }

    pub(crate) fn peer_closed(&self) -> bool {
        self.peer_closed.load(Ordering::Acquire)
    }

    /// The receive half failed with `failure`.
    pub(crate) fn set_failed(&self, failure: Failure) {
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(failure);
        self.failed.store(true, Ordering::Release);
    }

    /// The receive half's failure, if it failed.
    #[inline(always)]
    pub(crate) fn failure(&self) -> Option<Failure> {
        if !self.failed.load(Ordering::Acquire) {
            return None;
        }
        self.failure.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

//! Test support for the pipe crates: deterministic payloads, the Python AEA peer, the peer
//! program, and behaviour scenarios written once and run under every runtime.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

pub mod payload;
pub mod peer;
pub mod python;
pub mod scenarios;

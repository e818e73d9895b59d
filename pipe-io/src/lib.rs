//! The runtime-generic IO layer of the AEA-compatible pipe, shared by `pipe-tokio`,
//! `pipe-smol` and `pipe-async-std`.
//!
//! Use it through one of those crates: they re-export everything here with the runtime filled
//! in (`pipe_tokio::PosixNamedPipe` is [`Pipe`]`<Tokio, `[`Fifo`]`>`). This crate holds what
//! every runtime shares, written once:
//!
//! - the rendezvous: the private FIFO directory and non-blocking FIFO opens (Unix), the
//!   loopback listener bound at creation, client address parsing;
//! - the connect loop, which carries out the actions of [`pipe_proto::Connection`] and sleeps
//!   until its timers (the core decides; this crate only does what it says);
//! - frame IO over the `futures-io` traits: reads straight into the core's buffer (into memory
//!   not zeroed first where the runtime can, see [`Runtime::READS_UNINIT`]), vectored writes of
//!   its queue, the transport's close;
//! - [`Pipe`], [`PipeReader`] (a `Stream`), [`PipeWriter`] (a `Sink`), [`Error`].
//!
//! A runtime crate implements [`Runtime`]: its FIFO and TCP types, accept, resolve, dial, sleep,
//! a timer, and, where it can, reads into memory that was never initialised.
//!
//! # One answer for each situation
//!
//! Every rule after the connect (what a read gives once the peer closed, what a write gives once
//! the pipe failed, what the close answers, what the split halves learn from each other) is
//! decided by `pipe-proto`'s halves, which the unsplit pipe and the split halves drive alike. The
//! [`behaviour`] page is the table of those answers, situation by situation and call by call; the
//! test suite runs every cell of it on every runtime, over FIFOs and TCP.
//!
//! # Signals
//!
//! Writing to a FIFO or socket whose reader is gone raises `SIGPIPE` at the OS level. Rust
//! programs ignore that signal from start-up, so the write returns an `EPIPE` error instead
//! (surfaced as [`Error::Io`]); TCP writes use `MSG_NOSIGNAL` on Linux anyway. A program whose
//! `main` is not Rust's (a C host, say) must ignore `SIGPIPE` itself.
//!
//! # Example
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), pipe_tokio::Error> {
//! use std::time::Duration;
//!
//! let mut channel = pipe_tokio::make_pipe()?;
//! let mut client = pipe_tokio::make_pipe_client(channel.out_path(), channel.in_path())?;
//! let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
//! a?;
//! b?;
//! channel.write(b"hello").await?;
//! assert_eq!(client.read().await?.as_deref(), Some(&b"hello"[..]));
//! channel.close().await?;
//! assert_eq!(client.read().await?, None);
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod connect;
mod ends;
mod engine;
mod error;
#[cfg(unix)]
mod fifo;
mod kind;
mod make;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod peer_user;
mod pipe;
mod rendezvous;
mod runtime;
mod sink;
mod split;
mod tcp;

#[doc = include_str!("../BEHAVIOUR.md")]
pub mod behaviour {}

pub use bytes::Bytes;
pub use error::{Error, WaitingFor};
#[cfg(unix)]
pub use kind::Fifo;
pub use kind::{Portable, Tcp};
pub use make::{make_pipe, make_pipe_client, make_pipe_client_with_config, make_pipe_with_config};
pub use pipe::Pipe;
pub use pipe_proto::{Config, IntoFrame, Received, Side, State, Transport, DEFAULT_MAX_FRAME_LEN};
pub use runtime::Runtime;
pub use split::{PipeReader, PipeWriter};

/// The traits of the pipe's `Stream` and `Sink` and their extension methods (`next`,
/// `try_next`, `try_collect`, `send`, `feed`, `send_all`, `forward`...), in one import, so that
/// a program needs no dependency of its own for them.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pipe_tokio::Error> {
/// # let (mut channel, mut client) = pipe_tokio::doc_pair().await?;
/// # use pipe_tokio::prelude::*;
/// client.send("one").await?; // SinkExt
/// assert_eq!(channel.try_next().await?.as_deref(), Some(&b"one"[..])); // TryStreamExt
/// # Ok(())
/// # }
/// ```
///
/// Beside the traits, `stream::iter` makes a stream of messages for `send_all` (tokio has none
/// of its own).
pub mod prelude {
    #[doc(no_inline)]
    pub use futures_util::{Sink, SinkExt, Stream, StreamExt, TryStream, TryStreamExt};

    /// A stream of the items of an iterator: `stream::iter(messages.map(Ok))` for `send_all`.
    pub mod stream {
        #[doc(no_inline)]
        pub use futures_util::stream::iter;
    }
}

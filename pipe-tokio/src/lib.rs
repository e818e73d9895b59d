//! An AEA-compatible length-prefixed pipe on **tokio**: POSIX named pipes (FIFOs) and loopback
//! TCP, channel and client side, speaking byte for byte with Python's `aea.helpers.pipe`.
//!
//! The names are the AEA's: [`make_pipe`] creates the channel side with the platform default
//! (FIFOs on Unix, TCP on Windows), [`make_pipe_client`] joins a rendezvous created elsewhere
//! (by us or by a Python AEA), [`PosixNamedPipe`] and [`TcpSocketPipe`] choose the transport,
//! [`LocalPortablePipe`] holds either. `pipe-smol` and `pipe-async-std` have the same names:
//! switching runtime means switching the crate path.
//!
//! The wire: each message is a u32 big-endian length and the payload; a zero length means the
//! sender closed (so empty messages are refused). Frames are limited to
//! [`Config::max_frame_len`] (16 MiB by default; Python has no limit, tokio-util's codec 8 MiB).
//!
//! # Example
//!
//! One process creates the channel and hands its paths to the peer (a child process, a Python
//! AEA) which connects as the client with the paths swapped:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), pipe_tokio::Error> {
//! use std::time::Duration;
//!
//! let mut channel = pipe_tokio::make_pipe()?;
//! // In real use: pass channel.in_path() and channel.out_path() to the other process.
//! let mut client = pipe_tokio::make_pipe_client(channel.out_path(), channel.in_path())?;
//!
//! let timeout = Duration::from_secs(10);
//! let (a, b) = tokio::join!(channel.connect(timeout), client.connect(timeout));
//! a?;
//! b?;
//!
//! client.write(b"envelope").await?;
//! assert_eq!(channel.read().await?.as_deref(), Some(&b"envelope"[..]));
//! client.close().await?;
//! assert_eq!(channel.read().await?, None); // the peer closed cleanly
//! channel.close().await?; // removes the FIFO directory
//! # Ok(())
//! # }
//! ```
//!
//! See the `pipe-io` crate for the behaviour shared by every runtime (connect, cancel-safety,
//! close, cleanup) and `pipe-proto` for the wire and state machine.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod adopt;
mod codec;
mod runtime;

pub use adopt::from_stream;
pub use codec::PipeCodec;
pub use pipe_io::{Config, Error, Received, Side, State, Transport, WaitingFor, DEFAULT_MAX_FRAME_LEN};
pub use runtime::Tokio;

/// A pipe over two POSIX named pipes (FIFOs), on tokio. Unix only.
///
/// ```
/// let channel = pipe_tokio::PosixNamedPipe::new()?;
/// let client = pipe_tokio::PosixNamedPipe::client(channel.out_path(), channel.in_path())?;
/// # Ok::<(), pipe_tokio::Error>(())
/// ```
#[cfg(unix)]
pub type PosixNamedPipe = pipe_io::Pipe<Tokio, pipe_io::Fifo>;

/// A pipe over one loopback TCP connection, on tokio.
///
/// ```
/// let channel = pipe_tokio::TcpSocketPipe::new()?;
/// let client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
/// # Ok::<(), pipe_tokio::Error>(())
/// ```
pub type TcpSocketPipe = pipe_io::Pipe<Tokio, pipe_io::Tcp>;

/// A pipe over either transport, chosen at run time, on tokio.
///
/// ```
/// let pipe: pipe_tokio::LocalPortablePipe = pipe_tokio::TcpSocketPipe::new()?.into();
/// # Ok::<(), pipe_tokio::Error>(())
/// ```
pub type LocalPortablePipe = pipe_io::Pipe<Tokio, pipe_io::Portable>;

/// The receiving half of a split pipe, a `Stream` of messages.
pub type PipeReader = pipe_io::PipeReader<Tokio>;

/// The sending half of a split pipe, a `Sink` of messages.
pub type PipeWriter = pipe_io::PipeWriter<Tokio>;

/// The channel side with the platform default transport (FIFOs on Unix, TCP on Windows).
///
/// ```
/// let pipe = pipe_tokio::make_pipe()?;
/// println!("peer should connect to in={} out={}", pipe.out_path(), pipe.in_path());
/// # Ok::<(), pipe_tokio::Error>(())
/// ```
pub fn make_pipe() -> Result<LocalPortablePipe, Error> {
    pipe_io::make_pipe()
}

/// The client side for a rendezvous created elsewhere; paths given swapped (client in =
/// channel out).
///
/// ```
/// let channel = pipe_tokio::make_pipe()?;
/// let client = pipe_tokio::make_pipe_client(channel.out_path(), channel.in_path())?;
/// # Ok::<(), pipe_tokio::Error>(())
/// ```
pub fn make_pipe_client(in_path: &str, out_path: &str) -> Result<LocalPortablePipe, Error> {
    pipe_io::make_pipe_client(in_path, out_path)
}

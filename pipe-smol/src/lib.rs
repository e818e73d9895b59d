//! An AEA-compatible length-prefixed pipe on **smol** (and any executor running the async-io
//! reactor): POSIX named pipes (FIFOs) and loopback TCP, channel and client side, speaking byte
//! for byte with Python's `aea.helpers.pipe`.
//!
//! The same names as `pipe-tokio` and `pipe-async-std`: [`make_pipe`], [`make_pipe_client`],
//! [`PosixNamedPipe`], [`TcpSocketPipe`], [`LocalPortablePipe`]. Everything is built on the
//! `futures-io` traits and `futures` `Stream`/`Sink`; the library spawns no task.
//!
//! # Example
//!
//! ```
//! # smol::block_on(async {
//! use std::time::Duration;
//!
//! let mut channel = pipe_smol::make_pipe()?;
//! // In real use: pass channel.in_path() and channel.out_path() to the other process.
//! let mut client = pipe_smol::make_pipe_client(channel.out_path(), channel.in_path())?;
//!
//! let timeout = Duration::from_secs(10);
//! let (a, b) = futures_lite::future::zip(channel.connect(timeout), client.connect(timeout)).await;
//! a?;
//! b?;
//!
//! client.write(b"envelope").await?;
//! assert_eq!(channel.read().await?.as_deref(), Some(&b"envelope"[..]));
//! client.close().await?;
//! assert_eq!(channel.read().await?, None); // the peer closed cleanly
//! channel.close().await?; // removes the FIFO directory
//! # Ok::<(), pipe_smol::Error>(())
//! # }).unwrap();
//! ```
//!
//! See the `pipe-io` crate for the behaviour shared by every runtime (connect, cancel-safety,
//! close, cleanup) and `pipe-proto` for the wire and state machine.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod codec;
mod runtime;

pub use codec::PipeCodec;
pub use pipe_io::{Config, Error, Received, Side, State, Transport, DEFAULT_MAX_FRAME_LEN};
pub use runtime::AsyncIo;

/// A pipe over two POSIX named pipes (FIFOs), on async-io. Unix only.
///
/// ```
/// let channel = pipe_smol::PosixNamedPipe::new()?;
/// let client = pipe_smol::PosixNamedPipe::client(channel.out_path(), channel.in_path())?;
/// # Ok::<(), pipe_smol::Error>(())
/// ```
#[cfg(unix)]
pub type PosixNamedPipe = pipe_io::Pipe<AsyncIo, pipe_io::Fifo>;

/// A pipe over one loopback TCP connection, on async-io.
///
/// ```
/// let channel = pipe_smol::TcpSocketPipe::new()?;
/// let client = pipe_smol::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
/// # Ok::<(), pipe_smol::Error>(())
/// ```
pub type TcpSocketPipe = pipe_io::Pipe<AsyncIo, pipe_io::Tcp>;

/// A pipe over either transport, chosen at run time, on async-io.
///
/// ```
/// let pipe: pipe_smol::LocalPortablePipe = pipe_smol::TcpSocketPipe::new()?.into();
/// # Ok::<(), pipe_smol::Error>(())
/// ```
pub type LocalPortablePipe = pipe_io::Pipe<AsyncIo, pipe_io::Portable>;

/// The receiving half of a split pipe, a `Stream` of messages.
pub type PipeReader = pipe_io::PipeReader<AsyncIo>;

/// The sending half of a split pipe, a `Sink` of messages.
pub type PipeWriter = pipe_io::PipeWriter<AsyncIo>;

/// The channel side with the platform default transport (FIFOs on Unix, TCP on Windows).
///
/// ```
/// let pipe = pipe_smol::make_pipe()?;
/// println!("peer should connect to in={} out={}", pipe.out_path(), pipe.in_path());
/// # Ok::<(), pipe_smol::Error>(())
/// ```
pub fn make_pipe() -> Result<LocalPortablePipe, Error> {
    pipe_io::make_pipe()
}

/// The client side for a rendezvous created elsewhere; paths given swapped (client in =
/// channel out).
///
/// ```
/// let channel = pipe_smol::make_pipe()?;
/// let client = pipe_smol::make_pipe_client(channel.out_path(), channel.in_path())?;
/// # Ok::<(), pipe_smol::Error>(())
/// ```
pub fn make_pipe_client(in_path: &str, out_path: &str) -> Result<LocalPortablePipe, Error> {
    pipe_io::make_pipe_client(in_path, out_path)
}

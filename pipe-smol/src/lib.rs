//! An AEA-compatible length-prefixed pipe on **smol** (and any executor running the async-io reactor): POSIX named pipes (FIFOs) and
//! loopback TCP, channel and client side, speaking byte for byte with Python's `aea.helpers.pipe`.
//!
//! The names are the AEA's: [`make_pipe`] creates the channel side with the platform default
//! (FIFOs on Unix, TCP on Windows), [`make_pipe_client`] joins a rendezvous created elsewhere
//! (by us or by a Python AEA), [`PosixNamedPipe`] and [`TcpSocketPipe`] choose the transport,
//! [`LocalPortablePipe`] holds either; [`PipeReader`] and [`PipeWriter`] are the halves of a
//! split pipe. `pipe-tokio`, `pipe-smol` and `pipe-async-std` have the same names: switching
//! runtime means switching the crate path. This crate is the only dependency a program needs
//! besides its runtime: it re-exports [`Bytes`], [`Config`] and [`Error`], and its [`prelude`]
//! brings the `Stream` and `Sink` methods.
//!
//! The wire: each message is a u32 big-endian length and the payload; a zero length means the
//! sender closed (so empty messages are refused). Frames are limited to
//! [`Config::max_frame_len`] (16 MiB by default; Python has no limit, tokio-util's codec 8 MiB).
//! **The Python AEA's FIFO writer loses frames of 64 KiB or more**: between a Rust and a Python
//! end over FIFOs keep messages under 64 KiB (`Config::with_max_frame_len(65_535)`), or use
//! TCP. **The AEA's Go node** (the libp2p node, only ever the client) reads a frame with one
//! `Read` of its size, not a loop, so a bigger frame than one read returns arrives cut and the
//! stream is out of step after it: toward a Go node keep frames under 64 KiB
//! (`Config::with_max_frame_len(65_535)`) unless its reader is known to loop. An empty message
//! from a Go node goes out as a zero length, which we, like every AEA reader, read as its close.
//! What every call answers in every situation (the peer closed, died, half-closed; a
//! failure; a cancelled write) is the table of `pipe_io::behaviour`, the same on every runtime.
//!
//! # Example
//!
//! One process creates the channel and hands its paths to the peer (a child process, a Python
//! AEA) which connects as the client with the paths swapped:
//!
//! ```
//! # pipe_smol::doc_block_on(async {
//! use std::time::Duration;
//!
//! let mut channel = pipe_smol::make_pipe()?;
//! // In real use: pass channel.in_path() and channel.out_path() to the other process.
//! let mut client = pipe_smol::make_pipe_client(channel.out_path(), channel.in_path())?;
//!
//! let timeout = Duration::from_secs(10);
//! let (a, b) = pipe_smol::doc_join(channel.connect(timeout), client.connect(timeout)).await;
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
//! # Two tasks: split halves
//!
//! A reader task and a writer task, each with its half, and `select!`-free shutdown: the writer
//! closes its half (the peer sees the close), the reader's stream ends when the peer closes.
//!
//! ```
//! # pipe_smol::doc_block_on(async {
//! use std::time::Duration;
//! use pipe_smol::prelude::*;
//! use pipe_smol::{Bytes, TcpSocketPipe};
//!
//! let mut channel = TcpSocketPipe::new()?;
//! let mut client = TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
//! let timeout = Duration::from_secs(10);
//! let (a, b) = pipe_smol::doc_join(channel.connect(timeout), client.connect(timeout)).await;
//! a?;
//! b?;
//!
//! let (mut reader, mut writer) = client.into_split()?;
//! let writing = async move {
//!     writer.send_all(&mut pipe_smol::doc_iter_ok((0..3u8).map(|i| Bytes::from(vec![i; 4])))).await?;
//!     writer.close().await // half-close: the reader goes on
//! };
//! let reading = async move {
//!     let mut got = Vec::new();
//!     while let Some(message) = reader.try_next().await? {
//!         got.push(message);
//!     }
//!     Ok::<_, pipe_smol::Error>(got)
//! };
//! let echoing = async {
//!     while let Some(message) = channel.read().await? {
//!         channel.write_bytes(message).await?;
//!     }
//!     channel.close().await
//! };
//! let ((wrote, got), echoed) = pipe_smol::doc_join(pipe_smol::doc_join(writing, reading), echoing).await;
//! wrote?;
//! echoed?;
//! assert_eq!(got?.len(), 3);
//! # Ok::<(), pipe_smol::Error>(())
//! # }).unwrap();
//! ```
//!
//! See the `pipe-io` crate for the behaviour shared by every runtime (connect, cancel-safety,
//! close, cleanup) and `pipe-proto` for the wire and state machine.
//!
//! The library spawns no task: everything runs in the futures you poll.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod codec;
mod doc_support;
mod runtime;

/// asynchronous-codec's `Framed`, to put [`PipeCodec`] on any futures-io `AsyncRead + AsyncWrite`
/// without a dependency of your own on asynchronous-codec.
pub use asynchronous_codec::Framed;
pub use codec::PipeCodec;
pub use pipe_io::Received;
pub use runtime::AsyncIo;

#[doc(hidden)]
pub use doc_support::{doc_block_on, doc_iter_ok, doc_join, doc_tcp_pair};

pipe_io::runtime_crate!(runtime: AsyncIo, krate: "pipe_smol", stream: async_net::TcpStream, adopt: runtime::adopt);

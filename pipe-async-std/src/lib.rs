//! An AEA-compatible length-prefixed pipe on **async-std**: POSIX named pipes (FIFOs) and
//! loopback TCP, channel and client side, speaking byte for byte with Python's `aea.helpers.pipe`.
//!
//! The names are the AEA's: [`make_pipe`] creates the channel side with the platform default
//! (FIFOs on Unix, TCP on Windows), [`make_pipe_client`] joins a rendezvous created elsewhere
//! (by us or by a Python AEA), [`PosixNamedPipe`] and [`TcpSocketPipe`] choose the transport,
//! [`LocalPortablePipe`] holds either; [`PipeReader`] and [`PipeWriter`] are the halves of a
//! split pipe. `pipe-tokio`, `pipe-smol` and `pipe-async-std` have the same names: switching
//! runtime means switching the crate path. This crate is the only dependency a program needs
//! besides its runtime: it re-exports [`Bytes`], [`Config`] and [`Error`], and its [`prelude`]
//! brings the `Stream` and `Sink` traits.
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
//! failure; a cancelled write) is the table of [`behaviour`], the same on every runtime.
//!
//! # Use it
//!
//! ```toml
//! [dependencies]
//! pipe-async-std = "0.1"
//! async-std = { version = "1", features = ["attributes"] }
//! ```
//!
//! `attributes` is what `#[async_std::main]` needs; `async_std::task::block_on` needs none.
//!
//! The crates log through the `log` facade, every record under a target that starts with
//! `pipe_io` (the shared layer's modules: `connect`, `tcp`, `pipe`, `rendezvous`): connect attempts,
//! retries, timeouts and closes at `debug`, a refused peer of another user and a FIFO directory
//! that could not be removed at `warn`. `RUST_LOG=pipe_io=debug` with `env_logger` shows them.
//!
//! # Example
//!
//! One process creates the channel and hands its paths to the peer (a child process, a Python
//! AEA) which connects as the client with the paths swapped:
//!
//! ```
//! use std::time::Duration;
//!
//! #[async_std::main]
//! async fn main() -> Result<(), pipe_async_std::Error> {
//!     let mut channel = pipe_async_std::make_pipe()?;
//!     // In real use: pass channel.in_path() and channel.out_path() to the other process.
//!     let mut client = pipe_async_std::make_pipe_client(channel.out_path(), channel.in_path())?;
//!
//!     let timeout = Duration::from_secs(10);
//!     let accepting = async_std::task::spawn(async move { channel.connect(timeout).await.map(|()| channel) });
//!     client.connect(timeout).await?;
//!     let mut channel = accepting.await?;
//!
//!     client.write(b"envelope").await?;
//!     assert_eq!(channel.read().await?.as_deref(), Some(&b"envelope"[..]));
//!     client.close().await?;
//!     assert_eq!(channel.read().await?, None); // the peer closed cleanly
//!     channel.close().await // removes the FIFO directory
//! }
//! ```
//!
//! # Two tasks: split halves
//!
//! A reader task and a writer task, each with its half, and `select!`-free shutdown: the writer
//! closes its half (the peer sees the close), the reader's stream ends when the peer closes.
//!
//! ```
//! use std::time::Duration;
//! use pipe_async_std::prelude::*;
//! use pipe_async_std::{Bytes, Error, TcpSocketPipe};
//!
//! #[async_std::main]
//! async fn main() -> Result<(), Error> {
//!     let mut channel = TcpSocketPipe::new()?;
//!     let mut client = TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
//!     let timeout = Duration::from_secs(10);
//!     let dialling = async_std::task::spawn(async move { client.connect(timeout).await.map(|()| client) });
//!     channel.connect(timeout).await?;
//!     let client = dialling.await?;
//!
//!     let (mut reader, mut writer) = client.into_split()?;
//!     let writing = async_std::task::spawn(async move {
//!         let mut messages = async_std::stream::from_iter((0..3u8).map(|i| Ok(Bytes::from(vec![i; 4]))));
//!         writer.send_all(&mut messages).await?;
//!         writer.close().await // half-close: the reader goes on
//!     });
//!     let reading = async_std::task::spawn(async move {
//!         let mut got = Vec::new();
//!         while let Some(message) = reader.try_next().await? {
//!             got.push(message);
//!         }
//!         Ok::<_, Error>(got)
//!     });
//!     while let Some(message) = channel.read().await? {
//!         channel.write_bytes(message).await?;
//!     }
//!     channel.close().await?;
//!     writing.await?;
//!     assert_eq!(reading.await?.len(), 3);
//!     Ok(())
//! }
//! ```
//!
//! The types are written once, for every runtime, in the `pipe-io` crate (these names are its
//! types with this runtime filled in); `pipe-proto` holds the wire and the state machine.
//!
//! **async-std is discontinued upstream, in favour of smol.** New code should use `pipe-smol`.
//! This crate exists for programs already on async-std: async-std runs on the same async-io
//! reactor as smol, so this is `pipe-smol`'s runtime under the same names, and
//! `TcpSocketPipe::from_stream` adopts async-std's own `TcpStream`.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod runtime;

/// asynchronous-codec's `Framed`, to put [`PipeCodec`] on async-std's sockets without a dependency
/// of your own on asynchronous-codec.
pub use pipe_smol::Framed;
/// The frame codec for `asynchronous_codec::Framed` over async-std's sockets: `pipe_smol`'s.
pub use pipe_smol::PipeCodec;
pub use runtime::AsyncStd;

pub use pipe_io::{
    prelude, Bytes, Config, Error, IntoFrame, Received, Side, State, Transport, WaitingFor, DEFAULT_MAX_FRAME_LEN,
};

/// What every call answers in every situation, the same on every runtime.
#[doc(inline)]
pub use pipe_io::behaviour;

/// A pipe over two POSIX named pipes (FIFOs), the AEA's default on Unix. Unix only.
#[cfg(unix)]
pub type PosixNamedPipe = pipe_io::Pipe<AsyncStd, pipe_io::Fifo>;
/// A pipe over one loopback TCP connection, the AEA's default on Windows.
pub type TcpSocketPipe = pipe_io::Pipe<AsyncStd, pipe_io::Tcp>;
/// A pipe over the platform's default transport (FIFOs on Unix, TCP on Windows, as the AEA's
/// `make_ipc_channel`), or either of the others converted with `into()`.
pub type LocalPortablePipe = pipe_io::Pipe<AsyncStd, pipe_io::Portable>;
/// The receiving half of a split pipe: `read`, and a `Stream` of messages.
pub type PipeReader = pipe_io::PipeReader<AsyncStd>;
/// The sending half of a split pipe: `write`, `close`, and a `Sink` of messages.
pub type PipeWriter = pipe_io::PipeWriter<AsyncStd>;

/// The channel side with the platform's default transport: FIFOs on Unix, TCP on Windows, as
/// the AEA's `make_ipc_channel` does. Hand its [`in_path`](LocalPortablePipe::in_path) and
/// [`out_path`](LocalPortablePipe::out_path) to the peer, swapped.
///
/// ```
/// let pipe = pipe_async_std::make_pipe()?;
/// println!("the peer connects with in={} out={}", pipe.out_path(), pipe.in_path());
/// # Ok::<(), pipe_async_std::Error>(())
/// ```
pub fn make_pipe() -> Result<LocalPortablePipe, Error> {
    LocalPortablePipe::new()
}

/// [`make_pipe`] with a [`Config`].
///
/// ```
/// use pipe_async_std::{make_pipe_with_config, Config};
/// let pipe = make_pipe_with_config(Config::default().with_max_frame_len(60_000))?;
/// assert_eq!(pipe.config().max_frame_len(), 60_000);
/// # Ok::<(), pipe_async_std::Error>(())
/// ```
pub fn make_pipe_with_config(config: Config) -> Result<LocalPortablePipe, Error> {
    LocalPortablePipe::with_config(config)
}

/// The client side for a rendezvous created elsewhere (by us or by a Python AEA), its paths
/// given swapped (client in = channel out). The transport follows from the text of `in_path`:
/// a port (`"9000"`), `"<ip>:<port>"` or `"<host>:<port>"` is TCP, anything else a FIFO path.
///
/// ```
/// use pipe_async_std::{make_pipe, make_pipe_client, Transport};
/// let channel = make_pipe()?;
/// let client = make_pipe_client(channel.out_path(), channel.in_path())?;
/// assert_eq!(client.transport(), channel.transport());
/// assert_eq!(make_pipe_client("40000", "40000")?.transport(), Transport::Tcp);
/// # Ok::<(), pipe_async_std::Error>(())
/// ```
pub fn make_pipe_client(in_path: &str, out_path: &str) -> Result<LocalPortablePipe, Error> {
    LocalPortablePipe::client(in_path, out_path)
}

/// [`make_pipe_client`] with a [`Config`].
///
/// ```
/// use pipe_async_std::{make_pipe, make_pipe_client_with_config, Config};
/// let channel = make_pipe()?;
/// let config = Config::default().with_max_frame_len(60_000);
/// let client = make_pipe_client_with_config(channel.out_path(), channel.in_path(), config)?;
/// assert_eq!(client.config().max_frame_len(), 60_000);
/// # Ok::<(), pipe_async_std::Error>(())
/// ```
pub fn make_pipe_client_with_config(in_path: &str, out_path: &str, config: Config) -> Result<LocalPortablePipe, Error> {
    LocalPortablePipe::client_with_config(in_path, out_path, config)
}

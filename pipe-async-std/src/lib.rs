//! An AEA-compatible length-prefixed pipe on **async-std**: POSIX named pipes (FIFOs) and
//! loopback TCP, channel and client side, speaking byte for byte with Python's
//! `aea.helpers.pipe`.
//!
//! **async-std is discontinued upstream, in favour of smol.** New code should use `pipe-smol`.
//! This crate exists for programs already on async-std: async-std runs on the same async-io
//! reactor as smol, so it is `pipe-smol` under async-std's names, with the same API
//! ([`make_pipe`], [`make_pipe_client`], [`PosixNamedPipe`], [`TcpSocketPipe`],
//! [`LocalPortablePipe`]) and no code of its own but the conversion from async-std's sockets.
//!
//! # Example
//!
//! ```
//! # async_std::task::block_on(async {
//! use std::time::Duration;
//!
//! let mut channel = pipe_async_std::make_pipe()?;
//! let mut client = pipe_async_std::make_pipe_client(channel.out_path(), channel.in_path())?;
//! let timeout = Duration::from_secs(10);
//! let connecting = async_std::task::spawn(async move { client.connect(timeout).await.map(|()| client) });
//! channel.connect(timeout).await?;
//! let mut client = connecting.await?;
//!
//! client.write(b"envelope").await?;
//! assert_eq!(channel.read().await?.as_deref(), Some(&b"envelope"[..]));
//! client.close().await?;
//! assert_eq!(channel.read().await?, None);
//! # Ok::<(), pipe_async_std::Error>(())
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

pub use pipe_smol::{
    make_pipe, make_pipe_client, AsyncIo, Config, Error, LocalPortablePipe, PipeReader, PipeWriter, Received, Side,
    State, TcpSocketPipe, Transport, DEFAULT_MAX_FRAME_LEN,
};

/// The frame codec for `asynchronous_codec::Framed` over async-std's sockets: `pipe_smol`'s.
pub use pipe_smol::PipeCodec;

#[cfg(unix)]
pub use pipe_smol::PosixNamedPipe;

/// A connected pipe over a TCP connection made with async-std's own sockets (accepted from an
/// `async_std::net::TcpListener`, or dialled), playing `side`. It is open at once: no
/// `connect` needed. The stream must not have been cloned (async-std cannot give up a shared
/// socket); a clone still alive is an `Error::Io` of kind `Other`.
///
/// ```
/// # async_std::task::block_on(async {
/// use pipe_async_std::{from_async_std, Side};
///
/// let listener = async_std::net::TcpListener::bind("127.0.0.1:0").await?;
/// let dialled = async_std::net::TcpStream::connect(listener.local_addr()?).await?;
/// let (accepted, _) = listener.accept().await?;
/// let mut client = from_async_std(dialled, Side::Client, Default::default())?;
/// let mut channel = from_async_std(accepted, Side::Channel, Default::default())?;
/// client.write(b"from async-std").await?;
/// assert_eq!(channel.read().await?.as_deref(), Some(&b"from async-std"[..]));
/// # Ok::<(), pipe_async_std::Error>(())
/// # }).unwrap();
/// ```
pub fn from_async_std(stream: async_std::net::TcpStream, side: Side, config: Config) -> Result<TcpSocketPipe, Error> {
    let std_stream = std::net::TcpStream::try_from(stream)?;
    let stream = async_net::TcpStream::try_from(std_stream)?;
    TcpSocketPipe::from_stream(stream, side, config)
}

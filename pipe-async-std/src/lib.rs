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

#[cfg(unix)]
pub use pipe_smol::PosixNamedPipe;

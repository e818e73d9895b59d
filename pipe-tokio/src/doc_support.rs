//! Hidden helpers for the doc tests of `pipe-io`, whose examples run on this runtime: only ever
//! in hidden lines, so that what a reader sees names no runtime.

use std::future::Future;
use std::time::Duration;

use crate::{Error, TcpSocketPipe};

/// Runs `future` to completion on a current-thread tokio runtime.
pub fn doc_block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime").block_on(future)
}

/// A connected TCP channel and its client.
pub async fn doc_pair() -> Result<(TcpSocketPipe, TcpSocketPipe), Error> {
    let mut channel = TcpSocketPipe::new()?;
    let mut client = TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    let timeout = Duration::from_secs(5);
    let (a, b) = tokio::join!(channel.connect(timeout), client.connect(timeout));
    a?;
    b?;
    Ok((channel, client))
}

/// Two connected ends of one loopback TCP connection, as this runtime's sockets.
pub async fn doc_tcp_pair() -> std::io::Result<(tokio::net::TcpStream, tokio::net::TcpStream)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let dialled = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
    let (accepted, _) = listener.accept().await?;
    Ok((dialled, accepted))
}

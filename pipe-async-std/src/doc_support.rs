//! What the examples in this crate's documentation run on: the executor, and small helpers
//! that keep the examples' visible lines about the pipe. Hidden from the documentation.

use std::future::Future;

/// Runs `future` to completion on async-std's executor.
pub fn doc_block_on<F: Future>(future: F) -> F::Output {
    async_std::task::block_on(future)
}

pub use pipe_io::facade::{doc_iter_ok, doc_join};

/// Two connected ends of one loopback TCP connection, as async-std's own sockets.
pub async fn doc_tcp_pair() -> std::io::Result<(async_std::net::TcpStream, async_std::net::TcpStream)> {
    let listener = async_std::net::TcpListener::bind("127.0.0.1:0").await?;
    let dialled = async_std::net::TcpStream::connect(listener.local_addr()?).await?;
    let (accepted, _) = listener.accept().await?;
    Ok((dialled, accepted))
}

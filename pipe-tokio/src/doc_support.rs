//! What the examples in this crate's documentation run on: the executor, and small helpers
//! that keep the examples' visible lines about the pipe. Hidden from the documentation.

use std::future::Future;

/// Runs `future` to completion on a current-thread tokio runtime.
pub fn doc_block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime").block_on(future)
}

pub use pipe_io::facade::{doc_iter_ok, doc_join};

/// Two connected ends of one loopback TCP connection, as this runtime's sockets.
pub async fn doc_tcp_pair() -> std::io::Result<(tokio::net::TcpStream, tokio::net::TcpStream)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let dialled = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
    let (accepted, _) = listener.accept().await?;
    Ok((dialled, accepted))
}

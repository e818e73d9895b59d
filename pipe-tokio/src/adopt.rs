//! Adopting a TCP connection the application made itself.

use pipe_io::{Config, Error, Side};

use crate::TcpSocketPipe;

/// A connected pipe over a TCP connection the application made itself with tokio's own sockets
/// (accepted from a `tokio::net::TcpListener`, or dialled), playing `side`. It is open at
/// once: no `connect` needed, and both paths name the peer's address. The same function, with
/// the same arguments, exists in `pipe-smol` and `pipe-async-std` for their runtime's
/// `TcpStream`; this one is [`TcpSocketPipe::from_stream`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pipe_tokio::Error> {
/// use pipe_tokio::{from_stream, Side};
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let dialled = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
/// let (accepted, _) = listener.accept().await?;
/// let mut client = from_stream(dialled, Side::Client, Default::default())?;
/// let mut channel = from_stream(accepted, Side::Channel, Default::default())?;
/// client.write(b"adopted").await?;
/// assert_eq!(channel.read().await?.as_deref(), Some(&b"adopted"[..]));
/// # Ok(())
/// # }
/// ```
pub fn from_stream(stream: tokio::net::TcpStream, side: Side, config: Config) -> Result<TcpSocketPipe, Error> {
    TcpSocketPipe::from_stream(stream, side, config)
}

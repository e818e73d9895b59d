//! Adopting a TCP connection the application made itself.

use pipe_io::{Config, Error, Side};

use crate::TcpSocketPipe;

/// A connected pipe over a TCP connection the application made itself with smol's own sockets
/// (`smol::net`, which is `async-net`: accepted from a `TcpListener`, or dialled), playing
/// `side`. It is open at once: no `connect` needed, and both paths name the peer's address.
/// The same function, with the same arguments, exists in `pipe-tokio` and `pipe-async-std` for
/// their runtime's `TcpStream`; this one is [`TcpSocketPipe::from_stream`].
///
/// ```
/// # smol::block_on(async {
/// use pipe_smol::{from_stream, Side};
///
/// let listener = smol::net::TcpListener::bind("127.0.0.1:0").await?;
/// let dialled = smol::net::TcpStream::connect(listener.local_addr()?).await?;
/// let (accepted, _) = listener.accept().await?;
/// let mut client = from_stream(dialled, Side::Client, Default::default())?;
/// let mut channel = from_stream(accepted, Side::Channel, Default::default())?;
/// client.write(b"adopted").await?;
/// assert_eq!(channel.read().await?.as_deref(), Some(&b"adopted"[..]));
/// # Ok::<(), pipe_smol::Error>(())
/// # }).unwrap();
/// ```
pub fn from_stream(stream: async_net::TcpStream, side: Side, config: Config) -> Result<TcpSocketPipe, Error> {
    TcpSocketPipe::from_stream(stream, side, config)
}

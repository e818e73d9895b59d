//! What a runtime adapter provides: its OS object types, and how to accept, resolve, dial and
//! sleep.
//!
//! Everything else (the rendezvous, the connect loop, frame IO, close) is written once in this
//! crate on top of the `futures-io` traits; `pipe-tokio` and `pipe-smol` each implement this
//! trait in about a hundred lines, and `pipe-async-std` reuses `pipe-smol`'s.

use std::fmt::Debug;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_io::{AsyncRead, AsyncWrite};

/// An async runtime the pipe can run on. Implemented by `pipe_tokio::Tokio` and
/// `pipe_smol::AsyncIo`; users never call these methods.
///
/// Conversions from `std` objects happen inside `connect`, so that creating a pipe needs no
/// running runtime, and none of these methods spawns a task.
pub trait Runtime: Debug + Send + Sync + Sized + 'static {
    /// A FIFO read end, from a non-blocking `std::fs::File`.
    #[cfg(unix)]
    type FifoReader: AsyncRead + Unpin + Send + Debug;
    /// A FIFO write end, from a non-blocking `std::fs::File`.
    #[cfg(unix)]
    type FifoWriter: AsyncWrite + Unpin + Send + Debug;
    /// A listening TCP socket.
    type Listener: Send + Sync + Unpin + Debug;
    /// A connected TCP socket.
    type TcpStream: Send + Unpin + Debug;
    /// The reading half of a connected TCP socket.
    type TcpReader: AsyncRead + Unpin + Send + Debug;
    /// The writing half of a connected TCP socket; `poll_close` shuts down its write direction.
    type TcpWriter: AsyncWrite + Unpin + Send + Debug;

    /// Registers a FIFO read end opened with `O_NONBLOCK`.
    #[cfg(unix)]
    fn fifo_reader(file: std::fs::File) -> io::Result<Self::FifoReader>;
    /// Registers a FIFO write end opened with `O_NONBLOCK`.
    #[cfg(unix)]
    fn fifo_writer(file: std::fs::File) -> io::Result<Self::FifoWriter>;
    /// Registers a bound, listening socket.
    fn listener(listener: std::net::TcpListener) -> io::Result<Self::Listener>;
    /// Accepts one connection (with `TCP_NODELAY` set).
    fn accept(listener: &Self::Listener) -> impl Future<Output = io::Result<Self::TcpStream>> + Send;
    /// Connects to `addr` (with `TCP_NODELAY` set).
    fn dial(addr: SocketAddr) -> impl Future<Output = io::Result<Self::TcpStream>> + Send;
    /// Resolves `"<host>:<port>"` to socket addresses without blocking the executor (tokio's
    /// `lookup_host`, async-net's `resolve`): how a TCP client named by a host name finds its
    /// channel, inside `connect`, never when the pipe is made.
    fn resolve(host_port: &str) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send;
    /// The address of the peer of a connected socket.
    fn peer_addr(stream: &Self::TcpStream) -> io::Result<SocketAddr>;
    /// Splits a connected socket into halves that can be used from different tasks.
    fn split(stream: Self::TcpStream) -> (Self::TcpReader, Self::TcpWriter);
    /// Completes at `deadline` (at once if it passed).
    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + Send;

    /// A timer that can be re-armed, for the core's timers while a pipe is open (the FIFO
    /// hang-up probe): made once per pipe, reset to each new deadline.
    type Timer: Send + Sync + Unpin + Debug;
    /// A timer that fires at `deadline`.
    fn timer_at(deadline: Instant) -> Self::Timer;
    /// Re-arms `timer` to fire at `deadline` instead.
    fn reset_timer(timer: &mut Self::Timer, deadline: Instant);
    /// Ready once the timer's deadline has passed; registers `cx`'s waker until then.
    fn poll_timer(timer: &mut Self::Timer, cx: &mut Context<'_>) -> Poll<()>;
}

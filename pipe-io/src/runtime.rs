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
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::buf::Limit;
use bytes::{BufMut, BytesMut};
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
    /// The TCP socket type of this runtime's own API, the one an application dials or accepts
    /// itself and hands to `TcpSocketPipe::from_stream`.
    type AppTcpStream;
    /// Turns an application's socket into [`TcpStream`](Self::TcpStream) (the same socket).
    fn adopt_tcp(stream: Self::AppTcpStream) -> io::Result<Self::TcpStream>;
    /// The address of the peer of a connected socket.
    fn peer_addr(stream: &Self::TcpStream) -> io::Result<SocketAddr>;
    /// Splits a connected socket into halves that can be used from different tasks.
    fn split(stream: Self::TcpStream) -> (Self::TcpReader, Self::TcpWriter);
    /// Completes at `deadline` (at once if it passed).
    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + Send;

    /// `true` where the runtime can read into memory that was never initialised (tokio, through
    /// its `ReadBuf`): the pipe then reads with [`poll_read_fifo_uninit`](Self::poll_read_fifo_uninit)
    /// and [`poll_read_tcp_uninit`](Self::poll_read_tcp_uninit), into the spare capacity of its
    /// read buffer, which is never zeroed. `false` (the default) where reads go through
    /// `futures-io`'s `AsyncRead::poll_read`, which takes initialised memory: the pipe then
    /// reads into space it zeroed once, when it made it, and reuses.
    const READS_UNINIT: bool = false;

    /// Reads from a FIFO read end into the spare capacity of `buf`, appending at most
    /// `buf.remaining_mut()` bytes without zeroing the space first; the number of bytes read, 0
    /// at the end of the stream. Used when [`READS_UNINIT`](Self::READS_UNINIT) is `true`; the
    /// default zeroes the space and reads through `AsyncRead::poll_read`.
    #[cfg(unix)]
    fn poll_read_fifo_uninit(
        reader: &mut Self::FifoReader,
        cx: &mut Context<'_>,
        buf: &mut Limit<&mut BytesMut>,
    ) -> Poll<io::Result<usize>> {
        poll_read_zeroed(reader, cx, buf)
    }

    /// [`poll_read_fifo_uninit`](Self::poll_read_fifo_uninit) for the reading half of a TCP
    /// socket.
    fn poll_read_tcp_uninit(
        reader: &mut Self::TcpReader,
        cx: &mut Context<'_>,
        buf: &mut Limit<&mut BytesMut>,
    ) -> Poll<io::Result<usize>> {
        poll_read_zeroed(reader, cx, buf)
    }

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

/// Reads into the spare capacity of `buf` through `AsyncRead::poll_read`, which needs it
/// initialised: zeroes it, reads, and keeps only what was read.
fn poll_read_zeroed<T: AsyncRead + Unpin>(
    reader: &mut T,
    cx: &mut Context<'_>,
    buf: &mut Limit<&mut BytesMut>,
) -> Poll<io::Result<usize>> {
    let room = buf.remaining_mut();
    let limit = Limit::limit(buf);
    let bytes = buf.get_mut();
    let start = bytes.len();
    bytes.resize(start + room, 0);
    let result = Pin::new(reader).poll_read(cx, &mut bytes[start..]);
    let n = match result {
        Poll::Ready(Ok(n)) => n.min(room),
        _ => 0,
    };
    bytes.truncate(start + n);
    buf.set_limit(limit - n);
    result.map_ok(|_| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zeroing_default_appends_what_it_read_within_the_limit() {
        let mut reader = futures_util::io::Cursor::new(b"hello world".to_vec());
        let mut buf = BytesMut::from(&b"ab"[..]);
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut limited = (&mut buf).limit(5);
        assert!(matches!(poll_read_zeroed(&mut reader, &mut cx, &mut limited), Poll::Ready(Ok(5))));
        assert_eq!(limited.remaining_mut(), 0, "the limit counts what was read");
        assert_eq!(&buf[..], b"abhello", "appended after what was there, and no more");
        let mut limited = (&mut buf).limit(100);
        assert!(matches!(poll_read_zeroed(&mut reader, &mut cx, &mut limited), Poll::Ready(Ok(6))));
        assert_eq!(&buf[..], b"abhello world", "a short read keeps only what it read");
        let mut limited = (&mut buf).limit(100);
        assert!(matches!(poll_read_zeroed(&mut reader, &mut cx, &mut limited), Poll::Ready(Ok(0))), "the end");
        assert_eq!(buf.len(), 13);
    }
}

//! tokio as a [`Runtime`]: FIFOs through `tokio::net::unix::pipe` (never `tokio::fs`, which goes
//! through a blocking thread pool), TCP through `tokio::net`, both seen as `futures-io` types:
//! the readers through `tokio_util::compat`, with reads through tokio's own `ReadBuf`, into
//! memory that is not zeroed first; the writers through [`VectoredWriter`], which keeps the
//! vectored writes that put a frame's header and payload in one system call.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::buf::Limit;
use bytes::BytesMut;
use pipe_io::Runtime;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

use crate::writer::VectoredWriter;

/// The tokio runtime. Pipes must be connected from within a tokio runtime (any flavour); they
/// can be created outside one.
///
/// ```
/// use pipe_tokio::TcpSocketPipe; // a pipe on this runtime
/// let pipe = TcpSocketPipe::new()?;
/// # Ok::<(), pipe_tokio::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Tokio;

impl Runtime for Tokio {
    #[cfg(unix)]
    type FifoReader = Compat<tokio::net::unix::pipe::Receiver>;
    #[cfg(unix)]
    type FifoWriter = VectoredWriter<tokio::net::unix::pipe::Sender>;
    type Listener = TcpListener;
    type TcpStream = TcpStream;
    type TcpReader = Compat<OwnedReadHalf>;
    type TcpWriter = VectoredWriter<OwnedWriteHalf>;

    const READS_UNINIT: bool = true;

    #[cfg(unix)]
    fn poll_read_fifo_uninit(
        reader: &mut Self::FifoReader,
        cx: &mut Context<'_>,
        buf: &mut Limit<&mut BytesMut>,
    ) -> Poll<io::Result<usize>> {
        tokio_util::io::poll_read_buf(Pin::new(reader.get_mut()), cx, buf)
    }

    fn poll_read_tcp_uninit(
        reader: &mut Self::TcpReader,
        cx: &mut Context<'_>,
        buf: &mut Limit<&mut BytesMut>,
    ) -> Poll<io::Result<usize>> {
        tokio_util::io::poll_read_buf(Pin::new(reader.get_mut()), cx, buf)
    }

    #[cfg(unix)]
    fn fifo_reader(file: std::fs::File) -> io::Result<Self::FifoReader> {
        Ok(tokio::net::unix::pipe::Receiver::from_file(file)?.compat())
    }

    #[cfg(unix)]
    fn fifo_writer(file: std::fs::File) -> io::Result<Self::FifoWriter> {
        Ok(VectoredWriter::new(tokio::net::unix::pipe::Sender::from_file(file)?))
    }

    fn listener(listener: std::net::TcpListener) -> io::Result<Self::Listener> {
        listener.set_nonblocking(true)?;
        TcpListener::from_std(listener)
    }

    async fn accept(listener: &Self::Listener) -> io::Result<Self::TcpStream> {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    async fn dial(addr: SocketAddr) -> io::Result<Self::TcpStream> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    async fn resolve(host_port: &str) -> io::Result<Vec<SocketAddr>> {
        Ok(tokio::net::lookup_host(host_port).await?.collect())
    }

    /// The runtime's own socket is the one the pipe uses: adopted as it is.
    type AppTcpStream = TcpStream;

    fn adopt_tcp(stream: TcpStream) -> io::Result<TcpStream> {
        Ok(stream)
    }

    fn peer_addr(stream: &Self::TcpStream) -> io::Result<SocketAddr> {
        stream.peer_addr()
    }

    fn split(stream: Self::TcpStream) -> (Self::TcpReader, Self::TcpWriter) {
        let (read, write) = stream.into_split();
        (read.compat(), VectoredWriter::new(write))
    }

    async fn sleep_until(deadline: Instant) {
        tokio::time::sleep_until(deadline.into()).await
    }

    type Timer = Pin<Box<tokio::time::Sleep>>;

    fn timer_at(deadline: Instant) -> Self::Timer {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }

    fn reset_timer(timer: &mut Self::Timer, deadline: Instant) {
        if timer.deadline() != deadline.into() {
            timer.as_mut().reset(deadline.into());
        }
    }

    fn poll_timer(timer: &mut Self::Timer, cx: &mut Context<'_>) -> Poll<()> {
        timer.as_mut().poll(cx)
    }
}

//! async-std as a [`Runtime`]: async-std runs on the async-io reactor, so every operation is
//! `pipe-smol`'s [`AsyncIo`](pipe_smol::AsyncIo), called as it is; only the socket an application hands to
//! `TcpSocketPipe::from_stream` is async-std's own.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::buf::Limit;
use bytes::BytesMut;
use pipe_io::Runtime;
use pipe_smol::AsyncIo;

/// The async-std runtime: [`AsyncIo`](pipe_smol::AsyncIo)'s operations, with async-std's `TcpStream` as the
/// application's socket.
///
/// ```
/// use pipe_async_std::TcpSocketPipe;
/// let pipe = TcpSocketPipe::new()?;
/// # Ok::<(), pipe_async_std::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncStd;

impl Runtime for AsyncStd {
    #[cfg(unix)]
    type FifoReader = <AsyncIo as Runtime>::FifoReader;
    #[cfg(unix)]
    type FifoWriter = <AsyncIo as Runtime>::FifoWriter;
    type Listener = <AsyncIo as Runtime>::Listener;
    type TcpStream = <AsyncIo as Runtime>::TcpStream;
    type TcpReader = <AsyncIo as Runtime>::TcpReader;
    type TcpWriter = <AsyncIo as Runtime>::TcpWriter;
    /// async-std's socket, handed over to the async-io reactor. The stream must not have been
    /// cloned (async-std cannot give up a shared socket); a clone still alive is an
    /// `Error::Io` of kind `Other`.
    type AppTcpStream = async_std::net::TcpStream;
    type Timer = <AsyncIo as Runtime>::Timer;

    const READS_UNINIT: bool = <AsyncIo as Runtime>::READS_UNINIT;

    fn adopt_tcp(stream: async_std::net::TcpStream) -> io::Result<Self::TcpStream> {
        async_net::TcpStream::try_from(std::net::TcpStream::try_from(stream)?)
    }

    #[cfg(unix)]
    fn fifo_reader(file: std::fs::File) -> io::Result<Self::FifoReader> {
        AsyncIo::fifo_reader(file)
    }

    #[cfg(unix)]
    fn fifo_writer(file: std::fs::File) -> io::Result<Self::FifoWriter> {
        AsyncIo::fifo_writer(file)
    }

    #[cfg(unix)]
    fn poll_read_fifo_uninit(
        reader: &mut Self::FifoReader,
        cx: &mut Context<'_>,
        buf: &mut Limit<&mut BytesMut>,
    ) -> Poll<io::Result<usize>> {
        AsyncIo::poll_read_fifo_uninit(reader, cx, buf)
    }

    fn poll_read_tcp_uninit(
        reader: &mut Self::TcpReader,
        cx: &mut Context<'_>,
        buf: &mut Limit<&mut BytesMut>,
    ) -> Poll<io::Result<usize>> {
        AsyncIo::poll_read_tcp_uninit(reader, cx, buf)
    }

    fn listener(listener: std::net::TcpListener) -> io::Result<Self::Listener> {
        AsyncIo::listener(listener)
    }

    fn accept(listener: &Self::Listener) -> impl Future<Output = io::Result<Self::TcpStream>> + Send {
        AsyncIo::accept(listener)
    }

    fn dial(addr: SocketAddr) -> impl Future<Output = io::Result<Self::TcpStream>> + Send {
        AsyncIo::dial(addr)
    }

    fn resolve(host_port: &str) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send {
        AsyncIo::resolve(host_port)
    }

    fn peer_addr(stream: &Self::TcpStream) -> io::Result<SocketAddr> {
        AsyncIo::peer_addr(stream)
    }

    fn split(stream: Self::TcpStream) -> (Self::TcpReader, Self::TcpWriter) {
        AsyncIo::split(stream)
    }

    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + Send {
        AsyncIo::sleep_until(deadline)
    }

    fn timer_at(deadline: Instant) -> Self::Timer {
        AsyncIo::timer_at(deadline)
    }

    fn reset_timer(timer: &mut Self::Timer, deadline: Instant) {
        AsyncIo::reset_timer(timer, deadline)
    }

    fn poll_timer(timer: &mut Self::Timer, cx: &mut Context<'_>) -> Poll<()> {
        AsyncIo::poll_timer(timer, cx)
    }
}

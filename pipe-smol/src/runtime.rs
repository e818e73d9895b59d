//! The async-io family (smol, async-std, or any executor with async-io's reactor) as a
//! [`Runtime`]: FIFOs through `async_io::Async<std::fs::File>` opened non-blocking (never
//! `async_fs`, which goes through a blocking thread pool), TCP through `async-net`.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
#[cfg(unix)]
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use async_io::Timer;
use async_net::{TcpListener, TcpStream};
use pipe_io::Runtime;

/// The async-io reactor, as used by smol and async-std. Works under any executor: async-io
/// drives its reactor itself. Spawns no task.
///
/// ```
/// let pipe = pipe_smol::TcpSocketPipe::new()?; // a pipe on this runtime
/// # Ok::<(), pipe_smol::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncIo;

impl Runtime for AsyncIo {
    #[cfg(unix)]
    type FifoReader = FifoReader;
    #[cfg(unix)]
    type FifoWriter = async_io::Async<std::fs::File>;
    type Listener = TcpListener;
    type TcpStream = TcpStream;
    type TcpReader = TcpStream;
    type TcpWriter = TcpStream;

    #[cfg(unix)]
    fn fifo_reader(file: std::fs::File) -> io::Result<Self::FifoReader> {
        Ok(FifoReader { file: Arc::new(async_io::Async::new(file)?), readable: None })
    }

    #[cfg(unix)]
    fn fifo_writer(file: std::fs::File) -> io::Result<Self::FifoWriter> {
        async_io::Async::new(file)
    }

    fn listener(listener: std::net::TcpListener) -> io::Result<Self::Listener> {
        TcpListener::try_from(listener)
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
        async_net::resolve(host_port).await
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
        (stream.clone(), stream)
    }

    async fn sleep_until(deadline: Instant) {
        Timer::at(deadline).await;
    }

    type Timer = Timer;

    fn timer_at(deadline: Instant) -> Self::Timer {
        Timer::at(deadline)
    }

    fn reset_timer(timer: &mut Self::Timer, deadline: Instant) {
        timer.set_at(deadline);
    }

    fn poll_timer(timer: &mut Self::Timer, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(timer).poll(cx).map(drop)
    }
}

/// A FIFO read end on async-io, read the way async-net reads its sockets: a read, and when it
/// would block, a wait for readability that only an event after the wait began ends.
/// `async_io::Async`'s own `poll_read` waits with `poll_readable`, which also counts the event
/// that ended the previous wait, so every wait began with one more read bound to fail.
#[cfg(unix)]
#[derive(Debug)]
pub struct FifoReader {
    file: Arc<async_io::Async<std::fs::File>>,
    /// The wait for readability under way.
    readable: Option<async_io::ReadableOwned<std::fs::File>>,
}

#[cfg(unix)]
impl futures_io::AsyncRead for FifoReader {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        loop {
            match io::Read::read(&mut this.file.get_ref(), buf) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                result => {
                    this.readable = None;
                    return Poll::Ready(result);
                }
            }
            let readable = this.readable.get_or_insert_with(|| this.file.clone().readable_owned());
            let ready = std::task::ready!(Pin::new(readable).poll(cx));
            this.readable = None;
            ready?;
        }
    }
}

//! The async-io family (smol, async-std, or any executor with async-io's reactor) as a
//! [`Runtime`]: FIFOs through `async_io::Async<std::fs::File>` opened non-blocking (never
//! `async_fs`, which goes through a blocking thread pool), TCP through `async-net`.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use async_io::Timer;
use async_net::{TcpListener, TcpStream};
use pipe_io::Runtime;

/// The async-io reactor, as used by smol and async-std. Works under any executor: async-io
/// drives its reactor itself. Spawns no task.
///
/// ```
/// let pipe = pipe_io::Pipe::<pipe_smol::AsyncIo, pipe_io::Tcp>::new()?;
/// # Ok::<(), pipe_smol::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncIo;

impl Runtime for AsyncIo {
    #[cfg(unix)]
    type FifoReader = async_io::Async<std::fs::File>;
    #[cfg(unix)]
    type FifoWriter = async_io::Async<std::fs::File>;
    type Listener = TcpListener;
    type TcpStream = TcpStream;
    type TcpReader = TcpStream;
    type TcpWriter = TcpStream;

    #[cfg(unix)]
    fn fifo_reader(file: std::fs::File) -> io::Result<Self::FifoReader> {
        async_io::Async::new(file)
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

/// async-net's `TcpStream` is this runtime's: adopted as it is.
pub(crate) fn adopt(stream: TcpStream) -> io::Result<TcpStream> {
    Ok(stream)
}

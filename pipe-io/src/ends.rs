//! The connected OS objects of a pipe, one per direction, as `futures-io` readers and writers.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
#[cfg(unix)]
use std::{
    fmt,
    future::Future,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use futures_io::{AsyncRead, AsyncWrite};

use crate::runtime::Runtime;

/// Where frames are read from.
#[derive(Debug)]
pub(crate) enum ReadEnd<R: Runtime> {
    #[cfg(unix)]
    Fifo(FifoReadEnd<R>),
    Tcp(R::TcpReader),
}

/// Where frames are written to.
#[derive(Debug)]
pub(crate) enum WriteEnd<R: Runtime> {
    #[cfg(unix)]
    Fifo(R::FifoWriter),
    Tcp(R::TcpWriter),
}

impl<R: Runtime> AsyncRead for ReadEnd<R> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            #[cfg(unix)]
            ReadEnd::Fifo(end) => end.poll_read(cx, buf),
            ReadEnd::Tcp(end) => Pin::new(end).poll_read(cx, buf),
        }
    }
}

/// A FIFO read end with the hangup probe of [`pipe_proto::Config::fifo_hangup_probe`].
///
/// On macOS, kqueue and poll wake a FIFO reader for new data but never for the last writer's
/// close, although `read()` then returns 0. So while the runtime's reader waits, a timer runs;
/// each time it fires, one non-blocking `read()` on a duplicate of the descriptor asks the OS
/// directly: data or end-of-file is returned as if the runtime had read it, "would block" (the
/// peer is alive and silent) re-arms the timer. Both descriptors share one open file, and every
/// read goes into the same buffer from the same task, so nothing is lost or reordered.
#[cfg(unix)]
pub(crate) struct FifoReadEnd<R: Runtime> {
    end: R::FifoReader,
    probe: std::fs::File,
    interval: Option<Duration>,
    /// The runtime's timer for the next probe. Behind a mutex only so that the pipe stays `Sync`
    /// (it is reached through `&mut self`, never locked).
    timer: Mutex<Option<Pin<Box<dyn Future<Output = ()> + Send>>>>,
}

#[cfg(unix)]
impl<R: Runtime> FifoReadEnd<R> {
    /// Registers `file`, a FIFO read end opened with `O_NONBLOCK`, with the runtime.
    pub(crate) fn new(file: std::fs::File, interval: Option<Duration>) -> io::Result<Self> {
        let probe = file.try_clone()?;
        Ok(Self { end: R::fifo_reader(file)?, probe, interval, timer: Mutex::new(None) })
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if let Poll::Ready(result) = Pin::new(&mut self.end).poll_read(cx, buf) {
            return Poll::Ready(result);
        }
        let Some(interval) = self.interval else {
            return Poll::Pending;
        };
        // A timer that fired while data kept coming is not re-armed until the reader waits
        // again: at most one timer per interval, however busy the pipe.
        let timer = self.timer.get_mut().unwrap_or_else(PoisonError::into_inner);
        loop {
            let sleep = timer.get_or_insert_with(|| Box::pin(R::sleep_until(Instant::now() + interval)));
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            *timer = None;
            match io::Read::read(&mut &self.probe, buf) {
                Err(err) if matches!(err.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {}
                result => return Poll::Ready(result),
            }
        }
    }
}

#[cfg(unix)]
impl<R: Runtime> fmt::Debug for FifoReadEnd<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FifoReadEnd").field("end", &self.end).field("hangup_probe", &self.interval).finish()
    }
}

impl<R: Runtime> AsyncWrite for WriteEnd<R> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            #[cfg(unix)]
            WriteEnd::Fifo(end) => Pin::new(end).poll_write(cx, buf),
            WriteEnd::Tcp(end) => Pin::new(end).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            #[cfg(unix)]
            WriteEnd::Fifo(end) => Pin::new(end).poll_write_vectored(cx, bufs),
            WriteEnd::Tcp(end) => Pin::new(end).poll_write_vectored(cx, bufs),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            WriteEnd::Fifo(end) => Pin::new(end).poll_flush(cx),
            WriteEnd::Tcp(end) => Pin::new(end).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            WriteEnd::Fifo(end) => Pin::new(end).poll_close(cx),
            WriteEnd::Tcp(end) => Pin::new(end).poll_close(cx),
        }
    }
}

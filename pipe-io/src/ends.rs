//! The connected OS objects of a pipe, one per direction, as `futures-io` readers and writers.

#[cfg(unix)]
use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::buf::Limit;
use bytes::BytesMut;
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
    #[inline]
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            #[cfg(unix)]
            ReadEnd::Fifo(end) => Pin::new(&mut end.end).poll_read(cx, buf),
            ReadEnd::Tcp(end) => Pin::new(end).poll_read(cx, buf),
        }
    }
}

impl<R: Runtime> ReadEnd<R> {
    /// Reads into the spare capacity of `buf` without zeroing it (see
    /// [`Runtime::READS_UNINIT`]).
    #[inline]
    pub(crate) fn poll_read_uninit(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut Limit<&mut BytesMut>,
    ) -> Poll<io::Result<usize>> {
        match self {
            #[cfg(unix)]
            ReadEnd::Fifo(end) => R::poll_read_fifo_uninit(&mut end.end, cx, buf),
            ReadEnd::Tcp(end) => R::poll_read_tcp_uninit(end, cx, buf),
        }
    }

    /// The core's hang-up probe ([`pipe_proto::RecvAction::ProbeHangup`]): one non-blocking read,
    /// now, whatever the runtime says about readiness. `WouldBlock` when there is nothing to read
    /// (and always on TCP, where the core never asks for a probe).
    // Without FIFOs (Windows) only the TCP arm is left, which needs neither argument.
    #[cfg_attr(not(unix), allow(unused_variables))]
    pub(crate) fn probe(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            #[cfg(unix)]
            ReadEnd::Fifo(end) => io::Read::read(&mut &end.probe, buf),
            ReadEnd::Tcp(_) => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// Waits until `deadline`, the core's next timer (the hang-up probe), on the runtime's timer,
    /// re-armed to each new deadline. TCP has no such timer: ready at once, so the core's answer
    /// (no probe) comes without waiting.
    #[cfg_attr(not(unix), allow(unused_variables))]
    pub(crate) fn poll_timer(&mut self, deadline: Instant, cx: &mut Context<'_>) -> Poll<()> {
        match self {
            #[cfg(unix)]
            ReadEnd::Fifo(end) => {
                let timer = match &mut end.timer {
                    Some(timer) => {
                        R::reset_timer(timer, deadline);
                        timer
                    }
                    None => end.timer.insert(R::timer_at(deadline)),
                };
                R::poll_timer(timer, cx)
            }
            ReadEnd::Tcp(_) => Poll::Ready(()),
        }
    }
}

/// A FIFO read end, with what the hang-up probe needs: a duplicate of the descriptor for the
/// non-blocking probe read, and the runtime timer that wakes the reader when the core's probe is
/// due.
///
/// On macOS, kqueue and poll wake a FIFO reader for new data but never for the last writer's
/// close, although `read()` then returns 0. The core decides when to probe
/// ([`pipe_proto::Config::with_fifo_hangup_probe`]); both descriptors share one open file, and
/// every read goes into the same buffer from the same task, so nothing is lost or reordered.
#[cfg(unix)]
pub(crate) struct FifoReadEnd<R: Runtime> {
    end: R::FifoReader,
    probe: std::fs::File,
    timer: Option<R::Timer>,
}

#[cfg(unix)]
impl<R: Runtime> FifoReadEnd<R> {
    /// Registers `file`, a FIFO read end opened with `O_NONBLOCK`, with the runtime.
    pub(crate) fn new(file: std::fs::File) -> io::Result<Self> {
        let probe = file.try_clone()?;
        Ok(Self { end: R::fifo_reader(file)?, probe, timer: None })
    }
}

#[cfg(unix)]
impl<R: Runtime> fmt::Debug for FifoReadEnd<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FifoReadEnd").field("end", &self.end).field("probe_timer", &self.timer.is_some()).finish()
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

//! The connected OS objects of a pipe, one per direction, as `futures-io` readers and writers.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::runtime::Runtime;

/// Where frames are read from.
#[derive(Debug)]
pub(crate) enum ReadEnd<R: Runtime> {
    #[cfg(unix)]
    Fifo(R::FifoReader),
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
            ReadEnd::Fifo(end) => Pin::new(end).poll_read(cx, buf),
            ReadEnd::Tcp(end) => Pin::new(end).poll_read(cx, buf),
        }
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

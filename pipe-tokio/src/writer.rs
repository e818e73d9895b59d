//! tokio's writers as `futures-io` writers that keep their vectored writes.
//!
//! The pipe writes a frame's header and its payload as two slices of one vectored write, so that
//! a frame leaves in one system call (`writev`) when the OS takes it whole. tokio-util's
//! `Compat` does not pass `poll_write_vectored` on: it writes the first slice alone, so every
//! frame whose payload is not copied in beside its header (over the coalesce limit) would
//! leave as a 4-byte `write` and then its payload. A reader that takes the header with one read
//! and the payload with exactly one more (the AEA's Go node does) is then more likely to get a
//! frame cut short, and every frame costs a system call more.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::AsyncWrite as TokioWrite;

/// A tokio writer seen as a `futures-io` writer: writes, vectored writes, flush, and `close`
/// as tokio's `shutdown` (for a TCP write half, the shutdown of its write direction).
#[derive(Debug)]
pub struct VectoredWriter<W>(W);

impl<W> VectoredWriter<W> {
    /// Wraps `writer`.
    pub(crate) fn new(writer: W) -> Self {
        Self(writer)
    }
}

impl<W: TokioWrite + Unpin> futures_io::AsyncWrite for VectoredWriter<W> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWrite;

    #[test]
    fn the_writers_the_pipe_uses_take_vectored_writes() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let stream = tokio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
            let (_read, write) = stream.into_split();
            assert!(write.is_write_vectored(), "tokio's TCP write half");
            #[cfg(unix)]
            {
                let (sender, _receiver) = tokio::net::unix::pipe::pipe().unwrap();
                assert!(sender.is_write_vectored(), "tokio's pipe sender");
            }
        });
    }
}

//! The two halves of a connected pipe: a `Stream` of received messages and a `Sink` of
//! messages to send, each driving its own half of the core.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Sink, Stream};
use pipe_proto::{RecvHalf, SendHalf};

use crate::ends::{ReadEnd, WriteEnd};
use crate::engine;
use crate::error::Error;
use crate::rendezvous::Rendezvous;
use crate::runtime::Runtime;

/// The receiving half of a split pipe: a [`Stream`] of messages that ends when the peer closes.
/// After an error, the stream ends too. It follows the rules of the whole pipe (see
/// [`Pipe::read`](crate::Pipe::read)); what it learns (the peer's close, a failure) the writer
/// learns at its next call.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pipe_tokio::Error> {
/// # use std::time::Duration;
/// use futures_util::StreamExt;
///
/// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
/// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
/// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
/// # a?; b?;
/// channel.write(b"x").await?;
/// channel.write(b"y").await?;
/// channel.close().await?;
/// let (reader, _writer) = client.into_split()?;
/// let all: Vec<_> = reader.collect().await;
/// assert_eq!(all.len(), 2);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct PipeReader<R: Runtime> {
    recv: RecvHalf,
    end: Option<ReadEnd<R>>,
    _rendezvous: Arc<Rendezvous<R>>,
}

/// The sending half of a split pipe: a [`Sink`] of messages. `feed` queues (many small messages
/// then leave in one write), `flush` writes, `close` sends the transport's close (FIFO: the zero
/// frame; TCP: a half-close) and releases the write end, while the reader keeps working. It
/// answers as the whole pipe does ([`Pipe::write`](crate::Pipe::write),
/// [`Pipe::close`](crate::Pipe::close)): [`Error::PeerClosed`] once the reader has read the
/// peer's close, the reader's failure once the reader failed, [`Error::Undelivered`] when
/// queued messages were lost.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pipe_tokio::Error> {
/// # use std::time::Duration;
/// use futures_util::SinkExt;
///
/// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
/// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
/// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
/// # a?; b?;
/// let (_reader, mut writer) = client.into_split()?;
/// writer.send("hello".into()).await?;
/// writer.close().await?;
/// assert_eq!(channel.read().await?.as_deref(), Some(&b"hello"[..]));
/// assert_eq!(channel.read().await?, None);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct PipeWriter<R: Runtime> {
    send: SendHalf,
    end: Option<WriteEnd<R>>,
    _rendezvous: Arc<Rendezvous<R>>,
}

impl<R: Runtime> PipeReader<R> {
    pub(crate) fn new(recv: RecvHalf, end: Option<ReadEnd<R>>, rendezvous: Arc<Rendezvous<R>>) -> Self {
        Self { recv, end, _rendezvous: rendezvous }
    }

    /// Reads the next message, `None` once the peer closed. Cancel-safe.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// let (mut reader, _writer) = client.into_split()?;
    /// channel.write(b"m").await?;
    /// assert_eq!(reader.read().await?.as_deref(), Some(&b"m"[..]));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read(&mut self) -> Result<Option<Bytes>, Error> {
        poll_fn(|cx| engine::poll_read_frame(&mut self.recv, self.end.as_mut(), cx)).await
    }
}

impl<R: Runtime> Stream for PipeReader<R> {
    type Item = Result<Bytes, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        // A failure is an item once, when it happens; after it (and after the peer's close) the
        // stream has ended.
        if this.recv.peer_closed() || this.recv.failure().is_some() {
            return Poll::Ready(None);
        }
        let result = std::task::ready!(engine::poll_read_frame(&mut this.recv, this.end.as_mut(), cx));
        Poll::Ready(result.transpose())
    }
}

impl<R: Runtime> PipeWriter<R> {
    pub(crate) fn new(send: SendHalf, end: Option<WriteEnd<R>>, rendezvous: Arc<Rendezvous<R>>) -> Self {
        Self { send, end, _rendezvous: rendezvous }
    }

    /// Sends one message and returns when it is with the OS.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// let (_reader, mut writer) = client.into_split()?;
    /// writer.write(b"w").await?;
    /// assert_eq!(channel.read().await?.as_deref(), Some(&b"w"[..]));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        self.send.send_slice(data)?;
        self.flush_queue().await
    }

    /// Sends one message without copying it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// let (_reader, mut writer) = client.into_split()?;
    /// writer.write_bytes(bytes::Bytes::from_static(b"zero-copy")).await?;
    /// assert_eq!(channel.read().await?.as_deref(), Some(&b"zero-copy"[..]));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn write_bytes(&mut self, data: Bytes) -> Result<(), Error> {
        self.send.send(data)?;
        self.flush_queue().await
    }

    /// Sends the close and releases the write end: `Ok(())` once every message queued before it
    /// was handed to the OS and the close went out, [`Error::Undelivered`] when messages were
    /// lost. Closing again gives the same answer.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// let (_reader, mut writer) = client.into_split()?;
    /// writer.close().await?;
    /// writer.close().await?;
    /// assert_eq!(channel.read().await?, None);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn close(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.poll_close_inner(cx)).await
    }

    async fn flush_queue(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.poll_flush_inner(cx)).await
    }

    fn poll_flush_inner(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        std::task::ready!(engine::poll_drive_send(&mut self.send, &mut self.end, cx));
        Poll::Ready(self.send.flush_outcome().map_err(Error::from))
    }

    fn poll_close_inner(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.send.close();
        std::task::ready!(engine::poll_drive_send(&mut self.send, &mut self.end, cx));
        self.end = None;
        Poll::Ready(match self.send.poll_close() {
            Some(answer) => answer.map_err(Error::from),
            None => Err(Error::NotConnected),
        })
    }
}

impl<R: Runtime> Sink<Bytes> for PipeWriter<R> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.send.is_ready() {
            return Poll::Ready(Ok(()));
        }
        this.poll_flush_inner(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Bytes) -> Result<(), Error> {
        self.get_mut().send.send(item).map_err(Error::from)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_flush_inner(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_close_inner(cx)
    }
}

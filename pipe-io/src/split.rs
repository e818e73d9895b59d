//! The two halves of a connected pipe: a `Stream` of received messages and a `Sink` of
//! messages to send, each driving its own half of the core.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Sink, Stream};
use pipe_proto::{Inbox, Outbox};

use crate::ends::{ReadEnd, WriteEnd};
use crate::engine;
use crate::error::Error;
use crate::rendezvous::Rendezvous;
use crate::runtime::Runtime;

/// The receiving half of a split pipe: a [`Stream`] of messages that ends when the peer closes.
/// After an error, the stream ends too.
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
    inbox: Inbox,
    end: Option<ReadEnd<R>>,
    done: bool,
    _rendezvous: Arc<Rendezvous<R>>,
}

/// The sending half of a split pipe: a [`Sink`] of messages. `feed` queues (many small messages
/// then leave in one write), `flush` writes, `close` sends the transport's close (FIFO: the zero
/// frame; TCP: a half-close) and releases the write end, while the reader keeps working.
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
    outbox: Outbox,
    end: Option<WriteEnd<R>>,
    closing: bool,
    _rendezvous: Arc<Rendezvous<R>>,
}

impl<R: Runtime> PipeReader<R> {
    pub(crate) fn new(inbox: Inbox, end: Option<ReadEnd<R>>, rendezvous: Arc<Rendezvous<R>>) -> Self {
        Self { inbox, end, done: false, _rendezvous: rendezvous }
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
        poll_fn(|cx| engine::poll_read_frame(&mut self.inbox, self.end.as_mut(), cx)).await
    }
}

impl<R: Runtime> Stream for PipeReader<R> {
    type Item = Result<Bytes, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let result = std::task::ready!(engine::poll_read_frame(&mut this.inbox, this.end.as_mut(), cx));
        Poll::Ready(match result {
            Ok(Some(payload)) => Some(Ok(payload)),
            Ok(None) => {
                this.done = true;
                None
            }
            Err(err) => {
                this.done = true;
                Some(Err(err))
            }
        })
    }
}

impl<R: Runtime> PipeWriter<R> {
    pub(crate) fn new(outbox: Outbox, end: Option<WriteEnd<R>>, rendezvous: Arc<Rendezvous<R>>) -> Self {
        Self { outbox, end, closing: false, _rendezvous: rendezvous }
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
        self.outbox.push_slice(data)?;
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
        self.outbox.push(data)?;
        self.flush_queue().await
    }

    /// Sends the close and releases the write end. Idempotent.
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
        poll_fn(|cx| engine::poll_drive_send(&mut self.outbox, &mut self.end, &mut self.closing, cx)).await
    }

    fn poll_close_inner(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.outbox.close();
        let result = std::task::ready!(engine::poll_drive_send(&mut self.outbox, &mut self.end, &mut self.closing, cx));
        if let Err(err) = result {
            log::debug!("close: {err}");
        }
        self.end = None;
        Poll::Ready(Ok(()))
    }
}

impl<R: Runtime> Sink<Bytes> for PipeWriter<R> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.outbox.is_ready() {
            return Poll::Ready(Ok(()));
        }
        engine::poll_drive_send(&mut this.outbox, &mut this.end, &mut this.closing, cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Bytes) -> Result<(), Error> {
        self.get_mut().outbox.push(item).map_err(Error::from)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        engine::poll_drive_send(&mut this.outbox, &mut this.end, &mut this.closing, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_close_inner(cx)
    }
}

//! The two halves of a connected pipe: a `Stream` of received messages and a `Sink` of
//! messages to send, each driving its own half of the core.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Sink, Stream};
use pipe_proto::{Config, IntoFrame, RecvHalf, SendHalf, Side, Transport};

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
/// # use pipe_tokio::{*, prelude::*};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pipe_tokio::Error> {
/// # use std::time::Duration;
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
pub struct PipeReader<R: Runtime> {
    pub(crate) recv: RecvHalf,
    pub(crate) end: Option<ReadEnd<R>>,
    pub(crate) config: Config,
    pub(crate) rendezvous: Arc<Rendezvous<R>>,
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
/// # use pipe_tokio::{*, prelude::*};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pipe_tokio::Error> {
/// # use std::time::Duration;
///
/// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
/// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
/// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
/// # a?; b?;
/// let (_reader, mut writer) = client.into_split()?;
/// writer.send("hello").await?;
/// writer.close().await?;
/// assert_eq!(channel.read().await?.as_deref(), Some(&b"hello"[..]));
/// assert_eq!(channel.read().await?, None);
/// # Ok(())
/// # }
/// ```
pub struct PipeWriter<R: Runtime> {
    pub(crate) send: SendHalf,
    pub(crate) end: Option<WriteEnd<R>>,
    pub(crate) config: Config,
    pub(crate) rendezvous: Arc<Rendezvous<R>>,
}

/// A short account: `PipeReader { transport: Tcp, side: Client, peer_closed: false, open: true }`
/// (`open`: the half still holds its end of the transport).
///
/// ```
/// # use pipe_tokio::{*, prelude::*};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pipe_tokio::Error> {
/// # let (_channel, client) = pipe_tokio::doc_pair().await?;
/// let (reader, mut writer) = client.into_split()?;
/// let expected = "PipeReader { transport: Tcp, side: Client, peer_closed: false, open: true }";
/// assert_eq!(format!("{reader:?}"), expected);
/// writer.close().await?;
/// let expected = "PipeWriter { transport: Tcp, side: Client, peer_closed: false, open: false }";
/// assert_eq!(format!("{writer:?}"), expected);
/// # Ok(())
/// # }
/// ```
impl<R: Runtime> fmt::Debug for PipeReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipeReader")
            .field("transport", &self.transport())
            .field("side", &self.side())
            .field("peer_closed", &self.recv.peer_closed())
            .field("open", &self.end.is_some())
            .finish()
    }
}

/// A short account, as the reader's: `PipeWriter { transport: Tcp, side: Client, ... }`.
impl<R: Runtime> fmt::Debug for PipeWriter<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipeWriter")
            .field("transport", &self.transport())
            .field("side", &self.side())
            .field("peer_closed", &self.send.peer_closed())
            .field("open", &self.end.is_some())
            .finish()
    }
}

/// What both halves tell about the pipe they came from.
macro_rules! half_getters {
    ($half:literal) => {
        /// Where the pipe reads: the path (FIFO) or port (TCP) handed to the peer as its
        /// `out_path`.
        ///
        /// ```
        /// # use pipe_tokio::{*, prelude::*};
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() -> Result<(), pipe_tokio::Error> {
        /// # use std::time::Duration;
        /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
        /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
        /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
        /// # a?; b?;
        #[doc = concat!("let (reader, writer) = client.into_split()?;\nlet half = ", $half, ";")]
        /// assert_eq!(half.in_path(), channel.out_path());
        /// assert_eq!(half.out_path(), channel.in_path());
        /// assert_eq!((half.side(), half.transport()), (Side::Client, Transport::Tcp));
        /// assert_eq!(half.config(), &Config::default());
        /// # Ok(())
        /// # }
        /// ```
        pub fn in_path(&self) -> &str {
            &self.rendezvous.in_path
        }

        /// Where the pipe writes: handed to the peer as its `in_path`. See
        /// [`in_path`](Self::in_path).
        pub fn out_path(&self) -> &str {
            &self.rendezvous.out_path
        }

        /// Channel (created the rendezvous) or client. See [`in_path`](Self::in_path).
        pub fn side(&self) -> Side {
            self.rendezvous.side
        }

        /// FIFO or TCP. See [`in_path`](Self::in_path).
        pub fn transport(&self) -> Transport {
            self.rendezvous.transport()
        }

        /// The configuration the pipe was made with. See [`in_path`](Self::in_path).
        pub fn config(&self) -> &Config {
            &self.config
        }
    };
}

impl<R: Runtime> PipeReader<R> {
    pub(crate) fn new(recv: RecvHalf, end: Option<ReadEnd<R>>, rendezvous: Arc<Rendezvous<R>>, config: Config) -> Self {
        Self { recv, end, config, rendezvous }
    }

    half_getters!("reader");

    /// Reads the next message, `None` once the peer closed. Cancel-safe. The same answers as
    /// [`Pipe::read`](crate::Pipe::read).
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
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
    pub fn read(&mut self) -> impl Future<Output = Result<Option<Bytes>, Error>> + '_ {
        poll_fn(|cx| engine::poll_read_frame(&mut self.recv, self.end.as_mut(), cx))
    }

    /// Reads the next message and hands it to `f` in place, without copying or allocating:
    /// `Some(f(payload))`, `None` once the peer closed. Cancel-safe. The same answers as
    /// [`read`](Self::read) (see [`Pipe::read_with`](crate::Pipe::read_with)).
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// let (mut reader, _writer) = client.into_split()?;
    /// channel.write(b"checksum me").await?;
    /// let sum = reader.read_with(|msg| msg.iter().map(|&b| u32::from(b)).sum::<u32>()).await?;
    /// assert_eq!(sum, Some(b"checksum me".iter().map(|&b| u32::from(b)).sum()));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read_with<T>(&mut self, f: impl FnOnce(&[u8]) -> T) -> Result<Option<T>, Error> {
        let mut f = Some(f);
        poll_fn(|cx| engine::poll_read_with(&mut self.recv, self.end.as_mut(), cx, &mut f)).await
    }

    /// Hands the next message and every other whole message already received to `f`, in
    /// place, in order: `Some(count)`, or `None` once the peer closed. Cancel-safe. The same
    /// answers as [`Pipe::read_batch_with`](crate::Pipe::read_batch_with).
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// let (mut reader, _writer) = client.into_split()?;
    /// channel.write_batch(["a", "bc"].map(Bytes::from)).await?;
    /// channel.close().await?;
    /// let mut bytes = 0;
    /// while reader.read_batch_with(|msg| bytes += msg.len()).await?.is_some() {}
    /// assert_eq!(bytes, 3);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read_batch_with(&mut self, mut f: impl FnMut(&[u8])) -> Result<Option<usize>, Error> {
        poll_fn(|cx| engine::poll_read_batch_with(&mut self.recv, self.end.as_mut(), cx, &mut f)).await
    }

    /// Whether the peer's close has been read (see [`Pipe::peer_closed`](crate::Pipe::peer_closed)).
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// let (mut reader, _writer) = client.into_split()?;
    /// channel.close().await?;
    /// assert_eq!(reader.read().await?, None);
    /// assert!(reader.peer_closed());
    /// # Ok(())
    /// # }
    /// ```
    pub fn peer_closed(&self) -> bool {
        self.recv.peer_closed()
    }
}

impl<R: Runtime> Stream for PipeReader<R> {
    type Item = Result<Bytes, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        engine::poll_next_message(&mut this.recv, this.end.as_mut(), cx)
    }
}

impl<R: Runtime> PipeWriter<R> {
    pub(crate) fn new(
        send: SendHalf,
        end: Option<WriteEnd<R>>,
        rendezvous: Arc<Rendezvous<R>>,
        config: Config,
    ) -> Self {
        Self { send, end, config, rendezvous }
    }

    half_getters!("writer");

    /// Sends one message (copied once) and returns when it is with the OS. The same answers as
    /// [`Pipe::write`](crate::Pipe::write).
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
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
    pub fn write<'a>(&'a mut self, data: &'a [u8]) -> impl Future<Output = Result<(), Error>> + 'a {
        engine::write(&mut self.send, &mut self.end, data)
    }

    /// Sends one message without copying it (see [`Pipe::write_bytes`](crate::Pipe::write_bytes)).
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// let (_reader, mut writer) = client.into_split()?;
    /// writer.write_bytes(Bytes::from_static(b"zero-copy")).await?;
    /// assert_eq!(channel.read().await?.as_deref(), Some(&b"zero-copy"[..]));
    /// # Ok(())
    /// # }
    /// ```
    pub fn write_bytes(&mut self, data: Bytes) -> impl Future<Output = Result<(), Error>> + '_ {
        engine::write_bytes(&mut self.send, &mut self.end, data)
    }

    /// Sends many messages with as few system calls as the queue allows (see
    /// [`Pipe::write_batch`](crate::Pipe::write_batch)); a failure mid-batch, this writer's own or the reader's, loses
    /// nothing unsaid: every message the batch takes is handed to the OS, or kept and counted in
    /// [`Error::Undelivered`] (for [`take_unsent`](Self::take_unsent) and the reconnect of the
    /// reunited pipe).
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// let (_reader, mut writer) = client.into_split()?;
    /// writer.write_batch((0..10u8).map(|i| Bytes::from(vec![i; 8]))).await?;
    /// for i in 0..10u8 {
    ///     assert_eq!(channel.read().await?.unwrap()[0], i);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn write_batch<I>(&mut self, frames: I) -> Result<(), Error>
    where
        I: IntoIterator,
        I::Item: IntoFrame,
    {
        engine::write_batch(&mut self.send, &mut self.end, frames).await
    }

    /// Writes whatever is queued (after a cancelled write, or `Sink::feed`) and returns when it
    /// is with the OS (see [`Pipe::flush`](crate::Pipe::flush)).
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// let (_reader, mut writer) = client.into_split()?;
    /// writer.flush().await?; // nothing queued: at once
    /// # Ok(())
    /// # }
    /// ```
    pub async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| engine::poll_flush(&mut self.send, &mut self.end, cx)).await
    }

    /// Sends the close (FIFO: the zero frame; TCP: a half-close) and releases the write end;
    /// the reader goes on. `Ok(())` once every message queued before it was handed to the OS,
    /// [`Error::Undelivered`] when messages were lost. Closing again gives the same answer.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
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
        poll_fn(|cx| self.poll_close_half(cx)).await
    }

    fn poll_close_half(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.send.close();
        std::task::ready!(engine::poll_drive_send(&mut self.send, &mut self.end, cx));
        self.end = None;
        Poll::Ready(match self.send.poll_close() {
            Some(answer) => answer.map_err(Error::from),
            // A split half was connected: its close always ends.
            None => Err(Error::InvalidState { state: pipe_proto::State::Closing }),
        })
    }

    /// Takes back, in order, every message a failure left unsent, the one cut mid-write whole
    /// (see [`Pipe::take_unsent`](crate::Pipe::take_unsent)); empty while the writer is open.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let timeout = Duration::from_secs(5);
    /// # let mut channel = pipe_tokio::make_pipe()?;
    /// # let mut client = pipe_tokio::make_pipe_client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(timeout), client.connect(timeout));
    /// # (a?, b?);
    /// let (_reader, mut writer) = channel.into_split()?;
    /// drop(client);
    /// let big = vec![7u8; 1 << 20];
    /// assert!(writer.write(&big).await.is_err());
    /// assert_eq!(writer.take_unsent(), [big]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn take_unsent(&mut self) -> Vec<Bytes> {
        self.send.take_unsent()
    }
}

crate::sink::sink_of_messages!(

    PipeWriter<R>, [R: Runtime], sink_parts, poll_close_half
);

impl<R: Runtime> PipeWriter<R> {
    /// The send half and the write end, for the `Sink` impls.
    fn sink_parts(&mut self) -> (&mut SendHalf, &mut Option<WriteEnd<R>>) {
        (&mut self.send, &mut self.end)
    }
}

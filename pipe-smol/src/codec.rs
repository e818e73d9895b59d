//! The pipe's frame codec for `asynchronous_codec::Framed`, over any `futures-io`
//! `AsyncRead`/`AsyncWrite` (an `async_net` socket, a child's stdin/stdout through
//! `async-process`), for smol, async-std or any other futures-io runtime. The behaviour is
//! `pipe_proto::CodecCore`'s, shared with `pipe_tokio::PipeCodec`.

use asynchronous_codec::{Decoder, Encoder};
use bytes::BytesMut;
use pipe_proto::{CodecCore, DEFAULT_MAX_FRAME_LEN};

use crate::{Error, Received};

/// The AEA frame codec for `asynchronous_codec::Framed`: a u32 big-endian length prefix, and a
/// zero-length frame for the close. The same codec as `pipe_tokio::PipeCodec`, for futures-io.
///
/// **Receiving**, the `Framed` stream yields [`Received::Frame`] for each message and
/// [`Received::PeerClosed`] for the close frame, once. Nothing after the close is decoded: the
/// bytes that follow it are discarded, and the stream returns `None` when the transport reports
/// its end (the AEA peers and this crate's pipes end it right after the close frame). A codec
/// cannot stop `Framed` from reading on: to stop at the close whatever the peer does next, stop
/// polling at `PeerClosed`. A frame cut by the end of the stream is
/// [`Error::TruncatedFrame`]; an end at a frame boundary without a close frame just ends the
/// stream. A header over the maximum is [`Error::PeerFrameTooLarge`], on the header alone.
///
/// **Sending**, the `Framed` sink takes [`Received`] items (asynchronous-codec allows one item
/// type): `Received::Frame(payload)` is a message (`payload.into()` from `Bytes` works too) and
/// **`Received::PeerClosed` sends the close** (the 4-byte zero frame).
/// An empty message is refused with [`Error::EmptyFrame`] (it would
/// read as the close), a long one with [`Error::FrameTooLarge`]; nothing of a refused item is
/// written.
///
/// ```
/// # smol::block_on(async {
/// use asynchronous_codec::Framed;
/// use futures_util::{SinkExt, StreamExt};
/// use pipe_smol::{PipeCodec, Received};
///
/// let listener = async_net::TcpListener::bind("127.0.0.1:0").await?;
/// let a = async_net::TcpStream::connect(listener.local_addr()?).await?;
/// let (b, _) = listener.accept().await?;
/// let mut a = Framed::new(a, PipeCodec::new());
/// let mut b = Framed::new(b, PipeCodec::new());
///
/// a.send(bytes::Bytes::from_static(b"hi").into()).await?;
/// a.send(Received::PeerClosed).await?; // the close frame
/// a.close().await?; // and the end of the transport
///
/// assert_eq!(b.next().await.transpose()?, Some(Received::Frame("hi".into())));
/// assert_eq!(b.next().await.transpose()?, Some(Received::PeerClosed));
/// assert_eq!(b.next().await.transpose()?, None);
/// # Ok::<(), pipe_smol::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct PipeCodec {
    core: CodecCore,
}

impl PipeCodec {
    /// A codec with the default maximum frame length (16 MiB).
    ///
    /// ```
    /// assert_eq!(pipe_smol::PipeCodec::new().max_frame_len(), pipe_smol::DEFAULT_MAX_FRAME_LEN);
    /// ```
    pub fn new() -> Self {
        Self::with_max_frame_len(DEFAULT_MAX_FRAME_LEN)
    }

    /// A codec refusing frames over `max` bytes, in both directions.
    ///
    /// ```
    /// # smol::block_on(async {
    /// use asynchronous_codec::FramedWrite;
    /// use futures_util::SinkExt;
    ///
    /// let mut out = FramedWrite::new(Vec::new(), pipe_smol::PipeCodec::with_max_frame_len(4));
    /// let err = out.send(pipe_smol::Received::Frame("hello".into())).await.unwrap_err();
    /// assert!(matches!(err, pipe_smol::Error::FrameTooLarge { len: 5, max: 4 }));
    /// # });
    /// ```
    pub fn with_max_frame_len(max: usize) -> Self {
        Self { core: CodecCore::new(max) }
    }

    /// The maximum frame length in force.
    ///
    /// ```
    /// assert_eq!(pipe_smol::PipeCodec::with_max_frame_len(10).max_frame_len(), 10);
    /// ```
    pub fn max_frame_len(&self) -> usize {
        self.core.max_frame_len()
    }

    /// Whether the peer's close frame has been decoded: the stream yields nothing more.
    ///
    /// ```
    /// # smol::block_on(async {
    /// use asynchronous_codec::FramedRead;
    /// use futures_util::StreamExt;
    /// use pipe_smol::{PipeCodec, Received};
    ///
    /// let wire: &[u8] = b"\0\0\0\x02hi\0\0\0\0";
    /// let mut frames = FramedRead::new(wire, PipeCodec::new());
    /// assert_eq!(frames.next().await.transpose()?, Some(Received::Frame("hi".into())));
    /// assert!(!frames.decoder().peer_closed());
    /// assert_eq!(frames.next().await.transpose()?, Some(Received::PeerClosed));
    /// assert!(frames.decoder().peer_closed());
    /// # Ok::<(), pipe_smol::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn peer_closed(&self) -> bool {
        self.core.peer_closed()
    }
}

impl Default for PipeCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder for PipeCodec {
    type Item = Received;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Received>, Error> {
        Ok(self.core.decode(src)?)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Received>, Error> {
        Ok(self.core.decode_eof(src)?)
    }
}

impl Encoder for PipeCodec {
    type Item<'a> = Received;
    type Error = Error;

    fn encode(&mut self, item: Received, dst: &mut BytesMut) -> Result<(), Error> {
        Ok(self.core.encode(&item, dst)?)
    }
}

//! The pipe's frame codec for `tokio_util::codec::Framed`, for users who hold their own
//! `AsyncRead`/`AsyncWrite` (a Unix socket, stdin/stdout of a child) and want the AEA framing
//! on it. The behaviour is `pipe_proto::CodecCore`'s, shared with `pipe_smol::PipeCodec`.

use bytes::{Bytes, BytesMut};
use pipe_proto::{CodecCore, Received, DEFAULT_MAX_FRAME_LEN};
use tokio_util::codec::{Decoder, Encoder};

use crate::Error;

/// The AEA frame codec for `tokio_util::codec::Framed`: a u32 big-endian length prefix, and a
/// zero-length frame for the close.
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
/// **Sending**, the `Framed` sink takes [`Bytes`] or `&[u8]` (a message), or a [`Received`]:
/// `Received::Frame(payload)` is a message and **`Received::PeerClosed` sends the close**
/// (the 4-byte zero frame). An empty message is refused with
/// [`Error::EmptyFrame`] (it would read as the close), a long one with [`Error::FrameTooLarge`];
/// nothing of a refused item is written. Since the sink takes several item types, name the one
/// meant where the compiler cannot tell (`SinkExt::<Received>::close(&mut framed)`), or end the
/// transport itself after the last `send`, as below.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pipe_tokio::Error> {
/// use futures_util::{SinkExt, StreamExt};
/// use pipe_tokio::{PipeCodec, Received};
/// use tokio::io::AsyncWriteExt;
/// use tokio_util::codec::Framed;
///
/// let (a, b) = tokio::io::duplex(1024);
/// let mut a = Framed::new(a, PipeCodec::new());
/// let mut b = Framed::new(b, PipeCodec::new());
/// a.send(bytes::Bytes::from_static(b"hi")).await?;
/// a.send(Received::PeerClosed).await?; // the close frame (`send` flushes it)
/// a.get_mut().shutdown().await?; // and the end of the transport
///
/// assert_eq!(b.next().await.transpose()?, Some(Received::Frame("hi".into())));
/// assert_eq!(b.next().await.transpose()?, Some(Received::PeerClosed));
/// assert_eq!(b.next().await.transpose()?, None);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct PipeCodec {
    core: CodecCore,
}

impl PipeCodec {
    /// A codec with the default maximum frame length (16 MiB).
    ///
    /// ```
    /// assert_eq!(pipe_tokio::PipeCodec::new().max_frame_len(), pipe_tokio::DEFAULT_MAX_FRAME_LEN);
    /// ```
    pub fn new() -> Self {
        Self::with_max_frame_len(DEFAULT_MAX_FRAME_LEN)
    }

    /// A codec refusing frames over `max` bytes, in both directions.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use futures_util::SinkExt;
    /// use tokio_util::codec::Framed;
    ///
    /// let (a, _b) = tokio::io::duplex(64);
    /// let mut a = Framed::new(a, pipe_tokio::PipeCodec::with_max_frame_len(4));
    /// let err = a.send(&b"hello"[..]).await.unwrap_err();
    /// assert!(matches!(err, pipe_tokio::Error::FrameTooLarge { len: 5, max: 4 }));
    /// # }
    /// ```
    pub fn with_max_frame_len(max: usize) -> Self {
        Self { core: CodecCore::new(max) }
    }

    /// The maximum frame length in force.
    ///
    /// ```
    /// assert_eq!(pipe_tokio::PipeCodec::with_max_frame_len(10).max_frame_len(), 10);
    /// ```
    pub fn max_frame_len(&self) -> usize {
        self.core.max_frame_len()
    }

    /// Whether the peer's close frame has been decoded: the stream yields nothing more.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// use futures_util::{SinkExt, StreamExt};
    /// use pipe_tokio::{PipeCodec, Received};
    /// use tokio_util::codec::Framed;
    ///
    /// let (a, b) = tokio::io::duplex(64);
    /// let (mut a, mut b) = (Framed::new(a, PipeCodec::new()), Framed::new(b, PipeCodec::new()));
    /// a.send(Received::PeerClosed).await?;
    /// assert!(!b.codec().peer_closed());
    /// b.next().await;
    /// assert!(b.codec().peer_closed());
    /// # Ok(())
    /// # }
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

impl Encoder<Received> for PipeCodec {
    type Error = Error;

    fn encode(&mut self, item: Received, dst: &mut BytesMut) -> Result<(), Error> {
        Ok(self.core.encode(&item, dst)?)
    }
}

impl Encoder<Bytes> for PipeCodec {
    type Error = Error;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), Error> {
        Ok(self.core.encode_payload(&item, dst)?)
    }
}

impl Encoder<&[u8]> for PipeCodec {
    type Error = Error;

    fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
        Ok(self.core.encode_payload(item, dst)?)
    }
}

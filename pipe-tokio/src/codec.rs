//! The pipe's frame codec for `tokio_util::codec::Framed`, for users who hold their own
//! `AsyncRead`/`AsyncWrite` (a Unix socket, stdin/stdout of a child) and want the AEA framing
//! on it.

use bytes::{Bytes, BytesMut};
use pipe_proto::{encode_into, FrameDecoder, Received, DEFAULT_MAX_FRAME_LEN};
use tokio_util::codec::{Decoder, Encoder};

use crate::Error;

/// The AEA frame codec: u32 big-endian length prefix; a zero-length frame decodes as
/// [`Received::PeerClosed`]. Oversized frames are refused in both directions, empty payloads when
/// encoding.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pipe_tokio::Error> {
/// use futures_util::{SinkExt, StreamExt};
/// use pipe_tokio::{PipeCodec, Received};
/// use tokio_util::codec::Framed;
///
/// let (a, b) = tokio::io::duplex(1024);
/// let mut a = Framed::new(a, PipeCodec::new());
/// let mut b = Framed::new(b, PipeCodec::new());
/// a.send(bytes::Bytes::from_static(b"hi")).await?;
/// assert_eq!(b.next().await.transpose()?, Some(Received::Frame("hi".into())));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct PipeCodec {
    decoder: FrameDecoder,
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

    /// A codec refusing frames over `max` bytes.
    ///
    /// ```
    /// assert_eq!(pipe_tokio::PipeCodec::with_max_frame_len(10).max_frame_len(), 10);
    /// ```
    pub fn with_max_frame_len(max: usize) -> Self {
        Self { decoder: FrameDecoder::new(max) }
    }

    /// The maximum frame length in force.
    ///
    /// ```
    /// assert!(pipe_tokio::PipeCodec::default().max_frame_len() > 0);
    /// ```
    pub fn max_frame_len(&self) -> usize {
        self.decoder.max_frame_len()
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
        Ok(self.decoder.decode(src)?)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Received>, Error> {
        if src.is_empty() && self.decoder.frame_in_progress().is_none() {
            return Ok(None);
        }
        Ok(self.decoder.decode_eof(src)?)
    }
}

impl Encoder<Bytes> for PipeCodec {
    type Error = Error;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), Error> {
        Ok(encode_into(&item, dst, self.decoder.max_frame_len())?)
    }
}

impl Encoder<&[u8]> for PipeCodec {
    type Error = Error;

    fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
        Ok(encode_into(item, dst, self.decoder.max_frame_len())?)
    }
}

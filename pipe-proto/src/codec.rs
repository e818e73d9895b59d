//! What a frame codec for a `Framed` stream does, written once for every runtime:
//! `pipe_tokio::PipeCodec` (for `tokio_util::codec::Framed`) and `pipe_smol::PipeCodec` (for
//! `asynchronous_codec::Framed`, over `futures-io`) are thin wrappers around [`CodecCore`].
//!
//! ```text
//!  bytes on the wire        00 00 00 02 68 69 | 00 00 00 00 | 00 00 00 01 21 ...
//!  what decode yields       Frame("hi")       | PeerClosed  | nothing: discarded
//!  what encode produces     Received::Frame(payload) -> header + payload
//!                           Received::PeerClosed     -> CLOSE_FRAME (00 00 00 00)
//! ```
//!
//! The decoder keeps an incomplete frame in the caller's buffer, header included, until all of it
//! is there: a `Framed` that reaches the end of its stream then still sees those bytes and hands
//! them to [`CodecCore::decode_eof`], which reports the cut frame as [`DecodeError::Truncated`].
//! It never reserves memory for a declared length.

use bytes::{Buf, Bytes, BytesMut};

use crate::decoder::{FrameDecoder, Received};
use crate::error::{DecodeError, EncodeError};
use crate::frame::{encode_into, header_at, FrameHeader, Header, CLOSE_FRAME, HEADER_LEN};

impl Received {
    /// Appends this item to `dst` as it goes on the wire: a [`Received::Frame`] as one frame
    /// (header and payload), [`Received::PeerClosed`] as the close marker `CLOSE_FRAME`. On
    /// error nothing is appended: an empty payload is `EncodeError::Empty` (it would read as the
    /// close), one over `max_frame_len` is `EncodeError::TooLarge`.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use pipe_proto::{EncodeError, Received};
    ///
    /// let mut wire = BytesMut::new();
    /// Received::Frame("hi".into()).encode_into(&mut wire, 1024)?;
    /// Received::PeerClosed.encode_into(&mut wire, 1024)?;
    /// assert_eq!(&wire[..], b"\0\0\0\x02hi\0\0\0\0");
    /// assert_eq!(Received::Frame("".into()).encode_into(&mut wire, 1024), Err(EncodeError::Empty));
    /// # Ok::<(), EncodeError>(())
    /// ```
    pub fn encode_into(&self, dst: &mut BytesMut, max_frame_len: usize) -> Result<(), EncodeError> {
        match self {
            Received::Frame(payload) => encode_into(payload, dst, max_frame_len),
            Received::PeerClosed => {
                dst.extend_from_slice(&CLOSE_FRAME);
                Ok(())
            }
        }
    }
}

/// The behaviour of the runtime crates' `PipeCodec`, written once: decode frames until the close
/// frame, yield it as [`Received::PeerClosed`], and decode nothing after it; encode
/// [`Received`] items and plain payloads.
///
/// - [`CodecCore::decode`] returns `Ok(None)` while a frame is incomplete (its bytes stay in the
///   buffer) and refuses a header over the maximum at once ([`DecodeError::TooLarge`], on the
///   header alone, and again on every later call).
/// - After the close frame, [`CodecCore::peer_closed`] is true and `decode` returns `Ok(None)`
///   for good: the bytes that followed the close in the buffer, and any that arrive later, are
///   discarded unread (they stay in the buffer until the next call, so a `Framed`'s
///   `into_parts()` right after the close still holds them).
/// - [`CodecCore::decode_eof`], for a stream that ended, reports a frame cut by the end as
///   [`DecodeError::Truncated`]. An end at a frame boundary without a close frame (a TCP
///   half-close) is `Ok(None)`: the `Framed` stream just ends, it yields no `PeerClosed`.
///
/// ```
/// use bytes::BytesMut;
/// use pipe_proto::{CodecCore, Received};
///
/// let mut core = CodecCore::new(1024);
/// let mut wire = BytesMut::new();
/// core.encode(&Received::Frame("one".into()), &mut wire)?;
/// core.encode_payload(b"two", &mut wire)?;
/// core.encode(&Received::PeerClosed, &mut wire)?;
/// wire.extend_from_slice(b"\0\0\0\x05after"); // never decoded
///
/// assert_eq!(core.decode(&mut wire)?, Some(Received::Frame("one".into())));
/// assert_eq!(core.decode(&mut wire)?, Some(Received::Frame("two".into())));
/// assert_eq!(core.decode(&mut wire)?, Some(Received::PeerClosed));
/// assert!(core.peer_closed());
/// assert_eq!(core.decode(&mut wire)?, None);
/// assert!(wire.is_empty(), "the bytes after the close were discarded");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct CodecCore {
    decoder: FrameDecoder,
    peer_closed: bool,
}

impl CodecCore {
    /// A codec refusing frames over `max_frame_len` bytes, in both directions.
    ///
    /// ```
    /// assert_eq!(pipe_proto::CodecCore::new(4096).max_frame_len(), 4096);
    /// ```
    pub fn new(max_frame_len: usize) -> Self {
        Self { decoder: FrameDecoder::new(max_frame_len), peer_closed: false }
    }

    /// The maximum payload length, when encoding and when decoding.
    ///
    /// ```
    /// let core = pipe_proto::CodecCore::new(pipe_proto::DEFAULT_MAX_FRAME_LEN);
    /// assert_eq!(core.max_frame_len(), 16 * 1024 * 1024);
    /// ```
    pub fn max_frame_len(&self) -> usize {
        self.decoder.max_frame_len()
    }

    /// Whether the close frame has been decoded: nothing more will be.
    ///
    /// ```
    /// use bytes::BytesMut;
    ///
    /// let mut core = pipe_proto::CodecCore::new(16);
    /// assert!(!core.peer_closed());
    /// core.decode(&mut BytesMut::from(&pipe_proto::CLOSE_FRAME[..]))?;
    /// assert!(core.peer_closed());
    /// # Ok::<(), pipe_proto::DecodeError>(())
    /// ```
    pub fn peer_closed(&self) -> bool {
        self.peer_closed
    }

    /// Takes the next whole frame off the front of `src`: `Ok(None)` while it is incomplete
    /// (nothing is consumed), and for good once the close frame has been decoded (what is in
    /// `src` then is discarded).
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use pipe_proto::{CodecCore, DecodeError, Received};
    ///
    /// let mut core = CodecCore::new(8);
    /// let mut buf = BytesMut::from(&b"\0\0\0\x03ab"[..]);
    /// assert_eq!(core.decode(&mut buf)?, None);
    /// assert_eq!(buf.len(), 6, "an incomplete frame stays in the buffer, header included");
    /// buf.extend_from_slice(b"c");
    /// assert_eq!(core.decode(&mut buf)?, Some(Received::Frame("abc".into())));
    ///
    /// buf.extend_from_slice(&[0, 0, 0, 9]);
    /// assert_eq!(core.decode(&mut buf), Err(DecodeError::TooLarge { declared: 9, max: 8 }));
    /// # Ok::<(), DecodeError>(())
    /// ```
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Received>, DecodeError> {
        if self.peer_closed {
            src.clear();
            return Ok(None);
        }
        if src.len() < HEADER_LEN {
            return Ok(None);
        }
        match FrameHeader::parse(header_at(src), self.max_frame_len())? {
            Header::Close => {
                src.advance(HEADER_LEN);
                self.peer_closed = true;
                Ok(Some(Received::PeerClosed))
            }
            Header::Payload(len) if src.len() - HEADER_LEN < len => Ok(None),
            // The whole frame is in `src`: the frame decoder splits it off in one go.
            Header::Payload(_) => self.decoder.decode(src),
        }
    }

    /// [`CodecCore::decode`] for a stream that has ended: a whole frame still in `src` comes out;
    /// then `Ok(None)` if `src` is empty or the close was decoded, and
    /// [`DecodeError::Truncated`] for a frame the end cut (counts include the header).
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use pipe_proto::{CodecCore, DecodeError};
    ///
    /// let mut core = CodecCore::new(1024);
    /// assert_eq!(core.decode_eof(&mut BytesMut::new()), Ok(None), "an end at a frame boundary");
    /// let mut cut = BytesMut::from(&b"\0\0\0\x0ahello"[..]);
    /// assert_eq!(core.decode_eof(&mut cut), Err(DecodeError::Truncated { expected: 14, received: 9 }));
    /// ```
    pub fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Received>, DecodeError> {
        if let Some(item) = self.decode(src)? {
            return Ok(Some(item));
        }
        if src.is_empty() {
            return Ok(None);
        }
        let expected = match src.len() {
            n if n < HEADER_LEN => HEADER_LEN,
            _ => match FrameHeader::parse(header_at(src), self.max_frame_len())? {
                Header::Payload(len) => HEADER_LEN + len,
                Header::Close => unreachable!("decode takes a close frame"),
            },
        };
        Err(DecodeError::Truncated { expected, received: src.len() })
    }

    /// Appends `item` to `dst`: see [`Received::encode_into`].
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use pipe_proto::{CodecCore, Received};
    ///
    /// let mut wire = BytesMut::new();
    /// CodecCore::new(1024).encode(&Received::PeerClosed, &mut wire)?;
    /// assert_eq!(&wire[..], &pipe_proto::CLOSE_FRAME);
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    pub fn encode(&self, item: &Received, dst: &mut BytesMut) -> Result<(), EncodeError> {
        item.encode_into(dst, self.max_frame_len())
    }

    /// Appends one frame carrying `payload` to `dst`; an empty or oversized payload is refused
    /// and nothing is appended.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use pipe_proto::{CodecCore, EncodeError};
    ///
    /// let core = CodecCore::new(4);
    /// let mut wire = BytesMut::new();
    /// core.encode_payload(b"ping", &mut wire)?;
    /// assert_eq!(&wire[..], b"\0\0\0\x04ping");
    /// assert_eq!(core.encode_payload(b"", &mut wire), Err(EncodeError::Empty));
    /// assert_eq!(core.encode_payload(b"pings", &mut wire), Err(EncodeError::TooLarge { len: 5, max: 4 }));
    /// # Ok::<(), EncodeError>(())
    /// ```
    pub fn encode_payload(&self, payload: &[u8], dst: &mut BytesMut) -> Result<(), EncodeError> {
        encode_into(payload, dst, self.max_frame_len())
    }
}

impl From<Bytes> for Received {
    /// A message carrying `payload`, to hand to a codec's encoder.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use pipe_proto::Received;
    ///
    /// assert_eq!(Received::from(Bytes::from_static(b"hi")), Received::Frame("hi".into()));
    /// ```
    fn from(payload: Bytes) -> Self {
        Received::Frame(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(items: &[Received]) -> BytesMut {
        let core = CodecCore::new(1024);
        let mut out = BytesMut::new();
        for item in items {
            core.encode(item, &mut out).unwrap();
        }
        out
    }

    #[test]
    fn decode_one_byte_at_a_time_keeps_the_frame_whole_until_it_is() {
        let all = wire(&[Received::Frame("hello".into()), Received::PeerClosed]);
        let mut core = CodecCore::new(1024);
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for byte in all.iter() {
            buf.extend_from_slice(&[*byte]);
            while let Some(item) = core.decode(&mut buf).unwrap() {
                out.push(item);
            }
        }
        assert_eq!(out, [Received::Frame("hello".into()), Received::PeerClosed]);
    }

    #[test]
    fn nothing_after_the_close_is_decoded_even_at_eof() {
        let mut buf = wire(&[Received::PeerClosed, Received::Frame("late".into())]);
        buf.extend_from_slice(&[0, 0]); // and a cut header, which would be truncation before the close
        let mut core = CodecCore::new(1024);
        assert_eq!(core.decode(&mut buf), Ok(Some(Received::PeerClosed)));
        assert_eq!(buf.len(), 10, "the bytes after the close stay until the next call");
        assert_eq!(core.decode_eof(&mut buf), Ok(None));
        assert!(buf.is_empty());
        buf.extend_from_slice(&[0xff; 8]);
        assert_eq!(core.decode(&mut buf), Ok(None), "not even an oversized header is looked at");
        assert_eq!(core.decode_eof(&mut buf), Ok(None));
    }

    #[test]
    fn eof_inside_a_header_or_a_payload_is_truncation() {
        let mut core = CodecCore::new(1024);
        assert_eq!(
            core.decode_eof(&mut BytesMut::from(&[0u8, 0, 0][..])),
            Err(DecodeError::Truncated { expected: 4, received: 3 })
        );
        assert_eq!(
            core.decode_eof(&mut BytesMut::from(&[0u8, 0, 0, 5][..])),
            Err(DecodeError::Truncated { expected: 9, received: 4 })
        );
    }

    #[test]
    fn eof_returns_the_frames_still_buffered_first() {
        let mut buf = wire(&[Received::Frame("a".into()), Received::Frame("b".into())]);
        let mut core = CodecCore::new(1024);
        assert_eq!(core.decode_eof(&mut buf), Ok(Some(Received::Frame("a".into()))));
        assert_eq!(core.decode_eof(&mut buf), Ok(Some(Received::Frame("b".into()))));
        assert_eq!(core.decode_eof(&mut buf), Ok(None));
        assert!(!core.peer_closed());
    }

    #[test]
    fn oversized_header_is_refused_on_every_call() {
        let mut core = CodecCore::new(3);
        let mut buf = BytesMut::from(&[0u8, 0, 0, 4][..]);
        let err = DecodeError::TooLarge { declared: 4, max: 3 };
        assert_eq!(core.decode(&mut buf), Err(err));
        assert_eq!(core.decode_eof(&mut buf), Err(err));
    }

    #[test]
    fn encode_refuses_empty_and_oversized_frames_without_writing() {
        let core = CodecCore::new(3);
        let mut out = BytesMut::new();
        assert_eq!(core.encode(&Received::Frame(Bytes::new()), &mut out), Err(EncodeError::Empty));
        assert_eq!(
            core.encode(&Received::Frame("abcd".into()), &mut out),
            Err(EncodeError::TooLarge { len: 4, max: 3 })
        );
        assert!(out.is_empty());
    }
}

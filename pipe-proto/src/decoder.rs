//! The frame decoder: an explicit two-state machine (waiting for a header, waiting for a payload)
//! over bytes as they arrive, in any chunking.
//!
//! It never reserves memory for a declared length: a header announcing 4 GiB costs nothing until
//! the bytes arrive, and one over the maximum is refused on the header alone. Frames come out as
//! [`Bytes`] split off the input buffer, without copying, or (inside the crate, for
//! [`Inbox::poll_frame_ref`](crate::Inbox::poll_frame_ref)) as positions in the bytes received,
//! to be lent in place.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::DecodeError;
use crate::frame::{header_at, FrameHeader, Header, HEADER_LEN};

/// What one complete frame on the wire means.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use pipe_proto::{FrameDecoder, Received};
///
/// let mut decoder = FrameDecoder::new(1024);
/// let mut buf = BytesMut::from(&[0u8, 0, 0, 1, 42, 0, 0, 0, 0][..]);
/// assert_eq!(decoder.decode(&mut buf), Ok(Some(Received::Frame(Bytes::from_static(&[42])))));
/// assert_eq!(decoder.decode(&mut buf), Ok(Some(Received::PeerClosed)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A message: the payload of a non-empty frame.
    Frame(Bytes),
    /// The peer closed the pipe: a zero-length frame, or the end of the stream at a frame boundary.
    /// Nothing more will arrive.
    PeerClosed,
}

/// [`Received`], with the message lent in place instead of handed out: what
/// [`Inbox::poll_frame_ref`](crate::Inbox::poll_frame_ref) and
/// [`RecvHalf::poll_recv_ref`](crate::RecvHalf::poll_recv_ref) give. The payload is a slice of
/// the read buffer, valid until the next call on the buffer; nothing is allocated or counted for
/// it. [`Received::from`] makes the owned form (a copy).
///
/// ```
/// use pipe_proto::{Config, Inbox, Received, ReceivedRef};
///
/// let mut inbox = Inbox::new(&Config::default());
/// let wire = [0u8, 0, 0, 2, b'o', b'k', 0, 0, 0, 0];
/// inbox.read_buf()[..wire.len()].copy_from_slice(&wire);
/// inbox.handle_read(wire.len());
/// let lent = inbox.poll_frame_ref();
/// assert_eq!(lent, Some(Ok(ReceivedRef::Frame(b"ok"))));
/// assert_eq!(lent.unwrap().map(Received::from), Ok(Received::Frame("ok".into())));
/// assert_eq!(inbox.poll_frame_ref(), Some(Ok(ReceivedRef::PeerClosed)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceivedRef<'a> {
    /// A message: the payload of a non-empty frame, in place in the read buffer.
    Frame(&'a [u8]),
    /// The peer closed the pipe, as [`Received::PeerClosed`].
    PeerClosed,
}

impl From<ReceivedRef<'_>> for Received {
    /// The owned form: the payload copied into its own [`Bytes`].
    ///
    /// ```
    /// use pipe_proto::{Received, ReceivedRef};
    ///
    /// assert_eq!(Received::from(ReceivedRef::Frame(b"hi")), Received::Frame("hi".into()));
    /// assert_eq!(Received::from(ReceivedRef::PeerClosed), Received::PeerClosed);
    /// ```
    fn from(lent: ReceivedRef<'_>) -> Self {
        match lent {
            ReceivedRef::Frame(payload) => Received::Frame(Bytes::copy_from_slice(payload)),
            ReceivedRef::PeerClosed => Received::PeerClosed,
        }
    }
}

/// What the front of the bytes received holds, as [`FrameDecoder::step`] finds it: positions
/// only, so that the caller chooses between splitting a frame off (owned) and lending it in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// A whole frame: its payload is `at..end` of the bytes given, and the caller consumes the
    /// first `end` bytes (the header, if it was still there, and the payload).
    Frame { at: usize, end: usize },
    /// The close marker: the caller consumes its [`HEADER_LEN`] bytes.
    Close,
    /// The frame is not complete: the caller consumes the first `consumed` bytes (a header the
    /// decoder has now read, or nothing) and waits for more.
    More { consumed: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DecodeState {
    /// Waiting for the 4 header bytes.
    Head,
    /// The header announced this many payload bytes and has been consumed.
    Data(usize),
}

/// Splits a byte stream into frames; usable on its own (as a codec) or through
/// [`Connection`](crate::Connection), which drives one for you.
///
/// `decode` returns `Ok(None)` while it needs more bytes; call [`FrameDecoder::decode_eof`] once
/// the stream has ended, to tell a clean close from a truncated frame.
///
/// ```
/// use bytes::BytesMut;
/// use pipe_proto::{DecodeError, FrameDecoder, Received};
///
/// let mut decoder = FrameDecoder::new(16);
/// let mut buf = BytesMut::new();
/// for byte in [0u8, 0, 0, 3, b'a', b'b'] {
///     buf.extend_from_slice(&[byte]);
///     assert_eq!(decoder.decode(&mut buf), Ok(None));
/// }
/// buf.extend_from_slice(b"c");
/// assert_eq!(decoder.decode(&mut buf)?, Some(Received::Frame("abc".into())));
///
/// // A header over the maximum is refused before its payload arrives.
/// buf.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
/// assert_eq!(decoder.decode(&mut buf), Err(DecodeError::TooLarge { declared: u32::MAX as usize, max: 16 }));
/// # Ok::<(), DecodeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    max_frame_len: usize,
    state: DecodeState,
}

impl FrameDecoder {
    /// A decoder that refuses frames longer than `max_frame_len` bytes.
    ///
    /// ```
    /// let decoder = pipe_proto::FrameDecoder::new(8 * 1024 * 1024);
    /// assert_eq!(decoder.max_frame_len(), 8 * 1024 * 1024);
    /// ```
    pub fn new(max_frame_len: usize) -> Self {
        Self { max_frame_len, state: DecodeState::Head }
    }

    /// The maximum payload length this decoder accepts.
    ///
    /// ```
    /// assert_eq!(pipe_proto::FrameDecoder::new(10).max_frame_len(), 10);
    /// ```
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// Payload length of the frame in progress, once its header has been consumed.
    ///
    /// ```
    /// use bytes::BytesMut;
    ///
    /// let mut decoder = pipe_proto::FrameDecoder::new(100);
    /// assert_eq!(decoder.frame_in_progress(), None);
    /// let mut buf = BytesMut::from(&[0u8, 0, 0, 50, 1][..]);
    /// decoder.decode(&mut buf)?;
    /// assert_eq!(decoder.frame_in_progress(), Some(50));
    /// # Ok::<(), pipe_proto::DecodeError>(())
    /// ```
    pub fn frame_in_progress(&self) -> Option<usize> {
        match self.state {
            DecodeState::Head => None,
            DecodeState::Data(len) => Some(len),
        }
    }

    /// Takes the next frame off the front of `src`, or returns `Ok(None)` if it is not complete
    /// yet (the bytes stay in `src`). Errors are not consumed: calling again returns them again.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use pipe_proto::{FrameDecoder, Received};
    ///
    /// let mut decoder = FrameDecoder::new(1024);
    /// let mut buf = BytesMut::from(&b"\0\0\0\x02hi\0\0\0\x01!"[..]);
    /// assert_eq!(decoder.decode(&mut buf)?, Some(Received::Frame("hi".into())));
    /// assert_eq!(decoder.decode(&mut buf)?, Some(Received::Frame("!".into())));
    /// assert_eq!(decoder.decode(&mut buf)?, None);
    /// # Ok::<(), pipe_proto::DecodeError>(())
    /// ```
    #[inline]
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Received>, DecodeError> {
        let mut filled = src.len();
        self.decode_filled(src, &mut filled)
    }

    /// Like [`FrameDecoder::decode`], for a stream that has ended: bytes left over are a
    /// [`DecodeError::Truncated`], and an empty buffer at a frame boundary is a clean
    /// [`Received::PeerClosed`].
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use pipe_proto::{DecodeError, FrameDecoder, Received};
    ///
    /// let mut decoder = FrameDecoder::new(1024);
    /// assert_eq!(decoder.decode_eof(&mut BytesMut::new()), Ok(Some(Received::PeerClosed)));
    /// let mut half_header = BytesMut::from(&[0u8, 0][..]);
    /// assert_eq!(decoder.decode_eof(&mut half_header), Err(DecodeError::Truncated { expected: 4, received: 2 }));
    /// ```
    pub fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Received>, DecodeError> {
        let mut filled = src.len();
        self.decode_filled_eof(src, &mut filled)
    }

    /// [`FrameDecoder::decode`] over the first `*filled` bytes of `src` only; the rest of `src` is
    /// scratch space that is neither read nor kept. Frames are split off the front and `*filled`
    /// shrinks with them.
    #[inline(always)]
    pub(crate) fn decode_filled(
        &mut self,
        src: &mut BytesMut,
        filled: &mut usize,
    ) -> Result<Option<Received>, DecodeError> {
        match self.step(&src[..*filled])? {
            Step::Frame { at, end } => {
                // One split for header and payload, then a cheap advance on the frozen frame.
                *filled -= end;
                let mut frame = src.split_to(end).freeze();
                frame.advance(at);
                Ok(Some(Received::Frame(frame)))
            }
            Step::Close => {
                src.advance(HEADER_LEN);
                *filled -= HEADER_LEN;
                Ok(Some(Received::PeerClosed))
            }
            Step::More { consumed } => {
                src.advance(consumed);
                *filled -= consumed;
                Ok(None)
            }
        }
    }

    /// [`FrameDecoder::decode_eof`] over the first `*filled` bytes of `src`.
    pub(crate) fn decode_filled_eof(
        &mut self,
        src: &mut BytesMut,
        filled: &mut usize,
    ) -> Result<Option<Received>, DecodeError> {
        if let Some(received) = self.decode_filled(src, filled)? {
            return Ok(Some(received));
        }
        self.end_of_stream(*filled).map(|()| Some(Received::PeerClosed))
    }

    /// Finds what the front of `received` holds (the bytes after everything consumed so far),
    /// applying the frame rules: the positions of a whole frame, the close marker, or "more
    /// bytes needed". Errors are not consumed: calling again returns them again.
    #[inline(always)]
    pub(crate) fn step(&mut self, received: &[u8]) -> Result<Step, DecodeError> {
        match self.state {
            DecodeState::Data(len) if received.len() >= len => {
                self.state = DecodeState::Head;
                Ok(Step::Frame { at: 0, end: len })
            }
            DecodeState::Data(_) => Ok(Step::More { consumed: 0 }),
            DecodeState::Head if received.len() < HEADER_LEN => Ok(Step::More { consumed: 0 }),
            DecodeState::Head => match FrameHeader::parse(header_at(received), self.max_frame_len)? {
                Header::Close => Ok(Step::Close),
                // The whole frame is here: the common case for small frames.
                Header::Payload(len) if received.len() - HEADER_LEN >= len => {
                    Ok(Step::Frame { at: HEADER_LEN, end: HEADER_LEN + len })
                }
                Header::Payload(len) => {
                    self.state = DecodeState::Data(len);
                    Ok(Step::More { consumed: HEADER_LEN })
                }
            },
        }
    }

    /// What the end of the stream means, with `left` bytes received after everything consumed:
    /// `Ok` for a clean close (at a frame boundary, nothing left), [`DecodeError::Truncated`]
    /// for a frame the end cut (counts include the header). Call it once [`FrameDecoder::step`]
    /// wants more bytes.
    pub(crate) fn end_of_stream(&self, left: usize) -> Result<(), DecodeError> {
        match self.state {
            DecodeState::Head if left == 0 => Ok(()),
            DecodeState::Head => Err(DecodeError::Truncated { expected: HEADER_LEN, received: left }),
            DecodeState::Data(len) => {
                Err(DecodeError::Truncated { expected: HEADER_LEN + len, received: HEADER_LEN + left })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut out = (payload.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn read_incomplete_head_waits() {
        let mut decoder = FrameDecoder::new(100);
        let mut buf = BytesMut::from(&[0u8, 0, 0][..]);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(buf.len(), 3, "nothing consumed while the header is incomplete");
    }

    #[test]
    fn read_single_frame_one_byte_at_a_time() {
        let wire = frame(b"hello");
        let mut decoder = FrameDecoder::new(100);
        let mut buf = BytesMut::new();
        for (i, byte) in wire.iter().enumerate() {
            buf.extend_from_slice(&[*byte]);
            let out = decoder.decode(&mut buf).unwrap();
            if i + 1 < wire.len() {
                assert_eq!(out, None);
            } else {
                assert_eq!(out, Some(Received::Frame(Bytes::from_static(b"hello"))));
            }
        }
        assert!(buf.is_empty());
    }

    #[test]
    fn decoding_in_place_takes_each_frame_and_close_marker_off_the_filled_bytes() {
        let mut decoder = FrameDecoder::new(16);
        let mut buf = BytesMut::from(&[0u8, 0, 0, 1, 7, 0, 0, 0, 0, 9, 9][..]);
        buf.extend_from_slice(&[0xee; 5]); // scratch space after the bytes received
        let mut filled = 11;
        assert_eq!(decoder.decode_filled(&mut buf, &mut filled), Ok(Some(Received::Frame(Bytes::from_static(&[7])))));
        assert_eq!(filled, 6);
        assert_eq!(decoder.decode_filled(&mut buf, &mut filled), Ok(Some(Received::PeerClosed)));
        assert_eq!(filled, 2, "the close marker's 4 bytes are taken off too");
        assert_eq!(&buf[..filled], &[9, 9]);
    }

    #[test]
    fn a_step_says_where_the_frame_lies_without_taking_it() {
        let mut decoder = FrameDecoder::new(16);
        assert_eq!(decoder.step(&[0, 0, 0]), Ok(Step::More { consumed: 0 }));
        assert_eq!(decoder.step(&[0, 0, 0, 2, 7, 8, 9]), Ok(Step::Frame { at: 4, end: 6 }));
        assert_eq!(decoder.step(&[0, 0, 0, 0]), Ok(Step::Close));
        assert_eq!(decoder.step(&[0, 0, 0, 5, 1, 2]), Ok(Step::More { consumed: 4 }), "the header is read");
        assert_eq!(decoder.frame_in_progress(), Some(5));
        assert_eq!(decoder.step(&[1, 2, 3, 4]), Ok(Step::More { consumed: 0 }));
        assert_eq!(decoder.end_of_stream(4), Err(DecodeError::Truncated { expected: 9, received: 8 }));
        assert_eq!(decoder.step(&[1, 2, 3, 4, 5, 6]), Ok(Step::Frame { at: 0, end: 5 }), "the payload alone");
        assert_eq!(decoder.end_of_stream(0), Ok(()));
        assert_eq!(decoder.step(&[0, 0, 0, 17]), Err(DecodeError::TooLarge { declared: 17, max: 16 }));
    }

    #[test]
    fn the_decoder_tells_its_maximum() {
        assert_eq!(FrameDecoder::new(10).max_frame_len(), 10);
        assert_eq!(FrameDecoder::new(usize::MAX).max_frame_len(), usize::MAX);
    }

    #[test]
    fn read_zero_length_frame_as_closed() {
        let mut decoder = FrameDecoder::new(100);
        let mut buf = BytesMut::from(&[0u8, 0, 0, 0][..]);
        assert_eq!(decoder.decode(&mut buf), Ok(Some(Received::PeerClosed)));
    }

    #[test]
    fn oversized_header_is_refused_on_the_header_alone_and_stays_refused() {
        let mut decoder = FrameDecoder::new(10);
        let mut buf = BytesMut::from(&[0u8, 0, 0, 11][..]);
        let err = DecodeError::TooLarge { declared: 11, max: 10 };
        assert_eq!(decoder.decode(&mut buf), Err(err));
        assert_eq!(decoder.decode(&mut buf), Err(err));
    }

    #[test]
    fn frame_of_exactly_the_maximum_is_accepted() {
        let mut decoder = FrameDecoder::new(10);
        let mut buf = BytesMut::from(&frame(&[1; 10])[..]);
        assert_eq!(decoder.decode(&mut buf), Ok(Some(Received::Frame(Bytes::from(vec![1; 10])))));
    }

    #[test]
    fn eof_inside_payload_reports_expected_and_received_bytes() {
        let mut decoder = FrameDecoder::new(100);
        let mut buf = BytesMut::from(&frame(&[5; 20])[..10]);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(decoder.decode_eof(&mut buf), Err(DecodeError::Truncated { expected: 24, received: 10 }));
    }

    #[test]
    fn eof_at_frame_boundary_is_a_clean_close() {
        let mut decoder = FrameDecoder::new(100);
        let mut buf = BytesMut::from(&frame(b"x")[..]);
        assert!(matches!(decoder.decode_eof(&mut buf), Ok(Some(Received::Frame(_)))));
        assert_eq!(decoder.decode_eof(&mut buf), Ok(Some(Received::PeerClosed)));
    }

    #[test]
    fn scratch_bytes_beyond_filled_are_never_decoded() {
        let mut decoder = FrameDecoder::new(100);
        let mut buf = BytesMut::from(&[0u8, 0, 0, 1, 9, 0, 0, 0, 0][..]);
        let mut filled = 5;
        assert_eq!(decoder.decode_filled(&mut buf, &mut filled), Ok(Some(Received::Frame(Bytes::from_static(&[9])))));
        assert_eq!(filled, 0);
        assert_eq!(decoder.decode_filled(&mut buf, &mut filled), Ok(None));
    }
}

//! The wire format: a u32 big-endian length, then that many payload bytes.
//!
//! ```text
//!  0               1               2               3
//! +---------------+---------------+---------------+---------------+
//! |            payload length (u32, big-endian, network order)    |
//! +---------------+---------------+---------------+---------------+
//! |                 payload: exactly `length` bytes ...           |
//! +---------------------------------------------------------------+
//!
//! a length of 0 is not an empty message: it is the "closed" marker
//! ```
//!
//! Encoding never copies the payload: [`FrameHeader`] gives the four header bytes, to be written
//! together with the payload in one vectored write. [`encode_into`] is the convenience that appends
//! both to a [`BytesMut`] when a copy is what the caller wants anyway.

use bytes::{BufMut, BytesMut};

use crate::error::{DecodeError, EncodeError};

/// Length of the frame header in bytes.
///
/// ```
/// assert_eq!(pipe_proto::HEADER_LEN, 4);
/// ```
pub const HEADER_LEN: usize = 4;

/// The header of a zero-length frame: the AEA's "closed" marker on FIFOs.
///
/// ```
/// assert_eq!(pipe_proto::CLOSE_FRAME, [0, 0, 0, 0]);
/// ```
pub const CLOSE_FRAME: [u8; HEADER_LEN] = [0; HEADER_LEN];

/// The largest frame the wire can describe (`u32::MAX` bytes of payload).
///
/// ```
/// assert_eq!(pipe_proto::WIRE_MAX_FRAME_LEN, u32::MAX as u64);
/// ```
pub const WIRE_MAX_FRAME_LEN: u64 = u32::MAX as u64;

/// The four header bytes of one frame, checked against a maximum payload length.
///
/// Write [`FrameHeader::as_bytes`] and the payload together (one `writev`), so that a peer that
/// reads the header and then the payload in two calls (as the AEA's Go peer does) sees them both.
///
/// ```
/// use pipe_proto::FrameHeader;
///
/// let header = FrameHeader::for_payload(b"hello", 1024)?;
/// assert_eq!(header.as_bytes(), &[0, 0, 0, 5]);
/// assert_eq!(header.payload_len(), 5);
/// # Ok::<(), pipe_proto::EncodeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader([u8; HEADER_LEN]);

impl FrameHeader {
    /// Header for a payload of `len` bytes, refused when `len` is 0, over `max_frame_len`, or over
    /// `u32::MAX`.
    ///
    /// ```
    /// use pipe_proto::{EncodeError, FrameHeader};
    ///
    /// assert_eq!(FrameHeader::new(0, 10), Err(EncodeError::Empty));
    /// assert_eq!(FrameHeader::new(11, 10), Err(EncodeError::TooLarge { len: 11, max: 10 }));
    /// assert_eq!(FrameHeader::new(258, 1000)?.as_bytes(), &[0, 0, 1, 2]);
    /// # Ok::<(), EncodeError>(())
    /// ```
    #[inline]
    pub fn new(len: usize, max_frame_len: usize) -> Result<Self, EncodeError> {
        Self::within(len, max_payload_len(max_frame_len))
    }

    /// [`FrameHeader::new`] for a maximum already clamped by [`max_payload_len`], checked with
    /// one comparison ([`is_payload_len`]): how the transmit queue checks every frame.
    #[inline(always)]
    pub(crate) fn within(len: usize, max_payload: usize) -> Result<Self, EncodeError> {
        if !is_payload_len(len, max_payload) {
            return Err(refusal(len, max_payload));
        }
        Ok(Self((len as u32).to_be_bytes()))
    }

    /// Header for `payload`; see [`FrameHeader::new`].
    ///
    /// ```
    /// let header = pipe_proto::FrameHeader::for_payload(&[7u8; 300], 4096)?;
    /// assert_eq!(header.as_bytes(), &[0, 0, 1, 44]);
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    #[inline]
    pub fn for_payload(payload: &[u8], max_frame_len: usize) -> Result<Self, EncodeError> {
        Self::new(payload.len(), max_frame_len)
    }

    /// The four bytes to put on the wire before the payload.
    ///
    /// ```
    /// let header = pipe_proto::FrameHeader::new(1, 1)?;
    /// assert_eq!(header.as_bytes(), &[0, 0, 0, 1]);
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    #[inline]
    pub fn as_bytes(&self) -> &[u8; HEADER_LEN] {
        &self.0
    }

    /// The payload length this header announces.
    ///
    /// ```
    /// assert_eq!(pipe_proto::FrameHeader::new(70_000, usize::MAX)?.payload_len(), 70_000);
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    #[inline]
    pub fn payload_len(&self) -> usize {
        u32::from_be_bytes(self.0) as usize
    }
}

/// What a received frame header announces, once the frame rules are applied.
///
/// ```
/// use pipe_proto::{FrameHeader, Header};
///
/// assert_eq!(FrameHeader::parse([0, 0, 1, 0], 1024), Ok(Header::Payload(256)));
/// assert_eq!(FrameHeader::parse([0, 0, 0, 0], 1024), Ok(Header::Close));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// A message of this many payload bytes (1 to the maximum) follows.
    Payload(usize),
    /// A zero length: the peer closed the pipe.
    Close,
}

impl FrameHeader {
    /// Reads a received header and applies the frame rules, the one place they are applied on
    /// receipt: length 0 is the close marker, a length over `max_frame_len` is
    /// [`DecodeError::TooLarge`] (refused on the header alone, before any payload is buffered).
    ///
    /// ```
    /// use pipe_proto::{DecodeError, FrameHeader, Header};
    ///
    /// assert_eq!(FrameHeader::parse([0, 0, 0, 5], 5), Ok(Header::Payload(5)));
    /// assert_eq!(FrameHeader::parse([0, 0, 0, 6], 5), Err(DecodeError::TooLarge { declared: 6, max: 5 }));
    /// ```
    #[inline(always)]
    pub fn parse(bytes: [u8; HEADER_LEN], max_frame_len: usize) -> Result<Header, DecodeError> {
        match u32::from_be_bytes(bytes) as usize {
            0 => Ok(Header::Close),
            len if len > max_frame_len => Err(DecodeError::TooLarge { declared: len, max: max_frame_len }),
            len => Ok(Header::Payload(len)),
        }
    }
}

/// The first four bytes of `bytes` as a header (which must be there).
#[inline(always)]
pub(crate) fn header_at(bytes: &[u8]) -> [u8; HEADER_LEN] {
    *bytes.first_chunk().expect("a whole frame header")
}

/// The payload length the header at the start of `bytes` (which must be there) announces.
#[inline(always)]
pub(crate) fn payload_len(bytes: &[u8]) -> usize {
    u32::from_be_bytes(header_at(bytes)) as usize
}

/// The length of the run of complete frames at the start of `received`, each with a payload of
/// 1 to `max` bytes: it ends before a close marker, a header over `max`, or a frame (or header)
/// not all there.
#[inline(always)]
pub(crate) fn complete_frames_len(received: &[u8], max: usize) -> usize {
    let mut rest = received;
    while let Some((header, after)) = rest.split_first_chunk::<HEADER_LEN>() {
        let len = u32::from_be_bytes(*header) as usize;
        if !is_payload_len(len, max) || after.len() < len {
            break;
        }
        rest = &after[len..];
    }
    received.len() - rest.len()
}

/// The longest payload a frame may have under `max_frame_len`: that, or what the wire can
/// describe if it is less.
#[inline(always)]
pub(crate) fn max_payload_len(max_frame_len: usize) -> usize {
    max_frame_len.min(WIRE_MAX_FRAME_LEN as usize)
}

/// Whether `len` is the length of a payload of at most `max` bytes: not 0 (the close marker)
/// and not over `max`, in one comparison, since 0 less one wraps around to the largest value.
#[inline(always)]
pub(crate) fn is_payload_len(len: usize, max: usize) -> bool {
    len.wrapping_sub(1) < max
}

/// Why a payload of `len` bytes is refused under `max`.
#[cold]
fn refusal(len: usize, max: usize) -> EncodeError {
    if len == 0 {
        EncodeError::Empty
    } else {
        EncodeError::TooLarge { len, max }
    }
}

/// Appends one whole frame (header and payload) to `dst`, or nothing at all on error.
///
/// This copies the payload; use [`FrameHeader`] with a vectored write to avoid the copy.
///
/// ```
/// use bytes::BytesMut;
///
/// let mut out = BytesMut::new();
/// pipe_proto::encode_into(b"hi", &mut out, 1024)?;
/// assert_eq!(&out[..], &[0, 0, 0, 2, b'h', b'i']);
///
/// // An empty payload would read as "closed" on the other side: refused, nothing written.
/// assert!(pipe_proto::encode_into(b"", &mut out, 1024).is_err());
/// assert_eq!(out.len(), 6);
/// # Ok::<(), pipe_proto::EncodeError>(())
/// ```
pub fn encode_into(payload: &[u8], dst: &mut BytesMut, max_frame_len: usize) -> Result<(), EncodeError> {
    let header = FrameHeader::for_payload(payload, max_frame_len)?;
    dst.reserve(HEADER_LEN + payload.len());
    dst.put_slice(header.as_bytes());
    dst.put_slice(payload);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_applies_the_frame_rules_at_their_bounds() {
        assert_eq!(FrameHeader::parse([0, 0, 0, 0], 0), Ok(Header::Close), "zero is a close whatever the maximum");
        assert_eq!(FrameHeader::parse([0, 0, 0, 1], 1), Ok(Header::Payload(1)));
        assert_eq!(FrameHeader::parse([0, 0, 0, 2], 1), Err(DecodeError::TooLarge { declared: 2, max: 1 }));
        assert_eq!(FrameHeader::parse([0xff; 4], usize::MAX), Ok(Header::Payload(u32::MAX as usize)));
        assert_eq!(FrameHeader::parse([1, 2, 3, 4], usize::MAX), Ok(Header::Payload(0x0102_0304)));
    }

    #[test]
    fn a_run_of_complete_frames_ends_before_a_close_an_oversized_header_or_a_cut_frame() {
        assert_eq!(complete_frames_len(&[0, 0, 0, 1, 7, 0, 0, 0, 2, 8, 9], 4), 11);
        assert_eq!(complete_frames_len(&[0, 0, 0, 1, 7, 0, 0, 0, 0], 4), 5, "the close marker");
        assert_eq!(complete_frames_len(&[0, 0, 0, 1, 7, 0, 0, 0, 5, 1, 2, 3, 4, 5], 4), 5, "over the maximum");
        assert_eq!(complete_frames_len(&[0, 0, 0, 1, 7, 0, 0, 0, 2, 8], 4), 5, "a payload cut");
        assert_eq!(complete_frames_len(&[0, 0, 0, 1, 7, 0, 0], 4), 5, "a header cut");
        assert_eq!(complete_frames_len(&[], 4), 0);
    }

    #[test]
    fn a_header_tells_the_length_it_announces() {
        assert_eq!(FrameHeader::new(70_000, usize::MAX).unwrap().payload_len(), 70_000);
        assert_eq!(FrameHeader::new(1, 1).unwrap().payload_len(), 1);
    }

    #[test]
    fn header_is_big_endian_length() {
        assert_eq!(FrameHeader::new(0x0102_0304, usize::MAX).unwrap().as_bytes(), &[1, 2, 3, 4]);
    }

    #[test]
    fn empty_payload_is_refused_before_any_byte() {
        let mut out = BytesMut::new();
        assert_eq!(encode_into(b"", &mut out, 10), Err(EncodeError::Empty));
        assert!(out.is_empty());
    }

    #[test]
    fn payload_over_the_maximum_is_refused_before_any_byte() {
        let mut out = BytesMut::new();
        assert_eq!(encode_into(&[1; 11], &mut out, 10), Err(EncodeError::TooLarge { len: 11, max: 10 }));
        assert!(out.is_empty());
    }

    #[test]
    fn payload_at_the_maximum_is_accepted() {
        let mut out = BytesMut::new();
        encode_into(&[9; 10], &mut out, 10).unwrap();
        assert_eq!(out.len(), 14);
    }

    #[cfg(target_pointer_width = "64")]
    #[test]
    fn payload_over_u32_max_is_refused_even_without_a_configured_limit() {
        let len = u32::MAX as usize + 1;
        assert_eq!(FrameHeader::new(len, usize::MAX), Err(EncodeError::TooLarge { len, max: u32::MAX as usize }));
    }
}

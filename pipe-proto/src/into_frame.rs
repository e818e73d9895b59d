//! What a batch of messages may be made of: owned or borrowed bytes, each queued as one frame
//! the cheapest way its type allows.

use bytes::Bytes;

use crate::error::EncodeError;
use crate::outbox::Outbox;

/// A message that can be queued as one frame by `Outbox::push_frame` and the batch paths
/// (`SendHalf::send_from` in the core, `write_batch` in the IO crates). The names are left
/// without links: this trait is also shown, re-exported, where those types are not.
/// Borrowed bytes (`&[u8]`, `&Bytes`, `&Vec<u8>`, `&str`) are copied into the queue, which is
/// what a small message costs anyway and spares the caller an owned buffer per message; a
/// large `Bytes` or `&Bytes` is queued by reference (a reference count, no copy), and a large
/// `Vec<u8>` is taken over without a copy.
///
/// ```
/// use bytes::Bytes;
/// use pipe_proto::{Config, Outbox};
///
/// let mut outbox = Outbox::new(&Config::default());
/// let kept = Bytes::from_static(b"kept by the caller");
/// outbox.push_frame(&kept)?;
/// outbox.push_frame(&b"a slice"[..])?;
/// outbox.push_frame(vec![1, 2, 3])?;
/// outbox.push_frame("text")?;
/// assert_eq!(outbox.queued_frames(), 4);
/// # Ok::<(), pipe_proto::EncodeError>(())
/// ```
pub trait IntoFrame {
    /// Queues `self` as one frame; empty and oversized messages are refused, with nothing
    /// queued.
    fn push_into(self, outbox: &mut Outbox) -> Result<(), EncodeError>;
}

impl Outbox {
    /// Queues one frame of any [`IntoFrame`] kind: by reference or copied, as its type allows.
    ///
    /// ```
    /// let mut outbox = pipe_proto::Outbox::new(&pipe_proto::Config::default());
    /// outbox.push_frame("hello")?;
    /// assert_eq!(outbox.buffered_len(), 9);
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    #[inline(always)]
    pub fn push_frame(&mut self, frame: impl IntoFrame) -> Result<(), EncodeError> {
        frame.push_into(self)
    }
}

impl IntoFrame for Bytes {
    #[inline(always)]
    fn push_into(self, outbox: &mut Outbox) -> Result<(), EncodeError> {
        outbox.push(self)
    }
}

impl IntoFrame for &Bytes {
    #[inline(always)]
    fn push_into(self, outbox: &mut Outbox) -> Result<(), EncodeError> {
        if outbox.copies(self.len()) {
            outbox.stage(self)
        } else {
            outbox.push(self.clone())
        }
    }
}

impl IntoFrame for &[u8] {
    #[inline(always)]
    fn push_into(self, outbox: &mut Outbox) -> Result<(), EncodeError> {
        outbox.push_slice(self)
    }
}

impl<const N: usize> IntoFrame for &[u8; N] {
    #[inline(always)]
    fn push_into(self, outbox: &mut Outbox) -> Result<(), EncodeError> {
        outbox.push_slice(self)
    }
}

impl IntoFrame for &str {
    #[inline(always)]
    fn push_into(self, outbox: &mut Outbox) -> Result<(), EncodeError> {
        outbox.push_slice(self.as_bytes())
    }
}

impl IntoFrame for Vec<u8> {
    #[inline(always)]
    fn push_into(self, outbox: &mut Outbox) -> Result<(), EncodeError> {
        if outbox.copies(self.len()) {
            outbox.stage(&self)
        } else {
            outbox.push(Bytes::from(self))
        }
    }
}

impl IntoFrame for &Vec<u8> {
    #[inline(always)]
    fn push_into(self, outbox: &mut Outbox) -> Result<(), EncodeError> {
        outbox.push_slice(self)
    }
}

#[cfg(test)]
mod tests {
    use std::io::IoSlice;

    use super::*;
    use crate::Config;

    fn queued(outbox: &Outbox) -> (Vec<u8>, usize) {
        let mut slices = [IoSlice::new(&[]); 8];
        let n = outbox.io_slices(&mut slices);
        (slices[..n].iter().flat_map(|s| s.iter().copied()).collect(), n)
    }

    #[test]
    fn every_kind_of_message_is_one_frame_with_the_same_bytes() {
        let mut outbox = Outbox::new(&Config::default());
        let bytes = Bytes::from_static(b"b");
        outbox.push_frame(bytes.clone()).unwrap();
        outbox.push_frame(&bytes).unwrap();
        outbox.push_frame(&b"s"[..]).unwrap();
        outbox.push_frame(b"a").unwrap();
        outbox.push_frame("t").unwrap();
        outbox.push_frame(vec![b'v']).unwrap();
        let owned = vec![b'w'];
        outbox.push_frame(&owned).unwrap();
        let (wire, _) = queued(&outbox);
        let expected: Vec<u8> = b"bbsatvw".iter().flat_map(|&c| [0, 0, 0, 1, c]).collect();
        assert_eq!(wire, expected);
        assert_eq!(outbox.push_frame(""), Err(EncodeError::Empty));
        assert_eq!(outbox.push_frame(Vec::new()), Err(EncodeError::Empty));
    }

    #[test]
    fn large_owned_or_shared_messages_are_queued_without_a_copy() {
        let mut outbox = Outbox::new(&Config::default().with_coalesce_limit(4));
        let shared = Bytes::from(vec![7u8; 100]);
        outbox.push_frame(&shared).unwrap();
        let vec = vec![8u8; 100];
        let vec_ptr = vec.as_ptr();
        outbox.push_frame(vec).unwrap();
        let mut slices = [IoSlice::new(&[]); 8];
        let n = outbox.io_slices(&mut slices);
        let payloads: Vec<&IoSlice<'_>> = slices[..n].iter().filter(|s| s.len() == 100).collect();
        assert_eq!(payloads.len(), 2, "each payload is a slice of its own");
        assert_eq!(payloads[0].as_ptr(), shared.as_ptr(), "the caller's Bytes, by reference");
        assert_eq!(payloads[1].as_ptr(), vec_ptr, "the Vec's own buffer");
        let (_, small) = {
            let mut outbox = Outbox::new(&Config::default().with_coalesce_limit(4));
            let tiny = Bytes::from_static(b"tiny");
            outbox.push_frame(&tiny).unwrap();
            queued(&outbox)
        };
        assert_eq!(small, 1, "a small message is copied into the staging buffer");
    }
}

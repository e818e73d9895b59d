//! The transmit queue: encoded frames, written out in order, resumed after partial writes, with
//! backpressure at a high-water mark, and the count of frames not yet written.
//!
//! Small payloads are copied into one contiguous staging buffer, so a burst of them leaves in one
//! write; large payloads are queued by reference (a [`Bytes`] clone, no copy) between their
//! header and whatever follows. Frames are never interleaved: the queue is a single FIFO of bytes.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::config::Config;
use crate::error::{EncodeError, Undelivered};
use crate::frame::{FrameHeader, CLOSE_FRAME, HEADER_LEN};

/// The transmit queue of a pipe: queue frames with [`Outbox::push`], write what
/// [`Outbox::io_slices`] gives, and report it with [`Outbox::advance`]. It knows where each frame
/// ends, so that what was not written when the pipe failed can be counted in frames
/// ([`Outbox::take_undelivered`]). The rules of when frames may be queued and what a close sends
/// are the [`SendHalf`](crate::SendHalf)'s.
///
/// ```
/// use bytes::Bytes;
/// use pipe_proto::{Config, Outbox};
/// use std::io::IoSlice;
///
/// let mut outbox = Outbox::new(&Config::default());
/// outbox.push(Bytes::from_static(b"abc"))?;
/// let mut slices = [IoSlice::new(&[]); 8];
/// let n = outbox.io_slices(&mut slices);
/// let written: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
/// assert_eq!(written, [0, 0, 0, 3, b'a', b'b', b'c']);
/// outbox.advance(5); // a partial write: the next slices resume at byte 5
/// assert_eq!(outbox.buffered_len(), 2);
/// assert_eq!(outbox.queued_frames(), 1);
/// # Ok::<(), pipe_proto::EncodeError>(())
/// ```
#[derive(Debug)]
pub struct Outbox {
    /// Queued chunks, oldest first, all before `staging`.
    chunks: VecDeque<Bytes>,
    /// The newest bytes: headers and small payloads, contiguous.
    staging: BytesMut,
    buffered: usize,
    /// Where each queued frame ends, counted in bytes ever queued (close markers included).
    frame_ends: VecDeque<u64>,
    /// Bytes ever queued.
    queued_total: u64,
    /// Bytes ever written.
    written_total: u64,
    max_frame_len: usize,
    high_water_mark: usize,
    coalesce_limit: usize,
}

impl Outbox {
    /// An empty queue with the limits of `config`.
    ///
    /// ```
    /// let outbox = pipe_proto::Outbox::new(&pipe_proto::Config::default());
    /// assert!(outbox.is_flushed());
    /// ```
    pub fn new(config: &Config) -> Self {
        Self {
            chunks: VecDeque::new(),
            staging: BytesMut::new(),
            buffered: 0,
            frame_ends: VecDeque::new(),
            queued_total: 0,
            written_total: 0,
            max_frame_len: config.max_frame_len,
            high_water_mark: config.high_water_mark,
            coalesce_limit: config.coalesce_limit,
        }
    }

    /// Queues one frame. Empty or oversized payloads are refused, and nothing is queued.
    /// Check [`Outbox::is_ready`] first to respect the high-water mark; `push` itself never
    /// refuses a valid frame for lack of room.
    ///
    /// ```
    /// use pipe_proto::{Config, EncodeError, Outbox};
    ///
    /// let mut outbox = Outbox::new(&Config::default().with_max_frame_len(4));
    /// assert_eq!(outbox.push("".into()), Err(EncodeError::Empty));
    /// assert_eq!(outbox.push("12345".into()), Err(EncodeError::TooLarge { len: 5, max: 4 }));
    /// assert!(outbox.is_flushed());
    /// ```
    #[inline]
    pub fn push(&mut self, payload: Bytes) -> Result<(), EncodeError> {
        let header = FrameHeader::new(payload.len(), self.max_frame_len)?;
        self.staging.put_slice(header.as_bytes());
        self.queued(HEADER_LEN + payload.len());
        if payload.len() <= self.coalesce_limit {
            self.staging.put_slice(&payload);
        } else {
            self.chunks.push_back(self.staging.split().freeze());
            self.chunks.push_back(payload);
        }
        Ok(())
    }

    /// Queues one frame from a borrowed slice (copied once, into the queue).
    ///
    /// ```
    /// let mut outbox = pipe_proto::Outbox::new(&pipe_proto::Config::default());
    /// outbox.push_slice(b"hello")?;
    /// assert_eq!(outbox.buffered_len(), 9);
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    pub fn push_slice(&mut self, payload: &[u8]) -> Result<(), EncodeError> {
        // Validated before anything is copied: an oversized payload costs nothing.
        let header = FrameHeader::new(payload.len(), self.max_frame_len)?;
        if payload.len() > self.coalesce_limit {
            return self.push(Bytes::copy_from_slice(payload));
        }
        self.staging.put_slice(header.as_bytes());
        self.staging.put_slice(payload);
        self.queued(HEADER_LEN + payload.len());
        Ok(())
    }

    /// Queues the zero-length close marker, which is not a frame of ours: it is never counted as
    /// undelivered.
    pub(crate) fn push_close_marker(&mut self) {
        self.staging.put_slice(&CLOSE_FRAME);
        self.buffered += CLOSE_FRAME.len();
        self.queued_total += CLOSE_FRAME.len() as u64;
    }

    /// Accounts for one frame of `len` wire bytes just queued.
    #[inline(always)]
    fn queued(&mut self, len: usize) {
        self.buffered += len;
        self.queued_total += len as u64;
        self.frame_ends.push_back(self.queued_total);
    }

    /// Frames queued and not completely written (the one being written included).
    ///
    /// ```
    /// let mut outbox = pipe_proto::Outbox::new(&pipe_proto::Config::default());
    /// outbox.push_slice(b"a")?;
    /// outbox.push_slice(b"b")?;
    /// outbox.advance(6);
    /// assert_eq!(outbox.queued_frames(), 1, "the second frame is cut after its header");
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    pub fn queued_frames(&self) -> usize {
        self.frame_ends.len()
    }

    /// Empties the queue and says what it held: the frames not completely written and their
    /// bytes that were not (the close marker is not counted). For a pipe that can no longer
    /// write.
    ///
    /// ```
    /// use pipe_proto::{Config, Outbox, Undelivered};
    ///
    /// let mut outbox = Outbox::new(&Config::default());
    /// outbox.push_slice(b"one")?;
    /// outbox.push_slice(b"two")?;
    /// outbox.advance(9); // "one" and two bytes of the next header went out
    /// assert_eq!(outbox.take_undelivered(), Undelivered { frames: 1, bytes: 5 });
    /// assert!(outbox.is_flushed());
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    pub fn take_undelivered(&mut self) -> Undelivered {
        let undelivered = match self.frame_ends.back() {
            Some(&end) => Undelivered { frames: self.frame_ends.len(), bytes: (end - self.written_total) as usize },
            None => Undelivered::default(),
        };
        self.chunks.clear();
        self.staging = BytesMut::new();
        self.written_total += self.buffered as u64;
        self.buffered = 0;
        self.frame_ends.clear();
        undelivered
    }

    /// Whether another frame may be queued without passing the high-water mark.
    ///
    /// ```
    /// use pipe_proto::{Config, Outbox};
    ///
    /// let mut outbox = Outbox::new(&Config::default().with_high_water_mark(8));
    /// assert!(outbox.is_ready());
    /// outbox.push_slice(b"1234")?;
    /// assert!(!outbox.is_ready(), "8 bytes queued: at the mark");
    /// outbox.advance(1);
    /// assert!(outbox.is_ready());
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    #[inline]
    pub fn is_ready(&self) -> bool {
        self.buffered < self.high_water_mark
    }

    /// Bytes queued and not yet written.
    ///
    /// ```
    /// let outbox = pipe_proto::Outbox::new(&pipe_proto::Config::default());
    /// assert_eq!(outbox.buffered_len(), 0);
    /// ```
    #[inline]
    pub fn buffered_len(&self) -> usize {
        self.buffered
    }

    /// Whether everything queued has been written.
    ///
    /// ```
    /// let mut outbox = pipe_proto::Outbox::new(&pipe_proto::Config::default());
    /// outbox.push_slice(b"x")?;
    /// assert!(!outbox.is_flushed());
    /// outbox.advance(5);
    /// assert!(outbox.is_flushed());
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    #[inline]
    pub fn is_flushed(&self) -> bool {
        self.buffered == 0
    }

    /// Fills `out` with the queued bytes in order (up to `out.len()` slices) and returns how many
    /// slices it used. Write them with one vectored write and report the count with
    /// [`Outbox::advance`].
    ///
    /// ```
    /// use std::io::IoSlice;
    ///
    /// let mut outbox = pipe_proto::Outbox::new(&pipe_proto::Config::default().with_coalesce_limit(0));
    /// outbox.push("big".into())?;
    /// let mut slices = [IoSlice::new(&[]); 4];
    /// assert_eq!(outbox.io_slices(&mut slices), 2, "header, then the payload by reference");
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    pub fn io_slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        let mut used = 0;
        for chunk in &self.chunks {
            if used == out.len() {
                return used;
            }
            out[used] = IoSlice::new(chunk);
            used += 1;
        }
        if used < out.len() && !self.staging.is_empty() {
            out[used] = IoSlice::new(&self.staging);
            used += 1;
        }
        used
    }

    /// The oldest queued bytes as one slice, for transports without vectored writes.
    ///
    /// ```
    /// let mut outbox = pipe_proto::Outbox::new(&pipe_proto::Config::default());
    /// assert!(outbox.front().is_empty());
    /// outbox.push_slice(b"a")?;
    /// assert_eq!(outbox.front(), &[0, 0, 0, 1, b'a']);
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    pub fn front(&self) -> &[u8] {
        match self.chunks.front() {
            Some(chunk) => chunk,
            None => &self.staging,
        }
    }

    /// Reports that the first `n` queued bytes were written. `n` past the end is clamped.
    ///
    /// ```
    /// let mut outbox = pipe_proto::Outbox::new(&pipe_proto::Config::default());
    /// outbox.push_slice(b"ab")?;
    /// outbox.advance(100);
    /// assert!(outbox.is_flushed());
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    pub fn advance(&mut self, mut n: usize) {
        n = n.min(self.buffered);
        self.buffered -= n;
        self.written_total += n as u64;
        if self.buffered == 0 {
            self.frame_ends.clear();
        } else {
            while self.frame_ends.front().is_some_and(|&end| end <= self.written_total) {
                self.frame_ends.pop_front();
            }
        }
        while n > 0 {
            match self.chunks.front_mut() {
                Some(chunk) if chunk.len() <= n => {
                    n -= chunk.len();
                    self.chunks.pop_front();
                }
                Some(chunk) => {
                    chunk.advance(n);
                    break;
                }
                None if n == self.staging.len() => {
                    // Everything went out: clearing (not advancing) keeps the next frames at the
                    // front of the allocation, with no room to reclaim first.
                    self.staging.clear();
                    break;
                }
                None => {
                    self.staging.advance(n);
                    break;
                }
            }
        }
        if self.buffered == 0 {
            self.staging.clear();
        }
    }
}

//! The transmit queue: encoded frames, written out in order, resumed after partial writes, with
//! backpressure at a high-water mark, and the count of frames not yet written.
//!
//! Small payloads are copied into one contiguous staging buffer, so a burst of them leaves in one
//! write; large payloads are queued by reference (a [`Bytes`] clone, no copy) between their
//! header and whatever follows. Frames are never interleaved: the queue is a single FIFO of bytes.
//!
//! The bytes of the frame being written stay in the queue until its last byte is written, so
//! that a frame cut by a failed write can be taken back whole ([`Outbox::take_unsent`]) or sent
//! again whole after a reconnect ([`Outbox::rewind`]).

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::config::Config;
use crate::error::{EncodeError, Undelivered};
use crate::frame::{max_payload_len, payload_len, FrameHeader, CLOSE_FRAME, HEADER_LEN};

/// The transmit queue of a pipe: queue frames with [`Outbox::push`], write what
/// [`Outbox::io_slices`] gives, and report it with [`Outbox::advance`]. It knows where each frame
/// ends, so that what was not written when the pipe failed can be counted in frames
/// ([`Outbox::undelivered`]) and taken back whole ([`Outbox::take_unsent`]). The rules of when frames may be queued and what a close sends
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
    /// Bytes queued and not yet written.
    buffered: usize,
    /// Bytes already written still held at the front of `chunks`/`staging`: the written part of
    /// the frame being written, kept until the frame is complete. The held bytes start with
    /// that frame's header, so the frames after it are found by reading their headers.
    retained: usize,
    /// Where the frame being written ends, counted from the first held byte, once a partial
    /// write found it; 0 while unknown. A write that stops before it completes no frame.
    front_end: usize,
    /// Frames queued and not completely written.
    frames: usize,
    /// The length of the close marker queued after the frames and not completely written: 0 or
    /// [`HEADER_LEN`].
    marker_len: usize,
    /// The longest payload a frame may have: the configured maximum, or what the wire can
    /// describe if that is less.
    max_payload: usize,
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
            retained: 0,
            front_end: 0,
            frames: 0,
            marker_len: 0,
            max_payload: max_payload_len(config.max_frame_len),
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
        if self.copies(payload.len()) {
            self.stage(&payload)
        } else {
            self.push_chunk(payload)
        }
    }

    /// Queues one frame from a borrowed slice (copied once, into the queue).
    ///
    /// ```
    /// let mut outbox = pipe_proto::Outbox::new(&pipe_proto::Config::default());
    /// outbox.push_slice(b"hello")?;
    /// assert_eq!(outbox.buffered_len(), 9);
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    #[inline]
    pub fn push_slice(&mut self, payload: &[u8]) -> Result<(), EncodeError> {
        if self.copies(payload.len()) {
            self.stage(payload)
        } else {
            self.push_slice_chunk(payload)
        }
    }

    /// Whether a payload of `len` bytes is copied into the staging buffer (it is at most
    /// [`Config::with_coalesce_limit`]) rather than queued as a chunk of its own.
    ///
    /// ```
    /// let outbox = pipe_proto::Outbox::new(&pipe_proto::Config::default().with_coalesce_limit(8));
    /// assert!(outbox.copies(8));
    /// assert!(!outbox.copies(9));
    /// ```
    #[inline(always)]
    pub fn copies(&self, len: usize) -> bool {
        len <= self.coalesce_limit
    }

    /// A small frame: header and payload copied into the staging buffer.
    #[inline(always)]
    pub(crate) fn stage(&mut self, payload: &[u8]) -> Result<(), EncodeError> {
        let header = FrameHeader::within(payload.len(), self.max_payload)?;
        self.staging.extend_from_slice(header.as_bytes());
        self.staging.extend_from_slice(payload);
        self.queued(HEADER_LEN + payload.len());
        Ok(())
    }

    /// A large frame: the header staged, the payload queued by reference after it.
    #[inline(never)]
    fn push_chunk(&mut self, payload: Bytes) -> Result<(), EncodeError> {
        let header = FrameHeader::within(payload.len(), self.max_payload)?;
        self.queue_chunk(header, payload);
        Ok(())
    }

    /// A large frame from a borrowed slice: validated before anything is copied, so that an
    /// oversized payload costs nothing.
    #[inline(never)]
    fn push_slice_chunk(&mut self, payload: &[u8]) -> Result<(), EncodeError> {
        let header = FrameHeader::within(payload.len(), self.max_payload)?;
        self.queue_chunk(header, Bytes::copy_from_slice(payload));
        Ok(())
    }

    /// Queues a large frame whose length `header` already checked: the header staged, the
    /// payload by reference after it.
    #[inline(always)]
    fn queue_chunk(&mut self, header: FrameHeader, payload: Bytes) {
        self.staging.put_slice(header.as_bytes());
        self.queued(HEADER_LEN + payload.len());
        self.chunks.push_back(self.staging.split().freeze());
        self.chunks.push_back(payload);
    }

    /// Queues the zero-length close marker, which is not a frame of ours: it is never counted as
    /// undelivered.
    pub(crate) fn push_close_marker(&mut self) {
        self.staging.put_slice(&CLOSE_FRAME);
        self.buffered += CLOSE_FRAME.len();
        self.marker_len = CLOSE_FRAME.len();
    }

    /// Accounts for one frame of `len` wire bytes just queued.
    #[inline(always)]
    fn queued(&mut self, len: usize) {
        self.buffered += len;
        self.frames += 1;
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
        self.frames
    }

    /// What is queued and was not completely written: the frames (the one cut mid-write
    /// included) and their bytes that were not written (the close marker is not counted).
    ///
    /// ```
    /// use pipe_proto::{Config, Outbox, Undelivered};
    ///
    /// let mut outbox = Outbox::new(&Config::default());
    /// outbox.push_slice(b"one")?;
    /// outbox.push_slice(b"two")?;
    /// outbox.advance(9); // "one" and two bytes of the next header went out
    /// assert_eq!(outbox.undelivered(), Undelivered { frames: 1, bytes: 5 });
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    pub fn undelivered(&self) -> Undelivered {
        // While a frame is queued nothing of the marker after it is written; once none is, at
        // most the marker is left.
        Undelivered { frames: self.frames, bytes: self.buffered.saturating_sub(self.marker_len) }
    }

    /// Empties the queue and gives back, in order, the payload of every frame not completely
    /// written, the one cut mid-write whole. For a pipe that can no longer write: the peer that
    /// was reading it must not get the rest of the cut frame.
    ///
    /// ```
    /// use pipe_proto::{Config, Outbox};
    ///
    /// let mut outbox = Outbox::new(&Config::default());
    /// outbox.push_slice(b"one")?;
    /// outbox.push_slice(b"two")?;
    /// outbox.push_slice(b"three")?;
    /// outbox.advance(9); // "one" and two bytes of the next header went out
    /// assert_eq!(outbox.take_unsent(), ["two", "three"]);
    /// assert!(outbox.is_flushed());
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    pub fn take_unsent(&mut self) -> Vec<Bytes> {
        let mut frames = Vec::with_capacity(self.frames);
        let staged = self.staging.split().freeze();
        self.chunks.push_back(staged);
        for _ in 0..self.frames {
            let len = payload_len(&self.take_front(HEADER_LEN));
            frames.push(self.take_front(len));
        }
        self.clear();
        frames
    }

    /// Makes every frame not completely written whole again and due to be written from its
    /// first byte, and drops a close marker queued after them: for a pipe that starts again
    /// with a new peer, which must get the frame that was cut whole.
    ///
    /// ```
    /// use pipe_proto::{Config, Outbox};
    ///
    /// let mut outbox = Outbox::new(&Config::default());
    /// outbox.push_slice(b"one")?;
    /// outbox.push_slice(b"two")?;
    /// outbox.advance(9); // "one" and two bytes of the next header went out
    /// outbox.rewind();
    /// assert_eq!(outbox.front(), &[0, 0, 0, 3, b't', b'w', b'o'], "\"two\" whole again");
    /// # Ok::<(), pipe_proto::EncodeError>(())
    /// ```
    pub fn rewind(&mut self) {
        if self.frames == 0 {
            self.clear();
            return;
        }
        // A close marker is the last thing staged, and none of it is written while a frame is
        // queued before it.
        self.staging.truncate(self.staging.len() - self.marker_len);
        self.buffered = self.buffered + self.retained - self.marker_len;
        self.retained = 0;
        self.front_end = 0;
        self.marker_len = 0;
    }

    /// Forgets everything queued, as if it had been written.
    fn clear(&mut self) {
        self.chunks.clear();
        self.staging = BytesMut::new();
        self.buffered = 0;
        self.retained = 0;
        self.front_end = 0;
        self.frames = 0;
        self.marker_len = 0;
    }

    /// Takes the first `len` held bytes out of `chunks` (where `staging` was moved), by
    /// reference. A header and a payload each lie within one chunk: a header is always staged
    /// whole, a payload is staged whole or queued as its own chunk, and the front of the queue
    /// is only ever cut at a frame's start.
    fn take_front(&mut self, len: usize) -> Bytes {
        let Some(front) = self.chunks.front_mut() else {
            return Bytes::new();
        };
        let taken = front.split_to(len.min(front.len()));
        if front.is_empty() {
            self.chunks.pop_front();
        }
        taken
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
        let mut skip = self.retained;
        for chunk in &self.chunks {
            if skip >= chunk.len() {
                skip -= chunk.len();
                continue;
            }
            if used == out.len() {
                return used;
            }
            out[used] = IoSlice::new(&chunk[skip..]);
            skip = 0;
            used += 1;
        }
        if used < out.len() && self.staging.len() > skip {
            out[used] = IoSlice::new(&self.staging[skip..]);
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
        let mut skip = self.retained;
        for chunk in &self.chunks {
            if skip < chunk.len() {
                return &chunk[skip..];
            }
            skip -= chunk.len();
        }
        &self.staging[skip.min(self.staging.len())..]
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
        if self.buffered == 0 {
            // Everything went out: clearing (not advancing) keeps the next frames at the front
            // of the allocation, with no room to reclaim first.
            self.chunks.clear();
            self.staging.clear();
            self.retained = 0;
            self.front_end = 0;
            self.frames = 0;
            self.marker_len = 0;
            return;
        }
        // Counted from the first held byte: what is written now, and where the frame being
        // written starts (with only a close marker left, what was not written of it).
        let written = self.retained + n;
        if written < self.front_end {
            // The frame being written is still not complete: nothing to walk or to discard.
            self.retained = written;
            return;
        }
        let held_from = if self.frames == 0 { written } else { self.skip_written_frames(written) };
        self.retained = written - held_from;
        let mut discard = held_from;
        while discard > 0 {
            match self.chunks.front_mut() {
                Some(chunk) if chunk.len() <= discard => {
                    discard -= chunk.len();
                    self.chunks.pop_front();
                }
                Some(chunk) => {
                    chunk.advance(discard);
                    break;
                }
                None => {
                    self.staging.advance(discard);
                    break;
                }
            }
        }
    }

    /// Walks the headers of the held bytes, from the first, over the frames completely written
    /// within their first `written` bytes: no longer counts them, and returns where the first
    /// frame not completely written starts. Some byte of the queue is not written, so the walk
    /// stops before the queue's end: at a frame, or at a close marker after the last (a marker
    /// written whole would have emptied the queue).
    fn skip_written_frames(&mut self, written: usize) -> usize {
        let staging = std::iter::once(&self.staging[..]);
        // `at` is a frame's start; `base`, the start of the segment (a chunk, or the staging
        // buffer) that holds its header, whole.
        let (mut at, mut base) = (0, 0);
        for segment in self.chunks.iter().map(|chunk| &chunk[..]).chain(staging) {
            let end = base + segment.len();
            while at < end {
                let frame_end = at + HEADER_LEN + payload_len(&segment[at - base..]);
                if frame_end > written {
                    self.front_end = frame_end - at;
                    return at;
                }
                at = frame_end;
                self.frames -= 1;
            }
            base = end;
        }
        at
    }
}

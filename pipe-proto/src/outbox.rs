//! The sending half: a queue of encoded frames, written out in order, resumed after partial
//! writes, with backpressure at a high-water mark and the transport's close marker at the end.
//!
//! Small payloads are copied into one contiguous staging buffer, so a burst of them leaves in one
//! write; large payloads are queued by reference (a [`Bytes`] clone, no copy) between their
//! header and whatever follows. Frames are never interleaved: the queue is a single FIFO of bytes.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::config::Config;
use crate::connection::{Action, Transport};
use crate::error::SendError;
use crate::frame::{FrameHeader, CLOSE_FRAME};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutboxState {
    Open,
    /// Draining what is queued (and the close marker), then the write side closes.
    Closing,
    Closed,
    Failed,
}

/// Sending half of a pipe: queue frames with [`Outbox::push`], write what
/// [`Outbox::io_slices`] gives, and report it with [`Outbox::advance`].
///
/// ```
/// use bytes::Bytes;
/// use pipe_proto::{Config, Outbox, Transport};
/// use std::io::IoSlice;
///
/// let mut outbox = Outbox::new(Transport::Fifo, &Config::default());
/// outbox.push(Bytes::from_static(b"abc"))?;
/// let mut slices = [IoSlice::new(&[]); 8];
/// let n = outbox.io_slices(&mut slices);
/// let written: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
/// assert_eq!(written, [0, 0, 0, 3, b'a', b'b', b'c']);
/// outbox.advance(5); // a partial write: the next slices resume at byte 5
/// assert_eq!(outbox.buffered_len(), 2);
/// # Ok::<(), pipe_proto::SendError>(())
/// ```
#[derive(Debug)]
pub struct Outbox {
    /// Queued chunks, oldest first, all before `staging`.
    chunks: VecDeque<Bytes>,
    /// The newest bytes: headers and small payloads, contiguous.
    staging: BytesMut,
    buffered: usize,
    transport: Transport,
    max_frame_len: usize,
    high_water_mark: usize,
    coalesce_limit: usize,
    state: OutboxState,
}

impl Outbox {
    /// An empty queue for `transport` with the limits of `config`.
    ///
    /// ```
    /// let outbox = pipe_proto::Outbox::new(pipe_proto::Transport::Tcp, &pipe_proto::Config::default());
    /// assert!(outbox.is_flushed());
    /// ```
    pub fn new(transport: Transport, config: &Config) -> Self {
        Self {
            chunks: VecDeque::new(),
            staging: BytesMut::new(),
            buffered: 0,
            transport,
            max_frame_len: config.max_frame_len,
            high_water_mark: config.high_water_mark,
            coalesce_limit: config.coalesce_limit,
            state: OutboxState::Open,
        }
    }

    /// Queues one frame. Empty or oversized payloads are refused, and nothing is queued.
    /// Check [`Outbox::is_ready`] first to respect the high-water mark; `push` itself never
    /// refuses a valid frame for lack of room.
    ///
    /// ```
    /// use pipe_proto::{Config, EncodeError, Outbox, SendError, Transport};
    ///
    /// let mut outbox = Outbox::new(Transport::Tcp, &Config::default().max_frame_len(4));
    /// assert_eq!(outbox.push("".into()), Err(SendError::Frame(EncodeError::Empty)));
    /// assert_eq!(outbox.push("12345".into()), Err(SendError::Frame(EncodeError::TooLarge { len: 5, max: 4 })));
    /// assert!(outbox.is_flushed());
    /// ```
    #[inline]
    pub fn push(&mut self, payload: Bytes) -> Result<(), SendError> {
        self.check_open()?;
        let header = FrameHeader::new(payload.len(), self.max_frame_len)?;
        self.staging.put_slice(header.as_bytes());
        self.buffered += crate::HEADER_LEN + payload.len();
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
    /// let mut outbox = pipe_proto::Outbox::new(pipe_proto::Transport::Tcp, &pipe_proto::Config::default());
    /// outbox.push_slice(b"hello")?;
    /// assert_eq!(outbox.buffered_len(), 9);
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    pub fn push_slice(&mut self, payload: &[u8]) -> Result<(), SendError> {
        // Validated before anything is copied: an oversized payload costs nothing.
        self.check_open()?;
        let header = FrameHeader::new(payload.len(), self.max_frame_len)?;
        if payload.len() > self.coalesce_limit {
            return self.push(Bytes::copy_from_slice(payload));
        }
        self.staging.put_slice(header.as_bytes());
        self.staging.put_slice(payload);
        self.buffered += crate::HEADER_LEN + payload.len();
        Ok(())
    }

    /// Whether another frame may be queued without passing the high-water mark.
    ///
    /// ```
    /// use pipe_proto::{Config, Outbox, Transport};
    ///
    /// let mut outbox = Outbox::new(Transport::Tcp, &Config::default().high_water_mark(8));
    /// assert!(outbox.is_ready());
    /// outbox.push_slice(b"1234")?;
    /// assert!(!outbox.is_ready(), "8 bytes queued: at the mark");
    /// outbox.advance(1);
    /// assert!(outbox.is_ready());
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    #[inline]
    pub fn is_ready(&self) -> bool {
        self.buffered < self.high_water_mark
    }

    /// Bytes queued and not yet written.
    ///
    /// ```
    /// let outbox = pipe_proto::Outbox::new(pipe_proto::Transport::Tcp, &pipe_proto::Config::default());
    /// assert_eq!(outbox.buffered_len(), 0);
    /// ```
    #[inline]
    pub fn buffered_len(&self) -> usize {
        self.buffered
    }

    /// Whether everything queued has been written.
    ///
    /// ```
    /// let mut outbox = pipe_proto::Outbox::new(pipe_proto::Transport::Tcp, &pipe_proto::Config::default());
    /// outbox.push_slice(b"x")?;
    /// assert!(!outbox.is_flushed());
    /// outbox.advance(5);
    /// assert!(outbox.is_flushed());
    /// # Ok::<(), pipe_proto::SendError>(())
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
    /// let mut outbox = pipe_proto::Outbox::new(pipe_proto::Transport::Tcp, &pipe_proto::Config::default().coalesce_limit(0));
    /// outbox.push("big".into())?;
    /// let mut slices = [IoSlice::new(&[]); 4];
    /// assert_eq!(outbox.io_slices(&mut slices), 2, "header, then the payload by reference");
    /// # Ok::<(), pipe_proto::SendError>(())
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
    /// let mut outbox = pipe_proto::Outbox::new(pipe_proto::Transport::Tcp, &pipe_proto::Config::default());
    /// assert!(outbox.front().is_empty());
    /// outbox.push_slice(b"a")?;
    /// assert_eq!(outbox.front(), &[0, 0, 0, 1, b'a']);
    /// # Ok::<(), pipe_proto::SendError>(())
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
    /// let mut outbox = pipe_proto::Outbox::new(pipe_proto::Transport::Tcp, &pipe_proto::Config::default());
    /// outbox.push_slice(b"ab")?;
    /// outbox.advance(100);
    /// assert!(outbox.is_flushed());
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    pub fn advance(&mut self, mut n: usize) {
        n = n.min(self.buffered);
        self.buffered -= n;
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

    /// Starts a graceful close: what is queued still goes out, then (on FIFOs) the zero-length
    /// close marker, then [`Action::CloseWrite`]. Idempotent.
    ///
    /// ```
    /// use pipe_proto::{Action, Config, Outbox, Transport};
    ///
    /// let mut fifo = Outbox::new(Transport::Fifo, &Config::default());
    /// fifo.close();
    /// assert_eq!(fifo.buffered_len(), 4, "the zero frame");
    /// fifo.advance(4);
    /// assert_eq!(fifo.poll_action(), Some(Action::CloseWrite));
    /// assert_eq!(fifo.poll_action(), None);
    ///
    /// let mut tcp = Outbox::new(Transport::Tcp, &Config::default());
    /// tcp.close();
    /// assert_eq!(tcp.poll_action(), Some(Action::CloseWrite), "a half-close, no zero frame");
    /// ```
    pub fn close(&mut self) {
        self.close_with_marker(true);
    }

    /// Like [`Outbox::close`], but without the FIFO close marker (used when the peer is known to
    /// be gone, so nobody would read it).
    pub(crate) fn close_with_marker(&mut self, marker: bool) {
        if self.state != OutboxState::Open {
            return;
        }
        self.state = OutboxState::Closing;
        if marker && self.transport == Transport::Fifo {
            self.staging.put_slice(&CLOSE_FRAME);
            self.buffered += CLOSE_FRAME.len();
        }
    }

    /// What the IO owner should do next: [`Action::Transmit`] while bytes are queued, then once
    /// closing and drained, [`Action::CloseWrite`] (once; the outbox is closed from then on).
    ///
    /// ```
    /// let mut outbox = pipe_proto::Outbox::new(pipe_proto::Transport::Tcp, &pipe_proto::Config::default());
    /// assert_eq!(outbox.poll_action(), None);
    /// outbox.push_slice(b"x")?;
    /// assert_eq!(outbox.poll_action(), Some(pipe_proto::Action::Transmit));
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    pub fn poll_action(&mut self) -> Option<Action> {
        match self.state {
            OutboxState::Open | OutboxState::Closing if self.buffered > 0 => Some(Action::Transmit),
            OutboxState::Closing => {
                self.state = OutboxState::Closed;
                Some(Action::CloseWrite)
            }
            _ => None,
        }
    }

    /// Marks the sending half broken after a write error: the queue is dropped, and every later
    /// [`Outbox::push`] fails with [`SendError::Failed`].
    ///
    /// ```
    /// let mut outbox = pipe_proto::Outbox::new(pipe_proto::Transport::Tcp, &pipe_proto::Config::default());
    /// outbox.push_slice(b"x")?;
    /// outbox.fail();
    /// assert_eq!(outbox.push_slice(b"y"), Err(pipe_proto::SendError::Failed));
    /// assert!(outbox.is_flushed());
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    pub fn fail(&mut self) {
        self.state = OutboxState::Failed;
        self.chunks.clear();
        self.staging = BytesMut::new();
        self.buffered = 0;
    }

    /// Whether [`Outbox::close`] was called (the close may still be draining).
    ///
    /// ```
    /// let mut outbox = pipe_proto::Outbox::new(pipe_proto::Transport::Tcp, &pipe_proto::Config::default());
    /// outbox.close();
    /// assert!(outbox.is_closing_or_closed());
    /// ```
    pub fn is_closing_or_closed(&self) -> bool {
        matches!(self.state, OutboxState::Closing | OutboxState::Closed)
    }

    /// Whether the close finished: [`Action::CloseWrite`] was handed out.
    ///
    /// ```
    /// let mut outbox = pipe_proto::Outbox::new(pipe_proto::Transport::Tcp, &pipe_proto::Config::default());
    /// outbox.close();
    /// assert!(!outbox.is_closed());
    /// outbox.poll_action();
    /// assert!(outbox.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.state == OutboxState::Closed
    }

    fn check_open(&self) -> Result<(), SendError> {
        match self.state {
            OutboxState::Open => Ok(()),
            OutboxState::Closing | OutboxState::Closed => Err(SendError::Closed),
            OutboxState::Failed => Err(SendError::Failed),
        }
    }
}

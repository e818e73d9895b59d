//! The receiving half: a read buffer the IO owner fills, and the decoder that empties it.
//!
//! The buffer holds the bytes received (`filled`) followed by scratch space that the next read
//! goes into, zeroed when it is made, so adapters can read into a plain `&mut [u8]` without
//! `unsafe` and without a copy: frames are taken off the front of the same allocation. Once less
//! than half a read chunk of scratch is left, it is topped up to one read chunk, or, inside a
//! large frame, to as much as the part of that frame already received (so a 1 MiB frame takes a
//! handful of reads, yet a header that lies about its length costs nothing). Short reads reuse
//! what is left, so each byte of scratch is zeroed about once. The chunk itself starts at 4 KiB
//! (or the configured read chunk if that is smaller) and doubles, up to the configured size, each
//! time a read fills all the space it was given: a pipe that has not been busy reads into 4 KiB,
//! not a whole chunk.
//!
//! A large frame is read straight into the buffer it is handed out or lent from. Once the part
//! of it received is at least 1/32 of its declared length (the first 64 KiB read of a 1 MiB
//! frame), that part vouches for the rest: room for the whole frame is reserved at once, so the
//! buffer never grows (and copies) again while the frame arrives, and reads into memory that is
//! not zeroed ([`Inbox::read_buf_uninit`]) are offered all the rest of the frame. Reserved room is
//! address space: memory is only touched as bytes arrive (zeroed scratch is still made one read
//! at a time), and a header alone reserves nothing.
//!
//! While the reader waits with nothing buffered (no bytes to deliver, no frame split off or
//! lent), the buffer is given back ([`Inbox::handle_read_blocked`]) where making it again is
//! cheap: when reads go into memory that is not zeroed (an allocation, nothing to zero), or when
//! it is still no larger than the first read chunk (a pipe that has not been busy). A busy pipe
//! that reads into zeroed memory keeps its chunk, which it would otherwise zero again at every
//! wake-up, and a buffer that held a frame larger than a read chunk since the previous wait is
//! kept for the next one. So an idle pipe holds no read buffer.
//!
//! Frames leave the buffer in one of two ways, which may be mixed:
//!
//! - **Handed out** ([`Inbox::poll_frame`]): the complete frames at the front of the buffer are
//!   split off together, in one step, and then handed out one by one as [`Bytes`]: a read that
//!   brings a thousand small frames splits the buffer once, not a thousand times.
//! - **Lent** ([`Inbox::poll_frame_ref`]): each frame is a slice of the buffer, valid until the
//!   next call; a cursor moves past it, and nothing is allocated, split or counted. The space of
//!   frames lent is made scratch again by moving what is left of the bytes received to the front
//!   (a partial frame, a few bytes) when the scratch runs low: the space is read into again as
//!   it is, so a buffer that only lends is zeroed once, when it grows.
//!
//! ```text
//!  buf: | lent (consumed) | received, not delivered | scratch | spare capacity |
//!       0               start                    filled      len           capacity
//! ```

use bytes::buf::Limit;
use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::config::Config;
use crate::decoder::{FrameDecoder, Received, ReceivedRef, Step};
use crate::error::DecodeError;
use crate::frame::{complete_frames_len, payload_len, HEADER_LEN};

/// The read chunk of a new inbox (or the configured one, if smaller).
const FIRST_READ_CHUNK: usize = 4096;

/// How many times its own size the part of a frame received vouches for: once it is at least
/// 1/32 of the frame's declared length, room for the whole frame is reserved.
const VOUCHES_FOR: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InboxState {
    Open,
    /// The stream ended; what is buffered is still decoded, then `PeerClosed` or `Failed`.
    Eof,
    /// The peer's close (its zero frame, or the end of the stream at a frame boundary) was
    /// delivered.
    PeerClosed,
    Failed(DecodeError),
}

/// Where the next answer of [`Inbox::next`] lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// The first frame of `ready`.
    Ready,
    /// A frame in `buf`: its payload at `payload..end`; the bytes after it start at `end`.
    InBuf { payload: usize, end: usize },
    /// The peer's close.
    Close,
}

/// How a frame leaves the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Handed out as a [`Bytes`] of its own: the complete frames at the front are split off
    /// together.
    Owned,
    /// Lent in place, as a slice of the buffer.
    Lent,
}

/// How far a call reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// A message already buffered, or nothing: the close, a failure and the end of the stream
    /// are left untaken.
    Message,
    /// The next answer, whatever it is.
    Answer,
}

/// The read buffer and decoder under a [`RecvHalf`](crate::RecvHalf): read into [`Inbox::read_buf`], report with [`Inbox::handle_read`],
/// then take frames with [`Inbox::poll_frame`] until it returns `None`.
///
/// ```
/// use pipe_proto::{Config, Inbox, Received};
///
/// let mut inbox = Inbox::new(&Config::default());
/// let wire = [0u8, 0, 0, 2, b'o', b'k', 0, 0, 0, 0];
/// // What an adapter does with each read from the OS:
/// let buf = inbox.read_buf();
/// buf[..wire.len()].copy_from_slice(&wire);
/// inbox.handle_read(wire.len());
/// assert_eq!(inbox.poll_frame(), Some(Ok(Received::Frame("ok".into()))));
/// assert_eq!(inbox.poll_frame(), Some(Ok(Received::PeerClosed)));
/// assert_eq!(inbox.poll_frame(), Some(Ok(Received::PeerClosed)), "closed stays closed");
/// ```
#[derive(Debug)]
pub struct Inbox {
    /// Complete frames, headers included, split off the front of `buf` and not yet delivered.
    ready: Bytes,
    /// The last frame of `ready` lent by [`Inbox::poll_frame_ref`] (when owned and lent frames
    /// are mixed), kept until the next read.
    held: Bytes,
    buf: BytesMut,
    /// Where the bytes not yet delivered start: everything before was lent.
    start: usize,
    filled: usize,
    decoder: FrameDecoder,
    /// The configured read chunk: what `chunk` grows to.
    read_chunk: usize,
    /// The current read chunk.
    chunk: usize,
    /// The scratch space given for the last read: a read that fills it doubles `chunk`.
    offered: usize,
    /// The last read went into zeroed scratch (`read_buf`), not into spare capacity.
    zeroed: bool,
    /// A frame larger than a read chunk was in progress since the reader last waited.
    large: bool,
    state: InboxState,
}

impl Inbox {
    /// An empty inbox with the frame limit and read size of `config`.
    ///
    /// ```
    /// let inbox = pipe_proto::Inbox::new(&pipe_proto::Config::default());
    /// assert_eq!(inbox.buffered_len(), 0);
    /// ```
    pub fn new(config: &Config) -> Self {
        Self {
            ready: Bytes::new(),
            held: Bytes::new(),
            buf: BytesMut::new(),
            start: 0,
            filled: 0,
            decoder: FrameDecoder::new(config.max_frame_len),
            read_chunk: config.read_chunk,
            chunk: config.read_chunk.min(FIRST_READ_CHUNK),
            offered: 0,
            zeroed: false,
            large: false,
            state: InboxState::Open,
        }
    }

    /// Space for the next read from the OS. Call [`Inbox::poll_frame`] until it returns `None`
    /// before reading again, so complete frames do not pile up in the buffer.
    ///
    /// ```
    /// let mut inbox = pipe_proto::Inbox::new(&pipe_proto::Config::default().with_read_chunk(4096));
    /// assert!(inbox.read_buf().len() >= 4096);
    /// ```
    pub fn read_buf(&mut self) -> &mut [u8] {
        self.drop_held();
        self.zeroed = true;
        let want = self.want();
        // Scratch space is zeroed when it is made. Make more only once less than half a chunk is
        // left (not after every short read), and keep what is left instead of zeroing it again;
        // or once a frame vouched for all the room it needs.
        let frame = self.vouched_frame().unwrap_or(0);
        if (self.buf.len() - self.filled) * 2 < self.chunk || self.buf.capacity() < self.start + frame {
            // The space of the frames lent is ours again: move the bytes still to deliver (part
            // of a frame) to the front, which keeps the zeroed bytes after them.
            if self.start > 0 {
                self.buf.copy_within(self.start..self.filled, 0);
                self.filled -= self.start;
                self.start = 0;
            }
        }
        // Still short (the buffer starts with what is left to deliver, then).
        if (self.buf.len() - self.filled) * 2 < self.chunk || self.buf.capacity() < frame {
            let len = self.filled + want;
            if self.buf.capacity() < len.max(self.frame_len()) {
                // Reallocating (or moving a frame to the front): copy only the bytes received,
                // not the old scratch.
                self.buf.truncate(self.filled);
                self.reclaim_for_frame();
            }
            if self.buf.capacity() < frame {
                // Room for all of the frame now, so the buffer does not grow again while it
                // arrives; only what the next read may fill is zeroed.
                self.buf.truncate(self.filled);
                self.buf.reserve(frame - self.filled);
            }
            self.buf.resize(len, 0);
        }
        self.offered = self.buf.len() - self.filled;
        &mut self.buf[self.filled..]
    }

    /// [`Inbox::read_buf`] for readers that fill uninitialized memory themselves, such as tokio's
    /// `AsyncReadExt::read_buf`: what is appended through the returned [`BufMut`](bytes::BufMut) lands after the
    /// bytes received, in space that is not zeroed first, which saves a `memset` per read. At most
    /// [`BufMut::remaining_mut`](bytes::BufMut::remaining_mut) bytes fit; report the count with [`Inbox::handle_read`] as usual.
    ///
    /// ```
    /// use bytes::BufMut;
    /// use pipe_proto::{Config, Inbox, Received};
    ///
    /// let mut inbox = Inbox::new(&Config::default().with_read_chunk(4096));
    /// let mut space = inbox.read_buf_uninit();
    /// assert_eq!(space.remaining_mut(), 4096);
    /// space.put_slice(&[0, 0, 0, 2, b'o', b'k']); // what a read from the OS would do
    /// inbox.handle_read(6);
    /// assert_eq!(inbox.poll_frame(), Some(Ok(Received::Frame("ok".into()))));
    /// ```
    pub fn read_buf_uninit(&mut self) -> Limit<&mut BytesMut> {
        self.drop_held();
        self.zeroed = false;
        // Inside a frame that arrived far enough: all the rest of it, in one read if the OS has
        // it (nothing is touched before it is written), and a chunk for what follows it: the
        // tail of a small frame cut by the last read comes with the frames after it.
        let (want, frame) = match self.vouched_frame() {
            Some(room) => (room - (self.filled - self.start), room),
            None => (self.want(), 0),
        };
        self.buf.truncate(self.filled);
        self.settle();
        self.reclaim_for_frame();
        // As in `read_buf`: make room only once less than half a chunk is left, or for all of a
        // frame that vouched for it.
        if (self.buf.capacity() - self.filled) * 2 < self.chunk || self.buf.capacity() < frame {
            self.buf.reserve(want);
        }
        let room = (self.buf.capacity() - self.filled).min(want);
        self.offered = room;
        (&mut self.buf).limit(room)
    }

    /// The length of the frame in progress, 0 between frames.
    fn frame_len(&self) -> usize {
        self.decoder.frame_in_progress().unwrap_or(0)
    }

    /// The room the frame in progress needs once the part of it received vouches for it (is at
    /// least 1/[`VOUCHES_FOR`] of it): all of it and one read chunk after it, where the read
    /// that ends it may bring the start of the next one. Every read asks this first: it is also
    /// where a frame larger than a read chunk is noted (see [`Inbox::handle_read_blocked`]).
    fn vouched_frame(&mut self) -> Option<usize> {
        let frame_len = self.decoder.frame_in_progress()?;
        self.large |= frame_len > self.read_chunk;
        let received = self.filled - self.start;
        (received.saturating_mul(VOUCHES_FOR) >= frame_len).then_some(frame_len + self.chunk)
    }

    /// Drops the space of the frames lent, so that the bytes not yet delivered start the buffer.
    #[inline(always)]
    fn settle(&mut self) {
        if self.start > 0 {
            self.buf.advance(self.start);
            self.filled -= self.start;
            self.start = 0;
        }
    }

    /// Lets go of the last frame of `ready` that was lent, so its space can be reused.
    #[inline(always)]
    fn drop_held(&mut self) {
        if !self.held.is_empty() {
            self.held = Bytes::new();
        }
    }

    /// Inside a frame that does not fit in the space from its start to the end of the allocation:
    /// if the allocation can hold it and nothing else refers to it (the frames before were
    /// dropped), moves the bytes received so far to the front of the allocation now, while they
    /// are few, instead of copying the whole frame once it has outgrown the space. Never
    /// allocates; the buffer must hold no scratch (only the bytes received).
    fn reclaim_for_frame(&mut self) {
        let frame_len = self.frame_len();
        if self.buf.capacity() < frame_len {
            // Failing is fine: the buffer then grows as usual.
            let _ = self.buf.try_reclaim(frame_len - self.filled);
        }
    }

    /// How much room the next read gets: one chunk, or inside a large frame, as much as the part
    /// of it already received (doubling), never past what the frame still needs.
    fn want(&self) -> usize {
        match self.decoder.frame_in_progress() {
            Some(frame_len) => {
                let received = self.filled - self.start;
                let remaining = frame_len.saturating_sub(received);
                self.chunk.max(remaining.min(received))
            }
            None => self.chunk,
        }
    }

    /// Reports that the last read put `n` bytes at the start of [`Inbox::read_buf`] (or appended
    /// them through [`Inbox::read_buf_uninit`]); `0` means the stream ended. `n` larger than the
    /// space given is clamped to it.
    ///
    /// ```
    /// let mut inbox = pipe_proto::Inbox::new(&pipe_proto::Config::default());
    /// inbox.handle_read(0); // EOF at a frame boundary
    /// assert_eq!(inbox.poll_frame(), Some(Ok(pipe_proto::Received::PeerClosed)));
    /// ```
    pub fn handle_read(&mut self, n: usize) {
        if self.state != InboxState::Open {
            return;
        }
        if n == 0 {
            self.state = InboxState::Eof;
        } else {
            let n = n.min(self.buf.len() - self.filled);
            if n >= self.offered && self.chunk < self.read_chunk {
                // The read took all it was given: more may be waiting, read more next time.
                self.chunk = (self.chunk * 2).min(self.read_chunk);
            }
            self.filled += n;
        }
    }

    /// Reports that a read found nothing: the reader waits. With nothing buffered (no bytes to
    /// deliver, no frame split off or lent), the buffer is given back if making it again is
    /// cheap: the last read went into memory that is not zeroed ([`Inbox::read_buf_uninit`]),
    /// or the buffer is no larger than the first read chunk (4 KiB). A buffer that held a frame
    /// larger than a read chunk since the previous wait is kept, for the next one. The read
    /// size reached is kept too: the next read after the wait is as large as the last.
    ///
    /// ```
    /// use bytes::BufMut;
    /// use pipe_proto::{Config, Inbox, Received};
    ///
    /// let mut inbox = Inbox::new(&Config::default());
    /// inbox.read_buf_uninit().put_slice(&[0, 0, 0, 2, b'h', b'i']);
    /// inbox.handle_read(6);
    /// assert_eq!(inbox.poll_frame(), Some(Ok(Received::Frame("hi".into()))));
    /// assert!(inbox.capacity() > 0);
    /// inbox.handle_read_blocked(); // the next read would block
    /// assert_eq!((inbox.capacity(), inbox.buffered_len()), (0, 0), "a waiting pipe holds no buffer");
    /// ```
    pub fn handle_read_blocked(&mut self) {
        let nothing_buffered = self.ready.is_empty()
            && self.filled == self.start
            && self.decoder.frame_in_progress().is_none()
            && self.state == InboxState::Open;
        let large = std::mem::take(&mut self.large);
        if nothing_buffered && !large && (!self.zeroed || self.buf.capacity() <= FIRST_READ_CHUNK) {
            self.held = Bytes::new();
            self.buf = BytesMut::new();
            self.start = 0;
            self.filled = 0;
        }
    }

    /// The next complete frame, the peer's close, an error, or `None` when more bytes are needed.
    /// After `Closed` or an error, the same answer comes back on every call.
    ///
    /// ```
    /// use pipe_proto::{DecodeError, Inbox, Received};
    ///
    /// let mut inbox = Inbox::new(&pipe_proto::Config::default());
    /// assert_eq!(inbox.poll_frame(), None);
    /// inbox.read_buf()[..3].copy_from_slice(&[0, 0, 0]);
    /// inbox.handle_read(3);
    /// inbox.handle_read(0); // the peer died mid-header
    /// assert_eq!(inbox.poll_frame(), Some(Err(DecodeError::Truncated { expected: 4, received: 3 })));
    /// ```
    #[inline(always)]
    pub fn poll_frame(&mut self) -> Option<Result<Received, DecodeError>> {
        let next = self.next(Form::Owned, Reach::Answer)?;
        Some(next.map(|next| self.owned(next)))
    }

    /// The next message if a whole one is already buffered, handed out as
    /// [`Inbox::poll_frame`] hands it out; `None` otherwise, and also when what comes next is
    /// the peer's close, a header over the maximum or the end of the stream: those are left,
    /// untaken, for the next call of `poll_frame` or `poll_frame_ref`. The owned counterpart of
    /// [`Inbox::poll_buffered_ref`], and the shortest way to a message that is already there.
    ///
    /// ```
    /// use pipe_proto::{Config, Inbox, Received};
    ///
    /// let mut inbox = Inbox::new(&Config::default());
    /// let wire = [0u8, 0, 0, 1, b'a', 0, 0, 0, 0];
    /// inbox.read_buf()[..wire.len()].copy_from_slice(&wire);
    /// inbox.handle_read(wire.len());
    /// assert_eq!(inbox.poll_buffered().as_deref(), Some(&b"a"[..]));
    /// assert_eq!(inbox.poll_buffered(), None, "the close is next: left for poll_frame");
    /// assert_eq!(inbox.poll_frame(), Some(Ok(Received::PeerClosed)));
    /// ```
    #[inline(always)]
    pub fn poll_buffered(&mut self) -> Option<Bytes> {
        match self.next(Form::Owned, Reach::Message)? {
            Ok(next) => match self.owned(next) {
                Received::Frame(payload) => Some(payload),
                Received::PeerClosed => None,
            },
            Err(_) => None,
        }
    }

    /// The peer's close was found: it is the answer from now on, and the buffer is released.
    fn close(&mut self) -> Next {
        self.state = InboxState::PeerClosed;
        self.release();
        Next::Close
    }

    /// The stream broke the frame rules or ended inside a frame: `err` is the answer from now on,
    /// and the buffer is released.
    fn fail(&mut self, err: DecodeError) -> DecodeError {
        self.state = InboxState::Failed(err);
        self.release();
        err
    }

    /// [`Inbox::poll_frame`], with the message lent in place instead of handed out: the same
    /// answers, in the same order, but a frame is a slice of the read buffer, valid until the
    /// next call, and costs no allocation, no split and no reference count. Frames may be taken
    /// either way, mixed, in order.
    ///
    /// ```
    /// use pipe_proto::{Config, DecodeError, Inbox, ReceivedRef};
    ///
    /// let mut inbox = Inbox::new(&Config::default().with_max_frame_len(8));
    /// let wire = [0u8, 0, 0, 1, 7, 0, 0, 0, 2, 8, 9, 0, 0, 0, 9];
    /// inbox.read_buf()[..wire.len()].copy_from_slice(&wire);
    /// inbox.handle_read(wire.len());
    /// let mut sum = 0;
    /// while let Some(Ok(ReceivedRef::Frame(payload))) = inbox.poll_frame_ref() {
    ///     sum += payload.iter().map(|&b| b as u32).sum::<u32>(); // used in place
    ///     if sum > 20 {
    ///         break;
    ///     }
    /// }
    /// assert_eq!(sum, 24);
    /// // Then the header over the maximum, as `poll_frame` would say, on every call.
    /// assert_eq!(inbox.poll_frame_ref(), Some(Err(DecodeError::TooLarge { declared: 9, max: 8 })));
    /// assert_eq!(inbox.poll_frame(), Some(Err(DecodeError::TooLarge { declared: 9, max: 8 })));
    /// ```
    #[inline(always)]
    pub fn poll_frame_ref(&mut self) -> Option<Result<ReceivedRef<'_>, DecodeError>> {
        let next = self.next(Form::Lent, Reach::Answer)?;
        Some(next.map(|next| self.lent(next)))
    }

    /// The next message if a whole one is already buffered, lent as
    /// [`Inbox::poll_frame_ref`] lends it; `None` otherwise, and also when what comes next is the
    /// peer's close, a header over the maximum or the end of the stream: those are left, untaken,
    /// for the next call of `poll_frame` or `poll_frame_ref`. How a reader takes every message
    /// that arrived together without taking the answer that follows them.
    ///
    /// ```
    /// use pipe_proto::{Config, Inbox, ReceivedRef};
    ///
    /// let mut inbox = Inbox::new(&Config::default());
    /// let wire = [0u8, 0, 0, 1, b'a', 0, 0, 0, 1, b'b', 0, 0, 0, 0];
    /// inbox.read_buf()[..wire.len()].copy_from_slice(&wire);
    /// inbox.handle_read(wire.len());
    /// assert_eq!(inbox.poll_buffered_ref(), Some(&b"a"[..]));
    /// assert_eq!(inbox.poll_buffered_ref(), Some(&b"b"[..]));
    /// assert_eq!(inbox.poll_buffered_ref(), None, "the close is next: left for poll_frame_ref");
    /// assert!(!inbox.is_closed());
    /// assert_eq!(inbox.poll_frame_ref(), Some(Ok(ReceivedRef::PeerClosed)));
    /// ```
    #[inline(always)]
    pub fn poll_buffered_ref(&mut self) -> Option<&[u8]> {
        match self.next(Form::Lent, Reach::Message)? {
            Ok(next) => match self.lent(next) {
                ReceivedRef::Frame(payload) => Some(payload),
                ReceivedRef::PeerClosed => None,
            },
            Err(_) => None,
        }
    }

    /// Where the next answer lies: the one path by which every frame, the peer's close and the
    /// failures leave the inbox, whether the frame is handed out or lent, and whether only a
    /// message already buffered is wanted or the answer that ends the stream too.
    #[inline(always)]
    fn next(&mut self, form: Form, reach: Reach) -> Option<Result<Next, DecodeError>> {
        if !self.ready.is_empty() {
            // Frames already split off for handing out: taken from there first, in order.
            return Some(Ok(Next::Ready));
        }
        if form == Form::Owned {
            self.settle();
            if self.split_complete_frames() {
                return Some(Ok(Next::Ready));
            }
        }
        // Frames still buffered come before the end of the stream; once closed or failed the
        // buffer is released, so the decoder finds nothing and the state answers. A close
        // marker and a header over the maximum are found again by the next step: the decoder
        // takes neither, so a reach of one message leaves them untaken.
        let at = self.start;
        let step = match self.decoder.step(&self.buf[at..self.filled]) {
            Ok(step) => step,
            Err(_) if reach == Reach::Message => return None,
            Err(err) => return Some(Err(self.fail(err))),
        };
        match step {
            Step::Frame { at: payload, end } => Some(Ok(Next::InBuf { payload: at + payload, end: at + end })),
            Step::Close if reach == Reach::Message => None,
            Step::Close => Some(Ok(self.close())),
            Step::More { consumed } => {
                self.start = at + consumed;
                if reach == Reach::Message {
                    return None;
                }
                match self.state {
                    InboxState::Open => None,
                    InboxState::PeerClosed => Some(Ok(Next::Close)),
                    InboxState::Failed(err) => Some(Err(err)),
                    InboxState::Eof => match self.decoder.end_of_stream(self.filled - self.start) {
                        Ok(()) => Some(Ok(self.close())),
                        Err(err) => Some(Err(self.fail(err))),
                    },
                }
            }
        }
    }

    /// The answer at `next`, handed out: a frame as a [`Bytes`] of its own.
    #[inline(always)]
    fn owned(&mut self, next: Next) -> Received {
        match next {
            Next::Ready => Received::Frame(self.next_ready()),
            Next::InBuf { payload, end } => {
                // Owned frames settle first: the buffer starts with the frame. One split for
                // header and payload, then a cheap advance on the frozen frame.
                self.filled -= end;
                let mut frame = self.buf.split_to(end).freeze();
                frame.advance(payload);
                Received::Frame(frame)
            }
            Next::Close => Received::PeerClosed,
        }
    }

    /// The answer at `next`, lent: a frame as a slice of the buffer, valid until the next call.
    #[inline(always)]
    fn lent(&mut self, next: Next) -> ReceivedRef<'_> {
        match next {
            Next::Ready => {
                self.held = self.next_ready();
                ReceivedRef::Frame(&self.held)
            }
            Next::InBuf { payload, end } => {
                self.start = end;
                ReceivedRef::Frame(&self.buf[payload..end])
            }
            Next::Close => ReceivedRef::PeerClosed,
        }
    }

    /// Whether the IO owner should read more: the stream is still open.
    ///
    /// ```
    /// let mut inbox = pipe_proto::Inbox::new(&pipe_proto::Config::default());
    /// assert!(inbox.wants_read());
    /// inbox.handle_read(0);
    /// assert!(!inbox.wants_read());
    /// ```
    pub fn wants_read(&self) -> bool {
        self.state == InboxState::Open
    }

    /// Whether the peer's close (zero frame or EOF at a boundary) has been delivered.
    ///
    /// ```
    /// let mut inbox = pipe_proto::Inbox::new(&pipe_proto::Config::default());
    /// inbox.handle_read(0);
    /// assert!(!inbox.is_closed(), "not until poll_frame delivered it");
    /// inbox.poll_frame();
    /// assert!(inbox.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.state == InboxState::PeerClosed
    }

    /// Bytes held by the buffer: received but not yet delivered, plus the read scratch space
    /// (and frames lent, until their space is reused). Never more than the maximum frame length
    /// plus one read chunk (plus a header).
    ///
    /// ```
    /// let mut inbox = pipe_proto::Inbox::new(&pipe_proto::Config::default().with_read_chunk(1024));
    /// inbox.read_buf();
    /// assert_eq!(inbox.buffered_len(), 1024);
    /// ```
    pub fn buffered_len(&self) -> usize {
        self.ready.len() + self.buf.len()
    }

    /// Bytes of room the read buffer holds: what [`Inbox::buffered_len`] counts, plus the room
    /// reserved and not made into scratch yet. Reserved room is address space; only what reads
    /// fill (or zeroed scratch) is touched.
    ///
    /// ```
    /// use bytes::BufMut;
    ///
    /// let mut inbox = pipe_proto::Inbox::new(&pipe_proto::Config::default());
    /// assert_eq!(inbox.capacity(), 0, "nothing before the first read");
    /// inbox.read_buf_uninit().put_slice(&[0, 0, 0, 4]);
    /// inbox.handle_read(4);
    /// assert!(inbox.capacity() >= 4096);
    /// ```
    pub fn capacity(&self) -> usize {
        self.ready.len() + self.buf.capacity()
    }

    /// Bytes received and not yet delivered as frames (headers included, scratch excluded).
    ///
    /// ```
    /// let mut inbox = pipe_proto::Inbox::new(&pipe_proto::Config::default());
    /// inbox.read_buf()[0] = 0;
    /// inbox.handle_read(1);
    /// assert_eq!(inbox.pending_len(), 1);
    /// ```
    pub fn pending_len(&self) -> usize {
        let header = if self.decoder.frame_in_progress().is_some() { HEADER_LEN } else { 0 };
        self.ready.len() + self.filled - self.start + header
    }

    /// Splits the complete frames at the front of the buffer off into `ready`, all at once;
    /// `false` if there are none. Stops before a close marker or an oversized header, which the
    /// decoder then reports in order, and does nothing inside a frame that is still arriving.
    fn split_complete_frames(&mut self) -> bool {
        if !matches!(self.state, InboxState::Open | InboxState::Eof) || self.decoder.frame_in_progress().is_some() {
            return false;
        }
        // The close marker and a header over the maximum are the decoder's to report.
        let end = complete_frames_len(&self.buf[..self.filled], self.decoder.max_frame_len());
        if end == 0 {
            return false;
        }
        self.ready = self.buf.split_to(end).freeze();
        self.filled -= end;
        true
    }

    /// The first frame of `ready`, which is not empty.
    #[inline]
    fn next_ready(&mut self) -> Bytes {
        // A header `split_complete_frames` already checked: its length only.
        let len = payload_len(&self.ready);
        // Header first, then the payload: cheaper than splitting both off and skipping the header
        // in the frame.
        self.ready.advance(HEADER_LEN);
        self.ready.split_to(len)
    }

    fn release(&mut self) {
        self.ready = Bytes::new();
        self.held = Bytes::new();
        self.buf = BytesMut::new();
        self.start = 0;
        self.filled = 0;
    }
}

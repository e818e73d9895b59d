//! The receive half: the rules of receiving, over the read buffer and decoder, and the FIFO
//! hang-up probe timer.
//!
//! What [`RecvHalf::poll_recv`] answers in each state (and [`RecvHalf::poll_recv_ref`], the same
//! with the message lent in place):
//!
//! | state | answer |
//! |---|---|
//! | not connected | `Err(NotConnected)` |
//! | open | the next frame, `None` (read more first), or the peer's close or a failure (below) |
//! | the peer closed (zero frame, or end of stream at a frame boundary) | `Ok(PeerClosed)`, on every call |
//! | failed (truncated or oversized frame, read error) | `Err(Failed(failure))`, the same on every call |
//! | this side closed the pipe (unless it had failed) | `Err(ClosedLocally)` |
//!
//! What the send half learns from this one, at its next call: the peer's close (it refuses new
//! frames with `PeerClosed` and sends no close marker) and this half's failure (it fails with
//! the same failure, counting what it could not deliver). This half learns nothing from the send
//! half: after a write error, what the peer sent before it went away is still delivered, up to
//! its end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::buf::Limit;
use bytes::{Bytes, BytesMut};

use crate::config::Config;
use crate::decoder::{Received, ReceivedRef};
use crate::error::{DecodeError, Failure, RecvError};
use crate::inbox::Inbox;
use crate::link::Link;
use crate::transport::Transport;

/// Something the IO owner must do for the receive half.
///
/// ```
/// use pipe_proto::{Config, Connection, RecvAction, Side, Transport};
/// use std::time::{Duration, Instant};
///
/// let config = Config::default().with_fifo_hangup_probe(Some(Duration::from_millis(100)));
/// let (mut recv, _send) = Connection::established(Transport::Fifo, Side::Client, config).into_split().unwrap();
/// let start = Instant::now();
/// recv.handle_read_blocked(start); // the reader waits for data
/// recv.handle_timeout(start + Duration::from_millis(100));
/// assert_eq!(recv.poll_action(), Some(RecvAction::ProbeHangup));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecvAction {
    /// FIFO: try one non-blocking read into [`RecvHalf::read_buf`] now, even though the runtime
    /// has not reported the read end readable (macOS never reports a FIFO writer's hang-up to a
    /// waiting reader). Report data or end of stream with [`RecvHalf::handle_read`], "would
    /// block" (the peer is alive and silent) with [`RecvHalf::handle_read_blocked`].
    ProbeHangup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RecvState {
    NotConnected,
    Open,
    PeerClosed,
    ClosedLocally,
    Failed,
}

/// The receiving half of a pipe: the read buffer the IO owner fills, the frames it yields, and
/// the answers once the peer closed or the stream failed. Part of every
/// [`Connection`](crate::Connection); handed out alone by
/// [`Connection::into_split`](crate::Connection::into_split), with the same rules.
///
/// ```
/// use pipe_proto::{Config, Connection, Received, Side, Transport};
///
/// let (mut recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
///     .into_split()
///     .unwrap();
/// let wire = [0u8, 0, 0, 2, b'o', b'k', 0, 0, 0, 0];
/// recv.read_buf()[..wire.len()].copy_from_slice(&wire);
/// recv.handle_read(wire.len());
/// assert_eq!(recv.poll_recv(), Some(Ok(Received::Frame("ok".into()))));
/// assert_eq!(recv.poll_recv(), Some(Ok(Received::PeerClosed)));
/// assert_eq!(send.send_slice(b"late"), Err(pipe_proto::SendError::PeerClosed), "the send half knows");
/// ```
#[derive(Debug)]
pub struct RecvHalf {
    inbox: Inbox,
    link: Arc<Link>,
    state: RecvState,
    failure: Option<Failure>,
    /// The hang-up probe interval (FIFO only), if configured.
    probe_every: Option<Duration>,
    /// When the next probe is due, while the reader waits.
    probe_at: Option<Instant>,
    probe_due: bool,
}

/// The [`Ending`] of a half: its fields apart from the inbox, which a frame lent may still
/// borrow.
macro_rules! ending {
    ($half:expr) => {
        Ending {
            state: &mut $half.state,
            failure: &mut $half.failure,
            probe_at: &mut $half.probe_at,
            probe_due: &mut $half.probe_due,
            link: &$half.link,
        }
    };
}

/// An answer of the receive half, owned ([`Received`]) or lent ([`ReceivedRef`]).
trait Answer {
    /// The peer's close, in this form.
    const PEER_CLOSED: Self;
    fn is_peer_closed(&self) -> bool;
}

impl Answer for Received {
    const PEER_CLOSED: Self = Received::PeerClosed;
    #[inline(always)]
    fn is_peer_closed(&self) -> bool {
        matches!(self, Received::PeerClosed)
    }
}

impl Answer for ReceivedRef<'_> {
    const PEER_CLOSED: Self = ReceivedRef::PeerClosed;
    #[inline(always)]
    fn is_peer_closed(&self) -> bool {
        matches!(self, ReceivedRef::PeerClosed)
    }
}

impl RecvHalf {
    pub(crate) fn new(transport: Transport, config: &Config, link: Arc<Link>) -> Self {
        Self {
            inbox: Inbox::new(config),
            link,
            state: RecvState::NotConnected,
            failure: None,
            probe_every: if transport == Transport::Fifo { config.fifo_hangup_probe } else { None },
            probe_at: None,
            probe_due: false,
        }
    }

    /// The connection is established: frames may be received. If the connect's probe read
    /// (FIFO) found nothing, the reader is now waiting: the space it read into is given back as
    /// after any read that found nothing.
    pub(crate) fn open(&mut self) {
        if self.state == RecvState::NotConnected {
            self.state = RecvState::Open;
            self.inbox.handle_read_blocked();
        }
    }

    /// The whole pipe was closed by this side: later receives answer `ClosedLocally`, unless the
    /// half had failed (a failure stays the answer).
    pub(crate) fn close_locally(&mut self) {
        if self.state != RecvState::Failed {
            self.state = RecvState::ClosedLocally;
        }
        self.probe_at = None;
        self.probe_due = false;
    }

    /// What this half shares with the other half of its connection.
    pub(crate) fn link(&self) -> &Arc<Link> {
        &self.link
    }

    pub(crate) fn inbox_mut(&mut self) -> &mut Inbox {
        &mut self.inbox
    }

    // ---- getters ----

    /// The read buffer and decoder, for inspection.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// assert_eq!(conn.recv_half().inbox().pending_len(), 0);
    /// ```
    pub fn inbox(&self) -> &Inbox {
        &self.inbox
    }

    /// Whether the IO owner should read: the half is open and the stream has not ended.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let (mut recv, _send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// assert!(recv.wants_read());
    /// recv.handle_read(0);
    /// assert!(!recv.wants_read());
    /// ```
    pub fn wants_read(&self) -> bool {
        self.state == RecvState::Open && self.inbox.wants_read()
    }

    /// Whether this side closed the whole pipe (receives answer `ClosedLocally`).
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    /// conn.close();
    /// assert!(conn.recv_half().closed_locally());
    /// ```
    pub fn closed_locally(&self) -> bool {
        self.state == RecvState::ClosedLocally
    }

    /// Whether receiving is over for good: the peer's close was delivered, receiving failed, or
    /// this side closed. A stream of messages ends there.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    /// assert!(!conn.recv_half().is_finished());
    /// conn.handle_read(0);
    /// conn.poll_recv();
    /// assert!(conn.recv_half().is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        matches!(self.state, RecvState::PeerClosed | RecvState::ClosedLocally | RecvState::Failed)
    }

    /// Whether the peer's close was delivered.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// assert!(!conn.recv_half().peer_closed());
    /// ```
    pub fn peer_closed(&self) -> bool {
        self.state == RecvState::PeerClosed
    }

    /// The failure that ended receiving, if any.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, DecodeError, Failure, Side, Transport};
    /// let (mut recv, _send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// recv.read_buf()[..2].copy_from_slice(&[0, 0]);
    /// recv.handle_read(2);
    /// recv.handle_read(0);
    /// recv.poll_recv();
    /// assert_eq!(recv.failure(), Some(&Failure::Decode(DecodeError::Truncated { expected: 4, received: 2 })));
    /// ```
    pub fn failure(&self) -> Option<&Failure> {
        self.failure.as_ref()
    }

    // ---- inputs ----

    /// Space for the next read from the OS (see [`Inbox::read_buf`]).
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let mut conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
    /// assert!(!conn.recv_half_mut().read_buf().is_empty());
    /// ```
    #[inline]
    pub fn read_buf(&mut self) -> &mut [u8] {
        self.inbox.read_buf()
    }

    /// Space for the next read that is not zeroed first (see [`Inbox::read_buf_uninit`]).
    ///
    /// ```
    /// # use bytes::BufMut;
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let mut conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
    /// assert!(conn.recv_half_mut().read_buf_uninit().remaining_mut() > 0);
    /// ```
    #[inline]
    pub fn read_buf_uninit(&mut self) -> Limit<&mut BytesMut> {
        self.inbox.read_buf_uninit()
    }

    /// Reports that a read put `n` bytes into the read buffer (0: end of stream). Data ends a
    /// wait, so no hang-up probe runs until the reader waits again.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Received, Side, Transport};
    /// let (mut recv, _send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// recv.handle_read(0);
    /// assert_eq!(recv.poll_recv(), Some(Ok(Received::PeerClosed)));
    /// ```
    #[inline]
    pub fn handle_read(&mut self, n: usize) {
        self.probe_at = None;
        self.probe_due = false;
        self.inbox.handle_read(n);
    }

    /// Reports that the reader is waiting for data (a read would block). On a FIFO with
    /// [`Config::with_fifo_hangup_probe`], this arms the probe timer, if it is not running. With
    /// nothing buffered, the read buffer is given back while the reader waits, where making it
    /// again is cheap (see [`Inbox::handle_read_blocked`]).
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// # use std::time::{Duration, Instant};
    /// let config = Config::default().with_fifo_hangup_probe(Some(Duration::from_secs(1)));
    /// let (mut recv, _send) = Connection::established(Transport::Fifo, Side::Client, config).into_split().unwrap();
    /// let now = Instant::now();
    /// recv.handle_read_blocked(now);
    /// assert_eq!(recv.poll_timeout(), Some(now + Duration::from_secs(1)));
    /// recv.handle_read_blocked(now + Duration::from_millis(500));
    /// assert_eq!(recv.poll_timeout(), Some(now + Duration::from_secs(1)), "a running timer is kept");
    /// ```
    pub fn handle_read_blocked(&mut self, now: Instant) {
        self.inbox.handle_read_blocked();
        self.probe_due = false;
        if self.state != RecvState::Open || self.probe_at.is_some() {
            return;
        }
        self.probe_at = self.probe_every.map(|every| now + every);
    }

    /// Reports that a read failed with an OS error: the half fails, and so does the send half
    /// at its next call.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Failure, RecvError, SendError, Side, Transport};
    /// # use std::io::ErrorKind;
    /// let (mut recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// let reset = Failure::io(ErrorKind::ConnectionReset, Some(104), "Connection reset by peer");
    /// recv.handle_read_error(reset.clone());
    /// assert_eq!(recv.poll_recv(), Some(Err(RecvError::Failed(reset.clone()))));
    /// assert_eq!(send.send_slice(b"x"), Err(SendError::Failed(reset)));
    /// ```
    pub fn handle_read_error(&mut self, failure: Failure) {
        if self.state == RecvState::Open {
            self.fail(failure);
        }
    }

    /// Lets time pass: a hang-up probe that is due is handed out by
    /// [`poll_action`](Self::poll_action).
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, RecvAction, Side, Transport};
    /// # use std::time::{Duration, Instant};
    /// let config = Config::default().with_fifo_hangup_probe(Some(Duration::from_secs(1)));
    /// let (mut recv, _send) = Connection::established(Transport::Fifo, Side::Client, config).into_split().unwrap();
    /// let now = Instant::now();
    /// recv.handle_read_blocked(now);
    /// recv.handle_timeout(now + Duration::from_millis(999));
    /// assert_eq!(recv.poll_action(), None);
    /// recv.handle_timeout(now + Duration::from_secs(1));
    /// assert_eq!(recv.poll_action(), Some(RecvAction::ProbeHangup));
    /// ```
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.probe_at.is_some_and(|at| now >= at) {
            self.probe_at = None;
            self.probe_due = true;
        }
    }

    // ---- outputs ----

    /// The next thing the IO owner must do for this half.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let mut conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
    /// assert_eq!(conn.recv_half_mut().poll_action(), None);
    /// ```
    pub fn poll_action(&mut self) -> Option<RecvAction> {
        if std::mem::take(&mut self.probe_due) && self.state == RecvState::Open {
            return Some(RecvAction::ProbeHangup);
        }
        None
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next: the due time of the
    /// hang-up probe while the reader waits, `None` otherwise.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
    /// assert_eq!(conn.recv_half().poll_timeout(), None);
    /// ```
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.probe_at
    }

    /// The next received frame, the peer's close, an error, or `None` when more bytes must be
    /// read first. The answers by state are in the module table above; the peer's close and a
    /// failure are repeated on every later call.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, RecvError, Side, Transport};
    /// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// assert_eq!(conn.recv_half_mut().poll_recv(), Some(Err(RecvError::NotConnected)));
    /// ```
    #[inline(always)]
    pub fn poll_recv(&mut self) -> Option<Result<Received, RecvError>> {
        self.receive(Inbox::poll_frame)
    }

    /// [`poll_recv`](Self::poll_recv), with the message lent in place (see
    /// [`Inbox::poll_frame_ref`]): the same answers in every state, and the same effects (the
    /// peer's close and a failure are known to the send half alike), but a frame is a slice of
    /// the read buffer, valid until the next call on this half, and costs no allocation.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, DecodeError, Failure, RecvError, ReceivedRef, Side, Transport};
    ///
    /// let (mut recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// let wire = [0u8, 0, 0, 3, b'a', b'b', b'c', 0, 0, 0, 9, b'd'];
    /// recv.read_buf()[..wire.len()].copy_from_slice(&wire);
    /// recv.handle_read(wire.len());
    /// let mut total = 0;
    /// while let Some(Ok(ReceivedRef::Frame(payload))) = recv.poll_recv_ref() {
    ///     total += payload.len();
    /// }
    /// assert_eq!(total, 3);
    /// recv.handle_read(0); // the stream ends inside the second frame
    /// let cut = Failure::Decode(DecodeError::Truncated { expected: 13, received: 5 });
    /// assert_eq!(recv.poll_recv_ref(), Some(Err(RecvError::Failed(cut.clone()))));
    /// assert_eq!(recv.poll_recv(), Some(Err(RecvError::Failed(cut))), "the same answer either way, for good");
    /// assert!(send.send_slice(b"x").is_err(), "and the send half knows");
    /// ```
    #[inline(always)]
    pub fn poll_recv_ref(&mut self) -> Option<Result<ReceivedRef<'_>, RecvError>> {
        self.receive(Inbox::poll_frame_ref)
    }

    /// The one way an answer leaves the half, in either form: the state's answer once it is
    /// not open, else the inbox's (`take`), with the peer's close and a failure read into the
    /// half (and so known to the send half).
    #[inline(always)]
    fn receive<'a, T: Answer>(
        &'a mut self,
        take: impl FnOnce(&'a mut Inbox) -> Option<Result<T, DecodeError>>,
    ) -> Option<Result<T, RecvError>> {
        if self.state != RecvState::Open {
            return self.finished_answer().map(|answer| answer.map(|()| T::PEER_CLOSED));
        }
        // The frame borrows the inbox only: the rest of the half stays free for the answers
        // that end receiving.
        match take(&mut self.inbox)? {
            Ok(answer) if answer.is_peer_closed() => {
                ending!(self).peer_closed();
                Some(Ok(answer))
            }
            Ok(frame) => Some(Ok(frame)),
            Err(err) => Some(Err(ending!(self).decode_failed(err))),
        }
    }

    /// The next message if a whole one is already buffered and the half is open, lent as
    /// [`poll_recv_ref`](Self::poll_recv_ref) lends it (see [`Inbox::poll_buffered_ref`]);
    /// `None` otherwise. It never takes the peer's close or a failure, nor reads their effects
    /// into the half: those stay the answer of the next `poll_recv` or `poll_recv_ref`, so that
    /// a reader can take every message that arrived together and leave what follows them for
    /// its next call.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, ReceivedRef, Side, Transport};
    ///
    /// let (mut recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// let wire = [0u8, 0, 0, 2, b'h', b'i', 0, 0, 0, 0];
    /// recv.read_buf()[..wire.len()].copy_from_slice(&wire);
    /// recv.handle_read(wire.len());
    /// assert_eq!(recv.poll_buffered_ref(), Some(&b"hi"[..]));
    /// assert_eq!(recv.poll_buffered_ref(), None);
    /// assert!(!recv.peer_closed() && send.send_slice(b"still open").is_ok(), "the close is not taken");
    /// assert_eq!(recv.poll_recv_ref(), Some(Ok(ReceivedRef::PeerClosed)));
    /// ```
    #[inline(always)]
    pub fn poll_buffered_ref(&mut self) -> Option<&[u8]> {
        if self.state != RecvState::Open {
            return None;
        }
        self.inbox.poll_buffered_ref()
    }

    /// The next message if a whole one is already buffered and the half is open, handed out as
    /// [`poll_recv`](Self::poll_recv) hands it out (see [`Inbox::poll_buffered`]); `None`
    /// otherwise. Like [`poll_buffered_ref`](Self::poll_buffered_ref), it never takes the
    /// peer's close or a failure: a reader asks it first, and `poll_recv` when it answers
    /// `None`.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Received, Side, Transport};
    ///
    /// let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    /// let recv = conn.recv_half_mut();
    /// let wire = [0u8, 0, 0, 2, b'h', b'i', 0, 0, 0, 0];
    /// recv.read_buf()[..wire.len()].copy_from_slice(&wire);
    /// recv.handle_read(wire.len());
    /// assert_eq!(recv.poll_buffered().as_deref(), Some(&b"hi"[..]));
    /// assert_eq!(recv.poll_buffered(), None);
    /// assert!(!recv.peer_closed(), "the close is not taken");
    /// assert_eq!(recv.poll_recv(), Some(Ok(Received::PeerClosed)));
    /// ```
    #[inline(always)]
    pub fn poll_buffered(&mut self) -> Option<Bytes> {
        if self.state != RecvState::Open {
            return None;
        }
        self.inbox.poll_buffered()
    }

    /// The answer of a half that is not open, whatever is buffered: `Ok(())` for the peer's
    /// close, or the error; `None` while open.
    fn finished_answer(&self) -> Option<Result<(), RecvError>> {
        match self.state {
            RecvState::Open => None,
            RecvState::PeerClosed => Some(Ok(())),
            RecvState::NotConnected => Some(Err(RecvError::NotConnected)),
            RecvState::ClosedLocally => Some(Err(RecvError::ClosedLocally)),
            RecvState::Failed => self.failure.clone().map(|failure| Err(RecvError::Failed(failure))),
        }
    }

    fn fail(&mut self, failure: Failure) {
        ending!(self).failed(failure);
    }
}

/// What changes in a [`RecvHalf`] when receiving ends (everything but the inbox), borrowed apart
/// from the inbox: the one place the endings are written, for frames handed out and lent alike.
struct Ending<'a> {
    state: &'a mut RecvState,
    failure: &'a mut Option<Failure>,
    probe_at: &'a mut Option<Instant>,
    probe_due: &'a mut bool,
    link: &'a Link,
}

impl Ending<'_> {
    /// The inbox delivered the peer's close: the half is over, and the send half knows.
    fn peer_closed(self) {
        *self.state = RecvState::PeerClosed;
        *self.probe_at = None;
        self.link.set_peer_closed();
    }

    /// The inbox found `err` in the stream: the half fails, and the send half knows.
    fn decode_failed(self, err: DecodeError) -> RecvError {
        let failure = Failure::Decode(err);
        self.failed(failure.clone());
        RecvError::Failed(failure)
    }

    fn failed(self, failure: Failure) {
        *self.state = RecvState::Failed;
        *self.probe_at = None;
        *self.probe_due = false;
        self.link.set_failed(failure.clone());
        *self.failure = Some(failure);
    }
}

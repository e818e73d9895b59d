//! The send half: the rules of sending and closing, over the transmit queue.
//!
//! ```text
//!                 open()              close()                queue and marker written
//!  NotConnected ─────────► Open ────────────────► Closing ──────────────────────────► AwaitingClose
//!       │ close()            │                      │                                    │
//!       ▼                    │ write error,         │ write error,                       │ handle_close(Ok)
//!    Closed ◄────────────────┼─ receive failure ────┼─ receive failure                   ▼
//!                            ▼                      ▼                                  Closed
//!                          Failed ◄─────────────────┴──────────── handle_close(Err) ◄────┘
//! ```
//!
//! What a call answers in each state:
//!
//! | state | `send` | `poll_action` | flush answer | `poll_close` |
//! |---|---|---|---|---|
//! | NotConnected | `NotConnected` | none | `Ok` | `None` |
//! | Open | queued (`PeerClosed` once the peer's close was received, unless half-close is on) | `Transmit` while bytes are queued | `Ok` | `None` |
//! | Closing | `ClosedLocally` | `Transmit`, then `CloseWrite` | `Ok` | `None` |
//! | AwaitingClose | `ClosedLocally` | `CloseWrite` until answered | `Ok` | `None` |
//! | Closed | `ClosedLocally` | none | `Ok` | `Ok` |
//! | Failed | the failure (counting the frame, kept, if handed over by value before any close) | none | the failure | `Ok` if no frame was lost, else the failure |
//!
//! "The failure" is [`SendError::Undelivered`] (with the frames and bytes lost, and the cause)
//! when frames were queued and never completely written, [`SendError::Failed`] otherwise: the
//! same answer on every later call. The close answers only whether frames were lost: `Ok`
//! means every frame queued before it was handed to the OS. A write error while only the close
//! marker is left (the peer went away first) loses nothing and completes the close.
//!
//! The frames a failure left undelivered are not dropped: [`SendHalf::take_unsent`] gives them
//! back in order, the one cut mid-write whole; a reconnect
//! ([`Connection::reconnect`](crate::Connection::reconnect)) sends those not taken first, whole,
//! to the new peer. Frames the OS had accepted are beyond this layer: a peer that died with them
//! unread lost them, and only an acknowledgement from the peer's application tells.
//!
//! **Every message taken is handed to the OS, or counted and kept.** A failed half (whose close
//! was not called) keeps what it is handed over after the failure, instead of dropping it: the
//! rest of a batch ([`SendHalf::send_from`], which takes the whole batch even once the failure
//! is known), a message given by value ([`SendHalf::send`], a `Sink`'s item). Each is counted in
//! the failure's answer ([`SendError::Undelivered`]) and kept, in order after the frames the
//! failure cut, for `take_unsent` and the reconnect. A borrowed message
//! ([`SendHalf::send_slice`]) is not copied into a queue that cannot be written: it stays the
//! caller's, and the count does not include it. Any other refusal (not connected, closed, the
//! peer's close before the batch began) takes nothing from a batch; a batch once begun is not
//! stopped by the peer's close ([`SendHalf::continue_from`]).

use std::io::IoSlice;
use std::sync::Arc;

use bytes::Bytes;

use crate::config::Config;
use crate::error::{EncodeError, Failure, SendError, Undelivered};
use crate::into_frame::IntoFrame;
use crate::link::Link;
use crate::outbox::Outbox;
use crate::transport::Transport;

/// Something the IO owner must do for the send half.
///
/// ```
/// use pipe_proto::{Config, Connection, SendAction, Side, Transport};
///
/// let (_recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
///     .into_split()
///     .unwrap();
/// send.send_slice(b"hi")?;
/// assert_eq!(send.poll_action(), Some(SendAction::Transmit));
/// # Ok::<(), pipe_proto::SendError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendAction {
    /// Write [`SendHalf::io_slices`] (or [`SendHalf::front`]) and report the count with
    /// [`SendHalf::handle_written`], or the error with [`SendHalf::handle_write_error`]. Handed
    /// out as long as bytes are queued; on `WouldBlock`, wait for writability first.
    Transmit,
    /// The queue (and the FIFO close marker) is written: close the write side (FIFO: close the
    /// write end; TCP: shut down the write half) and report the outcome with
    /// [`SendHalf::handle_close`]. Handed out again until answered, so a cancelled close resumes.
    CloseWrite,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum SendState {
    NotConnected,
    Open,
    Closing,
    AwaitingClose,
    Closed,
    /// Why the half failed, and what it could not deliver.
    Failed(Failure, Undelivered),
}

/// The sending half of a pipe: queues frames, hands out what to write and when to close, and
/// answers every later call once the pipe failed or closed. Part of every
/// [`Connection`](crate::Connection); handed out alone by
/// [`Connection::into_split`](crate::Connection::into_split), with the same rules: it refuses
/// new frames once the receive half delivered the peer's close, and fails at its next call
/// once the receive half failed (see [`RecvHalf`](crate::RecvHalf)).
///
/// ```
/// use pipe_proto::{Config, Connection, SendAction, Side, Transport};
///
/// let (_recv, mut send) = Connection::established(Transport::Fifo, Side::Client, Config::default())
///     .into_split()
///     .unwrap();
/// send.send_slice(b"bye")?;
/// send.close();
/// assert_eq!(send.poll_action(), Some(SendAction::Transmit));
/// assert_eq!(send.buffered_len(), 7 + 4, "the frame, then the zero-length close marker");
/// send.handle_written(11);
/// assert_eq!(send.poll_action(), Some(SendAction::CloseWrite));
/// assert_eq!(send.poll_close(), None, "not until the IO owner reports the close");
/// send.handle_close(Ok(()));
/// assert_eq!(send.poll_close(), Some(Ok(())));
/// # Ok::<(), pipe_proto::SendError>(())
/// ```
#[derive(Debug)]
pub struct SendHalf {
    outbox: Outbox,
    link: Arc<Link>,
    transport: Transport,
    half_close: bool,
    state: SendState,
    /// Whether [`close`](SendHalf::close) was called: such a half never starts again.
    close_called: bool,
}

impl SendHalf {
    pub(crate) fn new(transport: Transport, config: &Config, link: Arc<Link>) -> Self {
        Self {
            outbox: Outbox::new(config),
            link,
            transport,
            half_close: config.half_close,
            state: SendState::NotConnected,
            close_called: false,
        }
    }

    pub(crate) fn link(&self) -> &Arc<Link> {
        &self.link
    }

    /// The connection is established: frames may be queued.
    /// Starts again for a new peer, on `link`: not connected, with every frame not completely
    /// written whole again and first in line, and any close marker dropped.
    pub(crate) fn restart(&mut self, link: Arc<Link>) {
        self.link = link;
        self.state = SendState::NotConnected;
        self.close_called = false;
        self.outbox.rewind();
    }

    /// Whether the half is done: closed, or failed.
    pub(crate) fn is_finished(&self) -> bool {
        matches!(self.state, SendState::Closed | SendState::Failed(..))
    }

    /// Whether [`close`](Self::close) was ever called on this half.
    pub(crate) fn close_called(&self) -> bool {
        self.close_called
    }

    pub(crate) fn open(&mut self) {
        if self.state == SendState::NotConnected {
            self.state = SendState::Open;
        }
    }

    // ---- getters ----

    /// Whether another frame may be queued without passing the high-water mark.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let (_recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default().with_high_water_mark(8))
    ///     .into_split()
    ///     .unwrap();
    /// send.send_slice(b"1234")?;
    /// assert!(!send.is_ready(), "8 bytes queued: at the mark");
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    #[inline]
    pub fn is_ready(&self) -> bool {
        self.outbox.is_ready()
    }

    /// Bytes queued and not yet written (the FIFO close marker included).
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let (_recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// send.send_slice(b"x")?;
    /// assert_eq!(send.buffered_len(), 5);
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    #[inline]
    pub fn buffered_len(&self) -> usize {
        self.outbox.buffered_len()
    }

    /// The transmit queue, for inspection.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// assert!(conn.send_half().outbox().is_flushed());
    /// ```
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The transport, which decides what a close puts on the wire.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
    /// assert_eq!(conn.send_half().transport(), Transport::Fifo);
    /// ```
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// Whether the receive half delivered the peer's close: new frames are refused with
    /// [`SendError::PeerClosed`] and a close sends no marker (nobody would read it), unless
    /// [`Config::with_half_close`] is on.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
    /// assert!(!conn.send_half().peer_closed());
    /// ```
    pub fn peer_closed(&self) -> bool {
        self.link.peer_closed()
    }

    /// Whether the half failed (its own write error, a failed close, or the receive half's
    /// failure seen at a call).
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
    /// assert!(!conn.send_half().is_failed());
    /// ```
    pub fn is_failed(&self) -> bool {
        matches!(self.state, SendState::Failed(..))
    }

    /// The failure that ended the half, and what it could not deliver.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Failure, Side, Transport, Undelivered};
    /// # use std::io::ErrorKind;
    /// let (_recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// send.send_slice(b"lost")?;
    /// send.handle_write_error(Failure::io(ErrorKind::BrokenPipe, None, "gone"));
    /// let (failure, lost) = send.failure().unwrap();
    /// assert_eq!((failure.kind(), lost), (ErrorKind::BrokenPipe, Undelivered { frames: 1, bytes: 8 }));
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    pub fn failure(&self) -> Option<(&Failure, Undelivered)> {
        match &self.state {
            SendState::Failed(failure, undelivered) => Some((failure, *undelivered)),
            _ => None,
        }
    }

    /// Whether the close was called (it may still be draining or awaiting its answer).
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let (_recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// send.close();
    /// assert!(send.is_closing());
    /// ```
    pub fn is_closing(&self) -> bool {
        matches!(self.state, SendState::Closing | SendState::AwaitingClose | SendState::Closed)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state == SendState::Closed
    }

    // ---- commands ----

    /// Queues one frame (by reference: payloads under the coalesce limit are copied, larger ones
    /// are not). Refused, with nothing queued, when the frame is invalid, the pipe is not
    /// connected, closing or closed, or the peer's close was received. On a failed half the frame
    /// is kept rather than dropped (it was handed over): the answer is the failure, counting it,
    /// and [`take_unsent`](Self::take_unsent) or a reconnect gives it back; after
    /// [`close`](Self::close) it is refused.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, EncodeError, SendError, Side, Transport};
    /// let (_recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// send.send(bytes::Bytes::from_static(b"hello"))?;
    /// assert_eq!(send.send(bytes::Bytes::new()), Err(SendError::Frame(EncodeError::Empty)));
    /// send.close();
    /// assert_eq!(send.send("late".into()), Err(SendError::ClosedLocally));
    /// # Ok::<(), SendError>(())
    /// ```
    #[inline]
    pub fn send(&mut self, payload: Bytes) -> Result<(), SendError> {
        if let Err(refused) = self.check_sendable() {
            return self.keep_refused(payload, refused);
        }
        Ok(self.outbox.push(payload)?)
    }

    /// Queues one frame from a borrowed slice (copied once, into the queue); refused as
    /// [`send`](Self::send) is, except that a failed half refuses it too, without a copy: the
    /// caller still has it, and the failure's count does not include it.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let (_recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// send.send_slice(b"hello")?;
    /// assert_eq!(send.buffered_len(), 9);
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    #[inline]
    pub fn send_slice(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.check_sendable()?;
        Ok(self.outbox.push_slice(payload)?)
    }

    /// Queues frames taken from `frames` (of any [`IntoFrame`] kind) until it ends (`Ok(true)`)
    /// or the queue reaches its high-water mark (`Ok(false)`: write, then call again; no frame is
    /// taken from `frames` while the queue is at the mark). The checks of [`send`](Self::send)
    /// are made once per call, not once per frame: this is the batch path. An invalid frame stops
    /// it with its error, the frames before it queued, the invalid one and those after it not
    /// queued.
    ///
    /// A batch cut by a failure loses nothing unsaid: on a failed half (a write failed, or the
    /// receive half failed) the call takes **every** frame left in `frames`, borrowed ones
    /// copied, and keeps them after those the failure cut, up to an invalid one (where an open
    /// half would have stopped too); it answers the failure, whose count includes them, and
    /// [`take_unsent`](Self::take_unsent) or a reconnect gives them back in order. So a batch
    /// driven to its end (call again after every write, whatever the write answered) has handed
    /// each of its frames to the OS or counted it. Any other refusal (not connected, closing,
    /// the peer's close) is made before any frame is taken, even from an empty batch; a batch
    /// that goes on after a write calls [`continue_from`](Self::continue_from), which the
    /// peer's close does not stop.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, EncodeError, SendError, Side, Transport};
    /// use bytes::Bytes;
    ///
    /// let config = Config::default().with_high_water_mark(10);
    /// let (_recv, mut send) = Connection::established(Transport::Tcp, Side::Client, config)
    ///     .into_split()
    ///     .unwrap();
    /// let mut frames = ["ab", "cd", "ef"].into_iter(); // borrowed: copied into the queue
    /// assert_eq!(send.send_from(&mut frames), Ok(false), "12 bytes queued: at the mark");
    /// assert_eq!(send.buffered_len(), 12);
    /// send.handle_written(12);
    /// assert_eq!(send.send_from(&mut frames), Ok(true), "all queued");
    /// send.handle_written(6);
    ///
    /// let mut bad = [Bytes::from_static(b"ok"), Bytes::new()].into_iter(); // owned
    /// assert_eq!(send.send_from(&mut bad), Err(SendError::Frame(EncodeError::Empty)));
    /// assert_eq!(send.buffered_len(), 6, "the frame before the empty one is queued");
    /// send.handle_written(6);
    ///
    /// // A failure while the batch waits for room: the next call takes the rest, and counts it.
    /// let mut batch = ["1234", "5678", "90ab"].into_iter();
    /// assert_eq!(send.send_from(&mut batch), Ok(false));
    /// let gone = pipe_proto::Failure::io(std::io::ErrorKind::BrokenPipe, None, "gone");
    /// send.handle_write_error(gone.clone());
    /// let lost = pipe_proto::Undelivered { frames: 3, bytes: 3 * 8 };
    /// assert_eq!(send.send_from(&mut batch), Err(SendError::Undelivered { undelivered: lost, cause: gone }));
    /// assert_eq!(batch.next(), None, "the whole batch was taken");
    /// assert_eq!(send.take_unsent(), ["1234", "5678", "90ab"], "and is given back, in order");
    /// # Ok::<(), SendError>(())
    /// ```
    #[inline]
    pub fn send_from<I>(&mut self, frames: &mut I) -> Result<bool, SendError>
    where
        I: Iterator,
        I::Item: IntoFrame,
    {
        self.queue_batch(frames, false)
    }

    /// Queues more frames of a batch that [`send_from`](Self::send_from) began, as it does,
    /// except that the peer's close received since the batch began does not stop it: a batch is
    /// refused before it begins, or not at all (an invalid frame still ends it). If the peer is
    /// gone, the writes fail, and the rest of
    /// the batch is kept and counted as on any failed half.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, SendError, Side, Transport};
    /// let config = Config::default().with_high_water_mark(8);
    /// let mut conn = Connection::established(Transport::Tcp, Side::Client, config);
    /// let mut batch = ["1234", "5678"].into_iter();
    /// assert_eq!(conn.send_half_mut().send_from(&mut batch), Ok(false));
    /// conn.handle_read(0); // the peer's end of stream arrives mid-batch...
    /// # let _ = conn.poll_recv();
    /// conn.handle_written(8);
    /// assert_eq!(conn.send_half_mut().continue_from(&mut batch), Ok(false), "...the batch goes on");
    /// conn.handle_written(8);
    /// assert_eq!(conn.send_half_mut().continue_from(&mut batch), Ok(true), "all of it");
    /// assert_eq!(conn.send_half_mut().send_from(&mut ["late"].into_iter()), Err(SendError::PeerClosed));
    /// # Ok::<(), SendError>(())
    /// ```
    #[inline]
    pub fn continue_from<I>(&mut self, frames: &mut I) -> Result<bool, SendError>
    where
        I: Iterator,
        I::Item: IntoFrame,
    {
        self.queue_batch(frames, true)
    }

    /// [`send_from`](Self::send_from), and [`continue_from`](Self::continue_from) once `begun`.
    #[inline(always)]
    fn queue_batch<I>(&mut self, frames: &mut I, begun: bool) -> Result<bool, SendError>
    where
        I: Iterator,
        I::Item: IntoFrame,
    {
        match self.check_sendable() {
            Ok(()) => {}
            Err(SendError::PeerClosed) if begun => {}
            Err(refused) => return self.refuse_batch(frames, refused),
        }
        if !self.outbox.is_ready() {
            return Ok(false);
        }
        for frame in frames.by_ref() {
            self.outbox.push_frame(frame)?;
            if !self.outbox.is_ready() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Starts a graceful close: what is queued still goes out, then (on FIFOs, unless the peer
    /// already closed) the zero-length close marker, then [`SendAction::CloseWrite`]. The half is
    /// closed once the IO owner reports the close ([`handle_close`](Self::handle_close)).
    /// Idempotent; on a half that never connected it closes at once.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, SendAction, Side, Transport};
    /// let (_recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// send.close();
    /// assert_eq!(send.poll_action(), Some(SendAction::CloseWrite), "TCP: a half-close, no zero frame");
    /// ```
    pub fn close(&mut self) {
        self.close_called = true;
        match self.state {
            SendState::NotConnected => self.state = SendState::Closed,
            SendState::Open => {
                if self.absorb_receive_failure() {
                    return;
                }
                self.state = SendState::Closing;
                if self.transport == Transport::Fifo && (self.half_close || !self.link.peer_closed()) {
                    self.outbox.push_close_marker();
                }
            }
            SendState::Closing | SendState::AwaitingClose | SendState::Closed | SendState::Failed(..) => {}
        }
    }

    // ---- inputs ----

    /// Reports that the first `n` bytes of [`io_slices`](Self::io_slices) were written.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let (_recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// send.send_slice(b"abc")?;
    /// send.handle_written(7);
    /// assert!(send.outbox().is_flushed());
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    #[inline]
    pub fn handle_written(&mut self, n: usize) {
        // Written before any news of the receive half could reach this half: counted first.
        self.outbox.advance(n);
        self.absorb_receive_failure();
    }

    /// Reports that a write failed (the peer's read end is gone, the connection was reset...):
    /// the half fails, the frames not completely written are counted as undelivered and kept
    /// (for [`take_unsent`](Self::take_unsent) and the reconnect), and so is every frame handed
    /// over later (see [`send_from`](Self::send_from)).
    /// The receive half is not affected: what the peer sent before it went away can still be
    /// read.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Failure, SendError, Side, Transport, Undelivered};
    /// # use std::io::ErrorKind;
    /// let (_recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// send.send_slice(b"x")?;
    /// let gone = Failure::io(ErrorKind::BrokenPipe, None, "gone");
    /// send.handle_write_error(gone.clone());
    /// let lost = SendError::Undelivered { undelivered: Undelivered { frames: 1, bytes: 5 }, cause: gone };
    /// assert_eq!(send.send_slice(b"y"), Err(lost.clone()), "every later call: the same answer");
    /// assert_eq!(send.poll_close(), Some(Err(lost)));
    /// # Ok::<(), SendError>(())
    /// ```
    pub fn handle_write_error(&mut self, failure: Failure) {
        if !matches!(self.state, SendState::Open | SendState::Closing | SendState::AwaitingClose) {
            return;
        }
        let undelivered = self.outbox.undelivered();
        if self.state == SendState::Closing && undelivered.is_empty() {
            // Only the close marker was left: the peer went away first, nothing was lost.
            self.outbox.take_unsent();
            self.state = SendState::Closed;
            return;
        }
        self.fail(failure, undelivered);
    }

    /// Reports the outcome of [`SendAction::CloseWrite`]: the half is closed, or, if the OS
    /// refused the close, failed with that error; either way nothing queued was lost (it had all
    /// been written), so the close answers `Ok`. Ignored unless a close was handed out.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Failure, SendError, Side, Transport};
    /// # use std::io::ErrorKind;
    /// let (_recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// send.close();
    /// send.poll_action();
    /// let refused = Failure::io(ErrorKind::NotConnected, None, "not connected");
    /// send.handle_close(Err(refused.clone()));
    /// assert_eq!(send.poll_close(), Some(Ok(())), "nothing was lost");
    /// assert_eq!(send.flush_outcome(), Err(SendError::Failed(refused)), "but the half failed");
    /// ```
    pub fn handle_close(&mut self, result: Result<(), Failure>) {
        if self.state != SendState::AwaitingClose {
            return;
        }
        match result {
            Ok(()) => self.state = SendState::Closed,
            Err(failure) => self.fail(failure, Undelivered::default()),
        }
    }

    // ---- outputs ----

    /// The next thing the IO owner must do for this half, or `None` when there is nothing to do
    /// until new frames are queued or the close is called. Sees a failure of the receive half
    /// (then nothing more is written).
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, SendAction, Side, Transport};
    /// let (_recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// assert_eq!(send.poll_action(), None);
    /// send.send_slice(b"x")?;
    /// assert_eq!(send.poll_action(), Some(SendAction::Transmit));
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    #[inline]
    pub fn poll_action(&mut self) -> Option<SendAction> {
        match self.state {
            SendState::Open | SendState::Closing => {
                if self.absorb_receive_failure() {
                    return None;
                }
                if !self.outbox.is_flushed() {
                    return Some(SendAction::Transmit);
                }
                if self.state == SendState::Closing {
                    self.state = SendState::AwaitingClose;
                    return Some(SendAction::CloseWrite);
                }
                None
            }
            SendState::AwaitingClose => Some(SendAction::CloseWrite),
            SendState::NotConnected | SendState::Closed | SendState::Failed(..) => None,
        }
    }

    /// The answer to a flush, once [`poll_action`](Self::poll_action) has nothing more to hand
    /// out (or has handed out a close): `Ok` while the half has not failed, else the failure
    /// (with what was not delivered).
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// assert_eq!(conn.send_half_mut().flush_outcome(), Ok(()));
    /// ```
    #[inline]
    pub fn flush_outcome(&mut self) -> Result<(), SendError> {
        self.absorb_receive_failure();
        match &self.state {
            SendState::Failed(cause, undelivered) => Err(failure_answer(cause, *undelivered)),
            _ => Ok(()),
        }
    }

    /// The answer to a wait for room (a `Sink`'s `poll_ready`), once
    /// [`poll_action`](Self::poll_action) has nothing more to hand out: `Ok` when the next
    /// message may be given, which is also the case on a failed half, which keeps it (the call
    /// that gives it answers the failure, with the message counted): a message handed over is
    /// never dropped for want of room. Else the refusal: [`flush_outcome`](Self::flush_outcome).
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Failure, SendError, Side, Transport, Undelivered};
    /// # use std::io::ErrorKind;
    /// let (_recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// send.send_slice(b"cut")?;
    /// let gone = Failure::io(ErrorKind::BrokenPipe, None, "gone");
    /// send.handle_write_error(gone.clone());
    /// assert_eq!(send.ready_outcome(), Ok(()), "the next message is taken, and kept");
    /// let lost = Undelivered { frames: 2, bytes: 7 + 8 };
    /// assert_eq!(send.send("next".into()), Err(SendError::Undelivered { undelivered: lost, cause: gone }));
    /// assert_eq!(send.take_unsent(), ["cut", "next"]);
    /// # Ok::<(), SendError>(())
    /// ```
    pub fn ready_outcome(&mut self) -> Result<(), SendError> {
        let outcome = self.flush_outcome();
        if outcome.is_err() && self.keeps() {
            return Ok(());
        }
        outcome
    }

    /// The answer to a close: `None` while the close has not been called or is under way,
    /// `Some(Ok(()))` once it is over and every frame queued before it was handed to the OS,
    /// `Some(Err(SendError::Undelivered { .. }))` once the half failed with frames that were not
    /// delivered (how many, their bytes, and why). A failure that lost nothing is answered by the
    /// calls that met it, not by the close.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// assert_eq!(conn.send_half_mut().poll_close(), None);
    /// conn.close(); // never connected: closed at once
    /// assert_eq!(conn.send_half_mut().poll_close(), Some(Ok(())));
    /// ```
    pub fn poll_close(&mut self) -> Option<Result<(), SendError>> {
        self.absorb_receive_failure();
        match &self.state {
            SendState::Closed => Some(Ok(())),
            SendState::Failed(_, undelivered) if undelivered.is_empty() => Some(Ok(())),
            SendState::Failed(cause, undelivered) => Some(Err(failure_answer(cause, *undelivered))),
            SendState::NotConnected | SendState::Open | SendState::Closing | SendState::AwaitingClose => None,
        }
    }

    /// Takes back, in order, the payload of every frame queued and not completely written, the
    /// one cut mid-write whole, then those the failed half kept since (the rest of a batch, a
    /// message handed over after the failure): exactly what the failure's answer counts, once
    /// the half can no longer write them: after a failure (including a close that could not
    /// deliver), and while not connected (a reconnect that did not complete). Empty otherwise: on
    /// an open half queued frames are still being written. The failure's answer keeps its
    /// counts; frames not taken go first, whole, to the next peer after a reconnect.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Failure, Side, Transport};
    /// # use std::io::ErrorKind;
    /// let (_recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// send.send_slice(b"first")?;
    /// send.send_slice(b"second")?;
    /// assert!(send.take_unsent().is_empty(), "still being written");
    /// send.handle_written(6); // the header of "first" and one byte of it
    /// send.handle_write_error(Failure::io(ErrorKind::BrokenPipe, None, "gone"));
    /// assert_eq!(send.take_unsent(), ["first", "second"], "the cut frame whole");
    /// assert!(send.take_unsent().is_empty(), "taken once");
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    pub fn take_unsent(&mut self) -> Vec<Bytes> {
        self.absorb_receive_failure();
        match self.state {
            SendState::Failed(..) | SendState::NotConnected => self.outbox.take_unsent(),
            SendState::Open | SendState::Closing | SendState::AwaitingClose | SendState::Closed => Vec::new(),
        }
    }

    /// The queued bytes to write, as slices for one vectored write (up to `out.len()` slices);
    /// returns how many it used.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// # use std::io::IoSlice;
    /// let conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
    /// let mut slices = [IoSlice::new(&[]); 4];
    /// assert_eq!(conn.send_half().io_slices(&mut slices), 0);
    /// ```
    #[inline]
    pub fn io_slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        self.outbox.io_slices(out)
    }

    /// The oldest queued bytes as one slice, and whether that is all of them (then a plain
    /// write does the work of a vectored one).
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport};
    /// let (_recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// send.send_slice(b"a")?;
    /// assert_eq!(send.front(), (&[0, 0, 0, 1, b'a'][..], true));
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    #[inline]
    pub fn front(&self) -> (&[u8], bool) {
        let front = self.outbox.front();
        (front, front.len() == self.outbox.buffered_len())
    }

    // ---- internals ----

    #[inline(always)]
    fn check_sendable(&mut self) -> Result<(), SendError> {
        match &self.state {
            SendState::Open => {
                if self.absorb_receive_failure() {
                    return self.flush_outcome();
                }
                if !self.half_close && self.link.peer_closed() {
                    return Err(SendError::PeerClosed);
                }
                Ok(())
            }
            SendState::NotConnected => Err(SendError::NotConnected),
            SendState::Closing | SendState::AwaitingClose | SendState::Closed => Err(SendError::ClosedLocally),
            SendState::Failed(cause, undelivered) => Err(failure_answer(cause, *undelivered)),
        }
    }

    /// Fails the half if the receive half failed; `true` if it did. Every call of the half does
    /// this first (after applying what the call reports), on a split half as on the whole
    /// connection's: the receive half's failure reaches the send half at its next call.
    #[inline(always)]
    fn absorb_receive_failure(&mut self) -> bool {
        if !matches!(self.state, SendState::Open | SendState::Closing) {
            return false;
        }
        let Some(failure) = self.link.failure() else {
            return false;
        };
        let undelivered = self.outbox.undelivered();
        self.fail(failure, undelivered);
        true
    }

    /// Whether the half keeps what a send call gives it instead of dropping it: it failed, and
    /// its close was not called (after the close, a message is the caller's mistake, refused).
    fn keeps(&self) -> bool {
        matches!(self.state, SendState::Failed(..)) && !self.close_called
    }

    /// Keeps `frame` in the queue of a failed half, counted with what the failure left
    /// undelivered: given back by [`take_unsent`](Self::take_unsent), sent first after a
    /// reconnect. An invalid frame is not kept.
    fn keep(&mut self, frame: impl IntoFrame) -> Result<(), EncodeError> {
        let before = self.outbox.buffered_len();
        self.outbox.push_frame(frame)?;
        if let SendState::Failed(_, undelivered) = &mut self.state {
            undelivered.frames += 1;
            undelivered.bytes += self.outbox.buffered_len() - before;
        }
        Ok(())
    }

    /// The answer to a send call refused with `refused`: a failed half keeps the message and
    /// answers the failure, counting it; any other refusal leaves it out.
    #[cold]
    #[inline(never)]
    fn keep_refused(&mut self, frame: impl IntoFrame, refused: SendError) -> Result<(), SendError> {
        if !self.keeps() {
            return Err(refused);
        }
        // An invalid message is not kept: the failure's count, unchanged, says so.
        let _ = self.keep(frame);
        self.flush_outcome().and(Err(refused))
    }

    /// The answer to a batch that may not be queued: a failed half keeps every frame left in
    /// `frames`, in order, up to an invalid one (as an open half would have stopped there), and
    /// answers the failure, counting them; any other refusal takes no frame.
    #[cold]
    #[inline(never)]
    fn refuse_batch<I>(&mut self, frames: &mut I, refused: SendError) -> Result<bool, SendError>
    where
        I: Iterator,
        I::Item: IntoFrame,
    {
        if !self.keeps() {
            return Err(refused);
        }
        for frame in frames {
            if self.keep(frame).is_err() {
                break;
            }
        }
        // The answer with the kept frames counted.
        self.flush_outcome().and(Err(refused))
    }

    fn fail(&mut self, failure: Failure, undelivered: Undelivered) {
        self.state = SendState::Failed(failure, undelivered);
    }
}

/// The one answer of a failed send half.
fn failure_answer(cause: &Failure, undelivered: Undelivered) -> SendError {
    if undelivered.is_empty() {
        SendError::Failed(cause.clone())
    } else {
        SendError::Undelivered { undelivered, cause: cause.clone() }
    }
}

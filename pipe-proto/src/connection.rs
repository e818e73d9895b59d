//! The connection: one pipe end from creation to closed. It runs the connect steps itself and,
//! once connected, hands the rules of receiving and sending to its two halves
//! ([`RecvHalf`], [`SendHalf`]), the same halves [`Connection::into_split`] gives out, so an
//! unsplit and a split pipe follow one set of rules.
//!
//! ```text
//!            connect(now, timeout)          all steps done
//!   Idle ────────────────────────► Connecting ───────────────► Open ─────────────► Failed
//!    │                               │    ▲                     │      IO error, bad frame
//!    │ close()          deadline     │    │ connect() again     │ close()
//!    │                  or IO error  ▼    │                     ▼
//!    └──────────► Closed ◄──────── Failed ┘                  Closing ── close reported ──► Closed
//!                         close()                               │
//!                                                               └── write error ──► Failed
//! ```
//!
//! Connect steps, per transport and side (each asked for with a [`ConnectAction`], answered
//! with an [`Event`]):
//!
//! | transport, side | steps |
//! |---|---|
//! | FIFO, both | [`ConnectAction::OpenRead`], then [`ConnectAction::OpenWrite`] (retried while [`Event::NotReady`]: the peer's read end is not open), then [`ConnectAction::ProbeRead`] (retried while it reads EOF: the peer's write end is not open yet) |
//! | TCP, channel | [`ConnectAction::Accept`] (retried while [`Event::NotReady`]: the IO owner refused the connection it accepted, a peer of another user), then [`ConnectAction::StopListening`] once one peer is taken |
//! | TCP, client | [`ConnectAction::Dial`] (retried while [`Event::NotReady`]: refused) |
//!
//! A connection whose peer closed or failed can start again on the same rendezvous with
//! [`Connection::reconnect`]: the same steps, preceded on the channel side by
//! [`ConnectAction::Listen`], which opens the meeting place anew (the TCP listener closed after
//! the first peer, fresh FIFOs so nothing the last peer left in the old ones reaches the next).
//!
//! The probe is what makes "connected" mean usable both ways: a FIFO read end with no writer
//! yet reads as EOF, so a read right after a connect that skipped it could report a false close.

use std::io::IoSlice;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::buf::Limit;
use bytes::{Bytes, BytesMut};

use crate::config::Config;
use crate::connect_action::ConnectAction;
use crate::decoder::Received;
use crate::error::{ConnectError, Failure, RecvError, SendError};
use crate::link::Link;
use crate::recv::{RecvAction, RecvHalf};
use crate::retry::Backoff;
use crate::send::{SendAction, SendHalf};
use crate::state::State;
use crate::transport::{Side, Transport};

/// Something the IO owner of a whole [`Connection`] must do: a connect step, or an action of
/// one of its halves.
///
/// ```
/// use pipe_proto::{Action, Config, Connection, SendAction, Side, Transport};
///
/// let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
/// conn.close();
/// assert_eq!(conn.poll_action(), Some(Action::Send(SendAction::CloseWrite)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A connect step.
    Connect(ConnectAction),
    /// An action of the receive half.
    Recv(RecvAction),
    /// An action of the send half.
    Send(SendAction),
}

/// What happened when the IO owner carried out a [`ConnectAction`].
///
/// ```
/// let event = pipe_proto::Event::Read(0);
/// assert_eq!(event, pipe_proto::Event::Read(0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The open, accept or dial succeeded.
    Done,
    /// The peer is not there yet (FIFO `ENXIO`, TCP connection refused), or the connection
    /// accepted was not the peer's and was closed (a TCP channel's refused peer): retry later.
    NotReady,
    /// A read put this many bytes into [`Connection::read_buf`]; 0 means end of stream.
    Read(usize),
    /// A non-blocking read found nothing to read (and, on a FIFO, a writer present).
    WouldBlock,
    /// FIFO, answering [`ConnectAction::ProbeRead`]: the read end reads EOF and a path now
    /// names another FIFO than the one opened (a channel made its FIFOs anew for a
    /// [`reconnect`](Connection::reconnect)): both ends are opened again.
    Replaced,
    /// An OS error that ends this connect.
    Failed(Failure),
}

/// Progress of the current connect.
#[derive(Debug, Clone, Default)]
struct ConnectProgress {
    read_open: bool,
    write_open: bool,
    /// The action handed out and not answered yet.
    awaiting: Option<ConnectAction>,
    /// The step being worked on: handed out, answered "not yet" and due again, until it is
    /// done. What a timeout reports the connect was waiting for.
    current: Option<ConnectAction>,
    /// The next attempt of the current step is due then.
    retry_at: Option<Instant>,
    deadline: Option<Instant>,
    timeout: Duration,
    attempts: u32,
}

/// Where the connection is in its connect.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Idle,
    Connecting,
    /// The last connect failed; another may be started.
    ConnectFailed(Failure),
    /// Connected: the halves decide from here on.
    Established,
    /// Closed before it was established.
    Closed,
}

/// One end of a pipe, from creation to closed, with no IO and no clock.
///
/// Its methods come in four groups, in the style of quinn-proto:
/// - **getters**: [`state`](Self::state), [`transport`](Self::transport), [`side`](Self::side),
///   [`failure`](Self::failure), [`peer_closed`](Self::peer_closed),
///   [`attempts`](Self::attempts), [`is_send_ready`](Self::is_send_ready);
/// - **commands** from the application: [`connect`](Self::connect), [`send`](Self::send),
///   [`close`](Self::close);
/// - **inputs** from the IO owner: [`handle_event`](Self::handle_event),
///   [`handle_timeout`](Self::handle_timeout), [`handle_read`](Self::handle_read),
///   [`handle_written`](Self::handle_written), [`handle_close`](Self::handle_close), and the
///   errors ([`handle_read_error`](Self::handle_read_error),
///   [`handle_write_error`](Self::handle_write_error)), all that take time taking `now`;
/// - **outputs**, polled in this order until each returns `None`:
///   [`poll_action`](Self::poll_action), [`poll_recv`](Self::poll_recv), then
///   [`poll_timeout`](Self::poll_timeout) says when to call [`handle_timeout`](Self::handle_timeout);
///   [`poll_connect`](Self::poll_connect) and [`poll_close`](Self::poll_close) give the answers
///   of a connect and a close.
///
/// See the crate documentation for the complete driving loop.
///
/// ```
/// use pipe_proto::{Action, Config, ConnectAction, Connection, Event, Side, State, Transport};
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
/// conn.connect(start, Duration::from_secs(5))?;
/// assert_eq!(conn.poll_action(), Some(Action::Connect(ConnectAction::Dial)));
/// conn.handle_event(start, Event::NotReady); // connection refused
/// assert_eq!(conn.poll_action(), None);
/// let retry = conn.poll_timeout().unwrap();
/// conn.handle_timeout(retry);
/// assert_eq!(conn.poll_action(), Some(Action::Connect(ConnectAction::Dial)));
/// conn.handle_event(retry, Event::Done);
/// assert_eq!(conn.state(), State::Open);
/// # Ok::<(), pipe_proto::ConnectError>(())
/// ```
#[derive(Debug)]
pub struct Connection {
    transport: Transport,
    side: Side,
    phase: Phase,
    progress: ConnectProgress,
    backoff: Backoff,
    stop_listening: bool,
    /// Whether the meeting place is ready for a new peer: true when made (the IO owner makes it
    /// with the pipe), false once a peer met us there, until [`ConnectAction::Listen`] is done.
    rendezvous_ready: bool,
    /// Whether there is a rendezvous at all ([`Connection::established`] has none).
    has_rendezvous: bool,
    recv: RecvHalf,
    send: SendHalf,
}

impl Connection {
    /// A connection in [`State::Idle`].
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    ///
    /// let conn = Connection::new(Transport::Fifo, Side::Channel, Config::default());
    /// assert_eq!(conn.transport(), Transport::Fifo);
    /// ```
    pub fn new(transport: Transport, side: Side, config: Config) -> Self {
        Self::build(transport, side, config, true)
    }

    fn build(transport: Transport, side: Side, config: Config, has_rendezvous: bool) -> Self {
        let backoff = Backoff::new(config.first_retry_delay, config.max_retry_delay);
        let link = Arc::new(Link::new(config, has_rendezvous));
        Self {
            transport,
            side,
            phase: Phase::Idle,
            progress: ConnectProgress::default(),
            backoff,
            stop_listening: false,
            rendezvous_ready: true,
            has_rendezvous,
            recv: RecvHalf::new(transport, link.config(), Arc::clone(&link)),
            send: SendHalf::new(transport, link.config(), Arc::clone(&link)),
        }
    }

    /// A connection over a transport the IO owner connected by other means (a socket accepted
    /// or dialled by the application), already in [`State::Open`]: no connect steps, no timers.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, State, Transport};
    ///
    /// let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    /// assert_eq!(conn.state(), State::Open);
    /// assert_eq!(conn.poll_action(), None);
    /// conn.send("ready".into())?;
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    pub fn established(transport: Transport, side: Side, config: Config) -> Self {
        let mut conn = Self::build(transport, side, config, false);
        conn.open();
        conn
    }

    // ---- getters ----

    /// The current state: [`State::Failed`] once a connect failed or either half failed,
    /// [`State::Closing`] from [`close`](Self::close) until the IO owner reported the close,
    /// [`State::Closed`] after.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, State, Transport};
    /// assert_eq!(Connection::new(Transport::Tcp, Side::Channel, Config::default()).state(), State::Idle);
    /// ```
    pub fn state(&self) -> State {
        match self.phase {
            Phase::Idle => State::Idle,
            Phase::Connecting => State::Connecting,
            Phase::ConnectFailed(_) => State::Failed,
            Phase::Closed => State::Closed,
            Phase::Established if self.send.is_failed() || self.recv.failure().is_some() => State::Failed,
            Phase::Established if self.send.is_closed() => State::Closed,
            Phase::Established if self.send.is_closing() => State::Closing,
            Phase::Established => State::Open,
        }
    }

    /// The transport this connection was made for.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// assert_eq!(Connection::new(Transport::Tcp, Side::Channel, Config::default()).transport(), Transport::Tcp);
    /// ```
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The side of the rendezvous this connection is.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// assert_eq!(Connection::new(Transport::Tcp, Side::Client, Config::default()).side(), Side::Client);
    /// ```
    pub fn side(&self) -> Side {
        self.side
    }

    /// Why the connection is in [`State::Failed`]: the failed connect's reason, or the first
    /// failure of either half.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Failure, Side, Transport};
    /// use std::time::{Duration, Instant};
    ///
    /// let start = Instant::now();
    /// let mut conn = Connection::new(Transport::Tcp, Side::Channel, Config::default());
    /// assert_eq!(conn.failure(), None);
    /// conn.connect(start, Duration::from_secs(1))?;
    /// conn.handle_timeout(start + Duration::from_secs(1));
    /// assert_eq!(conn.failure(), Some(&Failure::Timeout(Duration::from_secs(1))));
    /// # Ok::<(), pipe_proto::ConnectError>(())
    /// ```
    pub fn failure(&self) -> Option<&Failure> {
        match &self.phase {
            Phase::ConnectFailed(failure) => Some(failure),
            // The receive half's failure reaches the send half at its next call: until then, the
            // send half has none, and after, the first of the two is the send half's.
            Phase::Established => self.send.failure().map(|(failure, _)| failure).or(self.recv.failure()),
            _ => None,
        }
    }

    /// Whether the peer's close has been received (a zero-length frame, or the end of its stream
    /// at a frame boundary). The state stays [`State::Open`]: this side may still close
    /// gracefully, but sends are refused with [`SendError::PeerClosed`].
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Received, SendError, Side, State, Transport};
    ///
    /// let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    /// conn.handle_read(0); // end of stream
    /// assert_eq!(conn.poll_recv(), Some(Ok(Received::PeerClosed)));
    /// assert!(conn.peer_closed());
    /// assert_eq!(conn.state(), State::Open);
    /// assert_eq!(conn.send_slice(b"x"), Err(SendError::PeerClosed));
    /// ```
    pub fn peer_closed(&self) -> bool {
        self.recv.peer_closed()
    }

    /// Connect attempts that found the peer not ready in the current connect (for logging).
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// assert_eq!(Connection::new(Transport::Tcp, Side::Client, Config::default()).attempts(), 0);
    /// ```
    pub fn attempts(&self) -> u32 {
        self.progress.attempts
    }

    /// Whether [`send`](Self::send) may queue another frame without passing the high-water mark.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// assert!(Connection::new(Transport::Tcp, Side::Client, Config::default()).is_send_ready());
    /// ```
    pub fn is_send_ready(&self) -> bool {
        self.send.is_ready()
    }

    /// The send half, for inspection.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// assert!(Connection::new(Transport::Tcp, Side::Client, Config::default()).send_half().outbox().is_flushed());
    /// ```
    pub fn send_half(&self) -> &SendHalf {
        &self.send
    }

    /// The receive half, for inspection.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// assert_eq!(Connection::new(Transport::Tcp, Side::Client, Config::default()).recv_half().inbox().pending_len(), 0);
    /// ```
    pub fn recv_half(&self) -> &RecvHalf {
        &self.recv
    }

    /// The send half, for an IO owner that drives the halves of an unsplit connection with the
    /// same code as split ones. Before the connection is established it answers
    /// [`SendError::NotConnected`].
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, SendError, Side, Transport};
    /// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// assert_eq!(conn.send_half_mut().send_slice(b"x"), Err(SendError::NotConnected));
    /// ```
    pub fn send_half_mut(&mut self) -> &mut SendHalf {
        &mut self.send
    }

    /// The receive half, for an IO owner that drives the halves of an unsplit connection with
    /// the same code as split ones.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, RecvError, Side, Transport};
    /// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// assert_eq!(conn.recv_half_mut().poll_recv(), Some(Err(RecvError::NotConnected)));
    /// ```
    pub fn recv_half_mut(&mut self) -> &mut RecvHalf {
        &mut self.recv
    }

    // ---- commands ----

    /// Starts connecting, with a fresh budget: the connect fails with
    /// [`ConnectError::Timeout`] (through [`poll_connect`](Self::poll_connect)) at exactly
    /// `now + timeout` unless the peer completed the rendezvous. Allowed when idle, again after a
    /// connect that failed, and while connecting (the IO owner abandoned a connect, for example
    /// a cancelled future: the outstanding action is forgotten and handed out again). Steps
    /// already done stay done. Once connected it is refused: with the failure if the pipe has
    /// failed since, else with [`ConnectError::InvalidState`].
    ///
    /// ```
    /// use pipe_proto::{Action, Config, ConnectAction, ConnectError, Connection, Event, Side, State, Transport};
    /// use std::time::{Duration, Instant};
    ///
    /// let now = Instant::now();
    /// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// conn.connect(now, Duration::from_secs(1))?;
    /// assert_eq!(conn.poll_action(), Some(Action::Connect(ConnectAction::Dial)));
    /// conn.connect(now, Duration::from_secs(1))?; // the first attempt was abandoned
    /// assert_eq!(conn.poll_action(), Some(Action::Connect(ConnectAction::Dial)));
    /// conn.handle_event(now, Event::Done);
    /// assert_eq!(conn.connect(now, Duration::from_secs(1)),
    ///            Err(ConnectError::InvalidState { state: State::Open }));
    /// # Ok::<(), ConnectError>(())
    /// ```
    pub fn connect(&mut self, now: Instant, timeout: Duration) -> Result<(), ConnectError> {
        match self.phase {
            Phase::Idle | Phase::Connecting | Phase::ConnectFailed(_) => {}
            Phase::Established => {
                return Err(match self.failure() {
                    Some(failure) => ConnectError::Failed(failure.clone()),
                    None => ConnectError::InvalidState { state: self.state() },
                })
            }
            Phase::Closed => return Err(ConnectError::InvalidState { state: State::Closed }),
        }
        self.phase = Phase::Connecting;
        self.backoff.reset();
        let progress = &mut self.progress;
        progress.awaiting = None;
        progress.current = None;
        progress.retry_at = None;
        progress.deadline = now.checked_add(timeout);
        progress.timeout = timeout;
        progress.attempts = 0;
        Ok(())
    }

    /// Starts connecting again, on the same rendezvous, after the peer closed or the pipe
    /// failed (and, on the client side, after its own close completed): the channel waits for a
    /// new peer (after [`ConnectAction::Listen`]), the client connects again. The IO owner closes the old connection's OS objects first. The receive
    /// half starts afresh (a frame cut by the old peer is dropped); the send half keeps every
    /// frame not completely written, whole, and sends them first once connected, unless
    /// [`SendHalf::take_unsent`] took them before. Frames the OS had accepted that the old peer
    /// never read are gone: only the peer application's acknowledgements can tell which.
    ///
    /// Also allowed where [`connect`](Self::connect) is (idle, connecting, after a failed
    /// connect: a reconnect that timed out may be tried again), and answers as it does then.
    /// Refused with [`ConnectError::InvalidState`] while the peer is there (state `Open`, its
    /// close not received), while a close is under way, and on the channel side once
    /// [`close`](Self::close) was called (the IO owner released the rendezvous); with
    /// [`ConnectError::NoRendezvous`] on an [`established`](Self::established) connection.
    ///
    /// ```
    /// use pipe_proto::{Action, Config, ConnectAction, ConnectError, Connection, Event, Failure};
    /// use pipe_proto::{SendAction, Side, State, Transport};
    /// use std::io::ErrorKind;
    /// use std::time::{Duration, Instant};
    ///
    /// let now = Instant::now();
    /// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// conn.connect(now, Duration::from_secs(1))?;
    /// assert_eq!(conn.poll_action(), Some(Action::Connect(ConnectAction::Dial)));
    /// conn.handle_event(now, Event::Done);
    /// assert_eq!(conn.reconnect(now, Duration::from_secs(1)), Err(ConnectError::InvalidState { state: State::Open }));
    ///
    /// conn.send("one".into()).unwrap();
    /// conn.send("two".into()).unwrap();
    /// assert_eq!(conn.poll_action(), Some(Action::Send(SendAction::Transmit)));
    /// conn.handle_written(9); // "one", and two bytes of the header of "two"
    /// conn.handle_write_error(Failure::io(ErrorKind::BrokenPipe, None, "the peer died"));
    /// assert_eq!(conn.state(), State::Failed);
    ///
    /// conn.reconnect(now, Duration::from_secs(1))?;
    /// assert_eq!(conn.poll_action(), Some(Action::Connect(ConnectAction::Dial)));
    /// conn.handle_event(now, Event::Done);
    /// assert_eq!(conn.poll_action(), Some(Action::Send(SendAction::Transmit)));
    /// let mut slices = [std::io::IoSlice::new(&[]); 4];
    /// let n = conn.io_slices(&mut slices);
    /// let queued: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
    /// assert_eq!(queued, [0, 0, 0, 3, b't', b'w', b'o'], "the cut frame, whole, first");
    /// # Ok::<(), ConnectError>(())
    /// ```
    pub fn reconnect(&mut self, now: Instant, timeout: Duration) -> Result<(), ConnectError> {
        if !self.has_rendezvous {
            return Err(ConnectError::NoRendezvous);
        }
        if self.phase == Phase::Established {
            // A channel's close released its rendezvous; a client's leaves nothing behind, and
            // it may connect again once the close is over.
            let closed = self.send.close_called();
            let close_in_the_way = closed && (self.side == Side::Channel || !self.send.is_finished());
            let over = closed || self.peer_closed() || self.failure().is_some();
            if close_in_the_way || !over {
                return Err(ConnectError::InvalidState { state: self.state() });
            }
            let link = Arc::new(Link::new(self.send.link().config().clone(), true));
            self.recv = RecvHalf::new(self.transport, link.config(), Arc::clone(&link));
            self.send.restart(link);
            self.progress = ConnectProgress::default();
            self.stop_listening = false;
            self.phase = Phase::Idle;
        }
        self.connect(now, timeout)
    }

    /// Takes back the frames a failure left unsent, the one cut mid-write whole (see
    /// [`SendHalf::take_unsent`]).
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Failure, Side, Transport};
    /// use std::io::ErrorKind;
    ///
    /// let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    /// conn.send("kept".into())?;
    /// conn.handle_write_error(Failure::io(ErrorKind::BrokenPipe, None, "gone"));
    /// assert_eq!(conn.take_unsent(), ["kept"]);
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    pub fn take_unsent(&mut self) -> Vec<Bytes> {
        self.send.take_unsent()
    }

    /// Queues one frame for sending (see [`SendHalf::send`]). Empty and oversized frames are
    /// refused before anything is queued; so is any frame when the pipe is not open or the peer
    /// has closed. A pipe that failed keeps the frame (it was handed over) with the ones the
    /// failure left undelivered, and answers the failure, counting it.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, EncodeError, SendError, Side, Transport};
    /// let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    /// conn.send("hello".into())?;
    /// assert_eq!(conn.send("".into()), Err(SendError::Frame(EncodeError::Empty)));
    /// # Ok::<(), SendError>(())
    /// ```
    #[inline]
    pub fn send(&mut self, payload: Bytes) -> Result<(), SendError> {
        self.send.send(payload)
    }

    /// [`send`](Self::send) for a borrowed payload (copied once into the queue).
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, SendError, Side, Transport};
    /// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// assert_eq!(conn.send_slice(b"early"), Err(SendError::NotConnected));
    /// ```
    #[inline]
    pub fn send_slice(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.send.send_slice(payload)
    }

    /// Closes gracefully: receiving stops at once ([`RecvError::ClosedLocally`]), queued frames
    /// still go out, then the transport's close (FIFO: the zero-length frame, unless the peer
    /// already closed; TCP: a half-close) through [`SendAction::CloseWrite`]; the state is
    /// [`State::Closed`] once the IO owner reports it with [`handle_close`](Self::handle_close).
    /// [`poll_close`](Self::poll_close) then gives the answer. Before the pipe is connected it
    /// closes at once. Closing twice is harmless.
    ///
    /// ```
    /// use pipe_proto::{Action, Config, Connection, SendAction, Side, State, Transport};
    ///
    /// let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    /// conn.close();
    /// conn.close();
    /// assert_eq!(conn.state(), State::Closing);
    /// assert_eq!(conn.poll_action(), Some(Action::Send(SendAction::CloseWrite)));
    /// assert_eq!(conn.state(), State::Closing, "until the IO owner reports the close");
    /// conn.handle_close(Ok(()));
    /// assert_eq!(conn.state(), State::Closed);
    /// assert_eq!(conn.poll_close(), Some(Ok(())));
    /// ```
    pub fn close(&mut self) {
        match self.phase {
            Phase::Idle | Phase::Connecting | Phase::ConnectFailed(_) => {
                self.phase = Phase::Closed;
                self.progress.awaiting = None;
                self.progress.retry_at = None;
                self.recv.close_locally();
                self.send.close();
            }
            Phase::Established => {
                self.recv.close_locally();
                self.send.close();
            }
            Phase::Closed => {}
        }
    }

    // ---- inputs ----

    /// Reports the outcome of the last connect action. Events that answer no outstanding action
    /// are ignored, except [`Event::Failed`] while connecting, which always fails the connect.
    ///
    /// ```
    /// use pipe_proto::{Action, Config, ConnectAction, Connection, Event, Side, State, Transport};
    /// use std::time::{Duration, Instant};
    ///
    /// let now = Instant::now();
    /// let mut conn = Connection::new(Transport::Tcp, Side::Channel, Config::default());
    /// conn.connect(now, Duration::from_secs(1))?;
    /// assert_eq!(conn.poll_action(), Some(Action::Connect(ConnectAction::Accept)));
    /// conn.handle_event(now, Event::Done);
    /// assert_eq!(conn.poll_action(), Some(Action::Connect(ConnectAction::StopListening)));
    /// assert_eq!(conn.state(), State::Open);
    /// # Ok::<(), pipe_proto::ConnectError>(())
    /// ```
    pub fn handle_event(&mut self, now: Instant, event: Event) {
        if self.phase != Phase::Connecting {
            return;
        }
        if let Event::Failed(failure) = event {
            self.fail_connect(failure);
            return;
        }
        let Some(step) = self.progress.awaiting else {
            return;
        };
        let progress = &mut self.progress;
        let outcome = match (step, event) {
            (ConnectAction::Listen, Event::Done) => {
                self.rendezvous_ready = true;
                StepOutcome::Advanced
            }
            (ConnectAction::OpenRead, Event::Done) => {
                progress.read_open = true;
                StepOutcome::Advanced
            }
            (ConnectAction::OpenWrite, Event::Done) => {
                progress.write_open = true;
                StepOutcome::Advanced
            }
            (
                ConnectAction::OpenWrite | ConnectAction::Dial | ConnectAction::ProbeRead | ConnectAction::Accept,
                Event::NotReady,
            )
            | (ConnectAction::ProbeRead, Event::Read(0)) => StepOutcome::Retry,
            (ConnectAction::ProbeRead, Event::Read(n)) => {
                self.recv.inbox_mut().handle_read(n);
                StepOutcome::Connected
            }
            (ConnectAction::ProbeRead, Event::WouldBlock) => StepOutcome::Connected,
            (ConnectAction::ProbeRead, Event::Replaced) => {
                progress.read_open = false;
                progress.write_open = false;
                StepOutcome::Advanced
            }
            (ConnectAction::Accept, Event::Done) => {
                self.stop_listening = true;
                StepOutcome::Connected
            }
            (ConnectAction::Dial, Event::Done) => StepOutcome::Connected,
            // Anything else does not answer the outstanding action.
            _ => return,
        };
        progress.awaiting = None;
        if !matches!(outcome, StepOutcome::Retry) {
            progress.current = None;
        }
        match outcome {
            StepOutcome::Retry => {
                progress.attempts += 1;
                progress.retry_at = Some(self.backoff.next_attempt(now, progress.deadline));
            }
            StepOutcome::Advanced => self.backoff.reset(),
            StepOutcome::Connected => self.open(),
        }
    }

    /// Reports that `n` bytes were read into [`read_buf`](Self::read_buf) (0: end of stream).
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Received, Side, Transport};
    /// let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    /// conn.read_buf()[..5].copy_from_slice(&[0, 0, 0, 1, 7]);
    /// conn.handle_read(5);
    /// assert_eq!(conn.poll_recv(), Some(Ok(Received::Frame(vec![7].into()))));
    /// ```
    #[inline]
    pub fn handle_read(&mut self, n: usize) {
        self.recv.handle_read(n);
    }

    /// Reports that the first `n` bytes of [`io_slices`](Self::io_slices) were written.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    /// conn.send("abc".into())?;
    /// conn.handle_written(7);
    /// assert!(conn.send_half().outbox().is_flushed());
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    #[inline]
    pub fn handle_written(&mut self, n: usize) {
        self.send.handle_written(n);
    }

    /// Reports that a read failed with an OS error (see [`RecvHalf::handle_read_error`]).
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Failure, Side, State, Transport};
    /// let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    /// conn.handle_read_error(Failure::io(std::io::ErrorKind::ConnectionReset, None, "reset"));
    /// assert_eq!(conn.state(), State::Failed);
    /// ```
    pub fn handle_read_error(&mut self, failure: Failure) {
        self.recv.handle_read_error(failure);
    }

    /// Reports that a write failed with an OS error (see [`SendHalf::handle_write_error`]).
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Failure, Side, State, Transport};
    /// let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    /// conn.handle_write_error(Failure::io(std::io::ErrorKind::BrokenPipe, None, "gone"));
    /// assert_eq!(conn.state(), State::Failed);
    /// ```
    pub fn handle_write_error(&mut self, failure: Failure) {
        self.send.handle_write_error(failure);
    }

    /// Reports the outcome of [`SendAction::CloseWrite`] (see [`SendHalf::handle_close`]).
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, State, Transport};
    /// let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    /// conn.close();
    /// conn.poll_action();
    /// conn.handle_close(Ok(()));
    /// assert_eq!(conn.state(), State::Closed);
    /// ```
    pub fn handle_close(&mut self, result: Result<(), Failure>) {
        self.send.handle_close(result);
    }

    /// Lets time pass: a connect retry that is due is handed out again by
    /// [`poll_action`](Self::poll_action); at the deadline the connect fails with a timeout; a
    /// hang-up probe that is due is handed out. Call it when [`poll_timeout`](Self::poll_timeout)
    /// is reached (calling it early is harmless).
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, State, Transport};
    /// use std::time::{Duration, Instant};
    ///
    /// let start = Instant::now();
    /// let mut conn = Connection::new(Transport::Tcp, Side::Channel, Config::default());
    /// conn.connect(start, Duration::from_millis(100))?;
    /// conn.handle_timeout(start + Duration::from_millis(99));
    /// assert_eq!(conn.state(), State::Connecting);
    /// conn.handle_timeout(start + Duration::from_millis(100));
    /// assert_eq!(conn.state(), State::Failed);
    /// # Ok::<(), pipe_proto::ConnectError>(())
    /// ```
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.phase {
            Phase::Connecting => {
                if self.progress.deadline.is_some_and(|deadline| now >= deadline) {
                    self.fail_connect(Failure::Timeout(self.progress.timeout));
                } else if self.progress.retry_at.is_some_and(|at| now >= at) {
                    self.progress.retry_at = None;
                }
            }
            Phase::Established => self.recv.handle_timeout(now),
            Phase::Idle | Phase::ConnectFailed(_) | Phase::Closed => {}
        }
    }

    // ---- outputs ----

    /// The next thing the IO owner must do, or `None` when there is nothing to do until an event,
    /// a timeout, or new data to send: a connect step while connecting, then the halves'
    /// actions.
    ///
    /// ```
    /// use pipe_proto::{Action, Config, ConnectAction, Connection, Side, Transport};
    /// use std::time::{Duration, Instant};
    ///
    /// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// assert_eq!(conn.poll_action(), None, "idle: nothing to do");
    /// conn.connect(Instant::now(), Duration::from_secs(1))?;
    /// assert_eq!(conn.poll_action(), Some(Action::Connect(ConnectAction::Dial)));
    /// # Ok::<(), pipe_proto::ConnectError>(())
    /// ```
    pub fn poll_action(&mut self) -> Option<Action> {
        if let Some(action) = self.poll_connect_action() {
            return Some(Action::Connect(action));
        }
        if self.phase != Phase::Established {
            return None;
        }
        if let Some(action) = self.recv.poll_action() {
            return Some(Action::Recv(action));
        }
        self.send.poll_action().map(Action::Send)
    }

    /// The connect steps only: what an IO owner that drives the halves itself (through
    /// [`recv_half_mut`](Self::recv_half_mut) and [`send_half_mut`](Self::send_half_mut)) takes
    /// while connecting, until [`poll_connect`](Self::poll_connect) has its answer.
    ///
    /// ```
    /// use pipe_proto::{Config, ConnectAction, Connection, Event, Side, Transport};
    /// use std::time::{Duration, Instant};
    ///
    /// let now = Instant::now();
    /// let mut conn = Connection::new(Transport::Tcp, Side::Channel, Config::default());
    /// conn.connect(now, Duration::from_secs(1))?;
    /// assert_eq!(conn.poll_connect_action(), Some(ConnectAction::Accept));
    /// conn.handle_event(now, Event::Done);
    /// assert_eq!(conn.poll_connect_action(), Some(ConnectAction::StopListening));
    /// assert_eq!(conn.poll_connect_action(), None);
    /// assert_eq!(conn.poll_connect(), Some(Ok(())));
    /// # Ok::<(), pipe_proto::ConnectError>(())
    /// ```
    pub fn poll_connect_action(&mut self) -> Option<ConnectAction> {
        match self.phase {
            Phase::Connecting => {
                if self.progress.awaiting.is_some() || self.progress.retry_at.is_some() {
                    return None;
                }
                let step = self.next_connect_step();
                self.progress.awaiting = Some(step);
                self.progress.current = Some(step);
                Some(step)
            }
            Phase::Established if std::mem::take(&mut self.stop_listening) => Some(ConnectAction::StopListening),
            _ => None,
        }
    }

    /// The result of the connect once it is over: `None` while idle or connecting,
    /// `Some(Ok(()))` once connected (whatever happened since), `Some(Err(..))` after the connect
    /// failed (its timeout or its OS error) or once the pipe was closed without connecting.
    ///
    /// A timeout says which step the connect was waiting for at the deadline
    /// ([`ConnectError::Timeout::waiting_for`](ConnectError::Timeout)): the step that was being
    /// retried or was still outstanding. It tells the IO owner what the peer never did.
    ///
    /// ```
    /// use pipe_proto::{Config, ConnectAction, ConnectError, Connection, Event, Side, Transport};
    /// use std::time::{Duration, Instant};
    ///
    /// let start = Instant::now();
    /// let timeout = Duration::from_secs(1);
    /// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// conn.connect(start, timeout)?;
    /// assert_eq!(conn.poll_connect(), None);
    /// assert_eq!(conn.poll_connect_action(), Some(ConnectAction::Dial));
    /// conn.handle_event(start, Event::NotReady); // refused: nobody listens
    /// conn.handle_timeout(start + timeout);
    /// assert_eq!(
    ///     conn.poll_connect(),
    ///     Some(Err(ConnectError::Timeout { timeout, waiting_for: Some(ConnectAction::Dial) }))
    /// );
    /// # Ok::<(), pipe_proto::ConnectError>(())
    /// ```
    pub fn poll_connect(&self) -> Option<Result<(), ConnectError>> {
        match &self.phase {
            Phase::Idle | Phase::Connecting => None,
            Phase::ConnectFailed(Failure::Timeout(timeout)) => {
                Some(Err(ConnectError::Timeout { timeout: *timeout, waiting_for: self.progress.current }))
            }
            Phase::ConnectFailed(failure) => Some(Err(ConnectError::Failed(failure.clone()))),
            Phase::Established => Some(Ok(())),
            Phase::Closed => Some(Err(ConnectError::InvalidState { state: State::Closed })),
        }
    }

    /// The answer to [`close`](Self::close): `None` until the close is over; then `Ok(())` when
    /// every frame queued before it was handed to the OS and the write side closed, or the
    /// failure (with the frames and bytes that were not delivered, if any). A connection closed
    /// before it connected answers `Ok(())`.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Failure, SendError, Side, Transport, Undelivered};
    ///
    /// let mut conn = Connection::established(Transport::Fifo, Side::Client, Config::default());
    /// conn.send_slice(b"never written")?;
    /// conn.close();
    /// let gone = Failure::io(std::io::ErrorKind::BrokenPipe, None, "Broken pipe");
    /// conn.handle_write_error(gone.clone());
    /// let lost = Undelivered { frames: 1, bytes: 17 };
    /// assert_eq!(conn.poll_close(), Some(Err(SendError::Undelivered { undelivered: lost, cause: gone })));
    /// # Ok::<(), SendError>(())
    /// ```
    pub fn poll_close(&mut self) -> Option<Result<(), SendError>> {
        match self.phase {
            Phase::Closed => Some(Ok(())),
            Phase::Established => self.send.poll_close(),
            Phase::Idle | Phase::Connecting | Phase::ConnectFailed(_) => None,
        }
    }

    /// The next received frame or close, an error, or `None` when more bytes must be read first
    /// (see [`RecvHalf::poll_recv`]). After the peer's close it keeps returning
    /// [`Received::PeerClosed`].
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, RecvError, Side, Transport};
    ///
    /// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// conn.close();
    /// assert_eq!(conn.poll_recv(), Some(Err(RecvError::ClosedLocally)));
    /// ```
    #[inline(always)]
    pub fn poll_recv(&mut self) -> Option<Result<Received, RecvError>> {
        self.recv.poll_recv()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next: while connecting, the
    /// earlier of the next retry and the deadline; once connected, the hang-up probe while the
    /// reader waits on a FIFO (see [`RecvHalf::poll_timeout`]). `None` when no timer runs.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// use std::time::{Duration, Instant};
    ///
    /// let start = Instant::now();
    /// let mut conn = Connection::new(Transport::Tcp, Side::Channel, Config::default());
    /// assert_eq!(conn.poll_timeout(), None);
    /// conn.connect(start, Duration::from_secs(3))?;
    /// assert_eq!(conn.poll_timeout(), Some(start + Duration::from_secs(3)));
    /// # Ok::<(), pipe_proto::ConnectError>(())
    /// ```
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Connecting => match (self.progress.retry_at, self.progress.deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            Phase::Established => self.recv.poll_timeout(),
            Phase::Idle | Phase::ConnectFailed(_) | Phase::Closed => None,
        }
    }

    /// Space for the next read (see [`Inbox::read_buf`](crate::Inbox::read_buf)); also where a
    /// connect's [`ConnectAction::ProbeRead`] reads.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// let mut conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
    /// assert!(!conn.read_buf().is_empty());
    /// ```
    #[inline]
    pub fn read_buf(&mut self) -> &mut [u8] {
        self.recv.read_buf()
    }

    /// Space for the next read that is not zeroed first (see
    /// [`Inbox::read_buf_uninit`](crate::Inbox::read_buf_uninit)).
    ///
    /// ```
    /// use bytes::BufMut;
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// let mut conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
    /// assert!(conn.read_buf_uninit().remaining_mut() > 0);
    /// ```
    #[inline]
    pub fn read_buf_uninit(&mut self) -> Limit<&mut BytesMut> {
        self.recv.read_buf_uninit()
    }

    /// The queued bytes to write, as slices for one vectored write (see
    /// [`SendHalf::io_slices`]).
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// use std::io::IoSlice;
    /// let conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
    /// let mut slices = [IoSlice::new(&[]); 4];
    /// assert_eq!(conn.io_slices(&mut slices), 0);
    /// ```
    #[inline]
    pub fn io_slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        self.send.io_slices(out)
    }

    /// Splits an open connection into its receive and send halves, to be driven separately (a
    /// reader task and a writer task), with the rules of the whole connection: the send half
    /// learns the peer's close and the receive half's failure at its next call. Anything but an
    /// open connection is returned unchanged, and so is one whose
    /// [`ConnectAction::StopListening`] has not been taken yet.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// let conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
    /// assert!(conn.into_split().is_err(), "not open yet");
    /// let conn = Connection::established(Transport::Fifo, Side::Client, Config::default());
    /// let (recv, send) = conn.into_split().unwrap();
    /// assert!(recv.wants_read() && send.is_ready());
    /// ```
    // Handing the connection back by value is the point: the caller keeps driving it.
    #[allow(clippy::result_large_err)]
    pub fn into_split(self) -> Result<(RecvHalf, SendHalf), Self> {
        if self.state() == State::Open && !self.stop_listening {
            Ok((self.recv, self.send))
        } else {
            Err(self)
        }
    }

    /// Puts back together the two halves [`into_split`](Self::into_split) gave out, as an
    /// established connection playing `side`, in whatever state the halves reached. Halves of
    /// different connections are handed back unchanged.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, State, Transport};
    ///
    /// let (recv, mut send) = Connection::established(Transport::Tcp, Side::Client, Config::default())
    ///     .into_split()
    ///     .unwrap();
    /// send.send_slice(b"queued while split")?;
    /// let conn = Connection::reunite(recv, send, Side::Client).unwrap();
    /// assert_eq!(conn.state(), State::Open);
    /// assert_eq!(conn.send_half().buffered_len(), 22);
    ///
    /// let (recv, _) = Connection::established(Transport::Tcp, Side::Client, Config::default()).into_split().unwrap();
    /// let (_, send) = Connection::established(Transport::Tcp, Side::Client, Config::default()).into_split().unwrap();
    /// assert!(Connection::reunite(recv, send, Side::Client).is_err(), "not the same connection");
    /// # Ok::<(), pipe_proto::SendError>(())
    /// ```
    // Handing the halves back by value is the point: the caller keeps them.
    #[allow(clippy::result_large_err)]
    pub fn reunite(recv: RecvHalf, send: SendHalf, side: Side) -> Result<Self, (RecvHalf, SendHalf)> {
        if !Arc::ptr_eq(recv.link(), send.link()) {
            return Err((recv, send));
        }
        let config = send.link().config();
        Ok(Self {
            transport: send.transport(),
            side,
            phase: Phase::Established,
            progress: ConnectProgress::default(),
            backoff: Backoff::new(config.first_retry_delay, config.max_retry_delay),
            stop_listening: false,
            // Split only once connected: a peer met us at the rendezvous, if there is one.
            rendezvous_ready: false,
            has_rendezvous: send.link().has_rendezvous(),
            recv,
            send,
        })
    }

    // ---- internals ----

    fn next_connect_step(&self) -> ConnectAction {
        let progress = &self.progress;
        match (self.transport, self.side) {
            (_, Side::Channel) if !self.rendezvous_ready => ConnectAction::Listen,
            (Transport::Fifo, _) if !progress.read_open => ConnectAction::OpenRead,
            (Transport::Fifo, _) if !progress.write_open => ConnectAction::OpenWrite,
            (Transport::Fifo, _) => ConnectAction::ProbeRead,
            (Transport::Tcp, Side::Channel) => ConnectAction::Accept,
            (Transport::Tcp, Side::Client) => ConnectAction::Dial,
        }
    }

    fn open(&mut self) {
        self.phase = Phase::Established;
        self.rendezvous_ready = false;
        self.progress.deadline = None;
        self.progress.retry_at = None;
        self.recv.open();
        self.send.open();
    }

    fn fail_connect(&mut self, failure: Failure) {
        self.phase = Phase::ConnectFailed(failure);
        self.progress.awaiting = None;
        self.progress.retry_at = None;
        self.stop_listening = false;
    }
}

enum StepOutcome {
    Advanced,
    Retry,
    Connected,
}

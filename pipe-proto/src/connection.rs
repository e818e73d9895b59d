//! The connection state machine: one pipe end from creation to closed.
//!
//! ```text
//!            connect(now, timeout)          all steps done
//!   Idle ────────────────────────► Connecting ───────────────► Open
//!    │                               │    ▲                     │ close()
//!    │ close()          deadline     │    │ connect() again     ▼
//!    │                  or IO error  ▼    │ (after a timeout)  Closing ── queue drained ──► Closed
//!    └──────────► Closed          Failed ─┘                     │
//!                                    ▲                          │ IO error
//!                                    └──────────────────────────┘
//! ```
//!
//! Connect steps, per transport and side (each asked for with an [`Action`], answered with an
//! [`Event`]):
//!
//! | transport, side | steps |
//! |---|---|
//! | FIFO, both | [`Action::OpenRead`], then [`Action::OpenWrite`] (retried while [`Event::NotReady`]: the peer's read end is not open), then [`Action::ProbeRead`] (retried while it reads EOF: the peer's write end is not open yet) |
//! | TCP, channel | [`Action::Accept`] (one peer), then [`Action::StopListening`] |
//! | TCP, client | [`Action::Dial`] (retried while [`Event::NotReady`]: refused) |
//!
//! The probe is what makes "connected" mean usable both ways: a FIFO read end with no writer
//! yet reads as EOF, so a read right after a connect that skipped it could report a false close.

use std::fmt;
use std::io::IoSlice;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::config::Config;
use crate::decoder::Received;
use crate::error::{ConnectError, RecvError, SendError};
use crate::inbox::Inbox;
use crate::outbox::Outbox;
use crate::retry::Backoff;

/// The kind of OS object carrying the pipe. It decides the connect steps and how a close looks
/// on the wire.
///
/// ```
/// assert_ne!(pipe_proto::Transport::Fifo, pipe_proto::Transport::Tcp);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Two POSIX named pipes, one per direction. Closing sends a zero-length frame.
    Fifo,
    /// One loopback TCP connection. Closing half-closes the socket, with no zero frame.
    Tcp,
}

/// Which end of the rendezvous this is.
///
/// ```
/// assert_ne!(pipe_proto::Side::Channel, pipe_proto::Side::Client);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Creates the rendezvous (the FIFOs, or the listening socket) and waits for the client.
    Channel,
    /// Joins a rendezvous created elsewhere.
    Client,
}

/// Where a connection is in its life.
///
/// ```
/// use pipe_proto::{Config, Connection, Side, State, Transport};
///
/// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
/// assert_eq!(conn.state(), State::Idle);
/// conn.close();
/// assert_eq!(conn.state(), State::Closed);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Created; [`Connection::connect`] not called yet.
    Idle,
    /// Opening, accepting or dialling, with a deadline.
    Connecting,
    /// Usable both ways.
    Open,
    /// [`Connection::close`] called: the transmit queue (and close marker) drains.
    Closing,
    /// Done; the IO owner releases every OS object.
    Closed,
    /// The connect timed out, or the IO owner reported an error. After a timeout,
    /// [`Connection::connect`] may be called again.
    Failed,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            State::Idle => "idle",
            State::Connecting => "connecting",
            State::Open => "open",
            State::Closing => "closing",
            State::Closed => "closed",
            State::Failed => "failed",
        };
        f.write_str(name)
    }
}

/// Something the IO owner must do. Actions marked "answer" expect an [`Event`] through
/// [`Connection::handle_event`]; until it comes, no other connect action is handed out.
///
/// ```
/// use pipe_proto::{Action, Config, Connection, Side, Transport};
/// use std::time::{Duration, Instant};
///
/// let mut conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
/// conn.connect(Instant::now(), Duration::from_secs(1))?;
/// assert_eq!(conn.poll_action(), Some(Action::OpenRead));
/// assert_eq!(conn.poll_action(), None, "waiting for the answer");
/// # Ok::<(), pipe_proto::ConnectError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// FIFO: open the read end, non-blocking. Answer: [`Event::Done`] or [`Event::Failed`].
    OpenRead,
    /// FIFO: open the write end, non-blocking. Answer: [`Event::Done`], [`Event::NotReady`] if the
    /// OS says no reader is there yet (`ENXIO`), or [`Event::Failed`].
    OpenWrite,
    /// FIFO: one non-blocking read into [`Connection::read_buf`], to learn whether the peer's
    /// write end is open. Answer: [`Event::Read`] with the count (0 for EOF: no writer yet),
    /// [`Event::WouldBlock`] (a writer, no data yet) or [`Event::Failed`].
    ProbeRead,
    /// TCP channel: accept one connection on the listener (this may take until the deadline).
    /// Answer: [`Event::Done`] or [`Event::Failed`].
    Accept,
    /// TCP client: connect to the channel. Answer: [`Event::Done`], [`Event::NotReady`] if
    /// refused, or [`Event::Failed`].
    Dial,
    /// TCP channel: close the listener, so that no second peer can connect. No answer.
    StopListening,
    /// Write [`Connection::io_slices`] and report the count with [`Connection::handle_written`].
    /// Handed out as long as bytes are queued; on `WouldBlock`, wait for writability first.
    Transmit,
    /// The queue (and close marker) drained: close the write side (FIFO: close the write end;
    /// TCP: shut down the write half). No answer; the send side is closed from then on.
    CloseWrite,
}

/// What happened when the IO owner carried out an [`Action`].
///
/// ```
/// let event = pipe_proto::Event::Read(0);
/// assert_eq!(event, pipe_proto::Event::Read(0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// The open, accept or dial succeeded.
    Done,
    /// The peer is not there yet (FIFO `ENXIO`, TCP connection refused): retry later.
    NotReady,
    /// A read put this many bytes into [`Connection::read_buf`]; 0 means end of stream.
    Read(usize),
    /// A non-blocking read found nothing to read (and, on a FIFO, a writer present).
    WouldBlock,
    /// An OS error that ends the connection (the IO owner keeps the error to show its user).
    Failed,
}

/// Why the connection is in [`State::Failed`].
///
/// ```
/// use pipe_proto::{Config, Connection, Failure, Side, Transport};
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// let mut conn = Connection::new(Transport::Tcp, Side::Channel, Config::default());
/// conn.connect(start, Duration::from_secs(1))?;
/// conn.handle_timeout(start + Duration::from_secs(1));
/// assert_eq!(conn.failure(), Some(Failure::Timeout(Duration::from_secs(1))));
/// # Ok::<(), pipe_proto::ConnectError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The connect's deadline passed; carries the timeout it was given.
    Timeout(Duration),
    /// The IO owner reported [`Event::Failed`].
    Io,
}

/// Progress of the current connect.
#[derive(Debug, Clone, Default)]
struct ConnectProgress {
    read_open: bool,
    write_open: bool,
    peer_writer_seen: bool,
    /// The action handed out and not answered yet.
    awaiting: Option<Action>,
    /// The next attempt of the current step is due then.
    retry_at: Option<Instant>,
    deadline: Option<Instant>,
    timeout: Duration,
    attempts: u32,
}

/// One end of a pipe, from creation to closed, with no IO and no clock.
///
/// Its methods come in four groups, in the style of quinn-proto:
/// - **getters**: [`state`](Self::state), [`transport`](Self::transport), [`side`](Self::side),
///   [`failure`](Self::failure), [`attempts`](Self::attempts), [`is_send_ready`](Self::is_send_ready);
/// - **commands** from the application: [`connect`](Self::connect), [`send`](Self::send),
///   [`close`](Self::close);
/// - **inputs** from the IO owner: [`handle_event`](Self::handle_event),
///   [`handle_timeout`](Self::handle_timeout), [`handle_read`](Self::handle_read),
///   [`handle_written`](Self::handle_written), all that take time taking `now`;
/// - **outputs**, polled in this order until each returns `None`:
///   [`poll_action`](Self::poll_action), [`poll_recv`](Self::poll_recv), then
///   [`poll_timeout`](Self::poll_timeout) says when to call [`handle_timeout`](Self::handle_timeout).
///
/// See the crate documentation for the complete driving loop.
///
/// ```
/// use pipe_proto::{Action, Config, Connection, Event, Side, State, Transport};
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
/// conn.connect(start, Duration::from_secs(5))?;
/// assert_eq!(conn.poll_action(), Some(Action::Dial));
/// conn.handle_event(start, Event::NotReady); // connection refused
/// assert_eq!(conn.poll_action(), None);
/// let retry = conn.poll_timeout().unwrap();
/// conn.handle_timeout(retry);
/// assert_eq!(conn.poll_action(), Some(Action::Dial));
/// conn.handle_event(retry, Event::Done);
/// assert_eq!(conn.state(), State::Open);
/// # Ok::<(), pipe_proto::ConnectError>(())
/// ```
#[derive(Debug)]
pub struct Connection {
    transport: Transport,
    side: Side,
    state: State,
    failure: Option<Failure>,
    progress: ConnectProgress,
    backoff: Backoff,
    stop_listening: bool,
    inbox: Inbox,
    outbox: Outbox,
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
        Self {
            transport,
            side,
            state: State::Idle,
            failure: None,
            progress: ConnectProgress::default(),
            backoff: Backoff::new(config.first_retry_delay, config.max_retry_delay),
            stop_listening: false,
            inbox: Inbox::new(&config),
            outbox: Outbox::new(transport, &config),
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
        let mut conn = Self::new(transport, side, config);
        conn.open();
        conn
    }

    // ---- getters ----

    /// The current state.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, State, Transport};
    /// assert_eq!(Connection::new(Transport::Tcp, Side::Channel, Config::default()).state(), State::Idle);
    /// ```
    pub fn state(&self) -> State {
        self.state
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

    /// Why the connection failed, in [`State::Failed`].
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// assert_eq!(Connection::new(Transport::Tcp, Side::Client, Config::default()).failure(), None);
    /// ```
    pub fn failure(&self) -> Option<Failure> {
        self.failure
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
        self.outbox.is_ready()
    }

    /// The sending half, for inspection.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// assert!(Connection::new(Transport::Tcp, Side::Client, Config::default()).outbox().is_flushed());
    /// ```
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The receiving half, for inspection.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// assert_eq!(Connection::new(Transport::Tcp, Side::Client, Config::default()).inbox().pending_len(), 0);
    /// ```
    pub fn inbox(&self) -> &Inbox {
        &self.inbox
    }

    // ---- commands ----

    /// Starts connecting, with a fresh budget: the connect fails with
    /// [`ConnectError::Timeout`] (through [`poll_connect`](Self::poll_connect)) at exactly
    /// `now + timeout` unless the peer completed the rendezvous. Allowed when idle, again after a
    /// connect that timed out, and while connecting (the IO owner abandoned a connect, for example
    /// a cancelled future: the outstanding action is forgotten and handed out again). Steps
    /// already done stay done.
    ///
    /// ```
    /// use pipe_proto::{Action, Config, ConnectError, Connection, Event, Side, State, Transport};
    /// use std::time::{Duration, Instant};
    ///
    /// let now = Instant::now();
    /// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// conn.connect(now, Duration::from_secs(1))?;
    /// assert_eq!(conn.poll_action(), Some(Action::Dial));
    /// conn.connect(now, Duration::from_secs(1))?; // the first attempt was abandoned
    /// assert_eq!(conn.poll_action(), Some(Action::Dial));
    /// conn.handle_event(now, Event::Done);
    /// assert_eq!(conn.connect(now, Duration::from_secs(1)),
    ///            Err(ConnectError::InvalidState { state: State::Open }));
    /// # Ok::<(), ConnectError>(())
    /// ```
    pub fn connect(&mut self, now: Instant, timeout: Duration) -> Result<(), ConnectError> {
        let may_connect = match self.state {
            State::Idle | State::Connecting => true,
            State::Failed => matches!(self.failure, Some(Failure::Timeout(_))),
            _ => false,
        };
        if !may_connect {
            return Err(ConnectError::InvalidState { state: self.state });
        }
        self.state = State::Connecting;
        self.failure = None;
        self.backoff.reset();
        let progress = &mut self.progress;
        progress.awaiting = None;
        progress.retry_at = None;
        progress.deadline = now.checked_add(timeout);
        progress.timeout = timeout;
        progress.attempts = 0;
        Ok(())
    }

    /// Queues one frame for sending. Empty and oversized frames are refused before anything is
    /// queued; so is any frame when the pipe is not open or the peer has closed.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport, Event, SendError, EncodeError};
    /// # use std::time::{Duration, Instant};
    /// # let now = Instant::now();
    /// # let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// # conn.connect(now, Duration::from_secs(1))?;
    /// # conn.poll_action();
    /// # conn.handle_event(now, Event::Done);
    /// conn.send("hello".into())?;
    /// assert_eq!(conn.send("".into()), Err(SendError::Frame(EncodeError::Empty)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn send(&mut self, payload: Bytes) -> Result<(), SendError> {
        self.check_sendable()?;
        self.outbox.push(payload)
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
        self.check_sendable()?;
        self.outbox.push_slice(payload)
    }

    /// Closes gracefully: queued frames still go out, then the transport's close (FIFO: the
    /// zero-length frame, unless the peer already closed; TCP: a half-close), then
    /// [`State::Closed`]. Before the pipe is open, or after a failure, it closes at once.
    /// Closing twice is harmless.
    ///
    /// ```
    /// # use pipe_proto::{Action, Config, Connection, Side, State, Transport, Event};
    /// # use std::time::{Duration, Instant};
    /// # let now = Instant::now();
    /// # let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// # conn.connect(now, Duration::from_secs(1))?;
    /// # conn.poll_action();
    /// # conn.handle_event(now, Event::Done);
    /// conn.close();
    /// conn.close();
    /// assert_eq!(conn.state(), State::Closing);
    /// assert_eq!(conn.poll_action(), Some(Action::CloseWrite));
    /// assert_eq!(conn.state(), State::Closed);
    /// # Ok::<(), pipe_proto::ConnectError>(())
    /// ```
    pub fn close(&mut self) {
        match self.state {
            State::Idle | State::Connecting | State::Failed => {
                self.state = State::Closed;
                self.progress.awaiting = None;
                self.progress.retry_at = None;
                self.outbox.fail();
            }
            State::Open => {
                self.state = State::Closing;
                self.outbox.close_with_marker(!self.inbox.is_closed());
            }
            State::Closing | State::Closed => {}
        }
    }

    // ---- inputs ----

    /// Reports the outcome of the last connect [`Action`] (or of a probe read). Events that answer
    /// no outstanding action are ignored, except [`Event::Failed`], which always fails the
    /// connection, and [`Event::Read`] when open, which is the same as
    /// [`handle_read`](Self::handle_read).
    ///
    /// ```
    /// use pipe_proto::{Action, Config, Connection, Event, Side, State, Transport};
    /// use std::time::{Duration, Instant};
    ///
    /// let now = Instant::now();
    /// let mut conn = Connection::new(Transport::Tcp, Side::Channel, Config::default());
    /// conn.connect(now, Duration::from_secs(1))?;
    /// assert_eq!(conn.poll_action(), Some(Action::Accept));
    /// conn.handle_event(now, Event::Done);
    /// assert_eq!(conn.poll_action(), Some(Action::StopListening));
    /// assert_eq!(conn.state(), State::Open);
    /// # Ok::<(), pipe_proto::ConnectError>(())
    /// ```
    pub fn handle_event(&mut self, now: Instant, event: Event) {
        if event == Event::Failed {
            self.fail(Failure::Io);
            return;
        }
        match self.state {
            State::Connecting => self.handle_connect_event(now, event),
            State::Open | State::Closing => {
                if let Event::Read(n) = event {
                    self.handle_read(n);
                }
            }
            State::Idle | State::Closed | State::Failed => {}
        }
    }

    /// Reports that `n` bytes were read into [`read_buf`](Self::read_buf) (0: end of stream).
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport, Event, Received};
    /// # use std::time::{Duration, Instant};
    /// # let now = Instant::now();
    /// # let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// # conn.connect(now, Duration::from_secs(1))?;
    /// # conn.poll_action();
    /// # conn.handle_event(now, Event::Done);
    /// conn.read_buf()[..5].copy_from_slice(&[0, 0, 0, 1, 7]);
    /// conn.handle_read(5);
    /// assert_eq!(conn.poll_recv(), Some(Ok(Received::Frame(vec![7].into()))));
    /// # Ok::<(), pipe_proto::ConnectError>(())
    /// ```
    #[inline]
    pub fn handle_read(&mut self, n: usize) {
        self.inbox.handle_read(n);
    }

    /// Reports that the first `n` bytes of [`io_slices`](Self::io_slices) were written.
    ///
    /// ```
    /// # use pipe_proto::{Config, Connection, Side, Transport, Event};
    /// # use std::time::{Duration, Instant};
    /// # let now = Instant::now();
    /// # let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// # conn.connect(now, Duration::from_secs(1))?;
    /// # conn.poll_action();
    /// # conn.handle_event(now, Event::Done);
    /// conn.send("abc".into())?;
    /// conn.handle_written(7);
    /// assert!(conn.outbox().is_flushed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn handle_written(&mut self, n: usize) {
        self.outbox.advance(n);
    }

    /// Lets time pass: a retry that is due is handed out again by
    /// [`poll_action`](Self::poll_action); at the deadline the connect fails with a timeout.
    /// Call it when [`poll_timeout`](Self::poll_timeout) is reached (calling it early is harmless).
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Failure, Side, State, Transport};
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
        if self.state != State::Connecting {
            return;
        }
        if self.progress.deadline.is_some_and(|deadline| now >= deadline) {
            self.fail(Failure::Timeout(self.progress.timeout));
            return;
        }
        if self.progress.retry_at.is_some_and(|at| now >= at) {
            self.progress.retry_at = None;
        }
    }

    // ---- outputs ----

    /// The next thing the IO owner must do, or `None` when there is nothing to do until an event,
    /// a timeout, or new data to send.
    ///
    /// ```
    /// use pipe_proto::{Action, Config, Connection, Side, Transport};
    /// use std::time::{Duration, Instant};
    ///
    /// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// assert_eq!(conn.poll_action(), None, "idle: nothing to do");
    /// conn.connect(Instant::now(), Duration::from_secs(1))?;
    /// assert_eq!(conn.poll_action(), Some(Action::Dial));
    /// # Ok::<(), pipe_proto::ConnectError>(())
    /// ```
    pub fn poll_action(&mut self) -> Option<Action> {
        match self.state {
            State::Connecting => {
                if self.progress.awaiting.is_some() || self.progress.retry_at.is_some() {
                    return None;
                }
                let step = self.next_connect_step();
                self.progress.awaiting = Some(step);
                Some(step)
            }
            State::Open => {
                if std::mem::take(&mut self.stop_listening) {
                    return Some(Action::StopListening);
                }
                self.outbox.poll_action()
            }
            State::Closing => {
                let action = self.outbox.poll_action();
                if self.outbox.is_closed() {
                    self.state = State::Closed;
                }
                action
            }
            State::Idle | State::Closed | State::Failed => None,
        }
    }

    /// The result of the connect once it is over: `None` while idle or connecting, `Some(Ok(()))`
    /// once open (or later), `Some(Err(timeout))` after the deadline passed.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// use std::time::{Duration, Instant};
    ///
    /// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// conn.connect(Instant::now(), Duration::from_secs(1))?;
    /// assert_eq!(conn.poll_connect(), None);
    /// # Ok::<(), pipe_proto::ConnectError>(())
    /// ```
    pub fn poll_connect(&self) -> Option<Result<(), ConnectError>> {
        match (self.state, self.failure) {
            (State::Idle | State::Connecting, _) => None,
            (State::Failed, Some(Failure::Timeout(timeout))) => Some(Err(ConnectError::Timeout { timeout })),
            (State::Failed | State::Closed, _) => Some(Err(ConnectError::InvalidState { state: self.state })),
            (State::Open | State::Closing, _) => Some(Ok(())),
        }
    }

    /// The next received frame or close, an error, or `None` when more bytes must be read first
    /// (read into [`read_buf`](Self::read_buf), then [`handle_read`](Self::handle_read)).
    /// After the peer's close it keeps returning [`Received::Closed`].
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, RecvError, Side, Transport};
    ///
    /// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
    /// conn.close();
    /// assert_eq!(conn.poll_recv(), Some(Err(RecvError::Closed)));
    /// ```
    #[inline(always)]
    pub fn poll_recv(&mut self) -> Option<Result<Received, RecvError>> {
        match self.state {
            State::Open => self.inbox.poll_frame().map(|r| r.map_err(RecvError::from)),
            State::Idle | State::Connecting => Some(Err(RecvError::NotConnected)),
            State::Closing | State::Closed => Some(Err(RecvError::Closed)),
            State::Failed => Some(Err(RecvError::Failed)),
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next: the earlier of the next
    /// retry and the connect deadline. `None` when no timer runs (not connecting).
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
        if self.state != State::Connecting {
            return None;
        }
        match (self.progress.retry_at, self.progress.deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Space for the next read (see [`Inbox::read_buf`]).
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// let mut conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
    /// assert!(!conn.read_buf().is_empty());
    /// ```
    #[inline]
    pub fn read_buf(&mut self) -> &mut [u8] {
        self.inbox.read_buf()
    }

    /// Space for the next read that is not zeroed first (see [`Inbox::read_buf_uninit`]).
    ///
    /// ```
    /// use bytes::BufMut;
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// let mut conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
    /// assert!(conn.read_buf_uninit().remaining_mut() > 0);
    /// ```
    #[inline]
    pub fn read_buf_uninit(&mut self) -> bytes::buf::Limit<&mut bytes::BytesMut> {
        self.inbox.read_buf_uninit()
    }

    /// The queued bytes to write, as slices for one vectored write (see [`Outbox::io_slices`]).
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
        self.outbox.io_slices(out)
    }

    /// Splits an open connection into its receiving and sending halves, to be driven separately
    /// (a reader task and a writer task). Anything else is returned unchanged, and so is a
    /// connection whose [`Action::StopListening`] has not been taken yet.
    ///
    /// ```
    /// use pipe_proto::{Config, Connection, Side, Transport};
    /// let conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
    /// assert!(conn.into_split().is_err(), "not open yet");
    /// ```
    // Handing the connection back by value is the point: the caller keeps driving it.
    #[allow(clippy::result_large_err)]
    pub fn into_split(self) -> Result<(Inbox, Outbox), Self> {
        if self.state == State::Open && !self.stop_listening {
            Ok((self.inbox, self.outbox))
        } else {
            Err(self)
        }
    }

    // ---- internals ----

    fn check_sendable(&self) -> Result<(), SendError> {
        match self.state {
            State::Open if self.inbox.is_closed() => Err(SendError::PeerClosed),
            State::Open => Ok(()),
            State::Idle | State::Connecting => Err(SendError::NotConnected),
            State::Closing | State::Closed => Err(SendError::Closed),
            State::Failed => Err(SendError::Failed),
        }
    }

    fn next_connect_step(&self) -> Action {
        let progress = &self.progress;
        match (self.transport, self.side) {
            (Transport::Fifo, _) if !progress.read_open => Action::OpenRead,
            (Transport::Fifo, _) if !progress.write_open => Action::OpenWrite,
            (Transport::Fifo, _) => Action::ProbeRead,
            (Transport::Tcp, Side::Channel) => Action::Accept,
            (Transport::Tcp, Side::Client) => Action::Dial,
        }
    }

    fn handle_connect_event(&mut self, now: Instant, event: Event) {
        let Some(step) = self.progress.awaiting else {
            return;
        };
        let progress = &mut self.progress;
        let outcome = match (step, event) {
            (Action::OpenRead, Event::Done) => {
                progress.read_open = true;
                StepOutcome::Advanced
            }
            (Action::OpenWrite, Event::Done) => {
                progress.write_open = true;
                StepOutcome::Advanced
            }
            (Action::OpenWrite | Action::Dial | Action::ProbeRead, Event::NotReady)
            | (Action::ProbeRead, Event::Read(0)) => StepOutcome::Retry,
            (Action::ProbeRead, Event::Read(n)) => {
                self.inbox.handle_read(n);
                progress.peer_writer_seen = true;
                StepOutcome::Advanced
            }
            (Action::ProbeRead, Event::WouldBlock) => {
                progress.peer_writer_seen = true;
                StepOutcome::Advanced
            }
            (Action::Accept, Event::Done) => {
                self.stop_listening = true;
                StepOutcome::Connected
            }
            (Action::Dial, Event::Done) => StepOutcome::Connected,
            // Anything else does not answer the outstanding action.
            _ => return,
        };
        progress.awaiting = None;
        match outcome {
            StepOutcome::Retry => {
                progress.attempts += 1;
                progress.retry_at = Some(self.backoff.next_attempt(now, progress.deadline));
            }
            StepOutcome::Advanced => {
                self.backoff.reset();
                if progress.peer_writer_seen {
                    self.open();
                }
            }
            StepOutcome::Connected => self.open(),
        }
    }

    fn open(&mut self) {
        self.state = State::Open;
        self.progress.deadline = None;
        self.progress.retry_at = None;
    }

    fn fail(&mut self, failure: Failure) {
        if matches!(self.state, State::Closed | State::Failed) {
            return;
        }
        self.state = State::Failed;
        self.failure = Some(failure);
        self.progress.awaiting = None;
        self.progress.retry_at = None;
        self.stop_listening = false;
        if failure == Failure::Io {
            self.outbox.fail();
        }
    }
}

enum StepOutcome {
    Advanced,
    Retry,
    Connected,
}

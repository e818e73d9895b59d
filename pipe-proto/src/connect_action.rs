//! The connect steps: what the IO owner is asked to do, one step at a time, while a
//! [`Connection`](crate::Connection) meets its peer.

/// A connect step the IO owner must carry out. All but [`StopListening`](Self::StopListening)
/// expect an [`Event`](crate::Event) through [`Connection::handle_event`](crate::Connection::handle_event); until it comes, no other connect
/// action is handed out.
///
/// ```
/// use pipe_proto::{Config, ConnectAction, Connection, Side, Transport};
/// use std::time::{Duration, Instant};
///
/// let mut conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
/// conn.connect(Instant::now(), Duration::from_secs(1))?;
/// assert_eq!(conn.poll_connect_action(), Some(ConnectAction::OpenRead));
/// assert_eq!(conn.poll_connect_action(), None, "waiting for the answer");
/// # Ok::<(), pipe_proto::ConnectError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectAction {
    /// FIFO: open the read end, non-blocking. Answer: [`Event::Done`](crate::Event::Done) or [`Event::Failed`](crate::Event::Failed).
    OpenRead,
    /// FIFO: open the write end, non-blocking. Answer: [`Event::Done`](crate::Event::Done), [`Event::NotReady`](crate::Event::NotReady) if the
    /// OS says no reader is there yet (`ENXIO`), or [`Event::Failed`](crate::Event::Failed).
    OpenWrite,
    /// FIFO: one non-blocking read into [`Connection::read_buf`](crate::Connection::read_buf), to learn whether the peer's
    /// write end is open. Answer: [`Event::Read`](crate::Event::Read) with the count (0 for EOF: no writer yet),
    /// [`Event::WouldBlock`](crate::Event::WouldBlock) (a writer, no data yet) or [`Event::Failed`](crate::Event::Failed).
    ProbeRead,
    /// TCP channel: accept one connection on the listener (this may take until the deadline).
    /// Answer: [`Event::Done`](crate::Event::Done) when the connection is taken as the peer, [`Event::NotReady`](crate::Event::NotReady)
    /// when the IO owner closed it instead because [`Config::admits_peer`](crate::Config::admits_peer) refused its owner
    /// (the listener stays open and the accept is retried, so a refused connection never uses
    /// up the single accept), or [`Event::Failed`](crate::Event::Failed).
    ///
    /// ```
    /// use pipe_proto::{Config, ConnectAction, Connection, Event, Side, State, Transport};
    /// use std::time::{Duration, Instant};
    ///
    /// let start = Instant::now();
    /// let mut conn = Connection::new(Transport::Tcp, Side::Channel, Config::default());
    /// conn.connect(start, Duration::from_secs(1))?;
    /// assert_eq!(conn.poll_connect_action(), Some(ConnectAction::Accept));
    /// conn.handle_event(start, Event::NotReady); // another user's connection: closed
    /// assert_eq!(conn.state(), State::Connecting);
    /// let retry = conn.poll_timeout().expect("a retry is due");
    /// conn.handle_timeout(retry);
    /// assert_eq!(conn.poll_connect_action(), Some(ConnectAction::Accept), "the listener is still open");
    /// conn.handle_event(retry, Event::Done); // our peer
    /// assert_eq!(conn.poll_connect_action(), Some(ConnectAction::StopListening));
    /// assert_eq!(conn.state(), State::Open);
    /// # Ok::<(), pipe_proto::ConnectError>(())
    /// ```
    Accept,
    /// TCP client: connect to the channel. Answer: [`Event::Done`](crate::Event::Done), [`Event::NotReady`](crate::Event::NotReady) if
    /// refused, or [`Event::Failed`](crate::Event::Failed).
    Dial,
    /// TCP channel: close the listener, so that no second peer can connect. No answer.
    StopListening,
    /// Channel, in a [`reconnect`](crate::Connection::reconnect) only: open the meeting place again
    /// for a new peer, at the same address. TCP: bind the listener again on the same port
    /// (closed since the last peer was accepted). FIFO: replace both FIFOs with new ones at the
    /// same paths, so that bytes the last peer or this side left in the old ones (a frame cut
    /// mid-write) never reach the new peer. Answer: [`Event::Done`](crate::Event::Done) or [`Event::Failed`](crate::Event::Failed) (the
    /// port taken by someone else meanwhile, say).
    ///
    /// ```
    /// use pipe_proto::{Config, ConnectAction, Connection, Event, Received, Side, Transport};
    /// use std::time::{Duration, Instant};
    ///
    /// let now = Instant::now();
    /// let mut conn = Connection::new(Transport::Tcp, Side::Channel, Config::default());
    /// conn.connect(now, Duration::from_secs(1))?;
    /// assert_eq!(conn.poll_connect_action(), Some(ConnectAction::Accept));
    /// conn.handle_event(now, Event::Done);
    /// assert_eq!(conn.poll_connect_action(), Some(ConnectAction::StopListening));
    /// conn.handle_read(0); // the peer went away
    /// assert_eq!(conn.poll_recv(), Some(Ok(Received::PeerClosed)));
    /// conn.reconnect(now, Duration::from_secs(1))?;
    /// assert_eq!(conn.poll_connect_action(), Some(ConnectAction::Listen));
    /// conn.handle_event(now, Event::Done);
    /// assert_eq!(conn.poll_connect_action(), Some(ConnectAction::Accept));
    /// # Ok::<(), pipe_proto::ConnectError>(())
    /// ```
    Listen,
}

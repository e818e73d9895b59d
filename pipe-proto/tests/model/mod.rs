//! A model of one [`Connection`] driven by arbitrary commands and IO results, shared by the
//! property tests (`connection_properties.rs`) and the `connection` fuzz target. [`run`] applies
//! the operations one by one, panicking when the connection leaves a documented state; after
//! every step:
//!
//! 1. **Transitions** follow the state diagram: Idle → Connecting | Closed | Failed;
//!    Connecting → Connecting (connect again) | Open | Failed | Closed; Open → Closing | Failed;
//!    Closing → Closed | Failed; Failed → Connecting (only after a timeout) | Closed;
//!    Closed → nothing.
//! 2. **Timers**: `poll_timeout` is `Some` exactly while connecting, never after the deadline
//!    of the current connect, and after `handle_timeout(now)` it is later than `now` (no busy
//!    loop). `handle_timeout` at or after the deadline fails the connect with a timeout.
//! 3. **Connect result**: `poll_connect` is `None` while idle or connecting, `Some(Ok)` while
//!    open or closing, `Some(Err(Timeout { timeout }))` with the last connect's timeout after a
//!    timeout, `Some(Err(InvalidState))` otherwise. `failure` is set exactly when failed (and
//!    may stay set once closed).
//! 4. **Actions**: connect actions come only while connecting, match the transport and side,
//!    and only one at a time until an event answers it; `Transmit` only while bytes are queued;
//!    `CloseWrite` once, with nothing queued, and the connection is closed from then on;
//!    `StopListening` only on a TCP channel, once per accept; nothing at all while idle, closed
//!    or failed.
//! 5. **Queue**: the slices from `io_slices` are exactly the frames accepted by `send`, in order,
//!    followed by the FIFO close marker when `close` adds one, minus what `handle_written`
//!    reported; `buffered_len` is their length; `is_send_ready` is `buffered_len < high_water_mark`;
//!    an I/O failure or a close before opening drops the queue.
//! 6. **Send results** are the documented ones for the state (`NotConnected`, `Closed`,
//!    `PeerClosed`, `Failed`, then `Empty` or `TooLarge`), and a refused send queues nothing.
//! 7. **Receive**: `poll_recv` gives `NotConnected`, `Closed` or `Failed` outside the open state;
//!    once open, after a close or a decode error it gives the same answer forever; the inbox never
//!    reports more pending bytes than it buffers (plus a consumed header).

use std::collections::VecDeque;
use std::io::IoSlice;
use std::time::{Duration, Instant};

use bytes::Bytes;
use pipe_proto::{
    Action, Config, ConnectError, Connection, EncodeError, Event, Failure, Received, RecvError, SendError, Side, State,
    Transport,
};

/// One step: an application command or an IO result.
#[derive(Debug, Clone)]
pub enum Op {
    Connect(Duration),
    Send {
        len: usize,
        by_ref: bool,
    },
    Close,
    PollAction,
    Event(Event),
    /// The IO owner's success answer to the outstanding connect action, if any.
    Succeed,
    /// `PollAction` then `Succeed`: one step with a peer that is there.
    Step,
    /// Bytes put into the read buffer and reported (empty: end of stream).
    Read(Vec<u8>),
    Written(usize),
    /// All queued bytes but this many were written.
    WrittenAllBut(usize),
    Advance(Duration),
    /// Jump to `poll_timeout` (if any) and call `handle_timeout` there.
    Timeout,
    PollRecv,
}

/// What the test knows independently of the connection.
struct Model {
    transport: Transport,
    side: Side,
    config: Config,
    now: Instant,
    /// Deadline and timeout of the current connect.
    deadline: Option<Instant>,
    timeout: Duration,
    /// Bytes that must come out of `io_slices`, in order.
    queued: VecDeque<u8>,
    /// The connect action handed out and not answered yet.
    outstanding: Option<Action>,
    close_write_seen: bool,
    stop_listening_due: bool,
    /// The first close or decode error `poll_recv` gave while open.
    recv_final: Option<Result<Received, RecvError>>,
}

impl Model {
    fn connect_actions(&self) -> &'static [Action] {
        match (self.transport, self.side) {
            (Transport::Fifo, _) => &[Action::OpenRead, Action::OpenWrite, Action::ProbeRead],
            (Transport::Tcp, Side::Channel) => &[Action::Accept],
            (Transport::Tcp, Side::Client) => &[Action::Dial],
        }
    }

    /// Whether `event` answers the outstanding action (as documented on [`Action`]).
    fn answers(action: Action, event: Event) -> bool {
        matches!(
            (action, event),
            (Action::OpenRead | Action::Accept, Event::Done)
                | (Action::OpenWrite | Action::Dial, Event::Done | Event::NotReady)
                | (Action::ProbeRead, Event::Read(_) | Event::WouldBlock | Event::NotReady)
        )
    }
}

fn allowed(from: State, to: State, failure_before: Option<Failure>) -> bool {
    use State::*;
    from == to
        || matches!(
            (from, to),
            (Idle, Connecting | Closed | Failed)
                | (Connecting, Connecting | Open | Failed | Closed)
                | (Open, Closing | Failed)
                | (Closing, Closed | Failed)
                | (Failed, Closed)
        )
        || (from, to) == (Failed, Connecting) && matches!(failure_before, Some(Failure::Timeout(_)))
}

fn queued_bytes(conn: &Connection) -> Vec<u8> {
    let mut slices = [IoSlice::new(&[]); 256];
    let count = conn.io_slices(&mut slices);
    assert!(count < slices.len(), "the test's slice array is large enough");
    slices[..count].iter().flat_map(|s| s.iter().copied()).collect()
}

fn expected_send(conn: &Connection, len: usize, max: usize) -> Result<(), SendError> {
    match conn.state() {
        State::Open if conn.inbox().is_closed() => Err(SendError::PeerClosed),
        State::Open if len == 0 => Err(SendError::Frame(EncodeError::Empty)),
        State::Open if len > max => Err(SendError::Frame(EncodeError::TooLarge { len, max })),
        State::Open => Ok(()),
        State::Idle | State::Connecting => Err(SendError::NotConnected),
        State::Closing | State::Closed => Err(SendError::Closed),
        State::Failed => Err(SendError::Failed),
    }
}

/// Applies `op`, checking what can only be checked at the time (results, actions).
fn apply(conn: &mut Connection, model: &mut Model, op: &Op) {
    let before = conn.state();
    let failure_before = conn.failure();
    match op {
        Op::Connect(timeout) => {
            let result = conn.connect(model.now, *timeout);
            let may = match before {
                State::Idle | State::Connecting => true,
                State::Failed => matches!(failure_before, Some(Failure::Timeout(_))),
                _ => false,
            };
            if may {
                assert_eq!(result, Ok(()));
                model.deadline = model.now.checked_add(*timeout);
                model.timeout = *timeout;
                model.outstanding = None;
                model.stop_listening_due = false;
            } else {
                assert_eq!(result, Err(ConnectError::InvalidState { state: before }));
            }
        }
        Op::Send { len, by_ref } => {
            let expected = expected_send(conn, *len, model.config.get_max_frame_len());
            let payload: Vec<u8> = (0..*len).map(|i| i as u8).collect();
            let result = if *by_ref { conn.send(Bytes::from(payload.clone())) } else { conn.send_slice(&payload) };
            assert_eq!(result, expected);
            if result.is_ok() {
                model.queued.extend((*len as u32).to_be_bytes());
                model.queued.extend(&payload);
            }
        }
        Op::Close => {
            let peer_closed = conn.inbox().is_closed();
            conn.close();
            match before {
                State::Open => {
                    assert_eq!(conn.state(), State::Closing);
                    if model.transport == Transport::Fifo && !peer_closed {
                        model.queued.extend([0, 0, 0, 0]);
                    }
                }
                State::Idle | State::Connecting | State::Failed => {
                    assert_eq!(conn.state(), State::Closed);
                    model.queued.clear();
                    model.outstanding = None;
                }
                State::Closing | State::Closed => assert_eq!(conn.state(), before),
            }
        }
        Op::PollAction => {
            let action = conn.poll_action();
            if before == State::Open && model.stop_listening_due {
                assert_eq!(action, Some(Action::StopListening), "StopListening comes first");
            }
            match action {
                None => {}
                Some(
                    a @ (Action::OpenRead | Action::OpenWrite | Action::ProbeRead | Action::Accept | Action::Dial),
                ) => {
                    assert_eq!(before, State::Connecting);
                    assert!(model.connect_actions().contains(&a), "{:?} for {:?}", a, model.transport);
                    assert_eq!(model.outstanding, None, "one connect action at a time");
                    model.outstanding = Some(a);
                }
                Some(Action::StopListening) => {
                    assert_eq!((model.transport, model.side), (Transport::Tcp, Side::Channel));
                    assert_eq!(before, State::Open);
                    assert!(model.stop_listening_due, "once per accept");
                    model.stop_listening_due = false;
                }
                Some(Action::Transmit) => {
                    assert!(matches!(before, State::Open | State::Closing));
                    assert!(!model.queued.is_empty());
                }
                Some(Action::CloseWrite) => {
                    assert_eq!(before, State::Closing);
                    assert!(model.queued.is_empty());
                    assert!(!model.close_write_seen, "CloseWrite once");
                    assert_eq!(conn.state(), State::Closed);
                    model.close_write_seen = true;
                }
            }
            if matches!(before, State::Idle | State::Closed | State::Failed) {
                assert_eq!(action, None);
            }
        }
        Op::Succeed => {
            let event = match model.outstanding {
                Some(Action::ProbeRead) => Event::WouldBlock,
                Some(_) => Event::Done,
                None => return,
            };
            return apply(conn, model, &Op::Event(event));
        }
        Op::Step => {
            apply(conn, model, &Op::PollAction);
            return apply(conn, model, &Op::Succeed);
        }
        Op::Event(event) => {
            if let Event::Read(n) = event {
                let space = conn.read_buf();
                // Zeros: whole zero frames (closes), or a truncated one at the end of the stream.
                let n = (*n).min(space.len());
                space[..n].fill(0);
            }
            conn.handle_event(model.now, *event);
            if before == State::Connecting {
                if let Some(action) = model.outstanding {
                    if Model::answers(action, *event) {
                        model.outstanding = None;
                    }
                }
                if action_accepted(before, conn.state(), model) {
                    model.stop_listening_due = true;
                }
            }
        }
        Op::Read(data) => {
            let space = conn.read_buf();
            let n = data.len().min(space.len());
            space[..n].copy_from_slice(&data[..n]);
            conn.handle_read(n);
        }
        Op::Written(n) => {
            conn.handle_written(*n);
            let n = (*n).min(model.queued.len());
            model.queued.drain(..n);
        }
        Op::WrittenAllBut(keep) => {
            let n = model.queued.len().saturating_sub(*keep);
            return apply(conn, model, &Op::Written(n));
        }
        Op::Advance(by) => {
            model.now += *by;
            handle_timeout(conn, model);
        }
        Op::Timeout => {
            if let Some(at) = conn.poll_timeout() {
                model.now = model.now.max(at);
            }
            handle_timeout(conn, model);
        }
        Op::PollRecv => {
            let result = conn.poll_recv();
            match conn.state() {
                State::Idle | State::Connecting => assert_eq!(result, Some(Err(RecvError::NotConnected))),
                State::Closing | State::Closed => assert_eq!(result, Some(Err(RecvError::Closed))),
                State::Failed => assert_eq!(result, Some(Err(RecvError::Failed))),
                State::Open => match (&model.recv_final, result) {
                    (Some(last), result) => assert_eq!(result.as_ref(), Some(last), "final answers repeat"),
                    (None, Some(result @ (Ok(Received::Closed) | Err(_)))) => model.recv_final = Some(result),
                    (None, _) => {}
                },
            }
        }
    }
    if conn.failure() == Some(Failure::Io) && before != State::Failed && conn.state() == State::Failed {
        model.queued.clear();
        model.outstanding = None;
    }
    if conn.state() == State::Failed {
        model.stop_listening_due = false;
    }
}

/// Whether this event completed a TCP accept (the channel then owes a `StopListening`).
fn action_accepted(before: State, after: State, model: &Model) -> bool {
    before == State::Connecting
        && after == State::Open
        && (model.transport, model.side) == (Transport::Tcp, Side::Channel)
}

fn handle_timeout(conn: &mut Connection, model: &mut Model) {
    let before = conn.state();
    conn.handle_timeout(model.now);
    if before == State::Connecting {
        if model.deadline.is_some_and(|deadline| model.now >= deadline) {
            assert_eq!(conn.state(), State::Failed, "the deadline passed");
            assert_eq!(conn.failure(), Some(Failure::Timeout(model.timeout)));
            model.outstanding = None;
        } else {
            assert_eq!(conn.state(), State::Connecting);
            if let Some(at) = conn.poll_timeout() {
                assert!(at > model.now, "handle_timeout left a timer due: {:?}", at - model.now);
            }
        }
    } else {
        assert_eq!(conn.state(), before, "timeouts only matter while connecting");
    }
}

/// The invariants that hold after every step.
fn check_invariants(conn: &mut Connection, model: &Model) {
    let state = conn.state();

    // 2. Timers.
    match conn.poll_timeout() {
        Some(at) => {
            assert_eq!(state, State::Connecting);
            if let Some(deadline) = model.deadline {
                assert!(at <= deadline);
            }
        }
        None => assert!(state != State::Connecting || model.deadline.is_none()),
    }

    // 3. Connect result and failure.
    let connect = conn.poll_connect();
    match state {
        State::Idle | State::Connecting => assert_eq!(connect, None),
        State::Open | State::Closing => assert_eq!(connect, Some(Ok(()))),
        State::Failed => match conn.failure() {
            Some(Failure::Timeout(timeout)) => {
                assert_eq!(timeout, model.timeout);
                assert_eq!(connect, Some(Err(ConnectError::Timeout { timeout })));
            }
            Some(Failure::Io) => assert_eq!(connect, Some(Err(ConnectError::InvalidState { state }))),
            None => panic!("failed without a failure"),
        },
        State::Closed => assert_eq!(connect, Some(Err(ConnectError::InvalidState { state }))),
    }
    if matches!(state, State::Idle | State::Connecting | State::Open | State::Closing) {
        assert_eq!(conn.failure(), None);
    }

    // 4. Nothing to do while idle, closed or failed (poll_action has no effect in these states).
    if matches!(state, State::Idle | State::Closed | State::Failed) {
        assert_eq!(conn.poll_action(), None);
    }

    // 5. Queue.
    let queued = queued_bytes(conn);
    assert_eq!(&queued, &model.queued.iter().copied().collect::<Vec<u8>>());
    let outbox = conn.outbox();
    assert_eq!(outbox.buffered_len(), queued.len());
    assert_eq!(outbox.is_flushed(), queued.is_empty());
    assert_eq!(conn.is_send_ready(), queued.len() < model.config.get_high_water_mark());
    if !queued.is_empty() {
        assert!(matches!(state, State::Open | State::Closing));
    }

    // 7. Inbox accounting.
    let inbox = conn.inbox();
    assert!(inbox.pending_len() <= inbox.buffered_len() + pipe_proto::HEADER_LEN);
}

/// Applies `ops` to a new connection (first opening it with a cooperative peer if `open_first`),
/// checking every invariant after every step.
pub fn run(transport: Transport, side: Side, config: Config, open_first: bool, ops: &[Op]) {
    let mut conn = Connection::new(transport, side, config.clone());
    let mut model = Model {
        transport,
        side,
        config,
        now: Instant::now(),
        deadline: None,
        timeout: Duration::ZERO,
        queued: VecDeque::new(),
        outstanding: None,
        close_write_seen: false,
        stop_listening_due: false,
        recv_final: None,
    };
    check_invariants(&mut conn, &model);
    let opening = [Op::Connect(Duration::from_secs(1)), Op::Step, Op::Step, Op::Step, Op::PollAction];
    let prefix = if open_first { &opening[..] } else { &[] };
    for op in prefix.iter().chain(ops) {
        let before = conn.state();
        let failure_before = conn.failure();
        apply(&mut conn, &mut model, op);
        let after = conn.state();
        assert!(allowed(before, after, failure_before), "{before:?} -> {after:?} on {op:?}");
        if after != State::Open {
            model.recv_final = None;
        }
        check_invariants(&mut conn, &model);
    }
}

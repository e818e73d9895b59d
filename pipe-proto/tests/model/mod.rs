//! A model of one [`Connection`] driven by arbitrary commands and IO results, shared by the
//! property tests (`connection_properties.rs`) and the `connection` fuzz target. [`run`] applies
//! the operations one by one, panicking when the connection leaves a documented state; after
//! every step:
//!
//! 1. **Transitions** follow the state diagram: Idle → Connecting | Closed;
//!    Connecting → Connecting (connect again) | Open | Failed | Closed; Open → Closing | Failed;
//!    Closing → Closed | Failed; Failed → Connecting | Closed (only after a failed connect);
//!    Closed → nothing.
//! 2. **Timers**: `poll_timeout` is `Some` only while connecting (the hang-up probe is off in
//!    these configurations), never after the deadline of the current connect, and after
//!    `handle_timeout(now)` it is later than `now` (no busy loop). `handle_timeout` at or after
//!    the deadline fails the connect with a timeout.
//! 3. **Connect result**: `poll_connect` is `None` while idle or connecting, `Some(Ok)` once
//!    connected (whatever happened since), `Some(Err(Timeout { timeout, .. }))` with the last
//!    connect's timeout after a timeout, `Some(Err(Failed))` after an IO error while connecting,
//!    `Some(Err(InvalidState))` once closed without connecting. `failure` is set exactly when
//!    failed.
//! 4. **Actions**: connect actions come only while connecting, match the transport and side,
//!    and only one at a time until an event answers it; `Transmit` only while bytes are queued;
//!    `CloseWrite` only while closing with nothing queued, again until the close is reported,
//!    and the state is `Closed` only once it is; `StopListening` only on a TCP channel, once per
//!    accept; nothing at all while idle, closed or failed.
//! 5. **Queue**: the slices from `io_slices` are exactly the frames accepted by `send`, in order,
//!    followed by the FIFO close marker when `close` adds one, minus what `handle_written`
//!    reported; `buffered_len` is their length; `is_send_ready` is `buffered_len < high_water_mark`;
//!    a failure drops the queue and counts its frames and bytes as undelivered.
//! 6. **Send results** are the documented ones for the state (`NotConnected`, `ClosedLocally`,
//!    `PeerClosed`, the failure, then `Empty` or `TooLarge`), and a refused send queues nothing,
//!    except on a failed half whose close was not called: a valid message handed over by value
//!    is kept, counted in the failure's answer, and given back by `take_unsent`.
//! 7. **Receive**: `poll_recv` gives `NotConnected` before the connect and `ClosedLocally` after
//!    a close; once the peer's close or a failure came, the same answer forever.
//! 8. **Close answer**: `poll_close` is `None` until the close is over, `Ok` once it is over
//!    with nothing lost (also after a failure that lost nothing, and when a write error meets
//!    only the close marker), and the failure with exactly the frames and bytes that were queued
//!    and never written otherwise. With half-close on, the peer's close refuses no send.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::time::{Duration, Instant};

use bytes::Bytes;
use pipe_proto::{
    Action, Config, ConnectAction, ConnectError, Connection, EncodeError, Event, Failure, Received, RecvError,
    SendAction, SendError, Side, State, Transport, Undelivered,
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
    /// A read failed with an OS error.
    ReadError,
    Written(usize),
    /// All queued bytes but this many were written.
    WrittenAllBut(usize),
    /// A write failed with an OS error.
    WriteError,
    /// The IO owner reports the close of the write side: done, or refused by the OS.
    CloseReported(bool),
    Advance(Duration),
    /// Jump to `poll_timeout` (if any) and call `handle_timeout` there.
    Timeout,
    PollRecv,
}

/// The OS error the model's IO owner reports.
pub fn io_failure() -> Failure {
    Failure::io(std::io::ErrorKind::ConnectionReset, Some(104), "Connection reset by peer (os error 104)")
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
    /// Where each queued frame ends in `queued` (the close marker is no frame).
    frame_ends: VecDeque<usize>,
    /// The payload of each frame in `frame_ends`.
    payloads: VecDeque<Vec<u8>>,
    /// The connect action handed out and not answered yet.
    outstanding: Option<ConnectAction>,
    /// A `CloseWrite` was handed out and not answered yet.
    close_write_out: bool,
    stop_listening_due: bool,
    /// The connect succeeded once.
    established: bool,
    /// What a failure of the send half lost, and what it kept since.
    undelivered: Option<Undelivered>,
    /// `close` was called: a failed half refuses new messages without keeping them.
    close_called: bool,
    /// The first close or failure `poll_recv` gave.
    recv_final: Option<Result<Received, RecvError>>,
}

impl Model {
    fn connect_actions(&self) -> &'static [ConnectAction] {
        match (self.transport, self.side) {
            (Transport::Fifo, _) => &[ConnectAction::OpenRead, ConnectAction::OpenWrite, ConnectAction::ProbeRead],
            (Transport::Tcp, Side::Channel) => &[ConnectAction::Accept],
            (Transport::Tcp, Side::Client) => &[ConnectAction::Dial],
        }
    }

    /// Whether `event` answers the outstanding action (as documented on [`ConnectAction`]).
    fn answers(action: ConnectAction, event: &Event) -> bool {
        matches!(
            (action, event),
            (ConnectAction::OpenRead, Event::Done)
                | (
                    ConnectAction::OpenWrite | ConnectAction::Dial | ConnectAction::Accept,
                    Event::Done | Event::NotReady
                )
                | (ConnectAction::ProbeRead, Event::Read(_) | Event::WouldBlock | Event::NotReady)
        )
    }

    /// After a failure, what the queue held is undelivered, and taken back at once: every frame
    /// not completely written, in order, the one cut mid-write whole.
    fn drop_queue(&mut self, conn: &mut Connection) -> Undelivered {
        let lost = Undelivered { frames: self.frame_ends.len(), bytes: self.frame_ends.back().copied().unwrap_or(0) };
        let unsent: Vec<Vec<u8>> = conn.take_unsent().iter().map(|frame| frame.to_vec()).collect();
        assert_eq!(unsent, Vec::from(std::mem::take(&mut self.payloads)), "take_unsent gives the unsent frames whole");
        assert!(conn.take_unsent().is_empty(), "taken once");
        self.queued.clear();
        self.frame_ends.clear();
        lost
    }

    fn written(&mut self, n: usize) {
        self.queued.drain(..n);
        for end in &mut self.frame_ends {
            *end -= n.min(*end);
        }
        while self.frame_ends.front() == Some(&0) {
            self.frame_ends.pop_front();
            self.payloads.pop_front();
        }
    }
}

fn allowed(from: State, to: State, connect_failed: bool) -> bool {
    use State::*;
    from == to
        || matches!(
            (from, to),
            (Idle, Connecting | Closed)
                | (Connecting, Connecting | Open | Failed | Closed)
                | (Open, Closing | Failed)
                | (Closing, Closed | Failed)
        )
        || matches!((from, to), (Failed, Connecting | Closed)) && connect_failed
}

fn queued_bytes(conn: &Connection) -> Vec<u8> {
    let mut slices = [IoSlice::new(&[]); 256];
    let count = conn.io_slices(&mut slices);
    assert!(count < slices.len(), "the test's slice array is large enough");
    slices[..count].iter().flat_map(|s| s.iter().copied()).collect()
}

/// The answer of a failed send half.
fn failed_send(model: &Model, failure: &Failure) -> SendError {
    match model.undelivered {
        Some(undelivered) if !undelivered.is_empty() => SendError::Undelivered { undelivered, cause: failure.clone() },
        _ => SendError::Failed(failure.clone()),
    }
}

fn expected_send(conn: &Connection, model: &Model, len: usize, max: usize) -> Result<(), SendError> {
    match conn.state() {
        State::Open if conn.peer_closed() && !model.config.half_close() => Err(SendError::PeerClosed),
        State::Open if len == 0 => Err(SendError::Frame(EncodeError::Empty)),
        State::Open if len > max => Err(SendError::Frame(EncodeError::TooLarge { len, max })),
        State::Open => Ok(()),
        State::Idle | State::Connecting => Err(SendError::NotConnected),
        State::Failed if !model.established => Err(SendError::NotConnected),
        State::Closing | State::Closed => Err(SendError::ClosedLocally),
        State::Failed => match conn.send_half().failure() {
            Some((failure, _)) => Err(failed_send(model, failure)),
            None => panic!("the send half of a failed connection has failed too"),
        },
    }
}

/// Applies `op`, checking what can only be checked at the time (results, actions).
fn apply(conn: &mut Connection, model: &mut Model, op: &Op) {
    let before = conn.state();
    match op {
        Op::Connect(timeout) => {
            let result = conn.connect(model.now, *timeout);
            let may = match before {
                State::Idle | State::Connecting => true,
                State::Failed => !model.established,
                _ => false,
            };
            if may {
                assert_eq!(result, Ok(()));
                model.deadline = model.now.checked_add(*timeout);
                model.timeout = *timeout;
                model.outstanding = None;
                model.stop_listening_due = false;
            } else if before == State::Failed {
                assert_eq!(result, Err(ConnectError::Failed(conn.failure().expect("failed").clone())));
            } else {
                assert_eq!(result, Err(ConnectError::InvalidState { state: before }));
            }
        }
        Op::Send { len, by_ref } => {
            // A failed half keeps a valid message handed over by value, counted with the rest,
            // unless its close was called; a borrowed one stays with the caller.
            let max = model.config.max_frame_len();
            let kept = *by_ref
                && conn.state() == State::Failed
                && model.established
                && !model.close_called
                && (1..=max).contains(len);
            if kept {
                let lost = model.undelivered.expect("the send half's failure is known");
                model.undelivered = Some(Undelivered { frames: lost.frames + 1, bytes: lost.bytes + 4 + len });
            }
            let expected = expected_send(conn, model, *len, max);
            let payload: Vec<u8> = (0..*len).map(|i| i as u8).collect();
            let result = if *by_ref { conn.send(Bytes::from(payload.clone())) } else { conn.send_slice(&payload) };
            assert_eq!(result, expected);
            if kept {
                assert_eq!(conn.take_unsent(), std::slice::from_ref(&payload), "the kept message, given back");
            }
            if result.is_ok() {
                model.queued.extend((*len as u32).to_be_bytes());
                model.queued.extend(&payload);
                model.frame_ends.push_back(model.queued.len());
                model.payloads.push_back(payload);
            }
        }
        Op::Close => {
            let peer_closed = conn.peer_closed();
            conn.close();
            model.close_called = true;
            if model.established && conn.recv_half().failure().is_none() {
                // Our close ends receiving, whatever the peer did; only a failure stays the answer.
                model.recv_final = Some(Err(RecvError::ClosedLocally));
            }
            match before {
                State::Open => {
                    assert_eq!(conn.state(), State::Closing);
                    if model.transport == Transport::Fifo && (model.config.half_close() || !peer_closed) {
                        model.queued.extend([0, 0, 0, 0]);
                    }
                }
                State::Idle | State::Connecting => {
                    assert_eq!(conn.state(), State::Closed);
                    model.outstanding = None;
                }
                State::Failed if !model.established => assert_eq!(conn.state(), State::Closed),
                State::Failed | State::Closing | State::Closed => assert_eq!(conn.state(), before),
            }
        }
        Op::PollAction => {
            let action = conn.poll_action();
            if model.established && model.stop_listening_due {
                assert_eq!(action, Some(Action::Connect(ConnectAction::StopListening)), "StopListening comes first");
            }
            match action {
                None => {}
                Some(Action::Connect(ConnectAction::StopListening)) => {
                    assert_eq!((model.transport, model.side), (Transport::Tcp, Side::Channel));
                    assert!(model.stop_listening_due, "once per accept, owed until taken, whatever happened since");
                    model.stop_listening_due = false;
                    return;
                }
                Some(Action::Connect(step)) => {
                    assert_eq!(before, State::Connecting);
                    assert!(model.connect_actions().contains(&step), "{:?} for {:?}", step, model.transport);
                    assert_eq!(model.outstanding, None, "one connect action at a time");
                    model.outstanding = Some(step);
                }
                Some(Action::Send(SendAction::Transmit)) => {
                    assert!(matches!(before, State::Open | State::Closing));
                    assert!(!model.queued.is_empty());
                }
                Some(Action::Send(SendAction::CloseWrite)) => {
                    assert_eq!(before, State::Closing);
                    assert!(model.queued.is_empty());
                    assert_eq!(conn.state(), State::Closing, "closed only once the close is reported");
                    model.close_write_out = true;
                }
                Some(Action::Recv(action)) => panic!("{action:?} with the hang-up probe off"),
            }
            if matches!(before, State::Idle | State::Closed | State::Failed) {
                assert_eq!(action, None);
            }
        }
        Op::Succeed => {
            let event = match model.outstanding {
                Some(ConnectAction::ProbeRead) => Event::WouldBlock,
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
            conn.handle_event(model.now, event.clone());
            if before == State::Connecting {
                if let Some(action) = model.outstanding {
                    if Model::answers(action, event) || matches!(event, Event::Failed(_)) {
                        model.outstanding = None;
                    }
                }
                if conn.state() == State::Open {
                    model.established = true;
                    model.stop_listening_due = (model.transport, model.side) == (Transport::Tcp, Side::Channel);
                }
            } else {
                assert_eq!(conn.state(), before, "events only answer connect steps");
            }
        }
        Op::Read(data) => {
            let space = conn.read_buf();
            let n = data.len().min(space.len());
            space[..n].copy_from_slice(&data[..n]);
            conn.handle_read(n);
        }
        Op::ReadError => conn.handle_read_error(io_failure()),
        Op::Written(n) => {
            conn.handle_written(*n);
            let n = (*n).min(model.queued.len());
            model.written(n);
        }
        Op::WrittenAllBut(keep) => {
            let n = model.queued.len().saturating_sub(*keep);
            return apply(conn, model, &Op::Written(n));
        }
        Op::WriteError => {
            conn.handle_write_error(io_failure());
            if before == State::Closing && model.frame_ends.is_empty() && !model.close_write_out {
                // Only the close marker was left: nothing is lost, the close is complete.
                model.drop_queue(conn);
                assert_eq!(conn.state(), State::Closed);
                assert_eq!(conn.poll_close(), Some(Ok(())));
            } else if matches!(before, State::Open | State::Closing) {
                assert_eq!(conn.state(), State::Failed);
                let lost = model.drop_queue(conn);
                model.undelivered = Some(lost);
                model.close_write_out = false;
                let answer = if lost.is_empty() { Ok(()) } else { Err(failed_send(model, &io_failure())) };
                assert_eq!(conn.poll_close(), Some(answer));
            }
        }
        Op::CloseReported(ok) => {
            let outcome = if *ok { Ok(()) } else { Err(io_failure()) };
            conn.handle_close(outcome);
            if std::mem::take(&mut model.close_write_out) && before == State::Closing {
                if *ok {
                    assert_eq!(conn.state(), State::Closed);
                    assert_eq!(conn.poll_close(), Some(Ok(())));
                } else {
                    assert_eq!(conn.state(), State::Failed);
                    model.undelivered = Some(Undelivered::default());
                    assert_eq!(conn.poll_close(), Some(Ok(())), "a refused close loses nothing");
                    assert_eq!(conn.send_half_mut().flush_outcome(), Err(SendError::Failed(io_failure())));
                }
            } else {
                assert_eq!(conn.state(), before, "a close report with no close out is ignored");
            }
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
            if !model.established {
                if before == State::Closed {
                    assert_eq!(result, Some(Err(RecvError::ClosedLocally)));
                } else {
                    assert_eq!(result, Some(Err(RecvError::NotConnected)));
                }
            } else if let Some(last) = &model.recv_final {
                assert_eq!(result.as_ref(), Some(last), "final answers repeat");
            } else {
                match result {
                    Some(Err(RecvError::ClosedLocally)) => {
                        assert!(matches!(before, State::Closing | State::Closed | State::Failed), "{before:?}")
                    }
                    Some(Err(RecvError::NotConnected)) => panic!("NotConnected once connected"),
                    Some(final_answer @ (Ok(Received::PeerClosed) | Err(RecvError::Failed(_)))) => {
                        model.recv_final = Some(final_answer)
                    }
                    Some(Ok(Received::Frame(_))) | None => {}
                }
            }
        }
    }
    // A failure of the receive half reaches the send half at its next call (here, one that asks
    // nothing else): its queue is then counted as undelivered.
    if conn.state() == State::Failed && model.established && model.undelivered.is_none() {
        let _ = conn.send_half_mut().flush_outcome();
        if let Some((_, lost)) = conn.send_half().failure() {
            assert_eq!(lost, model.drop_queue(conn), "the frames and bytes queued and never written");
            model.undelivered = Some(lost);
            model.close_write_out = false;
        }
    }
}

fn handle_timeout(conn: &mut Connection, model: &mut Model) {
    let before = conn.state();
    conn.handle_timeout(model.now);
    if before == State::Connecting {
        if model.deadline.is_some_and(|deadline| model.now >= deadline) {
            assert_eq!(conn.state(), State::Failed, "the deadline passed");
            assert_eq!(conn.failure(), Some(&Failure::Timeout(model.timeout)));
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
        _ if model.established => assert_eq!(connect, Some(Ok(()))),
        State::Failed => match conn.failure() {
            Some(Failure::Timeout(timeout)) => {
                assert_eq!(*timeout, model.timeout);
                assert!(
                    matches!(connect, Some(Err(ConnectError::Timeout { timeout: t, .. })) if t == *timeout),
                    "{connect:?}"
                );
            }
            Some(failure) => assert_eq!(connect, Some(Err(ConnectError::Failed(failure.clone())))),
            None => panic!("failed without a failure"),
        },
        State::Closed => assert_eq!(connect, Some(Err(ConnectError::InvalidState { state }))),
        State::Open | State::Closing => panic!("{state:?} without a connect"),
    }
    assert_eq!(conn.failure().is_some(), state == State::Failed, "failure is set exactly when failed");

    // 4. Nothing to do while idle, closed or failed (poll_action has no effect in these states),
    //    but for a StopListening still owed.
    if matches!(state, State::Idle | State::Closed | State::Failed) && !model.stop_listening_due {
        assert_eq!(conn.poll_action(), None);
    }

    // 5. Queue.
    let queued = queued_bytes(conn);
    assert_eq!(&queued, &model.queued.iter().copied().collect::<Vec<u8>>());
    let outbox = conn.send_half().outbox();
    assert_eq!(outbox.buffered_len(), queued.len());
    assert_eq!(outbox.is_flushed(), queued.is_empty());
    assert_eq!(outbox.queued_frames(), model.frame_ends.len());
    assert_eq!(conn.is_send_ready(), queued.len() < model.config.high_water_mark());
    if !queued.is_empty() {
        assert!(matches!(state, State::Open | State::Closing));
    }

    // 8. Close answer.
    match state {
        State::Idle | State::Connecting | State::Open | State::Closing => assert_eq!(conn.poll_close(), None),
        State::Closed => assert_eq!(conn.poll_close(), Some(Ok(()))),
        State::Failed if !model.established => assert_eq!(conn.poll_close(), None),
        State::Failed => {
            let expected = match (model.undelivered, conn.send_half().failure()) {
                (Some(lost), Some((failure, _))) if !lost.is_empty() => Err(failed_send(model, failure)),
                _ => Ok(()),
            };
            assert_eq!(conn.poll_close(), Some(expected), "the close answers whether frames were lost");
        }
    }

    // 7. Inbox accounting.
    let inbox = conn.recv_half().inbox();
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
        frame_ends: VecDeque::new(),
        payloads: VecDeque::new(),
        outstanding: None,
        close_write_out: false,
        stop_listening_due: false,
        established: false,
        undelivered: None,
        close_called: false,
        recv_final: None,
    };
    check_invariants(&mut conn, &model);
    let opening = [Op::Connect(Duration::from_secs(1)), Op::Step, Op::Step, Op::Step, Op::PollAction];
    let prefix = if open_first { &opening[..] } else { &[] };
    for op in prefix.iter().chain(ops) {
        let before = conn.state();
        let connect_failed = before == State::Failed && !model.established;
        apply(&mut conn, &mut model, op);
        let after = conn.state();
        assert!(allowed(before, after, connect_failed), "{before:?} -> {after:?} on {op:?}");
        check_invariants(&mut conn, &model);
    }
}

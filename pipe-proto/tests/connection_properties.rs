//! Arbitrary interleavings of application commands (connect, send, close) and IO results
//! (events, reads, writes, timeouts, with time only moving forward) on one [`Connection`], with
//! an arbitrary configuration; half the cases first open the connection with a cooperative peer,
//! so that the open and closing states get as much exercise as connecting. None of them may
//! panic, and after every step the connection must be in a documented state: the invariants are
//! listed, and checked, in `model/mod.rs` (shared with the `connection` fuzz target).

mod model;

use std::time::{Duration, Instant};

use model::Op;
use pipe_proto::ConnectAction;
use pipe_proto::{Action, Config, ConnectError, Connection, Event, Received, RecvHalf, SendHalf, Side, Transport};
use proptest::prelude::*;

fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        8 => (0u64..300).prop_map(Duration::from_millis),
        1 => Just(Duration::ZERO),
        1 => (0u64..1_000_000).prop_map(Duration::from_nanos),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        4 => Just(Event::Done),
        3 => Just(Event::NotReady),
        2 => Just(Event::WouldBlock),
        3 => (0usize..80).prop_map(Event::Read),
        1 => Just(Event::Failed(model::io_failure())),
    ]
}

fn read_data() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::collection::vec(any::<u8>(), 1..30).prop_map(|p| [&(p.len() as u32).to_be_bytes()[..], &p].concat()),
        1 => Just(vec![0, 0, 0, 0]),
        1 => Just(Vec::new()),
        2 => prop::collection::vec(any::<u8>(), 1..40),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => duration().prop_map(Op::Connect),
        4 => (prop_oneof![0usize..40, 0usize..3000], any::<bool>()).prop_map(|(len, by_ref)| Op::Send { len, by_ref }),
        1 => Just(Op::Close),
        8 => Just(Op::PollAction),
        6 => event().prop_map(Op::Event),
        3 => Just(Op::Succeed),
        4 => Just(Op::Step),
        3 => read_data().prop_map(Op::Read),
        3 => prop_oneof![0usize..8, 0usize..5000].prop_map(Op::Written),
        1 => Just(Op::WriteError),
        1 => Just(Op::ReadError),
        2 => any::<bool>().prop_map(Op::CloseReported),
        2 => (0usize..3).prop_map(Op::WrittenAllBut),
        3 => duration().prop_map(Op::Advance),
        4 => Just(Op::Timeout),
        3 => Just(Op::PollRecv),
    ]
}

fn config() -> impl Strategy<Value = Config> {
    let delay = prop_oneof![
        6 => (0u64..20).prop_map(Duration::from_millis),
        1 => Just(Duration::ZERO),
        1 => Just(Duration::MAX),
        1 => (0u64..u64::MAX).prop_map(Duration::from_secs),
    ];
    (1usize..4000, 1usize..5000, 16usize..4096, 0usize..2000, delay.clone(), delay, any::<bool>()).prop_map(
        |(max_frame_len, high_water_mark, read_chunk, coalesce_limit, first, max, half_close)| {
            Config::default()
                .with_half_close(half_close)
                .with_max_frame_len(max_frame_len)
                .with_high_water_mark(high_water_mark)
                .with_read_chunk(read_chunk)
                .with_coalesce_limit(coalesce_limit)
                .with_retry_delays(first, max)
        },
    )
}

fn transport_and_side() -> impl Strategy<Value = (Transport, Side)> {
    prop_oneof![
        Just((Transport::Fifo, Side::Channel)),
        Just((Transport::Fifo, Side::Client)),
        Just((Transport::Tcp, Side::Channel)),
        Just((Transport::Tcp, Side::Client)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(1024)))]

    #[test]
    fn any_interleaving_leaves_a_documented_state(
        (transport, side) in transport_and_side(),
        config in config(),
        open_first in any::<bool>(),
        ops in prop::collection::vec(op(), 0..80),
    ) {
        model::run(transport, side, config, open_first, &ops);
    }

    /// The same machine, driven only by the documented loop with a peer that is never there:
    /// it gives up at the deadline, exactly, whatever the retry schedule.
    #[test]
    fn a_connect_without_a_peer_fails_exactly_at_its_deadline(
        (transport, side) in transport_and_side(),
        first in 1u64..50,
        max in 1u64..100,
        timeout in duration(),
    ) {
        let config = Config::default().with_retry_delays(Duration::from_millis(first), Duration::from_millis(max));
        let start = Instant::now();
        let mut now = start;
        let mut conn = Connection::new(transport, side, config);
        conn.connect(now, timeout)?;
        for _ in 0..100_000 {
            while let Some(action) = conn.poll_action() {
                let event = match action {
                    Action::Connect(ConnectAction::OpenRead) => Event::Done,
                    Action::Connect(ConnectAction::ProbeRead) => Event::Read(0),
                    Action::Connect(ConnectAction::Accept) => continue, // pending until the deadline
                    _ => Event::NotReady,
                };
                conn.handle_event(now, event);
            }
            let Some(at) = conn.poll_timeout() else { break };
            prop_assert!(at >= now);
            now = at;
            conn.handle_timeout(now);
        }
        prop_assert_eq!(now, start + timeout);
        // The timeout names the step the absent peer kept from completing.
        let waiting_for = match (transport, side) {
            (Transport::Fifo, _) => ConnectAction::OpenWrite,
            (Transport::Tcp, Side::Client) => ConnectAction::Dial,
            (Transport::Tcp, Side::Channel) => ConnectAction::Accept,
        };
        prop_assert_eq!(conn.poll_connect(), Some(Err(ConnectError::Timeout { timeout, waiting_for: Some(waiting_for) })));
    }
}

/// One step on an open pipe, as the application and the IO owner of its two halves see it.
#[derive(Debug, Clone)]
enum HalfOp {
    Send(usize),
    Close,
    PollAction,
    Written(usize),
    WriteError,
    CloseReported(bool),
    Read(Vec<u8>),
    ReadError,
    PollRecv,
    /// `poll_recv_ref` on the halves, `poll_recv` on the whole connection: lent or handed out,
    /// the same answers.
    PollRecvRef,
    FlushOutcome,
    PollClose,
}

fn half_op() -> impl Strategy<Value = HalfOp> {
    prop_oneof![
        4 => (0usize..40).prop_map(HalfOp::Send),
        1 => Just(HalfOp::Close),
        4 => Just(HalfOp::PollAction),
        3 => (0usize..60).prop_map(HalfOp::Written),
        1 => Just(HalfOp::WriteError),
        1 => any::<bool>().prop_map(HalfOp::CloseReported),
        3 => read_data().prop_map(HalfOp::Read),
        1 => Just(HalfOp::ReadError),
        3 => Just(HalfOp::PollRecv),
        3 => Just(HalfOp::PollRecvRef),
        2 => Just(HalfOp::FlushOutcome),
        2 => Just(HalfOp::PollClose),
    ]
}

/// Applies `op` to a receive half and a send half, and says what they answered.
fn apply_to_halves(recv: &mut RecvHalf, send: &mut SendHalf, op: &HalfOp) -> String {
    match op {
        HalfOp::Send(len) => format!("{:?}", send.send_slice(&vec![7; *len])),
        HalfOp::Close => {
            send.close();
            String::new()
        }
        HalfOp::PollAction => format!("{:?} {}", send.poll_action(), send.buffered_len()),
        HalfOp::Written(n) => {
            send.handle_written(*n);
            String::new()
        }
        HalfOp::WriteError => {
            send.handle_write_error(model::io_failure());
            String::new()
        }
        HalfOp::CloseReported(ok) => {
            send.handle_close(if *ok { Ok(()) } else { Err(model::io_failure()) });
            String::new()
        }
        HalfOp::Read(data) => {
            let space = recv.read_buf();
            let n = data.len().min(space.len());
            space[..n].copy_from_slice(&data[..n]);
            recv.handle_read(n);
            String::new()
        }
        HalfOp::ReadError => {
            recv.handle_read_error(model::io_failure());
            String::new()
        }
        HalfOp::PollRecv => format!("{:?}", recv.poll_recv()),
        HalfOp::PollRecvRef => format!("{:?}", recv.poll_recv_ref().map(|lent| lent.map(Received::from))),
        HalfOp::FlushOutcome => format!("{:?}", send.flush_outcome()),
        HalfOp::PollClose => format!("{:?}", send.poll_close()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(1024)))]

    /// The rules hold on the split halves exactly as on the whole connection: the same steps
    /// give the same answers, whether one connection drives both halves or they are split and
    /// driven apart (where the send half learns the receive half's news at its next call), and
    /// whether frames are lent or handed out.
    #[test]
    fn split_halves_answer_as_the_whole_connection(
        transport in prop_oneof![Just(Transport::Fifo), Just(Transport::Tcp)],
        half_close in any::<bool>(),
        ops in prop::collection::vec(half_op(), 0..60),
    ) {
        let config = Config::default().with_max_frame_len(32).with_half_close(half_close);
        let mut whole = Connection::established(transport, Side::Client, config.clone());
        let (mut recv, mut send) =
            Connection::established(transport, Side::Client, config).into_split().expect("open");
        for op in &ops {
            let from_whole = apply_whole(&mut whole, op);
            let from_halves = apply_to_halves(&mut recv, &mut send, op);
            prop_assert_eq!(from_whole, from_halves, "{:?} after {:?}", op, ops);
        }
    }
}

/// Applies `op` to the whole connection through its halves' own methods.
fn apply_whole(conn: &mut Connection, op: &HalfOp) -> String {
    match op {
        HalfOp::Send(len) => format!("{:?}", conn.send_slice(&vec![7; *len])),
        HalfOp::Close => {
            conn.send_half_mut().close();
            String::new()
        }
        HalfOp::PollAction => {
            let action = conn.send_half_mut().poll_action();
            format!("{:?} {}", action, conn.send_half().buffered_len())
        }
        HalfOp::Written(n) => {
            conn.handle_written(*n);
            String::new()
        }
        HalfOp::WriteError => {
            conn.handle_write_error(model::io_failure());
            String::new()
        }
        HalfOp::CloseReported(ok) => {
            conn.handle_close(if *ok { Ok(()) } else { Err(model::io_failure()) });
            String::new()
        }
        HalfOp::Read(data) => {
            let space = conn.read_buf();
            let n = data.len().min(space.len());
            space[..n].copy_from_slice(&data[..n]);
            conn.handle_read(n);
            String::new()
        }
        HalfOp::ReadError => {
            conn.handle_read_error(model::io_failure());
            String::new()
        }
        HalfOp::PollRecv | HalfOp::PollRecvRef => format!("{:?}", conn.poll_recv()),
        HalfOp::FlushOutcome => format!("{:?}", conn.send_half_mut().flush_outcome()),
        HalfOp::PollClose => format!("{:?}", conn.send_half_mut().poll_close()),
    }
}

/// How many cases each property runs: `default`, or `PIPE_PROTO_CASES` when set (the mutation
/// testing script sets fewer, so that each of its hundreds of runs stays short).
fn cases(default: u32) -> u32 {
    std::env::var("PIPE_PROTO_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(default)
}

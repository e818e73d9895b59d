//! The rows of the behaviour table (`pipe-io/BEHAVIOUR.md`) at the core: each situation set up
//! with a fake-time [`Pair`], and what every input answers in it, on both transports, on the
//! whole connection and on the split halves alike.

use std::time::Duration;

use bytes::Bytes;

use super::util::{broken_pipe, ms, Pair};
use crate::{
    ConnectError, Connection, DecodeError, Failure, Received, RecvError, RecvHalf, SendError, SendHalf, Side, State,
    Transport, Undelivered,
};

const BOTH: [Transport; 2] = [Transport::Fifo, Transport::Tcp];

/// The peer (the client) goes away: its read end closes (our writes get `EPIPE`) and its write
/// end closes (our reads see the end of the stream).
fn peer_dies(pair: &mut Pair) {
    pair.client.read_end_gone = true;
    pair.client.write_end_closed = true;
}

#[test]
fn peer_closed_and_read_refuses_sends_repeats_the_close_and_closes_without_a_marker() {
    for transport in BOTH {
        let mut pair = Pair::connected(transport);
        pair.client.conn.close();
        pair.drive();
        let conn = &mut pair.channel.conn;
        assert_eq!(pair.channel.received, [Received::PeerClosed], "{transport:?}");
        assert!(conn.peer_closed());
        assert_eq!(conn.state(), State::Open, "the peer's close does not close this end");
        assert_eq!(conn.poll_recv(), Some(Ok(Received::PeerClosed)), "and it is repeated");
        assert_eq!(conn.send_slice(b"late"), Err(SendError::PeerClosed));
        assert_eq!(conn.connect(pair.now, ms(1)), Err(ConnectError::InvalidState { state: State::Open }));
        conn.close();
        pair.drive();
        assert!(pair.channel.wire.is_empty(), "{transport:?}: no close marker to a peer that closed");
        assert_eq!(pair.channel.conn.poll_close(), Some(Ok(())));
        assert_eq!(pair.channel.conn.state(), State::Closed);
    }
}

#[test]
fn peer_died_mid_frame_fails_receiving_and_then_sending_with_the_truncation() {
    for transport in BOTH {
        let mut pair = Pair::connected(transport);
        pair.channel.inbound.extend([0, 0, 0, 10, 1, 2, 3]);
        peer_dies(&mut pair);
        pair.drive();
        let truncated = Failure::Decode(DecodeError::Truncated { expected: 14, received: 7 });
        assert_eq!(pair.channel.recv_error, Some(RecvError::Failed(truncated.clone())), "{transport:?}");
        let conn = &mut pair.channel.conn;
        assert_eq!(conn.state(), State::Failed);
        assert_eq!(conn.failure(), Some(&truncated));
        assert_eq!(conn.poll_recv(), Some(Err(RecvError::Failed(truncated.clone()))), "the same answer");
        assert_eq!(conn.send_slice(b"x"), Err(SendError::Failed(truncated.clone())));
        assert_eq!(conn.connect(pair.now, ms(1)), Err(ConnectError::Failed(truncated.clone())));
        conn.close();
        assert_eq!(conn.poll_close(), Some(Ok(())), "nothing was lost");
        assert_eq!(conn.poll_action(), None, "nothing is written after a failure");
    }
}

#[test]
fn a_write_to_a_vanished_peer_counts_what_was_lost_and_receiving_goes_on_to_the_peers_end() {
    for transport in BOTH {
        let mut pair = Pair::connected(transport);
        pair.channel.inbound.extend([0, 0, 0, 2, b'h', b'i']); // the peer's last words
        peer_dies(&mut pair);
        pair.channel.reads_paused = true;
        pair.channel.conn.send_slice(b"one").unwrap();
        pair.channel.conn.send_slice(b"two").unwrap();
        pair.drive();
        let lost = SendError::Undelivered { undelivered: Undelivered { frames: 2, bytes: 14 }, cause: broken_pipe() };
        let conn = &mut pair.channel.conn;
        assert_eq!(conn.state(), State::Failed, "{transport:?}");
        assert_eq!(conn.send_slice(b"three"), Err(lost.clone()), "every later send: the same answer");
        assert_eq!(conn.send_half_mut().flush_outcome(), Err(lost.clone()));
        pair.channel.reads_paused = false;
        pair.drive();
        assert_eq!(pair.channel.frames(), [b"hi".to_vec()], "what the peer sent is still delivered");
        assert_eq!(pair.channel.received.last(), Some(&Received::PeerClosed), "up to its end");
        pair.channel.conn.close();
        assert_eq!(pair.channel.conn.poll_close(), Some(Err(lost)), "the close says what was lost");
    }
}

#[test]
fn closing_to_a_peer_that_vanished_with_nothing_queued_loses_nothing() {
    for transport in BOTH {
        let mut pair = Pair::connected(transport);
        peer_dies(&mut pair);
        pair.channel.conn.close();
        pair.drive();
        assert_eq!(pair.channel.conn.poll_close(), Some(Ok(())), "{transport:?}");
        assert_eq!(pair.channel.conn.state(), State::Closed, "{transport:?}");
    }
}

#[test]
fn after_our_close_receiving_and_sending_are_refused_and_connect_is_an_invalid_state() {
    for transport in BOTH {
        let mut pair = Pair::connected(transport);
        pair.channel.conn.close();
        pair.drive();
        let conn = &mut pair.channel.conn;
        assert_eq!(conn.poll_recv(), Some(Err(RecvError::ClosedLocally)), "{transport:?}");
        assert_eq!(conn.send_slice(b"x"), Err(SendError::ClosedLocally));
        assert_eq!(conn.connect(pair.now, ms(1)), Err(ConnectError::InvalidState { state: State::Closed }));
        assert_eq!(conn.poll_close(), Some(Ok(())));
        conn.close();
        assert_eq!(conn.poll_close(), Some(Ok(())), "closing again: the same answer");
    }
}

#[test]
fn a_half_close_lets_the_other_side_keep_sending_when_it_allows_half_closes() {
    for transport in BOTH {
        let config = crate::Config::default().with_half_close(true);
        let mut pair = Pair::connected_with(transport, config);
        pair.client.conn.close();
        pair.drive();
        assert!(pair.channel.conn.peer_closed());
        pair.channel.conn.send_slice(b"still").unwrap();
        pair.channel.conn.close();
        pair.drive();
        let marker: &[u8] = if transport == Transport::Fifo { &[0, 0, 0, 0] } else { &[] };
        assert_eq!(pair.channel.wire, [&[0, 0, 0, 5][..], b"still", marker].concat(), "{transport:?}");
    }
}

/// The split halves of a connection in a situation answer as the whole connection does.
fn split(pair: Pair) -> (RecvHalf, SendHalf) {
    pair.channel.conn.into_split().expect("an open connection splits")
}

#[test]
fn split_halves_learn_the_peers_close_and_the_receive_failure_from_each_other() {
    for transport in BOTH {
        let pair = Pair::connected(transport);
        let (mut recv, mut send) = split(pair);
        recv.read_buf()[..4].copy_from_slice(&[0, 0, 0, 0]);
        recv.handle_read(4);
        assert_eq!(recv.poll_recv(), Some(Ok(Received::PeerClosed)));
        assert_eq!(send.send(Bytes::from_static(b"x")), Err(SendError::PeerClosed), "{transport:?}");
        send.close();
        assert_eq!(send.buffered_len(), 0, "no close marker to a peer that closed");

        let pair = Pair::connected(transport);
        let (mut recv, mut send) = split(pair);
        send.send_slice(b"queued").unwrap();
        recv.read_buf()[..4].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        recv.handle_read(4);
        let too_large = Failure::Decode(DecodeError::TooLarge { declared: u32::MAX as usize, max: 16 << 20 });
        assert_eq!(recv.poll_recv(), Some(Err(RecvError::Failed(too_large.clone()))));
        let lost = SendError::Undelivered { undelivered: Undelivered { frames: 1, bytes: 10 }, cause: too_large };
        assert_eq!(send.send_slice(b"more"), Err(lost.clone()), "the send half fails with the receive half");
        assert_eq!(send.poll_action(), None);
        assert_eq!(send.poll_close(), Some(Err(lost)));
    }
}

#[test]
fn a_write_failure_of_the_send_half_does_not_end_the_receive_half() {
    let pair = Pair::connected(Transport::Fifo);
    let (mut recv, mut send) = split(pair);
    send.send_slice(b"x").unwrap();
    send.handle_write_error(broken_pipe());
    recv.read_buf()[..5].copy_from_slice(&[0, 0, 0, 1, 9]);
    recv.handle_read(5);
    assert_eq!(recv.poll_recv(), Some(Ok(Received::Frame(Bytes::from_static(&[9])))));
}

#[test]
fn only_the_halves_of_one_connection_are_put_back_together() {
    let (recv, send) = split(Pair::connected(Transport::Tcp));
    let (other_recv, other_send) = split(Pair::connected(Transport::Tcp));
    let (recv, other_send) = match Connection::reunite(recv, other_send, Side::Channel) {
        Err(halves) => halves,
        Ok(_) => panic!("halves of two connections were put together"),
    };
    let whole = Connection::reunite(recv, send, Side::Channel).expect("the halves of one connection");
    assert_eq!((whole.state(), whole.side(), whole.transport()), (State::Open, Side::Channel, Transport::Tcp));
    assert!(Connection::reunite(other_recv, other_send, Side::Client).is_ok());
}

// ---- the hang-up probe, with fake time ----

fn probe_config(every: Duration) -> crate::Config {
    crate::Config::default().with_fifo_hangup_probe(Some(every))
}

#[test]
fn a_waiting_fifo_reader_probes_once_per_interval_and_sees_a_hidden_hangup_at_the_first_probe() {
    let mut pair = Pair::connected_with(Transport::Fifo, probe_config(ms(1000)));
    let start = pair.now;
    pair.drive();
    assert_eq!(pair.channel.conn.poll_timeout(), Some(start + ms(1000)), "armed when the reader waits");
    pair.advance(ms(999));
    pair.drive();
    assert_eq!(pair.channel.probes, 0, "not before the interval");
    pair.advance(ms(1));
    pair.drive();
    assert_eq!(pair.channel.probes, 1, "exactly at the interval");
    assert_eq!(pair.channel.conn.poll_timeout(), Some(start + ms(2000)), "re-armed: the peer is alive");
    // The peer vanishes without the close frame, and the OS does not tell the waiting reader.
    pair.client.write_end_hidden = true;
    pair.advance(ms(1000));
    pair.drive();
    assert_eq!(pair.channel.probes, 2);
    assert_eq!(pair.channel.received, [Received::PeerClosed], "the probe read the end of the stream");
    assert_eq!(pair.channel.conn.poll_timeout(), None, "no probe after the end");
}

#[test]
fn data_ends_a_wait_and_the_probe_is_armed_again_only_when_the_reader_waits_again() {
    let mut pair = Pair::connected_with(Transport::Fifo, probe_config(ms(100)));
    let start = pair.now;
    pair.drive();
    pair.advance(ms(50));
    pair.client.conn.send_slice(b"data").unwrap();
    pair.drive();
    assert_eq!(pair.channel.frames(), [b"data".to_vec()]);
    assert_eq!(pair.channel.conn.poll_timeout(), Some(start + ms(150)), "a new wait, a new interval");
    assert_eq!(pair.channel.probes, 0);
}

#[test]
fn tcp_and_a_fifo_without_the_probe_never_arm_a_timer_while_open() {
    for (transport, config) in [
        (Transport::Tcp, probe_config(ms(10))),
        (Transport::Fifo, crate::Config::default().with_fifo_hangup_probe(None)),
    ] {
        let mut pair = Pair::connected_with(transport, config);
        pair.drive();
        assert_eq!(pair.channel.conn.poll_timeout(), None, "{transport:?}");
        pair.advance(ms(1000));
        pair.drive();
        assert_eq!(pair.channel.probes, 0, "{transport:?}");
    }
}

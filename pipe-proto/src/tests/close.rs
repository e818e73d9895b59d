//! Closing: what each transport puts on the wire, what the peer sees, and what is refused after.

use bytes::Bytes;

use super::util::{broken_pipe, encoded, ms, Pair};
use crate::SendAction;
use crate::{Action, ConnectError, Event, Received, RecvError, SendError, State, Transport, Undelivered};

#[test]
fn fifo_client_close_sends_a_zero_frame_then_closes_its_write_end() {
    let mut pair = Pair::connected(Transport::Fifo);
    pair.client.conn.close();
    assert_eq!(pair.client.conn.state(), State::Closing);
    pair.drive();
    assert_eq!(pair.client.conn.state(), State::Closed);
    assert_eq!(pair.client.wire, [0, 0, 0, 0]);
    assert_eq!(
        pair.client.actions[pair.client.actions.len() - 2..],
        [Action::Send(SendAction::Transmit), Action::Send(SendAction::CloseWrite)]
    );
    assert!(pair.client.write_end_closed);

    assert_eq!(pair.channel.received, [Received::PeerClosed]);
    assert_eq!(pair.channel.conn.state(), State::Open, "the peer's close does not close this end");
    for _ in 0..3 {
        assert_eq!(pair.channel.conn.poll_recv(), Some(Ok(Received::PeerClosed)), "and keeps saying so");
    }
}

#[test]
fn fifo_channel_close_sends_a_zero_frame_then_closes_its_write_end() {
    let mut pair = Pair::connected(Transport::Fifo);
    pair.channel.conn.close();
    pair.drive();
    assert_eq!(pair.channel.conn.state(), State::Closed);
    assert_eq!(pair.channel.wire, [0, 0, 0, 0]);
    assert_eq!(pair.channel.actions.last(), Some(&Action::Send(SendAction::CloseWrite)));
    assert_eq!(pair.client.received, [Received::PeerClosed]);
    assert_eq!(pair.client.conn.poll_recv(), Some(Ok(Received::PeerClosed)));
    assert_eq!(pair.client.conn.poll_recv(), Some(Ok(Received::PeerClosed)));
}

#[test]
fn fifo_zero_frame_is_a_close_even_while_the_write_end_stays_open() {
    // macOS never reports that the last FIFO writer left: the zero frame alone must do.
    let mut pair = Pair::connected(Transport::Fifo);
    pair.channel.inbound.extend([0, 0, 0, 0]);
    pair.drive();
    assert_eq!(pair.channel.received, [Received::PeerClosed]);
    assert!(!pair.client.write_end_closed);
    assert!(!pair.channel.conn.recv_half().inbox().wants_read(), "nothing more is read after the close");
}

#[test]
fn tcp_client_close_half_closes_without_a_zero_frame() {
    let mut pair = Pair::connected(Transport::Tcp);
    pair.client.conn.close();
    pair.drive();
    assert_eq!(pair.client.conn.state(), State::Closed);
    assert!(pair.client.wire.is_empty(), "a Go peer would answer a zero frame with an error");
    assert_eq!(pair.client.actions.last(), Some(&Action::Send(SendAction::CloseWrite)));
    assert!(!pair.client.actions.contains(&Action::Send(SendAction::Transmit)));

    assert_eq!(pair.channel.received, [Received::PeerClosed], "EOF at a frame boundary");
    assert_eq!(pair.channel.conn.poll_recv(), Some(Ok(Received::PeerClosed)));
    assert_eq!(pair.channel.conn.poll_recv(), Some(Ok(Received::PeerClosed)));
}

#[test]
fn tcp_channel_close_half_closes_without_a_zero_frame() {
    let mut pair = Pair::connected(Transport::Tcp);
    pair.channel.conn.close();
    pair.drive();
    assert_eq!(pair.channel.conn.state(), State::Closed);
    assert!(pair.channel.wire.is_empty());
    assert_eq!(pair.client.received, [Received::PeerClosed]);
    assert_eq!(pair.client.conn.poll_recv(), Some(Ok(Received::PeerClosed)));
}

#[test]
fn close_sends_every_queued_frame_before_the_close() {
    for transport in [Transport::Fifo, Transport::Tcp] {
        let mut pair = Pair::connected(transport);
        pair.client.max_write = 3;
        pair.client.conn.send_slice(b"one").unwrap();
        pair.client.conn.send(Bytes::from(vec![2; 5000])).unwrap();
        pair.client.conn.close();
        pair.drive();
        let mut expected = encoded(&[b"one", &[2; 5000]]);
        if transport == Transport::Fifo {
            expected.extend_from_slice(&[0, 0, 0, 0]);
        }
        assert_eq!(pair.client.wire, expected, "{transport:?}");
        assert_eq!(pair.client.actions.last(), Some(&Action::Send(SendAction::CloseWrite)));
        assert_eq!(pair.channel.frames(), [b"one".to_vec(), vec![2; 5000]]);
        assert_eq!(pair.channel.received.last(), Some(&Received::PeerClosed));
    }
}

#[test]
fn closing_twice_is_harmless() {
    for transport in [Transport::Fifo, Transport::Tcp] {
        let mut pair = Pair::connected(transport);
        pair.client.conn.close();
        pair.client.conn.close();
        pair.drive();
        pair.client.conn.close();
        pair.drive();
        assert_eq!(pair.client.conn.state(), State::Closed);
        let close_writes = pair.client.actions.iter().filter(|a| **a == Action::Send(SendAction::CloseWrite)).count();
        assert_eq!(close_writes, 1, "{transport:?}");
        let marker_len = if transport == Transport::Fifo { 4 } else { 0 };
        assert_eq!(pair.client.wire.len(), marker_len, "one close marker at most");
        assert_eq!(pair.channel.received, [Received::PeerClosed]);
    }
}

#[test]
fn send_after_close_is_refused_as_closed() {
    for transport in [Transport::Fifo, Transport::Tcp] {
        let mut pair = Pair::connected(transport);
        pair.client.conn.close();
        assert_eq!(pair.client.conn.send_slice(b"late"), Err(SendError::ClosedLocally), "while closing");
        pair.drive();
        assert_eq!(pair.client.conn.send(Bytes::from_static(b"late")), Err(SendError::ClosedLocally), "once closed");
        assert_eq!(pair.client.conn.send_half().outbox().buffered_len(), 0);
    }
}

#[test]
fn send_after_the_peer_closed_is_refused_as_peer_closed() {
    for transport in [Transport::Fifo, Transport::Tcp] {
        let mut pair = Pair::connected(transport);
        pair.channel.conn.close();
        pair.drive();
        assert_eq!(pair.client.received, [Received::PeerClosed]);
        assert_eq!(pair.client.conn.send_slice(b"anyone?"), Err(SendError::PeerClosed), "{transport:?}");
        assert_eq!(pair.client.conn.send(Bytes::from_static(b"anyone?")), Err(SendError::PeerClosed));
        assert!(pair.client.conn.send_half().outbox().is_flushed());
    }
}

#[test]
fn fifo_close_after_the_peer_closed_sends_no_zero_frame() {
    let mut pair = Pair::connected(Transport::Fifo);
    pair.channel.conn.close();
    pair.drive();
    pair.client.conn.close();
    pair.drive();
    assert_eq!(pair.client.conn.state(), State::Closed);
    assert!(pair.client.wire.is_empty(), "nobody is left to read it");
    assert_eq!(pair.client.actions.last(), Some(&Action::Send(SendAction::CloseWrite)));
}

#[test]
fn both_ends_closing_at_once_each_see_the_other_close() {
    for transport in [Transport::Fifo, Transport::Tcp] {
        let mut pair = Pair::connected(transport);
        pair.client.conn.close();
        pair.channel.conn.close();
        pair.drive();
        assert!(pair.both_in(State::Closed), "{transport:?}");
        assert_eq!(pair.client.conn.poll_recv(), Some(Err(RecvError::ClosedLocally)));
        assert_eq!(pair.channel.conn.poll_recv(), Some(Err(RecvError::ClosedLocally)));
    }
}

#[test]
fn receiving_after_closing_this_end_is_refused() {
    let mut pair = Pair::connected(Transport::Tcp);
    pair.channel.conn.send_slice(b"in flight").unwrap();
    pair.channel.drive(&mut pair.client, pair.now);
    pair.client.conn.close();
    pair.drive();
    assert_eq!(pair.client.conn.poll_recv(), Some(Err(RecvError::ClosedLocally)));
    assert!(pair.client.received.is_empty());
}

#[test]
fn close_before_connecting_closes_at_once() {
    for transport in [Transport::Fifo, Transport::Tcp] {
        let mut pair = Pair::new(transport);
        pair.client.conn.close();
        assert_eq!(pair.client.conn.state(), State::Closed);
        assert_eq!(pair.client.conn.poll_action(), None);
        assert_eq!(pair.client.conn.poll_timeout(), None);
        assert_eq!(
            pair.client.conn.connect(pair.now, ms(10)),
            Err(ConnectError::InvalidState { state: State::Closed })
        );
    }
}

#[test]
fn close_while_connecting_stops_the_connect_and_its_timers() {
    let mut pair = Pair::new(Transport::Tcp);
    pair.channel.listening = false;
    pair.client.conn.connect(pair.now, ms(100)).unwrap();
    pair.drive();
    assert!(pair.client.conn.poll_timeout().is_some());
    pair.client.conn.close();
    assert_eq!(pair.client.conn.state(), State::Closed);
    assert_eq!(pair.client.conn.poll_timeout(), None);
    assert_eq!(pair.client.conn.poll_action(), None);
    // A late answer to the refused dial changes nothing.
    pair.client.conn.handle_event(pair.now, Event::Done);
    pair.client.conn.handle_timeout(pair.now + ms(100));
    assert_eq!(pair.client.conn.state(), State::Closed);
}

#[test]
fn close_after_a_timeout_closes_at_once() {
    let mut pair = Pair::new(Transport::Tcp);
    pair.channel.listening = false;
    pair.client.conn.connect(pair.now, ms(10)).unwrap();
    pair.run_until(|p| p.client.conn.state() == State::Failed);
    pair.client.conn.close();
    assert_eq!(pair.client.conn.state(), State::Closed);
    assert_eq!(pair.client.conn.poll_action(), None);
}

#[test]
fn a_write_failure_while_closing_keeps_the_frames_to_take_back_and_the_close_says_what_was_lost() {
    let mut pair = Pair::connected(Transport::Fifo);
    pair.client.conn.send_slice(b"never written").unwrap();
    pair.client.conn.close();
    pair.client.conn.handle_write_error(broken_pipe());
    assert_eq!(pair.client.conn.state(), State::Failed);
    assert_eq!(pair.client.conn.poll_action(), None);
    let lost = SendError::Undelivered { undelivered: Undelivered { frames: 1, bytes: 17 }, cause: broken_pipe() };
    assert_eq!(pair.client.conn.poll_close(), Some(Err(lost.clone())));
    assert_eq!(pair.client.conn.take_unsent(), ["never written"], "the frame, without the close marker");
    assert!(pair.client.conn.send_half().outbox().is_flushed());
    assert_eq!(pair.client.conn.poll_close(), Some(Err(lost.clone())), "taking them back changes no answer");
    assert_eq!(pair.client.conn.send_slice(b"x"), Err(lost), "the same answer on every later call");
    assert_eq!(pair.client.conn.poll_recv(), Some(Err(RecvError::ClosedLocally)));
}

//! Reconnecting on the same rendezvous: who may, what each end does again, and what happens to
//! the frames the old peer did not get.

use std::time::Duration;

use bytes::Bytes;

use super::util::{broken_pipe, encoded, Pair};
use crate::{
    Action, Config, ConnectAction, ConnectError, Connection, Received, SendError, Side, State, Transport, Undelivered,
};

const TIMEOUT: Duration = Duration::from_secs(10);

fn frame(seq: u32) -> Bytes {
    Bytes::from(format!("frame {seq:04}").into_bytes())
}

/// The channel's writer is cut mid-frame by a full pipe; the client dies; the channel fails
/// with what it could not deliver.
fn channel_cut_mid_frame_by_a_dead_client(transport: Transport) -> Pair {
    let mut pair = Pair::connected(transport);
    pair.client.reads_paused = true;
    pair.client.capacity = 30; // two frames and a bit of the third
    for seq in 0..5 {
        pair.channel.conn.send(frame(seq)).unwrap();
    }
    pair.drive();
    assert_eq!(pair.channel.wire.len(), 30, "the writer is blocked on the full pipe");
    pair.replace_client(Config::default());
    let lost = Undelivered { frames: 3, bytes: 5 * 14 - 30 };
    assert_eq!(
        pair.channel.conn.send_half_mut().flush_outcome(),
        Err(SendError::Undelivered { undelivered: lost, cause: broken_pipe() })
    );
    pair
}

#[test]
fn a_channel_whose_client_died_mid_frame_sends_the_cut_frame_whole_to_the_next_client() {
    for transport in [Transport::Fifo, Transport::Tcp] {
        let mut pair = channel_cut_mid_frame_by_a_dead_client(transport);
        pair.channel.reconnect(pair.now, TIMEOUT).unwrap();
        assert_eq!(pair.channel.conn.state(), State::Connecting);
        pair.client.conn.connect(pair.now, TIMEOUT).unwrap();
        pair.run_until(|p| p.both_in(State::Open));
        assert!(
            pair.channel.actions.contains(&Action::Connect(ConnectAction::Listen)),
            "{transport:?}: the channel opened its meeting place again"
        );
        pair.channel.conn.send(frame(5)).unwrap();
        pair.drive();
        let expected: Vec<Vec<u8>> = (2..6).map(|seq| frame(seq).to_vec()).collect();
        assert_eq!(pair.client.frames(), expected, "{transport:?}: every frame not completely written, once, in order");
    }
}

#[test]
fn frames_taken_back_before_the_reconnect_are_not_sent_again() {
    let mut pair = channel_cut_mid_frame_by_a_dead_client(Transport::Fifo);
    let unsent = pair.channel.conn.take_unsent();
    assert_eq!(unsent, [frame(2), frame(3), frame(4)], "the cut frame whole, then the rest");
    pair.channel.reconnect(pair.now, TIMEOUT).unwrap();
    pair.client.conn.connect(pair.now, TIMEOUT).unwrap();
    pair.run_until(|p| p.both_in(State::Open));
    pair.channel.conn.send(frame(9)).unwrap();
    pair.drive();
    assert_eq!(pair.client.frames(), [frame(9).to_vec()]);
}

#[test]
fn a_reconnect_that_times_out_keeps_the_frames_for_the_next_attempt_or_to_take_back() {
    let mut pair = channel_cut_mid_frame_by_a_dead_client(Transport::Tcp);
    pair.channel.reconnect(pair.now, Duration::from_millis(100)).unwrap();
    pair.run_until(|p| p.channel.conn.state() == State::Failed);
    assert!(matches!(pair.channel.conn.poll_connect(), Some(Err(ConnectError::Timeout { .. }))));
    pair.channel.reconnect(pair.now, TIMEOUT).unwrap();
    assert_eq!(pair.channel.conn.take_unsent(), [frame(2), frame(3), frame(4)], "whole, while not connected");
    pair.client.conn.connect(pair.now, TIMEOUT).unwrap();
    pair.run_until(|p| p.both_in(State::Open));
    pair.drive();
    assert!(pair.client.frames().is_empty());
}

#[test]
fn a_channel_whose_client_closed_waits_for_the_next_one() {
    for transport in [Transport::Fifo, Transport::Tcp] {
        let mut pair = Pair::connected(transport);
        pair.client.conn.send_slice(b"first client").unwrap();
        pair.client.conn.close();
        pair.drive();
        assert_eq!(pair.channel.received, [Received::Frame(Bytes::from_static(b"first client")), Received::PeerClosed]);
        pair.replace_client(Config::default());
        pair.channel.reconnect(pair.now, TIMEOUT).unwrap();
        pair.client.conn.connect(pair.now, TIMEOUT).unwrap();
        pair.run_until(|p| p.both_in(State::Open));
        pair.client.conn.send_slice(b"second client").unwrap();
        pair.channel.conn.send_slice(b"welcome back").unwrap();
        pair.drive();
        assert_eq!(pair.channel.frames(), [b"first client".to_vec(), b"second client".to_vec()], "{transport:?}");
        assert_eq!(pair.client.frames(), [b"welcome back".to_vec()], "{transport:?}");
        assert!(!pair.channel.conn.peer_closed(), "{transport:?}: the new peer's pipe is open");
    }
}

#[test]
fn a_client_reconnects_to_a_channel_that_waits_again() {
    for transport in [Transport::Fifo, Transport::Tcp] {
        let mut pair = Pair::connected(transport);
        // The channel drops its peer and waits for the next: the client sees the end of the
        // stream, then connects again from the same process.
        pair.channel.conn.close();
        pair.drive();
        assert_eq!(pair.client.received, [Received::PeerClosed], "{transport:?}");
        let channel_config = Config::default();
        pair.channel = super::util::Peer::new(transport, Side::Channel, channel_config);
        pair.channel.conn.connect(pair.now, TIMEOUT).unwrap();
        pair.client.reconnect(pair.now, TIMEOUT).unwrap();
        pair.run_until(|p| p.both_in(State::Open));
        assert!(
            !pair.client.actions.contains(&Action::Connect(ConnectAction::Listen)),
            "{transport:?}: a client has no meeting place to open"
        );
        pair.client.conn.send_slice(b"again").unwrap();
        pair.drive();
        assert_eq!(pair.channel.frames(), [b"again".to_vec()], "{transport:?}");
        assert_eq!(pair.client.wire[pair.client.wire.len() - 9..], encoded(&[b"again"])[..]);
    }
}

#[test]
fn a_fifo_client_whose_close_was_cut_mid_frame_sends_the_rest_whole_without_the_close_marker_to_the_next_channel() {
    let mut pair = Pair::connected(Transport::Fifo);
    pair.channel.reads_paused = true;
    pair.channel.capacity = 30; // two frames and a bit of the third
    for seq in 0..5 {
        pair.client.conn.send(frame(seq)).unwrap();
    }
    pair.client.conn.close();
    pair.drive();
    assert_eq!(pair.client.wire.len(), 30, "the writer is blocked on the full pipe");
    let outbox = pair.client.conn.send_half().outbox();
    assert_eq!(outbox.buffered_len(), 5 * 14 + 4 - 30, "the rest, then the close marker");
    assert_eq!(outbox.undelivered(), Undelivered { frames: 3, bytes: 5 * 14 - 30 }, "the marker is no frame");

    // The channel process dies: the client's next write fails.
    pair.channel.write_end_closed = true;
    pair.channel.read_end_gone = true;
    while pair.client.drive(&mut pair.channel, pair.now) {}
    let lost = Undelivered { frames: 3, bytes: 5 * 14 - 30 };
    assert_eq!(
        pair.client.conn.poll_close(),
        Some(Err(SendError::Undelivered { undelivered: lost, cause: broken_pipe() }))
    );

    pair.channel = super::util::Peer::new(Transport::Fifo, Side::Channel, Config::default());
    pair.channel.conn.connect(pair.now, TIMEOUT).unwrap();
    pair.client.reconnect(pair.now, TIMEOUT).unwrap();
    let outbox = pair.client.conn.send_half().outbox();
    assert_eq!(outbox.buffered_len(), 3 * 14, "the cut frame whole and the two after it: no close marker");
    assert_eq!(outbox.undelivered(), Undelivered { frames: 3, bytes: 3 * 14 });
    pair.run_until(|p| p.both_in(State::Open));
    pair.drive();
    let expected: Vec<Vec<u8>> = (2..5).map(|seq| frame(seq).to_vec()).collect();
    assert_eq!(pair.channel.frames(), expected, "every frame not completely written, once, in order");
    assert!(!pair.channel.conn.peer_closed(), "the close was not sent again");
    assert!(pair.client.conn.send_half().outbox().is_flushed());
    assert_eq!(pair.client.conn.send_half().outbox().undelivered(), Undelivered::default());
}

#[test]
fn reconnect_is_refused_while_the_peer_is_there_after_a_close_and_without_a_rendezvous() {
    let mut pair = Pair::connected(Transport::Tcp);
    assert_eq!(pair.channel.conn.reconnect(pair.now, TIMEOUT), Err(ConnectError::InvalidState { state: State::Open }));

    pair.client.conn.close();
    pair.drive();
    assert!(pair.channel.conn.peer_closed());
    pair.channel.conn.close();
    pair.drive();
    assert_eq!(
        pair.channel.conn.reconnect(pair.now, TIMEOUT),
        Err(ConnectError::InvalidState { state: State::Closed }),
        "a closed pipe released its rendezvous"
    );

    let mut established = Connection::established(Transport::Tcp, Side::Channel, Config::default());
    established.handle_read(0);
    assert_eq!(established.poll_recv(), Some(Ok(Received::PeerClosed)));
    assert_eq!(established.reconnect(pair.now, TIMEOUT), Err(ConnectError::NoRendezvous));
    let (recv, send) = established.into_split().unwrap();
    let mut reunited = Connection::reunite(recv, send, Side::Channel).unwrap();
    assert_eq!(reunited.reconnect(pair.now, TIMEOUT), Err(ConnectError::NoRendezvous), "the halves remember");
}

#[test]
fn a_client_that_closed_may_connect_again_once_the_close_is_over() {
    let mut pair = Pair::connected(Transport::Fifo);
    pair.client.conn.send_slice(b"one").unwrap();
    pair.client.conn.close();
    assert_eq!(
        pair.client.conn.reconnect(pair.now, TIMEOUT),
        Err(ConnectError::InvalidState { state: State::Closing }),
        "not while the close is under way"
    );
    pair.drive();
    assert_eq!(pair.client.conn.state(), State::Closed);
    assert_eq!(pair.channel.received, [Received::Frame(Bytes::from_static(b"one")), Received::PeerClosed]);
    pair.channel.reconnect(pair.now, TIMEOUT).unwrap();
    pair.client.reconnect(pair.now, TIMEOUT).unwrap();
    pair.run_until(|p| p.both_in(State::Open));
    pair.client.conn.send_slice(b"two").unwrap();
    pair.drive();
    assert_eq!(pair.channel.frames(), [b"one".to_vec(), b"two".to_vec()]);
    assert!(pair.client.conn.poll_recv().is_none(), "the client's receive half starts afresh");
}

#[test]
fn a_fifo_client_that_opened_the_old_fifos_opens_the_new_ones() {
    use crate::Event;
    let now = std::time::Instant::now();
    let mut client = Connection::new(Transport::Fifo, Side::Client, Config::default());
    client.connect(now, TIMEOUT).unwrap();
    assert_eq!(client.poll_connect_action(), Some(ConnectAction::OpenRead));
    client.handle_event(now, Event::Done);
    assert_eq!(client.poll_connect_action(), Some(ConnectAction::OpenWrite));
    client.handle_event(now, Event::Done);
    assert_eq!(client.poll_connect_action(), Some(ConnectAction::ProbeRead));
    client.handle_event(now, Event::Replaced);
    assert_eq!(client.poll_connect_action(), Some(ConnectAction::OpenRead), "at once, no retry delay");
    client.handle_event(now, Event::Done);
    assert_eq!(client.poll_connect_action(), Some(ConnectAction::OpenWrite), "both ends anew");
    client.handle_event(now, Event::Done);
    assert_eq!(client.poll_connect_action(), Some(ConnectAction::ProbeRead));
    client.handle_event(now, Event::WouldBlock);
    assert_eq!(client.state(), State::Open);
}

#[test]
fn reconnect_before_any_connect_is_a_connect() {
    let mut pair = Pair::new(Transport::Tcp);
    pair.channel.conn.reconnect(pair.now, TIMEOUT).unwrap();
    pair.client.conn.reconnect(pair.now, TIMEOUT).unwrap();
    pair.run_until(|p| p.both_in(State::Open));
    assert_eq!(pair.channel.actions[0], Action::Connect(ConnectAction::Accept), "the listener is still bound");
}

#[test]
fn a_reunited_pipe_can_reconnect_with_its_own_configuration() {
    let config = Config::default().with_max_frame_len(8);
    let mut pair = Pair::connected_with(Transport::Tcp, config.clone());
    pair.client.conn.close();
    pair.drive();
    let conn =
        std::mem::replace(&mut pair.channel.conn, Connection::new(Transport::Tcp, Side::Channel, Config::default()));
    let (recv, send) = conn.into_split().unwrap();
    pair.channel.conn = Connection::reunite(recv, send, Side::Channel).unwrap();
    pair.replace_client(config);
    pair.channel.reconnect(pair.now, TIMEOUT).unwrap();
    pair.client.conn.connect(pair.now, TIMEOUT).unwrap();
    pair.run_until(|p| p.both_in(State::Open));
    assert!(pair.channel.conn.send_slice(&[1; 9]).is_err(), "the frame limit of the pipe's configuration");
    pair.channel.conn.send_slice(&[1; 8]).unwrap();
}

//! A batch cut by a failure: every frame taken from the caller's iterator is either handed to
//! the OS or counted as undelivered and kept, in order, for `take_unsent` and the reconnect; and
//! a message handed over by value to a failed half (a `Sink`'s item) is kept the same way.

use std::io::ErrorKind;
use std::time::Duration;

use bytes::Bytes;

use super::util::{broken_pipe, Pair};
use crate::{Config, Connection, Failure, SendError, Side, State, Transport, Undelivered};

const TIMEOUT: Duration = Duration::from_secs(10);

/// 14 bytes on the wire (4 of header, 10 of payload).
fn frame(seq: u32) -> Bytes {
    Bytes::from(format!("frame {seq:04}").into_bytes())
}

const WIRE: usize = 14;

fn lost(frames: usize, bytes: usize) -> SendError {
    SendError::Undelivered { undelivered: Undelivered { frames, bytes }, cause: broken_pipe() }
}

/// A channel whose high-water mark holds one frame writes a batch of 20 to a client that stopped
/// reading after 4 frames and a half; the client dies while the writer is blocked. The batch is
/// driven as the IO layer drives it: queue with `send_from` until the mark, write, again.
/// Returns the pair and the answer of the batch, with the iterator it was given.
fn batch_cut_by_a_dead_client(transport: Transport) -> (Pair, Result<(), SendError>, std::vec::IntoIter<Bytes>) {
    let config = Config::default().with_high_water_mark(WIRE);
    let mut pair = Pair::connected_with(transport, config);
    pair.client.reads_paused = true;
    pair.client.capacity = 4 * WIRE + 6; // message 4 cut after its header and 2 bytes
    let mut batch: std::vec::IntoIter<Bytes> = (0..20).map(frame).collect::<Vec<_>>().into_iter();
    let mut client_died = false;
    let mut rounds = 0;
    let answer = loop {
        rounds += 1;
        assert!(rounds < 1000, "{transport:?}: the batch loop never ends");
        let send = pair.channel.conn.send_half_mut();
        let queued =
            if pair.channel.wire.is_empty() { send.send_from(&mut batch) } else { send.continue_from(&mut batch) };
        match queued {
            Ok(true) => break pair.channel.conn.send_half_mut().flush_outcome(),
            Ok(false) => {
                pair.drive();
                if pair.channel.wire.len() == 4 * WIRE + 6 && !client_died {
                    pair.replace_client(Config::default());
                    client_died = true;
                }
                if pair.channel.conn.state() == State::Failed && !client_died {
                    panic!("failed before the client died");
                }
            }
            Err(err) => break Err(err),
        }
    };
    assert!(client_died, "{transport:?}: the writer was blocked mid-frame");
    (pair, answer, batch)
}

#[test]
fn a_batch_cut_by_a_dead_peer_counts_every_message_it_took_and_did_not_hand_to_the_os() {
    for transport in [Transport::Fifo, Transport::Tcp] {
        let (mut pair, answer, mut batch) = batch_cut_by_a_dead_client(transport);
        assert_eq!(answer, Err(lost(16, 16 * WIRE - 6)), "{transport:?}: message 4 (cut) and 5 to 19");
        assert_eq!(batch.next(), None, "{transport:?}: the whole batch was taken");
        let kept: Vec<Bytes> = (4..20).map(frame).collect();
        assert_eq!(pair.channel.conn.take_unsent(), kept, "{transport:?}: in order, the cut one whole");
        assert_eq!(pair.channel.conn.poll_close(), Some(Err(lost(16, 16 * WIRE - 6))), "the counts stay");
    }
}

#[test]
fn after_a_batch_cut_by_a_dead_peer_the_next_peer_gets_every_message_counted_once_in_order() {
    for transport in [Transport::Fifo, Transport::Tcp] {
        let (mut pair, _, _) = batch_cut_by_a_dead_client(transport);
        pair.channel.reconnect(pair.now, TIMEOUT).unwrap();
        pair.client.conn.connect(pair.now, TIMEOUT).unwrap();
        pair.run_until(|p| p.both_in(State::Open));
        pair.channel.conn.send(frame(20)).unwrap();
        pair.drive();
        let expected: Vec<Vec<u8>> = (4..21).map(|seq| frame(seq).to_vec()).collect();
        assert_eq!(pair.client.frames(), expected, "{transport:?}");
    }
}

#[test]
fn a_batch_given_to_a_half_that_already_failed_is_kept_whole_and_counted() {
    let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    conn.send(frame(0)).unwrap();
    conn.handle_write_error(broken_pipe());
    let mut batch = (1..4).map(frame);
    assert_eq!(conn.send_half_mut().send_from(&mut batch), Err(lost(4, 4 * WIRE)));
    assert_eq!(batch.next(), None);
    assert_eq!(conn.take_unsent(), (0..4).map(frame).collect::<Vec<_>>());
}

#[test]
fn a_batch_kept_by_a_failed_half_ends_at_an_invalid_message_as_it_would_on_an_open_one() {
    let mut conn = Connection::established(Transport::Fifo, Side::Client, Config::default());
    conn.send(frame(0)).unwrap();
    conn.handle_write_error(broken_pipe());
    let mut batch = [frame(1), Bytes::new(), frame(2)].into_iter();
    assert_eq!(conn.send_half_mut().send_from(&mut batch), Err(lost(2, 2 * WIRE)));
    assert_eq!(batch.next(), Some(frame(2)), "nothing after the invalid message is taken");
    assert_eq!(conn.take_unsent(), [frame(0), frame(1)]);
}

#[test]
fn a_batch_on_a_split_half_whose_receive_half_failed_mid_batch_is_kept_whole() {
    let config = Config::default().with_high_water_mark(WIRE);
    let (mut recv, mut send) = Connection::established(Transport::Tcp, Side::Client, config).into_split().unwrap();
    let mut batch = (0..5).map(frame);
    assert_eq!(send.send_from(&mut batch), Ok(false), "one frame queued: at the mark");
    let reset = Failure::io(ErrorKind::ConnectionReset, Some(104), "reset");
    recv.handle_read_error(reset.clone());
    let answer = SendError::Undelivered { undelivered: Undelivered { frames: 5, bytes: 5 * WIRE }, cause: reset };
    assert_eq!(send.send_from(&mut batch), Err(answer), "seen at the next call: the rest kept");
    assert_eq!(batch.next(), None);
    assert_eq!(send.take_unsent(), (0..5).map(frame).collect::<Vec<_>>());
}

#[test]
fn a_message_handed_over_to_a_failed_half_is_kept_and_counted_a_borrowed_one_is_left_to_the_caller() {
    let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    conn.send(frame(0)).unwrap();
    conn.handle_write_error(broken_pipe());
    assert_eq!(conn.send_half_mut().ready_outcome(), Ok(()), "a Sink's next item is taken");
    assert_eq!(conn.send(frame(1)), Err(lost(2, 2 * WIRE)), "and counted");
    assert_eq!(conn.send_slice(b"borrowed"), Err(lost(2, 2 * WIRE)), "not copied: the caller has it");
    assert_eq!(conn.send(Bytes::new()), Err(lost(2, 2 * WIRE)), "an invalid message is not kept");
    assert_eq!(conn.take_unsent(), [frame(0), frame(1)]);
    assert_eq!(conn.send(frame(2)), Err(lost(3, 3 * WIRE)), "the counts are of everything not delivered");
    assert_eq!(conn.take_unsent(), [frame(2)]);
}

#[test]
fn a_failed_half_that_was_closing_refuses_new_messages_without_keeping_them() {
    let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    conn.send(frame(0)).unwrap();
    conn.close();
    conn.handle_write_error(broken_pipe());
    assert_eq!(conn.send_half_mut().ready_outcome(), Err(lost(1, WIRE)));
    assert_eq!(conn.send(frame(1)), Err(lost(1, WIRE)));
    assert_eq!(conn.send_half_mut().send_from(&mut (2..4).map(frame)), Err(lost(1, WIRE)));
    assert_eq!(conn.take_unsent(), [frame(0)]);
}

#[test]
fn a_batch_on_a_half_that_may_not_send_is_refused_at_once_even_with_a_full_queue() {
    let config = Config::default().with_high_water_mark(WIRE);
    let mut conn = Connection::established(Transport::Tcp, Side::Client, config);
    conn.send(frame(0)).unwrap();
    conn.close();
    let mut batch = (1..3).map(frame);
    assert_eq!(conn.send_half_mut().send_from(&mut batch), Err(SendError::ClosedLocally), "not a wait for room");
    assert_eq!(batch.next(), Some(frame(1)), "nothing taken");
}

#[test]
fn a_batch_begun_before_the_peer_s_close_arrived_is_written_whole() {
    for transport in [Transport::Fifo, Transport::Tcp] {
        let config = Config::default().with_high_water_mark(WIRE);
        let mut pair = Pair::connected_with(transport, config);
        let mut batch = (0..5).map(frame);
        assert_eq!(pair.channel.conn.send_half_mut().send_from(&mut batch), Ok(false));
        // The client closes its sending side, and still reads (a half-close, or a split
        // client whose writer closed).
        if transport == Transport::Fifo {
            pair.channel.inbound.extend([0, 0, 0, 0]);
        }
        pair.client.write_end_closed = true;
        pair.drive();
        assert!(pair.channel.conn.peer_closed(), "{transport:?}: the close arrived mid-batch");
        for rounds in 0.. {
            assert!(rounds < 1000, "{transport:?}: the batch never ends");
            match pair.channel.conn.send_half_mut().continue_from(&mut batch) {
                Ok(true) => break,
                Ok(false) => pair.drive(),
                Err(err) => panic!("{transport:?}: the batch stopped: {err:?}"),
            }
        }
        pair.drive();
        let expected: Vec<Vec<u8>> = (0..5).map(|seq| frame(seq).to_vec()).collect();
        assert_eq!(pair.client.frames(), expected, "{transport:?}: every message of the batch");
        let mut late = (5..6).map(frame);
        assert_eq!(pair.channel.conn.send_half_mut().send_from(&mut late), Err(SendError::PeerClosed));
        assert_eq!(late.len(), 1, "a new batch is refused before a message is taken");
    }
}

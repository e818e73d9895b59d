//! Sending: partial writes, backpressure, ordering, coalescing and zero-copy queueing.

use std::io::IoSlice;

use bytes::Bytes;

use super::util::{broken_pipe, encoded, Pair};
use crate::SendAction;
use crate::{Action, Config, EncodeError, SendError, State, Transport, Undelivered};

#[test]
fn partial_writes_resume_where_they_stopped() {
    for transport in [Transport::Fifo, Transport::Tcp] {
        let mut pair = Pair::connected(transport);
        pair.client.max_write = 1;
        let big = Bytes::from((0..3000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>());
        pair.client.conn.send_slice(b"small").unwrap();
        pair.client.conn.send(big.clone()).unwrap();
        pair.client.conn.send_slice(b"tail").unwrap();
        pair.drive();
        assert_eq!(pair.client.wire, encoded(&[b"small", &big, b"tail"]), "{transport:?}");
        assert!(pair.client.writes.iter().all(|n| *n == 1), "one byte per write");
        assert_eq!(pair.channel.frames(), [b"small".to_vec(), big.to_vec(), b"tail".to_vec()]);
        assert!(pair.client.conn.send_half().outbox().is_flushed());
    }
}

#[test]
fn a_partial_write_leaves_exactly_the_rest_queued() {
    let mut pair = Pair::connected(Transport::Tcp);
    pair.client.conn.send_slice(b"abcdef").unwrap();
    let wire = encoded(&[b"abcdef"]);
    for written in 0..wire.len() {
        let mut slices = [IoSlice::new(&[]); 4];
        let n = pair.client.conn.io_slices(&mut slices);
        let queued: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
        assert_eq!(queued, wire[written..]);
        assert_eq!(pair.client.conn.send_half().outbox().buffered_len(), wire.len() - written);
        pair.client.conn.handle_written(1);
    }
    assert!(pair.client.conn.send_half().outbox().is_flushed());
    assert_eq!(pair.client.conn.poll_action(), None);
}

#[test]
fn transmit_is_asked_for_while_bytes_are_queued_and_only_then() {
    let mut pair = Pair::connected(Transport::Fifo);
    assert_eq!(pair.client.conn.poll_action(), None);
    pair.client.conn.send_slice(b"x").unwrap();
    assert_eq!(pair.client.conn.poll_action(), Some(Action::Send(SendAction::Transmit)));
    assert_eq!(pair.client.conn.poll_action(), Some(Action::Send(SendAction::Transmit)), "until written");
    pair.client.conn.handle_written(5);
    assert_eq!(pair.client.conn.poll_action(), None);
}

#[test]
fn the_high_water_mark_holds_sends_back_until_the_peer_reads() {
    let config = Config::default().with_high_water_mark(1000);
    let mut pair = Pair::connected_with(Transport::Fifo, config);
    pair.channel.reads_paused = true;
    pair.channel.capacity = 0; // and its buffer is full: every write blocks
    let mut sent = 0;
    while pair.client.conn.is_send_ready() {
        pair.client.conn.send_slice(&[1; 96]).unwrap();
        sent += 1;
        assert!(sent <= 10, "still ready after {sent} frames of 100 bytes");
        pair.drive();
    }
    assert_eq!(sent, 10, "ten frames of 100 bytes reach the mark");
    assert_eq!(pair.client.conn.send_half().outbox().buffered_len(), 1000);
    assert!(pair.client.wire.is_empty());

    pair.channel.capacity = 150; // room for some
    pair.drive();
    assert_eq!(pair.client.wire.len(), 150);
    assert!(pair.client.conn.is_send_ready(), "850 queued: below the mark");

    pair.channel.capacity = usize::MAX;
    pair.channel.reads_paused = false;
    pair.drive();
    assert!(pair.client.conn.send_half().outbox().is_flushed());
    assert_eq!(pair.channel.frames().len(), 10);
}

#[test]
fn one_frame_larger_than_the_high_water_mark_is_accepted_when_the_queue_is_empty() {
    let config = Config::default().with_high_water_mark(100);
    let mut pair = Pair::connected_with(Transport::Tcp, config);
    assert!(pair.client.conn.is_send_ready());
    pair.client.conn.send(Bytes::from(vec![5; 10_000])).unwrap();
    assert!(!pair.client.conn.is_send_ready());
    pair.drive();
    assert!(pair.client.conn.is_send_ready());
    assert_eq!(pair.channel.frames(), [vec![5; 10_000]]);
}

#[test]
fn frames_are_never_interleaved_whatever_the_write_sizes() {
    let payloads: Vec<Bytes> = (1..40usize).map(|i| Bytes::from(vec![i as u8; i * i * 7])).collect();
    let refs: Vec<&[u8]> = payloads.iter().map(|p| &p[..]).collect();
    let expected = encoded(&refs);
    for max_write in [1, 2, 3, 5, 7, 64, 1000, 4096] {
        let mut pair = Pair::connected(Transport::Tcp);
        pair.client.max_write = max_write;
        for (i, payload) in payloads.iter().enumerate() {
            if i % 2 == 0 {
                pair.client.conn.send(payload.clone()).unwrap();
            } else {
                pair.client.conn.send_slice(payload).unwrap();
            }
            if i % 3 == 0 {
                pair.drive(); // some writes between sends
            }
        }
        pair.drive();
        assert_eq!(pair.client.wire, expected, "max_write {max_write}");
        assert_eq!(pair.channel.frames(), refs, "max_write {max_write}");
    }
}

#[test]
fn many_small_frames_are_coalesced_into_one_slice() {
    let mut pair = Pair::connected(Transport::Fifo);
    for i in 0..100u8 {
        pair.client.conn.send_slice(&[i; 10]).unwrap();
    }
    let mut slices = [IoSlice::new(&[]); 8];
    let n = pair.client.conn.io_slices(&mut slices);
    assert_eq!(n, 1, "one slice, one write");
    assert_eq!(slices[0].len(), 100 * 14);
    pair.drive();
    assert_eq!(pair.client.writes, [1400]);
    assert_eq!(pair.channel.frames().len(), 100);
}

#[test]
fn small_frames_sent_by_reference_are_coalesced_too() {
    let mut pair = Pair::connected(Transport::Tcp);
    for _ in 0..50 {
        pair.client.conn.send(Bytes::from_static(b"tiny")).unwrap();
    }
    let mut slices = [IoSlice::new(&[]); 8];
    assert_eq!(pair.client.conn.io_slices(&mut slices), 1);
    assert_eq!(slices[0].len(), 50 * 8);
}

#[test]
fn a_large_payload_is_queued_by_reference() {
    let config = Config::default().with_coalesce_limit(1024);
    let mut pair = Pair::connected_with(Transport::Tcp, config);
    let large = Bytes::from(vec![8; 1025]);
    pair.client.conn.send_slice(b"before").unwrap();
    pair.client.conn.send(large.clone()).unwrap();
    pair.client.conn.send_slice(b"after").unwrap();
    let mut slices = [IoSlice::new(&[]); 8];
    let n = pair.client.conn.io_slices(&mut slices);
    assert_eq!(n, 3, "staged bytes before, the payload itself, staged bytes after");
    assert_eq!(slices[1].as_ptr(), large.as_ptr(), "the same memory: not copied");
    assert_eq!(slices[1].len(), 1025);
    assert_eq!(&slices[0][..], &[&encoded(&[b"before"])[..], &[0, 0, 4, 1]].concat()[..]);
    assert_eq!(&slices[2][..], &encoded(&[b"after"])[..]);
}

#[test]
fn a_payload_at_the_coalescing_limit_is_copied_and_one_above_it_is_not() {
    let config = Config::default().with_coalesce_limit(100);
    let mut pair = Pair::connected_with(Transport::Tcp, config);
    let at_limit = Bytes::from(vec![1; 100]);
    pair.client.conn.send(at_limit.clone()).unwrap();
    let mut slices = [IoSlice::new(&[]); 8];
    assert_eq!(pair.client.conn.io_slices(&mut slices), 1);
    assert_ne!(slices[0][4..].as_ptr(), at_limit.as_ptr());

    let above = Bytes::from(vec![1; 101]);
    pair.client.conn.send(above.clone()).unwrap();
    let mut slices = [IoSlice::new(&[]); 8];
    assert_eq!(pair.client.conn.io_slices(&mut slices), 2);
    assert_eq!(slices[1].as_ptr(), above.as_ptr());
}

#[test]
fn io_slices_fills_only_the_slices_it_is_given_and_the_rest_follows() {
    let config = Config::default().with_coalesce_limit(0);
    let mut pair = Pair::connected_with(Transport::Tcp, config);
    let payloads: Vec<Bytes> = (1..=5u8).map(|i| Bytes::from(vec![i; 3])).collect();
    for payload in &payloads {
        pair.client.conn.send(payload.clone()).unwrap();
    }
    let refs: Vec<&[u8]> = payloads.iter().map(|p| &p[..]).collect();
    let expected = encoded(&refs);
    let mut wire = Vec::new();
    while !pair.client.conn.send_half().outbox().is_flushed() {
        let mut slices = [IoSlice::new(&[]); 3];
        let n = pair.client.conn.io_slices(&mut slices);
        assert!(n <= 3);
        let before = wire.len();
        for slice in &slices[..n] {
            wire.extend_from_slice(slice);
        }
        assert!(wire.len() > before, "bytes are queued, yet the slices hold none");
        let queued = pair.client.conn.send_half().buffered_len();
        pair.client.conn.handle_written(wire.len() - before);
        assert_eq!(pair.client.conn.send_half().buffered_len(), queued - (wire.len() - before), "written bytes leave");
    }
    assert_eq!(wire, expected);
}

#[test]
fn an_empty_frame_is_refused_before_anything_is_queued() {
    let mut pair = Pair::connected(Transport::Fifo);
    assert_eq!(pair.client.conn.send(Bytes::new()), Err(SendError::Frame(EncodeError::Empty)));
    assert_eq!(pair.client.conn.send_slice(b""), Err(SendError::Frame(EncodeError::Empty)));
    assert!(pair.client.conn.send_half().outbox().is_flushed());
    pair.drive();
    assert!(pair.client.wire.is_empty(), "the peer would have read a close");
    assert_eq!(pair.channel.conn.state(), State::Open);
}

#[test]
fn an_oversized_frame_is_refused_before_anything_is_queued() {
    let config = Config::default().with_max_frame_len(10).with_coalesce_limit(4);
    let mut pair = Pair::connected_with(Transport::Tcp, config);
    let too_large = SendError::Frame(EncodeError::TooLarge { len: 11, max: 10 });
    assert_eq!(pair.client.conn.send(Bytes::from(vec![0; 11])), Err(too_large.clone()));
    assert_eq!(pair.client.conn.send_slice(&[0; 11]), Err(too_large));
    assert!(pair.client.conn.send_half().outbox().is_flushed());
}

#[test]
fn send_before_the_connect_completes_is_refused() {
    let mut pair = Pair::new(Transport::Tcp);
    assert_eq!(pair.client.conn.send_slice(b"x"), Err(SendError::NotConnected));
    pair.client.conn.connect(pair.now, std::time::Duration::from_secs(1)).unwrap();
    assert_eq!(pair.client.conn.send_slice(b"x"), Err(SendError::NotConnected));
}

#[test]
fn send_after_an_io_failure_is_refused_and_the_queue_kept_to_take_back() {
    let mut pair = Pair::connected(Transport::Tcp);
    pair.client.conn.send_slice(b"queued").unwrap();
    pair.client.conn.handle_write_error(broken_pipe());
    assert_eq!(pair.client.conn.state(), State::Failed);
    let lost = Undelivered { frames: 1, bytes: 10 };
    assert_eq!(
        pair.client.conn.send_slice(b"x"),
        Err(SendError::Undelivered { undelivered: lost, cause: broken_pipe() })
    );
    assert_eq!(pair.client.conn.poll_action(), None);
    assert_eq!(pair.client.conn.take_unsent(), ["queued"]);
    assert!(pair.client.conn.send_half().outbox().is_flushed());
}

#[test]
fn a_written_count_past_the_queue_is_clamped() {
    let mut pair = Pair::connected(Transport::Tcp);
    pair.client.conn.send_slice(b"abc").unwrap();
    pair.client.conn.handle_written(1000);
    assert!(pair.client.conn.send_half().outbox().is_flushed());
    pair.client.conn.send_slice(b"def").unwrap();
    assert_eq!(pair.client.conn.send_half().outbox().buffered_len(), 7);
    assert_eq!(pair.client.conn.send_half().outbox().front(), &encoded(&[b"def"])[..]);
}

#[test]
fn the_batch_path_takes_nothing_at_the_mark_and_refuses_as_send_does() {
    let mut pair = Pair::connected_with(Transport::Tcp, crate::Config::default().with_high_water_mark(8));
    let send = pair.client.conn.send_half_mut();
    let mut frames = [b"1234", b"5678"].into_iter().map(|f| bytes::Bytes::from_static(f));
    assert_eq!(send.send_from(&mut frames), Ok(false));
    assert_eq!(frames.len(), 1, "one frame taken: the queue reached the mark");
    assert_eq!(send.send_from(&mut frames), Ok(false));
    assert_eq!(frames.len(), 1, "none taken at the mark");
    send.handle_written(8);
    assert_eq!(send.send_from(&mut frames), Ok(false));
    assert_eq!(frames.len(), 0);
    send.handle_written(8);
    assert_eq!(send.send_from(&mut std::iter::empty::<bytes::Bytes>()), Ok(true));

    send.close();
    let mut late = std::iter::once(bytes::Bytes::from_static(b"late"));
    assert_eq!(send.send_from(&mut late), Err(SendError::ClosedLocally));
    assert_eq!(late.len(), 1, "refused before a frame is taken");
    assert_eq!(send.send_from(&mut std::iter::empty::<bytes::Bytes>()), Err(SendError::ClosedLocally), "even none");

    let mut pair = Pair::connected(Transport::Tcp);
    pair.client.conn.send_slice(b"queued").unwrap();
    pair.client.conn.handle_write_error(broken_pipe());
    let failure = pair.client.conn.send_slice(b"x").unwrap_err();
    let kept = crate::Undelivered { frames: 2, bytes: 10 + 5 };
    let SendError::Undelivered { cause, .. } = failure else { panic!("{failure:?}") };
    let mut frames = std::iter::once(bytes::Bytes::from_static(b"y"));
    assert_eq!(
        pair.client.conn.send_half_mut().send_from(&mut frames),
        Err(SendError::Undelivered { undelivered: kept, cause }),
        "the failure, as send answers, with the batch kept and counted"
    );
    assert_eq!(pair.client.conn.take_unsent(), ["queued", "y"]);
}

/// Three frames: a staged one, one whose payload is a chunk of its own, and a staged one, with
/// a close marker after them or not; the wire they make and where each frame ends on it.
fn three_frames(marker: bool) -> (crate::Outbox, Vec<Vec<u8>>, Vec<u8>, [usize; 3]) {
    let mut outbox = crate::Outbox::new(&Config::default().with_coalesce_limit(64));
    let payloads = vec![vec![b'a'; 10], vec![b'b'; 100], vec![b'c'; 10]];
    outbox.push_slice(&payloads[0]).unwrap();
    outbox.push(Bytes::from(payloads[1].clone())).unwrap();
    outbox.push_slice(&payloads[2]).unwrap();
    let mut wire = encoded(&[&payloads[0], &payloads[1], &payloads[2]]);
    if marker {
        outbox.push_close_marker();
        wire.extend_from_slice(&crate::CLOSE_FRAME);
    }
    (outbox, payloads, wire, [14, 118, 132])
}

/// What the queue must count and give back once `written` bytes of `three_frames` went out.
fn check_after(outbox: &crate::Outbox, wire: &[u8], ends: [usize; 3], written: usize) {
    let frames = ends.iter().filter(|&&end| end > written).count();
    let undelivered = Undelivered { frames, bytes: ends[2].saturating_sub(written) };
    assert_eq!(outbox.undelivered(), undelivered, "after {written} bytes");
    assert_eq!(outbox.queued_frames(), frames, "after {written} bytes");
    assert_eq!(outbox.buffered_len(), wire.len() - written, "after {written} bytes");
    let mut slices = [IoSlice::new(&[]); 8];
    let n = outbox.io_slices(&mut slices);
    let queued: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
    assert_eq!(queued, wire[written..], "after {written} bytes");
}

#[test]
fn after_any_partial_write_the_frames_and_bytes_not_written_are_counted_and_given_back_whole() {
    for marker in [false, true] {
        let (_, _, wire, _) = three_frames(marker);
        // One write of every length: a header cut, a payload chunk cut, a frame boundary hit.
        for written in 0..wire.len() {
            let (mut outbox, payloads, wire, ends) = three_frames(marker);
            outbox.advance(written);
            check_after(&outbox, &wire, ends, written);
            let unsent: Vec<Vec<u8>> = outbox.take_unsent().iter().map(|frame| frame.to_vec()).collect();
            let not_written = ends.iter().position(|&end| end > written).unwrap_or(3);
            assert_eq!(unsent, payloads[not_written..], "marker {marker}, after {written} bytes");
            assert!(outbox.is_flushed());
        }
        // One byte per write: every frame boundary is reached by a write that ends on it.
        let (mut outbox, _, wire, ends) = three_frames(marker);
        for written in 1..wire.len() {
            outbox.advance(1);
            check_after(&outbox, &wire, ends, written);
        }
        outbox.advance(1);
        assert_eq!(outbox.undelivered(), Undelivered::default());
        assert!(outbox.is_flushed());
    }
}

#[test]
fn a_rewind_after_any_partial_write_queues_the_frames_not_completely_written_whole_without_the_marker() {
    for marker in [false, true] {
        let (_, _, wire, _) = three_frames(marker);
        for written in 0..wire.len() {
            let (mut outbox, _, _, ends) = three_frames(marker);
            outbox.advance(written);
            outbox.rewind();
            let start = ends.iter().rev().find(|&&end| end <= written).copied().unwrap_or(0);
            let rest = if start == ends[2] { &[][..] } else { &wire[start..ends[2]] };
            check_after(&outbox, rest, ends.map(|end| end.saturating_sub(start)), 0);
        }
    }
}

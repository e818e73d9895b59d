//! What the read buffer and the transmit queue promise about their memory and their slices (the
//! module docs of `inbox.rs` and `outbox.rs`), and what the halves tell about themselves: each a
//! behaviour the IO layer or a user relies on.

use std::io::IoSlice;

use bytes::Bytes;

use super::util::{broken_pipe, encoded, Pair};
use crate::{Config, Connection, Inbox, Outbox, Received, ReceivedRef, Side, Transport};

fn inbox(read_chunk: usize, max: usize) -> Inbox {
    Inbox::new(&Config::default().with_read_chunk(read_chunk).with_max_frame_len(max))
}

/// Puts `bytes` where the last `read_buf` offered space, and reports them.
fn read(inbox: &mut Inbox, bytes: &[u8]) {
    let space = inbox.read_buf();
    assert!(space.len() >= bytes.len(), "offered {} bytes, {} to read", space.len(), bytes.len());
    space[..bytes.len()].copy_from_slice(bytes);
    inbox.handle_read(bytes.len());
}

#[test]
fn a_new_inbox_offers_4_kib_and_doubles_while_reads_fill_it_up_to_the_read_chunk() {
    let mut inbox = inbox(64 * 1024, 1 << 20);
    assert_eq!(inbox.read_buf().len(), 4096, "a new pipe reads into 4 KiB, not a whole chunk");
    let mut offered = Vec::new();
    for _ in 0..6 {
        let len = inbox.read_buf().len();
        offered.push(len);
        // Whole frames of 4 + (len - 4) bytes: the read fills all it was given.
        let mut frame = ((len - 4) as u32).to_be_bytes().to_vec();
        frame.resize(len, 7);
        read(&mut inbox, &frame);
        assert!(matches!(inbox.poll_frame(), Some(Ok(Received::Frame(_)))));
        assert_eq!(inbox.poll_frame(), None);
    }
    assert_eq!(offered, [4096, 8192, 16384, 32768, 65536, 65536], "doubling, up to the read chunk");
}

#[test]
fn a_read_chunk_below_4_kib_is_the_first_offer_too() {
    assert_eq!(inbox(100, 1000).read_buf().len(), 100);
}

#[test]
fn short_reads_reuse_the_space_left_instead_of_making_more() {
    let mut inbox = inbox(4096, 1 << 20);
    assert_eq!(inbox.read_buf().len(), 4096);
    read(&mut inbox, &[0, 0, 0, 1, 9]);
    assert_eq!(inbox.poll_frame(), Some(Ok(Received::Frame(Bytes::from_static(&[9])))));
    assert_eq!(inbox.read_buf().len(), 4091, "the rest of the same space, not a new chunk");
    // Once less than half a chunk is left, a whole chunk is offered again.
    let mut frame = 2100u32.to_be_bytes().to_vec();
    frame.resize(2104, 1);
    read(&mut inbox, &frame);
    assert!(matches!(inbox.poll_frame(), Some(Ok(Received::Frame(_)))));
    assert_eq!(inbox.read_buf().len(), 4096);
}

#[test]
fn exactly_half_a_chunk_left_is_still_used_before_more_is_made() {
    let mut inbox = inbox(4096, 1 << 20);
    let mut frame = 2044u32.to_be_bytes().to_vec();
    frame.resize(2048, 2);
    read(&mut inbox, &frame);
    assert!(matches!(inbox.poll_frame(), Some(Ok(Received::Frame(_)))));
    assert_eq!(inbox.read_buf().len(), 2048, "half a chunk left: used as it is");
}

#[test]
fn inside_a_large_frame_the_space_grows_with_what_arrived_never_with_what_the_header_claims() {
    let mut inbox = inbox(1024, 1 << 20);
    let mut first = (1u32 << 20).to_be_bytes().to_vec();
    first.resize(1024, 3);
    read(&mut inbox, &first);
    assert_eq!(inbox.poll_frame(), None);
    // 1020 payload bytes are here: the next read may bring as many again, not the whole MiB.
    let offered = inbox.read_buf().len();
    assert!((1020..=2048).contains(&offered), "offered {offered} bytes inside a 1 MiB frame after 1 KiB");
    let mut received = 1020;
    while received < 1 << 20 {
        let space = inbox.read_buf();
        let n = space.len().min((1 << 20) - received);
        assert!(n > 0, "the inbox offered no space to read into");
        assert!(n <= received.max(1024), "a read of {n} bytes after only {received}");
        space[..n].fill(3);
        inbox.handle_read(n);
        received += n;
    }
    match inbox.poll_frame() {
        Some(Ok(Received::Frame(frame))) => assert_eq!(frame.len(), 1 << 20),
        other => panic!("the whole frame: {other:?}"),
    }
}

#[test]
fn once_a_large_frame_has_vouched_for_itself_the_rest_is_read_into_place_in_one_read_if_uninitialised() {
    use bytes::BufMut;
    let frame_len = 64 * 1024;
    let mut inbox = inbox(1024, 1 << 20);
    let mut wire = (frame_len as u32).to_be_bytes().to_vec();
    wire.extend((0..frame_len).map(|i| (i % 253) as u8));
    let mut offset = 0;
    let mut offers = Vec::new();
    let mut rest_at = None;
    while offset < wire.len() {
        let mut space = inbox.read_buf_uninit();
        let n = space.remaining_mut().min(wire.len() - offset);
        offers.push(space.remaining_mut());
        if rest_at.is_none() && offset >= 4 + frame_len / 32 {
            // What arrived vouches for the frame: the next byte goes right after it, for good.
            rest_at = Some(space.chunk_mut().as_mut_ptr() as usize - (offset - 4));
        }
        space.put_slice(&wire[offset..offset + n]);
        inbox.handle_read(n);
        offset += n;
        if offset < wire.len() {
            assert_eq!(inbox.poll_frame_ref(), None);
        }
    }
    // 1 KiB, then as much as arrived (doubling), then, past 1/32 of the frame, all the rest and
    // a chunk for what follows.
    assert_eq!(offers, [1024, 1024, 2044, frame_len - 4088 + 1024], "the reads offered");
    let Some(Ok(ReceivedRef::Frame(frame))) = inbox.poll_frame_ref() else { panic!("the frame") };
    assert_eq!(frame, &wire[4..]);
    assert_eq!(Some(frame.as_ptr() as usize), rest_at, "lent from where it was read");
    read(&mut inbox, &[0, 0, 0, 1, 9]);
    assert_eq!(inbox.poll_frame_ref(), Some(Ok(ReceivedRef::Frame(&[9]))), "and the next frame after it");
}

#[test]
fn once_a_large_frame_has_vouched_for_itself_its_buffer_never_moves_while_zeroed_reads_stay_small() {
    let frame_len = 64 * 1024;
    let mut inbox = inbox(1024, 1 << 20);
    // A small frame first, handed out and kept: the buffer it came from is shared, so growing
    // means moving to a new one.
    read(&mut inbox, &[0, 0, 0, 1, 5]);
    let _kept = inbox.poll_frame();
    let mut wire = (frame_len as u32).to_be_bytes().to_vec();
    wire.extend((0..frame_len).map(|i| (i % 251) as u8));
    let mut offset = 0;
    let mut payload_at = None;
    let mut lent = None;
    while offset < wire.len() {
        let space = inbox.read_buf();
        let n = space.len().min(wire.len() - offset);
        assert!(n <= (offset.max(1024)), "a zeroed read of {n} bytes after {offset}: memory grows with what arrived");
        let vouched = offset >= 4 + frame_len / 32;
        if vouched {
            let at = space.as_ptr() as usize - (offset - 4);
            assert_eq!(*payload_at.get_or_insert(at), at, "the frame moved after it vouched for itself");
        }
        space[..n].copy_from_slice(&wire[offset..offset + n]);
        if vouched {
            assert!(inbox.capacity() >= frame_len, "room for all of it, after {offset} bytes");
        } else {
            assert!(inbox.capacity() < frame_len, "room for all of it already, after {offset} bytes");
        }
        inbox.handle_read(n);
        offset += n;
        if let Some(Ok(Received::Frame(frame))) = inbox.poll_frame() {
            lent = Some(frame);
        }
    }
    let frame = lent.expect("the frame");
    assert_eq!(&frame[..], &wire[4..]);
    assert_eq!(Some(frame.as_ptr() as usize), payload_at, "handed out from where it was read");
}

#[test]
fn a_large_frame_is_moved_to_the_front_of_its_buffer_while_it_is_short() {
    // After a small frame is taken, a large one starts later in the allocation; it moves to the
    // front early, so the buffer does not grow past one frame plus a chunk.
    let max = 64 * 1024;
    let mut inbox = inbox(4096, max);
    let mut wire = vec![0, 0, 0, 1, 5];
    wire.extend_from_slice(&(max as u32).to_be_bytes());
    wire.resize(4096, 8);
    read(&mut inbox, &wire);
    assert!(matches!(inbox.poll_frame(), Some(Ok(Received::Frame(_)))));
    let mut received = 4096 - 9;
    while received < max {
        let space = inbox.read_buf();
        let n = space.len().min(max - received);
        assert!(n > 0, "the inbox offered no space to read into");
        space[..n].fill(8);
        inbox.handle_read(n);
        received += n;
        assert!(
            inbox.buffered_len() <= max + 4096 + 4,
            "holding {} bytes for a {max}-byte frame",
            inbox.buffered_len()
        );
    }
    assert!(matches!(inbox.poll_frame(), Some(Ok(Received::Frame(frame))) if frame.len() == max));
}

#[test]
fn lent_frames_are_the_read_buffer_itself() {
    let mut inbox = inbox(4096, 1 << 20);
    let wire = encoded(&[b"first", b"second"]);
    let space = inbox.read_buf();
    let base = space.as_ptr() as usize;
    space[..wire.len()].copy_from_slice(&wire);
    inbox.handle_read(wire.len());
    let Some(Ok(ReceivedRef::Frame(first))) = inbox.poll_frame_ref() else { panic!("a frame") };
    assert_eq!((first, first.as_ptr() as usize), (&b"first"[..], base + 4));
    let Some(Ok(ReceivedRef::Frame(second))) = inbox.poll_frame_ref() else { panic!("a frame") };
    assert_eq!((second, second.as_ptr() as usize), (&b"second"[..], base + 4 + 5 + 4));
    assert_eq!(inbox.poll_frame_ref(), None);
    assert_eq!(inbox.pending_len(), 0);
}

#[test]
fn the_space_of_lent_frames_is_read_into_again_without_being_zeroed_again() {
    let mut inbox = inbox(4096, 1 << 20);
    // A chunk of 60-byte frames, and the first two bytes of the next header.
    let mut wire = Vec::new();
    while wire.len() + 64 <= 4094 {
        wire.extend_from_slice(&encoded(&[&[0xab; 60]]));
    }
    wire.extend_from_slice(&[0, 0]);
    let space = inbox.read_buf();
    let base = space.as_ptr() as usize;
    space[..wire.len()].copy_from_slice(&wire);
    inbox.handle_read(wire.len());
    let mut lent = 0;
    while let Some(Ok(ReceivedRef::Frame(frame))) = inbox.poll_frame_ref() {
        assert_eq!(frame, [0xab; 60]);
        lent += 1;
    }
    assert_eq!(lent, 4094 / 64);
    // Little scratch is left: the two bytes still to deliver move to the front of the same
    // buffer, and the rest is read into as it is (the bytes of the frames lent, not zeros).
    let space = inbox.read_buf();
    assert_eq!(space.as_ptr() as usize, base + 2, "the same buffer, after the two bytes kept");
    assert_eq!(space.len(), 4094);
    assert!(space[..60].contains(&0xab), "the space was not zeroed again");
    space[..6].copy_from_slice(&[0, 2, b'h', b'i', 0, 0]);
    inbox.handle_read(6);
    assert_eq!(inbox.poll_frame_ref(), Some(Ok(ReceivedRef::Frame(b"hi"))));
}

/// Frames of `total` wire bytes (at least 5 per frame) in as few frames of at most 1000 bytes.
fn frames_of(total: usize) -> Vec<u8> {
    let mut wire = Vec::new();
    while wire.len() < total {
        let len = (total - wire.len()).min(1000);
        let len = if total - wire.len() - len < 5 && total - wire.len() > len { len - 5 } else { len };
        wire.extend_from_slice(&encoded(&[&vec![1u8; len - 4]]));
    }
    assert_eq!(wire.len(), total);
    wire
}

#[test]
fn the_space_of_lent_frames_is_taken_back_only_once_less_than_half_a_chunk_is_left() {
    use bytes::BufMut;
    // `filled` bytes of frames, all lent; then the next space offered.
    let offered = |filled: usize, uninit: bool| {
        let mut inbox = inbox(4096, 1 << 20);
        let wire = frames_of(filled);
        if uninit {
            read_uninit(&mut inbox, &wire);
        } else {
            read(&mut inbox, &wire);
        }
        while let Some(Ok(ReceivedRef::Frame(_))) = inbox.poll_frame_ref() {}
        assert_eq!(inbox.pending_len(), 0);
        if uninit {
            inbox.read_buf_uninit().remaining_mut()
        } else {
            inbox.read_buf().len()
        }
    };
    for uninit in [false, true] {
        assert_eq!(offered(100, uninit), 3996, "most of the chunk left: read into where it is");
        assert_eq!(offered(2048, uninit), 2048, "exactly half a chunk left: still read into where it is");
        assert_eq!(offered(2049, uninit), 4096, "less than half: the lent space is taken back");
    }
}

#[test]
fn after_a_read_that_cut_a_small_frame_the_next_read_has_room_for_the_frames_after_it() {
    use bytes::BufMut;
    let mut inbox = inbox(4096, 1 << 20);
    let wire = encoded(&[&[3u8; 60], &[4u8; 60]]);
    read_uninit(&mut inbox, &wire[..80]); // the first frame, and the start of the second
    assert!(matches!(inbox.poll_frame(), Some(Ok(Received::Frame(_)))));
    assert_eq!(inbox.poll_frame(), None);
    let room = inbox.read_buf_uninit().remaining_mut();
    assert!(room >= 4096, "offered {room}: the rest of the cut frame and a chunk, not the 48 bytes of its tail");
    read_uninit(&mut inbox, &wire[80..]);
    assert_eq!(inbox.poll_frame(), Some(Ok(Received::Frame(vec![4u8; 60].into()))));
}

#[test]
fn a_frame_of_exactly_the_read_chunk_is_not_a_large_one_whose_buffer_outlives_the_wait() {
    let held_after_wait = |len: usize| {
        let mut inbox = inbox(4096, 1 << 20);
        let wire = encoded(&[&vec![5u8; len]]);
        let mut at = 0;
        while at < wire.len() {
            use bytes::BufMut;
            let room = inbox.read_buf_uninit().remaining_mut().min(100);
            let n = room.min(wire.len() - at);
            read_uninit(&mut inbox, &wire[at..at + n]);
            at += n;
            if at < wire.len() {
                assert_eq!(inbox.poll_frame(), None, "a frame in progress");
            }
        }
        assert!(matches!(inbox.poll_frame(), Some(Ok(Received::Frame(_)))));
        inbox.handle_read_blocked();
        inbox.capacity()
    };
    assert_eq!(held_after_wait(4096), 0, "the read chunk's length: given back");
    assert!(held_after_wait(4097) > 0, "one byte more: a large frame, its buffer kept for the next wait");
}

#[test]
fn a_frame_larger_than_the_read_chunk_is_lent_whole_once_it_is_all_there() {
    let mut inbox = inbox(1024, 1 << 20);
    let payload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let wire = encoded(&[&payload, b"after"]);
    let mut offset = 0;
    let mut lent = Vec::new();
    while offset < wire.len() {
        let space = inbox.read_buf();
        let n = space.len().min(wire.len() - offset);
        space[..n].copy_from_slice(&wire[offset..offset + n]);
        inbox.handle_read(n);
        offset += n;
        while let Some(answer) = inbox.poll_frame_ref() {
            lent.push(Received::from(answer.expect("a frame")));
        }
    }
    assert_eq!(lent, [Received::Frame(payload.into()), Received::Frame("after".into())]);
}

#[test]
fn frames_handed_out_and_lent_mix_in_order() {
    let mut inbox = inbox(4096, 1 << 20);
    read(&mut inbox, &encoded(&[b"a", b"b", b"c", b"d"]));
    assert_eq!(inbox.poll_frame(), Some(Ok(Received::Frame("a".into()))), "splits off all four");
    assert_eq!(inbox.poll_frame_ref(), Some(Ok(ReceivedRef::Frame(b"b"))), "lent from those split off");
    assert_eq!(inbox.poll_frame(), Some(Ok(Received::Frame("c".into()))));
    assert_eq!(inbox.poll_frame_ref(), Some(Ok(ReceivedRef::Frame(b"d"))));
    read(&mut inbox, &encoded(&[b"e", b"f"]));
    assert_eq!(inbox.poll_frame_ref(), Some(Ok(ReceivedRef::Frame(b"e"))));
    assert_eq!(inbox.poll_frame(), Some(Ok(Received::Frame("f".into()))), "after a frame lent in place");
    assert_eq!(inbox.poll_frame_ref(), None);
    assert_eq!(inbox.poll_frame(), None);
}

#[test]
fn messages_buffered_together_are_lent_up_to_what_follows_them_which_stays_for_the_next_call() {
    use crate::{DecodeError, Failure, RecvError};
    let (mut recv, mut send) =
        Connection::established(Transport::Tcp, Side::Client, Config::default().with_max_frame_len(8))
            .into_split()
            .unwrap();
    let mut wire = encoded(&[b"one", b"two"]);
    wire.extend_from_slice(&[0, 0, 0, 9]); // a header over the maximum
    recv.read_buf()[..wire.len()].copy_from_slice(&wire);
    recv.handle_read(wire.len());
    assert_eq!(recv.poll_buffered_ref(), Some(&b"one"[..]));
    assert_eq!(recv.poll_buffered_ref(), Some(&b"two"[..]));
    assert_eq!(recv.poll_buffered_ref(), None);
    assert_eq!(recv.poll_buffered_ref(), None, "again: the header is not taken");
    assert!(recv.failure().is_none() && send.send_slice(b"x").is_ok(), "nor its failure known");
    let too_large = RecvError::Failed(Failure::Decode(DecodeError::TooLarge { declared: 9, max: 8 }));
    assert_eq!(recv.poll_recv_ref(), Some(Err(too_large)));
    assert_eq!(recv.poll_buffered_ref(), None, "after the failure, nothing");

    // The end of the stream inside a frame, after a whole one.
    let (mut recv, _send) =
        Connection::established(Transport::Fifo, Side::Client, Config::default()).into_split().unwrap();
    let wire = [0, 0, 0, 1, 7, 0, 0];
    recv.read_buf()[..wire.len()].copy_from_slice(&wire);
    recv.handle_read(wire.len());
    recv.handle_read(0);
    assert_eq!(recv.poll_buffered_ref(), Some(&[7][..]));
    assert_eq!(recv.poll_buffered_ref(), None);
    let cut = RecvError::Failed(Failure::Decode(DecodeError::Truncated { expected: 4, received: 2 }));
    assert_eq!(recv.poll_recv_ref(), Some(Err(cut)));
}

#[test]
fn messages_buffered_together_are_handed_out_up_to_what_follows_them_which_stays_for_the_next_call() {
    use crate::{DecodeError, Failure, RecvError};
    let config = Config::default().with_max_frame_len(8);
    let mut conn = Connection::new(Transport::Tcp, Side::Client, config.clone());
    assert_eq!(conn.recv_half_mut().poll_buffered(), None, "not connected: nothing");
    let (mut recv, mut send) = Connection::established(Transport::Tcp, Side::Client, config).into_split().unwrap();
    let mut wire = encoded(&[b"one", b"exactly8", b"two"]);
    wire.extend_from_slice(&[0, 0, 0, 9]); // a header over the maximum
    recv.read_buf()[..wire.len()].copy_from_slice(&wire);
    recv.handle_read(wire.len());
    assert_eq!(recv.poll_buffered().as_deref(), Some(&b"one"[..]));
    assert_eq!(recv.poll_buffered().as_deref(), Some(&b"exactly8"[..]), "a frame of the maximum length is one");
    assert_eq!(recv.poll_buffered().as_deref(), Some(&b"two"[..]));
    assert_eq!(recv.poll_buffered(), None);
    assert_eq!(recv.poll_buffered(), None, "again: the header is not taken");
    assert!(recv.failure().is_none() && send.send_slice(b"x").is_ok(), "nor its failure known");
    let too_large = RecvError::Failed(Failure::Decode(DecodeError::TooLarge { declared: 9, max: 8 }));
    assert_eq!(recv.poll_recv(), Some(Err(too_large)));
    assert_eq!(recv.poll_buffered(), None, "after the failure, nothing");

    // A frame that is all there but for its last byte is not handed out; with it, it is.
    let (mut recv, _send) =
        Connection::established(Transport::Fifo, Side::Client, Config::default()).into_split().unwrap();
    let wire = encoded(&[b"abc", b"de"]);
    let (first, last) = wire.split_at(wire.len() - 1);
    recv.read_buf()[..first.len()].copy_from_slice(first);
    recv.handle_read(first.len());
    assert_eq!(recv.poll_buffered().as_deref(), Some(&b"abc"[..]));
    assert_eq!(recv.poll_buffered(), None, "one byte short");
    recv.read_buf()[..1].copy_from_slice(last);
    recv.handle_read(1);
    assert_eq!(recv.poll_buffered().as_deref(), Some(&b"de"[..]));

    // The peer's close after a message: the message, then nothing, and the close stays for
    // poll_recv; once it is taken, nothing either.
    let (mut recv, _send) =
        Connection::established(Transport::Fifo, Side::Client, Config::default()).into_split().unwrap();
    let mut wire = encoded(&[b"last"]);
    wire.extend_from_slice(&[0, 0, 0, 0]);
    recv.read_buf()[..wire.len()].copy_from_slice(&wire);
    recv.handle_read(wire.len());
    assert_eq!(recv.poll_buffered().as_deref(), Some(&b"last"[..]));
    assert_eq!(recv.poll_buffered(), None);
    assert!(!recv.peer_closed());
    assert_eq!(recv.poll_recv(), Some(Ok(Received::PeerClosed)));
    assert_eq!(recv.poll_buffered(), None);

    // Closed by this side with a message still buffered: it is not handed out, as `poll_recv`
    // answers `ClosedLocally`.
    let mut conn = Connection::established(Transport::Tcp, Side::Client, Config::default());
    let wire = encoded(&[b"unread"]);
    conn.recv_half_mut().read_buf()[..wire.len()].copy_from_slice(&wire);
    conn.recv_half_mut().handle_read(wire.len());
    conn.close();
    assert_eq!(conn.recv_half_mut().poll_buffered(), None);
    assert_eq!(conn.recv_half_mut().poll_recv(), Some(Err(crate::RecvError::ClosedLocally)));
}

/// Puts `bytes` into the space `read_buf_uninit` offers, and reports them.
fn read_uninit(inbox: &mut Inbox, bytes: &[u8]) {
    use bytes::BufMut;
    let mut space = inbox.read_buf_uninit();
    assert!(space.remaining_mut() >= bytes.len(), "offered {} bytes, {} to read", space.remaining_mut(), bytes.len());
    space.put_slice(bytes);
    inbox.handle_read(bytes.len());
}

#[test]
fn a_waiting_reader_with_nothing_buffered_gives_back_a_buffer_it_can_make_again_without_zeroing() {
    use bytes::BufMut;
    let mut inbox = inbox(64 * 1024, 1 << 20);
    // Busy: reads that fill their space make the next ones larger.
    for _ in 0..5 {
        let len = inbox.read_buf_uninit().remaining_mut();
        let mut frame = ((len - 4) as u32).to_be_bytes().to_vec();
        frame.resize(len, 1);
        read_uninit(&mut inbox, &frame);
        assert!(matches!(inbox.poll_frame_ref(), Some(Ok(ReceivedRef::Frame(_)))));
    }
    assert!(inbox.capacity() >= 64 * 1024);
    inbox.handle_read_blocked();
    assert_eq!((inbox.capacity(), inbox.buffered_len()), (0, 0), "given back while waiting");
    assert_eq!(inbox.read_buf_uninit().remaining_mut(), 64 * 1024, "the next read is as large as the last");
}

#[test]
fn a_waiting_reader_keeps_what_is_buffered_and_a_busy_zeroed_chunk() {
    use bytes::BufMut;
    let new_inbox = || inbox(64 * 1024, 1 << 20);
    // Part of a frame: kept, whichever way it was read.
    let mut inbox = new_inbox();
    read_uninit(&mut inbox, &[0, 0, 0, 3, b'a']);
    assert_eq!(inbox.poll_frame(), None);
    inbox.handle_read_blocked();
    assert_eq!(inbox.pending_len(), 5);
    read_uninit(&mut inbox, b"bc");
    assert_eq!(inbox.poll_frame(), Some(Ok(Received::Frame("abc".into()))));

    // Frames split off and not handed out yet: kept.
    let mut inbox = new_inbox();
    read_uninit(&mut inbox, &encoded(&[b"x", b"y"]));
    assert_eq!(inbox.poll_frame(), Some(Ok(Received::Frame("x".into()))));
    inbox.handle_read_blocked();
    assert_eq!(inbox.poll_frame(), Some(Ok(Received::Frame("y".into()))));

    // Zeroed: the first 4 KiB are given back, a chunk grown by busy reads is kept.
    let mut inbox = new_inbox();
    read(&mut inbox, &[0, 0, 0, 1, 7]);
    assert!(inbox.poll_frame().is_some());
    inbox.handle_read_blocked();
    assert_eq!(inbox.capacity(), 0, "4 KiB not yet needed by a busy pipe: given back");
    for _ in 0..3 {
        let len = inbox.read_buf().len();
        let mut frame = ((len - 4) as u32).to_be_bytes().to_vec();
        frame.resize(len, 1);
        read(&mut inbox, &frame);
        assert!(inbox.poll_frame_ref().is_some(), "lent: the buffer stays whole");
    }
    inbox.handle_read_blocked();
    assert!(inbox.capacity() > 4096, "a busy pipe's zeroed chunk is kept, not zeroed again at every wake-up");
    let mut space = inbox.read_buf_uninit();
    space.put_slice(&[0, 0, 0, 1, 8]);
    inbox.handle_read(5);
    assert!(inbox.poll_frame().is_some());
    inbox.handle_read_blocked();
    assert_eq!(inbox.capacity(), 0, "read into memory not zeroed: given back whatever its size");
}

#[test]
fn a_fifo_connected_by_a_probe_that_found_nothing_holds_no_read_buffer() {
    use crate::{Action, ConnectAction, Event, State};
    use std::time::{Duration, Instant};
    let now = Instant::now();
    let mut conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
    conn.connect(now, Duration::from_secs(1)).unwrap();
    while conn.state() != State::Open {
        let event = match conn.poll_action() {
            Some(Action::Connect(ConnectAction::ProbeRead)) => {
                assert!(!conn.read_buf().is_empty(), "the probe reads into the read buffer");
                Event::WouldBlock // a writer, and nothing written yet
            }
            Some(Action::Connect(_)) => Event::Done,
            other => panic!("{other:?} while connecting"),
        };
        conn.handle_event(now, event);
    }
    assert_eq!(conn.recv_half().inbox().capacity(), 0, "the probe's space is given back");
}

#[test]
fn a_buffer_that_held_a_large_frame_is_kept_over_the_next_wait_only() {
    use bytes::BufMut;
    let mut inbox = inbox(1024, 1 << 20);
    let mut wire = vec![0, 1, 0, 0]; // 64 KiB
    wire.resize(4 + 64 * 1024, 3);
    let mut offset = 0;
    loop {
        let n = inbox.read_buf_uninit().remaining_mut().min(wire.len() - offset);
        read_uninit(&mut inbox, &wire[offset..offset + n]);
        offset += n;
        if offset == wire.len() {
            break;
        }
        assert_eq!(inbox.poll_frame_ref(), None);
    }
    assert!(matches!(inbox.poll_frame_ref(), Some(Ok(ReceivedRef::Frame(frame))) if frame.len() == 64 * 1024));
    inbox.handle_read_blocked();
    assert!(inbox.capacity() >= 64 * 1024, "kept for the next large frame");
    read_uninit(&mut inbox, &[0, 0, 0, 1, 1]);
    assert!(inbox.poll_frame_ref().is_some());
    inbox.handle_read_blocked();
    assert_eq!(inbox.capacity(), 0, "no large frame since the last wait: given back");
}

#[test]
fn uninitialised_reads_follow_the_same_sizes() {
    use bytes::BufMut;
    let mut inbox = inbox(64 * 1024, 1 << 20);
    let mut space = inbox.read_buf_uninit();
    assert_eq!(space.remaining_mut(), 4096);
    let mut frame = 4092u32.to_be_bytes().to_vec();
    frame.resize(4096, 1);
    space.put_slice(&frame);
    inbox.handle_read(4096);
    assert!(matches!(inbox.poll_frame(), Some(Ok(Received::Frame(_)))));
    assert_eq!(inbox.read_buf_uninit().remaining_mut(), 8192, "a full read doubles the next one");
    inbox.handle_read(0);
    assert_eq!(inbox.poll_frame(), Some(Ok(Received::PeerClosed)));
}

#[test]
fn the_peer_s_close_is_known_only_once_delivered() {
    let mut inbox = inbox(4096, 100);
    assert!(!inbox.is_closed());
    read(&mut inbox, &[0, 0, 0, 1, 1, 0, 0, 0, 0]);
    assert!(!inbox.is_closed());
    assert!(matches!(inbox.poll_frame(), Some(Ok(Received::Frame(_)))));
    assert!(!inbox.is_closed(), "a frame before the close is not the close");
    assert_eq!(inbox.poll_frame(), Some(Ok(Received::PeerClosed)));
    assert!(inbox.is_closed());
}

#[test]
fn payloads_up_to_the_coalesce_limit_are_copied_and_longer_ones_go_by_reference() {
    let mut outbox = Outbox::new(&Config::default().with_coalesce_limit(8));
    outbox.push_slice(&[1; 8]).unwrap();
    assert_eq!(outbox.io_slices(&mut [IoSlice::new(&[]); 8]), 1, "at the limit: copied into the staging buffer");
    outbox.push_slice(&[2; 9]).unwrap();
    let mut slices = [IoSlice::new(&[]); 8];
    outbox.push(Bytes::from(vec![3; 9])).unwrap();
    let n = outbox.io_slices(&mut slices);
    assert_eq!(n, 4, "over the limit: header chunk, payload, header chunk, payload");
    assert_eq!(&*slices[1], &[2; 9][..]);
    assert_eq!(&*slices[3], &[3; 9][..]);
}

#[test]
fn io_slices_never_writes_past_the_slices_it_is_given() {
    let mut outbox = Outbox::new(&Config::default().with_coalesce_limit(0));
    outbox.push_slice(b"big").unwrap(); // two chunks: header, payload
    outbox.push_slice(b"x").unwrap(); // and more
    let mut two = [IoSlice::new(&[]); 2];
    assert_eq!(outbox.io_slices(&mut two), 2);
    let mut none: [IoSlice<'_>; 0] = [];
    assert_eq!(outbox.io_slices(&mut none), 0);

    // The slices are all taken by chunks while staged bytes follow: they wait for the next call.
    let mut outbox = Outbox::new(&Config::default().with_coalesce_limit(2));
    outbox.push_slice(b"long").unwrap(); // by reference: a header chunk, the payload
    outbox.push_slice(b"ab").unwrap(); // staged
    let mut two = [IoSlice::new(&[]); 2];
    assert_eq!(outbox.io_slices(&mut two), 2);
    assert_eq!(&*two[1], b"long");
}

#[test]
fn a_read_reported_longer_than_the_space_given_counts_only_that_space() {
    let mut inbox = inbox(16, 100);
    let space = inbox.read_buf();
    assert_eq!(space.len(), 16);
    space[..5].copy_from_slice(&[0, 0, 0, 1, 6]);
    space[5..].fill(0xff);
    inbox.handle_read(1000);
    assert_eq!(inbox.pending_len(), 16, "clamped to the 16 bytes offered");
}

#[test]
fn the_front_is_all_that_is_queued_only_when_the_queue_is_one_slice() {
    let (_recv, mut send) =
        Connection::established(Transport::Tcp, Side::Client, Config::default().with_coalesce_limit(2))
            .into_split()
            .unwrap();
    assert_eq!(send.front(), (&[][..], true), "nothing queued: an empty front, and that is all");
    send.send_slice(b"ab").unwrap();
    assert_eq!(send.front(), (&[0, 0, 0, 2, b'a', b'b'][..], true));
    send.send_slice(b"long").unwrap();
    assert_eq!(send.front(), (&[0, 0, 0, 2, b'a', b'b', 0, 0, 0, 4][..], false), "the payload follows by reference");
}

#[test]
fn the_halves_tell_whether_the_peer_closed_and_whether_receiving_is_over() {
    let pair = Pair::connected(Transport::Fifo);
    let (mut recv, send) = pair.channel.conn.into_split().unwrap();
    assert!(!send.peer_closed() && !recv.peer_closed() && !recv.is_finished() && !recv.closed_locally());
    assert!(recv.wants_read());
    recv.read_buf()[..4].copy_from_slice(&[0, 0, 0, 0]);
    recv.handle_read(4);
    assert!(recv.wants_read(), "not until the close is delivered");
    assert_eq!(recv.poll_recv(), Some(Ok(Received::PeerClosed)));
    assert!(send.peer_closed() && recv.peer_closed() && recv.is_finished() && !recv.closed_locally());
    assert!(!recv.wants_read(), "nothing more to read after the peer's close");

    let mut conn = Pair::connected(Transport::Tcp).channel.conn;
    conn.close();
    assert!(conn.recv_half().closed_locally() && conn.recv_half().is_finished());
    assert!(!conn.recv_half().wants_read(), "nothing to read after our close");

    let mut conn = Pair::connected(Transport::Tcp).channel.conn;
    conn.handle_read_error(broken_pipe());
    assert!(conn.recv_half().is_finished() && !conn.recv_half().closed_locally());
    conn.close();
    assert!(!conn.recv_half().closed_locally(), "a failure stays the answer after our close");
}

#[test]
fn the_front_of_a_frame_whose_header_is_written_is_its_payload_chunk() {
    let mut outbox = Outbox::new(&Config::default().with_coalesce_limit(0));
    outbox.push(Bytes::from_static(b"payload by reference")).unwrap();
    outbox.advance(4);
    assert_eq!(outbox.front(), b"payload by reference", "the written header is held, not handed out");
    outbox.advance(8);
    assert_eq!(outbox.front(), b"by reference");
    outbox.push_slice(b"next").unwrap();
    assert_eq!(outbox.front(), b"by reference");
    let mut slices = [IoSlice::new(&[]); 4];
    let n = outbox.io_slices(&mut slices);
    let queued: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
    assert_eq!(queued, [&b"by reference"[..], &[0, 0, 0, 4], b"next"].concat());
    assert_eq!(outbox.take_unsent(), ["payload by reference", "next"]);
}

#[test]
fn a_header_over_the_maximum_is_left_to_the_next_answer_by_the_buffered_polls() {
    use crate::DecodeError;
    let mut inbox = inbox(1024, 8);
    read(&mut inbox, &[0, 0, 0, 9]);
    assert_eq!(inbox.poll_buffered_ref(), None);
    assert_eq!(inbox.poll_buffered(), None);
    assert!(inbox.wants_read(), "not failed: the stream is still read");
    assert_eq!(inbox.pending_len(), 4, "the header is still there, untaken");
    assert_eq!(inbox.poll_frame(), Some(Err(DecodeError::TooLarge { declared: 9, max: 8 })));
    assert!(!inbox.wants_read());
}

#[test]
fn the_peers_close_is_left_to_the_next_answer_by_the_buffered_polls() {
    let mut inbox = inbox(1024, 8);
    read(&mut inbox, &[0, 0, 0, 1, 7, 0, 0, 0, 0]);
    assert_eq!(inbox.poll_buffered_ref(), Some(&[7][..]));
    assert_eq!(inbox.poll_buffered(), None);
    assert_eq!(inbox.poll_buffered_ref(), None);
    assert!(!inbox.is_closed() && inbox.wants_read(), "the close is not taken by asking");
    assert_eq!(inbox.poll_frame(), Some(Ok(Received::PeerClosed)));
    assert!(inbox.is_closed());
}

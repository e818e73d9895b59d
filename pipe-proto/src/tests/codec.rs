//! Receiving: frames in any chunking, truncation at EOF, oversized headers.

use bytes::{Bytes, BytesMut};

use super::util::{encoded, Pair};
use crate::Failure;
use crate::{Config, DecodeError, FrameDecoder, Inbox, Received, RecvError, SendError, State, Transport};

/// Payloads of varied sizes, one of them longer than the coalescing limit.
fn sample_payloads() -> Vec<Vec<u8>> {
    vec![b"a".to_vec(), b"hello".to_vec(), vec![7; 300], vec![0; 4], (0..=255).collect(), b"end".to_vec()]
}

#[test]
fn every_chunk_size_delivers_the_same_frames() {
    let payloads = sample_payloads();
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    let wire = encoded(&refs);
    for chunk in 1..=wire.len() {
        for transport in [Transport::Fifo, Transport::Tcp] {
            let mut pair = Pair::connected(transport);
            pair.client.max_read = chunk;
            pair.client.inbound.extend(&wire);
            pair.drive();
            assert_eq!(pair.client.frames(), payloads, "chunk {chunk}, {transport:?}");
            assert_eq!(pair.client.recv_error, None);
        }
    }
}

#[test]
fn every_chunk_size_delivers_the_same_frames_through_uninitialized_reads() {
    let payloads = sample_payloads();
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    let wire = encoded(&refs);
    for chunk in 1..=wire.len() {
        let mut pair = Pair::connected(Transport::Fifo);
        pair.client.uninit_reads = true;
        pair.client.max_read = chunk;
        pair.client.inbound.extend(&wire);
        pair.drive();
        assert_eq!(pair.client.frames(), payloads, "chunk {chunk}");
    }
}

#[test]
fn every_chunk_size_through_the_decoder_alone_delivers_the_same_frames() {
    let payloads = sample_payloads();
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    let wire = encoded(&refs);
    for chunk in 1..=wire.len() {
        let mut decoder = FrameDecoder::new(1024);
        let mut buf = BytesMut::new();
        let mut frames = Vec::new();
        for piece in wire.chunks(chunk) {
            buf.extend_from_slice(piece);
            while let Some(received) = decoder.decode(&mut buf).unwrap() {
                frames.push(received);
            }
        }
        assert_eq!(decoder.decode_eof(&mut buf), Ok(Some(Received::PeerClosed)), "chunk {chunk}");
        let expected: Vec<_> = payloads.iter().map(|p| Received::Frame(Bytes::from(p.clone()))).collect();
        assert_eq!(frames, expected, "chunk {chunk}");
    }
}

#[test]
fn frames_sent_by_one_end_arrive_at_the_other_in_order() {
    for transport in [Transport::Fifo, Transport::Tcp] {
        let mut pair = Pair::connected(transport);
        for payload in sample_payloads() {
            pair.client.conn.send(payload.into()).unwrap();
        }
        pair.drive();
        assert_eq!(pair.channel.frames(), sample_payloads(), "{transport:?}");
        for payload in sample_payloads().into_iter().rev() {
            pair.channel.conn.send_slice(&payload).unwrap();
        }
        pair.drive();
        let reversed: Vec<_> = sample_payloads().into_iter().rev().collect();
        assert_eq!(pair.client.frames(), reversed, "{transport:?}");
    }
}

#[test]
fn eof_inside_a_payload_is_truncation_with_the_bytes_expected_and_received() {
    for transport in [Transport::Fifo, Transport::Tcp] {
        let mut pair = Pair::connected(transport);
        let wire = encoded(&[b"complete", &[9; 100]]);
        pair.client.inbound.extend(&wire[..wire.len() - 40]);
        pair.channel.write_end_closed = true; // the peer died mid-frame
        pair.drive();
        assert_eq!(pair.client.frames(), [b"complete"]);
        let truncated = DecodeError::Truncated { expected: 104, received: 64 };
        assert_eq!(pair.client.recv_error, Some(RecvError::Failed(Failure::Decode(truncated))), "{transport:?}");
        assert_eq!(
            pair.client.conn.poll_recv(),
            Some(Err(RecvError::Failed(Failure::Decode(truncated)))),
            "and it stays"
        );
        assert!(!pair.client.received.contains(&Received::PeerClosed), "truncation is not a clean close");
    }
}

#[test]
fn eof_inside_a_header_is_truncation_of_the_header() {
    let mut pair = Pair::connected(Transport::Tcp);
    pair.client.inbound.extend([0, 0, 1]);
    pair.channel.write_end_closed = true;
    pair.drive();
    let truncated = DecodeError::Truncated { expected: 4, received: 3 };
    assert_eq!(pair.client.recv_error, Some(RecvError::Failed(Failure::Decode(truncated))));
}

#[test]
fn eof_right_after_a_header_counts_the_header_as_received() {
    let mut pair = Pair::connected(Transport::Tcp);
    pair.client.inbound.extend([0, 0, 0, 10]);
    pair.channel.write_end_closed = true;
    pair.drive();
    let truncated = DecodeError::Truncated { expected: 14, received: 4 };
    assert_eq!(pair.client.recv_error, Some(RecvError::Failed(Failure::Decode(truncated))));
}

#[test]
fn eof_at_a_frame_boundary_is_a_clean_close() {
    let mut pair = Pair::connected(Transport::Tcp);
    pair.client.inbound.extend(encoded(&[b"last words"]));
    pair.channel.write_end_closed = true;
    pair.drive();
    assert_eq!(pair.client.received, [Received::Frame("last words".into()), Received::PeerClosed]);
}

#[test]
fn an_oversized_header_is_refused_on_the_header_alone() {
    let config = Config::default().with_max_frame_len(1000).with_read_chunk(64);
    let mut pair = Pair::connected_with(Transport::Tcp, config);
    pair.client.inbound.extend(1001u32.to_be_bytes());
    pair.drive();
    let too_large = DecodeError::TooLarge { declared: 1001, max: 1000 };
    assert_eq!(pair.client.recv_error, Some(RecvError::Failed(Failure::Decode(too_large))), "no payload byte needed");
    assert_eq!(pair.client.conn.poll_recv(), Some(Err(RecvError::Failed(Failure::Decode(too_large)))), "and it stays");
    assert!(pair.client.conn.recv_half().inbox().buffered_len() <= 64, "nothing reserved for the declared length");
    assert!(!pair.client.conn.recv_half().inbox().wants_read());
}

#[test]
fn a_frame_of_exactly_the_maximum_length_is_delivered() {
    let config = Config::default().with_max_frame_len(1000);
    let mut pair = Pair::connected_with(Transport::Fifo, config);
    pair.client.conn.send(Bytes::from(vec![3; 1000])).unwrap();
    assert_eq!(
        pair.client.conn.send(Bytes::from(vec![3; 1001])),
        Err(SendError::Frame(crate::EncodeError::TooLarge { len: 1001, max: 1000 }))
    );
    pair.drive();
    assert_eq!(pair.channel.frames(), [vec![3; 1000]]);
}

#[test]
fn a_header_claiming_4_gib_costs_nothing_until_the_bytes_arrive() {
    let config = Config::default().with_max_frame_len(u32::MAX as usize).with_read_chunk(1024);
    let mut pair = Pair::connected_with(Transport::Tcp, config);
    pair.client.inbound.extend(u32::MAX.to_be_bytes());
    pair.client.inbound.extend([1; 100]);
    pair.drive();
    assert_eq!(pair.client.conn.recv_half().inbox().pending_len(), 104);
    assert!(pair.client.conn.recv_half().inbox().buffered_len() <= 104 + 1024);
    assert_eq!(pair.client.conn.state(), State::Open);
}

#[test]
fn a_large_frame_arriving_slowly_grows_the_read_buffer_with_what_arrived() {
    let config = Config::default().with_read_chunk(16);
    let mut inbox = Inbox::new(&config);
    let payload: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let wire = encoded(&[&payload]);
    let mut offset = 0;
    let mut reads = 0;
    let mut delivered = None;
    while offset < wire.len() {
        let buf = inbox.read_buf();
        assert!(buf.len() <= (offset + 16).max(16), "scratch never exceeds what arrived, or one chunk");
        let n = buf.len().min(wire.len() - offset);
        assert!(n > 0, "the inbox offered no space to read into");
        buf[..n].copy_from_slice(&wire[offset..offset + n]);
        inbox.handle_read(n);
        offset += n;
        reads += 1;
        assert!(inbox.buffered_len() <= 100_000 + 16 + 4);
        if let Some(result) = inbox.poll_frame() {
            delivered = Some(result.unwrap());
        }
    }
    assert_eq!(delivered, Some(Received::Frame(payload.into())));
    assert!(reads < 20, "the buffer doubles: {reads} reads");
}

#[test]
fn frames_already_buffered_are_delivered_before_the_eof_error() {
    let mut inbox = Inbox::new(&Config::default());
    let mut wire = encoded(&[b"x", b"y"]);
    wire.extend_from_slice(&[0, 0]);
    inbox.read_buf()[..wire.len()].copy_from_slice(&wire);
    inbox.handle_read(wire.len());
    inbox.handle_read(0);
    assert!(!inbox.wants_read());
    assert_eq!(inbox.poll_frame(), Some(Ok(Received::Frame("x".into()))));
    assert_eq!(inbox.poll_frame(), Some(Ok(Received::Frame("y".into()))));
    let truncated = DecodeError::Truncated { expected: 4, received: 2 };
    assert_eq!(inbox.poll_frame(), Some(Err(truncated)));
    assert_eq!(inbox.poll_frame(), Some(Err(truncated)));
    assert_eq!(inbox.buffered_len(), 0, "the buffer is released");
}

#[test]
fn bytes_after_a_zero_frame_are_ignored() {
    let mut inbox = Inbox::new(&Config::default());
    let wire = [0, 0, 0, 0, 0, 0, 0, 1, 42];
    inbox.read_buf()[..wire.len()].copy_from_slice(&wire);
    inbox.handle_read(wire.len());
    assert_eq!(inbox.poll_frame(), Some(Ok(Received::PeerClosed)));
    assert!(inbox.is_closed());
    assert_eq!(inbox.poll_frame(), Some(Ok(Received::PeerClosed)));
    assert_eq!(inbox.pending_len(), 0);
}

#[test]
fn a_read_larger_than_the_space_given_is_clamped() {
    let mut inbox = Inbox::new(&Config::default().with_read_chunk(16));
    let space = inbox.read_buf().len();
    inbox.handle_read(space + 100);
    assert_eq!(inbox.pending_len(), space);
}

#[test]
fn frames_are_split_off_the_read_buffer_without_copying() {
    let mut inbox = Inbox::new(&Config::default());
    let wire = encoded(&[b"first", b"second"]);
    let buf = inbox.read_buf();
    buf[..wire.len()].copy_from_slice(&wire);
    let start = buf.as_ptr() as usize;
    inbox.handle_read(wire.len());
    let Some(Ok(Received::Frame(first))) = inbox.poll_frame() else { panic!("a frame") };
    let Some(Ok(Received::Frame(second))) = inbox.poll_frame() else { panic!("a frame") };
    assert_eq!(first.as_ptr() as usize, start + 4);
    assert_eq!(second.as_ptr() as usize, start + 4 + 5 + 4);
}

//! Properties of the codec, over generated inputs:
//!
//! 1. Any sequence of non-empty frames, encoded, then fed in any chunking, decodes to the same
//!    frames, through [`FrameDecoder`] and through [`Inbox`] (reading into `read_buf` or through
//!    `read_buf_uninit`, mixed; frames handed out by `poll_frame` or lent by `poll_frame_ref` or
//!    `poll_buffered_ref`, mixed), and the end of the stream after the last frame is a clean
//!    close.
//!    Reads of an odd length are followed by a wait (`handle_read_blocked`), where the inbox
//!    may give its buffer back.
//! 2. Any bytes at all, in any chunking, never make the decoder or the inbox panic; the inbox
//!    never holds more than `max_frame_len + read_chunk + 4` bytes (checked after every step);
//!    the frames it delivers re-encode to exactly the bytes it consumed; and once it reports a
//!    close or an error, it reports the same thing forever.

use bytes::{BufMut, Bytes, BytesMut};
use pipe_proto::{encode_into, Config, DecodeError, FrameDecoder, Inbox, Received, ReceivedRef, HEADER_LEN};
use proptest::prelude::*;

fn encode_all(payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut wire = BytesMut::new();
    for payload in payloads {
        encode_into(payload, &mut wire, u32::MAX as usize).unwrap();
    }
    wire.to_vec()
}

/// Mostly small payloads, sometimes one of a few KiB (to cross read chunks).
fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => prop::collection::vec(any::<u8>(), 1..40),
        1 => prop::collection::vec(any::<u8>(), 1..5000),
    ]
}

/// Chunk sizes, cycled over the input.
fn chunks() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![1..8usize, 1..100usize, 1..3000usize], 1..20)
}

fn pieces<'a>(wire: &'a [u8], sizes: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut offset = 0;
    sizes.iter().cycle().map_while(move |size| {
        if offset == wire.len() {
            return None;
        }
        let end = (offset + size).min(wire.len());
        let piece = &wire[offset..end];
        offset = end;
        Some(piece)
    })
}

/// How frames are taken, as each next value says (cycled): 0 by `poll_frame`, 1 lent by
/// `poll_frame_ref`, 2 lent by `poll_buffered_ref` if it has one and else by `poll_frame_ref`
/// (lent frames are copied, to compare).
type Lend<'a> = std::iter::Cycle<std::iter::Copied<std::slice::Iter<'a, u8>>>;

/// A [`Lend`] sequence.
fn lend_modes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0u8..3, 1..8)
}

/// Feeds `piece` to `inbox` through as many reads as its read buffer needs (into `read_buf` or
/// through `read_buf_uninit`, as `uninit` says, cycled), taking every frame after each read (the
/// documented protocol; handed out or lent, as `lend` says), and checks the memory bound after
/// each step.
fn feed(
    inbox: &mut Inbox,
    piece: &[u8],
    uninit: &mut impl Iterator<Item = bool>,
    lend: &mut Lend<'_>,
    bound: usize,
    out: &mut Vec<Result<Received, DecodeError>>,
) {
    let mut rest = piece;
    while !rest.is_empty() {
        let n = if uninit.next().unwrap() {
            let mut space = inbox.read_buf_uninit();
            let n = space.remaining_mut().min(rest.len());
            space.put_slice(&rest[..n]);
            n
        } else {
            let space = inbox.read_buf();
            let n = space.len().min(rest.len());
            space[..n].copy_from_slice(&rest[..n]);
            n
        };
        assert!(n > 0, "the inbox offered no space to read into");
        assert!(inbox.buffered_len() <= bound, "{} > {bound} before a read", inbox.buffered_len());
        inbox.handle_read(n);
        rest = &rest[n..];
        assert!(inbox.buffered_len() <= bound, "{} > {bound} after a read", inbox.buffered_len());
        drain(inbox, lend, bound, out);
        if n % 2 == 1 {
            // The next read would block: the reader waits (and may give its buffer back).
            inbox.handle_read_blocked();
        }
    }
}

/// The next answer, handed out or lent (and copied, to compare), as `mode` says (see [`Lend`]).
fn next(inbox: &mut Inbox, mode: u8) -> Option<Result<Received, DecodeError>> {
    match mode {
        0 => inbox.poll_frame(),
        1 => inbox.poll_frame_ref().map(|lent| lent.map(Received::from)),
        _ => match inbox.poll_buffered_ref() {
            Some(payload) => Some(Ok(Received::Frame(Bytes::copy_from_slice(payload)))),
            None => inbox.poll_frame_ref().map(|lent| lent.map(Received::from)),
        },
    }
}

/// Takes frames until `None`, or until a close or an error (which then repeats).
fn drain(inbox: &mut Inbox, lend: &mut Lend<'_>, bound: usize, out: &mut Vec<Result<Received, DecodeError>>) {
    if matches!(out.last(), Some(Ok(Received::PeerClosed) | Err(_))) {
        return;
    }
    while let Some(result) = next(inbox, lend.next().unwrap()) {
        assert!(inbox.buffered_len() <= bound, "{} > {bound} after a frame", inbox.buffered_len());
        let last = matches!(result, Ok(Received::PeerClosed) | Err(_));
        out.push(result);
        if last {
            break;
        }
    }
}

fn frames_of(payloads: &[Vec<u8>]) -> Vec<Result<Received, DecodeError>> {
    payloads.iter().map(|p| Ok(Received::Frame(Bytes::from(p.clone())))).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(512)))]

    #[test]
    fn frames_survive_any_chunking_through_the_decoder(
        payloads in prop::collection::vec(payload(), 0..30),
        sizes in chunks(),
    ) {
        let wire = encode_all(&payloads);
        let mut decoder = FrameDecoder::new(8192);
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for piece in pieces(&wire, &sizes) {
            buf.extend_from_slice(piece);
            while let Some(received) = decoder.decode(&mut buf).unwrap() {
                out.push(Ok(received));
            }
        }
        prop_assert_eq!(decoder.decode_eof(&mut buf), Ok(Some(Received::PeerClosed)));
        prop_assert_eq!(out, frames_of(&payloads));
    }

    #[test]
    fn frames_survive_any_chunking_through_the_inbox(
        payloads in prop::collection::vec(payload(), 0..30),
        sizes in chunks(),
        read_chunk in 16usize..2048,
        zero_frame in any::<bool>(),
        uninit in prop::collection::vec(any::<bool>(), 1..8),
        lend in lend_modes(),
    ) {
        let mut wire = encode_all(&payloads);
        if zero_frame {
            wire.extend_from_slice(&[0; HEADER_LEN]);
        }
        let config = Config::default().with_max_frame_len(8192).with_read_chunk(read_chunk);
        let bound = 8192 + read_chunk + HEADER_LEN;
        let mut inbox = Inbox::new(&config);
        let mut out = Vec::new();
        let mut uninit = uninit.iter().copied().cycle();
        let mut lend = lend.iter().copied().cycle();
        for piece in pieces(&wire, &sizes) {
            feed(&mut inbox, piece, &mut uninit, &mut lend, bound, &mut out);
        }
        inbox.handle_read(0);
        drain(&mut inbox, &mut lend, bound, &mut out);
        let mut expected = frames_of(&payloads);
        expected.push(Ok(Received::PeerClosed));
        prop_assert_eq!(out, expected);
        prop_assert_eq!(inbox.poll_frame(), Some(Ok(Received::PeerClosed)));
        prop_assert_eq!(inbox.poll_frame_ref(), Some(Ok(ReceivedRef::PeerClosed)));
        prop_assert!(inbox.is_closed());
    }

    #[test]
    fn any_bytes_keep_the_inbox_within_its_memory_bound(
        wire in wire_with_noise(),
        sizes in chunks(),
        max_frame_len in 1usize..20_000,
        read_chunk in 16usize..4096,
        eof in any::<bool>(),
        uninit in prop::collection::vec(any::<bool>(), 1..8),
        lend in lend_modes(),
    ) {
        let config = Config::default().with_max_frame_len(max_frame_len).with_read_chunk(read_chunk);
        let bound = max_frame_len + read_chunk + HEADER_LEN;
        let mut inbox = Inbox::new(&config);
        let mut out = Vec::new();
        let mut uninit = uninit.iter().copied().cycle();
        let mut lend = lend.iter().copied().cycle();
        for piece in pieces(&wire, &sizes) {
            feed(&mut inbox, piece, &mut uninit, &mut lend, bound, &mut out);
        }
        if eof {
            inbox.handle_read(0);
            drain(&mut inbox, &mut lend, bound, &mut out);
            prop_assert!(matches!(out.last(), Some(Ok(Received::PeerClosed) | Err(_))), "EOF always ends it");
        }

        // What was delivered is exactly a prefix of the input, re-encoded.
        let mut consumed = Vec::new();
        for result in &out {
            match result {
                Ok(Received::Frame(payload)) => {
                    prop_assert!(payload.len() <= max_frame_len);
                    consumed.extend_from_slice(&(payload.len() as u32).to_be_bytes());
                    consumed.extend_from_slice(payload);
                }
                Ok(Received::PeerClosed) => {
                    if consumed.len() < wire.len() {
                        // A zero frame, unless the close is the end of the stream.
                        consumed.extend_from_slice(&[0; HEADER_LEN]);
                    }
                }
                Err(DecodeError::TooLarge { declared, max }) => {
                    prop_assert_eq!(*max, max_frame_len);
                    prop_assert!(*declared > max_frame_len);
                    prop_assert_eq!(&wire[consumed.len()..consumed.len() + 4], &(*declared as u32).to_be_bytes());
                }
                Err(DecodeError::Truncated { expected, received }) => {
                    prop_assert!(eof);
                    prop_assert!(received < expected);
                    prop_assert_eq!(consumed.len() + received, wire.len(), "the rest of the stream");
                }
            }
        }
        prop_assert!(consumed.len() <= wire.len());
        prop_assert_eq!(&consumed[..], &wire[..consumed.len()]);

        // A close or an error is final.
        if let Some(last @ (Ok(Received::PeerClosed) | Err(_))) = out.last() {
            prop_assert_eq!(inbox.poll_frame(), Some(last.clone()));
            prop_assert_eq!(next(&mut inbox, 1), Some(last.clone()), "lent or handed out");
            prop_assert_eq!(inbox.poll_buffered_ref(), None, "no message after the end");
            prop_assert!(!inbox.wants_read());
        }
    }

    #[test]
    fn any_bytes_never_panic_the_decoder(
        wire in wire_with_noise(),
        sizes in chunks(),
        max_frame_len in 0usize..20_000,
    ) {
        let mut decoder = FrameDecoder::new(max_frame_len);
        let mut buf = BytesMut::new();
        let mut failed = None;
        for piece in pieces(&wire, &sizes) {
            buf.extend_from_slice(piece);
            loop {
                match decoder.decode(&mut buf) {
                    Ok(Some(Received::Frame(payload))) => prop_assert!(payload.len() <= max_frame_len),
                    Ok(Some(Received::PeerClosed)) | Ok(None) => break,
                    Err(err) => {
                        prop_assert_eq!(decoder.decode(&mut buf), Err(err), "errors repeat");
                        failed = Some(err);
                        break;
                    }
                }
            }
            if failed.is_some() {
                break;
            }
        }
        let _ = decoder.decode_eof(&mut buf);
    }
}

/// Valid frames, zero frames, oversized headers and raw noise, concatenated.
fn wire_with_noise() -> impl Strategy<Value = Vec<u8>> {
    let segment = prop_oneof![
        4 => payload().prop_map(|p| encode_all(&[p])),
        1 => Just(vec![0u8; HEADER_LEN]),
        1 => (20_000u32..=u32::MAX).prop_map(|len| len.to_be_bytes().to_vec()),
        2 => prop::collection::vec(any::<u8>(), 0..64),
    ];
    prop::collection::vec(segment, 0..12).prop_map(|segments| segments.concat())
}

/// How many cases each property runs: `default`, or `PIPE_PROTO_CASES` when set (the mutation
/// testing script sets fewer, so that each of its hundreds of runs stays short).
fn cases(default: u32) -> u32 {
    std::env::var("PIPE_PROTO_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(default)
}

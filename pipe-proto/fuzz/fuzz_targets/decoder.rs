//! Arbitrary bytes in arbitrary chunks through `FrameDecoder` and through `Inbox`.
//!
//! Checked: nothing panics; the inbox holds at most `max_frame_len + read_chunk + 4` bytes after
//! every step; both paths deliver the same frames, closes and errors (the inbox handing its frames
//! out or lending them in place, mixed); the frames delivered,
//! re-encoded, are exactly the bytes consumed from the front of the input; no frame is longer
//! than the maximum; and once a close or an error is reported, it is reported again.
//!
//! Input: 10 bytes of parameters (maximum frame length, read chunk, four chunk sizes cycled over
//! the input, end of stream or not, which reads skip zeroing, which frames are lent), then the
//! bytes on the wire.

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use bytes::{BufMut, BytesMut};
use libfuzzer_sys::fuzz_target;
use pipe_proto::{Config, DecodeError, FrameDecoder, Inbox, Received, HEADER_LEN};

/// The next answer of `inbox`, handed out, or lent (and copied, to compare) by
/// `poll_buffered_ref` if it has one (`buffered`) and else by `poll_frame_ref`.
fn next(inbox: &mut Inbox, lend: bool, buffered: bool) -> Option<Result<Received, DecodeError>> {
    if !lend {
        return inbox.poll_frame();
    }
    if buffered {
        if let Some(payload) = inbox.poll_buffered_ref() {
            return Some(Ok(Received::Frame(payload.to_vec().into())));
        }
    }
    inbox.poll_frame_ref().map(|lent| lent.map(Received::from))
}

#[derive(Debug, Arbitrary)]
struct Params {
    max_frame_len: u16,
    read_chunk: u8,
    chunks: [u8; 4],
    eof: bool,
    /// Bit i: read i (cycled over 8) goes through `read_buf_uninit` instead of `read_buf`.
    uninit_reads: u8,
    /// Bit i: answer i (cycled over 8) is lent instead of handed out by `poll_frame`; every
    /// other lent answer is tried with `poll_buffered_ref` first.
    lent_frames: u8,
}

type Delivered = Vec<Result<Received, DecodeError>>;

fuzz_target!(|data: &[u8]| {
    let mut input = Unstructured::new(data);
    let Ok(params) = Params::arbitrary(&mut input) else { return };
    let wire = input.take_rest();
    let max_frame_len = usize::from(params.max_frame_len).max(1);
    let read_chunk = 16 + usize::from(params.read_chunk) * 4;

    let by_decoder = through_decoder(wire, &params, max_frame_len);
    let by_inbox = through_inbox(wire, &params, max_frame_len, read_chunk);
    assert_eq!(by_decoder, by_inbox, "the decoder and the inbox disagree");
    check_prefix(wire, &by_decoder, max_frame_len, params.eof);
});

/// The input cut into pieces of the parameters' sizes (0 counts as 1), cycled.
fn pieces<'a>(wire: &'a [u8], params: &Params) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut offset = 0;
    for size in params.chunks.iter().cycle() {
        if offset == wire.len() {
            break;
        }
        let end = (offset + usize::from(*size).max(1)).min(wire.len());
        pieces.push(&wire[offset..end]);
        offset = end;
    }
    pieces
}

fn is_final(result: &Result<Received, DecodeError>) -> bool {
    matches!(result, Ok(Received::PeerClosed) | Err(_))
}

fn through_decoder(wire: &[u8], params: &Params, max_frame_len: usize) -> Delivered {
    let mut decoder = FrameDecoder::new(max_frame_len);
    let mut buf = BytesMut::new();
    let mut out = Delivered::new();
    for piece in pieces(wire, params) {
        buf.extend_from_slice(piece);
        while let Some(result) = decoder.decode(&mut buf).transpose() {
            if let Err(err) = result {
                assert_eq!(decoder.decode(&mut buf), Err(err), "errors are not consumed");
            }
            let done = is_final(&result);
            out.push(result);
            if done {
                return out;
            }
        }
    }
    if params.eof {
        while let Some(result) = decoder.decode_eof(&mut buf).transpose() {
            let done = is_final(&result);
            out.push(result);
            if done {
                break;
            }
        }
    }
    out
}

fn through_inbox(wire: &[u8], params: &Params, max_frame_len: usize, read_chunk: usize) -> Delivered {
    let config = Config::default().with_max_frame_len(max_frame_len).with_read_chunk(read_chunk);
    let bound = max_frame_len + read_chunk + HEADER_LEN;
    let mut inbox = Inbox::new(&config);
    let mut out = Delivered::new();
    let check = |inbox: &Inbox, when: &str| {
        assert!(inbox.buffered_len() <= bound, "{} > {bound} bytes {when}", inbox.buffered_len());
        assert!(inbox.pending_len() <= inbox.buffered_len() + HEADER_LEN);
    };
    let mut answers = 0u32;
    let mut take = |inbox: &mut Inbox, out: &mut Delivered| -> bool {
        loop {
            let lend = params.lent_frames & (1 << (answers % 8)) != 0;
            let buffered = answers % 2 == 1;
            answers += 1;
            let Some(result) = next(inbox, lend, buffered) else { return false };
            check(inbox, "after a frame");
            let done = is_final(&result);
            out.push(result);
            if done {
                assert_eq!(inbox.poll_frame().as_ref(), out.last(), "a close or an error is final");
                assert_eq!(next(inbox, true, false).as_ref(), out.last(), "lent or handed out");
                assert_eq!(inbox.poll_buffered_ref(), None, "no message after the end");
                assert!(!inbox.wants_read());
                return true;
            }
        }
    };
    let mut reads = 0u32;
    for piece in pieces(wire, params) {
        let mut rest = piece;
        while !rest.is_empty() {
            let n = if params.uninit_reads & (1 << (reads % 8)) != 0 {
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
            assert!(n > 0, "no room to read into");
            reads += 1;
            check(&inbox, "before a read");
            inbox.handle_read(n);
            check(&inbox, "after a read");
            rest = &rest[n..];
            if take(&mut inbox, &mut out) {
                return out;
            }
            if n % 2 == 1 {
                // The next read would block: the inbox may give its buffer back.
                inbox.handle_read_blocked();
                check(&inbox, "after a wait");
            }
        }
    }
    if params.eof {
        inbox.handle_read(0);
        assert!(take(&mut inbox, &mut out), "the end of the stream always ends it");
    }
    out
}

/// The delivered frames, re-encoded, are exactly the front of the input.
fn check_prefix(wire: &[u8], delivered: &Delivered, max_frame_len: usize, eof: bool) {
    let mut consumed = Vec::new();
    for result in delivered {
        match result {
            Ok(Received::Frame(payload)) => {
                assert!(!payload.is_empty() && payload.len() <= max_frame_len);
                consumed.extend_from_slice(&(payload.len() as u32).to_be_bytes());
                consumed.extend_from_slice(payload);
            }
            Ok(Received::PeerClosed) if consumed.len() == wire.len() => assert!(eof, "EOF at a frame boundary"),
            Ok(Received::PeerClosed) => consumed.extend_from_slice(&[0; HEADER_LEN]),
            Err(DecodeError::TooLarge { declared, max }) => {
                assert_eq!(*max, max_frame_len);
                assert!(*declared > max_frame_len);
                let header = &wire[consumed.len()..consumed.len() + HEADER_LEN];
                assert_eq!(header, (*declared as u32).to_be_bytes());
            }
            Err(DecodeError::Truncated { expected, received }) => {
                assert!(eof && received < expected);
                assert_eq!(consumed.len() + received, wire.len(), "truncated: the rest of the input");
            }
        }
        assert_eq!(&consumed[..], &wire[..consumed.len()], "re-encoded frames match the input");
    }
    if !delivered.last().is_some_and(is_final) {
        // What is left cannot hold a complete frame.
        let rest = &wire[consumed.len()..];
        if rest.len() >= HEADER_LEN {
            let len = u32::from_be_bytes(rest[..HEADER_LEN].try_into().unwrap()) as usize;
            assert!(len != 0 && len <= max_frame_len && rest.len() < HEADER_LEN + len, "a frame was left behind");
        }
        assert!(!eof);
    }
}

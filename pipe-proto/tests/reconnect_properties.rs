//! What a failure leaves unsent, and what a reconnect sends, for arbitrary frames, queue
//! settings and partial writes: the frames written whole before the failure and the frames
//! given back (or sent again after the reconnect) are all the frames, each exactly once, in
//! order, the one cut mid-write whole. After every partial write, the queue counts the frames
//! and bytes not written as a model that knows where each frame ends does. A batch cut by a
//! failure is taken whole: the messages it took after the cut are counted and kept with the cut
//! one, so that the same partition holds for every message of the batch.

use std::io::IoSlice;
use std::time::{Duration, Instant};

use bytes::Bytes;
use pipe_proto::{Action, Config, ConnectAction, Connection, Event, Failure, SendAction, Side, Transport, Undelivered};
use proptest::prelude::*;

/// Answers every connect step as a peer that is there would.
fn open(conn: &mut Connection, now: Instant) {
    for _ in 0..100 {
        match conn.poll_action() {
            Some(Action::Connect(ConnectAction::ProbeRead)) => conn.handle_event(now, Event::WouldBlock),
            Some(Action::Connect(ConnectAction::StopListening)) => {}
            Some(Action::Connect(_)) => conn.handle_event(now, Event::Done),
            _ => break,
        }
    }
    assert!(conn.poll_connect() == Some(Ok(())), "connected: {:?}", conn.state());
}

/// Writes at most `limit` queued bytes, as one OS write; what it wrote, empty if nothing was due.
fn write(conn: &mut Connection, limit: usize) -> Vec<u8> {
    if conn.poll_action() != Some(Action::Send(SendAction::Transmit)) {
        return Vec::new();
    }
    let mut slices = [IoSlice::new(&[]); 64];
    let count = conn.io_slices(&mut slices);
    let written: Vec<u8> = slices[..count].iter().flat_map(|s| s.iter().copied()).take(limit).collect();
    conn.handle_written(written.len());
    written
}

/// Sends a frame of each length of `later` (noting each in `expected`) on the reconnected `conn`
/// and writes until nothing is due; every byte written.
fn send_after_the_reconnect(conn: &mut Connection, later: &[usize], expected: &mut Vec<Vec<u8>>) -> Vec<u8> {
    for (k, &len) in later.iter().enumerate() {
        let frame = payload(1000 + k, len);
        conn.send_slice(&frame).unwrap();
        expected.push(frame);
    }
    let mut after = Vec::new();
    loop {
        let written = write(conn, 4096);
        if written.is_empty() {
            return after;
        }
        after.extend(written);
    }
}

/// What `wire` holds: the payloads of its whole frames, whether bytes of a cut frame follow
/// them, and how many close markers (zero-length frames) it holds.
fn decode(wire: &[u8]) -> (Vec<Vec<u8>>, bool, usize) {
    let (mut frames, mut markers) = (Vec::new(), 0);
    let mut rest = wire;
    while rest.len() >= 4 {
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if rest.len() < 4 + len {
            break;
        }
        if len == 0 {
            markers += 1;
        } else {
            frames.push(rest[4..4 + len].to_vec());
        }
        rest = &rest[4 + len..];
    }
    (frames, !rest.is_empty(), markers)
}

fn payload(k: usize, len: usize) -> Vec<u8> {
    (0..len).map(|i| (k * 31 + i) as u8).collect()
}

/// Where the queued frames end on the wire, whether a close marker follows them, and how many
/// bytes were written: what the queue must count as not written.
#[derive(Default)]
struct Sent {
    ends: Vec<usize>,
    marker: bool,
    written: usize,
}

impl Sent {
    fn queued(&mut self, len: usize) {
        self.ends.push(self.ends.last().copied().unwrap_or(0) + 4 + len);
    }

    fn undelivered(&self) -> Undelivered {
        let frames = self.ends.iter().filter(|&&end| end > self.written).count();
        let end = self.ends.last().copied().unwrap_or(0);
        Undelivered { frames, bytes: end.saturating_sub(self.written) }
    }

    fn buffered(&self) -> usize {
        self.ends.last().copied().unwrap_or(0) + if self.marker { 4 } else { 0 } - self.written
    }

    /// Checks the queue's counts against the model's.
    fn check(&self, conn: &Connection) -> Result<(), TestCaseError> {
        let outbox = conn.send_half().outbox();
        prop_assert_eq!(outbox.undelivered(), self.undelivered(), "after {} bytes written", self.written);
        prop_assert_eq!(outbox.queued_frames(), self.undelivered().frames);
        prop_assert_eq!(outbox.buffered_len(), self.buffered());
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    #[test]
    fn frames_cut_by_a_failure_reach_the_next_peer_exactly_once(
        fifo in any::<bool>(),
        sizes in prop::collection::vec(prop_oneof![1usize..40, 1usize..3000], 1..25),
        by_ref in prop::collection::vec(any::<bool>(), 25),
        coalesce in 0usize..2000,
        writes in prop::collection::vec(prop_oneof![1usize..10, 1usize..5000], 0..30),
        first in 0usize..25,
        between in prop::collection::vec(0usize..4, 30),
        close_first in any::<bool>(),
        take in any::<bool>(),
        later in prop::collection::vec(1usize..300, 0..5),
    ) {
        let transport = if fifo { Transport::Fifo } else { Transport::Tcp };
        let now = Instant::now();
        let config = Config::default().with_coalesce_limit(coalesce);
        let mut conn = Connection::new(transport, Side::Client, config);
        conn.connect(now, Duration::from_secs(1)).unwrap();
        open(&mut conn, now);

        let frames: Vec<Vec<u8>> = sizes.iter().enumerate().map(|(k, &len)| payload(k, len)).collect();
        // Frames are queued a few at a time between the writes; the close (if first) follows
        // the last of them, and the rest go after the writes.
        let mut sent = Sent::default();
        let queue = |conn: &mut Connection, sent: &mut Sent, count: usize| {
            for _ in 0..count {
                let k = sent.ends.len();
                let Some(frame) = frames.get(k) else { break };
                if by_ref[k] { conn.send(Bytes::from(frame.clone())).unwrap() } else { conn.send_slice(frame).unwrap() }
                sent.queued(frame.len());
                if k + 1 == frames.len() && close_first {
                    conn.close();
                    sent.marker = fifo;
                }
            }
        };
        queue(&mut conn, &mut sent, first);
        let mut before = Vec::new();
        for (&limit, &count) in writes.iter().zip(&between) {
            queue(&mut conn, &mut sent, count);
            let written = write(&mut conn, limit);
            sent.written += written.len();
            before.extend(written);
            sent.check(&conn)?;
        }
        queue(&mut conn, &mut sent, frames.len());
        sent.check(&conn)?;
        let (whole, cut, _) = decode(&before);
        let lost = frames.len() - whole.len();
        prop_assert_eq!(&whole[..], &frames[..whole.len()], "written whole, in order");
        conn.handle_write_error(Failure::io(std::io::ErrorKind::BrokenPipe, Some(32), "gone"));
        if lost == 0 {
            prop_assert!(conn.take_unsent().is_empty());
            return Ok(());
        }
        prop_assert!(cut || before.len() == whole.iter().map(|f| f.len() + 4).sum::<usize>());
        prop_assert_eq!(sent.undelivered().frames, lost);
        prop_assert_eq!(conn.send_half().failure().map(|(_, undelivered)| undelivered), Some(sent.undelivered()));

        let mut expected: Vec<Vec<u8>> = Vec::new();
        if take {
            let unsent: Vec<Vec<u8>> = conn.take_unsent().iter().map(|f| f.to_vec()).collect();
            prop_assert_eq!(&unsent[..], &frames[whole.len()..], "given back whole, in order");
        } else {
            expected.extend(frames[whole.len()..].iter().cloned());
        }

        conn.reconnect(now, Duration::from_secs(1)).unwrap();
        open(&mut conn, now);
        let resent: usize = expected.iter().map(|frame| frame.len() + 4).sum();
        prop_assert_eq!(conn.send_half().outbox().buffered_len(), resent, "whole again, no close marker");
        let after = send_after_the_reconnect(&mut conn, &later, &mut expected);
        prop_assert_eq!(decode(&after), (expected, false, 0), "the new peer gets them once, whole, in order, no close marker");
        prop_assert!(conn.send_half().outbox().is_flushed());
    }
}

/// Drives `batch` as the IO layer's `write_batch` does, over the writes of at most `limits`
/// bytes each: queue with `send_from` until the queue is at its mark, write, queue again. Then
/// the pipe fails (a write error, or a read error that reaches the send half at its next call),
/// and the batch goes on as `write_batch` goes on after a failed write: `send_from` again. What
/// was written, and the batch's answer.
fn batch_cut_by_a_failure<I>(
    conn: &mut Connection,
    batch: &mut I,
    limits: &[usize],
    read_failure: bool,
) -> (Vec<u8>, Result<(), pipe_proto::SendError>)
where
    I: Iterator,
    I::Item: pipe_proto::IntoFrame,
{
    let mut wire = Vec::new();
    let mut done = false;
    for &limit in limits {
        if !done {
            done = conn.send_half_mut().send_from(batch).expect("an open pipe queues valid frames");
        }
        wire.extend(write(conn, limit));
    }
    let failure = Failure::io(std::io::ErrorKind::ConnectionReset, Some(104), "reset");
    if read_failure {
        conn.handle_read_error(failure);
    } else {
        conn.handle_write_error(failure);
    }
    let mut rounds = 0;
    let answer = loop {
        if done {
            break conn.send_half_mut().flush_outcome();
        }
        rounds += 1;
        assert!(rounds < 1000, "the batch never ends: send_from keeps waiting for room on a failed pipe");
        match conn.send_half_mut().send_from(batch) {
            Ok(finished) => done = finished,
            Err(err) => break Err(err),
        }
    };
    (wire, answer)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    #[test]
    fn every_message_a_batch_cut_by_a_failure_took_reaches_the_os_or_the_next_peer_exactly_once(
        fifo in any::<bool>(),
        sizes in prop::collection::vec(prop_oneof![1usize..40, 1usize..3000], 1..25),
        borrowed in any::<bool>(),
        high_water_mark in prop_oneof![1usize..64, 1usize..8000],
        coalesce in 0usize..2000,
        limits in prop::collection::vec(prop_oneof![1usize..10, 1usize..5000], 0..30),
        read_failure in any::<bool>(),
        take in any::<bool>(),
        kept_after in prop::collection::vec(1usize..300, 0..4),
        later in prop::collection::vec(1usize..300, 0..3),
    ) {
        let transport = if fifo { Transport::Fifo } else { Transport::Tcp };
        let now = Instant::now();
        let config = Config::default().with_coalesce_limit(coalesce).with_high_water_mark(high_water_mark);
        let mut conn = Connection::new(transport, Side::Client, config);
        conn.connect(now, Duration::from_secs(1)).unwrap();
        open(&mut conn, now);

        let frames: Vec<Vec<u8>> = sizes.iter().enumerate().map(|(k, &len)| payload(k, len)).collect();
        let (before, answer, left) = if borrowed {
            let mut batch = frames.iter();
            let (wire, answer) = batch_cut_by_a_failure(&mut conn, &mut batch, &limits, read_failure);
            (wire, answer, batch.count())
        } else {
            let mut batch = frames.iter().map(|frame| Bytes::from(frame.clone()));
            let (wire, answer) = batch_cut_by_a_failure(&mut conn, &mut batch, &limits, read_failure);
            (wire, answer, batch.count())
        };
        prop_assert_eq!(left, 0, "the whole batch was taken");
        let (whole, _, _) = decode(&before);
        prop_assert_eq!(&whole[..], &frames[..whole.len()], "written whole, in order");
        let lost = frames.len() - whole.len();
        let counted = match &answer {
            Err(pipe_proto::SendError::Undelivered { undelivered, .. }) => undelivered.frames,
            Err(pipe_proto::SendError::Failed(_)) => 0,
            other => return Err(TestCaseError::fail(format!("the batch answered {other:?}"))),
        };
        prop_assert_eq!(counted, lost, "every message taken and not handed to the OS is counted");

        // Messages handed over to the failed pipe are kept after the batch; borrowed ones are
        // left with the caller.
        let mut expected: Vec<Vec<u8>> = frames[whole.len()..].to_vec();
        for (k, &len) in kept_after.iter().enumerate() {
            let frame = payload(500 + k, len);
            let answer = conn.send(Bytes::from(frame.clone()));
            let counted = match answer {
                Err(pipe_proto::SendError::Undelivered { undelivered, .. }) => undelivered.frames,
                other => return Err(TestCaseError::fail(format!("a send to the failed pipe answered {other:?}"))),
            };
            expected.push(frame);
            prop_assert_eq!(counted, expected.len());
            prop_assert!(conn.send_slice(b"borrowed").is_err());
        }

        if take {
            let unsent: Vec<Vec<u8>> = conn.take_unsent().iter().map(|f| f.to_vec()).collect();
            prop_assert_eq!(unsent, std::mem::take(&mut expected), "given back whole, in order");
        }
        conn.reconnect(now, Duration::from_secs(1)).unwrap();
        open(&mut conn, now);
        let after = send_after_the_reconnect(&mut conn, &later, &mut expected);
        prop_assert_eq!(decode(&after), (expected, false, 0), "the new peer gets them once, whole, in order");
    }
}

/// How many cases each property runs: `default`, or `PIPE_PROTO_CASES` when set (the mutation
/// testing script sets fewer, so that each of its hundreds of runs stays short).
fn cases(default: u32) -> u32 {
    std::env::var("PIPE_PROTO_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(default)
}

//! Messages lent in place (`read_with`, `read_batch_with`): every message arrives whole and in
//! order however the reads cut it, a message larger than the read buffer is gathered and lent
//! whole, and every other answer (the peer's close, a stream cut inside a frame) is the one
//! `read` gives, at the same point of the stream.

use std::time::Duration;

use bytes::Bytes;
use futures_util::future::join;
use pipe_io::{Config, Error, Runtime, Transport};
use pipe_proto::HEADER_LEN;

use super::support::{connected_with, sleep, timeout, Frames, Kind};

/// The smallest read chunk a configuration allows: with it, the reader's reads take at most 16
/// bytes between frames, so headers and payloads are cut across reads.
const TINY_READS: usize = 16;

/// Sizes that start and end anywhere in a 16-byte read, one around the pipe buffer, and ones
/// many times larger than both the read buffer and the FIFO or socket buffer (those cross many
/// reads, and the reader waits for the writer in the middle of them).
const SIZES: [usize; 12] = [1, 11, 12, 13, 16, 17, 100, 4_096, 65_537, 5, (1 << 20) + 3, 3 << 20];

/// The size of frame `k`.
fn size_of(k: usize) -> usize {
    SIZES[k % SIZES.len()]
}

/// The client writes frames of a dozen sizes (around 16 bytes, 4 KiB, 64 KiB, 1 and 3 MiB),
/// twice over; the channel, whose reads take 16 bytes at a time between frames, takes each with
/// `read_with` and compares it where it lies, with a pause now and then so that the writer gets
/// ahead and waits. Every frame is lent whole, in order, once; then the close, on every later
/// call.
pub async fn frames_cut_across_reads_are_lent_whole<R: Runtime, K: Kind>() {
    cut_across_reads::<R, K>(false).await
}

/// [`frames_cut_across_reads_are_lent_whole`], the channel taking what arrived with
/// `read_batch_with`: every frame is lent whole, in order, once (how many a call takes depends on
/// how the reads fall; `what_follows_a_batch_is_the_next_call_s_answer` checks a call that takes
/// several).
pub async fn frames_cut_across_reads_are_lent_whole_in_batches<R: Runtime, K: Kind>() {
    cut_across_reads::<R, K>(true).await
}

/// The two scenarios above: one message per call, or all that arrived per call (`batches`).
async fn cut_across_reads<R: Runtime, K: Kind>(batches: bool) {
    let config = Config::default().with_read_chunk(TINY_READS);
    let (mut channel, mut client) = connected_with::<R, K>(config).await;
    let count = 2 * SIZES.len();
    let frames = Frames::new(*SIZES.iter().max().unwrap());
    let writer = async {
        for k in 0..count {
            client.write_bytes(frames.frame(k, size_of(k))).await.unwrap_or_else(|err| panic!("write {k}: {err}"));
        }
        client.close().await.expect("close the writer");
    };
    let reader = async {
        let check = |k: usize, msg: &[u8]| {
            assert!(k < count, "a frame beyond the {count} sent");
            let expected = frames.frame(k, size_of(k));
            assert!(msg == &expected[..], "frame {k}: {} bytes, not the {} sent", msg.len(), expected.len());
        };
        let (mut k, mut calls) = (0, 0);
        while k < count {
            let taken = if batches {
                channel
                    .read_batch_with(|msg| {
                        check(k, msg);
                        k += 1;
                    })
                    .await
            } else {
                let taken = channel.read_with(|msg| check(k, msg)).await;
                k += 1;
                taken.map(|lent| lent.map(|()| 1))
            };
            let taken = taken.unwrap_or_else(|err| panic!("read of frame {k}: {err}"));
            assert!(taken.is_some(), "the close came before frame {k}");
            calls += 1;
            if calls % 5 == 0 {
                sleep::<R>(Duration::from_millis(5)).await;
            }
        }
        assert_eq!(channel.read_with(|msg| msg.len()).await.expect("read the close"), None);
        assert_eq!(channel.read_batch_with(|_| panic!("a message after the close")).await.expect("again"), None);
        assert_eq!(channel.read().await.expect("read the close with read"), None);
    };
    join(writer, reader).await;
}

/// `read`, `read_with` and `read_batch_with` in turn on a split reader, over batches of small
/// messages and ones larger than a read: each message is taken once, in order, whichever call
/// takes it, including the messages `read` had already split off the read buffer together with
/// its own.
pub async fn read_and_read_with_take_every_message_once_in_order<R: Runtime, K: Kind>() {
    let (channel, mut client) = connected_with::<R, K>(Config::default()).await;
    let frames = Frames::new(70_000);
    let size = |k: usize| [3, 40, 70_000, 1][k % 4];
    let count = 200;
    let writer = async {
        // In batches: many frames per read, so that `read` splits off several at once.
        for start in (0..count).step_by(10) {
            let batch = (start..start + 10).map(|k| frames.frame(k, size(k)));
            client.write_batch(batch).await.unwrap_or_else(|err| panic!("write from {start}: {err}"));
        }
        client.close().await.expect("close the writer");
    };
    let reader = async {
        let (mut reader, writer) = channel.into_split().expect("split the channel");
        let check = |k: usize, msg: &[u8]| {
            assert!(k < count, "a frame beyond the {count} sent");
            assert!(msg == &frames.frame(k, size(k))[..], "frame {k} is not the one sent");
        };
        let (mut k, mut call) = (0, 0);
        while k < count {
            let taken = match call % 3 {
                0 => reader.read().await.map(|frame| frame.map(|frame| check(k, &frame))).map(|read| read.map(|()| 1)),
                1 => reader.read_with(|msg| check(k, msg)).await.map(|lent| lent.map(|()| 1)),
                _ => {
                    let mut next = k;
                    let taken = reader
                        .read_batch_with(|msg| {
                            check(next, msg);
                            next += 1;
                        })
                        .await;
                    assert!(taken.as_ref().map_or(true, |taken| *taken == Some(next - k)), "the count");
                    taken
                }
            };
            k += taken.unwrap_or_else(|err| panic!("frame {k}: {err}")).unwrap_or_else(|| panic!("closed before {k}"));
            call += 1;
        }
        assert_eq!(reader.read_with(|msg| msg.len()).await.expect("read the close"), None);
        assert_eq!(reader.read().await.expect("read the close again"), None);
        drop(writer);
    };
    join(writer, reader).await;
}

/// The frame left half-written by the scenarios below: more than any pipe or socket buffer
/// holds, so that its write cannot complete while nobody reads.
const HUGE: usize = 32 << 20;

/// The client sends a message, starts a 32 MiB one and is dropped half-way through it. The
/// channel's `read_with` lends the message, then answers [`Error::TruncatedFrame`] counting the
/// header and what came of the payload, on every later call, as `read` and `read_batch_with`
/// do; the cut frame is never lent.
pub async fn peer_died_mid_frame_is_a_truncated_frame<R: Runtime, K: Kind>() {
    let config = Config::default().with_max_frame_len(2 * HUGE);
    let (mut channel, mut client) = connected_with::<R, K>(config).await;
    client.write(b"whole").await.expect("client writes");
    let huge = Frames::new(HUGE).frame(0, HUGE);
    if timeout::<R, _>(Duration::from_millis(300), client.write_bytes(huge)).await.is_some() {
        panic!("a {HUGE}-byte write completed with nobody reading: cannot leave it half-written");
    }
    drop(client);
    assert_eq!(channel.read_with(|msg| msg.to_vec()).await.expect("read_with the message"), Some(b"whole".to_vec()));
    let mut lent = 0;
    let first = channel.read_with(|_| lent += 1).await.expect_err("the stream ended inside a frame");
    let Error::TruncatedFrame { expected, received } = first else { panic!("not a truncated frame: {first:?}") };
    assert_eq!(expected, HEADER_LEN + HUGE, "expected counts the header and the payload");
    assert!(received > HEADER_LEN && received < expected, "received {received} of {expected}");
    let same = |err: Error| matches!(err, Error::TruncatedFrame { expected: e, received: r } if (e, r) == (expected, received));
    assert!(same(channel.read_with(|_| lent += 1).await.expect_err("the failure stays")));
    assert!(same(channel.read().await.expect_err("read answers the same")));
    assert!(same(channel.read_batch_with(|_| lent += 1).await.expect_err("read_batch_with answers the same")));
    assert_eq!(lent, 0, "the cut frame is never lent");
}

/// The client sends three messages and closes; `read_batch_with` lends the three in one call and
/// leaves the close to the next, as `read` answers it after the third message: until then the
/// peer's close is not known. Then (a second pair) three messages and a 32 MiB one the client is
/// dropped in the middle of: the three messages, then the truncated frame, never lent.
pub async fn what_follows_a_batch_is_the_next_call_s_answer<R: Runtime, K: Kind>() {
    let (mut channel, mut client) = connected_with::<R, K>(Config::default()).await;
    client.write_batch(["a", "b", "c"].map(Bytes::from)).await.expect("client writes");
    client.close().await.expect("client closes");
    sleep::<R>(Duration::from_millis(50)).await; // all of it in the pipe before the channel reads
    let mut lent = Vec::new();
    let first = channel.read_batch_with(|msg| lent.push(msg.to_vec())).await.expect("the messages");
    assert_eq!(first, Some(3), "the three messages in one call");
    assert_eq!(lent, [b"a", b"b", b"c"]);
    assert!(!channel.peer_closed(), "the close is the next call's answer");
    if K::TRANSPORT == Transport::Tcp {
        // A TCP close is a half-close: the peer still reads, and our writes still go.
        channel.write(b"still open").await.expect("a write before the close is read");
    }
    assert_eq!(channel.read_batch_with(|_| panic!("a message after the close")).await.expect("the close"), None);
    assert!(channel.peer_closed());

    let config = Config::default().with_max_frame_len(2 * HUGE);
    let (mut channel, mut client) = connected_with::<R, K>(config).await;
    client.write_batch(["a", "b", "c"].map(Bytes::from)).await.expect("client writes");
    let huge = Frames::new(HUGE).frame(0, HUGE);
    if timeout::<R, _>(Duration::from_millis(300), client.write_bytes(huge)).await.is_some() {
        panic!("a {HUGE}-byte write completed with nobody reading: cannot leave it half-written");
    }
    drop(client);
    let mut count = 0;
    while count < 3 {
        count += channel.read_batch_with(|_| {}).await.expect("the messages").expect("not the close");
    }
    assert_eq!(count, 3, "only the three messages");
    let err = channel.read_batch_with(|_| panic!("the cut frame lent")).await.expect_err("the cut frame");
    assert!(matches!(err, Error::TruncatedFrame { .. }), "{err:?}");
}

//! Cancel safety: reads and writes abandoned by a timeout at any point lose, duplicate or reorder
//! nothing.

use std::time::Duration;

use futures_util::future::join;
use pipe_io::Runtime;

use super::support::{connected, sleep, timeout, Frames, Jitter, Kind};

/// How many frames each scenario sends.
const FRAMES: usize = 3_000;

/// The size of frame `k`: mostly small, every 13th just over the pipe buffer, every 97th over a
/// MiB (many reads each).
fn size_of(k: usize) -> usize {
    if k % 97 == 0 {
        (1 << 20) + 3 + k
    } else if k % 13 == 0 {
        65_537
    } else if k % 5 == 0 {
        4_096 + k % 100
    } else {
        1 + k % 300
    }
}

/// The largest [`size_of`].
fn largest() -> usize {
    (0..FRAMES).map(size_of).max().unwrap()
}

/// A timeout between 1 µs and 2 ms.
fn short(jitter: &mut Jitter) -> Duration {
    Duration::from_micros(1 + jitter.below(2_000))
}

/// The client writes thousands of frames of mixed sizes, pausing now and then (longer than any
/// read timeout, so that reads do time out); the channel wraps every read in a timeout of a few
/// µs to 2 ms and simply reads again when it fires. Every frame arrives once, intact and in
/// order, then the close; and reads were indeed cancelled along the way.
pub async fn reads_cancelled_by_timeouts_lose_nothing<R: Runtime, K: Kind>() {
    cancelled_reads::<R, K>(Take::Read).await
}

/// [`reads_cancelled_by_timeouts_lose_nothing`] with `read_with`: every frame is lent once,
/// intact and in order, and a `read_with` cancelled by its timeout never calls its function.
pub async fn lent_reads_cancelled_by_timeouts_lose_nothing<R: Runtime, K: Kind>() {
    cancelled_reads::<R, K>(Take::ReadWith).await
}

/// [`reads_cancelled_by_timeouts_lose_nothing`] with `read_batch_with`: every frame is lent
/// once, intact and in order, and a cancelled call never calls its function.
pub async fn batch_reads_cancelled_by_timeouts_lose_nothing<R: Runtime, K: Kind>() {
    cancelled_reads::<R, K>(Take::ReadBatchWith).await
}

/// How the reader takes frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Take {
    Read,
    ReadWith,
    ReadBatchWith,
}

/// The scenarios above: reads by `read`, `read_with` or `read_batch_with`.
async fn cancelled_reads<R: Runtime, K: Kind>(take: Take) {
    let (mut channel, mut client) = connected::<R, K>().await;
    let frames = Frames::new(largest());
    let writer = async {
        for k in 0..FRAMES {
            client.write_bytes(frames.frame(k, size_of(k))).await.unwrap_or_else(|err| panic!("write {k}: {err}"));
            if k % 25 == 0 {
                sleep::<R>(Duration::from_millis(3)).await;
            }
        }
        client.close().await.expect("close the writer");
    };
    let reader = async {
        let mut jitter = Jitter::new(0x5eed);
        let (mut k, mut cancelled, mut lent) = (0, 0, 0);
        loop {
            let same = |k: usize, msg: &[u8]| k < FRAMES && msg == &frames.frame(k, size_of(k))[..];
            let mut next = k;
            let read = async {
                match take {
                    Take::Read => channel.read().await.map(|frame| frame.map(|frame| usize::from(same(k, &frame)))),
                    Take::ReadWith => {
                        channel
                            .read_with(|msg| {
                                lent += 1;
                                usize::from(same(k, msg))
                            })
                            .await
                    }
                    Take::ReadBatchWith => {
                        let mut wrong = 0;
                        let taken = channel
                            .read_batch_with(|msg| {
                                lent += 1;
                                wrong += usize::from(!same(next, msg));
                                next += 1;
                            })
                            .await;
                        taken.map(|taken| taken.map(|count| if wrong == 0 { count } else { 0 }))
                    }
                }
            };
            let Some(result) = timeout::<R, _>(short(&mut jitter), read).await else {
                cancelled += 1;
                continue;
            };
            match result.unwrap_or_else(|err| panic!("read after frame {k}, {cancelled} cancelled reads: {err}")) {
                Some(taken) => {
                    assert!(k < FRAMES, "a frame beyond the {FRAMES} sent arrived");
                    assert!(taken > 0, "frame {k} or one after it is lost, duplicated or corrupted");
                    k += taken;
                }
                None => break,
            }
        }
        assert_eq!(k, FRAMES, "frames received before the close");
        if take != Take::Read {
            assert_eq!(lent, FRAMES, "the function was called once per frame, never by a cancelled read");
        }
        cancelled
    };
    let ((), cancelled) = join(writer, reader).await;
    assert!(cancelled > 0, "no read was cancelled: the scenario tested nothing");
}

/// The client wraps every write in a timeout of a few µs to 2 ms and, when it fires, goes on with
/// the next message without repeating the cancelled one (its message was queued when the write
/// was first polled, and goes out with the next write or flush). The channel pauses now and then,
/// long enough for the writer to fill the pipe or socket buffers, so that writes do time out. It
/// receives every frame exactly once, intact and in order.
pub async fn writes_cancelled_by_timeouts_are_sent_once<R: Runtime, K: Kind>() {
    let (mut channel, mut client) = connected::<R, K>().await;
    let frames = Frames::new(largest());
    let writer = async {
        let mut jitter = Jitter::new(0xc0ffee);
        let mut cancelled = 0;
        for k in 0..FRAMES {
            match timeout::<R, _>(short(&mut jitter), client.write_bytes(frames.frame(k, size_of(k)))).await {
                Some(result) => result.unwrap_or_else(|err| panic!("write {k}: {err}")),
                None => cancelled += 1,
            }
        }
        client.flush().await.expect("flush what cancelled writes queued");
        client.close().await.expect("close the writer");
        cancelled
    };
    let reader = async {
        let mut k = 0;
        while let Some(frame) = channel.read().await.unwrap_or_else(|err| panic!("read after frame {k}: {err}")) {
            assert!(k < FRAMES, "a frame beyond the {FRAMES} sent arrived");
            assert!(frame == frames.frame(k, size_of(k)), "frame {k} is lost, duplicated or corrupted");
            k += 1;
            if k % 100 == 0 {
                sleep::<R>(Duration::from_millis(20)).await;
            }
        }
        assert_eq!(k, FRAMES, "frames received before the close");
    };
    let (cancelled, ()) = join(writer, reader).await;
    assert!(cancelled > 0, "no write was cancelled: the scenario tested nothing");
}

/// A write does nothing until it is polled: futures of `write` and `write_bytes` dropped before
/// their first poll queue nothing (not even an empty message's refusal is an answer), on the whole
/// pipe and on a split writer; the next write's message is the first to arrive, and the only one.
pub async fn writes_never_polled_send_nothing<R: Runtime, K: Kind>() {
    let (mut channel, client) = connected::<R, K>().await;
    let (mut reader, mut writer) = client.into_split().expect("split the client");
    drop(writer.write(b"never polled"));
    drop(writer.write(b""));
    drop(writer.write_bytes(bytes::Bytes::from_static(b"never polled either")));
    writer.write(b"first").await.expect("write after futures that were never polled");
    drop(channel.write(b"nor this"));
    channel.write(b"second").await.expect("write back");
    assert_eq!(channel.read().await.expect("read").as_deref(), Some(&b"first"[..]));
    writer.close().await.expect("close the writer");
    assert_eq!(channel.read().await.expect("read the close"), None, "nothing else was sent");
    assert_eq!(reader.read().await.expect("read").as_deref(), Some(&b"second"[..]));
}

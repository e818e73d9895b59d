//! Many messages at once, and the split halves: `write_batch`, `Sink::feed` then `flush`, reader
//! and writer in concurrent futures, and the writer's half-close.

use bytes::Bytes;
use futures_util::future::join;
use futures_util::{SinkExt, StreamExt};
use pipe_io::{Config, Error, Runtime};

use super::support::{connected, connected_with, Frames, Kind};

/// Messages per batch.
const N: usize = 1_000;

/// Mostly small messages, which share writes, with some larger than the high-water mark (128 KiB)
/// so that a batch must wait for room.
fn size_of(k: usize) -> usize {
    if k % 100 == 99 {
        300_000
    } else {
        1 + (k * 37) % 2_000
    }
}

fn frames() -> Frames {
    Frames::new(300_000)
}

/// `write_batch` of N messages: the peer, reading at the same time, gets all N in order, then the
/// close.
pub async fn write_batch_delivers_all_in_order<R: Runtime, K: Kind>() {
    let (mut channel, mut client) = connected::<R, K>().await;
    let frames = frames();
    let writer = async {
        client.write_batch((0..N).map(|k| frames.frame(k, size_of(k)))).await.expect("write the batch");
        client.close().await.expect("close");
    };
    let reader = async {
        for k in 0..N {
            let frame = channel.read().await.unwrap_or_else(|err| panic!("read {k}: {err}"));
            assert!(frame == Some(frames.frame(k, size_of(k))), "message {k} of the batch");
        }
        assert_eq!(channel.read().await.expect("read the close"), None);
    };
    join(writer, reader).await;
}

/// The split writer's `Sink::feed` N times, then one `flush`: the peer gets all N in order.
pub async fn sink_feed_then_flush_delivers_all_in_order<R: Runtime, K: Kind>() {
    let (mut channel, client) = connected::<R, K>().await;
    let (_client_reader, mut client_writer) = client.into_split().expect("split");
    let frames = frames();
    let writer = async {
        for k in 0..N {
            client_writer.feed(frames.frame(k, size_of(k))).await.unwrap_or_else(|err| panic!("feed {k}: {err}"));
        }
        client_writer.flush().await.expect("flush");
    };
    let reader = async {
        for k in 0..N {
            let frame = channel.read().await.unwrap_or_else(|err| panic!("read {k}: {err}"));
            assert!(frame == Some(frames.frame(k, size_of(k))), "message {k} fed");
        }
    };
    join(writer, reader).await;
    // Nothing more was sent than what was fed.
    client_writer.close().await.expect("close");
    assert_eq!(channel.read().await.expect("read the close"), None);
}

/// Both ends split, their four halves in four concurrent futures (`Sink::send` and
/// `Stream::next`): N messages each way, all in order; each stream ends when the other side's
/// writer closes.
pub async fn split_halves_work_concurrently<R: Runtime, K: Kind>() {
    let (channel, client) = connected::<R, K>().await;
    let (mut channel_reader, mut channel_writer) = channel.into_split().expect("split the channel");
    let (mut client_reader, mut client_writer) = client.into_split().expect("split the client");
    let frames = frames();
    // The client's messages are numbered from N, so a message sent back would not pass for one
    // of them.
    let channel_sends = async {
        for k in 0..N {
            channel_writer.send(frames.frame(k, size_of(k))).await.unwrap_or_else(|err| panic!("send {k}: {err}"));
        }
        SinkExt::<pipe_io::Bytes>::close(&mut channel_writer).await.expect("close the channel's writer");
    };
    let client_sends = async {
        for k in N..2 * N {
            client_writer.send(frames.frame(k, size_of(k))).await.unwrap_or_else(|err| panic!("send {k}: {err}"));
        }
        SinkExt::<pipe_io::Bytes>::close(&mut client_writer).await.expect("close the client's writer");
    };
    let channel_receives = async {
        let mut k = N;
        while let Some(frame) = channel_reader.next().await {
            let frame = frame.unwrap_or_else(|err| panic!("channel receives {k}: {err}"));
            assert!(frame == frames.frame(k, size_of(k)), "channel receives message {k}");
            k += 1;
        }
        assert_eq!(k, 2 * N, "the channel's stream ended early");
    };
    let client_receives = async {
        let mut k = 0;
        while let Some(frame) = client_reader.next().await {
            let frame = frame.unwrap_or_else(|err| panic!("client receives {k}: {err}"));
            assert!(frame == frames.frame(k, size_of(k)), "client receives message {k}");
            k += 1;
        }
        assert_eq!(k, N, "the client's stream ended early");
    };
    join(join(channel_sends, client_sends), join(channel_receives, client_receives)).await;
}

/// The client's split writer closes (a half-close) after its messages. The channel reads them,
/// then the end of the stream. With [`Config::with_half_close`] the channel's split writer can
/// still send, and the client's reader keeps receiving until the channel closes too; without it
/// (the AEA's rule, the default) the peer's close ends sending: `PeerClosed`.
pub async fn writer_close_half_closes<R: Runtime, K: Kind>() {
    let (channel, client) = connected::<R, K>().await;
    let (mut channel_reader, mut channel_writer) = channel.into_split().expect("split the channel");
    let (_client_reader, mut client_writer) = client.into_split().expect("split the client");
    client_writer.close().await.expect("client half-closes");
    assert_eq!(channel_reader.read().await.expect("channel reads the close"), None);
    assert!(matches!(channel_writer.write(b"x").await, Err(Error::PeerClosed)), "the default: the peer is done");

    let (channel, client) = connected_with::<R, K>(Config::default().with_half_close(true)).await;
    let (mut channel_reader, mut channel_writer) = channel.into_split().expect("split the channel");
    let (mut client_reader, mut client_writer) = client.into_split().expect("split the client");

    for k in 0..10u8 {
        client_writer.write(&[k; 10]).await.expect("client writes");
    }
    client_writer.close().await.expect("client half-closes");
    for k in 0..10u8 {
        assert_eq!(channel_reader.read().await.expect("channel reads"), Some(Bytes::from(vec![k; 10])));
    }
    assert_eq!(channel_reader.read().await.expect("channel reads the half-close"), None);

    for k in 0..10u8 {
        channel_writer.write(&[k; 1_000]).await.expect("the channel still writes to a half-closed client");
    }
    for k in 0..10u8 {
        let frame = client_reader.read().await.expect("the half-closed client still reads");
        assert_eq!(frame, Some(Bytes::from(vec![k; 1_000])));
    }
    channel_writer.close().await.expect("channel closes");
    assert_eq!(client_reader.read().await.expect("client reads the close"), None);
    assert_eq!(client_reader.next().await.map(|r| r.is_ok()), None, "the stream has ended");
}

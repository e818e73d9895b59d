//! Messages of every size that matters arrive intact, both ways; messages that cannot be sent are
//! refused before a byte leaves, and the pipe stays usable.

use bytes::Bytes;
use futures_util::future::join;
use pipe_io::{Error, Runtime, DEFAULT_MAX_FRAME_LEN};

use super::support::{connected, Kind};
use crate::payload::{is_payload, payload};

/// The sizes around every boundary: under, at and over the header length, the Linux pipe buffer
/// (64 KiB) and the read chunk, a frame spanning many reads, and the default maximum.
pub const BOUNDARY_SIZES: [usize; 8] = [1, 3, 4, 65_535, 65_536, 65_537, (1 << 20) + 3, DEFAULT_MAX_FRAME_LEN];

/// Checks that `received` is frame `k` of `len` bytes, byte for byte.
fn check(received: Option<Bytes>, k: usize, len: usize, what: &str) {
    let frame = received.unwrap_or_else(|| panic!("{what}: end of stream instead of frame {k}"));
    assert_eq!(frame.len(), len, "{what}: frame {k} has the wrong length");
    assert!(is_payload(k, &frame), "{what}: frame {k} ({len} bytes) is corrupted");
}

/// The channel sends a message of every boundary size, the client echoes each one back, every
/// byte is checked on both sides.
pub async fn boundary_sizes_echo<R: Runtime, K: Kind>() {
    let (mut channel, mut client) = connected::<R, K>().await;
    for (k, &len) in BOUNDARY_SIZES.iter().enumerate() {
        let sent = payload(k, len);
        let (written, received) = join(channel.write_bytes(sent.clone()), client.read()).await;
        written.unwrap_or_else(|err| panic!("channel writes {len} bytes: {err}"));
        let received = received.unwrap_or_else(|err| panic!("client reads {len} bytes: {err}"));
        check(received.clone(), k, len, "client");
        let (written, echoed) = join(client.write(&received.unwrap()), channel.read()).await;
        written.unwrap_or_else(|err| panic!("client echoes {len} bytes: {err}"));
        check(echoed.unwrap_or_else(|err| panic!("channel reads the echo of {len} bytes: {err}")), k, len, "channel");
    }
    channel.close().await.expect("close the channel");
    assert_eq!(client.read().await.expect("client reads the close"), None);
}

/// Both sides send every boundary size at the same time, through split halves driven by four
/// concurrent futures; every byte is checked.
pub async fn boundary_sizes_both_ways_at_once<R: Runtime, K: Kind>() {
    let (channel, client) = connected::<R, K>().await;
    let (mut channel_reader, mut channel_writer) = channel.into_split().expect("split the channel");
    let (mut client_reader, mut client_writer) = client.into_split().expect("split the client");
    // Frames from the client are numbered from 100, so that a frame reflected back would not pass.
    let from_client = 100;
    let channel_sends = async {
        for (k, &len) in BOUNDARY_SIZES.iter().enumerate() {
            channel_writer
                .write_bytes(payload(k, len))
                .await
                .unwrap_or_else(|err| panic!("channel sends {len}: {err}"));
        }
        channel_writer.close().await.expect("channel closes its writer");
    };
    let client_sends = async {
        for (k, &len) in BOUNDARY_SIZES.iter().enumerate() {
            client_writer
                .write(&payload(from_client + k, len))
                .await
                .unwrap_or_else(|err| panic!("client sends {len}: {err}"));
        }
        client_writer.close().await.expect("client closes its writer");
    };
    let channel_receives = async {
        for (k, &len) in BOUNDARY_SIZES.iter().enumerate() {
            let received = channel_reader.read().await.unwrap_or_else(|err| panic!("channel receives {len}: {err}"));
            check(received, from_client + k, len, "channel");
        }
        assert_eq!(channel_reader.read().await.expect("channel reads the close"), None);
    };
    let client_receives = async {
        for (k, &len) in BOUNDARY_SIZES.iter().enumerate() {
            let received = client_reader.read().await.unwrap_or_else(|err| panic!("client receives {len}: {err}"));
            check(received, k, len, "client");
        }
        assert_eq!(client_reader.read().await.expect("client reads the close"), None);
    };
    join(join(channel_sends, client_sends), join(channel_receives, client_receives)).await;
}

/// A message one byte over the maximum and an empty message are refused with typed errors, by
/// every way of writing, before anything is sent: the peer's next message is the next valid one,
/// and the pipe works both ways afterwards.
pub async fn oversized_and_empty_frames_are_refused<R: Runtime, K: Kind>() {
    let (mut channel, mut client) = connected::<R, K>().await;
    let max = channel.config().max_frame_len();
    assert_eq!(max, DEFAULT_MAX_FRAME_LEN);
    let too_large = payload(0, max + 1);
    let too_large_error = |result: Result<(), Error>, how: &str| match result {
        Err(Error::FrameTooLarge { len, max: limit }) => {
            assert_eq!((len, limit), (max + 1, max), "{how}: the error names the length and the limit")
        }
        other => panic!("{how} of {} bytes gave {other:?}, not FrameTooLarge", max + 1),
    };
    too_large_error(channel.write(&too_large).await, "write");
    too_large_error(channel.write_bytes(too_large.clone()).await, "write_bytes");
    too_large_error(channel.write_batch([too_large.clone()]).await, "write_batch");
    assert!(matches!(channel.write(b"").await, Err(Error::EmptyFrame)), "write of an empty message");
    assert!(matches!(channel.write_bytes(Bytes::new()).await, Err(Error::EmptyFrame)), "write_bytes of nothing");
    channel.write(b"after the refusals").await.expect("the channel still writes");
    assert_eq!(client.read().await.expect("client reads").as_deref(), Some(&b"after the refusals"[..]));

    // The same through the split halves.
    let (mut client_reader, mut client_writer) = client.into_split().expect("split the client");
    too_large_error(client_writer.write(&too_large).await, "split write");
    too_large_error(client_writer.write_bytes(too_large).await, "split write_bytes");
    assert!(matches!(client_writer.write(b"").await, Err(Error::EmptyFrame)), "split write of nothing");
    {
        use futures_util::SinkExt;
        assert!(matches!(client_writer.feed(Bytes::new()).await, Err(Error::EmptyFrame)), "Sink::feed of nothing");
        client_writer.feed(Bytes::from_static(b"fed")).await.expect("feed after the refusals");
        client_writer.flush().await.expect("flush after the refusals");
    }
    assert_eq!(channel.read().await.expect("channel reads").as_deref(), Some(&b"fed"[..]));
    channel.write(b"still open").await.expect("channel writes");
    assert_eq!(client_reader.read().await.expect("client reads").as_deref(), Some(&b"still open"[..]));
}

/// A batch with an invalid message in it stops there with its error; the messages before it are
/// sent without any further write.
pub async fn batch_with_an_invalid_frame_sends_the_ones_before<R: Runtime, K: Kind>() {
    let (mut channel, mut client) = connected::<R, K>().await;
    let batch = [Bytes::from_static(b"one"), Bytes::from_static(b"two"), Bytes::new(), Bytes::from_static(b"never")];
    assert!(matches!(channel.write_batch(batch).await, Err(Error::EmptyFrame)));
    let received = super::support::timeout::<R, _>(std::time::Duration::from_secs(5), async {
        (client.read().await.expect("read one"), client.read().await.expect("read two"))
    })
    .await
    .expect("the messages before the invalid one did not arrive");
    assert_eq!(received, (Some(Bytes::from_static(b"one")), Some(Bytes::from_static(b"two"))));
    channel.write(b"three").await.expect("the channel still writes");
    assert_eq!(client.read().await.expect("read three").as_deref(), Some(&b"three"[..]), "\"never\" was not sent");
}

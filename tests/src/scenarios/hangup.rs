//! A peer that goes away without closing (a crash, a drop): the reader learns where the stream
//! ended, the writer gets the OS's error, and the process survives (no `SIGPIPE` death).

use std::io;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::join;
use pipe_io::{Config, Error, Runtime};
use pipe_proto::HEADER_LEN;

use super::support::{connected, connected_with, sleep, timeout, undelivered_by_os, Frames, Kind};

/// The size of the frame left half-written, and a maximum frame length that allows it: more than
/// any pipe or socket buffers can hold, so that its write cannot complete while nobody reads.
const HUGE: usize = 32 << 20;

fn huge_config() -> Config {
    Config::default().with_max_frame_len(2 * HUGE)
}

/// Asserts what a write of one message to a vanished reader answers: that message undelivered,
/// because of one of the OS errors such a write gives (`EPIPE` on a FIFO, `EPIPE` or
/// `ECONNRESET` on TCP).
fn assert_vanished_reader<K: Kind>(result: Result<(), Error>, what: &str) {
    let kind = match result.as_ref().map_err(undelivered_by_os) {
        Err(Some((1, kind))) => kind,
        _ => panic!("{what}: {result:?}, not the message undelivered because of an OS error"),
    };
    if K::TRANSPORT == pipe_io::Transport::Fifo {
        assert_eq!(kind, io::ErrorKind::BrokenPipe, "{what}: {result:?}");
    } else {
        assert!(matches!(kind, io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset), "{what}: {result:?}");
    }
}

/// The client sends three messages and is dropped without closing. The channel reads the three
/// messages, then `Ok(None)` (the stream ended at a frame boundary), and keeps reading `None`.
pub async fn writer_dropped_at_a_frame_boundary<R: Runtime, K: Kind>() {
    let (mut channel, mut client) = connected::<R, K>().await;
    for k in 0..3u8 {
        client.write(&[k; 100]).await.expect("client writes");
    }
    drop(client);
    for k in 0..3u8 {
        assert_eq!(channel.read().await.expect("channel reads"), Some(Bytes::from(vec![k; 100])));
    }
    assert_eq!(channel.read().await.expect("channel reads the end"), None);
    assert_eq!(channel.read().await.expect("channel reads the end again"), None);
}

/// The client sends two messages, starts a 32 MiB one that cannot complete while the channel is
/// not reading, and is dropped half-way through it. The channel reads the two messages, then
/// [`Error::TruncatedFrame`] saying how much of the frame was expected and how much came.
pub async fn writer_dropped_mid_frame<R: Runtime, K: Kind>() {
    let (mut channel, mut client) = connected_with::<R, K>(huge_config()).await;
    client.write(b"one").await.expect("client writes");
    client.write(b"two").await.expect("client writes");
    let huge = Frames::new(HUGE).frame(0, HUGE);
    if timeout::<R, _>(Duration::from_millis(300), client.write_bytes(huge)).await.is_some() {
        panic!("a {HUGE}-byte write completed with nobody reading: cannot leave it half-written");
    }
    drop(client);
    assert_eq!(channel.read().await.expect("read one").as_deref(), Some(&b"one"[..]));
    assert_eq!(channel.read().await.expect("read two").as_deref(), Some(&b"two"[..]));
    match channel.read().await {
        Err(Error::TruncatedFrame { expected, received }) => {
            assert_eq!(expected, HEADER_LEN + HUGE, "expected counts the header and the payload");
            assert!(received > HEADER_LEN && received < expected, "received {received} of {expected}");
        }
        other => panic!("the stream ended inside a frame, yet read gave {other:?}"),
    }
}

/// The channel reads one message and is dropped while the client keeps writing: a write soon
/// fails with the OS's error (`EPIPE`; on TCP possibly `ECONNRESET`), later writes fail too, and
/// the process is still alive to check it.
pub async fn reader_dropped_mid_stream<R: Runtime, K: Kind>() {
    let (mut channel, mut client) = connected::<R, K>().await;
    let frames = Frames::new(70_000);
    client.write(b"first").await.expect("client writes");
    assert_eq!(channel.read().await.expect("channel reads").as_deref(), Some(&b"first"[..]));
    drop(channel);
    let mut writes = 0;
    let result = loop {
        writes += 1;
        match client.write_bytes(frames.frame(writes, 70_000)).await {
            Ok(()) if writes < 1_000 => sleep::<R>(Duration::from_millis(1)).await,
            other => break other,
        }
    };
    assert_vanished_reader::<K>(result, &format!("write {writes} after the reader was dropped"));
    let again = client.write(b"again").await;
    assert!(
        matches!(again.as_ref().map_err(undelivered_by_os), Err(Some(_))),
        "a failed pipe keeps failing: {again:?}"
    );
}

/// The client is blocked writing a 32 MiB message that the channel does not read; the channel is
/// dropped. The blocked write wakes up and fails with the OS's error.
pub async fn reader_dropped_under_a_blocked_writer<R: Runtime, K: Kind>() {
    let (channel, mut client) = connected_with::<R, K>(huge_config()).await;
    let huge = Frames::new(HUGE).frame(0, HUGE);
    let drop_reader = async move {
        sleep::<R>(Duration::from_millis(200)).await;
        drop(channel);
    };
    let (result, ()) = join(client.write_bytes(huge), drop_reader).await;
    assert_vanished_reader::<K>(result, "the blocked write");
}

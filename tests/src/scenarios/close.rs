//! Closing: what the other side sees, what each side may still do, and what is cleaned up.

use std::io;
use std::time::Duration;

use pipe_io::{Error, Pipe, Runtime};

use super::support::{connected, sleep, undelivered_by_os, Kind};

/// Which end closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closer {
    Channel,
    Client,
}

/// `closer` sends a message and closes. The other end reads the message, then `Ok(None)` on every
/// later read; its writes are refused with [`Error::PeerClosed`] (it has seen the close, so
/// nothing reaches the OS). The closed end refuses reads and writes with [`Error::ClosedLocally`], and
/// closing again is fine. A FIFO channel's directory is gone once the channel closed.
async fn peer_close<R: Runtime, K: Kind>(closer: Closer) {
    let (mut channel, mut client) = connected::<R, K>().await;
    let dir = rendezvous_dir(&channel);
    let (closing, other) = match closer {
        Closer::Channel => (&mut channel, &mut client),
        Closer::Client => (&mut client, &mut channel),
    };
    closing.write(b"last words").await.expect("write before closing");
    closing.close().await.expect("close");
    closing.close().await.expect("close again");

    assert_eq!(other.read().await.expect("read the last message").as_deref(), Some(&b"last words"[..]));
    for _ in 0..3 {
        assert_eq!(other.read().await.expect("read after the peer closed"), None);
    }
    assert!(
        matches!(other.write(b"too late").await, Err(Error::PeerClosed)),
        "a write after reading the peer's close is refused with PeerClosed"
    );

    assert!(matches!(closing.read().await, Err(Error::ClosedLocally)), "read after our own close");
    assert!(matches!(closing.write(b"x").await, Err(Error::ClosedLocally)), "write after our own close");
    assert!(matches!(closing.write_bytes("x".into()).await, Err(Error::ClosedLocally)), "write_bytes after our close");
    closing.close().await.expect("close a third time");

    if let Some(dir) = &dir {
        assert_eq!(dir.exists(), closer == Closer::Client, "the FIFO directory exists until the channel closes");
    }
    other.close().await.expect("close the other end");
    other.close().await.expect("close the other end again");
    assert!(matches!(other.read().await, Err(Error::ClosedLocally)));
    if let Some(dir) = &dir {
        assert!(!dir.exists(), "closing the channel removed {}", dir.display());
    }
}

/// The channel closes: its client reads the close, and neither end can be used any more.
pub async fn channel_close<R: Runtime, K: Kind>() {
    peer_close::<R, K>(Closer::Channel).await
}

/// The client closes: its channel reads the close, and neither end can be used any more.
pub async fn client_close<R: Runtime, K: Kind>() {
    peer_close::<R, K>(Closer::Client).await
}

/// A write to a peer that has closed, before its close was read, fails with the message
/// undelivered because of an OS error, and never succeeds afterwards: every later write gives the
/// same answer.
///
/// FIFO: the peer's read end is gone, so the very first write gets `EPIPE` (`BrokenPipe`).
/// TCP: the first write is still accepted by the kernel (our socket only knows the peer sent
/// its FIN); the peer's stack answers it with a reset, and a later write fails. On Linux that
/// error is `EPIPE` (a reset received in `CLOSE_WAIT` is reported as `EPIPE`); other systems may
/// say `ECONNRESET`.
pub async fn write_to_a_closed_peer_fails<R: Runtime, K: Kind>() {
    let (mut channel, mut client) = connected::<R, K>().await;
    channel.close().await.expect("close the channel");
    let mut writes = 0;
    let err = loop {
        writes += 1;
        match client.write(b"anyone there?").await {
            Ok(()) => {
                assert!(writes < 100, "100 writes to a closed peer all succeeded");
                sleep::<R>(Duration::from_millis(10)).await;
            }
            Err(err) => break err,
        }
    };
    let Some((1, kind)) = undelivered_by_os(&err) else {
        panic!("a write to a closed peer gave {err:?}, not the message undelivered because of an OS error")
    };
    if K::TRANSPORT == pipe_io::Transport::Fifo {
        assert_eq!((writes, kind), (1, io::ErrorKind::BrokenPipe), "FIFO: the first write fails with EPIPE");
    } else {
        assert!(writes >= 2, "TCP: the first write is accepted by the kernel");
        if cfg!(target_os = "linux") {
            assert_eq!(kind, io::ErrorKind::BrokenPipe, "TCP on Linux: EPIPE, got {err:?}");
        } else {
            assert!(
                matches!(kind, io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset),
                "TCP: EPIPE or ECONNRESET, got {err:?}"
            );
        }
    }
    let again = client.write(b"again").await.expect_err("a failed pipe stays failed");
    assert_eq!(again.to_string(), err.to_string(), "with the same answer");
}

/// The directory of a FIFO channel (the parent of its paths), `None` for TCP.
pub(crate) fn rendezvous_dir<R: Runtime, K>(channel: &Pipe<R, K>) -> Option<std::path::PathBuf> {
    match channel.transport() {
        pipe_io::Transport::Fifo => {
            let dir = std::path::Path::new(channel.in_path()).parent().expect("FIFO paths have a directory");
            assert!(dir.is_dir(), "the FIFO directory {} exists while the channel lives", dir.display());
            Some(dir.to_owned())
        }
        pipe_io::Transport::Tcp => None,
    }
}

/// A FIFO channel's directory is removed by `close`, and by dropping the channel without closing
/// it, connected or not; after a split, it stays until both halves are dropped.
#[cfg(unix)]
pub async fn fifo_directory_is_removed_by_close_and_by_drop<R: Runtime>() {
    use pipe_io::Fifo;

    let (mut channel, client) = connected::<R, Fifo>().await;
    let dir = rendezvous_dir(&channel).unwrap();
    channel.close().await.expect("close");
    assert!(!dir.exists(), "close removes the directory");
    drop(client);

    let (channel, _client) = connected::<R, Fifo>().await;
    let dir = rendezvous_dir(&channel).unwrap();
    drop(channel);
    assert!(!dir.exists(), "dropping a connected channel removes the directory");

    let channel = Pipe::<R, Fifo>::new().expect("create a channel");
    let dir = rendezvous_dir(&channel).unwrap();
    drop(channel);
    assert!(!dir.exists(), "dropping a channel that never connected removes the directory");

    let (channel, _client) = connected::<R, Fifo>().await;
    let dir = rendezvous_dir(&channel).unwrap();
    let (reader, writer) = channel.into_split().expect("split");
    drop(writer);
    assert!(dir.exists(), "the directory stays while the reader lives");
    drop(reader);
    assert!(!dir.exists(), "dropping both halves removes the directory");
}

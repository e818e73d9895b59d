//! Who else can reach the rendezvous: nobody but the owner (FIFO), nobody off the loopback
//! address and nobody after the one peer (TCP); and what a FIFO client agrees to open. (A TCP
//! peer of another user is refused by the channel: that takes a process of another user, in
//! `tests/tests/peer_users.rs`.)

use std::io;
use std::net::TcpStream;
#[cfg(unix)]
use std::time::{Duration, Instant};

#[cfg(unix)]
use pipe_io::Error;
use pipe_io::{Pipe, Runtime, Tcp};

use super::support::{connected, round_trip, CONNECT_TIMEOUT};

/// The FIFO directory is mode 0700 and holds exactly the two FIFOs, each mode 0600, all owned by
/// the user running the process.
#[cfg(unix)]
pub async fn fifo_rendezvous_is_private_to_the_owner<R: Runtime>() {
    use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};

    use pipe_io::{Fifo, Pipe};

    let channel = Pipe::<R, Fifo>::new().expect("create the channel");
    let dir = std::path::Path::new(channel.in_path()).parent().expect("the FIFOs are in a directory").to_owned();
    let ours = tempfile::tempfile().expect("create a file of ours").metadata().expect("its metadata").uid();

    let meta = std::fs::metadata(&dir).expect("the directory's metadata");
    assert!(meta.is_dir());
    assert_eq!(meta.permissions().mode() & 0o7777, 0o700, "the directory is owner-only");
    assert_eq!(meta.uid(), ours, "the directory is ours");

    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("list the directory")
        .map(|entry| entry.expect("an entry").path().display().to_string())
        .collect();
    entries.sort();
    let mut expected = vec![channel.in_path().to_owned(), channel.out_path().to_owned()];
    expected.sort();
    assert_eq!(entries, expected, "the directory holds the two FIFOs and nothing else");

    for path in [channel.in_path(), channel.out_path()] {
        let meta = std::fs::symlink_metadata(path).expect("the FIFO's metadata");
        assert!(meta.file_type().is_fifo(), "{path} is a FIFO");
        assert_eq!(meta.permissions().mode() & 0o7777, 0o600, "{path} is owner read/write only");
        assert_eq!(meta.uid(), ours, "{path} is ours");
    }
}

/// The TCP channel listens on 127.0.0.1 only, and stops listening once it accepted its peer: a
/// second connection to the port is refused (there is no listening socket left to complete a
/// handshake), and the first session carries on untouched.
pub async fn tcp_channel_is_loopback_only_and_single_peer<R: Runtime>() {
    let channel = pipe_io::Pipe::<R, Tcp>::new().expect("create the channel");
    let port: u16 = channel.in_path().parse().expect("the channel's path is its port");
    if cfg!(target_os = "linux") {
        // All of 127.0.0.0/8 reaches this host on Linux: a wildcard listener would answer here.
        let err = TcpStream::connect(("127.0.0.2", port)).expect_err("127.0.0.2 reached a loopback-only listener");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
    }
    drop(channel);

    let (mut channel, mut client) = connected::<R, Tcp>().await;
    let port: u16 = channel.in_path().parse().expect("the channel's path is its port");
    let err = TcpStream::connect(("127.0.0.1", port)).expect_err("a second peer connected");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
    round_trip(&mut channel, &mut client).await;
    round_trip(&mut channel, &mut client).await;
}

/// A stray connection of our own user, made before our client's, is taken as the peer: the
/// channel cannot tell it from our client (only another user's is refused). Once it leaves,
/// the channel reads it as a peer that closed; the real client finds nobody listening.
pub async fn tcp_stray_peer_of_our_own_user_is_taken_and_reads_as_closed<R: Runtime>() {
    let mut channel = Pipe::<R, Tcp>::new().expect("create the channel");
    let port: u16 = channel.in_path().parse().expect("the channel's path is its port");
    let stray = TcpStream::connect(("127.0.0.1", port)).expect("a stray of ours connects");
    channel.connect(CONNECT_TIMEOUT).await.expect("the channel takes the stray of our own user");
    let late = TcpStream::connect(("127.0.0.1", port)).expect_err("the channel still listens after its one peer");
    assert_eq!(late.kind(), io::ErrorKind::ConnectionRefused, "{late}");
    drop(stray);
    assert_eq!(channel.read().await.expect("read after the stray left"), None, "a peer that closed");
    channel.close().await.expect("close");
}

/// A stray connection of our own user that is already closed by its process when the channel
/// accepts it cannot be told from another user's (the kernel no longer says whose it was): on
/// Linux it is refused like one, and the channel takes the next connection, our client's. (A
/// client that connects, sends and leaves before the channel accepts it is refused the same
/// way: a client must stay connected until the channel's `connect` has returned.)
#[cfg(any(target_os = "linux", target_os = "android"))]
pub async fn tcp_stray_that_left_before_the_accept_is_refused_and_our_client_taken<R: Runtime>() {
    use std::io::Write;

    use futures_util::future::join;

    let mut channel = Pipe::<R, Tcp>::new().expect("create the channel");
    let port: u16 = channel.in_path().parse().expect("the channel's path is its port");
    let mut stray = TcpStream::connect(("127.0.0.1", port)).expect("a stray of ours connects");
    stray.write_all(&[0, 0, 0, 5, b's', b't', b'r', b'a', b'y']).expect("the stray sends a frame");
    drop(stray);
    // Let the kernel finish the stray's side of the close (it becomes a socket of nobody's).
    R::sleep_until(Instant::now() + Duration::from_millis(200)).await;
    let mut client = Pipe::<R, Tcp>::client(channel.out_path(), channel.in_path()).expect("create the client");
    let (a, b) = join(channel.connect(CONNECT_TIMEOUT), client.connect(CONNECT_TIMEOUT)).await;
    a.expect("the channel waits past the stray and takes our client");
    b.expect("our client connects");
    round_trip(&mut channel, &mut client).await;
    channel.close().await.expect("close");
}

/// How long a refusal may take: far less than the connect timeout, so it was not retried.
#[cfg(unix)]
const AT_ONCE: Duration = Duration::from_secs(2);

/// Connects a FIFO client to `in_path`/`out_path` and expects [`Error::NotOurs`] naming
/// `refused`, with `reason` in its reason, at once.
#[cfg(unix)]
async fn expect_not_ours<R: Runtime>(in_path: &str, out_path: &str, refused: &str, reason: &str) {
    let mut client = Pipe::<R, pipe_io::Fifo>::client(in_path, out_path).expect("create the client");
    let start = Instant::now();
    let result = client.connect(CONNECT_TIMEOUT).await;
    let took = start.elapsed();
    match &result {
        Err(err @ Error::NotOurs { path, reason: why }) => {
            assert_eq!(path, refused, "the refused path is named: {err}");
            assert!(why.contains(reason), "the reason says {reason:?}: {err}");
            assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        }
        other => panic!("a FIFO client on {refused} ({reason}) gave {other:?}"),
    }
    assert!(took < AT_ONCE, "the refusal took {took:?}: it was retried");
}

/// Gives `path` to uid and gid 65534 (nobody), which only root may do: the suite runs as root,
/// and fails here, saying so, when it does not.
#[cfg(unix)]
fn give_to_nobody(path: &str) {
    std::os::unix::fs::chown(path, Some(65534), Some(65534)).unwrap_or_else(|err| {
        panic!("cannot chown {path} to uid 65534 ({err}): this test needs root to make a FIFO of another user")
    });
}

/// A FIFO client refuses, at once and before opening anything, a FIFO of another user (its
/// read path or its write path) and a directory that others may write, with
/// [`Error::NotOurs`] (`PermissionDenied`) naming the path and why.
#[cfg(unix)]
pub async fn fifo_client_refuses_a_rendezvous_that_is_not_ours_alone<R: Runtime>() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    use pipe_io::Fifo;

    let set_mode = |path: &str, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    let channel = Pipe::<R, Fifo>::new().expect("create the channel");
    let dir = std::path::Path::new(channel.in_path()).parent().expect("a directory").display().to_string();
    // The client's paths are the channel's, swapped.
    let (client_in, client_out) = (channel.out_path().to_owned(), channel.in_path().to_owned());

    set_mode(&dir, 0o777);
    expect_not_ours::<R>(&client_in, &client_out, &dir, "mode 0777").await;
    set_mode(&dir, 0o770);
    expect_not_ours::<R>(&client_in, &client_out, &dir, "mode 0770").await;
    set_mode(&dir, 0o700);

    // A FIFO others may write, in a directory they may enter: refused. (In a directory closed
    // to them, as the channel makes it, nobody but us can reach it: see the Python-style case.)
    set_mode(&dir, 0o711);
    set_mode(&client_in, 0o666);
    expect_not_ours::<R>(&client_in, &client_out, &client_in, "mode 0666").await;
    set_mode(&client_in, 0o600);
    set_mode(&dir, 0o700);

    let ours = std::fs::metadata(&dir).expect("the directory's metadata");
    let give_back = |path: &str| {
        std::os::unix::fs::chown(path, Some(ours.uid()), Some(ours.gid())).expect("chown back");
    };
    give_to_nobody(&client_in);
    expect_not_ours::<R>(&client_in, &client_out, &client_in, "uid 65534").await;
    give_back(&client_in);
    // The write path is checked before the read path is opened.
    give_to_nobody(&client_out);
    expect_not_ours::<R>(&client_in, &client_out, &client_out, "uid 65534").await;
    give_back(&client_out);
    give_to_nobody(&dir);
    expect_not_ours::<R>(&client_in, &client_out, &dir, "uid 65534").await;
    give_back(&dir);
    drop(channel);
}

/// Python's AEA channel makes its FIFOs with `os.mkfifo` under the umask: mode 0644 under a
/// umask of 022, 0664 under 002, in a `mkdtemp` directory (0700). Nobody but the owner can
/// reach a FIFO in that directory, so a client of the same user takes them, and the pair talks.
#[cfg(unix)]
pub async fn fifo_client_takes_python_style_0644_fifos_in_a_0700_directory<R: Runtime>() {
    fifo_client_takes_fifos_of_mode_in_a_0700_directory::<R>(0o644).await;
    fifo_client_takes_fifos_of_mode_in_a_0700_directory::<R>(0o664).await;
}

#[cfg(unix)]
async fn fifo_client_takes_fifos_of_mode_in_a_0700_directory<R: Runtime>(mode: u32) {
    use std::os::unix::fs::PermissionsExt;

    use futures_util::future::join;
    use pipe_io::Fifo;

    let mut channel = Pipe::<R, Fifo>::new().expect("create the channel");
    for path in [channel.in_path(), channel.out_path()] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    let mut client = Pipe::<R, Fifo>::client(channel.out_path(), channel.in_path()).expect("create the client");
    let (a, b) = join(channel.connect(CONNECT_TIMEOUT), client.connect(CONNECT_TIMEOUT)).await;
    a.expect("the channel connects");
    b.unwrap_or_else(|err| panic!("the client refused {mode:04o} FIFOs of its own user in a 0700 directory: {err}"));
    round_trip(&mut channel, &mut client).await;
    channel.close().await.expect("close");
}

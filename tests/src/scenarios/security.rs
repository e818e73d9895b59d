//! Who else can reach the rendezvous: nobody but the owner (FIFO), nobody off the loopback
//! address and nobody after the one peer (TCP).

use std::io;
use std::net::TcpStream;

use pipe_io::{Runtime, Tcp};

use super::support::{connected, round_trip};

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

//! Connecting without a peer: the timeout is kept, nothing leaks, and rendezvous that can never
//! work fail at once with a typed error.

use std::time::{Duration, Instant};

use pipe_io::{Config, Error, Pipe, Runtime, Tcp};

use super::support::{assert_fds_back_to, connected, open_fds, round_trip, warm_up, Kind};

/// The connect timeout of the scenarios that expect it to expire.
const SHORT_TIMEOUT: Duration = Duration::from_millis(500);

/// How late a timeout may be reported.
const TIMEOUT_SLACK: Duration = Duration::from_secs(2);

/// Connects `pipe` with [`SHORT_TIMEOUT`] and checks that it fails with [`Error::Timeout`]
/// carrying that timeout, no earlier than the timeout and no later than [`TIMEOUT_SLACK`] after.
async fn assert_times_out<R: Runtime, K>(pipe: &mut Pipe<R, K>, what: &str) {
    let start = Instant::now();
    let result = pipe.connect(SHORT_TIMEOUT).await;
    let elapsed = start.elapsed();
    match result {
        Err(Error::Timeout(timeout)) => assert_eq!(timeout, SHORT_TIMEOUT, "{what}: the error carries the timeout"),
        other => panic!("{what}: connect without a peer gave {other:?}, not a timeout"),
    }
    assert!(elapsed >= SHORT_TIMEOUT, "{what}: gave up after {elapsed:?}, before the {SHORT_TIMEOUT:?} timeout");
    assert!(
        elapsed <= SHORT_TIMEOUT + TIMEOUT_SLACK,
        "{what}: gave up after {elapsed:?}, long after the {SHORT_TIMEOUT:?} timeout"
    );
}

/// Connects `pipe` twice without a peer: both attempts time out within bounds (a connect may be
/// retried after a timeout), and the second leaves no more file descriptors open than the first.
async fn assert_times_out_twice<R: Runtime, K>(pipe: &mut Pipe<R, K>, what: &str) {
    assert_times_out(pipe, what).await;
    let after_first = open_fds();
    assert_times_out(pipe, &format!("{what}, connecting again")).await;
    assert_fds_back_to(after_first, &format!("{what}: after a second timed-out connect"));
}

/// A channel whose peer never comes times out within bounds, again if asked; once it is dropped,
/// no file descriptor is left behind, and a fresh pair then connects and works.
pub async fn channel_without_a_peer_times_out<R: Runtime, K: Kind>() {
    warm_up::<R, K>().await;
    let before = open_fds();
    let mut channel = K::channel::<R>(Config::default()).expect("create the channel");
    assert_times_out_twice(&mut channel, &format!("{} channel", K::NAME)).await;
    drop(channel);
    assert_fds_back_to(before, "after a connect timeout");

    let (mut channel, mut client) = connected::<R, K>().await;
    round_trip(&mut channel, &mut client).await;
}

/// A FIFO client whose channel exists but never connects times out within bounds, again if asked,
/// leaving no file descriptor behind.
#[cfg(unix)]
pub async fn fifo_client_without_a_connecting_channel_times_out<R: Runtime>() {
    use pipe_io::Fifo;

    warm_up::<R, Fifo>().await;
    let before = open_fds();
    let channel = Pipe::<R, Fifo>::new().expect("create the channel");
    let mut client = Pipe::<R, Fifo>::client(channel.out_path(), channel.in_path()).expect("create the client");
    assert_times_out_twice(&mut client, "fifo client").await;
    drop(client);
    drop(channel);
    assert_fds_back_to(before, "after a connect timeout");
}

/// A TCP client to a port nobody listens on keeps retrying until the timeout, then reports it,
/// again if asked, leaving no file descriptor behind.
pub async fn tcp_client_to_a_closed_port_times_out<R: Runtime>() {
    warm_up::<R, Tcp>().await;
    // A socket bound to a port but not listening: the port stays ours (no other test or process
    // can start listening there meanwhile), and connections to it are refused.
    let reserved = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("create a socket");
    reserved.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into()).expect("bind a port");
    let port = reserved.local_addr().expect("its address").as_socket().expect("an IP address").port();
    let before = open_fds();
    let mut client = Pipe::<R, Tcp>::client(&port.to_string(), &port.to_string()).expect("create the client");
    assert_times_out_twice(&mut client, "tcp client to a closed port").await;
    drop(client);
    assert_fds_back_to(before, "after a connect timeout");
    drop(reserved);
}

/// A FIFO client given paths that do not exist fails at once with the OS's `NotFound`, without
/// waiting for its timeout.
#[cfg(unix)]
pub async fn fifo_client_on_missing_paths_fails_at_once<R: Runtime>() {
    use pipe_io::Fifo;

    let gone = tempfile::tempdir().expect("create a directory");
    let dir = gone.path().to_owned();
    gone.close().expect("remove it again");
    let in_path = dir.join("aea_to_process").display().to_string();
    let out_path = dir.join("process_to_aea").display().to_string();
    let mut client = Pipe::<R, Fifo>::client(&in_path, &out_path).expect("create the client");
    let long = Duration::from_secs(10);
    let start = Instant::now();
    match client.connect(long).await {
        Err(Error::Io(err)) => assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "{err}"),
        other => panic!("connect on missing paths gave {other:?}"),
    }
    assert!(start.elapsed() < long, "the error came only after the timeout");
}

/// A FIFO client given a regular file is refused with [`Error::NotAFifo`] naming it, for its read
/// path and for its write path.
#[cfg(unix)]
pub async fn fifo_client_on_a_regular_file_is_refused<R: Runtime>() {
    use pipe_io::Fifo;

    let file = tempfile::NamedTempFile::new().expect("create a regular file");
    let file_path = file.path().display().to_string();

    let mut client = Pipe::<R, Fifo>::client(&file_path, &file_path).expect("create the client");
    match client.connect(Duration::from_secs(10)).await {
        Err(Error::NotAFifo { path }) => assert_eq!(path, file_path),
        other => panic!("connect on a regular file gave {other:?}"),
    }

    let channel = Pipe::<R, Fifo>::new().expect("create a channel");
    let mut client = Pipe::<R, Fifo>::client(channel.out_path(), &file_path).expect("create the client");
    match client.connect(Duration::from_secs(10)).await {
        Err(Error::NotAFifo { path }) => assert_eq!(path, file_path, "the write path is named"),
        other => panic!("connect with a regular file to write to gave {other:?}"),
    }
}

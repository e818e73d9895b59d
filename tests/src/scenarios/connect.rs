//! Connecting without a peer: the timeout is kept, nothing leaks, and rendezvous that can never
//! work fail at once with a typed error.

use std::time::{Duration, Instant};

use pipe_io::{Config, Error, Pipe, Runtime, Side, Tcp, Transport, WaitingFor};

use super::support::{assert_fds_back_to, connected, open_fds, round_trip, warm_up, Kind, CONNECT_TIMEOUT};

/// The connect timeout of the scenarios that expect it to expire.
const SHORT_TIMEOUT: Duration = Duration::from_millis(500);

/// How late a timeout may be reported.
const TIMEOUT_SLACK: Duration = Duration::from_secs(2);

/// What a connect of `pipe` without a peer waits for until its timeout: a reader on its FIFO
/// out path, a client on the channel's port, a listener at the client's address.
fn waiting_for_a_missing_peer<R: Runtime, K>(pipe: &Pipe<R, K>) -> WaitingFor {
    match (pipe.transport(), pipe.side()) {
        (Transport::Fifo, _) => WaitingFor::Reader(pipe.out_path().to_owned()),
        (Transport::Tcp, Side::Channel) => WaitingFor::Client(pipe.in_path().to_owned()),
        (Transport::Tcp, Side::Client) => WaitingFor::Listener(format!("127.0.0.1:{}", pipe.in_path())),
    }
}

/// Connects `pipe` with [`SHORT_TIMEOUT`] and checks that it fails with [`Error::Timeout`]
/// carrying that timeout and what it waited for, no earlier than the timeout and no later than
/// [`TIMEOUT_SLACK`] after.
async fn assert_times_out<R: Runtime, K>(pipe: &mut Pipe<R, K>, what: &str) {
    let start = Instant::now();
    let result = pipe.connect(SHORT_TIMEOUT).await;
    let elapsed = start.elapsed();
    match result {
        Err(Error::Timeout { timeout, waiting_for }) => {
            assert_eq!(timeout, SHORT_TIMEOUT, "{what}: the error carries the timeout");
            assert_eq!(waiting_for, Some(waiting_for_a_missing_peer(pipe)), "{what}: what it waited for");
        }
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

/// A FIFO client given the channel's paths unswapped (its in path is the channel's in path):
/// neither side ever finds a reader on its out path. Both time out, and the message names the
/// path nobody opened for reading and asks whether the paths were swapped.
#[cfg(unix)]
pub async fn fifo_pair_given_unswapped_paths_times_out_naming_the_path<R: Runtime>() {
    use pipe_io::Fifo;

    let mut channel = Pipe::<R, Fifo>::new().expect("create the channel");
    let mut client = Pipe::<R, Fifo>::client(channel.in_path(), channel.out_path()).expect("create the client");
    let start = Instant::now();
    let (a, b) = futures_util::future::join(channel.connect(SHORT_TIMEOUT), client.connect(SHORT_TIMEOUT)).await;
    assert!(start.elapsed() < SHORT_TIMEOUT + TIMEOUT_SLACK, "gave up after {:?}", start.elapsed());
    let out_path = channel.out_path().to_owned();
    for (who, result) in [("channel", a), ("client", b)] {
        let err = result.expect_err("unswapped paths cannot connect");
        let Error::Timeout { timeout, ref waiting_for } = err else { panic!("{who}: {err:?}, not a timeout") };
        assert_eq!(timeout, SHORT_TIMEOUT);
        // Both write to the channel's out path; both read the channel's in path.
        assert_eq!(waiting_for, &Some(WaitingFor::Reader(out_path.clone())), "{who}");
        let message = err.to_string();
        assert_eq!(
            message,
            format!("no peer connected within 500ms: nobody opened {out_path} for reading (were in_path and out_path swapped?)"),
            "{who}"
        );
        assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::TimedOut);
    }
}

/// A TCP client named `localhost:<port>` resolves the name inside `connect` and connects to the
/// channel (trying each address the name resolves to: `::1` first is refused, `127.0.0.1` is
/// not).
pub async fn tcp_client_named_by_localhost_resolves_inside_connect<R: Runtime>() {
    let mut channel = Pipe::<R, Tcp>::new().expect("create the channel");
    let address = format!("localhost:{}", channel.in_path());
    let mut client = Pipe::<R, Tcp>::client(&address, &address).expect("create the client");
    assert_eq!(client.in_path(), address);
    let (a, b) = futures_util::future::join(channel.connect(CONNECT_TIMEOUT), client.connect(CONNECT_TIMEOUT)).await;
    a.expect("the channel connects");
    b.expect("the client connects through the name");
    round_trip(&mut channel, &mut client).await;
    client.close().await.expect("close the client");
    channel.close().await.expect("close the channel");
}

/// A host name that does not resolve (`.invalid` never does, RFC 6761) fails the connect with
/// [`Error::InvalidAddress`] carrying the resolver's error, as soon as the resolver answers,
/// long before the connect's timeout.
pub async fn tcp_client_named_by_an_unresolvable_host_fails_from_connect_quickly<R: Runtime>() {
    let address = "no-such-host.invalid:9000";
    let mut client = Pipe::<R, Tcp>::client(address, address).expect("made without a lookup");
    let long = Duration::from_secs(60);
    let start = Instant::now();
    match client.connect(long).await {
        Err(Error::InvalidAddress { address: given, source: Some(resolver) }) => {
            assert_eq!(given, address);
            assert!(!resolver.to_string().is_empty());
        }
        other => panic!("connect to an unresolvable name gave {other:?}, not InvalidAddress with the resolver's error"),
    }
    let took = start.elapsed();
    assert!(took < Duration::from_secs(20), "the failed lookup took {took:?}: it waited for retries or the timeout");
    // It is not retried, and a later connect gives the same answer.
    assert!(matches!(client.connect(long).await, Err(Error::InvalidAddress { .. })));
}

/// Making a TCP client named by a host does no lookup: names that cannot resolve are accepted
/// at once (through `make_pipe_client` too, as TCP), and only `connect` finds out; a string
/// that is no address at all is refused when the pipe is made.
pub async fn tcp_client_made_with_a_host_name_does_no_lookup<R: Runtime>() {
    let start = Instant::now();
    for address in ["no-such-host.invalid:1", "unresolvable.invalid:65535", "x.invalid.:80"] {
        let client = Pipe::<R, Tcp>::client(address, address).expect("made without a lookup");
        assert_eq!(client.state(), pipe_io::State::Idle);
        let portable = pipe_io::make_pipe_client::<R>(address, address).expect("made without a lookup");
        assert_eq!(portable.transport(), Transport::Tcp, "{address}");
    }
    assert!(start.elapsed() < Duration::from_millis(500), "making six clients took {:?}", start.elapsed());
    for garbage in ["not an address", "host:", "host:0", "::1:80"] {
        match Pipe::<R, Tcp>::client(garbage, garbage) {
            Err(Error::InvalidAddress { address, source: None }) => assert_eq!(address, garbage),
            other => panic!("{garbage:?} gave {other:?}"),
        }
    }
}

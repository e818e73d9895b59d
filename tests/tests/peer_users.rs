//! Only our user gets in: a TCP channel refuses a connection made by a process of another user
//! without spending its one accept, and takes our client after it; unless the configuration
//! allows that user.
//!
//! The other user is uid and gid 65534 (nobody): our peer program in its `raw-hold` mode,
//! started with `CommandExt::uid`, holds a bare connection to the channel and reports when the
//! channel closes it. Starting a process as another user needs root, which the suite runs as:
//! without it these tests fail, saying so. Linux and Android only: elsewhere the OS does not
//! say who owns the other end of a TCP connection, and the channel takes the first one.
#![cfg(any(target_os = "linux", target_os = "android"))]

mod common;

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::{after, ours, position};
use pipe_io::{Config, Pipe, Tcp};
use pipe_tests::peer::{hard_timeout, timeout, AsyncStdExec, Exec, Payloads, Peer, SmolExec, TokioExec};

/// The other user: nobody.
const OTHER_UID: u32 = 65534;

/// Every warning logged in this process, as `target: message` lines.
fn warnings() -> &'static Mutex<Vec<String>> {
    static WARNINGS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    WARNINGS.get_or_init(|| {
        static LOGGER: Warnings = Warnings;
        log::set_logger(&LOGGER).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Warn);
        Mutex::new(Vec::new())
    })
}

/// Keeps the warnings, so that a test can check what the channel said about a connection.
struct Warnings;

impl log::Log for Warnings {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let line = format!("{}: {}", record.target(), record.args());
            warnings().lock().unwrap_or_else(|e| e.into_inner()).push(line);
        }
    }
    fn flush(&self) {}
}

/// The warnings that mention `port`.
fn warnings_about(port: &str) -> Vec<String> {
    let needle = format!("127.0.0.1:{port}");
    warnings().lock().unwrap_or_else(|e| e.into_inner()).iter().filter(|w| w.contains(&needle)).cloned().collect()
}

/// Fails the test, saying why, unless this process may start processes as another user.
fn require_root() {
    assert!(
        rustix::process::geteuid().is_root(),
        "this test starts a process as uid {OTHER_UID} (nobody), which needs root; run the suite as root \
         (it is never skipped)"
    );
}

/// Our peer program as uid and gid 65534, holding a bare TCP connection to `port`.
fn intruder<E: Exec>(port: &str) -> Peer {
    let mut command: Command = ours(&[
        "--runtime",
        E::NAME,
        "--role",
        "client",
        "--transport",
        "tcp",
        "--in-path",
        port,
        "--out-path",
        port,
        "--mode",
        "raw-hold",
        "--timeout",
        "30",
    ]);
    // Started by root with a uid, the child also drops root's supplementary groups (std does).
    command.uid(OTHER_UID).gid(OTHER_UID).current_dir("/");
    let mut peer = Peer::spawn(format!("{} connection of uid {OTHER_UID}", E::NAME), command);
    peer.expect("CONNECTED", after(15));
    peer
}

/// A process of another user connects to our TCP channel first and stays; then our client (our
/// peer program, same user) connects and sends three frames, which we echo. The channel's
/// connect returns with our client, the frames are our client's, and the other user's
/// connection is closed by us (it reads end of stream) before our client is done.
fn another_users_connection_is_refused_and_our_client_taken<E: Exec>() {
    require_root();
    hard_timeout(Duration::from_secs(90), || {
        warnings();
        E::block_on(async {
            let mut channel = Pipe::<E::R, Tcp>::new().expect("TCP channel");
            let port = channel.in_path().to_owned();
            let mut other = intruder::<E>(&port);
            // The other user's connection is in the listener's queue, ahead of our client's.
            let mut client = Peer::spawn(
                format!("{} client", E::NAME),
                ours(&[
                    "--runtime",
                    E::NAME,
                    "--role",
                    "client",
                    "--transport",
                    "tcp",
                    "--in-path",
                    &port,
                    "--out-path",
                    &port,
                    "--mode",
                    "send",
                    "--sizes",
                    "1,100,1000",
                    "--timeout",
                    "30",
                ]),
            );
            let start = Instant::now();
            timeout::<E::R, _>(Duration::from_secs(25), channel.connect(Duration::from_secs(20)))
                .await
                .expect("connect hung")
                .unwrap_or_else(|err| panic!("the channel did not take our client: {err}\n{}", other.report()));
            eprintln!("{}: connected to our client in {:?}", E::NAME, start.elapsed());

            // The other user's connection was closed by us, before anything of ours was sent.
            let other_exit = other.finish(after(10));
            assert_eq!(other_exit.code(), Some(0), "the other user's connection was not closed\n{}", other.report());
            assert!(other_exit.has("CLOSED_BY_PEER"), "{}", other.report());
            assert!(!other_exit.has("RECEIVED_RAW"), "the other user received bytes\n{}", other.report());
            // The channel said whose connection it closed, and where from.
            let said = warnings_about(&port);
            assert!(
                said.len() == 1 && said[0].starts_with("pipe_io") && said[0].contains("uid 65534"),
                "one warning naming uid {OTHER_UID} and the port: {said:?}"
            );

            let mut payloads = Payloads::new(1000);
            for (k, len) in [1, 100, 1000].into_iter().enumerate() {
                let frame = timeout::<E::R, _>(Duration::from_secs(10), channel.read())
                    .await
                    .expect("read hung")
                    .expect("read")
                    .unwrap_or_else(|| panic!("our client closed before frame {k}\n{}", client.report()));
                assert_eq!(frame.len(), len, "frame {k}");
                assert!(payloads.check(k, &frame), "frame {k} is our client's");
                channel.write_bytes(frame).await.expect("echo");
            }
            let end = timeout::<E::R, _>(Duration::from_secs(10), channel.read()).await.expect("read hung");
            assert_eq!(end.expect("read"), None, "our client closes after its echoes");
            channel.close().await.expect("close");
            let exit = client.finish(after(15));
            assert_eq!(exit.code(), Some(0), "{}", client.report());
            assert!(position(&exit, "CLOSED").is_some(), "{}", client.report());
        })
    })
}

/// With the other user allowed by the configuration, its connection is the peer: the connect
/// returns with it, and our close is what ends it.
fn another_user_allowed_by_the_configuration_is_taken<E: Exec>() {
    require_root();
    hard_timeout(Duration::from_secs(60), || {
        warnings();
        E::block_on(async {
            let config = Config::default().with_allowed_peer_uids([OTHER_UID]);
            let mut channel = Pipe::<E::R, Tcp>::with_config(config).expect("TCP channel");
            let port = channel.in_path().to_owned();
            let mut other = intruder::<E>(&port);
            timeout::<E::R, _>(Duration::from_secs(15), channel.connect(Duration::from_secs(10)))
                .await
                .expect("connect hung")
                .unwrap_or_else(|err| panic!("the allowed user was not taken: {err}\n{}", other.report()));
            assert!(other.try_wait().is_none(), "the allowed connection was closed\n{}", other.report());
            assert_eq!(warnings_about(&port), Vec::<String>::new(), "nothing refused");
            channel.close().await.expect("close");
            let exit = other.finish(after(10));
            assert_eq!(exit.code(), Some(0), "{}", other.report());
            assert!(exit.has("CLOSED_BY_PEER"), "{}", other.report());
        })
    })
}

#[test]
fn tcp_tokio_channel_closes_another_users_connection_and_takes_our_client() {
    another_users_connection_is_refused_and_our_client_taken::<TokioExec>();
}

#[test]
fn tcp_smol_channel_closes_another_users_connection_and_takes_our_client() {
    another_users_connection_is_refused_and_our_client_taken::<SmolExec>();
}

#[test]
fn tcp_async_std_channel_closes_another_users_connection_and_takes_our_client() {
    another_users_connection_is_refused_and_our_client_taken::<AsyncStdExec>();
}

#[test]
fn tcp_tokio_channel_takes_another_user_the_configuration_allows() {
    another_user_allowed_by_the_configuration_is_taken::<TokioExec>();
}

#[test]
fn tcp_smol_channel_takes_another_user_the_configuration_allows() {
    another_user_allowed_by_the_configuration_is_taken::<SmolExec>();
}

#[test]
fn tcp_async_std_channel_takes_another_user_the_configuration_allows() {
    another_user_allowed_by_the_configuration_is_taken::<AsyncStdExec>();
}

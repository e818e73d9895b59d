//! Restarts across processes: the client process is killed (`SIGKILL`) while our channel's writer
//! is blocked on a full pipe, a new client process joins the same rendezvous, and our channel
//! reconnects and sends on. With numbered frames, the new client must get every frame the OS had
//! not accepted from us exactly once, in order, whole (the one cut mid-write included), and
//! nothing before them: frames the OS had accepted died with the old client.
//!
//! Clients: our peer program on each runtime, and the real Python AEA client of each AEA peer
//! (modules `aea` and `open_aea`; a Python channel cannot wait for a second client: its connect
//! accepts once). The unsent frames are either taken
//! back with `take_unsent` and written again by the application, or left queued for
//! `reconnect` to send first. The last cases restart the client side: our client, in this
//! process, closes, and reconnects to the channel process that waits again.
//!
//! A peer whose venv cannot be set up fails its cases with what to install; a peer with no
//! interpreter here is said in one line on stderr and its cases pass without running, unless no
//! peer can run at all (see `pipe_tests::python`).
#![cfg(unix)]

mod common;

use std::time::Duration;

use common::{after, client_process, once_started, ours, Client};
use pipe_io::Error;
use pipe_tests::peer::{hard_timeout, timeout, AsyncStdExec, Exec, Payloads, Peer, SmolExec, TokioExec};
use pipe_tests::python::{peer, Kind};

/// Frames of 16 KiB and a bit: a few fill a FIFO, and the blocked write is inside one.
const FRAME: usize = 16 * 1024 + 3;
/// Frames sent after the reconnect, behind the unsent ones.
const MORE: u64 = 20;
/// How long a client process waits for its channel before it gives up.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// What the channel does with the frames the failure left unsent.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Resend {
    /// `take_unsent`, then written again after the reconnect.
    Taken,
    /// Left queued: the reconnect sends them first.
    Queued,
}

async fn within<E: Exec, T>(what: &str, work: impl std::future::Future<Output = T>) -> T {
    timeout::<E::R, _>(Duration::from_secs(20), work).await.unwrap_or_else(|| panic!("{what} hung"))
}

fn client_killed_while_blocked<E: Exec>(transport: &'static str, client: Client, resend: Resend) {
    hard_timeout(Duration::from_secs(120), move || {
        E::block_on(async move {
            let payloads = Payloads::new(FRAME);
            let mut channel = common::channel::<E::R>(transport);
            let mut first =
                client_process(client, (channel.in_path(), channel.out_path()), transport, "hold", CLIENT_TIMEOUT);
            within::<E, _>("connect", channel.connect(Duration::from_secs(15))).await.expect("connect");
            first.expect("HOLDING", after(30));

            // Write until a write blocks: that frame is queued, maybe cut.
            let mut sent = 0u64;
            loop {
                let write = channel.write_bytes(payloads.sequenced(sent, FRAME));
                sent += 1;
                match timeout::<E::R, _>(Duration::from_millis(300), write).await {
                    Some(Ok(())) => assert!(sent < 2_000, "{sent} frames to a client that reads nothing"),
                    Some(Err(err)) => panic!("write {sent} failed before the kill: {err}"),
                    None => break,
                }
            }
            first.kill();

            let err = within::<E, _>("the blocked flush", channel.flush()).await.expect_err("the client is dead");
            let Error::Undelivered { frames, .. } = err else { panic!("{err:?}") };
            assert!(frames >= 1, "the blocked frame is undelivered");
            let first_unsent = sent - frames as u64;
            let unsent = match resend {
                Resend::Taken => {
                    let unsent = channel.take_unsent();
                    let expected: Vec<_> = (first_unsent..sent).map(|seq| payloads.sequenced(seq, FRAME)).collect();
                    assert_eq!(unsent, expected, "the unsent frames, whole and in order");
                    unsent
                }
                Resend::Queued => Vec::new(),
            };

            // The new client starts once the reconnect began: the old connection's descriptors
            // are closed and the rendezvous is open again (a FIFO client that opened the old
            // FIFOs while the channel still held them would join the old connection).
            let (in_path, out_path) = (channel.in_path().to_owned(), channel.out_path().to_owned());
            let mut second = None;
            let reconnect = once_started(channel.reconnect(Duration::from_secs(15)), || {
                second = Some(client_process(client, (&in_path, &out_path), transport, "sequence", CLIENT_TIMEOUT));
            });
            within::<E, _>("reconnect", reconnect).await.expect("reconnect");
            let mut second = second.expect("started");
            for frame in unsent {
                within::<E, _>("write", channel.write_bytes(frame)).await.expect("write after the reconnect");
            }
            for seq in sent..sent + MORE {
                within::<E, _>("write", channel.write_bytes(payloads.sequenced(seq, FRAME))).await.expect("write");
            }
            within::<E, _>("close", channel.close()).await.expect("every frame handed to the OS");

            let exit = second.finish(after(30));
            let report = second.report();
            assert_eq!(exit.code(), Some(0), "{report}");
            let last = sent + MORE - 1;
            let count = last - first_unsent + 1;
            assert_eq!(
                exit.words("SEQUENCE"),
                Some(vec![first_unsent.to_string(), last.to_string(), count.to_string()]),
                "{transport}: frames {first_unsent}..={last} exactly once, in order ({sent} sent before the kill, \
                 {frames} of them unsent)\n{report}"
            );
            let who = match client {
                Client::Ours(runtime) => format!("our {runtime} client"),
                Client::Python(aea) => format!("the AEA client, {}", aea.label()),
            };
            eprintln!("{transport} {who} {resend:?}: {sent} frames before the kill, {frames} unsent and resent");
        })
    })
}

macro_rules! restart_cases {
    ($($name:ident: $exec:ty, $transport:literal, $client:expr, $resend:expr;)*) => {
        $(
            #[test]
            fn $name() {
                client_killed_while_blocked::<$exec>($transport, $client, $resend);
            }
        )*
    };
}

restart_cases! {
    fifo_tokio_channel_our_client_killed_rejoins_frames_taken_back: TokioExec, "fifo", Client::Ours("tokio"), Resend::Taken;
    tcp_tokio_channel_our_client_killed_rejoins_frames_left_queued: TokioExec, "tcp", Client::Ours("tokio"), Resend::Queued;
    fifo_smol_channel_our_client_killed_rejoins_frames_left_queued: SmolExec, "fifo", Client::Ours("async-std"), Resend::Queued;
    tcp_smol_channel_our_client_killed_rejoins_frames_taken_back: SmolExec, "tcp", Client::Ours("smol"), Resend::Taken;
    fifo_async_std_channel_our_client_killed_rejoins_frames_taken_back: AsyncStdExec, "fifo", Client::Ours("smol"), Resend::Taken;
    tcp_async_std_channel_our_client_killed_rejoins_frames_left_queued: AsyncStdExec, "tcp", Client::Ours("tokio"), Resend::Queued;
}

/// `client_killed_while_blocked` with the Python client of `kind`, if an interpreter for it
/// exists here.
fn python_case<E: Exec>(kind: Kind, transport: &'static str, resend: Resend) {
    if let Some(aea) = peer(kind) {
        client_killed_while_blocked::<E>(transport, Client::Python(aea), resend);
    }
}

/// The Python client's cases, once per AEA peer. Without an interpreter for the peer, they do
/// not run (see the module docs).
macro_rules! aea_client_cases {
    ($($peer_mod:ident: $kind:expr;)*) => {
        $(
            mod $peer_mod {
                use super::*;

                #[test]
                fn fifo_tokio_channel_aea_client_killed_rejoins_frames_taken_back() {
                    python_case::<TokioExec>($kind, "fifo", Resend::Taken);
                }

                #[test]
                fn tcp_smol_channel_aea_client_killed_rejoins_frames_left_queued() {
                    python_case::<SmolExec>($kind, "tcp", Resend::Queued);
                }

                #[test]
                fn fifo_async_std_channel_aea_client_killed_rejoins_frames_left_queued() {
                    python_case::<AsyncStdExec>($kind, "fifo", Resend::Queued);
                }

                #[test]
                fn tcp_tokio_channel_aea_client_killed_rejoins_frames_taken_back() {
                    python_case::<TokioExec>($kind, "tcp", Resend::Taken);
                }
            }
        )*
    };
}

aea_client_cases! {
    aea: Kind::Aea;
    open_aea: Kind::OpenAea;
}

/// The client side restarts: our client, in this process, closes, and reconnects to the channel
/// process, which waits again for a client after the first one closed.
fn client_reconnects<E: Exec>(transport: &'static str, channel_runtime: &'static str) {
    hard_timeout(Duration::from_secs(90), move || {
        E::block_on(async move {
            let payloads = Payloads::new(FRAME);
            let mut command = ours(&["--runtime", channel_runtime]);
            command.args(["--role", "channel", "--transport", transport, "--mode", "sequence", "--timeout", "30"]);
            command.arg("--rejoin");
            let mut channel = Peer::spawn(format!("our {channel_runtime} channel"), command);
            let (in_path, out_path) = channel.ready(after(30));
            let mut client = common::client::<E::R>(transport, &out_path, &in_path);
            within::<E, _>("connect", client.connect(Duration::from_secs(15))).await.expect("connect");
            // Written once the channel has taken the connection: a TCP connection closed before
            // the channel accepts it has no owner left to check, and is refused.
            channel.expect("CONNECTED", after(30));
            for seq in 0..5 {
                within::<E, _>("write", client.write_bytes(payloads.sequenced(seq, FRAME))).await.expect("write");
            }
            within::<E, _>("close", client.close()).await.expect("close");
            // The channel reads the five frames and the close, then waits for the next client.
            channel.expect("REJOINING", after(30));
            within::<E, _>("reconnect", client.reconnect(Duration::from_secs(15))).await.expect("reconnect");
            channel.expect("CONNECTED", after(30));
            for seq in 5..10 {
                within::<E, _>("write", client.write_bytes(payloads.sequenced(seq, FRAME))).await.expect("write");
            }
            within::<E, _>("close", client.close()).await.expect("close");
            let exit = channel.finish(after(30));
            let report = channel.report();
            assert_eq!(exit.code(), Some(0), "{report}");
            assert_eq!(exit.words("SEQUENCE"), Some(vec!["0".into(), "4".into(), "5".into()]), "{report}");
            assert_eq!(exit.words("REJOINED_SEQUENCE"), Some(vec!["5".into(), "9".into(), "5".into()]), "{report}");
        })
    })
}

#[test]
fn fifo_tokio_client_reconnects_to_a_smol_channel_that_waits_again() {
    client_reconnects::<TokioExec>("fifo", "smol");
}

#[test]
fn tcp_smol_client_reconnects_to_an_async_std_channel_that_waits_again() {
    client_reconnects::<SmolExec>("tcp", "async-std");
}

#[test]
fn fifo_async_std_client_reconnects_to_a_tokio_channel_that_waits_again() {
    client_reconnects::<AsyncStdExec>("fifo", "tokio");
}

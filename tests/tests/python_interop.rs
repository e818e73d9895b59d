//! Our pipe against the real Python AEA pipe (`aea.helpers.pipe`), in separate processes, for
//! each AEA peer (module `aea`: aea 1.2.1; module `open_aea`: open-aea 2.2.10) and each runtime:
//! our channel with the AEA client and the AEA channel with our client, over FIFOs and TCP,
//! echoing both ways, with the close started by each side; and the AEA peer dying in the middle
//! of a frame.
//!
//! Each peer runs on the interpreter `pipe_tests::python` finds for it, said on stderr as
//! `peer: open-aea 2.2.10 on Python 3.13.0 (...)`. A peer whose venv cannot be set up fails its
//! tests with what to install (no silent skip); a peer with no interpreter here is said in one
//! line and its tests pass without running, unless no peer can run at all.
//!
//! The AEA FIFO `write()` is a bare non-blocking `os.write()` that cuts frames once 64 KiB sit
//! unread, so frames that Python writes into a FIFO stay under that (and so does their sum);
//! over TCP, Python writes 1 MiB frames too.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{after, ours, position};
use pipe_tests::peer::{hard_timeout, Peer, PeerExit};
use pipe_tests::python::{peer, AeaPeer, Kind};

/// Sizes Python can write into a FIFO without losing data, and whose sum stays under 64 KiB.
const FIFO_SIZES: &str = "1,100,1000,60000";
/// Sizes for TCP, where Python writes whole frames of any size.
const TCP_SIZES: &str = "1,65535,65536,65537,1048576";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    Ours,
    Python,
}

fn sizes(transport: &str) -> &'static str {
    if transport == "fifo" {
        FIFO_SIZES
    } else {
        TCP_SIZES
    }
}

/// Starts one end: ours on `runtime`, or the AEA's (`aea`).
fn start(aea: &AeaPeer, side: Side, runtime: &str, role: &str, paths: Option<(&str, &str)>, args: &[&str]) -> Peer {
    let mut all: Vec<&str> = vec!["--role", role];
    if let Some((in_path, out_path)) = paths {
        all.extend(["--in-path", in_path, "--out-path", out_path]);
    }
    all.extend(args);
    match side {
        Side::Ours => {
            let mut command = ours(&["--runtime", runtime]);
            command.args(&all);
            Peer::spawn(format!("our {runtime} {role}"), command)
        }
        Side::Python => Peer::spawn(format!("AEA {role}, {}", aea.label()), aea.command(&all)),
    }
}

/// Starts the channel (`channel_side`) and then the client with the paths swapped.
fn pair(
    aea: &AeaPeer,
    channel_side: Side,
    runtime: &str,
    channel_args: &[&str],
    client_args: &[&str],
) -> (Peer, Peer, String) {
    let client_side = if channel_side == Side::Ours { Side::Python } else { Side::Ours };
    let mut channel = start(aea, channel_side, runtime, "channel", None, channel_args);
    let (in_path, out_path) = channel.ready(after(30));
    let client = start(aea, client_side, runtime, "client", Some((&out_path, &in_path)), client_args);
    (channel, client, in_path)
}

/// `sender` sends the frames, reads the echoes and closes first; the other side echoes.
/// Without an interpreter for `kind`, it does not run (see the module docs).
fn echo_case(kind: Kind, runtime: &'static str, transport: &'static str, our_role: &'static str, sender: Side) {
    let Some(aea) = peer(kind) else { return };
    hard_timeout(Duration::from_secs(90), move || {
        let channel_side = if our_role == "channel" { Side::Ours } else { Side::Python };
        let send = ["--transport", transport, "--mode", "send", "--sizes", sizes(transport), "--timeout", "20"];
        let echo = ["--transport", transport, "--mode", "echo", "--timeout", "20"];
        let (channel_args, client_args) =
            if channel_side == sender { (&send[..], &echo[..]) } else { (&echo[..], &send[..]) };
        let (mut channel, mut client, in_path) = pair(aea, channel_side, runtime, channel_args, client_args);
        let deadline = after(60);
        let channel_exit = channel.finish(deadline);
        let client_exit = client.finish(deadline);
        let report = format!("{}\n{}", channel.report(), client.report());
        let count = sizes(transport).split(',').count();
        let (sender_exit, echo_exit, echo_side) = if channel_side == sender {
            (&channel_exit, &client_exit, if channel_side == Side::Ours { Side::Python } else { Side::Ours })
        } else {
            (&client_exit, &channel_exit, channel_side)
        };
        assert_eq!(sender_exit.code(), Some(0), "{report}");
        assert!(sender_exit.has(&format!("VERIFIED {count}")), "{report}");
        assert!(sender_exit.has("CLOSED"), "{report}");
        assert_eq!(echo_exit.code(), Some(0), "{report}");
        assert!(echo_exit.has(&format!("ECHOED {count}")), "{report}");
        let reason = match (echo_side, transport) {
            (Side::Ours, _) => "CLOSE_REASON clean",
            (Side::Python, "fifo") => "CLOSE_REASON zero-frame",
            (Side::Python, _) => "CLOSE_REASON eof",
        };
        let peer_closed = position(echo_exit, "PEER_CLOSED").unwrap_or_else(|| panic!("no PEER_CLOSED\n{report}"));
        assert_eq!(position(echo_exit, reason), Some(peer_closed - 1), "{reason}\n{report}");
        assert!(position(echo_exit, "CLOSED") > Some(peer_closed), "{report}");
        if transport == "fifo" {
            let dir = Path::new(&in_path).parent().unwrap();
            assert!(!dir.exists(), "the channel removed {}\n{report}", dir.display());
        }
    })
}

/// The AEA peer writes a header announcing 100,000 bytes, 1,000 of them, and dies without a
/// close: our side reports a truncated frame once it is gone, and does not hang.
fn partial_case(kind: Kind, runtime: &'static str, transport: &'static str, our_role: &'static str) {
    let Some(aea) = peer(kind) else { return };
    hard_timeout(Duration::from_secs(60), move || {
        let channel_side = if our_role == "channel" { Side::Ours } else { Side::Python };
        let ours_args = ["--transport", transport, "--mode", "echo", "--timeout", "20"];
        let python_args = ["--transport", transport, "--mode", "partial", "--sizes", "100000,1000", "--timeout", "20"];
        let (channel_args, client_args) = if channel_side == Side::Ours {
            (&ours_args[..], &python_args[..])
        } else {
            (&python_args[..], &ours_args[..])
        };
        let (mut channel, mut client, _) = pair(aea, channel_side, runtime, channel_args, client_args);
        let (ours, python) =
            if channel_side == Side::Ours { (&mut channel, &mut client) } else { (&mut client, &mut channel) };
        let python_exit: PeerExit = python.finish(after(40));
        let gone = Instant::now();
        let ours_exit = ours.finish(after(40));
        let report = format!("{}\n{}", python.report(), ours.report());
        assert_eq!(python_exit.code(), Some(0), "{report}");
        assert!(python_exit.has("PARTIAL_SENT 100000 1000"), "{report}");
        assert!(gone.elapsed() < Duration::from_secs(3), "our side took {:?} to notice\n{report}", gone.elapsed());
        assert!(ours_exit.has("READ_ERROR TruncatedFrame 100004 1004"), "{report}");
        assert_eq!(ours_exit.code(), Some(1), "{report}");
    })
}

macro_rules! interop {
    ($($runtime_mod:ident: $runtime:literal;)*) => {
        $(
            mod $runtime_mod {
                use super::*;

                #[test]
                fn fifo_our_channel_aea_client_we_send() {
                    echo_case(PEER, $runtime, "fifo", "channel", Side::Ours);
                }

                #[test]
                fn fifo_our_channel_aea_client_aea_sends() {
                    echo_case(PEER, $runtime, "fifo", "channel", Side::Python);
                }

                #[test]
                fn fifo_aea_channel_our_client_we_send() {
                    echo_case(PEER, $runtime, "fifo", "client", Side::Ours);
                }

                #[test]
                fn fifo_aea_channel_our_client_aea_sends() {
                    echo_case(PEER, $runtime, "fifo", "client", Side::Python);
                }

                #[test]
                fn tcp_our_channel_aea_client_we_send() {
                    echo_case(PEER, $runtime, "tcp", "channel", Side::Ours);
                }

                #[test]
                fn tcp_our_channel_aea_client_aea_sends() {
                    echo_case(PEER, $runtime, "tcp", "channel", Side::Python);
                }

                #[test]
                fn tcp_aea_channel_our_client_we_send() {
                    echo_case(PEER, $runtime, "tcp", "client", Side::Ours);
                }

                #[test]
                fn tcp_aea_channel_our_client_aea_sends() {
                    echo_case(PEER, $runtime, "tcp", "client", Side::Python);
                }

                #[test]
                fn fifo_aea_client_dies_mid_frame() {
                    partial_case(PEER, $runtime, "fifo", "channel");
                }

                #[test]
                fn fifo_aea_channel_dies_mid_frame() {
                    partial_case(PEER, $runtime, "fifo", "client");
                }

                #[test]
                fn tcp_aea_client_dies_mid_frame() {
                    partial_case(PEER, $runtime, "tcp", "channel");
                }

                #[test]
                fn tcp_aea_channel_dies_mid_frame() {
                    partial_case(PEER, $runtime, "tcp", "client");
                }
            }
        )*
    };
}

/// The tests of every runtime, once per peer.
macro_rules! peers {
    ($($peer_mod:ident: $kind:expr;)*) => {
        $(
            mod $peer_mod {
                use super::*;

                const PEER: Kind = $kind;

                interop! {
                    tokio: "tokio";
                    smol: "smol";
                    async_std: "async-std";
                }
            }
        )*
    };
}

peers! {
    aea: Kind::Aea;
    open_aea: Kind::OpenAea;
}

//! Every runtime against every runtime, across two processes: {tokio, smol, async-std} channel ×
//! {tokio, smol, async-std} client × {FIFO, TCP}.
//!
//! Both ends are `pipe-peer` processes; the test only starts them and reads their lines. Each
//! sends the same script while reading the other's (1 B, 64 KiB - 1, 64 KiB, 64 KiB + 1,
//! 1 MiB + 3 and exactly the configured maximum of 4 MiB), checks every frame and prints its
//! SHA-256, which the test checks again. Then one side closes (the channel in one case, the
//! client in the next) and the other must see a clean close.

mod common;

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use common::{after, lines_starting, ours, position};
use pipe_tests::payload::sha256_hex;
use pipe_tests::peer::{hard_timeout, Payloads, Peer, PeerExit};

const MAX_FRAME_LEN: usize = 4 * 1024 * 1024;
const SIZES: [usize; 6] = [1, 65_535, 65_536, 65_537, (1 << 20) + 3, MAX_FRAME_LEN];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Closer {
    Channel,
    Client,
}

/// The `FRAME` lines both sides must print, in order.
fn expected_frames() -> &'static [String] {
    static FRAMES: OnceLock<Vec<String>> = OnceLock::new();
    FRAMES.get_or_init(|| {
        let payloads = Payloads::new(MAX_FRAME_LEN);
        SIZES.iter().enumerate().map(|(k, &n)| format!("FRAME {n} {}", sha256_hex(&payloads.frame(k, n)))).collect()
    })
}

fn case(channel_runtime: &'static str, client_runtime: &'static str, transport: &'static str, closer: Closer) {
    hard_timeout(Duration::from_secs(60), move || {
        let deadline = after(50);
        let sizes = SIZES.map(|s| s.to_string()).join(",");
        let max = MAX_FRAME_LEN.to_string();
        let (channel_mode, client_mode) = match closer {
            Closer::Channel => ("exchange-then-close", "exchange-then-wait"),
            Closer::Client => ("exchange-then-wait", "exchange-then-close"),
        };
        let common = ["--transport", transport, "--sizes", &sizes, "--max-frame-len", &max, "--timeout", "30"];
        let mut channel = Peer::spawn(
            format!("{channel_runtime} channel"),
            ours(&[&["--runtime", channel_runtime, "--role", "channel", "--mode", channel_mode][..], &common].concat()),
        );
        let (in_path, out_path) = channel.ready(deadline);
        let mut client = Peer::spawn(
            format!("{client_runtime} client"),
            ours(
                &[
                    &["--runtime", client_runtime, "--role", "client", "--mode", client_mode][..],
                    &["--in-path", &out_path, "--out-path", &in_path],
                    &common,
                ]
                .concat(),
            ),
        );
        let channel_exit = channel.finish(deadline);
        let client_exit = client.finish(deadline);
        let report = format!("{}\n{}", channel.report(), client.report());
        check_side(&channel_exit, closer == Closer::Channel, &report);
        check_side(&client_exit, closer == Closer::Client, &report);
        if transport == "fifo" {
            let dir = Path::new(&in_path).parent().unwrap();
            assert!(!dir.exists(), "the channel removed {}\n{report}", dir.display());
        }
    })
}

/// Exit 0, every frame as expected, and the close seen the right way round.
fn check_side(exit: &PeerExit, closed_first: bool, report: &str) {
    assert_eq!(exit.code(), Some(0), "{report}");
    assert_eq!(lines_starting(exit, "FRAME"), expected_frames(), "{report}");
    assert!(exit.has(&format!("VERIFIED {}", SIZES.len())), "{report}");
    let closed = position(exit, "CLOSED").unwrap_or_else(|| panic!("no CLOSED\n{report}"));
    let peer_closed = position(exit, "PEER_CLOSED").unwrap_or_else(|| panic!("no PEER_CLOSED\n{report}"));
    assert_eq!(position(exit, "CLOSE_REASON clean"), Some(peer_closed - 1), "a clean close\n{report}");
    assert_eq!(closed < peer_closed, closed_first, "who closed first\n{report}");
}

macro_rules! matrix {
    ($($name:ident: $channel:literal, $client:literal, $transport:literal, $closer:ident;)*) => {
        $(
            #[test]
            fn $name() {
                case($channel, $client, $transport, Closer::$closer);
            }
        )*
    };
}

matrix! {
    fifo_tokio_channel_tokio_client: "tokio", "tokio", "fifo", Channel;
    fifo_tokio_channel_smol_client: "tokio", "smol", "fifo", Client;
    fifo_tokio_channel_async_std_client: "tokio", "async-std", "fifo", Channel;
    fifo_smol_channel_tokio_client: "smol", "tokio", "fifo", Client;
    fifo_smol_channel_smol_client: "smol", "smol", "fifo", Channel;
    fifo_smol_channel_async_std_client: "smol", "async-std", "fifo", Client;
    fifo_async_std_channel_tokio_client: "async-std", "tokio", "fifo", Channel;
    fifo_async_std_channel_smol_client: "async-std", "smol", "fifo", Client;
    fifo_async_std_channel_async_std_client: "async-std", "async-std", "fifo", Channel;
    tcp_tokio_channel_tokio_client: "tokio", "tokio", "tcp", Client;
    tcp_tokio_channel_smol_client: "tokio", "smol", "tcp", Channel;
    tcp_tokio_channel_async_std_client: "tokio", "async-std", "tcp", Client;
    tcp_smol_channel_tokio_client: "smol", "tokio", "tcp", Channel;
    tcp_smol_channel_smol_client: "smol", "smol", "tcp", Client;
    tcp_smol_channel_async_std_client: "smol", "async-std", "tcp", Channel;
    tcp_async_std_channel_tokio_client: "async-std", "tokio", "tcp", Client;
    tcp_async_std_channel_smol_client: "async-std", "smol", "tcp", Channel;
    tcp_async_std_channel_async_std_client: "async-std", "async-std", "tcp", Client;
}

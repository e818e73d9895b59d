//! Making and joining rendezvous, and the line that tells the other side how to join.

use std::time::{Duration, SystemTime};

#[cfg(unix)]
use pipe_tokio::PosixNamedPipe;
use pipe_tokio::{Config, LocalPortablePipe, Side, TcpSocketPipe, Transport};

use crate::args::FOREVER;
use crate::clock;
use crate::exit::Failure;
use crate::stats::eprint_line;

/// How long a connect goes on before pipecat says what it is waiting for: a peer that is already
/// there never causes the message, a person waiting sees it at once.
pub const QUIET: Duration = Duration::from_millis(200);

/// The pipe configuration: the frame limit, and whether a close ends one direction only.
pub fn config(max_frame_len: usize, half_close: bool) -> Config {
    Config::default().with_max_frame_len(max_frame_len).with_half_close(half_close)
}

/// Creates a rendezvous (private FIFOs, or a loopback TCP port) as the channel side.
pub fn channel(tcp: bool, config: Config) -> Result<LocalPortablePipe, Failure> {
    let made = if tcp {
        TcpSocketPipe::with_config(config).map(Into::into)
    } else {
        #[cfg(unix)]
        {
            PosixNamedPipe::with_config(config).map(Into::into)
        }
        #[cfg(not(unix))]
        return Err(Failure::new(crate::exit::OTHER, "FIFOs need a Unix system: use --tcp"));
    };
    made.map_err(|e| Failure::pipe("creating the rendezvous", e))
}

/// The client side of a rendezvous made elsewhere, paths as the client is given them (swapped).
/// The transport follows from `in_path`'s text, by the rule of `make_pipe_client`: a port or a
/// socket address is TCP, anything else a FIFO path.
pub fn client(in_path: &str, out_path: &str, config: Config) -> Result<LocalPortablePipe, Failure> {
    pipe_tokio::make_pipe_client_with_config(in_path, out_path, config)
        .map_err(|e| Failure::pipe(&format!("joining {in_path} {out_path}"), e))
}

/// Connects, retrying until `timeout`. When the peer is not there within [`QUIET`], says on
/// stderr what the connect waits for and until when ([`waiting_line`]). `what` names the step
/// in the error, should there be one.
pub async fn connect(pipe: &mut LocalPortablePipe, timeout: Duration, what: &str) -> Result<(), Failure> {
    let line = waiting_line(pipe, timeout, SystemTime::now());
    let connecting = pipe.connect(timeout);
    tokio::pin!(connecting);
    let result = match tokio::time::timeout(QUIET, &mut connecting).await {
        Ok(result) => result,
        Err(_) => {
            eprint_line(&line);
            connecting.await
        }
    };
    result.map_err(|e| Failure::pipe(what, e))
}

/// `pipecat: waiting for a channel to accept a connection at 127.0.0.1:45999 until
/// 2026-12-08T01:25:12Z (--timeout 60)`, for a connect of `pipe` that started at `start`.
pub fn waiting_line(pipe: &LocalPortablePipe, timeout: Duration, start: SystemTime) -> String {
    let peer = match (pipe.side(), pipe.transport()) {
        (Side::Client, Transport::Tcp) => match crate::address::check(pipe.in_path()) {
            Ok(crate::address::Named::Tcp(address)) => format!("a channel to accept a connection at {address}"),
            _ => format!("a channel to accept a connection at {}", pipe.in_path()),
        },
        (Side::Channel, Transport::Tcp) => format!("a client to connect to port {}", pipe.in_path()),
        // The peer opens for reading what we write, and for writing what we read.
        (Side::Client, _) => {
            format!("the channel to open {} for reading and {} for writing", pipe.out_path(), pipe.in_path())
        }
        (Side::Channel, _) => {
            format!("a client to open {} for reading and {} for writing", pipe.out_path(), pipe.in_path())
        }
    };
    let limit = format!("{}", timeout.as_secs_f64());
    if timeout >= FOREVER {
        format!("pipecat: waiting for {peer} with no time limit (--timeout 0)")
    } else {
        format!("pipecat: waiting for {peer} until {} (--timeout {limit})", clock::rfc3339_seconds(start + timeout))
    }
}

/// The command the other side runs to join `channel`: its paths swapped.
pub fn client_line(channel: &LocalPortablePipe) -> String {
    format!("pipecat client {} {}", shell_quote(channel.out_path()), shell_quote(channel.in_path()))
}

/// `text` as one shell word.
fn shell_quote(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-:+=,@%".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_only_when_the_shell_needs_it() {
        assert_eq!(shell_quote("/tmp/pipe-x/aea_to_process"), "/tmp/pipe-x/aea_to_process");
        assert_eq!(shell_quote("/tmp/a b/it's"), r"'/tmp/a b/it'\''s'");
    }

    #[test]
    fn the_client_line_swaps_the_paths_and_clients_pick_their_transport() {
        let channel = channel(false, config(100, true)).unwrap();
        let line = client_line(&channel);
        assert_eq!(line, format!("pipecat client {} {}", channel.out_path(), channel.in_path()));
        let joined = client(channel.out_path(), channel.in_path(), config(100, true)).unwrap();
        assert_eq!(joined.transport(), pipe_tokio::Transport::Fifo);
        assert_eq!(joined.config().max_frame_len(), 100);
        let tcp = client("40000", "40000", config(100, true)).unwrap();
        assert_eq!(tcp.transport(), pipe_tokio::Transport::Tcp);
        assert!(tcp.config().half_close());
    }

    #[test]
    fn the_waiting_line_says_what_is_awaited_and_until_when() {
        let start = std::time::UNIX_EPOCH + Duration::from_secs(1_798_761_500);
        let tcp = client("45999", "45999", config(100, true)).unwrap();
        assert_eq!(
            waiting_line(&tcp, Duration::from_secs(60), start),
            "pipecat: waiting for a channel to accept a connection at 127.0.0.1:45999 until 2026-12-31T23:59:20Z (--timeout 60)"
        );
        let fifo = client("/tmp/x/a", "/tmp/x/b", config(100, true)).unwrap();
        let line = waiting_line(&fifo, Duration::from_millis(1500), start);
        assert!(line.contains("open /tmp/x/b for reading and /tmp/x/a for writing until "), "{line}");
        assert!(line.ends_with("(--timeout 1.5)"), "{line}");
        assert!(waiting_line(&tcp, FOREVER, start).ends_with("with no time limit (--timeout 0)"));
    }
}

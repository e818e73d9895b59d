//! Making and joining rendezvous, and the line that tells the other side how to join.

use std::time::Duration;

#[cfg(unix)]
use pipe_tokio::PosixNamedPipe;
use pipe_tokio::{Config, LocalPortablePipe, TcpSocketPipe};

use crate::exit::Failure;

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

/// Connects, retrying until `timeout`.
pub async fn connect(pipe: &mut LocalPortablePipe, timeout: Duration, what: &str) -> Result<(), Failure> {
    pipe.connect(timeout).await.map_err(|e| Failure::pipe(what, e))
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
}

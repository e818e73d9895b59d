//! What carries a pipe and which end of the rendezvous this is.

use std::fmt;

/// The kind of OS object carrying the pipe. It decides the connect steps and how a close looks
/// on the wire.
///
/// ```
/// use pipe_proto::{Config, Connection, Side, Transport};
///
/// // FIFOs close with a zero-length frame, TCP with a half-close and no frame.
/// let mut fifo = Connection::established(Transport::Fifo, Side::Client, Config::default());
/// fifo.close();
/// assert_eq!(fifo.send_half().buffered_len(), 4);
/// let mut tcp = Connection::established(Transport::Tcp, Side::Client, Config::default());
/// tcp.close();
/// assert_eq!(tcp.send_half().buffered_len(), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Two POSIX named pipes, one per direction. Closing sends a zero-length frame.
    Fifo,
    /// One loopback TCP connection. Closing half-closes the socket, with no zero frame.
    Tcp,
}

/// Which end of the rendezvous this is.
///
/// ```
/// use pipe_proto::{Action, Config, ConnectAction, Connection, Side, Transport};
/// use std::time::{Duration, Instant};
///
/// // Over TCP the channel accepts and the client dials.
/// let mut channel = Connection::new(Transport::Tcp, Side::Channel, Config::default());
/// channel.connect(Instant::now(), Duration::from_secs(1))?;
/// assert_eq!(channel.poll_action(), Some(Action::Connect(ConnectAction::Accept)));
/// # Ok::<(), pipe_proto::ConnectError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Creates the rendezvous (the FIFOs, or the listening socket) and waits for the client.
    Channel,
    /// Joins a rendezvous created elsewhere.
    Client,
}

/// The transport as a user names it in a message: `FIFO` or `TCP`.
///
/// ```
/// use pipe_proto::Transport;
///
/// assert_eq!(Transport::Fifo.to_string(), "FIFO");
/// assert_eq!(format!("connecting over {}", Transport::Tcp), "connecting over TCP");
/// ```
impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Fifo => "FIFO",
            Self::Tcp => "TCP",
        })
    }
}

/// The side as a user names it in a message: `channel` or `client`.
///
/// ```
/// use pipe_proto::Side;
///
/// assert_eq!(Side::Channel.to_string(), "channel");
/// assert_eq!(format!("the {} end", Side::Client), "the client end");
/// ```
impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Channel => "channel",
            Self::Client => "client",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_and_sides_print_as_a_user_names_them() {
        assert_eq!([Transport::Fifo, Transport::Tcp].map(|t| t.to_string()), ["FIFO", "TCP"]);
        assert_eq!([Side::Channel, Side::Client].map(|s| s.to_string()), ["channel", "client"]);
    }
}

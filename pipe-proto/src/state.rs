//! Where a pipe is in its life, as one value.

use std::fmt;

/// Where a connection is in its life.
///
/// ```
/// use pipe_proto::{Config, Connection, Side, State, Transport};
///
/// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
/// assert_eq!(conn.state(), State::Idle);
/// conn.close();
/// assert_eq!(conn.state(), State::Closed);
/// assert_eq!(State::Closed.to_string(), "closed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Created; `connect` not called yet.
    Idle,
    /// Opening, accepting or dialling, with a deadline.
    Connecting,
    /// Usable both ways (the peer may have closed its side: see `peer_closed`).
    Open,
    /// `close` was called: the transmit queue (and close marker) drains, then the IO owner
    /// closes the write side and reports it.
    Closing,
    /// The IO owner reported the close of the write side: done.
    Closed,
    /// A connect failed (timed out, or an OS error), or the open pipe failed (an OS error, or
    /// the peer's bytes broke the frame rules).
    Failed,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            State::Idle => "idle",
            State::Connecting => "connecting",
            State::Open => "open",
            State::Closing => "closing",
            State::Closed => "closed",
            State::Failed => "failed",
        };
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use super::State;

    #[test]
    fn every_state_displays_as_its_lowercase_name() {
        let names: Vec<String> =
            [State::Idle, State::Connecting, State::Open, State::Closing, State::Closed, State::Failed]
                .iter()
                .map(ToString::to_string)
                .collect();
        assert_eq!(names, ["idle", "connecting", "open", "closing", "closed", "failed"]);
    }
}

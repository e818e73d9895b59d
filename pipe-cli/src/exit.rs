//! Exit codes, and the one-line error that goes with each.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | clean close: both directions ended |
//! | 1 | any other error (stdin, stdout, the log file, the OS) |
//! | 2 | bad command line (from `clap`) |
//! | 3 | timeout: no peer connected within `--timeout` |
//! | 4 | the peer died: its stream was cut inside a frame, the connection was reset, or messages could not be delivered because it had gone |
//! | 5 | bad input: a frame over `--max-frame-len` (ours or the peer's), malformed `--wire`, `--hex` or `--json` input |
//! | 130 | interrupted (Ctrl-C, SIGINT); the pipe was released first |
//! | 143 | terminated (SIGTERM); the pipe was released first |

use std::fmt;
use std::io;

use pipe_tokio::Error;

/// Clean close.
pub const OK: u8 = 0;
/// Any other error.
pub const OTHER: u8 = 1;
/// No peer connected within the timeout.
pub const TIMEOUT: u8 = 3;
/// The peer died or vanished with data in flight.
pub const PEER_DIED: u8 = 4;
/// A frame over the limit, or input that does not parse in the chosen format.
pub const BAD_INPUT: u8 = 5;
/// Interrupted by Ctrl-C (SIGINT).
pub const INTERRUPTED: u8 = 130;
/// Terminated by SIGTERM (Unix).
#[cfg(unix)]
pub const TERMINATED: u8 = 143;

/// Why pipecat stops early: an exit code and a one-line message.
#[derive(Debug)]
pub struct Failure {
    /// The process exit code.
    pub code: u8,
    /// What happened, on one line, without the `pipecat: ` prefix.
    pub message: String,
}

impl Failure {
    /// A failure with a code and a message.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self { code, message: one_line(&message.into()) }
    }

    /// Bad input, in the format the user chose.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(BAD_INPUT, message)
    }

    /// A pipe error met while doing `what` ("connecting", "sending", ...), classified.
    pub fn pipe(what: &str, err: Error) -> Self {
        Self::new(code_of(&err), format!("{what}: {err}"))
    }

    /// An IO error on something of ours (stdin, stdout, the log file).
    pub fn io(what: &str, err: io::Error) -> Self {
        Self::new(OTHER, format!("{what}: {err}"))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The exit code of a pipe error.
pub fn code_of(err: &Error) -> u8 {
    match err {
        Error::Timeout { .. } => TIMEOUT,
        Error::FrameTooLarge { .. } | Error::PeerFrameTooLarge { .. } | Error::EmptyFrame => BAD_INPUT,
        Error::TruncatedFrame { .. } | Error::Undelivered { .. } => PEER_DIED,
        Error::Io(io) if is_disconnect(io.kind()) => PEER_DIED,
        _ => OTHER,
    }
}

/// Whether an OS error says the peer has gone.
pub fn is_disconnect(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::UnexpectedEof
    )
}

/// Messages go on one line whatever the OS put in them.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn each_kind_of_pipe_error_has_its_code() {
        assert_eq!(code_of(&Error::Timeout { timeout: Duration::from_secs(1), waiting_for: None }), TIMEOUT);
        assert_eq!(code_of(&Error::FrameTooLarge { len: 9, max: 8 }), BAD_INPUT);
        assert_eq!(code_of(&Error::PeerFrameTooLarge { declared: 9, max: 8 }), BAD_INPUT);
        assert_eq!(code_of(&Error::TruncatedFrame { expected: 9, received: 5 }), PEER_DIED);
        assert_eq!(code_of(&Error::Io(io::ErrorKind::ConnectionReset.into())), PEER_DIED);
        assert_eq!(code_of(&Error::Io(io::ErrorKind::PermissionDenied.into())), OTHER);
        assert_eq!(code_of(&Error::InvalidAddress { address: "x".into(), source: None }), OTHER);
    }

    #[test]
    fn a_message_is_one_line() {
        let failure = Failure::new(OTHER, "two\nlines  and\ttabs");
        assert_eq!(failure.message, "two lines and tabs");
    }
}

//! The one error type of every pipe, whatever the runtime.

use std::io;
use std::time::Duration;

use pipe_proto::{ConnectError, DecodeError, EncodeError, RecvError, SendError};

/// Everything that can go wrong with a pipe, as variants a caller can match.
///
/// Converts into [`std::io::Error`] (with a fitting [`io::ErrorKind`]) for code that wants a
/// single error type across its IO.
///
/// ```
/// use pipe_io::Error;
/// use std::time::Duration;
///
/// let err = Error::Timeout(Duration::from_secs(10));
/// assert_eq!(err.to_string(), "no peer connected within 10s");
/// assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::TimedOut);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No peer completed the rendezvous within the connect timeout.
    #[error("no peer connected within {0:?}")]
    Timeout(Duration),
    /// A frame over the maximum length: one we were asked to send (`len` is its length), or one
    /// the peer announced (`len` is what its header declared; nothing of it was buffered).
    #[error("frame of {len} bytes exceeds the maximum frame length of {max} bytes")]
    FrameTooLarge {
        /// The length of the frame.
        len: usize,
        /// The maximum in force.
        max: usize,
    },
    /// An empty message: on this wire a zero-length frame means "closed", so it cannot be sent.
    #[error("empty frame: a zero-length frame means \"closed\" on this wire, so empty messages cannot be sent")]
    EmptyFrame,
    /// The peer's stream ended in the middle of a frame (both counts include the 4-byte header).
    #[error("the peer's stream ended in the middle of a frame: expected {expected} bytes, received {received}")]
    TruncatedFrame {
        /// Bytes the frame needed.
        expected: usize,
        /// Bytes of it that arrived.
        received: usize,
    },
    /// The pipe is not connected yet.
    #[error("the pipe is not connected")]
    NotConnected,
    /// This side closed the pipe (or this half of it).
    #[error("the pipe is closed")]
    Closed,
    /// The peer closed the pipe; nothing more can be sent to it.
    #[error("the peer closed the pipe")]
    PeerClosed,
    /// A rendezvous path exists but is not a FIFO (named pipe).
    #[error("{path} is not a FIFO (named pipe)")]
    NotAFifo {
        /// The offending path.
        path: String,
    },
    /// A TCP rendezvous address is neither `<port>` nor `<host>:<port>`.
    #[error("invalid TCP address {0:?}: expected \"<port>\" or \"<host>:<port>\"")]
    InvalidAddress(String),
    /// An error from the operating system.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl From<EncodeError> for Error {
    fn from(err: EncodeError) -> Self {
        match err {
            EncodeError::Empty => Error::EmptyFrame,
            EncodeError::TooLarge { len, max } => Error::FrameTooLarge { len, max },
        }
    }
}

impl From<DecodeError> for Error {
    fn from(err: DecodeError) -> Self {
        match err {
            DecodeError::TooLarge { declared, max } => Error::FrameTooLarge { len: declared, max },
            DecodeError::Truncated { expected, received } => Error::TruncatedFrame { expected, received },
        }
    }
}

impl From<SendError> for Error {
    fn from(err: SendError) -> Self {
        match err {
            SendError::Frame(e) => e.into(),
            SendError::NotConnected => Error::NotConnected,
            SendError::Closed => Error::Closed,
            SendError::PeerClosed => Error::PeerClosed,
            SendError::Failed => Error::Io(io::Error::new(io::ErrorKind::BrokenPipe, "the pipe failed earlier")),
        }
    }
}

impl From<RecvError> for Error {
    fn from(err: RecvError) -> Self {
        match err {
            RecvError::Decode(e) => e.into(),
            RecvError::NotConnected => Error::NotConnected,
            RecvError::Closed => Error::Closed,
            RecvError::Failed => Error::Io(io::Error::new(io::ErrorKind::BrokenPipe, "the pipe failed earlier")),
        }
    }
}

impl From<ConnectError> for Error {
    fn from(err: ConnectError) -> Self {
        match err {
            ConnectError::Timeout { timeout } => Error::Timeout(timeout),
            ConnectError::InvalidState { .. } => Error::Io(io::Error::other(err)),
        }
    }
}

impl From<Error> for io::Error {
    fn from(err: Error) -> Self {
        let kind = match &err {
            Error::Io(_) => match err {
                Error::Io(e) => return e,
                _ => unreachable!(),
            },
            Error::Timeout(_) => io::ErrorKind::TimedOut,
            Error::FrameTooLarge { .. } | Error::EmptyFrame => io::ErrorKind::InvalidData,
            Error::TruncatedFrame { .. } => io::ErrorKind::UnexpectedEof,
            Error::NotConnected => io::ErrorKind::NotConnected,
            Error::Closed | Error::PeerClosed => io::ErrorKind::BrokenPipe,
            Error::NotAFifo { .. } | Error::InvalidAddress(_) => io::ErrorKind::InvalidInput,
        };
        io::Error::new(kind, err)
    }
}

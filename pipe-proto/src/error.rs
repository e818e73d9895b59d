//! Typed errors, one enum per failure domain, and [`Failure`], the reason a pipe stopped working.
//!
//! Every error says what went wrong with the numbers involved (the declared length and the limit,
//! the bytes expected and received, the frames that were not delivered), and converts into
//! [`std::io::Error`] for callers that want one error type across their IO. The kinds follow one
//! rule across the crates: our own bad input is [`io::ErrorKind::InvalidInput`], the peer's bad
//! data [`io::ErrorKind::InvalidData`], a stream cut inside a frame
//! [`io::ErrorKind::UnexpectedEof`], and an OS error keeps the kind (and code) the OS gave it.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use crate::connect_action::ConnectAction;
use crate::state::State;

/// A frame we were asked to send could not be encoded; nothing was produced.
///
/// ```
/// use pipe_proto::{EncodeError, FrameHeader};
///
/// let err = FrameHeader::new(0, 100).unwrap_err();
/// assert_eq!(err, EncodeError::Empty);
/// assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::InvalidInput);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// An empty payload: on the wire it would read as the "closed" marker, so it is never sent.
    #[error("empty frame: a zero-length frame means \"closed\" on this wire, so empty messages cannot be sent")]
    Empty,
    /// The payload is longer than the configured maximum (or than `u32::MAX`).
    #[error("frame of {len} bytes exceeds the maximum frame length of {max} bytes")]
    TooLarge {
        /// Length of the refused payload.
        len: usize,
        /// The maximum in force.
        max: usize,
    },
}

/// The bytes the peer sent are not a valid sequence of frames.
///
/// ```
/// use bytes::BytesMut;
/// use pipe_proto::{DecodeError, FrameDecoder};
///
/// let mut decoder = FrameDecoder::new(1024);
/// let mut buf = BytesMut::from(&[0u8, 0, 0, 10, 1, 2][..]);
/// assert_eq!(decoder.decode(&mut buf), Ok(None)); // waiting for 8 more bytes
/// let err = decoder.decode_eof(&mut buf).unwrap_err();
/// assert_eq!(err, DecodeError::Truncated { expected: 14, received: 6 });
/// assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::UnexpectedEof);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A header announced more than the maximum frame length; raised on the header alone, before
    /// any of the payload is buffered.
    #[error("peer announced a frame of {declared} bytes, over the maximum frame length of {max} bytes")]
    TooLarge {
        /// The length the header declared.
        declared: usize,
        /// The maximum in force.
        max: usize,
    },
    /// The stream ended inside a frame (the peer died or closed mid-frame). Both counts include
    /// the 4 header bytes.
    #[error("the peer's stream ended in the middle of a frame: expected {expected} bytes, received {received}")]
    Truncated {
        /// Bytes the frame needed (header included; 4 while the header itself was incomplete).
        expected: usize,
        /// Bytes of the frame that arrived before the end.
        received: usize,
    },
}

/// Why a pipe stopped working. Once a pipe has failed, every later call on it (on either split
/// half too) answers with this same failure: the original error's kind and message, never a
/// made-up one.
///
/// ```
/// use pipe_proto::Failure;
/// use std::io::ErrorKind;
///
/// let failure = Failure::io(ErrorKind::BrokenPipe, Some(32), "Broken pipe (os error 32)");
/// assert_eq!(failure.kind(), ErrorKind::BrokenPipe);
/// assert_eq!(failure.to_string(), "Broken pipe (os error 32)");
/// assert_eq!(std::io::Error::from(failure).raw_os_error(), Some(32));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The connect's deadline passed; carries the timeout it was given. The pipe may connect
    /// again.
    Timeout(Duration),
    /// The peer's bytes broke the frame rules (a truncated or oversized frame).
    Decode(DecodeError),
    /// The OS reported an error, as the IO owner described it.
    Io {
        /// The error's kind.
        kind: io::ErrorKind,
        /// The OS error code, when there was one (`EPIPE`, `ECONNRESET`...).
        code: Option<i32>,
        /// The error's message, as it was displayed.
        message: Arc<str>,
        /// What the IO owner was doing, on which path or address, when the OS said `message`
        /// ([`Failure::during`]); the failure displays as `"{during}: {message}"`.
        during: Option<Arc<str>>,
    },
}

impl Failure {
    /// An OS error, described by its kind, its code if it has one, and its message.
    ///
    /// ```
    /// let failure = pipe_proto::Failure::io(std::io::ErrorKind::ConnectionReset, None, "reset");
    /// assert_eq!(failure.to_string(), "reset");
    /// ```
    pub fn io(kind: io::ErrorKind, code: Option<i32>, message: impl Into<Arc<str>>) -> Self {
        Failure::Io { kind, code, message: message.into(), during: None }
    }

    /// This OS error, saying what was being done when it happened (a path or an address), so
    /// that it is told again with the same words; any other failure is returned as it is.
    ///
    /// ```
    /// use pipe_proto::Failure;
    /// use std::io::ErrorKind;
    ///
    /// let failure = Failure::io(ErrorKind::NotFound, Some(2), "No such file or directory (os error 2)")
    ///     .during("/tmp/x/aea_to_process");
    /// assert_eq!(failure.to_string(), "/tmp/x/aea_to_process: No such file or directory (os error 2)");
    /// assert_eq!(std::io::Error::from(failure).raw_os_error(), Some(2));
    /// ```
    pub fn during(self, what: impl Into<Arc<str>>) -> Self {
        match self {
            Failure::Io { kind, code, message, .. } => Failure::Io { kind, code, message, during: Some(what.into()) },
            other => other,
        }
    }

    /// The [`io::ErrorKind`] this failure converts to.
    ///
    /// ```
    /// use pipe_proto::{DecodeError, Failure};
    /// use std::io::ErrorKind;
    /// use std::time::Duration;
    ///
    /// assert_eq!(Failure::Timeout(Duration::from_secs(1)).kind(), ErrorKind::TimedOut);
    /// let truncated = Failure::Decode(DecodeError::Truncated { expected: 8, received: 5 });
    /// assert_eq!(truncated.kind(), ErrorKind::UnexpectedEof);
    /// ```
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            Failure::Timeout(_) => io::ErrorKind::TimedOut,
            Failure::Decode(err) => decode_kind(err),
            Failure::Io { kind, .. } => *kind,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Timeout(timeout) => write!(f, "no peer connected within {timeout:?}"),
            Failure::Decode(err) => err.fmt(f),
            Failure::Io { message, during: None, .. } => f.write_str(message),
            Failure::Io { message, during: Some(during), .. } => write!(f, "{during}: {message}"),
        }
    }
}

impl std::error::Error for Failure {}

impl From<DecodeError> for Failure {
    fn from(err: DecodeError) -> Self {
        Failure::Decode(err)
    }
}

/// Frames that were queued for sending and never completely handed to the OS.
///
/// ```
/// let lost = pipe_proto::Undelivered { frames: 2, bytes: 70_008 };
/// assert_eq!(lost.to_string(), "2 frames (70008 bytes) were not delivered");
/// assert!(!lost.is_empty());
/// assert!(pipe_proto::Undelivered::default().is_empty());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Undelivered {
    /// Messages taken and not completely handed to the OS: the one cut mid-write, those queued
    /// after it, and those a failed pipe kept since (the rest of a batch it was writing or is
    /// given, a message handed over by value). Each is given back by `take_unsent`, or sent
    /// first, whole, after a reconnect.
    pub frames: usize,
    /// The bytes of those frames, headers included, that never reached the OS.
    pub bytes: usize,
}

impl Undelivered {
    /// Whether nothing was lost.
    ///
    /// ```
    /// assert!(pipe_proto::Undelivered { frames: 0, bytes: 0 }.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.frames == 0
    }
}

impl fmt::Display for Undelivered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} frames ({} bytes) were not delivered", self.frames, self.bytes)
    }
}

/// A frame could not be queued, or what was queued could not be delivered.
///
/// ```
/// use pipe_proto::{Config, Connection, SendError, Side, Transport};
///
/// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
/// assert_eq!(conn.send(bytes::Bytes::from_static(b"x")), Err(SendError::NotConnected));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The frame itself is invalid (empty, or too large); nothing was queued.
    #[error(transparent)]
    Frame(#[from] EncodeError),
    /// The pipe has not finished connecting.
    #[error("the pipe is not connected")]
    NotConnected,
    /// This side closed the pipe (or its sending half).
    #[error("this side closed the pipe")]
    ClosedLocally,
    /// The peer closed the pipe (its close was received): nothing more is sent to it.
    #[error("the peer closed the pipe")]
    PeerClosed,
    /// The pipe failed; nothing queued was lost by this call.
    #[error(transparent)]
    Failed(Failure),
    /// The pipe failed with frames still queued: they were never completely handed to the OS.
    #[error("{undelivered}: {cause}")]
    Undelivered {
        /// What was lost.
        undelivered: Undelivered,
        /// Why.
        cause: Failure,
    },
}

/// A frame could not be received.
///
/// ```
/// use pipe_proto::{Config, Connection, RecvError, Side, Transport};
///
/// let mut conn = Connection::new(Transport::Fifo, Side::Channel, Config::default());
/// assert_eq!(conn.poll_recv(), Some(Err(RecvError::NotConnected)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecvError {
    /// The pipe has not finished connecting.
    #[error("the pipe is not connected")]
    NotConnected,
    /// This side closed the pipe.
    #[error("this side closed the pipe")]
    ClosedLocally,
    /// The pipe failed: the peer's bytes broke the frame rules, or the OS reported an error.
    #[error(transparent)]
    Failed(Failure),
}

/// [`Connection::connect`](crate::Connection::connect) could not start, or the connect gave up.
///
/// ```
/// use pipe_proto::{ConnectAction, ConnectError};
/// use std::time::Duration;
///
/// let err = ConnectError::Timeout { timeout: Duration::from_secs(2), waiting_for: Some(ConnectAction::OpenWrite) };
/// assert_eq!(err.to_string(), "no peer connected within 2s: nobody opened our out_path for reading");
/// assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::TimedOut);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// No peer completed the rendezvous before the deadline.
    #[error("no peer connected within {timeout:?}{}", WaitingFor(*.waiting_for))]
    Timeout {
        /// The timeout the connect was given.
        timeout: Duration,
        /// The step the connect was waiting for at the deadline, which says what the peer never
        /// did: [`ConnectAction::OpenWrite`] retried, nobody opened our `out_path` for reading
        /// (`ENXIO`); [`ConnectAction::ProbeRead`] retried, nobody opened our `in_path` for
        /// writing; [`ConnectAction::Dial`], nobody accepted the connection (refused, or never
        /// answered); [`ConnectAction::Accept`], no client came. `None` if no step was under way
        /// (a deadline that passed before the first one).
        waiting_for: Option<ConnectAction>,
    },
    /// The pipe is open, closing or closed: there is nothing to connect.
    #[error("connect called on a pipe that is {state}")]
    InvalidState {
        /// The state the pipe was in.
        state: State,
    },
    /// A connect step failed, or the connected pipe failed since.
    #[error(transparent)]
    Failed(Failure),
    /// [`Connection::reconnect`](crate::Connection::reconnect) on a connection made over a
    /// transport connected by other means ([`Connection::established`](crate::Connection::established)):
    /// there is no rendezvous to meet a new peer at.
    #[error("the pipe was made from a connected stream: it has no rendezvous to reconnect on")]
    NoRendezvous,
}

/// How a timeout's message names the step it waited for.
struct WaitingFor(Option<ConnectAction>);

impl fmt::Display for WaitingFor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.0 {
            Some(ConnectAction::OpenWrite) => "nobody opened our out_path for reading",
            Some(ConnectAction::ProbeRead) => "nobody opened our in_path for writing",
            Some(ConnectAction::Dial) => "nobody accepted the connection",
            Some(ConnectAction::Accept) => "no client connected",
            Some(ConnectAction::OpenRead | ConnectAction::StopListening | ConnectAction::Listen) | None => {
                return Ok(())
            }
        };
        write!(f, ": {what}")
    }
}

pub(crate) fn decode_kind(err: &DecodeError) -> io::ErrorKind {
    match err {
        DecodeError::TooLarge { .. } => io::ErrorKind::InvalidData,
        DecodeError::Truncated { .. } => io::ErrorKind::UnexpectedEof,
    }
}

impl From<EncodeError> for io::Error {
    fn from(err: EncodeError) -> Self {
        io::Error::new(io::ErrorKind::InvalidInput, err)
    }
}

impl From<DecodeError> for io::Error {
    fn from(err: DecodeError) -> Self {
        io::Error::new(decode_kind(&err), err)
    }
}

impl From<Failure> for io::Error {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Io { code: Some(code), .. } => io::Error::from_raw_os_error(code),
            Failure::Io { kind, .. } => io::Error::new(kind, failure.to_string()),
            other => io::Error::new(other.kind(), other),
        }
    }
}

impl From<SendError> for io::Error {
    fn from(err: SendError) -> Self {
        let kind = match &err {
            SendError::Frame(_) => io::ErrorKind::InvalidInput,
            SendError::NotConnected => io::ErrorKind::NotConnected,
            SendError::ClosedLocally | SendError::PeerClosed => io::ErrorKind::BrokenPipe,
            SendError::Failed(failure) => return failure.clone().into(),
            SendError::Undelivered { cause, .. } => cause.kind(),
        };
        io::Error::new(kind, err)
    }
}

impl From<RecvError> for io::Error {
    fn from(err: RecvError) -> Self {
        match err {
            RecvError::NotConnected => io::Error::new(io::ErrorKind::NotConnected, err),
            RecvError::ClosedLocally => io::Error::new(io::ErrorKind::BrokenPipe, err),
            RecvError::Failed(failure) => failure.into(),
        }
    }
}

impl From<ConnectError> for io::Error {
    fn from(err: ConnectError) -> Self {
        match err {
            ConnectError::Timeout { .. } => io::Error::new(io::ErrorKind::TimedOut, err),
            ConnectError::InvalidState { .. } | ConnectError::NoRendezvous => {
                io::Error::new(io::ErrorKind::InvalidInput, err)
            }
            ConnectError::Failed(failure) => failure.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_converts_to_the_kind_of_its_cause() {
        let pipe = Failure::io(io::ErrorKind::BrokenPipe, None, "gone");
        let cases: [(io::Error, io::ErrorKind); 9] = [
            (EncodeError::Empty.into(), io::ErrorKind::InvalidInput),
            (DecodeError::TooLarge { declared: 9, max: 8 }.into(), io::ErrorKind::InvalidData),
            (SendError::NotConnected.into(), io::ErrorKind::NotConnected),
            (SendError::PeerClosed.into(), io::ErrorKind::BrokenPipe),
            (SendError::Failed(pipe.clone()).into(), io::ErrorKind::BrokenPipe),
            (
                SendError::Undelivered { undelivered: Undelivered { frames: 1, bytes: 5 }, cause: pipe }.into(),
                io::ErrorKind::BrokenPipe,
            ),
            (RecvError::ClosedLocally.into(), io::ErrorKind::BrokenPipe),
            (ConnectError::InvalidState { state: State::Open }.into(), io::ErrorKind::InvalidInput),
            (Failure::Timeout(Duration::from_secs(1)).into(), io::ErrorKind::TimedOut),
        ];
        for (err, kind) in cases {
            assert_eq!(err.kind(), kind, "{err}");
        }
    }

    #[test]
    fn an_io_failure_keeps_its_message_and_os_code() {
        let failure = Failure::io(io::ErrorKind::ConnectionReset, None, "reset by peer");
        let err = io::Error::from(failure);
        assert_eq!((err.kind(), err.to_string()), (io::ErrorKind::ConnectionReset, "reset by peer".to_owned()));
        let os = io::Error::from_raw_os_error(32);
        let failure = Failure::io(os.kind(), os.raw_os_error(), os.to_string());
        let again = io::Error::from(failure);
        assert_eq!((again.kind(), again.raw_os_error(), again.to_string()), (os.kind(), Some(32), os.to_string()));
    }

    #[test]
    fn undelivered_says_how_much_and_why() {
        let err = SendError::Undelivered {
            undelivered: Undelivered { frames: 3, bytes: 12 },
            cause: Failure::io(io::ErrorKind::BrokenPipe, None, "Broken pipe"),
        };
        assert_eq!(err.to_string(), "3 frames (12 bytes) were not delivered: Broken pipe");
    }
}

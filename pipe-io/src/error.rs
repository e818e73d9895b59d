//! The one error type of every pipe, whatever the runtime, and its two-way mapping with the
//! core's [`Failure`].

use std::fmt;
use std::io;
use std::time::Duration;

use pipe_proto::{ConnectError, DecodeError, EncodeError, Failure, RecvError, SendError, State};

/// Everything that can go wrong with a pipe, as variants a caller can match.
///
/// Converts into [`std::io::Error`] for code that wants a single error type across its IO, with
/// one rule for the kind: our own bad input is [`io::ErrorKind::InvalidInput`] (`EmptyFrame`,
/// `FrameTooLarge`, `InvalidState`, `NoRendezvous`, `NotAFifo`, `InvalidAddress`), the peer's bad data
/// [`io::ErrorKind::InvalidData`] (`PeerFrameTooLarge`), a stream cut inside a frame
/// [`io::ErrorKind::UnexpectedEof`], a disconnect the OS's own `BrokenPipe` or `ConnectionReset`,
/// a close [`io::ErrorKind::BrokenPipe`], a rendezvous that is not ours alone (`NotOurs`)
/// [`io::ErrorKind::PermissionDenied`].
///
/// Once a pipe has failed, every later call answers with the same error: the same variant, and
/// for an OS error the same kind, code and message.
///
/// ```
/// use pipe_io::{Error, WaitingFor};
/// use std::time::Duration;
///
/// let err = Error::Timeout {
///     timeout: Duration::from_secs(10),
///     waiting_for: Some(WaitingFor::Reader("/tmp/x/aea_to_process".into())),
/// };
/// assert_eq!(
///     err.to_string(),
///     "no peer connected within 10s: nobody opened /tmp/x/aea_to_process for reading \
///      (were in_path and out_path swapped?)"
/// );
/// assert!(matches!(err, Error::Timeout { .. }));
/// assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::TimedOut);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No peer completed the rendezvous within the connect timeout. Match it with
    /// `Error::Timeout { .. }`, or `Error::Timeout { timeout, .. }` for the duration.
    #[error("no peer connected within {timeout:?}{}", waiting_suffix(.waiting_for))]
    Timeout {
        /// The timeout the connect was given.
        timeout: Duration,
        /// What the connect was still waiting for at the deadline, naming the path or address:
        /// what the peer never did. `None` if no step was under way.
        waiting_for: Option<WaitingFor>,
    },
    /// A message we were asked to send is longer than the maximum frame length; nothing was sent.
    #[error("a message of {len} bytes exceeds the maximum frame length of {max} bytes")]
    FrameTooLarge {
        /// The length of the message.
        len: usize,
        /// The maximum in force.
        max: usize,
    },
    /// The peer announced a frame over the maximum frame length; nothing of it was buffered.
    #[error("the peer announced a frame of {declared} bytes, over the maximum frame length of {max} bytes")]
    PeerFrameTooLarge {
        /// The length the peer's header declared.
        declared: usize,
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
    /// The pipe is not connected (yet).
    #[error("the pipe is not connected")]
    NotConnected,
    /// This side closed the pipe (or this half of it).
    #[error("this side closed the pipe")]
    ClosedLocally,
    /// The peer closed the pipe (its close was received); nothing more is sent to it.
    #[error("the peer closed the pipe")]
    PeerClosed,
    /// The pipe failed with messages queued that were never completely handed to the OS.
    #[error("{frames} messages ({bytes} bytes) were not delivered: {source}")]
    Undelivered {
        /// Messages not completely written (the one cut mid-write included).
        frames: usize,
        /// Their bytes, headers included, that never reached the OS.
        bytes: usize,
        /// Why.
        source: Box<Error>,
    },
    /// A call that the pipe's state does not allow, such as `connect` on a connected pipe.
    #[error("the pipe is {state}: the call is not allowed now")]
    InvalidState {
        /// The state the pipe was in.
        state: State,
    },
    /// `reconnect` on a pipe made from a connected stream (`from_stream`): it has no rendezvous
    /// to meet a new peer at.
    #[error("the pipe was made from a connected stream: it has no rendezvous to reconnect on")]
    NoRendezvous,
    /// A rendezvous path exists but is not a FIFO (named pipe).
    #[error("{path} is not a FIFO (named pipe)")]
    NotAFifo {
        /// The offending path.
        path: String,
    },
    /// A FIFO client refused a rendezvous path that is not ours alone: a FIFO, or the directory
    /// holding it, that belongs to another user or that group or others may write (so another
    /// user could have made it, or could swap it). Checked before anything is opened, and
    /// again on each descriptor opened; never retried. The channel side creates its own
    /// directory (mode 0700) and FIFOs (mode 0600), as Python's AEA channel does (`mkdtemp`,
    /// then `mkfifo` with the umask's mode, usually 0644: writable by the owner only, so
    /// accepted).
    ///
    /// ```
    /// let err = pipe_io::Error::NotOurs {
    ///     path: "/tmp/x/aea_to_process".into(),
    ///     reason: "it belongs to uid 65534, not to our user (uid 1000)".into(),
    /// };
    /// assert_eq!(
    ///     err.to_string(),
    ///     "refusing the FIFO rendezvous at /tmp/x/aea_to_process: it belongs to uid 65534, not to our user (uid 1000)"
    /// );
    /// assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    /// ```
    #[error("refusing the FIFO rendezvous at {path}: {reason}")]
    NotOurs {
        /// The FIFO or directory refused.
        path: String,
        /// Why: whose it is, or who else may write it.
        reason: String,
    },
    /// A TCP address that cannot be used: not `"<port>"`, `"<ip>:<port>"` or
    /// `"<host>:<port>"` (refused when the pipe is made), or a host name that does not resolve
    /// to any address (refused by `connect`, with the resolver's error as `source`).
    #[error("invalid TCP address {address:?}: {}", address_problem(.source))]
    InvalidAddress {
        /// The address as given.
        address: String,
        /// The resolver's error, when the syntax was right but the name did not resolve.
        source: Option<io::Error>,
    },
    /// An error from the operating system, with its kind and its code as the OS gave them
    /// (`raw_os_error()`, also once converted to `std::io::Error`), whichever step failed: a
    /// program can match `EMFILE` or `ENOENT`. What was being done, on which path or address,
    /// is in the debug log (`log` crate), as an `io::Error` holds a code or a message, not both.
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// let mut client = pipe_tokio::make_pipe_client("/nonexistent/aea_to_process", "/nonexistent/process_to_aea")?;
    /// let err = pipe_tokio::doc_block_on(client.connect(std::time::Duration::from_secs(1))).unwrap_err();
    /// assert!(matches!(&err, pipe_tokio::Error::Io(e) if e.raw_os_error() == Some(2)), "ENOENT: {err:?}");
    /// assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::NotFound);
    /// # }
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl Error {
    /// The [`io::ErrorKind`] this error converts to.
    ///
    /// ```
    /// assert_eq!(pipe_io::Error::EmptyFrame.kind(), std::io::ErrorKind::InvalidInput);
    /// assert_eq!(pipe_io::Error::PeerClosed.kind(), std::io::ErrorKind::BrokenPipe);
    /// ```
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            Error::Io(err) => err.kind(),
            Error::Timeout { .. } => io::ErrorKind::TimedOut,
            Error::FrameTooLarge { .. }
            | Error::EmptyFrame
            | Error::InvalidState { .. }
            | Error::NoRendezvous
            | Error::NotAFifo { .. }
            | Error::InvalidAddress { .. } => io::ErrorKind::InvalidInput,
            Error::PeerFrameTooLarge { .. } => io::ErrorKind::InvalidData,
            Error::NotOurs { .. } => io::ErrorKind::PermissionDenied,
            Error::TruncatedFrame { .. } => io::ErrorKind::UnexpectedEof,
            Error::NotConnected => io::ErrorKind::NotConnected,
            Error::ClosedLocally | Error::PeerClosed => io::ErrorKind::BrokenPipe,
            Error::Undelivered { source, .. } => source.kind(),
        }
    }
}

/// What a connect was still waiting for when its timeout passed: the thing the peer never did,
/// with the path or address it should have done it on.
///
/// ```
/// use pipe_io::WaitingFor;
///
/// let waiting = WaitingFor::Listener("127.0.0.1:9000".into());
/// assert_eq!(waiting.to_string(), "nobody accepted a connection at 127.0.0.1:9000");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitingFor {
    /// FIFO: nobody opened this path, our `out_path`, for reading, so our write end could not
    /// open (`ENXIO`). The peer is not there, or it was given the paths unswapped.
    Reader(String),
    /// FIFO: nobody opened this path, our `in_path`, for writing (our write end did open).
    Writer(String),
    /// TCP client: nobody accepted a connection at this address (refused, or unanswered).
    Listener(String),
    /// TCP channel: no client connected to this port.
    Client(String),
}

impl fmt::Display for WaitingFor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SWAPPED: &str = "(were in_path and out_path swapped?)";
        match self {
            WaitingFor::Reader(path) => write!(f, "nobody opened {path} for reading {SWAPPED}"),
            WaitingFor::Writer(path) => write!(f, "nobody opened {path} for writing {SWAPPED}"),
            WaitingFor::Listener(address) => write!(f, "nobody accepted a connection at {address}"),
            WaitingFor::Client(port) => write!(f, "no client connected to port {port}"),
        }
    }
}

fn waiting_suffix(waiting_for: &Option<WaitingFor>) -> String {
    waiting_for.as_ref().map(|waiting| format!(": {waiting}")).unwrap_or_default()
}

fn address_problem(source: &Option<io::Error>) -> String {
    match source {
        None => r#"expected "<port>", "<ip>:<port>" or "<host>:<port>""#.to_owned(),
        Some(err) => format!("the host name does not resolve ({err})"),
    }
}

/// The OS's error `err`, for an [`Error::Io`] that keeps its kind and code, with `context`
/// (what was being done, on what path or address) logged at debug level: an `io::Error` can
/// carry a code or a message of its own, not both, and a program matches the code
/// (`raw_os_error() == Some(EMFILE)`) or the kind. An error the OS did not give (no code, here
/// or in the errors it wraps) keeps `context` in its message.
pub(crate) fn os_error(context: impl fmt::Display, err: io::Error) -> io::Error {
    let err = unwrapped(err);
    if err.raw_os_error().is_some() {
        log::debug!("{context}: {err}");
        err
    } else {
        io::Error::new(err.kind(), format!("{context}: {err}"))
    }
}

/// `err` itself if it carries an OS code, else the OS error it wraps (as crates that add a path
/// to an error do), else `err`.
fn unwrapped(err: io::Error) -> io::Error {
    if err.raw_os_error().is_some() {
        return err;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = err.get_ref().map(|inner| inner as _);
    while let Some(inner) = source {
        if let Some(code) = inner.downcast_ref::<io::Error>().and_then(io::Error::raw_os_error) {
            return io::Error::from_raw_os_error(code);
        }
        source = inner.source();
    }
    err
}

/// How the core keeps an error of ours: its kind, its OS code, its message.
pub(crate) fn failure_of(err: &Error) -> Failure {
    match err {
        Error::Io(err) => failure_of_io(err),
        other => Failure::io(other.kind(), None, other.to_string()),
    }
}

/// How the core keeps an OS error.
pub(crate) fn failure_of_io(err: &io::Error) -> Failure {
    Failure::io(err.kind(), err.raw_os_error(), err.to_string())
}

impl From<Failure> for Error {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Timeout(timeout) => Error::Timeout { timeout, waiting_for: None },
            Failure::Decode(err) => err.into(),
            io => Error::Io(io.into()),
        }
    }
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
            DecodeError::TooLarge { declared, max } => Error::PeerFrameTooLarge { declared, max },
            DecodeError::Truncated { expected, received } => Error::TruncatedFrame { expected, received },
        }
    }
}

impl From<SendError> for Error {
    fn from(err: SendError) -> Self {
        match err {
            SendError::Frame(e) => e.into(),
            SendError::NotConnected => Error::NotConnected,
            SendError::ClosedLocally => Error::ClosedLocally,
            SendError::PeerClosed => Error::PeerClosed,
            SendError::Failed(failure) => failure.into(),
            SendError::Undelivered { undelivered, cause } => Error::Undelivered {
                frames: undelivered.frames,
                bytes: undelivered.bytes,
                source: Box::new(cause.into()),
            },
        }
    }
}

impl From<RecvError> for Error {
    fn from(err: RecvError) -> Self {
        match err {
            RecvError::NotConnected => Error::NotConnected,
            RecvError::ClosedLocally => Error::ClosedLocally,
            RecvError::Failed(failure) => failure.into(),
        }
    }
}

impl From<ConnectError> for Error {
    fn from(err: ConnectError) -> Self {
        match err {
            // The paths are not the core's: `connect` names them (see `WaitingFor`).
            ConnectError::Timeout { timeout, .. } => Error::Timeout { timeout, waiting_for: None },
            ConnectError::InvalidState { state } => Error::InvalidState { state },
            ConnectError::NoRendezvous => Error::NoRendezvous,
            ConnectError::Failed(failure) => failure.into(),
        }
    }
}

impl From<Error> for io::Error {
    fn from(err: Error) -> Self {
        match err {
            Error::Io(err) => err,
            other => io::Error::new(other.kind(), other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipe_proto::Undelivered;

    #[test]
    fn outgoing_and_incoming_too_large_are_told_apart_by_variant_and_kind() {
        let ours = Error::from(EncodeError::TooLarge { len: 9, max: 8 });
        let theirs = Error::from(DecodeError::TooLarge { declared: 9, max: 8 });
        assert!(matches!(ours, Error::FrameTooLarge { len: 9, max: 8 }));
        assert!(matches!(theirs, Error::PeerFrameTooLarge { declared: 9, max: 8 }));
        assert_eq!(io::Error::from(ours).kind(), io::ErrorKind::InvalidInput);
        assert_eq!(io::Error::from(theirs).kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn an_os_failure_round_trips_through_the_core_with_its_kind_code_and_message() {
        let original = io::Error::from_raw_os_error(32);
        let again = Error::from(failure_of_io(&original));
        let Error::Io(again) = again else { panic!("not an IO error: {again:?}") };
        assert_eq!(
            (again.kind(), again.raw_os_error(), again.to_string()),
            (original.kind(), Some(32), original.to_string())
        );
        let ours = Error::NotAFifo { path: "/tmp/x".into() };
        let kept = Error::from(failure_of(&ours));
        assert_eq!((kept.kind(), kept.to_string()), (io::ErrorKind::InvalidInput, ours.to_string()));
    }

    #[test]
    fn an_os_error_given_a_context_keeps_its_kind_and_code() {
        let emfile = io::Error::from_raw_os_error(24);
        let kept = os_error("/proc/net/tcp", io::Error::from_raw_os_error(24));
        assert_eq!((kept.kind(), kept.raw_os_error()), (emfile.kind(), Some(24)));
        // Wrapped by a crate that names the path, as tempfile does.
        let wrapped = io::Error::new(emfile.kind(), Named(io::Error::from_raw_os_error(24)));
        let kept = Error::from(os_error("creating the FIFO directory", wrapped));
        assert_eq!((kept.kind(), io::Error::from(kept).raw_os_error()), (emfile.kind(), Some(24)));
        // Not the OS's: the context stays in the message.
        let ours = os_error("/tmp/x", io::Error::new(io::ErrorKind::NotFound, "gone"));
        assert_eq!((ours.kind(), ours.to_string()), (io::ErrorKind::NotFound, "/tmp/x: gone".to_owned()));
    }

    #[derive(Debug)]
    struct Named(io::Error);

    impl fmt::Display for Named {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "/some/path: {}", self.0)
        }
    }

    impl std::error::Error for Named {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn undelivered_says_how_many_frames_and_bytes_and_keeps_the_kind_of_its_cause() {
        let err = Error::from(SendError::Undelivered {
            undelivered: Undelivered { frames: 2, bytes: 70 },
            // A kind, not an OS code: code 32 is EPIPE on Unix but another error on Windows.
            cause: failure_of_io(&io::Error::new(io::ErrorKind::BrokenPipe, "the peer went away")),
        });
        assert!(matches!(err, Error::Undelivered { frames: 2, bytes: 70, .. }));
        assert!(err.to_string().starts_with("2 messages (70 bytes) were not delivered: "), "{err}");
        assert_eq!(io::Error::from(err).kind(), io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn connect_on_a_connected_pipe_is_a_matchable_invalid_state() {
        let err = Error::from(ConnectError::InvalidState { state: State::Open });
        assert!(matches!(err, Error::InvalidState { state: State::Open }));
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}

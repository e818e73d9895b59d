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
/// # use pipe_tokio::{*, prelude::*};
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
    /// # use pipe_tokio::{*, prelude::*};
    /// let err = Error::NotOurs {
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
    /// An error from the operating system, with its kind and its code as the OS gave them, and
    /// what the pipe was doing, on which path or address, when the library knows it: the
    /// message reads `"{during}: {the OS's message}"` (`/tmp/x/aea_to_process: No such file or
    /// directory (os error 2)`), or the OS's message alone.
    ///
    /// Match the code with [`Error::raw_os_error`] (`Some(EMFILE)`, `Some(ENOENT)`), the kind
    /// with [`Error::kind`] or the `io::Error`'s own `kind()`: they agree. Once converted into
    /// `std::io::Error` it is the OS's error itself, with its kind and code (and the OS's
    /// message alone). When the library said what it was doing, the `io::Error` held here is
    /// the OS's error with those words added: its `raw_os_error()` is `None` (an `io::Error`
    /// holds a code or a message of its own, not both), and its `source()`, like this error's,
    /// is the OS's error with the code. One variant for every OS error, with or without those
    /// words, so that a match on `Error::Io(e)` sees them all.
    ///
    /// A pipe that failed so answers every later call with the same error: this variant, the
    /// same kind, code and message.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[cfg(unix)] {
    /// let enoent = 2;
    /// let mut client = make_pipe_client("/nonexistent/aea_to_process", "/nonexistent/process_to_aea")?;
    /// # let err = doc_block_on(async {
    /// let err = client.connect(std::time::Duration::from_secs(1)).await.unwrap_err();
    /// # err });
    /// assert!(matches!(err, Error::Io(_)), "{err:?}");
    /// assert_eq!(err.to_string(), "/nonexistent/aea_to_process: No such file or directory (os error 2)");
    /// assert_eq!(err.raw_os_error(), Some(enoent));
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// let os = std::io::Error::from(err);
    /// assert_eq!((os.kind(), os.raw_os_error()), (std::io::ErrorKind::NotFound, Some(enoent)));
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
    /// # use pipe_tokio::{*, prelude::*};
    /// assert_eq!(Error::EmptyFrame.kind(), std::io::ErrorKind::InvalidInput);
    /// assert_eq!(Error::PeerClosed.kind(), std::io::ErrorKind::BrokenPipe);
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

    /// The code of an OS error ([`Error::Io`], also as the cause inside
    /// [`Error::Undelivered`]), whether or not its message says what the pipe was doing: the one
    /// place to match `EMFILE` or `ENOENT`. `None` for the library's own errors and for OS
    /// errors without a code. When it is `Some`, [`Error::kind`] is the kind of that code.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    ///
    /// let emfile = std::io::Error::from_raw_os_error(24);
    /// assert_eq!(Error::from(emfile).raw_os_error(), Some(24));
    /// assert_eq!(Error::EmptyFrame.raw_os_error(), None);
    /// ```
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            Error::Io(err) => os_code(err),
            Error::Undelivered { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }
}

/// An OS error with what the pipe was doing when it came, on which path or address: the
/// payload of an [`Error::Io`] whose message says it. Its kind is the OS error's.
#[derive(Debug)]
struct During {
    /// What was being done, on which path or address.
    during: String,
    /// The OS's error: one with its code, or (if the OS gave none) the error as it came.
    source: io::Error,
}

impl fmt::Display for During {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.during, self.source)
    }
}

impl std::error::Error for During {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// What `err` was doing, if the library said.
fn during_of(err: &io::Error) -> Option<&During> {
    err.get_ref().and_then(|inner| inner.downcast_ref::<During>())
}

/// The OS code of `err`, or of the OS error it says what was being done for.
fn os_code(err: &io::Error) -> Option<i32> {
    err.raw_os_error().or_else(|| during_of(err).and_then(|during| during.source.raw_os_error()))
}

/// The OS error `err` itself, with its code and kind, when it carries a code.
fn os_error_itself(err: io::Error) -> io::Error {
    match during_of(&err).and_then(|during| during.source.raw_os_error()) {
        Some(code) => io::Error::from_raw_os_error(code),
        None => err,
    }
}

/// An equal copy of an OS error as [`During`] keeps it (`io::Error` is not `Clone`).
fn copy_of(err: &io::Error) -> io::Error {
    match err.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::new(err.kind(), err.to_string()),
    }
}

/// `err` from `source`, saying what was being done: the message `"{during}: {source}"`, the
/// kind of `source`.
fn with_during(during: String, source: io::Error) -> io::Error {
    io::Error::new(source.kind(), During { during, source })
}

/// What a connect was still waiting for when its timeout passed: the thing the peer never did,
/// with the path or address it should have done it on.
///
/// ```
/// # use pipe_tokio::{*, prelude::*};
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

/// The OS's error `err`, for an [`Error::Io`] that keeps its kind and its code
/// ([`Error::raw_os_error`]) and says `context`: what was being done, on what path or address
/// (the message reads `"{context}: {err}"`). An error that already says what was being done
/// says `"{context}: {what it said}"`; one that wraps the OS's error (as crates that add a path
/// to an error do) keeps the OS's error, with its code.
pub(crate) fn os_error(context: impl fmt::Display, err: io::Error) -> io::Error {
    match during_of(&err) {
        Some(inner) => with_during(format!("{context}: {}", inner.during), copy_of(&inner.source)),
        None => with_during(context.to_string(), unwrapped(err)),
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

/// How the core keeps an OS error: with what was being done, if the library said, so that the
/// error comes back with the same code and the same words.
pub(crate) fn failure_of_io(err: &io::Error) -> Failure {
    match during_of(err) {
        Some(During { during, source }) => {
            Failure::io(source.kind(), source.raw_os_error(), source.to_string()).during(during.as_str())
        }
        None => Failure::io(err.kind(), err.raw_os_error(), err.to_string()),
    }
}

impl From<Failure> for Error {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Timeout(timeout) => Error::Timeout { timeout, waiting_for: None },
            Failure::Decode(err) => err.into(),
            Failure::Io { kind, code, message, during: Some(during) } => {
                let source = match code {
                    Some(code) => io::Error::from_raw_os_error(code),
                    None => io::Error::new(kind, message.to_string()),
                };
                Error::Io(with_during(during.to_string(), source))
            }
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
            Error::Io(err) => os_error_itself(err),
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
    fn an_os_error_given_a_context_keeps_its_kind_and_code_and_says_the_context() {
        let emfile = io::Error::from_raw_os_error(24);
        let kept = Error::from(os_error("/proc/net/tcp", io::Error::from_raw_os_error(24)));
        assert!(matches!(kept, Error::Io(_)), "{kept:?}");
        assert_eq!((kept.kind(), kept.raw_os_error()), (emfile.kind(), Some(24)));
        assert_eq!(kept.to_string(), format!("/proc/net/tcp: {emfile}"));
        let source = std::error::Error::source(&kept).and_then(|s| s.downcast_ref::<io::Error>());
        assert_eq!(source.and_then(io::Error::raw_os_error), Some(24), "the source is the OS's error: {kept:?}");
        let converted = io::Error::from(kept);
        assert_eq!((converted.kind(), converted.raw_os_error()), (emfile.kind(), Some(24)));
        // Wrapped by a crate that names the path, as tempfile does.
        let wrapped = io::Error::new(emfile.kind(), Named(io::Error::from_raw_os_error(24)));
        let kept = Error::from(os_error("creating the FIFO directory", wrapped));
        assert_eq!((kept.kind(), kept.raw_os_error()), (emfile.kind(), Some(24)));
        assert_eq!(kept.to_string(), format!("creating the FIFO directory: {emfile}"));
        assert_eq!(io::Error::from(kept).raw_os_error(), Some(24));
        // Not the OS's: the context is in the message all the same, and the kind kept.
        let ours = Error::from(os_error("/tmp/x", io::Error::new(io::ErrorKind::NotFound, "gone")));
        assert_eq!(
            (ours.kind(), ours.raw_os_error(), ours.to_string()),
            (io::ErrorKind::NotFound, None, "/tmp/x: gone".into())
        );
        let converted = io::Error::from(ours);
        assert_eq!((converted.kind(), converted.to_string()), (io::ErrorKind::NotFound, "/tmp/x: gone".into()));
    }

    #[test]
    fn a_context_given_to_an_error_that_has_one_comes_first() {
        let inner = os_error("/proc/net/tcp", io::Error::from_raw_os_error(24));
        let outer = Error::from(os_error("cannot tell who made the TCP connection from 127.0.0.1:43364", inner));
        assert_eq!(outer.raw_os_error(), Some(24));
        assert_eq!(
            outer.to_string(),
            format!(
                "cannot tell who made the TCP connection from 127.0.0.1:43364: /proc/net/tcp: {}",
                io::Error::from_raw_os_error(24)
            )
        );
    }

    #[test]
    fn an_os_error_with_a_context_round_trips_through_the_core_with_its_code_and_words() {
        let cases = [
            os_error("/tmp/x/aea_to_process", io::Error::from_raw_os_error(2)),
            os_error("/tmp/x", io::Error::new(io::ErrorKind::NotFound, "gone")),
            io::Error::from_raw_os_error(32),
        ];
        for original in cases {
            let original = Error::from(original);
            let again = Error::from(failure_of(&original));
            assert!(matches!(again, Error::Io(_)), "{again:?}");
            assert_eq!(
                (again.kind(), again.raw_os_error(), again.to_string()),
                (original.kind(), original.raw_os_error(), original.to_string())
            );
            let (original, again) = (io::Error::from(original), io::Error::from(again));
            assert_eq!((again.kind(), again.raw_os_error()), (original.kind(), original.raw_os_error()));
        }
    }

    #[test]
    fn a_connection_that_failed_on_an_os_error_answers_it_again_with_its_code_and_words() {
        use pipe_proto::{Config, Connection, Event, Side, Transport};
        use std::time::Instant;

        let mut conn = Connection::new(Transport::Fifo, Side::Client, Config::default());
        conn.connect(Instant::now(), Duration::from_secs(1)).unwrap();
        let first = Error::from(os_error("/tmp/x/aea_to_process", io::Error::from_raw_os_error(2)));
        conn.handle_event(Instant::now(), Event::Failed(failure_of(&first)));
        let later = [
            Error::from(conn.poll_connect().expect("the connect's outcome").unwrap_err()),
            Error::from(conn.failure().expect("the pipe's failure").clone()),
        ];
        for again in later {
            assert!(matches!(again, Error::Io(_)), "{again:?}");
            assert_eq!(
                (again.kind(), again.raw_os_error(), again.to_string()),
                (first.kind(), Some(2), first.to_string())
            );
        }
    }

    #[test]
    fn the_kind_is_that_of_the_os_code_whenever_there_is_one() {
        let os = |code| io::Error::from_raw_os_error(code);
        let errors = [
            Error::from(os(24)),
            Error::from(os_error("/tmp/x", os(2))),
            Error::from(failure_of_io(&os_error("127.0.0.1:9", os(98)))),
            Error::from(SendError::Undelivered {
                undelivered: Undelivered { frames: 1, bytes: 9 },
                cause: failure_of_io(&os_error("/tmp/x", os(32))),
            }),
        ];
        for err in errors {
            let code = err.raw_os_error().expect("an OS code");
            assert_eq!(err.kind(), os(code).kind(), "{err:?}");
        }
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

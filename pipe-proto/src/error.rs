//! Typed errors, one enum per failure domain.
//!
//! Every error says what went wrong with the numbers involved (the declared length and the limit,
//! the bytes expected and received), and converts into [`std::io::Error`] for callers that want one
//! error type across their IO.

use std::io;
use std::time::Duration;

/// A frame could not be encoded; nothing was produced.
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

/// The incoming byte stream is not a valid sequence of frames.
///
/// ```
/// use bytes::BytesMut;
/// use pipe_proto::{DecodeError, FrameDecoder};
///
/// let mut decoder = FrameDecoder::new(1024);
/// let mut buf = BytesMut::from(&[0u8, 0, 0, 10, 1, 2][..]);
/// assert_eq!(decoder.decode(&mut buf), Ok(None)); // waiting for 8 more bytes
/// assert_eq!(decoder.decode_eof(&mut buf), Err(DecodeError::Truncated { expected: 14, received: 6 }));
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
    /// The stream ended inside a frame. Both counts include the 4 header bytes.
    #[error("stream ended in the middle of a frame: expected {expected} bytes, received {received}")]
    Truncated {
        /// Bytes the frame needed (header included; 4 while the header itself was incomplete).
        expected: usize,
        /// Bytes of the frame that arrived before the end.
        received: usize,
    },
}

/// A frame could not be queued for sending.
///
/// ```
/// use pipe_proto::{Config, Connection, SendError, Side, Transport};
///
/// let mut conn = Connection::new(Transport::Tcp, Side::Client, Config::default());
/// assert_eq!(conn.send(bytes::Bytes::from_static(b"x")), Err(SendError::NotConnected));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The frame itself is invalid (empty, or too large).
    #[error(transparent)]
    Frame(#[from] EncodeError),
    /// The pipe has not finished connecting.
    #[error("the pipe is not connected")]
    NotConnected,
    /// This side closed the pipe (or its sending half).
    #[error("the pipe is closed")]
    Closed,
    /// The peer closed the pipe: nothing more will be read there.
    #[error("the peer closed the pipe")]
    PeerClosed,
    /// An earlier IO error broke the pipe.
    #[error("the pipe failed earlier and can no longer send")]
    Failed,
}

/// A frame could not be received.
///
/// ```
/// use pipe_proto::{Config, Connection, RecvError, Side, Transport};
///
/// let mut conn = Connection::new(Transport::Fifo, Side::Channel, Config::default());
/// assert_eq!(conn.poll_recv(), Some(Err(RecvError::NotConnected)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecvError {
    /// The bytes received are not valid frames, or ended mid-frame.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The pipe has not finished connecting.
    #[error("the pipe is not connected")]
    NotConnected,
    /// This side closed the pipe.
    #[error("the pipe is closed")]
    Closed,
    /// An earlier IO error broke the pipe.
    #[error("the pipe failed earlier and can no longer receive")]
    Failed,
}

/// [`Connection::connect`](crate::Connection::connect) could not start, or the connect gave up.
///
/// ```
/// use pipe_proto::ConnectError;
/// use std::time::Duration;
///
/// let err = ConnectError::Timeout { timeout: Duration::from_secs(2) };
/// assert_eq!(err.to_string(), "no peer connected within 2s");
/// assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::TimedOut);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// No peer completed the rendezvous before the deadline.
    #[error("no peer connected within {timeout:?}")]
    Timeout {
        /// The timeout the connect was given.
        timeout: Duration,
    },
    /// The pipe is already connected (or connecting, closing, closed).
    #[error("connect called on a pipe that is {state}")]
    InvalidState {
        /// The state the pipe was in.
        state: crate::State,
    },
}

impl From<EncodeError> for io::Error {
    fn from(err: EncodeError) -> Self {
        io::Error::new(io::ErrorKind::InvalidInput, err)
    }
}

impl From<DecodeError> for io::Error {
    fn from(err: DecodeError) -> Self {
        let kind = match err {
            DecodeError::TooLarge { .. } => io::ErrorKind::InvalidData,
            DecodeError::Truncated { .. } => io::ErrorKind::UnexpectedEof,
        };
        io::Error::new(kind, err)
    }
}

impl From<SendError> for io::Error {
    fn from(err: SendError) -> Self {
        let kind = match err {
            SendError::Frame(_) => io::ErrorKind::InvalidInput,
            SendError::NotConnected => io::ErrorKind::NotConnected,
            SendError::Closed | SendError::PeerClosed | SendError::Failed => io::ErrorKind::BrokenPipe,
        };
        io::Error::new(kind, err)
    }
}

impl From<RecvError> for io::Error {
    fn from(err: RecvError) -> Self {
        match err {
            RecvError::Decode(e) => e.into(),
            RecvError::NotConnected => io::Error::new(io::ErrorKind::NotConnected, err),
            RecvError::Closed | RecvError::Failed => io::Error::new(io::ErrorKind::BrokenPipe, err),
        }
    }
}

impl From<ConnectError> for io::Error {
    fn from(err: ConnectError) -> Self {
        let kind = match err {
            ConnectError::Timeout { .. } => io::ErrorKind::TimedOut,
            ConnectError::InvalidState { .. } => io::ErrorKind::Other,
        };
        io::Error::new(kind, err)
    }
}

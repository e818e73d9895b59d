//! Type-level markers for the transport a [`Pipe`](crate::Pipe) was built for, so that
//! `PosixNamedPipe::new()` and `TcpSocketPipe::new()` are different constructors of one type.

/// Marker: a pipe over two POSIX named pipes (FIFOs). Unix only.
///
/// ```
/// let _ = pipe_io::Fifo;
/// ```
#[cfg(unix)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fifo;

/// Marker: a pipe over one loopback TCP connection.
///
/// ```
/// let _ = pipe_io::Tcp;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tcp;

/// Marker: a pipe whose transport was chosen at run time (the platform default, or either of
/// the others converted with `into()`).
///
/// ```
/// let _ = pipe_io::Portable;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Portable;

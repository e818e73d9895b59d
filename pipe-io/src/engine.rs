//! Frame IO over `futures-io`, written once for every runtime: reading into the core's buffer
//! until it yields a frame, and writing the core's queue until it is drained.
//!
//! Both work on "sides" that the unsplit pipe (a whole [`Connection`]) and the split halves (an
//! [`Inbox`] or [`Outbox`] alone) provide alike.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};
use pipe_proto::{Action, Connection, Event, Inbox, Outbox, Received};

use crate::error::Error;

/// How many slices one vectored write takes at most.
const MAX_WRITE_SLICES: usize = 64;

/// The receiving side of the core.
pub(crate) trait RecvSide {
    fn poll_received(&mut self) -> Option<Result<Received, Error>>;
    fn read_buf(&mut self) -> &mut [u8];
    fn handle_read(&mut self, n: usize);
    fn handle_read_error(&mut self);
}

/// The sending side of the core.
pub(crate) trait SendSide {
    fn poll_action(&mut self) -> Option<Action>;
    fn io_slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize;
    /// The oldest queued bytes as one slice, and whether that is all of them.
    fn front(&self) -> (&[u8], bool);
    fn handle_written(&mut self, n: usize);
    fn handle_write_error(&mut self);
}

impl RecvSide for Connection {
    #[inline(always)]
    fn poll_received(&mut self) -> Option<Result<Received, Error>> {
        self.poll_recv().map(|r| r.map_err(Error::from))
    }
    #[inline]
    fn read_buf(&mut self) -> &mut [u8] {
        Connection::read_buf(self)
    }
    #[inline]
    fn handle_read(&mut self, n: usize) {
        Connection::handle_read(self, n)
    }
    #[inline]
    fn handle_read_error(&mut self) {
        self.handle_event(Instant::now(), Event::Failed)
    }
}

impl RecvSide for Inbox {
    #[inline(always)]
    fn poll_received(&mut self) -> Option<Result<Received, Error>> {
        self.poll_frame().map(|r| r.map_err(Error::from))
    }
    #[inline]
    fn read_buf(&mut self) -> &mut [u8] {
        Inbox::read_buf(self)
    }
    #[inline]
    fn handle_read(&mut self, n: usize) {
        Inbox::handle_read(self, n)
    }
    #[inline]
    fn handle_read_error(&mut self) {}
}

impl SendSide for Connection {
    #[inline]
    fn poll_action(&mut self) -> Option<Action> {
        Connection::poll_action(self)
    }
    #[inline]
    fn io_slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        Connection::io_slices(self, out)
    }
    #[inline]
    fn front(&self) -> (&[u8], bool) {
        SendSide::front(self.outbox())
    }
    #[inline]
    fn handle_written(&mut self, n: usize) {
        Connection::handle_written(self, n)
    }
    #[inline]
    fn handle_write_error(&mut self) {
        self.handle_event(Instant::now(), Event::Failed)
    }
}

impl SendSide for Outbox {
    #[inline]
    fn poll_action(&mut self) -> Option<Action> {
        Outbox::poll_action(self)
    }
    #[inline]
    fn io_slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        Outbox::io_slices(self, out)
    }
    #[inline]
    fn front(&self) -> (&[u8], bool) {
        let front = Outbox::front(self);
        (front, front.len() == self.buffered_len())
    }
    #[inline]
    fn handle_written(&mut self, n: usize) {
        Outbox::advance(self, n)
    }
    #[inline]
    fn handle_write_error(&mut self) {
        self.fail()
    }
}

/// Reads until the core yields a frame (`Some`), the peer's close (`None`) or an error.
///
/// Cancel-safe: every byte read is handed to the core within the same poll, so dropping the
/// future between polls loses nothing; the next call continues the same frame.
pub(crate) fn poll_read_frame<S: RecvSide, E: AsyncRead + Unpin>(
    side: &mut S,
    end: Option<&mut E>,
    cx: &mut Context<'_>,
) -> Poll<Result<Option<Bytes>, Error>> {
    let mut end = end;
    loop {
        match side.poll_received() {
            Some(Ok(Received::Frame(payload))) => return Poll::Ready(Ok(Some(payload))),
            Some(Ok(Received::Closed)) => return Poll::Ready(Ok(None)),
            Some(Err(err)) => return Poll::Ready(Err(err)),
            None => {}
        }
        let Some(end) = end.as_deref_mut() else {
            return Poll::Ready(Err(Error::Closed));
        };
        match ready!(Pin::new(end).poll_read(cx, side.read_buf())) {
            Ok(n) => side.handle_read(n),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => {
                side.handle_read_error();
                return Poll::Ready(Err(Error::Io(err)));
            }
        }
    }
}

/// Writes the core's queue until it is drained, and carries out its close of the write side.
/// `closing` remembers a close that is under way across polls; the write end is dropped once
/// closed.
///
/// Cancel-safe: queued bytes stay queued, and written bytes are reported at once.
pub(crate) fn poll_drive_send<S: SendSide, E: AsyncWrite + Unpin>(
    side: &mut S,
    end: &mut Option<E>,
    closing: &mut bool,
    cx: &mut Context<'_>,
) -> Poll<Result<(), Error>> {
    loop {
        if *closing {
            if let Some(writer) = end.as_mut() {
                let result = ready!(Pin::new(writer).poll_close(cx));
                *end = None;
                *closing = false;
                if let Err(err) = result {
                    log::debug!("closing the write side: {err}");
                }
            }
            *closing = false;
            return Poll::Ready(Ok(()));
        }
        match side.poll_action() {
            Some(Action::Transmit) => {
                let Some(writer) = end.as_mut() else {
                    return Poll::Ready(Err(Error::Closed));
                };
                let result = match side.front() {
                    // Everything queued is one slice (small frames, or the rest of one): a plain
                    // write, without building the slice array.
                    (front, true) => ready!(Pin::new(writer).poll_write(cx, front)),
                    _ => {
                        let mut slices = [IoSlice::new(&[]); MAX_WRITE_SLICES];
                        let count = side.io_slices(&mut slices);
                        ready!(Pin::new(writer).poll_write_vectored(cx, &slices[..count]))
                    }
                };
                match result {
                    Ok(0) => {
                        side.handle_write_error();
                        return Poll::Ready(Err(Error::Io(io::ErrorKind::WriteZero.into())));
                    }
                    Ok(n) => side.handle_written(n),
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => {
                        side.handle_write_error();
                        return Poll::Ready(Err(Error::Io(err)));
                    }
                }
            }
            Some(Action::CloseWrite) => *closing = true,
            Some(other) => log::debug!("ignoring {other:?} on an open pipe"),
            None => {
                if let Some(writer) = end.as_mut() {
                    ready!(Pin::new(writer).poll_flush(cx))?;
                }
                return Poll::Ready(Ok(()));
            }
        }
    }
}

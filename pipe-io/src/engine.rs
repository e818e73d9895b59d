//! Frame IO over `futures-io`, written once for every runtime and every path: the unsplit pipe
//! and the split halves drive the same core halves ([`RecvHalf`], [`SendHalf`]) with these two
//! functions. They carry out the core's actions and report what the OS said; every answer
//! (a frame, the peer's close, a failure, what was not delivered) comes from the core.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};
use pipe_proto::{Received, RecvAction, RecvHalf, SendAction, SendHalf};

use crate::ends::{ReadEnd, WriteEnd};
use crate::error::{failure_of_io, Error};
use crate::runtime::Runtime;

/// How many slices one vectored write takes at most.
const MAX_WRITE_SLICES: usize = 64;

/// Reads until the core yields a frame (`Some`), the peer's close (`None`) or an error.
///
/// Cancel-safe: every byte read is handed to the core within the same poll, so dropping the
/// future between polls loses nothing; the next call continues the same frame.
#[inline]
pub(crate) fn poll_read_frame<R: Runtime>(
    recv: &mut RecvHalf,
    mut end: Option<&mut ReadEnd<R>>,
    cx: &mut Context<'_>,
) -> Poll<Result<Option<Bytes>, Error>> {
    loop {
        match recv.poll_recv() {
            Some(Ok(Received::Frame(payload))) => return Poll::Ready(Ok(Some(payload))),
            Some(Ok(Received::PeerClosed)) => return Poll::Ready(Ok(None)),
            Some(Err(err)) => return Poll::Ready(Err(err.into())),
            None => {}
        }
        // The core wants bytes, so it is connected and not closed: the read end exists.
        let Some(end) = end.as_deref_mut() else {
            return Poll::Ready(Err(Error::NotConnected));
        };
        if let Some(RecvAction::ProbeHangup) = recv.poll_action() {
            match end.probe(recv.read_buf()) {
                Ok(n) => recv.handle_read(n),
                Err(err) if matches!(err.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {
                    recv.handle_read_blocked(Instant::now())
                }
                Err(err) => recv.handle_read_error(failure_of_io(&err)),
            }
            continue;
        }
        match Pin::new(&mut *end).poll_read(cx, recv.read_buf()) {
            Poll::Ready(Ok(n)) => recv.handle_read(n),
            Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::Interrupted => {}
            Poll::Ready(Err(err)) => recv.handle_read_error(failure_of_io(&err)),
            Poll::Pending => {
                recv.handle_read_blocked(Instant::now());
                let Some(at) = recv.poll_timeout() else {
                    return Poll::Pending;
                };
                ready!(end.poll_timer(at, cx));
                recv.handle_timeout(Instant::now());
            }
        }
    }
}

/// Carries out the send half's actions until it has none: writes its queue and closes the write
/// side when it asks (the write end is dropped once closed). The answer (`Ok`, the failure, what
/// was not delivered) is then the core's: [`SendHalf::flush_outcome`] or
/// [`SendHalf::poll_close`].
///
/// Cancel-safe: queued bytes stay queued, written bytes are reported at once, and a close that
/// was under way is handed out again.
#[inline]
pub(crate) fn poll_drive_send<R: Runtime>(
    send: &mut SendHalf,
    end: &mut Option<WriteEnd<R>>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    loop {
        match send.poll_action() {
            Some(SendAction::Transmit) => {
                let Some(writer) = end.as_mut() else {
                    send.handle_write_error(failure_of_io(&io::ErrorKind::NotConnected.into()));
                    continue;
                };
                let result = match send.front() {
                    // Everything queued is one slice (small frames, or the rest of one): a plain
                    // write, without building the slice array.
                    (front, true) => ready!(Pin::new(writer).poll_write(cx, front)),
                    _ => {
                        let mut slices = [IoSlice::new(&[]); MAX_WRITE_SLICES];
                        let count = send.io_slices(&mut slices);
                        ready!(Pin::new(writer).poll_write_vectored(cx, &slices[..count]))
                    }
                };
                match result {
                    Ok(0) => send.handle_write_error(failure_of_io(&io::ErrorKind::WriteZero.into())),
                    Ok(n) => send.handle_written(n),
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => send.handle_write_error(failure_of_io(&err)),
                }
            }
            Some(SendAction::CloseWrite) => {
                let result = match end.as_mut() {
                    Some(writer) => ready!(Pin::new(writer).poll_close(cx)),
                    None => Ok(()),
                };
                *end = None;
                send.handle_close(result.map_err(|err| failure_of_io(&err)));
            }
            None => {
                if let (Some(writer), false) = (end.as_mut(), send.is_failed()) {
                    if let Err(err) = ready!(Pin::new(writer).poll_flush(cx)) {
                        send.handle_write_error(failure_of_io(&err));
                        continue;
                    }
                }
                return Poll::Ready(());
            }
        }
    }
}

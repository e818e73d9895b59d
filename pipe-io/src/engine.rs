//! Frame IO over `futures-io`, written once for every runtime and every path: the unsplit pipe
//! and the split halves drive the same core halves ([`RecvHalf`], [`SendHalf`]) with these two
//! functions. They carry out the core's actions and report what the OS said; every answer
//! (a frame, the peer's close, a failure, what was not delivered) comes from the core.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use std::future::{poll_fn, Future};

use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};
use pipe_proto::{IntoFrame, Received, ReceivedRef, RecvAction, RecvError, RecvHalf, SendAction, SendError, SendHalf};

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
    // Asked once before the loop: the answer is usually there already, and what only the reads
    // need is then not set up for every frame. A message already buffered is the shortest way:
    // `poll_recv` takes it first too, but its answer (a result that may carry a failure) costs
    // about a quarter more per frame in a batch.
    if let Some(payload) = recv.poll_buffered() {
        return Poll::Ready(Ok(Some(payload)));
    }
    if let Some(answer) = recv.poll_recv() {
        return Poll::Ready(owned(answer));
    }
    loop {
        ready!(poll_fill(recv, end.as_deref_mut(), cx))?;
        if let Some(answer) = recv.poll_recv() {
            return Poll::Ready(owned(answer));
        }
    }
}

/// The core's answer as `read` gives it.
#[inline(always)]
fn owned(answer: Result<Received, RecvError>) -> Result<Option<Bytes>, Error> {
    match answer {
        Ok(Received::Frame(payload)) => Ok(Some(payload)),
        Ok(Received::PeerClosed) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// [`poll_read_frame`] with the frame lent in place: `f` is called with it, and its result is
/// the answer (`Some`); the peer's close (`None`) and the errors are the same, from the same
/// core, and the reads are the same ([`poll_fill`]). `f` is taken out of `f_slot` by the poll
/// that completes, and only then.
///
/// Cancel-safe in the same way: a frame is taken from the core and given to `f` in one step, so
/// a future dropped before it completes has taken nothing.
#[inline]
pub(crate) fn poll_read_with<R: Runtime, T, F: FnOnce(&[u8]) -> T>(
    recv: &mut RecvHalf,
    mut end: Option<&mut ReadEnd<R>>,
    cx: &mut Context<'_>,
    f_slot: &mut Option<F>,
) -> Poll<Result<Option<T>, Error>> {
    loop {
        match recv.poll_recv_ref() {
            Some(Ok(ReceivedRef::Frame(payload))) => {
                let f = f_slot.take().expect("a read_with future is not polled after it completed");
                return Poll::Ready(Ok(Some(f(payload))));
            }
            Some(Ok(ReceivedRef::PeerClosed)) => return Poll::Ready(Ok(None)),
            Some(Err(err)) => return Poll::Ready(Err(err.into())),
            None => ready!(poll_fill(recv, end.as_deref_mut(), cx))?,
        }
    }
}

/// [`poll_read_with`] for every message that arrived together: the first answer is the core's
/// as for `read_with` (a frame, the close, an error); after a frame, every whole message already
/// buffered is lent too, without waiting for more, and what follows them (more bytes to wait
/// for, the close, a failure) is left for the next call. The answer is how many messages `f`
/// was given.
///
/// Cancel-safe: `f` is only called by the poll that completes.
#[inline]
pub(crate) fn poll_read_batch_with<R: Runtime, F: FnMut(&[u8])>(
    recv: &mut RecvHalf,
    mut end: Option<&mut ReadEnd<R>>,
    cx: &mut Context<'_>,
    f: &mut F,
) -> Poll<Result<Option<usize>, Error>> {
    loop {
        match recv.poll_recv_ref() {
            Some(Ok(ReceivedRef::Frame(payload))) => {
                f(payload);
                let mut count = 1;
                while let Some(payload) = recv.poll_buffered_ref() {
                    f(payload);
                    count += 1;
                }
                return Poll::Ready(Ok(Some(count)));
            }
            Some(Ok(ReceivedRef::PeerClosed)) => return Poll::Ready(Ok(None)),
            Some(Err(err)) => return Poll::Ready(Err(err.into())),
            None => ready!(poll_fill(recv, end.as_deref_mut(), cx))?,
        }
    }
}

/// What the read loops do while the core has no answer: carry out its hang-up probe, or read
/// once, and report what the OS said. `Ready(Ok)` once the core has news (bytes, the end of the
/// stream, an error, a probe due), so that the caller asks it again; `Pending` while the reader
/// waits.
///
/// Kept out of line: it runs once per read, the loops around it once per frame.
#[inline(never)]
fn poll_fill<R: Runtime>(
    recv: &mut RecvHalf,
    end: Option<&mut ReadEnd<R>>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), Error>> {
    // The core wants bytes, so it is connected and not closed: the read end exists.
    let Some(end) = end else {
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
        return Poll::Ready(Ok(()));
    }
    let read = if R::READS_UNINIT {
        end.poll_read_uninit(cx, &mut recv.read_buf_uninit())
    } else {
        Pin::new(&mut *end).poll_read(cx, recv.read_buf())
    };
    match read {
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
    Poll::Ready(Ok(()))
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

/// The next message as a `Stream` item: the stream ends (`None`) once the peer closed, after a
/// failure was yielded once, and after this side closed.
#[inline]
pub(crate) fn poll_next_message<R: Runtime>(
    recv: &mut RecvHalf,
    end: Option<&mut ReadEnd<R>>,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Bytes, Error>>> {
    if recv.is_finished() {
        return Poll::Ready(None);
    }
    Poll::Ready(ready!(poll_read_frame(recv, end, cx)).transpose())
}

/// Writes what is queued; the answer is the send half's: `Ok`, or its failure.
#[inline]
pub(crate) fn poll_flush<R: Runtime>(
    send: &mut SendHalf,
    end: &mut Option<WriteEnd<R>>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), Error>> {
    ready!(poll_drive_send(send, end, cx));
    Poll::Ready(send.flush_outcome().map_err(Error::from))
}

/// Room for one more message: at once below the high-water mark, else once the queue drained;
/// the answer is the send half's ([`SendHalf::ready_outcome`]): a failed half takes the message
/// too, to keep it, so that the call that hands it over counts it.
#[inline]
pub(crate) fn poll_ready<R: Runtime>(
    send: &mut SendHalf,
    end: &mut Option<WriteEnd<R>>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), Error>> {
    if send.is_ready() {
        return Poll::Ready(Ok(()));
    }
    ready!(poll_drive_send(send, end, cx));
    Poll::Ready(send.ready_outcome().map_err(Error::from))
}

/// Queues `payload` (copied) at the first poll and writes until it is with the OS.
pub(crate) fn write<'a, R: Runtime>(
    send: &'a mut SendHalf,
    end: &'a mut Option<WriteEnd<R>>,
    payload: &'a [u8],
) -> impl Future<Output = Result<(), Error>> + 'a {
    queue_then_flush(send, end, payload, SendHalf::send_slice)
}

/// Queues `payload` (by reference) at the first poll and writes until it is with the OS.
pub(crate) fn write_bytes<'a, R: Runtime>(
    send: &'a mut SendHalf,
    end: &'a mut Option<WriteEnd<R>>,
    payload: Bytes,
) -> impl Future<Output = Result<(), Error>> + 'a {
    queue_then_flush(send, end, payload, SendHalf::send)
}

/// One future that queues `payload` with `queue` at its first poll (nothing is done before it
/// is polled) and then writes until everything queued is with the OS.
#[inline(always)]
fn queue_then_flush<'a, R: Runtime, P: 'a>(
    send: &'a mut SendHalf,
    end: &'a mut Option<WriteEnd<R>>,
    payload: P,
    queue: impl FnOnce(&mut SendHalf, P) -> Result<(), SendError> + 'a,
) -> impl Future<Output = Result<(), Error>> + 'a {
    let mut first = Some((payload, queue));
    poll_fn(move |cx| {
        if let Some((payload, queue)) = first.take() {
            queue(send, payload)?;
        }
        poll_flush(send, end, cx)
    })
}

/// Queues every frame, writing whenever the queue reaches its high-water mark, and writes the
/// rest; stops at the first invalid frame, after writing the ones before it. A write that fails
/// is answered by the core at the next [`SendHalf::continue_from`]: the failed half keeps the
/// rest of the batch, and its answer counts every frame not handed to the OS.
pub(crate) async fn write_batch<R: Runtime, I>(
    send: &mut SendHalf,
    end: &mut Option<WriteEnd<R>>,
    frames: I,
) -> Result<(), Error>
where
    I: IntoIterator,
    I::Item: IntoFrame,
{
    let mut frames = frames.into_iter();
    let mut begun = false;
    loop {
        // Accepted or refused whole: once begun, the peer's close does not stop the batch.
        let queued = if begun { send.continue_from(&mut frames) } else { send.send_from(&mut frames) };
        begun = true;
        match queued {
            Ok(true) => break,
            Ok(false) => {
                // Its failure is the next `send_from`'s answer, with the rest of the batch kept.
                let _ = poll_fn(|cx| poll_flush(send, end, cx)).await;
            }
            Err(err) => {
                // The frames before the invalid one are written now, not with some later write.
                poll_fn(|cx| poll_flush(send, end, cx)).await?;
                return Err(err.into());
            }
        }
    }
    poll_fn(|cx| poll_flush(send, end, cx)).await
}

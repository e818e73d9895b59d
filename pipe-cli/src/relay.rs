//! `channel` and `client`: stdin -> frames, frames -> stdout, each direction ending on its own
//! (as with `nc -N`).
//!
//! Nothing received is lost to an error: whichever side fails, every frame the pipe handed
//! over before the failure is printed (and flushed) before the error is reported.

use std::cell::Cell;
use std::io::IsTerminal;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{FutureExt, SinkExt};
use pipe_tokio::{Error, LocalPortablePipe, PipeReader, PipeWriter};
use tokio::sync::mpsc;

use crate::exit::Failure;
use crate::format::{Format, FrameInput, FrameOutput};
use crate::stats::{eprint_line, Stats};
use crate::stop::Stop;

/// What pipecat says when the peer's close is read while stdin still goes to it.
pub const PEER_CLOSED: &str = "pipecat: the peer closed its side (or exited): nothing more will arrive; \
                               what you send reaches it only if it still reads";

/// Direction indexes in [`Stats`].
pub const SENT: usize = 0;
/// See [`SENT`].
pub const RECEIVED: usize = 1;

/// Relays between stdin/stdout and a connected pipe until both directions have ended: stdin's
/// end closes our sending side, the peer's close ends the printing. The pipe must have been made
/// with `half_close` so that sending goes on after the peer's close.
pub async fn relay(
    pipe: LocalPortablePipe,
    format: Format,
    max_frame_len: usize,
    stats: Arc<Stats>,
) -> Result<(), Failure> {
    let (reader, writer) = pipe.into_split().map_err(|e| Failure::pipe("starting the relay", e))?;
    let input = FrameInput::new(tokio::io::stdin(), format, max_frame_len);
    let output = FrameOutput::on_terminal(tokio::io::stdout(), format, std::io::stdout().is_terminal());
    let sending_open = Cell::new(true);
    let send_failed = Stop::default();
    let sending = async {
        let sent = send(input, writer, &stats, &sending_open).await;
        if sent.is_err() {
            send_failed.stop();
        }
        sent
    };
    let receiving = receive(reader, output, &stats, &sending_open, &send_failed);
    tokio::pin!(sending, receiving);
    tokio::select! {
        received = &mut receiving => match received {
            // The peer closed: sending goes on to the end of stdin.
            Ok(()) => sending.await,
            // The peer died: no waiting for stdin (the stdin read is dropped).
            Err(failure) => Err(failure),
        },
        // A failed send stops the receiving, which prints what had arrived first.
        sent = &mut sending => {
            let received = receiving.await;
            sent.and(received)
        }
    }
}

/// Stdin to the pipe. Frames are read in their own future and handed over through a queue, so
/// that every frame already read goes out in one batch and nothing waits on stdin unsent.
/// `sending_open` turns false once the close has been sent.
async fn send(
    mut input: FrameInput<tokio::io::Stdin>,
    mut writer: PipeWriter,
    stats: &Stats,
    sending_open: &Cell<bool>,
) -> Result<(), Failure> {
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, Failure>>(256);
    let read = async move {
        loop {
            let item = input.next().await.transpose();
            let last = !matches!(item, Some(Ok(_)));
            if let Some(item) = item {
                if tx.send(item).await.is_err() {
                    break;
                }
            }
            if last {
                break;
            }
        }
        // The writer sees the end of the queue; this future stays pending so that the writer's
        // answer is the answer.
        drop(tx);
        std::future::pending::<()>().await;
    };
    let write = async {
        let mut bad_input = None;
        while let Some(mut item) = rx.recv().await {
            loop {
                match item {
                    Ok(frame) => {
                        let len = frame.len();
                        writer.feed(frame).await.map_err(|e| Failure::pipe("sending", e))?;
                        stats.count(SENT, len);
                    }
                    Err(failure) => {
                        bad_input = Some(failure);
                        break;
                    }
                }
                match rx.try_recv() {
                    Ok(next) => item = next,
                    Err(_) => break,
                }
            }
            // The frames read before bad input still go out, then the close.
            SinkExt::<bytes::Bytes>::flush(&mut writer).await.map_err(|e| Failure::pipe("sending", e))?;
            if bad_input.is_some() {
                break;
            }
        }
        let closed = writer.close().await;
        sending_open.set(false);
        let closed = match closed {
            // Messages were lost: the peer went away before taking them.
            Err(err @ Error::Undelivered { .. }) => Err(Failure::pipe("closing", err)),
            // Only the close marker could not go out (the peer has gone already): nothing of
            // ours was lost, and the receiving side says how the peer ended.
            Ok(()) | Err(_) => Ok(()),
        };
        match bad_input {
            Some(failure) => Err(failure),
            None => closed,
        }
    };
    // When the writer fails, the read is dropped: no waiting for stdin to end.
    tokio::select! {
        result = write => result,
        () = read => unreachable!("the read future never ends"),
    }
}

/// The pipe to stdout, flushed whenever no further frame is ready at once, until the peer
/// closes, the pipe fails or `stop` (the sending failed). In each case every frame already
/// received is printed and flushed first; the peer's close is said on stderr when
/// `sending_open`.
async fn receive(
    mut reader: PipeReader,
    mut output: FrameOutput<tokio::io::Stdout>,
    stats: &Stats,
    sending_open: &Cell<bool>,
    stop: &Stop,
) -> Result<(), Failure> {
    let stdout = |e| Failure::io("writing stdout", e);
    loop {
        if stop.is_stopped() {
            return print_received(&mut reader, &mut output, stats).await;
        }
        // `read` is cancel-safe: polling it once, or dropping it in the select, loses nothing.
        let next = match reader.read().now_or_never() {
            Some(next) => next,
            None => {
                output.flush().await.map_err(stdout)?;
                tokio::select! {
                    next = reader.read() => next,
                    () = stop.stopped() => continue,
                }
            }
        };
        match next {
            Ok(Some(frame)) => {
                output.write(&frame).await.map_err(stdout)?;
                stats.count(RECEIVED, frame.len());
            }
            Ok(None) => {
                output.flush().await.map_err(stdout)?;
                if sending_open.get() {
                    eprint_line(PEER_CLOSED);
                }
                return Ok(());
            }
            Err(err) => {
                let failure = Failure::pipe("receiving", err);
                // The frames before the failure are printed first; the failure is the answer.
                let _ = output.flush().await;
                return Err(failure);
            }
        }
    }
}

/// Prints every whole frame already received and not yet printed (the sending failed: its
/// error is the answer, but what had arrived is not dropped with it). Waits for nothing.
async fn print_received(
    reader: &mut PipeReader,
    output: &mut FrameOutput<tokio::io::Stdout>,
    stats: &Stats,
) -> Result<(), Failure> {
    let stdout = |e| Failure::io("writing stdout", e);
    let mut frames = Vec::new();
    // One batch: the frames the pipe holds now, not those the peer goes on sending.
    let _ = reader.read_batch_with(|frame| frames.push(Bytes::copy_from_slice(frame))).now_or_never();
    for frame in frames {
        output.write(&frame).await.map_err(stdout)?;
        stats.count(RECEIVED, frame.len());
    }
    output.flush().await.map_err(stdout)
}

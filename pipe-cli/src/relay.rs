//! `channel` and `client`: stdin -> frames, frames -> stdout, each direction ending on its own
//! (as with `nc -N`).

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{FutureExt, SinkExt};
use pipe_tokio::{Error, LocalPortablePipe, PipeReader, PipeWriter};
use tokio::sync::mpsc;

use crate::exit::Failure;
use crate::format::{Format, FrameInput, FrameOutput};
use crate::stats::Stats;

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
    let output = FrameOutput::new(tokio::io::stdout(), format);
    tokio::try_join!(send(input, writer, &stats), receive(reader, output, &stats)).map(|_| ())
}

/// Stdin to the pipe. Frames are read in their own future and handed over through a queue, so
/// that every frame already read goes out in one batch and nothing waits on stdin unsent.
async fn send(mut input: FrameInput<tokio::io::Stdin>, mut writer: PipeWriter, stats: &Stats) -> Result<(), Failure> {
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
            SinkExt::flush(&mut writer).await.map_err(|e| Failure::pipe("sending", e))?;
            if bad_input.is_some() {
                break;
            }
        }
        let closed = match writer.close().await {
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

/// The pipe to stdout, flushed whenever no further frame is ready at once.
async fn receive(
    mut reader: PipeReader,
    mut output: FrameOutput<tokio::io::Stdout>,
    stats: &Stats,
) -> Result<(), Failure> {
    let stdout = |e| Failure::io("writing stdout", e);
    loop {
        // `read` is cancel-safe: polling it once loses nothing.
        let next = match reader.read().now_or_never() {
            Some(next) => next,
            None => {
                output.flush().await.map_err(stdout)?;
                reader.read().await
            }
        };
        match next.map_err(|e| Failure::pipe("receiving", e))? {
            Some(frame) => {
                output.write(&frame).await.map_err(stdout)?;
                stats.count(RECEIVED, frame.len());
            }
            None => break,
        }
    }
    output.flush().await.map_err(stdout)
}

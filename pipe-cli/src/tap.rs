//! `tap`: a man in the middle that forwards every frame unchanged and logs it.
//!
//! The tap is the channel for one party (the "client", which joins the rendezvous the tap
//! prints) and a client of the other party's rendezvous (the "channel", given with `--to`).
//! When either party closes or dies, the tap closes the other and exits: the AEA rule, where a
//! party whose close was read is done.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pipe_tokio::{Error, LocalPortablePipe, PipeReader, PipeWriter};

use crate::args::CommonArgs;
use crate::clock;
use crate::exit::{Failure, PEER_DIED};
use crate::format::encode_hex;
use crate::rendezvous;
use crate::signal::Signals;
use crate::stats::{eprint_line, Stats};

/// Frames from the party that joined the tap, to the party given with `--to`.
pub const CLIENT_TO_CHANNEL: usize = 0;
/// Frames the other way.
pub const CHANNEL_TO_CLIENT: usize = 1;
/// Direction names, by index.
pub const DIRECTIONS: [&str; 2] = ["client->channel", "channel->client"];
/// Party names, by the index of the direction they send.
const PARTIES: [&str; 2] = ["client", "channel"];
/// How many bytes of each frame the log shows.
const SHOWN: usize = 16;
/// How long closing the other side may take (it may have stopped reading).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the frame log goes.
#[derive(Debug)]
pub enum Log {
    /// Stderr, above the `--stats` line.
    Stderr,
    /// A file, flushed line by line.
    File(BufWriter<File>),
}

impl Log {
    /// The log at `path`, or on stderr.
    pub fn open(path: Option<&Path>) -> Result<Self, Failure> {
        match path {
            None => Ok(Log::Stderr),
            Some(path) => File::create(path)
                .map(|file| Log::File(BufWriter::new(file)))
                .map_err(|e| Failure::io(&format!("creating {}", path.display()), e)),
        }
    }

    fn line(&mut self, text: &str) -> Result<(), Failure> {
        match self {
            Log::Stderr => {
                eprint_line(text);
                Ok(())
            }
            Log::File(file) => {
                writeln!(file, "{text}").and_then(|()| file.flush()).map_err(|e| Failure::io("writing the log", e))
            }
        }
    }

    /// One frame: time, direction, length, the first bytes in hex and as text.
    fn frame(&mut self, dir: usize, frame: &[u8]) -> Result<(), Failure> {
        self.line(&frame_line(&clock::now(), dir, frame))
    }

    fn event(&mut self, text: &str) -> Result<(), Failure> {
        self.line(&format!("{} {text}", clock::now()))
    }
}

/// `TIME DIRECTION LENGTH HEX |TEXT|`, at most [`SHOWN`] bytes of the payload, `...` after
/// them when there is more.
fn frame_line(time: &str, dir: usize, frame: &[u8]) -> String {
    let shown = &frame[..frame.len().min(SHOWN)];
    let text: String =
        shown.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { char::from(b) } else { '.' }).collect();
    let more = if frame.len() > SHOWN { "..." } else { "" };
    format!("{time} {} {} {}{more} |{text}|", DIRECTIONS[dir], frame.len(), encode_hex(shown))
}

/// How one direction of forwarding ended.
enum End {
    /// The sending party closed (its close was read).
    Closed(usize),
    /// The receiving party had closed already (a write was refused with `PeerClosed`).
    ReceiverClosed(usize),
    /// Something failed.
    Failed(Failure),
}

/// Runs the tap until one party closes or dies.
pub async fn tap(
    tcp: bool,
    to: &[String],
    log: Option<&Path>,
    common: &CommonArgs,
    signals: &mut Signals,
) -> Result<(), Failure> {
    let mut log = Log::open(log)?;
    let stats = Stats::new(DIRECTIONS);
    let display = common.stats.then(|| tokio::spawn(Arc::clone(&stats).show(Duration::from_secs(1))));
    let result = signals.interruptible(run(tcp, to, &mut log, common, &stats)).await;
    if let Some(display) = display {
        display.abort();
        stats.finish();
    }
    result
}

async fn run(tcp: bool, to: &[String], log: &mut Log, common: &CommonArgs, stats: &Stats) -> Result<(), Failure> {
    // The AEA's rule on both sides: a party whose close was read is done.
    let config = rendezvous::config(common.max_frame_len, false);
    let mut listen = rendezvous::channel(tcp, config.clone())?;
    let mut other = rendezvous::client(&to[0], &to[1], config)?;
    eprint_line(&rendezvous::client_line(&listen));
    let joining = format!("joining {} {}", to[0], to[1]);
    tokio::try_join!(
        rendezvous::connect(&mut listen, common.timeout, "waiting for the client"),
        rendezvous::connect(&mut other, common.timeout, &joining),
    )?;
    log.event("connected")?;

    let (mut client_reader, mut client_writer) = split(listen, "client")?;
    let (mut channel_reader, mut channel_writer) = split(other, "channel")?;
    let end = {
        let log = RefCell::new(&mut *log);
        // One task, two directions: whichever ends first ends the tap.
        tokio::select! {
            end = forward(&mut client_reader, &mut channel_writer, CLIENT_TO_CHANNEL, &log, stats) => end,
            end = forward(&mut channel_reader, &mut client_writer, CHANNEL_TO_CLIENT, &log, stats) => end,
        }
    };
    let closing = async {
        let (a, b) = tokio::join!(close(&mut channel_writer, "channel"), close(&mut client_writer, "client"));
        a.and(b)
    };
    let closed = tokio::time::timeout(CLOSE_TIMEOUT, closing).await.unwrap_or(Ok(()));
    match end {
        End::Closed(dir) => {
            log.event(&format!("the {} closed; closing the {} and exiting", PARTIES[dir], PARTIES[1 - dir]))?;
            closed
        }
        End::ReceiverClosed(dir) => {
            log.event(&format!("the {} had closed; closing the {} and exiting", PARTIES[1 - dir], PARTIES[dir]))?;
            closed
        }
        End::Failed(failure) => {
            log.event(&format!("{failure}; closing both sides and exiting"))?;
            Err(failure)
        }
    }
}

fn split(pipe: LocalPortablePipe, party: &str) -> Result<(PipeReader, PipeWriter), Failure> {
    pipe.into_split().map_err(|e| Failure::pipe(&format!("the {party}"), e))
}

/// Forwards frames one way until the sender closes or something fails.
async fn forward(
    from: &mut PipeReader,
    to: &mut PipeWriter,
    dir: usize,
    log: &RefCell<&mut Log>,
    stats: &Stats,
) -> End {
    loop {
        let frame = match from.read().await {
            Ok(Some(frame)) => frame,
            Ok(None) => return End::Closed(dir),
            Err(err) => return End::Failed(Failure::pipe(&format!("reading from the {}", PARTIES[dir]), err)),
        };
        if let Err(failure) = log.borrow_mut().frame(dir, &frame) {
            return End::Failed(failure);
        }
        stats.count(dir, frame.len());
        match to.write_bytes(frame).await {
            Ok(()) => {}
            Err(Error::PeerClosed) => return End::ReceiverClosed(dir),
            Err(err) => return End::Failed(Failure::pipe(&format!("sending to the {}", PARTIES[1 - dir]), err)),
        }
    }
}

/// Closes our sending side towards `party`. Only lost messages make it an error: when the
/// party has gone already, its close marker has nowhere to go and nothing else was lost.
async fn close(writer: &mut PipeWriter, party: &str) -> Result<(), Failure> {
    match writer.close().await {
        Err(err @ Error::Undelivered { .. }) => Err(Failure::new(PEER_DIED, format!("closing the {party}: {err}"))),
        Ok(()) | Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_shows_time_direction_length_and_the_first_bytes() {
        let line = frame_line("T", CHANNEL_TO_CLIENT, b"hi\x00");
        assert_eq!(line, "T channel->client 3 686900 |hi.|");
        let long = frame_line("T", CLIENT_TO_CHANNEL, &[b'a'; 20]);
        assert_eq!(long, format!("T client->channel 20 {}... |{}|", "61".repeat(16), "a".repeat(16)));
    }
}

//! `tap`: a man in the middle that forwards every frame unchanged and logs it.
//!
//! The tap is a client of the party already waiting (the "channel", whose rendezvous IN OUT the
//! tap is given) and the channel for the other party (the "client", which joins the rendezvous
//! the tap prints). It joins the channel first and offers its own rendezvous only then, so that
//! nobody can send into a tap that has nowhere to send to.
//!
//! Each direction is forwarded on its own, as the parties would see it without the tap: a
//! party's close (or half-close) is passed on to the other, and the other direction goes on
//! until its sender closes too; the tap exits 0 once both have. When a party dies (its stream
//! cut inside a frame, or reset), the other party's stream is ended and the tap exits 4; when a
//! frame cannot be handed on because its receiver has gone, the tap says how many were lost,
//! stops reading from their sender (whose next write then fails, as it would have) and exits 4.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use pipe_tokio::{Error, LocalPortablePipe, PipeReader, PipeWriter};

use crate::args::CommonArgs;
use crate::clock;
use crate::exit::Failure;
use crate::format::encode_hex;
use crate::rendezvous;
use crate::signal::Signals;
use crate::stats::{eprint_line, Stats};
use crate::stop::Stop;

/// Frames from the party that joined the tap, to the party given with IN OUT.
pub const CLIENT_TO_CHANNEL: usize = 0;
/// Frames the other way.
pub const CHANNEL_TO_CLIENT: usize = 1;
/// Direction names, by index.
pub const DIRECTIONS: [&str; 2] = ["client->channel", "channel->client"];
/// The sending party of each direction.
const SENDERS: [&str; 2] = ["client", "channel"];
/// The receiving party of each direction.
const RECEIVERS: [&str; 2] = ["channel", "client"];
/// How many bytes of each frame the log shows.
const SHOWN: usize = 16;
/// How long the other direction may take to end once one has failed (its receiver may have
/// stopped reading).
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
    /// The sender closed its side and the close was passed on (`false`: the receiver had gone
    /// already, so the close had nowhere to go; nothing was lost).
    Closed { passed_on: bool },
    /// Stopped because the other direction failed, after handing on what had arrived.
    Stopped,
    /// The sender's stream failed (cut inside a frame, reset): the receiver's stream was ended.
    SenderFailed(Failure),
    /// A frame could not be handed to the receiver: it had gone.
    Undelivered(Failure),
    /// The log could not be written.
    LogFailed(Failure),
}

impl End {
    fn failure(self) -> Option<Failure> {
        match self {
            End::Closed { .. } | End::Stopped => None,
            End::SenderFailed(failure) | End::Undelivered(failure) | End::LogFailed(failure) => Some(failure),
        }
    }

    /// What the log says about this end of direction `dir`.
    fn event(&self, dir: usize) -> Option<String> {
        let (sender, receiver) = (SENDERS[dir], RECEIVERS[dir]);
        Some(match self {
            End::Closed { passed_on: true } => {
                format!("the {sender} closed its side; passed the close on to the {receiver}")
            }
            End::Closed { passed_on: false } => {
                format!("the {sender} closed its side; the {receiver} had gone already, nothing was lost")
            }
            End::Stopped => return None,
            End::SenderFailed(failure) => format!("{failure}; ended the {receiver}'s stream"),
            End::Undelivered(failure) => {
                format!("{failure}; the {receiver} has gone: no more is read from the {sender}")
            }
            End::LogFailed(failure) => failure.to_string(),
        })
    }
}

/// What the channel had sent before the client joined (at most one frame is taken early: the
/// rest waits in the OS, as it would for a client that is slow to read).
enum Early {
    Nothing,
    /// A frame, logged and counted already.
    Frame(Bytes),
    /// The channel's close.
    Closed,
}

/// Runs the tap between the party at `to` (IN OUT) and the one that joins it, until both
/// directions have ended. `tcp`: the tap's own rendezvous is TCP.
pub async fn tap(
    to: [&str; 2],
    tcp: bool,
    log: Option<&Path>,
    common: &CommonArgs,
    signals: &mut Signals,
) -> Result<(), Failure> {
    let mut log = Log::open(log)?;
    let stats = Stats::new(DIRECTIONS);
    let display = common.stats.then(|| tokio::spawn(Arc::clone(&stats).show(Duration::from_secs(1))));
    let result = signals.interruptible(run(to, tcp, &mut log, common, &stats)).await;
    if let Some(display) = display {
        display.abort();
        stats.finish();
    }
    result
}

async fn run(to: [&str; 2], tcp: bool, log: &mut Log, common: &CommonArgs, stats: &Stats) -> Result<(), Failure> {
    // Each close is passed on as it comes, so each side must be able to go on after its peer's.
    let config = rendezvous::config(common.max_frame_len, true);
    // The channel first: until it is joined there is nowhere to send, so nobody is offered the
    // tap's rendezvous.
    let mut channel = rendezvous::client(to[0], to[1], config.clone())?;
    rendezvous::connect(&mut channel, common.timeout, &format!("joining {} {}", to[0], to[1])).await?;
    let (mut channel_reader, mut channel_writer) = split(channel, "channel")?;

    let mut client = rendezvous::channel(tcp, config)?;
    eprint_line(&rendezvous::client_line(&client));
    let early = match wait_for_client(&mut client, &mut channel_reader, common.timeout, log, stats).await {
        Ok(early) => early,
        Err(failure) => {
            // Nothing was forwarded: the channel is told that the tap is done.
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, channel_writer.close()).await;
            return Err(failure);
        }
    };
    log.event("connected")?;
    let (client_reader, client_writer) = split(client, "client")?;

    let log = RefCell::new(log);
    let stops = [Stop::default(), Stop::default()];
    let up = forward(client_reader, channel_writer, CLIENT_TO_CHANNEL, Early::Nothing, &log, stats, &stops[0]);
    let down = forward(channel_reader, client_writer, CHANNEL_TO_CLIENT, early, &log, stats, &stops[1]);
    tokio::pin!(up, down);
    let (first_dir, first) = tokio::select! {
        end = &mut up => (CLIENT_TO_CHANNEL, end),
        end = &mut down => (CHANNEL_TO_CLIENT, end),
    };
    let event = |text: &str| log.borrow_mut().event(text);
    if let Some(text) = first.event(first_dir) {
        event(&text)?;
    }
    let second_dir = 1 - first_dir;
    let other = if second_dir == CLIENT_TO_CHANNEL { up } else { down };
    let second = match first.failure() {
        None => other.await,
        Some(failure) => {
            stops[second_dir].stop();
            let second = tokio::time::timeout(CLOSE_TIMEOUT, other).await.unwrap_or(End::Stopped);
            if let Some(text) = second.event(second_dir) {
                event(&text)?;
            }
            event("exiting")?;
            return Err(failure);
        }
    };
    if let Some(text) = second.event(second_dir) {
        event(&text)?;
    }
    match second.failure() {
        Some(failure) => {
            event("exiting")?;
            Err(failure)
        }
        None => event("both sides closed; exiting"),
    }
}

/// Waits for the client to join, watching the channel meanwhile: its first frame or its close
/// is taken (and kept for the client); its failure ends the tap before anyone joined it.
async fn wait_for_client(
    client: &mut LocalPortablePipe,
    channel: &mut PipeReader,
    timeout: Duration,
    log: &mut Log,
    stats: &Stats,
) -> Result<Early, Failure> {
    let connecting = rendezvous::connect(client, timeout, "waiting for the client");
    tokio::pin!(connecting);
    let mut early = Early::Nothing;
    loop {
        tokio::select! {
            connected = &mut connecting => {
                return match connected {
                    Ok(()) => Ok(early),
                    Err(mut failure) => {
                        if matches!(early, Early::Frame(_)) {
                            failure.message.push_str("; the channel's first frame, read meanwhile, was not delivered");
                        }
                        Err(failure)
                    }
                };
            }
            next = channel.read(), if matches!(early, Early::Nothing) => match next {
                Ok(Some(frame)) => {
                    log.frame(CHANNEL_TO_CLIENT, &frame)?;
                    stats.count(CHANNEL_TO_CLIENT, frame.len());
                    early = Early::Frame(frame);
                }
                Ok(None) => {
                    log.event("the channel closed its side before the client joined; the close is passed on when it joins")?;
                    early = Early::Closed;
                }
                Err(err) => return Err(Failure::pipe("reading from the channel before a client joined", err)),
            },
        }
    }
}

fn split(pipe: LocalPortablePipe, party: &str) -> Result<(PipeReader, PipeWriter), Failure> {
    pipe.into_split().map_err(|e| Failure::pipe(&format!("the {party}"), e))
}

/// Forwards direction `dir`, from the sender's reader to the receiver's writer, until the
/// sender closes (the close is passed on), something fails, or `stop`. `early` is what was
/// read before the forwarding started. Dropping `to` without its close ends the receiver's
/// stream; dropping `from` makes the sender's next write fail, as writing to a party that has
/// gone does.
async fn forward(
    mut from: PipeReader,
    mut to: PipeWriter,
    dir: usize,
    early: Early,
    log: &RefCell<&mut Log>,
    stats: &Stats,
    stop: &Stop,
) -> End {
    let mut next = match early {
        Early::Nothing => None,
        Early::Frame(frame) => match hand_on(&mut to, dir, frame).await {
            Ok(()) => None,
            Err(end) => return end,
        },
        Early::Closed => Some(Ok(None)),
    };
    loop {
        let read = match next.take() {
            Some(read) => read,
            None if stop.is_stopped() => return hand_on_received(&mut from, &mut to, dir, log, stats).await,
            None => tokio::select! {
                // `read` is cancel-safe: dropped here, it loses nothing.
                read = from.read() => read,
                () = stop.stopped() => continue,
            },
        };
        match read {
            Ok(Some(frame)) => {
                if let Err(failure) = log.borrow_mut().frame(dir, &frame) {
                    return End::LogFailed(failure);
                }
                stats.count(dir, frame.len());
                if let Err(end) = hand_on(&mut to, dir, frame).await {
                    return end;
                }
            }
            Ok(None) => return pass_close_on(&mut to, dir).await,
            Err(err) => return End::SenderFailed(Failure::pipe(&format!("reading from the {}", SENDERS[dir]), err)),
        }
    }
}

/// Writes one frame to the receiver of `dir`.
async fn hand_on(to: &mut PipeWriter, dir: usize, frame: Bytes) -> Result<(), End> {
    to.write_bytes(frame)
        .await
        .map_err(|err| End::Undelivered(Failure::pipe(&format!("sending to the {}", RECEIVERS[dir]), err)))
}

/// The sender closed its side: the receiver is told the same.
async fn pass_close_on(to: &mut PipeWriter, dir: usize) -> End {
    match to.close().await {
        Ok(()) => End::Closed { passed_on: true },
        // Messages were lost (every write is awaited, so this does not happen; were it to, it
        // would be said).
        Err(err @ Error::Undelivered { .. }) => {
            End::Undelivered(Failure::pipe(&format!("closing the {}", RECEIVERS[dir]), err))
        }
        // Only the close could not go out: the receiver had gone, and nothing else was lost.
        Err(_) => End::Closed { passed_on: false },
    }
}

/// The other direction failed: hands on the frames that had arrived already (and the close, if
/// it came with them), and stops.
async fn hand_on_received(
    from: &mut PipeReader,
    to: &mut PipeWriter,
    dir: usize,
    log: &RefCell<&mut Log>,
    stats: &Stats,
) -> End {
    loop {
        let mut frames = Vec::new();
        let read = from.read_batch_with(|frame| frames.push(Bytes::copy_from_slice(frame))).now_or_never();
        for frame in frames {
            if let Err(failure) = log.borrow_mut().frame(dir, &frame) {
                return End::LogFailed(failure);
            }
            stats.count(dir, frame.len());
            if let Err(end) = hand_on(to, dir, frame).await {
                return end;
            }
        }
        match read {
            Some(Ok(Some(_))) => {}
            Some(Ok(None)) => return pass_close_on(to, dir).await,
            Some(Err(_)) | None => return End::Stopped,
        }
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

//! The plan, carried out the same way over every implementation: the [`Peer`] trait is what an
//! implementation provides, [`channel_session`] and [`client_session`] are the two ends.
//!
//! A throughput run starts when the reader sends a "go" frame (so a writer never starts while
//! the reader is still busy with the previous run) and ends when the frame whose byte 0 is
//! [`LAST`] has arrived; the reader times it on its own clock, from just before the go frame to
//! the receipt of the last frame. The writer starts at once, so the interval is the transfer of
//! all frames plus one one-way latency of the go frame (microseconds, against runs of a tenth of
//! a second or more).

use std::io;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::plan::Run;

/// Byte 0 of an ordinary frame.
pub const DATA: u8 = 0;
/// Byte 0 of the final frame of a run (and of the frame that ends a ping-pong).
pub const LAST: u8 = 1;

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T> = std::result::Result<T, Error>;

/// One connected end of a pipe, whatever implements it.
#[allow(async_fn_in_trait)]
pub trait Peer {
    /// Sends one frame with one write.
    async fn send(&mut self, payload: &Bytes) -> io::Result<()>;
    /// Sends a batch of frames, in as few writes as the implementation manages.
    async fn send_batch(&mut self, payloads: &[Bytes]) -> io::Result<()>;
    /// Sends one large frame.
    async fn send_large(&mut self, payload: &Bytes) -> io::Result<()>;
    /// The next frame, `None` once the peer has closed.
    async fn recv(&mut self) -> io::Result<Option<&[u8]>>;
    /// Sends back every frame received, until one whose byte 0 is [`LAST`].
    async fn echo_until_last(&mut self) -> io::Result<()>;
    /// Receives frames until one whose byte 0 is [`LAST`]: how many, and their bytes. An
    /// implementation overrides it with a plain `while let` loop over its own reads, so that the
    /// benchmark adds nothing of its own between two reads.
    async fn receive_until_last(&mut self) -> io::Result<(u64, u64)> {
        let mut frames = 0u64;
        let mut bytes = 0u64;
        loop {
            let frame = self.recv().await?.ok_or_else(closed)?;
            frames += 1;
            bytes += frame.len() as u64;
            if frame[0] == LAST {
                return Ok((frames, bytes));
            }
        }
    }
    /// [`Peer::send`] `count` times (`large`: [`Peer::send_large`]); overridden like
    /// [`Peer::receive_until_last`].
    async fn send_repeatedly(&mut self, payload: &Bytes, count: u64, large: bool) -> io::Result<()> {
        for _ in 0..count {
            send_one(self, payload, large).await?;
        }
        Ok(())
    }
    /// Closes this end (the peer sees the end of the stream).
    async fn close(&mut self) -> io::Result<()>;
}

/// A payload of `size` bytes with `flag` in byte 0, that lives as long as the process (so
/// cloning its `Bytes` costs nothing).
pub fn static_payload(size: usize, flag: u8) -> Bytes {
    let mut buf = vec![0u8; size];
    buf[0] = flag;
    Bytes::from_static(Vec::leak(buf))
}

fn go_frame() -> Bytes {
    Bytes::from_static(b"go")
}

pub fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "the peer closed in the middle of the plan")
}

/// What the channel measured in one run, printed as a `RESULT` line for the coordinator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    Throughput { frames: u64, bytes: u64, nanos: u64 },
    Rtt { median_ns: u64, p99_ns: u64 },
    Idle { before_kib: u64, after_kib: u64, pipes: usize },
}

impl Outcome {
    pub fn line(&self, index: usize) -> String {
        match *self {
            Outcome::Throughput { frames, bytes, nanos } => format!("RESULT {index} tput {frames} {bytes} {nanos}"),
            Outcome::Rtt { median_ns, p99_ns } => format!("RESULT {index} rtt {median_ns} {p99_ns}"),
            Outcome::Idle { before_kib, after_kib, pipes } => {
                format!("RESULT {index} idle {before_kib} {after_kib} {pipes}")
            }
        }
    }

    /// Parses a `RESULT` line into its run index and outcome.
    pub fn parse(line: &str) -> Option<(usize, Outcome)> {
        let mut words = line.split_whitespace();
        if words.next()? != "RESULT" {
            return None;
        }
        let index = words.next()?.parse().ok()?;
        let kind = words.next()?;
        let nums: Vec<u64> = words.map(|w| w.parse().ok()).collect::<Option<_>>()?;
        let outcome = match (kind, nums.as_slice()) {
            ("tput", &[frames, bytes, nanos]) => Outcome::Throughput { frames, bytes, nanos },
            ("rtt", &[median_ns, p99_ns]) => Outcome::Rtt { median_ns, p99_ns },
            ("idle", &[before_kib, after_kib, pipes]) => Outcome::Idle { before_kib, after_kib, pipes: pipes as usize },
            _ => return None,
        };
        Some((index, outcome))
    }
}

/// Prints a line on stdout at once (the coordinator reads it as it comes).
pub fn emit(line: &str) {
    use std::io::Write;
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The channel (reading, measuring) end of a session: every run of `plan`, then the close.
pub async fn channel_session<P: Peer>(peer: &mut P, plan: &[Run]) -> Result<()> {
    for (index, run) in plan.iter().enumerate() {
        let outcome = match *run {
            Run::Single { .. } | Run::Batch { .. } | Run::Large { .. } => receive_run(peer).await?,
            Run::Rtt { rounds, size, limit_ms } => ping_pong(peer, rounds, size, limit_ms).await?,
            Run::Idle { .. } => return Err("idle runs have a session of their own".into()),
        };
        emit(&outcome.line(index));
    }
    peer.close().await?;
    Ok(())
}

/// The client (writing, echoing) end of a session: every run of `plan`, then waits for the
/// channel's close and closes too.
pub async fn client_session<P: Peer>(peer: &mut P, plan: &[Run]) -> Result<()> {
    for run in plan {
        match *run {
            Run::Single { frames, size, limit_ms } => {
                await_go(peer).await?;
                send_run(peer, frames, size, 1, limit_ms).await?;
            }
            Run::Batch { frames, size, batch, limit_ms } => {
                await_go(peer).await?;
                send_run(peer, frames, size, batch, limit_ms).await?;
            }
            Run::Large { frames, size, limit_ms } => {
                await_go(peer).await?;
                send_run(peer, frames, size, 0, limit_ms).await?;
            }
            Run::Rtt { .. } => peer.echo_until_last().await?,
            Run::Idle { .. } => return Err("idle runs have a session of their own".into()),
        }
    }
    while peer.recv().await?.is_some() {}
    peer.close().await?;
    Ok(())
}

async fn await_go<P: Peer>(peer: &mut P) -> io::Result<()> {
    match peer.recv().await? {
        Some(b"go") => Ok(()),
        Some(other) => Err(io::Error::other(format!("expected a go frame, got {} bytes", other.len()))),
        None => Err(closed()),
    }
}

/// Sends the go frame and receives the run.
async fn receive_run<P: Peer>(peer: &mut P) -> io::Result<Outcome> {
    let started = Instant::now();
    peer.send(&go_frame()).await?;
    let (frames, bytes) = peer.receive_until_last().await?;
    let nanos = (started.elapsed().as_nanos() as u64).max(1);
    Ok(Outcome::Throughput { frames, bytes, nanos })
}

/// Sends `frames` frames of `size` bytes: one `send` each (`batch == 1`), batches of `batch`
/// (`batch > 1`) or one `send_large` each (`batch == 0`). With `limit_ms`, the run ends early
/// once that much time has passed (checked every 64 frames).
async fn send_run<P: Peer>(peer: &mut P, frames: u64, size: usize, batch: usize, limit_ms: u64) -> io::Result<()> {
    let normal = static_payload(size, DATA);
    let last = static_payload(size, LAST);
    let deadline = (limit_ms > 0).then(|| Instant::now() + Duration::from_millis(limit_ms));
    let past_deadline = |sent: u64| deadline.is_some_and(|d| sent % 64 == 0 && Instant::now() >= d);
    if batch > 1 {
        let mut work = vec![normal.clone(); batch];
        let mut sent = 0u64;
        loop {
            let remaining = frames - sent;
            let k = (batch as u64).min(remaining) as usize;
            let final_batch = remaining <= batch as u64 || deadline.is_some_and(|d| Instant::now() >= d);
            if final_batch {
                work.truncate(k);
                work[k - 1] = last.clone();
            }
            peer.send_batch(&work).await?;
            if final_batch {
                return Ok(());
            }
            sent += k as u64;
        }
    }
    let large = batch == 0;
    if deadline.is_none() {
        peer.send_repeatedly(&normal, frames - 1, large).await?;
        return send_one(peer, &last, large).await;
    }
    for sent in 0..frames {
        if sent + 1 == frames || past_deadline(sent) {
            return send_one(peer, &last, large).await;
        }
        send_one(peer, &normal, large).await?;
    }
    Ok(())
}

async fn send_one<P: Peer + ?Sized>(peer: &mut P, payload: &Bytes, large: bool) -> io::Result<()> {
    if large {
        peer.send_large(payload).await
    } else {
        peer.send(payload).await
    }
}

/// `rounds` round trips of a `size`-byte frame (fewer if `limit_ms` passes first), then the
/// frame that ends the peer's echo loop.
async fn ping_pong<P: Peer>(peer: &mut P, rounds: u64, size: usize, limit_ms: u64) -> io::Result<Outcome> {
    let ping = static_payload(size, DATA);
    let started = Instant::now();
    let mut samples = Vec::with_capacity(rounds as usize);
    for round in 0..rounds {
        let t = Instant::now();
        peer.send(&ping).await?;
        peer.recv().await?.ok_or_else(closed)?;
        samples.push(t.elapsed().as_nanos() as u64);
        if limit_ms > 0 && round % 64 == 63 && started.elapsed().as_millis() as u64 >= limit_ms {
            break;
        }
    }
    peer.send(&static_payload(size, LAST)).await?;
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Ok(Outcome::Rtt { median_ns: at(0.5), p99_ns: at(0.99) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_round_trip() {
        for outcome in [
            Outcome::Throughput { frames: 3, bytes: 192, nanos: 1000 },
            Outcome::Rtt { median_ns: 10, p99_ns: 20 },
            Outcome::Idle { before_kib: 1, after_kib: 2, pipes: 3 },
        ] {
            assert_eq!(Outcome::parse(&outcome.line(7)), Some((7, outcome)));
        }
    }
}

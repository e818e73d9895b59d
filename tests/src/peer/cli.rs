//! The command line of `pipe-peer`, parsed by hand (the same flags as `aea_peer.py`, plus a few).

use std::fmt;
use std::time::Duration;

/// Which async runtime runs the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeName {
    /// `pipe-tokio` on a current-thread tokio runtime.
    Tokio,
    /// `pipe-smol` under `smol::block_on`.
    Smol,
    /// `pipe-async-std` under `async_std::task::block_on`.
    AsyncStd,
}

impl RuntimeName {
    /// Every runtime, in the order the tests name them.
    pub const ALL: [RuntimeName; 3] = [RuntimeName::Tokio, RuntimeName::Smol, RuntimeName::AsyncStd];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            RuntimeName::Tokio => "tokio",
            RuntimeName::Smol => "smol",
            RuntimeName::AsyncStd => "async-std",
        }
    }
}

impl fmt::Display for RuntimeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which end of the rendezvous the peer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Creates the rendezvous and prints `READY <in> <out>`.
    Channel,
    /// Joins a rendezvous given by `--in-path` and `--out-path` (already swapped).
    Client,
}

/// Which transport the peer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportName {
    /// Two POSIX named pipes.
    Fifo,
    /// One loopback TCP connection.
    Tcp,
}

impl TransportName {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportName::Fifo => "fifo",
            TransportName::Tcp => "tcp",
        }
    }
}

impl fmt::Display for TransportName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the peer does once connected; see [`crate::peer`] for each mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Echo every frame until the peer closes, then close.
    Echo,
    /// Send the frames, read the echoes concurrently and check them, then close first.
    Send,
    /// Read `--count` frames, then close first.
    RecvThenClose,
    /// Send the frames, then read until the peer closes, then close.
    SendThenWait,
    /// Write a cut frame with a raw writer, linger, exit without closing.
    Partial,
    /// Send and receive the scripted frames at the same time, then close first and wait for the
    /// peer's close.
    ExchangeThenClose,
    /// Send and receive the scripted frames at the same time, then wait for the peer's close and
    /// close.
    ExchangeThenWait,
    /// Send frames until killed or until a write fails.
    SendForever,
    /// Connect, read nothing, sleep for `--timeout`, then close.
    Hold,
    /// Send `--count` freshly allocated frames through the `Sink` API, then close.
    Stream,
    /// Read and check frames until the peer closes, sleeping `--delay-ms` after each.
    Drain,
    /// Write `--sizes N` pseudo-random bytes with a raw writer, then linger.
    Random,
    /// Run `--count` create-connect-close cycles of a channel and a client in this process and
    /// report leaked descriptors, threads and FIFO directories.
    Cycles,
    /// Hold a bare TCP connection to the channel, sending nothing, until the channel closes it.
    RawHold,
    /// Read sequence frames (see [`super::frames::Payloads::sequenced`]) until the peer closes,
    /// checking that each is whole and follows the one before, then report the first and last
    /// sequence numbers and the count, and close.
    Sequence,
}

impl Mode {
    const NAMES: [(&'static str, Mode); 15] = [
        ("echo", Mode::Echo),
        ("send", Mode::Send),
        ("recv-then-close", Mode::RecvThenClose),
        ("send-then-wait", Mode::SendThenWait),
        ("partial", Mode::Partial),
        ("exchange-then-close", Mode::ExchangeThenClose),
        ("exchange-then-wait", Mode::ExchangeThenWait),
        ("send-forever", Mode::SendForever),
        ("hold", Mode::Hold),
        ("stream", Mode::Stream),
        ("drain", Mode::Drain),
        ("random", Mode::Random),
        ("cycles", Mode::Cycles),
        ("raw-hold", Mode::RawHold),
        ("sequence", Mode::Sequence),
    ];

    fn parse(text: &str) -> Option<Mode> {
        Self::NAMES.iter().find(|(name, _)| *name == text).map(|(_, mode)| *mode)
    }

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        Self::NAMES.iter().find(|(_, mode)| *mode == self).map(|(name, _)| *name).unwrap_or("?")
    }
}

/// The parsed command line.
#[derive(Debug, Clone)]
pub struct Args {
    /// `--runtime`.
    pub runtime: RuntimeName,
    /// `--role`.
    pub role: Role,
    /// `--transport`.
    pub transport: TransportName,
    /// `--in-path` (client only).
    pub in_path: Option<String>,
    /// `--out-path` (client only).
    pub out_path: Option<String>,
    /// `--mode`.
    pub mode: Mode,
    /// `--timeout` (default 10 s): bounds every wait.
    pub timeout: Duration,
    /// `--sizes` (comma-separated frame sizes, repeated up to `--count`).
    pub sizes: Option<Vec<usize>>,
    /// `--count`.
    pub count: Option<usize>,
    /// `--max-frame-len` (default: the library's default).
    pub max_frame_len: usize,
    /// `--delay-ms`: `drain` sleeps this long after each frame.
    pub delay: Duration,
    /// `--linger` seconds: how long `partial` and `random` keep the connection before exiting.
    pub linger: Option<Duration>,
    /// `--seed`: for `random`.
    pub seed: u64,
    /// `--report-mem`: print `MEM` lines (VmRSS, VmHWM) after connecting and at the end.
    pub report_mem: bool,
    /// `--rejoin`: `sequence` on the channel side reconnects once its first client has closed,
    /// and reads a second sequence from the next client.
    pub rejoin: bool,
}

/// The usage text.
pub const USAGE: &str = "usage: pipe-peer --runtime tokio|smol|async-std --role channel|client --transport fifo|tcp
                 [--in-path P --out-path P] --mode MODE [--timeout S] [--sizes a,b,c] [--count N]
                 [--max-frame-len N] [--delay-ms N] [--linger S] [--seed N] [--report-mem] [--rejoin]
modes: echo send recv-then-close send-then-wait partial exchange-then-close exchange-then-wait
       send-forever hold stream drain random cycles raw-hold sequence";

impl Args {
    /// Parses the arguments after the program name.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Args, String> {
        let mut runtime = None;
        let mut role = None;
        let mut transport = None;
        let mut mode = None;
        let mut parsed = Args {
            runtime: RuntimeName::Tokio,
            role: Role::Channel,
            transport: TransportName::Fifo,
            in_path: None,
            out_path: None,
            mode: Mode::Echo,
            timeout: Duration::from_secs(10),
            sizes: None,
            count: None,
            max_frame_len: pipe_io::DEFAULT_MAX_FRAME_LEN,
            delay: Duration::ZERO,
            linger: None,
            seed: 1,
            report_mem: false,
            rejoin: false,
        };
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            if flag == "--report-mem" {
                parsed.report_mem = true;
                continue;
            }
            if flag == "--rejoin" {
                parsed.rejoin = true;
                continue;
            }
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--runtime" => {
                    runtime = Some(match value.as_str() {
                        "tokio" => RuntimeName::Tokio,
                        "smol" => RuntimeName::Smol,
                        "async-std" => RuntimeName::AsyncStd,
                        _ => return Err(format!("unknown runtime {value:?}")),
                    })
                }
                "--role" => {
                    role = Some(match value.as_str() {
                        "channel" => Role::Channel,
                        "client" => Role::Client,
                        _ => return Err(format!("unknown role {value:?}")),
                    })
                }
                "--transport" => {
                    transport = Some(match value.as_str() {
                        "fifo" => TransportName::Fifo,
                        "tcp" => TransportName::Tcp,
                        _ => return Err(format!("unknown transport {value:?}")),
                    })
                }
                "--mode" => mode = Some(Mode::parse(&value).ok_or_else(|| format!("unknown mode {value:?}"))?),
                "--in-path" => parsed.in_path = Some(value),
                "--out-path" => parsed.out_path = Some(value),
                "--timeout" => parsed.timeout = seconds(&flag, &value)?,
                "--linger" => parsed.linger = Some(seconds(&flag, &value)?),
                "--sizes" => {
                    let sizes = value
                        .split(',')
                        .map(|s| s.trim().parse::<usize>())
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|_| format!("--sizes takes comma-separated integers, not {value:?}"))?;
                    if sizes.is_empty() || sizes.iter().any(|&s| s > u32::MAX as usize) {
                        return Err(format!("--sizes must be in 0..2^32-1: {value:?}"));
                    }
                    parsed.sizes = Some(sizes);
                }
                "--count" => parsed.count = Some(integer(&flag, &value)?),
                "--max-frame-len" => parsed.max_frame_len = integer(&flag, &value)?,
                "--delay-ms" => parsed.delay = Duration::from_millis(integer(&flag, &value)? as u64),
                "--seed" => parsed.seed = integer(&flag, &value)? as u64,
                _ => return Err(format!("unknown flag {flag:?}")),
            }
        }
        parsed.runtime = runtime.ok_or("--runtime is required")?;
        parsed.role = role.ok_or("--role is required")?;
        parsed.transport = transport.ok_or("--transport is required")?;
        parsed.mode = mode.ok_or("--mode is required")?;
        match parsed.role {
            Role::Client if parsed.mode != Mode::Cycles && (parsed.in_path.is_none() || parsed.out_path.is_none()) => {
                return Err("--role client needs --in-path and --out-path".into())
            }
            Role::Channel if parsed.in_path.is_some() || parsed.out_path.is_some() => {
                return Err("--role channel creates its own paths: drop --in-path/--out-path".into())
            }
            _ => {}
        }
        if matches!(parsed.mode, Mode::RecvThenClose | Mode::Stream | Mode::Cycles) && parsed.count.is_none() {
            return Err(format!("--mode {} needs --count", parsed.mode.as_str()));
        }
        Ok(parsed)
    }

    /// The frame sizes, repeated up to `--count` (default: one frame per size; default sizes
    /// `1,100,1000`, as the Python peer).
    pub fn frame_sizes(&self) -> Vec<usize> {
        let sizes = self.sizes.clone().unwrap_or_else(|| vec![1, 100, 1000]);
        let count = self.count.unwrap_or(sizes.len());
        (0..count).map(|k| sizes[k % sizes.len()]).collect()
    }
}

fn seconds(flag: &str, value: &str) -> Result<Duration, String> {
    match value.parse::<f64>() {
        Ok(s) if s > 0.0 && s.is_finite() => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("{flag} takes a positive number of seconds, not {value:?}")),
    }
}

fn integer(flag: &str, value: &str) -> Result<usize, String> {
    value.parse::<usize>().map_err(|_| format!("{flag} takes a non-negative integer, not {value:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Args, String> {
        Args::parse(line.split_whitespace().map(String::from))
    }

    #[test]
    fn a_client_needs_both_paths() {
        assert!(parse("--runtime smol --role client --transport tcp --mode echo --in-path 1").is_err());
        let args = parse("--runtime smol --role client --transport tcp --mode echo --in-path 1 --out-path 1").unwrap();
        assert_eq!(args.runtime, RuntimeName::Smol);
        assert_eq!(args.in_path.as_deref(), Some("1"));
    }

    #[test]
    fn sizes_repeat_up_to_count() {
        let args = parse("--runtime tokio --role channel --transport fifo --mode send --sizes 1,2 --count 5").unwrap();
        assert_eq!(args.frame_sizes(), vec![1, 2, 1, 2, 1]);
    }

    #[test]
    fn every_mode_name_round_trips() {
        for (name, mode) in Mode::NAMES {
            assert_eq!(Mode::parse(name), Some(mode));
            assert_eq!(mode.as_str(), name);
        }
    }
}

//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::format::Format;

/// The exit code table, as a literal so that every help text can end with it.
macro_rules! exit_codes {
    () => {
        "

Exit codes:
  0    clean close: both directions ended
  1    any other error (stdin, stdout, the log file, the OS)
  2    bad command line
  3    timeout: no peer connected within --timeout
  4    the peer died (stream cut inside a frame, connection reset, messages undeliverable)
  5    bad input: a frame over --max-frame-len, malformed --wire/--hex/--json input
  130  interrupted (Ctrl-C)
  143  terminated (SIGTERM)"
    };
}

const MAIN_HELP: &str = concat!(
    "\
Examples:
  Terminal 1:  pipecat channel
               (prints: pipecat client /tmp/.../aea_to_process /tmp/.../process_to_aea)
  Terminal 2:  pipecat client /tmp/.../aea_to_process /tmp/.../process_to_aea
  Record:      pipecat client IN OUT --wire < /dev/null > frames.bin
  Replay:      pipecat channel --wire < frames.bin
  Tap:         pipecat tap --listen --to IN OUT --log tap.log",
    exit_codes!()
);

/// pipecat: open, join, relay and tap a live AEA pipe (u32 big-endian length + payload, over
/// FIFOs or loopback TCP).
#[derive(Debug, Parser)]
#[command(name = "pipecat", version, about, after_help = MAIN_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a rendezvous, wait for the peer, relay stdin and stdout.
    ///
    /// Prints on stderr the line the other side runs (`pipecat client IN OUT`), waits for the
    /// peer, then relays: stdin -> frames, frames -> stdout.
    #[command(after_help = CHANNEL_HELP)]
    Channel {
        /// Loopback TCP instead of FIFOs.
        #[arg(long)]
        tcp: bool,
        /// Format, limits, timeout, stats.
        #[command(flatten)]
        relay: RelayArgs,
    },
    /// Join a rendezvous, relay stdin and stdout.
    ///
    /// Joins a rendezvous made by `pipecat channel`, by the pipe library or by a Python AEA, then
    /// relays as `channel` does. IN and OUT are the client's paths, already swapped (IN is the
    /// channel's OUT); for TCP both are the port (or host:port).
    #[command(after_help = CLIENT_HELP)]
    Client {
        /// Where the client reads (the channel's out path), or the TCP port.
        #[arg(value_name = "IN")]
        in_path: String,
        /// Where the client writes (the channel's in path), or the TCP port.
        #[arg(value_name = "OUT")]
        out_path: String,
        /// Format, limits, timeout, stats.
        #[command(flatten)]
        relay: RelayArgs,
    },
    /// Sit between two parties, forward and log every frame.
    ///
    /// Creates a channel for one side (printing its client line), joins
    /// the other side's rendezvous as a client, forwards every frame both ways unchanged and logs
    /// each one. When one side closes or dies, closes the other and exits.
    #[command(after_help = TAP_HELP)]
    Tap {
        /// Create the channel the first party joins (required: the tap always listens).
        #[arg(long, required = true)]
        listen: bool,
        /// The listening side uses loopback TCP instead of FIFOs.
        #[arg(long)]
        tcp: bool,
        /// The rendezvous of the second party, as its client would be given it: IN OUT.
        #[arg(long, num_args = 2, value_names = ["IN", "OUT"], required = true)]
        to: Vec<String>,
        /// Write the frame log to FILE instead of stderr.
        #[arg(long, value_name = "FILE")]
        log: Option<PathBuf>,
        /// Limits, timeout, stats.
        #[command(flatten)]
        common: CommonArgs,
    },
}

const CHANNEL_HELP: &str = concat!(
    "\
Example:
  Terminal 1:  printf 'hello\\nworld\\n' | pipecat channel --tcp
               (prints on stderr: pipecat client 40123 40123)
  Terminal 2:  pipecat client 40123 40123 < /dev/null
               (prints: hello, world; both exit 0)

Each direction ends on its own, as with `nc -N`: at the end of stdin the sending side is closed
(the peer sees the close) and frames keep being printed until the peer closes its side too.",
    exit_codes!()
);

const CLIENT_HELP: &str = concat!(
    "\
Example:
  pipecat client /tmp/pipe-x/aea_to_process /tmp/pipe-x/process_to_aea --hex
  pipecat client 40123 40123 --json < /dev/null      # TCP: print everything the channel sends",
    exit_codes!()
);

const TAP_HELP: &str = concat!(
    "\
Example:
  Terminal 1 (the node):   pipecat channel
                           (prints: pipecat client /tmp/a/aea_to_process /tmp/a/process_to_aea)
  Terminal 2 (the tap):    pipecat tap --listen --to /tmp/a/aea_to_process /tmp/a/process_to_aea
                           (prints: pipecat client /tmp/b/aea_to_process /tmp/b/process_to_aea)
  Terminal 3 (the agent):  pipecat client /tmp/b/aea_to_process /tmp/b/process_to_aea

Log lines: TIME DIRECTION LENGTH FIRST-BYTES, where DIRECTION is `client->channel` (from the
party that joined the tap to the one given with --to) or `channel->client`.",
    exit_codes!()
);

/// Options of `channel` and `client`.
#[derive(Debug, Args)]
pub struct RelayArgs {
    /// How frames are read from stdin and written to stdout.
    #[command(flatten)]
    pub format: FormatArgs,
    /// Limits, timeout, stats.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Options every command has.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// How long to wait for the peer to connect, in seconds (0: forever).
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_timeout)]
    pub timeout: Duration,
    /// The largest frame sent or accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = pipe_tokio::DEFAULT_MAX_FRAME_LEN, value_parser = parse_max_frame_len)]
    pub max_frame_len: usize,
    /// Show frames/s and bytes/s on stderr while running, and a summary at exit.
    #[arg(long)]
    pub stats: bool,
}

/// The format flags, at most one of them.
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct FormatArgs {
    /// One frame per line, the newline not sent; each received frame printed with a newline
    /// (the default). Empty lines are skipped: the wire has no empty message.
    #[arg(long)]
    pub lines: bool,
    /// One frame per line in hexadecimal (spaces allowed in input).
    #[arg(long)]
    pub hex: bool,
    /// One JSON object per frame: {"direction","time","length","payload","encoding"}, the payload
    /// as UTF-8 text where it is, base64 otherwise; input needs only "payload" (and "encoding"
    /// when it is "base64").
    #[arg(long)]
    pub json: bool,
    /// The length-prefixed bytes as on the wire (u32 big-endian length + payload), so that a
    /// recording can be replayed with `--wire < file`.
    #[arg(long)]
    pub wire: bool,
}

impl FormatArgs {
    /// The chosen format.
    pub fn format(&self) -> Format {
        if self.hex {
            Format::Hex
        } else if self.json {
            Format::Json
        } else if self.wire {
            Format::Wire
        } else {
            Format::Lines
        }
    }
}

/// Forever, as far as a connect deadline goes.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

fn parse_timeout(text: &str) -> Result<Duration, String> {
    let secs: f64 = text.parse().map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("{text:?} is not a number of seconds >= 0"));
    }
    if secs == 0.0 {
        return Ok(FOREVER);
    }
    Ok(Duration::from_secs_f64(secs).min(FOREVER))
}

fn parse_max_frame_len(text: &str) -> Result<usize, String> {
    let len: usize = text.parse().map_err(|_| format!("{text:?} is not a number of bytes"))?;
    if len == 0 || len > u32::MAX as usize {
        return Err(format!("the maximum frame length must be between 1 and {}", u32::MAX));
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn timeouts_are_seconds_and_zero_is_forever() {
        assert_eq!(parse_timeout("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_timeout("0"), Ok(FOREVER));
        assert!(parse_timeout("-1").is_err());
        assert!(parse_timeout("soon").is_err());
    }

    #[test]
    fn at_most_one_format() {
        assert!(Cli::try_parse_from(["pipecat", "channel", "--hex", "--json"]).is_err());
        let cli = Cli::try_parse_from(["pipecat", "client", "a", "b", "--wire"]).unwrap();
        let Command::Client { relay, .. } = cli.command else { panic!("not a client") };
        assert_eq!(relay.format.format(), Format::Wire);
    }

    #[test]
    fn tap_needs_listen_and_two_paths() {
        assert!(Cli::try_parse_from(["pipecat", "tap", "--to", "a", "b"]).is_err());
        assert!(Cli::try_parse_from(["pipecat", "tap", "--listen", "--to", "a"]).is_err());
        assert!(Cli::try_parse_from(["pipecat", "tap", "--listen", "--to", "a", "b"]).is_ok());
    }
}

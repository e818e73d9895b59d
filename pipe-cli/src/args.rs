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
  Tap:         pipecat tap IN OUT --log tap.log",
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
        #[arg(value_name = "IN", value_parser = rendezvous_arg)]
        in_path: String,
        /// Where the client writes (the channel's in path), or the TCP port.
        #[arg(value_name = "OUT", value_parser = rendezvous_arg)]
        out_path: String,
        /// Format, limits, timeout, stats.
        #[command(flatten)]
        relay: RelayArgs,
    },
    /// Sit between two parties, forward and log every frame.
    ///
    /// Joins the rendezvous IN OUT of the party already waiting (as its client would), then
    /// creates a rendezvous for the other party, printing its client line; forwards every
    /// frame both ways unchanged and logs each one. A close is passed on, each way; when a
    /// party dies, the other's stream is ended and the tap exits 4.
    #[command(after_help = TAP_HELP, override_usage = "pipecat tap [OPTIONS] <IN> <OUT>")]
    Tap {
        /// Where the tap reads from the waiting party (its channel's out path), or the TCP port.
        #[arg(value_name = "IN", required_unless_present = "to", value_parser = rendezvous_arg)]
        in_path: Option<String>,
        /// Where the tap writes to the waiting party (its channel's in path), or the TCP port.
        #[arg(value_name = "OUT", requires = "in_path", value_parser = rendezvous_arg)]
        out_path: Option<String>,
        /// The same as IN OUT (the older spelling).
        #[arg(long, num_args = 2, value_names = ["IN", "OUT"], hide = true, conflicts_with = "in_path", value_parser = rendezvous_arg)]
        to: Option<Vec<String>>,
        /// Accepted and ignored (the older spelling): the tap always creates a rendezvous.
        #[arg(long, hide = true)]
        listen: bool,
        /// The tap's own rendezvous is loopback TCP (default: the transport of IN OUT).
        #[arg(long, conflicts_with = "fifo")]
        tcp: bool,
        /// The tap's own rendezvous is a pair of FIFOs (default: the transport of IN OUT).
        #[arg(long)]
        fifo: bool,
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
  Terminal 2 (the tap):    pipecat tap /tmp/a/aea_to_process /tmp/a/process_to_aea
                           (joins the node, then prints:
                            pipecat client /tmp/b/aea_to_process /tmp/b/process_to_aea)
  Terminal 3 (the agent):  pipecat client /tmp/b/aea_to_process /tmp/b/process_to_aea

The tap joins IN OUT first and offers its own rendezvous only then, over the same transport
unless --tcp or --fifo says otherwise. Log lines: TIME DIRECTION LENGTH FIRST-BYTES, where
DIRECTION is `client->channel` (from the party that joined the tap to the one at IN OUT) or
`channel->client`.",
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

/// A rendezvous argument (IN or OUT): a TCP address or a FIFO path, as the pipe library tells
/// them apart (see [`crate::address`]), refused when it looks like an address but is not one.
fn rendezvous_arg(text: &str) -> Result<String, String> {
    crate::address::check(text).map(|_| text.to_owned())
}

/// Forever, as far as a connect deadline goes.
pub const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

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
    fn the_tap_takes_in_out_alone_and_still_reads_the_older_spelling() {
        let rendezvous = |args: &[&str]| match Cli::try_parse_from(args).map(|cli| cli.command) {
            Ok(Command::Tap { in_path, out_path, to, .. }) => {
                Some(to.unwrap_or_else(|| in_path.into_iter().chain(out_path).collect()))
            }
            _ => None,
        };
        assert_eq!(rendezvous(&["pipecat", "tap", "a", "b"]), Some(vec!["a".into(), "b".into()]));
        assert_eq!(rendezvous(&["pipecat", "tap", "--listen", "--to", "a", "b"]), Some(vec!["a".into(), "b".into()]));
        assert_eq!(rendezvous(&["pipecat", "tap"]), None);
        assert_eq!(rendezvous(&["pipecat", "tap", "a", "b", "--to", "a", "b"]), None);
        assert_eq!(rendezvous(&["pipecat", "tap", "--to", "a"]), None);
        assert_eq!(rendezvous(&["pipecat", "tap", "a", "b", "--tcp", "--fifo"]), None);
    }

    #[test]
    fn a_port_out_of_range_is_a_command_line_error() {
        let err = Cli::try_parse_from(["pipecat", "client", "70000", "70000"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("not a TCP port"), "{err}");
        assert!(Cli::try_parse_from(["pipecat", "tap", "1", "0"]).is_err());
    }
}

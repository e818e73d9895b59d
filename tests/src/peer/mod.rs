//! The `pipe-peer` program (one end of a pipe in a process of its own, on any of the three
//! runtimes) and the harness that runs peers, ours or Python's, as child processes.
//!
//! # `pipe-peer`
//!
//! ```text
//! pipe-peer --runtime tokio|smol|async-std --role channel|client --transport fifo|tcp
//!           [--in-path P --out-path P] --mode MODE [--timeout S] [--sizes a,b,c] [--count N]
//!           [--max-frame-len N] [--delay-ms N] [--linger S] [--seed N] [--report-mem]
//! ```
//!
//! The flags, the modes shared with it and the stdout lines are those of the Python peer
//! (`tests/python/README.md`): a channel prints `READY <in_path> <out_path>` and the client is
//! started with the two swapped; `--timeout` (default 10 s) bounds every wait; payloads are
//! `payload(k, n)`; exit codes are 0 (success), 1 (error, `ERROR ...` on stderr), 2 (usage),
//! 3 (timeout, after a `TIMEOUT` line).
//!
//! | mode | behaviour |
//! | --- | --- |
//! | `echo`, `send`, `recv-then-close`, `send-then-wait` | as the Python peer |
//! | `partial` | as the Python peer: a header announcing `sizes[0]` bytes and `sizes[1]` of them, written raw, then `--linger` (0.5 s) and an exit without close (a FIFO channel removes its directory) |
//! | `exchange-then-close` | sends the frames and, at the same time, reads the peer's (the same script) and checks each (`FRAME` per frame, `VERIFIED <n>`); then closes first (`CLOSED`) and waits for the peer's close (`PEER_CLOSED`) |
//! | `exchange-then-wait` | the same, but waits for the peer's close, then closes |
//! | `send-forever` | `SENDING`, then frames of `--sizes` (default 1 MiB) until a write fails or the process is killed |
//! | `hold` | connects (`HOLDING`), reads nothing, sleeps `--linger` (default `--timeout`), closes |
//! | `stream` | `--count` freshly allocated frames through the `Sink` API, `SENT <n> <bytes>`, close |
//! | `drain` | reads and checks frames until the peer closes, sleeping `--delay-ms` after each: `RECEIVED <n> <bytes>` |
//! | `random` | `sizes[0]` (default 1 MiB) pseudo-random bytes from `--seed`, written raw (`RANDOM_SENDING <n> <first header as u32>` before, `RANDOM_SENT <n>` after); then `--linger` |
//! | `raw-hold` | TCP client only: a bare TCP connection to the channel (no pipe, nothing sent), `CONNECTED`, held until the channel closes it: `CLOSED_BY_PEER eof` or `CLOSED_BY_PEER reset` (`RECEIVED_RAW <n>` for any bytes that come first) |
//! | `cycles` | `--count` create-connect-close cycles of a channel and a client in this process: `CYCLES <n> FDS <before> <after> THREADS <before> <after> DIRS_LEFT <k>` |
//!
//! Lines beyond the Python peer's: `CLOSE_REASON clean` (the pipe does not say whether a close
//! came as a zero frame or an end of stream), `READ_ERROR`/`WRITE_ERROR`/`CONNECT_ERROR`
//! followed by the error's variant and numbers (`READ_ERROR TruncatedFrame 100004 1004`,
//! `READ_ERROR PeerFrameTooLarge 4294967295 16777216`, `WRITE_ERROR Io BrokenPipe`), and with
//! `--report-mem`, `MEM <phase> <VmRSS kB> <VmHWM kB>` after connecting and at the end.
//!
//! The modes are written once, generic over [`pipe_io::Runtime`]; `--runtime` only picks the
//! executor ([`run`]).

mod child;
mod cli;
mod exec;
mod frames;
mod modes;
mod output;
pub mod procfs;
mod raw;
mod watchdog;

pub use child::{Peer, PeerExit};
pub use cli::{Args, Mode, Role, RuntimeName, TransportName, USAGE};
pub use exec::{sleep, timeout, AsyncStdExec, Exec, SmolExec, TokioExec};
pub use frames::Payloads;
pub use output::describe;
pub use raw::random_bytes;
pub use watchdog::hard_timeout;

/// Why a peer stopped early.
#[derive(Debug)]
pub enum Failure {
    /// A wait went past `--timeout` (exit code 3).
    Timeout(String),
    /// Anything else (exit code 1).
    Error(String),
}

/// The whole program: parses `args` (without the program name), runs the mode, and returns the
/// exit code.
pub fn main<I: IntoIterator<Item = String>>(args: I) -> i32 {
    match Args::parse(args) {
        Ok(args) => run(&args),
        Err(message) => {
            eprintln!("pipe-peer: {message}\n{USAGE}");
            2
        }
    }
}

/// Runs a parsed command line on the runtime it names; returns the exit code.
pub fn run(args: &Args) -> i32 {
    match args.runtime {
        RuntimeName::Tokio => run_on::<TokioExec>(args),
        RuntimeName::Smol => run_on::<SmolExec>(args),
        RuntimeName::AsyncStd => run_on::<AsyncStdExec>(args),
    }
}

fn run_on<E: Exec>(args: &Args) -> i32 {
    let result = E::block_on(modes::run::<E::R>(args));
    if args.report_mem {
        output::emit_mem("end");
    }
    match result {
        Ok(()) => 0,
        Err(Failure::Timeout(message)) => {
            eprintln!("ERROR {message}");
            output::emit("TIMEOUT");
            3
        }
        Err(Failure::Error(message)) => {
            eprintln!("ERROR {message}");
            1
        }
    }
}

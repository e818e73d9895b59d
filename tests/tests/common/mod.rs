//! What every cross-process test file shares: starting our peer program and reading the lines
//! of a finished peer.

#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

use pipe_tests::peer::PeerExit;

/// A channel of ours in this process, on runtime `R`, over `"fifo"` or (anything else) TCP.
#[cfg(unix)]
pub fn channel<R: pipe_io::Runtime>(transport: &str) -> pipe_io::Pipe<R, pipe_io::Portable> {
    match transport {
        "fifo" => pipe_io::Pipe::<R, pipe_io::Fifo>::new().expect("FIFO channel").into(),
        _ => pipe_io::Pipe::<R, pipe_io::Tcp>::new().expect("TCP channel").into(),
    }
}

/// A client of ours in this process, on runtime `R`, for a channel at `in_path`/`out_path` (the
/// client's own, already swapped), over `"fifo"` or (anything else) TCP.
#[cfg(unix)]
pub fn client<R: pipe_io::Runtime>(
    transport: &str,
    in_path: &str,
    out_path: &str,
) -> pipe_io::Pipe<R, pipe_io::Portable> {
    match transport {
        "fifo" => pipe_io::Pipe::<R, pipe_io::Fifo>::client(in_path, out_path).expect("FIFO client").into(),
        _ => pipe_io::Pipe::<R, pipe_io::Tcp>::client(in_path, out_path).expect("TCP client").into(),
    }
}

/// A `Command` running `pipe-peer` with `args`.
pub fn ours<S: AsRef<str>>(args: &[S]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pipe-peer"));
    command.args(args.iter().map(AsRef::as_ref));
    command
}

/// `now + secs`.
pub fn after(secs: u64) -> Instant {
    Instant::now() + Duration::from_secs(secs)
}

/// The stdout lines of `exit` starting with `word`.
pub fn lines_starting<'a>(exit: &'a PeerExit, word: &str) -> Vec<&'a str> {
    exit.lines.iter().filter(|l| l.split_whitespace().next() == Some(word)).map(String::as_str).collect()
}

/// The position of the first line equal to `line`, if any.
pub fn position(exit: &PeerExit, line: &str) -> Option<usize> {
    exit.lines.iter().position(|l| l == line)
}

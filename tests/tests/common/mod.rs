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

/// Who plays the client in a cross-process restart test.
#[cfg(unix)]
#[derive(Debug, Clone, Copy)]
pub enum Client {
    /// Our peer program, on this runtime.
    Ours(&'static str),
    /// The Python AEA client of this peer.
    Python(&'static pipe_tests::python::AeaPeer),
}

/// Starts a client process of `client` for the channel with these `(in_path, out_path)` (the
/// channel's own: the client gets them swapped), in peer mode `mode`, giving up after `timeout`.
#[cfg(unix)]
pub fn client_process(
    client: Client,
    (in_path, out_path): (&str, &str),
    transport: &str,
    mode: &str,
    timeout: Duration,
) -> pipe_tests::peer::Peer {
    let seconds = timeout.as_secs().to_string();
    let args = [
        "--role",
        "client",
        "--transport",
        transport,
        "--in-path",
        out_path,
        "--out-path",
        in_path,
        "--mode",
        mode,
        "--timeout",
        &seconds,
    ];
    match client {
        Client::Ours(runtime) => {
            let mut command = ours(&["--runtime", runtime]);
            command.args(args);
            pipe_tests::peer::Peer::spawn(format!("our {runtime} client ({mode})"), command)
        }
        Client::Python(aea) => {
            pipe_tests::peer::Peer::spawn(format!("AEA client, {} ({mode})", aea.label()), aea.command(&args))
        }
    }
}

/// Polls `work` once, calls `then`, and finishes `work`: `then` runs once `work` has done what
/// it does before it first waits.
pub async fn once_started<T>(work: impl std::future::Future<Output = T>, then: impl FnOnce()) -> T {
    let mut work = std::pin::pin!(work);
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(work.as_mut().poll(cx))).await;
    then();
    match first {
        std::task::Poll::Ready(value) => value,
        std::task::Poll::Pending => work.await,
    }
}

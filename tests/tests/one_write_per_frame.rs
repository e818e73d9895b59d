//! A frame leaves in one system call with its header: no runtime sends a frame's 4-byte header
//! in a call of its own, over FIFOs or TCP.
//!
//! A reader that takes a frame with one read of the header and one read of the payload (the
//! AEA's Go node does, without looping) gets a frame cut short more often when the header
//! travels alone, and every reader pays a system call more. So the writer is watched where it
//! can be seen: `pipe-peer` echoes each frame it receives, as a process of its own run under
//! `strace`, which records every `write`, `writev`, `sendto` and `sendmsg` it makes. The test,
//! the channel, sends each frame and reads its echo before sending the next, so the echo starts
//! with nothing else queued and the OS can take it whole when it fits. For each frame the call
//! that carries its header must carry payload bytes too. A frame the OS cannot take at once
//! (1 MiB through a FIFO's 64 KiB buffer) goes out in several calls, the first of them with the
//! header and the start of the payload.
#![cfg(target_os = "linux")]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{after, channel};
use pipe_tests::payload::payload;
use pipe_tests::peer::{hard_timeout, Peer};

/// The payload sizes echoed, in order: one byte, one over the size that is copied in with its
/// header (1,024 by default), one that fits a FIFO's buffer with its header, and one that fits
/// in no buffer at once.
const SIZES: [usize; 4] = [1, 2_000, 60 * 1024, 1 << 20];

const HEADER_LEN: usize = 4;

/// One write-family system call as strace recorded it.
#[derive(Debug, Clone)]
struct Call {
    /// Seconds since the epoch, to order the calls of several threads.
    at: f64,
    name: String,
    fd: i32,
    /// What the call returned: the bytes the OS took, or a negative number for an error.
    returned: i64,
    /// The first bytes of what the call was given (of its first buffer for `writev` and
    /// `sendmsg`), as many as strace printed.
    first_bytes: Vec<u8>,
}

/// Parses one line of `strace -ttt -xx` output; `None` for anything but a finished
/// write-family call (`+++ exited +++`, signals).
fn parse_call(line: &str) -> Option<Call> {
    let (at, rest) = line.split_once(' ')?;
    let at: f64 = at.parse().ok()?;
    let (name, args) = rest.split_once('(')?;
    if !matches!(name, "write" | "writev" | "sendto" | "sendmsg") {
        return None;
    }
    let fd: i32 = args.split(',').next()?.trim().parse().ok()?;
    let (_, result) = args.rsplit_once(") = ")?;
    let returned: i64 = result.split_whitespace().next()?.parse().ok()?;
    let first_bytes = match args.split_once('"') {
        Some((_, quoted)) => unescape_hex(quoted),
        None => Vec::new(),
    };
    Some(Call { at, name: name.to_owned(), fd, returned, first_bytes })
}

/// The bytes of a string strace printed with `-xx` (every byte as `\xNN`), up to its closing
/// quote.
fn unescape_hex(quoted: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut rest = quoted;
    while let Some(hex) = rest.strip_prefix("\\x") {
        let Some(byte) = hex.get(..2).and_then(|h| u8::from_str_radix(h, 16).ok()) else { break };
        bytes.push(byte);
        rest = &hex[2..];
    }
    bytes
}

/// Every write-family call of every process and thread traced into `dir`, in time order.
fn traced_calls(dir: &Path) -> Vec<Call> {
    let mut calls = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read the trace directory") {
        let text = std::fs::read_to_string(entry.expect("a trace file").path()).expect("read a trace file");
        calls.extend(text.lines().filter_map(parse_call));
    }
    calls.sort_by(|a, b| a.at.total_cmp(&b.at));
    calls
}

fn header(len: usize) -> [u8; 4] {
    (len as u32).to_be_bytes()
}

/// Whether `call`, on any descriptor, wrote exactly 4 bytes, the header of a frame that was sent.
fn is_a_lone_header(call: &Call) -> bool {
    call.returned == HEADER_LEN as i64 && SIZES.iter().any(|&len| call.first_bytes.starts_with(&header(len)))
}

/// How the frames went out on the writer's descriptor: for each frame, the calls that carried
/// its bytes, the first of them carrying its header.
#[derive(Debug)]
struct FrameCalls {
    len: usize,
    /// Every call that carried bytes of this frame, in order.
    calls: Vec<Call>,
    /// How many bytes of the frame (header included) the call carrying its header took.
    first_call_took: usize,
}

/// Splits the bytes written on the frames' descriptor into the frames of [`SIZES`]. The
/// descriptor is the one whose first call starts with the first frame's header.
fn frames_written(calls: &[Call]) -> Result<Vec<FrameCalls>, String> {
    let first = header(SIZES[0]);
    let fd = calls
        .iter()
        .find(|c| c.first_bytes.starts_with(&first))
        .map(|c| c.fd)
        .ok_or_else(|| format!("no call starts with the first frame's header {first:02x?}"))?;
    let on_fd: Vec<&Call> = calls.iter().filter(|c| c.fd == fd && c.returned > 0).collect();
    // Where each call's bytes lie in the stream written on the descriptor.
    let mut spans = Vec::new();
    let mut pos = 0usize;
    for call in &on_fd {
        let took = call.returned as usize;
        spans.push((pos, pos + took, *call));
        pos += took;
    }
    let mut frames = Vec::new();
    let mut start = 0usize;
    for &len in &SIZES {
        let end = start + HEADER_LEN + len;
        let mut carried: Vec<(usize, usize, &Call)> =
            spans.iter().filter(|(from, to, _)| *from < end && *to > start).copied().collect();
        if carried.is_empty() || carried.last().map(|(_, to, _)| *to) < Some(end) {
            return Err(format!("frame of {len} bytes: not all of it was written on fd {fd} ({pos} bytes in all)"));
        }
        let (from, to, first_call) = carried[0];
        if from == start && !first_call.first_bytes.starts_with(&header(len)) {
            return Err(format!(
                "frame of {len} bytes: the call at its start does not begin with its header: {first_call:?}"
            ));
        }
        frames.push(FrameCalls {
            len,
            calls: carried.drain(..).map(|(_, _, c)| c.clone()).collect(),
            first_call_took: to.min(end) - start,
        });
        start = end;
    }
    Ok(frames)
}

/// `strace` from the `PATH`, or a failure saying how to install it.
fn strace() -> &'static str {
    let found = Command::new("strace").arg("-V").output().map(|out| out.status.success()).unwrap_or(false);
    assert!(found, "strace is needed to see the system calls of a writer: apt-get install strace");
    "strace"
}

fn case(runtime: &'static str, transport: &'static str) {
    hard_timeout(Duration::from_secs(120), move || {
        let traces = tempfile::tempdir().expect("a directory for the traces");
        let prefix = traces.path().join("trace");
        let deadline = after(90);
        let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
        let frames = tokio.block_on(async {
            let mut channel = channel::<pipe_tokio::Tokio>(transport);
            let mut command = Command::new(strace());
            command
                .args(["-f", "-ff", "-ttt", "-xx", "-s", "8", "-e", "trace=write,writev,sendto,sendmsg", "-o"])
                .arg(&prefix)
                .arg("--")
                .arg(env!("CARGO_BIN_EXE_pipe-peer"))
                .args(["--runtime", runtime, "--role", "client", "--transport", transport, "--mode", "echo"])
                .args(["--in-path", channel.out_path(), "--out-path", channel.in_path(), "--timeout", "60"]);
            let mut peer = Peer::spawn(format!("{runtime} {transport} echo under strace"), command);
            channel
                .connect(Duration::from_secs(60))
                .await
                .unwrap_or_else(|e| panic!("connect: {e}\n{}", peer.report()));
            for (k, &len) in SIZES.iter().enumerate() {
                let sent = payload(k, len);
                channel
                    .write_bytes(sent.clone())
                    .await
                    .unwrap_or_else(|e| panic!("send {len} B: {e}\n{}", peer.report()));
                let echoed = channel.read().await.unwrap_or_else(|e| panic!("echo of {len} B: {e}\n{}", peer.report()));
                assert_eq!(echoed.as_deref(), Some(&sent[..]), "the echo of the frame of {len} bytes");
            }
            channel.close().await.expect("close");
            let exit = peer.finish(deadline);
            assert_eq!(exit.code(), Some(0), "the echo peer\n{}", peer.report());
            let calls = traced_calls(traces.path());
            let lone: Vec<&Call> = calls.iter().filter(|c| is_a_lone_header(c)).collect();
            assert!(lone.is_empty(), "{runtime} {transport}: a frame's header written alone: {lone:#?}");
            frames_written(&calls).unwrap_or_else(|e| panic!("{runtime} {transport}: {e}\n{calls:#?}"))
        });

        let mut summary = Vec::new();
        let mut lone_headers = Vec::new();
        for frame in &frames {
            let names: BTreeMap<&str, usize> = frame.calls.iter().fold(BTreeMap::new(), |mut m, c| {
                *m.entry(c.name.as_str()).or_default() += 1;
                m
            });
            summary.push(format!(
                "{} B: {} calls ({names:?}), the first took {} of {} bytes",
                frame.len,
                frame.calls.len(),
                frame.first_call_took,
                frame.len + HEADER_LEN
            ));
            if frame.first_call_took <= HEADER_LEN {
                lone_headers.push(frame.len);
            }
        }
        let summary = summary.join("\n");
        println!("{runtime} {transport}:\n{summary}");
        assert!(
            lone_headers.is_empty(),
            "{runtime} {transport}: the header of the frames of {lone_headers:?} bytes went out without any of \
             their payload\n{summary}"
        );
    })
}

macro_rules! cases {
    ($($name:ident: $runtime:literal, $transport:literal;)*) => {
        $(
            #[test]
            fn $name() {
                case($runtime, $transport);
            }
        )*
    };
}

cases! {
    a_tokio_fifo_writer_sends_each_frame_header_with_its_payload: "tokio", "fifo";
    a_tokio_tcp_writer_sends_each_frame_header_with_its_payload: "tokio", "tcp";
    a_smol_fifo_writer_sends_each_frame_header_with_its_payload: "smol", "fifo";
    a_smol_tcp_writer_sends_each_frame_header_with_its_payload: "smol", "tcp";
    an_async_std_fifo_writer_sends_each_frame_header_with_its_payload: "async-std", "fifo";
    an_async_std_tcp_writer_sends_each_frame_header_with_its_payload: "async-std", "tcp";
}

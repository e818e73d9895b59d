//! pipecat against the real Python AEA pipe (`aea.helpers.pipe`, run by
//! `tests/python/aea_peer.py` in the venv that `pipe_tests::python` sets up: open-aea on the newest
//! Python 3.10 or later, else aea 1.2.1 on a Python 3.8 to 3.11). Without either Python these
//! tests fail with the setup script's message saying what to install.
//!
//! Python's FIFO writer cuts frames of 64 KiB or more, and fails once 64 KiB sit unread: the
//! frames Python writes here are small and few.

mod common;

use std::io::Write;
use std::time::Duration;

use common::{assert_exit, hex, start, Input};

const WAIT: Duration = Duration::from_secs(60);

/// The payload `aea_peer.py` sends as frame `k` of `size` bytes.
fn aea_payload(k: usize, size: usize) -> Vec<u8> {
    (0..size).map(|i| ((k * 31 + i) % 251) as u8).collect()
}

/// Frame `k` of a run with `--sizes` `sizes`.
fn aea_frame(k: usize, sizes: &[usize]) -> Vec<u8> {
    aea_payload(k, sizes[k % sizes.len()])
}

fn transport(tcp: bool) -> &'static str {
    if tcp {
        "tcp"
    } else {
        "fifo"
    }
}

/// Starts `aea_peer.py --role channel` and answers it with its `READY` paths.
fn python_channel(args: &[&str]) -> (common::Running, String, String) {
    let mut command = pipe_tests::python::aea_peer(&["--role", "channel"]);
    command.args(args);
    let mut python = start("python channel", command, Input::Null, true);
    let lines = python.stdout_lines();
    let ready = lines.recv_timeout(Duration::from_secs(30)).expect("the Python channel prints READY");
    let ready = String::from_utf8(ready).unwrap();
    let words: Vec<&str> = ready.split_whitespace().collect();
    assert_eq!(words.first(), Some(&"READY"), "{ready}");
    let (in_path, out_path) = (words[1].to_owned(), words[2].to_owned());
    // Keep draining its stdout.
    std::thread::spawn(move || for _ in lines {});
    (python, in_path, out_path)
}

fn client_of_a_python_channel_prints_everything_it_sends(tcp: bool) {
    // Well under 64 KiB in all: Python writes them before pipecat has finished connecting.
    let sizes = [1, 100, 1000];
    let (python, in_path, out_path) = python_channel(&[
        "--transport",
        transport(tcp),
        "--mode",
        "send-then-wait",
        "--sizes",
        "1,100,1000",
        "--count",
        "30",
        // The Python FIFO channel retries its connect every timeout/10 seconds.
        "--timeout",
        "10",
    ]);
    let client = common::client(&out_path, &in_path, &["--hex"], Input::Null).finish(WAIT);
    let python = python.finish(WAIT);
    assert_exit(&python, 0, "python channel");
    assert_exit(&client, 0, "pipecat client");
    let expected: Vec<String> = (0..30).map(|k| hex(&aea_frame(k, &sizes))).collect();
    let printed = String::from_utf8_lossy(&client.stdout);
    let printed: Vec<&str> = printed.lines().collect();
    assert_eq!(
        printed.len(),
        expected.len(),
        "frames printed; python said:\n{}",
        String::from_utf8_lossy(&python.stdout)
    );
    assert!(printed == expected, "the client printed other frames than Python sent");
}

#[test]
fn a_client_with_no_input_prints_everything_a_python_fifo_channel_sends() {
    client_of_a_python_channel_prints_everything_it_sends(false);
}

#[test]
fn a_client_with_no_input_prints_everything_a_python_tcp_channel_sends() {
    client_of_a_python_channel_prints_everything_it_sends(true);
}

fn a_python_peer_dying_mid_frame_gives_exit_4(tcp: bool) {
    let (python, in_path, out_path) =
        python_channel(&["--transport", transport(tcp), "--mode", "partial", "--sizes", "100000,1000"]);
    let client = common::client(&out_path, &in_path, &[], Input::Piped).finish(WAIT);
    assert_exit(&client, 4, "pipecat client");
    let lines = common::errors(&client);
    assert_eq!(lines.len(), 1, "one error line:\n{}", client.stderr);
    assert!(
        lines[0].starts_with("pipecat: receiving: the peer's stream ended in the middle of a frame"),
        "{}",
        lines[0]
    );
    drop(python.finish(WAIT));
}

#[test]
fn a_python_fifo_peer_dying_mid_frame_gives_exit_4() {
    a_python_peer_dying_mid_frame_gives_exit_4(false);
}

#[test]
fn a_python_tcp_peer_dying_mid_frame_gives_exit_4() {
    a_python_peer_dying_mid_frame_gives_exit_4(true);
}

/// `pipecat channel --hex` <- `pipecat tap` <- the Python AEA client in `send` mode, which
/// checks that every frame it sent comes back. The test echoes each line the channel prints
/// back into its stdin, so every frame crosses the tap twice.
fn tap_forwards_every_frame_unchanged_and_logs_each(tcp: bool) {
    const COUNT: usize = 60;
    let sizes = [1, 100, 1000];
    let dir = std::env::temp_dir().join(format!("pipecat-tap-{}-{}", std::process::id(), transport(tcp)));
    std::fs::create_dir_all(&dir).unwrap();
    let log_path = dir.join("tap.log");

    let mut channel_args = vec!["--hex"];
    if tcp {
        channel_args.push("--tcp");
    }
    let (mut channel, in_path, out_path) = common::channel(&channel_args, Input::Piped, true);
    // The tap's own rendezvous takes the transport of the channel's: no flag needed.
    let mut tap = common::pipecat();
    tap.args(["tap", &in_path, &out_path, "--log"]).arg(&log_path);
    let mut tap = start("pipecat tap", tap, Input::Null, false);
    let (tap_in, tap_out) = tap.client_paths();

    // The echo: each line the channel prints goes back into its stdin.
    let lines = channel.stdout_lines();
    let mut stdin = channel.stdin();
    let echo = std::thread::spawn(move || {
        let mut seen = Vec::new();
        while seen.len() < COUNT {
            let Ok(line) = lines.recv_timeout(WAIT) else { break };
            stdin.write_all(&line).unwrap();
            stdin.flush().unwrap();
            seen.push(String::from_utf8(line).unwrap());
        }
        (seen, stdin)
    });

    let python = pipe_tests::python::aea_peer(&[
        "--role",
        "client",
        "--transport",
        transport(tcp),
        "--in-path",
        &tap_in,
        "--out-path",
        &tap_out,
        "--mode",
        "send",
        "--sizes",
        "1,100,1000",
        "--count",
        &COUNT.to_string(),
        "--timeout",
        "30",
    ]);
    let python = start("python client", python, Input::Null, false).finish(WAIT);
    assert_exit(&python, 0, "python client");
    let said = String::from_utf8_lossy(&python.stdout);
    assert!(said.lines().any(|l| l == format!("VERIFIED {COUNT}")), "python did not verify the echoes:\n{said}");

    // The Python client closed first: the tap passes its close on to the channel, which
    // closes its side in turn when its input ends; then the tap exits.
    let (seen, stdin) = echo.join().unwrap();
    drop(stdin);
    let channel = channel.finish(WAIT);
    assert_exit(&channel, 0, "pipecat channel");
    let tap = tap.finish(WAIT);
    assert_exit(&tap, 0, "pipecat tap");

    // The channel got every frame unchanged.
    let expected: Vec<String> = (0..COUNT).map(|k| hex(&aea_frame(k, &sizes)) + "\n").collect();
    assert!(seen == expected, "the channel did not print the frames Python sent");

    // The tap logged each frame, each way, in order.
    let log = std::fs::read_to_string(&log_path).unwrap();
    for direction in ["client->channel", "channel->client"] {
        let logged: Vec<Vec<&str>> = log
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|words| words.get(1) == Some(&direction))
            .collect();
        assert_eq!(logged.len(), COUNT, "{direction} frames in the log:\n{log}");
        for (k, words) in logged.iter().enumerate() {
            let frame = aea_frame(k, &sizes);
            assert_eq!(words[2], frame.len().to_string(), "{direction} frame {k}: {words:?}");
            assert!(words[3].starts_with(&hex(&frame[..frame.len().min(16)])), "{direction} frame {k}: {words:?}");
        }
    }
    assert!(log.contains("the client closed its side; passed the close on to the channel"), "{log}");
    assert!(log.contains("both sides closed; exiting"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tap_between_our_channel_and_the_python_fifo_client_forwards_and_logs_every_frame() {
    tap_forwards_every_frame_unchanged_and_logs_each(false);
}

#[test]
fn tap_between_our_channel_and_the_python_tcp_client_forwards_and_logs_every_frame() {
    tap_forwards_every_frame_unchanged_and_logs_each(true);
}

/// The party at IN OUT dies in the middle of a frame (before or after the client joined the
/// tap, as the processes race): the tap says so and exits 4.
#[test]
fn tap_exits_4_and_says_why_when_the_python_channel_dies_mid_frame() {
    let (python, in_path, out_path) =
        python_channel(&["--transport", "fifo", "--mode", "partial", "--sizes", "100000,1000"]);
    let mut tap = common::pipecat();
    tap.args(["tap", &out_path, &in_path, "--timeout", "10"]);
    let mut tap = start("pipecat tap", tap, Input::Null, false);
    let (tap_in, tap_out) = tap.client_paths();
    let mut client = common::client(&tap_in, &tap_out, &["--timeout", "10"], Input::Piped);
    let client_stdin = client.stdin();
    let tap = tap.finish(WAIT);
    assert_exit(&tap, 4, "pipecat tap");
    let last = tap.stderr_lines().last().copied().unwrap_or_default().to_owned();
    assert!(
        last.starts_with("pipecat: reading from the channel")
            && last.contains("the peer's stream ended in the middle of a frame"),
        "{}",
        tap.stderr
    );
    drop(client_stdin);
    drop(client.finish(WAIT));
    drop(python.finish(WAIT));
}

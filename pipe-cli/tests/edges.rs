//! pipecat at the edges, as a real process with stdin and stdout as pipes: what it received
//! before an error still reaches stdout, bad command lines fail at once with exit 2 and say
//! why, a connect that has to wait says for what and until when, the peer's close is said when
//! it is read, and `--json` keeps the documented key order.

mod common;

use std::io::Write;
use std::net::{Shutdown, TcpListener};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{assert_exit, channel, client, dead_port, wire, Input, PEER_CLOSED, WAITING};

const WAIT: Duration = Duration::from_secs(60);

/// The one error line of a finished process.
#[track_caller]
fn error_line(finished: &common::Finished) -> String {
    let errors = common::errors(finished);
    assert_eq!(errors.len(), 1, "exactly one error line expected:\n{}", finished.stderr);
    errors[0].to_owned()
}

fn frames_before_a_frame_over_the_limit_are_printed_before_exit_5(format: &[&str], expected: &[u8]) {
    let (channel, in_path, out_path) =
        channel(&[], Input::Bytes(b"short\nthis line is longer than ten\n".to_vec()), false);
    let mut args = vec!["--max-frame-len", "10"];
    args.extend_from_slice(format);
    let client = client(&in_path, &out_path, &args, Input::Null).finish(WAIT);
    assert_exit(&client, 5, "the client");
    assert!(
        client.stdout == expected,
        "the client printed {:?} before its error:\n{}",
        String::from_utf8_lossy(&client.stdout),
        client.stderr
    );
    assert!(error_line(&client).contains("announced a frame of 28 bytes"), "{}", client.stderr);
    drop(channel.finish(WAIT));
}

#[test]
fn the_frame_before_one_over_the_limit_is_printed_before_the_client_exits_5() {
    frames_before_a_frame_over_the_limit_are_printed_before_exit_5(&[], b"short\n");
}

#[test]
fn the_frame_before_one_over_the_limit_is_recorded_before_the_client_exits_5() {
    frames_before_a_frame_over_the_limit_are_printed_before_exit_5(&["--wire"], &wire(&[b"short".to_vec()]));
}

/// Waits until process `pid` is stopped (state `T` in /proc).
fn wait_until_stopped(pid: u32) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the process is there");
        // The state follows the command name, which is in parentheses.
        let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start().chars().next());
        if state == Some(Some('T')) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "process {pid} did not stop: {stat}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A TCP peer (a raw socket) sends `hello`, then a frame cut in the middle, then its FIN. The
/// client is stopped meanwhile, so that all of it, FIN included, is there at its next read.
fn frames_before_a_cut_frame_are_printed_before_exit_4(format: &[&str], expected: &[u8]) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let client = client(&port, &port, format, Input::Piped);
    let (mut peer, _) = listener.accept().unwrap();
    client.signal("-STOP");
    wait_until_stopped(client.id());
    let mut bytes = wire(&[b"hello".to_vec()]);
    bytes.extend_from_slice(&[0, 0, 0, 10, b'a', b'b', b'c']);
    peer.write_all(&bytes).unwrap();
    peer.shutdown(Shutdown::Write).unwrap();
    client.signal("-CONT");
    let client = client.finish(WAIT);
    assert_exit(&client, 4, "the client");
    assert!(
        client.stdout == expected,
        "the client printed {:?} before its error:\n{}",
        String::from_utf8_lossy(&client.stdout),
        client.stderr
    );
    let line = error_line(&client);
    assert!(line.contains("the peer's stream ended in the middle of a frame: expected 14 bytes, received 7"), "{line}");
}

#[test]
fn the_frame_before_a_cut_one_from_a_tcp_peer_is_printed_before_the_client_exits_4() {
    frames_before_a_cut_frame_are_printed_before_exit_4(&[], b"hello\n");
}

#[test]
fn the_frame_before_a_cut_one_from_a_tcp_peer_is_recorded_before_the_client_exits_4() {
    frames_before_a_cut_frame_are_printed_before_exit_4(&["--wire"], &wire(&[b"hello".to_vec()]));
}

#[test]
fn ports_that_are_no_ports_and_in_out_pairs_that_differ_are_command_line_errors() {
    let port = dead_port();
    let other = dead_port();
    for (args, why) in [
        (vec!["client", "70000", "70000"], "\"70000\" is not a TCP port: ports go from 1 to 65535"),
        (vec!["client", "0", "0"], "\"0\" is not a TCP port"),
        (vec!["client", "localhost:99999", "localhost:99999"], "\"localhost:99999\" is not a TCP address"),
        (vec!["tap", "70000", "70000"], "\"70000\" is not a TCP port"),
        (vec!["client", &port, &other], "are different TCP addresses: over TCP one connection carries both directions"),
        (vec!["client", &port, "/tmp/somewhere/process_to_aea"], "a FIFO path: give two of the same kind"),
        (vec!["tap", &port, &other], "are different TCP addresses"),
    ] {
        let mut command = common::pipecat();
        // A short timeout, so that a wait (instead of the error) ends the test soon.
        command.args(&args).args(["--timeout", "2"]);
        let finished = common::start("pipecat", command, Input::Null, false).finish(WAIT);
        assert_eq!(finished.code, Some(2), "{args:?} exited with {:?}:\n{}", finished.code, finished.stderr);
        assert!(finished.stderr.contains(why), "{args:?} does not say why:\n{}", finished.stderr);
        assert!(!finished.stderr.contains(WAITING), "{args:?} waited:\n{}", finished.stderr);
    }
}

/// `2026-12-08T01:25:12Z` as seconds since the epoch.
fn parse_utc(text: &str) -> u64 {
    let number = |range: std::ops::Range<usize>| text[range].parse::<u64>().expect("a number");
    assert!(text.len() == 20 && text.ends_with('Z') && &text[10..11] == "T", "not RFC 3339 UTC: {text}");
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    // Days since the epoch of a proleptic Gregorian date.
    let (y, m) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let days = 365 * y + y / 4 - y / 100 + y / 400 + (153 * m + 2) / 5 + day - 1 - 719_468;
    days * 86_400 + number(11..13) * 3600 + number(14..16) * 60 + number(17..19)
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// A client of a port nobody listens on says at once what it waits for and until when: the
/// line comes long before the 30 s wait ends, and names the deadline of that wait.
#[test]
fn a_client_waiting_for_a_channel_says_for_what_and_until_when_as_the_wait_starts() {
    let port = dead_port();
    let started = now_secs();
    let mut waiting = client(&port, &port, &["--timeout", "30"], Input::Null);
    let prefix = format!("{WAITING}a channel to accept a connection at 127.0.0.1:{port} until ");
    let line = waiting.stderr_line(&prefix, Duration::from_secs(10));
    let until = line[prefix.len()..].split_whitespace().next().unwrap();
    assert!(line.ends_with(" (--timeout 30)"), "{line}");
    let deadline = parse_utc(until);
    assert!(deadline >= started + 29 && deadline <= now_secs() + 31, "{line}: not 30 s after the start");
    waiting.kill();
}

#[test]
fn a_channel_waiting_for_a_client_says_for_what_and_until_when_as_the_wait_starts() {
    for (args, awaited) in [(&["--tcp"][..], "a client to connect to port "), (&[][..], "a client to open ")] {
        let mut args = args.to_vec();
        args.extend(["--timeout", "30"]);
        let (mut waiting, _, _) = channel(&args, Input::Null, false);
        let line = waiting.stderr_line(WAITING, Duration::from_secs(10));
        assert!(line.starts_with(&format!("{WAITING}{awaited}")) && line.contains(" until "), "{line}");
        waiting.kill();
    }
}

/// The client is interrupted over TCP: the channel says at once that the peer closed, while
/// its own input is still open (it would otherwise learn it only when a line is lost).
#[test]
fn the_channel_says_when_the_interrupted_clients_close_is_read() {
    let (mut channel, in_path, out_path) = channel(&["--tcp"], Input::Piped, true);
    let lines = channel.stdout_lines();
    let mut channel_in = channel.stdin();
    let mut client = client(&in_path, &out_path, &[], Input::Piped);
    let mut client_in = client.stdin();
    client_in.write_all(b"ping\n").unwrap();
    assert_eq!(lines.recv_timeout(WAIT).expect("the channel prints the line"), b"ping\n");
    client.signal("-INT");
    assert_exit(&client.finish(WAIT), 130, "the interrupted client");
    channel.stderr_line(PEER_CLOSED, Duration::from_secs(20));
    channel_in.flush().unwrap();
    drop(channel_in);
    drop(channel.finish(WAIT));
}

/// `--json` writes its keys in the documented order.
#[test]
fn json_keys_come_in_the_documented_order() {
    let (channel, in_path, out_path) = channel(&[], Input::Bytes(b"hi there\n".to_vec()), false);
    let client = client(&in_path, &out_path, &["--json"], Input::Null).finish(WAIT);
    assert_exit(&client, 0, "the client");
    let line = String::from_utf8(client.stdout).unwrap();
    let keys: Vec<usize> = ["\"direction\":", "\"time\":", "\"length\":", "\"payload\":", "\"encoding\":"]
        .iter()
        .map(|key| line.find(key).unwrap_or_else(|| panic!("no {key} in {line}")))
        .collect();
    assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "keys out of order: {line}");
    assert!(line.starts_with("{\"direction\":\"received\",\"time\":\""), "{line}");
    assert!(line.ends_with(",\"length\":8,\"payload\":\"hi there\",\"encoding\":\"utf8\"}\n"), "{line}");
    drop(channel.finish(WAIT));
}

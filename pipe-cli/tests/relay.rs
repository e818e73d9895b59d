//! `pipecat channel` and `pipecat client` as real processes over real FIFOs and sockets.

mod common;

use std::io::Write;
use std::time::Duration;

use base64::Engine as _;
use common::{assert_exit, channel, client, hex, wire, Input, Rng};

const WAIT: Duration = Duration::from_secs(60);

fn transport_args(tcp: bool) -> Vec<&'static str> {
    if tcp {
        vec!["--tcp"]
    } else {
        vec![]
    }
}

fn lines(who: &str, count: usize) -> Vec<u8> {
    (0..count).map(|i| format!("{who} line {i}: {}\n", "x".repeat(i % 97))).collect::<String>().into_bytes()
}

fn relay_5000_lines_both_ways(tcp: bool) {
    let (to_client, to_channel) = (lines("channel", 5000), lines("client", 5000));
    let (channel, in_path, out_path) = channel(&transport_args(tcp), Input::Bytes(to_client.clone()), false);
    let client = client(&in_path, &out_path, &[], Input::Bytes(to_channel.clone()));
    let (client, channel) = (client.finish(WAIT), channel.finish(WAIT));
    assert_exit(&client, 0, "client");
    assert_exit(&channel, 0, "channel");
    assert!(client.stdout == to_client, "the client did not print what the channel sent");
    assert!(channel.stdout == to_channel, "the channel did not print what the client sent");
    assert_eq!(common::errors(&client), Vec::<&str>::new(), "the client's stderr");
    assert_eq!(common::errors(&channel), Vec::<&str>::new(), "the channel's stderr");
}

#[test]
fn channel_and_client_relay_5000_lines_both_ways_over_fifos() {
    relay_5000_lines_both_ways(false);
}

#[test]
fn channel_and_client_relay_5000_lines_both_ways_over_tcp() {
    relay_5000_lines_both_ways(true);
}

/// Frames of every size from 1 byte to 1 MiB, some of them made of newlines and zero bytes.
fn random_frames(seed: u64, count: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|i| {
            let len = match i % 10 {
                0 => 1 + rng.below(200_000) as usize,
                1 => 1 << 20,
                2 => 1,
                _ => 1 + rng.below(3000) as usize,
            };
            match i % 7 {
                3 => vec![b'\n'; len],
                4 => vec![0; len],
                _ => rng.bytes(len),
            }
        })
        .collect()
}

fn wire_recording_replays_byte_for_byte(tcp: bool) {
    let (recording, back) = (wire(&random_frames(7, 60)), wire(&random_frames(8, 40)));
    let mut args = transport_args(tcp);
    args.push("--wire");
    let (channel, in_path, out_path) = channel(&args, Input::Bytes(recording.clone()), false);
    let client = client(&in_path, &out_path, &["--wire"], Input::Bytes(back.clone()));
    let (client, channel) = (client.finish(WAIT), channel.finish(WAIT));
    assert_exit(&client, 0, "client");
    assert_exit(&channel, 0, "channel");
    assert!(
        client.stdout == recording,
        "the client's recording differs ({} vs {} bytes)",
        client.stdout.len(),
        recording.len()
    );
    assert!(
        channel.stdout == back,
        "the channel's recording differs ({} vs {} bytes)",
        channel.stdout.len(),
        back.len()
    );
}

#[test]
fn random_binary_frames_replayed_with_wire_come_back_byte_for_byte_over_fifos() {
    wire_recording_replays_byte_for_byte(false);
}

#[test]
fn random_binary_frames_replayed_with_wire_come_back_byte_for_byte_over_tcp() {
    wire_recording_replays_byte_for_byte(true);
}

#[test]
fn a_client_with_no_input_still_prints_everything_the_channel_sends() {
    let sent = lines("channel", 300);
    let (channel, in_path, out_path) = channel(&[], Input::Bytes(sent.clone()), false);
    let client = client(&in_path, &out_path, &[], Input::Null);
    let (client, channel) = (client.finish(WAIT), channel.finish(WAIT));
    assert_exit(&client, 0, "client");
    assert_exit(&channel, 0, "channel");
    assert!(client.stdout == sent, "the client printed {} of {} bytes", client.stdout.len(), sent.len());
    assert!(channel.stdout.is_empty());
}

#[test]
fn json_output_parses_and_matches_what_was_sent() {
    let frames: Vec<Vec<u8>> = vec![
        b"hello".to_vec(),
        "caf\u{e9} \u{1f980}".as_bytes().to_vec(),
        vec![0xff, 0x00, 0x01, 0xfe],
        b"quote \" backslash \\ newline \n tab \t".to_vec(),
        vec![0x00],
        Rng::new(3).bytes(5000),
    ];
    let input: String = frames.iter().map(|f| hex(f) + "\n").collect();
    let (channel, in_path, out_path) = channel(&["--hex"], Input::Bytes(input.into_bytes()), false);
    let client = client(&in_path, &out_path, &["--json"], Input::Null);
    let (client, channel) = (client.finish(WAIT), channel.finish(WAIT));
    assert_exit(&client, 0, "client");
    assert_exit(&channel, 0, "channel");
    let stdout = String::from_utf8(client.stdout).expect("JSON output is UTF-8");
    let objects: Vec<serde_json::Value> =
        stdout.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))).collect();
    assert_eq!(objects.len(), frames.len(), "{stdout}");
    for (object, frame) in objects.iter().zip(&frames) {
        assert_eq!(object["direction"], "received");
        assert_eq!(object["length"], frame.len());
        let time = object["time"].as_str().expect("time is a string");
        assert!(time.len() == 27 && time.ends_with('Z') && time.as_bytes()[10] == b'T', "time {time}");
        let payload = object["payload"].as_str().expect("payload is a string");
        let decoded = match object["encoding"].as_str() {
            Some("utf8") => payload.as_bytes().to_vec(),
            Some("base64") => base64::engine::general_purpose::STANDARD.decode(payload).expect("base64"),
            other => panic!("encoding {other:?}"),
        };
        assert_eq!(&decoded, frame);
        let utf8 = std::str::from_utf8(frame).is_ok();
        assert_eq!(object["encoding"] == "utf8", utf8, "UTF-8 where it is, base64 otherwise: {object}");
    }
}

#[test]
fn json_input_sends_text_and_base64_payloads() {
    let input = concat!(
        "{\"payload\":\"plain text\"}\n",
        "{\"payload\":\"AP8=\",\"encoding\":\"base64\"}\n",
        "{\"direction\":\"received\",\"length\":3,\"payload\":\"abc\",\"encoding\":\"utf8\"}\n",
    );
    let (channel, in_path, out_path) = channel(&["--hex"], Input::Null, false);
    let client = client(&in_path, &out_path, &["--json"], Input::Bytes(input.as_bytes().to_vec()));
    let (client, channel) = (client.finish(WAIT), channel.finish(WAIT));
    assert_exit(&client, 0, "client");
    assert_exit(&channel, 0, "channel");
    let expected = format!("{}\n00ff\n{}\n", hex(b"plain text"), hex(b"abc"));
    assert_eq!(String::from_utf8_lossy(&channel.stdout), expected);
}

/// The last stderr line: the one error line, prefixed `pipecat: `.
#[track_caller]
fn error_line(finished: &common::Finished) -> String {
    let errors = common::errors(finished);
    assert_eq!(errors.len(), 1, "exactly one error line expected:\n{}", finished.stderr);
    assert!(errors[0].starts_with("pipecat: "), "{}", errors[0]);
    errors[0].to_string()
}

#[test]
fn a_malformed_wire_stream_is_bad_input() {
    let mut input = wire(&[b"whole".to_vec()]);
    input.extend_from_slice(&[0, 0, 0, 100, 1, 2, 3]);
    let (channel, in_path, out_path) = channel(&["--wire"], Input::Bytes(input), false);
    let client = client(&in_path, &out_path, &["--wire"], Input::Null);
    let channel = channel.finish(WAIT);
    let client = client.finish(WAIT);
    assert_exit(&channel, 5, "channel");
    let line = error_line(&channel);
    assert!(line.contains("bad --wire input at byte 9") && line.contains("inside a frame"), "{line}");
    assert_eq!(client.stdout, wire(&[b"whole".to_vec()]), "the whole frame before the bad one went out");
}

#[test]
fn a_frame_over_the_limit_is_bad_input_on_either_side() {
    // Ours: a line longer than --max-frame-len.
    let (ours, in_path, out_path) =
        channel(&["--max-frame-len", "10"], Input::Bytes(b"short\nthis line is too long\n".to_vec()), false);
    let peer = client(&in_path, &out_path, &[], Input::Null);
    let (ours, peer) = (ours.finish(WAIT), peer.finish(WAIT));
    assert_exit(&ours, 5, "channel");
    let line = error_line(&ours);
    assert!(line.contains("line 2") && line.contains("maximum frame length of 10"), "{line}");
    assert_eq!(peer.stdout, b"short\n");

    // The peer's: a frame over the receiver's limit.
    let (channel, in_path, out_path) = channel(&[], Input::Bytes(b"this line is too long\n".to_vec()), false);
    let client = client(&in_path, &out_path, &["--max-frame-len", "10"], Input::Piped);
    let client = client.finish(WAIT);
    assert_exit(&client, 5, "client");
    let line = error_line(&client);
    assert!(line.contains("announced a frame of 21 bytes"), "{line}");
    drop(channel);
}

#[test]
fn no_peer_within_the_timeout_exits_3_with_one_line() {
    for args in [&["--timeout", "0.5"][..], &["--timeout", "0.5", "--tcp"]] {
        let (channel, _, _) = channel(args, Input::Null, false);
        let started = std::time::Instant::now();
        let finished = channel.finish(WAIT);
        assert_exit(&finished, 3, "channel");
        assert!(started.elapsed() < Duration::from_secs(10));
        let line = error_line(&finished);
        assert!(line.starts_with("pipecat: waiting for the peer: no peer connected within 500ms: "), "{line}");
        let why = if args.contains(&"--tcp") { "no client connected to port" } else { "nobody opened" };
        assert!(line.contains(why), "the line says what never happened: {line}");
    }
    // A client whose channel never comes: a TCP port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    drop(listener);
    let finished = client(&port, &port, &["--timeout", "0.5"], Input::Null).finish(WAIT);
    assert_exit(&finished, 3, "client");
    let line = error_line(&finished);
    assert!(line.contains("no peer connected within 500ms: nobody accepted a connection at"), "{line}");
}

fn a_killed_peer_gives_exit_4(tcp: bool) {
    let (mut channel, in_path, out_path) = channel(&transport_args(tcp), Input::Piped, false);
    let mut client = client(&in_path, &out_path, &[], Input::Piped);
    // Both sides talk without end...
    let feeders: Vec<_> = [(channel.stdin(), "channel"), (client.stdin(), "client")]
        .into_iter()
        .map(|(mut stdin, who)| {
            std::thread::spawn(move || {
                let line = format!("{who} says something rather long to keep the pipe busy\n").repeat(100);
                // Ends when the process has gone.
                while stdin.write_all(line.as_bytes()).is_ok() {}
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // ...until the channel is killed.
    channel.kill();
    let client = client.finish(Duration::from_secs(20));
    assert_exit(&client, 4, "client after its peer was killed");
    let line = error_line(&client);
    assert!(line.starts_with("pipecat: "), "{line}");
    drop(channel.finish(WAIT));
    for feeder in feeders {
        feeder.join().unwrap();
    }
}

#[test]
fn a_killed_peer_gives_exit_4_and_one_line_over_fifos() {
    a_killed_peer_gives_exit_4(false);
}

#[test]
fn a_killed_peer_gives_exit_4_and_one_line_over_tcp() {
    a_killed_peer_gives_exit_4(true);
}

#[test]
fn help_shows_an_example_for_each_command_and_the_exit_codes() {
    for command in [&["--help"][..], &["channel", "--help"], &["client", "--help"], &["tap", "--help"]] {
        let output = common::pipecat().args(command).output().unwrap();
        assert!(output.status.success(), "{command:?}");
        let help = String::from_utf8(output.stdout).unwrap();
        assert!(help.contains("Example"), "{command:?} has no example:\n{help}");
        assert!(help.contains("Exit codes:") && help.contains("130"), "{command:?} has no exit codes:\n{help}");
    }
}

#[test]
fn stats_print_a_summary_at_exit() {
    let (channel, in_path, out_path) = channel(&["--stats"], Input::Bytes(lines("channel", 100)), false);
    let client = client(&in_path, &out_path, &["--stats"], Input::Null);
    let (client, channel) = (client.finish(WAIT), channel.finish(WAIT));
    assert_exit(&client, 0, "client");
    assert_exit(&channel, 0, "channel");
    let summary = channel.stderr_lines().last().copied().unwrap_or_default().to_owned();
    assert!(summary.starts_with("pipecat: sent 100 frames, ") && summary.contains("received 0 frames"), "{summary}");
    let summary = client.stderr_lines().last().copied().unwrap_or_default().to_owned();
    assert!(summary.contains("sent 0 frames") && summary.contains("received 100 frames"), "{summary}");
}

#[test]
fn sigterm_and_ctrl_c_release_the_rendezvous_and_give_their_codes() {
    for (signal, code, message) in [("-TERM", 143, "pipecat: terminated"), ("-INT", 130, "pipecat: interrupted")] {
        let (channel, in_path, _) = channel(&["--stats"], Input::Null, false);
        let dir = std::path::Path::new(&in_path).parent().unwrap().to_owned();
        assert!(dir.exists());
        let status = std::process::Command::new("kill").arg(signal).arg(channel.id().to_string()).status().unwrap();
        assert!(status.success());
        let finished = channel.finish(WAIT);
        assert_exit(&finished, code, "channel");
        let lines = common::errors(&finished);
        assert!(lines[0].starts_with("pipecat: sent 0 frames"), "the --stats summary:\n{}", finished.stderr);
        assert_eq!(lines[1..], [message]);
        assert!(!dir.exists(), "{} is left behind", dir.display());
    }
}

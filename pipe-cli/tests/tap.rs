//! `pipecat tap` between two real pipecat processes (and a raw TCP peer where a broken one is
//! needed), stdin and stdout as pipes: a close passes through the tap each way as it would
//! without the tap, and no party is left believing a message was delivered when the tap had
//! nowhere to send it.

mod common;

use std::io::Write;
use std::net::{Shutdown, TcpListener};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use common::{assert_exit, channel, client_by_lines, dead_port, tap, wire, Input, PEER_CLOSED};

const WAIT: Duration = Duration::from_secs(60);

/// The next stdout line of a process read line by line.
#[track_caller]
fn next_line(lines: &Receiver<Vec<u8>>, who: &str) -> String {
    let line = lines.recv_timeout(WAIT).unwrap_or_else(|_| panic!("{who} printed no line within {WAIT:?}"));
    String::from_utf8(line).expect("UTF-8")
}

/// Which party ends its input first.
#[derive(Clone, Copy, Debug)]
enum First {
    /// The party that joined the tap (the agent).
    Client,
    /// The party at IN OUT (the node).
    Channel,
}

/// node (`pipecat channel`) <- tap <- agent (`pipecat client`). Each says one line; then the
/// `first` party ends its input (Ctrl-D): the other is told (its stderr says the peer closed),
/// and what it sends after that still reaches the party that closed, as without the tap. Then
/// the other ends its input too, and all three exit 0.
fn a_close_passes_through_the_tap_and_the_other_direction_goes_on(tcp: bool, first: First) {
    let args = if tcp { vec!["--tcp"] } else { vec![] };
    let (mut node, in_path, out_path) = channel(&args, Input::Piped, true);
    let (tap, tap_in, tap_out) = tap(&in_path, &out_path, &[]);
    let mut agent = client_by_lines(&tap_in, &tap_out, &[], Input::Piped);
    let (node_lines, agent_lines) = (node.stdout_lines(), agent.stdout_lines());
    let (mut node_in, mut agent_in) = (Some(node.stdin()), Some(agent.stdin()));

    agent_in.as_mut().unwrap().write_all(b"hello from the agent\n").unwrap();
    assert_eq!(next_line(&node_lines, "the node"), "hello from the agent\n");
    node_in.as_mut().unwrap().write_all(b"hello from the node\n").unwrap();
    assert_eq!(next_line(&agent_lines, "the agent"), "hello from the node\n");

    let (closer_in, closer, other_in, other, other_lines) = match first {
        First::Client => (&mut agent_in, &mut agent, &mut node_in, &mut node, &agent_lines),
        First::Channel => (&mut node_in, &mut node, &mut agent_in, &mut agent, &node_lines),
    };
    drop(closer_in.take());
    // The close reached the other party: it says so at once.
    other.stderr_line(PEER_CLOSED, WAIT);
    // And the party that closed its side still gets what the other sends.
    other_in.as_mut().unwrap().write_all(b"after the close\n").unwrap();
    assert_eq!(next_line(other_lines, closer.name.as_str()), "after the close\n");
    drop(other_in.take());

    let (agent, node, tap) = (agent.finish(WAIT), node.finish(WAIT), tap.finish(WAIT));
    assert_exit(&agent, 0, "the agent");
    assert_exit(&node, 0, "the node");
    assert_exit(&tap, 0, "the tap");
    assert!(tap.stderr.contains("both sides closed; exiting"), "{}", tap.stderr);
}

#[test]
fn the_agents_close_reaches_the_node_through_the_tap_and_the_node_still_sends_over_fifos() {
    a_close_passes_through_the_tap_and_the_other_direction_goes_on(false, First::Client);
}

#[test]
fn the_agents_close_reaches_the_node_through_the_tap_and_the_node_still_sends_over_tcp() {
    a_close_passes_through_the_tap_and_the_other_direction_goes_on(true, First::Client);
}

#[test]
fn the_nodes_close_reaches_the_agent_through_the_tap_and_the_agent_still_sends_over_fifos() {
    a_close_passes_through_the_tap_and_the_other_direction_goes_on(false, First::Channel);
}

#[test]
fn the_nodes_close_reaches_the_agent_through_the_tap_and_the_agent_still_sends_over_tcp() {
    a_close_passes_through_the_tap_and_the_other_direction_goes_on(true, First::Channel);
}

/// A tap given a port nobody listens on: if it offers a rendezvous at all, an agent that joins
/// it and sends a line must not exit 0 (its line went nowhere); and the tap fails.
#[test]
fn a_tap_whose_channel_never_comes_offers_no_rendezvous_and_no_agent_exits_0_with_its_line_lost() {
    let port = dead_port();
    let mut command = common::pipecat();
    command.args(["tap", &port, &port, "--timeout", "3"]);
    let mut tap = common::start("pipecat tap", command, Input::Null, false);
    let mut agent = None;
    while let Some(line) = tap.next_stderr_line(WAIT) {
        if let Some(paths) = line.strip_prefix("pipecat client ") {
            let words: Vec<&str> = paths.split_whitespace().collect();
            let joined = common::client(words[0], words[1], &["--timeout", "3"], Input::Bytes(b"hello\n".to_vec()));
            agent = Some(joined.finish(WAIT));
        }
    }
    if let Some(agent) = agent {
        assert_ne!(agent.code, Some(0), "the agent's line went nowhere, yet it exited 0:\n{}", agent.stderr);
    }
    let tap = tap.finish(WAIT);
    assert_exit(&tap, 3, "the tap");
    assert!(!tap.stderr.contains("pipecat client "), "a rendezvous was offered:\n{}", tap.stderr);
    let last = tap.stderr_lines().last().copied().unwrap_or_default().to_owned();
    assert!(
        last.starts_with(&format!("pipecat: joining {port} {port}: no peer connected within 3s: nobody accepted")),
        "{}",
        tap.stderr
    );
}

/// The party at IN OUT (a raw TCP peer here) dies in the middle of a frame once the agent has
/// joined: the frame before it reaches the agent and the log, the agent's stream is ended, and
/// the tap exits 4 saying why.
#[test]
fn when_the_channel_dies_mid_frame_the_frames_before_reach_the_agent_and_the_log_and_the_tap_exits_4() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let dir = std::env::temp_dir().join(format!("pipecat-tap-cut-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log_path = dir.join("tap.log");
    let mut command = common::pipecat();
    command.args(["tap", &port, &port]).arg("--log").arg(&log_path);
    let mut tap = common::start("pipecat tap", command, Input::Null, false);
    let (mut peer, _) = listener.accept().unwrap();
    let (tap_in, tap_out) = tap.client_paths();
    let mut agent = client_by_lines(&tap_in, &tap_out, &[], Input::Piped);
    let agent_lines = agent.stdout_lines();
    let agent_in = agent.stdin();
    // Once the agent is there, the peer sends a frame, then a frame cut short, then dies.
    let logged = |text: &str| std::fs::read_to_string(&log_path).unwrap_or_default().contains(text);
    let deadline = std::time::Instant::now() + WAIT;
    while !logged(" connected") {
        assert!(std::time::Instant::now() < deadline, "the tap never logged that both sides were connected");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut bytes = wire(&[b"hello".to_vec()]);
    bytes.extend_from_slice(&[0, 0, 0, 10, b'a', b'b', b'c']);
    peer.write_all(&bytes).unwrap();
    peer.shutdown(Shutdown::Write).unwrap();

    assert_eq!(next_line(&agent_lines, "the agent"), "hello\n");
    let tap = tap.finish(WAIT);
    assert_exit(&tap, 4, "the tap");
    let last = tap.stderr_lines().last().copied().unwrap_or_default().to_owned();
    assert!(
        last.starts_with("pipecat: reading from the channel: the peer's stream ended in the middle of a frame"),
        "{}",
        tap.stderr
    );
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains(" channel->client 5 68656c6c6f |hello|"), "{log}");
    assert!(log.contains("ended the client's stream"), "{log}");
    // The agent's stream has ended; it sent nothing, lost nothing, and exits 0 at its input's end.
    drop(agent_in);
    assert_exit(&agent.finish(WAIT), 0, "the agent");
    drop(peer);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `pipecat tap IN OUT` needs no other flag, takes the transport of IN OUT for its own
/// rendezvous, and `--tcp` or `--fifo` choose it.
#[test]
fn the_tap_offers_a_rendezvous_of_the_transport_it_joins_unless_told() {
    for (channel_args, tap_args, tcp) in [
        (&[][..], &[][..], false),
        (&["--tcp"][..], &[][..], true),
        (&[][..], &["--tcp"][..], true),
        (&["--tcp"][..], &["--fifo"][..], false),
    ] {
        let (node, in_path, out_path) = channel(channel_args, Input::Null, false);
        let (tap, tap_in, tap_out) = tap(&in_path, &out_path, tap_args);
        assert_eq!(tap_in.parse::<u16>().is_ok(), tcp, "{channel_args:?} {tap_args:?}: {tap_in}");
        assert_eq!(tap_in == tap_out, tcp, "{tap_in} {tap_out}");
        let agent = common::client(&tap_in, &tap_out, &[], Input::Null).finish(WAIT);
        assert_exit(&agent, 0, "the agent");
        assert_exit(&node.finish(WAIT), 0, "the node");
        assert_exit(&tap.finish(WAIT), 0, "the tap");
    }
}

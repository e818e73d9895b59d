//! Connecting: the rendezvous steps per transport, refusals and retries, the deadline.

use std::time::Duration;

use super::util::{broken_pipe, ms, Pair, Peer};
use crate::ConnectAction;
use crate::{Action, Config, ConnectError, Event, Failure, SendError, Side, State, Transport};

#[test]
fn tcp_client_connects_after_k_refusals() {
    for k in 0..6 {
        let mut pair = Pair::new(Transport::Tcp);
        pair.channel.listening = false; // the channel has not bound its listener yet
        pair.connect_both(Duration::from_secs(10));
        for refusal in 1..=k {
            pair.drive();
            assert_eq!(pair.client.conn.attempts(), refusal);
            assert_eq!(pair.client.conn.state(), State::Connecting);
            assert!(pair.step_time());
        }
        pair.channel.listening = true;
        pair.run_until(|p| p.both_in(State::Open));
        assert_eq!(pair.client.conn.attempts(), k, "k = {k}");
        let dials = pair.client.actions.iter().filter(|a| **a == Action::Connect(ConnectAction::Dial)).count();
        assert_eq!(dials, k as usize + 1, "k refused dials, then the one that went through");
        assert_eq!(pair.client.conn.poll_connect(), Some(Ok(())));
        assert_eq!(pair.channel.conn.poll_connect(), Some(Ok(())));
    }
}

#[test]
fn tcp_retries_back_off_doubling_up_to_the_maximum_delay() {
    let config = Config::default().with_retry_delays(ms(1), ms(8));
    let mut pair = Pair::with_config(Transport::Tcp, config);
    pair.channel.listening = false;
    let start = pair.now;
    pair.client.conn.connect(start, Duration::from_secs(1)).unwrap();
    let mut dial_times = Vec::new();
    for _ in 0..6 {
        pair.drive();
        dial_times.push(pair.now - start);
        pair.step_time();
    }
    assert_eq!(dial_times, [ms(0), ms(1), ms(3), ms(7), ms(15), ms(23)]);
}

#[test]
fn fifo_client_connects_after_k_refusals_of_its_write_end() {
    for k in 0..6 {
        let mut pair = Pair::new(Transport::Fifo);
        // Only the client runs: its write end is refused (ENXIO) while the channel's read end
        // is not open.
        pair.client.conn.connect(pair.now, Duration::from_secs(10)).unwrap();
        for refusal in 1..=k {
            pair.drive();
            assert_eq!(pair.client.conn.attempts(), refusal);
            assert!(pair.step_time());
        }
        pair.channel.conn.connect(pair.now, Duration::from_secs(10)).unwrap();
        // The channel opens its read end before the client's next attempt.
        pair.channel.drive(&mut pair.client, pair.now);
        pair.run_until(|p| p.both_in(State::Open));
        let open_writes =
            pair.client.actions.iter().filter(|a| **a == Action::Connect(ConnectAction::OpenWrite)).count();
        assert_eq!(open_writes, k as usize + 1, "k = {k}");
        assert_eq!(
            pair.client.actions[0],
            Action::Connect(ConnectAction::OpenRead),
            "the read end is always opened first"
        );
    }
}

#[test]
fn fifo_connect_waits_until_the_peer_has_opened_its_write_end() {
    let mut pair = Pair::new(Transport::Fifo);
    pair.channel.conn.connect(pair.now, Duration::from_secs(10)).unwrap();
    // The client opens its read end only: the channel can open its write end, but its probe
    // reads EOF (no writer yet), which is not a close: it retries.
    pair.client.read_end_open = true;
    for _ in 0..3 {
        pair.drive();
        assert_eq!(pair.channel.conn.state(), State::Connecting);
        assert_eq!(pair.channel.actions.last(), Some(&Action::Connect(ConnectAction::ProbeRead)));
        assert!(pair.step_time());
    }
    pair.client.conn.connect(pair.now, Duration::from_secs(10)).unwrap();
    pair.run_until(|p| p.both_in(State::Open));
    let probes = pair.channel.actions.iter().filter(|a| **a == Action::Connect(ConnectAction::ProbeRead)).count();
    assert!(probes >= 4, "three EOF probes, then the one that saw the writer: {probes}");
    assert!(pair.channel.received.is_empty(), "no false close was reported");
}

#[test]
fn fifo_data_read_by_the_probe_is_the_first_frame_received() {
    let mut pair = Pair::new(Transport::Fifo);
    pair.connect_both(Duration::from_secs(10));
    pair.channel.drive(&mut pair.client, pair.now); // read end open, write end refused
                                                    // The client opens both its ends, and holds its probe back for now.
    assert_eq!(pair.client.conn.poll_action(), Some(Action::Connect(ConnectAction::OpenRead)));
    pair.client.read_end_open = true;
    pair.client.conn.handle_event(pair.now, Event::Done);
    assert_eq!(pair.client.conn.poll_action(), Some(Action::Connect(ConnectAction::OpenWrite)));
    pair.client.write_end_open = true;
    pair.client.conn.handle_event(pair.now, Event::Done);
    // The channel retries, sees the client's writer, is open, and sends at once.
    assert!(pair.step_time());
    pair.channel.drive(&mut pair.client, pair.now);
    assert_eq!(pair.channel.conn.state(), State::Open);
    pair.channel.conn.send_slice(b"early").unwrap();
    pair.channel.drive(&mut pair.client, pair.now);
    assert_eq!(pair.client.inbound.len(), 9);

    pair.drive();
    assert_eq!(pair.client.actions, [Action::Connect(ConnectAction::ProbeRead)], "the probe read the frame");
    assert_eq!(pair.client.conn.state(), State::Open);
    assert_eq!(pair.client.frames(), [b"early"]);
}

#[test]
fn tcp_connect_gives_up_exactly_at_the_deadline() {
    let timeout = ms(100);
    let mut pair = Pair::new(Transport::Tcp);
    pair.channel.listening = false;
    let start = pair.now;
    pair.client.conn.connect(start, timeout).unwrap();
    let deadline = start + timeout;
    for steps in 0.. {
        pair.drive();
        if pair.client.conn.poll_timeout() == Some(deadline) {
            break; // the last retry was clamped to the deadline
        }
        assert!(steps < 1000, "1000 retries within {timeout:?}: time does not move the connect on");
        assert!(pair.step_time());
        assert!(pair.now < deadline);
    }

    pair.advance(deadline - Duration::from_nanos(1) - pair.now);
    assert_eq!(pair.client.conn.state(), State::Connecting);
    assert_eq!(pair.client.conn.poll_connect(), None);

    pair.advance(Duration::from_nanos(1));
    assert_eq!(pair.now, deadline);
    assert_eq!(pair.client.conn.state(), State::Failed);
    assert_eq!(
        pair.client.conn.poll_connect(),
        Some(Err(ConnectError::Timeout { timeout, waiting_for: Some(ConnectAction::Dial) }))
    );
    assert_eq!(pair.client.conn.failure(), Some(&Failure::Timeout(timeout)));
    assert_eq!(pair.client.conn.poll_timeout(), None);
    assert_eq!(pair.client.conn.poll_action(), None);
}

#[test]
fn fifo_connect_gives_up_exactly_at_the_deadline_when_no_peer_comes() {
    let timeout = ms(250);
    let mut pair = Pair::new(Transport::Fifo);
    let start = pair.now;
    pair.client.conn.connect(start, timeout).unwrap();
    pair.run_until(|p| p.client.conn.state() != State::Connecting);
    assert_eq!(pair.now, start + timeout, "not a nanosecond later");
    assert_eq!(
        pair.client.conn.poll_connect(),
        Some(Err(ConnectError::Timeout { timeout, waiting_for: Some(ConnectAction::OpenWrite) }))
    );
    assert!(pair.client.conn.attempts() > 5, "it kept retrying until then");
}

#[test]
fn tcp_channel_accept_waits_until_the_deadline() {
    let timeout = Duration::from_secs(3);
    let mut pair = Pair::new(Transport::Tcp);
    let start = pair.now;
    pair.channel.conn.connect(start, timeout).unwrap();
    pair.drive();
    assert_eq!(pair.channel.actions, [Action::Connect(ConnectAction::Accept)]);
    assert_eq!(pair.channel.conn.poll_timeout(), Some(start + timeout), "no retries while accepting");
    assert!(pair.step_time());
    assert_eq!(
        pair.channel.conn.poll_connect(),
        Some(Err(ConnectError::Timeout { timeout, waiting_for: Some(ConnectAction::Accept) }))
    );
}

#[test]
fn retries_are_never_scheduled_past_the_deadline() {
    let config = Config::default().with_retry_delays(ms(40), ms(40));
    let mut pair = Pair::with_config(Transport::Tcp, config);
    pair.channel.listening = false;
    let start = pair.now;
    pair.client.conn.connect(start, ms(100)).unwrap();
    pair.run_until(|p| p.client.conn.state() == State::Failed);
    assert_eq!(pair.now, start + ms(100));
    assert_eq!(pair.client.conn.attempts(), 3, "dials at 0, 40 and 80 ms; the next is the deadline");
}

#[test]
fn a_second_connect_after_a_timeout_gets_a_fresh_budget() {
    let mut pair = Pair::new(Transport::Tcp);
    pair.channel.listening = false;
    pair.client.conn.connect(pair.now, ms(50)).unwrap();
    pair.run_until(|p| p.client.conn.state() == State::Failed);
    assert!(pair.client.conn.attempts() > 0);

    pair.advance(ms(1000));
    let second = pair.now;
    pair.client.conn.connect(second, ms(70)).unwrap();
    assert_eq!(pair.client.conn.state(), State::Connecting);
    assert_eq!(pair.client.conn.failure(), None);
    assert_eq!(pair.client.conn.attempts(), 0);
    assert_eq!(pair.client.conn.poll_timeout(), Some(second + ms(70)));
    assert_eq!(pair.client.conn.poll_connect(), None);

    // The retry schedule starts again from the first delay.
    pair.drive();
    assert_eq!(pair.client.conn.poll_timeout(), Some(second + ms(1)));

    pair.run_until(|p| p.client.conn.state() == State::Failed);
    assert_eq!(pair.now, second + ms(70));
    assert_eq!(
        pair.client.conn.poll_connect(),
        Some(Err(ConnectError::Timeout { timeout: ms(70), waiting_for: Some(ConnectAction::Dial) }))
    );

    // A third one may succeed.
    pair.channel.listening = true;
    pair.client.conn.connect(pair.now, ms(70)).unwrap();
    pair.channel.conn.connect(pair.now, ms(70)).unwrap();
    pair.run_until(|p| p.both_in(State::Open));
}

#[test]
fn fifo_second_connect_keeps_the_ends_already_open() {
    let mut pair = Pair::new(Transport::Fifo);
    pair.client.conn.connect(pair.now, ms(20)).unwrap();
    pair.run_until(|p| p.client.conn.state() == State::Failed);
    assert_eq!(pair.client.actions.iter().filter(|a| **a == Action::Connect(ConnectAction::OpenRead)).count(), 1);

    pair.client.conn.connect(pair.now, ms(20)).unwrap();
    pair.channel.conn.connect(pair.now, ms(20)).unwrap();
    pair.run_until(|p| p.both_in(State::Open));
    assert_eq!(
        pair.client.actions.iter().filter(|a| **a == Action::Connect(ConnectAction::OpenRead)).count(),
        1,
        "not reopened"
    );
}

#[test]
fn connect_is_refused_once_open_closing_or_closed() {
    let mut pair = Pair::connected(Transport::Tcp);
    let now = pair.now;
    assert_eq!(pair.client.conn.connect(now, ms(1)), Err(ConnectError::InvalidState { state: State::Open }));
    pair.client.conn.close();
    assert_eq!(pair.client.conn.connect(now, ms(1)), Err(ConnectError::InvalidState { state: State::Closing }));
    pair.drive();
    assert_eq!(pair.client.conn.connect(now, ms(1)), Err(ConnectError::InvalidState { state: State::Closed }));
}

#[test]
fn an_io_failure_while_connecting_is_the_connect_answer_and_a_new_connect_may_follow() {
    let mut pair = Pair::new(Transport::Tcp);
    pair.client.conn.connect(pair.now, ms(100)).unwrap();
    assert_eq!(pair.client.conn.poll_action(), Some(Action::Connect(ConnectAction::Dial)));
    pair.client.conn.handle_event(pair.now, Event::Failed(broken_pipe()));
    assert_eq!(pair.client.conn.state(), State::Failed);
    assert_eq!(pair.client.conn.failure(), Some(&broken_pipe()));
    assert_eq!(pair.client.conn.poll_connect(), Some(Err(ConnectError::Failed(broken_pipe()))));
    assert_eq!(pair.client.conn.poll_timeout(), None);
    assert_eq!(pair.client.conn.send_slice(b"x"), Err(SendError::NotConnected), "never connected");
    pair.client.conn.connect(pair.now, ms(100)).unwrap();
    assert_eq!(pair.client.conn.poll_action(), Some(Action::Connect(ConnectAction::Dial)), "a fresh attempt");
}

#[test]
fn connect_on_an_open_pipe_is_refused_with_its_state_and_on_a_failed_one_with_its_failure() {
    let mut pair = Pair::connected(Transport::Tcp);
    let now = pair.now;
    assert_eq!(pair.client.conn.connect(now, ms(1)), Err(ConnectError::InvalidState { state: State::Open }));
    pair.client.conn.handle_read_error(broken_pipe());
    assert_eq!(pair.client.conn.connect(now, ms(1)), Err(ConnectError::Failed(broken_pipe())));
    assert_eq!(pair.client.conn.poll_connect(), Some(Ok(())), "the connect itself had succeeded");
}

#[test]
fn one_connect_action_at_a_time_until_it_is_answered() {
    let mut pair = Pair::new(Transport::Fifo);
    pair.client.conn.connect(pair.now, ms(100)).unwrap();
    assert_eq!(pair.client.conn.poll_action(), Some(Action::Connect(ConnectAction::OpenRead)));
    assert_eq!(pair.client.conn.poll_action(), None);
    // An answer to a question that was not asked is ignored.
    pair.client.conn.handle_event(pair.now, Event::WouldBlock);
    pair.client.conn.handle_event(pair.now, Event::NotReady);
    assert_eq!(pair.client.conn.poll_action(), None);
    assert_eq!(pair.client.conn.attempts(), 0);
    pair.client.conn.handle_event(pair.now, Event::Done);
    assert_eq!(pair.client.conn.poll_action(), Some(Action::Connect(ConnectAction::OpenWrite)));
}

#[test]
fn a_retry_is_not_handed_out_before_it_is_due() {
    let mut pair = Pair::new(Transport::Tcp);
    pair.client.conn.connect(pair.now, ms(100)).unwrap();
    assert_eq!(pair.client.conn.poll_action(), Some(Action::Connect(ConnectAction::Dial)));
    pair.client.conn.handle_event(pair.now, Event::NotReady);
    let due = pair.client.conn.poll_timeout().unwrap();
    pair.client.conn.handle_timeout(due - Duration::from_nanos(1));
    assert_eq!(pair.client.conn.poll_action(), None, "called early: nothing yet");
    pair.client.conn.handle_timeout(due);
    assert_eq!(pair.client.conn.poll_action(), Some(Action::Connect(ConnectAction::Dial)));
}

#[test]
fn tcp_channel_stops_listening_once_it_accepted_its_peer() {
    let mut pair = Pair::connected(Transport::Tcp);
    assert_eq!(
        pair.channel.actions,
        [Action::Connect(ConnectAction::Accept), Action::Connect(ConnectAction::StopListening)]
    );
    assert!(!pair.channel.listening);

    let mut intruder = Peer::new(Transport::Tcp, Side::Client, Config::default());
    intruder.conn.connect(pair.now, ms(10)).unwrap();
    intruder.drive(&mut pair.channel, pair.now);
    assert_eq!(intruder.actions, [Action::Connect(ConnectAction::Dial)]);
    assert_eq!(intruder.conn.attempts(), 1, "refused");
    assert_eq!(intruder.conn.state(), State::Connecting);
}

#[test]
fn tcp_channel_accepts_a_client_that_dialled_before_it_started_connecting() {
    let mut pair = Pair::new(Transport::Tcp);
    pair.client.conn.connect(pair.now, ms(100)).unwrap();
    pair.drive();
    assert_eq!(pair.client.conn.state(), State::Open, "the listener was bound: the dial went through");
    pair.channel.conn.connect(pair.now, ms(100)).unwrap();
    pair.drive();
    assert!(pair.both_in(State::Open));
}

#[test]
fn a_tcp_channel_split_waits_for_stop_listening_to_be_taken() {
    let pair = Pair::new(Transport::Tcp);
    let mut conn = pair.channel.conn;
    conn.connect(pair.now, ms(100)).unwrap();
    assert_eq!(conn.poll_action(), Some(Action::Connect(ConnectAction::Accept)));
    conn.handle_event(pair.now, Event::Done);
    let mut conn = conn.into_split().expect_err("StopListening still to be taken");
    assert_eq!(conn.poll_action(), Some(Action::Connect(ConnectAction::StopListening)));
    assert!(conn.into_split().is_ok());
}

#[test]
fn an_io_failure_while_connecting_fails_at_once() {
    let mut pair = Pair::new(Transport::Fifo);
    pair.client.conn.connect(pair.now, ms(100)).unwrap();
    assert_eq!(pair.client.conn.poll_action(), Some(Action::Connect(ConnectAction::OpenRead)));
    pair.client.conn.handle_event(pair.now, Event::Failed(broken_pipe()));
    assert_eq!(pair.client.conn.poll_connect(), Some(Err(ConnectError::Failed(broken_pipe()))));
    assert_eq!(pair.client.conn.poll_action(), None);
}

#[test]
fn an_abandoned_connect_starts_over_with_a_fresh_deadline() {
    let mut pair = Pair::new(Transport::Tcp);
    let start = pair.now;
    pair.client.conn.connect(start, ms(100)).unwrap();
    assert_eq!(pair.client.conn.poll_action(), Some(Action::Connect(ConnectAction::Dial)));
    // The IO owner gave up on that dial without answering (a cancelled future), and connects
    // again later: the dial is handed out again, with the new budget.
    pair.advance(ms(60));
    pair.client.conn.connect(pair.now, ms(100)).unwrap();
    assert_eq!(pair.client.conn.poll_timeout(), Some(start + ms(160)));
    pair.drive();
    assert_eq!(pair.client.actions, [Action::Connect(ConnectAction::Dial)]);
    assert!(pair.client.conn.poll_connect().is_some_and(|r| r.is_ok()));
}

#[test]
fn an_established_connection_skips_the_rendezvous() {
    let mut pair = Pair::new(Transport::Tcp);
    for peer in [&mut pair.channel, &mut pair.client] {
        let side = peer.conn.side();
        peer.conn = crate::Connection::established(Transport::Tcp, side, Config::default());
        peer.read_end_open = true;
        peer.write_end_open = true;
    }
    assert!(pair.both_in(State::Open));
    assert_eq!(pair.channel.conn.poll_timeout(), None);
    pair.client.conn.send_slice(b"ping").unwrap();
    pair.channel.conn.send_slice(b"pong").unwrap();
    pair.client.conn.close();
    pair.drive();
    assert!(!pair.channel.actions.contains(&Action::Connect(ConnectAction::StopListening)), "no listener to stop");
    assert_eq!(pair.channel.frames(), [b"ping"]);
    assert_eq!(pair.client.conn.state(), State::Closed);
    assert_eq!(pair.channel.received.last(), Some(&crate::Received::PeerClosed));
}

/// What a timeout of `peer`'s connect says it was waiting for (panics if it did not time out).
fn waited_for(peer: &Peer) -> Option<ConnectAction> {
    match peer.conn.poll_connect() {
        Some(Err(ConnectError::Timeout { waiting_for, .. })) => waiting_for,
        other => panic!("not a timeout: {other:?}"),
    }
}

#[test]
fn fifo_timeouts_of_a_pair_given_unswapped_paths_say_both_waited_for_a_reader() {
    // Paths passed unswapped: each end opens its read end on the path the other writes to...
    // not at all, so from each end's side nobody reads its out path, and its write end is
    // refused (ENXIO) until the deadline.
    let timeout = ms(300);
    let mut pair = Pair::new(Transport::Fifo);
    pair.connect_both(timeout);
    for peer in [&mut pair.channel, &mut pair.client] {
        // Opened, but on a path the other end does not write to: the fake OS is not told.
        assert_eq!(peer.conn.poll_action(), Some(Action::Connect(ConnectAction::OpenRead)));
        peer.conn.handle_event(pair.now, Event::Done);
    }
    pair.run_until(|p| p.both_in(State::Failed));
    assert_eq!(waited_for(&pair.client), Some(ConnectAction::OpenWrite));
    assert_eq!(waited_for(&pair.channel), Some(ConnectAction::OpenWrite));
    assert!(pair.client.conn.attempts() > 1, "the write end was retried");
}

#[test]
fn fifo_timeout_while_the_peer_never_opens_its_write_end_says_it_waited_for_a_writer() {
    let timeout = ms(300);
    let mut pair = Pair::new(Transport::Fifo);
    pair.client.conn.connect(pair.now, timeout).unwrap();
    pair.channel.read_end_open = true; // a reader on our out path, but never a writer on our in path
    pair.run_until(|p| p.client.conn.state() == State::Failed);
    assert_eq!(waited_for(&pair.client), Some(ConnectAction::ProbeRead));
    assert!(pair.client.actions.contains(&Action::Connect(ConnectAction::OpenWrite)), "the write end opened");
}

#[test]
fn fifo_timeout_with_no_peer_at_all_says_it_waited_for_a_reader() {
    let mut pair = Pair::new(Transport::Fifo);
    pair.channel.conn.connect(pair.now, ms(100)).unwrap();
    pair.run_until(|p| p.channel.conn.state() == State::Failed);
    assert_eq!(waited_for(&pair.channel), Some(ConnectAction::OpenWrite));
}

#[test]
fn tcp_timeouts_say_the_client_waited_for_a_listener_and_the_channel_for_a_client() {
    let mut pair = Pair::new(Transport::Tcp);
    pair.channel.listening = false;
    pair.client.conn.connect(pair.now, ms(100)).unwrap();
    pair.run_until(|p| p.client.conn.state() == State::Failed);
    assert_eq!(waited_for(&pair.client), Some(ConnectAction::Dial));

    let mut pair = Pair::new(Transport::Tcp);
    pair.channel.conn.connect(pair.now, ms(100)).unwrap();
    pair.run_until(|p| p.channel.conn.state() == State::Failed);
    assert_eq!(waited_for(&pair.channel), Some(ConnectAction::Accept));
}

#[test]
fn a_dial_still_outstanding_at_the_deadline_is_what_the_timeout_waited_for() {
    // The dial was handed out and never answered (a SYN into the void): not a retry, but still
    // the step the connect was on.
    let mut pair = Pair::new(Transport::Tcp);
    let start = pair.now;
    pair.client.conn.connect(start, ms(100)).unwrap();
    assert_eq!(pair.client.conn.poll_action(), Some(Action::Connect(ConnectAction::Dial)));
    pair.advance(ms(100));
    assert_eq!(waited_for(&pair.client), Some(ConnectAction::Dial));
}

#[test]
fn a_timeout_names_the_step_it_was_on_not_a_step_done_before() {
    // The write end opened after two refusals; then the probe read EOF until the deadline.
    let mut pair = Pair::new(Transport::Fifo);
    pair.client.conn.connect(pair.now, ms(200)).unwrap();
    pair.drive();
    pair.step_time();
    pair.drive();
    assert_eq!(pair.client.conn.attempts(), 2);
    pair.channel.read_end_open = true;
    pair.run_until(|p| p.client.conn.state() == State::Failed);
    assert_eq!(waited_for(&pair.client), Some(ConnectAction::ProbeRead));
}

#[test]
fn a_deadline_before_any_step_waited_for_nothing_and_a_new_connect_forgets_the_old_step() {
    let mut pair = Pair::new(Transport::Tcp);
    pair.client.conn.connect(pair.now, Duration::ZERO).unwrap();
    pair.client.conn.handle_timeout(pair.now);
    assert_eq!(waited_for(&pair.client), None);

    pair.channel.listening = false;
    pair.client.conn.connect(pair.now, ms(50)).unwrap();
    pair.run_until(|p| p.client.conn.state() == State::Failed);
    assert_eq!(waited_for(&pair.client), Some(ConnectAction::Dial));
    pair.client.conn.connect(pair.now, Duration::ZERO).unwrap();
    pair.client.conn.handle_timeout(pair.now);
    assert_eq!(waited_for(&pair.client), None, "the step of the last connect is not reported again");
}

#[test]
fn a_timeout_message_says_what_the_peer_never_did() {
    let timeout = ms(500);
    let message = |waiting_for| ConnectError::Timeout { timeout, waiting_for }.to_string();
    assert_eq!(
        message(Some(ConnectAction::OpenWrite)),
        "no peer connected within 500ms: nobody opened our out_path for reading"
    );
    assert_eq!(
        message(Some(ConnectAction::ProbeRead)),
        "no peer connected within 500ms: nobody opened our in_path for writing"
    );
    assert_eq!(message(Some(ConnectAction::Dial)), "no peer connected within 500ms: nobody accepted the connection");
    assert_eq!(message(Some(ConnectAction::Accept)), "no peer connected within 500ms: no client connected");
    assert_eq!(message(None), "no peer connected within 500ms");
}

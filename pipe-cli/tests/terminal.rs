//! pipecat on a real terminal (a tmux pane), where stdout and the `--stats` line share the
//! screen. Needs tmux: without it the test fails and says how to install it.

mod common;

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{assert_exit, channel, Input};

const WAIT: Duration = Duration::from_secs(60);

/// A tmux server of our own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts a detached session running `command` in a 200-column pane that stays after it exits.
    fn start(command: &str) -> Self {
        match Command::new("tmux").arg("-V").output() {
            Ok(output) if output.status.success() => {}
            _ => panic!("this test needs tmux to give pipecat a terminal: install it (apt-get install -y tmux)"),
        }
        let tmux = Self { socket: format!("pipecat-test-{}", std::process::id()) };
        tmux.run(&["new-session", "-d", "-s", "t", "-x", "200", "-y", "40", command]);
        tmux.run(&["set-option", "-t", "t", "remain-on-exit", "on"]);
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("tmux runs");
        assert!(output.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The pane's text, line by line, with what scrolled off it.
    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-S", "-", "-t", "t"])
    }

    /// Waits until the pane shows `text`; answers the screen.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(Instant::now() < deadline, "the pane never showed {text:?}:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-L").arg(&self.socket).arg("kill-server").output();
    }
}

/// The `--stats` line is on the terminal when a frame arrives: the frame is printed on a line
/// of its own, not after the status line (`...received 0 frames/s 0 B/shi there`).
#[test]
fn a_frame_printed_on_the_terminal_does_not_land_after_the_stats_line() {
    let (mut channel, in_path, out_path) = channel(&[], Input::Piped, false);
    let mut channel_in = channel.stdin();
    let command = format!("{} client {in_path} {out_path} --stats < /dev/null", env!("CARGO_BIN_EXE_pipecat"));
    let tmux = Tmux::start(&command);
    // The status line is shown first...
    tmux.wait_for("frames/s");
    // ...then a frame comes.
    channel_in.write_all(b"hi there\n").unwrap();
    channel_in.flush().unwrap();
    let screen = tmux.wait_for("hi there");
    assert!(
        screen.lines().any(|line| line.trim_end() == "hi there"),
        "the frame is not on a line of its own:\n{screen}"
    );
    drop(channel_in);
    let finished = channel.finish(WAIT);
    assert_exit(&finished, 0, "the channel");
    let screen = tmux.wait_for("pipecat: sent 0 frames, 0 bytes");
    assert!(screen.lines().any(|line| line.trim_end() == "hi there"), "{screen}");
}

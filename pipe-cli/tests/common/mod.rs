//! Running the built `pipecat` as a real process: stdin fed from a thread, stdout and stderr
//! collected by threads, every wait bounded so that a hang fails the test with what the process
//! printed.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The binary under test.
pub fn pipecat() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pipecat"))
}

/// What a process gets on stdin.
pub enum Input {
    /// `/dev/null`: the input ends at once.
    Null,
    /// These bytes, written by a thread, then the end of the input.
    Bytes(Vec<u8>),
    /// A pipe the test writes to itself (see [`Running::stdin`]).
    Piped,
}

/// A running process.
pub struct Running {
    pub name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    feeder: Option<JoinHandle<()>>,
    stdout: Option<JoinHandle<Vec<u8>>>,
    stdout_lines: Option<Receiver<Vec<u8>>>,
    stderr_lines: Receiver<String>,
    stderr_all: Arc<Mutex<String>>,
    stderr: Option<JoinHandle<()>>,
}

/// How a process ended.
#[derive(Debug)]
pub struct Finished {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Finished {
    /// The stderr lines.
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().collect()
    }
}

/// Starts `command`; its stdout is collected whole, or line by line when `stdout_lines`.
pub fn start(name: &str, mut command: Command, input: Input, stdout_lines: bool) -> Running {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command.stdin(match input {
        Input::Null => Stdio::null(),
        Input::Bytes(_) | Input::Piped => Stdio::piped(),
    });
    let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    let mut stdin = child.stdin.take();
    let feeder = match input {
        Input::Bytes(bytes) => {
            let mut pipe = stdin.take().expect("piped stdin");
            Some(std::thread::spawn(move || {
                // The process may exit before reading it all (that is what some tests check).
                let _ = pipe.write_all(&bytes);
            }))
        }
        _ => None,
    };
    let mut out = child.stdout.take().expect("piped stdout");
    let (stdout, lines) = if stdout_lines {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(out);
            loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if tx.send(line).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        (None, Some(rx))
    } else {
        let handle = std::thread::spawn(move || {
            let mut all = Vec::new();
            let _ = out.read_to_end(&mut all);
            all
        });
        (Some(handle), None)
    };
    let err = child.stderr.take().expect("piped stderr");
    let (tx, stderr_lines) = mpsc::channel();
    let stderr_all = Arc::new(Mutex::new(String::new()));
    let all = Arc::clone(&stderr_all);
    let stderr = std::thread::spawn(move || {
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { return };
            all.lock().unwrap().push_str(&format!("{line}\n"));
            let _ = tx.send(line);
        }
    });
    Running {
        name: name.to_owned(),
        child,
        stdin,
        feeder,
        stdout,
        stdout_lines: lines,
        stderr_lines,
        stderr_all,
        stderr: Some(stderr),
    }
}

impl Running {
    /// The stdin pipe of a process started with [`Input::Piped`].
    pub fn stdin(&mut self) -> ChildStdin {
        self.stdin.take().expect("started with Input::Piped, stdin not taken yet")
    }

    /// The stdout lines of a process started with `stdout_lines`.
    pub fn stdout_lines(&mut self) -> Receiver<Vec<u8>> {
        self.stdout_lines.take().expect("started with stdout_lines")
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGKILL.
    pub fn kill(&mut self) {
        self.child.kill().expect("kill");
    }

    /// Waits for a stderr line starting with `prefix`, and answers it.
    pub fn stderr_line(&mut self, prefix: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
                Err(_) => {
                    let _ = self.child.kill();
                    panic!(
                        "{}: no stderr line starting with {prefix:?} within {timeout:?}; stderr so far:\n{}",
                        self.name,
                        self.stderr_all.lock().unwrap()
                    );
                }
            }
        }
    }

    /// The next stderr line, `None` once stderr has ended (the process exited); fails the test
    /// when none comes within `timeout`.
    pub fn next_stderr_line(&mut self, timeout: Duration) -> Option<String> {
        match self.stderr_lines.recv_timeout(timeout) {
            Ok(line) => Some(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => None,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                panic!(
                    "{}: no stderr line within {timeout:?}; stderr so far:\n{}",
                    self.name,
                    self.stderr_all.lock().unwrap()
                )
            }
        }
    }

    /// Sends `signal` (`"-INT"`, `"-TERM"`, `"-STOP"`) with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill").arg(signal).arg(self.id().to_string()).status().expect("kill(1)");
        assert!(status.success(), "kill {signal} {}", self.id());
    }

    /// The `pipecat client IN OUT` line a channel or tap prints: IN and OUT.
    pub fn client_paths(&mut self) -> (String, String) {
        let line = self.stderr_line("pipecat client ", Duration::from_secs(20));
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words.len(), 4, "{}: unexpected ready line {line:?}", self.name);
        (words[2].to_owned(), words[3].to_owned())
    }

    /// Waits for the process to exit, at most `timeout` (then kills it and fails).
    pub fn finish(mut self, timeout: Duration) -> Finished {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("{} did not exit within {timeout:?}; stderr:\n{}", self.name, self.stderr_all.lock().unwrap());
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        drop(self.stdin.take());
        if let Some(feeder) = self.feeder.take() {
            feeder.join().expect("stdin feeder");
        }
        let stdout = self.stdout.take().map(|h| h.join().expect("stdout reader")).unwrap_or_default();
        if let Some(stderr) = self.stderr.take() {
            stderr.join().expect("stderr reader");
        }
        let stderr = self.stderr_all.lock().unwrap().clone();
        Finished { code: status.code(), stdout, stderr }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A test that failed half-way leaves no process behind.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Starts `pipecat channel` with `args` and answers it with the client's IN and OUT.
pub fn channel(args: &[&str], input: Input, stdout_lines: bool) -> (Running, String, String) {
    let mut command = pipecat();
    command.arg("channel").args(args);
    let mut running = start("pipecat channel", command, input, stdout_lines);
    let (in_path, out_path) = running.client_paths();
    (running, in_path, out_path)
}

/// Starts `pipecat client IN OUT` with `args`.
pub fn client(in_path: &str, out_path: &str, args: &[&str], input: Input) -> Running {
    let mut command = pipecat();
    command.arg("client").arg(in_path).arg(out_path).args(args);
    start("pipecat client", command, input, false)
}

/// Starts `pipecat client IN OUT` with `args`, its stdout read line by line.
pub fn client_by_lines(in_path: &str, out_path: &str, args: &[&str], input: Input) -> Running {
    let mut command = pipecat();
    command.arg("client").arg(in_path).arg(out_path).args(args);
    start("pipecat client", command, input, true)
}

/// Starts `pipecat tap IN OUT` with `args`; answers it with the client's IN and OUT it prints.
pub fn tap(in_path: &str, out_path: &str, args: &[&str]) -> (Running, String, String) {
    let mut command = pipecat();
    command.arg("tap").arg(in_path).arg(out_path).args(args);
    let mut running = start("pipecat tap", command, Input::Null, false);
    let (tap_in, tap_out) = running.client_paths();
    (running, tap_in, tap_out)
}

/// What pipecat says on stderr when the peer's close is read while it still sends.
pub const PEER_CLOSED: &str = "pipecat: the peer closed its side (or exited)";
/// How pipecat starts the line saying what a connect waits for.
pub const WAITING: &str = "pipecat: waiting for ";

/// Whether a stderr line is one of pipecat's notices (the client line, what a connect waits
/// for, the peer's close), not an error.
pub fn is_notice(line: &str) -> bool {
    // A waiting line ends with the timeout it waits under; the timeout's error line does not.
    let waiting = line.starts_with(WAITING) && line.contains(" (--timeout ");
    line.starts_with("pipecat client ") || waiting || line.starts_with(PEER_CLOSED)
}

/// The stderr lines that are not notices.
pub fn errors(finished: &Finished) -> Vec<&str> {
    finished.stderr_lines().into_iter().filter(|line| !is_notice(line)).collect()
}

/// A loopback TCP port that nobody listens on (it was free a moment ago).
pub fn dead_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    drop(listener);
    port
}

/// Asserts a clean exit.
#[track_caller]
pub fn assert_exit(finished: &Finished, code: i32, who: &str) {
    assert_eq!(finished.code, Some(code), "{who} exited with {:?}; stderr:\n{}", finished.code, finished.stderr);
}

/// A deterministic pseudo-random generator (xorshift64*), so that a failure can be replayed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// Frames as on the wire.
pub fn wire(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for frame in frames {
        out.extend_from_slice(&(frame.len() as u32).to_be_bytes());
        out.extend_from_slice(frame);
    }
    out
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

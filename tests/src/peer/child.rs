//! A peer (ours or Python's) running as a child process: its stdout lines read with deadlines,
//! its stderr kept for failure messages, and the process killed when the handle is dropped, also
//! when a test panics.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A running peer process.
#[derive(Debug)]
pub struct Peer {
    name: String,
    child: Arc<Mutex<Child>>,
    pid: u32,
    lines: Receiver<String>,
    seen: Vec<String>,
    stdout_open: bool,
    stderr: Arc<Mutex<Vec<u8>>>,
    exit: Option<ExitStatus>,
    remove: Vec<PathBuf>,
}

/// How a peer ended, and everything it printed.
#[derive(Debug)]
pub struct PeerExit {
    /// The exit status.
    pub status: ExitStatus,
    /// Every stdout line.
    pub lines: Vec<String>,
}

impl PeerExit {
    /// The exit code (`None` if killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Whether a line starts with `prefix`.
    pub fn has(&self, prefix: &str) -> bool {
        self.lines.iter().any(|l| l.starts_with(prefix))
    }

    /// The words after `word` on the first line starting with `word `, if any.
    pub fn words(&self, word: &str) -> Option<Vec<String>> {
        words_after(&self.lines, word)
    }
}

fn words_after(lines: &[String], word: &str) -> Option<Vec<String>> {
    lines
        .iter()
        .find(|l| l.split_whitespace().next() == Some(word))
        .map(|l| l.split_whitespace().skip(1).map(String::from).collect())
}

impl Peer {
    /// Starts `command` with piped stdout and stderr and no stdin.
    ///
    /// # Panics
    ///
    /// If the program cannot be started.
    pub fn spawn(name: impl Into<String>, mut command: Command) -> Peer {
        let name = name.into();
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap_or_else(|e| panic!("{name}: cannot start {command:?}: {e}"));
        let pid = child.id();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr_buf = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr_buf);
        thread::spawn(move || {
            let mut stderr = stderr;
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = stderr.read(&mut chunk) {
                sink.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(&chunk[..n]);
            }
        });
        let child = Arc::new(Mutex::new(child));
        super::watchdog::register(&child);
        Peer {
            name,
            child,
            pid,
            lines,
            seen: Vec::new(),
            stdout_open: true,
            stderr: stderr_buf,
            exit: None,
            remove: Vec::new(),
        }
    }

    /// The name given at [`Peer::spawn`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.pid
    }

    /// Every stdout line read so far.
    pub fn lines(&self) -> &[String] {
        &self.seen
    }

    /// What the peer wrote on stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// The name, the stdout lines so far and the stderr, for failure messages.
    pub fn report(&self) -> String {
        format!(
            "--- {} (pid {}) stdout:\n{}\n--- {} stderr:\n{}",
            self.name,
            self.pid,
            self.seen.join("\n"),
            self.name,
            self.stderr().trim_end()
        )
    }

    /// The next stdout line, or `None` once stdout is closed.
    ///
    /// # Panics
    ///
    /// At `deadline`, with [`Peer::report`].
    pub fn next_line(&mut self, deadline: Instant) -> Option<String> {
        if !self.stdout_open {
            return None;
        }
        match self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                self.seen.push(line.clone());
                Some(line)
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.stdout_open = false;
                None
            }
            Err(RecvTimeoutError::Timeout) => panic!("{}: no line before the deadline\n{}", self.name, self.report()),
        }
    }

    /// Reads lines until one whose first word is `word`, and returns its other words.
    ///
    /// # Panics
    ///
    /// If stdout ends first, or at `deadline`.
    pub fn expect(&mut self, word: &str, deadline: Instant) -> Vec<String> {
        loop {
            match self.next_line(deadline) {
                Some(line) if line.split_whitespace().next() == Some(word) => {
                    return line.split_whitespace().skip(1).map(String::from).collect()
                }
                Some(_) => {}
                None => panic!("{}: stdout ended before a {word} line\n{}", self.name, self.report()),
            }
        }
    }

    /// Reads the `READY <in_path> <out_path>` of a channel. If the paths are FIFOs, their
    /// directory is removed when this handle is dropped (if the peer did not remove it).
    pub fn ready(&mut self, deadline: Instant) -> (String, String) {
        let words = self.expect("READY", deadline);
        let [in_path, out_path] = &words[..] else { panic!("{}: bad READY line {words:?}", self.name) };
        if let Some(dir) = std::path::Path::new(in_path).parent().filter(|d| !d.as_os_str().is_empty()) {
            self.remove.push(dir.to_owned());
        }
        (in_path.clone(), out_path.clone())
    }

    /// Reads stdout to its end and waits for the exit.
    ///
    /// # Panics
    ///
    /// At `deadline`, with [`Peer::report`].
    pub fn finish(&mut self, deadline: Instant) -> PeerExit {
        while self.next_line(deadline).is_some() {}
        let status = self.wait(deadline);
        PeerExit { status, lines: self.seen.clone() }
    }

    /// Waits for the exit (stdout keeps being collected meanwhile).
    ///
    /// # Panics
    ///
    /// At `deadline`.
    pub fn wait(&mut self, deadline: Instant) -> ExitStatus {
        loop {
            if let Some(status) = self.try_wait() {
                return status;
            }
            if Instant::now() >= deadline {
                panic!("{}: still running at the deadline\n{}", self.name, self.report());
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// The exit status, if the process has ended.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
            self.exit = child.try_wait().ok().flatten();
        }
        self.exit
    }

    /// Kills the process with `SIGKILL` and reaps it.
    pub fn kill(&mut self) {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let _ = child.kill();
        if let Ok(status) = child.wait() {
            self.exit.get_or_insert(status);
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.kill();
        for path in self.remove.drain(..) {
            let _ = std::fs::remove_dir_all(path);
        }
    }
}

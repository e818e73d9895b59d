//! `--stats`: frames/s and bytes/s in each direction on stderr, refreshed in place when stderr
//! is a terminal (one line a second otherwise), and a summary at exit. Everything else pipecat
//! writes to stderr goes through [`eprint_line`], so that it never lands inside the status line,
//! and frames printed on stdout go between [`hide_status`] and [`show_status`], so that they
//! never land after it when both are the same terminal.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The status line of the terminal.
#[derive(Debug)]
struct Status {
    /// The latest line, if any.
    line: Option<String>,
    /// Taken off the terminal while stdout writes there.
    hidden: bool,
}

impl Status {
    /// The line as it stands on the terminal now.
    fn shown(&self) -> Option<&str> {
        self.line.as_deref().filter(|_| !self.hidden)
    }
}

/// The status line currently kept for the terminal, if any.
static STATUS: Mutex<Status> = Mutex::new(Status { line: None, hidden: false });

fn status() -> std::sync::MutexGuard<'static, Status> {
    STATUS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Erases the line the cursor is on (the status line) and goes back to its start.
const ERASE: &str = "\r\x1b[2K";

/// Writes one line to stderr, above the status line when there is one.
pub fn eprint_line(text: &str) {
    let status = status();
    let mut err = std::io::stderr().lock();
    // Errors writing to stderr have nowhere to be reported.
    let _ = match status.shown() {
        Some(shown) => write!(err, "{ERASE}{text}\n{shown}"),
        None => writeln!(err, "{text}"),
    };
    let _ = err.flush();
}

/// Takes the status line off the terminal until [`show_status`], for stdout to write there.
pub fn hide_status() {
    let mut status = status();
    if status.shown().is_some() {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{ERASE}");
        let _ = err.flush();
    }
    status.hidden = true;
}

/// Puts the status line back after [`hide_status`].
pub fn show_status() {
    let mut status = status();
    status.hidden = false;
    if let Some(shown) = status.shown() {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{shown}");
        let _ = err.flush();
    }
}

/// Frame and byte counters of one direction.
#[derive(Debug, Default)]
struct Counter {
    frames: AtomicU64,
    bytes: AtomicU64,
}

impl Counter {
    fn get(&self) -> (u64, u64) {
        (self.frames.load(Ordering::Relaxed), self.bytes.load(Ordering::Relaxed))
    }
}

/// Counters for two directions, named for the command (`sent`/`received`, or the tap's).
#[derive(Debug)]
pub struct Stats {
    labels: [&'static str; 2],
    counters: [Counter; 2],
    start: Instant,
}

impl Stats {
    /// Counters for the directions named `labels`.
    pub fn new(labels: [&'static str; 2]) -> Arc<Self> {
        Arc::new(Self { labels, counters: Default::default(), start: Instant::now() })
    }

    /// Counts one frame of `len` bytes in direction `dir` (0 or 1).
    pub fn count(&self, dir: usize, len: usize) {
        self.counters[dir].frames.fetch_add(1, Ordering::Relaxed);
        self.counters[dir].bytes.fetch_add(len as u64, Ordering::Relaxed);
    }

    /// Refreshes the rate line every `every` until the future is dropped.
    pub async fn show(self: Arc<Self>, every: Duration) {
        let terminal = std::io::stderr().is_terminal();
        let mut last = [self.counters[0].get(), self.counters[1].get()];
        let mut last_at = Instant::now();
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            ticks.tick().await;
            let now = [self.counters[0].get(), self.counters[1].get()];
            let secs = last_at.elapsed().as_secs_f64().max(1e-9);
            let rate = |dir: usize| {
                let frames = (now[dir].0 - last[dir].0) as f64 / secs;
                let bytes = (now[dir].1 - last[dir].1) as f64 / secs;
                format!("{} {frames:.0} frames/s {}/s", self.labels[dir], human_bytes(bytes))
            };
            let line = format!("pipecat: {}, {}", rate(0), rate(1));
            (last, last_at) = (now, Instant::now());
            if terminal {
                let mut status = status();
                if !status.hidden {
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "{ERASE}{line}");
                    let _ = err.flush();
                }
                status.line = Some(line);
            } else {
                eprint_line(&line);
            }
        }
    }

    /// Removes the status line and prints the summary.
    pub fn finish(&self) {
        let mut status = status();
        if status.shown().is_some() {
            let _ = write!(std::io::stderr(), "{ERASE}");
        }
        status.line = None;
        drop(status);
        eprint_line(&self.summary());
    }

    /// Totals and averages since the start.
    pub fn summary(&self) -> String {
        let secs = self.start.elapsed().as_secs_f64();
        let part = |dir: usize| {
            let (frames, bytes) = self.counters[dir].get();
            format!(
                "{} {frames} frames, {bytes} bytes ({:.0} frames/s, {}/s)",
                self.labels[dir],
                frames as f64 / secs.max(1e-9),
                human_bytes(bytes as f64 / secs.max(1e-9))
            )
        };
        format!("pipecat: {}; {}; in {secs:.2} s", part(0), part(1))
    }
}

/// `1234567.0` as `1.2 MB`.
fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_bytes(999.0), "999 B");
        assert_eq!(human_bytes(1_234_567.0), "1.2 MB");
    }

    #[test]
    fn the_summary_counts_each_direction() {
        let stats = Stats::new(["sent", "received"]);
        stats.count(0, 10);
        stats.count(0, 5);
        stats.count(1, 1);
        let summary = stats.summary();
        assert!(summary.contains("sent 2 frames, 15 bytes"), "{summary}");
        assert!(summary.contains("received 1 frames, 1 bytes"), "{summary}");
    }
}

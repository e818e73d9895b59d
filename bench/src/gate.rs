//! `--instructions --check FILE`: the instruction counts as a gate, so that no change gives back
//! what was won without saying so.
//!
//! The gate counts again only the rows whose counts repeat from run to run ([`gated`]), compares
//! each with the figure committed in FILE (`bench/instructions.json`) and fails if one grew by
//! more than the tolerance (3 % unless `--tolerance PCT` says otherwise). A row that shrank by
//! more than the tolerance is reported, not failed: its gain is kept only once the JSON says so.
//! A change that spends instructions on purpose (or wins them) regenerates the JSON in the same
//! commit, so that the gate always compares with what the code promises now.
//!
//! The comparison works on the rows' names as the JSON spells them, so it is the same whatever
//! measured them.

use std::fmt::{self, Write as _};
use std::path::Path;

use crate::peer::Result;

/// The tolerance, in percent, unless `--tolerance` says otherwise.
pub const DEFAULT_TOLERANCE: f64 = 3.0;

/// The command that regenerates the committed figures.
pub const UPDATE_COMMAND: &str =
    "cargo run --release -p pipe-bench -- --instructions --json bench/instructions.json --markdown bench/PERFORMANCE.md";

/// The rows whose counts repeat closely enough from run to run to be gated: each moved by at
/// most 2 % over three full `--instructions` runs (the spread is the comment beside it).
///
/// They are the rows where the end under callgrind meets the same state at every call: writers
/// (which never wait for room), and readers that find whole batches (64-byte frames in batches
/// of 512) or, on a FIFO, the same backlog. Left out are the rows whose counts depend on how the
/// two processes happen to be scheduled, which moved by 2 % to 300 % between those runs: every
/// 1 MiB row (how many bytes each read finds), the TCP readers of one write per frame, the TCP
/// readers of the smol and async-std runtimes and of every `read_batch_with` reader also for
/// batches, the FIFO readers of one write per frame that take them with `read_batch_with`, and
/// the FIFO batched writers of pipe-tokio and pipe-async-std in the `read_batch_with` sessions
/// (4.7 % and 2.3 %), and our other FIFO batched writers, which held within 0.5 % over those
/// three runs but read 55.6 against 53.9-54.3 in one check run of the same code (3 %, the
/// tolerance itself: how many frames each write finds room for in the pipe). bench/PERFORMANCE.md
/// says which rows are gated and why.
pub const GATED: [(&str, &str, &str, &str); 43] = [
    ("raw", "fifo", "single_64B", "reader"),                  // 0.34 %
    ("raw", "fifo", "single_64B", "writer"),                  // 0.00 %
    ("raw", "fifo", "batched_64B", "reader"),                 // 0.05 %
    ("raw", "fifo", "batched_64B", "writer"),                 // 0.00 %
    ("raw", "tcp", "single_64B", "writer"),                   // 0.00 %
    ("raw", "tcp", "batched_64B", "reader"),                  // 0.00 %
    ("raw", "tcp", "batched_64B", "writer"),                  // 0.00 %
    ("tokio-util", "fifo", "single_64B", "reader"),           // 0.13 %
    ("tokio-util", "fifo", "single_64B", "writer"),           // 0.09 %
    ("tokio-util", "fifo", "batched_64B", "reader"),          // 0.03 %
    ("tokio-util", "fifo", "batched_64B", "writer"),          // 0.07 %
    ("tokio-util", "tcp", "single_64B", "reader"),            // 0.14 %
    ("tokio-util", "tcp", "single_64B", "writer"),            // 0.00 %
    ("tokio-util", "tcp", "batched_64B", "reader"),           // 0.00 %
    ("tokio-util", "tcp", "batched_64B", "writer"),           // 0.00 %
    ("pipe-tokio", "fifo", "single_64B", "reader"),           // 0.34 %
    ("pipe-tokio", "fifo", "single_64B", "writer"),           // 0.21 %
    ("pipe-tokio", "fifo", "batched_64B", "reader"),          // 0.01 %
    ("pipe-tokio", "tcp", "single_64B", "writer"),            // 0.00 %
    ("pipe-tokio", "tcp", "batched_64B", "reader"),           // 0.13 %
    ("pipe-tokio", "tcp", "batched_64B", "writer"),           // 0.14 %
    ("pipe-tokio-lent", "fifo", "single_64B", "writer"),      // 0.14 %
    ("pipe-tokio-lent", "fifo", "batched_64B", "reader"),     // 0.21 %
    ("pipe-tokio-lent", "tcp", "single_64B", "writer"),       // 0.00 %
    ("pipe-tokio-lent", "tcp", "batched_64B", "writer"),      // 0.00 %
    ("pipe-smol", "fifo", "single_64B", "reader"),            // 0.41 %
    ("pipe-smol", "fifo", "single_64B", "writer"),            // 0.41 %
    ("pipe-smol", "fifo", "batched_64B", "reader"),           // 0.05 %
    ("pipe-smol", "tcp", "single_64B", "writer"),             // 0.06 %
    ("pipe-smol", "tcp", "batched_64B", "writer"),            // 0.07 %
    ("pipe-smol-lent", "fifo", "single_64B", "writer"),       // 0.55 %
    ("pipe-smol-lent", "fifo", "batched_64B", "reader"),      // 0.08 %
    ("pipe-smol-lent", "tcp", "single_64B", "writer"),        // 0.09 %
    ("pipe-smol-lent", "tcp", "batched_64B", "writer"),       // 0.00 %
    ("pipe-async-std", "fifo", "single_64B", "reader"),       // 0.26 %
    ("pipe-async-std", "fifo", "single_64B", "writer"),       // 0.54 %
    ("pipe-async-std", "fifo", "batched_64B", "reader"),      // 0.09 %
    ("pipe-async-std", "tcp", "single_64B", "writer"),        // 0.07 %
    ("pipe-async-std", "tcp", "batched_64B", "writer"),       // 0.01 %
    ("pipe-async-std-lent", "fifo", "single_64B", "writer"),  // 0.72 %
    ("pipe-async-std-lent", "fifo", "batched_64B", "reader"), // 0.64 %
    ("pipe-async-std-lent", "tcp", "single_64B", "writer"),   // 0.08 %
    ("pipe-async-std-lent", "tcp", "batched_64B", "writer"),  // 0.10 %
];

/// Whether the row is one of [`GATED`].
pub fn gated(key: &Key) -> bool {
    GATED.iter().any(|&(implementation, transport, workload, end)| {
        key.implementation == implementation && key.transport == transport && key.workload == workload && key.end == end
    })
}

/// Which row: the JSON's `implementation`, `transport`, `workload` and `end`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub implementation: String,
    pub transport: String,
    pub workload: String,
    pub end: String,
}

impl Key {
    pub fn new(implementation: &str, transport: &str, workload: &str, end: &str) -> Key {
        Key {
            implementation: implementation.into(),
            transport: transport.into(),
            workload: workload.into(),
            end: end.into(),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "implementation {}, transport {}, workload {}, end {}",
            self.implementation, self.transport, self.workload, self.end
        )
    }
}

/// The instructions per frame of one row.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub key: Key,
    pub per_frame: f64,
}

/// The gated rows of a committed `--instructions` JSON, with their instructions per frame.
pub fn committed_figures(text: &str) -> Result<Vec<Figure>> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|err| format!("not JSON: {err}"))?;
    let rows = json.get("rows").and_then(|r| r.as_array()).ok_or("no \"rows\" array")?;
    let mut out = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let field = |name: &str| {
            row.get(name).and_then(|v| v.as_str()).ok_or_else(|| format!("row {index} has no {name:?} string"))
        };
        let key = Key::new(field("implementation")?, field("transport")?, field("workload")?, field("end")?);
        if !gated(&key) {
            continue;
        }
        let per_frame = row
            .get("per_frame")
            .and_then(|v| v.as_f64())
            .ok_or_else(|| format!("row {index} ({key}) has no \"per_frame\" number"))?;
        out.push(Figure { key, per_frame });
    }
    Ok(out)
}

/// A gated row, its committed figure and the new one.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub key: Key,
    pub committed: f64,
    pub measured: f64,
}

impl Change {
    /// The change, in percent of the committed figure.
    pub fn percent(&self) -> f64 {
        (self.measured - self.committed) / self.committed * 100.0
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: committed {:.1}, now {:.1} instructions per frame ({:+.1} %)",
            self.key,
            self.committed,
            self.measured,
            self.percent()
        )
    }
}

/// What the gate found.
#[derive(Debug, Default)]
pub struct Verdict {
    /// The tolerance, in percent.
    pub tolerance: f64,
    /// Rows that grew by more than the tolerance: the gate fails.
    pub grew: Vec<Change>,
    /// Rows that shrank by more than the tolerance: the JSON should say so.
    pub shrank: Vec<Change>,
    /// Rows within the tolerance.
    pub held: Vec<Change>,
    /// Rows measured that the JSON has no figure for: the gate fails (a new row is committed
    /// with its figure).
    pub uncommitted: Vec<Key>,
    /// Rows that could not be measured, with why: the gate fails (a row it cannot count is a
    /// row it does not guard).
    pub unmeasured: Vec<(Key, String)>,
}

impl Verdict {
    /// Whether the change may land.
    pub fn passed(&self) -> bool {
        self.grew.is_empty() && self.uncommitted.is_empty() && self.unmeasured.is_empty()
    }

    /// The report, every row in it; `file` is the JSON compared with.
    pub fn render(&self, file: &str) -> String {
        let mut out = String::new();
        let tolerance = self.tolerance;
        let checked = self.grew.len() + self.shrank.len() + self.held.len();
        let _ = writeln!(out, "pipe-bench --check: {checked} rows compared with {file}, tolerance {tolerance} %");
        for change in &self.held {
            let _ = writeln!(out, "  held:   {change}");
        }
        for change in &self.shrank {
            let _ = writeln!(out, "  SHRANK: {change}");
        }
        for change in &self.grew {
            let _ = writeln!(out, "  GREW:   {change}");
        }
        for key in &self.uncommitted {
            let _ = writeln!(out, "  NEW:    {key}: measured, but {file} has no figure for it");
        }
        for (key, err) in &self.unmeasured {
            let _ = writeln!(out, "  FAILED: {key}: could not be measured: {err}");
        }
        if !self.grew.is_empty() {
            let _ = writeln!(
                out,
                "\n{} row(s) spend more than {tolerance} % more instructions per frame than {file} says.",
                self.grew.len()
            );
            let raw_grew = self.grew.iter().any(|c| c.key.implementation == "raw");
            if raw_grew {
                let _ = writeln!(
                    out,
                    "The raw loop grew too: the compiler, the standard library or valgrind changed, not only the pipe."
                );
            }
        }
        if !self.shrank.is_empty() {
            let _ = writeln!(
                out,
                "\n{} row(s) spend more than {tolerance} % fewer instructions per frame than {file} says: \
                 update {file}, so that the gate keeps the gain.",
                self.shrank.len()
            );
        }
        if !self.grew.is_empty() || !self.shrank.is_empty() || !self.uncommitted.is_empty() {
            let _ = writeln!(
                out,
                "A change that moves these counts on purpose updates {file} (and the tables) in the same commit:\n  \
                 {UPDATE_COMMAND}"
            );
        }
        let _ = writeln!(out, "\npipe-bench --check: {}", if self.passed() { "passed" } else { "FAILED" });
        out
    }
}

/// Compares each measured row with its committed figure.
pub fn compare(committed: &[Figure], measured: &[Figure], unmeasured: Vec<(Key, String)>, tolerance: f64) -> Verdict {
    let mut verdict = Verdict { tolerance, unmeasured, ..Verdict::default() };
    for figure in measured {
        let Some(before) = committed.iter().find(|c| c.key == figure.key) else {
            verdict.uncommitted.push(figure.key.clone());
            continue;
        };
        let change = Change { key: figure.key.clone(), committed: before.per_frame, measured: figure.per_frame };
        let percent = change.percent();
        if percent > tolerance {
            verdict.grew.push(change);
        } else if percent < -tolerance {
            verdict.shrank.push(change);
        } else {
            verdict.held.push(change);
        }
    }
    verdict
}

/// Reads the committed figures of `path`.
pub fn read_committed(path: &Path) -> Result<Vec<Figure>> {
    let text = std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))?;
    committed_figures(&text).map_err(|err| format!("{}: {err}", path.display()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(implementation: &str, end: &str, per_frame: f64) -> Figure {
        Figure { key: Key::new(implementation, "fifo", "batched_64B", end), per_frame }
    }

    const JSON: &str = r#"{
      "command": "c",
      "rows": [
        {"implementation": "raw", "transport": "tcp", "workload": "single_64B", "end": "reader", "per_frame": 83.5},
        {"implementation": "pipe-tokio", "transport": "fifo", "workload": "large_1MiB", "end": "reader", "per_frame": 6e4},
        {"implementation": "raw", "transport": "fifo", "workload": "batched_64B", "end": "reader", "per_frame": 85.2},
        {"implementation": "pipe-tokio", "transport": "tcp", "workload": "batched_64B", "end": "writer", "per_frame": 56}
      ],
      "targets": []
    }"#;

    #[test]
    fn only_the_gated_rows_of_the_committed_json_are_compared() {
        let figures = committed_figures(JSON).unwrap();
        assert_eq!(
            figures,
            vec![
                Figure { key: Key::new("raw", "fifo", "batched_64B", "reader"), per_frame: 85.2 },
                Figure { key: Key::new("pipe-tokio", "tcp", "batched_64B", "writer"), per_frame: 56.0 },
            ]
        );
    }

    #[test]
    fn a_committed_json_without_rows_or_figures_is_an_error_that_names_the_row() {
        assert!(committed_figures("{}").unwrap_err().to_string().contains("rows"));
        assert!(committed_figures("not json").is_err());
        let null = r#"{"rows": [{"implementation": "raw", "transport": "tcp", "workload": "batched_64B",
                       "end": "writer", "per_frame": null}]}"#;
        let err = committed_figures(null).unwrap_err().to_string();
        assert!(err.contains("implementation raw, transport tcp, workload batched_64B, end writer"), "{err}");
    }

    #[test]
    fn a_row_that_grew_beyond_the_tolerance_fails_the_gate_and_is_named() {
        let committed = [figure("pipe-tokio", "writer", 100.0), figure("pipe-tokio", "reader", 100.0)];
        let measured = [figure("pipe-tokio", "writer", 103.5), figure("pipe-tokio", "reader", 102.9)];
        let verdict = compare(&committed, &measured, Vec::new(), 3.0);
        assert!(!verdict.passed());
        assert_eq!(verdict.grew.len(), 1);
        assert_eq!(verdict.held.len(), 1);
        let text = verdict.render("bench/instructions.json");
        assert!(
            text.contains(
                "GREW:   implementation pipe-tokio, transport fifo, workload batched_64B, end writer: \
                 committed 100.0, now 103.5 instructions per frame (+3.5 %)"
            ),
            "{text}"
        );
        assert!(text.contains("updates bench/instructions.json (and the tables) in the same commit"), "{text}");
        assert!(text.contains(UPDATE_COMMAND), "{text}");
        assert!(text.ends_with("pipe-bench --check: FAILED\n"), "{text}");
    }

    #[test]
    fn a_row_within_the_tolerance_either_way_passes() {
        let committed = [figure("raw", "reader", 85.0), figure("raw", "writer", 38.0)];
        let measured = [figure("raw", "reader", 85.0 * 1.0299), figure("raw", "writer", 38.0 * 0.9701)];
        let verdict = compare(&committed, &measured, Vec::new(), 3.0);
        assert!(verdict.passed());
        assert_eq!(verdict.held.len(), 2);
        assert!(verdict.grew.is_empty() && verdict.shrank.is_empty());
        let text = verdict.render("f.json");
        assert!(!text.contains("same commit"), "{text}");
        assert!(text.ends_with("pipe-bench --check: passed\n"), "{text}");
    }

    #[test]
    fn a_row_that_shrank_beyond_the_tolerance_passes_with_a_hint_to_update_the_json() {
        let committed = [figure("pipe-smol-lent", "reader", 50.0)];
        let measured = [figure("pipe-smol-lent", "reader", 45.0)];
        let verdict = compare(&committed, &measured, Vec::new(), 3.0);
        assert!(verdict.passed());
        assert_eq!(verdict.shrank.len(), 1);
        let text = verdict.render("bench/instructions.json");
        assert!(text.contains("SHRANK: implementation pipe-smol-lent"), "{text}");
        assert!(text.contains("(-10.0 %)"), "{text}");
        assert!(text.contains("update bench/instructions.json, so that the gate keeps the gain"), "{text}");
        assert!(text.ends_with("passed\n"), "{text}");
    }

    #[test]
    fn the_tolerance_is_the_callers() {
        let committed = [figure("pipe-tokio", "writer", 100.0)];
        let measured = [figure("pipe-tokio", "writer", 104.0)];
        assert!(!compare(&committed, &measured, Vec::new(), 3.0).passed());
        assert!(compare(&committed, &measured, Vec::new(), 5.0).passed());
    }

    #[test]
    fn a_measured_row_without_a_committed_figure_fails_the_gate() {
        let verdict = compare(&[], &[figure("pipe-new", "reader", 10.0)], Vec::new(), 3.0);
        assert!(!verdict.passed());
        let text = verdict.render("f.json");
        assert!(text.contains("NEW:    implementation pipe-new, transport fifo"), "{text}");
        assert!(text.contains("f.json has no figure for it"), "{text}");
    }

    #[test]
    fn a_row_that_could_not_be_measured_fails_the_gate() {
        let committed = [figure("raw", "reader", 85.0)];
        let unmeasured = vec![(committed[0].key.clone(), "timed out".to_string())];
        let verdict = compare(&committed, &[], unmeasured, 3.0);
        assert!(!verdict.passed());
        assert!(verdict.render("f.json").contains("FAILED: implementation raw, transport fifo, workload batched_64B, end reader: could not be measured: timed out"));
    }

    #[test]
    fn a_raw_loop_that_grew_points_at_the_toolchain() {
        let verdict = compare(&[figure("raw", "reader", 85.0)], &[figure("raw", "reader", 95.0)], Vec::new(), 3.0);
        assert!(verdict.render("f.json").contains("The raw loop grew too"));
    }
}

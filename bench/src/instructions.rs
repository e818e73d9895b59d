//! `--instructions`: the user-space instructions each end spends per frame, counted by callgrind.
//!
//! For every implementation, transport, workload ((1) 64-byte frames, one write each; (2) the
//! same in batches of 512; (3) 1 MiB frames) and end (the reader is the channel, the writer the
//! client), two sessions run, of N and of 2N frames, with the measured end under
//! `valgrind --tool=callgrind` and its peer running natively. Per frame is
//! `(I(2N) - I(N)) / N` (see [`crate::counting`]).
//!
//! Under callgrind the measured end runs tens of times slower than its peer, so it never waits
//! for it: a reader finds the pipe full at every read (it gets its frames in bulk), a writer
//! finds it empty (it never waits for room). The counts are the work each end does per frame,
//! whatever the machine's mood; the wall-clock tables show the waiting. Callgrind counts every
//! thread of the process, so a runtime's helper threads are in the figures too.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::coordinator::{run_session, Env, Launch};
use crate::counting::{self, Outputs, Twice};
use crate::gate;
use crate::peer::Result;
use crate::pinning::Pinning;
use crate::plan::{Impl, Run, Transport, Workload, BATCH, LARGE, SMALL};
use crate::report::{format_ratio, json_num, json_str, Metric};
use crate::sys::Machine;

/// The workloads counted, each with its N (the sessions move N and 2N frames).
const WORKLOADS: [(Workload, u64); 3] = [(Workload::Single, 20_000), (Workload::Batch, 262_144), (Workload::Large, 64)];

/// Ours may spend at most this many times the raw loop's instructions per frame, at each end,
/// for 64-byte frames in batches.
pub const TARGET: f64 = 1.5;

/// The mode's name, on the command line and in the markers of its Markdown section.
const MODE: &str = "--instructions";

/// How long one session may take under callgrind.
const TIMEOUT: Duration = Duration::from_secs(300);

/// The end of a session whose instructions are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The channel, which reads the frames.
    Reader,
    /// The client, which writes them.
    Writer,
}

impl End {
    /// Both ends, in table order.
    pub const ALL: [End; 2] = [End::Reader, End::Writer];

    /// The name in the JSON and in the tables.
    pub fn key(self) -> &'static str {
        match self {
            End::Reader => "reader",
            End::Writer => "writer",
        }
    }
}

/// The instructions of one end of one implementation, transport and workload.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub imp: Impl,
    pub transport: Transport,
    pub workload: Workload,
    pub end: End,
    pub counts: Twice,
}

/// Every row counted.
#[derive(Debug, Default)]
pub struct Counts {
    /// The counting tool's version line.
    tool: String,
    rows: Vec<Row>,
}

impl Counts {
    /// Instructions per frame.
    pub fn per_frame(&self, imp: Impl, transport: Transport, workload: Workload, end: End) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.imp == imp && r.transport == transport && r.workload == workload && r.end == end)
            .map(|r| r.counts.per_unit())
    }

    /// Instructions per frame, divided by the raw loop's.
    pub fn ratio(&self, imp: Impl, transport: Transport, workload: Workload, end: End) -> Option<f64> {
        let raw = self.per_frame(Impl::Raw, transport, workload, end)?;
        let value = self.per_frame(imp, transport, workload, end)?;
        (raw > 0.5).then(|| value / raw)
    }
}

/// The table's metric of a workload (its key and title).
fn metric(workload: Workload) -> Metric {
    match workload {
        Workload::Single => Metric::Single,
        Workload::Batch => Metric::Batch,
        Workload::Large => Metric::Large,
        Workload::Rtt => Metric::RttMedian,
    }
}

/// One run of `workload` with `frames` frames.
fn run_of(workload: Workload, frames: u64) -> Run {
    match workload {
        Workload::Single => Run::Single { frames, size: SMALL, limit_ms: 0 },
        Workload::Batch => Run::Batch { frames, size: SMALL, batch: BATCH, limit_ms: 0 },
        Workload::Large => Run::Large { frames, size: LARGE, limit_ms: 0 },
        Workload::Rtt => Run::Rtt { rounds: frames, size: SMALL, limit_ms: 0 },
    }
}

/// The total of a callgrind output file (its `summary:` or `totals:` line).
fn callgrind_total(path: &Path) -> Result<u64> {
    let text = std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))?;
    text.lines()
        .find_map(|line| line.strip_prefix("summary:").or_else(|| line.strip_prefix("totals:")))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("{}: no summary line", path.display()).into())
}

/// One session of `run`, `end` under callgrind writing to `out`: its instructions.
fn count(
    env: &Env,
    pinning: Option<Pinning>,
    imp: Impl,
    transport: Transport,
    run: Run,
    end: End,
    out: &Path,
) -> Result<u64> {
    let mut wrapper: Vec<OsString> = vec!["valgrind".into(), "--tool=callgrind".into(), "-q".into()];
    let mut file = OsString::from("--callgrind-out-file=");
    file.push(out);
    wrapper.push(file);
    let mut launch = Launch::pinned(pinning);
    match end {
        End::Reader => launch.channel_wrapper = wrapper,
        End::Writer => launch.client_wrapper = wrapper,
    }
    run_session(env, &launch, imp, transport, &[run], TIMEOUT)?;
    callgrind_total(out)
}

/// The rows of one implementation, transport, workload and end that could not be counted, with
/// why.
type Failures = Vec<(gate::Key, String)>;

/// Counts the rows of `impls` on `transports` (Python AEA has no place here) for the workloads
/// rows `wanted` keeps.
fn measure(
    env: &Env,
    pinning: Option<Pinning>,
    impls: &[Impl],
    transports: &[Transport],
    wanted: impl Fn(&gate::Key) -> bool,
) -> Result<(Counts, Failures)> {
    let valgrind = counting::require_tool("valgrind", "valgrind")?;
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build, whose instruction counts say little: use --release");
    }
    let dir = counting::output_dir(&env.exe, "callgrind")?;
    eprintln!("pipe-bench: {valgrind}, callgrind files in {}", dir.display());
    let mut counts = Counts { tool: valgrind, ..Counts::default() };
    let mut failures = Failures::new();
    for &imp in impls.iter().filter(|&&imp| imp != Impl::Python) {
        for &transport in transports {
            for (workload, n) in WORKLOADS {
                for end in End::ALL.into_iter().filter(|&end| wanted(&key(imp, transport, workload, end))) {
                    let t = Instant::now();
                    let name = format!("{}-{}-{}-{}", imp.key(), transport.key(), metric(workload).key(), end.key());
                    let mut totals = [0u64; 2];
                    let mut failed = None;
                    for (total, frames) in totals.iter_mut().zip([n, 2 * n]) {
                        let out = dir.join(format!("{name}-{frames}.out"));
                        match count(env, pinning, imp, transport, run_of(workload, frames), end, &out) {
                            Ok(instructions) => *total = instructions,
                            Err(err) => failed = Some(err),
                        }
                    }
                    if let Some(err) = failed {
                        eprintln!("  {name}: FAILED: {err}");
                        failures.push((key(imp, transport, workload, end), err.to_string()));
                        continue;
                    }
                    let row = Row {
                        imp,
                        transport,
                        workload,
                        end,
                        counts: Twice { n, short: totals[0] as f64, long: totals[1] as f64 },
                    };
                    eprintln!(
                        "  {name}: {:.1} instructions per frame ({:.1} s)",
                        row.counts.per_unit(),
                        t.elapsed().as_secs_f64()
                    );
                    counts.rows.push(row);
                }
            }
        }
    }
    Ok((counts, failures))
}

/// A row's name, as the JSON spells it.
fn key(imp: Impl, transport: Transport, workload: Workload, end: End) -> gate::Key {
    gate::Key::new(imp.key(), transport.key(), metric(workload).key(), end.key())
}

/// Counts every row for `impls` on `transports` (Python AEA has no place here), prints the
/// tables and writes the outputs.
pub fn run(
    env: &Env,
    pinning: Option<Pinning>,
    impls: &[Impl],
    transports: &[Transport],
    outputs: &Outputs,
) -> Result<()> {
    let started = Instant::now();
    if let Some(path) = &outputs.markdown {
        counting::check_markdown(path, MODE)?;
    }
    let (counts, _) = measure(env, pinning, impls, transports, |_| true)?;
    let info = counting::Info {
        command: outputs.command.clone(),
        tool: counts.tool.clone(),
        machine: Machine::describe(),
        pinning,
        seconds: started.elapsed().as_secs_f64(),
    };
    counting::publish(outputs, MODE, &markdown(&counts, &info), &json(&counts, &info))
}

/// `--check FILE`: counts only the rows [`gate::gated`] keeps, for `impls` on `transports`, and
/// compares them with the figures committed in `committed` ([`gate`]). An error if a row grew
/// by more than `tolerance` percent, or could not be compared.
pub fn check(
    env: &Env,
    pinning: Option<Pinning>,
    impls: &[Impl],
    transports: &[Transport],
    committed: &Path,
    tolerance: f64,
) -> Result<()> {
    let started = Instant::now();
    let before = gate::read_committed(committed)?;
    let (counts, failures) = measure(env, pinning, impls, transports, gate::gated)?;
    let measured: Vec<gate::Figure> = counts
        .rows
        .iter()
        .map(|r| gate::Figure { key: key(r.imp, r.transport, r.workload, r.end), per_frame: r.counts.per_unit() })
        .collect();
    let verdict = gate::compare(&before, &measured, failures, tolerance);
    print!("{}", verdict.render(&committed.display().to_string()));
    println!("({:.0} s)", started.elapsed().as_secs_f64());
    if verdict.passed() {
        Ok(())
    } else {
        Err(format!("the instruction counts are not those of {}: see above", committed.display()).into())
    }
}

/// Instructions as printed: whole numbers up to 100 000, then thousands.
fn format_count(value: f64) -> String {
    if value.abs() >= 1e5 {
        format!("{:.0} k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

/// The tables: one per workload, and the target.
fn markdown(counts: &Counts, info: &counting::Info) -> String {
    let mut out = String::new();
    let sizes: Vec<String> = WORKLOADS
        .iter()
        .map(|&(w, n)| {
            format!("{} and {} frames for {}", n, 2 * n, metric(w).title().split_once(' ').map_or("", |x| x.0))
        })
        .collect();
    let _ = writeln!(
        out,
        "User-space instructions per frame of each end, `(I(2N) − I(N)) / N`: {}, {}. The end counted runs under \
         callgrind, its peer natively{}; {:.0} s. Command: `{}`.\n",
        info.tool,
        sizes.join(", "),
        info.pinning_note(),
        info.seconds,
        info.command
    );
    for (workload, _) in WORKLOADS {
        let _ = writeln!(out, "#### {}: instructions per frame, lower is better\n", metric(workload).title());
        let mut header = String::from("| implementation |");
        let mut rule = String::from("|---|");
        for transport in Transport::ALL {
            for end in End::ALL {
                let _ = write!(header, " {} {} | × raw |", transport.label(), end.key());
                rule.push_str("--:|--:|");
            }
        }
        let _ = writeln!(out, "{header}\n{rule}");
        for imp in Impl::ALL.into_iter().filter(|&i| counts.rows.iter().any(|r| r.imp == i)) {
            let mut row = format!("| {} |", imp.label());
            for transport in Transport::ALL {
                for end in End::ALL {
                    let value = counts.per_frame(imp, transport, workload, end).map_or("—".into(), format_count);
                    let ratio = counts.ratio(imp, transport, workload, end).map_or("—".into(), format_ratio);
                    let _ = write!(row, " {value} | {ratio} |");
                }
            }
            let _ = writeln!(out, "{row}");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "#### Target: ours ≤ {TARGET}× raw instructions per frame at each end, {}\n",
        metric(Workload::Batch).title().split_once(' ').map_or("", |x| x.1)
    );
    out.push_str(
        "| implementation | transport | end | per frame | raw | ratio | holds |\n|---|---|---|--:|--:|--:|---|\n",
    );
    for target in
        targets(counts).into_iter().filter(|t| counts.rows.iter().any(|r| r.imp == t.imp && r.transport == t.transport))
    {
        let raw = counts.per_frame(Impl::Raw, target.transport, Workload::Batch, target.end);
        let value = counts.per_frame(target.imp, target.transport, Workload::Batch, target.end);
        let holds = match target.ratio {
            Some(ratio) if ratio <= TARGET => "yes",
            Some(_) => "**no**",
            None => "—",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {holds} |",
            target.imp.label(),
            target.transport.label(),
            target.end.key(),
            value.map_or("—".into(), format_count),
            raw.map_or("—".into(), format_count),
            target.ratio.map_or("—".into(), format_ratio)
        );
    }
    out
}

/// The target, checked for one of our ends.
#[derive(Debug)]
struct Target {
    imp: Impl,
    transport: Transport,
    end: End,
    ratio: Option<f64>,
}

fn targets(counts: &Counts) -> Vec<Target> {
    let mut out = Vec::new();
    for imp in Impl::ALL.into_iter().filter(|i| i.is_ours()) {
        for transport in Transport::ALL {
            for end in End::ALL {
                let ratio = counts.ratio(imp, transport, Workload::Batch, end);
                out.push(Target { imp, transport, end, ratio });
            }
        }
    }
    out
}

/// The same counts as JSON, with both totals of each row.
fn json(counts: &Counts, info: &counting::Info) -> String {
    let mut out = info.json_head(
        "--tool=callgrind",
        "instructions of one end (all its threads) over a session of N frames and one of 2N, the other end running \
         natively; per_frame = (instructions[1] - instructions[0]) / frames[0]",
    );
    out.push_str("  \"rows\": [\n");
    let rows: Vec<String> = counts
        .rows
        .iter()
        .map(|r| {
            format!(
                "    {{\"implementation\": {}, \"transport\": {}, \"workload\": {}, \"end\": {}, \"frames\": [{}, {}], \
                 \"instructions\": [{}, {}], \"per_frame\": {}, \"ratio_to_raw\": {}}}",
                json_str(r.imp.key()),
                json_str(r.transport.key()),
                json_str(metric(r.workload).key()),
                json_str(r.end.key()),
                r.counts.n,
                2 * r.counts.n,
                r.counts.short,
                r.counts.long,
                json_num(Some(r.counts.per_unit())),
                json_num(counts.ratio(r.imp, r.transport, r.workload, r.end)),
            )
        })
        .collect();
    out.push_str(&rows.join(",\n"));
    out.push_str("\n  ],\n  \"targets\": [\n");
    let rows: Vec<String> = targets(counts)
        .iter()
        .map(|t| {
            format!(
                "    {{\"target\": {}, \"implementation\": {}, \"transport\": {}, \"end\": {}, \"bound\": {TARGET}, \
                 \"ratio\": {}, \"holds\": {}}}",
                json_str(&format!("batched_64B instructions per frame ≤ {TARGET}× raw")),
                json_str(t.imp.key()),
                json_str(t.transport.key()),
                json_str(t.end.key()),
                json_num(t.ratio),
                t.ratio.map_or("null".into(), |r| (r <= TARGET).to_string()),
            )
        })
        .collect();
    out.push_str(&rows.join(",\n"));
    out.push_str("\n  ]\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_total_comes_from_the_summary_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("callgrind.out");
        std::fs::write(&path, "version: 1\ncmd: x\nevents: Ir\nfn=(1) main\n3 7\nsummary: 123456\ntotals: 123456\n")
            .unwrap();
        assert_eq!(callgrind_total(&path).unwrap(), 123456);
        std::fs::write(&path, "events: Ir\n").unwrap();
        assert!(callgrind_total(&path).is_err());
    }

    #[test]
    fn the_target_compares_ours_with_raw_per_frame() {
        let mut counts = Counts::default();
        let row = |imp, per_frame: f64| Row {
            imp,
            transport: Transport::Fifo,
            workload: Workload::Batch,
            end: End::Reader,
            counts: Twice { n: 100, short: 1e6, long: 1e6 + 100.0 * per_frame },
        };
        counts.rows.push(row(Impl::Raw, 85.0));
        counts.rows.push(row(Impl::Tokio, 127.5));
        assert_eq!(counts.ratio(Impl::Tokio, Transport::Fifo, Workload::Batch, End::Reader), Some(1.5));
        let info = counting::Info {
            command: "c".into(),
            tool: "valgrind".into(),
            machine: Machine::describe(),
            pinning: None,
            seconds: 1.0,
        };
        let text = markdown(&counts, &info);
        assert!(text.contains("| ours: pipe-tokio | FIFO | reader | 128 | 85 | 1.50× | yes |"), "{text}");
        assert!(text.contains("| ours: pipe-tokio | FIFO | writer | — | — | — | — |"), "{text}");
    }
}

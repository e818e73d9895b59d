//! `--syscalls`: the system calls of one 64-byte round trip (workload (4)), counted by strace
//! at both ends.
//!
//! For every implementation and transport, two ping-pong sessions run, of N and of 2N round
//! trips, with both ends under `strace -f -c` (every thread, a count per call). Per round trip
//! is `(S(2N) - S(N)) / N` for each end and each call (see [`crate::counting`]). Calls that
//! fail count too (a `read` that finds nothing is one `EAGAIN`) and are shown as such.
//!
//! The pair of sessions is repeated: the blocking loops and tokio make the same calls in every
//! session, but the async-io runtimes (smol, async-std) do not, since which of their threads
//! drives the reactor, and how often it finds nothing to read, depends on timing. The table
//! shows the repetition with the median count and the range of all of them.
//!
//! Under strace every call stops the process for the tracer, so each end is slower than it is
//! natively; a round trip still waits for the peer at each step, so each end makes the calls of
//! a quiet machine: wait for the frame, read it, write the answer.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::coordinator::{run_session, Env, Launch};
use crate::counting::{self, Outputs};
use crate::peer::Result;
use crate::pinning::Pinning;
use crate::plan::{Impl, Run, Transport, SMALL};
use crate::report::{format_ratio, json_num, json_str};
use crate::sys::Machine;

/// Round trips of the shorter session (the longer one makes twice as many).
const ROUND_TRIPS: u64 = 2_000;

/// Pairs of sessions per implementation and transport.
const REPEATS: usize = 3;

/// The mode's name, on the command line and in the markers of its Markdown section.
const MODE: &str = "--syscalls";

/// How long one session may take under strace.
const TIMEOUT: Duration = Duration::from_secs(300);

/// Calls below this many per round trip are left out of the table of calls (start-up calls
/// whose count varies a little between sessions).
const SHOWN: f64 = 0.05;

/// Calls and failed calls of one end over a session, by name.
type Tally = BTreeMap<String, (u64, u64)>;

/// Reads the summary table of `strace -c`: one line per call with its count and its errors.
fn parse_summary(text: &str) -> Result<Tally> {
    let mut tally = Tally::new();
    let mut rules = 0;
    for line in text.lines() {
        if line.starts_with("------") {
            rules += 1;
            continue;
        }
        if rules != 1 {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (calls, errors) = match fields.len() {
            5 => (fields[3], "0"),
            6 => (fields[3], fields[4]),
            _ => return Err(format!("unexpected line in the strace summary: {line:?}").into()),
        };
        let bad = || format!("unexpected line in the strace summary: {line:?}");
        let name = fields[fields.len() - 1].to_owned();
        tally.insert(name, (calls.parse().map_err(|_| bad())?, errors.parse().map_err(|_| bad())?));
    }
    if rules < 2 {
        return Err("no summary table in strace's output".into());
    }
    Ok(tally)
}

/// One end's calls per round trip, by name: (calls, failed calls).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PerTrip {
    calls: BTreeMap<String, (f64, f64)>,
}

impl PerTrip {
    /// What `long` (2N round trips) has more than `short` (N), divided by `n`.
    fn between(short: &Tally, long: &Tally, n: u64) -> Self {
        let mut calls = BTreeMap::new();
        for name in short.keys().chain(long.keys()) {
            let (s_calls, s_errors) = short.get(name).copied().unwrap_or_default();
            let (l_calls, l_errors) = long.get(name).copied().unwrap_or_default();
            let per = |a: u64, b: u64| (b as f64 - a as f64) / n as f64;
            calls.insert(name.clone(), (per(s_calls, l_calls), per(s_errors, l_errors)));
        }
        Self { calls }
    }

    /// All calls per round trip.
    pub fn total(&self) -> f64 {
        self.calls.values().map(|(calls, _)| calls).sum()
    }

    /// `read 1 · write 1 · epoll_wait 1 (0.5 failed)`, the most frequent first.
    fn describe(&self) -> String {
        let mut shown: Vec<(&String, &(f64, f64))> = self.calls.iter().filter(|(_, (c, _))| *c >= SHOWN).collect();
        // By count as printed (two decimals), so that noise does not reorder equal counts.
        let key = |calls: f64| (calls * 100.0).round() as i64;
        shown.sort_by(|a, b| key(b.1 .0).cmp(&key(a.1 .0)).then(a.0.cmp(b.0)));
        let parts: Vec<String> = shown
            .into_iter()
            .map(|(name, &(calls, failed))| {
                if failed >= SHOWN {
                    format!("{name} {} ({} failed)", format_calls(calls), format_calls(failed))
                } else {
                    format!("{name} {}", format_calls(calls))
                }
            })
            .collect();
        if parts.is_empty() {
            "—".into()
        } else {
            parts.join(" · ")
        }
    }

    fn json(&self) -> String {
        let calls: Vec<String> = self
            .calls
            .iter()
            .filter(|(_, (c, f))| c.abs() >= 0.005 || f.abs() >= 0.005)
            .map(|(name, &(calls, failed))| {
                format!("{}: {{\"calls\": {}, \"failed\": {}}}", json_str(name), round(calls), round(failed))
            })
            .collect();
        format!("{{\"total\": {}, \"calls\": {{{}}}}}", round(self.total()), calls.join(", "))
    }
}

/// Two decimals, for the JSON (and 0 rather than -0).
fn round(value: f64) -> String {
    json_num(Some((value * 100.0).round() / 100.0 + 0.0))
}

/// Calls per round trip as printed: up to two decimals, no trailing zeros.
fn format_calls(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Both ends' calls per round trip, from one pair of sessions.
#[derive(Debug, Clone)]
struct Trial {
    channel: PerTrip,
    client: PerTrip,
}

impl Trial {
    fn both(&self) -> f64 {
        self.channel.total() + self.client.total()
    }

    fn json(&self) -> String {
        format!(
            "{{\"both\": {}, \"channel\": {}, \"client\": {}}}",
            round(self.both()),
            self.channel.json(),
            self.client.json()
        )
    }
}

/// Every trial of one implementation and transport.
#[derive(Debug, Clone)]
struct Row {
    imp: Impl,
    transport: Transport,
    trials: Vec<Trial>,
}

impl Row {
    /// The trial with the median count of both ends (the lower middle one of an even number).
    fn median(&self) -> &Trial {
        let mut sorted: Vec<&Trial> = self.trials.iter().collect();
        sorted.sort_by(|a, b| a.both().total_cmp(&b.both()));
        sorted[(sorted.len() - 1) / 2]
    }

    /// The median count of both ends.
    fn both(&self) -> f64 {
        self.median().both()
    }

    /// The smallest and the largest count of both ends.
    fn range(&self) -> (f64, f64) {
        let counts = self.trials.iter().map(Trial::both);
        (counts.clone().fold(f64::INFINITY, f64::min), counts.fold(f64::NEG_INFINITY, f64::max))
    }
}

/// One ping-pong session of `rounds` round trips, both ends under strace: their tallies.
fn session(
    env: &Env,
    pinning: Option<Pinning>,
    imp: Impl,
    transport: Transport,
    rounds: u64,
    dir: &Path,
) -> Result<(Tally, Tally)> {
    let name = format!("{}-{}-{rounds}", imp.key(), transport.key());
    let wrapper = |end: &str| -> Vec<OsString> {
        let out = dir.join(format!("{name}-{end}.txt"));
        vec!["strace".into(), "-f".into(), "-c".into(), "-o".into(), out.into()]
    };
    let launch = Launch { pinning, channel_wrapper: wrapper("channel"), client_wrapper: wrapper("client") };
    run_session(env, &launch, imp, transport, &[Run::Rtt { rounds, size: SMALL, limit_ms: 0 }], TIMEOUT)?;
    let read = |end: &str| -> Result<Tally> {
        let path = dir.join(format!("{name}-{end}.txt"));
        let text = std::fs::read_to_string(&path).map_err(|err| format!("{}: {err}", path.display()))?;
        parse_summary(&text).map_err(|err| format!("{}: {err}", path.display()).into())
    };
    Ok((read("channel")?, read("client")?))
}

/// Counts every implementation of `impls` (Python AEA too, if its venv is there) on
/// `transports`, prints the tables and writes the outputs.
pub fn run(
    env: &Env,
    pinning: Option<Pinning>,
    impls: &[Impl],
    transports: &[Transport],
    outputs: &Outputs,
) -> Result<()> {
    let started = Instant::now();
    let strace = counting::require_tool("strace", "strace")?;
    if let Some(path) = &outputs.markdown {
        counting::check_markdown(path, MODE)?;
    }
    let dir = counting::output_dir(&env.exe, "strace")?;
    eprintln!("pipe-bench: {strace}, strace summaries in {}", dir.display());
    let mut rows: Vec<Row> = Vec::new();
    for repeat in 1..=REPEATS {
        for &imp in impls.iter().filter(|&&imp| imp != Impl::Python || env.python.is_some()) {
            for &transport in transports {
                let t = Instant::now();
                let what = format!("{repeat}/{REPEATS}: {} {}", imp.key(), transport.key());
                let short = session(env, pinning, imp, transport, ROUND_TRIPS, &dir);
                let long = session(env, pinning, imp, transport, 2 * ROUND_TRIPS, &dir);
                let (short, long) = match (short, long) {
                    (Ok(short), Ok(long)) => (short, long),
                    (Err(err), _) | (_, Err(err)) => {
                        eprintln!("  {what}: FAILED: {err}");
                        continue;
                    }
                };
                let trial = Trial {
                    channel: PerTrip::between(&short.0, &long.0, ROUND_TRIPS),
                    client: PerTrip::between(&short.1, &long.1, ROUND_TRIPS),
                };
                eprintln!(
                    "  {what}: {} + {} calls per round trip ({:.1} s)",
                    format_calls(trial.channel.total()),
                    format_calls(trial.client.total()),
                    t.elapsed().as_secs_f64()
                );
                match rows.iter_mut().find(|r| r.imp == imp && r.transport == transport) {
                    Some(row) => row.trials.push(trial),
                    None => rows.push(Row { imp, transport, trials: vec![trial] }),
                }
            }
        }
    }
    let info = counting::Info {
        command: outputs.command.clone(),
        tool: strace,
        machine: Machine::describe(),
        pinning,
        seconds: started.elapsed().as_secs_f64(),
    };
    counting::publish(outputs, MODE, &markdown(&rows, &info), &json(&rows, &info))
}

fn find(rows: &[Row], imp: Impl, transport: Transport) -> Option<&Row> {
    rows.iter().find(|r| r.imp == imp && r.transport == transport)
}

/// Both ends' calls per round trip, divided by the raw loop's.
fn ratio(rows: &[Row], imp: Impl, transport: Transport) -> Option<f64> {
    let raw = find(rows, Impl::Raw, transport)?.both();
    let value = find(rows, imp, transport)?.both();
    (raw > 0.01).then(|| value / raw)
}

/// The tables: the totals, then the calls.
fn markdown(rows: &[Row], info: &counting::Info) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "System calls per 64-byte round trip, at each end, `(S(2N) − S(N)) / N` with N = {ROUND_TRIPS} round trips: \
         {}, both ends under `strace -f -c`{}; the median of {REPEATS} such pairs of sessions, the range of the \
         {REPEATS} beside it; {:.0} s. Command: `{}`.\n",
        info.tool,
        info.pinning_note(),
        info.seconds,
        info.command
    );
    out.push_str("#### (4) system calls per 64-byte round trip, lower is better\n\n");
    let mut header = String::from("| implementation |");
    let mut rule = String::from("|---|");
    for transport in Transport::ALL {
        let t = transport.label();
        let _ = write!(header, " {t} channel | {t} client | {t} both | min–max | × raw |");
        rule.push_str("--:|--:|--:|--:|--:|");
    }
    let _ = writeln!(out, "{header}\n{rule}");
    for imp in Impl::ALL {
        if !rows.iter().any(|r| r.imp == imp) {
            continue;
        }
        let mut line = format!("| {} |", imp.label());
        for transport in Transport::ALL {
            match find(rows, imp, transport) {
                Some(row) => {
                    let ratio = ratio(rows, imp, transport).map_or("—".into(), format_ratio);
                    let median = row.median();
                    let (min, max) = row.range();
                    let _ = write!(
                        line,
                        " {} | {} | {} | {}–{} | {ratio} |",
                        format_calls(median.channel.total()),
                        format_calls(median.client.total()),
                        format_calls(row.both()),
                        format_calls(min),
                        format_calls(max)
                    );
                }
                None => line.push_str(" — | — | — | — | — |"),
            }
        }
        let _ = writeln!(out, "{line}");
    }
    out.push_str(
        "\n#### The calls of one round trip\n\n\
         The channel sends the ping and waits for the answer; the client waits for the ping and answers. Each row is \
         the median trial of the table above.\n\n\
         | implementation | transport | channel | client |\n|---|---|---|---|\n",
    );
    for imp in Impl::ALL {
        for transport in Transport::ALL {
            if let Some(row) = find(rows, imp, transport) {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    imp.label(),
                    transport.label(),
                    row.median().channel.describe(),
                    row.median().client.describe()
                );
            }
        }
    }
    out
}

/// The same counts as JSON, every call of each end.
fn json(rows: &[Row], info: &counting::Info) -> String {
    let mut out = info.json_head(
        "-f -c",
        &format!(
            "system calls of each end (all its threads) over a ping-pong of {ROUND_TRIPS} round trips of 64 bytes and \
             one of {}, both ends under strace; per round trip = (calls(2N) - calls(N)) / N; {REPEATS} trials, \
             both and the ends' figures are those of the trial with the median both",
            2 * ROUND_TRIPS
        ),
    );
    out.push_str("  \"rows\": [\n");
    let lines: Vec<String> = rows
        .iter()
        .map(|r| {
            let (min, max) = r.range();
            let trials: Vec<String> = r.trials.iter().map(Trial::json).collect();
            format!(
                "    {{\"implementation\": {}, \"transport\": {}, \"round_trips\": [{ROUND_TRIPS}, {}], \"both\": {}, \
                 \"min\": {}, \"max\": {}, \"ratio_to_raw\": {}, \"channel\": {}, \"client\": {}, \"trials\": [{}]}}",
                json_str(r.imp.key()),
                json_str(r.transport.key()),
                2 * ROUND_TRIPS,
                round(r.both()),
                round(min),
                round(max),
                json_num(ratio(rows, r.imp, r.transport)),
                r.median().channel.json(),
                r.median().client.json(),
                trials.join(", "),
            )
        })
        .collect();
    out.push_str(&lines.join(",\n"));
    out.push_str("\n  ]\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUMMARY: &str = "\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 60.00    0.000600           3       200        50 read
 30.00    0.000300           1       200           write
 10.00    0.000100           1        10           mmap
------ ----------- ----------- --------- --------- ----------------
100.00    0.001000           2       410        50 total
";

    #[test]
    fn the_summary_gives_calls_and_errors_by_name() {
        let tally = parse_summary(SUMMARY).unwrap();
        assert_eq!(tally.get("read"), Some(&(200, 50)));
        assert_eq!(tally.get("write"), Some(&(200, 0)));
        assert_eq!(tally.get("total"), None);
        assert!(parse_summary("strace: exec failed\n").is_err());
    }

    #[test]
    fn per_round_trip_is_what_the_longer_session_adds() {
        let short = parse_summary(SUMMARY).unwrap();
        let mut long = short.clone();
        long.insert("read".into(), (400, 150));
        long.insert("write".into(), (400, 0));
        long.insert("epoll_wait".into(), (100, 0));
        let per = PerTrip::between(&short, &long, 200);
        assert_eq!(per.total(), 2.5);
        assert_eq!(per.describe(), "read 1 (0.5 failed) · write 1 · epoll_wait 0.5");
        assert_eq!(format_calls(2.0), "2");
        assert_eq!(format_calls(1.254), "1.25");
        assert_eq!(round(-0.001), "0");
    }

    #[test]
    fn a_row_shows_its_median_trial_and_the_range() {
        let trial = |calls: u64| {
            let short = Tally::from([("read".to_owned(), (100, 0))]);
            let long = Tally::from([("read".to_owned(), (100 + 100 * calls, 0))]);
            let per = PerTrip::between(&short, &long, 100);
            Trial { channel: per.clone(), client: per }
        };
        let row = Row { imp: Impl::Smol, transport: Transport::Tcp, trials: vec![trial(9), trial(4), trial(6)] };
        assert_eq!(row.both(), 12.0);
        assert_eq!(row.median().channel.describe(), "read 6");
        assert_eq!(row.range(), (8.0, 18.0));
    }
}

//! The figures: collected per implementation, transport and metric, summarised as medians with
//! the range of their samples, with their ratios to the raw loop, to tokio-util and to Python
//! AEA, printed as Markdown tables and as JSON, and checked against the targets.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::pinning::Pinning;
use crate::plan::{Impl, Transport};
use crate::sys::Machine;

/// One figure of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    Single,
    Batch,
    Large,
    RttMedian,
    RttP99,
    PeakReader,
    PeakWriter,
    Idle,
}

impl Metric {
    pub const ALL: [Metric; 8] = [
        Metric::Single,
        Metric::Batch,
        Metric::Large,
        Metric::RttMedian,
        Metric::RttP99,
        Metric::PeakReader,
        Metric::PeakWriter,
        Metric::Idle,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Metric::Single => "single_64B",
            Metric::Batch => "batched_64B",
            Metric::Large => "large_1MiB",
            Metric::RttMedian => "rtt_64B_median",
            Metric::RttP99 => "rtt_64B_p99",
            Metric::PeakReader => "peak_rss_1GiB_reader",
            Metric::PeakWriter => "peak_rss_1GiB_writer",
            Metric::Idle => "idle_pipe",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Metric::Single | Metric::Batch => "frames/s",
            Metric::Large => "GB/s",
            Metric::RttMedian | Metric::RttP99 => "µs",
            Metric::PeakReader | Metric::PeakWriter => "MiB",
            Metric::Idle => "KiB",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Metric::Single => "(1) 64-byte frames, one write each",
            Metric::Batch => "(2) 64-byte frames in batches of 512",
            Metric::Large => "(3) 1 MiB frames",
            Metric::RttMedian => "(4) 64-byte round trip, median",
            Metric::RttP99 => "(4) 64-byte round trip, 99th percentile",
            Metric::PeakReader => "peak RSS of the reader while moving 1 GiB in 1 MiB frames",
            Metric::PeakWriter => "peak RSS of the writer while moving 1 GiB in 1 MiB frames",
            Metric::Idle => "memory per idle open pipe (channel process, a read pending on each)",
        }
    }

    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::Single | Metric::Batch | Metric::Large)
    }

    /// The figure as printed, in [`Metric::unit`].
    pub fn format(self, value: f64) -> String {
        match self {
            Metric::Single | Metric::Batch => {
                if value >= 1e6 {
                    format!("{:.2} M", value / 1e6)
                } else {
                    format!("{:.0} k", value / 1e3)
                }
            }
            Metric::Large => format!("{value:.2}"),
            Metric::RttMedian | Metric::RttP99 => format!("{value:.1}"),
            Metric::PeakReader | Metric::PeakWriter => format!("{value:.1}"),
            Metric::Idle => format!("{value:.1}"),
        }
    }
}

pub fn format_ratio(ratio: f64) -> String {
    if ratio >= 10.0 {
        format!("{ratio:.0}×")
    } else {
        format!("{ratio:.2}×")
    }
}

/// A row whose samples spread over more than this fraction of their median is flagged: its
/// median, and every ratio made from it, is less certain than the table's two digits suggest.
pub const SPREAD_LIMIT: f64 = 0.25;

/// The footnote of a flagged row.
const SPREAD_MARK: &str = "†";

/// Every sample of every figure.
#[derive(Debug, Default)]
pub struct Results {
    samples: HashMap<(Impl, Transport, Metric), Vec<f64>>,
}

fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

impl Results {
    pub fn add(&mut self, imp: Impl, transport: Transport, metric: Metric, value: f64) {
        self.samples.entry((imp, transport, metric)).or_default().push(value);
    }

    pub fn samples(&self, imp: Impl, transport: Transport, metric: Metric) -> &[f64] {
        self.samples.get(&(imp, transport, metric)).map_or(&[], Vec::as_slice)
    }

    /// The median of the samples.
    pub fn value(&self, imp: Impl, transport: Transport, metric: Metric) -> Option<f64> {
        median(self.samples(imp, transport, metric))
    }

    /// The smallest and the largest sample.
    pub fn range(&self, imp: Impl, transport: Transport, metric: Metric) -> Option<(f64, f64)> {
        let samples = self.samples(imp, transport, metric);
        let min = samples.iter().copied().reduce(f64::min)?;
        let max = samples.iter().copied().reduce(f64::max)?;
        Some((min, max))
    }

    /// How far the samples spread, relative to their median: `(max - min) / median`.
    pub fn spread(&self, imp: Impl, transport: Transport, metric: Metric) -> Option<f64> {
        let (min, max) = self.range(imp, transport, metric)?;
        let median = self.value(imp, transport, metric)?;
        (median.abs() > 1e-9).then(|| (max - min) / median.abs())
    }

    /// Whether the row's spread passes [`SPREAD_LIMIT`].
    pub fn too_spread(&self, imp: Impl, transport: Transport, metric: Metric) -> bool {
        self.spread(imp, transport, metric).is_some_and(|s| s > SPREAD_LIMIT)
    }

    /// `imp`'s figure divided by `base`'s, on the same transport (`None` if either is missing or
    /// the base is too close to zero to divide by).
    pub fn ratio(&self, imp: Impl, transport: Transport, metric: Metric, base: Impl) -> Option<f64> {
        let base = self.value(base, transport, metric)?;
        let value = self.value(imp, transport, metric)?;
        (base.abs() > 1e-9 && (metric != Metric::Idle || base >= 0.5)).then(|| value / base)
    }
}

/// Why a figure is missing, for the table's footnotes.
fn missing(imp: Impl, transport: Transport, metric: Metric) -> &'static str {
    match (imp, transport, metric) {
        (Impl::Python, _, Metric::Batch) => "n/a¹",
        (Impl::Python, Transport::Fifo, Metric::Large | Metric::PeakReader | Metric::PeakWriter) => "n/a²",
        _ => "—",
    }
}

/// The bases of the ratio columns, in table order.
const BASES: [(Impl, &str); 3] =
    [(Impl::Raw, "× raw"), (Impl::TokioUtil, "× tokio-util"), (Impl::Python, "× Python AEA")];

/// The Markdown tables, one per figure, FIFO and TCP side by side: the median, the range of the
/// samples (where there are several), and the ratios to each base.
pub fn markdown(results: &Results) -> String {
    let mut out = String::new();
    let mut flagged = false;
    for metric in Metric::ALL {
        let better = if metric.higher_is_better() { "higher is better" } else { "lower is better" };
        let _ = writeln!(out, "#### {}: {}, {better}\n", metric.title(), metric.unit());
        let ranges =
            Impl::ALL.iter().any(|&imp| Transport::ALL.iter().any(|&t| results.samples(imp, t, metric).len() > 1));
        let mut header = String::from("| implementation |");
        let mut rule = String::from("|---|");
        for transport in Transport::ALL {
            let _ = write!(header, " {} |", transport.label());
            rule.push_str("--:|");
            if ranges {
                header.push_str(" min–max |");
                rule.push_str("--:|");
            }
            for (_, name) in BASES {
                let _ = write!(header, " {name} |");
                rule.push_str("--:|");
            }
        }
        let _ = writeln!(out, "{header}\n{rule}");
        for imp in Impl::ALL {
            let mut row = format!("| {} |", imp.label());
            for transport in Transport::ALL {
                match results.value(imp, transport, metric) {
                    Some(value) => {
                        let mark = if results.too_spread(imp, transport, metric) {
                            flagged = true;
                            format!(" {SPREAD_MARK}")
                        } else {
                            String::new()
                        };
                        let _ = write!(row, " {}{mark} |", metric.format(value));
                        if ranges {
                            match results.range(imp, transport, metric) {
                                Some((min, max)) if results.samples(imp, transport, metric).len() > 1 => {
                                    let _ = write!(row, " {}–{} |", metric.format(min), metric.format(max));
                                }
                                _ => row.push_str(" |"),
                            }
                        }
                        for (base, _) in BASES {
                            let ratio = results.ratio(imp, transport, metric, base).map_or("—".into(), format_ratio);
                            let _ = write!(row, " {ratio} |");
                        }
                    }
                    None => {
                        let _ = write!(row, " {} |", missing(imp, transport, metric));
                        let blanks = BASES.len() + usize::from(ranges);
                        row.push_str(&" |".repeat(blanks));
                    }
                }
            }
            let _ = writeln!(out, "{row}");
        }
        out.push('\n');
    }
    out.push_str(
        "¹ The AEA has no batch write.  \n\
         ² The AEA's FIFO `write()` is a bare non-blocking `os.write()`: frames of 64 KiB or more are lost, so Python's \
         1 MiB frames run over TCP only.\n",
    );
    if flagged {
        let _ = writeln!(
            out,
            "\n{SPREAD_MARK} The samples of this figure spread over more than {:.0}% of their median \
             ((max − min) / median): its ratios are less certain than their digits.",
            SPREAD_LIMIT * 100.0
        );
    }
    out
}

/// One target of the issue, checked for one of our rows.
#[derive(Debug, Clone)]
pub struct Target {
    pub imp: Impl,
    pub transport: Transport,
    pub what: &'static str,
    pub metric: Metric,
    pub base: Impl,
    pub bound: f64,
    pub at_least: bool,
    pub ratio: Option<f64>,
}

impl Target {
    pub fn holds(&self) -> Option<bool> {
        let ratio = self.ratio?;
        Some(if self.at_least { ratio >= self.bound } else { ratio <= self.bound })
    }
}

pub fn targets(results: &Results) -> Vec<Target> {
    let goals: [(&str, Metric, Impl, f64, bool); 7] = [
        ("(1) ≥ 0.95× raw", Metric::Single, Impl::Raw, 0.95, true),
        ("(2) ≥ 0.8× raw batched", Metric::Batch, Impl::Raw, 0.8, true),
        ("(2) ≥ 2.5× tokio-util batched", Metric::Batch, Impl::TokioUtil, 2.5, true),
        ("(3) ≥ 0.95× raw", Metric::Large, Impl::Raw, 0.95, true),
        ("(4) median ≤ 1.05× raw", Metric::RttMedian, Impl::Raw, 1.05, false),
        ("(4) p99 ≤ 1.1× raw", Metric::RttP99, Impl::Raw, 1.1, false),
        ("idle memory ≤ tokio-util", Metric::Idle, Impl::TokioUtil, 1.0, false),
    ];
    let mut out = Vec::new();
    for imp in Impl::ALL.into_iter().filter(|i| i.is_ours()) {
        for transport in Transport::ALL {
            for (what, metric, base, bound, at_least) in goals {
                let ratio = results.ratio(imp, transport, metric, base);
                out.push(Target { imp, transport, what, metric, base, bound, at_least, ratio });
            }
        }
    }
    out
}

pub fn targets_markdown(targets: &[Target]) -> String {
    let mut out = String::from("| target | implementation | transport | ratio | holds |\n|---|---|---|--:|---|\n");
    for t in targets {
        let ratio = t.ratio.map_or("—".into(), format_ratio);
        let holds = match t.holds() {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        };
        let _ = writeln!(out, "| {} | {} | {} | {ratio} | {holds} |", t.what, t.imp.label(), t.transport.label());
    }
    out
}

/// Context for the JSON: how and where the figures were taken.
#[derive(Debug)]
pub struct RunInfo {
    pub command: String,
    pub quick: bool,
    pub repeats: usize,
    pub machine: Machine,
    pub load_start: Option<f64>,
    pub load_end: Option<f64>,
    pub seconds: f64,
    /// The CPUs of the two ends, if they were pinned.
    pub pinning: Option<Pinning>,
}

/// `s` as a JSON string.
pub fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON number, `null` for none or a value that is not finite.
pub fn json_num(value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => "null".into(),
    }
}

/// The same figures as the tables, as JSON.
pub fn json(results: &Results, targets: &[Target], info: &RunInfo) -> String {
    let mut out = String::from("{\n");
    let m = &info.machine;
    let _ = writeln!(out, "  \"command\": {},", json_str(&info.command));
    let _ = writeln!(out, "  \"mode\": {},", json_str(if info.quick { "quick" } else { "full" }));
    let _ = writeln!(out, "  \"repeats\": {},", info.repeats);
    let _ = writeln!(out, "  \"spread_limit\": {SPREAD_LIMIT},");
    let _ = writeln!(out, "  \"seconds\": {:.1},", info.seconds);
    let _ = writeln!(
        out,
        "  \"machine\": {{\"cpu\": {}, \"cores\": {}, \"kernel\": {}, \"memory_gib\": {:.1}}},",
        json_str(&m.cpu),
        m.cores,
        json_str(&m.kernel),
        m.memory_gib
    );
    let _ = writeln!(
        out,
        "  \"load_average_1min\": {{\"start\": {}, \"end\": {}}},",
        json_num(info.load_start),
        json_num(info.load_end)
    );
    let pinning =
        info.pinning.map_or("null".into(), |p| format!("{{\"channel\": {}, \"client\": {}}}", p.channel, p.client));
    let _ = writeln!(out, "  \"pinned_cpus\": {pinning},");
    out.push_str("  \"results\": [\n");
    let mut rows = Vec::new();
    for metric in Metric::ALL {
        for imp in Impl::ALL {
            for transport in Transport::ALL {
                let Some(value) = results.value(imp, transport, metric) else { continue };
                let samples: Vec<String> =
                    results.samples(imp, transport, metric).iter().map(|v| json_num(Some(*v))).collect();
                let (min, max) = results.range(imp, transport, metric).unzip();
                rows.push(format!(
                    "    {{\"implementation\": {}, \"transport\": {}, \"metric\": {}, \"title\": {}, \"unit\": {}, \
                     \"value\": {}, \"samples\": [{}], \"min\": {}, \"max\": {}, \"spread\": {}, \
                     \"spread_over_limit\": {}, \"ratio_to_raw\": {}, \"ratio_to_tokio_util\": {}, \
                     \"ratio_to_python_aea\": {}}}",
                    json_str(imp.key()),
                    json_str(transport.key()),
                    json_str(metric.key()),
                    json_str(metric.title()),
                    json_str(metric.unit()),
                    json_num(Some(value)),
                    samples.join(", "),
                    json_num(min),
                    json_num(max),
                    json_num(results.spread(imp, transport, metric)),
                    results.too_spread(imp, transport, metric),
                    json_num(results.ratio(imp, transport, metric, Impl::Raw)),
                    json_num(results.ratio(imp, transport, metric, Impl::TokioUtil)),
                    json_num(results.ratio(imp, transport, metric, Impl::Python)),
                ));
            }
        }
    }
    out.push_str(&rows.join(",\n"));
    out.push_str("\n  ],\n  \"targets\": [\n");
    let rows: Vec<String> = targets
        .iter()
        .map(|t| {
            format!(
                "    {{\"target\": {}, \"implementation\": {}, \"transport\": {}, \"metric\": {}, \"relative_to\": {}, \
                 \"bound\": {}, \"at_least\": {}, \"ratio\": {}, \"holds\": {}}}",
                json_str(t.what),
                json_str(t.imp.key()),
                json_str(t.transport.key()),
                json_str(t.metric.key()),
                json_str(t.base.key()),
                t.bound,
                t.at_least,
                json_num(t.ratio),
                t.holds().map_or("null".into(), |h| h.to_string()),
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
    fn ratios_compare_like_with_like() {
        let mut results = Results::default();
        results.add(Impl::Raw, Transport::Fifo, Metric::Single, 100.0);
        results.add(Impl::Tokio, Transport::Fifo, Metric::Single, 90.0);
        results.add(Impl::Tokio, Transport::Fifo, Metric::Single, 95.0);
        results.add(Impl::Tokio, Transport::Fifo, Metric::Single, 10.0);
        assert_eq!(results.value(Impl::Tokio, Transport::Fifo, Metric::Single), Some(90.0));
        assert_eq!(results.ratio(Impl::Tokio, Transport::Fifo, Metric::Single, Impl::Raw), Some(0.9));
        assert_eq!(results.ratio(Impl::Tokio, Transport::Tcp, Metric::Single, Impl::Raw), None);
    }

    #[test]
    fn rows_whose_samples_spread_over_a_quarter_of_their_median_are_flagged() {
        let mut results = Results::default();
        for value in [100.0, 110.0, 130.0] {
            results.add(Impl::Raw, Transport::Fifo, Metric::Large, value);
        }
        for value in [100.0, 105.0, 110.0] {
            results.add(Impl::Tokio, Transport::Fifo, Metric::Large, value);
        }
        assert_eq!(results.range(Impl::Raw, Transport::Fifo, Metric::Large), Some((100.0, 130.0)));
        assert!(results.too_spread(Impl::Raw, Transport::Fifo, Metric::Large));
        assert!(!results.too_spread(Impl::Tokio, Transport::Fifo, Metric::Large));
        let table = markdown(&results);
        assert!(table.contains("| raw std loop | 110.00 † | 100.00–130.00 |"), "{table}");
        assert!(table.contains("| ours: pipe-tokio | 105.00 | 100.00–110.00 |"), "{table}");
        assert!(table.contains("† The samples"));
    }

    #[test]
    fn every_row_is_divided_by_python_aea_too() {
        let mut results = Results::default();
        results.add(Impl::Raw, Transport::Tcp, Metric::Single, 150e3);
        results.add(Impl::Python, Transport::Tcp, Metric::Single, 100e3);
        results.add(Impl::Smol, Transport::Tcp, Metric::Single, 120e3);
        let table = markdown(&results);
        assert!(table.contains("| × raw | × tokio-util | × Python AEA |"), "{table}");
        assert!(table.contains("| raw std loop | — | | | | 150 k | 1.00× | — | 1.50× |"), "{table}");
        assert!(table.contains("| ours: pipe-smol | — | | | | 120 k | 0.80× | — | 1.20× |"), "{table}");
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_str("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
        assert_eq!(json_num(Some(f64::NAN)), "null");
    }
}

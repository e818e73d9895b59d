//! The comparison as an SVG chart, written by hand: one panel per figure, a horizontal bar per
//! implementation and transport (grouped by implementation), each labelled with its value and
//! its ratios to the raw loop and to tokio-util.

use std::fmt::Write as _;

use crate::plan::{Impl, Transport};
use crate::report::{format_ratio, Metric, Results};

const WIDTH: f64 = 980.0;
const LABEL_X: f64 = 12.0;
const TRANSPORT_X: f64 = 205.0;
const BAR_X: f64 = 215.0;
const BAR_MAX: f64 = 440.0;
const ROW: f64 = 17.0;
const BAR: f64 = 12.0;
const GROUP_GAP: f64 = 6.0;

/// The figures drawn, in order.
const PANELS: [Metric; 7] =
    [Metric::Single, Metric::Batch, Metric::Large, Metric::RttMedian, Metric::RttP99, Metric::PeakReader, Metric::Idle];

fn color(imp: Impl) -> &'static str {
    match imp {
        Impl::Raw => "#7f7f7f",
        Impl::TokioUtil => "#4c78a8",
        Impl::Python => "#e4b634",
        Impl::Tokio => "#2e9e57",
        Impl::TokioLent => "#7cc68d",
        Impl::Smol => "#1f8f8f",
        Impl::SmolLent => "#6cc4c4",
        Impl::AsyncStd => "#8e5bb5",
        Impl::AsyncStdLent => "#bfa0d8",
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The chart; `caption` goes under the title (machine, command).
pub fn chart(results: &Results, caption: &str) -> String {
    let mut body = String::new();
    let mut y = 58.0;
    for metric in PANELS {
        let better = if metric.higher_is_better() { "longer is better" } else { "shorter is better" };
        let _ = writeln!(
            body,
            r#"<text x="{LABEL_X}" y="{:.1}" font-weight="bold" font-size="14">{} ({}, {better})</text>"#,
            y + 14.0,
            escape(metric.title()),
            escape(metric.unit())
        );
        y += 24.0;
        let max = Impl::ALL
            .iter()
            .flat_map(|&i| Transport::ALL.iter().filter_map(move |&t| results.value(i, t, metric)))
            .fold(0.0f64, f64::max);
        for imp in Impl::ALL {
            for (k, transport) in Transport::ALL.into_iter().enumerate() {
                if k == 0 {
                    let _ = writeln!(
                        body,
                        r#"<text x="{LABEL_X}" y="{:.1}" fill="{}" font-weight="bold">{}</text>"#,
                        y + BAR - 1.0,
                        color(imp),
                        escape(imp.label())
                    );
                }
                let _ = writeln!(
                    body,
                    r##"<text x="{TRANSPORT_X}" y="{:.1}" text-anchor="end" fill="#555">{}</text>"##,
                    y + BAR - 1.0,
                    transport.label()
                );
                match results.value(imp, transport, metric) {
                    Some(value) if max > 0.0 => {
                        let len = (value / max * BAR_MAX).max(1.0);
                        let opacity = if transport == Transport::Fifo { 1.0 } else { 0.6 };
                        let _ = writeln!(
                            body,
                            r#"<rect x="{BAR_X}" y="{y:.1}" width="{len:.1}" height="{BAR}" fill="{}" fill-opacity="{opacity}"/>"#,
                            color(imp)
                        );
                        let mut label = format!("{} {}", metric.format(value), metric.unit());
                        for base in [Impl::Raw, Impl::TokioUtil] {
                            if base != imp {
                                if let Some(ratio) = results.ratio(imp, transport, metric, base) {
                                    let name = if base == Impl::Raw { "raw" } else { "tokio-util" };
                                    let _ = write!(label, " · {} {name}", format_ratio(ratio));
                                }
                            }
                        }
                        let _ = writeln!(
                            body,
                            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
                            BAR_X + len + 5.0,
                            y + BAR - 1.0,
                            escape(&label)
                        );
                    }
                    _ => {
                        let _ = writeln!(
                            body,
                            r##"<text x="{:.1}" y="{:.1}" fill="#999">n/a</text>"##,
                            BAR_X + 2.0,
                            y + BAR - 1.0
                        );
                    }
                }
                y += ROW;
            }
            y += GROUP_GAP;
        }
        y += 14.0;
    }
    let height = y + 10.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="11">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{LABEL_X}" y="22" font-weight="bold" font-size="16">AEA pipe: ours against the raw std loop, tokio-util and Python AEA</text>"#
    );
    let _ = writeln!(out, r##"<text x="{LABEL_X}" y="40" fill="#555">{}</text>"##, escape(caption));
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_is_one_svg_element_with_escaped_text() {
        let mut results = Results::default();
        results.add(Impl::Raw, Transport::Fifo, Metric::Single, 2e6);
        results.add(Impl::Tokio, Transport::Fifo, Metric::Single, 1.9e6);
        let svg = chart(&results, "a < b & c");
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("a &lt; b &amp; c"));
        assert!(svg.contains("0.95× raw"));
    }
}

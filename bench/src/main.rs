//! `pipe-bench`: throughput, latency and memory of the AEA pipe, side by side with the machine's
//! limit (blocking `std` loops), tokio-util's `Framed` and the real Python AEA, in one run.
//!
//! ```text
//! cargo run --release -p pipe-bench -- [--quick] [--json FILE] [--svg FILE] [--markdown FILE]
//! ```
//!
//! Each session is two processes, as the pipe is used: this binary starts itself (or the
//! Python script `bench/python/aea_bench.py`) once as the channel, which creates the
//! rendezvous and measures, and once as the client, which connects and writes or echoes. The
//! workloads are (1) 64-byte frames, one write each; (2) 64-byte frames in batches; (3) 1 MiB
//! frames; (4) 64-byte ping-pong. Each runs a few times (after a warm-up) and the median is
//! reported. Memory is measured in sessions of its own: the peak RSS of both processes while
//! 1 GiB moves in 1 MiB frames, and the memory per idle open pipe.
//!
//! Other options: `--only IMPL,...` (`raw`, `tokio-util`, `python-aea`, `pipe-tokio`,
//! `pipe-smol`, `pipe-async-std`), `--transports fifo,tcp`, `--rounds N` (sessions per row, run
//! round-robin), `--repeats N` (runs of each workload per session), `--no-memory`, `--pin` (the
//! channel on one CPU, the client on another).
//!
//! Two more modes count instead of timing, so that their figures do not depend on how busy the
//! machine is:
//!
//! ```text
//! cargo run --release -p pipe-bench -- --instructions [--json FILE] [--markdown FILE]
//! cargo run --release -p pipe-bench -- --syscalls [--json FILE] [--markdown FILE]
//! ```
//!
//! `--instructions` counts the instructions of each end per frame with callgrind
//! ([`instructions`]), `--syscalls` the system calls of each end per round trip with strace
//! ([`syscalls`]). Their `--markdown FILE` replaces only their own section of FILE
//! ([`counting::write_markdown`]).
//!
//! `--instructions --check FILE [--tolerance PCT]` is the gate that CI runs: it counts only the
//! rows whose counts repeat from run to run and fails if one of them spends more than PCT (3)
//! percent more instructions per frame than FILE (`bench/instructions.json`) says ([`gate`]).

#![forbid(unsafe_code)]
// Linux only: the sessions use FIFOs and the memory figures come from /proc. Elsewhere the
// binary builds and says so.

#[cfg(target_os = "linux")]
mod coordinator;
#[cfg(target_os = "linux")]
mod counting;
#[cfg(target_os = "linux")]
mod gate;
#[cfg(target_os = "linux")]
mod instructions;
#[cfg(target_os = "linux")]
mod ours;
#[cfg(target_os = "linux")]
mod peer;
#[cfg(target_os = "linux")]
mod pinning;
#[cfg(target_os = "linux")]
mod plan;
#[cfg(target_os = "linux")]
mod raw;
#[cfg(target_os = "linux")]
mod rendezvous;
#[cfg(target_os = "linux")]
mod report;
#[cfg(target_os = "linux")]
mod svg;
#[cfg(target_os = "linux")]
mod sys;
#[cfg(target_os = "linux")]
mod syscalls;
#[cfg(target_os = "linux")]
mod tokio_util_peer;

#[cfg(target_os = "linux")]
use std::path::{Path, PathBuf};
#[cfg(target_os = "linux")]
use std::process::ExitCode;
#[cfg(target_os = "linux")]
use std::time::{Duration, Instant};

#[cfg(target_os = "linux")]
use coordinator::{run_session, Env, Launch};
#[cfg(target_os = "linux")]
use peer::{Outcome, Result};
#[cfg(target_os = "linux")]
use plan::{Impl, Run, Scale, Transport};
#[cfg(target_os = "linux")]
use report::{Metric, Results, RunInfo};

#[cfg(target_os = "linux")]
#[derive(Debug, Default)]
struct Options {
    quick: bool,
    json: Option<PathBuf>,
    svg: Option<PathBuf>,
    markdown: Option<PathBuf>,
    only: Option<Vec<Impl>>,
    transports: Option<Vec<Transport>>,
    rounds: Option<usize>,
    repeats: Option<usize>,
    no_memory: bool,
    pin: bool,
    instructions: bool,
    check: Option<PathBuf>,
    tolerance: Option<f64>,
    syscalls: bool,
    // A child process's role.
    role: Option<String>,
    imp: Option<Impl>,
    transport: Option<Transport>,
    plan: Option<Vec<Run>>,
    peers: Vec<(String, String)>,
}

#[cfg(target_os = "linux")]
fn parse_args(args: &[String]) -> std::result::Result<Options, String> {
    let mut options = Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--no-memory" => options.no_memory = true,
            "--pin" => options.pin = true,
            "--instructions" => options.instructions = true,
            "--syscalls" => options.syscalls = true,
            "--check" => options.check = Some(value()?.into()),
            "--tolerance" => {
                options.tolerance = Some(value()?.parse().map_err(|_| "--tolerance takes a percentage")?)
            }
            "--json" => options.json = Some(value()?.into()),
            "--svg" => options.svg = Some(value()?.into()),
            "--markdown" => options.markdown = Some(value()?.into()),
            "--repeats" => options.repeats = Some(value()?.parse().map_err(|_| "--repeats takes a number")?),
            "--rounds" => options.rounds = Some(value()?.parse().map_err(|_| "--rounds takes a number")?),
            "--only" => {
                options.only = Some(value()?.split(',').map(str::parse).collect::<std::result::Result<_, _>>()?)
            }
            "--transports" => {
                options.transports = Some(value()?.split(',').map(str::parse).collect::<std::result::Result<_, _>>()?)
            }
            "--role" => options.role = Some(value()?),
            "--impl" => options.imp = Some(value()?.parse()?),
            "--transport" => options.transport = Some(value()?.parse()?),
            "--plan" => options.plan = Some(plan::parse_plan(&value()?)?),
            "--peer" => {
                let in_path = value()?;
                let out_path = value()?;
                options.peers.push((in_path, out_path));
            }
            "--help" | "-h" => {
                return Err(
                    "usage: pipe-bench [--quick] [--json FILE] [--svg FILE] [--markdown FILE] \
                            [--only IMPL,...] [--transports fifo,tcp] [--rounds N] [--repeats N] [--no-memory] [--pin]\n       \
                     pipe-bench --instructions|--syscalls [--json FILE] [--markdown FILE] [--only IMPL,...] \
                     [--transports fifo,tcp] [--pin]\n       \
                     pipe-bench --instructions --check FILE [--tolerance PCT] [--only IMPL,...] [--transports fifo,tcp]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(options)
}

#[cfg(target_os = "linux")]
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse_args(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let result = match options.role.as_deref() {
        Some(role) => run_role(role, &options),
        None if options.instructions || options.syscalls => count(&options, &args),
        None => coordinate(&options, &args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let who = options.role.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
            eprintln!("pipe-bench{who}: {err}");
            ExitCode::FAILURE
        }
    }
}

/// One end of a session, in a child process.
#[cfg(target_os = "linux")]
fn run_role(role: &str, options: &Options) -> Result<()> {
    let imp = options.imp.ok_or("--impl is required")?;
    let transport = options.transport.ok_or("--transport is required")?;
    let plan = options.plan.as_deref().ok_or("--plan is required")?;
    let peers = &options.peers;
    match (role, imp) {
        ("channel", Impl::Raw) => raw::channel(transport, plan)?,
        ("client", Impl::Raw) => raw::client(transport, plan, peers)?,
        ("channel", Impl::TokioUtil) => tokio_util_peer::channel(transport, plan)?,
        ("client", Impl::TokioUtil) => tokio_util_peer::client(transport, plan, peers)?,
        ("channel", imp) if imp.is_ours() => ours::channel(imp, transport, plan)?,
        ("client", imp) if imp.is_ours() => ours::client(imp, transport, plan, peers)?,
        _ => return Err(format!("no role {role:?} for {}", imp.key()).into()),
    }
    peer::emit(&format!("PEAK_RSS {}", sys::peak_rss_kib()));
    Ok(())
}

/// Files a run's outcome under its figures.
#[cfg(target_os = "linux")]
fn record(results: &mut Results, imp: Impl, transport: Transport, run: &Run, outcome: Outcome) {
    match (run, outcome) {
        (Run::Single { .. }, Outcome::Throughput { frames, nanos, .. }) => {
            results.add(imp, transport, Metric::Single, frames as f64 * 1e9 / nanos as f64)
        }
        (Run::Batch { .. }, Outcome::Throughput { frames, nanos, .. }) => {
            results.add(imp, transport, Metric::Batch, frames as f64 * 1e9 / nanos as f64)
        }
        (Run::Large { .. }, Outcome::Throughput { bytes, nanos, .. }) => {
            results.add(imp, transport, Metric::Large, bytes as f64 / nanos as f64)
        }
        (Run::Rtt { .. }, Outcome::Rtt { median_ns, p99_ns }) => {
            results.add(imp, transport, Metric::RttMedian, median_ns as f64 / 1e3);
            results.add(imp, transport, Metric::RttP99, p99_ns as f64 / 1e3);
        }
        (Run::Idle { .. }, Outcome::Idle { before_kib, after_kib, pipes }) => {
            let per_pipe = (after_kib as f64 - before_kib as f64) / pipes.max(1) as f64;
            results.add(imp, transport, Metric::Idle, per_pipe)
        }
        (run, outcome) => eprintln!("  ignoring {outcome:?} for {run}"),
    }
}

/// The command line as the reports quote it.
#[cfg(target_os = "linux")]
fn command_line(args: &[String]) -> String {
    format!("cargo run --release -p pipe-bench --{}", args.iter().map(|a| format!(" {a}")).collect::<String>())
}

/// Where the programs are; with `python`, the Python AEA venv too (made on first use), if it
/// can be had.
#[cfg(target_os = "linux")]
fn environment(python: bool) -> Result<Env> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().ok_or("no workspace")?.to_owned();
    let python = if python {
        match coordinator::aea_python(&workspace) {
            Ok(python) => Some(python),
            Err(err) => {
                eprintln!("warning: no Python AEA figures: {err}");
                None
            }
        }
    } else {
        None
    };
    Ok(Env { exe: std::env::current_exe()?, python, script: workspace.join("bench/python/aea_bench.py") })
}

/// The CPUs of the two ends, if they are to be pinned and can be.
#[cfg(target_os = "linux")]
fn choose_pinning(options: &Options) -> Option<pinning::Pinning> {
    let pinning = if options.pin { pinning::Pinning::first_two() } else { None };
    match pinning {
        Some(p) => eprintln!("pipe-bench: the channel runs on CPU {}, the client on CPU {}", p.channel, p.client),
        None if options.pin => eprintln!("warning: fewer than two CPUs available: the ends are not pinned"),
        None => {}
    }
    pinning
}

/// `--instructions` or `--syscalls`.
#[cfg(target_os = "linux")]
fn count(options: &Options, args: &[String]) -> Result<()> {
    if options.instructions && options.syscalls {
        return Err("--instructions and --syscalls are two runs: give one of them".into());
    }
    let impls = options.only.clone().unwrap_or_else(|| Impl::ALL.to_vec());
    let transports = options.transports.clone().unwrap_or_else(|| Transport::ALL.to_vec());
    let outputs = counting::Outputs {
        command: command_line(args),
        json: options.json.clone(),
        markdown: options.markdown.clone(),
    };
    if (options.check.is_some() || options.tolerance.is_some()) && !options.instructions {
        return Err("--check and --tolerance go with --instructions".into());
    }
    if options.instructions {
        let env = environment(false)?;
        if let Some(committed) = &options.check {
            if options.json.is_some() || options.markdown.is_some() {
                return Err("--check compares and writes nothing: drop --json and --markdown".into());
            }
            let tolerance = options.tolerance.unwrap_or(gate::DEFAULT_TOLERANCE);
            return instructions::check(&env, choose_pinning(options), &impls, &transports, committed, tolerance);
        }
        if options.tolerance.is_some() {
            return Err("--tolerance goes with --check".into());
        }
        instructions::run(&env, choose_pinning(options), &impls, &transports, &outputs)
    } else {
        let env = environment(impls.contains(&Impl::Python))?;
        syscalls::run(&env, choose_pinning(options), &impls, &transports, &outputs)
    }
}

#[cfg(target_os = "linux")]
fn coordinate(options: &Options, args: &[String]) -> Result<()> {
    let started = Instant::now();
    let machine = sys::Machine::describe();
    let load_start = sys::load_average();
    let command = command_line(args);
    eprintln!(
        "pipe-bench: {} ({} cores), Linux {}, load average {}",
        machine.cpu,
        machine.cores,
        machine.kernel,
        load_start.map_or("?".into(), |l| format!("{l:.2}"))
    );
    if load_start.is_some_and(|l| l >= 1.5) {
        eprintln!("warning: the machine is busy (load average ≥ 1.5): the figures will be noisy");
    }
    let impls = options.only.clone().unwrap_or_else(|| Impl::ALL.to_vec());
    let transports = options.transports.clone().unwrap_or_else(|| Transport::ALL.to_vec());
    let env = environment(impls.contains(&Impl::Python))?;
    let pinning = choose_pinning(options);
    let launch = Launch::pinned(pinning);
    let mut scale = Scale::new(options.quick);
    if let Some(rounds) = options.rounds {
        scale.rounds = rounds.max(1);
    }
    if let Some(repeats) = options.repeats {
        scale.repeats = repeats.max(1);
    }
    let timeout = Duration::from_secs(if options.quick { 120 } else { 900 });
    let runnable = |imp: Impl| imp != Impl::Python || env.python.is_some();
    let mut results = Results::default();

    for round in 1..=scale.rounds {
        for &imp in impls.iter().filter(|&&i| runnable(i)) {
            for &transport in &transports {
                let (plan, warmups) = scale.main_plan(imp, transport);
                let t = Instant::now();
                let what = format!("round {round}/{}: {} {}", scale.rounds, imp.key(), transport.key());
                match run_session(&env, &launch, imp, transport, &plan, timeout) {
                    Ok(output) => {
                        for (index, outcome) in output.outcomes {
                            if index >= warmups {
                                record(&mut results, imp, transport, &plan[index], outcome);
                            }
                        }
                        eprintln!("  {what}: {:.1} s", t.elapsed().as_secs_f64());
                    }
                    Err(err) => eprintln!("  {what}: FAILED: {err}"),
                }
            }
        }
    }
    if !options.no_memory {
        for &imp in impls.iter().filter(|&&i| runnable(i)) {
            for &transport in &transports {
                let Some(plan) = scale.memory_plan(imp, transport) else { continue };
                match run_session(&env, &launch, imp, transport, &plan, timeout) {
                    Ok(output) => {
                        if let Some(kib) = output.channel_peak_kib {
                            results.add(imp, transport, Metric::PeakReader, kib as f64 / 1024.0);
                        }
                        if let Some(kib) = output.client_peak_kib {
                            results.add(imp, transport, Metric::PeakWriter, kib as f64 / 1024.0);
                        }
                    }
                    Err(err) => eprintln!("  {} {} memory: FAILED: {err}", imp.key(), transport.key()),
                }
                let plan = scale.idle_plan();
                match run_session(&env, &launch, imp, transport, &plan, timeout) {
                    Ok(output) => {
                        for (index, outcome) in output.outcomes {
                            record(&mut results, imp, transport, &plan[index], outcome);
                        }
                    }
                    Err(err) => eprintln!("  {} {} idle: FAILED: {err}", imp.key(), transport.key()),
                }
            }
        }
        // Python's FIFO has an idle figure but no 1 MiB one.
        if runnable(Impl::Python) && impls.contains(&Impl::Python) && transports.contains(&Transport::Fifo) {
            let plan = scale.idle_plan();
            match run_session(&env, &launch, Impl::Python, Transport::Fifo, &plan, timeout) {
                Ok(output) => {
                    for (index, outcome) in output.outcomes {
                        record(&mut results, Impl::Python, Transport::Fifo, &plan[index], outcome);
                    }
                }
                Err(err) => eprintln!("  python-aea fifo idle: FAILED: {err}"),
            }
        }
    }

    let load_end = sys::load_average();
    let info = RunInfo {
        command: command.clone(),
        quick: options.quick,
        repeats: scale.rounds * scale.repeats,
        machine: machine.clone(),
        load_start,
        load_end,
        seconds: started.elapsed().as_secs_f64(),
        pinning,
    };
    let targets = report::targets(&results);
    let load = |l: Option<f64>| l.map_or("?".into(), |l| format!("{l:.2}"));
    let mut text = format!(
        "Machine: {}, {} cores, Linux {}, {:.0} GiB RAM. Load average (1 min) {} at the start, {} at the end.  \n\
         Command: `{command}` ({} mode, {:.0} s): each throughput and latency figure is the median of {} runs, \
         the range of the runs beside it; memory figures come from one session each, in fresh processes.  \n\
         Each session is two processes: the client writes (or echoes), the channel reads and times each run from its \
         go frame to the receipt of the last frame{}. Ratios divide by the raw loop, tokio-util or Python AEA on the \
         same transport.\n\n",
        machine.cpu,
        machine.cores,
        machine.kernel,
        machine.memory_gib,
        load(load_start),
        load(load_end),
        if options.quick { "quick" } else { "full" },
        info.seconds,
        info.repeats,
        pinning.map_or(String::new(), |p| format!(
            "; the channel runs on CPU {}, the client on CPU {}",
            p.channel, p.client
        ))
    );
    text.push_str(&report::markdown(&results));
    text.push_str("\n#### Targets\n\n");
    text.push_str(&report::targets_markdown(&targets));
    println!("{text}");
    if let Some(path) = &options.markdown {
        std::fs::write(path, &text)?;
    }
    if let Some(path) = &options.json {
        std::fs::write(path, report::json(&results, &targets, &info))?;
    }
    if let Some(path) = &options.svg {
        let caption = format!(
            "{} ({} cores), Linux {}; load {}–{}; {} mode, median of {}; pipe-bench",
            machine.cpu,
            machine.cores,
            machine.kernel,
            load(load_start),
            load(load_end),
            if options.quick { "quick" } else { "full" },
            info.repeats
        );
        std::fs::write(path, svg::chart(&results, &caption))?;
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn main() -> std::process::ExitCode {
    eprintln!("pipe-bench runs on Linux only");
    std::process::ExitCode::FAILURE
}

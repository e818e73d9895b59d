//! The parent process: starts the two ends of each session as child processes (this binary
//! again, or the Python script), hands the channel's rendezvous to the client, and collects
//! what they print. A [`Launch`] says how the two ends are started: on which CPUs, and under
//! which tool (a profiler or a tracer), if any.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::peer::{Outcome, Result};
use crate::pinning::{self, Pinning};
use crate::plan::{encode_plan, Impl, Run, Transport};

/// Where the programs are.
#[derive(Debug, Clone)]
pub struct Env {
    /// This binary.
    pub exe: PathBuf,
    /// The venv's python with `aea` installed, if it could be set up.
    pub python: Option<PathBuf>,
    /// `bench/python/aea_bench.py`.
    pub script: PathBuf,
}

/// How the two ends of a session are started, beyond their own command lines.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// The CPUs of the channel and of the client; `None` leaves both to the scheduler.
    pub pinning: Option<Pinning>,
    /// A program and its arguments that the channel's command line is handed to, such as
    /// `valgrind --tool=callgrind`; empty to run the channel directly.
    pub channel_wrapper: Vec<OsString>,
    /// The same for the client.
    pub client_wrapper: Vec<OsString>,
}

impl Launch {
    /// Both ends run directly, pinned as `pinning` says.
    pub fn pinned(pinning: Option<Pinning>) -> Self {
        Self { pinning, ..Self::default() }
    }
}

/// What one session gave.
#[derive(Debug, Default)]
pub struct SessionOutput {
    /// Outcomes by run index.
    pub outcomes: Vec<(usize, Outcome)>,
    pub channel_peak_kib: Option<u64>,
    pub client_peak_kib: Option<u64>,
}

/// A child that is killed if the session is abandoned.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn command(
    env: &Env,
    imp: Impl,
    role: &str,
    transport: Transport,
    plan: &str,
    wrapper: &[OsString],
) -> Result<Command> {
    let (program, args): (&Path, Vec<OsString>) = if imp == Impl::Python {
        let python = env.python.as_ref().ok_or("the Python AEA venv is not available")?;
        (python, vec![env.script.clone().into()])
    } else {
        (&env.exe, vec!["--impl".into(), imp.key().into()])
    };
    let mut command = match wrapper.split_first() {
        Some((tool, tool_args)) => {
            let mut command = Command::new(tool);
            command.args(tool_args).arg(program);
            command
        }
        None => Command::new(program),
    };
    command.args(&args);
    command.args(["--role", role, "--transport", transport.key(), "--plan", plan]);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit());
    Ok(command)
}

fn lines(child: &mut Child) -> Receiver<String> {
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(std::io::Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait(child: &mut Child, deadline: Instant, who: &str) -> Result<()> {
    loop {
        if let Some(status) = child.try_wait()? {
            return if status.success() { Ok(()) } else { Err(format!("{who} failed: {status}").into()) };
        }
        if Instant::now() > deadline {
            return Err(format!("{who} did not finish in time").into());
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `plan` between a channel and a client of `imp` over `transport`, each in its own
/// process started as `launch` says, within `timeout`.
pub fn run_session(
    env: &Env,
    launch: &Launch,
    imp: Impl,
    transport: Transport,
    plan: &[Run],
    timeout: Duration,
) -> Result<SessionOutput> {
    let deadline = Instant::now() + timeout;
    let plan_text = encode_plan(plan);
    let channel_cpu = launch.pinning.map(|p| p.channel);
    let mut channel_command = command(env, imp, "channel", transport, &plan_text, &launch.channel_wrapper)?;
    let mut channel = Guard(pinning::spawn_on(&mut channel_command, channel_cpu)?);
    let channel_lines = lines(&mut channel.0);
    let mut peers = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match channel_lines.recv_timeout(left) {
            Ok(line) if line == "READY_DONE" => break,
            Ok(line) => {
                if let Some(rest) = line.strip_prefix("READY ") {
                    let (in_path, out_path) = rest.split_once(' ').ok_or("bad READY line")?;
                    peers.push((in_path.to_owned(), out_path.to_owned()));
                }
            }
            Err(RecvTimeoutError::Timeout) => return Err("the channel never announced its rendezvous".into()),
            Err(RecvTimeoutError::Disconnected) => return Err("the channel exited before announcing".into()),
        }
    }
    let mut client_command = command(env, imp, "client", transport, &plan_text, &launch.client_wrapper)?;
    for (in_path, out_path) in &peers {
        // The client reads where the channel writes.
        client_command.arg("--peer").arg(out_path).arg(in_path);
    }
    let mut client = Guard(pinning::spawn_on(&mut client_command, launch.pinning.map(|p| p.client))?);
    let client_lines = lines(&mut client.0);
    wait(&mut channel.0, deadline, "the channel")?;
    wait(&mut client.0, deadline, "the client")?;
    let mut output = SessionOutput::default();
    // Both have exited: their stdout ends, so these iterations end.
    for line in channel_lines.iter() {
        if let Some(result) = Outcome::parse(&line) {
            output.outcomes.push(result);
        } else if let Some(kib) = line.strip_prefix("PEAK_RSS ") {
            output.channel_peak_kib = kib.trim().parse().ok();
        }
    }
    for line in client_lines.iter() {
        if let Some(kib) = line.strip_prefix("PEAK_RSS ") {
            output.client_peak_kib = kib.trim().parse().ok();
        }
    }
    Ok(output)
}

/// The python of the open-aea 2.2.10 venv (set up by `tests/python/setup_venv.sh` on first
/// use under `target/aea-venv`, shared with the tests, on the newest Python 3.10+ found), or why
/// not.
pub fn aea_python(workspace: &Path) -> Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace.join("target"));
    let venvs = target.join("aea-venv");
    let script = workspace.join("tests/python/setup_venv.sh");
    let output = Command::new("bash").arg(&script).arg("open-aea").arg(&venvs).stderr(Stdio::inherit()).output()?;
    if !output.status.success() {
        return Err(format!("{} open-aea {} failed: {}", script.display(), venvs.display(), output.status).into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let python = stdout.lines().last().unwrap_or_default().trim();
    if python.is_empty() {
        return Err("setup_venv.sh printed no python path".into());
    }
    Ok(PathBuf::from(python))
}

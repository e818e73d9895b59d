//! What is measured: the implementations, the transports, the workloads and how big each run is.
//!
//! A session is one connection between two processes that carries out a plan, a list of runs, in
//! order. Both ends are given the same plan on their command lines, so they step through it in
//! lockstep without negotiating.

use std::fmt;
use std::str::FromStr;

/// The payload of workloads (1), (2) and (4).
pub const SMALL: usize = 64;
/// The payload of workload (3) and of the memory run.
pub const LARGE: usize = 1 << 20;
/// Frames per batch in workload (2).
pub const BATCH: usize = 512;
/// Frames of [`LARGE`] bytes in the memory run: 1 GiB.
pub const MEMORY_FRAMES: u64 = 1024;

/// Who implements the pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Impl {
    /// Blocking std files and sockets, hand-written length-prefix loops.
    Raw,
    /// tokio-util's `FramedRead`/`FramedWrite` with `LengthDelimitedCodec`, on tokio.
    TokioUtil,
    /// The real `aea.helpers.pipe`.
    Python,
    /// `pipe-tokio`.
    Tokio,
    /// `pipe-tokio`, its reader taking the messages with `read_batch_with` (lent in place, all
    /// that arrived per call) instead of `read`.
    TokioLent,
    /// `pipe-smol`.
    Smol,
    /// `pipe-smol`, its reader taking the messages with `read_batch_with`.
    SmolLent,
    /// `pipe-async-std`.
    AsyncStd,
    /// `pipe-async-std`, its reader taking the messages with `read_batch_with`.
    AsyncStdLent,
}

impl Impl {
    pub const ALL: [Impl; 9] = [
        Impl::Raw,
        Impl::TokioUtil,
        Impl::Python,
        Impl::Tokio,
        Impl::TokioLent,
        Impl::Smol,
        Impl::SmolLent,
        Impl::AsyncStd,
        Impl::AsyncStdLent,
    ];

    /// The name on the command line and in the JSON.
    pub fn key(self) -> &'static str {
        match self {
            Impl::Raw => "raw",
            Impl::TokioUtil => "tokio-util",
            Impl::Python => "python-aea",
            Impl::Tokio => "pipe-tokio",
            Impl::TokioLent => "pipe-tokio-lent",
            Impl::Smol => "pipe-smol",
            Impl::SmolLent => "pipe-smol-lent",
            Impl::AsyncStd => "pipe-async-std",
            Impl::AsyncStdLent => "pipe-async-std-lent",
        }
    }

    /// The name in the table.
    pub fn label(self) -> &'static str {
        match self {
            Impl::Raw => "raw std loop",
            Impl::TokioUtil => "tokio-util Framed",
            Impl::Python => "Python AEA",
            Impl::Tokio => "ours: pipe-tokio",
            Impl::TokioLent => "ours: pipe-tokio, read_batch_with",
            Impl::Smol => "ours: pipe-smol",
            Impl::SmolLent => "ours: pipe-smol, read_batch_with",
            Impl::AsyncStd => "ours: pipe-async-std",
            Impl::AsyncStdLent => "ours: pipe-async-std, read_batch_with",
        }
    }

    pub fn is_ours(self) -> bool {
        matches!(
            self,
            Impl::Tokio | Impl::TokioLent | Impl::Smol | Impl::SmolLent | Impl::AsyncStd | Impl::AsyncStdLent
        )
    }

    /// Ours, its reader taking the messages with `read_batch_with` instead of `read`.
    pub fn lends(self) -> bool {
        matches!(self, Impl::TokioLent | Impl::SmolLent | Impl::AsyncStdLent)
    }
}

impl FromStr for Impl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Impl::ALL.into_iter().find(|i| i.key() == s).ok_or_else(|| format!("unknown implementation {s:?}"))
    }
}

/// FIFO pair or loopback TCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Fifo,
    Tcp,
}

impl Transport {
    pub const ALL: [Transport; 2] = [Transport::Fifo, Transport::Tcp];

    pub fn key(self) -> &'static str {
        match self {
            Transport::Fifo => "fifo",
            Transport::Tcp => "tcp",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Transport::Fifo => "FIFO",
            Transport::Tcp => "TCP",
        }
    }
}

impl FromStr for Transport {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Transport::ALL.into_iter().find(|t| t.key() == s).ok_or_else(|| format!("unknown transport {s:?}"))
    }
}

/// The measured workloads, in table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Workload {
    /// (1) 64-byte frames, one write each.
    Single,
    /// (2) 64-byte frames in batches.
    Batch,
    /// (3) 1 MiB frames.
    Large,
    /// (4) 64-byte ping-pong.
    Rtt,
}

impl Workload {
    pub const ALL: [Workload; 4] = [Workload::Single, Workload::Batch, Workload::Large, Workload::Rtt];
}

/// One step of a session's plan. The client (writer) sends, the channel (reader) measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// `frames` frames of `size` bytes, one write each; `limit_ms` (if not 0) ends it earlier.
    Single { frames: u64, size: usize, limit_ms: u64 },
    /// `frames` frames of `size` bytes in batches of `batch`.
    Batch { frames: u64, size: usize, batch: usize, limit_ms: u64 },
    /// `frames` large frames of `size` bytes, one write each.
    Large { frames: u64, size: usize, limit_ms: u64 },
    /// `rounds` round trips of a `size`-byte frame, started by the channel.
    Rtt { rounds: u64, size: usize, limit_ms: u64 },
    /// `pipes` idle open pipes; the channel measures its memory per pipe.
    Idle { pipes: usize },
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Run::Single { frames, size, limit_ms } => write!(f, "single:{frames}:{size}:{limit_ms}"),
            Run::Batch { frames, size, batch, limit_ms } => write!(f, "batch:{frames}:{size}:{batch}:{limit_ms}"),
            Run::Large { frames, size, limit_ms } => write!(f, "large:{frames}:{size}:{limit_ms}"),
            Run::Rtt { rounds, size, limit_ms } => write!(f, "rtt:{rounds}:{size}:{limit_ms}"),
            Run::Idle { pipes } => write!(f, "idle:{pipes}"),
        }
    }
}

impl FromStr for Run {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("bad run {s:?}");
        let mut parts = s.split(':');
        let kind = parts.next().ok_or_else(bad)?;
        let nums: Vec<u64> = parts.map(|p| p.parse().map_err(|_| bad())).collect::<Result<_, _>>()?;
        let run = match (kind, nums.as_slice()) {
            ("single", &[frames, size, limit_ms]) => Run::Single { frames, size: size as usize, limit_ms },
            ("batch", &[frames, size, batch, limit_ms]) => {
                Run::Batch { frames, size: size as usize, batch: batch as usize, limit_ms }
            }
            ("large", &[frames, size, limit_ms]) => Run::Large { frames, size: size as usize, limit_ms },
            ("rtt", &[rounds, size, limit_ms]) => Run::Rtt { rounds, size: size as usize, limit_ms },
            ("idle", &[pipes]) => Run::Idle { pipes: pipes as usize },
            _ => return Err(bad()),
        };
        match run {
            Run::Single { frames, size, .. } | Run::Batch { frames, size, .. } | Run::Large { frames, size, .. }
                if frames < 2 || size == 0 =>
            {
                Err(format!("{s:?}: at least 2 frames of at least 1 byte"))
            }
            Run::Batch { batch: 0, .. } => Err(format!("{s:?}: empty batches")),
            _ => Ok(run),
        }
    }
}

/// A plan as one command-line argument.
pub fn encode_plan(runs: &[Run]) -> String {
    runs.iter().map(Run::to_string).collect::<Vec<_>>().join(",")
}

pub fn parse_plan(text: &str) -> Result<Vec<Run>, String> {
    text.split(',').filter(|s| !s.is_empty()).map(str::parse).collect()
}

/// How much each run moves, for `--quick` or the full benchmark.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Sessions per implementation and transport, run round-robin over all of them, so that a
    /// passing disturbance hits one sample of several rows rather than every sample of one.
    pub rounds: usize,
    /// Runs of each workload per session.
    pub repeats: usize,
    pub single_frames: u64,
    pub batch_frames: u64,
    pub large_frames: u64,
    pub rtt_rounds: u64,
    /// Python runs stop after this long (their frame counts are the same as everyone's).
    pub python_limit_ms: u64,
    pub idle_pipes: usize,
}

impl Scale {
    pub fn new(quick: bool) -> Self {
        if quick {
            Self {
                rounds: 1,
                repeats: 3,
                single_frames: 100_000,
                batch_frames: 1_000_000,
                large_frames: 64,
                rtt_rounds: 1_000,
                python_limit_ms: 150,
                idle_pipes: 100,
            }
        } else {
            Self {
                rounds: 5,
                repeats: 1,
                single_frames: 1_000_000,
                batch_frames: 10_000_000,
                large_frames: 1024,
                rtt_rounds: 20_000,
                python_limit_ms: 2_000,
                idle_pipes: 100,
            }
        }
    }

    /// The run of `workload` for `imp` on `transport`, or `None` where it does not apply.
    pub fn run(&self, imp: Impl, transport: Transport, workload: Workload, fraction: u64) -> Option<Run> {
        let limit_ms = if imp == Impl::Python { self.python_limit_ms / fraction } else { 0 };
        let div = |n: u64| (n / fraction).max(2);
        Some(match workload {
            Workload::Single => Run::Single { frames: div(self.single_frames), size: SMALL, limit_ms },
            // The AEA has no batch API.
            Workload::Batch if imp == Impl::Python => return None,
            Workload::Batch => Run::Batch { frames: div(self.batch_frames), size: SMALL, batch: BATCH, limit_ms },
            // Python's FIFO write() loses frames of 64 KiB or more (a bare non-blocking os.write).
            Workload::Large if imp == Impl::Python && transport == Transport::Fifo => return None,
            Workload::Large => Run::Large { frames: div(self.large_frames), size: LARGE, limit_ms },
            Workload::Rtt => Run::Rtt { rounds: div(self.rtt_rounds), size: SMALL, limit_ms },
        })
    }

    /// The main session of `imp` on `transport`: one warm-up run of each workload (a tenth of
    /// the size, results dropped), then the repeats, round-robin over the workloads.
    pub fn main_plan(&self, imp: Impl, transport: Transport) -> (Vec<Run>, usize) {
        let mut runs: Vec<Run> = Workload::ALL.iter().filter_map(|&w| self.run(imp, transport, w, 10)).collect();
        let warmups = runs.len();
        for _ in 0..self.repeats {
            runs.extend(Workload::ALL.iter().filter_map(|&w| self.run(imp, transport, w, 1)));
        }
        (runs, warmups)
    }

    /// The memory session: 1 GiB in 1 MiB frames, in fresh processes.
    pub fn memory_plan(&self, imp: Impl, transport: Transport) -> Option<Vec<Run>> {
        if imp == Impl::Python && transport == Transport::Fifo {
            return None;
        }
        Some(vec![Run::Large { frames: MEMORY_FRAMES, size: LARGE, limit_ms: 0 }])
    }

    pub fn idle_plan(&self) -> Vec<Run> {
        vec![Run::Idle { pipes: self.idle_pipes }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_survive_the_command_line() {
        let scale = Scale::new(true);
        for imp in Impl::ALL {
            for transport in Transport::ALL {
                let (plan, _) = scale.main_plan(imp, transport);
                assert_eq!(parse_plan(&encode_plan(&plan)).unwrap(), plan);
            }
        }
    }

    #[test]
    fn python_has_no_batch_and_no_large_fifo_frames() {
        let scale = Scale::new(true);
        assert!(scale.run(Impl::Python, Transport::Tcp, Workload::Batch, 1).is_none());
        assert!(scale.run(Impl::Python, Transport::Fifo, Workload::Large, 1).is_none());
        assert!(scale.run(Impl::Python, Transport::Tcp, Workload::Large, 1).is_some());
    }
}

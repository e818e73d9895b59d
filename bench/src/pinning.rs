//! CPU pinning: the channel on one CPU and the client on another, so that the two ends never
//! queue for the same CPU and never migrate between CPUs in the middle of a run.
//!
//! A process starts with the CPU affinity of the thread that spawned it. So the coordinator
//! narrows its own thread to the one CPU, spawns, and widens it again: this pins whatever it
//! starts (this binary, the Python script, or either under valgrind or strace) without a word on
//! their command lines, and every thread they start later stays on that CPU too.

use std::io;
use std::process::{Child, Command};

use rustix::thread::{sched_getaffinity, sched_setaffinity, CpuSet};

/// The CPU of each end of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pinning {
    /// The CPU of the channel (the reader and timer).
    pub channel: usize,
    /// The CPU of the client (the writer and echoer).
    pub client: usize,
}

impl Pinning {
    /// The first two CPUs this process may run on, or `None` if it may run on fewer than two
    /// (pinning both ends to one CPU would measure something else).
    pub fn first_two() -> Option<Self> {
        let mask = sched_getaffinity(None).ok()?;
        let mut cpus = (0..CpuSet::MAX_CPU).filter(|&cpu| mask.is_set(cpu));
        Some(Self { channel: cpus.next()?, client: cpus.next()? })
    }
}

/// Spawns `command` on `cpu` alone, or wherever the scheduler likes if `cpu` is `None`.
pub fn spawn_on(command: &mut Command, cpu: Option<usize>) -> io::Result<Child> {
    let Some(cpu) = cpu else { return command.spawn() };
    let ours = sched_getaffinity(None)?;
    let mut one = CpuSet::new();
    one.set(cpu);
    sched_setaffinity(None, &one)?;
    let spawned = command.spawn();
    let restored = sched_setaffinity(None, &ours);
    let mut child = spawned?;
    if let Err(err) = restored {
        let _ = child.kill();
        let _ = child.wait();
        return Err(err.into());
    }
    Ok(child)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_child_runs_on_its_cpu_and_the_parent_keeps_its_own() {
        let Some(pinning) = Pinning::first_two() else { return };
        let before = sched_getaffinity(None).unwrap();
        let output = spawn_on(
            Command::new("cat").arg("/proc/self/status").stdout(std::process::Stdio::piped()),
            Some(pinning.client),
        )
        .unwrap()
        .wait_with_output()
        .unwrap();
        let status = String::from_utf8(output.stdout).unwrap();
        let allowed = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).unwrap().trim();
        assert_eq!(allowed, pinning.client.to_string());
        assert_eq!(sched_getaffinity(None).unwrap(), before);
    }
}

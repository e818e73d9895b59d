//! What this process holds, from `/proc/self` (Linux): memory, descriptors, threads.

use std::fs;

/// A `kB` field of `/proc/self/status` (`VmRSS`, `VmHWM`...), or `None` where there is none.
pub fn status_kb(field: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.strip_prefix(field).is_some_and(|rest| rest.starts_with(':')))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resident memory now, in KiB.
pub fn rss_kb() -> u64 {
    status_kb("VmRSS").unwrap_or(0)
}

/// Peak resident memory so far, in KiB.
pub fn hwm_kb() -> u64 {
    status_kb("VmHWM").unwrap_or(0)
}

/// Open file descriptors.
pub fn fd_count() -> usize {
    fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

/// Threads of this process.
pub fn thread_count() -> usize {
    fs::read_dir("/proc/self/task").map(|d| d.count()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_memory_descriptors_and_a_thread() {
        let rss = rss_kb();
        assert!(rss > 0);
        assert!(hwm_kb() >= rss, "the peak is read after, so it covers the earlier reading");
        assert!(fd_count() >= 3);
        assert!(thread_count() >= 1);
    }
}

//! The stdout line protocol: one line per event, flushed at once.

use std::io::Write;

use pipe_io::Error;

/// Prints one protocol line and flushes it. A closed stdout (the test went away) is ignored.
pub fn emit(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

/// A pipe error as words for `READ_ERROR`/`WRITE_ERROR`/`CONNECT_ERROR` lines: the variant's
/// name, then its numbers (`TruncatedFrame <expected> <received>`, `FrameTooLarge <len> <max>`,
/// `PeerFrameTooLarge <declared> <max>`, `Undelivered <frames> <bytes> <cause>`, `Io <ErrorKind>`).
pub fn describe(err: &Error) -> String {
    match err {
        Error::TruncatedFrame { expected, received } => format!("TruncatedFrame {expected} {received}"),
        Error::FrameTooLarge { len, max } => format!("FrameTooLarge {len} {max}"),
        Error::PeerFrameTooLarge { declared, max } => format!("PeerFrameTooLarge {declared} {max}"),
        Error::Undelivered { frames, bytes, source } => format!("Undelivered {frames} {bytes} {}", describe(source)),
        Error::Io(e) => format!("Io {:?}", e.kind()),
        Error::Timeout { .. } => "Timeout".into(),
        Error::EmptyFrame => "EmptyFrame".into(),
        Error::NotConnected => "NotConnected".into(),
        Error::ClosedLocally => "ClosedLocally".into(),
        Error::PeerClosed => "PeerClosed".into(),
        Error::NotAFifo { .. } => "NotAFifo".into(),
        Error::NotOurs { .. } => "NotOurs".into(),
        Error::InvalidAddress { .. } => "InvalidAddress".into(),
        other => format!("{other:?}"),
    }
}

/// `MEM <phase> <VmRSS kB> <VmHWM kB>`.
pub fn emit_mem(phase: &str) {
    emit(&format!("MEM {phase} {} {}", super::procfs::rss_kb(), super::procfs::hwm_kb()));
}

//! The behaviour table (`pipe-io/BEHAVIOUR.md`), run: each row is a situation this module sets
//! up, each column an operation; every cell is run on a fresh pipe in that situation, and the
//! answer is compared with the table. The table is the only copy of the expected answers.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use pipe_io::{Config, Error, Pipe, Runtime, Transport};

use super::support::{connected_with, sleep, timeout, Frames, Kind};

/// The table, as the documentation shows it.
pub const TABLE: &str = include_str!("../../../pipe-io/BEHAVIOUR.md");

/// How long an operation may take before its answer is `Pending`.
const PENDING_AFTER: Duration = Duration::from_millis(300);

/// Larger than any FIFO or socket buffer: a write of this size cannot complete while the peer
/// does not read.
const HUGE: usize = 32 << 20;

/// The operations, in the table's column order.
const COLUMNS: [&str; 11] = [
    "read",
    "write",
    "flush",
    "close",
    "connect",
    "state",
    "reader next",
    "writer send",
    "writer close",
    "reconnect",
    "take_unsent",
];

/// How long a `reconnect` cell waits for a new peer, which never comes.
const RECONNECT_WAIT: Duration = Duration::from_millis(200);

/// Operations the table has no column for, because they answer as a column does: each is run
/// in every row and checked against that column's cell.
const SAME_AS: [(&str, &str); 4] = [
    ("read_with", "read"),
    ("read_batch_with", "read"),
    ("reader read_with", "reader next"),
    ("reader read_batch_with", "reader next"),
];

/// Runs every cell of the row named `row` over transport `K`, and panics with the list of cells
/// whose answer differs from the table.
pub async fn check_row<R: Runtime, K: Kind>(row: &str) {
    let expected = expected_row(row);
    let mut wrong = Vec::new();
    for (column, cell) in COLUMNS.iter().zip(&expected) {
        let allowed = cell_for(cell, K::TRANSPORT);
        // Boxed: a cell's future holds two pipes and the situation's; on the heap, not the stack
        // of the test thread (debug builds keep every await point's locals).
        let got = Box::pin(run_cell::<R, K>(row, column)).await;
        if !allowed.contains(&got) {
            wrong.push(format!("  {column}: expected {}, got {got}", allowed.join(" or ")));
        }
    }
    for (operation, column) in SAME_AS {
        let cell = &expected[COLUMNS.iter().position(|c| *c == column).expect("a column of the table")];
        let allowed = cell_for(cell, K::TRANSPORT);
        let got = Box::pin(run_cell::<R, K>(row, operation)).await;
        if !allowed.contains(&got) {
            wrong.push(format!("  {operation} (as {column}): expected {}, got {got}", allowed.join(" or ")));
        }
    }
    assert!(wrong.is_empty(), "{} row `{row}` answers differently from BEHAVIOUR.md:\n{}", K::NAME, wrong.join("\n"));
}

/// The cells of row `row`, in column order.
fn expected_row(row: &str) -> Vec<String> {
    let mut lines = TABLE.lines().filter(|line| line.starts_with('|'));
    let header = split_row(lines.next().expect("the table has a header"));
    assert_eq!(header[1..], COLUMNS, "the table's columns");
    let line = lines
        .find(|line| split_row(line)[0].starts_with(&format!("`{row}`")))
        .unwrap_or_else(|| panic!("no row `{row}` in BEHAVIOUR.md"));
    split_row(line)[1..].to_vec()
}

fn split_row(line: &str) -> Vec<String> {
    line.trim().trim_matches('|').split('|').map(|cell| cell.trim().to_owned()).collect()
}

/// The answers a cell allows on `transport`: `fifo: A / tcp: B` picks one side, `A or B` allows
/// either.
fn cell_for(cell: &str, transport: Transport) -> Vec<String> {
    let cell = cell.replace('`', "");
    let part = match cell.split_once(" / ") {
        Some((fifo, tcp)) => {
            let (fifo, tcp) = (fifo.trim_start_matches("fifo: "), tcp.trim_start_matches("tcp: "));
            if transport == Transport::Fifo {
                fifo.to_owned()
            } else {
                tcp.to_owned()
            }
        }
        None => cell,
    };
    part.split(" or ").map(|answer| answer.trim().to_owned()).collect()
}

/// An error as the table writes it.
pub fn describe(err: &Error) -> String {
    match err {
        Error::Io(io) => format!("{:?}", io.kind()),
        Error::Undelivered { frames, source, .. } => format!("Undelivered({frames}, {})", describe(source)),
        Error::InvalidState { state } => format!("InvalidState({state})"),
        Error::Timeout { .. } => "Timeout".into(),
        Error::TruncatedFrame { .. } => "TruncatedFrame".into(),
        Error::FrameTooLarge { .. } => "FrameTooLarge".into(),
        Error::PeerFrameTooLarge { .. } => "PeerFrameTooLarge".into(),
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

fn answer_of(result: Option<Result<(), Error>>) -> String {
    match result {
        None => "Pending".into(),
        Some(Ok(())) => "Ok".into(),
        Some(Err(err)) => describe(&err),
    }
}

fn read_answer<T>(result: Option<Result<Option<T>, Error>>) -> String {
    match result {
        None => "Pending".into(),
        Some(Ok(Some(_))) => "Frame".into(),
        Some(Ok(None)) => "None".into(),
        Some(Err(err)) => describe(&err),
    }
}

/// What is left of the peer while the cell runs (a half-closed peer still reads), kept alive
/// until the cell's answer is in.
type PeerLeft = Option<Box<dyn std::any::Any>>;

/// Sets up `row` and runs `column` in it; the answer as the table writes it.
async fn run_cell<R: Runtime, K: Kind>(row: &str, column: &str) -> String {
    let (mut ours, _peer) = Box::pin(situation::<R, K>(row)).await;
    match column {
        "read" => read_answer(timeout::<R, _>(PENDING_AFTER, ours.read()).await),
        "read_with" => read_answer(timeout::<R, _>(PENDING_AFTER, ours.read_with(|_| ())).await),
        "read_batch_with" => read_answer(timeout::<R, _>(PENDING_AFTER, ours.read_batch_with(|_| ())).await),
        "write" => answer_of(timeout::<R, _>(PENDING_AFTER, ours.write(b"contract")).await),
        "flush" => answer_of(timeout::<R, _>(PENDING_AFTER, ours.flush()).await),
        "close" => answer_of(timeout::<R, _>(PENDING_AFTER, ours.close()).await),
        "connect" => answer_of(timeout::<R, _>(PENDING_AFTER, ours.connect(Duration::from_secs(1))).await),
        "reconnect" => answer_of(timeout::<R, _>(PENDING_AFTER * 4, ours.reconnect(RECONNECT_WAIT)).await),
        "take_unsent" => ours.take_unsent().len().to_string(),
        "state" => match ours.peer_closed() {
            true => format!("{}, peer closed", ours.state()),
            false => ours.state().to_string(),
        },
        split_column => {
            let (mut reader, mut writer) = match ours.into_split() {
                Ok(halves) => halves,
                Err(err) => return format!("split: {}", describe(&err)),
            };
            match split_column {
                "reader next" => match timeout::<R, _>(PENDING_AFTER, reader.next()).await {
                    None => "Pending".into(),
                    Some(None) => "None".into(),
                    Some(Some(Ok(_))) => "Frame".into(),
                    Some(Some(Err(err))) => describe(&err),
                },
                "reader read_with" => read_answer(timeout::<R, _>(PENDING_AFTER, reader.read_with(|_| ())).await),
                "reader read_batch_with" => {
                    read_answer(timeout::<R, _>(PENDING_AFTER, reader.read_batch_with(|_| ())).await)
                }
                "writer send" => {
                    answer_of(timeout::<R, _>(PENDING_AFTER, writer.send(Bytes::from_static(b"contract"))).await)
                }
                "writer close" => {
                    answer_of(timeout::<R, _>(PENDING_AFTER, SinkExt::<pipe_io::Bytes>::close(&mut writer)).await)
                }
                other => panic!("no column {other:?}"),
            }
        }
    }
}

fn config() -> Config {
    Config::default().with_max_frame_len(2 * HUGE)
}

/// Our end (the channel) in the situation of `row`, and what is left of the peer.
async fn situation<R: Runtime, K: Kind>(row: &str) -> (Pipe<R, K>, PeerLeft) {
    let (mut ours, mut peer) = connected_with::<R, K>(config()).await;
    let left: PeerLeft = match row {
        "open" => Some(Box::new(peer) as Box<dyn std::any::Any>),
        "peer_closed_read" => {
            peer.close().await.expect("the peer closes");
            assert_eq!(ours.read().await.expect("read the close"), None);
            None
        }
        "peer_closed_unread" => {
            peer.close().await.expect("the peer closes");
            settle::<R>().await;
            None
        }
        "peer_died_between_frames" => {
            peer.write(b"whole").await.expect("the peer writes");
            assert_eq!(ours.read().await.expect("read the frame").as_deref(), Some(&b"whole"[..]));
            drop(peer);
            settle::<R>().await;
            None
        }
        "peer_died_mid_frame" | "after_read_failure" => {
            let huge = Frames::new(HUGE).frame(0, HUGE);
            let cut = timeout::<R, _>(Duration::from_millis(100), peer.write_bytes(huge)).await;
            assert!(cut.is_none(), "a {HUGE}-byte write completed with nobody reading");
            drop(peer);
            settle::<R>().await;
            if row == "after_read_failure" {
                let err = ours.read().await.expect_err("the truncated frame");
                assert_eq!(describe(&err), "TruncatedFrame");
            }
            None
        }
        "peer_half_closed" => {
            let (reader, mut writer) = peer.into_split().expect("split the peer");
            writer.close().await.expect("the peer half-closes");
            settle::<R>().await;
            Some(Box::new((reader, writer)) as Box<dyn std::any::Any>)
        }
        "we_closed" => {
            ours.close().await.expect("we close");
            Some(Box::new(peer) as Box<dyn std::any::Any>)
        }
        "write_cancelled_peer_gone" => {
            let huge = Frames::new(HUGE).frame(1, HUGE);
            let cut = timeout::<R, _>(Duration::from_millis(100), ours.write_bytes(huge)).await;
            assert!(cut.is_none(), "a {HUGE}-byte write completed with nobody reading");
            drop(peer);
            settle::<R>().await;
            None
        }
        "after_write_failure" => {
            drop(peer);
            settle::<R>().await;
            let mut writes = 0;
            let err = loop {
                writes += 1;
                match ours.write(b"anyone there?").await {
                    Ok(()) if writes < 100 => sleep::<R>(Duration::from_millis(10)).await,
                    Ok(()) => panic!("100 writes to a vanished peer succeeded"),
                    Err(err) => break err,
                }
            };
            // EPIPE; on Windows a TCP peer's reset says so (WSAECONNRESET).
            let answer = describe(&err);
            assert!(
                answer == "Undelivered(1, BrokenPipe)"
                    || K::TRANSPORT == Transport::Tcp && answer == "Undelivered(1, ConnectionReset)",
                "the failing write: {answer}"
            );
            None
        }
        other => panic!("no situation {other:?}"),
    };
    (ours, left)
}

/// Lets what the peer did reach us through the OS (a close, a reset).
async fn settle<R: Runtime>() {
    sleep::<R>(Duration::from_millis(20)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_pick_their_transport_and_allow_alternatives() {
        let cell = "`fifo: None / tcp: None or ConnectionReset`";
        assert_eq!(cell_for(cell, Transport::Fifo), ["None"]);
        assert_eq!(cell_for(cell, Transport::Tcp), ["None", "ConnectionReset"]);
        assert_eq!(cell_for("`InvalidState(open)`", Transport::Tcp), ["InvalidState(open)"]);
    }

    #[test]
    fn every_row_has_a_cell_per_column() {
        for row in ROWS {
            assert_eq!(expected_row(row).len(), COLUMNS.len(), "row {row}");
        }
    }
}

/// The rows of the table, each a test per runtime and transport (`behaviour_tests!`).
pub const ROWS: [&str; 10] = [
    "open",
    "peer_closed_read",
    "peer_closed_unread",
    "peer_died_between_frames",
    "peer_died_mid_frame",
    "peer_half_closed",
    "we_closed",
    "write_cancelled_peer_gone",
    "after_write_failure",
    "after_read_failure",
];

macro_rules! rows {
    ($($row:ident),* $(,)?) => {
        $(
            #[doc = concat!("The `", stringify!($row), "` row of the behaviour table.")]
            pub async fn $row<R: Runtime, K: Kind>() {
                check_row::<R, K>(stringify!($row)).await
            }
        )*
    };
}

rows!(
    open,
    peer_closed_read,
    peer_closed_unread,
    peer_died_between_frames,
    peer_died_mid_frame,
    peer_half_closed,
    we_closed,
    write_cancelled_peer_gone,
    after_write_failure,
    after_read_failure,
);

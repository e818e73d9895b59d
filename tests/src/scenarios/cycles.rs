//! Leaks: a thousand pipes opened, connected and closed leave nothing behind.

use pipe_io::Runtime;

use super::close::rendezvous_dir;
use super::support::{assert_fds_back_to, connected, open_fds, warm_up, Kind};

/// How many pipes.
const CYCLES: usize = 1_000;

/// A thousand times: create a channel and its client, connect both, exchange a message, close
/// both (the channel first in even cycles, the client first in odd ones). Afterwards none of the
/// FIFO directories exists and as many file descriptors are open as before.
pub async fn open_connect_close_cycles_leave_nothing<R: Runtime, K: Kind>() {
    warm_up::<R, K>().await;
    let before = open_fds();
    let mut dirs = Vec::new();
    for cycle in 0..CYCLES {
        let (mut channel, mut client) = connected::<R, K>().await;
        dirs.extend(rendezvous_dir(&channel));
        channel.write(b"hi").await.unwrap_or_else(|err| panic!("cycle {cycle}: write: {err}"));
        assert_eq!(
            client.read().await.unwrap_or_else(|err| panic!("cycle {cycle}: read: {err}")).as_deref(),
            Some(&b"hi"[..])
        );
        let (first, second) = if cycle % 2 == 0 { (&mut channel, &mut client) } else { (&mut client, &mut channel) };
        first.close().await.unwrap_or_else(|err| panic!("cycle {cycle}: close: {err}"));
        second.close().await.unwrap_or_else(|err| panic!("cycle {cycle}: close: {err}"));
    }
    let left: Vec<_> = dirs.iter().filter(|dir| dir.exists()).collect();
    assert!(left.is_empty(), "{} FIFO directories left behind, e.g. {}", left.len(), left[0].display());
    assert_fds_back_to(before, &format!("after {CYCLES} {} pipes", K::NAME));
}

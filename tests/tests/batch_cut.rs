//! A batch cut by the death of the peer's process: our channel's `write_batch` of 20 messages of
//! 1 MiB goes to a client process that connected and reads nothing; while the batch waits for
//! room, the client is killed (`SIGKILL`). The batch answers `Undelivered`, counting every
//! message it took and did not hand to the OS: the one cut mid-write and every message after it.
//! A new client process joins after `reconnect`: it must get exactly the messages counted, once
//! each, whole, in order, then the messages sent after them. The messages the OS had accepted
//! died with the old client.
//!
//! Clients: our peer program on each runtime, and the real Python AEA client. If the Python venv
//! cannot be set up, the Python cases fail with what to install.
#![cfg(unix)]

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use common::{after, client_process, once_started, Client};
use futures_util::future::join;
use pipe_io::{Error, Runtime};
use pipe_tests::peer::{hard_timeout, timeout, AsyncStdExec, Exec, Payloads, SmolExec, TokioExec};
use pipe_tests::python::default_peer;

/// Messages in the batch, and their length: 20 MiB, more than a FIFO or a loopback socket
/// holds, so that the batch still waits for room when the client dies.
const COUNT: u64 = 20;
const LEN: usize = 1 << 20;
/// Messages sent after the reconnect, behind the ones the batch left undelivered.
const MORE: u64 = 5;
/// How long the batch runs before the kill: time to fill the OS buffers and wait for room. (A
/// kill before that would cut the batch all the same.)
const BEFORE_THE_KILL: Duration = Duration::from_millis(500);
/// How long a client process waits for its channel before it gives up.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

async fn within<E: Exec, T>(what: &str, work: impl Future<Output = T>) -> T {
    timeout::<E::R, _>(Duration::from_secs(60), work).await.unwrap_or_else(|| panic!("{what} hung"))
}

fn batch_cut_by_a_killed_client<E: Exec>(transport: &'static str, client: Client) {
    hard_timeout(Duration::from_secs(180), move || {
        E::block_on(async move {
            let payloads = Payloads::new(LEN);
            let mut channel = common::channel::<E::R>(transport);
            let mut first =
                client_process(client, (channel.in_path(), channel.out_path()), transport, "hold", CLIENT_TIMEOUT);
            within::<E, _>("connect", channel.connect(Duration::from_secs(30))).await.expect("connect");
            first.expect("HOLDING", after(60));

            let batch: Vec<_> = (0..COUNT).map(|seq| payloads.sequenced(seq, LEN)).collect();
            let kill = async {
                <E::R as Runtime>::sleep_until(Instant::now() + BEFORE_THE_KILL).await;
                first.kill();
            };
            let (result, ()) = join(within::<E, _>("the cut batch", channel.write_batch(batch)), kill).await;
            let err = result.expect_err("the batch to a client that reads nothing and was killed");
            let Error::Undelivered { frames, .. } = err else { panic!("{err:?}") };
            let frames = frames as u64;
            assert!((1..=COUNT).contains(&frames), "{transport}: {frames} of {COUNT} counted");
            let first_unsent = COUNT - frames;

            // The new client starts once the reconnect began (see `restarts.rs`).
            let (in_path, out_path) = (channel.in_path().to_owned(), channel.out_path().to_owned());
            let mut second = None;
            let reconnect = once_started(channel.reconnect(Duration::from_secs(30)), || {
                second = Some(client_process(client, (&in_path, &out_path), transport, "sequence", CLIENT_TIMEOUT));
            });
            within::<E, _>("reconnect", reconnect).await.expect("reconnect");
            let mut second = second.expect("started");
            let more: Vec<_> = (COUNT..COUNT + MORE).map(|seq| payloads.sequenced(seq, LEN)).collect();
            let sent = within::<E, _>("the next batch", channel.write_batch(more)).await;
            let closed = within::<E, _>("close", channel.close()).await;

            // The client's report first: a client that stopped at a wrong message is what made
            // our writes fail.
            let exit = second.finish(after(60));
            let report = second.report();
            assert_eq!(exit.code(), Some(0), "{transport}: the next client ({sent:?}, {closed:?})\n{report}");
            sent.expect("the next batch");
            closed.expect("every message handed to the OS");
            let last = COUNT + MORE - 1;
            assert_eq!(
                exit.words("SEQUENCE"),
                Some(vec![first_unsent.to_string(), last.to_string(), (last - first_unsent + 1).to_string()]),
                "{transport}: the {frames} messages counted ({first_unsent}..{COUNT}), then {COUNT}..={last}, \
                 exactly once each, in order\n{report}"
            );
            eprintln!("{transport} {client:?}: {frames} of {COUNT} counted and sent to the next client");
        })
    })
}

macro_rules! batch_cut_cases {
    ($($name:ident: $exec:ty, $transport:literal, $client:expr;)*) => {
        $(
            #[test]
            fn $name() {
                batch_cut_by_a_killed_client::<$exec>($transport, $client);
            }
        )*
    };
}

batch_cut_cases! {
    fifo_tokio_channel_batch_cut_by_a_killed_client_reaches_the_next_client_counted_whole: TokioExec, "fifo", Client::Ours("tokio");
    tcp_tokio_channel_batch_cut_by_a_killed_client_reaches_the_next_client_counted_whole: TokioExec, "tcp", Client::Ours("smol");
    fifo_smol_channel_batch_cut_by_a_killed_client_reaches_the_next_client_counted_whole: SmolExec, "fifo", Client::Ours("async-std");
    tcp_smol_channel_batch_cut_by_a_killed_client_reaches_the_next_client_counted_whole: SmolExec, "tcp", Client::Ours("tokio");
    fifo_async_std_channel_batch_cut_by_a_killed_client_reaches_the_next_client_counted_whole: AsyncStdExec, "fifo", Client::Ours("smol");
    tcp_async_std_channel_batch_cut_by_a_killed_client_reaches_the_next_client_counted_whole: AsyncStdExec, "tcp", Client::Ours("async-std");
    tcp_tokio_channel_batch_cut_by_a_killed_aea_client_reaches_the_next_aea_client_counted_whole: TokioExec, "tcp", Client::Python(default_peer());
    fifo_smol_channel_batch_cut_by_a_killed_aea_client_reaches_the_next_aea_client_counted_whole: SmolExec, "fifo", Client::Python(default_peer());
    tcp_async_std_channel_batch_cut_by_a_killed_aea_client_reaches_the_next_aea_client_counted_whole: AsyncStdExec, "tcp", Client::Python(default_peer());
}

//! At the open-file limit: a pair that cannot be made or connected, or a channel that cannot
//! reconnect, fails with the OS's own error (`EMFILE`, its kind and its code, also once
//! converted to `std::io::Error`) and a message that says what the pipe was doing, on which path
//! or address, whichever step ran out of descriptors, on every runtime and transport; and
//! dropping a connected FIFO channel there still removes its directory.
//!
//! The limit is process-wide, so this file runs as a process of its own, and its tests take
//! turns: each holds [`AtLimit`] while the limit is lowered.
#![cfg(target_os = "linux")]

use std::fs::File;
use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::pin;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use futures_util::future::{select, Either};
use pipe_io::{Error, Fifo, Pipe, Portable, Runtime, Tcp};
use pipe_tests::peer::{AsyncStdExec, Exec, SmolExec, TokioExec};
use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// The soft limit while a test runs, as low as a constrained service might set it.
const LIMIT: u64 = 40;

/// How many free descriptors the sweep tries at most before a pair must connect.
const MOST_SPARE: usize = 30;

/// The open-file limit lowered to [`LIMIT`] for as long as this is held, by one test at a time;
/// restored when dropped, also when the test panics.
struct AtLimit {
    before: Rlimit,
    _turn: MutexGuard<'static, ()>,
}

fn at_the_limit() -> AtLimit {
    static TURN: Mutex<()> = Mutex::new(());
    let turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = getrlimit(Resource::Nofile);
    setrlimit(Resource::Nofile, Rlimit { current: Some(LIMIT), maximum: before.maximum })
        .expect("lower the open-file limit");
    AtLimit { before, _turn: turn }
}

impl Drop for AtLimit {
    fn drop(&mut self) {
        setrlimit(Resource::Nofile, self.before).expect("restore the open-file limit");
    }
}

/// Opens descriptors until the limit refuses one, then gives `spare` of them back: what is left
/// free for the code under test.
fn fill_leaving(spare: usize) -> Vec<File> {
    let mut filler = Vec::new();
    while let Ok(file) = File::open("/dev/null") {
        filler.push(file);
        assert!(filler.len() < LIMIT as usize, "the limit of {LIMIT} descriptors is not in force");
    }
    filler.truncate(filler.len().saturating_sub(spare));
    filler
}

async fn drop_at_the_limit<R: Runtime>(runtime: &str) {
    let mut channel = Pipe::<R, Fifo>::new().expect("create the channel");
    let mut client = Pipe::<R, Fifo>::client(channel.out_path(), channel.in_path()).expect("create the client");
    let timeout = Duration::from_secs(10);
    let (a, b) = futures_util::future::join(channel.connect(timeout), client.connect(timeout)).await;
    a.expect("the channel connects");
    b.expect("the client connects");
    let dir = Path::new(channel.in_path()).parent().expect("the FIFO directory").to_owned();

    // Use every descriptor that is left, so that removing the directory can only take one that
    // the channel itself gives back.
    let filler = fill_leaving(0);
    drop(channel);
    let removed = !dir.exists();
    drop(filler);
    drop(client);
    assert!(removed, "{runtime}: dropping the channel at the open-file limit left {} behind", dir.display());
}

#[test]
fn dropping_a_connected_fifo_channel_at_the_open_file_limit_removes_its_directory() {
    let _limit = at_the_limit();
    TokioExec::block_on(drop_at_the_limit::<pipe_tokio::Tokio>("tokio"));
    SmolExec::block_on(drop_at_the_limit::<pipe_smol::AsyncIo>("smol"));
}

/// A step of making and connecting a pair, and how it failed.
type Failed = (&'static str, Error);

/// An end of a pair, as either transport gives it.
type End<R> = Pipe<R, Portable>;

/// Which meeting of a channel and a client runs at the limit.
#[derive(Debug, Clone, Copy)]
enum Meeting {
    /// A new channel and client connect.
    First,
    /// A channel whose first client has gone reconnects with a new one: it opens its meeting
    /// place again (binds its port again, makes its FIFOs anew) at the limit.
    Again,
}

fn new_channel<R: Runtime>(transport: &str) -> Result<End<R>, Error> {
    match transport {
        "fifo" => Pipe::<R, Fifo>::new().map(Into::into),
        _ => Pipe::<R, Tcp>::new().map(Into::into),
    }
}

fn new_client<R: Runtime>(transport: &str, channel: &End<R>) -> Result<End<R>, Error> {
    let (in_path, out_path) = (channel.out_path(), channel.in_path());
    match transport {
        "fifo" => Pipe::<R, Fifo>::client(in_path, out_path).map(Into::into),
        _ => Pipe::<R, Tcp>::client(in_path, out_path).map(Into::into),
    }
}

const TIMEOUT: Duration = Duration::from_secs(5);

/// A channel that met a client, which then went away (its close read).
async fn met_once<R: Runtime>(transport: &str) -> End<R> {
    let mut channel = new_channel::<R>(transport).expect("create the channel");
    let mut first = new_client::<R>(transport, &channel).expect("create the first client");
    let (a, b) = futures_util::future::join(channel.connect(TIMEOUT), first.connect(TIMEOUT)).await;
    a.expect("the channel connects");
    b.expect("the first client connects");
    drop(first);
    assert!(channel.read().await.expect("the first client's close").is_none());
    channel
}

/// One `meeting` with `spare` descriptors free (the rest taken by a filler, given back before
/// the pair is dropped). The first failure ends the attempt: the other end would only wait for
/// its timeout.
async fn attempt<R: Runtime>(transport: &str, meeting: Meeting, spare: usize) -> Result<(), Failed> {
    let met = match meeting {
        Meeting::First => None,
        Meeting::Again => Some(met_once::<R>(transport).await),
    };
    meet(transport, met, fill_leaving(spare)).await
}

async fn meet<R: Runtime>(transport: &str, met: Option<End<R>>, filler: Vec<File>) -> Result<(), Failed> {
    let again = met.is_some();
    let mut channel = match met {
        Some(channel) => channel,
        None => new_channel::<R>(transport).map_err(|e| ("creating the channel", e))?,
    };
    let mut client = new_client::<R>(transport, &channel).map_err(|e| ("creating the client", e))?;
    let channel_step = if again { "the channel's reconnect" } else { "the channel's connect" };
    let outcome = {
        let channel_meets = pin!(async {
            if again {
                channel.reconnect(TIMEOUT).await
            } else {
                channel.connect(TIMEOUT).await
            }
        });
        let client_connects = pin!(client.connect(TIMEOUT));
        match select(channel_meets, client_connects).await {
            Either::Left((Ok(()), rest)) => finish(rest, "the client's connect").await,
            Either::Right((Ok(()), rest)) => finish(rest, channel_step).await,
            Either::Left((Err(e), _)) => Err((channel_step, e)),
            Either::Right((Err(e), _)) => Err(("the client's connect", e)),
        }
    };
    drop(filler);
    outcome
}

async fn finish(rest: impl Future<Output = Result<(), Error>>, step: &'static str) -> Result<(), Failed> {
    rest.await.map_err(|e| (step, e))
}

/// Why `err` is not the OS's `EMFILE` with its kind and code, as the pipe's error
/// (`Error::Io`, `Error::raw_os_error`, `Error::kind`) and as the `std::io::Error` it converts
/// to, with a message that says more than the OS's (what the pipe was doing, on which path or
/// address); `None` if it is.
fn not_emfile(err: Error) -> Option<String> {
    let emfile = rustix::io::Errno::MFILE.raw_os_error();
    let kind = io::Error::from_raw_os_error(emfile).kind();
    let described = format!("{err:?} ({err})");
    let os_message = io::Error::from_raw_os_error(emfile).to_string();
    if err.to_string() == os_message {
        return Some(format!("the message does not say what the pipe was doing: {described}"));
    }
    let inner_kind = match &err {
        Error::Io(e) => e.kind(),
        _ => return Some(format!("not an OS error: {described}")),
    };
    let ours = (err.kind(), err.raw_os_error());
    let converted = io::Error::from(err);
    let converted = (converted.kind(), converted.raw_os_error());
    let want = (kind, Some(emfile));
    (inner_kind != kind || ours != want || converted != want).then(|| {
        format!(
            "{described}: Error::Io holds kind {inner_kind:?}, Error::kind and raw_os_error are {ours:?}, \
             as io::Error {converted:?}; want {want:?}"
        )
    })
}

/// Runs `meeting` at the limit with 0, 1, 2, ... descriptors left free, until the pair connects,
/// so that every step that takes a descriptor is in turn the one that finds none; each failure
/// must be `EMFILE`.
fn pairs_at_the_limit_fail_with_emfile<E: Exec>(transport: &'static str, meeting: Meeting) {
    let _limit = at_the_limit();
    E::block_on(async {
        // Once with room to spare, so that what the runtime opens once (its reactor) is open.
        attempt::<E::R>(transport, meeting, LIMIT as usize)
            .await
            .unwrap_or_else(|(step, e)| panic!("{step} with room: {e}"));
        let mut failures = Vec::new();
        let mut connected_with = None;
        for spare in 0..=MOST_SPARE {
            match attempt::<E::R>(transport, meeting, spare).await {
                Ok(()) => {
                    connected_with = Some(spare);
                    break;
                }
                Err(failed) => failures.push((spare, failed)),
            }
        }
        let name = format!("{} {transport} {meeting:?}", E::NAME);
        let Some(spare) = connected_with else {
            panic!("{name}: no pair connected with up to {MOST_SPARE} descriptors free");
        };
        assert!(!failures.is_empty(), "{name}: a pair connected with no descriptor free");
        let steps: Vec<String> = failures.iter().map(|(free, (step, e))| format!("{free} free: {step}: {e}")).collect();
        println!("{name}: connected with {spare} descriptors free; failed at {steps:?}");
        let wrong: Vec<String> = failures
            .into_iter()
            .filter_map(|(free, (step, err))| not_emfile(err).map(|why| format!("{free} free, {step}: {why}")))
            .collect();
        assert!(wrong.is_empty(), "{name}: failures at the open-file limit without EMFILE:\n{}", wrong.join("\n"));
    });
}

macro_rules! at_the_limit {
    ($($name:ident: $exec:ident, $transport:literal, $meeting:ident;)*) => {
        $(
            #[test]
            fn $name() {
                pairs_at_the_limit_fail_with_emfile::<$exec>($transport, Meeting::$meeting);
            }
        )*
    };
}

at_the_limit! {
    a_tokio_fifo_pair_at_the_open_file_limit_fails_with_emfile: TokioExec, "fifo", First;
    a_tokio_tcp_pair_at_the_open_file_limit_fails_with_emfile: TokioExec, "tcp", First;
    a_smol_fifo_pair_at_the_open_file_limit_fails_with_emfile: SmolExec, "fifo", First;
    a_smol_tcp_pair_at_the_open_file_limit_fails_with_emfile: SmolExec, "tcp", First;
    an_async_std_fifo_pair_at_the_open_file_limit_fails_with_emfile: AsyncStdExec, "fifo", First;
    an_async_std_tcp_pair_at_the_open_file_limit_fails_with_emfile: AsyncStdExec, "tcp", First;
    a_tokio_fifo_reconnect_at_the_open_file_limit_fails_with_emfile: TokioExec, "fifo", Again;
    a_tokio_tcp_reconnect_at_the_open_file_limit_fails_with_emfile: TokioExec, "tcp", Again;
    a_smol_fifo_reconnect_at_the_open_file_limit_fails_with_emfile: SmolExec, "fifo", Again;
    a_smol_tcp_reconnect_at_the_open_file_limit_fails_with_emfile: SmolExec, "tcp", Again;
    an_async_std_fifo_reconnect_at_the_open_file_limit_fails_with_emfile: AsyncStdExec, "fifo", Again;
    an_async_std_tcp_reconnect_at_the_open_file_limit_fails_with_emfile: AsyncStdExec, "tcp", Again;
}

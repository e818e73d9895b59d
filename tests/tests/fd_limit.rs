//! At the open-file limit: a pair that cannot be made fails with the OS's own error (`EMFILE`,
//! its kind and its code, also once converted to `std::io::Error`), whichever step ran out of
//! descriptors, on every runtime and transport; and dropping a connected FIFO channel there
//! still removes its directory.
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

/// A channel and its client, not connected, over `"fifo"` or `"tcp"`.
fn make_pair<R: Runtime>(transport: &str) -> Result<(End<R>, End<R>), Failed> {
    let channel: End<R> = match transport {
        "fifo" => Pipe::<R, Fifo>::new().map(Into::into),
        _ => Pipe::<R, Tcp>::new().map(Into::into),
    }
    .map_err(|e| ("creating the channel", e))?;
    let (in_path, out_path) = (channel.out_path(), channel.in_path());
    let client: End<R> = match transport {
        "fifo" => Pipe::<R, Fifo>::client(in_path, out_path).map(Into::into),
        _ => Pipe::<R, Tcp>::client(in_path, out_path).map(Into::into),
    }
    .map_err(|e| ("creating the client", e))?;
    Ok((channel, client))
}

/// Makes a pair and connects both ends with `filler` holding descriptors; gives the
/// descriptors back before the pair is dropped. The first failure ends the attempt (the other
/// end would only wait for its timeout).
async fn attempt<R: Runtime>(transport: &str, filler: Vec<File>) -> Result<(), Failed> {
    let (mut channel, mut client) = match make_pair::<R>(transport) {
        Ok(pair) => pair,
        Err(failed) => {
            drop(filler);
            return Err(failed);
        }
    };
    let timeout = Duration::from_secs(5);
    let outcome = {
        let channel_connects = pin!(channel.connect(timeout));
        let client_connects = pin!(client.connect(timeout));
        match select(channel_connects, client_connects).await {
            Either::Left((Ok(()), rest)) => finish(rest, "the client's connect").await,
            Either::Right((Ok(()), rest)) => finish(rest, "the channel's connect").await,
            Either::Left((Err(e), _)) => Err(("the channel's connect", e)),
            Either::Right((Err(e), _)) => Err(("the client's connect", e)),
        }
    };
    drop(filler);
    outcome
}

async fn finish(rest: impl Future<Output = Result<(), Error>>, step: &'static str) -> Result<(), Failed> {
    rest.await.map_err(|e| (step, e))
}

/// Why `err` is not the OS's `EMFILE` with its kind and code, as the pipe's error and as the
/// `std::io::Error` it converts to; `None` if it is.
fn not_emfile(err: Error) -> Option<String> {
    let emfile = rustix::io::Errno::MFILE.raw_os_error();
    let kind = io::Error::from_raw_os_error(emfile).kind();
    let described = format!("{err:?} ({err})");
    let inner = match &err {
        Error::Io(e) => (e.kind(), e.raw_os_error()),
        _ => return Some(format!("not an OS error: {described}")),
    };
    let ours = err.kind();
    let converted = io::Error::from(err);
    let converted = (converted.kind(), converted.raw_os_error());
    let want = (kind, Some(emfile));
    (inner != want || ours != kind || converted != want).then(|| {
        format!("{described}: Error::Io holds {inner:?}, Error::kind is {ours:?}, as io::Error {converted:?}; want {want:?}")
    })
}

/// Makes pairs at the limit with 0, 1, 2, ... descriptors left free, until one connects, so that
/// every step that takes a descriptor is in turn the one that finds none; each failure must be
/// `EMFILE`.
fn pairs_at_the_limit_fail_with_emfile<E: Exec>(transport: &'static str) {
    let _limit = at_the_limit();
    E::block_on(async {
        // Once with room to spare, so that what the runtime opens once (its reactor) is open.
        attempt::<E::R>(transport, Vec::new()).await.unwrap_or_else(|(step, e)| panic!("{step} with room: {e}"));
        let mut failures = Vec::new();
        let mut connected_with = None;
        for spare in 0..=MOST_SPARE {
            match attempt::<E::R>(transport, fill_leaving(spare)).await {
                Ok(()) => {
                    connected_with = Some(spare);
                    break;
                }
                Err(failed) => failures.push((spare, failed)),
            }
        }
        let name = format!("{} {transport}", E::NAME);
        let Some(spare) = connected_with else {
            panic!("{name}: no pair connected with up to {MOST_SPARE} descriptors free");
        };
        assert!(!failures.is_empty(), "{name}: a pair connected with no descriptor free");
        let steps: Vec<String> = failures.iter().map(|(free, (step, _))| format!("{free} free: {step}")).collect();
        println!("{name}: connected with {spare} descriptors free; failed at {steps:?}");
        let wrong: Vec<String> = failures
            .into_iter()
            .filter_map(|(free, (step, err))| not_emfile(err).map(|why| format!("{free} free, {step}: {why}")))
            .collect();
        assert!(wrong.is_empty(), "{name}: failures at the open-file limit without EMFILE:\n{}", wrong.join("\n"));
    });
}

#[test]
fn a_tokio_fifo_pair_at_the_open_file_limit_fails_with_emfile() {
    pairs_at_the_limit_fail_with_emfile::<TokioExec>("fifo");
}

#[test]
fn a_tokio_tcp_pair_at_the_open_file_limit_fails_with_emfile() {
    pairs_at_the_limit_fail_with_emfile::<TokioExec>("tcp");
}

#[test]
fn a_smol_fifo_pair_at_the_open_file_limit_fails_with_emfile() {
    pairs_at_the_limit_fail_with_emfile::<SmolExec>("fifo");
}

#[test]
fn a_smol_tcp_pair_at_the_open_file_limit_fails_with_emfile() {
    pairs_at_the_limit_fail_with_emfile::<SmolExec>("tcp");
}

#[test]
fn an_async_std_fifo_pair_at_the_open_file_limit_fails_with_emfile() {
    pairs_at_the_limit_fail_with_emfile::<AsyncStdExec>("fifo");
}

#[test]
fn an_async_std_tcp_pair_at_the_open_file_limit_fails_with_emfile() {
    pairs_at_the_limit_fail_with_emfile::<AsyncStdExec>("tcp");
}

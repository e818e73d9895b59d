//! Dropping a connected FIFO channel at the open-file limit still removes its directory: the
//! pipe closes its own descriptors before its rendezvous removes the directory, which takes a
//! descriptor of its own.
//!
//! The limit is process-wide, so this file holds one test and runs as a process of its own.
#![cfg(target_os = "linux")]

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use pipe_io::{Fifo, Pipe, Runtime};
use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// The soft limit while the test runs, as low as a constrained service might set it.
const LIMIT: u64 = 40;

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
    let mut filler = Vec::new();
    while let Ok(file) = File::open("/dev/null") {
        filler.push(file);
        assert!(filler.len() < LIMIT as usize, "the limit of {LIMIT} descriptors is not in force");
    }
    drop(channel);
    let removed = !dir.exists();
    drop(filler);
    drop(client);
    assert!(removed, "{runtime}: dropping the channel at the open-file limit left {} behind", dir.display());
}

#[test]
fn dropping_a_connected_fifo_channel_at_the_open_file_limit_removes_its_directory() {
    let before = getrlimit(Resource::Nofile);
    let hard = before.maximum;
    setrlimit(Resource::Nofile, Rlimit { current: Some(LIMIT), maximum: hard }).expect("lower the open-file limit");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(drop_at_the_limit::<pipe_tokio::Tokio>("tokio"));
    smol::block_on(drop_at_the_limit::<pipe_smol::AsyncIo>("smol"));
    setrlimit(Resource::Nofile, before).expect("restore the open-file limit");
}

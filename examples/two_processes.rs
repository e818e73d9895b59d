// The body of the `two_processes` example of pipe-tokio, pipe-smol (`two_processes_smol`) and
// pipe-async-std (`two_processes_async_std`), written once: each example names its crate `pipe`
// (`use pipe_smol as pipe;`), includes this file and runs `run()` on its runtime. The runtime crates have the same
// names, so this is also what switching runtime looks like: only the crate path changes.

use std::time::{Duration, Instant};

use bytes::Bytes;
use pipe::{make_pipe, make_pipe_client, Error, LocalPortablePipe, TcpSocketPipe};

const TIMEOUT: Duration = Duration::from_secs(10);
const ROUNDS: usize = 1000;

/// Parent (`[--tcp]`) or child (`--child IN OUT`), from the command line.
async fn run() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--child") => child(&args[2], &args[3]).await,
        Some("--tcp") => parent(TcpSocketPipe::new()?.into()).await,
        _ => parent(make_pipe()?).await,
    }
}

async fn parent(mut pipe: LocalPortablePipe) -> Result<(), Error> {
    println!(
        "parent {}: channel over {:?}, in={} out={}",
        std::process::id(),
        pipe.transport(),
        pipe.in_path(),
        pipe.out_path()
    );
    // The client is given the paths swapped: it reads where we write.
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(["--child", pipe.out_path(), pipe.in_path()])
        .spawn()?;
    pipe.connect(TIMEOUT).await?;
    println!("parent: connected to child {}", child.id());

    let start = Instant::now();
    let mut echoed = 0usize;
    for round in 0..ROUNDS {
        let message = format!("ping {round}");
        pipe.write(message.as_bytes()).await?;
        let reply = pipe.read().await?.ok_or(Error::PeerClosed)?;
        assert_eq!(reply, format!("pong {round}").as_bytes(), "reply to round {round}");
        echoed += 1;
    }
    let rtt = start.elapsed() / ROUNDS as u32;
    println!("parent: {echoed} round trips, {rtt:?} each on average");

    let big = Bytes::from(vec![0xA5; 4 << 20]);
    // The child reads the whole frame before echoing it, so writing then reading cannot deadlock.
    pipe.write_bytes(big.clone()).await?;
    let back = pipe.read().await?.ok_or(Error::PeerClosed)?;
    assert_eq!(back, big, "the 4 MiB frame came back intact");
    println!("parent: a 4 MiB frame went there and back intact");

    pipe.close().await?;
    let status = child.wait()?;
    println!("parent: closed; child exited with {status}");
    if !status.success() {
        return Err(Error::Io(std::io::Error::other(format!("child failed: {status}"))));
    }
    Ok(())
}

async fn child(in_path: &str, out_path: &str) -> Result<(), Error> {
    let mut pipe = make_pipe_client(in_path, out_path)?;
    pipe.connect(TIMEOUT).await?;
    let mut frames = 0usize;
    while let Some(frame) = pipe.read().await? {
        frames += 1;
        if let Some(round) = frame.strip_prefix(b"ping ") {
            let mut reply = b"pong ".to_vec();
            reply.extend_from_slice(round);
            pipe.write(&reply).await?;
        } else {
            pipe.write_bytes(frame).await?;
        }
    }
    println!("child {}: parent closed the pipe after {frames} frames", std::process::id());
    pipe.close().await
}

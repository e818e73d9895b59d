//! Talking to the real Python AEA pipe (`aea.helpers.pipe`).
//!
//! We create the channel side, start the test suite's Python AEA peer (`tests/python/aea_peer.py`)
//! as the client with the paths swapped, send it a few frames that it echoes back, and close; the
//! Python side reports what it saw (the close frame among it) and closes too.
//!
//! ```text
//! cargo run -p pipe-tokio --example python_peer            # FIFOs (platform default)
//! cargo run -p pipe-tokio --example python_peer -- --tcp   # loopback TCP
//! ```
//!
//! It needs a venv that the interop tests use, under `target/aea-venv`: open-aea 2.2.10's on the
//! newest Python 3.10+ here (e.g. `target/aea-venv/open-aea-2.2.10-py3.13`), else aea 1.2.1's on
//! a Python 3.8 to 3.11. Make it with `bash tests/python/setup_venv.sh open-aea target/aea-venv`,
//! or by running `cargo test -p pipe-tests --test python_interop` once. Without it, the example
//! says so and exits with status 2.

use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use bytes::Bytes;
use pipe_tests::python::{aea_peer_script, venv_dir};
use pipe_tokio::{make_pipe, Error, LocalPortablePipe, TcpSocketPipe, Transport};

const TIMEOUT: Duration = Duration::from_secs(20);
/// Python's FIFO writer cuts frames of 64 KiB and more: every frame here stays well under.
const SIZES: [usize; 5] = [1, 100, 1_000, 10_000, 50_000];

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let venv = venv_dir();
    let python = venv.join(if cfg!(windows) { "Scripts/python.exe" } else { "bin/python" });
    if !python.exists() {
        eprintln!(
            "python_peer: no Python AEA venv at {}; make it with `bash tests/python/setup_venv.sh {}` \
             (needs Python 3.10 or later, or 3.8 to 3.11 for aea 1.2.1, and PyPI), or run `cargo test -p pipe-tests --test python_interop`, which makes it",
            venv.display(),
            venv.display()
        );
        return ExitCode::from(2);
    }
    let pipe = match std::env::args().nth(1).as_deref() {
        Some("--tcp") => TcpSocketPipe::new().map(LocalPortablePipe::from),
        _ => make_pipe(),
    };
    match pipe {
        Ok(pipe) => match talk(pipe, python).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("python_peer: {err}");
                ExitCode::FAILURE
            }
        },
        Err(err) => {
            eprintln!("python_peer: cannot create the channel: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn talk(mut pipe: LocalPortablePipe, python: std::path::PathBuf) -> Result<(), Error> {
    let transport = match pipe.transport() {
        Transport::Fifo => "fifo",
        Transport::Tcp => "tcp",
    };
    println!("rust: channel over {transport}, in={} out={}", pipe.in_path(), pipe.out_path());
    // The Python client gets the paths swapped: it reads where we write.
    let peer = Command::new(python)
        .arg(aea_peer_script())
        .args(["--role", "client", "--transport", transport, "--mode", "echo", "--timeout", "20"])
        .args(["--in-path", pipe.out_path(), "--out-path", pipe.in_path()])
        .stdout(Stdio::piped())
        .spawn()?;
    pipe.connect(TIMEOUT).await?;
    println!("rust: the Python AEA client {} connected", peer.id());

    for (k, size) in SIZES.into_iter().enumerate() {
        let frame = Bytes::from((0..size).map(|i| (k * 31 + i) as u8).collect::<Vec<u8>>());
        pipe.write_bytes(frame.clone()).await?;
        let echo = pipe.read().await?.ok_or(Error::PeerClosed)?;
        assert_eq!(echo, frame, "the echo of frame {k} ({size} bytes)");
        println!("rust: sent {size} bytes, the same {} came back", echo.len());
    }

    pipe.close().await?;
    println!("rust: closed");
    let output = peer.wait_with_output()?;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        println!("python: {line}");
    }
    if !output.status.success() {
        return Err(Error::Io(std::io::Error::other(format!("the Python peer failed: {}", output.status))));
    }
    Ok(())
}

//! The rendezvous for the baselines that have none of their own (raw loops and tokio-util):
//! the AEA's layout (a private directory with two FIFOs, or a loopback port), opened with
//! plain `std` calls.
//!
//! A FIFO read end that has never had a writer reads as end-of-stream, even when blocking. So
//! after opening, each side writes one byte and waits for the other's: once both bytes have
//! arrived, both write ends are open and the baselines can read without a false EOF.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{Mode, OFlags};

/// How long a connect may wait for the peer.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// A private directory holding the two FIFOs of one pipe, removed on drop.
#[derive(Debug)]
pub struct FifoDir {
    _dir: tempfile::TempDir,
    pub in_path: PathBuf,
    pub out_path: PathBuf,
}

impl FifoDir {
    pub fn create() -> io::Result<Self> {
        let dir = tempfile::Builder::new().prefix("pipe-bench-").tempdir()?;
        let in_path = dir.path().join("process_to_aea");
        let out_path = dir.path().join("aea_to_process");
        for path in [&in_path, &out_path] {
            rustix::fs::mkfifoat(rustix::fs::CWD, path, Mode::RUSR | Mode::WUSR)?;
        }
        Ok(Self { _dir: dir, in_path, out_path })
    }
}

fn open_nonblocking(path: &Path, write: bool) -> io::Result<File> {
    OpenOptions::new().read(!write).write(write).custom_flags(OFlags::NONBLOCK.bits() as i32).open(path)
}

/// Opens both FIFOs of one end (read end first, then the write end once the peer reads) and
/// exchanges the handshake byte. The files are returned non-blocking.
pub fn fifo_connect(in_path: &Path, out_path: &Path) -> io::Result<(File, File)> {
    let deadline = Instant::now() + CONNECT_TIMEOUT;
    let mut reader = open_nonblocking(in_path, false)?;
    let mut writer = loop {
        match open_nonblocking(out_path, true) {
            Ok(file) => break file,
            Err(err) if err.raw_os_error() == Some(rustix::io::Errno::NXIO.raw_os_error()) => {
                if Instant::now() > deadline {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "the peer never opened its FIFO"));
                }
                std::thread::sleep(Duration::from_micros(200));
            }
            Err(err) => return Err(err),
        }
    };
    writer.write_all(b"h")?;
    let mut byte = [0u8; 1];
    loop {
        match reader.read(&mut byte) {
            Ok(1) => break,
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
            Err(err) => return Err(err),
        }
        if Instant::now() > deadline {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "no handshake from the peer"));
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok((reader, writer))
}

/// Clears `O_NONBLOCK`.
pub fn set_blocking(file: &File) -> io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(file)?;
    rustix::fs::fcntl_setfl(file, flags - OFlags::NONBLOCK)?;
    Ok(())
}

/// A listener on a free loopback port.
pub fn tcp_listener() -> io::Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
}

/// Accepts one connection (blocking), with `TCP_NODELAY`.
pub fn tcp_accept(listener: &TcpListener) -> io::Result<TcpStream> {
    let (stream, _) = listener.accept()?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Connects to `"<port>"` on loopback, retrying while refused, with `TCP_NODELAY`.
pub fn tcp_dial(port: &str) -> io::Result<TcpStream> {
    let port: u16 = port.parse().map_err(|_| io::Error::other(format!("bad port {port:?}")))?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + CONNECT_TIMEOUT;
    loop {
        match TcpStream::connect(addr) {
            Ok(stream) => {
                stream.set_nodelay(true)?;
                return Ok(stream);
            }
            Err(err) if err.kind() == io::ErrorKind::ConnectionRefused && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(err) => return Err(err),
        }
    }
}

//! Raw writers for the modes that must break the protocol (a cut frame, a huge header, random
//! bytes), which the pipe itself would never send.
//!
//! Over FIFOs the pipe does the rendezvous and the connect; the bytes then go through a second
//! descriptor opened on the same FIFO with `std::fs::File`. Over TCP there is no second
//! connection, so the rendezvous is done with `std::net` directly: the channel listens on
//! `127.0.0.1` and prints `READY <port> <port>`, the client dials with retries.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::cli::{Args, Role};
use super::output::emit;
use super::Failure;

/// Where raw bytes go.
#[derive(Debug)]
pub enum RawWriter {
    /// A second write descriptor on the peer's FIFO.
    Fifo(File),
    /// The connection itself.
    Tcp(TcpStream),
}

impl RawWriter {
    /// Opens a second write end on the FIFO at `path`, whose reader (the peer) is connected.
    pub fn fifo(path: &str) -> Result<RawWriter, Failure> {
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Failure::Error(format!("cannot open {path} for a raw write: {e}")))?;
        Ok(RawWriter::Fifo(file))
    }

    /// Does the TCP rendezvous with `std::net`: listens (channel) or dials (client).
    pub fn tcp(args: &Args) -> Result<RawWriter, Failure> {
        let deadline = Instant::now() + args.timeout;
        let stream = match args.role {
            Role::Channel => {
                let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io_failure("bind"))?;
                let port = listener.local_addr().map_err(io_failure("local_addr"))?.port();
                emit(&format!("READY {port} {port}"));
                listener.set_nonblocking(true).map_err(io_failure("set_nonblocking"))?;
                loop {
                    match listener.accept() {
                        Ok((stream, _)) => break stream,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) => return Err(io_failure("accept")(e)),
                    }
                    if Instant::now() >= deadline {
                        return Err(Failure::Timeout(format!("no client within {:?}", args.timeout)));
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            Role::Client => {
                let text = args.in_path.as_deref().unwrap_or_default();
                let addr: SocketAddr = match text.parse::<u16>() {
                    Ok(port) => (Ipv4Addr::LOCALHOST, port).into(),
                    Err(_) => text.parse().map_err(|_| Failure::Error(format!("bad address {text:?}")))?,
                };
                loop {
                    match TcpStream::connect(addr) {
                        Ok(stream) => break stream,
                        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused && Instant::now() < deadline => {
                            std::thread::sleep(Duration::from_millis(10))
                        }
                        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                            return Err(Failure::Timeout(format!("{addr} refused for {:?}", args.timeout)))
                        }
                        Err(e) => return Err(io_failure("connect")(e)),
                    }
                }
            }
        };
        stream.set_nonblocking(false).map_err(io_failure("set_nonblocking"))?;
        emit("CONNECTED");
        Ok(RawWriter::Tcp(stream))
    }

    /// Writes all of `bytes` (blocking).
    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            RawWriter::Fifo(file) => file.write_all(bytes),
            RawWriter::Tcp(stream) => stream.write_all(bytes),
        }
    }
}

/// `raw-hold`: a bare TCP connection to the channel (no pipe, nothing sent), held until the
/// channel closes it: `CLOSED_BY_PEER eof` (it closed the connection) or `CLOSED_BY_PEER reset`;
/// a timeout after `--timeout` if it never does.
pub fn hold_until_closed(args: &Args) -> Result<(), Failure> {
    let RawWriter::Tcp(mut stream) = RawWriter::tcp(args)? else {
        return Err(Failure::Error("raw-hold is a TCP mode".into()));
    };
    stream.set_read_timeout(Some(args.timeout)).map_err(io_failure("set_read_timeout"))?;
    let mut buf = [0u8; 4096];
    loop {
        match io::Read::read(&mut stream, &mut buf) {
            Ok(0) => {
                emit("CLOSED_BY_PEER eof");
                return Ok(());
            }
            Ok(n) => emit(&format!("RECEIVED_RAW {n}")),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                emit("CLOSED_BY_PEER reset");
                return Ok(());
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                return Err(Failure::Timeout(format!("the channel kept the connection for {:?}", args.timeout)));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_failure("read")(e)),
        }
    }
}

fn io_failure(what: &'static str) -> impl Fn(io::Error) -> Failure {
    move |e| Failure::Error(format!("{what}: {e}"))
}

/// A header announcing `announced` bytes followed by the first `sent` bytes of frame 0.
pub fn cut_frame(announced: usize, sent: usize) -> Vec<u8> {
    let mut raw = (announced as u32).to_be_bytes().to_vec();
    raw.extend_from_slice(&super::frames::Payloads::new(sent).frame(0, sent));
    raw
}

/// `len` pseudo-random bytes (xorshift64*) from `seed`.
pub fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.max(1);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_be_bytes());
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_frame_announces_more_than_it_carries() {
        let raw = cut_frame(100_000, 10);
        assert_eq!(&raw[..4], &100_000u32.to_be_bytes());
        assert_eq!(&raw[4..], &crate::payload::payload(0, 10)[..]);
    }

    #[test]
    fn random_bytes_are_deterministic() {
        assert_eq!(random_bytes(7, 100), random_bytes(7, 100));
        assert_ne!(random_bytes(7, 100), random_bytes(8, 100));
        assert_eq!(random_bytes(7, 13).len(), 13);
    }
}

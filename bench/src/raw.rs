//! The machine's limit: blocking `std` files and sockets with hand-written length-prefix loops.
//!
//! The reader reads 64 KiB at a time and parses frames in place (no allocation, no copy), and a
//! frame larger than its buffer goes straight into a reusable frame buffer. The writer does one
//! `writev` (header and payload) per frame, or packs a batch of frames into one buffer and
//! writes it with one `write`.

use std::fs::File;
use std::io::{self, IoSlice, Read, Write};
use std::net::TcpStream;
use std::path::Path;

use bytes::Bytes;

use crate::peer::{self, emit, Peer, Result, LAST};
use crate::plan::{Run, Transport};
use crate::rendezvous::{self, FifoDir};

/// Bytes per read.
const READ_BUF: usize = 64 * 1024;

/// Parses frames out of a blocking reader.
struct FrameReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    large: Vec<u8>,
}

impl<R: Read> FrameReader<R> {
    fn new(inner: R) -> Self {
        // The buffer is made by the first read, so an idle pipe holds none.
        Self { inner, buf: Vec::new(), start: 0, end: 0, large: Vec::new() }
    }

    /// The next frame, `None` at a clean end of stream (or a zero-length frame).
    fn next(&mut self) -> io::Result<Option<&[u8]>> {
        loop {
            let available = self.end - self.start;
            let mut needed = 4;
            if available >= 4 {
                let header: [u8; 4] = self.buf[self.start..self.start + 4].try_into().expect("4 bytes");
                let len = u32::from_be_bytes(header) as usize;
                if len == 0 {
                    return Ok(None);
                }
                if available >= 4 + len {
                    let at = self.start + 4;
                    self.start = at + len;
                    return Ok(Some(&self.buf[at..at + len]));
                }
                if 4 + len > READ_BUF {
                    return self.read_large(len).map(Some);
                }
                needed = 4 + len;
            }
            if self.buf.is_empty() {
                self.buf = vec![0; READ_BUF];
            }
            if self.start + needed > self.buf.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let n = match self.inner.read(&mut self.buf[self.end..]) {
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            if n == 0 {
                return if available == 0 { Ok(None) } else { Err(io::ErrorKind::UnexpectedEof.into()) };
            }
            self.end += n;
        }
    }

    /// Reads a frame larger than the buffer into its own buffer, header included: the bytes
    /// then sit at the same offsets (modulo the page size) as in the stream, which keeps the
    /// kernel's copy aligned (a copy to a misaligned destination is several times slower).
    fn read_large(&mut self, len: usize) -> io::Result<&[u8]> {
        self.large.resize(4 + len, 0);
        let have = self.end - self.start;
        self.large[..have].copy_from_slice(&self.buf[self.start..self.end]);
        self.start = 0;
        self.end = 0;
        self.inner.read_exact(&mut self.large[have..])?;
        Ok(&self.large[4..])
    }
}

/// Writes one frame, header and payload together, with `writev`.
fn write_frame<W: Write>(writer: &mut W, payload: &[u8]) -> io::Result<()> {
    let header = (payload.len() as u32).to_be_bytes();
    let mut slices = [IoSlice::new(&header), IoSlice::new(payload)];
    let mut slices = &mut slices[..];
    while !slices.is_empty() {
        match writer.write_vectored(slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// Ending the write direction: closing a FIFO's write end, or a TCP half-close.
trait CloseWrite {
    fn close_write(&mut self) -> io::Result<()>;
}

impl CloseWrite for File {
    fn close_write(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl CloseWrite for TcpStream {
    fn close_write(&mut self) -> io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
}

struct RawPeer<R, W> {
    reader: FrameReader<R>,
    writer: Option<W>,
    batch: Vec<u8>,
    echo: Vec<u8>,
}

impl<R: Read, W: Write + CloseWrite> RawPeer<R, W> {
    fn new(reader: R, writer: W) -> Self {
        Self { reader: FrameReader::new(reader), writer: Some(writer), batch: Vec::new(), echo: Vec::new() }
    }

    fn writer(&mut self) -> io::Result<&mut W> {
        self.writer.as_mut().ok_or_else(|| io::Error::other("closed"))
    }
}

impl<R: Read, W: Write + CloseWrite> Peer for RawPeer<R, W> {
    async fn send(&mut self, payload: &Bytes) -> io::Result<()> {
        write_frame(self.writer()?, payload)
    }

    async fn send_batch(&mut self, payloads: &[Bytes]) -> io::Result<()> {
        let mut batch = std::mem::take(&mut self.batch);
        batch.clear();
        for payload in payloads {
            batch.extend_from_slice(&(payload.len() as u32).to_be_bytes());
            batch.extend_from_slice(payload);
        }
        let result = self.writer()?.write_all(&batch);
        self.batch = batch;
        result
    }

    async fn send_large(&mut self, payload: &Bytes) -> io::Result<()> {
        write_frame(self.writer()?, payload)
    }

    async fn recv(&mut self) -> io::Result<Option<&[u8]>> {
        self.reader.next()
    }

    async fn echo_until_last(&mut self) -> io::Result<()> {
        loop {
            let frame = self.reader.next()?.ok_or(io::ErrorKind::UnexpectedEof)?;
            if frame[0] == LAST {
                return Ok(());
            }
            self.echo.clear();
            self.echo.extend_from_slice(frame);
            let writer = self.writer.as_mut().ok_or_else(|| io::Error::other("closed"))?;
            write_frame(writer, &self.echo)?;
        }
    }

    async fn close(&mut self) -> io::Result<()> {
        if let Some(mut writer) = self.writer.take() {
            writer.close_write()?;
        }
        Ok(())
    }
}

fn fifo_peer(in_path: &Path, out_path: &Path) -> io::Result<RawPeer<File, File>> {
    let (reader, writer) = rendezvous::fifo_connect(in_path, out_path)?;
    rendezvous::set_blocking(&reader)?;
    rendezvous::set_blocking(&writer)?;
    Ok(RawPeer::new(reader, writer))
}

fn tcp_peer(stream: TcpStream) -> io::Result<RawPeer<TcpStream, TcpStream>> {
    Ok(RawPeer::new(stream.try_clone()?, stream))
}

/// The channel end: creates the rendezvous, announces it, connects, runs the plan.
pub fn channel(transport: Transport, plan: &[Run]) -> Result<()> {
    if let [Run::Idle { pipes }] = *plan {
        return idle_channel(transport, pipes);
    }
    match transport {
        Transport::Fifo => {
            let dir = FifoDir::create()?;
            emit(&format!("READY {} {}", dir.in_path.display(), dir.out_path.display()));
            emit("READY_DONE");
            let mut peer = fifo_peer(&dir.in_path, &dir.out_path)?;
            futures_lite::future::block_on(peer::channel_session(&mut peer, plan))
        }
        Transport::Tcp => {
            let listener = rendezvous::tcp_listener()?;
            let port = listener.local_addr()?.port();
            emit(&format!("READY {port} {port}"));
            emit("READY_DONE");
            let mut peer = tcp_peer(rendezvous::tcp_accept(&listener)?)?;
            drop(listener);
            futures_lite::future::block_on(peer::channel_session(&mut peer, plan))
        }
    }
}

/// The client end, given the channel's paths swapped.
pub fn client(transport: Transport, plan: &[Run], peers: &[(String, String)]) -> Result<()> {
    if let [Run::Idle { .. }] = *plan {
        return idle_client(transport, peers);
    }
    let (in_path, out_path) = peers.first().ok_or("no peer paths")?;
    match transport {
        Transport::Fifo => {
            let mut peer = fifo_peer(Path::new(in_path), Path::new(out_path))?;
            futures_lite::future::block_on(peer::client_session(&mut peer, plan))
        }
        Transport::Tcp => {
            let mut peer = tcp_peer(rendezvous::tcp_dial(in_path)?)?;
            futures_lite::future::block_on(peer::client_session(&mut peer, plan))
        }
    }
}

/// Holds `pipes` connected pipes (both FIFO files or the socket of each) and reports the memory
/// they cost. A blocking program has no pending read to make: the open descriptors are all.
fn idle_channel(transport: Transport, pipes: usize) -> Result<()> {
    let before = crate::sys::rss_kib();
    let mut held: Vec<Box<dyn std::any::Any>> = Vec::new();
    match transport {
        Transport::Fifo => {
            let dirs: Vec<FifoDir> = (0..pipes).map(|_| FifoDir::create()).collect::<io::Result<_>>()?;
            for dir in &dirs {
                emit(&format!("READY {} {}", dir.in_path.display(), dir.out_path.display()));
            }
            emit("READY_DONE");
            for dir in &dirs {
                held.push(Box::new(fifo_peer(&dir.in_path, &dir.out_path)?));
            }
            held.push(Box::new(dirs));
        }
        Transport::Tcp => {
            let listeners: Vec<_> = (0..pipes).map(|_| rendezvous::tcp_listener()).collect::<io::Result<_>>()?;
            for listener in &listeners {
                let port = listener.local_addr()?.port();
                emit(&format!("READY {port} {port}"));
            }
            emit("READY_DONE");
            for listener in &listeners {
                held.push(Box::new(tcp_peer(rendezvous::tcp_accept(listener)?)?));
            }
        }
    }
    let after = crate::sys::rss_kib();
    emit(&peer::Outcome::Idle { before_kib: before, after_kib: after, pipes }.line(0));
    drop(held);
    Ok(())
}

fn idle_client(transport: Transport, peers: &[(String, String)]) -> Result<()> {
    match transport {
        Transport::Fifo => {
            let mut all = Vec::new();
            for (in_path, out_path) in peers {
                all.push(fifo_peer(Path::new(in_path), Path::new(out_path))?);
            }
            for peer in &mut all {
                while peer.reader.next()?.is_some() {}
            }
        }
        Transport::Tcp => {
            let mut all = Vec::new();
            for (in_path, _) in peers {
                all.push(tcp_peer(rendezvous::tcp_dial(in_path)?)?);
            }
            for peer in &mut all {
                while peer.reader.next()?.is_some() {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(frames: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for frame in frames {
            out.extend_from_slice(&(frame.len() as u32).to_be_bytes());
            out.extend_from_slice(frame);
        }
        out
    }

    /// A reader that hands out at most `step` bytes per read.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(self.1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn frames_come_out_whole_however_the_reads_fall() {
        let big = vec![7u8; 3 * READ_BUF];
        let frames: Vec<&[u8]> = vec![b"a", &[1; 100], &big, b"tail"];
        let bytes = wire(&frames);
        for step in [1, 3, 1000, READ_BUF, usize::MAX] {
            let mut reader = FrameReader::new(Trickle(&bytes, step));
            for frame in &frames {
                assert_eq!(reader.next().unwrap().unwrap(), *frame, "step {step}");
            }
            assert_eq!(reader.next().unwrap(), None);
        }
    }

    #[test]
    fn end_of_stream_inside_a_frame_is_an_error() {
        let bytes = wire(&[b"hello"]);
        let mut reader = FrameReader::new(Trickle(&bytes[..6], 100));
        assert!(reader.next().is_err());
    }
}

//! The usual tokio answer: `FramedRead`/`FramedWrite` with `LengthDelimitedCodec` (whose default
//! is this wire format: a big-endian u32 length), over `tokio::net::unix::pipe` FIFOs or a
//! `tokio::net::TcpStream`, on a current-thread runtime. Writes go through the `Sink`: `send` for
//! one frame, `feed` and one `flush` for a batch.

use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::pin;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::future::{join_all, select};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::unix::pipe;
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

use crate::peer::{self, emit, Peer, Result, LAST};
use crate::plan::{Run, Transport};
use crate::rendezvous::{self, FifoDir};

/// How long idle pipes wait in a pending read before their memory is measured.
pub const IDLE_WAIT: Duration = Duration::from_millis(300);

struct FramedPeer<R, W> {
    reader: FramedRead<R, LengthDelimitedCodec>,
    writer: Option<FramedWrite<W, LengthDelimitedCodec>>,
    last: BytesMut,
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> FramedPeer<R, W> {
    fn new(reader: R, writer: W) -> Self {
        Self {
            reader: FramedRead::new(reader, LengthDelimitedCodec::new()),
            writer: Some(FramedWrite::new(writer, LengthDelimitedCodec::new())),
            last: BytesMut::new(),
        }
    }

    fn writer(&mut self) -> io::Result<&mut FramedWrite<W, LengthDelimitedCodec>> {
        self.writer.as_mut().ok_or_else(|| io::Error::other("closed"))
    }
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> Peer for FramedPeer<R, W> {
    async fn send(&mut self, payload: &Bytes) -> io::Result<()> {
        self.writer()?.send(payload.clone()).await
    }

    async fn send_batch(&mut self, payloads: &[Bytes]) -> io::Result<()> {
        let writer = self.writer()?;
        for payload in payloads {
            writer.feed(payload.clone()).await?;
        }
        SinkExt::<Bytes>::flush(writer).await
    }

    async fn send_large(&mut self, payload: &Bytes) -> io::Result<()> {
        self.writer()?.send(payload.clone()).await
    }

    async fn recv(&mut self) -> io::Result<Option<&[u8]>> {
        // Done with the previous frame before reading the next, as a `while let` loop would be.
        self.last = BytesMut::new();
        match self.reader.next().await {
            Some(Ok(frame)) => {
                self.last = frame;
                Ok(Some(&self.last))
            }
            Some(Err(err)) => Err(err),
            None => Ok(None),
        }
    }

    async fn echo_until_last(&mut self) -> io::Result<()> {
        loop {
            let frame = self.reader.next().await.ok_or(io::ErrorKind::UnexpectedEof)??;
            if frame[0] == LAST {
                return Ok(());
            }
            self.writer()?.send(frame.freeze()).await?;
        }
    }

    async fn receive_until_last(&mut self) -> io::Result<(u64, u64)> {
        let mut frames = 0u64;
        let mut bytes = 0u64;
        while let Some(frame) = self.reader.next().await.transpose()? {
            frames += 1;
            bytes += frame.len() as u64;
            if frame[0] == LAST {
                return Ok((frames, bytes));
            }
        }
        Err(peer::closed())
    }

    async fn send_repeatedly(&mut self, payload: &Bytes, count: u64, _large: bool) -> io::Result<()> {
        let writer = self.writer()?;
        for _ in 0..count {
            writer.send(payload.clone()).await?;
        }
        Ok(())
    }

    async fn close(&mut self) -> io::Result<()> {
        if let Some(mut writer) = self.writer.take() {
            SinkExt::<Bytes>::close(&mut writer).await?;
        }
        Ok(())
    }
}

type FifoPeer = FramedPeer<pipe::Receiver, pipe::Sender>;
type TcpPeer = FramedPeer<tokio::net::tcp::OwnedReadHalf, tokio::net::tcp::OwnedWriteHalf>;

fn fifo_peer(in_path: &Path, out_path: &Path) -> io::Result<FifoPeer> {
    let (reader, writer) = rendezvous::fifo_connect(in_path, out_path)?;
    Ok(FramedPeer::new(pipe::Receiver::from_file(reader)?, pipe::Sender::from_file(writer)?))
}

fn tcp_peer(stream: std::net::TcpStream) -> io::Result<TcpPeer> {
    stream.set_nonblocking(true)?;
    let (reader, writer) = tokio::net::TcpStream::from_std(stream)?.into_split();
    Ok(FramedPeer::new(reader, writer))
}

/// Runs `future` on a current-thread tokio runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime").block_on(future)
}

pub fn channel(transport: Transport, plan: &[Run]) -> Result<()> {
    block_on(async {
        if let [Run::Idle { pipes }] = *plan {
            return idle_channel(transport, pipes).await;
        }
        match transport {
            Transport::Fifo => {
                let dir = FifoDir::create()?;
                emit(&format!("READY {} {}", dir.in_path.display(), dir.out_path.display()));
                emit("READY_DONE");
                let mut peer = fifo_peer(&dir.in_path, &dir.out_path)?;
                peer::channel_session(&mut peer, plan).await
            }
            Transport::Tcp => {
                let listener = rendezvous::tcp_listener()?;
                let port = listener.local_addr()?.port();
                emit(&format!("READY {port} {port}"));
                emit("READY_DONE");
                let mut peer = tcp_peer(rendezvous::tcp_accept(&listener)?)?;
                peer::channel_session(&mut peer, plan).await
            }
        }
    })
}

pub fn client(transport: Transport, plan: &[Run], peers: &[(String, String)]) -> Result<()> {
    block_on(async {
        if let [Run::Idle { .. }] = *plan {
            return idle_client(transport, peers).await;
        }
        let (in_path, out_path) = peers.first().ok_or("no peer paths")?;
        match transport {
            Transport::Fifo => {
                let mut peer = fifo_peer(Path::new(in_path), Path::new(out_path))?;
                peer::client_session(&mut peer, plan).await
            }
            Transport::Tcp => {
                let mut peer = tcp_peer(rendezvous::tcp_dial(in_path)?)?;
                peer::client_session(&mut peer, plan).await
            }
        }
    })
}

/// Leaves a read pending on every pipe for [`IDLE_WAIT`], then reports the memory per pipe.
async fn measure_idle<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    peers: &mut [FramedPeer<R, W>],
    before: u64,
) -> Result<()> {
    let reads = join_all(peers.iter_mut().map(|p| p.reader.next()));
    select(pin!(reads), pin!(tokio::time::sleep(IDLE_WAIT))).await;
    let after = crate::sys::rss_kib();
    emit(&peer::Outcome::Idle { before_kib: before, after_kib: after, pipes: peers.len() }.line(0));
    for peer in peers {
        peer.close().await?;
    }
    Ok(())
}

async fn idle_channel(transport: Transport, pipes: usize) -> Result<()> {
    let before = crate::sys::rss_kib();
    match transport {
        Transport::Fifo => {
            let dirs: Vec<FifoDir> = (0..pipes).map(|_| FifoDir::create()).collect::<io::Result<_>>()?;
            for dir in &dirs {
                emit(&format!("READY {} {}", dir.in_path.display(), dir.out_path.display()));
            }
            emit("READY_DONE");
            let mut all: Vec<FifoPeer> =
                dirs.iter().map(|d| fifo_peer(&d.in_path, &d.out_path)).collect::<io::Result<_>>()?;
            measure_idle(&mut all, before).await
        }
        Transport::Tcp => {
            let listeners: Vec<_> = (0..pipes).map(|_| rendezvous::tcp_listener()).collect::<io::Result<_>>()?;
            for listener in &listeners {
                let port = listener.local_addr()?.port();
                emit(&format!("READY {port} {port}"));
            }
            emit("READY_DONE");
            let mut all: Vec<TcpPeer> =
                listeners.iter().map(|l| tcp_peer(rendezvous::tcp_accept(l)?)).collect::<io::Result<_>>()?;
            measure_idle(&mut all, before).await
        }
    }
}

async fn drain_all<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(peers: &mut [FramedPeer<R, W>]) -> Result<()> {
    join_all(peers.iter_mut().map(|p| async move {
        while p.recv().await?.is_some() {}
        io::Result::Ok(())
    }))
    .await
    .into_iter()
    .collect::<io::Result<Vec<()>>>()?;
    Ok(())
}

async fn idle_client(transport: Transport, peers: &[(String, String)]) -> Result<()> {
    match transport {
        Transport::Fifo => {
            let mut all: Vec<FifoPeer> =
                peers.iter().map(|(i, o)| fifo_peer(Path::new(i), Path::new(o))).collect::<io::Result<_>>()?;
            drain_all(&mut all).await
        }
        Transport::Tcp => {
            let mut all: Vec<TcpPeer> =
                peers.iter().map(|(i, _)| tcp_peer(rendezvous::tcp_dial(i)?)).collect::<io::Result<_>>()?;
            drain_all(&mut all).await
        }
    }
}

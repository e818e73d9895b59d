//! Our pipe, on each runtime: `pipe-tokio` (current-thread runtime), `pipe-smol`
//! (`smol::block_on`) and `pipe-async-std` (`async_std::task::block_on`). The code is written
//! once over `pipe_io::Pipe<R, _>`, which all three crates are.
//!
//! One frame is one [`write`](pipe_io::Pipe::write) (the slice API, copied once into the
//! transmit queue); a batch is one [`write_batch`](pipe_io::Pipe::write_batch) of borrowed
//! payloads (each copied once into the queue, as the raw loop copies it); a large frame is
//! one [`write_bytes`](pipe_io::Pipe::write_bytes) (queued by reference, no copy).
//!
//! The reader of the throughput runs takes each frame with [`read`](pipe_io::Pipe::read) (a
//! `Bytes` of its own, dropped before the next read), or, for the `-lent` rows, every frame that
//! arrived with one [`read_batch_with`](pipe_io::Pipe::read_batch_with) (lent in place).
//! Everything else is the same in both rows: the writer, the echo and the ping-pong reads use
//! the owned API.

use std::io;
use std::pin::pin;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::{join_all, select};
use pipe_io::{Fifo, Pipe, Portable, Runtime, Tcp};

use crate::peer::{self, emit, Peer, Result, LAST};
use crate::plan::{Impl, Run, Transport};
use crate::tokio_util_peer::IDLE_WAIT;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

struct OursPeer<R: Runtime> {
    pipe: Pipe<R, Portable>,
    last: Bytes,
    /// Throughput runs read with `read_batch_with` instead of `read`.
    lend: bool,
}

impl<R: Runtime> Peer for OursPeer<R> {
    async fn send(&mut self, payload: &Bytes) -> io::Result<()> {
        Ok(self.pipe.write(payload).await?)
    }

    async fn send_batch(&mut self, payloads: &[Bytes]) -> io::Result<()> {
        // Borrowed: each small payload is copied into the queue once, as the raw loop copies it.
        Ok(self.pipe.write_batch(payloads).await?)
    }

    async fn send_large(&mut self, payload: &Bytes) -> io::Result<()> {
        Ok(self.pipe.write_bytes(payload.clone()).await?)
    }

    async fn recv(&mut self) -> io::Result<Option<&[u8]>> {
        // Done with the previous frame before reading the next, as a `while let` loop would be.
        self.last = Bytes::new();
        match self.pipe.read().await? {
            Some(frame) => {
                self.last = frame;
                Ok(Some(&self.last))
            }
            None => Ok(None),
        }
    }

    async fn echo_until_last(&mut self) -> io::Result<()> {
        loop {
            let frame = self.pipe.read().await?.ok_or(io::ErrorKind::UnexpectedEof)?;
            if frame[0] == LAST {
                return Ok(());
            }
            self.pipe.write_bytes(frame).await?;
        }
    }

    async fn receive_until_last(&mut self) -> io::Result<(u64, u64)> {
        let mut frames = 0u64;
        let mut bytes = 0u64;
        if self.lend {
            // The writer sends nothing after the last frame until the next go: a batch ends there.
            let mut last = false;
            while !last {
                let lent = self.pipe.read_batch_with(|frame| {
                    frames += 1;
                    bytes += frame.len() as u64;
                    last = frame[0] == LAST;
                });
                lent.await?.ok_or_else(peer::closed)?;
            }
            return Ok((frames, bytes));
        }
        while let Some(frame) = self.pipe.read().await? {
            frames += 1;
            bytes += frame.len() as u64;
            if frame[0] == LAST {
                return Ok((frames, bytes));
            }
        }
        Err(peer::closed())
    }

    async fn send_repeatedly(&mut self, payload: &Bytes, count: u64, large: bool) -> io::Result<()> {
        for _ in 0..count {
            if large {
                self.pipe.write_bytes(payload.clone()).await?;
            } else {
                self.pipe.write(payload).await?;
            }
        }
        Ok(())
    }

    async fn close(&mut self) -> io::Result<()> {
        Ok(self.pipe.close().await?)
    }
}

fn new_channel<R: Runtime>(transport: Transport) -> Result<Pipe<R, Portable>> {
    Ok(match transport {
        Transport::Fifo => Pipe::<R, Fifo>::new()?.into(),
        Transport::Tcp => Pipe::<R, Tcp>::new()?.into(),
    })
}

fn new_client<R: Runtime>(transport: Transport, in_path: &str, out_path: &str) -> Result<Pipe<R, Portable>> {
    Ok(match transport {
        Transport::Fifo => Pipe::<R, Fifo>::client(in_path, out_path)?.into(),
        Transport::Tcp => Pipe::<R, Tcp>::client(in_path, out_path)?.into(),
    })
}

/// Runs `f::<R>()` on the executor of `imp`.
macro_rules! on_runtime {
    ($imp:expr, $f:ident ( $($arg:expr),* )) => {
        match $imp {
            Impl::Tokio | Impl::TokioLent => crate::tokio_util_peer::block_on($f::<pipe_tokio::Tokio>($($arg),*)),
            Impl::Smol | Impl::SmolLent => smol::block_on($f::<pipe_smol::AsyncIo>($($arg),*)),
            Impl::AsyncStd | Impl::AsyncStdLent => async_std::task::block_on($f::<pipe_async_std::AsyncStd>($($arg),*)),
            other => Err(format!("{other:?} is not one of ours").into()),
        }
    };
}

pub fn channel(imp: Impl, transport: Transport, plan: &[Run]) -> Result<()> {
    on_runtime!(imp, channel_on(transport, plan, imp.lends()))
}

pub fn client(imp: Impl, transport: Transport, plan: &[Run], peers: &[(String, String)]) -> Result<()> {
    on_runtime!(imp, client_on(transport, plan, peers, imp.lends()))
}

async fn channel_on<R: Runtime>(transport: Transport, plan: &[Run], lend: bool) -> Result<()> {
    if let [Run::Idle { pipes }] = *plan {
        return idle_channel::<R>(transport, pipes).await;
    }
    let mut pipe = new_channel::<R>(transport)?;
    emit(&format!("READY {} {}", pipe.in_path(), pipe.out_path()));
    emit("READY_DONE");
    pipe.connect(CONNECT_TIMEOUT).await?;
    peer::channel_session(&mut OursPeer { pipe, last: Bytes::new(), lend }, plan).await
}

async fn client_on<R: Runtime>(
    transport: Transport,
    plan: &[Run],
    peers: &[(String, String)],
    lend: bool,
) -> Result<()> {
    if let [Run::Idle { .. }] = *plan {
        return idle_client::<R>(transport, peers).await;
    }
    let (in_path, out_path) = peers.first().ok_or("no peer paths")?;
    let mut pipe = new_client::<R>(transport, in_path, out_path)?;
    pipe.connect(CONNECT_TIMEOUT).await?;
    peer::client_session(&mut OursPeer { pipe, last: Bytes::new(), lend }, plan).await
}

/// Connects `pipes` channels at once, leaves a read pending on each for [`IDLE_WAIT`] (reads
/// are cancel-safe), and reports the memory per pipe.
async fn idle_channel<R: Runtime>(transport: Transport, pipes: usize) -> Result<()> {
    let before = crate::sys::rss_kib();
    let mut all: Vec<Pipe<R, Portable>> = (0..pipes).map(|_| new_channel::<R>(transport)).collect::<Result<_>>()?;
    for pipe in &all {
        emit(&format!("READY {} {}", pipe.in_path(), pipe.out_path()));
    }
    emit("READY_DONE");
    for result in join_all(all.iter_mut().map(|p| p.connect(CONNECT_TIMEOUT))).await {
        result?;
    }
    let reads = join_all(all.iter_mut().map(|p| p.read()));
    select(pin!(reads), pin!(R::sleep_until(Instant::now() + IDLE_WAIT))).await;
    let after = crate::sys::rss_kib();
    emit(&peer::Outcome::Idle { before_kib: before, after_kib: after, pipes }.line(0));
    for pipe in &mut all {
        pipe.close().await?;
    }
    Ok(())
}

async fn idle_client<R: Runtime>(transport: Transport, peers: &[(String, String)]) -> Result<()> {
    let mut all: Vec<Pipe<R, Portable>> =
        peers.iter().map(|(i, o)| new_client::<R>(transport, i, o)).collect::<Result<_>>()?;
    for result in join_all(all.iter_mut().map(|p| p.connect(CONNECT_TIMEOUT))).await {
        result?;
    }
    let drained = join_all(all.iter_mut().map(|p| async move {
        while p.read().await?.is_some() {}
        p.close().await
    }))
    .await;
    for result in drained {
        result?;
    }
    Ok(())
}

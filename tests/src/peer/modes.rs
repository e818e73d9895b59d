//! The peer's modes, written once for every runtime: generic over [`pipe_io::Runtime`], run by
//! whichever executor [`super::run`] picked.

use std::future::Future;
use std::path::Path;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::{join, try_join};
use futures_util::SinkExt;
#[cfg(unix)]
use pipe_io::Fifo;
use pipe_io::{Config, Error, Pipe, PipeReader, Portable, Runtime, Tcp};

use super::cli::{Args, Mode, Role, TransportName};
use super::exec::{sleep, timeout};
use super::frames::Payloads;
use super::output::{describe, emit, emit_mem};
use super::raw::{cut_frame, random_bytes, RawWriter};
use super::{procfs, Failure};
use crate::payload::sha256_hex;

/// How long `partial` keeps its connection after the cut frame, as the Python peer.
const PARTIAL_LINGER: Duration = Duration::from_millis(500);

/// Runs the mode of `args` on runtime `R`.
pub async fn run<R: Runtime>(args: &Args) -> Result<(), Failure> {
    match args.mode {
        Mode::Cycles => return cycles::<R>(args).await,
        Mode::RawHold if args.transport == TransportName::Tcp && args.role == Role::Client => {
            return super::raw::hold_until_closed(args);
        }
        Mode::RawHold => return Err(Failure::Error("raw-hold is a TCP client mode".into())),
        Mode::Partial | Mode::Random if args.transport == TransportName::Tcp => {
            return raw_mode(args, RawWriter::tcp(args)?);
        }
        _ => {}
    }
    let mut pipe = connect::<R>(args).await?;
    match args.mode {
        Mode::Echo => echo(args, &mut pipe).await,
        Mode::Send => send(args, pipe).await,
        Mode::RecvThenClose => recv_then_close(args, &mut pipe).await,
        Mode::SendThenWait => send_then_wait(args, &mut pipe).await,
        Mode::ExchangeThenClose => exchange(args, pipe, true).await,
        Mode::ExchangeThenWait => exchange(args, pipe, false).await,
        Mode::SendForever => send_forever(args, &mut pipe).await,
        Mode::Hold => hold(args, &mut pipe).await,
        Mode::Stream => stream(args, pipe).await,
        Mode::Drain => drain(args, &mut pipe).await,
        Mode::Sequence => sequence(args, &mut pipe).await,
        Mode::Partial | Mode::Random => {
            let raw = RawWriter::fifo(pipe.out_path())?;
            let result = raw_mode(args, raw);
            drop(pipe); // no close: removes a channel's directory, then the descriptors just close
            result
        }
        Mode::Cycles | Mode::RawHold => unreachable!(),
    }
}

/// Creates this end (printing `READY` on the channel side) and connects it.
async fn connect<R: Runtime>(args: &Args) -> Result<Pipe<R, Portable>, Failure> {
    let config = Config::default().with_max_frame_len(args.max_frame_len);
    let created = match args.role {
        Role::Channel => new_channel::<R>(args.transport, config),
        Role::Client => {
            let (in_path, out_path) = (args.in_path.as_deref().unwrap(), args.out_path.as_deref().unwrap());
            new_client::<R>(args.transport, in_path, out_path, config)
        }
    };
    let mut pipe = created.map_err(|e| {
        emit(&format!("CONNECT_ERROR {}", describe(&e)));
        Failure::Error(format!("cannot create the pipe: {e}"))
    })?;
    if args.role == Role::Channel {
        emit(&format!("READY {} {}", pipe.in_path(), pipe.out_path()));
    }
    match within::<R, _>(args.timeout * 2, "connect", pipe.connect(args.timeout)).await? {
        Ok(()) => {}
        Err(err @ Error::Timeout { .. }) => return Err(Failure::Timeout(err.to_string())),
        Err(e) => {
            emit(&format!("CONNECT_ERROR {}", describe(&e)));
            return Err(Failure::Error(format!("connect failed: {e}")));
        }
    }
    emit("CONNECTED");
    if args.report_mem {
        emit_mem("connected");
    }
    Ok(pipe)
}

fn new_channel<R: Runtime>(transport: TransportName, config: Config) -> Result<Pipe<R, Portable>, Error> {
    match transport {
        #[cfg(unix)]
        TransportName::Fifo => Pipe::<R, Fifo>::with_config(config).map(Into::into),
        #[cfg(not(unix))]
        TransportName::Fifo => Err(fifo_unsupported()),
        TransportName::Tcp => Pipe::<R, Tcp>::with_config(config).map(Into::into),
    }
}

fn new_client<R: Runtime>(
    transport: TransportName,
    in_path: &str,
    out_path: &str,
    config: Config,
) -> Result<Pipe<R, Portable>, Error> {
    match transport {
        #[cfg(unix)]
        TransportName::Fifo => Pipe::<R, Fifo>::client_with_config(in_path, out_path, config).map(Into::into),
        #[cfg(not(unix))]
        TransportName::Fifo => Err(fifo_unsupported()),
        TransportName::Tcp => Pipe::<R, Tcp>::client_with_config(in_path, out_path, config).map(Into::into),
    }
}

/// FIFOs exist on Unix only.
#[cfg(not(unix))]
fn fifo_unsupported() -> Error {
    Error::Io(std::io::Error::new(std::io::ErrorKind::Unsupported, "FIFOs exist on Unix only"))
}

/// Awaits `work` for at most `limit`; [`Failure::Timeout`] naming `what` otherwise.
async fn within<R: Runtime, T>(
    limit: Duration,
    what: &str,
    work: impl std::future::Future<Output = T>,
) -> Result<T, Failure> {
    timeout::<R, T>(limit, work)
        .await
        .ok_or_else(|| Failure::Timeout(format!("timed out after {limit:?} waiting for {what}")))
}

fn read_failed(err: Error) -> Failure {
    emit(&format!("READ_ERROR {}", describe(&err)));
    Failure::Error(format!("read failed: {err}"))
}

fn write_failed(err: Error) -> Failure {
    emit(&format!("WRITE_ERROR {}", describe(&err)));
    Failure::Error(format!("write failed: {err}"))
}

fn close_failed(err: Error) -> Failure {
    Failure::Error(format!("close failed: {err}"))
}

fn peer_closed() {
    emit("CLOSE_REASON clean");
    emit("PEER_CLOSED");
}

fn frame_line(data: &[u8]) -> String {
    format!("FRAME {} {}", data.len(), sha256_hex(data))
}

async fn close<R: Runtime>(args: &Args, pipe: &mut Pipe<R, Portable>) -> Result<(), Failure> {
    within::<R, _>(args.timeout, "close", pipe.close()).await?.map_err(close_failed)?;
    emit("CLOSED");
    Ok(())
}

async fn read<R: Runtime>(args: &Args, pipe: &mut Pipe<R, Portable>) -> Result<Option<Bytes>, Failure> {
    within::<R, _>(args.timeout, "read", pipe.read()).await?.map_err(read_failed)
}

async fn read_half<R: Runtime>(args: &Args, reader: &mut PipeReader<R>) -> Result<Option<Bytes>, Failure> {
    within::<R, _>(args.timeout, "read", reader.read()).await?.map_err(read_failed)
}

async fn echo<R: Runtime>(args: &Args, pipe: &mut Pipe<R, Portable>) -> Result<(), Failure> {
    let mut echoed = 0;
    while let Some(frame) = read(args, pipe).await? {
        within::<R, _>(args.timeout, "write", pipe.write_bytes(frame)).await?.map_err(write_failed)?;
        echoed += 1;
    }
    emit(&format!("ECHOED {echoed}"));
    peer_closed();
    close(args, pipe).await
}

/// Reads `sizes.len()` frames and checks frame `k` is `payload(k, sizes[k])`; with `lines`,
/// prints a `FRAME` line for each.
async fn read_script<R: Runtime>(
    args: &Args,
    reader: &mut PipeReader<R>,
    sizes: &[usize],
    lines: bool,
) -> Result<(), Failure> {
    let mut payloads = Payloads::new(sizes.iter().copied().max().unwrap_or(0));
    for (k, &len) in sizes.iter().enumerate() {
        let Some(frame) = read_half(args, reader).await? else {
            peer_closed();
            return Err(Failure::Error(format!("peer closed after {k} of {} frames", sizes.len())));
        };
        if lines {
            emit(&frame_line(&frame));
        }
        if frame.len() != len {
            return Err(Failure::Error(format!("frame {k} has {} bytes instead of {len}", frame.len())));
        }
        if !payloads.check(k, &frame) {
            return Err(Failure::Error(format!("frame {k} ({len} bytes) differs from the expected payload")));
        }
    }
    Ok(())
}

async fn send<R: Runtime>(args: &Args, pipe: Pipe<R, Portable>) -> Result<(), Failure> {
    let sizes = args.frame_sizes();
    if sizes.contains(&0) {
        return Err(Failure::Error("send mode cannot use size 0: a zero-length frame means closed".into()));
    }
    let (mut reader, mut writer) = pipe.into_split().map_err(|e| Failure::Error(format!("split: {e}")))?;
    let payloads = Payloads::new(sizes.iter().copied().max().unwrap_or(0));
    let write = async {
        for (k, &len) in sizes.iter().enumerate() {
            within::<R, _>(args.timeout, "write", writer.write_bytes(payloads.frame(k, len)))
                .await?
                .map_err(write_failed)?;
        }
        emit(&format!("SENT {}", sizes.len()));
        Ok(())
    };
    try_join(write, read_script(args, &mut reader, &sizes, false)).await?;
    emit(&format!("VERIFIED {}", sizes.len()));
    within::<R, _>(args.timeout, "close", writer.close()).await?.map_err(close_failed)?;
    drop(reader);
    emit("CLOSED");
    Ok(())
}

async fn recv_then_close<R: Runtime>(args: &Args, pipe: &mut Pipe<R, Portable>) -> Result<(), Failure> {
    let count = args.count.unwrap_or(0);
    for k in 0..count {
        let Some(frame) = read(args, pipe).await? else {
            peer_closed();
            return Err(Failure::Error(format!("peer closed after {k} of {count} frames")));
        };
        emit(&frame_line(&frame));
    }
    close(args, pipe).await
}

async fn send_then_wait<R: Runtime>(args: &Args, pipe: &mut Pipe<R, Portable>) -> Result<(), Failure> {
    let sizes = args.frame_sizes();
    let payloads = Payloads::new(sizes.iter().copied().max().unwrap_or(0));
    for (k, &len) in sizes.iter().enumerate() {
        within::<R, _>(args.timeout, "write", pipe.write_bytes(payloads.frame(k, len))).await?.map_err(write_failed)?;
    }
    emit(&format!("SENT {}", sizes.len()));
    while let Some(frame) = read(args, pipe).await? {
        emit(&frame_line(&frame));
    }
    peer_closed();
    close(args, pipe).await
}

/// Both directions at once: the peer runs the same script. Then this side closes first
/// (`close_first`) or waits for the peer's close.
async fn exchange<R: Runtime>(args: &Args, pipe: Pipe<R, Portable>, close_first: bool) -> Result<(), Failure> {
    let sizes = args.frame_sizes();
    let (mut reader, mut writer) = pipe.into_split().map_err(|e| Failure::Error(format!("split: {e}")))?;
    let payloads = Payloads::new(sizes.iter().copied().max().unwrap_or(0));
    let write = async {
        for (k, &len) in sizes.iter().enumerate() {
            within::<R, _>(args.timeout, "write", writer.write_bytes(payloads.frame(k, len)))
                .await?
                .map_err(write_failed)?;
        }
        emit(&format!("SENT {}", sizes.len()));
        Ok(())
    };
    try_join(write, read_script(args, &mut reader, &sizes, true)).await?;
    emit(&format!("VERIFIED {}", sizes.len()));
    if close_first {
        within::<R, _>(args.timeout, "close", writer.close()).await?.map_err(close_failed)?;
        emit("CLOSED");
    }
    if let Some(frame) = read_half(args, &mut reader).await? {
        return Err(Failure::Error(format!("a frame of {} bytes after the script", frame.len())));
    }
    peer_closed();
    if !close_first {
        within::<R, _>(args.timeout, "close", writer.close()).await?.map_err(close_failed)?;
        emit("CLOSED");
    }
    Ok(())
}

async fn send_forever<R: Runtime>(args: &Args, pipe: &mut Pipe<R, Portable>) -> Result<(), Failure> {
    let sizes = args.sizes.clone().unwrap_or_else(|| vec![1 << 20]);
    let payloads = Payloads::new(sizes.iter().copied().max().unwrap_or(0));
    emit("SENDING");
    for k in 0.. {
        let frame = payloads.frame(k, sizes[k % sizes.len()]);
        within::<R, _>(args.timeout, "write", pipe.write_bytes(frame)).await?.map_err(write_failed)?;
    }
    Ok(())
}

async fn hold<R: Runtime>(args: &Args, pipe: &mut Pipe<R, Portable>) -> Result<(), Failure> {
    emit("HOLDING");
    sleep::<R>(args.linger.unwrap_or(args.timeout)).await;
    close(args, pipe).await
}

/// Freshly allocated frames through the `Sink` (so that unbounded queueing would show in the
/// memory), then the close.
async fn stream<R: Runtime>(args: &Args, pipe: Pipe<R, Portable>) -> Result<(), Failure> {
    let sizes = args.frame_sizes();
    let payloads = Payloads::new(sizes.iter().copied().max().unwrap_or(0));
    let (reader, mut writer) = pipe.into_split().map_err(|e| Failure::Error(format!("split: {e}")))?;
    let mut bytes = 0u64;
    for (k, &len) in sizes.iter().enumerate() {
        within::<R, _>(args.timeout, "write", writer.feed(payloads.fresh(k, len))).await?.map_err(write_failed)?;
        bytes += len as u64;
    }
    within::<R, _>(args.timeout, "flush", writer.flush()).await?.map_err(write_failed)?;
    emit(&format!("SENT {} {bytes}", sizes.len()));
    within::<R, _>(args.timeout, "close", SinkExt::<pipe_io::Bytes>::close(&mut writer))
        .await?
        .map_err(close_failed)?;
    drop(reader);
    emit("CLOSED");
    Ok(())
}

async fn drain<R: Runtime>(args: &Args, pipe: &mut Pipe<R, Portable>) -> Result<(), Failure> {
    let mut payloads = Payloads::new(1 << 20);
    let (mut frames, mut bytes) = (0usize, 0u64);
    while let Some(frame) = read(args, pipe).await? {
        if !payloads.check(frames, &frame) {
            return Err(Failure::Error(format!("frame {frames} ({} bytes) differs from the payload", frame.len())));
        }
        frames += 1;
        bytes += frame.len() as u64;
        if !args.delay.is_zero() {
            sleep::<R>(args.delay).await;
        }
    }
    emit(&format!("RECEIVED {frames} {bytes}"));
    peer_closed();
    close(args, pipe).await
}

/// Reads numbered frames until the peer closes: each must be whole and follow the one before.
/// With `--rejoin` (channel side), then waits for the next client on the same rendezvous and
/// reads its frames the same way.
async fn sequence<R: Runtime>(args: &Args, pipe: &mut Pipe<R, Portable>) -> Result<(), Failure> {
    read_sequence(args, pipe, "SEQUENCE").await?;
    if args.rejoin {
        // Polled once before REJOINING is printed: by then the old connection is closed and
        // the rendezvous open again (the first poll does that much before it waits).
        let result = {
            let mut reconnect = std::pin::pin!(pipe.reconnect(args.timeout));
            let first = std::future::poll_fn(|cx| Poll::Ready(reconnect.as_mut().poll(cx))).await;
            emit("REJOINING");
            match first {
                Poll::Ready(result) => result,
                Poll::Pending => within::<R, _>(args.timeout * 2, "reconnect", reconnect).await?,
            }
        };
        result.map_err(|e| {
            emit(&format!("CONNECT_ERROR {}", describe(&e)));
            Failure::Error(format!("reconnect failed: {e}"))
        })?;
        emit("CONNECTED");
        read_sequence(args, pipe, "REJOINED_SEQUENCE").await?;
    }
    close(args, pipe).await
}

/// Reads numbered frames until the peer closes and reports them on a line starting with `word`.
async fn read_sequence<R: Runtime>(args: &Args, pipe: &mut Pipe<R, Portable>, word: &str) -> Result<(), Failure> {
    let mut payloads = Payloads::new(1 << 20);
    let (mut first, mut last, mut count) = (None, None, 0u64);
    while let Some(frame) = read(args, pipe).await? {
        let Some(seq) = payloads.check_sequenced(&frame) else {
            return Err(Failure::Error(format!("frame {count} ({} bytes) is not a whole numbered frame", frame.len())));
        };
        if let Some(previous) = last {
            if seq != previous + 1 {
                return Err(Failure::Error(format!("frame {seq} came after frame {previous}")));
            }
        }
        first.get_or_insert(seq);
        last = Some(seq);
        count += 1;
    }
    let show = |seq: Option<u64>| seq.map_or("-".to_owned(), |s| s.to_string());
    emit(&format!("{word} {} {} {count}", show(first), show(last)));
    peer_closed();
    Ok(())
}

/// `partial` and `random`: raw bytes, a linger, and an exit without any close. Blocking: nothing
/// else runs in the process meanwhile.
fn raw_mode(args: &Args, mut raw: RawWriter) -> Result<(), Failure> {
    let (bytes, line) = match args.mode {
        Mode::Partial => {
            let sizes = args.sizes.clone().unwrap_or_else(|| vec![100_000, 1000]);
            let [announced, sent] = sizes[..] else {
                return Err(Failure::Error("partial takes --sizes ANNOUNCED,SENT".into()));
            };
            if sent >= announced {
                return Err(Failure::Error("partial takes --sizes ANNOUNCED,SENT with SENT < ANNOUNCED".into()));
            }
            (cut_frame(announced, sent), format!("PARTIAL_SENT {announced} {sent}"))
        }
        _ => {
            let len = args.sizes.as_ref().and_then(|s| s.first().copied()).unwrap_or(1 << 20);
            let bytes = random_bytes(args.seed, len);
            let header = bytes.get(..4).map(|h| u32::from_be_bytes([h[0], h[1], h[2], h[3]]));
            // Announced before the write: a reader is expected to give up at the first header
            // and close, so the write may well fail.
            emit(&format!("RANDOM_SENDING {len} {}", header.map_or("-".into(), |h| h.to_string())));
            (bytes, format!("RANDOM_SENT {len}"))
        }
    };
    // A blocking write in a thread of its own: a reader that stopped reading must not keep the
    // linger (and the exit) from happening.
    let writer = std::thread::spawn(move || raw.write_all(&bytes).map(|()| raw));
    let deadline = std::time::Instant::now() + args.timeout;
    while !writer.is_finished() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    if !writer.is_finished() {
        return Err(Failure::Timeout("the raw write did not finish".into()));
    }
    let raw = writer.join().expect("raw writer panicked").map_err(|e| Failure::Error(format!("raw write: {e}")))?;
    emit(&line);
    std::thread::sleep(args.linger.unwrap_or(PARTIAL_LINGER));
    drop(raw);
    Ok(())
}

/// Create-connect-close cycles of a channel and a client in this process. Prints
/// `CYCLES <n> FDS <before> <after> THREADS <before> <after> DIRS_LEFT <k>`, counting from the
/// end of the first cycle (which starts the runtime's own threads).
async fn cycles<R: Runtime>(args: &Args) -> Result<(), Failure> {
    let count = args.count.unwrap_or(0);
    let fail = |what: &str, e: Error| Failure::Error(format!("{what}: {e}"));
    let (mut fds, mut threads, mut dirs_left) = ((0, 0), (0, 0), 0);
    for i in 0..count {
        let mut channel = new_channel::<R>(args.transport, Config::default()).map_err(|e| fail("channel", e))?;
        let mut client = new_client::<R>(args.transport, channel.out_path(), channel.in_path(), Config::default())
            .map_err(|e| fail("client", e))?;
        let dir = (args.transport == TransportName::Fifo)
            .then(|| Path::new(channel.in_path()).parent().map(Path::to_owned))
            .flatten();
        let (a, b) =
            within::<R, _>(args.timeout, "connect", join(channel.connect(args.timeout), client.connect(args.timeout)))
                .await?;
        a.map_err(|e| fail("channel connect", e))?;
        b.map_err(|e| fail("client connect", e))?;
        within::<R, _>(args.timeout, "write", channel.write(b"cycle")).await?.map_err(|e| fail("write", e))?;
        let got = within::<R, _>(args.timeout, "read", client.read()).await?.map_err(|e| fail("read", e))?;
        if got.as_deref() != Some(&b"cycle"[..]) {
            return Err(Failure::Error(format!("cycle {i}: client read {got:?}")));
        }
        within::<R, _>(args.timeout, "close", client.close()).await?.map_err(|e| fail("client close", e))?;
        let got = within::<R, _>(args.timeout, "read", channel.read()).await?.map_err(|e| fail("read", e))?;
        if got.is_some() {
            return Err(Failure::Error(format!("cycle {i}: channel read {got:?} instead of the close")));
        }
        within::<R, _>(args.timeout, "close", channel.close()).await?.map_err(|e| fail("channel close", e))?;
        drop((channel, client));
        if dir.is_some_and(|d| d.exists()) {
            dirs_left += 1;
        }
        if i == 0 {
            fds.0 = procfs::fd_count();
            threads.0 = procfs::thread_count();
        }
    }
    fds.1 = procfs::fd_count();
    threads.1 = procfs::thread_count();
    emit(&format!("CYCLES {count} FDS {} {} THREADS {} {} DIRS_LEFT {dirs_left}", fds.0, fds.1, threads.0, threads.1));
    Ok(())
}

//! A FIFO peer that goes away without the zero-length close frame, as macOS shows it to a
//! waiting reader: kqueue and poll wake the reader for data, never for the last writer's close.
//!
//! `MacOsLike` is tokio with one change: its FIFO reader never reports end-of-file, it stays
//! pending (with no wake-up) instead. Linux would report the hangup at once; with this runtime a
//! reader sees the peer's end only through the hangup probe
//! ([`pipe_io::Config::fifo_hangup_probe`]), as on macOS.
#![cfg(unix)]

use std::io::{self, Write};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_io::AsyncRead;
use pipe_io::{Config, Error, Fifo, Pipe, Runtime};
use pipe_tokio::Tokio;

#[derive(Debug)]
struct MacOsLike;

/// Tokio's FIFO reader, deaf to the writer's hangup.
#[derive(Debug)]
struct NoHangupReader(<Tokio as Runtime>::FifoReader);

impl AsyncRead for NoHangupReader {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.get_mut().0).poll_read(cx, buf) {
            Poll::Ready(Ok(0)) => Poll::Pending,
            other => other,
        }
    }
}

impl Runtime for MacOsLike {
    type FifoReader = NoHangupReader;
    type FifoWriter = <Tokio as Runtime>::FifoWriter;
    type Listener = <Tokio as Runtime>::Listener;
    type TcpStream = <Tokio as Runtime>::TcpStream;
    type TcpReader = <Tokio as Runtime>::TcpReader;
    type TcpWriter = <Tokio as Runtime>::TcpWriter;

    fn fifo_reader(file: std::fs::File) -> io::Result<Self::FifoReader> {
        Tokio::fifo_reader(file).map(NoHangupReader)
    }
    fn fifo_writer(file: std::fs::File) -> io::Result<Self::FifoWriter> {
        Tokio::fifo_writer(file)
    }
    fn listener(listener: std::net::TcpListener) -> io::Result<Self::Listener> {
        Tokio::listener(listener)
    }
    async fn accept(listener: &Self::Listener) -> io::Result<Self::TcpStream> {
        Tokio::accept(listener).await
    }
    async fn dial(addr: SocketAddr) -> io::Result<Self::TcpStream> {
        Tokio::dial(addr).await
    }
    async fn resolve(host_port: &str) -> io::Result<Vec<SocketAddr>> {
        Tokio::resolve(host_port).await
    }
    type Timer = <Tokio as Runtime>::Timer;
    fn timer_at(deadline: Instant) -> Self::Timer {
        Tokio::timer_at(deadline)
    }
    fn reset_timer(timer: &mut Self::Timer, deadline: Instant) {
        Tokio::reset_timer(timer, deadline)
    }
    fn poll_timer(timer: &mut Self::Timer, cx: &mut Context<'_>) -> Poll<()> {
        Tokio::poll_timer(timer, cx)
    }
    type AppTcpStream = <Tokio as Runtime>::AppTcpStream;
    fn adopt_tcp(stream: Self::AppTcpStream) -> io::Result<Self::TcpStream> {
        Tokio::adopt_tcp(stream)
    }
    fn peer_addr(stream: &Self::TcpStream) -> io::Result<SocketAddr> {
        Tokio::peer_addr(stream)
    }
    fn split(stream: Self::TcpStream) -> (Self::TcpReader, Self::TcpWriter) {
        Tokio::split(stream)
    }
    async fn sleep_until(deadline: Instant) {
        Tokio::sleep_until(deadline).await
    }
}

const TIMEOUT: Duration = Duration::from_secs(10);
const PROBE: Duration = Duration::from_millis(20);

/// A channel on the macOS-like runtime, connected to a tokio client.
async fn connected(probe: Option<Duration>) -> (Pipe<MacOsLike, Fifo>, pipe_tokio::PosixNamedPipe) {
    let mut channel = Pipe::<MacOsLike, Fifo>::with_config(Config::default().with_fifo_hangup_probe(probe)).unwrap();
    let mut client = pipe_tokio::PosixNamedPipe::client(channel.out_path(), channel.in_path()).unwrap();
    let (a, b) = tokio::join!(channel.connect(TIMEOUT), client.connect(TIMEOUT));
    a.unwrap();
    b.unwrap();
    (channel, client)
}

/// Starts a read that finds nothing, so the reader is waiting when the peer goes; runs `vanish`
/// (the peer closing its descriptors without the close frame); returns how the read ended.
async fn read_while_peer_vanishes(
    channel: &mut Pipe<MacOsLike, Fifo>,
    within: Duration,
    vanish: impl FnOnce(),
) -> Option<Result<Option<bytes::Bytes>, Error>> {
    let reading = channel.read();
    tokio::pin!(reading);
    assert!(tokio::time::timeout(Duration::from_millis(60), &mut reading).await.is_err(), "nothing to read yet");
    vanish();
    tokio::time::timeout(within, reading).await.ok()
}

#[tokio::test(flavor = "current_thread")]
async fn waiting_reader_sees_a_vanished_peer_as_a_close_within_one_probe() {
    let (mut channel, mut client) = connected(Some(PROBE)).await;
    client.write(b"last words").await.unwrap();
    assert_eq!(channel.read().await.unwrap().as_deref(), Some(&b"last words"[..]));

    let started = Instant::now();
    let ended = read_while_peer_vanishes(&mut channel, TIMEOUT, || drop(client)).await;
    assert_eq!(ended.expect("the probe notices the hangup").unwrap(), None, "a clean close at a frame boundary");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert_eq!(channel.read().await.unwrap(), None, "closed stays closed");
}

#[tokio::test(flavor = "current_thread")]
async fn waiting_reader_sees_a_peer_that_vanished_mid_frame_as_truncation() {
    let (mut channel, client) = connected(Some(PROBE)).await;
    // The peer's last write: a header announcing 100 bytes, and 10 of them.
    let mut raw = std::fs::OpenOptions::new().write(true).open(channel.in_path()).unwrap();
    let ended = read_while_peer_vanishes(&mut channel, TIMEOUT, || {
        raw.write_all(&[0, 0, 0, 100]).unwrap();
        raw.write_all(&[7; 10]).unwrap();
        drop(raw);
        drop(client);
    })
    .await;
    let err = ended.expect("the probe notices the hangup").unwrap_err();
    assert!(matches!(err, Error::TruncatedFrame { expected: 104, received: 14 }), "{err:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn data_still_arrives_through_the_runtime_while_the_probe_runs() {
    let (mut channel, mut client) = connected(Some(Duration::from_millis(1))).await;
    for i in 1..=200u32 {
        let frame = i.to_be_bytes().repeat(1 + i as usize % 7);
        let (sent, received) = tokio::join!(client.write(&frame), channel.read());
        sent.unwrap();
        assert_eq!(received.unwrap().as_deref(), Some(&frame[..]));
    }
    client.close().await.unwrap();
    assert_eq!(channel.read().await.unwrap(), None, "the zero frame still closes");
}

#[tokio::test(flavor = "current_thread")]
async fn without_the_probe_a_waiting_reader_never_sees_a_vanished_peer() {
    // What macOS does to a reader with the probe turned off: it waits until something else
    // (a timeout of the application's, a failed write) tells it the peer is gone.
    let (mut channel, client) = connected(None).await;
    let ended = read_while_peer_vanishes(&mut channel, Duration::from_millis(300), || drop(client)).await;
    assert!(ended.is_none(), "the read should still be waiting, ended with {ended:?}");
    let written = channel.write(b"anyone?").await;
    match written {
        Err(Error::Undelivered { frames: 1, bytes: 11, source }) => {
            assert!(matches!(*source, Error::Io(ref e) if e.kind() == std::io::ErrorKind::BrokenPipe), "{source:?}")
        }
        other => panic!("a write to a vanished reader: {other:?}, not the message undelivered with EPIPE"),
    }
}

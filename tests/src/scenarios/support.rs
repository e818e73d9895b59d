//! What every scenario shares: the two transports behind one trait, connected pairs, deadlines
//! that turn a hang into a failure, deterministic frames, and file-descriptor accounting.

use std::future::Future;
use std::pin::pin;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::{join, select, Either};
use pipe_io::{Config, Error, Pipe, Runtime, Tcp, Transport};

use crate::payload;

/// The connect timeout of pairs that are expected to connect.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The hard limit of one scenario, after which its test fails instead of hanging. Generous: the
/// tests run unoptimised, on shared machines, and move hundreds of MiB.
pub const SCENARIO_LIMIT: Duration = Duration::from_secs(300);

/// A transport under test, so that one scenario body serves FIFOs and TCP alike.
pub trait Kind: Sized + 'static {
    /// The transport.
    const TRANSPORT: Transport;
    /// `"fifo"` or `"tcp"`, for messages.
    const NAME: &'static str;
    /// Creates the channel side.
    fn channel<R: Runtime>(config: Config) -> Result<Pipe<R, Self>, Error>;
    /// Creates the client side for the channel's swapped paths.
    fn client<R: Runtime>(in_path: &str, out_path: &str, config: Config) -> Result<Pipe<R, Self>, Error>;
}

#[cfg(unix)]
impl Kind for pipe_io::Fifo {
    const TRANSPORT: Transport = Transport::Fifo;
    const NAME: &'static str = "fifo";
    fn channel<R: Runtime>(config: Config) -> Result<Pipe<R, Self>, Error> {
        Pipe::<R, Self>::with_config(config)
    }
    fn client<R: Runtime>(in_path: &str, out_path: &str, config: Config) -> Result<Pipe<R, Self>, Error> {
        Pipe::<R, Self>::client_with_config(in_path, out_path, config)
    }
}

impl Kind for Tcp {
    const TRANSPORT: Transport = Transport::Tcp;
    const NAME: &'static str = "tcp";
    fn channel<R: Runtime>(config: Config) -> Result<Pipe<R, Self>, Error> {
        Pipe::<R, Self>::with_config(config)
    }
    fn client<R: Runtime>(in_path: &str, out_path: &str, config: Config) -> Result<Pipe<R, Self>, Error> {
        Pipe::<R, Self>::client_with_config(in_path, out_path, config)
    }
}

/// A channel and its client, both connected, with the default configuration.
pub async fn connected<R: Runtime, K: Kind>() -> (Pipe<R, K>, Pipe<R, K>) {
    connected_with::<R, K>(Config::default()).await
}

/// A channel and its client, both connected, both with `config`.
pub async fn connected_with<R: Runtime, K: Kind>(config: Config) -> (Pipe<R, K>, Pipe<R, K>) {
    let mut channel = K::channel::<R>(config.clone()).expect("create the channel");
    let mut client =
        K::client::<R>(channel.out_path(), channel.in_path(), config).expect("create the client for the channel");
    let (a, b) = join(channel.connect(CONNECT_TIMEOUT), client.connect(CONNECT_TIMEOUT)).await;
    a.unwrap_or_else(|err| panic!("{} channel failed to connect: {err}", K::NAME));
    b.unwrap_or_else(|err| panic!("{} client failed to connect: {err}", K::NAME));
    (channel, client)
}

/// Runs `work` to completion, or panics naming `what` once `limit` has passed: a hang becomes a
/// test failure.
pub async fn within<R: Runtime, F: Future>(limit: Duration, what: &str, work: F) -> F::Output {
    match timeout::<R, _>(limit, work).await {
        Some(output) => output,
        None => panic!("{what} did not finish within {limit:?}: it hangs"),
    }
}

/// Runs `work` until it completes (`Some`) or `limit` passes (`None`, and `work` is dropped).
pub async fn timeout<R: Runtime, F: Future>(limit: Duration, work: F) -> Option<F::Output> {
    match select(pin!(work), pin!(R::sleep_until(Instant::now() + limit))).await {
        Either::Left((output, _)) => Some(output),
        Either::Right(((), _)) => None,
    }
}

/// Sleeps for `duration` on the runtime's timer.
pub async fn sleep<R: Runtime>(duration: Duration) {
    R::sleep_until(Instant::now() + duration).await
}

/// A deterministic source of frames that is cheap to cut from: frame `k` of length `len` is a
/// slice of one pattern buffer at an offset that depends on `k`, so a lost, duplicated or
/// reordered frame never compares equal to the one expected.
#[derive(Debug, Clone)]
pub struct Frames {
    pattern: Bytes,
}

impl Frames {
    /// Offsets go up to this.
    const SPREAD: usize = 65_521;

    /// Frames of up to `max_len` bytes.
    pub fn new(max_len: usize) -> Self {
        Self { pattern: payload::payload(0, max_len + Self::SPREAD) }
    }

    /// Frame number `k`, `len` bytes long.
    pub fn frame(&self, k: usize, len: usize) -> Bytes {
        let offset = k.wrapping_mul(7_919) % Self::SPREAD;
        self.pattern.slice(offset..offset + len)
    }
}

/// A small deterministic pseudo-random sequence (xorshift), for jitter and mixed sizes.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// A sequence from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    /// The next value in `0..bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// What a write to a peer that went away answers: the messages it could not deliver, and the OS
/// error kind that said so (`Error::Undelivered { frames, source: Io(..), .. }`); `None` for any
/// other error.
pub fn undelivered_by_os(err: &Error) -> Option<(usize, std::io::ErrorKind)> {
    match err {
        Error::Undelivered { frames, source, .. } => match &**source {
            Error::Io(io) => Some((*frames, io.kind())),
            _ => None,
        },
        _ => None,
    }
}

/// The number of file descriptors this process has open, where the OS lets us count them
/// (Linux: the entries of `/proc/self/fd`); `None` elsewhere.
pub fn open_fds() -> Option<usize> {
    if cfg!(target_os = "linux") {
        Some(std::fs::read_dir("/proc/self/fd").expect("list /proc/self/fd").count())
    } else {
        None
    }
}

/// Asserts that the number of open file descriptors is what it was (where it can be counted).
pub fn assert_fds_back_to(before: Option<usize>, what: &str) {
    if let (Some(before), Some(after)) = (before, open_fds()) {
        assert_eq!(after, before, "{what}: {after} file descriptors open, {before} before");
    }
}

/// Counting file descriptors is process-wide, while the tests of one binary run on parallel
/// threads: the scenarios that count take this lock exclusively, all others share it.
static FD_ACCOUNTING: RwLock<()> = RwLock::new(());

/// Taken by scenarios that do not count file descriptors.
#[doc(hidden)]
pub fn shared() -> RwLockReadGuard<'static, ()> {
    FD_ACCOUNTING.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Taken by scenarios that count file descriptors: nothing else runs meanwhile.
#[doc(hidden)]
pub fn exclusive() -> RwLockWriteGuard<'static, ()> {
    FD_ACCOUNTING.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One connect, exchange and close, so that whatever a runtime sets up lazily on first use (a
/// reactor, its wake-up descriptors) exists before file descriptors are counted.
pub async fn warm_up<R: Runtime, K: Kind>() {
    let (mut channel, mut client) = connected::<R, K>().await;
    round_trip(&mut channel, &mut client).await;
    channel.close().await.expect("close the channel");
    client.close().await.expect("close the client");
}

/// One message each way, checked.
pub async fn round_trip<R: Runtime, K>(channel: &mut Pipe<R, K>, client: &mut Pipe<R, K>) {
    channel.write(b"ping").await.expect("channel writes");
    assert_eq!(client.read().await.expect("client reads").as_deref(), Some(&b"ping"[..]));
    client.write(b"pong").await.expect("client writes");
    assert_eq!(channel.read().await.expect("channel reads").as_deref(), Some(&b"pong"[..]));
}

//! The pipe: one end of a rendezvous, connected, read, written and closed through a runtime.

use std::fmt;
use std::future::{poll_fn, Future};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Sink, Stream};
use pipe_proto::{Config, Connection, IntoFrame, SendHalf, Side, State, Transport};

use crate::ends::{ReadEnd, WriteEnd};
use crate::engine;
use crate::error::Error;
#[cfg(unix)]
use crate::kind::Fifo;
use crate::kind::{Portable, Tcp};
use crate::rendezvous::Rendezvous;
use crate::runtime::Runtime;
use crate::split::{PipeReader, PipeWriter};

/// One end of an AEA-compatible pipe on runtime `R`; `K` says which transport it was built for
/// ([`Fifo`], [`Tcp`], or [`Portable`]).
///
/// Users name it through their runtime crate, which fills in the runtime: `PosixNamedPipe`,
/// `TcpSocketPipe` and `LocalPortablePipe` in `pipe-tokio`, `pipe-smol` and `pipe-async-std`
/// alike.
///
/// The **channel** side ([`Pipe::new`], or `make_pipe`) creates the rendezvous at once, so
/// [`in_path`](Pipe::in_path) and [`out_path`](Pipe::out_path) can be handed to the peer before
/// [`connect`](Pipe::connect). The **client** side ([`Pipe::client`], or `make_pipe_client`) is
/// given those two strings swapped: client in = channel out.
///
/// ```
/// # use pipe_tokio::{*, prelude::*};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pipe_tokio::Error> {
/// use std::time::Duration;
///
/// let mut channel = TcpSocketPipe::new()?;
/// let mut client = TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
/// let timeout = Duration::from_secs(5);
/// // Both ends connect at once (joined: `tokio::join!`, `smol::future::zip`...):
/// // channel.connect(timeout), client.connect(timeout)
/// # let (a, b) = tokio::join!(channel.connect(timeout), client.connect(timeout));
/// # a?;
/// # b?;
/// client.write(b"ping").await?;
/// assert_eq!(channel.read().await?.as_deref(), Some(&b"ping"[..]));
/// client.close().await?;
/// assert_eq!(channel.read().await?, None, "the peer closed");
/// # Ok(())
/// # }
/// ```
pub struct Pipe<R: Runtime, K = Portable> {
    pub(crate) conn: Connection,
    pub(crate) config: Config,
    // The OS objects, dropped in this order: every descriptor before the rendezvous, whose FIFO
    // directory is removed last (removing it takes a descriptor of its own).
    pub(crate) read_end: Option<ReadEnd<R>>,
    pub(crate) write_end: Option<WriteEnd<R>>,
    #[cfg(unix)]
    pub(crate) fifo_read: Option<std::fs::File>,
    #[cfg(unix)]
    pub(crate) fifo_write: Option<std::fs::File>,
    pub(crate) tcp: Option<R::TcpStream>,
    pub(crate) rendezvous: Rendezvous<R>,
    kind: PhantomData<fn() -> K>,
}

impl<R: Runtime, K> fmt::Debug for Pipe<R, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipe")
            .field("transport", &self.conn.transport())
            .field("side", &self.conn.side())
            .field("state", &self.conn.state())
            .field("peer_closed", &self.conn.peer_closed())
            .field("in_path", &self.rendezvous.in_path)
            .field("out_path", &self.rendezvous.out_path)
            .finish_non_exhaustive()
    }
}

#[cfg(unix)]
impl<R: Runtime> Pipe<R, Fifo> {
    /// The channel side over FIFOs, with the default [`Config`]: creates a private directory
    /// (mode 0700, unpredictable name) holding two FIFOs (mode 0600), now.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// let channel = PosixNamedPipe::new()?;
    /// assert!(channel.in_path().ends_with("/process_to_aea"));
    /// assert!(channel.out_path().ends_with("/aea_to_process"));
    /// let dir = std::path::Path::new(channel.in_path()).parent().unwrap().to_owned();
    /// drop(channel);
    /// assert!(!dir.exists(), "dropping the channel removes its directory");
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn new() -> Result<Self, Error> {
        Self::with_config(Config::default())
    }

    /// [`Pipe::new`] with a [`Config`].
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// let channel = PosixNamedPipe::with_config(Config::default().with_max_frame_len(1 << 20))?;
    /// assert_eq!(channel.config().max_frame_len(), 1 << 20);
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn with_config(config: Config) -> Result<Self, Error> {
        Ok(Self::from_rendezvous(Rendezvous::fifo_channel()?, config))
    }

    /// The client side over FIFOs, for a channel created elsewhere (by us, or by Python's
    /// `PosixNamedPipeChannel`): `in_path` is the channel's `out_path` and vice versa. Nothing is
    /// opened before [`connect`](Pipe::connect).
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// let channel = PosixNamedPipe::new()?;
    /// let client = PosixNamedPipe::client(channel.out_path(), channel.in_path())?;
    /// assert_eq!(client.in_path(), channel.out_path());
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn client(in_path: &str, out_path: &str) -> Result<Self, Error> {
        Self::client_with_config(in_path, out_path, Config::default())
    }

    /// [`Pipe::client`] with a [`Config`].
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// let client = PosixNamedPipe::client_with_config("/tmp/x/a", "/tmp/x/b", Config::default())?;
    /// assert_eq!(client.out_path(), "/tmp/x/b");
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn client_with_config(in_path: &str, out_path: &str, config: Config) -> Result<Self, Error> {
        Ok(Self::from_rendezvous(Rendezvous::fifo_client(in_path, out_path), config))
    }
}

impl<R: Runtime> Pipe<R, Tcp> {
    /// The channel side over TCP, with the default [`Config`]: binds a listener on
    /// `127.0.0.1` on a free port, now; both paths are that port in decimal. Only a peer of
    /// our own user is taken where the OS can tell (Linux, Android); see
    /// [`Config::with_allowed_peer_uids`] for the rule and the platforms that cannot tell.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// let channel = TcpSocketPipe::new()?;
    /// assert_eq!(channel.in_path(), channel.out_path());
    /// assert!(channel.in_path().parse::<u16>().is_ok());
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn new() -> Result<Self, Error> {
        Self::with_config(Config::default())
    }

    /// [`Pipe::new`] with a [`Config`].
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// let channel = TcpSocketPipe::with_config(Config::default().with_high_water_mark(1 << 20))?;
    /// assert_eq!(channel.config().high_water_mark(), 1 << 20);
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn with_config(config: Config) -> Result<Self, Error> {
        Ok(Self::from_rendezvous(Rendezvous::tcp_channel()?, config))
    }

    /// The client side over TCP: `in_path` is `"<port>"` (on `127.0.0.1`, as the AEA gives it),
    /// an IP address and port (`"127.0.0.1:9000"`, `"[::1]:9000"`) or `"<host>:<port>"`;
    /// `out_path` is kept for symmetry (the AEA passes the same string). Nothing blocks here:
    /// the text is only parsed (a bad one is [`Error::InvalidAddress`]); a host name is
    /// resolved by [`connect`](Pipe::connect), which fails with [`Error::InvalidAddress`] if it
    /// resolves to nothing, and tries each address it resolves to.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// assert!(TcpSocketPipe::client("8000", "8000").is_ok());
    /// assert!(TcpSocketPipe::client("localhost:8000", "localhost:8000").is_ok()); // no lookup yet
    /// assert!(matches!(TcpSocketPipe::client("not a port", ""), Err(Error::InvalidAddress { .. })));
    /// ```
    pub fn client(in_path: &str, out_path: &str) -> Result<Self, Error> {
        Self::client_with_config(in_path, out_path, Config::default())
    }

    /// [`Pipe::client`] with a [`Config`].
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// let client = TcpSocketPipe::client_with_config("127.0.0.1:9000", "", Config::default())?;
    /// assert_eq!(client.in_path(), "127.0.0.1:9000");
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn client_with_config(in_path: &str, out_path: &str, config: Config) -> Result<Self, Error> {
        Ok(Self::from_rendezvous(Rendezvous::tcp_client(in_path, out_path)?, config))
    }
}

impl<R: Runtime> Pipe<R, Tcp> {
    /// A connected pipe over a TCP connection the application made itself (accepted from its
    /// own listener, or dialled), playing `side`. It is open at once: no `connect` needed, and
    /// both paths name the peer's address.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    ///
    /// # let (dialled, accepted) = pipe_tokio::doc_tcp_pair().await?;
    /// // `dialled` and `accepted`: two ends of one loopback connection, as the runtime's sockets.
    /// let mut client = TcpSocketPipe::from_stream(dialled, Side::Client, Default::default())?;
    /// let mut channel = TcpSocketPipe::from_stream(accepted, Side::Channel, Default::default())?;
    /// client.write(b"adopted").await?;
    /// assert_eq!(channel.read().await?.as_deref(), Some(&b"adopted"[..]));
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_stream(stream: R::AppTcpStream, side: Side, config: Config) -> Result<Self, Error> {
        let stream = R::adopt_tcp(stream)?;
        let peer = R::peer_addr(&stream)?;
        let mut pipe = Self::from_rendezvous(Rendezvous::tcp_established(peer, side), config.clone());
        pipe.conn = Connection::established(Transport::Tcp, side, config);
        let (read, write) = R::split(stream);
        pipe.read_end = Some(ReadEnd::Tcp(read));
        pipe.write_end = Some(WriteEnd::Tcp(write));
        Ok(pipe)
    }
}

#[cfg(unix)]
impl<R: Runtime> From<Pipe<R, Fifo>> for Pipe<R, Portable> {
    fn from(pipe: Pipe<R, Fifo>) -> Self {
        pipe.retype()
    }
}

impl<R: Runtime> From<Pipe<R, Tcp>> for Pipe<R, Portable> {
    fn from(pipe: Pipe<R, Tcp>) -> Self {
        pipe.retype()
    }
}

/// The concrete pipe back from a [`LocalPortablePipe`](Pipe): `Ok` if it runs over FIFOs;
/// otherwise the pipe itself, unchanged, as the error.
///
/// ```
/// # use pipe_tokio::{*, prelude::*};
/// let portable = LocalPortablePipe::from(PosixNamedPipe::new()?);
/// let fifo = PosixNamedPipe::try_from(portable).expect("a FIFO pipe");
/// let portable = LocalPortablePipe::from(TcpSocketPipe::new()?);
/// let back = PosixNamedPipe::try_from(portable).expect_err("not a FIFO pipe");
/// assert_eq!(back.transport(), Transport::Tcp);
/// # drop(fifo);
/// # Ok::<(), pipe_tokio::Error>(())
/// ```
#[cfg(unix)]
impl<R: Runtime> TryFrom<Pipe<R, Portable>> for Pipe<R, Fifo> {
    type Error = Pipe<R, Portable>;

    fn try_from(pipe: Pipe<R, Portable>) -> Result<Self, Self::Error> {
        if pipe.transport() == Transport::Fifo {
            Ok(pipe.retype())
        } else {
            Err(pipe)
        }
    }
}

/// The concrete pipe back from a [`LocalPortablePipe`](Pipe): `Ok` if it runs over TCP;
/// otherwise the pipe itself, unchanged, as the error.
///
/// ```
/// # use pipe_tokio::{*, prelude::*};
/// let portable = LocalPortablePipe::from(TcpSocketPipe::new()?);
/// let tcp = TcpSocketPipe::try_from(portable).expect("a TCP pipe");
/// assert_eq!(tcp.transport(), Transport::Tcp);
/// # Ok::<(), pipe_tokio::Error>(())
/// ```
impl<R: Runtime> TryFrom<Pipe<R, Portable>> for Pipe<R, Tcp> {
    type Error = Pipe<R, Portable>;

    fn try_from(pipe: Pipe<R, Portable>) -> Result<Self, Self::Error> {
        if pipe.transport() == Transport::Tcp {
            Ok(pipe.retype())
        } else {
            Err(pipe)
        }
    }
}

impl<R: Runtime, K> Pipe<R, K> {
    fn from_rendezvous(rendezvous: Rendezvous<R>, config: Config) -> Self {
        let conn = Connection::new(rendezvous.transport(), rendezvous.side, config.clone());
        Self::from_halves(conn, None, None, rendezvous, config)
    }

    fn retype<K2>(self) -> Pipe<R, K2> {
        Pipe {
            conn: self.conn,
            config: self.config,
            read_end: self.read_end,
            write_end: self.write_end,
            #[cfg(unix)]
            fifo_read: self.fifo_read,
            #[cfg(unix)]
            fifo_write: self.fifo_write,
            tcp: self.tcp,
            rendezvous: self.rendezvous,
            kind: PhantomData,
        }
    }

    /// Where this end reads: the path (FIFO) or port (TCP) to hand to the peer as its `out_path`.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// let pipe = make_pipe()?;
    /// assert!(!pipe.in_path().is_empty());
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn in_path(&self) -> &str {
        &self.rendezvous.in_path
    }

    /// Where this end writes: to hand to the peer as its `in_path`.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// let pipe = make_pipe()?;
    /// assert!(!pipe.out_path().is_empty());
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn out_path(&self) -> &str {
        &self.rendezvous.out_path
    }

    /// The transport: FIFO or TCP.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// assert_eq!(TcpSocketPipe::new()?.transport(), Transport::Tcp);
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn transport(&self) -> Transport {
        self.conn.transport()
    }

    /// Channel (created the rendezvous) or client.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// assert_eq!(TcpSocketPipe::new()?.side(), Side::Channel);
    /// assert_eq!(TcpSocketPipe::client("1", "1")?.side(), Side::Client);
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn side(&self) -> Side {
        self.conn.side()
    }

    /// Where the pipe is in its life: `Idle`, `Connecting`, `Open` (also after the peer
    /// closed: see [`peer_closed`](Pipe::peer_closed)), `Closing`, `Closed`, or `Failed`.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// assert_eq!(TcpSocketPipe::new()?.state(), State::Idle);
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn state(&self) -> State {
        self.conn.state()
    }

    /// Whether the peer's close has been read: [`read`](Pipe::read) answers `Ok(None)` and
    /// writes are refused with [`Error::PeerClosed`].
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// client.close().await?;
    /// assert!(!channel.peer_closed(), "not read yet");
    /// assert_eq!(channel.read().await?, None);
    /// assert!(channel.peer_closed());
    /// assert!(matches!(channel.write(b"late").await, Err(Error::PeerClosed)));
    /// # Ok(())
    /// # }
    /// ```
    pub fn peer_closed(&self) -> bool {
        self.conn.peer_closed()
    }

    /// The configuration the pipe was made with.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// assert_eq!(make_pipe()?.config(), &Config::default());
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Connects to the peer, retrying while it is not there yet, and fails with
    /// [`Error::Timeout`] once `timeout` has passed, saying what it was still waiting for (a
    /// reader on our FIFO `out_path`, a writer on our `in_path`, a listener, a client). Each
    /// call gets the whole `timeout`. Returns when the pipe is usable both ways. Cancel-safe: a
    /// dropped connect can be called again.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// use std::time::{Duration, Instant};
    ///
    /// let mut lonely = make_pipe()?;
    /// let start = Instant::now();
    /// let err = lonely.connect(Duration::from_millis(100)).await.unwrap_err();
    /// assert!(matches!(err, Error::Timeout { .. }));
    /// assert!(start.elapsed() >= Duration::from_millis(100));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(&mut self, timeout: Duration) -> Result<(), Error> {
        self.drive_connect(timeout).await
    }

    /// Waits for a new peer on the same rendezvous after the peer closed or the pipe failed: the
    /// channel accepts a new client on the same FIFO paths or port (its FIFOs are made anew
    /// and its listener bound again, so nothing of the old connection reaches the new peer);
    /// the client connects again to a channel that is waiting. The old connection's OS objects
    /// are closed first. Frames a failure left unsent (see [`take_unsent`](Self::take_unsent))
    /// and not taken are sent first, whole, in order; frames the OS had accepted that the old
    /// peer never read are gone, which only the peer application's acknowledgements can tell.
    ///
    /// Answers as [`connect`](Self::connect) does (and is one before any connect), and
    /// [`Error::InvalidState`] while the peer is there (state `Open`, its close not read yet)
    /// or after [`close`](Self::close) (the rendezvous was released); [`Error::NoRendezvous`]
    /// on a pipe made [`from_stream`](Pipe::from_stream). A new FIFO client should start after
    /// the channel's `reconnect` began: one that opened the old FIFOs before they were made
    /// anew times out. A split pipe reconnects once reunited.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// use std::time::Duration;
    ///
    /// let timeout = Duration::from_secs(5);
    /// let mut channel = make_pipe()?;
    /// let mut first = make_pipe_client(channel.out_path(), channel.in_path())?;
    /// // Both ends connect at once (joined: `tokio::join!`, `smol::future::zip`...):
    /// // channel.connect(timeout), first.connect(timeout)
    /// # let (a, b) = tokio::join!(channel.connect(timeout), first.connect(timeout));
    /// # (a?, b?);
    /// first.write(b"from the first client").await?;
    /// drop(first); // its process is gone
    /// assert_eq!(channel.read().await?.as_deref(), Some(&b"from the first client"[..]));
    /// assert_eq!(channel.read().await?, None);
    ///
    /// let mut second = make_pipe_client(channel.out_path(), channel.in_path())?;
    /// // Both ends connect at once (joined: `tokio::join!`, `smol::future::zip`...):
    /// // channel.reconnect(timeout), second.connect(timeout)
    /// # let (a, b) = tokio::join!(channel.reconnect(timeout), second.connect(timeout));
    /// # (a?, b?);
    /// second.write(b"from the second client").await?;
    /// assert_eq!(channel.read().await?.as_deref(), Some(&b"from the second client"[..]));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn reconnect(&mut self, timeout: Duration) -> Result<(), Error> {
        self.drive_reconnect(timeout).await
    }

    /// Takes back, in order, every message a failure left unsent (the one cut mid-write whole,
    /// then the rest of a batch it cut, and any message handed over by value since: a `Sink`'s
    /// item, [`write_bytes`](Self::write_bytes)'s), as many as [`Error::Undelivered`] counts,
    /// so none is lost without the caller holding it: after [`Error::Undelivered`] (from a
    /// write, a flush or a close), and while a reconnect has not completed. Empty otherwise (on
    /// an open pipe queued messages are still being written). The error keeps its counts.
    /// Messages not taken are sent first after a [`reconnect`](Self::reconnect).
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// use std::time::Duration;
    ///
    /// let timeout = Duration::from_secs(5);
    /// let mut channel = make_pipe()?;
    /// let mut client = make_pipe_client(channel.out_path(), channel.in_path())?;
    /// // Both ends connect at once (joined: `tokio::join!`, `smol::future::zip`...):
    /// // channel.connect(timeout), client.connect(timeout)
    /// # let (a, b) = tokio::join!(channel.connect(timeout), client.connect(timeout));
    /// # (a?, b?);
    /// drop(client); // nobody reads any more
    /// let big = vec![7u8; 1 << 20]; // more than the pipe holds
    /// let err = channel.write(&big).await.unwrap_err();
    /// assert!(matches!(err, Error::Undelivered { frames: 1, .. }));
    /// assert_eq!(channel.take_unsent(), [big], "whole, though part of it was written");
    /// assert!(channel.take_unsent().is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn take_unsent(&mut self) -> Vec<Bytes> {
        self.conn.take_unsent()
    }

    /// Reads the next message: `Some(payload)`, or `None` once the peer has closed (and on every
    /// later call). Cancel-safe: dropping the future (in `select!`, under a timeout) loses
    /// nothing; the next call continues the same frame. The future is `Unpin`, and a message
    /// already buffered is its answer at the first poll, without a system call.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// // A read cancelled by a timeout (nothing had arrived) loses nothing...
    /// // (`waited`: `channel.read()` under a 10 ms timeout of your runtime)
    /// # let waited = tokio::time::timeout(Duration::from_millis(10), channel.read()).await;
    /// assert!(waited.is_err());
    /// client.write(b"one").await?;
    /// // ...the next read carries on.
    /// assert_eq!(channel.read().await?.as_deref(), Some(&b"one"[..]));
    /// # Ok(())
    /// # }
    /// ```
    pub fn read(&mut self) -> impl Future<Output = Result<Option<Bytes>, Error>> + '_ {
        poll_fn(|cx| engine::poll_read_frame(self.conn.recv_half_mut(), self.read_end.as_mut(), cx))
    }

    /// Reads the next message and hands it to `f` where it lies, in the pipe's read buffer,
    /// without copying it or allocating for it: `Some(f(payload))`, or `None` once the peer has
    /// closed (and on every later call; `f` is not called). The answers are those of
    /// [`read`](Pipe::read), in every situation: the same messages in the same order, the
    /// same close, the same errors ([`Error::TruncatedFrame`] when the peer's stream ends inside
    /// a frame, [`Error::PeerFrameTooLarge`] for a header over the maximum, and so on), and the
    /// two may be mixed. A message larger than the read buffer is gathered first and lent whole.
    /// The payload is only valid inside `f`: keep what you need (or use `read`, which hands out
    /// the message as `Bytes`). Cancel-safe: `f` is called by the poll that completes, so a
    /// dropped `read_with` has taken nothing, and the next read continues the same frame.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// client.write_batch(["7", "35"].map(Bytes::from)).await?;
    /// client.close().await?;
    /// let mut sum = 0;
    /// // Each message parsed where it lies; nothing is allocated for it.
    /// while let Some(n) = channel.read_with(|msg| std::str::from_utf8(msg).unwrap().parse::<u32>()).await? {
    ///     sum += n.unwrap();
    /// }
    /// assert_eq!(sum, 42);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read_with<T>(&mut self, f: impl FnOnce(&[u8]) -> T) -> Result<Option<T>, Error> {
        let mut f = Some(f);
        poll_fn(|cx| engine::poll_read_with(self.conn.recv_half_mut(), self.read_end.as_mut(), cx, &mut f)).await
    }

    /// [`read_with`](Pipe::read_with) for every message that has arrived: waits for the next
    /// message, then hands it and every other whole message already received to `f`, in order,
    /// where they lie, without waiting for more; `Some(count)` says how many (at least one).
    /// `None` once the peer has closed, and the errors of `read`, when they come first; when
    /// they follow messages, those messages are this call's answer and the close or the error
    /// the next call's, as `read` would answer them one by one. The fastest way to take many
    /// small messages: one call for all that one read brought. Cancel-safe: `f` is called by
    /// the poll that completes, and only then.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// client.write_batch((1..=100u8).map(|i| Bytes::from(vec![i; 64]))).await?;
    /// client.close().await?;
    /// let (mut messages, mut sum) = (0, 0u32);
    /// while let Some(_count) = channel.read_batch_with(|msg| {
    ///     messages += 1;
    ///     sum += u32::from(msg[0]);
    /// }).await? {}
    /// assert_eq!((messages, sum), (100, 5050));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read_batch_with(&mut self, mut f: impl FnMut(&[u8])) -> Result<Option<usize>, Error> {
        poll_fn(|cx| engine::poll_read_batch_with(self.conn.recv_half_mut(), self.read_end.as_mut(), cx, &mut f)).await
    }

    /// Sends one message (copied once into the transmit queue) and returns when all of it is
    /// with the OS. An empty or oversized message is refused before anything is sent. If the
    /// future is dropped early, the message is still sent with the next write or flush. On a
    /// pipe that already failed the message, borrowed, is refused and not copied: it stays the
    /// caller's, and the error's count does not include it.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// client.write(b"hello").await?;
    /// assert!(matches!(client.write(b"").await, Err(Error::EmptyFrame)));
    /// # Ok(())
    /// # }
    /// ```
    pub fn write<'a>(&'a mut self, data: &'a [u8]) -> impl Future<Output = Result<(), Error>> + 'a {
        engine::write(self.conn.send_half_mut(), &mut self.write_end, data)
    }

    /// [`write`](Pipe::write) without copying: the payload is queued by reference (payloads
    /// under [`Config::coalesce_limit`] are copied, which is cheaper than a separate slice). The
    /// payload is handed over: on a pipe that already failed it is kept, counted in the error
    /// ([`Error::Undelivered`]), and given back by [`take_unsent`](Self::take_unsent) or sent
    /// first after [`reconnect`](Self::reconnect).
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// let big = Bytes::from(vec![7u8; 1 << 20]);
    /// // The write and the peer's read, joined (`tokio::join!`, `smol::future::zip`...):
    /// # let (sent, received) = tokio::join!(client.write_bytes(big.clone()), channel.read());
    /// sent?;
    /// assert_eq!(received?, Some(big));
    /// # Ok(())
    /// # }
    /// ```
    pub fn write_bytes(&mut self, data: Bytes) -> impl Future<Output = Result<(), Error>> + '_ {
        engine::write_bytes(self.conn.send_half_mut(), &mut self.write_end, data)
    }

    /// Sends many messages with as few system calls as the queue allows (many small frames go
    /// out in one write), waiting for room whenever the queue reaches its high-water mark.
    /// Stops at the first invalid message: the ones before it are sent. The messages may be
    /// borrowed (`&[u8]`, `&Bytes`, `&str`: copied into the queue, no buffer of the caller's
    /// per message) or owned (`Bytes`, `Vec<u8>`: a large one is queued without a copy); see
    /// [`IntoFrame`].
    ///
    /// **A failure mid-batch loses nothing unsaid**: every message the batch takes is handed to
    /// the OS or counted. When the pipe fails during the batch (the peer died, the connection was
    /// reset), the rest of the batch is still taken, kept after the message the failure cut, and
    /// counted: [`Error::Undelivered`] then counts every message of the batch that did not reach
    /// the OS, [`take_unsent`](Self::take_unsent) gives them back in order, or
    /// [`reconnect`](Self::reconnect) sends them first, whole, to the next peer. (What the OS
    /// had accepted before the peer died is beyond the pipe's reach.) A batch given to a pipe
    /// that already failed is kept and counted the same way. A batch is refused (closed, not
    /// connected, the peer closed) before it takes any message; once begun it is not stopped by
    /// the peer's close arriving meanwhile.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// let frames = (0..100u8).map(|i| Bytes::from(vec![i; 64]));
    /// client.write_batch(frames).await?;
    /// for i in 0..100u8 {
    ///     assert_eq!(channel.read().await?.unwrap()[0], i);
    /// }
    /// let kept: Vec<Vec<u8>> = vec![b"borrowed".to_vec(), b"messages".to_vec()];
    /// client.write_batch(&kept).await?;
    /// assert_eq!(channel.read().await?.as_deref(), Some(&b"borrowed"[..]));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// A batch cut by the peer's end:
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::make_pipe()?;
    /// # let mut client = pipe_tokio::make_pipe_client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// drop(client); // nobody reads any more
    /// let batch: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i; 1 << 20]).collect();
    /// let err = channel.write_batch(batch.clone()).await.unwrap_err();
    /// assert!(matches!(err, Error::Undelivered { frames: 3, .. }), "{err}");
    /// assert_eq!(channel.take_unsent(), batch, "every message of the batch, in order");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn write_batch<I>(&mut self, frames: I) -> Result<(), Error>
    where
        I: IntoIterator,
        I::Item: IntoFrame,
    {
        engine::write_batch(self.conn.send_half_mut(), &mut self.write_end, frames).await
    }

    /// Writes whatever is queued (after a cancelled write) and returns when it is with the OS.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// let mut pipe = make_pipe()?;
    /// pipe.flush().await?; // nothing queued: returns at once
    /// # Ok(())
    /// # }
    /// ```
    pub async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| engine::poll_flush(self.conn.send_half_mut(), &mut self.write_end, cx)).await
    }

    /// Closes the pipe: queued messages are sent, then the close (FIFO: the zero-length frame,
    /// unless the peer closed first; TCP: a half-close), then every OS object is released and
    /// the channel side removes its FIFO directory, whatever the answer.
    ///
    /// `Ok(())` means every message queued before it was handed to the OS and the close went
    /// out. If messages were lost (the peer went away, a write failed), the answer is
    /// [`Error::Undelivered`] with how many messages and bytes, and why; after another failure,
    /// that failure. Closing again gives the same answer. It waits for queued messages to be
    /// written: bound it with a timeout if the peer may have stopped reading.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// let mut pipe = make_pipe()?;
    /// pipe.close().await?;
    /// pipe.close().await?;
    /// assert!(matches!(pipe.write(b"late").await, Err(Error::ClosedLocally)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn close(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.poll_close_pipe(cx)).await
    }

    /// The close, as a poll: the core's close, carried out, then every OS object released.
    fn poll_close_pipe(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let was = self.conn.state();
        self.conn.close();
        ready!(engine::poll_drive_send(self.conn.send_half_mut(), &mut self.write_end, cx));
        self.release();
        if was != State::Closed {
            log::debug!("closed {:?} {:?} pipe (was {was})", self.conn.side(), self.conn.transport());
        }
        Poll::Ready(match self.conn.poll_close() {
            Some(answer) => answer.map_err(Error::from),
            // The send half had nothing to do, yet the close is not over: it never will be.
            None => Err(Error::InvalidState { state: self.conn.state() }),
        })
    }

    /// Releases every OS object: descriptors first, then the rendezvous (the FIFO directory).
    fn release(&mut self) {
        self.read_end = None;
        self.write_end = None;
        #[cfg(unix)]
        {
            self.fifo_read = None;
            self.fifo_write = None;
        }
        self.tcp = None;
        self.rendezvous.release();
    }

    /// Splits a connected pipe into a reader (a `Stream` of messages) and a writer (a `Sink` of
    /// messages) that can be used from different tasks. The FIFO directory stays until both are
    /// dropped.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    ///
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// let (mut reader, mut writer) = client.into_split()?;
    /// writer.feed("a").await?; // queued
    /// writer.feed("b").await?;
    /// writer.flush().await?; // both in one write
    /// channel.write(b"c").await?;
    /// assert_eq!(reader.next().await.transpose()?.as_deref(), Some(&b"c"[..]));
    /// writer.close().await?; // half-close; the reader still works
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_split(mut self) -> Result<(PipeReader<R>, PipeWriter<R>), Error> {
        let (read_end, write_end) = (self.read_end.take(), self.write_end.take());
        let (recv, send) = self.conn.into_split().map_err(|conn| match (conn.state(), conn.failure()) {
            (State::Idle | State::Connecting, _) => Error::NotConnected,
            // A failed pipe answers with its failure, as every other call does.
            (_, Some(failure)) => failure.clone().into(),
            (state, None) => Error::InvalidState { state },
        })?;
        let rendezvous = Arc::new(self.rendezvous);
        Ok((
            PipeReader::new(recv, read_end, Arc::clone(&rendezvous), self.config.clone()),
            PipeWriter::new(send, write_end, rendezvous, self.config),
        ))
    }

    /// A pipe of `conn` and the ends it has (none before the connect; both for the halves of a
    /// split pipe put back together, see [`PipeReader::reunite`]).
    pub(crate) fn from_halves(
        conn: Connection,
        read_end: Option<ReadEnd<R>>,
        write_end: Option<WriteEnd<R>>,
        rendezvous: Rendezvous<R>,
        config: Config,
    ) -> Self {
        Self {
            conn,
            config,
            read_end,
            write_end,
            #[cfg(unix)]
            fifo_read: None,
            #[cfg(unix)]
            fifo_write: None,
            tcp: None,
            rendezvous,
            kind: PhantomData,
        }
    }
}

impl<R: Runtime> PipeReader<R> {
    /// Puts the pipe back together from this reader and the writer split off with it, in
    /// whatever state the halves reached (messages queued by the writer stay queued). Halves of
    /// different pipes are handed back unchanged.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pipe_tokio::Error> {
    /// # use std::time::Duration;
    /// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
    /// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
    /// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
    /// # a?; b?;
    /// let (reader, writer) = client.into_split()?;
    /// let mut client = reader.reunite(writer).expect("the halves of one pipe");
    /// client.write(b"whole again").await?;
    /// assert_eq!(channel.read().await?.as_deref(), Some(&b"whole again"[..]));
    /// # Ok(())
    /// # }
    /// ```
    // Handing the halves back by value is the point: the caller keeps them.
    #[allow(clippy::result_large_err)]
    pub fn reunite(self, writer: PipeWriter<R>) -> Result<Pipe<R, Portable>, (PipeReader<R>, PipeWriter<R>)> {
        if !Arc::ptr_eq(&self.rendezvous, &writer.rendezvous) {
            return Err((self, writer));
        }
        let side = self.rendezvous.side;
        let conn = match Connection::reunite(self.recv, writer.send, side) {
            Ok(conn) => conn,
            Err((recv, send)) => {
                return Err((
                    PipeReader::new(recv, self.end, self.rendezvous, self.config),
                    PipeWriter::new(send, writer.end, writer.rendezvous, writer.config),
                ))
            }
        };
        drop(writer.rendezvous);
        let rendezvous = Arc::into_inner(self.rendezvous).expect("the two halves held the only references");
        Ok(Pipe::from_halves(conn, self.end, writer.end, rendezvous, self.config))
    }
}

/// The messages the peer sends, until its close (then the stream ends), a failure (yielded once,
/// then the stream ends) or this side's close. The same as the pipe's `read`, item by item.
///
/// ```
/// # use pipe_tokio::{*, prelude::*};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pipe_tokio::Error> {
/// # use std::time::Duration;
///
/// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
/// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
/// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
/// # a?; b?;
/// client.write_batch(["a", "b", "c"].map(Bytes::from)).await?;
/// client.close().await?;
/// let all: Vec<Bytes> = channel.try_collect().await?;
/// assert_eq!(all, ["a", "b", "c"]);
/// # Ok(())
/// # }
/// ```
impl<R: Runtime, K> Stream for Pipe<R, K> {
    type Item = Result<Bytes, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        engine::poll_next_message(this.conn.recv_half_mut(), this.read_end.as_mut(), cx)
    }
}

crate::sink::sink_of_messages!(
/// Messages to send: `feed` queues (many small messages then leave in one write), `flush`
/// writes, `close` closes the whole pipe as the pipe's `close` does. The same answers as the
/// pipe's `write`. A message the `Sink` is given is handed to the OS or counted: on a failed pipe
/// `poll_ready` still answers `Ok`, and `start_send` keeps the message (for `take_unsent` and
/// the reconnect) and answers [`Error::Undelivered`], counting it; so `feed` and `send` never
/// drop their message, and `send_all` stops at that error, with the rest of its stream left to
/// the caller. After the pipe's own `close`, a message is refused.
///
/// ```
/// # use pipe_tokio::{*, prelude::*};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pipe_tokio::Error> {
/// # use std::time::Duration;
///
/// # let mut channel = pipe_tokio::TcpSocketPipe::new()?;
/// # let mut client = pipe_tokio::TcpSocketPipe::client(channel.out_path(), channel.in_path())?;
/// # let (a, b) = tokio::join!(channel.connect(Duration::from_secs(5)), client.connect(Duration::from_secs(5)));
/// # a?; b?;
/// client.feed("one").await?;
/// client.feed(b"two").await?;
/// client.flush().await?; // both in one write
/// client.send(vec![3u8; 3]).await?; // any message type: Bytes, Vec<u8>, &[u8], &str
/// assert_eq!(channel.read().await?.as_deref(), Some(&b"one"[..]));
/// assert_eq!(channel.read().await?.as_deref(), Some(&b"two"[..]));
/// assert_eq!(channel.read().await?.as_deref(), Some(&[3u8; 3][..]));
/// # Ok(())
/// # }
/// ```
    Pipe<R, K>, [R: Runtime, K], sink_parts, poll_close_pipe
);

impl<R: Runtime, K> Pipe<R, K> {
    /// The send half and the write end, for the `Sink` impls.
    fn sink_parts(&mut self) -> (&mut SendHalf, &mut Option<WriteEnd<R>>) {
        (self.conn.send_half_mut(), &mut self.write_end)
    }
}

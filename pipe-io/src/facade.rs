//! The public face of a runtime crate, generated once for all of them by `runtime_crate!`:
//! concrete, documented types (`PosixNamedPipe`, `TcpSocketPipe`, `LocalPortablePipe`,
//! `PipeReader`, `PipeWriter`) that wrap this crate's generic [`Pipe`](crate::Pipe) for one
//! runtime, the `make_pipe` functions, `Bytes` and a `prelude`. A user of `pipe-tokio` meets only
//! `pipe_tokio::...` names, in the docs and in compiler errors, and every method is listed on
//! each type's own page.
//!
//! Every example in these docs runs on every runtime crate: the hidden first and last lines run
//! it on that crate's executor (its `doc_block_on`).

/// Runs two futures concurrently to completion (for the runtime crates' examples).
#[doc(hidden)]
pub async fn doc_join<A: std::future::Future, B: std::future::Future>(a: A, b: B) -> (A::Output, B::Output) {
    futures_util::future::join(a, b).await
}

/// A stream of `Ok` items (for the runtime crates' `send_all` examples).
#[doc(hidden)]
pub fn doc_iter_ok<I: IntoIterator>(
    items: I,
) -> impl futures_util::Stream<Item = Result<I::Item, crate::Error>> + Unpin {
    futures_util::stream::iter(items.into_iter().map(Ok))
}

/// Doc-test lines that run an example on `$krate`'s executor and connect a channel and its
/// client of type `$ty` (hidden from the rendered example).
#[doc(hidden)]
#[macro_export]
macro_rules! __doc_pair {
    ($krate:literal, $ty:literal) => {
        concat!(
            "# ",
            $krate,
            "::doc_block_on(async {\n",
            "# use std::time::Duration;\n",
            "# let mut channel = ",
            $krate,
            "::",
            $ty,
            "::new()?;\n",
            "# let mut client = ",
            $krate,
            "::",
            $ty,
            "::client(channel.out_path(), channel.in_path())?;\n",
            "# let timeout = Duration::from_secs(5);\n",
            "# let (a, b) = ",
            $krate,
            "::doc_join(channel.connect(timeout), client.connect(timeout)).await;\n",
            "# a?;\n",
            "# b?;\n",
        )
    };
}

/// Doc-test lines that run an example on `$krate`'s executor (hidden).
#[doc(hidden)]
#[macro_export]
macro_rules! __doc_run {
    ($krate:literal) => {
        concat!("# ", $krate, "::doc_block_on(async {\n", "# use std::time::Duration;\n")
    };
}

/// The hidden last lines of an example run by `__doc_pair!` or `__doc_run!`.
#[doc(hidden)]
#[macro_export]
macro_rules! __doc_end {
    ($krate:literal) => {
        concat!("# Ok::<(), ", $krate, "::Error>(())\n", "# }).unwrap();")
    };
}

/// Generates a runtime crate's public types and functions for runtime `$rt` (see the module
/// docs). `$krate` is the crate's name as a string (for the examples), `$stream` the TCP stream
/// type its `TcpSocketPipe::from_stream` adopts and `$adopt` a function turning one into the
/// runtime's own stream.
#[doc(hidden)]
#[macro_export]
macro_rules! runtime_crate {
    (runtime: $rt:ty, krate: $krate:literal, stream: $stream:ty, adopt: $adopt:path $(,)?) => {
        pub use $crate::{Bytes, Config, Error, IntoFrame, Side, State, Transport, WaitingFor, DEFAULT_MAX_FRAME_LEN};

        /// What a user of the pipe's `Stream` and `Sink` needs, in one import: the traits and
        /// their extension methods (`next`, `try_collect`, `send`, `feed`, `send_all`,
        /// `forward`...), `stream` to make streams of messages (`stream::iter`) and `future` to
        /// run futures together (`future::join`, `future::select`). From `futures-util`, so that
        /// a program needs no dependency of its own for them.
        ///
        /// ```
        #[doc = concat!("use ", $krate, "::prelude::*;")]
        #[doc = $crate::__doc_pair!($krate, "TcpSocketPipe")]
        /// client.send("one".into()).await?; // SinkExt
        /// assert_eq!(channel.next().await.transpose()?.as_deref(), Some(&b"one"[..])); // StreamExt
        #[doc = $crate::__doc_end!($krate)]
        /// ```
        pub mod prelude {
            pub use $crate::__futures_util::{future, stream, Sink, SinkExt, Stream, StreamExt, TryStream, TryStreamExt};
        }

        #[cfg(unix)]
        $crate::runtime_crate!(@pipe $rt, $krate, PosixNamedPipe, "PosixNamedPipe", $crate::Fifo,
            "A pipe over two POSIX named pipes (FIFOs), the AEA's default on Unix. Unix only.");
        $crate::runtime_crate!(@pipe $rt, $krate, TcpSocketPipe, "TcpSocketPipe", $crate::Tcp,
            "A pipe over one loopback TCP connection, the AEA's default on Windows.");
        $crate::runtime_crate!(@pipe $rt, $krate, LocalPortablePipe, "LocalPortablePipe", $crate::Portable,
            "A pipe over the platform's default transport (FIFOs on Unix, TCP on Windows, as the \
             AEA's `make_ipc_channel`), or either of the others converted with `into()`.");

        #[cfg(unix)]
        impl PosixNamedPipe {
            /// The channel side, with the default [`Config`]: creates a private directory (mode
            /// 0700, unpredictable name) holding two FIFOs (mode 0600), now, so that
            /// [`in_path`](Self::in_path) and [`out_path`](Self::out_path) can be handed to the
            /// peer before [`connect`](Self::connect). Dropping or closing the channel removes
            /// the directory.
            ///
            /// ```
            #[doc = concat!("let channel = ", $krate, "::PosixNamedPipe::new()?;")]
            /// assert!(channel.in_path().ends_with("/process_to_aea"));
            /// assert!(channel.out_path().ends_with("/aea_to_process"));
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn new() -> Result<Self, Error> {
                $crate::Pipe::<$rt, $crate::Fifo>::new().map(Self)
            }

            /// [`new`](Self::new) with a [`Config`].
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::{Config, PosixNamedPipe};")]
            /// let channel = PosixNamedPipe::with_config(Config::default().with_max_frame_len(1 << 20))?;
            /// assert_eq!(channel.config().max_frame_len(), 1 << 20);
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn with_config(config: Config) -> Result<Self, Error> {
                $crate::Pipe::<$rt, $crate::Fifo>::with_config(config).map(Self)
            }

            /// The client side, for a channel created elsewhere (by us, or by Python's
            /// `PosixNamedPipeChannel`): `in_path` is the channel's `out_path` and vice versa.
            /// Nothing is opened before [`connect`](Self::connect).
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::PosixNamedPipe;")]
            /// let channel = PosixNamedPipe::new()?;
            /// let client = PosixNamedPipe::client(channel.out_path(), channel.in_path())?;
            /// assert_eq!(client.in_path(), channel.out_path());
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn client(in_path: &str, out_path: &str) -> Result<Self, Error> {
                $crate::Pipe::<$rt, $crate::Fifo>::client(in_path, out_path).map(Self)
            }

            /// [`client`](Self::client) with a [`Config`].
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::{Config, PosixNamedPipe};")]
            /// let client = PosixNamedPipe::client_with_config("/tmp/x/a", "/tmp/x/b", Config::default())?;
            /// assert_eq!(client.out_path(), "/tmp/x/b");
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn client_with_config(in_path: &str, out_path: &str, config: Config) -> Result<Self, Error> {
                $crate::Pipe::<$rt, $crate::Fifo>::client_with_config(in_path, out_path, config).map(Self)
            }
        }

        impl TcpSocketPipe {
            /// The channel side, with the default [`Config`]: binds a listener on `127.0.0.1` on a
            /// free port, now, so that the port is live before the peer starts;
            /// [`in_path`](Self::in_path) and [`out_path`](Self::out_path) are both that port, as
            /// the AEA gives it. The listener accepts one peer, then closes.
            ///
            /// The peer must be of our own user: on Linux and Android, a connection made by a
            /// process of another user is closed (and logged at warn level with its uid) without
            /// using up the one accept, and [`connect`](Self::connect) keeps waiting for the
            /// right peer until its deadline; [`Config::with_allowed_peer_uids`] and
            /// [`Config::with_any_peer_user`] let others in. macOS, Windows and the other
            /// platforms cannot tell who made a TCP connection: there the first connection is
            /// the peer, whoever made it.
            ///
            /// ```
            #[doc = concat!("let channel = ", $krate, "::TcpSocketPipe::new()?;")]
            /// assert!(channel.in_path().parse::<u16>().is_ok());
            /// assert_eq!(channel.in_path(), channel.out_path());
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn new() -> Result<Self, Error> {
                $crate::Pipe::<$rt, $crate::Tcp>::new().map(Self)
            }

            /// [`new`](Self::new) with a [`Config`].
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::{Config, TcpSocketPipe};")]
            /// let channel = TcpSocketPipe::with_config(Config::default().with_high_water_mark(1 << 20))?;
            /// assert_eq!(channel.config().high_water_mark(), 1 << 20);
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn with_config(config: Config) -> Result<Self, Error> {
                $crate::Pipe::<$rt, $crate::Tcp>::with_config(config).map(Self)
            }

            /// The client side: `in_path` is `"<port>"` (on `127.0.0.1`, as the AEA gives it),
            /// `"<ip>:<port>"` or `"<host>:<port>"`; `out_path` is kept for symmetry (the AEA passes
            /// the same string). Nothing is looked up here: a host name is resolved inside
            /// [`connect`](Self::connect).
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::{Error, TcpSocketPipe};")]
            /// assert!(TcpSocketPipe::client("8000", "8000").is_ok());
            /// assert!(matches!(TcpSocketPipe::client("not a port", ""), Err(Error::InvalidAddress { .. })));
            /// ```
            pub fn client(in_path: &str, out_path: &str) -> Result<Self, Error> {
                $crate::Pipe::<$rt, $crate::Tcp>::client(in_path, out_path).map(Self)
            }

            /// [`client`](Self::client) with a [`Config`].
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::{Config, TcpSocketPipe};")]
            /// let client = TcpSocketPipe::client_with_config("127.0.0.1:9000", "", Config::default())?;
            /// assert_eq!(client.in_path(), "127.0.0.1:9000");
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn client_with_config(in_path: &str, out_path: &str, config: Config) -> Result<Self, Error> {
                $crate::Pipe::<$rt, $crate::Tcp>::client_with_config(in_path, out_path, config).map(Self)
            }

            /// A connected pipe over a TCP connection the application made itself (accepted from
            /// its own listener, or dialled) with this runtime's own socket type, playing `side`.
            /// It is open at once: no `connect`; both paths name the peer's address.
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::{Side, TcpSocketPipe};")]
            #[doc = $crate::__doc_run!($krate)]
            #[doc = concat!("# let (dialled, accepted) = ", $krate, "::doc_tcp_pair().await?;")]
            /// // `dialled` and `accepted`: this runtime's two ends of one loopback connection.
            /// let mut client = TcpSocketPipe::from_stream(dialled, Side::Client, Default::default())?;
            /// let mut channel = TcpSocketPipe::from_stream(accepted, Side::Channel, Default::default())?;
            /// client.write(b"adopted").await?;
            /// assert_eq!(channel.read().await?.as_deref(), Some(&b"adopted"[..]));
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub fn from_stream(stream: $stream, side: Side, config: Config) -> Result<Self, Error> {
                let stream = $adopt(stream)?;
                $crate::Pipe::<$rt, $crate::Tcp>::from_stream(stream, side, config).map(Self)
            }
        }

        impl LocalPortablePipe {
            /// The channel side over the platform's default transport (see [`make_pipe`]).
            ///
            /// ```
            #[doc = concat!("let channel = ", $krate, "::LocalPortablePipe::new()?;")]
            /// # #[cfg(unix)]
            #[doc = concat!("assert_eq!(channel.transport(), ", $krate, "::Transport::Fifo);")]
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn new() -> Result<Self, Error> {
                $crate::make_pipe::<$rt>().map(Self)
            }

            /// [`new`](Self::new) with a [`Config`] (see [`make_pipe_with_config`]).
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::{Config, LocalPortablePipe};")]
            /// let channel = LocalPortablePipe::with_config(Config::default().with_max_frame_len(60_000))?;
            /// assert_eq!(channel.config().max_frame_len(), 60_000);
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn with_config(config: Config) -> Result<Self, Error> {
                $crate::make_pipe_with_config::<$rt>(config).map(Self)
            }

            /// The client side for a rendezvous created elsewhere (see [`make_pipe_client`]).
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::LocalPortablePipe;")]
            /// let channel = LocalPortablePipe::new()?;
            /// let client = LocalPortablePipe::client(channel.out_path(), channel.in_path())?;
            /// assert_eq!(client.transport(), channel.transport());
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn client(in_path: &str, out_path: &str) -> Result<Self, Error> {
                $crate::make_pipe_client::<$rt>(in_path, out_path).map(Self)
            }

            /// [`client`](Self::client) with a [`Config`] (see [`make_pipe_client_with_config`]).
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::{Config, LocalPortablePipe, Transport};")]
            /// let client = LocalPortablePipe::client_with_config("40000", "40000", Config::default())?;
            /// assert_eq!(client.transport(), Transport::Tcp);
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn client_with_config(in_path: &str, out_path: &str, config: Config) -> Result<Self, Error> {
                $crate::make_pipe_client_with_config::<$rt>(in_path, out_path, config).map(Self)
            }
        }

        #[cfg(unix)]
        impl From<PosixNamedPipe> for LocalPortablePipe {
            fn from(pipe: PosixNamedPipe) -> Self {
                Self(pipe.0.into())
            }
        }

        impl From<TcpSocketPipe> for LocalPortablePipe {
            fn from(pipe: TcpSocketPipe) -> Self {
                Self(pipe.0.into())
            }
        }

        /// The channel side with the platform's default transport: FIFOs on Unix, TCP on
        /// Windows, as the AEA's `make_ipc_channel` does.
        ///
        /// ```
        #[doc = concat!("let pipe = ", $krate, "::make_pipe()?;")]
        /// println!("the peer connects with in={} out={}", pipe.out_path(), pipe.in_path());
        #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
        /// ```
        pub fn make_pipe() -> Result<LocalPortablePipe, Error> {
            LocalPortablePipe::new()
        }

        /// [`make_pipe`] with a [`Config`].
        ///
        /// ```
        #[doc = concat!("use ", $krate, "::{make_pipe_with_config, Config};")]
        /// let pipe = make_pipe_with_config(Config::default().with_max_frame_len(60_000))?;
        /// assert_eq!(pipe.config().max_frame_len(), 60_000);
        #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
        /// ```
        pub fn make_pipe_with_config(config: Config) -> Result<LocalPortablePipe, Error> {
            LocalPortablePipe::with_config(config)
        }

        /// The client side for a rendezvous created elsewhere (by us or by a Python AEA), its
        /// paths given swapped (client in = channel out). The transport follows from the
        /// strings, as documented on `pipe_io::make_pipe_client`.
        ///
        /// ```
        #[doc = concat!("use ", $krate, "::{make_pipe, make_pipe_client, Transport};")]
        /// let channel = make_pipe()?;
        /// let client = make_pipe_client(channel.out_path(), channel.in_path())?;
        /// assert_eq!(client.transport(), channel.transport());
        /// assert_eq!(make_pipe_client("40000", "40000")?.transport(), Transport::Tcp);
        #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
        /// ```
        pub fn make_pipe_client(in_path: &str, out_path: &str) -> Result<LocalPortablePipe, Error> {
            LocalPortablePipe::client(in_path, out_path)
        }

        /// [`make_pipe_client`] with a [`Config`].
        ///
        /// ```
        #[doc = concat!("use ", $krate, "::{make_pipe, make_pipe_client_with_config, Config};")]
        /// let channel = make_pipe()?;
        /// let config = Config::default().with_max_frame_len(60_000);
        /// let client = make_pipe_client_with_config(channel.out_path(), channel.in_path(), config)?;
        /// assert_eq!(client.config().max_frame_len(), 60_000);
        #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
        /// ```
        pub fn make_pipe_client_with_config(
            in_path: &str,
            out_path: &str,
            config: Config,
        ) -> Result<LocalPortablePipe, Error> {
            LocalPortablePipe::client_with_config(in_path, out_path, config)
        }

        /// The receiving half of a split pipe: `read`, and a `Stream` of messages that ends when
        /// the peer closes (after an error, the stream ends too). It follows the rules of the
        /// whole pipe; what it learns (the peer's close, a failure) the writer learns at its
        /// next call. [`reunite`](Self::reunite) gives the pipe back.
        ///
        /// ```
        #[doc = concat!("use ", $krate, "::prelude::*;")]
        #[doc = $crate::__doc_pair!($krate, "TcpSocketPipe")]
        /// channel.write(b"x").await?;
        /// channel.write(b"y").await?;
        /// channel.close().await?;
        /// let (reader, _writer) = client.into_split()?;
        /// let all: Vec<_> = reader.try_collect().await?;
        /// assert_eq!(all, ["x", "y"]);
        #[doc = $crate::__doc_end!($krate)]
        /// ```
        #[derive(Debug)]
        pub struct PipeReader($crate::PipeReader<$rt>);

        /// The sending half of a split pipe: `write`, `write_bytes`, `write_batch`, `flush`,
        /// `close`, and a `Sink` of messages (`feed` queues, `flush` writes, `close` sends the
        /// transport's close and releases the write end while the reader keeps working). It
        /// answers as the whole pipe does. A message the `Sink` is given is handed to the OS or
        /// counted: on a failed pipe, `feed` and `send` keep their message (for `take_unsent`)
        /// and answer `Error::Undelivered`, counting it; `send_all` stops at that error, with
        /// the rest of its stream left to the caller.
        ///
        /// ```
        #[doc = concat!("use ", $krate, "::prelude::*;")]
        #[doc = $crate::__doc_pair!($krate, "TcpSocketPipe")]
        /// let (_reader, mut writer) = client.into_split()?;
        /// writer.send("hello".into()).await?;
        /// writer.close().await?;
        /// assert_eq!(channel.read().await?.as_deref(), Some(&b"hello"[..]));
        /// assert_eq!(channel.read().await?, None);
        #[doc = $crate::__doc_end!($krate)]
        /// ```
        #[derive(Debug)]
        pub struct PipeWriter($crate::PipeWriter<$rt>);

        $crate::runtime_crate!(@half_getters $krate, PipeReader, "reader");
        $crate::runtime_crate!(@half_getters $krate, PipeWriter, "writer");

        impl PipeReader {
            /// Reads the next message: `Some(payload)`, or `None` once the peer closed (and on
            /// every later call). Cancel-safe. The same answers as the whole pipe's `read`.
            ///
            /// ```
            #[doc = $crate::__doc_pair!($krate, "TcpSocketPipe")]
            /// let (mut reader, _writer) = client.into_split()?;
            /// channel.write(b"m").await?;
            /// assert_eq!(reader.read().await?.as_deref(), Some(&b"m"[..]));
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub fn read(&mut self) -> impl ::std::future::Future<Output = Result<Option<Bytes>, Error>> + '_ {
                self.0.read()
            }

            /// Reads the next message and hands it to `f` where it lies, without copying or
            /// allocating: `Some(f(payload))`, or `None` once the peer closed (and on every
            /// later call). Cancel-safe. The same answers as the whole pipe's `read_with`, and
            /// as this reader's [`read`](Self::read).
            ///
            /// ```
            #[doc = $crate::__doc_pair!($krate, "TcpSocketPipe")]
            /// let (mut reader, _writer) = client.into_split()?;
            /// channel.write(b"in place").await?;
            /// channel.close().await?;
            /// assert_eq!(reader.read_with(|msg| msg.starts_with(b"in")).await?, Some(true));
            /// assert_eq!(reader.read_with(|msg| msg.len()).await?, None);
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub async fn read_with<T>(&mut self, f: impl FnOnce(&[u8]) -> T) -> Result<Option<T>, Error> {
                self.0.read_with(f).await
            }

            /// Hands the next message and every other whole message already received to `f`, in
            /// place, in order: `Some(count)`, or `None` once the peer closed. Cancel-safe. The
            /// same answers as the whole pipe's `read_batch_with`.
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::Bytes;")]
            #[doc = $crate::__doc_pair!($krate, "TcpSocketPipe")]
            /// let (mut reader, _writer) = client.into_split()?;
            /// channel.write_batch(["a", "bc"].map(Bytes::from)).await?;
            /// channel.close().await?;
            /// let mut bytes = 0;
            /// while reader.read_batch_with(|msg| bytes += msg.len()).await?.is_some() {}
            /// assert_eq!(bytes, 3);
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub async fn read_batch_with(&mut self, f: impl FnMut(&[u8])) -> Result<Option<usize>, Error> {
                self.0.read_batch_with(f).await
            }

            /// Whether the peer's close has been read.
            ///
            /// ```
            #[doc = $crate::__doc_pair!($krate, "TcpSocketPipe")]
            /// let (mut reader, _writer) = client.into_split()?;
            /// channel.close().await?;
            /// assert_eq!(reader.read().await?, None);
            /// assert!(reader.peer_closed());
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub fn peer_closed(&self) -> bool {
                self.0.peer_closed()
            }

            /// Puts the pipe back together from this reader and the writer split off with it,
            /// in whatever state the halves reached. Halves of different pipes are handed back
            /// unchanged.
            ///
            /// ```
            #[doc = $crate::__doc_pair!($krate, "TcpSocketPipe")]
            /// let (reader, writer) = client.into_split()?;
            /// let mut client = reader.reunite(writer).expect("the halves of one pipe");
            /// client.write(b"whole again").await?;
            /// assert_eq!(channel.read().await?.as_deref(), Some(&b"whole again"[..]));
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            // Handing the halves back by value is the point: the caller keeps them.
            #[allow(clippy::result_large_err)]
            pub fn reunite(self, writer: PipeWriter) -> Result<LocalPortablePipe, (PipeReader, PipeWriter)> {
                self.0.reunite(writer.0).map(LocalPortablePipe).map_err(|(r, w)| (PipeReader(r), PipeWriter(w)))
            }
        }

        $crate::runtime_crate!(@stream PipeReader);

        impl PipeWriter {
            /// Takes back, in order, every message a failure left unsent, the one cut
            /// mid-write whole, then the rest of a batch it cut and any message handed over by
            /// value since (a `Sink`'s item): as many as `Error::Undelivered` counts; empty while
            /// the writer is open (see the whole pipe's `take_unsent`).
            ///
            /// ```
            #[doc = $crate::__doc_pair!($krate, "TcpSocketPipe")]
            /// let (_reader, mut writer) = channel.into_split()?;
            /// drop(client);
            /// let big = vec![7u8; 8 << 20];
            /// assert!(writer.write(&big).await.is_err());
            /// assert_eq!(writer.take_unsent(), [big]);
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub fn take_unsent(&mut self) -> Vec<Bytes> {
                self.0.take_unsent()
            }

            /// Sends one message (copied once) and returns when it is with the OS; the same
            /// answers as the whole pipe's `write`.
            ///
            /// ```
            #[doc = $crate::__doc_pair!($krate, "TcpSocketPipe")]
            /// let (_reader, mut writer) = client.into_split()?;
            /// writer.write(b"w").await?;
            /// assert_eq!(channel.read().await?.as_deref(), Some(&b"w"[..]));
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub fn write<'a>(&'a mut self, data: &'a [u8]) -> impl ::std::future::Future<Output = Result<(), Error>> + 'a {
                self.0.write(data)
            }

            /// Sends one message without copying it.
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::Bytes;")]
            #[doc = $crate::__doc_pair!($krate, "TcpSocketPipe")]
            /// let (_reader, mut writer) = client.into_split()?;
            /// writer.write_bytes(Bytes::from_static(b"zero-copy")).await?;
            /// assert_eq!(channel.read().await?.as_deref(), Some(&b"zero-copy"[..]));
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub fn write_bytes(&mut self, data: Bytes) -> impl ::std::future::Future<Output = Result<(), Error>> + '_ {
                self.0.write_bytes(data)
            }

            /// Sends many messages with as few system calls as the queue allows; stops at the
            /// first invalid message, after sending the ones before it. Messages of any
            /// [`IntoFrame`] kind: borrowed ones are copied, large owned ones queued as they are.
            ///
            /// A failure mid-batch loses nothing unsaid: every message the batch takes is handed
            /// to the OS or counted. When the pipe fails during the batch (the peer died, the
            /// connection was reset), the rest of the batch is still taken, kept after the
            /// message the failure cut, and counted: `Error::Undelivered` counts every message of
            /// the batch that did not reach the OS, `take_unsent` gives them back in order, and a
            /// reconnect sends them first, whole, to the next peer.
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::Bytes;")]
            #[doc = $crate::__doc_pair!($krate, "TcpSocketPipe")]
            /// let (_reader, mut writer) = client.into_split()?;
            /// writer.write_batch((0..10u8).map(|i| Bytes::from(vec![i; 8]))).await?;
            /// for i in 0..10u8 {
            ///     assert_eq!(channel.read().await?.unwrap()[0], i);
            /// }
            /// writer.write_batch(["borrowed", "text"]).await?;
            /// assert_eq!(channel.read().await?.as_deref(), Some(&b"borrowed"[..]));
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub async fn write_batch<I>(&mut self, frames: I) -> Result<(), Error>
            where
                I: IntoIterator,
                I::Item: $crate::IntoFrame,
            {
                self.0.write_batch(frames).await
            }

            /// Writes whatever is queued and returns when it is with the OS.
            ///
            /// ```
            #[doc = $crate::__doc_pair!($krate, "TcpSocketPipe")]
            /// let (_reader, mut writer) = client.into_split()?;
            /// writer.flush().await?; // nothing queued: at once
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub async fn flush(&mut self) -> Result<(), Error> {
                self.0.flush().await
            }

            /// Sends the close (FIFO: the zero frame; TCP: a half-close) and releases the write
            /// end; the reader goes on. `Ok(())` once every message queued before it was handed
            /// to the OS, [`Error::Undelivered`] when messages were lost. Closing again gives the
            /// same answer.
            ///
            /// ```
            #[doc = $crate::__doc_pair!($krate, "TcpSocketPipe")]
            /// let (_reader, mut writer) = client.into_split()?;
            /// writer.close().await?;
            /// writer.close().await?;
            /// assert_eq!(channel.read().await?, None);
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub async fn close(&mut self) -> Result<(), Error> {
                self.0.close().await
            }
        }

        $crate::runtime_crate!(@sink PipeWriter);
    };

    // ---- one pipe type: the struct, every method but the constructors, Stream and Sink ----
    (@pipe $rt:ty, $krate:literal, $name:ident, $name_str:literal, $kind:ty, $summary:literal) => {
        #[doc = $summary]
        ///
        /// The **channel** side (`new`, `with_config`) creates the rendezvous at once, so its
        /// paths can be handed to the peer before `connect`; the **client** side (`client`,
        /// `client_with_config`) is given those two strings swapped: client in = channel out.
        /// What every call answers in every situation (the peer closed, died, half-closed; a
        /// failure; a cancelled write) is the behaviour table of `pipe_io::behaviour`, the same
        /// on every runtime and transport.
        ///
        /// ```
        #[doc = $crate::__doc_pair!($krate, $name_str)]
        /// client.write(b"ping").await?;
        /// assert_eq!(channel.read().await?.as_deref(), Some(&b"ping"[..]));
        /// client.close().await?;
        /// assert_eq!(channel.read().await?, None, "the peer closed");
        /// channel.close().await?;
        #[doc = $crate::__doc_end!($krate)]
        /// ```
        #[derive(Debug)]
        pub struct $name($crate::Pipe<$rt, $kind>);

        impl $name {
            /// Where this end reads: the path (FIFO) or port (TCP) to hand to the peer as its
            /// `out_path`.
            ///
            /// ```
            #[doc = concat!("let pipe = ", $krate, "::", $name_str, "::new()?;")]
            /// assert!(!pipe.in_path().is_empty());
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn in_path(&self) -> &str {
                self.0.in_path()
            }

            /// Where this end writes: to hand to the peer as its `in_path`.
            ///
            /// ```
            #[doc = concat!("let pipe = ", $krate, "::", $name_str, "::new()?;")]
            /// assert!(!pipe.out_path().is_empty());
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn out_path(&self) -> &str {
                self.0.out_path()
            }

            /// The transport: FIFO or TCP.
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::{", $name_str, ", Transport};")]
            #[doc = concat!("let transport = ", $name_str, "::new()?.transport();")]
            /// assert!(matches!(transport, Transport::Fifo | Transport::Tcp));
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn transport(&self) -> Transport {
                self.0.transport()
            }

            /// Channel (created the rendezvous) or client.
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::{", $name_str, ", Side};")]
            #[doc = concat!("assert_eq!(", $name_str, "::new()?.side(), Side::Channel);")]
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn side(&self) -> Side {
                self.0.side()
            }

            /// Where the pipe is in its life: `Idle`, `Connecting`, `Open` (also after the
            /// peer closed: see [`peer_closed`](Self::peer_closed)), `Closing`, `Closed`, or
            /// `Failed`.
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::{", $name_str, ", State};")]
            #[doc = concat!("assert_eq!(", $name_str, "::new()?.state(), State::Idle);")]
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn state(&self) -> State {
                self.0.state()
            }

            /// Whether the peer's close has been read: [`read`](Self::read) answers `Ok(None)`
            /// and writes are refused with [`Error::PeerClosed`] (unless
            /// `Config::with_half_close`).
            ///
            /// ```
            #[doc = $crate::__doc_pair!($krate, $name_str)]
            /// client.close().await?;
            /// assert!(!channel.peer_closed(), "not read yet");
            /// assert_eq!(channel.read().await?, None);
            /// assert!(channel.peer_closed());
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub fn peer_closed(&self) -> bool {
                self.0.peer_closed()
            }

            /// The configuration the pipe was made with.
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::{", $name_str, ", Config};")]
            #[doc = concat!("assert_eq!(", $name_str, "::new()?.config(), &Config::default());")]
            #[doc = concat!("# Ok::<(), ", $krate, "::Error>(())")]
            /// ```
            pub fn config(&self) -> &Config {
                self.0.config()
            }

            /// Connects to the peer, retrying while it is not there yet, and fails with
            /// [`Error::Timeout`] once `timeout` has passed. Each call gets the whole `timeout`.
            /// Returns when the pipe is usable both ways. Cancel-safe: a dropped connect can be
            /// called again; after a failed connect, another may follow.
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::{", $name_str, ", Error};")]
            #[doc = $crate::__doc_run!($krate)]
            #[doc = concat!("let mut lonely = ", $name_str, "::new()?;")]
            /// let err = lonely.connect(Duration::from_millis(100)).await.unwrap_err();
            /// assert!(matches!(err, Error::Timeout { .. }));
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub async fn connect(&mut self, timeout: ::std::time::Duration) -> Result<(), Error> {
                self.0.connect(timeout).await
            }

            /// Waits for a new peer on the same rendezvous after the peer closed or the pipe
            /// failed: the channel accepts a new client on the same FIFO paths or port (FIFOs
            /// made anew, listener bound again: nothing of the old connection reaches the new
            /// peer); the client connects again to a channel that waits. Messages a failure
            /// left unsent and not taken with [`take_unsent`](Self::take_unsent) go first,
            /// whole. Messages the OS had accepted that the old peer never read are gone: only
            /// acknowledgements from the peer's application tell which.
            ///
            /// Answers as [`connect`](Self::connect) does, and [`Error::InvalidState`] while the
            /// peer is there or after [`close`](Self::close); [`Error::NoRendezvous`] on a pipe
            /// made from a stream. Start a new FIFO client after the channel's `reconnect`
            /// began: one that opened the old FIFOs times out.
            ///
            /// ```
            #[doc = $crate::__doc_pair!($krate, $name_str)]
            /// client.write(b"from the first client").await?;
            /// drop(client); // its process is gone
            /// assert_eq!(channel.read().await?.as_deref(), Some(&b"from the first client"[..]));
            /// assert_eq!(channel.read().await?, None);
            #[doc = concat!("let mut second = ", $krate, "::", $name_str, "::client(channel.out_path(), channel.in_path())?;")]
            #[doc = concat!("let (a, b) = ", $krate, "::doc_join(channel.reconnect(timeout), second.connect(timeout)).await;")]
            /// (a?, b?);
            /// second.write(b"from the second client").await?;
            /// assert_eq!(channel.read().await?.as_deref(), Some(&b"from the second client"[..]));
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub async fn reconnect(&mut self, timeout: ::std::time::Duration) -> Result<(), Error> {
                self.0.reconnect(timeout).await
            }

            /// Takes back, in order, every message a failure left unsent, the one cut
            /// mid-write whole, so that none is lost without the caller holding it: after
            /// [`Error::Undelivered`] (from a write, flush or close) and while a reconnect has
            /// not completed. Empty on an open pipe. The error keeps its counts; messages not
            /// taken go first after a [`reconnect`](Self::reconnect).
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::Error;")]
            #[doc = $crate::__doc_pair!($krate, $name_str)]
            /// drop(client); // nobody reads any more
            /// let big = vec![7u8; 8 << 20]; // more than the OS buffers hold
            /// let err = channel.write(&big).await.unwrap_err();
            /// assert!(matches!(err, Error::Undelivered { frames: 1, .. }));
            /// assert_eq!(channel.take_unsent(), [big], "whole, though part of it was written");
            /// assert!(channel.take_unsent().is_empty());
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub fn take_unsent(&mut self) -> Vec<Bytes> {
                self.0.take_unsent()
            }

            /// Reads the next message: `Some(payload)`, or `None` once the peer has closed (and
            /// on every later call). Cancel-safe: dropping the future (in `select!`, under a
            /// timeout) loses nothing; the next call continues the same frame.
            ///
            /// ```
            #[doc = $crate::__doc_pair!($krate, $name_str)]
            /// client.write(b"one").await?;
            /// assert_eq!(channel.read().await?.as_deref(), Some(&b"one"[..]));
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub fn read(&mut self) -> impl ::std::future::Future<Output = Result<Option<Bytes>, Error>> + '_ {
                self.0.read()
            }

            /// Reads the next message and hands it to `f` where it lies, in the pipe's read
            /// buffer, without copying it or allocating for it. What it answers:
            ///
            /// - a message: `Some(f(payload))`; the payload is only valid inside `f` (keep what
            ///   you need, or use [`read`](Self::read), which hands out the message as
            ///   [`Bytes`]). A message larger than the read buffer is gathered first, then lent
            ///   whole.
            /// - the peer closed: `None`, on every later call; `f` is not called.
            /// - everything else as [`read`](Self::read) answers it, in every situation: the
            ///   stream cut inside a frame is [`Error::TruncatedFrame`], a header over
            ///   `Config::max_frame_len` is [`Error::PeerFrameTooLarge`] (and stays the answer),
            ///   after our close [`Error::ClosedLocally`]. `read` and `read_with` may be mixed:
            ///   the messages come in order, whichever takes them.
            ///
            /// Cancel-safe: `f` is called by the poll that completes, so a `read_with` dropped
            /// (in `select!`, under a timeout) has taken nothing; the next read continues the
            /// same frame.
            ///
            /// ```
            #[doc = $crate::__doc_pair!($krate, $name_str)]
            /// client.write(b"hello").await?;
            /// client.write(b"world").await?;
            /// client.close().await?;
            /// // Each message looked at where it lies: nothing is allocated for it.
            /// assert_eq!(channel.read_with(|msg| msg.len()).await?, Some(5));
            /// assert_eq!(channel.read_with(|msg| msg == b"world").await?, Some(true));
            /// assert_eq!(channel.read_with(|msg| msg.len()).await?, None, "the peer closed");
            /// assert_eq!(channel.read_with(|msg| msg.len()).await?, None, "and stays closed");
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            ///
            /// A message over the maximum is refused on its header, as `read` refuses it:
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::{", $name_str, ", Config, Error};")]
            #[doc = $crate::__doc_run!($krate)]
            #[doc = concat!("let mut channel = ", $name_str, "::with_config(Config::default().with_max_frame_len(4))?;")]
            #[doc = concat!("let mut client = ", $name_str, "::client(channel.out_path(), channel.in_path())?;")]
            /// let timeout = Duration::from_secs(5);
            #[doc = concat!("let (a, b) = ", $krate, "::doc_join(channel.connect(timeout), client.connect(timeout)).await;")]
            /// a?;
            /// b?;
            /// client.write(b"too long").await?;
            /// let err = channel.read_with(|msg| msg.len()).await.unwrap_err();
            /// assert!(matches!(err, Error::PeerFrameTooLarge { declared: 8, max: 4 }), "{err}");
            /// assert!(matches!(channel.read_with(|msg| msg.len()).await, Err(Error::PeerFrameTooLarge { .. })));
            /// assert!(matches!(channel.read().await, Err(Error::PeerFrameTooLarge { .. })), "whichever reads");
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub async fn read_with<T>(&mut self, f: impl FnOnce(&[u8]) -> T) -> Result<Option<T>, Error> {
                self.0.read_with(f).await
            }

            /// [`read_with`](Self::read_with) for every message that has arrived: waits for the
            /// next message, then hands it and every other whole message already received to
            /// `f`, in order, where they lie, without waiting for more. What it answers:
            ///
            /// - messages: `Some(count)`, how many `f` was given (at least one). The fastest way
            ///   to take many small messages: one call for all that one read brought.
            /// - the peer closed, before any message of this call: `None`, on every later call.
            /// - an error before any message of this call: the error `read` gives.
            /// - a close or an error after messages: those messages are this call's answer, and
            ///   the close or the error the next call's, as `read` would answer them one by one
            ///   (until then, [`peer_closed`](Self::peer_closed) is false and writes go on).
            ///
            /// Cancel-safe: `f` is called by the poll that completes, and only then.
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::Bytes;")]
            #[doc = $crate::__doc_pair!($krate, $name_str)]
            /// client.write_batch((1..=100u8).map(|i| Bytes::from(vec![i; 64]))).await?;
            /// client.close().await?;
            /// let (mut messages, mut sum) = (0, 0u32);
            /// let mut calls = 0;
            /// while let Some(count) = channel.read_batch_with(|msg| sum += u32::from(msg[0])).await? {
            ///     messages += count;
            ///     calls += 1;
            /// }
            /// assert_eq!((messages, sum), (100, 5050));
            /// assert!(calls <= messages, "several messages per call, as they arrived");
            /// assert_eq!(channel.read_batch_with(|_| unreachable!()).await?, None, "and closed for good");
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub async fn read_batch_with(&mut self, f: impl FnMut(&[u8])) -> Result<Option<usize>, Error> {
                self.0.read_batch_with(f).await
            }

            /// Sends one message (copied once into the transmit queue) and returns when all of
            /// it is with the OS. An empty or oversized message is refused before anything is
            /// sent. If the future is dropped early, the message is still sent with the next
            /// write or flush. A message that could not be delivered is reported, with every
            /// other one lost with it: [`Error::Undelivered`].
            ///
            /// The Python AEA's FIFO writer loses frames of 64 KiB or more (it ignores partial
            /// writes); our writer never does, but a Python *reader* gets what a Python writer
            /// sends. Between a Rust and a Python end over FIFOs, keep messages under 64 KiB
            /// (`Config::with_max_frame_len(65_535)` makes our side refuse larger ones), or use
            /// TCP.
            ///
            /// The AEA's Go node reads each frame with one `Read` of its size and no loop, so a
            /// frame bigger than what one read returns reaches it cut, and everything after it
            /// out of step. Toward a Go node, keep messages under 64 KiB
            /// (`Config::with_max_frame_len(65_535)`) unless its reader is known to loop. An
            /// empty message it sends arrives as a zero length, which we read as its close.
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::Error;")]
            #[doc = $crate::__doc_pair!($krate, $name_str)]
            /// client.write(b"hello").await?;
            /// assert!(matches!(client.write(b"").await, Err(Error::EmptyFrame)));
            /// assert_eq!(channel.read().await?.as_deref(), Some(&b"hello"[..]));
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub fn write<'a>(&'a mut self, data: &'a [u8]) -> impl ::std::future::Future<Output = Result<(), Error>> + 'a {
                self.0.write(data)
            }

            /// [`write`](Self::write) without copying: the payload is queued by reference
            /// (payloads under `Config::with_coalesce_limit` are copied, which is cheaper than a
            /// separate slice).
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::Bytes;")]
            #[doc = $crate::__doc_pair!($krate, $name_str)]
            /// client.write_bytes(Bytes::from_static(b"by reference")).await?;
            /// assert_eq!(channel.read().await?.as_deref(), Some(&b"by reference"[..]));
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub fn write_bytes(&mut self, data: Bytes) -> impl ::std::future::Future<Output = Result<(), Error>> + '_ {
                self.0.write_bytes(data)
            }

            /// Sends many messages with as few system calls as the queue allows (many small
            /// frames go out in one write), waiting for room whenever the queue reaches its
            /// high-water mark. Stops at the first invalid message: the ones before it are sent.
            /// The messages may be borrowed (`&[u8]`, `&Bytes`, `&str`, `&Vec<u8>`: copied into
            /// the queue, with no buffer of the caller's per message) or owned (`Bytes`,
            /// `Vec<u8>`: a large one is queued without a copy); see [`IntoFrame`].
            ///
            /// A failure mid-batch loses nothing unsaid: every message the batch takes is handed
            /// to the OS or counted. When the pipe fails during the batch (the peer died, the
            /// connection was reset), the rest of the batch is still taken, kept after the
            /// message the failure cut, and counted: `Error::Undelivered` counts every message of
            /// the batch that did not reach the OS, `take_unsent` gives them back in order, and a
            /// reconnect sends them first, whole, to the next peer.
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::Bytes;")]
            #[doc = $crate::__doc_pair!($krate, $name_str)]
            /// client.write_batch((0..100u8).map(|i| Bytes::from(vec![i; 64]))).await?;
            /// for i in 0..100u8 {
            ///     assert_eq!(channel.read().await?.unwrap()[0], i);
            /// }
            /// let kept = vec![Bytes::from_static(b"kept"), Bytes::from_static(b"by the caller")];
            /// client.write_batch(&kept).await?; // no clone per message
            /// assert_eq!(channel.read().await?.as_deref(), Some(&b"kept"[..]));
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub async fn write_batch<I>(&mut self, frames: I) -> Result<(), Error>
            where
                I: IntoIterator,
                I::Item: $crate::IntoFrame,
            {
                self.0.write_batch(frames).await
            }

            /// Writes whatever is queued (after a cancelled write, or `Sink::feed`) and returns
            /// when it is with the OS.
            ///
            /// ```
            #[doc = $crate::__doc_pair!($krate, $name_str)]
            /// client.flush().await?; // nothing queued: returns at once
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub async fn flush(&mut self) -> Result<(), Error> {
                self.0.flush().await
            }

            /// Closes the pipe: queued messages are sent, then the close (FIFO: the zero-length
            /// frame, unless the peer closed first; TCP: a half-close), then every OS object is
            /// released and the channel side removes its FIFO directory, whatever the answer.
            /// `Ok(())` means every message queued before it was handed to the OS; if messages
            /// were lost the answer is [`Error::Undelivered`] with how many messages and bytes,
            /// and why. Closing again gives the same answer. Bound it with a timeout if the peer
            /// may have stopped reading.
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::Error;")]
            #[doc = $crate::__doc_pair!($krate, $name_str)]
            /// client.close().await?;
            /// client.close().await?;
            /// assert!(matches!(client.write(b"late").await, Err(Error::ClosedLocally)));
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub async fn close(&mut self) -> Result<(), Error> {
                self.0.close().await
            }

            /// Splits a connected pipe into a [`PipeReader`] and a [`PipeWriter`] that can be
            /// used from different tasks; [`PipeReader::reunite`] gives the pipe back. The FIFO
            /// directory stays until both are dropped.
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::prelude::*;")]
            #[doc = $crate::__doc_pair!($krate, $name_str)]
            /// let (mut reader, mut writer) = client.into_split()?;
            /// writer.feed("a".into()).await?; // queued
            /// writer.feed("b".into()).await?;
            /// writer.flush().await?; // both in one write
            /// channel.write(b"c").await?;
            /// assert_eq!(reader.next().await.transpose()?.as_deref(), Some(&b"c"[..]));
            /// writer.close().await?; // half-close; the reader still works
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub fn into_split(self) -> Result<(PipeReader, PipeWriter), Error> {
                self.0.into_split().map(|(reader, writer)| (PipeReader(reader), PipeWriter(writer)))
            }
        }

        $crate::runtime_crate!(@stream $name);
        $crate::runtime_crate!(@sink $name);
    };

    // ---- what both halves tell about their pipe ----
    (@half_getters $krate:literal, $half:ident, $var:literal) => {
        impl $half {
            /// Where the pipe reads: the path (FIFO) or port (TCP) handed to the peer as its
            /// `out_path`.
            ///
            /// ```
            #[doc = concat!("use ", $krate, "::{Config, Side, Transport};")]
            #[doc = $crate::__doc_pair!($krate, "TcpSocketPipe")]
            #[doc = concat!("let (reader, writer) = client.into_split()?;\nlet half = &", $var, ";")]
            /// assert_eq!(half.in_path(), channel.out_path());
            /// assert_eq!(half.out_path(), channel.in_path());
            /// assert_eq!((half.side(), half.transport()), (Side::Client, Transport::Tcp));
            /// assert_eq!(half.config(), &Config::default());
            #[doc = $crate::__doc_end!($krate)]
            /// ```
            pub fn in_path(&self) -> &str {
                self.0.in_path()
            }

            /// Where the pipe writes: handed to the peer as its `in_path` (see
            /// [`in_path`](Self::in_path) for an example).
            pub fn out_path(&self) -> &str {
                self.0.out_path()
            }

            /// Channel (created the rendezvous) or client (see [`in_path`](Self::in_path) for an
            /// example).
            pub fn side(&self) -> Side {
                self.0.side()
            }

            /// FIFO or TCP (see [`in_path`](Self::in_path) for an example).
            pub fn transport(&self) -> Transport {
                self.0.transport()
            }

            /// The configuration the pipe was made with (see [`in_path`](Self::in_path) for an
            /// example).
            pub fn config(&self) -> &Config {
                self.0.config()
            }
        }
    };

    // ---- a wrapper's Stream and Sink: the wrapped pipe's or half's ----
    (@stream $ty:ident) => {
        impl $crate::__futures_util::Stream for $ty {
            type Item = Result<Bytes, Error>;

            fn poll_next(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<Option<Self::Item>> {
                ::std::pin::Pin::new(&mut self.get_mut().0).poll_next(cx)
            }
        }
    };
    (@sink $ty:ident) => {
        impl $crate::__futures_util::Sink<Bytes> for $ty {
            type Error = Error;

            fn poll_ready(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<Result<(), Error>> {
                ::std::pin::Pin::new(&mut self.get_mut().0).poll_ready(cx)
            }

            fn start_send(self: ::std::pin::Pin<&mut Self>, item: Bytes) -> Result<(), Error> {
                ::std::pin::Pin::new(&mut self.get_mut().0).start_send(item)
            }

            fn poll_flush(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<Result<(), Error>> {
                ::std::pin::Pin::new(&mut self.get_mut().0).poll_flush(cx)
            }

            fn poll_close(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<Result<(), Error>> {
                ::std::pin::Pin::new(&mut self.get_mut().0).poll_close(cx)
            }
        }
    };
}

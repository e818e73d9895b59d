//! The platform-default constructors, as in the AEA's `make_ipc_channel`.

use pipe_proto::Config;
#[cfg(unix)]
use pipe_proto::Transport;

use crate::error::Error;
use crate::kind::{Portable, Tcp};
use crate::pipe::Pipe;
use crate::runtime::Runtime;

/// The channel side with the platform default: FIFOs on Unix, TCP on Windows (as the AEA does).
///
/// ```
/// # use pipe_tokio::{*, prelude::*};
/// let pipe = make_pipe()?;
/// # #[cfg(unix)]
/// assert_eq!(pipe.transport(), Transport::Fifo);
/// # Ok::<(), pipe_tokio::Error>(())
/// ```
pub fn make_pipe<R: Runtime>() -> Result<Pipe<R, Portable>, Error> {
    make_pipe_with_config(Config::default())
}

/// [`make_pipe`] with a [`Config`].
///
/// ```
/// # use pipe_tokio::{*, prelude::*};
/// let pipe = make_pipe_with_config(Config::default().with_max_frame_len(1000))?;
/// assert_eq!(pipe.config().max_frame_len(), 1000);
/// # Ok::<(), pipe_tokio::Error>(())
/// ```
pub fn make_pipe_with_config<R: Runtime>(config: Config) -> Result<Pipe<R, Portable>, Error> {
    #[cfg(unix)]
    return Ok(Pipe::<R, crate::kind::Fifo>::with_config(config)?.into());
    #[cfg(not(unix))]
    return Ok(Pipe::<R, Tcp>::with_config(config)?.into());
}

/// The client side for a rendezvous created elsewhere, paths given swapped (client in = channel
/// out). Nothing is opened, dialled or looked up before `connect`.
///
/// # Which transport
///
/// Decided by the text of `in_path` alone (never by the file system), on Unix:
///
/// | `in_path` | transport |
/// |---|---|
/// | a decimal port: `"9000"` (the AEA's form; means `127.0.0.1`) | TCP |
/// | an IP address and a decimal port: `"127.0.0.1:9000"`, `"[::1]:9000"` | TCP |
/// | a host name and a decimal port: `"localhost:9000"`, `"a:1"` (resolved by `connect`) | TCP |
/// | anything else: `"/tmp/x/aea_to_process"`, `"/tmp/x:1"`, `"./a:1"`, `"fifo"` | FIFO path |
///
/// A host name is letters, digits, `-`, `_` and dots, so a path with a `/` is never TCP: an
/// absolute path always names a FIFO, and a relative FIFO path that looks like
/// `"<host>:<port>"` (or a bare number) is written with `./` in front (`"./a:1"`, `"./9000"`).
/// The port is 1 to 65535, in digits only. On Windows every `in_path` is TCP, and one that is
/// none of the TCP forms above is [`Error::InvalidAddress`].
///
/// ```
/// # use pipe_tokio::{*, prelude::*};
///
/// let channel = make_pipe()?;
/// let client = make_pipe_client(channel.out_path(), channel.in_path())?;
/// assert_eq!(client.transport(), channel.transport());
/// assert_eq!(make_pipe_client("40000", "40000")?.transport(), Transport::Tcp);
/// assert_eq!(make_pipe_client("localhost:40000", "localhost:40000")?.transport(), Transport::Tcp);
/// # #[cfg(unix)]
/// assert_eq!(make_pipe_client("/tmp/x:1", "/tmp/y:1")?.transport(), Transport::Fifo);
/// # Ok::<(), pipe_tokio::Error>(())
/// ```
pub fn make_pipe_client<R: Runtime>(in_path: &str, out_path: &str) -> Result<Pipe<R, Portable>, Error> {
    make_pipe_client_with_config(in_path, out_path, Config::default())
}

/// [`make_pipe_client`] with a [`Config`].
///
/// ```
/// # use pipe_tokio::{*, prelude::*};
/// let client = make_pipe_client_with_config("40000", "40000", Config::default().with_max_frame_len(1000))?;
/// assert_eq!(client.config().max_frame_len(), 1000);
/// # Ok::<(), pipe_tokio::Error>(())
/// ```
pub fn make_pipe_client_with_config<R: Runtime>(
    in_path: &str,
    out_path: &str,
    config: Config,
) -> Result<Pipe<R, Portable>, Error> {
    #[cfg(unix)]
    if transport_of(in_path) == Transport::Fifo {
        return Ok(Pipe::<R, crate::kind::Fifo>::client_with_config(in_path, out_path, config)?.into());
    }
    Ok(Pipe::<R, Tcp>::client_with_config(in_path, out_path, config)?.into())
}

impl<R: Runtime> Pipe<R, Portable> {
    /// The channel side over the platform's default transport: FIFOs on Unix, TCP on Windows,
    /// as [`make_pipe`] (the AEA's `make_ipc_channel`).
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # use pipe_tokio::{LocalPortablePipe, Transport};
    /// let channel = LocalPortablePipe::new()?;
    /// # #[cfg(unix)]
    /// assert_eq!(channel.transport(), Transport::Fifo);
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn new() -> Result<Self, Error> {
        make_pipe_with_config(Config::default())
    }

    /// [`new`](Self::new) with a [`Config`].
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # use pipe_tokio::{Config, LocalPortablePipe};
    /// let channel = LocalPortablePipe::with_config(Config::default().with_max_frame_len(60_000))?;
    /// assert_eq!(channel.config().max_frame_len(), 60_000);
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn with_config(config: Config) -> Result<Self, Error> {
        make_pipe_with_config(config)
    }

    /// The client side, its transport told by the text of `in_path` as [`make_pipe_client`]
    /// tells it.
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # use pipe_tokio::{LocalPortablePipe, Transport};
    /// let client = LocalPortablePipe::client("40000", "40000")?;
    /// assert_eq!(client.transport(), Transport::Tcp);
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn client(in_path: &str, out_path: &str) -> Result<Self, Error> {
        make_pipe_client_with_config(in_path, out_path, Config::default())
    }

    /// [`client`](Self::client) with a [`Config`].
    ///
    /// ```
    /// # use pipe_tokio::{*, prelude::*};
    /// # use pipe_tokio::{Config, LocalPortablePipe};
    /// let client = LocalPortablePipe::client_with_config("40000", "40000", Config::default())?;
    /// assert_eq!(client.config(), &Config::default());
    /// # Ok::<(), pipe_tokio::Error>(())
    /// ```
    pub fn client_with_config(in_path: &str, out_path: &str, config: Config) -> Result<Self, Error> {
        make_pipe_client_with_config(in_path, out_path, config)
    }
}

/// The rule of [`make_pipe_client`] on Unix: TCP when `in_path` parses as a TCP address (with
/// no lookup), else a FIFO path.
#[cfg(unix)]
fn transport_of(in_path: &str) -> Transport {
    if crate::tcp::parse_address(in_path).is_ok() {
        Transport::Tcp
    } else {
        Transport::Fifo
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn ports_and_socket_addresses_are_tcp() {
        for in_path in ["9000", "1", "65535", "127.0.0.1:9000", "[::1]:9000", "localhost:9000", "example.com:80"] {
            assert_eq!(transport_of(in_path), Transport::Tcp, "{in_path}");
        }
    }

    #[test]
    fn a_relative_name_that_looks_like_host_and_port_is_tcp_and_dot_slash_makes_it_a_path() {
        assert_eq!(transport_of("a:1"), Transport::Tcp);
        assert_eq!(transport_of("./a:1"), Transport::Fifo);
        assert_eq!(transport_of("./9000"), Transport::Fifo);
    }

    #[test]
    fn paths_and_anything_that_is_not_an_address_are_fifos() {
        for in_path in [
            "/tmp/x/aea_to_process",
            "/tmp/x:1",
            "/9000",
            "dir/a:1",
            "fifo",
            "a:0",
            "a:70000",
            "a:b",
            "::1:9000",
            "0",
            "",
        ] {
            assert_eq!(transport_of(in_path), Transport::Fifo, "{in_path}");
        }
    }
}

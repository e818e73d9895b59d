//! The platform-default constructors, as in the AEA's `make_ipc_channel`.

use pipe_proto::Config;

use crate::error::Error;
use crate::kind::{Portable, Tcp};
use crate::pipe::Pipe;
use crate::runtime::Runtime;

/// The channel side with the platform default: FIFOs on Unix, TCP on Windows (as the AEA does).
///
/// ```
/// let pipe = pipe_tokio::make_pipe()?;
/// # #[cfg(unix)]
/// assert_eq!(pipe.transport(), pipe_tokio::Transport::Fifo);
/// # Ok::<(), pipe_tokio::Error>(())
/// ```
pub fn make_pipe<R: Runtime>() -> Result<Pipe<R, Portable>, Error> {
    make_pipe_with_config(Config::default())
}

/// [`make_pipe`] with a [`Config`].
///
/// ```
/// let pipe = pipe_tokio::make_pipe_with_config(pipe_tokio::Config::default().with_max_frame_len(1000))?;
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
/// out). On Unix the paths are FIFOs, unless `in_path` is a TCP address (`"<port>"` or
/// `"<host>:<port>"`) and no file of that name exists; on Windows they are a TCP address.
///
/// ```
/// use pipe_tokio::{make_pipe, make_pipe_client, Transport};
///
/// let channel = make_pipe()?;
/// let client = make_pipe_client(channel.out_path(), channel.in_path())?;
/// assert_eq!(client.transport(), channel.transport());
/// assert_eq!(make_pipe_client("40000", "40000")?.transport(), Transport::Tcp);
/// # Ok::<(), pipe_tokio::Error>(())
/// ```
pub fn make_pipe_client<R: Runtime>(in_path: &str, out_path: &str) -> Result<Pipe<R, Portable>, Error> {
    make_pipe_client_with_config(in_path, out_path, Config::default())
}

/// [`make_pipe_client`] with a [`Config`].
///
/// ```
/// use pipe_tokio::{make_pipe_client_with_config, Config};
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
    {
        let looks_like_tcp = crate::tcp::parse_address(in_path).is_ok() && !std::path::Path::new(in_path).exists();
        if !looks_like_tcp {
            return Ok(Pipe::<R, crate::kind::Fifo>::client_with_config(in_path, out_path, config)?.into());
        }
    }
    Ok(Pipe::<R, Tcp>::client_with_config(in_path, out_path, config)?.into())
}

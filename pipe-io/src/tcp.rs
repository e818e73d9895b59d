//! Loopback TCP: the channel's listener, the client's address (parsed without any lookup when
//! the pipe is made), and the dial that resolves it inside `connect`.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use pipe_proto::Config;

use crate::error::{os_error, Error};
use crate::runtime::Runtime;

/// Binds a listener on `127.0.0.1` on a free port, at once, so the port is live (and cannot be
/// taken by someone else) before the peer starts.
pub(crate) fn bind_loopback() -> io::Result<TcpListener> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|err| os_error("listening on 127.0.0.1", err))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Binds a listener again on `addr`, the channel's own port, for a reconnect. The port was
/// free while the last peer was connected (the listener is closed then); someone may have taken
/// it meanwhile, which is the OS's `AddrInUse` with its code, the address in its message.
pub(crate) fn bind_at(addr: SocketAddr) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(addr).map_err(|err| os_error(format_args!("listening again on {addr}"), err))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Whether the channel takes the connection it accepted from `peer` (on our listener's
/// `local` address) as its peer, by the core's rule ([`Config::admits_peer`]): on Linux and
/// Android, with the uid that owns the other end of the connection as the kernel's socket
/// tables give it, and our effective uid. A refused connection is logged at warn level with
/// that uid and the address; the caller closes it. An error if the tables cannot be read (the
/// connect fails rather than take a peer it cannot vouch for).
///
/// Elsewhere the OS does not say who owns the other end of a TCP connection, and every
/// connection is taken, as before.
pub(crate) fn admit(local: SocketAddr, peer: SocketAddr, config: &Config) -> Result<bool, Error> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        if config.any_peer_user() {
            return Ok(true);
        }
        let owner = crate::peer_user::owner_of_peer(local, peer)
            .map_err(|err| os_error(format_args!("cannot tell who made the TCP connection from {peer}"), err))?;
        let ours = rustix::process::geteuid().as_raw();
        if config.admits_peer(ours, owner) {
            return Ok(true);
        }
        match owner {
            Some(uid) => log::warn!(
                "refused the TCP connection from {peer} to {local}: it belongs to uid {uid}, not to our user \
                 (uid {ours}) or an allowed one; still waiting for our peer"
            ),
            None => log::warn!(
                "refused the TCP connection from {peer} to {local}: its owner cannot be told (uid unknown: its \
                 process has already closed it); still waiting for our peer"
            ),
        }
        Ok(false)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (local, peer, config);
        Ok(true)
    }
}

/// Where a TCP client dials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A socket address known without a lookup: `"<port>"` (on `127.0.0.1`), or a literal IPv4
    /// or bracketed IPv6 address and a port.
    Addr(SocketAddr),
    /// `"<host>:<port>"` with a host name, resolved by each dial, through the runtime.
    Host(String),
}

/// Parses a client address, with no lookup and no IO: `"<port>"` (on `127.0.0.1`, as the AEA
/// gives it; surrounding whitespace is ignored, as Python's `int()` does), `"<ip>:<port>"`
/// (`127.0.0.1:9000`, `[::1]:9000`) or `"<host>:<port>"` where the host is a syntactically
/// valid DNS name (`localhost:9000`). The port is decimal and not 0. Anything else, and an
/// unbracketed IPv6 address, is [`Error::InvalidAddress`].
pub(crate) fn parse_address(text: &str) -> Result<Target, Error> {
    let invalid = || Error::InvalidAddress { address: text.to_owned(), source: None };
    if let Some(port) = decimal_port(text.trim()) {
        return Ok(Target::Addr(SocketAddr::from((Ipv4Addr::LOCALHOST, port))));
    }
    let (host, port) = text.rsplit_once(':').ok_or_else(invalid)?;
    decimal_port(port).ok_or_else(invalid)?;
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(Target::Addr(addr));
    }
    if is_host_name(host) {
        Ok(Target::Host(text.to_owned()))
    } else {
        Err(invalid())
    }
}

/// A port in decimal digits only (no sign, no spaces), from 1 to 65535.
fn decimal_port(text: &str) -> Option<u16> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u16>().ok().filter(|&port| port != 0)
}

/// A DNS name as resolvers take it: dot-separated labels of 1 to 63 letters, digits, `-` and
/// `_` (which some local names use), not starting or ending with `-`, 253 characters at most,
/// an optional final dot. No `/`, so that no absolute path is ever a host name.
fn is_host_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// One dial step: resolves the target if it is a host name (a name that resolves to nothing is
/// [`Error::InvalidAddress`]), then tries each address in turn. `Ok(None)` when every address
/// refused the connection or failed in a way a retry may cure, as long as at least one refused
/// (nobody listens yet: the core decides whether to retry); the first error otherwise.
pub(crate) async fn dial<R: Runtime>(target: &Target) -> Result<Option<R::TcpStream>, Error> {
    let addrs = match target {
        Target::Addr(addr) => vec![*addr],
        Target::Host(host_port) => resolve::<R>(host_port).await?,
    };
    let mut refused = false;
    let mut first_error = None;
    for addr in addrs {
        match R::dial(addr).await {
            Ok(stream) => return Ok(Some(stream)),
            Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => refused = true,
            Err(err) => {
                log::debug!("connect: dialling {addr} failed: {err}");
                first_error.get_or_insert(os_error(format_args!("connecting to {addr}"), err));
            }
        }
    }
    match first_error {
        Some(err) if !refused => Err(err.into()),
        _ => Ok(None),
    }
}

async fn resolve<R: Runtime>(host_port: &str) -> Result<Vec<SocketAddr>, Error> {
    let unresolved = |source| Error::InvalidAddress { address: host_port.to_owned(), source: Some(source) };
    let addrs = R::resolve(host_port).await.map_err(unresolved)?;
    if addrs.is_empty() {
        return Err(unresolved(io::Error::new(io::ErrorKind::NotFound, "no address found")));
    }
    log::debug!("connect: {host_port} resolves to {addrs:?}");
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> Target {
        Target::Addr(text.parse().unwrap())
    }

    #[test]
    fn a_bare_port_means_loopback() {
        assert_eq!(parse_address("8080").unwrap(), addr("127.0.0.1:8080"));
        assert_eq!(parse_address("65535").unwrap(), addr("127.0.0.1:65535"));
        assert_eq!(parse_address(" 8080\n").unwrap(), addr("127.0.0.1:8080"), "as Python's int() reads it");
    }

    #[test]
    fn literal_ipv4_and_bracketed_ipv6_addresses_are_taken_as_they_are() {
        assert_eq!(parse_address("127.0.0.1:9").unwrap(), addr("127.0.0.1:9"));
        assert_eq!(parse_address("10.1.2.3:65535").unwrap(), addr("10.1.2.3:65535"));
        assert_eq!(parse_address("[::1]:9").unwrap(), addr("[::1]:9"));
        assert_eq!(parse_address("[fe80::1%2]:9").unwrap(), addr("[fe80::1%2]:9"));
    }

    #[test]
    fn host_names_are_kept_for_connect_to_resolve() {
        for text in ["localhost:9000", "example.com:1", "my-host.local.:80", "svc_a.internal:443", "a:1"] {
            assert_eq!(parse_address(text).unwrap(), Target::Host(text.to_owned()), "{text}");
        }
        // Constructing never looks names up: one that cannot resolve is accepted here.
        assert_eq!(parse_address("nothing.invalid:9").unwrap(), Target::Host("nothing.invalid:9".into()));
    }

    #[test]
    fn garbage_port_zero_and_unbracketed_ipv6_are_invalid() {
        for text in [
            "",
            "0",
            "x",
            "70000",
            "+80",
            "-1",
            "host:",
            ":80",
            "host:0",
            "host:+80",
            "host:80x",
            "host:70000",
            "host name:80",
            "-host:80",
            "host-:80",
            "a..b:80",
            "/tmp/fifo",
            "/tmp/x:1",
            "./a:1",
            "dir/a:1",
            "::1:80",
            "[::1]",
            "[::1]:0",
            "[zz]:80",
            "127.0.0.1",
            "127.0.0.1:",
            "http://host:80",
        ] {
            assert!(
                matches!(parse_address(text), Err(Error::InvalidAddress { ref address, source: None }) if address == text),
                "{text:?} gave {:?}",
                parse_address(text)
            );
        }
        let long_label = format!("{}:80", "a".repeat(64));
        assert!(parse_address(&long_label).is_err());
    }

    #[test]
    fn an_invalid_address_says_what_was_expected() {
        let err = parse_address("x").unwrap_err();
        assert_eq!(err.to_string(), r#"invalid TCP address "x": expected "<port>", "<ip>:<port>" or "<host>:<port>""#);
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn listener_is_on_loopback() {
        let listener = bind_loopback().unwrap();
        assert!(listener.local_addr().unwrap().ip().is_loopback());
    }
}

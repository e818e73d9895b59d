//! Loopback TCP: the channel's listener and the client's address parsing.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, ToSocketAddrs};

use crate::error::Error;

/// Binds a listener on `127.0.0.1` on a free port, at once, so the port is live (and cannot be
/// taken by someone else) before the peer starts.
pub(crate) fn bind_loopback() -> io::Result<TcpListener> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Parses a client address: `"<port>"` (on `127.0.0.1`, as the AEA gives it) or
/// `"<host>:<port>"`.
pub(crate) fn parse_address(text: &str) -> Result<SocketAddr, Error> {
    let invalid = || Error::InvalidAddress(text.to_owned());
    if let Ok(port) = text.trim().parse::<u16>() {
        return if port == 0 { Err(invalid()) } else { Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port))) };
    }
    let mut addrs = text.to_socket_addrs().map_err(|_| invalid())?;
    addrs.find(|a| a.port() != 0).ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_port_means_loopback() {
        assert_eq!(parse_address("8080").unwrap(), "127.0.0.1:8080".parse().unwrap());
    }

    #[test]
    fn host_and_port_are_accepted() {
        assert_eq!(parse_address("127.0.0.1:9").unwrap(), "127.0.0.1:9".parse().unwrap());
        assert_eq!(parse_address("[::1]:9").unwrap(), "[::1]:9".parse().unwrap());
    }

    #[test]
    fn garbage_and_port_zero_are_invalid() {
        for text in ["", "0", "x", "70000", "host:", "/tmp/fifo"] {
            assert!(matches!(parse_address(text), Err(Error::InvalidAddress(_))), "{text}");
        }
    }

    #[test]
    fn listener_is_on_loopback() {
        let listener = bind_loopback().unwrap();
        assert!(listener.local_addr().unwrap().ip().is_loopback());
    }
}

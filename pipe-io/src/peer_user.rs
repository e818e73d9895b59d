//! Who owns the other end of a loopback TCP connection, from the kernel's socket tables
//! (`/proc/net/tcp` and `/proc/net/tcp6`): Linux and Android only.
//!
//! Each line of those tables is one socket of this network namespace, with its local and
//! remote address and the uid of the user who created it. The other end of a connection we
//! accepted is the socket whose local address is our peer's address and whose remote address
//! is ours. An IPv6 socket connected to an IPv4 address appears in `tcp6` with IPv4-mapped
//! addresses (`::ffff:127.0.0.1`), so both tables are searched, and addresses are compared
//! with mapped ones turned back into IPv4.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::error::os_error;

/// The socket tables, IPv4 first.
const TABLES: [&str; 2] = ["/proc/net/tcp", "/proc/net/tcp6"];

/// One socket of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) local: SocketAddr,
    pub(crate) remote: SocketAddr,
    pub(crate) uid: u32,
    /// The socket's inode; 0 once no process holds the socket any more (an orphaned or
    /// TIME_WAIT socket, whose uid column then reads 0 whoever created it).
    pub(crate) inode: u64,
}

/// The uid of the user owning the other end of the connection from `peer` to our `local`
/// address: `Ok(None)` if that socket is not in the tables, or no process holds it any more
/// (its owner can no longer be told). An error if a table cannot be read.
pub(crate) fn owner_of_peer(local: SocketAddr, peer: SocketAddr) -> io::Result<Option<u32>> {
    for table in TABLES {
        let text = match std::fs::read_to_string(table) {
            Ok(text) => text,
            // No IPv6 in this kernel: there is no tcp6 table to search.
            Err(err) if err.kind() == io::ErrorKind::NotFound && table.ends_with('6') => continue,
            Err(err) => return Err(os_error(table, err)),
        };
        if let Some(entry) = find_peer(&text, local, peer) {
            return Ok((entry.inode != 0).then_some(entry.uid));
        }
    }
    Ok(None)
}

/// The entry of the socket at the other end of the connection from `peer` to `local`, in the
/// text of one table.
pub(crate) fn find_peer(table: &str, local: SocketAddr, peer: SocketAddr) -> Option<Entry> {
    let (local, peer) = (canonical(local), canonical(peer));
    table.lines().skip(1).filter_map(parse_line).find(|entry| entry.local == peer && entry.remote == local)
}

/// Parses one line of a table (`sl local_address rem_address st tx:rx tr:when retrnsmt uid
/// timeout inode ...`); `None` for the header or anything unreadable. Addresses come back
/// canonical: IPv4-mapped IPv6 addresses as IPv4.
pub(crate) fn parse_line(line: &str) -> Option<Entry> {
    let fields: Vec<&str> = line.split_whitespace().take(10).collect();
    if fields.len() < 10 {
        return None;
    }
    Some(Entry {
        local: canonical(parse_address(fields[1])?),
        remote: canonical(parse_address(fields[2])?),
        uid: fields[7].parse().ok()?,
        inode: fields[9].parse().ok()?,
    })
}

/// Parses `ADDR:PORT` as the kernel prints it: the port as a hex number, the address as the
/// hex of each 32-bit word of the address *as the machine stores it* (`%08X` of the word read
/// in host byte order). So on a little-endian machine 127.0.0.1 prints as `0100007F`, and
/// each 4-byte group of an IPv6 address is reversed; on a big-endian one both read in order.
/// Reading each word back in host order (`to_ne_bytes`) gives the bytes in network order on
/// either.
pub(crate) fn parse_address(text: &str) -> Option<SocketAddr> {
    let (address, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |hex: &str| u32::from_str_radix(hex, 16).ok().map(u32::to_ne_bytes);
    let ip = match address.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(address)?)),
        32 => {
            let mut bytes = [0u8; 16];
            for (k, chunk) in bytes.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&word(address.get(8 * k..8 * k + 8)?)?);
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// `addr`, with an IPv4-mapped IPv6 address turned into the IPv4 address it maps (and the
/// IPv6 flow and scope dropped), so that both spellings of one endpoint compare equal.
fn canonical(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), addr.port()),
            None => SocketAddr::new(IpAddr::V6(v6), addr.port()),
        },
        IpAddr::V4(_) => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    // Lines as a little-endian Linux prints them (x86-64, aarch64).
    const TCP: &str = "\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20001 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000     0        0 20002 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:A1B2 0100007F:1F90 01 00000000:00000000 00:00000000 00000000 65534        0 20003 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:C000 0100007F:1F90 06 00000000:00000000 03:00000F9F 00000000     0        0 0 3 0000000000000000
";

    #[cfg(target_endian = "little")]
    #[test]
    fn ipv4_addresses_are_words_in_host_byte_order_and_ports_plain_hex() {
        assert_eq!(parse_address("0100007F:1F90"), Some("127.0.0.1:8080".parse().unwrap()));
        assert_eq!(parse_address("0201A8C0:0016"), Some("192.168.1.2:22".parse().unwrap()));
        assert_eq!(parse_address("00000000:0000"), Some("0.0.0.0:0".parse().unwrap()));
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn ipv6_addresses_are_four_words_each_in_host_byte_order() {
        // ::1, port 443.
        assert_eq!(parse_address("00000000000000000000000001000000:01BB"), Some("[::1]:443".parse().unwrap()));
        // 2001:db8::ff00:42:8329, port 1.
        assert_eq!(
            parse_address("B80D01200000000000FF000029834200:0001"),
            Some("[2001:db8::ff00:42:8329]:1".parse().unwrap())
        );
        // ::ffff:127.0.0.1 (an IPv6 socket connected to an IPv4 address), read as it is...
        let mapped = parse_address("0000000000000000FFFF00000100007F:1F90").unwrap();
        assert_eq!(mapped, "[::ffff:127.0.0.1]:8080".parse().unwrap());
        // ...and compared as the IPv4 address it maps.
        assert_eq!(canonical(mapped), "127.0.0.1:8080".parse().unwrap());
    }

    #[test]
    fn what_is_not_an_address_is_refused() {
        for text in ["", "0100007F", "0100007F:", "0100007F:1F90:1", "100007F:1F90", "0100007G:1F90", "0100007F:10000"]
        {
            assert_eq!(parse_address(text), None, "{text:?}");
        }
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn a_line_gives_both_addresses_the_uid_and_the_inode_and_the_header_nothing() {
        let mut lines = TCP.lines();
        assert_eq!(parse_line(lines.next().unwrap()), None, "the header");
        let listener = parse_line(lines.next().unwrap()).unwrap();
        assert_eq!(listener.local, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(listener.remote, "0.0.0.0:0".parse().unwrap());
        assert_eq!((listener.uid, listener.inode), (0, 20001));
        let theirs = parse_line(lines.nth(1).unwrap()).unwrap();
        assert_eq!((theirs.uid, theirs.inode), (65534, 20003));
        assert_eq!(parse_line("   0: 0100007F:1F90 00000000:0000 0A"), None, "a short line");
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn the_peer_is_the_socket_whose_local_address_is_the_peers_and_remote_address_ours() {
        let ours = "127.0.0.1:8080".parse().unwrap();
        // Our accepted socket (uid 0) has the same two addresses the other way round.
        let peer = find_peer(TCP, ours, "127.0.0.1:41394".parse().unwrap()).unwrap();
        assert_eq!((peer.uid, peer.inode), (65534, 20003));
        // A socket in TIME_WAIT: no process holds it, and the uid column says 0 for anyone.
        let gone = find_peer(TCP, ours, "127.0.0.1:49152".parse().unwrap()).unwrap();
        assert_eq!(gone.inode, 0);
        assert_eq!(find_peer(TCP, ours, "127.0.0.1:1".parse().unwrap()), None);
        let tcp6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0000000000000000FFFF00000100007F:A1B2 0000000000000000FFFF00000100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 777 1 0000000000000000 20 4 30 10 -1
";
        let mapped = find_peer(tcp6, ours, "127.0.0.1:41394".parse().unwrap()).unwrap();
        assert_eq!((mapped.uid, mapped.inode), (1000, 777), "an IPv6 socket connected to our IPv4 port");
    }

    #[test]
    fn the_owner_of_a_live_connection_is_found_in_the_kernels_table() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let local = listener.local_addr().unwrap();
        let _client = TcpStream::connect(local).unwrap();
        let (_accepted, peer) = listener.accept().unwrap();
        let ours = rustix::process::geteuid().as_raw();
        assert_eq!(owner_of_peer(local, peer).unwrap(), Some(ours));
        // Nobody at the other end of a made-up connection.
        assert_eq!(owner_of_peer(local, "127.0.0.1:1".parse().unwrap()).unwrap(), None);
    }

    #[test]
    fn the_owner_of_a_connection_over_ipv6_is_found_too() {
        let listener = match TcpListener::bind("[::1]:0") {
            Ok(listener) => listener,
            Err(err) => {
                // Said, not hidden: the IPv4 test above still covers the lookup.
                eprintln!("NOT RUN: no IPv6 loopback on this machine ({err}), so no /proc/net/tcp6 lookup to test");
                return;
            }
        };
        let local = listener.local_addr().unwrap();
        let _client = TcpStream::connect(local).unwrap();
        let (_accepted, peer) = listener.accept().unwrap();
        assert_eq!(owner_of_peer(local, peer).unwrap(), Some(rustix::process::geteuid().as_raw()));
    }
}

//! What IN and OUT name: a TCP address or a FIFO path, told apart as the pipe library tells them
//! apart (by the text alone, see `make_pipe_client`), with two command-line rules on top, so that
//! a typo is an error at once rather than a wait on a FIFO path nobody will ever make:
//!
//! - text that reads as a port or as `host:port` but is not a valid one (`70000`, `0`,
//!   `localhost:99999`, `::1:9000`) is refused, not taken as a FIFO path (a FIFO of such a name
//!   is written `./70000`);
//! - IN and OUT are both TCP or both FIFO paths, and over TCP they are the same address: one
//!   connection carries both directions (the channel prints its port twice).

use pipe_tokio::Transport;

/// What one argument names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    /// A TCP address, as the library will dial it (`45999` is `127.0.0.1:45999`).
    Tcp(String),
    /// A FIFO path.
    Fifo,
}

/// What `text` names, or why it is refused.
pub fn check(text: &str) -> Result<Named, String> {
    if text.is_empty() {
        return Err("an empty path".into());
    }
    // Making a client opens, dials and looks up nothing: it only reads the text.
    let pipe = pipe_tokio::make_pipe_client(text, text).map_err(|e| e.to_string())?;
    if pipe.transport() == Transport::Tcp {
        // A bare port is on 127.0.0.1, as the AEA means it.
        let trimmed = text.trim();
        return Ok(Named::Tcp(if is_digits(trimmed) { format!("127.0.0.1:{trimmed}") } else { text.to_owned() }));
    }
    let fifo_hint = format!("(a FIFO path of that name is written ./{text})");
    let trimmed = text.trim();
    if is_digits(trimmed) {
        return Err(format!("{text:?} is not a TCP port: ports go from 1 to 65535 {fifo_hint}"));
    }
    match trimmed.rsplit_once(':') {
        Some((_, port)) if !trimmed.contains('/') && is_digits(port) => Err(format!(
            "{text:?} is not a TCP address: expected PORT, IP:PORT or HOST:PORT with a port from 1 to 65535, \
             and an IPv6 address in brackets ([::1]:9000) {fifo_hint}"
        )),
        _ => Ok(Named::Fifo),
    }
}

/// Checks that IN and OUT go together.
pub fn check_pair(in_path: &str, out_path: &str) -> Result<(), String> {
    match (check(in_path)?, check(out_path)?) {
        (Named::Tcp(a), Named::Tcp(b)) if a != b => Err(format!(
            "IN {in_path} and OUT {out_path} are different TCP addresses: over TCP one connection carries \
             both directions, so IN and OUT are the same address (the channel prints it twice)"
        )),
        (Named::Tcp(_), Named::Fifo) => {
            Err(format!("IN {in_path} is a TCP address and OUT {out_path} a FIFO path: give two of the same kind"))
        }
        (Named::Fifo, Named::Tcp(_)) => {
            Err(format!("IN {in_path} is a FIFO path and OUT {out_path} a TCP address: give two of the same kind"))
        }
        _ => Ok(()),
    }
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_addresses_and_paths_are_told_apart_as_the_library_does() {
        assert_eq!(check("45999"), Ok(Named::Tcp("127.0.0.1:45999".into())));
        assert_eq!(check("localhost:45999"), Ok(Named::Tcp("localhost:45999".into())));
        assert_eq!(check("/tmp/x/aea_to_process"), Ok(Named::Fifo));
        assert_eq!(check("/tmp/x:70000"), Ok(Named::Fifo));
        assert_eq!(check("./70000"), Ok(Named::Fifo));
        assert_eq!(check("fifo"), Ok(Named::Fifo));
    }

    #[test]
    fn what_reads_as_an_address_but_is_none_is_refused() {
        for text in ["70000", "0", " 99999", "localhost:70000", "a:0", "::1:9000", "127.0.0.1:65536"] {
            let err = check(text).unwrap_err();
            assert!(err.contains("is not a TCP"), "{text}: {err}");
            assert!(err.contains(&format!("./{text}")), "{text}: {err}");
        }
        assert!(check("").is_err());
    }

    #[test]
    fn in_and_out_are_of_one_kind_and_over_tcp_one_address() {
        assert_eq!(check_pair("45999", "45999"), Ok(()));
        assert_eq!(check_pair("45999", "127.0.0.1:45999"), Ok(()));
        assert_eq!(check_pair("/tmp/a/x", "/tmp/a/y"), Ok(()));
        assert!(check_pair("45999", "46000").unwrap_err().contains("different TCP addresses"));
        assert!(check_pair("45999", "/tmp/a/y").unwrap_err().contains("two of the same kind"));
        assert!(check_pair("/tmp/a/x", "45999").unwrap_err().contains("two of the same kind"));
    }
}

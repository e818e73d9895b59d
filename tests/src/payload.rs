//! Deterministic payloads, the same as `tests/python/aea_peer.py`'s: byte `i` of frame `k` is
//! `(k * 31 + i) % 251`, so both sides can check every byte without sending checksums.

use bytes::Bytes;
use sha2::{Digest, Sha256};

/// The payload of frame number `k` (0-based) with `len` bytes.
pub fn payload(k: usize, len: usize) -> Bytes {
    (0..len).map(|i| ((k * 31 + i) % 251) as u8).collect::<Vec<u8>>().into()
}

/// Whether `data` is exactly `payload(k, data.len())`.
pub fn is_payload(k: usize, data: &[u8]) -> bool {
    data.iter().enumerate().all(|(i, b)| *b == ((k * 31 + i) % 251) as u8)
}

/// Lowercase hex SHA-256, as the Python peer prints it.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_matches_the_python_formula() {
        assert_eq!(&payload(1, 4)[..], &[31, 32, 33, 34]);
        assert!(is_payload(7, &payload(7, 1000)));
        assert!(!is_payload(8, &payload(7, 1000)));
    }
}

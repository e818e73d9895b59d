//! The deterministic payloads of [`crate::payload`], made and checked with `memcpy`/`memcmp`
//! instead of a loop per byte, so that an unoptimised build can move a gigabyte.

use bytes::Bytes;

/// The payload pattern, long enough for the largest frame: byte `j` is `j % 251`, so the
/// payload of frame `k` with `n` bytes is the `n` bytes from offset `(k * 31) % 251`.
#[derive(Debug, Clone)]
pub struct Payloads {
    pattern: Bytes,
}

const PERIOD: usize = 251;

impl Payloads {
    /// Room for frames of up to `max_len` bytes.
    pub fn new(max_len: usize) -> Self {
        let period: Vec<u8> = (0..PERIOD).map(|i| i as u8).collect();
        Self { pattern: period.repeat(max_len / PERIOD + 2).into() }
    }

    /// The largest frame this can make or check.
    pub fn max_len(&self) -> usize {
        self.pattern.len() - PERIOD
    }

    /// Makes room for frames of up to `len` bytes.
    pub fn reserve(&mut self, len: usize) {
        if len > self.max_len() {
            *self = Self::new(len.max(2 * self.max_len()));
        }
    }

    /// Frame `k` with `len` bytes, sharing the pattern's memory (no copy).
    pub fn frame(&self, k: usize, len: usize) -> Bytes {
        let start = Self::offset(k);
        self.pattern.slice(start..start + len)
    }

    /// Frame `k` with `len` bytes in a buffer of its own (one copy).
    pub fn fresh(&self, k: usize, len: usize) -> Bytes {
        let start = Self::offset(k);
        Bytes::copy_from_slice(&self.pattern[start..start + len])
    }

    /// Whether `data` is frame `k` (of its own length). Grows the pattern if needed.
    pub fn check(&mut self, k: usize, data: &[u8]) -> bool {
        self.reserve(data.len());
        let start = Self::offset(k);
        data == &self.pattern[start..start + data.len()]
    }

    /// Frame `seq` of a numbered stream, `len` bytes (at least 8): `seq` as 8 big-endian bytes,
    /// then the first `len - 8` bytes of frame `seq`'s payload, so that a reader can tell which
    /// frame it got, and that it got it whole.
    pub fn sequenced(&self, seq: u64, len: usize) -> Bytes {
        let mut frame = Vec::with_capacity(len);
        frame.extend_from_slice(&seq.to_be_bytes());
        frame.extend_from_slice(&self.frame(seq as usize, len - 8));
        frame.into()
    }

    /// The sequence number of `data` if it is a whole [`sequenced`](Self::sequenced) frame.
    pub fn check_sequenced(&mut self, data: &[u8]) -> Option<u64> {
        let seq = u64::from_be_bytes(data.get(..8)?.try_into().ok()?);
        self.check(seq as usize, &data[8..]).then_some(seq)
    }

    fn offset(k: usize) -> usize {
        (k % PERIOD) * 31 % PERIOD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_the_python_payloads() {
        let mut payloads = Payloads::new(1000);
        for k in [0, 1, 7, 250, 251, 100_000] {
            for len in [1, 251, 252, 1000] {
                assert_eq!(payloads.frame(k, len), crate::payload::payload(k, len), "k={k} len={len}");
                assert_eq!(payloads.fresh(k, len), crate::payload::payload(k, len));
                assert!(payloads.check(k, &crate::payload::payload(k, len)));
            }
        }
        assert!(!payloads.check(1, &crate::payload::payload(2, 10)));
        assert!(payloads.check(3, &crate::payload::payload(3, 5000)), "grows");
    }

    #[test]
    fn a_sequenced_frame_names_its_number_and_is_checked_whole() {
        let mut payloads = Payloads::new(100);
        let frame = payloads.sequenced(258, 50);
        assert_eq!(frame.len(), 50);
        assert_eq!(&frame[..8], &258u64.to_be_bytes());
        assert_eq!(payloads.check_sequenced(&frame), Some(258));
        assert_eq!(payloads.check_sequenced(&frame[..49]), Some(258), "a shorter frame of the same stream");
        let mut cut = frame.to_vec();
        cut[20] ^= 1;
        assert_eq!(payloads.check_sequenced(&cut), None);
        assert_eq!(payloads.check_sequenced(&frame[..7]), None);
    }
}

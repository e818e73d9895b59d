//! Per-connection settings: limits, buffer sizes, the connect retry schedule, the FIFO
//! hangup probe and which users a TCP channel takes as its peer.

use std::time::Duration;

/// Default maximum payload length: 16 MiB.
///
/// Python AEA has no limit at all (a peer can make it allocate whatever a header claims);
/// tokio-util's `LengthDelimitedCodec` defaults to 8 MiB; the AEA's Go peer caps most paths at
/// 3 MiB. 16 MiB leaves room for large AEA envelopes while bounding what a hostile or broken peer
/// can make us buffer. Raise it up to `u32::MAX` with [`Config::with_max_frame_len`].
///
/// ```
/// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
/// assert_eq!(DEFAULT_MAX_FRAME_LEN, 16 * 1024 * 1024);
/// ```
pub const DEFAULT_MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// How a connection behaves: frame limit, buffering and connect retries.
///
/// Built with chained setters from [`Config::default`]:
///
/// ```
/// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
/// use std::time::Duration;
///
/// let config = Config::default()
///     .with_max_frame_len(1024 * 1024)
///     .with_high_water_mark(256 * 1024)
///     .with_retry_delays(Duration::from_millis(1), Duration::from_millis(20));
/// assert_eq!(config.max_frame_len(), 1024 * 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub(crate) max_frame_len: usize,
    pub(crate) high_water_mark: usize,
    pub(crate) read_chunk: usize,
    pub(crate) coalesce_limit: usize,
    pub(crate) first_retry_delay: Duration,
    pub(crate) max_retry_delay: Duration,
    pub(crate) fifo_hangup_probe: Option<Duration>,
    pub(crate) half_close: bool,
    pub(crate) allowed_peer_uids: Vec<u32>,
    pub(crate) any_peer_user: bool,
}

/// Interval of the FIFO hangup probe on Apple platforms, where it is on by default: 1 s. See
/// [`Config::with_fifo_hangup_probe`].
///
/// ```
/// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
/// # assert_eq!(pipe_proto::DEFAULT_FIFO_HANGUP_PROBE, std::time::Duration::from_secs(1));
/// ```
pub const DEFAULT_FIFO_HANGUP_PROBE: Duration = Duration::from_secs(1);

impl Default for Config {
    /// 16 MiB frames, a 128 KiB transmit high-water mark, 64 KiB reads, payloads up to 1 KiB
    /// coalesced, connect retries from 1 ms doubling up to 50 ms, and on Apple platforms a FIFO
    /// hangup probe every second (none elsewhere, where the OS reports the hangup itself), and
    /// a TCP channel that takes only a peer of its own user (where the OS can tell).
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// let config = Config::default();
    /// assert_eq!(config.high_water_mark(), 128 * 1024);
    /// ```
    fn default() -> Self {
        Self {
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            high_water_mark: 128 * 1024,
            read_chunk: 64 * 1024,
            coalesce_limit: 1024,
            first_retry_delay: Duration::from_millis(1),
            max_retry_delay: Duration::from_millis(50),
            // Only where the OS hides the hangup: elsewhere the probe would only cost wake-ups.
            fifo_hangup_probe: if cfg!(target_vendor = "apple") { Some(DEFAULT_FIFO_HANGUP_PROBE) } else { None },
            half_close: false,
            allowed_peer_uids: Vec::new(),
            any_peer_user: false,
        }
    }
}

impl Config {
    /// Largest payload accepted in either direction, 1 to `u32::MAX` bytes (values outside are
    /// clamped to that range). Longer outgoing frames are refused before any byte is written;
    /// longer incoming headers are an error before their payload is buffered.
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// let config = Config::default().with_max_frame_len(0);
    /// assert_eq!(config.max_frame_len(), 1);
    /// ```
    pub fn with_max_frame_len(mut self, len: usize) -> Self {
        self.max_frame_len = len.clamp(1, u32::MAX as usize);
        self
    }

    /// Bytes queued for sending above which the pipe stops accepting more until some are written
    /// (backpressure). A single frame larger than this is still accepted when the queue is empty.
    /// At least 1.
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// let config = Config::default().with_high_water_mark(4096);
    /// assert_eq!(config.high_water_mark(), 4096);
    /// ```
    pub fn with_high_water_mark(mut self, bytes: usize) -> Self {
        self.high_water_mark = bytes.max(1);
        self
    }

    /// Size of one read from the OS (at least 16 bytes). A pipe starts with 4 KiB reads (or this
    /// size, if smaller) and doubles them up to this size while reads fill all the space given, so
    /// an idle pipe holds 4 KiB, not a whole chunk. Large frames are read in chunks that grow with
    /// the bytes that arrived, never with the length a header claims.
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// let config = Config::default().with_read_chunk(16 * 1024);
    /// assert_eq!(config.read_chunk(), 16 * 1024);
    /// ```
    pub fn with_read_chunk(mut self, bytes: usize) -> Self {
        self.read_chunk = bytes.max(16);
        self
    }

    /// Payloads up to this length are copied into one contiguous transmit buffer, so that many
    /// small frames go out in one write; longer payloads are queued by reference, never copied.
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// let config = Config::default().with_coalesce_limit(0); // never copy
    /// assert_eq!(config.coalesce_limit(), 0);
    /// ```
    pub fn with_coalesce_limit(mut self, bytes: usize) -> Self {
        self.coalesce_limit = bytes;
        self
    }

    /// The connect retry schedule: the first retry waits `first`, each next one twice as long, up
    /// to `max`. Retries never go past the connect deadline.
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// use std::time::Duration;
    ///
    /// let config = Config::default().with_retry_delays(Duration::from_millis(5), Duration::from_millis(5));
    /// assert_eq!(config.retry_delays(), (Duration::from_millis(5), Duration::from_millis(5)));
    /// ```
    pub fn with_retry_delays(mut self, first: Duration, max: Duration) -> Self {
        self.first_retry_delay = first;
        self.max_retry_delay = max.max(first);
        self
    }

    /// How often a FIFO reader that is waiting for data checks whether the peer's write end is
    /// still open; `None` turns the check off. TCP does not use it.
    ///
    /// A FIFO reads as end-of-file once its last writer is gone, but on macOS (and iOS) the OS
    /// never tells a reader that is already waiting: only new data wakes it. A peer that dies
    /// without sending the zero-length close frame would leave such a reader waiting forever.
    /// With the probe, a read that has waited this long tries the FIFO once more without
    /// waiting, so the reader sees the peer's end (a close, or a cut frame) within one interval.
    /// On by default on Apple platforms, every second; off by default elsewhere, since Linux
    /// and the BSDs report the hangup at once and the probe would only cost one timer and one
    /// read per interval while a read waits.
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// use std::time::Duration;
    ///
    /// let config = Config::default().with_fifo_hangup_probe(Some(Duration::from_millis(100)));
    /// assert_eq!(config.fifo_hangup_probe(), Some(Duration::from_millis(100)));
    /// let at_least_1_ms = config.with_fifo_hangup_probe(Some(Duration::ZERO));
    /// assert_eq!(at_least_1_ms.fifo_hangup_probe(), Some(Duration::from_millis(1)));
    /// ```
    pub fn with_fifo_hangup_probe(mut self, interval: Option<Duration>) -> Self {
        self.fifo_hangup_probe = interval.map(|every| every.max(Duration::from_millis(1)));
        self
    }

    /// Whether the peer's close ends only the peer's direction. Off by default, as in the AEA:
    /// once the peer's close has been received, the peer is done, sends are refused with
    /// `PeerClosed` and our close sends no FIFO close marker. On, the close is a half-close
    /// (as with `shutdown(Write)` on a socket, or `nc -N`): we may go on sending after the
    /// peer's close, until our own close (which then always sends the marker) or until the OS
    /// refuses a write because the peer has gone altogether.
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// let config = Config::default().with_half_close(true);
    /// assert!(config.half_close());
    /// ```
    pub fn with_half_close(mut self, on: bool) -> Self {
        self.half_close = on;
        self
    }

    /// Which other users a TCP channel takes as its peer, by uid, besides its own effective
    /// user, who is always taken. Empty by default: only our own user. Replaces any list set
    /// before.
    ///
    /// A TCP channel listens on a loopback port that every local user can connect to. On Linux
    /// (and Android) the channel looks up who owns the socket at the other end of each
    /// connection it accepts (in `/proc/net/tcp` and `/proc/net/tcp6`), asks
    /// [`Config::admits_peer`], and closes a connection of any other user, logging its uid and
    /// address at warn level, without using up its one accept: it keeps waiting for the right
    /// peer until the connect deadline. A connection whose owner cannot be found (its socket
    /// was already closed by its process) is refused the same way.
    ///
    /// **macOS, Windows and the other platforms cannot tell** who owns the other end of a TCP
    /// connection: there the channel takes the first connection, whoever made it, and this
    /// setting has no effect. Use FIFOs there (the default on Unix) when other users share the
    /// machine.
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// let config = Config::default().with_allowed_peer_uids([1001, 1002]);
    /// assert_eq!(config.allowed_peer_uids(), &[1001, 1002]);
    /// assert!(config.admits_peer(1000, Some(1002)));
    /// assert!(!config.admits_peer(1000, Some(1003)));
    /// ```
    pub fn with_allowed_peer_uids(mut self, uids: impl IntoIterator<Item = u32>) -> Self {
        self.allowed_peer_uids = uids.into_iter().collect();
        self
    }

    /// Whether a TCP channel takes a peer of any user: off by default. On, the channel takes
    /// the first connection, whoever made it, without looking up its owner, as it does on
    /// platforms that cannot tell (see [`Config::with_allowed_peer_uids`]).
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// let config = Config::default().with_any_peer_user(true);
    /// assert!(config.any_peer_user());
    /// assert!(config.admits_peer(1000, Some(0)));
    /// assert!(config.admits_peer(1000, None));
    /// ```
    pub fn with_any_peer_user(mut self, any: bool) -> Self {
        self.any_peer_user = any;
        self
    }

    /// See [`Config::with_allowed_peer_uids`].
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// assert!(Config::default().allowed_peer_uids().is_empty());
    /// ```
    pub fn allowed_peer_uids(&self) -> &[u32] {
        &self.allowed_peer_uids
    }

    /// See [`Config::with_any_peer_user`].
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// assert!(!Config::default().any_peer_user());
    /// ```
    pub fn any_peer_user(&self) -> bool {
        self.any_peer_user
    }

    /// The rule a TCP channel applies to each connection it accepts: does it take, as its
    /// peer, a connection whose socket belongs to `peer_uid` (`None`: the OS could not say
    /// whose it is), when the channel runs as `our_uid` (its effective uid)? Yes for our own
    /// user and the [allowed](Config::with_allowed_peer_uids) ones, and for anyone with
    /// [`Config::with_any_peer_user`]; no for an unknown owner otherwise. No IO: the IO layer
    /// finds the uids and carries out the answer (closing a refused connection, and answering
    /// [`ConnectAction::Accept`](crate::ConnectAction::Accept) with
    /// [`Event::NotReady`](crate::Event::NotReady) so that the accept is retried).
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// let config = Config::default();
    /// assert!(config.admits_peer(1000, Some(1000)), "our own user");
    /// assert!(!config.admits_peer(1000, Some(1001)), "another user");
    /// assert!(!config.admits_peer(1000, Some(0)), "even root");
    /// assert!(!config.admits_peer(1000, None), "an owner nobody can name");
    /// ```
    pub fn admits_peer(&self, our_uid: u32, peer_uid: Option<u32>) -> bool {
        self.any_peer_user || peer_uid.is_some_and(|uid| uid == our_uid || self.allowed_peer_uids.contains(&uid))
    }

    /// See [`Config::with_half_close`].
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// assert!(!Config::default().half_close());
    /// ```
    pub fn half_close(&self) -> bool {
        self.half_close
    }

    /// See [`Config::with_max_frame_len`].
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// assert_eq!(Config::default().max_frame_len(), DEFAULT_MAX_FRAME_LEN);
    /// ```
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// See [`Config::with_high_water_mark`].
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// assert!(Config::default().high_water_mark() > 0);
    /// ```
    pub fn high_water_mark(&self) -> usize {
        self.high_water_mark
    }

    /// See [`Config::with_read_chunk`].
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// assert_eq!(Config::default().read_chunk(), 64 * 1024);
    /// ```
    pub fn read_chunk(&self) -> usize {
        self.read_chunk
    }

    /// See [`Config::with_coalesce_limit`].
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// assert_eq!(Config::default().coalesce_limit(), 1024);
    /// ```
    pub fn coalesce_limit(&self) -> usize {
        self.coalesce_limit
    }

    /// See [`Config::with_retry_delays`].
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// let (first, max) = Config::default().retry_delays();
    /// assert!(first <= max);
    /// ```
    pub fn retry_delays(&self) -> (Duration, Duration) {
        (self.first_retry_delay, self.max_retry_delay)
    }

    /// See [`Config::with_fifo_hangup_probe`].
    ///
    /// ```
    /// # use pipe_proto::{Config, DEFAULT_MAX_FRAME_LEN};
    /// let config = Config::default();
    /// # let expected = cfg!(target_vendor = "apple").then_some(pipe_proto::DEFAULT_FIFO_HANGUP_PROBE);
    /// assert_eq!(config.fifo_hangup_probe(), expected);
    /// assert_eq!(config.with_fifo_hangup_probe(None).fifo_hangup_probe(), None);
    /// ```
    pub fn fifo_hangup_probe(&self) -> Option<Duration> {
        self.fifo_hangup_probe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_values() {
        let config = Config::default();
        assert_eq!(DEFAULT_MAX_FRAME_LEN, 16_777_216);
        assert_eq!(config.max_frame_len(), 16_777_216);
        assert_eq!(config.high_water_mark(), 131_072);
        assert_eq!(config.read_chunk(), 65_536);
        assert_eq!(config.coalesce_limit(), 1024);
        assert_eq!(config.retry_delays(), (Duration::from_millis(1), Duration::from_millis(50)));
        let probe = if cfg!(target_vendor = "apple") { Some(Duration::from_secs(1)) } else { None };
        assert_eq!(config.fifo_hangup_probe(), probe);
        assert_eq!(DEFAULT_FIFO_HANGUP_PROBE, Duration::from_secs(1));
        assert!(!config.half_close());
        assert!(config.allowed_peer_uids().is_empty());
        assert!(!config.any_peer_user());
    }

    #[test]
    fn every_setting_reads_back_as_set() {
        let config = Config::default()
            .with_max_frame_len(1000)
            .with_high_water_mark(2000)
            .with_read_chunk(3000)
            .with_coalesce_limit(40)
            .with_retry_delays(Duration::from_millis(5), Duration::from_millis(70))
            .with_fifo_hangup_probe(Some(Duration::from_millis(250)))
            .with_half_close(true)
            .with_allowed_peer_uids([7, 8])
            .with_any_peer_user(true);
        assert_eq!(config.max_frame_len(), 1000);
        assert_eq!(config.high_water_mark(), 2000);
        assert_eq!(config.read_chunk(), 3000);
        assert_eq!(config.coalesce_limit(), 40);
        assert_eq!(config.retry_delays(), (Duration::from_millis(5), Duration::from_millis(70)));
        assert_eq!(config.fifo_hangup_probe(), Some(Duration::from_millis(250)));
        assert!(config.half_close());
        assert_eq!(config.allowed_peer_uids(), &[7, 8]);
        assert!(config.any_peer_user());
        assert_eq!(config.with_fifo_hangup_probe(None).fifo_hangup_probe(), None);
    }

    #[test]
    fn settings_are_clamped_to_what_works() {
        let config = Config::default()
            .with_max_frame_len(0)
            .with_high_water_mark(0)
            .with_read_chunk(0)
            .with_retry_delays(Duration::from_millis(9), Duration::from_millis(2))
            .with_fifo_hangup_probe(Some(Duration::ZERO));
        assert_eq!(config.max_frame_len(), 1);
        assert_eq!(config.high_water_mark(), 1);
        assert_eq!(config.read_chunk(), 16);
        assert_eq!(config.retry_delays(), (Duration::from_millis(9), Duration::from_millis(9)));
        assert_eq!(config.fifo_hangup_probe(), Some(Duration::from_millis(1)));
        #[cfg(target_pointer_width = "64")]
        assert_eq!(Config::default().with_max_frame_len(usize::MAX).max_frame_len(), u32::MAX as usize);
    }

    #[test]
    fn a_tcp_peer_is_taken_if_it_is_ours_or_allowed_and_never_if_nobody_can_say_whose_it_is() {
        let only_ours = Config::default();
        assert!(only_ours.admits_peer(1000, Some(1000)));
        assert!(!only_ours.admits_peer(1000, Some(1001)));
        assert!(!only_ours.admits_peer(1000, Some(0)), "root is another user too");
        assert!(!only_ours.admits_peer(1000, Some(65534)));
        assert!(!only_ours.admits_peer(1000, None));
        assert!(only_ours.admits_peer(0, Some(0)), "root's channel takes root's peer");
        assert!(!only_ours.admits_peer(0, None), "an unknown owner is not root");

        let also_two = Config::default().with_allowed_peer_uids([1001, 1002]);
        assert!(also_two.admits_peer(1000, Some(1000)), "our own user stays allowed");
        assert!(also_two.admits_peer(1000, Some(1001)));
        assert!(also_two.admits_peer(1000, Some(1002)));
        assert!(!also_two.admits_peer(1000, Some(1003)));
        assert!(!also_two.admits_peer(1000, None));
        let replaced = also_two.with_allowed_peer_uids([1003]);
        assert!(!replaced.admits_peer(1000, Some(1001)), "a new list replaces the old one");
        assert!(replaced.admits_peer(1000, Some(1003)));

        let anyone = Config::default().with_any_peer_user(true);
        for peer in [Some(1000), Some(1001), Some(0), None] {
            assert!(anyone.admits_peer(1000, peer), "{peer:?}");
        }
    }
}

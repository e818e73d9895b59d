//! The connect retry schedule: exponential backoff bounded by a deadline.

use std::time::{Duration, Instant};

/// Delays between connect attempts: `first`, doubling up to `max`, never past the deadline.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub(crate) fn new(first: Duration, max: Duration) -> Self {
        Self { first, max, next: first }
    }

    /// Back to the first delay (a new connect, or a step of the connect that succeeded).
    pub(crate) fn reset(&mut self) {
        self.next = self.first;
    }

    /// When the next attempt is due, given a failed attempt at `now`: clamped to `deadline`, so
    /// the last wait ends exactly at the deadline, where the connect gives up.
    pub(crate) fn next_attempt(&mut self, now: Instant, deadline: Option<Instant>) -> Instant {
        let delay = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        match (now.checked_add(delay), deadline) {
            (Some(at), Some(deadline)) => at.min(deadline),
            (Some(at), None) => at,
            // Later than any instant: wait for the deadline, where the connect gives up.
            (None, Some(deadline)) => deadline,
            // Neither is representable: nothing later to wait for.
            (None, None) => now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_maximum() {
        let now = Instant::now();
        let mut backoff = Backoff::new(Duration::from_millis(1), Duration::from_millis(5));
        let delays: Vec<_> = (0..5).map(|_| backoff.next_attempt(now, None) - now).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(delays, [ms(1), ms(2), ms(4), ms(5), ms(5)]);
    }

    #[test]
    fn attempts_never_go_past_the_deadline() {
        let now = Instant::now();
        let deadline = now + Duration::from_millis(3);
        let mut backoff = Backoff::new(Duration::from_millis(10), Duration::from_millis(10));
        assert_eq!(backoff.next_attempt(now, Some(deadline)), deadline);
    }

    #[test]
    fn huge_delays_do_not_overflow() {
        let now = Instant::now();
        let deadline = now + Duration::from_secs(1);
        let mut backoff = Backoff::new(Duration::MAX, Duration::MAX);
        assert_eq!(backoff.next_attempt(now, Some(deadline)), deadline, "waits, not spins");
        assert_eq!(backoff.next_attempt(now, Some(deadline)), deadline);
    }

    #[test]
    fn reset_starts_again_from_the_first_delay() {
        let now = Instant::now();
        let mut backoff = Backoff::new(Duration::from_millis(1), Duration::from_millis(8));
        backoff.next_attempt(now, None);
        backoff.next_attempt(now, None);
        backoff.reset();
        assert_eq!(backoff.next_attempt(now, None) - now, Duration::from_millis(1));
    }
}

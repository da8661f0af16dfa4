//! The session's timers, kept in a table ([RFC 4271 §8.1.3], [§10]), and the
//! injected randomness that jitters them.
//!
//! A timer is an `Option<Instant>`: `None` is "not armed". The session adds
//! [`Duration`]s to the `now` it is given and never reads a clock.
//!
//! [RFC 4271 §8.1.3]: https://www.rfc-editor.org/rfc/rfc4271#section-8.1.3
//! [§10]: https://www.rfc-editor.org/rfc/rfc4271#section-10

use std::time::{Duration, Instant};

//----------- Timer -----------------------------------------------------------

/// The session-wide timers of RFC 4271 §8 plus the stale-routes timer of
/// RFC 4724. Per-family graceful-restart timers live with the stale routes
/// they govern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// ConnectRetryTimer: retry the outgoing TCP connection ([RFC 4271 §8.1.3]).
    ///
    /// [RFC 4271 §8.1.3]: https://www.rfc-editor.org/rfc/rfc4271#section-8.1.3
    ConnectRetry,
    /// HoldTimer: no message from the peer for this long ends the session
    /// ([RFC 4271 §4.4]).
    ///
    /// [RFC 4271 §4.4]: https://www.rfc-editor.org/rfc/rfc4271#section-4.4
    Hold,
    /// KeepaliveTimer: send a KEEPALIVE ([RFC 4271 §4.4]).
    ///
    /// [RFC 4271 §4.4]: https://www.rfc-editor.org/rfc/rfc4271#section-4.4
    Keepalive,
    /// DelayOpenTimer: wait for the peer's OPEN before sending ours
    /// ([RFC 4271 §8.1.1], optional attribute DelayOpen).
    ///
    /// [RFC 4271 §8.1.1]: https://www.rfc-editor.org/rfc/rfc4271#section-8.1.1
    DelayOpen,
    /// IdleHoldTimer: stay in Idle before an automatic restart, growing after
    /// repeated failures (DampPeerOscillations, [RFC 4271 §8.1.1]).
    ///
    /// [RFC 4271 §8.1.1]: https://www.rfc-editor.org/rfc/rfc4271#section-8.1.1
    IdleHold,
}

impl Timer {
    /// Every timer, in table order.
    pub const VALUES: [Self; 5] = [
        Self::ConnectRetry,
        Self::Hold,
        Self::Keepalive,
        Self::DelayOpen,
        Self::IdleHold,
    ];

    const fn index(self) -> usize {
        self as usize
    }
}

//----------- TimerTable ------------------------------------------------------

/// One deadline per [`Timer`]; `None` means not armed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TimerTable {
    data: [Option<Instant>; Timer::VALUES.len()],
}

impl TimerTable {
    /// Arms `timer` to fire at `at`.
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.data[timer.index()] = Some(at);
    }

    /// The deadline of `timer`, if armed.
    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.data[timer.index()]
    }

    /// Disarms `timer`.
    pub(crate) fn stop(&mut self, timer: Timer) {
        self.data[timer.index()] = None;
    }

    /// Disarms every timer.
    pub(crate) fn stop_all(&mut self) {
        self.data = [None; Timer::VALUES.len()];
    }

    /// Whether `timer` is armed and due at `now`.
    pub(crate) fn is_expired(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|t| t <= now)
    }

    /// The earliest armed deadline.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.data.iter().flatten().min().copied()
    }
}

//----------- Rng -------------------------------------------------------------

/// SplitMix64: a tiny, seedable generator for timer jitter. Not for secrets.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) const fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `d` multiplied by a random factor in [0.75, 1.0], the jitter of
    /// [RFC 4271 §10](https://www.rfc-editor.org/rfc/rfc4271#section-10).
    pub(crate) fn jitter(&mut self, d: Duration) -> Duration {
        // 2^16 steps between 0.75 and 1.0; integer arithmetic only.
        let step = self.next_u64() >> 48; // 0..65536
        let nanos = d.as_nanos();
        let scaled = nanos * 3 / 4 + nanos * u128::from(step) / (4 * 65536);
        Duration::from_nanos(u64::try_from(scaled).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests take one epoch from the clock
mod tests {
    use super::*;

    #[test]
    fn table_arms_and_reports_the_earliest() {
        let t0 = Instant::now();
        let mut t = TimerTable::default();
        assert_eq!(t.next_timeout(), None);
        t.set(Timer::Hold, t0 + Duration::from_secs(90));
        t.set(Timer::Keepalive, t0 + Duration::from_secs(30));
        assert_eq!(t.next_timeout(), Some(t0 + Duration::from_secs(30)));
        assert!(!t.is_expired(Timer::Keepalive, t0));
        assert!(t.is_expired(Timer::Keepalive, t0 + Duration::from_secs(30)));
        t.stop(Timer::Keepalive);
        assert_eq!(t.get(Timer::Keepalive), None);
        assert_eq!(t.next_timeout(), Some(t0 + Duration::from_secs(90)));
        t.stop_all();
        assert_eq!(t.next_timeout(), None);
    }

    #[test]
    fn jitter_stays_in_range_and_is_seedable() {
        let d = Duration::from_secs(120);
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let mut seen_low = false;
        let mut seen_high = false;
        for _ in 0..1000 {
            let j = a.jitter(d);
            assert_eq!(j, b.jitter(d));
            assert!(j >= d * 3 / 4 && j <= d, "{j:?}");
            seen_low |= j < Duration::from_secs(95);
            seen_high |= j > Duration::from_secs(115);
        }
        assert!(seen_low && seen_high);
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }
}

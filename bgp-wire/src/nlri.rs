//! NLRI of the prefix families: IPv4/IPv6 unicast and multicast, with or
//! without ADD-PATH path identifiers ([RFC 4271 §4.3], [RFC 4760 §5],
//! [RFC 7911 §3]).
//!
//! A field is validated once (when its UPDATE is parsed); the [`Prefixes`] iterator over a
//! validated field then yields every entry without failing or allocating.
//!
//! [RFC 4271 §4.3]: https://www.rfc-editor.org/rfc/rfc4271#section-4.3
//! [RFC 4760 §5]: https://www.rfc-editor.org/rfc/rfc4760#section-5
//! [RFC 7911 §3]: https://www.rfc-editor.org/rfc/rfc7911#section-3

use ipnet::IpNet;

use crate::types::{Nlri, v4_prefix, v4_prefix_word, v6_prefix};

/// Checks that `data` is a well-formed sequence of prefixes (RFC 7606 §5.3):
/// no prefix longer than `max_len` bits, no entry overrunning the field.
#[inline]
pub(crate) fn check(data: &[u8], max_len: u8, add_path: bool) -> bool {
    if add_path {
        return check_add_path(data, max_len);
    }
    let mut pos = 0;
    // Runs of prefixes of the same length (most of a long NLRI field) step
    // by a stride the branch predictor learns, so the next position does
    // not wait for the length octet to load: the loads only confirm it.
    // Where the length keeps changing that branch mispredicts, so after a
    // few changes the rest is stepped without it.
    let mut bits = 0u8;
    let mut stride = 1;
    let mut changes = 0u32;
    while pos < data.len() {
        let b = data[pos];
        if b != bits {
            if b > max_len {
                return false;
            }
            changes += 1;
            if changes > 2 {
                return if data.len() - pos >= SPLIT_MIN {
                    check_split(data, pos, max_len)
                } else {
                    check_mixed(data, pos, max_len)
                };
            }
            bits = b;
            stride = step(b);
        }
        pos += stride;
    }
    pos == data.len()
}

/// Where [`visit_v4`] puts the entries (a trait rather than a closure so
/// that an implementation can insist on being inlined into the loop).
pub(crate) trait NlriSink {
    /// One entry.
    fn nlri(&mut self, n: Nlri);
}

/// Hands `f` each entry of an IPv4 prefix field while checking it as
/// [`check`]`(data, 32, add_path)` does: whether the field is well formed.
/// When it is not, `f` has seen the entries before the first bad one.
///
/// One pass where [`check`] and then [`Prefixes`] would be two, for a caller
/// that wants every entry anyway. Out of line: a loop of its own, into which
/// the sink is inlined, rather than a loop inside the caller's validation.
#[inline(never)]
pub(crate) fn visit_v4(mut d: &[u8], add_path: bool, f: &mut impl NlriSink) -> bool {
    if add_path {
        if !check(d, 32, true) {
            return false;
        }
        Prefixes::new(d, false, true).for_each(|n| f.nlri(n));
        return true;
    }
    loop {
        // As in `Prefixes::next`: with five octets left, the length octet
        // and a whole word; the pattern also checks the length.
        if let [bits @ 0..=32, a, b, c, e, ..] = *d {
            d = d.get(step(bits)..).unwrap_or_default();
            f.nlri(Nlri {
                prefix: IpNet::V4(v4_prefix_word(bits, u32::from_be_bytes([a, b, c, e]))),
                path_id: None,
            });
            continue;
        }
        // Fewer than five octets left, or a bad length.
        let Some((&bits, rest)) = d.split_first() else {
            return true;
        };
        if bits > 32 {
            return false;
        }
        let Some((bytes, rest)) = rest.split_at_checked(usize::from(bits).div_ceil(8)) else {
            return false;
        };
        f.nlri(Nlri {
            prefix: IpNet::V4(v4_prefix(bits, bytes)),
            path_id: None,
        });
        d = rest;
    }
}

/// The rest of [`check`] from `pos`, for prefixes of mixed lengths: no
/// branch on the length.
fn check_mixed(data: &[u8], mut pos: usize, max_len: u8) -> bool {
    let mut bad = false;
    while pos < data.len() {
        let b = data[pos];
        bad |= b > max_len;
        pos += step(b);
    }
    !bad && pos == data.len()
}

/// The shortest rest of a field [`check_split`] is used for.
const SPLIT_MIN: usize = 48;
/// How many of the second cursor's positions [`check_split`] remembers.
const SPLIT_SEEN: usize = 16;

/// The octets an entry whose length octet is `b` occupies.
#[inline(always)]
fn step(b: u8) -> usize {
    (usize::from(b) + 15) >> 3
}

/// Whether `data[from..]` is well formed (as [`check`] decides), stepping
/// two cursors at once: each step waits for the length octet it lands on,
/// so one cursor is a chain of dependent loads, two are two chains the
/// processor runs side by side.
///
/// Cursor A starts at `from`, a known entry boundary; cursor B at the middle
/// of the rest, a guess. Entry boundaries of IPv4/IPv6 prefixes
/// resynchronise within a few entries from any start, so A, once past the
/// middle, soon lands on a position B visited (B remembers its first
/// [`SPLIT_SEEN`]); from there on the two walks are the same walk and B has
/// already checked it. B's length octets before that point were not entry
/// boundaries, so only its bad lengths at or after the meeting point count.
/// If A never meets B's remembered positions, A checks the rest by itself.
fn check_split(data: &[u8], from: usize, max_len: u8) -> bool {
    let len = data.len();
    let mid = from + (len - from) / 2;
    let mut seen = [0usize; SPLIT_SEEN];
    let mut seen_len = 0;
    let (mut a, mut b) = (from, mid);
    let mut bad_a = false;
    // One past the last position where B found a bad length (0: none).
    let mut bad_b_end = 0;
    while a < mid && b < len {
        let (x, y) = (data[a], data[b]);
        bad_a |= x > max_len;
        bad_b_end = if y > max_len { b + 1 } else { bad_b_end };
        if seen_len < SPLIT_SEEN {
            seen[seen_len] = b;
            seen_len += 1;
        }
        a += step(x);
        b += step(y);
    }
    while b < len {
        let y = data[b];
        bad_b_end = if y > max_len { b + 1 } else { bad_b_end };
        if seen_len < SPLIT_SEEN {
            seen[seen_len] = b;
            seen_len += 1;
        }
        b += step(y);
    }
    // A, from the middle on, until it meets a position B remembers.
    let mut j = 0;
    while a < len {
        while j < seen_len && seen[j] < a {
            j += 1;
        }
        if j == seen_len {
            break;
        }
        if seen[j] == a {
            // From `a` on, A's walk is B's: checked, ending at `b`.
            return !bad_a && bad_b_end <= a && b == len;
        }
        let x = data[a];
        bad_a |= x > max_len;
        a += step(x);
    }
    while a < len {
        let x = data[a];
        bad_a |= x > max_len;
        a += step(x);
    }
    !bad_a && a == len
}

/// [`check`] for entries with a 4-octet ADD-PATH path identifier.
fn check_add_path(data: &[u8], max_len: u8) -> bool {
    let mut pos = 0;
    while pos < data.len() {
        pos += 4;
        let Some(&bits) = data.get(pos) else {
            return false;
        };
        if bits > max_len {
            return false;
        }
        pos += step(bits);
        if pos > data.len() {
            return false;
        }
    }
    true
}

/// An iterator over a validated NLRI field of IPv4 or IPv6 prefixes.
///
/// Built by the UPDATE and MP attribute views after validating the field, so it
/// never meets a malformed entry; should it be handed one anyway it stops
/// rather than panicking.
#[derive(Clone, Debug)]
pub struct Prefixes<'a> {
    data: &'a [u8],
    v6: bool,
    add_path: bool,
}

impl<'a> Prefixes<'a> {
    /// An iterator over `data`, which the caller has validated.
    pub(crate) const fn new(data: &'a [u8], v6: bool, add_path: bool) -> Self {
        Self { data, v6, add_path }
    }

    /// An empty iterator.
    pub const fn empty() -> Self {
        Self::new(&[], false, false)
    }

    /// The raw bytes not yet iterated.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// Whether the entries carry ADD-PATH identifiers.
    pub const fn add_path(&self) -> bool {
        self.add_path
    }

    /// Whether no entries are left.
    pub const fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

impl Iterator for Prefixes<'_> {
    type Item = Nlri;

    #[inline]
    fn next(&mut self) -> Option<Nlri> {
        if self.v6 || self.add_path {
            return self.next_slow();
        }
        // IPv4 without path identifiers, the common case: with five octets
        // left, the length octet and a whole word (at most four prefix
        // octets, and whatever follows, masked away with the host bits).
        // One bounds check; the length octet is the only thing the next
        // step waits for.
        if let [bits @ 0..=32, a, b, c, d, ..] = *self.data {
            self.data = self.data.get(step(bits)..).unwrap_or_default();
            return Some(Nlri {
                prefix: IpNet::V4(v4_prefix_word(bits, u32::from_be_bytes([a, b, c, d]))),
                path_id: None,
            });
        }
        self.next_slow()
    }
}

impl Prefixes<'_> {
    #[inline]
    fn next_slow(&mut self) -> Option<Nlri> {
        let mut d = self.data;
        if d.is_empty() {
            return None;
        }
        let path_id = if self.add_path {
            let (id, rest) = d.split_first_chunk::<4>()?;
            d = rest;
            Some(u32::from_be_bytes(*id))
        } else {
            None
        };
        let (&bits, rest) = d.split_first()?;
        let n = usize::from(bits).div_ceil(8);
        let Some((bytes, rest)) = rest.split_at_checked(n) else {
            self.data = &[];
            return None;
        };
        self.data = rest;
        let prefix = if self.v6 {
            IpNet::V6(v6_prefix(bits, bytes))
        } else {
            IpNet::V4(v4_prefix(bits, bytes))
        };
        Some(Nlri { prefix, path_id })
    }
}

impl core::iter::FusedIterator for Prefixes<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_and_iterate() {
        let d = [8, 10, 24, 192, 168, 1];
        assert!(check(&d, 32, false));
        let v: Vec<String> = Prefixes::new(&d, false, false)
            .map(|n| n.to_string())
            .collect();
        assert_eq!(v, ["10.0.0.0/8", "192.168.1.0/24"]);
        // overrun, too long, truncated path id
        assert!(!check(&[24, 1, 2], 32, false));
        assert!(!check(&[33, 1, 2, 3, 4, 5], 32, false));
        assert!(!check(&[0, 0, 0], 32, true));
        let ap = [0, 0, 0, 7, 0];
        assert!(check(&ap, 32, true));
        assert_eq!(
            Prefixes::new(&ap, false, true)
                .next()
                .map(|n| n.to_string()),
            Some("0.0.0.0/0#7".into())
        );
        assert!(check(&[], 32, false));
        // Past the third change of length the rest is checked without the
        // stride: still every length and the end.
        let mixed = [8, 10, 16, 10, 1, 24, 10, 1, 2, 8, 11, 32, 1, 2, 3, 4, 0];
        assert!(check(&mixed, 32, false));
        assert!(check(&mixed[..mixed.len() - 1], 32, false));
        assert!(!check(&mixed[..mixed.len() - 2], 32, false));
        let mut too_long = mixed;
        too_long[11] = 33;
        assert!(!check(&too_long, 32, false));
    }

    /// The plain walk every variant of [`check`] must agree with.
    fn reference(data: &[u8], max_len: u8, add_path: bool) -> bool {
        let mut pos = 0;
        while pos < data.len() {
            if add_path {
                pos += 4;
            }
            let Some(&b) = data.get(pos) else {
                return false;
            };
            if b > max_len {
                return false;
            }
            pos += 1 + usize::from(b).div_ceil(8);
        }
        pos == data.len()
    }

    /// A well-formed field of entries of the lengths `lens`.
    fn field(lens: &[u8], fill: u8) -> Vec<u8> {
        let mut v = Vec::new();
        for &l in lens {
            v.push(l);
            v.extend(std::iter::repeat_n(fill, usize::from(l).div_ceil(8)));
        }
        v
    }

    #[test]
    fn split_check_agrees_on_long_fields() {
        // Long enough for the two-cursor check, with address octets that
        // look like lengths (and like bad ones) to the second cursor.
        for fill in [0, 8, 24, 32, 33, 0xff] {
            let lens: Vec<u8> = (0..60).map(|i| [24, 16, 8, 32, 22, 0, 19][i % 7]).collect();
            let good = field(&lens, fill);
            assert!(check(&good, 32, false), "fill {fill}");
            for cut in 1..good.len() {
                assert_eq!(
                    check(&good[..cut], 32, false),
                    reference(&good[..cut], 32, false)
                );
            }
            for at in 0..good.len() {
                let mut bad = good.clone();
                bad[at] = 33;
                assert_eq!(check(&bad, 32, false), reference(&bad, 32, false));
                bad[at] = 0xff;
                assert_eq!(check(&bad, 32, false), reference(&bad, 32, false));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn check_agrees_with_reference(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            lens in proptest::collection::vec(0u8..=40, 0..120),
            fill in proptest::prelude::any::<u8>(),
            flip in proptest::prelude::any::<(usize, u8)>(),
            v6 in proptest::prelude::any::<bool>(),
            add_path in proptest::prelude::any::<bool>(),
        ) {
            let max = if v6 { 128 } else { 32 };
            // Random octets, mostly malformed.
            proptest::prop_assert_eq!(
                check(&data, max, add_path),
                reference(&data, max, add_path)
            );
            // A field built from lengths (some too long), then one octet
            // changed.
            let mut f = field(&lens, fill);
            proptest::prop_assert_eq!(check(&f, max, false), reference(&f, max, false));
            if !f.is_empty() {
                let at = flip.0 % f.len();
                f[at] = flip.1;
                proptest::prop_assert_eq!(check(&f, max, false), reference(&f, max, false));
            }
        }
    }
}

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
/// Returns the number of entries.
#[inline]
pub(crate) fn check(data: &[u8], max_len: u8, add_path: bool) -> Option<usize> {
    if add_path {
        return check_add_path(data, max_len);
    }
    let mut pos = 0;
    let mut n = 0;
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
                return None;
            }
            changes += 1;
            if changes > 2 {
                return check_mixed(data, pos, n, max_len);
            }
            bits = b;
            stride = 1 + usize::from(b).div_ceil(8);
        }
        pos += stride;
        n += 1;
    }
    (pos == data.len()).then_some(n)
}

/// The rest of [`check`] from `pos` (with `n` entries before it), for
/// prefixes of mixed lengths: no branch on the length.
fn check_mixed(data: &[u8], mut pos: usize, mut n: usize, max_len: u8) -> Option<usize> {
    let mut bad = false;
    while pos < data.len() {
        let b = data[pos];
        bad |= b > max_len;
        pos += 1 + usize::from(b).div_ceil(8);
        n += 1;
    }
    (!bad && pos == data.len()).then_some(n)
}

/// [`check`] for entries with a 4-octet ADD-PATH path identifier.
fn check_add_path(data: &[u8], max_len: u8) -> Option<usize> {
    let mut pos = 0;
    let mut n = 0;
    while pos < data.len() {
        pos += 4;
        let bits = *data.get(pos)?;
        if bits > max_len {
            return None;
        }
        pos += 1 + usize::from(bits).div_ceil(8);
        if pos > data.len() {
            return None;
        }
        n += 1;
    }
    Some(n)
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
        // IPv4 without path identifiers, the common case: read the octets
        // as one word and mask the host bits (and whatever follows the
        // prefix) away.
        let (&bits, rest) = self.data.split_first()?;
        let n = usize::from(bits).div_ceil(8);
        if bits > 32 || rest.len() < n {
            return self.next_slow();
        }
        let word = match *rest {
            [a, b, c, d, ..] => u32::from_be_bytes([a, b, c, d]),
            [a, b, c] => u32::from_be_bytes([a, b, c, 0]),
            [a, b] => u32::from_be_bytes([a, b, 0, 0]),
            [a] => u32::from(a) << 24,
            [] => 0,
        };
        self.data = rest.get(n..).unwrap_or_default();
        Some(Nlri {
            prefix: IpNet::V4(v4_prefix_word(bits, word)),
            path_id: None,
        })
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
        assert_eq!(check(&d, 32, false), Some(2));
        let v: Vec<String> = Prefixes::new(&d, false, false)
            .map(|n| n.to_string())
            .collect();
        assert_eq!(v, ["10.0.0.0/8", "192.168.1.0/24"]);
        // overrun, too long, truncated path id
        assert_eq!(check(&[24, 1, 2], 32, false), None);
        assert_eq!(check(&[33, 1, 2, 3, 4, 5], 32, false), None);
        assert_eq!(check(&[0, 0, 0], 32, true), None);
        let ap = [0, 0, 0, 7, 0];
        assert_eq!(check(&ap, 32, true), Some(1));
        assert_eq!(
            Prefixes::new(&ap, false, true)
                .next()
                .map(|n| n.to_string()),
            Some("0.0.0.0/0#7".into())
        );
        assert_eq!(check(&[], 32, false), Some(0));
        // Past the third change of length the rest is checked without the
        // stride: still every length and the end.
        let mixed = [8, 10, 16, 10, 1, 24, 10, 1, 2, 8, 11, 32, 1, 2, 3, 4, 0];
        assert_eq!(check(&mixed, 32, false), Some(6));
        assert_eq!(check(&mixed[..mixed.len() - 1], 32, false), Some(5));
        assert_eq!(check(&mixed[..mixed.len() - 2], 32, false), None);
        let mut too_long = mixed;
        too_long[11] = 33;
        assert_eq!(check(&too_long, 32, false), None);
    }
}

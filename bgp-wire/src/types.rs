//! Basic value types shared by every crate: AS numbers, address families,
//! prefixes with ADD-PATH identifiers, and small family sets.

use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::codepoint::{Afi, Safi};

/// The 2-octet placeholder AS used toward 2-octet speakers
/// ([RFC 6793 §9](https://www.rfc-editor.org/rfc/rfc6793#section-9)).
pub const AS_TRANS: u32 = 23456;

/// An (AFI, SAFI) pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Family {
    /// Address family.
    pub afi: Afi,
    /// Subsequent address family.
    pub safi: Safi,
}

impl Family {
    /// IPv4 unicast.
    pub const IPV4_UNICAST: Self = Self::new(Afi::IPV4, Safi::UNICAST);
    /// IPv4 multicast.
    pub const IPV4_MULTICAST: Self = Self::new(Afi::IPV4, Safi::MULTICAST);
    /// IPv6 unicast.
    pub const IPV6_UNICAST: Self = Self::new(Afi::IPV6, Safi::UNICAST);
    /// IPv6 multicast.
    pub const IPV6_MULTICAST: Self = Self::new(Afi::IPV6, Safi::MULTICAST);

    /// A family from its parts.
    pub const fn new(afi: Afi, safi: Safi) -> Self {
        Self { afi, safi }
    }

    /// Whether NLRI of this family are plain prefixes (IPv4/IPv6 unicast or
    /// multicast) that this crate splits into [`Nlri`]. Other families are
    /// carried as opaque bytes with their AFI/SAFI.
    pub const fn is_prefix_family(self) -> bool {
        (self.afi.0 == Afi::IPV4.0 || self.afi.0 == Afi::IPV6.0)
            && (self.safi.0 == Safi::UNICAST.0 || self.safi.0 == Safi::MULTICAST.0)
    }

    /// The maximum prefix length in bits for prefix families (32 or 128).
    pub const fn max_prefix_len(self) -> u8 {
        if self.afi.0 == Afi::IPV6.0 { 128 } else { 32 }
    }

    /// Index into [`FamilySet`], for the families a set can hold.
    #[inline]
    const fn index(self) -> Option<u32> {
        let i = match (self.afi.0, self.safi.0) {
            (1, 1) => 0,
            (1, 2) => 1,
            (2, 1) => 2,
            (2, 2) => 3,
            (1, 4) => 4,
            (2, 4) => 5,
            (1, 128) => 6,
            (2, 128) => 7,
            (25, 70) => 8,
            (1, 133) => 9,
            (2, 133) => 10,
            (25, 65) => 11,
            (16388, 71) => 12,
            (1, 5) => 13,
            (2, 5) => 14,
            (1, 73) => 15,
            (2, 73) => 16,
            (1, 132) => 17,
            _ => return None,
        };
        Some(i)
    }

    const ALL_INDEXED: [Self; 18] = [
        Self::new(Afi(1), Safi(1)),
        Self::new(Afi(1), Safi(2)),
        Self::new(Afi(2), Safi(1)),
        Self::new(Afi(2), Safi(2)),
        Self::new(Afi(1), Safi(4)),
        Self::new(Afi(2), Safi(4)),
        Self::new(Afi(1), Safi(128)),
        Self::new(Afi(2), Safi(128)),
        Self::new(Afi(25), Safi(70)),
        Self::new(Afi(1), Safi(133)),
        Self::new(Afi(2), Safi(133)),
        Self::new(Afi(25), Safi(65)),
        Self::new(Afi(16388), Safi(71)),
        Self::new(Afi(1), Safi(5)),
        Self::new(Afi(2), Safi(5)),
        Self::new(Afi(1), Safi(73)),
        Self::new(Afi(2), Safi(73)),
        Self::new(Afi(1), Safi(132)),
    ];
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.afi, self.safi)
    }
}

/// A small set of the commonly negotiated families (a bit set, `Copy`).
///
/// It holds IPv4/IPv6 unicast, multicast, labelled unicast, MPLS VPN, FlowSpec,
/// MVPN, SR policy, RT constraint, EVPN, VPLS and BGP-LS; other families
/// cannot be inserted ([`FamilySet::insert`] returns `false`).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FamilySet(u32);

impl FamilySet {
    /// The empty set.
    pub const EMPTY: Self = Self(0);

    /// This set with `family` added (unchanged if the set cannot represent it).
    pub const fn with(self, family: Family) -> Self {
        match family.index() {
            Some(i) => Self(self.0 | (1 << i)),
            None => self,
        }
    }

    /// Adds a family; `false` if this set cannot represent it.
    pub fn insert(&mut self, family: Family) -> bool {
        match family.index() {
            Some(i) => {
                self.0 |= 1 << i;
                true
            }
            None => false,
        }
    }

    /// Removes a family.
    pub fn remove(&mut self, family: Family) {
        if let Some(i) = family.index() {
            self.0 &= !(1 << i);
        }
    }

    /// Whether the set holds `family`.
    #[inline]
    pub const fn contains(self, family: Family) -> bool {
        match family.index() {
            Some(i) => self.0 & (1 << i) != 0,
            None => false,
        }
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The intersection of two sets.
    pub const fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// The families in the set.
    pub fn iter(self) -> impl Iterator<Item = Family> {
        Family::ALL_INDEXED
            .into_iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, f)| f)
    }
}

impl FromIterator<Family> for FamilySet {
    fn from_iter<I: IntoIterator<Item = Family>>(iter: I) -> Self {
        let mut s = Self::EMPTY;
        for f in iter {
            s.insert(f);
        }
        s
    }
}

impl fmt::Debug for FamilySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// One NLRI entry of an IPv4/IPv6 unicast or multicast family: a prefix and,
/// where ADD-PATH is in use, its path identifier
/// ([RFC 7911 §3](https://www.rfc-editor.org/rfc/rfc7911#section-3)).
///
/// Decoded prefixes are canonical: bits past the prefix length are cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nlri {
    /// The prefix, host bits cleared.
    pub prefix: IpNet,
    /// The ADD-PATH path identifier, when the family uses ADD-PATH.
    pub path_id: Option<u32>,
}

impl Nlri {
    /// A prefix without path identifier.
    pub const fn new(prefix: IpNet) -> Self {
        Self {
            prefix,
            path_id: None,
        }
    }

    /// A prefix with an ADD-PATH path identifier.
    pub const fn with_path_id(prefix: IpNet, path_id: u32) -> Self {
        Self {
            prefix,
            path_id: Some(path_id),
        }
    }

    /// The number of bytes this entry takes on the wire.
    pub fn wire_len(&self) -> usize {
        let pid = if self.path_id.is_some() { 4 } else { 0 };
        pid + 1 + usize::from(self.prefix.prefix_len()).div_ceil(8)
    }
}

impl fmt::Display for Nlri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path_id {
            Some(id) => write!(f, "{}#{}", self.prefix, id),
            None => write!(f, "{}", self.prefix),
        }
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Nlri {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let v6: bool = u.arbitrary()?;
        let prefix = if v6 {
            let len = u.int_in_range(0..=128)?;
            let addr = Ipv6Addr::from(u.arbitrary::<u128>()?);
            IpNet::V6(Ipv6Net::new_assert(addr, len).trunc())
        } else {
            let len = u.int_in_range(0..=32)?;
            let addr = Ipv4Addr::from(u.arbitrary::<u32>()?);
            IpNet::V4(Ipv4Net::new_assert(addr, len).trunc())
        };
        Ok(Self {
            prefix,
            path_id: u.arbitrary()?,
        })
    }
}

/// Builds a canonical IPv4 prefix from NLRI bytes (`bytes.len() == ceil(len/8)`,
/// `len <= 32`; both checked by the caller).
#[inline]
pub(crate) fn v4_prefix(len: u8, bytes: &[u8]) -> Ipv4Net {
    // Assemble the word directly: a variable-length copy into a buffer costs a
    // memcpy call and a stalled load on every prefix.
    let raw = match *bytes {
        [] => 0,
        [a] => u32::from(a) << 24,
        [a, b] => u32::from_be_bytes([a, b, 0, 0]),
        [a, b, c] => u32::from_be_bytes([a, b, c, 0]),
        [a, b, c, d, ..] => u32::from_be_bytes([a, b, c, d]),
    };
    v4_prefix_word(len, raw)
}

/// Builds a canonical IPv4 prefix of `len` bits (at most 32; more is taken
/// as 32) from the 32-bit word whose leading octets are the NLRI octets:
/// whatever follows them in `word` is masked away with the host bits.
#[inline]
pub(crate) fn v4_prefix_word(len: u8, word: u32) -> Ipv4Net {
    let len = len.min(32);
    // One load from a table, off the critical path of a prefix walk (a
    // computed shift took five instructions and the shift-count register).
    let mask = V4_MASK[usize::from(len)];
    Ipv4Net::new_assert(Ipv4Addr::from(word & mask), len)
}

/// The network mask of each IPv4 prefix length.
static V4_MASK: [u32; 33] = {
    let mut m = [0; 33];
    let mut i = 1;
    while i <= 32 {
        m[i] = u32::MAX << (32 - i);
        i += 1;
    }
    m
};

/// Builds a canonical IPv6 prefix from NLRI bytes (see [`v4_prefix`]).
#[inline]
pub(crate) fn v6_prefix(len: u8, bytes: &[u8]) -> Ipv6Net {
    let raw = match bytes.first_chunk::<16>() {
        Some(a) => u128::from_be_bytes(*a),
        None => {
            let mut a = [0u8; 16];
            let n = bytes.len().min(16);
            a[..n].copy_from_slice(&bytes[..n]);
            u128::from_be_bytes(a)
        }
    };
    let len = len.min(128);
    let masked = raw & u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    Ipv6Net::new_assert(Ipv6Addr::from(masked), len)
}

/// Appends a prefix in NLRI form (length octet and the significant octets).
pub(crate) fn put_prefix(out: &mut Vec<u8>, prefix: &IpNet) {
    let len = prefix.prefix_len();
    out.push(len);
    let n = usize::from(len).div_ceil(8);
    // Copy the whole address (a fixed-size copy) and cut it back: cheaper
    // than a variable-length copy per prefix.
    match prefix.addr() {
        IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
        IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
    }
    let full = if prefix.addr().is_ipv4() { 4 } else { 16 };
    out.truncate(out.len() - (full - n));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_canonical() {
        assert_eq!(v4_prefix(9, &[10, 255]).to_string(), "10.128.0.0/9");
        assert_eq!(v4_prefix(0, &[]).to_string(), "0.0.0.0/0");
        assert_eq!(v4_prefix(32, &[1, 2, 3, 4]).to_string(), "1.2.3.4/32");
        assert_eq!(
            v6_prefix(33, &[0x20, 1, 0xd, 0xb8, 0xff]).to_string(),
            "2001:db8:8000::/33"
        );
    }

    #[test]
    fn family_sets() {
        let mut s = FamilySet::EMPTY;
        assert!(s.insert(Family::IPV6_UNICAST));
        assert!(!s.insert(Family::new(Afi(99), Safi(9))));
        assert!(s.contains(Family::IPV6_UNICAST));
        assert!(!s.contains(Family::IPV4_UNICAST));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![Family::IPV6_UNICAST]);
    }
}

//! The session context that decoding and encoding depend on.
//!
//! The same UPDATE bytes mean different things on different sessions: AS
//! numbers are 2 or 4 octets wide ([RFC 6793]), NLRI carry a path identifier
//! or not per family ([RFC 7911]), the maximum message size is 4096 or 65535
//! ([RFC 8654]), and IPv4 routes may carry IPv6 next hops ([RFC 8950]). So no
//! function here guesses: each takes a [`SessionContext`], which `bgp-fsm`
//! builds from the negotiated capabilities.
//!
//! [RFC 6793]: https://www.rfc-editor.org/rfc/rfc6793
//! [RFC 7911]: https://www.rfc-editor.org/rfc/rfc7911
//! [RFC 8654]: https://www.rfc-editor.org/rfc/rfc8654
//! [RFC 8950]: https://www.rfc-editor.org/rfc/rfc8950

use crate::header::{MAX_EXTENDED_MESSAGE_LEN, MAX_MESSAGE_LEN};
use crate::types::{Family, FamilySet};

/// What decoding and encoding need to know about the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SessionContext {
    /// AS numbers in AS_PATH and AGGREGATOR are 4 octets (RFC 6793 negotiated).
    pub four_octet_as: bool,
    /// Families whose NLRI carry an ADD-PATH path identifier in this direction.
    pub add_path: FamilySet,
    /// The largest message allowed: 4096, or 65535 with RFC 8654.
    pub max_message_len: usize,
    /// Families for which an IPv6 next hop is allowed for IPv4 NLRI (RFC 8950).
    pub extended_next_hop: FamilySet,
    /// The peer is external: LOCAL_PREF is discarded and confederation
    /// segments in AS_PATH are errors ([RFC 7606 §7.2, §7.5]).
    ///
    /// [RFC 7606 §7.2, §7.5]: https://www.rfc-editor.org/rfc/rfc7606#section-7.2
    pub ebgp: bool,
}

impl Default for SessionContext {
    /// A modern iBGP session: 4-octet AS, no ADD-PATH, 4096-byte messages.
    fn default() -> Self {
        Self {
            four_octet_as: true,
            add_path: FamilySet::EMPTY,
            max_message_len: MAX_MESSAGE_LEN,
            extended_next_hop: FamilySet::EMPTY,
            ebgp: false,
        }
    }
}

impl SessionContext {
    /// A context for a session with 2-octet AS numbers.
    pub fn two_octet() -> Self {
        Self {
            four_octet_as: false,
            ..Self::default()
        }
    }

    /// A lenient context for reading stored messages (MRT, captures): 4-octet
    /// AS, 65535-byte messages, IPv6 next hops accepted for IPv4 NLRI.
    pub const fn permissive() -> Self {
        Self {
            four_octet_as: true,
            add_path: FamilySet::EMPTY,
            max_message_len: MAX_EXTENDED_MESSAGE_LEN,
            extended_next_hop: FamilySet::EMPTY
                .with(Family::IPV4_UNICAST)
                .with(Family::IPV4_MULTICAST),
            ebgp: false,
        }
    }

    /// Sets ADD-PATH for a family.
    pub fn with_add_path(mut self, family: Family) -> Self {
        self.add_path.insert(family);
        self
    }

    /// Whether NLRI of `family` carry a path identifier.
    #[inline]
    pub fn add_path(&self, family: Family) -> bool {
        self.add_path.contains(family)
    }

    /// The length in octets of an AS number on this session.
    #[inline]
    pub fn as_len(&self) -> usize {
        if self.four_octet_as { 4 } else { 2 }
    }
}

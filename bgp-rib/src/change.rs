//! What the RIB hands back: Loc-RIB changes (for a FIB) and per-peer
//! Adj-RIB-Out changes (for UPDATEs), drained by the caller when it chooses.

use std::sync::Arc;

use bgp_wire::update::EncodeError;
use bgp_wire::{Family, Nlri, RouteAttrs, UpdateBuilder};
use ipnet::IpNet;
use smallvec::SmallVec;

use crate::decision::DecisionStep;
use crate::peer::PeerId;

/// One path of a route, as the change streams and queries show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutePath {
    /// Who it came from ([`PeerId::LOCAL`] for originated routes).
    pub peer: PeerId,
    /// Its ADD-PATH identifier as received.
    pub path_id: Option<u32>,
    /// Its attributes after import policy.
    pub attrs: Arc<RouteAttrs>,
    /// Its weight after import policy.
    pub weight: u16,
    /// Marked stale by graceful restart ([RFC 4724 §4.2]).
    ///
    /// [RFC 4724 §4.2]: https://www.rfc-editor.org/rfc/rfc4724#section-4.2
    pub stale: bool,
}

/// A change of the Loc-RIB: the prefix's best path (and multipath set) is
/// now `paths`, or the prefix is gone when `paths` is empty.
///
/// Changes are coalesced between drains: a prefix appears once with its
/// state at drain time. A change may repeat the state of the previous
/// drain (a path went and came back); applying it is idempotent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocRibChange {
    /// The prefix.
    pub prefix: IpNet,
    /// The best path first, then the other multipath members in order of
    /// preference; empty for a withdrawal. (One path is held inline: a
    /// table's worth of changes costs no allocation per prefix.)
    pub paths: SmallVec<[RoutePath; 1]>,
    /// The step that chose the best path over the runner-up.
    pub step: Option<DecisionStep>,
}

impl LocRibChange {
    /// Whether this withdraws the prefix.
    pub fn is_withdrawal(&self) -> bool {
        self.paths.is_empty()
    }
}

/// Prefixes announced to a peer under one attribute set (next hop
/// included: [`RouteAttrs::next_hop`]), ready for one
/// [`UpdateBuilder::announce`] call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    /// The family.
    pub family: Family,
    /// The attributes as sent (next hop, AS path and the rest already set
    /// for this peer).
    pub attrs: Arc<RouteAttrs>,
    /// The prefixes, with the outbound path identifiers when ADD-PATH is
    /// on for the peer.
    pub nlri: Vec<Nlri>,
}

/// What changed in one peer's Adj-RIB-Out since its last drain: the
/// UPDATEs to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdjRibOutChanges {
    /// The peer.
    pub peer: PeerId,
    /// Withdrawn prefixes per family.
    pub withdrawn: Vec<(Family, Vec<Nlri>)>,
    /// Announced prefixes grouped by attribute set.
    pub announced: Vec<Announcement>,
}

impl AdjRibOutChanges {
    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.withdrawn.is_empty() && self.announced.is_empty()
    }

    /// The number of prefixes announced and withdrawn.
    pub fn len(&self) -> usize {
        self.withdrawn.iter().map(|w| w.1.len()).sum::<usize>()
            + self.announced.iter().map(|a| a.nlri.len()).sum::<usize>()
    }

    /// Encodes everything as UPDATEs (withdrawals first) with `builder`,
    /// which must be set up for this peer's session; returns the number of
    /// messages.
    pub fn encode(&self, builder: &UpdateBuilder, out: &mut Vec<u8>) -> Result<usize, EncodeError> {
        let mut n = 0;
        for (family, nlri) in &self.withdrawn {
            n += builder.withdraw(*family, nlri, out)?;
        }
        for a in &self.announced {
            // Invariant: export always sets a next hop (ours at least).
            let nh = a
                .attrs
                .next_hop
                .as_ref()
                .expect("exported routes carry a next hop");
            n += builder.announce(a.family, &a.attrs.to_path_attributes(), nh, &a.nlri, out)?;
        }
        Ok(n)
    }
}

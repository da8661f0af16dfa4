//! The policy hook: how a RIB asks an import or export policy about a route.
//!
//! bgp-rib does not know what a route-map is. It calls a [`Policy`] on every
//! route entering a peer's Adj-RIB-In (import) and leaving towards a peer's
//! Adj-RIB-Out (export); `bgp-policy`'s route-maps and prefix-lists implement
//! the trait, and so can any closure. On import, a policy that says it
//! permits a whole family ([`Policy::permits_all`]) is asked that once per
//! UPDATE instead, and one whose answer does not depend on the prefix
//! ([`Policy::ignores_prefix`]) is asked about one route per UPDATE. On
//! export the same two let a drain skip the policy, or ask it once per
//! attribute set, and one that names the only prefixes it can permit
//! ([`Policy::permitted_prefixes`]) lets the first drain after a session
//! comes up visit those prefixes instead of the whole table.

use std::net::{IpAddr, Ipv4Addr};

use bgp_wire::codepoint::Role;
use bgp_wire::{Family, RouteAttrs};
use ipnet::IpNet;

/// Which way a route passes through a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Received from the peer, on its way into the Adj-RIB-In (post-policy).
    Import,
    /// Chosen for the peer, on its way into its Adj-RIB-Out.
    Export,
}

/// Where a route came from (FRR's `match source-protocol`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// Learned from a BGP peer.
    Bgp,
    /// Originated here by configuration (a `network` statement).
    Static,
    /// Originated here from a directly connected network.
    Connected,
    /// Originated here as an aggregate.
    Aggregate,
}

/// The session a route is evaluated for: the peer it came from (import) or
/// goes to (export).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PeerInfo {
    /// The peer's address.
    pub address: IpAddr,
    /// Our address on the session (FRR's `peer-address` next hop on export).
    pub local_address: IpAddr,
    /// The peer's AS.
    pub asn: u32,
    /// Our AS on the session.
    pub local_asn: u32,
    /// The peer's BGP identifier.
    pub router_id: Ipv4Addr,
    /// The negotiated role of the peer ([RFC 9234 §4]), if any.
    ///
    /// [RFC 9234 §4]: https://www.rfc-editor.org/rfc/rfc9234#section-4
    pub role: Option<Role>,
}

impl PeerInfo {
    /// Whether the session is internal (iBGP).
    pub const fn is_ibgp(&self) -> bool {
        self.asn == self.local_asn
    }
}

/// A route as a policy sees it.
#[derive(Clone, Copy, Debug)]
pub struct PolicyRoute<'a> {
    /// The prefix.
    pub prefix: IpNet,
    /// The ADD-PATH path identifier, if any.
    pub path_id: Option<u32>,
    /// The path attributes.
    pub attrs: &'a RouteAttrs,
    /// The local weight (not a path attribute; FRR's `set weight`).
    pub weight: u32,
    /// Where the route came from.
    pub source: Source,
    /// Import or export.
    pub direction: Direction,
    /// The session.
    pub peer: &'a PeerInfo,
}

/// A policy's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Drop the route (import: it is not eligible; export: it is not sent).
    Deny,
    /// Keep the route as it is.
    Permit,
    /// Keep the route with these attributes and weight.
    Modified(Box<Modified>),
}

/// The attributes and weight a policy gave a route it permitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Modified {
    /// The new path attributes.
    pub attrs: RouteAttrs,
    /// The new weight.
    pub weight: u32,
}

/// A set of prefixes as a prefix-list entry names them: `prefix` itself
/// and every prefix inside it, each only if its length lies in
/// `min_len..=max_len` (FRR's `PREFIX ge G le L`; `PREFIX` alone is
/// `min_len == max_len == ` its length).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PrefixRange {
    /// The covering prefix (host bits are ignored).
    pub prefix: IpNet,
    /// The shortest length in the set.
    pub min_len: u8,
    /// The longest length in the set.
    pub max_len: u8,
}

impl PrefixRange {
    /// The range of `prefix` alone.
    pub fn exact(prefix: IpNet) -> Self {
        let len = prefix.prefix_len();
        Self {
            prefix: prefix.trunc(),
            min_len: len,
            max_len: len,
        }
    }

    /// Whether `p` is in the set: of the same family, inside `prefix`, and
    /// of a length in `min_len..=max_len`.
    pub fn contains(&self, p: &IpNet) -> bool {
        (self.min_len..=self.max_len).contains(&p.prefix_len()) && self.prefix.trunc().contains(p)
    }
}

/// An import or export policy.
pub trait Policy {
    /// Decides about one route. Must be deterministic: the RIB may evaluate a
    /// route again (soft reconfiguration) and expects the same answer.
    fn evaluate(&self, route: &PolicyRoute<'_>) -> Verdict;

    /// Whether [`evaluate`](Self::evaluate) would now return
    /// [`Verdict::Permit`] for every route of `family` (IPv4 or IPv6
    /// unicast), whatever its prefix, attributes or peer: a session with
    /// no policy configured for the family. The RIB asks once per UPDATE
    /// (import) or drain (export) and, on `true`, stores or sends the
    /// routes without calling `evaluate` for each, as FRR skips a route-map
    /// that is not configured. The default, `false`, is always correct.
    fn permits_all(&self, family: Family) -> bool {
        let _ = family;
        false
    }

    /// Whether [`evaluate`](Self::evaluate)'s answer for a route of
    /// `family` (IPv4 or IPv6 unicast) depends only on what the routes of
    /// one UPDATE share (attributes, weight, source, direction and peer),
    /// never on the route's prefix or path id: a route-map that sets
    /// LOCAL_PREF or matches communities, but matches no prefix-list. On
    /// import the RIB then asks once per UPDATE and family and gives the
    /// answer to every route of it: one evaluation, and for
    /// [`Verdict::Modified`] one interned attribute set, instead of one per
    /// route. On export it asks once per attribute set, weight and source
    /// in each drain of the peer's Adj-RIB-Out. The default, `false`, is
    /// always correct.
    fn ignores_prefix(&self, family: Family) -> bool {
        let _ = family;
        false
    }

    /// `Some(ranges)` when [`evaluate`](Self::evaluate) now denies every
    /// route of `family` (IPv4 or IPv6 unicast) whose prefix lies in none
    /// of `ranges`, whatever its attributes or peer: an export prefix-list
    /// that permits only the default route, or a route-map whose every
    /// `permit` entry matches such a list. Ranges may overlap; ranges of
    /// another family are ignored. The RIB asks on export, when it
    /// evaluates a peer's whole Adj-RIB-Out (the first drain after the
    /// session came up or after the export policy was replaced): it then
    /// looks only at those prefixes and at those the peer holds (to
    /// withdraw what is now denied), so a host that is sent one route
    /// costs that route, not a walk of the table and a policy call per
    /// prefix. It never asks more than
    /// that, so the policy is still called for each route it does look
    /// at. The default, `None` (no claim), is always correct; so is a
    /// range wider than needed.
    fn permitted_prefixes(&self, family: Family) -> Option<Vec<PrefixRange>> {
        let _ = family;
        None
    }
}

impl<F: Fn(&PolicyRoute<'_>) -> Verdict> Policy for F {
    fn evaluate(&self, route: &PolicyRoute<'_>) -> Verdict {
        self(route)
    }
}

/// The policy that permits everything unchanged (what a session without a
/// configured policy uses in iBGP; FRR's `no bgp ebgp-requires-policy`).
#[derive(Clone, Copy, Debug, Default)]
pub struct PermitAll;

impl Policy for PermitAll {
    fn evaluate(&self, _: &PolicyRoute<'_>) -> Verdict {
        Verdict::Permit
    }

    fn permits_all(&self, _: Family) -> bool {
        true
    }

    fn ignores_prefix(&self, _: Family) -> bool {
        true
    }
}

/// The policy that denies everything (FRR's behaviour for a missing route-map,
/// and for eBGP without policy under `bgp ebgp-requires-policy`, RFC 8212).
#[derive(Clone, Copy, Debug, Default)]
pub struct DenyAll;

impl Policy for DenyAll {
    fn evaluate(&self, _: &PolicyRoute<'_>) -> Verdict {
        Verdict::Deny
    }

    fn ignores_prefix(&self, _: Family) -> bool {
        true
    }

    fn permitted_prefixes(&self, _: Family) -> Option<Vec<PrefixRange>> {
        Some(Vec::new())
    }
}

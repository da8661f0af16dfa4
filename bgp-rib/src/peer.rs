//! Per-peer configuration: session facts, policies, and the propagation
//! options (route reflection, route server, next hop, ADD-PATH, …).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use bgp_wire::{Family, FamilySet};

use crate::policy::{PeerInfo, PermitAll, Policy};

/// A policy shared between the RIB and its configurer.
pub type SharedPolicy = Arc<dyn Policy + Send + Sync>;

/// A peer of the RIB. [`PeerId::LOCAL`] stands for this speaker (routes
/// originated by [`Rib::originate`](crate::Rib::originate)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub(crate) u16);

impl PeerId {
    /// This speaker: the source of locally originated routes.
    pub const LOCAL: Self = Self(0);

    /// The index (0 for [`LOCAL`](Self::LOCAL), then 1, 2, … in the order
    /// peers were added).
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// What NEXT_HOP a peer gets on export.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NextHopMode {
    /// Our address towards eBGP peers, unchanged towards iBGP peers (the
    /// RFC 4271 §5.1.3 default). Route-server clients always get the next
    /// hop unchanged ([RFC 7947 §2.2.2]).
    ///
    /// [RFC 7947 §2.2.2]: https://www.rfc-editor.org/rfc/rfc7947#section-2.2.2
    #[default]
    Auto,
    /// Always our address (`next-hop-self`).
    SelfAddress,
    /// Never changed (`next-hop-unchanged`); a route without a next hop
    /// (locally originated) still gets ours.
    Unchanged,
}

/// How many paths per prefix are sent to a peer ([RFC 7911]).
///
/// [RFC 7911]: https://www.rfc-editor.org/rfc/rfc7911
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AddPathSend {
    /// The best path only, without path identifiers (no ADD-PATH).
    #[default]
    Single,
    /// Every eligible path (FRR's `addpath-tx-all-paths`).
    All,
    /// The best N paths in decision order (`addpath-tx-best-selected N`).
    Best(u16),
}

/// `default-originate`: send 0.0.0.0/0 (and ::/0) with us as next hop,
/// whatever the Loc-RIB holds for the default route.
#[derive(Clone, Default)]
pub struct DefaultOriginate {
    /// When present, the default is sent only while this policy permits at
    /// least one route of the family's Loc-RIB (FRR's
    /// `default-originate route-map NAME`).
    pub condition: Option<SharedPolicy>,
}

impl std::fmt::Debug for DefaultOriginate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultOriginate")
            .field("conditional", &self.condition.is_some())
            .finish()
    }
}

/// Everything the RIB needs to know about one peer.
#[derive(Clone)]
pub struct PeerConfig {
    /// The session facts policies see (addresses, ASes, router ID, role).
    ///
    /// `info.role` is the role the *peer* has in the relationship (the value
    /// in its BGP Role capability, [RFC 9234 §4]): `Some(Role::CUSTOMER)`
    /// means the peer is our customer.
    ///
    /// [RFC 9234 §4]: https://www.rfc-editor.org/rfc/rfc9234#section-4
    pub info: PeerInfo,
    /// Applied to every route received from the peer.
    pub import: SharedPolicy,
    /// Applied to every route about to be sent to the peer.
    pub export: SharedPolicy,
    /// The peer is a route-reflector client ([RFC 4456 §6]).
    ///
    /// [RFC 4456 §6]: https://www.rfc-editor.org/rfc/rfc4456#section-6
    pub route_reflector_client: bool,
    /// The peer is a route-server client ([RFC 7947]): attributes pass
    /// transparently, and it gets the best path among those its export
    /// policy permits.
    ///
    /// [RFC 7947]: https://www.rfc-editor.org/rfc/rfc7947
    pub route_server_client: bool,
    /// The NEXT_HOP it gets.
    pub next_hop: NextHopMode,
    /// Accept paths with our AS in AS_PATH up to this many times
    /// (`allowas-in N`).
    pub allowas_in: u8,
    /// Remove private AS numbers from AS_PATH on export to this eBGP peer
    /// (FRR's `remove-private-AS all`).
    pub remove_private_as: bool,
    /// Keep what the peer sent before import policy, so that a new import
    /// policy takes effect without a ROUTE-REFRESH. A route the policy
    /// passes unchanged costs nothing more (its path stands for it); one
    /// it changes or denies is kept beside it.
    pub soft_reconfiguration_inbound: bool,
    /// Send it a default route.
    pub default_originate: Option<DefaultOriginate>,
    /// ADD-PATH on send.
    pub add_path_send: AddPathSend,
    /// The weight given to routes from this peer (before import policy).
    pub weight: u16,
    /// The families exchanged with the peer (IPv4 and IPv6 unicast are
    /// what the RIB holds).
    pub families: FamilySet,
    /// Our IPv4 next-hop-self address (default: the session's local address
    /// if IPv4, else our router ID).
    pub local_ipv4: Option<Ipv4Addr>,
    /// Our IPv6 next-hop-self address (default: the session's local address
    /// if IPv6; without one, IPv6 routes needing next-hop-self are not sent).
    pub local_ipv6: Option<Ipv6Addr>,
}

impl std::fmt::Debug for PeerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerConfig")
            .field("info", &self.info)
            .field("route_reflector_client", &self.route_reflector_client)
            .field("route_server_client", &self.route_server_client)
            .field("next_hop", &self.next_hop)
            .field("allowas_in", &self.allowas_in)
            .field("remove_private_as", &self.remove_private_as)
            .field(
                "soft_reconfiguration_inbound",
                &self.soft_reconfiguration_inbound,
            )
            .field("default_originate", &self.default_originate)
            .field("add_path_send", &self.add_path_send)
            .field("weight", &self.weight)
            .finish_non_exhaustive()
    }
}

impl PeerConfig {
    /// A peer with permit-all policies, IPv4 and IPv6 unicast, and every
    /// option off.
    pub fn new(info: PeerInfo) -> Self {
        Self {
            info,
            import: Arc::new(PermitAll),
            export: Arc::new(PermitAll),
            route_reflector_client: false,
            route_server_client: false,
            next_hop: NextHopMode::Auto,
            allowas_in: 0,
            remove_private_as: false,
            soft_reconfiguration_inbound: false,
            default_originate: None,
            add_path_send: AddPathSend::Single,
            weight: 0,
            families: FamilySet::EMPTY
                .with(Family::IPV4_UNICAST)
                .with(Family::IPV6_UNICAST),
            local_ipv4: None,
            local_ipv6: None,
        }
    }

    /// Sets the import policy.
    pub fn import(mut self, p: impl Policy + Send + Sync + 'static) -> Self {
        self.import = Arc::new(p);
        self
    }

    /// Sets the export policy.
    pub fn export(mut self, p: impl Policy + Send + Sync + 'static) -> Self {
        self.export = Arc::new(p);
        self
    }

    /// Marks the peer a route-reflector client.
    pub fn route_reflector_client(mut self) -> Self {
        self.route_reflector_client = true;
        self
    }

    /// Marks the peer a route-server client.
    pub fn route_server_client(mut self) -> Self {
        self.route_server_client = true;
        self
    }

    /// Sets the next-hop mode.
    pub fn next_hop(mut self, m: NextHopMode) -> Self {
        self.next_hop = m;
        self
    }

    /// Sets ADD-PATH on send.
    pub fn add_path_send(mut self, a: AddPathSend) -> Self {
        self.add_path_send = a;
        self
    }

    /// Turns on soft-reconfiguration inbound.
    pub fn soft_reconfiguration_inbound(mut self) -> Self {
        self.soft_reconfiguration_inbound = true;
        self
    }

    /// Turns on default-originate.
    pub fn default_originate(mut self, d: DefaultOriginate) -> Self {
        self.default_originate = Some(d);
        self
    }

    /// Our next-hop-self address for a family.
    pub(crate) fn self_v4(&self, router_id: Ipv4Addr) -> Ipv4Addr {
        match (self.local_ipv4, self.info.local_address) {
            (Some(a), _) | (None, IpAddr::V4(a)) => a,
            _ => router_id,
        }
    }

    pub(crate) fn self_v6(&self) -> Option<Ipv6Addr> {
        match (self.local_ipv6, self.info.local_address) {
            (Some(a), _) | (None, IpAddr::V6(a)) => Some(a),
            _ => None,
        }
    }
}

//! `bgp-rib`: Adj-RIBs-In, Loc-RIB and Adj-RIBs-Out over radix tries, with
//! the decision process of [RFC 4271 §9.1], route reflection ([RFC 4456]),
//! route-server mode ([RFC 7947]), ADD-PATH ([RFC 7911]), BGP roles
//! ([RFC 9234]) and graceful restart ([RFC 4724]).
//!
//! # Sans-IO
//! The RIB opens no socket, starts no thread and reads no clock. Routes go
//! in as parsed UPDATE views ([`Rib::update`]) or typed values
//! ([`Rib::announce`]); what changed comes out when the caller drains it
//! ([`Rib::drain_loc_rib`] for a FIB, [`Rib::drain_adj_rib_out`] per peer
//! for UPDATEs), so the caller's MRAI timer decides how changes are batched.
//! The only time-dependent work, sweeping graceful-restart stale paths, is
//! driven by [`Rib::poll_timeout`] / [`Rib::handle_timeout`] with the
//! caller's `now`, or by the peer's End-of-RIB.
//!
//! # Model
//! * [`trie::PrefixTrie`]: a path-compressed radix trie per family; every
//!   prefix holds all peers' paths (12 octets each) and every peer's
//!   Adj-RIB-Out records (16 octets each). An optional DIR-24-8 index
//!   ([`RibConfig::ipv4_lpm_index`]) makes IPv4 address lookups one or two
//!   memory reads.
//! * Attribute sets ([`bgp_wire::RouteAttrs`]) are interned: stored once,
//!   reference-counted, freed with their last user.
//! * [`decision`]: the decision process as an explicit procedure returning
//!   the winner and the [`DecisionStep`] that decided.
//! * [`policy::Policy`]: import and export hooks, which `bgp-policy`'s
//!   route-maps implement (this crate does not depend on it). A policy
//!   that permits a whole family is not called per route, and one whose
//!   answer ignores the prefix is called once per UPDATE (import) or per
//!   attribute set in a drain (export).
//! * [`PeerConfig`]: route-reflector and route-server clients, next-hop
//!   handling, `allowas-in`, private-AS removal, soft reconfiguration,
//!   default-originate, ADD-PATH send.
//!
//! | operation | cost |
//! |---|---|
//! | announce / withdraw one prefix | O(prefix length + paths of the prefix) |
//! | drain Adj-RIB-Out | O(prefixes changed since the last drain × paths); after `peer_up` or a policy change O(table), or O(the prefixes the policy names + the peer's routes) when its export policy names them ([`policy::Policy::permitted_prefixes`]) |
//! | peer down, stale marking and sweeping | O(the peer's routes): the RIB keeps, per peer, which blocks of 256 prefixes may hold its routes |
//! | longest-prefix match | O(prefix length); O(1) for IPv4 with the DIR-24-8 index |
//! | a peer's route counts ([`Rib::peer_counts`], for `show bgp summary`) | O(1) |
//! | a peer's Adj-RIB-In or Adj-RIB-Out as a list | O(the peer's routes) |
//!
//! # Wiring
//! * A peer is a [`PeerConfig`] (its [`policy::PeerInfo`], import and export
//!   [`policy::Policy`] — any closure, [`policy::PermitAll`], or bgp-policy's
//!   route-maps — and its options) given to [`Rib::add_peer`].
//! * Route reflection: mark clients with
//!   [`PeerConfig::route_reflector_client`]; the cluster ID is
//!   [`RibConfig::cluster_id`].
//! * Route server (IXP or the iBGP design where hosts announce /32s to route
//!   servers that pass them to border routers and pass the borders' default
//!   back): mark every client with [`PeerConfig::route_server_client`] and
//!   say who gets what with their export policies; each client gets the
//!   best path among those its export policy permits.
//! * IGP costs and next-hop reachability come from a [`NextHopResolver`]
//!   ([`Rib::set_resolver`]; [`Rib::next_hops_changed`] after the IGP
//!   moved).
//!
//! # Limits
//! IPv4 and IPv6 unicast only; at most 65535 peers; weights are 16 bits
//! (FRR's range). Adj-RIB-Out work is per peer: there are no update groups
//! (peers with the same outbound configuration are evaluated one by one).
//!
//! # Example
//! Two eBGP peers; a route from one is chosen, programmed and passed on.
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use bgp_rib::{PeerConfig, Rib, RibConfig};
//! use bgp_rib::policy::PeerInfo;
//! use bgp_wire::attr::{AsPathBuf, NextHop, Origin, PathAttribute};
//! use bgp_wire::{Family, Message, Messages, Nlri, SessionContext, UpdateBuilder};
//!
//! let mut rib = Rib::new(RibConfig::new(65000, Ipv4Addr::new(10, 0, 0, 1)));
//! let peer = |n: u8, asn: u32| PeerInfo {
//!     address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, n)),
//!     local_address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
//!     asn,
//!     local_asn: 65000,
//!     router_id: Ipv4Addr::new(10, 9, 9, n),
//!     role: None,
//! };
//! let a = rib.add_peer(PeerConfig::new(peer(2, 65001)))?;
//! let b = rib.add_peer(PeerConfig::new(peer(3, 65002)))?;
//! rib.peer_up(a)?;
//! rib.peer_up(b)?;
//!
//! // Peer A sends an UPDATE (built here; normally read off its session).
//! let ctx = SessionContext::default();
//! let mut wire = Vec::new();
//! UpdateBuilder::new(ctx).announce(
//!     Family::IPV4_UNICAST,
//!     &[PathAttribute::Origin(Origin::Igp), PathAttribute::AsPath(AsPathBuf::sequence([65001]))],
//!     &NextHop::V4(Ipv4Addr::new(192, 0, 2, 2)),
//!     &[Nlri::new("203.0.113.0/24".parse()?)],
//!     &mut wire,
//! )?;
//! for (_, msg) in Messages::new(&wire, ctx) {
//!     if let Ok(Message::Update(u)) = msg {
//!         rib.update(a, &u)?;
//!     }
//! }
//!
//! // The FIB learns the best path.
//! let fib = rib.drain_loc_rib();
//! assert_eq!(fib.len(), 1);
//! assert_eq!(fib[0].paths[0].peer, a);
//!
//! // Peer B is sent the route: our AS prepended, our address as next hop.
//! let changes = rib.drain_adj_rib_out(b)?;
//! let ann = &changes.announced[0];
//! assert_eq!(ann.attrs.as_path, AsPathBuf::sequence([65000, 65001]));
//! assert_eq!(ann.attrs.next_hop, Some(NextHop::V4(Ipv4Addr::new(192, 0, 2, 1))));
//! let mut to_b = Vec::new();
//! let messages = changes.encode(&UpdateBuilder::new(ctx), &mut to_b)?;
//! assert_eq!(messages, 1);
//! // Nothing goes back to A, whose own route it is.
//! assert!(rib.drain_adj_rib_out(a)?.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [RFC 4271 §9.1]: https://www.rfc-editor.org/rfc/rfc4271#section-9.1
//! [RFC 4456]: https://www.rfc-editor.org/rfc/rfc4456
//! [RFC 7947]: https://www.rfc-editor.org/rfc/rfc7947
//! [RFC 7911]: https://www.rfc-editor.org/rfc/rfc7911
//! [RFC 9234]: https://www.rfc-editor.org/rfc/rfc9234
//! [RFC 4724]: https://www.rfc-editor.org/rfc/rfc4724
#![deny(unsafe_code)] // allowed in `prefetch` only
#![deny(missing_docs)]

pub use bgp_wire;
/// The inline vector of [`LocRibChange::paths`].
pub use smallvec;

pub mod change;
pub mod decision;
pub mod fuzzing;
mod held;
mod intern;
pub mod peer;
pub mod policy;
mod prefetch;
mod rib;
mod small;
pub mod trie;

pub use change::{AdjRibOutChanges, Announcement, LocRibChange, RoutePath};
pub use decision::{DecisionConfig, DecisionStep};
pub use peer::{AddPathSend, DefaultOriginate, NextHopMode, PeerConfig, PeerId, SharedPolicy};
pub use rib::{AllReachable, NextHopResolver, PeerCounts, Reconfigured, Rib, RibConfig, RibError};

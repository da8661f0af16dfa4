//! `bgp-policy`: prefix-lists, AS-path and community lists and route-maps,
//! evaluated as FRR evaluates them, with a parser and printer for FRR's text
//! syntax.
//!
//! This crate is sans-IO: it reads no clock, opens no socket and starts no
//! thread. It takes routes as [`bgp_rib::policy::PolicyRoute`]s and answers
//! with [`bgp_rib::policy::Verdict`]s, so a RIB can call it through the
//! [`Policy`](bgp_rib::policy::Policy) trait.
//!
//! - [`Config`]: the statements — [`PrefixList`], [`AsPathList`],
//!   community lists ([`CommunityList`]), [`RouteMap`] — parsed from FRR's
//!   `show running-config` text ([`Config::parse`], or
//!   [`Config::parse_full`] inside a whole FRR configuration) and printed
//!   back the same way (`Display`).
//! - [`Policies`]: a compiled `Config`. [`Policies::route_map`] and
//!   [`Policies::prefix_list`] give [`Policy`](bgp_rib::policy::Policy)
//!   handles; [`RouteMapPolicy::evaluate_traced`] also reports which entries
//!   matched; [`Evaluator`] remembers answers per attribute set for full
//!   tables. The handles tell a RIB when it may skip them or ask once per
//!   UPDATE: `route-map ALLOW permit 10` permits everything
//!   ([`Policy::permits_all`](bgp_rib::policy::Policy::permits_all)), and
//!   a route-map that matches no prefix-list gives every route of an
//!   UPDATE the same answer
//!   ([`Policy::ignores_prefix`](bgp_rib::policy::Policy::ignores_prefix)).
//!
//! The semantics are FRR's ([FRR: Filtering], [FRR: Route Maps], [FRR: BGP]);
//! `examples/policy-check` and its test compare them with FRR's bgpd route
//! by route.
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use bgp_policy::Policies;
//! use bgp_policy::bgp_rib::policy::{Direction, PeerInfo, Policy, PolicyRoute, Source, Verdict};
//! use bgp_policy::bgp_wire::RouteAttrs;
//! use bgp_policy::bgp_wire::attr::AsPathBuf;
//!
//! let policies = Policies::parse(
//!     "ip prefix-list hostroutes seq 5 permit 0.0.0.0/0 ge 32\n\
//!      route-map IN permit 10\n match ip address prefix-list hostroutes\n set local-preference 200\n",
//! )?;
//! let peer = PeerInfo {
//!     address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
//!     local_address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
//!     asn: 65001,
//!     local_asn: 65000,
//!     router_id: Ipv4Addr::new(192, 0, 2, 1),
//!     role: None,
//! };
//! let attrs = RouteAttrs { as_path: AsPathBuf::sequence([65001]), ..RouteAttrs::default() };
//! let route = |prefix: &str| PolicyRoute {
//!     prefix: prefix.parse().unwrap(),
//!     path_id: None,
//!     attrs: &attrs,
//!     weight: 0,
//!     source: Source::Bgp,
//!     direction: Direction::Import,
//!     peer: &peer,
//! };
//! let map = policies.route_map("IN");
//! assert_eq!(map.evaluate(&route("198.51.100.0/24")), Verdict::Deny);
//! let Verdict::Modified(m) = map.evaluate(&route("198.51.100.7/32")) else { panic!() };
//! assert_eq!(m.attrs.local_pref, Some(200));
//! # Ok::<(), bgp_policy::ParseError>(())
//! ```
//!
//! # FRR's behaviour, as measured
//!
//! `examples/tests/policy_frr.rs` runs FRR 8.4's bgpd with the same
//! configuration and routes; these are the behaviours it pinned down, which
//! the engine reproduces:
//!
//! - A route-map walk that continues (`on-match next`, `on-match goto`,
//!   `continue`) after a permit and then meets an entry that does not match
//!   ends in deny unless a later entry permits; it ends in permit when the
//!   permitting entry was the last one examined (last entry, or a goto past
//!   the end).
//! - A `call` to a route-map that does not exist is skipped; a match on a
//!   list that does not exist does not match; a route-map that does not exist
//!   denies everything.
//! - A prefix-list that exists without entries (only a `description`) does
//!   not match in a route-map, but as a neighbor's `prefix-list` filter it
//!   lets every route through ([`Policies::prefix_list`]);
//!   [`PrefixList::permits`] itself permits nothing on an empty list.
//! - `set local-preference +N` / `set metric +N` count an absent attribute as
//!   0. On export to an internal peer FRR first gives a route without
//!   LOCAL_PREF the default 100 (RFC 4271 §5.1.5); that step belongs to
//!   whoever calls the export policy (`policy-check --export` does it).
//! - Communities, large and extended communities come out of a `set` sorted
//!   and without duplicates, as FRR stores them; expanded lists match the
//!   sorted text with FRR's names for well-known communities.
//! - An entry's sets apply in the order they were written, as bgpd applies
//!   them (`set community … additive` then `set comm-list … delete` differs
//!   from the reverse). bgpd's `show running-config` prints them sorted by
//!   command, so reloading its printout can change such an entry; this
//!   printer keeps the written order.
//! - FRR 8.4 does not apply `continue` without an entry number (its
//!   running-config shows nothing for the line; `on-match next` works);
//!   this parser reads it as `on-match next`, as Quagga did.
//!
//! [FRR: Filtering]: https://docs.frrouting.org/en/latest/filter.html
//! [FRR: Route Maps]: https://docs.frrouting.org/en/latest/routemap.html
//! [FRR: BGP]: https://docs.frrouting.org/en/latest/bgp.html
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;

pub use bgp_rib;
pub use bgp_wire;

pub mod as_path_list;
pub mod community_list;
mod config;
mod eval;
mod parse;
pub mod prefix_list;
pub mod route_map;

pub use as_path_list::{AsPathEntry, AsPathList, FrrRegex};
pub use community_list::{
    CommunityList, CommunityListEntry, CommunityMatcher, ExtCommunityList, LargeCommunityList,
    ListStyle, StdCommunityList,
};
pub use config::{Config, OtherLine};
pub use eval::{
    Answer, Evaluator, Hit, Outcome, Policies, PrefixListPolicy, RouteMapPolicy, SharedPrefixList,
    SharedRouteMap,
};
pub use parse::{ParseError, parse_community, parse_large_community};
pub use prefix_list::{AddrFamily, PrefixList, PrefixListEntry, PrefixListError, PrefixMatch};
pub use route_map::{ExitPolicy, Match, RouteMap, RouteMapEntry, Set, SetValue};

/// `permit` or `deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// `permit`.
    Permit,
    /// `deny`.
    Deny,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Permit => "permit",
            Self::Deny => "deny",
        })
    }
}

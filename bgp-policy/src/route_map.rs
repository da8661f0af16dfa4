//! Route-maps ([FRR: Route Maps]): the statements, as written.
//!
//! A route-map is a list of entries in sequence order. An entry matches a
//! route when all its `match` clauses do (an entry without any matches every
//! route). The first matching entry decides: `deny` drops the route;
//! `permit` applies the entry's `set` clauses, then its `call`, then its exit
//! policy: stop (the default), `on-match next` (go on with the next entry;
//! FRR's `continue`), or `on-match goto N` (`continue N`). A route no entry
//! matches is denied. Evaluation is in [`crate::Policies`].
//!
//! [FRR: Route Maps]: https://docs.frrouting.org/en/latest/routemap.html

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bgp_rib::policy::Source;
use bgp_wire::attr::{Community, ExtCommunity, LargeCommunity, Origin};
use bgp_wire::codepoint::Role;

use crate::Action;
use crate::community_list::CommunityValue;
use crate::prefix_list::AddrFamily;

//----------- RouteMap ----------------------------------------------------------

/// A named route-map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteMap {
    name: String,
    entries: Vec<RouteMapEntry>,
}

impl RouteMap {
    /// An empty route-map (it denies everything).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            entries: Vec::new(),
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The entries in sequence order.
    pub fn entries(&self) -> &[RouteMapEntry] {
        &self.entries
    }

    /// The entry with sequence number `seq`, if any.
    pub fn entry_mut(&mut self, seq: u32) -> Option<&mut RouteMapEntry> {
        self.entries.iter_mut().find(|e| e.seq == seq)
    }

    /// Adds an entry; an existing entry with the same sequence number is
    /// replaced. `Err` when `on-match goto` does not jump forward (FRR
    /// refuses backward jumps so every route-map ends).
    pub fn insert(&mut self, entry: RouteMapEntry) -> Result<(), String> {
        if let ExitPolicy::Goto(n) = entry.exit {
            if n <= entry.seq {
                return Err(format!(
                    "on-match goto {n} in entry {} does not jump forward",
                    entry.seq
                ));
            }
        }
        match self.entries.binary_search_by_key(&entry.seq, |e| e.seq) {
            Ok(at) => self.entries[at] = entry,
            Err(at) => self.entries.insert(at, entry),
        }
        Ok(())
    }
}

/// One `route-map NAME permit|deny SEQ` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteMapEntry {
    /// The sequence number (1 to 65535).
    pub seq: u32,
    /// Permit or deny.
    pub action: Action,
    /// `description TEXT`.
    pub description: Option<String>,
    /// The `match` clauses, all of which must hold. At most one of each kind
    /// ([`Match::kind`]): FRR replaces a clause by a later one of its kind.
    pub matches: Vec<Match>,
    /// The `set` clauses, applied in order. At most one of each kind.
    pub sets: Vec<Set>,
    /// `call NAME`: evaluate that route-map after the sets; if it denies,
    /// the route is denied.
    pub call: Option<String>,
    /// What happens after a permit match.
    pub exit: ExitPolicy,
}

impl RouteMapEntry {
    /// An entry without clauses.
    pub const fn new(seq: u32, action: Action) -> Self {
        Self {
            seq,
            action,
            description: None,
            matches: Vec::new(),
            sets: Vec::new(),
            call: None,
            exit: ExitPolicy::Exit,
        }
    }

    /// Adds a match clause, replacing one of the same kind.
    pub fn add_match(&mut self, m: Match) {
        match self.matches.iter_mut().find(|x| x.kind() == m.kind()) {
            Some(x) => *x = m,
            None => self.matches.push(m),
        }
    }

    /// Adds a set clause, replacing one of the same kind.
    pub fn add_set(&mut self, s: Set) {
        match self.sets.iter_mut().find(|x| x.kind() == s.kind()) {
            Some(x) => *x = s,
            None => self.sets.push(s),
        }
    }
}

/// What a permitting entry does after its sets and call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ExitPolicy {
    /// Stop: the route is permitted.
    #[default]
    Exit,
    /// `on-match next` (`continue`): go on with the next entry.
    Next,
    /// `on-match goto N` (`continue N`): go on with the first entry whose
    /// sequence number is at least N.
    Goto(u32),
}

//----------- Match -------------------------------------------------------------

/// A `match` clause.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Match {
    /// `match ip|ipv6 address prefix-list NAME`: the route's prefix.
    PrefixList(AddrFamily, String),
    /// `match ip|ipv6 next-hop prefix-list NAME`: the next hop as a host
    /// prefix.
    NextHopPrefixList(AddrFamily, String),
    /// `match as-path NAME`.
    AsPath(String),
    /// `match community NAME [exact-match]`.
    Community {
        /// The list.
        list: String,
        /// Whether the route's set must equal an entry's.
        exact: bool,
    },
    /// `match large-community NAME [exact-match]`.
    LargeCommunity {
        /// The list.
        list: String,
        /// Whether the route's set must equal an entry's.
        exact: bool,
    },
    /// `match extcommunity NAME`.
    ExtCommunity(String),
    /// `match local-preference N` (an absent LOCAL_PREF counts as 0, as in
    /// FRR).
    LocalPref(u32),
    /// `match metric N` (an absent MED counts as 0, as in FRR).
    Metric(u32),
    /// `match origin igp|egp|incomplete`.
    Origin(Origin),
    /// `match peer ADDR`: the session's peer address.
    Peer(IpAddr),
    /// `match peer local`: a route originated here.
    PeerLocal,
    /// `match source-protocol bgp|static|connected`.
    SourceProtocol(Source),
    /// `match peer-role provider|rs-server|rs-client|customer|peer` (an extension:
    /// the negotiated [RFC 9234] role of the session's peer).
    ///
    /// [RFC 9234]: https://www.rfc-editor.org/rfc/rfc9234#section-4
    PeerRole(Role),
    /// `match otc` (an extension): the route carries the Only-to-Customer
    /// attribute ([RFC 9234 §5]).
    ///
    /// [RFC 9234 §5]: https://www.rfc-editor.org/rfc/rfc9234#section-5
    Otc,
}

impl Match {
    /// The command, as FRR identifies it: two clauses of one kind cannot
    /// stand in one entry.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::PrefixList(AddrFamily::Ipv4, _) => "ip address prefix-list",
            Self::PrefixList(AddrFamily::Ipv6, _) => "ipv6 address prefix-list",
            Self::NextHopPrefixList(AddrFamily::Ipv4, _) => "ip next-hop prefix-list",
            Self::NextHopPrefixList(AddrFamily::Ipv6, _) => "ipv6 next-hop prefix-list",
            Self::AsPath(_) => "as-path",
            Self::Community { .. } => "community",
            Self::LargeCommunity { .. } => "large-community",
            Self::ExtCommunity(_) => "extcommunity",
            Self::LocalPref(_) => "local-preference",
            Self::Metric(_) => "metric",
            Self::Origin(_) => "origin",
            Self::Peer(_) | Self::PeerLocal => "peer",
            Self::SourceProtocol(_) => "source-protocol",
            Self::PeerRole(_) => "peer-role",
            Self::Otc => "otc",
        }
    }
}

/// The keyword of a source protocol.
pub const fn source_keyword(s: Source) -> &'static str {
    match s {
        Source::Bgp | Source::Aggregate => "bgp",
        Source::Static => "static",
        Source::Connected => "connected",
    }
}

/// The keyword of an RFC 9234 role (FRR's `local-role` spelling).
pub fn role_keyword(r: Role) -> Option<&'static str> {
    Some(match r {
        Role::PROVIDER => "provider",
        Role::RS => "rs-server",
        Role::RS_CLIENT => "rs-client",
        Role::CUSTOMER => "customer",
        Role::PEER => "peer",
        _ => return None,
    })
}

impl fmt::Display for Match {
    /// The line as FRR's `show running-config` prints it, without indent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ex = |e: &bool| if *e { " exact-match" } else { "" };
        match self {
            Self::PrefixList(af, n) => write!(f, "match {} address prefix-list {n}", af.keyword()),
            Self::NextHopPrefixList(af, n) => {
                write!(f, "match {} next-hop prefix-list {n}", af.keyword())
            }
            Self::AsPath(n) => write!(f, "match as-path {n}"),
            Self::Community { list, exact } => write!(f, "match community {list}{}", ex(exact)),
            Self::LargeCommunity { list, exact } => {
                write!(f, "match large-community {list}{}", ex(exact))
            }
            Self::ExtCommunity(n) => write!(f, "match extcommunity {n}"),
            Self::LocalPref(v) => write!(f, "match local-preference {v}"),
            Self::Metric(v) => write!(f, "match metric {v}"),
            Self::Origin(o) => write!(f, "match origin {}", origin_keyword(*o)),
            Self::Peer(a) => write!(f, "match peer {a}"),
            Self::PeerLocal => f.write_str("match peer local"),
            Self::SourceProtocol(s) => write!(f, "match source-protocol {}", source_keyword(*s)),
            Self::PeerRole(r) => write!(f, "match peer-role {}", role_keyword(*r).unwrap_or("?")),
            Self::Otc => f.write_str("match otc"),
        }
    }
}

/// `igp`, `egp` or `incomplete`.
pub const fn origin_keyword(o: Origin) -> &'static str {
    match o {
        Origin::Igp => "igp",
        Origin::Egp => "egp",
        Origin::Incomplete => "incomplete",
    }
}

//----------- Set ---------------------------------------------------------------

/// A number a `set` gives, adds or subtracts (`N`, `+N`, `-N`; FRR's
/// `rmap_value`). Additions stop at 4294967295, subtractions at 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetValue {
    /// `N`.
    Absolute(u32),
    /// `+N`.
    Add(u32),
    /// `-N`.
    Sub(u32),
}

impl SetValue {
    /// The new value given the current one.
    pub const fn apply(self, current: u32) -> u32 {
        match self {
            Self::Absolute(v) => v,
            Self::Add(v) => current.saturating_add(v),
            Self::Sub(v) => current.saturating_sub(v),
        }
    }
}

impl fmt::Display for SetValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Absolute(v) => write!(f, "{v}"),
            Self::Add(v) => write!(f, "+{v}"),
            Self::Sub(v) => write!(f, "-{v}"),
        }
    }
}

/// A `set` clause.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Set {
    /// `set local-preference N|+N|-N` (an absent LOCAL_PREF counts as 0).
    LocalPref(SetValue),
    /// `set metric N|+N|-N` (an absent MED counts as 0).
    Metric(SetValue),
    /// `set weight N`.
    Weight(u32),
    /// `set origin igp|egp|incomplete`.
    Origin(Origin),
    /// `set as-path prepend ASN...`: the ASNs, leftmost first, before the
    /// path.
    AsPathPrepend(Vec<u32>),
    /// `set as-path prepend last-as N`: the path's leftmost AS, N times
    /// (1 to 10).
    AsPathPrependLastAs(u8),
    /// `set as-path exclude ASN...`: remove every occurrence.
    AsPathExclude(Vec<u32>),
    /// `set community ...`: replace the communities (`additive`: add to them).
    Community {
        /// The communities.
        values: Vec<Community>,
        /// Whether to add rather than replace.
        additive: bool,
    },
    /// `set community none`: remove the communities.
    CommunityNone,
    /// `set comm-list NAME delete`.
    CommListDelete(String),
    /// `set large-community ...` (`additive`: add).
    LargeCommunity {
        /// The large communities.
        values: Vec<LargeCommunity>,
        /// Whether to add rather than replace.
        additive: bool,
    },
    /// `set large-community none`.
    LargeCommunityNone,
    /// `set large-comm-list NAME delete`.
    LargeCommListDelete(String),
    /// `set extcommunity rt ...` (added to the route's extended
    /// communities, as FRR does).
    ExtCommunityRt(Vec<ExtCommunity>),
    /// `set extcommunity soo ...` (added).
    ExtCommunitySoo(Vec<ExtCommunity>),
    /// `set extcommunity none`.
    ExtCommunityNone,
    /// `set ip next-hop A.B.C.D`.
    NextHop(Ipv4Addr),
    /// `set ip next-hop peer-address`: the peer's address on import, ours
    /// on export.
    NextHopPeerAddress,
    /// `set ip next-hop unchanged`: on export, send the next hop as it is
    /// (reported in [`Outcome::next_hop_unchanged`](crate::Outcome)).
    NextHopUnchanged,
    /// `set ipv6 next-hop global X:X::X:X`.
    Ipv6NextHopGlobal(Ipv6Addr),
    /// `set ipv6 next-hop local X:X::X:X`: the link-local next hop.
    Ipv6NextHopLocal(Ipv6Addr),
    /// `set ipv6 next-hop peer-address`.
    Ipv6NextHopPeerAddress,
}

impl Set {
    /// The command, as FRR identifies it.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::LocalPref(_) => "local-preference",
            Self::Metric(_) => "metric",
            Self::Weight(_) => "weight",
            Self::Origin(_) => "origin",
            Self::AsPathPrepend(_) | Self::AsPathPrependLastAs(_) => "as-path prepend",
            Self::AsPathExclude(_) => "as-path exclude",
            Self::Community { .. } | Self::CommunityNone => "community",
            Self::CommListDelete(_) => "comm-list delete",
            Self::LargeCommunity { .. } | Self::LargeCommunityNone => "large-community",
            Self::LargeCommListDelete(_) => "large-comm-list delete",
            Self::ExtCommunityRt(_) => "extcommunity rt",
            Self::ExtCommunitySoo(_) => "extcommunity soo",
            Self::ExtCommunityNone => "extcommunity none",
            Self::NextHop(_) | Self::NextHopPeerAddress | Self::NextHopUnchanged => "ip next-hop",
            Self::Ipv6NextHopGlobal(_) => "ipv6 next-hop global",
            Self::Ipv6NextHopLocal(_) => "ipv6 next-hop local",
            Self::Ipv6NextHopPeerAddress => "ipv6 next-hop peer-address",
        }
    }
}

fn write_values<V: CommunityValue>(f: &mut fmt::Formatter<'_>, values: &[V]) -> fmt::Result {
    let mut s = String::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        v.write_config(&mut s);
    }
    f.write_str(&s)
}

fn write_asns(f: &mut fmt::Formatter<'_>, asns: &[u32]) -> fmt::Result {
    for (i, a) in asns.iter().enumerate() {
        if i > 0 {
            f.write_str(" ")?;
        }
        write!(f, "{a}")?;
    }
    Ok(())
}

impl fmt::Display for Set {
    /// The line as FRR's `show running-config` prints it, without indent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LocalPref(v) => write!(f, "set local-preference {v}"),
            Self::Metric(v) => write!(f, "set metric {v}"),
            Self::Weight(v) => write!(f, "set weight {v}"),
            Self::Origin(o) => write!(f, "set origin {}", origin_keyword(*o)),
            Self::AsPathPrepend(a) => {
                f.write_str("set as-path prepend ")?;
                write_asns(f, a)
            }
            Self::AsPathPrependLastAs(n) => write!(f, "set as-path prepend last-as {n}"),
            Self::AsPathExclude(a) => {
                f.write_str("set as-path exclude ")?;
                write_asns(f, a)
            }
            Self::Community { values, additive } => {
                f.write_str("set community ")?;
                write_values(f, values)?;
                if *additive {
                    f.write_str(" additive")?;
                }
                Ok(())
            }
            Self::CommunityNone => f.write_str("set community none"),
            Self::CommListDelete(n) => write!(f, "set comm-list {n} delete"),
            Self::LargeCommunity { values, additive } => {
                f.write_str("set large-community ")?;
                write_values(f, values)?;
                if *additive {
                    f.write_str(" additive")?;
                }
                Ok(())
            }
            Self::LargeCommunityNone => f.write_str("set large-community none"),
            Self::LargeCommListDelete(n) => write!(f, "set large-comm-list {n} delete"),
            Self::ExtCommunityRt(v) | Self::ExtCommunitySoo(v) => {
                let kw = if matches!(self, Self::ExtCommunityRt(_)) {
                    "rt"
                } else {
                    "soo"
                };
                write!(f, "set extcommunity {kw}")?;
                for c in v {
                    let mut s = String::new();
                    c.write_config(&mut s);
                    // write_config gives "rt G:L"; the set line names the kind once.
                    let value = s.split_once(' ').map_or(s.as_str(), |x| x.1);
                    write!(f, " {value}")?;
                }
                Ok(())
            }
            Self::ExtCommunityNone => f.write_str("set extcommunity none"),
            Self::NextHop(a) => write!(f, "set ip next-hop {a}"),
            Self::NextHopPeerAddress => f.write_str("set ip next-hop peer-address"),
            Self::NextHopUnchanged => f.write_str("set ip next-hop unchanged"),
            Self::Ipv6NextHopGlobal(a) => write!(f, "set ipv6 next-hop global {a}"),
            Self::Ipv6NextHopLocal(a) => write!(f, "set ipv6 next-hop local {a}"),
            Self::Ipv6NextHopPeerAddress => f.write_str("set ipv6 next-hop peer-address"),
        }
    }
}

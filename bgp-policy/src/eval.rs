//! Evaluation: [`Policies`] (a compiled [`Config`]), the [`Policy`] handles
//! a RIB calls, and [`Evaluator`], which remembers answers per attribute set.
//!
//! The route-map procedure is FRR's `route_map_apply_ext`
//! ([FRR: Route Maps]), as FRR 8.4's bgpd behaves (checked by
//! `examples/tests/policy_frr.rs`): entries in order; a `deny` entry that
//! matches denies; a `permit` entry that matches applies its sets, then its
//! `call` (a called map that denies denies the route; a called map that does
//! not exist is skipped), then its exit policy. A route no entry matches is
//! denied. After `on-match next` or `on-match goto`, the answer is that of the
//! last entry examined: permit if the walk ends on the permitting entry (it
//! was the last, or the goto target is past the end), deny if a later entry
//! was examined and did not match. Calls nest at most 10 deep; deeper is a
//! deny. A route-map that does not exist denies, and so does a match on a
//! list that does not exist or, for prefix-lists, has no entries.
//!
//! [FRR: Route Maps]: https://docs.frrouting.org/en/latest/routemap.html

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;
use std::sync::Arc;

use bgp_rib::policy::{
    Direction, Modified, PeerInfo, Policy, PolicyRoute, PrefixRange, Source, Verdict,
};
use bgp_wire::attr::{AsSegment, NextHop, Origin, SegmentType};
use bgp_wire::codepoint::Role;
use bgp_wire::{Family, RouteAttrs};
use ipnet::IpNet;

use crate::Action;
use crate::config::Config;
use crate::parse::ParseError;
use crate::prefix_list::{AddrFamily, PrefixMatch};
use crate::route_map::{ExitPolicy, Match, Set};

/// Keys of [`Evaluator::evaluate_keyed`] below this index a vector.
const SMALL_KEYS: usize = 1 << 24;

/// FRR's `RMAP_RECURSION_LIMIT`.
const CALL_DEPTH: u8 = 10;

//----------- Policies ------------------------------------------------------------

/// A [`Config`] compiled for evaluation: names resolved to indices, prefix
/// trie built. Cheap to share (`&Policies` is all the handles need).
#[derive(Clone, Debug)]
pub struct Policies {
    config: Config,
    maps: Vec<CMap>,
    /// Per prefix-list (index in the config): whether it permits every
    /// prefix of its family ([`PrefixListPolicy`]'s `permits_all`).
    lists_permit_all: Vec<bool>,
}

#[derive(Clone, Debug)]
struct CMap {
    entries: Vec<CEntry>,
    /// Prefix-lists this map and the maps it calls match the route's prefix
    /// against (for [`Evaluator`]).
    prefix_lists: Vec<u32>,
    /// Whether the map permits every route unchanged ([`map_permits_all`]).
    permits_all: bool,
}

#[derive(Clone, Debug)]
struct CEntry {
    seq: u32,
    action: Action,
    matches: Vec<CMatch>,
    sets: Vec<CSet>,
    /// `Some(None)`: a call to a route-map that does not exist.
    call: Option<Option<u32>>,
    exit: ExitPolicy,
}

#[derive(Clone, Debug)]
enum CMatch {
    Prefix(Option<u32>),
    NextHop(Option<u32>),
    AsPath(Option<u32>),
    Community(Option<u32>, bool),
    Large(Option<u32>, bool),
    Ext(Option<u32>),
    LocalPref(u32),
    Metric(u32),
    Origin(Origin),
    Peer(IpAddr),
    PeerLocal,
    Source(Source),
    Role(Role),
    Otc,
}

#[derive(Clone, Debug)]
enum CSet {
    Plain(Set),
    CommDelete(Option<u32>),
    LargeDelete(Option<u32>),
}

impl Policies {
    /// Compiles `config`.
    pub fn new(config: Config) -> Self {
        for l in config.prefix_lists() {
            l.compile();
        }
        let find =
            |names: Vec<&str>, name: &str| names.iter().position(|n| *n == name).map(|i| i as u32);
        let map_names: Vec<&str> = config.route_maps().iter().map(|m| m.name()).collect();
        let pl = |af: &AddrFamily, n: &str| {
            config
                .prefix_lists()
                .iter()
                .position(|l| l.family() == *af && l.name() == n)
                .map(|i| i as u32)
        };
        let mut maps: Vec<CMap> = config
            .route_maps()
            .iter()
            .map(|m| CMap {
                prefix_lists: Vec::new(),
                permits_all: false,
                entries: m
                    .entries()
                    .iter()
                    .map(|e| CEntry {
                        seq: e.seq,
                        action: e.action,
                        matches: e
                            .matches
                            .iter()
                            .map(|m| match m {
                                Match::PrefixList(af, n) => CMatch::Prefix(pl(af, n)),
                                Match::NextHopPrefixList(af, n) => CMatch::NextHop(pl(af, n)),
                                Match::AsPath(n) => CMatch::AsPath(find(
                                    config.as_path_lists().iter().map(|l| l.name()).collect(),
                                    n,
                                )),
                                Match::Community { list, exact } => CMatch::Community(
                                    find(
                                        config.community_lists().iter().map(|l| l.name()).collect(),
                                        list,
                                    ),
                                    *exact,
                                ),
                                Match::LargeCommunity { list, exact } => CMatch::Large(
                                    find(
                                        config
                                            .large_community_lists()
                                            .iter()
                                            .map(|l| l.name())
                                            .collect(),
                                        list,
                                    ),
                                    *exact,
                                ),
                                Match::ExtCommunity(n) => CMatch::Ext(find(
                                    config
                                        .ext_community_lists()
                                        .iter()
                                        .map(|l| l.name())
                                        .collect(),
                                    n,
                                )),
                                Match::LocalPref(v) => CMatch::LocalPref(*v),
                                Match::Metric(v) => CMatch::Metric(*v),
                                Match::Origin(o) => CMatch::Origin(*o),
                                Match::Peer(a) => CMatch::Peer(*a),
                                Match::PeerLocal => CMatch::PeerLocal,
                                Match::SourceProtocol(s) => CMatch::Source(*s),
                                Match::PeerRole(r) => CMatch::Role(*r),
                                Match::Otc => CMatch::Otc,
                            })
                            .collect(),
                        sets: e
                            .sets
                            .iter()
                            .map(|s| match s {
                                Set::CommListDelete(n) => CSet::CommDelete(find(
                                    config.community_lists().iter().map(|l| l.name()).collect(),
                                    n,
                                )),
                                Set::LargeCommListDelete(n) => CSet::LargeDelete(find(
                                    config
                                        .large_community_lists()
                                        .iter()
                                        .map(|l| l.name())
                                        .collect(),
                                    n,
                                )),
                                other => CSet::Plain(other.clone()),
                            })
                            .collect(),
                        call: e.call.as_ref().map(|n| find(map_names.clone(), n)),
                        exit: e.exit,
                    })
                    .collect(),
            })
            .collect();
        // The prefix-lists each map can reach, through calls too.
        for m in 0..maps.len() {
            let mut seen = vec![false; maps.len()];
            let mut todo = vec![m];
            let mut lists = Vec::new();
            while let Some(x) = todo.pop() {
                if std::mem::replace(&mut seen[x], true) {
                    continue;
                }
                for e in &maps[x].entries {
                    for c in &e.matches {
                        if let CMatch::Prefix(Some(p)) = c {
                            if !lists.contains(p) {
                                lists.push(*p);
                            }
                        }
                    }
                    if let Some(Some(t)) = e.call {
                        todo.push(t as usize);
                    }
                }
            }
            maps[m].prefix_lists = lists;
            maps[m].permits_all = map_permits_all(&maps[m].entries);
        }
        let lists_permit_all = config.prefix_lists().iter().map(list_permits_all).collect();
        Self {
            config,
            maps,
            lists_permit_all,
        }
    }

    /// Parses policy statements ([`Config::parse`]) and compiles them.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        Config::parse(text).map(Self::new)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The route-map `name` as a policy. A route-map that does not exist
    /// denies every route, as in FRR.
    pub fn route_map(&self, name: &str) -> RouteMapPolicy<'_> {
        RouteMapPolicy {
            policies: self,
            map: self
                .config
                .route_maps()
                .iter()
                .position(|m| m.name() == name)
                .map(|i| i as u32),
        }
    }

    /// The prefix-list `name` of `family` as a policy (FRR's `neighbor X
    /// prefix-list NAME in|out`): routes it permits pass unchanged, others
    /// are denied, and so is every route when the list does not exist.
    ///
    /// A list that exists but has no entries (only a description) permits
    /// every route here, as FRR 8.4's bgpd does for a neighbor's prefix-list,
    /// although [`PrefixList::permits`](crate::PrefixList::permits) and a
    /// route-map `match` on it permit nothing (FRR agrees on the latter).
    pub fn prefix_list(&self, family: AddrFamily, name: &str) -> PrefixListPolicy<'_> {
        self.list_policy(self.list_index(family, name))
    }

    /// The index of the prefix-list `name` of `family`.
    fn list_index(&self, family: AddrFamily, name: &str) -> Option<u32> {
        self.config
            .prefix_lists()
            .iter()
            .position(|l| l.family() == family && l.name() == name)
            .map(|i| i as u32)
    }

    /// The prefix-list at `i` (from [`list_index`](Self::list_index)) as a
    /// policy.
    fn list_policy(&self, i: Option<u32>) -> PrefixListPolicy<'_> {
        let i = i.map(|i| i as usize);
        PrefixListPolicy {
            list: i.map(|i| &self.config.prefix_lists()[i]),
            permits_all: i.is_some_and(|i| self.lists_permit_all[i]),
        }
    }

    fn map_name(&self, m: u32) -> &str {
        self.config.route_maps()[m as usize].name()
    }
}

//----------- Outcome -------------------------------------------------------------

/// One entry that matched during an evaluation, for debugging.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit<'p> {
    /// The route-map (the evaluated one, or one it called).
    pub route_map: &'p str,
    /// The entry's sequence number.
    pub seq: u32,
    /// The entry's action.
    pub action: Action,
}

/// The full result of evaluating a route-map on a route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome<'p> {
    /// Whether the route is permitted.
    pub permit: bool,
    /// The new attributes, when permitted and a `set` changed them.
    pub attrs: Option<RouteAttrs>,
    /// The weight given by `set weight`, when permitted and one applied.
    pub weight: Option<u32>,
    /// Whether `set ip next-hop unchanged` applied: on export, the next hop
    /// is to be sent as it is (the trait's [`Verdict`] cannot say this).
    pub next_hop_unchanged: bool,
    /// The entries that matched, in order.
    pub hits: Vec<Hit<'p>>,
}

impl Outcome<'_> {
    /// The answer in the RIB's terms.
    pub fn verdict(&self, route: &PolicyRoute<'_>) -> Verdict {
        verdict(self.permit, self.attrs.as_ref(), self.weight, route)
    }
}

fn verdict(
    permit: bool,
    attrs: Option<&RouteAttrs>,
    weight: Option<u32>,
    route: &PolicyRoute<'_>,
) -> Verdict {
    if !permit {
        return Verdict::Deny;
    }
    let weight_changed = weight.is_some_and(|w| w != route.weight);
    if attrs.is_none() && !weight_changed {
        return Verdict::Permit;
    }
    Verdict::Modified(Box::new(Modified {
        attrs: attrs.cloned().unwrap_or_else(|| route.attrs.clone()),
        weight: weight.unwrap_or(route.weight),
    }))
}

//----------- RouteMapPolicy --------------------------------------------------------

/// A route-map of a [`Policies`], as a [`Policy`].
#[derive(Clone, Copy, Debug)]
pub struct RouteMapPolicy<'p> {
    policies: &'p Policies,
    map: Option<u32>,
}

impl<'p> RouteMapPolicy<'p> {
    /// Whether the route-map exists (if not, it denies everything).
    pub const fn exists(&self) -> bool {
        self.map.is_some()
    }

    /// Evaluates the route-map, reporting which entries matched.
    pub fn evaluate_traced(&self, route: &PolicyRoute<'_>) -> Outcome<'p> {
        let mut hits = Vec::new();
        let (permit, work) = self.run(route, &mut Live, Some(&mut hits));
        Outcome {
            permit,
            attrs: if permit { work.attrs } else { None },
            weight: if permit { work.weight } else { None },
            next_hop_unchanged: permit && work.nh_unchanged,
            hits,
        }
    }

    /// An [`Evaluator`] for this route-map: the same answers, remembered per
    /// attribute set.
    pub fn evaluator(&self) -> Evaluator<'p> {
        Evaluator::new(*self)
    }

    fn run<'r, O: Oracle>(
        &self,
        route: &'r PolicyRoute<'r>,
        oracle: &mut O,
        hits: Option<&mut Vec<Hit<'p>>>,
    ) -> (bool, Work<'r>) {
        let mut work = Work {
            attrs: None,
            orig: route.attrs,
            weight: None,
            nh_unchanged: false,
            path_text: None,
            comm_text: None,
            large_text: None,
            ext_text: None,
        };
        let mut hits = hits;
        let permit = match self.map {
            None => false,
            Some(m) => Eval {
                p: self.policies,
                route,
            }
            .run_map(m, oracle, &mut work, 0, &mut hits),
        };
        // Sets that cancel out (`+5` then `-5`) leave the route unchanged.
        if work.attrs.as_ref() == Some(route.attrs) {
            work.attrs = None;
        }
        (permit, work)
    }
}

impl Policy for RouteMapPolicy<'_> {
    fn evaluate(&self, route: &PolicyRoute<'_>) -> Verdict {
        let (permit, work) = self.run(route, &mut Live, None);
        verdict(permit, work.attrs.as_ref(), work.weight, route)
    }

    /// `true` when the map's answer cannot depend on the route and is
    /// "permit, unchanged": read in order, its entries up to and including
    /// the first one without `match` clauses are all `permit` entries with
    /// no `set`, no `call` of an existing route-map and the default exit
    /// (`on-match` absent). FRR's common `route-map ALLOW permit 10`, which
    /// `bgp ebgp-requires-policy` ([RFC 8212]) makes eBGP sessions name,
    /// is such a map. A map for which this cannot be told without the route
    /// (a `deny` entry that might match, say) gives `false`: the RIB then
    /// asks [`evaluate`](Policy::evaluate) per route, which is always
    /// correct. Computed once when the [`Policies`] are compiled. The same
    /// answer for every family: route-maps do not depend on it.
    ///
    /// [RFC 8212]: https://www.rfc-editor.org/rfc/rfc8212
    fn permits_all(&self, _family: Family) -> bool {
        self.map
            .is_some_and(|m| self.policies.maps[m as usize].permits_all)
    }

    /// `true` when neither the map nor a map it calls matches the route's
    /// prefix against a prefix-list that exists (`match ip address
    /// prefix-list`): its other matches and its sets read only the
    /// attributes, the weight, the source and the peer. A route-map that
    /// does not exist denies everything, and so ignores the prefix too.
    fn ignores_prefix(&self, _family: Family) -> bool {
        self.map
            .is_none_or(|m| self.policies.maps[m as usize].prefix_lists.is_empty())
    }

    /// A route is permitted only by a `permit` entry that matched it, so
    /// when every `permit` entry matches the prefix against a prefix-list
    /// (`match ip address prefix-list`, `match ipv6 address prefix-list`),
    /// the map permits nothing outside those lists' `permit` ranges. An
    /// entry whose list does not exist, is empty or is of the other family
    /// matches no route of `family` and adds nothing. `None` as soon as
    /// one `permit` entry does not match the prefix (it may permit any
    /// prefix); a map that does not exist permits nothing.
    fn permitted_prefixes(&self, family: Family) -> Option<Vec<PrefixRange>> {
        let Some(m) = self.map else {
            return Some(Vec::new());
        };
        let fam = AddrFamily::of_unicast(family)?;
        let lists = self.policies.config.prefix_lists();
        let mut out = Vec::new();
        for e in &self.policies.maps[m as usize].entries {
            if e.action != Action::Permit {
                continue;
            }
            let list = e.matches.iter().find_map(|c| match c {
                CMatch::Prefix(l) => Some(*l),
                _ => None,
            })?;
            if let Some(l) = list.map(|l| &lists[l as usize]) {
                if l.family() == fam {
                    out.extend(l.permit_ranges());
                }
            }
        }
        Some(out)
    }
}

/// Whether a compiled route-map permits every route unchanged, by its
/// entries alone (see [`RouteMapPolicy`]'s `permits_all`).
fn map_permits_all(entries: &[CEntry]) -> bool {
    for e in entries {
        // A permit entry without sets, calls or `on-match` answers "permit,
        // unchanged" if it matches and passes the route on if it does not.
        // A call of a route-map that does not exist is skipped (FRR).
        let plain = e.action == Action::Permit
            && e.sets.is_empty()
            && matches!(e.call, None | Some(None))
            && e.exit == ExitPolicy::Exit;
        if !plain {
            return false;
        }
        if e.matches.is_empty() {
            return true;
        }
    }
    // Routes no entry matches are denied.
    false
}

/// Whether a prefix-list, as a neighbor's filter ([`PrefixListPolicy`]),
/// permits every prefix of its family: it has no entries (FRR then lets
/// everything through), or a `permit` of the whole address space at every
/// length (`any`, `0.0.0.0/0 le 32`, `::/0 le 128`) comes before any
/// `deny` entry. A `deny` entry first gives `false`, even when earlier
/// permits shadow it: `false` is always correct, only slower.
fn list_permits_all(l: &crate::prefix_list::PrefixList) -> bool {
    if l.entries().is_empty() {
        return true;
    }
    let fam = l.family();
    for e in l.entries() {
        if e.action == Action::Deny {
            return false;
        }
        let whole = match e.matcher {
            PrefixMatch::Any => true,
            PrefixMatch::Prefix { prefix, .. } => prefix.prefix_len() == 0,
        };
        if whole && e.len_range(fam) == (0, fam.max_len()) {
            return true;
        }
    }
    false
}

/// A prefix-list of a [`Policies`], as a [`Policy`].
#[derive(Clone, Copy, Debug)]
pub struct PrefixListPolicy<'p> {
    list: Option<&'p crate::prefix_list::PrefixList>,
    permits_all: bool,
}

impl Policy for PrefixListPolicy<'_> {
    fn evaluate(&self, route: &PolicyRoute<'_>) -> Verdict {
        if self
            .list
            .is_some_and(|l| l.entries().is_empty() || l.permits(&route.prefix))
        {
            Verdict::Permit
        } else {
            Verdict::Deny
        }
    }

    /// `true` when the list has no entries (it then permits every route of
    /// any family), or when it is of `family`'s address family and a
    /// `permit` of the whole address space at every length (`any`,
    /// `0.0.0.0/0 le 32`, `::/0 le 128`) comes before its first `deny`
    /// entry. Otherwise `false`, which is always correct. Computed once
    /// when the [`Policies`] are compiled.
    fn permits_all(&self, family: Family) -> bool {
        let Some(l) = self.list else { return false };
        if l.entries().is_empty() {
            return true;
        }
        let Some(fam) = AddrFamily::of_unicast(family) else {
            return false;
        };
        self.permits_all && l.family() == fam
    }

    /// `true` when the answer is the same for every route of `family`: the
    /// list does not exist or is of the other address family (it denies
    /// them all), has no entries, or permits them all.
    fn ignores_prefix(&self, family: Family) -> bool {
        let Some(l) = self.list else { return true };
        let Some(fam) = AddrFamily::of_unicast(family) else {
            return false;
        };
        l.entries().is_empty() || l.family() != fam || self.permits_all
    }

    /// The list's `permit` ranges ([`PrefixList::permit_ranges`]): nothing
    /// for a list that does not exist or is of the other family, `None`
    /// for one that permits everything.
    ///
    /// [`PrefixList::permit_ranges`]: crate::prefix_list::PrefixList::permit_ranges
    fn permitted_prefixes(&self, family: Family) -> Option<Vec<PrefixRange>> {
        let Some(l) = self.list else {
            return Some(Vec::new());
        };
        let fam = AddrFamily::of_unicast(family)?;
        if l.entries().is_empty() || (self.permits_all && l.family() == fam) {
            return None;
        }
        if l.family() != fam {
            return Some(Vec::new());
        }
        Some(l.permit_ranges().collect())
    }
}

//----------- Shared handles --------------------------------------------------------

/// `impl Policy for $shared` by handing every call, answers and claims
/// alike, to the borrowed handle `get()` gives (a `$borrowed`): one list
/// of the trait's methods for both shared handles, so that neither can
/// miss a claim the other makes.
macro_rules! delegate_policy {
    ($shared:ty, $borrowed:ident) => {
        impl Policy for $shared {
            fn evaluate(&self, route: &PolicyRoute<'_>) -> Verdict {
                self.get().evaluate(route)
            }

            #[doc = concat!("As [`", stringify!($borrowed), "`]'s.")]
            fn permits_all(&self, family: Family) -> bool {
                self.get().permits_all(family)
            }

            #[doc = concat!("As [`", stringify!($borrowed), "`]'s.")]
            fn ignores_prefix(&self, family: Family) -> bool {
                self.get().ignores_prefix(family)
            }

            #[doc = concat!("As [`", stringify!($borrowed), "`]'s.")]
            fn permitted_prefixes(&self, family: Family) -> Option<Vec<PrefixRange>> {
                self.get().permitted_prefixes(family)
            }
        }
    };
}

/// A route-map of shared [`Policies`] as a [`Policy`] that owns its
/// reference to them, with the name looked up once: what a neighbor's
/// configuration stores (FRR's `neighbor X route-map NAME in`), where a
/// borrowed [`RouteMapPolicy`] cannot live. The same answers as
/// [`Policies::route_map`] gives for the name.
#[derive(Clone, Debug)]
pub struct SharedRouteMap {
    policies: Arc<Policies>,
    map: Option<u32>,
}

impl SharedRouteMap {
    /// The route-map `name` of `policies`; one that does not exist denies
    /// every route, as in FRR.
    pub fn new(policies: Arc<Policies>, name: &str) -> Self {
        let map = policies.route_map(name).map;
        Self { policies, map }
    }

    /// The borrowed handle, for [`RouteMapPolicy::evaluate_traced`] and
    /// the like.
    pub fn get(&self) -> RouteMapPolicy<'_> {
        RouteMapPolicy {
            policies: &self.policies,
            map: self.map,
        }
    }
}

delegate_policy!(SharedRouteMap, RouteMapPolicy);

/// A prefix-list of shared [`Policies`] as a [`Policy`] that owns its
/// reference to them, with the name looked up once (FRR's `neighbor X
/// prefix-list NAME in`): the same answers as [`Policies::prefix_list`]
/// gives for the family and name.
#[derive(Clone, Debug)]
pub struct SharedPrefixList {
    policies: Arc<Policies>,
    list: Option<u32>,
}

impl SharedPrefixList {
    /// The prefix-list `name` of `family` in `policies`; one that does not
    /// exist denies every route.
    pub fn new(policies: Arc<Policies>, family: AddrFamily, name: &str) -> Self {
        let list = policies.list_index(family, name);
        Self { policies, list }
    }

    /// The borrowed handle.
    pub fn get(&self) -> PrefixListPolicy<'_> {
        self.policies.list_policy(self.list)
    }
}

delegate_policy!(SharedPrefixList, PrefixListPolicy);

//----------- The procedure -----------------------------------------------------------

/// Answers "does the route's prefix pass prefix-list N".
trait Oracle {
    fn prefix(&mut self, p: &Policies, list: u32, prefix: &IpNet) -> bool;
}

struct Live;

impl Oracle for Live {
    fn prefix(&mut self, p: &Policies, list: u32, prefix: &IpNet) -> bool {
        p.config.prefix_lists()[list as usize].permits(prefix)
    }
}

/// The route being rewritten: attributes are copied on the first change.
struct Work<'r> {
    attrs: Option<RouteAttrs>,
    orig: &'r RouteAttrs,
    weight: Option<u32>,
    nh_unchanged: bool,
    path_text: Option<String>,
    comm_text: Option<String>,
    large_text: Option<String>,
    ext_text: Option<String>,
}

impl Work<'_> {
    fn attrs(&self) -> &RouteAttrs {
        self.attrs.as_ref().unwrap_or(self.orig)
    }
    fn attrs_mut(&mut self) -> &mut RouteAttrs {
        self.attrs.get_or_insert_with(|| self.orig.clone())
    }
}

struct Eval<'p, 'a, 'r> {
    p: &'p Policies,
    route: &'a PolicyRoute<'r>,
}

impl<'p> Eval<'p, '_, '_> {
    fn run_map<O: Oracle>(
        &self,
        m: u32,
        oracle: &mut O,
        w: &mut Work<'_>,
        depth: u8,
        hits: &mut Option<&mut Vec<Hit<'p>>>,
    ) -> bool {
        if depth > CALL_DEPTH {
            return false;
        }
        let entries = &self.p.maps[m as usize].entries;
        let mut permit = false;
        let mut i = 0;
        while i < entries.len() {
            let e = &entries[i];
            if !e.matches.iter().all(|c| self.matches(c, oracle, w)) {
                // FRR: an entry that does not match, reached after a permit
                // with `on-match next|goto`, turns the answer back to deny.
                permit = false;
                i += 1;
                continue;
            }
            if let Some(h) = hits.as_deref_mut() {
                h.push(Hit {
                    route_map: self.p.map_name(m),
                    seq: e.seq,
                    action: e.action,
                });
            }
            if e.action == Action::Deny {
                return false;
            }
            permit = true;
            for s in &e.sets {
                self.apply(s, w);
            }
            if let Some(Some(target)) = e.call {
                if !self.run_map(target, oracle, w, depth + 1, hits) {
                    return false;
                }
            }
            match e.exit {
                ExitPolicy::Exit => return true,
                ExitPolicy::Next => i += 1,
                ExitPolicy::Goto(n) => match entries[i + 1..].iter().position(|x| x.seq >= n) {
                    Some(j) => i += 1 + j,
                    None => return true,
                },
            }
        }
        permit
    }

    fn matches<O: Oracle>(&self, c: &CMatch, oracle: &mut O, w: &mut Work<'_>) -> bool {
        let cfg = &self.p.config;
        match *c {
            CMatch::Prefix(l) => l.is_some_and(|l| oracle.prefix(self.p, l, &self.route.prefix)),
            CMatch::NextHop(l) => {
                let Some(l) = l else { return false };
                let host = match w.attrs().next_hop {
                    Some(NextHop::V4(a)) => IpNet::from(IpAddr::V4(a)),
                    Some(NextHop::V6 { global, .. }) => IpNet::from(IpAddr::V6(global)),
                    _ => return false,
                };
                cfg.prefix_lists()[l as usize].permits(&host)
            }
            CMatch::AsPath(l) => {
                let Some(l) = l else { return false };
                if w.path_text.is_none() {
                    w.path_text = Some(w.attrs().as_path.to_string());
                }
                cfg.as_path_lists()[l as usize].permits(w.path_text.as_deref().unwrap_or(""))
            }
            CMatch::Community(l, exact) => {
                let Some(l) = l else { return false };
                let a = w.attrs.as_ref().unwrap_or(w.orig);
                cfg.community_lists()[l as usize].permits(&a.communities, exact, &mut w.comm_text)
            }
            CMatch::Large(l, exact) => {
                let Some(l) = l else { return false };
                let a = w.attrs.as_ref().unwrap_or(w.orig);
                cfg.large_community_lists()[l as usize].permits(
                    &a.extra.large_communities,
                    exact,
                    &mut w.large_text,
                )
            }
            CMatch::Ext(l) => {
                let Some(l) = l else { return false };
                let a = w.attrs.as_ref().unwrap_or(w.orig);
                cfg.ext_community_lists()[l as usize].permits(
                    &a.extra.ext_communities,
                    false,
                    &mut w.ext_text,
                )
            }
            CMatch::LocalPref(v) => w.attrs().local_pref.unwrap_or(0) == v,
            CMatch::Metric(v) => w.attrs().med.unwrap_or(0) == v,
            CMatch::Origin(o) => w.attrs().origin == o,
            CMatch::Peer(a) => self.route.source == Source::Bgp && self.route.peer.address == a,
            CMatch::PeerLocal => self.route.source != Source::Bgp,
            CMatch::Source(s) => {
                let r = match self.route.source {
                    Source::Aggregate => Source::Bgp,
                    x => x,
                };
                r == s
            }
            CMatch::Role(r) => self.route.peer.role == Some(r),
            CMatch::Otc => w.attrs().extra.otc.is_some(),
        }
    }

    fn apply(&self, s: &CSet, w: &mut Work<'_>) {
        let cfg = &self.p.config;
        let set = match s {
            CSet::CommDelete(l) => {
                if let Some(l) = l {
                    if let Some(mut keep) =
                        cfg.community_lists()[*l as usize].delete_from(&w.attrs().communities)
                    {
                        keep.sort_unstable();
                        keep.dedup();
                        w.attrs_mut().communities = keep;
                        w.comm_text = None;
                    }
                }
                return;
            }
            CSet::LargeDelete(l) => {
                if let Some(l) = l {
                    if let Some(mut keep) = cfg.large_community_lists()[*l as usize]
                        .delete_from(&w.attrs().extra.large_communities)
                    {
                        keep.sort_unstable();
                        keep.dedup();
                        w.attrs_mut().extra.large_communities = keep;
                        w.large_text = None;
                    }
                }
                return;
            }
            CSet::Plain(s) => s,
        };
        let v4 = matches!(self.route.prefix, IpNet::V4(_));
        let export = self.route.direction == Direction::Export;
        match set {
            Set::LocalPref(v) => {
                let cur = w.attrs().local_pref;
                let new = v.apply(cur.unwrap_or(0));
                if cur != Some(new) {
                    w.attrs_mut().local_pref = Some(new);
                }
            }
            Set::Metric(v) => {
                let cur = w.attrs().med;
                let new = v.apply(cur.unwrap_or(0));
                if cur != Some(new) {
                    w.attrs_mut().med = Some(new);
                }
            }
            Set::Weight(v) => w.weight = Some(*v),
            Set::Origin(o) => {
                if w.attrs().origin != *o {
                    w.attrs_mut().origin = *o;
                }
            }
            Set::AsPathPrepend(asns) => {
                prepend(&mut w.attrs_mut().as_path.segments, asns);
                w.path_text = None;
            }
            Set::AsPathPrependLastAs(n) => {
                let first = w.attrs().as_path.segments.first();
                if let Some(seg) = first.filter(|s| s.ty == SegmentType::Sequence) {
                    if let Some(&asn) = seg.asns.first() {
                        let asns = vec![asn; usize::from(*n)];
                        prepend(&mut w.attrs_mut().as_path.segments, &asns);
                        w.path_text = None;
                    }
                }
            }
            Set::AsPathExclude(asns) => {
                let hit = w
                    .attrs()
                    .as_path
                    .segments
                    .iter()
                    .any(|s| s.asns.iter().any(|a| asns.contains(a)));
                if hit {
                    let segs = &mut w.attrs_mut().as_path.segments;
                    for s in segs.iter_mut() {
                        s.asns.retain(|a| !asns.contains(a));
                    }
                    segs.retain(|s| !s.asns.is_empty());
                    w.path_text = None;
                }
            }
            Set::Community { values, additive } => {
                let mut new = if *additive {
                    let mut n = w.attrs().communities.clone();
                    n.extend_from_slice(values);
                    n
                } else {
                    values.clone()
                };
                new.sort_unstable();
                new.dedup();
                if new != w.attrs().communities {
                    w.attrs_mut().communities = new;
                    w.comm_text = None;
                }
            }
            Set::CommunityNone => {
                if !w.attrs().communities.is_empty() {
                    w.attrs_mut().communities.clear();
                    w.comm_text = None;
                }
            }
            Set::LargeCommunity { values, additive } => {
                let mut new = if *additive {
                    let mut n = w.attrs().extra.large_communities.clone();
                    n.extend_from_slice(values);
                    n
                } else {
                    values.clone()
                };
                new.sort_unstable();
                new.dedup();
                if new != w.attrs().extra.large_communities {
                    w.attrs_mut().extra.large_communities = new;
                    w.large_text = None;
                }
            }
            Set::LargeCommunityNone => {
                if !w.attrs().extra.large_communities.is_empty() {
                    w.attrs_mut().extra.large_communities.clear();
                    w.large_text = None;
                }
            }
            Set::ExtCommunityRt(values) | Set::ExtCommunitySoo(values) => {
                let mut new = w.attrs().extra.ext_communities.clone();
                new.extend_from_slice(values);
                new.sort_unstable();
                new.dedup();
                if new != w.attrs().extra.ext_communities {
                    w.attrs_mut().extra.ext_communities = new;
                    w.ext_text = None;
                }
            }
            Set::ExtCommunityNone => {
                if !w.attrs().extra.ext_communities.is_empty() {
                    w.attrs_mut().extra.ext_communities.clear();
                    w.ext_text = None;
                }
            }
            Set::NextHop(a) => {
                if v4 {
                    set_next_hop(w, NextHop::V4(*a));
                }
            }
            Set::NextHopPeerAddress => {
                let a = if export {
                    self.route.peer.local_address
                } else {
                    self.route.peer.address
                };
                if let (true, IpAddr::V4(a)) = (v4, a) {
                    set_next_hop(w, NextHop::V4(a));
                }
            }
            Set::NextHopUnchanged => w.nh_unchanged = true,
            Set::Ipv6NextHopGlobal(a) => {
                if !v4 {
                    let ll = link_local(w.attrs());
                    set_next_hop(
                        w,
                        NextHop::V6 {
                            global: *a,
                            link_local: ll,
                        },
                    );
                }
            }
            Set::Ipv6NextHopLocal(a) => {
                if !v4 {
                    let global = match w.attrs().next_hop {
                        Some(NextHop::V6 { global, .. }) => global,
                        _ => std::net::Ipv6Addr::UNSPECIFIED,
                    };
                    set_next_hop(
                        w,
                        NextHop::V6 {
                            global,
                            link_local: Some(*a),
                        },
                    );
                }
            }
            Set::Ipv6NextHopPeerAddress => {
                let a = if export {
                    self.route.peer.local_address
                } else {
                    self.route.peer.address
                };
                if let (false, IpAddr::V6(a)) = (v4, a) {
                    let ll = link_local(w.attrs());
                    set_next_hop(
                        w,
                        NextHop::V6 {
                            global: a,
                            link_local: ll,
                        },
                    );
                }
            }
            Set::CommListDelete(_) | Set::LargeCommListDelete(_) => {
                unreachable!("compiled into CSet::CommDelete / CSet::LargeDelete")
            }
        }
    }
}

fn link_local(a: &RouteAttrs) -> Option<std::net::Ipv6Addr> {
    match a.next_hop {
        Some(NextHop::V6 { link_local, .. }) => link_local,
        _ => None,
    }
}

fn set_next_hop(w: &mut Work<'_>, nh: NextHop) {
    if w.attrs().next_hop.as_ref() != Some(&nh) {
        w.attrs_mut().next_hop = Some(nh);
    }
}

/// FRR's `aspath_prepend`: into the leading AS_SEQUENCE, or a new one.
fn prepend(segs: &mut Vec<AsSegment>, asns: &[u32]) {
    match segs.first_mut() {
        Some(s) if s.ty == SegmentType::Sequence => {
            s.asns.splice(0..0, asns.iter().copied());
        }
        _ => segs.insert(
            0,
            AsSegment {
                ty: SegmentType::Sequence,
                asns: asns.to_vec(),
            },
        ),
    }
}

//----------- Evaluator -----------------------------------------------------------------

/// A route-map evaluator that remembers its answers.
///
/// A route-map's answer depends on the route's attributes, on which of the
/// map's prefix-lists permit the prefix, on the route's source and on the
/// session. The evaluator keys its memory on the attribute set's address
/// (checked for equality on every hit, so a reused address is never a wrong
/// answer) and, within it, on the prefix-list results and source: a RIB that
/// shares one attribute set among many prefixes (a full table has about one
/// set per ten prefixes) pays for the AS-path and community expressions once
/// per set, and the new attributes are shared ([`Arc`](std::sync::Arc))
/// among the routes they apply to.
///
/// The memory is cleared when the session ([`PeerInfo`]) or direction
/// changes, and when it holds more than [`capacity`](Self::with_capacity)
/// attribute sets.
#[derive(Debug)]
pub struct Evaluator<'p> {
    policy: RouteMapPolicy<'p>,
    /// For each prefix-list index, its bit in the key (or `u8::MAX`).
    bit_of: Vec<u8>,
    lists: Vec<&'p crate::prefix_list::PrefixList>,
    session: Option<(PeerInfo, Direction)>,
    by_addr: HashMap<usize, u32, BuildHasherDefault<AddrHasher>>,
    /// Keys below `SMALL_KEYS` ([`Evaluator::evaluate_keyed`]): their record
    /// and their latest answer, so that a repeated question is one read.
    by_small_key: Vec<Slot>,
    by_key: HashMap<u64, u32, BuildHasherDefault<AddrHasher>>,
    records: Vec<Record>,
    answers: Vec<Answer<'p>>,
    capacity: usize,
}

/// One attribute set's answers, by prefix-list results and source.
#[derive(Debug)]
struct Record {
    /// A copy to check the address against ([`Evaluator::evaluate`]).
    attrs: Option<RouteAttrs>,
    answers: Vec<(u64, u32)>,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    mask: u64,
    answer: u32,
    record: u32,
}

const EMPTY: Slot = Slot {
    mask: 0,
    answer: 0,
    record: u32::MAX,
};

/// A remembered answer of an [`Evaluator`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer<'p> {
    /// Whether the route is permitted.
    pub permit: bool,
    /// The new attributes, when permitted and changed; shared by every route
    /// that had the same attributes and took the same path through the map.
    pub attrs: Option<Arc<RouteAttrs>>,
    /// The weight given by `set weight`.
    pub weight: Option<u32>,
    /// Whether `set ip next-hop unchanged` applied.
    pub next_hop_unchanged: bool,
    /// The entries that matched.
    pub hits: Vec<Hit<'p>>,
}

impl Answer<'_> {
    /// The answer in the RIB's terms (copies the attributes when changed).
    pub fn verdict(&self, route: &PolicyRoute<'_>) -> Verdict {
        verdict(self.permit, self.attrs.as_deref(), self.weight, route)
    }
}

/// Hashes a `usize` address (Fibonacci multiplication).
#[derive(Default)]
struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// The prefix-list results as precomputed bits.
struct Bits<'a> {
    bit_of: &'a [u8],
    mask: u64,
}

impl Oracle for Bits<'_> {
    fn prefix(&mut self, p: &Policies, list: u32, prefix: &IpNet) -> bool {
        match self.bit_of.get(list as usize) {
            Some(&b) if b != u8::MAX => self.mask & (1 << b) != 0,
            _ => Live.prefix(p, list, prefix),
        }
    }
}

impl<'p> Evaluator<'p> {
    /// An evaluator remembering up to 1,048,576 attribute sets.
    pub fn new(policy: RouteMapPolicy<'p>) -> Self {
        Self::with_capacity(policy, 1 << 20)
    }

    /// An evaluator remembering up to `capacity` attribute sets.
    pub fn with_capacity(policy: RouteMapPolicy<'p>, capacity: usize) -> Self {
        let p = policy.policies;
        let mut bit_of = vec![u8::MAX; p.config.prefix_lists().len()];
        let lists: Vec<u32> = policy
            .map
            .map(|m| p.maps[m as usize].prefix_lists.clone())
            .unwrap_or_default();
        // Bits 0..=61 for lists, 62..=63 for the source.
        let lists: Vec<u32> = lists.into_iter().take(62).collect();
        for (i, l) in lists.iter().enumerate() {
            bit_of[*l as usize] = i as u8;
        }
        let lists = lists
            .iter()
            .map(|&l| &p.config.prefix_lists()[l as usize])
            .collect();
        Self {
            policy,
            bit_of,
            lists,
            session: None,
            by_addr: HashMap::default(),
            by_small_key: Vec::new(),
            by_key: HashMap::default(),
            records: Vec::new(),
            answers: Vec::new(),
            capacity,
        }
    }

    /// Forgets every answer.
    pub fn clear(&mut self) {
        self.by_addr.clear();
        self.by_small_key.clear();
        self.by_key.clear();
        self.records.clear();
        self.answers.clear();
    }

    /// The number of attribute sets remembered.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Evaluates the route-map on `route`, or recalls the answer.
    pub fn evaluate(&mut self, route: &PolicyRoute<'_>) -> &Answer<'p> {
        let mask = self.prepare(route);
        let addr = std::ptr::from_ref(route.attrs) as usize;
        let found = self.by_addr.get(&addr).copied();
        let rec = match found {
            Some(r) if self.records[r as usize].attrs.as_ref() == Some(route.attrs) => r as usize,
            // The address now holds other attributes: start that record over.
            Some(r) => {
                self.records[r as usize] = Record {
                    attrs: Some(route.attrs.clone()),
                    answers: Vec::new(),
                };
                r as usize
            }
            None => {
                let r = self.new_record(Some(route.attrs.clone()));
                self.by_addr.insert(addr, r as u32);
                r
            }
        };
        let a = self.answer(rec, mask, route);
        &self.answers[a]
    }

    /// Evaluates the route-map on `route` whose attribute set the caller
    /// names `key`, or recalls the answer. Equal keys must mean equal
    /// attributes: an interning RIB's attribute-set id is the intended key.
    /// Unlike [`evaluate`](Self::evaluate), nothing is compared or copied to
    /// check the key, so this is the faster of the two.
    pub fn evaluate_keyed(&mut self, key: u64, route: &PolicyRoute<'_>) -> &Answer<'p> {
        let mask = self.prepare(route);
        let small = usize::try_from(key).ok().filter(|&k| k < SMALL_KEYS);
        let a = match small {
            Some(k) => {
                let slot = self.by_small_key.get(k).copied().unwrap_or(EMPTY);
                if slot.record != u32::MAX && slot.mask == mask {
                    return &self.answers[slot.answer as usize];
                }
                let rec = if slot.record == u32::MAX {
                    self.new_record(None)
                } else {
                    slot.record as usize
                };
                let a = self.answer(rec, mask, route);
                if self.by_small_key.len() <= k {
                    self.by_small_key.resize(k + 1, EMPTY);
                }
                self.by_small_key[k] = Slot {
                    mask,
                    answer: a as u32,
                    record: rec as u32,
                };
                a
            }
            None => {
                let rec = match self.by_key.get(&key) {
                    Some(&r) => r as usize,
                    None => {
                        let r = self.new_record(None);
                        self.by_key.insert(key, r as u32);
                        r
                    }
                };
                self.answer(rec, mask, route)
            }
        };
        &self.answers[a]
    }

    /// Clears the memory on a change of session, and computes the key of
    /// the route's prefix-list results and source.
    #[inline]
    fn prepare(&mut self, route: &PolicyRoute<'_>) -> u64 {
        match &self.session {
            Some((peer, dir)) if peer == route.peer && *dir == route.direction => {}
            _ => {
                self.clear();
                self.session = Some((route.peer.clone(), route.direction));
            }
        }
        let mut mask = match route.source {
            Source::Bgp => 0u64,
            Source::Static => 1,
            Source::Connected => 2,
            Source::Aggregate => 3,
        } << 62;
        for (i, l) in self.lists.iter().enumerate() {
            if l.permits(&route.prefix) {
                mask |= 1 << i;
            }
        }
        mask
    }

    fn new_record(&mut self, attrs: Option<RouteAttrs>) -> usize {
        if self.records.len() >= self.capacity {
            self.clear();
        }
        self.records.push(Record {
            attrs,
            answers: Vec::new(),
        });
        self.records.len() - 1
    }

    /// The index of the answer for record `rec` and `mask`, computed if new.
    fn answer(&mut self, rec: usize, mask: u64, route: &PolicyRoute<'_>) -> usize {
        if let Some(&(_, a)) = self.records[rec].answers.iter().find(|(k, _)| *k == mask) {
            return a as usize;
        }
        let mut hits = Vec::new();
        let (permit, work) = self.policy.run(
            route,
            &mut Bits {
                bit_of: &self.bit_of,
                mask,
            },
            Some(&mut hits),
        );
        self.answers.push(Answer {
            permit,
            attrs: if permit {
                work.attrs.map(Arc::new)
            } else {
                None
            },
            weight: if permit { work.weight } else { None },
            next_hop_unchanged: permit && work.nh_unchanged,
            hits,
        });
        let a = self.answers.len() - 1;
        self.records[rec].answers.push((mask, a as u32));
        a
    }
}

//----------- Tests -------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use bgp_wire::attr::{AsPathBuf, Community};

    use super::*;

    fn peer() -> PeerInfo {
        PeerInfo {
            address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            local_address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
            asn: 65001,
            local_asn: 65000,
            router_id: Ipv4Addr::new(192, 0, 2, 1),
            role: None,
        }
    }

    fn attrs(path: &[u32], comms: &[Community]) -> RouteAttrs {
        RouteAttrs {
            as_path: AsPathBuf::sequence(path.iter().copied()),
            communities: comms.to_vec(),
            next_hop: Some(NextHop::V4(Ipv4Addr::new(198, 18, 0, 1))),
            ..RouteAttrs::default()
        }
    }

    fn route<'a>(prefix: &str, attrs: &'a RouteAttrs, peer: &'a PeerInfo) -> PolicyRoute<'a> {
        PolicyRoute {
            prefix: prefix.parse().unwrap(),
            path_id: None,
            attrs,
            weight: 0,
            source: Source::Bgp,
            direction: Direction::Import,
            peer,
        }
    }

    const SEED: &str = "\
ip prefix-list defaultroute seq 5 permit 0.0.0.0/0
ip prefix-list hostroutes seq 5 permit 0.0.0.0/0 ge 32
ip prefix-list alldynamicroutes seq 5 permit 0.0.0.0/0 ge 32
ip prefix-list alldynamicroutes seq 10 permit 0.0.0.0/0
ip prefix-list alldynamicroutes seq 100 deny any
route-map FROM-HOSTS permit 10
 match ip address prefix-list hostroutes
 set local-preference 200
route-map TO-HOSTS permit 10
 match ip address prefix-list defaultroute
";

    #[test]
    fn seed_filters() {
        let p = Policies::parse(SEED).unwrap();
        let (peer, a) = (peer(), attrs(&[65001], &[]));
        let pl = |name: &str, prefix: &str| {
            p.prefix_list(AddrFamily::Ipv4, name)
                .evaluate(&route(prefix, &a, &peer))
        };
        assert_eq!(pl("defaultroute", "0.0.0.0/0"), Verdict::Permit);
        assert_eq!(pl("defaultroute", "0.0.0.0/8"), Verdict::Deny);
        assert_eq!(pl("defaultroute", "10.0.0.0/8"), Verdict::Deny);
        assert_eq!(pl("hostroutes", "10.1.2.3/32"), Verdict::Permit);
        assert_eq!(pl("hostroutes", "10.1.2.2/31"), Verdict::Deny);
        assert_eq!(pl("hostroutes", "0.0.0.0/0"), Verdict::Deny);
        assert_eq!(pl("alldynamicroutes", "10.1.2.3/32"), Verdict::Permit);
        assert_eq!(pl("alldynamicroutes", "0.0.0.0/0"), Verdict::Permit);
        assert_eq!(pl("alldynamicroutes", "10.1.2.0/24"), Verdict::Deny);
        assert_eq!(pl("alldynamicroutes", "2001:db8::1/128"), Verdict::Deny);
        assert_eq!(
            p.config()
                .prefix_list(AddrFamily::Ipv4, "alldynamicroutes")
                .unwrap()
                .lookup(&"10.1.2.0/24".parse().unwrap())
                .map(|e| e.seq),
            Some(100)
        );
        assert_eq!(pl("no-such-list", "0.0.0.0/0"), Verdict::Deny);

        let m = p.route_map("FROM-HOSTS");
        let Verdict::Modified(v) = m.evaluate(&route("10.1.2.3/32", &a, &peer)) else {
            panic!("a host route is permitted with a new local preference")
        };
        assert_eq!(v.attrs.local_pref, Some(200));
        assert_eq!(m.evaluate(&route("10.1.2.0/24", &a, &peer)), Verdict::Deny);
        let t = p.route_map("TO-HOSTS");
        assert_eq!(t.evaluate(&route("0.0.0.0/0", &a, &peer)), Verdict::Permit);
        assert_eq!(t.evaluate(&route("10.0.0.0/8", &a, &peer)), Verdict::Deny);
        assert_eq!(
            p.route_map("NOPE").evaluate(&route("0.0.0.0/0", &a, &peer)),
            Verdict::Deny
        );
    }

    #[test]
    fn chains_calls_and_sets() {
        let p = Policies::parse(
            "bgp community-list standard C seq 5 permit 65000:1\n\
             route-map M permit 10\n set metric +5\n set weight 9\n on-match next\n\
             route-map M permit 20\n match community C\n set metric -100\n call SUB\n\
             route-map M permit 30\n\
             route-map SUB permit 10\n set as-path prepend 1 2\n set community none\n\
             route-map LOOP permit 10\n call LOOP\n\
             route-map LAST permit 10\n set as-path prepend last-as 2\n set as-path exclude 65002\n",
        )
        .unwrap();
        let peer = peer();
        let with = attrs(&[65001, 65002], &[Community::new(65000, 1)]);
        let o = p
            .route_map("M")
            .evaluate_traced(&route("10.0.0.0/8", &with, &peer));
        assert!(o.permit);
        let a = o.attrs.unwrap();
        assert_eq!(a.med, Some(0), "5 - 100 stops at 0");
        assert_eq!(a.as_path.to_string(), "1 2 65001 65002");
        assert!(a.communities.is_empty());
        assert_eq!(o.weight, Some(9));
        let hits: Vec<(&str, u32)> = o.hits.iter().map(|h| (h.route_map, h.seq)).collect();
        assert_eq!(hits, [("M", 10), ("M", 20), ("SUB", 10)]);
        // Without the community, entry 20 does not match and entry 30 decides.
        let without = attrs(&[65001], &[]);
        let o = p
            .route_map("M")
            .evaluate_traced(&route("10.0.0.0/8", &without, &peer));
        assert!(o.permit);
        assert_eq!(o.attrs.unwrap().med, Some(5));
        let hits: Vec<(&str, u32)> = o.hits.iter().map(|h| (h.route_map, h.seq)).collect();
        assert_eq!(hits, [("M", 10), ("M", 30)]);
        // With no entry 30, FRR denies although entry 10 permitted.
        let q = Policies::parse(
            "route-map N permit 10\n set metric 1\n on-match next\nroute-map N permit 20\n match metric 7\n",
        )
        .unwrap();
        assert!(
            !q.route_map("N")
                .evaluate_traced(&route("10.0.0.0/8", &without, &peer))
                .permit
        );
        assert_eq!(
            p.route_map("LOOP")
                .evaluate(&route("10.0.0.0/8", &without, &peer)),
            Verdict::Deny,
            "calls nest at most 10 deep"
        );
        let set_first = RouteAttrs {
            as_path: AsPathBuf {
                segments: vec![
                    AsSegment {
                        ty: SegmentType::Set,
                        asns: vec![65002],
                    },
                    AsSegment {
                        ty: SegmentType::Sequence,
                        asns: vec![65001],
                    },
                ],
            },
            ..RouteAttrs::default()
        };
        let o = p
            .route_map("LAST")
            .evaluate_traced(&route("10.0.0.0/8", &set_first, &peer));
        // The leftmost AS is in an AS_SET: nothing to repeat; 65002's set goes.
        assert_eq!(o.attrs.unwrap().as_path.to_string(), "65001");
        let o = p
            .route_map("LAST")
            .evaluate_traced(&route("10.0.0.0/8", &with, &peer));
        assert_eq!(o.attrs.unwrap().as_path.to_string(), "65001 65001 65001");
    }

    /// The evaluator gives the answers of a plain evaluation, however the
    /// routes share attribute sets.
    #[test]
    fn evaluator_agrees_with_evaluation() {
        let p = Policies::parse(
            "ip prefix-list P seq 5 permit 10.0.0.0/8 le 24\n\
             ip prefix-list Q seq 5 permit 10.0.0.0/8 ge 20\n\
             bgp as-path access-list A seq 5 permit _65002_\n\
             bgp community-list standard C seq 5 permit 65000:1\n\
             route-map M permit 10\n match ip address prefix-list P\n set local-preference 200\n on-match next\n\
             route-map M deny 20\n match as-path A\n match ip address prefix-list Q\n\
             route-map M permit 30\n match community C\n set community 65000:9 additive\n\
             route-map M permit 40\n match ip address prefix-list Q\n set weight 4\n",
        )
        .unwrap();
        let peer = peer();
        let sets: Vec<RouteAttrs> = (0..12)
            .map(|i| {
                let path: Vec<u32> = (0..=i % 4).map(|k| 65001 + (i + k) % 3).collect();
                let comms: Vec<Community> = (0..i % 3)
                    .map(|k| Community::new(65000, k as u16))
                    .collect();
                attrs(&path, &comms)
            })
            .collect();
        let map = p.route_map("M");
        let mut ev = map.evaluator();
        let mut keyed = map.evaluator();
        for round in 0..3 {
            for n in 0..400u32 {
                let a = &sets[(n as usize * 7 + round) % sets.len()];
                let len = [8, 16, 20, 22, 24, 25, 32][n as usize % 7];
                let prefix = IpNet::new(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (n << 8))), len)
                    .unwrap()
                    .trunc();
                let r = PolicyRoute {
                    prefix,
                    ..route("0.0.0.0/0", a, &peer)
                };
                let want = map.evaluate_traced(&r);
                let got = ev.evaluate(&r).clone();
                assert_eq!(got.permit, want.permit, "{prefix}");
                assert_eq!(got.attrs.as_deref(), want.attrs.as_ref(), "{prefix}");
                assert_eq!(got.weight, want.weight);
                assert_eq!(got.hits, want.hits);
                assert_eq!(ev.evaluate(&r).verdict(&r), map.evaluate(&r));
                let key = (n as usize * 7 + round) % sets.len();
                let keyed = keyed.evaluate_keyed(key as u64 * 0x1_0000_0001, &r).clone();
                assert_eq!(keyed, got);
            }
        }
        assert!(ev.len() <= sets.len());
    }

    /// What `permits_all` says of common route-maps and prefix-lists, and
    /// that the routes agree where it says `true`.
    #[test]
    fn permits_all_of_maps_and_lists() {
        let p = Policies::parse(
            "ip prefix-list ANY seq 5 permit any\n\
             ip prefix-list ALL4 seq 5 permit 10.0.0.0/8 le 24\n\
             ip prefix-list ALL4 seq 10 permit 0.0.0.0/0 le 32\n\
             ip prefix-list ALL4 seq 15 deny any\n\
             ip prefix-list HOSTS seq 5 permit 0.0.0.0/0 ge 32\n\
             ip prefix-list NODEFAULT seq 5 deny 0.0.0.0/0\n\
             ip prefix-list NODEFAULT seq 10 permit any\n\
             ip prefix-list GE1 seq 5 permit 0.0.0.0/0 ge 1 le 32\n\
             ip prefix-list EMPTY description nothing here\n\
             ipv6 prefix-list ANY6 seq 5 permit ::/0 le 128\n\
             route-map ALLOW permit 10\n\
             route-map HOSTS-FIRST permit 10\n match ip address prefix-list HOSTS\n\
             route-map HOSTS-FIRST permit 20\n\
             route-map MISSING-CALL permit 10\n call NOPE\n\
             route-map LP permit 10\n set local-preference 200\n\
             route-map DENY-SOME deny 10\n match ip address prefix-list HOSTS\n\
             route-map DENY-SOME permit 20\n\
             route-map ONLY-HOSTS permit 10\n match ip address prefix-list HOSTS\n\
             route-map NEXT permit 10\n on-match next\n\
             route-map NEXT permit 20\n\
             route-map CALLS permit 10\n call ALLOW\n\
             route-map EMPTY-MAP permit 10\n match metric 3\n\
             route-map EMPTY-MAP deny 20\n",
        )
        .unwrap();
        let (v4, v6) = (Family::IPV4_UNICAST, Family::IPV6_UNICAST);
        for (name, want) in [
            ("ALLOW", true),
            ("HOSTS-FIRST", true),
            ("MISSING-CALL", true),
            ("LP", false),
            ("DENY-SOME", false),
            ("ONLY-HOSTS", false),
            // Correct answers that the conservative rule does not find.
            ("NEXT", false),
            ("CALLS", false),
            ("EMPTY-MAP", false),
            ("NO-SUCH-MAP", false),
        ] {
            let m = p.route_map(name);
            assert_eq!(m.permits_all(v4), want, "{name}");
            assert_eq!(m.permits_all(v6), want, "{name}");
        }
        let l4 = |n: &str| p.prefix_list(AddrFamily::Ipv4, n);
        assert!(l4("ANY").permits_all(v4));
        assert!(
            !l4("ANY").permits_all(v6),
            "an IPv4 list denies IPv6 routes"
        );
        assert!(l4("ALL4").permits_all(v4));
        assert!(!l4("HOSTS").permits_all(v4));
        assert!(!l4("NODEFAULT").permits_all(v4));
        assert!(!l4("GE1").permits_all(v4), "the default route is denied");
        assert!(l4("EMPTY").permits_all(v4) && l4("EMPTY").permits_all(v6));
        assert!(!l4("NO-SUCH-LIST").permits_all(v4));
        assert!(!l4("ANY").permits_all(Family::IPV4_MULTICAST));
        let l6 = p.prefix_list(AddrFamily::Ipv6, "ANY6");
        assert!(l6.permits_all(v6) && !l6.permits_all(v4));

        // Answers that do not depend on the prefix.
        for (name, want) in [
            ("ALLOW", true),
            ("LP", true),
            ("CALLS", true),
            ("NEXT", true),
            ("EMPTY-MAP", true),
            ("NO-SUCH-MAP", true),
            ("HOSTS-FIRST", false),
            ("DENY-SOME", false),
            ("ONLY-HOSTS", false),
        ] {
            assert_eq!(p.route_map(name).ignores_prefix(v4), want, "{name}");
        }
        assert!(!l4("HOSTS").ignores_prefix(v4));
        assert!(l4("HOSTS").ignores_prefix(v6), "denies every IPv6 route");
        assert!(l4("ANY").ignores_prefix(v4) && l4("EMPTY").ignores_prefix(v4));
        assert!(l4("NO-SUCH-LIST").ignores_prefix(v4));
        assert!(!l4("ANY").ignores_prefix(Family::IPV4_MULTICAST));

        let (peer, a) = (peer(), attrs(&[65001], &[]));
        for prefix in ["0.0.0.0/0", "10.1.2.3/32", "10.0.0.0/8", "192.0.2.0/24"] {
            let r = route(prefix, &a, &peer);
            for n in ["ALLOW", "HOSTS-FIRST", "MISSING-CALL"] {
                assert_eq!(p.route_map(n).evaluate(&r), Verdict::Permit, "{n} {prefix}");
            }
            for n in ["ANY", "ALL4", "EMPTY"] {
                assert_eq!(l4(n).evaluate(&r), Verdict::Permit, "{n} {prefix}");
            }
        }
    }

    /// What `permitted_prefixes` says of lists and maps, and that no
    /// route outside the claimed ranges is permitted.
    #[test]
    fn permitted_prefixes_of_maps_and_lists() {
        let p = Policies::parse(
            "ip prefix-list DEFAULT-ONLY seq 5 permit 0.0.0.0/0\n\
             ip prefix-list HOSTS seq 5 permit 0.0.0.0/0 ge 32\n\
             ip prefix-list MIX seq 5 deny 10.0.0.0/8 ge 25\n\
             ip prefix-list MIX seq 10 permit 10.0.0.0/8 le 32\n\
             ip prefix-list MIX seq 15 permit 192.0.2.0/24\n\
             ip prefix-list MIX seq 20 deny any\n\
             ip prefix-list ANY seq 5 permit any\n\
             ip prefix-list EMPTY description nothing here\n\
             ipv6 prefix-list HOSTS6 seq 5 permit ::/0 ge 128\n\
             route-map TO-HOST permit 10\n match ip address prefix-list DEFAULT-ONLY\n\
             route-map TO-HOST permit 20\n match ipv6 address prefix-list HOSTS6\n set local-preference 50\n\
             route-map TO-HOST deny 30\n\
             route-map BOTH permit 10\n match ip address prefix-list HOSTS\n match ip address prefix-list MIX\n\
             route-map BOTH permit 20\n match ip address prefix-list DEFAULT-ONLY\n on-match next\n\
             route-map BOTH permit 30\n match metric 7\n match ip address prefix-list DEFAULT-ONLY\n\
             route-map HOSTS-FIRST permit 10\n match ip address prefix-list HOSTS\n\
             route-map HOSTS-FIRST permit 20\n\
             route-map DENY-SOME deny 10\n match ip address prefix-list HOSTS\n\
             route-map DENY-SOME permit 20\n\
             route-map MISSING permit 10\n match ip address prefix-list NOPE\n\
             route-map EMPTY-LIST permit 10\n match ip address prefix-list EMPTY\n\
             route-map LP permit 10\n set local-preference 200\n",
        )
        .unwrap();
        let (v4, v6) = (Family::IPV4_UNICAST, Family::IPV6_UNICAST);
        let r = |p: &str, min_len, max_len| PrefixRange {
            prefix: p.parse().unwrap(),
            min_len,
            max_len,
        };
        let default = PrefixRange::exact("0.0.0.0/0".parse().unwrap());
        let hosts = r("0.0.0.0/0", 32, 32);
        let l4 = |n: &str| p.prefix_list(AddrFamily::Ipv4, n);
        assert_eq!(
            l4("DEFAULT-ONLY").permitted_prefixes(v4),
            Some(vec![default])
        );
        assert_eq!(l4("HOSTS").permitted_prefixes(v4), Some(vec![hosts]));
        assert_eq!(
            l4("MIX").permitted_prefixes(v4),
            Some(vec![r("10.0.0.0/8", 8, 32), r("192.0.2.0/24", 24, 24)]),
            "deny entries take away, permit entries make the ranges"
        );
        assert_eq!(
            l4("HOSTS").permitted_prefixes(v6),
            Some(vec![]),
            "other family"
        );
        assert_eq!(l4("NO-SUCH-LIST").permitted_prefixes(v4), Some(vec![]));
        assert_eq!(l4("ANY").permitted_prefixes(v4), None, "permits everything");
        assert_eq!(
            l4("EMPTY").permitted_prefixes(v4),
            None,
            "permits everything"
        );
        assert_eq!(l4("ANY").permitted_prefixes(Family::IPV4_MULTICAST), None);

        let m = |n: &str| p.route_map(n);
        assert_eq!(m("TO-HOST").permitted_prefixes(v4), Some(vec![default]));
        assert_eq!(
            m("TO-HOST").permitted_prefixes(v6),
            Some(vec![r("::/0", 128, 128)])
        );
        assert_eq!(
            m("BOTH").permitted_prefixes(v4),
            Some(vec![
                r("10.0.0.0/8", 8, 32),
                r("192.0.2.0/24", 24, 24),
                default,
                default
            ]),
            "a second `match ip address prefix-list` replaces the first (FRR); \
             on-match and other matches do not widen"
        );
        assert_eq!(m("MISSING").permitted_prefixes(v4), Some(vec![]));
        assert_eq!(m("EMPTY-LIST").permitted_prefixes(v4), Some(vec![]));
        assert_eq!(m("NO-SUCH-MAP").permitted_prefixes(v4), Some(vec![]));
        for n in ["HOSTS-FIRST", "DENY-SOME", "LP"] {
            assert_eq!(m(n).permitted_prefixes(v4), None, "{n}");
        }

        // Nothing outside the claim is permitted.
        let (peer, a) = (peer(), attrs(&[65001], &[]));
        let probes = [
            "0.0.0.0/0",
            "10.0.0.0/8",
            "10.1.0.0/16",
            "10.1.2.0/24",
            "10.1.2.128/25",
            "10.1.2.3/32",
            "192.0.2.0/24",
            "192.0.2.1/32",
            "198.51.100.0/24",
            "::/0",
            "2001:db8::/32",
            "2001:db8::1/128",
        ];
        let names = [
            "DEFAULT-ONLY",
            "HOSTS",
            "MIX",
            "ANY",
            "EMPTY",
            "NO-SUCH-LIST",
        ];
        let mut policies: Vec<(String, Box<dyn Policy + '_>)> = names
            .iter()
            .map(|n| (n.to_string(), Box::new(l4(n)) as Box<dyn Policy>))
            .collect();
        for n in [
            "TO-HOST",
            "BOTH",
            "HOSTS-FIRST",
            "DENY-SOME",
            "MISSING",
            "LP",
        ] {
            policies.push((n.to_string(), Box::new(m(n))));
        }
        let mut permitted = 0;
        for (name, pol) in &policies {
            for prefix in probes {
                let mut route = route(prefix, &a, &peer);
                route.attrs = &a;
                let fam = if prefix.contains(':') { v6 } else { v4 };
                if pol.evaluate(&route) == Verdict::Deny {
                    continue;
                }
                permitted += 1;
                if let Some(ranges) = pol.permitted_prefixes(fam) {
                    let net: IpNet = prefix.parse().unwrap();
                    assert!(
                        ranges.iter().any(|r| r.contains(&net)),
                        "{name} permits {prefix} outside {ranges:?}"
                    );
                }
            }
        }
        assert!(permitted > 20, "the probes reach the permits: {permitted}");
    }

    /// The shared handles give the borrowed handles' answers and claims,
    /// for lists and maps that exist and for names that do not.
    #[test]
    fn shared_handles_answer_as_borrowed_ones() {
        let p = Arc::new(
            Policies::parse(
                "ip prefix-list HOSTS seq 5 permit 0.0.0.0/0 ge 32\n\
                 ip prefix-list ANY seq 5 permit any\n\
                 ipv6 prefix-list HOSTS seq 5 permit ::/0 ge 128\n\
                 route-map ALLOW permit 10\n\
                 route-map HOSTS-LP permit 10\n match ip address prefix-list HOSTS\n set local-preference 300\n\
                 route-map LP permit 10\n set local-preference 200\n",
            )
            .unwrap(),
        );
        let (peer, a) = (peer(), attrs(&[65001], &[]));
        let fams = [
            Family::IPV4_UNICAST,
            Family::IPV6_UNICAST,
            Family::IPV4_MULTICAST,
        ];
        let prefixes = [
            "10.1.2.3/32",
            "10.0.0.0/8",
            "2001:db8::1/128",
            "2001:db8::/32",
        ];
        for name in ["ALLOW", "HOSTS-LP", "LP", "NO-SUCH-MAP"] {
            let (b, s) = (p.route_map(name), SharedRouteMap::new(Arc::clone(&p), name));
            for f in fams {
                assert_eq!(b.permits_all(f), s.permits_all(f), "{name} {f:?}");
                assert_eq!(b.ignores_prefix(f), s.ignores_prefix(f), "{name} {f:?}");
                assert_eq!(
                    b.permitted_prefixes(f),
                    s.permitted_prefixes(f),
                    "{name} {f:?}"
                );
            }
            for prefix in prefixes {
                let r = route(prefix, &a, &peer);
                assert_eq!(b.evaluate(&r), s.evaluate(&r), "{name} {prefix}");
            }
        }
        for fam in [AddrFamily::Ipv4, AddrFamily::Ipv6] {
            for name in ["HOSTS", "ANY", "NO-SUCH-LIST"] {
                let b = p.prefix_list(fam, name);
                let s = SharedPrefixList::new(Arc::clone(&p), fam, name);
                for f in fams {
                    assert_eq!(b.permits_all(f), s.permits_all(f), "{name} {f:?}");
                    assert_eq!(b.ignores_prefix(f), s.ignores_prefix(f), "{name} {f:?}");
                    assert_eq!(
                        b.permitted_prefixes(f),
                        s.permitted_prefixes(f),
                        "{name} {f:?}"
                    );
                }
                for prefix in prefixes {
                    let r = route(prefix, &a, &peer);
                    assert_eq!(b.evaluate(&r), s.evaluate(&r), "{name} {prefix}");
                }
            }
        }
        // A few answers spelled out, so that the comparison is not of two
        // wrong handles.
        let hosts4 = SharedPrefixList::new(Arc::clone(&p), AddrFamily::Ipv4, "HOSTS");
        assert_eq!(
            hosts4.evaluate(&route("10.1.2.3/32", &a, &peer)),
            Verdict::Permit
        );
        assert_eq!(
            hosts4.evaluate(&route("10.0.0.0/8", &a, &peer)),
            Verdict::Deny
        );
        assert_eq!(
            hosts4.evaluate(&route("2001:db8::1/128", &a, &peer)),
            Verdict::Deny
        );
        let hosts6 = SharedPrefixList::new(Arc::clone(&p), AddrFamily::Ipv6, "HOSTS");
        assert_eq!(
            hosts6.evaluate(&route("2001:db8::1/128", &a, &peer)),
            Verdict::Permit
        );
        let lp = SharedRouteMap::new(Arc::clone(&p), "HOSTS-LP");
        assert!(matches!(
            lp.evaluate(&route("10.1.2.3/32", &a, &peer)),
            Verdict::Modified(m) if m.attrs.local_pref == Some(300)
        ));
        assert_eq!(lp.evaluate(&route("10.0.0.0/8", &a, &peer)), Verdict::Deny);
        assert!(SharedRouteMap::new(Arc::clone(&p), "ALLOW").permits_all(Family::IPV4_UNICAST));
        assert!(
            !SharedRouteMap::new(Arc::clone(&p), "NO-SUCH-MAP")
                .get()
                .exists()
        );
    }

    use proptest::prelude::*;

    const LIST4: &[&str] = &[
        "any",
        "0.0.0.0/0 le 32",
        "0.0.0.0/0 ge 1 le 32",
        "0.0.0.0/0 le 31",
        "0.0.0.0/0",
        "0.0.0.0/0 ge 32",
        "10.0.0.0/8 le 32",
    ];
    const LIST6: &[&str] = &["any", "::/0 le 128", "::/0 ge 1", "2001:db8::/32 le 128"];
    const MATCHES: &[&str] = &[
        "",
        " match ip address prefix-list L\n",
        " match ipv6 address prefix-list L6\n",
        " match metric 5\n",
        " match ip address prefix-list NOPE\n",
    ];
    const SETS: &[&str] = &[
        "",
        " set metric 5\n",
        " set weight 0\n",
        " set local-preference 100\n",
        " set community 65000:1 additive\n",
    ];
    const TAILS: &[&str] = &[
        "",
        " on-match next\n",
        " on-match goto GOTO\n",
        " call NOPE\n",
        " call OTHER\n",
    ];

    /// A policy text from the pieces above: prefix-lists L and L6, the
    /// route-map M under test and OTHER, which M may call.
    fn policy_text() -> impl Strategy<Value = String> {
        let list = |pieces: &'static [&'static str]| {
            proptest::collection::vec((any::<bool>(), proptest::sample::select(pieces)), 0..4)
        };
        let entry = (
            any::<bool>(),
            proptest::sample::select(MATCHES),
            proptest::sample::select(SETS),
            proptest::sample::select(TAILS),
        );
        (
            list(LIST4),
            list(LIST6),
            proptest::collection::vec(entry, 1..5),
        )
            .prop_map(|(l4, l6, entries)| {
                let mut t = String::from("route-map OTHER permit 10\n set metric 9\n");
                for (k, (permit, m)) in l4.iter().enumerate() {
                    let a = if *permit { "permit" } else { "deny" };
                    t += &format!("ip prefix-list L seq {} {a} {m}\n", 5 * (k + 1));
                }
                if l4.is_empty() {
                    t += "ip prefix-list L description empty\n";
                }
                for (k, (permit, m)) in l6.iter().enumerate() {
                    let a = if *permit { "permit" } else { "deny" };
                    t += &format!("ipv6 prefix-list L6 seq {} {a} {m}\n", 5 * (k + 1));
                }
                for (k, (permit, m, s, tail)) in entries.iter().enumerate() {
                    let a = if *permit { "permit" } else { "deny" };
                    let seq = 10 * (k + 1);
                    let tail = tail.replace("GOTO", &(seq + 15).to_string());
                    t += &format!("route-map M {a} {seq}\n{m}{s}{tail}");
                }
                t
            })
    }

    /// A prefix, a second prefix of the same family, a MED and a weight.
    fn any_route() -> impl Strategy<Value = (IpNet, IpNet, Option<u32>, u32)> {
        (
            any::<bool>(),
            any::<[u128; 2]>(),
            any::<[u8; 2]>(),
            proptest::sample::select(&[None, Some(5), Some(7)][..]),
            0..2u32,
        )
            .prop_map(|(v6, bits, lens, med, weight)| {
                let net = |b: u128, len: u8| {
                    if v6 {
                        IpNet::new(IpAddr::V6(b.into()), len % 129).unwrap()
                    } else {
                        IpNet::new(IpAddr::V4(((b >> 96) as u32).into()), len % 33).unwrap()
                    }
                    .trunc()
                };
                (net(bits[0], lens[0]), net(bits[1], lens[1]), med, weight)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Where a route-map or prefix-list says it permits a whole family,
        /// it permits every route of it unchanged; where it says it ignores
        /// the prefix, two routes that differ only in their prefixes get the
        /// same answer.
        #[test]
        fn permits_all_and_ignores_prefix_are_never_wrong(
            text in policy_text(),
            routes in proptest::collection::vec(any_route(), 1..24),
        ) {
            let p = Policies::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            let peer = peer();
            let policies: [(&str, &dyn Policy); 3] = [
                ("M", &p.route_map("M")),
                ("L", &p.prefix_list(AddrFamily::Ipv4, "L")),
                ("L6", &p.prefix_list(AddrFamily::Ipv6, "L6")),
            ];
            for (prefix, twin, med, weight) in routes {
                let family = match prefix {
                    IpNet::V4(_) => Family::IPV4_UNICAST,
                    IpNet::V6(_) => Family::IPV6_UNICAST,
                };
                let a = RouteAttrs { med, ..attrs(&[65001], &[]) };
                let r = PolicyRoute { prefix, weight, ..route("0.0.0.0/0", &a, &peer) };
                for (name, pol) in policies {
                    let v = pol.evaluate(&r);
                    if pol.permits_all(family) {
                        prop_assert_eq!(&v, &Verdict::Permit, "{} {}\n{}", name, prefix, text);
                    }
                    if pol.ignores_prefix(family) {
                        let t = pol.evaluate(&PolicyRoute { prefix: twin, ..r });
                        prop_assert_eq!(&t, &v, "{} {} {}\n{}", name, prefix, twin, text);
                    }
                }
            }
        }
    }
}

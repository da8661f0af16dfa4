//! Drives a [`Rib`] with an operation sequence decoded from arbitrary
//! bytes, checking invariants as it goes (not a stable API). Used by the
//! `rib_sequence` fuzz target and by a test over fixed and pseudo-random
//! inputs.
//!
//! The input first configures the RIB (decision options, the DIR-24-8
//! index) and four peers (iBGP or eBGP, route-reflector or route-server
//! client, soft reconfiguration, ADD-PATH send, next-hop mode, allowas-in,
//! private-AS removal, default-originate), then gives operations:
//! announcements of one to four prefixes (IPv4 and IPv6, nested lengths,
//! some in different /16s so that the trie looks them up side by side),
//! withdrawals (with ADD-PATH path identifiers from the peers that send
//! them), UPDATE messages as a peer sends them (decoded by bgp-wire,
//! malformed ones included), session up and down, graceful restart (stale
//! marking, End-of-RIB, the stale timer), import and export policy changes,
//! next-hop reachability changes, local origination, the Loc-RIB change
//! stream turned off and on, peers removed and added again, drains and time
//! steps.
//!
//! Invariants, checked at every drain and at the end:
//! * applying every drained Loc-RIB change to an empty table gives
//!   [`Rib::loc_rib`] (from the last time the stream was turned on);
//! * applying every drained Adj-RIB-Out change of a peer gives
//!   [`Rib::adj_rib_out`]; nothing is withdrawn that was not announced, and
//!   a peer whose session is down gets nothing;
//! * [`Rib::best`] is one of [`Rib::paths`], and [`Rib::longest_match`],
//!   [`Rib::lookup`], [`Rib::more_specifics`] and [`Rib::less_specifics`]
//!   agree with a scan of the Loc-RIB;
//! * once every session is down and nothing is originated, the RIB holds
//!   no prefix and no attribute set;
//! * nothing panics.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use bgp_wire::attr::{AsPathBuf, Community, NextHop, Origin};
use bgp_wire::testing::{Input as Reader, message};
use bgp_wire::{Family, FamilySet, Message, Nlri, RouteAttrs, SessionContext, parse_message};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::policy::{Modified, PeerInfo, PolicyRoute, Source, Verdict};
use crate::{
    AddPathSend, DecisionConfig, DefaultOriginate, NextHopMode, PeerConfig, PeerId, Rib, RibConfig,
};

const LOCAL_AS: u32 = 65000;
const PEERS: usize = 4;

/// A prefix from one octet: IPv4 and IPv6 prefixes of nested lengths in a
/// few blocks, and a spread of /24s in different /16s. With `index` (the
/// DIR-24-8 index on) no IPv4 prefix is shorter than /8 but the default
/// route: a /1../7 fills 2^17 or more entries of the index (and a removal
/// as many), too slow to fuzz under coverage instrumentation. The /0 is
/// held beside the index, so it is cheap.
fn prefix(b: u8, index: bool) -> IpNet {
    let i = u32::from(b);
    match b % 4 {
        0 => {
            // Nested: 10.x.0.0/16 .. /26 in four /16s.
            let len = 16 + (i / 4) % 11;
            let addr = 0x0a00_0000 | ((i / 44) % 4) << 16 | ((i * 37) & 0xffff);
            IpNet::V4(
                Ipv4Net::new(Ipv4Addr::from(addr), len as u8)
                    .unwrap()
                    .trunc(),
            )
        }
        1 => {
            // Scattered /24s, each in its own /16.
            let addr = (i.wrapping_mul(2_654_435_761) & 0xffff_ff00) | 0x0100_0000;
            IpNet::V4(Ipv4Net::new(Ipv4Addr::from(addr), 24).unwrap())
        }
        2 => {
            let lens = if index {
                [0u8, 8, 16, 32]
            } else {
                [0u8, 4, 12, 32]
            };
            let len = lens[((i / 4) % 4) as usize];
            let addr = 0x0a00_0000 | (i << 8);
            IpNet::V4(Ipv4Net::new(Ipv4Addr::from(addr), len).unwrap().trunc())
        }
        _ => {
            let len = [32u8, 48, 56, 64, 128, 0][((i / 4) % 6) as usize];
            let addr = 0x2001_0db8u128 << 96 | u128::from(i) << 72 | u128::from(i);
            IpNet::V6(Ipv6Net::new(Ipv6Addr::from(addr), len).unwrap().trunc())
        }
    }
}

/// Attributes from one octet, for `peer`.
fn attrs(b: u8, peer: usize, ibgp: bool) -> RouteAttrs {
    let asn = 65001 + peer as u32;
    let mut path = vec![asn, 64512 + u32::from(b % 3)];
    if b & 0x40 != 0 {
        path.push(LOCAL_AS);
    }
    path.truncate(if b & 0x80 != 0 { 1 } else { path.len() });
    let next_hop = match b % 5 {
        4 => NextHop::V4(Ipv4Addr::new(192, 0, 2, 99)),
        _ => NextHop::V4(Ipv4Addr::new(192, 0, 2, 10 + peer as u8)),
    };
    let mut a = RouteAttrs {
        origin: [Origin::Igp, Origin::Egp, Origin::Incomplete][usize::from(b % 3)],
        as_path: if ibgp && b & 0x20 != 0 {
            AsPathBuf::default()
        } else {
            AsPathBuf::sequence(path)
        },
        next_hop: Some(next_hop),
        med: (b & 0x08 != 0).then_some(u32::from(b >> 4)),
        local_pref: ibgp.then_some(100 + u32::from(b & 3) * 50),
        ..RouteAttrs::default()
    };
    if b & 0x10 != 0 {
        a.communities.push(Community::NO_EXPORT);
    }
    if ibgp && b & 0x04 != 0 {
        a.extra.originator_id = Some(Ipv4Addr::new(10, 9, 9, b % 4));
        a.extra.cluster_list = vec![Ipv4Addr::new(10, 0, 0, b % 2)];
    }
    a
}

/// Panics, naming the keys on which they differ, unless `a == b`.
fn same<K: Ord + std::fmt::Debug, V: PartialEq + std::fmt::Debug>(
    a: &BTreeMap<K, V>,
    b: &BTreeMap<K, V>,
    what: &str,
) {
    if a == b {
        return;
    }
    let diff: Vec<String> = a
        .iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k:?}: {v:?} against {:?}", b.get(k)))
        .chain(
            b.iter()
                .filter(|(k, _)| !a.contains_key(*k))
                .map(|(k, v)| format!("{k:?}: missing against {v:?}")),
        )
        .collect();
    panic!("{what} differs: {diff:#?}");
}

/// A policy whose behaviour a shared variant selects, so that changing the
/// variant and telling the RIB is a policy change.
struct Variant(Arc<AtomicU8>);

impl crate::policy::Policy for Variant {
    fn evaluate(&self, r: &PolicyRoute<'_>) -> Verdict {
        let v = self.0.load(Ordering::Relaxed);
        let h = match r.prefix {
            IpNet::V4(p) => u32::from(p.addr()) >> 8 ^ u32::from(p.prefix_len()),
            IpNet::V6(p) => (u128::from(p.addr()) >> 72) as u32 ^ u32::from(p.prefix_len()),
        };
        match v % 5 {
            1 if h % 2 == 1 => Verdict::Deny,
            2 if h % 3 == 0 => Verdict::Modified(Box::new(Modified {
                attrs: RouteAttrs {
                    local_pref: Some(300),
                    med: None,
                    ..r.attrs.clone()
                },
                weight: 7,
            })),
            3 => Verdict::Deny,
            // Attributes only, and says so (one call per UPDATE).
            4 if r.attrs.origin == Origin::Incomplete => Verdict::Deny,
            4 if r.attrs.med.is_some_and(|m| m % 2 == 1) => Verdict::Modified(Box::new(Modified {
                attrs: RouteAttrs {
                    local_pref: Some(300),
                    ..r.attrs.clone()
                },
                weight: 5,
            })),
            _ => Verdict::Permit,
        }
    }

    /// Variant 0 permits everything, and says so: the RIB's batched path.
    fn permits_all(&self, _: Family) -> bool {
        self.0.load(Ordering::Relaxed) % 5 == 0
    }

    /// Variants 0 and 4 do not look at the prefix, and say so.
    fn ignores_prefix(&self, _: Family) -> bool {
        matches!(self.0.load(Ordering::Relaxed) % 5, 0 | 4)
    }

    /// Variant 3 permits nothing, and says so: a full sync of an empty
    /// Adj-RIB-Out then looks at no prefix.
    fn permitted_prefixes(&self, _: Family) -> Option<Vec<crate::policy::PrefixRange>> {
        (self.0.load(Ordering::Relaxed) % 5 == 3).then(Vec::new)
    }
}

struct Harness {
    rib: Rib,
    ids: [PeerId; PEERS],
    cfgs: Vec<PeerConfig>,
    ibgp: [bool; PEERS],
    /// The peer sends ADD-PATH path identifiers.
    add_path: [bool; PEERS],
    import: [Arc<AtomicU8>; PEERS],
    export: [Arc<AtomicU8>; PEERS],
    up: [bool; PEERS],
    /// What each peer's drained changes add up to.
    sent: [BTreeMap<Nlri, RouteAttrs>; PEERS],
    /// What the drained Loc-RIB changes add up to: prefix → (peer, path
    /// id, attributes).
    fib: BTreeMap<IpNet, (PeerId, Option<u32>, RouteAttrs)>,
    /// Reachability of 192.0.2.99, shared with the resolver.
    reachable: Arc<AtomicU8>,
    /// The DIR-24-8 index is on.
    index: bool,
    originated: Vec<IpNet>,
    now: Instant,
}

impl Harness {
    fn new(r: &mut Reader<'_>, now: Instant) -> Self {
        let c = r.u8();
        let mut cfg = RibConfig::new(LOCAL_AS, Ipv4Addr::new(10, 0, 0, 1));
        cfg.decision = DecisionConfig {
            always_compare_med: c & 1 != 0,
            deterministic_med: c & 2 != 0,
            med_missing_as_worst: c & 4 != 0,
            ignore_as_path_length: c & 8 != 0,
            multipath_relax: c & 16 != 0,
            ..DecisionConfig::default()
        };
        cfg.ipv4_lpm_index = c & 32 != 0;
        let mut rib = Rib::new(cfg);
        let reachable = Arc::new(AtomicU8::new(1));
        let seen = reachable.clone();
        rib.set_resolver(move |nh: &NextHop| match nh {
            NextHop::V4(a) if *a == Ipv4Addr::new(192, 0, 2, 99) => {
                (seen.load(Ordering::Relaxed) != 0).then_some(5)
            }
            NextHop::V4(a) => Some(u32::from(a.octets()[3] % 3)),
            _ => Some(0),
        });
        let mut ids = [PeerId::LOCAL; PEERS];
        let mut ibgp = [false; PEERS];
        let mut add_path = [false; PEERS];
        let mut cfgs = Vec::new();
        let import: [Arc<AtomicU8>; PEERS] = Default::default();
        let export: [Arc<AtomicU8>; PEERS] = Default::default();
        for i in 0..PEERS {
            let (a, b) = (r.u8(), r.u8());
            ibgp[i] = a & 1 != 0;
            add_path[i] = a & 0x40 != 0;
            let info = PeerInfo {
                address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10 + i as u8)),
                local_address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
                asn: if ibgp[i] { LOCAL_AS } else { 65001 + i as u32 },
                local_asn: LOCAL_AS,
                router_id: Ipv4Addr::new(10, 9, 9, i as u8),
                role: None,
            };
            let mut pc = PeerConfig::new(info);
            pc.route_reflector_client = a & 2 != 0;
            pc.route_server_client = a & 4 != 0;
            pc.soft_reconfiguration_inbound = a & 8 != 0;
            pc.add_path_send = match (a >> 4) % 4 {
                1 => AddPathSend::All,
                2 => AddPathSend::Best(2),
                _ => AddPathSend::Single,
            };
            pc.next_hop = [
                NextHopMode::Auto,
                NextHopMode::SelfAddress,
                NextHopMode::Unchanged,
            ][usize::from(b % 3)];
            pc.allowas_in = (b >> 2) % 3;
            pc.remove_private_as = b & 0x10 != 0;
            pc.default_originate = (b & 0x20 != 0).then(DefaultOriginate::default);
            pc.weight = u16::from(b >> 6) * 100;
            pc.local_ipv6 = (b & 0x80 != 0).then(|| Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
            pc.import = Arc::new(Variant(import[i].clone()));
            pc.export = Arc::new(Variant(export[i].clone()));
            // Invariant: a few peers, far below the limit.
            ids[i] = rib.add_peer(pc.clone()).expect("a few peers");
            cfgs.push(pc);
        }
        Self {
            rib,
            ids,
            cfgs,
            ibgp,
            add_path,
            import,
            export,
            up: [false; PEERS],
            sent: Default::default(),
            fib: BTreeMap::new(),
            reachable,
            index: c & 32 != 0,
            originated: Vec::new(),
            now,
        }
    }

    /// The route to `prefix(b)` as peer `t` names it: with an ADD-PATH
    /// path identifier (one of three) when it sends them.
    fn nlri(&self, b: u8, t: usize) -> Nlri {
        Nlri {
            prefix: prefix(b, self.index),
            path_id: self.add_path[t].then_some(u32::from(b >> 6) % 3),
        }
    }

    fn up(&mut self, t: usize) {
        if !self.up[t] {
            self.up[t] = true;
            self.rib.peer_up(self.ids[t]).expect("a known peer");
        }
    }

    fn down(&mut self, t: usize) {
        self.up[t] = false;
        self.sent[t].clear();
        self.rib.peer_down(self.ids[t]).expect("a known peer");
    }

    fn op(&mut self, r: &mut Reader<'_>) {
        let code = r.u8();
        let t = usize::from(code >> 4) % PEERS;
        let id = self.ids[t];
        match code % 16 {
            0..=3 => {
                let n = 1 + usize::from(code % 4);
                let a = attrs(r.u8(), t, self.ibgp[t]);
                let nlri: Vec<Nlri> = (0..n).map(|_| self.nlri(r.u8(), t)).collect();
                if self.up[t] {
                    self.rib.announce(id, a, &nlri).expect("a known peer");
                }
            }
            4 | 5 => {
                let nlri = [self.nlri(r.u8(), t), self.nlri(r.u8(), t)];
                if self.up[t] {
                    self.rib.withdraw(id, &nlri).expect("a known peer");
                }
            }
            6 => {
                // An UPDATE as the peer sends it, well formed or not.
                let n = usize::from(r.u8());
                let msg = message(2, r.bytes(n));
                let cx = SessionContext::permissive();
                if let (true, Ok(Message::Update(u))) = (self.up[t], parse_message(&msg, &cx)) {
                    // A RIB error here is a caller mistake only (unknown
                    // peer); the RFC 7606 handling is inside.
                    self.rib.update(id, &u).expect("a known peer");
                }
            }
            7 => {
                self.up(t);
                if code & 0x80 != 0 {
                    // The initial table held until End-of-RIB (op 10), a
                    // session change or the caller's deadline (below).
                    let both = FamilySet::EMPTY
                        .with(Family::IPV4_UNICAST)
                        .with(Family::IPV6_UNICAST);
                    self.rib
                        .defer_until_end_of_rib(id, both)
                        .expect("a known peer");
                } else if code & 0x40 != 0 {
                    self.rib.apply_deferred();
                }
            }
            8 => {
                self.down(t);
                if code & 0x80 != 0 {
                    // Removed, and configured again under a new handle.
                    self.rib.remove_peer(id).expect("a known peer");
                    let again = self.rib.add_peer(self.cfgs[t].clone());
                    self.ids[t] = again.expect("a few peers");
                }
            }
            9 => {
                // Graceful restart: the session drops, the routes stay stale.
                let deadline = (code & 0x40 != 0).then(|| self.now + Duration::from_secs(5));
                let both = FamilySet::EMPTY
                    .with(Family::IPV4_UNICAST)
                    .with(Family::IPV6_UNICAST);
                if self.up[t] && code & 0x80 == 0 {
                    self.up[t] = false;
                    self.sent[t].clear();
                    self.rib
                        .peer_down_graceful(id, both, deadline)
                        .expect("a known peer");
                } else {
                    // An enhanced route refresh's BoRR (session up), or a
                    // restart noticed late.
                    self.rib
                        .mark_stale(id, Family::IPV4_UNICAST, deadline)
                        .expect("a known peer");
                }
            }
            10 => {
                let f = [Family::IPV4_UNICAST, Family::IPV6_UNICAST][usize::from(code >> 6) % 2];
                if self.up[t] {
                    self.rib.end_of_rib(id, f).expect("a known peer");
                }
            }
            11 => {
                let v = r.u8();
                if v & 1 == 0 {
                    self.import[t].store(v >> 1, Ordering::Relaxed);
                    let p = Arc::new(Variant(self.import[t].clone()));
                    // Without soft reconfiguration the routes the old
                    // policy dropped stay gone (no ROUTE-REFRESH here).
                    let _refresh = self.rib.set_import_policy(id, p).expect("a known peer");
                } else {
                    self.export[t].store(v >> 1, Ordering::Relaxed);
                    let p = Arc::new(Variant(self.export[t].clone()));
                    self.rib.set_export_policy(id, p).expect("a known peer");
                }
            }
            12 => {
                let v = self.reachable.load(Ordering::Relaxed);
                self.reachable.store(v ^ 1, Ordering::Relaxed);
                self.rib.next_hops_changed();
            }
            13 => {
                let p = prefix(r.u8(), self.index);
                if code & 0x40 != 0 {
                    self.rib.withdraw_originated(p);
                    self.originated.retain(|&q| q != p);
                } else {
                    let a = RouteAttrs {
                        origin: Origin::Igp,
                        ..RouteAttrs::default()
                    };
                    self.rib.originate(p, a, Source::Static);
                    self.originated.push(p);
                }
            }
            14 => {
                let on = code & 0x40 != 0;
                let was = self.rib.config().loc_rib_changes;
                self.rib.set_loc_rib_changes(on);
                if on && !was {
                    // A fresh stream: the FIB starts from the Loc-RIB.
                    self.fib = self.loc_rib();
                }
            }
            _ => {
                self.now += Duration::from_secs(u64::from(code >> 4));
                self.rib.handle_timeout(self.now);
                self.check();
            }
        }
    }

    fn loc_rib(&self) -> BTreeMap<IpNet, (PeerId, Option<u32>, RouteAttrs)> {
        self.rib
            .loc_rib()
            .map(|(p, r)| (p, (r.peer, r.path_id, (*r.attrs).clone())))
            .collect()
    }

    /// Drains both change streams and checks them and the queries.
    fn check(&mut self) {
        for c in self.rib.drain_loc_rib() {
            match c.paths.first() {
                None => {
                    self.fib.remove(&c.prefix);
                }
                Some(b) => {
                    self.fib
                        .insert(c.prefix, (b.peer, b.path_id, (*b.attrs).clone()));
                }
            }
        }
        let loc = self.loc_rib();
        if self.rib.config().loc_rib_changes {
            same(&self.fib, &loc, "the Loc-RIB change stream");
        }
        for t in 0..PEERS {
            let ch = self
                .rib
                .drain_adj_rib_out(self.ids[t])
                .expect("a known peer");
            if !self.up[t] {
                assert!(ch.is_empty(), "changes for a peer that is down");
                continue;
            }
            for (_, w) in &ch.withdrawn {
                for n in w {
                    assert!(
                        self.sent[t].remove(n).is_some(),
                        "{n} withdrawn, never sent"
                    );
                }
            }
            for a in &ch.announced {
                for n in &a.nlri {
                    self.sent[t].insert(*n, (*a.attrs).clone());
                }
            }
            let out: BTreeMap<Nlri, RouteAttrs> = self
                .rib
                .adj_rib_out(self.ids[t])
                .into_iter()
                .map(|(n, a)| (n, (*a).clone()))
                .collect();
            same(&self.sent[t], &out, "the Adj-RIB-Out change stream");
        }
        for (p, (peer, id, a)) in &loc {
            let best = self.rib.best(p).expect("a best path in the Loc-RIB");
            assert_eq!((best.peer, best.path_id, &*best.attrs), (*peer, *id, a));
            assert!(
                self.rib
                    .paths(p)
                    .iter()
                    .any(|x| x.peer == *peer && x.path_id == *id)
            );
        }
        // Lookups: the first address of each prefix, and the one past it.
        let mut addrs = Vec::new();
        for p in loc.keys() {
            match p {
                IpNet::V4(v) => addrs.extend([
                    IpAddr::V4(v.network()),
                    IpAddr::V4(Ipv4Addr::from(u32::from(v.broadcast()).wrapping_add(1))),
                ]),
                IpNet::V6(v) => addrs.extend([
                    IpAddr::V6(v.network()),
                    IpAddr::V6(Ipv6Addr::from(u128::from(v.broadcast()).wrapping_add(1))),
                ]),
            }
        }
        for a in addrs {
            let want = loc
                .iter()
                .filter(|(p, _)| p.contains(&a))
                .max_by_key(|(p, _)| p.prefix_len());
            let got = self.rib.longest_match(a);
            assert_eq!(
                got.as_ref().map(|g| g.0),
                want.map(|w| *w.0),
                "longest match {a}"
            );
            let fast = self.rib.lookup(a).map(|(p, peer, _)| (p, peer));
            assert_eq!(fast, want.map(|w| (*w.0, w.1.0)), "lookup {a}");
        }
        for q in loc.keys().take(8) {
            let more: Vec<IpNet> = self.rib.more_specifics(q).iter().map(|x| x.0).collect();
            let mut want: Vec<IpNet> = loc.keys().filter(|p| q.contains(*p)).copied().collect();
            let mut got = more;
            got.sort();
            want.sort();
            assert_eq!(got, want, "more-specifics of {q}");
            let mut less: Vec<IpNet> = self.rib.less_specifics(q).iter().map(|x| x.0).collect();
            let mut want: Vec<IpNet> = loc.keys().filter(|p| p.contains(q)).copied().collect();
            less.sort();
            want.sort();
            assert_eq!(less, want, "less-specifics of {q}");
        }
        // The counters kept as routes come and go, against walks of the
        // peer's Adj-RIBs.
        for t in 0..PEERS {
            let id = self.ids[t];
            let ins = self.rib.adj_rib_in(id);
            let pre = self.rib.adj_rib_in_pre_policy(id);
            let out = self.rib.adj_rib_out(id);
            for (v6, family) in [(false, Family::IPV4_UNICAST), (true, Family::IPV6_UNICAST)] {
                let ours = |n: &Nlri| matches!(n.prefix, IpNet::V6(_)) == v6;
                let c = self.rib.peer_counts(id, family).expect("a known peer");
                assert_eq!(
                    (c.received, c.accepted, c.advertised),
                    (
                        pre.iter().filter(|x| ours(&x.0)).count(),
                        ins.iter().filter(|x| ours(&x.0)).count(),
                        out.iter().filter(|x| ours(&x.0)).count(),
                    ),
                    "counts (received, accepted, advertised) of peer {t} in {family}"
                );
            }
        }
    }
}

/// Runs one operation sequence from `data` (see the module docs).
pub fn rib_sequence(data: &[u8], now: Instant) {
    let mut r = Reader(data);
    let mut h = Harness::new(&mut r, now);
    for t in 0..PEERS {
        h.up(t);
    }
    let mut ops = 0;
    while !r.is_empty() && ops < 512 {
        h.op(&mut r);
        ops += 1;
    }
    h.check();
    // Everything down, stale paths swept (an End-of-RIB, or the caller's
    // own timer, for those without a deadline), nothing originated: an
    // empty RIB.
    for t in 0..PEERS {
        h.down(t);
        for f in [Family::IPV4_UNICAST, Family::IPV6_UNICAST] {
            h.rib.end_of_rib(h.ids[t], f).expect("a known peer");
        }
    }
    for p in std::mem::take(&mut h.originated) {
        h.rib.withdraw_originated(p);
    }
    h.now += Duration::from_secs(3600);
    h.rib.handle_timeout(h.now);
    h.check();
    assert!(h.fib.is_empty() || !h.rib.config().loc_rib_changes);
    assert_eq!(h.rib.prefix_count(), (0, 0), "prefixes left");
    assert_eq!(h.rib.attribute_sets(), 0, "attribute sets left");
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests take one epoch from the clock
mod tests {
    use super::*;

    /// Fixed and pseudo-random inputs: the harness's own checks hold, and
    /// the harness reaches what it is meant to (routes flow, the streams
    /// are compared).
    #[test]
    fn sequences_hold_their_invariants() {
        let now = Instant::now();
        // Peers 0 and 1 eBGP, 2 and 3 iBGP (3 a reflector client), then
        // announcements from each, a drain, a withdrawal, a drain.
        let mut fixed = vec![0, 0, 0, 0, 0, 1, 0, 3, 0];
        fixed.extend([0x03, 0x11, 0, 1, 4, 5, 0x13, 0x22, 8, 9, 12, 13, 0x0f]);
        fixed.extend([0x04, 0, 1, 0x0f]);
        rib_sequence(&fixed, now);
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for len in [16usize, 64, 256] {
            for _ in 0..30 {
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        (x >> 24) as u8
                    })
                    .collect();
                rib_sequence(&data, now);
            }
        }
    }
}

//! Model-based property test: random announcements, withdrawals, peer
//! up/down, policy and next-hop changes are applied to the RIB and to a
//! naive model (maps, and a linear best-path scan per prefix); after every
//! check point both must give the same Loc-RIB and the same Adj-RIBs-Out,
//! and the drained change streams, applied to empty tables, must give the
//! same again.
#![allow(clippy::needless_range_loop)] // peers are indices into the PEERS table

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bgp_rib::decision::{self, Candidate};
use bgp_rib::policy::{Modified, PeerInfo, Policy, PolicyRoute, PrefixRange, Verdict};
use bgp_rib::{AddPathSend, DecisionConfig, PeerConfig, PeerId, Reconfigured, Rib, RibConfig};
use bgp_wire::attr::{AsPathBuf, Community, NextHop, Origin};
use bgp_wire::{Family, Nlri, RouteAttrs};
use ipnet::IpNet;
use proptest::prelude::*;

const LOCAL_AS: u32 = 65000;
const ROUTER_ID: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const UNREACHABLE: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 99);

/// The peers: (AS, route-reflector client, soft reconfiguration, ADD-PATH all).
const PEERS: [(u32, bool, bool, bool); 4] = [
    (65001, false, true, false),
    (65002, false, false, false),
    (LOCAL_AS, true, false, false),
    (LOCAL_AS, false, true, true),
];

fn info(i: usize) -> PeerInfo {
    PeerInfo {
        address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10 + i as u8)),
        local_address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        asn: PEERS[i].0,
        local_asn: LOCAL_AS,
        router_id: Ipv4Addr::new(10, 9, 9, 10 + i as u8),
        role: None,
    }
}

fn prefix(i: u8) -> IpNet {
    if i < 6 {
        format!("10.0.{i}.0/24").parse().unwrap()
    } else {
        format!("2001:db8:{i}::/48").parse().unwrap()
    }
}

/// Prefix `i` and the `more` prefixes after it in its family (wrapping
/// round the family's indices, at most all of them).
fn same_family(i: u8, more: u8) -> Vec<IpNet> {
    let (lo, n) = if i < 6 { (0, 6) } else { (6, 2) };
    (0..=more.min(n - 1))
        .map(|k| prefix(lo + (i - lo + k) % n))
        .collect()
}

fn third(p: &IpNet) -> u8 {
    match p {
        IpNet::V4(v) => v.addr().octets()[2],
        IpNet::V6(v) => v.addr().segments()[2] as u8,
    }
}

//----------- policies, shared by the RIB and the model -------------------------

fn import_verdict(variant: u8, r: &PolicyRoute<'_>) -> Verdict {
    let t = third(&r.prefix);
    match variant {
        1 if t % 2 == 1 => Verdict::Deny,
        2 if t % 3 == 0 => Verdict::Modified(Box::new(Modified {
            attrs: RouteAttrs {
                local_pref: Some(300),
                ..r.attrs.clone()
            },
            weight: 7,
        })),
        // The prefix plays no part ([`Policy::ignores_prefix`]).
        4 if r.attrs.origin == Origin::Incomplete => Verdict::Deny,
        4 if r.attrs.med == Some(1) => Verdict::Modified(Box::new(Modified {
            attrs: RouteAttrs {
                local_pref: Some(300),
                ..r.attrs.clone()
            },
            weight: 7,
        })),
        _ => Verdict::Permit,
    }
}

/// What export variant 4 claims it may permit
/// ([`Policy::permitted_prefixes`]): 10.0.0.0/23's /24s (wider than it
/// permits), 10.0.1.0/24 again (overlapping), 10.0.4.0/23's /24s and
/// 2001:db8:7::/48. It permits 10.0.1.0/24, 10.0.4.0/24, 10.0.5.0/24 and
/// 2001:db8:7::/48. Prefixes of both families are left out of the claim,
/// so a peer that switches to it from another variant must have those
/// withdrawn.
fn export_ranges() -> Vec<PrefixRange> {
    let r = |p: &str, min_len, max_len| PrefixRange {
        prefix: p.parse().unwrap(),
        min_len,
        max_len,
    };
    vec![
        r("10.0.4.0/23", 24, 24),
        r("10.0.0.0/23", 24, 24),
        PrefixRange::exact("10.0.1.0/24".parse().unwrap()),
        r("2001:db8:7::/48", 48, 48),
    ]
}

fn export_verdict(variant: u8, r: &PolicyRoute<'_>) -> Verdict {
    let t = third(&r.prefix);
    match variant {
        // Only some prefixes, and says which ([`Policy::permitted_prefixes`]).
        4 if !matches!(t, 1 | 4 | 5 | 7) => Verdict::Deny,
        1 if t % 2 == 0 => Verdict::Deny,
        2 => {
            let mut a = r.attrs.clone();
            a.communities.push(Community::new(65000, 1));
            Verdict::Modified(Box::new(Modified {
                attrs: a,
                weight: r.weight,
            }))
        }
        // The prefix plays no part ([`Policy::ignores_prefix`]).
        3 if r.attrs.med == Some(2) => Verdict::Deny,
        3 if r.attrs.origin == Origin::Egp => {
            let mut a = r.attrs.clone();
            a.communities.push(Community::new(65000, 3));
            Verdict::Modified(Box::new(Modified {
                attrs: a,
                weight: r.weight,
            }))
        }
        _ => Verdict::Permit,
    }
}

//----------- operations --------------------------------------------------------

#[derive(Clone, Debug)]
struct Spec {
    extra: Vec<u32>,
    med: Option<u32>,
    local_pref: Option<u32>,
    origin: u8,
    nh: u8,
}

#[derive(Clone, Debug)]
enum Op {
    /// One UPDATE: prefix `prefix` and the `more` prefixes after it in its
    /// family, all with the same attributes.
    Announce {
        peer: usize,
        prefix: u8,
        more: u8,
        spec: Spec,
    },
    Withdraw {
        peer: usize,
        prefix: u8,
    },
    Down(usize),
    Up(usize),
    Import(usize, u8),
    Export(usize, u8),
    ToggleNextHop,
    /// `defer_until_end_of_rib` for the peer (both families).
    Defer(usize),
    /// The peer's End-of-RIB for IPv4, then IPv6.
    EndOfRib(usize),
    /// `apply_deferred`.
    ApplyDeferred,
    Check,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        proptest::collection::vec(
            prop_oneof![Just(65010u32), Just(65011), Just(LOCAL_AS)],
            0..3,
        ),
        proptest::option::of(0u32..3),
        proptest::option::of(prop_oneof![Just(50u32), Just(100), Just(200)]),
        0u8..3,
        prop_oneof![Just(99u8), 20u8..24],
    )
        .prop_map(|(extra, med, local_pref, origin, nh)| Spec {
            extra,
            med,
            local_pref,
            origin,
            nh,
        })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..4usize, 0u8..8, prop_oneof![3 => Just(0u8), 1 => 1u8..4], spec())
            .prop_map(|(peer, prefix, more, spec)| Op::Announce { peer, prefix, more, spec }),
        3 => (0..4usize, 0u8..8).prop_map(|(peer, prefix)| Op::Withdraw { peer, prefix }),
        1 => (0..4usize).prop_map(Op::Down),
        1 => (0..4usize).prop_map(Op::Up),
        1 => (0..4usize, 0u8..5).prop_map(|(p, v)| Op::Import(p, v)),
        1 => (0..4usize, 0u8..5).prop_map(|(p, v)| Op::Export(p, v)),
        1 => Just(Op::ToggleNextHop),
        2 => (0..4usize).prop_map(Op::Defer),
        1 => (0..4usize).prop_map(Op::EndOfRib),
        1 => Just(Op::ApplyDeferred),
        2 => Just(Op::Check),
    ]
}

fn attrs_of(peer: usize, prefix: &IpNet, s: &Spec) -> RouteAttrs {
    let ibgp = PEERS[peer].0 == LOCAL_AS;
    let mut path = if ibgp { vec![] } else { vec![PEERS[peer].0] };
    path.extend(&s.extra);
    let next_hop = match prefix {
        IpNet::V4(_) => NextHop::V4(Ipv4Addr::new(192, 0, 2, s.nh)),
        IpNet::V6(_) => NextHop::V6 {
            global: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(s.nh)),
            link_local: None,
        },
    };
    RouteAttrs {
        origin: [Origin::Igp, Origin::Egp, Origin::Incomplete][usize::from(s.origin)],
        as_path: AsPathBuf::sequence(path),
        next_hop: Some(next_hop),
        med: s.med,
        local_pref: s.local_pref,
        ..RouteAttrs::default()
    }
}

//----------- the model -----------------------------------------------------------

#[derive(Default)]
struct Model {
    up: [bool; 4],
    import: [u8; 4],
    export: [u8; 4],
    unreachable: bool,
    /// What each peer sent (pre-policy), per prefix.
    sent: [BTreeMap<IpNet, RouteAttrs>; 4],
}

impl Model {
    fn reachable(&self, a: &RouteAttrs) -> Option<u32> {
        let last = match a.next_hop.as_ref()? {
            NextHop::V4(v) => v.octets()[3],
            NextHop::V6 { global, .. } => global.segments()[7] as u8,
            NextHop::Other(_) => return None,
        };
        if self.unreachable && last == UNREACHABLE.octets()[3] {
            None
        } else {
            Some(u32::from(last))
        }
    }

    /// The post-policy paths of a prefix: (peer, attrs, weight).
    fn paths(&self, p: &IpNet) -> Vec<(usize, RouteAttrs, u16)> {
        let mut out = Vec::new();
        for peer in 0..4 {
            let Some(a) = self.sent[peer].get(p) else {
                continue;
            };
            let ibgp = PEERS[peer].0 == LOCAL_AS;
            if a.as_path
                .segments
                .iter()
                .flat_map(|s| &s.asns)
                .any(|&x| x == LOCAL_AS)
            {
                continue;
            }
            let mut a = a.clone();
            if !ibgp {
                a.local_pref = None;
            }
            let inf = info(peer);
            let r = PolicyRoute {
                prefix: *p,
                path_id: None,
                attrs: &a,
                weight: 0,
                source: bgp_rib::policy::Source::Bgp,
                direction: bgp_rib::policy::Direction::Import,
                peer: &inf,
            };
            match import_verdict(self.import[peer], &r) {
                Verdict::Deny => {}
                Verdict::Permit => out.push((peer, a, 0)),
                Verdict::Modified(m) => out.push((peer, m.attrs, m.weight as u16)),
            }
        }
        out
    }

    fn cfg() -> DecisionConfig {
        DecisionConfig {
            deterministic_med: true,
            ..DecisionConfig::default()
        }
    }

    /// The eligible paths of a prefix in preference order (linear scans).
    fn ranked(&self, p: &IpNet) -> Vec<(usize, RouteAttrs, u16)> {
        let paths: Vec<_> = self
            .paths(p)
            .into_iter()
            .filter(|(_, a, _)| self.reachable(a).is_some())
            .collect();
        let infos: Vec<PeerInfo> = paths.iter().map(|(peer, _, _)| info(*peer)).collect();
        let cands: Vec<Candidate<'_>> = paths
            .iter()
            .zip(&infos)
            .map(|((peer, a, w), inf)| Candidate {
                attrs: a,
                weight: u32::from(*w),
                local: false,
                ebgp: PEERS[*peer].0 != LOCAL_AS,
                router_id: inf.router_id,
                peer_address: inf.address,
                path_id: 0,
                igp_cost: self.reachable(a).unwrap(),
            })
            .collect();
        let mut left: Vec<usize> = (0..cands.len()).collect();
        let mut out = Vec::new();
        while !left.is_empty() {
            let d = decision::select_among(&cands, &left, &Self::cfg()).unwrap();
            out.push(paths[d.best].clone());
            left.retain(|&i| i != d.best);
        }
        out
    }

    fn prefixes(&self) -> BTreeSet<IpNet> {
        self.sent.iter().flat_map(|m| m.keys().copied()).collect()
    }

    fn loc_rib(&self) -> BTreeMap<IpNet, (usize, RouteAttrs)> {
        self.prefixes()
            .into_iter()
            .filter_map(|p| {
                let (peer, a, _) = self.ranked(&p).into_iter().next()?;
                Some((p, (peer, a)))
            })
            .collect()
    }

    /// What peer `t` should be sent for one path.
    fn export(
        &self,
        t: usize,
        p: &IpNet,
        src: usize,
        a: &RouteAttrs,
        weight: u16,
    ) -> Option<RouteAttrs> {
        if src == t {
            return None;
        }
        let (s_ibgp, t_ibgp) = (PEERS[src].0 == LOCAL_AS, PEERS[t].0 == LOCAL_AS);
        if s_ibgp && t_ibgp && !(PEERS[src].1 || PEERS[t].1) {
            return None;
        }
        let mut a = a.clone();
        if t_ibgp {
            a.local_pref = Some(a.local_pref.unwrap_or(100));
            if s_ibgp {
                a.extra.originator_id = Some(a.extra.originator_id.unwrap_or(info(src).router_id));
                a.extra.cluster_list.insert(0, ROUTER_ID);
            }
        } else {
            a.local_pref = None;
            a.med = None;
            a.next_hop = Some(match p {
                IpNet::V4(_) => NextHop::V4(Ipv4Addr::new(192, 0, 2, 1)),
                IpNet::V6(_) => NextHop::V6 {
                    global: "2001:db8::1".parse().unwrap(),
                    link_local: None,
                },
            });
        }
        let inf = info(t);
        let r = PolicyRoute {
            prefix: *p,
            path_id: None,
            attrs: &a,
            weight: u32::from(weight),
            source: bgp_rib::policy::Source::Bgp,
            direction: bgp_rib::policy::Direction::Export,
            peer: &inf,
        };
        let mut a = match export_verdict(self.export[t], &r) {
            Verdict::Deny => return None,
            Verdict::Permit => a,
            Verdict::Modified(m) => m.attrs,
        };
        if !t_ibgp {
            let mut path = vec![LOCAL_AS];
            path.extend(
                a.as_path
                    .segments
                    .iter()
                    .flat_map(|s| s.asns.iter().copied()),
            );
            a.as_path = AsPathBuf::sequence(path);
        }
        Some(a)
    }

    fn adj_rib_out(&self, t: usize) -> BTreeMap<IpNet, Vec<RouteAttrs>> {
        let mut out = BTreeMap::new();
        for p in self.prefixes() {
            let ranked = self.ranked(&p);
            let mut v: Vec<RouteAttrs> = if PEERS[t].3 {
                ranked
                    .iter()
                    .filter_map(|(s, a, w)| self.export(t, &p, *s, a, *w))
                    .collect()
            } else {
                ranked
                    .first()
                    .and_then(|(s, a, w)| self.export(t, &p, *s, a, *w))
                    .into_iter()
                    .collect()
            };
            if !v.is_empty() {
                v.sort_by_key(|a| format!("{a:?}"));
                out.insert(p, v);
            }
        }
        out
    }
}

//----------- the harness -----------------------------------------------------------

struct Harness {
    rib: Rib,
    ids: Vec<PeerId>,
    unreachable: Arc<AtomicBool>,
    fib: BTreeMap<IpNet, (PeerId, RouteAttrs)>,
    sent_out: Vec<BTreeMap<Nlri, RouteAttrs>>,
    model: Model,
}

/// An import policy of the model's variant `v`. Variants 0 and 3 both
/// permit everything; 0 says so ([`Policy::permits_all`], the RIB's batched
/// path), 3 does not (a policy call per route). Variant 4 looks at the
/// attributes only and says so ([`Policy::ignores_prefix`]: one call per
/// UPDATE).
struct Import(u8);

impl Policy for Import {
    fn evaluate(&self, r: &PolicyRoute<'_>) -> Verdict {
        import_verdict(self.0, r)
    }

    fn permits_all(&self, _: Family) -> bool {
        self.0 == 0
    }

    fn ignores_prefix(&self, _: Family) -> bool {
        self.0 == 4
    }
}

fn import_policy(v: u8) -> bgp_rib::SharedPolicy {
    Arc::new(Import(v))
}

/// An export policy of the model's variant `v`. Variant 0 permits
/// everything and says so; variant 3 looks at the attributes only and says
/// so (one call per attribute set in a drain); variant 4 permits a few
/// prefixes and names them (a full sync of an empty Adj-RIB-Out visits
/// only those).
struct Export(u8);

impl Policy for Export {
    fn evaluate(&self, r: &PolicyRoute<'_>) -> Verdict {
        export_verdict(self.0, r)
    }

    fn permits_all(&self, _: Family) -> bool {
        self.0 == 0
    }

    fn ignores_prefix(&self, _: Family) -> bool {
        self.0 == 3
    }

    fn permitted_prefixes(&self, _: Family) -> Option<Vec<PrefixRange>> {
        (self.0 == 4).then(export_ranges)
    }
}

fn export_policy(v: u8) -> bgp_rib::SharedPolicy {
    Arc::new(Export(v))
}

impl Harness {
    fn new() -> Self {
        let mut cfg = RibConfig::new(LOCAL_AS, ROUTER_ID);
        cfg.decision = Model::cfg();
        cfg.ipv4_lpm_index = true;
        let mut rib = Rib::new(cfg);
        let unreachable = Arc::new(AtomicBool::new(false));
        let u = unreachable.clone();
        rib.set_resolver(move |nh: &NextHop| {
            let last = match nh {
                NextHop::V4(v) => v.octets()[3],
                NextHop::V6 { global, .. } => global.segments()[7] as u8,
                NextHop::Other(_) => return None,
            };
            if u.load(Ordering::Relaxed) && last == UNREACHABLE.octets()[3] {
                None
            } else {
                Some(u32::from(last))
            }
        });
        let ids = (0..4)
            .map(|i| {
                let mut c = PeerConfig::new(info(i));
                c.route_reflector_client = PEERS[i].1;
                c.soft_reconfiguration_inbound = PEERS[i].2;
                if PEERS[i].3 {
                    c.add_path_send = AddPathSend::All;
                }
                c.local_ipv6 = Some("2001:db8::1".parse().unwrap());
                rib.add_peer(c).unwrap()
            })
            .collect();
        Self {
            rib,
            ids,
            unreachable,
            fib: BTreeMap::new(),
            sent_out: vec![BTreeMap::new(); 4],
            model: Model::default(),
        }
    }

    fn apply(&mut self, op: &Op) {
        let m = &mut self.model;
        match op {
            Op::Announce {
                peer,
                prefix: pi,
                more,
                spec,
            } => {
                if !m.up[*peer] {
                    return;
                }
                let ps = same_family(*pi, *more);
                let a = attrs_of(*peer, &ps[0], spec);
                for p in &ps {
                    m.sent[*peer].insert(*p, a.clone());
                }
                let nlri: Vec<Nlri> = ps.iter().map(|p| Nlri::new(*p)).collect();
                self.rib.announce(self.ids[*peer], a, &nlri).unwrap();
            }
            Op::Withdraw { peer, prefix: pi } => {
                if !m.up[*peer] {
                    return;
                }
                let p = prefix(*pi);
                m.sent[*peer].remove(&p);
                self.rib.withdraw(self.ids[*peer], &[Nlri::new(p)]).unwrap();
            }
            Op::Down(peer) => {
                m.up[*peer] = false;
                m.sent[*peer].clear();
                self.rib.peer_down(self.ids[*peer]).unwrap();
                self.sent_out[*peer].clear();
            }
            Op::Up(peer) => {
                m.up[*peer] = true;
                self.rib.peer_up(self.ids[*peer]).unwrap();
            }
            Op::Import(peer, v) => {
                m.import[*peer] = *v;
                let r = self
                    .rib
                    .set_import_policy(self.ids[*peer], import_policy(*v))
                    .unwrap();
                assert_eq!(r == Reconfigured::Reevaluated, PEERS[*peer].2);
                if r == Reconfigured::RouteRefreshNeeded {
                    // What a caller does: ROUTE-REFRESH, and the peer resends.
                    for (p, a) in m.sent[*peer].clone() {
                        self.rib
                            .announce(self.ids[*peer], a, &[Nlri::new(p)])
                            .unwrap();
                    }
                }
            }
            Op::Export(peer, v) => {
                m.export[*peer] = *v;
                self.rib
                    .set_export_policy(self.ids[*peer], export_policy(*v))
                    .unwrap();
            }
            Op::ToggleNextHop => {
                m.unreachable = !m.unreachable;
                self.unreachable.store(m.unreachable, Ordering::Relaxed);
                self.rib.next_hops_changed();
            }
            Op::Defer(peer) => {
                // Routes held until End-of-RIB: the RIB must end up as if
                // they had been applied one by one (checked at each Check,
                // which applies what is still held).
                let fams = [Family::IPV4_UNICAST, Family::IPV6_UNICAST];
                self.rib
                    .defer_until_end_of_rib(self.ids[*peer], fams.into_iter().collect())
                    .unwrap();
            }
            Op::EndOfRib(peer) => {
                for f in [Family::IPV4_UNICAST, Family::IPV6_UNICAST] {
                    self.rib.end_of_rib(self.ids[*peer], f).unwrap();
                }
            }
            Op::ApplyDeferred => self.rib.apply_deferred(),
            Op::Check => {
                self.rib.apply_deferred();
                assert_eq!(self.rib.deferred_len(), 0);
                self.check();
            }
        }
    }

    fn drain(&mut self) {
        for c in self.rib.drain_loc_rib() {
            if c.paths.is_empty() {
                self.fib.remove(&c.prefix);
            } else {
                self.fib
                    .insert(c.prefix, (c.paths[0].peer, (*c.paths[0].attrs).clone()));
            }
        }
        for t in 0..4 {
            let ch = self.rib.drain_adj_rib_out(self.ids[t]).unwrap();
            if !self.model.up[t] {
                assert!(ch.is_empty(), "changes for a down peer");
                continue;
            }
            for (_, w) in &ch.withdrawn {
                for n in w {
                    assert!(
                        self.sent_out[t].remove(n).is_some(),
                        "withdrawal of {n} never sent to {t}"
                    );
                }
            }
            for a in &ch.announced {
                for n in &a.nlri {
                    self.sent_out[t].insert(*n, (*a.attrs).clone());
                }
            }
        }
    }

    fn check(&mut self) {
        self.drain();
        let want = self.model.loc_rib();
        let got: BTreeMap<IpNet, (usize, RouteAttrs)> = self
            .rib
            .loc_rib()
            .map(|(p, r)| (p, (r.peer.index() - 1, (*r.attrs).clone())))
            .collect();
        assert_eq!(got, want, "Loc-RIB");
        let fib: BTreeMap<IpNet, (usize, RouteAttrs)> = self
            .fib
            .iter()
            .map(|(p, (peer, a))| (*p, (peer.index() - 1, a.clone())))
            .collect();
        assert_eq!(fib, want, "Loc-RIB change stream");
        // Each peer's Adj-RIB-In after policy, in prefix order (read
        // through the peer's chunk maps, not a walk of the table).
        for t in 0..4 {
            let got: Vec<(IpNet, RouteAttrs, u16)> = self
                .rib
                .adj_rib_in(self.ids[t])
                .into_iter()
                .map(|(n, r)| {
                    assert_eq!(r.peer, self.ids[t]);
                    (n.prefix, (*r.attrs).clone(), r.weight)
                })
                .collect();
            let mut want: Vec<(IpNet, RouteAttrs, u16)> = (0..8)
                .map(prefix)
                .flat_map(|p| {
                    self.model
                        .paths(&p)
                        .into_iter()
                        .filter(|x| x.0 == t)
                        .map(move |(_, a, w)| (p, a, w))
                })
                .collect();
            want.sort_by_key(|x| x.0);
            assert_eq!(got, want, "Adj-RIB-In of peer {t}");
            // Before policy: what the peer sent, with soft-reconfiguration
            // inbound (kept on the paths the policy passed unchanged).
            let pre: Vec<(IpNet, RouteAttrs)> = self
                .rib
                .adj_rib_in_pre_policy(self.ids[t])
                .into_iter()
                .map(|(n, a)| (n.prefix, (*a).clone()))
                .collect();
            let want: Vec<(IpNet, RouteAttrs)> = if PEERS[t].2 {
                self.model.sent[t].clone().into_iter().collect()
            } else {
                Vec::new()
            };
            assert_eq!(pre, want, "Adj-RIB-In before policy of peer {t}");
        }
        // Address lookups (through the DIR-24-8 index for IPv4), one by
        // one and batched, inside each prefix and just outside it.
        let mut addrs = Vec::new();
        for i in 0..8u8 {
            let p = prefix(i);
            let (inside, outside) = match p {
                IpNet::V4(v) => (
                    IpAddr::V4(Ipv4Addr::from(u32::from(v.addr()) + 1)),
                    IpAddr::V4(Ipv4Addr::from(u32::from(v.broadcast()) + 1)),
                ),
                IpNet::V6(v) => (
                    IpAddr::V6(Ipv6Addr::from(u128::from(v.addr()) + 1)),
                    IpAddr::V6(Ipv6Addr::from(u128::from(v.broadcast()) + 1)),
                ),
            };
            addrs.extend([inside, outside]);
        }
        for i in 0..8u8 {
            let p = prefix(i);
            let addr = match p {
                IpNet::V4(v) => IpAddr::V4(Ipv4Addr::from(u32::from(v.addr()) + 1)),
                IpNet::V6(v) => IpAddr::V6(Ipv6Addr::from(u128::from(v.addr()) + 1)),
            };
            let got = self
                .rib
                .lookup(addr)
                .map(|(n, peer, a)| (n, peer.index() - 1, (**a).clone()));
            let exp = want.get(&p).map(|(peer, a)| (p, *peer, a.clone()));
            assert_eq!(got, exp, "lookup {addr}");
        }
        for t in 0..4 {
            if !self.model.up[t] {
                assert!(self.rib.adj_rib_out(self.ids[t]).is_empty());
                continue;
            }
            let want = self.model.adj_rib_out(t);
            let group = |it: &mut dyn Iterator<Item = (Nlri, RouteAttrs)>| {
                let mut m: BTreeMap<IpNet, Vec<RouteAttrs>> = BTreeMap::new();
                for (n, a) in it {
                    assert_eq!(n.path_id.is_some(), PEERS[t].3);
                    m.entry(n.prefix).or_default().push(a);
                }
                for v in m.values_mut() {
                    v.sort_by_key(|a| format!("{a:?}"));
                }
                m
            };
            let got = group(
                &mut self
                    .rib
                    .adj_rib_out(self.ids[t])
                    .into_iter()
                    .map(|(n, a)| (n, (*a).clone())),
            );
            assert_eq!(got, want, "Adj-RIB-Out of peer {t}");
            let stream = group(&mut self.sent_out[t].clone().into_iter());
            assert_eq!(stream, want, "Adj-RIB-Out change stream of peer {t}");
        }
        // The counters kept as routes come and go, against the model.
        for t in 0..4 {
            let out = if self.model.up[t] {
                self.model.adj_rib_out(t)
            } else {
                BTreeMap::new()
            };
            for (v6, family) in [(false, Family::IPV4_UNICAST), (true, Family::IPV6_UNICAST)] {
                let ours = |p: &IpNet| matches!(p, IpNet::V6(_)) == v6;
                let want = (
                    if PEERS[t].2 {
                        self.model.sent[t].keys().filter(|p| ours(p)).count()
                    } else {
                        0
                    },
                    (0..8)
                        .map(prefix)
                        .filter(|p| ours(p) && self.model.paths(p).iter().any(|x| x.0 == t))
                        .count(),
                    out.iter()
                        .filter(|(p, _)| ours(p))
                        .map(|(_, v)| v.len())
                        .sum(),
                );
                let c = self.rib.peer_counts(self.ids[t], family).unwrap();
                assert_eq!(
                    (c.received, c.accepted, c.advertised),
                    want,
                    "counts (received, accepted, advertised) of peer {t} in {family}"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn rib_matches_model(ops in proptest::collection::vec(op(), 1..80)) {
        let mut h = Harness::new();
        for t in 0..4 {
            h.apply(&Op::Up(t));
        }
        for op in &ops {
            h.apply(op);
        }
        h.apply(&Op::Check);
        // Everything down: nothing left but freed storage.
        for t in 0..4 {
            h.apply(&Op::Down(t));
        }
        h.apply(&Op::Check);
        prop_assert_eq!(h.rib.attribute_sets(), 0);
        prop_assert_eq!(h.rib.prefix_count(), (0, 0));
    }
}

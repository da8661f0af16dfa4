//! Scenario tests: route reflection, route-server mode (IXP style and our
//! users' iBGP design), ADD-PATH, graceful restart, RFC 9234 roles, and the
//! eBGP/iBGP propagation options.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bgp_rib::policy::{PeerInfo, Policy, PolicyRoute, PrefixRange, Verdict};
use bgp_rib::{
    AddPathSend, DecisionConfig, DecisionStep, DefaultOriginate, NextHopMode, PeerConfig, PeerId,
    Reconfigured, Rib, RibConfig,
};
use bgp_wire::attr::{AsPathBuf, Community, NextHop, PathAttribute};
use bgp_wire::codepoint::Role;
use bgp_wire::{
    Family, FamilySet, Message, Messages, Nlri, RouteAttrs, SessionContext, UpdateBuilder,
};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

const AS: u32 = 65000;
const RID: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);

fn rib() -> Rib {
    Rib::new(RibConfig::new(AS, RID))
}

fn info(n: u8, asn: u32) -> PeerInfo {
    PeerInfo {
        address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, n)),
        local_address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        asn,
        local_asn: AS,
        router_id: Ipv4Addr::new(10, 9, 9, n),
        role: None,
    }
}

fn add(rib: &mut Rib, cfg: PeerConfig) -> PeerId {
    let id = rib.add_peer(cfg).unwrap();
    rib.peer_up(id).unwrap();
    id
}

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

fn nh(n: u8) -> NextHop {
    NextHop::V4(Ipv4Addr::new(192, 0, 2, n))
}

fn route(path: &[u32], next_hop: u8) -> RouteAttrs {
    RouteAttrs {
        as_path: AsPathBuf::sequence(path.iter().copied()),
        next_hop: Some(nh(next_hop)),
        ..RouteAttrs::default()
    }
}

fn announce(rib: &mut Rib, peer: PeerId, attrs: RouteAttrs, prefixes: &[&str]) {
    let nlri: Vec<Nlri> = prefixes.iter().map(|p| Nlri::new(net(p))).collect();
    rib.announce(peer, attrs, &nlri).unwrap();
}

/// What a drain gives `peer`, flattened: prefix → attributes (announced),
/// or `None` (withdrawn).
fn drain(rib: &mut Rib, peer: PeerId) -> Vec<(Nlri, Option<RouteAttrs>)> {
    let ch = rib.drain_adj_rib_out(peer).unwrap();
    let mut v: Vec<(Nlri, Option<RouteAttrs>)> = Vec::new();
    for (_, w) in &ch.withdrawn {
        v.extend(w.iter().map(|n| (*n, None)));
    }
    for a in &ch.announced {
        v.extend(a.nlri.iter().map(|n| (*n, Some((*a.attrs).clone()))));
    }
    v.sort_by_key(|x| x.0);
    v
}

//----------- route reflection (RFC 4456) ------------------------------------------

#[test]
fn route_reflection() {
    let mut rib = rib();
    let c1 = add(
        &mut rib,
        PeerConfig::new(info(11, AS)).route_reflector_client(),
    );
    let c2 = add(
        &mut rib,
        PeerConfig::new(info(12, AS)).route_reflector_client(),
    );
    let n1 = add(&mut rib, PeerConfig::new(info(21, AS)));
    let n2 = add(&mut rib, PeerConfig::new(info(22, AS)));
    let e = add(&mut rib, PeerConfig::new(info(31, 65100)));

    // From a client: to the other client and to non-clients, with
    // ORIGINATOR_ID and CLUSTER_LIST; never back to the client.
    let mut a = route(&[65200], 11);
    a.local_pref = Some(150);
    announce(&mut rib, c1, a.clone(), &["198.51.100.0/24"]);
    for peer in [c2, n1, n2] {
        let got = drain(&mut rib, peer);
        assert_eq!(got.len(), 1, "{peer:?}");
        let r = got[0].1.clone().unwrap();
        assert_eq!(r.extra.originator_id, Some(Ipv4Addr::new(10, 9, 9, 11)));
        assert_eq!(r.extra.cluster_list, vec![RID]);
        assert_eq!(r.next_hop, Some(nh(11)), "reflection keeps the next hop");
        assert_eq!(r.local_pref, Some(150));
        assert_eq!(r.as_path, a.as_path, "no prepend inside the AS");
    }
    assert!(drain(&mut rib, c1).is_empty());
    // To eBGP: RR attributes stripped, our AS prepended, next hop self.
    let r = drain(&mut rib, e)[0].1.clone().unwrap();
    assert_eq!(
        (r.extra.originator_id, r.extra.cluster_list.len()),
        (None, 0)
    );
    assert_eq!(r.local_pref, None);
    assert_eq!(r.as_path, AsPathBuf::sequence([AS, 65200]));
    assert_eq!(r.next_hop, Some(nh(1)));

    // From a non-client: to clients only.
    announce(&mut rib, n1, route(&[65300], 21), &["203.0.113.0/24"]);
    for (peer, gets) in [(c1, true), (c2, true), (n2, false), (n1, false), (e, true)] {
        let got: Vec<_> = drain(&mut rib, peer)
            .into_iter()
            .filter(|x| x.0.prefix == net("203.0.113.0/24"))
            .collect();
        assert_eq!(got.len(), usize::from(gets), "{peer:?}");
    }

    // Loops: our ORIGINATOR_ID or our cluster in CLUSTER_LIST is dropped.
    let mut looped = route(&[65400], 12);
    looped.extra.originator_id = Some(RID);
    announce(&mut rib, c2, looped, &["192.0.2.128/25"]);
    let mut looped = route(&[65400], 12);
    looped.extra.cluster_list = vec![Ipv4Addr::new(1, 1, 1, 1), RID];
    announce(&mut rib, c2, looped, &["192.0.2.0/25"]);
    assert!(rib.paths(&net("192.0.2.128/25")).is_empty());
    assert!(rib.paths(&net("192.0.2.0/25")).is_empty());

    // A reflected route with a longer CLUSTER_LIST loses to a shorter one at
    // that step when all else ties.
    let mut r1 = route(&[65500], 11);
    r1.extra.originator_id = Some(Ipv4Addr::new(10, 7, 7, 7));
    r1.extra.cluster_list = vec![Ipv4Addr::new(9, 9, 9, 9), Ipv4Addr::new(8, 8, 8, 8)];
    let mut r2 = r1.clone();
    r2.extra.cluster_list = vec![Ipv4Addr::new(9, 9, 9, 9)];
    announce(&mut rib, c1, r1, &["100.64.0.0/10"]);
    announce(&mut rib, c2, r2, &["100.64.0.0/10"]);
    let best = rib.best(&net("100.64.0.0/10")).unwrap();
    assert_eq!(best.peer, c2);
    let ch = rib.drain_loc_rib();
    let c = ch
        .iter()
        .find(|c| c.prefix == net("100.64.0.0/10"))
        .unwrap();
    assert_eq!(c.step, Some(DecisionStep::ClusterListLength));
}

//----------- route server (RFC 7947), IXP style ------------------------------------

#[test]
fn route_server_two_clients_with_different_policies() {
    let mut rib = Rib::new(RibConfig::new(65500, RID));
    let client = |n: u8, asn: u32| {
        let mut i = info(n, asn);
        i.local_asn = 65500;
        PeerConfig::new(i).route_server_client()
    };
    let a = add(&mut rib, client(11, 65001));
    let b = add(&mut rib, client(12, 65002));
    // C will not take routes through AS 65001 (its import policy, applied
    // by the route server as C's export policy).
    let c = add(
        &mut rib,
        client(13, 65003).export(|r: &PolicyRoute<'_>| {
            if r.attrs
                .as_path
                .segments
                .iter()
                .any(|s| s.asns.contains(&65001))
            {
                Verdict::Deny
            } else {
                Verdict::Permit
            }
        }),
    );
    // D takes everything but lowers nothing: permit-all.
    let d = add(&mut rib, client(14, 65004));

    let mut ra = route(&[65001], 11);
    ra.med = Some(10);
    ra.communities = vec![Community::new(65001, 7)];
    let rb = route(&[65002, 65010], 12);
    announce(&mut rib, a, ra.clone(), &["198.51.100.0/24"]);
    announce(&mut rib, b, rb.clone(), &["198.51.100.0/24"]);
    // The global best is A's (shorter path).
    assert_eq!(rib.best(&net("198.51.100.0/24")).unwrap().peer, a);

    // D gets A's path, transparently: no RS AS, next hop, MED and
    // communities untouched.
    let got = drain(&mut rib, d);
    assert_eq!(got.len(), 1);
    let r = got[0].1.clone().unwrap();
    assert_eq!(r.as_path, ra.as_path);
    assert_eq!(r.next_hop, Some(nh(11)));
    assert_eq!(r.med, Some(10));
    assert_eq!(r.communities, ra.communities);
    // C gets B's path: per-client best among what C's policy permits, not
    // nothing (no path hiding, RFC 7947 §2.3.2).
    let got = drain(&mut rib, c);
    assert_eq!(got[0].1.as_ref().unwrap().as_path, rb.as_path);
    assert_eq!(got[0].1.as_ref().unwrap().next_hop, Some(nh(12)));
    // A gets B's path (its own is not sent back), B gets A's.
    assert_eq!(
        drain(&mut rib, a)[0].1.as_ref().unwrap().as_path,
        rb.as_path
    );
    assert_eq!(
        drain(&mut rib, b)[0].1.as_ref().unwrap().as_path,
        ra.as_path
    );

    // A withdraws: D and B switch to B's path / nothing; C is unchanged.
    rib.withdraw(a, &[Nlri::new(net("198.51.100.0/24"))])
        .unwrap();
    assert_eq!(
        drain(&mut rib, d)[0].1.as_ref().unwrap().as_path,
        rb.as_path
    );
    assert_eq!(
        drain(&mut rib, b),
        vec![(Nlri::new(net("198.51.100.0/24")), None)]
    );
    assert!(drain(&mut rib, c).is_empty());
}

//----------- our users' iBGP route-server design ------------------------------------

#[test]
fn ibgp_route_servers_for_hosts_and_borders() {
    // Hosts announce their /32s over iBGP to the route server, which passes
    // them to the border routers; the borders' default goes back to the
    // hosts. Everyone is an iBGP route-server client; policies pick what
    // goes where.
    let mut rib = rib();
    let only_default = |r: &PolicyRoute<'_>| {
        if r.prefix.prefix_len() == 0 {
            Verdict::Permit
        } else {
            Verdict::Deny
        }
    };
    let only_hosts = |r: &PolicyRoute<'_>| {
        if r.prefix.prefix_len() == 32 {
            Verdict::Permit
        } else {
            Verdict::Deny
        }
    };
    let host = |n: u8| {
        PeerConfig::new(info(n, AS))
            .route_server_client()
            .export(only_default)
    };
    let border = |n: u8| {
        PeerConfig::new(info(n, AS))
            .route_server_client()
            .export(only_hosts)
    };
    let h1 = add(&mut rib, host(101));
    let h2 = add(&mut rib, host(102));
    let b1 = add(&mut rib, border(201));
    let b2 = add(&mut rib, border(202));

    announce(&mut rib, h1, route(&[], 101), &["10.1.0.1/32"]);
    announce(&mut rib, h2, route(&[], 102), &["10.1.0.2/32"]);
    let mut def = route(&[64999], 201);
    def.local_pref = Some(100);
    announce(&mut rib, b1, def, &["0.0.0.0/0"]);
    let mut def2 = route(&[64999, 64998], 202);
    def2.local_pref = Some(100);
    announce(&mut rib, b2, def2, &["0.0.0.0/0"]);

    // Each border gets both hosts' /32s with the hosts as next hops, and
    // not the other border's default.
    for b in [b1, b2] {
        let got = drain(&mut rib, b);
        let want: Vec<(Nlri, Option<NextHop>)> = vec![
            (Nlri::new(net("10.1.0.1/32")), Some(nh(101))),
            (Nlri::new(net("10.1.0.2/32")), Some(nh(102))),
        ];
        let got: Vec<_> = got
            .into_iter()
            .map(|(n, a)| (n, a.unwrap().next_hop))
            .collect();
        assert_eq!(got, want, "{b:?}");
    }
    // Each host gets the best default (B1's, shorter path) with B1 as next
    // hop, and not the other host's /32.
    for h in [h1, h2] {
        let got = drain(&mut rib, h);
        assert_eq!(got.len(), 1, "{h:?}");
        assert_eq!(got[0].0.prefix, net("0.0.0.0/0"));
        let a = got[0].1.clone().unwrap();
        assert_eq!(a.next_hop, Some(nh(201)));
        assert_eq!(a.as_path, AsPathBuf::sequence([64999]), "transparent");
        assert_eq!(
            (a.extra.originator_id, a.extra.cluster_list.len()),
            (None, 0)
        );
    }
    // B1 fails: hosts move to B2's default.
    rib.peer_down(b1).unwrap();
    for h in [h1, h2] {
        let got = drain(&mut rib, h);
        assert_eq!(got[0].1.as_ref().unwrap().next_hop, Some(nh(202)));
    }
    // A host leaves: the borders withdraw its /32.
    rib.peer_down(h2).unwrap();
    assert_eq!(
        drain(&mut rib, b2),
        vec![(Nlri::new(net("10.1.0.2/32")), None)]
    );
}

//----------- ADD-PATH (RFC 7911) ------------------------------------------------------

#[test]
fn add_path_receive_and_send() {
    let mut rib = rib();
    let src = add(&mut rib, PeerConfig::new(info(11, AS)));
    let other = add(&mut rib, PeerConfig::new(info(12, 65100)));
    let all = add(
        &mut rib,
        PeerConfig::new(info(21, AS))
            .route_reflector_client()
            .add_path_send(AddPathSend::All),
    );
    let best2 = add(
        &mut rib,
        PeerConfig::new(info(22, AS))
            .route_reflector_client()
            .add_path_send(AddPathSend::Best(2)),
    );
    let single = add(
        &mut rib,
        PeerConfig::new(info(23, AS)).route_reflector_client(),
    );
    let p = net("198.51.100.0/24");

    // Three paths from one ADD-PATH peer, keyed by path id, one from eBGP.
    for (id, len) in [(1u32, 3usize), (2, 2), (3, 4)] {
        let path: Vec<u32> = (0..len as u32).map(|i| 65200 + i).collect();
        rib.announce(
            src,
            route(&path, 11 + id as u8),
            &[Nlri::with_path_id(p, id)],
        )
        .unwrap();
    }
    rib.announce(
        other,
        route(&[65100, 65101, 65102, 65103, 65104], 12),
        &[Nlri::new(p)],
    )
    .unwrap();
    assert_eq!(rib.paths(&p).len(), 4);
    assert_eq!(rib.best(&p).unwrap().path_id, Some(2));

    let got = drain(&mut rib, all);
    assert_eq!(got.len(), 4);
    let mut ids: Vec<u32> = got.iter().map(|(n, _)| n.path_id.unwrap()).collect();
    ids.sort();
    assert_eq!(ids, [1, 2, 3, 4], "distinct outbound path ids");
    let got = drain(&mut rib, best2);
    let lens: Vec<usize> = got
        .iter()
        .map(|(_, a)| a.as_ref().unwrap().as_path.path_len())
        .collect();
    assert_eq!(got.len(), 2);
    assert!(
        lens.contains(&2) && lens.contains(&3),
        "the two best: {lens:?}"
    );
    let got = drain(&mut rib, single);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0.path_id, None);
    assert_eq!(got[0].1.as_ref().unwrap().as_path.path_len(), 2);

    // Withdrawing path id 2: the all-paths peer gets a withdrawal of the id
    // it knew that path by, and nothing else changes for it; the best-2
    // peer gets the next path in.
    let before = rib.adj_rib_out(all);
    let id_of_2 = before
        .iter()
        .find(|(_, a)| a.as_path.path_len() == 2)
        .map(|(n, _)| n.path_id)
        .unwrap();
    rib.withdraw(src, &[Nlri::with_path_id(p, 2)]).unwrap();
    assert_eq!(rib.paths(&p).len(), 3);
    assert_eq!(
        drain(&mut rib, all),
        vec![(
            Nlri {
                prefix: p,
                path_id: id_of_2
            },
            None
        )]
    );
    let got = drain(&mut rib, best2);
    assert_eq!(got.len(), 2, "one withdrawn, one announced: {got:?}");
    let got = drain(&mut rib, single);
    assert_eq!(got[0].1.as_ref().unwrap().as_path.path_len(), 3);
}

//----------- graceful restart (RFC 4724) -----------------------------------------------

#[test]
fn graceful_restart_stale_paths() {
    let mut rib = rib();
    let r = add(&mut rib, PeerConfig::new(info(11, 65100)));
    let o = add(&mut rib, PeerConfig::new(info(12, 65200)));
    announce(
        &mut rib,
        r,
        route(&[65100], 11),
        &["198.51.100.0/24", "203.0.113.0/24"],
    );
    let v6: IpNet = net("2001:db8::/32");
    let mut a6 = route(&[65100], 11);
    a6.next_hop = Some(NextHop::V6 {
        global: "2001:db8::11".parse().unwrap(),
        link_local: None,
    });
    rib.announce(r, a6, &[Nlri::new(v6)]).unwrap();
    assert_eq!(
        drain(&mut rib, o).len(),
        2,
        "IPv6 needs our IPv6 address: not sent"
    );
    rib.drain_loc_rib();

    // The session drops; the peer restarts gracefully for IPv4 only.
    #[allow(clippy::disallowed_methods)] // the test harness is the caller: one epoch
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(120);
    rib.peer_down_graceful(
        r,
        FamilySet::EMPTY.with(Family::IPV4_UNICAST),
        Some(deadline),
    )
    .unwrap();
    let b = rib.best(&net("198.51.100.0/24")).unwrap();
    assert!(b.stale, "kept, marked stale");
    assert!(rib.best(&v6).is_none(), "IPv6 was not preserved");
    assert!(
        drain(&mut rib, o).is_empty(),
        "stale routes stay advertised"
    );
    assert_eq!(rib.poll_timeout(), Some(deadline));

    // It comes back, re-announces one prefix and sends End-of-RIB (as an
    // UPDATE, through `update`).
    rib.peer_up(r).unwrap();
    announce(&mut rib, r, route(&[65100], 11), &["198.51.100.0/24"]);
    assert!(!rib.best(&net("198.51.100.0/24")).unwrap().stale);
    // The IPv4 End-of-RIB: an empty UPDATE (header and two zero lengths).
    let eor = [[0xff; 16].as_slice(), &[0, 23, 2, 0, 0, 0, 0]].concat();
    for (_, m) in Messages::new(&eor, SessionContext::default()) {
        let Ok(Message::Update(u)) = m else {
            panic!("{m:?}")
        };
        assert_eq!(u.end_of_rib(), Some(Family::IPV4_UNICAST));
        rib.update(r, &u).unwrap();
    }
    assert!(rib.best(&net("198.51.100.0/24")).is_some());
    assert!(
        rib.best(&net("203.0.113.0/24")).is_none(),
        "swept at End-of-RIB"
    );
    assert_eq!(
        drain(&mut rib, o),
        vec![(Nlri::new(net("203.0.113.0/24")), None)]
    );
    assert_eq!(rib.poll_timeout(), None);

    // Timer-driven sweep: early calls do nothing.
    rib.peer_down_graceful(
        r,
        FamilySet::EMPTY.with(Family::IPV4_UNICAST),
        Some(deadline),
    )
    .unwrap();
    rib.handle_timeout(deadline - Duration::from_secs(1));
    assert!(rib.best(&net("198.51.100.0/24")).is_some());
    rib.handle_timeout(deadline);
    rib.handle_timeout(deadline);
    assert!(rib.best(&net("198.51.100.0/24")).is_none());
    assert_eq!(
        drain(&mut rib, o),
        vec![(Nlri::new(net("198.51.100.0/24")), None)]
    );
    assert_eq!(rib.attribute_sets(), 0, "everything freed");
}

/// A peer's initial table held until its End-of-RIB
/// (`defer_until_end_of_rib`): nothing of it is visible or propagated
/// before, all of it after, as if applied one by one; the operations that
/// depend on what it sent apply what is held first.
#[test]
fn initial_table_held_until_end_of_rib() {
    let v4v6 = FamilySet::EMPTY
        .with(Family::IPV4_UNICAST)
        .with(Family::IPV6_UNICAST);
    let mut rib = rib();
    let r = add(&mut rib, PeerConfig::new(info(11, 65100)));
    let o = add(&mut rib, PeerConfig::new(info(12, 65200)));
    rib.defer_until_end_of_rib(r, v4v6).unwrap();
    // Arrival order is not prefix order; one prefix is announced twice, one
    // announced then withdrawn, one withdrawn then announced again.
    announce(&mut rib, r, route(&[65100, 1], 11), &["203.0.113.0/24"]);
    announce(
        &mut rib,
        r,
        route(&[65100], 11),
        &["198.51.100.0/24", "192.0.2.0/25"],
    );
    rib.withdraw(r, &[Nlri::new(net("192.0.2.0/25"))]).unwrap();
    rib.withdraw(r, &[Nlri::new(net("10.0.0.0/8"))]).unwrap();
    announce(
        &mut rib,
        r,
        route(&[65100, 2], 11),
        &["203.0.113.0/24", "10.0.0.0/8"],
    );
    assert_eq!(rib.deferred_len(), 7);
    assert_eq!(rib.prefix_count(), (0, 0), "held, not in the RIB");
    assert!(drain(&mut rib, o).is_empty());
    assert!(rib.drain_loc_rib().is_empty());
    // A route of another peer goes through at once.
    announce(&mut rib, o, route(&[65200], 12), &["198.51.100.0/24"]);
    assert_eq!(rib.prefix_count(), (1, 0));
    assert_eq!(rib.deferred_len(), 7);

    // End-of-RIB for IPv4: everything held is applied (the peer still
    // waits for IPv6, so it goes on deferring).
    rib.end_of_rib(r, Family::IPV4_UNICAST).unwrap();
    assert_eq!(rib.deferred_len(), 0);
    let best = |rib: &Rib, p: &str| rib.best(&net(p)).map(|b| b.attrs.as_path.clone());
    assert_eq!(
        best(&rib, "203.0.113.0/24"),
        Some(AsPathBuf::sequence([65100, 2]))
    );
    assert_eq!(
        best(&rib, "10.0.0.0/8"),
        Some(AsPathBuf::sequence([65100, 2]))
    );
    assert_eq!(best(&rib, "192.0.2.0/25"), None);
    // 198.51.100.0/24: both paths are there; r's wins (lower router ID)
    // and goes to o.
    assert_eq!(rib.paths(&net("198.51.100.0/24")).len(), 2);
    assert_eq!(rib.best(&net("198.51.100.0/24")).unwrap().peer, r);
    let sent: Vec<IpNet> = drain(&mut rib, o)
        .into_iter()
        .map(|(n, _)| n.prefix)
        .collect();
    assert_eq!(
        sent,
        [
            net("10.0.0.0/8"),
            net("198.51.100.0/24"),
            net("203.0.113.0/24")
        ]
    );
    announce(&mut rib, r, route(&[65100], 11), &["192.0.2.128/25"]);
    assert_eq!(
        rib.deferred_len(),
        1,
        "still deferring until IPv6's End-of-RIB"
    );
    rib.end_of_rib(r, Family::IPV6_UNICAST).unwrap();
    assert_eq!(rib.deferred_len(), 0);
    announce(&mut rib, r, route(&[65100], 11), &["192.0.2.0/25"]);
    assert_eq!(rib.deferred_len(), 0, "deferral over");
    assert!(rib.best(&net("192.0.2.0/25")).is_some());

    // Graceful restart: the peer comes back deferring; what it resends is
    // held, the rest stays stale; the session dropping again applies what
    // is held (kept as stale with the rest), and the End-of-RIB after the
    // next restart sweeps what was not resent.
    #[allow(clippy::disallowed_methods)] // the test harness is the caller: one epoch
    let t0 = Instant::now();
    let v4 = FamilySet::EMPTY.with(Family::IPV4_UNICAST);
    rib.peer_down_graceful(r, v4, Some(t0 + Duration::from_secs(120)))
        .unwrap();
    rib.peer_up(r).unwrap();
    rib.defer_until_end_of_rib(r, v4).unwrap();
    announce(&mut rib, r, route(&[65100, 3], 11), &["10.0.0.0/8"]);
    assert!(
        rib.best(&net("10.0.0.0/8")).unwrap().stale,
        "the resent route is held"
    );
    rib.peer_down_graceful(r, v4, Some(t0 + Duration::from_secs(120)))
        .unwrap();
    assert_eq!(rib.deferred_len(), 0);
    let b = rib.best(&net("10.0.0.0/8")).unwrap();
    assert!(b.stale);
    assert_eq!(
        b.attrs.as_path,
        AsPathBuf::sequence([65100, 3]),
        "applied, then kept stale"
    );
    rib.peer_up(r).unwrap();
    rib.defer_until_end_of_rib(r, v4).unwrap();
    announce(&mut rib, r, route(&[65100, 4], 11), &["10.0.0.0/8"]);
    // A graceful-restart deadline not yet due applies nothing.
    rib.handle_timeout(t0);
    assert_eq!(rib.deferred_len(), 1);
    rib.end_of_rib(r, Family::IPV4_UNICAST).unwrap();
    let b = rib.best(&net("10.0.0.0/8")).unwrap();
    assert!(!b.stale);
    assert_eq!(b.attrs.as_path, AsPathBuf::sequence([65100, 4]));
    for p in ["203.0.113.0/24", "192.0.2.0/25", "192.0.2.128/25"] {
        assert!(rib.best(&net(p)).is_none(), "{p}: not resent, swept");
    }
    assert_eq!(rib.poll_timeout(), None);

    // `apply_deferred` (the caller's deadline) ends every deferral; a peer
    // going down (not gracefully) with routes held ends up with none.
    rib.defer_until_end_of_rib(r, v4).unwrap();
    announce(&mut rib, r, route(&[65100], 11), &["192.0.2.0/24"]);
    rib.apply_deferred();
    assert!(rib.best(&net("192.0.2.0/24")).is_some());
    announce(&mut rib, r, route(&[65100], 11), &["192.0.2.0/26"]);
    assert!(rib.best(&net("192.0.2.0/26")).is_some(), "deferral ended");
    rib.defer_until_end_of_rib(r, v4).unwrap();
    announce(&mut rib, r, route(&[65100], 11), &["192.0.2.64/26"]);
    rib.peer_down(r).unwrap();
    assert_eq!(rib.deferred_len(), 0);
    let left: Vec<PeerId> = rib.loc_rib().map(|(_, b)| b.peer).collect();
    assert_eq!(left, [o], "o's route only");
    rib.peer_down(o).unwrap();
    assert_eq!(rib.attribute_sets(), 0, "everything freed");
}

//----------- RFC 9234 roles and OTC -------------------------------------------------

#[test]
fn rfc9234_only_to_customer() {
    let mut rib = rib();
    let with_role = |n: u8, asn: u32, role: Role| {
        let mut i = info(n, asn);
        i.role = Some(role);
        PeerConfig::new(i)
    };
    let provider = add(&mut rib, with_role(11, 65011, Role::PROVIDER));
    let provider2 = add(&mut rib, with_role(12, 65012, Role::PROVIDER));
    let customer = add(&mut rib, with_role(21, 65021, Role::CUSTOMER));
    let lateral = add(&mut rib, with_role(31, 65031, Role::PEER));

    // From a provider, no OTC: OTC = its AS on ingress; then only to customers.
    announce(
        &mut rib,
        provider,
        route(&[65011, 1], 11),
        &["198.51.100.0/24"],
    );
    assert_eq!(
        rib.best(&net("198.51.100.0/24")).unwrap().attrs.extra.otc,
        Some(65011)
    );
    assert_eq!(
        drain(&mut rib, customer)[0].1.as_ref().unwrap().extra.otc,
        Some(65011)
    );
    assert!(drain(&mut rib, provider2).is_empty());
    assert!(drain(&mut rib, lateral).is_empty());

    // From a customer with OTC: a leak, ineligible.
    let mut leak = route(&[65021, 2], 21);
    leak.extra.otc = Some(65099);
    announce(&mut rib, customer, leak, &["203.0.113.0/24"]);
    assert!(rib.paths(&net("203.0.113.0/24")).is_empty());

    // From a lateral peer: OTC must be its AS.
    let mut bad = route(&[65031, 3], 31);
    bad.extra.otc = Some(65099);
    announce(&mut rib, lateral, bad, &["192.0.2.0/25"]);
    assert!(rib.paths(&net("192.0.2.0/25")).is_empty());
    let mut good = route(&[65031, 3], 31);
    good.extra.otc = Some(65031);
    announce(&mut rib, lateral, good, &["192.0.2.128/25"]);
    assert_eq!(rib.paths(&net("192.0.2.128/25")).len(), 1);

    // From a customer without OTC: to everyone; towards customers and
    // lateral peers OTC = our AS is added, towards providers not.
    announce(&mut rib, customer, route(&[65021], 21), &["100.64.0.0/10"]);
    let pick = |v: Vec<(Nlri, Option<RouteAttrs>)>| {
        v.into_iter()
            .find(|x| x.0.prefix == net("100.64.0.0/10"))
            .and_then(|x| x.1)
    };
    assert_eq!(pick(drain(&mut rib, lateral)).unwrap().extra.otc, Some(AS));
    assert_eq!(pick(drain(&mut rib, provider)).unwrap().extra.otc, None);
    assert!(
        pick(drain(&mut rib, customer)).is_none(),
        "not back to its source"
    );
}

//----------- eBGP propagation and per-peer options ---------------------------------

#[test]
fn ebgp_rules_and_options() {
    let mut rib = rib();
    let e1 = add(&mut rib, PeerConfig::new(info(11, 65001)));
    let mut c = PeerConfig::new(info(12, 65002));
    c.remove_private_as = true;
    let e2 = add(&mut rib, c);
    let mut c = PeerConfig::new(info(13, 65003));
    c.allowas_in = 1;
    let e3 = add(&mut rib, c);
    let i1 = add(
        &mut rib,
        PeerConfig::new(info(21, AS)).next_hop(NextHopMode::SelfAddress),
    );
    let i2 = add(&mut rib, PeerConfig::new(info(22, AS)));

    // AS-path loop: rejected from e1, accepted once from e3 (allowas-in 1).
    announce(
        &mut rib,
        e1,
        route(&[65001, AS, 7], 11),
        &["198.51.100.0/24"],
    );
    assert!(rib.paths(&net("198.51.100.0/24")).is_empty());
    announce(
        &mut rib,
        e3,
        route(&[65003, AS, 7], 13),
        &["198.51.100.0/24"],
    );
    assert_eq!(rib.paths(&net("198.51.100.0/24")).len(), 1);
    announce(
        &mut rib,
        e3,
        route(&[65003, AS, AS], 13),
        &["198.51.100.0/24"],
    );
    assert!(
        rib.paths(&net("198.51.100.0/24")).is_empty(),
        "twice is too many"
    );

    // eBGP to eBGP: prepend, next hop self, MED and LOCAL_PREF dropped;
    // private ASes removed where configured.
    let mut a = route(&[65001, 64512, 3333], 11);
    a.med = Some(50);
    a.local_pref = Some(300); // ignored from eBGP
    announce(&mut rib, e1, a, &["203.0.113.0/24"]);
    assert_eq!(
        rib.best(&net("203.0.113.0/24")).unwrap().attrs.local_pref,
        None
    );
    let r = drain(&mut rib, e2).pop().unwrap().1.unwrap();
    // (65001 is private too.)
    assert_eq!(r.as_path, AsPathBuf::sequence([AS, 3333]));
    assert_eq!((r.med, r.local_pref, r.next_hop), (None, None, Some(nh(1))));
    let r = drain(&mut rib, e3).pop().unwrap().1.unwrap();
    assert_eq!(r.as_path, AsPathBuf::sequence([AS, 65001, 64512, 3333]));
    // eBGP to iBGP: LOCAL_PREF set, next hop unchanged unless next-hop-self.
    let r = drain(&mut rib, i2).pop().unwrap().1.unwrap();
    assert_eq!(
        (r.local_pref, r.next_hop.clone()),
        (Some(100), Some(nh(11)))
    );
    assert_eq!(r.med, Some(50), "MED is kept inside the AS");
    let r = drain(&mut rib, i1).pop().unwrap().1.unwrap();
    assert_eq!(r.next_hop, Some(nh(1)));

    // iBGP to iBGP without reflection: not passed on.
    announce(&mut rib, i1, route(&[65500], 21), &["192.0.2.0/24"]);
    assert!(drain(&mut rib, i2).is_empty());
    assert_eq!(drain(&mut rib, e1).len(), 1);
    assert_eq!(drain(&mut rib, e2).len(), 1);

    // NO_EXPORT stays inside the AS; NO_ADVERTISE goes nowhere.
    let mut ne = route(&[65001], 11);
    ne.communities = vec![Community::NO_EXPORT];
    announce(&mut rib, e1, ne, &["100.64.0.0/16"]);
    let mut na = route(&[65001], 11);
    na.communities = vec![Community::NO_ADVERTISE];
    announce(&mut rib, e1, na, &["100.65.0.0/16"]);
    assert_eq!(drain(&mut rib, i2).len(), 1);
    assert!(drain(&mut rib, e2).is_empty());

    // A locally originated route: our AS only, our next hop, MED kept.
    let local = RouteAttrs {
        med: Some(5),
        ..RouteAttrs::default()
    };
    rib.originate(net("10.10.0.0/16"), local, bgp_rib::policy::Source::Static);
    let r = drain(&mut rib, e1).pop().unwrap().1.unwrap();
    assert_eq!(r.as_path, AsPathBuf::sequence([AS]));
    assert_eq!((r.med, r.next_hop), (Some(5), Some(nh(1))));
    assert_eq!(rib.best(&net("10.10.0.0/16")).unwrap().peer, PeerId::LOCAL);
}

#[test]
fn default_originate_plain_and_conditional() {
    let mut rib = rib();
    let up = add(&mut rib, PeerConfig::new(info(11, 65001)));
    let plain = add(
        &mut rib,
        PeerConfig::new(info(12, 65002)).default_originate(DefaultOriginate::default()),
    );
    let cond = PeerConfig::new(info(13, 65003)).default_originate(DefaultOriginate {
        condition: Some(Arc::new(|r: &PolicyRoute<'_>| {
            if r.prefix == "198.51.100.0/24".parse::<IpNet>().unwrap() {
                Verdict::Permit
            } else {
                Verdict::Deny
            }
        })),
    });
    let cond = add(&mut rib, cond);
    // A default in the Loc-RIB is overridden by ours.
    announce(&mut rib, up, route(&[65001], 11), &["0.0.0.0/0"]);
    let got = drain(&mut rib, plain);
    assert_eq!(got.len(), 1);
    let d = got[0].1.clone().unwrap();
    assert_eq!(
        (d.as_path, d.next_hop),
        (AsPathBuf::sequence([AS]), Some(nh(1)))
    );
    // Conditional: only the upstream's default (normal propagation) until
    // the tracked prefix appears.
    let got = drain(&mut rib, cond);
    assert_eq!(
        got[0].1.as_ref().unwrap().as_path,
        AsPathBuf::sequence([AS, 65001])
    );
    announce(&mut rib, up, route(&[65001], 11), &["198.51.100.0/24"]);
    let got = drain(&mut rib, cond);
    let d = got.iter().find(|x| x.0.prefix.prefix_len() == 0).unwrap();
    assert_eq!(d.1.as_ref().unwrap().as_path, AsPathBuf::sequence([AS]));
    rib.withdraw(
        up,
        &[
            Nlri::new(net("198.51.100.0/24")),
            Nlri::new(net("0.0.0.0/0")),
        ],
    )
    .unwrap();
    let got = drain(&mut rib, cond);
    assert!(
        got.iter().all(|x| x.1.is_none()) && got.len() == 2,
        "{got:?}"
    );
    assert!(
        drain(&mut rib, plain).is_empty(),
        "unconditional default stays"
    );
}

//----------- soft reconfiguration, resolver, multipath, UPDATE input -----------------

#[test]
fn soft_reconfiguration_and_route_refresh() {
    let mut rib = rib();
    let soft = add(
        &mut rib,
        PeerConfig::new(info(11, 65001)).soft_reconfiguration_inbound(),
    );
    let hard = add(&mut rib, PeerConfig::new(info(12, 65002)));
    let deny = || Arc::new(|_: &PolicyRoute<'_>| Verdict::Deny) as bgp_rib::SharedPolicy;
    assert_eq!(
        rib.set_import_policy(soft, deny()).unwrap(),
        Reconfigured::Reevaluated
    );
    assert_eq!(
        rib.set_import_policy(hard, deny()).unwrap(),
        Reconfigured::RouteRefreshNeeded
    );
    announce(&mut rib, soft, route(&[65001], 11), &["198.51.100.0/24"]);
    announce(&mut rib, hard, route(&[65002], 12), &["203.0.113.0/24"]);
    assert!(rib.loc_rib().next().is_none());
    assert_eq!(rib.adj_rib_in_pre_policy(soft).len(), 1);
    assert!(rib.adj_rib_in_pre_policy(hard).is_empty());
    let permit = Arc::new(bgp_rib::policy::PermitAll) as bgp_rib::SharedPolicy;
    assert_eq!(
        rib.set_import_policy(soft, permit.clone()).unwrap(),
        Reconfigured::Reevaluated
    );
    assert_eq!(
        rib.set_import_policy(hard, permit).unwrap(),
        Reconfigured::RouteRefreshNeeded
    );
    let now: Vec<IpNet> = rib.loc_rib().map(|(p, _)| p).collect();
    assert_eq!(now, [net("198.51.100.0/24")], "the hard peer must resend");

    // Routes the policy passes unchanged are kept once, on their paths;
    // they stay pre-policy routes through an enhanced route refresh
    // (stale, then sent again), a withdrawal and a session reset.
    let pre = |rib: &Rib| -> Vec<IpNet> {
        let v: Vec<IpNet> = rib
            .adj_rib_in_pre_policy(soft)
            .iter()
            .map(|x| x.0.prefix)
            .collect();
        let c = rib.peer_counts(soft, Family::IPV4_UNICAST).unwrap();
        assert_eq!(c.received, v.len());
        v
    };
    announce(&mut rib, soft, route(&[65001], 11), &["198.51.100.0/25"]);
    let both = [net("198.51.100.0/24"), net("198.51.100.0/25")];
    assert_eq!(pre(&rib), both);
    rib.mark_stale(soft, Family::IPV4_UNICAST, None).unwrap();
    assert_eq!(pre(&rib), both);
    announce(&mut rib, soft, route(&[65001], 11), &["198.51.100.0/24"]);
    assert_eq!(pre(&rib), both);
    // Sent again with other attributes: the new ones are the route.
    announce(
        &mut rib,
        soft,
        route(&[65001, 65009], 11),
        &["198.51.100.0/25"],
    );
    let pre_attrs = rib.adj_rib_in_pre_policy(soft);
    assert_eq!(pre_attrs[1].1.as_path, route(&[65001, 65009], 11).as_path);
    rib.end_of_rib(soft, Family::IPV4_UNICAST).unwrap();
    assert_eq!(pre(&rib), both);
    rib.withdraw(soft, &[Nlri::new(net("198.51.100.0/24"))])
        .unwrap();
    assert_eq!(pre(&rib), [net("198.51.100.0/25")]);
    // A policy that changes the route: the route received is kept apart.
    let lp = Arc::new(|r: &PolicyRoute<'_>| {
        let mut attrs = r.attrs.clone();
        attrs.med = Some(7);
        Verdict::Modified(Box::new(bgp_rib::policy::Modified { attrs, weight: 0 }))
    }) as bgp_rib::SharedPolicy;
    assert_eq!(
        rib.set_import_policy(soft, lp).unwrap(),
        Reconfigured::Reevaluated
    );
    let pre_attrs = rib.adj_rib_in_pre_policy(soft);
    assert_eq!(pre_attrs.len(), 1);
    assert_eq!(pre_attrs[0].1.med, None);
    assert_eq!(
        rib.best(&net("198.51.100.0/25")).unwrap().attrs.med,
        Some(7)
    );
    assert_eq!(
        rib.set_import_policy(soft, Arc::new(bgp_rib::policy::PermitAll))
            .unwrap(),
        Reconfigured::Reevaluated
    );
    assert_eq!(rib.best(&net("198.51.100.0/25")).unwrap().attrs.med, None);
    assert_eq!(pre(&rib), [net("198.51.100.0/25")]);
    rib.peer_down(soft).unwrap();
    assert!(pre(&rib).is_empty());
    rib.remove_peer(soft).unwrap();
    rib.remove_peer(hard).unwrap();
    rib.drain_loc_rib();
    assert_eq!(rib.attribute_sets(), 0, "every reference given back");
}

/// A policy that sets LOCAL_PREF from the MED (and denies routes without
/// one), counts its calls, and says what it is: its answer ignores the
/// prefix, or (`all`) it permits everything unchanged.
struct ByMed {
    calls: std::sync::atomic::AtomicUsize,
    all: bool,
}

impl Policy for ByMed {
    fn evaluate(&self, r: &PolicyRoute<'_>) -> Verdict {
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if self.all {
            return Verdict::Permit;
        }
        match r.attrs.med {
            None => Verdict::Deny,
            Some(m) => Verdict::Modified(Box::new(bgp_rib::policy::Modified {
                attrs: RouteAttrs {
                    local_pref: Some(m),
                    ..r.attrs.clone()
                },
                weight: r.weight,
            })),
        }
    }
    fn permits_all(&self, _: Family) -> bool {
        self.all
    }
    fn ignores_prefix(&self, _: Family) -> bool {
        true
    }
}

/// Soft reconfiguration asks a policy whose answer ignores the prefix once
/// per stored attribute set and family, and one that permits everything
/// not at all; every route still gets the answer for its own set.
#[test]
fn reevaluation_asks_once_per_attribute_set() {
    let mut rib = rib();
    let peer = add(
        &mut rib,
        PeerConfig::new(info(11, 65001)).soft_reconfiguration_inbound(),
    );
    let with_med = |med| RouteAttrs {
        med,
        ..route(&[65001], 11)
    };
    let v4 = ["198.51.100.0/24", "198.51.101.0/24", "198.51.102.0/24"];
    announce(&mut rib, peer, with_med(Some(10)), &v4);
    announce(
        &mut rib,
        peer,
        with_med(Some(20)),
        &["203.0.113.0/24", "203.0.114.0/24"],
    );
    announce(
        &mut rib,
        peer,
        with_med(None),
        &["192.0.2.0/24", "192.0.3.0/24"],
    );
    let v6 = RouteAttrs {
        next_hop: Some(NextHop::V6 {
            global: "2001:db8::11".parse().unwrap(),
            link_local: None,
        }),
        ..with_med(Some(10))
    };
    announce(&mut rib, peer, v6, &["2001:db8:1::/48", "2001:db8:2::/48"]);
    assert_eq!(rib.loc_rib().count(), 9);
    let by_med = Arc::new(ByMed {
        calls: Default::default(),
        all: false,
    });
    assert_eq!(
        rib.set_import_policy(peer, by_med.clone()).unwrap(),
        Reconfigured::Reevaluated
    );
    // Three IPv4 sets and one IPv6 set.
    assert_eq!(by_med.calls.load(std::sync::atomic::Ordering::Relaxed), 4);
    let lp: Vec<(IpNet, Option<u32>)> = rib
        .loc_rib()
        .map(|(p, b)| (p, b.attrs.local_pref))
        .collect();
    let want: Vec<(IpNet, Option<u32>)> = [
        ("198.51.100.0/24", 10),
        ("198.51.101.0/24", 10),
        ("198.51.102.0/24", 10),
        ("203.0.113.0/24", 20),
        ("203.0.114.0/24", 20),
        ("2001:db8:1::/48", 10),
        ("2001:db8:2::/48", 10),
    ]
    .into_iter()
    .map(|(p, l)| (net(p), Some(l)))
    .collect();
    assert_eq!(lp, want, "the routes without a MED are denied");
    let permit = Arc::new(ByMed {
        calls: Default::default(),
        all: true,
    });
    assert_eq!(
        rib.set_import_policy(peer, permit.clone()).unwrap(),
        Reconfigured::Reevaluated
    );
    assert_eq!(permit.calls.load(std::sync::atomic::Ordering::Relaxed), 0);
    assert_eq!(rib.loc_rib().count(), 9, "the denied routes are back");
    assert!(rib.loc_rib().all(|(_, b)| b.attrs.local_pref.is_none()));
}

/// `show bgp summary` for a route server: a host peer with soft
/// reconfiguration whose import policy takes only /32s, a second host
/// announcing one of the same addresses, and a border router sent every
/// path (ADD-PATH). The counts follow announcements, a policy change, a
/// withdrawal and a session reset.
#[test]
fn peer_counts_follow_the_adj_ribs() {
    let mut rib = rib();
    let only_hosts = |r: &PolicyRoute<'_>| {
        if r.prefix.prefix_len() == r.prefix.max_prefix_len() {
            Verdict::Permit
        } else {
            Verdict::Deny
        }
    };
    let host = add(
        &mut rib,
        PeerConfig::new(info(11, AS))
            .soft_reconfiguration_inbound()
            .import(only_hosts),
    );
    let other = add(
        &mut rib,
        PeerConfig::new(info(12, AS)).route_server_client(),
    );
    let border = add(
        &mut rib,
        PeerConfig::new(info(13, AS))
            .route_server_client()
            .add_path_send(AddPathSend::All),
    );
    let counts = |rib: &Rib, peer, family| {
        let c = rib.peer_counts(peer, family).unwrap();
        (c.received, c.accepted, c.advertised)
    };
    let (v4, v6) = (Family::IPV4_UNICAST, Family::IPV6_UNICAST);
    announce(
        &mut rib,
        host,
        route(&[], 11),
        &["203.0.113.1/32", "203.0.113.2/32", "203.0.113.0/24"],
    );
    let v6_host = RouteAttrs {
        next_hop: Some(NextHop::V6 {
            global: "2001:db8::11".parse().unwrap(),
            link_local: None,
        }),
        ..route(&[], 11)
    };
    announce(&mut rib, host, v6_host, &["2001:db8:1::1/128"]);
    announce(&mut rib, other, route(&[], 12), &["203.0.113.1/32"]);
    // The /24 is received, not accepted; nothing is advertised before a
    // drain.
    assert_eq!(counts(&rib, host, v4), (3, 2, 0));
    assert_eq!(counts(&rib, host, v6), (1, 1, 0));
    assert_eq!(
        counts(&rib, other, v4),
        (0, 1, 0),
        "no soft reconfiguration"
    );
    assert_eq!(counts(&rib, border, v4), (0, 0, 0));
    drain(&mut rib, border);
    // Both paths of the shared address, and the other /32.
    assert_eq!(counts(&rib, border, v4), (0, 0, 3));
    assert_eq!(counts(&rib, border, v6), (0, 0, 1));
    // The policy now takes everything: the /24 is accepted from the
    // pre-policy Adj-RIB-In, and sent at the next drain.
    let permit = Arc::new(bgp_rib::policy::PermitAll) as bgp_rib::SharedPolicy;
    assert_eq!(
        rib.set_import_policy(host, permit).unwrap(),
        Reconfigured::Reevaluated
    );
    assert_eq!(counts(&rib, host, v4), (3, 3, 0));
    drain(&mut rib, border);
    assert_eq!(counts(&rib, border, v4), (0, 0, 4));
    // The shared address moves away from `other`.
    let gone = [Nlri::new(net("203.0.113.1/32"))];
    rib.withdraw(other, &gone).unwrap();
    assert_eq!(counts(&rib, other, v4), (0, 0, 0));
    drain(&mut rib, border);
    assert_eq!(counts(&rib, border, v4), (0, 0, 3));
    // The host's session resets: all of its routes go, and the border is
    // told at its next drain.
    rib.peer_down(host).unwrap();
    assert_eq!(counts(&rib, host, v4), (0, 0, 0));
    assert_eq!(counts(&rib, host, v6), (0, 0, 0));
    assert_eq!(counts(&rib, border, v4), (0, 0, 3), "not drained yet");
    drain(&mut rib, border);
    assert_eq!(counts(&rib, border, v4), (0, 0, 0));
    assert_eq!(counts(&rib, border, v6), (0, 0, 0));
    // The border's own session resets: its Adj-RIB-Out is empty at once.
    announce(&mut rib, other, route(&[], 12), &["203.0.113.9/32"]);
    drain(&mut rib, border);
    assert_eq!(counts(&rib, border, v4), (0, 0, 1));
    rib.peer_down(border).unwrap();
    assert_eq!(counts(&rib, border, v4), (0, 0, 0));
    // Families the RIB does not hold count nothing; unknown peers are an
    // error.
    assert_eq!(
        rib.peer_counts(other, Family::IPV4_MULTICAST),
        Ok(bgp_rib::PeerCounts::default())
    );
    rib.remove_peer(host).unwrap();
    assert!(rib.peer_counts(host, v4).is_err());
}

#[test]
fn resolver_and_multipath() {
    let mut cfg = RibConfig::new(AS, RID);
    cfg.decision = DecisionConfig {
        maximum_paths: 4,
        ..DecisionConfig::default()
    };
    let mut rib = Rib::new(cfg);
    let a = add(&mut rib, PeerConfig::new(info(11, 65001)));
    let b = add(&mut rib, PeerConfig::new(info(12, 65001)));
    let c = add(&mut rib, PeerConfig::new(info(13, 65001)));
    announce(&mut rib, a, route(&[65001, 9], 11), &["198.51.100.0/24"]);
    announce(&mut rib, b, route(&[65001, 9], 12), &["198.51.100.0/24"]);
    announce(&mut rib, c, route(&[65001, 9], 13), &["198.51.100.0/24"]);
    let ch = rib.drain_loc_rib();
    assert_eq!(ch.last().unwrap().paths.len(), 3, "ECMP over three peers");
    // The IGP says 192.0.2.11 is far and 192.0.2.13 unreachable.
    rib.set_resolver(|n: &NextHop| match n {
        NextHop::V4(a) if a.octets()[3] == 13 => None,
        NextHop::V4(a) if a.octets()[3] == 11 => Some(50),
        _ => Some(10),
    });
    let ch = rib.drain_loc_rib();
    assert_eq!(ch.len(), 1);
    assert_eq!(ch[0].paths.len(), 1);
    assert_eq!(ch[0].paths[0].peer, b);
    assert_eq!(ch[0].step, Some(DecisionStep::IgpCost));
    assert_eq!(
        rib.paths(&net("198.51.100.0/24")).len(),
        3,
        "kept, just not eligible"
    );
    let (p, r) = rib.longest_match("198.51.100.7".parse().unwrap()).unwrap();
    assert_eq!((p, r.peer), (net("198.51.100.0/24"), b));
}

#[test]
fn update_messages_in_and_out() {
    let mut rib = rib();
    let a = add(&mut rib, PeerConfig::new(info(11, 65001)));
    let b = add(&mut rib, PeerConfig::new(info(12, 65002)));
    let ctx = SessionContext::default();
    let mut wire = Vec::new();
    let attrs = [
        PathAttribute::Origin(bgp_wire::attr::Origin::Igp),
        PathAttribute::AsPath(AsPathBuf::sequence([65001])),
    ];
    let nlri: Vec<Nlri> = (0..300u32)
        .map(|i| {
            Nlri::new(IpNet::V4(
                Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 + (i << 8)), 24).unwrap(),
            ))
        })
        .collect();
    UpdateBuilder::new(ctx)
        .announce(Family::IPV4_UNICAST, &attrs, &nh(11), &nlri, &mut wire)
        .unwrap();
    let mut v6 = Vec::new();
    UpdateBuilder::new(ctx)
        .announce(
            Family::IPV6_UNICAST,
            &attrs,
            &NextHop::V6 {
                global: "2001:db8::11".parse().unwrap(),
                link_local: None,
            },
            &[Nlri::new(net("2001:db8:1::/48"))],
            &mut v6,
        )
        .unwrap();
    wire.extend(v6);
    UpdateBuilder::new(ctx)
        .withdraw(Family::IPV4_UNICAST, &nlri[..100], &mut wire)
        .unwrap();
    for (_, m) in Messages::new(&wire, ctx) {
        match m {
            Ok(Message::Update(u)) => rib.update(a, &u).unwrap(),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(rib.loc_rib().count(), 201);
    // Withdrawn prefixes stay stored until the FIB has been told.
    assert_eq!(rib.prefix_count(), (300, 1));
    assert_eq!(rib.drain_loc_rib().len(), 201);
    assert_eq!(rib.prefix_count(), (200, 1));
    assert_eq!(
        rib.attribute_sets(),
        2,
        "one set per family (next hops differ)"
    );
    let ch = rib.drain_adj_rib_out(b).unwrap();
    assert_eq!(ch.announced.len(), 1, "grouped under one attribute set");
    assert_eq!(ch.len(), 200);
    let mut out = Vec::new();
    let n = ch.encode(&UpdateBuilder::new(ctx), &mut out).unwrap();
    assert!((1..=3).contains(&n), "{n} UPDATEs for 200 prefixes");
    let mut seen = 0;
    for (_, m) in Messages::new(&out, ctx) {
        let Ok(Message::Update(u)) = m else { panic!() };
        assert_eq!(u.next_hop(), Some(Ipv4Addr::new(192, 0, 2, 1)));
        seen += u.all_announced().count();
    }
    assert_eq!(seen, 200);
}

#[test]
fn rfc7606_actions_from_update() {
    let mut rib = rib();
    let a = add(&mut rib, PeerConfig::new(info(11, 65001)));
    let ctx = SessionContext::default();
    let mut v6 = route(&[65001], 11);
    v6.next_hop = Some(NextHop::V6 {
        global: "2001:db8::11".parse().unwrap(),
        link_local: None,
    });
    rib.announce(a, v6, &[Nlri::new(net("2001:db8:9::/48"))])
        .unwrap();
    announce(
        &mut rib,
        a,
        route(&[65001], 11),
        &["198.51.100.0/24", "203.0.113.0/24"],
    );
    let msg = |attrs: &[u8], nlri: &[u8]| {
        let len = 19 + 2 + 2 + attrs.len() + nlri.len();
        let mut m = vec![0xff; 16];
        m.extend_from_slice(&(len as u16).to_be_bytes());
        m.push(2);
        m.extend_from_slice(&[0, 0]);
        m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
        m.extend_from_slice(attrs);
        m.extend_from_slice(nlri);
        m
    };
    // ORIGIN 5 is malformed: treat-as-withdraw for 198.51.100.0/24 only.
    let bad_origin = msg(
        &[0x40, 1, 1, 5, 0x40, 2, 0, 0x40, 3, 4, 192, 0, 2, 11],
        &[24, 198, 51, 100],
    );
    // An MP_REACH IPv6 next hop of 5 octets: AFI/SAFI disable for IPv6.
    let bad_mp = msg(
        &[
            0x40, 1, 1, 0, 0x40, 2, 0, 0x80, 14, 17, 0, 2, 1, 5, 1, 2, 3, 4, 5, 0, 48, 0x20, 0x01,
            0x0d, 0xb8, 0, 1,
        ],
        &[],
    );
    for wire in [bad_origin, bad_mp] {
        for (_, m) in Messages::new(&wire, ctx) {
            let Ok(Message::Update(u)) = m else {
                panic!("{m:?}")
            };
            rib.update(a, &u).unwrap();
        }
    }
    let left: Vec<IpNet> = rib.loc_rib().map(|(p, _)| p).collect();
    assert_eq!(left, [net("203.0.113.0/24")]);
}

/// The change logs name trie slots: a slot freed by a removed prefix and
/// given to another before a peer drains must give that peer the new
/// prefix once and nothing of the old one; the sender gets nothing back.
#[test]
fn change_logs_survive_slot_reuse() {
    let mut rib = rib();
    let a = add(&mut rib, PeerConfig::new(info(2, 65001)));
    let b = add(&mut rib, PeerConfig::new(info(3, 65002)));
    // The first drain after peer_up is a full sync; the later ones read
    // the log.
    assert!(drain(&mut rib, a).is_empty());
    assert!(drain(&mut rib, b).is_empty());
    announce(&mut rib, a, route(&[65001], 2), &["203.0.113.0/24"]);
    rib.withdraw(a, &[Nlri::new(net("203.0.113.0/24"))])
        .unwrap();
    // Never programmed, so nothing for the FIB; the entry goes, its slot is
    // free.
    assert!(rib.drain_loc_rib().is_empty());
    announce(
        &mut rib,
        a,
        route(&[65001], 2),
        &["198.51.100.0/24", "192.0.2.0/24"],
    );
    announce(&mut rib, a, route(&[65001, 7], 2), &["198.51.100.0/24"]);
    let fib = rib.drain_loc_rib();
    let got: Vec<IpNet> = fib.iter().map(|c| c.prefix).collect();
    assert_eq!(got, [net("198.51.100.0/24"), net("192.0.2.0/24")]);
    let to_b = drain(&mut rib, b);
    let prefixes: Vec<IpNet> = to_b.iter().map(|x| x.0.prefix).collect();
    assert_eq!(prefixes, [net("192.0.2.0/24"), net("198.51.100.0/24")]);
    assert_eq!(
        to_b[1].1.as_ref().unwrap().as_path,
        AsPathBuf::sequence([AS, 65001, 7])
    );
    assert!(drain(&mut rib, a).is_empty());
    assert!(drain(&mut rib, b).is_empty());
    // Withdrawn after B was sent it: B gets the withdrawal, once.
    rib.withdraw(a, &[Nlri::new(net("192.0.2.0/24"))]).unwrap();
    rib.withdraw(a, &[Nlri::new(net("192.0.2.0/24"))]).unwrap();
    assert_eq!(drain(&mut rib, b), [(Nlri::new(net("192.0.2.0/24")), None)]);
    assert_eq!(rib.drain_loc_rib().len(), 1);
    assert_eq!(rib.prefix_count(), (1, 0));
}

/// Without a FIB to feed, the Loc-RIB change stream can be turned off: the
/// drain is empty, best paths and Adj-RIB-Outs are unchanged, and an
/// emptied prefix leaves the trie at once instead of waiting for a drain to
/// report its withdrawal. Turning the stream off drops what was pending and
/// frees the prefixes kept only for it; turning it on reports changes from
/// then on.
#[test]
fn loc_rib_changes_can_be_turned_off() {
    let mut rib = rib();
    let a = add(&mut rib, PeerConfig::new(info(2, 65001)));
    let b = add(&mut rib, PeerConfig::new(info(3, 65002)));
    assert!(drain(&mut rib, b).is_empty());
    let (x, y, z) = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24");
    announce(&mut rib, a, route(&[65001], 2), &[x]);
    assert_eq!(drain(&mut rib, b).len(), 1);
    announce(&mut rib, a, route(&[65001], 2), &[y]);
    assert_eq!(rib.drain_loc_rib().len(), 2);
    // Both were reported to the FIB; withdrawn, they wait for the drain to
    // report their deletion (and X for B's withdrawal too).
    rib.withdraw(a, &[Nlri::new(net(x)), Nlri::new(net(y))])
        .unwrap();
    assert_eq!(rib.prefix_count(), (2, 0));
    rib.set_loc_rib_changes(false);
    assert!(!rib.config().loc_rib_changes);
    assert_eq!(rib.prefix_count(), (1, 0), "Y was kept only for the FIB");
    assert!(rib.drain_loc_rib().is_empty());
    announce(&mut rib, a, route(&[65001, 7], 2), &[z]);
    assert!(rib.drain_loc_rib().is_empty());
    let best = rib.best(&net(z)).unwrap();
    assert_eq!(best.attrs.as_path, AsPathBuf::sequence([65001, 7]));
    // The other peer's Adj-RIB-Out does not depend on the stream, and X
    // goes once B has its withdrawal.
    let to_b: Vec<(IpNet, bool)> = drain(&mut rib, b)
        .into_iter()
        .map(|(n, a)| (n.prefix, a.is_some()))
        .collect();
    assert_eq!(to_b, [(net(x), false), (net(z), true)]);
    assert_eq!(rib.prefix_count(), (1, 0));
    // An emptied prefix leaves at once.
    rib.withdraw(a, &[Nlri::new(net(z))]).unwrap();
    assert_eq!(drain(&mut rib, b), [(Nlri::new(net(z)), None)]);
    assert_eq!(rib.prefix_count(), (0, 0));
    // On again: the FIB reads the Loc-RIB (Y), then the stream reports
    // what changes from now on, Y's deletion included.
    announce(&mut rib, a, route(&[65001], 2), &[y]);
    rib.set_loc_rib_changes(true);
    assert!(rib.drain_loc_rib().is_empty());
    let fib: Vec<IpNet> = rib.loc_rib().map(|(p, _)| p).collect();
    assert_eq!(fib, [net(y)]);
    announce(&mut rib, a, route(&[65001], 2), &[x]);
    rib.withdraw(a, &[Nlri::new(net(y))]).unwrap();
    let fib: Vec<(IpNet, bool)> = rib
        .drain_loc_rib()
        .iter()
        .map(|c| (c.prefix, c.paths.is_empty()))
        .collect();
    assert_eq!(fib, [(net(x), false), (net(y), true)]);
}

/// A table sent in no particular order, in UPDATE-sized batches (which the
/// RIB looks up side by side before inserting), gives the same RIB as the
/// same routes announced one prefix at a time. Some rounds re-announce
/// earlier prefixes with a MED the import policy denies, each followed in
/// its batch by a fresh prefix and a more-specific of the denied one;
/// others withdraw, and the Loc-RIB is drained now and then so that emptied
/// entries leave the trie. (Hints made stale by removals are the trie's own
/// test, `hinted_insertions_agree_with_btreemap`.)
#[test]
fn scattered_batches_agree_with_single_announcements() {
    let mut s: u64 = 3;
    let mut next = move || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (s >> 32) as u32
    };
    // MED 1 denies prefixes of even length.
    let deny_even = |r: &PolicyRoute<'_>| {
        if r.attrs.med == Some(1) && r.prefix.prefix_len() % 2 == 0 {
            Verdict::Deny
        } else {
            Verdict::Permit
        }
    };
    let mut ribs = [rib(), rib()];
    let peers: Vec<[PeerId; 2]> = ribs
        .iter_mut()
        .map(|r| {
            let a = add(r, PeerConfig::new(info(2, 65002)));
            assert_eq!(
                r.set_import_policy(a, Arc::new(deny_even)).unwrap(),
                Reconfigured::RouteRefreshNeeded
            );
            [a, add(r, PeerConfig::new(info(3, 65003)))]
        })
        .collect();
    let mut pools: [Vec<IpNet>; 2] = [Vec::new(), Vec::new()];
    for round in 0..600u32 {
        let v6 = round % 5 == 4;
        let pool = &mut pools[usize::from(v6)];
        let fresh = |next: &mut dyn FnMut() -> u32| {
            if v6 {
                let a = Ipv6Addr::from(u128::from(next()) << 96 | 0x2001 << 112);
                IpNet::V6(Ipv6Net::new(a, 16 + (next() % 49) as u8).unwrap().trunc())
            } else {
                let a = Ipv4Addr::from(next());
                IpNet::V4(Ipv4Net::new(a, 8 + (next() % 23) as u8).unwrap().trunc())
            }
        };
        let mut nlri = Vec::new();
        let (peer, med) = if round % 3 == 1 && pool.len() > 10 {
            for _ in 0..1 + next() % 8 {
                let q = pool[next() as usize % pool.len()];
                let more = match q {
                    IpNet::V4(q) => {
                        let len = (q.prefix_len() + 1 + (next() % 2) as u8).min(32);
                        let a = u32::from(q.addr())
                            | next().checked_shr(q.prefix_len().into()).unwrap_or(0);
                        IpNet::V4(Ipv4Net::new(a.into(), len).unwrap().trunc())
                    }
                    IpNet::V6(q) => {
                        let len = (q.prefix_len() + 1 + (next() % 2) as u8).min(128);
                        let low = (u128::from(next()) << 96).checked_shr(q.prefix_len().into());
                        let a = u128::from(q.addr()) | low.unwrap_or(0);
                        IpNet::V6(Ipv6Net::new(a.into(), len).unwrap().trunc())
                    }
                };
                nlri.extend([q, fresh(&mut next), more]);
            }
            (0, 1)
        } else {
            let n = 4 + next() as usize % 28;
            for _ in 0..n {
                let p = if !pool.is_empty() && next() % 3 == 0 {
                    pool[next() as usize % pool.len()]
                } else {
                    fresh(&mut next)
                };
                nlri.push(p);
            }
            ((round % 2) as usize, round % 3)
        };
        pool.extend(&nlri);
        let nlri: Vec<Nlri> = nlri.into_iter().map(Nlri::new).collect();
        let mut attrs = route(&[65002 + peer as u32, round % 7], 2 + peer as u8);
        attrs.med = Some(med);
        if round % 10 == 9 {
            for (r, ids) in ribs.iter_mut().zip(&peers) {
                r.withdraw(ids[peer], &nlri).unwrap();
                r.drain_loc_rib();
            }
            continue;
        }
        ribs[0]
            .announce(peers[0][peer], attrs.clone(), &nlri)
            .unwrap();
        for n in &nlri {
            ribs[1]
                .announce(peers[1][peer], attrs.clone(), std::slice::from_ref(n))
                .unwrap();
        }
        if round % 4 == 3 {
            // What a speaker does now and then: entries left with no path
            // leave the trie.
            let [x, y] = &mut ribs;
            assert_eq!(x.drain_loc_rib().len(), y.drain_loc_rib().len());
        }
    }
    let dump = |r: &Rib, ids: &[PeerId; 2]| {
        let loc: Vec<_> = r.loc_rib().map(|(p, rp)| (p, rp.attrs)).collect();
        let ins: Vec<_> = ids.iter().map(|&i| r.adj_rib_in(i)).collect();
        (loc, ins, r.prefix_count())
    };
    let a = dump(&ribs[0], &peers[0]);
    assert!(a.0.len() > 3000, "{}", a.0.len());
    assert_eq!(a, dump(&ribs[1], &peers[1]));
    let [x, y] = &mut ribs;
    assert_eq!(x.drain_loc_rib().len(), y.drain_loc_rib().len());
}

/// A peer going down with every prefix the RIB holds empties the tries at
/// once; what was logged for the other peers and the FIB before still
/// drains right, lookups (with the DIR-24-8 index) find nothing, and
/// routes learnt afterwards (which reuse the freed slots) are told once.
#[test]
fn a_peer_down_that_empties_the_rib() {
    let mut cfg = RibConfig::new(AS, RID);
    cfg.ipv4_lpm_index = true;
    let mut rib = Rib::new(cfg);
    let a = add(&mut rib, PeerConfig::new(info(11, 65001)));
    let b = add(&mut rib, PeerConfig::new(info(12, 65002)));
    let first = ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "192.0.2.0/24"];
    assert!(drain(&mut rib, b).is_empty());
    announce(&mut rib, a, route(&[65001], 11), &first);
    let mut v6 = route(&[65001], 11);
    v6.next_hop = Some(NextHop::V6 {
        global: "2001:db8::11".parse().unwrap(),
        link_local: None,
    });
    rib.announce(a, v6, &[Nlri::new(net("2001:db8:1::/48"))])
        .unwrap();
    assert_eq!(rib.drain_loc_rib().len(), 5);
    // B has the IPv4 ones (no IPv6 next hop to give it over this
    // session); the FIB has been told. A goes down: B's records and the
    // FIB's pending withdrawals keep the entries.
    assert_eq!(drain(&mut rib, b).len(), 4);
    rib.peer_down(a).unwrap();
    assert_eq!(
        rib.prefix_count(),
        (4, 1),
        "kept until B and the FIB are told"
    );
    assert_eq!(rib.drain_loc_rib().len(), 5);
    let gone = drain(&mut rib, b);
    assert_eq!(gone.len(), 4);
    assert!(gone.iter().all(|(_, a)| a.is_none()));
    assert_eq!(rib.prefix_count(), (0, 0));
    // Again, with nothing told yet: A's routes come and go before B or the
    // FIB drain. The entries wait for the FIB's drain (which has nothing
    // to tell it), and go with it, all at once.
    rib.peer_up(a).unwrap();
    announce(&mut rib, a, route(&[65001], 11), &first);
    rib.peer_down(a).unwrap();
    assert_eq!(rib.prefix_count(), (4, 0));
    assert!(rib.lookup("10.1.2.3".parse().unwrap()).is_none());
    assert!(rib.drain_loc_rib().is_empty());
    assert_eq!(rib.prefix_count(), (0, 0));
    assert!(drain(&mut rib, b).is_empty());
    // And with the FIB's stream off, the down itself removes them.
    rib.set_loc_rib_changes(false);
    rib.peer_up(a).unwrap();
    announce(&mut rib, a, route(&[65001], 11), &first);
    rib.peer_down(a).unwrap();
    assert_eq!(rib.prefix_count(), (0, 0));
    assert!(drain(&mut rib, b).is_empty());
    rib.set_loc_rib_changes(true);
    // New routes take the freed slots; each is told once.
    rib.peer_up(a).unwrap();
    announce(
        &mut rib,
        a,
        route(&[65001, 65010], 11),
        &["198.51.100.0/24", "10.1.0.0/16"],
    );
    let (p, peer, _) = rib.lookup("10.1.2.3".parse().unwrap()).unwrap();
    assert_eq!((p, peer), (net("10.1.0.0/16"), a));
    assert!(rib.lookup("10.2.0.1".parse().unwrap()).is_none());
    let fib: Vec<IpNet> = rib.drain_loc_rib().iter().map(|c| c.prefix).collect();
    assert_eq!(fib.len(), 2, "{fib:?}");
    let got = drain(&mut rib, b);
    let got: Vec<_> = got.iter().map(|(n, a)| (n.prefix, a.is_some())).collect();
    assert_eq!(
        got,
        [(net("10.1.0.0/16"), true), (net("198.51.100.0/24"), true)]
    );
}

/// A peer's weight applies whether its import policy is skipped (one that
/// permits everything and says so) or called per route (a closure), for
/// IPv4 and IPv6 in one UPDATE, and the shared sets are freed afterwards.
#[test]
fn peer_weight_applies_with_and_without_a_policy_call() {
    let mut rib = rib();
    let mut a = PeerConfig::new(info(2, 64502));
    a.weight = 100;
    let a = add(&mut rib, a);
    let mut b = PeerConfig::new(info(3, 64503)).import(|_: &PolicyRoute<'_>| Verdict::Permit);
    b.weight = 50;
    let b = add(&mut rib, b);
    let prefixes = ["198.51.100.0/24", "2001:db8:1::/48", "203.0.113.0/24"];
    // Without weights, b's shorter path would win.
    announce(&mut rib, a, route(&[64502, 1, 2], 2), &prefixes);
    announce(&mut rib, b, route(&[64503], 3), &prefixes);
    for p in prefixes {
        let best = rib.best(&net(p)).unwrap();
        assert_eq!((best.peer, best.weight), (a, 100), "{p}");
        let mut w: Vec<u16> = rib.paths(&net(p)).iter().map(|x| x.weight).collect();
        w.sort();
        assert_eq!(w, [50, 100], "{p}");
    }
    let nlri: Vec<Nlri> = prefixes.iter().map(|p| Nlri::new(net(p))).collect();
    rib.withdraw(a, &nlri).unwrap();
    rib.withdraw(b, &nlri).unwrap();
    assert_eq!(rib.attribute_sets(), 0);
}

/// An export policy that permits only the default routes, says so
/// ([`Policy::permitted_prefixes`], with an overlapping repeat), and counts
/// its calls.
///
/// [`Policy::permitted_prefixes`]: bgp_rib::policy::Policy::permitted_prefixes
struct DefaultOnly(Arc<std::sync::atomic::AtomicUsize>);

impl Policy for DefaultOnly {
    fn evaluate(&self, r: &PolicyRoute<'_>) -> Verdict {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if r.prefix.prefix_len() == 0 {
            Verdict::Permit
        } else {
            Verdict::Deny
        }
    }

    fn permitted_prefixes(&self, family: Family) -> Option<Vec<PrefixRange>> {
        let d = if family == Family::IPV6_UNICAST {
            net("::/0")
        } else {
            net("0.0.0.0/0")
        };
        Some(vec![PrefixRange::exact(d), PrefixRange::exact(d)])
    }
}

#[test]
fn hosts_come_and_go_at_the_cost_of_their_routes() {
    // A route server holding a border's table of 20,000 prefixes (value
    // slots in more than 64 chunks) and its default routes, and hosts that
    // are sent only the defaults.
    let mut rib = rib();
    let border = add(&mut rib, PeerConfig::new(info(2, 65100)));
    let table: Vec<String> = (0..20_000u32)
        .map(|i| format!("10.{}.{}.0/24", i / 256, i % 256))
        .collect();
    for chunk in table.chunks(100) {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        announce(&mut rib, border, route(&[65100], 2), &refs);
    }
    announce(&mut rib, border, route(&[65100], 2), &["0.0.0.0/0"]);
    let mut v6 = route(&[65100], 2);
    v6.next_hop = Some(NextHop::V6 {
        global: "2001:db8::2".parse().unwrap(),
        link_local: None,
    });
    rib.announce(
        border,
        v6,
        &[Nlri::new(net("::/0")), Nlri::new(net("2001:db8:1::/48"))],
    )
    .unwrap();
    rib.drain_loc_rib();

    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut cfg = PeerConfig::new(info(20, AS));
    cfg.route_server_client = true;
    cfg.export = Arc::new(DefaultOnly(Arc::clone(&calls)));
    let host = add(&mut rib, cfg);
    announce(&mut rib, host, route(&[], 20), &["100.64.0.20/32"]);
    let sent = drain(&mut rib, host);
    let sent: Vec<IpNet> = sent.iter().map(|x| x.0.prefix).collect();
    assert_eq!(sent, [net("0.0.0.0/0"), net("::/0")]);
    let n = calls.swap(0, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(n, 2, "only the defaults are looked at, once each");

    // The session resets: the Adj-RIB-Out records go with it (else the
    // next session would be sent nothing), and the host's /32.
    rib.peer_down(host).unwrap();
    assert!(rib.adj_rib_out(host).is_empty());
    assert!(rib.best(&net("100.64.0.20/32")).is_none());
    rib.peer_up(host).unwrap();
    let sent = drain(&mut rib, host);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(calls.swap(0, std::sync::atomic::Ordering::Relaxed), 2);

    // A new policy with routes already sent: the whole table is looked at,
    // so that what the new policy drops is withdrawn.
    let only_one = |r: &PolicyRoute<'_>| {
        if r.prefix == net("10.70.0.0/24") {
            Verdict::Permit
        } else {
            Verdict::Deny
        }
    };
    rib.set_export_policy(host, Arc::new(only_one)).unwrap();
    let sent = drain(&mut rib, host);
    assert_eq!(
        sent,
        [
            (Nlri::new(net("0.0.0.0/0")), None),
            (
                Nlri::new(net("10.70.0.0/24")),
                // A route-server client: passed on unchanged.
                Some(route(&[65100], 2))
            ),
            (Nlri::new(net("::/0")), None),
        ]
    );

    // Back to a policy that names its prefixes, with a route sent: only
    // those prefixes and the one the host holds are looked at, and what
    // the policy now drops is withdrawn.
    calls.swap(0, std::sync::atomic::Ordering::Relaxed);
    rib.set_export_policy(host, Arc::new(DefaultOnly(Arc::clone(&calls))))
        .unwrap();
    let sent: Vec<(IpNet, bool)> = drain(&mut rib, host)
        .into_iter()
        .map(|(n, a)| (n.prefix, a.is_some()))
        .collect();
    assert_eq!(
        sent,
        [
            (net("0.0.0.0/0"), true),
            (net("10.70.0.0/24"), false),
            (net("::/0"), true)
        ]
    );
    assert_eq!(calls.swap(0, std::sync::atomic::Ordering::Relaxed), 3);
    let out: Vec<IpNet> = rib.adj_rib_out(host).iter().map(|x| x.0.prefix).collect();
    assert_eq!(out, [net("0.0.0.0/0"), net("::/0")]);
    // The same again: the defaults stay, nothing is sent.
    rib.set_export_policy(host, Arc::new(DefaultOnly(Arc::clone(&calls))))
        .unwrap();
    assert!(drain(&mut rib, host).is_empty());
    assert_eq!(calls.swap(0, std::sync::atomic::Ordering::Relaxed), 2);

    // Another host's paths in the first chunk, in chunk 70 (second word of
    // the bitmap) and in a new slot at the end; a graceful restart keeps
    // them stale, the End-of-RIB sweeps those not sent again.
    let h2 = add(&mut rib, PeerConfig::new(info(21, AS)));
    let mine = ["10.0.5.0/24", "10.70.0.0/24", "100.64.0.21/32"];
    announce(&mut rib, h2, route(&[], 21), &mine);
    let from = |rib: &Rib, p: &str| -> Vec<PeerId> {
        let mut v: Vec<PeerId> = rib.paths(&net(p)).iter().map(|x| x.peer).collect();
        v.sort_by_key(|p| format!("{p:?}"));
        v
    };
    for p in mine {
        assert!(from(&rib, p).contains(&h2), "{p}");
    }
    // Its Adj-RIB-In, in prefix order, from the chunks it holds paths in.
    let ins: Vec<IpNet> = rib.adj_rib_in(h2).iter().map(|x| x.0.prefix).collect();
    assert_eq!(ins, mine.map(net));
    assert!(rib.adj_rib_in(host).iter().all(|x| x.1.peer == host));
    rib.peer_down_graceful(h2, [Family::IPV4_UNICAST].into_iter().collect(), None)
        .unwrap();
    for p in mine {
        assert!(from(&rib, p).contains(&h2), "{p} kept stale");
    }
    rib.peer_up(h2).unwrap();
    announce(&mut rib, h2, route(&[], 21), &["10.70.0.0/24"]);
    rib.end_of_rib(h2, Family::IPV4_UNICAST).unwrap();
    assert!(!from(&rib, "10.0.5.0/24").contains(&h2));
    assert!(from(&rib, "10.70.0.0/24").contains(&h2));
    assert!(from(&rib, "100.64.0.21/32").is_empty());
    let c = rib.peer_counts(h2, Family::IPV4_UNICAST).unwrap();
    assert_eq!(c.accepted, 1);

    // Gone for good: nothing of its is left, the border's table is whole.
    rib.remove_peer(h2).unwrap();
    assert!(!from(&rib, "10.70.0.0/24").contains(&h2));
    rib.peer_down(host).unwrap();
    assert!(rib.best(&net("100.64.0.20/32")).is_none());
    let c = rib.peer_counts(border, Family::IPV4_UNICAST).unwrap();
    assert_eq!(c.accepted, 20_001);
    // (Withdrawn prefixes stay until the Loc-RIB stream reports them.)
    rib.drain_loc_rib();
    assert_eq!(rib.prefix_count(), (20_001, 2));
}

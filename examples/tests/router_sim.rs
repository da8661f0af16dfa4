//! The speaker core ([`Router`]) in the virtual-time network ([`Net`]): the
//! users' design in miniature — a border, a route server, hosts — built from
//! FRR-style configuration text.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use bgp_examples::bgpconf::BgpConfig;
use bgp_examples::router::Router;
use bgp_examples::sim::{Net, NodeId};
use bgp_fsm::StateKind;
use bgp_policy::{Config, Policies};
use bgp_wire::attr::NextHop;

fn router(text: &str, seed: u64) -> Router {
    let (policy, rest) = Config::parse_full(text).expect("policy statements");
    let bgp = BgpConfig::parse(rest.iter().map(|l| (l.line, l.text.as_str()))).expect("router bgp");
    Router::new(
        bgp,
        std::sync::Arc::new(Policies::new(policy)),
        epoch(),
        seed,
    )
    .expect("router")
}

fn epoch() -> Instant {
    use std::sync::OnceLock;
    static E: OnceLock<Instant> = OnceLock::new();
    *E.get_or_init(bgp_examples::driver::clock)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

const BORDER: &str = "\
ip prefix-list hostroutes seq 5 permit 0.0.0.0/0 ge 32
!
router bgp 65001
 bgp router-id 10.0.0.1
 neighbor 10.0.0.5 remote-as 65001
 neighbor 10.0.0.5 update-source 10.0.0.1
 neighbor 10.0.0.5 next-hop-self
 neighbor 10.0.0.5 default-originate
 neighbor 10.0.0.5 prefix-list hostroutes in
exit
";

/// The route server: the configuration, verbatim, plus a listen
/// range for the hosts.
const ROUTE_SERVER: &str = "\
ip prefix-list defaultroute seq 5 permit 0.0.0.0/0
ip prefix-list hostroutes seq 5 permit 0.0.0.0/0 ge 32
ip prefix-list alldynamicroutes seq 5 permit 0.0.0.0/0 ge 32
ip prefix-list alldynamicroutes seq 100 deny any
!
router bgp 65001
 bgp router-id 10.0.0.5
 bgp listen range 10.1.0.0/16 peer-group hosts
 neighbor border peer-group
 neighbor border soft-reconfiguration inbound
 neighbor border update-source 10.0.0.5
 neighbor border route-server-client
 neighbor border prefix-list defaultroute in
 neighbor border prefix-list alldynamicroutes out
 neighbor 10.0.0.1 remote-as 65001
 neighbor 10.0.0.1 peer-group border
 neighbor 10.0.0.1 description border router 1
 neighbor hosts peer-group
 neighbor hosts remote-as internal
 neighbor hosts route-server-client
 neighbor hosts prefix-list hostroutes in
 neighbor hosts prefix-list defaultroute out
exit
";

fn host(addr: &str, networks: &[&str]) -> String {
    let mut s = format!(
        "router bgp 65001\n bgp router-id {addr}\n neighbor 10.0.0.5 remote-as 65001\n neighbor 10.0.0.5 update-source {addr}\n"
    );
    for n in networks {
        s.push_str(&format!(" network {n}\n"));
    }
    s
}

struct Lab {
    net: Net,
    border: NodeId,
    rs: NodeId,
    hosts: Vec<NodeId>,
}

fn lab() -> Lab {
    let mut net = Net::new(epoch(), Duration::from_millis(1));
    let border = net.add(ip("10.0.0.1"), router(BORDER, 1));
    let rs = net.add(ip("10.0.0.5"), router(ROUTE_SERVER, 2));
    let hosts = vec![
        net.add(
            ip("10.1.0.10"),
            router(
                &host("10.1.0.10", &["203.0.113.10/32", "203.0.113.0/24"]),
                3,
            ),
        ),
        net.add(
            ip("10.1.0.11"),
            router(&host("10.1.0.11", &["203.0.113.11/32"]), 4),
        ),
    ];
    Lab {
        net,
        border,
        rs,
        hosts,
    }
}

fn next_hop(net: &Net, node: NodeId, prefix: &str) -> Option<NextHop> {
    let best = net.nodes[node].rib().best(&prefix.parse().unwrap())?;
    best.attrs.next_hop.clone()
}

#[test]
fn the_seed_network_converges() {
    let mut lab = lab();
    lab.net
        .settle(Duration::from_secs(1), Duration::from_secs(120));
    let now = lab.net.now();
    for (node, peers) in lab.net.sessions(now) {
        for (addr, state) in peers {
            assert_eq!(
                state,
                StateKind::Established,
                "node {node} ↔ {addr}: {:?}",
                lab.net.log
            );
        }
    }
    let b = lab.border;
    // The border learns each host /32 with the host as next hop (the route
    // server is transparent); the /24 is filtered.
    assert_eq!(
        next_hop(&lab.net, b, "203.0.113.10/32"),
        Some(NextHop::V4("10.1.0.10".parse().unwrap()))
    );
    assert_eq!(
        next_hop(&lab.net, b, "203.0.113.11/32"),
        Some(NextHop::V4("10.1.0.11".parse().unwrap()))
    );
    assert!(next_hop(&lab.net, b, "203.0.113.0/24").is_none());
    assert!(next_hop(&lab.net, lab.rs, "203.0.113.0/24").is_none());
    // Every host has the default via the border.
    for &h in &lab.hosts {
        assert_eq!(
            next_hop(&lab.net, h, "0.0.0.0/0"),
            Some(NextHop::V4("10.0.0.1".parse().unwrap())),
            "host {h}"
        );
    }
    // Host 1 does not get host 2's /32 (only the default goes out to hosts).
    assert!(next_hop(&lab.net, lab.hosts[0], "203.0.113.11/32").is_none());
}

#[test]
fn an_address_moves_between_hosts() {
    let mut lab = lab();
    lab.net
        .settle(Duration::from_secs(1), Duration::from_secs(120));
    let p: ipnet::IpNet = "198.51.100.7/32".parse().unwrap();
    let (h0, h1) = (lab.hosts[0], lab.hosts[1]);
    lab.net.with(h0, |r, now| {
        r.announce(now, p, bgp_wire::RouteAttrs::default())
    });
    lab.net
        .settle(Duration::from_millis(100), Duration::from_secs(10));
    assert_eq!(
        next_hop(&lab.net, lab.border, "198.51.100.7/32"),
        Some(NextHop::V4("10.1.0.10".parse().unwrap()))
    );
    let start = lab.net.now();
    lab.net.with(h0, |r, now| r.withdraw(now, p));
    lab.net.with(h1, |r, now| {
        r.announce(now, p, bgp_wire::RouteAttrs::default())
    });
    lab.net
        .settle(Duration::from_millis(100), Duration::from_secs(10));
    assert_eq!(
        next_hop(&lab.net, lab.border, "198.51.100.7/32"),
        Some(NextHop::V4("10.1.0.11".parse().unwrap()))
    );
    assert!(lab.net.now() >= start);
}

#[test]
fn a_host_that_stops_is_withdrawn_by_hold_timer() {
    let mut lab = lab();
    lab.net
        .settle(Duration::from_secs(1), Duration::from_secs(120));
    let h0 = lab.hosts[0];
    lab.net.set_link(h0, lab.rs, false);
    lab.net.run_for(Duration::from_secs(200));
    assert!(next_hop(&lab.net, lab.border, "203.0.113.10/32").is_none());
    assert!(next_hop(&lab.net, lab.border, "203.0.113.11/32").is_some());
    lab.net.set_link(h0, lab.rs, true);
    lab.net.run_for(Duration::from_secs(300));
    assert_eq!(
        next_hop(&lab.net, lab.border, "203.0.113.10/32"),
        Some(NextHop::V4("10.1.0.10".parse().unwrap())),
        "{:?}",
        lab.net.log
    );
}

/// A reload that changes the import policy of a neighbor without
/// soft-reconfiguration: the new policy must be installed, then applied to
/// what the peer resends after our ROUTE-REFRESH (found by the interop
/// suite: the refresh went out but the old policy stayed).
#[test]
fn reload_without_soft_reconfiguration_applies_the_new_import_policy() {
    let mut lab = lab();
    lab.net
        .settle(Duration::from_secs(1), Duration::from_secs(120));
    let b = lab.border;
    assert!(next_hop(&lab.net, b, "203.0.113.10/32").is_some());
    let stricter = BORDER.replace(
        "ip prefix-list hostroutes seq 5 permit 0.0.0.0/0 ge 32",
        "ip prefix-list hostroutes seq 1 deny 203.0.113.10/32\nip prefix-list hostroutes seq 5 permit 0.0.0.0/0 ge 32",
    );
    let (policy, rest) = Config::parse_full(&stricter).expect("policy statements");
    let bgp = BgpConfig::parse(rest.iter().map(|l| (l.line, l.text.as_str()))).expect("router bgp");
    lab.net
        .with(b, |r, now| {
            r.reconfigure(now, bgp, std::sync::Arc::new(Policies::new(policy)))
        })
        .expect("reconfigure");
    lab.net
        .settle(Duration::from_millis(100), Duration::from_secs(10));
    assert!(
        next_hop(&lab.net, b, "203.0.113.10/32").is_none(),
        "{:?}",
        lab.net.log
    );
    assert!(next_hop(&lab.net, b, "203.0.113.11/32").is_some());
}

/// When ConnectRetry expires with the connection attempt still pending, the
/// new attempt replaces it: the old one is closed, a late success of it is
/// refused, and only the new connection feeds the session. (A guard: the
/// session already reports the old attempt's end before asking for a new
/// one; the router closes a pending attempt itself too, and refuses a late
/// success.)
#[test]
fn a_retried_connection_replaces_the_pending_one() {
    use bgp_examples::router::Output;
    let text = "router bgp 65001\n bgp router-id 10.0.0.9\n neighbor 10.0.0.8 remote-as 65001\n neighbor 10.0.0.8 timers connect 1\n";
    let t0 = epoch();
    let mut r = Router::from_text(text, t0, 1).unwrap();
    let drain = |r: &mut Router| std::iter::from_fn(|| r.poll_output()).collect::<Vec<_>>();
    let connects = |o: &[Output]| {
        o.iter()
            .filter_map(|o| match o {
                Output::Connect { conn, .. } => Some(*conn),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let closes = |o: &[Output]| {
        o.iter()
            .filter_map(|o| match o {
                Output::Close { conn } => Some(*conn),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let first = connects(&drain(&mut r));
    assert_eq!(first.len(), 1);
    let c1 = first[0];
    // Nobody answers; the retry timer fires (possibly more than once).
    let mut now = t0;
    let mut c2 = None;
    for _ in 0..10 {
        now = r.poll_timeout().expect("a ConnectRetry deadline");
        r.handle_timeout(now);
        let out = drain(&mut r);
        if let Some(&c) = connects(&out).first() {
            assert!(
                closes(&out).contains(&c1),
                "the pending attempt is not closed: {out:?}"
            );
            c2 = Some(c);
            break;
        }
    }
    let c2 = c2.expect("a second connection attempt");
    assert_ne!(c1, c2);
    // The first attempt succeeds late: refused.
    let local: std::net::SocketAddr = "10.0.0.9:40000".parse().unwrap();
    r.connected(now, c1, local);
    assert_eq!(closes(&drain(&mut r)), [c1]);
    assert_eq!(r.state(ip("10.0.0.8")), Some(StateKind::Connect));
    // The second succeeds: OPEN goes out on it, and only on it.
    r.connected(now, c2, local);
    let out = drain(&mut r);
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Send { conn, .. } if *conn == c2))
    );
    assert!(
        !out.iter()
            .any(|o| matches!(o, Output::Send { conn, .. } if *conn == c1))
    );
    assert_eq!(r.state(ip("10.0.0.8")), Some(StateKind::OpenSent));
    // Bytes on the refused connection do not reach the session.
    r.input(now, c1, &bgp_wire::message::KEEPALIVE);
    assert_eq!(r.state(ip("10.0.0.8")), Some(StateKind::OpenSent));
}

fn open_from(asn: u32, id: &str) -> Vec<u8> {
    use bgp_wire::capability::Capability;
    use bgp_wire::open::OpenMessage;
    let mut peer = Vec::new();
    OpenMessage::new(
        asn,
        90,
        id.parse().unwrap(),
        vec![
            Capability::Multiprotocol(bgp_wire::Family::IPV4_UNICAST),
            Capability::FourOctetAs(asn),
        ],
    )
    .emit(&mut peer)
    .unwrap();
    peer.extend_from_slice(&bgp_wire::message::KEEPALIVE);
    peer
}

/// A router with one eBGP neighbor 10.0.0.8 whose own connection is open
/// (OpenSent), and an inbound connection from the peer accepted as a
/// collision candidate: (router, our connection, the peer's connection).
fn colliding(router_id: &str) -> (Router, u64, u64) {
    use bgp_examples::router::Output;
    let text = format!(
        "router bgp 65001\n bgp router-id {router_id}\n neighbor 10.0.0.8 remote-as 65002\n no bgp ebgp-requires-policy\n"
    );
    let now = epoch();
    let mut r = Router::from_text(&text, now, 1).unwrap();
    let out: Vec<_> = std::iter::from_fn(|| r.poll_output()).collect();
    let c1 = out
        .iter()
        .find_map(|o| match o {
            Output::Connect { conn, .. } => Some(*conn),
            _ => None,
        })
        .expect("a connection attempt");
    r.connected(now, c1, "10.0.0.9:40000".parse().unwrap());
    let c2 = r
        .accept(
            now,
            "10.0.0.8:40001".parse().unwrap(),
            "10.0.0.9:179".parse().unwrap(),
        )
        .expect("accepted while ours is in OpenSent");
    while r.poll_output().is_some() {}
    (r, c1, c2)
}

fn established_logs(o: &[bgp_examples::router::Output]) -> usize {
    o.iter()
        .filter(|o| matches!(o, bgp_examples::router::Output::Log(l) if l.contains("established")))
        .count()
}

fn closed(o: &[bgp_examples::router::Output], c: u64) -> bool {
    o.iter()
        .any(|o| matches!(o, bgp_examples::router::Output::Close { conn } if *conn == c))
}

/// A connection collision (RFC 4271 §6.8) where one side gets the peer's
/// OPEN and KEEPALIVE in a single read, so that a session reaches
/// Established before the collision check runs: exactly one session
/// survives, the one the rules pick, and it carries on (found by the
/// interop suite: a peer logged established twice with no session down
/// between, over two connections).
#[test]
fn a_collision_decided_in_one_read_leaves_one_session() {
    let now = epoch();
    let peer = open_from(65002, "10.0.0.8");
    // 1. Ours establishes first: the candidate must lose whatever the IDs.
    for id in ["10.0.0.9", "10.0.0.7"] {
        let (mut r, c1, c2) = colliding(id);
        r.input(now, c1, &peer);
        let mut out: Vec<_> = std::iter::from_fn(|| r.poll_output()).collect();
        r.input(now, c2, &peer);
        out.extend(std::iter::from_fn(|| r.poll_output()));
        assert_eq!(established_logs(&out), 1, "{id}: {out:?}");
        assert!(closed(&out, c2) && !closed(&out, c1), "{id}: {out:?}");
        assert_eq!(r.state(ip("10.0.0.8")), Some(StateKind::Established));
    }
    // 2. The candidate establishes first while ours waits for the peer's
    // OPEN. Our ID is higher: ours must survive and establish next.
    let (mut r, c1, c2) = colliding("10.0.0.9");
    r.input(now, c2, &peer);
    let mut out: Vec<_> = std::iter::from_fn(|| r.poll_output()).collect();
    assert!(closed(&out, c2) && !closed(&out, c1), "{out:?}");
    r.input(now, c1, &peer);
    out.extend(std::iter::from_fn(|| r.poll_output()));
    assert_eq!(established_logs(&out), 1, "{out:?}");
    assert_eq!(r.state(ip("10.0.0.8")), Some(StateKind::Established));
    // 3. Same, but the peer's ID is higher: its connection survives and
    // ours is closed.
    let (mut r, c1, c2) = colliding("10.0.0.7");
    r.input(now, c2, &peer);
    let out: Vec<_> = std::iter::from_fn(|| r.poll_output()).collect();
    assert_eq!(established_logs(&out), 1, "{out:?}");
    assert!(closed(&out, c1) && !closed(&out, c2), "{out:?}");
    assert_eq!(r.state(ip("10.0.0.8")), Some(StateKind::Established));
    r.input(now, c2, &bgp_wire::message::KEEPALIVE);
    assert_eq!(r.state(ip("10.0.0.8")), Some(StateKind::Established));
}

/// A session closed by maximum-prefix (RFC 4486) takes the peer's routes with
/// it, graceful restart or not, and stays down.
#[test]
fn maximum_prefix_closes_and_forgets() {
    for gr in ["", " bgp graceful-restart\n"] {
        let a = format!(
            "router bgp 65001\n bgp router-id 10.0.0.1\n no bgp ebgp-requires-policy\n{gr} neighbor 10.0.0.2 remote-as 65002\n neighbor 10.0.0.2 soft-reconfiguration inbound\n neighbor 10.0.0.2 maximum-prefix 1\n"
        );
        let b = format!(
            "router bgp 65002\n bgp router-id 10.0.0.2\n no bgp ebgp-requires-policy\n{gr} neighbor 10.0.0.1 remote-as 65001\n network 198.18.7.0/24\n network 198.18.8.0/24\n"
        );
        let mut net = Net::new(epoch(), Duration::from_millis(1));
        let na = net.add(ip("10.0.0.1"), Router::from_text(&a, epoch(), 1).unwrap());
        let _nb = net.add(ip("10.0.0.2"), Router::from_text(&b, epoch(), 2).unwrap());
        net.run_for(Duration::from_secs(5));
        let now = net.now();
        let s = &net.nodes[na].summary(now)[0];
        assert_ne!(s.state, StateKind::Established, "{gr:?}: {:?}", net.log);
        assert_eq!((s.received, s.accepted), (0, 0), "{gr:?}: {s:?}");
        assert!(
            net.nodes[na]
                .rib()
                .best(&"198.18.7.0/24".parse().unwrap())
                .is_none(),
            "{gr:?}"
        );
    }
}

/// Router A of the maximum-prefix reload tests: eBGP to 10.0.0.2 with
/// graceful restart and soft-reconfiguration; `extra` adds neighbor lines.
fn limit_cfg(extra: &str) -> String {
    format!(
        "router bgp 65001\n bgp router-id 10.0.0.1\n no bgp ebgp-requires-policy\n bgp graceful-restart\n neighbor 10.0.0.2 remote-as 65002\n neighbor 10.0.0.2 soft-reconfiguration inbound\n{extra}"
    )
}

/// Reloads node `na` with `maximum-prefix 1` added to `extra`: the session
/// is reset, the limit trips, and nothing of the peer's stays behind.
fn reload_with_limit_and_check(net: &mut Net, na: NodeId, extra: &str) {
    let text = limit_cfg(&format!("{extra} neighbor 10.0.0.2 maximum-prefix 1\n"));
    let (bgp, pol) = bgp_examples::router::parse_config(&text).unwrap();
    net.with(na, |r, now| {
        r.reconfigure(now, bgp, std::sync::Arc::new(pol)).unwrap()
    });
    net.run_for(Duration::from_secs(10));
    let now = net.now();
    let s = &net.nodes[na].summary(now)[0];
    assert_ne!(s.state, StateKind::Established, "{:?}", net.log);
    assert_eq!((s.received, s.accepted), (0, 0), "{s:?}\n{:?}", net.log);
}

/// The same limit added by a reload (which resets the session because its
/// settings changed) closes the new session and forgets its routes.
#[test]
fn maximum_prefix_added_by_reload_closes_and_forgets() {
    // B sends with ADD-PATH path identifiers, as the ExaBGP interop run does.
    let b = "router bgp 65002\n bgp router-id 10.0.0.2\n no bgp ebgp-requires-policy\n bgp graceful-restart\n neighbor 10.0.0.1 remote-as 65001\n neighbor 10.0.0.1 addpath-tx-all-paths\n network 198.18.7.0/24\n network 198.18.8.0/24\n";
    let mut net = Net::new(epoch(), Duration::from_millis(1));
    let na = net.add(
        ip("10.0.0.1"),
        Router::from_text(&limit_cfg(""), epoch(), 1).unwrap(),
    );
    let _nb = net.add(ip("10.0.0.2"), Router::from_text(b, epoch(), 2).unwrap());
    net.run_for(Duration::from_secs(5));
    let now = net.now();
    assert_eq!(net.nodes[na].summary(now)[0].accepted, 2);
    reload_with_limit_and_check(&mut net, na, "");
}

/// As above, after the peer has crashed and come back under graceful
/// restart (its routes were stale for a while): no stale path outlives its
/// return, and the reload that adds the limit leaves nothing behind.
#[test]
fn maximum_prefix_after_a_graceful_restart_forgets_everything() {
    let extra = " neighbor 10.0.0.2 timers connect 2\n";
    let b = "router bgp 65002\n bgp router-id 10.0.0.2\n no bgp ebgp-requires-policy\n bgp graceful-restart\n neighbor 10.0.0.1 remote-as 65001\n neighbor 10.0.0.1 timers connect 2\n neighbor 10.0.0.1 addpath-tx-all-paths\n network 198.18.7.0/24\n network 198.18.8.0/24\n network 198.18.9.0/24\n";
    let mut net = Net::new(epoch(), Duration::from_millis(1));
    let na = net.add(
        ip("10.0.0.1"),
        Router::from_text(&limit_cfg(extra), epoch(), 1).unwrap(),
    );
    let nb = net.add(ip("10.0.0.2"), Router::from_text(b, epoch(), 2).unwrap());
    net.run_for(Duration::from_secs(5));
    // B crashes and reboots: A keeps its routes stale, then relearns them.
    net.fail(nb);
    net.run_for(Duration::from_millis(500));
    net.restart(nb, Router::from_text(b, net.now(), 3).unwrap());
    net.run_for(Duration::from_secs(200));
    let now = net.now();
    let s = &net.nodes[na].summary(now)[0];
    assert_eq!(
        (s.state, s.accepted),
        (StateKind::Established, 3),
        "{:?}",
        net.log
    );
    let stale = net.nodes[na]
        .rib()
        .loc_rib()
        .filter(|(_, p)| p.stale)
        .count();
    assert_eq!(stale, 0, "stale paths left after the peer came back");
    reload_with_limit_and_check(&mut net, na, extra);
}

/// UPDATEs announcing `prefixes` from AS 65002 (next hop 10.0.0.8), as
/// the peer of [`colliding`] sends them.
fn updates_from_65002(prefixes: &[&str]) -> Vec<u8> {
    use bgp_wire::attr::{AsPathBuf, Origin, PathAttribute};
    let attrs = [
        PathAttribute::Origin(Origin::Igp),
        PathAttribute::AsPath(AsPathBuf::sequence([65002])),
    ];
    let nlri: Vec<bgp_wire::Nlri> = prefixes
        .iter()
        .map(|p| bgp_wire::Nlri::new(p.parse().unwrap()))
        .collect();
    let ctx = bgp_wire::SessionContext {
        four_octet_as: true,
        ..Default::default()
    };
    let mut out = Vec::new();
    bgp_wire::UpdateBuilder::new(ctx)
        .announce(
            bgp_wire::Family::IPV4_UNICAST,
            &attrs,
            &NextHop::V4("10.0.0.8".parse().unwrap()),
            &nlri,
            &mut out,
        )
        .unwrap();
    out
}

/// The End-of-RIB markers in what the router sent.
fn end_of_ribs(o: &[bgp_examples::router::Output]) -> Vec<bgp_wire::Family> {
    let ctx = bgp_wire::SessionContext {
        four_octet_as: true,
        ..Default::default()
    };
    let mut found = Vec::new();
    for o in o {
        if let bgp_examples::router::Output::Send { bytes, .. } = o {
            for (_, m) in bgp_wire::Messages::new(bytes, ctx) {
                if let Ok(bgp_wire::Message::Update(u)) = m {
                    found.extend(u.end_of_rib());
                }
            }
        }
    }
    found
}

/// A peer's initial table is held until its End-of-RIB and then applied
/// in one go; a peer that sends none has its routes applied once it has
/// been quiet for a moment. The router sends its own End-of-RIB after its
/// initial Adj-RIB-Out.
#[test]
fn the_initial_table_is_applied_at_end_of_rib_or_when_the_peer_is_quiet() {
    for eor in [true, false] {
        let (mut r, c1, _c2) = colliding("10.0.0.9");
        let now = epoch();
        r.input(now, c1, &open_from(65002, "10.0.0.8"));
        let out: Vec<_> = std::iter::from_fn(|| r.poll_output()).collect();
        assert_eq!(established_logs(&out), 1, "{out:?}");
        assert_eq!(end_of_ribs(&out), [bgp_wire::Family::IPV4_UNICAST]);
        let t1 = now + Duration::from_millis(10);
        r.input(
            t1,
            c1,
            &updates_from_65002(&["198.51.100.0/24", "192.0.2.0/24"]),
        );
        r.input(t1, c1, &updates_from_65002(&["203.0.113.0/24"]));
        let held = |r: &Router| r.rib().deferred_len();
        assert_eq!(held(&r), 3);
        assert!(r.rib().best(&"192.0.2.0/24".parse().unwrap()).is_none());
        assert!(
            r.poll_timeout()
                .is_some_and(|t| t <= t1 + Duration::from_millis(100))
        );
        if eor {
            r.input(
                t1,
                c1,
                &[[0xff; 16].as_slice(), &[0, 23, 2, 0, 0, 0, 0]].concat(),
            );
        } else {
            // Not yet quiet long enough.
            r.handle_timeout(t1 + Duration::from_millis(99));
            assert_eq!(held(&r), 3);
            let t = r.poll_timeout().unwrap();
            assert_eq!(t, t1 + Duration::from_millis(100));
            r.handle_timeout(t);
        }
        assert_eq!(held(&r), 0, "eor {eor}");
        assert_eq!(r.rib().loc_rib().count(), 3, "eor {eor}");
        // Deferral is over: the next UPDATE goes straight in.
        r.input(t1, c1, &updates_from_65002(&["198.18.0.0/15"]));
        assert_eq!(held(&r), 0);
        assert_eq!(r.rib().loc_rib().count(), 4);
        let out: Vec<_> = std::iter::from_fn(|| r.poll_output()).collect();
        assert!(end_of_ribs(&out).is_empty(), "End-of-RIB is sent once");
    }
}

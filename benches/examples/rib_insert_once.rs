//! Inserts the full IPv4 and IPv6 tables from one peer into a RIB once and
//! prints the time: a fixed amount of work for `perf record` or
//! `valgrind --tool=callgrind`.
//!
//! With the argument `speaker` the peer's session is up and both change
//! streams (Loc-RIB, and the sender's own Adj-RIB-Out, which gets nothing)
//! are drained every 10,000 routes, as the example speaker does.
//!
//! With `shuffled` it does what `speaker` does with both tables in a
//! deterministic random order (UPDATEs of ten random prefixes).
//!
//! With `deferred` it does what `shuffled` does with the peer's routes held
//! until its End-of-RIB ([`Rib::defer_until_end_of_rib`]).
//!
//! With `relearn` the table is inserted, the peer goes down (its routes
//! withdrawn and drained), and the timed insertion is the table coming
//! back after the session reset, into the memory the first one left.
//!
//! It prints the page faults of the timed part too (Linux), and how long
//! writing to as many fresh pages takes by itself: the part of the time
//! that is the kernel handing out memory.
//!
//! With `route-map` the peer's import policy is bgp-policy's
//! `route-map ALLOW permit 10`, which says it permits everything
//! (`Policy::permits_all`), so the RIB skips it per route. With
//! `route-map-lp` the map is `route-map LP permit 10` with
//! `set local-preference 200`: every route is permitted with a changed
//! attribute set, and the map says that its answer ignores the prefix
//! (`Policy::ignores_prefix`), so the RIB asks it once per UPDATE. With
//! `-each` appended (`route-map-each`, `route-map-lp-each`) the same map
//! is asked about every route.
//!
//! With `export` (`export-each`, `export-comm`, `export-comm-each`) a
//! second eBGP peer is up with `ALLOW` (or `route-map COMM permit 10` with
//! `set community 65000:1 additive`) as its export policy, and the insert
//! runs as `speaker` does, draining that peer's Adj-RIB-Out too.
//!
//! With `reconfig` (`reconfig-lp`, and `-each` for both) the peer has
//! soft-reconfiguration inbound, and after the insertion its import policy
//! is replaced by `ALLOW` (or `LP`): the time of re-evaluating the stored
//! table is printed on a second line.
//!
//! With `churn` (or `churn-out`, adding one established eBGP peer whose
//! Adj-RIB-Out is drained too) it loads the IPv4 table and then replays the
//! one-day churn as the `rib` bench does; `replay` is then the function to
//! count (`--toggle-collect=rib_insert_once::replay`).
//!
//! With `flaps` (or `flaps-each`) 200 hosts then come up beside the table
//! as iBGP peers that announce a /32 each and are sent only the default
//! route, go down, and come up again; then a border sends them the default
//! route, each host's export policy is replaced, and each host's
//! Adj-RIB-In and Adj-RIB-Out are listed: see [`host_flaps`].
//!
//! With `repeat` it inserts the table into a new RIB (its peer up, as in
//! the `rib` bench) eight times in one process, dropping each RIB before
//! the next, and prints each insertion's time and page faults: what
//! criterion's `rib/insert_full_table/bgp-rib` measures. From the second
//! insertion on, glibc has raised its mmap threshold (a process that frees
//! a block it had mapped raises it to that block's size, up to 32 MiB), so
//! the trie's arrays grow below it by copying on the heap instead of by
//! `mremap`. `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072` fixes the
//! threshold at its initial value and so takes that effect away;
//! `repeat-reserve` calls `Rib::reserve` with the table's size before each
//! insertion (outside the timed part), so that no array grows. Its
//! reservations are each just below 32 MiB, so once the threshold is up
//! they come from glibc's heap, and from the third round on they reuse the
//! previous round's pages (a round then faults in none: what a relearnt
//! table costs, not a fresh one).
#![allow(missing_docs)]
#![allow(clippy::disallowed_methods)] // a benchmark harness reads the clock

use std::sync::Arc;
use std::time::Instant;

use bgp_benches::rib_data::{self, ChurnOp};
use bgp_policy::Policies;
use bgp_rib::policy::{Policy, PolicyRoute};
use bgp_rib::{PeerConfig, PeerId, Rib, RibConfig};
use bgp_wire::Nlri;

/// The churn replay of the `rib` bench.
#[inline(never)]
fn replay(rib: &mut Rib, p: PeerId, out: Option<PeerId>, ops: &[ChurnOp]) {
    let mut pending = 0usize;
    for (k, chunk) in ops.chunks(10).enumerate() {
        let attrs = rib_data::attrs(0, 2_000_000 + k as u32, false);
        for op in chunk {
            match op {
                ChurnOp::Announce(n) => rib.announce(p, attrs.clone(), &[Nlri::new(*n)]).unwrap(),
                ChurnOp::Withdraw(n) => rib.withdraw(p, &[Nlri::new(*n)]).unwrap(),
            }
        }
        pending += chunk.len();
        if pending >= 10_000 {
            pending = 0;
            std::hint::black_box(rib.drain_loc_rib().len());
            if let Some(o) = out {
                std::hint::black_box(rib.drain_adj_rib_out(o).unwrap().len());
            }
        }
    }
    std::hint::black_box(rib.drain_loc_rib().len());
}

fn main() {
    let Some(mut t) = rib_data::load_or_skip("rib_insert_once") else {
        return;
    };
    let mode = std::env::args().nth(1).unwrap_or_default();
    let churn = mode.starts_with("churn");
    if churn {
        t.v6.clear();
    }
    // `deferred`: `shuffled`, with the peer's routes held until its
    // End-of-RIB and applied in prefix order (`Rib::defer_until_end_of_rib`).
    let deferred = mode == "deferred";
    if mode == "shuffled" || deferred {
        t.v4 = rib_data::shuffled(std::mem::take(&mut t.v4));
        t.v6 = rib_data::shuffled(std::mem::take(&mut t.v6));
    }
    let mut input = Vec::new();
    for (table, v6) in [(&t.v4, false), (&t.v6, true)] {
        for (set, ps) in rib_data::groups(table) {
            let set = set + if v6 { 1_000_000 } else { 0 };
            let nlri: Vec<Nlri> = ps.iter().map(|p| Nlri::new(*p)).collect();
            input.push((rib_data::attrs(0, set, v6), nlri));
        }
    }
    let n: usize = input.iter().map(|x| x.1.len()).sum();
    if mode.starts_with("repeat") {
        let reserve = (mode == "repeat-reserve").then_some((t.v4.len(), t.v6.len()));
        repeat(&input, n, reserve);
        return;
    }
    let mut rib = Rib::new(RibConfig::new(65000, [10, 0, 0, 254].into()));
    // `route-map…` and `export…`: the route-map as a policy, as bgp-policy
    // hands it to a RIB or (`-each`) asked about every route.
    let map_policy = || -> bgp_rib::SharedPolicy {
        let policies: &'static Policies = Box::leak(Box::new(
            Policies::parse(
                "route-map ALLOW permit 10\n\
                 route-map LP permit 10\n set local-preference 200\n\
                 route-map COMM permit 10\n set community 65000:1 additive\n",
            )
            .unwrap(),
        ));
        let name = match mode.as_str() {
            m if m.starts_with("export-comm") => "COMM",
            m if m.contains("-lp") => "LP",
            _ => "ALLOW",
        };
        let map = policies.route_map(name);
        if mode.ends_with("-each") {
            // The same answers, without `permits_all` and `ignores_prefix`.
            Arc::new(move |r: &PolicyRoute<'_>| map.evaluate(r))
        } else {
            Arc::new(map)
        }
    };
    let mut pc = PeerConfig::new(rib_data::peer_info(0, 64600));
    if mode.starts_with("route-map") {
        pc.import = map_policy();
    }
    let reconfig = mode.starts_with("reconfig");
    pc.soft_reconfiguration_inbound = reconfig;
    let p = rib.add_peer(pc).unwrap();
    // `export…`: a second eBGP peer, up, with the route-map as its export
    // policy; its Adj-RIB-Out is drained with the Loc-RIB.
    let export_to = mode.starts_with("export").then(|| {
        let mut pc = PeerConfig::new(rib_data::peer_info(1, 64700));
        pc.export = map_policy();
        let o = rib.add_peer(pc).unwrap();
        rib.peer_up(o).unwrap();
        o
    });
    let speaker = mode == "speaker" || mode == "shuffled" || deferred || export_to.is_some();
    if speaker || churn {
        rib.peer_up(p).unwrap();
    }
    if deferred {
        let fams = [
            bgp_wire::Family::IPV4_UNICAST,
            bgp_wire::Family::IPV6_UNICAST,
        ];
        rib.defer_until_end_of_rib(p, fams.into_iter().collect())
            .unwrap();
    }
    let out = (mode == "churn-out").then(|| {
        let o = rib
            .add_peer(PeerConfig::new(rib_data::peer_info(1, 64700)))
            .unwrap();
        rib.peer_up(o).unwrap();
        o
    });
    if mode == "relearn" {
        // The session was up with the table, and went down: the timed
        // insertion is the table coming back into the memory it left.
        rib.peer_up(p).unwrap();
        for (attrs, nlri) in input.clone() {
            rib.announce(p, attrs, &nlri).unwrap();
        }
        rib.drain_loc_rib();
        rib.peer_down(p).unwrap();
        rib.drain_loc_rib();
        assert_eq!(rib.prefix_count(), (0, 0));
        rib.peer_up(p).unwrap();
    }
    let f0 = minflt();
    let start = Instant::now();
    let mut pending = 0;
    for (attrs, nlri) in input {
        pending += nlri.len();
        rib.announce(p, attrs, &nlri).unwrap();
        if speaker && pending >= 10_000 {
            pending = 0;
            std::hint::black_box(rib.drain_loc_rib().len());
            std::hint::black_box(rib.drain_adj_rib_out(p).unwrap().len());
            if let Some(o) = export_to {
                std::hint::black_box(rib.drain_adj_rib_out(o).unwrap().len());
            }
        }
    }
    if deferred {
        rib.end_of_rib(p, bgp_wire::Family::IPV4_UNICAST).unwrap();
        rib.end_of_rib(p, bgp_wire::Family::IPV6_UNICAST).unwrap();
    }
    if speaker {
        std::hint::black_box(rib.drain_loc_rib().len());
        std::hint::black_box(rib.drain_adj_rib_out(p).unwrap().len());
        if let Some(o) = export_to {
            std::hint::black_box(rib.drain_adj_rib_out(o).unwrap().len());
        }
    }
    let el = start.elapsed();
    let faults = minflt() - f0;
    println!(
        "{n} routes in {el:?}: {:.2} M routes/s, {faults} page faults",
        n as f64 / el.as_secs_f64() / 1e6,
    );
    if faults > 0 {
        println!(
            "touching as many fresh pages alone takes {:?}",
            touch_fresh_pages(faults)
        );
    }
    if reconfig {
        rib.drain_loc_rib();
        let policy = map_policy();
        let start = Instant::now();
        let _ = rib.set_import_policy(p, policy).unwrap();
        let el = start.elapsed();
        let changes = rib.drain_loc_rib().len();
        println!(
            "import policy replaced, {n} routes re-evaluated in {el:?}: {:.2} M routes/s, {changes} Loc-RIB changes",
            n as f64 / el.as_secs_f64() / 1e6,
        );
    }
    if mode.starts_with("flaps") {
        host_flaps(&mut rib, mode == "flaps-each");
    }
    if churn {
        rib.drain_loc_rib();
        if let Some(o) = out {
            rib.drain_adj_rib_out(o).unwrap();
        }
        let start = Instant::now();
        replay(&mut rib, p, out, &t.churn);
        let el = start.elapsed();
        println!(
            "{} churn operations in {el:?}: {:.0} K ops/s",
            t.churn.len(),
            t.churn.len() as f64 / el.as_secs_f64() / 1e3
        );
    }
}

/// `flaps`: the users' route server beside a full table. Hosts come up as
/// iBGP peers, each announcing its own /32 and sent only the default route
/// (`ip prefix-list DEFAULT-ONLY permit 0.0.0.0/0` as the export filter),
/// and go down again: the time of each kind of session event, which should
/// depend on the host's few routes, not on the table. With `each` the same
/// list is asked about every route, as a closure that makes no claims.
fn host_flaps(rib: &mut Rib, each: bool) {
    const HOSTS: u16 = 200;
    rib.drain_loc_rib();
    let policies =
        Arc::new(Policies::parse("ip prefix-list DEFAULT-ONLY seq 5 permit 0.0.0.0/0\n").unwrap());
    let list = bgp_policy::SharedPrefixList::new(
        policies,
        bgp_policy::prefix_list::AddrFamily::Ipv4,
        "DEFAULT-ONLY",
    );
    let only_default: bgp_rib::SharedPolicy = if each {
        Arc::new(move |r: &PolicyRoute<'_>| list.evaluate(r))
    } else {
        Arc::new(list)
    };
    let host = |i: u16| std::net::Ipv4Addr::new(100, 64, (i >> 8) as u8, i as u8);
    let mut peers = Vec::new();
    let (mut up, mut down) = (Vec::new(), Vec::new());
    for i in 0..HOSTS {
        let mut pc = PeerConfig::new(bgp_rib::policy::PeerInfo {
            address: host(i).into(),
            local_address: [100, 64, 255, 254].into(),
            asn: 65000,
            local_asn: 65000,
            router_id: host(i),
            role: None,
        });
        pc.export = only_default.clone();
        let h = rib.add_peer(pc).unwrap();
        peers.push(h);
    }
    for round in 0..2 {
        for (i, &h) in peers.iter().enumerate() {
            let start = Instant::now();
            rib.peer_up(h).unwrap();
            let mut attrs = rib_data::attrs(0, 3_000_000 + i as u32, false);
            attrs.as_path = Default::default();
            attrs.next_hop = Some(bgp_wire::attr::NextHop::V4(host(i as u16)));
            let net = ipnet::IpNet::V4(ipnet::Ipv4Net::new(host(i as u16), 32).unwrap());
            rib.announce(h, attrs, &[Nlri::new(net)]).unwrap();
            std::hint::black_box(rib.drain_loc_rib().len());
            std::hint::black_box(rib.drain_adj_rib_out(h).unwrap().len());
            up.push(start.elapsed());
        }
        if round == 0 {
            for &h in &peers {
                let start = Instant::now();
                rib.peer_down(h).unwrap();
                std::hint::black_box(rib.drain_loc_rib().len());
                down.push(start.elapsed());
            }
        }
    }
    // A border sends the default route, and every host is sent it.
    let border = rib
        .add_peer(PeerConfig::new(bgp_rib::policy::PeerInfo {
            address: [100, 64, 255, 1].into(),
            local_address: [100, 64, 255, 254].into(),
            asn: 65001,
            local_asn: 65000,
            router_id: [100, 64, 255, 1].into(),
            role: None,
        }))
        .unwrap();
    rib.peer_up(border).unwrap();
    let mut attrs = rib_data::attrs(0, 3_500_000, false);
    attrs.next_hop = Some(bgp_wire::attr::NextHop::V4([100, 64, 255, 1].into()));
    rib.announce(border, attrs, &[Nlri::new("0.0.0.0/0".parse().unwrap())])
        .unwrap();
    rib.drain_loc_rib();
    for &h in &peers {
        assert_eq!(rib.drain_adj_rib_out(h).unwrap().len(), 1);
    }
    // The operator edits the hosts' outbound list (re-applied unchanged
    // here: nothing is sent, all must be checked), and looks at what a
    // host sent and was sent (`show bgp neighbor … received-routes` and
    // `advertised-routes`).
    let policies = Arc::new(
        Policies::parse(
            "ip prefix-list DEFAULT-ONLY seq 5 permit 0.0.0.0/0\n\
             ip prefix-list DEFAULT-ONLY seq 10 deny 0.0.0.0/0 le 32\n",
        )
        .unwrap(),
    );
    let list = bgp_policy::SharedPrefixList::new(
        policies,
        bgp_policy::prefix_list::AddrFamily::Ipv4,
        "DEFAULT-ONLY",
    );
    let edited: bgp_rib::SharedPolicy = if each {
        Arc::new(move |r: &PolicyRoute<'_>| list.evaluate(r))
    } else {
        Arc::new(list)
    };
    let (mut reapply, mut shown) = (Vec::new(), Vec::new());
    for &h in &peers {
        let start = Instant::now();
        rib.set_export_policy(h, edited.clone()).unwrap();
        let n = rib.drain_adj_rib_out(h).unwrap().len();
        reapply.push(start.elapsed());
        assert_eq!(n, 0, "the edit changes nothing");
        let start = Instant::now();
        let (i, o) = (rib.adj_rib_in(h), rib.adj_rib_out(h));
        shown.push(start.elapsed());
        assert_eq!((i.len(), o.len()), (1, 1), "a /32 in, the default out");
    }
    for v in [&mut up, &mut down, &mut reapply, &mut shown] {
        v.sort();
    }
    let med = |v: &[std::time::Duration]| v[v.len() / 2];
    println!(
        "{HOSTS} host sessions beside the table: up + one /32 + drains median {:?} (max {:?}), down + drain median {:?} (max {:?})",
        med(&up),
        up[up.len() - 1],
        med(&down),
        down[down.len() - 1],
    );
    println!(
        "export policy replaced + drain median {:?} (max {:?}), Adj-RIB-In + Adj-RIB-Out listed median {:?} (max {:?})",
        med(&reapply),
        reapply[reapply.len() - 1],
        med(&shown),
        shown[shown.len() - 1],
    );
}

/// `repeat`: the table into a new RIB eight times in one process, as
/// criterion's `iter_batched` runs it (a clone of the input made before the
/// clock starts; the RIB dropped after it stops).
/// With `reserve`, [`Rib::reserve`] is called for (IPv4, IPv6) prefixes
/// first.
fn repeat(input: &[(bgp_wire::RouteAttrs, Vec<Nlri>)], n: usize, reserve: Option<(usize, usize)>) {
    for round in 1..=8 {
        let mut rib = Rib::new(RibConfig::new(65000, [10, 0, 0, 254].into()));
        let p = rib
            .add_peer(PeerConfig::new(rib_data::peer_info(0, 64600)))
            .unwrap();
        rib.peer_up(p).unwrap();
        if let Some((v4, v6)) = reserve {
            rib.reserve(v4, v6);
        }
        let input = input.to_vec();
        let f0 = minflt();
        let start = Instant::now();
        for (attrs, nlri) in input {
            rib.announce(p, attrs, &nlri).unwrap();
        }
        let el = start.elapsed();
        println!(
            "round {round}: {n} routes in {el:?}: {:.2} M routes/s, {} page faults",
            n as f64 / el.as_secs_f64() / 1e6,
            minflt() - f0
        );
        drop(rib);
    }
}

/// The time it takes to write one octet to each of `n` fresh pages of 4
/// KiB: what the kernel charges for the memory itself, whoever uses it.
fn touch_fresh_pages(n: u64) -> std::time::Duration {
    // Zeroed memory this large comes straight from the kernel (calloc,
    // mmap), its pages not yet faulted in.
    let mut v = vec![0u8; n as usize * 4096];
    let start = Instant::now();
    for i in (0..v.len()).step_by(4096) {
        v[i] = 1;
    }
    let el = start.elapsed();
    std::hint::black_box(&v);
    el
}

/// The minor page faults of this process so far (Linux: field 10 of
/// `/proc/self/stat`), 0 where that file cannot be read.
fn minflt() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 2..];
            rest.split(' ').nth(7)?.parse().ok()
        })
        .unwrap_or(0)
}

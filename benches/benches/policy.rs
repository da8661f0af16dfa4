//! bgp-policy throughput (issue 5):
//!
//! - `prefix_list/lookup`: a 100,000-entry prefix-list built from the full
//!   table in `../shared/data/prefixes/` (every tenth prefix; exact, `le`
//!   and `ge`/`le` entries, permits and denies), looked up for each of the
//!   table's 1,042,325 prefixes. Target: 20 million lookups per second.
//! - `route_map/*`: a 10-entry route-map with prefix-list, AS-path and
//!   community matches and a few sets, applied to the 1,042,325 prefixes
//!   with realistic attributes: the distinct attribute sets of a real full
//!   table (`../shared/data/mrt/rib.pch-as3856-fulltable.20151023.tdv2.gz`),
//!   shared by ten prefixes each, as in a RIB that interns them. Target: 10
//!   million routes per second.
//!   - `evaluator_warm`: `Evaluator::evaluate_keyed` re-evaluating the table
//!     (its memory filled by the previous pass, as on a RIB's soft
//!     reconfiguration), keyed by the attribute set's index as an interning
//!     RIB would key it by its attribute-set id;
//!   - `evaluator_warm_checked`: the same with `Evaluator::evaluate`, which
//!     keys on the attribute set's address and compares the attributes to
//!     make sure;
//!   - `evaluator_cold`: a new `Evaluator` per pass (every attribute set's
//!     expressions run once);
//!   - `policy_trait`: the plain `Policy::evaluate` (no memory; copies the
//!     attributes of every route a set changes), on the first 100,000 routes.
//! - `neighbor_filter/*`: a neighbor's prefix-list and route-map on 100,000
//!   synthetic host routes (no input files), looked up by name per route
//!   against `SharedPrefixList`/`SharedRouteMap`, looked up once.
//!
//! Each group is skipped, saying so, when its input is absent.
#![allow(missing_docs)]

use std::collections::HashSet;
use std::hint::black_box;
use std::io::{BufRead, BufReader, Read};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;

use bgp_policy::bgp_rib::policy::{Direction, PeerInfo, Policy, PolicyRoute, Source, Verdict};
use bgp_policy::{
    Action, AddrFamily, Policies, PrefixList, PrefixListEntry, PrefixMatch, SharedPrefixList,
    SharedRouteMap,
};
use bgp_wire::mrt::{Record, Records};
use bgp_wire::{Family, RouteAttrs};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use ipnet::IpNet;

fn data(rel: &str) -> Option<std::fs::File> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(rel);
    match std::fs::File::open(&path) {
        Ok(f) => Some(f),
        Err(_) => {
            eprintln!("skipping policy bench input: {} is absent", path.display());
            None
        }
    }
}

/// The 1,042,325 IPv4 prefixes of the full table.
fn table() -> Option<Vec<IpNet>> {
    let f = data("prefixes/20260511-initial-state-peer-193.0.0.56AS3333.txt.gz")?;
    let r = BufReader::new(flate2::read::GzDecoder::new(f));
    Some(
        r.lines()
            .map_while(Result::ok)
            .filter_map(|l| l.trim().parse().ok())
            .collect(),
    )
}

/// Distinct attribute sets of a real full table, in table order.
fn attribute_sets(max: usize) -> Option<Vec<RouteAttrs>> {
    let f = data("mrt/rib.pch-as3856-fulltable.20151023.tdv2.gz")?;
    let mut buf = Vec::new();
    flate2::read::GzDecoder::new(f).read_to_end(&mut buf).ok()?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    'records: for rec in Records::new(&buf).flatten() {
        let Ok(Record::Rib(rib)) = rec.decode() else {
            continue;
        };
        for e in rib.entries() {
            let Ok(u) = rib.update(&e) else { continue };
            let a = RouteAttrs::from_update(&u, Family::IPV4_UNICAST);
            if seen.insert(a.clone()) {
                out.push(a);
                if out.len() == max {
                    break 'records;
                }
            }
        }
    }
    Some(out)
}

/// Every tenth prefix of the table as an entry: mostly exact, some `le`,
/// some `ge`/`le`, one in eight a deny.
fn big_list(table: &[IpNet]) -> PrefixList {
    let entries = table
        .iter()
        .step_by(10)
        .take(100_000)
        .enumerate()
        .map(|(i, p)| {
            let len = p.prefix_len();
            let (ge, le) = match i % 10 {
                0 | 1 if len < 24 => (None, Some(24)),
                2 if len < 22 => (Some(len + 1), Some(24)),
                _ => (None, None),
            };
            PrefixListEntry {
                seq: (i as u32 + 1) * 5,
                action: if i % 8 == 0 {
                    Action::Deny
                } else {
                    Action::Permit
                },
                matcher: PrefixMatch::Prefix { prefix: *p, ge, le },
            }
        });
    PrefixList::with_entries("BIG", AddrFamily::Ipv4, entries).unwrap()
}

fn bench_prefix_list(c: &mut Criterion) {
    let Some(table) = table() else { return };
    let list = big_list(&table);
    list.compile();
    let permitted = table.iter().filter(|p| list.permits(p)).count();
    eprintln!(
        "prefix_list: {} entries, {} of {} table prefixes permitted",
        list.entries().len(),
        permitted,
        table.len()
    );
    let mut g = c.benchmark_group("prefix_list");
    g.sample_size(20).sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(table.len() as u64));
    g.bench_function("lookup", |b| {
        b.iter(|| {
            let mut n = 0u32;
            for p in &table {
                n += u32::from(list.permits(black_box(p)));
            }
            n
        })
    });
    g.finish();
}

/// The 10-entry route-map: prefix-list, AS-path and community matches.
fn route_map_config(table: &[IpNet]) -> String {
    let mut c = String::from(
        "ip prefix-list BOGONS seq 5 permit 0.0.0.0/8 le 32
ip prefix-list BOGONS seq 10 permit 10.0.0.0/8 le 32
ip prefix-list BOGONS seq 15 permit 100.64.0.0/10 le 32
ip prefix-list BOGONS seq 20 permit 127.0.0.0/8 le 32
ip prefix-list BOGONS seq 25 permit 169.254.0.0/16 le 32
ip prefix-list BOGONS seq 30 permit 172.16.0.0/12 le 32
ip prefix-list BOGONS seq 35 permit 192.168.0.0/16 le 32
ip prefix-list BOGONS seq 40 permit 224.0.0.0/3 le 32
ip prefix-list BOGONS seq 45 permit 0.0.0.0/0 ge 25
bgp as-path access-list TIER1 seq 5 permit _(174|1299|2914|3257|3356|6453|6762)_
bgp as-path access-list LONG seq 5 permit ^[0-9]+( [0-9]+){9,}$
bgp as-path access-list ORIGIN-GOOGLE seq 5 permit _15169$
bgp community-list standard BLACKHOLE seq 5 permit blackhole
bgp community-list expanded PEER-TAGGED seq 5 permit _3856:[0-9]+_
",
    );
    // Customer cone: 2,000 prefixes of the table with up to /24.
    for (i, p) in table.iter().step_by(500).take(2000).enumerate() {
        let le = if p.prefix_len() < 24 { " le 24" } else { "" };
        c.push_str(&format!(
            "ip prefix-list CUSTOMERS seq {} permit {p}{le}\n",
            (i + 1) * 5
        ));
    }
    c.push_str(
        "route-map IMPORT deny 10
 match ip address prefix-list BOGONS
route-map IMPORT deny 20
 match community BLACKHOLE
route-map IMPORT deny 30
 match as-path LONG
route-map IMPORT permit 40
 match ip address prefix-list CUSTOMERS
 set local-preference 200
 set community 65000:100 additive
route-map IMPORT permit 50
 match as-path ORIGIN-GOOGLE
 set local-preference 150
 set weight 100
route-map IMPORT permit 60
 match as-path TIER1
 set local-preference 90
 on-match next
route-map IMPORT permit 70
 match community PEER-TAGGED
 set metric +10
route-map IMPORT permit 80
 match origin incomplete
 set local-preference 80
route-map IMPORT permit 90
 match local-preference 90
route-map IMPORT permit 100
 set local-preference 100
",
    );
    c
}

fn bench_route_map(c: &mut Criterion) {
    let Some(table) = table() else { return };
    // One attribute set per ten prefixes.
    let Some(sets) = attribute_sets(table.len().div_ceil(10)) else {
        return;
    };
    let routes: Vec<(IpNet, usize)> = table
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, (i / 10) % sets.len()))
        .collect();
    let policies = Policies::parse(&route_map_config(&table)).unwrap();
    let map = policies.route_map("IMPORT");
    let peer = PeerInfo {
        address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        local_address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
        asn: 3856,
        local_asn: 65000,
        router_id: Ipv4Addr::new(192, 0, 2, 1),
        role: None,
    };
    let route = |(prefix, a): &(IpNet, usize)| PolicyRoute {
        prefix: *prefix,
        path_id: None,
        attrs: &sets[*a],
        weight: 0,
        source: Source::Bgp,
        direction: Direction::Import,
        peer: &peer,
    };
    let (mut permit, mut modified) = (0, 0);
    for r in &routes {
        match map.evaluate(&route(r)) {
            Verdict::Deny => {}
            Verdict::Permit => permit += 1,
            Verdict::Modified(_) => modified += 1,
        }
    }
    eprintln!(
        "route_map: {} routes, {} distinct attribute sets; {} permitted unchanged, {} modified, {} denied",
        routes.len(),
        sets.len(),
        permit,
        modified,
        routes.len() - permit - modified
    );

    let mut g = c.benchmark_group("route_map");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(routes.len() as u64));
    let mut warm = map.evaluator();
    g.bench_function("evaluator_warm", |b| {
        b.iter(|| {
            let mut n = 0u32;
            for r in &routes {
                n += u32::from(warm.evaluate_keyed(r.1 as u64, &route(r)).permit);
            }
            n
        })
    });
    let mut checked = map.evaluator();
    g.bench_function("evaluator_warm_checked", |b| {
        b.iter(|| {
            let mut n = 0u32;
            for r in &routes {
                n += u32::from(checked.evaluate(&route(r)).permit);
            }
            n
        })
    });
    g.bench_function("evaluator_cold", |b| {
        b.iter(|| {
            let mut ev = map.evaluator();
            let mut n = 0u32;
            for r in &routes {
                n += u32::from(ev.evaluate_keyed(r.1 as u64, &route(r)).permit);
            }
            n
        })
    });
    let first = &routes[..100_000];
    g.throughput(Throughput::Elements(first.len() as u64));
    g.bench_function("policy_trait", |b| {
        b.iter(|| {
            let mut n = 0u32;
            for r in first {
                n += u32::from(!matches!(map.evaluate(&route(r)), Verdict::Deny));
            }
            n
        })
    });
    g.finish();
}

/// A neighbor's filters as FRR applies them (`neighbor X prefix-list HOSTS
/// in`, `neighbor X route-map FROM-HOSTS in`) on host routes, in a
/// configuration with 40 other prefix-lists and route-maps: the handles
/// looked up by name for every route (as the example router did), against
/// [`SharedPrefixList`] and [`SharedRouteMap`], looked up once. No data
/// files needed.
fn bench_neighbor_filter(c: &mut Criterion) {
    let mut conf = String::new();
    for i in 0..40 {
        conf.push_str(&format!(
            "ip prefix-list CUST-{i:02} seq 5 permit 10.{i}.0.0/16 le 24\n\
             route-map FROM-CUST-{i:02} permit 10\n match ip address prefix-list CUST-{i:02}\n"
        ));
    }
    conf.push_str(
        "ip prefix-list HOSTS seq 5 permit 0.0.0.0/0 ge 32\n\
         route-map FROM-HOSTS permit 10\n match ip address prefix-list HOSTS\n set community 65000:32 additive\n",
    );
    let policies = Arc::new(Policies::parse(&conf).unwrap());
    let a = RouteAttrs::default();
    let peer = PeerInfo {
        address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        local_address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
        asn: 65000,
        local_asn: 65000,
        router_id: Ipv4Addr::new(192, 0, 2, 1),
        role: None,
    };
    // 100,000 host routes, and one /24 in ten (denied by HOSTS).
    let routes: Vec<IpNet> = (0..100_000u32)
        .map(|i| {
            let addr = Ipv4Addr::from_bits(0xc612_0000 + i * 7);
            let len = if i % 10 == 0 { 24 } else { 32 };
            IpNet::new(addr.into(), len).unwrap().trunc()
        })
        .collect();
    let route = |prefix: IpNet| PolicyRoute {
        prefix,
        path_id: None,
        attrs: &a,
        weight: 0,
        source: Source::Bgp,
        direction: Direction::Import,
        peer: &peer,
    };
    let mut g = c.benchmark_group("neighbor_filter");
    g.throughput(Throughput::Elements(routes.len() as u64));
    g.bench_function("by_name_per_route", |b| {
        b.iter(|| {
            let mut n = 0u32;
            for &p in &routes {
                let r = route(p);
                let v = match policies.prefix_list(AddrFamily::Ipv4, "HOSTS").evaluate(&r) {
                    Verdict::Deny => Verdict::Deny,
                    _ => policies.route_map("FROM-HOSTS").evaluate(&r),
                };
                n += u32::from(!matches!(v, Verdict::Deny));
            }
            n
        })
    });
    let list = SharedPrefixList::new(Arc::clone(&policies), AddrFamily::Ipv4, "HOSTS");
    let map = SharedRouteMap::new(Arc::clone(&policies), "FROM-HOSTS");
    g.bench_function("shared_handles", |b| {
        b.iter(|| {
            let mut n = 0u32;
            for &p in &routes {
                let r = route(p);
                let v = match list.evaluate(&r) {
                    Verdict::Deny => Verdict::Deny,
                    _ => map.evaluate(&r),
                };
                n += u32::from(!matches!(v, Verdict::Deny));
            }
            n
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_prefix_list,
    bench_route_map,
    bench_neighbor_filter
);
criterion_main!(benches);

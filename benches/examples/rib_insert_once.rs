//! Inserts the full IPv4 and IPv6 tables from one peer into a RIB once and
//! prints the time: a fixed amount of work for `perf record` or
//! `valgrind --tool=callgrind`.
//!
//! With the argument `speaker` the peer's session is up and both change
//! streams (Loc-RIB, and the sender's own Adj-RIB-Out, which gets nothing)
//! are drained every 10,000 routes, as the example speaker does.
#![allow(missing_docs)]
#![allow(clippy::disallowed_methods)] // a benchmark harness reads the clock

use std::net::IpAddr;
use std::time::Instant;

use bgp_benches::rib_data;
use bgp_rib::policy::PeerInfo;
use bgp_rib::{PeerConfig, Rib, RibConfig};
use bgp_wire::Nlri;

fn main() {
    let Some(t) = rib_data::load_or_skip("rib_insert_once") else {
        return;
    };
    let mut input = Vec::new();
    for (table, v6) in [(&t.v4, false), (&t.v6, true)] {
        for (set, ps) in rib_data::groups(table) {
            let set = set + if v6 { 1_000_000 } else { 0 };
            let nlri: Vec<Nlri> = ps.iter().map(|p| Nlri::new(*p)).collect();
            input.push((rib_data::attrs(0, set, v6), nlri));
        }
    }
    let n: usize = input.iter().map(|x| x.1.len()).sum();
    let mut rib = Rib::new(RibConfig::new(65000, [10, 0, 0, 254].into()));
    let p = rib
        .add_peer(PeerConfig::new(PeerInfo {
            address: IpAddr::from([192, 0, 2, 1]),
            local_address: IpAddr::from([192, 0, 2, 254]),
            asn: 64600,
            local_asn: 65000,
            router_id: [10, 0, 0, 1].into(),
            role: None,
        }))
        .unwrap();
    let speaker = std::env::args().nth(1).as_deref() == Some("speaker");
    if speaker {
        rib.peer_up(p).unwrap();
    }
    let start = Instant::now();
    let mut pending = 0;
    for (attrs, nlri) in input {
        pending += nlri.len();
        rib.announce(p, attrs, &nlri).unwrap();
        if speaker && pending >= 10_000 {
            pending = 0;
            std::hint::black_box(rib.drain_loc_rib().len());
            std::hint::black_box(rib.drain_adj_rib_out(p).unwrap().len());
        }
    }
    if speaker {
        std::hint::black_box(rib.drain_loc_rib().len());
        std::hint::black_box(rib.drain_adj_rib_out(p).unwrap().len());
    }
    let el = start.elapsed();
    println!(
        "{n} routes in {el:?}: {:.2} M routes/s",
        n as f64 / el.as_secs_f64() / 1e6
    );
}

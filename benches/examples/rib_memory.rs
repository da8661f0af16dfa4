//! Bytes per path of bgp-rib with ten peers each sending the full IPv4
//! table (synthetic attributes, one set per ten prefixes per peer), measured
//! with a counting global allocator: every byte the RIB holds on the heap
//! after the load, divided by the number of paths. Also the same load in
//! `prefix-trie` and `rotonda-store` (structure only: they store a 4-octet
//! attribute index per path, not attribute sets).
//!
//! `cargo run --release -p bgp-benches --example rib_memory`
#![allow(missing_docs)]

use std::alloc::System;

use bgp_benches::rib_data;
use bgp_rib::{PeerConfig, Rib, RibConfig};
use bgp_wire::Nlri;
use cap::Cap;
use ipnet::{IpNet, Ipv4Net};

// The workspace forbids `unsafe`, so the counting allocator is the `cap`
// crate's (it counts the bytes of every live allocation, as requested).
#[global_allocator]
static ALLOC: Cap<System> = Cap::new(System, usize::MAX);

fn now() -> usize {
    ALLOC.allocated()
}

const PEERS: u32 = 10;

fn report(what: &str, bytes: usize, paths: usize) {
    println!(
        "{what:<58} {:>6.1} bytes/path  ({:.1} MiB for {paths} paths)",
        bytes as f64 / paths as f64,
        bytes as f64 / (1 << 20) as f64
    );
}

/// Loads ten peers into a RIB; `shared` gives every path one attribute set
/// (so the figure is the structure without attribute storage).
/// With `soft`, every peer has soft-reconfiguration inbound (its
/// pre-policy routes are kept too).
fn load(v4: &[IpNet], shared: bool, index: bool, soft: bool) -> (Rib, Vec<bgp_rib::PeerId>) {
    let mut cfg = RibConfig::new(65000, [10, 0, 0, 254].into());
    cfg.ipv4_lpm_index = index;
    let mut rib = Rib::new(cfg);
    let ids: Vec<_> = (0..PEERS)
        .map(|i| {
            let mut pc = PeerConfig::new(rib_data::peer_info(i as u8, 64600 + i));
            pc.soft_reconfiguration_inbound = soft;
            rib.add_peer(pc).unwrap()
        })
        .collect();
    let mut nlri = Vec::with_capacity(rib_data::PREFIXES_PER_SET);
    for (i, id) in ids.iter().enumerate() {
        for (set, ps) in rib_data::groups(v4) {
            nlri.clear();
            nlri.extend(ps.iter().map(|p| Nlri::new(*p)));
            let (peer, set) = if shared { (0, 0) } else { (i as u32, set) };
            rib.announce(*id, rib_data::attrs(peer, set, false), &nlri)
                .unwrap();
        }
    }
    rib.drain_loc_rib();
    (rib, ids)
}

fn main() {
    let Some(t) = rib_data::load_or_skip("rib_memory") else {
        return;
    };
    let n = t.v4.len();
    let paths = n * PEERS as usize;
    println!(
        "{} IPv4 prefixes x {PEERS} peers = {paths} paths; one attribute set per {} prefixes per peer\n",
        n,
        rib_data::PREFIXES_PER_SET
    );

    // bgp-rib: Adj-RIBs-In (post-policy) + Loc-RIB + attribute sets.
    let base = now();
    let (mut rib, ids) = load(&t.v4, false, false, false);
    let in_only = now() - base;
    report(
        "bgp-rib: Adj-RIBs-In + Loc-RIB + attributes",
        in_only,
        paths,
    );
    println!("  ({} attribute sets interned)", rib.attribute_sets());
    // The same with every peer's session up and its Adj-RIB-Out filled
    // (each peer is sent the best path with our AS prepended).
    for id in &ids {
        rib.peer_up(*id).unwrap();
    }
    let mut sent = 0;
    for id in &ids {
        sent += rib.drain_adj_rib_out(*id).unwrap().len();
    }
    // Peer 0 (lowest router ID) has every best path; the nine others get it.
    assert_eq!(sent, n * (PEERS as usize - 1));
    let with_out = now() - base;
    report(
        "bgp-rib: ... + ten Adj-RIBs-Out (all peers established)",
        with_out,
        paths,
    );
    println!("  ({} attribute sets interned)", rib.attribute_sets());
    drop(rib);

    let base = now();
    let (rib, _) = load(&t.v4, true, false, false);
    report(
        "bgp-rib: Adj-RIBs-In + Loc-RIB, one shared attribute set",
        now() - base,
        paths,
    );
    drop(rib);

    let base = now();
    let (rib, _) = load(&t.v4, false, true, false);
    report(
        "bgp-rib: Adj-RIBs-In + Loc-RIB + attributes + DIR-24-8",
        now() - base,
        paths,
    );
    drop(rib);

    let base = now();
    let (rib, _) = load(&t.v4, false, false, true);
    report(
        "bgp-rib: ... with soft-reconfiguration inbound (pre-policy)",
        now() - base,
        paths,
    );
    println!("  ({} attribute sets interned)", rib.attribute_sets());
    drop(rib);

    // prefix-trie: a map from prefix to the peers' (peer, attribute index).
    let base = now();
    let mut pt = prefix_trie::PrefixMap::<Ipv4Net, Vec<(u16, u32)>>::new();
    for peer in 0..PEERS {
        for (i, p) in t.v4.iter().enumerate() {
            if let IpNet::V4(p) = p {
                let v = pt.entry(*p).or_default();
                v.push((peer as u16, (i / 10) as u32));
            }
        }
    }
    report(
        "prefix-trie: PrefixMap<_, Vec<(u16, u32)>>, no attributes",
        now() - base,
        paths,
    );
    drop(pt);

    // rotonda-store: one record (4-octet meta) per peer ("mui") per prefix.
    let base = now();
    let store = rotonda_store::rib::StarCastRib::<
        rotonda_store::test_types::BeBytesAsn,
        rotonda_store::rib::config::MemoryOnlyConfig,
    >::try_default()
    .unwrap();
    for peer in 0..PEERS {
        for (i, p) in t.v4.iter().enumerate() {
            let pfx = inetnum::addr::Prefix::new(p.addr(), p.prefix_len()).unwrap();
            let rec = rotonda_store::prefix_record::Record::new(
                peer,
                0,
                rotonda_store::prefix_record::RouteStatus::Active,
                rotonda_store::test_types::BeBytesAsn(((i / 10) as u32).to_be_bytes()),
            );
            store.insert(&pfx, rec, None).unwrap();
        }
    }
    report(
        "rotonda-store: StarCastRib, 4-octet meta, no attributes",
        now() - base,
        paths,
    );
}

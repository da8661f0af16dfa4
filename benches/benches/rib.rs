//! RIB benchmarks on the real full tables (`../shared/data/prefixes`):
//! full-table insert with best-path selection, longest-prefix match, and
//! the one-day churn replay; bgp-rib against `prefix-trie` and
//! `rotonda-store` where the operation applies. Memory per path is measured
//! by `examples/rib_memory.rs` (a counting allocator), not here.
//!
//! Without the data directory every group is skipped with a message.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::IpAddr;

use bgp_benches::rib_data::{self, ChurnOp, Tables};
use bgp_rib::trie::PrefixTrie;
use bgp_rib::{PeerConfig, PeerId, Rib, RibConfig};
use bgp_wire::{Nlri, RouteAttrs};
use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use rotonda_store::match_options::{IncludeHistory, MatchOptions, MatchType};
use rotonda_store::prefix_record::{Record, RouteStatus};
use rotonda_store::rib::StarCastRib;
use rotonda_store::rib::config::MemoryOnlyConfig;
use rotonda_store::test_types::BeBytesAsn;

type Rotonda = StarCastRib<BeBytesAsn, MemoryOnlyConfig>;

/// The bare tries (`PrefixTrie` alone) of `prefixes`, each valued by its
/// position, inserted in the order given.
fn bare_tries<'a>(
    prefixes: impl Iterator<Item = &'a IpNet>,
) -> (PrefixTrie<Ipv4Net, u32>, PrefixTrie<Ipv6Net, u32>) {
    let mut t4 = PrefixTrie::new();
    let mut t6 = PrefixTrie::new();
    for (i, p) in prefixes.enumerate() {
        match p {
            IpNet::V4(p) => t4.insert(*p, i as u32),
            IpNet::V6(p) => t6.insert(*p, i as u32),
        };
    }
    (t4, t6)
}

/// The UPDATE-sized batches of one peer: (attributes, prefixes).
fn batches(t: &Tables, peer: u32) -> Vec<(RouteAttrs, Vec<Nlri>)> {
    let mut v = Vec::new();
    for (table, v6) in [(&t.v4, false), (&t.v6, true)] {
        for (set, ps) in rib_data::groups(table) {
            let set = set + if v6 { 1_000_000 } else { 0 };
            v.push((
                rib_data::attrs(peer, set, v6),
                ps.iter().map(|p| Nlri::new(*p)).collect(),
            ));
        }
    }
    v
}

fn new_rib() -> (Rib, PeerId) {
    let mut rib = Rib::new(RibConfig::new(65000, [10, 0, 0, 254].into()));
    let p = rib
        .add_peer(PeerConfig::new(rib_data::peer_info(0, 64600)))
        .unwrap();
    rib.peer_up(p).unwrap();
    (rib, p)
}

fn rotonda_rec(mui: u32, v: u32) -> Record<BeBytesAsn> {
    Record::new(mui, 0, RouteStatus::Active, BeBytesAsn(v.to_be_bytes()))
}

fn rotonda_prefix(p: &IpNet) -> inetnum::addr::Prefix {
    inetnum::addr::Prefix::new(p.addr(), p.prefix_len()).unwrap()
}

fn insert(c: &mut Criterion, t: &Tables) {
    let n = (t.v4.len() + t.v6.len()) as u64;
    let input = batches(t, 0);
    let mut g = c.benchmark_group("rib/insert_full_table");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(n));
    g.bench_function("bgp-rib", |b| {
        b.iter_batched(
            || (new_rib(), input.clone()),
            |((mut rib, p), input)| {
                for (attrs, nlri) in input {
                    rib.announce(p, attrs, &nlri).unwrap();
                }
                rib
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("bgp-rib+drain_loc_rib", |b| {
        b.iter_batched(
            || (new_rib(), input.clone()),
            |((mut rib, p), input)| {
                for (attrs, nlri) in input {
                    rib.announce(p, attrs, &nlri).unwrap();
                }
                black_box(rib.drain_loc_rib().len());
                rib
            },
            BatchSize::PerIteration,
        )
    });
    // What a speaker receiving the table from its only (eBGP) peer does:
    // both change streams drained every 10,000 routes, the sender's own
    // Adj-RIB-Out included (it gets nothing back).
    g.bench_function("bgp-rib+drains (speaker)", |b| {
        b.iter_batched(
            || (new_rib(), input.clone()),
            |((mut rib, p), input)| {
                let mut pending = 0;
                for (attrs, nlri) in input {
                    pending += nlri.len();
                    rib.announce(p, attrs, &nlri).unwrap();
                    if pending >= 10_000 {
                        pending = 0;
                        black_box(rib.drain_loc_rib().len());
                        black_box(rib.drain_adj_rib_out(p).unwrap().len());
                    }
                }
                black_box(rib.drain_loc_rib().len());
                black_box(rib.drain_adj_rib_out(p).unwrap().len());
                rib
            },
            BatchSize::PerIteration,
        )
    });
    // The table coming back after its peer's session was reset: the RIB
    // kept the memory the table left, so no page is faulted in (the
    // fresh RIB above faults in about 107 MB).
    g.bench_function("bgp-rib (relearn after a session reset)", |b| {
        b.iter_batched(
            || {
                let (mut rib, p) = new_rib();
                for (attrs, nlri) in input.clone() {
                    rib.announce(p, attrs, &nlri).unwrap();
                }
                rib.drain_loc_rib();
                rib.peer_down(p).unwrap();
                rib.drain_loc_rib();
                rib.peer_up(p).unwrap();
                ((rib, p), input.clone())
            },
            |((mut rib, p), input)| {
                for (attrs, nlri) in input {
                    rib.announce(p, attrs, &nlri).unwrap();
                }
                rib
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("bgp-rib-trie", |b| {
        b.iter_batched(
            || (),
            |()| bare_tries(t.v4.iter().chain(&t.v6)),
            BatchSize::PerIteration,
        )
    });
    // The same prefixes in a deterministic random order (the table in
    // prefix order flatters the insertion finger; a speaker's peers do
    // not always send it so).
    let shuffled = rib_data::shuffled(t.v4.iter().chain(&t.v6).copied().collect());
    g.bench_function("bgp-rib-trie (shuffled)", |b| {
        b.iter_batched(
            || (),
            |()| bare_tries(shuffled.iter()),
            BatchSize::PerIteration,
        )
    });
    // The same random order, 16 keys at a time: `insert_hints` walks a
    // group side by side first (what `Rib::announce` does with a scattered
    // UPDATE), then each key is inserted from its hint.
    let (s4, s6): (Vec<Ipv4Net>, Vec<Ipv6Net>) = {
        let mut s4 = Vec::new();
        let mut s6 = Vec::new();
        for p in &shuffled {
            match p {
                IpNet::V4(p) => s4.push(*p),
                IpNet::V6(p) => s6.push(*p),
            }
        }
        (s4, s6)
    };
    g.bench_function("bgp-rib-trie (shuffled, hinted by 16)", |b| {
        b.iter_batched(
            || (),
            |()| {
                fn load<P: bgp_rib::trie::TriePrefix>(keys: &[P]) -> PrefixTrie<P, u32> {
                    let mut t = PrefixTrie::new();
                    let mut hints = Vec::new();
                    for (g, group) in keys.chunks(16).enumerate() {
                        t.insert_hints(group, &mut hints);
                        for (i, (p, h)) in group.iter().zip(&hints).enumerate() {
                            t.get_or_insert_slot_hinted(*p, *h, || (g * 16 + i) as u32);
                        }
                    }
                    t
                }
                (load(&s4), load(&s6))
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("prefix-trie", |b| {
        b.iter_batched(
            || (),
            |()| {
                let mut t4 = prefix_trie::PrefixMap::<Ipv4Net, u32>::new();
                let mut t6 = prefix_trie::PrefixMap::<Ipv6Net, u32>::new();
                for (i, p) in t.v4.iter().chain(&t.v6).enumerate() {
                    match p {
                        IpNet::V4(p) => t4.insert(*p, i as u32),
                        IpNet::V6(p) => t6.insert(*p, i as u32),
                    };
                }
                (t4, t6)
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("rotonda-store", |b| {
        b.iter_batched(
            || Rotonda::try_default().unwrap(),
            |store| {
                for (i, p) in t.v4.iter().chain(&t.v6).enumerate() {
                    store
                        .insert(&rotonda_prefix(p), rotonda_rec(1, i as u32 / 10), None)
                        .unwrap();
                }
                store
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn lpm(c: &mut Criterion, t: &Tables) {
    let addrs = rib_data::lookup_addrs(&t.v4, 1_000_000);
    let mut g = c.benchmark_group("rib/lpm_ipv4");
    g.sample_size(20);
    g.throughput(Throughput::Elements(addrs.len() as u64));

    let mut trie = PrefixTrie::<Ipv4Net, u32>::new();
    for (i, p) in t.v4.iter().enumerate() {
        if let IpNet::V4(p) = p {
            trie.insert(*p, i as u32);
        }
    }
    g.bench_function("bgp-rib-trie", |b| {
        b.iter(|| {
            let mut s = 0u64;
            for a in &addrs {
                if let Some((p, v)) = trie.longest_match(&Ipv4Net::from(*a)) {
                    s += u64::from(*v) + u64::from(p.prefix_len());
                }
            }
            s
        })
    });
    trie.enable_lpm_index();
    g.bench_function("bgp-rib-trie+dir24", |b| {
        b.iter(|| {
            let mut s = 0u64;
            for a in &addrs {
                if let Some((p, v)) = trie.longest_match(&Ipv4Net::from(*a)) {
                    s += u64::from(*v) + u64::from(p.prefix_len());
                }
            }
            s
        })
    });
    let hosts: Vec<Ipv4Net> = addrs.iter().map(|a| Ipv4Net::from(*a)).collect();
    g.bench_function("bgp-rib-trie+dir24 batched", |b| {
        let mut out = Vec::with_capacity(hosts.len());
        b.iter(|| {
            let mut s = 0u64;
            for group in hosts.chunks(1024) {
                trie.longest_match_many(group, &mut out);
                for (p, v) in out.iter().flatten() {
                    s += u64::from(**v) + u64::from(p.prefix_len());
                }
            }
            s
        })
    });
    drop(trie);

    let (mut rib, p) = new_rib();
    for (attrs, nlri) in batches(t, 0) {
        rib.announce(p, attrs, &nlri).unwrap();
    }
    rib.drain_loc_rib();
    let rib_lookup = |rib: &Rib| {
        let mut s = 0u64;
        for a in &addrs {
            if let Some((p, _, attrs)) = rib.lookup(IpAddr::V4(*a)) {
                s += u64::from(p.prefix_len()) + u64::from(attrs.med.unwrap_or(0));
            }
        }
        s
    };
    g.bench_function("bgp-rib", |b| b.iter(|| rib_lookup(&rib)));
    drop(rib);
    let mut cfg = RibConfig::new(65000, [10, 0, 0, 254].into());
    cfg.ipv4_lpm_index = true;
    let mut rib = Rib::new(cfg);
    let p = rib
        .add_peer(PeerConfig::new(rib_data::peer_info(0, 64600)))
        .unwrap();
    for (attrs, nlri) in batches(t, 0) {
        rib.announce(p, attrs, &nlri).unwrap();
    }
    rib.drain_loc_rib();
    g.bench_function("bgp-rib+dir24", |b| b.iter(|| rib_lookup(&rib)));
    drop(rib);

    let mut pt = prefix_trie::PrefixMap::<Ipv4Net, u32>::new();
    for (i, p) in t.v4.iter().enumerate() {
        if let IpNet::V4(p) = p {
            pt.insert(*p, i as u32);
        }
    }
    g.bench_function("prefix-trie", |b| {
        b.iter(|| {
            let mut s = 0u64;
            for a in &addrs {
                if let Some((p, v)) = pt.get_lpm(&Ipv4Net::from(*a)) {
                    s += u64::from(*v) + u64::from(p.prefix_len());
                }
            }
            s
        })
    });
    drop(pt);

    let store = Rotonda::try_default().unwrap();
    for (i, p) in t.v4.iter().enumerate() {
        store
            .insert(&rotonda_prefix(p), rotonda_rec(1, i as u32), None)
            .unwrap();
    }
    let opts = MatchOptions {
        match_type: MatchType::LongestMatch,
        include_withdrawn: false,
        include_less_specifics: false,
        include_more_specifics: false,
        mui: None,
        include_history: IncludeHistory::None,
    };
    // rotonda-store is much slower: a tenth of the addresses, same unit.
    let few = &addrs[..addrs.len() / 10];
    g.throughput(Throughput::Elements(few.len() as u64));
    g.sample_size(10);
    g.bench_function("rotonda-store", |b| {
        b.iter(|| {
            let guard = rotonda_store::epoch::pin();
            let mut s = 0u64;
            for a in few {
                let q = inetnum::addr::Prefix::new((*a).into(), 32).unwrap();
                let r = store.match_prefix(&q, &opts, &guard).unwrap();
                if let Some(p) = r.prefix {
                    s += u64::from(p.len()) + r.records.len() as u64;
                }
            }
            s
        })
    });
    g.finish();
}

fn churn(c: &mut Criterion, t: &Tables) {
    let ops = &t.churn;
    let mut g = c.benchmark_group("rib/churn_ipv4");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(ops.len() as u64));
    let v4_only = Tables {
        v4: t.v4.clone(),
        v6: Vec::new(),
        churn: Vec::new(),
    };
    let load = batches(&v4_only, 0);
    let full_rib = |with_out: bool| {
        let (mut rib, p) = new_rib();
        let out = if with_out {
            let o = rib
                .add_peer(PeerConfig::new(rib_data::peer_info(1, 64700)))
                .unwrap();
            rib.peer_up(o).unwrap();
            Some(o)
        } else {
            None
        };
        for (attrs, nlri) in load.clone() {
            rib.announce(p, attrs, &nlri).unwrap();
        }
        rib.drain_loc_rib();
        if let Some(o) = out {
            rib.drain_adj_rib_out(o).unwrap();
        }
        (rib, p, out)
    };
    // Each announcement carries a new attribute set (one per ten
    // operations), as churn does.
    let replay = |rib: &mut Rib, p: PeerId, out: Option<PeerId>| {
        let mut pending = 0usize;
        for (k, chunk) in ops.chunks(10).enumerate() {
            let attrs = rib_data::attrs(0, 2_000_000 + k as u32, false);
            for op in chunk {
                match op {
                    ChurnOp::Announce(n) => {
                        rib.announce(p, attrs.clone(), &[Nlri::new(*n)]).unwrap()
                    }
                    ChurnOp::Withdraw(n) => rib.withdraw(p, &[Nlri::new(*n)]).unwrap(),
                }
            }
            pending += chunk.len();
            // The caller's MRAI: drain every 10,000 operations.
            if pending >= 10_000 {
                pending = 0;
                black_box(rib.drain_loc_rib().len());
                if let Some(o) = out {
                    black_box(rib.drain_adj_rib_out(o).unwrap().len());
                }
            }
        }
        black_box(rib.drain_loc_rib().len());
    };
    g.bench_function("bgp-rib", |b| {
        b.iter_batched(
            || full_rib(false),
            |(mut rib, p, out)| {
                replay(&mut rib, p, out);
                rib
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("bgp-rib+adj-rib-out", |b| {
        b.iter_batched(
            || full_rib(true),
            |(mut rib, p, out)| {
                replay(&mut rib, p, out);
                rib
            },
            BatchSize::PerIteration,
        )
    });
    let mut pt = prefix_trie::PrefixMap::<Ipv4Net, u32>::new();
    for (i, p) in t.v4.iter().enumerate() {
        if let IpNet::V4(p) = p {
            pt.insert(*p, i as u32 / 10);
        }
    }
    g.bench_function("prefix-trie", |b| {
        b.iter_batched(
            || pt.clone(),
            |mut m| {
                for (k, op) in ops.iter().enumerate() {
                    match op {
                        ChurnOp::Announce(IpNet::V4(n)) => {
                            m.insert(*n, k as u32 / 10);
                        }
                        ChurnOp::Withdraw(IpNet::V4(n)) => {
                            m.remove(n);
                        }
                        _ => {}
                    }
                }
                m
            },
            BatchSize::PerIteration,
        )
    });
    drop(pt);
    g.bench_function("rotonda-store", |b| {
        b.iter_batched(
            || {
                let store = Rotonda::try_default().unwrap();
                for (i, p) in t.v4.iter().enumerate() {
                    store
                        .insert(&rotonda_prefix(p), rotonda_rec(1, i as u32 / 10), None)
                        .unwrap();
                }
                store
            },
            |store| {
                for (k, op) in ops.iter().enumerate() {
                    match op {
                        ChurnOp::Announce(n) => {
                            store
                                .insert(&rotonda_prefix(n), rotonda_rec(1, k as u32 / 10), None)
                                .unwrap();
                        }
                        ChurnOp::Withdraw(n) => {
                            // A withdrawal of a prefix never announced is
                            // an error to rotonda-store; the count is the
                            // same work either way.
                            let _ = store.mark_mui_as_withdrawn_for_prefix(
                                &rotonda_prefix(n),
                                1,
                                k as u64,
                            );
                        }
                    }
                }
                store
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let Some(t) = rib_data::load_or_skip("rib bench") else {
        return;
    };
    insert(c, &t);
    lpm(c, &t);
    churn(c, &t);
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Decode-and-walk and encode throughput of `bgp-wire` against `bgpkit-parser`,
//! `routecore` and `rustbgpd-wire`. See `benches/README.md` for what each
//! group measures, its input, and how to run it.
//!
//! Every group sets `Throughput::Bytes`, so criterion prints MB/s next to the
//! time; each group holds all four crates on the same input.
//!
//! bgpkit-parser and rustbgpd-wire decode from a `bytes::Bytes`: they get a
//! `Bytes` built before the measurement (the `*_decode_walk_bytes` walkers,
//! whose clone only bumps a reference count), so no copy is measured for them.
//! routecore and bgp-wire borrow a `&[u8]`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use bgp_benches::competitors::{
    bgpkit_decode_walk_bytes, bgpkit_encode, routecore_decode_walk, routecore_encode,
    rustbgpd_decode_walk_bytes, rustbgpd_encode,
};
use bgp_benches::mrt::load_bgp4mp_messages;
use bgp_benches::ours::{
    announced_per_update, our_decode_walk, our_decode_walk_view, our_encode, our_encode_messages,
    slash24s, small_updates,
};
use bytes::Bytes;
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group,
    criterion_main,
};
use ipnet::Ipv4Net;

const FULL_TABLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/mrt/updates.et-header.2015.gz"
);

/// How many UPDATEs the `small` inputs hold.
const SMALL: usize = 1000;

fn full_table() -> Option<Vec<Vec<u8>>> {
    let path = Path::new(FULL_TABLE);
    if !path.exists() {
        eprintln!(
            "{} is absent: skipping decode_walk/full_table, encode/full_table and the real \
             half of decode_walk/small",
            path.display()
        );
        return None;
    }
    Some(load_bgp4mp_messages(path).expect("the MRT file reads"))
}

fn total_len(messages: &[Vec<u8>]) -> u64 {
    messages.iter().map(|m| m.len() as u64).sum()
}

/// One decode-and-walk of every message of `messages` by each crate, labelled
/// `<crate>/<input>`; the walkers' checksums are summed and black-boxed.
fn decode_walk_all(group: &mut BenchmarkGroup<'_, WallTime>, input: &str, messages: &[Vec<u8>]) {
    let as_bytes: Vec<Bytes> = messages.iter().map(|m| Bytes::from(m.clone())).collect();
    group.throughput(Throughput::Bytes(total_len(messages)));
    group.bench_with_input(BenchmarkId::new("ours", input), messages, |b, ms| {
        b.iter(|| ms.iter().fold(0u64, |a, m| a ^ our_decode_walk(m)));
    });
    group.bench_with_input(BenchmarkId::new("ours-view", input), messages, |b, ms| {
        b.iter(|| ms.iter().fold(0u64, |a, m| a ^ our_decode_walk_view(m)));
    });
    group.bench_with_input(
        BenchmarkId::new("bgpkit-parser", input),
        &as_bytes,
        |b, ms| {
            b.iter(|| ms.iter().fold(0u64, |a, m| a ^ bgpkit_decode_walk_bytes(m)));
        },
    );
    group.bench_with_input(BenchmarkId::new("routecore", input), messages, |b, ms| {
        b.iter(|| ms.iter().fold(0u64, |a, m| a ^ routecore_decode_walk(m)));
    });
    group.bench_with_input(
        BenchmarkId::new("rustbgpd-wire", input),
        &as_bytes,
        |b, ms| {
            b.iter(|| {
                ms.iter()
                    .fold(0u64, |a, m| a ^ rustbgpd_decode_walk_bytes(m))
            });
        },
    );
}

/// One encode of every prefix list of `inputs` by each crate; throughput is
/// `out_bytes`, the size of what bgp-wire writes for them.
fn encode_all(
    group: &mut BenchmarkGroup<'_, WallTime>,
    input: &str,
    inputs: &[Vec<Ipv4Net>],
    out_bytes: u64,
) {
    type Encoder = fn(&[Ipv4Net]) -> usize;
    let encoders: [(&str, Encoder); 4] = [
        ("ours", our_encode),
        ("bgpkit-parser", bgpkit_encode),
        ("routecore", routecore_encode),
        ("rustbgpd-wire", rustbgpd_encode),
    ];
    group.throughput(Throughput::Bytes(out_bytes));
    for (name, encode) in encoders {
        group.bench_with_input(BenchmarkId::new(name, input), inputs, |b, inputs| {
            b.iter(|| inputs.iter().map(|p| encode(black_box(p))).sum::<usize>());
        });
    }
}

fn benches(c: &mut Criterion) {
    let stream = full_table();

    // 1. Small UPDATEs: the first 1,000 UPDATEs of the real stream, and 1,000
    //    synthetic ones with 1-3 prefixes each.
    {
        let mut group = c.benchmark_group("decode_walk/small");
        if let Some(stream) = &stream {
            let real: Vec<Vec<u8>> = stream
                .iter()
                .filter(|m| m[18] == 2)
                .take(SMALL)
                .cloned()
                .collect();
            decode_walk_all(&mut group, "real_first_1000", &real);
        }
        decode_walk_all(&mut group, "synthetic_1000", &small_updates(SMALL));
        group.finish();
    }

    // 2. One UPDATE with 500 IPv4 /24s.
    let p500 = slash24s(500);
    {
        let m = our_encode_messages(&p500).expect("500 /24s encode");
        assert_eq!(m.len(), 1, "500 /24s fit one 4,096-octet message");
        let mut group = c.benchmark_group("decode_walk/500x24");
        decode_walk_all(&mut group, "one_update", &m);
        group.finish();
    }

    // 3. The whole real stream, message by message.
    if let Some(stream) = &stream {
        let mut group = c.benchmark_group("decode_walk/full_table");
        group.sampling_mode(SamplingMode::Flat).sample_size(20);
        decode_walk_all(&mut group, "89682_messages", stream);
        group.finish();
    }

    // 4. Encoding: one UPDATE of 500 /24s, and the stream's announcements.
    {
        let inputs = vec![p500];
        let out = our_encode(&inputs[0]) as u64;
        let mut group = c.benchmark_group("encode/500x24");
        encode_all(&mut group, "one_update", &inputs, out);
        group.finish();
    }
    if let Some(stream) = &stream {
        // One encode per UPDATE of the stream that announces IPv4 prefixes:
        // its prefixes under the fixed attribute set.
        let groups = announced_per_update(stream);
        let out: u64 = groups.iter().map(|g| our_encode(g) as u64).sum();
        let mut group = c.benchmark_group("encode/full_table");
        group.sampling_mode(SamplingMode::Flat).sample_size(20);
        encode_all(&mut group, "per_update", &groups, out);
        group.finish();
    }
}

criterion_group! {
    name = wire;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    targets = benches
}
criterion_main!(wire);

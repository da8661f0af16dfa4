//! MRT decode-only throughput (issue: MRT reader at 1 GB/s or more): every
//! record framed and typed, every BGP message and every RIB entry's
//! attributes validated by bgp-wire, over the uncompressed bytes in memory.
//!
//! Inputs from `../shared/data/mrt/`; each group is skipped, saying so, when
//! its file is absent.
#![allow(missing_docs)]

use std::hint::black_box;
use std::io::Read;
use std::path::Path;

use bgp_benches::mrt::{decode_all, frame_and_type};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

fn load(name: &str) -> Option<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/mrt")
        .join(name);
    let Ok(f) = std::fs::File::open(&path) else {
        eprintln!("skipping MRT bench on {name}: {} is absent", path.display());
        return None;
    };
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(f).read_to_end(&mut out).ok()?;
    Some(out)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("mrt_decode_only");
    g.sample_size(20).sampling_mode(SamplingMode::Flat);
    for name in [
        "updates.et-header.2015.gz",
        "rib.pch-as3856-fulltable.20151023.tdv2.gz",
    ] {
        let Some(buf) = load(name) else { continue };
        g.throughput(Throughput::Bytes(buf.len() as u64));
        g.bench_function(name, |b| b.iter(|| decode_all(black_box(&buf))));
        g.bench_function(format!("{name}/mrt_layer_only"), |b| {
            b.iter(|| frame_and_type(black_box(&buf)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

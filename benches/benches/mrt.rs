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

use bgp_wire::mrt::{Record, Records};
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

/// Decodes every record and validates everything inside; returns a count
/// so the work cannot be skipped.
fn decode_all(buf: &[u8]) -> u64 {
    let mut n = 0u64;
    for rec in Records::new(buf) {
        let Ok(rec) = rec else { continue };
        match rec.decode() {
            Ok(Record::Message(m)) => n += u64::from(m.parse().is_ok()),
            Ok(Record::Rib(rib)) => {
                for e in rib.entries() {
                    n += u64::from(
                        rib.update(&e)
                            .is_ok_and(|u| u.action() == bgp_wire::Action::None),
                    );
                }
            }
            Ok(Record::TableDump(t)) => n += u64::from(t.update().is_ok()),
            Ok(_) => n += 1,
            Err(_) => {}
        }
    }
    n
}

/// Frames and types every record (RIB entries iterated, BGP payloads not
/// validated): the MRT layer alone.
fn frame_and_type(buf: &[u8]) -> u64 {
    let mut n = 0u64;
    for rec in Records::new(buf).flatten() {
        match rec.decode() {
            Ok(Record::Rib(rib)) => n += rib.entries().count() as u64,
            Ok(_) => n += 1,
            Err(_) => {}
        }
    }
    n
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

//! The `decode_walk` comparison of `benches/wire.rs`, interleaved: for each
//! input, rounds in which every crate runs in turn for about 30 ms (each
//! iteration timed), so load from other processes on a shared machine falls
//! on all crates alike. Prints, per input and crate, the minimum and median
//! time of one iteration, and the fastest other crate's time divided by
//! ours for both.
//!
//! ```sh
//! cargo run --release -p bgp-benches --example wire_compare [ROUNDS]
//! ```
//!
//! Same walkers, same inputs and same `Bytes` preparation as the criterion
//! bench; criterion's medians remain the figures of record, this is a
//! cross-check that is less sensitive to load.
#![allow(missing_docs, clippy::disallowed_methods)]

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use bgp_benches::competitors::{
    bgpkit_decode_walk_bytes, routecore_decode_walk, rustbgpd_decode_walk_bytes,
};
use bgp_benches::mrt::load_bgp4mp_messages;
use bgp_benches::ours::{
    our_decode_walk, our_decode_walk_view, our_encode_messages, slash24s, small_updates,
};
use bytes::Bytes;

const FULL_TABLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/mrt/updates.et-header.2015.gz"
);

const CRATES: [&str; 5] = [
    "ours",
    "bgpkit-parser",
    "routecore",
    "rustbgpd-wire",
    "ours (view)",
];
/// The other crates' entries of [`CRATES`] (the last is bgp-wire again).
const OTHERS: std::ops::Range<usize> = 1..4;

/// One decode-and-walk of every message by crate `c`.
fn run(c: usize, messages: &[Vec<u8>], bytes: &[Bytes]) -> u64 {
    match c {
        0 => messages
            .iter()
            .fold(0u64, |a, m| a ^ our_decode_walk(black_box(m))),
        1 => bytes
            .iter()
            .fold(0u64, |a, m| a ^ bgpkit_decode_walk_bytes(black_box(m))),
        2 => messages
            .iter()
            .fold(0u64, |a, m| a ^ routecore_decode_walk(black_box(m))),
        3 => bytes
            .iter()
            .fold(0u64, |a, m| a ^ rustbgpd_decode_walk_bytes(black_box(m))),
        _ => messages
            .iter()
            .fold(0u64, |a, m| a ^ our_decode_walk_view(black_box(m))),
    }
}

fn compare(input: &str, messages: &[Vec<u8>], rounds: usize) {
    let bytes: Vec<Bytes> = messages.iter().map(|m| Bytes::from(m.clone())).collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); CRATES.len()];
    for _ in 0..rounds {
        for (c, t) in times.iter_mut().enumerate() {
            let start = Instant::now();
            loop {
                let i = Instant::now();
                black_box(run(c, messages, &bytes));
                t.push(i.elapsed());
                if start.elapsed() > Duration::from_millis(30) {
                    break;
                }
            }
        }
    }
    let stats: Vec<(f64, f64)> = times
        .iter_mut()
        .map(|t| {
            t.sort();
            (t[0].as_secs_f64() * 1e6, t[t.len() / 2].as_secs_f64() * 1e6)
        })
        .collect();
    let fastest_other =
        |f: fn(&(f64, f64)) -> f64| stats[OTHERS].iter().map(f).fold(f64::INFINITY, f64::min);
    print!("{input:16}");
    for (name, (min, med)) in CRATES.iter().zip(&stats) {
        print!("  {name} {min:.1}/{med:.1} us");
    }
    println!(
        "  | ratio by min {:.2}x, by median {:.2}x",
        fastest_other(|s| s.0) / stats[0].0,
        fastest_other(|s| s.1) / stats[0].1
    );
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map_or(10, |a| a.parse().expect("rounds"));
    let full = load_bgp4mp_messages(Path::new(FULL_TABLE)).ok();
    if let Some(full) = &full {
        let first: Vec<Vec<u8>> = full
            .iter()
            .filter(|m| m[18] == 2)
            .take(1000)
            .cloned()
            .collect();
        compare("real_first_1000", &first, rounds);
    }
    compare("synthetic_1000", &small_updates(1000), rounds);
    let m = our_encode_messages(&slash24s(500)).expect("500 /24s encode");
    compare("500x24", &m, rounds);
    if let Some(full) = &full {
        compare("full_table", full, rounds);
    }
}

//! Decodes and walks the full-table stream with bgp-wire (the
//! `decode_walk/full_table` work of `benches/wire.rs`, ours only) N times:
//! a fixed amount of work for instruction counting with callgrind, which is
//! stable where timings are not.
//!
//! ```sh
//! cargo build --release -p bgp-benches --example wire_walk_once
//! valgrind --tool=callgrind --toggle-collect='*wire_walk_once::run*' \
//!     target/release/examples/wire_walk_once 1
//! ```
//!
//! Arguments: iterations (default 1), and optionally `decode` to decode
//! the full-table stream without walking, or the input of another
//! `decode_walk` bench to walk instead of the full table: `first1000`
//! (`real_first_1000`), `synthetic` (`synthetic_1000`), `500x24` (`full` for
//! the full table), and then `view` to walk with `our_decode_walk_view`
//! (decode, then the view's iterators) instead of `our_decode_walk`
//! (`Update::visit`). Prints the minimum and median time of one iteration
//! (for interleaved A/B timing of two builds).
#![allow(missing_docs, clippy::disallowed_methods)]

use std::hint::black_box;
use std::path::Path;

use bgp_benches::mrt::load_bgp4mp_messages;
use bgp_benches::ours::{
    our_decode_walk, our_decode_walk_view, our_encode_messages, slash24s, small_updates,
};
use bgp_wire::{SessionContext, parse_message};

const FULL_TABLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/mrt/updates.et-header.2015.gz"
);

#[inline(never)]
fn run_walk(messages: &[Vec<u8>]) -> u64 {
    messages
        .iter()
        .fold(0u64, |a, m| a ^ our_decode_walk(black_box(m)))
}

#[inline(never)]
fn run_walk_view(messages: &[Vec<u8>]) -> u64 {
    messages
        .iter()
        .fold(0u64, |a, m| a ^ our_decode_walk_view(black_box(m)))
}

#[inline(never)]
fn run_decode(messages: &[Vec<u8>], ctx: &SessionContext) -> u64 {
    messages.iter().fold(0u64, |a, m| {
        a + u64::from(parse_message(black_box(m), ctx).is_ok())
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(1, |a| a.parse().expect("iterations"));
    let mode = args.next().unwrap_or_default();
    let decode_only = mode == "decode";
    let view = args.next().is_some_and(|a| a == "view");
    let full = load_bgp4mp_messages(Path::new(FULL_TABLE)).expect("the MRT file reads");
    let messages = match mode.as_str() {
        "first1000" => full.into_iter().filter(|m| m[18] == 2).take(1000).collect(),
        "synthetic" => small_updates(1000),
        "500x24" => our_encode_messages(&slash24s(500)).expect("500 /24s encode"),
        _ => full,
    };
    let ctx = SessionContext::permissive();
    let mut x = 0;
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = std::time::Instant::now();
        x ^= if decode_only {
            run_decode(&messages, &ctx)
        } else if view {
            run_walk_view(&messages)
        } else {
            run_walk(&messages)
        };
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "{} messages, result {x:#x}; min {:.4} ms, median {:.4} ms of {n}",
        messages.len(),
        times[0].as_secs_f64() * 1e3,
        times[n / 2].as_secs_f64() * 1e3
    );
}

//! Decodes an MRT file once (every record, message and RIB entry validated)
//! and prints the count: a fixed amount of work for instruction counting
//! with `valgrind --tool=callgrind`, which is stable where timings are not.
//!
//! ```sh
//! valgrind --tool=callgrind --toggle-collect='*mrt_decode_once::decode*' \
//!     target/release/examples/mrt_decode_once FILE.gz
//! ```
//!
//! With a second argument N it decodes N times and prints the minimum and
//! median time of one decode (for interleaved A/B timing of two builds).
#![allow(missing_docs, clippy::disallowed_methods)]

use std::io::Read;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: mrt_decode_once FILE.gz");
    let mut buf = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("open"))
        .read_to_end(&mut buf)
        .expect("gunzip");
    let runs: usize = std::env::args()
        .nth(2)
        .map_or(1, |a| a.parse().expect("runs"));
    let mut times = Vec::with_capacity(runs);
    let mut n = 0;
    for _ in 0..runs {
        let t = std::time::Instant::now();
        n = decode(std::hint::black_box(&buf));
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "{n} ok of {} bytes; min {:.2} ms, median {:.2} ms of {runs}",
        buf.len(),
        times[0].as_secs_f64() * 1e3,
        times[runs / 2].as_secs_f64() * 1e3
    );
}

/// The measured part: everything after the gunzip (the bench's work).
#[inline(never)]
fn decode(buf: &[u8]) -> u64 {
    bgp_benches::mrt::decode_all(buf)
}

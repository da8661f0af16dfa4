//! Shared helpers for the benchmarks (loading the real inputs).
//!
//! - [`mrt`] reads the BGP messages out of the gzipped MRT dumps in `../shared/data/mrt`.
//! - [`competitors`] decodes-and-walks and encodes UPDATEs with the crates we compare
//!   against (`bgpkit-parser`, `routecore`, `rustbgpd-wire`), through their public APIs.
//! - [`ours`] does the same with `bgp-wire`, with the same walk and checksum.
//! - [`rib_data`] loads the full-table prefix lists and churn for the RIB benchmarks.

pub mod competitors;
pub mod mrt;
pub mod ours;
pub mod rib_data;

//! `bgp-policy`: prefix-lists, AS-path and community lists and route-maps,
//! evaluated as FRR evaluates them, with a parser for FRR's text syntax.
//!
//! This crate is a placeholder until its issue is worked on; the attribute
//! types it will match and set are in [`bgp_wire`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use bgp_wire;

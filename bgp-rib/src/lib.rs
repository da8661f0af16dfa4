//! `bgp-rib`: Adj-RIB-In, Loc-RIB and Adj-RIB-Out over radix tries, with the
//! decision process of [RFC 4271 §9.1], sans-IO.
//!
//! This crate is a placeholder until its issue is worked on; the wire types it
//! will store are in [`bgp_wire`].
//!
//! [RFC 4271 §9.1]: https://www.rfc-editor.org/rfc/rfc4271#section-9.1
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use bgp_wire;

pub mod policy;

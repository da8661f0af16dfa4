//! `bgp-fsm`: the BGP-4 session state machine of [RFC 4271 §8], sans-IO.
//!
//! One `Session` per peer will take TCP events, received bytes and the current
//! time (`now: Instant`) from the caller and hand back bytes to send, the next
//! deadline and events. It never opens a socket, spawns a thread or reads a
//! clock. This crate is a placeholder until its issue is worked on; the wire
//! types it will speak are in [`bgp_wire`].
//!
//! [RFC 4271 §8]: https://www.rfc-editor.org/rfc/rfc4271#section-8
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use bgp_wire;

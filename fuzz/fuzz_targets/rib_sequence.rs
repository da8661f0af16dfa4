//! Fuzz target: see `bgp_rib::fuzzing::rib_sequence` (RIB and peer
//! configuration octets, then announcements, withdrawals, UPDATE messages,
//! sessions up and down, graceful restart, policy and next-hop changes,
//! origination and drains, with the change streams and queries checked
//! against the RIB's own state).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bgp_rib::fuzzing::rib_sequence(data, std::time::Instant::now())
});

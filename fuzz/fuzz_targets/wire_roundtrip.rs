//! Fuzz target: see `bgp_wire::fuzzing::roundtrip`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| bgp_wire::fuzzing::roundtrip(data));

//! Fuzz target: see `bgp_fsm::fuzzing::fsm_sequence` (configuration octets,
//! then TCP events, peer messages, raw bytes, commands and time steps, with
//! the session's invariants checked after each).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bgp_fsm::fuzzing::fsm_sequence(data, std::time::Instant::now())
});

//! Fuzz target: bgp-policy's FRR-syntax parser never panics, and whatever it
//! accepts prints to text that parses back to the same policy.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((config, _other)) = bgp_policy::Config::parse_full(text) else {
        return;
    };
    let printed = config.to_string();
    let again = bgp_policy::Config::parse(&printed)
        .unwrap_or_else(|e| panic!("printed policy does not parse: {e}\n{printed}"));
    assert!(again == config, "round trip changed the policy:\n{printed}");
    // Compiling must not panic either.
    let _ = bgp_policy::Policies::new(config);
});

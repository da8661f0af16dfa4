//! `fabric`'s scenarios and random-fault runs: every invariant must hold.
//! A failing seed is printed so that `fabric --seed S --scenario NAME`
//! replays it.

use bgp_examples::fabric::{Fabric, FabricConfig, SCENARIOS};

fn run(scenario: &str, seed: u64, hosts: usize, faults: f64) -> Result<(), String> {
    let cfg = FabricConfig {
        hosts,
        seed,
        ..FabricConfig::default()
    };
    let mut f = Fabric::new(&cfg, bgp_examples::driver::clock())?;
    let r = f.run(scenario, faults);
    if r.ok() {
        Ok(())
    } else {
        Err(format!(
            "fabric --hosts {hosts} --seed {seed} --scenario {scenario} --faults {faults}: {}\nfaults: {:#?}\nsteps: {:#?}",
            r.violation.as_deref().unwrap_or("a step did not converge"),
            r.faults,
            r.steps
        ))
    }
}

#[test]
fn every_scenario_holds_its_invariants() {
    for &s in SCENARIOS.iter().filter(|s| **s != "faults") {
        for seed in 1..=3 {
            run(s, seed, 12, 0.0).unwrap();
        }
    }
}

/// A few hundred seeds of random link cuts, stalls and restarts (the count
/// can be raised with FABRIC_SEEDS), spread over the machine's cores.
#[test]
fn random_fault_seeds_converge() {
    let seeds: u64 = std::env::var("FABRIC_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    (1..=seeds)
                        .filter(|seed| seed % threads == t)
                        .filter_map(|seed| run("faults", seed, 6, 0.5).err())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {seeds} seeds failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

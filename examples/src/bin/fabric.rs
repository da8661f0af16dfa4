//! `fabric`: the users' whole network — two borders, two route servers, N
//! hosts — simulated in one process, in virtual time. See
//! `bgp_examples::fabric` and examples/README.md.
//!
//! ```text
//! fabric [--hosts N] [--seed S] [--latency MS] [--scenario NAME] [--faults RATE] [--batch MS]
//!        [--config-dir DIR] [--write-configs DIR] [--json] [--trace]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bgp_examples::fabric::{Fabric, FabricConfig, Report, SCENARIOS};

struct Args {
    cfg: FabricConfig,
    scenario: String,
    faults: f64,
    json: bool,
    trace: bool,
    write_configs: Option<PathBuf>,
}

fn usage() -> String {
    format!(
        "usage: fabric [--hosts N] [--seed S] [--latency MS] [--scenario NAME] [--faults RATE] [--batch MS]\n\
         \x20             [--config-dir DIR] [--write-configs DIR] [--json] [--trace]\n\
         scenarios: {}",
        SCENARIOS.join(", ")
    )
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        cfg: FabricConfig::default(),
        scenario: "tour".into(),
        faults: 0.0,
        json: false,
        trace: false,
        write_configs: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{}", usage()))
        };
        let num = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: not a number: {v}"))
        };
        match flag.as_str() {
            "--hosts" => a.cfg.hosts = num(value()?)? as usize,
            "--seed" => a.cfg.seed = num(value()?)?,
            "--latency" => {
                let v = value()?;
                let ms: f64 = v
                    .parse()
                    .map_err(|_| format!("--latency: not a number: {v}"))?;
                a.cfg.latency = Duration::from_secs_f64(ms / 1000.0);
                a.cfg.jitter = a.cfg.latency / 5;
            }
            "--scenario" => {
                a.scenario = value()?;
                if !SCENARIOS.contains(&a.scenario.as_str()) {
                    return Err(format!("unknown scenario {}\n{}", a.scenario, usage()));
                }
            }
            "--faults" => {
                let v = value()?;
                a.faults = v
                    .parse()
                    .map_err(|_| format!("--faults: not a number: {v}"))?;
                if a.scenario == "tour" {
                    a.scenario = "faults".into();
                }
            }
            "--config-dir" => a.cfg.config_dir = Some(value()?.into()),
            "--write-configs" => a.write_configs = Some(value()?.into()),
            "--batch" => {
                let v = value()?;
                let ms: f64 = v
                    .parse()
                    .map_err(|_| format!("--batch: not a number: {v}"))?;
                a.cfg.batching = Duration::from_secs_f64(ms / 1000.0);
            }
            "--json" => a.json = true,
            "--trace" => a.trace = true,
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument {other}\n{}", usage())),
        }
    }
    if a.cfg.hosts < 2 {
        return Err("--hosts must be at least 2".into());
    }
    if a.scenario == "faults" && a.faults <= 0.0 {
        a.faults = 0.2;
    }
    Ok(a)
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn print_json(a: &Args, r: &Report, wall: Duration, virt: Duration) {
    let steps: Vec<String> = r
        .steps
        .iter()
        .map(|s| {
            format!(
                "{{\"at_s\":{:.6},\"step\":{},\"what\":{},\"took_ms\":{}}}",
                s.at.as_secs_f64(),
                json_str(&s.name),
                json_str(&s.what),
                s.took.map_or("null".into(), |t| format!(
                    "{:.3}",
                    t.as_secs_f64() * 1000.0
                ))
            )
        })
        .collect();
    let faults: Vec<String> = r.faults.iter().map(|f| json_str(f)).collect();
    println!(
        "{{\"scenario\":{},\"hosts\":{},\"seed\":{},\"ok\":{},\"virtual_s\":{:.3},\"wall_s\":{:.3},\"max_rss_kib\":{},\"steps\":[{}],\"faults\":[{}],\"violation\":{}}}",
        json_str(&a.scenario),
        a.cfg.hosts,
        a.cfg.seed,
        r.ok(),
        virt.as_secs_f64(),
        wall.as_secs_f64(),
        max_rss_kib().map_or("null".into(), |k| k.to_string()),
        steps.join(","),
        faults.join(","),
        r.violation.as_deref().map_or("null".into(), json_str)
    );
}

/// Peak resident memory from /proc (Linux), in KiB.
fn max_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> ExitCode {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let wall = bgp_examples::driver::clock();
    let epoch = bgp_examples::driver::clock();
    let mut f = match Fabric::new(&a.cfg, epoch) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fabric: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = &a.write_configs {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("fabric: {}: {e}", dir.display());
            return ExitCode::from(2);
        }
        for n in 0..f.net.nodes.len() {
            let p = dir.join(format!("{}.conf", f.name(n)));
            if let Err(e) = std::fs::write(&p, f.config(n)) {
                eprintln!("fabric: {}: {e}", p.display());
                return ExitCode::from(2);
            }
        }
    }
    if !a.json {
        println!(
            "fabric: {} hosts, 2 route servers, 2 borders; seed {}, latency {:?}; scenario {}",
            a.cfg.hosts, a.cfg.seed, a.cfg.latency, a.scenario
        );
    }
    let report = f.run(&a.scenario, a.faults);
    let wall = wall.elapsed();
    let virt = f.elapsed();
    if a.trace {
        print!("{}", f.trace_tail(usize::MAX));
    }
    if a.json {
        print_json(&a, &report, wall, virt);
    } else {
        for fault in &report.faults {
            println!("  fault  {fault}");
        }
        for s in &report.steps {
            let took = s.took.map_or("DID NOT CONVERGE".to_string(), |t| {
                format!("{:>9.3} ms", t.as_secs_f64() * 1000.0)
            });
            println!(
                "[{:>9.3}s] {:<20} {took}  {}",
                s.at.as_secs_f64(),
                s.name,
                s.what
            );
        }
        println!(
            "summary: {} ({} steps), {:.1} s virtual in {:.2} s wall, peak memory {} MiB",
            if report.ok() {
                "all invariants held"
            } else {
                "FAILED"
            },
            report.steps.len(),
            virt.as_secs_f64(),
            wall.as_secs_f64(),
            max_rss_kib().map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0))
        );
        if let Some(v) = &report.violation {
            println!(
                "violation (replay with --seed {} --scenario {}):\n{v}",
                a.cfg.seed, a.scenario
            );
        }
    }
    if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

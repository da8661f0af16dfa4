//! `mrt-dump` against bgpdump's own output, byte for byte.
//!
//! The first test runs on the samples in `examples/data/mrt/` (so a fresh
//! clone tests it). The second runs on every expectation in the shared data
//! set (`../shared/data/mrt/expected/` next to the workspace, or
//! `$MRT_DATA_DIR/expected/`) whose input is present, and prints "skipped"
//! when that data set is absent.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn gunzip(path: &Path) -> Vec<u8> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(f)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Runs `mrt-dump FLAG INPUT` and compares its output with `expected`;
/// `Err` names the first differing line.
fn check(flag: &str, input: &Path, expected: &[u8]) -> Result<usize, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_mrt-dump"))
        .arg(flag)
        .arg(input)
        .output()
        .expect("run mrt-dump");
    if out.stdout == expected {
        return Ok(expected.split(|&b| b == b'\n').count() - 1);
    }
    let got = String::from_utf8_lossy(&out.stdout);
    let want = String::from_utf8_lossy(expected);
    let (n, (g, w)) = got
        .lines()
        .map(Some)
        .chain(std::iter::repeat(None))
        .zip(want.lines().map(Some).chain(std::iter::repeat(None)))
        .take_while(|(g, w)| g.is_some() || w.is_some())
        .enumerate()
        .find(|(_, (g, w))| g != w)
        .unwrap_or((0, (None, None)));
    Err(format!(
        "{} {flag}: line {}:\n  bgpdump:  {w:?}\n  mrt-dump: {g:?}\n  stderr: {}",
        input.display(),
        n + 1,
        String::from_utf8_lossy(&out.stderr)
    ))
}

#[test]
fn samples_match_bgpdump() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mrt");
    let cases = [
        (
            "-m",
            "updates.20020722.2238.gz",
            "updates.20020722.2238.gz.bgp.gz",
        ),
        (
            "-M",
            "updates.20020722.2238.gz",
            "updates.20020722.2238.gz.M.bgp.gz",
        ),
        (
            "-m",
            "bview.ipv4_unicast_add_path.gz",
            "bview.ipv4_unicast_add_path.gz.bgp.gz",
        ),
        (
            "-m",
            "bview.ipv6_unicast_add_path.gz",
            "bview.ipv6_unicast_add_path.gz.bgp.gz",
        ),
        (
            "-m",
            "updates.nlri_mask_trailing_bits.gz",
            "updates.nlri_mask_trailing_bits.gz.bgp.gz",
        ),
        (
            "-m",
            "bview.64k_stream_overflow.gz",
            "bview.64k_stream_overflow.gz.bgp.gz",
        ),
        ("-m", "quagga_bgp", "quagga_bgp.bgp.gz"),
        ("-m", "quagga_rib.bz2", "quagga_rib.bz2.bgp.gz"),
        ("-m", "openbgpd_rib_table", "openbgpd_rib_table.bgp.gz"),
        (
            "-m",
            "openbgpd_rib_table-v2",
            "openbgpd_rib_table-v2.bgp.gz",
        ),
        ("-m", "bird-mrtdump_bgp", "bird-mrtdump_bgp.bgp.gz"),
        ("-m", "bird6-mrtdump_rib", "bird6-mrtdump_rib.bgp.gz"),
    ];
    let mut failures = Vec::new();
    for (flag, input, expected) in cases {
        let want = gunzip(&dir.join("expected").join(expected));
        if let Err(e) = check(flag, &dir.join(input), &want) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn shared_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("MRT_DATA_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/mrt"),
    };
    dir.join("expected").is_dir().then_some(dir)
}

#[test]
fn shared_data_set_matches_bgpdump() {
    let Some(dir) = shared_dir() else {
        println!("skipped: no shared MRT data set (set MRT_DATA_DIR)");
        return;
    };
    let mut names: Vec<_> = std::fs::read_dir(dir.join("expected"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".bgp.gz").map(str::to_owned))
        .collect();
    names.sort();
    let mut failures = Vec::new();
    let mut compared = 0;
    for name in names {
        let input = dir.join(&name);
        if !input.exists() {
            println!("skipped {name}: input absent");
            continue;
        }
        let want = gunzip(&dir.join("expected").join(format!("{name}.bgp.gz")));
        match check("-m", &input, &want) {
            Ok(lines) => println!("{name}: {lines} lines identical"),
            Err(e) => failures.push(e),
        }
        compared += 1;
    }
    assert!(
        compared > 0,
        "no expectation with its input in {}",
        dir.display()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

//! `bgp-decode`: prints BGP messages as JSON, one object per line.
//!
//! ```text
//! bgp-decode [OPTIONS] [FILE]
//! ```
//!
//! Reads FILE (or standard input when FILE is absent or `-`). By default
//! every line holds one message in hex (whitespace and `:` ignored, optional
//! `0x` prefix; blank lines and lines starting with `#` skipped). With
//! `--raw` the input is a binary byte stream of messages back to back.
//!
//! The session context decides how some bytes are read: 4-octet AS numbers
//! unless `--two-octet-as`, ADD-PATH path identifiers for the families given
//! with `--add-path`, messages up to 65535 octets with `--extended-message`,
//! external-peer rules of RFC 7606 with `--ebgp`.
//!
//! Try: `cargo run -p bgp-examples --bin bgp-decode -- examples/data/sample-updates.hex`

use std::io::{Read, Write};
use std::process::ExitCode;

use bgp_examples::json::{self, Obj};
use bgp_examples::parse_hex;
use bgp_wire::header::{MAX_EXTENDED_MESSAGE_LEN, MAX_MESSAGE_LEN};
use bgp_wire::{Family, FamilySet, SessionContext};

const USAGE: &str = "\
usage: bgp-decode [OPTIONS] [FILE]

Prints each BGP message of FILE (or standard input) as one line of JSON.

Input: one message in hex per line (whitespace ignored, optional 0x prefix,
blank lines and lines starting with # skipped), or with --raw a binary
stream of messages.

Options:
  --raw                 read a binary byte stream, not hex lines
  --two-octet-as        AS numbers are 2 octets (default: 4)
  --add-path FAMILY     NLRI of FAMILY carry path identifiers; repeatable;
                        ipv4-unicast, ipv6-unicast, ipv4-multicast,
                        ipv6-multicast or all
  --extended-message    allow messages up to 65535 octets (RFC 8654)
  --ebgp                the peer is external (RFC 7606 eBGP rules)
  -h, --help            print this help
";

struct Options {
    raw: bool,
    ctx: SessionContext,
    file: Option<String>,
}

fn add_path_family(name: &str) -> Option<Vec<Family>> {
    Some(match name {
        "ipv4-unicast" => vec![Family::IPV4_UNICAST],
        "ipv6-unicast" => vec![Family::IPV6_UNICAST],
        "ipv4-multicast" => vec![Family::IPV4_MULTICAST],
        "ipv6-multicast" => vec![Family::IPV6_MULTICAST],
        "all" => vec![
            Family::IPV4_UNICAST,
            Family::IPV6_UNICAST,
            Family::IPV4_MULTICAST,
            Family::IPV6_MULTICAST,
        ],
        _ => return None,
    })
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut raw = false;
    let mut ctx = SessionContext {
        // Stored messages: accept IPv6 next hops for IPv4 NLRI.
        extended_next_hop: SessionContext::permissive().extended_next_hop,
        ..SessionContext::default()
    };
    let mut add_path = FamilySet::EMPTY;
    let mut file = None;
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--raw" => raw = true,
            "--two-octet-as" => ctx.four_octet_as = false,
            "--extended-message" => ctx.max_message_len = MAX_EXTENDED_MESSAGE_LEN,
            "--ebgp" => ctx.ebgp = true,
            "--add-path" => {
                let name = args.next().ok_or("--add-path needs a FAMILY")?;
                let fams = add_path_family(&name)
                    .ok_or_else(|| format!("unknown family {name:?} for --add-path"))?;
                fams.into_iter().for_each(|f| {
                    add_path.insert(f);
                });
            }
            s if s.starts_with("--add-path=") => {
                let name = &s["--add-path=".len()..];
                let fams = add_path_family(name)
                    .ok_or_else(|| format!("unknown family {name:?} for --add-path"))?;
                fams.into_iter().for_each(|f| {
                    add_path.insert(f);
                });
            }
            "-" => file = None,
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            _ if file.is_some() => return Err("only one FILE may be given".into()),
            _ => file = Some(a),
        }
    }
    ctx.add_path = add_path;
    if ctx.max_message_len != MAX_EXTENDED_MESSAGE_LEN {
        ctx.max_message_len = MAX_MESSAGE_LEN;
    }
    Ok(Some(Options { raw, ctx, file }))
}

fn read_input(file: Option<&str>) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    match file {
        Some(path) => buf = std::fs::read(path)?,
        None => {
            std::io::stdin().lock().read_to_end(&mut buf)?;
        }
    }
    Ok(buf)
}

fn run(opts: &Options, out: &mut impl Write) -> std::io::Result<()> {
    let input = read_input(opts.file.as_deref())?;
    if opts.raw {
        for line in json::stream(&input, &opts.ctx) {
            writeln!(out, "{line}")?;
        }
        return Ok(());
    }
    for (n, line) in input.split(|&b| b == b'\n').enumerate() {
        let line = String::from_utf8_lossy(line);
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        match parse_hex(t) {
            Some(bytes) => {
                for obj in json::stream(&bytes, &opts.ctx) {
                    writeln!(out, "{obj}")?;
                }
                if bytes.is_empty() {
                    let mut o = Obj::new();
                    o.str("type", "INVALID")
                        .str("error", &format!("line {}: no octets", n + 1));
                    writeln!(out, "{}", o.finish())?;
                }
            }
            None => {
                let mut o = Obj::new();
                o.str("type", "INVALID")
                    .str("error", &format!("line {}: not hex", n + 1));
                writeln!(out, "{}", o.finish())?;
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("bgp-decode: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match run(&opts, &mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`bgp-decode … | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bgp-decode: {e}");
            ExitCode::FAILURE
        }
    }
}

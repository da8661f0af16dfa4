//! `policy-check`: what a route-map or prefix-list of an FRR configuration
//! does to routes.
//!
//! ```text
//! policy-check --config FILE (--route-map NAME | --prefix-list NAME) [--routes FILE]
//!              [--export] [--peer ADDR] [--local ADDR] [--peer-as N] [--local-as N]
//!              [--source bgp|static|connected]
//! ```
//!
//! Reads the policy statements of FILE (a whole FRR configuration is fine:
//! other lines are left alone) with [`bgp_policy::Config::parse_full`], then
//! routes one a line from `--routes` or standard input (the grammar of
//! [`bgp_examples::routes`]), and prints one line per route: `deny PREFIX`,
//! or `permit` and the route with its resulting attributes, in the same
//! grammar; after `#`, the entries that matched.
//!
//! With `--export` to an internal peer (`--peer-as` equal to `--local-as`), a
//! route without LOCAL_PREF gets 100 before the policy runs, as FRR does
//! (RFC 4271 §5.1.5: LOCAL_PREF is in every UPDATE to an internal peer), so
//! `set local-preference +10` gives 110 there and 10 on import.
//!
//! Try: `cargo run -p bgp-examples --bin policy-check -- --config examples/data/policy/seed.conf --prefix-list hostroutes --routes examples/data/policy/seed.routes`

use std::io::{self, BufRead, BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;

use bgp_examples::routes::{format_route, parse_route};
use bgp_policy::bgp_rib::policy::{Direction, PeerInfo, Policy, PolicyRoute, Source, Verdict};
use bgp_policy::{AddrFamily, Config, Policies};

const USAGE: &str = "\
usage: policy-check --config FILE (--route-map NAME | --prefix-list NAME) [--routes FILE]
                    [--export] [--peer ADDR] [--local ADDR] [--peer-as N] [--local-as N]
                    [--source bgp|static|connected]

Applies a route-map or prefix-list of FILE (FRR syntax) to routes, one a line:
  PREFIX [as-path A B C] [community a:b ...] [large-community a:b:c ...]
         [ext-community rt|soo X ...] [local-pref N] [med N]
         [origin igp|egp|incomplete] [next-hop ADDR] [weight N]
and prints 'deny PREFIX' or 'permit ROUTE' (the resulting attributes) per line.
The session defaults to an import from peer 192.0.2.1 AS 65001 to us at
192.0.2.2 AS 65000.";

enum Target {
    RouteMap(String),
    PrefixList(String),
}

struct Args {
    config: String,
    target: Target,
    routes: Option<String>,
    direction: Direction,
    peer: PeerInfo,
    source: Source,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut config, mut target, mut routes) = (None, None, None);
    let mut direction = Direction::Import;
    let mut source = Source::Bgp;
    let mut peer = PeerInfo {
        address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        local_address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
        asn: 65001,
        local_asn: 65000,
        router_id: Ipv4Addr::new(192, 0, 2, 1),
        role: None,
    };
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--config" => config = Some(val()?),
            "--route-map" => target = Some(Target::RouteMap(val()?)),
            "--prefix-list" => target = Some(Target::PrefixList(val()?)),
            "--routes" => routes = Some(val()?),
            "--export" => direction = Direction::Export,
            "--peer" => peer.address = val()?.parse().map_err(|_| "bad --peer address")?,
            "--local" => peer.local_address = val()?.parse().map_err(|_| "bad --local address")?,
            "--peer-as" => peer.asn = val()?.parse().map_err(|_| "bad --peer-as")?,
            "--local-as" => peer.local_asn = val()?.parse().map_err(|_| "bad --local-as")?,
            "--source" => {
                source = match val()?.as_str() {
                    "bgp" => Source::Bgp,
                    "static" => Source::Static,
                    "connected" => Source::Connected,
                    s => return Err(format!("bad --source '{s}'")),
                }
            }
            "-h" | "--help" => return Err(String::new()),
            _ => return Err(format!("unknown argument '{a}'")),
        }
    }
    if let IpAddr::V4(a) = peer.address {
        peer.router_id = a;
    }
    Ok(Args {
        config: config.ok_or("--config is required")?,
        target: target.ok_or("--route-map or --prefix-list is required")?,
        routes,
        direction,
        peer,
        source,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("policy-check: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(&args.config) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("policy-check: {}: {e}", args.config);
            return ExitCode::from(2);
        }
    };
    let config = match Config::parse_full(&text) {
        Ok((c, _other)) => c,
        Err(e) => {
            eprintln!("policy-check: {}: {e}", args.config);
            return ExitCode::from(2);
        }
    };
    let policies = Policies::new(config);
    match &args.target {
        Target::RouteMap(n) if !policies.route_map(n).exists() => {
            eprintln!(
                "policy-check: note: route-map {n} does not exist: every route is denied (as in FRR)"
            );
        }
        Target::PrefixList(n)
            if policies.config().prefix_list(AddrFamily::Ipv4, n).is_none()
                && policies.config().prefix_list(AddrFamily::Ipv6, n).is_none() =>
        {
            eprintln!(
                "policy-check: note: prefix-list {n} does not exist: every route is denied (as in FRR)"
            );
        }
        _ => {}
    }
    let input: Box<dyn BufRead> = match &args.routes {
        None => Box::new(io::stdin().lock()),
        Some(p) => match std::fs::File::open(p) {
            Ok(f) => Box::new(io::BufReader::new(f)),
            Err(e) => {
                eprintln!("policy-check: {p}: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let name = args.routes.as_deref().unwrap_or("-");
    for (i, line) in input.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("policy-check: {name}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let r = match parse_route(&line) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => {
                eprintln!("policy-check: {name}:{}: {e}", i + 1);
                return ExitCode::FAILURE;
            }
        };
        let mut attrs = r.attrs.clone();
        if args.direction == Direction::Export && args.peer.is_ibgp() && attrs.local_pref.is_none()
        {
            // What FRR does before the outbound policy of an internal peer:
            // LOCAL_PREF goes in every UPDATE to one (RFC 4271 §5.1.5), with
            // the default 100 (`bgp default local-preference`).
            attrs.local_pref = Some(100);
        }
        let route = PolicyRoute {
            prefix: r.prefix,
            path_id: None,
            attrs: &attrs,
            weight: r.weight,
            source: args.source,
            direction: args.direction,
            peer: &args.peer,
        };
        let (verdict, why) = match &args.target {
            Target::RouteMap(n) => {
                let o = policies.route_map(n).evaluate_traced(&route);
                let why: Vec<String> = o
                    .hits
                    .iter()
                    .map(|h| format!("{} {} {}", h.route_map, h.action, h.seq))
                    .collect();
                let why = if o.next_hop_unchanged {
                    format!("{} (next hop unchanged)", why.join(", "))
                } else {
                    why.join(", ")
                };
                (o.verdict(&route), why)
            }
            Target::PrefixList(n) => {
                let family = AddrFamily::of(&r.prefix);
                let list = policies.config().prefix_list(family, n);
                let why = list
                    .and_then(|l| l.lookup(&r.prefix))
                    .map(|e| {
                        format!(
                            "{} prefix-list {n} seq {} {}",
                            family.keyword(),
                            e.seq,
                            e.action
                        )
                    })
                    .unwrap_or_else(|| "no entry matched".into());
                (policies.prefix_list(family, n).evaluate(&route), why)
            }
        };
        let text = match verdict {
            Verdict::Deny => format!("deny {}", r.prefix),
            Verdict::Permit => format!("permit {}", format_route(&r.prefix, &attrs, r.weight)),
            Verdict::Modified(m) => {
                format!("permit {}", format_route(&r.prefix, &m.attrs, m.weight))
            }
        };
        let res = if why.is_empty() {
            writeln!(out, "{text}")
        } else {
            writeln!(out, "{text} # {why}")
        };
        if res.is_err() {
            return ExitCode::FAILURE;
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

//! The control commands of `speaker ctl`, executed against a [`Router`]:
//! parsing and answering them needs no I/O, so they are tested without a
//! socket. The speaker reads one request line from its control socket,
//! calls [`execute`], and writes the answer back.
//!
//! ```text
//! show summary [--json]
//! show rib [ipv4|ipv6] [--json]
//! show rib summary [--json]
//! show neighbor ADDR received-routes|advertised-routes [--json]
//! announce route PREFIX next-hop ADDR [as-path ASN...] [community C...]
//!          [large-community G:L1:L2...] [local-pref N] [med N] [origin igp|egp|incomplete]
//! withdraw route PREFIX
//! clear neighbor ADDR [soft in|out]
//! reload
//! ```

use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use bgp_rib::PeerId;
use bgp_wire::attr::{AsPathBuf, Community, LargeCommunity, NextHop, Origin};
use bgp_wire::{Nlri, RouteAttrs};
use ipnet::IpNet;

use crate::json::Obj;
use crate::router::{Clear, Router};

/// What a request asks for, when the caller has to act (reload, which
/// needs the configuration file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Answered by [`execute`].
    Answer(String),
    /// `reload`: the caller re-reads its configuration.
    Reload,
}

/// An error answer.
fn err(msg: impl Into<String>) -> Result<String, String> {
    Err(msg.into())
}

/// Executes one request line. `Ok` is the answer; `Err` an error message
/// (the speaker prefixes it with `error: `).
pub fn execute(router: &mut Router, now: Instant, line: &str) -> Result<Request, String> {
    let mut words: Vec<&str> = line.split_whitespace().collect();
    let json = if let Some(i) = words.iter().position(|w| *w == "--json") {
        words.remove(i);
        true
    } else {
        false
    };
    let answer = match words.as_slice() {
        ["show", "summary"] => Ok(summary(router, now, json)),
        ["show", "rib"] => Ok(rib(router, None, json)),
        ["show", "rib", "summary"] => Ok(rib_summary(router, json)),
        ["show", "rib", "ipv4"] => Ok(rib(router, Some(false), json)),
        ["show", "rib", "ipv6"] => Ok(rib(router, Some(true), json)),
        [
            "show",
            "neighbor",
            addr,
            kind @ ("received-routes" | "advertised-routes"),
        ] => {
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("not an address: {addr}"))?;
            neighbor_routes(router, addr, *kind == "received-routes", json)
        }
        ["announce", "route", rest @ ..] => {
            let (prefix, attrs) = parse_route(rest)?;
            router.announce(now, prefix, attrs);
            Ok(format!("announced {prefix}\n"))
        }
        ["withdraw", "route", p] => {
            let prefix: IpNet = p.parse().map_err(|_| format!("not a prefix: {p}"))?;
            router.withdraw(now, prefix);
            Ok(format!("withdrew {prefix}\n"))
        }
        ["clear", "neighbor", addr, rest @ ..] => {
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("not an address: {addr}"))?;
            let how = match rest {
                [] => Clear::Hard,
                ["soft", "in"] => Clear::SoftIn,
                ["soft", "out"] => Clear::SoftOut,
                ["soft"] => {
                    router.clear(now, addr, Clear::SoftIn);
                    Clear::SoftOut
                }
                _ => {
                    return Err(format!(
                        "expected 'soft in' or 'soft out', found '{}'",
                        rest.join(" ")
                    ));
                }
            };
            if router.clear(now, addr, how) {
                Ok(format!("cleared {addr}\n"))
            } else {
                err(format!("no neighbor {addr}"))
            }
        }
        ["reload"] => return Ok(Request::Reload),
        _ => err(format!("unknown command '{line}'")),
    };
    answer.map(Request::Answer)
}

fn summary(router: &Router, now: Instant, json: bool) -> String {
    let rows = router.summary(now);
    if json {
        let mut list = Vec::new();
        for n in &rows {
            let mut o = Obj::new();
            o.str("address", &n.address.to_string());
            match n.asn {
                Some(a) => o.num("as", a),
                None => o.raw("as", "null"),
            };
            o.str("state", &format!("{:?}", n.state));
            o.num("uptime_s", n.uptime.map_or(0, |u| u.as_secs()));
            o.num("prefixes_received", n.received as u64);
            o.num("prefixes_accepted", n.accepted as u64);
            o.num("prefixes_advertised", n.advertised as u64);
            match &n.description {
                Some(d) => o.str("description", d),
                None => o.raw("description", "null"),
            };
            o.bool("dynamic", n.dynamic);
            match &n.negotiated {
                Some(neg) => o.raw("negotiated", &negotiated_json(neg)),
                None => o.raw("negotiated", "null"),
            };
            list.push(o.finish());
        }
        let mut o = Obj::new();
        o.num("as", router.asn());
        o.str("router_id", &router.router_id().to_string());
        o.raw("neighbors", &format!("[{}]", list.join(",")));
        return o.finish() + "\n";
    }
    let mut s = format!(
        "BGP router identifier {}, local AS number {}\n{:<39} {:>10} {:<12} {:>9} {:>8} {:>8} {:>8}  {}\n",
        router.router_id(),
        router.asn(),
        "Neighbor",
        "AS",
        "State",
        "Up/Down",
        "Rcvd",
        "Accepted",
        "Adv",
        "Description"
    );
    for n in rows {
        let up = n.uptime.map_or("never".to_string(), |u| {
            let t = u.as_secs();
            format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
        });
        let _ = writeln!(
            s,
            "{:<39} {:>10} {:<12} {:>9} {:>8} {:>8} {:>8}  {}",
            n.address,
            n.asn.map_or("?".into(), |a| a.to_string()),
            format!("{:?}", n.state),
            up,
            n.received,
            n.accepted,
            n.advertised,
            n.description.unwrap_or_default()
        );
    }
    s
}

/// The capabilities a session negotiated, as JSON.
fn negotiated_json(n: &bgp_fsm::Negotiated) -> String {
    let mut o = Obj::new();
    o.num("hold_time", u64::from(n.hold_time));
    o.bool("four_octet_as", n.four_octet_as);
    o.strs("families", n.families.iter());
    o.strs("add_path_send", n.add_path_send.iter());
    o.strs("add_path_receive", n.add_path_receive.iter());
    o.bool("extended_message", n.extended_message);
    o.bool("route_refresh", n.route_refresh);
    o.bool("graceful_restart", n.graceful_restart.is_some());
    o.finish()
}

/// `show rib summary`: the Loc-RIB's size, without walking it (cheap
/// enough to poll while a full table arrives; `show summary` walks every
/// neighbor's Adj-RIB-In).
fn rib_summary(router: &Router, json: bool) -> String {
    let (v4, v6) = router.rib().prefix_count();
    let sets = router.rib().attribute_sets();
    if json {
        let mut o = Obj::new();
        o.num("ipv4_prefixes", v4 as u64);
        o.num("ipv6_prefixes", v6 as u64);
        o.num("attribute_sets", sets as u64);
        return o.finish() + "\n";
    }
    format!("IPv4 prefixes {v4}, IPv6 prefixes {v6}, attribute sets {sets}\n")
}

fn origin_str(o: Origin) -> &'static str {
    match o {
        Origin::Igp => "igp",
        Origin::Egp => "egp",
        Origin::Incomplete => "incomplete",
    }
}

fn next_hop_str(n: Option<&NextHop>) -> String {
    match n {
        Some(NextHop::V4(a)) => a.to_string(),
        Some(NextHop::V6 { global, .. }) => global.to_string(),
        Some(NextHop::Other(b)) => format!("{b:02x?}"),
        None => "0.0.0.0".into(),
    }
}

fn community_str(c: Community) -> String {
    format!("{}:{}", c.0 >> 16, c.0 & 0xffff)
}

/// One route as JSON.
fn route_json(
    prefix: &str,
    path_id: Option<u32>,
    attrs: &RouteAttrs,
    extra: &[(&str, String)],
) -> String {
    let mut o = Obj::new();
    o.str("prefix", prefix);
    if let Some(id) = path_id {
        o.num("path_id", u64::from(id));
    }
    o.str("next_hop", &next_hop_str(attrs.next_hop.as_ref()));
    o.str("as_path", &attrs.as_path.to_string());
    o.str("origin", origin_str(attrs.origin));
    match attrs.med {
        Some(m) => o.num("med", m),
        None => o.raw("med", "null"),
    };
    match attrs.local_pref {
        Some(l) => o.num("local_pref", l),
        None => o.raw("local_pref", "null"),
    };
    o.strs(
        "communities",
        attrs.communities.iter().map(|c| community_str(*c)),
    );
    o.strs(
        "large_communities",
        attrs
            .extra
            .large_communities
            .iter()
            .map(|l| format!("{}:{}:{}", l.global, l.local1, l.local2)),
    );
    for (k, v) in extra {
        o.raw(k, v);
    }
    o.finish()
}

fn route_line(best: &str, prefix: &str, attrs: &RouteAttrs, weight: u16) -> String {
    let comms: Vec<String> = attrs
        .communities
        .iter()
        .map(|c| community_str(*c))
        .collect();
    let large: Vec<String> = attrs
        .extra
        .large_communities
        .iter()
        .map(|l| format!("{}:{}:{}", l.global, l.local1, l.local2))
        .collect();
    let mut s = format!(
        "{best:<3}{prefix:<44} {:<39} {:>10} {:>7} {:>6} {} {}",
        next_hop_str(attrs.next_hop.as_ref()),
        attrs.med.map_or(String::new(), |m| m.to_string()),
        attrs.local_pref.map_or(String::new(), |m| m.to_string()),
        weight,
        attrs.as_path,
        origin_str(attrs.origin)
    );
    if !comms.is_empty() {
        let _ = write!(s, " community {}", comms.join(" "));
    }
    if !large.is_empty() {
        let _ = write!(s, " large-community {}", large.join(" "));
    }
    s.push('\n');
    s
}

const RIB_HEADER: &str = "   Network                                      Next Hop                                       Metric LocPrf Weight Path\n";

fn rib(router: &Router, v6: Option<bool>, json: bool) -> String {
    let rib = router.rib();
    let mut routes = Vec::new();
    let mut text = String::from(RIB_HEADER);
    for (prefix, best) in rib.loc_rib() {
        if v6.is_some_and(|v6| v6 != matches!(prefix, IpNet::V6(_))) {
            continue;
        }
        let p = prefix.to_string();
        for path in rib.paths(&prefix) {
            let is_best = path.peer == best.peer && path.path_id == best.path_id;
            let from = if path.peer == PeerId::LOCAL {
                "local".to_string()
            } else {
                format!("{}", path.peer.index())
            };
            if json {
                routes.push(route_json(
                    &p,
                    path.path_id,
                    &path.attrs,
                    &[
                        ("best", is_best.to_string()),
                        ("weight", path.weight.to_string()),
                        ("stale", path.stale.to_string()),
                        ("peer", format!("\"{from}\"")),
                    ],
                ));
            } else {
                text.push_str(&route_line(
                    if is_best { "*>" } else { "* " },
                    &p,
                    &path.attrs,
                    path.weight,
                ));
            }
        }
    }
    if json {
        format!("{{\"routes\":[{}]}}\n", routes.join(","))
    } else {
        text
    }
}

fn neighbor_routes(
    router: &Router,
    addr: IpAddr,
    received: bool,
    json: bool,
) -> Result<String, String> {
    let Some(peer) = router.rib_peer(addr) else {
        return Err(format!("no neighbor {addr}, or it has never been up"));
    };
    let rib = router.rib();
    let list: Vec<(Nlri, Arc<RouteAttrs>)> = if received {
        let pre = rib.adj_rib_in_pre_policy(peer);
        if pre.is_empty() {
            rib.adj_rib_in(peer)
                .into_iter()
                .map(|(n, p)| (n, p.attrs))
                .collect()
        } else {
            pre
        }
    } else {
        rib.adj_rib_out(peer)
    };
    if json {
        let routes: Vec<String> = list
            .iter()
            .map(|(n, a)| route_json(&n.prefix.to_string(), n.path_id, a, &[]))
            .collect();
        return Ok(format!("{{\"routes\":[{}]}}\n", routes.join(",")));
    }
    let mut s = String::from(RIB_HEADER);
    for (n, a) in list {
        s.push_str(&route_line("*", &n.prefix.to_string(), &a, 0));
    }
    Ok(s)
}

fn parse_community(w: &str) -> Result<Community, String> {
    let named = match w {
        "no-export" => Some(0xffff_ff01),
        "no-advertise" => Some(0xffff_ff02),
        "no-export-subconfed" | "local-AS" => Some(0xffff_ff03),
        "graceful-shutdown" => Some(0xffff_0000),
        "blackhole" => Some(0xffff_029a),
        _ => None,
    };
    if let Some(v) = named {
        return Ok(Community(v));
    }
    let (a, b) = w
        .split_once(':')
        .ok_or_else(|| format!("not a community: {w}"))?;
    let a: u16 = a.parse().map_err(|_| format!("not a community: {w}"))?;
    let b: u16 = b.parse().map_err(|_| format!("not a community: {w}"))?;
    Ok(Community(u32::from(a) << 16 | u32::from(b)))
}

fn parse_large(w: &str) -> Result<LargeCommunity, String> {
    let parts: Vec<&str> = w.split(':').collect();
    let [g, a, b] = parts.as_slice() else {
        return Err(format!("not a large community: {w}"));
    };
    let n = |s: &str| {
        s.parse::<u32>()
            .map_err(|_| format!("not a large community: {w}"))
    };
    Ok(LargeCommunity {
        global: n(g)?,
        local1: n(a)?,
        local2: n(b)?,
    })
}

/// `PREFIX next-hop ADDR [as-path …] [community …] [large-community …]
/// [local-pref N] [med N] [origin …]`.
pub fn parse_route(words: &[&str]) -> Result<(IpNet, RouteAttrs), String> {
    let Some((p, mut rest)) = words.split_first() else {
        return Err("expected a prefix".into());
    };
    let prefix: IpNet = p.parse().map_err(|_| format!("not a prefix: {p}"))?;
    if prefix.trunc() != prefix {
        return Err(format!("{prefix} has host bits set"));
    }
    let mut attrs = RouteAttrs::default();
    const KEYS: &[&str] = &[
        "next-hop",
        "as-path",
        "community",
        "large-community",
        "local-pref",
        "med",
        "origin",
    ];
    while let Some((&key, tail)) = rest.split_first() {
        let n = tail
            .iter()
            .position(|w| KEYS.contains(w))
            .unwrap_or(tail.len());
        let (vals, next) = tail.split_at(n);
        rest = next;
        let one = || match vals {
            [v] => Ok(*v),
            _ => Err(format!("'{key}' takes one value")),
        };
        match key {
            "next-hop" => {
                let a: IpAddr = one()?
                    .parse()
                    .map_err(|_| format!("not an address: {}", vals.join(" ")))?;
                attrs.next_hop = Some(match a {
                    IpAddr::V4(a) => NextHop::V4(a),
                    IpAddr::V6(g) => NextHop::V6 {
                        global: g,
                        link_local: None,
                    },
                });
            }
            "as-path" => {
                let asns: Result<Vec<u32>, _> = vals.iter().map(|v| v.parse::<u32>()).collect();
                attrs.as_path = AsPathBuf::sequence(
                    asns.map_err(|_| format!("not an AS path: {}", vals.join(" ")))?,
                );
            }
            "community" => {
                attrs.communities = vals
                    .iter()
                    .map(|v| parse_community(v))
                    .collect::<Result<_, _>>()?;
            }
            "large-community" => {
                attrs.extra.large_communities = vals
                    .iter()
                    .map(|v| parse_large(v))
                    .collect::<Result<_, _>>()?;
            }
            "local-pref" => {
                attrs.local_pref = Some(one()?.parse().map_err(|_| "local-pref: not a number")?)
            }
            "med" => attrs.med = Some(one()?.parse().map_err(|_| "med: not a number")?),
            "origin" => {
                attrs.origin = match one()? {
                    "igp" => Origin::Igp,
                    "egp" => Origin::Egp,
                    "incomplete" => Origin::Incomplete,
                    o => {
                        return Err(format!(
                            "origin: expected igp, egp or incomplete, found {o}"
                        ));
                    }
                }
            }
            k => return Err(format!("unexpected '{k}'")),
        }
    }
    if attrs.next_hop.is_none() {
        return Err("announce route needs 'next-hop ADDR'".into());
    }
    Ok((prefix, attrs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_arguments() {
        let (p, a) = parse_route(&[
            "203.0.113.0/24",
            "next-hop",
            "198.18.0.1",
            "as-path",
            "65001",
            "65002",
            "community",
            "65001:7",
            "no-export",
            "large-community",
            "65001:1:2",
            "local-pref",
            "200",
            "med",
            "5",
            "origin",
            "egp",
        ])
        .unwrap();
        assert_eq!(p.to_string(), "203.0.113.0/24");
        assert_eq!(a.as_path, AsPathBuf::sequence([65001, 65002]));
        assert_eq!(
            a.communities,
            [Community(65001 << 16 | 7), Community(0xffff_ff01)]
        );
        assert_eq!(a.extra.large_communities[0].local2, 2);
        assert_eq!(
            (a.local_pref, a.med, a.origin),
            (Some(200), Some(5), Origin::Egp)
        );
        for bad in [
            &["203.0.113.1/24", "next-hop", "198.18.0.1"][..],
            &["203.0.113.0/24"],
            &["203.0.113.0/24", "next-hop", "x"],
            &["203.0.113.0/24", "next-hop", "198.18.0.1", "med"],
            &[
                "203.0.113.0/24",
                "next-hop",
                "198.18.0.1",
                "community",
                "1:x",
            ],
        ] {
            assert!(parse_route(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rib_summary_counts_the_loc_rib() {
        let now = crate::driver::clock();
        let mut r =
            Router::from_text("router bgp 65001\n bgp router-id 10.0.0.5\nexit\n", now, 1).unwrap();
        let count = |r: &mut Router| match execute(r, now, "show rib summary --json") {
            Ok(Request::Answer(s)) => s,
            other => panic!("{other:?}"),
        };
        assert!(
            count(&mut r).contains("\"ipv4_prefixes\":0"),
            "{}",
            count(&mut r)
        );
        for (p, nh) in [
            ("198.18.0.0/24", "198.18.0.1"),
            ("198.18.1.0/24", "198.18.0.1"),
            ("2001:db8::/32", "2001:db8::1"),
        ] {
            execute(&mut r, now, &format!("announce route {p} next-hop {nh}")).unwrap();
        }
        let s = count(&mut r);
        assert!(
            s.contains("\"ipv4_prefixes\":2") && s.contains("\"ipv6_prefixes\":1"),
            "{s}"
        );
    }
}

//! Routes as text, one a line, for `policy-check` and its FRR comparison:
//!
//! ```text
//! PREFIX [as-path A B {C,D} ...] [community a:b ...] [large-community a:b:c ...]
//!        [ext-community rt|soo X ...] [local-pref N] [med N]
//!        [origin igp|egp|incomplete] [next-hop ADDR [LINK-LOCAL]] [weight N]   # comment
//! ```
//!
//! [`format_route`] writes the same grammar, so `policy-check`'s answers
//! parse back with [`parse_route`].

use std::fmt::Write;
use std::net::IpAddr;

use bgp_policy::community_list::ext_community;
use bgp_policy::{parse_community, parse_large_community};
use bgp_wire::RouteAttrs;
use bgp_wire::attr::{AsPathBuf, AsSegment, NextHop, Origin, SegmentType};
use ipnet::IpNet;

/// A route read from a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteLine {
    /// The prefix.
    pub prefix: IpNet,
    /// Its attributes.
    pub attrs: RouteAttrs,
    /// Its weight (0 unless given).
    pub weight: u32,
}

const KEYWORDS: &[&str] = &[
    "as-path",
    "community",
    "large-community",
    "ext-community",
    "local-pref",
    "med",
    "origin",
    "next-hop",
    "weight",
];

/// Parses one line; `Ok(None)` for a blank or comment line.
pub fn parse_route(line: &str) -> Result<Option<RouteLine>, String> {
    let line = line.split('#').next().unwrap_or("");
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some(first) = words.first() else {
        return Ok(None);
    };
    let prefix: IpNet = first
        .parse()
        .map_err(|_| format!("expected a prefix, found '{first}'"))?;
    if prefix.trunc() != prefix {
        return Err(format!("{prefix} has host bits set"));
    }
    let mut r = RouteLine {
        prefix,
        attrs: RouteAttrs::default(),
        weight: 0,
    };
    let mut i = 1;
    while i < words.len() {
        let kw = words[i];
        if !KEYWORDS.contains(&kw) {
            return Err(format!(
                "expected one of {}, found '{kw}'",
                KEYWORDS.join(", ")
            ));
        }
        let mut j = i + 1;
        while j < words.len() && !KEYWORDS.contains(&words[j]) {
            j += 1;
        }
        let args = &words[i + 1..j];
        let one = || -> Result<&str, String> {
            match args {
                [a] => Ok(a),
                _ => Err(format!("'{kw}' takes one value")),
            }
        };
        let num = |s: &str| -> Result<u32, String> {
            s.parse()
                .map_err(|_| format!("'{kw}': expected a number, found '{s}'"))
        };
        match kw {
            "as-path" => r.attrs.as_path = parse_as_path(args)?,
            "community" => {
                for a in args {
                    r.attrs
                        .communities
                        .push(parse_community(a).ok_or_else(|| format!("bad community '{a}'"))?);
                }
            }
            "large-community" => {
                for a in args {
                    r.attrs.extra.large_communities.push(
                        parse_large_community(a)
                            .ok_or_else(|| format!("bad large community '{a}'"))?,
                    );
                }
            }
            "ext-community" => {
                for pair in args.chunks(2) {
                    let c = match pair {
                        ["rt", v] => ext_community(2, v),
                        ["soo", v] => ext_community(3, v),
                        _ => None,
                    };
                    r.attrs.extra.ext_communities.push(
                        c.ok_or_else(|| format!("bad extended community '{}'", pair.join(" ")))?,
                    );
                }
            }
            "local-pref" => r.attrs.local_pref = Some(num(one()?)?),
            "med" => r.attrs.med = Some(num(one()?)?),
            "weight" => r.weight = num(one()?)?,
            "origin" => {
                r.attrs.origin = match one()? {
                    "igp" => Origin::Igp,
                    "egp" => Origin::Egp,
                    "incomplete" => Origin::Incomplete,
                    o => return Err(format!("bad origin '{o}'")),
                }
            }
            _ => {
                let addr = |s: &str| -> Result<IpAddr, String> {
                    s.parse().map_err(|_| format!("bad next hop '{s}'"))
                };
                r.attrs.next_hop = Some(match args {
                    [a] => match addr(a)? {
                        IpAddr::V4(a) => NextHop::V4(a),
                        IpAddr::V6(g) => NextHop::V6 {
                            global: g,
                            link_local: None,
                        },
                    },
                    [g, l] => match (addr(g)?, addr(l)?) {
                        (IpAddr::V6(g), IpAddr::V6(l)) => NextHop::V6 {
                            global: g,
                            link_local: Some(l),
                        },
                        _ => return Err("a link-local next hop needs IPv6 addresses".into()),
                    },
                    _ => return Err("'next-hop' takes one or two addresses".into()),
                });
            }
        }
        i = j;
    }
    Ok(Some(r))
}

/// `A B {C,D} (E F) [G,H]` into segments.
fn parse_as_path(words: &[&str]) -> Result<AsPathBuf, String> {
    let text = words.join(" ");
    let mut path = AsPathBuf::default();
    let mut rest = text.as_str();
    while let Some(c) = rest.chars().next() {
        let (ty, close, sep) = match c {
            ' ' => {
                rest = &rest[1..];
                continue;
            }
            '{' => (SegmentType::Set, '}', ','),
            '(' => (SegmentType::ConfedSequence, ')', ' '),
            '[' => (SegmentType::ConfedSet, ']', ','),
            _ => {
                let end = rest.find([' ', '{', '(', '[']).unwrap_or(rest.len());
                let asn: u32 = rest[..end]
                    .parse()
                    .map_err(|_| format!("bad AS number '{}'", &rest[..end]))?;
                match path.segments.last_mut() {
                    Some(s) if s.ty == SegmentType::Sequence => s.asns.push(asn),
                    _ => path.segments.push(AsSegment {
                        ty: SegmentType::Sequence,
                        asns: vec![asn],
                    }),
                }
                rest = &rest[end..];
                continue;
            }
        };
        let end = rest
            .find(close)
            .ok_or_else(|| format!("unclosed '{c}' in AS path"))?;
        let asns = rest[1..end]
            .split(sep)
            .filter(|s| !s.is_empty())
            .map(|a| a.trim().parse().map_err(|_| format!("bad AS number '{a}'")))
            .collect::<Result<Vec<u32>, String>>()?;
        path.segments.push(AsSegment { ty, asns });
        rest = &rest[end + 1..];
    }
    Ok(path)
}

/// The route in [`parse_route`]'s grammar (without comment).
pub fn format_route(prefix: &IpNet, attrs: &RouteAttrs, weight: u32) -> String {
    let mut s = prefix.to_string();
    if !attrs.as_path.segments.is_empty() {
        let _ = write!(s, " as-path {}", attrs.as_path);
    }
    let list = |s: &mut String, kw: &str, items: Vec<String>| {
        if !items.is_empty() {
            let _ = write!(s, " {kw} {}", items.join(" "));
        }
    };
    list(
        &mut s,
        "community",
        attrs.communities.iter().map(|c| c.to_string()).collect(),
    );
    list(
        &mut s,
        "large-community",
        attrs
            .extra
            .large_communities
            .iter()
            .map(|c| c.to_string())
            .collect(),
    );
    list(
        &mut s,
        "ext-community",
        attrs
            .extra
            .ext_communities
            .iter()
            .map(|c| c.to_string())
            .collect(),
    );
    if let Some(l) = attrs.local_pref {
        let _ = write!(s, " local-pref {l}");
    }
    if let Some(m) = attrs.med {
        let _ = write!(s, " med {m}");
    }
    let _ = write!(
        s,
        " origin {}",
        bgp_policy::route_map::origin_keyword(attrs.origin)
    );
    if let Some(nh) = &attrs.next_hop {
        let _ = write!(s, " next-hop {nh}");
    }
    let _ = write!(s, " weight {weight}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let line = "10.0.0.0/24 as-path 65001 65002 {1,2} community 65000:1 no-export \
                    large-community 1:2:3 ext-community rt 65000:7 soo 1.2.3.4:5 \
                    local-pref 200 med 10 origin egp next-hop 198.18.0.1 weight 7";
        let r = parse_route(line).unwrap().unwrap();
        let text = format_route(&r.prefix, &r.attrs, r.weight);
        assert_eq!(parse_route(&text).unwrap().unwrap(), r);
        assert_eq!(r.attrs.as_path.to_string(), "65001 65002 {1,2}");
        assert!(parse_route("  # only a comment").unwrap().is_none());
        assert!(parse_route("10.0.0.1/24").is_err());
        assert!(parse_route("10.0.0.0/24 color 5").is_err());
    }
}

//! Printing a policy gives text that parses back to the same policy.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bgp_policy::bgp_rib::policy::Source;
use bgp_policy::bgp_wire::attr::{Community, LargeCommunity, Origin};
use bgp_policy::community_list::ext_community;
use bgp_policy::{
    Action, AddrFamily, AsPathEntry, AsPathList, CommunityList, CommunityListEntry,
    CommunityMatcher, Config, ExitPolicy, FrrRegex, ListStyle, Match, PrefixList, PrefixListEntry,
    PrefixMatch, RouteMap, RouteMapEntry, Set, SetValue,
};
use ipnet::IpNet;
use proptest::prelude::*;

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![Just(Action::Permit), Just(Action::Deny)]
}

fn name() -> impl Strategy<Value = String> {
    "[A-Z][A-Za-z0-9_-]{0,7}"
}

fn prefix_entry(family: AddrFamily) -> impl Strategy<Value = PrefixMatch> {
    let max = family.max_len();
    (
        any::<u128>(),
        0..=max,
        any::<u8>(),
        any::<u8>(),
        0..4u8,
        0..12u8,
    )
        .prop_map(move |(bits, len, g, l, shape, any_)| {
            if any_ == 0 {
                return PrefixMatch::Any;
            }
            let ip = match family {
                AddrFamily::Ipv4 => IpAddr::V4(Ipv4Addr::from((bits >> 96) as u32)),
                AddrFamily::Ipv6 => IpAddr::V6(Ipv6Addr::from(bits)),
            };
            let prefix = IpNet::new(ip, len).unwrap().trunc();
            let room = max - len;
            let (ge, le) = if room == 0 {
                (None, None)
            } else {
                let ge = len + 1 + g % room;
                let le = ge + l % (max - ge + 1);
                match shape {
                    0 => (None, None),
                    1 => (Some(ge), None),
                    2 => (None, Some(le)),
                    _ => (Some(ge), Some(le)),
                }
            };
            PrefixMatch::Prefix { prefix, ge, le }
        })
}

fn prefix_list() -> impl Strategy<Value = PrefixList> {
    (
        name(),
        prop_oneof![Just(AddrFamily::Ipv4), Just(AddrFamily::Ipv6)],
        proptest::option::of("[a-z]{1,5}( [a-z]{1,5}){0,3}"),
    )
        .prop_flat_map(|(n, family, desc)| {
            (
                Just(n),
                Just(family),
                Just(desc.clone()),
                proptest::collection::vec(
                    (action(), prefix_entry(family), 1..7u32),
                    usize::from(desc.is_none())..5,
                ),
            )
        })
        .prop_map(|(n, family, desc, entries)| {
            let mut seq = 0;
            let entries = entries.into_iter().map(|(action, matcher, step)| {
                seq += step;
                PrefixListEntry {
                    seq,
                    action,
                    matcher,
                }
            });
            let mut l = PrefixList::with_entries(n, family, entries).unwrap();
            l.set_description(desc);
            l
        })
}

const REGEXES: &[&str] = &[
    "_65001_",
    "^65001$",
    ".*",
    "^(65001|65002)_",
    "_6500[0-9]$",
    "^$",
    "(_65002){2}",
];

fn regex() -> impl Strategy<Value = FrrRegex> + Clone {
    proptest::sample::select(REGEXES).prop_map(|r| FrrRegex::new(r).unwrap())
}

fn community() -> impl Strategy<Value = Community> + Clone {
    prop_oneof![
        any::<u32>().prop_map(Community),
        Just(Community::NO_EXPORT),
        Just(Community(0)),
        Just(Community::BLACKHOLE)
    ]
}

fn large() -> impl Strategy<Value = LargeCommunity> + Clone {
    (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(global, local1, local2)| LargeCommunity {
        global,
        local1,
        local2,
    })
}

fn ext() -> impl Strategy<Value = bgp_wire::attr::ExtCommunity> + Clone {
    (2..4u8, 0..3u8, any::<u16>(), any::<u32>()).prop_map(|(sub, kind, a, b)| {
        let text = match kind {
            0 => format!("{a}:{b}"),
            1 => format!("{}:{a}", Ipv4Addr::from(b)),
            _ => format!("{}:{a}", 65536 + (b >> 1)),
        };
        ext_community(sub, &text).unwrap()
    })
}

fn community_list<V: bgp_policy::community_list::CommunityValue>(
    value: impl Strategy<Value = V> + Clone + 'static,
) -> impl Strategy<Value = CommunityList<V>> {
    (
        prop_oneof![name(), (1..500u32).prop_map(|n| n.to_string())],
        prop_oneof![Just(ListStyle::Standard), Just(ListStyle::Expanded)],
    )
        .prop_flat_map(move |(n, style)| {
            let value = value.clone();
            let n = match n.parse::<u32>() {
                Ok(x) if style == ListStyle::Standard => (x % 99 + 1).to_string(),
                Ok(x) => (x % 401 + 100).to_string(),
                Err(_) => n,
            };
            (
                Just(n),
                Just(style),
                proptest::collection::vec(
                    (action(), proptest::collection::vec(value, 1..4), regex()),
                    1..4,
                ),
            )
        })
        .prop_map(|(n, style, entries)| {
            let mut l = CommunityList::new(n, style);
            for (i, (action, values, re)) in entries.into_iter().enumerate() {
                let matcher = match style {
                    ListStyle::Standard => CommunityMatcher::Values(values),
                    ListStyle::Expanded => CommunityMatcher::Regex(re),
                };
                l.insert(CommunityListEntry {
                    seq: (i as u32 + 1) * 5,
                    action,
                    matcher,
                })
                .unwrap();
            }
            l
        })
}

fn set_value() -> impl Strategy<Value = SetValue> {
    prop_oneof![
        any::<u32>().prop_map(SetValue::Absolute),
        any::<u32>().prop_map(SetValue::Add),
        any::<u32>().prop_map(SetValue::Sub)
    ]
}

fn origin() -> impl Strategy<Value = Origin> {
    prop_oneof![
        Just(Origin::Igp),
        Just(Origin::Egp),
        Just(Origin::Incomplete)
    ]
}

fn a_match() -> impl Strategy<Value = Match> {
    prop_oneof![
        name().prop_map(|n| Match::PrefixList(AddrFamily::Ipv4, n)),
        name().prop_map(|n| Match::PrefixList(AddrFamily::Ipv6, n)),
        name().prop_map(|n| Match::NextHopPrefixList(AddrFamily::Ipv4, n)),
        name().prop_map(Match::AsPath),
        (name(), any::<bool>()).prop_map(|(list, exact)| Match::Community { list, exact }),
        (name(), any::<bool>()).prop_map(|(list, exact)| Match::LargeCommunity { list, exact }),
        name().prop_map(Match::ExtCommunity),
        any::<u32>().prop_map(Match::LocalPref),
        any::<u32>().prop_map(Match::Metric),
        origin().prop_map(Match::Origin),
        any::<u32>().prop_map(|a| Match::Peer(IpAddr::V4(a.into()))),
        any::<u128>().prop_map(|a| Match::Peer(IpAddr::V6(a.into()))),
        Just(Match::PeerLocal),
        prop_oneof![
            Just(Source::Bgp),
            Just(Source::Static),
            Just(Source::Connected)
        ]
        .prop_map(Match::SourceProtocol),
        Just(Match::Otc),
    ]
}

fn a_set() -> impl Strategy<Value = Set> {
    let asns = || proptest::collection::vec(1..=u32::MAX, 1..4);
    prop_oneof![
        set_value().prop_map(Set::LocalPref),
        set_value().prop_map(Set::Metric),
        any::<u32>().prop_map(Set::Weight),
        origin().prop_map(Set::Origin),
        asns().prop_map(Set::AsPathPrepend),
        (1..=10u8).prop_map(Set::AsPathPrependLastAs),
        asns().prop_map(Set::AsPathExclude),
        (proptest::collection::vec(community(), 1..4), any::<bool>())
            .prop_map(|(values, additive)| Set::Community { values, additive }),
        Just(Set::CommunityNone),
        name().prop_map(Set::CommListDelete),
        (proptest::collection::vec(large(), 1..3), any::<bool>())
            .prop_map(|(values, additive)| Set::LargeCommunity { values, additive }),
        Just(Set::LargeCommunityNone),
        name().prop_map(Set::LargeCommListDelete),
        proptest::collection::vec(ext().prop_filter("rt", |e| e.0[1] == 2), 1..3)
            .prop_map(Set::ExtCommunityRt),
        proptest::collection::vec(ext().prop_filter("soo", |e| e.0[1] == 3), 1..3)
            .prop_map(Set::ExtCommunitySoo),
        Just(Set::ExtCommunityNone),
        any::<u32>().prop_map(|a| Set::NextHop(a.into())),
        Just(Set::NextHopPeerAddress),
        Just(Set::NextHopUnchanged),
        any::<u128>().prop_map(|a| Set::Ipv6NextHopGlobal(a.into())),
        any::<u128>().prop_map(|a| Set::Ipv6NextHopLocal(a.into())),
        Just(Set::Ipv6NextHopPeerAddress),
    ]
}

fn route_map() -> impl Strategy<Value = RouteMap> {
    (
        name(),
        proptest::collection::vec(
            (
                action(),
                1..20u32,
                proptest::collection::vec(a_match(), 0..4),
                proptest::collection::vec(a_set(), 0..4),
                proptest::option::of(name()),
                0..3u8,
                proptest::option::of("[a-z]{1,5}( [a-z]{1,5}){0,3}"),
            ),
            1..5,
        ),
    )
        .prop_map(|(n, entries)| {
            let mut m = RouteMap::new(n);
            let mut seq = 0;
            for (action, step, matches, sets, call, exit, description) in entries {
                seq += step;
                let mut e = RouteMapEntry::new(seq, action);
                for x in matches {
                    e.add_match(x);
                }
                for x in sets {
                    e.add_set(x);
                }
                e.call = call;
                e.description = description;
                e.exit = match exit {
                    0 => ExitPolicy::Exit,
                    1 => ExitPolicy::Next,
                    _ => ExitPolicy::Goto(seq + 3),
                };
                m.insert(e).unwrap();
            }
            m
        })
}

fn config() -> impl Strategy<Value = Config> {
    (
        proptest::collection::vec(prefix_list(), 0..4),
        proptest::collection::vec(
            (name(), proptest::collection::vec((action(), regex()), 1..4)),
            0..3,
        ),
        proptest::collection::vec(community_list(community()), 0..3),
        proptest::collection::vec(community_list(large()), 0..2),
        proptest::collection::vec(community_list(ext()), 0..2),
        proptest::collection::vec(route_map(), 0..4),
    )
        .prop_map(|(pls, aspaths, comms, larges, exts, maps)| {
            let mut c = Config::new();
            for l in pls {
                c.add_prefix_list(l);
            }
            for (n, entries) in aspaths {
                let mut l = AsPathList::new(n);
                for (i, (action, regex)) in entries.into_iter().enumerate() {
                    l.insert(AsPathEntry {
                        seq: (i as u32 + 1) * 5,
                        action,
                        regex,
                    })
                    .unwrap();
                }
                c.add_as_path_list(l);
            }
            for l in comms {
                c.add_community_list(l);
            }
            for l in larges {
                c.add_large_community_list(l);
            }
            for l in exts {
                c.add_ext_community_list(l);
            }
            for m in maps {
                c.add_route_map(m);
            }
            c
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn printed_policy_parses_back(c in config()) {
        let text = c.to_string();
        let back = Config::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &c, "{}", text);
        prop_assert_eq!(back.to_string(), text);
    }
}

const WORDS: &[&str] = &[
    "ip",
    "ipv6",
    "prefix-list",
    "seq",
    "5",
    "10",
    "permit",
    "deny",
    "any",
    "10.0.0.0/8",
    "10.0.0.1/8",
    "::/0",
    "2001:db8::/32",
    "ge",
    "le",
    "24",
    "33",
    "0",
    "bgp",
    "as-path",
    "access-list",
    "community-list",
    "large-community-list",
    "extcommunity-list",
    "standard",
    "expanded",
    "50",
    "150",
    "600",
    "_65001_",
    "(",
    "[",
    "^65001$",
    "65000:1",
    "1:2:3",
    "rt",
    "soo",
    "no-export",
    "route-map",
    "match",
    "set",
    "on-match",
    "next",
    "goto",
    "continue",
    "call",
    "description",
    "address",
    "next-hop",
    "community",
    "exact-match",
    "metric",
    "+5",
    "-5",
    "++5",
    "local-preference",
    "weight",
    "origin",
    "igp",
    "incomplete",
    "peer",
    "local",
    "192.0.2.1",
    "additive",
    "none",
    "comm-list",
    "delete",
    "prepend",
    "last-as",
    "exclude",
    "exit",
    "!",
    "router",
    "hostname",
    "M",
    "L",
    "4294967295",
    "4294967296",
    "65536",
    "",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any text: an error with a position inside the text, or a policy that
    /// prints and parses back the same.
    #[test]
    fn parser_never_panics(lines in proptest::collection::vec(
        (any::<bool>(), proptest::collection::vec(proptest::sample::select(WORDS), 0..9)),
        0..8,
    )) {
        let text: String = lines
            .iter()
            .map(|(indent, words)| format!("{}{}\n", if *indent { " " } else { "" }, words.join(" ")))
            .collect();
        match Config::parse_full(&text) {
            Err(e) => {
                prop_assert!(e.line >= 1 && e.line <= lines.len());
                let line = text.lines().nth(e.line - 1).unwrap();
                prop_assert!(e.col >= 1 && e.col <= line.chars().count() + 1, "{e}");
            }
            Ok((c, _)) => {
                let printed = c.to_string();
                let back = Config::parse(&printed)
                    .map_err(|e| TestCaseError::fail(format!("{e}\n{printed}")))?;
                prop_assert_eq!(back.to_string(), printed);
            }
        }
    }
}

//! Our side of the comparison: decode-and-walk and encode one BGP UPDATE with
//! `bgp-wire`, with exactly the walk of [`crate::competitors`].
//!
//! The walker takes a whole BGP message (marker, length, type, body), frames
//! it with [`bgp_wire::frame`] and decodes the UPDATE body with
//! [`Update::visit`] under [`SessionContext::permissive`] (4-octet AS, no
//! ADD-PATH, messages up to 65,535 octets, IPv6 next hops accepted for IPv4
//! NLRI: the most lenient reading, like the other crates'), which validates
//! the message as [`Update::parse`] does and hands over everything as it
//! goes: each withdrawn prefix, each announced prefix of the NLRI field, and
//! each accepted attribute as its typed [`Attribute`] (the walker then visits
//! AS_PATH segments and every ASN, each standard, extended, IPv6-specific and
//! large community, each cluster ID, the MP_REACH_NLRI next hop and prefixes,
//! the MP_UNREACH_NLRI prefixes). A message that resets the session counts 0,
//! as with [`bgp_wire::parse_message`]. Every value is folded into a
//! [`WalkStats`] with the same per-item hashes as the other crates' walkers,
//! so equal decodes give equal checksums.
//!
//! [`our_decode_walk_view`] walks the same way round as before `Update::visit`
//! existed: [`bgp_wire::parse_message`], then the view's iterators
//! ([`Update::attributes`], [`Update::withdrawn`], [`Update::announced`]).
//! The agreement tests hold both walkers to the same results.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::LazyLock;

use bgp_wire::attr::{AsPath, AsPathBuf, Attribute, Community, NextHop, Origin, PathAttribute};
use bgp_wire::header::HEADER_LEN;
use bgp_wire::nlri::Prefixes;
use bgp_wire::{
    Family, Message, MessageType, Nlri, SessionContext, Update, UpdateBuilder, UpdateVisitor,
    frame, parse_message,
};
use ipnet::{IpNet, Ipv4Net};

use crate::competitors::{
    T_AGGREGATOR, T_ANNOUNCED, T_ATOMIC, T_CLUSTER, T_COMMUNITY, T_EXT_COMMUNITY,
    T_IPV6_EXT_COMMUNITY, T_LARGE_COMMUNITY, T_LOCAL_PREF, T_MED, T_MP_NEXT_HOP, T_NEXT_HOP,
    T_ORIGIN, T_ORIGINATOR, T_OTHER_NLRI, T_SEGMENT, T_WITHDRAWN, WalkStats, encode_attrs, ip_key,
    ipv6_ext_key, large_key, v4_key, v6_key,
};

/// The decoding context of the walker (see the module documentation), built
/// once: a session has its context before the first message arrives.
static DECODE_CONTEXT: LazyLock<SessionContext> = LazyLock::new(SessionContext::permissive);

fn decode_context() -> &'static SessionContext {
    &DECODE_CONTEXT
}

/// bgp-wire: decode a whole BGP message and walk everything in it as it is
/// validated ([`Update::visit`]); the checksum, or 0 if the message is
/// rejected (a session-reset error) or is not an UPDATE.
///
/// Zero-copy: `msg` is borrowed, nothing is allocated.
pub fn our_decode_walk(msg: &[u8]) -> u64 {
    our_stats(msg).map_or(0, |s| s.checksum)
}

/// bgp-wire: the same walk as [`our_decode_walk`], the other way round:
/// [`parse_message`] first, then [`Update::attributes`] and the prefix
/// iterators of the view (validation and the walk each read the message).
pub fn our_decode_walk_view(msg: &[u8]) -> u64 {
    our_stats_view(msg).map_or(0, |s| s.checksum)
}

/// bgp-wire: like [`our_decode_walk`] but returns everything the walk saw.
pub fn our_stats(msg: &[u8]) -> Option<WalkStats> {
    let ctx = decode_context();
    let Ok(Some(f)) = frame(msg, ctx.max_message_len) else {
        return None;
    };
    if f.ty != MessageType::UPDATE {
        return None;
    }
    let body = msg.get(HEADER_LEN..f.len)?;
    let mut s = WalkStats::default();
    Update::visit(body, ctx, &mut s).ok()?;
    Some(s.finish())
}

/// bgp-wire: like [`our_stats`], but decodes first and then walks the view
/// ([`Update::attributes`] reads the attribute list a second time).
pub fn our_stats_view(msg: &[u8]) -> Option<WalkStats> {
    let Ok(Message::Update(update)) = parse_message(msg, decode_context()) else {
        return None;
    };
    Some(walk(&update).finish())
}

/// Walks a decoded UPDATE.
fn walk(update: &Update<'_>) -> WalkStats {
    let mut s = WalkStats::default();
    prefixes(&mut s, T_WITHDRAWN, update.withdrawn());
    for attr in update.attributes() {
        attribute(&mut s, attr);
    }
    prefixes(&mut s, T_ANNOUNCED, update.announced());
    s
}

/// Folds the parts of an UPDATE into the stats as bgp-wire validates them.
impl<'a> UpdateVisitor<'a> for WalkStats {
    const PREFIXES: bool = true;

    #[inline(always)]
    fn attribute(&mut self, attr: Attribute<'a>) {
        attribute(self, attr);
    }

    #[inline(always)]
    fn withdrawn(&mut self, n: Nlri) {
        prefix(self, T_WITHDRAWN, n);
    }

    #[inline(always)]
    fn announced(&mut self, n: Nlri) {
        prefix(self, T_ANNOUNCED, n);
    }
}

/// Folds one attribute into `s`.
#[inline(always)]
fn attribute(s: &mut WalkStats, attr: Attribute<'_>) {
    {
        s.attributes += 1;
        match attr {
            Attribute::Origin(o) => s.mix(T_ORIGIN, u64::from(o.to_u8())),
            Attribute::AsPath(path) | Attribute::As4Path(path) => as_path(s, path),
            Attribute::NextHop(a) => s.mix(T_NEXT_HOP, v4_key(a)),
            Attribute::Med(v) => s.mix(T_MED, u64::from(v)),
            Attribute::LocalPref(v) => s.mix(T_LOCAL_PREF, u64::from(v)),
            Attribute::AtomicAggregate => s.mix(T_ATOMIC, 1),
            Attribute::Aggregator(a) | Attribute::As4Aggregator(a) => {
                s.mix(T_AGGREGATOR, (u64::from(a.asn) << 32) | v4_key(a.addr));
            }
            Attribute::Communities(list) => {
                for c in list.iter() {
                    s.community(T_COMMUNITY, u64::from(c.0));
                }
            }
            Attribute::ExtCommunities(list) => {
                for c in list.iter() {
                    s.community(T_EXT_COMMUNITY, u64::from_be_bytes(c.0));
                }
            }
            Attribute::Ipv6ExtCommunities(list) => {
                for c in list.iter() {
                    s.community(T_IPV6_EXT_COMMUNITY, ipv6_ext_key(&c.0));
                }
            }
            Attribute::LargeCommunities(list) => {
                for c in list.iter() {
                    s.community(T_LARGE_COMMUNITY, large_key(c.global, c.local1, c.local2));
                }
            }
            Attribute::OriginatorId(a) => s.mix(T_ORIGINATOR, v4_key(a)),
            Attribute::ClusterList(ids) => {
                for id in ids.iter() {
                    s.mix(T_CLUSTER, v4_key(id));
                }
            }
            Attribute::MpReach(mp) => {
                let key = match mp.next_hop() {
                    NextHop::V4(a) => v4_key(a),
                    NextHop::V6 {
                        global,
                        link_local: None,
                    } => ip_key(IpAddr::V6(global)) >> 8,
                    NextHop::V6 {
                        global,
                        link_local: Some(ll),
                    } => v6_key(global) ^ v6_key(ll),
                    NextHop::Other(raw) => {
                        black_box(raw);
                        0
                    }
                };
                s.mix(T_MP_NEXT_HOP, key);
                match mp.prefixes() {
                    Some(p) => prefixes(s, T_ANNOUNCED, p),
                    // Labelled, VPN, EVPN, FlowSpec, ...: kept as raw bytes by
                    // bgp-wire; not in the benchmark input, not compared.
                    None => s.mix(T_OTHER_NLRI, black_box(mp.nlri_bytes()).len() as u64),
                }
            }
            Attribute::MpUnreach(mp) => match mp.prefixes() {
                Some(p) => prefixes(s, T_WITHDRAWN, p),
                None => s.mix(T_OTHER_NLRI, black_box(mp.nlri_bytes()).len() as u64),
            },
            Attribute::Other(raw) => s.other_attr(raw.ty.0, raw.value.len()),
            other => {
                // AIGP, OTC: typed by bgp-wire, compared by type code and
                // length only (as routecore's walker does).
                let (ty, len) = match other {
                    Attribute::Aigp(a) => (26, black_box(a).tlvs().map(|(_, v)| 3 + v.len()).sum()),
                    Attribute::Otc(v) => (35, black_box(v).to_be_bytes().len()),
                    _ => (0, 0),
                };
                s.other_attr(ty, len);
            }
        }
    }
}

// Inlined at every call site, so `tag` is a constant there and the
// withdrawn/announced counter stays in a register, as in the other crates'
// walkers (closures or direct calls with a constant tag): out of line (which
// `#[inline]` alone left it), the counter was a read-modify-write through
// memory on every prefix.
#[inline(always)]
fn prefixes(s: &mut WalkStats, tag: u64, list: Prefixes<'_>) {
    for n in list {
        prefix(s, tag, n);
    }
}

#[inline(always)]
fn prefix(s: &mut WalkStats, tag: u64, n: Nlri) {
    match n.prefix {
        IpNet::V4(p) => s.prefix(tag, IpAddr::V4(p.addr()), p.prefix_len()),
        IpNet::V6(p) => s.prefix(tag, IpAddr::V6(p.addr()), p.prefix_len()),
    }
}

#[inline(always)]
fn as_path(s: &mut WalkStats, path: AsPath<'_>) {
    for seg in path.segments() {
        s.mix(T_SEGMENT, seg.len() as u64);
        for asn in seg.asns() {
            s.asn(asn);
        }
    }
}

/// bgp-wire: build UPDATEs with the attributes of [`encode_attrs`] (ORIGIN,
/// AS_PATH, NEXT_HOP, MED, LOCAL_PREF, COMMUNITIES) and `prefixes` in the NLRI
/// field, for a 4-octet-AS session with 4,096-octet messages; the number of
/// bytes produced (0 on error).
///
/// [`UpdateBuilder::announce`] encodes the attribute set once, then packs as
/// many prefixes as fit per message and starts another when one is full, all
/// into one caller-owned `Vec`. Like the other encoders, this builds the
/// attribute values and converts the prefixes (`Ipv4Net` to [`Nlri`]) on
/// every call.
pub fn our_encode(prefixes: &[Ipv4Net]) -> usize {
    let mut out = Vec::new();
    match our_encode_into(prefixes, &mut out) {
        Some(_) => black_box(out).len(),
        None => 0,
    }
}

/// bgp-wire: appends what [`our_encode`] builds to `out`; the number of
/// messages, or `None` on error.
pub fn our_encode_into(prefixes: &[Ipv4Net], out: &mut Vec<u8>) -> Option<usize> {
    use encode_attrs as a;
    let attrs = [
        PathAttribute::Origin(Origin::Igp),
        PathAttribute::AsPath(AsPathBuf::sequence(a::AS_PATH)),
        PathAttribute::Med(a::MED),
        PathAttribute::LocalPref(a::LOCAL_PREF),
        PathAttribute::Communities(vec![Community(a::COMMUNITY)]),
    ];
    let nlri: Vec<Nlri> = prefixes.iter().map(|p| Nlri::new(IpNet::V4(*p))).collect();
    UpdateBuilder::new(SessionContext::default())
        .announce(
            Family::IPV4_UNICAST,
            &attrs,
            &NextHop::V4(a::NEXT_HOP),
            &nlri,
            out,
        )
        .ok()
}

/// bgp-wire: the messages [`our_encode`] builds, one `Vec` each, or `None`.
pub fn our_encode_messages(prefixes: &[Ipv4Net]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    our_encode_into(prefixes, &mut out)?;
    let mut rest = &out[..];
    let mut messages = Vec::new();
    while let Some(f) = frame(rest, 4096).ok()? {
        messages.push(rest[..f.len].to_vec());
        rest = &rest[f.len..];
    }
    rest.is_empty().then_some(messages)
}

/// `n` consecutive /24s from 10.0.0.0/24 on (the `500x24` input).
pub fn slash24s(n: u32) -> Vec<Ipv4Net> {
    (0..n)
        .map(|i| Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 + (i << 8)), 24).expect("length 24"))
        .collect()
}

/// `count` small synthetic UPDATEs built with [`UpdateBuilder`], each with 1
/// to 3 IPv4 prefixes of length 16 to 24 in the NLRI field, ORIGIN, an AS_SEQUENCE
/// of 2 to 7 4-octet ASNs, NEXT_HOP, MED on every other one, LOCAL_PREF, and 0
/// to 3 standard communities; deterministic (a fixed xorshift seed).
pub fn small_updates(count: usize) -> Vec<Vec<u8>> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let ctx = SessionContext::default();
    (0..count)
        .map(|i| {
            let hops = 2 + next() % 6;
            let path = AsPathBuf::sequence((0..hops).map(|_| 1 + (next() % 400_000) as u32));
            let mut attrs = vec![
                PathAttribute::Origin(Origin::Igp),
                PathAttribute::AsPath(path),
                PathAttribute::LocalPref(100),
            ];
            if i % 2 == 0 {
                attrs.push(PathAttribute::Med((next() % 1000) as u32));
            }
            let communities = next() % 4;
            if communities > 0 {
                attrs.push(PathAttribute::Communities(
                    (0..communities).map(|_| Community(next() as u32)).collect(),
                ));
            }
            let nlri: Vec<Nlri> = (0..1 + next() % 3)
                .map(|_| {
                    let len = 16 + (next() % 9) as u8;
                    let p = Ipv4Net::new(Ipv4Addr::from(next() as u32), len)
                        .expect("length <= 32")
                        .trunc();
                    Nlri::new(IpNet::V4(p))
                })
                .collect();
            let nh = NextHop::V4(Ipv4Addr::from(0xc000_0200 + (next() % 250) as u32));
            let mut out = Vec::new();
            UpdateBuilder::new(ctx)
                .announce(Family::IPV4_UNICAST, &attrs, &nh, &nlri, &mut out)
                .expect("a small UPDATE fits");
            out
        })
        .collect()
}

/// The IPv4 prefixes each UPDATE of `messages` announces in its NLRI field and
/// in an IPv4 unicast MP_REACH_NLRI, one list per UPDATE that announces any
/// (the `encode/full_table` input).
pub fn announced_per_update(messages: &[Vec<u8>]) -> Vec<Vec<Ipv4Net>> {
    let ctx = decode_context();
    messages
        .iter()
        .filter_map(|m| match parse_message(m, ctx) {
            Ok(Message::Update(u)) => {
                let v: Vec<Ipv4Net> = u
                    .all_announced()
                    .filter_map(|n| match n.prefix {
                        IpNet::V4(p) => Some(p),
                        IpNet::V6(_) => None,
                    })
                    .collect();
                (!v.is_empty()).then_some(v)
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::competitors::{
        bgpkit_decode_walk_bytes, bgpkit_encode, bgpkit_encode_message, bgpkit_stats,
        routecore_decode_walk, routecore_encode, routecore_stats, routecore_stats_owned,
        rustbgpd_decode_walk_bytes, rustbgpd_encode, rustbgpd_encode_message, rustbgpd_stats,
    };

    type Walker = fn(&[u8]) -> Option<WalkStats>;
    const OTHERS: [(&str, Walker); 5] = [
        ("bgp-wire (view)", our_stats_view),
        ("bgpkit-parser", bgpkit_stats),
        ("routecore", routecore_stats),
        ("routecore (owned)", routecore_stats_owned),
        ("rustbgpd-wire", rustbgpd_stats),
    ];

    fn full_table() -> Option<Vec<Vec<u8>>> {
        let path = std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/data/mrt/updates.et-header.2015.gz"
        ));
        if !path.exists() {
            println!("skipped: {} is absent", path.display());
            return None;
        }
        Some(crate::mrt::load_bgp4mp_messages(path).unwrap())
    }

    #[test]
    fn our_encoding_is_what_the_others_write_and_decode() {
        let two: Vec<Ipv4Net> = ["10.0.0.0/8", "192.168.1.0/24"]
            .iter()
            .map(|p| p.parse().unwrap())
            .collect();
        // Byte for byte what bgpkit-parser and rustbgpd-wire write (the
        // competitors' hand-made message).
        let ours = our_encode_messages(&two).unwrap();
        assert_eq!(ours.len(), 1);
        assert_eq!(ours[0], bgpkit_encode_message(&two).unwrap());
        assert_eq!(ours[0], rustbgpd_encode_message(&two).unwrap());
        assert_eq!(our_encode(&two), 74);
        let reference = bgpkit_stats(&ours[0]).unwrap();
        assert_eq!(our_stats(&ours[0]), Some(reference));
        for (name, walk) in OTHERS {
            assert_eq!(walk(&ours[0]), Some(reference), "{name}");
        }

        // 500 /24s: one message of 2,068 octets, as bgpkit-parser and
        // rustbgpd-wire write it; routecore (MP_REACH_NLRI) 6 more.
        let p500 = slash24s(500);
        let m = our_encode_messages(&p500).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].len(), 2068);
        assert_eq!(m[0], bgpkit_encode_message(&p500).unwrap());
        assert_eq!(m[0], rustbgpd_encode_message(&p500).unwrap());
        assert_eq!((bgpkit_encode(&p500), rustbgpd_encode(&p500)), (2068, 2068));
        assert_eq!(routecore_encode(&p500), 2074);
        let reference = our_stats(&m[0]).unwrap();
        assert_eq!(reference.announced, 500);
        for (name, walk) in OTHERS {
            assert_eq!(walk(&m[0]), Some(reference), "{name}");
        }

        // 1,100 /24s: split at 4,096 octets into two messages the others read.
        let many = slash24s(1100);
        let m = our_encode_messages(&many).unwrap();
        assert_eq!(m.len(), 2);
        assert!(m.iter().all(|m| m.len() <= 4096));
        assert_eq!(our_encode(&many), m.iter().map(Vec::len).sum::<usize>());
        for (name, walk) in OTHERS {
            let announced: u64 = m.iter().map(|m| walk(m).unwrap().announced).sum();
            assert_eq!(announced, 1100, "{name}");
        }
    }

    #[test]
    fn small_updates_decode_alike() {
        let msgs = small_updates(1000);
        for m in &msgs {
            let ours = our_stats(m).unwrap();
            assert!((1..=3).contains(&ours.announced));
            for (name, walk) in OTHERS {
                assert_eq!(walk(m), Some(ours), "{name}");
            }
            let b = bytes::Bytes::copy_from_slice(m);
            assert_eq!(our_decode_walk(m), bgpkit_decode_walk_bytes(&b));
            assert_eq!(our_decode_walk(m), rustbgpd_decode_walk_bytes(&b));
            assert_eq!(our_decode_walk(m), routecore_decode_walk(m));
        }
    }

    #[test]
    fn mp_reach_and_mp_unreach_decode_alike() {
        use std::net::Ipv6Addr;
        let v6: Vec<Nlri> = (0..40u32)
            .map(|i| {
                let a = Ipv6Addr::from((0x2001_0db8u128 << 96) | (u128::from(i) << 72));
                Nlri::new(IpNet::V6(ipnet::Ipv6Net::new(a, 48).unwrap()))
            })
            .collect();
        let attrs = [
            PathAttribute::Origin(Origin::Igp),
            PathAttribute::AsPath(AsPathBuf::sequence([65001, 4_200_000_000])),
            PathAttribute::Communities(vec![Community(1), Community(2)]),
        ];
        let global: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let hops = [
            NextHop::V6 {
                global,
                link_local: None,
            },
            NextHop::V6 {
                global,
                link_local: Some("fe80::1".parse().unwrap()),
            },
        ];
        let b = UpdateBuilder::new(SessionContext::default());
        for nh in &hops {
            let mut out = Vec::new();
            assert_eq!(
                b.announce(Family::IPV6_UNICAST, &attrs, nh, &v6, &mut out),
                Ok(1)
            );
            let ours = our_stats(&out).unwrap();
            assert_eq!((ours.announced, ours.asns, ours.communities), (40, 2, 2));
            for (name, walk) in OTHERS {
                assert_eq!(walk(&out), Some(ours), "{name}, {nh:?}");
            }
        }
        let mut out = Vec::new();
        assert_eq!(b.withdraw(Family::IPV6_UNICAST, &v6, &mut out), Ok(1));
        let ours = our_stats(&out).unwrap();
        assert_eq!((ours.withdrawn, ours.attributes), (40, 1));
        for (name, walk) in OTHERS {
            assert_eq!(walk(&out), Some(ours), "{name}");
        }
    }

    #[test]
    fn rejects_are_zero_not_panics() {
        let m = &small_updates(1)[0];
        for bad in [&m[..30], &m[..19], &[][..], &[0xff; 19][..]] {
            assert_eq!(our_stats(bad), None);
            assert_eq!(our_decode_walk(bad), 0);
        }
    }

    #[test]
    fn we_walk_the_full_table_transfer_of_2015_like_the_others() {
        let Some(messages) = full_table() else {
            return;
        };
        assert_eq!(messages.len(), 89_682);
        let mut ours_total = WalkStats::default();
        let mut totals = [WalkStats::default(); OTHERS.len()];
        let mut rejected = [0usize; OTHERS.len()];
        let mut differ = [0usize; OTHERS.len()];
        let mut updates = 0;
        for m in &messages {
            let ours = our_stats(m);
            if m[18] != 2 {
                assert_eq!(ours, None);
                continue;
            }
            updates += 1;
            let ours = ours.expect("bgp-wire accepts every UPDATE of the stream");
            ours_total += ours;
            for (i, (_, walk)) in OTHERS.iter().enumerate() {
                match walk(m) {
                    Some(s) => {
                        totals[i] += s;
                        if s != ours {
                            differ[i] += 1;
                        }
                    }
                    None => rejected[i] += 1,
                }
            }
        }
        println!("bgp-wire: {ours_total:?}");
        for (i, (name, _)) in OTHERS.iter().enumerate() {
            println!(
                "{name}: {} rejected, {} differ from bgp-wire; {:?}",
                rejected[i], differ[i], totals[i]
            );
        }
        assert_eq!(updates, 89_679);
        // The data README's counts of announcements and withdrawals.
        assert_eq!(
            (
                ours_total.announced,
                ours_total.withdrawn,
                ours_total.attributes,
                ours_total.asns,
                ours_total.communities
            ),
            (577_737, 3, 738_910, 267_985, 92_210)
        );
        // Our view walk, bgpkit-parser and both routecore walks accept every
        // UPDATE and see exactly what we see, message by message: same
        // counts, same checksum.
        for i in 0..4 {
            assert_eq!((rejected[i], differ[i]), (0, 0), "{}", OTHERS[i].0);
            assert_eq!(totals[i], ours_total, "{}", OTHERS[i].0);
        }
        // rustbgpd-wire rejects the 4 UPDATEs with AS 0 (22 routes) and agrees
        // on every other one.
        assert_eq!((rejected[4], differ[4]), (4, 0));
        assert_eq!(totals[4].announced, 577_715);
    }

    #[test]
    fn full_table_encode_input_fits_every_encoder() {
        let Some(messages) = full_table() else {
            return;
        };
        let groups = announced_per_update(&messages);
        let total: usize = groups.iter().map(Vec::len).sum();
        assert_eq!(total, 577_737);
        let mut out = Vec::new();
        let messages: usize = groups
            .iter()
            .map(|g| our_encode_into(g, &mut out).unwrap())
            .sum();
        println!(
            "{} UPDATEs announce; re-encoded as {messages} messages, {} octets",
            groups.len(),
            out.len()
        );
        assert_eq!(messages, groups.len());
        for g in &groups {
            let n = our_encode(g);
            assert!(n > 0);
            assert_eq!(bgpkit_encode(g), n);
            assert_eq!(rustbgpd_encode(g), n);
            assert!(routecore_encode(g) > 0);
        }
    }
}

//! Property tests: decode(encode(x)) == x for UPDATEs generated with
//! `arbitrary`, under random session contexts; and parsing arbitrary bytes
//! never panics.

use arbitrary::{Arbitrary, Result, Unstructured};
use bgp_wire::attr::{
    Aggregator, AigpTlv, AsPathBuf, AttrFlags, Community, ExtCommunity, Ipv6ExtCommunity,
    LargeCommunity, MpNlri, MpReachNlri, MpUnreachNlri, NextHop, PathAttribute, RawAttribute,
    SegmentType,
};
use bgp_wire::header::HEADER_LEN;
use bgp_wire::{Afi, AttrType, Family, Nlri, Safi, SessionContext, Update, UpdateMessage};
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

fn nlri_list(u: &mut Unstructured<'_>, v6: bool, add_path: bool, max: usize) -> Result<Vec<Nlri>> {
    let n = u.int_in_range(0..=max)?;
    (0..n)
        .map(|_| {
            let prefix = if v6 {
                let len = u.int_in_range(0..=128)?;
                ipnet::IpNet::V6(
                    ipnet::Ipv6Net::new(Ipv6Addr::from(u.arbitrary::<u128>()?), len)
                        .unwrap()
                        .trunc(),
                )
            } else {
                let len = u.int_in_range(0..=32)?;
                ipnet::IpNet::V4(
                    ipnet::Ipv4Net::new(Ipv4Addr::from(u.arbitrary::<u32>()?), len)
                        .unwrap()
                        .trunc(),
                )
            };
            let path_id = if add_path { Some(u.arbitrary()?) } else { None };
            Ok(Nlri { prefix, path_id })
        })
        .collect()
}

fn vec_of<T: for<'a> Arbitrary<'a>>(u: &mut Unstructured<'_>, max: usize) -> Result<Vec<T>> {
    let n = u.int_in_range(1..=max)?;
    (0..n).map(|_| T::arbitrary(u)).collect()
}

fn as_path(u: &mut Unstructured<'_>, ctx: &SessionContext, as4: bool) -> Result<AsPathBuf> {
    let mut p = AsPathBuf::arbitrary(u)?;
    for s in &mut p.segments {
        if as4 && s.ty.is_confed() {
            s.ty = SegmentType::Sequence;
        }
        if !ctx.four_octet_as && !as4 {
            s.asns.iter_mut().for_each(|a| *a &= 0xffff);
        }
    }
    Ok(p)
}

/// One attribute of type `ty` that is valid on a session `ctx`.
fn attribute(
    u: &mut Unstructured<'_>,
    ty: u8,
    ctx: &SessionContext,
) -> Result<Option<PathAttribute>> {
    use PathAttribute as P;
    Ok(Some(match ty {
        1 => P::Origin(u.arbitrary()?),
        2 => P::AsPath(as_path(u, ctx, false)?),
        3 => P::NextHop(u.arbitrary::<u32>()?.into()),
        4 => P::Med(u.arbitrary()?),
        5 => P::LocalPref(u.arbitrary()?),
        6 => P::AtomicAggregate,
        7 => {
            let mut a = Aggregator::arbitrary(u)?;
            if !ctx.four_octet_as {
                a.asn &= 0xffff;
            }
            P::Aggregator(a)
        }
        8 => P::Communities(vec_of::<Community>(u, 40)?),
        9 => P::OriginatorId(u.arbitrary::<u32>()?.into()),
        10 => P::ClusterList(
            vec_of::<u32>(u, 10)?
                .into_iter()
                .map(Ipv4Addr::from)
                .collect(),
        ),
        14 => {
            let family = mp_family(u)?;
            let next_hop = if family.is_prefix_family() {
                if family.afi == Afi::IPV6 {
                    NextHop::V6 {
                        global: Ipv6Addr::from(u.arbitrary::<u128>()?),
                        link_local: if u.arbitrary()? {
                            Some(Ipv6Addr::from(u.arbitrary::<u128>()?))
                        } else {
                            None
                        },
                    }
                } else {
                    NextHop::V4(u.arbitrary::<u32>()?.into())
                }
            } else {
                NextHop::Other(vec_of::<u8>(u, 20)?)
            };
            P::MpReach(MpReachNlri {
                family,
                next_hop,
                nlri: mp_nlri(u, family, ctx)?,
            })
        }
        15 => {
            let family = mp_family(u)?;
            P::MpUnreach(MpUnreachNlri {
                family,
                nlri: mp_nlri(u, family, ctx)?,
            })
        }
        16 => P::ExtCommunities(vec_of::<ExtCommunity>(u, 20)?),
        17 if !ctx.four_octet_as => P::As4Path(as_path(u, ctx, true)?),
        18 if !ctx.four_octet_as => P::As4Aggregator(u.arbitrary()?),
        25 => P::Ipv6ExtCommunities(vec_of::<Ipv6ExtCommunity>(u, 5)?),
        26 => {
            let mut tlvs: Vec<AigpTlv> = (0..u.int_in_range(0..=3)?)
                .map(|_| AigpTlv::arbitrary(u))
                .collect::<Result<_>>()?;
            for t in &mut tlvs {
                if t.ty == 1 {
                    t.value.resize(8, 0);
                }
                t.value.truncate(200);
            }
            P::Aigp(tlvs)
        }
        32 => P::LargeCommunities(vec_of::<LargeCommunity>(u, 20)?),
        35 => P::Otc(u.arbitrary()?),
        // Types the codec keeps as they are (not typed, not validated).
        11..=13 | 19..=22 | 24 | 27..=31 | 33 | 34 | 36..=255 => {
            let mut value: Vec<u8> = u.arbitrary()?;
            value.truncate(600);
            let mut flags = u.arbitrary::<u8>()? | AttrFlags::OPTIONAL;
            flags &= 0xf0;
            if value.len() > 255 {
                flags |= AttrFlags::EXTENDED_LENGTH;
            }
            P::Other(RawAttribute {
                flags: AttrFlags(flags),
                ty: AttrType(ty),
                value,
            })
        }
        _ => return Ok(None),
    }))
}

fn mp_family(u: &mut Unstructured<'_>) -> Result<Family> {
    Ok(*u.choose(&[
        Family::IPV6_UNICAST,
        Family::IPV6_MULTICAST,
        Family::IPV4_MULTICAST,
        Family::IPV4_UNICAST,
        Family::new(Afi::L2VPN, Safi::EVPN),
        Family::new(Afi::IPV4, Safi::FLOWSPEC),
        Family::new(Afi(7777), Safi(77)),
    ])?)
}

fn mp_nlri(u: &mut Unstructured<'_>, family: Family, ctx: &SessionContext) -> Result<MpNlri> {
    Ok(if family.is_prefix_family() {
        MpNlri::Prefixes(nlri_list(
            u,
            family.afi == Afi::IPV6,
            ctx.add_path(family),
            30,
        )?)
    } else {
        let mut v: Vec<u8> = u.arbitrary()?;
        v.truncate(300);
        MpNlri::Opaque(v)
    })
}

fn context(u: &mut Unstructured<'_>) -> Result<SessionContext> {
    let mut c = if u.arbitrary()? {
        SessionContext::default()
    } else {
        SessionContext::two_octet()
    };
    for f in [
        Family::IPV4_UNICAST,
        Family::IPV6_UNICAST,
        Family::IPV4_MULTICAST,
        Family::IPV6_MULTICAST,
    ] {
        if u.arbitrary()? {
            c.add_path.insert(f);
        }
    }
    if u.arbitrary()? {
        c.max_message_len = 65535;
    }
    Ok(c)
}

fn message(u: &mut Unstructured<'_>, ctx: &SessionContext) -> Result<UpdateMessage> {
    let ap = ctx.add_path(Family::IPV4_UNICAST);
    const KNOWN: [u8; 19] = [
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 25, 26, 32, 35,
    ];
    let n = u.int_in_range(0..=14)?;
    let mut types = Vec::with_capacity(n);
    for _ in 0..n {
        types.push(if u.ratio(4, 5)? {
            *u.choose(&KNOWN)?
        } else {
            u.arbitrary()?
        });
    }
    types.sort_unstable();
    types.dedup();
    for i in (1..types.len()).rev() {
        let j = u.int_in_range(0..=i)?;
        types.swap(i, j);
    }
    let mut attributes = Vec::new();
    for t in types {
        if let Some(a) = attribute(u, t, ctx)? {
            attributes.push(a);
        }
    }
    Ok(UpdateMessage {
        withdrawn: nlri_list(u, false, ap, 50)?,
        attributes,
        announced: nlri_list(u, false, ap, 50)?,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn update_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut u = Unstructured::new(&bytes);
        let Ok(ctx) = context(&mut u) else { return Ok(()) };
        let Ok(msg) = message(&mut u, &ctx) else { return Ok(()) };
        let mut out = Vec::new();
        if msg.encode(&ctx, &mut out).is_err() {
            prop_assert!(msg.encoded_len(&ctx) > ctx.max_message_len);
            return Ok(());
        }
        if std::env::var_os("RT_STATS").is_some() {
            eprintln!("STAT {} {} {} {}", msg.attributes.len(), msg.announced.len(), msg.withdrawn.len(), out.len());
        }
        prop_assert_eq!(out.len(), msg.encoded_len(&ctx));
        // `Update::visit` sees what the view shows, with the same verdict.
        bgp_wire::fuzzing::visit_agrees(&out[HEADER_LEN..], &ctx);
        let view = Update::parse(&out[HEADER_LEN..], &ctx).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let back = view.to_message();
        prop_assert_eq!(&back, &msg);
        // Whatever the action, re-encoding what we decoded is stable.
        let mut again = Vec::new();
        back.encode(&ctx, &mut again).unwrap();
        prop_assert_eq!(again, out);
    }

    /// A well-formed UPDATE with a few octets changed: attributes with
    /// wrong flags or lengths, duplicates, bad prefix lengths, every action
    /// of RFC 7606. `Update::visit` agrees with `Update::parse` and the view
    /// on each (the verdict, and what is shown).
    #[test]
    fn visit_agrees_on_damaged_updates(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        damage in proptest::collection::vec((any::<u16>(), any::<u8>()), 1..4),
    ) {
        let mut u = Unstructured::new(&bytes);
        let Ok(ctx) = context(&mut u) else { return Ok(()) };
        let Ok(msg) = message(&mut u, &ctx) else { return Ok(()) };
        let mut out = Vec::new();
        if msg.encode(&ctx, &mut out).is_err() {
            return Ok(());
        }
        let body = &mut out[HEADER_LEN..];
        for (at, b) in damage {
            if !body.is_empty() {
                let i = usize::from(at) % body.len();
                body[i] = b;
            }
        }
        bgp_wire::fuzzing::visit_agrees(body, &ctx);
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048), two in any::<bool>(), ap in any::<bool>()) {
        let mut ctx = if two { SessionContext::two_octet() } else { SessionContext::default() };
        if ap {
            ctx = ctx.with_add_path(Family::IPV4_UNICAST).with_add_path(Family::IPV6_UNICAST);
        }
        bgp_wire::fuzzing::visit_agrees(&bytes, &ctx);
        if let Ok(u) = Update::parse(&bytes, &ctx) {
            // Walk everything; nothing may panic.
            let _ = u.attributes().map(|a| format!("{a:?}")).count();
            let _ = u.all_announced().count() + u.all_withdrawn().count();
            let _ = (u.effective_as_path(), u.effective_aggregator(), u.end_of_rib(), u.to_message());
            if let Some(p) = u.as_path() { let _ = p.to_string(); }
        }
    }
}

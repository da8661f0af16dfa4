//! Regression tests for the classes of malformed input that have broken other
//! BGP implementations. Each test builds the offending bytes, decodes them,
//! and asserts the outcome RFC 7606 (or RFC 4271 for OPEN) requires: the
//! action, the NOTIFICATION where the session is reset, and that the valid
//! parts of the message are still found. None may panic.

use bgp_wire::testing::{attr as a, message as msg, update_body as body};
use bgp_wire::{
    Action, AttrType, Family, Message, MessageError, SessionContext, Update, UpdateErrorKind,
    parse_message,
};

fn origin() -> Vec<u8> {
    a(0x40, 1, &[0])
}
fn path() -> Vec<u8> {
    a(0x40, 2, &[2, 1, 0, 0, 0xfd, 0xe9])
}
fn nh() -> Vec<u8> {
    a(0x40, 3, &[198, 18, 0, 1])
}
const NLRI: &[u8] = &[32, 203, 0, 113, 7];

fn outcome(b: &[u8], ctx: &SessionContext) -> (Action, Option<UpdateErrorKind>) {
    match Update::parse(b, ctx) {
        Ok(u) => (u.action(), u.error().map(|e| e.kind)),
        Err(e) => (e.action(), Some(e.kind)),
    }
}

fn open_body(params: &[u8]) -> Vec<u8> {
    let mut b = vec![4, 0xfd, 0xe9, 0, 90, 10, 0, 0, 1];
    b.extend_from_slice(params);
    b
}

fn open_error(body: &[u8]) -> (u8, u8) {
    match parse_message(&msg(1, body), &SessionContext::default()) {
        Err(e @ MessageError::Open(_)) => {
            assert_eq!(e.action(), Action::SessionReset);
            let n = e.notification();
            (n.code.0, n.subcode)
        }
        other => panic!("expected an OPEN error, got {other:?}"),
    }
}

/// FRR CVE-2022-40302: an optional parameter whose capability length runs
/// past the Optional Parameters Length. Must be an OPEN Message Error, not a
/// read past the end.
#[test]
fn frr_cve_2022_40302_capability_overruns_parameters() {
    // opt len 6: param type 2 len 4, capability code 65 len 4 (needs 6 octets)
    let b = open_body(&[6, 2, 4, 65, 4, 0, 0]);
    assert_eq!(open_error(&b).0, 2);
    // parameter length larger than what is left
    let b = open_body(&[4, 2, 9, 65, 4]);
    assert_eq!(open_error(&b).0, 2);
}

/// FRR CVE-2022-40318: the same overrun in the RFC 9072 extended optional
/// parameters format (Opt Parm Len 255, non-ext type 255, 2-octet lengths).
#[test]
fn frr_cve_2022_40318_extended_parameters_overrun() {
    // extended length says 7 but only 5 follow
    let b = open_body(&[255, 255, 0, 7, 2, 0, 2, 65, 4]);
    assert_eq!(open_error(&b).0, 2);
    // a parameter whose 2-octet length overruns
    let b = open_body(&[255, 255, 0, 5, 2, 0, 40, 65, 4]);
    assert_eq!(open_error(&b).0, 2);
}

/// FRR CVE-2022-43681: the OPEN ends right after the Optional Parameters
/// Length octet (or the parameter header is cut short).
#[test]
fn frr_cve_2022_43681_open_ends_after_length() {
    assert_eq!(open_error(&open_body(&[2])).0, 2);
    assert_eq!(open_error(&open_body(&[1, 2])).0, 2);
    assert_eq!(open_error(&open_body(&[255, 255])).0, 2);
}

/// FRR CVE-2023-38802 (and the same event for other vendors): a Tunnel
/// Encapsulation attribute (type 23) with a malformed sub-TLV reset sessions.
/// RFC 9012 §13 / RFC 7606: attribute discard; the routes stay.
#[test]
fn frr_cve_2023_38802_malformed_tunnel_encapsulation() {
    // tunnel type 8 with a sub-TLV claiming 200 octets
    let tea = a(0xc0, 23, &[0, 8, 0, 4, 4, 200, 0, 0]);
    let b = body(&[], &[origin(), path(), nh(), tea], NLRI);
    let u = Update::parse(&b, &SessionContext::default()).unwrap();
    assert_eq!(u.action(), Action::AttributeDiscard);
    assert_eq!(
        u.error().unwrap().kind,
        UpdateErrorKind::MalformedOptional(AttrType::TUNNEL_ENCAPSULATION)
    );
    assert_eq!(u.announced().count(), 1);
    assert_eq!(
        u.attributes().count(),
        3,
        "the malformed attribute is dropped"
    );
}

/// FRR CVE-2023-46752: malformed MP_REACH_NLRI (next-hop length past the end,
/// missing reserved octet, NLRI overrun). Once the AFI/SAFI is known the
/// action is AFI/SAFI disable (RFC 7606 §7.11); before, session reset.
#[test]
fn frr_cve_2023_46752_malformed_mp_reach() {
    let c = SessionContext::default();
    let cases: [(&[u8], Action); 6] = [
        (&[0, 2, 1, 255, 1, 2], Action::AfiSafiDisable), // next hop overruns
        (&[0, 2, 1], Action::AfiSafiDisable),            // no next-hop length
        (
            &[
                0, 2, 1, 16, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
            ],
            Action::AfiSafiDisable,
        ), // no reserved octet
        (
            &[
                0, 2, 1, 16, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 64, 0x20,
            ],
            Action::AfiSafiDisable,
        ), // NLRI overrun
        (&[0, 2], Action::SessionReset),                 // family unknown
        (&[], Action::SessionReset),
    ];
    for (v, want) in cases {
        let b = body(&[], &[origin(), path(), a(0x80, 14, v)], &[]);
        let (act, kind) = outcome(&b, &c);
        assert_eq!(act, want, "{v:?}: {kind:?}");
        if want == Action::AfiSafiDisable {
            assert_eq!(kind.unwrap().family(), Some(Family::IPV6_UNICAST));
        }
    }
}

/// FRR CVE-2023-46753: an UPDATE with NLRI but without the mandatory
/// attributes. RFC 7606 §3 (d): treat-as-withdraw, session stays.
#[test]
fn frr_cve_2023_46753_update_without_mandatory_attributes() {
    let b = body(&[], &[], NLRI);
    let u = Update::parse(&b, &SessionContext::default()).unwrap();
    assert_eq!(u.action(), Action::TreatAsWithdraw);
    assert!(matches!(
        u.error().unwrap().kind,
        UpdateErrorKind::Missing(_)
    ));
    assert_eq!(
        u.announced().count(),
        1,
        "the prefixes to withdraw are known"
    );
}

/// FRR CVE-2023-47234: MP_UNREACH_NLRI plus NLRI that lacks the mandatory
/// attributes. The NLRI are treated as withdrawn; the MP withdrawals stand.
#[test]
fn frr_cve_2023_47234_mp_unreach_with_nlri_and_no_attributes() {
    let un = a(0x80, 15, &[0, 2, 1, 32, 0x20, 1, 0xd, 0xb8]);
    let b = body(&[], &[un], NLRI);
    let u = Update::parse(&b, &SessionContext::default()).unwrap();
    assert_eq!(u.action(), Action::TreatAsWithdraw);
    assert_eq!(
        u.all_withdrawn().map(|n| n.to_string()).collect::<Vec<_>>(),
        ["2001:db8::/32"]
    );
    assert_eq!(u.announced().count(), 1);
}

/// FRR CVE-2023-47235: a malformed attribute (zero-length ORIGIN) alongside
/// MP_UNREACH_NLRI: treat-as-withdraw, not a crash or a reset.
#[test]
fn frr_cve_2023_47235_malformed_attribute_with_mp_unreach() {
    let un = a(0x80, 15, &[0, 2, 1, 32, 0x20, 1, 0xd, 0xb8]);
    let b = body(&[], &[un, a(0x40, 1, &[]), path()], &[]);
    let (act, kind) = outcome(&b, &SessionContext::default());
    assert_eq!(
        (act, kind),
        (
            Action::TreatAsWithdraw,
            Some(UpdateErrorKind::Length(AttrType::ORIGIN))
        )
    );
}

/// FRR CVE-2024-44070: a Tunnel Encapsulation sub-TLV whose length runs past
/// the end of the attribute. Attribute discard.
#[test]
fn frr_cve_2024_44070_tunnel_encap_subtlv_past_end() {
    // a 2-octet-length sub-TLV (type 128) claiming 0x0100 octets
    let tea = a(0xc0, 23, &[0, 1, 0, 3, 128, 1, 0]);
    let b = body(&[], &[origin(), path(), nh(), tea], NLRI);
    assert_eq!(
        outcome(&b, &SessionContext::default()).0,
        Action::AttributeDiscard
    );
}

/// OpenBGPD CVE-2023-38283: an optional transitive attribute with content the
/// receiver does not expect reset sessions. An attribute this codec does not
/// interpret is kept verbatim (flags included) and the UPDATE accepted.
#[test]
fn openbgpd_cve_2023_38283_unexpected_optional_transitive() {
    for flags in [0xc0, 0xe0, 0xf0] {
        let odd = a(flags, 28, &[0xde, 0xad]);
        let b = body(&[], &[origin(), path(), nh(), odd.clone()], NLRI);
        let u = Update::parse(&b, &SessionContext::default()).unwrap();
        assert_eq!(u.action(), Action::None);
        let m = u.to_message();
        let mut out = Vec::new();
        m.encode(&SessionContext::default(), &mut out).unwrap();
        assert!(out.windows(odd.len()).any(|w| w == odd), "kept verbatim");
    }
}

/// GoBGP CVE-2026-30405: a NEXT_HOP shorter than four octets. RFC 7606 §7.3:
/// treat-as-withdraw; the NLRI is still located.
#[test]
fn gobgp_cve_2026_30405_short_next_hop() {
    for len in 0..4 {
        let b = body(
            &[],
            &[origin(), path(), a(0x40, 3, &[198, 18, 0][..len.min(3)])],
            NLRI,
        );
        let u = Update::parse(&b, &SessionContext::default()).unwrap();
        assert_eq!(u.action(), Action::TreatAsWithdraw);
        assert_eq!(u.next_hop(), None);
        assert_eq!(u.announced().count(), 1);
    }
}

/// GoBGP CVE-2026-41643: AS4_PATH placed before AS_PATH. Attribute order
/// must not matter: on a 2-octet session the paths are merged; on a 4-octet
/// session AS4_PATH is discarded (RFC 6793 §3).
#[test]
fn gobgp_cve_2026_41643_as4_path_before_as_path() {
    let as4 = a(
        0xc0,
        17,
        &[2, 2, 0xfa, 0x56, 0xea, 0x00, 0xfa, 0x56, 0xea, 0x01],
    );
    let p2 = a(0x40, 2, &[2, 3, 0xfd, 0xe9, 0x5b, 0xa0, 0x5b, 0xa0]);
    let b = body(&[], &[as4.clone(), origin(), p2, nh()], NLRI);
    let u = Update::parse(&b, &SessionContext::two_octet()).unwrap();
    assert_eq!(u.action(), Action::None);
    assert_eq!(
        u.effective_as_path().unwrap().to_string(),
        "65001 4200000000 4200000001"
    );
    let b = body(&[], &[as4, origin(), path(), nh()], NLRI);
    let u = Update::parse(&b, &SessionContext::default()).unwrap();
    assert_eq!(u.action(), Action::AttributeDiscard);
    assert_eq!(u.effective_as_path().unwrap().to_string(), "65001");
    // AS4_PATH alone, without AS_PATH: AS_PATH missing is treat-as-withdraw.
    let as4 = a(0xc0, 17, &[2, 1, 0, 0, 0, 1]);
    let b = body(&[], &[as4, origin(), nh()], NLRI);
    let u = Update::parse(&b, &SessionContext::two_octet()).unwrap();
    assert_eq!(u.action(), Action::TreatAsWithdraw);
    assert_eq!(u.effective_as_path(), None);
}

/// GoBGP CVE-2026-37461: length fields smaller than the fixed part of a
/// value (a subtraction that underflows in C-like code): zero-length
/// AGGREGATOR, MED, MP_UNREACH, CLUSTER_LIST.
#[test]
fn gobgp_cve_2026_37461_lengths_below_fixed_part() {
    let c = SessionContext::default();
    let cases = [
        (a(0xc0, 7, &[]), Action::AttributeDiscard),
        (a(0x80, 4, &[]), Action::TreatAsWithdraw),
        (a(0x80, 10, &[]), Action::TreatAsWithdraw),
        (a(0x80, 15, &[0]), Action::SessionReset),
        (a(0x80, 26, &[1, 0, 2]), Action::AttributeDiscard),
    ];
    for (x, want) in cases {
        let b = body(&[], &[origin(), path(), nh(), x.clone()], NLRI);
        assert_eq!(outcome(&b, &c).0, want, "{x:?}");
    }
}

/// GoBGP CVE-2026-37462: message-level length underflow: withdrawn and
/// attribute lengths that exceed the message, an attribute header cut after
/// its flags, an extended-length attribute with one length octet.
#[test]
fn gobgp_cve_2026_37462_length_underflow() {
    let c = SessionContext::default();
    assert_eq!(
        outcome(&[0xff, 0xff, 0, 0], &c),
        (Action::SessionReset, Some(UpdateErrorKind::WithdrawnLength))
    );
    assert_eq!(
        outcome(&[0, 0, 0xff, 0xff], &c),
        (
            Action::SessionReset,
            Some(UpdateErrorKind::AttributeListLength)
        )
    );
    assert_eq!(outcome(&[0, 0], &c).0, Action::SessionReset);
    assert_eq!(outcome(&[0], &c).0, Action::SessionReset);
    assert_eq!(outcome(&[], &c).0, Action::SessionReset);
    let b = body(&[], &[origin(), vec![0x50, 2, 0]], NLRI);
    assert_eq!(
        outcome(&b, &c),
        (
            Action::TreatAsWithdraw,
            Some(UpdateErrorKind::AttributeOverrun)
        )
    );
    let b = body(&[], &[origin(), vec![0x40]], NLRI);
    assert_eq!(outcome(&b, &c).0, Action::TreatAsWithdraw);
    // The framing layer refuses lengths below the header.
    let mut m = msg(2, &[0, 0, 0, 0]);
    m[17] = 3;
    assert!(matches!(
        parse_message(&m, &c),
        Err(MessageError::Header(_))
    ));
}

/// BIRD CVE-2026-49943: an AS_PATH of more than 2048 ASNs. Long paths are
/// legal (extended messages allow ~16k ASNs); they must decode completely.
#[test]
fn bird_cve_2026_49943_very_long_as_path() {
    let mut v = Vec::new();
    let mut n = 0u32;
    for _ in 0..12 {
        v.extend_from_slice(&[2, 250]);
        for _ in 0..250 {
            n += 1;
            v.extend_from_slice(&(64_000 + n).to_be_bytes());
        }
    }
    let b = body(&[], &[origin(), a(0x50, 2, &v), nh()], NLRI);
    let ctx = SessionContext {
        max_message_len: 65535,
        ..SessionContext::default()
    };
    let m = msg(2, &b);
    let Ok(Message::Update(u)) = parse_message(&m, &ctx) else {
        panic!("decodes")
    };
    assert_eq!(u.action(), Action::None);
    let p = u.as_path().unwrap();
    assert_eq!(p.path_len(), 3000);
    assert_eq!(p.segments().flat_map(|s| s.asns()).count(), 3000);
    assert_eq!(p.to_string().split(' ').count(), 3000);
    // The same path does not fit a 4096-octet session.
    assert!(parse_message(&m, &SessionContext::default()).is_err());
}

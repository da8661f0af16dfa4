//! Helpers shared by the integration tests over real data: walk every part
//! of a decoded message, and re-encode what was decoded.
#![allow(dead_code)]

use bgp_wire::attr::Attribute;
use bgp_wire::update::UpdateBuf;
use bgp_wire::{Action, Message, MessageBuf, MessageError, Messages, SessionContext, Update};

/// What walking one message found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Walk {
    /// Prefixes announced (NLRI field and MP_REACH_NLRI).
    pub(crate) announced: usize,
    /// Prefixes withdrawn.
    pub(crate) withdrawn: usize,
    /// Attributes shown by the view.
    pub(crate) attributes: usize,
    /// The RFC 7606 action (UPDATE only).
    pub(crate) action: Action,
    /// Whether the owned copy was re-encoded and decoded back to itself.
    pub(crate) reencoded: bool,
}

/// Touches every accessor of an UPDATE view, so that a panic anywhere in
/// them shows up.
pub(crate) fn walk_update(u: &Update<'_>, ctx: &SessionContext) -> Walk {
    let mut w = Walk {
        action: u.action(),
        ..Walk::default()
    };
    for a in u.attributes() {
        w.attributes += 1;
        let _ = a.to_owned_attr();
        match a {
            Attribute::AsPath(p) | Attribute::As4Path(p) => {
                let _ = p.to_string();
                let _ = (p.path_len(), p.first_asn(), p.origin_asn(), p.as4_count());
                for s in p.segments() {
                    let _ = s.asns().count();
                }
                let _ = p.to_buf().to_string();
            }
            Attribute::Communities(c) => {
                for c in c.iter() {
                    let _ = (c.to_string(), c.well_known_name());
                }
            }
            Attribute::LargeCommunities(c) => {
                for c in c.iter() {
                    let _ = c.to_string();
                }
            }
            Attribute::ExtCommunities(c) => {
                for c in c.iter() {
                    let _ = (c.to_string(), c.kind(), c.is_transitive());
                }
            }
            Attribute::Ipv6ExtCommunities(c) => {
                for c in c.iter() {
                    let _ = (c.address(), c.local(), c.type_subtype());
                }
            }
            Attribute::ClusterList(c) => {
                let _ = c.iter().count();
            }
            Attribute::MpReach(m) => {
                let _ = (m.family(), m.next_hop().to_string(), m.nlri_bytes());
                for n in m.prefixes().into_iter().flatten() {
                    let _ = n.to_string();
                }
            }
            Attribute::MpUnreach(m) => {
                let _ = (m.family(), m.is_end_of_rib());
                for n in m.prefixes().into_iter().flatten() {
                    let _ = n.to_string();
                }
            }
            Attribute::Aigp(a) => {
                let _ = (a.tlvs().count(), a.metric());
            }
            _ => {}
        }
    }
    for n in u.all_announced() {
        let _ = n.to_string();
        w.announced += 1;
    }
    for n in u.all_withdrawn() {
        let _ = n.to_string();
        w.withdrawn += 1;
    }
    let _ = (
        u.origin(),
        u.as_path().map(|p| p.to_string()),
        u.next_hop(),
        u.med(),
        u.local_pref(),
        u.atomic_aggregate(),
        u.aggregator(),
        u.communities().map(|c| c.len()),
        u.originator_id(),
        u.cluster_list().map(|c| c.len()),
        u.ext_communities().map(|c| c.len()),
        u.ipv6_ext_communities().map(|c| c.len()),
        u.large_communities().map(|c| c.len()),
        u.as4_path().map(|p| p.to_string()),
        u.as4_aggregator(),
        u.aigp().map(|a| a.metric()),
        u.otc(),
        u.mp_reach(),
        u.mp_unreach(),
        u.end_of_rib(),
        u.withdrawn_bytes(),
        u.nlri_bytes(),
        u.attribute_bytes(),
    );
    let _ = u.effective_as_path().map(|p| p.to_string());
    let _ = u.effective_aggregator();
    if let Some(e) = u.error() {
        let _ = (
            e.to_string(),
            e.notification(),
            e.kind.attr(),
            e.kind.family(),
        );
        assert_ne!(e.action(), Action::SessionReset, "a view never resets");
    }
    w.reencoded = reencode(&MessageBuf::Update(u.to_message()), ctx);
    same_as_update_buf(u, ctx);
    w
}

/// The UPDATE body of `u`'s sections, validated again both as an [`Update`]
/// and as an [`UpdateBuf`]: the buffer's view (rebuilt from the headers for a
/// clean UPDATE, copied for one with errors) is the same value, field for
/// field, and so are its action and route accessors.
pub(crate) fn same_as_update_buf(u: &Update<'_>, ctx: &SessionContext) {
    let mut body = Vec::new();
    for part in [u.withdrawn_bytes(), u.attribute_bytes()] {
        let Ok(len) = u16::try_from(part.len()) else {
            return;
        };
        body.extend_from_slice(&len.to_be_bytes());
        body.extend_from_slice(part);
    }
    body.extend_from_slice(u.nlri_bytes());
    let Ok(direct) = Update::parse(&body, ctx) else {
        assert!(UpdateBuf::parse(body.clone(), ctx).is_err());
        return;
    };
    let buf = UpdateBuf::parse(body.clone(), ctx).expect("parses as an Update does");
    let view = buf.view();
    assert_eq!(format!("{view:?}"), format!("{direct:?}"), "{body:02x?}");
    assert_eq!(buf.action(), direct.action());
    assert!(buf.withdrawn().eq(direct.withdrawn()));
    assert!(buf.announced().eq(direct.announced()));
    assert_eq!(buf.mp_reach(), direct.mp_reach());
    assert_eq!(buf.mp_unreach(), direct.mp_unreach());
}

/// Encodes an owned message; if that succeeds, decodes it again and checks
/// that the result is the same value. Returns whether it was encodable.
pub(crate) fn reencode(m: &MessageBuf, ctx: &SessionContext) -> bool {
    let mut out = Vec::new();
    if m.encode(ctx, &mut out).is_err() {
        return false;
    }
    let back = MessageBuf::decode(&out, ctx)
        .unwrap_or_else(|e| panic!("re-decoding {m:?} failed: {e}\n{out:02x?}"));
    assert_eq!(&back, m, "decode(encode(x)) != x for {out:02x?}");
    true
}

/// Walks one decoded message (see [`walk_update`]).
pub(crate) fn walk(m: &Message<'_>, ctx: &SessionContext) -> Walk {
    let _ = m.ty();
    match m {
        Message::Update(u) => walk_update(u, ctx),
        Message::Open(o) => {
            let _ = (
                o.asn(),
                o.four_octet_as(),
                o.capabilities().count(),
                o.check(),
            );
            Walk {
                reencoded: reencode(&m.to_owned_message(), ctx),
                ..Walk::default()
            }
        }
        Message::Notification(n) => {
            let _ = (
                n.to_string(),
                n.shutdown_communication(),
                n.has_malformed_shutdown_communication(),
                n.hard_reset_inner(),
            );
            Walk {
                reencoded: reencode(&m.to_owned_message(), ctx),
                ..Walk::default()
            }
        }
        Message::Keepalive | Message::RouteRefresh(_) => Walk {
            reencoded: reencode(&m.to_owned_message(), ctx),
            ..Walk::default()
        },
    }
}

/// Counts of what a byte stream decoded to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct StreamSummary {
    /// Messages decoded (UPDATEs with any action included).
    pub(crate) ok: usize,
    /// UPDATEs whose action is not `none`.
    pub(crate) with_action: usize,
    /// Messages that failed to decode (session reset).
    pub(crate) errors: usize,
    /// Whether the stream ended at a header error.
    pub(crate) header_error: bool,
    /// Octets left over (a partial message, or from a header error on).
    pub(crate) remainder: usize,
}

/// Walks every message of a byte stream under `ctx`.
pub(crate) fn walk_stream(buf: &[u8], ctx: &SessionContext) -> StreamSummary {
    let mut s = StreamSummary::default();
    let mut it = Messages::new(buf, *ctx);
    for (_, r) in it.by_ref() {
        match r {
            Ok(m) => {
                s.ok += 1;
                if walk(&m, ctx).action != Action::None {
                    s.with_action += 1;
                }
            }
            Err(e) => {
                let _ = (e.to_string(), e.notification(), e.action());
                s.errors += 1;
                s.header_error |= matches!(e, MessageError::Header(_));
            }
        }
    }
    s.remainder = it.remainder().len();
    s
}

/// The position of the next marker after `from`, if any.
pub(crate) fn next_marker(buf: &[u8], from: usize) -> Option<usize> {
    let start = from + 1;
    buf.get(start..)?
        .windows(16)
        .position(|w| w == [0xff; 16])
        .map(|p| p + start)
}

/// Every message of `buf` under `ctx`, as (offset, result); after a header
/// error, decoding starts again at the next marker (as tcpdump does when it
/// looks for the next message). A trailing partial message is left out.
pub(crate) fn decode_resync<'a>(
    buf: &'a [u8],
    ctx: &SessionContext,
) -> Vec<(usize, Result<Message<'a>, MessageError<'a>>)> {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let mut it = Messages::new(&buf[pos..], *ctx);
        let mut header_error = false;
        for (off, r) in it.by_ref() {
            header_error |= matches!(r, Err(MessageError::Header(_)));
            out.push((pos + off, r));
        }
        if !header_error {
            return out;
        }
        let stop = buf.len() - it.remainder().len();
        match next_marker(buf, stop) {
            Some(p) => pos = p,
            None => return out,
        }
    }
}

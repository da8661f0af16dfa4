//! [`RouteAttrs`]: the path attributes of a route as one owned, typed,
//! hashable value — what a RIB interns, what a policy reads and rewrites, and
//! what [`UpdateBuilder`](crate::UpdateBuilder) sends.
//!
//! An UPDATE view ([`Update`]) is the right thing for walking received bytes;
//! once a route is kept, its attributes live on in this form. AS4_PATH and
//! AS4_AGGREGATOR are merged in on the way in ([RFC 6793 §4.2.3]) and written
//! back by the builder only where a session needs them, so a `RouteAttrs` is
//! the same whatever the sessions it came from or goes to.
//!
//! [RFC 6793 §4.2.3]: https://www.rfc-editor.org/rfc/rfc6793#section-4.2.3

use std::fmt;
use std::net::Ipv4Addr;

use crate::attr::{
    Aggregator, AigpTlv, AsPathBuf, Attribute, Community, ExtCommunity, Ipv6ExtCommunity,
    LargeCommunity, NextHop, Origin, PathAttribute, RawAttribute,
};
use crate::types::Family;
use crate::update::Update;

/// The path attributes of a route ([RFC 4271 §5]), owned and typed.
///
/// The attributes nearly every route carries and every decision reads are
/// fields; the others live in [`extra`](Self::extra), boxed, so that a set
/// without them (most of a full table) is 120 octets rather than 280: a RIB
/// keeps one per distinct set. Unrecognised optional transitive attributes
/// are kept in [`ExtraAttrs::other`] so they can be passed on ([RFC 4271 §5]:
/// with the Partial bit set by whoever forwards them). MP_REACH_NLRI and
/// MP_UNREACH_NLRI are not attributes of a route: the next hop they carry is
/// [`next_hop`](Self::next_hop).
///
/// Equality and hashing cover every field, communities in their received
/// order, so identical sets intern to one; an empty [`Extra`] equals an
/// absent one.
///
/// [RFC 4271 §5]: https://www.rfc-editor.org/rfc/rfc4271#section-5
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RouteAttrs {
    /// ORIGIN.
    pub origin: Origin,
    /// AS_PATH, with AS4_PATH merged in.
    pub as_path: AsPathBuf,
    /// The next hop: NEXT_HOP for IPv4 unicast, the MP_REACH_NLRI next hop
    /// otherwise. `None` for a locally originated route not yet given one.
    pub next_hop: Option<NextHop>,
    /// MULTI_EXIT_DISC.
    pub med: Option<u32>,
    /// LOCAL_PREF.
    pub local_pref: Option<u32>,
    /// COMMUNITIES ([RFC 1997]), in received order.
    ///
    /// [RFC 1997]: https://www.rfc-editor.org/rfc/rfc1997
    pub communities: Vec<Community>,
    /// Every other attribute: read through it as an [`ExtraAttrs`] (empty
    /// when none is present); writing through it allocates the box.
    pub extra: Extra,
}

/// The less common path attributes of a route (see [`RouteAttrs`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExtraAttrs {
    /// ATOMIC_AGGREGATE.
    pub atomic_aggregate: bool,
    /// AGGREGATOR, with AS4_AGGREGATOR applied.
    pub aggregator: Option<Aggregator>,
    /// EXTENDED COMMUNITIES ([RFC 4360]).
    ///
    /// [RFC 4360]: https://www.rfc-editor.org/rfc/rfc4360
    pub ext_communities: Vec<ExtCommunity>,
    /// IPv6 Address Specific Extended Communities ([RFC 5701]).
    ///
    /// [RFC 5701]: https://www.rfc-editor.org/rfc/rfc5701
    pub ipv6_ext_communities: Vec<Ipv6ExtCommunity>,
    /// LARGE_COMMUNITY ([RFC 8092]).
    ///
    /// [RFC 8092]: https://www.rfc-editor.org/rfc/rfc8092
    pub large_communities: Vec<LargeCommunity>,
    /// ORIGINATOR_ID ([RFC 4456 §8]).
    ///
    /// [RFC 4456 §8]: https://www.rfc-editor.org/rfc/rfc4456#section-8
    pub originator_id: Option<Ipv4Addr>,
    /// CLUSTER_LIST ([RFC 4456 §8]), nearest cluster first.
    ///
    /// [RFC 4456 §8]: https://www.rfc-editor.org/rfc/rfc4456#section-8
    pub cluster_list: Vec<Ipv4Addr>,
    /// AIGP TLVs ([RFC 7311]).
    ///
    /// [RFC 7311]: https://www.rfc-editor.org/rfc/rfc7311
    pub aigp: Option<Vec<AigpTlv>>,
    /// Only to Customer ([RFC 9234 §5]).
    ///
    /// [RFC 9234 §5]: https://www.rfc-editor.org/rfc/rfc9234#section-5
    pub otc: Option<u32>,
    /// Any other attribute, in type order.
    pub other: Vec<RawAttribute>,
}

impl ExtraAttrs {
    /// No attribute: what an absent [`Extra`] reads as.
    pub const EMPTY: Self = Self {
        atomic_aggregate: false,
        aggregator: None,
        ext_communities: Vec::new(),
        ipv6_ext_communities: Vec::new(),
        large_communities: Vec::new(),
        originator_id: None,
        cluster_list: Vec::new(),
        aigp: None,
        otc: None,
        other: Vec::new(),
    };

    /// Whether no attribute is present.
    pub fn is_empty(&self) -> bool {
        *self == Self::EMPTY
    }
}

static EMPTY_EXTRA: ExtraAttrs = ExtraAttrs::EMPTY;

/// [`ExtraAttrs`] in a box that is absent while they are empty.
///
/// It dereferences to the attributes (to [`ExtraAttrs::EMPTY`] when absent),
/// so `attrs.extra.cluster_list` reads as a field does; a mutable access
/// (`attrs.extra.otc = Some(65001)`) allocates the box if needed, and
/// [`compact`](Self::compact) drops a box left empty.
#[derive(Clone, Default)]
pub struct Extra(Option<Box<ExtraAttrs>>);

impl Extra {
    /// Drops the box when it holds no attribute, so the set takes no more
    /// room than one that never had any.
    pub fn compact(&mut self) {
        if self.0.as_deref().is_some_and(ExtraAttrs::is_empty) {
            self.0 = None;
        }
    }

    /// Whether a box is allocated (it may still be empty).
    pub fn is_allocated(&self) -> bool {
        self.0.is_some()
    }
}

impl From<ExtraAttrs> for Extra {
    fn from(e: ExtraAttrs) -> Self {
        if e.is_empty() {
            Self(None)
        } else {
            Self(Some(Box::new(e)))
        }
    }
}

impl std::ops::Deref for Extra {
    type Target = ExtraAttrs;
    fn deref(&self) -> &ExtraAttrs {
        self.0.as_deref().unwrap_or(&EMPTY_EXTRA)
    }
}

impl std::ops::DerefMut for Extra {
    fn deref_mut(&mut self) -> &mut ExtraAttrs {
        self.0.get_or_insert_with(Box::default)
    }
}

impl PartialEq for Extra {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Extra {}

impl std::hash::Hash for Extra {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Absent and empty hash alike (they are equal); an empty set costs
        // one write instead of its ten fields.
        match self.0.as_deref() {
            Some(e) if !e.is_empty() => {
                state.write_u8(1);
                e.hash(state);
            }
            _ => state.write_u8(0),
        }
    }
}

impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_deref() {
            Some(e) if !e.is_empty() => e.fmt(f),
            _ => f.write_str("ExtraAttrs::EMPTY"),
        }
    }
}

impl Default for RouteAttrs {
    /// ORIGIN IGP, an empty AS path, nothing else: a locally originated route.
    fn default() -> Self {
        Self {
            origin: Origin::Igp,
            as_path: AsPathBuf::default(),
            next_hop: None,
            med: None,
            local_pref: None,
            communities: Vec::new(),
            extra: Extra::default(),
        }
    }
}

impl RouteAttrs {
    /// The attributes an accepted UPDATE gives the routes of `family` it
    /// announces: the next hop is NEXT_HOP for IPv4 unicast, MP_REACH_NLRI's
    /// next hop for a family it carries, and `None` otherwise. AS4_PATH and
    /// AS4_AGGREGATOR are merged in ([RFC 6793 §4.2.3]); attributes the view
    /// hid (RFC 7606 attribute discard) stay out.
    ///
    /// [RFC 6793 §4.2.3]: https://www.rfc-editor.org/rfc/rfc6793#section-4.2.3
    pub fn from_update(update: &Update<'_>, family: Family) -> Self {
        let mut a = Self::default();
        let mut v4_next_hop = None;
        for attr in update.attributes() {
            match attr {
                Attribute::Origin(o) => a.origin = o,
                Attribute::NextHop(n) => v4_next_hop = Some(n),
                Attribute::Med(m) => a.med = Some(m),
                Attribute::LocalPref(l) => a.local_pref = Some(l),
                Attribute::AtomicAggregate => a.extra.atomic_aggregate = true,
                Attribute::Communities(c) => a.communities = c.iter().collect(),
                Attribute::OriginatorId(o) => a.extra.originator_id = Some(o),
                Attribute::ClusterList(c) => a.extra.cluster_list = c.iter().collect(),
                Attribute::ExtCommunities(c) => a.extra.ext_communities = c.iter().collect(),
                Attribute::Ipv6ExtCommunities(c) => {
                    a.extra.ipv6_ext_communities = c.iter().collect()
                }
                Attribute::LargeCommunities(c) => a.extra.large_communities = c.iter().collect(),
                Attribute::Otc(o) => a.extra.otc = Some(o),
                Attribute::Aigp(_) | Attribute::Other(_) => {
                    if let PathAttribute::Aigp(t) = attr.to_owned_attr() {
                        a.extra.aigp = Some(t);
                    } else if let PathAttribute::Other(r) = attr.to_owned_attr() {
                        a.extra.other.push(r);
                    }
                }
                // Merged below, or not route attributes.
                Attribute::AsPath(_)
                | Attribute::As4Path(_)
                | Attribute::Aggregator(_)
                | Attribute::As4Aggregator(_)
                | Attribute::MpReach(_)
                | Attribute::MpUnreach(_) => {}
            }
        }
        a.as_path = update.effective_as_path().unwrap_or_default();
        if let Some(g) = update.effective_aggregator() {
            a.extra.aggregator = Some(g);
        }
        a.extra.compact();
        a.next_hop = match update.mp_reach() {
            Some(mp) if mp.family() == family => Some(mp.next_hop().to_owned_hop()),
            _ if family == Family::IPV4_UNICAST => v4_next_hop.map(NextHop::V4),
            _ => None,
        };
        a
    }

    /// The attributes of an owned list (as in [`UpdateMessage`](crate::UpdateMessage)).
    /// The next hop comes from NEXT_HOP, or MP_REACH_NLRI when present;
    /// AS4_PATH and AS4_AGGREGATOR are merged as [`from_update`](Self::from_update)
    /// merges them.
    pub fn from_path_attributes(attrs: &[PathAttribute]) -> Self {
        let mut a = Self::default();
        let (mut as4_path, mut as4_aggregator) = (None, None);
        for attr in attrs {
            match attr {
                PathAttribute::Origin(o) => a.origin = *o,
                PathAttribute::AsPath(p) => a.as_path = p.clone(),
                PathAttribute::NextHop(n) => {
                    if a.next_hop.is_none() {
                        a.next_hop = Some(NextHop::V4(*n));
                    }
                }
                PathAttribute::Med(m) => a.med = Some(*m),
                PathAttribute::LocalPref(l) => a.local_pref = Some(*l),
                PathAttribute::AtomicAggregate => a.extra.atomic_aggregate = true,
                PathAttribute::Aggregator(g) => a.extra.aggregator = Some(*g),
                PathAttribute::Communities(c) => a.communities.clone_from(c),
                PathAttribute::OriginatorId(o) => a.extra.originator_id = Some(*o),
                PathAttribute::ClusterList(c) => a.extra.cluster_list.clone_from(c),
                PathAttribute::MpReach(m) => a.next_hop = Some(m.next_hop.clone()),
                PathAttribute::MpUnreach(_) => {}
                PathAttribute::ExtCommunities(c) => a.extra.ext_communities.clone_from(c),
                PathAttribute::As4Path(p) => as4_path = Some(p),
                PathAttribute::As4Aggregator(g) => as4_aggregator = Some(*g),
                PathAttribute::Ipv6ExtCommunities(c) => a.extra.ipv6_ext_communities.clone_from(c),
                PathAttribute::Aigp(t) => a.extra.aigp = Some(t.clone()),
                PathAttribute::LargeCommunities(c) => a.extra.large_communities.clone_from(c),
                PathAttribute::Otc(o) => a.extra.otc = Some(*o),
                PathAttribute::Other(r) => a.extra.other.push(r.clone()),
            }
        }
        let trans_aggregator = a.extra.aggregator.is_none_or(|g| g.asn == crate::AS_TRANS);
        if let Some(p) = as4_path.filter(|_| trans_aggregator) {
            a.as_path = a.as_path.merge_as4(p);
        }
        if let (Some(g), Some(g4)) = (a.extra.aggregator, as4_aggregator) {
            if g.asn == crate::AS_TRANS {
                a.extra.aggregator = Some(g4);
            }
        }
        if a.extra.other.len() > 1 {
            a.extra.other.sort_by_key(|r| r.ty);
        }
        a.extra.compact();
        a
    }

    /// The attributes as a list for [`UpdateBuilder::announce`](crate::UpdateBuilder::announce),
    /// in type order, without NEXT_HOP (the builder writes the next hop it is
    /// given). The AS path is always present, empty or not (RFC 4271 §5.1.2).
    pub fn to_path_attributes(&self) -> Vec<PathAttribute> {
        let mut out = Vec::with_capacity(8 + self.extra.other.len());
        out.push(PathAttribute::Origin(self.origin));
        out.push(PathAttribute::AsPath(self.as_path.clone()));
        if let Some(m) = self.med {
            out.push(PathAttribute::Med(m));
        }
        if let Some(l) = self.local_pref {
            out.push(PathAttribute::LocalPref(l));
        }
        if self.extra.atomic_aggregate {
            out.push(PathAttribute::AtomicAggregate);
        }
        if let Some(g) = self.extra.aggregator {
            out.push(PathAttribute::Aggregator(g));
        }
        if !self.communities.is_empty() {
            out.push(PathAttribute::Communities(self.communities.clone()));
        }
        if let Some(o) = self.extra.originator_id {
            out.push(PathAttribute::OriginatorId(o));
        }
        if !self.extra.cluster_list.is_empty() {
            out.push(PathAttribute::ClusterList(self.extra.cluster_list.clone()));
        }
        if !self.extra.ext_communities.is_empty() {
            out.push(PathAttribute::ExtCommunities(
                self.extra.ext_communities.clone(),
            ));
        }
        if !self.extra.ipv6_ext_communities.is_empty() {
            out.push(PathAttribute::Ipv6ExtCommunities(
                self.extra.ipv6_ext_communities.clone(),
            ));
        }
        if let Some(t) = &self.extra.aigp {
            out.push(PathAttribute::Aigp(t.clone()));
        }
        if !self.extra.large_communities.is_empty() {
            out.push(PathAttribute::LargeCommunities(
                self.extra.large_communities.clone(),
            ));
        }
        if let Some(o) = self.extra.otc {
            out.push(PathAttribute::Otc(o));
        }
        out.extend(self.extra.other.iter().cloned().map(PathAttribute::Other));
        out.sort_by_key(PathAttribute::ty);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::AttrFlags;
    use crate::{AttrType, Message, Messages, Nlri, SessionContext, UpdateBuilder};
    use std::net::Ipv6Addr;

    fn sample() -> RouteAttrs {
        RouteAttrs {
            origin: Origin::Egp,
            as_path: AsPathBuf::sequence([65001, 4_200_000_000, 3]),
            next_hop: Some(NextHop::V4(Ipv4Addr::new(192, 0, 2, 1))),
            med: Some(10),
            local_pref: Some(200),
            communities: vec![Community(0xfde8_0001), Community::GRACEFUL_SHUTDOWN],
            extra: ExtraAttrs {
                atomic_aggregate: true,
                aggregator: Some(Aggregator {
                    asn: 4_200_000_000,
                    addr: Ipv4Addr::new(10, 0, 0, 1),
                }),
                ext_communities: vec![ExtCommunity([0, 2, 0xfd, 0xe8, 0, 0, 0, 7])],
                ipv6_ext_communities: Vec::new(),
                large_communities: vec![LargeCommunity {
                    global: 65001,
                    local1: 1,
                    local2: 2,
                }],
                originator_id: Some(Ipv4Addr::new(10, 0, 0, 9)),
                cluster_list: vec![Ipv4Addr::new(10, 0, 0, 8)],
                aigp: None,
                otc: Some(65001),
                other: vec![RawAttribute {
                    flags: AttrFlags(AttrFlags::OPTIONAL | AttrFlags::TRANSITIVE),
                    ty: AttrType(99),
                    value: vec![1, 2, 3],
                }],
            }
            .into(),
        }
    }

    #[test]
    fn roundtrip_through_the_wire() {
        for ctx in [SessionContext::default(), SessionContext::two_octet()] {
            for (family, nh, prefix) in [
                (
                    Family::IPV4_UNICAST,
                    NextHop::V4(Ipv4Addr::new(192, 0, 2, 1)),
                    "203.0.113.7/32",
                ),
                (
                    Family::IPV6_UNICAST,
                    NextHop::V6 {
                        global: "2001:db8::1".parse::<Ipv6Addr>().unwrap(),
                        link_local: None,
                    },
                    "2001:db8:1::7/128",
                ),
            ] {
                let mut a = sample();
                a.next_hop = Some(nh.clone());
                let mut wire = Vec::new();
                UpdateBuilder::new(ctx)
                    .announce(
                        family,
                        &a.to_path_attributes(),
                        &nh,
                        &[Nlri::new(prefix.parse().unwrap())],
                        &mut wire,
                    )
                    .unwrap();
                let (_, msg) = Messages::new(&wire, ctx).next().unwrap();
                let Ok(Message::Update(u)) = msg else {
                    panic!("not an update: {msg:?}")
                };
                assert_eq!(RouteAttrs::from_update(&u, family), a, "{ctx:?} {family}");
                assert_eq!(
                    RouteAttrs::from_path_attributes(&u.to_message().attributes),
                    a
                );
            }
        }
    }

    #[test]
    fn next_hop_of_another_family_is_none() {
        let a = RouteAttrs::default();
        let mut wire = Vec::new();
        UpdateBuilder::new(SessionContext::default())
            .announce(
                Family::IPV4_UNICAST,
                &a.to_path_attributes(),
                &NextHop::V4(Ipv4Addr::new(192, 0, 2, 1)),
                &[Nlri::new("10.0.0.0/8".parse().unwrap())],
                &mut wire,
            )
            .unwrap();
        let (_, msg) = Messages::new(&wire, SessionContext::default())
            .next()
            .unwrap();
        let Ok(Message::Update(u)) = msg else {
            panic!()
        };
        assert_eq!(
            RouteAttrs::from_update(&u, Family::IPV6_UNICAST).next_hop,
            None
        );
        assert_eq!(
            RouteAttrs::from_update(&u, Family::IPV4_UNICAST).next_hop,
            Some(NextHop::V4(Ipv4Addr::new(192, 0, 2, 1)))
        );
    }

    fn hash_of(a: &RouteAttrs) -> u64 {
        use std::hash::{BuildHasher, RandomState};
        // One fixed state for both calls.
        thread_local!(static STATE: RandomState = RandomState::new());
        STATE.with(|s| s.hash_one(a))
    }

    #[test]
    fn empty_extra_equals_absent_extra() {
        let plain = RouteAttrs::default();
        let mut touched = RouteAttrs::default();
        // A write through `extra` allocates the box; undoing it leaves it empty.
        touched.extra.otc = Some(65001);
        touched.extra.otc = None;
        assert!(touched.extra.is_allocated());
        assert_eq!(plain, touched);
        assert_eq!(hash_of(&plain), hash_of(&touched));
        touched.extra.compact();
        assert!(!touched.extra.is_allocated());
        // Reading never allocates.
        assert!(plain.extra.cluster_list.is_empty() && plain.extra.otc.is_none());
        assert!(!plain.extra.is_allocated());
        // A non-empty box is kept by `compact` and differs from none.
        let mut rr = RouteAttrs::default();
        rr.extra.cluster_list.push(Ipv4Addr::new(10, 0, 0, 1));
        rr.extra.compact();
        assert!(rr.extra.is_allocated());
        assert_ne!(rr, plain);
        assert!(!Extra::from(ExtraAttrs::default()).is_allocated());
    }

    #[test]
    fn sets_without_extra_attributes_are_small_and_unboxed() {
        // The size a RIB pays per distinct set (see the type's documentation).
        assert!(
            size_of::<RouteAttrs>() <= 120,
            "{}",
            size_of::<RouteAttrs>()
        );
        let ctx = SessionContext::default();
        let nh = NextHop::V4(Ipv4Addr::new(192, 0, 2, 1));
        let plain = RouteAttrs {
            as_path: AsPathBuf::sequence([65001, 65002]),
            communities: vec![Community(1)],
            med: Some(1),
            ..RouteAttrs::default()
        };
        let mut wire = Vec::new();
        UpdateBuilder::new(ctx)
            .announce(
                Family::IPV4_UNICAST,
                &plain.to_path_attributes(),
                &nh,
                &[Nlri::new("10.0.0.0/8".parse().unwrap())],
                &mut wire,
            )
            .unwrap();
        let (_, msg) = Messages::new(&wire, ctx).next().unwrap();
        let Ok(Message::Update(view)) = msg else {
            panic!("not an UPDATE");
        };
        let a = RouteAttrs::from_update(&view, Family::IPV4_UNICAST);
        assert!(!a.extra.is_allocated());
        assert_eq!(a.as_path.segments.capacity(), a.as_path.segments.len());
        // The sample has every extra attribute: it survives the wire both ways.
        let full = RouteAttrs::from_path_attributes(&sample().to_path_attributes());
        assert!(full.extra.is_allocated());
    }
}

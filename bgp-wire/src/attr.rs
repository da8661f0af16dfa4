//! Path attributes ([RFC 4271 §4.3, §5](https://www.rfc-editor.org/rfc/rfc4271#section-5)
//! and the RFCs cited per type).
//!
//! Two levels, as everywhere in this crate:
//! * views ([`Attribute`], [`AsPath`], [`Communities`], [`MpReach`], …) over a
//!   validated UPDATE, whose accessors and iterators cannot fail;
//! * the owned [`PathAttribute`], which [`PathAttribute::emit`] writes.
//!
//! Validation of each type's value, and the RFC 7606 action when it is
//! malformed, lives next to the type it checks.

use core::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::codepoint::{Afi, AttrType, Safi};
use crate::context::SessionContext;
use crate::error::UpdateErrorKind;
use crate::nlri::{self, Prefixes};
use crate::types::{AS_TRANS, Family, Nlri, put_prefix};

//----------- Flags -----------------------------------------------------------

/// Attribute flags octet ([RFC 4271 §4.3](https://www.rfc-editor.org/rfc/rfc4271#section-4.3)).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct AttrFlags(pub u8);

impl AttrFlags {
    /// Optional (bit 0).
    pub const OPTIONAL: u8 = 0x80;
    /// Transitive (bit 1).
    pub const TRANSITIVE: u8 = 0x40;
    /// Partial (bit 2).
    pub const PARTIAL: u8 = 0x20;
    /// Extended Length (bit 3): the length field is two octets.
    pub const EXTENDED_LENGTH: u8 = 0x10;
    /// Well-known: transitive, not optional.
    pub const WELL_KNOWN: Self = Self(Self::TRANSITIVE);
    /// Optional non-transitive.
    pub const OPTIONAL_NON_TRANSITIVE: Self = Self(Self::OPTIONAL);
    /// Optional transitive.
    pub const OPTIONAL_TRANSITIVE: Self = Self(Self::OPTIONAL | Self::TRANSITIVE);

    /// The Optional bit.
    pub const fn optional(self) -> bool {
        self.0 & Self::OPTIONAL != 0
    }
    /// The Transitive bit.
    pub const fn transitive(self) -> bool {
        self.0 & Self::TRANSITIVE != 0
    }
    /// The Partial bit.
    pub const fn partial(self) -> bool {
        self.0 & Self::PARTIAL != 0
    }
    /// The Extended Length bit.
    pub const fn extended_length(self) -> bool {
        self.0 & Self::EXTENDED_LENGTH != 0
    }
}

impl fmt::Debug for AttrFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#04x}", self.0)
    }
}

/// The Optional and Transitive bits a known attribute type must carry
/// (RFC 7606 §3 (c)); `None` for types whose flags are not checked.
pub(crate) const fn expected_flags(ty: AttrType) -> Option<u8> {
    const WK: u8 = AttrFlags::TRANSITIVE;
    const ON: u8 = AttrFlags::OPTIONAL;
    const OT: u8 = AttrFlags::OPTIONAL | AttrFlags::TRANSITIVE;
    Some(match ty.0 {
        1..=3 | 5 | 6 => WK,
        4 | 9 | 10 | 14 | 15 | 26 => ON,
        7 | 8 | 16 | 17 | 18 | 25 | 32 | 35 => OT,
        _ => return None,
    })
}

//----------- Raw attributes --------------------------------------------------

/// One attribute as it is on the wire: flags, type and value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawAttr<'a> {
    /// The flags octet as received.
    pub flags: AttrFlags,
    /// The type code.
    pub ty: AttrType,
    /// The value (after the length field).
    pub value: &'a [u8],
    /// The whole attribute: flags, type, length and value.
    pub bytes: &'a [u8],
}

/// Splits the attribute at the start of `data`: `Ok((attr, rest))`, or `Err`
/// if the header or value runs past `data` (RFC 7606 §4).
#[inline]
pub(crate) fn split_attr(data: &[u8]) -> Result<(RawAttr<'_>, &[u8]), ()> {
    let [flags, ty, l0, rest @ ..] = data else {
        return Err(());
    };
    let (len, hlen) = if flags & AttrFlags::EXTENDED_LENGTH != 0 {
        let [l1, ..] = rest else { return Err(()) };
        (usize::from(u16::from_be_bytes([*l0, *l1])), 4)
    } else {
        (usize::from(*l0), 3)
    };
    let (bytes, rest) = data.split_at_checked(hlen + len).ok_or(())?;
    Ok((
        RawAttr {
            flags: AttrFlags(*flags),
            ty: AttrType(*ty),
            value: &bytes[hlen..],
            bytes,
        },
        rest,
    ))
}

//----------- ORIGIN ----------------------------------------------------------

/// ORIGIN ([RFC 4271 §5.1.1](https://www.rfc-editor.org/rfc/rfc4271#section-5.1.1)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Origin {
    /// Learned from an IGP (0).
    Igp,
    /// Learned from EGP (1).
    Egp,
    /// Learned some other way (2).
    Incomplete,
}

impl Origin {
    /// From the wire value; `None` for undefined values.
    pub const fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::Igp),
            1 => Some(Self::Egp),
            2 => Some(Self::Incomplete),
            _ => None,
        }
    }
    /// The wire value.
    pub const fn to_u8(self) -> u8 {
        self as u8
    }
    /// `IGP`, `EGP` or `INCOMPLETE`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Igp => "IGP",
            Self::Egp => "EGP",
            Self::Incomplete => "INCOMPLETE",
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

//----------- AS_PATH ---------------------------------------------------------

/// AS_PATH segment type ([RFC 4271 §4.3], [RFC 5065 §3]).
///
/// [RFC 4271 §4.3]: https://www.rfc-editor.org/rfc/rfc4271#section-4.3
/// [RFC 5065 §3]: https://www.rfc-editor.org/rfc/rfc5065#section-3
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum SegmentType {
    /// AS_SET (1).
    Set,
    /// AS_SEQUENCE (2).
    Sequence,
    /// AS_CONFED_SEQUENCE (3).
    ConfedSequence,
    /// AS_CONFED_SET (4).
    ConfedSet,
}

impl SegmentType {
    /// From the wire value.
    pub const fn from_u8(v: u8) -> Option<Self> {
        match v {
            1 => Some(Self::Set),
            2 => Some(Self::Sequence),
            3 => Some(Self::ConfedSequence),
            4 => Some(Self::ConfedSet),
            _ => None,
        }
    }
    /// The wire value.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::Set => 1,
            Self::Sequence => 2,
            Self::ConfedSequence => 3,
            Self::ConfedSet => 4,
        }
    }
    /// Whether this is a confederation segment.
    pub const fn is_confed(self) -> bool {
        matches!(self, Self::ConfedSequence | Self::ConfedSet)
    }
    /// How many hops the segment counts for in the path length of the
    /// decision process (RFC 4271 §9.1.2.2 (a), RFC 5065 §5.3): a sequence
    /// counts each AS, a set counts one, confederation segments none.
    pub const fn path_len(self, asns: usize) -> usize {
        match self {
            Self::Sequence => asns,
            Self::Set => 1,
            Self::ConfedSequence | Self::ConfedSet => 0,
        }
    }
}

/// Checks an AS_PATH value (RFC 7606 §7.2): known segment types, no
/// zero-length segment, no overrun, no one-octet tail. Returns whether a
/// confederation segment was seen.
#[inline]
pub(crate) fn check_as_path(mut data: &[u8], asn_len: usize) -> Result<bool, ()> {
    let mut confed = false;
    while !data.is_empty() {
        let [ty, n, rest @ ..] = data else {
            return Err(());
        };
        let ty = SegmentType::from_u8(*ty).ok_or(())?;
        confed |= ty.is_confed();
        if *n == 0 {
            return Err(());
        }
        let len = usize::from(*n) * asn_len;
        data = rest.get(len..).ok_or(())?;
    }
    Ok(confed)
}

/// A validated AS_PATH or AS4_PATH value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AsPath<'a> {
    data: &'a [u8],
    asn_len: u8,
}

impl<'a> AsPath<'a> {
    /// A view over a value that [`check_as_path`] accepted.
    pub(crate) const fn new(data: &'a [u8], four_octet: bool) -> Self {
        Self {
            data,
            asn_len: if four_octet { 4 } else { 2 },
        }
    }

    /// The segments in order.
    pub fn segments(&self) -> Segments<'a> {
        Segments {
            data: self.data,
            asn_len: self.asn_len,
        }
    }

    /// Whether the ASNs are four octets wide.
    pub const fn four_octet(&self) -> bool {
        self.asn_len == 4
    }

    /// The raw value.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// The path length for the decision process (see [`SegmentType::path_len`]).
    pub fn path_len(&self) -> usize {
        self.segments().map(|s| s.ty.path_len(s.len())).sum()
    }

    /// The number of ASNs RFC 6793 §4.2.3 counts when merging AS4_PATH:
    /// sequences count each AS, sets one, confederation segments none.
    pub fn as4_count(&self) -> usize {
        self.path_len()
    }

    /// The first AS of the first AS_SEQUENCE, i.e. the neighbour AS.
    pub fn first_asn(&self) -> Option<u32> {
        let s = self.segments().next()?;
        if s.ty == SegmentType::Sequence {
            s.asns().next()
        } else {
            None
        }
    }

    /// The originating AS: the last AS of the last segment when it is a sequence.
    pub fn origin_asn(&self) -> Option<u32> {
        let s = self.segments().last()?;
        if s.ty == SegmentType::Sequence {
            s.asns().last()
        } else {
            None
        }
    }

    /// An owned copy, its vectors allocated to their exact lengths (a RIB
    /// keeps one per distinct attribute set: collecting the segments
    /// directly reserved room for four).
    pub fn to_buf(&self) -> AsPathBuf {
        let mut segments = Vec::with_capacity(self.segments().count());
        segments.extend(self.segments().map(|s| AsSegment {
            ty: s.ty,
            asns: s.asns().collect(),
        }));
        AsPathBuf { segments }
    }
}

impl fmt::Debug for AsPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AsPath({self})")
    }
}

/// bgpdump's text form: `65001 65002 {65003,65004}`, confederation sequences
/// in parentheses, confederation sets in brackets.
impl fmt::Display for AsPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_path(f, self.segments().map(|s| (s.ty, s.asns())))
    }
}

fn fmt_path<I, A>(f: &mut fmt::Formatter<'_>, segs: I) -> fmt::Result
where
    I: Iterator<Item = (SegmentType, A)>,
    A: Iterator<Item = u32>,
{
    let mut first_seg = true;
    for (ty, asns) in segs {
        if !first_seg {
            f.write_str(" ")?;
        }
        first_seg = false;
        let (open, sep, close) = match ty {
            SegmentType::Sequence => ("", " ", ""),
            SegmentType::Set => ("{", ",", "}"),
            SegmentType::ConfedSequence => ("(", " ", ")"),
            SegmentType::ConfedSet => ("[", ",", "]"),
        };
        f.write_str(open)?;
        for (i, a) in asns.enumerate() {
            if i > 0 {
                f.write_str(sep)?;
            }
            write!(f, "{a}")?;
        }
        f.write_str(close)?;
    }
    Ok(())
}

/// Iterator over the segments of an [`AsPath`].
#[derive(Clone, Debug)]
pub struct Segments<'a> {
    data: &'a [u8],
    asn_len: u8,
}

impl<'a> Iterator for Segments<'a> {
    type Item = Segment<'a>;

    #[inline]
    fn next(&mut self) -> Option<Segment<'a>> {
        let [ty, n, rest @ ..] = self.data else {
            self.data = &[];
            return None;
        };
        let ty = SegmentType::from_u8(*ty)?;
        let Some((asns, rest)) = rest.split_at_checked(usize::from(*n) * usize::from(self.asn_len))
        else {
            self.data = &[];
            return None;
        };
        self.data = rest;
        Some(Segment {
            ty,
            data: asns,
            asn_len: self.asn_len,
        })
    }
}

/// One AS_PATH segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// The segment type.
    pub ty: SegmentType,
    data: &'a [u8],
    asn_len: u8,
}

impl<'a> Segment<'a> {
    /// The number of ASNs.
    pub const fn len(&self) -> usize {
        self.data.len() / self.asn_len as usize
    }
    /// Whether the segment holds no ASN (never true after validation).
    pub const fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    /// The ASNs in order.
    #[inline]
    pub fn asns(&self) -> impl Iterator<Item = u32> + use<'a> {
        let four = self.asn_len == 4;
        self.data
            .chunks_exact(usize::from(self.asn_len))
            .map(move |c| {
                if four {
                    u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                } else {
                    u32::from(u16::from_be_bytes([c[0], c[1]]))
                }
            })
    }
}

/// An owned AS path segment.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AsSegment {
    /// The segment type.
    pub ty: SegmentType,
    /// The ASNs (1 to 255 of them for a segment that encodes as one).
    pub asns: Vec<u32>,
}

/// An owned AS_PATH.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AsPathBuf {
    /// The segments in order.
    pub segments: Vec<AsSegment>,
}

impl AsPathBuf {
    /// A path of one AS_SEQUENCE.
    pub fn sequence(asns: impl IntoIterator<Item = u32>) -> Self {
        let asns: Vec<u32> = asns.into_iter().collect();
        if asns.is_empty() {
            return Self::default();
        }
        Self {
            segments: vec![AsSegment {
                ty: SegmentType::Sequence,
                asns,
            }],
        }
    }

    /// The path length for the decision process.
    pub fn path_len(&self) -> usize {
        self.segments
            .iter()
            .map(|s| s.ty.path_len(s.asns.len()))
            .sum()
    }

    /// Whether any ASN needs four octets.
    pub fn needs_four_octets(&self) -> bool {
        self.segments
            .iter()
            .flat_map(|s| &s.asns)
            .any(|&a| a > 0xffff)
    }

    /// The value's length on the wire with `asn_len`-octet ASNs (segments
    /// over 255 ASNs are split).
    pub fn value_len(&self, asn_len: usize) -> usize {
        self.segments
            .iter()
            .filter(|s| !s.asns.is_empty())
            .map(|s| s.asns.len().div_ceil(255) * 2 + s.asns.len() * asn_len)
            .sum()
    }

    /// Writes the value; ASNs over 65535 become AS_TRANS when `asn_len` is 2
    /// (RFC 6793 §4.2.2).
    pub fn emit_value(&self, asn_len: usize, out: &mut Vec<u8>) {
        for s in &self.segments {
            for chunk in s.asns.chunks(255) {
                out.push(s.ty.to_u8());
                out.push(chunk.len() as u8);
                for &a in chunk {
                    if asn_len == 4 {
                        out.extend_from_slice(&a.to_be_bytes());
                    } else {
                        let a = u16::try_from(a).unwrap_or(AS_TRANS as u16);
                        out.extend_from_slice(&a.to_be_bytes());
                    }
                }
            }
        }
    }

    /// Merges an AS4_PATH into this (2-octet) AS_PATH per RFC 6793 §4.2.3:
    /// when the AS_PATH has fewer ASNs than the AS4_PATH, the AS4_PATH is
    /// ignored; otherwise the leading ASNs of the AS_PATH are kept and the
    /// AS4_PATH appended.
    pub fn merge_as4(&self, as4: &Self) -> Self {
        let n = self.path_len();
        let n4 = as4.path_len();
        if n < n4 {
            return self.clone();
        }
        let mut keep = n - n4;
        let mut out = Self::default();
        for s in &self.segments {
            if keep == 0 {
                break;
            }
            match s.ty {
                SegmentType::Sequence => {
                    let take = keep.min(s.asns.len());
                    out.segments.push(AsSegment {
                        ty: s.ty,
                        asns: s.asns[..take].to_vec(),
                    });
                    keep -= take;
                }
                SegmentType::Set => {
                    out.segments.push(s.clone());
                    keep -= 1;
                }
                SegmentType::ConfedSequence | SegmentType::ConfedSet => {
                    out.segments.push(s.clone())
                }
            }
        }
        out.segments.extend(as4.segments.iter().cloned());
        out.segments.shrink_to_fit();
        out
    }
}

impl fmt::Display for AsPathBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_path(
            f,
            self.segments.iter().map(|s| (s.ty, s.asns.iter().copied())),
        )
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for AsPathBuf {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(0..=4)?;
        let mut segments = Vec::with_capacity(n);
        for _ in 0..n {
            let ty = u.arbitrary()?;
            let len = u.int_in_range(1..=255)?;
            let mut asns = Vec::with_capacity(len);
            for _ in 0..len {
                asns.push(u.arbitrary()?);
            }
            segments.push(AsSegment { ty, asns });
        }
        Ok(Self { segments })
    }
}

//----------- Communities -----------------------------------------------------

/// A standard community ([RFC 1997](https://www.rfc-editor.org/rfc/rfc1997)).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Community(pub u32);

impl Community {
    /// GRACEFUL_SHUTDOWN ([RFC 8326](https://www.rfc-editor.org/rfc/rfc8326)).
    pub const GRACEFUL_SHUTDOWN: Self = Self(0xffff_0000);
    /// ACCEPT_OWN ([RFC 7611](https://www.rfc-editor.org/rfc/rfc7611)).
    pub const ACCEPT_OWN: Self = Self(0xffff_0001);
    /// LLGR_STALE ([RFC 9494](https://www.rfc-editor.org/rfc/rfc9494)).
    pub const LLGR_STALE: Self = Self(0xffff_0006);
    /// NO_LLGR ([RFC 9494](https://www.rfc-editor.org/rfc/rfc9494)).
    pub const NO_LLGR: Self = Self(0xffff_0007);
    /// BLACKHOLE ([RFC 7999](https://www.rfc-editor.org/rfc/rfc7999)).
    pub const BLACKHOLE: Self = Self(0xffff_029a);
    /// NO_EXPORT ([RFC 1997](https://www.rfc-editor.org/rfc/rfc1997)).
    pub const NO_EXPORT: Self = Self(0xffff_ff01);
    /// NO_ADVERTISE ([RFC 1997](https://www.rfc-editor.org/rfc/rfc1997)).
    pub const NO_ADVERTISE: Self = Self(0xffff_ff02);
    /// NO_EXPORT_SUBCONFED ([RFC 1997](https://www.rfc-editor.org/rfc/rfc1997)).
    pub const NO_EXPORT_SUBCONFED: Self = Self(0xffff_ff03);
    /// NOPEER ([RFC 3765](https://www.rfc-editor.org/rfc/rfc3765)).
    pub const NOPEER: Self = Self(0xffff_ff04);

    /// A community from its two halves.
    pub const fn new(asn: u16, value: u16) -> Self {
        Self(((asn as u32) << 16) | value as u32)
    }
    /// The high half (by convention an AS number).
    pub const fn asn(self) -> u16 {
        (self.0 >> 16) as u16
    }
    /// The low half.
    pub const fn value(self) -> u16 {
        self.0 as u16
    }
    /// The name of a well-known community (the names FRR prints).
    pub const fn well_known_name(self) -> Option<&'static str> {
        Some(match self.0 {
            0xffff_0000 => "graceful-shutdown",
            0xffff_0001 => "accept-own",
            0xffff_0006 => "llgr-stale",
            0xffff_0007 => "no-llgr",
            0xffff_029a => "blackhole",
            0xffff_ff01 => "no-export",
            0xffff_ff02 => "no-advertise",
            0xffff_ff03 => "local-AS",
            0xffff_ff04 => "no-peer",
            _ => return None,
        })
    }
}

/// `asn:value`, always numeric (use [`Community::well_known_name`] for names).
impl fmt::Display for Community {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.asn(), self.value())
    }
}

impl fmt::Debug for Community {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.well_known_name() {
            Some(n) => write!(f, "Community({n})"),
            None => write!(f, "Community({self})"),
        }
    }
}

/// A large community ([RFC 8092](https://www.rfc-editor.org/rfc/rfc8092)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct LargeCommunity {
    /// Global administrator (an AS number).
    pub global: u32,
    /// First local data part.
    pub local1: u32,
    /// Second local data part.
    pub local2: u32,
}

impl fmt::Display for LargeCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.global, self.local1, self.local2)
    }
}

/// An extended community ([RFC 4360](https://www.rfc-editor.org/rfc/rfc4360)):
/// eight octets, typed by its first one or two.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ExtCommunity(pub [u8; 8]);

/// The global administrator of a two-part extended community.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExtGlobal {
    /// 2-octet AS and 4-octet local part (type 0x00/0x40).
    As2(u16, u32),
    /// IPv4 address and 2-octet local part (type 0x01/0x41).
    Ipv4(Ipv4Addr, u16),
    /// 4-octet AS and 2-octet local part (type 0x02/0x42, RFC 5668).
    As4(u32, u16),
}

impl fmt::Display for ExtGlobal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::As2(a, l) => write!(f, "{a}:{l}"),
            Self::Ipv4(a, l) => write!(f, "{a}:{l}"),
            Self::As4(a, l) => write!(f, "{a}:{l}"),
        }
    }
}

/// The common typed forms of an extended community.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum ExtCommunityKind {
    /// Route target (subtype 0x02).
    RouteTarget(ExtGlobal),
    /// Route origin / site of origin (subtype 0x03).
    RouteOrigin(ExtGlobal),
    /// Link bandwidth in bytes per second (type 0x40/0x04, draft-ietf-idr-link-bandwidth).
    LinkBandwidth {
        /// The AS.
        asn: u16,
        /// IEEE float bandwidth.
        bandwidth: f32,
    },
    /// Encapsulation (type 0x03, subtype 0x0c, RFC 9012).
    Encapsulation(u16),
    /// Color (type 0x03, subtype 0x0b, RFC 9012).
    Color(u32),
    /// FlowSpec traffic-rate in bytes per second (0x80/0x06, RFC 8955).
    TrafficRate(f32),
    /// FlowSpec redirect to a route target (0x80/0x08, RFC 8955).
    Redirect(u16, u32),
    /// Any other type.
    Other,
}

impl ExtCommunity {
    /// The type octet.
    pub const fn type_high(self) -> u8 {
        self.0[0]
    }
    /// The subtype octet (meaningful for extended types).
    pub const fn subtype(self) -> u8 {
        self.0[1]
    }
    /// Whether the community is transitive across ASes (type bit 0x40 clear).
    pub const fn is_transitive(self) -> bool {
        self.0[0] & 0x40 == 0
    }
    fn global(self) -> Option<ExtGlobal> {
        let b = self.0;
        Some(match b[0] & 0x3f {
            0x00 => ExtGlobal::As2(
                u16::from_be_bytes([b[2], b[3]]),
                u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            ),
            0x01 => ExtGlobal::Ipv4(
                Ipv4Addr::new(b[2], b[3], b[4], b[5]),
                u16::from_be_bytes([b[6], b[7]]),
            ),
            0x02 => ExtGlobal::As4(
                u32::from_be_bytes([b[2], b[3], b[4], b[5]]),
                u16::from_be_bytes([b[6], b[7]]),
            ),
            _ => return None,
        })
    }
    /// The typed form.
    pub fn kind(self) -> ExtCommunityKind {
        let b = self.0;
        match (b[0], b[1]) {
            (0x00..=0x02, 0x02) => self
                .global()
                .map_or(ExtCommunityKind::Other, ExtCommunityKind::RouteTarget),
            (0x00..=0x02, 0x03) => self
                .global()
                .map_or(ExtCommunityKind::Other, ExtCommunityKind::RouteOrigin),
            (0x40, 0x04) => ExtCommunityKind::LinkBandwidth {
                asn: u16::from_be_bytes([b[2], b[3]]),
                bandwidth: f32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            },
            (0x03, 0x0c) => ExtCommunityKind::Encapsulation(u16::from_be_bytes([b[6], b[7]])),
            (0x03, 0x0b) => ExtCommunityKind::Color(u32::from_be_bytes([b[4], b[5], b[6], b[7]])),
            (0x80, 0x06) => {
                ExtCommunityKind::TrafficRate(f32::from_be_bytes([b[4], b[5], b[6], b[7]]))
            }
            (0x80, 0x08) => ExtCommunityKind::Redirect(
                u16::from_be_bytes([b[2], b[3]]),
                u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            ),
            _ => ExtCommunityKind::Other,
        }
    }
}

/// `rt 65000:1`, `soo 192.0.2.1:7`, `color 5`, …, or the hex octets.
impl fmt::Display for ExtCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind() {
            ExtCommunityKind::RouteTarget(g) => write!(f, "rt {g}"),
            ExtCommunityKind::RouteOrigin(g) => write!(f, "soo {g}"),
            ExtCommunityKind::LinkBandwidth { asn, bandwidth } => write!(f, "lb {asn}:{bandwidth}"),
            ExtCommunityKind::Encapsulation(t) => write!(f, "encap {t}"),
            ExtCommunityKind::Color(c) => write!(f, "color {c}"),
            ExtCommunityKind::TrafficRate(r) => write!(f, "rate-limit {r}"),
            ExtCommunityKind::Redirect(a, l) => write!(f, "redirect {a}:{l}"),
            ExtCommunityKind::Other => {
                f.write_str("0x")?;
                self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

impl fmt::Debug for ExtCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExtCommunity({self})")
    }
}

/// An IPv6 address specific extended community ([RFC 5701](https://www.rfc-editor.org/rfc/rfc5701)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Ipv6ExtCommunity(pub [u8; 20]);

impl Ipv6ExtCommunity {
    /// The type and subtype octets.
    pub const fn type_subtype(&self) -> (u8, u8) {
        (self.0[0], self.0[1])
    }
    /// The IPv6 global administrator.
    pub fn address(&self) -> Ipv6Addr {
        let mut a = [0; 16];
        a.copy_from_slice(&self.0[2..18]);
        Ipv6Addr::from(a)
    }
    /// The local administrator.
    pub const fn local(&self) -> u16 {
        u16::from_be_bytes([self.0[18], self.0[19]])
    }
}

/// A validated list of fixed-size items (communities, cluster IDs, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct List<'a, T> {
    data: &'a [u8],
    _t: core::marker::PhantomData<fn() -> T>,
}

/// Items of a [`List`]: built from exactly `N` octets.
pub trait FixedItem: Sized {
    /// The item size on the wire.
    const SIZE: usize;
    /// Reads an item from exactly `SIZE` octets.
    fn read(b: &[u8]) -> Self;
}

impl FixedItem for Community {
    const SIZE: usize = 4;
    #[inline]
    fn read(b: &[u8]) -> Self {
        Self(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}
impl FixedItem for LargeCommunity {
    const SIZE: usize = 12;
    #[inline]
    fn read(b: &[u8]) -> Self {
        Self {
            global: u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            local1: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            local2: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
        }
    }
}
impl FixedItem for ExtCommunity {
    const SIZE: usize = 8;
    #[inline]
    fn read(b: &[u8]) -> Self {
        Self(b.try_into().unwrap_or_default())
    }
}
impl FixedItem for Ipv6ExtCommunity {
    const SIZE: usize = 20;
    #[inline]
    fn read(b: &[u8]) -> Self {
        Self(b.try_into().unwrap_or_default())
    }
}
impl FixedItem for Ipv4Addr {
    const SIZE: usize = 4;
    #[inline]
    fn read(b: &[u8]) -> Self {
        Self::new(b[0], b[1], b[2], b[3])
    }
}

impl<'a, T: FixedItem> List<'a, T> {
    /// A view over `data`, whose length is a multiple of `T::SIZE` (checked
    /// by validation; a remainder would be ignored).
    pub(crate) const fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            _t: core::marker::PhantomData,
        }
    }
    /// The number of items.
    pub const fn len(&self) -> usize {
        self.data.len() / T::SIZE
    }
    /// Whether the list is empty.
    pub const fn is_empty(&self) -> bool {
        self.data.len() < T::SIZE
    }
    /// The raw value.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.data
    }
    /// The items in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = T> + use<'a, T> {
        self.data.chunks_exact(T::SIZE).map(T::read)
    }
}

/// COMMUNITIES.
pub type Communities<'a> = List<'a, Community>;
/// LARGE_COMMUNITY.
pub type LargeCommunities<'a> = List<'a, LargeCommunity>;
/// EXTENDED COMMUNITIES.
pub type ExtCommunities<'a> = List<'a, ExtCommunity>;
/// IPv6 Address Specific Extended Community.
pub type Ipv6ExtCommunities<'a> = List<'a, Ipv6ExtCommunity>;
/// CLUSTER_LIST.
pub type ClusterList<'a> = List<'a, Ipv4Addr>;

//----------- AGGREGATOR, AIGP ------------------------------------------------

/// AGGREGATOR or AS4_AGGREGATOR ([RFC 4271 §5.1.7], [RFC 6793]).
///
/// [RFC 4271 §5.1.7]: https://www.rfc-editor.org/rfc/rfc4271#section-5.1.7
/// [RFC 6793]: https://www.rfc-editor.org/rfc/rfc6793
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Aggregator {
    /// The aggregating AS.
    pub asn: u32,
    /// The aggregating router's identifier.
    pub addr: Ipv4Addr,
}

impl Aggregator {
    fn read(b: &[u8]) -> Self {
        match *b {
            [a, s, w, x, y, z] => Self {
                asn: u32::from(u16::from_be_bytes([a, s])),
                addr: Ipv4Addr::new(w, x, y, z),
            },
            [a, s, t, u, w, x, y, z] => Self {
                asn: u32::from_be_bytes([a, s, t, u]),
                addr: Ipv4Addr::new(w, x, y, z),
            },
            _ => Self {
                asn: 0,
                addr: Ipv4Addr::UNSPECIFIED,
            },
        }
    }
}

/// An AIGP TLV ([RFC 7311 §3](https://www.rfc-editor.org/rfc/rfc7311#section-3)).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct AigpTlv {
    /// TLV type (1 is the AIGP metric).
    pub ty: u8,
    /// TLV value.
    pub value: Vec<u8>,
}

/// Checks the AIGP TLV structure (RFC 7311 §3): each TLV length covers its
/// 3-octet header and stays inside the value; an AIGP TLV is 11 octets.
fn check_aigp(mut data: &[u8]) -> bool {
    while !data.is_empty() {
        let [ty, l0, l1, ..] = *data else {
            return false;
        };
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        if len < 3 || len > data.len() || (ty == 1 && len != 11) {
            return false;
        }
        data = &data[len..];
    }
    true
}

/// A validated AIGP value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Aigp<'a> {
    data: &'a [u8],
}

impl<'a> Aigp<'a> {
    /// The TLVs as (type, value).
    pub fn tlvs(&self) -> impl Iterator<Item = (u8, &'a [u8])> + use<'a> {
        let mut d = self.data;
        core::iter::from_fn(move || {
            let [ty, l0, l1, ..] = *d else { return None };
            let len = usize::from(u16::from_be_bytes([l0, l1]));
            let (tlv, rest) = d.split_at_checked(len)?;
            d = rest;
            Some((ty, tlv.get(3..)?))
        })
    }
    /// The accumulated IGP metric of the AIGP TLV (type 1).
    pub fn metric(&self) -> Option<u64> {
        self.tlvs()
            .find(|(t, _)| *t == 1)
            .and_then(|(_, v)| v.try_into().ok().map(u64::from_be_bytes))
    }
}

/// Checks the Tunnel Encapsulation attribute structure (RFC 9012 §2):
/// tunnel TLVs of type(2) length(2), holding sub-TLVs of type(1) and a
/// length of one octet (types 0-127) or two (128-255).
fn check_tunnel_encap(mut data: &[u8]) -> bool {
    while !data.is_empty() {
        let [_, _, l0, l1, rest @ ..] = data else {
            return false;
        };
        let Some((mut sub, rest)) =
            rest.split_at_checked(usize::from(u16::from_be_bytes([*l0, *l1])))
        else {
            return false;
        };
        data = rest;
        while !sub.is_empty() {
            let (len, body) = match sub {
                [t, l, body @ ..] if *t < 128 => (usize::from(*l), body),
                [_, l0, l1, body @ ..] => (usize::from(u16::from_be_bytes([*l0, *l1])), body),
                _ => return false,
            };
            let Some(rest) = body.get(len..) else {
                return false;
            };
            sub = rest;
        }
    }
    true
}

//----------- MP_REACH_NLRI / MP_UNREACH_NLRI ---------------------------------

/// A next hop as carried by NEXT_HOP or MP_REACH_NLRI
/// ([RFC 4760 §3], [RFC 2545 §3], [RFC 8950]). `B` is `&[u8]` in views and
/// `Vec<u8>` in owned values.
///
/// [RFC 4760 §3]: https://www.rfc-editor.org/rfc/rfc4760#section-3
/// [RFC 2545 §3]: https://www.rfc-editor.org/rfc/rfc2545#section-3
/// [RFC 8950]: https://www.rfc-editor.org/rfc/rfc8950
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NextHop<B = Vec<u8>> {
    /// An IPv4 address.
    V4(Ipv4Addr),
    /// An IPv6 global address and, optionally, a link-local one.
    V6 {
        /// The global address.
        global: Ipv6Addr,
        /// The link-local address (32-octet form).
        link_local: Option<Ipv6Addr>,
    },
    /// Any other form (VPN route distinguisher + address, or a family this
    /// crate does not interpret), as raw octets.
    Other(B),
}

impl<B: AsRef<[u8]>> NextHop<B> {
    fn parse(bytes: B, family: Family) -> Self {
        let b = bytes.as_ref();
        if family.is_prefix_family() || family.safi == Safi::LABELED_UNICAST {
            match b.len() {
                4 => return Self::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])),
                16 | 32 => {
                    let mut g = [0; 16];
                    g.copy_from_slice(&b[..16]);
                    let link_local = b.get(16..32).map(|l| {
                        let mut a = [0; 16];
                        a.copy_from_slice(l);
                        Ipv6Addr::from(a)
                    });
                    return Self::V6 {
                        global: Ipv6Addr::from(g),
                        link_local,
                    };
                }
                _ => {}
            }
        }
        Self::Other(bytes)
    }

    /// The length on the wire.
    pub fn wire_len(&self) -> usize {
        match self {
            Self::V4(_) => 4,
            Self::V6 { link_local, .. } => {
                if link_local.is_some() {
                    32
                } else {
                    16
                }
            }
            Self::Other(b) => b.as_ref().len(),
        }
    }

    pub(crate) fn emit(&self, out: &mut Vec<u8>) {
        match self {
            Self::V4(a) => out.extend_from_slice(&a.octets()),
            Self::V6 { global, link_local } => {
                out.extend_from_slice(&global.octets());
                if let Some(l) = link_local {
                    out.extend_from_slice(&l.octets());
                }
            }
            Self::Other(b) => out.extend_from_slice(b.as_ref()),
        }
    }

    /// An owned copy.
    pub fn to_owned_hop(&self) -> NextHop {
        match self {
            Self::V4(a) => NextHop::V4(*a),
            Self::V6 { global, link_local } => NextHop::V6 {
                global: *global,
                link_local: *link_local,
            },
            Self::Other(b) => NextHop::Other(b.as_ref().to_vec()),
        }
    }
}

impl<B: AsRef<[u8]>> fmt::Display for NextHop<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::V4(a) => write!(f, "{a}"),
            Self::V6 {
                global,
                link_local: None,
            } => write!(f, "{global}"),
            Self::V6 {
                global,
                link_local: Some(l),
            } => write!(f, "{global} {l}"),
            Self::Other(b) => {
                f.write_str("0x")?;
                b.as_ref().iter().try_for_each(|x| write!(f, "{x:02x}"))
            }
        }
    }
}

/// Whether `len` is a next-hop length RFC 4760/2545/8950/4364 allow for
/// `family`; `true` for families this crate does not interpret.
fn next_hop_len_ok(family: Family, len: usize, ctx: &SessionContext) -> bool {
    let ext = ctx.extended_next_hop.contains(family);
    match (family.afi, family.safi) {
        (Afi::IPV4, Safi::UNICAST | Safi::MULTICAST | Safi::LABELED_UNICAST) => {
            len == 4 || (ext && (len == 16 || len == 32))
        }
        (Afi::IPV6, Safi::UNICAST | Safi::MULTICAST | Safi::LABELED_UNICAST) => {
            len == 16 || len == 32
        }
        (Afi::IPV4, Safi::MPLS_VPN) => len == 12 || (ext && (len == 24 || len == 48)),
        (Afi::IPV6, Safi::MPLS_VPN) => len == 24 || len == 48,
        _ => true,
    }
}

/// A validated MP_REACH_NLRI ([RFC 4760 §3](https://www.rfc-editor.org/rfc/rfc4760#section-3)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MpReach<'a> {
    family: Family,
    next_hop: &'a [u8],
    nlri: &'a [u8],
    add_path: bool,
}

impl<'a> MpReach<'a> {
    /// Validates an MP_REACH_NLRI value (RFC 7606 §7.11, §5.3).
    pub(crate) fn parse(value: &'a [u8], ctx: &SessionContext) -> Result<Self, UpdateErrorKind> {
        let ty = AttrType::MP_REACH_NLRI;
        let [a0, a1, safi, rest @ ..] = value else {
            return Err(UpdateErrorKind::MpTooShort(ty));
        };
        let family = Family::new(Afi(u16::from_be_bytes([*a0, *a1])), Safi(*safi));
        // From here on the family is known: errors disable it (RFC 7606 §7.11).
        let Some((&nh_len, rest)) = rest.split_first() else {
            return Err(UpdateErrorKind::MpNextHop { family, len: 0 });
        };
        let bad_nh = UpdateErrorKind::MpNextHop {
            family,
            len: nh_len,
        };
        let (next_hop, rest) = rest.split_at_checked(usize::from(nh_len)).ok_or(bad_nh)?;
        // One reserved octet (formerly the SNPA count) follows the next hop.
        let (_, nlri) = rest.split_first().ok_or(bad_nh)?;
        if !next_hop_len_ok(family, next_hop.len(), ctx) {
            return Err(bad_nh);
        }
        let add_path = ctx.add_path(family);
        if family.is_prefix_family() && !nlri::check(nlri, family.max_prefix_len(), add_path) {
            return Err(UpdateErrorKind::MpNlri { attr: ty, family });
        }
        Ok(Self {
            family,
            next_hop,
            nlri,
            add_path,
        })
    }

    /// Reads the MP_REACH_NLRI of an MRT TABLE_DUMP_V2 RIB entry of `family`
    /// (RFC 6396 §4.3.4): next-hop length and next hop only. A value that is
    /// not of that shape is read as a full MP_REACH_NLRI.
    pub(crate) fn parse_rib(
        value: &'a [u8],
        family: Family,
        ctx: &SessionContext,
    ) -> Result<Self, UpdateErrorKind> {
        match value.split_first() {
            Some((&n, next_hop)) if usize::from(n) == next_hop.len() => Ok(Self {
                family,
                next_hop,
                nlri: &[],
                add_path: false,
            }),
            _ => Self::parse(value, ctx),
        }
    }

    /// Splits a value that [`MpReach::parse`] or [`MpReach::parse_rib`]
    /// accepted (`rib`: the family of an MRT RIB entry), without the policy
    /// checks. `None` only if handed a value they would have refused.
    #[inline]
    pub(crate) fn split_validated(
        value: &'a [u8],
        rib: Option<Family>,
        add_path: bool,
    ) -> Option<Self> {
        if let (Some(family), Some((&n, next_hop))) = (rib, value.split_first()) {
            if usize::from(n) == next_hop.len() {
                return Some(Self {
                    family,
                    next_hop,
                    nlri: &[],
                    add_path: false,
                });
            }
        }
        let [a0, a1, safi, nh_len, rest @ ..] = value else {
            return None;
        };
        let (next_hop, rest) = rest.split_at_checked(usize::from(*nh_len))?;
        let (_, nlri) = rest.split_first()?;
        Some(Self {
            family: Family::new(Afi(u16::from_be_bytes([*a0, *a1])), Safi(*safi)),
            next_hop,
            nlri,
            add_path,
        })
    }

    /// Whether the NLRI carry path identifiers.
    pub const fn add_path(&self) -> bool {
        self.add_path
    }

    /// The family.
    pub const fn family(&self) -> Family {
        self.family
    }
    /// The next hop.
    pub fn next_hop(&self) -> NextHop<&'a [u8]> {
        NextHop::parse(self.next_hop, self.family)
    }
    /// The raw next hop octets.
    pub const fn next_hop_bytes(&self) -> &'a [u8] {
        self.next_hop
    }
    /// The prefixes, for IPv4/IPv6 unicast and multicast; `None` for other
    /// families, whose NLRI are in [`MpReach::nlri_bytes`].
    pub fn prefixes(&self) -> Option<Prefixes<'a>> {
        self.family
            .is_prefix_family()
            .then(|| Prefixes::new(self.nlri, self.family.afi == Afi::IPV6, self.add_path))
    }
    /// The raw NLRI octets.
    pub const fn nlri_bytes(&self) -> &'a [u8] {
        self.nlri
    }
}

/// A validated MP_UNREACH_NLRI ([RFC 4760 §4](https://www.rfc-editor.org/rfc/rfc4760#section-4)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MpUnreach<'a> {
    family: Family,
    nlri: &'a [u8],
    add_path: bool,
}

impl<'a> MpUnreach<'a> {
    /// Validates an MP_UNREACH_NLRI value.
    pub(crate) fn parse(value: &'a [u8], ctx: &SessionContext) -> Result<Self, UpdateErrorKind> {
        let ty = AttrType::MP_UNREACH_NLRI;
        let [a0, a1, safi, nlri @ ..] = value else {
            return Err(UpdateErrorKind::MpTooShort(ty));
        };
        let family = Family::new(Afi(u16::from_be_bytes([*a0, *a1])), Safi(*safi));
        let add_path = ctx.add_path(family);
        if family.is_prefix_family() && !nlri::check(nlri, family.max_prefix_len(), add_path) {
            return Err(UpdateErrorKind::MpNlri { attr: ty, family });
        }
        Ok(Self {
            family,
            nlri,
            add_path,
        })
    }
    /// The family.
    pub const fn family(&self) -> Family {
        self.family
    }
    /// Splits a value that [`MpUnreach::parse`] accepted.
    #[inline]
    pub(crate) fn split_validated(value: &'a [u8], add_path: bool) -> Option<Self> {
        let [a0, a1, safi, nlri @ ..] = value else {
            return None;
        };
        Some(Self {
            family: Family::new(Afi(u16::from_be_bytes([*a0, *a1])), Safi(*safi)),
            nlri,
            add_path,
        })
    }
    /// Whether the NLRI carry path identifiers.
    pub const fn add_path(&self) -> bool {
        self.add_path
    }
    /// The withdrawn prefixes of a prefix family (see [`MpReach::prefixes`]).
    pub fn prefixes(&self) -> Option<Prefixes<'a>> {
        self.family
            .is_prefix_family()
            .then(|| Prefixes::new(self.nlri, self.family.afi == Afi::IPV6, self.add_path))
    }
    /// The raw NLRI octets.
    pub const fn nlri_bytes(&self) -> &'a [u8] {
        self.nlri
    }
    /// Whether this is an End-of-RIB marker for its family (RFC 4724 §2):
    /// an MP_UNREACH_NLRI with no NLRI.
    pub const fn is_end_of_rib(&self) -> bool {
        self.nlri.is_empty()
    }
}

//----------- Validation ------------------------------------------------------

/// Validates the value of an attribute of a known type. `Ok` for types this
/// crate does not interpret.
#[inline]
pub(crate) fn validate_value(
    ty: AttrType,
    v: &[u8],
    ctx: &SessionContext,
) -> Result<(), UpdateErrorKind> {
    use UpdateErrorKind as E;
    let len = v.len();
    let ok = |c: bool| if c { Ok(()) } else { Err(E::Length(ty)) };
    match ty {
        AttrType::ORIGIN => match *v {
            [o] if o <= 2 => Ok(()),
            [o] => Err(E::InvalidOrigin(o)),
            _ => Err(E::Length(ty)),
        },
        AttrType::AS_PATH => match check_as_path(v, ctx.as_len()) {
            Err(()) => Err(E::MalformedAsPath(ty)),
            Ok(true) if ctx.ebgp => Err(E::ConfedFromExternal),
            Ok(_) => Ok(()),
        },
        AttrType::NEXT_HOP | AttrType::MED | AttrType::ORIGINATOR_ID | AttrType::OTC => {
            ok(len == 4)
        }
        AttrType::LOCAL_PREF => {
            ok(len == 4)?;
            if ctx.ebgp {
                Err(E::LocalPrefFromExternal)
            } else {
                Ok(())
            }
        }
        AttrType::ATOMIC_AGGREGATE => ok(len == 0),
        AttrType::AGGREGATOR => ok(len == 2 + ctx.as_len() + 2),
        AttrType::AS4_AGGREGATOR => ok(len == 8),
        AttrType::COMMUNITIES | AttrType::CLUSTER_LIST => ok(len > 0 && len % 4 == 0),
        AttrType::EXTENDED_COMMUNITIES => ok(len > 0 && len % 8 == 0),
        AttrType::IPV6_EXTENDED_COMMUNITIES => ok(len > 0 && len % 20 == 0),
        AttrType::LARGE_COMMUNITIES => ok(len > 0 && len % 12 == 0),
        AttrType::AS4_PATH => match check_as_path(v, 4) {
            Ok(false) => Ok(()),
            // RFC 6793 §6: a malformed AS4_PATH, or one with confederation
            // segments, is discarded.
            _ => Err(E::MalformedAsPath(ty)),
        },
        AttrType::AIGP => {
            if check_aigp(v) {
                Ok(())
            } else {
                Err(E::MalformedOptional(ty))
            }
        }
        AttrType::TUNNEL_ENCAPSULATION => {
            if check_tunnel_encap(v) {
                Ok(())
            } else {
                Err(E::MalformedOptional(ty))
            }
        }
        _ => Ok(()),
    }
}

//----------- Typed views -----------------------------------------------------

/// A validated path attribute, typed.
// A 4-octet tag puts the 4-octet payloads (addresses, MED, LOCAL_PREF) at an
// aligned offset: with a 1-octet tag an `Ipv4Addr` sat at offset 1 and a
// caller matching on the value read it back with two overlapping loads, one
// stalled on store forwarding (about 5 % of a full-table walk).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
#[repr(u32)]
pub enum Attribute<'a> {
    /// ORIGIN.
    Origin(Origin),
    /// AS_PATH.
    AsPath(AsPath<'a>),
    /// NEXT_HOP.
    NextHop(Ipv4Addr),
    /// MULTI_EXIT_DISC.
    Med(u32),
    /// LOCAL_PREF.
    LocalPref(u32),
    /// ATOMIC_AGGREGATE.
    AtomicAggregate,
    /// AGGREGATOR.
    Aggregator(Aggregator),
    /// COMMUNITIES.
    Communities(Communities<'a>),
    /// ORIGINATOR_ID.
    OriginatorId(Ipv4Addr),
    /// CLUSTER_LIST.
    ClusterList(ClusterList<'a>),
    /// MP_REACH_NLRI.
    MpReach(MpReach<'a>),
    /// MP_UNREACH_NLRI.
    MpUnreach(MpUnreach<'a>),
    /// EXTENDED COMMUNITIES.
    ExtCommunities(ExtCommunities<'a>),
    /// AS4_PATH.
    As4Path(AsPath<'a>),
    /// AS4_AGGREGATOR.
    As4Aggregator(Aggregator),
    /// IPv6 Address Specific Extended Community.
    Ipv6ExtCommunities(Ipv6ExtCommunities<'a>),
    /// AIGP.
    Aigp(Aigp<'a>),
    /// LARGE_COMMUNITY.
    LargeCommunities(LargeCommunities<'a>),
    /// Only to Customer.
    Otc(u32),
    /// Any other attribute, kept verbatim with its flags.
    Other(RawAttr<'a>),
}

#[inline]
fn be32(v: &[u8]) -> u32 {
    match *v {
        [a, b, c, d] => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

impl<'a> Attribute<'a> {
    /// Types a raw attribute that validation accepted. `ctx` gives the AS width.
    /// `mp_reach` / `mp_unreach`: the UPDATE's validated MP attributes (there
    /// is at most one of each), asked for only when `raw` is of that type.
    #[inline(always)]
    pub(crate) fn from_raw(
        raw: RawAttr<'a>,
        four_octet: bool,
        mp_reach: impl FnOnce() -> Option<MpReach<'a>>,
        mp_unreach: impl FnOnce() -> Option<MpUnreach<'a>>,
    ) -> Self {
        let v = raw.value;
        match raw.ty {
            AttrType::ORIGIN => match v.first().copied().and_then(Origin::from_u8) {
                Some(o) => Self::Origin(o),
                None => Self::Other(raw),
            },
            AttrType::AS_PATH => Self::AsPath(AsPath::new(v, four_octet)),
            AttrType::NEXT_HOP => Self::NextHop(Ipv4Addr::from(be32(v))),
            AttrType::MED => Self::Med(be32(v)),
            AttrType::LOCAL_PREF => Self::LocalPref(be32(v)),
            AttrType::ATOMIC_AGGREGATE => Self::AtomicAggregate,
            AttrType::AGGREGATOR => Self::Aggregator(Aggregator::read(v)),
            AttrType::COMMUNITIES => Self::Communities(List::new(v)),
            AttrType::ORIGINATOR_ID => Self::OriginatorId(Ipv4Addr::from(be32(v))),
            AttrType::CLUSTER_LIST => Self::ClusterList(List::new(v)),
            AttrType::MP_REACH_NLRI => mp_reach().map_or(Self::Other(raw), Self::MpReach),
            AttrType::MP_UNREACH_NLRI => mp_unreach().map_or(Self::Other(raw), Self::MpUnreach),
            AttrType::EXTENDED_COMMUNITIES => Self::ExtCommunities(List::new(v)),
            AttrType::AS4_PATH => Self::As4Path(AsPath::new(v, true)),
            AttrType::AS4_AGGREGATOR => Self::As4Aggregator(Aggregator::read(v)),
            AttrType::IPV6_EXTENDED_COMMUNITIES => Self::Ipv6ExtCommunities(List::new(v)),
            AttrType::AIGP => Self::Aigp(Aigp { data: v }),
            AttrType::LARGE_COMMUNITIES => Self::LargeCommunities(List::new(v)),
            AttrType::OTC => Self::Otc(be32(v)),
            _ => Self::Other(raw),
        }
    }

    /// An owned copy.
    pub fn to_owned_attr(&self) -> PathAttribute {
        use PathAttribute as P;
        match *self {
            Self::Origin(o) => P::Origin(o),
            Self::AsPath(p) => P::AsPath(p.to_buf()),
            Self::NextHop(a) => P::NextHop(a),
            Self::Med(m) => P::Med(m),
            Self::LocalPref(l) => P::LocalPref(l),
            Self::AtomicAggregate => P::AtomicAggregate,
            Self::Aggregator(a) => P::Aggregator(a),
            Self::Communities(c) => P::Communities(c.iter().collect()),
            Self::OriginatorId(a) => P::OriginatorId(a),
            Self::ClusterList(c) => P::ClusterList(c.iter().collect()),
            Self::MpReach(m) => P::MpReach(MpReachNlri {
                family: m.family,
                next_hop: m.next_hop().to_owned_hop(),
                nlri: MpNlri::from_wire(m.family, m.nlri, m.add_path),
            }),
            Self::MpUnreach(m) => P::MpUnreach(MpUnreachNlri {
                family: m.family,
                nlri: MpNlri::from_wire(m.family, m.nlri, m.add_path),
            }),
            Self::ExtCommunities(c) => P::ExtCommunities(c.iter().collect()),
            Self::As4Path(p) => P::As4Path(p.to_buf()),
            Self::As4Aggregator(a) => P::As4Aggregator(a),
            Self::Ipv6ExtCommunities(c) => P::Ipv6ExtCommunities(c.iter().collect()),
            Self::Aigp(a) => P::Aigp(
                a.tlvs()
                    .map(|(ty, v)| AigpTlv {
                        ty,
                        value: v.to_vec(),
                    })
                    .collect(),
            ),
            Self::LargeCommunities(c) => P::LargeCommunities(c.iter().collect()),
            Self::Otc(a) => P::Otc(a),
            Self::Other(r) => P::Other(RawAttribute {
                flags: r.flags,
                ty: r.ty,
                value: r.value.to_vec(),
            }),
        }
    }
}

//----------- Owned attributes ------------------------------------------------

/// The NLRI of an owned MP_REACH_NLRI / MP_UNREACH_NLRI.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MpNlri {
    /// Prefixes of an IPv4/IPv6 unicast or multicast family.
    Prefixes(Vec<Nlri>),
    /// The NLRI octets of any other family.
    Opaque(Vec<u8>),
}

impl MpNlri {
    fn from_wire(family: Family, nlri: &[u8], add_path: bool) -> Self {
        if family.is_prefix_family() {
            Self::Prefixes(Prefixes::new(nlri, family.afi == Afi::IPV6, add_path).collect())
        } else {
            Self::Opaque(nlri.to_vec())
        }
    }
    fn wire_len(&self, add_path: bool) -> usize {
        match self {
            Self::Prefixes(p) => p.iter().map(|n| session_nlri_len(n, add_path)).sum(),
            Self::Opaque(b) => b.len(),
        }
    }
    fn emit(&self, out: &mut Vec<u8>, add_path: bool) {
        match self {
            Self::Prefixes(p) => {
                for n in p {
                    put_session_nlri(out, n, add_path);
                }
            }
            Self::Opaque(b) => out.extend_from_slice(b),
        }
    }
}

/// The length of one NLRI entry on a session: the path identifier is
/// written exactly when the session uses ADD-PATH for the family.
#[inline]
pub(crate) fn session_nlri_len(n: &Nlri, add_path: bool) -> usize {
    1 + usize::from(n.prefix.prefix_len()).div_ceil(8) + if add_path { 4 } else { 0 }
}

/// Appends one NLRI entry as the session needs it: with a path identifier
/// (0 for an entry without one) when it uses ADD-PATH, without otherwise.
pub(crate) fn put_session_nlri(out: &mut Vec<u8>, n: &Nlri, add_path: bool) {
    if add_path {
        out.extend_from_slice(&n.path_id.unwrap_or(0).to_be_bytes());
    }
    put_prefix(out, &n.prefix);
}

/// An owned MP_REACH_NLRI.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MpReachNlri {
    /// The family.
    pub family: Family,
    /// The next hop.
    pub next_hop: NextHop,
    /// The announced NLRI.
    pub nlri: MpNlri,
}

/// An owned MP_UNREACH_NLRI.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MpUnreachNlri {
    /// The family.
    pub family: Family,
    /// The withdrawn NLRI.
    pub nlri: MpNlri,
}

/// An attribute this crate does not type, with its flags as received.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RawAttribute {
    /// The flags (the Extended Length bit is set on emit when the value needs it).
    pub flags: AttrFlags,
    /// The type code.
    pub ty: AttrType,
    /// The value.
    pub value: Vec<u8>,
}

/// An owned path attribute.
///
/// Known types are emitted with their standard flags (the Partial bit of a
/// received optional transitive attribute is not kept); [`PathAttribute::Other`]
/// keeps its flags.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PathAttribute {
    /// ORIGIN.
    Origin(Origin),
    /// AS_PATH (with 4-octet ASNs; emitted as 2-octet with AS_TRANS where the
    /// session needs it).
    AsPath(AsPathBuf),
    /// NEXT_HOP.
    NextHop(Ipv4Addr),
    /// MULTI_EXIT_DISC.
    Med(u32),
    /// LOCAL_PREF.
    LocalPref(u32),
    /// ATOMIC_AGGREGATE.
    AtomicAggregate,
    /// AGGREGATOR.
    Aggregator(Aggregator),
    /// COMMUNITIES.
    Communities(Vec<Community>),
    /// ORIGINATOR_ID.
    OriginatorId(Ipv4Addr),
    /// CLUSTER_LIST.
    ClusterList(Vec<Ipv4Addr>),
    /// MP_REACH_NLRI.
    MpReach(MpReachNlri),
    /// MP_UNREACH_NLRI.
    MpUnreach(MpUnreachNlri),
    /// EXTENDED COMMUNITIES.
    ExtCommunities(Vec<ExtCommunity>),
    /// AS4_PATH.
    As4Path(AsPathBuf),
    /// AS4_AGGREGATOR.
    As4Aggregator(Aggregator),
    /// IPv6 Address Specific Extended Community.
    Ipv6ExtCommunities(Vec<Ipv6ExtCommunity>),
    /// AIGP TLVs.
    Aigp(Vec<AigpTlv>),
    /// LARGE_COMMUNITY.
    LargeCommunities(Vec<LargeCommunity>),
    /// Only to Customer.
    Otc(u32),
    /// Any other attribute.
    Other(RawAttribute),
}

impl PathAttribute {
    /// The type code.
    pub fn ty(&self) -> AttrType {
        match self {
            Self::Origin(_) => AttrType::ORIGIN,
            Self::AsPath(_) => AttrType::AS_PATH,
            Self::NextHop(_) => AttrType::NEXT_HOP,
            Self::Med(_) => AttrType::MED,
            Self::LocalPref(_) => AttrType::LOCAL_PREF,
            Self::AtomicAggregate => AttrType::ATOMIC_AGGREGATE,
            Self::Aggregator(_) => AttrType::AGGREGATOR,
            Self::Communities(_) => AttrType::COMMUNITIES,
            Self::OriginatorId(_) => AttrType::ORIGINATOR_ID,
            Self::ClusterList(_) => AttrType::CLUSTER_LIST,
            Self::MpReach(_) => AttrType::MP_REACH_NLRI,
            Self::MpUnreach(_) => AttrType::MP_UNREACH_NLRI,
            Self::ExtCommunities(_) => AttrType::EXTENDED_COMMUNITIES,
            Self::As4Path(_) => AttrType::AS4_PATH,
            Self::As4Aggregator(_) => AttrType::AS4_AGGREGATOR,
            Self::Ipv6ExtCommunities(_) => AttrType::IPV6_EXTENDED_COMMUNITIES,
            Self::Aigp(_) => AttrType::AIGP,
            Self::LargeCommunities(_) => AttrType::LARGE_COMMUNITIES,
            Self::Otc(_) => AttrType::OTC,
            Self::Other(r) => r.ty,
        }
    }

    /// The flags emitted (without the Extended Length bit).
    pub fn flags(&self) -> AttrFlags {
        match self {
            Self::Other(r) => r.flags,
            other => AttrFlags(expected_flags(other.ty()).unwrap_or(AttrFlags::OPTIONAL)),
        }
    }

    /// The value length on a session described by `ctx`.
    pub fn value_len(&self, ctx: &SessionContext) -> usize {
        match self {
            Self::Origin(_) => 1,
            Self::AsPath(p) => p.value_len(ctx.as_len()),
            Self::NextHop(_)
            | Self::Med(_)
            | Self::LocalPref(_)
            | Self::OriginatorId(_)
            | Self::Otc(_) => 4,
            Self::AtomicAggregate => 0,
            Self::Aggregator(_) => 2 + ctx.as_len() + 2,
            Self::As4Aggregator(_) => 8,
            Self::Communities(c) => c.len() * 4,
            Self::ClusterList(c) => c.len() * 4,
            Self::MpReach(m) => 5 + m.next_hop.wire_len() + m.nlri.wire_len(ctx.add_path(m.family)),
            Self::MpUnreach(m) => 3 + m.nlri.wire_len(ctx.add_path(m.family)),
            Self::ExtCommunities(c) => c.len() * 8,
            Self::As4Path(p) => p.value_len(4),
            Self::Ipv6ExtCommunities(c) => c.len() * 20,
            Self::Aigp(t) => t.iter().map(|t| 3 + t.value.len()).sum(),
            Self::LargeCommunities(c) => c.len() * 12,
            Self::Other(r) => r.value.len(),
        }
    }

    /// The whole attribute's length on the wire (header included).
    pub fn wire_len(&self, ctx: &SessionContext) -> usize {
        let v = self.value_len(ctx);
        let ext = v > 255 || self.flags().extended_length();
        v + if ext { 4 } else { 3 }
    }

    /// Writes the attribute: flags, type, length (extended when the value
    /// exceeds 255 octets or the flags ask for it) and value. Values longer
    /// than 65535 octets cannot be encoded; the message encoder refuses
    /// them before calling this (see [`crate::update::EncodeError`]).
    pub fn emit(&self, ctx: &SessionContext, out: &mut Vec<u8>) {
        let len = self.value_len(ctx);
        let mut flags = self.flags().0 & !AttrFlags::EXTENDED_LENGTH;
        let ext = len > 255 || self.flags().extended_length();
        if ext {
            flags |= AttrFlags::EXTENDED_LENGTH;
        }
        out.push(flags);
        out.push(self.ty().0);
        if ext {
            out.extend_from_slice(&(len.min(0xffff) as u16).to_be_bytes());
        } else {
            out.push(len as u8);
        }
        match self {
            Self::Origin(o) => out.push(o.to_u8()),
            Self::AsPath(p) => p.emit_value(ctx.as_len(), out),
            Self::NextHop(a) | Self::OriginatorId(a) => out.extend_from_slice(&a.octets()),
            Self::Med(v) | Self::LocalPref(v) | Self::Otc(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            Self::AtomicAggregate => {}
            Self::Aggregator(a) => {
                if ctx.four_octet_as {
                    out.extend_from_slice(&a.asn.to_be_bytes());
                } else {
                    let asn = u16::try_from(a.asn).unwrap_or(AS_TRANS as u16);
                    out.extend_from_slice(&asn.to_be_bytes());
                }
                out.extend_from_slice(&a.addr.octets());
            }
            Self::As4Aggregator(a) => {
                out.extend_from_slice(&a.asn.to_be_bytes());
                out.extend_from_slice(&a.addr.octets());
            }
            Self::Communities(c) => c
                .iter()
                .for_each(|c| out.extend_from_slice(&c.0.to_be_bytes())),
            Self::ClusterList(c) => c.iter().for_each(|a| out.extend_from_slice(&a.octets())),
            Self::MpReach(m) => {
                out.extend_from_slice(&m.family.afi.0.to_be_bytes());
                out.push(m.family.safi.0);
                out.push(m.next_hop.wire_len() as u8);
                m.next_hop.emit(out);
                out.push(0);
                m.nlri.emit(out, ctx.add_path(m.family));
            }
            Self::MpUnreach(m) => {
                out.extend_from_slice(&m.family.afi.0.to_be_bytes());
                out.push(m.family.safi.0);
                m.nlri.emit(out, ctx.add_path(m.family));
            }
            Self::ExtCommunities(c) => c.iter().for_each(|c| out.extend_from_slice(&c.0)),
            Self::As4Path(p) => p.emit_value(4, out),
            Self::Ipv6ExtCommunities(c) => c.iter().for_each(|c| out.extend_from_slice(&c.0)),
            Self::Aigp(t) => {
                for t in t {
                    out.push(t.ty);
                    out.extend_from_slice(&((t.value.len() + 3) as u16).to_be_bytes());
                    out.extend_from_slice(&t.value);
                }
            }
            Self::LargeCommunities(c) => {
                for c in c {
                    out.extend_from_slice(&c.global.to_be_bytes());
                    out.extend_from_slice(&c.local1.to_be_bytes());
                    out.extend_from_slice(&c.local2.to_be_bytes());
                }
            }
            Self::Other(r) => out.extend_from_slice(&r.value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_path_checks() {
        // sequence of two 4-octet ASNs
        let ok = [2, 2, 0, 0, 0xfd, 0xe9, 0, 0, 0xfd, 0xea];
        assert_eq!(check_as_path(&ok, 4), Ok(false));
        assert_eq!(AsPath::new(&ok, true).to_string(), "65001 65002");
        assert_eq!(check_as_path(&[2, 0], 4), Err(()), "zero-length segment");
        assert_eq!(check_as_path(&[5, 1, 0, 0, 0, 1], 4), Err(()), "bad type");
        assert_eq!(check_as_path(&[2, 2, 0, 0, 0, 1], 4), Err(()), "overrun");
        assert_eq!(
            check_as_path(&[2, 1, 0, 1, 9], 2),
            Err(()),
            "one-octet tail"
        );
        assert_eq!(check_as_path(&[3, 1, 0, 1], 2), Ok(true));
        assert_eq!(check_as_path(&[], 4), Ok(false));
    }

    #[test]
    fn as_path_text_and_lengths() {
        let p = AsPathBuf {
            segments: vec![
                AsSegment {
                    ty: SegmentType::Sequence,
                    asns: vec![65001, 65002],
                },
                AsSegment {
                    ty: SegmentType::Set,
                    asns: vec![65003, 65004],
                },
                AsSegment {
                    ty: SegmentType::ConfedSequence,
                    asns: vec![1, 2],
                },
            ],
        };
        assert_eq!(p.to_string(), "65001 65002 {65003,65004} (1 2)");
        assert_eq!(p.path_len(), 3);
        let mut v = Vec::new();
        p.emit_value(4, &mut v);
        assert_eq!(v.len(), p.value_len(4));
        assert_eq!(AsPath::new(&v, true).to_buf(), p);
    }

    #[test]
    fn as4_merge() {
        let two = AsPathBuf::sequence([65001, AS_TRANS, AS_TRANS]);
        let four = AsPathBuf::sequence([4_200_000_000, 4_200_000_001]);
        assert_eq!(
            two.merge_as4(&four).to_string(),
            "65001 4200000000 4200000001"
        );
        let longer = AsPathBuf::sequence([1, 2, 3, 4]);
        assert_eq!(
            two.merge_as4(&longer),
            two,
            "AS4_PATH longer than AS_PATH is ignored"
        );
    }

    #[test]
    fn aigp_and_tunnel_checks() {
        assert!(check_aigp(&[1, 0, 11, 0, 0, 0, 0, 0, 0, 0, 5]));
        assert!(!check_aigp(&[1, 0, 10, 0, 0, 0, 0, 0, 0, 0]));
        assert!(!check_aigp(&[1, 0, 2]));
        assert_eq!(
            Aigp {
                data: &[1, 0, 11, 0, 0, 0, 0, 0, 0, 0, 5]
            }
            .metric(),
            Some(5)
        );
        // tunnel type 8 (VXLAN) with a color sub-TLV (type 4, 1-octet length)
        assert!(check_tunnel_encap(&[0, 8, 0, 3, 4, 1, 9]));
        assert!(
            !check_tunnel_encap(&[0, 8, 0, 3, 4, 5, 9]),
            "sub-TLV overruns"
        );
        assert!(!check_tunnel_encap(&[0, 8, 0, 9, 4]), "TLV overruns");
        assert!(
            !check_tunnel_encap(&[0, 8, 0, 2, 200, 0]),
            "2-octet sub-TLV header cut"
        );
    }

    #[test]
    fn ext_communities() {
        let rt = ExtCommunity([0x00, 0x02, 0xfd, 0xe8, 0, 0, 0, 100]);
        assert_eq!(rt.to_string(), "rt 65000:100");
        let soo = ExtCommunity([0x01, 0x03, 192, 0, 2, 1, 0, 7]);
        assert_eq!(soo.to_string(), "soo 192.0.2.1:7");
        assert_eq!(
            ExtCommunity([0x43, 0x0b, 0, 0, 0, 0, 0, 5]).to_string(),
            "0x430b000000000005"
        );
    }
}

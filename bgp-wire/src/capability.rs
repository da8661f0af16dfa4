//! BGP capabilities ([RFC 5492]), carried in the Capabilities optional
//! parameter (type 2) of an OPEN message.
//!
//! A capability is a TLV: a 1-octet code, a 1-octet length and that many
//! octets of value ([RFC 5492 §4]). [`CapabilityIter`] walks the TLVs of one
//! Capabilities parameter without copying, yielding [`RawCapability`] views;
//! [`Capability::parse`] turns one into the owned [`Capability`].
//!
//! # Strictness
//! * A TLV whose length runs past the end of its parameter is an error
//!   ([`CapabilityError::TruncatedHeader`], [`CapabilityError::Overrun`]).
//! * A capability this module decodes (every variant but
//!   [`Capability::Unknown`]) whose value does not have the shape its RFC
//!   defines is an error too ([`CapabilityError::Malformed`]), not an
//!   `Unknown`: a peer that sends a broken Multiprotocol or 4-octet-AS
//!   capability must not silently get a different session.
//! * Every other code is kept verbatim as [`Capability::Unknown`]; RFC 5492 §5
//!   says a speaker ignores capabilities it does not understand.
//!
//! All these errors map to OPEN Message Error / subcode 0 (Unspecific), the
//! subcode RFC 4271 §6.2 uses for a recognised but malformed optional
//! parameter.
//!
//! [RFC 5492]: https://www.rfc-editor.org/rfc/rfc5492
//! [RFC 5492 §4]: https://www.rfc-editor.org/rfc/rfc5492#section-4

use crate::codepoint::{Afi, CapabilityCode, ErrorCode, Safi};
use crate::notification::Notification;
use crate::types::Family;

/// The largest capability value: its length field is one octet.
pub const MAX_CAPABILITY_VALUE_LEN: usize = 255;

//----------- Role, AddPathMode -----------------------------------------------

pub use crate::codepoint::{AddPathMode, Role};

impl AddPathMode {
    /// Whether the advertising speaker can receive multiple paths (unknown
    /// values: no, RFC 7911 §4).
    pub const fn can_receive(self) -> bool {
        self.0 == 1 || self.0 == 3
    }

    /// Whether the advertising speaker can send multiple paths (unknown
    /// values: no, RFC 7911 §4).
    pub const fn can_send(self) -> bool {
        self.0 == 2 || self.0 == 3
    }
}

//----------- Per-family entries ----------------------------------------------

/// One family of the Graceful Restart capability
/// ([RFC 4724 §3](https://www.rfc-editor.org/rfc/rfc4724#section-3)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct GrFamily {
    /// The address family.
    pub family: Family,
    /// F bit: forwarding state was preserved across the restart.
    pub forwarding: bool,
}

/// One family of the Long-Lived Graceful Restart capability
/// ([RFC 9494 §3](https://www.rfc-editor.org/rfc/rfc9494#section-3)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LlgrFamily {
    /// The address family.
    pub family: Family,
    /// F bit: forwarding state was preserved.
    pub forwarding: bool,
    /// Long-lived stale time in seconds; 24 bits on the wire, so at most
    /// [`LlgrFamily::MAX_STALE_TIME`].
    pub stale_time: u32,
}

impl LlgrFamily {
    /// The largest stale time the 24-bit field holds.
    pub const MAX_STALE_TIME: u32 = 0x00ff_ffff;
}

//----------- Capability ------------------------------------------------------

/// An owned capability.
///
/// `Capability::parse(c.code(), value)` of what [`emit`](Self::emit) writes
/// gives `c` back, for every value `emit` accepts, with one exception by
/// design: an [`Unknown`](Self::Unknown) whose code is one this type decodes
/// comes back decoded (or as an error).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Multiprotocol extensions for one family
    /// ([RFC 4760 §8](https://www.rfc-editor.org/rfc/rfc4760#section-8)).
    /// The reserved octet is sent as 0 and ignored on receipt.
    Multiprotocol(Family),
    /// Route refresh ([RFC 2918 §2](https://www.rfc-editor.org/rfc/rfc2918#section-2)).
    RouteRefresh,
    /// Extended next hop encoding
    /// ([RFC 8950 §4](https://www.rfc-editor.org/rfc/rfc8950#section-4)):
    /// (NLRI family, next-hop AFI) pairs. The NLRI SAFI is 2 octets on the
    /// wire; a value above 255 is malformed (SAFIs are one octet everywhere
    /// else).
    ExtendedNextHop(Vec<(Family, Afi)>),
    /// Extended messages up to 65535 octets
    /// ([RFC 8654 §3](https://www.rfc-editor.org/rfc/rfc8654#section-3)).
    ExtendedMessage,
    /// BGP Role ([RFC 9234 §4.1](https://www.rfc-editor.org/rfc/rfc9234#section-4.1)).
    Role(Role),
    /// Graceful Restart ([RFC 4724 §3](https://www.rfc-editor.org/rfc/rfc4724#section-3),
    /// N bit from [RFC 8538 §2](https://www.rfc-editor.org/rfc/rfc8538#section-2)).
    /// The reserved flag bits are sent as 0 and ignored on receipt.
    GracefulRestart {
        /// R bit: the speaker has restarted.
        restart_state: bool,
        /// N bit: the speaker supports the RFC 8538 NOTIFICATION procedures.
        notification: bool,
        /// Restart time in seconds (12 bits, at most 4095).
        restart_time: u16,
        /// The families whose state is preserved.
        families: Vec<GrFamily>,
    },
    /// 4-octet AS number support and the speaker's AS
    /// ([RFC 6793 §3](https://www.rfc-editor.org/rfc/rfc6793#section-3)).
    FourOctetAs(u32),
    /// ADD-PATH ([RFC 7911 §4](https://www.rfc-editor.org/rfc/rfc7911#section-4)).
    AddPath(Vec<(Family, AddPathMode)>),
    /// Enhanced route refresh ([RFC 7313 §3.1](https://www.rfc-editor.org/rfc/rfc7313#section-3.1)).
    EnhancedRouteRefresh,
    /// Long-Lived Graceful Restart ([RFC 9494 §3](https://www.rfc-editor.org/rfc/rfc9494#section-3)).
    LongLivedGr(Vec<LlgrFamily>),
    /// Hostname and domain name (draft-walton-bgp-hostname-capability).
    ///
    /// Both are kept as the received octets: the draft says UTF-8, but a peer
    /// can send anything, and keeping the bytes loses nothing. Use
    /// [`Capability::fqdn`] to build one and [`str::from_utf8`] to read it.
    Fqdn {
        /// The host name octets (at most 255, and together with `domain` at most 253).
        hostname: Vec<u8>,
        /// The domain name octets.
        domain: Vec<u8>,
    },
    /// Any capability this type does not decode, kept verbatim.
    Unknown {
        /// The capability code.
        code: CapabilityCode,
        /// The value octets (at most 255).
        data: Vec<u8>,
    },
}

impl Capability {
    /// An FQDN capability from host and domain name.
    pub fn fqdn(hostname: &str, domain: &str) -> Self {
        Self::Fqdn {
            hostname: hostname.as_bytes().to_vec(),
            domain: domain.as_bytes().to_vec(),
        }
    }

    /// Decodes the value of a capability with the given code.
    ///
    /// Codes this type does not decode become [`Capability::Unknown`]. For
    /// the others, a value of the wrong shape is
    /// [`CapabilityError::Malformed`].
    pub fn parse(code: CapabilityCode, value: &[u8]) -> Result<Self, CapabilityError> {
        let malformed = |reason| CapabilityError::Malformed { code, reason };
        let cap = match code {
            CapabilityCode::MULTIPROTOCOL => {
                let &[a0, a1, _reserved, safi] = value else {
                    return Err(malformed("length is not 4"));
                };
                Self::Multiprotocol(Family::new(Afi(u16::from_be_bytes([a0, a1])), Safi(safi)))
            }
            CapabilityCode::ROUTE_REFRESH => {
                empty(value).ok_or(malformed("length is not 0"))?;
                Self::RouteRefresh
            }
            CapabilityCode::EXTENDED_NEXT_HOP => {
                let entries = value.chunks_exact(6);
                if !entries.remainder().is_empty() {
                    return Err(malformed("length is not a multiple of 6"));
                }
                let mut v = Vec::with_capacity(value.len() / 6);
                for e in entries {
                    let &[a0, a1, s0, s1, n0, n1] = e else {
                        return Err(malformed("length is not a multiple of 6"));
                    };
                    if s0 != 0 {
                        return Err(malformed("NLRI SAFI above 255"));
                    }
                    let family = Family::new(Afi(u16::from_be_bytes([a0, a1])), Safi(s1));
                    v.push((family, Afi(u16::from_be_bytes([n0, n1]))));
                }
                Self::ExtendedNextHop(v)
            }
            CapabilityCode::EXTENDED_MESSAGE => {
                empty(value).ok_or(malformed("length is not 0"))?;
                Self::ExtendedMessage
            }
            CapabilityCode::ROLE => {
                let &[role] = value else {
                    return Err(malformed("length is not 1"));
                };
                Self::Role(Role(role))
            }
            CapabilityCode::GRACEFUL_RESTART => {
                let Some((&[f0, f1], rest)) = value.split_first_chunk::<2>() else {
                    return Err(malformed("shorter than 2 octets"));
                };
                let entries = rest.chunks_exact(4);
                if !entries.remainder().is_empty() {
                    return Err(malformed("family entries are not 4 octets each"));
                }
                let mut families = Vec::with_capacity(rest.len() / 4);
                for e in entries {
                    let &[a0, a1, safi, flags] = e else {
                        return Err(malformed("family entries are not 4 octets each"));
                    };
                    families.push(GrFamily {
                        family: Family::new(Afi(u16::from_be_bytes([a0, a1])), Safi(safi)),
                        forwarding: flags & GR_FORWARDING != 0,
                    });
                }
                let head = u16::from_be_bytes([f0, f1]);
                Self::GracefulRestart {
                    restart_state: head & GR_RESTART_STATE != 0,
                    notification: head & GR_NOTIFICATION != 0,
                    restart_time: head & GR_TIME_MASK,
                    families,
                }
            }
            CapabilityCode::FOUR_OCTET_AS => {
                let &[a, b, c, d] = value else {
                    return Err(malformed("length is not 4"));
                };
                Self::FourOctetAs(u32::from_be_bytes([a, b, c, d]))
            }
            CapabilityCode::ADD_PATH => {
                let entries = value.chunks_exact(4);
                if !entries.remainder().is_empty() {
                    return Err(malformed("length is not a multiple of 4"));
                }
                let mut v = Vec::with_capacity(value.len() / 4);
                for e in entries {
                    let &[a0, a1, safi, mode] = e else {
                        return Err(malformed("length is not a multiple of 4"));
                    };
                    let family = Family::new(Afi(u16::from_be_bytes([a0, a1])), Safi(safi));
                    v.push((family, AddPathMode(mode)));
                }
                Self::AddPath(v)
            }
            CapabilityCode::ENHANCED_ROUTE_REFRESH => {
                empty(value).ok_or(malformed("length is not 0"))?;
                Self::EnhancedRouteRefresh
            }
            CapabilityCode::LONG_LIVED_GR => {
                let entries = value.chunks_exact(7);
                if !entries.remainder().is_empty() {
                    return Err(malformed("length is not a multiple of 7"));
                }
                let mut v = Vec::with_capacity(value.len() / 7);
                for e in entries {
                    let &[a0, a1, safi, flags, t0, t1, t2] = e else {
                        return Err(malformed("length is not a multiple of 7"));
                    };
                    v.push(LlgrFamily {
                        family: Family::new(Afi(u16::from_be_bytes([a0, a1])), Safi(safi)),
                        forwarding: flags & GR_FORWARDING != 0,
                        stale_time: u32::from_be_bytes([0, t0, t1, t2]),
                    });
                }
                Self::LongLivedGr(v)
            }
            CapabilityCode::FQDN => {
                let (hostname, rest) =
                    length_prefixed(value).ok_or(malformed("host name overruns the value"))?;
                let (domain, rest) =
                    length_prefixed(rest).ok_or(malformed("domain name overruns the value"))?;
                empty(rest).ok_or(malformed("trailing octets after the domain name"))?;
                Self::Fqdn {
                    hostname: hostname.to_vec(),
                    domain: domain.to_vec(),
                }
            }
            _ => Self::Unknown {
                code,
                data: value.to_vec(),
            },
        };
        Ok(cap)
    }

    /// Whether [`Capability::parse`] decodes this code (rather than keeping it
    /// as [`Capability::Unknown`]).
    pub const fn is_decoded(code: CapabilityCode) -> bool {
        matches!(code.0, 1 | 2 | 5 | 6 | 9 | 64 | 65 | 69 | 70 | 71 | 73)
    }

    /// The capability code.
    pub fn code(&self) -> CapabilityCode {
        match self {
            Self::Multiprotocol(_) => CapabilityCode::MULTIPROTOCOL,
            Self::RouteRefresh => CapabilityCode::ROUTE_REFRESH,
            Self::ExtendedNextHop(_) => CapabilityCode::EXTENDED_NEXT_HOP,
            Self::ExtendedMessage => CapabilityCode::EXTENDED_MESSAGE,
            Self::Role(_) => CapabilityCode::ROLE,
            Self::GracefulRestart { .. } => CapabilityCode::GRACEFUL_RESTART,
            Self::FourOctetAs(_) => CapabilityCode::FOUR_OCTET_AS,
            Self::AddPath(_) => CapabilityCode::ADD_PATH,
            Self::EnhancedRouteRefresh => CapabilityCode::ENHANCED_ROUTE_REFRESH,
            Self::LongLivedGr(_) => CapabilityCode::LONG_LIVED_GR,
            Self::Fqdn { .. } => CapabilityCode::FQDN,
            Self::Unknown { code, .. } => *code,
        }
    }

    /// The length of the value on the wire (without code and length octets).
    ///
    /// For a value [`emit`](Self::emit) rejects this may exceed 255.
    pub fn value_len(&self) -> usize {
        match self {
            Self::RouteRefresh | Self::ExtendedMessage | Self::EnhancedRouteRefresh => 0,
            Self::Role(_) => 1,
            Self::Multiprotocol(_) | Self::FourOctetAs(_) => 4,
            Self::ExtendedNextHop(v) => 6 * v.len(),
            Self::GracefulRestart { families, .. } => 2 + 4 * families.len(),
            Self::AddPath(v) => 4 * v.len(),
            Self::LongLivedGr(v) => 7 * v.len(),
            Self::Fqdn { hostname, domain } => 2 + hostname.len() + domain.len(),
            Self::Unknown { data, .. } => data.len(),
        }
    }

    /// The length on the wire: code, length and value.
    pub fn encoded_len(&self) -> usize {
        2 + self.value_len()
    }

    /// Appends code, length and value to `out`.
    ///
    /// Fails, writing nothing, when the value does not fit the 1-octet length
    /// or a field does not fit its width (restart time above 4095, stale time
    /// above 2^24 - 1, host or domain name above 255 octets).
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), CapabilityEncodeError> {
        self.check_encodable()?;
        let len = u8::try_from(self.value_len()).map_err(|_| self.too_long())?;
        out.push(self.code().0);
        out.push(len);
        self.emit_value(out);
        Ok(())
    }

    /// Checks everything [`emit`](Self::emit) checks, without writing.
    pub fn check_encodable(&self) -> Result<(), CapabilityEncodeError> {
        let code = self.code();
        match self {
            Self::GracefulRestart { restart_time, .. } if *restart_time > GR_TIME_MASK => {
                return Err(CapabilityEncodeError::FieldOutOfRange {
                    code,
                    field: "restart time",
                });
            }
            Self::LongLivedGr(v) if v.iter().any(|e| e.stale_time > LlgrFamily::MAX_STALE_TIME) => {
                return Err(CapabilityEncodeError::FieldOutOfRange {
                    code,
                    field: "stale time",
                });
            }
            Self::Fqdn { hostname, domain } if hostname.len() > 255 || domain.len() > 255 => {
                return Err(CapabilityEncodeError::FieldOutOfRange {
                    code,
                    field: "name length",
                });
            }
            _ => {}
        }
        if self.value_len() > MAX_CAPABILITY_VALUE_LEN {
            return Err(self.too_long());
        }
        Ok(())
    }

    fn too_long(&self) -> CapabilityEncodeError {
        CapabilityEncodeError::ValueTooLong {
            code: self.code(),
            len: self.value_len(),
        }
    }

    /// Writes the value; the caller has run [`check_encodable`](Self::check_encodable).
    fn emit_value(&self, out: &mut Vec<u8>) {
        match self {
            Self::RouteRefresh | Self::ExtendedMessage | Self::EnhancedRouteRefresh => {}
            Self::Multiprotocol(f) => {
                out.extend_from_slice(&f.afi.0.to_be_bytes());
                out.push(0);
                out.push(f.safi.0);
            }
            Self::ExtendedNextHop(v) => {
                for (f, nh) in v {
                    out.extend_from_slice(&f.afi.0.to_be_bytes());
                    out.extend_from_slice(&u16::from(f.safi.0).to_be_bytes());
                    out.extend_from_slice(&nh.0.to_be_bytes());
                }
            }
            Self::Role(r) => out.push(r.0),
            Self::GracefulRestart {
                restart_state,
                notification,
                restart_time,
                families,
            } => {
                let mut head = restart_time & GR_TIME_MASK;
                if *restart_state {
                    head |= GR_RESTART_STATE;
                }
                if *notification {
                    head |= GR_NOTIFICATION;
                }
                out.extend_from_slice(&head.to_be_bytes());
                for e in families {
                    out.extend_from_slice(&e.family.afi.0.to_be_bytes());
                    out.push(e.family.safi.0);
                    out.push(if e.forwarding { GR_FORWARDING } else { 0 });
                }
            }
            Self::FourOctetAs(asn) => out.extend_from_slice(&asn.to_be_bytes()),
            Self::AddPath(v) => {
                for (f, mode) in v {
                    out.extend_from_slice(&f.afi.0.to_be_bytes());
                    out.push(f.safi.0);
                    out.push(mode.0);
                }
            }
            Self::LongLivedGr(v) => {
                for e in v {
                    out.extend_from_slice(&e.family.afi.0.to_be_bytes());
                    out.push(e.family.safi.0);
                    out.push(if e.forwarding { GR_FORWARDING } else { 0 });
                    let [_, t0, t1, t2] = e.stale_time.to_be_bytes();
                    out.extend_from_slice(&[t0, t1, t2]);
                }
            }
            Self::Fqdn { hostname, domain } => {
                for name in [hostname, domain] {
                    // Checked by `check_encodable`: both fit one octet.
                    out.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
                    out.extend_from_slice(name);
                }
            }
            Self::Unknown { data, .. } => out.extend_from_slice(data),
        }
    }
}

/// R bit of the Graceful Restart flags ([RFC 4724 §3]).
///
/// [RFC 4724 §3]: https://www.rfc-editor.org/rfc/rfc4724#section-3
const GR_RESTART_STATE: u16 = 0x8000;
/// N bit ([RFC 8538 §2](https://www.rfc-editor.org/rfc/rfc8538#section-2)).
const GR_NOTIFICATION: u16 = 0x4000;
/// The 12-bit restart time.
const GR_TIME_MASK: u16 = 0x0fff;
/// F bit of a per-family flags octet (GR and LLGR).
const GR_FORWARDING: u8 = 0x80;

/// `Some(())` when `value` is empty.
fn empty(value: &[u8]) -> Option<()> {
    value.is_empty().then_some(())
}

/// Splits a 1-octet-length-prefixed string off `value`.
fn length_prefixed(value: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&len, rest) = value.split_first()?;
    rest.split_at_checked(usize::from(len))
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for LlgrFamily {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self {
            family: u.arbitrary()?,
            forwarding: u.arbitrary()?,
            stale_time: u.int_in_range(0..=Self::MAX_STALE_TIME)?,
        })
    }
}

/// Builds only values that [`Capability::emit`] accepts and that
/// [`Capability::parse`] gives back unchanged.
#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Capability {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        fn list<'a, T: arbitrary::Arbitrary<'a>>(
            u: &mut arbitrary::Unstructured<'a>,
            max: usize,
        ) -> arbitrary::Result<Vec<T>> {
            let n = u.int_in_range(0..=max)?;
            (0..n).map(|_| u.arbitrary()).collect()
        }
        fn bytes(u: &mut arbitrary::Unstructured<'_>, max: usize) -> arbitrary::Result<Vec<u8>> {
            let n = u.int_in_range(0..=max)?;
            Ok(u.bytes(n)?.to_vec())
        }
        Ok(match u.int_in_range(0..=11u8)? {
            0 => Self::Multiprotocol(u.arbitrary()?),
            1 => Self::RouteRefresh,
            2 => Self::ExtendedNextHop(list(u, 255 / 6)?),
            3 => Self::ExtendedMessage,
            4 => Self::Role(u.arbitrary()?),
            5 => Self::GracefulRestart {
                restart_state: u.arbitrary()?,
                notification: u.arbitrary()?,
                restart_time: u.int_in_range(0..=GR_TIME_MASK)?,
                families: list(u, (255 - 2) / 4)?,
            },
            6 => Self::FourOctetAs(u.arbitrary()?),
            7 => Self::AddPath(list(u, 255 / 4)?),
            8 => Self::EnhancedRouteRefresh,
            9 => Self::LongLivedGr(list(u, 255 / 7)?),
            10 => {
                let hostname = bytes(u, 126)?;
                let domain = bytes(u, 127)?;
                Self::Fqdn { hostname, domain }
            }
            _ => {
                let mut code = CapabilityCode(u.arbitrary()?);
                if Self::is_decoded(code) {
                    // Every decoded code is below 128.
                    code.0 |= 0x80;
                }
                Self::Unknown {
                    code,
                    data: bytes(u, 255)?,
                }
            }
        })
    }
}

//----------- Iteration -------------------------------------------------------

/// One capability TLV, borrowed from the parameter that holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawCapability<'a> {
    /// The capability code.
    pub code: CapabilityCode,
    /// The value octets.
    pub value: &'a [u8],
}

impl RawCapability<'_> {
    /// Decodes the value ([`Capability::parse`]).
    pub fn parse(&self) -> Result<Capability, CapabilityError> {
        Capability::parse(self.code, self.value)
    }
}

/// Iterates over the capability TLVs in the value of one Capabilities
/// optional parameter ([RFC 5492 §4](https://www.rfc-editor.org/rfc/rfc5492#section-4)).
///
/// Yields `Err` once if a TLV runs past the end of the value, then stops.
/// Does not allocate and never reads outside `value`.
#[derive(Clone, Debug)]
pub struct CapabilityIter<'a> {
    rest: &'a [u8],
}

impl<'a> CapabilityIter<'a> {
    /// An iterator over the TLVs in `value`.
    pub fn new(value: &'a [u8]) -> Self {
        Self { rest: value }
    }
}

impl<'a> Iterator for CapabilityIter<'a> {
    type Item = Result<RawCapability<'a>, CapabilityError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let rest = core::mem::take(&mut self.rest);
        let Some((&[code, len], after)) = rest.split_first_chunk::<2>() else {
            return Some(Err(CapabilityError::TruncatedHeader { left: rest.len() }));
        };
        let code = CapabilityCode(code);
        let Some((value, after)) = after.split_at_checked(usize::from(len)) else {
            return Some(Err(CapabilityError::Overrun {
                code,
                len,
                left: after.len(),
            }));
        };
        self.rest = after;
        Some(Ok(RawCapability { code, value }))
    }
}

impl core::iter::FusedIterator for CapabilityIter<'_> {}

/// Decodes every capability in the value of one Capabilities parameter.
pub fn parse_capabilities(value: &[u8]) -> Result<Vec<Capability>, CapabilityError> {
    CapabilityIter::new(value)
        .map(|raw| raw.and_then(|raw| raw.parse()))
        .collect()
}

//----------- Errors ----------------------------------------------------------

/// A malformed capability or Capabilities parameter.
///
/// Every variant maps to OPEN Message Error / Unspecific (2/0) without data
/// ([`notification`](Self::notification)): RFC 4271 §6.2 prescribes subcode
/// 0 for a recognised optional parameter that is malformed, and RFC 5492
/// defines nothing more specific.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CapabilityError {
    /// One octet is left in the parameter where a 2-octet TLV header must be.
    #[error("capability header truncated: {left} octet(s) left in the parameter")]
    TruncatedHeader {
        /// The octets left.
        left: usize,
    },
    /// The TLV length runs past the end of the parameter.
    #[error("{code:?} capability length {len} overruns the parameter ({left} octet(s) left)")]
    Overrun {
        /// The capability code.
        code: CapabilityCode,
        /// The length field.
        len: u8,
        /// The octets left in the parameter after the TLV header.
        left: usize,
    },
    /// A capability this crate decodes has a value of the wrong shape.
    #[error("malformed {code:?} capability: {reason}")]
    Malformed {
        /// The capability code.
        code: CapabilityCode,
        /// What is wrong.
        reason: &'static str,
    },
}

impl CapabilityError {
    /// The NOTIFICATION to send: OPEN Message Error / Unspecific (2/0).
    pub fn notification(&self) -> Notification {
        Notification::new(ErrorCode::OPEN_MESSAGE, 0, Vec::new())
    }
}

/// A capability that cannot be encoded (a caller mistake, not peer input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CapabilityEncodeError {
    /// The value is longer than the 255 octets its length field holds.
    #[error("{code:?} capability value of {len} octets exceeds 255")]
    ValueTooLong {
        /// The capability code.
        code: CapabilityCode,
        /// The value length.
        len: usize,
    },
    /// A field is wider than its wire encoding.
    #[error("{code:?} capability: {field} out of range")]
    FieldOutOfRange {
        /// The capability code.
        code: CapabilityCode,
        /// Which field.
        field: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use arbitrary::{Arbitrary, Unstructured};
    use proptest::prelude::*;

    use super::*;

    fn encode(c: &Capability) -> Vec<u8> {
        let mut out = Vec::new();
        c.emit(&mut out).expect("encodable");
        out
    }

    fn decode_one(bytes: &[u8]) -> Result<Capability, CapabilityError> {
        let mut it = CapabilityIter::new(bytes);
        let raw = it.next().expect("one TLV")?;
        assert!(it.next().is_none());
        raw.parse()
    }

    #[test]
    fn known_vectors() {
        // Multiprotocol IPv6 unicast, reserved octet ignored.
        assert_eq!(
            decode_one(&[1, 4, 0, 2, 0x5a, 1]),
            Ok(Capability::Multiprotocol(Family::IPV6_UNICAST))
        );
        assert_eq!(
            encode(&Capability::Multiprotocol(Family::IPV6_UNICAST)),
            [1, 4, 0, 2, 0, 1]
        );
        // 4-octet AS 4200000000.
        let bytes = [65, 4, 0xfa, 0x56, 0xea, 0x00];
        assert_eq!(
            decode_one(&bytes),
            Ok(Capability::FourOctetAs(4_200_000_000))
        );
        assert_eq!(encode(&Capability::FourOctetAs(4_200_000_000)), bytes);
        // RFC 8950: IPv4 unicast with IPv6 next hop.
        let bytes = [5, 6, 0, 1, 0, 1, 0, 2];
        let enh = Capability::ExtendedNextHop(vec![(Family::IPV4_UNICAST, Afi::IPV6)]);
        assert_eq!(decode_one(&bytes), Ok(enh.clone()));
        assert_eq!(encode(&enh), bytes);
        // Graceful restart: R and N set, 120 s, IPv4 unicast with F bit.
        let bytes = [64, 6, 0xc0, 0x78, 0, 1, 1, 0x80];
        let gr = Capability::GracefulRestart {
            restart_state: true,
            notification: true,
            restart_time: 120,
            families: vec![GrFamily {
                family: Family::IPV4_UNICAST,
                forwarding: true,
            }],
        };
        assert_eq!(decode_one(&bytes), Ok(gr.clone()));
        assert_eq!(encode(&gr), bytes);
        // Reserved GR bits are ignored.
        assert_eq!(
            decode_one(&[64, 2, 0x30, 0x00]),
            Ok(Capability::GracefulRestart {
                restart_state: false,
                notification: false,
                restart_time: 0,
                families: vec![],
            })
        );
        // ADD-PATH IPv4 unicast send/receive, plus an unknown mode kept.
        let bytes = [69, 8, 0, 1, 1, 3, 0, 2, 1, 7];
        let ap = Capability::AddPath(vec![
            (Family::IPV4_UNICAST, AddPathMode::BOTH),
            (Family::IPV6_UNICAST, AddPathMode(7)),
        ]);
        assert_eq!(decode_one(&bytes), Ok(ap.clone()));
        assert_eq!(encode(&ap), bytes);
        assert!(!AddPathMode(7).can_send() && !AddPathMode(7).can_receive());
        assert!(AddPathMode::BOTH.can_send() && AddPathMode::RECEIVE.can_receive());
        // LLGR: IPv6 unicast, F bit, stale time 0x010203.
        let bytes = [71, 7, 0, 2, 1, 0x80, 1, 2, 3];
        let llgr = Capability::LongLivedGr(vec![LlgrFamily {
            family: Family::IPV6_UNICAST,
            forwarding: true,
            stale_time: 0x010203,
        }]);
        assert_eq!(decode_one(&bytes), Ok(llgr.clone()));
        assert_eq!(encode(&llgr), bytes);
        // Role customer.
        assert_eq!(decode_one(&[9, 1, 3]), Ok(Capability::Role(Role::CUSTOMER)));
        assert_eq!(format!("{:?}", Role(9)), "Role(9)");
        // FQDN "r1" / "" as FRR sends it; invalid UTF-8 is kept.
        let bytes = [73, 4, 2, b'r', b'1', 0];
        assert_eq!(decode_one(&bytes), Ok(Capability::fqdn("r1", "")));
        assert_eq!(encode(&Capability::fqdn("r1", "")), bytes);
        assert_eq!(
            decode_one(&[73, 3, 1, 0xff, 0]),
            Ok(Capability::Fqdn {
                hostname: vec![0xff],
                domain: vec![]
            })
        );
        // Empty ones.
        assert_eq!(decode_one(&[2, 0]), Ok(Capability::RouteRefresh));
        assert_eq!(decode_one(&[6, 0]), Ok(Capability::ExtendedMessage));
        assert_eq!(decode_one(&[70, 0]), Ok(Capability::EnhancedRouteRefresh));
        // Unknown codes (here Cisco route refresh and ORF) are kept.
        assert_eq!(
            decode_one(&[128, 0]),
            Ok(Capability::Unknown {
                code: CapabilityCode::ROUTE_REFRESH_CISCO,
                data: vec![]
            })
        );
        let orf = [3, 5, 0, 1, 0, 1, 0];
        assert_eq!(
            decode_one(&orf),
            Ok(Capability::Unknown {
                code: CapabilityCode::ORF,
                data: vec![0, 1, 0, 1, 0]
            })
        );
        assert_eq!(encode(&decode_one(&orf).unwrap()), orf);
    }

    #[test]
    fn malformed_known_capabilities() {
        let cases: &[&[u8]] = &[
            &[1, 3, 0, 1, 0],           // MP: 3 octets
            &[1, 5, 0, 1, 0, 1, 0],     // MP: 5 octets
            &[2, 1, 0],                 // route refresh with a value
            &[5, 5, 0, 1, 0, 1, 0],     // ENH: not a multiple of 6
            &[5, 6, 0, 1, 1, 1, 0, 2],  // ENH: SAFI 257
            &[9, 0],                    // role: empty
            &[64, 1, 0],                // GR: too short
            &[64, 5, 0, 0, 0, 1, 1],    // GR: partial family
            &[65, 2, 0, 1],             // 4-octet AS: 2 octets
            &[69, 3, 0, 1, 1],          // ADD-PATH: partial entry
            &[71, 6, 0, 1, 1, 0, 0, 0], // LLGR: partial entry
            &[73, 3, 5, b'a', 0],       // FQDN: host name overruns
            &[73, 2, 0, 1],             // FQDN: domain overruns
            &[73, 1, 0],                // FQDN: domain length missing
            &[73, 3, 0, 0, 0],          // FQDN: trailing octet
        ];
        for bytes in cases {
            let err = decode_one(bytes).expect_err("malformed");
            assert!(
                matches!(err, CapabilityError::Malformed { .. }),
                "{bytes:?}: {err}"
            );
            let n = err.notification();
            assert_eq!(
                (n.code, n.subcode, n.data.len()),
                (ErrorCode::OPEN_MESSAGE, 0, 0)
            );
        }
    }

    #[test]
    fn iterator_stops_at_overrun() {
        // Two good TLVs, then one that claims 4 octets with 2 left.
        let bytes = [2, 0, 70, 0, 65, 4, 0, 1];
        let items: Vec<_> = CapabilityIter::new(&bytes).collect();
        assert_eq!(items.len(), 3);
        assert_eq!(
            items[2],
            Err(CapabilityError::Overrun {
                code: CapabilityCode::FOUR_OCTET_AS,
                len: 4,
                left: 2
            })
        );
        // A single trailing octet cannot hold a header.
        let items: Vec<_> = CapabilityIter::new(&[2, 0, 65]).collect();
        assert_eq!(items[1], Err(CapabilityError::TruncatedHeader { left: 1 }));
        assert_eq!(items.len(), 2);
        assert_eq!(parse_capabilities(&[]), Ok(vec![]));
        assert_eq!(
            parse_capabilities(&[2, 0, 6, 0]),
            Ok(vec![Capability::RouteRefresh, Capability::ExtendedMessage])
        );
    }

    #[test]
    fn encode_errors() {
        let gr = Capability::GracefulRestart {
            restart_state: false,
            notification: false,
            restart_time: 4096,
            families: vec![],
        };
        let mut out = vec![0xa5];
        assert!(matches!(
            gr.emit(&mut out),
            Err(CapabilityEncodeError::FieldOutOfRange { .. })
        ));
        let llgr = Capability::LongLivedGr(vec![LlgrFamily {
            family: Family::IPV4_UNICAST,
            forwarding: false,
            stale_time: 1 << 24,
        }]);
        assert!(llgr.emit(&mut out).is_err());
        let big = Capability::Unknown {
            code: CapabilityCode(200),
            data: vec![0; 256],
        };
        assert_eq!(
            big.emit(&mut out),
            Err(CapabilityEncodeError::ValueTooLong {
                code: CapabilityCode(200),
                len: 256
            })
        );
        let fqdn = Capability::Fqdn {
            hostname: vec![b'a'; 200],
            domain: vec![b'b'; 60],
        };
        assert!(fqdn.emit(&mut out).is_err());
        let ap = Capability::AddPath(vec![(Family::IPV4_UNICAST, AddPathMode::BOTH); 64]);
        assert!(ap.emit(&mut out).is_err());
        // Nothing was written.
        assert_eq!(out, [0xa5]);
    }

    proptest! {
        #[test]
        fn round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            let mut u = Unstructured::new(&bytes);
            if let Ok(cap) = Capability::arbitrary(&mut u) {
                let wire = encode(&cap);
                prop_assert_eq!(wire.len(), cap.encoded_len());
                prop_assert_eq!(decode_one(&wire), Ok(cap));
            }
        }

        #[test]
        fn parse_never_panics(code: u8, value in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(cap) = Capability::parse(CapabilityCode(code), &value) {
                // Whatever parses re-encodes to the same length.
                prop_assert_eq!(cap.value_len(), value.len());
            }
            let _ = parse_capabilities(&value);
        }
    }
}

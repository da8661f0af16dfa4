//! MRT routing information export format ([RFC 6396]), with the ADD-PATH
//! extensions of [RFC 8050].
//!
//! Three levels, as for BGP messages:
//! * [`MrtRecord`] frames one record (common header, body) over a byte
//!   buffer without copying; [`Records`] walks a buffer record by record and
//!   [`MrtReader`] does the same over any [`std::io::Read`], holding one
//!   record (and one read chunk) at a time, never the whole file.
//! * [`MrtRecord::decode`] types the body: [`Record`] is TABLE_DUMP,
//!   TABLE_DUMP_V2 (peer index table, RIB records, RIB_GENERIC and their
//!   ADD-PATH forms), BGP4MP and BGP4MP_ET (state changes and messages in
//!   every subtype). The BGP message in a BGP4MP record is decoded by this
//!   crate's codec under the context the subtype implies
//!   ([`Bgp4mpMessage::context`]); the attributes of a RIB entry by
//!   [`Update::from_rib_attributes`].
//! * [`MrtWriter`] writes TABLE_DUMP_V2 and BGP4MP_ET records, so tests and
//!   tools can produce MRT.
//!
//! Damaged input never panics: each error is an [`MrtError`] that names the
//! byte offset of the record it is about. Readers go on after an error in a
//! record's body (the framing still holds) and stop at a truncated record.
//!
//! [RFC 6396]: https://www.rfc-editor.org/rfc/rfc6396
//! [RFC 8050]: https://www.rfc-editor.org/rfc/rfc8050

use std::fmt;
use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::codepoint::{Afi, Safi};
use crate::context::SessionContext;
use crate::header::MAX_EXTENDED_MESSAGE_LEN;
use crate::message::{Message, parse_message};
use crate::types::{Family, FamilySet, Nlri, v4_prefix, v6_prefix};
use crate::update::Update;

/// Length of the MRT common header: timestamp, type, subtype, length.
pub const HEADER_LEN: usize = 12;

/// The largest record body [`MrtReader`] accepts by default (16 MiB). MRT
/// lengths are 32-bit; the bound keeps a lying length from allocating
/// gigabytes.
pub const DEFAULT_MAX_RECORD_LEN: usize = 16 << 20;

/// MRT record types (RFC 6396 §4).
pub mod types {
    /// TABLE_DUMP (§4.2).
    pub const TABLE_DUMP: u16 = 12;
    /// TABLE_DUMP_V2 (§4.3).
    pub const TABLE_DUMP_V2: u16 = 13;
    /// BGP4MP (§4.4).
    pub const BGP4MP: u16 = 16;
    /// BGP4MP_ET: BGP4MP with a microsecond timestamp (§3, §4.4).
    pub const BGP4MP_ET: u16 = 17;
}

/// TABLE_DUMP_V2 subtypes (RFC 6396 §4.3, RFC 8050 §4).
pub mod tdv2 {
    /// PEER_INDEX_TABLE.
    pub const PEER_INDEX_TABLE: u16 = 1;
    /// RIB_IPV4_UNICAST.
    pub const RIB_IPV4_UNICAST: u16 = 2;
    /// RIB_IPV4_MULTICAST.
    pub const RIB_IPV4_MULTICAST: u16 = 3;
    /// RIB_IPV6_UNICAST.
    pub const RIB_IPV6_UNICAST: u16 = 4;
    /// RIB_IPV6_MULTICAST.
    pub const RIB_IPV6_MULTICAST: u16 = 5;
    /// RIB_GENERIC.
    pub const RIB_GENERIC: u16 = 6;
    /// RIB_IPV4_UNICAST_ADDPATH.
    pub const RIB_IPV4_UNICAST_ADDPATH: u16 = 8;
    /// RIB_IPV4_MULTICAST_ADDPATH.
    pub const RIB_IPV4_MULTICAST_ADDPATH: u16 = 9;
    /// RIB_IPV6_UNICAST_ADDPATH.
    pub const RIB_IPV6_UNICAST_ADDPATH: u16 = 10;
    /// RIB_IPV6_MULTICAST_ADDPATH.
    pub const RIB_IPV6_MULTICAST_ADDPATH: u16 = 11;
    /// RIB_GENERIC_ADDPATH.
    pub const RIB_GENERIC_ADDPATH: u16 = 12;
}

/// BGP4MP subtypes (RFC 6396 §4.4, RFC 8050 §3).
pub mod bgp4mp {
    /// STATE_CHANGE.
    pub const STATE_CHANGE: u16 = 0;
    /// MESSAGE.
    pub const MESSAGE: u16 = 1;
    /// MESSAGE_AS4.
    pub const MESSAGE_AS4: u16 = 4;
    /// STATE_CHANGE_AS4.
    pub const STATE_CHANGE_AS4: u16 = 5;
    /// MESSAGE_LOCAL.
    pub const MESSAGE_LOCAL: u16 = 6;
    /// MESSAGE_AS4_LOCAL.
    pub const MESSAGE_AS4_LOCAL: u16 = 7;
    /// MESSAGE_ADDPATH.
    pub const MESSAGE_ADDPATH: u16 = 8;
    /// MESSAGE_AS4_ADDPATH.
    pub const MESSAGE_AS4_ADDPATH: u16 = 9;
    /// MESSAGE_LOCAL_ADDPATH.
    pub const MESSAGE_LOCAL_ADDPATH: u16 = 10;
    /// MESSAGE_AS4_LOCAL_ADDPATH.
    pub const MESSAGE_AS4_LOCAL_ADDPATH: u16 = 11;
}

//----------- Errors ----------------------------------------------------------

/// What is wrong with a record.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MrtErrorKind {
    /// The input ends inside a record: `have` of `need` octets (header
    /// included) are present.
    Truncated {
        /// Octets present from the record's start.
        have: u64,
        /// Octets the header says the record has.
        need: u64,
    },
    /// The length field exceeds the reader's bound.
    TooLong {
        /// The body length the header gives.
        len: u64,
        /// The bound.
        max: usize,
    },
    /// The body does not have the shape its type and subtype require (a
    /// length field that lies, a count that overruns): what was being read.
    Malformed(&'static str),
    /// The BGP message inside a BGP4MP record cannot be decoded.
    Bgp(String),
    /// Reading the input failed.
    Io(io::ErrorKind),
}

/// An error about the record that starts at byte `offset` of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MrtError {
    /// Byte offset of the record's common header in the input.
    pub offset: u64,
    /// What is wrong.
    pub kind: MrtErrorKind,
}

impl fmt::Display for MrtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MRT record at offset {}: ", self.offset)?;
        match &self.kind {
            MrtErrorKind::Truncated { have, need } => {
                write!(f, "truncated: {have} of {need} octets")
            }
            MrtErrorKind::TooLong { len, max } => {
                write!(f, "length {len} exceeds the limit of {max}")
            }
            MrtErrorKind::Malformed(what) => write!(f, "malformed {what}"),
            MrtErrorKind::Bgp(e) => write!(f, "BGP message: {e}"),
            MrtErrorKind::Io(k) => write!(f, "I/O error: {k}"),
        }
    }
}

impl std::error::Error for MrtError {}

//----------- Framing ---------------------------------------------------------

/// One MRT record over a borrowed buffer: the common header, decoded, and
/// the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MrtRecord<'a> {
    /// Byte offset of the record in its input.
    pub offset: u64,
    /// Seconds since the Unix epoch.
    pub timestamp: u32,
    /// Microseconds, for the `_ET` types (RFC 6396 §3).
    pub microseconds: Option<u32>,
    /// The record type.
    pub ty: u16,
    /// The subtype.
    pub subtype: u16,
    /// The body (after the microsecond field of `_ET` types).
    pub body: &'a [u8],
}

/// The fields of a common header: `(timestamp, type, subtype, length)`.
#[inline]
fn header(b: &[u8; HEADER_LEN]) -> (u32, u16, u16, u32) {
    (
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_be_bytes([b[4], b[5]]),
        u16::from_be_bytes([b[6], b[7]]),
        u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
    )
}

impl<'a> MrtRecord<'a> {
    /// Frames the record at the start of `buf`, which sits at byte `offset`
    /// of the input: `Ok((record, rest))`, or `Truncated` if `buf` ends
    /// before the record does.
    #[inline(always)]
    pub fn parse(buf: &'a [u8], offset: u64) -> Result<(Self, &'a [u8]), MrtError> {
        let err = |kind| MrtError { offset, kind };
        let Some((h, rest)) = buf.split_first_chunk::<HEADER_LEN>() else {
            return Err(err(MrtErrorKind::Truncated {
                have: buf.len() as u64,
                need: HEADER_LEN as u64,
            }));
        };
        let (timestamp, ty, subtype, len) = header(h);
        let Some((body, rest)) = rest.split_at_checked(len as usize) else {
            return Err(err(MrtErrorKind::Truncated {
                have: buf.len() as u64,
                need: HEADER_LEN as u64 + u64::from(len),
            }));
        };
        Ok((
            Self::from_parts(offset, timestamp, ty, subtype, body)?,
            rest,
        ))
    }

    #[inline(always)]
    fn from_parts(
        offset: u64,
        timestamp: u32,
        ty: u16,
        subtype: u16,
        body: &'a [u8],
    ) -> Result<Self, MrtError> {
        let (microseconds, body) = if ty == types::BGP4MP_ET {
            let Some((us, body)) = body.split_first_chunk::<4>() else {
                return Err(MrtError {
                    offset,
                    kind: MrtErrorKind::Malformed("extended timestamp"),
                });
            };
            (Some(u32::from_be_bytes(*us)), body)
        } else {
            (None, body)
        };
        Ok(Self {
            offset,
            timestamp,
            microseconds,
            ty,
            subtype,
            body,
        })
    }

    fn err(&self, what: &'static str) -> MrtError {
        MrtError {
            offset: self.offset,
            kind: MrtErrorKind::Malformed(what),
        }
    }

    /// Types the body. Unknown types and subtypes give [`Record::Unknown`].
    // Always inlined: the two record kinds that make up large files (RIB
    // entries, BGP4MP messages) are then typed in the caller's loop without
    // moving a `Record` through an out-of-line return; the others go to
    // `decode_other`.
    #[inline(always)]
    pub fn decode(&self) -> Result<Record<'a>, MrtError> {
        let mut r = Cur(self.body);
        match (self.ty, self.subtype) {
            (types::TABLE_DUMP_V2, st @ (2..=5 | 8..=11)) => {
                let family = match st {
                    2 | 8 => Family::IPV4_UNICAST,
                    3 | 9 => Family::IPV4_MULTICAST,
                    4 | 10 => Family::IPV6_UNICAST,
                    _ => Family::IPV6_MULTICAST,
                };
                Ok(Record::Rib(self.rib(&mut r, family, st >= 8)?))
            }
            (types::BGP4MP | types::BGP4MP_ET, st @ (1 | 4 | 6..=11)) => {
                let as4 = matches!(st, 4 | 7 | 9 | 11);
                let (peer, local) = self.peers(&mut r, as4)?;
                Ok(Record::Message(Bgp4mpMessage {
                    offset: self.offset,
                    peer,
                    local,
                    four_octet_as: as4,
                    local_message: matches!(st, 6 | 7 | 10 | 11),
                    add_path: st >= 8,
                    message: r.0,
                }))
            }
            _ => self.decode_other(),
        }
    }

    /// [`MrtRecord::decode`] for the record kinds other than RIB entries and
    /// BGP4MP messages.
    #[inline(never)]
    fn decode_other(&self) -> Result<Record<'a>, MrtError> {
        let mut r = Cur(self.body);
        let rec = match (self.ty, self.subtype) {
            (types::TABLE_DUMP, 1 | 2) => Record::TableDump(self.table_dump(&mut r)?),
            (types::TABLE_DUMP_V2, tdv2::PEER_INDEX_TABLE) => {
                Record::PeerIndexTable(self.peer_index(&mut r)?)
            }
            (types::TABLE_DUMP_V2, st @ (tdv2::RIB_GENERIC | tdv2::RIB_GENERIC_ADDPATH)) => {
                Record::Rib(self.rib_generic(&mut r, st == tdv2::RIB_GENERIC_ADDPATH)?)
            }
            (
                types::BGP4MP | types::BGP4MP_ET,
                st @ (bgp4mp::STATE_CHANGE | bgp4mp::STATE_CHANGE_AS4),
            ) => {
                let (peer, local) = self.peers(&mut r, st == bgp4mp::STATE_CHANGE_AS4)?;
                let old_state = r.u16().ok_or_else(|| self.err("state change"))?;
                let new_state = r.u16().ok_or_else(|| self.err("state change"))?;
                Record::StateChange(StateChange {
                    peer,
                    local,
                    old_state,
                    new_state,
                })
            }
            _ => Record::Unknown,
        };
        Ok(rec)
    }

    fn table_dump(&self, r: &mut Cur<'a>) -> Result<TableDump<'a>, MrtError> {
        let v6 = self.subtype == 2;
        let e = || self.err("TABLE_DUMP entry");
        let view = r.u16().ok_or_else(e)?;
        let sequence = r.u16().ok_or_else(e)?;
        let addr = r.addr(v6).ok_or_else(e)?;
        let len = r.u8().ok_or_else(e)?;
        let prefix = match addr {
            IpAddr::V4(a) if len <= 32 => ipnet::IpNet::V4(v4_prefix(len, &a.octets())),
            IpAddr::V6(a) if len <= 128 => ipnet::IpNet::V6(v6_prefix(len, &a.octets())),
            _ => return Err(self.err("TABLE_DUMP prefix length")),
        };
        let status = r.u8().ok_or_else(e)?;
        let originated = r.u32().ok_or_else(e)?;
        let peer_addr = r.addr(v6).ok_or_else(e)?;
        let peer_as = u32::from(r.u16().ok_or_else(e)?);
        let alen = r.u16().ok_or_else(e)?;
        let attributes = r.take(usize::from(alen)).ok_or_else(e)?;
        Ok(TableDump {
            view,
            sequence,
            prefix,
            status,
            originated,
            peer_addr,
            peer_as,
            attributes,
        })
    }

    fn peer_index(&self, r: &mut Cur<'a>) -> Result<PeerIndexTable<'a>, MrtError> {
        let e = || self.err("PEER_INDEX_TABLE");
        let collector_id = Ipv4Addr::from(r.u32().ok_or_else(e)?);
        let nlen = r.u16().ok_or_else(e)?;
        let view_name = r.take(usize::from(nlen)).ok_or_else(e)?;
        let count = r.u16().ok_or_else(e)?;
        let entries = r.0;
        // Validate once so that iterating cannot fail.
        let mut c = Cur(entries);
        for _ in 0..count {
            c.peer_entry().ok_or_else(e)?;
        }
        Ok(PeerIndexTable {
            collector_id,
            view_name,
            count,
            entries,
        })
    }

    #[inline(always)]
    fn rib(&self, r: &mut Cur<'a>, family: Family, add_path: bool) -> Result<Rib<'a>, MrtError> {
        let e = || self.err("RIB record");
        let sequence = r.u32().ok_or_else(e)?;
        let bits = r.u8().ok_or_else(e)?;
        let v6 = family.afi == Afi::IPV6;
        if bits > if v6 { 128 } else { 32 } {
            return Err(self.err("RIB prefix length"));
        }
        let bytes = r.take(usize::from(bits).div_ceil(8)).ok_or_else(e)?;
        let prefix = if v6 {
            ipnet::IpNet::V6(v6_prefix(bits, bytes))
        } else {
            ipnet::IpNet::V4(v4_prefix(bits, bytes))
        };
        self.rib_entries(r, sequence, family, Some(prefix), &[], add_path)
    }

    fn rib_generic(&self, r: &mut Cur<'a>, add_path: bool) -> Result<Rib<'a>, MrtError> {
        let e = || self.err("RIB_GENERIC record");
        let sequence = r.u32().ok_or_else(e)?;
        let afi = r.u16().ok_or_else(e)?;
        let safi = r.u8().ok_or_else(e)?;
        let family = Family::new(Afi(afi), Safi(safi));
        // The NLRI is one entry in the family's encoding; for the families
        // this crate knows, a length octet and the prefix octets.
        let nlri = if family.is_prefix_family() {
            let bits = *r.0.first().ok_or_else(e)?;
            if bits > family.max_prefix_len() {
                return Err(self.err("RIB_GENERIC prefix length"));
            }
            r.take(1 + usize::from(bits).div_ceil(8)).ok_or_else(e)?
        } else {
            // Unknown encoding: the entry count cannot be located.
            return Ok(Rib {
                sequence,
                family,
                prefix: None,
                nlri: r.0,
                add_path,
                count: 0,
                entries: &[],
                offset: self.offset,
            });
        };
        let prefix = if family.afi == Afi::IPV6 {
            ipnet::IpNet::V6(v6_prefix(nlri[0], &nlri[1..]))
        } else {
            ipnet::IpNet::V4(v4_prefix(nlri[0], &nlri[1..]))
        };
        self.rib_entries(r, sequence, family, Some(prefix), nlri, add_path)
    }

    #[inline(always)]
    fn rib_entries(
        &self,
        r: &mut Cur<'a>,
        sequence: u32,
        family: Family,
        prefix: Option<ipnet::IpNet>,
        nlri: &'a [u8],
        add_path: bool,
    ) -> Result<Rib<'a>, MrtError> {
        let e = || self.err("RIB entry");
        let count = r.u16().ok_or_else(e)?;
        let entries = r.0;
        let mut c = Cur(entries);
        for _ in 0..count {
            c.rib_entry(add_path).ok_or_else(e)?;
        }
        Ok(Rib {
            sequence,
            family,
            prefix,
            nlri,
            add_path,
            count,
            entries,
            offset: self.offset,
        })
    }

    #[inline]
    fn peers(&self, r: &mut Cur<'a>, as4: bool) -> Result<(Peer, Peer), MrtError> {
        let e = || self.err("BGP4MP header");
        let asn = |r: &mut Cur<'a>| {
            if as4 { r.u32() } else { r.u16().map(u32::from) }
        };
        let peer_as = asn(r).ok_or_else(e)?;
        let local_as = asn(r).ok_or_else(e)?;
        let ifindex = r.u16().ok_or_else(e)?;
        let afi = r.u16().ok_or_else(e)?;
        let v6 = match afi {
            1 => false,
            2 => true,
            _ => return Err(self.err("BGP4MP address family")),
        };
        let peer_addr = r.addr(v6).ok_or_else(e)?;
        let local_addr = r.addr(v6).ok_or_else(e)?;
        Ok((
            Peer {
                asn: peer_as,
                addr: peer_addr,
                ifindex,
            },
            Peer {
                asn: local_as,
                addr: local_addr,
                ifindex,
            },
        ))
    }
}

/// A cursor over a body.
#[derive(Clone, Copy)]
struct Cur<'a>(&'a [u8]);

impl<'a> Cur<'a> {
    #[inline]
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (a, b) = self.0.split_at_checked(n)?;
        self.0 = b;
        Some(a)
    }
    #[inline]
    fn u8(&mut self) -> Option<u8> {
        let (a, b) = self.0.split_first()?;
        self.0 = b;
        Some(*a)
    }
    #[inline]
    fn u16(&mut self) -> Option<u16> {
        let (a, b) = self.0.split_first_chunk::<2>()?;
        self.0 = b;
        Some(u16::from_be_bytes(*a))
    }
    #[inline]
    fn u32(&mut self) -> Option<u32> {
        let (a, b) = self.0.split_first_chunk::<4>()?;
        self.0 = b;
        Some(u32::from_be_bytes(*a))
    }
    #[inline]
    fn addr(&mut self, v6: bool) -> Option<IpAddr> {
        if v6 {
            let (a, b) = self.0.split_first_chunk::<16>()?;
            self.0 = b;
            Some(IpAddr::V6(Ipv6Addr::from(*a)))
        } else {
            self.u32().map(|a| IpAddr::V4(Ipv4Addr::from(a)))
        }
    }
    fn peer_entry(&mut self) -> Option<PeerEntry> {
        let ty = self.u8()?;
        let bgp_id = Ipv4Addr::from(self.u32()?);
        let addr = self.addr(ty & 1 != 0)?;
        let asn = if ty & 2 != 0 {
            self.u32()?
        } else {
            u32::from(self.u16()?)
        };
        Some(PeerEntry { bgp_id, addr, asn })
    }
    #[inline(always)]
    fn rib_entry(&mut self, add_path: bool) -> Option<RibEntry<'a>> {
        let peer_index = self.u16()?;
        let originated = self.u32()?;
        let path_id = if add_path { Some(self.u32()?) } else { None };
        let alen = self.u16()?;
        let attributes = self.take(usize::from(alen))?;
        Some(RibEntry {
            peer_index,
            originated,
            path_id,
            attributes,
        })
    }
}

//----------- Typed records ---------------------------------------------------

/// A decoded record body.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Record<'a> {
    /// TABLE_DUMP (v1), IPv4 or IPv6.
    TableDump(TableDump<'a>),
    /// TABLE_DUMP_V2 PEER_INDEX_TABLE.
    PeerIndexTable(PeerIndexTable<'a>),
    /// TABLE_DUMP_V2 RIB_IPV4/IPV6_UNICAST/MULTICAST, RIB_GENERIC, and their
    /// ADD-PATH forms.
    Rib(Rib<'a>),
    /// BGP4MP(_ET) STATE_CHANGE or STATE_CHANGE_AS4.
    StateChange(StateChange),
    /// BGP4MP(_ET) MESSAGE in any of its subtypes.
    Message(Bgp4mpMessage<'a>),
    /// A type or subtype this module does not decode; skipped by its length.
    Unknown,
}

/// A TABLE_DUMP (v1) record (RFC 6396 §4.2): one route of one peer. AS
/// numbers are two octets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableDump<'a> {
    /// View number.
    pub view: u16,
    /// Sequence number.
    pub sequence: u16,
    /// The prefix.
    pub prefix: ipnet::IpNet,
    /// Status octet (unused, 1).
    pub status: u8,
    /// When the route was originated (seconds since the epoch).
    pub originated: u32,
    /// The peer's address.
    pub peer_addr: IpAddr,
    /// The peer's AS.
    pub peer_as: u32,
    /// The raw path attributes (2-octet AS numbers).
    pub attributes: &'a [u8],
}

impl<'a> TableDump<'a> {
    /// The context its attributes are encoded in: 2-octet AS numbers.
    pub fn context() -> SessionContext {
        SessionContext {
            four_octet_as: false,
            ..SessionContext::permissive()
        }
    }

    /// The attributes, validated.
    pub fn update(&self) -> Result<Update<'a>, crate::UpdateError<'a>> {
        Update::from_attributes(self.attributes, &Self::context())
    }
}

/// A TABLE_DUMP_V2 PEER_INDEX_TABLE (RFC 6396 §4.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerIndexTable<'a> {
    /// The collector's BGP identifier.
    pub collector_id: Ipv4Addr,
    /// The view name (UTF-8 by convention, not checked).
    pub view_name: &'a [u8],
    count: u16,
    entries: &'a [u8],
}

impl<'a> PeerIndexTable<'a> {
    /// The number of peers.
    pub const fn len(&self) -> usize {
        self.count as usize
    }
    /// Whether the table has no peers.
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }
    /// The peers, in index order.
    pub fn peers(&self) -> impl Iterator<Item = PeerEntry> + use<'a> {
        let mut c = Cur(self.entries);
        (0..self.count).map_while(move |_| c.peer_entry())
    }
}

/// One peer of a [`PeerIndexTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PeerEntry {
    /// The peer's BGP identifier.
    pub bgp_id: Ipv4Addr,
    /// The peer's address.
    pub addr: IpAddr,
    /// The peer's AS.
    pub asn: u32,
}

/// A TABLE_DUMP_V2 RIB record (RFC 6396 §4.3.2, §4.3.3; RFC 8050 §4): one
/// prefix and the route of each peer that has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rib<'a> {
    /// Sequence number.
    pub sequence: u32,
    /// The family (from the subtype, or the AFI/SAFI of RIB_GENERIC).
    pub family: Family,
    /// The prefix; `None` for a RIB_GENERIC record of a family that is not
    /// IPv4/IPv6 unicast or multicast (its NLRI and entries are then in
    /// [`Rib::nlri`]).
    pub prefix: Option<ipnet::IpNet>,
    /// The raw NLRI of a RIB_GENERIC record (empty for the others).
    pub nlri: &'a [u8],
    /// Whether the entries carry path identifiers (the `_ADDPATH` subtypes).
    pub add_path: bool,
    count: u16,
    entries: &'a [u8],
    offset: u64,
}

impl<'a> Rib<'a> {
    /// The context RIB entry attributes are encoded in: 4-octet AS numbers
    /// (RFC 6396 §4.3.4).
    pub fn context() -> SessionContext {
        SessionContext::permissive()
    }
    /// The number of entries.
    pub const fn len(&self) -> usize {
        self.count as usize
    }
    /// Whether there are no entries.
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }
    /// The entries, in order.
    pub fn entries(&self) -> impl Iterator<Item = RibEntry<'a>> + use<'a> {
        let mut c = Cur(self.entries);
        let add_path = self.add_path;
        (0..self.count).map_while(move |_| c.rib_entry(add_path))
    }
    /// The attributes of `entry`, validated (MP_REACH_NLRI in the
    /// abbreviated form of RFC 6396 §4.3.4).
    #[inline(always)]
    pub fn update(&self, entry: &RibEntry<'a>) -> Result<Update<'a>, MrtError> {
        Update::from_rib_attributes(entry.attributes, self.family, &Self::context()).map_err(|e| {
            MrtError {
                offset: self.offset,
                kind: MrtErrorKind::Bgp(e.to_string()),
            }
        })
    }
}

/// One entry of a [`Rib`] record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RibEntry<'a> {
    /// Index into the PEER_INDEX_TABLE.
    pub peer_index: u16,
    /// When the route was received (seconds since the epoch).
    pub originated: u32,
    /// The ADD-PATH path identifier (RFC 8050 subtypes).
    pub path_id: Option<u32>,
    /// The raw path attributes.
    pub attributes: &'a [u8],
}

/// One end of a BGP4MP session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Peer {
    /// AS number.
    pub asn: u32,
    /// Address.
    pub addr: IpAddr,
    /// Interface index (the same for both ends).
    pub ifindex: u16,
}

/// A BGP4MP STATE_CHANGE (RFC 6396 §4.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateChange {
    /// The peer.
    pub peer: Peer,
    /// The local end.
    pub local: Peer,
    /// The FSM state left (1 Idle … 6 Established).
    pub old_state: u16,
    /// The FSM state entered.
    pub new_state: u16,
}

/// A BGP4MP message record (RFC 6396 §4.4.2–§4.4.6, RFC 8050 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bgp4mpMessage<'a> {
    offset: u64,
    /// The peer.
    pub peer: Peer,
    /// The local end.
    pub local: Peer,
    /// AS numbers in the message are 4 octets (the `_AS4` subtypes).
    pub four_octet_as: bool,
    /// The message was sent by the local end (the `_LOCAL` subtypes).
    pub local_message: bool,
    /// NLRI carry path identifiers (the `_ADDPATH` subtypes).
    pub add_path: bool,
    /// The whole BGP message, marker and header included.
    pub message: &'a [u8],
}

impl<'a> Bgp4mpMessage<'a> {
    /// The session context the subtype implies: 2- or 4-octet AS, ADD-PATH
    /// on the IPv4/IPv6 unicast and multicast families or not, extended
    /// messages and next hops accepted.
    pub fn context(&self) -> SessionContext {
        let add_path: FamilySet = if self.add_path {
            [
                Family::IPV4_UNICAST,
                Family::IPV4_MULTICAST,
                Family::IPV6_UNICAST,
                Family::IPV6_MULTICAST,
            ]
            .into_iter()
            .collect()
        } else {
            FamilySet::EMPTY
        };
        SessionContext {
            four_octet_as: self.four_octet_as,
            add_path,
            max_message_len: MAX_EXTENDED_MESSAGE_LEN,
            ..SessionContext::permissive()
        }
    }

    /// Decodes the BGP message; an error names the record's offset.
    pub fn parse(&self) -> Result<Message<'a>, MrtError> {
        parse_message(self.message, &self.context()).map_err(|e| MrtError {
            offset: self.offset,
            kind: MrtErrorKind::Bgp(e.to_string()),
        })
    }
}

//----------- Readers ---------------------------------------------------------

/// The records of an MRT buffer, in order. After a truncated record it
/// yields that error and stops.
#[derive(Clone, Debug)]
pub struct Records<'a> {
    rest: &'a [u8],
    offset: u64,
}

impl<'a> Records<'a> {
    /// Iterates over `buf`, the whole input (offsets count from its start).
    pub const fn new(buf: &'a [u8]) -> Self {
        Self {
            rest: buf,
            offset: 0,
        }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<MrtRecord<'a>, MrtError>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let offset = self.offset;
        match MrtRecord::parse(self.rest, offset) {
            Ok((rec, rest)) => {
                self.offset += (self.rest.len() - rest.len()) as u64;
                self.rest = rest;
                Some(Ok(rec))
            }
            Err(e) if matches!(e.kind, MrtErrorKind::Truncated { .. }) => {
                self.rest = &[];
                Some(Err(e))
            }
            Err(e) => {
                // A bad `_ET` timestamp: the length still frames the record.
                let len = self
                    .rest
                    .get(8..12)
                    .map_or(0, |l| u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize);
                let n = (HEADER_LEN + len).min(self.rest.len());
                self.rest = &self.rest[n..];
                self.offset += n as u64;
                Some(Err(e))
            }
        }
    }
}

/// Reads MRT records from any [`Read`] without holding the input: one
/// growing buffer, reused, holds the current record and what was read past
/// it.
///
/// Not an [`Iterator`], as each record borrows the reader's buffer; use
/// `while let Some(rec) = reader.next_record() { … }`.
#[derive(Debug)]
pub struct MrtReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    offset: u64,
    max_len: usize,
    done: bool,
}

const CHUNK: usize = 256 << 10;

impl<R: Read> MrtReader<R> {
    /// A reader with the default record size bound.
    pub fn new(inner: R) -> Self {
        Self::with_max_record_len(inner, DEFAULT_MAX_RECORD_LEN)
    }

    /// A reader that rejects records whose body is longer than `max_len`.
    pub fn with_max_record_len(inner: R, max_len: usize) -> Self {
        Self {
            inner,
            buf: Vec::new(),
            start: 0,
            end: 0,
            offset: 0,
            max_len,
            done: false,
        }
    }

    /// The byte offset of the next record.
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// Makes at least `n` bytes available from `start`; `Ok(false)` at the
    /// end of the input.
    fn fill(&mut self, n: usize) -> io::Result<bool> {
        while self.end - self.start < n {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let want = n.max(CHUNK);
            if self.buf.len() < want {
                self.buf.resize(want, 0);
            }
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => return Ok(false),
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// The next record, or `None` at the end of the input. After a
    /// truncated or over-long record, or an I/O error, it returns that error
    /// and then `None`.
    pub fn next_record(&mut self) -> Option<Result<MrtRecord<'_>, MrtError>> {
        if self.done {
            return None;
        }
        let offset = self.offset;
        let fail = |s: &mut Self, kind| {
            s.done = true;
            Some(Err(MrtError { offset, kind }))
        };
        match self.fill(HEADER_LEN) {
            Ok(true) => {}
            Ok(false) if self.end == self.start => {
                self.done = true;
                return None;
            }
            Ok(false) => {
                let have = (self.end - self.start) as u64;
                return fail(
                    self,
                    MrtErrorKind::Truncated {
                        have,
                        need: HEADER_LEN as u64,
                    },
                );
            }
            Err(e) => return fail(self, MrtErrorKind::Io(e.kind())),
        }
        let mut h = [0; HEADER_LEN];
        h.copy_from_slice(&self.buf[self.start..self.start + HEADER_LEN]);
        let (timestamp, ty, subtype, len) = header(&h);
        let len = len as usize;
        if len > self.max_len {
            return fail(
                self,
                MrtErrorKind::TooLong {
                    len: len as u64,
                    max: self.max_len,
                },
            );
        }
        let total = HEADER_LEN + len;
        match self.fill(total) {
            Ok(true) => {}
            Ok(false) => {
                let have = (self.end - self.start) as u64;
                return fail(
                    self,
                    MrtErrorKind::Truncated {
                        have,
                        need: total as u64,
                    },
                );
            }
            Err(e) => return fail(self, MrtErrorKind::Io(e.kind())),
        }
        let body = &self.buf[self.start + HEADER_LEN..self.start + total];
        self.start += total;
        self.offset += total as u64;
        Some(MrtRecord::from_parts(offset, timestamp, ty, subtype, body))
    }
}

//----------- Writer ----------------------------------------------------------

/// Writes MRT records into a caller-owned buffer.
///
/// Each `*_record` call appends one whole record. Readers of this module
/// decode what it writes to the same values.
#[derive(Clone, Copy, Debug, Default)]
pub struct MrtWriter;

/// A value [`MrtWriter`] cannot write; nothing was appended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MrtWriteError {
    /// A count or length does not fit its 16-bit field.
    #[error("{0} over 65535")]
    TooLong(&'static str),
    /// RIB records exist for IPv4/IPv6 unicast and multicast only.
    #[error("no RIB record subtype for {0}")]
    Family(Family),
    /// Addresses or prefix of different families.
    #[error("{0}")]
    Mismatch(&'static str),
}

impl MrtWriter {
    fn start(out: &mut Vec<u8>, timestamp: u32, ty: u16, subtype: u16) -> usize {
        out.extend_from_slice(&timestamp.to_be_bytes());
        out.extend_from_slice(&ty.to_be_bytes());
        out.extend_from_slice(&subtype.to_be_bytes());
        let at = out.len();
        out.extend_from_slice(&[0; 4]);
        at
    }

    fn finish(out: &mut [u8], at: usize) {
        let len = (out.len() - at - 4) as u32;
        out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    }

    fn addr(out: &mut Vec<u8>, a: IpAddr) {
        match a {
            IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
            IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
        }
    }

    /// Appends a PEER_INDEX_TABLE. Peers with an AS above 65535 are written
    /// with 4-octet AS numbers, the others with 2.
    ///
    /// Fails, appending nothing, if `view_name` is longer than 65535 octets
    /// or there are more than 65535 peers.
    pub fn peer_index_table(
        out: &mut Vec<u8>,
        timestamp: u32,
        collector_id: Ipv4Addr,
        view_name: &[u8],
        peers: &[PeerEntry],
    ) -> Result<(), MrtWriteError> {
        let nlen =
            u16::try_from(view_name.len()).map_err(|_| MrtWriteError::TooLong("view name"))?;
        let n = u16::try_from(peers.len()).map_err(|_| MrtWriteError::TooLong("peer count"))?;
        let at = Self::start(out, timestamp, types::TABLE_DUMP_V2, tdv2::PEER_INDEX_TABLE);
        out.extend_from_slice(&collector_id.octets());
        out.extend_from_slice(&nlen.to_be_bytes());
        out.extend_from_slice(view_name);
        out.extend_from_slice(&n.to_be_bytes());
        for p in peers {
            let as4 = p.asn > 0xffff;
            let ty = u8::from(p.addr.is_ipv6()) | (u8::from(as4) << 1);
            out.push(ty);
            out.extend_from_slice(&p.bgp_id.octets());
            Self::addr(out, p.addr);
            if as4 {
                out.extend_from_slice(&p.asn.to_be_bytes());
            } else {
                out.extend_from_slice(&(p.asn as u16).to_be_bytes());
            }
        }
        Self::finish(out, at);
        Ok(())
    }

    /// Appends a RIB_IPV4/IPV6_UNICAST/MULTICAST record (or its `_ADDPATH`
    /// form when the entries carry path identifiers) for `prefix`.
    /// `family` must be one of those four; entries' attributes are written
    /// as given (4-octet AS, abbreviated MP_REACH_NLRI).
    ///
    /// Fails, appending nothing, if `family` is not IPv4/IPv6
    /// unicast/multicast, the prefix does not match its AFI, there are more
    /// than 65535 entries or an attribute block is over 65535 octets.
    pub fn rib(
        out: &mut Vec<u8>,
        timestamp: u32,
        sequence: u32,
        family: Family,
        prefix: ipnet::IpNet,
        entries: &[RibEntry<'_>],
    ) -> Result<(), MrtWriteError> {
        let add_path = entries.first().is_some_and(|e| e.path_id.is_some());
        let base = match family {
            Family::IPV4_UNICAST => 2,
            Family::IPV4_MULTICAST => 3,
            Family::IPV6_UNICAST => 4,
            Family::IPV6_MULTICAST => 5,
            _ => return Err(MrtWriteError::Family(family)),
        };
        let subtype = if add_path { base + 6 } else { base };
        if prefix.addr().is_ipv6() != (family.afi == Afi::IPV6) {
            return Err(MrtWriteError::Mismatch("prefix of the wrong AFI"));
        }
        let n = u16::try_from(entries.len()).map_err(|_| MrtWriteError::TooLong("entry count"))?;
        if entries
            .iter()
            .any(|e| e.attributes.len() > usize::from(u16::MAX))
        {
            return Err(MrtWriteError::TooLong("attribute block"));
        }
        let at = Self::start(out, timestamp, types::TABLE_DUMP_V2, subtype);
        out.extend_from_slice(&sequence.to_be_bytes());
        crate::attr::put_session_nlri(out, &Nlri::new(prefix), false);
        out.extend_from_slice(&n.to_be_bytes());
        for e in entries {
            out.extend_from_slice(&e.peer_index.to_be_bytes());
            out.extend_from_slice(&e.originated.to_be_bytes());
            if add_path {
                out.extend_from_slice(&e.path_id.unwrap_or(0).to_be_bytes());
            }
            // Checked above.
            out.extend_from_slice(&(e.attributes.len() as u16).to_be_bytes());
            out.extend_from_slice(e.attributes);
        }
        Self::finish(out, at);
        Ok(())
    }

    /// Appends a BGP4MP_ET STATE_CHANGE_AS4 record.
    ///
    /// Fails, appending nothing, if the two addresses are not of the same
    /// family.
    pub fn state_change(
        out: &mut Vec<u8>,
        timestamp: u32,
        microseconds: u32,
        change: &StateChange,
    ) -> Result<(), MrtWriteError> {
        Self::same_family(&change.peer, &change.local)?;
        let at = Self::start(out, timestamp, types::BGP4MP_ET, bgp4mp::STATE_CHANGE_AS4);
        out.extend_from_slice(&microseconds.to_be_bytes());
        Self::peers(out, &change.peer, &change.local, true);
        out.extend_from_slice(&change.old_state.to_be_bytes());
        out.extend_from_slice(&change.new_state.to_be_bytes());
        Self::finish(out, at);
        Ok(())
    }

    /// Appends a BGP4MP_ET message record, its subtype chosen by the
    /// message's `four_octet_as`, `local_message` and `add_path`.
    ///
    /// Fails, appending nothing, if the two addresses are not of the same
    /// family.
    pub fn message(
        out: &mut Vec<u8>,
        timestamp: u32,
        microseconds: u32,
        m: &Bgp4mpMessage<'_>,
    ) -> Result<(), MrtWriteError> {
        Self::same_family(&m.peer, &m.local)?;
        let subtype = match (m.four_octet_as, m.local_message, m.add_path) {
            (false, false, false) => bgp4mp::MESSAGE,
            (true, false, false) => bgp4mp::MESSAGE_AS4,
            (false, true, false) => bgp4mp::MESSAGE_LOCAL,
            (true, true, false) => bgp4mp::MESSAGE_AS4_LOCAL,
            (false, false, true) => bgp4mp::MESSAGE_ADDPATH,
            (true, false, true) => bgp4mp::MESSAGE_AS4_ADDPATH,
            (false, true, true) => bgp4mp::MESSAGE_LOCAL_ADDPATH,
            (true, true, true) => bgp4mp::MESSAGE_AS4_LOCAL_ADDPATH,
        };
        let at = Self::start(out, timestamp, types::BGP4MP_ET, subtype);
        out.extend_from_slice(&microseconds.to_be_bytes());
        Self::peers(out, &m.peer, &m.local, m.four_octet_as);
        out.extend_from_slice(m.message);
        Self::finish(out, at);
        Ok(())
    }

    fn same_family(peer: &Peer, local: &Peer) -> Result<(), MrtWriteError> {
        if peer.addr.is_ipv6() == local.addr.is_ipv6() {
            Ok(())
        } else {
            Err(MrtWriteError::Mismatch(
                "peer and local addresses of different families",
            ))
        }
    }

    /// Writes the peer fields; the caller checked [`Self::same_family`].
    fn peers(out: &mut Vec<u8>, peer: &Peer, local: &Peer, as4: bool) {
        for p in [peer, local] {
            if as4 {
                out.extend_from_slice(&p.asn.to_be_bytes());
            } else {
                out.extend_from_slice(&(p.asn as u16).to_be_bytes());
            }
        }
        out.extend_from_slice(&peer.ifindex.to_be_bytes());
        let afi: u16 = if peer.addr.is_ipv6() { 2 } else { 1 };
        out.extend_from_slice(&afi.to_be_bytes());
        Self::addr(out, peer.addr);
        Self::addr(out, local.addr);
    }
}

impl Bgp4mpMessage<'_> {
    /// A message record value for [`MrtWriter::message`].
    pub const fn new(
        peer: Peer,
        local: Peer,
        four_octet_as: bool,
        local_message: bool,
        add_path: bool,
        message: &[u8],
    ) -> Bgp4mpMessage<'_> {
        Bgp4mpMessage {
            offset: 0,
            peer,
            local,
            four_octet_as,
            local_message,
            add_path,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::{AsPathBuf, NextHop, Origin, PathAttribute};
    use crate::update::UpdateBuilder;
    use proptest::prelude::*;

    /// A common header followed by `body`.
    fn rec(ts: u32, ty: u16, st: u16, body: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&ts.to_be_bytes());
        v.extend_from_slice(&ty.to_be_bytes());
        v.extend_from_slice(&st.to_be_bytes());
        v.extend_from_slice(&(body.len() as u32).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    /// ORIGIN IGP, AS_PATH `asns` (2- or 4-octet), and `extra` attributes.
    fn attrs(asns: &[u32], four: bool, extra: &[u8]) -> Vec<u8> {
        let mut a = vec![0x40, 1, 1, 0];
        let w = if four { 4 } else { 2 };
        a.extend_from_slice(&[0x40, 2, (2 + w * asns.len()) as u8, 2, asns.len() as u8]);
        for x in asns {
            a.extend_from_slice(&x.to_be_bytes()[4 - w..]);
        }
        a.extend_from_slice(extra);
        a
    }

    #[test]
    fn writer_refuses_what_it_cannot_write() {
        let mut buf = vec![1, 2, 3];
        let p4 = "10.0.0.0/8".parse().unwrap();
        assert_eq!(
            MrtWriter::rib(&mut buf, 0, 0, Family::new(Afi::L2VPN, Safi::EVPN), p4, &[]),
            Err(MrtWriteError::Family(Family::new(Afi::L2VPN, Safi::EVPN)))
        );
        assert!(matches!(
            MrtWriter::rib(&mut buf, 0, 0, Family::IPV6_UNICAST, p4, &[]),
            Err(MrtWriteError::Mismatch(_))
        ));
        let long = vec![0u8; 70_000];
        assert_eq!(
            MrtWriter::peer_index_table(&mut buf, 0, Ipv4Addr::LOCALHOST, &long, &[]),
            Err(MrtWriteError::TooLong("view name"))
        );
        assert_eq!(buf, [1, 2, 3], "nothing appended on error");
    }

    #[test]
    fn table_dump_v1() {
        let at = attrs(&[65001, 65002], false, &[0x40, 3, 4, 192, 0, 2, 1]);
        let mut b = vec![0, 0, 0, 7]; // view, sequence
        b.extend_from_slice(&[10, 1, 0, 0, 16, 1]); // prefix, length, status
        b.extend_from_slice(&1000u32.to_be_bytes());
        b.extend_from_slice(&[192, 0, 2, 9, 0xfd, 0xe9]); // peer, AS 65001
        b.extend_from_slice(&(at.len() as u16).to_be_bytes());
        b.extend_from_slice(&at);
        let buf = rec(42, types::TABLE_DUMP, 1, &b);
        let (r, rest) = MrtRecord::parse(&buf, 0).unwrap();
        assert!(rest.is_empty());
        assert_eq!((r.timestamp, r.microseconds), (42, None));
        let Record::TableDump(t) = r.decode().unwrap() else {
            panic!()
        };
        assert_eq!(t.prefix.to_string(), "10.1.0.0/16");
        assert_eq!(t.peer_addr.to_string(), "192.0.2.9");
        assert_eq!((t.peer_as, t.sequence, t.originated), (65001, 7, 1000));
        let u = t.update().unwrap();
        assert_eq!(u.as_path().unwrap().to_string(), "65001 65002");
        assert_eq!(u.next_hop(), Some(Ipv4Addr::new(192, 0, 2, 1)));
    }

    fn peers() -> Vec<PeerEntry> {
        vec![
            PeerEntry {
                bgp_id: Ipv4Addr::new(1, 1, 1, 1),
                addr: "192.0.2.1".parse().unwrap(),
                asn: 65001,
            },
            PeerEntry {
                bgp_id: Ipv4Addr::new(2, 2, 2, 2),
                addr: "2001:db8::2".parse().unwrap(),
                asn: 4_200_000_000,
            },
        ]
    }

    #[test]
    fn table_dump_v2_round_trip() {
        let mut buf = Vec::new();
        MrtWriter::peer_index_table(&mut buf, 7, Ipv4Addr::new(9, 9, 9, 9), b"view", &peers())
            .unwrap();
        // RFC 6396 §4.3.4: abbreviated MP_REACH_NLRI (length, next hop).
        let mut mp = vec![0x80, 14, 17, 16];
        mp.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        let at = attrs(&[4_200_000_000, 65002], true, &mp);
        let entries = [RibEntry {
            peer_index: 1,
            originated: 5,
            path_id: None,
            attributes: &at,
        }];
        let p6: ipnet::IpNet = "2001:db8:100::/40".parse().unwrap();
        MrtWriter::rib(&mut buf, 7, 3, Family::IPV6_UNICAST, p6, &entries).unwrap();
        let ap = [RibEntry {
            path_id: Some(77),
            ..entries[0]
        }];
        let p4: ipnet::IpNet = "198.51.100.0/24".parse().unwrap();
        MrtWriter::rib(&mut buf, 7, 4, Family::IPV4_UNICAST, p4, &ap).unwrap();

        let recs: Vec<_> = Records::new(&buf).map(|r| r.unwrap()).collect();
        assert_eq!(recs.len(), 3);
        let Record::PeerIndexTable(pit) = recs[0].decode().unwrap() else {
            panic!()
        };
        assert_eq!(pit.view_name, b"view");
        assert_eq!(pit.peers().collect::<Vec<_>>(), peers());
        let Record::Rib(rib) = recs[1].decode().unwrap() else {
            panic!()
        };
        assert_eq!(
            (rib.prefix, rib.family, rib.add_path),
            (Some(p6), Family::IPV6_UNICAST, false)
        );
        let e: Vec<_> = rib.entries().collect();
        assert_eq!(e, entries);
        let u = rib.update(&e[0]).unwrap();
        assert_eq!(u.action(), crate::Action::None);
        let m = u.mp_reach().unwrap();
        assert_eq!(m.family(), Family::IPV6_UNICAST);
        assert_eq!(m.next_hop().to_string(), "2001:db8::1");
        assert_eq!(u.as_path().unwrap().to_string(), "4200000000 65002");
        let Record::Rib(rib) = recs[2].decode().unwrap() else {
            panic!()
        };
        assert!(rib.add_path);
        assert_eq!(recs[2].subtype, tdv2::RIB_IPV4_UNICAST_ADDPATH);
        assert_eq!(rib.entries().collect::<Vec<_>>(), ap);
    }

    #[test]
    fn rib_entry_with_full_mp_reach() {
        // Some writers put a whole MP_REACH_NLRI (AFI, SAFI, next hop,
        // reserved, NLRI) in RIB entries; it is read as such.
        let mut mp = vec![0x80, 14, 0, 0, 2, 1, 16];
        mp.extend_from_slice(&"2001:db8::9".parse::<Ipv6Addr>().unwrap().octets());
        mp.extend_from_slice(&[0, 32, 0x20, 0x01, 0x0d, 0xb8]);
        mp[2] = (mp.len() - 3) as u8;
        let at = attrs(&[65001], true, &mp);
        let u = Update::from_rib_attributes(&at, Family::IPV6_UNICAST, &Rib::context()).unwrap();
        let m = u.mp_reach().unwrap();
        assert_eq!(m.next_hop().to_string(), "2001:db8::9");
        let p: Vec<_> = u.all_announced().map(|n| n.to_string()).collect();
        assert_eq!(p, ["2001:db8::/32"]);
    }

    #[test]
    fn rib_generic() {
        let at = attrs(&[65001], true, &[]);
        let mut b = 9u32.to_be_bytes().to_vec();
        b.extend_from_slice(&[0, 1, 1, 24, 203, 0, 113, 0, 1]); // AFI, SAFI, NLRI, count
        b.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&(at.len() as u16).to_be_bytes());
        b.extend_from_slice(&at);
        let buf = rec(1, types::TABLE_DUMP_V2, tdv2::RIB_GENERIC, &b);
        let (r, _) = MrtRecord::parse(&buf, 0).unwrap();
        let Record::Rib(rib) = r.decode().unwrap() else {
            panic!()
        };
        assert_eq!(rib.prefix.unwrap().to_string(), "203.0.113.0/24");
        assert_eq!(rib.len(), 1);
    }

    fn update_msg(ctx: SessionContext) -> Vec<u8> {
        let mut out = Vec::new();
        UpdateBuilder::new(ctx)
            .announce(
                Family::IPV4_UNICAST,
                &[
                    PathAttribute::Origin(Origin::Igp),
                    PathAttribute::AsPath(AsPathBuf::sequence([65001, 65002])),
                ],
                &NextHop::V4(Ipv4Addr::new(192, 0, 2, 1)),
                &[Nlri::new("203.0.113.0/24".parse().unwrap())],
                &mut out,
            )
            .unwrap();
        out
    }

    #[test]
    fn bgp4mp_messages_and_state() {
        let peer = Peer {
            asn: 65001,
            addr: "192.0.2.1".parse().unwrap(),
            ifindex: 0,
        };
        let local = Peer {
            asn: 65000,
            addr: "192.0.2.2".parse().unwrap(),
            ifindex: 0,
        };
        let mut buf = Vec::new();
        // 2-octet MESSAGE, then ET MESSAGE_AS4 and STATE_CHANGE_AS4.
        let two = update_msg(SessionContext::two_octet());
        let mut b = vec![
            0xfd, 0xe9, 0xfd, 0xe8, 0, 0, 0, 1, 192, 0, 2, 1, 192, 0, 2, 2,
        ];
        b.extend_from_slice(&two);
        buf.extend_from_slice(&rec(10, types::BGP4MP, bgp4mp::MESSAGE, &b));
        let four = update_msg(SessionContext::default());
        let m = Bgp4mpMessage::new(peer, local, true, false, false, &four);
        MrtWriter::message(&mut buf, 11, 123_456, &m).unwrap();
        let sc = StateChange {
            peer,
            local,
            old_state: 5,
            new_state: 6,
        };
        MrtWriter::state_change(&mut buf, 12, 7, &sc).unwrap();

        let recs: Vec<_> = Records::new(&buf).map(|r| r.unwrap()).collect();
        for (r, us) in recs[..2].iter().zip([None, Some(123_456)]) {
            assert_eq!(r.microseconds, us);
            let Record::Message(m) = r.decode().unwrap() else {
                panic!()
            };
            assert_eq!(m.peer, peer);
            let Message::Update(u) = m.parse().unwrap() else {
                panic!()
            };
            assert_eq!(u.as_path().unwrap().to_string(), "65001 65002");
            let p: Vec<_> = u.all_announced().map(|n| n.to_string()).collect();
            assert_eq!(p, ["203.0.113.0/24"]);
        }
        let Record::StateChange(s) = recs[2].decode().unwrap() else {
            panic!()
        };
        assert_eq!(s, sc);
        assert_eq!(
            recs[2].offset,
            recs[1].offset + 12 + recs[1].body.len() as u64 + 4
        );
    }

    #[test]
    fn add_path_message_context() {
        let ctx = SessionContext::default().with_add_path(Family::IPV4_UNICAST);
        let mut out = Vec::new();
        UpdateBuilder::new(ctx)
            .withdraw(
                Family::IPV4_UNICAST,
                &[Nlri::with_path_id("10.0.0.0/8".parse().unwrap(), 3)],
                &mut out,
            )
            .unwrap();
        let p = Peer {
            asn: 1,
            addr: "192.0.2.1".parse().unwrap(),
            ifindex: 0,
        };
        let mut buf = Vec::new();
        MrtWriter::message(
            &mut buf,
            0,
            0,
            &Bgp4mpMessage::new(p, p, true, false, true, &out),
        )
        .unwrap();
        let (r, _) = MrtRecord::parse(&buf, 0).unwrap();
        assert_eq!(r.subtype, bgp4mp::MESSAGE_AS4_ADDPATH);
        let Record::Message(m) = r.decode().unwrap() else {
            panic!()
        };
        let Message::Update(u) = m.parse().unwrap() else {
            panic!()
        };
        let w: Vec<_> = u.all_withdrawn().map(|n| n.to_string()).collect();
        assert_eq!(w, ["10.0.0.0/8#3"]);
    }

    #[test]
    fn damage_is_reported_with_offsets() {
        let mut sc = [0; 20];
        sc[7] = 1; // AFI IPv4
        let good = rec(1, types::BGP4MP, bgp4mp::STATE_CHANGE, &sc);
        // A body shorter than its subtype needs (the length lies low).
        let short = rec(2, types::BGP4MP, bgp4mp::STATE_CHANGE, &[0; 5]);
        // A message whose BGP header is garbage.
        let mut bm = [0; 36];
        bm[7] = 1;
        let bad_msg = rec(3, types::BGP4MP, bgp4mp::MESSAGE, &bm);
        let unknown = rec(4, 99, 1, b"whatever");
        let mut buf = [&good[..], &short, &bad_msg, &unknown, &good].concat();
        let off_short = good.len() as u64;
        let off_bad = off_short + short.len() as u64;
        let res: Vec<_> = Records::new(&buf)
            .map(|r| r.and_then(|r| r.decode()))
            .collect();
        assert_eq!(res.len(), 5);
        assert!(matches!(res[0], Ok(Record::StateChange(_))));
        assert_eq!(res[1].as_ref().unwrap_err().offset, off_short);
        let Ok(Record::Message(m)) = &res[2] else {
            panic!()
        };
        assert_eq!(m.parse().unwrap_err().offset, off_bad);
        assert!(matches!(res[3], Ok(Record::Unknown)));
        assert!(res[4].is_ok());

        // A length that lies high: truncated, reported once, then the end.
        let last = buf.len() - good.len();
        buf[last + 11] = 200;
        let res: Vec<_> = Records::new(&buf).collect();
        assert_eq!(res.len(), 5);
        let e = res[4].as_ref().unwrap_err();
        assert_eq!(e.offset, last as u64);
        assert!(matches!(e.kind, MrtErrorKind::Truncated { .. }));
        assert!(e.to_string().contains(&format!("offset {last}")));

        // The same through the streaming reader.
        let mut r = MrtReader::new(&buf[..]);
        let mut n = 0;
        let mut last_err = None;
        while let Some(x) = r.next_record() {
            n += 1;
            if let Err(e) = x {
                last_err = Some(e);
            }
        }
        assert_eq!(n, 5);
        assert_eq!(last_err.unwrap().offset, last as u64);
        // A cut inside a header.
        let mut r = MrtReader::new(&good[..5]);
        assert!(matches!(
            r.next_record(),
            Some(Err(MrtError {
                offset: 0,
                kind: MrtErrorKind::Truncated { have: 5, .. }
            }))
        ));
        assert!(r.next_record().is_none());
    }

    /// Hands out at most 7 bytes per read.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(7).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn reader_large_records_and_bounds() {
        let big = rec(1, 99, 0, &vec![0xab; 300_000]);
        let small = rec(2, types::BGP4MP, bgp4mp::STATE_CHANGE, &[0; 20]);
        let buf = [&small[..], &big, &small].concat();
        let mut r = MrtReader::new(Trickle(&buf));
        let mut lens = Vec::new();
        while let Some(x) = r.next_record() {
            let x = x.unwrap();
            lens.push((x.offset, x.body.len()));
        }
        assert_eq!(lens, [(0, 20), (32, 300_000), (300_044, 20)]);
        assert_eq!(r.offset(), buf.len() as u64);

        let mut r = MrtReader::with_max_record_len(&buf[..], 1000);
        assert!(r.next_record().unwrap().is_ok());
        let e = r.next_record().unwrap().unwrap_err();
        assert_eq!(e.offset, 32);
        assert!(matches!(e.kind, MrtErrorKind::TooLong { len: 300_000, .. }));
        assert!(r.next_record().is_none());
    }

    fn arb_peer(v6: bool) -> impl Strategy<Value = Peer> {
        (any::<u32>(), any::<u128>(), any::<u32>(), any::<u16>()).prop_map(
            move |(asn, a6, a4, ifindex)| Peer {
                asn,
                addr: if v6 {
                    IpAddr::V6(Ipv6Addr::from(a6))
                } else {
                    IpAddr::V4(Ipv4Addr::from(a4))
                },
                ifindex,
            },
        )
    }

    proptest! {
        /// read(write(x)) == x for BGP4MP_ET records.
        #[test]
        fn bgp4mp_round_trip(
            v6: bool,
            (peer, local) in any::<bool>().prop_flat_map(|v6| (arb_peer(v6), arb_peer(v6))),
            as4: bool, local_message: bool, add_path: bool,
            ts: u32, us: u32, old_state: u16, new_state: u16,
            message in proptest::collection::vec(any::<u8>(), 0..100),
        ) {
            let _ = v6;
            let (mut peer, mut local) = (peer, local);
            local.ifindex = peer.ifindex;
            if !as4 {
                peer.asn &= 0xffff;
                local.asn &= 0xffff;
            }
            let m = Bgp4mpMessage::new(peer, local, as4, local_message, add_path, &message);
            let sc = StateChange { peer: Peer { asn: peer.asn, ..peer }, local, old_state, new_state };
            let mut buf = Vec::new();
            MrtWriter::message(&mut buf, ts, us, &m).unwrap();
            MrtWriter::state_change(&mut buf, ts, us, &sc).unwrap();
            let recs: Vec<_> = Records::new(&buf).collect::<Result<_, _>>().unwrap();
            prop_assert_eq!(recs.len(), 2);
            prop_assert_eq!((recs[0].timestamp, recs[0].microseconds), (ts, Some(us)));
            let Record::Message(back) = recs[0].decode().unwrap() else { panic!() };
            prop_assert_eq!(back, m);
            let Record::StateChange(back) = recs[1].decode().unwrap() else { panic!() };
            prop_assert_eq!(back, sc);
        }

        /// read(write(x)) == x for TABLE_DUMP_V2 records.
        #[test]
        fn table_dump_v2_round_trip_prop(
            ts: u32, seq: u32, fam in 0usize..4, bits: u8, addr: u128,
            raw_entries in proptest::collection::vec(
                (any::<u16>(), any::<u32>(), proptest::collection::vec(any::<u8>(), 0..40)),
                0..5,
            ),
            add_path: bool,
            peers in proptest::collection::vec(
                (any::<u32>(), any::<bool>(), any::<u128>(), any::<u32>()), 0..5),
        ) {
            let family = [Family::IPV4_UNICAST, Family::IPV4_MULTICAST,
                Family::IPV6_UNICAST, Family::IPV6_MULTICAST][fam];
            let prefix: ipnet::IpNet = if family.afi == Afi::IPV6 {
                ipnet::Ipv6Net::new(Ipv6Addr::from(addr), bits % 129).unwrap().trunc().into()
            } else {
                ipnet::Ipv4Net::new(Ipv4Addr::from(addr as u32), bits % 33).unwrap().trunc().into()
            };
            let entries: Vec<_> = raw_entries.iter().enumerate().map(|(i, (p, o, a))| RibEntry {
                peer_index: *p,
                originated: *o,
                path_id: add_path.then_some(i as u32),
                attributes: a,
            }).collect();
            let peers: Vec<_> = peers.into_iter().map(|(id, v6, a, asn)| PeerEntry {
                bgp_id: Ipv4Addr::from(id),
                addr: if v6 { IpAddr::V6(Ipv6Addr::from(a)) } else { IpAddr::V4(Ipv4Addr::from(a as u32)) },
                asn,
            }).collect();
            let mut buf = Vec::new();
            MrtWriter::peer_index_table(&mut buf, ts, Ipv4Addr::LOCALHOST, b"v", &peers).unwrap();
            MrtWriter::rib(&mut buf, ts, seq, family, prefix, &entries).unwrap();
            let recs: Vec<_> = Records::new(&buf).collect::<Result<_, _>>().unwrap();
            let Record::PeerIndexTable(p) = recs[0].decode().unwrap() else { panic!() };
            prop_assert_eq!(p.peers().collect::<Vec<_>>(), peers);
            let Record::Rib(r) = recs[1].decode().unwrap() else { panic!() };
            prop_assert_eq!(r.timestamp_free(), (seq, family, Some(prefix)));
            prop_assert_eq!(r.add_path, add_path && !entries.is_empty());
            prop_assert_eq!(r.entries().collect::<Vec<_>>(), entries);
        }

        /// No input makes the readers panic.
        #[test]
        fn no_panics(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            for r in Records::new(&data).flatten() {
                if let Ok(Record::Rib(rib)) = r.decode() {
                    for e in rib.entries() {
                        let _ = rib.update(&e);
                    }
                }
            }
        }
    }

    impl Rib<'_> {
        fn timestamp_free(&self) -> (u32, Family, Option<ipnet::IpNet>) {
            (self.sequence, self.family, self.prefix)
        }
    }
}

//! Decodes every BGP message of tcpdump's BGP test captures and compares it
//! with tcpdump's own `-v` decoding (the `.out` files).
//!
//! The captures (`tests/data/tcpdump`, BSD licence, see the README there) are
//! read with a minimal pcap / pcapng reader written here, the TCP payloads
//! are joined per direction in capture order (retransmitted bytes dropped by
//! sequence number; a segment that rewrites earlier bytes differently, as in
//! captures crafted from copies of one packet, starts a new stream), and
//! each stream is framed with
//! [`Messages`]. The session context of a direction is negotiated from the
//! OPENs of both sides when the capture has them (4-octet AS, ADD-PATH send
//! and receive, extended messages), else taken from what the capture's
//! `.out` shows tcpdump assumed.
//!
//! From the `.out` text this test extracts, per direction, the sequence of
//! message types and, for each UPDATE, the announced and withdrawn prefixes,
//! ORIGIN, AS_PATH, AS4_PATH, NEXT_HOP, the MP next hop, MED, LOCAL_PREF,
//! COMMUNITIES, LARGE_COMMUNITY, OTC, the MP families and End-of-RIB, for
//! each NOTIFICATION the code, subcode and Shutdown Communication, for each
//! OPEN the AS, hold time, identifier and capability codes, for each
//! ROUTE-REFRESH the family and subtype, and
//! checks that we decoded the same. Where we legitimately differ the
//! [`Case`] table says why and what we do instead: families we carry
//! opaque (labelled unicast, VPN, EVPN, route-target constraint), and
//! UPDATEs whose RFC 7606 action is not `none`.
//!
//! The malformed captures (tcpdump crash reproducers) must decode to errors
//! or RFC 7606 actions, never a panic or a hang: each is decoded both as
//! per-direction streams and packet by packet (as tcpdump does), and the
//! outcome is asserted.

mod common;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bgp_wire::capability::Capability;
use bgp_wire::header::{MAX_EXTENDED_MESSAGE_LEN, MAX_MESSAGE_LEN};
use bgp_wire::open::OpenMessage;
use bgp_wire::{
    Action, Family, FamilySet, Message, MessageError, Messages, SessionContext, Update,
    UpdateErrorKind,
};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tcpdump");

//----------- pcap and pcapng -------------------------------------------------

/// One captured frame and the link type of its interface.
struct Frame {
    linktype: u32,
    data: Vec<u8>,
}

fn u16_at(b: &[u8], off: usize, le: bool) -> Option<u16> {
    let x: [u8; 2] = b.get(off..off + 2)?.try_into().ok()?;
    Some(if le {
        u16::from_le_bytes(x)
    } else {
        u16::from_be_bytes(x)
    })
}

fn u32_at(b: &[u8], off: usize, le: bool) -> Option<u32> {
    let x: [u8; 4] = b.get(off..off + 4)?.try_into().ok()?;
    Some(if le {
        u32::from_le_bytes(x)
    } else {
        u32::from_be_bytes(x)
    })
}

/// The frames of a pcap or pcapng file, in file order.
fn read_capture(b: &[u8]) -> Vec<Frame> {
    match b.get(..4) {
        Some([0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1]) => read_pcap(b, true),
        Some([0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d]) => read_pcap(b, false),
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => read_pcapng(b),
        _ => panic!("not a pcap or pcapng file"),
    }
}

fn read_pcap(b: &[u8], le: bool) -> Vec<Frame> {
    // The link type's upper bits may carry FCS information.
    let linktype = u32_at(b, 20, le).expect("pcap header") & 0x0fff_ffff;
    let mut frames = Vec::new();
    let mut off = 24;
    while let Some(caplen) = u32_at(b, off + 8, le) {
        let start = off + 16;
        let Some(data) = b.get(start..start + caplen as usize) else {
            break;
        };
        frames.push(Frame {
            linktype,
            data: data.to_vec(),
        });
        off = start + caplen as usize;
    }
    frames
}

fn read_pcapng(b: &[u8]) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut le = true;
    let mut interfaces: Vec<u32> = Vec::new();
    let mut off = 0;
    while off + 12 <= b.len() {
        // The byte order is that of the section, known from the SHB's magic.
        if b[off..off + 4] == [0x0a, 0x0d, 0x0d, 0x0a] {
            le = b[off + 8..off + 12] == [0x4d, 0x3c, 0x2b, 0x1a];
            interfaces.clear();
        }
        let ty = u32_at(b, off, le).unwrap();
        let len = u32_at(b, off + 4, le).unwrap() as usize;
        let Some(block) = b.get(off..off + len).filter(|_| len >= 12) else {
            break;
        };
        match ty {
            // Interface Description Block.
            1 => interfaces.push(u32::from(u16_at(block, 8, le).unwrap())),
            // Enhanced Packet Block / obsolete Packet Block.
            6 | 2 => {
                let iface = if ty == 6 {
                    u32_at(block, 8, le).unwrap()
                } else {
                    u32::from(u16_at(block, 8, le).unwrap())
                };
                let caplen = u32_at(block, 20, le).unwrap() as usize;
                if let Some(data) = block.get(28..28 + caplen) {
                    frames.push(Frame {
                        linktype: interfaces[iface as usize],
                        data: data.to_vec(),
                    });
                }
            }
            // Simple Packet Block: interface 0.
            3 => {
                let orig = u32_at(block, 8, le).unwrap() as usize;
                let caplen = orig.min(len - 16);
                frames.push(Frame {
                    linktype: interfaces[0],
                    data: block[12..12 + caplen].to_vec(),
                });
            }
            _ => {}
        }
        off += len;
    }
    frames
}

//----------- Link layer, IP, TCP ---------------------------------------------

/// `rest` if `ty` is the ethertype of IPv4 or IPv6.
fn by_ethertype(ty: u16, rest: &[u8]) -> Option<&[u8]> {
    matches!(ty, 0x0800 | 0x86dd).then_some(rest)
}

/// The IP packet in a frame, by link type.
fn ip_packet(linktype: u32, f: &[u8]) -> Option<&[u8]> {
    match linktype {
        // BSD loopback / null: 4-octet address family in host order.
        0 => f.get(4..),
        // Ethernet, with 802.1Q / 802.1ad tags.
        1 => {
            let mut off = 12;
            let mut ty = u16::from_be_bytes(f.get(off..off + 2)?.try_into().ok()?);
            while ty == 0x8100 || ty == 0x88a8 {
                off += 4;
                ty = u16::from_be_bytes(f.get(off..off + 2)?.try_into().ok()?);
            }
            by_ethertype(ty, f.get(off + 2..)?)
        }
        // PPP, with or without the HDLC address and control octets.
        9 => {
            let f = f.strip_prefix(&[0xff, 0x03]).unwrap_or(f);
            match f.get(..2)? {
                [0x00, 0x21] | [0x00, 0x57] => f.get(2..),
                _ => None,
            }
        }
        // Raw IP.
        12 | 14 | 101 | 228 | 229 => Some(f),
        // Linux cooked capture: protocol at 14, header 16 octets.
        113 => by_ethertype(
            u16::from_be_bytes(f.get(14..16)?.try_into().ok()?),
            f.get(16..)?,
        ),
        // Linux cooked capture v2: protocol at 0, header 20 octets.
        276 => by_ethertype(
            u16::from_be_bytes(f.get(..2)?.try_into().ok()?),
            f.get(20..)?,
        ),
        // Juniper Ethernet: "MGC", flags, optional extension TLVs, Ethernet.
        178 => {
            if f.get(..3)? != b"MGC" {
                return None;
            }
            let mut off = 4;
            if f.get(3)? & 0x80 != 0 {
                off += 2 + usize::from(u16::from_be_bytes(f.get(4..6)?.try_into().ok()?));
            }
            ip_packet(1, f.get(off..)?)
        }
        _ => None,
    }
}

/// A TCP segment.
struct Segment<'a> {
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    syn: bool,
    payload: &'a [u8],
}

fn tcp_segment(ip: &[u8]) -> Option<Segment<'_>> {
    let (src, dst, tcp) = match ip.first()? >> 4 {
        4 => {
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes(ip.get(2..4)?.try_into().ok()?));
            let frag_off = u16::from_be_bytes(ip.get(6..8)?.try_into().ok()?) & 0x1fff;
            if *ip.get(9)? != 6 || frag_off != 0 {
                return None;
            }
            let a: [u8; 4] = ip.get(12..16)?.try_into().ok()?;
            let b: [u8; 4] = ip.get(16..20)?.try_into().ok()?;
            // Frames may carry padding after the IP packet; a truncated
            // capture has fewer octets than the header says.
            let end = total.clamp(ihl, ip.len());
            (
                IpAddr::V4(Ipv4Addr::from(a)),
                IpAddr::V4(Ipv4Addr::from(b)),
                ip.get(ihl..end)?,
            )
        }
        6 => {
            let plen = usize::from(u16::from_be_bytes(ip.get(4..6)?.try_into().ok()?));
            let a: [u8; 16] = ip.get(8..24)?.try_into().ok()?;
            let b: [u8; 16] = ip.get(24..40)?.try_into().ok()?;
            let mut next = *ip.get(6)?;
            let mut rest = ip.get(40..(40 + plen).min(ip.len()))?;
            // Hop-by-hop, routing and destination options headers.
            while matches!(next, 0 | 43 | 60) {
                next = *rest.first()?;
                rest = rest.get((usize::from(*rest.get(1)?) + 1) * 8..)?;
            }
            if next != 6 {
                return None;
            }
            (
                IpAddr::V6(Ipv6Addr::from(a)),
                IpAddr::V6(Ipv6Addr::from(b)),
                rest,
            )
        }
        _ => return None,
    };
    let sport = u16::from_be_bytes(tcp.get(0..2)?.try_into().ok()?);
    let dport = u16::from_be_bytes(tcp.get(2..4)?.try_into().ok()?);
    let seq = u32::from_be_bytes(tcp.get(4..8)?.try_into().ok()?);
    let doff = usize::from(tcp.get(12)? >> 4) * 4;
    let flags = *tcp.get(13)?;
    Some(Segment {
        src: SocketAddr::new(src, sport),
        dst: SocketAddr::new(dst, dport),
        seq,
        syn: flags & 0x02 != 0,
        payload: tcp.get(doff..).unwrap_or_default(),
    })
}

//----------- Reassembly ------------------------------------------------------

/// The bytes one side of one connection sent, in order.
struct Stream {
    src: SocketAddr,
    dst: SocketAddr,
    data: Vec<u8>,
    next_seq: Option<u32>,
}

impl Stream {
    fn key(&self) -> (SocketAddr, SocketAddr) {
        (self.src, self.dst)
    }
}

/// Joins the TCP payloads per direction. A SYN starts a new stream; bytes
/// already received (a retransmission, by sequence number) are dropped when
/// they are the same; a segment that rewrites earlier bytes differently, or
/// leaves a gap, starts a new stream (several test captures are crafted
/// from copies of one packet).
fn reassemble(segments: &[Segment<'_>]) -> Vec<Stream> {
    let mut streams: Vec<Stream> = Vec::new();
    let mut current: HashMap<(SocketAddr, SocketAddr), usize> = HashMap::new();
    for s in segments {
        let key = (s.src, s.dst);
        let mut seq = s.seq;
        let mut payload = s.payload;
        let fresh = |seq: Option<u32>| Stream {
            src: s.src,
            dst: s.dst,
            data: Vec::new(),
            next_seq: seq,
        };
        if s.syn {
            // Data on a SYN starts one after the initial sequence number.
            seq = seq.wrapping_add(1);
            streams.push(fresh(Some(seq)));
            current.insert(key, streams.len() - 1);
        }
        if payload.is_empty() {
            continue;
        }
        let idx = *current.entry(key).or_insert_with(|| {
            streams.push(fresh(None));
            streams.len() - 1
        });
        let st = &mut streams[idx];
        let mut new_stream = false;
        if let Some(next) = st.next_seq {
            // Octets of this segment already received (negative: a gap).
            let had = next.wrapping_sub(seq) as i32;
            if had < 0 {
                new_stream = true;
            } else if had > 0 {
                let had = had as usize;
                let n = had.min(payload.len());
                let same = st
                    .data
                    .len()
                    .checked_sub(had)
                    .and_then(|from| st.data.get(from..from + n))
                    .is_some_and(|old| old == &payload[..n]);
                if same {
                    payload = &payload[n..];
                    seq = seq.wrapping_add(n as u32);
                } else {
                    new_stream = true;
                }
            }
        }
        if new_stream {
            streams.push(fresh(None));
            current.insert(key, streams.len() - 1);
        }
        let idx = current[&key];
        let st = &mut streams[idx];
        st.data.extend_from_slice(payload);
        st.next_seq = Some(seq.wrapping_add(payload.len() as u32));
    }
    streams
}

/// The TCP segments of a capture, in capture order.
fn segments(frames: &[Frame]) -> Vec<Segment<'_>> {
    frames
        .iter()
        .filter_map(|f| ip_packet(f.linktype, &f.data).and_then(tcp_segment))
        .collect()
}

//----------- Session contexts ------------------------------------------------

/// The context of direction `a → b` negotiated from both OPENs (RFC 6793,
/// RFC 7911 §4, RFC 8654).
fn negotiate(a: &OpenMessage, b: &OpenMessage) -> SessionContext {
    let caps = |o: &OpenMessage| o.capabilities().cloned().collect::<Vec<_>>();
    let (ca, cb) = (caps(a), caps(b));
    let four = |c: &[Capability]| c.iter().any(|c| matches!(c, Capability::FourOctetAs(_)));
    let ext = |c: &[Capability]| c.iter().any(|c| matches!(c, Capability::ExtendedMessage));
    let add_path = |c: &[Capability], send: bool| -> FamilySet {
        c.iter()
            .filter_map(|c| match c {
                Capability::AddPath(v) => Some(v),
                _ => None,
            })
            .flatten()
            .filter(|(_, m)| if send { m.can_send() } else { m.can_receive() })
            .map(|(f, _)| *f)
            .collect()
    };
    SessionContext {
        four_octet_as: four(&ca) && four(&cb),
        add_path: add_path(&ca, true).intersection(add_path(&cb, false)),
        max_message_len: if ext(&ca) && ext(&cb) {
            MAX_EXTENDED_MESSAGE_LEN
        } else {
            MAX_MESSAGE_LEN
        },
        ..SessionContext::permissive()
    }
}

//----------- Facts -----------------------------------------------------------

/// What this test compares of one message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Facts {
    ty: u8,
    withdrawn: Vec<String>,
    announced: Vec<String>,
    origin: Option<String>,
    as_path: Option<String>,
    as4_path: Option<String>,
    next_hop: Option<String>,
    /// The MP_REACH_NLRI next hop, for IPv4/IPv6 unicast and multicast.
    mp_next_hop: Option<String>,
    med: Option<u32>,
    local_pref: Option<u32>,
    communities: Option<String>,
    large_communities: Option<String>,
    otc: Option<u32>,
    mp_reach: Option<(u16, u8)>,
    mp_unreach: Option<(u16, u8)>,
    end_of_rib: bool,
    /// NOTIFICATION code and subcode.
    notification: Option<(u8, u8)>,
    /// The RFC 9003 Shutdown Communication of a NOTIFICATION.
    shutdown: Option<String>,
    /// OPEN: `my AS`, hold time, BGP Identifier.
    open: Option<(u16, u16, String)>,
    /// OPEN: the capability codes in order.
    capabilities: Vec<u8>,
    /// ROUTE-REFRESH: AFI, SAFI, subtype.
    route_refresh: Option<(u16, u8, u8)>,
}

fn is_prefix_family((afi, safi): (u16, u8)) -> bool {
    matches!(afi, 1 | 2) && matches!(safi, 1 | 2)
}

/// AS path text as tcpdump prints it: ASNs and brackets separated by spaces.
fn path_tokens(s: &str) -> String {
    let s = s.trim();
    if s == "empty" {
        return String::new();
    }
    s.replace(['{', '}', '(', ')', '[', ']', ','], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn our_facts(u: &Update<'_>) -> Facts {
    let mut f = Facts {
        ty: 2,
        withdrawn: u.all_withdrawn().map(|n| n.to_string()).collect(),
        announced: u.all_announced().map(|n| n.to_string()).collect(),
        origin: u.origin().map(|o| {
            match o {
                bgp_wire::attr::Origin::Igp => "IGP",
                bgp_wire::attr::Origin::Egp => "EGP",
                bgp_wire::attr::Origin::Incomplete => "Incomplete",
            }
            .to_owned()
        }),
        as_path: u.as_path().map(|p| path_tokens(&p.to_string())),
        as4_path: u.as4_path().map(|p| path_tokens(&p.to_string())),
        next_hop: u.next_hop().map(|a| a.to_string()),
        mp_next_hop: None,
        med: u.med(),
        local_pref: u.local_pref(),
        communities: u.communities().map(|c| {
            c.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }),
        large_communities: u.large_communities().map(|c| {
            c.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }),
        otc: u.otc(),
        mp_reach: u.mp_reach().map(|m| (m.family().afi.0, m.family().safi.0)),
        mp_unreach: u
            .mp_unreach()
            .map(|m| (m.family().afi.0, m.family().safi.0)),
        end_of_rib: u.end_of_rib().is_some(),
        ..Facts::default()
    };
    if let Some(m) = u.mp_reach().filter(|m| m.family().is_prefix_family()) {
        f.mp_next_hop = Some(m.next_hop().to_string());
    }
    f.withdrawn.sort();
    f.announced.sort();
    f
}

/// The number in the last parentheses of `s`: `IPv4 (1)` → 1.
fn paren_num(s: &str) -> Option<u32> {
    let open = s.rfind('(')?;
    let close = s[open..].find(')')? + open;
    s[open + 1..close].trim().parse().ok()
}

/// An AFI/SAFI line: `AFI: IPv4 (1), SAFI: labeled Unicast (4)`.
fn family_line(s: &str) -> Option<(u16, u8)> {
    let (afi, safi) = s.split_once(", ")?;
    Some((
        u16::try_from(paren_num(afi)?).ok()?,
        u8::try_from(paren_num(safi)?).ok()?,
    ))
}

/// A prefix line: `8.2.0.0/24   Path Id: 20` → `8.2.0.0/24#20`.
fn prefix_line(s: &str) -> Option<String> {
    let s = s.trim();
    let first = s.split_whitespace().next()?;
    if !first.contains('/') || first.parse::<ipnet::IpNet>().is_err() {
        return None;
    }
    match s.split_once("Path Id: ") {
        Some((_, id)) => Some(format!("{first}#{}", id.trim())),
        None => Some(first.to_owned()),
    }
}

/// The code, subcode and Shutdown Communication of tcpdump's NOTIFICATION
/// line: `…, length: 74, Cease (6), subcode Administrative Shutdown (2),
/// Shutdown Communication (length: 52): "…"`.
fn notification_line(line: &str, f: &mut Facts) {
    // Skip `3), length: N, `.
    let Some((_, rest)) = line.split_once(", length: ") else {
        return;
    };
    let rest = rest.split_once(' ').map_or("", |(_, r)| r);
    let first_num = |s: &str| -> Option<u8> {
        let open = s.find('(')?;
        let close = s[open..].find(')')? + open;
        s[open + 1..close].parse().ok()
    };
    let code = first_num(rest);
    let sub = rest.split_once("subcode ").and_then(|(_, r)| first_num(r));
    if let (Some(c), Some(sc)) = (code, sub) {
        f.notification = Some((c, sc));
    }
    const SC: &str = "Shutdown Communication (length: ";
    if let Some((_, r)) = rest.split_once(SC) {
        let (n, r) = r.split_once("): \"").unwrap();
        let n: usize = n.parse().unwrap();
        f.shutdown = Some(r.chars().take(n).collect());
    }
}

/// A line of tcpdump's OPEN: `  Version 4, my AS 23456, Holdtime 180s, ID
/// 0.0.1.1`, or a capability `      32-Bit AS Number (65), length: 4`.
fn open_line(body: &str, f: &mut Facts) {
    let indent = body.len() - body.trim_start().len();
    let t = body.trim();
    if indent == 2 && t.starts_with("Version ") {
        let field = |name: &str| {
            t.split(", ")
                .find_map(|p| p.strip_prefix(name))
                .map(|v| v.trim_end_matches('s').to_owned())
        };
        f.open = Some((
            field("my AS ").unwrap().parse().unwrap(),
            field("Holdtime ").unwrap().parse().unwrap(),
            field("ID ").unwrap(),
        ));
    } else if indent == 6 && t.contains(", length: ") {
        let head = t.split(", length").next().unwrap();
        f.capabilities
            .extend(paren_num(head).and_then(|c| u8::try_from(c).ok()));
    }
}

/// One direction's messages as tcpdump printed them.
type Printed = Vec<((String, String), Facts)>;

/// Parses tcpdump's `-v` output: the messages per direction, in order.
fn parse_out(text: &str) -> Printed {
    #[derive(PartialEq)]
    enum Mode {
        None,
        Withdrawn,
        Announced,
        MpReach,
        MpUnreach,
        Large,
        Otc,
    }
    let mut out: Printed = Vec::new();
    let mut dir: Option<(String, String)> = None;
    let mut mode = Mode::None;
    let mut mp_family: Option<(u16, u8)> = None;
    for line in text.lines() {
        // A packet's TCP line: `SRC.PORT > DST.PORT: Flags …`.
        if !line.starts_with('\t') {
            if let Some((a, b)) = line.split_once(" > ") {
                if let Some(src) = a.split_whitespace().last() {
                    if let Some((dst, _)) = b.split_once(": ") {
                        dir = Some((src.to_owned(), dst.to_owned()));
                    }
                }
            }
            continue;
        }
        let body = &line[1..];
        // A message: `Update Message (2), length: 95`.
        if !body.starts_with([' ', '\t']) {
            if let Some((_, rest)) = body.split_once(" Message (") {
                let ty = rest.split(')').next().unwrap().parse().unwrap();
                let mut f = Facts {
                    ty,
                    ..Facts::default()
                };
                if ty == 3 {
                    notification_line(rest, &mut f);
                }
                out.push((dir.clone().expect("message before any packet"), f));
                mode = Mode::None;
            }
            continue;
        }
        let Some((_, f)) = out.last_mut() else {
            continue;
        };
        if f.ty == 1 {
            open_line(body, f);
            continue;
        }
        // `  AFI IPv4 (1), SAFI Unicast (1), Subtype Normal route refresh request (0)`
        if f.ty == 5 && f.route_refresh.is_none() {
            let p: Vec<Option<u32>> = body.trim().split(", ").map(paren_num).collect();
            if let [Some(afi), Some(safi), Some(sub)] = p[..] {
                f.route_refresh = Some((afi as u16, safi as u8, sub as u8));
            }
            continue;
        }
        if f.ty != 2 {
            continue;
        }
        if body.contains("End-of-Rib Marker") {
            f.end_of_rib = true;
        }
        let indent = body.len() - body.trim_start().len();
        let t = body.trim();
        if indent == 2 {
            // A top-level attribute or section of the UPDATE.
            mode = Mode::None;
            let value = t.split_once("]: ").map(|(_, v)| v.trim());
            let num = || value.and_then(|v| v.parse().ok());
            match paren_num(t.split(", length").next().unwrap_or_default()) {
                _ if t.starts_with("Withdrawn routes:") => mode = Mode::Withdrawn,
                _ if t.starts_with("Updated routes:") => mode = Mode::Announced,
                Some(1) => f.origin = value.map(str::to_owned),
                Some(2) => f.as_path = value.map(path_tokens),
                Some(3) => f.next_hop = value.map(str::to_owned),
                Some(4) => f.med = num(),
                Some(5) => f.local_pref = num(),
                Some(8) => f.communities = value.map(str::to_owned),
                Some(14) => mode = Mode::MpReach,
                Some(15) => mode = Mode::MpUnreach,
                Some(17) => f.as4_path = value.map(path_tokens),
                Some(32) => mode = Mode::Large,
                Some(35) => mode = Mode::Otc,
                _ => {}
            }
            continue;
        }
        match mode {
            Mode::Withdrawn => f.withdrawn.extend(prefix_line(t)),
            Mode::Announced => f.announced.extend(prefix_line(t)),
            Mode::Large => {
                f.large_communities = Some(t.to_owned());
                mode = Mode::None;
            }
            Mode::Otc => {
                f.otc = t.strip_prefix("OTC ").and_then(|v| v.parse().ok());
                mode = Mode::None;
            }
            Mode::MpReach | Mode::MpUnreach => {
                if t.starts_with("AFI: ") {
                    mp_family = family_line(t);
                    if mode == Mode::MpReach {
                        f.mp_reach = mp_family;
                    } else {
                        f.mp_unreach = mp_family;
                    }
                } else if let Some(nh) = t.strip_prefix("nexthop: ") {
                    if mp_family.is_some_and(is_prefix_family) {
                        let nh = nh.split(", nh-length").next().unwrap();
                        f.mp_next_hop = Some(nh.replace(", ", " "));
                    }
                } else if mp_family.is_some_and(is_prefix_family) {
                    let p = prefix_line(t);
                    if mode == Mode::MpReach {
                        f.announced.extend(p);
                    } else {
                        f.withdrawn.extend(p);
                    }
                }
            }
            Mode::None => {}
        }
    }
    for (_, f) in &mut out {
        f.withdrawn.sort();
        f.announced.sort();
        // tcpdump calls any UPDATE without attributes and NLRI an
        // End-of-RIB marker, also one that withdraws routes; RFC 4724 §2
        // wants the Withdrawn Routes field empty too.
        if f.mp_unreach.is_none() && !f.withdrawn.is_empty() {
            f.end_of_rib = false;
        }
    }
    out
}

//----------- Decoding a capture ----------------------------------------------

/// The direction key as tcpdump prints it: `1.2.3.4.179`.
fn endpoint(a: SocketAddr) -> String {
    format!("{}.{}", a.ip(), a.port())
}

/// One message as we decoded it.
#[derive(Debug)]
struct Ours {
    dir: (String, String),
    /// Facts (type only unless a decoded UPDATE).
    facts: Facts,
    /// The RFC 7606 action, or `session-reset` with the error.
    outcome: String,
}

/// How to read a capture.
struct Case {
    /// Capture file name.
    file: &'static str,
    /// The context of a direction whose OPENs are not both in the capture:
    /// what tcpdump's output shows the session used.
    default_ctx: fn() -> SessionContext,
    /// Expected outcomes other than `none`, with the reason in a comment, as
    /// (message number, outcome). Messages are numbered direction by
    /// direction, directions in the order tcpdump first prints them.
    deviations: &'static [(usize, &'static str)],
}

/// 4-octet AS (and the lenient rest of [`SessionContext::permissive`]).
fn ctx4() -> SessionContext {
    SessionContext::permissive()
}

/// 2-octet AS: tcpdump printed a 4-octet AS_PATH of one ASN with length 4.
fn ctx2() -> SessionContext {
    SessionContext {
        four_octet_as: false,
        ..SessionContext::permissive()
    }
}

/// 4-octet AS and ADD-PATH for IPv4 and IPv6 unicast: tcpdump printed path
/// identifiers.
fn ctx_add_path() -> SessionContext {
    SessionContext::permissive()
        .with_add_path(Family::IPV4_UNICAST)
        .with_add_path(Family::IPV6_UNICAST)
}

/// Decodes every stream of a capture; returns our messages in stream order.
fn decode_capture(bytes: &[u8], default_ctx: fn() -> SessionContext) -> Vec<Ours> {
    let frames = read_capture(bytes);
    let segs = segments(&frames);
    let streams = reassemble(&segs);
    // Pass 1: the first OPEN each direction sent.
    let mut opens: HashMap<(SocketAddr, SocketAddr), OpenMessage> = HashMap::new();
    for st in &streams {
        for (_, r) in Messages::new(&st.data, ctx4()) {
            if let Ok(Message::Open(o)) = r {
                opens.entry(st.key()).or_insert(o);
            }
        }
    }
    // Pass 2: decode with the negotiated (or default) context.
    let mut out = Vec::new();
    for st in &streams {
        let ctx = match (opens.get(&st.key()), opens.get(&(st.dst, st.src))) {
            (Some(a), Some(b)) => negotiate(a, b),
            _ => default_ctx(),
        };
        let dir = (endpoint(st.src), endpoint(st.dst));
        for (off, r) in Messages::new(&st.data, ctx) {
            let header_ty = st.data.get(off + 18).copied().unwrap_or(0);
            let (facts, outcome) = match &r {
                Ok(m) => {
                    common::walk(m, &ctx);
                    match m {
                        Message::Update(u) => (
                            our_facts(u),
                            match u.error() {
                                Some(e) => format!("{} {:?}", e.action(), e.kind),
                                None => "none".to_owned(),
                            },
                        ),
                        Message::Notification(n) => (
                            Facts {
                                ty: 3,
                                notification: Some((n.code.0, n.subcode)),
                                shutdown: n.shutdown_communication().map(str::to_owned),
                                ..Facts::default()
                            },
                            "none".to_owned(),
                        ),
                        Message::Open(o) => (
                            Facts {
                                ty: 1,
                                open: Some((o.my_as, o.hold_time, o.bgp_id.to_string())),
                                capabilities: o.capabilities().map(|c| c.code().0).collect(),
                                ..Facts::default()
                            },
                            "none".to_owned(),
                        ),
                        Message::RouteRefresh(r) => (
                            Facts {
                                ty: 5,
                                route_refresh: Some((r.family.afi.0, r.family.safi.0, r.subtype.0)),
                                ..Facts::default()
                            },
                            "none".to_owned(),
                        ),
                        m => (
                            Facts {
                                ty: m.ty().0,
                                ..Facts::default()
                            },
                            "none".to_owned(),
                        ),
                    }
                }
                Err(e) => (
                    Facts {
                        ty: header_ty,
                        ..Facts::default()
                    },
                    describe_error(e),
                ),
            };
            out.push(Ours {
                dir: dir.clone(),
                facts,
                outcome,
            });
        }
    }
    out
}

fn describe_error(e: &MessageError<'_>) -> String {
    let n = e.notification();
    let kind = match e {
        MessageError::Update(u) => format!(" {:?}", u.kind),
        _ => String::new(),
    };
    format!("session-reset {}/{}{kind}", n.code.0, n.subcode)
}

/// Decodes a capture and compares it with its `.out`. Returns (messages,
/// messages compared fact by fact).
fn check_capture(case: &Case, out_file: &str) -> (usize, usize) {
    let bytes = std::fs::read(format!("{DIR}/{}", case.file)).unwrap();
    let text = std::fs::read_to_string(format!("{DIR}/{out_file}")).unwrap();
    let ours = decode_capture(&bytes, case.default_ctx);
    let theirs = parse_out(&text);
    let file = case.file;

    // Group both by direction, keeping the order within each.
    let mut dirs: Vec<(String, String)> = Vec::new();
    for (d, _) in &theirs {
        if !dirs.contains(d) {
            dirs.push(d.clone());
        }
    }
    for o in &ours {
        assert!(
            dirs.contains(&o.dir),
            "{file}: we decoded messages {:?} tcpdump did not print",
            o.dir
        );
    }
    let mut compared = 0;
    let mut deviations = Vec::new();
    let mut index = 0;
    for d in &dirs {
        let t: Vec<&Facts> = theirs
            .iter()
            .filter(|(x, _)| x == d)
            .map(|(_, f)| f)
            .collect();
        let o: Vec<&Ours> = ours.iter().filter(|x| &x.dir == d).collect();
        let tt: Vec<u8> = t.iter().map(|f| f.ty).collect();
        let ot: Vec<u8> = o.iter().map(|x| x.facts.ty).collect();
        assert_eq!(ot, tt, "{file}: message types {d:?}");
        for (ours, theirs) in o.iter().zip(&t) {
            if ours.outcome != "none" {
                deviations.push((index, ours.outcome.clone()));
            }
            // Every UPDATE that decoded, whatever its RFC 7606 action: the
            // view still shows what was on the wire (minus any attribute it
            // discarded).
            if ours.facts.ty == 1 {
                assert_eq!(
                    (&ours.facts.open, &ours.facts.capabilities),
                    (&theirs.open, &theirs.capabilities),
                    "{file}: OPEN #{index} {d:?}"
                );
                compared += 1;
            }
            if ours.facts.ty == 5 {
                assert_eq!(
                    ours.facts.route_refresh, theirs.route_refresh,
                    "{file}: ROUTE-REFRESH #{index} {d:?}"
                );
                compared += 1;
            }
            if ours.facts.ty == 3 {
                assert_eq!(
                    (ours.facts.notification, &ours.facts.shutdown),
                    (theirs.notification, &theirs.shutdown),
                    "{file}: NOTIFICATION #{index} {d:?}"
                );
                compared += 1;
            }
            if ours.facts.ty == 2 && !ours.outcome.starts_with("session-reset") {
                let mut theirs = (*theirs).clone();
                let mine = &ours.facts;
                // Families carried opaque (labelled unicast, VPN, EVPN, RT
                // constraint): tcpdump decodes their NLRI (labels, route
                // distinguishers, routes) and prints their next hop with the
                // RD; we keep the octets. The family must match (it is part
                // of the facts) and nothing else of it is compared.
                if mine.mp_reach.is_some_and(|f| !is_prefix_family(f)) {
                    theirs.mp_next_hop = None;
                }
                assert_eq!(mine, &theirs, "{file}: UPDATE #{index} {d:?}");
                compared += 1;
            }
            index += 1;
        }
    }
    let want: Vec<(usize, String)> = case
        .deviations
        .iter()
        .map(|(i, s)| (*i, (*s).to_owned()))
        .collect();
    assert_eq!(deviations, want, "{file}: actions other than none");
    (ours.len(), compared)
}

//----------- The captures ------------------------------------------------------

/// The `.out` file of each capture, from tcpdump's TESTLIST (only the
/// `.out` files kept in the folder).
fn out_files() -> HashMap<String, String> {
    let list = std::fs::read_to_string(format!("{DIR}/TESTLIST.bgp-lines.txt")).unwrap();
    let mut m = HashMap::new();
    for line in list.lines().filter(|l| !l.starts_with('#')) {
        let w: Vec<&str> = line.split_whitespace().collect();
        if let [_, pcap, out, ..] = w[..] {
            if std::path::Path::new(&format!("{DIR}/{out}")).exists() {
                m.entry(pcap.to_owned()).or_insert_with(|| out.to_owned());
            }
        }
    }
    m
}

/// A capture whose messages all decode with action `none`.
const fn clean(file: &'static str, default_ctx: fn() -> SessionContext) -> Case {
    Case {
        file,
        default_ctx,
        deviations: &[],
    }
}

/// The outcome of a BGPsec UPDATE without AS_PATH.
const BGPSEC: &str = "treat-as-withdraw Missing(AS_PATH)";

/// The well-formed captures, compared with tcpdump's output.
const WELL_FORMED: &[Case] = &[
    // Five sessions with both OPENs: 4-octet AS only where both sides
    // offer it (else AS_PATH with AS_TRANS plus AS4_PATH, both compared);
    // ADD-PATH offered for receiving only, on both sides, so not used.
    clean("bgp-4byte-asn.pcap", ctx4),
    // AIGP and labelled unicast (carried opaque; family compared), End-of-RIB
    // in MP_UNREACH_NLRI.
    clean("bgp-aigp.pcap", ctx4),
    clean("bgp-aigp-2.pcap", ctx2),
    clean("bgp-bfd-cease.pcap", ctx4),
    clean("bgp-cease-hard-reset.pcap", ctx4),
    // EVPN with a Tunnel Encapsulation extended community: EVPN carried opaque.
    clean("bgp-encap.pcap", ctx4),
    clean("bgp-enhanced-route-refresh.pcapng", ctx4),
    // Linux cooked capture over IPv6: ROUTE-REFRESH BoRR/EoRR around UPDATEs.
    clean("bgp-enhanced-route-refresh-subtype.pcapng", ctx4),
    clean("bgp-evpn.pcap", ctx4),
    clean("bgp-extended-msg.pcapng", ctx4),
    // An OPEN with RFC 9072 extended optional parameters length.
    clean("bgp-extended-optional-parameters-length.pcapng", ctx4),
    clean("bgp-extended-shutdown-msg.pcapng", ctx4),
    clean("bgp-large-community.pcap", ctx4),
    clean("bgp-link-bw-extcommunity.pcapng", ctx4),
    // Labelled unicast with ADD-PATH offered for receiving on both sides.
    clean("bgp-lu-multiple-labels.pcap", ctx4),
    // ROUTE-REFRESH with ORF entries (kept as octets).
    clean("bgp-orf.pcapng", ctx4),
    clean("bgp-ovs.pcapng", ctx4),
    // BGP Role and OTC; only one OPEN in the capture.
    clean("bgp-role.pcapng", ctx4),
    // Route-target constraint NLRI (carried opaque; family compared).
    clean("bgp-rt-prefix.pcap", ctx2),
    // Two packets with the same sequence number and different content: two
    // streams.
    clean("bgp-shutdown-communication.pcapng", ctx4),
    // Three SYN packets with data, each a NOTIFICATION: a Shutdown
    // Communication followed by more data (ignored), an empty one, and one
    // whose length runs past the data (a well-formed NOTIFICATION whose
    // `shutdown_communication` is `None`, as tcpdump prints none).
    clean("bgp-shutdown-msg-variations.pcap", ctx4),
    clean("bgp_notification_rr_msg_error.pcap", ctx4),
    // PPP link; VPNv4 (carried opaque) with ATTR_SET (kept raw).
    clean("bgp_vpn_attrset.pcap", ctx4),
    // IPv6 next hop with a link-local address.
    clean("mpbgp-linklocal-nexthop.pcap", ctx2),
    // One crafted UPDATE with ADD-PATH identifiers everywhere and, in one
    // message, two MP_REACH_NLRI and two MP_UNREACH_NLRI (IPv4 and IPv6).
    // RFC 7606 §3 (g): a repeated MP_REACH_NLRI is a session reset with
    // Malformed Attribute List (3/1). (Its NEXT_HOP of length 0 and the MP
    // attributes' missing Optional flag would be errors too.) Without
    // ADD-PATH it fails earlier, on the withdrawn routes: see
    // `addpath_capture_needs_add_path`.
    Case {
        file: "bgp-addpath.pcap",
        default_ctx: ctx_add_path,
        deviations: &[(0, "session-reset 3/1 DuplicateMp(MP_REACH_NLRI)")],
    },
    // BGPsec (RFC 8205): the UPDATEs between the two BGPsec speakers carry
    // BGPsec_Path instead of AS_PATH. This codec does not speak BGPsec, and
    // a BGPsec speaker only sends BGPsec_Path to a peer that negotiated it,
    // so to us AS_PATH is missing: treat-as-withdraw (RFC 7606 §3 (d)).
    // The rest of each UPDATE is still compared; BGPsec_Path itself is kept
    // as an unknown optional attribute.
    Case {
        file: "bgp-bgpsec.pcap",
        default_ctx: ctx4,
        deviations: &[
            (2, BGPSEC),
            (3, BGPSEC),
            (4, BGPSEC),
            (5, BGPSEC),
            (6, BGPSEC),
            (7, BGPSEC),
            (8, BGPSEC),
            (9, BGPSEC),
            (10, BGPSEC),
            (11, BGPSEC),
            (18, BGPSEC),
            (19, BGPSEC),
            (20, BGPSEC),
            (21, BGPSEC),
            (22, BGPSEC),
            (23, BGPSEC),
            (24, BGPSEC),
            (25, BGPSEC),
            (26, BGPSEC),
            (27, BGPSEC),
        ],
    },
];

#[test]
fn well_formed_captures_match_tcpdump() {
    let outs = out_files();
    let mut failures = Vec::new();
    for case in WELL_FORMED {
        let out = &outs[case.file];
        match std::panic::catch_unwind(|| check_capture(case, out)) {
            Ok((n, c)) => println!("{}: {n} messages, {c} compared", case.file),
            Err(e) => failures.push(format!(
                "{}: {}",
                case.file,
                e.downcast_ref::<String>().cloned().unwrap_or_default()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// One line per message: `TYPE outcome`, stream by stream, then the same
/// for each packet's payload decoded on its own (as tcpdump does).
fn malformed_outcomes(file: &str, ctx: SessionContext) -> (Vec<String>, Vec<String>) {
    let bytes = std::fs::read(format!("{DIR}/{file}")).unwrap();
    let frames = read_capture(&bytes);
    let segs = segments(&frames);
    let line = |buf: &[u8], off: usize, r: &Result<Message<'_>, MessageError<'_>>| {
        let ty = bgp_wire::MessageType(buf.get(off + 18).copied().unwrap_or(0));
        let outcome = match r {
            Ok(m) => {
                let w = common::walk(m, &ctx);
                match m {
                    Message::Update(u) => match u.error() {
                        Some(e) => format!("{} {:?}", e.action(), e.kind),
                        None => format!("none {}+{}", w.announced, w.withdrawn),
                    },
                    _ => "none".to_owned(),
                }
            }
            Err(MessageError::Header(e)) => return format!("header {e:?}"),
            Err(e) => describe_error(e),
        };
        format!("{ty:?} {outcome}")
    };
    let mut streams = Vec::new();
    for st in reassemble(&segs) {
        for (off, r) in common::decode_resync(&st.data, &ctx) {
            streams.push(line(&st.data, off, &r));
        }
    }
    let mut packets = Vec::new();
    for s in &segs {
        for (off, r) in common::decode_resync(s.payload, &ctx) {
            packets.push(line(s.payload, off, &r));
        }
    }
    (streams, packets)
}

/// A malformed capture and what it decodes to.
struct Malformed {
    file: &'static str,
    /// Messages (and header errors) decoding each packet's payload alone.
    packets: usize,
    /// Outcome counts over the reassembled streams (`TYPE outcome` or
    /// `header ERROR`).
    streams: &'static [(&'static str, usize)],
}

/// The malformed captures: tcpdump crash reproducers, fuzzed sessions. None
/// has the OPENs, so they are read with 4-octet AS.
const MALFORMED: &[Malformed] = &[
    // A fuzzed session of AIGP UPDATEs (an out-of-bounds read in tcpdump's
    // AIGP printer). Broken markers are skipped to the next marker; what
    // frames decodes to well-formed UPDATEs without NLRI, a malformed
    // AS_PATH (treat-as-withdraw), attributes overrunning the list
    // (treat-as-withdraw, RFC 7606 §4) or non-optional attributes of unknown
    // types (Unrecognized Well-known Attribute, 3/2).
    Malformed {
        file: "bgp-aigp-oobr.pcap",
        packets: 561,
        streams: &[
            ("UPDATE none 0+0", 224),
            (
                "UPDATE session-reset 3/2 UnrecognizedWellKnown(AttrType(0))",
                110,
            ),
            (
                "UPDATE session-reset 3/2 UnrecognizedWellKnown(AttrType(114))",
                1,
            ),
            (
                "UPDATE session-reset 3/2 UnrecognizedWellKnown(AttrType(171))",
                1,
            ),
            ("UPDATE treat-as-withdraw AttributeOverrun", 2),
            ("UPDATE treat-as-withdraw MalformedAsPath(AS_PATH)", 111),
            ("header ConnectionNotSynchronized", 112),
        ],
    },
    // A fuzzed session (an out-of-bounds read in tcpdump's AS_PATH printer):
    // AS4_PATH with wrong flags, attribute overruns, a CLUSTER_LIST of bad
    // length (all treat-as-withdraw), bad lengths (3/1), unknown well-known
    // attributes (3/2).
    Malformed {
        file: "bgp-as-path-oobr.pcap",
        packets: 463,
        streams: &[
            ("UPDATE none 0+0", 134),
            ("UPDATE session-reset 3/1 AttributeListLength", 1),
            (
                "UPDATE session-reset 3/2 UnrecognizedWellKnown(AttrType(0))",
                2,
            ),
            ("UPDATE treat-as-withdraw AttributeOverrun", 65),
            ("UPDATE treat-as-withdraw Flags(AS4_PATH)", 127),
            ("UPDATE treat-as-withdraw Length(CLUSTER_LIST)", 1),
            ("header ConnectionNotSynchronized", 132),
        ],
    },
    // An OPEN with malformed capabilities (Graceful Restart shorter than 2
    // octets): OPEN Message Error / Unspecific (2/0); trailing garbage.
    Malformed {
        file: "bgp-bgp_capabilities_print-oobr-1.pcap",
        packets: 3,
        streams: &[
            ("OPEN session-reset 2/0", 1),
            ("header ConnectionNotSynchronized", 2),
        ],
    },
    // The same with different capability octets.
    Malformed {
        file: "bgp-bgp_capabilities_print-oobr-2.pcap",
        packets: 3,
        streams: &[
            ("OPEN session-reset 2/0", 1),
            ("header ConnectionNotSynchronized", 2),
        ],
    },
    // UPDATEs whose Total Path Attribute Length runs past the message
    // (Malformed Attribute List, 3/1), between stretches of garbage.
    Malformed {
        file: "bgp_mp_reach_nlri-oobr.pcap",
        packets: 13,
        streams: &[
            ("UPDATE session-reset 3/1 AttributeListLength", 6),
            ("header ConnectionNotSynchronized", 7),
        ],
    },
    // An UPDATE whose attribute list length overruns the message (3/1); the
    // MVPN route tcpdump over-read is never reached.
    Malformed {
        file: "bgp_mvpn_6_and_7_oobr.pcap",
        packets: 2,
        streams: &[
            ("UPDATE session-reset 3/1 AttributeListLength", 1),
            ("header ConnectionNotSynchronized", 1),
        ],
    },
    // The same shape, with a PMSI_TUNNEL attribute tcpdump over-read.
    Malformed {
        file: "bgp_pmsi_tunnel-oobr.pcap",
        packets: 2,
        streams: &[
            ("UPDATE session-reset 3/1 AttributeListLength", 1),
            ("header ConnectionNotSynchronized", 1),
        ],
    },
    // Withdrawn Routes Length and attribute list lengths overrunning the
    // message (3/1).
    Malformed {
        file: "bgp_vpn_rt-oobr.pcap",
        packets: 6,
        streams: &[
            ("UPDATE session-reset 3/1 AttributeListLength", 2),
            ("UPDATE session-reset 3/1 WithdrawnLength", 1),
            ("header ConnectionNotSynchronized", 3),
        ],
    },
    // One 4708-octet SYN payload of fuzzed UPDATEs (undefined behaviour in
    // tcpdump): bad NLRI (3/10), bad lengths (3/1), unknown well-known
    // attributes (3/2), LARGE_COMMUNITY with wrong flags and a bad
    // CLUSTER_LIST (treat-as-withdraw), a bad message type (1/3).
    Malformed {
        file: "bgp-ub.pcap",
        packets: 37,
        streams: &[
            ("UPDATE none 0+0", 6),
            ("UPDATE none 1+0", 2),
            ("UPDATE session-reset 3/1 AttributeListLength", 2),
            ("UPDATE session-reset 3/10 NlriSyntax", 2),
            (
                "UPDATE session-reset 3/2 UnrecognizedWellKnown(AttrType(0))",
                4,
            ),
            (
                "UPDATE session-reset 3/2 UnrecognizedWellKnown(AttrType(113))",
                2,
            ),
            ("UPDATE treat-as-withdraw Flags(LARGE_COMMUNITY)", 2),
            ("UPDATE treat-as-withdraw Length(CLUSTER_LIST)", 2),
            ("header BadMessageType(40)", 1),
            ("header ConnectionNotSynchronized", 14),
        ],
    },
    // UPDATEs of length 19, shorter than the 23 octets an UPDATE needs (an
    // infinite loop in old tcpdump): Bad Message Length (1/2). Two packets
    // are the same segment twice, which reassembly drops as a
    // retransmission; packet by packet there are five.
    Malformed {
        file: "bgp-infinite-loop.pcap",
        packets: 5,
        streams: &[("header BadMessageLength { len: 19, ty: UPDATE }", 4)],
    },
    // A Cease / Hard Reset (6/9) without the inner code and subcode RFC 8538
    // §3 puts in its data: a well-formed NOTIFICATION whose Hard Reset data
    // is absent (`hard_reset_inner` is `None`, see
    // `malformed_hard_reset_has_no_inner_notification`).
    Malformed {
        file: "bgp-malformed-hard-reset.pcap",
        packets: 1,
        streams: &[("NOTIFICATION none", 1)],
    },
    // A BGPsec UPDATE with a bad signature block: as in bgp-bgpsec.pcap,
    // BGPsec_Path is an opaque optional attribute to us and the missing
    // AS_PATH makes the UPDATE treat-as-withdraw.
    Malformed {
        file: "bgpsec_invalid_signature_block_length.pcap",
        packets: 1,
        streams: &[("UPDATE treat-as-withdraw Missing(AS_PATH)", 1)],
    },
];

#[test]
fn malformed_captures_give_errors_or_actions() {
    for m in MALFORMED {
        let (streams, packets) = malformed_outcomes(m.file, ctx4());
        let mut counts: Vec<(String, usize)> = Vec::new();
        for s in streams {
            match counts.iter_mut().find(|(k, _)| *k == s) {
                Some((_, n)) => *n += 1,
                None => counts.push((s, 1)),
            }
        }
        counts.sort();
        let want: Vec<(String, usize)> = m
            .streams
            .iter()
            .map(|(k, n)| ((*k).to_owned(), *n))
            .collect();
        assert_eq!(counts, want, "{}", m.file);
        assert_eq!(packets.len(), m.packets, "{}", m.file);
    }
}

#[test]
fn malformed_hard_reset_has_no_inner_notification() {
    let bytes = std::fs::read(format!("{DIR}/bgp-malformed-hard-reset.pcap")).unwrap();
    let frames = read_capture(&bytes);
    let segs = segments(&frames);
    let (_, r) = Messages::new(segs[0].payload, ctx4()).next().unwrap();
    let Ok(Message::Notification(n)) = r else {
        panic!("{r:?}")
    };
    assert_eq!((n.code.0, n.subcode), (6, 9));
    assert!(n.data.is_empty());
    assert_eq!(n.hard_reset_inner(), None);
    // The well-formed one of bgp-cease-hard-reset.pcap carries Cease / Peer
    // De-configured.
    let bytes = std::fs::read(format!("{DIR}/bgp-cease-hard-reset.pcap")).unwrap();
    let frames = read_capture(&bytes);
    let segs = segments(&frames);
    let n = segs
        .iter()
        .flat_map(|s| Messages::new(s.payload, ctx4()))
        .find_map(|(_, r)| match r {
            Ok(Message::Notification(n)) => Some(n),
            _ => None,
        })
        .unwrap();
    let (code, sub, _) = n.hard_reset_inner().unwrap();
    assert_eq!((code.0, sub), (6, 3));
}

#[test]
fn addpath_capture_needs_add_path() {
    let bytes = std::fs::read(format!("{DIR}/bgp-addpath.pcap")).unwrap();
    let frames = read_capture(&bytes);
    let segs = segments(&frames);
    let payload = segs[0].payload;
    // Without ADD-PATH the path identifiers make the withdrawn routes invalid.
    let (_, r) = Messages::new(payload, ctx4()).next().unwrap();
    let Err(MessageError::Update(e)) = r else {
        panic!("{r:?}")
    };
    assert_eq!(e.kind, UpdateErrorKind::WithdrawnSyntax);
    // With it, decoding gets to the attributes and stops at the second
    // MP_REACH_NLRI.
    let (_, r) = Messages::new(payload, ctx_add_path()).next().unwrap();
    let Err(MessageError::Update(e)) = r else {
        panic!("{r:?}")
    };
    assert_eq!(e.action(), Action::SessionReset);
    assert!(matches!(e.kind, UpdateErrorKind::DuplicateMp(_)));
}

#[test]
fn every_capture_is_checked() {
    let outs = out_files();
    let mut names: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        .collect();
    names.sort();
    assert_eq!(names.len(), WELL_FORMED.len() + MALFORMED.len());
    for n in &names {
        let well = WELL_FORMED.iter().any(|c| c.file == n);
        let bad = MALFORMED.iter().any(|c| c.file == n);
        assert!(well != bad, "{n}: in neither or both lists");
        assert!(!well || outs.contains_key(n), "{n}: no .out");
    }
}

/// A TCP segment from 192.0.2.1:179 to 192.0.2.2:50000 carrying `payload`,
/// in an IPv4 packet.
fn ipv4_tcp(payload: &[u8]) -> Vec<u8> {
    let mut tcp = vec![
        0x00, 0xb3, 0xc3, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0, 0,
    ];
    tcp.extend_from_slice(&[0, 0, 0, 0]);
    tcp.extend_from_slice(payload);
    let total = u16::try_from(20 + tcp.len()).unwrap().to_be_bytes();
    let mut ip = vec![0x45, 0, total[0], total[1], 0, 0, 0x40, 0, 64, 6, 0, 0];
    ip.extend_from_slice(&[192, 0, 2, 1, 192, 0, 2, 2]);
    ip.extend_from_slice(&tcp);
    ip
}

/// The same segment in an IPv6 packet (2001:db8::1 → 2001:db8::2), behind a
/// destination options header.
fn ipv6_tcp(payload: &[u8]) -> Vec<u8> {
    let v4 = ipv4_tcp(payload);
    let tcp = &v4[20..];
    let plen = u16::try_from(8 + tcp.len()).unwrap().to_be_bytes();
    let mut ip = vec![0x60, 0, 0, 0, plen[0], plen[1], 60, 64];
    ip.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
    ip.extend_from_slice(&"2001:db8::2".parse::<Ipv6Addr>().unwrap().octets());
    ip.extend_from_slice(&[6, 0, 1, 4, 0, 0, 0, 0]);
    ip.extend_from_slice(tcp);
    ip
}

#[test]
fn link_types_and_file_formats() {
    let ka = bgp_wire::message::KEEPALIVE;
    let v4 = ipv4_tcp(&ka);
    let v6 = ipv6_tcp(&ka);
    let eth = |ty: u16, ip: &[u8]| {
        let mut f = vec![0; 12];
        f.extend_from_slice(&[0x81, 0, 0, 7]); // a VLAN tag
        f.extend_from_slice(&ty.to_be_bytes());
        f.extend_from_slice(ip);
        f
    };
    let cases: Vec<(u32, Vec<u8>)> = vec![
        (0, [&[2, 0, 0, 0][..], &v4].concat()),
        (0, [&[30, 0, 0, 0][..], &v6].concat()),
        (1, eth(0x0800, &v4)),
        (1, eth(0x86dd, &v6)),
        (9, [&[0xff, 0x03, 0x00, 0x21][..], &v4].concat()),
        (101, v4.clone()),
        (228, v4.clone()),
        (229, v6.clone()),
        (113, [&[0; 14][..], &[0x86, 0xdd], &v6].concat()),
        (276, [&[0x08, 0x00][..], &[0; 18], &v4].concat()),
        (
            178,
            [&b"MGC\x80\x00\x02\x01\x02"[..], &eth(0x0800, &v4)].concat(),
        ),
    ];
    for (lt, frame) in &cases {
        let ip = ip_packet(*lt, frame).unwrap_or_else(|| panic!("link type {lt}"));
        let s = tcp_segment(ip).unwrap_or_else(|| panic!("link type {lt}"));
        assert_eq!(s.payload, ka, "link type {lt}");
        assert_eq!(s.src.port(), 179);
    }

    // The same frames in a big-endian pcap and a little-endian pcapng.
    let mut pcap = vec![0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4];
    pcap.extend_from_slice(&[0; 8]);
    pcap.extend_from_slice(&65535u32.to_be_bytes());
    pcap.extend_from_slice(&101u32.to_be_bytes());
    for _ in 0..2 {
        pcap.extend_from_slice(&[0; 8]);
        let n = u32::try_from(v4.len()).unwrap().to_be_bytes();
        pcap.extend_from_slice(&n);
        pcap.extend_from_slice(&n);
        pcap.extend_from_slice(&v4);
    }
    let frames = read_capture(&pcap);
    assert_eq!(frames.len(), 2);
    assert!(frames.iter().all(|f| f.linktype == 101 && f.data == v4));

    let block = |ty: u32, body: &[u8]| {
        let mut body = body.to_vec();
        while body.len() % 4 != 0 {
            body.push(0);
        }
        let len = u32::try_from(12 + body.len()).unwrap().to_le_bytes();
        [&ty.to_le_bytes()[..], &len, &body, &len].concat()
    };
    let mut ng = block(
        0x0a0d_0d0a,
        &[
            0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ],
    );
    ng.extend(block(1, &[228, 0, 0, 0, 0, 0, 0, 0]));
    ng.extend(block(1, &[229, 0, 0, 0, 0, 0, 0, 0]));
    let n = u32::try_from(v6.len()).unwrap().to_le_bytes();
    ng.extend(block(
        6,
        &[&1u32.to_le_bytes()[..], &[0; 8], &n, &n, &v6].concat(),
    ));
    let n = u32::try_from(v4.len()).unwrap().to_le_bytes();
    ng.extend(block(3, &[&n[..], &v4].concat()));
    let frames = read_capture(&ng);
    assert_eq!(frames.len(), 2);
    assert_eq!((frames[0].linktype, &frames[0].data), (229, &v6));
    assert_eq!(frames[1].linktype, 228);
    assert_eq!(&frames[1].data[..v4.len()], &v4[..]);

    // Reassembly: a retransmission is dropped, a rewrite starts a new stream.
    let segs = segments(&frames);
    assert_eq!(segs.len(), 2);
    let s = |seq: u32, payload: &'static [u8]| Segment {
        src: "192.0.2.1:179".parse().unwrap(),
        dst: "192.0.2.2:50000".parse().unwrap(),
        seq,
        syn: false,
        payload,
    };
    let st = reassemble(&[s(10, b"abc"), s(10, b"abc"), s(12, b"cde"), s(15, b"f")]);
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].data, b"abcdef");
    let st = reassemble(&[s(10, b"abc"), s(10, b"xyz"), s(20, b"gap")]);
    assert_eq!(
        st.iter().map(|s| &s.data[..]).collect::<Vec<_>>(),
        [b"abc", b"xyz", b"gap"]
    );
}

//! Reading BGP messages out of gzipped MRT files (RFC 6396), for benchmark input.
//!
//! Only the BGP4MP records that carry a BGP message are kept: types BGP4MP (16)
//! and BGP4MP_ET (17), subtypes BGP4MP_MESSAGE (1), BGP4MP_MESSAGE_AS4 (4),
//! BGP4MP_MESSAGE_LOCAL (6) and BGP4MP_MESSAGE_AS4_LOCAL (7). Everything else
//! (state changes, ADD-PATH subtypes, table dumps) is skipped.

use std::io::{self, Read};
use std::path::Path;

use bgp_wire::mrt::{Record, Records};

const MRT_HEADER_LEN: usize = 12;
const BGP4MP: u16 = 16;
const BGP4MP_ET: u16 = 17;
const BGP_HEADER_LEN: usize = 19;

/// Gunzips the MRT file at `path` and returns every BGP message (16-octet
/// marker, length, type and body) carried by its BGP4MP / BGP4MP_ET message
/// records, in file order.
///
/// # Errors
///
/// I/O and gzip errors, and `InvalidData` for a truncated or inconsistent record.
pub fn load_bgp4mp_messages(path: &Path) -> io::Result<Vec<Vec<u8>>> {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path)?).read_to_end(&mut raw)?;
    parse_bgp4mp_messages(&raw)
}

/// The MRT decode-only work (`benches/mrt.rs`, `examples/mrt_decode_once.rs`):
/// every record of `buf` framed and typed, every BGP message and every RIB
/// entry's attribute list validated by bgp-wire. Returns how many were
/// accepted (RIB entries: accepted with no RFC 7606 error), so the work
/// cannot be skipped.
pub fn decode_all(buf: &[u8]) -> u64 {
    let mut n = 0u64;
    for rec in Records::new(buf) {
        let Ok(rec) = rec else { continue };
        match rec.decode() {
            Ok(Record::Message(m)) => n += u64::from(m.parse().is_ok()),
            Ok(Record::Rib(rib)) => {
                for e in rib.entries() {
                    n += u64::from(
                        rib.update(&e)
                            .is_ok_and(|u| u.action() == bgp_wire::Action::None),
                    );
                }
            }
            Ok(Record::TableDump(t)) => n += u64::from(t.update().is_ok()),
            Ok(_) => n += 1,
            Err(_) => {}
        }
    }
    n
}

/// The MRT layer alone: every record of `buf` framed and typed, RIB entries
/// iterated, BGP payloads not validated.
pub fn frame_and_type(buf: &[u8]) -> u64 {
    let mut n = 0u64;
    for rec in Records::new(buf).flatten() {
        match rec.decode() {
            Ok(Record::Rib(rib)) => n += rib.entries().count() as u64,
            Ok(_) => n += 1,
            Err(_) => {}
        }
    }
    n
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The BGP messages of an uncompressed MRT byte stream; see [`load_bgp4mp_messages`].
///
/// # Errors
///
/// `InvalidData` for a truncated or inconsistent record.
pub fn parse_bgp4mp_messages(mut data: &[u8]) -> io::Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        if data.len() < MRT_HEADER_LEN {
            return Err(invalid("truncated MRT header"));
        }
        let mrt_type = be16(&data[4..]);
        let subtype = be16(&data[6..]);
        let len = be32(&data[8..]) as usize;
        let rest = &data[MRT_HEADER_LEN..];
        if rest.len() < len {
            return Err(invalid("truncated MRT record"));
        }
        let (mut body, next) = rest.split_at(len);
        data = next;

        if mrt_type != BGP4MP && mrt_type != BGP4MP_ET {
            continue;
        }
        let as_len = match subtype {
            1 | 6 => 2,
            4 | 7 => 4,
            _ => continue,
        };
        if mrt_type == BGP4MP_ET {
            // Microsecond timestamp, counted in the MRT length.
            body = body
                .get(4..)
                .ok_or_else(|| invalid("truncated BGP4MP_ET record"))?;
        }
        // Peer AS, local AS, interface index, address family.
        let fixed = 2 * as_len + 2 + 2;
        let afi = be16(
            body.get(fixed - 2..fixed)
                .ok_or_else(|| invalid("truncated BGP4MP header"))?,
        );
        let ip_len = match afi {
            1 => 4,
            2 => 16,
            _ => return Err(invalid("BGP4MP record with an unknown address family")),
        };
        let msg = body
            .get(fixed + 2 * ip_len..)
            .ok_or_else(|| invalid("truncated BGP4MP addresses"))?;
        if msg.len() < BGP_HEADER_LEN {
            return Err(invalid("BGP4MP record shorter than a BGP header"));
        }
        let bgp_len = usize::from(be16(&msg[16..]));
        if bgp_len < BGP_HEADER_LEN || bgp_len > msg.len() {
            return Err(invalid("BGP message length disagrees with its MRT record"));
        }
        out.push(msg[..bgp_len].to_vec());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A BGP KEEPALIVE: marker, length 19, type 4.
    fn keepalive() -> Vec<u8> {
        let mut m = vec![0xff; 16];
        m.extend_from_slice(&[0, 19, 4]);
        m
    }

    fn record(mrt_type: u16, subtype: u16, body: &[u8]) -> Vec<u8> {
        let mut r = vec![0, 0, 0, 1];
        r.extend_from_slice(&mrt_type.to_be_bytes());
        r.extend_from_slice(&subtype.to_be_bytes());
        r.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    #[test]
    fn every_message_subtype_and_both_header_forms() {
        let msg = keepalive();
        let mut stream = Vec::new();
        // BGP4MP_MESSAGE: 2-octet ASNs, IPv4.
        let mut body = vec![
            0xfd, 0xe9, 0xfd, 0xea, 0, 1, 0, 1, 192, 0, 2, 1, 192, 0, 2, 2,
        ];
        body.extend_from_slice(&msg);
        stream.extend(record(16, 1, &body));
        // BGP4MP_ET / MESSAGE_AS4: microseconds, 4-octet ASNs, IPv6.
        let mut body = vec![0, 0, 0, 7, 0, 0, 0xfd, 0xe9, 0, 0, 0xfd, 0xea, 0, 1, 0, 2];
        body.extend_from_slice(&[0x20; 32]);
        body.extend_from_slice(&msg);
        stream.extend(record(17, 4, &body));
        // A state change (subtype 5) and a TABLE_DUMP_V2 record: skipped.
        stream.extend(record(16, 5, &[0; 16]));
        stream.extend(record(13, 1, &[0; 8]));
        // MESSAGE_LOCAL and MESSAGE_AS4_LOCAL.
        let mut body = vec![0, 1, 0, 2, 0, 0, 0, 1, 10, 0, 0, 1, 10, 0, 0, 2];
        body.extend_from_slice(&msg);
        stream.extend(record(16, 6, &body));
        let mut body = vec![0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 10, 0, 0, 1, 10, 0, 0, 2];
        body.extend_from_slice(&msg);
        stream.extend(record(16, 7, &body));

        let got = parse_bgp4mp_messages(&stream).unwrap();
        assert_eq!(got, vec![msg; 4]);

        assert!(parse_bgp4mp_messages(&stream[..stream.len() - 1]).is_err());
    }

    #[test]
    fn full_table_transfer_of_2015() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/data/mrt/updates.et-header.2015.gz"
        ));
        if !path.exists() {
            println!("skipped: {} is absent", path.display());
            return;
        }
        let messages = load_bgp4mp_messages(path).unwrap();
        let count = |ty: u8| messages.iter().filter(|m| m[18] == ty).count();
        // The data README: 1 OPEN and 89,679 UPDATEs. The file also holds 2 KEEPALIVEs.
        assert_eq!(count(1), 1);
        assert_eq!(count(2), 89_679);
        assert_eq!(count(4), 2);
        assert_eq!(messages.len(), 89_682);
        for m in &messages {
            assert_eq!(m[..16], [0xff; 16]);
            assert_eq!(usize::from(u16::from_be_bytes([m[16], m[17]])), m.len());
        }
    }
}

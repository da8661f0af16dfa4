//! Inputs for the RIB benchmarks: the full-table prefix lists and the
//! one-day churn in `../shared/data/prefixes` (RIPE RIS, via
//! tiborschneider/prefix-trie), and synthetic attribute sets shared about one
//! per ten prefixes, as in real tables.
//!
//! File formats (gzipped text): the initial state is one prefix per line;
//! the mutations are `A prefix` (announce) or `W prefix` (withdraw) per line.

use std::io::{self, BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use bgp_rib::policy::PeerInfo;
use bgp_wire::RouteAttrs;
use bgp_wire::attr::{AsPathBuf, Community, NextHop, Origin};
use ipnet::IpNet;

/// `../shared/data/prefixes`, seen from the workspace.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/prefixes")
}

const V4_TABLE: &str = "20260511-initial-state-peer-193.0.0.56AS3333.txt.gz";
const V6_TABLE: &str = "20260511-initial-state-peer-193.0.0.56AS3333-ipv6.txt.gz";
const V4_CHURN: &str = "20260511-mutations-peer-193.0.0.56AS3333.txt.gz";

/// One line of the churn file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChurnOp {
    /// The prefix is announced (again).
    Announce(IpNet),
    /// The prefix is withdrawn.
    Withdraw(IpNet),
}

/// The real inputs.
#[derive(Clone, Debug)]
pub struct Tables {
    /// The full IPv4 table (1,042,325 prefixes).
    pub v4: Vec<IpNet>,
    /// The full IPv6 table (246,175 prefixes).
    pub v6: Vec<IpNet>,
    /// The one-day IPv4 churn (1.39M operations).
    pub churn: Vec<ChurnOp>,
}

fn lines(path: &Path) -> io::Result<impl Iterator<Item = io::Result<String>>> {
    let f = std::fs::File::open(path)?;
    Ok(BufReader::new(flate2::read::GzDecoder::new(f)).lines())
}

fn parse_net(s: &str) -> io::Result<IpNet> {
    s.trim()
        .parse::<IpNet>()
        .map(|n| n.trunc())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{s}: {e}")))
}

/// Loads the tables; `Ok(None)` when the data directory is absent.
///
/// # Errors
///
/// I/O, gzip and parse errors of files that are present.
pub fn load() -> io::Result<Option<Tables>> {
    let dir = data_dir();
    if !dir.join(V4_TABLE).exists() {
        return Ok(None);
    }
    let table = |name: &str| -> io::Result<Vec<IpNet>> {
        let mut v = Vec::new();
        for l in lines(&dir.join(name))? {
            let l = l?;
            if !l.trim().is_empty() {
                v.push(parse_net(&l)?);
            }
        }
        Ok(v)
    };
    let v4 = table(V4_TABLE)?;
    let v6 = table(V6_TABLE)?;
    let mut churn = Vec::new();
    for l in lines(&dir.join(V4_CHURN))? {
        let l = l?;
        let Some((op, p)) = l.split_once(' ') else {
            continue;
        };
        let p = parse_net(p)?;
        churn.push(if op == "W" {
            ChurnOp::Withdraw(p)
        } else {
            ChurnOp::Announce(p)
        });
    }
    Ok(Some(Tables { v4, v6, churn }))
}

/// Loads the tables or says on stderr why the RIB benches skip.
pub fn load_or_skip(what: &str) -> Option<Tables> {
    match load() {
        Ok(Some(t)) => Some(t),
        Ok(None) => {
            eprintln!(
                "{what}: {} is absent; skipping the RIB benchmarks that need it",
                data_dir().display()
            );
            None
        }
        Err(e) => {
            eprintln!(
                "{what}: cannot read {}: {e}; skipping",
                data_dir().display()
            );
            None
        }
    }
}

/// Prefixes per synthetic attribute set.
pub const PREFIXES_PER_SET: usize = 10;

/// The eBGP peer number `i` of the RIB benchmarks: address 192.0.2.(i+1),
/// router ID 10.0.0.(i+1), AS `asn`; the RIB is AS 65000 at 192.0.2.254.
pub fn peer_info(i: u8, asn: u32) -> PeerInfo {
    PeerInfo {
        address: IpAddr::from([192, 0, 2, i + 1]),
        local_address: IpAddr::from([192, 0, 2, 254]),
        asn,
        local_asn: 65000,
        router_id: [10, 0, 0, i + 1].into(),
        role: None,
    }
}

/// The synthetic attribute set number `set` of peer `peer` (AS 64600 +
/// peer, next hop 192.0.2.(peer+1) or 2001:db8::(peer+1)): a four-AS path
/// that differs per set, ORIGIN IGP, a MED and one community, as an eBGP
/// full-table feed has.
pub fn attrs(peer: u32, set: u32, v6: bool) -> RouteAttrs {
    let next_hop = if v6 {
        NextHop::V6 {
            global: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, peer as u16 + 1),
            link_local: None,
        }
    } else {
        NextHop::V4(Ipv4Addr::new(192, 0, 2, peer as u8 + 1))
    };
    RouteAttrs {
        origin: Origin::Igp,
        as_path: AsPathBuf::sequence([
            64600 + peer,
            3356 + set % 7,
            10_000 + set % 50_000,
            200_000 + set / 50_000,
        ]),
        next_hop: Some(next_hop),
        med: Some(set % 5 * 10),
        communities: vec![Community::new(64600 + peer as u16, (set % 100) as u16)],
        ..RouteAttrs::default()
    }
}

/// The prefixes cut into UPDATE-sized groups that share one attribute set:
/// (set number, prefixes).
pub fn groups(prefixes: &[IpNet]) -> impl Iterator<Item = (u32, &[IpNet])> {
    prefixes
        .chunks(PREFIXES_PER_SET)
        .enumerate()
        .map(|(i, c)| (i as u32, c))
}

/// `n` addresses inside the table's prefixes (a deterministic LCG picks a
/// prefix and the host bits), for longest-prefix-match lookups.
pub fn lookup_addrs(v4: &[IpNet], n: usize) -> Vec<Ipv4Addr> {
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let IpNet::V4(p) = v4[(s >> 33) as usize % v4.len()] else {
            continue;
        };
        let host = (s as u32) & !u32::from(p.netmask());
        out.push(Ipv4Addr::from(u32::from(p.network()) | host));
    }
    out
}

/// `v` in a deterministic random order (Fisher-Yates on an LCG): the
/// table as a peer that does not send it in prefix order would.
pub fn shuffled<T>(mut v: Vec<T>) -> Vec<T> {
    let mut s: u64 = 0x2545_f491_4f6c_dd1d;
    for i in (1..v.len()).rev() {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        v.swap(i, ((s >> 32) % (i as u64 + 1)) as usize);
    }
    v
}

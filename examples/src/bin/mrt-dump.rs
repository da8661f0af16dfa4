//! `mrt-dump`: prints MRT files in bgpdump's one-line format.
//!
//! ```text
//! mrt-dump [-m|-M] [-l] [-u] FILE...
//! ```
//!
//! Reads each FILE (plain, gzip or bzip2, recognised by its first bytes) with
//! [`bgp_wire::mrt::MrtReader`], which holds one record at a time, and
//! writes what `bgpdump -m` (or `-M`) writes for it: one line per route of
//! a table dump (`TABLE_DUMP`, `TABLE_DUMP2`, `TABLE_DUMP2_AP`), per
//! announced (`A`) or withdrawn (`W`) prefix of a BGP4MP UPDATE, and per
//! state change (`STATE`).
//!
//! * `-m`: Unix timestamps (the default); `-M`: `MM/DD/YY HH:MM:SS` (UTC)
//!   and announcements end after the ORIGIN field.
//! * `-l`: large communities after the communities field.
//! * `-u`: unknown attributes (type and hex value) after the aggregator.
//!
//! Damaged records are reported on standard error with their byte offset;
//! reading goes on where the framing allows.
//!
//! Try: `cargo run --release -p bgp-examples --bin mrt-dump -- -m examples/data/mrt/updates.20020722.2238.gz`

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::ExitCode;

use bgp_wire::attr::{AsPath, SegmentType};
use bgp_wire::mrt::{
    Bgp4mpMessage, MrtReader, MrtRecord, PeerEntry, Record, Rib, StateChange, TableDump,
};
use bgp_wire::{Afi, Family, Message, SessionContext, Update};

const USAGE: &str = "\
usage: mrt-dump [-m|-M] [-l] [-u] FILE...

Prints the MRT records of each FILE (plain, .gz or .bz2) in bgpdump's
one-line format.

  -m   one line per entry, Unix timestamps (default)
  -M   one line per entry, human-readable timestamps (UTC)
  -l   show large communities after the communities
  -u   show unknown attributes
";

#[derive(Clone, Copy, Default)]
struct Opts {
    human: bool,
    large: bool,
    unknown: bool,
}

fn main() -> ExitCode {
    let mut opts = Opts::default();
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "-m" => opts.human = false,
            "-M" => opts.human = true,
            "-l" => opts.large = true,
            "-u" => opts.unknown = true,
            "-h" | "--help" => {
                print!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            s if s.starts_with('-') && s.len() > 1 => {
                eprint!("mrt-dump: unknown option {s}\n{USAGE}");
                return ExitCode::from(2);
            }
            _ => files.push(a),
        }
    }
    if files.is_empty() {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    }
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut status = ExitCode::SUCCESS;
    for f in &files {
        match dump_file(f, opts, &mut out) {
            Ok(true) => {}
            Ok(false) => status = ExitCode::FAILURE,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return status,
            Err(e) => {
                eprintln!("mrt-dump: {f}: {e}");
                status = ExitCode::FAILURE;
            }
        }
    }
    if let Err(e) = out.flush()
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("mrt-dump: {e}");
        status = ExitCode::FAILURE;
    }
    status
}

/// Opens `path`, decompressing by magic number. Compressed input is
/// decompressed on a second thread, so that it overlaps with formatting.
fn open(path: &str) -> io::Result<Box<dyn Read>> {
    let mut f = BufReader::with_capacity(1 << 16, File::open(path)?);
    let magic = {
        use io::BufRead;
        let b = f.fill_buf()?;
        [b.first().copied(), b.get(1).copied(), b.get(2).copied()]
    };
    Ok(match magic {
        [Some(0x1f), Some(0x8b), _] => {
            Box::new(Pipe::spawn(flate2::bufread::MultiGzDecoder::new(f)))
        }
        [Some(b'B'), Some(b'Z'), Some(b'h')] => {
            Box::new(Pipe::spawn(bzip2::bufread::MultiBzDecoder::new(f)))
        }
        _ => Box::new(f),
    })
}

/// A [`Read`] fed by a thread that reads another one in blocks; emptied
/// blocks go back to the thread for reuse.
struct Pipe {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    back: std::sync::mpsc::Sender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
}

impl Pipe {
    const BLOCK: usize = 1 << 18;

    fn spawn(mut src: impl Read + Send + 'static) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        let (back, spare) = std::sync::mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            loop {
                let mut buf = spare.try_recv().unwrap_or_default();
                buf.resize(Self::BLOCK, 0);
                let mut n = 0;
                let res = loop {
                    match src.read(&mut buf[n..]) {
                        Ok(0) => break Ok(()),
                        Ok(k) => {
                            n += k;
                            if n == buf.len() {
                                break Ok(());
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                buf.truncate(n);
                let end = n < Self::BLOCK;
                if n > 0 && tx.send(Ok(buf)).is_err() {
                    return;
                }
                if let Err(e) = res {
                    let _ = tx.send(Err(e));
                    return;
                }
                if end {
                    return;
                }
            }
        });
        Self {
            rx,
            back,
            cur: Vec::new(),
            pos: 0,
        }
    }
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            match self.rx.recv() {
                Ok(Ok(b)) => {
                    let done = std::mem::replace(&mut self.cur, b);
                    let _ = self.back.send(done);
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Output is written in blocks of about this size.
const FLUSH_AT: usize = 1 << 17;

/// Dumps one file; `Ok(false)` if a record was damaged.
fn dump_file(path: &str, opts: Opts, out: &mut impl Write) -> io::Result<bool> {
    let mut reader = MrtReader::new(open(path)?);
    let mut d = Dumper {
        opts,
        peers: Vec::new(),
        line: Vec::with_capacity(FLUSH_AT + (1 << 16)),
        prefix: Vec::with_capacity(128),
        head: Vec::with_capacity(128),
        tail: Vec::with_capacity(1024),
    };
    let mut clean = true;
    while let Some(rec) = reader.next_record() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                eprintln!("mrt-dump: {path}: {e}");
                clean = false;
                continue;
            }
        };
        if let Err(e) = d.record(&rec) {
            eprintln!("mrt-dump: {path}: {e}");
            clean = false;
        }
        if d.line.len() >= FLUSH_AT {
            out.write_all(&d.line)?;
            d.line.clear();
        }
    }
    out.write_all(&d.line)?;
    Ok(clean)
}

struct Dumper {
    opts: Opts,
    peers: Vec<PeerEntry>,
    /// Output not yet written: whole lines, written out in large blocks.
    line: Vec<u8>,
    /// The fields shared by the lines of one record: `TYPE|TIME|`.
    prefix: Vec<u8>,
    /// `prefix` and the fields up to the prefix, for UPDATE lines.
    head: Vec<u8>,
    /// The attribute fields, shared by the prefixes of an UPDATE.
    tail: Vec<u8>,
}

type Outcome = Result<(), bgp_wire::mrt::MrtError>;

impl Dumper {
    fn record(&mut self, rec: &MrtRecord<'_>) -> Outcome {
        match rec.decode()? {
            Record::TableDump(t) => self.table_dump(rec, &t),
            Record::PeerIndexTable(p) => {
                self.peers.clear();
                self.peers.extend(p.peers());
                Ok(())
            }
            Record::Rib(rib) => self.rib(rec, &rib),
            Record::StateChange(s) => self.state(rec, &s),
            Record::Message(m) => self.message(rec, &m),
            _ => Ok(()),
        }
    }

    fn head(&mut self, name: &str, rec: &MrtRecord<'_>) {
        let p = &mut self.prefix;
        p.clear();
        p.extend_from_slice(name.as_bytes());
        p.push(b'|');
        if self.opts.human {
            put_human_time(p, rec.timestamp);
        } else {
            put_u32(p, rec.timestamp);
        }
        if let Some(us) = rec.microseconds {
            p.push(b'.');
            put_u32_pad6(p, us);
        }
        p.push(b'|');
    }

    fn table_dump(&mut self, rec: &MrtRecord<'_>, t: &TableDump<'_>) -> Outcome {
        let u = match t.update() {
            Ok(u) => u,
            Err(e) => {
                return Err(bgp_wire::mrt::MrtError {
                    offset: rec.offset,
                    kind: bgp_wire::mrt::MrtErrorKind::Bgp(e.to_string()),
                });
            }
        };
        self.head("TABLE_DUMP", rec);
        self.line.extend_from_slice(&self.prefix);
        self.line.extend_from_slice(b"B|");
        put_ip(&mut self.line, t.peer_addr);
        self.line.push(b'|');
        put_u32(&mut self.line, t.peer_as);
        self.line.push(b'|');
        put_prefix(&mut self.line, &t.prefix);
        self.line.push(b'|');
        let v6 = t.prefix.addr().is_ipv6();
        attrs(&mut self.line, &u, v6, false, self.opts);
        self.line.push(b'\n');
        Ok(())
    }

    fn rib(&mut self, rec: &MrtRecord<'_>, rib: &Rib<'_>) -> Outcome {
        let Some(prefix) = rib.prefix else {
            return Ok(());
        };
        let name = if rib.add_path {
            "TABLE_DUMP2_AP"
        } else {
            "TABLE_DUMP2"
        };
        self.head(name, rec);
        let v6 = rib.family.afi == Afi::IPV6;
        let mut result = Ok(());
        for e in rib.entries() {
            let u = match rib.update(&e) {
                Ok(u) => u,
                Err(err) => {
                    result = Err(err);
                    continue;
                }
            };
            let line = &mut self.line;
            line.extend_from_slice(&self.prefix);
            line.extend_from_slice(b"B|");
            match self.peers.get(usize::from(e.peer_index)) {
                Some(p) => {
                    put_ip(line, p.addr);
                    line.push(b'|');
                    put_u32(line, p.asn);
                }
                None => line.extend_from_slice(b"0.0.0.0|0"),
            }
            line.push(b'|');
            put_prefix(line, &prefix);
            line.push(b'|');
            if let Some(id) = e.path_id {
                put_u32(line, id);
                line.push(b'|');
            }
            attrs(line, &u, v6, true, self.opts);
            line.push(b'\n');
        }
        result
    }

    fn state(&mut self, rec: &MrtRecord<'_>, s: &StateChange) -> Outcome {
        self.head(type_name(rec), rec);
        let line = &mut self.line;
        line.extend_from_slice(&self.prefix);
        line.extend_from_slice(b"STATE|");
        put_ip(line, s.peer.addr);
        line.push(b'|');
        put_u32(line, s.peer.asn);
        line.push(b'|');
        put_u32(line, u32::from(s.old_state));
        line.push(b'|');
        put_u32(line, u32::from(s.new_state));
        line.push(b'\n');
        Ok(())
    }

    fn message(&mut self, rec: &MrtRecord<'_>, m: &Bgp4mpMessage<'_>) -> Outcome {
        let ctx = m.context();
        let ap4 = ctx.add_path(Family::IPV4_UNICAST);
        let (u, withdrawn, nlri, outcome) = match m.parse() {
            Ok(Message::Update(u)) => {
                let (w, n) = (u.withdrawn_bytes(), u.nlri_bytes());
                (u, w, n, Ok(()))
            }
            Ok(_) => return Ok(()),
            // bgpdump prints what it can of a damaged UPDATE; so do we.
            Err(e) => match salvage(m.message, &ctx) {
                Some((u, w, n)) => (u, w, n, Err(e)),
                None => return Err(e),
            },
        };
        let name = match (rec.microseconds.is_some(), m.add_path) {
            (false, false) => "BGP4MP",
            (false, true) => "BGP4MP_AP",
            (true, false) => "BGP4MP_ET",
            (true, true) => "BGP4MP_ET_AP",
        };
        self.head(name, rec);
        // `TYPE|TIME|W|PEER|AS|`, then the same with `A`.
        let start = |h: &mut Vec<u8>, kind: &[u8], prefix: &[u8]| {
            h.clear();
            h.extend_from_slice(prefix);
            h.extend_from_slice(kind);
            put_ip(h, m.peer.addr);
            h.push(b'|');
            put_u32(h, m.peer.asn);
            h.push(b'|');
        };
        let mp_unreach = u.mp_unreach().and_then(|m| m.prefixes());
        if !withdrawn.is_empty() || mp_unreach.is_some() {
            start(&mut self.head, b"W|", &self.prefix);
            let ws = Lenient::new(withdrawn, false, ap4).chain(
                mp_unreach
                    .into_iter()
                    .flatten()
                    .map(|n| (n.prefix, n.path_id)),
            );
            for (n, id) in ws {
                put_route(&mut self.line, &self.head, &n, id);
                self.line.push(b'\n');
            }
        }
        let mp_reach = u.mp_reach().and_then(|mp| Some((mp, mp.prefixes()?)));
        if nlri.is_empty() && mp_reach.is_none() {
            return outcome;
        }
        start(&mut self.head, b"A|", &self.prefix);
        let mut emit = |tail: &[u8], (n, id): (ipnet::IpNet, Option<u32>)| {
            put_route(&mut self.line, &self.head, &n, id);
            self.line.push(b'|');
            self.line.extend_from_slice(tail);
        };
        let tail = &mut self.tail;
        if !nlri.is_empty() {
            tail.clear();
            attrs(tail, &u, false, m.four_octet_as, self.opts);
            tail.push(b'\n');
            for n in Lenient::new(nlri, false, ap4) {
                emit(tail, n);
            }
        }
        if let Some((mp, ps)) = mp_reach {
            tail.clear();
            let v6 = mp.family().afi == Afi::IPV6;
            attrs(tail, &u, v6, m.four_octet_as, self.opts);
            tail.push(b'\n');
            for n in ps {
                emit(tail, (n.prefix, n.path_id));
            }
        }
        outcome
    }
}

/// The attributes, withdrawn routes and NLRI field of an UPDATE whose withdrawn routes or NLRI field is
/// malformed, for printing what can be printed; `None` if the message is
/// not an UPDATE or its attributes cannot be located or decoded.
fn salvage<'a>(msg: &'a [u8], ctx: &SessionContext) -> Option<(Update<'a>, &'a [u8], &'a [u8])> {
    let len = usize::from(u16::from_be_bytes([*msg.get(16)?, *msg.get(17)?]));
    if *msg.get(18)? != 2 {
        return None;
    }
    let body = msg.get(19..len)?;
    let wlen = usize::from(u16::from_be_bytes([*body.first()?, *body.get(1)?]));
    let rest = body.get(2 + wlen..)?;
    let alen = usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]));
    let attrs = rest.get(2..2 + alen)?;
    let withdrawn = &body[2..2 + wlen];
    let nlri = &rest[2 + alen..];
    Some((Update::from_attributes(attrs, ctx).ok()?, withdrawn, nlri))
}

/// Prefixes of a withdrawn routes or NLRI field, read as bgpdump reads
/// them: up to the first entry that overruns the field or is too long.
struct Lenient<'a> {
    data: &'a [u8],
    v6: bool,
    add_path: bool,
}

impl<'a> Lenient<'a> {
    fn new(data: &'a [u8], v6: bool, add_path: bool) -> Self {
        Self { data, v6, add_path }
    }
}

impl Iterator for Lenient<'_> {
    type Item = (ipnet::IpNet, Option<u32>);

    fn next(&mut self) -> Option<Self::Item> {
        let mut d = self.data;
        let mut id = None;
        if self.add_path {
            let (i, rest) = d.split_first_chunk::<4>()?;
            id = Some(u32::from_be_bytes(*i));
            d = rest;
        }
        let (&bits, rest) = d.split_first()?;
        let n = usize::from(bits).div_ceil(8);
        let (Some(bytes), true) = (rest.get(..n), bits <= if self.v6 { 128 } else { 32 }) else {
            self.data = &[];
            return None;
        };
        self.data = &rest[n..];
        let p = if self.v6 {
            let mut a = [0; 16];
            a[..n].copy_from_slice(bytes);
            ipnet::IpNet::V6(ipnet::Ipv6Net::new(Ipv6Addr::from(a), bits).ok()?.trunc())
        } else {
            let mut a = [0; 4];
            a[..n].copy_from_slice(bytes);
            ipnet::IpNet::V4(ipnet::Ipv4Net::new(Ipv4Addr::from(a), bits).ok()?.trunc())
        };
        Some((p, id))
    }
}

fn type_name(rec: &MrtRecord<'_>) -> &'static str {
    if rec.microseconds.is_some() {
        "BGP4MP_ET"
    } else {
        "BGP4MP"
    }
}

/// The attribute fields: `ASPATH|ORIGIN|NEXTHOP|LOCALPREF|MED|COMMUNITIES|`
/// `[LARGE|]AG|AGGREGATOR|[UNKNOWN|]`, or `ASPATH|ORIGIN` with `-M`.
fn attrs(line: &mut Vec<u8>, u: &Update<'_>, v6: bool, as4: bool, opts: Opts) {
    put_as_path(line, u);
    line.push(b'|');
    // bgpdump's defaults for absent attributes: INCOMPLETE, 255.255.255.255.
    line.extend_from_slice(match u.origin().map(|o| o.to_u8()) {
        Some(0) => b"IGP",
        Some(1) => b"EGP",
        _ => b"INCOMPLETE",
    });
    if opts.human {
        return;
    }
    line.push(b'|');
    let mp = u.mp_reach();
    match mp {
        Some(mp) if v6 || u.nlri_bytes().is_empty() => {
            let nh = mp.next_hop_bytes();
            if let Ok(a) = <[u8; 4]>::try_from(nh) {
                put_ipv4(line, Ipv4Addr::from(a));
            } else if let Some(g) = nh.get(..16) {
                let mut a = [0; 16];
                a.copy_from_slice(g);
                put_ipv6(line, Ipv6Addr::from(a));
            }
        }
        _ => put_ipv4(line, u.next_hop().unwrap_or(Ipv4Addr::BROADCAST)),
    }
    line.push(b'|');
    put_u32(line, u.local_pref().unwrap_or(0));
    line.push(b'|');
    put_u32(line, u.med().unwrap_or(0));
    line.push(b'|');
    if let Some(cs) = u.communities() {
        for (i, c) in cs.iter().enumerate() {
            if i > 0 {
                line.push(b' ');
            }
            match c.0 {
                0xffff_ff01 => line.extend_from_slice(b"no-export"),
                0xffff_ff02 => line.extend_from_slice(b"no-advertise"),
                0xffff_ff03 => line.extend_from_slice(b"local-AS"),
                v => {
                    put_u32(line, v >> 16);
                    line.push(b':');
                    put_u32(line, v & 0xffff);
                }
            }
        }
    }
    line.push(b'|');
    if opts.large {
        if let Some(ls) = u.large_communities() {
            for (i, c) in ls.iter().enumerate() {
                if i > 0 {
                    line.push(b' ');
                }
                let _ = write!(line, "{c}");
            }
        }
        line.push(b'|');
    }
    line.extend_from_slice(if u.atomic_aggregate() {
        b"AG|"
    } else {
        b"NAG|"
    });
    if let Some(a) = u.effective_aggregator() {
        put_u32(line, a.asn);
        line.push(b' ');
        put_ipv4(line, a.addr);
    } else if u.error().is_some()
        && let Some((asn, addr)) = odd_aggregator(u.attribute_bytes(), as4)
    {
        put_u32(line, asn);
        line.push(b' ');
        put_ipv4(line, addr);
    }
    line.push(b'|');
    if opts.unknown {
        // bgpdump's "unknown": every type its library does not decode,
        // as `TYPE:FLAGS:VALUE` in hex.
        let mut first = true;
        for (flags, ty, value) in RawAttrs(u.attribute_bytes()) {
            if matches!(ty, 1..=10 | 14 | 15 | 17 | 18 | 32) {
                continue;
            }
            if !first {
                line.push(b' ');
            }
            first = false;
            put_hex(line, &[ty]);
            line.push(b':');
            put_hex(line, &[flags]);
            line.push(b':');
            put_hex(line, value);
        }
        line.push(b'|');
    }
}

fn put_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 15)]);
    }
}

/// The attributes of a list as `(flags, type, value)`, up to the first that
/// overruns it.
struct RawAttrs<'a>(&'a [u8]);

impl<'a> Iterator for RawAttrs<'a> {
    type Item = (u8, u8, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let [flags, ty, rest @ ..] = self.0 else {
            return None;
        };
        let (len, rest) = if flags & 0x10 != 0 {
            let (l, r) = rest.split_first_chunk::<2>()?;
            (usize::from(u16::from_be_bytes(*l)), r)
        } else {
            let (l, r) = rest.split_first()?;
            (usize::from(*l), r)
        };
        let Some((v, rest)) = rest.split_at_checked(len) else {
            self.0 = &[];
            return None;
        };
        self.0 = rest;
        Some((*flags, *ty, v))
    }
}

/// An AGGREGATOR of the wrong length, which the codec rejects: bgpdump
/// prints an AS of the session's width and an address from its first
/// octets, and so do we.
fn odd_aggregator(attrs: &[u8], as4: bool) -> Option<(u32, Ipv4Addr)> {
    let (_, _, v) = RawAttrs(attrs).find(|a| a.1 == 7)?;
    match (as4, v) {
        (false, [a, b, w, x, y, z, ..]) => Some((
            u32::from(u16::from_be_bytes([*a, *b])),
            Ipv4Addr::new(*w, *x, *y, *z),
        )),
        (true, [a, b, c, d, w, x, y, z, ..]) => Some((
            u32::from_be_bytes([*a, *b, *c, *d]),
            Ipv4Addr::new(*w, *x, *y, *z),
        )),
        _ => None,
    }
}

fn put_as_path(line: &mut Vec<u8>, u: &Update<'_>) {
    if u.as4_path().is_some()
        && let Some(p) = u.effective_as_path()
    {
        let _ = write!(line, "{p}");
        return;
    }
    if let Some(p) = u.as_path() {
        put_path(line, &p);
    }
}

fn put_path(line: &mut Vec<u8>, p: &AsPath<'_>) {
    for (i, s) in p.segments().enumerate() {
        if i > 0 {
            line.push(b' ');
        }
        let (open, sep, close): (&[u8], u8, &[u8]) = match s.ty {
            SegmentType::Sequence => (b"", b' ', b""),
            SegmentType::Set => (b"{", b',', b"}"),
            SegmentType::ConfedSequence => (b"(", b' ', b")"),
            SegmentType::ConfedSet => (b"[", b',', b"]"),
        };
        line.extend_from_slice(open);
        for (j, a) in s.asns().enumerate() {
            if j > 0 {
                line.push(sep);
            }
            put_u32(line, a);
        }
        line.extend_from_slice(close);
    }
}

//--- Formatting without allocation

/// "00" to "99".
const DIGITS2: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

#[inline]
fn put_u32(out: &mut Vec<u8>, mut v: u32) {
    if v < 10 {
        out.push(b'0' + v as u8);
        return;
    }
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    while v >= 100 {
        let d = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGITS2[d..d + 2]);
    }
    if v >= 10 {
        let d = v as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGITS2[d..d + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    out.extend_from_slice(&buf[i..]);
}

fn put_u32_pad6(out: &mut Vec<u8>, v: u32) {
    let mut buf = [b'0'; 6];
    let mut v = v;
    for b in buf.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
    if v > 0 {
        put_u32(out, v);
    }
    out.extend_from_slice(&buf);
}

fn put_2(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 10 % 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

/// `MM/DD/YY HH:MM:SS` in UTC.
fn put_human_time(out: &mut Vec<u8>, t: u32) {
    let days = i64::from(t / 86400);
    let secs = t % 86400;
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    put_2(out, m as u32);
    out.push(b'/');
    put_2(out, d as u32);
    out.push(b'/');
    put_2(out, y.rem_euclid(100) as u32);
    out.push(b' ');
    put_2(out, secs / 3600);
    out.push(b':');
    put_2(out, secs / 60 % 60);
    out.push(b':');
    put_2(out, secs % 60);
}

/// The decimal text of each octet value, and its length.
const OCTETS: [([u8; 3], u8); 256] = {
    let mut t = [([0u8; 3], 0u8); 256];
    let mut i = 0;
    while i < 256 {
        let v = i as u8;
        t[i] = if v >= 100 {
            ([b'0' + v / 100, b'0' + v / 10 % 10, b'0' + v % 10], 3)
        } else if v >= 10 {
            ([b'0' + v / 10, b'0' + v % 10, 0], 2)
        } else {
            ([b'0' + v, 0, 0], 1)
        };
        i += 1;
    }
    t
};

#[inline]
fn put_ipv4(out: &mut Vec<u8>, a: Ipv4Addr) {
    let mut buf = [0u8; 15];
    let mut n = 0;
    for (i, o) in a.octets().into_iter().enumerate() {
        if i > 0 {
            buf[n] = b'.';
            n += 1;
        }
        let (d, l) = OCTETS[usize::from(o)];
        buf[n..n + 3].copy_from_slice(&d);
        n += usize::from(l);
    }
    out.extend_from_slice(&buf[..n]);
}

/// As bgpdump prints IPv6 addresses: the longest run of zero groups (the
/// first of equal runs), even a single one, becomes `::`; IPv4-mapped and
/// IPv4-compatible addresses end in dotted form.
fn put_ipv6(out: &mut Vec<u8>, a: Ipv6Addr) {
    let s = a.segments();
    let o = a.octets();
    let dotted = s[..5] == [0; 5] && (s[5] == 0xffff || (s[5] == 0 && s[6] != 0));
    let groups = if dotted { 6 } else { 8 };
    // The longest run of zero groups.
    let (mut best, mut best_len, mut cur, mut cur_len) = (0, 0, 0, 0);
    for (i, &g) in s[..groups].iter().enumerate() {
        if g == 0 {
            if cur_len == 0 {
                cur = i;
            }
            cur_len += 1;
            if cur_len > best_len {
                best = cur;
                best_len = cur_len;
            }
        } else {
            cur_len = 0;
        }
    }
    let mut i = 0;
    while i < groups {
        if best_len > 0 && i == best {
            out.extend_from_slice(if i == 0 { b"::" } else { b":" });
            i += best_len;
            continue;
        }
        put_hex16(out, s[i]);
        if i + 1 < groups || dotted {
            out.push(b':');
        }
        i += 1;
    }
    if dotted {
        put_ipv4(out, Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
}

fn put_hex16(out: &mut Vec<u8>, v: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut started = false;
    for shift in [12, 8, 4, 0] {
        let d = (v >> shift) & 0xf;
        if d != 0 || started || shift == 0 {
            out.push(HEX[usize::from(d)]);
            started = true;
        }
    }
}

fn put_ip(out: &mut Vec<u8>, a: IpAddr) {
    match a {
        IpAddr::V4(a) => put_ipv4(out, a),
        IpAddr::V6(a) => put_ipv6(out, a),
    }
}

/// Appends the start of a route line: `head`, the prefix, and `|ID` when
/// the route has an ADD-PATH path identifier.
fn put_route(line: &mut Vec<u8>, head: &[u8], n: &ipnet::IpNet, id: Option<u32>) {
    line.extend_from_slice(head);
    put_prefix(line, n);
    if let Some(id) = id {
        line.push(b'|');
        put_u32(line, id);
    }
}

fn put_prefix(out: &mut Vec<u8>, p: &ipnet::IpNet) {
    match p {
        ipnet::IpNet::V4(n) => put_ipv4(out, n.addr()),
        ipnet::IpNet::V6(n) => put_ipv6(out, n.addr()),
    }
    out.push(b'/');
    put_u32(out, u32::from(p.prefix_len()));
}

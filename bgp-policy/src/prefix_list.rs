//! Prefix-lists ([FRR: IP prefix list]): named, ordered lists of
//! `permit`/`deny` entries over a prefix and a range of prefix lengths; the
//! entry with the lowest sequence number that matches decides, and a prefix no
//! entry matches is denied.
//!
//! A list compiles (once, on first use) into a stride trie over the address
//! bits whose lookup walks at most one node per 4 bits of the queried prefix
//! after a 16-bit root, whatever the number of entries: with 100,000 entries
//! it costs what it costs with ten.
//!
//! [FRR: IP prefix list]: https://docs.frrouting.org/en/latest/filter.html#ip-prefix-list

use std::fmt;
use std::sync::OnceLock;

use bgp_rib::policy::PrefixRange;
use bgp_wire::Family;
use ipnet::IpNet;

use crate::Action;

//----------- AddrFamily ------------------------------------------------------

/// The address family of a prefix-list: `ip prefix-list` or `ipv6 prefix-list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AddrFamily {
    /// IPv4 (`ip prefix-list`).
    Ipv4,
    /// IPv6 (`ipv6 prefix-list`).
    Ipv6,
}

impl AddrFamily {
    /// The longest prefix length of the family (32 or 128).
    pub const fn max_len(self) -> u8 {
        match self {
            Self::Ipv4 => 32,
            Self::Ipv6 => 128,
        }
    }

    /// The family of a prefix.
    pub const fn of(prefix: &IpNet) -> Self {
        match prefix {
            IpNet::V4(_) => Self::Ipv4,
            IpNet::V6(_) => Self::Ipv6,
        }
    }

    /// The family of unicast `family` (IPv4 or IPv6 unicast), or `None`
    /// for any other AFI/SAFI.
    pub fn of_unicast(family: Family) -> Option<Self> {
        if family == Family::IPV4_UNICAST {
            Some(Self::Ipv4)
        } else if family == Family::IPV6_UNICAST {
            Some(Self::Ipv6)
        } else {
            None
        }
    }

    /// The keyword FRR uses: `ip` or `ipv6`.
    pub const fn keyword(self) -> &'static str {
        match self {
            Self::Ipv4 => "ip",
            Self::Ipv6 => "ipv6",
        }
    }
}

//----------- PrefixListEntry -------------------------------------------------

/// One `seq N permit|deny PREFIX [ge G] [le L]` entry.
///
/// Without `ge` and `le` the entry matches exactly `prefix`; with `ge G` the
/// prefixes inside `prefix` of length G up to the family's maximum; with
/// `le L` those of length `prefix`'s up to L; with both, G up to L. `any` is
/// the whole address space at every length.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PrefixListEntry {
    /// The sequence number.
    pub seq: u32,
    /// Permit or deny.
    pub action: Action,
    /// What the entry matches.
    pub matcher: PrefixMatch,
}

/// The prefix part of a prefix-list entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrefixMatch {
    /// `any`: every prefix of the family.
    Any,
    /// `PREFIX [ge G] [le L]`.
    Prefix {
        /// The covering prefix (host bits zero).
        prefix: IpNet,
        /// `ge`: the shortest length matched.
        ge: Option<u8>,
        /// `le`: the longest length matched.
        le: Option<u8>,
    },
}

impl PrefixListEntry {
    /// The inclusive range of prefix lengths the entry matches, for a list of
    /// `family`.
    pub fn len_range(&self, family: AddrFamily) -> (u8, u8) {
        match self.matcher {
            PrefixMatch::Any => (0, family.max_len()),
            PrefixMatch::Prefix { prefix, ge, le } => {
                let p = prefix.prefix_len();
                match (ge, le) {
                    (None, None) => (p, p),
                    (Some(g), None) => (g, family.max_len()),
                    (None, Some(l)) => (p, l),
                    (Some(g), Some(l)) => (g, l),
                }
            }
        }
    }

    /// Whether the entry matches `prefix`, by definition (a linear reference
    /// for the trie; FRR's `prefix_list_entry_match`).
    pub fn matches(&self, family: AddrFamily, prefix: &IpNet) -> bool {
        if AddrFamily::of(prefix) != family {
            return false;
        }
        let (lo, hi) = self.len_range(family);
        let len = prefix.prefix_len();
        if len < lo || len > hi {
            return false;
        }
        match self.matcher {
            PrefixMatch::Any => true,
            PrefixMatch::Prefix { prefix: p, .. } => p.contains(prefix),
        }
    }

    /// Checks the entry against FRR's rules: host bits clear, and
    /// `len < ge <= le <= max` for whichever of `ge`/`le` is given.
    pub fn validate(&self, family: AddrFamily) -> Result<(), String> {
        let PrefixMatch::Prefix { prefix, ge, le } = self.matcher else {
            return Ok(());
        };
        if AddrFamily::of(&prefix) != family {
            return Err(format!("{prefix} is not an {} prefix", family.keyword()));
        }
        if prefix.trunc() != prefix {
            return Err(format!(
                "{prefix} has host bits set (did you mean {}?)",
                prefix.trunc()
            ));
        }
        let p = prefix.prefix_len();
        let max = family.max_len();
        let bad = ge.is_some_and(|g| g <= p || g > max)
            || le.is_some_and(|l| l <= p || l > max)
            || matches!((ge, le), (Some(g), Some(l)) if g > l);
        if bad {
            return Err(format!(
                "invalid prefix range for {prefix}: need len < ge <= le <= {max}"
            ));
        }
        Ok(())
    }
}

impl fmt::Display for PrefixMatch {
    /// FRR's spelling: `any` or `PREFIX[ ge G][ le L]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any"),
            Self::Prefix { prefix, ge, le } => {
                write!(f, "{prefix}")?;
                if let Some(g) = ge {
                    write!(f, " ge {g}")?;
                }
                if let Some(l) = le {
                    write!(f, " le {l}")?;
                }
                Ok(())
            }
        }
    }
}

//----------- PrefixList ------------------------------------------------------

/// A named prefix-list of one address family.
///
/// Entries are kept in sequence order. Lookups use a trie built on first use
/// (and rebuilt after a change), so [`lookup`](Self::lookup) takes `&self`
/// and its cost does not grow with the number of entries.
#[derive(Clone)]
pub struct PrefixList {
    name: String,
    family: AddrFamily,
    description: Option<String>,
    entries: Vec<PrefixListEntry>,
    trie: OnceLock<Trie>,
}

impl fmt::Debug for PrefixList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrefixList")
            .field("name", &self.name)
            .field("family", &self.family)
            .field("description", &self.description)
            .field("entries", &self.entries)
            .finish_non_exhaustive()
    }
}

impl PartialEq for PrefixList {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.family == other.family
            && self.description == other.description
            && self.entries == other.entries
    }
}

impl Eq for PrefixList {}

/// Why an entry cannot be added to a prefix-list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrefixListError {
    /// The entry breaks FRR's rules for prefixes and ranges.
    #[error("{0}")]
    Invalid(String),
    /// Another entry has the same sequence number.
    #[error("sequence number {0} is already in use")]
    DuplicateSeq(u32),
}

impl PrefixList {
    /// An empty list (it permits nothing).
    pub fn new(name: impl Into<String>, family: AddrFamily) -> Self {
        Self {
            name: name.into(),
            family,
            description: None,
            entries: Vec::new(),
            trie: OnceLock::new(),
        }
    }

    /// A list of `entries` (any order; sequence numbers must differ).
    pub fn with_entries(
        name: impl Into<String>,
        family: AddrFamily,
        entries: impl IntoIterator<Item = PrefixListEntry>,
    ) -> Result<Self, PrefixListError> {
        let mut list = Self::new(name, family);
        for e in entries {
            e.validate(family).map_err(PrefixListError::Invalid)?;
            list.entries.push(e);
        }
        list.entries.sort_by_key(|e| e.seq);
        if let Some(w) = list.entries.windows(2).find(|w| w[0].seq == w[1].seq) {
            return Err(PrefixListError::DuplicateSeq(w[0].seq));
        }
        Ok(list)
    }

    /// Adds an entry, keeping sequence order.
    pub fn insert(&mut self, entry: PrefixListEntry) -> Result<(), PrefixListError> {
        entry
            .validate(self.family)
            .map_err(PrefixListError::Invalid)?;
        let Err(at) = self.entries.binary_search_by_key(&entry.seq, |e| e.seq) else {
            return Err(PrefixListError::DuplicateSeq(entry.seq));
        };
        self.entries.insert(at, entry);
        self.trie = OnceLock::new();
        Ok(())
    }

    /// Sets the description (`ip prefix-list NAME description TEXT`).
    pub fn set_description(&mut self, text: Option<String>) {
        self.description = text;
    }

    /// The sequence number FRR gives an entry written without one: the
    /// highest in use rounded down to a multiple of 5, plus 5.
    pub fn next_seq(&self) -> u32 {
        self.entries
            .last()
            .map_or(5, |e| (e.seq / 5 * 5).saturating_add(5))
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The address family.
    pub const fn family(&self) -> AddrFamily {
        self.family
    }

    /// The description, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The entries in sequence order.
    pub fn entries(&self) -> &[PrefixListEntry] {
        &self.entries
    }

    /// The sets of prefixes its `permit` entries match: every prefix the
    /// list permits lies in one of them (`deny` entries only take some
    /// away). What [`Policy::permitted_prefixes`] is built from.
    ///
    /// [`Policy::permitted_prefixes`]: bgp_rib::policy::Policy::permitted_prefixes
    pub fn permit_ranges(&self) -> impl Iterator<Item = PrefixRange> + '_ {
        let whole = match self.family {
            AddrFamily::Ipv4 => IpNet::V4(Default::default()),
            AddrFamily::Ipv6 => IpNet::V6(Default::default()),
        };
        self.entries
            .iter()
            .filter(|e| e.action == Action::Permit)
            .map(move |e| {
                let (min_len, max_len) = e.len_range(self.family);
                let prefix = match e.matcher {
                    PrefixMatch::Any => whole,
                    PrefixMatch::Prefix { prefix, .. } => prefix,
                };
                PrefixRange {
                    prefix,
                    min_len,
                    max_len,
                }
            })
    }

    /// Builds the trie now rather than on the first lookup.
    pub fn compile(&self) {
        self.trie();
    }

    /// The entry that decides about `prefix`: the matching entry with the
    /// lowest sequence number, or `None` when no entry matches (the prefix is
    /// denied). A prefix of the other address family never matches. Host
    /// bits of `prefix` are ignored.
    pub fn lookup(&self, prefix: &IpNet) -> Option<&PrefixListEntry> {
        let (key, len) = match prefix {
            IpNet::V4(p) if self.family == AddrFamily::Ipv4 => {
                ((u128::from(u32::from(p.addr()))) << 96, p.prefix_len())
            }
            IpNet::V6(p) if self.family == AddrFamily::Ipv6 => {
                (u128::from(p.addr()), p.prefix_len())
            }
            _ => return None,
        };
        self.trie()
            .lookup(key & mask(len), len)
            .map(|v| &self.entries[(v & !PERMIT) as usize])
    }

    /// Whether the list permits `prefix`: the deciding entry is a `permit`
    /// (an empty list permits nothing; see
    /// [`Policies::prefix_list`](crate::Policies::prefix_list) for how FRR
    /// treats an empty list as a neighbor's filter).
    #[inline]
    pub fn permits(&self, prefix: &IpNet) -> bool {
        let (key, len) = match prefix {
            IpNet::V4(p) if self.family == AddrFamily::Ipv4 => {
                ((u128::from(u32::from(p.addr()))) << 96, p.prefix_len())
            }
            IpNet::V6(p) if self.family == AddrFamily::Ipv6 => {
                (u128::from(p.addr()), p.prefix_len())
            }
            _ => return false,
        };
        self.trie()
            .lookup(key & mask(len), len)
            .is_some_and(|v| v & PERMIT != 0)
    }

    /// The same answer as [`lookup`](Self::lookup) by a linear scan, for tests.
    pub fn lookup_linear(&self, prefix: &IpNet) -> Option<&PrefixListEntry> {
        let p = prefix.trunc();
        self.entries.iter().find(|e| e.matches(self.family, &p))
    }

    fn trie(&self) -> &Trie {
        self.trie
            .get_or_init(|| Trie::build(self.family, &self.entries))
    }
}

fn mask(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        !0u128 << (128 - u32::from(len))
    }
}

/// The top `k` bits of `key` after skipping `d` bits.
#[inline]
fn bits(key: u128, d: u8, k: u8) -> usize {
    if k == 0 {
        0
    } else {
        ((key << d) >> (128 - u32::from(k))) as usize
    }
}

//----------- Trie --------------------------------------------------------------

const NONE: u32 = u32::MAX;
const PERMIT: u32 = 1 << 31;
const STRIDE: u8 = 4;
/// Lists with fewer entries get an 8-bit root (which stays in cache), others
/// a 16-bit one (fewer levels).
const SMALL_LIST: usize = 4096;

/// The compiled form of a prefix-list: a stride trie (16 bits at the root,
/// 8 for short lists, then 4) whose nodes are blocks of `slots`.
///
/// Every distinct entry prefix gets a decision table: for each query length
/// from its own length to the maximum, the lowest-sequence entry among it
/// and its covering prefixes whose length range contains that length. A
/// lookup finds the deepest entry prefix covering the query through the
/// nodes' leaf-pushed heaps and reads its table at the query's length: a
/// handful of memory reads whatever the number of entries.
#[derive(Clone, Debug)]
struct Trie {
    max: u8,
    root: u8,
    /// Node blocks. A node at `depth` with stride `s` starting at `o` has
    /// `2 << s` heap slots at `o` (slot `(1 << k) | b` holds the table of the
    /// deepest entry prefix of length at most `depth + k` covering the `k`
    /// bits `b` after `depth`, as an index into `pieces` plus one, or 0 for
    /// none), then `1 << s` child offsets (or `NONE`). The root is at 0.
    slots: Vec<u32>,
    /// Tables: runs of `(longest length, entry index | PERMIT, or NONE)` in
    /// length order, each run ending at the maximum length.
    pieces: Vec<(u8, u32)>,
}

impl Trie {
    fn build(family: AddrFamily, entries: &[PrefixListEntry]) -> Self {
        let max = family.max_len();
        // Entry prefixes in pre-order (covering prefixes first).
        let mut items: Vec<(u128, u8, u32)> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let (k, l) = match e.matcher {
                    PrefixMatch::Any => (0, 0),
                    PrefixMatch::Prefix { prefix, .. } => match prefix {
                        IpNet::V4(p) => (u128::from(u32::from(p.network())) << 96, p.prefix_len()),
                        IpNet::V6(p) => (u128::from(p.network()), p.prefix_len()),
                    },
                };
                (k, l, i as u32)
            })
            .collect();
        items.sort_unstable();

        let mut trie = Self {
            max,
            root: if entries.len() < SMALL_LIST { 8 } else { 16 },
            slots: Vec::new(),
            pieces: Vec::new(),
        };
        // Decision tables along the current chain of covering prefixes.
        let mut stack: Vec<(u128, u8, Vec<u32>)> = Vec::new();
        let mut distinct: Vec<(u128, u8, u32)> = Vec::new();
        let mut i = 0;
        while i < items.len() {
            let (key, len, _) = items[i];
            let mut j = i;
            while j < items.len() && items[j].0 == key && items[j].1 == len {
                j += 1;
            }
            while stack
                .last()
                .is_some_and(|(k, l, _)| !(*l <= len && (key & mask(*l)) == *k))
            {
                stack.pop();
            }
            let mut table = stack
                .last()
                .map_or_else(|| vec![NONE; usize::from(max) + 1], |s| s.2.clone());
            for &(_, _, e) in &items[i..j] {
                let (lo, hi) = entries[e as usize].len_range(family);
                for slot in &mut table[usize::from(lo)..=usize::from(hi)] {
                    if *slot == NONE || entries[*slot as usize].seq > entries[e as usize].seq {
                        *slot = e;
                    }
                }
            }
            // Pieces from `len` up.
            let start = trie.pieces.len();
            for l in len..=max {
                let v = match table[usize::from(l)] {
                    NONE => NONE,
                    e if entries[e as usize].action == Action::Permit => e | PERMIT,
                    e => e,
                };
                let own = trie.pieces.len() > start;
                match trie.pieces.last_mut() {
                    Some(last) if own && last.1 == v => last.0 = l,
                    _ => trie.pieces.push((l, v)),
                }
            }
            distinct.push((key, len, start as u32 + 1));
            stack.push((key, len, table));
            i = j;
        }
        trie.build_node(0, 0, &distinct);
        trie
    }

    /// Builds the node at `depth` whose heap starts from `inherited` and
    /// which holds `items` (entry prefixes at least as long as `depth` below
    /// it; only the root has one of length `depth`). Returns its offset.
    fn build_node(&mut self, depth: u8, inherited: u32, items: &[(u128, u8, u32)]) -> u32 {
        let s = self.stride(depth);
        let heap = self.slots.len();
        let children = heap + (2usize << s);
        self.slots.resize(children + (1usize << s), NONE);
        self.slots[heap] = 0;
        self.slots[heap + 1] = inherited;
        let mut overrides: Vec<(u8, usize, u32)> = items
            .iter()
            .filter(|&&(_, l, _)| l <= depth + s)
            .map(|&(k, l, t)| (l - depth, bits(k, depth, l - depth), t))
            .collect();
        overrides.sort_unstable_by_key(|o| o.0);
        let mut o = 0;
        while o < overrides.len() && overrides[o].0 == 0 {
            self.slots[heap + 1] = overrides[o].2;
            o += 1;
        }
        for k in 1..=s {
            for b in 0..1usize << k {
                self.slots[heap + ((1 << k) | b)] = self.slots[heap + ((1 << (k - 1)) | (b >> 1))];
            }
            while o < overrides.len() && overrides[o].0 == k {
                self.slots[heap + ((1 << k) | overrides[o].1)] = overrides[o].2;
                o += 1;
            }
        }
        let deeper: Vec<(u128, u8, u32)> = items
            .iter()
            .copied()
            .filter(|&(_, l, _)| l > depth + s)
            .collect();
        let mut i = 0;
        while i < deeper.len() {
            let b = bits(deeper[i].0, depth, s);
            let mut j = i;
            while j < deeper.len() && bits(deeper[j].0, depth, s) == b {
                j += 1;
            }
            let inherited = self.slots[heap + ((1 << s) | b)];
            let child = self.build_node(depth + s, inherited, &deeper[i..j]);
            self.slots[children + b] = child;
            i = j;
        }
        heap as u32
    }

    /// The stride of the node at `depth`.
    #[inline]
    fn stride(&self, depth: u8) -> u8 {
        (if depth == 0 { self.root } else { STRIDE }).min(self.max - depth)
    }

    /// The deciding entry for the prefix `key/len` (host bits clear), as
    /// `index | PERMIT` or `index`, if any.
    #[inline]
    fn lookup(&self, key: u128, len: u8) -> Option<u32> {
        let table = if self.max == 32 {
            self.find_v4((key >> 96) as u32, len)
        } else {
            self.find(key, len)
        };
        if table == 0 {
            return None;
        }
        let v = self.pieces[table as usize - 1..]
            .iter()
            .find(|p| p.0 >= len)
            .map_or(NONE, |p| p.1);
        (v != NONE).then_some(v)
    }

    /// [`find`](Self::find) with 32-bit arithmetic.
    #[inline]
    fn find_v4(&self, key: u32, len: u8) -> u32 {
        let bits = |d: u8, k: u8| -> usize {
            if k == 0 {
                0
            } else {
                ((key << d) >> (32 - u32::from(k))) as usize
            }
        };
        let (mut node, mut d) = (0usize, 0u8);
        loop {
            let s = self.stride(d);
            if len <= d + s {
                let k = len - d;
                return self.slots[node + ((1 << k) | bits(d, k))];
            }
            let b = bits(d, s);
            let child = self.slots[node + (2 << s) + b];
            if child == NONE {
                return self.slots[node + ((1 << s) | b)];
            }
            node = child as usize;
            d += s;
        }
    }

    /// The table (plus one; 0 for none) of the deepest entry prefix covering
    /// `key/len`.
    #[inline]
    fn find(&self, key: u128, len: u8) -> u32 {
        let (mut node, mut d) = (0usize, 0u8);
        loop {
            let s = self.stride(d);
            if len <= d + s {
                let k = len - d;
                return self.slots[node + ((1 << k) | bits(key, d, k))];
            }
            let b = bits(key, d, s);
            let child = self.slots[node + (2 << s) + b];
            if child == NONE {
                return self.slots[node + ((1 << s) | b)];
            }
            node = child as usize;
            d += s;
        }
    }
}

//----------- Tests -------------------------------------------------------------

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;

    fn entry(seq: u32, action: Action, p: &str, ge: Option<u8>, le: Option<u8>) -> PrefixListEntry {
        PrefixListEntry {
            seq,
            action,
            matcher: PrefixMatch::Prefix {
                prefix: p.parse().unwrap(),
                ge,
                le,
            },
        }
    }

    fn n(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn exact_ge_le() {
        let l = PrefixList::with_entries(
            "t",
            AddrFamily::Ipv4,
            [
                entry(5, Action::Deny, "10.0.0.0/8", Some(25), None),
                entry(10, Action::Permit, "10.0.0.0/8", None, Some(24)),
                entry(15, Action::Permit, "192.168.0.0/16", Some(20), Some(22)),
                entry(20, Action::Permit, "172.16.0.0/12", None, None),
            ],
        )
        .unwrap();
        assert!(l.permits(&n("10.0.0.0/8")));
        assert!(l.permits(&n("10.1.2.0/24")));
        assert!(!l.permits(&n("10.1.2.0/25")));
        assert_eq!(l.lookup(&n("10.1.2.0/25")).unwrap().seq, 5);
        assert!(!l.permits(&n("11.0.0.0/8")));
        assert!(!l.permits(&n("192.168.0.0/19")));
        assert!(l.permits(&n("192.168.0.0/20")));
        assert!(l.permits(&n("192.168.4.0/22")));
        assert!(!l.permits(&n("192.168.4.0/23")));
        assert!(l.permits(&n("172.16.0.0/12")));
        assert!(!l.permits(&n("172.16.0.0/13")));
        assert!(!l.permits(&n("2001:db8::/32")));
    }

    #[test]
    fn empty_list_permits_nothing() {
        let l = PrefixList::new("e", AddrFamily::Ipv4);
        assert!(!l.permits(&n("0.0.0.0/0")));
        assert!(l.lookup(&n("10.0.0.0/8")).is_none());
    }

    #[test]
    fn validation() {
        let v = |p, ge, le| entry(5, Action::Permit, p, ge, le).validate(AddrFamily::Ipv4);
        assert!(v("10.0.0.0/8", Some(8), None).is_err());
        assert!(v("10.0.0.0/8", None, Some(8)).is_err());
        assert!(v("10.0.0.0/8", Some(24), Some(16)).is_err());
        assert!(v("10.0.0.0/8", Some(33), None).is_err());
        assert!(v("10.0.0.1/8", None, None).is_err());
        assert!(v("10.0.0.0/8", Some(16), Some(16)).is_ok());
        assert!(v("0.0.0.0/0", Some(32), None).is_ok());
    }

    #[test]
    fn seed_filters() {
        let default = PrefixList::with_entries(
            "defaultroute",
            AddrFamily::Ipv4,
            [entry(5, Action::Permit, "0.0.0.0/0", None, None)],
        )
        .unwrap();
        assert!(default.permits(&n("0.0.0.0/0")));
        assert!(!default.permits(&n("0.0.0.0/1")));
        assert!(!default.permits(&n("10.0.0.0/8")));
        let host = PrefixList::with_entries(
            "hostroutes",
            AddrFamily::Ipv4,
            [entry(5, Action::Permit, "0.0.0.0/0", Some(32), None)],
        )
        .unwrap();
        assert!(host.permits(&n("192.0.2.1/32")));
        assert!(host.permits(&n("0.0.0.0/32")));
        assert!(!host.permits(&n("192.0.2.0/31")));
        assert!(!host.permits(&n("0.0.0.0/0")));
    }

    /// A list long enough for the 16-bit root, against the linear scan.
    #[test]
    fn big_list_equals_linear_scan() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut entries = Vec::new();
        for i in 0..5000u32 {
            let len = 8 + (rnd() % 25) as u8;
            let a = Ipv4Addr::from((rnd() as u32) & 0x0fff_ffff);
            let prefix = IpNet::new(IpAddr::V4(a), len).unwrap().trunc();
            let le =
                (len < 32 && rnd() % 4 == 0).then(|| len + 1 + (rnd() % u64::from(32 - len)) as u8);
            let action = if rnd() % 5 == 0 {
                Action::Deny
            } else {
                Action::Permit
            };
            entries.push(PrefixListEntry {
                seq: i + 1,
                action,
                matcher: PrefixMatch::Prefix {
                    prefix,
                    ge: None,
                    le,
                },
            });
        }
        let list = PrefixList::with_entries("big", AddrFamily::Ipv4, entries.clone()).unwrap();
        for i in 0..4000 {
            let q = if i % 2 == 0 {
                match entries[(rnd() % 5000) as usize].matcher {
                    PrefixMatch::Prefix { prefix, .. } => {
                        let extra = (rnd() % 4) as u8;
                        IpNet::new(prefix.addr(), (prefix.prefix_len() + extra).min(32)).unwrap()
                    }
                    PrefixMatch::Any => unreachable!(),
                }
            } else {
                let len = (rnd() % 33) as u8;
                IpNet::new(
                    IpAddr::V4(Ipv4Addr::from((rnd() as u32) & 0x0fff_ffff)),
                    len,
                )
                .unwrap()
                .trunc()
            };
            let want = list.lookup_linear(&q);
            assert_eq!(list.lookup(&q).map(|e| e.seq), want.map(|e| e.seq), "{q}");
            assert_eq!(
                list.permits(&q),
                want.is_some_and(|e| e.action == Action::Permit)
            );
        }
    }

    /// The trie against the linear definition, on random lists and queries
    /// (a small deterministic generator so the test needs no RNG crate).
    #[test]
    fn trie_equals_linear_scan() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..300 {
            let v6 = round % 3 == 0;
            let family = if v6 {
                AddrFamily::Ipv6
            } else {
                AddrFamily::Ipv4
            };
            let max = family.max_len();
            // Addresses drawn from a few bits so entries and queries overlap.
            let addr = |rnd: &mut dyn FnMut() -> u64, len: u8| -> IpNet {
                let r = rnd();
                let a = u128::from(r & 0xf00f) << 112 | u128::from(r >> 48) << 64;
                let a = if v6 { a } else { a >> 96 << 96 };
                let ip = if v6 {
                    IpAddr::V6((a).into())
                } else {
                    IpAddr::V4(((a >> 96) as u32).into())
                };
                IpNet::new(ip, len).unwrap().trunc()
            };
            let mut entries = Vec::new();
            let count = rnd() % 12;
            for i in 0..count {
                let seq = (i as u32 + 1) * 5;
                let action = if rnd() % 3 == 0 {
                    Action::Deny
                } else {
                    Action::Permit
                };
                if rnd() % 15 == 0 {
                    entries.push(PrefixListEntry {
                        seq,
                        action,
                        matcher: PrefixMatch::Any,
                    });
                    continue;
                }
                let len = (rnd() % (u64::from(max) + 1)) as u8;
                let p = addr(&mut rnd, len);
                let ge = (len < max && rnd() % 3 == 0)
                    .then(|| len + 1 + (rnd() % u64::from(max - len)) as u8);
                let lo = ge.unwrap_or(len);
                let le = (lo < max && rnd() % 3 == 0)
                    .then(|| lo.max(len + 1) + (rnd() % u64::from(max - lo.max(len + 1) + 1)) as u8)
                    .filter(|&l| l > len && l >= lo);
                entries.push(PrefixListEntry {
                    seq,
                    action,
                    matcher: PrefixMatch::Prefix { prefix: p, ge, le },
                });
            }
            let list = PrefixList::with_entries("r", family, entries).unwrap();
            for _ in 0..300 {
                let len = (rnd() % (u64::from(max) + 1)) as u8;
                let q = addr(&mut rnd, len);
                let want = list.lookup_linear(&q);
                assert_eq!(
                    list.lookup(&q).map(|e| e.seq),
                    want.map(|e| e.seq),
                    "{q} in {list:?}"
                );
                assert_eq!(
                    list.permits(&q),
                    want.is_some_and(|e| e.action == Action::Permit)
                );
            }
        }
    }
}

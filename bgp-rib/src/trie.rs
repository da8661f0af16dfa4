//! A path-compressed binary radix trie keyed by IPv4 or IPv6 prefixes.
//!
//! Nodes live in one `Vec` and refer to each other by `u32` index (no
//! pointers, no `unsafe`); values live in a second `Vec` so that the many
//! internal (branch) nodes of a routing table cost 20 octets (IPv4) or 32
//! octets (IPv6) each, whatever the size of the value. Every node stores its
//! whole prefix, so a lookup compares once per node and skips the bits a
//! chain of single-child nodes would have tested one by one.
//!
//! | operation | cost |
//! |---|---|
//! | [`insert`](PrefixTrie::insert), [`remove`](PrefixTrie::remove), [`get`](PrefixTrie::get) | O(depth) ≤ O(address bits) |
//! | [`longest_match`](PrefixTrie::longest_match) | O(depth) |
//! | [`iter`](PrefixTrie::iter) | O(n), in prefix order (address, then length) |
//! | [`more_specifics`](PrefixTrie::more_specifics) | O(depth + answer) |
//! | [`less_specifics`](PrefixTrie::less_specifics) | O(depth) |

use crate::prefetch::prefetch;
use std::fmt::Debug;
use std::hash::Hash;

use ipnet::{Ipv4Net, Ipv6Net};

const NONE: u32 = u32::MAX;

//----------- TriePrefix ------------------------------------------------------

/// A prefix type the trie can key on: its address as an unsigned integer
/// (most significant bit first) and its length.
pub trait TriePrefix: Copy + Debug + Eq + Ord + Hash {
    /// The address as an integer.
    type Bits: Bits;
    /// The address bits (host bits need not be clear).
    fn bits(&self) -> Self::Bits;
    /// The prefix length.
    fn bit_len(&self) -> u8;
    /// The prefix of `bits` (host bits clear) and `len`.
    fn from_bits(bits: Self::Bits, len: u8) -> Self;
}

/// Integer operations the trie needs on an address.
pub trait Bits: Copy + Debug + Default + Eq + Ord + Hash {
    /// The number of bits (32 or 128).
    const WIDTH: u8;
    /// Bit `i`, counted from the most significant; `i < WIDTH`.
    fn bit(self, i: u8) -> usize;
    /// The first `len` bits, the rest cleared.
    fn mask(self, len: u8) -> Self;
    /// How many leading bits `self` and `other` share.
    fn common(self, other: Self) -> u8;
    /// The address as a `u32` when it is 32 bits wide (the DIR-24-8 index
    /// is for IPv4 only).
    fn as_u32(self) -> Option<u32>;
    /// The top 16 bits: the /16 block the value lies in.
    fn top16(self) -> usize;
}

macro_rules! bits_impl {
    ($t:ty, $w:literal) => {
        impl Bits for $t {
            const WIDTH: u8 = $w;
            #[inline]
            fn bit(self, i: u8) -> usize {
                ((self >> ($w - 1 - u32::from(i))) & 1) as usize
            }
            #[inline]
            fn mask(self, len: u8) -> Self {
                if len == 0 {
                    0
                } else {
                    self & (<$t>::MAX << ($w - u32::from(len)))
                }
            }
            #[inline]
            fn common(self, other: Self) -> u8 {
                (self ^ other).leading_zeros() as u8
            }
            #[inline]
            fn top16(self) -> usize {
                (self >> ($w - 16)) as usize
            }
            #[inline]
            fn as_u32(self) -> Option<u32> {
                u32::try_from(self).ok().filter(|_| $w == 32)
            }
        }
    };
}
bits_impl!(u32, 32);
bits_impl!(u128, 128);

impl TriePrefix for Ipv4Net {
    type Bits = u32;
    #[inline]
    fn bits(&self) -> u32 {
        u32::from(self.addr())
    }
    #[inline]
    fn bit_len(&self) -> u8 {
        self.prefix_len()
    }
    #[inline]
    fn from_bits(bits: u32, len: u8) -> Self {
        // Invariant: the trie only builds lengths it was given, all ≤ 32.
        Self::new(bits.into(), len).expect("prefix length within 0..=32")
    }
}

impl TriePrefix for Ipv6Net {
    type Bits = u128;
    #[inline]
    fn bits(&self) -> u128 {
        u128::from(self.addr())
    }
    #[inline]
    fn bit_len(&self) -> u8 {
        self.prefix_len()
    }
    #[inline]
    fn from_bits(bits: u128, len: u8) -> Self {
        // Invariant: the trie only builds lengths it was given, all ≤ 128.
        Self::new(bits.into(), len).expect("prefix length within 0..=128")
    }
}

//----------- PrefixTrie ------------------------------------------------------

/// A trie node: 16 octets for IPv4 (the key, two child links, the value
/// slot). The prefix length lives in the top four bits of each child link
/// (low half in `links[0]`, high half in `links[1]`); a link's low 28 bits
/// hold the child's index plus one, 0 for none, so a trie has at most
/// [`MAX_NODES`] nodes. With a separate length octet an IPv4 node was 20
/// octets: 6 MB more for a full table.
#[derive(Clone, Debug)]
struct Node<B> {
    key: B,
    links: [u32; 2],
    value: u32,
}

const LINK_MASK: u32 = (1 << 28) - 1;

/// The most nodes a trie holds (about 134 million prefixes).
const MAX_NODES: usize = LINK_MASK as usize - 1;

impl<B> Node<B> {
    #[inline(always)]
    fn new(key: B, len: u8, value: u32) -> Self {
        let len = u32::from(len);
        Self {
            key,
            links: [(len & 15) << 28, (len >> 4) << 28],
            value,
        }
    }

    /// The prefix length.
    #[inline(always)]
    fn len(&self) -> u8 {
        ((self.links[0] >> 28) | ((self.links[1] >> 28) << 4)) as u8
    }

    /// Child `side` (0 or 1), or `NONE`.
    #[inline(always)]
    fn child(&self, side: usize) -> u32 {
        (self.links[side] & LINK_MASK).wrapping_sub(1)
    }

    /// Both children, `NONE` for a missing one.
    #[inline(always)]
    fn children(&self) -> [u32; 2] {
        [self.child(0), self.child(1)]
    }

    /// Sets child `side` to `c` (a node index or `NONE`).
    #[inline(always)]
    fn set_child(&mut self, side: usize, c: u32) {
        debug_assert!(c == NONE || (c as usize) < MAX_NODES);
        self.links[side] = (self.links[side] & !LINK_MASK) | (c.wrapping_add(1) & LINK_MASK);
    }
}

/// A map from prefixes to values, as a path-compressed binary radix trie.
///
/// Keys are canonicalised: host bits are cleared on the way in, so
/// `10.1.2.3/8` and `10.0.0.0/8` are the same key.
#[derive(Clone, Debug)]
pub struct PrefixTrie<P: TriePrefix, V> {
    nodes: Vec<Node<P::Bits>>,
    free_nodes: Vec<u32>,
    values: Vec<Option<V>>,
    /// The node of each value slot (stale for a free slot).
    slot_node: Vec<u32>,
    free_values: Vec<u32>,
    len: usize,
    dir: Option<Box<Dir24>>,
    /// The nodes the last insertion walked through, root first, and its
    /// key: the next insertion starts from the deepest of them that covers
    /// its key rather than from the root (a finger, like the hint of C++'s
    /// `map::insert(hint, value)`). Routes mostly arrive in runs of
    /// neighbouring prefixes (an UPDATE's NLRI, a table sent in order), so
    /// most insertions then walk a few nodes instead of twenty. Insertion
    /// never moves or frees a node; removal clears the finger.
    finger: Vec<u32>,
    finger_key: P::Bits,
    /// A direct-indexed first level: for each /16 block (the key's top 16
    /// bits), the parent of its entry node, or `NONE` when the block holds
    /// no node of length 16 or more. The entry node is the first node, on
    /// the path from the root, of length at least 16 inside the block; it
    /// is unique (two such nodes under a common node shorter than 16 would
    /// differ in a bit before 16), and its parent is the deepest node of
    /// length below 16 on the way to any key of the block. Walks of keys of
    /// length 16 or more start at that parent instead of the root, which
    /// saves the (for a random key, cache-missing) top of the walk. Built
    /// once the trie has [`TOP_MIN_NODES`] nodes (empty before: a small
    /// trie does not pay its 256 KiB), and kept by [`link`](Self::link)
    /// and [`compact`](Self::compact), the only places that change a
    /// child pointer.
    top: Vec<u32>,
    /// Bumped whenever a node is freed (or the trie cleared): an
    /// [`InsertHint`] of an older generation may name a freed node and is
    /// ignored.
    generation: u32,
}

/// Where the insertion of one key may start its walk: the deepest node that
/// covered the key when [`PrefixTrie::insert_hints`] looked. Insertions never
/// move or free a node, so a hint stays good until something is removed
/// (the trie then ignores it and walks as usual).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InsertHint {
    node: u32,
    generation: u32,
}

impl InsertHint {
    /// No hint: the insertion walks as usual.
    pub const NONE: Self = Self {
        node: NONE,
        generation: 0,
    };
}

/// How many keys [`PrefixTrie::insert_hints`] walks side by side.
const HINT_GROUP: usize = 32;

/// The length from which keys are walked from their /16 block's entry in
/// [`PrefixTrie::top`].
const TOP_BITS: u8 = 16;
/// The number of nodes from which a trie builds its [`PrefixTrie::top`]
/// table (a few in tests, so that they cover both ways).
const TOP_MIN_NODES: usize = if cfg!(test) { 8 } else { 1 << 14 };

//----------- Dir24 -----------------------------------------------------------

/// Marks a [`Dir24`] entry that names a 256-entry chunk.
const CHUNK: u32 = 0x8000_0000;
/// A [`Dir24`] entry with no covering prefix. Other entries hold the value
/// slot + 1 and the prefix length, so that a fresh table is all zeroes
/// (one `calloc`, no 64 MiB fill).
const NO_MATCH: u32 = 0;
/// The bits of an entry that hold the value slot + 1; above them, six bits
/// of prefix length.
const SLOT_BITS: u32 = 25;
/// Value slots from here on cannot be named by the index (it then turns
/// itself off: 33 million IPv4 prefixes).
const MAX_INDEXED_SLOT: u32 = (1 << SLOT_BITS) - 2;

/// The [`Dir24`] entry of value slot `slot` holding a /`len`.
#[inline]
fn dir_entry(slot: u32, len: u8) -> u32 {
    (u32::from(len) << SLOT_BITS) | (slot + 1)
}

/// The (value slot, prefix length) of a non-chunk [`Dir24`] entry.
#[inline]
fn dir_decode(e: u32) -> Option<(u32, u8)> {
    let slot = (e & ((1 << SLOT_BITS) - 1)).checked_sub(1)?;
    Some((slot, (e >> SLOT_BITS) as u8))
}

/// The DIR-24-8 index of Gupta, Lin and McKeown ("Routing lookups in
/// hardware at memory access speeds", 1998) over the values of an IPv4
/// trie: one entry per /24 naming the value slot and length of its longest
/// match, or a chunk of 256 entries for the /24s that hold longer prefixes.
/// A lookup is one or two dependent memory reads (then the value's own)
/// instead of a walk down the trie. It costs 64 MiB (plus 1 KiB per
/// chunk), so it is opt-in ([`PrefixTrie::enable_lpm_index`]). It names
/// value slots, which never move while they hold a value, and is kept up to
/// date by every insert and remove (a /n prefix touches 2^(24-n) entries).
///
/// A default route (/0) is the one exception: it would touch all 2^24
/// entries, yet it is the prefix a speaker of our users' design adds and
/// removes most (each border router sends one, and default-originate keeps
/// one per peer in the trie). It is held beside the table instead, and a
/// lookup that finds no match there falls back to it; the table never
/// names it.
#[derive(Clone, Debug)]
struct Dir24 {
    t24: Vec<u32>,
    t8: Vec<u32>,
    free8: Vec<u32>,
    /// The entry of the /0 when it has a value, else `NO_MATCH`.
    default: u32,
}

impl Dir24 {
    fn new() -> Self {
        Self {
            t24: vec![0; 1 << 24],
            t8: Vec::new(),
            free8: Vec::new(),
            default: NO_MATCH,
        }
    }

    /// The entry of the longest match of `a`.
    #[inline]
    fn lookup(&self, a: u32) -> u32 {
        let e = self.t24[(a >> 8) as usize];
        let e = if e & CHUNK != 0 {
            self.t8[(((e & !CHUNK) as usize) << 8) | (a & 0xff) as usize]
        } else {
            e
        };
        self.or_default(e)
    }

    /// `e`, or the default route's entry when `e` names no match.
    #[inline(always)]
    fn or_default(&self, e: u32) -> u32 {
        if e == NO_MATCH { self.default } else { e }
    }

    /// The entries of the longest matches of `addrs` into `out` (as long):
    /// every first-level read is issued before any second-level one, so
    /// the reads of different addresses overlap (DPDK's
    /// `rte_lpm_lookup_bulk` does the same), and the second-level reads
    /// are prefetched as soon as their first-level entries are known.
    #[inline]
    fn lookup_many(&self, addrs: &[u32], out: &mut [u32]) {
        for (o, a) in out.iter_mut().zip(addrs) {
            *o = self.t24[(a >> 8) as usize];
            if *o & CHUNK != 0 {
                prefetch(&self.t8[(((*o & !CHUNK) as usize) << 8) | (a & 0xff) as usize]);
            }
        }
        for (o, a) in out.iter_mut().zip(addrs) {
            if *o & CHUNK != 0 {
                *o = self.t8[(((*o & !CHUNK) as usize) << 8) | (a & 0xff) as usize];
            }
            *o = self.or_default(*o);
        }
    }

    /// The chunk of /24 number `i`, made from its single entry if need be.
    fn chunk(&mut self, i: usize) -> usize {
        let e = self.t24[i];
        if e & CHUNK != 0 {
            return (e & !CHUNK) as usize;
        }
        let c = match self.free8.pop() {
            Some(c) => {
                let c = c as usize;
                self.t8[c << 8..(c + 1) << 8].fill(e);
                c
            }
            None => {
                self.t8.extend(std::iter::repeat_n(e, 256));
                (self.t8.len() >> 8) - 1
            }
        };
        self.t24[i] = CHUNK | c as u32;
        c
    }

    /// Value slot `slot` (prefix `key/len`) was filled: it becomes the
    /// match wherever the current match is shorter.
    fn insert(&mut self, slot: u32, key: u32, len: u8) {
        let n = dir_entry(slot, len);
        if len == 0 {
            self.default = n;
            return;
        }
        let shorter = |e: u32| e == NO_MATCH || (e >> SLOT_BITS) < u32::from(len);
        if len <= 24 {
            let start = (key >> 8) as usize;
            for i in start..start + (1usize << (24 - len)) {
                let e = self.t24[i];
                if e & CHUNK != 0 {
                    let c = (e & !CHUNK) as usize;
                    for x in &mut self.t8[c << 8..(c + 1) << 8] {
                        if shorter(*x) {
                            *x = n;
                        }
                    }
                } else if shorter(e) {
                    self.t24[i] = n;
                }
            }
        } else {
            let c = self.chunk((key >> 8) as usize);
            let start = (c << 8) | (key & 0xff) as usize;
            for x in &mut self.t8[start..start + (1usize << (32 - len))] {
                if shorter(*x) {
                    *x = n;
                }
            }
        }
    }

    /// Value slot `slot` (prefix `key/len`) was emptied: `repl` (the entry
    /// of its longest valued ancestor, or `NO_MATCH`) takes over where it
    /// was the match.
    fn remove(&mut self, slot: u32, key: u32, len: u8, repl: u32) {
        let n = dir_entry(slot, len);
        if len == 0 {
            if self.default == n {
                self.default = NO_MATCH;
            }
            return;
        }
        // The table never names the default route: where it takes over,
        // the entry says "no match" and lookups fall back to it.
        let repl = if repl != NO_MATCH && repl >> SLOT_BITS == 0 {
            NO_MATCH
        } else {
            repl
        };
        let swap = |x: &mut u32| {
            if *x == n {
                *x = repl;
            }
        };
        if len <= 24 {
            let start = (key >> 8) as usize;
            for i in start..start + (1usize << (24 - len)) {
                let e = self.t24[i];
                if e & CHUNK != 0 {
                    let c = (e & !CHUNK) as usize;
                    self.t8[c << 8..(c + 1) << 8].iter_mut().for_each(swap);
                } else {
                    swap(&mut self.t24[i]);
                }
            }
        } else {
            let i = (key >> 8) as usize;
            let c = self.chunk(i);
            let start = (c << 8) | (key & 0xff) as usize;
            self.t8[start..start + (1usize << (32 - len))]
                .iter_mut()
                .for_each(swap);
            // A chunk that became uniform folds back into its entry.
            let all = &self.t8[c << 8..(c + 1) << 8];
            if all.iter().all(|&x| x == all[0]) {
                self.t24[i] = all[0];
                self.free8.push(c as u32);
            }
        }
    }

    fn bytes(&self) -> usize {
        (self.t24.capacity() + self.t8.capacity() + self.free8.capacity()) * 4
    }
}

impl<P: TriePrefix, V> Default for PrefixTrie<P, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: TriePrefix, V> PrefixTrie<P, V> {
    /// An empty trie.
    pub fn new() -> Self {
        Self {
            nodes: vec![Node::new(P::Bits::default(), 0, NONE)],
            free_nodes: Vec::new(),
            values: Vec::new(),
            slot_node: Vec::new(),
            free_values: Vec::new(),
            len: 0,
            dir: None,
            finger: Vec::new(),
            finger_key: P::Bits::default(),
            top: Vec::new(),
            generation: 1,
        }
    }

    /// Builds and then maintains a DIR-24-8 index (Gupta, Lin, McKeown 1998) that makes
    /// [`longest_match`](Self::longest_match) of an IPv4 address one or two
    /// memory reads. Costs 64 MiB. Returns false (and does nothing) for
    /// IPv6, and for a trie of more than 33 million prefixes (the most
    /// the index can name; it also turns itself off when a trie grows
    /// past that, and lookups walk).
    pub fn enable_lpm_index(&mut self) -> bool {
        if P::Bits::WIDTH != 32 {
            return false;
        }
        if self.values.len() > MAX_INDEXED_SLOT as usize {
            return false;
        }
        let mut d = Box::new(Dir24::new());
        for node in &self.nodes {
            if node.value != NONE && self.values[node.value as usize].is_some() {
                if let Some(k) = node.key.as_u32() {
                    d.insert(node.value, k, node.len());
                }
            }
        }
        self.dir = Some(d);
        true
    }

    /// Whether the DIR-24-8 index is on.
    pub fn has_lpm_index(&self) -> bool {
        self.dir.is_some()
    }

    /// Inserts `value` at `prefix`; returns the value it replaced.
    pub fn insert(&mut self, prefix: P, value: V) -> Option<V> {
        let slot = self.slot_or_insert(prefix);
        let old = self.values[slot as usize].replace(value);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// The value at `prefix`, inserting `make()` first when there is none.
    pub fn get_or_insert_with(&mut self, prefix: P, make: impl FnOnce() -> V) -> &mut V {
        let slot = self.slot_or_insert(prefix) as usize;
        if self.values[slot].is_none() {
            self.len += 1;
        }
        self.values[slot].get_or_insert_with(make)
    }

    /// Like [`get_or_insert_with`](Self::get_or_insert_with), also
    /// returning the value's slot (see [`by_slot`](Self::by_slot)).
    pub fn get_or_insert_slot_with(
        &mut self,
        prefix: P,
        make: impl FnOnce() -> V,
    ) -> (u32, &mut V) {
        let slot = self.slot_or_insert(prefix);
        let v = &mut self.values[slot as usize];
        if v.is_none() {
            self.len += 1;
        }
        (slot, v.get_or_insert_with(make))
    }

    /// For each of `keys`, an [`InsertHint`] for
    /// [`get_or_insert_slot_hinted`](Self::get_or_insert_slot_hinted), into
    /// `out` (cleared first). The keys are walked side by side, a group at
    /// a time, one level per round: the nodes of a large trie that keys in
    /// no particular order reach are mostly not in the cache, and this way
    /// the misses of different keys overlap instead of waiting on each
    /// other (group prefetching, as in Chen, Ailamaki, Gibbons and Mowry,
    /// "Improving hash join performance through prefetching", 2004). The
    /// insertions that follow then walk cached nodes. Worth it for keys
    /// scattered over the trie; for keys in prefix order the finger of the
    /// previous insertion already does better.
    pub fn insert_hints(&self, keys: &[P], out: &mut Vec<InsertHint>) {
        out.clear();
        out.reserve(keys.len());
        for group in keys.chunks(HINT_GROUP) {
            let n = group.len();
            let mut key = [P::Bits::default(); HINT_GROUP];
            let mut len = [0u8; HINT_GROUP];
            for (i, k) in group.iter().enumerate() {
                len[i] = k.bit_len();
                key[i] = k.bits().mask(len[i]);
                if len[i] >= TOP_BITS && !self.top.is_empty() {
                    prefetch(&self.top[key[i].top16()]);
                }
            }
            // `cur[i]`: the deepest node known to cover key `i`; `next[i]`:
            // its child toward the key, prefetched and read in the next
            // round (`NONE` once the walk is over).
            let mut cur = [0u32; HINT_GROUP];
            let mut next = [NONE; HINT_GROUP];
            for i in 0..n {
                cur[i] = self.start(key[i], len[i]);
                next[i] = self.child_toward(cur[i], key[i], len[i]);
            }
            let mut any = true;
            while any {
                any = false;
                for i in 0..n {
                    let c = next[i];
                    if c == NONE {
                        continue;
                    }
                    let cn = &self.nodes[c as usize];
                    next[i] = NONE;
                    if cn.len() <= len[i] && key[i].mask(cn.len()) == cn.key {
                        cur[i] = c;
                        next[i] = self.child_toward(c, key[i], len[i]);
                        any |= next[i] != NONE;
                    }
                }
            }
            out.extend(cur[..n].iter().map(|&node| InsertHint {
                node,
                generation: self.generation,
            }));
        }
    }

    /// The child of `cur` (which covers `key`/`len`) on the way to the
    /// key, prefetched, or `NONE` when `cur` is the key's node or has no
    /// child that way. The child may still not cover the key.
    #[inline(always)]
    fn child_toward(&self, cur: u32, key: P::Bits, len: u8) -> u32 {
        let n = &self.nodes[cur as usize];
        if n.len() >= len {
            return NONE;
        }
        let c = n.child(key.bit(n.len()));
        if c != NONE {
            prefetch(&self.nodes[c as usize]);
        }
        c
    }

    /// Like [`get_or_insert_slot_with`](Self::get_or_insert_slot_with),
    /// starting the walk at `hint` (from
    /// [`insert_hints`](Self::insert_hints) for this key) when it is still
    /// good; a stale hint, or one given for another key, is ignored.
    pub fn get_or_insert_slot_hinted(
        &mut self,
        prefix: P,
        hint: InsertHint,
        make: impl FnOnce() -> V,
    ) -> (u32, &mut V) {
        let slot = self.slot_or_insert_from(prefix, hint);
        let v = &mut self.values[slot as usize];
        if v.is_none() {
            self.len += 1;
        }
        (slot, v.get_or_insert_with(make))
    }

    /// The value at exactly `prefix` and its slot, mutably.
    pub fn get_slot_mut(&mut self, prefix: &P) -> Option<(u32, &mut V)> {
        let n = self.find(prefix)?;
        let slot = self.nodes[n as usize].value;
        if slot == NONE {
            return None;
        }
        Some((slot, self.values[slot as usize].as_mut()?))
    }

    /// The prefix and value in value slot `slot`, mutably (see
    /// [`by_slot`](Self::by_slot)).
    #[inline]
    pub fn by_slot_mut(&mut self, slot: u32) -> Option<(P, &mut V)> {
        let v = self.values.get_mut(slot as usize)?.as_mut()?;
        let n = &self.nodes[self.slot_node[slot as usize] as usize];
        Some((P::from_bits(n.key, n.len()), v))
    }

    /// Calls `f` on every prefix, its slot and its value, in no particular
    /// order, with mutable access.
    pub fn for_each_slot_mut(&mut self, mut f: impl FnMut(u32, P, &mut V)) {
        for n in &self.nodes {
            if n.value != NONE {
                if let Some(v) = self.values[n.value as usize].as_mut() {
                    f(n.value, P::from_bits(n.key, n.len()), v);
                }
            }
        }
    }

    /// Calls `f` on every value in the slots `slots` (free slots and those
    /// past the end are skipped), with its slot and prefix, in slot order.
    pub fn for_each_in_slots_mut(
        &mut self,
        slots: std::ops::Range<u32>,
        mut f: impl FnMut(u32, P, &mut V),
    ) {
        let end = (slots.end as usize).min(self.values.len());
        let start = (slots.start as usize).min(end);
        let (values, nodes, slot_node) = (&mut self.values, &self.nodes, &self.slot_node);
        for (i, v) in values[start..end].iter_mut().enumerate() {
            if let Some(v) = v {
                let s = start + i;
                let n = &nodes[slot_node[s] as usize];
                f(s as u32, P::from_bits(n.key, n.len()), v);
            }
        }
    }

    /// Removes the value at `prefix` and returns it.
    pub fn remove(&mut self, prefix: P) -> Option<V> {
        let (key, len) = (prefix.bits().mask(prefix.bit_len()), prefix.bit_len());
        let start = self.start(key, len);
        let (mut gp, mut parent, cur, mut valued) = self.removal_walk(start, key, len)?;
        // From the block's entry the walk does not know the grandparent of
        // the entry node, nor the valued ancestors above it: walk again
        // from the root when they are needed.
        if start != 0 && (gp == NONE || (self.dir.is_some() && valued == NONE)) {
            (gp, parent, _, valued) = self.removal_walk(0, key, len)?;
        }
        let slot = self.nodes[cur as usize].value;
        if slot == NONE {
            return None;
        }
        self.nodes[cur as usize].value = NONE;
        if let (Some(d), Some(k)) = (self.dir.as_deref_mut(), key.as_u32()) {
            let repl = if valued == NONE {
                NO_MATCH
            } else {
                let v = &self.nodes[valued as usize];
                dir_entry(v.value, v.len())
            };
            d.remove(slot, k, len, repl);
        }
        let old = self.values[slot as usize].take();
        self.free_values.push(slot);
        self.len -= 1;
        self.finger.clear();
        if cur != 0 {
            self.compact(cur, parent);
            // `cur` may have left `parent` (a branch node) with one child.
            if parent != 0 {
                self.compact(parent, gp);
            }
        }
        old
    }

    /// The walk of [`remove`](Self::remove) from node `start`: the node of
    /// `key`/`len`, its parent and grandparent, and the longest valued
    /// node above it (`NONE` where there is none).
    fn removal_walk(&self, start: u32, key: P::Bits, len: u8) -> Option<(u32, u32, u32, u32)> {
        let (mut gp, mut parent, mut cur) = (NONE, NONE, start);
        let mut valued = NONE;
        loop {
            let n = &self.nodes[cur as usize];
            if n.len() == len {
                return Some((gp, parent, cur, valued));
            }
            if n.value != NONE {
                valued = cur;
            }
            let c = self.next_covering(cur, key, len)?;
            (gp, parent, cur) = (parent, cur, c);
        }
    }

    /// Removes every value, keeping the memory the nodes and value slots
    /// had (as [`Vec::clear`] does): a table that comes back, as a peer's
    /// does after its session is reset, then fills memory that is already
    /// the process's rather than faulting in new pages (on the machine of
    /// `benches/README.md`, a third of the time of a fresh full-table
    /// insertion). [`shrink_to_fit`](Self::shrink_to_fit) gives it back.
    pub fn clear(&mut self) {
        let indexed = self.dir.take().is_some();
        self.generation = self.generation.wrapping_add(1).max(1);
        self.nodes.clear();
        self.nodes.push(Node::new(P::Bits::default(), 0, NONE));
        self.free_nodes.clear();
        self.values.clear();
        self.slot_node.clear();
        self.free_values.clear();
        self.len = 0;
        self.finger.clear();
        self.finger_key = P::Bits::default();
        self.top = Vec::new();
        if indexed {
            self.enable_lpm_index();
        }
    }

    /// Reserves room for at least `additional` more prefixes (their value
    /// slots, and the two nodes each may add), so that inserting them grows
    /// no array, as [`Vec::reserve`] does for its elements.
    ///
    /// Growing arrays is cheap while the allocator can move their pages
    /// (glibc's `mremap`), but not always: a glibc process that has freed a
    /// large mapped block copies arrays smaller than that block on every
    /// growth, which made a full table's insertion about 1.3x slower in
    /// `benches/README.md` (session 18). The memory is only reserved; its
    /// pages are touched as prefixes fill it.
    pub fn reserve(&mut self, additional: usize) {
        let slots = additional.saturating_sub(self.free_values.len());
        self.values.reserve(slots);
        self.slot_node.reserve(slots);
        let nodes = additional
            .saturating_mul(2)
            .saturating_sub(self.free_nodes.len());
        self.nodes.reserve(nodes);
    }

    /// The capacities of the arrays [`reserve`](Self::reserve) reserves:
    /// (nodes, value slots, slot-to-node map).
    #[cfg(test)]
    pub(crate) fn array_capacities(&self) -> (usize, usize, usize) {
        (
            self.nodes.capacity(),
            self.values.capacity(),
            self.slot_node.capacity(),
        )
    }

    /// Gives back the memory of nodes and value slots that no prefix uses
    /// now (a freed node or slot in the middle of the arrays stays
    /// reserved: nodes and slots do not move).
    pub fn shrink_to_fit(&mut self) {
        self.nodes.shrink_to_fit();
        self.free_nodes.shrink_to_fit();
        self.values.shrink_to_fit();
        self.slot_node.shrink_to_fit();
        self.free_values.shrink_to_fit();
        self.finger.shrink_to_fit();
    }
}

impl<P: TriePrefix, V> PrefixTrie<P, V> {
    /// The number of prefixes with a value.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the trie holds no value.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value at exactly `prefix`.
    pub fn get(&self, prefix: &P) -> Option<&V> {
        let n = self.find(prefix)?;
        self.value(self.nodes[n as usize].value)
    }

    /// The value slot of exactly `prefix`.
    ///
    /// Every prefix with a value has a slot number, which stays the same
    /// while the prefix has a value (whatever else is inserted or removed);
    /// after its removal the number may be given to another prefix. Callers
    /// that keep slots (change logs) reach the value again in O(1) with
    /// [`by_slot`](Self::by_slot), without a walk, and check the prefix it
    /// returns when the slot may have been reused.
    pub fn slot_of(&self, prefix: &P) -> Option<u32> {
        let n = self.find(prefix)?;
        let slot = self.nodes[n as usize].value;
        (slot != NONE && self.values[slot as usize].is_some()).then_some(slot)
    }

    /// The prefix and value in value slot `slot` (see
    /// [`slot_of`](Self::slot_of)); `None` for a free or unknown slot.
    #[inline]
    pub fn by_slot(&self, slot: u32) -> Option<(P, &V)> {
        let v = self.values.get(slot as usize)?.as_ref()?;
        let n = &self.nodes[self.slot_node[slot as usize] as usize];
        Some((P::from_bits(n.key, n.len()), v))
    }

    /// The value in `slot`, without its prefix (which costs a node
    /// read); `None` for a free or unknown slot.
    #[inline]
    pub fn value_in_slot(&self, slot: u32) -> Option<&V> {
        self.values.get(slot as usize)?.as_ref()
    }

    /// Every prefix with its value slot and value, in prefix order.
    pub fn iter_slots(&self) -> impl Iterator<Item = (P, u32, &V)> + '_ {
        let mut it = self.iter();
        std::iter::from_fn(move || {
            let n = &self.nodes[it.next_node()? as usize];
            let v = self.value(n.value)?;
            Some((P::from_bits(n.key, n.len()), n.value, v))
        })
    }

    /// The value at exactly `prefix`, mutably.
    pub fn get_mut(&mut self, prefix: &P) -> Option<&mut V> {
        let n = self.find(prefix)?;
        let slot = self.nodes[n as usize].value;
        if slot == NONE {
            return None;
        }
        self.values[slot as usize].as_mut()
    }

    /// The longest prefix with a value that covers `prefix` (itself
    /// included). For an address lookup pass a host prefix (/32, /128).
    #[inline]
    pub fn longest_match(&self, prefix: &P) -> Option<(P, &V)> {
        let (key, len) = (prefix.bits(), prefix.bit_len());
        if let (Some(d), Some(a), 32) = (self.dir.as_deref(), key.as_u32(), len) {
            let (slot, len) = dir_decode(d.lookup(a))?;
            return Some((P::from_bits(key.mask(len), len), self.value(slot)?));
        }
        let start = self.start(key.mask(len), len);
        let mut best = self.longest_walk(start, key, len);
        if best == NONE && start != 0 {
            // Nothing from the block's entry down: the answer, if any, is
            // above it.
            best = self.longest_walk(0, key, len);
        }
        if best == NONE {
            return None;
        }
        let n = &self.nodes[best as usize];
        Some((P::from_bits(n.key, n.len()), self.value(n.value)?))
    }

    /// The deepest valued node on the walk to `key`/`len` from `start`.
    #[inline]
    fn longest_walk(&self, start: u32, key: P::Bits, len: u8) -> u32 {
        let mut best = NONE;
        let mut cur = start;
        loop {
            if self.nodes[cur as usize].value != NONE {
                best = cur;
            }
            match self.next_covering(cur, key, len) {
                Some(c) => cur = c,
                None => return best,
            }
        }
    }

    /// The longest matches of many keys: `out` is cleared and then holds,
    /// in order, what [`longest_match`](Self::longest_match) gives for
    /// each. With the DIR-24-8 index the host keys (/32) are looked up in
    /// groups, every index read of a group issued before the values are
    /// read, so that the memory reads of different keys overlap instead of
    /// waiting on each other (a FIB's bulk lookup, like DPDK's
    /// `rte_lpm_lookup_bulk`). Without the index it is a loop.
    pub fn longest_match_many<'a>(&'a self, keys: &[P], out: &mut Vec<Option<(P, &'a V)>>) {
        const GROUP: usize = 32;
        out.clear();
        out.reserve(keys.len());
        let Some(d) = self.dir.as_deref() else {
            out.extend(keys.iter().map(|k| self.longest_match(k)));
            return;
        };
        // The first-level entries of the next group are prefetched while
        // this one is looked up, and the values of this group's matches
        // before they are read.
        let prefetch_t24 = |group: &[P]| {
            for k in group {
                if let (Some(a), 32) = (k.bits().as_u32(), k.bit_len()) {
                    prefetch(&d.t24[(a >> 8) as usize]);
                }
            }
        };
        prefetch_t24(&keys[..keys.len().min(GROUP)]);
        for (g, group) in keys.chunks(GROUP).enumerate() {
            let next = (g + 1) * GROUP;
            prefetch_t24(&keys[next.min(keys.len())..(next + GROUP).min(keys.len())]);
            let mut addrs = [0u32; GROUP];
            let mut hosts = true;
            for (a, k) in addrs.iter_mut().zip(group) {
                match (k.bits().as_u32(), k.bit_len()) {
                    (Some(x), 32) => *a = x,
                    _ => hosts = false,
                }
            }
            if !hosts {
                out.extend(group.iter().map(|k| self.longest_match(k)));
                continue;
            }
            let n = group.len();
            let mut entries = [0u32; GROUP];
            d.lookup_many(&addrs[..n], &mut entries[..n]);
            for &e in &entries[..n] {
                if let Some((slot, _)) = dir_decode(e) {
                    if let Some(v) = self.values.get(slot as usize) {
                        prefetch(v);
                    }
                }
            }
            out.extend(group.iter().zip(&entries[..n]).map(|(k, &e)| {
                let (slot, len) = dir_decode(e)?;
                Some((P::from_bits(k.bits().mask(len), len), self.value(slot)?))
            }));
        }
    }

    /// Every prefix with a value that covers `prefix`, itself included,
    /// shortest first.
    pub fn less_specifics(&self, prefix: &P) -> Vec<(P, &V)> {
        let (key, len) = (prefix.bits(), prefix.bit_len());
        let mut out = Vec::new();
        let mut cur = 0usize;
        loop {
            let n = &self.nodes[cur];
            if let Some(v) = self.value(n.value) {
                out.push((P::from_bits(n.key, n.len()), v));
            }
            if n.len() >= len {
                break;
            }
            let c = n.child(key.bit(n.len()));
            if c == NONE {
                break;
            }
            let cn = &self.nodes[c as usize];
            if cn.len() > len || key.mask(cn.len()) != cn.key {
                break;
            }
            cur = c as usize;
        }
        out
    }

    /// Every prefix with a value covered by `prefix`, itself included, in
    /// prefix order.
    pub fn more_specifics(&self, prefix: &P) -> Iter<'_, P, V> {
        let (key, len) = (prefix.bits().mask(prefix.bit_len()), prefix.bit_len());
        let mut cur = 0u32;
        let start = loop {
            let n = &self.nodes[cur as usize];
            if n.len() >= len {
                break if n.key.mask(len) == key { cur } else { NONE };
            }
            let c = n.child(key.bit(n.len()));
            if c == NONE {
                break NONE;
            }
            let cn = &self.nodes[c as usize];
            if key.mask(cn.len().min(len)) != cn.key.mask(cn.len().min(len)) {
                break NONE;
            }
            cur = c;
        };
        Iter {
            trie: self,
            stack: if start == NONE { vec![] } else { vec![start] },
        }
    }

    /// Every prefix with a value inside `prefix` (itself included) whose
    /// length lies in `min_len..=max_len`, with its value slot and value,
    /// in prefix order. Sub-tries whose prefixes are all longer than
    /// `max_len` are not entered: `min_len == max_len ==` the length of
    /// `prefix` is an exact lookup, whatever lies below it.
    pub fn range_slots(
        &self,
        prefix: &P,
        min_len: u8,
        max_len: u8,
    ) -> impl Iterator<Item = (P, u32, &V)> + use<'_, P, V> {
        let mut stack = self.more_specifics(prefix).stack;
        std::iter::from_fn(move || {
            while let Some(i) = stack.pop() {
                let n = &self.nodes[i as usize];
                if n.len() > max_len {
                    // Its children are longer still.
                    continue;
                }
                for c in [n.child(1), n.child(0)] {
                    if c != NONE {
                        stack.push(c);
                    }
                }
                if n.len() >= min_len {
                    if let Some(v) = self.value(n.value) {
                        return Some((P::from_bits(n.key, n.len()), n.value, v));
                    }
                }
            }
            None
        })
    }

    /// Every prefix with its value, in prefix order (address, then length).
    pub fn iter(&self) -> Iter<'_, P, V> {
        Iter {
            trie: self,
            stack: vec![0],
        }
    }

    /// Calls `f` on every prefix and value, in no particular order (the
    /// node array's), with mutable access.
    pub fn for_each_mut(&mut self, mut f: impl FnMut(P, &mut V)) {
        for n in &self.nodes {
            if n.value != NONE {
                if let Some(v) = self.values[n.value as usize].as_mut() {
                    f(P::from_bits(n.key, n.len()), v);
                }
            }
        }
    }

    /// The octets the trie's own arrays have reserved (nodes and value
    /// slots; not what the values own on the heap).
    pub fn reserved_bytes(&self) -> usize {
        self.nodes.capacity() * size_of::<Node<P::Bits>>()
            + self.values.capacity() * size_of::<Option<V>>()
            + (self.free_nodes.capacity()
                + self.free_values.capacity()
                + self.slot_node.capacity()
                + self.finger.capacity()
                + self.top.capacity())
                * 4
            + self.dir.as_ref().map_or(0, |d| d.bytes())
    }

    // ---- internals

    fn value(&self, slot: u32) -> Option<&V> {
        if slot == NONE {
            None
        } else {
            self.values[slot as usize].as_ref()
        }
    }

    /// Where a walk to `key`/`len` may start: the parent of the key's
    /// block's entry node (see [`top`](Self::top)) for a key of length 16
    /// or more, else the root.
    #[inline]
    fn start(&self, key: P::Bits, len: u8) -> u32 {
        if len < TOP_BITS || self.top.is_empty() {
            return 0;
        }
        match self.top[key.top16()] {
            NONE => 0,
            p => p,
        }
    }

    /// Sets child `side` of `p` to `c`, keeping [`top`](Self::top): `c`
    /// is the entry node of its block when `p` is shorter than 16 and `c`
    /// is not. Every change of a child pointer goes through here, but for
    /// the removal of an entry node with no children (see
    /// [`compact`](Self::compact)).
    #[inline]
    fn link(&mut self, p: u32, side: usize, c: u32) {
        self.nodes[p as usize].set_child(side, c);
        if c != NONE && !self.top.is_empty() && self.nodes[p as usize].len() < TOP_BITS {
            let cn = &self.nodes[c as usize];
            if cn.len() >= TOP_BITS {
                self.top[cn.key.top16()] = p;
            }
        }
    }

    /// Builds [`top`](Self::top) from the nodes.
    fn build_top(&mut self) {
        let mut top = vec![NONE; 1 << TOP_BITS];
        // Freed nodes have no children, so every edge seen is live.
        for (i, n) in self.nodes.iter().enumerate() {
            if n.len() < TOP_BITS {
                for c in n.children() {
                    if c != NONE {
                        let cn = &self.nodes[c as usize];
                        if cn.len() >= TOP_BITS {
                            top[cn.key.top16()] = i as u32;
                        }
                    }
                }
            }
        }
        self.top = top;
    }

    fn find(&self, prefix: &P) -> Option<u32> {
        let (key, len) = (prefix.bits().mask(prefix.bit_len()), prefix.bit_len());
        let mut cur = self.start(key, len);
        loop {
            if self.nodes[cur as usize].len() == len {
                return Some(cur);
            }
            cur = self.next_covering(cur, key, len)?;
        }
    }

    /// The child of node `cur` (which covers `key`/`len`) on the way to
    /// the key when it covers the key too: the next step of every walk
    /// down to a key. `None` when `cur` is the key's own node or the
    /// deepest node that covers it.
    #[inline(always)]
    fn next_covering(&self, cur: u32, key: P::Bits, len: u8) -> Option<u32> {
        let n = &self.nodes[cur as usize];
        if n.len() >= len {
            return None;
        }
        let c = n.child(key.bit(n.len()));
        if c == NONE {
            return None;
        }
        let cn = &self.nodes[c as usize];
        (cn.len() <= len && key.mask(cn.len()) == cn.key).then_some(c)
    }

    fn new_node(&mut self, key: P::Bits, len: u8, value: u32) -> u32 {
        self.place(Node::new(key, len, value))
    }

    /// Stores node `n` in a freed place or a new one.
    fn place(&mut self, n: Node<P::Bits>) -> u32 {
        if let Some(i) = self.free_nodes.pop() {
            self.nodes[i as usize] = n;
            i
        } else {
            // A trie of 2^28 nodes is 4 GiB of nodes for IPv4 alone, and as
            // much again of values: memory runs out first.
            assert!(
                self.nodes.len() < MAX_NODES,
                "prefix trie full ({MAX_NODES} nodes)"
            );
            self.nodes.push(n);
            (self.nodes.len() - 1) as u32
        }
    }

    /// Two new nodes (a branch and its new leaf): one growth check
    /// rather than two when no freed node is waiting.
    #[inline]
    fn new_pair(&mut self, a: Node<P::Bits>, b: Node<P::Bits>) -> (u32, u32) {
        if !self.free_nodes.is_empty() || self.nodes.len() + 2 > MAX_NODES {
            let a = self.place(a);
            return (a, self.place(b));
        }
        let i = self.nodes.len() as u32;
        self.nodes.extend([a, b]);
        (i, i + 1)
    }

    /// A free value slot for node `node` (which may still be allocated
    /// right after: the caller fixes `slot_node` then).
    fn new_slot(&mut self, node: u32) -> u32 {
        if let Some(i) = self.free_values.pop() {
            self.slot_node[i as usize] = node;
            i
        } else {
            self.values.push(None);
            self.slot_node.push(node);
            (self.values.len() - 1) as u32
        }
    }

    /// The value slot of `prefix`, creating nodes as needed, with the
    /// index told about a node that gained a value.
    fn slot_or_insert(&mut self, prefix: P) -> u32 {
        self.slot_or_insert_from(prefix, InsertHint::NONE)
    }

    /// [`slot_or_insert`](Self::slot_or_insert) from `hint` when it is
    /// good.
    fn slot_or_insert_from(&mut self, prefix: P, hint: InsertHint) -> u32 {
        let (slot, node, fresh) = self.slot_or_insert_inner(prefix, hint);
        if fresh && self.dir.is_some() {
            let n = &self.nodes[node as usize];
            if slot > MAX_INDEXED_SLOT {
                // The index cannot name the slot: lookups walk from now on.
                self.dir = None;
            } else if let (Some(d), Some(k)) = (self.dir.as_deref_mut(), n.key.as_u32()) {
                d.insert(slot, k, n.len());
            }
        }
        slot
    }

    /// (value slot, its node, whether the node just gained it).
    fn slot_or_insert_inner(&mut self, prefix: P, hint: InsertHint) -> (u32, u32, bool) {
        let (key, len) = (prefix.bits().mask(prefix.bit_len()), prefix.bit_len());
        let good = hint.generation == self.generation
            && self
                .nodes
                .get(hint.node as usize)
                .is_some_and(|n| n.len() <= len && key.mask(n.len()) == n.key);
        if good {
            // The hint covers the key (checked: a hint given for another
            // key or trie is ignored, not trusted) and nothing was freed
            // since: the finger restarts there (it need only hold nodes
            // that cover its key, root first).
            if self.top.is_empty() && self.nodes.len() >= TOP_MIN_NODES {
                self.build_top();
            }
            self.finger.clear();
            self.finger_key = key;
            return self.insert_walk(hint.node, key, len);
        }
        // Every node of the finger covers the finger's key, so those no
        // longer than the bits both keys share cover `key` too.
        let shared = key.common(self.finger_key).min(len);
        while let Some(&n) = self.finger.last() {
            if self.nodes[n as usize].len() <= shared {
                break;
            }
            self.finger.pop();
        }
        let mut cur = self.finger.pop().unwrap_or(0);
        if len >= TOP_BITS && self.nodes[cur as usize].len() < TOP_BITS {
            if self.top.is_empty() && self.nodes.len() >= TOP_MIN_NODES {
                self.build_top();
            }
            let p = self.start(key, len);
            if p != 0 {
                // The finger's nodes above the block are left out: it
                // need only hold nodes that cover its key, root first.
                self.finger.clear();
                cur = p;
            }
        }
        self.finger_key = key;
        self.insert_walk(cur, key, len)
    }

    /// The walk of an insertion from `cur`, which covers `key`/`len`.
    #[inline]
    fn insert_walk(&mut self, mut cur: u32, key: P::Bits, len: u8) -> (u32, u32, bool) {
        loop {
            self.finger.push(cur);
            let n = &self.nodes[cur as usize];
            if n.len() == len {
                if n.value == NONE {
                    let s = self.new_slot(cur);
                    self.nodes[cur as usize].value = s;
                    return (s, cur, true);
                }
                return (n.value, cur, false);
            }
            let b = key.bit(n.len());
            let c = n.child(b);
            if c == NONE {
                let s = self.new_slot(NONE);
                let leaf = self.new_node(key, len, s);
                self.slot_node[s as usize] = leaf;
                self.link(cur, b, leaf);
                return (s, leaf, true);
            }
            let cn = &self.nodes[c as usize];
            let common = key.common(cn.key).min(len).min(cn.len());
            if common == cn.len() {
                cur = c;
                continue;
            }
            let ckey = cn.key;
            let s = self.new_slot(NONE);
            if common == len {
                // The new prefix sits between `cur` and its child.
                let mid = self.new_node(key, len, s);
                self.slot_node[s as usize] = mid;
                self.link(mid, ckey.bit(len), c);
                self.link(cur, b, mid);
                return (s, mid, true);
            } else {
                // A branch node where the two part.
                let (branch, leaf) = self.new_pair(
                    Node::new(key.mask(common), common, NONE),
                    Node::new(key, len, s),
                );
                self.slot_node[s as usize] = leaf;
                self.link(branch, key.bit(common), leaf);
                self.link(branch, ckey.bit(common), c);
                self.link(cur, b, branch);
                return (s, leaf, true);
            }
        }
    }

    /// Removes valueless node `n` (child of `parent`) when it has fewer
    /// than two children, lifting its only child into its place.
    fn compact(&mut self, n: u32, parent: u32) {
        let node = &self.nodes[n as usize];
        if node.value != NONE || (node.child(0) != NONE && node.child(1) != NONE) {
            return;
        }
        let only = if node.child(0) != NONE {
            node.child(0)
        } else {
            node.child(1)
        };
        let (nkey, nlen) = (node.key, node.len());
        let p = &self.nodes[parent as usize];
        let (side, plen) = (if p.child(0) == n { 0 } else { 1 }, p.len());
        self.link(parent, side, only);
        if only == NONE && nlen >= TOP_BITS && plen < TOP_BITS && !self.top.is_empty() {
            // `n` was its block's entry node, and the block is now empty.
            self.top[nkey.top16()] = NONE;
        }
        let freed = &mut self.nodes[n as usize];
        freed.set_child(0, NONE);
        freed.set_child(1, NONE);
        self.free_nodes.push(n);
        self.generation = self.generation.wrapping_add(1).max(1);
    }
}

/// An iterator over prefixes and values in prefix order.
#[derive(Debug)]
pub struct Iter<'a, P: TriePrefix, V> {
    trie: &'a PrefixTrie<P, V>,
    stack: Vec<u32>,
}

impl<'a, P: TriePrefix, V> Iterator for Iter<'a, P, V> {
    type Item = (P, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        let n = &self.trie.nodes[self.next_node()? as usize];
        let v = self.trie.value(n.value)?;
        Some((P::from_bits(n.key, n.len()), v))
    }
}

impl<P: TriePrefix, V> Iter<'_, P, V> {
    /// The next node with a value.
    fn next_node(&mut self) -> Option<u32> {
        while let Some(i) = self.stack.pop() {
            let n = &self.trie.nodes[i as usize];
            for c in [n.child(1), n.child(0)] {
                if c != NONE {
                    self.stack.push(c);
                }
            }
            if self.trie.value(n.value).is_some() {
                return Some(i);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::net::Ipv4Addr;

    use proptest::prelude::*;

    use super::*;

    fn v4(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn nodes_pack_length_and_links() {
        // The memory budget depends on this size.
        assert_eq!(size_of::<Node<u32>>(), 16);
        for len in 0..=128u8 {
            let mut n = Node::new(0u128, len, 7);
            assert_eq!((n.len(), n.children()), (len, [NONE; 2]));
            n.set_child(1, (MAX_NODES - 1) as u32);
            n.set_child(0, 0);
            assert_eq!(n.len(), len);
            assert_eq!(n.children(), [0, (MAX_NODES - 1) as u32]);
            n.set_child(1, NONE);
            assert_eq!((n.len(), n.children(), n.value), (len, [0, NONE], 7));
        }
    }

    /// A deterministic stream of pseudo-random numbers (Knuth's MMIX LCG,
    /// high half) from `seed`.
    fn lcg(mut s: u64) -> impl FnMut() -> u32 {
        move || {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 32) as u32
        }
    }

    #[test]
    fn basic_operations() {
        let mut t = PrefixTrie::<Ipv4Net, u32>::new();
        assert_eq!(t.insert(v4("10.0.0.0/8"), 1), None);
        assert_eq!(t.insert(v4("10.1.0.0/16"), 2), None);
        assert_eq!(t.insert(v4("10.1.2.0/24"), 3), None);
        assert_eq!(t.insert(v4("10.128.0.0/9"), 4), None);
        assert_eq!(t.insert(v4("0.0.0.0/0"), 0), None);
        assert_eq!(t.insert(v4("10.1.0.0/16"), 22), Some(2));
        assert_eq!(t.len(), 5);
        assert_eq!(t.get(&v4("10.1.0.0/16")), Some(&22));
        assert_eq!(t.get(&v4("10.1.0.0/17")), None);
        assert_eq!(
            t.longest_match(&v4("10.1.2.3/32")).map(|(p, v)| (p, *v)),
            Some((v4("10.1.2.0/24"), 3))
        );
        assert_eq!(
            t.longest_match(&v4("10.200.0.1/32")).map(|(p, v)| (p, *v)),
            Some((v4("10.128.0.0/9"), 4))
        );
        assert_eq!(
            t.longest_match(&v4("11.0.0.1/32")).map(|(p, v)| (p, *v)),
            Some((v4("0.0.0.0/0"), 0))
        );
        let less: Vec<_> = t
            .less_specifics(&v4("10.1.2.0/24"))
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(
            less,
            [
                v4("0.0.0.0/0"),
                v4("10.0.0.0/8"),
                v4("10.1.0.0/16"),
                v4("10.1.2.0/24")
            ]
        );
        let more: Vec<_> = t
            .more_specifics(&v4("10.0.0.0/8"))
            .map(|(p, _)| p)
            .collect();
        assert_eq!(
            more,
            [
                v4("10.0.0.0/8"),
                v4("10.1.0.0/16"),
                v4("10.1.2.0/24"),
                v4("10.128.0.0/9")
            ]
        );
        assert_eq!(t.remove(v4("10.1.0.0/16")), Some(22));
        assert_eq!(t.remove(v4("10.1.0.0/16")), None);
        assert_eq!(t.get(&v4("10.1.2.0/24")), Some(&3));
        assert_eq!(t.remove(v4("0.0.0.0/0")), Some(0));
        assert!(t.longest_match(&v4("11.0.0.1/32")).is_none());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u32, u8, u16),
        Remove(u32, u8),
        Clear,
        Shrink,
    }

    fn op() -> impl Strategy<Value = Op> {
        // Few distinct high bits so that prefixes nest and collide.
        let addr = (0u32..16, any::<u32>()).prop_map(|(hi, lo)| (hi << 28) | (lo & 0x00ff_00ff));
        prop_oneof![
            10 => (addr.clone(), 0u8..=32, any::<u16>()).prop_map(|(a, l, v)| Op::Insert(a, l, v)),
            10 => (addr, 0u8..=32).prop_map(|(a, l)| Op::Remove(a, l)),
            1 => Just(Op::Clear),
            1 => Just(Op::Shrink),
        ]
    }

    fn net(a: u32, l: u8) -> Ipv4Net {
        Ipv4Net::new(a.into(), l).unwrap().trunc()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Every operation agrees with a `BTreeMap` and a linear scan.
        #[test]
        fn agrees_with_btreemap(ops in proptest::collection::vec(op(), 1..200), probes in proptest::collection::vec((any::<u32>(), 0u8..=32), 20), index_case in 0u8..16) {
            let mut t = PrefixTrie::<Ipv4Net, u16>::new();
            // The same with the DIR-24-8 index, on from the start; and a
            // third that turns it on half way. The index is 64 MiB, so only
            // one case in sixteen (slow in debug builds) has it.
            let indexed = index_case == 0;
            let mut ti = PrefixTrie::<Ipv4Net, u16>::new();
            if indexed {
                prop_assert!(ti.enable_lpm_index());
            }
            let mut tl = PrefixTrie::<Ipv4Net, u16>::new();
            let mut m = BTreeMap::<Ipv4Net, u16>::new();
            let half = ops.len() / 2;
            for (k, o) in ops.into_iter().enumerate() {
                if k == half && indexed {
                    tl.enable_lpm_index();
                }
                match o {
                    Op::Insert(a, l, v) => {
                        ti.insert(net(a, l), v);
                        tl.insert(net(a, l), v);
                        prop_assert_eq!(t.insert(net(a, l), v), m.insert(net(a, l), v));
                    }
                    Op::Remove(a, l) => {
                        ti.remove(net(a, l));
                        tl.remove(net(a, l));
                        prop_assert_eq!(t.remove(net(a, l)), m.remove(&net(a, l)));
                    }
                    Op::Clear => {
                        for tr in [&mut t, &mut ti, &mut tl] {
                            tr.clear();
                        }
                        m.clear();
                    }
                    Op::Shrink => {
                        for tr in [&mut t, &mut ti, &mut tl] {
                            tr.shrink_to_fit();
                        }
                    }
                }
                prop_assert_eq!(t.len(), m.len());
            }
            check_top(&t);
            check_top(&tl);
            let all: Vec<_> = t.iter().map(|(p, v)| (p, *v)).collect();
            let want: Vec<_> = m.iter().map(|(p, v)| (*p, *v)).collect();
            prop_assert_eq!(all, want);
            let keys: Vec<Ipv4Net> = m.keys().copied().collect();
            // The batched lookup agrees with the single one (host keys, and
            // a group with a non-host key that takes the loop).
            let mut qs: Vec<Ipv4Net> = probes.iter().map(|&(a, _)| net(a & 0xf0ff_00ff, 32)).collect();
            qs.extend(keys.iter().map(|p| net(u32::from(p.addr()), 32)));
            qs.extend(probes.iter().map(|&(a, l)| net(a & 0xf0ff_00ff, l)));
            let want: Vec<_> = qs.iter().map(|q| t.longest_match(q).map(|(p, v)| (p, *v))).collect();
            let mut got = Vec::new();
            for tr in [&t, &ti, &tl] {
                tr.longest_match_many(&qs, &mut got);
                prop_assert_eq!(got.iter().map(|r| r.map(|(p, v)| (p, *v))).collect::<Vec<_>>(), want.clone());
            }
            for (a, l) in probes.into_iter().map(|(a, l)| (a & 0xf0ff_00ff, l)).chain(keys.iter().map(|p| (u32::from(p.addr()), p.prefix_len()))) {
                let q = net(a, l);
                prop_assert_eq!(t.get(&q), m.get(&q));
                let covering: Vec<_> = m.iter().filter(|(p, _)| p.contains(&q)).map(|(p, v)| (*p, *v)).collect();
                prop_assert_eq!(t.longest_match(&q).map(|(p, v)| (p, *v)), covering.last().copied());
                // Host lookups through the index, inside and next to the prefix.
                for h in [u32::from(q.addr()), u32::from(q.broadcast()), u32::from(q.broadcast()).wrapping_add(1)] {
                    let hq = net(h, 32);
                    let want = m.iter().filter(|(p, _)| p.contains(&hq)).map(|(p, v)| (*p, *v)).next_back();
                    prop_assert_eq!(ti.longest_match(&hq).map(|(p, v)| (p, *v)), want);
                    prop_assert_eq!(tl.longest_match(&hq).map(|(p, v)| (p, *v)), want);
                }
                prop_assert_eq!(t.less_specifics(&q).into_iter().map(|(p, v)| (p, *v)).collect::<Vec<_>>(), covering);
                let covered: Vec<_> = m.iter().filter(|(p, _)| q.contains(*p)).map(|(p, v)| (*p, *v)).collect();
                prop_assert_eq!(t.more_specifics(&q).map(|(p, v)| (p, *v)).collect::<Vec<_>>(), covered);
            }
        }
    }

    /// The DIR-24-8 index answers as the walk does, deterministically
    /// (the proptest above covers it only in some cases): random prefixes
    /// of every length, half of them removed again, then 50,000 lookups.
    #[test]
    fn lpm_index_agrees_with_the_walk() {
        let mut next = lcg(7);
        let mut plain = PrefixTrie::<Ipv4Net, u32>::new();
        let mut indexed = PrefixTrie::<Ipv4Net, u32>::new();
        indexed.enable_lpm_index();
        let mut all = Vec::new();
        for i in 0..3000 {
            // Clustered addresses so that prefixes nest.
            let a = (next() & 0x0f0f_ffff) | 0x0a00_0000;
            let l = [0, 4, 8, 12, 16, 20, 22, 23, 24, 25, 26, 28, 30, 31, 32][next() as usize % 15];
            let p = net(a, l);
            plain.insert(p, i);
            indexed.insert(p, i);
            all.push(p);
        }
        for p in all.iter().step_by(2) {
            assert_eq!(plain.remove(*p), indexed.remove(*p));
        }
        let mut late = plain.clone();
        late.enable_lpm_index();
        let mut qs = Vec::new();
        for _ in 0..50_000 {
            let a = (next() & 0x0f0f_ffff) | 0x0a00_0000;
            let q = net(a, 32);
            let want = plain.longest_match(&q).map(|(p, v)| (p, *v));
            assert_eq!(indexed.longest_match(&q).map(|(p, v)| (p, *v)), want, "{q}");
            assert_eq!(late.longest_match(&q).map(|(p, v)| (p, *v)), want, "{q}");
            qs.push(q);
        }
        let want: Vec<_> = qs
            .iter()
            .map(|q| plain.longest_match(q).map(|(p, v)| (p, *v)))
            .collect();
        let mut got = Vec::new();
        for t in [&indexed, &late] {
            t.longest_match_many(&qs, &mut got);
            let got: Vec<_> = got.iter().map(|r| r.map(|(p, v)| (p, *v))).collect();
            assert_eq!(got, want);
        }
    }

    /// A default route never enters the DIR-24-8 table (it would fill all
    /// 2^24 entries): lookups that find no match there fall back to it, and
    /// a longer prefix removed under it leaves "no match" behind.
    #[test]
    fn lpm_index_keeps_the_default_route_beside_the_table() {
        let mut t = PrefixTrie::<Ipv4Net, u32>::new();
        assert!(t.enable_lpm_index());
        let empty = |t: &PrefixTrie<Ipv4Net, u32>| {
            let d = t.dir.as_deref().unwrap();
            d.t24.iter().all(|&e| e == NO_MATCH) && d.t8.iter().all(|&e| e == NO_MATCH)
        };
        let lpm = |t: &PrefixTrie<Ipv4Net, u32>, a: &str| {
            t.longest_match(&v4(a)).map(|(p, v)| (p.to_string(), *v))
        };
        t.insert(v4("0.0.0.0/0"), 0);
        assert!(empty(&t));
        assert_eq!(lpm(&t, "192.0.2.1/32"), Some(("0.0.0.0/0".into(), 0)));
        t.insert(v4("10.0.0.0/8"), 8);
        t.insert(v4("10.1.2.128/25"), 25);
        assert_eq!(lpm(&t, "10.9.9.9/32"), Some(("10.0.0.0/8".into(), 8)));
        assert_eq!(lpm(&t, "10.1.2.200/32"), Some(("10.1.2.128/25".into(), 25)));
        assert_eq!(lpm(&t, "11.0.0.1/32"), Some(("0.0.0.0/0".into(), 0)));
        t.remove(v4("10.0.0.0/8"));
        assert_eq!(lpm(&t, "10.9.9.9/32"), Some(("0.0.0.0/0".into(), 0)));
        assert_eq!(lpm(&t, "10.1.2.1/32"), Some(("0.0.0.0/0".into(), 0)));
        assert_eq!(lpm(&t, "10.1.2.200/32"), Some(("10.1.2.128/25".into(), 25)));
        t.remove(v4("10.1.2.128/25"));
        assert!(empty(&t), "the chunk folded back to no match, not the /0");
        assert_eq!(lpm(&t, "10.1.2.200/32"), Some(("0.0.0.0/0".into(), 0)));
        t.remove(v4("0.0.0.0/0"));
        assert_eq!(lpm(&t, "10.1.2.200/32"), None);
        let mut got = Vec::new();
        t.insert(v4("0.0.0.0/0"), 1);
        t.longest_match_many(&[v4("1.2.3.4/32"), v4("5.6.7.8/32")], &mut got);
        assert!(
            got.iter()
                .all(|r| r.map(|(p, v)| (p.prefix_len(), *v)) == Some((0, 1)))
        );
        // Built from a trie that holds a /0 already.
        let mut late = PrefixTrie::<Ipv4Net, u32>::new();
        late.insert(v4("0.0.0.0/0"), 3);
        late.insert(v4("10.0.0.0/8"), 8);
        assert!(late.enable_lpm_index());
        assert_eq!(lpm(&late, "11.0.0.1/32"), Some(("0.0.0.0/0".into(), 3)));
        late.remove(v4("10.0.0.0/8"));
        assert!(empty(&late));
    }

    /// Insertions start from the last insertion's walk (the finger): runs
    /// of neighbouring, nested and unrelated prefixes, with removals in
    /// between, agree with a `BTreeMap`.
    #[test]
    fn finger_insertions_agree_with_btreemap() {
        let mut next = lcg(11);
        let mut t = PrefixTrie::<Ipv4Net, u32>::new();
        let mut m = BTreeMap::new();
        let mut base = 0u32;
        for i in 0..40_000u32 {
            // Mostly walks near the previous prefix, sometimes a jump.
            if next() % 16 == 0 {
                base = next();
            }
            let a = base ^ (next() & [0xff, 0xfff, 0xffff, 0xff_ffff][next() as usize % 4]);
            let p = net(a, (next() % 33) as u8);
            if next() % 8 == 0 {
                assert_eq!(t.remove(p), m.remove(&p));
            } else {
                assert_eq!(t.insert(p, i), m.insert(p, i));
            }
            if i % 5000 == 0 {
                check_top(&t);
                assert!(
                    t.iter()
                        .map(|(p, v)| (p, *v))
                        .eq(m.iter().map(|(p, v)| (*p, *v)))
                );
            }
        }
        assert!(
            t.iter()
                .map(|(p, v)| (p, *v))
                .eq(m.iter().map(|(p, v)| (*p, *v)))
        );
        for (p, v) in &m {
            assert_eq!(t.get(p), Some(v));
        }
    }

    /// Each hint names the deepest node that covers its key, the node a
    /// plain walk from the root ends at, for groups longer than one round
    /// of [`HINT_GROUP`] keys, over a trie with its /16 table. Small enough
    /// for miri, which runs the prefetches of the walk (`prefetch.rs`).
    /// After `reserve(n)`, inserting `n` new prefixes grows no array, with
    /// freed nodes and slots waiting to be reused or not.
    #[test]
    fn reserve_leaves_nothing_to_grow() {
        for removed in [false, true] {
            let mut r = lcg(11);
            let mut t = PrefixTrie::<Ipv4Net, u32>::new();
            let first: Vec<Ipv4Net> = (0..3_000).map(|_| net(r(), (r() % 33) as u8)).collect();
            for (i, p) in first.iter().enumerate() {
                t.insert(*p, i as u32);
            }
            if removed {
                for p in first.iter().step_by(3) {
                    t.remove(*p);
                }
                assert!(!t.free_nodes.is_empty() && !t.free_values.is_empty());
            }
            // Random keys, most of which add a branch node as well.
            let mut more = std::collections::BTreeSet::new();
            while more.len() < 5_000 {
                let p = net(r(), 8 + (r() % 25) as u8);
                if t.get(&p).is_none() {
                    more.insert(p);
                }
            }
            t.reserve(more.len());
            let before = t.array_capacities();
            let (nodes, slots) = (t.nodes.len(), t.values.len());
            for (i, p) in more.iter().enumerate() {
                assert_eq!(t.insert(*p, i as u32), None);
            }
            assert_eq!(t.array_capacities(), before, "removed: {removed}");
            // The reservation was used: the arrays did fill towards it.
            assert!(t.nodes.len() > nodes + more.len() && t.values.len() > slots);
            assert!(
                more.iter()
                    .enumerate()
                    .all(|(i, p)| t.get(p) == Some(&(i as u32)))
            );
        }
    }

    #[test]
    fn hints_name_the_deepest_covering_node() {
        let mut t = PrefixTrie::<Ipv4Net, u32>::new();
        let mut r = lcg(7);
        for i in 0..300 {
            let len = [8, 12, 16, 18, 20, 22, 24, 24][i % 8];
            t.insert(net(r() & 0x0f3f_ffff, len), i as u32);
        }
        assert!(!t.top.is_empty());
        let keys: Vec<Ipv4Net> = (0..HINT_GROUP * 2 + 5)
            .map(|i| net(r() & 0x0f3f_ffff, [0, 9, 16, 20, 24, 28, 32][i % 7]))
            .collect();
        let mut hints = Vec::new();
        t.insert_hints(&keys, &mut hints);
        assert_eq!(hints.len(), keys.len());
        for (k, h) in keys.iter().zip(&hints) {
            let (key, len) = (k.bits().mask(k.prefix_len()), k.prefix_len());
            let mut want = 0;
            while let Some(c) = t.next_covering(want, key, len) {
                want = c;
            }
            assert_eq!(h.node, want, "{k}");
            assert_eq!(h.generation, t.generation);
        }
    }

    /// A hint naming a node freed since (still holding a key that covers
    /// the new one) or a node that does not cover the key is ignored: the
    /// insertion lands in the trie, not under a detached node.
    #[test]
    fn stale_and_foreign_hints_are_ignored() {
        let mut t = PrefixTrie::<Ipv4Net, u32>::new();
        for (p, v) in [("10.0.0.0/8", 1), ("10.1.0.0/16", 2), ("10.2.0.0/16", 3)] {
            t.insert(v4(p), v);
        }
        let key = v4("10.1.2.0/24");
        let mut hints = Vec::new();
        t.insert_hints(&[key, v4("192.0.2.0/24")], &mut hints);
        // The leaf of 10.1/16 (the hint) goes, and with it the branch
        // node above it.
        assert_eq!(t.remove(v4("10.1.0.0/16")), Some(2));
        assert_eq!(*t.get_or_insert_slot_hinted(key, hints[0], || 4).1, 4);
        assert_eq!(t.get(&key), Some(&4));
        // A hint for another key.
        let other = v4("10.2.3.0/24");
        t.insert_hints(&[v4("10.1.2.128/25")], &mut hints);
        assert_eq!(*t.get_or_insert_slot_hinted(other, hints[0], || 5).1, 5);
        let got: Vec<_> = t.iter().map(|(p, v)| (p.to_string(), *v)).collect();
        let want = [
            ("10.0.0.0/8", 1),
            ("10.1.2.0/24", 4),
            ("10.2.0.0/16", 3),
            ("10.2.3.0/24", 5),
        ];
        assert_eq!(got, want.map(|(p, v)| (p.to_string(), v)));
    }

    /// Batches of scattered and nested keys inserted from the hints of
    /// `insert_hints` (some taken before other keys of the batch were
    /// inserted, some made stale by removals in the middle of a batch, some
    /// kept across `clear`) agree with a `BTreeMap`, with and without the
    /// LPM index, and keep the /16 table right.
    #[test]
    fn hinted_insertions_agree_with_btreemap() {
        let mut next = lcg(5);
        for indexed in [false, true] {
            let mut t = PrefixTrie::<Ipv4Net, u32>::new();
            if indexed {
                t.enable_lpm_index();
            }
            let mut m = BTreeMap::new();
            let mut hints = Vec::new();
            let mut stale = Vec::new();
            for round in 0..600u32 {
                let base = next();
                let batch: Vec<Ipv4Net> = (0..1 + next() % 40)
                    .map(|_| {
                        // Scattered, or nested under the batch's base.
                        let a = if next() % 3 == 0 {
                            base ^ (next() & 0xfff)
                        } else {
                            next()
                        };
                        // Short prefixes are rare (each costs the index up
                        // to 2^24 entries).
                        let len = if next() % 64 == 0 {
                            next() % 12
                        } else {
                            12 + next() % 21
                        };
                        net(a, len as u8)
                    })
                    .collect();
                t.insert_hints(&batch, &mut hints);
                assert_eq!(hints.len(), batch.len());
                if round % 97 == 0 {
                    stale = hints.clone();
                }
                for (k, (p, h)) in batch.iter().zip(&hints).enumerate() {
                    let v = round * 64 + k as u32;
                    if next() % 16 == 0 {
                        assert_eq!(t.remove(*p), m.remove(p));
                        continue;
                    }
                    let (_, got) = t.get_or_insert_slot_hinted(*p, *h, || v);
                    assert_eq!(*got, *m.entry(*p).or_insert(v));
                }
                if round % 200 == 100 {
                    let p = batch[0];
                    t.clear();
                    m.clear();
                    // Hints from before the clear name nodes that are gone.
                    for h in &stale {
                        let (_, got) = t.get_or_insert_slot_hinted(p, *h, || 7);
                        assert_eq!(*got, *m.entry(p).or_insert(7));
                    }
                }
                if round % 150 == 0 {
                    check_top(&t);
                }
            }
            check_top(&t);
            assert!(
                t.iter()
                    .map(|(p, v)| (p, *v))
                    .eq(m.iter().map(|(p, v)| (*p, *v)))
            );
            for _ in 0..300 {
                let a = Ipv4Net::from(Ipv4Addr::from(next()));
                let want = m
                    .iter()
                    .filter(|(p, _)| p.contains(&a))
                    .max_by_key(|(p, _)| p.prefix_len());
                assert_eq!(t.longest_match(&a), want.map(|(p, v)| (*p, v)));
            }
        }
    }

    /// `top` names, for every /16 block, the parent of its entry node, as
    /// found by a walk of the whole trie from the root.
    fn check_top<P: TriePrefix, V>(t: &PrefixTrie<P, V>) {
        if t.top.is_empty() {
            return;
        }
        let mut want = vec![NONE; 1 << TOP_BITS];
        let mut stack = vec![0u32];
        while let Some(p) = stack.pop() {
            let n = &t.nodes[p as usize];
            for c in n.children() {
                if c == NONE {
                    continue;
                }
                let cn = &t.nodes[c as usize];
                if n.len() < TOP_BITS && cn.len() >= TOP_BITS {
                    assert_eq!(want[cn.key.top16()], NONE, "two entry nodes in a block");
                    want[cn.key.top16()] = p;
                }
                stack.push(c);
            }
        }
        assert!(t.top == want, "top table out of date");
    }

    /// Mostly /16-/32 in a few /16 blocks, with short prefixes among them.
    fn top_op() -> impl Strategy<Value = Op> {
        let addr = (0u32..6, any::<u32>()).prop_map(|(b, lo)| {
            // Six blocks: three neighbours in 10/8, two in 10.128/9, 200.1/16.
            let hi = [0x0a00, 0x0a01, 0x0a02, 0x0a80, 0x0a81, 0xc801][b as usize];
            (hi << 16) | (lo & 0x0f0f)
        });
        let len = prop_oneof![3 => 16u8..=32, 1 => 0u8..16];
        prop_oneof![
            30 => (addr.clone(), len.clone(), any::<u16>()).prop_map(|(a, l, v)| Op::Insert(a, l, v)),
            20 => (addr, len).prop_map(|(a, l)| Op::Remove(a, l)),
            // Now and then all at once, as when a table's one peer goes down.
            1 => Just(Op::Clear),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// Inserts and removals of /16-/32 mixed with shorter prefixes,
        /// walked through the /16 table (built from the start, or once
        /// the trie is big enough), agree with a `BTreeMap`, and the table
        /// stays right after every operation.
        #[test]
        fn top_level_agrees_with_btreemap(ops in proptest::collection::vec(top_op(), 1..300), early in any::<bool>()) {
            let mut t = PrefixTrie::<Ipv4Net, u16>::new();
            if early {
                t.build_top();
            }
            let mut m = BTreeMap::<Ipv4Net, u16>::new();
            let mut seen = Vec::new();
            for o in ops {
                match o {
                    Op::Insert(a, l, v) => {
                        seen.push(net(a, l));
                        prop_assert_eq!(t.insert(net(a, l), v), m.insert(net(a, l), v));
                    }
                    Op::Remove(a, l) => {
                        prop_assert_eq!(t.remove(net(a, l)), m.remove(&net(a, l)));
                    }
                    Op::Clear => {
                        t.clear();
                        m.clear();
                    }
                    Op::Shrink => t.shrink_to_fit(),
                }
                check_top(&t);
                prop_assert_eq!(t.len(), m.len());
            }
            prop_assert!(t.iter().map(|(p, v)| (p, *v)).eq(m.iter().map(|(p, v)| (*p, *v))));
            let probes = seen.iter().flat_map(|p| {
                let a = u32::from(p.addr());
                [*p, net(a, 32), net(a | 0x80, 32), net(a, 24), net(a, 20), net(a, 16), net(a, 12), net(a ^ 0x0001_0000, 24)]
            });
            for q in probes {
                prop_assert_eq!(t.get(&q), m.get(&q));
                let covering: Vec<_> = m.iter().filter(|(p, _)| p.contains(&q)).map(|(p, v)| (*p, *v)).collect();
                prop_assert_eq!(t.longest_match(&q).map(|(p, v)| (p, *v)), covering.last().copied());
                prop_assert_eq!(t.less_specifics(&q).into_iter().map(|(p, v)| (p, *v)).collect::<Vec<_>>(), covering);
                let covered: Vec<_> = m.iter().filter(|(p, _)| q.contains(*p)).map(|(p, v)| (*p, *v)).collect();
                prop_assert_eq!(t.more_specifics(&q).map(|(p, v)| (p, *v)).collect::<Vec<_>>(), covered);
            }
            t.clear();
            prop_assert!(t.is_empty() && t.top.is_empty());
        }
    }

    /// `clear` keeps the memory (a table that comes back reuses it) and
    /// the index; `shrink_to_fit` gives the memory back.
    #[test]
    fn clear_keeps_memory_until_shrunk() {
        let mut next = lcg(11);
        let mut t = PrefixTrie::<Ipv4Net, u32>::new();
        let ps: Vec<Ipv4Net> = (0..5_000)
            .map(|_| net(next(), 8 + (next() % 25) as u8))
            .collect();
        let fill = |t: &mut PrefixTrie<Ipv4Net, u32>| {
            for (i, p) in ps.iter().enumerate() {
                t.insert(*p, i as u32);
            }
        };
        fill(&mut t);
        let full = t.reserved_bytes();
        let mut hint = Vec::new();
        t.insert_hints(&ps[..1], &mut hint);
        t.clear();
        assert!(t.is_empty() && t.iter().next().is_none());
        assert_eq!(t.longest_match(&ps[0]), None);
        // All but the /16 table (rebuilt when the trie is big again).
        assert_eq!(t.reserved_bytes(), full - (1 << TOP_BITS) * 4);
        // A hint from before the clear is ignored, not trusted.
        assert_eq!(*t.get_or_insert_slot_hinted(ps[1], hint[0], || 7).1, 7);
        t.clear();
        fill(&mut t);
        assert_eq!(
            t.reserved_bytes(),
            full,
            "the second fill reuses the memory"
        );
        check_top(&t);
        // The index stays on through a clear and is kept by the refill.
        assert!(t.enable_lpm_index());
        t.clear();
        assert!(t.has_lpm_index());
        fill(&mut t);
        for p in &ps {
            let want = ps.iter().rposition(|q| q == p).unwrap() as u32;
            assert_eq!(t.get(p), Some(&want));
            let host = net(u32::from(p.addr()), 32);
            assert_eq!(
                t.longest_match(&host)
                    .map(|(q, _)| q.prefix_len() >= p.prefix_len()),
                Some(true)
            );
        }
        t.clear();
        t.shrink_to_fit();
        let dir = t.dir.as_ref().map_or(0, |d| d.bytes());
        assert!(
            t.reserved_bytes() - dir < 64,
            "{} of {full}",
            t.reserved_bytes() - dir
        );
        t.insert(ps[0], 1);
        assert_eq!(t.get(&ps[0]), Some(&1));
    }

    #[test]
    fn ipv6_and_node_reuse() {
        let mut t = PrefixTrie::<Ipv6Net, u8>::new();
        let ps: Vec<Ipv6Net> = [
            "::/0",
            "2001:db8::/32",
            "2001:db8:1::/48",
            "2001:db8:8000::/33",
            "::1/128",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        for round in 0..3 {
            for (i, p) in ps.iter().enumerate() {
                t.insert(*p, i as u8);
            }
            let got: Vec<_> = t.iter().map(|(p, _)| p).collect();
            let mut want = ps.clone();
            want.sort();
            assert_eq!(got, want, "round {round}");
            for p in &ps {
                assert!(t.remove(*p).is_some());
            }
            assert!(t.is_empty());
            assert_eq!(t.iter().count(), 0);
        }
        // Nodes freed by removals are reused rather than growing the array.
        assert!(t.nodes.len() <= 2 * ps.len() + 1);
    }
}

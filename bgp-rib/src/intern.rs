//! Interned attribute sets: each distinct [`RouteAttrs`] (with the local
//! weight the path got) is stored once, reference-counted by the paths and
//! Adj-RIB-Out entries that use it, and freed when the last one lets go.
//!
//! Paths refer to a set by a 4-octet [`AttrId`] rather than an `Arc`
//! pointer, which keeps a stored path at 12 octets; the set itself is an
//! `Arc<RouteAttrs>` so the change streams can hand it out without copying.
//! The index is an open-addressing table of slot numbers, each with the low
//! half of its set's hash (8 octets per bucket, linear probing,
//! backward-shift deletion), not a `HashMap` keyed by the set: a full table
//! with ten peers interns a million sets, and the index is then 16 MiB
//! instead of 35. The hash in the bucket lets a probe pass over the other
//! sets of its run without reading their slots: interning a new set (most
//! of a full table's sets are) then costs one cache miss in the index
//! rather than one more per occupied bucket probed.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use bgp_wire::RouteAttrs;

/// A handle to an interned attribute set (an index into the table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct AttrId(pub(crate) u32);

/// A bucket of the index: slot number in the low half, the low half of
/// the set's hash in the high half.
type Bucket = u64;

const EMPTY: Bucket = u64::MAX;

#[inline]
fn bucket_of(slot: u32, hash: u32) -> Bucket {
    (u64::from(hash) << 32) | u64::from(slot)
}

#[inline]
fn bucket_slot(b: Bucket) -> u32 {
    b as u32
}

#[inline]
fn bucket_hash(b: Bucket) -> u32 {
    (b >> 32) as u32
}

#[derive(Debug)]
struct Slot {
    attrs: Option<Arc<RouteAttrs>>,
    refs: u32,
    weight: u16,
    /// The low 32 bits of the set's hash (its home bucket: the index
    /// never has 2^32 buckets), as its bucket holds it too. Kept so that
    /// deleting from the index never hashes a set again (that read every
    /// set, mostly not in the cache: a tenth of a speaker's time taking a
    /// full table of distinct sets).
    hash: u32,
}

/// The interning table.
#[derive(Debug)]
pub(crate) struct AttrTable {
    slots: Vec<Slot>,
    free: Vec<u32>,
    index: Vec<Bucket>,
    live: usize,
}

impl Default for AttrTable {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
            index: vec![EMPTY; 16],
            live: 0,
        }
    }
}

fn hash_of(attrs: &RouteAttrs, weight: u16) -> u64 {
    let mut h = FxHasher::default();
    attrs.hash(&mut h);
    weight.hash(&mut h);
    // Fx's low bits are weak: fold the high half in.
    let x = h.finish();
    x ^ (x >> 29)
}

/// A set as the table stores it: without an empty box of extra attributes
/// (a policy that emptied them may have left one).
fn stored(mut attrs: RouteAttrs) -> Arc<RouteAttrs> {
    attrs.extra.compact();
    Arc::new(attrs)
}

impl AttrTable {
    /// Interns `attrs` with `weight` and takes one reference.
    pub(crate) fn intern(&mut self, attrs: RouteAttrs, weight: u16) -> AttrId {
        let h = hash_of(&attrs, weight);
        match self.find(&attrs, weight, h) {
            Ok(i) => {
                self.slots[i as usize].refs += 1;
                AttrId(i)
            }
            Err(bucket) => self.insert_new(stored(attrs), weight, h, bucket),
        }
    }

    /// Interns a borrowed set (cloned only when new) and takes one reference.
    pub(crate) fn intern_ref(&mut self, attrs: &RouteAttrs, weight: u16) -> AttrId {
        let h = hash_of(attrs, weight);
        match self.find(attrs, weight, h) {
            Ok(i) => {
                self.slots[i as usize].refs += 1;
                AttrId(i)
            }
            Err(bucket) => self.insert_new(stored(attrs.clone()), weight, h, bucket),
        }
    }

    /// The same attributes as `id` with another weight (one reference).
    pub(crate) fn with_weight(&mut self, id: AttrId, weight: u16) -> AttrId {
        if self.weight(id) == weight {
            self.retain(id);
            return id;
        }
        let a = self.get(id).clone();
        let h = hash_of(&a, weight);
        match self.find(&a, weight, h) {
            Ok(i) => {
                self.slots[i as usize].refs += 1;
                AttrId(i)
            }
            // The same attributes: the two slots share them.
            Err(bucket) => self.insert_new(a, weight, h, bucket),
        }
    }

    /// `Ok(slot)` when present, else `Err(empty bucket)` to insert into.
    fn find(&self, attrs: &RouteAttrs, weight: u16, h: u64) -> Result<u32, usize> {
        let mask = self.index.len() - 1;
        let h = h as u32;
        let mut b = h as usize & mask;
        loop {
            let e = self.index[b];
            if e == EMPTY {
                return Err(b);
            }
            if bucket_hash(e) == h {
                let i = bucket_slot(e);
                let s = &self.slots[i as usize];
                if s.weight == weight && s.attrs.as_deref() == Some(attrs) {
                    return Ok(i);
                }
            }
            b = (b + 1) & mask;
        }
    }

    fn insert_new(&mut self, a: Arc<RouteAttrs>, weight: u16, h: u64, bucket: usize) -> AttrId {
        let slot = Slot {
            attrs: Some(a),
            refs: 1,
            weight,
            hash: h as u32,
        };
        let i = if let Some(i) = self.free.pop() {
            self.slots[i as usize] = slot;
            i
        } else {
            self.slots.push(slot);
            (self.slots.len() - 1) as u32
        };
        self.index[bucket] = bucket_of(i, h as u32);
        self.live += 1;
        // Keep the load at most 3/4.
        if self.live * 4 > self.index.len() * 3 {
            self.grow();
        }
        AttrId(i)
    }

    fn grow(&mut self) {
        let bigger = vec![EMPTY; self.index.len() * 2];
        let old = std::mem::replace(&mut self.index, bigger);
        let mask = self.index.len() - 1;
        for e in old.into_iter().filter(|&e| e != EMPTY) {
            let mut b = bucket_hash(e) as usize & mask;
            while self.index[b] != EMPTY {
                b = (b + 1) & mask;
            }
            self.index[b] = e;
        }
    }

    /// Takes one more reference.
    pub(crate) fn retain(&mut self, id: AttrId) {
        self.slots[id.0 as usize].refs += 1;
    }

    /// Drops one reference; the set is freed with the last.
    pub(crate) fn release(&mut self, id: AttrId) {
        let s = &mut self.slots[id.0 as usize];
        debug_assert!(s.refs > 0, "release of a free attribute slot");
        s.refs -= 1;
        if s.refs > 0 {
            return;
        }
        let home = s.hash as usize;
        if s.attrs.take().is_none() {
            return;
        }
        self.live -= 1;
        self.free.push(id.0);
        // Backward-shift deletion: find the bucket, empty it, and move up
        // the entries of the probe run that follow it.
        let mask = self.index.len() - 1;
        let mut b = home & mask;
        while self.index[b] != bucket_of(id.0, home as u32) {
            b = (b + 1) & mask;
        }
        let mut hole = b;
        let mut j = (hole + 1) & mask;
        loop {
            let e = self.index[j];
            if e == EMPTY {
                break;
            }
            let home = bucket_hash(e) as usize & mask;
            // Move `e` into the hole when its home is not in (hole, j].
            let dist_home = j.wrapping_sub(home) & mask;
            let dist_hole = j.wrapping_sub(hole) & mask;
            if dist_home >= dist_hole {
                self.index[hole] = e;
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.index[hole] = EMPTY;
    }

    /// The set behind a live handle.
    #[inline]
    pub(crate) fn get(&self, id: AttrId) -> &Arc<RouteAttrs> {
        // Invariant: live handles point at occupied slots.
        self.slots[id.0 as usize]
            .attrs
            .as_ref()
            .expect("live attribute handle")
    }

    /// Asks for the slot of `id` to be brought into the cache: a caller
    /// about to use many handles in no particular order issues this a few
    /// handles ahead.
    #[inline]
    pub(crate) fn prefetch(&self, id: AttrId) {
        if let Some(s) = self.slots.get(id.0 as usize) {
            crate::prefetch::prefetch(s);
        }
    }

    /// Like [`prefetch`](Self::prefetch) for the set itself (its
    /// reference count and first fields), reading the slot: issue it a
    /// few handles after the slot's own prefetch.
    #[inline]
    pub(crate) fn prefetch_set(&self, id: AttrId) {
        if let Some(a) = self.slots.get(id.0 as usize).and_then(|s| s.attrs.as_ref()) {
            crate::prefetch::prefetch::<RouteAttrs>(a);
        }
    }

    /// The weight interned with a live handle.
    #[inline]
    pub(crate) fn weight(&self, id: AttrId) -> u16 {
        self.slots[id.0 as usize].weight
    }

    /// How many distinct sets are stored.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// The reference count of a set (tests).
    #[cfg(test)]
    pub(crate) fn refs(&self, id: AttrId) -> u32 {
        self.slots[id.0 as usize].refs
    }
}

/// The Fx hash (rustc's): one multiply per word. Attribute sets are hashed
/// on every interning, and SipHash's DoS resistance buys nothing here: the
/// table's key is the whole set, which a peer cannot make collide cheaply
/// in a way that costs more than sending the sets.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` with the Fx hash.
pub(crate) type FxHashMap<K, V> =
    std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use bgp_wire::attr::AsPathBuf;

    use super::*;

    #[test]
    fn identical_sets_are_shared_and_freed() {
        let mut t = AttrTable::default();
        let a = RouteAttrs {
            as_path: AsPathBuf::sequence([1, 2]),
            ..RouteAttrs::default()
        };
        let b = RouteAttrs {
            med: Some(5),
            ..a.clone()
        };
        let ia = t.intern(a.clone(), 0);
        let ia2 = t.intern_ref(&a, 0);
        let ib = t.intern(b, 0);
        assert_eq!(ia, ia2);
        assert_ne!(ia, ib);
        assert_eq!(t.len(), 2);
        assert_eq!(t.refs(ia), 2);
        let handed_out = t.get(ia).clone();
        t.release(ia);
        assert_eq!(t.len(), 2);
        t.release(ia);
        assert_eq!(t.len(), 1);
        // An Arc handed out earlier outlives the slot.
        assert_eq!(*handed_out, a);
        // The freed slot is reused.
        let ia3 = t.intern(a.clone(), 0);
        assert_eq!(ia3, ia);
        t.retain(ia3);
        assert_eq!(t.refs(ia3), 2);
        // Another weight is another set.
        let iw = t.with_weight(ia3, 7);
        assert_ne!(iw, ia3);
        assert_eq!((t.weight(iw), **t.get(iw) == a), (7, true));
    }

    proptest::proptest! {
        /// Interning and releasing in any order agrees with a counting
        /// map, and lookups keep finding every live set (the index's
        /// backward-shift deletion keeps probe runs intact).
        #[test]
        fn agrees_with_a_map(ops in proptest::collection::vec((0u32..40, proptest::bool::ANY), 1..400)) {
            let mut t = AttrTable::default();
            let mut live: std::collections::BTreeMap<u32, (AttrId, u32)> = Default::default();
            let set = |k: u32| RouteAttrs { med: Some(k), ..RouteAttrs::default() };
            for (k, add) in ops {
                if add {
                    let id = t.intern(set(k), (k % 3) as u16);
                    let e = live.entry(k).or_insert((id, 0));
                    proptest::prop_assert_eq!(e.0, id);
                    e.1 += 1;
                } else if let Some(e) = live.get_mut(&k) {
                    t.release(e.0);
                    e.1 -= 1;
                    if e.1 == 0 {
                        live.remove(&k);
                    }
                }
                proptest::prop_assert_eq!(t.len(), live.len());
                for (k, (id, n)) in &live {
                    proptest::prop_assert_eq!(t.refs(*id), *n);
                    let again = t.intern_ref(&set(*k), (*k % 3) as u16);
                    proptest::prop_assert_eq!(again, *id);
                    t.release(again);
                }
            }
        }
    }
}

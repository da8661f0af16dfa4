//! Interned attribute sets: each distinct [`RouteAttrs`] is stored once,
//! reference-counted by the paths and Adj-RIB-Out entries that use it, and
//! freed when the last one lets go.
//!
//! Paths refer to a set by a 4-octet [`AttrId`] rather than an `Arc`
//! pointer, which keeps a stored path at 16 octets; the set itself is an
//! `Arc<RouteAttrs>` so the change streams can hand it out without copying.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use bgp_wire::RouteAttrs;

/// A handle to an interned attribute set (an index into the table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct AttrId(pub(crate) u32);

#[derive(Debug)]
struct Slot {
    attrs: Option<Arc<RouteAttrs>>,
    refs: u32,
}

/// The interning table.
#[derive(Debug, Default)]
pub(crate) struct AttrTable {
    slots: Vec<Slot>,
    free: Vec<u32>,
    index: HashMap<Arc<RouteAttrs>, u32, BuildHasherDefault<FxHasher>>,
}

impl AttrTable {
    /// Interns `attrs` and takes one reference.
    pub(crate) fn intern(&mut self, attrs: RouteAttrs) -> AttrId {
        if let Some(&i) = self.index.get(&attrs) {
            self.slots[i as usize].refs += 1;
            return AttrId(i);
        }
        self.insert_new(Arc::new(attrs))
    }

    /// Interns a borrowed set (cloned only when new) and takes one reference.
    pub(crate) fn intern_ref(&mut self, attrs: &RouteAttrs) -> AttrId {
        if let Some(&i) = self.index.get(attrs) {
            self.slots[i as usize].refs += 1;
            return AttrId(i);
        }
        self.insert_new(Arc::new(attrs.clone()))
    }

    fn insert_new(&mut self, a: Arc<RouteAttrs>) -> AttrId {
        let slot = Slot {
            attrs: Some(a.clone()),
            refs: 1,
        };
        let i = if let Some(i) = self.free.pop() {
            self.slots[i as usize] = slot;
            i
        } else {
            self.slots.push(slot);
            (self.slots.len() - 1) as u32
        };
        self.index.insert(a, i);
        AttrId(i)
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
        if s.refs == 0 {
            if let Some(a) = s.attrs.take() {
                self.index.remove(&*a);
            }
            self.free.push(id.0);
        }
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

    /// How many distinct sets are stored.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
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
pub(crate) type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

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
        let ia = t.intern(a.clone());
        let ia2 = t.intern_ref(&a);
        let ib = t.intern(b);
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
        let ia3 = t.intern(a);
        assert_eq!(ia3, ia);
        t.retain(ia3);
        assert_eq!(t.refs(ia3), 2);
    }
}

//! Routes held back from the decision process while a peer sends its
//! initial table (see [`Rib::defer_until_end_of_rib`]), applied later in
//! prefix order.
//!
//! A table that arrives in no particular order costs the trie a walk of
//! cache-missing nodes per prefix (six or so below the /16 level for a full
//! IPv4 table), and the change drains that follow read the entries in
//! prefix order, which is again random in memory. The same routes applied
//! in prefix order walk from the trie's finger through nodes the previous
//! route left in the cache, and fill the entries in the order the drains
//! read them. This is the bulk load of a B-tree: sort, then insert.
//!
//! Each held operation keeps its arrival number below the prefix in its
//! sort key, so an unstable sort still applies the operations on one prefix
//! in the order they arrived. Operations on different prefixes commute:
//! each prefix's paths, best path and Adj-RIB-Out depend on that prefix's
//! operations only.
//!
//! [`Rib::defer_until_end_of_rib`]: crate::Rib::defer_until_end_of_rib

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::intern::AttrId;

/// The bits of a sort key that hold the arrival number (below them, one
/// bit says whether the route has a path identifier).
const SEQ_BITS: u32 = 25;
/// Held operations of one peer at which the caller must apply them: the
/// arrival number must fit in [`SEQ_BITS`] (32 Mi operations, 512 MiB).
const MAX_HELD: u32 = 1 << SEQ_BITS;
/// The attribute handle of a held withdrawal.
const NO_ATTRS: u32 = u32::MAX;
/// Buffers at most this large are kept for the next batch; larger ones
/// (a full table's) go back to the allocator once applied.
const KEEP_BYTES: usize = 1 << 20;

/// One held operation: an announcement (with a reference to its checked,
/// interned attribute set) or a withdrawal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HeldOp {
    pub(crate) path_id: Option<u32>,
    /// `None` for a withdrawal (or an announcement the receive checks
    /// rejected, which withdraws the peer's previous path).
    pub(crate) attrs: Option<AttrId>,
}

/// The low bits of a sort key: arrival number and path-id flag.
fn seq_bits(seq: u32, op: &HeldOp) -> u64 {
    (u64::from(seq) << 1) | u64::from(op.path_id.is_some())
}

/// The attribute handle and path id of `op`, as held.
fn op_bits(op: &HeldOp) -> (u32, u32) {
    (op.attrs.map_or(NO_ATTRS, |a| a.0), op.path_id.unwrap_or(0))
}

/// The operation held with `bits` (low bits of its key), `attrs` and
/// `path_id`.
fn op_of(bits: u64, attrs: u32, path_id: u32) -> HeldOp {
    HeldOp {
        path_id: (bits & 1 == 1).then_some(path_id),
        attrs: (attrs != NO_ATTRS).then_some(AttrId(attrs)),
    }
}

/// A held IPv4 operation: 16 octets (a full table is 16 MiB held).
#[derive(Debug)]
struct Held4 {
    /// address << 32 | length << 26 | arrival number << 1 | has path id.
    key: u64,
    attrs: u32,
    path_id: u32,
}

/// A held IPv6 operation.
#[derive(Debug)]
struct Held6 {
    addr: u128,
    /// length << 32 | arrival number << 1 | has path id.
    len_seq: u64,
    attrs: u32,
    path_id: u32,
}

/// One peer's held operations.
#[derive(Debug, Default)]
struct PeerHeld {
    peer: u16,
    v4: Vec<Held4>,
    v6: Vec<Held6>,
    seq: u32,
}

impl PeerHeld {
    /// The operation at `i` (IPv4 first), if any.
    #[inline]
    fn get(&self, i: usize) -> Option<(IpNet, HeldOp)> {
        if let Some(h) = self.v4.get(i) {
            let addr = Ipv4Addr::from((h.key >> 32) as u32);
            let len = ((h.key >> (SEQ_BITS + 1)) & 63) as u8;
            // Invariant: pushed from a valid prefix.
            let p = Ipv4Net::new(addr, len).expect("held IPv4 length <= 32");
            return Some((IpNet::V4(p), op_of(h.key, h.attrs, h.path_id)));
        }
        let h = self.v6.get(i - self.v4.len())?;
        let len = (h.len_seq >> 32) as u8;
        let p = Ipv6Net::new(Ipv6Addr::from(h.addr), len).expect("held IPv6 length <= 128");
        Some((IpNet::V6(p), op_of(h.len_seq, h.attrs, h.path_id)))
    }

    /// The attribute handle of the operation at `i`, if any.
    #[inline]
    fn attrs_at(&self, i: usize) -> Option<AttrId> {
        let a = match self.v4.get(i) {
            Some(h) => h.attrs,
            None => self.v6.get(i - self.v4.len())?.attrs,
        };
        (a != NO_ATTRS).then_some(AttrId(a))
    }
}

/// Held operations in apply order, from [`Held::take_sorted`]: peer by
/// peer, each peer's in prefix order (IPv4 first), those on one prefix in
/// arrival order. Operations of different peers commute, so the peers'
/// runs need no merging.
#[derive(Debug)]
pub(crate) struct Sorted {
    peers: Vec<PeerHeld>,
    peer: usize,
    next: usize,
}

impl Sorted {
    /// The attribute set of the operation `k` places after the next one
    /// [`next`](Iterator::next) returns, if it is the same peer's.
    #[inline]
    pub(crate) fn attrs_ahead(&self, k: usize) -> Option<AttrId> {
        self.peers.get(self.peer)?.attrs_at(self.next + k)
    }
}

impl Iterator for Sorted {
    /// (peer index, prefix, operation).
    type Item = (u16, IpNet, HeldOp);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let p = self.peers.get(self.peer)?;
            if let Some((prefix, op)) = p.get(self.next) {
                self.next += 1;
                return Some((p.peer, prefix, op));
            }
            self.peer += 1;
            self.next = 0;
        }
    }
}

/// The held operations of every deferring peer.
#[derive(Debug, Default)]
pub(crate) struct Held {
    /// One entry per peer that has held anything since the last apply.
    peers: Vec<PeerHeld>,
    /// The index in `peers` of the peer that held last.
    last: usize,
    len: usize,
}

impl Held {
    /// The number of held operations.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is held.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `peer`'s buffers, added when it has none.
    fn peer_mut(&mut self, peer: u16) -> &mut PeerHeld {
        if self.peers.get(self.last).is_none_or(|p| p.peer != peer) {
            self.last = match self.peers.iter().position(|p| p.peer == peer) {
                Some(i) => i,
                None => {
                    self.peers.push(PeerHeld {
                        peer,
                        ..PeerHeld::default()
                    });
                    self.peers.len() - 1
                }
            };
        }
        &mut self.peers[self.last]
    }

    /// Holds `op` of `peer` on `prefix` (host bits cleared); `false`
    /// (nothing held) when `peer` has used up its arrival numbers: the
    /// caller applies what is held, then holds it.
    #[must_use]
    pub(crate) fn push(&mut self, peer: u16, prefix: IpNet, op: HeldOp) -> bool {
        let p = self.peer_mut(peer);
        if p.seq >= MAX_HELD {
            return false;
        }
        let low = seq_bits(p.seq, &op);
        p.seq += 1;
        self.len += 1;
        let p = &mut self.peers[self.last];
        let (attrs, path_id) = op_bits(&op);
        match prefix {
            IpNet::V4(n) => p.v4.push(Held4 {
                key: (u64::from(u32::from(n.network())) << 32)
                    | (u64::from(n.prefix_len()) << (SEQ_BITS + 1))
                    | low,
                attrs,
                path_id,
            }),
            IpNet::V6(n) => p.v6.push(Held6 {
                addr: u128::from(n.network()),
                len_seq: (u64::from(n.prefix_len()) << 32) | low,
                attrs,
                path_id,
            }),
        }
        true
    }

    /// Every held operation in apply order (see [`Sorted`]); leaves `self`
    /// empty. Hand the result back to [`recycle`](Self::recycle) to keep
    /// small buffers.
    pub(crate) fn take_sorted(&mut self) -> Sorted {
        let mut peers = std::mem::take(&mut self.peers);
        for p in &mut peers {
            p.v4.sort_unstable_by_key(|h| h.key);
            p.v6.sort_unstable_by_key(|h| (h.addr, h.len_seq));
        }
        self.len = 0;
        self.last = 0;
        Sorted {
            peers,
            peer: 0,
            next: 0,
        }
    }

    /// Keeps the buffers of `s` for the next batch when they are small (a
    /// full table's go back to the allocator).
    pub(crate) fn recycle(&mut self, s: Sorted) {
        if !self.peers.is_empty() {
            return;
        }
        let small = |p: &PeerHeld| {
            p.v4.capacity() * size_of::<Held4>() + p.v6.capacity() * size_of::<Held6>()
                <= KEEP_BYTES
        };
        self.peers = s.peers.into_iter().filter(small).collect();
        for p in &mut self.peers {
            p.v4.clear();
            p.v6.clear();
            p.seq = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(a: u32) -> HeldOp {
        HeldOp {
            path_id: None,
            attrs: Some(AttrId(a)),
        }
    }

    #[test]
    fn sorted_by_peer_then_prefix_and_in_arrival_order_within_one() {
        let mut h = Held::default();
        let ops = [
            (1, "10.0.0.0/8", 1),
            (1, "192.0.2.0/24", 2),
            (2, "10.0.0.0/8", 10),
            (1, "10.0.0.0/8", 3),
            (1, "2001:db8::/32", 4),
            (1, "10.0.0.0/7", 5),
            (2, "0.0.0.0/0", 11),
            (1, "10.0.0.0/8", 6),
            (1, "0.0.0.0/0", 7),
            (1, "2001:db8::/32", 8),
            (1, "::/0", 9),
        ];
        for (peer, p, a) in ops {
            assert!(h.push(peer, p.parse().unwrap(), op(a)));
        }
        assert_eq!(h.len(), 11);
        let got: Vec<(u16, String, u32)> = h
            .take_sorted()
            .map(|(peer, p, o)| (peer, p.to_string(), o.attrs.unwrap().0))
            .collect();
        let want = [
            (1, "0.0.0.0/0", 7),
            (1, "10.0.0.0/7", 5),
            (1, "10.0.0.0/8", 1),
            (1, "10.0.0.0/8", 3),
            (1, "10.0.0.0/8", 6),
            (1, "192.0.2.0/24", 2),
            (1, "::/0", 9),
            (1, "2001:db8::/32", 4),
            (1, "2001:db8::/32", 8),
            (2, "0.0.0.0/0", 11),
            (2, "10.0.0.0/8", 10),
        ];
        let want: Vec<(u16, String, u32)> = want
            .iter()
            .map(|(n, p, a)| (*n, p.to_string(), *a))
            .collect();
        assert_eq!(got, want);
        assert!(h.is_empty());
        assert!(h.take_sorted().next().is_none());
    }

    #[test]
    fn operations_round_trip() {
        let mut h = Held::default();
        let ops = [
            ("255.255.255.255/32", Some(u32::MAX), Some(AttrId(0))),
            ("0.0.0.0/0", None, None),
            ("ffff::1/128", Some(0), None),
            ("8000::/1", None, Some(AttrId(u32::MAX - 1))),
        ];
        for (p, path_id, attrs) in ops {
            assert!(h.push(65535, p.parse().unwrap(), HeldOp { path_id, attrs }));
        }
        let mut s = h.take_sorted();
        assert_eq!(s.attrs_ahead(0), None);
        assert_eq!(s.attrs_ahead(1), Some(AttrId(0)));
        assert_eq!(s.attrs_ahead(2), Some(AttrId(u32::MAX - 1)));
        let got: Vec<(String, HeldOp)> = s
            .by_ref()
            .map(|(peer, p, o)| {
                assert_eq!(peer, 65535);
                (p.to_string(), o)
            })
            .collect();
        let want: Vec<(String, HeldOp)> = [ops[1], ops[0], ops[3], ops[2]]
            .iter()
            .map(|(p, path_id, attrs)| {
                (
                    p.to_string(),
                    HeldOp {
                        path_id: *path_id,
                        attrs: *attrs,
                    },
                )
            })
            .collect();
        assert_eq!(got, want);
        h.recycle(s);
        assert_eq!(h.peers.len(), 1);
        assert!(h.is_empty());
    }
}

//! The RIB: Adj-RIBs-In, Loc-RIB and Adj-RIBs-Out ([RFC 4271 §3.2]) in one
//! trie per address family.
//!
//! [RFC 4271 §3.2]: https://www.rfc-editor.org/rfc/rfc4271#section-3.2

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Instant;

use bgp_wire::attr::{AsSegment, Community, NextHop, SegmentType};
use bgp_wire::codepoint::Role;
use bgp_wire::{Action, Family, Nlri, RouteAttrs, Update};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use smallvec::SmallVec;

use crate::change::{AdjRibOutChanges, Announcement, LocRibChange, RoutePath};
use crate::decision::{self, Candidate, DecisionConfig, DecisionStep};
use crate::held::{Held, HeldOp};
use crate::intern::{AttrId, AttrTable, FxHashMap};
use crate::peer::{AddPathSend, NextHopMode, PeerConfig, PeerId, SharedPolicy};
use crate::policy::{Direction, PeerInfo, PolicyRoute, PrefixRange, Source, Verdict};
use crate::small::{BoxedVec, OneOrMany};
use crate::trie::{InsertHint, PrefixTrie, TriePrefix};

//----------- Configuration ---------------------------------------------------

/// The speaker-wide settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RibConfig {
    /// Our AS.
    pub local_asn: u32,
    /// Our BGP identifier.
    pub router_id: Ipv4Addr,
    /// The route-reflection cluster ID ([RFC 4456 §7]); our router ID when
    /// `None`.
    ///
    /// [RFC 4456 §7]: https://www.rfc-editor.org/rfc/rfc4456#section-7
    pub cluster_id: Option<Ipv4Addr>,
    /// Decision-process options.
    pub decision: DecisionConfig,
    /// Keep a DIR-24-8 index of the IPv4 trie, so that
    /// [`Rib::lookup`] of an IPv4 address is one or two memory reads
    /// rather than a walk down the trie. Costs 64 MiB; off by default.
    pub ipv4_lpm_index: bool,
    /// Keep the Loc-RIB change stream that [`Rib::drain_loc_rib`] returns
    /// (on by default). A RIB whose Loc-RIB programs no FIB (a route
    /// server, a route collector, a speaker that installs nothing) can turn
    /// it off and save the log record per best-path change and the drain;
    /// see [`Rib::set_loc_rib_changes`].
    pub loc_rib_changes: bool,
}

impl RibConfig {
    /// Defaults for AS `local_asn` with identifier `router_id`.
    pub fn new(local_asn: u32, router_id: Ipv4Addr) -> Self {
        Self {
            local_asn,
            router_id,
            cluster_id: None,
            decision: DecisionConfig::default(),
            ipv4_lpm_index: false,
            loc_rib_changes: true,
        }
    }
}

/// How the RIB learns whether a next hop is reachable and at what IGP cost
/// ([RFC 4271 §9.1.2.1]). Paths whose next hop resolves to `None` are not
/// candidates for the decision process.
///
/// When the answers change (the IGP converged), call
/// [`Rib::next_hops_changed`].
///
/// [RFC 4271 §9.1.2.1]: https://www.rfc-editor.org/rfc/rfc4271#section-9.1.2.1
pub trait NextHopResolver {
    /// The IGP cost to `next_hop`, or `None` when it is unreachable.
    fn igp_cost(&self, next_hop: &NextHop) -> Option<u32>;
}

impl<F: Fn(&NextHop) -> Option<u32>> NextHopResolver for F {
    fn igp_cost(&self, next_hop: &NextHop) -> Option<u32> {
        self(next_hop)
    }
}

/// Every next hop is reachable at cost 0 (the default resolver).
#[derive(Clone, Copy, Debug, Default)]
pub struct AllReachable;

impl NextHopResolver for AllReachable {
    fn igp_cost(&self, _: &NextHop) -> Option<u32> {
        Some(0)
    }
}

/// A caller mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RibError {
    /// The peer was never added or has been removed.
    #[error("unknown peer {0:?}")]
    UnknownPeer(PeerId),
    /// More than 65535 peers.
    #[error("too many peers")]
    TooManyPeers,
}

/// What a new import policy needs ([`Rib::set_import_policy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Reconfigured {
    /// The peer keeps a pre-policy Adj-RIB-In: every route was evaluated
    /// again.
    Reevaluated,
    /// Without soft-reconfiguration the routes the old policy dropped are
    /// gone: send the peer a ROUTE-REFRESH ([RFC 2918]).
    ///
    /// [RFC 2918]: https://www.rfc-editor.org/rfc/rfc2918
    RouteRefreshNeeded,
}

/// How many routes of one address family a peer has in the RIB
/// ([`Rib::peer_counts`]): the figures of FRR's `show bgp summary` and
/// `show bgp neighbors`. They are kept up to date as routes come and go,
/// so reading them costs no walk of the table. With ADD-PATH each path
/// counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PeerCounts {
    /// Routes in the peer's pre-policy Adj-RIB-In: what it sent, before
    /// the receive checks and import policy. Kept only with
    /// soft-reconfiguration inbound; 0 without.
    pub received: usize,
    /// Routes in its Adj-RIB-In after the receive checks and import
    /// policy, stale ones included (FRR's `PfxRcd`). Routes held until
    /// End-of-RIB ([`Rib::defer_until_end_of_rib`]) count once applied.
    pub accepted: usize,
    /// Routes in its Adj-RIB-Out: announced to it and not withdrawn since
    /// (FRR's `PfxSnt`). As [`drain_adj_rib_out`](Rib::drain_adj_rib_out)
    /// reported them: changes not drained yet do not count.
    pub advertised: usize,
}

//----------- Storage ---------------------------------------------------------

const P_PATH_ID: u8 = 1;
const P_BEST: u8 = 2;
const P_MULTI: u8 = 4;
const P_STALE: u8 = 8;
const P_ELIGIBLE: u8 = 16;
/// The path's attributes are also its peer's pre-policy route
/// (soft-reconfiguration inbound): the import policy passed the route
/// unchanged, so [`Peer::pre`] need not keep it (most routes, under a
/// policy that filters but does not modify).
const P_PRE: u8 = 128;
const P_SRC_SHIFT: u8 = 5;
const P_SRC_MASK: u8 = 3 << P_SRC_SHIFT;

const E_LOC_DIRTY: u8 = 1;
const E_FIB: u8 = 2;

/// Which of a peer's paths a sweep removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sweep {
    All,
    Stale,
    Fresh,
}

/// How [`Rib::import_many`] runs the import policy on one family of a
/// batch of routes.
#[derive(Clone, Copy, Debug)]
enum Batch {
    /// One evaluation per route.
    Each,
    /// One answer for the whole batch, not known yet: `true` when the
    /// policy permits the family entirely (no evaluation), `false` when its
    /// answer ignores the prefix (one evaluation).
    Unasked(bool),
    /// The batch's answer: the set to store (with one reference held for
    /// the batch), or `None` for a denial.
    Answered(Option<AttrId>),
}

/// How routes of `family` that share their attributes are put to `policy`
/// ([`Batch`]): `Some(true)` when it permits the family entirely (it is not
/// asked), `Some(false)` when its answer ignores the prefix (it is asked
/// once), `None` when it is asked about every route.
fn batch_mode(policy: &SharedPolicy, family: Family) -> Option<bool> {
    if policy.permits_all(family) {
        Some(true)
    } else if policy.ignores_prefix(family) {
        Some(false)
    } else {
        None
    }
}

/// The source path id of a default-originate Adj-RIB-Out entry.
const DEFAULT_SRC: u32 = u32::MAX;

/// One path in the Adj-RIB-In of a peer (post-policy): 12 octets. Its
/// weight is interned with its attributes.
#[derive(Clone, Copy, Debug)]
struct Path {
    path_id: u32,
    attrs: AttrId,
    peer: u16,
    flags: u8,
}

impl Path {
    fn path_id(&self) -> Option<u32> {
        (self.flags & P_PATH_ID != 0).then_some(self.path_id)
    }
    fn is(&self, peer: u16, path_id: Option<u32>) -> bool {
        self.peer == peer && self.path_id() == path_id
    }
    fn source(&self) -> Source {
        match (self.flags & P_SRC_MASK) >> P_SRC_SHIFT {
            0 => Source::Bgp,
            1 => Source::Static,
            2 => Source::Connected,
            _ => Source::Aggregate,
        }
    }
}

fn source_bits(s: Source) -> u8 {
    (match s {
        Source::Bgp => 0,
        Source::Static => 1,
        Source::Connected => 2,
        Source::Aggregate => 3,
    }) << P_SRC_SHIFT
}

/// One route in the Adj-RIB-Out of a peer: 16 octets.
#[derive(Clone, Copy, Debug)]
struct OutPath {
    src_path_id: u32,
    out_path_id: u32,
    attrs: AttrId,
    peer: u16,
    src_peer: u16,
}

/// Everything stored for one prefix: the paths of every peer (the
/// Adj-RIBs-In, with the Loc-RIB selection as flags) and what every peer was
/// sent (the Adj-RIBs-Out).
///
/// 32 octets: one path inline (a prefix from one peer costs no allocation), the
/// Adj-RIB-Out records behind one pointer (none while nobody was sent the
/// prefix), and the export-log position with two flags.
#[derive(Debug, Default)]
struct Entry {
    paths: OneOrMany<Path>,
    out: BoxedVec<OutPath>,
    /// Bits 0-61: 1 + the absolute position of the latest export-log
    /// record of this prefix (0: none); above them the `E_` flags.
    log_flags: u64,
}

const LOG_MASK: u64 = (1 << 62) - 1;
const FLAGS_SHIFT: u32 = 62;

impl Entry {
    fn removable(&self) -> bool {
        self.paths.is_empty() && self.out.is_empty() && self.flags() & (E_LOC_DIRTY | E_FIB) == 0
    }
    fn flags(&self) -> u8 {
        (self.log_flags >> FLAGS_SHIFT) as u8
    }
    fn set_flags(&mut self, f: u8) {
        self.log_flags |= u64::from(f) << FLAGS_SHIFT;
    }
    fn clear_flags(&mut self, f: u8) {
        self.log_flags &= !(u64::from(f) << FLAGS_SHIFT);
    }
    fn logged_at(&self) -> u64 {
        self.log_flags & LOG_MASK
    }
    fn set_logged_at(&mut self, at: u64) {
        // Invariant: 2^62 log records are not possible.
        debug_assert!(at <= LOG_MASK);
        self.log_flags = (self.log_flags & !LOG_MASK) | (at & LOG_MASK);
    }
    /// The best path, if any.
    #[inline(always)]
    fn best(&self) -> Option<&Path> {
        match &self.paths {
            OneOrMany::One(p) => (p.flags & P_BEST != 0).then_some(p),
            OneOrMany::Empty => None,
            OneOrMany::Many(v) => v.iter().find(|p| p.flags & P_BEST != 0),
        }
    }
}

struct Peer {
    cfg: PeerConfig,
    established: bool,
    full_sync: bool,
    cursor: u64,
    /// Pre-policy Adj-RIB-In (soft-reconfiguration inbound only): the
    /// routes whose path does not carry them ([`P_PRE`]), because the
    /// import policy changed or denied them. Keys are truncated prefixes.
    pre: FxHashMap<(IpNet, Option<u32>), AttrId>,
    /// Graceful-restart deadlines for IPv4 and IPv6 unicast.
    stale_deadline: [Option<Instant>; 2],
    /// Whether paths of IPv4 and IPv6 unicast may be marked stale: an
    /// End-of-RIB from a peer that never restarted then sweeps nothing,
    /// without a walk of the whole table.
    may_be_stale: [bool; 2],
    default_gen: u64,
    default_active: [bool; 2],
    /// The families (IPv4, IPv6 unicast) whose End-of-RIB ends this peer's
    /// deferral ([`Rib::defer_until_end_of_rib`]); none while its routes
    /// go straight to the decision process.
    defer: [bool; 2],
    /// Its routes in IPv4 and IPv6 unicast ([`Rib::peer_counts`]).
    counts: [PeerCounts; 2],
    /// Per family (IPv4, IPv6 unicast): the chunks of the family's value
    /// slots ([`CHUNK_SHIFT`]) that may hold a path of this peer or a
    /// record of its Adj-RIB-Out. Marked whenever one is added; a walk of
    /// the peer's chunks clears those that turn out to hold neither. The
    /// session going down, a graceful-restart sweep or stale-marking
    /// visits these chunks instead of the whole table, so a host with a
    /// few routes comes and goes at the cost of its routes.
    chunks: [Vec<u64>; 2],
}

/// A chunk of value slots in [`Peer::chunks`] is `1 << CHUNK_SHIFT` slots.
const CHUNK_SHIFT: u32 = 8;

/// Marks the chunk of `slot` in `bits`.
#[inline]
fn mark_chunk(bits: &mut Vec<u64>, slot: u32) {
    let c = slot >> CHUNK_SHIFT;
    match bits.get_mut((c / 64) as usize) {
        Some(w) => *w |= 1 << (c % 64),
        None => mark_new_chunk(bits, c),
    }
}

/// [`mark_chunk`] past the end of `bits`.
#[cold]
fn mark_new_chunk(bits: &mut Vec<u64>, c: u32) {
    bits.resize((c / 64) as usize + 1, 0);
    bits[(c / 64) as usize] |= 1 << (c % 64);
}

/// Where a prefix's [`Entry`] lives: its value slot in its family's trie
/// (bit 31 set for IPv6). The change logs keep these rather than prefixes,
/// so that draining them reaches each entry without a walk down the trie.
/// A slot stays with its prefix while the entry exists; a logged slot whose
/// entry was removed may have been given to another prefix, so readers
/// check the entry (its `logged_at`, or the prefix) before trusting it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SlotRef(u32);

const V6_SLOT: u32 = 1 << 31;

impl SlotRef {
    fn new(prefix: &IpNet, slot: u32) -> Self {
        // Invariant: a trie of 2^31 entries (128 GiB of them) is not
        // possible, so bit 31 is free.
        debug_assert!(slot < V6_SLOT);
        match prefix {
            IpNet::V4(_) => Self(slot),
            IpNet::V6(_) => Self(slot | V6_SLOT),
        }
    }
    fn is_v6(self) -> bool {
        self.0 & V6_SLOT != 0
    }
    fn slot(self) -> u32 {
        self.0 & !V6_SLOT
    }
}

fn family_index(prefix: &IpNet) -> usize {
    match prefix {
        IpNet::V4(_) => 0,
        IpNet::V6(_) => 1,
    }
}

fn family_of(prefix: &IpNet) -> Family {
    match prefix {
        IpNet::V4(_) => Family::IPV4_UNICAST,
        IpNet::V6(_) => Family::IPV6_UNICAST,
    }
}

fn family_slot(f: Family) -> Option<usize> {
    match f {
        Family::IPV4_UNICAST => Some(0),
        Family::IPV6_UNICAST => Some(1),
        _ => None,
    }
}

/// The prefix type of one family's trie, and the way from an `IpNet` to it.
trait FamilyPrefix: TriePrefix + Into<IpNet> {
    /// `n` when it is of this family.
    fn of_net(n: IpNet) -> Option<Self>;
}

impl FamilyPrefix for Ipv4Net {
    fn of_net(n: IpNet) -> Option<Self> {
        match n {
            IpNet::V4(q) => Some(q),
            IpNet::V6(_) => None,
        }
    }
}

impl FamilyPrefix for Ipv6Net {
    fn of_net(n: IpNet) -> Option<Self> {
        match n {
            IpNet::V6(q) => Some(q),
            IpNet::V4(_) => None,
        }
    }
}

/// The prefixes of `trie` a full sync of a peer's Adj-RIB-Out looks at,
/// with their slots, appended to `items`: those `wanted` says may concern
/// the peer, of the whole table or, with `bound`, of those ranges only (in
/// the ranges' order, overlaps repeated), and then, when the bound's flag
/// says the peer holds routes of the family, those it holds (found in the
/// chunks of `sent`: its [`Peer::chunks`] and its index).
fn full_sync_items<P: FamilyPrefix>(
    trie: &PrefixTrie<P, Entry>,
    bound: Option<&(Vec<PrefixRange>, bool)>,
    sent: (&[u64], u16),
    wanted: &impl Fn(&Entry) -> bool,
    items: &mut Vec<(IpNet, Option<SlotRef>)>,
) {
    let mut add = |q: P, s: u32, e: &Entry| {
        if wanted(e) {
            let q = q.into();
            items.push((q, Some(SlotRef::new(&q, s))));
        }
    };
    match bound {
        None => trie.iter_slots().for_each(|(q, s, e)| add(q, s, e)),
        Some((ranges, holds)) => {
            for r in ranges {
                let Some(q) = P::of_net(r.prefix) else {
                    continue;
                };
                for (q, s, e) in trie.range_slots(&q, r.min_len, r.max_len) {
                    add(q, s, e);
                }
            }
            if *holds {
                let (bits, peer) = sent;
                for_each_in_chunks(trie, bits, |q, s, e| {
                    if e.out.iter().any(|o| o.peer == peer) {
                        let q = q.into();
                        items.push((q, Some(SlotRef::new(&q, s))));
                    }
                });
            }
        }
    }
}

/// Calls `f` with the prefix, slot and entry of every value of `trie` in
/// the chunks marked in `bits` (see [`Peer::chunks`]), in slot order.
fn for_each_in_chunks<P: TriePrefix>(
    trie: &PrefixTrie<P, Entry>,
    bits: &[u64],
    mut f: impl FnMut(P, u32, &Entry),
) {
    for_each_marked(bits, |c| {
        for s in c..c + (1 << CHUNK_SHIFT) {
            if let Some((q, e)) = trie.by_slot(s) {
                f(q, s, e);
            }
        }
    });
}

/// Calls `f` with the first slot of every chunk marked in `bits`.
fn for_each_marked(bits: &[u64], mut f: impl FnMut(u32)) {
    for (w, &word) in bits.iter().enumerate() {
        let mut left = word;
        while left != 0 {
            let b = left.trailing_zeros();
            left &= left - 1;
            f((w as u32 * 64 + b) << CHUNK_SHIFT);
        }
    }
}

/// Calls `f` on the entries of `trie` in the chunks marked in `bits` (see
/// [`Peer::chunks`]), then unmarks the chunks where no entry holds a path
/// or an Adj-RIB-Out record of `peer`, and removes the entries left
/// removable.
fn walk_chunks<P: TriePrefix>(
    trie: &mut PrefixTrie<P, Entry>,
    bits: &mut [u64],
    st: &mut State,
    peer: u16,
    f: &mut impl FnMut(&mut State, P, u32, &mut Entry),
) {
    let mut dead = Vec::new();
    for (w, word) in bits.iter_mut().enumerate() {
        let mut left = *word;
        while left != 0 {
            let b = left.trailing_zeros();
            left &= left - 1;
            let c = (w as u32 * 64 + b) << CHUNK_SHIFT;
            let mut keep = false;
            trie.for_each_in_slots_mut(c..c + (1 << CHUNK_SHIFT), |s, q, e| {
                f(st, q, s, e);
                keep |=
                    e.paths.iter().any(|p| p.peer == peer) || e.out.iter().any(|o| o.peer == peer);
                if e.removable() {
                    dead.push(q);
                }
            });
            if !keep {
                *word &= !(1 << b);
            }
        }
    }
    remove_all(trie, dead);
}

/// Removes the prefixes `dead` (each holding a removable entry) from
/// `trie`, all at once when they are all it holds (the one peer of a table
/// went down), else in prefix order: each removal then walks nodes the one
/// before it left in the cache. In the order of the nodes (that of
/// insertion, for a table received in no particular order) nearly every
/// node read missed: a full-table peer going down cost 0.6 s more.
fn remove_all<P: TriePrefix>(trie: &mut PrefixTrie<P, Entry>, mut dead: Vec<P>) {
    if dead.is_empty() {
        return;
    }
    if dead.len() == trie.len() {
        trie.clear();
        return;
    }
    dead.sort_unstable();
    for p in dead {
        trie.remove(p);
    }
}

const fn is_private_asn(a: u32) -> bool {
    matches!(a, 64512..=65534 | 4_200_000_000..=4_294_967_294)
}

//----------- Rib -------------------------------------------------------------

/// Adj-RIBs-In, Loc-RIB and Adj-RIBs-Out of a BGP speaker for IPv4 and IPv6
/// unicast.
///
/// # Using it
/// * Add peers with [`add_peer`](Self::add_peer) ([`PeerConfig`] holds
///   their policies and options); tell the RIB when sessions come up
///   ([`peer_up`](Self::peer_up)) and go down ([`peer_down`](Self::peer_down),
///   or [`peer_down_graceful`](Self::peer_down_graceful) to keep the paths
///   as stale, [RFC 4724]).
/// * Feed it what peers send: [`update`](Self::update) takes a parsed
///   UPDATE view, [`announce`](Self::announce) and
///   [`withdraw`](Self::withdraw) take typed routes;
///   [`originate`](Self::originate) adds our own.
/// * Drain what changed when you choose to (MRAI):
///   [`drain_loc_rib`](Self::drain_loc_rib) for the FIB,
///   [`drain_adj_rib_out`](Self::drain_adj_rib_out) per peer for UPDATEs.
/// * Graceful-restart deadlines: [`poll_timeout`](Self::poll_timeout) and
///   [`handle_timeout`](Self::handle_timeout) with your clock's `now`.
///
/// # Storage
/// One [`PrefixTrie`] per family; each prefix holds every peer's paths as
/// 12-octet records (peer index, path id, flags, and a handle to an
/// interned attribute set) and the Adj-RIB-Out records of every peer. The
/// Loc-RIB is the best/multipath flags on those records. Identical
/// attribute sets are stored once, reference-counted, freed with their last
/// user. Peer indices are 16 bits: at most 65535 peers.
///
/// [RFC 4724]: https://www.rfc-editor.org/rfc/rfc4724
pub struct Rib {
    v4: PrefixTrie<Ipv4Net, Entry>,
    v6: PrefixTrie<Ipv6Net, Entry>,
    st: State,
}

struct State {
    cfg: RibConfig,
    attrs: AttrTable,
    peers: Vec<Option<Peer>>,
    /// `None`: every next hop reachable at cost 0 ([`AllReachable`], the
    /// default), so the decision need not read a path's attributes for
    /// its next hop: for a route with one path it then reads none.
    resolver: Option<Box<dyn NextHopResolver + Send + Sync>>,
    loc_dirty: Vec<SlotRef>,
    out_log: Vec<SlotRef>,
    out_base: u64,
    max_cursor: u64,
    /// The log length at which [`State::compact_log`] next looks at every
    /// peer: that look costs O(peers), so it is amortised over at least as
    /// many appends.
    compact_at: usize,
    established: usize,
    loc_gen: u64,
    /// Scratch for [`Rib::insert_hints`] and [`Rib::update`], kept to
    /// save allocations.
    hints: Vec<InsertHint>,
    nlri: Vec<Nlri>,
    hint_keys4: Vec<Ipv4Net>,
    hint_keys6: Vec<Ipv6Net>,
    /// Routes of deferring peers, not yet applied.
    held: Held,
}

impl std::fmt::Debug for Rib {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rib")
            .field("config", &self.st.cfg)
            .field("ipv4_prefixes", &self.v4.len())
            .field("ipv6_prefixes", &self.v6.len())
            .field("attribute_sets", &self.st.attrs.len())
            .finish_non_exhaustive()
    }
}

/// The most ranges of [`Policy::permitted_prefixes`] a drain visits one by
/// one; with more it walks the table once instead (overlapping ranges
/// could otherwise visit it many times).
///
/// [`Policy::permitted_prefixes`]: crate::policy::Policy::permitted_prefixes
const MAX_BOUND_RANGES: usize = 64;

/// Runs `$body` with `$trie` the trie of `$prefix`'s family and `$p` the
/// family-specific prefix.
macro_rules! by_family {
    ($self:ident, $prefix:expr, |$trie:ident, $p:ident| $body:expr) => {
        match $prefix {
            IpNet::V4($p) => {
                let $trie = &mut $self.v4;
                $body
            }
            IpNet::V6($p) => {
                let $trie = &mut $self.v6;
                $body
            }
        }
    };
}

/// Runs `$body` with `$trie` the trie `$r` refers to, `$slot` its slot and
/// `$wrap` the `IpNet` constructor of the family.
macro_rules! by_ref {
    ($self:ident, $r:expr, |$trie:ident, $slot:ident, $wrap:ident| $body:expr) => {
        if $r.is_v6() {
            let $trie = &mut $self.v6;
            let $slot = $r.slot();
            let $wrap = IpNet::V6;
            $body
        } else {
            let $trie = &mut $self.v4;
            let $slot = $r.slot();
            let $wrap = IpNet::V4;
            $body
        }
    };
}

/// # Construction and peers
impl Rib {
    /// An empty RIB.
    pub fn new(cfg: RibConfig) -> Self {
        let local = PeerInfo {
            address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            local_address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            asn: cfg.local_asn,
            local_asn: cfg.local_asn,
            router_id: cfg.router_id,
            role: None,
        };
        let mut v4 = PrefixTrie::new();
        if cfg.ipv4_lpm_index {
            v4.enable_lpm_index();
        }
        Self {
            v4,
            v6: PrefixTrie::new(),
            st: State {
                cfg,
                attrs: AttrTable::default(),
                peers: vec![Some(Peer::new(PeerConfig::new(local)))],
                resolver: None,
                loc_dirty: Vec::new(),
                out_log: Vec::new(),
                out_base: 0,
                max_cursor: 0,
                compact_at: 0,
                established: 0,
                loc_gen: 0,
                hints: Vec::new(),
                nlri: Vec::new(),
                hint_keys4: Vec::new(),
                hint_keys6: Vec::new(),
                held: Held::default(),
            },
        }
    }

    /// Sets the next-hop resolver and re-runs the decision process.
    pub fn set_resolver(&mut self, r: impl NextHopResolver + Send + Sync + 'static) {
        self.st.resolver = Some(Box::new(r));
        self.next_hops_changed();
    }

    /// Re-runs the decision process everywhere, after the resolver's
    /// answers changed.
    pub fn next_hops_changed(&mut self) {
        self.walk(|st, _, r, e| {
            if !e.paths.is_empty() {
                st.recompute(r, e, false);
            }
        });
    }

    /// Adds a peer (its session not yet up).
    pub fn add_peer(&mut self, cfg: PeerConfig) -> Result<PeerId, RibError> {
        let i = self.st.peers.len();
        let i = u16::try_from(i).map_err(|_| RibError::TooManyPeers)?;
        self.st.peers.push(Some(Peer::new(cfg)));
        Ok(PeerId(i))
    }

    /// How many routes of `family` `peer` has in the RIB: sent, accepted
    /// and advertised ([`PeerCounts`]). Constant time. All 0 for a family
    /// other than IPv4 and IPv6 unicast, which the RIB does not hold.
    pub fn peer_counts(&self, peer: PeerId, family: Family) -> Result<PeerCounts, RibError> {
        let p = self.st.peer_ref(peer)?;
        Ok(family_slot(family).map_or_else(PeerCounts::default, |i| p.counts[i]))
    }

    /// Removes a peer and everything it sent and was sent.
    pub fn remove_peer(&mut self, peer: PeerId) -> Result<(), RibError> {
        self.peer_down(peer)?;
        self.sweep(peer.0, [true, true], Sweep::All);
        self.st.peers[peer.index()] = None;
        Ok(())
    }

    /// The configuration of a peer.
    pub fn peer_config(&self, peer: PeerId) -> Result<&PeerConfig, RibError> {
        Ok(&self.st.peer_ref(peer)?.cfg)
    }

    /// The session with `peer` is established: its Adj-RIB-Out will be
    /// filled by the next [`drain_adj_rib_out`](Self::drain_adj_rib_out).
    pub fn peer_up(&mut self, peer: PeerId) -> Result<(), RibError> {
        let end = self.st.out_base + self.st.out_log.len() as u64;
        let p = self.st.peer_mut(peer)?;
        if !p.established {
            p.established = true;
            p.full_sync = true;
            p.cursor = end;
            p.default_gen = u64::MAX;
            self.st.established += 1;
            self.st.max_cursor = self.st.max_cursor.max(end);
        }
        Ok(())
    }

    /// The session went down: its paths are withdrawn (stale paths kept by
    /// [`peer_down_graceful`](Self::peer_down_graceful) or
    /// [`mark_stale`](Self::mark_stale) stay until swept) and its
    /// Adj-RIB-Out is emptied without sending anything.
    pub fn peer_down(&mut self, peer: PeerId) -> Result<(), RibError> {
        self.session_down(peer)?;
        self.sweep(peer.0, [true, true], Sweep::Fresh);
        Ok(())
    }

    /// The session went down and the peer is restarting gracefully
    /// ([RFC 4724 §4.2]): its paths of `families` are kept but marked
    /// stale until its End-of-RIB for the family arrives or `deadline`
    /// passes ([`handle_timeout`](Self::handle_timeout)); the others are
    /// withdrawn.
    ///
    /// [RFC 4724 §4.2]: https://www.rfc-editor.org/rfc/rfc4724#section-4.2
    pub fn peer_down_graceful(
        &mut self,
        peer: PeerId,
        families: bgp_wire::FamilySet,
        deadline: Option<Instant>,
    ) -> Result<(), RibError> {
        self.session_down(peer)?;
        let mut keep = [false; 2];
        for f in families.iter() {
            if let Some(i) = family_slot(f) {
                keep[i] = true;
            }
        }
        self.sweep(peer.0, [!keep[0], !keep[1]], Sweep::All);
        for (i, k) in keep.into_iter().enumerate() {
            if k {
                self.mark_stale_slot(peer.0, i, deadline);
            }
        }
        Ok(())
    }

    /// Marks every path of `peer` in `family` stale, to be swept at its
    /// End-of-RIB or at `deadline` (graceful restart, or an enhanced route
    /// refresh's BoRR, [RFC 7313 §4]).
    ///
    /// [RFC 7313 §4]: https://www.rfc-editor.org/rfc/rfc7313#section-4
    pub fn mark_stale(
        &mut self,
        peer: PeerId,
        family: Family,
        deadline: Option<Instant>,
    ) -> Result<(), RibError> {
        self.st.peer_ref(peer)?;
        self.apply_held();
        if let Some(i) = family_slot(family) {
            self.mark_stale_slot(peer.0, i, deadline);
        }
        Ok(())
    }

    /// The peer's End-of-RIB for `family` arrived ([RFC 4724 §2]): its
    /// paths still stale are withdrawn.
    ///
    /// [RFC 4724 §2]: https://www.rfc-editor.org/rfc/rfc4724#section-2
    pub fn end_of_rib(&mut self, peer: PeerId, family: Family) -> Result<(), RibError> {
        let p = self.st.peer_mut(peer)?;
        if p.defers() {
            if let Some(i) = family_slot(family) {
                p.defer[i] = false;
            }
            self.apply_held();
        }
        if let Some(i) = family_slot(family) {
            let mut fams = [false; 2];
            fams[i] = true;
            if self.st.peer(peer.0).may_be_stale[i] {
                self.sweep(peer.0, fams, Sweep::Stale);
            }
            if let Ok(p) = self.st.peer_mut(peer) {
                p.stale_deadline[i] = None;
            }
        }
        Ok(())
    }

    /// The earliest graceful-restart deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.st
            .peers
            .iter()
            .flatten()
            .flat_map(|p| p.stale_deadline.iter().flatten())
            .min()
            .copied()
    }

    /// Sweeps the stale paths whose deadline is at or before `now`. Calling
    /// it early or twice does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut due = Vec::new();
        for (i, p) in self.st.peers.iter_mut().enumerate() {
            if let Some(p) = p {
                for (f, d) in p.stale_deadline.iter_mut().enumerate() {
                    if d.is_some_and(|d| d <= now) {
                        *d = None;
                        due.push((i as u16, f));
                    }
                }
            }
        }
        if !due.is_empty() {
            self.apply_held();
        }
        for (peer, f) in due {
            let mut fams = [false; 2];
            fams[f] = true;
            self.sweep(peer, fams, Sweep::Stale);
        }
    }

    /// Replaces a peer's export policy; its whole Adj-RIB-Out is
    /// re-evaluated at the next drain.
    pub fn set_export_policy(
        &mut self,
        peer: PeerId,
        policy: SharedPolicy,
    ) -> Result<(), RibError> {
        let p = self.st.peer_mut(peer)?;
        p.cfg.export = policy;
        p.full_sync = p.established;
        p.default_gen = u64::MAX;
        Ok(())
    }

    /// Replaces a peer's import policy. With soft-reconfiguration inbound
    /// every route it sent is evaluated again now; without, the caller must
    /// ask the peer to resend (ROUTE-REFRESH).
    ///
    /// The receive checks run once per stored attribute set. A policy that
    /// permits a family entirely ([`Policy::permits_all`]) is not asked
    /// about its routes; one whose answer ignores the prefix
    /// ([`Policy::ignores_prefix`]) is asked once per attribute set and
    /// family, and its answer goes to every route with that set.
    ///
    /// [`Policy::permits_all`]: crate::policy::Policy::permits_all
    /// [`Policy::ignores_prefix`]: crate::policy::Policy::ignores_prefix
    pub fn set_import_policy(
        &mut self,
        peer: PeerId,
        policy: SharedPolicy,
    ) -> Result<Reconfigured, RibError> {
        self.st.peer_ref(peer)?;
        self.apply_held();
        let p = self.st.peer_mut(peer)?;
        p.cfg.import = policy;
        if !p.cfg.soft_reconfiguration_inbound {
            return Ok(Reconfigured::RouteRefreshNeeded);
        }
        // The pre-policy routes: those kept apart (`true`), and those
        // their paths carry. A path that changes or goes below hands its
        // route over to the map itself (`upsert`, `remove_path`).
        let p = self.st.peer_ref(peer)?;
        let mut all: Vec<((IpNet, Option<u32>), AttrId, bool)> =
            p.pre.iter().map(|(k, v)| (*k, *v, true)).collect();
        self.for_each_entry_of(peer, |prefix, e| {
            for x in e.paths.iter() {
                if x.peer == peer.0 && x.flags & P_PRE != 0 {
                    all.push(((prefix, x.path_id()), x.attrs, false));
                }
            }
        });
        // In prefix order (IPv4 first), as `(IpNet, Option<u32>)` orders
        // them, but compared as integers: `IpNet`'s own comparison took two
        // thirds of the instructions of a full table's re-evaluation.
        all.sort_unstable_by_key(|&((prefix, path_id), _, _)| match prefix {
            IpNet::V4(n) => (
                false,
                u128::from(n.addr().to_bits()),
                n.prefix_len(),
                path_id,
            ),
            IpNet::V6(n) => (true, n.addr().to_bits(), n.prefix_len(), path_id),
        });
        // Per family: asked once per checked set (as `import_many` asks once
        // per UPDATE), not at all, or about every path.
        let shared =
            [Family::IPV4_UNICAST, Family::IPV6_UNICAST].map(|fam| batch_mode(&p.cfg.import, fam));
        let mut checked: FxHashMap<AttrId, Option<AttrId>> = FxHashMap::default();
        // The policy's answer per (checked set, family), with a reference
        // held for each set to store.
        let mut answers: FxHashMap<(AttrId, usize), Option<AttrId>> = FxHashMap::default();
        // Routes kept apart that the new policy passes unchanged.
        let mut settle = Vec::new();
        for ((prefix, path_id), raw, apart) in all {
            let c = match checked.get(&raw) {
                Some(c) => *c,
                None => {
                    let a = (**self.st.attrs.get(raw)).clone();
                    let c = self
                        .st
                        .ingress(peer.0, a)
                        .map(|a| self.st.attrs.intern(a, 0));
                    checked.insert(raw, c);
                    c
                }
            };
            let Some(id) = c else {
                self.remove_path(peer.0, prefix, path_id);
                continue;
            };
            let f = family_index(&prefix);
            let stored = match shared[f] {
                None => {
                    // The stored set, with the reference `upsert` takes.
                    self.import_answer(peer.0, prefix, path_id, id, Source::Bgp)
                }
                Some(all) => {
                    let answer = match answers.get(&(id, f)) {
                        Some(a) => *a,
                        None => {
                            let a = self.batch_answer(peer.0, all, prefix, path_id, id);
                            answers.insert((id, f), a);
                            a
                        }
                    };
                    if let Some(w) = answer {
                        self.st.attrs.retain(w);
                    }
                    answer
                }
            };
            match stored {
                Some(w) => self.upsert(peer.0, prefix, path_id, w, Source::Bgp, InsertHint::NONE),
                None => self.remove_path(peer.0, prefix, path_id),
            }
            if apart && stored == Some(raw) {
                settle.push((prefix, path_id));
            }
        }
        for c in answers.into_values().chain(checked.into_values()).flatten() {
            self.st.attrs.release(c);
        }
        self.settle_pre(peer.0, settle.into_iter());
        // A map emptied by a policy that no longer changes routes gives
        // its memory back.
        let pre = &mut self.st.peer_mut(peer)?.pre;
        if pre.len() < pre.capacity() / 4 {
            pre.shrink_to_fit();
        }
        Ok(Reconfigured::Reevaluated)
    }
}

/// # Routes in
impl Rib {
    /// Applies a parsed UPDATE from `peer`: withdrawals, announcements of
    /// IPv4 and IPv6 unicast (NLRI field and MP_REACH/MP_UNREACH), its
    /// [RFC 7606] action (treat-as-withdraw: its prefixes are withdrawn;
    /// AFI/SAFI disable: every route of the family from the peer is
    /// withdrawn), and End-of-RIB.
    ///
    /// [RFC 7606]: https://www.rfc-editor.org/rfc/rfc7606#section-2
    pub fn update(&mut self, peer: PeerId, u: &Update<'_>) -> Result<(), RibError> {
        self.st.peer_ref(peer)?;
        if let Some(f) = u.end_of_rib() {
            return self.end_of_rib(peer, f);
        }
        // RFC 7606 §3 (j): AFI/SAFI disable withdraws every route of the
        // family from this peer; the caller stops using the family.
        if u.action() == Action::AfiSafiDisable {
            self.apply_held();
            if let Some(i) = u
                .error()
                .and_then(|e| e.kind.family())
                .and_then(family_slot)
            {
                let mut fams = [false; 2];
                fams[i] = true;
                self.sweep(peer.0, fams, Sweep::All);
            }
        }
        let withdraw_all = matches!(
            u.action(),
            Action::TreatAsWithdraw | Action::AfiSafiDisable | Action::SessionReset
        );
        // One scratch vector for the NLRI lists, kept between calls.
        let mut nlri = std::mem::take(&mut self.st.nlri);
        let r = self.update_lists(peer, u, withdraw_all, &mut nlri);
        nlri.clear();
        self.st.nlri = nlri;
        r
    }

    /// The withdrawals and announcements of [`update`](Self::update).
    fn update_lists(
        &mut self,
        peer: PeerId,
        u: &Update<'_>,
        withdraw_all: bool,
        nlri: &mut Vec<Nlri>,
    ) -> Result<(), RibError> {
        nlri.clear();
        nlri.extend(u.withdrawn());
        self.withdraw(peer, nlri)?;
        if let Some(m) = u.mp_unreach() {
            if family_slot(m.family()).is_some() {
                nlri.clear();
                nlri.extend(m.prefixes().into_iter().flatten());
                self.withdraw(peer, nlri)?;
            }
        }
        nlri.clear();
        nlri.extend(u.announced());
        if !nlri.is_empty() {
            if withdraw_all {
                self.withdraw(peer, nlri)?;
            } else {
                self.announce(peer, RouteAttrs::from_update(u, Family::IPV4_UNICAST), nlri)?;
            }
        }
        if let Some(m) = u.mp_reach() {
            if family_slot(m.family()).is_some() {
                nlri.clear();
                nlri.extend(m.prefixes().into_iter().flatten());
                if withdraw_all {
                    self.withdraw(peer, nlri)?;
                } else {
                    self.announce(peer, RouteAttrs::from_update(u, m.family()), nlri)?;
                }
            }
        }
        Ok(())
    }

    /// `peer` announces `nlri` with `attrs` (one UPDATE's worth: the set is
    /// checked and interned once). Each route passes the receive checks
    /// (AS-path loop with `allowas-in`, ORIGINATOR_ID and CLUSTER_LIST
    /// loops of [RFC 4456 §8], the OTC rules of [RFC 9234 §5]), then the
    /// import policy; a route that fails either replaces the peer's
    /// previous path as a withdrawal would.
    ///
    /// [RFC 4456 §8]: https://www.rfc-editor.org/rfc/rfc4456#section-8
    /// [RFC 9234 §5]: https://www.rfc-editor.org/rfc/rfc9234#section-5
    pub fn announce(
        &mut self,
        peer: PeerId,
        attrs: RouteAttrs,
        nlri: &[Nlri],
    ) -> Result<(), RibError> {
        let p = self.st.peer_ref(peer)?;
        let soft = p.cfg.soft_reconfiguration_inbound && peer != PeerId::LOCAL;
        let defer = p.defers();
        let raw = soft.then(|| self.st.attrs.intern_ref(&attrs, 0));
        let checked = self.st.ingress(peer.0, attrs);
        let id = checked.map(|a| self.st.attrs.intern(a, 0));
        if let Some(r) = raw {
            // Kept apart for now; `settle_pre` below moves those that
            // the policy passes unchanged onto their paths.
            for n in nlri {
                let key = (n.prefix.trunc(), n.path_id);
                let was = self.take_pre(peer.0, key);
                self.st.attrs.retain(r);
                let p = self.st.peer_mut(peer)?;
                p.pre.insert(key, r);
                if !was {
                    p.counts[family_index(&n.prefix)].received += 1;
                }
            }
        }
        match id {
            _ if defer => {
                for n in nlri {
                    if let Some(id) = id {
                        self.st.attrs.retain(id);
                    }
                    self.hold(peer.0, n, id);
                }
            }
            Some(id) => self.import_many(peer.0, nlri, id),
            None => {
                for n in nlri {
                    self.remove_path(peer.0, n.prefix, n.path_id);
                }
            }
        }
        if raw.is_some() && !defer {
            self.settle_pre(peer.0, nlri.iter().map(|n| (n.prefix.trunc(), n.path_id)));
        }
        for i in raw.into_iter().chain(id) {
            self.st.attrs.release(i);
        }
        Ok(())
    }

    /// `peer` withdraws `nlri`.
    pub fn withdraw(&mut self, peer: PeerId, nlri: &[Nlri]) -> Result<(), RibError> {
        let defer = self.st.peer_ref(peer)?.defers();
        for n in nlri {
            if self.take_pre(peer.0, (n.prefix.trunc(), n.path_id)) {
                self.st.counts(peer.0, family_index(&n.prefix)).received -= 1;
            }
            if defer {
                self.hold(peer.0, n, None);
            } else {
                self.remove_path(peer.0, n.prefix, n.path_id);
            }
        }
        Ok(())
    }

    /// Originates `prefix` here (a `network` statement, a redistributed or
    /// aggregate route), with weight 32768 as FRR gives local routes.
    /// Without a next hop, each peer gets ours.
    pub fn originate(&mut self, prefix: IpNet, attrs: RouteAttrs, source: Source) {
        let id = self.st.attrs.intern(attrs, 32768);
        self.upsert(0, prefix.trunc(), None, id, source, InsertHint::NONE);
    }

    /// Stops originating `prefix`.
    pub fn withdraw_originated(&mut self, prefix: IpNet) {
        self.remove_path(0, prefix.trunc(), None);
    }
}

/// # Initial tables
impl Rib {
    /// Holds `peer`'s routes back from the decision process until its
    /// End-of-RIB ([RFC 4724 §2]) for each of `families` (IPv4 and IPv6
    /// unicast count; others are ignored), then applies them in prefix
    /// order: the bulk load of a full table, which then costs about half
    /// of what the same routes cost one UPDATE at a time in the order a
    /// peer sends them (see the `held` module). Call it when the session
    /// comes up, before its first UPDATE. FRR's `update-delay` holds the
    /// decision process back the same way, for every peer at start-up.
    ///
    /// While routes are held, [`update`](Self::update),
    /// [`announce`](Self::announce) and [`withdraw`](Self::withdraw)
    /// from the peer only record them (and the pre-policy Adj-RIB-In, with
    /// soft-reconfiguration inbound); the queries and the change streams
    /// show the RIB without them. Everything that depends on what a peer
    /// sent first applies every held route: the End-of-RIB of a deferring
    /// peer (it also ends that family's deferral), the session going down,
    /// [`mark_stale`](Self::mark_stale), a graceful-restart deadline, a new
    /// import policy, an AFI/SAFI disable. A peer that never sends
    /// End-of-RIB needs the caller's deadline:
    /// [`apply_deferred`](Self::apply_deferred).
    ///
    /// [RFC 4724 §2]: https://www.rfc-editor.org/rfc/rfc4724#section-2
    pub fn defer_until_end_of_rib(
        &mut self,
        peer: PeerId,
        families: bgp_wire::FamilySet,
    ) -> Result<(), RibError> {
        let p = self.st.peer_mut(peer)?;
        for f in families.iter() {
            if let Some(i) = family_slot(f) {
                p.defer[i] = true;
            }
        }
        Ok(())
    }

    /// Applies every held route now, in prefix order, and ends every
    /// peer's deferral (the caller's deadline for a peer that sends no
    /// End-of-RIB, or a bound on the routes held).
    pub fn apply_deferred(&mut self) {
        self.apply_held();
        for p in self.st.peers.iter_mut().flatten() {
            p.defer = [false; 2];
        }
    }

    /// The number of route operations (announcements and withdrawals)
    /// held by [`defer_until_end_of_rib`](Self::defer_until_end_of_rib).
    pub fn deferred_len(&self) -> usize {
        self.st.held.len()
    }

    /// Records one operation of a deferring peer; `id` is a reference the
    /// held operation keeps.
    fn hold(&mut self, peer: u16, n: &Nlri, id: Option<AttrId>) {
        let (prefix, op) = (
            n.prefix.trunc(),
            HeldOp {
                path_id: n.path_id,
                attrs: id,
            },
        );
        if !self.st.held.push(peer, prefix, op) {
            // The peer's arrival numbers are used up (32 Mi operations).
            self.apply_held();
            let held = self.st.held.push(peer, prefix, op);
            debug_assert!(held, "an empty buffer takes one operation");
        }
    }

    /// Applies the held routes in prefix order (deferrals go on).
    fn apply_held(&mut self) {
        // How many operations ahead the attribute slot is prefetched: the
        // sets of neighbouring prefixes are scattered over the table.
        const AHEAD: usize = 8;
        if self.st.held.is_empty() {
            return;
        }
        let mut sorted = self.st.held.take_sorted();
        for k in 0..AHEAD {
            if let Some(id) = sorted.attrs_ahead(k) {
                self.st.attrs.prefetch(id);
            }
        }
        while let Some((peer, prefix, op)) = sorted.next() {
            if let Some(id) = sorted.attrs_ahead(AHEAD - 1) {
                self.st.attrs.prefetch(id);
            }
            match op.attrs {
                Some(id) => {
                    self.import_one(peer, prefix, op.path_id, id, Source::Bgp, InsertHint::NONE);
                    self.st.attrs.release(id);
                }
                None => self.remove_path(peer, prefix, op.path_id),
            }
        }
        self.st.held.recycle(sorted);
    }
}

/// # Changes out
impl Rib {
    /// The Loc-RIB changes since the last call, for programming a FIB.
    /// Always empty while [`RibConfig::loc_rib_changes`] is off.
    pub fn drain_loc_rib(&mut self) -> Vec<LocRibChange> {
        // Each change reads its best path's attribute slot, then the set
        // (its reference count): for the changes of a table applied in
        // prefix order both are scattered, so the slot is prefetched
        // `AHEAD` changes before it is used and the set `AHEAD / 2`.
        const AHEAD: usize = 16;
        let dirty = std::mem::take(&mut self.st.loc_dirty);
        let mut out = Vec::with_capacity(dirty.len());
        // Entries kept only for this drain go after it, together.
        let (mut dead4, mut dead6) = (Vec::new(), Vec::new());
        let best_of = |rib: &Self, r: Option<&SlotRef>| {
            let r = r?;
            let e = if r.is_v6() {
                rib.v6.value_in_slot(r.slot())
            } else {
                rib.v4.value_in_slot(r.slot())
            };
            Some(e?.best()?.attrs)
        };
        for (i, &r) in dirty.iter().enumerate() {
            if let Some(id) = best_of(self, dirty.get(i + AHEAD)) {
                self.st.attrs.prefetch(id);
            }
            if let Some(id) = best_of(self, dirty.get(i + AHEAD / 2)) {
                self.st.attrs.prefetch_set(id);
            }
            let st = &mut self.st;
            by_ref!(self, r, |trie, slot, wrap| {
                // Invariant: a dirty entry is not removable, so its slot
                // still holds it.
                let Some((p, e)) = trie.by_slot_mut(slot) else {
                    continue;
                };
                let prefix = wrap(p);
                e.clear_flags(E_LOC_DIRTY);
                let paths = st.selected(e);
                if paths.is_empty() {
                    if e.flags() & E_FIB != 0 {
                        e.clear_flags(E_FIB);
                        out.push(LocRibChange {
                            prefix,
                            paths,
                            step: None,
                        });
                    }
                } else {
                    e.set_flags(E_FIB);
                    let step = st.step_of(e);
                    out.push(LocRibChange {
                        prefix,
                        paths,
                        step,
                    });
                }
                if e.removable() {
                    match prefix {
                        IpNet::V4(p) => dead4.push(p),
                        IpNet::V6(p) => dead6.push(p),
                    }
                }
            });
        }
        remove_all(&mut self.v4, dead4);
        remove_all(&mut self.v6, dead6);
        out
    }

    /// Stops (`false`) or resumes (`true`) keeping the Loc-RIB change
    /// stream ([`RibConfig::loc_rib_changes`]). Turning it off drops the
    /// changes not yet drained. Turning it on starts a fresh stream from
    /// the Loc-RIB as it is then: the caller reads [`loc_rib`](Self::loc_rib)
    /// first, and a prefix appears in the stream the next time its
    /// selection changes (its deletion included). Both directions walk
    /// every prefix once.
    pub fn set_loc_rib_changes(&mut self, on: bool) {
        if on == self.st.cfg.loc_rib_changes {
            return;
        }
        self.st.cfg.loc_rib_changes = on;
        if on {
            // The caller's FIB now holds the Loc-RIB as it is: each prefix
            // with a best path counts as reported, so that its deletion
            // will be.
            let mark = |e: &mut Entry| {
                if e.best().is_some() {
                    e.set_flags(E_FIB);
                }
            };
            self.v4.for_each_slot_mut(|_, _, e| mark(e));
            self.v6.for_each_slot_mut(|_, _, e| mark(e));
            return;
        }
        // Forget what the stream knew: no entry is dirty or reported to a
        // FIB any more, and the ones kept only for that go.
        self.st.loc_dirty = Vec::new();
        let unmark = |e: &mut Entry| {
            e.clear_flags(E_LOC_DIRTY | E_FIB);
            e.removable()
        };
        let (mut gone4, mut gone6) = (Vec::new(), Vec::new());
        self.v4.for_each_slot_mut(|_, p, e| {
            if unmark(e) {
                gone4.push(p);
            }
        });
        self.v6.for_each_slot_mut(|_, p, e| {
            if unmark(e) {
                gone6.push(p);
            }
        });
        remove_all(&mut self.v4, gone4);
        remove_all(&mut self.v6, gone6);
    }

    /// What changed in `peer`'s Adj-RIB-Out since its last drain: the
    /// routes to announce grouped by attribute set, and the withdrawals.
    /// Empty while the session is down.
    pub fn drain_adj_rib_out(&mut self, peer: PeerId) -> Result<AdjRibOutChanges, RibError> {
        let t = peer.0;
        let mut acc = OutAcc::new(peer);
        let p = self.st.peer_ref(peer)?;
        if !p.established {
            return Ok(acc.finish());
        }
        let full = p.full_sync;
        let families = p.cfg.families;
        let has_default = p.cfg.default_originate.is_some();
        let single = !p.cfg.route_server_client && p.cfg.add_path_send == AddPathSend::Single;
        // Whether `e` may have anything for `t` to be sent or withdrawn: a
        // cheap test that spares the export work for the prefixes `t` was
        // never sent and cannot be (its own routes, under the usual
        // single-path export), e.g. everything a router's only peer sent it.
        // `export` decides the rest.
        let wanted = |e: &Entry| {
            e.out.iter().any(|o| o.peer == t)
                || if single {
                    e.best().is_some_and(|b| b.peer != t)
                } else {
                    e.paths
                        .iter()
                        .any(|x| x.flags & P_ELIGIBLE != 0 && x.peer != t)
                }
        };
        // (prefix, slot): in prefix order, once each.
        let mut items: Vec<(IpNet, Option<SlotRef>)> = Vec::new();
        if full {
            // Under an export policy that names the only prefixes it can
            // permit, only those are looked at, and the prefixes the peer
            // holds (found through its chunks), whose withdrawal the
            // policy may now ask for: a host sent the default route costs
            // that route, also when its policy is replaced.
            let bounds = [(0, Family::IPV4_UNICAST), (1, Family::IPV6_UNICAST)].map(|(i, f)| {
                if !families.contains(f) {
                    return None;
                }
                p.cfg
                    .export
                    .permitted_prefixes(f)
                    .filter(|r| r.len() <= MAX_BOUND_RANGES)
                    .map(|r| (r, p.counts[i].advertised != 0))
            });
            if bounds.iter().all(Option::is_none) {
                items.reserve(self.v4.len() + self.v6.len());
            }
            if families.contains(Family::IPV4_UNICAST) {
                let sent = (p.chunks[0].as_slice(), t);
                full_sync_items(&self.v4, bounds[0].as_ref(), sent, &wanted, &mut items);
            }
            if families.contains(Family::IPV6_UNICAST) {
                let sent = (p.chunks[1].as_slice(), t);
                full_sync_items(&self.v6, bounds[1].as_ref(), sent, &wanted, &mut items);
            }
            if bounds.iter().any(Option::is_some) {
                // Ranges come in any order and may overlap.
                items.sort_unstable_by_key(|x| x.0);
                items.dedup_by_key(|x| x.0);
            }
            // Prefixes of the other families that the peer was sent
            // before are not possible: families do not change.
        } else {
            let cursor = p.cursor;
            let start = (cursor - self.st.out_base) as usize;
            for (k, &r) in self.st.out_log[start..].iter().enumerate() {
                let got = if r.is_v6() {
                    self.v6.by_slot(r.slot()).map(|(q, e)| (IpNet::V6(q), e))
                } else {
                    self.v4.by_slot(r.slot()).map(|(q, e)| (IpNet::V4(q), e))
                };
                // Only the entry's latest record counts: that drops the
                // repeats, and the records of removed entries whose slot
                // went to another prefix since.
                if let Some((q, e)) = got {
                    if e.logged_at() == cursor + k as u64 + 1 && wanted(e) {
                        items.push((q, Some(r)));
                    }
                }
            }
            items.sort_unstable_by_key(|x| x.0);
        }
        if has_default {
            self.refresh_default_condition(t);
            let d4 = IpNet::V4(Ipv4Net::default());
            let d6 = IpNet::V6(Ipv6Net::default());
            let s4 = self.v4.slot_of(&Ipv4Net::default());
            let s6 = self.v6.slot_of(&Ipv6Net::default());
            items.push((d4, s4.map(|s| SlotRef::new(&d4, s))));
            items.push((d6, s6.map(|s| SlotRef::new(&d6, s))));
            items.sort_by_key(|x| x.0);
            items.dedup_by_key(|x| x.0);
        }
        {
            let end = self.st.out_base + self.st.out_log.len() as u64;
            let p = self.st.peer_mut(peer)?;
            p.full_sync = false;
            p.cursor = end;
            self.st.max_cursor = self.st.max_cursor.max(end);
            self.st.compact_log();
        }
        let mut cache = ExportCache::default();
        for (prefix, r) in items {
            let st = &mut self.st;
            by_family!(self, prefix, |trie, p| {
                // The slot, if it still holds `p` (a default-originate
                // entry made in this loop may have reused a freed one).
                let slot = r
                    .map(SlotRef::slot)
                    .filter(|&s| trie.by_slot(s).is_some_and(|(q, _)| q == p))
                    .or_else(|| trie.slot_of(&p));
                let e = slot.and_then(|s| trie.by_slot(s)).map(|x| x.1);
                let desired = st.export(t, prefix, e, &mut cache);
                if desired.is_empty() && e.is_none_or(|e| e.out.iter().all(|o| o.peer != t)) {
                    continue;
                }
                let (slot, e) = match slot.and_then(|s| Some((s, trie.by_slot_mut(s)?.1))) {
                    Some(x) => x,
                    None => trie.get_or_insert_slot_with(p, Entry::default),
                };
                st.reconcile(t, prefix, slot, e, desired, &mut acc);
                if e.removable() {
                    trie.remove(p);
                }
            });
        }
        cache.release(&mut self.st.attrs);
        Ok(acc.finish())
    }
}

/// # Queries
impl Rib {
    /// The best path for exactly `prefix`.
    pub fn best(&self, prefix: &IpNet) -> Option<RoutePath> {
        let e = self.entry(prefix)?;
        let b = e.paths.iter().find(|p| p.flags & P_BEST != 0)?;
        Some(self.st.route_path(b))
    }

    /// The best and multipath paths for exactly `prefix`, best first.
    pub fn selected(&self, prefix: &IpNet) -> Vec<RoutePath> {
        self.entry(prefix)
            .map(|e| self.st.selected(e).into_vec())
            .unwrap_or_default()
    }

    /// Every path to `prefix` of every peer (the Adj-RIBs-In after policy),
    /// in arrival order.
    pub fn paths(&self, prefix: &IpNet) -> Vec<RoutePath> {
        self.entry(prefix)
            .map(|e| e.paths.iter().map(|p| self.st.route_path(p)).collect())
            .unwrap_or_default()
    }

    /// The Loc-RIB route for the longest prefix covering `addr`.
    pub fn longest_match(&self, addr: IpAddr) -> Option<(IpNet, RoutePath)> {
        // A prefix whose paths are all ineligible has no best path; look
        // further up then.
        match addr {
            IpAddr::V4(a) => {
                let host = Ipv4Net::from(a);
                let (p, e) = self.v4.longest_match(&host)?;
                if let Some(b) = e.paths.iter().find(|p| p.flags & P_BEST != 0) {
                    return Some((IpNet::V4(p), self.st.route_path(b)));
                }
                self.v4
                    .less_specifics(&host)
                    .into_iter()
                    .rev()
                    .find_map(|(p, e)| {
                        let b = e.paths.iter().find(|p| p.flags & P_BEST != 0)?;
                        Some((IpNet::V4(p), self.st.route_path(b)))
                    })
            }
            IpAddr::V6(a) => {
                let host = Ipv6Net::from(a);
                self.v6
                    .less_specifics(&host)
                    .into_iter()
                    .rev()
                    .find_map(|(p, e)| {
                        let b = e.paths.iter().find(|p| p.flags & P_BEST != 0)?;
                        Some((IpNet::V6(p), self.st.route_path(b)))
                    })
            }
        }
    }

    /// The best path's attributes for the longest prefix covering `addr`,
    /// by reference (what a forwarding lookup needs; no reference count is
    /// touched).
    #[inline]
    pub fn lookup(&self, addr: IpAddr) -> Option<(IpNet, PeerId, &Arc<RouteAttrs>)> {
        #[inline(always)]
        fn pick(e: &Entry) -> Option<Path> {
            e.best().copied()
        }
        match addr {
            IpAddr::V4(a) => {
                let host = Ipv4Net::from(a);
                if let Some((p, e)) = self.v4.longest_match(&host) {
                    if let Some(b) = pick(e) {
                        return Some((IpNet::V4(p), PeerId(b.peer), self.st.attrs.get(b.attrs)));
                    }
                }
                self.v4
                    .less_specifics(&host)
                    .into_iter()
                    .rev()
                    .find_map(|(p, e)| {
                        let b = pick(e)?;
                        Some((IpNet::V4(p), PeerId(b.peer), self.st.attrs.get(b.attrs)))
                    })
            }
            IpAddr::V6(a) => {
                let host = Ipv6Net::from(a);
                if let Some((p, e)) = self.v6.longest_match(&host) {
                    if let Some(b) = pick(e) {
                        return Some((IpNet::V6(p), PeerId(b.peer), self.st.attrs.get(b.attrs)));
                    }
                }
                self.v6
                    .less_specifics(&host)
                    .into_iter()
                    .rev()
                    .find_map(|(p, e)| {
                        let b = pick(e)?;
                        Some((IpNet::V6(p), PeerId(b.peer), self.st.attrs.get(b.attrs)))
                    })
            }
        }
    }

    /// The Loc-RIB: every prefix with a best path, IPv4 then IPv6, in
    /// prefix order.
    pub fn loc_rib(&self) -> impl Iterator<Item = (IpNet, RoutePath)> + '_ {
        let v4 = self.v4.iter().map(|(p, e)| (IpNet::V4(p), e));
        let v6 = self.v6.iter().map(|(p, e)| (IpNet::V6(p), e));
        v4.chain(v6).filter_map(|(p, e)| {
            let b = e.paths.iter().find(|x| x.flags & P_BEST != 0)?;
            Some((p, self.st.route_path(b)))
        })
    }

    /// The Loc-RIB routes covered by `prefix` (itself included).
    pub fn more_specifics(&self, prefix: &IpNet) -> Vec<(IpNet, RoutePath)> {
        let pick = |p: IpNet, e: &Entry| {
            let b = e.paths.iter().find(|x| x.flags & P_BEST != 0)?;
            Some((p, self.st.route_path(b)))
        };
        match prefix {
            IpNet::V4(q) => self
                .v4
                .more_specifics(q)
                .filter_map(|(p, e)| pick(IpNet::V4(p), e))
                .collect(),
            IpNet::V6(q) => self
                .v6
                .more_specifics(q)
                .filter_map(|(p, e)| pick(IpNet::V6(p), e))
                .collect(),
        }
    }

    /// The Loc-RIB routes covering `prefix` (itself included), shortest
    /// first.
    pub fn less_specifics(&self, prefix: &IpNet) -> Vec<(IpNet, RoutePath)> {
        let pick = |p: IpNet, e: &Entry| {
            let b = e.paths.iter().find(|x| x.flags & P_BEST != 0)?;
            Some((p, self.st.route_path(b)))
        };
        match prefix {
            IpNet::V4(q) => self
                .v4
                .less_specifics(q)
                .into_iter()
                .filter_map(|(p, e)| pick(IpNet::V4(p), e))
                .collect(),
            IpNet::V6(q) => self
                .v6
                .less_specifics(q)
                .into_iter()
                .filter_map(|(p, e)| pick(IpNet::V6(p), e))
                .collect(),
        }
    }

    /// A peer's Adj-RIB-In after policy, in prefix order. It costs the
    /// peer's routes, not the table: the RIB keeps, per peer, which parts
    /// of the table may hold its routes.
    pub fn adj_rib_in(&self, peer: PeerId) -> Vec<(Nlri, RoutePath)> {
        let mut v = Vec::new();
        self.for_each_entry_of(peer, |prefix, e| {
            for p in e.paths.iter().filter(|p| p.peer == peer.0) {
                v.push((
                    Nlri {
                        prefix,
                        path_id: p.path_id(),
                    },
                    self.st.route_path(p),
                ));
            }
        });
        // Stable: a prefix's paths stay in their order.
        v.sort_by_key(|x| x.0.prefix);
        v
    }

    /// A peer's Adj-RIB-In before policy (empty without
    /// soft-reconfiguration inbound), in prefix order.
    pub fn adj_rib_in_pre_policy(&self, peer: PeerId) -> Vec<(Nlri, Arc<RouteAttrs>)> {
        let Ok(p) = self.st.peer_ref(peer) else {
            return Vec::new();
        };
        let mut v: Vec<_> = p
            .pre
            .iter()
            .map(|(&(prefix, path_id), &id)| {
                (Nlri { prefix, path_id }, self.st.attrs.get(id).clone())
            })
            .collect();
        self.for_each_entry_of(peer, |prefix, e| {
            for x in e.paths.iter() {
                if x.peer == peer.0 && x.flags & P_PRE != 0 {
                    let n = Nlri {
                        prefix,
                        path_id: x.path_id(),
                    };
                    v.push((n, self.st.attrs.get(x.attrs).clone()));
                }
            }
        });
        v.sort_by_key(|x| x.0);
        v
    }

    /// What `peer` has been given by [`drain_adj_rib_out`](Self::drain_adj_rib_out)
    /// and not withdrawn since, in prefix order. It costs the peer's
    /// routes, not the table.
    pub fn adj_rib_out(&self, peer: PeerId) -> Vec<(Nlri, Arc<RouteAttrs>)> {
        let ap = self
            .st
            .peer_ref(peer)
            .is_ok_and(|p| p.cfg.add_path_send != AddPathSend::Single);
        let mut v = Vec::new();
        self.for_each_entry_of(peer, |prefix, e| {
            for o in e.out.iter().filter(|o| o.peer == peer.0) {
                let path_id = ap.then_some(o.out_path_id);
                v.push((Nlri { prefix, path_id }, self.st.attrs.get(o.attrs).clone()));
            }
        });
        v.sort_by_key(|x| x.0);
        v
    }

    /// The number of prefixes stored (IPv4, IPv6).
    pub fn prefix_count(&self) -> (usize, usize) {
        (self.v4.len(), self.v6.len())
    }

    /// Reserves room for at least `v4` more IPv4 and `v6` more IPv6
    /// prefixes (and, with [`RibConfig::loc_rib_changes`], as many Loc-RIB
    /// changes before the next [`drain_loc_rib`](Self::drain_loc_rib)), so
    /// that a table of that size grows no array as it arrives: for
    /// instance the size of a full table, or a peer's maximum-prefix limit,
    /// before its session comes up. Only the address space is taken; pages
    /// are touched as routes fill them.
    ///
    /// Without it the arrays grow by doubling, which costs nothing more
    /// while the allocator can move pages rather than copy them; in a glibc
    /// process that has freed a large block before, it copies, and a full
    /// table's insertion took about 1.3x as long (`benches/README.md`,
    /// session 18).
    pub fn reserve(&mut self, v4: usize, v6: usize) {
        self.v4.reserve(v4);
        self.v6.reserve(v6);
        if self.st.cfg.loc_rib_changes {
            self.st.loc_dirty.reserve(v4.saturating_add(v6));
        }
    }

    /// Gives back memory that no route uses now. The RIB keeps the memory
    /// of removed routes for the routes that come next: when the one peer
    /// of a table goes down, its prefixes' memory waits for the table to
    /// come back, as it does after a session reset, and refilling it then
    /// faults in no new pages (`benches/README.md`: a full table in 40%
    /// less time on its machine). Call this when a table is not expected
    /// back.
    pub fn shrink_to_fit(&mut self) {
        self.v4.shrink_to_fit();
        self.v6.shrink_to_fit();
        let st = &mut self.st;
        st.loc_dirty.shrink_to_fit();
        st.out_log.shrink_to_fit();
        st.hints.shrink_to_fit();
        st.nlri.shrink_to_fit();
        st.hint_keys4.shrink_to_fit();
        st.hint_keys6.shrink_to_fit();
    }

    /// The number of distinct attribute sets stored.
    pub fn attribute_sets(&self) -> usize {
        self.st.attrs.len()
    }

    /// The configuration.
    pub fn config(&self) -> &RibConfig {
        &self.st.cfg
    }
}

/// # Internals
impl Rib {
    fn entry(&self, prefix: &IpNet) -> Option<&Entry> {
        match prefix {
            IpNet::V4(p) => self.v4.get(&p.trunc()),
            IpNet::V6(p) => self.v6.get(&p.trunc()),
        }
    }

    /// Calls `f` on the entries that may hold a path or an Adj-RIB-Out
    /// record of `peer` (those in its [`Peer::chunks`]), in no particular
    /// order; on none for an unknown peer.
    fn for_each_entry_of(&self, peer: PeerId, mut f: impl FnMut(IpNet, &Entry)) {
        let Ok(p) = self.st.peer_ref(peer) else {
            return;
        };
        for_each_in_chunks(&self.v4, &p.chunks[0], |q, _, e| f(IpNet::V4(q), e));
        for_each_in_chunks(&self.v6, &p.chunks[1], |q, _, e| f(IpNet::V6(q), e));
    }

    /// Calls `f` on every entry (unordered), then drops the removable ones.
    fn walk(&mut self, mut f: impl FnMut(&mut State, IpNet, SlotRef, &mut Entry)) {
        let st = &mut self.st;
        let mut dead = Vec::new();
        self.v4.for_each_slot_mut(|s, p, e| {
            f(st, IpNet::V4(p), SlotRef(s), e);
            if e.removable() {
                dead.push(p);
            }
        });
        remove_all(&mut self.v4, dead);
        let mut dead = Vec::new();
        self.v6.for_each_slot_mut(|s, p, e| {
            f(st, IpNet::V6(p), SlotRef(s | V6_SLOT), e);
            if e.removable() {
                dead.push(p);
            }
        });
        remove_all(&mut self.v6, dead);
    }

    /// [`walk`](Self::walk) over the entries that may hold a path or an
    /// Adj-RIB-Out record of `peer` in the families flagged: the chunks of
    /// [`Peer::chunks`]. Chunks left with neither are unmarked.
    fn walk_peer(
        &mut self,
        peer: u16,
        fams: [bool; 2],
        mut f: impl FnMut(&mut State, IpNet, SlotRef, &mut Entry),
    ) {
        let Some(Some(p)) = self.st.peers.get_mut(usize::from(peer)) else {
            return;
        };
        let mut chunks = std::mem::take(&mut p.chunks);
        if fams[0] {
            walk_chunks(
                &mut self.v4,
                &mut chunks[0],
                &mut self.st,
                peer,
                &mut |st, q, s, e| f(st, IpNet::V4(q), SlotRef(s), e),
            );
        }
        if fams[1] {
            walk_chunks(
                &mut self.v6,
                &mut chunks[1],
                &mut self.st,
                peer,
                &mut |st, q, s, e| f(st, IpNet::V6(q), SlotRef(s | V6_SLOT), e),
            );
        }
        if let Some(Some(p)) = self.st.peers.get_mut(usize::from(peer)) {
            // `f` adds nothing of `peer`'s, so nothing was marked meanwhile.
            p.chunks = chunks;
        }
    }

    fn session_down(&mut self, peer: PeerId) -> Result<(), RibError> {
        self.st.peer_ref(peer)?;
        // What it sent before it went down counts (a graceful restart
        // keeps it as stale), so held routes are applied first.
        self.apply_held();
        let p = self.st.peer_mut(peer)?;
        p.defer = [false; 2];
        let was = std::mem::replace(&mut p.established, false);
        p.full_sync = false;
        // Both go below: the pre-policy routes now, the Adj-RIB-Out in
        // the walk.
        for c in &mut p.counts {
            c.received = 0;
            c.advertised = 0;
        }
        let pre = std::mem::take(&mut p.pre);
        if was {
            self.st.established -= 1;
        }
        for id in pre.into_values() {
            self.st.attrs.release(id);
        }
        let t = peer.0;
        // The Adj-RIB-Out of a closed session is empty; nothing is sent.
        // Its paths no longer stand for pre-policy routes.
        self.walk_peer(t, [true, true], |st, _, _, e| {
            for p in e.paths.iter_mut().filter(|p| p.peer == t) {
                p.flags &= !P_PRE;
            }
            e.out.retain(|o| {
                if o.peer == t {
                    st.attrs.release(o.attrs);
                    false
                } else {
                    true
                }
            });
        });
        self.st.compact_log();
        Ok(())
    }

    /// Removes `peer`'s paths (those `which` names) in the families flagged.
    fn sweep(&mut self, peer: u16, fams: [bool; 2], which: Sweep) {
        if which != Sweep::Fresh {
            if let Some(Some(p)) = self.st.peers.get_mut(usize::from(peer)) {
                for (m, f) in p.may_be_stale.iter_mut().zip(fams) {
                    *m &= !f;
                }
            }
        }
        self.walk_peer(peer, fams, |st, prefix, r, e| {
            let before = e.paths.len();
            let mut touched = false;
            e.paths.retain(|p| {
                let stale = p.flags & P_STALE != 0;
                let go = p.peer == peer
                    && match which {
                        Sweep::All => true,
                        Sweep::Stale => stale,
                        Sweep::Fresh => !stale,
                    };
                if go {
                    touched |= p.flags & (P_BEST | P_MULTI) != 0;
                    if p.flags & P_PRE != 0 {
                        // The pre-policy route stays (AFI/SAFI disable).
                        st.keep_pre(peer, (prefix, p.path_id()), p.attrs);
                    } else {
                        st.attrs.release(p.attrs);
                    }
                }
                !go
            });
            if e.paths.len() != before {
                st.counts(peer, family_index(&prefix)).accepted -= before - e.paths.len();
                st.recompute(r, e, touched);
            }
        });
    }

    fn mark_stale_slot(&mut self, peer: u16, fam: usize, deadline: Option<Instant>) {
        let mut fams = [false; 2];
        fams[fam] = true;
        self.walk_peer(peer, fams, |st, prefix, _, e| {
            for p in e.paths.iter_mut().filter(|p| p.peer == peer) {
                if p.flags & P_PRE != 0 {
                    // A stale path is not the route received since (an
                    // enhanced route refresh keeps the session up).
                    st.attrs.retain(p.attrs);
                    st.keep_pre(peer, (prefix, p.path_id()), p.attrs);
                }
                p.flags = (p.flags | P_STALE) & !P_PRE;
            }
        });
        if let Some(Some(p)) = self.st.peers.get_mut(usize::from(peer)) {
            p.stale_deadline[fam] = deadline;
            p.may_be_stale[fam] = true;
        }
    }

    /// [`PrefixTrie::insert_hints`] for `nlri` into `out` when they are of
    /// one family and scattered (most neighbours in different /16 blocks:
    /// a table sent in no particular order), so that their insertions walk
    /// cached nodes; else `out` is left empty (prefixes in order are
    /// better served by the trie's finger).
    fn insert_hints(&mut self, nlri: &[Nlri], out: &mut Vec<InsertHint>) {
        out.clear();
        if nlri.len() < 4 {
            return;
        }
        let top16 = |p: &IpNet| match p {
            IpNet::V4(p) => (u32::from(p.addr()) >> 16, false),
            IpNet::V6(p) => ((u128::from(p.addr()) >> 112) as u32, true),
        };
        let first = top16(&nlri[0].prefix);
        let (mut apart, mut prev) = (0, first);
        for n in &nlri[1..] {
            let t = top16(&n.prefix);
            if t.1 != first.1 {
                return;
            }
            apart += usize::from(t.0 != prev.0);
            prev = t;
        }
        if apart * 2 < nlri.len() {
            return;
        }
        /// The hints of `trie` for the prefixes of `nlri` of its family,
        /// collected in `keys` (scratch).
        fn hints<P: FamilyPrefix>(
            trie: &PrefixTrie<P, Entry>,
            keys: &mut Vec<P>,
            nlri: &[Nlri],
            out: &mut Vec<InsertHint>,
        ) {
            keys.clear();
            keys.extend(nlri.iter().filter_map(|n| P::of_net(n.prefix)));
            trie.insert_hints(keys, out);
        }
        if first.1 {
            hints(&self.v6, &mut self.st.hint_keys6, nlri, out);
        } else {
            hints(&self.v4, &mut self.st.hint_keys4, nlri, out);
        }
    }

    /// Runs the import policy on routes `nlri` from `peer`, all with the
    /// checked attributes `id` (borrowed), and stores or removes them. For
    /// a family the policy permits entirely ([`Policy::permits_all`]) the
    /// weighted set is found once for the whole batch and each route is
    /// stored without a policy call; for a family whose answer does not
    /// depend on the prefix ([`Policy::ignores_prefix`]) the policy is
    /// asked about the batch's first route of the family, and its answer
    /// (one interned set, or a denial) goes to all of them.
    ///
    /// [`Policy::permits_all`]: crate::Policy::permits_all
    /// [`Policy::ignores_prefix`]: crate::Policy::ignores_prefix
    fn import_many(&mut self, peer: u16, nlri: &[Nlri], id: AttrId) {
        let mut hints = std::mem::take(&mut self.st.hints);
        self.insert_hints(nlri, &mut hints);
        let import = &self.st.peer(peer).cfg.import;
        let mut batch = [Family::IPV4_UNICAST, Family::IPV6_UNICAST]
            .map(|fam| batch_mode(import, fam).map_or(Batch::Each, Batch::Unasked));
        for (i, n) in nlri.iter().enumerate() {
            let hint = hints.get(i).copied().unwrap_or(InsertHint::NONE);
            let f = family_index(&n.prefix);
            // The usual case first: the batch's set is known.
            if let Batch::Answered(Some(w)) = batch[f] {
                self.st.attrs.retain(w);
                self.upsert(peer, n.prefix, n.path_id, w, Source::Bgp, hint);
                continue;
            }
            let answer = match batch[f] {
                Batch::Each => {
                    self.import_one(peer, n.prefix, n.path_id, id, Source::Bgp, hint);
                    continue;
                }
                Batch::Unasked(all) => {
                    let a = self.batch_answer(peer, all, n.prefix, n.path_id, id);
                    batch[f] = Batch::Answered(a);
                    a
                }
                Batch::Answered(a) => a,
            };
            match answer {
                Some(w) => {
                    self.st.attrs.retain(w);
                    self.upsert(peer, n.prefix, n.path_id, w, Source::Bgp, hint);
                }
                None => self.remove_path(peer, n.prefix, n.path_id),
            }
        }
        for b in batch {
            if let Batch::Answered(Some(w)) = b {
                self.st.attrs.release(w);
            }
        }
        self.st.hints = hints;
    }

    /// The import policy's answer for a batch of `peer`'s routes of one
    /// family with set `id`, asked about one of them (`prefix`,
    /// `path_id`): with `all` (the policy permits the family) no call is
    /// needed. `None` for a denial, else the set to store, with a
    /// reference for the caller. `id` is borrowed.
    fn batch_answer(
        &mut self,
        peer: u16,
        all: bool,
        prefix: IpNet,
        path_id: Option<u32>,
        id: AttrId,
    ) -> Option<AttrId> {
        if all {
            let weight = self.st.peer(peer).cfg.weight;
            Some(self.st.attrs.with_weight(id, weight))
        } else {
            self.import_answer(peer, prefix.trunc(), path_id, id, Source::Bgp)
        }
    }

    /// Asks the import policy about one route: `None` when it is denied,
    /// else the (weighted, possibly modified) set to store, with a
    /// reference for the caller. `id` is borrowed.
    fn import_answer(
        &mut self,
        peer: u16,
        prefix: IpNet,
        path_id: Option<u32>,
        id: AttrId,
        source: Source,
    ) -> Option<AttrId> {
        let verdict = {
            let p = self.st.peer(peer);
            p.cfg.import.evaluate(&PolicyRoute {
                prefix,
                path_id,
                attrs: self.st.attrs.get(id),
                weight: u32::from(p.cfg.weight),
                source,
                direction: Direction::Import,
                peer: &p.cfg.info,
            })
        };
        match verdict {
            Verdict::Deny => None,
            Verdict::Permit => {
                let weight = self.st.peer(peer).cfg.weight;
                Some(self.st.attrs.with_weight(id, weight))
            }
            Verdict::Modified(m) => Some(
                self.st
                    .attrs
                    .intern(m.attrs, u16::try_from(m.weight).unwrap_or(u16::MAX)),
            ),
        }
    }

    /// Runs the import policy on one route and stores or removes it. `id`
    /// is borrowed (the caller keeps its reference).
    fn import_one(
        &mut self,
        peer: u16,
        prefix: IpNet,
        path_id: Option<u32>,
        id: AttrId,
        source: Source,
        hint: InsertHint,
    ) {
        let prefix = prefix.trunc();
        match self.import_answer(peer, prefix, path_id, id, source) {
            None => self.remove_path(peer, prefix, path_id),
            Some(id) => self.upsert(peer, prefix, path_id, id, source, hint),
        }
    }

    /// Stores a path (taking over the reference `id`).
    fn upsert(
        &mut self,
        peer: u16,
        prefix: IpNet,
        path_id: Option<u32>,
        id: AttrId,
        source: Source,
        hint: InsertHint,
    ) {
        let st = &mut self.st;
        by_family!(self, prefix, |trie, p| {
            let flags = path_id.map_or(0, |_| P_PATH_ID) | source_bits(source);
            let path = Path {
                path_id: path_id.unwrap_or(0),
                attrs: id,
                peer,
                flags,
            };
            // A new prefix gets its entry with the path in it.
            let mut fresh = false;
            let (slot, e) = trie.get_or_insert_slot_hinted(p, hint, || {
                fresh = true;
                Entry {
                    paths: OneOrMany::One(path),
                    ..Entry::default()
                }
            });
            let r = SlotRef::new(&prefix, slot);
            let mut touched = false;
            if fresh {
                st.gained(peer, family_index(&prefix), slot);
            } else {
                match e.paths.iter_mut().find(|x| x.is(peer, path_id)) {
                    Some(x) => {
                        if x.attrs == id && x.flags & (P_STALE | P_SRC_MASK) == flags & P_SRC_MASK {
                            st.attrs.release(id);
                            return;
                        }
                        touched = x.flags & (P_BEST | P_MULTI) != 0;
                        let old = x.attrs;
                        let pre = x.flags & P_PRE != 0;
                        x.attrs = id;
                        x.flags = (x.flags & (P_BEST | P_MULTI | P_ELIGIBLE)) | flags;
                        if pre {
                            st.keep_pre(peer, (prefix.trunc(), path_id), old);
                        } else {
                            st.attrs.release(old);
                        }
                    }
                    None => {
                        e.paths.push(path);
                        st.gained(peer, family_index(&prefix), slot);
                    }
                }
            }
            st.recompute(r, e, touched);
        })
    }

    /// The path of `peer` with `path_id` at `prefix` (truncated), mutably.
    fn path_mut(&mut self, peer: u16, prefix: IpNet, path_id: Option<u32>) -> Option<&mut Path> {
        by_family!(self, prefix, |trie, p| trie
            .get_mut(&p)?
            .paths
            .iter_mut()
            .find(|x| x.is(peer, path_id)))
    }

    /// Takes `peer`'s pre-policy route `key` (a truncated prefix) out of
    /// where it is kept, [`Peer::pre`] or the flag of its path
    /// ([`P_PRE`]), and lets go of it: whether there was one.
    fn take_pre(&mut self, peer: u16, key: (IpNet, Option<u32>)) -> bool {
        let Some(Some(p)) = self.st.peers.get_mut(usize::from(peer)) else {
            return false;
        };
        if let Some(old) = p.pre.remove(&key) {
            self.st.attrs.release(old);
            return true;
        }
        match self.path_mut(peer, key.0, key.1) {
            Some(x) if x.flags & P_PRE != 0 => {
                // The path keeps its reference for its own attributes.
                x.flags &= !P_PRE;
                true
            }
            _ => false,
        }
    }

    /// For each of `peer`'s pre-policy routes `keys` kept in
    /// [`Peer::pre`]: when its path (not stale) has the same attributes,
    /// the path carries it from now on ([`P_PRE`]) and the map lets go.
    fn settle_pre(&mut self, peer: u16, keys: impl Iterator<Item = (IpNet, Option<u32>)>) {
        for key in keys {
            let Some(Some(p)) = self.st.peers.get(usize::from(peer)) else {
                return;
            };
            let Some(&raw) = p.pre.get(&key) else {
                continue;
            };
            let same = match self.path_mut(peer, key.0, key.1) {
                Some(x) if x.attrs == raw && x.flags & P_STALE == 0 => {
                    x.flags |= P_PRE;
                    true
                }
                _ => false,
            };
            if same {
                if let Some(Some(p)) = self.st.peers.get_mut(usize::from(peer)) {
                    p.pre.remove(&key);
                }
                self.st.attrs.release(raw);
            }
        }
    }

    fn remove_path(&mut self, peer: u16, prefix: IpNet, path_id: Option<u32>) {
        let prefix = prefix.trunc();
        let st = &mut self.st;
        by_family!(self, prefix, |trie, p| {
            let Some((slot, e)) = trie.get_slot_mut(&p) else {
                return;
            };
            let Some(i) = e.paths.iter().position(|x| x.is(peer, path_id)) else {
                return;
            };
            let x = e.paths.remove(i);
            if x.flags & P_PRE != 0 {
                st.keep_pre(peer, (prefix, path_id), x.attrs);
            } else {
                st.attrs.release(x.attrs);
            }
            st.counts(peer, family_index(&prefix)).accepted -= 1;
            let r = SlotRef::new(&prefix, slot);
            st.recompute(r, e, x.flags & (P_BEST | P_MULTI) != 0);
            if e.removable() {
                trie.remove(p);
            }
        })
    }

    /// Re-evaluates the conditional default-originate of peer `t` when the
    /// Loc-RIB changed since the last evaluation.
    fn refresh_default_condition(&mut self, t: u16) {
        let gen_now = self.st.loc_gen;
        let p = self.st.peer(t);
        let Some(d) = &p.cfg.default_originate else {
            return;
        };
        if p.default_gen == gen_now {
            return;
        }
        let active = match d.condition.clone() {
            None => [true, true],
            Some(cond) => {
                let info = p.cfg.info.clone();
                let mut active = [false, false];
                let st = &self.st;
                let check = |prefix: IpNet, e: &Entry| {
                    e.paths
                        .iter()
                        .find(|x| x.flags & P_BEST != 0)
                        .is_some_and(|b| {
                            cond.evaluate(&PolicyRoute {
                                prefix,
                                path_id: b.path_id(),
                                attrs: st.attrs.get(b.attrs),
                                weight: u32::from(st.attrs.weight(b.attrs)),
                                source: b.source(),
                                direction: Direction::Export,
                                peer: &info,
                            }) != Verdict::Deny
                        })
                };
                active[0] = self.v4.iter().any(|(p, e)| check(IpNet::V4(p), e));
                active[1] = self.v6.iter().any(|(p, e)| check(IpNet::V6(p), e));
                active
            }
        };
        let p = self.st.peer_mut(PeerId(t)).expect("peer checked above");
        p.default_active = active;
        p.default_gen = gen_now;
    }
}

impl Peer {
    /// Whether this peer's routes are held ([`Rib::defer_until_end_of_rib`]).
    fn defers(&self) -> bool {
        self.defer[0] || self.defer[1]
    }

    fn new(cfg: PeerConfig) -> Self {
        Self {
            cfg,
            established: false,
            full_sync: false,
            cursor: 0,
            pre: FxHashMap::default(),
            stale_deadline: [None; 2],
            may_be_stale: [false; 2],
            default_gen: u64::MAX,
            default_active: [false; 2],
            defer: [false; 2],
            counts: [PeerCounts::default(); 2],
            chunks: [Vec::new(), Vec::new()],
        }
    }
}

//----------- State: decision and export ---------------------------------------

/// Per-drain memo of the export transformations, holding one reference
/// to each interned result.
#[derive(Default)]
struct ExportCache {
    /// (source peer, source attrs, IPv6?) → attributes before policy.
    stage1: FxHashMap<(u16, AttrId, bool), Option<AttrId>>,
    /// attributes permitted by policy → attributes sent.
    stage2: FxHashMap<AttrId, AttrId>,
    /// Per family (IPv4, IPv6), once asked: how the export policy is run.
    kind: [Option<ExportKind>; 2],
    /// For a policy that ignores the prefix: (attributes before policy,
    /// weight, source, IPv6?) → attributes sent, or `None` when denied.
    answers: FxHashMap<(AttrId, u16, Source, bool), Option<AttrId>>,
}

/// How a drain runs a peer's export policy on one family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ExportKind {
    /// It permits everything ([`Policy::permits_all`]): not called.
    ///
    /// [`Policy::permits_all`]: crate::Policy::permits_all
    PermitAll,
    /// Its answer ignores the prefix ([`Policy::ignores_prefix`]): called
    /// once per attribute set, weight and source.
    ///
    /// [`Policy::ignores_prefix`]: crate::Policy::ignores_prefix
    PerSet,
    /// Called for every route.
    PerRoute,
}

impl ExportCache {
    fn release(self, t: &mut AttrTable) {
        for id in self.stage1.into_values().flatten() {
            t.release(id);
        }
        for id in self.stage2.into_values() {
            t.release(id);
        }
        for id in self.answers.into_values().flatten() {
            t.release(id);
        }
    }
}

/// Accumulates one peer's Adj-RIB-Out changes, grouped by attribute set.
struct OutAcc {
    peer: PeerId,
    withdrawn: [Vec<Nlri>; 2],
    groups: FxHashMap<(usize, AttrId), usize>,
    announced: Vec<Announcement>,
}

impl OutAcc {
    fn new(peer: PeerId) -> Self {
        Self {
            peer,
            withdrawn: [Vec::new(), Vec::new()],
            groups: FxHashMap::default(),
            announced: Vec::new(),
        }
    }

    fn announce(&mut self, nlri: Nlri, id: AttrId, attrs: &AttrTable) {
        let f = family_index(&nlri.prefix);
        let i = *self.groups.entry((f, id)).or_insert_with(|| {
            self.announced.push(Announcement {
                family: family_of(&nlri.prefix),
                attrs: attrs.get(id).clone(),
                nlri: Vec::new(),
            });
            self.announced.len() - 1
        });
        self.announced[i].nlri.push(nlri);
    }

    fn finish(self) -> AdjRibOutChanges {
        let mut withdrawn = Vec::new();
        for (i, w) in self.withdrawn.into_iter().enumerate() {
            if !w.is_empty() {
                let f = if i == 0 {
                    Family::IPV4_UNICAST
                } else {
                    Family::IPV6_UNICAST
                };
                withdrawn.push((f, w));
            }
        }
        AdjRibOutChanges {
            peer: self.peer,
            withdrawn,
            announced: self.announced,
        }
    }
}

impl State {
    fn peer_ref(&self, peer: PeerId) -> Result<&Peer, RibError> {
        self.peers
            .get(peer.index())
            .and_then(Option::as_ref)
            .ok_or(RibError::UnknownPeer(peer))
    }

    fn peer_mut(&mut self, peer: PeerId) -> Result<&mut Peer, RibError> {
        self.peers
            .get_mut(peer.index())
            .and_then(Option::as_mut)
            .ok_or(RibError::UnknownPeer(peer))
    }

    /// A peer that paths refer to. Invariant: paths of a removed peer are
    /// swept before its slot is cleared.
    fn peer(&self, i: u16) -> &Peer {
        self.peers[usize::from(i)]
            .as_ref()
            .expect("paths refer to live peers")
    }

    /// Peer `i` has a new path in slot `slot` of family slot `fam`.
    #[inline]
    fn gained(&mut self, i: u16, fam: usize, slot: u32) {
        let p = self.peers[usize::from(i)]
            .as_mut()
            .expect("paths refer to live peers");
        p.counts[fam].accepted += 1;
        mark_chunk(&mut p.chunks[fam], slot);
    }

    /// The counts of peer `i` in family slot `fam` (0: IPv4, 1: IPv6).
    fn counts(&mut self, i: u16, fam: usize) -> &mut PeerCounts {
        &mut self.peers[usize::from(i)]
            .as_mut()
            .expect("paths refer to live peers")
            .counts[fam]
    }

    /// Keeps `id` (whose reference the caller hands over) as peer `i`'s
    /// pre-policy route `key` in [`Peer::pre`]: a path that carried it
    /// ([`P_PRE`]) changes or goes.
    fn keep_pre(&mut self, i: u16, key: (IpNet, Option<u32>), id: AttrId) {
        let p = self.peers[usize::from(i)]
            .as_mut()
            .expect("paths refer to live peers");
        if let Some(old) = p.pre.insert(key, id) {
            // Invariant: a route is kept in one place, so this is not
            // reached; should it be, the reference is still returned.
            debug_assert!(false, "pre-policy route kept twice");
            self.attrs.release(old);
        }
    }

    fn cluster_id(&self) -> Ipv4Addr {
        self.cfg.cluster_id.unwrap_or(self.cfg.router_id)
    }

    /// The receive checks of a route from `peer`; `None` when it must not
    /// be used.
    fn ingress(&self, peer: u16, mut a: RouteAttrs) -> Option<RouteAttrs> {
        if peer == 0 {
            return Some(a);
        }
        let pc = &self.peer(peer).cfg;
        let info = &pc.info;
        // AS-path loop (RFC 4271 §9.1.2), tolerating `allowas-in` copies.
        let ours = a
            .as_path
            .segments
            .iter()
            .flat_map(|s| &s.asns)
            .filter(|&&x| x == self.cfg.local_asn)
            .count();
        if ours > usize::from(pc.allowas_in) {
            return None;
        }
        // Reflection loops (RFC 4456 §8).
        if a.extra.originator_id == Some(self.cfg.router_id)
            || a.extra.cluster_list.contains(&self.cluster_id())
        {
            return None;
        }
        // RFC 9234 §5, ingress. `role` is the peer's role.
        match info.role {
            Some(Role::CUSTOMER | Role::RS_CLIENT) if a.extra.otc.is_some() => return None,
            Some(Role::PEER) if a.extra.otc.is_some_and(|o| o != info.asn) => return None,
            Some(Role::PROVIDER | Role::PEER | Role::RS) if a.extra.otc.is_none() => {
                a.extra.otc = Some(info.asn)
            }
            _ => {}
        }
        // LOCAL_PREF from an external peer is ignored (RFC 4271 §5.1.5).
        if !info.is_ibgp() {
            a.local_pref = None;
        }
        Some(a)
    }

    fn candidate<'a>(&'a self, p: &Path, igp_cost: u32) -> Candidate<'a> {
        let peer = self.peer(p.peer);
        Candidate {
            attrs: self.attrs.get(p.attrs),
            weight: u32::from(self.attrs.weight(p.attrs)),
            local: p.peer == 0,
            ebgp: p.peer != 0 && !peer.cfg.info.is_ibgp(),
            router_id: peer.cfg.info.router_id,
            peer_address: peer.cfg.info.address,
            path_id: p.path_id,
            igp_cost,
        }
    }

    fn igp_cost(&self, p: &Path) -> Option<u32> {
        let Some(r) = &self.resolver else {
            return Some(0);
        };
        match &self.attrs.get(p.attrs).next_hop {
            None => Some(0),
            Some(nh) => r.igp_cost(nh),
        }
    }

    /// Runs the decision process for one prefix after its paths changed
    /// and records what changed. `touched`: a selected path was removed or
    /// changed in place, so the Loc-RIB changed whatever the new selection.
    fn recompute(&mut self, r: SlotRef, e: &mut Entry, touched: bool) {
        let changed = if e.paths.len() <= 1 {
            self.select_one(e)
        } else {
            self.select_many(e)
        };
        if touched || changed {
            self.loc_gen += 1;
            if self.cfg.loc_rib_changes && e.flags() & E_LOC_DIRTY == 0 {
                e.set_flags(E_LOC_DIRTY);
                self.loc_dirty.push(r);
            }
        }
        self.log_out(r, e);
    }

    /// The decision for at most one path: it is best when its next hop
    /// resolves. Returns whether the selection changed.
    fn select_one(&self, e: &mut Entry) -> bool {
        const SEL: u8 = P_BEST | P_MULTI;
        let Some(p) = e.paths.first_mut() else {
            return false;
        };
        let before = p.flags & SEL;
        p.flags &= !(SEL | P_ELIGIBLE);
        let path = *p;
        if self.igp_cost(&path).is_some() {
            p.flags |= P_ELIGIBLE | P_BEST;
        }
        // The same path before and after: only its flags can differ.
        p.flags & SEL != before
    }

    /// The decision among several paths. Returns whether the selection
    /// (best and multipath, their attributes) changed.
    fn select_many(&self, e: &mut Entry) -> bool {
        let sig = |e: &Entry| -> SmallVec<[(u16, u32, AttrId, u8); 2]> {
            e.paths
                .iter()
                .filter(|p| p.flags & (P_BEST | P_MULTI) != 0)
                .map(|p| (p.peer, p.path_id, p.attrs, p.flags & (P_BEST | P_MULTI)))
                .collect()
        };
        let before = sig(e);
        let mut costs: SmallVec<[(usize, u32); 4]> = SmallVec::new();
        for (i, p) in e.paths.iter_mut().enumerate() {
            p.flags &= !(P_BEST | P_MULTI | P_ELIGIBLE);
            let path = *p;
            if let Some(c) = self.igp_cost(&path) {
                p.flags |= P_ELIGIBLE;
                costs.push((i, c));
            }
        }
        match costs.len() {
            0 => {}
            1 => e.paths[costs[0].0].flags |= P_BEST,
            _ => {
                let cands: Vec<Candidate<'_>> = costs
                    .iter()
                    .map(|&(i, c)| self.candidate(&e.paths[i], c))
                    .collect();
                // Invariant: `cands` is non-empty.
                let d = decision::select(&cands, &self.cfg.decision).expect("candidates");
                let mp = decision::multipath(&cands, d.best, &self.cfg.decision);
                drop(cands);
                e.paths[costs[d.best].0].flags |= P_BEST;
                for &m in &mp[1..] {
                    e.paths[costs[m].0].flags |= P_MULTI;
                }
            }
        }
        sig(e) != before
    }

    /// Records that `prefix` needs export re-evaluation.
    fn log_out(&mut self, r: SlotRef, e: &mut Entry) {
        if self.established == 0 {
            return;
        }
        let at = e.logged_at();
        if at > self.max_cursor && at > self.out_base {
            return; // logged, and no peer has read it yet
        }
        self.out_log.push(r);
        e.set_logged_at(self.out_base + self.out_log.len() as u64);
    }

    /// Empties the export log once every established peer has read it.
    fn compact_log(&mut self) {
        if self.out_log.len() < self.compact_at {
            return;
        }
        let base = 64usize.max(self.peers.len());
        self.compact_at = base.max(self.out_log.len() * 2);
        let end = self.out_base + self.out_log.len() as u64;
        let all_read = self
            .peers
            .iter()
            .flatten()
            .filter(|p| p.established)
            .all(|p| p.cursor == end || p.full_sync);
        if all_read {
            self.compact_at = base;
            self.out_base = end;
            if self.out_log.capacity() > 1 << 16 {
                // A burst (a table applied at once) leaves no big buffer
                // behind: 4 MiB for a full table.
                self.out_log = Vec::new();
            } else {
                self.out_log.clear();
            }
            for p in self.peers.iter_mut().flatten().filter(|p| p.established) {
                p.cursor = end;
            }
        }
    }

    fn route_path(&self, p: &Path) -> RoutePath {
        RoutePath {
            peer: PeerId(p.peer),
            path_id: p.path_id(),
            attrs: self.attrs.get(p.attrs).clone(),
            weight: self.attrs.weight(p.attrs),
            stale: p.flags & P_STALE != 0,
        }
    }

    fn selected(&self, e: &Entry) -> SmallVec<[RoutePath; 1]> {
        let best = e.paths.iter().filter(|p| p.flags & P_BEST != 0);
        let multi = e.paths.iter().filter(|p| p.flags & P_MULTI != 0);
        best.chain(multi).map(|p| self.route_path(p)).collect()
    }

    fn step_of(&self, e: &Entry) -> Option<DecisionStep> {
        match e.paths.iter().filter(|p| p.flags & P_ELIGIBLE != 0).count() {
            0 => return None,
            1 => return Some(DecisionStep::OnlyPath),
            _ => {}
        }
        let costs: Vec<(usize, u32)> = e
            .paths
            .iter()
            .enumerate()
            .filter(|(_, p)| p.flags & P_ELIGIBLE != 0)
            .filter_map(|(i, p)| Some((i, self.igp_cost(p)?)))
            .collect();
        let cands: Vec<Candidate<'_>> = costs
            .iter()
            .map(|&(i, c)| self.candidate(&e.paths[i], c))
            .collect();
        decision::select(&cands, &self.cfg.decision).map(|d| d.step)
    }

    /// The routes peer `t` should have for `prefix`: (source peer, source
    /// path id, attributes as sent), each holding one reference.
    fn export(
        &mut self,
        t: u16,
        prefix: IpNet,
        e: Option<&Entry>,
        cache: &mut ExportCache,
    ) -> SmallVec<[(u16, u32, AttrId); 1]> {
        let mut out = SmallVec::new();
        let tp = self.peer(t);
        if !tp.cfg.families.contains(family_of(&prefix)) {
            return out;
        }
        let fam = family_index(&prefix);
        if prefix.prefix_len() == 0 && tp.cfg.default_originate.is_some() && tp.default_active[fam]
        {
            // default-originate: ours, whatever the Loc-RIB holds; not
            // subject to the export policy (as in FRR).
            if let Some(a) = self.transform1(t, 0, &RouteAttrs::default(), fam == 1) {
                let a = self.transform2(t, a);
                out.push((0, DEFAULT_SRC, self.attrs.intern(a, 0)));
            }
            return out;
        }
        let Some(e) = e else {
            return out;
        };
        let mode = tp.cfg.add_path_send;
        let rs = tp.cfg.route_server_client;
        if !rs && mode == AddPathSend::Single {
            if let Some(b) = e.paths.iter().find(|p| p.flags & P_BEST != 0) {
                if b.peer != t {
                    if let Some(id) = self.export_path(t, prefix, b, cache) {
                        out.push((b.peer, b.path_id, id));
                    }
                }
            }
            return out;
        }
        let limit = match mode {
            AddPathSend::Single => 1,
            AddPathSend::All => usize::MAX,
            AddPathSend::Best(n) => usize::from(n),
        };
        let elig: Vec<(usize, u32)> = e
            .paths
            .iter()
            .enumerate()
            .filter(|(_, p)| p.flags & P_ELIGIBLE != 0 && p.peer != t)
            .filter_map(|(i, p)| Some((i, self.igp_cost(p)?)))
            .collect();
        let order: Vec<usize> = {
            let cands: Vec<Candidate<'_>> = elig
                .iter()
                .map(|&(i, c)| self.candidate(&e.paths[i], c))
                .collect();
            let n = if rs { cands.len() } else { limit };
            decision::rank(&cands, &self.cfg.decision, n)
                .into_iter()
                .map(|k| elig[k].0)
                .collect()
        };
        for i in order {
            if out.len() >= limit {
                break;
            }
            let p = &e.paths[i];
            if let Some(id) = self.export_path(t, prefix, p, cache) {
                out.push((p.peer, p.path_id, id));
            }
        }
        out
    }

    /// One path through the export rules, transformations and policy
    /// towards `t`; the result holds one reference.
    fn export_path(
        &mut self,
        t: u16,
        prefix: IpNet,
        p: &Path,
        cache: &mut ExportCache,
    ) -> Option<AttrId> {
        let v6 = family_index(&prefix) == 1;
        let key = (p.peer, p.attrs, v6);
        let s1 = match cache.stage1.get(&key) {
            Some(s) => *s,
            None => {
                let a = self.attrs.get(p.attrs).clone();
                let s = self
                    .transform1(t, p.peer, &a, v6)
                    .map(|a| self.attrs.intern(a, 0));
                cache.stage1.insert(key, s);
                s
            }
        }?;
        let fam = usize::from(v6);
        let kind = *cache.kind[fam].get_or_insert_with(|| {
            let policy = &self.peer(t).cfg.export;
            let family = [Family::IPV4_UNICAST, Family::IPV6_UNICAST][fam];
            if policy.permits_all(family) {
                ExportKind::PermitAll
            } else if policy.ignores_prefix(family) {
                ExportKind::PerSet
            } else {
                ExportKind::PerRoute
            }
        });
        if kind == ExportKind::PermitAll {
            return Some(self.sent_attrs(t, s1, cache));
        }
        let weight = self.attrs.weight(p.attrs);
        let key = (s1, weight, p.source(), v6);
        if kind == ExportKind::PerSet {
            if let Some(&answer) = cache.answers.get(&key) {
                if let Some(id) = answer {
                    self.attrs.retain(id);
                }
                return answer;
            }
        }
        let verdict = {
            let tp = self.peer(t);
            tp.cfg.export.evaluate(&PolicyRoute {
                prefix,
                path_id: p.path_id(),
                attrs: self.attrs.get(s1),
                weight: u32::from(weight),
                source: p.source(),
                direction: Direction::Export,
                peer: &tp.cfg.info,
            })
        };
        let answer = match verdict {
            Verdict::Deny => None,
            Verdict::Permit => Some(self.sent_attrs(t, s1, cache)),
            Verdict::Modified(m) => {
                let a = self.transform2(t, m.attrs);
                Some(self.attrs.intern(a, 0))
            }
        };
        if kind == ExportKind::PerSet {
            // The memo keeps a reference of its own.
            if let Some(id) = answer {
                self.attrs.retain(id);
            }
            cache.answers.insert(key, answer);
        }
        answer
    }

    /// The attributes sent to `t` for `s1` (attributes before policy) that
    /// its policy permitted unchanged, with one reference for the caller.
    fn sent_attrs(&mut self, t: u16, s1: AttrId, cache: &mut ExportCache) -> AttrId {
        let id = match cache.stage2.get(&s1) {
            Some(id) => *id,
            None => {
                let a = (**self.attrs.get(s1)).clone();
                let a = self.transform2(t, a);
                let id = self.attrs.intern(a, 0);
                cache.stage2.insert(s1, id);
                id
            }
        };
        self.attrs.retain(id);
        id
    }

    /// The propagation rules and the attribute changes before export
    /// policy, for a route from peer `s` to peer `t`; `None` when it must
    /// not be sent.
    fn transform1(&self, t: u16, s: u16, a: &RouteAttrs, v6: bool) -> Option<RouteAttrs> {
        let tp = &self.peer(t).cfg;
        let sp = &self.peer(s).cfg;
        let t_ibgp = tp.info.is_ibgp();
        let s_ibgp = s != 0 && sp.info.is_ibgp();
        let rs = tp.route_server_client;
        // Well-known communities (RFC 1997).
        if a.communities.contains(&Community::NO_ADVERTISE) {
            return None;
        }
        if !t_ibgp
            && (a.communities.contains(&Community::NO_EXPORT)
                || a.communities.contains(&Community::NO_EXPORT_SUBCONFED))
        {
            return None;
        }
        // iBGP split horizon (RFC 4271 §9.2), lifted by route reflection
        // (RFC 4456 §6) and by route-server clients on either side.
        let reflect = s_ibgp && t_ibgp && !(rs || sp.route_server_client);
        if reflect && !(sp.route_reflector_client || tp.route_reflector_client) {
            return None;
        }
        // RFC 9234 §5, egress: a route with OTC goes to customers and
        // route-server clients only. `role` is the peer's role.
        if a.extra.otc.is_some()
            && matches!(tp.info.role, Some(Role::PROVIDER | Role::PEER | Role::RS))
        {
            return None;
        }
        let mut n = a.clone();
        if matches!(
            tp.info.role,
            Some(Role::CUSTOMER | Role::PEER | Role::RS_CLIENT)
        ) && n.extra.otc.is_none()
        {
            n.extra.otc = Some(self.cfg.local_asn);
        }
        if t_ibgp {
            if !rs {
                n.local_pref = Some(a.local_pref.unwrap_or(self.cfg.decision.default_local_pref));
            }
            if reflect {
                // RFC 4456 §8.
                n.extra.originator_id = Some(a.extra.originator_id.unwrap_or(sp.info.router_id));
                n.extra.cluster_list.insert(0, self.cluster_id());
            }
        } else {
            n.local_pref = None;
            if !rs {
                // MED is not passed on to another AS (RFC 4271 §5.1.4);
                // RR attributes stay inside the AS (RFC 4456 §8).
                if s != 0 {
                    n.med = None;
                }
                if n.extra.originator_id.is_some() || !n.extra.cluster_list.is_empty() {
                    n.extra.originator_id = None;
                    n.extra.cluster_list.clear();
                    n.extra.compact();
                }
            }
        }
        let self_hop = match (rs, tp.next_hop) {
            (true, _) | (false, NextHopMode::Unchanged) => false,
            (false, NextHopMode::SelfAddress) => true,
            (false, NextHopMode::Auto) => !t_ibgp,
        };
        if self_hop || n.next_hop.is_none() {
            n.next_hop = Some(if v6 {
                NextHop::V6 {
                    global: tp.self_v6()?,
                    link_local: None,
                }
            } else {
                NextHop::V4(tp.self_v4(self.cfg.router_id))
            });
        }
        Some(n)
    }

    /// The changes after export policy: private-AS removal and our AS
    /// prepended towards eBGP peers (not route-server clients, RFC 7947
    /// §2.2.2.1).
    fn transform2(&self, t: u16, mut a: RouteAttrs) -> RouteAttrs {
        let tp = &self.peer(t).cfg;
        if tp.info.is_ibgp() || tp.route_server_client {
            return a;
        }
        if tp.remove_private_as {
            for s in &mut a.as_path.segments {
                s.asns.retain(|&x| !is_private_asn(x));
            }
            a.as_path.segments.retain(|s| !s.asns.is_empty());
        }
        match a.as_path.segments.first_mut() {
            Some(s) if s.ty == SegmentType::Sequence && s.asns.len() < 255 => {
                s.asns.insert(0, self.cfg.local_asn)
            }
            _ => a.as_path.segments.insert(
                0,
                AsSegment {
                    ty: SegmentType::Sequence,
                    asns: vec![self.cfg.local_asn],
                },
            ),
        }
        a
    }

    /// Brings `t`'s Adj-RIB-Out records for `prefix` to `desired` and
    /// records the announcements and withdrawals that takes.
    fn reconcile(
        &mut self,
        t: u16,
        prefix: IpNet,
        slot: u32,
        e: &mut Entry,
        desired: SmallVec<[(u16, u32, AttrId); 1]>,
        acc: &mut OutAcc,
    ) {
        let ap = self.peer(t).cfg.add_path_send != AddPathSend::Single;
        let nlri = |id: u32| Nlri {
            prefix,
            path_id: ap.then_some(id),
        };
        let mut old: SmallVec<[OutPath; 2]> = SmallVec::new();
        e.out.retain(|o| {
            if o.peer == t {
                old.push(*o);
                false
            } else {
                true
            }
        });
        let had = old.len();
        let mut new: SmallVec<[OutPath; 2]> = SmallVec::new();
        let mut fresh: SmallVec<[(u16, u32, AttrId); 1]> = SmallVec::new();
        for (sp, sid, id) in desired {
            let m = if ap {
                old.iter()
                    .position(|o| o.src_peer == sp && o.src_path_id == sid)
            } else if old.is_empty() {
                None
            } else {
                Some(0)
            };
            match m {
                Some(k) => {
                    let mut o = old.remove(k);
                    if o.attrs == id {
                        self.attrs.release(id);
                    } else {
                        self.attrs.release(o.attrs);
                        o.attrs = id;
                        acc.announce(nlri(o.out_path_id), id, &self.attrs);
                    }
                    o.src_peer = sp;
                    o.src_path_id = sid;
                    new.push(o);
                }
                None => fresh.push((sp, sid, id)),
            }
        }
        for (sp, sid, id) in fresh {
            let mut pid = if ap { 1 } else { 0 };
            while ap && (new.iter().chain(old.iter()).any(|o| o.out_path_id == pid)) {
                pid += 1;
            }
            new.push(OutPath {
                src_path_id: sid,
                out_path_id: pid,
                attrs: id,
                peer: t,
                src_peer: sp,
            });
            acc.announce(nlri(pid), id, &self.attrs);
        }
        for o in old {
            self.attrs.release(o.attrs);
            acc.withdrawn[family_index(&prefix)].push(nlri(o.out_path_id));
        }
        let fam = family_index(&prefix);
        let c = self.counts(t, fam);
        c.advertised = c.advertised + new.len() - had;
        if !new.is_empty() {
            if let Some(p) = self.peers[usize::from(t)].as_mut() {
                mark_chunk(&mut p.chunks[fam], slot);
            }
        }
        e.out.extend_growing(new);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_sizes() {
        // The memory budget depends on these.
        assert_eq!(size_of::<Path>(), 12);
        assert_eq!(size_of::<OutPath>(), 16);
        assert_eq!(size_of::<Option<Entry>>(), 32);
    }

    /// A RIB with one established eBGP peer, and attributes for its IPv4
    /// routes.
    fn one_ebgp_peer() -> (Rib, PeerId, RouteAttrs) {
        use crate::policy::PeerInfo;
        let mut rib = Rib::new(RibConfig::new(65000, [10, 0, 0, 254].into()));
        let p = rib
            .add_peer(PeerConfig::new(PeerInfo {
                address: [192, 0, 2, 1].into(),
                local_address: [192, 0, 2, 254].into(),
                asn: 64600,
                local_asn: 65000,
                router_id: [10, 0, 0, 1].into(),
                role: None,
            }))
            .unwrap();
        rib.peer_up(p).unwrap();
        let attrs = RouteAttrs {
            next_hop: Some(NextHop::V4([192, 0, 2, 1].into())),
            as_path: bgp_wire::attr::AsPathBuf::sequence([64600]),
            ..RouteAttrs::default()
        };
        (rib, p, attrs)
    }

    /// A table whose one peer goes down keeps its memory for when it comes
    /// back, until `shrink_to_fit`.
    #[test]
    fn memory_waits_for_the_table_until_shrunk() {
        let (mut rib, p, attrs) = one_ebgp_peer();
        let nlri: Vec<Nlri> = (0..20_000u32)
            .map(|i| Nlri::new(IpNet::V4(Ipv4Net::new((i << 8).into(), 24).unwrap())))
            .collect();
        let bytes = |rib: &Rib| rib.v4.reserved_bytes();
        rib.announce(p, attrs.clone(), &nlri).unwrap();
        assert_eq!(rib.drain_loc_rib().len(), 20_000);
        let full = bytes(&rib);
        rib.peer_down(p).unwrap();
        // The withdrawals wait in the Loc-RIB change stream until drained.
        assert_eq!(rib.drain_loc_rib().len(), 20_000);
        assert_eq!(rib.prefix_count(), (0, 0));
        assert!(bytes(&rib) > full / 2, "{} of {full}", bytes(&rib));
        rib.peer_up(p).unwrap();
        rib.announce(p, attrs, &nlri).unwrap();
        assert_eq!(rib.prefix_count(), (20_000, 0));
        assert_eq!(bytes(&rib), full);
        rib.peer_down(p).unwrap();
        rib.drain_loc_rib();
        rib.shrink_to_fit();
        assert!(bytes(&rib) < 1024, "{}", bytes(&rib));
    }

    /// A table of the reserved size arrives without growing the trie's
    /// arrays or the Loc-RIB change list.
    #[test]
    fn reserve_makes_room_for_a_table() {
        let (mut rib, p, attrs) = one_ebgp_peer();
        // /32s spread over the space: each adds a branch node too.
        let v4: Vec<Nlri> = (0..20_000u32)
            .map(|i| {
                Nlri::new(IpNet::V4(
                    Ipv4Net::new((i.wrapping_mul(2_654_435_761)).into(), 32).unwrap(),
                ))
            })
            .collect();
        let v6: Vec<Nlri> = (0..3_000u128)
            .map(|i| {
                Nlri::new(IpNet::V6(
                    Ipv6Net::new(((0x2001_0db8 << 96) | (i << 64)).into(), 64).unwrap(),
                ))
            })
            .collect();
        rib.reserve(v4.len(), v6.len());
        let caps = |rib: &Rib| {
            (
                rib.v4.array_capacities(),
                rib.v6.array_capacities(),
                rib.st.loc_dirty.capacity(),
            )
        };
        let before = caps(&rib);
        assert!(before.2 >= 23_000);
        rib.announce(p, attrs.clone(), &v4).unwrap();
        let attrs6 = RouteAttrs {
            next_hop: Some(NextHop::V6 {
                global: "2001:db8::1".parse().unwrap(),
                link_local: None,
            }),
            ..attrs
        };
        rib.announce(p, attrs6, &v6).unwrap();
        assert_eq!(rib.prefix_count(), (20_000, 3_000));
        assert_eq!(caps(&rib), before);
        assert_eq!(rib.drain_loc_rib().len(), 23_000);
    }

    #[test]
    fn private_asns() {
        assert!(is_private_asn(64512));
        assert!(is_private_asn(4_200_000_000));
        assert!(!is_private_asn(65535));
        assert!(!is_private_asn(3333));
    }
}

//! A network of [`Router`]s in one process, in virtual time.
//!
//! Because every crate is sans-IO, the transport can be a queue of timed
//! deliveries: each router has one address, links carry bytes with a
//! latency, and the clock jumps from one event to the next. Runs are
//! deterministic: the same inputs give the same timeline.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::router::{ConnId, Output, Router};

/// A node's index in the [`Net`].
pub type NodeId = usize;

#[derive(Debug)]
enum Ev {
    /// Deliver a connection attempt to the listener.
    Syn {
        from: NodeId,
        conn: ConnId,
        to: NodeId,
    },
    /// The connector learns its attempt succeeded (`Some(peer conn)`) or not.
    SynAck {
        node: NodeId,
        conn: ConnId,
        ok: bool,
    },
    /// Bytes arrive.
    Data {
        node: NodeId,
        conn: ConnId,
        bytes: Vec<u8>,
    },
    /// The other end closed.
    Fin { node: NodeId, conn: ConnId },
}

/// Bytes (or, `None`, the FIN) held on a cut link: from which node, on
/// which of its connections.
type Stalled = (NodeId, ConnId, Option<Vec<u8>>);

/// What happened, for a caller that wants to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When.
    pub at: Duration,
    /// Which node.
    pub node: NodeId,
    /// What it said.
    pub text: String,
}

/// The simulated network.
pub struct Net {
    /// The routers.
    pub nodes: Vec<Router>,
    addrs: Vec<IpAddr>,
    by_addr: HashMap<IpAddr, NodeId>,
    up: Vec<bool>,
    epoch: Instant,
    now: Instant,
    latency: Duration,
    queue: BinaryHeap<Reverse<(Instant, u64, usize)>>,
    /// Queued events with the incarnation of the node they are for.
    events: HashMap<usize, (u32, Ev)>,
    /// Each node's incarnation: bumped when it fails, so that what was in
    /// flight to the old one is not delivered to the new one.
    inc: Vec<u32>,
    /// Node deadlines: a heap with lazy deletion (`deadline[n]` is current).
    timers: BinaryHeap<Reverse<(Instant, NodeId)>>,
    deadline: Vec<Option<Instant>>,
    jitter: Duration,
    rng: u64,
    seq: u64,
    /// See [`Net::routing_changes`].
    routing: u64,
    seen_changes: Vec<u64>,
    /// (node, conn) → (peer node, peer conn).
    pairs: HashMap<(NodeId, ConnId), (NodeId, ConnId)>,
    /// Connections a node asked for and is waiting on: conn → target.
    pending: HashMap<(NodeId, ConnId), NodeId>,
    /// Per direction, the time the last byte was scheduled to arrive (keeps
    /// a pipe FIFO).
    last: HashMap<(NodeId, ConnId), Instant>,
    /// Links cut: unordered node pairs.
    cut: HashSet<(NodeId, NodeId)>,
    /// What was sent over a cut link, in order: delivered when it is
    /// restored, as TCP would retransmit it (if the connection still
    /// exists then).
    stalled: BTreeMap<(NodeId, NodeId), Vec<Stalled>>,
    /// Log lines and FIB changes seen, if recording.
    pub log: Vec<LogLine>,
    /// FIB changes per node, counted.
    pub fib_changes: Vec<u64>,
    record: bool,
}

impl Net {
    /// An empty network whose clock starts at `epoch`, with one-way link
    /// latency `latency`.
    pub fn new(epoch: Instant, latency: Duration) -> Self {
        Self {
            nodes: Vec::new(),
            addrs: Vec::new(),
            by_addr: HashMap::new(),
            up: Vec::new(),
            epoch,
            now: epoch,
            latency,
            queue: BinaryHeap::new(),
            events: HashMap::new(),
            inc: Vec::new(),
            timers: BinaryHeap::new(),
            deadline: Vec::new(),
            jitter: Duration::ZERO,
            rng: 0x2545_f491_4f6c_dd1d,
            seq: 0,
            routing: 0,
            seen_changes: Vec::new(),
            pairs: HashMap::new(),
            pending: HashMap::new(),
            last: HashMap::new(),
            cut: HashSet::new(),
            stalled: BTreeMap::new(),
            log: Vec::new(),
            fib_changes: Vec::new(),
            record: true,
        }
    }

    /// Keep log lines (default) or not.
    pub fn set_recording(&mut self, on: bool) {
        self.record = on;
    }

    /// Adds a router reachable at `addr`; it is drained at once.
    pub fn add(&mut self, addr: IpAddr, router: Router) -> NodeId {
        self.nodes.push(router);
        self.by_addr.insert(addr, self.addrs.len());
        self.addrs.push(addr);
        self.up.push(true);
        self.fib_changes.push(0);
        self.inc.push(0);
        self.deadline.push(None);
        self.seen_changes.push(0);
        let id = self.nodes.len() - 1;
        self.drain(id);
        id
    }

    /// The virtual time now.
    pub const fn now(&self) -> Instant {
        self.now
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.epoch
    }

    /// The node with this address.
    pub fn node_at(&self, addr: IpAddr) -> Option<NodeId> {
        self.by_addr.get(&addr).copied()
    }

    /// A node's address.
    pub fn addr(&self, node: NodeId) -> IpAddr {
        self.addrs[node]
    }

    /// Adds up to `jitter` (uniform, from the seeded generator) to every
    /// delivery; pipes stay FIFO.
    pub fn set_jitter(&mut self, jitter: Duration, seed: u64) {
        self.jitter = jitter;
        self.rng = seed | 1;
    }

    /// A pseudo-random number (xorshift64*), from the seed.
    pub fn random(&mut self) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn delay(&mut self) -> Duration {
        if self.jitter.is_zero() {
            return self.latency;
        }
        let j = self.random() % (self.jitter.as_nanos() as u64 + 1);
        self.latency + Duration::from_nanos(j)
    }

    fn target(ev: &Ev) -> NodeId {
        match ev {
            // A connection attempt belongs to its connector: if the listener
            // is down, the connector hears so.
            Ev::Syn { from, .. } => *from,
            Ev::SynAck { node, .. } | Ev::Data { node, .. } | Ev::Fin { node, .. } => *node,
        }
    }

    fn push(&mut self, at: Instant, ev: Ev) {
        self.seq += 1;
        let key = self.seq as usize;
        let inc = self.inc[Self::target(&ev)];
        self.events.insert(key, (inc, ev));
        self.queue.push(Reverse((at, self.seq, key)));
    }

    /// Re-reads a node's deadline into the timer heap.
    fn rearm(&mut self, node: NodeId) {
        let d = if self.up[node] {
            self.nodes[node].poll_timeout()
        } else {
            None
        };
        if d != self.deadline[node] {
            self.deadline[node] = d;
            if let Some(t) = d {
                self.timers.push(Reverse((t, node)));
            }
        }
    }

    fn next_timer(&mut self) -> Option<(Instant, NodeId)> {
        while let Some(&Reverse((t, n))) = self.timers.peek() {
            if self.deadline[n] == Some(t) {
                return Some((t, n));
            }
            self.timers.pop();
        }
        None
    }

    /// The node loses power: every connection to it goes silent (its peers
    /// notice by their hold timers), and nothing in flight reaches it.
    pub fn fail(&mut self, node: NodeId) {
        self.up[node] = false;
        self.routing += 1;
        self.inc[node] += 1;
        self.pairs.retain(|(a, _), (b, _)| *a != node && *b != node);
        for v in self.stalled.values_mut() {
            v.retain(|(n, ..)| *n != node);
        }
        self.pending.retain(|(a, _), b| *a != node && *b != node);
        self.last.retain(|(a, _), _| *a != node);
        self.deadline[node] = None;
    }

    /// The node comes back with a fresh router (its state was lost).
    pub fn restart(&mut self, node: NodeId, router: Router) {
        self.nodes[node] = router;
        self.up[node] = true;
        self.seen_changes[node] = 0;
        self.routing += 1;
        self.drain(node);
    }

    /// Whether the node is up.
    pub fn is_up(&self, node: NodeId) -> bool {
        self.up[node]
    }

    fn linked(&self, a: NodeId, b: NodeId) -> bool {
        self.up[a] && self.up[b] && !self.cut.contains(&(a.min(b), a.max(b)))
    }

    /// Cuts (or restores) the link between two nodes. Cutting delivers
    /// nothing more in either direction; the sessions notice by their hold
    /// timers, as over a real network.
    pub fn set_link(&mut self, a: NodeId, b: NodeId, up: bool) {
        let k = (a.min(b), a.max(b));
        if up {
            self.cut.remove(&k);
            for (node, conn, data) in self.stalled.remove(&k).unwrap_or_default() {
                self.transmit(node, conn, data);
            }
        } else {
            self.cut.insert(k);
        }
    }

    /// Sends bytes (or, with `None`, the FIN) from `node`'s end of `conn`.
    fn transmit(&mut self, node: NodeId, conn: ConnId, data: Option<Vec<u8>>) {
        let Some(&(peer, pconn)) = self.pairs.get(&(node, conn)) else {
            return;
        };
        if !(self.up[node] && self.up[peer]) {
            return;
        }
        if self.cut.contains(&(node.min(peer), node.max(peer))) {
            self.stalled
                .entry((node.min(peer), node.max(peer)))
                .or_default()
                .push((node, conn, data));
            return;
        }
        let at = self.arrival(node, conn);
        match data {
            Some(bytes) => self.push(
                at,
                Ev::Data {
                    node: peer,
                    conn: pconn,
                    bytes,
                },
            ),
            None => {
                self.pairs.remove(&(node, conn));
                self.pairs.remove(&(peer, pconn));
                self.last.remove(&(node, conn));
                self.push(
                    at,
                    Ev::Fin {
                        node: peer,
                        conn: pconn,
                    },
                );
            }
        }
    }

    /// Runs a command on a node and drains it.
    pub fn with<R>(&mut self, node: NodeId, f: impl FnOnce(&mut Router, Instant) -> R) -> R {
        let now = self.now;
        let r = f(&mut self.nodes[node], now);
        self.drain(node);
        r
    }

    /// Moves a node's outputs into the network.
    fn drain(&mut self, node: NodeId) {
        self.drain_outputs(node);
        self.rearm(node);
        let c = self.nodes[node].changes();
        if c != self.seen_changes[node] {
            self.routing += c.wrapping_sub(self.seen_changes[node]).max(1);
            self.seen_changes[node] = c;
        }
    }

    fn drain_outputs(&mut self, node: NodeId) {
        while let Some(o) = self.nodes[node].poll_output() {
            match o {
                Output::Connect { conn, remote, .. } => {
                    let target = self.node_at(remote.ip());
                    match target {
                        Some(t) if self.linked(node, t) => {
                            self.pending.insert((node, conn), t);
                            let at = self.now + self.delay();
                            self.push(
                                at,
                                Ev::Syn {
                                    from: node,
                                    conn,
                                    to: t,
                                },
                            );
                        }
                        _ => {
                            // Nobody there: the attempt times out after a while.
                            let at = self.now + Duration::from_secs(1);
                            self.push(
                                at,
                                Ev::SynAck {
                                    node,
                                    conn,
                                    ok: false,
                                },
                            );
                        }
                    }
                }
                Output::Send { conn, bytes } => self.transmit(node, conn, Some(bytes)),
                Output::Close { conn } => {
                    self.pending.remove(&(node, conn));
                    self.transmit(node, conn, None);
                }
                Output::Fib(_) => self.fib_changes[node] += 1,
                Output::Log(text) => {
                    if self.record {
                        self.log.push(LogLine {
                            at: self.now - self.epoch,
                            node,
                            text,
                        });
                    }
                }
            }
        }
    }

    fn arrival(&mut self, node: NodeId, conn: ConnId) -> Instant {
        let base = self.now + self.delay();
        let e = self.last.entry((node, conn)).or_insert(base);
        if *e < base {
            *e = base;
        }
        *e
    }

    /// Runs until `until` (virtual), processing deliveries and timers in
    /// time order.
    pub fn run_until(&mut self, until: Instant) {
        while self.step(until) {}
        self.now = self.now.max(until);
    }

    /// Processes the earliest delivery or timer if it is due at or before
    /// `until`; `false` when there is none.
    pub fn step(&mut self, until: Instant) -> bool {
        loop {
            let next_ev = self.queue.peek().map(|Reverse((t, ..))| *t);
            let next_timer = self.next_timer();
            let timer_first = match (next_ev, next_timer) {
                (Some(e), Some((t, _))) => t < e,
                (None, Some(_)) => true,
                (_, None) => false,
            };
            if timer_first {
                let (t, node) = next_timer.expect("checked");
                if t > until {
                    return false;
                }
                self.now = self.now.max(t);
                self.timers.pop();
                self.deadline[node] = None;
                let now = self.now;
                self.nodes[node].handle_timeout(now);
                self.drain(node);
                return true;
            }
            let Some(e) = next_ev.filter(|e| *e <= until) else {
                return false;
            };
            self.now = self.now.max(e);
            let Reverse((_, _, key)) = self.queue.pop().expect("peeked");
            let (inc, ev) = self.events.remove(&key).expect("queued");
            let n = Self::target(&ev);
            if self.inc[n] != inc || !self.up[n] {
                continue;
            }
            self.deliver(ev);
            return true;
        }
    }

    /// Grows whenever some router's routing inputs changed
    /// ([`Router::changes`]), or a node failed or booted.
    pub const fn routing_changes(&self) -> u64 {
        self.routing
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        self.run_until(until);
    }

    fn deliver(&mut self, ev: Ev) {
        let now = self.now;
        match ev {
            Ev::Syn { from, conn, to } => {
                if !self.pending.contains_key(&(from, conn)) {
                    return;
                }
                let ok = if self.linked(from, to) {
                    let remote = SocketAddr::new(self.addrs[from], 40000 + (conn % 20000) as u16);
                    let local = SocketAddr::new(self.addrs[to], 179);
                    let accepted = self.nodes[to].accept(now, remote, local);
                    if let Some(pconn) = accepted {
                        self.pairs.insert((from, conn), (to, pconn));
                        self.pairs.insert((to, pconn), (from, conn));
                    }
                    accepted.is_some()
                } else {
                    false
                };
                // The connector hears of the connection before any byte the
                // listener sends on it (same instant, queued first).
                let at = now + self.latency;
                self.push(
                    at,
                    Ev::SynAck {
                        node: from,
                        conn,
                        ok,
                    },
                );
                self.drain(to);
            }
            Ev::SynAck { node, conn, ok } => {
                if self.pending.remove(&(node, conn)).is_none() {
                    return;
                }
                if !self.up[node] {
                    return;
                }
                if ok {
                    let local = SocketAddr::new(self.addrs[node], 40000 + (conn % 20000) as u16);
                    self.nodes[node].connected(now, conn, local);
                } else {
                    self.nodes[node].connect_failed(now, conn);
                }
                self.drain(node);
            }
            Ev::Data { node, conn, bytes } => {
                if self.up[node] {
                    self.nodes[node].input(now, conn, &bytes);
                    self.drain(node);
                }
            }
            Ev::Fin { node, conn } => {
                if self.up[node] {
                    self.nodes[node].closed(now, conn);
                    self.drain(node);
                }
            }
        }
    }

    /// Runs until no event is queued within `quiet` of virtual time (timers
    /// further out, such as keepalives, do not count), or `limit` passes.
    /// Returns the time it took.
    pub fn settle(&mut self, quiet: Duration, limit: Duration) -> Duration {
        let start = self.now;
        let deadline = start + limit;
        loop {
            let step = self.now + quiet;
            let before = self.seq;
            self.run_until(step.min(deadline));
            if self.seq == before || self.now >= deadline {
                return self.now - start;
            }
        }
    }

    /// Which node each node's sessions are up with, for a quick picture.
    pub fn sessions(&self, now: Instant) -> BTreeMap<NodeId, Vec<(IpAddr, bgp_fsm::StateKind)>> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    i,
                    r.summary(now)
                        .into_iter()
                        .map(|s| (s.address, s.state))
                        .collect(),
                )
            })
            .collect()
    }
}

//! A whole BGP speaker, sans-IO: sessions, RIB and policies wired together
//! from an FRR-style configuration.
//!
//! [`Router`] is what `speaker` runs on tokio sockets and what `fabric` runs
//! by the thousand in virtual time. It owns one [`Session`] per neighbor
//! (two for a moment during a connection collision), one [`Rib`], and the
//! compiled [`Policies`]; the caller owns the transport and the clock.
//!
//! # The run loop
//! The caller feeds transport events and time in:
//! [`accept`](Router::accept), [`connected`](Router::connected),
//! [`connect_failed`](Router::connect_failed), [`input`](Router::input),
//! [`closed`](Router::closed), [`handle_timeout`](Router::handle_timeout),
//! and commands ([`announce`](Router::announce), [`clear`](Router::clear),
//! [`shutdown`](Router::shutdown), …). After each, it drains
//! [`poll_output`](Router::poll_output) until `None` — connections to open,
//! bytes to write, connections to close, Loc-RIB changes for a FIB, log
//! lines — and sleeps until [`poll_timeout`](Router::poll_timeout).
//!
//! Routes are propagated at once (an MRAI of zero, as FRR does for iBGP and
//! by default for eBGP): every input that changes the RIB is followed by
//! draining its changes into UPDATEs for the established neighbors.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bgp_fsm::{CloseReason, Event, GracefulRestart, Session, SessionConfig, StateKind};
use bgp_policy::prefix_list::AddrFamily;
use bgp_policy::{Policies, SharedPrefixList, SharedRouteMap};
use bgp_rib::policy::{PeerInfo, Policy, PolicyRoute, PrefixRange, Source, Verdict};
use bgp_rib::{
    AddPathSend, Announcement, DecisionConfig, DefaultOriginate, LocRibChange, NextHopMode,
    PeerConfig, PeerId, Rib, RibConfig, SharedPolicy,
};
use bgp_wire::codepoint::{AddPathMode, RouteRefreshSubtype};
use bgp_wire::{Family, FamilySet, RouteAttrs, UpdateBuilder};
use bytes::BytesMut;
use ipnet::IpNet;

use crate::bgpconf::{Af, BgpConfig, RemoteAs, ResolvedNeighbor};

/// A transport connection, named by the router.
pub type ConnId = u64;

/// What the router asks of its caller.
#[derive(Debug)]
pub enum Output {
    /// Open a TCP connection to `remote` (from `local` when given) and report
    /// it with [`Router::connected`] or [`Router::connect_failed`].
    Connect {
        /// The connection's name.
        conn: ConnId,
        /// Where to.
        remote: SocketAddr,
        /// The source address (`update-source`).
        local: Option<IpAddr>,
    },
    /// Write these bytes on the connection.
    Send {
        /// The connection.
        conn: ConnId,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// Close the connection, after writing what was sent on it.
    Close {
        /// The connection.
        conn: ConnId,
    },
    /// The Loc-RIB's best path for a prefix changed (program a FIB here).
    Fib(LocRibChange),
    /// Something worth a log line.
    Log(String),
}

/// What `clear neighbor` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clear {
    /// Reset the session.
    Hard,
    /// Apply the import policy again (from the soft-reconfiguration copy,
    /// or by asking the peer with ROUTE-REFRESH).
    SoftIn,
    /// Send the Adj-RIB-Out again under the current export policy.
    SoftOut,
}

/// One line of `show summary`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeighborSummary {
    /// The neighbor's address.
    pub address: IpAddr,
    /// Its AS (as configured, or as learned for `external`/`internal`).
    pub asn: Option<u32>,
    /// The session state.
    pub state: StateKind,
    /// Time in Established.
    pub uptime: Option<Duration>,
    /// Prefixes the peer announced (Adj-RIB-In).
    pub received: usize,
    /// Prefixes accepted by import policy.
    pub accepted: usize,
    /// Prefixes advertised to it.
    pub advertised: usize,
    /// `description`.
    pub description: Option<String>,
    /// Accepted from a `bgp listen range`.
    pub dynamic: bool,
    /// What the session negotiated, while Established.
    pub negotiated: Option<bgp_fsm::Negotiated>,
}

/// A configuration error found when building policies for a neighbor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouterError(pub String);

impl std::fmt::Display for RouterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RouterError {}

struct Slot {
    session: Session,
    conn: Option<ConnId>,
    inbox: BytesMut,
}

struct Nbr {
    cfg: ResolvedNeighbor,
    dynamic: bool,
    main: Slot,
    /// An inbound connection that arrived while `main` was past Active
    /// (RFC 4271 §6.8): kept until the collision is decided.
    candidate: Option<Slot>,
    rib_peer: Option<PeerId>,
    /// Our address on the current connection.
    local: Option<IpAddr>,
    up_since: Option<Instant>,
    remove_when_down: bool,
    /// Families the peer asked to refresh (ROUTE-REFRESH): the next flush
    /// sends the whole Adj-RIB-Out of each again (RFC 2918 §4).
    refresh: FamilySet,
    /// Whether the session was sent our End-of-RIB markers (after the
    /// first flush that follows Established: the initial Adj-RIB-Out).
    eor_sent: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Main,
    Candidate,
}

/// The speaker core. See the [module docs](self).
pub struct Router {
    bgp: BgpConfig,
    policies: Arc<Policies>,
    rib: Rib,
    router_id: Ipv4Addr,
    nbrs: Vec<Option<Nbr>>,
    /// Neighbor index by address.
    index: HashMap<IpAddr, usize>,
    /// Neighbor deadlines: a heap with lazy deletion; `deadline[i]` is the
    /// current one of neighbor `i`.
    timers: BinaryHeap<Reverse<(Instant, usize)>>,
    deadline: Vec<Option<Instant>>,
    /// Grows with every change to the RIB's inputs (for watchers).
    changes: u64,
    /// [`shutdown`](Self::shutdown) was called: sessions that go down no
    /// longer change the RIB.
    stopping: bool,
    /// How long RIB changes may wait to be sent (0: at once).
    batching: Duration,
    /// When the pending RIB changes go out.
    flush_at: Option<Instant>,
    /// While the RIB holds routes of peers sending their initial tables
    /// ([`Rib::defer_until_end_of_rib`]): when the first and the latest
    /// of them arrived.
    held: Option<(Instant, Instant)>,
    conns: HashMap<ConnId, (usize, Which)>,
    next_conn: ConnId,
    out: VecDeque<Output>,
    seed: u64,
    buf: Vec<u8>,
}

const BGP_PORT: u16 = 179;

/// Held routes are applied once no UPDATE came for this long (a peer that
/// sends no End-of-RIB)...
const HOLD_QUIET: Duration = Duration::from_millis(100);
/// ... or this long after the first of them arrived ...
const HOLD_MAX: Duration = Duration::from_secs(2);
/// ... or when this many are held (16 octets each).
const HOLD_LIMIT: usize = 4 << 20;

impl Router {
    /// A router for `bgp` with `policies`; neighbors are started at `now`
    /// (unless `shutdown`). `seed` seeds the sessions' timer jitter.
    pub fn new(
        bgp: BgpConfig,
        policies: Arc<Policies>,
        now: Instant,
        seed: u64,
    ) -> Result<Self, RouterError> {
        let router_id = bgp
            .router_id
            .or_else(|| {
                bgp.neighbors
                    .iter()
                    .find_map(|n| match n.settings.update_source {
                        Some(IpAddr::V4(a)) => Some(a),
                        _ => None,
                    })
            })
            .ok_or_else(|| RouterError("no 'bgp router-id' and no IPv4 update-source".into()))?;
        let decision = DecisionConfig {
            always_compare_med: bgp.bestpath.always_compare_med,
            deterministic_med: bgp.bestpath.deterministic_med,
            med_missing_as_worst: bgp.bestpath.med_missing_as_worst,
            ignore_as_path_length: bgp.bestpath.as_path_ignore,
            multipath_relax: bgp.bestpath.multipath_relax,
            ..DecisionConfig::default()
        };
        let rib = Rib::new(RibConfig {
            cluster_id: bgp.cluster_id,
            decision,
            ..RibConfig::new(bgp.asn, router_id)
        });
        let mut r = Self {
            bgp,
            policies,
            rib,
            router_id,
            nbrs: Vec::new(),
            index: HashMap::new(),
            timers: BinaryHeap::new(),
            deadline: Vec::new(),
            changes: 0,
            stopping: false,
            batching: Duration::ZERO,
            flush_at: None,
            held: None,
            conns: HashMap::new(),
            next_conn: 1,
            out: VecDeque::new(),
            seed,
            buf: Vec::new(),
        };
        r.check_policies()?;
        r.originate_networks()?;
        let configured: Vec<ResolvedNeighbor> = r.bgp.resolved_neighbors().collect();
        for n in configured {
            r.add_neighbor(n, false, now);
        }
        r.flush(now);
        Ok(r)
    }

    /// Every policy name the configuration refers to must exist: FRR would
    /// deny everything through a missing one, which is almost never meant.
    fn check_policies(&self) -> Result<(), RouterError> {
        let cfg = self.policies.config();
        let groups = self.bgp.groups.iter().map(|(g, s)| (g.clone(), s));
        let nbrs = self
            .bgp
            .neighbors
            .iter()
            .map(|n| (n.address.to_string(), &n.settings));
        for (who, s) in groups.chain(nbrs) {
            for (af, a) in &s.af {
                let fam = addr_family(*af);
                for pl in [&a.prefix_list_in, &a.prefix_list_out]
                    .into_iter()
                    .flatten()
                {
                    if cfg.prefix_list(fam, pl).is_none() {
                        return Err(RouterError(format!(
                            "neighbor {who}: prefix-list {pl} ({}) is not defined",
                            af_name(*af)
                        )));
                    }
                }
                let rms = [&a.route_map_in, &a.route_map_out]
                    .into_iter()
                    .flatten()
                    .chain(a.default_originate.iter().flatten());
                for rm in rms {
                    if !self.policies.route_map(rm).exists() {
                        return Err(RouterError(format!(
                            "neighbor {who}: route-map {rm} is not defined"
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    fn originate_networks(&mut self) -> Result<(), RouterError> {
        let local = self.local_info();
        let networks: Vec<_> = self.bgp.networks.values().flatten().cloned().collect();
        for n in networks {
            let mut attrs = RouteAttrs::default();
            if let Some(rm) = &n.route_map {
                let route = PolicyRoute {
                    prefix: n.prefix,
                    path_id: None,
                    attrs: &attrs,
                    weight: 32768,
                    source: Source::Static,
                    direction: bgp_rib::policy::Direction::Import,
                    peer: &local,
                };
                match self.policies.route_map(rm).evaluate(&route) {
                    Verdict::Deny => continue,
                    Verdict::Permit => {}
                    Verdict::Modified(m) => attrs = m.attrs,
                }
            }
            self.rib.originate(n.prefix, attrs, Source::Static);
        }
        Ok(())
    }

    fn local_info(&self) -> PeerInfo {
        PeerInfo {
            address: IpAddr::V4(self.router_id),
            local_address: IpAddr::V4(self.router_id),
            asn: self.bgp.asn,
            local_asn: self.bgp.asn,
            router_id: self.router_id,
            role: None,
        }
    }

    fn session_config(&self, n: &ResolvedNeighbor, passive: bool, idx: usize) -> SessionConfig {
        let s = &n.settings;
        let peer_as = match s.remote_as {
            Some(RemoteAs::Asn(a)) => Some(a),
            Some(RemoteAs::Internal) => Some(self.bgp.asn),
            Some(RemoteAs::External) | None => None,
        };
        let mut c = SessionConfig::new(self.bgp.asn, peer_as, self.router_id);
        if let Some((ka, hold)) = s.timers {
            c.hold_time = hold;
            c.keepalive_time = Some(Duration::from_secs(u64::from(ka)));
        }
        if let Some(cr) = s.connect_retry {
            c.connect_retry_time = Duration::from_secs(u64::from(cr));
        }
        c.passive = passive || s.passive == Some(true);
        c.families = [Af::Ipv4Unicast, Af::Ipv6Unicast]
            .into_iter()
            .filter(|af| n.af(*af).is_some())
            .map(family)
            .collect();
        // As FRR does: offer to receive ADD-PATH on every active family,
        // to send it where `addpath-tx-all-paths` is set; and offer
        // extended messages (RFC 8654), used only when the peer offers them.
        c.add_path = [Af::Ipv4Unicast, Af::Ipv6Unicast]
            .into_iter()
            .filter_map(|af| Some((af, n.af(af)?)))
            .map(|(af, a)| {
                let mode = if a.addpath_tx_all_paths == Some(true) {
                    AddPathMode::BOTH
                } else {
                    AddPathMode::RECEIVE
                };
                (family(af), mode)
            })
            .collect();
        c.extended_message = true;
        if s.extended_nexthop == Some(true) {
            c.extended_next_hop = vec![(Family::IPV4_UNICAST, bgp_wire::Afi::IPV6)];
        }
        c.max_prefixes = [Af::Ipv4Unicast, Af::Ipv6Unicast]
            .into_iter()
            .filter_map(|af| Some((family(af), n.af(af)?.maximum_prefix?)))
            .map(|(f, m)| {
                let mut mp = bgp_fsm::MaxPrefix::new(m.limit);
                mp.warning_only = m.warning_only;
                mp.restart = (m.restart_minutes > 0)
                    .then(|| Duration::from_secs(60 * u64::from(m.restart_minutes)));
                (f, mp)
            })
            .collect();
        if let Some(gr) = self.bgp.graceful_restart {
            c.graceful_restart = Some(GracefulRestart::new(gr.restart_time, &c.families));
            c.stale_routes_time = Duration::from_secs(u64::from(gr.stalepath_time));
        }
        c.rng_seed = self.seed ^ (idx as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        c
    }

    fn add_neighbor(&mut self, cfg: ResolvedNeighbor, dynamic: bool, now: Instant) -> usize {
        let idx = self
            .nbrs
            .iter()
            .position(Option::is_none)
            .unwrap_or(self.nbrs.len());
        let session = Session::new(self.session_config(&cfg, dynamic, idx));
        let mut n = Nbr {
            cfg,
            dynamic,
            main: Slot {
                session,
                conn: None,
                inbox: BytesMut::new(),
            },
            candidate: None,
            rib_peer: None,
            local: None,
            up_since: None,
            remove_when_down: false,
            refresh: FamilySet::default(),
            eor_sent: false,
        };
        if n.cfg.settings.shutdown.is_none() {
            n.main.session.start(now);
        }
        self.index.insert(n.cfg.address, idx);
        if idx == self.nbrs.len() {
            self.nbrs.push(Some(n));
            self.deadline.push(None);
        } else {
            self.nbrs[idx] = Some(n);
        }
        self.pump(now, idx);
        idx
    }

    fn new_conn(&mut self, idx: usize, which: Which) -> ConnId {
        let c = self.next_conn;
        self.next_conn += 1;
        self.conns.insert(c, (idx, which));
        c
    }

    fn slot(&mut self, idx: usize, which: Which) -> Option<&mut Slot> {
        let n = self.nbrs.get_mut(idx)?.as_mut()?;
        match which {
            Which::Main => Some(&mut n.main),
            Which::Candidate => n.candidate.as_mut(),
        }
    }
}

/// # Transport input
impl Router {
    /// A TCP connection arrived from `remote` on our `local` address. Returns
    /// its name, or `None` when it is refused (close it): no neighbor or
    /// listen range matches, the neighbor is shut down, or it already has an
    /// established session.
    pub fn accept(
        &mut self,
        now: Instant,
        remote: SocketAddr,
        local: SocketAddr,
    ) -> Option<ConnId> {
        let addr = remote.ip();
        let idx = match self.find(addr) {
            Some(i) => i,
            None => {
                let cfg = self.bgp.resolve_dynamic(addr)?;
                self.out.push_back(Output::Log(format!(
                    "{addr}: dynamic neighbor accepted (peer-group {})",
                    cfg.group.as_deref().unwrap_or("?")
                )));
                self.add_neighbor(cfg, true, now)
            }
        };
        let n = self.nbrs[idx].as_mut()?;
        let state = n.main.session.state();
        let which = match state {
            StateKind::Idle | StateKind::Established => return None,
            StateKind::Connect | StateKind::Active => {
                // Drop our own connection attempt in favour of theirs.
                if let Some(c) = n.main.conn.take() {
                    self.conns.remove(&c);
                    self.out.push_back(Output::Close { conn: c });
                }
                n.main.session.handle_accepted(now);
                Which::Main
            }
            StateKind::OpenSent | StateKind::OpenConfirm => {
                if n.candidate.is_some() {
                    return None;
                }
                let mut cfg = n.main.session.config().clone();
                cfg.passive = true;
                cfg.automatic_restart = false;
                let mut s = Session::new(cfg);
                s.start(now);
                s.handle_accepted(now);
                n.candidate = Some(Slot {
                    session: s,
                    conn: None,
                    inbox: BytesMut::new(),
                });
                Which::Candidate
            }
        };
        n.local = Some(local.ip());
        let conn = self.new_conn(idx, which);
        self.slot(idx, which).expect("just set").conn = Some(conn);
        self.pump(now, idx);
        Some(conn)
    }

    /// The connection asked for by [`Output::Connect`] is up, from `local`.
    /// A connection the router no longer wants (it was replaced or closed
    /// meanwhile) is answered with [`Output::Close`].
    pub fn connected(&mut self, now: Instant, conn: ConnId, local: SocketAddr) {
        let Some(&(idx, which)) = self.conns.get(&conn) else {
            self.out.push_back(Output::Close { conn });
            return;
        };
        if let Some(n) = self.nbrs[idx].as_mut() {
            n.local = Some(local.ip());
        }
        if let Some(s) = self.slot(idx, which) {
            s.session.handle_connected(now);
        }
        self.pump(now, idx);
    }

    /// The connection asked for could not be made.
    pub fn connect_failed(&mut self, now: Instant, conn: ConnId) {
        let Some((idx, which)) = self.conns.remove(&conn) else {
            return;
        };
        if let Some(s) = self.slot(idx, which) {
            s.conn = None;
            s.session.handle_connect_failed(now);
        }
        self.pump(now, idx);
    }

    /// Bytes arrived on a connection.
    pub fn input(&mut self, now: Instant, conn: ConnId, bytes: &[u8]) {
        let Some(&(idx, which)) = self.conns.get(&conn) else {
            return;
        };
        if let Some(s) = self.slot(idx, which) {
            s.inbox.extend_from_slice(bytes);
            let Slot { session, inbox, .. } = s;
            session.handle_input(now, inbox);
        }
        self.pump(now, idx);
    }

    /// The peer closed the connection (or it broke).
    pub fn closed(&mut self, now: Instant, conn: ConnId) {
        let Some((idx, which)) = self.conns.remove(&conn) else {
            return;
        };
        if let Some(s) = self.slot(idx, which) {
            s.conn = None;
            s.inbox.clear();
            s.session.handle_closed(now);
        }
        self.pump(now, idx);
    }

    /// Time passed: run whatever timers expired at or before `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(&Reverse((t, idx))) = self.timers.peek() {
            if t > now {
                break;
            }
            self.timers.pop();
            if self.deadline[idx] != Some(t) {
                continue;
            }
            self.deadline[idx] = None;
            let Some(n) = self.nbrs[idx].as_mut() else {
                continue;
            };
            let due = |s: &Session| s.poll_timeout().is_some_and(|t| t <= now);
            if due(&n.main.session) {
                n.main.session.handle_timeout(now);
            }
            if let Some(c) = n.candidate.as_mut().filter(|c| due(&c.session)) {
                c.session.handle_timeout(now);
            }
            self.pump(now, idx);
        }
        if self.rib.poll_timeout().is_some_and(|t| t <= now) {
            self.rib.handle_timeout(now);
            self.changes += 1;
            self.flush(now);
        }
        if self.held_deadline().is_some_and(|t| t <= now) {
            self.apply_held();
            self.changes += 1;
            self.flush(now);
        }
        if self.flush_at.is_some_and(|t| t <= now) {
            self.flush_now(now);
        }
    }

    /// Lets RIB changes gather for up to `window` before they are sent, so
    /// that a burst of UPDATEs from many peers is propagated in one pass
    /// (an MRAI-like batching; FRR batches every 50 ms). Zero, the default,
    /// sends at once.
    pub fn set_batching(&mut self, window: Duration) {
        self.batching = window;
    }

    /// Whether Loc-RIB changes are output as [`Output::Fib`] (on by
    /// default). A router that installs nothing and does not log them turns
    /// this off, and its RIB then keeps no Loc-RIB change stream at all
    /// ([`Rib::set_loc_rib_changes`]).
    pub fn set_fib_output(&mut self, on: bool) {
        self.rib.set_loc_rib_changes(on);
    }

    /// Re-reads neighbor `idx`'s deadline into the timer heap.
    fn rearm(&mut self, idx: usize) {
        let d = self.nbrs[idx].as_ref().and_then(|n| {
            [
                n.main.session.poll_timeout(),
                n.candidate.as_ref().and_then(|c| c.session.poll_timeout()),
            ]
            .into_iter()
            .flatten()
            .min()
        });
        if d != self.deadline[idx] {
            self.deadline[idx] = d;
            if let Some(t) = d {
                self.timers.push(Reverse((t, idx)));
            }
        }
    }

    /// The earliest instant at which [`handle_timeout`](Self::handle_timeout)
    /// has work.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(&Reverse((t, idx))) = self.timers.peek() {
            if self.deadline[idx] == Some(t) {
                break;
            }
            self.timers.pop();
        }
        let sessions = self.timers.peek().map(|Reverse((t, _))| *t);
        [
            sessions,
            self.rib.poll_timeout(),
            self.flush_at,
            self.held_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// A counter that grows whenever the RIB's inputs change (routes
    /// received or originated, sessions up or down): a watcher that saw it
    /// unchanged knows the routing state is as it was.
    pub const fn changes(&self) -> u64 {
        self.changes
    }

    /// The next thing for the caller to do.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }
}

/// # Commands
impl Router {
    /// Originates `prefix` with `attrs` (the control socket's `announce
    /// route`).
    pub fn announce(&mut self, now: Instant, prefix: IpNet, attrs: RouteAttrs) {
        self.rib.originate(prefix, attrs, Source::Static);
        self.changes += 1;
        self.flush(now);
    }

    /// Withdraws a prefix originated with [`announce`](Self::announce).
    pub fn withdraw(&mut self, now: Instant, prefix: IpNet) {
        self.rib.withdraw_originated(prefix);
        self.changes += 1;
        self.flush(now);
    }

    /// `clear neighbor ADDR [soft in|out]`. `false` if there is no such
    /// neighbor.
    pub fn clear(&mut self, now: Instant, addr: IpAddr, how: Clear) -> bool {
        let Some(idx) = self.find(addr) else {
            return false;
        };
        let n = self.nbrs[idx].as_mut().expect("found");
        match how {
            Clear::Hard => n.main.session.reset(now, "", false),
            Clear::SoftIn => {
                let soft = [Af::Ipv4Unicast, Af::Ipv6Unicast].into_iter().any(|af| {
                    n.cfg
                        .af(af)
                        .is_some_and(|a| a.soft_reconfiguration_inbound == Some(true))
                });
                // The current import policy goes in either way: with
                // soft-reconfiguration it is applied to the stored copy at
                // once; without, to what the peer resends on ROUTE-REFRESH.
                if let Some(p) = n.rib_peer {
                    let policy = import_policy(
                        &self.policies,
                        &n.cfg,
                        self.bgp.ebgp_requires_policy,
                        self.bgp.asn,
                    );
                    let _ = self.rib.set_import_policy(p, policy);
                }
                if !soft {
                    // Only for families the session negotiated (RFC 2918 §3).
                    let negotiated = n
                        .main
                        .session
                        .negotiated()
                        .map(|x| x.families)
                        .unwrap_or_default();
                    for f in negotiated.iter() {
                        let _ =
                            n.main
                                .session
                                .send_route_refresh(now, f, RouteRefreshSubtype::NORMAL);
                    }
                }
            }
            Clear::SoftOut => {
                if let Some(p) = n.rib_peer {
                    let policy = export_policy(
                        &self.policies,
                        &n.cfg,
                        self.bgp.ebgp_requires_policy,
                        self.bgp.asn,
                    );
                    let _ = self.rib.set_export_policy(p, policy);
                }
            }
        }
        self.pump(now, idx);
        true
    }

    /// Sends every neighbor a Cease (administrative shutdown, with
    /// `message` as the RFC 9003 communication) and stops.
    ///
    /// Neighbors' routes are not taken out of the RIB one by one: every
    /// session is closing, so there is no one to send withdrawals to, and
    /// that work (half a second per million routes) would hold back the
    /// Ceases of the neighbors after the first. With the FIB output on
    /// (see [`set_fib_output`](Self::set_fib_output)), the changes not yet
    /// output and then a deletion of every Loc-RIB prefix follow the
    /// Ceases: a FIB hook removes its routes when the speaker stops, as
    /// BIRD and FRR remove their kernel routes unless told to keep them.
    pub fn shutdown(&mut self, now: Instant, message: &str) {
        self.stopping = true;
        for idx in 0..self.nbrs.len() {
            if let Some(n) = self.nbrs[idx].as_mut() {
                n.main.session.stop(now, message);
                if let Some(c) = n.candidate.as_mut() {
                    c.session.stop(now, message);
                }
                self.pump(now, idx);
            }
        }
        if self.rib.config().loc_rib_changes {
            for c in self.rib.drain_loc_rib() {
                self.out.push_back(Output::Fib(c));
            }
            let gone: Vec<IpNet> = self.rib.loc_rib().map(|(p, _)| p).collect();
            self.out.extend(gone.into_iter().map(|prefix| {
                Output::Fib(LocRibChange {
                    prefix,
                    paths: Default::default(),
                    step: None,
                })
            }));
        }
    }

    /// Builds a router from a whole FRR configuration text: policy
    /// statements (bgp-policy's parser) and the `router bgp` block
    /// ([`BgpConfig`]).
    pub fn from_text(text: &str, now: Instant, seed: u64) -> Result<Self, RouterError> {
        let (bgp, policies) = parse_config(text)?;
        Self::new(bgp, Arc::new(policies), now, seed)
    }

    /// A `reload`: applies a new configuration without dropping sessions
    /// where possible. Policies are swapped in place and re-applied (soft
    /// reconfiguration or ROUTE-REFRESH in, a fresh Adj-RIB-Out out);
    /// neighbors that are new are started, removed ones are stopped with a
    /// Cease, and ones whose session parameters changed are reset. Networks
    /// are originated and withdrawn to match. Returns what was done.
    pub fn reconfigure(
        &mut self,
        now: Instant,
        bgp: BgpConfig,
        policies: Arc<Policies>,
    ) -> Result<String, RouterError> {
        if bgp.asn != self.bgp.asn || bgp.router_id.is_some_and(|r| r != self.router_id) {
            return Err(RouterError(
                "the AS number or router-id changed: restart the speaker".into(),
            ));
        }
        let old_policies = std::mem::replace(&mut self.policies, policies);
        let old_bgp = std::mem::replace(&mut self.bgp, bgp);
        if let Err(e) = self.check_policies() {
            self.policies = old_policies;
            self.bgp = old_bgp;
            return Err(e);
        }
        let mut report = String::new();
        // Networks.
        let old_nets: Vec<IpNet> = old_bgp
            .networks
            .values()
            .flatten()
            .map(|n| n.prefix)
            .collect();
        for p in old_nets {
            self.rib.withdraw_originated(p);
        }
        self.originate_networks()?;
        // Neighbors.
        let wanted: Vec<ResolvedNeighbor> = self.bgp.resolved_neighbors().collect();
        for idx in 0..self.nbrs.len() {
            let Some(n) = self.nbrs[idx].as_mut() else {
                continue;
            };
            let new = if n.dynamic {
                self.bgp.resolve_dynamic(n.cfg.address)
            } else {
                wanted.iter().find(|w| w.address == n.cfg.address).cloned()
            };
            match new {
                None => {
                    let _ = writeln!(report, "{}: removed", n.cfg.address);
                    n.main
                        .session
                        .stop(now, "neighbor removed from the configuration");
                    n.remove_when_down = true;
                    if n.main.conn.is_none() {
                        if let Some(p) = n.rib_peer.take() {
                            let _ = self.rib.remove_peer(p);
                        }
                        self.index.remove(&n.cfg.address);
                        self.nbrs[idx] = None;
                        continue;
                    }
                }
                Some(cfg) if session_differs(&cfg, &n.cfg) => {
                    let _ = writeln!(report, "{}: session settings changed, reset", n.cfg.address);
                    let dynamic = n.dynamic;
                    n.main.session.stop(now, "configuration change");
                    let conns: Vec<ConnId> =
                        [n.main.conn, n.candidate.as_ref().and_then(|c| c.conn)]
                            .into_iter()
                            .flatten()
                            .collect();
                    for c in conns {
                        self.conns.remove(&c);
                        self.out.push_back(Output::Close { conn: c });
                    }
                    let old = self.nbrs[idx].take().expect("checked");
                    self.index.remove(&old.cfg.address);
                    if let Some(p) = old.rib_peer {
                        let _ = self.rib.remove_peer(p);
                    }
                    if !dynamic {
                        self.add_neighbor(cfg, false, now);
                    }
                    continue;
                }
                Some(cfg) => {
                    if cfg != n.cfg {
                        let _ = writeln!(report, "{}: policies changed", n.cfg.address);
                    }
                    n.cfg = cfg;
                }
            }
            self.pump(now, idx);
        }
        for w in wanted {
            if self.find(w.address).is_none() {
                let _ = writeln!(report, "{}: added", w.address);
                self.add_neighbor(w, false, now);
            }
        }
        // Policies (and per-neighbor policy names) take effect in place.
        let addrs: Vec<IpAddr> = self.nbrs.iter().flatten().map(|n| n.cfg.address).collect();
        for a in addrs {
            self.clear(now, a, Clear::SoftIn);
            self.clear(now, a, Clear::SoftOut);
        }
        self.changes += 1;
        self.flush(now);
        if report.is_empty() {
            report.push_str("no neighbor changed; policies re-applied\n");
        }
        Ok(report)
    }
}

/// Splits an FRR configuration into its `router bgp` part and its policies.
pub fn parse_config(text: &str) -> Result<(BgpConfig, Policies), RouterError> {
    let (policy, rest) =
        bgp_policy::Config::parse_full(text).map_err(|e| RouterError(e.to_string()))?;
    let bgp = BgpConfig::parse(rest.iter().map(|l| (l.line, l.text.as_str())))
        .map_err(|e| RouterError(e.to_string()))?;
    Ok((bgp, Policies::new(policy)))
}

/// Whether two settings of a neighbor differ in more than their policy
/// names (which a reload applies in place).
fn session_differs(a: &ResolvedNeighbor, b: &ResolvedNeighbor) -> bool {
    let strip = |n: &ResolvedNeighbor| {
        let mut n = n.clone();
        for af in n.settings.af.values_mut() {
            af.prefix_list_in = None;
            af.prefix_list_out = None;
            af.route_map_in = None;
            af.route_map_out = None;
        }
        n.settings.description = None;
        n
    };
    strip(a) != strip(b)
}

/// # Getters
impl Router {
    /// The RIB (for `show rib`, `show neighbor … routes`).
    pub const fn rib(&self) -> &Rib {
        &self.rib
    }

    /// Our AS.
    pub const fn asn(&self) -> u32 {
        self.bgp.asn
    }

    /// Our router ID.
    pub const fn router_id(&self) -> Ipv4Addr {
        self.router_id
    }

    /// The RIB's peer for a neighbor address, once it has been up.
    pub fn rib_peer(&self, addr: IpAddr) -> Option<PeerId> {
        self.nbrs[self.find(addr)?].as_ref()?.rib_peer
    }

    /// The session state of a neighbor.
    pub fn state(&self, addr: IpAddr) -> Option<StateKind> {
        Some(self.nbrs[self.find(addr)?].as_ref()?.main.session.state())
    }

    /// `show summary`.
    pub fn summary(&self, now: Instant) -> Vec<NeighborSummary> {
        self.nbrs
            .iter()
            .flatten()
            .map(|n| {
                let (received, accepted, advertised) = match n.rib_peer {
                    Some(p) => {
                        // Kept by the RIB as routes come and go: no walk of
                        // the table per neighbor.
                        let mut sum = (0, 0, 0);
                        for f in [Family::IPV4_UNICAST, Family::IPV6_UNICAST] {
                            let c = self.rib.peer_counts(p, f).unwrap_or_default();
                            sum.0 += c.received;
                            sum.1 += c.accepted;
                            sum.2 += c.advertised;
                        }
                        // Without soft-reconfiguration inbound nothing is
                        // kept before policy: what was received is what
                        // was accepted, as FRR shows it.
                        let soft = self
                            .rib
                            .peer_config(p)
                            .is_ok_and(|c| c.soft_reconfiguration_inbound);
                        if !soft {
                            sum.0 = sum.1;
                        }
                        sum
                    }
                    None => (0, 0, 0),
                };
                NeighborSummary {
                    address: n.cfg.address,
                    asn: n.main.session.peer_as().or(match n.cfg.settings.remote_as {
                        Some(RemoteAs::Asn(a)) => Some(a),
                        Some(RemoteAs::Internal) => Some(self.bgp.asn),
                        _ => None,
                    }),
                    state: n.main.session.state(),
                    uptime: n.main.session.uptime(now),
                    received,
                    accepted,
                    advertised,
                    description: n.cfg.settings.description.clone(),
                    dynamic: n.dynamic,
                    negotiated: n.main.session.negotiated().cloned(),
                }
            })
            .collect()
    }

    fn find(&self, addr: IpAddr) -> Option<usize> {
        self.index.get(&addr).copied()
    }

    /// Each neighbor's address, session state and whether it is dynamic
    /// (cheaper than [`summary`](Self::summary)).
    pub fn neighbor_states(&self) -> impl Iterator<Item = (IpAddr, StateKind, bool)> + '_ {
        self.nbrs
            .iter()
            .flatten()
            .map(|n| (n.cfg.address, n.main.session.state(), n.dynamic))
    }
}

/// # Internals
impl Router {
    /// Drains one neighbor's sessions: bytes, events, collision, then the
    /// RIB's changes for everyone.
    fn pump(&mut self, now: Instant, idx: usize) {
        let mut changed = false;
        // Until quiet: a candidate that becomes the main session may still
        // have events queued.
        loop {
            let mut any = false;
            for which in [Which::Main, Which::Candidate] {
                while let Some(slot) = self.slot(idx, which) {
                    let mut bytes = Vec::new();
                    let _ = slot.session.poll_transmit(&mut bytes);
                    let conn = slot.conn;
                    let event = slot.session.poll_event();
                    if let (false, Some(conn)) = (bytes.is_empty(), conn) {
                        self.out.push_back(Output::Send { conn, bytes });
                    }
                    let Some(event) = event else { break };
                    any = true;
                    changed |= self.on_event(now, idx, which, event);
                }
            }
            if !any {
                break;
            }
        }
        self.resolve_collision(now, idx);
        let remove = self.nbrs[idx].as_ref().is_some_and(|n| {
            n.remove_when_down
                && n.main.conn.is_none()
                && n.main.session.state() != StateKind::Established
        });
        if remove && let Some(n) = self.nbrs[idx].take() {
            self.index.remove(&n.cfg.address);
            if let Some(p) = n.rib_peer {
                let _ = self.rib.remove_peer(p);
                changed = true;
            }
        }
        if self.rib.deferred_len() == 0 {
            // Applied at an End-of-RIB, or the peer went down.
            self.held = None;
        }
        if changed {
            self.changes += 1;
            self.flush(now);
        }
        self.rearm(idx);
    }

    /// When the routes the RIB holds are applied if no End-of-RIB comes.
    fn held_deadline(&self) -> Option<Instant> {
        self.held
            .map(|(first, last)| (last + HOLD_QUIET).min(first + HOLD_MAX))
    }

    /// Applies the routes the RIB holds now and ends every deferral.
    fn apply_held(&mut self) {
        self.rib.apply_deferred();
        self.held = None;
    }

    fn on_event(&mut self, now: Instant, idx: usize, which: Which, event: Event) -> bool {
        let asn = self.bgp.asn;
        let requires_policy = self.bgp.ebgp_requires_policy;
        let n = self.nbrs[idx].as_mut().expect("pumped");
        let addr = n.cfg.address;
        match event {
            Event::Connect => {
                let port = n.cfg.settings.port.unwrap_or(BGP_PORT);
                let local = n.cfg.settings.update_source;
                let conn = self.new_conn(idx, which);
                // A new attempt (ConnectRetry expired) replaces the one
                // still pending: close that, or both would feed the session.
                let old = self.slot(idx, which).and_then(|s| {
                    s.inbox.clear();
                    s.conn.replace(conn)
                });
                if let Some(old) = old {
                    self.conns.remove(&old);
                    self.out.push_back(Output::Close { conn: old });
                }
                self.out.push_back(Output::Connect {
                    conn,
                    remote: SocketAddr::new(addr, port),
                    local,
                });
                false
            }
            Event::Disconnect(reason) => {
                if let Some(s) = self.slot(idx, which) {
                    s.inbox.clear();
                    if let Some(c) = s.conn.take() {
                        self.conns.remove(&c);
                        self.out.push_back(Output::Close { conn: c });
                    }
                }
                if !matches!(
                    reason,
                    CloseReason::ConnectionClosed | CloseReason::ConnectRetryExpired
                ) {
                    self.out
                        .push_back(Output::Log(format!("{addr}: closed: {reason:?}")));
                }
                let n = self.nbrs[idx].as_mut().expect("pumped");
                if which == Which::Candidate {
                    n.candidate = None;
                } else if n.dynamic {
                    n.remove_when_down = true;
                }
                false
            }
            Event::Established => {
                if which == Which::Candidate {
                    // RFC 4271 §6.8: the connection opened by the side with
                    // the higher BGP identifier survives; ours is `main`.
                    let ours_wins = n
                        .candidate
                        .as_ref()
                        .and_then(|c| c.session.peer_bgp_id())
                        .is_some_and(|peer| self.router_id > peer);
                    let main_alive = !matches!(
                        n.main.session.state(),
                        StateKind::Idle | StateKind::Connect | StateKind::Active
                    );
                    if n.main.session.state() == StateKind::Established || (ours_wins && main_alive)
                    {
                        // The candidate loses: against an established
                        // session always, else by BGP identifier (it got
                        // OPEN and KEEPALIVE in one read, before the
                        // collision check could run).
                        if let Some(c) = n.candidate.as_mut() {
                            c.session.close_for_collision(now);
                        }
                        return false;
                    }
                    // The candidate won (or the main one never got the
                    // peer's OPEN): it becomes main, the old one loses with
                    // Cease / Connection Collision Resolution.
                    let cand = n.candidate.take().expect("candidate event");
                    let mut old = std::mem::replace(&mut n.main, cand);
                    old.session.close_for_collision(now);
                    let mut bytes = Vec::new();
                    let _ = old.session.poll_transmit(&mut bytes);
                    if let Some(c) = old.conn {
                        self.conns.remove(&c);
                        if !bytes.is_empty() {
                            self.out.push_back(Output::Send { conn: c, bytes });
                        }
                        self.out.push_back(Output::Close { conn: c });
                    }
                    if let Some(c) = n.main.conn {
                        self.conns.insert(c, (idx, Which::Main));
                    }
                }
                let n = self.nbrs[idx].as_mut().expect("pumped");
                n.up_since = Some(now);
                let peer_as = n.main.session.peer_as().unwrap_or(asn);
                let router_id = n
                    .main
                    .session
                    .peer_bgp_id()
                    .unwrap_or(Ipv4Addr::UNSPECIFIED);
                let local = n.local.unwrap_or(IpAddr::V4(self.router_id));
                let info = PeerInfo {
                    address: addr,
                    local_address: local,
                    asn: peer_as,
                    local_asn: asn,
                    router_id,
                    role: None,
                };
                let peer = match n.rib_peer {
                    Some(p) if self.rib.peer_config(p).is_ok_and(|c| c.info == info) => p,
                    old => {
                        if let Some(p) = old {
                            let _ = self.rib.remove_peer(p);
                        }
                        let pc = peer_config(&self.policies, &n.cfg, info, requires_policy, asn);
                        match self.rib.add_peer(pc) {
                            Ok(p) => p,
                            Err(e) => {
                                self.out.push_back(Output::Log(format!(
                                    "{addr}: RIB refused the peer: {e}"
                                )));
                                n.main.session.reset(now, "", false);
                                return false;
                            }
                        }
                    }
                };
                n.rib_peer = Some(peer);
                n.eor_sent = false;
                let _ = self.rib.peer_up(peer);
                // The initial table goes to the decision process in prefix
                // order at its End-of-RIB (half the cost of a full table
                // applied in the order it arrives), the way FRR's
                // `update-delay` holds best-path selection at start-up.
                if let Some(neg) = n.main.session.negotiated() {
                    let _ = self.rib.defer_until_end_of_rib(peer, neg.families);
                }
                self.out
                    .push_back(Output::Log(format!("{addr}: established (AS {peer_as})")));
                true
            }
            Event::Down { reason, stale } => {
                n.up_since = None;
                // A dynamic neighbor exists only while its session does.
                n.remove_when_down |= n.dynamic;
                self.out
                    .push_back(Output::Log(format!("{addr}: down: {reason:?}")));
                if let Some(p) = n.rib_peer.filter(|_| !self.stopping) {
                    if stale.is_empty() {
                        let _ = self.rib.peer_down(p);
                    } else {
                        // The session's restart timer ends the stale period
                        // (Event::StaleRoutesFlush), or the peer's End-of-RIB.
                        let _ = self.rib.peer_down_graceful(p, stale, None);
                    }
                }
                true
            }
            Event::Update(_) | Event::EndOfRib(_) | Event::RouteRefresh(_)
                if which == Which::Candidate =>
            {
                // Only the main session feeds the RIB; a candidate that
                // lost the collision is closing.
                false
            }
            Event::Update(u) => {
                let Some(p) = n.rib_peer else { return false };
                if let Err(e) = self.rib.update(p, &u.update()) {
                    self.out.push_back(Output::Log(format!("{addr}: RIB: {e}")));
                }
                if self.rib.deferred_len() > 0 {
                    let first = self.held.map_or(now, |h| h.0);
                    self.held = Some((first, now));
                    if self.rib.deferred_len() >= HOLD_LIMIT {
                        self.apply_held();
                    }
                }
                true
            }
            Event::EndOfRib(f) => {
                if let Some(p) = n.rib_peer {
                    let _ = self.rib.end_of_rib(p, f);
                }
                true
            }
            Event::RouteRefresh(rr) => {
                if rr.subtype == RouteRefreshSubtype::NORMAL
                    && let Some(p) = n.rib_peer
                {
                    let policy = export_policy(&self.policies, &n.cfg, requires_policy, asn);
                    let _ = self.rib.set_export_policy(p, policy);
                    n.refresh = n.refresh.with(rr.family);
                }
                true
            }
            Event::StaleRoutesFlush { family, .. } => {
                if let Some(p) = n.rib_peer {
                    let _ = self.rib.end_of_rib(p, family);
                }
                true
            }
            Event::MaxPrefixExceeded {
                family,
                count,
                limit,
                warning_only,
            } => {
                self.out.push_back(Output::Log(format!(
                    "{addr}: {family}: {count} prefixes exceed the limit of {limit}{}",
                    if warning_only { " (warning only)" } else { "" }
                )));
                false
            }
            other => {
                if let Event::StateChanged { .. } = other {
                    return false;
                }
                self.out
                    .push_back(Output::Log(format!("{addr}: {other:?}")));
                false
            }
        }
    }

    /// RFC 4271 §6.8 between the main session and an inbound candidate.
    fn resolve_collision(&mut self, now: Instant, idx: usize) {
        let Some(n) = self.nbrs[idx].as_mut() else {
            return;
        };
        let Some(c) = n.candidate.as_mut() else {
            return;
        };
        if n.main.session.state() == StateKind::Idle && n.main.conn.is_none() {
            // Our side gave up; the inbound connection simply carries on.
            let cand = n.candidate.take().expect("checked");
            n.main = cand;
            if let Some(conn) = n.main.conn {
                self.conns.insert(conn, (idx, Which::Main));
            }
            return;
        }
        if bgp_fsm::resolve_collision(now, &mut n.main.session, &mut c.session).is_some() {
            self.pump(now, idx);
        }
    }

    /// Moves the RIB's changes out now, or at the end of the batching
    /// window ([`set_batching`](Self::set_batching)).
    fn flush(&mut self, now: Instant) {
        if self.batching.is_zero() {
            self.flush_now(now);
        } else if self.flush_at.is_none() {
            self.flush_at = Some(now + self.batching);
        }
    }

    /// Moves the RIB's changes out: FIB changes, then UPDATEs for every
    /// established neighbor.
    fn flush_now(&mut self, now: Instant) {
        self.flush_at = None;
        for c in self.rib.drain_loc_rib() {
            self.out.push_back(Output::Fib(c));
        }
        for idx in 0..self.nbrs.len() {
            let Some(n) = self.nbrs[idx].as_mut() else {
                continue;
            };
            let (Some(p), Some(ctx)) = (n.rib_peer, n.main.session.send_context()) else {
                continue;
            };
            if n.main.session.state() != StateKind::Established {
                continue;
            }
            let Ok(mut changes) = self.rib.drain_adj_rib_out(p) else {
                continue;
            };
            let refresh = std::mem::take(&mut n.refresh);
            if !refresh.is_empty() {
                // The drain sent only what changed; a refresh resends all.
                changes
                    .announced
                    .extend(full_adj_rib_out(&self.rib, p, refresh));
            }
            if changes.is_empty() && n.eor_sent {
                continue;
            }
            self.buf.clear();
            if !changes.is_empty() {
                match changes.encode(&UpdateBuilder::new(ctx), &mut self.buf) {
                    Ok(_) => {
                        if let Err(e) = n.main.session.send_update(now, &self.buf) {
                            self.out
                                .push_back(Output::Log(format!("{}: send: {e:?}", n.cfg.address)));
                        }
                    }
                    Err(e) => self
                        .out
                        .push_back(Output::Log(format!("{}: encode: {e}", n.cfg.address))),
                }
            }
            if !n.eor_sent {
                // The initial Adj-RIB-Out is out: End-of-RIB for each
                // family (RFC 4724 §2 recommends it after the initial
                // update with or without graceful restart; peers that
                // hold their decision process until it, as we do, need
                // it).
                n.eor_sent = true;
                let fams = n.main.session.negotiated().map(|g| g.families);
                for f in fams.into_iter().flat_map(|f| f.iter()) {
                    if let Err(e) = n.main.session.send_end_of_rib(now, f) {
                        self.out
                            .push_back(Output::Log(format!("{}: send: {e:?}", n.cfg.address)));
                    }
                }
            }
            let mut bytes = Vec::new();
            let _ = n.main.session.poll_transmit(&mut bytes);
            if let (false, Some(conn)) = (bytes.is_empty(), n.main.conn) {
                self.out.push_back(Output::Send { conn, bytes });
            }
            self.rearm(idx);
        }
    }
}

/// A peer's whole Adj-RIB-Out in `families`, grouped by attribute set, as
/// announcements to send again.
fn full_adj_rib_out(rib: &Rib, peer: PeerId, families: FamilySet) -> Vec<Announcement> {
    let mut groups: Vec<Announcement> = Vec::new();
    let mut index: HashMap<(*const RouteAttrs, Family), usize> = HashMap::new();
    for (nlri, attrs) in rib.adj_rib_out(peer) {
        let f = match nlri.prefix {
            IpNet::V4(_) => Family::IPV4_UNICAST,
            IpNet::V6(_) => Family::IPV6_UNICAST,
        };
        if !families.contains(f) {
            continue;
        }
        let i = *index.entry((Arc::as_ptr(&attrs), f)).or_insert_with(|| {
            groups.push(Announcement {
                family: f,
                attrs: Arc::clone(&attrs),
                nlri: Vec::new(),
            });
            groups.len() - 1
        });
        groups[i].nlri.push(nlri);
    }
    groups
}

fn family(af: Af) -> Family {
    match af {
        Af::Ipv4Unicast => Family::IPV4_UNICAST,
        Af::Ipv6Unicast => Family::IPV6_UNICAST,
    }
}

fn addr_family(af: Af) -> AddrFamily {
    match af {
        Af::Ipv4Unicast => AddrFamily::Ipv4,
        Af::Ipv6Unicast => AddrFamily::Ipv6,
    }
}

fn af_name(af: Af) -> &'static str {
    match af {
        Af::Ipv4Unicast => "ipv4",
        Af::Ipv6Unicast => "ipv6",
    }
}

/// A neighbor's import or export policy as FRR applies it: per address
/// family, the prefix-list first, then the route-map; both must permit.
/// Under `bgp ebgp-requires-policy` (RFC 8212) an eBGP neighbor without
/// either denies everything.
struct NeighborPolicy {
    /// Per family (IPv4, IPv6): the prefix-list and the route-map, their
    /// names looked up once, and whether the family has neither but needs
    /// one.
    af: [(Option<SharedPrefixList>, Option<SharedRouteMap>, bool); 2],
}

impl NeighborPolicy {
    /// Per family (IPv4, IPv6): the prefix-list and route-map names, and
    /// whether the family has neither but needs one, resolved in
    /// `policies`. A name that `policies` lacks denies, as in FRR.
    fn new(policies: &Arc<Policies>, names: [(Option<String>, Option<String>, bool); 2]) -> Self {
        let [v4, v6] = names;
        let resolve = |(pl, rm, deny): (Option<String>, Option<String>, bool), fam| {
            (
                pl.map(|n| SharedPrefixList::new(Arc::clone(policies), fam, &n)),
                rm.map(|n| SharedRouteMap::new(Arc::clone(policies), &n)),
                deny,
            )
        };
        Self {
            af: [resolve(v4, AddrFamily::Ipv4), resolve(v6, AddrFamily::Ipv6)],
        }
    }
}

impl Policy for NeighborPolicy {
    fn evaluate(&self, route: &PolicyRoute<'_>) -> Verdict {
        let (pl, rm, deny) = &self.af[usize::from(matches!(route.prefix, IpNet::V6(_)))];
        if *deny {
            return Verdict::Deny;
        }
        if let Some(pl) = pl
            && pl.evaluate(route) == Verdict::Deny
        {
            return Verdict::Deny;
        }
        match rm {
            Some(rm) => rm.evaluate(route),
            None => Verdict::Permit,
        }
    }

    /// A family (not denied for want of a policy) whose prefix-list and
    /// route-map, where configured, each permit everything unchanged
    /// (`route-map ALLOW permit 10`, `ip prefix-list ANY permit any`)
    /// permits everything: the RIB then skips the call per route.
    fn permits_all(&self, family: Family) -> bool {
        let Some(i) = af_slot(family) else {
            return false;
        };
        let (pl, rm, deny) = &self.af[i];
        !*deny
            && pl.as_ref().is_none_or(|pl| pl.permits_all(family))
            && rm.as_ref().is_none_or(|rm| rm.permits_all(family))
    }

    /// Denied for want of a policy, or a prefix-list and route-map that
    /// each ignore the prefix (`route-map FROM-TRANSIT permit 10` with
    /// `set local-preference 80`): the RIB asks once per UPDATE.
    fn ignores_prefix(&self, family: Family) -> bool {
        let Some(i) = af_slot(family) else {
            return false;
        };
        let (pl, rm, deny) = &self.af[i];
        *deny
            || pl.as_ref().is_none_or(|pl| pl.ignores_prefix(family))
                && rm.as_ref().is_none_or(|rm| rm.ignores_prefix(family))
    }

    /// Both must permit a route, so either one's bound is the family's:
    /// the prefix-list's (`neighbor H prefix-list DEFAULT-ONLY out`), else
    /// the route-map's; nothing when denied for want of a policy. The RIB
    /// then fills a host's Adj-RIB-Out from those prefixes alone.
    fn permitted_prefixes(&self, family: Family) -> Option<Vec<PrefixRange>> {
        let (pl, rm, deny) = &self.af[af_slot(family)?];
        if *deny {
            return Some(Vec::new());
        }
        pl.as_ref()
            .and_then(|pl| pl.permitted_prefixes(family))
            .or_else(|| rm.as_ref()?.permitted_prefixes(family))
    }
}

/// The slot of [`NeighborPolicy::af`] of a unicast family.
fn af_slot(family: Family) -> Option<usize> {
    AddrFamily::of_unicast(family).map(|f| usize::from(f == AddrFamily::Ipv6))
}

fn neighbor_policy(
    policies: &Arc<Policies>,
    n: &ResolvedNeighbor,
    import: bool,
    requires_policy: bool,
    ebgp: bool,
) -> SharedPolicy {
    let per = |af: Af| {
        let a = n.settings.af.get(&af).cloned().unwrap_or_default();
        let (pl, rm) = if import {
            (a.prefix_list_in, a.route_map_in)
        } else {
            (a.prefix_list_out, a.route_map_out)
        };
        let deny = requires_policy && ebgp && pl.is_none() && rm.is_none();
        (pl, rm, deny)
    };
    Arc::new(NeighborPolicy::new(
        policies,
        [per(Af::Ipv4Unicast), per(Af::Ipv6Unicast)],
    ))
}

fn is_ebgp(n: &ResolvedNeighbor, asn: u32) -> bool {
    match n.settings.remote_as {
        Some(RemoteAs::Asn(a)) => a != asn,
        Some(RemoteAs::External) => true,
        _ => false,
    }
}

fn import_policy(
    p: &Arc<Policies>,
    n: &ResolvedNeighbor,
    requires: bool,
    asn: u32,
) -> SharedPolicy {
    neighbor_policy(p, n, true, requires, is_ebgp(n, asn))
}

fn export_policy(
    p: &Arc<Policies>,
    n: &ResolvedNeighbor,
    requires: bool,
    asn: u32,
) -> SharedPolicy {
    neighbor_policy(p, n, false, requires, is_ebgp(n, asn))
}

fn peer_config(
    policies: &Arc<Policies>,
    n: &ResolvedNeighbor,
    info: PeerInfo,
    requires_policy: bool,
    asn: u32,
) -> PeerConfig {
    let mut pc = PeerConfig::new(info);
    pc.import = import_policy(policies, n, requires_policy, asn);
    pc.export = export_policy(policies, n, requires_policy, asn);
    let afs: Vec<_> = [Af::Ipv4Unicast, Af::Ipv6Unicast]
        .into_iter()
        .filter_map(|af| Some((af, n.af(af)?)))
        .collect();
    let any = |f: fn(&crate::bgpconf::AfSettings) -> Option<bool>| {
        afs.iter().any(|(_, a)| f(a) == Some(true))
    };
    pc.families = afs
        .iter()
        .fold(FamilySet::default(), |s, (af, _)| s.with(family(*af)));
    pc.route_reflector_client = any(|a| a.route_reflector_client);
    pc.route_server_client = any(|a| a.route_server_client);
    pc.soft_reconfiguration_inbound = any(|a| a.soft_reconfiguration_inbound);
    if any(|a| a.next_hop_self) {
        pc.next_hop = NextHopMode::SelfAddress;
    }
    if any(|a| a.addpath_tx_all_paths) {
        pc.add_path_send = AddPathSend::All;
    }
    pc.allowas_in = afs
        .iter()
        .filter_map(|(_, a)| a.allowas_in)
        .max()
        .unwrap_or(0);
    if let Some((_, a)) = afs.iter().find(|(_, a)| a.default_originate.is_some()) {
        let condition = a.default_originate.clone().flatten().map(|rm| {
            let p: SharedPolicy = Arc::new(NeighborPolicy::new(
                policies,
                [(None, Some(rm.clone()), false), (None, Some(rm), false)],
            ));
            p
        });
        pc.default_originate = Some(DefaultOriginate { condition });
    }
    pc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A neighbor's policy permits a whole family only when each of its
    /// configured filters does, and never when it is denied for want of one.
    #[test]
    fn neighbor_policy_permits_all() {
        let policies = Arc::new(
            Policies::parse(
                "ip prefix-list ANY seq 5 permit any\n\
                 ip prefix-list HOSTS seq 5 permit 0.0.0.0/0 ge 32\n\
                 ip prefix-list DEFAULT-ONLY seq 5 permit 0.0.0.0/0\n\
                 route-map ALLOW permit 10\n\
                 route-map LP permit 10\n set local-preference 200\n\
                 route-map TO-HOST permit 10\n match ip address prefix-list DEFAULT-ONLY\n",
            )
            .unwrap(),
        );
        let s = |x: &str| Some(x.to_string());
        let case = |pl: Option<String>, rm: Option<String>, deny: bool| {
            NeighborPolicy::new(&policies, [(pl, rm, deny), (None, None, false)])
        };
        let v4 = Family::IPV4_UNICAST;
        assert!(case(None, None, false).permits_all(v4));
        assert!(
            !case(None, None, true).permits_all(v4),
            "ebgp-requires-policy"
        );
        assert!(case(None, s("ALLOW"), false).permits_all(v4));
        assert!(case(s("ANY"), s("ALLOW"), false).permits_all(v4));
        assert!(!case(s("HOSTS"), s("ALLOW"), false).permits_all(v4));
        assert!(!case(s("ANY"), s("LP"), false).permits_all(v4));
        assert!(!case(s("NOPE"), None, false).permits_all(v4));
        assert!(!case(None, s("NOPE"), false).permits_all(v4));
        // The IPv6 slot has nothing configured.
        assert!(case(s("HOSTS"), None, false).permits_all(Family::IPV6_UNICAST));
        assert!(!case(None, None, false).permits_all(Family::IPV4_MULTICAST));

        assert!(
            case(None, None, true).ignores_prefix(v4),
            "denies everything"
        );
        assert!(case(None, s("LP"), false).ignores_prefix(v4));
        assert!(case(s("ANY"), s("LP"), false).ignores_prefix(v4));
        assert!(!case(s("HOSTS"), s("LP"), false).ignores_prefix(v4));
        assert!(!case(s("HOSTS"), None, false).ignores_prefix(v4));

        // The prefixes a neighbor can be sent (a host's `prefix-list
        // DEFAULT-ONLY out`): the list's, else the route-map's.
        let hosts = PrefixRange {
            prefix: "0.0.0.0/0".parse().unwrap(),
            min_len: 32,
            max_len: 32,
        };
        let default = PrefixRange::exact("0.0.0.0/0".parse().unwrap());
        let pp = |p: NeighborPolicy| p.permitted_prefixes(v4);
        assert_eq!(pp(case(s("HOSTS"), s("LP"), false)), Some(vec![hosts]));
        assert_eq!(pp(case(s("HOSTS"), None, false)), Some(vec![hosts]));
        assert_eq!(pp(case(None, s("TO-HOST"), false)), Some(vec![default]));
        assert_eq!(pp(case(s("ANY"), s("TO-HOST"), false)), Some(vec![default]));
        assert_eq!(pp(case(s("ANY"), s("LP"), false)), None);
        assert_eq!(pp(case(None, None, false)), None);
        assert_eq!(
            pp(case(None, None, true)),
            Some(vec![]),
            "denies everything"
        );
        assert_eq!(pp(case(s("NOPE"), None, false)), Some(vec![]));
    }
}

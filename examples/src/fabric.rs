//! `fabric`: the users' whole network in one process, in virtual time.
//!
//! Two border routers send a default route to two route servers; N hosts
//! announce their service addresses (/32) to both route servers over iBGP;
//! the route servers pass host routes to the borders and the default to the
//! hosts. Every speaker is a [`Router`] built from FRR configuration text;
//! links are [`Net`] pipes. Scenarios move addresses and fail hosts, route
//! servers and borders, and after each convergence the invariants are
//! checked ([`Fabric::check`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bgp_policy::{Config, Policies};
use bgp_wire::RouteAttrs;
use bgp_wire::attr::NextHop;
use ipnet::{IpNet, Ipv4Net};

use crate::bgpconf::BgpConfig;
use crate::router::Router;
use crate::sim::{Net, NodeId};

/// How to build the network.
#[derive(Clone, Debug)]
pub struct FabricConfig {
    /// Number of hosts.
    pub hosts: usize,
    /// Seed of every random choice (timer jitter, link jitter, faults).
    pub seed: u64,
    /// One-way link latency.
    pub latency: Duration,
    /// Extra random delay per delivery, up to this.
    pub jitter: Duration,
    /// Every `shared_every`-th pair of hosts also announces one shared
    /// (anycast) address; 0 for none.
    pub shared_every: usize,
    /// How long each router lets RIB changes gather before sending them
    /// ([`Router::set_batching`]); zero sends at once.
    pub batching: Duration,
    /// Configuration files to use instead of the generated ones:
    /// `DIR/NAME.conf` for NAME in `border1`, `rs1`, `host1`, ….
    pub config_dir: Option<PathBuf>,
}

impl Default for FabricConfig {
    fn default() -> Self {
        Self {
            hosts: 20,
            seed: 1,
            latency: Duration::from_millis(1),
            jitter: Duration::from_micros(200),
            shared_every: 4,
            batching: Duration::ZERO,
            config_dir: None,
        }
    }
}

/// The role of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A border router.
    Border,
    /// A route server.
    RouteServer,
    /// A host.
    Host,
}

/// The simulated network and what it is meant to carry.
pub struct Fabric {
    /// The network.
    pub net: Net,
    /// The border routers.
    pub borders: Vec<NodeId>,
    /// The route servers.
    pub route_servers: Vec<NodeId>,
    /// The hosts.
    pub hosts: Vec<NodeId>,
    names: Vec<String>,
    roles: Vec<Role>,
    configs: Vec<String>,
    /// What each node announces now (hosts: their /32s).
    announced: Vec<BTreeSet<IpNet>>,
    restarts: u64,
    seed: u64,
    epoch: Instant,
    policy_cache: HashMap<String, Arc<Policies>>,
    batching: Duration,
}

const ASN: u32 = 65001;

/// The address of border `i` (0-based).
pub fn border_addr(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, 1 + i as u8)
}

/// The address of route server `i`.
pub fn rs_addr(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, 5 + i as u8)
}

/// The address of host `i`.
pub fn host_addr(i: usize) -> Ipv4Addr {
    let n = i + 1;
    Ipv4Addr::new(10, 1, (n >> 8) as u8, (n & 0xff) as u8)
}

/// The own service address of host `i`.
pub fn service_addr(i: usize) -> IpNet {
    let n = i + 1;
    IpNet::V4(
        Ipv4Net::new(Ipv4Addr::new(198, 18, (n >> 8) as u8, (n & 0xff) as u8), 32).expect("/32"),
    )
}

/// Shared (anycast) address `k`.
pub fn shared_addr(k: usize) -> IpNet {
    IpNet::V4(
        Ipv4Net::new(Ipv4Addr::new(198, 19, (k >> 8) as u8, (k & 0xff) as u8), 32).expect("/32"),
    )
}

/// The address that moves in the `move` scenario.
pub fn moving_addr() -> IpNet {
    "198.20.0.1/32".parse().expect("literal")
}

const POLICY: &str = "\
ip prefix-list defaultroute seq 5 permit 0.0.0.0/0
ip prefix-list hostroutes seq 5 permit 0.0.0.0/0 ge 32
ip prefix-list alldynamicroutes seq 5 permit 0.0.0.0/0 ge 32
ip prefix-list alldynamicroutes seq 100 deny any
!
";

fn border_config(i: usize) -> String {
    let mut s = String::from(POLICY);
    let _ = write!(
        s,
        "router bgp {ASN}\n bgp router-id {a}\n neighbor rs peer-group\n neighbor rs remote-as internal\n \
         neighbor rs timers 3 9\n neighbor rs update-source {a}\n neighbor rs next-hop-self\n \
         neighbor rs default-originate\n neighbor rs prefix-list hostroutes in\n",
        a = border_addr(i)
    );
    for r in 0..2 {
        let _ = writeln!(s, " neighbor {} peer-group rs", rs_addr(r));
    }
    s.push_str("exit\n");
    s
}

fn rs_config(i: usize) -> String {
    let mut s = String::from(POLICY);
    let _ = write!(
        s,
        "router bgp {ASN}\n bgp router-id {a}\n bgp listen range 10.1.0.0/16 peer-group hosts\n \
         neighbor border peer-group\n neighbor border soft-reconfiguration inbound\n \
         neighbor border update-source {a}\n neighbor border route-server-client\n \
         neighbor border prefix-list defaultroute in\n neighbor border prefix-list alldynamicroutes out\n \
         neighbor border timers 3 9\n",
        a = rs_addr(i)
    );
    for b in 0..2 {
        let _ = write!(
            s,
            " neighbor {a} remote-as {ASN}\n neighbor {a} peer-group border\n neighbor {a} description border router {n}\n",
            a = border_addr(b),
            n = b + 1
        );
    }
    s.push_str(
        " neighbor hosts peer-group\n neighbor hosts remote-as internal\n neighbor hosts timers 3 9\n \
         neighbor hosts route-server-client\n neighbor hosts prefix-list hostroutes in\n \
         neighbor hosts prefix-list defaultroute out\nexit\n",
    );
    s
}

fn host_config(i: usize, networks: &BTreeSet<IpNet>) -> String {
    let mut s = String::from(POLICY);
    let _ = write!(
        s,
        "router bgp {ASN}\n bgp router-id {a}\n neighbor rs peer-group\n neighbor rs remote-as internal\n \
         neighbor rs timers 3 9\n neighbor rs update-source {a}\n neighbor rs prefix-list defaultroute in\n \
         neighbor rs prefix-list hostroutes out\n",
        a = host_addr(i)
    );
    for r in 0..2 {
        let _ = writeln!(s, " neighbor {} peer-group rs", rs_addr(r));
    }
    for n in networks {
        let _ = writeln!(s, " network {n}");
    }
    s.push_str("exit\n");
    s
}

/// Builds a router from FRR text. Compiled policies are shared between
/// routers whose policy statements are the same text (`cache`).
pub fn router_from_text(
    text: &str,
    now: Instant,
    seed: u64,
    cache: &mut HashMap<String, Arc<Policies>>,
) -> Result<Router, String> {
    let (policy, rest) = Config::parse_full(text).map_err(|e| e.to_string())?;
    let bgp = BgpConfig::parse(rest.iter().map(|l| (l.line, l.text.as_str())))
        .map_err(|e| e.to_string())?;
    let key = policy.to_string();
    let policies = Arc::clone(
        cache
            .entry(key)
            .or_insert_with(|| Arc::new(Policies::new(policy))),
    );
    Router::new(bgp, policies, now, seed).map_err(|e| e.to_string())
}

impl Fabric {
    /// Builds the network (nothing runs until the clock is advanced).
    pub fn new(cfg: &FabricConfig, epoch: Instant) -> Result<Self, String> {
        let mut net = Net::new(epoch, cfg.latency);
        net.set_jitter(cfg.jitter, cfg.seed);
        net.set_recording(true);
        let mut f = Self {
            net,
            borders: Vec::new(),
            route_servers: Vec::new(),
            hosts: Vec::new(),
            names: Vec::new(),
            roles: Vec::new(),
            configs: Vec::new(),
            announced: Vec::new(),
            restarts: 0,
            seed: cfg.seed,
            epoch,
            policy_cache: HashMap::new(),
            batching: cfg.batching,
        };
        let mut nodes: Vec<(String, Role, IpAddr, String, BTreeSet<IpNet>)> = Vec::new();
        for i in 0..2 {
            nodes.push((
                format!("border{}", i + 1),
                Role::Border,
                border_addr(i).into(),
                border_config(i),
                BTreeSet::new(),
            ));
        }
        for i in 0..2 {
            nodes.push((
                format!("rs{}", i + 1),
                Role::RouteServer,
                rs_addr(i).into(),
                rs_config(i),
                BTreeSet::new(),
            ));
        }
        for i in 0..cfg.hosts {
            let mut nets = BTreeSet::from([service_addr(i)]);
            if cfg.shared_every > 0 && (i / 2) % cfg.shared_every == 0 && i / 2 * 2 + 1 < cfg.hosts
            {
                nets.insert(shared_addr(i / 2));
            }
            let text = host_config(i, &nets);
            nodes.push((
                format!("host{}", i + 1),
                Role::Host,
                host_addr(i).into(),
                text,
                nets,
            ));
        }
        for (idx, (name, role, addr, mut text, nets)) in nodes.into_iter().enumerate() {
            if let Some(dir) = &cfg.config_dir {
                let p = dir.join(format!("{name}.conf"));
                if p.exists() {
                    text =
                        std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                }
            }
            let r = router_from_text(
                &text,
                epoch,
                cfg.seed.wrapping_add(idx as u64),
                &mut f.policy_cache,
            )
            .map_err(|e| format!("{name}: {e}"))?;
            let mut r = r;
            r.set_batching(cfg.batching);
            let id = f.net.add(addr, r);
            match role {
                Role::Border => f.borders.push(id),
                Role::RouteServer => f.route_servers.push(id),
                Role::Host => f.hosts.push(id),
            }
            f.names.push(name);
            f.roles.push(role);
            f.configs.push(text);
            f.announced.push(nets);
        }
        Ok(f)
    }

    /// A node's name (`border1`, `rs2`, `host17`).
    pub fn name(&self, node: NodeId) -> &str {
        &self.names[node]
    }

    /// A node's configuration text.
    pub fn config(&self, node: NodeId) -> &str {
        &self.configs[node]
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.net.now() - self.epoch
    }

    /// A host starts announcing `prefix`.
    pub fn announce(&mut self, node: NodeId, prefix: IpNet) {
        self.announced[node].insert(prefix);
        self.net.with(node, |r, now| {
            r.announce(now, prefix, RouteAttrs::default())
        });
    }

    /// A host stops announcing `prefix`.
    pub fn withdraw(&mut self, node: NodeId, prefix: IpNet) {
        self.announced[node].remove(&prefix);
        self.net.with(node, |r, now| r.withdraw(now, prefix));
    }

    /// The node loses power.
    pub fn fail(&mut self, node: NodeId) {
        self.net.fail(node);
    }

    /// The node boots again from its configuration (announcements made
    /// with [`announce`](Self::announce) since are lost, as in life; the
    /// configured networks come back).
    pub fn restart(&mut self, node: NodeId) {
        self.restarts += 1;
        let seed = self.seed ^ (self.restarts << 32) ^ node as u64;
        let r = router_from_text(
            &self.configs[node],
            self.net.now(),
            seed,
            &mut self.policy_cache,
        )
        .expect("booted before");
        let mut r = r;
        r.set_batching(self.batching);
        if self.roles[node] == Role::Host {
            let (_, rest) = Config::parse_full(&self.configs[node]).expect("parsed before");
            let bgp = BgpConfig::parse(rest.iter().map(|l| (l.line, l.text.as_str())))
                .expect("parsed before");
            self.announced[node] = bgp.networks.values().flatten().map(|n| n.prefix).collect();
        }
        self.net.restart(node, r);
    }

    /// Addresses announced by live hosts, with the hosts announcing them.
    pub fn expected(&self) -> BTreeMap<IpNet, BTreeSet<IpAddr>> {
        let mut m: BTreeMap<IpNet, BTreeSet<IpAddr>> = BTreeMap::new();
        for &h in &self.hosts {
            if !self.net.is_up(h) {
                continue;
            }
            for p in &self.announced[h] {
                m.entry(*p).or_default().insert(self.net.addr(h));
            }
        }
        m
    }

    fn next_hop(&self, node: NodeId, prefix: &IpNet) -> Option<IpAddr> {
        let best = self.net.nodes[node].rib().best(prefix)?;
        match best.attrs.next_hop.as_ref()? {
            NextHop::V4(a) => Some(IpAddr::V4(*a)),
            NextHop::V6 { global, .. } => Some(IpAddr::V6(*global)),
            NextHop::Other(_) => None,
        }
    }

    /// Follows forwarding from `start` towards `dst`: `Ok(host)` where it is
    /// delivered (a host announcing it), `Err` on a black hole or loop.
    pub fn trace(&self, start: NodeId, dst: IpAddr) -> Result<NodeId, String> {
        let mut node = start;
        let mut seen = BTreeSet::new();
        loop {
            if self.roles[node] == Role::Host
                && self.announced[node].iter().any(|p| p.contains(&dst))
            {
                return Ok(node);
            }
            if !seen.insert(node) {
                return Err(format!(
                    "forwarding loop towards {dst} through {}",
                    self.name(node)
                ));
            }
            let Some((_, path)) = self.net.nodes[node].rib().longest_match(dst) else {
                return Err(format!("{} has no route to {dst}", self.name(node)));
            };
            let nh = match path.attrs.next_hop.as_ref() {
                Some(NextHop::V4(a)) => IpAddr::V4(*a),
                _ => {
                    return Err(format!(
                        "{} routes {dst} without a usable next hop",
                        self.name(node)
                    ));
                }
            };
            let Some(next) = self.net.node_at(nh).filter(|n| self.net.is_up(*n)) else {
                return Err(format!(
                    "{} sends {dst} to {nh}, which is not a live node",
                    self.name(node)
                ));
            };
            node = next;
        }
    }

    /// The invariants: `Ok` or the first violation.
    ///
    /// * every live border reaches every announced address via a live host
    ///   announcing it, through both route servers' paths when both are up,
    ///   and holds nothing else;
    /// * every live host has a default via a live border and nothing but
    ///   the default and its own addresses;
    /// * route servers hold only host routes and defaults;
    /// * no forwarding loop or black hole.
    pub fn check(&self) -> Result<(), String> {
        let expected = self.expected();
        let live_rs: Vec<NodeId> = self
            .route_servers
            .iter()
            .copied()
            .filter(|n| self.net.is_up(*n))
            .collect();
        let live_borders: BTreeSet<IpAddr> = self
            .borders
            .iter()
            .filter(|n| self.net.is_up(**n))
            .map(|n| self.net.addr(*n))
            .collect();
        for &b in self.borders.iter().filter(|n| self.net.is_up(**n)) {
            let rib = self.net.nodes[b].rib();
            for (prefix, hosts) in &expected {
                let Some(nh) = self.next_hop(b, prefix) else {
                    return Err(format!("{} has no route for {prefix}", self.name(b)));
                };
                if !hosts.contains(&nh) {
                    return Err(format!(
                        "{} sends {prefix} to {nh}, which does not announce it",
                        self.name(b)
                    ));
                }
                if live_rs.len() == 2 {
                    let peers: BTreeSet<_> = rib.paths(prefix).iter().map(|p| p.peer).collect();
                    for &rs in &live_rs {
                        let via = self.net.nodes[b].rib_peer(self.net.addr(rs));
                        if via.is_none_or(|p| !peers.contains(&p)) {
                            return Err(format!(
                                "{} has no path for {prefix} via {}",
                                self.name(b),
                                self.name(rs)
                            ));
                        }
                    }
                }
                self.trace(b, first_addr(prefix))
                    .map_err(|e| format!("from {}: {e}", self.name(b)))?;
            }
            for (prefix, _) in rib.loc_rib() {
                if !expected.contains_key(&prefix) {
                    return Err(format!(
                        "{} holds {prefix}, which no live host announces",
                        self.name(b)
                    ));
                }
            }
        }
        for &h in self.hosts.iter().filter(|n| self.net.is_up(**n)) {
            if live_borders.is_empty() || live_rs.is_empty() {
                break;
            }
            let default: IpNet = "0.0.0.0/0".parse().expect("literal");
            match self.next_hop(h, &default) {
                Some(nh) if live_borders.contains(&nh) => {}
                Some(nh) => {
                    return Err(format!(
                        "{} has a default via {nh}, not a live border",
                        self.name(h)
                    ));
                }
                None => return Err(format!("{} has no default route", self.name(h))),
            }
            for (prefix, _) in self.net.nodes[h].rib().loc_rib() {
                if prefix != default && !self.announced[h].contains(&prefix) {
                    return Err(format!(
                        "{} holds {prefix}: only the default may reach a host",
                        self.name(h)
                    ));
                }
            }
        }
        for &rs in &live_rs {
            for (prefix, _) in self.net.nodes[rs].rib().loc_rib() {
                if prefix.prefix_len() != 0 && prefix.prefix_len() != prefix.max_prefix_len() {
                    return Err(format!(
                        "{} holds {prefix}: outside the allowed prefix-lists",
                        self.name(rs)
                    ));
                }
            }
        }
        Ok(())
    }

    /// Runs until `cond` holds (checked whenever routing inputs changed) or `limit`
    /// passes; returns how long it took.
    pub fn run_until(
        &mut self,
        limit: Duration,
        mut cond: impl FnMut(&Self) -> bool,
    ) -> Option<Duration> {
        let start = self.net.now();
        let deadline = start + limit;
        let mut seen = u64::MAX;
        loop {
            // Routing state only changes when a router's RIB inputs do
            // (keepalives do not count), or a node fails or boots: check
            // then, after every delivery, so times are exact.
            let changes = self.net.routing_changes();
            if changes != seen {
                seen = changes;
                if cond(self) {
                    return Some(self.net.now() - start);
                }
            }
            if !self.net.step(deadline) {
                self.net.run_until(deadline);
                return None;
            }
        }
    }

    /// The last `n` log lines, for a failure report.
    pub fn trace_tail(&self, n: usize) -> String {
        let log = &self.net.log;
        let mut s = String::new();
        for l in &log[log.len().saturating_sub(n)..] {
            let _ = writeln!(
                s,
                "  [{:>9.3}s] {:<8} {}",
                l.at.as_secs_f64(),
                self.name(l.node),
                l.text
            );
        }
        s
    }
}

fn first_addr(p: &IpNet) -> IpAddr {
    p.network()
}

//----------- Scenarios -----------------------------------------------------------

/// One step of a scenario's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Virtual time when the step started.
    pub at: Duration,
    /// Its name.
    pub name: String,
    /// What was done and awaited.
    pub what: String,
    /// How long until the awaited state held (`None`: it never did).
    pub took: Option<Duration>,
}

/// The result of a run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// The timeline.
    pub steps: Vec<Step>,
    /// The first invariant violation, with the trace that led to it.
    pub violation: Option<String>,
    /// Faults injected (random-fault runs).
    pub faults: Vec<String>,
}

impl Report {
    /// Whether every step converged and no invariant broke.
    pub fn ok(&self) -> bool {
        self.violation.is_none() && self.steps.iter().all(|s| s.took.is_some())
    }
}

/// The scenario names `fabric --scenario` knows.
pub const SCENARIOS: &[&str] = &[
    "tour",
    "bringup",
    "move",
    "host-failure",
    "rs-failure",
    "border-failure",
    "shared",
    "faults",
];

const SETTLE: Duration = Duration::from_secs(300);

impl Fabric {
    fn step(
        &mut self,
        report: &mut Report,
        name: &str,
        what: String,
        limit: Duration,
        cond: impl FnMut(&Self) -> bool,
    ) -> bool {
        let at = self.elapsed();
        let took = self.run_until(limit, cond);
        report.steps.push(Step {
            at,
            name: name.into(),
            what,
            took,
        });
        if took.is_none() {
            report.violation = Some(format!(
                "step '{name}' did not converge within {limit:?}: {}\ntrace:\n{}",
                self.check()
                    .err()
                    .unwrap_or_else(|| "(invariants hold)".into()),
                self.trace_tail(40)
            ));
            return false;
        }
        // The awaited state holds; now let the network converge (the other
        // route server's copy, the hosts' defaults) and check everything.
        if self.run_until(limit, |f| f.check().is_ok()).is_none() {
            return self.verify(report);
        }
        true
    }

    /// Checks the invariants; records a violation with the trace.
    fn verify(&self, report: &mut Report) -> bool {
        match self.check() {
            Ok(()) => true,
            Err(e) => {
                report.violation = Some(format!("{e}\ntrace:\n{}", self.trace_tail(40)));
                false
            }
        }
    }

    fn bringup(&mut self, report: &mut Report) -> bool {
        let n = self.hosts.len();
        self.step(
            report,
            "bring-up",
            format!("every border knows all {n} hosts' routes, every host has a default"),
            SETTLE,
            |f| f.check().is_ok(),
        )
    }

    fn nh_is(&self, node: NodeId, prefix: &IpNet, want: IpAddr) -> bool {
        self.next_hop(node, prefix) == Some(want)
    }

    fn scenario_move(&mut self, report: &mut Report) -> bool {
        let (a, b) = (self.hosts[0], self.hosts[1.min(self.hosts.len() - 1)]);
        let p = moving_addr();
        self.announce(a, p);
        let want = self.net.addr(a);
        if !self.step(
            report,
            "announce",
            format!("{} announces {p}", self.name(a)),
            SETTLE,
            |f| f.borders.iter().all(|&x| f.nh_is(x, &p, want)),
        ) {
            return false;
        }
        self.withdraw(a, p);
        self.announce(b, p);
        let want = self.net.addr(b);
        self.step(
            report,
            "move",
            format!(
                "{p} moves from {} to {}: both borders point at the new host",
                self.name(a),
                self.name(b)
            ),
            SETTLE,
            |f| f.borders.iter().all(|&x| f.nh_is(x, &p, want)),
        )
    }

    fn scenario_host_failure(&mut self, report: &mut Report) -> bool {
        let h = self.hosts[self.hosts.len() / 2];
        let own = service_addr(self.hosts.len() / 2);
        self.fail(h);
        if !self.step(
            report,
            "host-failure",
            format!(
                "{} fails: its {own} is withdrawn (hold timer)",
                self.name(h)
            ),
            SETTLE,
            |f| f.borders.iter().all(|&x| f.next_hop(x, &own).is_none()),
        ) {
            return false;
        }
        self.restart(h);
        self.step(
            report,
            "host-return",
            format!("{} boots again and re-announces", self.name(h)),
            SETTLE,
            |f| f.check().is_ok(),
        )
    }

    /// Fails `node` and requires the invariants (minus the failed node's
    /// part) to hold at every FIB change until its routes are gone.
    fn fail_and_watch(
        &mut self,
        report: &mut Report,
        node: NodeId,
        name: &str,
        what: String,
    ) -> bool {
        self.fail(node);
        let mut broken = None;
        let ok = self.step(report, name, what, SETTLE, |f| {
            // Reachability must never break: every border can still deliver
            // every address through the surviving route server.
            if broken.is_none()
                && let Some(e) = f.reachability().err()
            {
                broken = Some(e);
            }
            f.check().is_ok() && f.forgotten(node)
        });
        if let Some(e) = broken {
            report.violation = Some(format!(
                "reachability broke after {} failed: {e}\ntrace:\n{}",
                self.name(node),
                self.trace_tail(40)
            ));
            return false;
        }
        if !ok {
            return false;
        }
        self.restart(node);
        self.step(
            report,
            &format!("{name}-return"),
            format!("{} boots again", self.name(node)),
            SETTLE,
            |f| f.check().is_ok() && f.all_up(node),
        )
    }

    /// No live node holds a path learned from `node` any more.
    pub fn forgotten(&self, node: NodeId) -> bool {
        let addr = self.net.addr(node);
        (0..self.names.len())
            .filter(|n| self.net.is_up(*n))
            .all(|n| {
                let r = &self.net.nodes[n];
                r.rib_peer(addr)
                    .is_none_or(|p| r.rib().adj_rib_in(p).is_empty())
            })
    }

    /// Every session of `node` with a live node is established.
    pub fn all_up(&self, node: NodeId) -> bool {
        let peers: Vec<_> = self.net.nodes[node].neighbor_states().collect();
        let live_hosts = self.hosts.iter().filter(|h| self.net.is_up(**h)).count();
        let up = |s: bgp_fsm::StateKind| s == bgp_fsm::StateKind::Established;
        let dynamic_up = peers.iter().filter(|(_, s, d)| *d && up(*s)).count();
        if self.roles[node] == Role::RouteServer && dynamic_up < live_hosts {
            return false;
        }
        peers
            .iter()
            .filter(|(_, _, d)| !d)
            .all(|(a, s, _)| self.net.node_at(*a).is_none_or(|n| !self.net.is_up(n)) || up(*s))
    }

    /// Every live border delivers every announced address, and every live
    /// host has a default through a live border (whatever the paths).
    pub fn reachability(&self) -> Result<(), String> {
        let expected = self.expected();
        for &b in self.borders.iter().filter(|n| self.net.is_up(**n)) {
            for p in expected.keys() {
                self.trace(b, first_addr(p))
                    .map_err(|e| format!("from {}: {e}", self.name(b)))?;
            }
        }
        Ok(())
    }

    fn scenario_shared(&mut self, report: &mut Report) -> bool {
        let Some((k, owners)) = self.shared_owners().into_iter().next() else {
            return true;
        };
        let gone = owners[0];
        self.fail(gone);
        let survivor = self.net.addr(owners[1]);
        let ok = self.step(
            report,
            "shared",
            format!(
                "{} (shares {k} with {}) fails: both borders use the survivor",
                self.name(gone),
                self.name(owners[1])
            ),
            SETTLE,
            |f| f.borders.iter().all(|&x| f.nh_is(x, &k, survivor)) && f.check().is_ok(),
        );
        if !ok {
            return false;
        }
        self.restart(gone);
        self.step(
            report,
            "shared-return",
            format!("{} boots again", self.name(gone)),
            SETTLE,
            |f| f.check().is_ok(),
        )
    }

    fn shared_owners(&self) -> BTreeMap<IpNet, Vec<NodeId>> {
        let mut m: BTreeMap<IpNet, Vec<NodeId>> = BTreeMap::new();
        for &h in &self.hosts {
            for p in &self.announced[h] {
                m.entry(*p).or_default().push(h);
            }
        }
        m.retain(|_, v| v.len() > 1);
        m
    }

    /// Runs a named scenario (see [`SCENARIOS`]); `faults` is the random
    /// fault rate per second of the `faults` scenario.
    pub fn run(&mut self, scenario: &str, faults: f64) -> Report {
        let mut report = Report::default();
        if !self.bringup(&mut report) {
            return report;
        }
        let rs = self.route_servers[0];
        let border = self.borders[0];
        let _ = match scenario {
            "bringup" => true,
            "move" => self.scenario_move(&mut report),
            "host-failure" => self.scenario_host_failure(&mut report),
            "rs-failure" => self.fail_and_watch(
                &mut report,
                rs,
                "rs-failure",
                "rs1 fails: its paths go, traffic stays on rs2".into(),
            ),
            "border-failure" => self.fail_and_watch(
                &mut report,
                border,
                "border-failure",
                "border1 fails: hosts' default moves to border2".into(),
            ),
            "shared" => self.scenario_shared(&mut report),
            "faults" => self.random_faults(&mut report, faults),
            _ => {
                self.scenario_move(&mut report)
                    && self.scenario_host_failure(&mut report)
                    && self.fail_and_watch(
                        &mut report,
                        rs,
                        "rs-failure",
                        "rs1 fails: its paths go, traffic stays on rs2".into(),
                    )
                    && self.fail_and_watch(
                        &mut report,
                        border,
                        "border-failure",
                        "border1 fails: hosts' default moves to border2".into(),
                    )
                    && self.scenario_shared(&mut report)
            }
        };
        report
    }

    /// Random link cuts, restarts and delays for a minute of virtual time
    /// at `rate` faults per second; then everything is healed and the
    /// network must converge with every invariant holding.
    fn random_faults(&mut self, report: &mut Report, rate: f64) -> bool {
        let period = Duration::from_secs(60);
        let end = self.net.now() + period;
        let mut heal: Vec<(Instant, Fault)> = Vec::new();
        let nodes: Vec<NodeId> = (0..self.names.len()).collect();
        let links: Vec<(NodeId, NodeId)> = self
            .hosts
            .iter()
            .flat_map(|&h| self.route_servers.iter().map(move |&r| (h, r)))
            .chain(
                self.borders
                    .iter()
                    .flat_map(|&b| self.route_servers.iter().map(move |&r| (b, r))),
            )
            .collect();
        let rate = rate.max(0.0);
        while self.net.now() < end {
            // Exponential inter-arrival times.
            let u = (self.net.random() % 1_000_000 + 1) as f64 / 1_000_001.0;
            let gap = if rate > 0.0 {
                Duration::from_secs_f64((-u.ln() / rate).min(60.0))
            } else {
                period
            };
            let next = (self.net.now() + gap).min(end);
            // Heal what is due before then.
            heal.sort_by_key(|(t, _)| *t);
            while let Some((t, _)) = heal.first().filter(|(t, _)| *t <= next) {
                let t = *t;
                self.net.run_until(t);
                let (_, f) = heal.remove(0);
                self.undo(f);
            }
            self.net.run_until(next);
            if next >= end {
                break;
            }
            let r = self.net.random();
            let hold = Duration::from_millis(500 + self.net.random() % 20_000);
            let at = self.elapsed();
            match r % 3 {
                0 => {
                    let (a, b) = links[(self.net.random() % links.len() as u64) as usize];
                    self.net.set_link(a, b, false);
                    report.faults.push(format!(
                        "{:.3}s cut {}-{} for {:?}",
                        at.as_secs_f64(),
                        self.name(a),
                        self.name(b),
                        hold
                    ));
                    heal.push((self.net.now() + hold, Fault::Link(a, b)));
                }
                1 => {
                    let n = nodes[(self.net.random() % nodes.len() as u64) as usize];
                    if self.net.is_up(n) {
                        self.fail(n);
                        report.faults.push(format!(
                            "{:.3}s {} fails for {:?}",
                            at.as_secs_f64(),
                            self.name(n),
                            hold
                        ));
                        heal.push((self.net.now() + hold, Fault::Node(n)));
                    }
                }
                _ => {
                    let (a, b) = links[(self.net.random() % links.len() as u64) as usize];
                    // A delay: the link stalls for a moment shorter than the
                    // hold time and then delivers (modelled as a short cut,
                    // since the pipe keeps nothing while cut: a stall long
                    // enough to lose data is a cut).
                    let short = Duration::from_millis(50 + self.net.random() % 2_000);
                    self.net.set_link(a, b, false);
                    report.faults.push(format!(
                        "{:.3}s stall {}-{} for {:?}",
                        at.as_secs_f64(),
                        self.name(a),
                        self.name(b),
                        short
                    ));
                    heal.push((self.net.now() + short, Fault::Link(a, b)));
                }
            }
        }
        for (_, f) in std::mem::take(&mut heal) {
            self.undo(f);
        }
        self.step(
            report,
            "heal",
            "every fault healed: the network converges".into(),
            SETTLE,
            |f| f.check().is_ok(),
        )
    }

    fn undo(&mut self, f: Fault) {
        match f {
            Fault::Link(a, b) => self.net.set_link(a, b, true),
            Fault::Node(n) => {
                if !self.net.is_up(n) {
                    self.restart(n);
                }
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    Link(NodeId, NodeId),
    Node(NodeId),
}

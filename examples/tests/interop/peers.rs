//! The five implementations, each behind [`Peer`]: how to configure and
//! start it, ask it about its sessions and routes, and make it withdraw.
//!
//! Every peer runs with AS [`PEER_AS`] on 127.77.K.2 (K per daemon), has a
//! passive eBGP IPv4 session to our speaker "E" (AS [`OUR_AS`], 127.77.K.1,
//! which connects) and an active iBGP IPv6 session over ::1 to our speaker
//! "I" (AS [`PEER_AS`], listening on [::1]:17900+K), and originates the
//! routes of [`peer_routes`].

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{Proc, Route, TempDir, origin_name, run, sorted, wait_for};

pub(crate) const OUR_AS: u32 = 4_200_000_001;
pub(crate) const PEER_AS: u32 = 4_200_000_002;

/// Addresses of one daemon's test.
#[derive(Clone, Copy)]
pub(crate) struct Net {
    pub(crate) k: u8,
}

impl Net {
    pub(crate) fn ours(self) -> String {
        format!("127.77.{}.1", self.k)
    }
    pub(crate) fn theirs(self) -> String {
        format!("127.77.{}.2", self.k)
    }
    pub(crate) fn v6_port(self) -> u16 {
        17900 + u16::from(self.k)
    }
    /// Our next hop on routes we send.
    pub(crate) fn our_nh(self) -> String {
        format!("198.18.{}.1", self.k)
    }
    pub(crate) fn their_nh(self) -> String {
        format!("198.18.{}.2", self.k)
    }
    pub(crate) fn p(self, a: u8) -> String {
        format!("10.{a}.{}.0/24", self.k)
    }
    pub(crate) fn p6(self, a: u8) -> String {
        format!("2001:db8:{a}:{}::/64", self.k)
    }
}

/// The routes a peer originates: P1 toward speaker E with every attribute
/// (AS path `path` before the peer's own AS), P2 and P3 plain, Q1 (IPv6)
/// toward speaker I with local-pref and a community.
pub(crate) fn peer_routes(net: Net, path: &str) -> (Route, Route, Route, Route) {
    (
        Route::new(&net.p(78), path, "incomplete")
            .med(55)
            .communities(&["65000:55", "65000:56"])
            .large(&["4200000002:5:5"]),
        Route::new(&net.p(79), "", "igp"),
        Route::new(&net.p(80), "", "igp"),
        Route::new(&net.p6(78), "", "igp")
            .local_pref(333)
            .communities(&["65000:66"]),
    )
}

/// What a peer supports, so the suite checks what it can.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Features {
    /// It offers ADD-PATH receive (and send) in our configuration.
    pub(crate) add_path: bool,
    pub(crate) extended_message: bool,
    /// It keeps our routes through a restart (families in its GR
    /// capability; OpenBGPD 7.7 offers the capability for End-of-RIB only).
    pub(crate) graceful_restart: bool,
    /// It sends the MED it originates to eBGP peers (BIRD does not).
    pub(crate) ebgp_med: bool,
    /// It answers a ROUTE-REFRESH by sending its routes again. OpenBGPD 7.7
    /// does not: its RDE drops every refresh for a family that *was*
    /// negotiated, logging "route refresh: AID ... not negotiated" (an
    /// inverted test in rde.c rev. 1.548, fixed in rev. 1.586 for 7.8;
    /// openbgpd-portable issue #46). FRR's refresh gets the same answer.
    pub(crate) route_refresh: bool,
}

pub(crate) trait Peer {
    fn name(&self) -> &'static str;
    fn net(&self) -> Net;
    fn features(&self) -> Features;
    /// The AS path P1 is originated with (before the peer's own AS).
    fn p1_path(&self) -> &'static str {
        "64801 64802"
    }
    /// Writes the configuration, starts the daemon, waits until it answers
    /// and originates its routes.
    fn start(&mut self);
    /// Kills it without a NOTIFICATION (a crash).
    fn crash(&mut self);
    /// Whether its session with `nbr` is Established.
    fn established(&self, nbr: &str) -> bool;
    /// Its best route for `prefix`.
    fn route(&self, prefix: &str) -> Option<Route>;
    /// An API command (ExaBGP only).
    fn command(&self, line: &str) {
        panic!("{} takes no API commands: {line}", self.name());
    }
    /// How many ROUTE-REFRESH messages its session with `nbr` received, for
    /// a peer that does not answer them (see [`Features::route_refresh`]).
    fn refreshes_received(&self, nbr: &str) -> Option<u64> {
        let _ = nbr;
        None
    }
    /// Stops originating `prefix`.
    fn withdraw(&mut self, prefix: &str);
    /// Its log, for failure messages.
    fn log(&self) -> String;
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn communities_from_str(s: &str) -> Vec<String> {
    sorted(s.split_whitespace().map(str::to_string).collect())
}

//----------- FRR ------------------------------------------------------------

pub(crate) struct Frr {
    pub(crate) net: Net,
    pub(crate) dir: TempDir,
    proc: Option<Proc>,
}

impl Frr {
    pub(crate) fn new(net: Net) -> Self {
        Self {
            net,
            dir: TempDir::new("frr"),
            proc: None,
        }
    }

    fn vtysh(&self, cmds: &[&str]) -> Result<String, String> {
        let mut c = Command::new("vtysh");
        c.arg("--vty_socket").arg(&self.dir.0);
        for x in cmds {
            c.args(["-c", x]);
        }
        run(&mut c)
    }

    fn config(&self) -> String {
        let n = self.net;
        let (p1, p2, p3, q1) = peer_routes(n, self.p1_path());
        format!(
            "frr defaults traditional
hostname interop-frr
log file {log} informational
!
route-map ORIG1 permit 10
 set as-path prepend 64801 64802
 set metric 55
 set community 65000:55 65000:56
 set large-community 4200000002:5:5
 set origin incomplete
route-map ORIG6 permit 10
 set local-preference 333
 set community 65000:66
route-map NH4 permit 10
 set ip next-hop {nh}
!
router bgp {as}
 bgp router-id {rid}
 no bgp ebgp-requires-policy
 no bgp network import-check
 bgp disable-ebgp-connected-route-check
 bgp allow-martian-nexthop
 bgp graceful-restart
 bgp log-neighbor-changes
 neighbor {ours} remote-as {our_as}
 neighbor {ours} update-source {theirs}
 neighbor {ours} passive
 neighbor {ours} advertisement-interval 0
 neighbor ::1 remote-as {as}
 neighbor ::1 port {port}
 neighbor ::1 update-source ::1
 neighbor ::1 timers connect 2
 address-family ipv4 unicast
  network {p1} route-map ORIG1
  network {p2}
  network {p3}
  neighbor {ours} route-map NH4 out
  neighbor {ours} addpath-tx-all-paths
  no neighbor ::1 activate
 exit-address-family
 address-family ipv6 unicast
  network {q1} route-map ORIG6
  neighbor ::1 activate
 exit-address-family
!
",
            log = self.dir.join("bgpd.log"),
            nh = n.their_nh(),
            as = PEER_AS,
            our_as = OUR_AS,
            rid = n.theirs(),
            ours = n.ours(),
            theirs = n.theirs(),
            port = n.v6_port(),
            p1 = p1.prefix,
            p2 = p2.prefix,
            p3 = p3.prefix,
            q1 = q1.prefix,
        )
    }
}

impl Peer for Frr {
    fn name(&self) -> &'static str {
        "FRR"
    }
    fn net(&self) -> Net {
        self.net
    }
    fn features(&self) -> Features {
        Features {
            add_path: true,
            extended_message: true,
            graceful_restart: true,
            ebgp_med: true,
            route_refresh: true,
        }
    }
    fn start(&mut self) {
        let conf = self.dir.path("bgpd.conf");
        std::fs::write(&conf, self.config()).expect("write bgpd.conf");
        let mut c = Command::new("/usr/lib/frr/bgpd");
        c.args(["-Z", "-S", "-f"])
            .arg(&conf)
            .arg("-i")
            .arg(self.dir.path("bgpd.pid"))
            .arg("--vty_socket")
            .arg(&self.dir.0)
            .args(["-p", "179", "-l", &self.net.theirs(), "-P", "0"]);
        self.proc = Some(Proc::spawn("frr", c, &self.dir.path("stdout.log")));
        wait_for(20, "FRR's vty", || {
            self.vtysh(&["show bgp summary json"]).ok()
        });
    }
    fn crash(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill("KILL", Duration::from_secs(2));
        }
    }
    fn established(&self, nbr: &str) -> bool {
        self.vtysh(&[&format!("show bgp neighbors {nbr} json")])
            .ok()
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .and_then(|v| {
                v.as_object()?
                    .values()
                    .next()
                    .map(|n| n["bgpState"] == "Established")
            })
            .unwrap_or(false)
    }
    fn route(&self, prefix: &str) -> Option<Route> {
        let fam = if prefix.contains(':') { "ipv6" } else { "ipv4" };
        let s = self
            .vtysh(&[&format!("show bgp {fam} unicast {prefix} json")])
            .ok()?;
        let v: Value = serde_json::from_str(&s).ok()?;
        let paths = v["paths"].as_array()?;
        let p = paths
            .iter()
            .find(|p| p["bestpath"]["overall"] == true)
            .or(paths.first())?;
        Some(Route {
            prefix: v["prefix"].as_str()?.to_string(),
            as_path: p["aspath"]["string"]
                .as_str()
                .unwrap_or("")
                .replace("Local", ""),
            origin: origin_name(p["origin"].as_str().unwrap_or("")),
            med: p["metric"].as_u64().map(|m| m as u32),
            local_pref: p["locPrf"]
                .as_u64()
                .or(p["localpref"].as_u64())
                .map(|m| m as u32),
            communities: communities_from_str(p["community"]["string"].as_str().unwrap_or("")),
            large_communities: communities_from_str(
                p["largeCommunity"]["string"].as_str().unwrap_or(""),
            ),
            stale: false,
        })
    }
    fn withdraw(&mut self, prefix: &str) {
        let fam = if prefix.contains(':') { "ipv6" } else { "ipv4" };
        self.vtysh(&[
            "configure terminal",
            &format!("router bgp {PEER_AS}"),
            &format!("address-family {fam} unicast"),
            &format!("no network {prefix}"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
    }
    fn log(&self) -> String {
        read(&self.dir.path("bgpd.log"))
    }
}

//----------- BIRD -----------------------------------------------------------

pub(crate) struct Bird {
    pub(crate) net: Net,
    pub(crate) dir: TempDir,
    proc: Option<Proc>,
    withdrawn: Vec<String>,
}

impl Bird {
    pub(crate) fn new(net: Net) -> Self {
        Self {
            net,
            dir: TempDir::new("bird"),
            proc: None,
            withdrawn: Vec::new(),
        }
    }

    fn birdc(&self, cmd: &str) -> Result<String, String> {
        run(Command::new("birdc")
            .arg("-s")
            .arg(self.dir.path("bird.ctl"))
            .args(cmd.split_whitespace()))
    }

    fn routes_conf(&self) -> String {
        let n = self.net;
        let (p1, p2, p3, _) = peer_routes(n, self.p1_path());
        let mut s = String::new();
        if !self.withdrawn.contains(&p1.prefix) {
            s += &format!(
                "route {} blackhole {{ bgp_path.prepend(64802); bgp_path.prepend(64801); \
                 bgp_med = 55; bgp_community.add((65000,55)); bgp_community.add((65000,56)); \
                 bgp_large_community.add(({PEER_AS},5,5)); bgp_origin = ORIGIN_INCOMPLETE; }};\n",
                p1.prefix
            );
        }
        for p in [p2, p3] {
            if !self.withdrawn.contains(&p.prefix) {
                s += &format!("route {} blackhole;\n", p.prefix);
            }
        }
        s
    }

    /// Session "i" needs `next hop address` on its IPv6 channel: Q1 is a
    /// blackhole route with no gateway, so BIRD exports it with its own
    /// address as next hop, which on this session is ::1, the neighbor's
    /// address too; BIRD refuses a next hop equal to the neighbor's address
    /// (attrs.c, "Forbid next hop equal to neighbor IP") and withdraws the
    /// route instead ("Invalid route ... withdrawn" in its log).
    fn config(&self) -> String {
        let n = self.net;
        let (_, _, _, q1) = peer_routes(n, self.p1_path());
        format!(
            r#"log "{log}" all;
router id {rid};
protocol device {{ }}
protocol static s4 {{
  ipv4;
include "{routes}";
}}
protocol static s6 {{
  ipv6;
  route {q1} blackhole {{ bgp_local_pref = 333; bgp_community.add((65000,66)); }};
}}
protocol bgp e {{
  local {theirs} as {as};
  neighbor {ours} as {our_as};
  multihop 2;
  strict bind;
  passive on;
  graceful restart on;
  enable extended messages on;
  ipv4 {{ import all; export all; next hop address {nh}; add paths on; }};
}}
protocol bgp i {{
  local ::1 as {as};
  neighbor ::1 port {port} as {as};
  multihop 2;
  connect retry time 2;
  error wait time 1, 5;
  graceful restart on;
  enable extended messages on;
  ipv6 {{ import all; export all; add paths on; next hop address 2001:db8::2; }};
}}
"#,
            log = self.dir.join("bird.log"),
            rid = n.theirs(),
            q1 = q1.prefix,
            routes = self.dir.join("routes4.conf"),
            theirs = n.theirs(),
            ours = n.ours(),
            as = PEER_AS,
            our_as = OUR_AS,
            nh = n.their_nh(),
            port = n.v6_port(),
        )
    }
}

impl Peer for Bird {
    fn name(&self) -> &'static str {
        "BIRD"
    }
    fn net(&self) -> Net {
        self.net
    }
    fn features(&self) -> Features {
        Features {
            add_path: true,
            extended_message: true,
            graceful_restart: true,
            ebgp_med: false,
            route_refresh: true,
        }
    }
    fn start(&mut self) {
        std::fs::write(self.dir.path("routes4.conf"), self.routes_conf()).expect("write");
        let conf = self.dir.path("bird.conf");
        std::fs::write(&conf, self.config()).expect("write bird.conf");
        let mut c = Command::new("bird");
        c.arg("-f")
            .arg("-c")
            .arg(&conf)
            .arg("-s")
            .arg(self.dir.path("bird.ctl"));
        self.proc = Some(Proc::spawn("bird", c, &self.dir.path("stdout.log")));
        wait_for(20, "BIRD's control socket", || {
            self.birdc("show status").ok()
        });
    }
    fn crash(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill("KILL", Duration::from_secs(2));
        }
    }
    fn established(&self, nbr: &str) -> bool {
        let proto = if nbr.contains(':') { "i" } else { "e" };
        self.birdc(&format!("show protocols all {proto}"))
            .is_ok_and(|s| s.contains("BGP state:          Established"))
    }
    fn route(&self, prefix: &str) -> Option<Route> {
        let s = self.birdc(&format!("show route {prefix} all")).ok()?;
        if !s.contains(prefix) {
            return None;
        }
        let mut r = Route {
            prefix: prefix.to_string(),
            ..Route::default()
        };
        // The first (best) route's attributes only.
        let mut seen_route = false;
        for line in s.lines() {
            let t = line.trim();
            if t.starts_with(prefix) || (line.starts_with(' ') && t.contains(" [")) {
                if seen_route {
                    break;
                }
                seen_route = true;
            }
            let Some((k, v)) = t.split_once(": ") else {
                continue;
            };
            match k {
                "BGP.origin" => r.origin = origin_name(v),
                "BGP.as_path" => r.as_path = v.trim().to_string(),
                "BGP.med" => r.med = v.trim().parse().ok(),
                "BGP.local_pref" => r.local_pref = v.trim().parse().ok(),
                "BGP.community" => {
                    r.communities = sorted(
                        v.split(") (")
                            .map(|c| c.trim_matches(|c| c == '(' || c == ')' || c == ' '))
                            .map(|c| c.replace(',', ":"))
                            .collect(),
                    )
                }
                "BGP.large_community" => {
                    r.large_communities = sorted(
                        v.split(") (")
                            .map(|c| c.trim_matches(|c| c == '(' || c == ')' || c == ' '))
                            .map(|c| c.replace(", ", ":").replace(',', ":"))
                            .collect(),
                    )
                }
                _ => {}
            }
        }
        Some(r)
    }
    fn withdraw(&mut self, prefix: &str) {
        self.withdrawn.push(prefix.to_string());
        std::fs::write(self.dir.path("routes4.conf"), self.routes_conf()).expect("write");
        let out = self.birdc("configure").unwrap_or_else(|e| panic!("{e}"));
        assert!(out.contains("Reconfigured"), "birdc configure: {out}");
    }
    fn log(&self) -> String {
        read(&self.dir.path("bird.log"))
    }
}

//----------- GoBGP ----------------------------------------------------------

pub(crate) struct Gobgp {
    pub(crate) net: Net,
    pub(crate) dir: TempDir,
    proc: Option<Proc>,
}

impl Gobgp {
    pub(crate) fn new(net: Net) -> Self {
        Self {
            net,
            dir: TempDir::new("gobgp"),
            proc: None,
        }
    }

    fn gobgp(&self, args: &[&str]) -> Result<String, String> {
        run(Command::new("gobgp")
            .arg("--target")
            .arg(format!("unix://{}", self.dir.join("gobgp.sock")))
            .args(args))
    }

    fn config(&self) -> String {
        let n = self.net;
        format!(
            r#"[global.config]
  as = {as}
  router-id = "{rid}"
  port = 179
  local-address-list = ["{theirs}"]

[[neighbors]]
  [neighbors.config]
    neighbor-address = "{ours}"
    peer-as = {our_as}
  [neighbors.transport.config]
    local-address = "{theirs}"
    passive-mode = true
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 30
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.add-paths.config]
      receive = true
      send-max = 8
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true

[[neighbors]]
  [neighbors.config]
    neighbor-address = "::1"
    peer-as = {as}
  [neighbors.transport.config]
    local-address = "::1"
    remote-port = {port}
  [neighbors.timers.config]
    connect-retry = 2
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
"#,
            as = PEER_AS,
            our_as = OUR_AS,
            rid = n.theirs(),
            theirs = n.theirs(),
            ours = n.ours(),
            port = n.v6_port(),
        )
    }
}

impl Peer for Gobgp {
    fn name(&self) -> &'static str {
        "GoBGP"
    }
    fn net(&self) -> Net {
        self.net
    }
    fn features(&self) -> Features {
        Features {
            add_path: true,
            // GoBGP 3.10 does not implement RFC 8654.
            extended_message: false,
            graceful_restart: true,
            ebgp_med: true,
            route_refresh: true,
        }
    }
    fn start(&mut self) {
        let conf = self.dir.path("gobgpd.toml");
        std::fs::write(&conf, self.config()).expect("write gobgpd.toml");
        let _ = std::fs::remove_file(self.dir.path("gobgp.sock"));
        let mut c = Command::new("gobgpd");
        c.arg("-f")
            .arg(&conf)
            .args(["-t", "toml", "-p", "--pprof-disable", "--api-hosts"])
            .arg(format!("unix://{}", self.dir.join("gobgp.sock")));
        self.proc = Some(Proc::spawn("gobgpd", c, &self.dir.path("gobgpd.log")));
        wait_for(20, "GoBGP's API", || self.gobgp(&["global"]).ok());
        let n = self.net;
        let (p1, p2, p3, q1) = peer_routes(n, self.p1_path());
        let nh = n.their_nh();
        for args in [
            vec![
                "-a",
                "ipv4",
                &p1.prefix,
                "nexthop",
                &nh,
                "aspath",
                "64801,64802",
                "med",
                "55",
                "community",
                "65000:55,65000:56",
                "large-community",
                "4200000002:5:5",
                "origin",
                "incomplete",
            ],
            vec!["-a", "ipv4", &p2.prefix, "nexthop", &nh],
            vec!["-a", "ipv4", &p3.prefix, "nexthop", &nh],
            vec![
                "-a",
                "ipv6",
                &q1.prefix,
                "nexthop",
                "2001:db8::2",
                "local-pref",
                "333",
                "origin",
                "igp",
                "community",
                "65000:66",
            ],
        ] {
            let mut a = vec!["global", "rib", "add"];
            a.extend(args);
            self.gobgp(&a).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    fn crash(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill("KILL", Duration::from_secs(2));
        }
    }
    fn established(&self, nbr: &str) -> bool {
        self.gobgp(&["neighbor", nbr, "-j"])
            .ok()
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .is_some_and(|v| v["state"]["session_state"] == 6)
    }
    fn route(&self, prefix: &str) -> Option<Route> {
        let fam = if prefix.contains(':') { "ipv6" } else { "ipv4" };
        let s = self
            .gobgp(&["global", "rib", "-a", fam, prefix, "-j"])
            .ok()?;
        let v: Value = serde_json::from_str(&s).ok()?;
        let paths = v.get(prefix)?.as_array()?;
        let p = paths.iter().find(|p| p["best"] == true).or(paths.first())?;
        let mut r = Route {
            prefix: prefix.to_string(),
            ..Route::default()
        };
        for a in p["attrs"].as_array()? {
            match a["type"].as_u64()? {
                1 => {
                    r.origin = match a["value"].as_u64() {
                        Some(0) => "igp",
                        Some(1) => "egp",
                        _ => "incomplete",
                    }
                    .into()
                }
                2 => {
                    let mut asns = Vec::new();
                    for seg in a["as_paths"].as_array().into_iter().flatten() {
                        for n in seg["asns"].as_array().into_iter().flatten() {
                            asns.push(n.to_string());
                        }
                    }
                    r.as_path = asns.join(" ");
                }
                4 => r.med = a["metric"].as_u64().map(|m| m as u32),
                5 => r.local_pref = a["value"].as_u64().map(|m| m as u32),
                8 => {
                    r.communities = sorted(
                        a["communities"]
                            .as_array()?
                            .iter()
                            .filter_map(Value::as_u64)
                            .map(|c| format!("{}:{}", c >> 16, c & 0xffff))
                            .collect(),
                    )
                }
                32 => {
                    r.large_communities = sorted(
                        a["value"]
                            .as_array()?
                            .iter()
                            .map(|l| {
                                format!("{}:{}:{}", l["ASN"], l["LocalData1"], l["LocalData2"])
                            })
                            .collect(),
                    )
                }
                _ => {}
            }
        }
        Some(r)
    }
    fn withdraw(&mut self, prefix: &str) {
        let fam = if prefix.contains(':') { "ipv6" } else { "ipv4" };
        self.gobgp(&["global", "rib", "del", "-a", fam, prefix])
            .unwrap_or_else(|e| panic!("{e}"));
    }
    fn log(&self) -> String {
        read(&self.dir.path("gobgpd.log"))
    }
}

//----------- OpenBGPD -------------------------------------------------------

pub(crate) struct OpenBgpd {
    pub(crate) net: Net,
    pub(crate) dir: TempDir,
    proc: Option<Proc>,
    withdrawn: Vec<String>,
}

impl OpenBgpd {
    pub(crate) fn new(net: Net) -> Self {
        Self {
            net,
            dir: TempDir::new("openbgpd"),
            proc: None,
            withdrawn: Vec::new(),
        }
    }

    fn bgpctl(&self, args: &[&str]) -> Result<String, String> {
        run(Command::new("bgpctl")
            .arg("-s")
            .arg(self.dir.path("bgpd.sock"))
            .args(args))
    }

    fn config(&self) -> String {
        let n = self.net;
        let (p1, _, p3, q1) = peer_routes(n, self.p1_path());
        let mut nets = String::new();
        if !self.withdrawn.contains(&p1.prefix) {
            nets += &format!(
                "network {} set {{ med 55 community 65000:55 community 65000:56 \
                 large-community {PEER_AS}:5:5 origin incomplete prepend-self 1 }}\n",
                p1.prefix
            );
        }
        format!(
            r#"AS {as}
router-id {rid}
listen on {theirs} port 179
fib-update no
connect-retry 2
socket "{sock}"
{nets}network {p3}
network {q1} set {{ localpref 333 community 65000:66 }}
neighbor {ours} {{
  remote-as {our_as}
  local-address {theirs}
  multihop 2
  passive
  announce add-path recv yes
  announce add-path send all
  announce restart yes
  announce IPv6 none
}}
neighbor ::1 {{
  remote-as {as}
  local-address ::1
  port {port}
  multihop 2
  announce IPv4 none
  announce IPv6 unicast
}}
allow from any
allow to any
match to {ours} set nexthop {nh}
"#,
            as = PEER_AS,
            our_as = OUR_AS,
            rid = n.theirs(),
            theirs = n.theirs(),
            ours = n.ours(),
            sock = self.dir.join("bgpd.sock"),
            p3 = p3.prefix,
            q1 = q1.prefix,
            port = n.v6_port(),
            nh = n.their_nh(),
        )
    }
}

impl Peer for OpenBgpd {
    fn name(&self) -> &'static str {
        "OpenBGPD"
    }
    fn net(&self) -> Net {
        self.net
    }
    fn features(&self) -> Features {
        Features {
            add_path: true,
            extended_message: false,
            graceful_restart: false,
            ebgp_med: true,
            // 7.7 drops every ROUTE-REFRESH (see the field).
            route_refresh: false,
        }
    }
    /// OpenBGPD cannot originate an arbitrary AS path, only prepend its own.
    fn p1_path(&self) -> &'static str {
        "4200000002"
    }
    fn start(&mut self) {
        let _ = std::fs::create_dir_all("/run/openbgpd");
        let conf = self.dir.path("bgpd.conf");
        std::fs::write(&conf, self.config()).expect("write bgpd.conf");
        if let Err(e) = run(Command::new("bgpd").arg("-n").arg("-f").arg(&conf)) {
            panic!("OpenBGPD refuses its configuration: {e}");
        }
        let mut c = Command::new("bgpd");
        c.arg("-d").arg("-f").arg(&conf);
        self.proc = Some(Proc::spawn("openbgpd", c, &self.dir.path("bgpd.log")));
        wait_for(20, "OpenBGPD's control socket", || {
            self.bgpctl(&["show", "summary"]).ok()
        });
        // P2 is added at run time so that it can be withdrawn at run time.
        let p2 = self.net.p(79);
        if !self.withdrawn.contains(&p2) {
            self.bgpctl(&["network", "add", &p2])
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    fn crash(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill("KILL", Duration::from_secs(2));
        }
    }
    fn established(&self, nbr: &str) -> bool {
        self.bgpctl(&["show", "neighbor", nbr])
            .is_ok_and(|s| s.contains("BGP state = Established"))
    }
    fn refreshes_received(&self, nbr: &str) -> Option<u64> {
        let s = self.bgpctl(&["-j", "show", "neighbor", nbr]).ok()?;
        let v: Value = serde_json::from_str(&s).ok()?;
        v["neighbors"][0]["stats"]["message"]["received"]["route_refresh"].as_u64()
    }
    fn route(&self, prefix: &str) -> Option<Route> {
        let s = self.bgpctl(&["-j", "show", "rib", "detail", prefix]).ok()?;
        let v: Value = serde_json::from_str(&s).ok()?;
        let rib = v["rib"].as_array()?;
        let p = rib
            .iter()
            .filter(|r| r["prefix"] == prefix)
            .find(|r| r["best"] == true)
            .or_else(|| rib.iter().find(|r| r["prefix"] == prefix))?;
        let strs = |k: &str| {
            sorted(
                p[k].as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c.as_str().map(str::to_string))
                    .collect(),
            )
        };
        Some(Route {
            prefix: prefix.to_string(),
            as_path: p["aspath"].as_str().unwrap_or("").to_string(),
            origin: origin_name(p["origin"].as_str().unwrap_or("")),
            med: p["metric"].as_u64().map(|m| m as u32),
            local_pref: p["localpref"].as_u64().map(|m| m as u32),
            communities: strs("communities"),
            large_communities: strs("large_communities"),
            stale: false,
        })
    }
    fn withdraw(&mut self, prefix: &str) {
        self.withdrawn.push(prefix.to_string());
        if prefix == self.net.p(79) {
            self.bgpctl(&["network", "delete", prefix])
                .unwrap_or_else(|e| panic!("{e}"));
        } else {
            std::fs::write(self.dir.path("bgpd.conf"), self.config()).expect("write");
            self.bgpctl(&["reload"]).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    fn log(&self) -> String {
        read(&self.dir.path("bgpd.log"))
    }
}

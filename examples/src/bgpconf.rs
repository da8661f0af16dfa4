//! The `router bgp` part of an FRR configuration, as FRR's `show
//! running-config` prints it, read into a plain model.
//!
//! Policy statements (`ip prefix-list`, `route-map`, …) are bgp-policy's
//! business; this module reads what is left: the `router bgp ASN` block with
//! its neighbors, peer-groups, listen ranges, networks and `address-family`
//! blocks, plus the handful of global lines an FRR config carries that do not
//! concern BGP (`hostname`, `log …`, `frr version`, …), which are returned as
//! [`BgpConfig::ignored`] so a caller can say it skipped them.
//!
//! Anything else is an error naming its line: a daemon that silently ignored
//! `neighbor 10.0.0.1 route-map STRICT in` because of a typo would be worse
//! than one that refuses to start.
//!
//! Settings follow FRR's inheritance: a neighbor's own setting wins over its
//! peer-group's ([`BgpConfig::resolve`]); per-family settings written outside
//! an `address-family` block apply to IPv4 unicast, and IPv4 unicast is active
//! for every neighbor unless `no bgp default ipv4-unicast` is given.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;

/// An address family a `router bgp` block configures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Af {
    /// `address-family ipv4 unicast` (and lines outside any block).
    Ipv4Unicast,
    /// `address-family ipv6 unicast`.
    Ipv6Unicast,
}

impl Af {
    /// The address family of a prefix.
    pub fn of(prefix: &IpNet) -> Self {
        match prefix {
            IpNet::V4(_) => Self::Ipv4Unicast,
            IpNet::V6(_) => Self::Ipv6Unicast,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Ipv4Unicast => "ipv4 unicast",
            Self::Ipv6Unicast => "ipv6 unicast",
        }
    }
}

/// `neighbor X remote-as …`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoteAs {
    /// A number.
    Asn(u32),
    /// `internal`: our own AS.
    Internal,
    /// `external`: any AS but ours.
    External,
}

/// `neighbor X maximum-prefix N [THRESHOLD] [warning-only] [restart MINUTES]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPrefix {
    /// The limit.
    pub limit: u32,
    /// Percentage of the limit at which to warn (FRR's default 75).
    pub threshold_pct: u8,
    /// Only warn; never close the session.
    pub warning_only: bool,
    /// Re-establish after this many minutes (0: stay down until cleared).
    pub restart_minutes: u16,
}

/// Settings of one address family of a neighbor or peer-group. `None` means
/// "not set here" (inherit from the peer-group, or the default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AfSettings {
    /// `neighbor X activate` / `no neighbor X activate`.
    pub activate: Option<bool>,
    /// `next-hop-self`.
    pub next_hop_self: Option<bool>,
    /// `default-originate [route-map NAME]`: `Some(None)` unconditional.
    pub default_originate: Option<Option<String>>,
    /// `route-server-client`.
    pub route_server_client: Option<bool>,
    /// `route-reflector-client`.
    pub route_reflector_client: Option<bool>,
    /// `soft-reconfiguration inbound`.
    pub soft_reconfiguration_inbound: Option<bool>,
    /// `prefix-list NAME in`.
    pub prefix_list_in: Option<String>,
    /// `prefix-list NAME out`.
    pub prefix_list_out: Option<String>,
    /// `route-map NAME in`.
    pub route_map_in: Option<String>,
    /// `route-map NAME out`.
    pub route_map_out: Option<String>,
    /// `maximum-prefix …`.
    pub maximum_prefix: Option<MaxPrefix>,
    /// `allowas-in [N]` (FRR's default N is 3).
    pub allowas_in: Option<u8>,
    /// `addpath-tx-all-paths`.
    pub addpath_tx_all_paths: Option<bool>,
}

impl AfSettings {
    fn inherit(&mut self, group: &Self) {
        macro_rules! take {
            ($($f:ident),*) => {$(
                if self.$f.is_none() {
                    self.$f.clone_from(&group.$f);
                }
            )*};
        }
        take!(
            activate,
            next_hop_self,
            default_originate,
            route_server_client,
            route_reflector_client,
            soft_reconfiguration_inbound,
            prefix_list_in,
            prefix_list_out,
            route_map_in,
            route_map_out,
            maximum_prefix,
            allowas_in,
            addpath_tx_all_paths
        );
    }
}

/// Settings of a neighbor or a peer-group. `None` means "not set here".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerSettings {
    /// `remote-as`.
    pub remote_as: Option<RemoteAs>,
    /// `description TEXT`.
    pub description: Option<String>,
    /// `update-source ADDR`.
    pub update_source: Option<IpAddr>,
    /// `port N`.
    pub port: Option<u16>,
    /// `passive`.
    pub passive: Option<bool>,
    /// `timers KEEPALIVE HOLD` (seconds).
    pub timers: Option<(u16, u16)>,
    /// `timers connect N` (seconds).
    pub connect_retry: Option<u16>,
    /// `capability extended-nexthop`.
    pub extended_nexthop: Option<bool>,
    /// `shutdown [message TEXT]`: `Some(Some(text))` with a message.
    pub shutdown: Option<Option<String>>,
    /// Per-family settings.
    pub af: BTreeMap<Af, AfSettings>,
}

impl PeerSettings {
    fn inherit(&mut self, group: &Self) {
        macro_rules! take {
            ($($f:ident),*) => {$(
                if self.$f.is_none() {
                    self.$f.clone_from(&group.$f);
                }
            )*};
        }
        take!(
            remote_as,
            description,
            update_source,
            port,
            passive,
            timers,
            connect_retry,
            extended_nexthop,
            shutdown
        );
        for (af, g) in &group.af {
            self.af.entry(*af).or_default().inherit(g);
        }
    }
}

/// A `neighbor ADDR` of the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Neighbor {
    /// The address.
    pub address: IpAddr,
    /// `neighbor ADDR peer-group NAME`.
    pub group: Option<String>,
    /// The settings written for this neighbor itself.
    pub settings: PeerSettings,
    /// The line that first named it.
    pub line: usize,
}

/// `bgp listen range PREFIX peer-group NAME`: peers connecting from the
/// range are accepted as members of the group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenRange {
    /// The range.
    pub range: IpNet,
    /// The peer-group.
    pub group: String,
    /// The line it was written on.
    pub line: usize,
}

/// `network PREFIX [route-map NAME]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    /// The prefix.
    pub prefix: IpNet,
    /// The route-map applied to it.
    pub route_map: Option<String>,
}

/// Best-path options of `bgp bestpath …` and friends.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BestpathOptions {
    /// `bgp always-compare-med`.
    pub always_compare_med: bool,
    /// `bgp deterministic-med`.
    pub deterministic_med: bool,
    /// `bgp bestpath med missing-as-worst`.
    pub med_missing_as_worst: bool,
    /// `bgp bestpath as-path ignore`.
    pub as_path_ignore: bool,
    /// `bgp bestpath as-path multipath-relax`.
    pub multipath_relax: bool,
    /// `maximum-paths N` (eBGP) / `maximum-paths ibgp N`, per family.
    pub maximum_paths: BTreeMap<Af, (u16, u16)>,
}

/// `bgp graceful-restart [restart-time N | stalepath-time N]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GracefulRestartConfig {
    /// The Restart Time we advertise, seconds (FRR's default 120).
    pub restart_time: u16,
    /// How long a restarted peer's stale routes are kept waiting for its
    /// End-of-RIB, seconds (FRR's default 360).
    pub stalepath_time: u16,
}

impl Default for GracefulRestartConfig {
    fn default() -> Self {
        Self {
            restart_time: 120,
            stalepath_time: 360,
        }
    }
}

/// A fully resolved neighbor: its own settings over its peer-group's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedNeighbor {
    /// The address.
    pub address: IpAddr,
    /// The peer-group, if any.
    pub group: Option<String>,
    /// The effective settings.
    pub settings: PeerSettings,
}

impl ResolvedNeighbor {
    /// The effective settings of `af`, or `None` if the family is not
    /// activated for this neighbor.
    pub fn af(&self, af: Af) -> Option<&AfSettings> {
        self.settings
            .af
            .get(&af)
            .filter(|s| s.activate.unwrap_or(false))
    }
}

/// The `router bgp` configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BgpConfig {
    /// `router bgp ASN`.
    pub asn: u32,
    /// `bgp router-id`.
    pub router_id: Option<Ipv4Addr>,
    /// `bgp cluster-id`.
    pub cluster_id: Option<Ipv4Addr>,
    /// `bgp listen range …`.
    pub listen_ranges: Vec<ListenRange>,
    /// Peer-groups by name.
    pub groups: BTreeMap<String, PeerSettings>,
    /// Neighbors in the order they were configured.
    pub neighbors: Vec<Neighbor>,
    /// `network` statements per family.
    pub networks: BTreeMap<Af, Vec<Network>>,
    /// `bgp default ipv4-unicast` (FRR's default: on).
    pub default_ipv4_unicast: bool,
    /// `bgp ebgp-requires-policy` (RFC 8212; FRR's default: on).
    pub ebgp_requires_policy: bool,
    /// Best-path options.
    pub bestpath: BestpathOptions,
    /// `bgp graceful-restart` (RFC 4724), with `bgp graceful-restart
    /// restart-time N` and `stalepath-time N`; `None`: not offered.
    pub graceful_restart: Option<GracefulRestartConfig>,
    /// Lines that were understood and deliberately not acted on (global
    /// lines unrelated to BGP, and BGP lines without effect here), with their
    /// line numbers.
    pub ignored: Vec<(usize, String)>,
}

/// A configuration error, naming its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Global lines that do not concern BGP and are skipped (by first words).
const IGNORED_GLOBAL: &[&[&str]] = &[
    &["frr", "version"],
    &["frr", "defaults"],
    &["hostname"],
    &["password"],
    &["enable", "password"],
    &["log"],
    &["service"],
    &["line", "vty"],
    &["end"],
    &["ip", "forwarding"],
    &["ipv6", "forwarding"],
    &["no", "ipv6", "forwarding"],
    &["no", "ip", "forwarding"],
];

/// BGP-level lines that are accepted and have no effect in this model.
const IGNORED_BGP: &[&[&str]] = &[
    &["bgp", "log-neighbor-changes"],
    &["no", "bgp", "network", "import-check"],
    &["bgp", "disable-ebgp-connected-route-check"],
    &["bgp", "allow-martian-nexthop"],
    &["no", "bgp", "log-neighbor-changes"],
];

fn starts_with(words: &[&str], prefix: &[&str]) -> bool {
    words.len() >= prefix.len() && words.iter().zip(prefix).all(|(a, b)| a == b)
}

struct Ctx<'c> {
    cfg: &'c mut BgpConfig,
    line: usize,
}

impl Ctx<'_> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, ConfigError> {
        Err(ConfigError {
            line: self.line,
            message: message.into(),
        })
    }

    fn parse<T: std::str::FromStr>(
        &self,
        word: Option<&&str>,
        what: &str,
    ) -> Result<T, ConfigError> {
        match word {
            None => self.err(format!("expected {what} at the end of the line")),
            Some(w) => w
                .parse()
                .or_else(|_| self.err(format!("expected {what}, found '{w}'"))),
        }
    }

    fn end(&self, words: &[&str], at: usize) -> Result<(), ConfigError> {
        match words.get(at) {
            None => Ok(()),
            Some(w) => self.err(format!("unexpected '{w}' at the end of the line")),
        }
    }

    /// The settings a `neighbor X` line addresses: a peer-group by name or a
    /// neighbor by address (created by `remote-as` or `peer-group`).
    fn target(&mut self, name: &str, creating: bool) -> Result<&mut PeerSettings, ConfigError> {
        if self.cfg.groups.contains_key(name) {
            return Ok(self.cfg.groups.get_mut(name).expect("checked"));
        }
        let Ok(address) = name.parse::<IpAddr>() else {
            return self.err(format!(
                "'{name}' is neither a neighbor address nor a configured peer-group"
            ));
        };
        let idx = match self.cfg.neighbors.iter().position(|n| n.address == address) {
            Some(i) => i,
            None if creating => {
                self.cfg.neighbors.push(Neighbor {
                    address,
                    group: None,
                    settings: PeerSettings::default(),
                    line: self.line,
                });
                self.cfg.neighbors.len() - 1
            }
            None => {
                return self.err(format!(
                    "neighbor {address} is not configured: give it 'remote-as' or 'peer-group' first"
                ));
            }
        };
        Ok(&mut self.cfg.neighbors[idx].settings)
    }
}

impl BgpConfig {
    /// Reads the lines left after policy statements were taken out: `(line
    /// number, text)` pairs, so errors name the line of the original file.
    pub fn parse<'t>(
        lines: impl IntoIterator<Item = (usize, &'t str)>,
    ) -> Result<Self, ConfigError> {
        let mut cfg = Self {
            default_ipv4_unicast: true,
            ebgp_requires_policy: true,
            ..Self::default()
        };
        let mut in_router = false;
        let mut af: Option<Af> = None;
        let mut seen_router = false;
        for (line, text) in lines {
            let words: Vec<&str> = text.split_whitespace().collect();
            let mut cx = Ctx {
                cfg: &mut cfg,
                line,
            };
            let indented = text.starts_with(' ');
            if words.is_empty() || words[0].starts_with('!') {
                continue;
            }
            if !indented {
                in_router = false;
                af = None;
                if words == ["exit"] {
                    // FRR ends each block with an unindented `exit`.
                } else if starts_with(&words, &["router", "bgp"]) {
                    if seen_router {
                        return cx.err("a second 'router bgp' block (one BGP instance only)");
                    }
                    seen_router = true;
                    in_router = true;
                    cx.cfg.asn = cx.parse(words.get(2), "an AS number after 'router bgp'")?;
                    cx.end(&words, 3)?;
                } else if IGNORED_GLOBAL.iter().any(|p| starts_with(&words, p)) {
                    cx.cfg.ignored.push((line, text.trim().to_string()));
                } else {
                    return cx.err(format!("unsupported statement '{}'", text.trim()));
                }
                continue;
            }
            if !in_router {
                // Indented lines under an ignored global block (`line vty`).
                cx.cfg.ignored.push((line, text.trim().to_string()));
                continue;
            }
            match words[0] {
                "exit-address-family" => {
                    if af.is_none() {
                        return cx.err("'exit-address-family' outside an address-family block");
                    }
                    af = None;
                    cx.end(&words, 1)?;
                }
                "address-family" => {
                    af = Some(match (words.get(1), words.get(2)) {
                        (Some(&"ipv4"), Some(&"unicast") | None) => Af::Ipv4Unicast,
                        (Some(&"ipv6"), Some(&"unicast") | None) => Af::Ipv6Unicast,
                        _ => {
                            return cx.err(format!(
                                "expected 'ipv4 unicast' or 'ipv6 unicast' after 'address-family', found '{}'",
                                words[1..].join(" ")
                            ));
                        }
                    });
                    cx.end(&words, 3)?;
                }
                "exit" => {
                    in_router = false;
                    af = None;
                }
                "neighbor" => parse_neighbor(&mut cx, &words, af)?,
                "network" => {
                    let prefix: IpNet = cx.parse(words.get(1), "a prefix after 'network'")?;
                    if prefix.trunc() != prefix {
                        return cx.err(format!("network {prefix} has host bits set"));
                    }
                    let fam = af.unwrap_or(Af::Ipv4Unicast);
                    if Af::of(&prefix) != fam {
                        return cx.err(format!(
                            "network {prefix} is not in the {} address family",
                            fam.name()
                        ));
                    }
                    let route_map = match words.get(2) {
                        None => None,
                        Some(&"route-map") => Some(word(&cx, &words, 3, "a route-map name")?),
                        Some(w) => return cx.err(format!("expected 'route-map', found '{w}'")),
                    };
                    cx.end(&words, if route_map.is_some() { 4 } else { 2 })?;
                    cx.cfg
                        .networks
                        .entry(fam)
                        .or_default()
                        .push(Network { prefix, route_map });
                }
                "maximum-paths" => {
                    let fam = af.unwrap_or(Af::Ipv4Unicast);
                    let (ibgp, at) = if words.get(1) == Some(&"ibgp") {
                        (true, 2)
                    } else {
                        (false, 1)
                    };
                    let n: u16 = cx.parse(words.get(at), "a number of paths")?;
                    if n == 0 {
                        return cx.err("maximum-paths must be at least 1");
                    }
                    cx.end(&words, at + 1)?;
                    let e = cx.cfg.bestpath.maximum_paths.entry(fam).or_insert((1, 1));
                    if ibgp { e.1 = n } else { e.0 = n }
                }
                _ if af.is_some() => {
                    return cx.err(format!(
                        "unsupported statement in an address-family block: '{}'",
                        text.trim()
                    ));
                }
                "bgp" | "no" => parse_bgp_option(&mut cx, &words, text)?,
                _ => return cx.err(format!("unsupported statement '{}'", text.trim())),
            }
        }
        if !seen_router {
            return Err(ConfigError {
                line: 0,
                message: "no 'router bgp' block".into(),
            });
        }
        cfg.check()?;
        Ok(cfg)
    }

    fn check(&self) -> Result<(), ConfigError> {
        for r in &self.listen_ranges {
            if !self.groups.contains_key(&r.group) {
                return Err(ConfigError {
                    line: r.line,
                    message: format!("peer-group '{}' is not configured", r.group),
                });
            }
        }
        for n in &self.neighbors {
            let r = self.resolve(n);
            if r.settings.remote_as.is_none() {
                return Err(ConfigError {
                    line: n.line,
                    message: format!(
                        "neighbor {} has no remote-as (neither its own nor its peer-group's)",
                        n.address
                    ),
                });
            }
        }
        Ok(())
    }

    /// A neighbor's effective settings: its own, then its peer-group's, then
    /// the defaults (IPv4 unicast active under `bgp default ipv4-unicast`).
    pub fn resolve(&self, n: &Neighbor) -> ResolvedNeighbor {
        let mut settings = n.settings.clone();
        if let Some(g) = n.group.as_ref().and_then(|g| self.groups.get(g)) {
            settings.inherit(g);
        }
        let v4 = settings.af.entry(Af::Ipv4Unicast).or_default();
        if v4.activate.is_none() {
            v4.activate = Some(self.default_ipv4_unicast);
        }
        ResolvedNeighbor {
            address: n.address,
            group: n.group.clone(),
            settings,
        }
    }

    /// The settings of a dynamic neighbor accepted from a listen range, as a
    /// member of the range's peer-group.
    pub fn resolve_dynamic(&self, address: IpAddr) -> Option<ResolvedNeighbor> {
        let range = self
            .listen_ranges
            .iter()
            .filter(|r| r.range.contains(&address))
            .max_by_key(|r| r.range.prefix_len())?;
        Some(self.resolve(&Neighbor {
            address,
            group: Some(range.group.clone()),
            settings: PeerSettings::default(),
            line: 0,
        }))
    }

    /// The configured neighbors, resolved.
    pub fn resolved_neighbors(&self) -> impl Iterator<Item = ResolvedNeighbor> + '_ {
        self.neighbors.iter().map(|n| self.resolve(n))
    }
}

fn word(cx: &Ctx<'_>, words: &[&str], at: usize, what: &str) -> Result<String, ConfigError> {
    match words.get(at) {
        Some(w) => Ok((*w).to_string()),
        None => cx.err(format!("expected {what} at the end of the line")),
    }
}

fn parse_bgp_option(cx: &mut Ctx<'_>, words: &[&str], text: &str) -> Result<(), ConfigError> {
    if IGNORED_BGP.iter().any(|p| starts_with(words, p)) {
        cx.cfg.ignored.push((cx.line, text.trim().to_string()));
        return Ok(());
    }
    let (no, w) = if words[0] == "no" {
        (true, &words[1..])
    } else {
        (false, words)
    };
    let flag = |cx: &mut Ctx<'_>, n: usize, set: fn(&mut BgpConfig, bool)| {
        cx.end(w, n)?;
        set(cx.cfg, !no);
        Ok(())
    };
    match w {
        ["bgp", "router-id", ..] if !no => {
            cx.cfg.router_id = Some(cx.parse(w.get(2), "an IPv4 router-id")?);
            cx.end(w, 3)
        }
        ["bgp", "cluster-id", ..] if !no => {
            cx.cfg.cluster_id = Some(cx.parse(w.get(2), "an IPv4 cluster-id")?);
            cx.end(w, 3)
        }
        ["bgp", "listen", "range", ..] if !no => {
            let range: IpNet = cx.parse(w.get(3), "a prefix after 'bgp listen range'")?;
            if w.get(4) != Some(&"peer-group") {
                return cx.err("expected 'peer-group NAME' after the listen range");
            }
            let group = word(cx, w, 5, "a peer-group name")?;
            cx.end(w, 6)?;
            // FRR may print the range before the group's lines; checked at the end.
            cx.cfg.listen_ranges.push(ListenRange {
                range,
                group,
                line: cx.line,
            });
            Ok(())
        }
        ["bgp", "listen", "limit", ..] if !no => {
            let _: u32 = cx.parse(w.get(3), "a number")?;
            cx.end(w, 4)?;
            cx.cfg.ignored.push((cx.line, text.trim().to_string()));
            Ok(())
        }
        ["bgp", "default", "ipv4-unicast", ..] => flag(cx, 3, |c, v| c.default_ipv4_unicast = v),
        ["bgp", "ebgp-requires-policy", ..] => flag(cx, 2, |c, v| c.ebgp_requires_policy = v),
        ["bgp", "always-compare-med", ..] => flag(cx, 2, |c, v| c.bestpath.always_compare_med = v),
        ["bgp", "deterministic-med", ..] => flag(cx, 2, |c, v| c.bestpath.deterministic_med = v),
        ["bgp", "bestpath", "med", "missing-as-worst", ..] => {
            flag(cx, 4, |c, v| c.bestpath.med_missing_as_worst = v)
        }
        ["bgp", "bestpath", "as-path", "ignore", ..] => {
            flag(cx, 4, |c, v| c.bestpath.as_path_ignore = v)
        }
        ["bgp", "bestpath", "as-path", "multipath-relax", ..] => {
            flag(cx, 4, |c, v| c.bestpath.multipath_relax = v)
        }
        ["bgp", "graceful-restart"] => {
            cx.cfg.graceful_restart = (!no).then(GracefulRestartConfig::default);
            Ok(())
        }
        [
            "bgp",
            "graceful-restart",
            which @ ("restart-time" | "stalepath-time"),
            ..,
        ] if !no => {
            let v: u16 = cx.parse(w.get(3), "a number of seconds (1-4095)")?;
            if !(1..=4095).contains(&v) {
                return cx.err(format!("{which} must be 1-4095, not {v}"));
            }
            cx.end(w, 4)?;
            let gr = cx.cfg.graceful_restart.get_or_insert_with(Default::default);
            if *which == "restart-time" {
                gr.restart_time = v;
            } else {
                gr.stalepath_time = v;
            }
            Ok(())
        }
        _ => cx.err(format!("unsupported statement '{}'", text.trim())),
    }
}

fn parse_neighbor(cx: &mut Ctx<'_>, words: &[&str], af: Option<Af>) -> Result<(), ConfigError> {
    let name = word(cx, words, 1, "a neighbor address or peer-group name")?;
    let Some(&kw) = words.get(2) else {
        return cx.err(format!("expected a setting after 'neighbor {name}'"));
    };
    let rest = &words[3..];
    let line = cx.line;
    // Statements that define rather than configure.
    match kw {
        "peer-group" if rest.is_empty() => {
            if name.parse::<IpAddr>().is_ok() {
                return cx.err(format!("'{name}' is an address, not a peer-group name"));
            }
            if af.is_some() {
                return cx.err("peer-groups are defined outside address-family blocks");
            }
            cx.cfg.groups.entry(name).or_default();
            return Ok(());
        }
        "peer-group" => {
            let group = rest[0].to_string();
            cx.end(rest, 1)?;
            if !cx.cfg.groups.contains_key(&group) {
                return cx.err(format!("peer-group '{group}' is not configured"));
            }
            let address: IpAddr = cx.parse(Some(&name.as_str()), "a neighbor address")?;
            cx.target(&name, true)?;
            let n = cx
                .cfg
                .neighbors
                .iter_mut()
                .find(|n| n.address == address)
                .expect("created above");
            n.group = Some(group);
            return Ok(());
        }
        _ => {}
    }
    let creating = kw == "remote-as";
    let fam = af.unwrap_or(Af::Ipv4Unicast);
    let mut cx2 = Ctx {
        cfg: &mut *cx.cfg,
        line,
    };
    let cxr = &mut cx2;
    // Parse the value first (with a shared borrow of the context), then store it.
    enum Set {
        Peer(Box<dyn FnOnce(&mut PeerSettings)>),
        Af(Box<dyn FnOnce(&mut AfSettings)>),
    }
    let on = |v: bool| Some(v);
    let set: Set = match kw {
        "remote-as" => {
            let v = match rest.first() {
                Some(&"internal") => RemoteAs::Internal,
                Some(&"external") => RemoteAs::External,
                w => RemoteAs::Asn(cxr.parse(w, "an AS number, 'internal' or 'external'")?),
            };
            cxr.end(rest, 1)?;
            Set::Peer(Box::new(move |s| s.remote_as = Some(v)))
        }
        "description" => {
            if rest.is_empty() {
                return cxr.err("expected a description text");
            }
            let text = rest.join(" ");
            Set::Peer(Box::new(move |s| s.description = Some(text)))
        }
        "update-source" => {
            let a: IpAddr = cxr.parse(rest.first(), "an address after 'update-source'")?;
            cxr.end(rest, 1)?;
            Set::Peer(Box::new(move |s| s.update_source = Some(a)))
        }
        "port" => {
            let p: u16 = cxr.parse(rest.first(), "a port number")?;
            cxr.end(rest, 1)?;
            Set::Peer(Box::new(move |s| s.port = Some(p)))
        }
        "passive" => {
            cxr.end(rest, 0)?;
            Set::Peer(Box::new(move |s| s.passive = on(true)))
        }
        "timers" if rest.first() == Some(&"connect") => {
            let n: u16 = cxr.parse(rest.get(1), "a connect-retry time in seconds")?;
            cxr.end(rest, 2)?;
            Set::Peer(Box::new(move |s| s.connect_retry = Some(n)))
        }
        "timers" => {
            let ka: u16 = cxr.parse(rest.first(), "a keepalive time in seconds")?;
            let hold: u16 = cxr.parse(rest.get(1), "a hold time in seconds")?;
            cxr.end(rest, 2)?;
            if hold != 0 && hold < 3 {
                return cxr.err(format!(
                    "hold time {hold} is below 3 seconds (RFC 4271 §4.2)"
                ));
            }
            Set::Peer(Box::new(move |s| s.timers = Some((ka, hold))))
        }
        "capability" => {
            if rest != ["extended-nexthop"] {
                return cxr.err(format!(
                    "expected 'extended-nexthop' after 'capability', found '{}'",
                    rest.join(" ")
                ));
            }
            Set::Peer(Box::new(move |s| s.extended_nexthop = on(true)))
        }
        "shutdown" => {
            let msg = match rest.first() {
                None => None,
                Some(&"message") if rest.len() > 1 => Some(rest[1..].join(" ")),
                Some(w) => return cxr.err(format!("expected 'message TEXT', found '{w}'")),
            };
            Set::Peer(Box::new(move |s| s.shutdown = Some(msg)))
        }
        "activate" => {
            cxr.end(rest, 0)?;
            Set::Af(Box::new(move |a| a.activate = on(true)))
        }
        "next-hop-self" => {
            // `next-hop-self force` is accepted as next-hop-self.
            if !(rest.is_empty() || rest == ["force"]) {
                return cxr.err(format!("unexpected '{}' after 'next-hop-self'", rest[0]));
            }
            Set::Af(Box::new(move |a| a.next_hop_self = on(true)))
        }
        "default-originate" => {
            let rm = match rest.first() {
                None => None,
                Some(&"route-map") => Some(word(cxr, rest, 1, "a route-map name")?),
                Some(w) => return cxr.err(format!("expected 'route-map', found '{w}'")),
            };
            cxr.end(rest, if rm.is_some() { 2 } else { 0 })?;
            Set::Af(Box::new(move |a| a.default_originate = Some(rm)))
        }
        "route-server-client" => {
            cxr.end(rest, 0)?;
            Set::Af(Box::new(move |a| a.route_server_client = on(true)))
        }
        "route-reflector-client" => {
            cxr.end(rest, 0)?;
            Set::Af(Box::new(move |a| a.route_reflector_client = on(true)))
        }
        "soft-reconfiguration" => {
            if rest != ["inbound"] {
                return cxr.err("expected 'inbound' after 'soft-reconfiguration'");
            }
            Set::Af(Box::new(move |a| a.soft_reconfiguration_inbound = on(true)))
        }
        "prefix-list" | "route-map" => {
            let name = word(cxr, rest, 0, &format!("a {kw} name"))?;
            let dir = word(cxr, rest, 1, "'in' or 'out'")?;
            cxr.end(rest, 2)?;
            let is_pl = kw == "prefix-list";
            match dir.as_str() {
                "in" if is_pl => Set::Af(Box::new(move |a| a.prefix_list_in = Some(name))),
                "out" if is_pl => Set::Af(Box::new(move |a| a.prefix_list_out = Some(name))),
                "in" => Set::Af(Box::new(move |a| a.route_map_in = Some(name))),
                "out" => Set::Af(Box::new(move |a| a.route_map_out = Some(name))),
                d => return cxr.err(format!("expected 'in' or 'out', found '{d}'")),
            }
        }
        "maximum-prefix" => {
            let limit: u32 = cxr.parse(rest.first(), "a prefix limit")?;
            let mut mp = MaxPrefix {
                limit,
                threshold_pct: 75,
                warning_only: false,
                restart_minutes: 0,
            };
            let mut i = 1;
            if let Some(t) = rest.get(1).and_then(|w| w.parse::<u8>().ok()) {
                if !(1..=100).contains(&t) {
                    return cxr.err(format!("threshold {t} is not a percentage 1-100"));
                }
                mp.threshold_pct = t;
                i = 2;
            }
            while let Some(w) = rest.get(i) {
                match *w {
                    "warning-only" => {
                        mp.warning_only = true;
                        i += 1;
                    }
                    "restart" => {
                        mp.restart_minutes =
                            cxr.parse(rest.get(i + 1), "a restart interval in minutes")?;
                        i += 2;
                    }
                    w => {
                        return cxr.err(format!(
                            "expected a threshold, 'warning-only' or 'restart N', found '{w}'"
                        ));
                    }
                }
            }
            Set::Af(Box::new(move |a| a.maximum_prefix = Some(mp)))
        }
        "allowas-in" => {
            let n: u8 = match rest.first() {
                None => 3,
                Some(&"origin") => {
                    return cxr.err("'allowas-in origin' is not supported");
                }
                w => cxr.parse(w, "a number 1-10")?,
            };
            if !(1..=10).contains(&n) {
                return cxr.err(format!("allowas-in {n} is out of range 1-10"));
            }
            cxr.end(rest, usize::from(!rest.is_empty()))?;
            Set::Af(Box::new(move |a| a.allowas_in = Some(n)))
        }
        "addpath-tx-all-paths" => {
            cxr.end(rest, 0)?;
            Set::Af(Box::new(move |a| a.addpath_tx_all_paths = on(true)))
        }
        k => return cxr.err(format!("unsupported neighbor setting '{k}'")),
    };
    if af.is_some() && matches!(set, Set::Peer(_)) {
        return cxr.err(format!(
            "'neighbor {name} {kw}' belongs outside address-family blocks"
        ));
    }
    let target = cxr.target(&name, creating)?;
    match set {
        Set::Peer(f) => f(target),
        Set::Af(f) => f(target.af.entry(fam).or_default()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<BgpConfig, ConfigError> {
        BgpConfig::parse(text.lines().enumerate().map(|(i, l)| (i + 1, l)))
    }

    /// The route server configuration of issue 7, verbatim.
    const ROUTE_SERVER: &str = "\
router bgp 65001
 bgp router-id 10.0.0.5
 neighbor border peer-group
 neighbor border soft-reconfiguration inbound
 neighbor border update-source 10.0.0.5
 neighbor border route-server-client
 neighbor border prefix-list defaultroute in
 neighbor border prefix-list alldynamicroutes out
 neighbor 10.0.0.1 remote-as 65001
 neighbor 10.0.0.1 peer-group border
 neighbor 10.0.0.1 description border router 1
";

    #[test]
    fn route_server_config() {
        let c = parse(ROUTE_SERVER).unwrap();
        assert_eq!(c.asn, 65001);
        assert_eq!(c.router_id, Some(Ipv4Addr::new(10, 0, 0, 5)));
        let n: Vec<_> = c.resolved_neighbors().collect();
        assert_eq!(n.len(), 1);
        let n = &n[0];
        assert_eq!(n.address, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(n.settings.remote_as, Some(RemoteAs::Asn(65001)));
        assert_eq!(n.settings.description.as_deref(), Some("border router 1"));
        assert_eq!(n.settings.update_source, Some("10.0.0.5".parse().unwrap()));
        let v4 = n.af(Af::Ipv4Unicast).expect("ipv4 active by default");
        assert_eq!(v4.prefix_list_in.as_deref(), Some("defaultroute"));
        assert_eq!(v4.prefix_list_out.as_deref(), Some("alldynamicroutes"));
        assert_eq!(v4.route_server_client, Some(true));
        assert_eq!(v4.soft_reconfiguration_inbound, Some(true));
        assert!(n.af(Af::Ipv6Unicast).is_none());
    }

    #[test]
    fn own_setting_wins_over_group_and_af_blocks() {
        let c = parse(
            "hostname rs1\n!\nrouter bgp 65001\n no bgp default ipv4-unicast\n neighbor hosts peer-group\n neighbor hosts remote-as internal\n neighbor hosts timers 3 9\n bgp listen range 10.1.0.0/16 peer-group hosts\n neighbor 10.0.0.2 remote-as 65002\n neighbor 10.0.0.2 peer-group hosts\n neighbor 10.0.0.2 timers 10 30\n !\n address-family ipv6 unicast\n  network 2001:db8::/48\n  neighbor hosts activate\n  neighbor hosts route-map RM in\n  neighbor 10.0.0.2 maximum-prefix 100 90 warning-only\n exit-address-family\nexit\n",
        )
        .unwrap();
        assert_eq!(c.ignored, vec![(1, "hostname rs1".to_string())]);
        let n = c.resolved_neighbors().next().unwrap();
        assert_eq!(n.settings.remote_as, Some(RemoteAs::Asn(65002)));
        assert_eq!(n.settings.timers, Some((10, 30)));
        assert!(
            n.af(Af::Ipv4Unicast).is_none(),
            "no bgp default ipv4-unicast"
        );
        let v6 = n.af(Af::Ipv6Unicast).unwrap();
        assert_eq!(v6.route_map_in.as_deref(), Some("RM"));
        assert_eq!(
            v6.maximum_prefix,
            Some(MaxPrefix {
                limit: 100,
                threshold_pct: 90,
                warning_only: true,
                restart_minutes: 0
            })
        );
        let d = c.resolve_dynamic("10.1.2.3".parse().unwrap()).unwrap();
        assert_eq!(d.settings.remote_as, Some(RemoteAs::Internal));
        assert_eq!(d.settings.timers, Some((3, 9)));
        assert!(c.resolve_dynamic("10.2.0.1".parse().unwrap()).is_none());
        assert_eq!(
            c.networks[&Af::Ipv6Unicast][0].prefix.to_string(),
            "2001:db8::/48"
        );
    }

    #[test]
    fn graceful_restart() {
        let c = parse("router bgp 65001\n bgp router-id 10.0.0.5\n").unwrap();
        assert_eq!(c.graceful_restart, None);
        let c = parse("router bgp 65001\n bgp graceful-restart\n").unwrap();
        assert_eq!(c.graceful_restart, Some(GracefulRestartConfig::default()));
        let c = parse(
            "router bgp 65001\n bgp graceful-restart restart-time 30\n bgp graceful-restart stalepath-time 20\n",
        )
        .unwrap();
        assert_eq!(
            c.graceful_restart,
            Some(GracefulRestartConfig {
                restart_time: 30,
                stalepath_time: 20
            })
        );
        let c =
            parse("router bgp 65001\n bgp graceful-restart\n no bgp graceful-restart\n").unwrap();
        assert_eq!(c.graceful_restart, None);
        let e = parse("router bgp 65001\n bgp graceful-restart restart-time 5000\n").unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn errors_name_their_line() {
        for (text, line, needle) in [
            (
                "router bgp 65001\n neighbor 10.0.0.1 remote-as 65001\n neighbor 10.0.0.1 route-map X sideways\n",
                3,
                "'in' or 'out'",
            ),
            (
                "router bgp 65001\n neighbor 10.0.0.1 frobnicate\n",
                2,
                "unsupported neighbor setting 'frobnicate'",
            ),
            (
                "router bgp 65001\n neighbor 10.0.0.1 description x\n",
                2,
                "not configured",
            ),
            (
                "router bgp 65001\n neighbor g peer-group\n neighbor 10.0.0.1 peer-group g\n",
                3,
                "no remote-as",
            ),
            (
                "router bgp 65001\n neighbor 10.0.0.1 remote-as 65001\n neighbor 10.0.0.1 timers 1 2\n",
                3,
                "below 3 seconds",
            ),
            ("router bgp x\n", 1, "expected an AS number"),
            (
                "interface eth0\n",
                1,
                "unsupported statement 'interface eth0'",
            ),
            ("router bgp 1\n network 10.0.0.1/8\n", 2, "host bits"),
            (
                "router bgp 1\n address-family ipv4 unicast\n network 2001:db8::/32\n",
                3,
                "not in the ipv4 unicast",
            ),
            (
                "router bgp 1\n bgp listen range 10.0.0.0/8 peer-group nope\n",
                2,
                "not configured",
            ),
            (
                "router bgp 1\n neighbor 10.0.0.1 remote-as 1 extra\n",
                2,
                "unexpected 'extra'",
            ),
            (
                "router bgp 1\n address-family ipv4 unicast\n neighbor 10.0.0.1 remote-as 2\n",
                3,
                "outside address-family",
            ),
            ("hostname x\n", 0, "no 'router bgp'"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.message.contains(needle), "{text:?}: {e}");
        }
    }
}

//! `policy-check` against FRR's bgpd, route by route and attribute by
//! attribute, for each policy applied inbound and outbound.
//!
//! **Inbound**: one bgpd (FRR 8.4, Debian package `frr`) runs on 127.77.0.1
//! with one eBGP neighbor per policy (127.77.1.N); each neighbor has one
//! policy inbound: a route-map of the shared configuration, a prefix-list,
//! or a route-map that does not exist. For each neighbor, a minimal speaker
//! written here with bgp-wire accepts bgpd's connection, opens the session
//! and announces the same routes (IPv4 and IPv6). The test then reads what
//! bgpd kept (`show bgp ipv4|ipv6 unicast PREFIX json`) and compares, for
//! every policy and route, permit/deny and the AS path, origin, MED, local
//! preference, weight, communities, large and extended communities and next
//! hop with what `policy-check` prints for the same configuration and routes.
//!
//! **Outbound**: a second bgpd on 127.77.0.2 learns the routes from one eBGP
//! speaker (127.77.3.1, no policy) and advertises them to one iBGP speaker
//! per policy (127.77.2.N), each with the policy outbound. The speakers decode
//! the UPDATEs they receive with bgp-wire; the test compares them with
//! `policy-check --export`. Over iBGP bgpd sends the AS path, next hop and
//! MED as the policy leaves them and adds LOCAL_PREF 100 when the route has
//! none; weight is not sent, so it is not compared.
//!
//! Before that each test checks that bgpd read the configuration as we did:
//! our parser reads bgpd's `show running-config` back into the same policy.
//!
//! Needs `/usr/lib/frr/bgpd` and `vtysh`; `.ci/run` installs them and runs
//! this test with `--ignored`.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bgp_examples::routes::{RouteLine, parse_route};
use bgp_policy::Config;
use bgp_policy::community_list::frr_text;
use bgp_wire::attr::NextHop;
use bgp_wire::capability::Capability;
use bgp_wire::open::OpenMessage;
use bgp_wire::{Family, Nlri, RouteAttrs, SessionContext, Update, UpdateBuilder};
use ipnet::IpNet;
use serde_json::Value;

const PORT: u16 = 1179;
const FRR_AS: u32 = 65000;
const PEER_AS: u32 = 65001;

/// The lists the route-maps share (and the prefix-list policies use).
const LISTS: &str = "\
ip prefix-list PL-EXACT seq 5 permit 10.1.0.0/16
ip prefix-list PL-LE seq 5 permit 10.0.0.0/8 le 24
ip prefix-list PL-GE seq 5 permit 10.0.0.0/8 ge 25
ip prefix-list PL-GELE seq 5 permit 10.0.0.0/8 ge 20 le 23
ip prefix-list PL-MIX seq 5 deny 10.1.2.0/24
ip prefix-list PL-MIX seq 10 permit 10.0.0.0/8 le 32
ip prefix-list PL-MIX seq 15 permit 0.0.0.0/0
ip prefix-list PL-NH seq 5 permit 198.18.0.0/24 le 32
ip prefix-list PL-EMPTY description has no entries
ip prefix-list defaultroute seq 5 permit 0.0.0.0/0
ip prefix-list hostroutes seq 5 permit 0.0.0.0/0 ge 32
ip prefix-list alldynamicroutes seq 5 permit 0.0.0.0/0 ge 32
ip prefix-list alldynamicroutes seq 10 permit 0.0.0.0/0
ip prefix-list alldynamicroutes seq 100 deny any
ipv6 prefix-list PL6-DOC seq 5 permit 2001:db8::/32 le 48
ipv6 prefix-list PL6-GE seq 5 permit 2001:db8::/32 ge 64
ipv6 prefix-list PL6-ANY seq 5 deny 2001:db8:dead::/48
ipv6 prefix-list PL6-ANY seq 10 permit any
ipv6 prefix-list PL6-NH seq 5 permit 2001:db8:ff::2/128
ipv6 prefix-list alldynamicroutes seq 5 permit ::/0 ge 128
ipv6 prefix-list alldynamicroutes seq 10 permit 2001:db8::/32
ipv6 prefix-list alldynamicroutes seq 100 deny any
bgp as-path access-list AS-FROM-65002 seq 5 permit _65002_
bgp as-path access-list AS-ORIG-65010 seq 5 permit _65010$
bgp as-path access-list AS-DIRECT seq 5 permit ^65001$
bgp as-path access-list AS-DENY seq 5 deny _65003_
bgp as-path access-list AS-DENY seq 10 permit .*
bgp as-path access-list AS-SET seq 5 permit _65021_
bgp as-path access-list AS-REPEAT seq 5 permit (_65002){3}$
bgp community-list standard CL-A seq 5 permit 65000:1
bgp community-list standard CL-AB seq 5 permit 65000:1 65000:2
bgp community-list 10 seq 5 permit no-export
bgp community-list expanded CL-EXP seq 5 permit ^65000:[0-9]+
bgp community-list expanded CL-DEL seq 5 permit ^65000:
bgp community-list standard CL-DEL2 seq 5 deny 65000:1
bgp community-list standard CL-DEL2 seq 10 permit 65000:1 65000:2 65000:3
bgp large-community-list standard LCL-A seq 5 permit 65000:1:1
bgp large-community-list expanded LCL-EXP seq 5 permit ^65000:2:
bgp extcommunity-list standard ECL-RT seq 5 permit rt 65000:100
";

/// `(policy, statements)`: a route-map (its name is the policy), or
/// `prefix-list NAME`, or a route-map name that is not defined.
const POLICIES: &[(&str, &str)] = &[
    (
        "P01-exact",
        "route-map P01-exact permit 10\n match ip address prefix-list PL-EXACT\n",
    ),
    (
        "P02-le",
        "route-map P02-le permit 10\n match ip address prefix-list PL-LE\n set local-preference 150\n",
    ),
    (
        "P03-ge",
        "route-map P03-ge permit 10\n match ip address prefix-list PL-GE\n set metric 77\n",
    ),
    (
        "P04-gele",
        "route-map P04-gele permit 10\n match ip address prefix-list PL-GELE\n set weight 300\n",
    ),
    (
        "P05-mix",
        "route-map P05-mix permit 10\n match ip address prefix-list PL-MIX\n set community 65000:99 additive\n",
    ),
    (
        "P06-v6",
        "route-map P06-v6 permit 10\n match ipv6 address prefix-list PL6-DOC\n set metric 5\n",
    ),
    (
        "P07-v6ge",
        "route-map P07-v6ge permit 10\n match ipv6 address prefix-list PL6-GE\n set local-preference 120\nroute-map P07-v6ge permit 20\n match ip address prefix-list PL-LE\n",
    ),
    (
        "P08-regex",
        "route-map P08-regex permit 10\n match as-path AS-FROM-65002\n set as-path prepend 65000 65000\n",
    ),
    (
        "P09-origin-as",
        "route-map P09-origin-as permit 10\n match as-path AS-ORIG-65010\n set origin incomplete\n",
    ),
    (
        "P10-aspath-deny",
        "route-map P10-aspath-deny permit 10\n match as-path AS-DENY\n",
    ),
    (
        "P11-direct-set",
        "route-map P11-direct-set permit 10\n match as-path AS-DIRECT\n set metric 11\nroute-map P11-direct-set permit 20\n match as-path AS-SET\n set metric 21\nroute-map P11-direct-set permit 30\n match as-path AS-REPEAT\n set metric 31\n",
    ),
    (
        "P12-community",
        "route-map P12-community permit 10\n match community CL-A\n set local-preference 300\n",
    ),
    (
        "P13-exact",
        "route-map P13-exact permit 10\n match community CL-AB exact-match\n set weight 13\nroute-map P13-exact permit 20\n match community CL-AB\n",
    ),
    (
        "P14-numbered",
        "route-map P14-numbered deny 10\n match community 10\nroute-map P14-numbered permit 20\n",
    ),
    (
        "P15-expanded",
        "route-map P15-expanded permit 10\n match community CL-EXP\n set community none\nroute-map P15-expanded permit 20\n set community 65000:15\n",
    ),
    (
        "P16-delete-re",
        "route-map P16-delete-re permit 10\n set comm-list CL-DEL delete\n",
    ),
    (
        "P17-delete-std",
        "route-map P17-delete-std permit 10\n set comm-list CL-DEL2 delete\n",
    ),
    (
        "P18-next",
        "route-map P18-next permit 10\n set local-preference 200\n on-match next\nroute-map P18-next permit 20\n match community CL-A\n set metric 20\nroute-map P18-next deny 30\n match as-path AS-FROM-65002\n",
    ),
    (
        "P19-goto",
        "route-map P19-goto permit 10\n match ip address prefix-list PL-LE\n set metric 10\n on-match goto 30\nroute-map P19-goto permit 20\n set metric 20\nroute-map P19-goto permit 30\n match as-path AS-FROM-65002\n set local-preference 250\n",
    ),
    (
        "P20-continue",
        "route-map P20-continue permit 10\n set weight 10\n continue 30\nroute-map P20-continue deny 20\nroute-map P20-continue permit 30\n match community CL-A\n set local-preference 110\nroute-map P20-continue permit 40\n on-match next\nroute-map P20-continue permit 50\n match as-path AS-ORIG-65010\n set metric 50\n",
    ),
    (
        "P21-metric-pm",
        "route-map P21-metric-pm permit 10\n match ip address prefix-list PL-LE\n set metric +100\nroute-map P21-metric-pm permit 20\n set metric -50\n",
    ),
    (
        "P22-last-as",
        "route-map P22-last-as permit 10\n set as-path prepend last-as 3\n",
    ),
    (
        "P23-exclude",
        "route-map P23-exclude permit 10\n set as-path exclude 65002 65003\n",
    ),
    (
        "P24-comm-set",
        "route-map P24-comm-set permit 10\n match community CL-A\n set community 65000:7 65000:8 no-export\nroute-map P24-comm-set permit 20\n set community 65000:9 additive\n",
    ),
    (
        "P25-large",
        "route-map P25-large permit 10\n match large-community LCL-A exact-match\n set large-community 65000:9:9 additive\nroute-map P25-large permit 20\n match large-community LCL-EXP\n set large-community none\nroute-map P25-large permit 30\n match large-community LCL-A\n set large-comm-list LCL-A delete\nroute-map P25-large permit 40\n set large-community 65000:3:3\n",
    ),
    (
        "P26-ext",
        "route-map P26-ext permit 10\n match extcommunity ECL-RT\n set extcommunity soo 65000:5\nroute-map P26-ext permit 20\n set extcommunity rt 65000:200 65000:201\n",
    ),
    (
        "P27-nexthop",
        "route-map P27-nexthop permit 10\n match ip address prefix-list PL-EXACT\n set ip next-hop 198.18.5.5\nroute-map P27-nexthop permit 20\n match ip next-hop prefix-list PL-NH\n set ip next-hop peer-address\nroute-map P27-nexthop permit 30\n match ipv6 address prefix-list PL6-DOC\n set ipv6 next-hop global 2001:db8:ffff::1\nroute-map P27-nexthop permit 40\n",
    ),
    (
        "P28-call",
        "route-map P28-call permit 10\n set local-preference 170\n call P28-sub\nroute-map P28-sub permit 10\n match community CL-A\n set metric 9\nroute-map P28-sub deny 20\n match as-path AS-FROM-65002\nroute-map P28-sub permit 30\n match origin igp\n",
    ),
    (
        "P29-call-missing",
        "route-map P29-call-missing permit 10\n set metric 3\n call P29-no-such-map\n",
    ),
    (
        "P30-missing-lists",
        "route-map P30-missing-lists permit 10\n match as-path NO-SUCH-AS\nroute-map P30-missing-lists permit 20\n match ip address prefix-list NO-SUCH-PL\n set metric 1\nroute-map P30-missing-lists permit 30\n match community NO-SUCH-CL\nroute-map P30-missing-lists permit 40\n match origin egp\n set weight 40\n",
    ),
    (
        "P31-match-modified",
        "route-map P31-match-modified permit 10\n match metric 50\n set local-preference 90\n on-match next\nroute-map P31-match-modified permit 20\n match local-preference 90\n set metric 2\nroute-map P31-match-modified permit 30\n match origin incomplete\n set metric 1\n",
    ),
    (
        "P32-empty-pl",
        "route-map P32-empty-pl permit 10\n match ip address prefix-list PL-EMPTY\nroute-map P32-empty-pl permit 20\n match origin igp\n set weight 31\n",
    ),
    (
        "P33-deny-hosts",
        "route-map P33-deny-hosts deny 10\n match ip address prefix-list hostroutes\nroute-map P33-deny-hosts permit 20\n match ip address prefix-list PL-MIX\nroute-map P33-deny-hosts permit 30\n match ipv6 address prefix-list PL6-ANY\n",
    ),
    (
        "P34-lp-plus",
        "route-map P34-lp-plus permit 10\n match as-path AS-FROM-65002\n set local-preference +10\nroute-map P34-lp-plus permit 20\n set local-preference 500\n set local-preference -7\n",
    ),
    (
        "P35-peer",
        "route-map P35-peer permit 10\n match peer 127.77.1.35\n set origin egp\n",
    ),
    (
        "P39-set-order",
        "route-map P39-set-order permit 10\n match community CL-A\n set comm-list CL-A delete\n set community 65000:1 65000:77 additive\n set metric 39\nroute-map P39-set-order permit 20\n match extcommunity ECL-RT\n set extcommunity none\n set origin egp\nroute-map P39-set-order permit 30\n set large-community 65000:39:1 65000:39:2\n set as-path prepend 64999\n",
    ),
    (
        "P40-nh-v6",
        "route-map P40-nh-v6 permit 10\n match ipv6 next-hop prefix-list PL6-NH\n set ipv6 next-hop global 2001:db8:40::1\nroute-map P40-nh-v6 permit 20\n match ipv6 address prefix-list PL6-GE\n set metric 40\n",
    ),
    (
        "P41-set-order-rev",
        "route-map P41-set-order-rev permit 10\n match community CL-A\n set metric 41\n set community 65000:1 65000:41 additive\n set comm-list CL-A delete\n set weight 41\n set local-preference 41\n set origin incomplete\n set as-path exclude 65002\n set as-path prepend 65041\n",
    ),
    ("P36-undefined", ""),
    (
        "P37-next-last",
        "route-map P37-next-last permit 10\n match ip address prefix-list PL-LE\n set metric 7\n on-match next\n",
    ),
    (
        "P38-goto-past-end",
        "route-map P38-goto-past-end permit 10\n match as-path AS-FROM-65002\n set metric 8\n on-match goto 100\nroute-map P38-goto-past-end permit 20\n set metric 9\n",
    ),
    ("prefix-list alldynamicroutes", ""),
    ("prefix-list hostroutes", ""),
    ("prefix-list defaultroute", ""),
    ("prefix-list PL-EMPTY", ""),
    ("prefix-list PL6-ANY", ""),
    ("prefix-list PL-MIX", ""),
];

const ROUTES: &str = "\
10.1.0.0/16 as-path 65001 65002 community 65000:1 med 50 next-hop 198.18.0.1
10.1.2.0/24 as-path 65001 65003 65010 community 65000:1 65000:2 next-hop 198.18.0.1
10.1.3.0/24 as-path 65001 community 65000:2 no-export large-community 65000:1:1 next-hop 198.18.0.2
10.2.0.0/20 as-path 65001 65002 65010 large-community 65000:2:5 65000:1:1 origin incomplete next-hop 198.18.0.1
10.2.16.0/22 as-path 65001 {65020,65021} community 65000:3 ext-community rt 65000:100 med 0 next-hop 198.18.1.1
10.3.0.0/25 as-path 65001 65010 community 65000:1 65000:2 65000:3 origin egp next-hop 198.18.0.1
10.3.0.128/32 as-path 65001 65002 community no-export next-hop 198.18.0.1
10.0.0.0/8 as-path 65001 65003 ext-community rt 65000:101 med 1000 next-hop 198.18.0.3
192.0.2.1/32 as-path 65001 next-hop 198.18.0.1
0.0.0.0/0 as-path 65001 65004 community 65000:1 next-hop 198.18.0.1
11.0.0.0/8 as-path 65001 65002 65002 65002 community 1:1 65000:1 next-hop 198.18.2.4
10.4.0.0/23 as-path 65001 65010 65002 med 30 next-hop 198.18.0.1
10.5.0.0/21 as-path 65001 65005 large-community 65000:1:1 65000:7:7 community 65000:1 65000:2 65000:3 med 50 origin incomplete next-hop 198.18.0.9
2001:db8::/32 as-path 65001 65002 community 65000:1 next-hop 2001:db8:ff::1
2001:db8:1::/48 as-path 65001 65010 large-community 65000:1:1 next-hop 2001:db8:ff::1
2001:db8:1:2::/64 as-path 65001 65003 community 65000:2 med 10 next-hop 2001:db8:ff::1
2001:db8:dead::/48 as-path 65001 next-hop 2001:db8:ff::2
2001:db9::/32 as-path 65001 65002 65010 ext-community rt 65000:100 next-hop 2001:db8:ff::1
";

/// One neighbor of bgpd: our speaker's address and AS, and the policy bgpd
/// applies to it (`None`: no policy).
struct Neighbor {
    addr: Ipv4Addr,
    asn: u32,
    policy: Option<&'static str>,
}

fn policy_text() -> String {
    let mut policy = String::from(LISTS);
    for (_, text) in POLICIES {
        policy.push_str(text);
    }
    policy
}

/// bgpd's whole configuration: the policies and `router bgp` with the
/// neighbors, each with its policy in `direction` ("in" or "out").
fn frr_config(dir: &Path, frr: Ipv4Addr, neighbors: &[Neighbor], direction: &str) -> String {
    let mut c = String::new();
    c.push_str("frr defaults traditional\nhostname policy-frr\n");
    c.push_str(&format!(
        "log file {}/bgpd.log informational\n!\n",
        dir.display()
    ));
    c.push_str(&policy_text());
    c.push_str(&format!(
        "!\nrouter bgp {FRR_AS}\n bgp router-id {frr}\n no bgp ebgp-requires-policy\n \
         no bgp network import-check\n bgp allow-martian-nexthop\n \
         bgp disable-ebgp-connected-route-check\n coalesce-time 100\n"
    ));
    for n in neighbors {
        let a = n.addr;
        c.push_str(&format!(
            " neighbor {a} remote-as {}\n neighbor {a} port {PORT}\n \
             neighbor {a} update-source {frr}\n neighbor {a} timers connect 1\n \
             neighbor {a} advertisement-interval 0\n",
            n.asn
        ));
    }
    for af in ["ipv4", "ipv6"] {
        c.push_str(&format!(" address-family {af} unicast\n"));
        for n in neighbors {
            let a = n.addr;
            if af == "ipv6" {
                c.push_str(&format!("  neighbor {a} activate\n"));
            }
            match n.policy.map(|p| (p, p.strip_prefix("prefix-list "))) {
                None => {}
                Some((_, Some(pl))) => {
                    c.push_str(&format!("  neighbor {a} prefix-list {pl} {direction}\n"))
                }
                Some((name, None)) => {
                    c.push_str(&format!("  neighbor {a} route-map {name} {direction}\n"))
                }
            }
        }
        c.push_str(" exit-address-family\n");
    }
    c.push_str("exit\n!\n");
    c
}

/// What `policy-check` answers for each policy (import or export) and route.
fn expected(
    dir: &Path,
    config: &str,
    frr: Ipv4Addr,
    addr: impl Fn(usize) -> Ipv4Addr,
    peer_as: u32,
    export: bool,
) -> BTreeMap<(usize, String), Option<Seen>> {
    std::fs::write(dir.join("policy.conf"), config).unwrap();
    std::fs::write(dir.join("routes"), ROUTES).unwrap();
    let count = ROUTES.lines().filter(|l| !l.trim().is_empty()).count();
    let mut out = BTreeMap::new();
    for (i, (name, _)) in POLICIES.iter().enumerate() {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_policy-check"));
        cmd.arg("--config").arg(dir.join("policy.conf"));
        match name.strip_prefix("prefix-list ") {
            Some(pl) => cmd.args(["--prefix-list", pl]),
            None => cmd.args(["--route-map", name]),
        };
        cmd.arg("--routes").arg(dir.join("routes"));
        cmd.args(["--peer", &addr(i).to_string(), "--local", &frr.to_string()]);
        cmd.args([
            "--peer-as",
            &peer_as.to_string(),
            "--local-as",
            &FRR_AS.to_string(),
        ]);
        if export {
            cmd.arg("--export");
        }
        let o = cmd.output().unwrap();
        assert!(
            o.status.success(),
            "policy-check failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let text = String::from_utf8(o.stdout).unwrap();
        assert_eq!(text.lines().count(), count);
        for line in text.lines() {
            let (prefix, seen) = ours(line, export);
            out.insert((i, prefix), seen);
        }
    }
    out
}

/// Checks that bgpd's running-config reads back as our policy.
///
/// bgpd applies an entry's sets in the order they were configured (P41
/// shows it) but prints them sorted by command, so the set order is not
/// compared.
fn check_running_config(bgpd: &Bgpd) {
    fn sets_sorted(mut c: Config) -> Config {
        let names: Vec<String> = c.route_maps().iter().map(|m| m.name().to_owned()).collect();
        for n in names {
            let m = c.route_map_mut(&n).unwrap();
            let seqs: Vec<u32> = m.entries().iter().map(|e| e.seq).collect();
            for seq in seqs {
                m.entry_mut(seq)
                    .unwrap()
                    .sets
                    .sort_by_key(|s| s.to_string());
            }
        }
        c
    }
    let running = bgpd.vtysh(&["show running-config".into()]);
    let (frr_view, _) =
        Config::parse_full(&running).expect("our parser reads bgpd's running-config");
    let frr_view = sets_sorted(frr_view);
    let ours_view = sets_sorted(Config::parse(&policy_text()).unwrap());
    assert!(
        frr_view == ours_view,
        "bgpd's running-config differs from our reading of the configuration:\n{frr_view}\n---\n{ours_view}"
    );
}

/// Waits until bgpd has every session up and has received `want` UPDATEs
/// from each of `from`.
fn wait_established(bgpd: &Bgpd, all: &[Ipv4Addr], from: &[Ipv4Addr], want: u64) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let v: Value = serde_json::from_str(&bgpd.vtysh(&["show bgp neighbors json".into()]))
            .unwrap_or(Value::Null);
        let up = all
            .iter()
            .all(|a| v[a.to_string()]["bgpState"] == "Established");
        let got = from
            .iter()
            .all(|a| v[a.to_string()]["messageStats"]["updatesRecv"].as_u64() >= Some(want));
        if up && got {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "sessions did not come up / deliver in time"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn compare(
    what: &str,
    expected: &BTreeMap<(usize, String), Option<Seen>>,
    got: &BTreeMap<(usize, String), Option<Seen>>,
) {
    let mut diffs = Vec::new();
    let (mut permits, mut denies) = (0, 0);
    for (key, want) in expected {
        let have = got.get(key).unwrap_or(&None);
        match want {
            Some(_) => permits += 1,
            None => denies += 1,
        }
        if want != have {
            diffs.push(format!(
                "{} {}:\n  policy-check: {want:?}\n  bgpd:         {have:?}",
                POLICIES[key.0].0, key.1
            ));
        }
    }
    println!(
        "{what}: {} policies x {} routes: {} permitted, {} denied by policy-check; {} differences from bgpd",
        POLICIES.len(),
        expected.len() / POLICIES.len(),
        permits,
        denies,
        diffs.len()
    );
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// Sets the flag on drop, so the speakers stop however the test ends.
struct StopPeers(Arc<AtomicBool>);

impl Drop for StopPeers {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bgp-policy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn test_routes() -> Vec<RouteLine> {
    ROUTES
        .lines()
        .filter_map(|l| parse_route(l).unwrap())
        .collect()
}

//----------- bgpd ------------------------------------------------------------------

/// A running bgpd, stopped (and its directory removed) on drop.
struct Bgpd {
    dir: PathBuf,
    pid: Option<u32>,
}

impl Bgpd {
    fn start(dir: &Path, addr: Ipv4Addr, config: &str) -> Self {
        std::fs::write(dir.join("bgpd.conf"), config).unwrap();
        let mut d = Self {
            dir: dir.to_owned(),
            pid: None,
        };
        let status = Command::new("/usr/lib/frr/bgpd")
            .args(["-d", "-Z", "-S", "-P", "0", "-p", &PORT.to_string(), "-l"])
            .arg(addr.to_string())
            .arg("-f")
            .arg(dir.join("bgpd.conf"))
            .arg("-i")
            .arg(dir.join("bgpd.pid"))
            .arg("--vty_socket")
            .arg(dir)
            .status()
            .expect("run /usr/lib/frr/bgpd");
        assert!(status.success(), "bgpd failed to start");
        for _ in 0..100 {
            if let Ok(p) = std::fs::read_to_string(dir.join("bgpd.pid"))
                && let Ok(p) = p.trim().parse()
            {
                d.pid = Some(p);
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(d.pid.is_some(), "bgpd wrote no pid file");
        d
    }

    fn vtysh(&self, commands: &[String]) -> String {
        let mut cmd = Command::new("vtysh");
        cmd.arg("--vty_socket").arg(&self.dir);
        for c in commands {
            cmd.arg("-c").arg(c);
        }
        let out = cmd.output().expect("run vtysh");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Bgpd {
    fn drop(&mut self) {
        if let Some(pid) = self.pid {
            let quiet = |args: &[&str]| {
                let _ = Command::new("kill")
                    .args(args)
                    .stderr(std::process::Stdio::null())
                    .status();
            };
            quiet(&[&pid.to_string()]);
            for _ in 0..50 {
                if !Path::new(&format!("/proc/{pid}")).exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if Path::new(&format!("/proc/{pid}")).exists() {
                quiet(&["-9", &pid.to_string()]);
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

//----------- The peers -----------------------------------------------------------------

fn read_message(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut h = [0u8; 19];
    s.read_exact(&mut h)?;
    let len = usize::from(u16::from_be_bytes([h[16], h[17]]));
    let mut m = h.to_vec();
    m.resize(len.max(19), 0);
    s.read_exact(&mut m[19..])?;
    Ok(m)
}

/// The routes a speaker holds from bgpd, by prefix.
type Received = Arc<Mutex<BTreeMap<IpNet, RouteAttrs>>>;

/// A minimal speaker: accepts bgpd's connection on `listener`, opens the
/// session as `asn` (hold time 0: no keepalives), announces `routes`, then
/// keeps the routes bgpd sends in `received` until `stop`.
fn run_peer(
    listener: TcpListener,
    id: Ipv4Addr,
    asn: u32,
    routes: Vec<RouteLine>,
    received: Received,
    stop: Arc<AtomicBool>,
) {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut s = loop {
        match listener.accept() {
            Ok((s, _)) => break s,
            Err(_) if Instant::now() < deadline && !stop.load(Ordering::Relaxed) => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(_) => return,
        }
    };
    s.set_nonblocking(false).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let read = |s: &mut TcpStream| loop {
        match read_message(s) {
            Ok(m) => return Some(m),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) && !stop.load(Ordering::Relaxed) => {}
            Err(_) => return None,
        }
    };
    let Some(open) = read(&mut s) else { return };
    assert_eq!(open[18], 1, "bgpd's first message is not an OPEN");
    let mut out = Vec::new();
    OpenMessage::new(
        asn,
        0,
        id,
        vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::Multiprotocol(Family::IPV6_UNICAST),
            Capability::FourOctetAs(asn),
        ],
    )
    .emit(&mut out)
    .unwrap();
    out.extend_from_slice(&bgp_wire::message::KEEPALIVE);
    s.write_all(&out).unwrap();
    // bgpd's KEEPALIVE (or a NOTIFICATION).
    let Some(k) = read(&mut s) else { return };
    assert_eq!(
        k[18], 4,
        "bgpd answered our OPEN with message type {}",
        k[18]
    );
    out.clear();
    let builder = UpdateBuilder::new(SessionContext::default());
    for r in &routes {
        let family = match r.prefix {
            IpNet::V4(_) => Family::IPV4_UNICAST,
            IpNet::V6(_) => Family::IPV6_UNICAST,
        };
        let nh = r
            .attrs
            .next_hop
            .clone()
            .expect("test routes have next hops");
        builder
            .announce(
                family,
                &r.attrs.to_path_attributes(),
                &nh,
                &[Nlri::new(r.prefix)],
                &mut out,
            )
            .unwrap();
    }
    s.write_all(&out).unwrap();
    let ctx = SessionContext::default();
    while let Some(m) = read(&mut s) {
        if m[18] != 2 {
            continue;
        }
        let u = Update::parse(&m[19..], &ctx).expect("bgpd sends well-formed UPDATEs");
        let mut held = received.lock().unwrap();
        for w in u.all_withdrawn() {
            held.remove(&w.prefix);
        }
        for n in u.all_announced() {
            let family = match n.prefix {
                IpNet::V4(_) => Family::IPV4_UNICAST,
                IpNet::V6(_) => Family::IPV6_UNICAST,
            };
            held.insert(n.prefix, RouteAttrs::from_update(&u, family));
        }
    }
}

/// Starts one speaker per `(address, AS, routes to announce)`, listening
/// before bgpd starts.
fn start_peers(
    peers: Vec<(Ipv4Addr, u32, Vec<RouteLine>)>,
    stop: &Arc<AtomicBool>,
) -> (Vec<std::thread::JoinHandle<()>>, Vec<Received>) {
    let mut threads = Vec::new();
    let mut held = Vec::new();
    for (addr, asn, routes) in peers {
        let l = TcpListener::bind((addr, PORT)).expect("bind a 127.77.x.y address");
        let received = Received::default();
        held.push(received.clone());
        let stop = stop.clone();
        threads.push(std::thread::spawn(move || {
            run_peer(l, addr, asn, routes, received, stop)
        }));
    }
    (threads, held)
}

//----------- Comparison -------------------------------------------------------------------

/// What one side says about one route.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    as_path: String,
    origin: String,
    med: Option<u64>,
    local_pref: Option<u64>,
    weight: u64,
    communities: String,
    large: String,
    ext: String,
    next_hop: String,
}

/// `policy-check`'s answer; on export, as bgpd sends it over iBGP.
fn ours(line: &str, export: bool) -> (String, Option<Seen>) {
    let line = line.split('#').next().unwrap().trim();
    if let Some(p) = line.strip_prefix("deny ") {
        return (p.trim().to_owned(), None);
    }
    let r = parse_route(line.strip_prefix("permit ").expect("permit or deny"))
        .unwrap()
        .unwrap();
    let a = &r.attrs;
    let seen = Seen {
        as_path: a.as_path.to_string(),
        origin: bgp_policy::route_map::origin_keyword(a.origin).to_owned(),
        med: a.med.map(u64::from),
        local_pref: if export {
            Some(u64::from(a.local_pref.unwrap_or(100)))
        } else {
            a.local_pref.map(u64::from)
        },
        weight: if export { 0 } else { u64::from(r.weight) },
        communities: frr_text(&a.communities),
        large: frr_text(&a.extra.large_communities),
        ext: frr_text(&a.extra.ext_communities),
        next_hop: match &a.next_hop {
            Some(NextHop::V4(x)) => x.to_string(),
            Some(NextHop::V6 { global, .. }) => global.to_string(),
            _ => String::new(),
        },
    };
    (r.prefix.to_string(), Some(seen))
}

/// A route as an iBGP speaker received it from bgpd.
fn wire_route(a: &RouteAttrs) -> Seen {
    Seen {
        as_path: a.as_path.to_string(),
        origin: bgp_policy::route_map::origin_keyword(a.origin).to_owned(),
        med: a.med.map(u64::from),
        local_pref: a.local_pref.map(u64::from),
        weight: 0,
        communities: frr_text(&a.communities),
        large: frr_text(&a.extra.large_communities),
        ext: frr_text(&a.extra.ext_communities),
        next_hop: match &a.next_hop {
            Some(NextHop::V4(x)) => x.to_string(),
            Some(NextHop::V6 { global, .. }) => global.to_string(),
            _ => String::new(),
        },
    }
}

fn frr_path(p: &Value) -> Seen {
    let s = |v: &Value| v.as_str().unwrap_or("").to_owned();
    Seen {
        as_path: s(&p["aspath"]["string"]),
        origin: s(&p["origin"]).to_lowercase(),
        // MED and LOCAL_PREF appear only when the route has them.
        med: p["metric"].as_u64(),
        local_pref: p["locPrf"].as_u64(),
        weight: p["weight"].as_u64().unwrap_or(0),
        communities: s(&p["community"]["string"]),
        large: s(&p["largeCommunity"]["string"]),
        ext: s(&p["extendedCommunity"]["string"]),
        next_hop: s(&p["nexthops"][0]["ip"]),
    }
}

#[test]
#[ignore = "needs FRR (run by .ci/run)"]
fn inbound_policies_agree_with_frr() {
    assert!(
        Path::new("/usr/lib/frr/bgpd").exists(),
        "FRR's bgpd is not installed (apt-get install frr)"
    );
    let frr = Ipv4Addr::new(127, 77, 0, 1);
    let addr = |i: usize| Ipv4Addr::new(127, 77, 1, (i + 1) as u8);
    let dir = scratch_dir("in");
    let routes = test_routes();
    let neighbors: Vec<Neighbor> = POLICIES
        .iter()
        .enumerate()
        .map(|(i, (name, _))| Neighbor {
            addr: addr(i),
            asn: PEER_AS,
            policy: Some(name),
        })
        .collect();
    let config = frr_config(&dir, frr, &neighbors, "in");
    let expected = expected(&dir, &config, frr, addr, PEER_AS, false);

    let stop = Arc::new(AtomicBool::new(false));
    let _stop = StopPeers(stop.clone());
    let (threads, _) = start_peers(
        neighbors
            .iter()
            .map(|n| (n.addr, n.asn, routes.clone()))
            .collect(),
        &stop,
    );
    let bgpd = Bgpd::start(&dir, frr, &config);
    check_running_config(&bgpd);
    let all: Vec<Ipv4Addr> = neighbors.iter().map(|n| n.addr).collect();
    wait_established(&bgpd, &all, &all, routes.len() as u64);
    std::thread::sleep(Duration::from_secs(2));

    // bgpd's view of every prefix.
    let commands: Vec<String> = routes
        .iter()
        .map(|r| {
            let af = if r.prefix.addr().is_ipv4() {
                "ipv4"
            } else {
                "ipv6"
            };
            format!("show bgp {af} unicast {} json", r.prefix)
        })
        .collect();
    let text = bgpd.vtysh(&commands);
    let docs: Vec<Value> = serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(docs.len(), routes.len(), "one JSON document per prefix");
    let by_addr: BTreeMap<String, usize> = (0..POLICIES.len())
        .map(|i| (addr(i).to_string(), i))
        .collect();
    let mut got = BTreeMap::new();
    for (r, doc) in routes.iter().zip(&docs) {
        for i in 0..POLICIES.len() {
            got.insert((i, r.prefix.to_string()), None);
        }
        for p in doc["paths"].as_array().into_iter().flatten() {
            let peer = p["peer"]["peerId"].as_str().unwrap_or("");
            if let Some(&i) = by_addr.get(peer) {
                got.insert((i, r.prefix.to_string()), Some(frr_path(p)));
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    compare("inbound", &expected, &got);
}

#[test]
#[ignore = "needs FRR (run by .ci/run)"]
fn outbound_policies_agree_with_frr() {
    assert!(
        Path::new("/usr/lib/frr/bgpd").exists(),
        "FRR's bgpd is not installed (apt-get install frr)"
    );
    let frr = Ipv4Addr::new(127, 77, 0, 2);
    let source = Ipv4Addr::new(127, 77, 3, 1);
    let addr = |i: usize| Ipv4Addr::new(127, 77, 2, (i + 1) as u8);
    let dir = scratch_dir("out");
    let routes = test_routes();
    let mut neighbors = vec![Neighbor {
        addr: source,
        asn: PEER_AS,
        policy: None,
    }];
    neighbors.extend(POLICIES.iter().enumerate().map(|(i, (name, _))| Neighbor {
        addr: addr(i),
        asn: FRR_AS,
        policy: Some(name),
    }));
    let config = frr_config(&dir, frr, &neighbors, "out");
    let expected = expected(&dir, &config, frr, addr, FRR_AS, true);

    let stop = Arc::new(AtomicBool::new(false));
    let _stop = StopPeers(stop.clone());
    let (threads, held) = start_peers(
        neighbors
            .iter()
            .map(|n| {
                let announce = if n.addr == source {
                    routes.clone()
                } else {
                    Vec::new()
                };
                (n.addr, n.asn, announce)
            })
            .collect(),
        &stop,
    );
    let bgpd = Bgpd::start(&dir, frr, &config);
    check_running_config(&bgpd);
    let all: Vec<Ipv4Addr> = neighbors.iter().map(|n| n.addr).collect();
    wait_established(&bgpd, &all, &[source], routes.len() as u64);
    // Until bgpd holds every route of the source, and every speaker holds
    // what bgpd says it sent, twice in a row a second apart.
    let v4_routes = routes.iter().filter(|r| r.prefix.addr().is_ipv4()).count() as u64;
    let v6_routes = routes.len() as u64 - v4_routes;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut settled = 0;
    while settled < 2 {
        assert!(
            Instant::now() < deadline,
            "bgpd did not finish advertising in time"
        );
        std::thread::sleep(Duration::from_secs(1));
        let summary = |af: &str| -> Value {
            serde_json::from_str(&bgpd.vtysh(&[format!("show bgp {af} unicast summary json")]))
                .unwrap_or(Value::Null)
        };
        let (v4, v6) = (summary("ipv4"), summary("ipv6"));
        let count = |v: &Value, a: &str, k: &str| v["peers"][a][k].as_u64();
        let src = source.to_string();
        let learned = count(&v4, &src, "pfxRcd") == Some(v4_routes)
            && count(&v6, &src, "pfxRcd") == Some(v6_routes);
        let mut total = 0;
        let delivered = (0..POLICIES.len()).all(|i| {
            let a = addr(i).to_string();
            let sent = count(&v4, &a, "pfxSnt").zip(count(&v6, &a, "pfxSnt"));
            total += sent.map_or(0, |(x, y)| x + y);
            sent.is_some_and(|(x, y)| held[i + 1].lock().unwrap().len() as u64 == x + y)
        });
        // Most policies permit something: nothing sent yet means bgpd has
        // not started advertising.
        settled = if learned && delivered && total > 0 {
            settled + 1
        } else {
            0
        };
    }
    if std::env::var_os("POLICY_FRR_DEBUG").is_some() {
        println!(
            "{}",
            bgpd.vtysh(&[
                "show bgp ipv4 unicast summary".into(),
                format!(
                    "show bgp ipv4 unicast neighbors {} advertised-routes",
                    addr(0)
                ),
                "show bgp ipv4 unicast".into(),
                format!("show bgp neighbors {}", addr(0)),
            ])
        );
    }
    let mut got = BTreeMap::new();
    for i in 0..POLICIES.len() {
        let held = held[i + 1].lock().unwrap();
        for r in &routes {
            got.insert(
                (i, r.prefix.to_string()),
                held.get(&r.prefix).map(wire_route),
            );
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    compare("outbound", &expected, &got);
}

//! ExaBGP as the peer: routes are announced by appending API commands to a
//! file a `process` tails, and what it receives is written as JSON lines by
//! a second `process` and replayed here into a RIB per neighbor. ExaBGP can
//! send raw attributes, so its test also checks RFC 7606 handling.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{Proc, Route, TempDir, origin_name, sorted, wait_for};
use crate::peers::{Features, Net, OUR_AS, PEER_AS, Peer, peer_routes};
use crate::{Ctx, step};

pub(crate) struct ExaBgp {
    pub(crate) net: Net,
    pub(crate) dir: TempDir,
    proc: Option<Proc>,
}

impl ExaBgp {
    pub(crate) fn new(net: Net) -> Self {
        let s = Self {
            net,
            dir: TempDir::new("exabgp"),
            proc: None,
        };
        std::fs::write(s.dir.path("cmd"), "").expect("write");
        let rx = s.dir.path("rx.sh");
        std::fs::write(
            &rx,
            format!("#!/bin/sh\n# not exec: the shell keeps the stdout pipe ExaBGP watches open\ncat >> {}\n", s.dir.join("rx.jsonl")),
        )
        .expect("write");
        run_chmod(&rx);
        s
    }

    /// Appends an API command (`neighbor X announce …`).
    pub(crate) fn command(&self, line: &str) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.path("cmd"))
            .expect("open cmd");
        writeln!(f, "{line}").expect("write cmd");
    }

    fn config(&self) -> String {
        let n = self.net;
        format!(
            "process ctl {{ run /usr/bin/tail -n +1 -F {cmd}; encoder text; }}
process rx {{ run {rx}; encoder json; }}
neighbor {ours} {{
  router-id {theirs}; local-address {theirs}; local-as {as}; peer-as {our_as};
  passive true;
  hold-time 90;
  family {{ ipv4 unicast; }}
  capability {{ add-path send/receive; graceful-restart 30; route-refresh; }}
  api c1 {{ processes [ ctl ]; }}
  api r1 {{ processes [ rx ]; neighbor-changes; receive {{ parsed; update; }} }}
}}
neighbor ::1 {{
  router-id {theirs}; local-address ::1; local-as {as}; peer-as {as};
  connect {port};
  hold-time 90;
  family {{ ipv6 unicast; }}
  capability {{ route-refresh; }}
  api c2 {{ processes [ ctl ]; }}
  api r2 {{ processes [ rx ]; neighbor-changes; receive {{ parsed; update; }} }}
}}
",
            cmd = self.dir.join("cmd"),
            rx = self.dir.join("rx.sh"),
            ours = n.ours(),
            theirs = n.theirs(),
            as = PEER_AS,
            our_as = OUR_AS,
            port = n.v6_port(),
        )
    }

    /// Replays rx.jsonl: per neighbor, its state and the routes it sent.
    fn received(&self) -> BTreeMap<String, (String, BTreeMap<String, Route>)> {
        let text = std::fs::read_to_string(self.dir.path("rx.jsonl")).unwrap_or_default();
        let mut peers: BTreeMap<String, (String, BTreeMap<String, Route>)> = BTreeMap::new();
        for m in json_lines(&text) {
            let nb = &m["neighbor"];
            let Some(peer) = nb["address"]["peer"].as_str() else {
                continue;
            };
            let e = peers.entry(peer.to_string()).or_default();
            if m["type"] == "state" {
                e.0 = nb["state"].as_str().unwrap_or("?").to_string();
                if e.0 != "up" {
                    e.1.clear();
                }
                continue;
            }
            let u = &nb["message"]["update"];
            let attrs = route_attrs(&u["attribute"]);
            for nhs in u["announce"]
                .as_object()
                .into_iter()
                .flat_map(|o| o.values())
            {
                for list in nhs.as_object().into_iter().flat_map(|o| o.values()) {
                    for r in list.as_array().into_iter().flatten() {
                        let p = r["nlri"].as_str().or(r.as_str()).unwrap_or("").to_string();
                        let mut route = attrs.clone();
                        route.prefix.clone_from(&p);
                        e.1.insert(p, route);
                    }
                }
            }
            for list in u["withdraw"]
                .as_object()
                .into_iter()
                .flat_map(|o| o.values())
            {
                for r in list.as_array().into_iter().flatten() {
                    let p = r["nlri"].as_str().or(r.as_str()).unwrap_or("");
                    e.1.remove(p);
                }
            }
        }
        peers
    }
}

/// The JSON objects of ExaBGP's API output, one per line. ExaBGP writes a
/// NOTIFICATION's data bytes raw into the `reason` string of a `down` state
/// message (for a maximum-prefix Cease that is AFI, SAFI and the limit,
/// RFC 4486 §4: control characters, invalid in JSON, and a limit of 10 puts
/// a newline in the middle of the object). Control characters become
/// spaces, and a line that does not parse is joined to the next.
fn json_lines(text: &str) -> Vec<Value> {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect();
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in clean.lines() {
        if !pending.is_empty() {
            pending.push(' ');
        }
        pending.push_str(line);
        if let Ok(v) = serde_json::from_str::<Value>(&pending) {
            out.push(v);
            pending.clear();
        } else if pending.len() > 1 << 16 || !pending.trim_start().starts_with('{') {
            // Not a message cut in two: skip it.
            pending.clear();
        }
    }
    out
}

fn run_chmod(path: &std::path::Path) {
    let _ = Command::new("chmod").arg("755").arg(path).status();
}

fn route_attrs(a: &Value) -> Route {
    let mut path = Vec::new();
    match &a["as-path"] {
        Value::Array(v) => path.extend(v.iter().map(Value::to_string)),
        Value::Object(segs) => {
            for s in segs.values() {
                for n in s["value"].as_array().into_iter().flatten() {
                    path.push(n.to_string());
                }
            }
        }
        _ => {}
    }
    let pairs = |k: &str| -> Vec<String> {
        a[k].as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                c.as_array()
                    .map(|p| p.iter().map(Value::to_string).collect::<Vec<_>>().join(":"))
                    .unwrap_or_else(|| c.as_str().unwrap_or("").to_string())
            })
            .collect()
    };
    Route {
        prefix: String::new(),
        as_path: path.join(" "),
        origin: origin_name(a["origin"].as_str().unwrap_or("")),
        med: a["med"].as_u64().map(|m| m as u32),
        local_pref: a["local-preference"].as_u64().map(|m| m as u32),
        communities: sorted(pairs("community")),
        large_communities: sorted(pairs("large-community")),
        stale: false,
    }
}

impl Peer for ExaBgp {
    fn name(&self) -> &'static str {
        "ExaBGP"
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
        let n = self.net;
        let (p1, p2, p3, q1) = peer_routes(n, self.p1_path());
        let conf = self.dir.path("exabgp.conf");
        std::fs::write(&conf, self.config()).expect("write exabgp.conf");
        let first = std::fs::read_to_string(self.dir.path("cmd")).unwrap_or_default();
        if first.is_empty() {
            let nh = n.their_nh();
            let ours = n.ours();
            self.command(&format!(
                "neighbor {ours} announce route {} next-hop {nh} as-path [ {PEER_AS} 64801 64802 ] \
                 med 55 community [ 65000:55 65000:56 ] large-community [ {PEER_AS}:5:5 ] origin incomplete",
                p1.prefix
            ));
            for p in [&p2, &p3] {
                self.command(&format!(
                    "neighbor {ours} announce route {} next-hop {nh} origin igp",
                    p.prefix
                ));
            }
            self.command(&format!(
                "neighbor ::1 announce route {} next-hop 2001:db8::2 local-preference 333 \
                 community [ 65000:66 ] origin igp",
                q1.prefix
            ));
        }
        let mut c = Command::new("exabgp");
        c.env("exabgp.daemon.user", "root")
            .env("exabgp.daemon.daemonize", "false")
            .env("exabgp.api.ack", "false")
            .env("exabgp.log.destination", self.dir.join("exabgp.log"))
            .env("exabgp.tcp.bind", n.theirs())
            .env("exabgp.tcp.port", "179")
            .env("exabgp.api.pipename", format!("interop-exabgp-{}", n.k))
            .arg(&conf);
        self.proc = Some(Proc::spawn("exabgp", c, &self.dir.path("exabgp.out")));
        std::thread::sleep(Duration::from_millis(300));
        let p = self.proc.as_mut().expect("just started");
        assert!(p.alive(), "exabgp died: {}", self.log());
    }
    fn crash(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill("KILL", Duration::from_secs(2));
        }
        // What it received is forgotten with it.
        let _ = std::fs::write(self.dir.path("rx.jsonl"), "");
    }
    fn established(&self, nbr: &str) -> bool {
        let want: std::net::IpAddr = nbr.parse().expect("address");
        self.received().iter().any(|(p, (state, _))| {
            p.parse::<std::net::IpAddr>().ok() == Some(want) && state == "up"
        })
    }
    fn route(&self, prefix: &str) -> Option<Route> {
        self.received()
            .values()
            .find_map(|(_, rib)| rib.get(prefix).cloned())
    }
    fn command(&self, line: &str) {
        Self::command(self, line);
    }
    fn withdraw(&mut self, prefix: &str) {
        let nbr = if prefix.contains(':') {
            "::1".to_string()
        } else {
            self.net.ours()
        };
        self.command(&format!("neighbor {nbr} withdraw route {prefix}"));
    }
    fn log(&self) -> String {
        format!(
            "{}\n{}",
            std::fs::read_to_string(self.dir.path("exabgp.out")).unwrap_or_default(),
            std::fs::read_to_string(self.dir.path("exabgp.log")).unwrap_or_default()
        )
    }
}

/// RFC 7606: a malformed optional attribute does not reset the session.
/// AGGREGATOR (7) of 2 octets is discarded (the route stays, without it);
/// LARGE_COMMUNITY (32) of 4 octets makes the UPDATE treat-as-withdraw
/// (the route, announced cleanly before, goes away).
pub(crate) fn malformed_attributes(cx: &mut Ctx<'_>) {
    step(cx, "RFC 7606: malformed optional attributes", |cx| {
        let net = cx.net;
        let theirs = net.theirs();
        let ours = net.ours();
        let nh = net.their_nh();
        let (m1, m2) = (net.p(81), net.p(82));
        let up_before = cx.e.neighbor(&theirs)["uptime_s"].as_u64().unwrap_or(0);
        let exa = &*cx.peer;
        exa.command(&format!(
            "neighbor {ours} announce route {m2} next-hop {nh} origin igp"
        ));
        let e = &cx.e;
        wait_for(10, "speaker E to learn the clean M2", || {
            e.route(&m2).map(|_| ())
        });
        exa.command(&format!(
            "neighbor {ours} announce route {m1} next-hop {nh} origin igp community [ 65000:81 ] \
             attribute [ 0x07 0xc0 0x0102 ]"
        ));
        exa.command(&format!(
            "neighbor {ours} announce route {m2} next-hop {nh} origin igp \
             attribute [ 0x20 0xc0 0x00000001 ]"
        ));
        wait_for(10, "speaker E to accept M1 without its AGGREGATOR", || {
            e.route(&m1)
                .is_some_and(|r| r.communities.iter().any(|c| c == "65000:81"))
                .then_some(())
        });
        wait_for(10, "speaker E to treat M2 as withdrawn", || {
            e.route(&m2).is_none().then_some(())
        });
        assert!(e.established(&theirs), "the session dropped");
        let up_after = e.neighbor(&theirs)["uptime_s"].as_u64().unwrap_or(0);
        assert!(up_after >= up_before, "the session was reset");
        assert!(cx.peer.established(&ours));
        let log = e.log_text();
        eprintln!("speaker E log after the malformed UPDATEs:\n{log}");
    });
}

#[test]
fn exabgp_json_lines_survive_raw_notification_data() {
    // What ExaBGP 4.2 wrote for a maximum-prefix Cease with a limit of 10
    // (data 00 01 01 00 00 00 0a), between two ordinary messages.
    let text = "{ \"type\": \"state\", \"state\": \"up\" }\n\
                { \"type\": \"state\", \"state\": \"down\", \"reason\": \"Cease / Maximum \u{0}\u{1}\u{1}\u{0}\u{0}\u{0}\n)\" }\n\
                garbage\n\
                { \"type\": \"update\" }\n";
    let v = json_lines(text);
    let kinds: Vec<_> = v
        .iter()
        .map(|m| m["state"].as_str().unwrap_or("update"))
        .collect();
    assert_eq!(kinds, ["up", "down", "update"]);
}

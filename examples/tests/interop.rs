//! The interop suite of issue 7: `speaker` against FRR, BIRD, GoBGP,
//! OpenBGPD and ExaBGP, each started here on its own loopback addresses.
//!
//! Run with `cargo test -p bgp-examples --test interop -- --ignored
//! --test-threads=1` (as root, with the daemons installed; `.ci/run` does
//! both). Each test runs one daemon through the same scenario
//! ([`scenario`]): sessions, routes both ways, withdrawals, a policy reload,
//! a crash and restart of the peer, and maximum-prefix; ExaBGP's test also
//! sends malformed attributes. `INTEROP_KEEP=1` keeps the temporary
//! directories (configs and logs).

#[path = "interop/exabgp.rs"]
mod exabgp;
#[path = "interop/harness.rs"]
mod harness;
#[path = "interop/peers.rs"]
mod peers;

use harness::{Route, Speaker, TempDir, have, wait_for};
use peers::{Net, OUR_AS, PEER_AS, Peer, peer_routes};

/// Speaker E: eBGP over IPv4 to the peer, connecting to it.
fn config_e(net: Net, extra_policy: &str, extra_af: &str) -> String {
    let (ours, theirs) = (net.ours(), net.theirs());
    format!(
        "route-map OUT permit 10
 set ip next-hop {nh}
{extra_policy}
router bgp {OUR_AS}
 bgp router-id {ours}
 no bgp ebgp-requires-policy
 bgp graceful-restart
 neighbor {theirs} remote-as {PEER_AS}
 neighbor {theirs} description the peer under test
 neighbor {theirs} update-source {ours}
 neighbor {theirs} timers connect 2
 address-family ipv4 unicast
  neighbor {theirs} route-map OUT out
  neighbor {theirs} soft-reconfiguration inbound
  neighbor {theirs} addpath-tx-all-paths
{extra_af} exit-address-family
",
        nh = net.our_nh()
    )
}

/// Speaker I: iBGP over ::1 (IPv6 routes), waiting for the peer to connect;
/// no soft-reconfiguration, so an inbound policy change needs ROUTE-REFRESH.
fn config_i(extra_policy: &str, extra_af: &str) -> String {
    format!(
        "{extra_policy}
router bgp {PEER_AS}
 bgp router-id 10.255.0.1
 no bgp default ipv4-unicast
 neighbor ::1 remote-as internal
 neighbor ::1 passive
 address-family ipv6 unicast
  neighbor ::1 activate
{extra_af} exit-address-family
"
    )
}

/// Asserts `got` matches `want` on every attribute `want` has; a
/// local-pref or MED `want` leaves out is the receiver's business.
fn same(who: &str, got: Option<Route>, want: &Route) {
    let Some(got) = got else {
        panic!("{who}: no route for {}", want.prefix);
    };
    let mut g = got.clone();
    if want.local_pref.is_none() {
        g.local_pref = None;
    }
    if want.med.is_none() {
        g.med = None;
    }
    g.stale = false;
    assert_eq!(&g, want, "{who}: route {} differs", want.prefix);
}

/// Waits until `f` gives a route equal (as [`same`] compares) to `want`.
fn wait_route(secs: u64, who: &str, want: &Route, f: impl Fn() -> Option<Route>) {
    let mut last = None;
    let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_for(secs, &format!("{who} to show {}", want.prefix), || {
            let got = f();
            last.clone_from(&got);
            let good = got.is_some_and(|g| {
                let mut g = g;
                if want.local_pref.is_none() {
                    g.local_pref = None;
                }
                if want.med.is_none() {
                    g.med = None;
                }
                g.stale = false;
                g == *want
            });
            good.then_some(())
        })
    }));
    if ok.is_err() {
        same(who, last, want);
        panic!("{who}: {} did not arrive", want.prefix);
    }
}

fn wait_gone(secs: u64, who: &str, prefix: &str, f: impl Fn() -> Option<Route>) {
    wait_for(secs, &format!("{who} to withdraw {prefix}"), || {
        f().is_none().then_some(())
    });
}

/// What a scenario step works with.
pub(crate) struct Ctx<'a> {
    peer: &'a mut dyn Peer,
    e: Speaker,
    i: Speaker,
    net: Net,
}

impl Ctx<'_> {
    /// Context for a failure message: both speakers' logs and the peer's.
    fn dump(&self) -> String {
        format!(
            "--- speaker E log\n{}\n--- speaker I log\n{}\n--- {} log (tail)\n{}",
            self.e.log_text(),
            self.i.log_text(),
            self.peer.name(),
            tail(&self.peer.log(), 60)
        )
    }
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Runs a step; on failure prints the logs and re-raises.
pub(crate) fn step(cx: &mut Ctx<'_>, name: &str, f: impl FnOnce(&mut Ctx<'_>)) {
    let t = bgp_examples::driver::clock();
    eprintln!("[{}] {name}", cx.peer.name());
    if let Err(e) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(cx))) {
        eprintln!("{}", cx.dump());
        std::panic::resume_unwind(e);
    }
    eprintln!(
        "[{}] {name}: ok in {:.1} s",
        cx.peer.name(),
        t.elapsed().as_secs_f64()
    );
}

/// The whole scenario against one peer.
fn scenario(peer: &mut dyn Peer, extra: impl FnOnce(&mut Ctx<'_>)) {
    let net = peer.net();
    let feat = peer.features();
    let dir = TempDir::new(&format!("speaker-{}", peer.name()));
    let e = Speaker::start(
        &dir,
        "e",
        &config_e(net, "", ""),
        &[format!("{}:179", net.ours())],
    );
    let i = Speaker::start(
        &dir,
        "i",
        &config_i("", ""),
        &[format!("[::1]:{}", net.v6_port())],
    );
    peer.start();
    let mut cx = Ctx { peer, e, i, net };
    let theirs = net.theirs();
    let (mut p1, p2, p3, q1) = peer_routes(net, cx.peer.p1_path());
    if !feat.ebgp_med {
        p1.med = None;
    }
    // Our routes: A (every attribute) and B (plain) over eBGP, C over iBGP.
    let a = Route::new(&net.p(77), "64601 64602", "egp")
        .med(77)
        .communities(&["64999:1", "4200:77"])
        .large(&["4200000001:7:9"]);
    let b = Route::new(&net.p(76), "", "igp");
    let c = Route::new(&net.p6(77), "64701", "igp")
        .med(33)
        .local_pref(222)
        .communities(&["64999:6"])
        .large(&["4200000002:6:6"]);

    step(&mut cx, "sessions reach Established", |cx| {
        wait_for(30, "speaker E (active, IPv4, eBGP) Established", || {
            cx.e.established(&theirs).then_some(())
        });
        wait_for(30, "speaker I (passive, IPv6, iBGP) Established", || {
            cx.i.established("::1").then_some(())
        });
        wait_for(10, "the peer to see both sessions Established", || {
            (cx.peer.established(&net.ours()) && cx.peer.established("::1")).then_some(())
        });
        let ne = &cx.e.neighbor(&theirs)["negotiated"];
        let ni = &cx.i.neighbor("::1")["negotiated"];
        assert_eq!(ne["four_octet_as"], true, "{ne}");
        assert_eq!(ni["four_octet_as"], true, "{ni}");
        assert_eq!(cx.e.neighbor(&theirs)["as"], PEER_AS);
        assert_eq!(ni["families"], serde_json::json!(["IPv6/unicast"]), "{ni}");
        if feat.add_path {
            assert_eq!(
                ne["add_path_send"],
                serde_json::json!(["IPv4/unicast"]),
                "{ne}"
            );
        }
        assert_eq!(ne["extended_message"], feat.extended_message, "{ne}");
        if feat.graceful_restart {
            assert_eq!(ne["graceful_restart"], true, "{ne}");
        }
    });

    step(&mut cx, "routes flow from us to the peer", |cx| {
        cx.e.ctl_ok(&a.announce_args(&net.our_nh()));
        cx.e.ctl_ok(&b.announce_args(&net.our_nh()));
        cx.i.ctl_ok(&c.announce_args("2001:db8::77"));
        let peer = &*cx.peer;
        let who = peer.name();
        wait_route(10, who, &a.seen_as("4200000001 64601 64602", false), || {
            peer.route(&a.prefix)
        });
        wait_route(10, who, &b.seen_as("4200000001", false), || {
            peer.route(&b.prefix)
        });
        wait_route(10, who, &c.seen_as("64701", true), || peer.route(&c.prefix));
    });

    step(&mut cx, "routes flow from the peer to us", |cx| {
        let path = |p: &str| {
            if p.is_empty() {
                PEER_AS.to_string()
            } else {
                format!("{PEER_AS} {p}")
            }
        };
        let e = &cx.e;
        wait_route(
            10,
            "speaker E",
            &p1.seen_as(&path(&p1.as_path), false),
            || e.route(&p1.prefix),
        );
        for p in [&p2, &p3] {
            wait_for(10, &format!("speaker E to learn {}", p.prefix), || {
                e.route(&p.prefix)
                    .is_some_and(|r| r.as_path == PEER_AS.to_string())
                    .then_some(())
            });
        }
        let i = &cx.i;
        wait_route(10, "speaker I", &q1.seen_as("", true), || {
            i.route(&q1.prefix)
        });
    });

    step(&mut cx, "withdrawals flow both ways", |cx| {
        cx.e.ctl_ok(&format!("withdraw route {}", a.prefix));
        cx.i.ctl_ok(&format!("withdraw route {}", c.prefix));
        let peer = &*cx.peer;
        wait_gone(10, peer.name(), &a.prefix, || peer.route(&a.prefix));
        wait_gone(10, peer.name(), &c.prefix, || peer.route(&c.prefix));
        cx.peer.withdraw(&p2.prefix);
        let e = &cx.e;
        wait_gone(10, "speaker E", &p2.prefix, || e.route(&p2.prefix));
        // What stayed is still there.
        assert!(e.route(&p1.prefix).is_some());
        assert!(cx.peer.route(&b.prefix).is_some());
    });

    step(&mut cx, "a policy change is re-applied on reload", |cx| {
        let up_e = cx.e.neighbor(&theirs)["uptime_s"].as_u64().unwrap_or(0);
        // E: soft-reconfiguration inbound; a new outbound community too.
        let out = cx.e.reload(&config_e(
            net,
            "route-map OUT permit 10\n set community 64999:555 additive\n\
             route-map IN permit 10\n set community 64999:444 additive\n",
            &format!("  neighbor {theirs} route-map IN in\n"),
        ));
        eprintln!("reload E: {out}");
        // I: no soft-reconfiguration, so this needs a ROUTE-REFRESH.
        let out = cx.i.reload(&config_i(
            "route-map IN6 permit 10\n set local-preference 444\n",
            "  neighbor ::1 route-map IN6 in\n",
        ));
        eprintln!("reload I: {out}");
        let mut want = p1.clone();
        if !feat.ebgp_med {
            want.med = None;
        }
        want.as_path = format!("{PEER_AS} {}", p1.as_path).trim().to_string();
        want.communities.push("64999:444".into());
        want.communities.sort();
        let e = &cx.e;
        wait_route(10, "speaker E after reload", &want, || e.route(&p1.prefix));
        let mut want6 = q1.clone();
        want6.local_pref = Some(444);
        let i = &cx.i;
        if feat.route_refresh {
            wait_route(10, "speaker I after reload", &want6, || i.route(&q1.prefix));
        } else {
            // The peer ignores ROUTE-REFRESH (see `Features::route_refresh`):
            // check that ours reached it, and that Q1 stays as it was.
            let peer = &*cx.peer;
            wait_for(10, "the peer to receive speaker I's ROUTE-REFRESH", || {
                let n = peer.refreshes_received("::1").unwrap_or_else(|| {
                    panic!("{} cannot count ROUTE-REFRESH messages", peer.name())
                });
                (n > 0).then_some(())
            });
            same("speaker I", i.route(&q1.prefix), &q1.seen_as("", true));
        }
        let peer = &*cx.peer;
        let want_b = b.seen_as("4200000001", false).communities(&["64999:555"]);
        wait_route(10, peer.name(), &want_b, || peer.route(&b.prefix));
        assert!(cx.e.established(&theirs) && cx.i.established("::1"));
        let up_after = cx.e.neighbor(&theirs)["uptime_s"].as_u64().unwrap_or(0);
        assert!(up_after >= up_e, "the session was reset by the reload");
    });

    extra(&mut cx);

    step(&mut cx, "the peer crashes and restarts", |cx| {
        let t = bgp_examples::driver::clock();
        cx.peer.crash();
        let e = &cx.e;
        wait_for(10, "speaker E to notice the peer is gone", || {
            (!e.established(&theirs)).then_some(())
        });
        if feat.graceful_restart {
            let r = e.route(&p1.prefix);
            assert!(
                r.as_ref().is_some_and(|r| r.stale),
                "graceful restart: {} should be kept, stale: {r:?}",
                p1.prefix
            );
        } else {
            wait_gone(10, "speaker E", &p1.prefix, || e.route(&p1.prefix));
        }
        let i = &cx.i;
        wait_for(10, "speaker I to notice the peer is gone", || {
            (!i.established("::1")).then_some(())
        });
        cx.peer.start();
        let e = &cx.e;
        wait_for(30, "speaker E to reconnect", || {
            e.established(&theirs).then_some(())
        });
        eprintln!(
            "speaker E re-established {:.1} s after the crash",
            t.elapsed().as_secs_f64()
        );
        let i = &cx.i;
        wait_for(30, "speaker I to accept the peer again", || {
            i.established("::1").then_some(())
        });
        wait_for(20, "speaker E to relearn P1, not stale", || {
            e.route(&p1.prefix).is_some_and(|r| !r.stale).then_some(())
        });
        wait_for(20, "speaker I to relearn Q1", || {
            i.route(&q1.prefix).is_some_and(|r| !r.stale).then_some(())
        });
        let peer = &*cx.peer;
        wait_for(20, "the peer to relearn our route B", || {
            peer.route(&b.prefix).map(|_| ())
        });
    });

    step(&mut cx, "maximum-prefix trips", |cx| {
        // The peer sends at least two prefixes (P1 and P3).
        let out = cx.e.reload(&config_e(
            net,
            "",
            &format!("  neighbor {theirs} maximum-prefix 1\n"),
        ));
        eprintln!("reload E: {out}");
        let e = &cx.e;
        wait_for(20, "speaker E to report the limit", || {
            e.log_text().contains("exceed the limit of 1").then_some(())
        });
        wait_for(10, "the session to close", || {
            (!e.established(&theirs) && !cx.peer.established(&net.ours())).then_some(())
        });
        // It stays down (no restart configured).
        std::thread::sleep(std::time::Duration::from_secs(3));
        assert!(!e.established(&theirs), "the session came back");
        assert!(e.route(&p1.prefix).is_none());
    });
}

fn need(programs: &[&str]) {
    for p in programs {
        assert!(
            have(p),
            "{p} is not installed (apt-get install frr bird2 gobgpd exabgp openbgpd)"
        );
    }
}

#[test]
#[ignore = "needs the BGP daemons (run by .ci/run)"]
fn frr() {
    need(&["vtysh"]);
    let mut p = peers::Frr::new(Net { k: 1 });
    scenario(&mut p, |_| {});
}

#[test]
#[ignore = "needs the BGP daemons (run by .ci/run)"]
fn bird() {
    need(&["bird", "birdc"]);
    let mut p = peers::Bird::new(Net { k: 2 });
    scenario(&mut p, |_| {});
}

#[test]
#[ignore = "needs the BGP daemons (run by .ci/run)"]
fn gobgp() {
    need(&["gobgpd", "gobgp"]);
    let mut p = peers::Gobgp::new(Net { k: 3 });
    scenario(&mut p, |_| {});
}

#[test]
#[ignore = "needs the BGP daemons (run by .ci/run)"]
fn openbgpd() {
    need(&["bgpd", "bgpctl"]);
    let mut p = peers::OpenBgpd::new(Net { k: 4 });
    scenario(&mut p, |_| {});
}

#[test]
#[ignore = "needs the BGP daemons (run by .ci/run)"]
fn exabgp() {
    need(&["exabgp"]);
    let mut p = exabgp::ExaBgp::new(Net { k: 5 });
    scenario(&mut p, exabgp::malformed_attributes);
}

//! Two sessions in virtual time over a re-chunking in-memory connection
//! (`common::Pair`): every scenario of the bgp-fsm issue.
#![allow(clippy::disallowed_methods)]

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bgp_fsm::bgp_wire;
use bgp_fsm::{
    CloseReason, Direction, Event, FlushReason, GracefulRestart, MaxPrefix, Session, SessionConfig,
    StateKind, Survivor, resolve_collision,
};
use bgp_wire::attr::{AsPathBuf, NextHop, Origin, PathAttribute};
use bgp_wire::capability::{LlgrFamily, Role};
use bgp_wire::codepoint::{CapabilityCode, ErrorCode, MessageType};
use bgp_wire::open::{OpenMessage, OptionalParameter};
use bgp_wire::route_refresh::RouteRefreshSubtype;
use bgp_wire::testing::{attr, message, update_body};
use bgp_wire::{Action, Family, Nlri, Notification, UpdateBuilder};
use bytes::BytesMut;
use common::{Pair, config, configs};

const SEC: Duration = Duration::from_secs(1);

fn nlri(p: &[&str]) -> Vec<Nlri> {
    p.iter().map(|s| Nlri::new(s.parse().unwrap())).collect()
}

/// `from_a` announces IPv4 prefixes through its session.
fn announce(p: &mut Pair, from_a: bool, prefixes: &[&str]) {
    let now = p.now;
    let s = &mut p.node(from_a).session;
    let ctx = s.send_context().expect("established");
    let asn = s.config().local_as;
    let attrs = [
        PathAttribute::Origin(Origin::Igp),
        PathAttribute::AsPath(AsPathBuf::sequence([asn])),
    ];
    let mut msg = Vec::new();
    UpdateBuilder::new(ctx)
        .announce(
            Family::IPV4_UNICAST,
            &attrs,
            &NextHop::V4(Ipv4Addr::new(192, 0, 2, 1)),
            &nlri(prefixes),
            &mut msg,
        )
        .unwrap();
    s.send_update(now, &msg).unwrap();
    p.settle();
}

fn withdraw(p: &mut Pair, from_a: bool, prefixes: &[&str]) {
    let now = p.now;
    let s = &mut p.node(from_a).session;
    let mut msg = Vec::new();
    UpdateBuilder::new(s.send_context().unwrap())
        .withdraw(Family::IPV4_UNICAST, &nlri(prefixes), &mut msg)
        .unwrap();
    s.send_update(now, &msg).unwrap();
    p.settle();
}

/// The routes the node's UPDATE events announced and withdrew, in order.
fn routes(n: &common::Node) -> (Vec<String>, Vec<String>) {
    let mut ann = Vec::new();
    let mut wd = Vec::new();
    for (_, e) in &n.events {
        if let Event::Update(u) = e {
            ann.extend(u.announced().map(|(_, n)| n.to_string()));
            wd.extend(u.withdrawn().map(|(_, n)| n.to_string()));
        }
    }
    (ann, wd)
}

fn downs(n: &common::Node) -> Vec<(CloseReason, bgp_wire::FamilySet)> {
    n.find(|e| match e {
        Event::Down { reason, stale } => Some((reason.clone(), *stale)),
        _ => None,
    })
}

fn received_notification(n: &common::Node) -> Option<Notification> {
    n.session.stats().last_error_received.clone()
}

fn code(n: &Notification) -> (u8, u8) {
    (n.code.0, n.subcode)
}

//----------- Establishment ---------------------------------------------------

#[test]
fn establishment_both_ways_in_any_chunking() {
    for chunk in [1, 3, 19, 64, 4096] {
        for a_active in [true, false] {
            let (mut a, mut b) = configs();
            a.passive = !a_active;
            b.passive = a_active;
            a.families = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
            a.hold_time = 90;
            b.hold_time = 30;
            let mut p = Pair::new(a, b, chunk as u64);
            p.max_chunk = chunk;
            p.establish();
            let (out, inb) = if a_active { (&p.a, &p.b) } else { (&p.b, &p.a) };
            assert_eq!(out.session.direction(), Some(Direction::Outbound));
            assert_eq!(inb.session.direction(), Some(Direction::Inbound));
            assert_eq!(out.connects.len(), 1);
            assert!(inb.connects.is_empty(), "the passive side never connects");
            for n in [&p.a, &p.b] {
                let neg = n.session.negotiated().unwrap();
                assert_eq!(neg.hold_time, 30);
                assert_eq!(neg.keepalive, Some(Duration::from_secs(10)));
                assert_eq!(
                    neg.families.iter().collect::<Vec<_>>(),
                    [Family::IPV4_UNICAST]
                );
                assert!(neg.four_octet_as && neg.route_refresh && neg.ebgp);
                assert_eq!(
                    n.find(|e| matches!(e, Event::Established).then_some(()))
                        .len(),
                    1
                );
            }
            assert_eq!(p.a.session.peer_as(), Some(65002));
            // Routes flow both ways, whatever the chunking.
            announce(&mut p, true, &["198.51.100.0/24", "203.0.113.0/25"]);
            announce(&mut p, false, &["192.0.2.0/24"]);
            p.run_for(SEC);
            assert_eq!(routes(&p.b).0, ["198.51.100.0/24", "203.0.113.0/25"]);
            assert_eq!(routes(&p.a).0, ["192.0.2.0/24"]);
        }
    }
}

#[test]
fn both_active_settle_on_one_connection() {
    let (a, b) = configs();
    let mut p = Pair::new(a, b, 3);
    p.establish();
    assert!(p.connected());
    assert_ne!(p.a.session.direction(), p.b.session.direction());
}

#[test]
fn passive_sides_wait_forever() {
    let (mut a, mut b) = configs();
    a.passive = true;
    b.passive = true;
    let mut p = Pair::new(a, b, 4);
    p.start_both();
    p.run_for(Duration::from_secs(3600));
    for n in [&p.a, &p.b] {
        assert_eq!(n.state(), StateKind::Active);
        assert!(n.connects.is_empty());
        assert!(n.sent.is_empty());
        // Passive Active needs no deadline.
        assert_eq!(n.session.poll_timeout(), None);
    }
}

//----------- Timers ----------------------------------------------------------

#[test]
fn hold_timer_expiry() {
    let (mut a, mut b) = configs();
    a.hold_time = 9;
    b.hold_time = 9;
    let mut p = Pair::new(a, b, 5);
    p.establish();
    p.run_for(Duration::from_secs(60));
    assert!(p.both_established(), "keepalives keep it up");
    let cut = p.now;
    p.network_up = false; // silence, no FIN
    assert!(p.run_until(Duration::from_secs(20), |p| p.a.state()
        != StateKind::Established));
    let waited = p.now - cut;
    assert!(
        waited >= Duration::from_secs(6) && waited <= Duration::from_secs(9),
        "{waited:?}"
    );
    let (reason, stale) = &downs(&p.a)[0];
    match reason {
        CloseReason::NotificationSent(n) => assert_eq!(code(n), (4, 0)),
        r => panic!("{r:?}"),
    }
    assert!(stale.is_empty());
    assert_eq!(p.a.session.stats().flaps, 1);
}

#[test]
fn keepalive_cadence() {
    let (mut a, b) = configs();
    a.hold_time = 30;
    let mut p = Pair::new(a, b, 6);
    p.establish();
    let up = p.now;
    p.run_for(Duration::from_secs(300));
    let times: Vec<Instant> =
        p.a.sent
            .iter()
            .filter(|(t, ty)| *ty == MessageType::KEEPALIVE && *t > up)
            .map(|(t, _)| *t)
            .collect();
    assert!((30..=41).contains(&times.len()), "{}", times.len());
    for w in times.windows(2) {
        let gap = w[1] - w[0];
        // A third of 30 s, jittered to 75-100 % (RFC 4271 §10).
        assert!(
            gap >= Duration::from_millis(7500) && gap <= Duration::from_secs(10),
            "{gap:?}"
        );
    }
    assert!(p.both_established());

    // Hold time 0: no keepalives, no hold timer, no deadline at all.
    let (mut a, b) = configs();
    a.hold_time = 0;
    let mut p = Pair::new(a, b, 7);
    p.establish();
    let n = p.a.count_sent(MessageType::KEEPALIVE);
    p.run_for(Duration::from_secs(3600));
    assert!(p.both_established());
    assert_eq!(p.a.count_sent(MessageType::KEEPALIVE), n);
    assert_eq!(p.a.session.negotiated().unwrap().keepalive, None);
    assert_eq!(p.a.session.poll_timeout(), None);
}

#[test]
fn configured_keepalive_and_unacceptable_hold_times() {
    let (mut a, b) = configs();
    a.keepalive_time = Some(Duration::from_secs(5));
    let mut p = Pair::new(a, b, 8);
    p.establish();
    assert_eq!(
        p.a.session.negotiated().unwrap().keepalive,
        Some(Duration::from_secs(5))
    );

    // A peer proposing 1 or 2 seconds is refused with 2/6.
    for h in [1, 2] {
        let (a, mut b) = configs();
        b.hold_time = h;
        b.passive = true;
        let mut p = Pair::new(a, b, 9);
        p.start_both();
        p.run_for(Duration::from_secs(1));
        assert_eq!(code(&p.a.notifications[0]), (2, 6));
        assert_eq!(code(&received_notification(&p.b).unwrap()), (2, 6));
        assert!(
            !p.a.events
                .iter()
                .any(|(_, e)| matches!(e, Event::Established))
        );
    }
    // And so is one below our configured minimum.
    let (mut a, mut b) = configs();
    a.min_hold_time = 60;
    b.hold_time = 30;
    let mut p = Pair::new(a, b, 10);
    p.start_both();
    p.run_for(Duration::from_secs(1));
    assert_eq!(code(&p.a.notifications[0]), (2, 6));
}

//----------- OPEN errors -----------------------------------------------------

/// Runs A against a B whose configuration `f` spoils, and returns the
/// NOTIFICATION A sent.
fn open_error(f: impl FnOnce(&mut SessionConfig, &mut SessionConfig)) -> Notification {
    let (mut a, mut b) = configs();
    b.passive = true;
    f(&mut a, &mut b);
    let mut p = Pair::new(a, b, 11);
    p.start_both();
    p.run_for(Duration::from_secs(2));
    assert!(
        !p.a.events
            .iter()
            .any(|(_, e)| matches!(e, Event::Established))
    );
    assert!(
        !p.b.events
            .iter()
            .any(|(_, e)| matches!(e, Event::Established))
    );
    let n =
        p.a.notifications
            .first()
            .cloned()
            .expect("A refused the OPEN");
    // B hears it and closes too (or refuses A's OPEN for the same reason at
    // the same time, as with a shared identifier).
    assert!(received_notification(&p.b) == Some(n.clone()) || p.b.notifications.contains(&n));
    assert_eq!(p.a.session.stats().last_error_sent, Some(n.clone()));
    n
}

#[test]
fn every_open_error_through_the_pair() {
    // Bad Peer AS: A expects another AS.
    let n = open_error(|a, _| a.peer_as = Some(65009));
    assert_eq!(code(&n), (2, 2));
    // Bad BGP Identifier: an iBGP peer with our identifier (RFC 6286 §2.2).
    let n = open_error(|a, b| {
        a.peer_as = Some(65001);
        b.local_as = 65001;
        b.peer_as = Some(65001);
        b.bgp_id = a.bgp_id;
    });
    assert_eq!(code(&n), (2, 3));
    // Unacceptable Hold Time.
    let n = open_error(|_, b| b.hold_time = 2);
    assert_eq!(code(&n), (2, 6));
    // Unsupported Capability: route refresh required, not offered; the data
    // is our capability.
    let n = open_error(|a, b| {
        a.required_capabilities = vec![CapabilityCode::ROUTE_REFRESH];
        b.route_refresh = false;
    });
    assert_eq!((code(&n), n.data.clone()), ((2, 7), vec![2, 0]));
    // Role Mismatch: two customers (RFC 9234).
    let n = open_error(|a, b| {
        a.role = Some(Role::CUSTOMER);
        b.role = Some(Role::CUSTOMER);
    });
    assert_eq!(code(&n), (2, 11));
    // Strict role: the peer sends none.
    let n = open_error(|a, _| {
        a.role = Some(Role::PROVIDER);
        a.strict_role = true;
    });
    assert_eq!(code(&n), (2, 11));
    // Matching roles establish.
    let (mut a, mut b) = configs();
    a.role = Some(Role::PROVIDER);
    b.role = Some(Role::CUSTOMER);
    let mut p = Pair::new(a, b, 12);
    p.establish();
    assert_eq!(
        p.a.session.negotiated().unwrap().peer_role,
        Some(Role::CUSTOMER)
    );
}

/// OPENs no configuration of ours would send, fed to a session in OpenSent.
#[test]
fn every_open_error_from_raw_opens() {
    let t0 = Instant::now();
    let mut base = OpenMessage::new(65002, 90, Ipv4Addr::new(10, 0, 0, 2), vec![]);
    base.params = vec![OptionalParameter::Capabilities(vec![
        bgp_wire::capability::Capability::FourOctetAs(65002),
    ])];
    // (OPEN bytes, expected code and subcode, expected data)
    type Case = (Vec<u8>, (u8, u8), Vec<u8>);
    let mut cases: Vec<Case> = Vec::new();
    let emit = |o: &OpenMessage| {
        let mut w = Vec::new();
        o.emit(&mut w).unwrap();
        w
    };
    let mut o = base.clone();
    o.version = 3;
    cases.push((emit(&o), (2, 1), vec![0, 4]));
    let mut o = base.clone();
    o.bgp_id = Ipv4Addr::UNSPECIFIED;
    cases.push((emit(&o), (2, 3), vec![]));
    let mut o = base.clone();
    o.params.push(OptionalParameter::Unknown {
        ty: 1,
        data: vec![1, 2],
    });
    cases.push((emit(&o), (2, 4), vec![]));
    // AS_TRANS in My AS without the 4-octet capability (RFC 6793).
    let mut o = base.clone();
    o.my_as = 23456;
    o.params.clear();
    cases.push((emit(&o), (2, 2), vec![]));
    // The 4-octet capability names the wrong AS.
    let o = OpenMessage::new(
        65002,
        90,
        Ipv4Addr::new(10, 0, 0, 2),
        vec![bgp_wire::capability::Capability::FourOctetAs(65003)],
    );
    cases.push((emit(&o), (2, 2), vec![]));
    // Malformed: Opt Parm Len runs past the message.
    let mut w = emit(&base);
    w[28] += 1;
    cases.push((w, (2, 0), vec![]));
    // A header error: bad marker (1/1).
    let mut w = emit(&base);
    w[0] = 0;
    cases.push((w, (1, 1), vec![]));

    for (wire, want, data) in cases {
        let mut s = Session::new(config(1, 65001, 65002));
        s.start(t0);
        s.handle_connected(t0);
        let mut out = Vec::new();
        let _ = s.poll_transmit(&mut out);
        let mut input = BytesMut::from(&wire[..]);
        s.handle_input(t0, &mut input);
        assert_eq!(s.state(), StateKind::Idle);
        out.clear();
        let _ = s.poll_transmit(&mut out);
        let n = Notification::parse(&out[19..]).unwrap();
        assert_eq!((code(&n), n.data), (want, data));
        assert!(input.is_empty());
    }
}

//----------- Collision -------------------------------------------------------

/// Moves every byte between two sessions until neither sends anything.
fn pump(now: Instant, x: &mut Session, y: &mut Session) {
    for _ in 0..10 {
        let (mut xb, mut yb) = (Vec::new(), Vec::new());
        let _ = x.poll_transmit(&mut xb);
        let _ = y.poll_transmit(&mut yb);
        if xb.is_empty() && yb.is_empty() {
            return;
        }
        let mut i = BytesMut::from(&xb[..]);
        y.handle_input(now, &mut i);
        let mut i = BytesMut::from(&yb[..]);
        x.handle_input(now, &mut i);
    }
}

fn sent_cease_7(s: &mut Session) -> bool {
    s.stats()
        .last_error_sent
        .as_ref()
        .is_some_and(|n| code(n) == (6, 7))
}

#[test]
fn collision_both_ways() {
    let t0 = Instant::now();
    // (X's id, Y's id, X's AS, Y's AS): the higher id's connection survives;
    // with equal ids the larger AS's (RFC 6286 §2.3).
    for (xid, yid, xas, yas, x_conn_survives) in [
        (9, 2, 65001, 65002, true),
        (2, 9, 65001, 65002, false),
        (5, 5, 65009, 65002, true),
        (5, 5, 65001, 65002, false),
    ] {
        let cfg = |id: u8, asn, peer| {
            let mut c = config(id, asn, peer);
            c.passive = true;
            c
        };
        // Each speaker has a session per connection: X→Y and Y→X.
        let mut x_out = Session::new(cfg(xid, xas, yas));
        let mut x_in = Session::new(cfg(xid, xas, yas));
        let mut y_out = Session::new(cfg(yid, yas, xas));
        let mut y_in = Session::new(cfg(yid, yas, xas));
        for s in [&mut x_out, &mut x_in, &mut y_out, &mut y_in] {
            s.start(t0);
        }
        x_out.handle_connected(t0);
        y_in.handle_accepted(t0);
        y_out.handle_connected(t0);
        x_in.handle_accepted(t0);
        // OPENs cross; both connections reach OpenConfirm.
        let mut xo = Vec::new();
        let mut yo = Vec::new();
        let _ = x_out.poll_transmit(&mut xo);
        let _ = y_out.poll_transmit(&mut yo);
        let mut xi = Vec::new();
        let mut yi = Vec::new();
        let _ = x_in.poll_transmit(&mut xi);
        let _ = y_in.poll_transmit(&mut yi);
        y_in.handle_input(t0, &mut BytesMut::from(&xo[..]));
        x_out.handle_input(t0, &mut BytesMut::from(&yi[..]));
        x_in.handle_input(t0, &mut BytesMut::from(&yo[..]));
        y_out.handle_input(t0, &mut BytesMut::from(&xi[..]));
        for s in [&x_out, &x_in, &y_out, &y_in] {
            assert_eq!(s.state(), StateKind::OpenConfirm);
        }
        let xs = resolve_collision(t0, &mut x_out, &mut x_in).unwrap();
        let ys = resolve_collision(t0, &mut y_out, &mut y_in).unwrap();
        // Both speakers keep the same connection.
        if x_conn_survives {
            assert_eq!((xs, ys), (Survivor::First, Survivor::Second));
            assert!(sent_cease_7(&mut x_in) && sent_cease_7(&mut y_out));
            pump(t0, &mut x_out, &mut y_in);
            assert_eq!(x_out.state(), StateKind::Established);
            assert_eq!(y_in.state(), StateKind::Established);
        } else {
            assert_eq!((xs, ys), (Survivor::Second, Survivor::First));
            assert!(sent_cease_7(&mut x_out) && sent_cease_7(&mut y_in));
            pump(t0, &mut y_out, &mut x_in);
            assert_eq!(y_out.state(), StateKind::Established);
            assert_eq!(x_in.state(), StateKind::Established);
        }
        // The loser stays down.
        for s in [&x_out, &x_in, &y_out, &y_in] {
            if s.state() != StateKind::Established {
                assert_eq!(s.state(), StateKind::Idle);
                assert_eq!(s.poll_timeout(), None);
            }
        }
    }

    // An Established session survives a newer connection, whatever the ids.
    let mut x = Session::new(config(1, 65001, 65002));
    let mut y = Session::new(config(2, 65002, 65001));
    x.start(t0);
    y.config_mut().passive = true;
    y.start(t0);
    x.handle_connected(t0);
    y.handle_accepted(t0);
    pump(t0, &mut x, &mut y);
    assert_eq!(y.state(), StateKind::Established);
    let mut late = Session::new(config(2, 65002, 65001));
    late.start(t0);
    late.handle_connected(t0);
    assert_eq!(bgp_fsm::detect_collision(&y, &late), Some(Survivor::First));
    assert_eq!(
        resolve_collision(t0, &mut late, &mut y),
        Some(Survivor::Second)
    );
    assert!(sent_cease_7(&mut late));
}

//----------- DelayOpen -------------------------------------------------------

#[test]
fn delay_open() {
    // A delays its OPEN; B's OPEN arrives first and A answers OPEN + KEEPALIVE.
    let (mut a, mut b) = configs();
    a.delay_open_time = Some(Duration::from_secs(5));
    b.passive = true;
    let mut p = Pair::new(a, b, 13);
    p.latency = Duration::from_millis(100);
    p.establish();
    let a_open =
        p.a.sent
            .iter()
            .find(|(_, t)| *t == MessageType::OPEN)
            .unwrap()
            .0;
    let b_open =
        p.b.sent
            .iter()
            .find(|(_, t)| *t == MessageType::OPEN)
            .unwrap()
            .0;
    assert_eq!(
        a_open - b_open,
        Duration::from_millis(100),
        "A answered B's OPEN"
    );
    assert_eq!(p.a.sent[0].1, MessageType::OPEN);
    assert_eq!(p.a.sent[1], (a_open, MessageType::KEEPALIVE));
    assert!(
        !p.a.events.iter().any(|(_, e)| matches!(
            e,
            Event::StateChanged {
                to: StateKind::OpenSent,
                ..
            }
        )),
        "A went from Connect straight to OpenConfirm"
    );

    // Both delay: nobody speaks until A's DelayOpen timer fires.
    let (mut a, mut b) = configs();
    a.delay_open_time = Some(Duration::from_secs(5));
    b.delay_open_time = Some(Duration::from_secs(8));
    b.passive = true;
    let mut p = Pair::new(a, b, 14);
    let t0 = p.now;
    p.establish();
    let a_open =
        p.a.sent
            .iter()
            .find(|(_, t)| *t == MessageType::OPEN)
            .unwrap()
            .0;
    assert_eq!(a_open - t0, Duration::from_secs(5));
    let b_open =
        p.b.sent
            .iter()
            .find(|(_, t)| *t == MessageType::OPEN)
            .unwrap()
            .0;
    assert_eq!(
        b_open - a_open,
        p.latency,
        "B answered before its own timer"
    );
}

//----------- IdleHold backoff ------------------------------------------------

#[test]
fn idle_hold_backoff_grows_and_resets() {
    let (mut a, mut b) = configs();
    a.idle_hold_time = Duration::from_secs(5);
    a.max_idle_hold_time = Duration::from_secs(60);
    a.idle_hold_reset_time = Duration::from_secs(120);
    b.passive = true;
    b.idle_hold_time = Duration::ZERO;
    b.max_idle_hold_time = Duration::ZERO;
    b.peer_as = Some(65009); // B refuses A: every attempt fails with 2/2
    let mut p = Pair::new(a, b, 15);
    p.latency = Duration::from_millis(1);
    p.start_both();
    p.run_for(Duration::from_secs(400));
    let gaps: Vec<u64> =
        p.a.connects
            .windows(2)
            .map(|w| (w[1] - w[0]).as_millis() as u64)
            .collect();
    // Each attempt takes 1 ms (the OPEN's trip; the NOTIFICATION comes back
    // with the close).
    let want = [5_001, 10_001, 20_001, 40_001, 60_001, 60_001, 60_001];
    assert_eq!(&gaps[..want.len()], want, "{gaps:?}");
    assert!(p.a.session.stats().connect_retry_count >= 7);

    // A session that stays up past the reset time starts over at 5 s.
    p.b.session.config_mut().peer_as = Some(65001);
    assert!(p.run_until(Duration::from_secs(120), Pair::both_established));
    p.run_for(Duration::from_secs(130));
    assert_eq!(p.a.session.next_idle_hold(), Duration::from_secs(60));
    let before = p.a.connects.len();
    p.cut();
    let down = p.now;
    assert!(p.run_until(Duration::from_secs(30), |p| p.a.connects.len() > before));
    assert_eq!(*p.a.connects.last().unwrap() - down, Duration::from_secs(5));
    assert_eq!(p.a.session.next_idle_hold(), Duration::from_secs(10));
}

//----------- Graceful restart ------------------------------------------------

fn gr_configs(restart_time: u16) -> (SessionConfig, SessionConfig) {
    let (mut a, mut b) = configs();
    a.graceful_restart = Some(GracefulRestart::new(120, &[Family::IPV4_UNICAST]));
    b.graceful_restart = Some(GracefulRestart::new(restart_time, &[Family::IPV4_UNICAST]));
    a.passive = true;
    (a, b)
}

fn flushes(n: &common::Node) -> Vec<(Family, FlushReason)> {
    n.find(|e| match e {
        Event::StaleRoutesFlush { family, reason } => Some((*family, *reason)),
        _ => None,
    })
}

/// B's control plane dies: the connection drops without a NOTIFICATION and
/// B's session is gone; its successor (R bit set) is not started yet.
fn crash_b(p: &mut Pair) {
    p.cut();
    let mut s = Session::new(p.b.session.config().clone());
    s.set_restarting(true);
    p.b.session = s;
}

/// B's successor starts, preserving forwarding state or not.
fn restart_b(p: &mut Pair, forwarding: bool) {
    if let Some(gr) = &mut p.b.session.config_mut().graceful_restart {
        gr.families[0].forwarding = forwarding;
    }
    let now = p.now;
    p.b.session.start(now);
}

#[test]
fn graceful_restart_stale_routes_and_end_of_rib() {
    let (a, b) = gr_configs(120);
    let mut p = Pair::new(a, b, 16);
    p.establish();
    assert!(p.a.session.negotiated().unwrap().graceful_restart.is_some());
    announce(&mut p, false, &["198.51.100.0/24", "203.0.113.0/24"]);
    let now = p.now;
    p.b.session
        .send_end_of_rib(now, Family::IPV4_UNICAST)
        .unwrap();
    p.run_for(SEC);
    assert_eq!(
        p.a.find(|e| match e {
            Event::EndOfRib(f) => Some(*f),
            _ => None,
        }),
        [Family::IPV4_UNICAST]
    );
    assert!(flushes(&p.a).is_empty(), "no stale routes yet");

    // B's control plane dies: the TCP connection drops without NOTIFICATION.
    crash_b(&mut p);
    let (reason, stale) = downs(&p.a).pop().unwrap();
    assert_eq!(reason, CloseReason::ConnectionClosed);
    assert!(stale.contains(Family::IPV4_UNICAST));
    assert!(p.a.session.stale_families().contains(Family::IPV4_UNICAST));

    // B comes back within its restart time, restart bit set, forwarding kept.
    p.run_for(Duration::from_secs(10));
    restart_b(&mut p, true);
    assert!(p.run_until(Duration::from_secs(100), Pair::both_established));
    let neg = p.a.session.negotiated().unwrap();
    assert!(neg.graceful_restart.as_ref().unwrap().restarting);
    assert!(p.a.session.stale_families().contains(Family::IPV4_UNICAST));
    assert!(flushes(&p.a).is_empty());
    // B re-sends what survived, then End-of-RIB ends the stale period.
    announce(&mut p, false, &["198.51.100.0/24"]);
    let now = p.now;
    p.b.session
        .send_end_of_rib(now, Family::IPV4_UNICAST)
        .unwrap();
    p.run_for(SEC);
    assert_eq!(
        flushes(&p.a),
        [(Family::IPV4_UNICAST, FlushReason::EndOfRib)]
    );
    assert!(p.a.session.stale_families().is_empty());
}

#[test]
fn graceful_restart_timers_and_refusals() {
    // The peer stays away: its restart time (60 s) ends the stale period.
    let (a, b) = gr_configs(60);
    let mut p = Pair::new(a, b, 17);
    p.establish();
    crash_b(&mut p); // and B never comes back
    let down = p.now;
    p.run_for(Duration::from_secs(120));
    assert_eq!(
        flushes(&p.a),
        [(Family::IPV4_UNICAST, FlushReason::RestartTimerExpired)]
    );
    let t =
        p.a.events
            .iter()
            .find(|(_, e)| matches!(e, Event::StaleRoutesFlush { .. }))
            .unwrap()
            .0;
    assert_eq!(t - down, Duration::from_secs(60));

    // Long-lived GR: 30 s of GR, then 600 s long-lived stale (RFC 9494).
    let (mut a, mut b) = gr_configs(30);
    let llgr = vec![LlgrFamily {
        family: Family::IPV4_UNICAST,
        forwarding: true,
        stale_time: 600,
    }];
    a.long_lived_gr = llgr.clone();
    b.long_lived_gr = llgr;
    let mut p = Pair::new(a, b, 18);
    p.establish();
    crash_b(&mut p);
    let down = p.now;
    p.run_for(Duration::from_secs(1000));
    let ll: Vec<_> =
        p.a.events
            .iter()
            .filter_map(|(t, e)| match e {
                Event::LongLivedStale { family, until } => Some((*t, *family, *until)),
                _ => None,
            })
            .collect();
    assert_eq!(ll.len(), 1);
    assert_eq!(ll[0].0 - down, Duration::from_secs(30));
    assert_eq!(ll[0].2 - down, Duration::from_secs(630));
    assert_eq!(
        flushes(&p.a),
        [(Family::IPV4_UNICAST, FlushReason::LongLivedStaleExpired)]
    );

    // The peer returns without forwarding state: stale routes go at once.
    let (a, b) = gr_configs(120);
    let mut p = Pair::new(a, b, 19);
    p.establish();
    crash_b(&mut p);
    restart_b(&mut p, false);
    assert!(p.run_until(Duration::from_secs(100), Pair::both_established));
    assert_eq!(
        flushes(&p.a),
        [(Family::IPV4_UNICAST, FlushReason::NotPreserved)]
    );

    // The peer returns but never sends End-of-RIB: the stale timer ends it.
    let (mut a, b) = gr_configs(120);
    a.stale_routes_time = Duration::from_secs(50);
    let mut p = Pair::new(a, b, 20);
    p.establish();
    crash_b(&mut p);
    restart_b(&mut p, true);
    assert!(p.run_until(Duration::from_secs(100), Pair::both_established));
    let up = p.now;
    p.run_for(Duration::from_secs(60));
    assert_eq!(
        flushes(&p.a),
        [(Family::IPV4_UNICAST, FlushReason::StaleTimerExpired)]
    );
    let t =
        p.a.events
            .iter()
            .find(|(_, e)| matches!(e, Event::StaleRoutesFlush { .. }))
            .unwrap()
            .0;
    assert_eq!(t - up, Duration::from_secs(50));

    // With the N bit (RFC 8538) a NOTIFICATION keeps GR…
    let (a, b) = gr_configs(120);
    let mut p = Pair::new(a, b, 21);
    p.establish();
    assert!(p.a.session.negotiated().unwrap().hard_reset);
    let now = p.now;
    p.b.session.reset(now, "soft", false);
    p.settle();
    let (reason, stale) = downs(&p.a).pop().unwrap();
    assert!(matches!(reason, CloseReason::NotificationReceived(ref n) if code(n) == (6, 4)));
    assert!(stale.contains(Family::IPV4_UNICAST));
    // …and a Hard Reset does not: everything goes.
    assert!(p.run_until(Duration::from_secs(100), Pair::both_established));
    let now = p.now;
    p.b.session.stop(now, "decommissioned");
    p.settle();
    let (reason, stale) = downs(&p.a).pop().unwrap();
    match reason {
        CloseReason::NotificationReceived(n) => {
            assert_eq!(code(&n), (6, 9));
            let (c, s, _) = n.hard_reset_inner().unwrap();
            assert_eq!((c, s), (ErrorCode::CEASE, 2));
        }
        r => panic!("{r:?}"),
    }
    assert!(stale.is_empty());
    assert!(p.a.session.stale_families().is_empty());

    // Without the N bit any NOTIFICATION ends GR.
    let (mut a, mut b) = gr_configs(120);
    a.graceful_restart.as_mut().unwrap().notification = false;
    b.graceful_restart.as_mut().unwrap().notification = false;
    let mut p = Pair::new(a, b, 22);
    p.establish();
    let now = p.now;
    p.b.session.reset(now, "", true);
    p.settle();
    assert!(downs(&p.a).pop().unwrap().1.is_empty());
}

//----------- Maximum prefixes ------------------------------------------------

#[test]
fn max_prefix_counts_distinct_prefixes_and_closes() {
    let (mut a, b) = configs();
    a.max_prefixes = vec![(Family::IPV4_UNICAST, MaxPrefix::new(3))];
    let mut p = Pair::new(a, b, 23);
    p.establish();
    let count = |p: &Pair| p.a.session.prefix_count(Family::IPV4_UNICAST);
    assert_eq!(count(&p), Some(0));
    announce(&mut p, false, &["10.0.0.0/24", "10.0.1.0/24"]);
    p.run_for(SEC);
    assert_eq!(count(&p), Some(2));
    // Announcing the same prefixes again (implicit replacement) adds nothing.
    announce(&mut p, false, &["10.0.0.0/24", "10.0.1.0/24"]);
    p.run_for(SEC);
    assert_eq!(count(&p), Some(2));
    withdraw(&mut p, false, &["10.0.0.0/24", "10.9.9.0/24"]);
    p.run_for(SEC);
    assert_eq!(count(&p), Some(1));
    announce(&mut p, false, &["10.0.2.0/24", "10.0.3.0/24"]);
    p.run_for(SEC);
    assert_eq!(count(&p), Some(3));
    assert!(p.both_established(), "3 is the limit, not over it");
    announce(&mut p, false, &["10.0.4.0/24"]);
    p.run_for(SEC);
    assert_eq!(p.a.state(), StateKind::Idle);
    let n = p.a.notifications.last().unwrap().clone();
    assert_eq!(
        (code(&n), n.data.clone()),
        ((6, 1), vec![0, 1, 1, 0, 0, 0, 3])
    );
    assert_eq!(received_notification(&p.b), Some(n));
    assert_eq!(
        p.a.find(|e| match e {
            Event::MaxPrefixExceeded {
                count,
                warning_only,
                ..
            } => Some((*count, *warning_only)),
            _ => None,
        }),
        [(4, false)]
    );
    // Without a restart interval A stays down.
    let connects = p.a.connects.len();
    p.run_for(Duration::from_secs(3600));
    assert_eq!(p.a.connects.len(), connects);
    assert_eq!(p.a.state(), StateKind::Idle);
    assert_eq!(p.a.session.poll_timeout(), None);
}

#[test]
fn max_prefix_warning_only_and_restart_interval() {
    let (mut a, b) = configs();
    let mut m = MaxPrefix::new(1);
    m.warning_only = true;
    a.max_prefixes = vec![(Family::IPV4_UNICAST, m)];
    let mut p = Pair::new(a, b, 24);
    p.establish();
    announce(&mut p, false, &["10.0.0.0/24", "10.0.1.0/24"]);
    announce(&mut p, false, &["10.0.2.0/24"]);
    p.run_for(SEC);
    assert!(p.both_established());
    // One warning while over the limit.
    assert_eq!(
        p.a.find(|e| match e {
            Event::MaxPrefixExceeded {
                count,
                warning_only,
                ..
            } => Some((*count, *warning_only)),
            _ => None,
        }),
        [(2, true)]
    );
    assert_eq!(routes(&p.a).0.len(), 3, "the routes are still handed out");

    let (mut a, b) = configs();
    let mut m = MaxPrefix::new(1);
    m.restart = Some(Duration::from_secs(600));
    a.max_prefixes = vec![(Family::IPV4_UNICAST, m)];
    a.passive = false;
    let mut p = Pair::new(a, b, 25);
    p.establish();
    announce(&mut p, false, &["10.0.0.0/24", "10.0.1.0/24"]);
    p.run_for(SEC);
    let down = p.now;
    assert_eq!(p.a.state(), StateKind::Idle);
    let connects = p.a.connects.len();
    assert!(p.run_until(Duration::from_secs(700), |p| p.a.connects.len() > connects));
    let wait = *p.a.connects.last().unwrap() - down;
    assert!(
        wait >= Duration::from_secs(599) && wait <= Duration::from_secs(600),
        "{wait:?}"
    );
    assert!(p.run_until(Duration::from_secs(100), Pair::both_established));
}

//----------- Administrative shutdown -----------------------------------------

#[test]
fn admin_shutdown_with_a_communication() {
    let (a, b) = configs();
    let mut p = Pair::new(a, b, 26);
    p.establish();
    let text = "maintenance until 14:00 UTC, ticket #4711 ✓";
    let now = p.now;
    p.a.session.stop(now, text);
    p.settle();
    let n = p.a.notifications.last().unwrap().clone();
    assert_eq!(code(&n), (6, 2));
    assert_eq!(n.shutdown_communication(), Some(text));
    let (reason, _) = downs(&p.b).pop().unwrap();
    match reason {
        CloseReason::NotificationReceived(n) => {
            assert_eq!(n.shutdown_communication(), Some(text))
        }
        r => panic!("{r:?}"),
    }
    assert!(matches!(
        downs(&p.a).pop().unwrap().0,
        CloseReason::NotificationSent(_)
    ));
    // A stays down; B keeps trying (and is refused) until A starts again.
    let connects = p.a.connects.len();
    p.run_for(Duration::from_secs(600));
    assert_eq!(p.a.connects.len(), connects);
    assert_eq!(p.a.state(), StateKind::Idle);
    assert!(p.b.connects.len() >= 2);
    let now = p.now;
    p.a.session.start(now);
    assert!(p.run_until(Duration::from_secs(200), Pair::both_established));

    // A communication longer than 255 octets is cut at a character boundary.
    let long = "é".repeat(200);
    let now = p.now;
    p.b.session.stop(now, &long);
    p.settle();
    let n = p.b.notifications.last().unwrap();
    assert_eq!(n.data[0], 254);
    assert_eq!(n.shutdown_communication().unwrap().len(), 254);
}

#[test]
fn hard_reset_when_negotiated() {
    let (a, b) = gr_configs(120);
    let mut p = Pair::new(a, b, 27);
    p.establish();
    let now = p.now;
    p.a.session.reset(now, "policy change", true);
    p.settle();
    let n = p.a.notifications.last().unwrap();
    assert_eq!(code(n), (6, 9));
    let (c, s, data) = n.hard_reset_inner().unwrap();
    assert_eq!((c.0, s), (6, 4));
    assert_eq!(data[0] as usize, "policy change".len());
    // A reset restarts at once.
    assert!(p.run_until(Duration::from_secs(100), Pair::both_established));
    // Without GR on both sides the same reset is a plain Cease/4.
    let (a, b) = configs();
    let mut p = Pair::new(a, b, 28);
    p.establish();
    let now = p.now;
    p.a.session.reset(now, "", true);
    p.settle();
    assert_eq!(code(p.a.notifications.last().unwrap()), (6, 4));
}

//----------- Malformed UPDATEs -----------------------------------------------

fn raw_update(withdrawn: &[u8], attrs: &[Vec<u8>], nlri: &[u8]) -> Vec<u8> {
    message(2, &update_body(withdrawn, attrs, nlri))
}

#[test]
fn treat_as_withdraw_keeps_the_session() {
    for chunk in [1, 5, 4096] {
        let (a, b) = configs();
        let mut p = Pair::new(a, b, 29 + chunk as u64);
        p.max_chunk = chunk;
        p.establish();
        announce(&mut p, false, &["198.51.100.0/24"]);
        // ORIGIN with an undefined value (RFC 7606 §7.1): treat-as-withdraw.
        let bad = raw_update(
            &[],
            &[
                attr(0x40, 1, &[7]),
                attr(0x40, 2, &[2, 1, 0, 0, 0xfd, 0xea]),
                attr(0x40, 3, &[192, 0, 2, 2]),
            ],
            &[24, 198, 51, 100, 24, 203, 0, 113],
        );
        p.inject(false, &bad);
        p.run_for(SEC);
        assert!(p.both_established());
        assert!(p.a.notifications.is_empty());
        let last = p.a.events.iter().rev().find_map(|(_, e)| match e {
            Event::Update(u) => Some(u.clone()),
            _ => None,
        });
        let u = last.unwrap();
        assert_eq!(u.action(), Action::TreatAsWithdraw);
        assert!(u.treat_as_withdraw());
        assert_eq!(u.announced().count(), 0);
        let wd: Vec<String> = u.withdrawn().map(|(_, n)| n.to_string()).collect();
        assert_eq!(wd, ["198.51.100.0/24", "203.0.113.0/24"]);
        assert_eq!(p.a.session.stats().updates_with_errors, 1);
        // The view is still there for logging.
        assert!(u.error().is_some());
        assert_eq!(u.update().nlri_bytes().len(), 8);
    }
}

#[test]
fn malformed_update_resets_the_session() {
    let (a, b) = configs();
    let mut p = Pair::new(a, b, 31);
    p.establish();
    // A prefix of 33 bits in the NLRI field: session reset, 3/10.
    p.inject(false, &raw_update(&[], &[], &[33, 1, 2, 3, 4, 5]));
    p.run_for(SEC);
    assert_ne!(p.a.state(), StateKind::Established);
    let n = p.a.notifications.last().unwrap();
    assert_eq!(code(n), (3, 10));
    assert_eq!(received_notification(&p.b).as_ref(), Some(n));
    let (reason, _) = downs(&p.a).pop().unwrap();
    assert!(matches!(reason, CloseReason::NotificationSent(ref x) if code(x) == (3, 10)));
    // And it comes back by itself.
    assert!(p.run_until(Duration::from_secs(100), Pair::both_established));
}

#[test]
fn afi_safi_disable_drops_the_family_only() {
    let (mut a, mut b) = configs();
    a.families = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    b.families = a.families.clone();
    let mut p = Pair::new(a, b, 32);
    p.establish();
    // MP_REACH_NLRI for IPv6 unicast with a 5-octet next hop (RFC 7606 §7.11).
    let mp = attr(
        0x80,
        14,
        &[0, 2, 1, 5, 1, 2, 3, 4, 5, 0, 32, 0x20, 1, 0xd, 0xb8],
    );
    let bad = raw_update(
        &[],
        &[
            attr(0x40, 1, &[0]),
            attr(0x40, 2, &[2, 1, 0, 0, 0xfd, 0xea]),
            mp,
        ],
        &[],
    );
    p.inject(false, &bad);
    p.run_for(SEC);
    assert!(p.both_established());
    assert_eq!(
        p.a.find(|e| match e {
            Event::FamilyDisabled { family, .. } => Some(*family),
            _ => None,
        }),
        [Family::IPV6_UNICAST]
    );
    assert!(
        p.a.session
            .disabled_families()
            .contains(Family::IPV6_UNICAST)
    );
    // IPv4 still flows.
    announce(&mut p, false, &["192.0.2.0/24"]);
    p.run_for(SEC);
    assert_eq!(routes(&p.a).0, ["192.0.2.0/24"]);
}

//----------- Many messages in one input ------------------------------------

/// An Established session of the pair (`a`), to be fed by hand: its peer's
/// bytes so far delivered, its output and events drained.
fn established_a(seed: u64) -> (Session, Instant) {
    let (a, b) = configs();
    let mut p = Pair::new(a, b, seed);
    p.establish();
    let mut s = p.a.session;
    let _ = s.poll_transmit(&mut Vec::new());
    while s.poll_event().is_some() {}
    (s, p.now)
}

fn good_update(prefix: [u8; 3]) -> Vec<u8> {
    raw_update(
        &[],
        &[
            attr(0x40, 1, &[0]),
            attr(0x40, 2, &[2, 1, 0, 0, 0xfd, 0xea]),
            attr(0x40, 3, &[192, 0, 2, 2]),
        ],
        &[24, prefix[0], prefix[1], prefix[2]],
    )
}

/// What one `handle_input` of `chunk` gives: (events, NOTIFICATIONs sent,
/// bytes left in the input).
fn feed_one_chunk(s: &mut Session, now: Instant, chunk: &[u8]) -> (Vec<Event>, Vec<Notification>) {
    let mut input = BytesMut::from(chunk);
    s.handle_input(now, &mut input);
    let mut out = Vec::new();
    let _ = s.poll_transmit(&mut out);
    let mut sent = Vec::new();
    let mut rest = &out[..];
    while let Ok(Some(f)) = bgp_wire::frame(rest, 65535) {
        if f.ty == MessageType::NOTIFICATION {
            sent.push(Notification::parse(&rest[19..f.len]).unwrap());
        }
        rest = &rest[f.len..];
    }
    assert!(rest.is_empty());
    assert!(input.is_empty(), "a closed session keeps no input");
    (std::iter::from_fn(|| s.poll_event()).collect(), sent)
}

fn update_prefixes(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Update(u) => Some(u.announced().map(|(_, n)| n.to_string())),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn malformed_update_mid_chunk_closes_and_nothing_after_it_comes_out() {
    let (mut s, now) = established_a(40);
    let bad = raw_update(&[], &[], &[33, 1, 2, 3, 4, 5]);
    let mut chunk = good_update([198, 51, 100]);
    chunk.extend_from_slice(&bad);
    // More of everything after it, all in the same input.
    chunk.extend_from_slice(&good_update([203, 0, 113]));
    chunk.extend_from_slice(&message(4, &[]));
    chunk.extend_from_slice(&message(3, &[6, 2]));
    chunk.extend_from_slice(&good_update([192, 0, 2]));
    chunk.extend_from_slice(&good_update([10, 0, 0])[..30]);
    let (events, sent) = feed_one_chunk(&mut s, now, &chunk);
    assert_eq!(s.state(), StateKind::Idle);
    assert_eq!(sent.len(), 1);
    assert_eq!(code(&sent[0]), (3, 10));
    // The UPDATE before the bad one, then the close; nothing after it.
    assert_eq!(update_prefixes(&events), ["198.51.100.0/24"]);
    let close = events
        .iter()
        .position(|e| matches!(e, Event::Disconnect(_)))
        .unwrap();
    assert!(matches!(events[0], Event::Update(_)));
    assert!(events[close..].iter().all(|e| !matches!(
        e,
        Event::Update(_) | Event::EndOfRib(_) | Event::RouteRefresh(_)
    )));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Down { reason: CloseReason::NotificationSent(n), .. } if code(n) == (3, 10)
    )));
    // The peer's NOTIFICATION after the bad UPDATE was never read.
    assert_eq!(s.stats().last_error_received, None);
    assert_eq!(s.stats().received.update, 2);
    // Nothing more comes out of the closed session.
    let (events, sent) = feed_one_chunk(&mut s, now, &good_update([192, 0, 2]));
    assert!(sent.is_empty());
    assert!(update_prefixes(&events).is_empty());
}

#[test]
fn treat_as_withdraw_mid_chunk_keeps_the_session_and_the_rest() {
    let (mut s, now) = established_a(41);
    // ORIGIN 7: treat-as-withdraw.
    let bad = raw_update(
        &[],
        &[
            attr(0x40, 1, &[7]),
            attr(0x40, 2, &[2, 1, 0, 0, 0xfd, 0xea]),
            attr(0x40, 3, &[192, 0, 2, 2]),
        ],
        &[24, 203, 0, 113],
    );
    let mut chunk = good_update([198, 51, 100]);
    chunk.extend_from_slice(&bad);
    chunk.extend_from_slice(&message(4, &[]));
    chunk.extend_from_slice(&good_update([192, 0, 2]));
    // End-of-RIB for IPv4 unicast.
    chunk.extend_from_slice(&raw_update(&[], &[], &[]));
    let tail = good_update([10, 0, 0]);
    chunk.extend_from_slice(&tail[..25]);
    let mut input = BytesMut::from(&chunk[..]);
    s.handle_input(now, &mut input);
    assert_eq!(s.state(), StateKind::Established);
    assert_eq!(s.poll_transmit(&mut Vec::new()), None);
    // The partial message stays for the next read.
    assert_eq!(&input[..], &tail[..25]);
    let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    assert_eq!(events.len(), 4, "{events:?}");
    assert_eq!(
        update_prefixes(&events),
        ["198.51.100.0/24", "192.0.2.0/24"]
    );
    let Event::Update(u) = &events[1] else {
        panic!("{events:?}")
    };
    assert!(u.treat_as_withdraw());
    assert_eq!(
        u.withdrawn()
            .map(|(_, n)| n.to_string())
            .collect::<Vec<_>>(),
        ["203.0.113.0/24"]
    );
    assert!(matches!(events[3], Event::EndOfRib(Family::IPV4_UNICAST)));
    assert_eq!(s.stats().received.update, 4);
    assert_eq!(s.stats().received.keepalive, 2);
    assert_eq!(s.stats().updates_with_errors, 1);
    // The rest of the partial message completes it.
    input.extend_from_slice(&tail[25..]);
    s.handle_input(now, &mut input);
    assert!(input.is_empty());
    let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    assert_eq!(update_prefixes(&events), ["10.0.0.0/24"]);
}

#[test]
fn header_error_after_updates_in_one_chunk() {
    for (garbage, want) in [
        // Bad marker: 1/1.
        (
            {
                let mut m = message(4, &[]);
                m[3] = 0;
                m
            },
            (1, 1),
        ),
        // Length 18: 1/2.
        (
            {
                let mut m = message(4, &[]);
                m[17] = 18;
                m
            },
            (1, 2),
        ),
        // Type 9: 1/3.
        (message(9, &[]), (1, 3)),
    ] {
        let (mut s, now) = established_a(42);
        let mut chunk = good_update([198, 51, 100]);
        chunk.extend_from_slice(&good_update([203, 0, 113]));
        chunk.extend_from_slice(&garbage);
        chunk.extend_from_slice(&good_update([192, 0, 2]));
        let (events, sent) = feed_one_chunk(&mut s, now, &chunk);
        assert_eq!(s.state(), StateKind::Idle);
        assert_eq!(sent.iter().map(code).collect::<Vec<_>>(), [want]);
        assert_eq!(
            update_prefixes(&events),
            ["198.51.100.0/24", "203.0.113.0/24"]
        );
    }
}

#[test]
fn peer_notification_or_fsm_error_mid_chunk() {
    // A NOTIFICATION from the peer: the UPDATE before it counts, none after.
    let (mut s, now) = established_a(43);
    let mut chunk = good_update([198, 51, 100]);
    chunk.extend_from_slice(&message(3, &[6, 2]));
    chunk.extend_from_slice(&good_update([203, 0, 113]));
    let (events, sent) = feed_one_chunk(&mut s, now, &chunk);
    assert!(sent.is_empty());
    assert_eq!(update_prefixes(&events), ["198.51.100.0/24"]);
    assert_eq!(s.state(), StateKind::Idle);
    assert_eq!(
        s.stats().last_error_received.as_ref().map(code),
        Some((6, 2))
    );
    // An OPEN in Established: FSM error 5/3.
    let (mut s, now) = established_a(44);
    let mut open = Vec::new();
    config(2, 65002, 65001)
        .open_message()
        .emit(&mut open)
        .unwrap();
    let mut chunk = good_update([198, 51, 100]);
    chunk.extend_from_slice(&open);
    chunk.extend_from_slice(&good_update([203, 0, 113]));
    let (events, sent) = feed_one_chunk(&mut s, now, &chunk);
    assert_eq!(sent.iter().map(code).collect::<Vec<_>>(), [(5, 3)]);
    assert_eq!(update_prefixes(&events), ["198.51.100.0/24"]);
}

#[test]
fn any_split_of_a_chunk_gives_the_same_events() {
    let bad = raw_update(&[], &[], &[33, 1, 2, 3, 4, 5]);
    // More than one run of framed messages (16 KiB) before the bad one.
    let mut chunk = Vec::new();
    for i in 0..1000u16 {
        let [hi, lo] = i.to_be_bytes();
        chunk.extend_from_slice(&good_update([10, hi, lo]));
        if i % 7 == 3 {
            chunk.extend_from_slice(&message(4, &[]));
        }
    }
    assert!(chunk.len() > 40 * 1024);
    chunk.extend_from_slice(&bad);
    chunk.extend_from_slice(&good_update([10, 99, 0]));
    let describe = |events: &[Event]| -> Vec<String> {
        events
            .iter()
            .map(|e| match e {
                Event::Update(u) => format!("{:?}", u.announced().collect::<Vec<_>>()),
                other => format!("{other:?}"),
            })
            .collect()
    };
    let (mut s, now) = established_a(45);
    let (whole, _) = feed_one_chunk(&mut s, now, &chunk);
    let whole = describe(&whole);
    assert_eq!(whole.iter().filter(|e| e.starts_with("[(")).count(), 1000);
    assert!(whole.iter().any(|e| e.starts_with("Disconnect")));
    for step in [1, 7, 19, 23, 64, 1000, 16 * 1024 + 3] {
        let (mut s, now) = established_a(45);
        let mut input = BytesMut::new();
        let mut events = Vec::new();
        for piece in chunk.chunks(step) {
            input.extend_from_slice(piece);
            s.handle_input(now, &mut input);
            events.extend(std::iter::from_fn(|| s.poll_event()));
        }
        assert_eq!(describe(&events), whole, "pieces of {step}");
    }
}

//----------- Route refresh, counters -----------------------------------------

#[test]
fn route_refresh_and_counters() {
    let (mut a, mut b) = configs();
    a.enhanced_route_refresh = true;
    b.enhanced_route_refresh = true;
    let mut p = Pair::new(a, b, 33);
    p.establish();
    let now = p.now;
    p.a.session
        .send_route_refresh(now, Family::IPV4_UNICAST, RouteRefreshSubtype::NORMAL)
        .unwrap();
    p.a.session
        .send_route_refresh(now, Family::IPV4_UNICAST, RouteRefreshSubtype::BORR)
        .unwrap();
    assert!(
        p.a.session
            .send_route_refresh(now, Family::IPV6_UNICAST, RouteRefreshSubtype::NORMAL)
            .is_err()
    );
    p.settle();
    p.run_for(Duration::from_secs(100));
    assert_eq!(
        p.b.find(|e| match e {
            Event::RouteRefresh(r) => Some(r.subtype),
            _ => None,
        }),
        [RouteRefreshSubtype::NORMAL, RouteRefreshSubtype::BORR]
    );
    announce(&mut p, true, &["192.0.2.0/24"]);
    p.run_for(Duration::from_secs(100));
    // What one sent the other received, type by type.
    let (sa, rb) = (p.a.session.stats().sent, p.b.session.stats().received);
    assert_eq!(sa, rb);
    assert_eq!(sa.route_refresh, 2);
    assert_eq!(sa.update, 1);
    assert_eq!(sa.open, 1);
    assert!(sa.keepalive >= 5, "{sa:?}");
    assert_eq!(p.b.session.stats().sent, p.a.session.stats().received);
    assert_eq!(p.a.session.stats().established_transitions, 1);
    let up = p.a.session.uptime(p.now).unwrap();
    assert!(up >= Duration::from_secs(200));
    // Sending needs an Established session.
    p.cut();
    assert_eq!(p.a.session.stats().flaps, 1);
    assert_eq!(p.a.session.uptime(p.now), None);
    let now = p.now;
    assert_eq!(
        p.a.session.send_update(now, &[]),
        Err(bgp_fsm::SendError::NotEstablished)
    );
}

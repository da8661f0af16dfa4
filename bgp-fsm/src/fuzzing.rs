//! Drives one [`Session`] with an operation sequence decoded from arbitrary
//! bytes, checking invariants after every step (not a stable API). Used by
//! the `fsm_sequence` fuzz target and the property tests.
//!
//! The operations are the session's inputs and commands (TCP events, peer
//! messages well formed or not, raw bytes, time steps forward and back,
//! sends, stops and resets). The invariants:
//! * negotiated parameters exist exactly in Established;
//! * a deadline is armed whenever the state needs one;
//! * no byte is handed out while no connection is up: after a close
//!   (an [`Event::Disconnect`], or the connection closing under it) the
//!   session is silent until the next connection;
//! * `poll_transmit` hands out whole messages only, and as many as the
//!   counters say were sent;
//! * after `handle_timeout(now)` no deadline is at or before `now`;
//! * nothing panics.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bgp_wire::capability::{AddPathMode, Capability, GrFamily, LlgrFamily, Role};
use bgp_wire::message::KEEPALIVE;
use bgp_wire::open::OpenMessage;
use bgp_wire::route_refresh::{RouteRefresh, RouteRefreshSubtype};
use bgp_wire::testing::{Input as Reader, attr, message, update_body};
use bgp_wire::{Family, Notification, frame};
use bytes::BytesMut;

use crate::{Event, GracefulRestart, MaxPrefix, Session, SessionConfig, StateKind};

/// The session under test and what its I/O layer knows.
pub struct Driver {
    /// The session.
    pub session: Session,
    now: Instant,
    inbox: BytesMut,
    /// A TCP connection is up from the I/O layer's point of view.
    connected: bool,
    frames_sent: u64,
}

/// The configuration chosen by the first input octets.
fn config(r: &mut Reader<'_>) -> SessionConfig {
    // Always six octets: bits, seed, restart time, limit, hold time, restart.
    let bits = r.u8();
    let mut c = SessionConfig::new(65001, Some(65002), Ipv4Addr::new(10, 0, 0, 1));
    c.rng_seed = u64::from(r.u8());
    let gr_time = u16::from(r.u8() % 4) * 30;
    let limit = u32::from(r.u8() % 8);
    c.passive = bits & 1 != 0;
    if bits & 2 != 0 {
        c.delay_open_time = Some(Duration::from_secs(5));
    }
    if bits & 4 != 0 {
        c.graceful_restart = Some(GracefulRestart::new(
            gr_time,
            &[Family::IPV4_UNICAST, Family::IPV6_UNICAST],
        ));
        c.long_lived_gr = vec![LlgrFamily {
            family: Family::IPV4_UNICAST,
            forwarding: true,
            stale_time: 100,
        }];
    }
    if bits & 8 != 0 {
        let mut m = MaxPrefix::new(limit);
        m.warning_only = bits & 16 != 0;
        m.restart = (bits & 32 != 0).then_some(Duration::from_secs(10));
        c.max_prefixes = vec![(Family::IPV4_UNICAST, m)];
    }
    if bits & 64 != 0 {
        c.role = Some(Role::PROVIDER);
        c.strict_role = bits & 16 != 0;
    }
    c.families = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    c.add_path = vec![(Family::IPV4_UNICAST, AddPathMode::BOTH)];
    c.enhanced_route_refresh = bits & 128 != 0;
    c.extended_message = bits & 128 != 0;
    c.hold_time = [0, 3, 9, 90][usize::from(r.u8() % 4)];
    c.automatic_restart = r.u8() % 4 != 0;
    c
}

/// A peer OPEN shaped by two octets.
fn peer_open(r: &mut Reader<'_>) -> Vec<u8> {
    let bits = r.u8();
    let sel = r.u8();
    let asn = if sel & 0x80 == 0 {
        65002
    } else {
        u32::from(sel)
    };
    let hold = [0, 1, 3, 9, 90, 65535][usize::from(sel % 6)];
    let mut caps = Vec::new();
    if bits & 1 != 0 {
        caps.push(Capability::FourOctetAs(asn));
    }
    if bits & 2 != 0 {
        caps.push(Capability::Multiprotocol(Family::IPV4_UNICAST));
    }
    if bits & 4 != 0 {
        caps.push(Capability::Multiprotocol(Family::IPV6_UNICAST));
    }
    if bits & 8 != 0 {
        caps.push(Capability::RouteRefresh);
        caps.push(Capability::EnhancedRouteRefresh);
    }
    if bits & 16 != 0 {
        caps.push(Capability::GracefulRestart {
            restart_state: sel & 1 != 0,
            notification: sel & 2 != 0,
            restart_time: u16::from(sel & 0x3c),
            families: vec![GrFamily {
                family: Family::IPV4_UNICAST,
                forwarding: sel & 4 != 0,
            }],
        });
        caps.push(Capability::LongLivedGr(vec![LlgrFamily {
            family: Family::IPV4_UNICAST,
            forwarding: true,
            stale_time: 50,
        }]));
    }
    if bits & 32 != 0 {
        caps.push(Capability::AddPath(vec![(
            Family::IPV4_UNICAST,
            AddPathMode::BOTH,
        )]));
        caps.push(Capability::ExtendedMessage);
    }
    if bits & 64 != 0 {
        caps.push(Capability::Role(Role(sel % 6)));
    }
    let mut o = OpenMessage::new(asn, hold, Ipv4Addr::new(10, 0, 0, 2), caps);
    if bits & 128 != 0 {
        o.version = sel % 6;
    }
    let mut w = Vec::new();
    // Every OPEN built here encodes.
    let _ = o.emit(&mut w);
    w
}

/// An UPDATE from the peer: well formed, treat-as-withdraw, reset, EoR.
fn peer_update(r: &mut Reader<'_>, add_path: bool) -> Vec<u8> {
    let kind = r.u8();
    let n = usize::from(r.u8() % 8);
    let mut nlri = Vec::new();
    for i in 0..n {
        if add_path {
            nlri.extend_from_slice(&[0, 0, 0, kind & 3]);
        }
        nlri.extend_from_slice(&[24, 10, kind % 4, i as u8]);
    }
    let origin = attr(0x40, 1, &[if kind & 0x10 != 0 { 9 } else { 0 }]);
    let path = attr(0x40, 2, &[2, 1, 0, 0, 0xfd, 0xea]);
    let nh = attr(0x40, 3, &[192, 0, 2, 2]);
    let body = match kind % 6 {
        0 | 1 => update_body(&[], &[origin, path, nh], &nlri),
        2 => update_body(&nlri, &[], &[]),
        3 => update_body(&[], &[], &[]),
        4 => update_body(&[], &[attr(0x80, 15, &[0, 2, 1])], &[]),
        _ => update_body(&[], &[origin, path], &[40, 1, 2]),
    };
    message(2, &body)
}

impl Driver {
    /// A driver for the configuration the input starts with.
    pub fn new(data: &[u8], epoch: Instant) -> (Self, &[u8]) {
        let mut r = Reader(data);
        let config = config(&mut r);
        let driver = Self {
            session: Session::new(config),
            now: epoch,
            inbox: BytesMut::new(),
            connected: false,
            frames_sent: 0,
        };
        (driver, r.0)
    }

    /// Runs every operation the input holds, checking after each.
    pub fn run(&mut self, ops: &[u8]) {
        let mut r = Reader(ops);
        while !r.is_empty() {
            self.step(&mut r);
            self.check();
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        if self.connected {
            self.inbox.extend_from_slice(bytes);
            self.session.handle_input(self.now, &mut self.inbox);
        }
    }

    fn step(&mut self, r: &mut Reader<'_>) {
        let now = self.now;
        let add_path = self
            .session
            .receive_context()
            .is_some_and(|c| c.add_path(Family::IPV4_UNICAST));
        match r.u8() % 22 {
            0 => self.session.start(now),
            1 => self.session.stop(now, "fuzz"),
            2 => self.session.reset(now, "fuzz", r.u8() & 1 != 0),
            3 | 4 => {
                let was = self.session.direction().is_some();
                if r.u8() & 1 == 0 {
                    self.session.handle_connected(now);
                } else {
                    self.session.handle_accepted(now);
                }
                if !was && self.session.direction().is_some() {
                    self.connected = true;
                    self.inbox.clear();
                }
            }
            5 => {
                self.session.handle_connect_failed(now);
                if self.session.direction().is_none() {
                    self.connected = false;
                }
            }
            6 => {
                self.session.handle_closed(now);
                self.connected = false;
                self.inbox.clear();
            }
            7 | 8 => {
                let ms = u64::from(r.u16()) * u64::from(r.u8() % 16 + 1);
                self.now += Duration::from_millis(ms);
                self.timeout();
            }
            9 => {
                // Straight to the next deadline.
                if let Some(t) = self.session.poll_timeout() {
                    self.now = self.now.max(t);
                }
                self.timeout();
            }
            10 => {
                // Time going backwards is taken as the latest time.
                let back = self.now.checked_sub(Duration::from_secs(u64::from(r.u8())));
                if let Some(t) = back {
                    self.session.handle_timeout(t);
                }
            }
            11 => {
                let o = peer_open(r);
                self.feed(&o);
            }
            12 | 13 => self.feed(&KEEPALIVE),
            14 | 15 => {
                let u = peer_update(r, add_path);
                self.feed(&u);
            }
            16 => {
                let n = Notification::new(bgp_wire::ErrorCode(r.u8() % 8), r.u8() % 12, vec![]);
                let mut w = Vec::new();
                let _ = n.emit(&mut w, 4096);
                self.feed(&w);
            }
            17 => {
                let rr = RouteRefresh::with_subtype(
                    if r.u8() & 1 == 0 {
                        Family::IPV4_UNICAST
                    } else {
                        Family::IPV6_UNICAST
                    },
                    RouteRefreshSubtype(r.u8() % 4),
                );
                let mut w = Vec::new();
                let _ = rr.emit(&mut w, 4096);
                self.feed(&w);
            }
            18 => {
                // Raw bytes, of any shape; a partial message stays queued.
                let n = usize::from(r.u8());
                let b = r.bytes(n);
                self.feed(b);
            }
            19 => {
                let u = peer_update(r, false);
                let _ = self.session.send_update(now, &u);
                let _ = self.session.send_end_of_rib(now, Family::IPV6_UNICAST);
            }
            20 => {
                let _ = self.session.send_route_refresh(
                    now,
                    Family::IPV4_UNICAST,
                    RouteRefreshSubtype(r.u8() % 3),
                );
            }
            _ => self.session.set_restarting(r.u8() & 1 != 0),
        }
    }

    fn timeout(&mut self) {
        let now = self.now;
        self.session.handle_timeout(now);
        if let Some(t) = self.session.poll_timeout() {
            assert!(
                t > now,
                "a deadline at or before now survived handle_timeout"
            );
        }
    }

    /// Drains the outputs and checks the invariants.
    pub fn check(&mut self) {
        let s = &self.session;
        let established = s.state() == StateKind::Established;
        assert_eq!(s.negotiated().is_some(), established);
        assert_eq!(s.receive_context().is_some(), established);
        assert_eq!(
            s.peer_bgp_id().is_some(),
            matches!(s.state(), StateKind::OpenConfirm | StateKind::Established)
        );
        assert!(s.deadline_armed_as_required(), "{:?}", s.state());

        let mut out = Vec::new();
        if self.session.poll_transmit(&mut out).is_some() {
            assert!(self.connected, "output without a connection");
            let mut rest = &out[..];
            while !rest.is_empty() {
                let f = frame(rest, 65535)
                    .ok()
                    .flatten()
                    .expect("whole, well-framed messages");
                rest = &rest[f.len..];
                self.frames_sent += 1;
            }
        }
        assert_eq!(self.frames_sent, self.session.stats().sent.total());
        while let Some(ev) = self.session.poll_event() {
            match ev {
                Event::Disconnect(_) => {
                    self.connected = false;
                    self.inbox.clear();
                }
                Event::Update(u) => {
                    // Every accessor works on what the session accepted.
                    let _ = u.announced().count() + u.withdrawn().count();
                    let _ = u.update().attributes().count();
                    let _ = u.error();
                }
                _ => {}
            }
        }
        if self.session.direction().is_none() {
            // The session drops a connection only with a Disconnect (seen
            // above) or when told it closed.
            assert!(!self.connected, "connection dropped without Disconnect");
        }
        // Output after a close: nothing until the next connection.
        if !self.connected {
            assert!(self.session.poll_transmit(&mut Vec::new()).is_none());
        }
    }
}

/// The fuzz entry point: configuration octets, then operations, in virtual
/// time starting at `epoch` (the fuzz target, which owns the clock, passes
/// it in: this crate never reads one).
pub fn fsm_sequence(data: &[u8], epoch: Instant) {
    let (mut d, ops) = Driver::new(data, epoch);
    d.run(ops);
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests take one epoch from the clock
mod tests {
    use super::*;

    /// The prefix the property tests use does reach Established.
    #[test]
    fn scripted_prefix_establishes() {
        let data = [0, 0, 0, 0, 3, 1, 0, 3, 0, 11, 0b1011, 4, 12];
        let (mut d, ops) = Driver::new(&data, Instant::now());
        d.run(ops);
        assert_eq!(d.session.state(), StateKind::Established);
        let n = d.session.negotiated().unwrap();
        assert_eq!(n.hold_time, 90);
        assert!(n.route_refresh);
    }
}

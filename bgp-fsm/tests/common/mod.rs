//! A two-session harness in virtual time: two `Session`s joined by an
//! in-memory TCP "connection" that delays bytes and re-chunks them at
//! random (after quinn-proto's `tests/util.rs` `Pair`).
//!
//! The harness is the I/O layer: it turns `Event::Connect` into a
//! connection (or a refusal), `Event::Disconnect` into a close (delivering
//! what was already sent, then `handle_closed` on the other side), delivers
//! bytes in random pieces through `handle_input`, and advances a virtual
//! clock to the next deadline when nothing is in flight.
#![allow(clippy::disallowed_methods, dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bgp_fsm::{Event, Session, SessionConfig, StateKind};
use bgp_wire::codepoint::MessageType;
use bgp_wire::{Notification, SessionContext, frame};
use bytes::BytesMut;

/// SplitMix64, for chunk sizes.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// One side: the session and what its I/O layer saw.
pub struct Node {
    pub session: Session,
    pub inbox: BytesMut,
    /// Every event, with the time it was polled.
    pub events: Vec<(Instant, Event)>,
    /// Every message sent, by type, with the time it was handed out.
    pub sent: Vec<(Instant, MessageType)>,
    /// Every NOTIFICATION sent.
    pub notifications: Vec<Notification>,
    /// Times of `Event::Connect`.
    pub connects: Vec<Instant>,
}

impl Node {
    fn new(session: Session) -> Self {
        Self {
            session,
            inbox: BytesMut::new(),
            events: Vec::new(),
            sent: Vec::new(),
            notifications: Vec::new(),
            connects: Vec::new(),
        }
    }

    pub fn state(&self) -> StateKind {
        self.session.state()
    }

    /// Events matching `f`, in order.
    pub fn find<'a, T>(&'a self, f: impl Fn(&'a Event) -> Option<T> + 'a) -> Vec<T> {
        self.events.iter().filter_map(|(_, e)| f(e)).collect()
    }

    pub fn count_sent(&self, ty: MessageType) -> usize {
        self.sent.iter().filter(|(_, t)| *t == ty).count()
    }
}

/// Bytes in flight one way, each chunk with its arrival time.
#[derive(Default)]
struct Pipe {
    q: VecDeque<(Instant, Vec<u8>)>,
}

/// The TCP connection between the two nodes.
struct Link {
    /// A's bytes to B, and B's to A.
    ab: Pipe,
    ba: Pipe,
}

pub struct Pair {
    pub a: Node,
    pub b: Node,
    pub epoch: Instant,
    pub now: Instant,
    pub rng: Rng,
    /// Pieces handed to `handle_input` are 1..=max_chunk octets.
    pub max_chunk: usize,
    pub latency: Duration,
    /// When false, bytes vanish in both directions (a silent failure).
    pub network_up: bool,
    link: Option<Link>,
}

pub fn config(id: u8, asn: u32, peer: u32) -> SessionConfig {
    let mut c = SessionConfig::new(asn, Some(peer), Ipv4Addr::new(10, 0, 0, id));
    c.rng_seed = u64::from(id) * 7919;
    c.connect_retry_time = Duration::from_secs(30);
    c
}

/// A's default config (AS 65001, id 10.0.0.1) and B's (AS 65002, 10.0.0.2).
pub fn configs() -> (SessionConfig, SessionConfig) {
    (config(1, 65001, 65002), config(2, 65002, 65001))
}

impl Pair {
    pub fn new(a: SessionConfig, b: SessionConfig, seed: u64) -> Self {
        let epoch = Instant::now();
        Self {
            a: Node::new(Session::new(a)),
            b: Node::new(Session::new(b)),
            epoch,
            now: epoch,
            rng: Rng::new(seed),
            max_chunk: 64,
            latency: Duration::from_millis(5),
            network_up: true,
            link: None,
        }
    }

    /// Seconds since the epoch.
    pub fn secs(&self) -> f64 {
        self.now.duration_since(self.epoch).as_secs_f64()
    }

    pub fn start_both(&mut self) {
        let now = self.now;
        self.a.session.start(now);
        self.b.session.start(now);
        self.settle();
    }

    pub fn node(&mut self, a: bool) -> &mut Node {
        if a { &mut self.a } else { &mut self.b }
    }

    /// Puts raw bytes on the wire as if `from_a` had sent them.
    pub fn inject(&mut self, from_a: bool, bytes: &[u8]) {
        let at = self.now + self.latency;
        if let Some(l) = &mut self.link {
            let p = if from_a { &mut l.ab } else { &mut l.ba };
            p.q.push_back((at, bytes.to_vec()));
        }
    }

    pub fn connected(&self) -> bool {
        self.link.is_some()
    }

    /// Drops the connection without a NOTIFICATION: both sides see
    /// `handle_closed` (a crash, a cable cut noticed by TCP).
    pub fn cut(&mut self) {
        if self.link.take().is_some() {
            let now = self.now;
            self.a.session.handle_closed(now);
            self.b.session.handle_closed(now);
            self.settle();
        }
    }

    /// Polls both sessions until neither has output; acts on transport
    /// events.
    pub fn settle(&mut self) {
        loop {
            let mut progress = false;
            for is_a in [true, false] {
                progress |= self.drain(is_a);
            }
            if !progress {
                return;
            }
        }
    }

    fn drain(&mut self, is_a: bool) -> bool {
        let now = self.now;
        let mut progress = false;
        let mut buf = Vec::new();
        let node = self.node(is_a);
        if node.session.poll_transmit(&mut buf).is_some() {
            progress = true;
            let mut rest = &buf[..];
            while let Ok(Some(f)) = frame(rest, 65535) {
                node.sent.push((now, f.ty));
                if f.ty == MessageType::NOTIFICATION {
                    node.notifications
                        .push(Notification::parse(&rest[19..f.len]).expect("our NOTIFICATION"));
                }
                rest = &rest[f.len..];
            }
            assert!(
                rest.is_empty(),
                "poll_transmit handed out a partial message"
            );
            let at = now + self.latency;
            let up = self.network_up;
            if let (Some(l), true) = (&mut self.link, up) {
                let p = if is_a { &mut l.ab } else { &mut l.ba };
                p.q.push_back((at, buf));
            }
        }
        while let Some(ev) = self.node(is_a).session.poll_event() {
            progress = true;
            match &ev {
                Event::Connect => {
                    self.node(is_a).connects.push(now);
                    self.node(is_a).events.push((now, ev));
                    self.connect(is_a);
                    continue;
                }
                Event::Disconnect(_) => self.disconnect(is_a),
                _ => {}
            }
            self.node(is_a).events.push((now, ev));
        }
        progress
    }

    fn connect(&mut self, from_a: bool) {
        let now = self.now;
        if self.link.is_some() {
            // One connection at a time: a second attempt finds the port busy.
            if self.node(from_a).session.direction().is_none() {
                self.node(from_a).session.handle_connect_failed(now);
            }
            return;
        }
        let listening = matches!(
            self.node(!from_a).state(),
            StateKind::Connect | StateKind::Active
        ) && self.node(!from_a).session.direction().is_none();
        if listening && self.network_up {
            self.link = Some(Link {
                ab: Pipe::default(),
                ba: Pipe::default(),
            });
            self.node(from_a).inbox.clear();
            self.node(!from_a).inbox.clear();
            self.node(from_a).session.handle_connected(now);
            self.node(!from_a).session.handle_accepted(now);
        } else {
            self.node(from_a).session.handle_connect_failed(now);
        }
    }

    fn disconnect(&mut self, by_a: bool) {
        let Some(mut l) = self.link.take() else {
            return;
        };
        if !self.network_up {
            // Neither the data nor the FIN gets through.
            return;
        }
        // What was already sent arrives, then the close.
        let p = if by_a { &mut l.ab } else { &mut l.ba };
        let bytes: Vec<u8> = p.q.drain(..).flat_map(|(_, b)| b).collect();
        let now = self.now;
        let other = self.node(!by_a);
        other.inbox.extend_from_slice(&bytes);
        other.session.handle_input(now, &mut other.inbox);
        other.session.handle_closed(now);
    }

    /// Delivers every chunk due, in random pieces. Returns whether any was.
    fn deliver(&mut self) -> bool {
        let now = self.now;
        let mut any = false;
        for to_a in [false, true] {
            loop {
                let Some(l) = &mut self.link else {
                    return any;
                };
                let p = if to_a { &mut l.ba } else { &mut l.ab };
                if p.q.front().is_none_or(|(t, _)| *t > now) {
                    break;
                }
                let (_, bytes) = p.q.pop_front().expect("checked");
                any = true;
                let mut at = 0;
                while at < bytes.len() {
                    let n = 1 + self.rng.below(self.max_chunk);
                    let end = (at + n).min(bytes.len());
                    let node = self.node(to_a);
                    node.inbox.extend_from_slice(&bytes[at..end]);
                    node.session.handle_input(now, &mut node.inbox);
                    at = end;
                    self.settle();
                    if self.link.is_none() {
                        break;
                    }
                }
            }
        }
        any
    }

    /// One step: deliver what is due, or advance the clock to the next
    /// deadline or arrival (at most to `limit`) and fire timers.
    pub fn step(&mut self, limit: Instant) {
        self.settle();
        if self.deliver() {
            return;
        }
        let arrivals = self.link.as_ref().and_then(|l| {
            [l.ab.q.front(), l.ba.q.front()]
                .into_iter()
                .flatten()
                .map(|(t, _)| *t)
                .min()
        });
        let next = [
            arrivals,
            self.a.session.poll_timeout(),
            self.b.session.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(limit)
        .min(limit)
        .max(self.now);
        self.now = next;
        let now = self.now;
        self.a.session.handle_timeout(now);
        self.b.session.handle_timeout(now);
        self.settle();
    }

    /// Steps until `done` holds or `max` of virtual time has passed; returns
    /// whether `done` held.
    pub fn run_until(&mut self, max: Duration, mut done: impl FnMut(&Self) -> bool) -> bool {
        let limit = self.now + max;
        loop {
            if done(self) {
                return true;
            }
            if self.now >= limit {
                return false;
            }
            self.step(limit);
        }
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) {
        let limit = self.now + d;
        while self.now < limit {
            self.step(limit);
        }
        self.settle();
    }

    pub fn both_established(&self) -> bool {
        self.a.state() == StateKind::Established && self.b.state() == StateKind::Established
    }

    /// Starts both and runs until Established; panics otherwise.
    pub fn establish(&mut self) {
        self.start_both();
        assert!(
            self.run_until(Duration::from_secs(600), Self::both_established),
            "not established: A {:?}, B {:?}",
            self.a.state(),
            self.b.state()
        );
    }
}

/// The context raw test UPDATEs are built for (4-octet AS, no ADD-PATH).
pub fn ctx() -> SessionContext {
    SessionContext::default()
}

//! `bgp-fsm`: the BGP-4 session state machine of [RFC 4271 §8], sans-IO.
//!
//! One [`Session`] per peer takes TCP events, received bytes and the current
//! time from its user and hands back bytes to send, the next deadline and
//! [`Event`]s.
//!
//! # Sans-IO
//! This crate opens no socket, spawns no thread, has no async and reads no
//! clock: every time-dependent input takes `now: Instant` (`Instant::now` is
//! banned by the workspace's `clippy.toml`). The only randomness, the jitter
//! of [RFC 4271 §10], comes from a generator seeded by
//! [`SessionConfig::rng_seed`]. So the same inputs always give the same
//! outputs, and tests run in virtual time.
//!
//! # What it does
//! * The six states and the events of RFC 4271 §8: manual and automatic
//!   start and stop, passive mode, TCP events, messages, timers
//!   (ConnectRetry with jitter, Hold, Keepalive, DelayOpen, IdleHold with
//!   exponential backoff).
//! * OPEN checks with the right NOTIFICATION ([`OpenCheckError`]) and
//!   capability negotiation into [`Negotiated`], which exists only while
//!   Established and yields bgp-wire's [`SessionContext`](bgp_wire::SessionContext).
//! * UPDATEs validated once by bgp-wire and handed out as
//!   [`UpdateEvent`]s with the [RFC 7606] action applied: treat-as-withdraw
//!   lists the announced prefixes as withdrawn and keeps the session; a
//!   session reset sends its NOTIFICATION and closes.
//! * Collision detection ([`collision`], RFC 4271 §6.8), graceful restart and
//!   long-lived graceful restart on the receiving side ([RFC 4724], [RFC 9494])
//!   and the restart bit on the restarting side, maximum prefixes
//!   ([RFC 4486]), administrative shutdown with a communication ([RFC 9003]),
//!   Hard Reset ([RFC 8538]), and [`Stats`].
//!
//! # The run loop
//! Every input (a `handle_*` call or a command) is followed by draining the
//! outputs: first [`poll_transmit`](Session::poll_transmit) (write the bytes
//! out), then [`poll_event`](Session::poll_event) until `None` (act on
//! each; [`Event::Connect`] and [`Event::Disconnect`] are the transport
//! instructions), then [`poll_timeout`](Session::poll_timeout) (call
//! [`handle_timeout`](Session::handle_timeout) at that instant). Here two
//! sessions talk over an in-memory "wire":
//!
//! ```
//! use std::net::Ipv4Addr;
//! use std::time::{Duration, Instant};
//!
//! use bgp_fsm::{Event, Session, SessionConfig, StateKind};
//! use bgp_wire::attr::{AsPathBuf, NextHop, Origin, PathAttribute};
//! use bgp_wire::{Family, Nlri, UpdateBuilder};
//! use bytes::BytesMut;
//!
//! /// One side: a session and what its I/O layer would hold.
//! struct Side {
//!     session: Session,
//!     inbox: BytesMut,      // bytes read from the socket, not yet consumed
//!     routes: Vec<String>,  // what the user learned
//! }
//!
//! /// Drain one session after an input: bytes, then events, then the deadline.
//! fn drain(side: &mut Side, wire: &mut Vec<u8>, connect: &mut bool) -> Option<Instant> {
//!     let _ = side.session.poll_transmit(wire); // "write to the socket"
//!     while let Some(event) = side.session.poll_event() {
//!         match event {
//!             Event::Connect => *connect = true, // open a TCP connection
//!             Event::Disconnect(_) => {}         // close it (after writing `wire`)
//!             Event::Update(u) => {
//!                 for (_family, nlri) in u.announced() {
//!                     side.routes.push(nlri.to_string());
//!                 }
//!             }
//!             _ => {}
//!         }
//!     }
//!     side.session.poll_timeout()
//! }
//!
//! let epoch = Instant::now(); // the I/O layer reads the clock, never the session
//! let config = |id, asn, peer| {
//!     let mut c = SessionConfig::new(asn, Some(peer), Ipv4Addr::new(192, 0, 2, id));
//!     c.rng_seed = u64::from(id);
//!     c
//! };
//! let mut a = Side { session: Session::new(config(1, 65001, 65002)), inbox: BytesMut::new(), routes: vec![] };
//! let mut passive = config(2, 65002, 65001);
//! passive.passive = true;
//! let mut b = Side { session: Session::new(passive), inbox: BytesMut::new(), routes: vec![] };
//!
//! let (mut a_to_b, mut b_to_a) = (Vec::new(), Vec::new());
//! let mut connect = false;
//! a.session.start(epoch);
//! b.session.start(epoch);
//! drain(&mut a, &mut a_to_b, &mut connect);
//! drain(&mut b, &mut b_to_a, &mut false);
//! assert!(connect); // A asked for a connection; B listens.
//! a.session.handle_connected(epoch);
//! b.session.handle_accepted(epoch);
//!
//! let mut now = epoch;
//! for _ in 0..10 {
//!     let ta = drain(&mut a, &mut a_to_b, &mut connect);
//!     let tb = drain(&mut b, &mut b_to_a, &mut connect);
//!     if a_to_b.is_empty() && b_to_a.is_empty() {
//!         // Nothing in flight: sleep until the earliest deadline.
//!         now = [ta, tb].into_iter().flatten().min().unwrap_or(now);
//!         a.session.handle_timeout(now);
//!         b.session.handle_timeout(now);
//!     }
//!     // "Read from the socket": hand over whatever arrived.
//!     b.inbox.extend_from_slice(&a_to_b);
//!     a_to_b.clear();
//!     b.session.handle_input(now, &mut b.inbox);
//!     a.inbox.extend_from_slice(&b_to_a);
//!     b_to_a.clear();
//!     a.session.handle_input(now, &mut a.inbox);
//! }
//! assert_eq!(a.session.state(), StateKind::Established);
//! assert_eq!(b.session.state(), StateKind::Established);
//!
//! // A command: A announces a prefix, built for what the session negotiated.
//! let ctx = a.session.send_context().unwrap();
//! let attrs = [PathAttribute::Origin(Origin::Igp), PathAttribute::AsPath(AsPathBuf::sequence([65001]))];
//! let mut msg = Vec::new();
//! UpdateBuilder::new(ctx)
//!     .announce(Family::IPV4_UNICAST, &attrs, &NextHop::V4(Ipv4Addr::new(192, 0, 2, 1)),
//!               &[Nlri::new("198.51.100.0/24".parse().unwrap())], &mut msg)
//!     .unwrap();
//! a.session.send_update(now, &msg).unwrap();
//! drain(&mut a, &mut a_to_b, &mut connect);
//! b.inbox.extend_from_slice(&a_to_b);
//! b.session.handle_input(now + Duration::from_millis(1), &mut b.inbox);
//! drain(&mut b, &mut b_to_a, &mut connect);
//! assert_eq!(b.routes, ["198.51.100.0/24"]);
//! ```
//!
//! [RFC 4271 §8]: https://www.rfc-editor.org/rfc/rfc4271#section-8
//! [RFC 4271 §10]: https://www.rfc-editor.org/rfc/rfc4271#section-10
//! [RFC 7606]: https://www.rfc-editor.org/rfc/rfc7606
//! [RFC 4724]: https://www.rfc-editor.org/rfc/rfc4724
//! [RFC 9494]: https://www.rfc-editor.org/rfc/rfc9494
//! [RFC 4486]: https://www.rfc-editor.org/rfc/rfc4486
//! [RFC 9003]: https://www.rfc-editor.org/rfc/rfc9003
//! [RFC 8538]: https://www.rfc-editor.org/rfc/rfc8538
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod collision;
mod config;
mod event;
#[doc(hidden)]
pub mod fuzzing;
mod negotiate;
mod session;
mod state;
mod timer;

pub use bgp_wire;
pub use collision::{Survivor, detect_collision, resolve_collision};
pub use config::{GracefulRestart, MaxPrefix, SessionConfig};
pub use event::{CloseReason, Direction, Event, FlushReason, Routes, StateKind, UpdateEvent};
pub use negotiate::{Negotiated, OpenCheckError, PeerGracefulRestart};
pub use session::{MessageCounts, SendError, Session, Stats};
pub use timer::Timer;

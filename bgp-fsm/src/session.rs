//! [`Session`]: one BGP peer's state machine ([RFC 4271 §8]).
//!
//! [RFC 4271 §8]: https://www.rfc-editor.org/rfc/rfc4271#section-8

use std::collections::{HashSet, VecDeque};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bgp_wire::codepoint::{ErrorCode, MessageType, subcode};
use bgp_wire::header::HEADER_LEN;
use bgp_wire::message::KEEPALIVE;
use bgp_wire::notification::Notification;
use bgp_wire::open::OpenMessage;
use bgp_wire::route_refresh::{RouteRefresh, RouteRefreshSubtype};
use bgp_wire::update::UpdateBuf;
use bgp_wire::{Action, Family, FamilySet, SessionContext, frame};
use bytes::{Bytes, BytesMut};
use smallvec::SmallVec;

use crate::config::SessionConfig;
use crate::event::{CloseReason, Direction, Event, FlushReason, StateKind, UpdateEvent};
use crate::negotiate::{Negotiated, check_open, keepalive_interval, negotiated_hold_time};
use crate::state::{Established, OpenConfirm, PrefixCount, State};
use crate::timer::{Rng, Timer, TimerTable};

//----------- Session ---------------------------------------------------------

/// How many octets of complete messages an Established session frames before
/// validating them (a run ends with the message that crosses it): about
/// half of a small L1 data cache.
const RUN_LEN: usize = 16 * 1024;

/// The state machine of one BGP session ([RFC 4271 §8]).
///
/// A `Session` owns no socket and reads no clock. Its methods come in four
/// kinds, as in quinn-proto's `Connection`:
///
/// * **getters**: [`state`](Self::state), [`negotiated`](Self::negotiated),
///   [`stats`](Self::stats), [`uptime`](Self::uptime), …;
/// * **inputs**, `handle_*(now, …)`: TCP events
///   ([`handle_connected`](Self::handle_connected),
///   [`handle_accepted`](Self::handle_accepted),
///   [`handle_connect_failed`](Self::handle_connect_failed),
///   [`handle_closed`](Self::handle_closed)), received bytes
///   ([`handle_input`](Self::handle_input)) and time
///   ([`handle_timeout`](Self::handle_timeout));
/// * **commands**: [`start`](Self::start), [`stop`](Self::stop),
///   [`reset`](Self::reset), [`send_update`](Self::send_update),
///   [`send_end_of_rib`](Self::send_end_of_rib),
///   [`send_route_refresh`](Self::send_route_refresh);
/// * **outputs**: [`poll_transmit`](Self::poll_transmit),
///   [`poll_event`](Self::poll_event), [`poll_timeout`](Self::poll_timeout).
///
/// # The run loop
/// After every input or command, drain the outputs in this order:
/// 1. `poll_transmit` and write the bytes to the TCP connection;
/// 2. `poll_event` until `None`, acting on each event (an
///    [`Event::Disconnect`] comes after the bytes that must still be sent,
///    such as the closing NOTIFICATION, so writing them first matters);
/// 3. `poll_timeout`, and arrange to call `handle_timeout` then.
///
/// Commands issued while handling events produce more output: loop until all
/// three are drained. The crate documentation has a complete example.
///
/// # Time
/// Every input takes `now`. Time must not go backwards; a `now` earlier than
/// one already seen is taken as the latest seen. `handle_timeout` may be
/// called at any time: before a deadline it does nothing, and late calls
/// fire what is due.
///
/// [RFC 4271 §8]: https://www.rfc-editor.org/rfc/rfc4271#section-8
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    state: State,
    timers: TimerTable,
    rng: Rng,
    events: VecDeque<Event>,
    transmit: Vec<u8>,
    /// Started and not manually stopped: restart automatically after failures.
    auto_start: bool,
    /// The IdleHold time the next failure waits (doubles per failure).
    idle_hold: Duration,
    stale: SmallVec<[Stale; 4]>,
    stats: Stats,
    latest: Option<Instant>,
    /// A message arrived in Established during this `handle_input`.
    heard: bool,
}

/// The stale routes of one family of the peer (receiving speaker of
/// RFC 4724 / RFC 9494).
#[derive(Clone, Copy, Debug)]
struct Stale {
    family: Family,
    phase: StalePhase,
    deadline: Instant,
    /// The peer's long-lived stale time for the family, if it offered one.
    long_lived: Option<Duration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StalePhase {
    /// Session down, the peer's Restart Time running.
    Restart,
    /// Session down, the long-lived stale time running.
    LongLived,
    /// Session back; waiting for End-of-RIB.
    AwaitingEor,
}

/// What follows a close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Restart {
    /// Automatic restart after the IdleHold time, which grows per failure.
    Damped,
    /// Automatic restart after exactly this long.
    After(Duration),
    /// At once (administrative reset).
    Now,
    /// Not until the next manual start.
    Never,
}

/// # Construction
impl Session {
    /// A session in Idle. Nothing happens until [`start`](Self::start).
    pub fn new(config: SessionConfig) -> Self {
        let idle_hold = config.idle_hold_time;
        let rng = Rng::new(config.rng_seed);
        Self {
            config,
            state: State::Idle,
            timers: TimerTable::default(),
            rng,
            events: VecDeque::new(),
            transmit: Vec::new(),
            auto_start: false,
            idle_hold,
            stale: SmallVec::new(),
            stats: Stats::default(),
            latest: None,
            heard: false,
        }
    }
}

/// # Commands
impl Session {
    /// ManualStart ([RFC 4271 §8.1.2]): leave Idle for Connect (an
    /// [`Event::Connect`] asks for a TCP connection), or for Active when the
    /// session is [passive](SessionConfig::passive). Enables automatic
    /// restarts. Does nothing outside Idle.
    ///
    /// [RFC 4271 §8.1.2]: https://www.rfc-editor.org/rfc/rfc4271#section-8.1.2
    pub fn start(&mut self, now: Instant) {
        let now = self.clock(now);
        if !matches!(self.state, State::Idle) {
            return;
        }
        self.auto_start = true;
        self.idle_hold = self.config.idle_hold_time;
        self.timers.stop(Timer::IdleHold);
        self.begin(now);
    }

    /// ManualStop ([RFC 4271 §8.1.2]) with an Administrative Shutdown and a
    /// Shutdown Communication ([RFC 9003]; `""` for none, longer text is cut
    /// at 255 octets). Sent as a Hard Reset when the session negotiated
    /// [RFC 8538]. The session goes to Idle and stays there until the next
    /// [`start`](Self::start).
    ///
    /// [RFC 4271 §8.1.2]: https://www.rfc-editor.org/rfc/rfc4271#section-8.1.2
    /// [RFC 9003]: https://www.rfc-editor.org/rfc/rfc9003
    /// [RFC 8538]: https://www.rfc-editor.org/rfc/rfc8538
    pub fn stop(&mut self, now: Instant, communication: &str) {
        let now = self.clock(now);
        self.auto_start = false;
        self.timers.stop(Timer::IdleHold);
        let n = Notification::shutdown(subcode::Cease::ADMINISTRATIVE_SHUTDOWN, communication);
        self.close_administratively(now, n, true, Restart::Never);
    }

    /// Administrative Reset ([RFC 4486], with a [RFC 9003] communication):
    /// close the connection and start again at once. `hard` sends it as a
    /// Hard Reset when [RFC 8538] was negotiated (the peer then drops our
    /// routes instead of keeping them stale). From Idle this is a start.
    ///
    /// [RFC 4486]: https://www.rfc-editor.org/rfc/rfc4486
    /// [RFC 9003]: https://www.rfc-editor.org/rfc/rfc9003
    /// [RFC 8538]: https://www.rfc-editor.org/rfc/rfc8538
    pub fn reset(&mut self, now: Instant, communication: &str, hard: bool) {
        let now = self.clock(now);
        self.auto_start = true;
        if matches!(self.state, State::Idle) {
            self.timers.stop(Timer::IdleHold);
            self.begin(now);
            return;
        }
        let n = Notification::shutdown(subcode::Cease::ADMINISTRATIVE_RESET, communication);
        self.close_administratively(now, n, hard, Restart::Now);
    }

    /// Closes because another connection to the same peer won the collision
    /// ([RFC 4271 §6.8]): Cease / Connection Collision Resolution (6/7). The
    /// session does not restart; drop it. See [`crate::collision`].
    ///
    /// [RFC 4271 §6.8]: https://www.rfc-editor.org/rfc/rfc4271#section-6.8
    pub fn close_for_collision(&mut self, now: Instant) {
        let now = self.clock(now);
        self.auto_start = false;
        let n = Notification::new(
            ErrorCode::CEASE,
            subcode::Cease::CONNECTION_COLLISION.0,
            Vec::new(),
        );
        self.close_administratively(now, n, false, Restart::Never);
    }

    /// Sends one or more whole UPDATE messages (header included), as
    /// [`UpdateBuilder`](bgp_wire::UpdateBuilder) writes them under
    /// [`send_context`](Self::send_context). Restarts the keepalive timer.
    pub fn send_update(&mut self, now: Instant, messages: &[u8]) -> Result<(), SendError> {
        let now = self.clock(now);
        let State::Established(est) = &self.state else {
            return Err(SendError::NotEstablished);
        };
        let max = est.negotiated.max_message_len();
        let mut rest = messages;
        let mut count = 0u64;
        while !rest.is_empty() {
            match frame(rest, max) {
                Ok(Some(f)) if f.ty == MessageType::UPDATE => {
                    rest = &rest[f.len..];
                    count += 1;
                }
                _ => return Err(SendError::Malformed),
            }
        }
        self.transmit.extend_from_slice(messages);
        self.stats.sent.update += count;
        self.restart_keepalive(now);
        Ok(())
    }

    /// Sends End-of-RIB for a negotiated family ([RFC 4724 §2]): an empty
    /// UPDATE for IPv4 unicast, an empty MP_UNREACH_NLRI for the others.
    ///
    /// [RFC 4724 §2]: https://www.rfc-editor.org/rfc/rfc4724#section-2
    pub fn send_end_of_rib(&mut self, now: Instant, family: Family) -> Result<(), SendError> {
        let msg = end_of_rib(family);
        match &self.state {
            State::Established(e) if !e.negotiated.families.contains(family) => {
                Err(SendError::FamilyNotNegotiated(family))
            }
            _ => self.send_update(now, &msg),
        }
    }

    /// Sends a ROUTE-REFRESH for a negotiated family: a refresh request
    /// ([RFC 2918]), or BoRR / EoRR around a re-advertisement when enhanced
    /// route refresh was negotiated ([RFC 7313 §4]).
    ///
    /// [RFC 2918]: https://www.rfc-editor.org/rfc/rfc2918
    /// [RFC 7313 §4]: https://www.rfc-editor.org/rfc/rfc7313#section-4
    pub fn send_route_refresh(
        &mut self,
        now: Instant,
        family: Family,
        subtype: RouteRefreshSubtype,
    ) -> Result<(), SendError> {
        let _ = self.clock(now);
        let State::Established(est) = &self.state else {
            return Err(SendError::NotEstablished);
        };
        let n = &est.negotiated;
        if !n.route_refresh && !n.enhanced_route_refresh {
            return Err(SendError::NotNegotiated("route refresh"));
        }
        if subtype != RouteRefreshSubtype::NORMAL && !n.enhanced_route_refresh {
            return Err(SendError::NotNegotiated("enhanced route refresh"));
        }
        if !n.families.contains(family) {
            return Err(SendError::FamilyNotNegotiated(family));
        }
        let max = n.max_message_len();
        RouteRefresh::with_subtype(family, subtype)
            .emit(&mut self.transmit, max)
            .map_err(|_| SendError::Malformed)?;
        self.stats.sent.route_refresh += 1;
        Ok(())
    }

    /// Sets or clears the Restart State (R) bit of the graceful-restart
    /// capability in our next OPENs: set it after our own restart
    /// ([RFC 4724 §4.1](https://www.rfc-editor.org/rfc/rfc4724#section-4.1)).
    pub fn set_restarting(&mut self, restarting: bool) {
        if let Some(gr) = &mut self.config.graceful_restart {
            gr.restarting = restarting;
        }
    }

    /// The configuration, to change; changes apply from the next connection.
    pub fn config_mut(&mut self) -> &mut SessionConfig {
        &mut self.config
    }
}

/// # Inputs
impl Session {
    /// Our outgoing TCP connection is up (RFC 4271 events 16/17,
    /// Tcp_CR_Acked). Sends our OPEN, or starts the DelayOpen timer. In Idle
    /// the connection is refused ([`Event::Disconnect`]); in OpenSent and
    /// later the call is ignored (a second connection to the same peer
    /// needs its own `Session`; see [`crate::collision`]).
    pub fn handle_connected(&mut self, now: Instant) {
        let now = self.clock(now);
        self.tcp_up(now, Direction::Outbound);
    }

    /// The peer connected to us and the connection is handed to this
    /// session (RFC 4271 event 17, TcpConnectionConfirmed). As
    /// [`handle_connected`](Self::handle_connected); in Connect our own
    /// pending attempt is then to be abandoned.
    pub fn handle_accepted(&mut self, now: Instant) {
        let now = self.clock(now);
        self.tcp_up(now, Direction::Inbound);
    }

    /// Our outgoing connection attempt failed (RFC 4271 event 18). The
    /// session waits in Active, accepting the peer's connection, until the
    /// ConnectRetry timer tries again. (RFC 4271 goes to Idle here; waiting
    /// in Active is what deployed speakers do, and the retry is the same.)
    pub fn handle_connect_failed(&mut self, now: Instant) {
        let now = self.clock(now);
        match self.state {
            State::Connect { conn: None } => {
                self.set_state(State::Active { conn: None });
                self.arm_connect_retry(now);
            }
            State::Active { conn: None } | State::Idle => {}
            _ => self.handle_closed(now),
        }
    }

    /// The TCP connection closed or failed (RFC 4271 event 18,
    /// TcpConnectionFails). Before the OPEN exchange completes the session
    /// waits in Active; after it, the session goes to Idle and, if it was
    /// Established, reports [`Event::Down`].
    pub fn handle_closed(&mut self, now: Instant) {
        let now = self.clock(now);
        match self.state {
            State::Idle | State::Connect { conn: None } | State::Active { conn: None } => {}
            State::Connect { conn: Some(_) }
            | State::Active { conn: Some(_) }
            | State::OpenSent { .. } => {
                self.timers.stop_all();
                self.set_state(State::Active { conn: None });
                self.arm_connect_retry(now);
            }
            State::OpenConfirm(_) | State::Established(_) => {
                self.close(
                    now,
                    CloseReason::ConnectionClosed,
                    None,
                    false,
                    Restart::Damped,
                );
            }
        }
    }

    /// Bytes received on the TCP connection: `input` holds them, in any
    /// chunking. Every complete message at its front is consumed (split off,
    /// not copied: UPDATE events share the buffer); a trailing partial
    /// message stays in `input` for the next call. When the connection
    /// closes (an error, a NOTIFICATION) the rest of `input` is discarded;
    /// without a connection everything is.
    pub fn handle_input(&mut self, now: Instant, input: &mut BytesMut) {
        let now = self.clock(now);
        self.read_messages(now, input);
        // Every message restarts the hold timer; all of them arrived at `now`.
        if std::mem::take(&mut self.heard) {
            if let State::Established(e) = &self.state {
                let h = e.negotiated.hold_time;
                self.restart_hold(now, h);
            }
        }
    }

    fn read_messages(&mut self, now: Instant, input: &mut BytesMut) {
        loop {
            if self.state.connection().is_none() {
                input.clear();
                return;
            }
            if let State::Established(e) = &self.state {
                // The hot path: frame a run of complete messages, split it
                // off once, and hand out slices of it. A run stops after
                // `RUN_LEN` octets, so that its bytes are still in the L1
                // cache when they are validated after framing.
                let max = e.negotiated.max_message_len();
                let mut end = 0;
                let mut error = None;
                while end < RUN_LEN {
                    match frame(&input[end..], max) {
                        Ok(Some(f)) => end += f.len,
                        Ok(None) => break,
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    }
                }
                if end > 0 {
                    let run = input.split_to(end).freeze();
                    self.established_run(now, &run);
                    // The error (if any) is met again at the front.
                    continue;
                }
                match error {
                    None => return,
                    Some(e) => {
                        let n = e.notification();
                        self.close_with(now, n);
                        continue;
                    }
                }
            }
            let max = bgp_wire::header::MAX_MESSAGE_LEN;
            match frame(input, max) {
                Ok(None) => return,
                Ok(Some(f)) => {
                    let msg = input.split_to(f.len);
                    self.on_message(now, f.ty, &msg);
                }
                Err(e) => {
                    let n = e.notification();
                    self.close_with(now, n);
                }
            }
        }
    }

    /// Complete messages framed in Established, back to back in `run`.
    /// Stops at the first that ends the session (the rest is discarded, as
    /// is the rest of the input).
    fn established_run(&mut self, now: Instant, run: &Bytes) {
        let mut at = 0;
        while let Some(head) = run.get(at..at + HEADER_LEN) {
            let len = usize::from(u16::from_be_bytes([head[16], head[17]]));
            let ty = MessageType(head[18]);
            let start = at;
            at += len;
            if ty == MessageType::UPDATE {
                self.stats.received.update += 1;
                self.on_update(now, run.slice(start + HEADER_LEN..at));
            } else {
                self.on_message(now, ty, &run[start..at]);
            }
            // Every way out of Established closes the connection (to Idle).
            if !matches!(self.state, State::Established(_)) {
                debug_assert!(self.state.connection().is_none());
                return;
            }
        }
    }
    /// Time passed: fires every timer due at `now`. Before the next deadline
    /// this does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.clock(now);
        for t in Timer::VALUES {
            if self.timers.is_expired(t, now) {
                self.timers.stop(t);
                self.on_timer(now, t);
            }
        }
        self.stale_timers(now);
    }
}

/// # Outputs
impl Session {
    /// Appends the bytes to send to `buf` and returns how many, or `None`
    /// when there are none. One call hands out everything pending.
    #[must_use]
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> Option<usize> {
        if self.transmit.is_empty() {
            return None;
        }
        let n = self.transmit.len();
        if buf.is_empty() {
            std::mem::swap(buf, &mut self.transmit);
        } else {
            buf.extend_from_slice(&self.transmit);
            self.transmit.clear();
        }
        Some(n)
    }

    /// The next event, in the order they happened.
    #[must_use]
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next; `None`
    /// when no timer runs.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let stale = self.stale.iter().map(|s| s.deadline).min();
        match (self.timers.next_timeout(), stale) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// # Getters
impl Session {
    /// The current state.
    pub const fn state(&self) -> StateKind {
        self.state.kind()
    }

    /// What was negotiated; `Some` only in Established.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        match &self.state {
            State::Established(e) => Some(&e.negotiated),
            _ => None,
        }
    }

    /// The bgp-wire context for what the peer sends; `Some` only in Established.
    pub fn receive_context(&self) -> Option<SessionContext> {
        self.negotiated().map(Negotiated::receive_context)
    }

    /// The bgp-wire context for building what we send (with
    /// [`UpdateBuilder`](bgp_wire::UpdateBuilder)); `Some` only in Established.
    pub fn send_context(&self) -> Option<SessionContext> {
        self.negotiated().map(Negotiated::send_context)
    }

    /// The configuration.
    pub const fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Counters.
    pub const fn stats(&self) -> &Stats {
        &self.stats
    }

    /// How long the session has been Established.
    pub fn uptime(&self, now: Instant) -> Option<Duration> {
        match &self.state {
            State::Established(e) => Some(now.saturating_duration_since(e.since)),
            _ => None,
        }
    }

    /// Who opened the current TCP connection, if there is one.
    pub const fn direction(&self) -> Option<Direction> {
        self.state.connection()
    }

    /// The peer's BGP Identifier, once its OPEN arrived (OpenConfirm and
    /// Established).
    pub fn peer_bgp_id(&self) -> Option<Ipv4Addr> {
        match &self.state {
            State::OpenConfirm(s) => Some(s.peer.bgp_id),
            State::Established(e) => Some(e.negotiated.peer_id),
            _ => None,
        }
    }

    /// The peer's AS, once its OPEN arrived.
    pub fn peer_as(&self) -> Option<u32> {
        match &self.state {
            State::OpenConfirm(s) => Some(s.peer.asn()),
            State::Established(e) => Some(e.negotiated.peer_as),
            _ => None,
        }
    }

    /// Families whose routes from the peer are currently stale (graceful
    /// restart, receiving side).
    pub fn stale_families(&self) -> FamilySet {
        self.stale.iter().map(|s| s.family).collect()
    }

    /// Families disabled by RFC 7606 on this session.
    pub fn disabled_families(&self) -> FamilySet {
        match &self.state {
            State::Established(e) => e.disabled,
            _ => FamilySet::EMPTY,
        }
    }

    /// The distinct prefixes the peer has announced in `family` and not
    /// withdrawn, for families with a [maximum-prefix limit](SessionConfig::max_prefixes)
    /// (the only ones counted); `None` otherwise or outside Established.
    pub fn prefix_count(&self, family: Family) -> Option<usize> {
        match &self.state {
            State::Established(e) => e
                .counts
                .iter()
                .find(|c| c.family == family)
                .map(|c| c.prefixes.len()),
            _ => None,
        }
    }

    /// The IdleHold time the next failure will wait before restarting.
    pub const fn next_idle_hold(&self) -> Duration {
        self.idle_hold
    }

    /// Whether a deadline is armed for the current state, as the state
    /// requires: the ConnectRetry or DelayOpen timer in Connect (and Active
    /// unless passive), the hold timer from OpenSent on (unless the
    /// negotiated hold time is 0), the IdleHold timer in Idle when an
    /// automatic restart is due. For tests and assertions.
    pub fn deadline_armed_as_required(&self) -> bool {
        let t = |timer| self.timers.get(timer).is_some();
        match &self.state {
            State::Idle => true,
            State::Connect { conn: None } => t(Timer::ConnectRetry),
            State::Active { conn: None } => self.config.passive || t(Timer::ConnectRetry),
            State::Connect { conn: Some(_) } | State::Active { conn: Some(_) } => {
                t(Timer::DelayOpen)
            }
            State::OpenSent { .. } => t(Timer::Hold),
            State::OpenConfirm(s) => s.hold_time == 0 || (t(Timer::Hold) && t(Timer::Keepalive)),
            State::Established(e) => {
                e.negotiated.hold_time == 0 || (t(Timer::Hold) && t(Timer::Keepalive))
            }
        }
    }
}

//----------- Internals -------------------------------------------------------

impl Session {
    /// Time never goes backwards.
    fn clock(&mut self, now: Instant) -> Instant {
        let now = match self.latest {
            Some(l) if l > now => l,
            _ => now,
        };
        self.latest = Some(now);
        now
    }

    fn set_state(&mut self, new: State) {
        let from = self.state.kind();
        let to = new.kind();
        self.state = new;
        if from != to {
            self.events.push_back(Event::StateChanged { from, to });
        }
    }

    /// ManualStart / AutomaticStart from Idle.
    fn begin(&mut self, now: Instant) {
        if self.config.passive {
            self.set_state(State::Active { conn: None });
        } else {
            self.set_state(State::Connect { conn: None });
            self.events.push_back(Event::Connect);
            self.arm_connect_retry(now);
        }
    }

    fn arm_connect_retry(&mut self, now: Instant) {
        if self.config.passive {
            self.timers.stop(Timer::ConnectRetry);
        } else {
            let d = self.rng.jitter(self.config.connect_retry_time);
            self.timers.set(Timer::ConnectRetry, now + d);
        }
    }

    fn restart_keepalive(&mut self, now: Instant) {
        let interval = match &self.state {
            State::Established(e) => e.negotiated.keepalive,
            State::OpenConfirm(s) => keepalive_interval(&self.config, s.hold_time),
            _ => None,
        };
        match interval {
            Some(k) => {
                let d = self.rng.jitter(k);
                self.timers.set(Timer::Keepalive, now + d);
            }
            None => self.timers.stop(Timer::Keepalive),
        }
    }

    fn restart_hold(&mut self, now: Instant, hold_time: u16) {
        if hold_time == 0 {
            self.timers.stop(Timer::Hold);
        } else {
            self.timers
                .set(Timer::Hold, now + Duration::from_secs(u64::from(hold_time)));
        }
    }

    fn send_open(&mut self) {
        // Our own OPEN always encodes: its capabilities come from typed
        // configuration. Should it not, the peer sees no OPEN and its hold
        // timer ends the attempt.
        if self.config.open_message().emit(&mut self.transmit).is_ok() {
            self.stats.sent.open += 1;
        }
    }

    fn send_keepalive(&mut self) {
        self.transmit.extend_from_slice(&KEEPALIVE);
        self.stats.sent.keepalive += 1;
    }

    fn tcp_up(&mut self, now: Instant, dir: Direction) {
        match self.state {
            State::Idle => {
                self.events
                    .push_back(Event::Disconnect(CloseReason::Refused));
            }
            State::Connect { conn: None } | State::Active { conn: None } => {
                // Bytes queued for an earlier connection are not this one's.
                self.transmit.clear();
                self.timers.stop(Timer::ConnectRetry);
                if let Some(d) = self.config.delay_open_time {
                    self.timers.set(Timer::DelayOpen, now + d);
                    let conn = Some(dir);
                    let s = match self.state {
                        State::Connect { .. } => State::Connect { conn },
                        _ => State::Active { conn },
                    };
                    self.set_state(s);
                } else {
                    self.send_open();
                    self.timers
                        .set(Timer::Hold, now + self.config.open_hold_time);
                    self.set_state(State::OpenSent { dir });
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, now: Instant, timer: Timer) {
        match timer {
            Timer::ConnectRetry => match self.state {
                State::Connect { conn: None } => {
                    self.events
                        .push_back(Event::Disconnect(CloseReason::ConnectRetryExpired));
                    self.events.push_back(Event::Connect);
                    self.arm_connect_retry(now);
                }
                State::Active { conn: None } if !self.config.passive => {
                    self.set_state(State::Connect { conn: None });
                    self.events.push_back(Event::Connect);
                    self.arm_connect_retry(now);
                }
                _ => {}
            },
            Timer::Hold => {
                if matches!(
                    self.state,
                    State::OpenSent { .. } | State::OpenConfirm(_) | State::Established(_)
                ) {
                    let n = Notification::new(ErrorCode::HOLD_TIMER_EXPIRED, 0, Vec::new());
                    self.close_with(now, n);
                }
            }
            Timer::Keepalive => {
                if matches!(self.state, State::OpenConfirm(_) | State::Established(_)) {
                    self.send_keepalive();
                    self.restart_keepalive(now);
                }
            }
            Timer::DelayOpen => {
                if let State::Connect { conn: Some(dir) } | State::Active { conn: Some(dir) } =
                    self.state
                {
                    self.send_open();
                    self.timers
                        .set(Timer::Hold, now + self.config.open_hold_time);
                    self.set_state(State::OpenSent { dir });
                }
            }
            Timer::IdleHold => {
                if matches!(self.state, State::Idle) && self.auto_start {
                    self.begin(now);
                }
            }
        }
    }

    /// One whole message, header included (UPDATEs in Established go
    /// straight to [`on_update`](Self::on_update)).
    fn on_message(&mut self, now: Instant, ty: MessageType, msg: &[u8]) {
        self.stats.received.count(ty);
        match ty {
            // In Established, `established_run` hands UPDATEs to `on_update`.
            MessageType::UPDATE => {
                debug_assert!(!matches!(self.state, State::Established(_)));
                self.fsm_error(now);
            }
            MessageType::KEEPALIVE => match &self.state {
                State::OpenConfirm(_) => self.establish(now),
                State::Established(_) => self.heard = true,
                _ => self.fsm_error(now),
            },
            MessageType::OPEN => {
                let delayed = matches!(
                    self.state,
                    State::Connect { conn: Some(_) } | State::Active { conn: Some(_) }
                );
                if !delayed && !matches!(self.state, State::OpenSent { .. }) {
                    self.fsm_error(now);
                    return;
                }
                let open = OpenMessage::parse(&msg[HEADER_LEN..]).map_err(Into::into);
                match open.and_then(|o| check_open(&self.config, &o).map(|()| o)) {
                    Err(e) => self.close_with(now, e.notification()),
                    Ok(open) => self.on_open(now, open, delayed),
                }
            }
            MessageType::NOTIFICATION => {
                let n = Notification::parse(&msg[HEADER_LEN..])
                    .unwrap_or_else(|_| Notification::new(ErrorCode(0), 0, Vec::new()));
                self.stats.last_error_received = Some(n.clone());
                let reason = CloseReason::NotificationReceived(n);
                let restart = self.failure_restart();
                self.close(now, reason, None, true, restart);
            }
            MessageType::ROUTE_REFRESH => {
                let State::Established(e) = &self.state else {
                    self.fsm_error(now);
                    return;
                };
                self.heard = true;
                match RouteRefresh::parse(&msg[HEADER_LEN..]) {
                    Err(err) => self.close_with(now, err.notification()),
                    Ok(rr) => {
                        let n = &e.negotiated;
                        let wanted = (n.route_refresh || n.enhanced_route_refresh)
                            && n.families.contains(rr.family)
                            && (rr.subtype == RouteRefreshSubtype::NORMAL
                                || (n.enhanced_route_refresh && rr.subtype.is_demarcation()));
                        // RFC 2918 §4, RFC 7313 §5: anything else is ignored.
                        if wanted {
                            self.events.push_back(Event::RouteRefresh(rr));
                        }
                    }
                }
            }
            // `frame` refuses every other type.
            _ => self.fsm_error(now),
        }
    }

    fn on_open(&mut self, now: Instant, peer: OpenMessage, delayed: bool) {
        let dir = self.state.connection().unwrap_or(Direction::Outbound);
        self.timers.stop(Timer::DelayOpen);
        self.timers.stop(Timer::ConnectRetry);
        if delayed {
            self.send_open();
        }
        self.send_keepalive();
        let hold_time = negotiated_hold_time(&self.config, &peer);
        self.set_state(State::OpenConfirm(OpenConfirm {
            dir,
            peer: Box::new(peer),
            hold_time,
        }));
        self.restart_hold(now, hold_time);
        self.restart_keepalive(now);
    }

    /// KEEPALIVE in OpenConfirm.
    fn establish(&mut self, now: Instant) {
        let State::OpenConfirm(oc) = std::mem::replace(&mut self.state, State::Idle) else {
            return;
        };
        let negotiated = Negotiated::new(&self.config, &oc.peer);
        let counts = self
            .config
            .max_prefixes
            .iter()
            .filter(|(f, _)| negotiated.families.contains(*f))
            .map(|&(family, limit)| PrefixCount {
                family,
                limit,
                prefixes: HashSet::new(),
                warned: false,
            })
            .collect();
        let hold = negotiated.hold_time;
        let est = Established {
            dir: oc.dir,
            rx: negotiated.receive_context(),
            negotiated,
            since: now,
            disabled: FamilySet::EMPTY,
            counts,
        };
        // `set_state` reports the change from OpenConfirm.
        self.state = State::OpenConfirm(oc);
        self.set_state(State::Established(Box::new(est)));
        self.restart_hold(now, hold);
        self.stats.established_transitions += 1;
        self.stats.established_at = Some(now);
        self.events.push_back(Event::Established);
        self.stale_on_established(now);
    }

    fn on_update(&mut self, now: Instant, body: Bytes) {
        let State::Established(est) = &mut self.state else {
            return;
        };
        self.heard = true;
        // Only a short UPDATE can be an End-of-RIB marker (RFC 4724 §2).
        let short = body.len() <= 16;
        match UpdateBuf::parse(body, &est.rx) {
            // The common case, with nothing to check, count or report first:
            // straight into the queue.
            Ok(buf) if !short && buf.action() == Action::None && est.counts.is_empty() => {
                let disabled = est.disabled;
                self.events
                    .push_back(Event::Update(UpdateEvent::new(buf, disabled)));
            }
            Ok(buf) => self.on_update_slow(now, buf, short),
            Err(e) => self.close_with(now, e.notification),
        }
    }

    #[cold]
    #[inline(never)]
    fn on_update_slow(&mut self, now: Instant, buf: UpdateBuf<Bytes>, short: bool) {
        let State::Established(est) = &mut self.state else {
            return;
        };
        let action = buf.action();
        if action != Action::None {
            self.stats.updates_with_errors += 1;
        }
        if action == Action::AfiSafiDisable {
            if let Some(err) = buf.view().error() {
                if let Some(family) = err.kind.family() {
                    if !est.disabled.contains(family) {
                        est.disabled.insert(family);
                        if let Some(c) = est.counts.iter_mut().find(|c| c.family == family) {
                            c.prefixes.clear();
                        }
                        self.events.push_back(Event::FamilyDisabled {
                            family,
                            error: err.kind,
                        });
                    }
                }
            }
        }
        if short && action <= Action::AttributeDiscard {
            if let Some(family) = buf.view().end_of_rib() {
                self.events.push_back(Event::EndOfRib(family));
                self.end_of_rib_received(family);
                return;
            }
        }
        let ev = UpdateEvent::new(buf, est.disabled);
        let mut exceeded = None;
        if !est.counts.is_empty() {
            exceeded = count_prefixes(&mut est.counts, &ev, &mut self.events);
        }
        self.events.push_back(Event::Update(ev));
        if let Some((family, limit)) = exceeded {
            self.max_prefix_close(now, family, limit);
        }
    }

    fn max_prefix_close(&mut self, now: Instant, family: Family, limit: crate::MaxPrefix) {
        // RFC 4486 §4: AFI, SAFI and the upper bound.
        let mut data = Vec::with_capacity(7);
        data.extend_from_slice(&family.afi.0.to_be_bytes());
        data.push(family.safi.0);
        data.extend_from_slice(&limit.limit.to_be_bytes());
        let n = Notification::new(ErrorCode::CEASE, subcode::Cease::MAX_PREFIXES.0, data);
        let hard = matches!(&self.state, State::Established(e) if e.negotiated.hard_reset);
        let n = if hard {
            Notification::hard_reset(&n)
        } else {
            n
        };
        let restart = match limit.restart {
            Some(d) => Restart::After(d),
            None => Restart::Never,
        };
        self.stats.last_error_sent = Some(n.clone());
        self.close(
            now,
            CloseReason::NotificationSent(n.clone()),
            Some(n),
            true,
            restart,
        );
    }

    /// RFC 6608: an unexpected message for the state.
    fn fsm_error(&mut self, now: Instant) {
        let sub = match self.state {
            State::OpenSent { .. } => subcode::Fsm::UNEXPECTED_IN_OPEN_SENT,
            State::OpenConfirm(_) => subcode::Fsm::UNEXPECTED_IN_OPEN_CONFIRM,
            State::Established(_) => subcode::Fsm::UNEXPECTED_IN_ESTABLISHED,
            _ => subcode::Fsm::UNSPECIFIED,
        };
        self.close_with(now, Notification::new(ErrorCode::FSM, sub.0, Vec::new()));
    }

    /// The restart after a failure: damped, unless automatic restarts are off.
    fn failure_restart(&self) -> Restart {
        if self.auto_start && self.config.automatic_restart {
            Restart::Damped
        } else {
            Restart::Never
        }
    }

    /// An error: send `n` and close, restarting after the IdleHold time.
    fn close_with(&mut self, now: Instant, n: Notification) {
        self.stats.last_error_sent = Some(n.clone());
        let restart = self.failure_restart();
        self.close(
            now,
            CloseReason::NotificationSent(n.clone()),
            Some(n),
            true,
            restart,
        );
    }

    /// Stop, reset, collision: a Cease, wrapped in a Hard Reset when asked
    /// and negotiated; without an OPEN sent, just drop the connection.
    fn close_administratively(
        &mut self,
        now: Instant,
        n: Notification,
        hard: bool,
        restart: Restart,
    ) {
        match &self.state {
            State::Idle => {
                if restart == Restart::Now {
                    self.begin(now);
                }
            }
            State::Connect { conn } | State::Active { conn } => {
                let reason = CloseReason::Stopped;
                if conn.is_some() || matches!(self.state, State::Connect { .. }) {
                    self.events.push_back(Event::Disconnect(reason.clone()));
                }
                self.timers.stop_all();
                self.transmit.clear();
                self.set_state(State::Idle);
                if restart == Restart::Now {
                    self.begin(now);
                }
            }
            State::OpenSent { .. } | State::OpenConfirm(_) | State::Established(_) => {
                let wrap =
                    hard && matches!(&self.state, State::Established(e) if e.negotiated.hard_reset);
                let n = if wrap {
                    Notification::hard_reset(&n)
                } else {
                    n
                };
                self.stats.last_error_sent = Some(n.clone());
                self.close(
                    now,
                    CloseReason::NotificationSent(n.clone()),
                    Some(n),
                    true,
                    restart,
                );
            }
        }
    }

    /// Ends the connection: sends `notification` if one is given (and a
    /// connection is up), asks the user to disconnect if `disconnect`,
    /// reports `Down` if the session was Established, goes to Idle and
    /// arranges the restart.
    fn close(
        &mut self,
        now: Instant,
        reason: CloseReason,
        notification: Option<Notification>,
        disconnect: bool,
        restart: Restart,
    ) {
        let connected = self.state.connection().is_some();
        if let (Some(n), true) = (&notification, connected) {
            let max = match &self.state {
                State::Established(e) => e.negotiated.max_message_len(),
                _ => bgp_wire::header::MAX_MESSAGE_LEN,
            };
            let mut n = n.clone();
            // A NOTIFICATION too long for the session loses data, not itself.
            n.data.truncate(max - HEADER_LEN - 2);
            if n.emit(&mut self.transmit, max).is_ok() {
                self.stats.sent.notification += 1;
            }
        }
        self.timers.stop_all();
        if disconnect && connected {
            self.events.push_back(Event::Disconnect(reason.clone()));
        }
        let mut stable = false;
        let mut down = None;
        if matches!(self.state, State::Established(_)) {
            if let State::Established(est) = std::mem::replace(&mut self.state, State::Idle) {
                let up = now.saturating_duration_since(est.since);
                stable = up >= self.config.idle_hold_reset_time;
                let stale = self.stale_on_down(now, &est, &reason);
                self.stats.flaps += 1;
                self.stats.established_at = None;
                // Put it back so that the change from Established is reported.
                self.state = State::Established(est);
                down = Some((reason, stale));
            }
        }
        self.set_state(State::Idle);
        if let Some((reason, stale)) = down {
            self.events.push_back(Event::Down { reason, stale });
            self.report_long_lived();
        }
        self.stats.connect_retry_count += 1;
        match restart {
            Restart::Damped => {
                if stable {
                    self.idle_hold = self.config.idle_hold_time;
                }
                let wait = self.idle_hold;
                self.idle_hold = (wait * 2).min(self.config.max_idle_hold_time.max(wait));
                self.timers.set(Timer::IdleHold, now + wait);
            }
            Restart::After(d) => self.timers.set(Timer::IdleHold, now + d),
            Restart::Now => self.begin(now),
            Restart::Never => self.auto_start = false,
        }
    }
}

/// # Graceful restart, receiving side ([RFC 4724 §4.2], [RFC 9494 §4])
///
/// [RFC 4724 §4.2]: https://www.rfc-editor.org/rfc/rfc4724#section-4.2
/// [RFC 9494 §4]: https://www.rfc-editor.org/rfc/rfc9494#section-4
impl Session {
    /// Which families' routes stay (stale) as the Established session ends.
    ///
    /// Graceful restart applies when both sides offered it and the session
    /// ended without a NOTIFICATION, or, with the N bit exchanged
    /// ([RFC 8538 §4](https://www.rfc-editor.org/rfc/rfc8538#section-4)),
    /// with any NOTIFICATION but a Hard Reset.
    fn stale_on_down(
        &mut self,
        now: Instant,
        est: &Established,
        reason: &CloseReason,
    ) -> FamilySet {
        let n = &est.negotiated;
        let graceful = match reason {
            CloseReason::ConnectionClosed => true,
            CloseReason::NotificationSent(x) | CloseReason::NotificationReceived(x) => {
                n.hard_reset
                    && !(x.code == ErrorCode::CEASE && x.subcode == subcode::Cease::HARD_RESET.0)
            }
            _ => false,
        };
        let Some(gr) = n.graceful_restart.as_ref().filter(|_| graceful) else {
            self.stale.clear();
            return FamilySet::EMPTY;
        };
        let mut kept = SmallVec::<[Stale; 4]>::new();
        for f in &gr.families {
            if !n.families.contains(f.family) || est.disabled.contains(f.family) {
                continue;
            }
            let long_lived = n
                .long_lived_gr
                .iter()
                .find(|l| l.family == f.family && l.stale_time > 0)
                .map(|l| Duration::from_secs(u64::from(l.stale_time)));
            let (phase, deadline) = if gr.restart_time > Duration::ZERO {
                (StalePhase::Restart, now + gr.restart_time)
            } else if let Some(t) = long_lived {
                (StalePhase::LongLived, now + t)
            } else {
                continue;
            };
            kept.push(Stale {
                family: f.family,
                phase,
                deadline,
                long_lived,
            });
        }
        self.stale = kept;
        self.stale_families()
    }

    /// Families that went straight to the long-lived phase (restart time 0).
    fn report_long_lived(&mut self) {
        for s in &self.stale {
            if s.phase == StalePhase::LongLived {
                self.events.push_back(Event::LongLivedStale {
                    family: s.family,
                    until: s.deadline,
                });
            }
        }
    }

    /// The peer is back: families it no longer preserves are flushed, the
    /// others wait for End-of-RIB.
    fn stale_on_established(&mut self, now: Instant) {
        let State::Established(est) = &self.state else {
            return;
        };
        let until = now + self.config.stale_routes_time;
        let n = &est.negotiated;
        let mut flushed = SmallVec::<[Family; 4]>::new();
        self.stale.retain(|s| {
            if n.families.contains(s.family) && n.peer_forwarding_preserved(s.family) {
                s.phase = StalePhase::AwaitingEor;
                s.deadline = until;
                true
            } else {
                flushed.push(s.family);
                false
            }
        });
        for family in flushed {
            self.events.push_back(Event::StaleRoutesFlush {
                family,
                reason: FlushReason::NotPreserved,
            });
        }
    }

    fn end_of_rib_received(&mut self, family: Family) {
        if let Some(i) = self
            .stale
            .iter()
            .position(|s| s.family == family && s.phase == StalePhase::AwaitingEor)
        {
            self.stale.remove(i);
            self.events.push_back(Event::StaleRoutesFlush {
                family,
                reason: FlushReason::EndOfRib,
            });
        }
    }

    fn stale_timers(&mut self, now: Instant) {
        let mut i = 0;
        while i < self.stale.len() {
            let s = self.stale[i];
            if s.deadline > now {
                i += 1;
                continue;
            }
            match (s.phase, s.long_lived) {
                (StalePhase::Restart, Some(t)) => {
                    let until = now + t;
                    self.stale[i].phase = StalePhase::LongLived;
                    self.stale[i].deadline = until;
                    self.events.push_back(Event::LongLivedStale {
                        family: s.family,
                        until,
                    });
                    i += 1;
                }
                (phase, _) => {
                    let reason = match phase {
                        StalePhase::Restart => FlushReason::RestartTimerExpired,
                        StalePhase::LongLived => FlushReason::LongLivedStaleExpired,
                        StalePhase::AwaitingEor => FlushReason::StaleTimerExpired,
                    };
                    self.stale.remove(i);
                    self.events.push_back(Event::StaleRoutesFlush {
                        family: s.family,
                        reason,
                    });
                }
            }
        }
    }
}

/// Updates the distinct-prefix counts with one UPDATE; reports a family
/// over its limit (a warning event for warning-only limits, else the
/// family to close for).
fn count_prefixes(
    counts: &mut [PrefixCount],
    ev: &UpdateEvent,
    events: &mut VecDeque<Event>,
) -> Option<(Family, crate::MaxPrefix)> {
    for (family, n) in ev.withdrawn() {
        if let Some(c) = counts.iter_mut().find(|c| c.family == family) {
            c.prefixes.remove(&n);
        }
    }
    for (family, n) in ev.announced() {
        if let Some(c) = counts.iter_mut().find(|c| c.family == family) {
            c.prefixes.insert(n);
        }
    }
    let mut close = None;
    for c in counts.iter_mut() {
        let count = c.prefixes.len();
        if count <= c.limit.limit as usize {
            c.warned = false;
            continue;
        }
        if c.limit.warning_only {
            if !c.warned {
                c.warned = true;
                events.push_back(Event::MaxPrefixExceeded {
                    family: c.family,
                    count,
                    limit: c.limit.limit,
                    warning_only: true,
                });
            }
        } else if close.is_none() {
            events.push_back(Event::MaxPrefixExceeded {
                family: c.family,
                count,
                limit: c.limit.limit,
                warning_only: false,
            });
            close = Some((c.family, c.limit));
        }
    }
    close
}

/// An End-of-RIB marker for `family` (RFC 4724 §2), header included.
fn end_of_rib(family: Family) -> Vec<u8> {
    let mut body = vec![0, 0];
    if family == Family::IPV4_UNICAST {
        body.extend_from_slice(&[0, 0]);
    } else {
        // Total Path Attribute Length 6: MP_UNREACH_NLRI (optional), length 3, AFI, SAFI.
        body.extend_from_slice(&[0, 6, 0x80, 15, 3]);
        body.extend_from_slice(&family.afi.0.to_be_bytes());
        body.push(family.safi.0);
    }
    let mut m = bgp_wire::header::MARKER.to_vec();
    m.extend_from_slice(&((HEADER_LEN + body.len()) as u16).to_be_bytes());
    m.push(MessageType::UPDATE.0);
    m.extend_from_slice(&body);
    m
}

//----------- SendError -------------------------------------------------------

/// A command that cannot be carried out (a caller mistake; the session is
/// unchanged).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// Only an Established session sends UPDATEs and ROUTE-REFRESHes.
    #[error("the session is not Established")]
    NotEstablished,
    /// The bytes are not whole UPDATE messages within the negotiated size.
    #[error("not whole UPDATE messages within the negotiated maximum size")]
    Malformed,
    /// The family was not negotiated.
    #[error("family {0} not negotiated")]
    FamilyNotNegotiated(Family),
    /// The capability the message needs was not negotiated.
    #[error("{0} not negotiated")]
    NotNegotiated(&'static str),
}

//----------- Stats -----------------------------------------------------------

/// Messages by type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageCounts {
    /// OPEN messages.
    pub open: u64,
    /// UPDATE messages.
    pub update: u64,
    /// NOTIFICATION messages.
    pub notification: u64,
    /// KEEPALIVE messages.
    pub keepalive: u64,
    /// ROUTE-REFRESH messages.
    pub route_refresh: u64,
}

impl MessageCounts {
    /// All messages.
    pub const fn total(&self) -> u64 {
        self.open + self.update + self.notification + self.keepalive + self.route_refresh
    }

    fn count(&mut self, ty: MessageType) {
        match ty {
            MessageType::OPEN => self.open += 1,
            MessageType::UPDATE => self.update += 1,
            MessageType::NOTIFICATION => self.notification += 1,
            MessageType::KEEPALIVE => self.keepalive += 1,
            MessageType::ROUTE_REFRESH => self.route_refresh += 1,
            _ => {}
        }
    }
}

/// The counters an operator expects to see (kept across connections).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Messages received, by type.
    pub received: MessageCounts,
    /// Messages sent, by type.
    pub sent: MessageCounts,
    /// The last NOTIFICATION we sent.
    pub last_error_sent: Option<Notification>,
    /// The last NOTIFICATION the peer sent.
    pub last_error_received: Option<Notification>,
    /// How many times the session became Established.
    pub established_transitions: u32,
    /// How many times an Established session went down.
    pub flaps: u32,
    /// Connections that ended in error or were closed (RFC 4271's
    /// ConnectRetryCounter, never reset).
    pub connect_retry_count: u32,
    /// When the session last became Established (`None` when not up).
    pub established_at: Option<Instant>,
    /// UPDATEs received with an RFC 7606 error the session survived.
    pub updates_with_errors: u64,
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests take one epoch from the clock
mod tests {
    use super::*;
    use bgp_wire::Message;
    use bgp_wire::message::parse_message;

    fn cfg(id: u8, asn: u32, peer: u32) -> SessionConfig {
        let mut c = SessionConfig::new(asn, Some(peer), Ipv4Addr::new(10, 0, 0, id));
        c.hold_time = 30;
        c
    }

    fn drain_events(s: &mut Session) -> Vec<Event> {
        std::iter::from_fn(|| s.poll_event()).collect()
    }

    fn sent(s: &mut Session) -> Vec<MessageType> {
        let mut b = Vec::new();
        let _ = s.poll_transmit(&mut b);
        bgp_wire::Messages::new(&b, SessionContext::permissive())
            .map(|(_, m)| m.unwrap().ty())
            .collect()
    }

    fn feed(s: &mut Session, now: Instant, bytes: &[u8]) {
        let mut b = BytesMut::from(bytes);
        s.handle_input(now, &mut b);
    }

    fn peer_open(hold: u16) -> Vec<u8> {
        let mut o = Vec::new();
        let mut c = cfg(2, 65002, 65001);
        c.hold_time = hold;
        c.open_message().emit(&mut o).unwrap();
        o
    }

    #[test]
    fn active_open_to_established_and_timers() {
        let t0 = Instant::now();
        let mut s = Session::new(cfg(1, 65001, 65002));
        assert_eq!(s.poll_timeout(), None);
        s.start(t0);
        assert_eq!(s.state(), StateKind::Connect);
        let ev = drain_events(&mut s);
        assert!(matches!(ev.last(), Some(Event::Connect)), "{ev:?}");
        let retry = s.poll_timeout().unwrap() - t0;
        assert!(retry >= Duration::from_secs(90) && retry <= Duration::from_secs(120));
        s.handle_connected(t0);
        assert_eq!(s.state(), StateKind::OpenSent);
        assert_eq!(sent(&mut s), [MessageType::OPEN]);
        assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(240)));
        feed(&mut s, t0, &peer_open(20));
        assert_eq!(s.state(), StateKind::OpenConfirm);
        assert_eq!(sent(&mut s), [MessageType::KEEPALIVE]);
        assert!(s.negotiated().is_none());
        feed(&mut s, t0, &KEEPALIVE);
        assert_eq!(s.state(), StateKind::Established);
        let n = s.negotiated().unwrap();
        assert_eq!(n.hold_time, 20);
        assert_eq!(s.peer_bgp_id(), Some(Ipv4Addr::new(10, 0, 0, 2)));
        // A timeout call before the deadline does nothing.
        let next = s.poll_timeout().unwrap();
        s.handle_timeout(next - Duration::from_millis(1));
        assert_eq!(s.poll_transmit(&mut Vec::new()), None);
        s.handle_timeout(next);
        assert_eq!(sent(&mut s), [MessageType::KEEPALIVE]);
        // Silence: the hold timer expires 20 s after the last message.
        s.handle_timeout(t0 + Duration::from_secs(20));
        assert_eq!(s.state(), StateKind::Idle);
        let n = s.stats().last_error_sent.clone().unwrap();
        assert_eq!((n.code, n.subcode), (ErrorCode::HOLD_TIMER_EXPIRED, 0));
        let ev = drain_events(&mut s);
        assert!(ev.iter().any(|e| matches!(e, Event::Down { .. })));
        assert!(ev.iter().any(|e| matches!(e, Event::Disconnect(_))));
        // Time going backwards is taken as the latest time.
        s.handle_timeout(t0);
        assert_eq!(s.state(), StateKind::Idle);
    }

    #[test]
    fn unexpected_messages_are_fsm_errors() {
        let t0 = Instant::now();
        for (pre, msg, sub) in [
            (0, KEEPALIVE.to_vec(), 1u8),
            (1, peer_open(30), 2),
            (2, peer_open(30), 3),
        ] {
            let mut s = Session::new(cfg(1, 65001, 65002));
            s.start(t0);
            s.handle_connected(t0);
            if pre >= 1 {
                feed(&mut s, t0, &peer_open(30));
            }
            if pre >= 2 {
                feed(&mut s, t0, &KEEPALIVE);
            }
            let _ = sent(&mut s);
            feed(&mut s, t0, &msg);
            assert_eq!(s.state(), StateKind::Idle);
            let mut b = Vec::new();
            let _ = s.poll_transmit(&mut b);
            match parse_message(&b, &SessionContext::default()).unwrap() {
                Message::Notification(n) => assert_eq!((n.code.0, n.subcode), (5, sub)),
                m => panic!("{m:?}"),
            }
        }
    }

    #[test]
    fn end_of_rib_markers_parse_as_such() {
        for f in [Family::IPV4_UNICAST, Family::IPV6_UNICAST] {
            let m = end_of_rib(f);
            match parse_message(&m, &SessionContext::default()).unwrap() {
                Message::Update(u) => assert_eq!(u.end_of_rib(), Some(f)),
                m => panic!("{m:?}"),
            }
        }
    }

    #[test]
    fn idle_refuses_and_passive_waits() {
        let t0 = Instant::now();
        let mut s = Session::new(cfg(1, 65001, 65002));
        s.handle_accepted(t0);
        assert!(matches!(
            drain_events(&mut s)[..],
            [Event::Disconnect(CloseReason::Refused)]
        ));
        let mut c = cfg(1, 65001, 65002);
        c.passive = true;
        let mut s = Session::new(c);
        s.start(t0);
        assert_eq!(s.state(), StateKind::Active);
        assert_eq!(s.poll_timeout(), None);
        assert!(s.deadline_armed_as_required());
        s.handle_accepted(t0);
        assert_eq!(s.state(), StateKind::OpenSent);
        assert_eq!(s.direction(), Some(Direction::Inbound));
    }
}

//! What the session tells its user: [`Event`]s, polled with
//! [`Session::poll_event`](crate::Session::poll_event).

use std::time::Instant;

use bgp_wire::nlri::Prefixes;
use bgp_wire::route_refresh::RouteRefresh;
use bgp_wire::update::UpdateBuf;
use bgp_wire::{
    Action, Family, FamilySet, Nlri, Notification, Update, UpdateError, UpdateErrorKind,
};
use bytes::Bytes;

//----------- StateKind, Direction --------------------------------------------

/// The six states of [RFC 4271 §8.2.2](https://www.rfc-editor.org/rfc/rfc4271#section-8.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StateKind {
    /// Refusing connections; waiting for a start (manual, or automatic after
    /// the IdleHold timer).
    Idle,
    /// Waiting for our outgoing TCP connection.
    Connect,
    /// Waiting for the peer to connect (passive, or between retries).
    Active,
    /// Our OPEN is sent; waiting for the peer's.
    OpenSent,
    /// OPENs exchanged; waiting for the peer's KEEPALIVE.
    OpenConfirm,
    /// The session is up: UPDATEs flow.
    Established,
}

/// Who opened the TCP connection a session runs on; used by collision
/// detection ([RFC 4271 §6.8](https://www.rfc-editor.org/rfc/rfc4271#section-6.8)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// We connected to the peer ([`Session::handle_connected`](crate::Session::handle_connected)).
    Outbound,
    /// The peer connected to us ([`Session::handle_accepted`](crate::Session::handle_accepted)).
    Inbound,
}

//----------- CloseReason, FlushReason ----------------------------------------

/// Why a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// We sent this NOTIFICATION (an error we found, a stop, a limit, a
    /// collision, the hold timer).
    NotificationSent(Notification),
    /// The peer sent this NOTIFICATION. For Cease / Administrative Shutdown
    /// or Reset, [`Notification::shutdown_communication`] has its message
    /// ([RFC 9003](https://www.rfc-editor.org/rfc/rfc9003)).
    NotificationReceived(Notification),
    /// The TCP connection closed or failed without a NOTIFICATION.
    ConnectionClosed,
    /// The ConnectRetry timer expired with the outgoing connection still
    /// pending: abandon it (a new [`Event::Connect`] follows).
    ConnectRetryExpired,
    /// A connection came in while the session was Idle.
    Refused,
    /// Stopped before an OPEN was sent, so without a NOTIFICATION.
    Stopped,
}

/// Why stale routes of a family are to be deleted now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FlushReason {
    /// The peer sent End-of-RIB for the family after the restart
    /// ([RFC 4724 §4.2](https://www.rfc-editor.org/rfc/rfc4724#section-4.2)).
    EndOfRib,
    /// The peer did not come back within its Restart Time (and no long-lived
    /// stale period follows).
    RestartTimerExpired,
    /// The long-lived stale period ended ([RFC 9494 §4.3](https://www.rfc-editor.org/rfc/rfc9494#section-4.3)).
    LongLivedStaleExpired,
    /// The peer came back but sent no End-of-RIB within the configured
    /// [`stale_routes_time`](crate::SessionConfig::stale_routes_time).
    StaleTimerExpired,
    /// The peer came back without preserving the family (absent from its
    /// graceful restart capability, or F bit clear).
    NotPreserved,
}

//----------- Event -----------------------------------------------------------

/// Something the user must act on. Transport instructions
/// ([`Connect`](Event::Connect), [`Disconnect`](Event::Disconnect)) come in
/// the same queue as routing news, in the order they happened.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// Open a TCP connection to the peer, then call
    /// [`handle_connected`](crate::Session::handle_connected) or
    /// [`handle_connect_failed`](crate::Session::handle_connect_failed).
    Connect,
    /// Close the TCP connection, after writing every byte
    /// [`poll_transmit`](crate::Session::poll_transmit) has handed out.
    Disconnect(CloseReason),
    /// The state changed.
    StateChanged {
        /// The old state.
        from: StateKind,
        /// The new state.
        to: StateKind,
    },
    /// The session is Established; [`Session::negotiated`](crate::Session::negotiated)
    /// has what was agreed.
    Established,
    /// The Established session ended. Every route learned from the peer is
    /// to be removed, except those of the families in `stale`: the peer
    /// negotiated graceful restart ([RFC 4724 §4.2]), so keep them, marked
    /// stale, until a [`StaleRoutesFlush`](Event::StaleRoutesFlush) for
    /// the family.
    ///
    /// [RFC 4724 §4.2]: https://www.rfc-editor.org/rfc/rfc4724#section-4.2
    Down {
        /// Why.
        reason: CloseReason,
        /// Families whose routes are kept as stale.
        stale: FamilySet,
    },
    /// An UPDATE arrived (End-of-RIB markers come as [`Event::EndOfRib`]).
    Update(UpdateEvent),
    /// The peer sent End-of-RIB for a family ([RFC 4724 §2](https://www.rfc-editor.org/rfc/rfc4724#section-2)).
    EndOfRib(Family),
    /// The peer sent a ROUTE-REFRESH for a negotiated family: a refresh
    /// request ([RFC 2918](https://www.rfc-editor.org/rfc/rfc2918)), or BoRR /
    /// EoRR ([RFC 7313](https://www.rfc-editor.org/rfc/rfc7313)).
    RouteRefresh(RouteRefresh),
    /// An UPDATE error disabled a family for the rest of the session
    /// ([RFC 7606 §2](https://www.rfc-editor.org/rfc/rfc7606#section-2), RFC 4760 §7):
    /// remove every route of it from this peer; later routes of it are ignored.
    FamilyDisabled {
        /// The family.
        family: Family,
        /// The error.
        error: UpdateErrorKind,
    },
    /// The peer has more distinct prefixes of a family than configured
    /// ([RFC 4486](https://www.rfc-editor.org/rfc/rfc4486)). Unless
    /// `warning_only`, the session then closes with Cease/1.
    MaxPrefixExceeded {
        /// The family.
        family: Family,
        /// The distinct prefixes the peer announced.
        count: usize,
        /// The limit.
        limit: u32,
        /// The session stays up.
        warning_only: bool,
    },
    /// The graceful-restart period of a family ended and a long-lived one
    /// begins ([RFC 9494 §4.2](https://www.rfc-editor.org/rfc/rfc9494#section-4.2)):
    /// its stale routes become long-lived stale (attach LLGR_STALE, prefer
    /// any other route) until `until`.
    LongLivedStale {
        /// The family.
        family: Family,
        /// When they will be deleted unless the peer returns.
        until: Instant,
    },
    /// Delete the routes of `family` that are still marked stale.
    StaleRoutesFlush {
        /// The family.
        family: Family,
        /// Why now.
        reason: FlushReason,
    },
}

//----------- UpdateEvent -----------------------------------------------------

/// A received UPDATE: its bytes (shared, not copied), the result of
/// validating it once, and the RFC 7606 handling applied.
///
/// [`announced`](Self::announced) and [`withdrawn`](Self::withdrawn) are the
/// routes to act on, per family: under treat-as-withdraw
/// ([RFC 7606 §2](https://www.rfc-editor.org/rfc/rfc7606#section-2)) every
/// announced prefix is listed as withdrawn instead, and prefixes of disabled
/// families are left out. [`update`](Self::update) gives the full view (path
/// attributes) without validating again.
#[derive(Clone, Debug)]
pub struct UpdateEvent {
    buf: UpdateBuf<Bytes>,
    disabled: FamilySet,
}

impl UpdateEvent {
    pub(crate) const fn new(buf: UpdateBuf<Bytes>, disabled: FamilySet) -> Self {
        Self { buf, disabled }
    }

    /// The validated view of the UPDATE (attributes, raw NLRI, …), without
    /// validating again: for a well-formed UPDATE it is rebuilt from the
    /// attribute headers (see [`UpdateBuf`]), so call it once per event.
    #[inline]
    pub fn update(&self) -> Update<'_> {
        self.buf.view()
    }

    /// The RFC 7606 action this UPDATE called for (never
    /// [`Action::SessionReset`]: those close the session instead).
    #[inline]
    pub fn action(&self) -> Action {
        self.buf.action()
    }

    /// The error behind [`action`](Self::action), if any.
    pub fn error(&self) -> Option<UpdateError<'_>> {
        let view = self.buf.view();
        view.error()
    }

    /// Whether announcements are to be treated as withdrawals: the action is
    /// treat-as-withdraw, or AFI/SAFI-disable (whose error may hide a lesser
    /// one in the rest of the UPDATE, so nothing in it is trusted).
    #[inline]
    pub fn treat_as_withdraw(&self) -> bool {
        self.action() >= Action::TreatAsWithdraw
    }

    /// The UPDATE body (after the 19-octet header).
    pub fn body(&self) -> &Bytes {
        self.buf.body()
    }

    /// The announced routes, by family: the NLRI field (IPv4 unicast), then
    /// MP_REACH_NLRI. Empty under treat-as-withdraw.
    #[inline]
    pub fn announced(&self) -> Routes<'_> {
        let mut r = Routes::new(self.disabled);
        if !self.treat_as_withdraw() {
            push_announced(&self.buf, &mut r);
        }
        r
    }

    /// The withdrawn routes, by family: the Withdrawn Routes field (IPv4
    /// unicast), MP_UNREACH_NLRI, and under treat-as-withdraw the announced
    /// ones as well.
    #[inline]
    pub fn withdrawn(&self) -> Routes<'_> {
        let mut r = Routes::new(self.disabled);
        r.push(Family::IPV4_UNICAST, self.buf.withdrawn());
        if let Some(m) = self.buf.mp_unreach() {
            if let Some(p) = m.prefixes() {
                r.push(m.family(), p);
            }
        }
        if self.treat_as_withdraw() {
            push_announced(&self.buf, &mut r);
        }
        r
    }
}

// The route accessors of `UpdateBuf` need neither the full view nor a walk
// over the attributes.
#[inline]
fn push_announced<'a>(buf: &'a UpdateBuf<Bytes>, r: &mut Routes<'a>) {
    r.push(Family::IPV4_UNICAST, buf.announced());
    if let Some(m) = buf.mp_reach() {
        if let Some(p) = m.prefixes() {
            r.push(m.family(), p);
        }
    }
}

/// An iterator over `(family, prefix)` pairs of an [`UpdateEvent`]. Does not
/// allocate.
#[derive(Clone, Debug)]
pub struct Routes<'a> {
    parts: [(Family, Prefixes<'a>); 4],
    len: usize,
    at: usize,
    disabled: FamilySet,
}

impl<'a> Routes<'a> {
    #[inline]
    fn new(disabled: FamilySet) -> Self {
        let e = (Family::IPV4_UNICAST, Prefixes::empty());
        Self {
            parts: [e.clone(), e.clone(), e.clone(), e],
            len: 0,
            at: 0,
            disabled,
        }
    }

    #[inline]
    fn push(&mut self, family: Family, p: Prefixes<'a>) {
        if p.is_empty() || self.disabled.contains(family) {
            return;
        }
        if let Some(slot) = self.parts.get_mut(self.len) {
            *slot = (family, p);
            self.len += 1;
        }
    }
}

impl Iterator for Routes<'_> {
    type Item = (Family, Nlri);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        while self.at < self.len {
            let (family, p) = &mut self.parts[self.at];
            if let Some(n) = p.next() {
                return Some((*family, n));
            }
            self.at += 1;
        }
        None
    }
}

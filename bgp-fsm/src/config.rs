//! What a session is configured with: identity, timers, capabilities to
//! offer and limits to enforce.

use std::net::Ipv4Addr;
use std::time::Duration;

use bgp_wire::Family;
use bgp_wire::capability::{AddPathMode, Capability, GrFamily, LlgrFamily, Role};
use bgp_wire::codepoint::{Afi, CapabilityCode};
use bgp_wire::open::OpenMessage;

//----------- SessionConfig ---------------------------------------------------

/// The configuration of one session.
///
/// Build it with [`SessionConfig::new`] and change the public fields; every
/// field has a documented default. The session reads it when it starts a
/// connection, so changes through [`Session::config_mut`](crate::Session::config_mut)
/// apply from the next connection on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionConfig {
    /// Our AS number. Sent in the 4-octet AS capability, and in My AS (or
    /// [`AS_TRANS`](bgp_wire::AS_TRANS) when it does not fit 2 octets).
    pub local_as: u32,
    /// The peer's AS, checked against its OPEN (Bad Peer AS, 2/2); `None`
    /// accepts any AS but 0.
    pub peer_as: Option<u32>,
    /// Our BGP Identifier ([RFC 6286](https://www.rfc-editor.org/rfc/rfc6286)).
    pub bgp_id: Ipv4Addr,
    /// The hold time we propose, in seconds: 0 (no keepalives, no hold
    /// timer) or at least 3. Default 90. The session uses the smaller of ours
    /// and the peer's ([RFC 4271 §4.2](https://www.rfc-editor.org/rfc/rfc4271#section-4.2)).
    pub hold_time: u16,
    /// The smallest non-zero hold time accepted from the peer; below it the
    /// OPEN is refused with Unacceptable Hold Time (2/6). Default 3, the
    /// RFC 4271 minimum (1 and 2 are always refused).
    pub min_hold_time: u16,
    /// The keepalive interval; `None` (default) is a third of the negotiated
    /// hold time. Never more than a third of it.
    pub keepalive_time: Option<Duration>,
    /// ConnectRetryTime, default 120 s; each use is jittered to 75-100 %
    /// ([RFC 4271 §10](https://www.rfc-editor.org/rfc/rfc4271#section-10)).
    pub connect_retry_time: Duration,
    /// The hold timer while waiting for the peer's OPEN, default 240 s (the
    /// "large value" of [RFC 4271 §8.2.2](https://www.rfc-editor.org/rfc/rfc4271#section-8.2.2)).
    pub open_hold_time: Duration,
    /// DelayOpen: after the TCP connection comes up, wait this long for the
    /// peer's OPEN before sending ours (RFC 4271 §8.1.1). `None` (default)
    /// sends our OPEN at once.
    pub delay_open_time: Option<Duration>,
    /// The first IdleHoldTime after a failed session, default 5 s. Each
    /// further failure doubles it up to [`max_idle_hold_time`](Self::max_idle_hold_time)
    /// (DampPeerOscillations, RFC 4271 §8.1.1).
    pub idle_hold_time: Duration,
    /// The largest IdleHoldTime, default 300 s.
    pub max_idle_hold_time: Duration,
    /// A session that stayed Established this long resets the backoff to
    /// [`idle_hold_time`](Self::idle_hold_time). Default 300 s.
    pub idle_hold_reset_time: Duration,
    /// Passive: never open a connection, only accept the peer's
    /// (RFC 4271 §8.1.1 PassiveTcpEstablishment). Default `false`.
    pub passive: bool,
    /// Restart automatically after a failure (AutomaticStart with
    /// DampPeerOscillations, RFC 4271 §8.1.1), default `true`. A manual
    /// [`stop`](crate::Session::stop) turns it off until the next
    /// [`start`](crate::Session::start).
    pub automatic_restart: bool,
    /// The address families offered in Multiprotocol capabilities
    /// ([RFC 4760 §8](https://www.rfc-editor.org/rfc/rfc4760#section-8)).
    /// Default IPv4 unicast.
    pub families: Vec<Family>,
    /// ADD-PATH per family ([RFC 7911](https://www.rfc-editor.org/rfc/rfc7911)).
    /// Default none.
    pub add_path: Vec<(Family, AddPathMode)>,
    /// Offer extended messages ([RFC 8654](https://www.rfc-editor.org/rfc/rfc8654)).
    /// Default `false`.
    pub extended_message: bool,
    /// (NLRI family, next-hop AFI) pairs we accept
    /// ([RFC 8950](https://www.rfc-editor.org/rfc/rfc8950)). Default none.
    pub extended_next_hop: Vec<(Family, Afi)>,
    /// Offer route refresh ([RFC 2918](https://www.rfc-editor.org/rfc/rfc2918)).
    /// Default `true`.
    pub route_refresh: bool,
    /// Offer enhanced route refresh ([RFC 7313](https://www.rfc-editor.org/rfc/rfc7313)).
    /// Default `false`.
    pub enhanced_route_refresh: bool,
    /// Graceful restart ([RFC 4724](https://www.rfc-editor.org/rfc/rfc4724));
    /// `None` (default) neither offers nor honours it.
    pub graceful_restart: Option<GracefulRestart>,
    /// Long-lived graceful restart families ([RFC 9494](https://www.rfc-editor.org/rfc/rfc9494)),
    /// offered only together with [`graceful_restart`](Self::graceful_restart).
    pub long_lived_gr: Vec<LlgrFamily>,
    /// Our BGP Role ([RFC 9234](https://www.rfc-editor.org/rfc/rfc9234)); `None` (default) sends none.
    pub role: Option<Role>,
    /// Strict role mode: refuse a peer that sends no Role (2/11, RFC 9234 §4.2).
    pub strict_role: bool,
    /// Capabilities the peer must offer, else Unsupported Capability (2/7,
    /// [RFC 5492 §3](https://www.rfc-editor.org/rfc/rfc5492#section-3)).
    /// The NOTIFICATION data lists our own capability of each missing code.
    pub required_capabilities: Vec<CapabilityCode>,
    /// Maximum prefixes per family ([RFC 4486](https://www.rfc-editor.org/rfc/rfc4486) Cease/1).
    pub max_prefixes: Vec<(Family, MaxPrefix)>,
    /// After a graceful restart, how long to wait for the peer's End-of-RIB
    /// before dropping what is still stale (FRR's stale-path time). Default 360 s.
    pub stale_routes_time: Duration,
    /// Any further capabilities to send (FQDN, …), after ours.
    pub extra_capabilities: Vec<Capability>,
    /// Seed of the jitter generator ([RFC 4271 §10](https://www.rfc-editor.org/rfc/rfc4271#section-10)).
    /// Default 0; give each session its own.
    pub rng_seed: u64,
}

/// Graceful restart settings ([RFC 4724 §3](https://www.rfc-editor.org/rfc/rfc4724#section-3)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GracefulRestart {
    /// Restart Time we advertise, in seconds (at most 4095).
    pub restart_time: u16,
    /// R bit: we are restarting (set it in the first OPEN after our own
    /// restart; see [`Session::set_restarting`](crate::Session::set_restarting)).
    pub restarting: bool,
    /// N bit: we support the NOTIFICATION procedures of
    /// [RFC 8538](https://www.rfc-editor.org/rfc/rfc8538) (Hard Reset).
    pub notification: bool,
    /// The families whose forwarding state we preserve, with the F bit.
    pub families: Vec<GrFamily>,
}

impl GracefulRestart {
    /// Helper and restarting-speaker support for `families`, forwarding
    /// state preserved, with RFC 8538 support and the given restart time.
    pub fn new(restart_time: u16, families: &[Family]) -> Self {
        Self {
            restart_time,
            restarting: false,
            notification: true,
            families: families
                .iter()
                .map(|&family| GrFamily {
                    family,
                    forwarding: true,
                })
                .collect(),
        }
    }
}

/// A maximum-prefix limit for one family ([RFC 4486 §4](https://www.rfc-editor.org/rfc/rfc4486#section-4)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MaxPrefix {
    /// The most distinct prefixes (with their path identifiers under
    /// ADD-PATH) the peer may have announced at once.
    pub limit: u32,
    /// Only report crossing the limit
    /// ([`Event::MaxPrefixExceeded`](crate::Event::MaxPrefixExceeded)); keep the session.
    pub warning_only: bool,
    /// After closing for the limit, restart automatically after this long;
    /// `None` stays down until the next manual start.
    pub restart: Option<Duration>,
}

impl MaxPrefix {
    /// A limit that closes the session and stays down.
    pub const fn new(limit: u32) -> Self {
        Self {
            limit,
            warning_only: false,
            restart: None,
        }
    }
}

impl SessionConfig {
    /// A configuration with every default.
    pub fn new(local_as: u32, peer_as: Option<u32>, bgp_id: Ipv4Addr) -> Self {
        Self {
            local_as,
            peer_as,
            bgp_id,
            hold_time: 90,
            min_hold_time: 3,
            keepalive_time: None,
            connect_retry_time: Duration::from_secs(120),
            open_hold_time: Duration::from_secs(240),
            delay_open_time: None,
            idle_hold_time: Duration::from_secs(5),
            max_idle_hold_time: Duration::from_secs(300),
            idle_hold_reset_time: Duration::from_secs(300),
            passive: false,
            automatic_restart: true,
            families: vec![Family::IPV4_UNICAST],
            add_path: Vec::new(),
            extended_message: false,
            extended_next_hop: Vec::new(),
            route_refresh: true,
            enhanced_route_refresh: false,
            graceful_restart: None,
            long_lived_gr: Vec::new(),
            role: None,
            strict_role: false,
            required_capabilities: Vec::new(),
            max_prefixes: Vec::new(),
            stale_routes_time: Duration::from_secs(360),
            extra_capabilities: Vec::new(),
            rng_seed: 0,
        }
    }

    /// The capabilities we send, in the order we send them.
    pub fn capabilities(&self) -> Vec<Capability> {
        let mut caps: Vec<Capability> = self
            .families
            .iter()
            .map(|&f| Capability::Multiprotocol(f))
            .collect();
        if self.route_refresh {
            caps.push(Capability::RouteRefresh);
        }
        if self.enhanced_route_refresh {
            caps.push(Capability::EnhancedRouteRefresh);
        }
        caps.push(Capability::FourOctetAs(self.local_as));
        if !self.add_path.is_empty() {
            caps.push(Capability::AddPath(self.add_path.clone()));
        }
        if self.extended_message {
            caps.push(Capability::ExtendedMessage);
        }
        if !self.extended_next_hop.is_empty() {
            caps.push(Capability::ExtendedNextHop(self.extended_next_hop.clone()));
        }
        if let Some(gr) = &self.graceful_restart {
            caps.push(Capability::GracefulRestart {
                restart_state: gr.restarting,
                notification: gr.notification,
                restart_time: gr.restart_time.min(0x0fff),
                families: gr.families.clone(),
            });
            if !self.long_lived_gr.is_empty() {
                caps.push(Capability::LongLivedGr(self.long_lived_gr.clone()));
            }
        }
        if let Some(role) = self.role {
            caps.push(Capability::Role(role));
        }
        caps.extend(self.extra_capabilities.iter().cloned());
        caps
    }

    /// The OPEN we send ([RFC 4271 §4.2](https://www.rfc-editor.org/rfc/rfc4271#section-4.2)).
    pub fn open_message(&self) -> OpenMessage {
        OpenMessage::new(
            self.local_as,
            self.hold_time,
            self.bgp_id,
            self.capabilities(),
        )
    }

    /// The maximum-prefix limit for `family`, if any.
    pub fn max_prefix(&self, family: Family) -> Option<MaxPrefix> {
        self.max_prefixes
            .iter()
            .find(|(f, _)| *f == family)
            .map(|&(_, m)| m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bgp_wire::AS_TRANS;

    #[test]
    fn open_carries_the_configured_capabilities() {
        let mut c = SessionConfig::new(4_200_000_000, Some(65001), Ipv4Addr::new(192, 0, 2, 1));
        c.graceful_restart = Some(GracefulRestart::new(120, &[Family::IPV4_UNICAST]));
        c.role = Some(Role::CUSTOMER);
        let open = c.open_message();
        assert_eq!(u32::from(open.my_as), AS_TRANS);
        assert_eq!(open.asn(), 4_200_000_000);
        assert_eq!(open.hold_time, 90);
        let caps: Vec<_> = open.capabilities().cloned().collect();
        assert!(caps.contains(&Capability::Multiprotocol(Family::IPV4_UNICAST)));
        assert!(caps.contains(&Capability::RouteRefresh));
        assert!(caps.contains(&Capability::Role(Role::CUSTOMER)));
        assert!(caps.iter().any(|c| matches!(
            c,
            Capability::GracefulRestart {
                restart_time: 120,
                notification: true,
                ..
            }
        )));
        let mut wire = Vec::new();
        open.emit(&mut wire).unwrap();
        assert_eq!(OpenMessage::parse(&wire[19..]).unwrap(), open);
    }
}

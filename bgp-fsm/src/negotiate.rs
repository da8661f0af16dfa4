//! Checking the peer's OPEN ([RFC 4271 §6.2]) and negotiating capabilities
//! ([RFC 5492]) into the [`Negotiated`] parameters of an Established session.
//!
//! [RFC 4271 §6.2]: https://www.rfc-editor.org/rfc/rfc4271#section-6.2
//! [RFC 5492]: https://www.rfc-editor.org/rfc/rfc5492

use std::net::Ipv4Addr;
use std::time::Duration;

use bgp_wire::capability::{Capability, GrFamily, LlgrFamily, Role};
use bgp_wire::codepoint::{Afi, CapabilityCode, ErrorCode, subcode};
use bgp_wire::header::{MAX_EXTENDED_MESSAGE_LEN, MAX_MESSAGE_LEN};
use bgp_wire::open::{OpenError, OpenMessage};
use bgp_wire::{AS_TRANS, Family, FamilySet, Notification, SessionContext};

use crate::config::SessionConfig;

//----------- OpenCheckError --------------------------------------------------

/// Why the peer's OPEN is refused. [`OpenCheckError::notification`] gives
/// the NOTIFICATION with the subcode RFC 4271 §6.2 (and RFC 5492, RFC 9234)
/// assigns.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenCheckError {
    /// A structural or RFC 4271 value error found by bgp-wire: malformed
    /// (2/0), version (2/1), hold time 1 or 2 (2/6), identifier 0 (2/3),
    /// unknown optional parameter (2/4).
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The peer's AS is 0, not the configured one, or AS_TRANS without the
    /// 4-octet AS capability (2/2, [RFC 6793 §4.1], [RFC 7607]).
    ///
    /// [RFC 6793 §4.1]: https://www.rfc-editor.org/rfc/rfc6793#section-4.1
    /// [RFC 7607]: https://www.rfc-editor.org/rfc/rfc7607
    #[error("bad peer AS {0}")]
    BadPeerAs(u32),
    /// An iBGP peer uses our own BGP Identifier (2/3,
    /// [RFC 6286 §2.2](https://www.rfc-editor.org/rfc/rfc6286#section-2.2)).
    #[error("iBGP peer uses our BGP identifier {0}")]
    SameBgpIdentifier(Ipv4Addr),
    /// The hold time is below our configured minimum (2/6).
    #[error("hold time {0} below the configured minimum")]
    HoldTimeTooSmall(u16),
    /// Capabilities we require are missing (2/7); our own capabilities of
    /// those codes, which the NOTIFICATION carries.
    #[error("required capabilities missing: {0:?}")]
    MissingCapabilities(Vec<Capability>),
    /// The roles do not pair up, the peer sent conflicting roles, or (strict
    /// mode) sent none (2/11, [RFC 9234 §4.2](https://www.rfc-editor.org/rfc/rfc9234#section-4.2)).
    #[error("role mismatch: ours {local:?}, peer's {peer:?}")]
    RoleMismatch {
        /// Our role.
        local: Role,
        /// The peer's role, if it sent exactly one.
        peer: Option<Role>,
    },
}

impl OpenCheckError {
    /// The NOTIFICATION to send.
    pub fn notification(&self) -> Notification {
        let open =
            |sub: subcode::Open, data| Notification::new(ErrorCode::OPEN_MESSAGE, sub.0, data);
        match self {
            Self::Open(e) => e.notification(),
            Self::BadPeerAs(_) => open(subcode::Open::BAD_PEER_AS, Vec::new()),
            Self::SameBgpIdentifier(_) => open(subcode::Open::BAD_BGP_IDENTIFIER, Vec::new()),
            Self::HoldTimeTooSmall(_) => open(subcode::Open::UNACCEPTABLE_HOLD_TIME, Vec::new()),
            Self::MissingCapabilities(caps) => {
                let mut data = Vec::new();
                for c in caps {
                    // Our own capabilities encode; one that does not is left out.
                    let _ = c.emit(&mut data);
                }
                open(subcode::Open::UNSUPPORTED_CAPABILITY, data)
            }
            Self::RoleMismatch { .. } => open(subcode::Open::ROLE_MISMATCH, Vec::new()),
        }
    }
}

/// Checks the peer's OPEN against RFC 4271 §6.2 and our configuration, in
/// this order: structure and version, peer AS, hold time, BGP Identifier,
/// optional parameters, required capabilities, role.
pub(crate) fn check_open(config: &SessionConfig, peer: &OpenMessage) -> Result<(), OpenCheckError> {
    peer.check_version()?;
    let asn = peer.asn();
    if asn == 0
        || (peer.four_octet_as().is_none() && u32::from(peer.my_as) == AS_TRANS)
        || config.peer_as.is_some_and(|want| want != asn)
    {
        return Err(OpenCheckError::BadPeerAs(asn));
    }
    peer.check_hold_time()?;
    if peer.hold_time != 0 && peer.hold_time < config.min_hold_time {
        return Err(OpenCheckError::HoldTimeTooSmall(peer.hold_time));
    }
    peer.check_bgp_identifier()?;
    if asn == config.local_as && peer.bgp_id == config.bgp_id {
        return Err(OpenCheckError::SameBgpIdentifier(peer.bgp_id));
    }
    peer.check_optional_parameters()?;
    check_required(config, peer)?;
    check_role(config, peer)?;
    Ok(())
}

fn check_required(config: &SessionConfig, peer: &OpenMessage) -> Result<(), OpenCheckError> {
    if config.required_capabilities.is_empty() {
        return Ok(());
    }
    let ours = config.capabilities();
    let mut missing = Vec::new();
    for &code in &config.required_capabilities {
        let offered = peer.capabilities().any(|c| c.code() == code);
        if !offered {
            let mine = ours.iter().filter(|c| c.code() == code).cloned();
            let before = missing.len();
            missing.extend(mine);
            if missing.len() == before {
                missing.push(Capability::Unknown {
                    code,
                    data: Vec::new(),
                });
            }
        }
    }
    // A required family must be among the peer's Multiprotocol capabilities.
    if config
        .required_capabilities
        .contains(&CapabilityCode::MULTIPROTOCOL)
    {
        for &f in &config.families {
            if !peer_families(peer).contains(&f) && !missing.contains(&Capability::Multiprotocol(f))
            {
                missing.push(Capability::Multiprotocol(f));
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(OpenCheckError::MissingCapabilities(missing))
    }
}

/// The role pairs that may form a session (RFC 9234 §4.2, Table 2).
pub(crate) fn roles_match(local: Role, peer: Role) -> bool {
    matches!(
        (local, peer),
        (Role::PROVIDER, Role::CUSTOMER)
            | (Role::CUSTOMER, Role::PROVIDER)
            | (Role::RS, Role::RS_CLIENT)
            | (Role::RS_CLIENT, Role::RS)
            | (Role::PEER, Role::PEER)
    )
}

fn check_role(config: &SessionConfig, peer: &OpenMessage) -> Result<(), OpenCheckError> {
    let Some(local) = config.role else {
        return Ok(());
    };
    let mut roles = peer.capabilities().filter_map(|c| match c {
        Capability::Role(r) => Some(*r),
        _ => None,
    });
    let first = roles.next();
    let conflicting = first.is_some_and(|r| roles.any(|other| other != r));
    let ok = match first {
        _ if conflicting => false,
        Some(r) => roles_match(local, r),
        None => !config.strict_role,
    };
    if ok {
        Ok(())
    } else {
        Err(OpenCheckError::RoleMismatch {
            local,
            peer: first.filter(|_| !conflicting),
        })
    }
}

/// The families of an OPEN: its Multiprotocol capabilities, or IPv4 unicast
/// when it has none ([RFC 4760 §8](https://www.rfc-editor.org/rfc/rfc4760#section-8)).
fn peer_families(open: &OpenMessage) -> Vec<Family> {
    let v: Vec<Family> = open
        .capabilities()
        .filter_map(|c| match c {
            Capability::Multiprotocol(f) => Some(*f),
            _ => None,
        })
        .collect();
    if v.is_empty() {
        vec![Family::IPV4_UNICAST]
    } else {
        v
    }
}

//----------- Negotiated ------------------------------------------------------

/// The peer's graceful-restart capability as received
/// ([RFC 4724 §3](https://www.rfc-editor.org/rfc/rfc4724#section-3)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PeerGracefulRestart {
    /// The peer's Restart Time: how long to keep its routes stale when the
    /// session drops.
    pub restart_time: Duration,
    /// R bit: the peer has just restarted.
    pub restarting: bool,
    /// N bit: the peer supports RFC 8538.
    pub notification: bool,
    /// The families whose state the peer preserves, with its F bits
    /// (forwarding state kept across the restart).
    pub families: Vec<GrFamily>,
}

/// What the two OPENs agreed on. Exists only while the session is
/// Established ([`Session::negotiated`](crate::Session::negotiated)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Negotiated {
    /// The peer's AS (from its 4-octet AS capability when sent).
    pub peer_as: u32,
    /// The peer's BGP Identifier.
    pub peer_id: Ipv4Addr,
    /// The hold time in use: the smaller of the two proposals; 0 is none.
    pub hold_time: u16,
    /// The keepalive interval; `None` with hold time 0.
    pub keepalive: Option<Duration>,
    /// Both sides support 4-octet AS numbers ([RFC 6793](https://www.rfc-editor.org/rfc/rfc6793)).
    pub four_octet_as: bool,
    /// The families both offered ([RFC 4760](https://www.rfc-editor.org/rfc/rfc4760)).
    pub families: FamilySet,
    /// Families whose received NLRI carry path identifiers ([RFC 7911](https://www.rfc-editor.org/rfc/rfc7911)):
    /// we offered receive, the peer send.
    pub add_path_receive: FamilySet,
    /// Families whose sent NLRI must carry path identifiers: we offered
    /// send, the peer receive.
    pub add_path_send: FamilySet,
    /// Both support messages up to 65535 octets ([RFC 8654](https://www.rfc-editor.org/rfc/rfc8654)).
    pub extended_message: bool,
    /// Families for which the peer may send us IPv6 next hops (we offered
    /// RFC 8950 for them).
    pub extended_next_hop_receive: FamilySet,
    /// Families for which we may send the peer IPv6 next hops (it offered them).
    pub extended_next_hop_send: FamilySet,
    /// Both support route refresh ([RFC 2918](https://www.rfc-editor.org/rfc/rfc2918)).
    pub route_refresh: bool,
    /// Both support enhanced route refresh ([RFC 7313](https://www.rfc-editor.org/rfc/rfc7313)).
    pub enhanced_route_refresh: bool,
    /// The peer's graceful restart, when both sides offered it
    /// ([RFC 4724](https://www.rfc-editor.org/rfc/rfc4724)).
    pub graceful_restart: Option<PeerGracefulRestart>,
    /// The peer's long-lived graceful restart families, when both sides
    /// offered GR and LLGR ([RFC 9494](https://www.rfc-editor.org/rfc/rfc9494)).
    pub long_lived_gr: Vec<LlgrFamily>,
    /// Both set the N bit: Hard Reset applies ([RFC 8538](https://www.rfc-editor.org/rfc/rfc8538)).
    pub hard_reset: bool,
    /// The peer's role, when both sent one ([RFC 9234](https://www.rfc-editor.org/rfc/rfc9234)).
    pub peer_role: Option<Role>,
    /// The peer is in another AS.
    pub ebgp: bool,
}

impl Negotiated {
    /// Negotiates from our configuration and the peer's (checked) OPEN.
    pub(crate) fn new(config: &SessionConfig, peer: &OpenMessage) -> Self {
        let ours = config.capabilities();
        let theirs: Vec<&Capability> = peer.capabilities().collect();
        let peer_has = |code: CapabilityCode| theirs.iter().any(|c| c.code() == code);
        let we_have = |code: CapabilityCode| ours.iter().any(|c| c.code() == code);
        let both = |code| peer_has(code) && we_have(code);

        let our_families: Vec<Family> = if config.families.is_empty() {
            vec![Family::IPV4_UNICAST]
        } else {
            config.families.clone()
        };
        let their_families = peer_families(peer);
        let families: FamilySet = our_families
            .iter()
            .copied()
            .filter(|f| their_families.contains(f))
            .collect();

        let mut add_path_receive = FamilySet::EMPTY;
        let mut add_path_send = FamilySet::EMPTY;
        for (f, mode) in &config.add_path {
            if !families.contains(*f) {
                continue;
            }
            let peer_mode = theirs.iter().find_map(|c| match c {
                Capability::AddPath(v) => v.iter().find(|(pf, _)| pf == f).map(|&(_, m)| m),
                _ => None,
            });
            if let Some(pm) = peer_mode {
                if mode.can_receive() && pm.can_send() {
                    add_path_receive.insert(*f);
                }
                if mode.can_send() && pm.can_receive() {
                    add_path_send.insert(*f);
                }
            }
        }

        let enh_v6 = |v: &[(Family, Afi)]| -> FamilySet {
            v.iter()
                .filter(|(_, nh)| *nh == Afi::IPV6)
                .map(|&(f, _)| f)
                .collect()
        };
        let extended_next_hop_receive = enh_v6(&config.extended_next_hop).intersection(families);
        let peer_enh: Vec<(Family, Afi)> = theirs
            .iter()
            .filter_map(|c| match c {
                Capability::ExtendedNextHop(v) => Some(v.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        let extended_next_hop_send = enh_v6(&peer_enh).intersection(families);

        let peer_gr = theirs.iter().find_map(|c| match c {
            Capability::GracefulRestart {
                restart_state,
                notification,
                restart_time,
                families,
            } => Some(PeerGracefulRestart {
                restart_time: Duration::from_secs(u64::from(*restart_time)),
                restarting: *restart_state,
                notification: *notification,
                families: families.clone(),
            }),
            _ => None,
        });
        let graceful_restart = peer_gr.filter(|_| config.graceful_restart.is_some());
        let long_lived_gr = if graceful_restart.is_some() && !config.long_lived_gr.is_empty() {
            theirs
                .iter()
                .find_map(|c| match c {
                    Capability::LongLivedGr(v) => Some(v.clone()),
                    _ => None,
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let hard_reset = graceful_restart.as_ref().is_some_and(|g| g.notification)
            && config
                .graceful_restart
                .as_ref()
                .is_some_and(|g| g.notification);

        let hold_time = if config.hold_time == 0 || peer.hold_time == 0 {
            0
        } else {
            config.hold_time.min(peer.hold_time)
        };
        let peer_as = peer.asn();
        let peer_role = config.role.and_then(|_| {
            theirs.iter().find_map(|c| match c {
                Capability::Role(r) => Some(*r),
                _ => None,
            })
        });
        Self {
            peer_as,
            peer_id: peer.bgp_id,
            hold_time,
            keepalive: keepalive_interval(config, hold_time),
            four_octet_as: peer.four_octet_as().is_some(),
            families,
            add_path_receive,
            add_path_send,
            extended_message: both(CapabilityCode::EXTENDED_MESSAGE),
            extended_next_hop_receive,
            extended_next_hop_send,
            route_refresh: we_have(CapabilityCode::ROUTE_REFRESH)
                && (peer_has(CapabilityCode::ROUTE_REFRESH)
                    || peer_has(CapabilityCode::ROUTE_REFRESH_CISCO)),
            enhanced_route_refresh: both(CapabilityCode::ENHANCED_ROUTE_REFRESH),
            graceful_restart,
            long_lived_gr,
            hard_reset,
            peer_role,
            ebgp: peer_as != config.local_as,
        }
    }

    /// The largest message either way: 65535 with extended messages, else 4096.
    pub const fn max_message_len(&self) -> usize {
        if self.extended_message {
            MAX_EXTENDED_MESSAGE_LEN
        } else {
            MAX_MESSAGE_LEN
        }
    }

    /// The bgp-wire context for decoding what the peer sends.
    pub fn receive_context(&self) -> SessionContext {
        SessionContext {
            four_octet_as: self.four_octet_as,
            add_path: self.add_path_receive,
            max_message_len: self.max_message_len(),
            extended_next_hop: self.extended_next_hop_receive,
            ebgp: self.ebgp,
        }
    }

    /// The bgp-wire context for encoding what we send (give it to
    /// [`UpdateBuilder`](bgp_wire::UpdateBuilder)).
    pub fn send_context(&self) -> SessionContext {
        SessionContext {
            four_octet_as: self.four_octet_as,
            add_path: self.add_path_send,
            max_message_len: self.max_message_len(),
            extended_next_hop: self.extended_next_hop_send,
            ebgp: self.ebgp,
        }
    }

    /// Whether the peer preserves `family` across a restart with its F bit
    /// set in this OPEN (RFC 4724 §4.2).
    pub fn peer_forwarding_preserved(&self, family: Family) -> bool {
        self.graceful_restart.as_ref().is_some_and(|g| {
            g.families
                .iter()
                .any(|f| f.family == family && f.forwarding)
        })
    }
}

/// The keepalive interval for a negotiated hold time: the configured one,
/// at most a third of the hold time ([RFC 4271 §4.4](https://www.rfc-editor.org/rfc/rfc4271#section-4.4)).
pub(crate) fn keepalive_interval(config: &SessionConfig, hold_time: u16) -> Option<Duration> {
    if hold_time == 0 {
        return None;
    }
    let third = Duration::from_secs(u64::from(hold_time)) / 3;
    let k = config.keepalive_time.map_or(third, |k| k.min(third));
    Some(k.max(Duration::from_millis(1)))
}

/// The hold time both sides use ([RFC 4271 §4.2](https://www.rfc-editor.org/rfc/rfc4271#section-4.2)).
pub(crate) fn negotiated_hold_time(config: &SessionConfig, peer: &OpenMessage) -> u16 {
    if config.hold_time == 0 || peer.hold_time == 0 {
        0
    } else {
        config.hold_time.min(peer.hold_time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GracefulRestart;
    use bgp_wire::capability::AddPathMode;

    fn cfg() -> SessionConfig {
        SessionConfig::new(65001, Some(65002), Ipv4Addr::new(10, 0, 0, 1))
    }

    fn peer_open(caps: Vec<Capability>) -> OpenMessage {
        OpenMessage::new(65002, 30, Ipv4Addr::new(10, 0, 0, 2), caps)
    }

    fn sub(r: Result<(), OpenCheckError>) -> (u8, u8) {
        let n = r.unwrap_err().notification();
        (n.code.0, n.subcode)
    }

    #[test]
    fn open_errors_map_to_subcodes() {
        let c = cfg();
        let good = peer_open(vec![Capability::FourOctetAs(65002)]);
        assert_eq!(check_open(&c, &good), Ok(()));

        let mut o = good.clone();
        o.version = 3;
        assert_eq!(sub(check_open(&c, &o)), (2, 1));
        let mut o = good.clone();
        o.my_as = 65003;
        o.params.clear();
        assert_eq!(sub(check_open(&c, &o)), (2, 2));
        // AS_TRANS in My AS needs the 4-octet capability.
        let mut c_any = cfg();
        c_any.peer_as = None;
        let mut o = peer_open(vec![]);
        o.my_as = 23456;
        assert_eq!(sub(check_open(&c_any, &o)), (2, 2));
        let o = OpenMessage::new(0, 30, Ipv4Addr::new(10, 0, 0, 2), vec![]);
        assert_eq!(sub(check_open(&c_any, &o)), (2, 2));
        for h in [1, 2] {
            let mut o = good.clone();
            o.hold_time = h;
            assert_eq!(sub(check_open(&c, &o)), (2, 6));
        }
        let mut c10 = cfg();
        c10.min_hold_time = 10;
        let mut o = good.clone();
        o.hold_time = 9;
        assert_eq!(sub(check_open(&c10, &o)), (2, 6));
        o.hold_time = 0;
        assert_eq!(check_open(&c10, &o), Ok(()));
        let mut o = good.clone();
        o.bgp_id = Ipv4Addr::UNSPECIFIED;
        assert_eq!(sub(check_open(&c, &o)), (2, 3));
        // The same identifier: refused on iBGP only (RFC 6286 §2.2).
        let mut ibgp = cfg();
        ibgp.peer_as = Some(65001);
        let o = OpenMessage::new(65001, 30, c.bgp_id, vec![]);
        assert_eq!(sub(check_open(&ibgp, &o)), (2, 3));
        let o = OpenMessage::new(65002, 30, c.bgp_id, vec![]);
        assert_eq!(check_open(&c, &o), Ok(()));
        let mut o = good.clone();
        o.params.push(bgp_wire::open::OptionalParameter::Unknown {
            ty: 9,
            data: vec![],
        });
        assert_eq!(sub(check_open(&c, &o)), (2, 4));
    }

    #[test]
    fn required_capabilities_are_listed_in_the_notification() {
        let mut c = cfg();
        c.required_capabilities =
            vec![CapabilityCode::ROUTE_REFRESH, CapabilityCode::FOUR_OCTET_AS];
        let o = peer_open(vec![Capability::FourOctetAs(65002)]);
        let e = check_open(&c, &o).unwrap_err();
        assert_eq!(
            e,
            OpenCheckError::MissingCapabilities(vec![Capability::RouteRefresh])
        );
        let n = e.notification();
        assert_eq!((n.code.0, n.subcode, n.data), (2, 7, vec![2, 0]));
        let o = peer_open(vec![
            Capability::FourOctetAs(65002),
            Capability::RouteRefresh,
        ]);
        assert_eq!(check_open(&c, &o), Ok(()));
    }

    #[test]
    fn roles() {
        let mut c = cfg();
        c.role = Some(Role::CUSTOMER);
        let with = |r| peer_open(vec![Capability::Role(r)]);
        assert_eq!(check_open(&c, &with(Role::PROVIDER)), Ok(()));
        assert_eq!(sub(check_open(&c, &with(Role::CUSTOMER))), (2, 11));
        assert_eq!(sub(check_open(&c, &with(Role::PEER))), (2, 11));
        assert_eq!(check_open(&c, &peer_open(vec![])), Ok(()));
        let two = peer_open(vec![
            Capability::Role(Role::PROVIDER),
            Capability::Role(Role::PEER),
        ]);
        assert_eq!(sub(check_open(&c, &two)), (2, 11));
        c.strict_role = true;
        assert_eq!(sub(check_open(&c, &peer_open(vec![]))), (2, 11));
        assert!(roles_match(Role::RS, Role::RS_CLIENT));
        assert!(roles_match(Role::PEER, Role::PEER));
        assert!(!roles_match(Role::RS, Role::RS));
    }

    #[test]
    fn negotiation_intersects_and_derives_contexts() {
        let mut c = cfg();
        c.families = vec![
            Family::IPV4_UNICAST,
            Family::IPV6_UNICAST,
            Family::IPV4_MULTICAST,
        ];
        c.add_path = vec![
            (Family::IPV4_UNICAST, AddPathMode::BOTH),
            (Family::IPV6_UNICAST, AddPathMode::RECEIVE),
        ];
        c.extended_message = true;
        c.extended_next_hop = vec![(Family::IPV4_UNICAST, Afi::IPV6)];
        c.enhanced_route_refresh = true;
        c.graceful_restart = Some(GracefulRestart::new(120, &[Family::IPV4_UNICAST]));
        c.long_lived_gr = vec![LlgrFamily {
            family: Family::IPV4_UNICAST,
            forwarding: true,
            stale_time: 3600,
        }];
        c.role = Some(Role::PROVIDER);
        let peer = peer_open(vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::Multiprotocol(Family::IPV6_UNICAST),
            Capability::RouteRefresh,
            Capability::EnhancedRouteRefresh,
            Capability::FourOctetAs(65002),
            Capability::AddPath(vec![
                (Family::IPV4_UNICAST, AddPathMode::SEND),
                (Family::IPV6_UNICAST, AddPathMode::RECEIVE),
            ]),
            Capability::ExtendedMessage,
            Capability::ExtendedNextHop(vec![(Family::IPV4_UNICAST, Afi::IPV6)]),
            Capability::GracefulRestart {
                restart_state: true,
                notification: true,
                restart_time: 90,
                families: vec![GrFamily {
                    family: Family::IPV4_UNICAST,
                    forwarding: true,
                }],
            },
            Capability::LongLivedGr(vec![LlgrFamily {
                family: Family::IPV4_UNICAST,
                forwarding: false,
                stale_time: 600,
            }]),
            Capability::Role(Role::CUSTOMER),
        ]);
        assert_eq!(check_open(&c, &peer), Ok(()));
        let n = Negotiated::new(&c, &peer);
        assert_eq!(n.hold_time, 30);
        assert_eq!(n.keepalive, Some(Duration::from_secs(10)));
        assert!(n.four_octet_as && n.ebgp && n.extended_message);
        assert_eq!(
            n.families.iter().collect::<Vec<_>>(),
            [Family::IPV4_UNICAST, Family::IPV6_UNICAST]
        );
        assert!(n.add_path_receive.contains(Family::IPV4_UNICAST));
        assert!(!n.add_path_send.contains(Family::IPV4_UNICAST));
        assert!(!n.add_path_receive.contains(Family::IPV6_UNICAST));
        assert!(n.route_refresh && n.enhanced_route_refresh && n.hard_reset);
        let gr = n.graceful_restart.as_ref().unwrap();
        assert_eq!(gr.restart_time, Duration::from_secs(90));
        assert!(gr.restarting);
        assert!(n.peer_forwarding_preserved(Family::IPV4_UNICAST));
        assert!(!n.peer_forwarding_preserved(Family::IPV6_UNICAST));
        assert_eq!(n.long_lived_gr[0].stale_time, 600);
        assert_eq!(n.peer_role, Some(Role::CUSTOMER));
        let rx = n.receive_context();
        assert_eq!(rx.max_message_len, 65535);
        assert!(rx.add_path(Family::IPV4_UNICAST));
        assert!(rx.extended_next_hop.contains(Family::IPV4_UNICAST));
        assert!(!n.send_context().add_path(Family::IPV4_UNICAST));

        // A peer without capabilities: IPv4 unicast, 2-octet AS, nothing else.
        let bare = OpenMessage::new(65002, 0, Ipv4Addr::new(10, 0, 0, 2), vec![]);
        let n = Negotiated::new(&c, &bare);
        assert_eq!(
            n.families.iter().collect::<Vec<_>>(),
            [Family::IPV4_UNICAST]
        );
        assert!(!n.four_octet_as && !n.route_refresh && n.graceful_restart.is_none());
        assert_eq!((n.hold_time, n.keepalive), (0, None));
        assert_eq!(n.max_message_len(), 4096);
    }
}

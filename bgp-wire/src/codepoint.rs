//! Code-point tables: one macro invocation per family (message types,
//! capabilities, path attributes, AFI/SAFI, NOTIFICATION codes).
//!
//! Each code point is a transparent newtype over its wire integer with named
//! associated constants, so an unknown value is kept as received and adding a
//! code point is a one-line change. `Debug` prints the name when known.

/// Declares a newtype code point with named constants and a name table.
macro_rules! codepoints {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident($ty:ty) {
            $( $(#[$cmeta:meta])* $cname:ident = $val:literal => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        #[repr(transparent)]
        $vis struct $name(pub $ty);

        impl $name {
            $( $(#[$cmeta])* pub const $cname: Self = Self($val); )*

            /// The registered name of this code point, if this table knows it.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $val => Some($text), )*
                    _ => None,
                }
            }

            /// Whether this table names the code point.
            pub const fn is_known(self) -> bool {
                self.name().is_some()
            }
        }

        impl From<$ty> for $name {
            #[inline]
            fn from(v: $ty) -> Self {
                Self(v)
            }
        }

        impl From<$name> for $ty {
            #[inline]
            fn from(v: $name) -> $ty {
                v.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{}({})", stringify!($name), self.0),
                }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{}", self.0),
                }
            }
        }
    };
}

codepoints! {
    /// BGP message type ([RFC 4271 §4.1](https://www.rfc-editor.org/rfc/rfc4271#section-4.1)).
    pub struct MessageType(u8) {
        /// OPEN.
        OPEN = 1 => "OPEN",
        /// UPDATE.
        UPDATE = 2 => "UPDATE",
        /// NOTIFICATION.
        NOTIFICATION = 3 => "NOTIFICATION",
        /// KEEPALIVE.
        KEEPALIVE = 4 => "KEEPALIVE",
        /// ROUTE-REFRESH ([RFC 2918](https://www.rfc-editor.org/rfc/rfc2918)).
        ROUTE_REFRESH = 5 => "ROUTE-REFRESH",
    }
}

codepoints! {
    /// Address Family Identifier (IANA "Address Family Numbers").
    pub struct Afi(u16) {
        /// IPv4.
        IPV4 = 1 => "IPv4",
        /// IPv6.
        IPV6 = 2 => "IPv6",
        /// Layer-2 VPN (VPLS, EVPN).
        L2VPN = 25 => "L2VPN",
        /// BGP-LS ([RFC 9552](https://www.rfc-editor.org/rfc/rfc9552)).
        BGP_LS = 16388 => "BGP-LS",
    }
}

codepoints! {
    /// Subsequent Address Family Identifier ([RFC 4760](https://www.rfc-editor.org/rfc/rfc4760)).
    pub struct Safi(u8) {
        /// Unicast forwarding.
        UNICAST = 1 => "unicast",
        /// Multicast forwarding.
        MULTICAST = 2 => "multicast",
        /// Labelled unicast ([RFC 8277](https://www.rfc-editor.org/rfc/rfc8277)).
        LABELED_UNICAST = 4 => "labeled-unicast",
        /// Multicast VPN ([RFC 6514](https://www.rfc-editor.org/rfc/rfc6514)).
        MCAST_VPN = 5 => "mcast-vpn",
        /// VPLS ([RFC 4761](https://www.rfc-editor.org/rfc/rfc4761)).
        VPLS = 65 => "vpls",
        /// EVPN ([RFC 7432](https://www.rfc-editor.org/rfc/rfc7432)).
        EVPN = 70 => "evpn",
        /// BGP-LS ([RFC 9552](https://www.rfc-editor.org/rfc/rfc9552)).
        BGP_LS = 71 => "bgp-ls",
        /// SR Policy.
        SR_POLICY = 73 => "sr-policy",
        /// MPLS-labelled VPN ([RFC 4364](https://www.rfc-editor.org/rfc/rfc4364)).
        MPLS_VPN = 128 => "mpls-vpn",
        /// Route-target constraint ([RFC 4684](https://www.rfc-editor.org/rfc/rfc4684)).
        RT_CONSTRAINT = 132 => "rtc",
        /// FlowSpec ([RFC 8955](https://www.rfc-editor.org/rfc/rfc8955)).
        FLOWSPEC = 133 => "flowspec",
        /// FlowSpec for VPNs.
        FLOWSPEC_VPN = 134 => "flowspec-vpn",
    }
}

codepoints! {
    /// Capability code ([RFC 5492](https://www.rfc-editor.org/rfc/rfc5492), IANA registry).
    pub struct CapabilityCode(u8) {
        /// Multiprotocol extensions ([RFC 4760](https://www.rfc-editor.org/rfc/rfc4760)).
        MULTIPROTOCOL = 1 => "multiprotocol",
        /// Route refresh ([RFC 2918](https://www.rfc-editor.org/rfc/rfc2918)).
        ROUTE_REFRESH = 2 => "route-refresh",
        /// Outbound route filtering ([RFC 5291](https://www.rfc-editor.org/rfc/rfc5291)).
        ORF = 3 => "orf",
        /// Extended next hop encoding ([RFC 8950](https://www.rfc-editor.org/rfc/rfc8950)).
        EXTENDED_NEXT_HOP = 5 => "extended-next-hop",
        /// Extended message ([RFC 8654](https://www.rfc-editor.org/rfc/rfc8654)).
        EXTENDED_MESSAGE = 6 => "extended-message",
        /// BGP role ([RFC 9234](https://www.rfc-editor.org/rfc/rfc9234)).
        ROLE = 9 => "role",
        /// Graceful restart ([RFC 4724](https://www.rfc-editor.org/rfc/rfc4724)).
        GRACEFUL_RESTART = 64 => "graceful-restart",
        /// 4-octet AS numbers ([RFC 6793](https://www.rfc-editor.org/rfc/rfc6793)).
        FOUR_OCTET_AS = 65 => "4-octet-as",
        /// ADD-PATH ([RFC 7911](https://www.rfc-editor.org/rfc/rfc7911)).
        ADD_PATH = 69 => "add-path",
        /// Enhanced route refresh ([RFC 7313](https://www.rfc-editor.org/rfc/rfc7313)).
        ENHANCED_ROUTE_REFRESH = 70 => "enhanced-route-refresh",
        /// Long-lived graceful restart ([RFC 9494](https://www.rfc-editor.org/rfc/rfc9494)).
        LONG_LIVED_GR = 71 => "long-lived-graceful-restart",
        /// FQDN (hostname) capability (draft-walton-bgp-hostname-capability).
        FQDN = 73 => "fqdn",
        /// Software version (draft-abraitis-bgp-version-capability).
        SOFTWARE_VERSION = 75 => "software-version",
        /// Pre-standard route refresh (Cisco).
        ROUTE_REFRESH_CISCO = 128 => "route-refresh-cisco",
    }
}

codepoints! {
    /// Path attribute type code ([RFC 4271 §5](https://www.rfc-editor.org/rfc/rfc4271#section-5), IANA registry).
    pub struct AttrType(u8) {
        /// ORIGIN (well-known mandatory).
        ORIGIN = 1 => "ORIGIN",
        /// AS_PATH (well-known mandatory).
        AS_PATH = 2 => "AS_PATH",
        /// NEXT_HOP (well-known mandatory for IPv4 NLRI).
        NEXT_HOP = 3 => "NEXT_HOP",
        /// MULTI_EXIT_DISC (optional non-transitive).
        MED = 4 => "MULTI_EXIT_DISC",
        /// LOCAL_PREF (well-known, iBGP only).
        LOCAL_PREF = 5 => "LOCAL_PREF",
        /// ATOMIC_AGGREGATE (well-known discretionary).
        ATOMIC_AGGREGATE = 6 => "ATOMIC_AGGREGATE",
        /// AGGREGATOR (optional transitive).
        AGGREGATOR = 7 => "AGGREGATOR",
        /// COMMUNITIES ([RFC 1997](https://www.rfc-editor.org/rfc/rfc1997)).
        COMMUNITIES = 8 => "COMMUNITIES",
        /// ORIGINATOR_ID ([RFC 4456](https://www.rfc-editor.org/rfc/rfc4456)).
        ORIGINATOR_ID = 9 => "ORIGINATOR_ID",
        /// CLUSTER_LIST ([RFC 4456](https://www.rfc-editor.org/rfc/rfc4456)).
        CLUSTER_LIST = 10 => "CLUSTER_LIST",
        /// MP_REACH_NLRI ([RFC 4760](https://www.rfc-editor.org/rfc/rfc4760)).
        MP_REACH_NLRI = 14 => "MP_REACH_NLRI",
        /// MP_UNREACH_NLRI ([RFC 4760](https://www.rfc-editor.org/rfc/rfc4760)).
        MP_UNREACH_NLRI = 15 => "MP_UNREACH_NLRI",
        /// EXTENDED COMMUNITIES ([RFC 4360](https://www.rfc-editor.org/rfc/rfc4360)).
        EXTENDED_COMMUNITIES = 16 => "EXTENDED_COMMUNITIES",
        /// AS4_PATH ([RFC 6793](https://www.rfc-editor.org/rfc/rfc6793)).
        AS4_PATH = 17 => "AS4_PATH",
        /// AS4_AGGREGATOR ([RFC 6793](https://www.rfc-editor.org/rfc/rfc6793)).
        AS4_AGGREGATOR = 18 => "AS4_AGGREGATOR",
        /// PMSI_TUNNEL ([RFC 6514](https://www.rfc-editor.org/rfc/rfc6514)).
        PMSI_TUNNEL = 22 => "PMSI_TUNNEL",
        /// Tunnel Encapsulation ([RFC 9012](https://www.rfc-editor.org/rfc/rfc9012)).
        TUNNEL_ENCAPSULATION = 23 => "TUNNEL_ENCAPSULATION",
        /// IPv6 Address Specific Extended Community ([RFC 5701](https://www.rfc-editor.org/rfc/rfc5701)).
        IPV6_EXTENDED_COMMUNITIES = 25 => "IPV6_EXTENDED_COMMUNITIES",
        /// AIGP ([RFC 7311](https://www.rfc-editor.org/rfc/rfc7311)).
        AIGP = 26 => "AIGP",
        /// BGP-LS attribute ([RFC 9552](https://www.rfc-editor.org/rfc/rfc9552)).
        BGP_LS = 29 => "BGP-LS",
        /// LARGE_COMMUNITY ([RFC 8092](https://www.rfc-editor.org/rfc/rfc8092)).
        LARGE_COMMUNITIES = 32 => "LARGE_COMMUNITY",
        /// BGPsec_Path ([RFC 8205](https://www.rfc-editor.org/rfc/rfc8205)).
        BGPSEC_PATH = 33 => "BGPsec_Path",
        /// Only to Customer ([RFC 9234](https://www.rfc-editor.org/rfc/rfc9234)).
        OTC = 35 => "OTC",
        /// BGP Prefix-SID ([RFC 8669](https://www.rfc-editor.org/rfc/rfc8669)).
        PREFIX_SID = 40 => "PREFIX_SID",
        /// ATTR_SET ([RFC 6368](https://www.rfc-editor.org/rfc/rfc6368)).
        ATTR_SET = 128 => "ATTR_SET",
    }
}

codepoints! {
    /// NOTIFICATION error code ([RFC 4271 §4.5](https://www.rfc-editor.org/rfc/rfc4271#section-4.5)).
    pub struct ErrorCode(u8) {
        /// Message Header Error.
        MESSAGE_HEADER = 1 => "Message Header Error",
        /// OPEN Message Error.
        OPEN_MESSAGE = 2 => "OPEN Message Error",
        /// UPDATE Message Error.
        UPDATE_MESSAGE = 3 => "UPDATE Message Error",
        /// Hold Timer Expired.
        HOLD_TIMER_EXPIRED = 4 => "Hold Timer Expired",
        /// Finite State Machine Error ([RFC 6608](https://www.rfc-editor.org/rfc/rfc6608)).
        FSM = 5 => "Finite State Machine Error",
        /// Cease ([RFC 4486](https://www.rfc-editor.org/rfc/rfc4486)).
        CEASE = 6 => "Cease",
        /// ROUTE-REFRESH Message Error ([RFC 7313](https://www.rfc-editor.org/rfc/rfc7313)).
        ROUTE_REFRESH = 7 => "ROUTE-REFRESH Message Error",
    }
}

codepoints! {
    /// A BGP Role ([RFC 9234 §4.1](https://www.rfc-editor.org/rfc/rfc9234#section-4.1)).
    /// Unknown values are kept; the FSM decides whether they are a Role Mismatch.
    pub struct Role(u8) {
        /// Provider: the peer is a customer of this speaker.
        PROVIDER = 0 => "Provider",
        /// Route server: the peer is a route-server client.
        RS = 1 => "RS",
        /// Route-server client: the peer is a route server.
        RS_CLIENT = 2 => "RS-Client",
        /// Customer: the peer is a provider of this speaker.
        CUSTOMER = 3 => "Customer",
        /// Lateral peer.
        PEER = 4 => "Peer",
    }
}

codepoints! {
    /// The Send/Receive field of an ADD-PATH entry
    /// ([RFC 7911 §4](https://www.rfc-editor.org/rfc/rfc7911#section-4)). Other
    /// values are kept; RFC 7911 says such an entry is ignored.
    pub struct AddPathMode(u8) {
        /// The speaker can receive multiple paths.
        RECEIVE = 1 => "receive",
        /// The speaker can send multiple paths.
        SEND = 2 => "send",
        /// Both.
        BOTH = 3 => "send/receive",
    }
}

codepoints! {
    /// The Message Subtype of a ROUTE-REFRESH
    /// ([RFC 7313 §3.2](https://www.rfc-editor.org/rfc/rfc7313#section-3.2)).
    /// Other values are kept; RFC 7313 §5 says such a message is ignored.
    pub struct RouteRefreshSubtype(u8) {
        /// A normal route refresh request (RFC 2918).
        NORMAL = 0 => "Route-Refresh",
        /// Beginning of Route Refresh (BoRR).
        BORR = 1 => "BoRR",
        /// End of Route Refresh (EoRR).
        EORR = 2 => "EoRR",
    }
}

/// NOTIFICATION subcodes, one table per error code
/// ([RFC 4271 §6](https://www.rfc-editor.org/rfc/rfc4271#section-6), RFC 4486,
/// RFC 5492, RFC 6608, RFC 7313, RFC 8538, RFC 9234).
pub mod subcode {
    codepoints! {
        /// Subcodes of Message Header Error (1).
        pub struct Header(u8) {
            /// Connection Not Synchronized.
            CONNECTION_NOT_SYNCHRONIZED = 1 => "Connection Not Synchronized",
            /// Bad Message Length.
            BAD_MESSAGE_LENGTH = 2 => "Bad Message Length",
            /// Bad Message Type.
            BAD_MESSAGE_TYPE = 3 => "Bad Message Type",
        }
    }
    codepoints! {
        /// Subcodes of OPEN Message Error (2).
        pub struct Open(u8) {
            /// Unsupported Version Number.
            UNSUPPORTED_VERSION = 1 => "Unsupported Version Number",
            /// Bad Peer AS.
            BAD_PEER_AS = 2 => "Bad Peer AS",
            /// Bad BGP Identifier.
            BAD_BGP_IDENTIFIER = 3 => "Bad BGP Identifier",
            /// Unsupported Optional Parameter.
            UNSUPPORTED_OPTIONAL_PARAMETER = 4 => "Unsupported Optional Parameter",
            /// Authentication Failure (deprecated).
            AUTHENTICATION_FAILURE = 5 => "Authentication Failure",
            /// Unacceptable Hold Time.
            UNACCEPTABLE_HOLD_TIME = 6 => "Unacceptable Hold Time",
            /// Unsupported Capability ([RFC 5492](https://www.rfc-editor.org/rfc/rfc5492)).
            UNSUPPORTED_CAPABILITY = 7 => "Unsupported Capability",
            /// Role Mismatch ([RFC 9234](https://www.rfc-editor.org/rfc/rfc9234)).
            ROLE_MISMATCH = 11 => "Role Mismatch",
        }
    }
    codepoints! {
        /// Subcodes of UPDATE Message Error (3).
        pub struct Update(u8) {
            /// Malformed Attribute List.
            MALFORMED_ATTRIBUTE_LIST = 1 => "Malformed Attribute List",
            /// Unrecognized Well-known Attribute.
            UNRECOGNIZED_WELL_KNOWN = 2 => "Unrecognized Well-known Attribute",
            /// Missing Well-known Attribute.
            MISSING_WELL_KNOWN = 3 => "Missing Well-known Attribute",
            /// Attribute Flags Error.
            ATTRIBUTE_FLAGS = 4 => "Attribute Flags Error",
            /// Attribute Length Error.
            ATTRIBUTE_LENGTH = 5 => "Attribute Length Error",
            /// Invalid ORIGIN Attribute.
            INVALID_ORIGIN = 6 => "Invalid ORIGIN Attribute",
            /// AS Routing Loop (deprecated).
            AS_ROUTING_LOOP = 7 => "AS Routing Loop",
            /// Invalid NEXT_HOP Attribute.
            INVALID_NEXT_HOP = 8 => "Invalid NEXT_HOP Attribute",
            /// Optional Attribute Error.
            OPTIONAL_ATTRIBUTE = 9 => "Optional Attribute Error",
            /// Invalid Network Field.
            INVALID_NETWORK_FIELD = 10 => "Invalid Network Field",
            /// Malformed AS_PATH.
            MALFORMED_AS_PATH = 11 => "Malformed AS_PATH",
        }
    }
    codepoints! {
        /// Subcodes of Finite State Machine Error (5, [RFC 6608](https://www.rfc-editor.org/rfc/rfc6608)).
        pub struct Fsm(u8) {
            /// Unspecified Error.
            UNSPECIFIED = 0 => "Unspecified Error",
            /// Receive Unexpected Message in OpenSent State.
            UNEXPECTED_IN_OPEN_SENT = 1 => "Receive Unexpected Message in OpenSent State",
            /// Receive Unexpected Message in OpenConfirm State.
            UNEXPECTED_IN_OPEN_CONFIRM = 2 => "Receive Unexpected Message in OpenConfirm State",
            /// Receive Unexpected Message in Established State.
            UNEXPECTED_IN_ESTABLISHED = 3 => "Receive Unexpected Message in Established State",
        }
    }
    codepoints! {
        /// Subcodes of Cease (6, [RFC 4486](https://www.rfc-editor.org/rfc/rfc4486), [RFC 8538](https://www.rfc-editor.org/rfc/rfc8538)).
        pub struct Cease(u8) {
            /// Maximum Number of Prefixes Reached.
            MAX_PREFIXES = 1 => "Maximum Number of Prefixes Reached",
            /// Administrative Shutdown.
            ADMINISTRATIVE_SHUTDOWN = 2 => "Administrative Shutdown",
            /// Peer De-configured.
            PEER_DECONFIGURED = 3 => "Peer De-configured",
            /// Administrative Reset.
            ADMINISTRATIVE_RESET = 4 => "Administrative Reset",
            /// Connection Rejected.
            CONNECTION_REJECTED = 5 => "Connection Rejected",
            /// Other Configuration Change.
            OTHER_CONFIGURATION_CHANGE = 6 => "Other Configuration Change",
            /// Connection Collision Resolution.
            CONNECTION_COLLISION = 7 => "Connection Collision Resolution",
            /// Out of Resources.
            OUT_OF_RESOURCES = 8 => "Out of Resources",
            /// Hard Reset ([RFC 8538](https://www.rfc-editor.org/rfc/rfc8538)).
            HARD_RESET = 9 => "Hard Reset",
            /// BFD Down ([RFC 9384](https://www.rfc-editor.org/rfc/rfc9384)).
            BFD_DOWN = 10 => "BFD Down",
        }
    }
    codepoints! {
        /// Subcodes of ROUTE-REFRESH Message Error (7, [RFC 7313](https://www.rfc-editor.org/rfc/rfc7313)).
        pub struct RouteRefresh(u8) {
            /// Invalid Message Length.
            INVALID_MESSAGE_LENGTH = 1 => "Invalid Message Length",
        }
    }
}

/// The name of a (code, subcode) pair, when both tables know it.
pub fn subcode_name(code: ErrorCode, sub: u8) -> Option<&'static str> {
    match code {
        ErrorCode::MESSAGE_HEADER => subcode::Header(sub).name(),
        ErrorCode::OPEN_MESSAGE => subcode::Open(sub).name(),
        ErrorCode::UPDATE_MESSAGE => subcode::Update(sub).name(),
        ErrorCode::FSM => subcode::Fsm(sub).name(),
        ErrorCode::CEASE => subcode::Cease(sub).name(),
        ErrorCode::ROUTE_REFRESH => subcode::RouteRefresh(sub).name(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_values_round_trip() {
        assert_eq!(AttrType::from(2), AttrType::AS_PATH);
        assert_eq!(format!("{:?}", AttrType(2)), "AS_PATH");
        assert_eq!(format!("{:?}", AttrType(99)), "AttrType(99)");
        assert_eq!(u8::from(AttrType(99)), 99);
        assert!(!CapabilityCode(200).is_known());
        assert_eq!(subcode_name(ErrorCode::CEASE, 9), Some("Hard Reset"));
        assert_eq!(subcode_name(ErrorCode(42), 1), None);
    }
}

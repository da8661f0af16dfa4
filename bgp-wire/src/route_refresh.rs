//! ROUTE-REFRESH messages ([RFC 2918]) with the message subtypes of enhanced
//! route refresh ([RFC 7313]).
//!
//! ```text
//! 0       7      15      23      31
//! +-------+-------+-------+-------+
//! |      AFI      | Subtype | SAFI |
//! +-------+-------+-------+-------+
//! ```
//!
//! The octet RFC 2918 calls "Reserved" is the Message Subtype of RFC 7313 §3.2.
//! Octets after the fixed four are ORF entries ([RFC 5291 §4]) and are kept
//! undecoded in [`RouteRefresh::orf`].
//!
//! [RFC 2918]: https://www.rfc-editor.org/rfc/rfc2918
//! [RFC 7313]: https://www.rfc-editor.org/rfc/rfc7313
//! [RFC 5291 §4]: https://www.rfc-editor.org/rfc/rfc5291#section-4

use crate::codepoint::{Afi, ErrorCode, MessageType, Safi, subcode};
use crate::header::{HEADER_LEN, MARKER, MAX_EXTENDED_MESSAGE_LEN, put_header};
use crate::notification::Notification;
use crate::types::Family;

/// The fixed part of a ROUTE-REFRESH body: AFI, subtype, SAFI.
pub const ROUTE_REFRESH_BODY_LEN: usize = 4;

//----------- RouteRefreshSubtype ---------------------------------------------

pub use crate::codepoint::RouteRefreshSubtype;

impl RouteRefreshSubtype {
    /// BoRR or EoRR: the subtypes whose body must be exactly 4 octets.
    pub const fn is_demarcation(self) -> bool {
        self.0 == Self::BORR.0 || self.0 == Self::EORR.0
    }
}

//----------- RouteRefresh ----------------------------------------------------

/// An owned ROUTE-REFRESH message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RouteRefresh {
    /// The family to refresh.
    pub family: Family,
    /// The message subtype.
    pub subtype: RouteRefreshSubtype,
    /// The octets after the fixed four: ORF entries ([RFC 5291]) for
    /// [`RouteRefreshSubtype::NORMAL`], normally empty. Always empty for BoRR
    /// and EoRR.
    ///
    /// [RFC 5291]: https://www.rfc-editor.org/rfc/rfc5291
    pub orf: Vec<u8>,
}

impl RouteRefresh {
    /// A normal refresh request for `family`.
    pub fn new(family: Family) -> Self {
        Self::with_subtype(family, RouteRefreshSubtype::NORMAL)
    }

    /// A refresh message of the given subtype, without ORF entries.
    pub fn with_subtype(family: Family, subtype: RouteRefreshSubtype) -> Self {
        Self {
            family,
            subtype,
            orf: Vec::new(),
        }
    }

    /// Decodes a ROUTE-REFRESH body (the message without its 19-octet header).
    ///
    /// Errors ([RFC 7313 §5](https://www.rfc-editor.org/rfc/rfc7313#section-5)):
    /// a body shorter than 4 octets, and a BoRR or EoRR whose body is not
    /// exactly 4 octets. A normal request or an unknown subtype keeps its
    /// extra octets in [`orf`](Self::orf).
    pub fn parse(body: &[u8]) -> Result<Self, RouteRefreshError> {
        let Some((&[a0, a1, subtype, safi], rest)) = body.split_first_chunk::<4>() else {
            return Err(RouteRefreshError::TooShort {
                body: body.to_vec(),
            });
        };
        let subtype = RouteRefreshSubtype(subtype);
        if subtype.is_demarcation() && !rest.is_empty() {
            return Err(RouteRefreshError::InvalidLength {
                subtype,
                body: body.to_vec(),
            });
        }
        Ok(Self {
            family: Family::new(Afi(u16::from_be_bytes([a0, a1])), Safi(safi)),
            subtype,
            orf: rest.to_vec(),
        })
    }

    /// The whole message length, header included.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + ROUTE_REFRESH_BODY_LEN + self.orf.len()
    }

    /// Appends the whole message, header included, to `out`.
    ///
    /// `max_len` is the largest message the session allows (4096, or up to
    /// 65535 with [RFC 8654]); only ORF entries can make a ROUTE-REFRESH
    /// longer than 23 octets. Fails, writing nothing, when the message is too
    /// long or when a BoRR/EoRR carries ORF octets (which
    /// [`parse`](Self::parse) would reject).
    ///
    /// [RFC 8654]: https://www.rfc-editor.org/rfc/rfc8654
    pub fn emit(&self, out: &mut Vec<u8>, max_len: usize) -> Result<(), RouteRefreshEncodeError> {
        if self.subtype.is_demarcation() && !self.orf.is_empty() {
            return Err(RouteRefreshEncodeError::OrfWithDemarcation(self.subtype));
        }
        let len = self.encoded_len();
        let max = max_len.min(MAX_EXTENDED_MESSAGE_LEN);
        let too_long = RouteRefreshEncodeError::TooLong { len, max };
        if len > max {
            return Err(too_long);
        }
        let len16 = u16::try_from(len).map_err(|_| too_long)?;
        out.reserve(len);
        put_header(out, MessageType::ROUTE_REFRESH, len16);
        out.extend_from_slice(&self.family.afi.0.to_be_bytes());
        out.push(self.subtype.0);
        out.push(self.family.safi.0);
        out.extend_from_slice(&self.orf);
        Ok(())
    }
}

/// Builds only values that [`RouteRefresh::emit`] accepts: no ORF octets for
/// BoRR and EoRR.
#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for RouteRefresh {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let family = u.arbitrary()?;
        let subtype: RouteRefreshSubtype = u.arbitrary()?;
        let orf = if subtype.is_demarcation() {
            Vec::new()
        } else {
            u.arbitrary()?
        };
        Ok(Self {
            family,
            subtype,
            orf,
        })
    }
}

//----------- Errors ----------------------------------------------------------

/// A ROUTE-REFRESH that cannot be decoded
/// ([RFC 7313 §5](https://www.rfc-editor.org/rfc/rfc7313#section-5)).
///
/// Both variants keep the received body, because the NOTIFICATION must carry
/// the complete message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteRefreshError {
    /// The body is shorter than AFI, subtype and SAFI.
    #[error("ROUTE-REFRESH body of {} octet(s) is shorter than 4", body.len())]
    TooShort {
        /// The received body.
        body: Vec<u8>,
    },
    /// A BoRR or EoRR whose body is not exactly 4 octets.
    #[error("{subtype:?} ROUTE-REFRESH body of {} octets is not 4", body.len())]
    InvalidLength {
        /// The subtype.
        subtype: RouteRefreshSubtype,
        /// The received body.
        body: Vec<u8>,
    },
}

impl RouteRefreshError {
    /// The received body.
    pub fn body(&self) -> &[u8] {
        match self {
            Self::TooShort { body } | Self::InvalidLength { body, .. } => body,
        }
    }

    /// The NOTIFICATION to send: ROUTE-REFRESH Message Error / Invalid
    /// Message Length (7/1), whose data "MUST contain the complete
    /// ROUTE-REFRESH message" (RFC 7313 §5).
    ///
    /// Only the body was parsed, so the header is rebuilt: the all-ones
    /// marker, length 19 + body length, and type 5. For a body that came out
    /// of [`frame`](crate::header::frame) these are exactly the received
    /// octets. The data can be as long as the message, so on a session
    /// without extended messages the NOTIFICATION may not fit 4096 octets;
    /// the caller then shortens the data.
    pub fn notification(&self) -> Notification {
        let body = self.body();
        let len = HEADER_LEN + body.len();
        let mut data = Vec::with_capacity(len);
        data.extend_from_slice(&MARKER);
        data.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
        data.push(MessageType::ROUTE_REFRESH.0);
        data.extend_from_slice(body);
        Notification::new(
            ErrorCode::ROUTE_REFRESH,
            subcode::RouteRefresh::INVALID_MESSAGE_LENGTH.0,
            data,
        )
    }
}

/// A ROUTE-REFRESH that cannot be encoded (a caller mistake).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteRefreshEncodeError {
    /// The message would exceed the allowed length.
    #[error("ROUTE-REFRESH of {len} octets exceeds the maximum of {max}")]
    TooLong {
        /// The message length, header included.
        len: usize,
        /// The effective maximum.
        max: usize,
    },
    /// A BoRR or EoRR with ORF octets.
    #[error("{0:?} ROUTE-REFRESH cannot carry ORF entries")]
    OrfWithDemarcation(RouteRefreshSubtype),
}

#[cfg(test)]
mod tests {
    use arbitrary::{Arbitrary, Unstructured};
    use proptest::prelude::*;

    use super::*;
    use crate::header::{MAX_MESSAGE_LEN, frame};

    fn wire(body: &[u8]) -> Vec<u8> {
        let mut v = MARKER.to_vec();
        v.extend_from_slice(&u16::try_from(19 + body.len()).unwrap().to_be_bytes());
        v.push(5);
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn vectors() {
        // RFC 2918: IPv4 unicast, reserved 0.
        let w = wire(&[0, 1, 0, 1]);
        assert_eq!(frame(&w, MAX_MESSAGE_LEN).unwrap().unwrap().len, 23);
        let rr = RouteRefresh::parse(&w[19..]).unwrap();
        assert_eq!(rr, RouteRefresh::new(Family::IPV4_UNICAST));
        let mut out = vec![0xa5];
        rr.emit(&mut out, MAX_MESSAGE_LEN).unwrap();
        assert_eq!(out[1..], w);
        // RFC 7313 BoRR and EoRR for IPv6 unicast.
        for (st, sub) in [
            (1, RouteRefreshSubtype::BORR),
            (2, RouteRefreshSubtype::EORR),
        ] {
            let rr = RouteRefresh::parse(&[0, 2, st, 1]).unwrap();
            assert_eq!(rr, RouteRefresh::with_subtype(Family::IPV6_UNICAST, sub));
        }
        // ORF entries after a normal request are kept (RFC 5291 §4: when-to-refresh
        // IMMEDIATE, ORF type 64, length 0).
        let rr = RouteRefresh::parse(&[0, 1, 0, 1, 1, 64, 0, 0]).unwrap();
        assert_eq!(rr.orf, [1, 64, 0, 0]);
        // Unknown subtypes are kept, with any extra octets.
        let rr = RouteRefresh::parse(&[0, 1, 9, 1, 7]).unwrap();
        assert_eq!(
            (rr.subtype, &rr.orf[..]),
            (RouteRefreshSubtype(9), &[7u8][..])
        );
        assert_eq!(format!("{:?}", rr.subtype), "RouteRefreshSubtype(9)");
    }

    #[test]
    fn errors() {
        let err = RouteRefresh::parse(&[0, 1, 0]).unwrap_err();
        assert_eq!(
            err,
            RouteRefreshError::TooShort {
                body: vec![0, 1, 0]
            }
        );
        let n = err.notification();
        assert_eq!((n.code, n.subcode), (ErrorCode::ROUTE_REFRESH, 1));
        assert_eq!(n.data, wire(&[0, 1, 0]));
        // RFC 7313 §5: BoRR/EoRR with a body other than 4 octets.
        let body = [0, 1, 2, 1, 0];
        let err = RouteRefresh::parse(&body).unwrap_err();
        assert!(matches!(
            err,
            RouteRefreshError::InvalidLength {
                subtype: RouteRefreshSubtype::EORR,
                ..
            }
        ));
        assert_eq!(err.notification().data, wire(&body));
        assert_eq!(err.body(), body);
        // Caller mistakes.
        let mut bad = RouteRefresh::with_subtype(Family::IPV4_UNICAST, RouteRefreshSubtype::BORR);
        bad.orf = vec![1];
        let mut out = vec![];
        assert!(matches!(
            bad.emit(&mut out, MAX_MESSAGE_LEN),
            Err(RouteRefreshEncodeError::OrfWithDemarcation(_))
        ));
        let mut big = RouteRefresh::new(Family::IPV4_UNICAST);
        big.orf = vec![0; 4096 - 23 + 1];
        assert_eq!(
            big.emit(&mut out, MAX_MESSAGE_LEN),
            Err(RouteRefreshEncodeError::TooLong {
                len: 4097,
                max: 4096
            })
        );
        assert!(out.is_empty());
        assert!(big.emit(&mut out, 65535).is_ok());
    }

    proptest! {
        #[test]
        fn round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut u = Unstructured::new(&bytes);
            if let Ok(rr) = RouteRefresh::arbitrary(&mut u) {
                let mut w = vec![];
                rr.emit(&mut w, MAX_MESSAGE_LEN).unwrap();
                prop_assert_eq!(w.len(), rr.encoded_len());
                let f = frame(&w, MAX_MESSAGE_LEN).unwrap().unwrap();
                prop_assert_eq!(f.len, w.len());
                prop_assert_eq!(RouteRefresh::parse(&w[HEADER_LEN..]), Ok(rr));
            }
        }

        #[test]
        fn parse_never_panics(body in proptest::collection::vec(any::<u8>(), 0..64)) {
            match RouteRefresh::parse(&body) {
                Ok(rr) => prop_assert_eq!(rr.orf.len() + 4, body.len()),
                Err(e) => prop_assert_eq!(e.notification().data.len(), 19 + body.len()),
            }
        }
    }
}

//! NOTIFICATION messages ([RFC 4271 §4.5](https://www.rfc-editor.org/rfc/rfc4271#section-4.5)).
//!
//! Besides the plain (code, subcode, data) triple this module understands two
//! data formats of Cease (6):
//! * the Shutdown Communication of Administrative Shutdown (2) and
//!   Administrative Reset (4), [RFC 9003]: a 1-octet length and up to 255
//!   octets of UTF-8 text;
//! * Hard Reset (9), [RFC 8538 §3]: the data carries the code, subcode and
//!   data of the NOTIFICATION that caused the reset.
//!
//! [RFC 9003]: https://www.rfc-editor.org/rfc/rfc9003
//! [RFC 8538 §3]: https://www.rfc-editor.org/rfc/rfc8538#section-3

use core::fmt;

use crate::codepoint::{ErrorCode, MessageType, subcode, subcode_name};
use crate::header::{HEADER_LEN, MAX_EXTENDED_MESSAGE_LEN, put_header};

/// The largest Shutdown Communication ([RFC 9003 §2](https://www.rfc-editor.org/rfc/rfc9003#section-2)).
pub const MAX_SHUTDOWN_COMMUNICATION_LEN: usize = 255;

/// An owned NOTIFICATION: error code, subcode and data.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Notification {
    /// Error code.
    pub code: ErrorCode,
    /// Error subcode (its meaning depends on `code`).
    pub subcode: u8,
    /// Data, as the error code defines it.
    pub data: Vec<u8>,
}

impl Notification {
    /// A NOTIFICATION from its parts.
    pub fn new(code: ErrorCode, subcode: u8, data: Vec<u8>) -> Self {
        Self {
            code,
            subcode,
            data,
        }
    }

    /// A Cease with a Shutdown Communication ([RFC 9003 §2]).
    ///
    /// `subcode` is normally [`subcode::Cease::ADMINISTRATIVE_SHUTDOWN`] or
    /// [`subcode::Cease::ADMINISTRATIVE_RESET`]. `text` is cut to at most 255
    /// octets at a character boundary. An empty `text` gives empty data (the
    /// [RFC 4486] form without communication).
    ///
    /// [RFC 9003 §2]: https://www.rfc-editor.org/rfc/rfc9003#section-2
    /// [RFC 4486]: https://www.rfc-editor.org/rfc/rfc4486
    pub fn shutdown(subcode: subcode::Cease, text: &str) -> Self {
        let mut end = text.len().min(MAX_SHUTDOWN_COMMUNICATION_LEN);
        // Terminates: index 0 is always a character boundary.
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let text = text.as_bytes().get(..end).unwrap_or_default();
        let mut data = Vec::with_capacity(1 + text.len());
        match u8::try_from(text.len()) {
            Ok(0) | Err(_) => {}
            Ok(len) => {
                data.push(len);
                data.extend_from_slice(text);
            }
        }
        Self::new(ErrorCode::CEASE, subcode.0, data)
    }

    /// A Cease / Hard Reset wrapping the NOTIFICATION that caused it
    /// ([RFC 8538 §3](https://www.rfc-editor.org/rfc/rfc8538#section-3)).
    pub fn hard_reset(inner: &Self) -> Self {
        let mut data = Vec::with_capacity(2 + inner.data.len());
        data.push(inner.code.0);
        data.push(inner.subcode);
        data.extend_from_slice(&inner.data);
        Self::new(ErrorCode::CEASE, subcode::Cease::HARD_RESET.0, data)
    }

    /// Decodes a NOTIFICATION body (the message without its 19-octet header).
    ///
    /// Everything after code and subcode is data, whatever the code.
    pub fn parse(body: &[u8]) -> Result<Self, NotificationError> {
        let Some((&[code, subcode], data)) = body.split_first_chunk::<2>() else {
            return Err(NotificationError::TooShort { len: body.len() });
        };
        Ok(Self::new(ErrorCode(code), subcode, data.to_vec()))
    }

    /// The whole message length, header included.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + 2 + self.data.len()
    }

    /// Appends the whole message, header included, to `out`.
    ///
    /// `max_len` is the largest message the session allows: 4096
    /// ([`MAX_MESSAGE_LEN`](crate::header::MAX_MESSAGE_LEN)), or up to 65535
    /// with [RFC 8654]. A longer message is an error and nothing is written;
    /// shortening the data is left to the caller, who knows which part
    /// matters.
    ///
    /// [RFC 8654]: https://www.rfc-editor.org/rfc/rfc8654
    pub fn emit(&self, out: &mut Vec<u8>, max_len: usize) -> Result<(), NotificationEncodeError> {
        let len = self.encoded_len();
        let max = max_len.min(MAX_EXTENDED_MESSAGE_LEN);
        let too_long = NotificationEncodeError::TooLong { len, max };
        if len > max {
            return Err(too_long);
        }
        let len16 = u16::try_from(len).map_err(|_| too_long)?;
        out.reserve(len);
        put_header(out, MessageType::NOTIFICATION, len16);
        out.push(self.code.0);
        out.push(self.subcode);
        out.extend_from_slice(&self.data);
        Ok(())
    }

    /// The Shutdown Communication of a Cease / Administrative Shutdown or
    /// Administrative Reset ([RFC 9003 §2]).
    ///
    /// `None` for other NOTIFICATIONs, for empty data or a zero length (no
    /// communication), and for a malformed communication: a length running
    /// past the data, or text that is not UTF-8. RFC 9003 §3 asks that such a
    /// malformed communication be logged as an event but never itself be
    /// logged, so the caller can check for it with
    /// [`has_malformed_shutdown_communication`](Self::has_malformed_shutdown_communication).
    /// Octets after the communication are ignored.
    ///
    /// The text came from the peer: escape it before displaying it (the
    /// [`Display`](fmt::Display) impl prints it with `{:?}`).
    ///
    /// [RFC 9003 §2]: https://www.rfc-editor.org/rfc/rfc9003#section-2
    pub fn shutdown_communication(&self) -> Option<&str> {
        match self.shutdown_communication_raw()? {
            Ok(Some(text)) => Some(text),
            _ => None,
        }
    }

    /// Whether this is an Administrative Shutdown or Reset whose data holds a
    /// malformed Shutdown Communication (bad length or invalid UTF-8).
    pub fn has_malformed_shutdown_communication(&self) -> bool {
        matches!(self.shutdown_communication_raw(), Some(Err(())))
    }

    /// `None`: not a shutdown/reset. `Some(Ok(None))`: no communication.
    fn shutdown_communication_raw(&self) -> Option<Result<Option<&str>, ()>> {
        if self.code != ErrorCode::CEASE
            || (self.subcode != subcode::Cease::ADMINISTRATIVE_SHUTDOWN.0
                && self.subcode != subcode::Cease::ADMINISTRATIVE_RESET.0)
        {
            return None;
        }
        let Some((&len, rest)) = self.data.split_first() else {
            return Some(Ok(None));
        };
        if len == 0 {
            return Some(Ok(None));
        }
        let Some(text) = rest.get(..usize::from(len)) else {
            return Some(Err(()));
        };
        Some(core::str::from_utf8(text).map(Some).map_err(|_| ()))
    }

    /// The NOTIFICATION carried by a Cease / Hard Reset
    /// ([RFC 8538 §3](https://www.rfc-editor.org/rfc/rfc8538#section-3)):
    /// its code, subcode and data.
    ///
    /// `None` for other NOTIFICATIONs and for a Hard Reset whose data is
    /// shorter than the two octets of code and subcode.
    pub fn hard_reset_inner(&self) -> Option<(ErrorCode, u8, &[u8])> {
        if self.code != ErrorCode::CEASE || self.subcode != subcode::Cease::HARD_RESET.0 {
            return None;
        }
        let (&[code, sub], data) = self.data.split_first_chunk::<2>()?;
        Some((ErrorCode(code), sub, data))
    }
}

/// Prints `name/subname (code/subcode)` and what the data means, e.g.
/// `Cease/Administrative Shutdown (6/2): "maintenance"`,
/// `Cease/Hard Reset (6/9): Hold Timer Expired/Unspecific (4/0)` or
/// `OPEN Message Error/Unsupported Version Number (2/1), data 0004`.
///
/// Peer text is printed escaped (`{:?}`), and data in hex, cut after 32
/// octets.
impl fmt::Display for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_head(f, self.code, self.subcode)?;
        if let Some(text) = self.shutdown_communication() {
            write!(f, ": {text:?}")
        } else if let Some((code, sub, data)) = self.hard_reset_inner() {
            // One level only: a peer can nest Hard Resets as deep as its data
            // is long, and recursion must not follow it.
            f.write_str(": ")?;
            write_head(f, code, sub)?;
            write_data(f, data)
        } else {
            write_data(f, &self.data)
        }
    }
}

fn write_head(f: &mut fmt::Formatter<'_>, code: ErrorCode, sub: u8) -> fmt::Result {
    write!(f, "{code}/")?;
    match subcode_name(code, sub) {
        Some(name) => f.write_str(name)?,
        None if sub == 0 => f.write_str("Unspecific")?,
        None => write!(f, "{sub}")?,
    }
    write!(f, " ({}/{sub})", code.0)
}

fn write_data(f: &mut fmt::Formatter<'_>, data: &[u8]) -> fmt::Result {
    const SHOWN: usize = 32;
    if data.is_empty() {
        return Ok(());
    }
    f.write_str(", data ")?;
    for b in data.iter().take(SHOWN) {
        write!(f, "{b:02x}")?;
    }
    if data.len() > SHOWN {
        write!(f, "… ({} octets)", data.len())?;
    }
    Ok(())
}

/// A NOTIFICATION that cannot be decoded.
///
/// No NOTIFICATION is ever sent in reply to a NOTIFICATION ([RFC 4271 §6.1]
/// closes the connection after receiving one); [`notification`](Self::notification)
/// exists for logging and symmetry with the other errors.
///
/// [RFC 4271 §6.1]: https://www.rfc-editor.org/rfc/rfc4271#section-6.1
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotificationError {
    /// The body is shorter than the 2 octets of code and subcode.
    #[error("NOTIFICATION body of {len} octet(s) is shorter than 2")]
    TooShort {
        /// The body length.
        len: usize,
    },
}

impl NotificationError {
    /// What RFC 4271 §6.1 names for a too-short NOTIFICATION: Message Header
    /// Error / Bad Message Length with the message length field as data
    /// (reconstructed as 19 + body length). Never to be sent; see the type
    /// docs.
    pub fn notification(&self) -> Notification {
        let Self::TooShort { len } = *self;
        let field = u16::try_from(HEADER_LEN + len).unwrap_or(u16::MAX);
        Notification::new(
            ErrorCode::MESSAGE_HEADER,
            subcode::Header::BAD_MESSAGE_LENGTH.0,
            field.to_be_bytes().to_vec(),
        )
    }
}

/// A NOTIFICATION that cannot be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotificationEncodeError {
    /// The message would exceed the allowed length.
    #[error("NOTIFICATION of {len} octets exceeds the maximum of {max}")]
    TooLong {
        /// The message length, header included.
        len: usize,
        /// The effective maximum.
        max: usize,
    },
}

#[cfg(test)]
mod tests {
    use arbitrary::{Arbitrary, Unstructured};
    use proptest::prelude::*;

    use super::*;
    use crate::header::{MARKER, MAX_MESSAGE_LEN, frame};

    #[test]
    fn wire_vector() {
        // Cease / Administrative Shutdown, "maintenance" (RFC 9003 §2 layout).
        let mut wire = MARKER.to_vec();
        wire.extend_from_slice(&[0, 33, 3, 6, 2, 11]);
        wire.extend_from_slice(b"maintenance");
        let f = frame(&wire, MAX_MESSAGE_LEN).unwrap().unwrap();
        assert_eq!(f.len, wire.len());
        let n = Notification::parse(&wire[HEADER_LEN..]).unwrap();
        assert_eq!(
            n,
            Notification::shutdown(subcode::Cease::ADMINISTRATIVE_SHUTDOWN, "maintenance")
        );
        assert_eq!(n.shutdown_communication(), Some("maintenance"));
        assert_eq!(
            n.to_string(),
            r#"Cease/Administrative Shutdown (6/2): "maintenance""#
        );
        let mut out = vec![];
        n.emit(&mut out, MAX_MESSAGE_LEN).unwrap();
        assert_eq!(out, wire);
    }

    #[test]
    fn too_short() {
        assert_eq!(
            Notification::parse(&[6]),
            Err(NotificationError::TooShort { len: 1 })
        );
        let n = NotificationError::TooShort { len: 1 }.notification();
        assert_eq!(
            (n.code, n.subcode, n.data),
            (ErrorCode::MESSAGE_HEADER, 2, vec![0, 20])
        );
        assert_eq!(
            Notification::parse(&[4, 0]),
            Ok(Notification::new(ErrorCode::HOLD_TIMER_EXPIRED, 0, vec![]))
        );
    }

    #[test]
    fn emit_respects_max_len() {
        let n = Notification::new(ErrorCode::CEASE, 0, vec![0; 4096 - 21]);
        let mut out = vec![];
        assert_eq!(n.emit(&mut out, 4096), Ok(()));
        assert_eq!(out.len(), 4096);
        let n = Notification::new(ErrorCode::CEASE, 0, vec![0; 4096 - 20]);
        let mut out = vec![];
        assert_eq!(
            n.emit(&mut out, 4096),
            Err(NotificationEncodeError::TooLong {
                len: 4097,
                max: 4096
            })
        );
        assert!(out.is_empty());
        assert!(n.emit(&mut out, 65535).is_ok());
        let n = Notification::new(ErrorCode::CEASE, 0, vec![0; 65535]);
        assert!(n.emit(&mut out, usize::MAX).is_err());
    }

    #[test]
    fn shutdown_text_is_truncated_at_a_char_boundary() {
        // 127 two-octet characters plus one more: 256 octets.
        let text = "é".repeat(128);
        let n = Notification::shutdown(subcode::Cease::ADMINISTRATIVE_RESET, &text);
        assert_eq!(n.data[0], 254);
        assert_eq!(n.data.len(), 255);
        assert_eq!(n.shutdown_communication(), Some("é".repeat(127).as_str()));
        let n = Notification::shutdown(subcode::Cease::ADMINISTRATIVE_SHUTDOWN, &"a".repeat(300));
        assert_eq!(n.data[0], 255);
        assert_eq!(n.shutdown_communication().map(str::len), Some(255));
        let n = Notification::shutdown(subcode::Cease::ADMINISTRATIVE_SHUTDOWN, "");
        assert!(n.data.is_empty());
        assert_eq!(n.shutdown_communication(), None);
        assert!(!n.has_malformed_shutdown_communication());
        assert_eq!(n.to_string(), "Cease/Administrative Shutdown (6/2)");
    }

    #[test]
    fn malformed_shutdown_communications() {
        let shut = |data: Vec<u8>| Notification::new(ErrorCode::CEASE, 2, data);
        // Length runs past the data.
        let n = shut(vec![5, b'a', b'b']);
        assert_eq!(n.shutdown_communication(), None);
        assert!(n.has_malformed_shutdown_communication());
        assert_eq!(
            n.to_string(),
            "Cease/Administrative Shutdown (6/2), data 056162"
        );
        // Invalid UTF-8.
        let n = shut(vec![2, 0xc3, 0x28]);
        assert_eq!(n.shutdown_communication(), None);
        assert!(n.has_malformed_shutdown_communication());
        // Trailing octets are ignored; control characters are escaped.
        let n = shut(vec![3, b'a', b'\n', b'"', 0xff]);
        assert_eq!(n.shutdown_communication(), Some("a\n\""));
        assert_eq!(
            n.to_string(),
            r#"Cease/Administrative Shutdown (6/2): "a\n\"""#
        );
        // Other subcodes carry no communication.
        let n = Notification::new(ErrorCode::CEASE, 3, vec![1, b'a']);
        assert_eq!(n.shutdown_communication(), None);
        assert!(!n.has_malformed_shutdown_communication());
    }

    #[test]
    fn hard_reset() {
        let inner = Notification::new(ErrorCode::HOLD_TIMER_EXPIRED, 0, vec![]);
        let n = Notification::hard_reset(&inner);
        assert_eq!(n.data, [4, 0]);
        assert_eq!(
            n.hard_reset_inner(),
            Some((ErrorCode::HOLD_TIMER_EXPIRED, 0, &[][..]))
        );
        assert_eq!(
            n.to_string(),
            "Cease/Hard Reset (6/9): Hold Timer Expired/Unspecific (4/0)"
        );
        let inner = Notification::new(ErrorCode::OPEN_MESSAGE, 1, vec![0, 4]);
        let n = Notification::hard_reset(&inner);
        assert_eq!(
            n.hard_reset_inner(),
            Some((ErrorCode::OPEN_MESSAGE, 1, &[0u8, 4][..]))
        );
        assert_eq!(
            n.to_string(),
            "Cease/Hard Reset (6/9): OPEN Message Error/Unsupported Version Number (2/1), data 0004"
        );
        // Too short for an inner code and subcode.
        let n = Notification::new(ErrorCode::CEASE, 9, vec![4]);
        assert_eq!(n.hard_reset_inner(), None);
        assert_eq!(n.to_string(), "Cease/Hard Reset (6/9), data 04");
        // Deep nesting is printed one level deep.
        let deep = Notification::new(ErrorCode::CEASE, 9, [6, 9].repeat(1000));
        assert!(deep.to_string().len() < 200);
    }

    #[test]
    fn display_unknown_codes() {
        let n = Notification::new(ErrorCode(42), 7, vec![0xab; 40]);
        let s = n.to_string();
        assert!(s.starts_with("42/7 (42/7), data abab"), "{s}");
        assert!(s.ends_with("… (40 octets)"), "{s}");
        let n = Notification::new(ErrorCode::UPDATE_MESSAGE, 99, vec![]);
        assert_eq!(n.to_string(), "UPDATE Message Error/99 (3/99)");
    }

    proptest! {
        #[test]
        fn round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut u = Unstructured::new(&bytes);
            if let Ok(n) = Notification::arbitrary(&mut u) {
                let mut wire = vec![];
                n.emit(&mut wire, MAX_MESSAGE_LEN).unwrap();
                prop_assert_eq!(wire.len(), n.encoded_len());
                let f = frame(&wire, MAX_MESSAGE_LEN).unwrap().unwrap();
                prop_assert_eq!(f.len, wire.len());
                prop_assert_eq!(Notification::parse(&wire[HEADER_LEN..]), Ok(n));
            }
        }

        #[test]
        fn parse_never_panics(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(n) = Notification::parse(&body) {
                let _ = n.to_string();
                let _ = n.shutdown_communication();
                let _ = n.hard_reset_inner();
            }
        }

        #[test]
        fn shutdown_never_exceeds_255(text in ".{0,300}") {
            let n = Notification::shutdown(subcode::Cease::ADMINISTRATIVE_SHUTDOWN, &text);
            let got = n.shutdown_communication().unwrap_or("");
            prop_assert!(got.len() <= 255);
            prop_assert!(text.starts_with(got));
        }
    }
}

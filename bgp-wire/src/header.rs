//! The 19-octet message header and stream framing
//! ([RFC 4271 §4.1](https://www.rfc-editor.org/rfc/rfc4271#section-4.1)).

use crate::codepoint::{ErrorCode, MessageType, subcode};
use crate::notification::Notification;

/// The all-ones marker that starts every message.
pub const MARKER: [u8; 16] = [0xff; 16];
/// Header length: marker, 2-octet length, 1-octet type.
pub const HEADER_LEN: usize = 19;
/// The largest message without RFC 8654.
pub const MAX_MESSAGE_LEN: usize = 4096;
/// The largest message with RFC 8654 extended messages.
pub const MAX_EXTENDED_MESSAGE_LEN: usize = 65535;

/// One complete message found at the start of a buffer by [`frame`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The message type.
    pub ty: MessageType,
    /// The whole message length, header included.
    pub len: usize,
}

/// A header error: the stream cannot be framed any further
/// ([RFC 4271 §6.1](https://www.rfc-editor.org/rfc/rfc4271#section-6.1)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The marker is not all ones.
    #[error("message header marker is not all ones")]
    ConnectionNotSynchronized,
    /// The length is below 19, above the negotiated maximum, or wrong for the type.
    #[error("bad message length {len} for {ty:?}")]
    BadMessageLength {
        /// The length field.
        len: u16,
        /// The message type field.
        ty: MessageType,
    },
    /// The type is not one this speaker knows.
    #[error("bad message type {0}")]
    BadMessageType(u8),
}

impl HeaderError {
    /// The NOTIFICATION to send: Message Header Error with the subcode and the
    /// data RFC 4271 §6.1 requires (the length field, or the type).
    pub fn notification(&self) -> Notification {
        let (sub, data) = match *self {
            Self::ConnectionNotSynchronized => {
                (subcode::Header::CONNECTION_NOT_SYNCHRONIZED, vec![])
            }
            Self::BadMessageLength { len, .. } => (
                subcode::Header::BAD_MESSAGE_LENGTH,
                len.to_be_bytes().to_vec(),
            ),
            Self::BadMessageType(t) => (subcode::Header::BAD_MESSAGE_TYPE, vec![t]),
        };
        Notification::new(ErrorCode::MESSAGE_HEADER, sub.0, data)
    }
}

/// The smallest and largest length a message of this type may have.
const fn length_bounds(ty: MessageType, max: usize) -> Option<(usize, usize)> {
    Some(match ty.0 {
        1 => (29, max),                // OPEN: 10 octets after the header
        2 => (23, max),                // UPDATE: two 2-octet lengths
        3 => (21, max),                // NOTIFICATION: code and subcode
        4 => (HEADER_LEN, HEADER_LEN), // KEEPALIVE: header only
        5 => (23, max),                // ROUTE-REFRESH: AFI, subtype, SAFI (+ ORF entries)
        _ => return None,
    })
}

/// Frames the next message of a byte stream.
///
/// Returns `Ok(None)` when `buf` does not yet hold a whole message, and
/// `Ok(Some(frame))` when its first `frame.len` bytes are one message. O(1):
/// it reads the header only and copies nothing. `max_len` is the negotiated
/// maximum ([`MAX_MESSAGE_LEN`] or [`MAX_EXTENDED_MESSAGE_LEN`]); OPEN and
/// KEEPALIVE are always limited to 4096 ([RFC 8654 §4]).
///
/// [RFC 8654 §4]: https://www.rfc-editor.org/rfc/rfc8654#section-4
#[inline]
pub fn frame(buf: &[u8], max_len: usize) -> Result<Option<Frame>, HeaderError> {
    let Some(head) = buf.get(..HEADER_LEN) else {
        // Reject a bad marker as soon as it is visible.
        if buf.iter().take(16).any(|&b| b != 0xff) {
            return Err(HeaderError::ConnectionNotSynchronized);
        }
        return Ok(None);
    };
    if head[..16] != MARKER {
        return Err(HeaderError::ConnectionNotSynchronized);
    }
    let len16 = u16::from_be_bytes([head[16], head[17]]);
    let len = usize::from(len16);
    let ty = MessageType(head[18]);
    let max = if ty == MessageType::OPEN || ty == MessageType::KEEPALIVE {
        max_len.min(MAX_MESSAGE_LEN)
    } else {
        max_len.min(MAX_EXTENDED_MESSAGE_LEN)
    };
    let (lo, hi) = match length_bounds(ty, max) {
        Some(b) => b,
        None if len < HEADER_LEN || len > max_len => {
            return Err(HeaderError::BadMessageLength { len: len16, ty });
        }
        None => return Err(HeaderError::BadMessageType(ty.0)),
    };
    if len < lo || len > hi {
        return Err(HeaderError::BadMessageLength { len: len16, ty });
    }
    if buf.len() < len {
        return Ok(None);
    }
    Ok(Some(Frame { ty, len }))
}

/// Writes a header for a message of `len` octets (header included).
pub(crate) fn put_header(out: &mut Vec<u8>, ty: MessageType, len: u16) {
    out.extend_from_slice(&MARKER);
    out.extend_from_slice(&len.to_be_bytes());
    out.push(ty.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keepalive() -> Vec<u8> {
        let mut v = MARKER.to_vec();
        v.extend_from_slice(&[0, 19, 4]);
        v
    }

    #[test]
    fn frames_partial_and_whole() {
        let k = keepalive();
        for n in 0..19 {
            assert_eq!(frame(&k[..n], 4096), Ok(None), "{n}");
        }
        let mut two = k.clone();
        two.extend_from_slice(&k);
        assert_eq!(
            frame(&two, 4096),
            Ok(Some(Frame {
                ty: MessageType::KEEPALIVE,
                len: 19
            }))
        );
    }

    #[test]
    fn header_errors() {
        let mut k = keepalive();
        k[3] = 0;
        assert_eq!(frame(&k, 4096), Err(HeaderError::ConnectionNotSynchronized));
        assert_eq!(
            frame(&k[..5], 4096),
            Err(HeaderError::ConnectionNotSynchronized)
        );
        let mut k = keepalive();
        k[17] = 20;
        assert!(matches!(
            frame(&k, 4096),
            Err(HeaderError::BadMessageLength { len: 20, .. })
        ));
        let n = HeaderError::BadMessageLength {
            len: 20,
            ty: MessageType::KEEPALIVE,
        }
        .notification();
        assert_eq!(
            (n.code, n.subcode, &n.data[..]),
            (ErrorCode::MESSAGE_HEADER, 2, &[0u8, 20][..])
        );
        let mut k = keepalive();
        k[18] = 9;
        assert_eq!(frame(&k, 4096), Err(HeaderError::BadMessageType(9)));
        // An UPDATE longer than 4096 needs the extended-message maximum.
        let mut u = MARKER.to_vec();
        u.extend_from_slice(&[0x10, 0x01, 2]);
        assert!(frame(&u, 4096).is_err());
        assert_eq!(frame(&u, 65535), Ok(None));
        // OPEN stays limited to 4096 even then.
        u[18] = 1;
        assert!(frame(&u, 65535).is_err());
        // Too short for its type.
        let mut o = MARKER.to_vec();
        o.extend_from_slice(&[0, 20, 1]);
        assert!(frame(&o, 4096).is_err());
    }
}

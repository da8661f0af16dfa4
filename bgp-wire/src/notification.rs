//! NOTIFICATION messages ([RFC 4271 §4.5](https://www.rfc-editor.org/rfc/rfc4271#section-4.5)).

use crate::codepoint::ErrorCode;

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
        Self { code, subcode, data }
    }
}

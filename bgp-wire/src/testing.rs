//! Builders of raw message bytes for tests (not a stable API).

use crate::attr::AttrFlags;
use crate::header::{HEADER_LEN, MARKER};

/// One path attribute: flags, type, length (two octets when `flags` has
/// Extended Length) and `value`.
pub fn attr(flags: u8, ty: u8, value: &[u8]) -> Vec<u8> {
    let mut o = vec![flags, ty];
    if flags & AttrFlags::EXTENDED_LENGTH != 0 {
        o.extend_from_slice(&(value.len() as u16).to_be_bytes());
    } else {
        o.push(value.len() as u8);
    }
    o.extend_from_slice(value);
    o
}

/// An UPDATE body: the Withdrawn Routes field, the attributes, the NLRI field.
pub fn update_body(withdrawn: &[u8], attrs: &[Vec<u8>], nlri: &[u8]) -> Vec<u8> {
    let at: Vec<u8> = attrs.concat();
    let mut b = (withdrawn.len() as u16).to_be_bytes().to_vec();
    b.extend_from_slice(withdrawn);
    b.extend_from_slice(&(at.len() as u16).to_be_bytes());
    b.extend_from_slice(&at);
    b.extend_from_slice(nlri);
    b
}

/// A whole message of type `ty` around `body`.
pub fn message(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut m = MARKER.to_vec();
    m.extend_from_slice(&((HEADER_LEN + body.len()) as u16).to_be_bytes());
    m.push(ty);
    m.extend_from_slice(body);
    m
}

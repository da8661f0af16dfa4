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

/// A fuzz input read front to back, as the fuzzing modules decode their
/// operations from it; it runs dry as zeros.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a>(pub &'a [u8]);

impl<'a> Input<'a> {
    /// The next octet (0 when none is left).
    pub fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    /// The next two octets, big-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }

    /// The next `n` octets, or as many as are left.
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n.min(self.0.len()));
        self.0 = b;
        a
    }

    /// Whether nothing is left.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

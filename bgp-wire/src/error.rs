//! RFC 7606 error actions and the UPDATE error type.
//!
//! [RFC 7606](https://www.rfc-editor.org/rfc/rfc7606) replaces "reset the
//! session on any malformed attribute" with a graded set of actions. Decoding
//! an UPDATE reports the most severe one that applies (§3 (f)), the
//! attribute and reason, and what NOTIFICATION to send if it is a reset.

use crate::codepoint::{AttrType, ErrorCode, subcode};
use crate::notification::Notification;
use crate::types::Family;

/// What the receiver of a malformed UPDATE must do
/// ([RFC 7606 §2](https://www.rfc-editor.org/rfc/rfc7606#section-2)),
/// ordered from least to most severe.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Nothing is wrong.
    #[default]
    None,
    /// Drop the offending attribute and process the rest of the UPDATE.
    AttributeDiscard,
    /// Treat every prefix the UPDATE announces as withdrawn.
    TreatAsWithdraw,
    /// Withdraw all routes of the family from this peer and ignore the family
    /// for the rest of the session (RFC 4760 §7).
    AfiSafiDisable,
    /// Send the NOTIFICATION and close the session.
    SessionReset,
}

impl Action {
    /// The lower-case name used in logs and JSON: `none`,
    /// `attribute-discard`, `treat-as-withdraw`, `afi-safi-disable`,
    /// `session-reset`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::AttributeDiscard => "attribute-discard",
            Self::TreatAsWithdraw => "treat-as-withdraw",
            Self::AfiSafiDisable => "afi-safi-disable",
            Self::SessionReset => "session-reset",
        }
    }
}

impl core::fmt::Display for Action {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an UPDATE is malformed. Each reason knows its RFC 7606 [`Action`] and
/// its NOTIFICATION subcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateErrorKind {
    /// Withdrawn Routes Length overruns the message (RFC 4271 §6.3).
    #[error("withdrawn routes length overruns the message")]
    WithdrawnLength,
    /// Total Path Attribute Length overruns the message (RFC 4271 §6.3).
    #[error("total path attribute length overruns the message")]
    AttributeListLength,
    /// A withdrawn prefix is too long or overruns the field (RFC 7606 §5.3).
    #[error("malformed withdrawn routes field")]
    WithdrawnSyntax,
    /// An NLRI prefix is too long or overruns the field (RFC 7606 §5.3).
    #[error("malformed NLRI field")]
    NlriSyntax,
    /// MP_REACH_NLRI or MP_UNREACH_NLRI appears twice (RFC 7606 §3 (g)).
    #[error("{0:?} appears more than once")]
    DuplicateMp(AttrType),
    /// A well-known (non-optional) attribute of an unknown type (RFC 4271 §6.3).
    #[error("unrecognized well-known attribute {0:?}")]
    UnrecognizedWellKnown(AttrType),
    /// An attribute header or length runs past the attribute list (RFC 7606 §4).
    #[error("attribute overruns the path attribute list")]
    AttributeOverrun,
    /// Optional or Transitive flag in conflict with the type (RFC 7606 §3 (c)).
    #[error("wrong attribute flags on {0:?}")]
    Flags(AttrType),
    /// Attribute length wrong for its type (RFC 7606 §7).
    #[error("wrong length of {0:?}")]
    Length(AttrType),
    /// ORIGIN value undefined (RFC 7606 §7.1).
    #[error("invalid ORIGIN value {0}")]
    InvalidOrigin(u8),
    /// AS_PATH or AS4_PATH has a bad segment (RFC 7606 §7.2, RFC 6793 §6).
    #[error("malformed {0:?}")]
    MalformedAsPath(AttrType),
    /// A well-known mandatory attribute is missing (RFC 7606 §3 (d)).
    #[error("missing well-known attribute {0:?}")]
    Missing(AttrType),
    /// Confederation segments in AS_PATH from an external peer (RFC 7606 §7.2).
    #[error("AS_CONFED segment in AS_PATH from an external peer")]
    ConfedFromExternal,
    /// An attribute other than MP_* appears twice; later copies are dropped
    /// (RFC 7606 §3 (g)).
    #[error("duplicate attribute {0:?} discarded")]
    Duplicate(AttrType),
    /// LOCAL_PREF from an external peer (RFC 7606 §7.5).
    #[error("LOCAL_PREF from an external peer discarded")]
    LocalPrefFromExternal,
    /// AS4_PATH or AS4_AGGREGATOR between 4-octet speakers (RFC 6793 §3).
    #[error("{0:?} received on a 4-octet AS session discarded")]
    As4OnFourOctetSession(AttrType),
    /// The value of an optional attribute is malformed and the attribute's
    /// specification says to discard it (AIGP: RFC 7311 §3.2; Tunnel
    /// Encapsulation: RFC 9012 §13; AS4_PATH: RFC 6793 §6).
    #[error("malformed {0:?} discarded")]
    MalformedOptional(AttrType),
    /// MP_REACH_NLRI / MP_UNREACH_NLRI too short to name its family (RFC 7606 §7.11).
    #[error("{0:?} too short to carry AFI/SAFI")]
    MpTooShort(AttrType),
    /// MP_REACH_NLRI next hop length inconsistent with the family (RFC 7606 §7.11).
    #[error("next hop length {len} invalid for {family}")]
    MpNextHop {
        /// The family of the attribute.
        family: Family,
        /// The next hop length field.
        len: u8,
    },
    /// Malformed NLRI inside MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 7606 §5.3).
    #[error("malformed NLRI in {attr:?} for {family}")]
    MpNlri {
        /// MP_REACH_NLRI or MP_UNREACH_NLRI.
        attr: AttrType,
        /// The family of the attribute.
        family: Family,
    },
}

impl UpdateErrorKind {
    /// The RFC 7606 action for this error.
    pub const fn action(&self) -> Action {
        use UpdateErrorKind::*;
        match *self {
            WithdrawnLength
            | AttributeListLength
            | WithdrawnSyntax
            | NlriSyntax
            | DuplicateMp(_)
            | UnrecognizedWellKnown(_)
            | MpTooShort(_) => Action::SessionReset,
            MpNextHop { .. } | MpNlri { .. } => Action::AfiSafiDisable,
            Length(t) => match t {
                AttrType::ATOMIC_AGGREGATE
                | AttrType::AGGREGATOR
                | AttrType::AS4_AGGREGATOR
                | AttrType::AS4_PATH
                | AttrType::AIGP => Action::AttributeDiscard,
                _ => Action::TreatAsWithdraw,
            },
            AttributeOverrun | Flags(_) | InvalidOrigin(_) | Missing(_) | ConfedFromExternal => {
                Action::TreatAsWithdraw
            }
            MalformedAsPath(t) => {
                if t.0 == AttrType::AS4_PATH.0 {
                    Action::AttributeDiscard
                } else {
                    Action::TreatAsWithdraw
                }
            }
            Duplicate(_)
            | LocalPrefFromExternal
            | As4OnFourOctetSession(_)
            | MalformedOptional(_) => Action::AttributeDiscard,
        }
    }

    /// The UPDATE Message Error subcode (RFC 4271 §6.3) for the NOTIFICATION
    /// that a session reset sends.
    pub const fn subcode(&self) -> subcode::Update {
        use UpdateErrorKind::*;
        match *self {
            WithdrawnLength | AttributeListLength | DuplicateMp(_) | AttributeOverrun => {
                subcode::Update::MALFORMED_ATTRIBUTE_LIST
            }
            WithdrawnSyntax | NlriSyntax => subcode::Update::INVALID_NETWORK_FIELD,
            UnrecognizedWellKnown(_) => subcode::Update::UNRECOGNIZED_WELL_KNOWN,
            Flags(_) => subcode::Update::ATTRIBUTE_FLAGS,
            Length(_) => subcode::Update::ATTRIBUTE_LENGTH,
            InvalidOrigin(_) => subcode::Update::INVALID_ORIGIN,
            MalformedAsPath(_) | ConfedFromExternal => subcode::Update::MALFORMED_AS_PATH,
            Missing(_) => subcode::Update::MISSING_WELL_KNOWN,
            Duplicate(_) | LocalPrefFromExternal | As4OnFourOctetSession(_) => {
                subcode::Update::MALFORMED_ATTRIBUTE_LIST
            }
            MalformedOptional(_) | MpTooShort(_) | MpNextHop { .. } | MpNlri { .. } => {
                subcode::Update::OPTIONAL_ATTRIBUTE
            }
        }
    }

    /// The family an AFI/SAFI-disable applies to.
    pub const fn family(&self) -> Option<Family> {
        match *self {
            Self::MpNextHop { family, .. } | Self::MpNlri { family, .. } => Some(family),
            _ => None,
        }
    }

    /// The attribute the error is about, if any.
    pub const fn attr(&self) -> Option<AttrType> {
        use UpdateErrorKind::*;
        match *self {
            DuplicateMp(t)
            | UnrecognizedWellKnown(t)
            | Flags(t)
            | Length(t)
            | MalformedAsPath(t)
            | Missing(t)
            | Duplicate(t)
            | As4OnFourOctetSession(t)
            | MalformedOptional(t)
            | MpTooShort(t) => Some(t),
            InvalidOrigin(_) => Some(AttrType::ORIGIN),
            ConfedFromExternal => Some(AttrType::AS_PATH),
            LocalPrefFromExternal => Some(AttrType::LOCAL_PREF),
            MpNextHop { .. } => Some(AttrType::MP_REACH_NLRI),
            MpNlri { attr, .. } => Some(attr),
            WithdrawnLength | AttributeListLength | WithdrawnSyntax | NlriSyntax
            | AttributeOverrun => None,
        }
    }
}

/// A malformed UPDATE: the reason and the bytes a NOTIFICATION would carry
/// (the offending attribute, or nothing). Borrows the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{kind}")]
pub struct UpdateError<'a> {
    /// Why the UPDATE is malformed.
    pub kind: UpdateErrorKind,
    /// The NOTIFICATION data: the whole offending attribute (flags, type,
    /// length, value) where RFC 4271 §6.3 asks for it, else empty.
    pub data: &'a [u8],
}

impl UpdateError<'_> {
    /// The RFC 7606 action.
    pub const fn action(&self) -> Action {
        self.kind.action()
    }

    /// The NOTIFICATION to send if this error resets the session (for a
    /// less severe action it is the NOTIFICATION RFC 4271 alone would send).
    pub fn notification(&self) -> Notification {
        let data = match self.kind {
            // RFC 4271 §6.3: Missing Well-known Attribute carries the type code.
            UpdateErrorKind::Missing(t) => vec![t.0],
            UpdateErrorKind::WithdrawnSyntax
            | UpdateErrorKind::NlriSyntax
            | UpdateErrorKind::WithdrawnLength
            | UpdateErrorKind::AttributeListLength
            | UpdateErrorKind::DuplicateMp(_) => Vec::new(),
            _ => self.data.to_vec(),
        };
        Notification::new(ErrorCode::UPDATE_MESSAGE, self.kind.subcode().0, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_ordered_by_severity() {
        assert!(Action::SessionReset > Action::AfiSafiDisable);
        assert!(Action::AfiSafiDisable > Action::TreatAsWithdraw);
        assert!(Action::TreatAsWithdraw > Action::AttributeDiscard);
        assert!(Action::AttributeDiscard > Action::None);
        assert_eq!(
            UpdateErrorKind::Length(AttrType::AGGREGATOR).action(),
            Action::AttributeDiscard
        );
        assert_eq!(
            UpdateErrorKind::Length(AttrType::NEXT_HOP).action(),
            Action::TreatAsWithdraw
        );
        let e = UpdateError {
            kind: UpdateErrorKind::Missing(AttrType::ORIGIN),
            data: &[],
        };
        let n = e.notification();
        assert_eq!((n.code.0, n.subcode, n.data), (3, 3, vec![1]));
    }
}

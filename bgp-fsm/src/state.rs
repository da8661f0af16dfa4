//! The states of RFC 4271 §8.2.2 as an enum of structs: what is known in a
//! state lives in that state's struct, so negotiated parameters exist only
//! in [`Established`].

use std::collections::HashSet;
use std::time::Instant;

use bgp_wire::open::OpenMessage;
use bgp_wire::{Family, FamilySet, Nlri, SessionContext};

use crate::config::MaxPrefix;
use crate::event::{Direction, StateKind};
use crate::negotiate::Negotiated;

#[derive(Debug)]
pub(crate) enum State {
    Idle,
    /// `conn`: the TCP connection is up and the DelayOpen timer runs.
    Connect {
        conn: Option<Direction>,
    },
    /// As for `Connect`.
    Active {
        conn: Option<Direction>,
    },
    OpenSent {
        dir: Direction,
    },
    OpenConfirm(OpenConfirm),
    Established(Box<Established>),
}

#[derive(Debug)]
pub(crate) struct OpenConfirm {
    pub(crate) dir: Direction,
    /// The peer's OPEN, checked.
    pub(crate) peer: Box<OpenMessage>,
    /// The hold time both use (0: none).
    pub(crate) hold_time: u16,
}

#[derive(Debug)]
pub(crate) struct Established {
    pub(crate) dir: Direction,
    pub(crate) negotiated: Negotiated,
    /// `negotiated.receive_context()`, kept for the hot path.
    pub(crate) rx: SessionContext,
    pub(crate) since: Instant,
    /// Families disabled by RFC 7606 AFI/SAFI-disable.
    pub(crate) disabled: FamilySet,
    /// Distinct prefixes per family with a maximum-prefix limit.
    pub(crate) counts: Vec<PrefixCount>,
}

/// The distinct prefixes the peer has announced in one family, for the
/// maximum-prefix check (RFC 4486).
#[derive(Debug)]
pub(crate) struct PrefixCount {
    pub(crate) family: Family,
    pub(crate) limit: MaxPrefix,
    pub(crate) prefixes: HashSet<Nlri>,
    /// A warning was given and the count has not gone back under the limit.
    pub(crate) warned: bool,
}

impl State {
    pub(crate) const fn kind(&self) -> StateKind {
        match self {
            Self::Idle => StateKind::Idle,
            Self::Connect { .. } => StateKind::Connect,
            Self::Active { .. } => StateKind::Active,
            Self::OpenSent { .. } => StateKind::OpenSent,
            Self::OpenConfirm(_) => StateKind::OpenConfirm,
            Self::Established(_) => StateKind::Established,
        }
    }

    /// The TCP connection, if one is attached.
    pub(crate) const fn connection(&self) -> Option<Direction> {
        match self {
            Self::Idle => None,
            Self::Connect { conn } | Self::Active { conn } => *conn,
            Self::OpenSent { dir } => Some(*dir),
            Self::OpenConfirm(s) => Some(s.dir),
            Self::Established(s) => Some(s.dir),
        }
    }
}

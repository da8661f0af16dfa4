//! Connection collision detection ([RFC 4271 §6.8]).
//!
//! When both speakers connect at the same time there are two TCP
//! connections, and so two [`Session`]s, to one peer. Once the peer's BGP
//! Identifier is known (its OPEN arrived on either), one must go: the
//! connection opened by the speaker with the higher BGP Identifier survives;
//! with equal identifiers ([RFC 6286 §2.3]) the one opened by the speaker
//! with the larger AS. An Established session always survives a new one.
//! The loser closes with Cease / Connection Collision Resolution (6/7).
//!
//! Call [`resolve_collision`] after every input to either session while
//! both exist, then drop the loser once its output is drained.
//!
//! [RFC 4271 §6.8]: https://www.rfc-editor.org/rfc/rfc4271#section-6.8
//! [RFC 6286 §2.3]: https://www.rfc-editor.org/rfc/rfc6286#section-2.3

use std::cmp::Ordering;
use std::time::Instant;

use crate::event::{Direction, StateKind};
use crate::session::Session;

/// Which of two sessions to the same peer survives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Survivor {
    /// The first argument.
    First,
    /// The second argument.
    Second,
}

/// Decides a collision between two sessions to the same peer, without
/// changing them. `None` while there is nothing to decide: either session
/// has no connection past the OPEN it sent (OpenSent or later), both run on
/// connections opened the same way, or neither has the peer's OPEN yet.
pub fn detect_collision(first: &Session, second: &Session) -> Option<Survivor> {
    let live = |s: &Session| {
        matches!(
            s.state(),
            StateKind::OpenSent | StateKind::OpenConfirm | StateKind::Established
        )
    };
    if !live(first) || !live(second) {
        return None;
    }
    let (d1, d2) = (first.direction()?, second.direction()?);
    if d1 == d2 {
        return None;
    }
    match (first.state(), second.state()) {
        (StateKind::Established, StateKind::Established) => return None,
        (StateKind::Established, _) => return Some(Survivor::First),
        (_, StateKind::Established) => return Some(Survivor::Second),
        _ => {}
    }
    let remote_id = first.peer_bgp_id().or_else(|| second.peer_bgp_id())?;
    let remote_as = first.peer_as().or_else(|| second.peer_as())?;
    let local = first.config();
    let keep_ours = match u32::from(local.bgp_id).cmp(&u32::from(remote_id)) {
        Ordering::Greater => true,
        Ordering::Less => false,
        Ordering::Equal => local.local_as > remote_as,
    };
    let keep = if keep_ours {
        Direction::Outbound
    } else {
        Direction::Inbound
    };
    Some(if d1 == keep {
        Survivor::First
    } else {
        Survivor::Second
    })
}

/// [`detect_collision`], then closes the loser with Cease / Connection
/// Collision Resolution ([`Session::close_for_collision`]).
pub fn resolve_collision(
    now: Instant,
    first: &mut Session,
    second: &mut Session,
) -> Option<Survivor> {
    let survivor = detect_collision(first, second)?;
    match survivor {
        Survivor::First => second.close_for_collision(now),
        Survivor::Second => first.close_for_collision(now),
    }
    Some(survivor)
}

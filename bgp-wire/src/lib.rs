//! `bgp-wire`: a zero-copy BGP-4 codec.
//!
//! Everything a BGP speaker puts on or takes off the wire: stream framing,
//! every message ([RFC 4271]), capabilities, path attributes, NLRI for IPv4
//! and IPv6 (unicast, multicast, ADD-PATH, MP-BGP), the error actions of
//! [RFC 7606], and an encoder that packs UPDATEs to the negotiated size.
//! [`mrt`] reads and writes the MRT files route collectors archive BGP in
//! ([RFC 6396]).
//!
//! # Sans-IO
//! This crate reads no clock, opens no socket and spawns nothing: it turns
//! bytes into values and values into bytes. It needs no time at all.
//!
//! # Two levels
//! * **Views** borrow the received bytes. They are validated once by a
//!   `parse` function; after that no accessor fails or panics, and iterating
//!   prefixes or attributes allocates nothing.
//! * **Visitors** ([`Update::visit`], [`UpdateVisitor`]) are for a caller
//!   that reads a whole UPDATE into something of its own: the same
//!   validation hands over each prefix and attribute as it accepts them and
//!   returns the verdict, one pass where `parse` and the view's iterators
//!   are two.
//! * **Owned representations** (`…Message`, [`PathAttribute`](attr::PathAttribute))
//!   are plain values for building messages and for tests; `encode` writes
//!   them, and `decode(encode(x)) == x`.
//!
//! # Never panic on peer bytes
//! Every length a peer controls is checked before use. Malformed input gives
//! an error that names its NOTIFICATION (code, subcode, data) and, for
//! UPDATEs, its RFC 7606 [`Action`].
//!
//! # Example
//! Build an UPDATE, then decode the stream it is part of.
//! ```
//! use std::net::Ipv4Addr;
//! use bgp_wire::attr::{AsPathBuf, NextHop, Origin, PathAttribute};
//! use bgp_wire::{Action, Family, Message, Messages, Nlri, SessionContext, UpdateBuilder};
//!
//! let ctx = SessionContext::default(); // what the session negotiated
//! let attrs = [
//!     PathAttribute::Origin(Origin::Igp),
//!     PathAttribute::AsPath(AsPathBuf::sequence([65001, 65002])),
//!     PathAttribute::LocalPref(100),
//! ];
//! let prefixes = [Nlri::new("203.0.113.7/32".parse().unwrap())];
//! let mut stream = Vec::new();
//! UpdateBuilder::new(ctx).announce(
//!     Family::IPV4_UNICAST,
//!     &attrs,
//!     &NextHop::V4(Ipv4Addr::new(198, 18, 0, 1)),
//!     &prefixes,
//!     &mut stream,
//! )?;
//!
//! for (_offset, msg) in Messages::new(&stream, ctx) {
//!     match msg {
//!         Ok(Message::Update(u)) => {
//!             assert_eq!(u.action(), Action::None);
//!             assert_eq!(u.as_path().unwrap().to_string(), "65001 65002");
//!             let p: Vec<_> = u.all_announced().map(|n| n.to_string()).collect();
//!             assert_eq!(p, ["203.0.113.7/32"]);
//!         }
//!         Ok(_) => {}
//!         // A reset: send the NOTIFICATION, then close.
//!         Err(e) => panic!("{e}: {}", e.notification()),
//!     }
//! }
//! # Ok::<(), bgp_wire::update::EncodeError>(())
//! ```
//!
//! [RFC 4271]: https://www.rfc-editor.org/rfc/rfc4271
//! [RFC 7606]: https://www.rfc-editor.org/rfc/rfc7606
//! [RFC 6396]: https://www.rfc-editor.org/rfc/rfc6396
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod attr;
pub mod capability;
pub mod codepoint;
pub mod context;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod header;
pub mod message;
pub mod mrt;
pub mod nlri;
pub mod notification;
pub mod open;
pub mod route;
pub mod route_refresh;
#[doc(hidden)]
pub mod testing;
pub mod types;
pub mod update;

pub use codepoint::{Afi, AttrType, CapabilityCode, ErrorCode, MessageType, Safi};
pub use context::SessionContext;
pub use error::{Action, UpdateError, UpdateErrorKind};
pub use header::{Frame, HeaderError, frame};
pub use message::{Message, MessageBuf, MessageError, Messages, parse_message};
pub use notification::Notification;
pub use route::{Extra, ExtraAttrs, RouteAttrs};
pub use types::{AS_TRANS, Family, FamilySet, Nlri};
pub use update::{Update, UpdateBuilder, UpdateMessage, UpdateVisitor};

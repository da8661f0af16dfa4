//! Whole messages: parse one framed message into a typed view, walk a byte
//! stream message by message, and encode owned messages.

use crate::codepoint::MessageType;
use crate::context::SessionContext;
use crate::error::{Action, UpdateError};
use crate::header::{HEADER_LEN, HeaderError, MAX_MESSAGE_LEN, frame, put_header};
use crate::notification::{Notification, NotificationEncodeError, NotificationError};
use crate::open::{OpenEncodeError, OpenError, OpenMessage};
use crate::route_refresh::{RouteRefresh, RouteRefreshEncodeError, RouteRefreshError};
use crate::update::{EncodeError, Update, UpdateMessage};

/// One decoded message. UPDATEs are zero-copy views; the other types are
/// small and decoded into owned values.
#[derive(Clone, Debug)]
pub enum Message<'a> {
    /// OPEN.
    Open(OpenMessage),
    /// UPDATE (see [`Update::action`] for RFC 7606 errors it survived).
    Update(Update<'a>),
    /// NOTIFICATION.
    Notification(Notification),
    /// KEEPALIVE.
    Keepalive,
    /// ROUTE-REFRESH.
    RouteRefresh(RouteRefresh),
}

impl Message<'_> {
    /// The message type.
    pub const fn ty(&self) -> MessageType {
        match self {
            Self::Open(_) => MessageType::OPEN,
            Self::Update(_) => MessageType::UPDATE,
            Self::Notification(_) => MessageType::NOTIFICATION,
            Self::Keepalive => MessageType::KEEPALIVE,
            Self::RouteRefresh(_) => MessageType::ROUTE_REFRESH,
        }
    }

    /// An owned copy.
    pub fn to_owned_message(&self) -> MessageBuf {
        match self {
            Self::Open(o) => MessageBuf::Open(o.clone()),
            Self::Update(u) => MessageBuf::Update(u.to_message()),
            Self::Notification(n) => MessageBuf::Notification(n.clone()),
            Self::Keepalive => MessageBuf::Keepalive,
            Self::RouteRefresh(r) => MessageBuf::RouteRefresh(r.clone()),
        }
    }
}

/// Why a message could not be decoded. Every variant resets the session;
/// [`MessageError::notification`] says with what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError<'a> {
    /// The header is bad (or the buffer does not hold the whole message).
    #[error("header: {0}")]
    Header(#[from] HeaderError),
    /// The buffer ends before the message does.
    #[error("message truncated: {have} of {need} octets")]
    Truncated {
        /// Octets available.
        have: usize,
        /// The length field.
        need: usize,
    },
    /// A malformed OPEN.
    #[error("OPEN: {0}")]
    Open(#[from] OpenError),
    /// An UPDATE error whose RFC 7606 action is a session reset.
    #[error("UPDATE: {0}")]
    Update(UpdateError<'a>),
    /// A malformed NOTIFICATION.
    #[error("NOTIFICATION: {0}")]
    Notification(#[from] NotificationError),
    /// A malformed ROUTE-REFRESH.
    #[error("ROUTE-REFRESH: {0}")]
    RouteRefresh(#[from] RouteRefreshError),
}

impl MessageError<'_> {
    /// The NOTIFICATION to send. A malformed NOTIFICATION is never answered
    /// with another one (RFC 4271 §6.4); the value is still given for logs.
    pub fn notification(&self) -> Notification {
        match self {
            Self::Header(e) => e.notification(),
            Self::Truncated { need, .. } => HeaderError::BadMessageLength {
                len: u16::try_from(*need).unwrap_or(u16::MAX),
                ty: MessageType(0),
            }
            .notification(),
            Self::Open(e) => e.notification(),
            Self::Update(e) => e.notification(),
            Self::Notification(e) => e.notification(),
            Self::RouteRefresh(e) => e.notification(),
        }
    }

    /// Always [`Action::SessionReset`]: message-level errors end the session.
    pub const fn action(&self) -> Action {
        Action::SessionReset
    }
}

/// Decodes one whole message (`msg` starts with the marker and holds exactly
/// one message, as [`frame`] delimits it) under the session context `ctx`.
#[inline]
pub fn parse_message<'a>(
    msg: &'a [u8],
    ctx: &SessionContext,
) -> Result<Message<'a>, MessageError<'a>> {
    let f = frame(msg, ctx.max_message_len)?.ok_or(MessageError::Truncated {
        have: msg.len(),
        need: msg.get(16..18).map_or(HEADER_LEN, |l| {
            usize::from(u16::from_be_bytes([l[0], l[1]]))
        }),
    })?;
    let body = msg.get(HEADER_LEN..f.len).unwrap_or_default();
    Ok(match f.ty {
        MessageType::OPEN => Message::Open(OpenMessage::parse(body)?),
        MessageType::UPDATE => {
            Message::Update(Update::parse(body, ctx).map_err(MessageError::Update)?)
        }
        MessageType::NOTIFICATION => Message::Notification(Notification::parse(body)?),
        MessageType::KEEPALIVE => Message::Keepalive,
        MessageType::ROUTE_REFRESH => Message::RouteRefresh(RouteRefresh::parse(body)?),
        // `frame` rejects every other type.
        other => return Err(HeaderError::BadMessageType(other.0).into()),
    })
}

/// Iterates over the messages of a byte stream.
///
/// Yields each complete message as `(offset, result)`; stops at the first
/// header error (the stream cannot be framed past it) or at a trailing partial
/// message, whose offset [`Messages::remainder`] then gives.
#[derive(Clone, Debug)]
pub struct Messages<'a> {
    buf: &'a [u8],
    pos: usize,
    ctx: SessionContext,
    done: bool,
}

impl<'a> Messages<'a> {
    /// Messages of `buf` under `ctx`.
    pub const fn new(buf: &'a [u8], ctx: SessionContext) -> Self {
        Self {
            buf,
            pos: 0,
            ctx,
            done: false,
        }
    }

    /// The bytes not consumed (a partial message, or everything from a
    /// header error on).
    pub fn remainder(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = (usize, Result<Message<'a>, MessageError<'a>>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.remainder();
        match frame(rest, self.ctx.max_message_len) {
            Ok(Some(f)) => {
                let at = self.pos;
                self.pos += f.len;
                Some((at, parse_message(&rest[..f.len], &self.ctx)))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some((self.pos, Err(e.into())))
            }
        }
    }
}

/// An error encoding a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageEncodeError {
    /// OPEN.
    #[error(transparent)]
    Open(#[from] OpenEncodeError),
    /// UPDATE.
    #[error(transparent)]
    Update(#[from] EncodeError),
    /// NOTIFICATION.
    #[error(transparent)]
    Notification(#[from] NotificationEncodeError),
    /// ROUTE-REFRESH.
    #[error(transparent)]
    RouteRefresh(#[from] RouteRefreshEncodeError),
}

/// An owned message of any type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageBuf {
    /// OPEN.
    Open(OpenMessage),
    /// UPDATE.
    Update(UpdateMessage),
    /// NOTIFICATION.
    Notification(Notification),
    /// KEEPALIVE.
    Keepalive,
    /// ROUTE-REFRESH.
    RouteRefresh(RouteRefresh),
}

impl MessageBuf {
    /// Decodes one whole message; an UPDATE keeps only what RFC 7606 accepts
    /// (see [`Update::to_message`]).
    pub fn decode<'a>(msg: &'a [u8], ctx: &SessionContext) -> Result<Self, MessageError<'a>> {
        parse_message(msg, ctx).map(|m| m.to_owned_message())
    }

    /// Appends the whole message (header included) to `out`.
    pub fn encode(
        &self,
        ctx: &SessionContext,
        out: &mut Vec<u8>,
    ) -> Result<(), MessageEncodeError> {
        match self {
            Self::Open(o) => o.emit(out)?,
            Self::Update(u) => u.encode(ctx, out)?,
            Self::Notification(n) => n.emit(out, ctx.max_message_len)?,
            Self::Keepalive => put_header(out, MessageType::KEEPALIVE, HEADER_LEN as u16),
            Self::RouteRefresh(r) => r.emit(out, ctx.max_message_len)?,
        }
        Ok(())
    }
}

/// A KEEPALIVE message (19 octets).
pub const KEEPALIVE: [u8; HEADER_LEN] = {
    let mut k = [0xff; HEADER_LEN];
    k[16] = 0;
    k[17] = HEADER_LEN as u8;
    k[18] = MessageType::KEEPALIVE.0;
    k
};

const _: () = assert!(MAX_MESSAGE_LEN >= HEADER_LEN);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_of_messages() {
        let ctx = SessionContext::default();
        let mut s = Vec::new();
        MessageBuf::Keepalive.encode(&ctx, &mut s).unwrap();
        assert_eq!(s, KEEPALIVE);
        MessageBuf::Update(UpdateMessage::default())
            .encode(&ctx, &mut s)
            .unwrap();
        MessageBuf::Notification(Notification::new(crate::ErrorCode::CEASE, 2, vec![]))
            .encode(&ctx, &mut s)
            .unwrap();
        s.extend_from_slice(&KEEPALIVE[..7]);
        let mut it = Messages::new(&s, ctx);
        let types: Vec<_> = it.by_ref().map(|(_, m)| m.unwrap().ty()).collect();
        assert_eq!(
            types,
            [
                MessageType::KEEPALIVE,
                MessageType::UPDATE,
                MessageType::NOTIFICATION
            ]
        );
        assert_eq!(it.remainder().len(), 7);
        match parse_message(&s[19..42], &ctx).unwrap() {
            Message::Update(u) => assert_eq!(u.end_of_rib(), Some(crate::Family::IPV4_UNICAST)),
            m => panic!("{m:?}"),
        }
        assert!(matches!(
            parse_message(&s[..10], &ctx),
            Err(MessageError::Truncated { .. })
        ));
    }
}

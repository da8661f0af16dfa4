//! Entry points for the fuzz targets in `fuzz/` (not a stable API).
//!
//! Each function takes raw fuzzer input and panics only when an invariant of
//! this crate is broken.

use crate::attr::Attribute;
use crate::codepoint::MessageType;
use crate::context::SessionContext;
use crate::header::{HEADER_LEN, frame};
use crate::message::{Message, MessageBuf, Messages, parse_message};
use crate::types::{Family, Nlri};
use crate::update::{Update, UpdateVisitor};

/// Builds a session context from one octet of fuzzer input.
pub fn context(b: u8) -> SessionContext {
    let mut c = if b & 1 == 0 {
        SessionContext::default()
    } else {
        SessionContext::two_octet()
    };
    if b & 2 != 0 {
        c.max_message_len = 65535;
    }
    for (bit, f) in [
        (4, Family::IPV4_UNICAST),
        (8, Family::IPV6_UNICAST),
        (16, Family::IPV4_MULTICAST),
        (32, Family::IPV6_MULTICAST),
    ] {
        if b & bit != 0 {
            c.add_path.insert(f);
        }
    }
    if b & 64 != 0 {
        c.extended_next_hop.insert(Family::IPV4_UNICAST);
    }
    c.ebgp = b & 128 != 0;
    c
}

/// Decodes a byte stream under a context taken from the first octet, and
/// walks everything every message offers.
pub fn decode(data: &[u8]) {
    let Some((&c, stream)) = data.split_first() else {
        return;
    };
    let ctx = context(c);
    for (at, m) in Messages::new(stream, ctx) {
        if let Some(body) = stream.get(at..).and_then(|rest| {
            let f = frame(rest, ctx.max_message_len).ok()??;
            (f.ty == MessageType::UPDATE).then(|| rest.get(HEADER_LEN..f.len))?
        }) {
            visit_agrees(body, &ctx);
        }
        match m {
            Ok(Message::Update(u)) => {
                let mut n = 0usize;
                for a in u.attributes() {
                    n += format!("{a:?}").len();
                }
                n += u.all_announced().count() + u.all_withdrawn().count();
                if let Some(p) = u.effective_as_path() {
                    n += p.to_string().len();
                }
                let _ = (u.effective_aggregator(), u.end_of_rib(), u.action(), n);
                if let Some(e) = u.error() {
                    let _ = e.notification();
                }
            }
            Ok(other) => {
                let _ = format!("{other:?}");
            }
            Err(e) => {
                let _ = (e.notification(), e.to_string());
            }
        }
    }
}

/// Checks that [`Update::visit`] agrees with [`Update::parse`] and the view's
/// iterators on an UPDATE body: the same verdict, and, when it is not a
/// session reset, the same attributes, withdrawn and announced prefixes in
/// the same order, with every visitor kind (prefixes wanted or not).
pub fn visit_agrees(body: &[u8], ctx: &SessionContext) {
    #[derive(Default)]
    struct Seen<'a> {
        attrs: Vec<Attribute<'a>>,
        withdrawn: Vec<Nlri>,
        announced: Vec<Nlri>,
    }
    impl<'a> UpdateVisitor<'a> for Seen<'a> {
        const PREFIXES: bool = true;
        fn attribute(&mut self, attr: Attribute<'a>) {
            self.attrs.push(attr);
        }
        fn withdrawn(&mut self, nlri: Nlri) {
            self.withdrawn.push(nlri);
        }
        fn announced(&mut self, nlri: Nlri) {
            self.announced.push(nlri);
        }
    }
    let parsed = Update::parse(body, ctx);
    let mut seen = Seen::default();
    let visited = Update::visit(body, ctx, &mut seen);
    let mut attrs_only = Vec::new();
    let visited_attrs = Update::visit(body, ctx, &mut |a| attrs_only.push(a));
    let checked = Update::visit(body, ctx, &mut ());
    match &parsed {
        Ok(u) => {
            assert_eq!(visited, Ok(u.error()), "verdict");
            assert_eq!(seen.attrs, u.attributes().collect::<Vec<_>>(), "attributes");
            assert_eq!(
                seen.withdrawn,
                u.withdrawn().collect::<Vec<_>>(),
                "withdrawn"
            );
            assert_eq!(
                seen.announced,
                u.announced().collect::<Vec<_>>(),
                "announced"
            );
            assert_eq!(attrs_only, seen.attrs, "attributes without prefixes");
        }
        Err(e) => assert_eq!(visited, Err(*e), "reset"),
    }
    assert_eq!(visited_attrs, visited, "verdict without prefixes");
    assert_eq!(checked, visited, "verdict without a visitor");
}

/// Decodes one message, encodes the owned result and decodes that again: the
/// two owned values must be equal and the re-encoding stable.
pub fn roundtrip(data: &[u8]) {
    let Some((&c, msg)) = data.split_first() else {
        return;
    };
    let ctx = context(c);
    let Ok(first) = MessageBuf::decode(msg, &ctx) else {
        return;
    };
    let mut out = Vec::new();
    first
        .encode(&ctx, &mut out)
        .expect("a decoded message re-encodes within the session limits");
    let second = MessageBuf::decode(&out, &ctx).expect("re-encoded message decodes");
    assert_eq!(first, second, "decode(encode(decode(x))) != decode(x)");
    let mut again = Vec::new();
    second.encode(&ctx, &mut again).expect("encodes");
    assert_eq!(out, again, "encoding is not stable");
}

/// Frames a stream fed in chunks whose sizes come from the input, and checks
/// that it finds the same messages as framing the whole buffer at once, and
/// that every framed message starts with a header [`parse_message`] accepts
/// as one whole message.
pub fn frame_stream(data: &[u8]) {
    let Some((&c, rest)) = data.split_first() else {
        return;
    };
    let Some((&step, stream)) = rest.split_first() else {
        return;
    };
    let ctx = context(c);
    let step = usize::from(step % 64) + 1;
    let whole: Vec<(usize, bool)> = Messages::new(stream, ctx)
        .map(|(at, m)| (at, m.is_ok()))
        .collect();

    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0;
    let mut base = 0;
    let mut found = Vec::new();
    loop {
        match frame(&buf, ctx.max_message_len) {
            Ok(Some(f)) => {
                assert!(f.len >= HEADER_LEN && f.len <= buf.len() && f.len <= ctx.max_message_len);
                found.push((base, parse_message(&buf[..f.len], &ctx).is_ok()));
                buf.drain(..f.len);
                base += f.len;
            }
            Ok(None) if fed < stream.len() => {
                let n = step.min(stream.len() - fed);
                buf.extend_from_slice(&stream[fed..fed + n]);
                fed += n;
            }
            Ok(None) => break,
            Err(_) => {
                found.push((base, false));
                break;
            }
        }
    }
    assert_eq!(
        whole, found,
        "chunked framing differs from whole-buffer framing"
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn entry_points_accept_anything() {
        for data in [&[][..], &[0], &[0, 1, 2], &[0xff; 64]] {
            super::decode(data);
            super::roundtrip(data);
            super::frame_stream(data);
        }
    }
}

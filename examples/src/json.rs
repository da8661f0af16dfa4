//! One-line JSON for decoded BGP messages.
//!
//! The shape, one object per message:
//! * every message: `"type"` (`OPEN`, `UPDATE`, `NOTIFICATION`, `KEEPALIVE`,
//!   `ROUTE-REFRESH`, or `INVALID` when the header names no known type);
//! * a message that failed to decode: `"error"`, `"action": "session-reset"`
//!   and `"notification": [code, subcode]`;
//! * UPDATE: `"withdrawn"`, `"announced"` (prefix strings, `PREFIX#ID` with an
//!   ADD-PATH identifier, MP_REACH/MP_UNREACH prefixes included),
//!   `"attributes"`, `"action"` (the RFC 7606 action), `"error"` when the
//!   action is not `none`, `"end_of_rib"` for an End-of-RIB marker;
//! * OPEN: `"version"`, `"asn"`, `"hold_time"`, `"bgp_id"`, `"capabilities"`;
//! * NOTIFICATION: `"code"`, `"subcode"`, `"name"`, `"subcode_name"`,
//!   `"data"`, and `"shutdown_communication"` / `"hard_reset"` when present;
//! * ROUTE-REFRESH: `"afi"`, `"safi"`, `"subtype"`, `"family"`.

use core::fmt::{Display, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

use bgp_wire::attr::{Attribute, NextHop};
use bgp_wire::capability::Capability;
use bgp_wire::codepoint::subcode_name;
use bgp_wire::open::{OpenMessage, OptionalParameter};
use bgp_wire::route_refresh::RouteRefresh;
use bgp_wire::{
    Action, Family, HeaderError, Message, MessageError, MessageType, Messages, Notification,
    SessionContext, Update, parse_message,
};

use crate::to_hex;

/// Appends `s` to `out` as a JSON string literal, quotes included.
pub fn escape_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `s` as a JSON string literal.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    escape_into(&mut out, s);
    out
}

/// A JSON object being written, one key at a time.
#[derive(Debug)]
pub struct Obj {
    s: String,
    empty: bool,
}

impl Default for Obj {
    fn default() -> Self {
        Self::new()
    }
}

impl Obj {
    /// An empty object.
    pub fn new() -> Self {
        Self {
            s: String::from("{"),
            empty: true,
        }
    }

    fn key(&mut self, k: &str) {
        if !self.empty {
            self.s.push(',');
        }
        self.empty = false;
        escape_into(&mut self.s, k);
        self.s.push(':');
    }

    /// A string value.
    pub fn str(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        escape_into(&mut self.s, v);
        self
    }

    /// A number (anything whose `Display` is a JSON number).
    pub fn num(&mut self, k: &str, v: impl Display) -> &mut Self {
        self.key(k);
        let _ = write!(self.s, "{v}");
        self
    }

    /// `true` or `false`.
    pub fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.key(k);
        self.s.push_str(if v { "true" } else { "false" });
        self
    }

    /// A value that is already JSON.
    pub fn raw(&mut self, k: &str, json: &str) -> &mut Self {
        self.key(k);
        self.s.push_str(json);
        self
    }

    /// An array of strings, each the `Display` of an item.
    pub fn strs<T: Display>(&mut self, k: &str, items: impl IntoIterator<Item = T>) -> &mut Self {
        self.key(k);
        self.s.push_str(&str_array(items));
        self
    }

    /// The finished object.
    pub fn finish(mut self) -> String {
        self.s.push('}');
        self.s
    }
}

/// A JSON array of the `Display` strings of `items`.
pub fn str_array<T: Display>(items: impl IntoIterator<Item = T>) -> String {
    let mut s = String::from("[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        escape_into(&mut s, &item.to_string());
    }
    s.push(']');
    s
}

/// A family as `afi/safi` in lower case: `ipv4/unicast`, `l2vpn/evpn`, `1/85`.
pub fn family(f: Family) -> String {
    f.to_string().to_ascii_lowercase()
}

/// The name printed as `"type"` for a message type octet.
pub fn type_name(ty: u8) -> &'static str {
    match MessageType(ty).name() {
        Some(n) => n,
        None => "INVALID",
    }
}

/// Decodes one whole message (`msg` starts with the marker) and returns its
/// JSON object.
pub fn message(msg: &[u8], ctx: &SessionContext) -> String {
    result(msg, &parse_message(msg, ctx))
}

/// Decodes a byte stream message by message, one JSON object per message.
/// A header error is printed and ends the stream; a trailing partial message
/// is printed as a truncation error.
pub fn stream(buf: &[u8], ctx: &SessionContext) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = Messages::new(buf, *ctx);
    let mut failed = false;
    for (off, r) in it.by_ref() {
        let raw = buf.get(off..).unwrap_or_default();
        failed |= matches!(r, Err(MessageError::Header(_)));
        out.push(result(raw, &r));
    }
    let rest = it.remainder();
    if !failed && !rest.is_empty() {
        out.push(message(rest, ctx));
    }
    out
}

/// The JSON object of a decoding result. `raw` is the message (or the
/// bytes from its start), used for the type when decoding failed.
pub fn result(raw: &[u8], r: &Result<Message<'_>, MessageError<'_>>) -> String {
    match r {
        Ok(m) => decoded(m),
        Err(e) => {
            let ty = match e {
                MessageError::Header(HeaderError::ConnectionNotSynchronized) => "INVALID",
                MessageError::Header(_) | MessageError::Truncated { .. } => {
                    raw.get(18).map_or("INVALID", |&t| type_name(t))
                }
                MessageError::Open(_) => "OPEN",
                MessageError::Update(_) => "UPDATE",
                MessageError::Notification(_) => "NOTIFICATION",
                MessageError::RouteRefresh(_) => "ROUTE-REFRESH",
                _ => raw.get(18).map_or("INVALID", |&t| type_name(t)),
            };
            let n = e.notification();
            let mut o = Obj::new();
            o.str("type", ty)
                .str("error", &e.to_string())
                .str("action", e.action().as_str())
                .raw("notification", &format!("[{},{}]", n.code.0, n.subcode));
            o.finish()
        }
    }
}

/// The JSON object of a decoded message.
pub fn decoded(m: &Message<'_>) -> String {
    match m {
        Message::Open(o) => open(o),
        Message::Update(u) => update(u),
        Message::Notification(n) => notification(n),
        Message::Keepalive => r#"{"type":"KEEPALIVE"}"#.to_owned(),
        Message::RouteRefresh(r) => route_refresh(r),
    }
}

/// An MP_REACH_NLRI next hop: addresses as text, also for families whose
/// next hop the codec keeps raw (4, 16 or 32 octets; a VPN next hop of 12,
/// 24 or 48 octets whose route distinguisher is zero); anything else in hex.
fn next_hop_str(nh: &NextHop<&[u8]>) -> String {
    let NextHop::Other(b) = nh else {
        return nh.to_string();
    };
    let addrs = |b: &[u8]| -> Option<String> {
        match b.len() {
            4 => Some(Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string()),
            16 | 32 => {
                let v6: Vec<String> = b
                    .chunks_exact(16)
                    .map(|c| {
                        let mut a = [0; 16];
                        a.copy_from_slice(c);
                        Ipv6Addr::from(a).to_string()
                    })
                    .collect();
                Some(v6.join(" "))
            }
            _ => None,
        }
    };
    let vpn = |b: &[u8]| -> Option<String> {
        let (rd, rest) = b.split_at_checked(8)?;
        if rd.iter().any(|&x| x != 0) {
            return None;
        }
        match rest.len() {
            4 | 16 => addrs(rest),
            // Two RD + IPv6 pairs (global and link-local).
            40 => {
                let (g, l) = rest.split_at(16);
                let l = l.get(8..)?;
                Some(format!("{} {}", addrs(g)?, addrs(l)?))
            }
            _ => None,
        }
    };
    if b.is_empty() {
        return String::new();
    }
    addrs(b)
        .or_else(|| vpn(b))
        .unwrap_or_else(|| format!("0x{}", to_hex(b)))
}

/// The JSON object of an UPDATE view.
pub fn update(u: &Update<'_>) -> String {
    let mut o = Obj::new();
    o.str("type", "UPDATE");
    o.strs("withdrawn", u.all_withdrawn());
    o.strs("announced", u.all_announced());
    o.raw("attributes", &attributes(u));
    let action = u.action();
    o.str("action", action.as_str());
    if let Some(e) = u.error().filter(|_| action != Action::None) {
        o.str("error", &e.to_string());
        if let Some(f) = e.kind.family() {
            o.str("error_family", &family(f));
        }
    }
    if let Some(f) = u.end_of_rib() {
        o.str("end_of_rib", &family(f));
    }
    o.finish()
}

/// The `"attributes"` object of an UPDATE.
pub fn attributes(u: &Update<'_>) -> String {
    let mut o = Obj::new();
    if let Some(origin) = u.origin() {
        o.str("origin", origin.as_str());
    }
    if let Some(p) = u.effective_as_path() {
        o.str("as_path", &p.to_string());
    }
    let mp = u.mp_reach();
    // FlowSpec and some others carry an empty MP next hop: no key then.
    let mp_nh = mp
        .map(|m| next_hop_str(&m.next_hop()))
        .filter(|s| !s.is_empty());
    match (u.next_hop(), mp_nh) {
        (Some(nh), Some(m)) => {
            o.str("next_hop", &nh.to_string());
            o.str("mp_next_hop", &m);
        }
        (Some(nh), None) => {
            o.str("next_hop", &nh.to_string());
        }
        (None, Some(m)) => {
            o.str("next_hop", &m);
        }
        (None, None) => {}
    }
    if let Some(v) = u.med() {
        o.num("med", v);
    }
    if let Some(v) = u.local_pref() {
        o.num("local_pref", v);
    }
    if let Some(c) = u.communities() {
        o.strs("communities", c.iter());
    }
    if let Some(c) = u.large_communities() {
        o.strs("large_communities", c.iter());
    }
    if let Some(c) = u.ext_communities() {
        o.strs("ext_communities", c.iter());
    }
    if let Some(c) = u.ipv6_ext_communities() {
        o.strs("ipv6_ext_communities", c.iter().map(|c| to_hex(&c.0)));
    }
    if let Some(a) = u.originator_id() {
        o.str("originator_id", &a.to_string());
    }
    if let Some(c) = u.cluster_list() {
        o.strs("cluster_list", c.iter());
    }
    if u.atomic_aggregate() {
        o.bool("atomic_aggregate", true);
    }
    if let Some(a) = u.effective_aggregator() {
        o.str("aggregator", &format!("{} {}", a.asn, a.addr));
    }
    if let Some(v) = u.otc() {
        o.num("otc", v);
    }
    if let Some(m) = u.aigp().and_then(|a| a.metric()) {
        o.num("aigp", m);
    }
    let unknown: Vec<String> = u
        .attributes()
        .filter_map(|a| match a {
            Attribute::Other(r) => {
                let mut x = Obj::new();
                x.num("type", r.ty.0)
                    .num("flags", r.flags.0)
                    .str("hex", &to_hex(r.value));
                Some(x.finish())
            }
            _ => None,
        })
        .collect();
    if !unknown.is_empty() {
        o.raw("unknown", &format!("[{}]", unknown.join(",")));
    }
    if let Some(m) = mp.filter(|m| m.prefixes().is_none()) {
        o.str("mp_family", &family(m.family()));
        o.str("mp_nlri_hex", &to_hex(m.nlri_bytes()));
    }
    if let Some(m) = u.mp_unreach().filter(|m| m.prefixes().is_none()) {
        o.str("mp_unreach_family", &family(m.family()));
        o.str("mp_unreach_nlri_hex", &to_hex(m.nlri_bytes()));
    }
    o.finish()
}

/// The short text of one capability (several for per-family ones).
pub fn capability(c: &Capability) -> Vec<String> {
    match c {
        Capability::Multiprotocol(f) => vec![format!("multiprotocol {}", family(*f))],
        Capability::RouteRefresh => vec!["route-refresh".into()],
        Capability::ExtendedNextHop(v) => v
            .iter()
            .map(|(f, nh)| {
                format!(
                    "extended-next-hop {} {}",
                    family(*f),
                    nh.to_string().to_ascii_lowercase()
                )
            })
            .collect(),
        Capability::ExtendedMessage => vec!["extended-message".into()],
        Capability::Role(r) => vec![format!("role {}", r.to_string().to_ascii_lowercase())],
        Capability::GracefulRestart {
            restart_state,
            notification,
            restart_time,
            families,
        } => {
            let mut s = format!("graceful-restart {restart_time}");
            if *restart_state {
                s.push_str(" restarting");
            }
            if *notification {
                s.push_str(" notification");
            }
            for f in families {
                let _ = write!(
                    s,
                    " {}{}",
                    family(f.family),
                    if f.forwarding { "+forwarding" } else { "" }
                );
            }
            vec![s]
        }
        Capability::FourOctetAs(a) => vec![format!("4-octet-as {a}")],
        Capability::AddPath(v) => v
            .iter()
            .map(|(f, m)| {
                let mode = match m.0 {
                    1 => "receive".to_owned(),
                    2 => "send".to_owned(),
                    3 => "both".to_owned(),
                    n => format!("mode-{n}"),
                };
                format!("add-path {} {mode}", family(*f))
            })
            .collect(),
        Capability::EnhancedRouteRefresh => vec!["enhanced-route-refresh".into()],
        Capability::LongLivedGr(v) if v.is_empty() => vec!["long-lived-graceful-restart".into()],
        Capability::LongLivedGr(v) => v
            .iter()
            .map(|e| {
                format!(
                    "long-lived-graceful-restart {} {}{}",
                    family(e.family),
                    e.stale_time,
                    if e.forwarding { " forwarding" } else { "" }
                )
            })
            .collect(),
        Capability::Fqdn { hostname, domain } => {
            let h = String::from_utf8_lossy(hostname);
            let d = String::from_utf8_lossy(domain);
            if d.is_empty() {
                vec![format!("fqdn {h}")]
            } else {
                vec![format!("fqdn {h}.{d}")]
            }
        }
        Capability::Unknown { code, data } if data.is_empty() => {
            vec![format!("unknown {}", code.0)]
        }
        Capability::Unknown { code, data } => vec![format!("unknown {} {}", code.0, to_hex(data))],
    }
}

/// The JSON object of an OPEN.
pub fn open(m: &OpenMessage) -> String {
    let mut o = Obj::new();
    o.str("type", "OPEN")
        .num("version", m.version)
        .num("asn", m.asn())
        .num("hold_time", m.hold_time)
        .str("bgp_id", &m.bgp_id.to_string());
    o.strs("capabilities", m.capabilities().flat_map(capability));
    let unknown: Vec<String> = m
        .params
        .iter()
        .filter_map(|p| match p {
            OptionalParameter::Unknown { ty, data } => {
                let mut x = Obj::new();
                x.num("type", ty).str("hex", &to_hex(data));
                Some(x.finish())
            }
            OptionalParameter::Capabilities(_) => None,
        })
        .collect();
    if !unknown.is_empty() {
        o.raw("unknown_parameters", &format!("[{}]", unknown.join(",")));
    }
    o.finish()
}

/// The JSON object of a NOTIFICATION.
pub fn notification(n: &Notification) -> String {
    let mut o = Obj::new();
    o.str("type", "NOTIFICATION")
        .num("code", n.code.0)
        .num("subcode", n.subcode)
        .str("name", &n.code.to_string());
    match subcode_name(n.code, n.subcode) {
        Some(s) => o.str("subcode_name", s),
        None if n.subcode == 0 => o.str("subcode_name", "Unspecific"),
        None => o.str("subcode_name", &n.subcode.to_string()),
    };
    o.str("data", &to_hex(&n.data));
    if let Some(text) = n.shutdown_communication() {
        o.str("shutdown_communication", text);
    }
    if let Some((code, sub, _)) = n.hard_reset_inner() {
        o.raw("hard_reset", &format!("[{},{}]", code.0, sub));
    }
    o.finish()
}

/// The JSON object of a ROUTE-REFRESH.
pub fn route_refresh(r: &RouteRefresh) -> String {
    let mut o = Obj::new();
    o.str("type", "ROUTE-REFRESH")
        .num("afi", r.family.afi.0)
        .num("safi", r.family.safi.0)
        .num("subtype", r.subtype.0)
        .str("family", &family(r.family));
    if !r.orf.is_empty() {
        o.str("orf_hex", &to_hex(&r.orf));
    }
    o.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\u0001é\"");
        let mut o = Obj::new();
        o.str("a", "x")
            .num("b", 1)
            .bool("c", true)
            .strs("d", [1, 2]);
        assert_eq!(o.finish(), r#"{"a":"x","b":1,"c":true,"d":["1","2"]}"#);
        assert_eq!(Obj::new().finish(), "{}");
    }

    #[test]
    fn keepalive_and_garbage() {
        let ctx = SessionContext::default();
        assert_eq!(
            message(&bgp_wire::message::KEEPALIVE, &ctx),
            r#"{"type":"KEEPALIVE"}"#
        );
        let j = message(&[0xff; 5], &ctx);
        assert!(j.starts_with(r#"{"type":"INVALID","error":"#), "{j}");
        let mut bad = bgp_wire::message::KEEPALIVE.to_vec();
        bad[18] = 9;
        let j = message(&bad, &ctx);
        assert!(j.contains(r#""type":"INVALID""#), "{j}");
        assert!(j.contains(r#""notification":[1,3]"#), "{j}");
    }
}

//! The parser for FRR's policy statements.
//!
//! Lines are split into words at whitespace; every error names the line and
//! column of the offending word and what was expected there. Nothing is
//! skipped silently: a line is a policy statement (and must be well formed),
//! a comment (`!`), blank, or returned to the caller as another kind of line.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use bgp_rib::policy::Source;
use bgp_wire::attr::{Community, ExtCommunity, LargeCommunity, Origin};
use bgp_wire::codepoint::Role;
use ipnet::IpNet;

use crate::Action;
use crate::as_path_list::{AsPathEntry, AsPathList, FrrRegex};
use crate::community_list::{
    COMMUNITY_NAMES, CommunityList, CommunityListEntry, CommunityMatcher, CommunityValue,
    ListStyle, ext_community,
};
use crate::config::{Config, OtherLine};
use crate::prefix_list::{AddrFamily, PrefixList, PrefixListEntry, PrefixMatch};
use crate::route_map::{ExitPolicy, Match, RouteMap, RouteMapEntry, Set, SetValue};

//----------- ParseError --------------------------------------------------------

/// A syntax or consistency error, with where it is and what was expected:
/// `line 12, col 31: expected 'ge' or 'le' after prefix, found 'ge32'`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The line, from 1.
    pub line: usize,
    /// The column (in characters), from 1.
    pub col: usize,
    /// What would have been right.
    pub expected: String,
    /// The word found instead; `None` at the end of the line.
    pub found: Option<String>,
}

impl ParseError {
    pub(crate) fn not_policy(o: &OtherLine) -> Self {
        let col = o.text.len() - o.text.trim_start().len() + 1;
        Self {
            line: o.line,
            col,
            expected: "a prefix-list, as-path, community-list or route-map statement".into(),
            found: o.text.split_whitespace().next().map(str::to_owned),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, col {}: expected {}, ",
            self.line, self.col, self.expected
        )?;
        match &self.found {
            Some(w) => write!(f, "found '{w}'"),
            None => f.write_str("found end of line"),
        }
    }
}

impl std::error::Error for ParseError {}

//----------- Cursor --------------------------------------------------------------

struct Cursor<'a> {
    line: usize,
    words: Vec<(usize, &'a str)>,
    pos: usize,
    end_col: usize,
}

type R<T> = Result<T, ParseError>;

impl<'a> Cursor<'a> {
    fn new(line: usize, text: &'a str) -> Self {
        let mut words = Vec::new();
        let mut start = None;
        // Columns count characters.
        let mut char_col = 0;
        for (b, c) in text.char_indices() {
            char_col += 1;
            if c.is_whitespace() {
                if let Some((s, sc)) = start.take() {
                    words.push((sc, &text[s..b]));
                }
            } else if start.is_none() {
                start = Some((b, char_col));
            }
        }
        if let Some((s, sc)) = start {
            words.push((sc, &text[s..]));
        }
        Self {
            line,
            words,
            pos: 0,
            end_col: char_col + 1,
        }
    }

    fn col(&self) -> usize {
        self.words.get(self.pos).map_or(self.end_col, |w| w.0)
    }

    fn peek(&self) -> Option<&'a str> {
        self.words.get(self.pos).map(|w| w.1)
    }

    fn error(&self, expected: impl Into<String>) -> ParseError {
        ParseError {
            line: self.line,
            col: self.col(),
            expected: expected.into(),
            found: self.peek().map(str::to_owned),
        }
    }

    /// An error about the word before the cursor.
    fn error_prev(&self, expected: impl Into<String>) -> ParseError {
        let w = self.words[self.pos - 1];
        ParseError {
            line: self.line,
            col: w.0,
            expected: expected.into(),
            found: Some(w.1.to_owned()),
        }
    }

    fn word(&mut self, expected: &str) -> R<&'a str> {
        match self.peek() {
            Some(w) => {
                self.pos += 1;
                Ok(w)
            }
            None => Err(self.error(expected)),
        }
    }

    fn keyword(&mut self, options: &[&'static str], expected: &str) -> R<&'static str> {
        match self.peek().and_then(|w| options.iter().find(|o| **o == w)) {
            Some(o) => {
                self.pos += 1;
                Ok(o)
            }
            None => Err(self.error(expected)),
        }
    }

    fn eat(&mut self, kw: &str) -> bool {
        if self.peek() == Some(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn number<T: std::str::FromStr>(&mut self, expected: &str) -> R<T> {
        let w = self.word(expected)?;
        // Digits only: Rust's integer parsing would take a leading '+'.
        if !w.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.error_prev(expected));
        }
        w.parse().map_err(|_| self.error_prev(expected))
    }

    fn ranged(&mut self, lo: u32, hi: u32, what: &str) -> R<u32> {
        let expected = format!("{what} ({lo}-{hi})");
        let v: u32 = self.number(&expected)?;
        if v < lo || v > hi {
            return Err(self.error_prev(expected));
        }
        Ok(v)
    }

    fn end(&self) -> R<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("end of line")),
        }
    }

    /// The remaining words joined by single spaces (FRR's `argv_concat`).
    fn rest(&mut self, expected: &str) -> R<(usize, String)> {
        if self.peek().is_none() {
            return Err(self.error(expected));
        }
        let col = self.col();
        let s = self.words[self.pos..]
            .iter()
            .map(|w| w.1)
            .collect::<Vec<_>>()
            .join(" ");
        self.pos = self.words.len();
        Ok((col, s))
    }

    fn action(&mut self) -> R<Action> {
        Ok(
            match self.keyword(&["permit", "deny"], "'permit' or 'deny'")? {
                "permit" => Action::Permit,
                _ => Action::Deny,
            },
        )
    }

    /// `[seq N]`: the given number or `None`.
    fn seq(&mut self) -> R<Option<u32>> {
        if self.eat("seq") {
            Ok(Some(self.ranged(1, 4_294_967_294, "a sequence number")?))
        } else {
            Ok(None)
        }
    }

    fn regex(&mut self) -> R<FrrRegex> {
        let (col, text) = self.rest("a regular expression")?;
        FrrRegex::new(&text).map_err(|e| ParseError {
            line: self.line,
            col,
            expected: format!(
                "a regular expression ({})",
                e.to_string().lines().last().unwrap_or("invalid").trim()
            ),
            found: Some(text.clone()),
        })
    }
}

//----------- Statements ------------------------------------------------------------

#[derive(PartialEq)]
enum Mode {
    Top,
    RouteMap(String, u32),
    Other,
}

const ROUTE_MAP_WORDS: &[&str] = &[
    "match",
    "set",
    "on-match",
    "continue",
    "call",
    "description",
];

pub(crate) fn parse(text: &str) -> R<(Config, Vec<OtherLine>)> {
    let mut config = Config::new();
    let mut other = Vec::new();
    let mut mode = Mode::Top;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end();
        let indented = line.starts_with(char::is_whitespace);
        let mut c = Cursor::new(line_no, line);
        let first = c.peek();
        if let Mode::RouteMap(name, seq) = &mode {
            match first {
                Some(w) if ROUTE_MAP_WORDS.contains(&w) => {
                    let (name, seq) = (name.clone(), *seq);
                    route_map_line(&mut config, &name, seq, &mut c)?;
                    continue;
                }
                Some("exit" | "end") | Some("!") | None => {
                    mode = Mode::Top;
                    if first.is_some_and(|w| w == "exit" || w == "end") {
                        c.pos += 1;
                        c.end()?;
                    }
                    continue;
                }
                Some(_) if indented => {
                    return Err(c.error(
                        "'match', 'set', 'on-match', 'continue', 'call', 'description' or 'exit'",
                    ));
                }
                Some(_) => mode = Mode::Top,
            }
        }
        if mode == Mode::Other {
            if indented || first == Some("exit") {
                other.push(OtherLine {
                    line: line_no,
                    text: raw.to_owned(),
                });
                if !indented {
                    mode = Mode::Top;
                }
                continue;
            }
            mode = Mode::Top;
        }
        match first {
            None => continue,
            Some(w) if w.starts_with('!') && !indented => continue,
            _ => {}
        }
        match statement(&mut config, &mut c)? {
            Some(m) => mode = m,
            None => {
                other.push(OtherLine {
                    line: line_no,
                    text: raw.to_owned(),
                });
                mode = Mode::Other;
            }
        }
    }
    Ok((config, other))
}

/// A top-level statement; `None` when it is not a policy statement.
fn statement(config: &mut Config, c: &mut Cursor<'_>) -> R<Option<Mode>> {
    let words: Vec<&str> = c.words.iter().take(2).map(|w| w.1).collect();
    match words.as_slice() {
        ["ip", "prefix-list", ..] => {
            prefix_list(config, c, AddrFamily::Ipv4).map(|_| Some(Mode::Top))
        }
        ["ipv6", "prefix-list", ..] => {
            prefix_list(config, c, AddrFamily::Ipv6).map(|_| Some(Mode::Top))
        }
        ["bgp", "as-path", ..] => as_path_list(config, c).map(|_| Some(Mode::Top)),
        ["bgp", "community-list", ..] => {
            c.pos = 2;
            community_list(c, "community-list", community, |n| {
                config_list(config.community_lists_mut_internal(), n)
            })
            .map(|_| Some(Mode::Top))
        }
        ["bgp", "large-community-list", ..] => {
            c.pos = 2;
            community_list(c, "large-community-list", large_community, |n| {
                config_list(config.large_community_lists_mut_internal(), n)
            })
            .map(|_| Some(Mode::Top))
        }
        ["bgp", "extcommunity-list", ..] => {
            c.pos = 2;
            community_list(c, "extcommunity-list", ext_community_value, |n| {
                config_list(config.ext_community_lists_mut_internal(), n)
            })
            .map(|_| Some(Mode::Top))
        }
        ["route-map", ..] => route_map_header(config, c).map(Some),
        _ => Ok(None),
    }
}

fn config_list<'c, V: CommunityValue>(
    lists: &'c mut Vec<CommunityList<V>>,
    (name, style): (&str, ListStyle),
) -> Result<&'c mut CommunityList<V>, String> {
    let at = match lists.iter().position(|l| l.name() == name) {
        Some(at) => at,
        None => {
            lists.push(CommunityList::new(name, style));
            lists.len() - 1
        }
    };
    let l = &mut lists[at];
    if l.style() != style {
        return Err(format!("list {name} is {}", l.style().keyword()));
    }
    Ok(l)
}

fn prefix_list(config: &mut Config, c: &mut Cursor<'_>, family: AddrFamily) -> R<()> {
    c.pos = 2;
    let name = c.word("a prefix-list name")?;
    if config.prefix_list(family, name).is_none() {
        config.add_prefix_list(PrefixList::new(name, family));
    }
    if c.eat("description") {
        let (_, d) = c.rest("a description")?;
        config
            .prefix_list_mut(family, name)
            .expect("added above")
            .set_description(Some(d));
        return Ok(());
    }
    let seq_col = c.col();
    let seq = c.seq()?;
    let action = c.action()?;
    let prefix_col = c.col();
    let matcher = if c.eat("any") {
        PrefixMatch::Any
    } else {
        let what = match family {
            AddrFamily::Ipv4 => "an IPv4 prefix (A.B.C.D/M) or 'any'",
            AddrFamily::Ipv6 => "an IPv6 prefix (X:X::X:X/M) or 'any'",
        };
        let w = c.word(what)?;
        let prefix: IpNet = w.parse().map_err(|_| c.error_prev(what))?;
        if AddrFamily::of(&prefix) != family {
            return Err(c.error_prev(what));
        }
        let (mut ge, mut le) = (None, None);
        while c.peek().is_some() {
            let max = u32::from(family.max_len());
            match c.keyword(&["ge", "le"], "'ge' or 'le' after prefix")? {
                "ge" if ge.is_none() => ge = Some(c.ranged(0, max, "a prefix length")? as u8),
                "le" if le.is_none() => le = Some(c.ranged(0, max, "a prefix length")? as u8),
                _ => return Err(c.error_prev("each of 'ge' and 'le' at most once")),
            }
        }
        PrefixMatch::Prefix { prefix, ge, le }
    };
    c.end()?;
    let list = config.prefix_list_mut(family, name).expect("added above");
    let seq = seq.unwrap_or_else(|| list.next_seq());
    let entry = PrefixListEntry {
        seq,
        action,
        matcher,
    };
    if let Some(old) = list.entries().iter().find(|e| e.seq == seq) {
        if *old == entry {
            return Ok(());
        }
        return Err(ParseError {
            line: c.line,
            col: seq_col,
            expected: format!("a sequence number not in use in prefix-list {name}"),
            found: Some(seq.to_string()),
        });
    }
    list.insert(entry).map_err(|e| ParseError {
        line: c.line,
        col: prefix_col,
        expected: e.to_string(),
        found: Some(
            c.words[c.words.iter().position(|w| w.0 == prefix_col).unwrap_or(0)..]
                .iter()
                .map(|w| w.1)
                .collect::<Vec<_>>()
                .join(" "),
        ),
    })
}

fn as_path_list(config: &mut Config, c: &mut Cursor<'_>) -> R<()> {
    c.pos = 2;
    c.keyword(&["access-list"], "'access-list'")?;
    let name = c.word("an AS-path list name")?;
    let seq_col = c.col();
    let seq = c.seq()?;
    let action = c.action()?;
    let regex = c.regex()?;
    if config.as_path_list(name).is_none() {
        config.add_as_path_list(AsPathList::new(name));
    }
    let list = config.as_path_list_mut(name).expect("added above");
    let seq = seq.unwrap_or_else(|| list.next_seq());
    let entry = AsPathEntry { seq, action, regex };
    if list.entries().contains(&entry) {
        return Ok(());
    }
    list.insert(entry).map_err(|s| ParseError {
        line: c.line,
        col: seq_col,
        expected: format!("a sequence number not in use in as-path list {name}"),
        found: Some(s.to_string()),
    })
}

/// `bgp X-list (standard|expanded) NAME | (1-99) | (100-500)  [seq N] permit|deny ...`
fn community_list<'c, V: CommunityValue>(
    c: &mut Cursor<'_>,
    command: &str,
    value: impl Fn(&mut Cursor<'_>) -> R<V>,
    list: impl FnOnce((&str, ListStyle)) -> Result<&'c mut CommunityList<V>, String>,
) -> R<()> {
    let name_col = c.col();
    let w = c.word("'standard', 'expanded' or a list number")?;
    let (name, style) = match w {
        "standard" => (c.word("a list name")?, ListStyle::Standard),
        "expanded" => (c.word("a list name")?, ListStyle::Expanded),
        n => match n.parse::<u32>() {
            Ok(1..=99) => (n, ListStyle::Standard),
            Ok(100..=500) => (n, ListStyle::Expanded),
            _ => {
                return Err(c.error_prev(format!(
                    "'standard', 'expanded' or a {command} number (1-99 standard, 100-500 expanded)"
                )));
            }
        },
    };
    let seq_col = c.col();
    let seq = c.seq()?;
    let action = c.action()?;
    let matcher = match style {
        ListStyle::Expanded => CommunityMatcher::Regex(c.regex()?),
        ListStyle::Standard => {
            let mut values = vec![value(c)?];
            while c.peek().is_some() {
                values.push(value(c)?);
            }
            CommunityMatcher::Values(values)
        }
    };
    let line = c.line;
    let list = list((name, style)).map_err(|e| ParseError {
        line,
        col: name_col,
        expected: format!("a list name not in use ({e})"),
        found: Some(name.to_owned()),
    })?;
    let seq = seq.unwrap_or_else(|| list.next_seq());
    let mut entry = CommunityListEntry {
        seq,
        action,
        matcher,
    };
    if let CommunityMatcher::Values(v) = &mut entry.matcher {
        v.sort_unstable();
        v.dedup();
    }
    if list.entries().contains(&entry) {
        return Ok(());
    }
    list.insert(entry).map_err(|e| ParseError {
        line,
        col: seq_col,
        expected: format!("a sequence number not in use ({e})"),
        found: Some(seq.to_string()),
    })
}

fn community(c: &mut Cursor<'_>) -> R<Community> {
    const WHAT: &str = "a community (AA:NN or a well-known name such as no-export)";
    let w = c.word(WHAT)?;
    parse_community(w).ok_or_else(|| c.error_prev(WHAT))
}

/// `AA:NN` or one of FRR's well-known community names.
pub fn parse_community(w: &str) -> Option<Community> {
    if let Some((v, _)) = COMMUNITY_NAMES.iter().find(|(_, n)| *n == w) {
        return Some(Community(*v));
    }
    let (a, b) = w.split_once(':')?;
    Some(Community::new(digits(a)?, digits(b)?))
}

/// A number written with decimal digits only.
pub(crate) fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn large_community(c: &mut Cursor<'_>) -> R<LargeCommunity> {
    const WHAT: &str = "a large community (G:L1:L2)";
    let w = c.word(WHAT)?;
    parse_large_community(w).ok_or_else(|| c.error_prev(WHAT))
}

/// `G:L1:L2`.
pub fn parse_large_community(w: &str) -> Option<LargeCommunity> {
    let mut it = w.split(':');
    let v = LargeCommunity {
        global: digits(it.next()?)?,
        local1: digits(it.next()?)?,
        local2: digits(it.next()?)?,
    };
    it.next().is_none().then_some(v)
}

fn ext_community_value(c: &mut Cursor<'_>) -> R<ExtCommunity> {
    let sub = match c.keyword(&["rt", "soo"], "'rt' or 'soo'")? {
        "rt" => 2,
        _ => 3,
    };
    ext_value(c, sub)
}

fn ext_value(c: &mut Cursor<'_>, subtype: u8) -> R<ExtCommunity> {
    const WHAT: &str = "an extended community value (ASN:NN, A.B.C.D:NN or ASN4:NN)";
    let w = c.word(WHAT)?;
    ext_community(subtype, w).ok_or_else(|| c.error_prev(WHAT))
}

fn route_map_header(config: &mut Config, c: &mut Cursor<'_>) -> R<Mode> {
    c.pos = 1;
    let name = c.word("a route-map name")?;
    let action = c.action()?;
    let seq = c.ranged(1, 65535, "a sequence number")?;
    c.end()?;
    if config.route_map(name).is_none() {
        config.add_route_map(RouteMap::new(name));
    }
    let map = config.route_map_mut(name).expect("added above");
    match map.entry_mut(seq) {
        Some(e) => e.action = action,
        None => map
            .insert(RouteMapEntry::new(seq, action))
            .expect("an entry without on-match is always valid"),
    }
    Ok(Mode::RouteMap(name.to_owned(), seq))
}

fn route_map_line(config: &mut Config, name: &str, seq: u32, c: &mut Cursor<'_>) -> R<()> {
    let entry = config
        .route_map_mut(name)
        .and_then(|m| m.entry_mut(seq))
        .expect("the header created the entry");
    match c.word("a route-map statement")? {
        "description" => {
            entry.description = Some(c.rest("a description")?.1);
        }
        "match" => {
            let m = match_clause(c)?;
            c.end()?;
            entry.add_match(m);
        }
        "set" => {
            let s = set_clause(c)?;
            c.end()?;
            entry.add_set(s);
        }
        "call" => {
            entry.call = Some(c.word("a route-map name")?.to_owned());
            c.end()?;
        }
        w => {
            let exit = if w == "on-match" {
                match c.keyword(&["next", "goto"], "'next' or 'goto'")? {
                    "next" => ExitPolicy::Next,
                    _ => ExitPolicy::Goto(c.ranged(1, 65535, "an entry number")?),
                }
            } else if c.peek().is_none() {
                ExitPolicy::Next
            } else {
                ExitPolicy::Goto(c.ranged(1, 65535, "an entry number")?)
            };
            if let ExitPolicy::Goto(n) = exit {
                if n <= seq {
                    return Err(c.error_prev(format!(
                        "an entry number above {seq} (route-maps cannot jump backwards)"
                    )));
                }
            }
            c.end()?;
            entry.exit = exit;
        }
    }
    Ok(())
}

fn family_kw(c: &mut Cursor<'_>) -> R<AddrFamily> {
    Ok(match c.keyword(&["ip", "ipv6"], "'ip' or 'ipv6'")? {
        "ip" => AddrFamily::Ipv4,
        _ => AddrFamily::Ipv6,
    })
}

fn origin(c: &mut Cursor<'_>) -> R<Origin> {
    Ok(
        match c.keyword(
            &["igp", "egp", "incomplete"],
            "'igp', 'egp' or 'incomplete'",
        )? {
            "igp" => Origin::Igp,
            "egp" => Origin::Egp,
            _ => Origin::Incomplete,
        },
    )
}

fn match_clause(c: &mut Cursor<'_>) -> R<Match> {
    const KINDS: &[&str] = &[
        "ip",
        "ipv6",
        "as-path",
        "community",
        "large-community",
        "extcommunity",
        "local-preference",
        "metric",
        "origin",
        "peer",
        "source-protocol",
        "peer-role",
        "otc",
    ];
    let kind = c.keyword(
        KINDS,
        "a match: ip|ipv6 address|next-hop prefix-list, as-path, community, large-community, \
         extcommunity, local-preference, metric, origin, peer, source-protocol, peer-role or otc",
    )?;
    Ok(match kind {
        "ip" | "ipv6" => {
            c.pos -= 1;
            let af = family_kw(c)?;
            let what = c.keyword(&["address", "next-hop"], "'address' or 'next-hop'")?;
            c.keyword(
                &["prefix-list"],
                "'prefix-list' (access-lists are not supported)",
            )?;
            let n = c.word("a prefix-list name")?.to_owned();
            if what == "address" {
                Match::PrefixList(af, n)
            } else {
                Match::NextHopPrefixList(af, n)
            }
        }
        "as-path" => Match::AsPath(c.word("an AS-path list name")?.to_owned()),
        "community" | "large-community" => {
            let list = c.word("a list name")?.to_owned();
            let exact = c.eat("exact-match");
            if kind == "community" {
                Match::Community { list, exact }
            } else {
                Match::LargeCommunity { list, exact }
            }
        }
        "extcommunity" => Match::ExtCommunity(c.word("a list name")?.to_owned()),
        "local-preference" => Match::LocalPref(c.number("a local preference (0-4294967295)")?),
        "metric" => Match::Metric(c.number("a metric (0-4294967295)")?),
        "origin" => Match::Origin(origin(c)?),
        "peer" => {
            const WHAT: &str = "a peer address or 'local'";
            let w = c.word(WHAT)?;
            if w == "local" {
                Match::PeerLocal
            } else {
                Match::Peer(w.parse().map_err(|_| c.error_prev(WHAT))?)
            }
        }
        "source-protocol" => Match::SourceProtocol(
            match c.keyword(
                &["bgp", "static", "connected"],
                "'bgp', 'static' or 'connected'",
            )? {
                "bgp" => Source::Bgp,
                "static" => Source::Static,
                _ => Source::Connected,
            },
        ),
        "peer-role" => Match::PeerRole(
            match c.keyword(
                &["provider", "rs-server", "rs-client", "customer", "peer"],
                "'provider', 'rs-server', 'rs-client', 'customer' or 'peer'",
            )? {
                "provider" => Role::PROVIDER,
                "rs-server" => Role::RS,
                "rs-client" => Role::RS_CLIENT,
                "customer" => Role::CUSTOMER,
                _ => Role::PEER,
            },
        ),
        _ => Match::Otc,
    })
}

fn set_value(c: &mut Cursor<'_>, what: &str) -> R<SetValue> {
    let expected = format!("{what} (N, +N or -N, 0-4294967295)");
    let w = c.word(&expected)?;
    let (ctor, digits): (fn(u32) -> SetValue, &str) = if let Some(n) = w.strip_prefix('+') {
        (SetValue::Add, n)
    } else if let Some(n) = w.strip_prefix('-') {
        (SetValue::Sub, n)
    } else {
        (SetValue::Absolute, w)
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(c.error_prev(expected));
    }
    digits.parse().map(ctor).map_err(|_| c.error_prev(expected))
}

fn asns(c: &mut Cursor<'_>) -> R<Vec<u32>> {
    const WHAT: &str = "an AS number (1-4294967295)";
    let mut out = Vec::new();
    loop {
        let v: u32 = c.number(WHAT)?;
        if v == 0 {
            return Err(c.error_prev(WHAT));
        }
        out.push(v);
        if c.peek().is_none() {
            return Ok(out);
        }
    }
}

fn set_clause(c: &mut Cursor<'_>) -> R<Set> {
    const KINDS: &[&str] = &[
        "local-preference",
        "metric",
        "weight",
        "origin",
        "as-path",
        "community",
        "comm-list",
        "large-community",
        "large-comm-list",
        "extcommunity",
        "ip",
        "ipv6",
    ];
    let kind = c.keyword(
        KINDS,
        "a set: local-preference, metric, weight, origin, as-path, community, comm-list, \
         large-community, large-comm-list, extcommunity, ip next-hop or ipv6 next-hop",
    )?;
    Ok(match kind {
        "local-preference" => Set::LocalPref(set_value(c, "a local preference")?),
        "metric" => Set::Metric(set_value(c, "a metric")?),
        "weight" => Set::Weight(c.number("a weight (0-4294967295)")?),
        "origin" => Set::Origin(origin(c)?),
        "as-path" => match c.keyword(&["prepend", "exclude"], "'prepend' or 'exclude'")? {
            "prepend" if c.eat("last-as") => {
                Set::AsPathPrependLastAs(c.ranged(1, 10, "a count")? as u8)
            }
            "prepend" => Set::AsPathPrepend(asns(c)?),
            _ => Set::AsPathExclude(asns(c)?),
        },
        "community" => {
            if c.eat("none") {
                Set::CommunityNone
            } else {
                let mut values = vec![community(c)?];
                let mut additive = false;
                while c.peek().is_some() {
                    if c.eat("additive") {
                        additive = true;
                        break;
                    }
                    values.push(community(c)?);
                }
                Set::Community { values, additive }
            }
        }
        "large-community" => {
            if c.eat("none") {
                Set::LargeCommunityNone
            } else {
                let mut values = vec![large_community(c)?];
                let mut additive = false;
                while c.peek().is_some() {
                    if c.eat("additive") {
                        additive = true;
                        break;
                    }
                    values.push(large_community(c)?);
                }
                Set::LargeCommunity { values, additive }
            }
        }
        "comm-list" | "large-comm-list" => {
            let n = c.word("a list name")?.to_owned();
            c.keyword(&["delete"], "'delete'")?;
            if kind == "comm-list" {
                Set::CommListDelete(n)
            } else {
                Set::LargeCommListDelete(n)
            }
        }
        "extcommunity" => match c.keyword(&["rt", "soo", "none"], "'rt', 'soo' or 'none'")? {
            "none" => Set::ExtCommunityNone,
            k => {
                let sub = if k == "rt" { 2 } else { 3 };
                let mut v = vec![ext_value(c, sub)?];
                while c.peek().is_some() {
                    v.push(ext_value(c, sub)?);
                }
                if sub == 2 {
                    Set::ExtCommunityRt(v)
                } else {
                    Set::ExtCommunitySoo(v)
                }
            }
        },
        "ip" => {
            c.keyword(&["next-hop"], "'next-hop'")?;
            const WHAT: &str = "an IPv4 address, 'peer-address' or 'unchanged'";
            match c.word(WHAT)? {
                "peer-address" => Set::NextHopPeerAddress,
                "unchanged" => Set::NextHopUnchanged,
                w => Set::NextHop(w.parse::<Ipv4Addr>().map_err(|_| c.error_prev(WHAT))?),
            }
        }
        _ => {
            c.keyword(&["next-hop"], "'next-hop'")?;
            match c.keyword(
                &["global", "local", "peer-address"],
                "'global', 'local' or 'peer-address'",
            )? {
                "peer-address" => Set::Ipv6NextHopPeerAddress,
                k => {
                    const WHAT: &str = "an IPv6 address";
                    let w = c.word(WHAT)?;
                    let a: Ipv6Addr = w.parse().map_err(|_| c.error_prev(WHAT))?;
                    if k == "global" {
                        Set::Ipv6NextHopGlobal(a)
                    } else {
                        Set::Ipv6NextHopLocal(a)
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Config::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_line_column_and_expectation() {
        let mut text = "!\n".repeat(11);
        text.push_str("ip prefix-list LAN seq 5 permit 10.0.0.0/8 ge32\n");
        assert_eq!(
            err(&text),
            "line 12, col 44: expected 'ge' or 'le' after prefix, found 'ge32'"
        );
        assert_eq!(
            err("ip prefix-list LAN seq 5 allow 10.0.0.0/8"),
            "line 1, col 26: expected 'permit' or 'deny', found 'allow'"
        );
        assert_eq!(
            err("ip prefix-list LAN seq 5 permit"),
            "line 1, col 32: expected an IPv4 prefix (A.B.C.D/M) or 'any', found end of line"
        );
        assert_eq!(
            err("ip prefix-list LAN permit 10.0.0.0/8 le 8"),
            "line 1, col 27: expected invalid prefix range for 10.0.0.0/8: need len < ge <= le <= 32, found '10.0.0.0/8 le 8'"
        );
        assert_eq!(
            err("ipv6 prefix-list V6 permit 10.0.0.0/8"),
            "line 1, col 28: expected an IPv6 prefix (X:X::X:X/M) or 'any', found '10.0.0.0/8'"
        );
        assert!(
            err("ip prefix-list A seq 5 permit 10.0.0.0/8\nip prefix-list A seq 5 deny 10.0.0.0/8")
                .starts_with("line 2, col 18: expected a sequence number not in use")
        );
        assert!(
            err("bgp as-path access-list A permit (65001")
                .starts_with("line 1, col 34: expected a regular expression")
        );
        assert_eq!(
            err("route-map M permit 10\n match ip address 10\n"),
            "line 2, col 19: expected 'prefix-list' (access-lists are not supported), found '10'"
        );
        assert_eq!(
            err("route-map M permit 10\n frobnicate\n"),
            "line 2, col 2: expected 'match', 'set', 'on-match', 'continue', 'call', 'description' or 'exit', found 'frobnicate'"
        );
        assert_eq!(
            err("route-map M permit 20\n on-match goto 10\n"),
            "line 2, col 16: expected an entry number above 20 (route-maps cannot jump backwards), found '10'"
        );
        assert_eq!(
            err("route-map M permit 10\n set metric ++5\n"),
            "line 2, col 13: expected a metric (N, +N or -N, 0-4294967295), found '++5'"
        );
        assert_eq!(
            err("route-map M permit 10\n set community 65000:1 additive extra\n"),
            "line 2, col 33: expected end of line, found 'extra'"
        );
        assert_eq!(
            err("bgp community-list 700 permit 1:1"),
            "line 1, col 20: expected 'standard', 'expanded' or a community-list number (1-99 standard, 100-500 expanded), found '700'"
        );
        assert_eq!(
            err(
                "bgp community-list standard C permit 1:1\nbgp community-list expanded C permit ^1"
            ),
            "line 2, col 20: expected a list name not in use (list C is standard), found 'C'"
        );
        assert_eq!(
            err("route-map M permit 70000"),
            "line 1, col 20: expected a sequence number (1-65535), found '70000'"
        );
        assert_eq!(
            err("hostname r1"),
            "line 1, col 1: expected a prefix-list, as-path, community-list or route-map statement, found 'hostname'"
        );
    }

    #[test]
    fn other_lines_are_returned_untouched() {
        let text = "\
frr version 8.4.4
hostname border1
!
ip prefix-list defaultroute seq 5 permit 0.0.0.0/0
!
router bgp 65000
 neighbor 192.0.2.1 remote-as 65001
 !
 address-family ipv4 unicast
  neighbor 192.0.2.1 route-map IN in
 exit-address-family
exit
!
route-map IN permit 10
 match ip address prefix-list defaultroute
exit
!
line vty
!
";
        let (config, other) = Config::parse_full(text).unwrap();
        let lines: Vec<(usize, &str)> = other.iter().map(|o| (o.line, o.text.as_str())).collect();
        assert_eq!(
            lines,
            vec![
                (1, "frr version 8.4.4"),
                (2, "hostname border1"),
                (6, "router bgp 65000"),
                (7, " neighbor 192.0.2.1 remote-as 65001"),
                (8, " !"),
                (9, " address-family ipv4 unicast"),
                (10, "  neighbor 192.0.2.1 route-map IN in"),
                (11, " exit-address-family"),
                (12, "exit"),
                (18, "line vty"),
            ]
        );
        assert_eq!(config.prefix_lists().len(), 1);
        assert_eq!(config.route_maps()[0].entries()[0].matches.len(), 1);
    }

    #[test]
    fn implied_sequence_numbers_and_forms() {
        let c = Config::parse(
            "ip prefix-list A permit 10.0.0.0/8\n\
             ip prefix-list A seq 12 deny any\n\
             ip prefix-list A permit 11.0.0.0/8 le 16 ge 12\n\
             bgp community-list 10 permit 65000:2 no-export 65000:1\n\
             bgp community-list 100 permit ^65000:\n\
             bgp large-community-list standard L permit 1:2:3\n\
             bgp extcommunity-list standard E permit rt 65000:1 soo 10.0.0.1:7\n\
             route-map M permit 10\n\
             continue\n\
             route-map M deny 20\n\
             continue 40\n\
             route-map M permit 20\n\
             set community 65000:1 additive\n\
             set community none\n\
             match community 10 exact-match\n",
        )
        .unwrap();
        let seqs: Vec<u32> = c
            .prefix_list(AddrFamily::Ipv4, "A")
            .unwrap()
            .entries()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(seqs, [5, 12, 15]);
        let m = c.route_map("M").unwrap();
        assert_eq!(m.entries()[0].exit, ExitPolicy::Next);
        // Re-entering entry 20 changes its action and adds to it; a second
        // `set community` replaces the first.
        assert_eq!(m.entries()[1].action, Action::Permit);
        assert_eq!(m.entries()[1].exit, ExitPolicy::Goto(40));
        assert_eq!(m.entries()[1].sets, vec![Set::CommunityNone]);
        let text = c.to_string();
        assert!(text.contains("bgp community-list 10 seq 5 permit 65000:1 65000:2 no-export\n"));
        assert!(text.contains("bgp community-list 100 seq 5 permit ^65000:\n"));
        assert!(text.contains("ip prefix-list A seq 15 permit 11.0.0.0/8 ge 12 le 16\n"));
        assert!(
            text.contains(
                "bgp extcommunity-list standard E seq 5 permit rt 65000:1 soo 10.0.0.1:7\n"
            )
        );
        assert!(text.contains(" on-match goto 40\n"));
        assert_eq!(Config::parse(&text).unwrap(), c);
    }
}

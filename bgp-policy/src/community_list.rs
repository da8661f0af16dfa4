//! Community lists ([FRR: Community Lists]), large-community lists and
//! extended-community lists, standard and expanded.
//!
//! A standard entry lists values: it matches a route carrying all of them
//! (with `exact-match`, exactly them). An expanded entry is an FRR regular
//! expression matched against the route's values as FRR prints them: sorted,
//! without duplicates, separated by spaces, well-known communities by name
//! (`65000:1 no-export`), large communities as `G:L1:L2`, extended ones as
//! `RT:65000:1 SoO:192.0.2.1:7`. The first entry that matches decides; no
//! match denies.
//!
//! [FRR: Community Lists]: https://docs.frrouting.org/en/latest/bgp.html#community-lists

use std::fmt::{self, Write};
use std::hash::Hash;
use std::net::Ipv4Addr;

use bgp_wire::attr::{Community, ExtCommunity, ExtCommunityKind, ExtGlobal, LargeCommunity};

use crate::Action;
use crate::as_path_list::FrrRegex;
use crate::parse::digits;

//----------- CommunityValue --------------------------------------------------

/// A value a community list holds: [`Community`], [`LargeCommunity`] or
/// [`ExtCommunity`].
pub trait CommunityValue: Copy + Eq + Ord + Hash + fmt::Debug + Send + Sync + 'static {
    /// Appends the text FRR matches expanded lists against (one value).
    fn write_frr(&self, out: &mut String);
    /// Appends the text FRR's configuration uses for the value.
    fn write_config(&self, out: &mut String) {
        self.write_frr(out);
    }
    /// Whether the value is `internet` (0:0), which makes a standard
    /// community-list entry match every route.
    fn is_internet(&self) -> bool {
        false
    }
}

/// FRR's names of well-known communities (`community_str`), used in
/// expanded-list matching and accepted by the parser.
pub const COMMUNITY_NAMES: &[(u32, &str)] = &[
    (0x0000_0000, "internet"),
    (0xffff_0000, "graceful-shutdown"),
    (0xffff_0001, "accept-own"),
    (0xffff_0002, "route-filter-translated-v4"),
    (0xffff_0003, "route-filter-v4"),
    (0xffff_0004, "route-filter-translated-v6"),
    (0xffff_0005, "route-filter-v6"),
    (0xffff_0006, "llgr-stale"),
    (0xffff_0007, "no-llgr"),
    (0xffff_0008, "accept-own-nexthop"),
    (0xffff_029a, "blackhole"),
    (0xffff_ff01, "no-export"),
    (0xffff_ff02, "no-advertise"),
    (0xffff_ff03, "local-AS"),
    (0xffff_ff04, "no-peer"),
];

impl CommunityValue for Community {
    fn write_frr(&self, out: &mut String) {
        match COMMUNITY_NAMES.iter().find(|(v, _)| *v == self.0) {
            Some((_, name)) => out.push_str(name),
            None => {
                let _ = write!(out, "{}:{}", self.asn(), self.value());
            }
        }
    }
    fn is_internet(&self) -> bool {
        self.0 == 0
    }
}

impl CommunityValue for LargeCommunity {
    fn write_frr(&self, out: &mut String) {
        let _ = write!(out, "{}:{}:{}", self.global, self.local1, self.local2);
    }
}

impl CommunityValue for ExtCommunity {
    fn write_frr(&self, out: &mut String) {
        match self.kind() {
            ExtCommunityKind::RouteTarget(g) => {
                out.push_str("RT:");
                write_global(out, g);
            }
            ExtCommunityKind::RouteOrigin(g) => {
                out.push_str("SoO:");
                write_global(out, g);
            }
            _ => {
                let _ = write!(out, "{self}");
            }
        }
    }
    fn write_config(&self, out: &mut String) {
        match self.kind() {
            ExtCommunityKind::RouteTarget(g) => {
                out.push_str("rt ");
                write_global(out, g);
            }
            ExtCommunityKind::RouteOrigin(g) => {
                out.push_str("soo ");
                write_global(out, g);
            }
            _ => {
                let _ = write!(out, "{self}");
            }
        }
    }
}

fn write_global(out: &mut String, g: ExtGlobal) {
    let _ = match g {
        ExtGlobal::As2(a, l) => write!(out, "{a}:{l}"),
        ExtGlobal::Ipv4(a, l) => write!(out, "{a}:{l}"),
        ExtGlobal::As4(a, l) => write!(out, "{a}:{l}"),
    };
}

/// A route target (`rt`, subtype 2) or site of origin (`soo`, subtype 3)
/// extended community from `ASN:NN`, `A.B.C.D:NN` or `ASN4:NN` (an AS above
/// 65535 takes the 4-octet-AS type and a 2-octet local part, as in FRR).
pub fn ext_community(subtype: u8, text: &str) -> Option<ExtCommunity> {
    let (g, l) = text.rsplit_once(':')?;
    let mut b = [0u8; 8];
    b[1] = subtype;
    if let Ok(ip) = g.parse::<Ipv4Addr>() {
        let l: u16 = digits(l)?;
        b[0] = 0x01;
        b[2..6].copy_from_slice(&ip.octets());
        b[6..8].copy_from_slice(&l.to_be_bytes());
    } else {
        let a: u32 = digits(g)?;
        if let Ok(a16) = u16::try_from(a) {
            let l: u32 = digits(l)?;
            b[0] = 0x00;
            b[2..4].copy_from_slice(&a16.to_be_bytes());
            b[4..8].copy_from_slice(&l.to_be_bytes());
        } else {
            let l: u16 = digits(l)?;
            b[0] = 0x02;
            b[2..6].copy_from_slice(&a.to_be_bytes());
            b[6..8].copy_from_slice(&l.to_be_bytes());
        }
    }
    Some(ExtCommunity(b))
}

/// The values as FRR prints them for expanded-list matching: sorted, without
/// duplicates, space-separated.
pub fn frr_text<V: CommunityValue>(values: &[V]) -> String {
    let mut sorted: Vec<V> = values.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    for (i, v) in sorted.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        v.write_frr(&mut out);
    }
    out
}

//----------- CommunityList ---------------------------------------------------

/// Standard lists hold values, expanded lists regular expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListStyle {
    /// `standard` (numbered 1-99).
    Standard,
    /// `expanded` (numbered 100-500).
    Expanded,
}

impl ListStyle {
    /// The keyword.
    pub const fn keyword(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Expanded => "expanded",
        }
    }
}

/// What an entry matches.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CommunityMatcher<V> {
    /// Standard: these values (sorted, without duplicates).
    Values(Vec<V>),
    /// Expanded: this expression over the route's values as text.
    Regex(FrrRegex),
}

/// One `seq N permit|deny ...` entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CommunityListEntry<V> {
    /// The sequence number.
    pub seq: u32,
    /// Permit or deny.
    pub action: Action,
    /// What it matches.
    pub matcher: CommunityMatcher<V>,
}

/// A named community, large-community or extended-community list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommunityList<V> {
    name: String,
    style: ListStyle,
    entries: Vec<CommunityListEntry<V>>,
}

/// A standard or expanded community list (`bgp community-list`).
pub type StdCommunityList = CommunityList<Community>;
/// A large-community list (`bgp large-community-list`).
pub type LargeCommunityList = CommunityList<LargeCommunity>;
/// An extended-community list (`bgp extcommunity-list`).
pub type ExtCommunityList = CommunityList<ExtCommunity>;

impl<V: CommunityValue> CommunityList<V> {
    /// An empty list.
    pub fn new(name: impl Into<String>, style: ListStyle) -> Self {
        Self {
            name: name.into(),
            style,
            entries: Vec::new(),
        }
    }

    /// Adds an entry in sequence order. `Err` says why it does not fit: a
    /// sequence number in use, or an entry of the other style.
    pub fn insert(&mut self, mut entry: CommunityListEntry<V>) -> Result<(), String> {
        match (&mut entry.matcher, self.style) {
            (CommunityMatcher::Values(v), ListStyle::Standard) => {
                v.sort_unstable();
                v.dedup();
            }
            (CommunityMatcher::Regex(_), ListStyle::Expanded) => {}
            _ => return Err(format!("list {} is {}", self.name, self.style.keyword())),
        }
        match self.entries.binary_search_by_key(&entry.seq, |e| e.seq) {
            Ok(_) => Err(format!("sequence number {} is already in use", entry.seq)),
            Err(at) => {
                self.entries.insert(at, entry);
                Ok(())
            }
        }
    }

    /// The sequence number FRR gives an entry written without one.
    pub fn next_seq(&self) -> u32 {
        self.entries
            .last()
            .map_or(5, |e| (e.seq / 5 * 5).saturating_add(5))
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Standard or expanded.
    pub const fn style(&self) -> ListStyle {
        self.style
    }

    /// The entries in sequence order.
    pub fn entries(&self) -> &[CommunityListEntry<V>] {
        &self.entries
    }

    /// Whether the list permits a route with `values` (FRR's
    /// `community_list_match`, or `community_list_exact_match` with
    /// `exact`: a standard entry then matches only the very same set).
    ///
    /// `text` caches the FRR text of `values` for expanded entries: pass
    /// `&mut None` (or the text computed by an earlier call on the same values).
    pub fn permits(&self, values: &[V], exact: bool, text: &mut Option<String>) -> bool {
        for e in &self.entries {
            let hit = match &e.matcher {
                CommunityMatcher::Values(want) => {
                    if want.iter().any(V::is_internet) {
                        true
                    } else if exact {
                        let mut have = values.to_vec();
                        have.sort_unstable();
                        have.dedup();
                        have == *want
                    } else {
                        !values.is_empty() && want.iter().all(|w| values.contains(w))
                    }
                }
                CommunityMatcher::Regex(re) => {
                    re.is_match(text.get_or_insert_with(|| frr_text(values)))
                }
            };
            if hit {
                return e.action == Action::Permit;
            }
        }
        false
    }

    /// FRR's `community_list_match_delete`: the values that remain after
    /// deleting every value the list permits (each value on its own: the
    /// first entry that holds it, or whose expression matches its text,
    /// decides). `None` when nothing is deleted.
    pub fn delete_from(&self, values: &[V]) -> Option<Vec<V>> {
        let mut text = String::new();
        let keep: Vec<V> = values
            .iter()
            .copied()
            .filter(|v| {
                for e in &self.entries {
                    let hit = match &e.matcher {
                        CommunityMatcher::Values(want) => {
                            want.iter().any(V::is_internet) || want.contains(v)
                        }
                        CommunityMatcher::Regex(re) => {
                            text.clear();
                            v.write_frr(&mut text);
                            re.is_match(&text)
                        }
                    };
                    if hit {
                        return e.action != Action::Permit;
                    }
                }
                true
            })
            .collect();
        (keep.len() != values.len()).then_some(keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std_list(entries: &[(Action, &[Community])]) -> StdCommunityList {
        let mut l = CommunityList::new("c", ListStyle::Standard);
        for (i, (a, v)) in entries.iter().enumerate() {
            l.insert(CommunityListEntry {
                seq: (i as u32 + 1) * 5,
                action: *a,
                matcher: CommunityMatcher::Values(v.to_vec()),
            })
            .unwrap();
        }
        l
    }

    const A: Community = Community::new(65000, 1);
    const B: Community = Community::new(65000, 2);
    const C: Community = Community::new(65000, 3);

    #[test]
    fn standard_all_and_exact() {
        let l = std_list(&[(Action::Permit, &[A, B])]);
        assert!(l.permits(&[B, C, A], false, &mut None));
        assert!(!l.permits(&[A, C], false, &mut None));
        assert!(!l.permits(&[B, C, A], true, &mut None));
        assert!(l.permits(&[B, A, B], true, &mut None));
        assert!(!l.permits(&[], false, &mut None));
        let any = std_list(&[(Action::Permit, &[Community(0)])]);
        assert!(any.permits(&[], false, &mut None));
    }

    #[test]
    fn expanded_text() {
        assert_eq!(
            frr_text(&[Community::NO_EXPORT, B, A, B]),
            "65000:1 65000:2 no-export"
        );
        let mut l = CommunityList::new("e", ListStyle::Expanded);
        l.insert(CommunityListEntry {
            seq: 5,
            action: Action::Permit,
            matcher: CommunityMatcher::Regex(FrrRegex::new("^65000:1 ").unwrap()),
        })
        .unwrap();
        assert!(l.permits(&[B, A], false, &mut None));
        assert!(!l.permits(&[A], false, &mut None));
        assert!(
            l.insert(CommunityListEntry {
                seq: 10,
                action: Action::Permit,
                matcher: CommunityMatcher::Values(vec![A]),
            })
            .is_err()
        );
    }

    #[test]
    fn delete_each_value_first_entry_decides() {
        let l = std_list(&[(Action::Deny, &[A]), (Action::Permit, &[A, B])]);
        assert_eq!(l.delete_from(&[A, B, C]), Some(vec![A, C]));
        assert_eq!(l.delete_from(&[A, C]), None);
        let mut e = CommunityList::new("e", ListStyle::Expanded);
        e.insert(CommunityListEntry {
            seq: 5,
            action: Action::Permit,
            matcher: CommunityMatcher::Regex(FrrRegex::new("^65000:").unwrap()),
        })
        .unwrap();
        assert_eq!(
            e.delete_from(&[A, Community::new(1, 1), C]),
            Some(vec![Community::new(1, 1)])
        );
    }

    #[test]
    fn ext_values() {
        let rt = ext_community(2, "65000:1").unwrap();
        let soo = ext_community(3, "192.0.2.1:7").unwrap();
        let rt4 = ext_community(2, "4200000000:7").unwrap();
        assert_eq!(frr_text(&[soo, rt]), "RT:65000:1 SoO:192.0.2.1:7");
        let mut s = String::new();
        rt4.write_config(&mut s);
        assert_eq!(s, "rt 4200000000:7");
        assert!(ext_community(2, "4200000000:70000").is_none());
    }
}

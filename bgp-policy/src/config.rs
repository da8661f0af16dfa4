//! [`Config`]: every named list and route-map of a policy, as parsed from FRR
//! text or built in code, and printed back the way FRR's
//! `show running-config` prints it.

use std::fmt;

use crate::as_path_list::AsPathList;
use crate::community_list::{
    CommunityList, CommunityMatcher, CommunityValue, ExtCommunityList, LargeCommunityList,
    ListStyle, StdCommunityList,
};
use crate::parse::{self, ParseError};
use crate::prefix_list::{AddrFamily, PrefixList};
use crate::route_map::{ExitPolicy, RouteMap};

/// A set of named prefix-lists, AS-path lists, community lists and
/// route-maps. Names are per kind (and, for prefix-lists, per address
/// family), as in FRR. Lists keep the order they were added in, which is the
/// order they print in.
///
/// A `Config` is the written form: it prints and compares. To evaluate
/// routes, compile it into [`Policies`](crate::Policies).
#[derive(Clone, Debug, Default)]
pub struct Config {
    prefix_lists: Vec<PrefixList>,
    as_path_lists: Vec<AsPathList>,
    community_lists: Vec<StdCommunityList>,
    large_community_lists: Vec<LargeCommunityList>,
    ext_community_lists: Vec<ExtCommunityList>,
    route_maps: Vec<RouteMap>,
}

/// Two configurations are equal when they hold the same lists and route-maps,
/// whatever the order they were added in (FRR prints some kinds sorted by
/// name and others in creation order).
impl PartialEq for Config {
    fn eq(&self, other: &Self) -> bool {
        fn same<T: PartialEq, K: Ord>(a: &[T], b: &[T], key: impl Fn(&T) -> K) -> bool {
            let mut a: Vec<&T> = a.iter().collect();
            let mut b: Vec<&T> = b.iter().collect();
            a.sort_by_key(|x| key(x));
            b.sort_by_key(|x| key(x));
            a == b
        }
        same(&self.prefix_lists, &other.prefix_lists, |l| {
            (l.family(), l.name().to_owned())
        }) && same(&self.as_path_lists, &other.as_path_lists, |l| {
            l.name().to_owned()
        }) && same(&self.community_lists, &other.community_lists, |l| {
            l.name().to_owned()
        }) && same(
            &self.large_community_lists,
            &other.large_community_lists,
            |l| l.name().to_owned(),
        ) && same(&self.ext_community_lists, &other.ext_community_lists, |l| {
            l.name().to_owned()
        }) && same(&self.route_maps, &other.route_maps, |m| m.name().to_owned())
    }
}

impl Eq for Config {}

/// A line of a configuration that is not a policy statement, returned
/// untouched by [`Config::parse_full`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherLine {
    /// The line number, from 1.
    pub line: usize,
    /// The line as written (without its line break).
    pub text: String,
}

macro_rules! named {
    ($field:ident, $get:ident, $get_mut:ident, $add:ident, $ty:ty, $what:literal) => {
        #[doc = concat!("The ", $what, " called `name`.")]
        pub fn $get(&self, name: &str) -> Option<&$ty> {
            self.$field.iter().find(|l| l.name() == name)
        }

        #[doc = concat!("The ", $what, " called `name`, for changing.")]
        pub fn $get_mut(&mut self, name: &str) -> Option<&mut $ty> {
            self.$field.iter_mut().find(|l| l.name() == name)
        }

        #[doc = concat!("Adds a ", $what, ", replacing one of the same name.")]
        pub fn $add(&mut self, list: $ty) {
            match self.$field.iter_mut().find(|l| l.name() == list.name()) {
                Some(l) => *l = list,
                None => self.$field.push(list),
            }
        }
    };
}

impl Config {
    /// An empty configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses policy statements in FRR's syntax. Any other line is an error;
    /// see [`parse_full`](Self::parse_full) for whole FRR configurations.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let (config, other) = parse::parse(text)?;
        match other.first() {
            None => Ok(config),
            Some(o) => Err(ParseError::not_policy(o)),
        }
    }

    /// Parses a whole FRR configuration: the policy statements go into the
    /// `Config`, every other line (`hostname`, `router bgp` and its block,
    /// ...) is returned untouched, in order, for the caller to read.
    /// Comment lines (`!`) and blank lines between statements are skipped.
    pub fn parse_full(text: &str) -> Result<(Self, Vec<OtherLine>), ParseError> {
        parse::parse(text)
    }

    /// The prefix-lists.
    pub fn prefix_lists(&self) -> &[PrefixList] {
        &self.prefix_lists
    }

    /// The prefix-list of `family` called `name`.
    pub fn prefix_list(&self, family: AddrFamily, name: &str) -> Option<&PrefixList> {
        self.prefix_lists
            .iter()
            .find(|l| l.family() == family && l.name() == name)
    }

    /// The prefix-list of `family` called `name`, for changing.
    pub fn prefix_list_mut(&mut self, family: AddrFamily, name: &str) -> Option<&mut PrefixList> {
        self.prefix_lists
            .iter_mut()
            .find(|l| l.family() == family && l.name() == name)
    }

    /// Adds a prefix-list, replacing one of the same family and name.
    pub fn add_prefix_list(&mut self, list: PrefixList) {
        match self.prefix_list_mut(list.family(), list.name()) {
            Some(l) => *l = list,
            None => self.prefix_lists.push(list),
        }
    }

    /// The AS-path access lists.
    pub fn as_path_lists(&self) -> &[AsPathList] {
        &self.as_path_lists
    }

    named!(
        as_path_lists,
        as_path_list,
        as_path_list_mut,
        add_as_path_list,
        AsPathList,
        "AS-path access list"
    );

    /// The community lists.
    pub fn community_lists(&self) -> &[StdCommunityList] {
        &self.community_lists
    }

    named!(
        community_lists,
        community_list,
        community_list_mut,
        add_community_list,
        StdCommunityList,
        "community list"
    );

    /// The large-community lists.
    pub fn large_community_lists(&self) -> &[LargeCommunityList] {
        &self.large_community_lists
    }

    named!(
        large_community_lists,
        large_community_list,
        large_community_list_mut,
        add_large_community_list,
        LargeCommunityList,
        "large-community list"
    );

    /// The extended-community lists.
    pub fn ext_community_lists(&self) -> &[ExtCommunityList] {
        &self.ext_community_lists
    }

    named!(
        ext_community_lists,
        ext_community_list,
        ext_community_list_mut,
        add_ext_community_list,
        ExtCommunityList,
        "extended-community list"
    );

    /// The route-maps.
    pub fn route_maps(&self) -> &[RouteMap] {
        &self.route_maps
    }

    named!(
        route_maps,
        route_map,
        route_map_mut,
        add_route_map,
        RouteMap,
        "route-map"
    );

    pub(crate) fn community_lists_mut_internal(&mut self) -> &mut Vec<StdCommunityList> {
        &mut self.community_lists
    }

    pub(crate) fn large_community_lists_mut_internal(&mut self) -> &mut Vec<LargeCommunityList> {
        &mut self.large_community_lists
    }

    pub(crate) fn ext_community_lists_mut_internal(&mut self) -> &mut Vec<ExtCommunityList> {
        &mut self.ext_community_lists
    }
}

//----------- Printing ----------------------------------------------------------

fn write_community_lists<V: CommunityValue>(
    f: &mut fmt::Formatter<'_>,
    command: &str,
    lists: &[CommunityList<V>],
) -> fmt::Result {
    for l in lists {
        // FRR prints lists named by a number of their style's range in the
        // numbered form.
        let numbered = l.name().parse::<u32>().is_ok_and(|n| match l.style() {
            ListStyle::Standard => (1..=99).contains(&n),
            ListStyle::Expanded => (100..=500).contains(&n),
        }) && !l.name().starts_with('0');
        for e in l.entries() {
            if numbered {
                write!(f, "{command} {}", l.name())?;
            } else {
                write!(f, "{command} {} {}", l.style().keyword(), l.name())?;
            }
            write!(f, " seq {} {}", e.seq, e.action)?;
            match &e.matcher {
                CommunityMatcher::Values(v) => {
                    let mut s = String::new();
                    for c in v {
                        s.push(' ');
                        c.write_config(&mut s);
                    }
                    f.write_str(&s)?;
                }
                CommunityMatcher::Regex(r) => write!(f, " {r}")?,
            }
            writeln!(f)?;
        }
    }
    if !lists.is_empty() {
        writeln!(f, "!")?;
    }
    Ok(())
}

impl fmt::Display for Config {
    /// The statements as FRR's `show running-config` prints them. Parsing
    /// the text gives back an equal `Config`, except for what FRR's syntax
    /// cannot say: lists without entries (a prefix-list with a description
    /// is kept), route-maps without entries, and runs of spaces inside
    /// descriptions and regular expressions (FRR joins words with one space).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for family in [AddrFamily::Ipv4, AddrFamily::Ipv6] {
            let mut any = false;
            for l in self.prefix_lists.iter().filter(|l| l.family() == family) {
                if let Some(d) = l.description() {
                    writeln!(
                        f,
                        "{} prefix-list {} description {d}",
                        family.keyword(),
                        l.name()
                    )?;
                    any = true;
                }
                for e in l.entries() {
                    writeln!(
                        f,
                        "{} prefix-list {} seq {} {} {}",
                        family.keyword(),
                        l.name(),
                        e.seq,
                        e.action,
                        e.matcher
                    )?;
                    any = true;
                }
            }
            if any {
                writeln!(f, "!")?;
            }
        }
        for l in &self.as_path_lists {
            for e in l.entries() {
                writeln!(
                    f,
                    "bgp as-path access-list {} seq {} {} {}",
                    l.name(),
                    e.seq,
                    e.action,
                    e.regex
                )?;
            }
        }
        if !self.as_path_lists.is_empty() {
            writeln!(f, "!")?;
        }
        write_community_lists(f, "bgp community-list", &self.community_lists)?;
        write_community_lists(f, "bgp large-community-list", &self.large_community_lists)?;
        write_community_lists(f, "bgp extcommunity-list", &self.ext_community_lists)?;
        for m in &self.route_maps {
            for e in m.entries() {
                writeln!(f, "route-map {} {} {}", m.name(), e.action, e.seq)?;
                if let Some(d) = &e.description {
                    writeln!(f, " description {d}")?;
                }
                for x in &e.matches {
                    writeln!(f, " {x}")?;
                }
                for x in &e.sets {
                    writeln!(f, " {x}")?;
                }
                if let Some(c) = &e.call {
                    writeln!(f, " call {c}")?;
                }
                match e.exit {
                    ExitPolicy::Exit => {}
                    ExitPolicy::Next => writeln!(f, " on-match next")?,
                    ExitPolicy::Goto(n) => writeln!(f, " on-match goto {n}")?,
                }
                writeln!(f, "exit")?;
                writeln!(f, "!")?;
            }
        }
        Ok(())
    }
}

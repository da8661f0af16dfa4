//! AS-path access lists ([FRR: AS Path Access Lists]) and FRR's regular
//! expression dialect.
//!
//! FRR matches a POSIX extended regular expression against the textual AS
//! path (`65001 65002 {1,2} (65100 65101) [65102,65103]`) after replacing
//! every `_` by `(^|[,{}() ]|$)`. Here the same pattern is compiled with the
//! [`regex`] crate, whose automata match in time linear in the input: a
//! hostile AS path of thousands of ASNs costs no more than its length.
//!
//! [FRR: AS Path Access Lists]: https://docs.frrouting.org/en/latest/bgp.html#as-path-access-lists

use std::fmt;
use std::hash::{Hash, Hasher};

use regex::bytes::{Regex, RegexBuilder};

use crate::Action;

//----------- FrrRegex --------------------------------------------------------

/// A regular expression in FRR's dialect, kept with its source text.
///
/// Equality and hashing use the source text.
#[derive(Clone)]
pub struct FrrRegex {
    source: String,
    regex: Regex,
}

impl FrrRegex {
    /// Compiles `source`: `_` is a boundary (start, end, space, comma, brace
    /// or parenthesis); the rest is POSIX ERE syntax as the `regex` crate
    /// reads it (`^ $ . * + ? | () [] {m,n}` and `[[:digit:]]` classes).
    pub fn new(source: &str) -> Result<Self, regex::Error> {
        let regex = RegexBuilder::new(&translate(source))
            .unicode(false)
            .build()?;
        Ok(Self {
            source: source.to_owned(),
            regex,
        })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the expression matches anywhere in `text` (POSIX `regexec`
    /// without anchors: a search, not a full match).
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text.as_bytes())
    }
}

/// FRR's `bgp_regcomp`: every `_` becomes `(^|[,{}() ]|$)`.
fn translate(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 16);
    for c in source.chars() {
        if c == '_' {
            out.push_str(r"(?:^|[,{}() ]|$)");
        } else {
            out.push(c);
        }
    }
    out
}

impl PartialEq for FrrRegex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for FrrRegex {}

impl Hash for FrrRegex {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.source.hash(state);
    }
}

impl fmt::Debug for FrrRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FrrRegex({:?})", self.source)
    }
}

impl fmt::Display for FrrRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

//----------- AsPathList ------------------------------------------------------

/// One `seq N permit|deny REGEX` entry of an AS-path access list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AsPathEntry {
    /// The sequence number.
    pub seq: u32,
    /// Permit or deny.
    pub action: Action,
    /// The expression.
    pub regex: FrrRegex,
}

/// A named AS-path access list (`bgp as-path access-list NAME ...`): the
/// first entry whose expression matches the textual AS path decides; no
/// match denies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsPathList {
    name: String,
    entries: Vec<AsPathEntry>,
}

impl AsPathList {
    /// An empty list.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            entries: Vec::new(),
        }
    }

    /// Adds an entry in sequence order; `Err` names a sequence number
    /// already in use.
    pub fn insert(&mut self, entry: AsPathEntry) -> Result<(), u32> {
        match self.entries.binary_search_by_key(&entry.seq, |e| e.seq) {
            Ok(_) => Err(entry.seq),
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

    /// The entries in sequence order.
    pub fn entries(&self) -> &[AsPathEntry] {
        &self.entries
    }

    /// The deciding entry for the textual AS path `path`, if any.
    pub fn lookup(&self, path: &str) -> Option<&AsPathEntry> {
        self.entries.iter().find(|e| e.regex.is_match(path))
    }

    /// Whether the list permits the textual AS path `path` (FRR's
    /// `as_list_apply`).
    pub fn permits(&self, path: &str) -> bool {
        self.lookup(path)
            .is_some_and(|e| e.action == Action::Permit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(re: &str, text: &str) -> bool {
        FrrRegex::new(re).unwrap().is_match(text)
    }

    #[test]
    fn underscore_is_a_boundary() {
        assert!(m("_65001_", "65001"));
        assert!(m("_65001_", "1 65001 2"));
        assert!(!m("_65001_", "165001 2"));
        assert!(m("_65001_", "{1,65001}"));
        assert!(m("_65001_", "(65001 2)"));
        assert!(m("^65001_", "65001 65002"));
        assert!(!m("^65001_", "65002 65001"));
        assert!(m("_65002$", "65001 65002"));
        assert!(m("^$", ""));
        assert!(!m("^$", "1"));
        assert!(m(".*", ""));
        assert!(m("^6500[0-9]_", "65003 1"));
        assert!(m("^[0-9]+$", "65003"));
        assert!(!m("^[0-9]+$", "65003 1"));
        assert!(m("_(65001|65002)_", "3 65002 4"));
    }

    #[test]
    fn hostile_path_is_linear() {
        // (a|a)*-style blow-up patterns stay fast on a path of 5,000 ASNs.
        let path = vec!["65001"; 5000].join(" ");
        assert!(!m("^(65001_|65001 )*x", &path));
        assert!(m("(.*)*65001$", &path));
    }

    #[test]
    fn first_match_decides() {
        let mut l = AsPathList::new("a");
        l.insert(AsPathEntry {
            seq: 10,
            action: Action::Permit,
            regex: FrrRegex::new("_65001_").unwrap(),
        })
        .unwrap();
        l.insert(AsPathEntry {
            seq: 5,
            action: Action::Deny,
            regex: FrrRegex::new("^65001_").unwrap(),
        })
        .unwrap();
        assert!(!l.permits("65001 2"));
        assert!(l.permits("3 65001 2"));
        assert!(!l.permits("3 2"));
        assert!(l.insert(l.entries()[0].clone()).is_err());
        assert_eq!(l.next_seq(), 15);
    }
}

//! The decision process ([RFC 4271 §9.1.2]): which of the paths to a
//! prefix is best, and by which step it won.
//!
//! This is an explicit procedure, not an `Ord` on paths: the MED step
//! compares only paths from the same neighbouring AS, so "better than" is not
//! transitive and the result of a plain scan depends on the order the paths
//! are looked at. [`DecisionConfig::deterministic_med`] removes that
//! dependence the way FRR and Cisco do: paths are grouped by neighbouring AS,
//! the best of each group is found (within a group MED always applies), and
//! the group winners are compared.
//!
//! The steps, in order (FRR's `bgp_path_info_cmp`, which extends RFC 4271
//! §9.1.2.2):
//!
//! 1. [`Weight`](DecisionStep::Weight), higher wins (local, not an attribute);
//! 2. [`LocalPref`](DecisionStep::LocalPref), higher wins ([RFC 4271 §9.1.1]);
//! 3. [`LocallyOriginated`](DecisionStep::LocallyOriginated) over learned;
//! 4. [`AsPathLength`](DecisionStep::AsPathLength), shorter wins; an AS_SET
//!    counts one, confederation segments none ([RFC 5065 §5.3]);
//! 5. [`Origin`](DecisionStep::Origin), IGP < EGP < INCOMPLETE;
//! 6. [`Med`](DecisionStep::Med), lower wins, between paths from the same
//!    neighbouring AS unless `always_compare_med`; a missing MED is 0, or the
//!    worst with `med_missing_as_worst`;
//! 7. [`ExternalOverInternal`](DecisionStep::ExternalOverInternal): eBGP over iBGP;
//! 8. [`IgpCost`](DecisionStep::IgpCost) to the next hop, lower wins (paths
//!    whose next hop is unreachable are not candidates at all, §9.1.2.1);
//! 9. [`RouterId`](DecisionStep::RouterId), lower wins; ORIGINATOR_ID stands
//!    in for the peer's identifier when present ([RFC 4456 §9]);
//! 10. [`ClusterListLength`](DecisionStep::ClusterListLength), shorter wins ([RFC 4456 §9]);
//! 11. [`PeerAddress`](DecisionStep::PeerAddress), lower wins;
//! 12. [`PathId`](DecisionStep::PathId): the lower ADD-PATH identifier (two
//!     paths from one peer), so that the order is total.
//!
//! Multipath ([`multipath`]) takes the paths that tie with the best through
//! step 8 and have the same AS_PATH (or, with `multipath_relax`, any AS_PATH
//! of the same length, FRR's `bgp bestpath as-path multipath-relax`).
//!
//! [RFC 4271 §9.1.2]: https://www.rfc-editor.org/rfc/rfc4271#section-9.1.2
//! [RFC 4271 §9.1.1]: https://www.rfc-editor.org/rfc/rfc4271#section-9.1.1
//! [RFC 5065 §5.3]: https://www.rfc-editor.org/rfc/rfc5065#section-5.3
//! [RFC 4456 §9]: https://www.rfc-editor.org/rfc/rfc4456#section-9

use std::cmp::Ordering;
use std::net::{IpAddr, Ipv4Addr};

use bgp_wire::RouteAttrs;
use bgp_wire::attr::SegmentType;

//----------- DecisionConfig --------------------------------------------------

/// Options of the decision process (FRR's `bgp bestpath …` and
/// `maximum-paths`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionConfig {
    /// Compare MED between paths from different neighbouring ASes
    /// (`bgp always-compare-med`).
    pub always_compare_med: bool,
    /// Group paths by neighbouring AS before comparing, so that the winner
    /// does not depend on the order paths arrived (`bgp deterministic-med`).
    pub deterministic_med: bool,
    /// A missing MED is the worst value rather than 0
    /// (`bgp bestpath med missing-as-worst`).
    pub med_missing_as_worst: bool,
    /// Skip the AS_PATH length step (`bgp bestpath as-path ignore`).
    pub ignore_as_path_length: bool,
    /// Multipath with AS_PATHs that differ but have the same length
    /// (`bgp bestpath as-path multipath-relax`).
    pub multipath_relax: bool,
    /// How many paths the Loc-RIB keeps for ECMP, the best included; 1
    /// turns multipath off (`maximum-paths`).
    pub maximum_paths: u16,
    /// The LOCAL_PREF assumed for a path without one (100).
    pub default_local_pref: u32,
}

impl Default for DecisionConfig {
    fn default() -> Self {
        Self {
            always_compare_med: false,
            deterministic_med: false,
            med_missing_as_worst: false,
            ignore_as_path_length: false,
            multipath_relax: false,
            maximum_paths: 1,
            default_local_pref: 100,
        }
    }
}

//----------- DecisionStep ----------------------------------------------------

/// The step of the decision process that decided between two paths, in the
/// order the steps are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DecisionStep {
    /// There was only one candidate.
    OnlyPath,
    /// Higher weight.
    Weight,
    /// Higher LOCAL_PREF.
    LocalPref,
    /// Locally originated over learned.
    LocallyOriginated,
    /// Shorter AS_PATH.
    AsPathLength,
    /// Lower ORIGIN.
    Origin,
    /// Lower MED.
    Med,
    /// eBGP over iBGP.
    ExternalOverInternal,
    /// Lower IGP cost to the next hop.
    IgpCost,
    /// Lower router ID (ORIGINATOR_ID when present).
    RouterId,
    /// Shorter CLUSTER_LIST.
    ClusterListLength,
    /// Lower peer address.
    PeerAddress,
    /// Lower ADD-PATH path identifier.
    PathId,
}

//----------- Candidate -------------------------------------------------------

/// What the decision process needs to know about one path.
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    /// The path attributes.
    pub attrs: &'a RouteAttrs,
    /// The local weight.
    pub weight: u32,
    /// Originated by this speaker (not learned from a peer).
    pub local: bool,
    /// Learned over eBGP.
    pub ebgp: bool,
    /// The BGP identifier of the peer it was learned from.
    pub router_id: Ipv4Addr,
    /// The address of the peer it was learned from.
    pub peer_address: IpAddr,
    /// The ADD-PATH identifier it was received with (0 without).
    pub path_id: u32,
    /// The IGP cost to its next hop.
    pub igp_cost: u32,
}

impl Candidate<'_> {
    /// The neighbouring AS for the MED step: the first AS of the path,
    /// confederation segments skipped ([RFC 5065 §5.3]); `None` for a path
    /// from inside the AS (empty) or one that starts with an AS_SET.
    ///
    /// [RFC 5065 §5.3]: https://www.rfc-editor.org/rfc/rfc5065#section-5.3
    pub fn neighbour_as(&self) -> Option<u32> {
        let seg = self
            .attrs
            .as_path
            .segments
            .iter()
            .find(|s| !s.ty.is_confed())?;
        match seg.ty {
            SegmentType::Sequence => seg.asns.first().copied(),
            _ => None,
        }
    }
}

//----------- Decision --------------------------------------------------------

/// The outcome of the decision process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The index of the best path among the candidates.
    pub best: usize,
    /// The step that decided between the best path and the runner-up (the
    /// best of the others).
    pub step: DecisionStep,
}

/// Compares two paths; `Less` means `a` is preferred. Returns the step that
/// decided (or [`DecisionStep::PathId`] with `Equal` for identical keys).
pub fn compare(
    a: &Candidate<'_>,
    b: &Candidate<'_>,
    cfg: &DecisionConfig,
) -> (Ordering, DecisionStep) {
    use DecisionStep as S;
    macro_rules! step {
        ($s:expr, $o:expr) => {
            let o = $o;
            if o != Ordering::Equal {
                return (o, $s);
            }
        };
    }
    let (x, y) = (a.attrs, b.attrs);
    step!(S::Weight, b.weight.cmp(&a.weight));
    let lp = |r: &RouteAttrs| r.local_pref.unwrap_or(cfg.default_local_pref);
    step!(S::LocalPref, lp(y).cmp(&lp(x)));
    step!(S::LocallyOriginated, b.local.cmp(&a.local));
    if !cfg.ignore_as_path_length {
        step!(
            S::AsPathLength,
            x.as_path.path_len().cmp(&y.as_path.path_len())
        );
    }
    step!(S::Origin, x.origin.cmp(&y.origin));
    if cfg.always_compare_med || a.neighbour_as() == b.neighbour_as() {
        let missing = if cfg.med_missing_as_worst {
            u32::MAX
        } else {
            0
        };
        step!(
            S::Med,
            x.med.unwrap_or(missing).cmp(&y.med.unwrap_or(missing))
        );
    }
    step!(S::ExternalOverInternal, b.ebgp.cmp(&a.ebgp));
    step!(S::IgpCost, a.igp_cost.cmp(&b.igp_cost));
    let id = |c: &Candidate<'_>| c.attrs.extra.originator_id.unwrap_or(c.router_id);
    step!(S::RouterId, id(a).cmp(&id(b)));
    step!(
        S::ClusterListLength,
        x.extra.cluster_list.len().cmp(&y.extra.cluster_list.len())
    );
    step!(S::PeerAddress, a.peer_address.cmp(&b.peer_address));
    (a.path_id.cmp(&b.path_id), S::PathId)
}

/// The index of the best of `among` (indices into `cands`), or `None` when
/// `among` is empty.
fn best_of(cands: &[Candidate<'_>], among: &[usize], cfg: &DecisionConfig) -> Option<usize> {
    let scan = |it: &mut dyn Iterator<Item = usize>| {
        let mut best = it.next()?;
        for i in it {
            if compare(&cands[i], &cands[best], cfg).0 == Ordering::Less {
                best = i;
            }
        }
        Some(best)
    };
    if !cfg.deterministic_med || cfg.always_compare_med {
        return scan(&mut among.iter().copied());
    }
    // Group by neighbouring AS (first appearance order), best per group,
    // then the best of the group winners.
    let mut groups: Vec<(Option<u32>, usize)> = Vec::new();
    for &i in among {
        let n = cands[i].neighbour_as();
        match groups.iter_mut().find(|(g, _)| *g == n) {
            Some((_, w)) => {
                if compare(&cands[i], &cands[*w], cfg).0 == Ordering::Less {
                    *w = i;
                }
            }
            None => groups.push((n, i)),
        }
    }
    scan(&mut groups.iter().map(|&(_, w)| w))
}

/// Runs the decision process over `cands` (all eligible: next hop
/// reachable, not denied by policy, no loop).
pub fn select(cands: &[Candidate<'_>], cfg: &DecisionConfig) -> Option<Decision> {
    let all: Vec<usize> = (0..cands.len()).collect();
    select_among(cands, &all, cfg)
}

/// [`select`] restricted to the candidates whose indices are in `among`.
pub fn select_among(
    cands: &[Candidate<'_>],
    among: &[usize],
    cfg: &DecisionConfig,
) -> Option<Decision> {
    let best = best_of(cands, among, cfg)?;
    if among.len() == 1 {
        return Some(Decision {
            best,
            step: DecisionStep::OnlyPath,
        });
    }
    let rest: Vec<usize> = among.iter().copied().filter(|&i| i != best).collect();
    // Invariant: `rest` is non-empty because `among` has two or more entries.
    let runner = best_of(cands, &rest, cfg).expect("a runner-up");
    Some(Decision {
        best,
        step: compare(&cands[best], &cands[runner], cfg).1,
    })
}

/// The candidates in order of preference: the best, then the best of the
/// rest, and so on (what ADD-PATH "best N" sends).
pub fn rank(cands: &[Candidate<'_>], cfg: &DecisionConfig, n: usize) -> Vec<usize> {
    let mut rest: Vec<usize> = (0..cands.len()).collect();
    let mut out = Vec::with_capacity(n.min(cands.len()));
    while out.len() < n {
        let Some(b) = best_of(cands, &rest, cfg) else {
            break;
        };
        out.push(b);
        rest.retain(|&i| i != b);
    }
    out
}

/// The multipath set for `best`: `best` first, then up to
/// `maximum_paths - 1` others that tie with it through the IGP cost step and
/// have the same AS_PATH (the same length with `multipath_relax`), in order
/// of preference.
pub fn multipath(cands: &[Candidate<'_>], best: usize, cfg: &DecisionConfig) -> Vec<usize> {
    let mut out = vec![best];
    if cfg.maximum_paths <= 1 {
        return out;
    }
    let b = &cands[best];
    let mut others: Vec<usize> = (0..cands.len())
        .filter(|&i| i != best)
        .filter(|&i| {
            let c = &cands[i];
            let (_, step) = compare(b, c, cfg);
            step > DecisionStep::IgpCost
                && if cfg.multipath_relax {
                    c.attrs.as_path.path_len() == b.attrs.as_path.path_len()
                } else {
                    c.attrs.as_path == b.attrs.as_path
                }
        })
        .collect();
    others.sort_by(|&i, &j| compare(&cands[i], &cands[j], cfg).0);
    out.extend(others.into_iter().take(usize::from(cfg.maximum_paths) - 1));
    out
}

#[cfg(test)]
mod tests {
    use bgp_wire::attr::{AsPathBuf, AsSegment, Origin};
    use proptest::prelude::*;

    use super::*;

    fn attrs(path: &[u32]) -> RouteAttrs {
        RouteAttrs {
            as_path: AsPathBuf::sequence(path.iter().copied()),
            ..RouteAttrs::default()
        }
    }

    fn cand(a: &RouteAttrs, peer: u8) -> Candidate<'_> {
        Candidate {
            attrs: a,
            weight: 0,
            local: false,
            ebgp: true,
            router_id: Ipv4Addr::new(10, 0, 0, peer),
            peer_address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, peer)),
            path_id: 0,
            igp_cost: 0,
        }
    }

    fn decide(cs: &[Candidate<'_>]) -> (usize, DecisionStep) {
        let d = select(cs, &DecisionConfig::default()).unwrap();
        (d.best, d.step)
    }

    /// One path's value for each step's key: `good[k]` or `bad[k]`.
    fn spec_cand(good: [bool; 12]) -> Candidate<'static> {
        let mut a = attrs(if good[3] { &[65001] } else { &[65001, 65002] });
        a.local_pref = Some(if good[1] { 200 } else { 100 });
        a.origin = if good[4] {
            Origin::Igp
        } else {
            Origin::Incomplete
        };
        a.med = Some(if good[5] { 0 } else { 50 });
        if !good[9] {
            a.extra.cluster_list = vec![Ipv4Addr::new(9, 9, 9, 9)];
        }
        let a: &'static RouteAttrs = Box::leak(Box::new(a));
        Candidate {
            attrs: a,
            weight: if good[0] { 10 } else { 0 },
            local: good[2],
            ebgp: good[6],
            igp_cost: if good[7] { 1 } else { 9 },
            router_id: if good[8] {
                Ipv4Addr::new(1, 1, 1, 1)
            } else {
                Ipv4Addr::new(9, 9, 9, 9)
            },
            peer_address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, if good[10] { 1 } else { 9 })),
            path_id: if good[11] { 1 } else { 2 },
        }
    }

    /// Each step decides on its own: the two paths tie on every earlier
    /// step, differ at this one, and every later step favours the loser, so
    /// a step applied out of order would flip the result. Both arrival
    /// orders are tried.
    #[test]
    fn each_step_in_isolation() {
        use DecisionStep as S;
        let steps = [
            S::Weight,
            S::LocalPref,
            S::LocallyOriginated,
            S::AsPathLength,
            S::Origin,
            S::Med,
            S::ExternalOverInternal,
            S::IgpCost,
            S::RouterId,
            S::ClusterListLength,
            S::PeerAddress,
            S::PathId,
        ];
        for (k, step) in steps.into_iter().enumerate() {
            let w: [bool; 12] = std::array::from_fn(|i| i <= k);
            let l: [bool; 12] = std::array::from_fn(|i| i != k);
            let (cw, cl) = (spec_cand(w), spec_cand(l));
            assert_eq!(decide(&[cl, cw]), (1, step), "{step:?}");
            assert_eq!(decide(&[cw, cl]), (0, step), "{step:?} reversed");
            assert_eq!(
                compare(&cw, &cl, &DecisionConfig::default()),
                (Ordering::Less, step)
            );
        }
        // ORIGINATOR_ID stands in for the router ID.
        let mut a = attrs(&[65001]);
        a.extra.originator_id = Some(Ipv4Addr::new(1, 0, 0, 0));
        let b = attrs(&[65001]);
        let (ca, cb) = (cand(&a, 200), cand(&b, 2));
        assert_eq!(decide(&[cb, ca]), (1, S::RouterId));
        assert_eq!(decide(&[cand(&a, 1)]), (0, S::OnlyPath));
    }

    /// The order of steps: an earlier step beats every later one.
    #[test]
    fn order_of_steps() {
        // a: better LOCAL_PREF, worse everything else.
        let mut a = attrs(&[65001, 65002, 65003]);
        a.local_pref = Some(200);
        a.origin = Origin::Incomplete;
        a.med = Some(100);
        let b = attrs(&[65001]);
        let mut ca = cand(&a, 9);
        ca.ebgp = false;
        ca.igp_cost = 100;
        let cb = cand(&b, 1);
        assert_eq!(decide(&[cb, ca]), (1, DecisionStep::LocalPref));
        // Weight beats LOCAL_PREF.
        let mut cb2 = cb;
        cb2.weight = 1;
        assert_eq!(decide(&[cb2, ca]), (0, DecisionStep::Weight));
        // AS path length beats ORIGIN and MED.
        let mut c = attrs(&[65001]);
        c.origin = Origin::Incomplete;
        c.med = Some(1000);
        let d = attrs(&[65001, 65002]);
        assert_eq!(
            decide(&[cand(&d, 1), cand(&c, 2)]),
            (1, DecisionStep::AsPathLength)
        );
        // ...unless ignored.
        let cfg = DecisionConfig {
            ignore_as_path_length: true,
            ..DecisionConfig::default()
        };
        let r = select(&[cand(&d, 1), cand(&c, 2)], &cfg).unwrap();
        assert_eq!((r.best, r.step), (0, DecisionStep::Origin));
        // AS_SET counts one, confederation segments none.
        let mut e = attrs(&[65001]);
        e.as_path.segments.push(AsSegment {
            ty: SegmentType::Set,
            asns: vec![1, 2, 3, 4],
        });
        e.as_path.segments.insert(
            0,
            AsSegment {
                ty: SegmentType::ConfedSequence,
                asns: vec![64512, 64513],
            },
        );
        let f = attrs(&[65001, 65002, 65003]);
        assert_eq!(
            decide(&[cand(&f, 1), cand(&e, 2)]),
            (1, DecisionStep::AsPathLength)
        );
    }

    #[test]
    fn med_options() {
        let mut a = attrs(&[65001]);
        a.med = Some(10);
        let b = attrs(&[65002]); // no MED, another neighbour AS
        // Different neighbours: MED skipped, router ID decides (b has 1).
        assert_eq!(
            decide(&[cand(&a, 2), cand(&b, 1)]),
            (1, DecisionStep::RouterId)
        );
        let cfg = DecisionConfig {
            always_compare_med: true,
            ..DecisionConfig::default()
        };
        let r = select(&[cand(&a, 1), cand(&b, 2)], &cfg).unwrap();
        assert_eq!((r.best, r.step), (1, DecisionStep::Med)); // missing = 0
        let cfg = DecisionConfig {
            always_compare_med: true,
            med_missing_as_worst: true,
            ..DecisionConfig::default()
        };
        let r = select(&[cand(&a, 2), cand(&b, 1)], &cfg).unwrap();
        assert_eq!((r.best, r.step), (0, DecisionStep::Med));
    }

    /// The classic non-transitive triple: without deterministic-MED the
    /// winner depends on arrival order; with it, it does not.
    #[test]
    fn med_is_not_transitive() {
        let mut a = attrs(&[65001]);
        a.med = Some(200);
        let mut b = attrs(&[65002]);
        b.med = Some(100);
        let mut c = attrs(&[65001]);
        c.med = Some(100);
        let (ca, mut cb, mut cc) = (cand(&a, 1), cand(&b, 2), cand(&c, 3));
        cb.igp_cost = 0;
        cc.igp_cost = 0;
        cb.router_id = Ipv4Addr::new(10, 0, 0, 2);
        cc.router_id = Ipv4Addr::new(10, 0, 0, 3);
        let cfg = DecisionConfig::default();
        let w1 = select(&[ca, cb, cc], &cfg).unwrap().best;
        let w2 = select(&[cc, ca, cb], &cfg).unwrap().best;
        let names1 = [1, 2, 3][w1];
        let names2 = [3, 1, 2][w2];
        assert_ne!(names1, names2, "plain scan is order dependent here");
        let det = DecisionConfig {
            deterministic_med: true,
            ..cfg
        };
        let d1 = [1, 2, 3][select(&[ca, cb, cc], &det).unwrap().best];
        let d2 = [3, 1, 2][select(&[cc, ca, cb], &det).unwrap().best];
        assert_eq!(d1, d2);
    }

    #[test]
    fn multipath_sets() {
        let a = attrs(&[65001, 65010]);
        let b = attrs(&[65001, 65010]);
        let c = attrs(&[65002, 65010]);
        let cands = [cand(&a, 1), cand(&b, 2), cand(&c, 3)];
        let mut cfg = DecisionConfig {
            maximum_paths: 4,
            ..DecisionConfig::default()
        };
        let best = select(&cands, &cfg).unwrap().best;
        assert_eq!(best, 0);
        assert_eq!(multipath(&cands, best, &cfg), [0, 1]);
        cfg.multipath_relax = true;
        assert_eq!(multipath(&cands, best, &cfg), [0, 1, 2]);
        cfg.maximum_paths = 2;
        assert_eq!(multipath(&cands, best, &cfg), [0, 1]);
        // A worse IGP cost is not equal-cost.
        let mut far = cand(&b, 2);
        far.igp_cost = 5;
        cfg.maximum_paths = 4;
        assert_eq!(multipath(&[cand(&a, 1), far], 0, &cfg), [0]);
    }

    fn arb_cand() -> impl Strategy<Value = (u32, Option<u32>, u8, u8, u8, bool)> {
        // neighbour AS, MED, path length, origin, router id, ebgp
        (
            65001u32..65004,
            proptest::option::of(0u32..3),
            1u8..3,
            0u8..2,
            1u8..255,
            any::<bool>(),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// With deterministic-MED the winner is the same whatever the
        /// arrival order.
        #[test]
        fn deterministic_med_is_order_independent(
            specs in proptest::collection::vec(arb_cand(), 1..7),
            perm_seed in any::<u64>(),
        ) {
            let attrs: Vec<RouteAttrs> = specs.iter().map(|&(n, med, len, origin, _, _)| {
                let mut a = attrs(&std::iter::once(n).chain(std::iter::repeat_n(65100, usize::from(len) - 1)).collect::<Vec<_>>());
                a.med = med;
                a.origin = if origin == 0 { Origin::Igp } else { Origin::Egp };
                a
            }).collect();
            let cands: Vec<Candidate<'_>> = attrs.iter().zip(&specs).enumerate().map(|(i, (a, s))| {
                let mut c = cand(a, s.4);
                c.ebgp = s.5;
                c.peer_address = IpAddr::V4(Ipv4Addr::new(192, 0, 2, i as u8));
                c
            }).collect();
            let cfg = DecisionConfig { deterministic_med: true, ..DecisionConfig::default() };
            let want = select(&cands, &cfg).unwrap().best;
            // A permutation from the seed (Fisher-Yates with an LCG).
            let mut order: Vec<usize> = (0..cands.len()).collect();
            let mut s = perm_seed;
            for i in (1..order.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                order.swap(i, (s >> 33) as usize % (i + 1));
            }
            let permuted: Vec<Candidate<'_>> = order.iter().map(|&i| cands[i]).collect();
            let got = order[select(&permuted, &cfg).unwrap().best];
            prop_assert_eq!(got, want);
        }
    }
}

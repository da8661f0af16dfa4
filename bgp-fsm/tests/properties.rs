//! Property tests: random sequences of TCP events, peer messages (well
//! formed or not), raw bytes, commands and time steps never panic and keep
//! the invariants of `bgp_fsm::fuzzing` (negotiated values only in
//! Established, a deadline armed whenever the state needs one, no output
//! after a close); and two sessions put through random chaos always find
//! each other again once the network is back.
#![allow(clippy::disallowed_methods)]

mod common;

use std::time::{Duration, Instant};

use bgp_fsm::fuzzing::Driver;
use bgp_fsm::{Event, StateKind};
use common::{Pair, configs};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn random_sequences_keep_the_invariants(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let (mut d, ops) = Driver::new(&data, Instant::now());
        d.check();
        d.run(ops);
    }

    /// Sequences biased toward the OPEN exchange: start, connect, a good
    /// OPEN and KEEPALIVE, then anything.
    #[test]
    fn established_then_anything(tail in proptest::collection::vec(any::<u8>(), 0..400), cfg in any::<[u8; 6]>()) {
        // start, connected, peer OPEN (4-octet AS, IPv4, RR, AS 65002, hold 90), KEEPALIVE
        let mut data = cfg.to_vec();
        data[0] &= !(1 | 2 | 64); // active, no DelayOpen, no role
        data[4] = 3; // hold time 90
        data.extend_from_slice(&[0, 3, 0, 11, 0b1011, 4, 12]);
        data.extend_from_slice(&tail);
        let (mut d, ops) = Driver::new(&data, Instant::now());
        d.run(ops);
    }
}

#[derive(Clone, Debug)]
enum Chaos {
    Stop(bool),
    Start(bool),
    Reset(bool),
    Cut,
    Network(bool),
    Wait(u16),
    Garbage(bool, Vec<u8>),
}

fn chaos() -> impl Strategy<Value = Chaos> {
    prop_oneof![
        any::<bool>().prop_map(Chaos::Stop),
        any::<bool>().prop_map(Chaos::Start),
        any::<bool>().prop_map(Chaos::Reset),
        Just(Chaos::Cut),
        any::<bool>().prop_map(Chaos::Network),
        any::<u16>().prop_map(Chaos::Wait),
        (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(a, b)| Chaos::Garbage(a, b)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn pair_recovers_from_chaos(ops in proptest::collection::vec(chaos(), 0..30), seed in any::<u64>(), chunk in 1usize..200) {
        let (a, b) = configs();
        let mut p = Pair::new(a, b, seed);
        p.max_chunk = chunk;
        p.start_both();
        for op in ops {
            let now = p.now;
            match op {
                Chaos::Stop(a) => p.node(a).session.stop(now, "chaos"),
                Chaos::Start(a) => p.node(a).session.start(now),
                Chaos::Reset(a) => p.node(a).session.reset(now, "chaos", false),
                Chaos::Cut => p.cut(),
                Chaos::Network(up) => p.network_up = up,
                Chaos::Wait(ms) => p.run_for(Duration::from_millis(u64::from(ms) * 10)),
                Chaos::Garbage(to_b, bytes) => p.inject(!to_b, &bytes),
            }
            p.settle();
            for n in [&p.a, &p.b] {
                prop_assert_eq!(n.session.negotiated().is_some(), n.state() == StateKind::Established);
                prop_assert!(n.session.deadline_armed_as_required());
            }
        }
        // Heal: network up, both started. They must find each other within
        // the longest backoff plus a connect retry or two.
        p.network_up = true;
        if !p.both_established() {
            p.cut();
        }
        let now = p.now;
        p.a.session.start(now);
        p.b.session.start(now);
        p.settle();
        let ok = p.run_until(Duration::from_secs(900), Pair::both_established);
        prop_assert!(ok, "A {:?} B {:?}", p.a.state(), p.b.state());
        // Every Established was matched by a Down before the next one.
        for n in [&p.a, &p.b] {
            let mut up = false;
            for (_, e) in &n.events {
                match e {
                    Event::Established => { prop_assert!(!up); up = true; }
                    Event::Down { .. } => { prop_assert!(up); up = false; }
                    _ => {}
                }
            }
            prop_assert!(up);
        }
    }
}

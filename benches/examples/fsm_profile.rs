//! A driver for profiling `benches/fsm.rs`'s two sides outside criterion
//! (callgrind, perf): the same full-table stream, the same work per side.
//!
//! ```sh
//! cargo build --release -p bgp-benches --example fsm_profile
//! valgrind --tool=callgrind --toggle-collect='*fsm_profile::run*' \
//!     target/release/examples/fsm_profile session decode 1
//! ```
//!
//! Arguments: `wire|session|copying`, `decode|walk`, iterations (default 1).
#![allow(missing_docs, clippy::disallowed_methods)]

use std::hint::black_box;
use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Instant;

use bgp_benches::mrt::load_bgp4mp_messages;
use bgp_fsm::{Event, Session, SessionConfig, StateKind};
use bgp_wire::capability::Capability;
use bgp_wire::codepoint::Afi;
use bgp_wire::message::KEEPALIVE;
use bgp_wire::open::OpenMessage;
use bgp_wire::{Family, Message, Messages, SessionContext};
use bytes::BytesMut;

const FULL_TABLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/mrt/updates.et-header.2015.gz"
);
const READ: usize = 64 * 1024;

fn established(now: Instant) -> Session {
    let mut c = SessionConfig::new(65000, Some(65000), Ipv4Addr::new(10, 0, 0, 1));
    c.families = vec![Family::IPV4_UNICAST, Family::IPV4_MULTICAST];
    c.extended_message = true;
    c.extended_next_hop = vec![
        (Family::IPV4_UNICAST, Afi::IPV6),
        (Family::IPV4_MULTICAST, Afi::IPV6),
    ];
    let mut s = Session::new(c);
    s.start(now);
    s.handle_connected(now);
    let peer = OpenMessage::new(
        65000,
        90,
        Ipv4Addr::new(10, 0, 0, 2),
        vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::Multiprotocol(Family::IPV4_MULTICAST),
            Capability::FourOctetAs(65000),
            Capability::ExtendedMessage,
            Capability::ExtendedNextHop(vec![
                (Family::IPV4_UNICAST, Afi::IPV6),
                (Family::IPV4_MULTICAST, Afi::IPV6),
            ]),
        ],
    );
    let mut wire = Vec::new();
    peer.emit(&mut wire).expect("encodes");
    wire.extend_from_slice(&KEEPALIVE);
    s.handle_input(now, &mut BytesMut::from(&wire[..]));
    assert_eq!(s.state(), StateKind::Established);
    let _ = s.poll_transmit(&mut Vec::new());
    while s.poll_event().is_some() {}
    s
}

fn prefix_key(n: &bgp_wire::Nlri) -> u64 {
    match n.prefix {
        ipnet::IpNet::V4(p) => u64::from(u32::from(p.addr())) << 8 | u64::from(p.prefix_len()),
        ipnet::IpNet::V6(p) => (u128::from(p.addr()) >> 64) as u64 ^ u64::from(p.prefix_len()),
    }
}

#[inline(never)]
fn run_wire(stream: &[u8], walk: bool) -> (u64, u64) {
    let (mut n, mut sum) = (0u64, 0u64);
    for (_, m) in Messages::new(stream, SessionContext::permissive()) {
        if let Ok(Message::Update(u)) = m {
            n += 1;
            sum = sum.wrapping_add(u.action() as u64);
            if walk {
                for p in u.all_announced() {
                    sum = sum.wrapping_add(prefix_key(&p));
                }
                for p in u.all_withdrawn() {
                    sum ^= prefix_key(&p);
                }
            }
        }
    }
    (n, sum)
}

#[inline(never)]
fn run_session(
    mut s: Session,
    now: Instant,
    stream: &[u8],
    mut whole: BytesMut,
    copy: bool,
    walk: bool,
) -> ((u64, u64), (Session, BytesMut, BytesMut)) {
    let (mut n, mut sum) = (0u64, 0u64);
    let mut inbox = BytesMut::with_capacity(if copy { 2 * READ } else { 0 });
    let mut out = Vec::new();
    let mut reads = stream.chunks(READ);
    loop {
        if copy {
            let Some(read) = reads.next() else { break };
            inbox.extend_from_slice(read);
        } else {
            if whole.is_empty() {
                break;
            }
            inbox.unsplit(whole.split_to(READ.min(whole.len())));
        }
        s.handle_input(now, &mut inbox);
        if s.poll_transmit(&mut out).is_some() {
            out.clear();
        }
        while let Some(ev) = s.poll_event() {
            if let Event::EndOfRib(_) = ev {
                n += 1;
            } else if let Event::Update(u) = ev {
                n += 1;
                sum = sum.wrapping_add(u.action() as u64);
                if walk {
                    for (_, p) in u.announced() {
                        sum = sum.wrapping_add(prefix_key(&p));
                    }
                    for (_, p) in u.withdrawn() {
                        sum ^= prefix_key(&p);
                    }
                }
            }
        }
    }
    ((n, sum), (s, inbox, whole))
}

/// Nanoseconds this thread has run on a CPU (Linux schedstat; 0 elsewhere):
/// unlike wall time, not inflated while other processes hold the cores.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).is_some_and(|a| a == "sizes") {
        println!(
            "Event {} UpdateEvent {} Update {}",
            size_of::<Event>(),
            size_of::<bgp_fsm::UpdateEvent>(),
            size_of::<bgp_wire::Update<'_>>(),
        );
        return;
    }
    let side = args.get(1).map_or("session", String::as_str);
    let walk = args.get(2).is_some_and(|a| a == "walk");
    let iters: u32 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1);
    let messages = load_bgp4mp_messages(Path::new(FULL_TABLE)).expect("the MRT file reads");
    let stream: Vec<u8> = messages
        .into_iter()
        .filter(|m| m[18] != 1)
        .flatten()
        .collect();
    let now = Instant::now();
    let mut out = (0, 0);
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    let mut leftovers = None;
    for _ in 0..iters {
        let start;
        let cpu0;
        out = match side {
            "wire" => {
                start = Instant::now();
                cpu0 = cpu_ns();
                run_wire(black_box(&stream), walk)
            }
            "session" | "copying" => {
                let s = established(now);
                let whole = BytesMut::from(&stream[..]);
                start = Instant::now();
                cpu0 = cpu_ns();
                let (r, left) =
                    run_session(s, now, black_box(&stream), whole, side == "copying", walk);
                leftovers = Some(left);
                r
            }
            other => panic!("unknown side {other}"),
        };
        times.push(start.elapsed());
        cpu.push(cpu_ns() - cpu0);
        // Freed outside the measurement, as in benches/fsm.rs.
        drop(leftovers.take());
    }
    times.sort();
    let per = times[times.len() / 2];
    // schedstat is updated at scheduler ticks: average it over every run.
    let per_cpu = cpu.iter().sum::<u64>() as f64 / 1e6 / f64::from(iters);
    println!(
        "{side} walk={walk}: {out:?}, min {:?} median {per:?} wall, {per_cpu:.3} ms on CPU (mean) per iteration",
        times[0]
    );
}

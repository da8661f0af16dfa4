//! bgp-fsm: received bytes → events through `Session`, against bgp-wire's
//! decode alone, on the same full-table UPDATE stream
//! (`../shared/data/mrt/updates.et-header.2015.gz`: its 89,679 UPDATEs and 2
//! KEEPALIVEs, concatenated as a TCP stream would carry them).
//!
//! * `decode/bgp-wire`: `Messages` over the stream under
//!   `SessionContext::permissive()` (frame + validate each message, read
//!   its RFC 7606 action).
//! * `decode/session`: an Established `Session` (iBGP, 4-octet AS, extended
//!   messages and IPv4 extended next hop negotiated, so its receive context
//!   equals `permissive()`; IPv4 unicast and multicast) fed the stream in
//!   64 KiB reads through `handle_input`, followed by the run loop's polls
//!   (`poll_transmit`, then every event polled and its action read). The
//!   reads are consecutive slices of one buffer holding the stream (built
//!   outside the measurement), so, like the bgp-wire baseline, no input copy
//!   is measured; and like the baseline's input, that buffer (and the
//!   session) is freed after the measurement, not in it.
//! * `decode/session-copying-reads`: the same, but each read is first copied
//!   into the session's input buffer (what `read(2)` into a buffer costs).
//! * `walk/…`: the same, and every announced and withdrawn prefix visited
//!   (`Update::all_announced/all_withdrawn` against `UpdateEvent::announced/
//!   withdrawn`).
//!
//! The target: `session` within 1.2x of `bgp-wire`. Skipped, saying
//! so, when the MRT file is absent.
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
use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

const FULL_TABLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/mrt/updates.et-header.2015.gz"
);
const READ: usize = 64 * 1024;

/// The UPDATEs and KEEPALIVEs of the file, back to back.
fn stream() -> Option<Vec<u8>> {
    let path = Path::new(FULL_TABLE);
    if !path.exists() {
        eprintln!("{} is absent: skipping the fsm bench", path.display());
        return None;
    }
    let messages = load_bgp4mp_messages(path).expect("the MRT file reads");
    Some(
        messages
            .into_iter()
            .filter(|m| m[18] != 1)
            .flatten()
            .collect(),
    )
}

fn config() -> SessionConfig {
    let mut c = SessionConfig::new(65000, Some(65000), Ipv4Addr::new(10, 0, 0, 1));
    c.families = vec![Family::IPV4_UNICAST, Family::IPV4_MULTICAST];
    c.extended_message = true;
    c.extended_next_hop = vec![
        (Family::IPV4_UNICAST, Afi::IPV6),
        (Family::IPV4_MULTICAST, Afi::IPV6),
    ];
    c
}

/// A session taken to Established with a scripted peer.
fn established(now: Instant) -> Session {
    let mut s = Session::new(config());
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
    assert_eq!(s.receive_context(), Some(SessionContext::permissive()));
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

/// bgp-wire alone: (UPDATEs, checksum).
fn wire_decode(stream: &[u8], walk: bool) -> (u64, u64) {
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

/// What a measured run hands back to be dropped after the measurement:
/// the session and the input buffers (the baseline frees nothing either).
type Leftovers = (Session, BytesMut, BytesMut);

/// Through the session: (UPDATE events, checksum). `copy`: each 64 KiB
/// read is copied into the session's input buffer (as `read(2)` into a
/// buffer would); otherwise the reads are consecutive slices of one buffer
/// that already holds the bytes (as a reader filling one large buffer would),
/// and nothing is copied.
fn session_decode(
    mut s: Session,
    now: Instant,
    stream: &[u8],
    mut whole: BytesMut,
    copy: bool,
    walk: bool,
) -> ((u64, u64), Leftovers) {
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
            // Contiguous with what is left in `inbox`: O(1).
            inbox.unsplit(whole.split_to(READ.min(whole.len())));
        }
        s.handle_input(now, &mut inbox);
        // The run loop: bytes to send first (none here), then the events.
        if s.poll_transmit(&mut out).is_some() {
            out.clear();
        }
        while let Some(ev) = s.poll_event() {
            // The stream holds one End-of-RIB, which comes as its own event.
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

fn bench(c: &mut Criterion) {
    let Some(stream) = stream() else { return };
    let now = Instant::now();
    // Both paths see the same UPDATEs and prefixes.
    for walk in [false, true] {
        let w = wire_decode(&stream, walk);
        for copy in [false, true] {
            let whole = BytesMut::from(&stream[..]);
            let (s, _) = session_decode(established(now), now, &stream, whole, copy, walk);
            assert_eq!(w, s, "walk {walk}, copy {copy}");
        }
        assert_eq!(w.0, 89_679);
    }
    for (group, walk) in [("fsm/decode", false), ("fsm/walk", true)] {
        let mut g = c.benchmark_group(group);
        g.sample_size(20)
            .sampling_mode(SamplingMode::Flat)
            .throughput(Throughput::Bytes(stream.len() as u64));
        g.bench_function("bgp-wire", |b| {
            b.iter(|| wire_decode(black_box(&stream), walk))
        });
        for (name, copy) in [("session", false), ("session-copying-reads", true)] {
            g.bench_function(name, |b| {
                b.iter_batched(
                    || (established(now), BytesMut::from(&stream[..])),
                    |(s, whole)| session_decode(s, now, black_box(&stream), whole, copy, walk),
                    BatchSize::LargeInput,
                )
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

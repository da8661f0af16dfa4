//! Fuzzer-found and malformed inputs decode to values or errors, never to a
//! panic or a hang.
//!
//! Every file of `../shared/data/corpus` (FRR bgpd and BIRD fuzzing corpora,
//! hand-made seeds, GoBGP length-field regressions; see that folder's
//! README) is fed through [`Messages`] as a byte stream under several session
//! contexts, re-synchronising on the next marker after a header error, and
//! every decoded message is walked: attributes, prefixes, the effective AS
//! path, the owned copy, and the re-encoding of the owned copy where it
//! succeeds (which must decode back to the same value). Each file is also
//! wrapped, as a message body, in a header of every message type, so the
//! body parsers see the fuzzed bytes directly.
//!
//! The shared folder sits beside the project; when it is absent the test says
//! so and passes. A selection of small files is kept in `tests/data/corpus`
//! and always walked.

mod common;

use std::path::Path;

use bgp_wire::header::{MARKER, MAX_EXTENDED_MESSAGE_LEN};
use bgp_wire::{Family, SessionContext, parse_message};
use common::{decode_resync, walk};

fn contexts() -> Vec<SessionContext> {
    let all_add_path = [
        Family::IPV4_UNICAST,
        Family::IPV6_UNICAST,
        Family::IPV4_MULTICAST,
        Family::IPV6_MULTICAST,
    ]
    .into_iter()
    .fold(SessionContext::default(), SessionContext::with_add_path);
    vec![
        SessionContext::default(),
        SessionContext::two_octet(),
        all_add_path,
        SessionContext {
            max_message_len: MAX_EXTENDED_MESSAGE_LEN,
            ..SessionContext::default()
        },
        SessionContext {
            ebgp: true,
            ..SessionContext::permissive()
        },
    ]
}

/// Walks `buf` as a stream under `ctx`, starting again at the next marker
/// after each header error. Returns (messages decoded, errors).
fn walk_resync(buf: &[u8], ctx: &SessionContext) -> (usize, usize) {
    let (mut ok, mut errors) = (0, 0);
    for (_, r) in decode_resync(buf, ctx) {
        match r {
            Ok(m) => {
                walk(&m, ctx);
                ok += 1;
            }
            Err(e) => {
                let _ = (e.to_string(), e.notification(), e.action());
                errors += 1;
            }
        }
    }
    (ok, errors)
}

/// Everything this test does with one input. Returns how many messages
/// decoded (over all contexts).
fn walk_input(bytes: &[u8]) -> usize {
    let mut decoded = 0;
    for ctx in contexts() {
        decoded += walk_resync(bytes, &ctx).0;
        // The file as the body of each message type.
        for ty in 1..=5u8 {
            let Ok(len) = u16::try_from(19 + bytes.len()) else {
                continue;
            };
            let mut m = MARKER.to_vec();
            m.extend_from_slice(&len.to_be_bytes());
            m.push(ty);
            m.extend_from_slice(bytes);
            if ty == 2 {
                // The streaming decoder agrees with the view on the file
                // as an UPDATE body.
                bgp_wire::fuzzing::visit_agrees(bytes, &ctx);
            }
            match parse_message(&m, &ctx) {
                Ok(msg) => {
                    decoded += 1;
                    walk(&msg, &ctx);
                }
                Err(e) => {
                    let _ = (e.to_string(), e.notification());
                }
            }
        }
    }
    decoded
}

/// Walks every regular file under `dir` (one level of subfolders); returns
/// (files, messages decoded).
fn walk_dir(dir: &Path) -> (usize, usize) {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read corpus folder") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            for e in std::fs::read_dir(&path).expect("read corpus subfolder") {
                files.push(e.expect("dir entry").path());
            }
        } else if path.file_name().is_some_and(|n| n != "README.md") {
            files.push(path);
        }
    }
    files.sort();
    let mut decoded = 0;
    for f in &files {
        let bytes = std::fs::read(f).expect("read corpus file");
        // A panic here names the file through the hook's message.
        let r = std::panic::catch_unwind(|| walk_input(&bytes));
        match r {
            Ok(n) => decoded += n,
            Err(e) => std::panic::resume_unwind(Box::new(format!(
                "{}: {}",
                f.display(),
                e.downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| e.downcast_ref::<&str>().copied())
                    .unwrap_or("panic")
            ))),
        }
    }
    (files.len(), decoded)
}

#[test]
fn shared_corpus() {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/corpus"
    ));
    if !dir.is_dir() {
        println!("skipped: {} not found", dir.display());
        return;
    }
    let (files, decoded) = walk_dir(dir);
    println!("{files} corpus files, {decoded} messages decoded");
    assert!(files > 2500, "only {files} files in {}", dir.display());
    assert!(decoded > 1000);
}

#[test]
fn local_corpus() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/corpus"));
    let (files, decoded) = walk_dir(dir);
    assert!(files >= 30, "{files} files");
    assert!(decoded > 0);
}

#[test]
fn resync_finds_later_messages() {
    let mut buf = vec![0u8; 5];
    buf.extend_from_slice(&bgp_wire::message::KEEPALIVE);
    buf.push(7);
    buf.extend_from_slice(&bgp_wire::message::KEEPALIVE);
    // Garbage, a KEEPALIVE, one bad octet, a KEEPALIVE: two header errors.
    assert_eq!(walk_resync(&buf, &SessionContext::default()), (2, 2));
}

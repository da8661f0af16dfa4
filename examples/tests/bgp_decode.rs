//! Runs the `bgp-decode` binary on the sample file and on handcrafted
//! inputs, and checks key fields of its JSON output.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_bgp-decode");

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bgp-decode");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait for bgp-decode")
}

/// Runs with `args`, feeding `stdin`; returns the output lines, asserting success.
fn lines(args: &[&str], stdin: &[u8]) -> Vec<String> {
    let out = run(args, stdin);
    assert!(
        out.status.success(),
        "bgp-decode {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    let v: Vec<String> = text.lines().map(str::to_owned).collect();
    for l in &v {
        assert!(l.starts_with('{') && l.ends_with('}'), "not an object: {l}");
    }
    v
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A whole message of type `ty` around `body`.
fn msg(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![0xff; 16];
    m.extend_from_slice(&u16::try_from(19 + body.len()).unwrap().to_be_bytes());
    m.push(ty);
    m.extend_from_slice(body);
    m
}

/// An UPDATE body from withdrawn routes, attributes and NLRI.
fn update(withdrawn: &[u8], attrs: &[&[u8]], nlri: &[u8]) -> Vec<u8> {
    let attrs: Vec<u8> = attrs.concat();
    let mut b = u16::try_from(withdrawn.len())
        .unwrap()
        .to_be_bytes()
        .to_vec();
    b.extend_from_slice(withdrawn);
    b.extend_from_slice(&u16::try_from(attrs.len()).unwrap().to_be_bytes());
    b.extend_from_slice(&attrs);
    b.extend_from_slice(nlri);
    b
}

const ORIGIN_IGP: &[u8] = &[0x40, 1, 1, 0];
/// AS_PATH: one AS_SEQUENCE with 65001 (4-octet).
const AS_PATH_4: &[u8] = &[0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe9];
const NEXT_HOP: &[u8] = &[0x40, 3, 4, 192, 0, 2, 1];
/// 198.51.100.0/24.
const NLRI: &[u8] = &[24, 198, 51, 100];

fn sample() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample-updates.hex").to_owned()
}

#[test]
fn sample_file() {
    let out = lines(&[&sample()], b"");
    assert_eq!(out.len(), 12, "{out:#?}");
    assert!(out[0].contains(r#""type":"OPEN""#));
    assert!(out[0].contains(r#""asn":65533"#));
    assert!(out[0].contains(r#""4-octet-as 65533""#));
    assert!(out[0].contains(r#""multiprotocol ipv4/unicast""#));
    assert!(out[1].contains(r#""announced":["1.0.64.0/18"]"#));
    assert!(out[1].contains(r#""as_path":"57821 6939""#));
    assert!(out[1].contains(r#""aggregator":"18144 219.118.225.189""#));
    assert!(out[1].contains(r#""atomic_aggregate":true"#));
    assert!(out[2].contains(r#""med":200"#));
    assert!(out[2].contains(r#""communities":["174:666"]"#));
    assert!(out[3].contains(r#""large_communities":["2914:0:666","2914:3320:123"]"#));
    assert!(out[4].contains(r#""ext_communities":["rt 200:2000"]"#));
    assert!(out[5].contains(r#""announced":["2a02:b80:0:1::1/128"]"#));
    assert!(out[5].contains(r#""next_hop":"2a02:b80:1::1""#));
    assert!(out[6].contains(r#""withdrawn":["77.77.77.77/32"]"#));
    assert!(out[7].contains(r#""mp_family":"ipv4/mpls-vpn""#));
    assert!(out[8].contains(r#""mp_family":"ipv4/flowspec""#));
    assert!(out[9].contains(r#""end_of_rib":"ipv4/unicast""#));
    assert!(out[10].contains(r#""end_of_rib":"ipv6/unicast""#));
    assert!(out[11].contains(r#""type":"NOTIFICATION""#));
    assert!(out[11].contains(r#""code":1"#));
    for l in &out[1..11] {
        assert!(l.contains(r#""action":"none""#), "{l}");
    }
    // The same through standard input.
    let text = std::fs::read(sample()).unwrap();
    assert_eq!(lines(&[], &text), out);
    assert_eq!(lines(&["-"], &text), out);
}

#[test]
fn well_formed_update() {
    let m = msg(2, &update(&[], &[ORIGIN_IGP, AS_PATH_4, NEXT_HOP], NLRI));
    let out = lines(&[], format!("0x{}\n", hex(&m)).as_bytes());
    assert_eq!(out.len(), 1);
    let l = &out[0];
    assert!(l.starts_with(r#"{"type":"UPDATE""#), "{l}");
    assert!(l.contains(r#""announced":["198.51.100.0/24"]"#), "{l}");
    assert!(l.contains(r#""withdrawn":[]"#), "{l}");
    assert!(l.contains(r#""origin":"IGP""#), "{l}");
    assert!(l.contains(r#""as_path":"65001""#), "{l}");
    assert!(l.contains(r#""next_hop":"192.0.2.1""#), "{l}");
    assert!(l.contains(r#""action":"none""#), "{l}");
    assert!(!l.contains("error"), "{l}");
}

#[test]
fn malformed_origin_is_treat_as_withdraw() {
    let bad_origin: &[u8] = &[0x40, 1, 1, 3];
    let m = msg(2, &update(&[], &[bad_origin, AS_PATH_4, NEXT_HOP], NLRI));
    let out = lines(&[], hex(&m).as_bytes());
    let l = &out[0];
    assert!(l.contains(r#""action":"treat-as-withdraw""#), "{l}");
    assert!(l.contains(r#""error":"invalid ORIGIN value 3""#), "{l}");
    // The prefixes are still listed; the action says what to do with them.
    assert!(l.contains(r#""announced":["198.51.100.0/24"]"#), "{l}");
    assert!(!l.contains(r#""origin""#), "{l}");
}

#[test]
fn bad_lengths_reset_the_session() {
    // Withdrawn Routes Length (16) runs past the message.
    let m = msg(2, &[0, 16, 0, 0]);
    let out = lines(&[], hex(&m).as_bytes());
    let l = &out[0];
    assert!(l.starts_with(r#"{"type":"UPDATE""#), "{l}");
    assert!(l.contains(r#""action":"session-reset""#), "{l}");
    assert!(l.contains(r#""notification":[3,1]"#), "{l}");
    assert!(
        l.contains(r#""error":"UPDATE: withdrawn routes length"#),
        "{l}"
    );
    // An NLRI prefix longer than 32 bits: Invalid Network Field.
    let m = msg(
        2,
        &update(
            &[],
            &[ORIGIN_IGP, AS_PATH_4, NEXT_HOP],
            &[33, 1, 2, 3, 4, 5],
        ),
    );
    let l = &lines(&[], hex(&m).as_bytes())[0];
    assert!(l.contains(r#""notification":[3,10]"#), "{l}");
    // A KEEPALIVE with a body: Bad Message Length, type from the header.
    let mut k = msg(4, &[0]);
    let l = &lines(&[], hex(&k).as_bytes())[0];
    assert!(l.starts_with(r#"{"type":"KEEPALIVE","error""#), "{l}");
    assert!(l.contains(r#""notification":[1,2]"#), "{l}");
    // An unknown type: INVALID, Bad Message Type.
    k[18] = 9;
    let l = &lines(&[], hex(&k).as_bytes())[0];
    assert!(l.starts_with(r#"{"type":"INVALID""#), "{l}");
    assert!(l.contains(r#""notification":[1,3]"#), "{l}");
    // A truncated message.
    let m = msg(2, &update(&[], &[ORIGIN_IGP, AS_PATH_4, NEXT_HOP], NLRI));
    let l = &lines(&[], hex(&m[..30]).as_bytes())[0];
    assert!(
        l.starts_with(r#"{"type":"UPDATE","error":"message truncated"#),
        "{l}"
    );
}

#[test]
fn session_options() {
    // 2-octet AS_PATH 65001 AS_TRANS with AS4_PATH 65001 4200000000.
    let as2: &[u8] = &[0x40, 2, 6, 2, 2, 0xfd, 0xe9, 0x5b, 0xa0];
    let as4: &[u8] = &[0xc0, 17, 10, 2, 2, 0, 0, 0xfd, 0xe9, 0xfa, 0x56, 0xea, 0];
    let m = msg(2, &update(&[], &[ORIGIN_IGP, as2, NEXT_HOP, as4], NLRI));
    let l = &lines(&["--two-octet-as"], hex(&m).as_bytes())[0];
    assert!(l.contains(r#""as_path":"65001 4200000000""#), "{l}");
    assert!(l.contains(r#""action":"none""#), "{l}");
    // Read as 4-octet, the same AS_PATH is malformed.
    let l = &lines(&[], hex(&m).as_bytes())[0];
    assert!(l.contains(r#""action":"treat-as-withdraw""#), "{l}");

    // ADD-PATH: path identifier 7.
    let nlri: &[u8] = &[0, 0, 0, 7, 24, 198, 51, 100];
    let m = msg(2, &update(&[], &[ORIGIN_IGP, AS_PATH_4, NEXT_HOP], nlri));
    let l = &lines(&["--add-path", "ipv4-unicast"], hex(&m).as_bytes())[0];
    assert!(l.contains(r#""announced":["198.51.100.0/24#7"]"#), "{l}");
    let l = &lines(&["--add-path=all"], hex(&m).as_bytes())[0];
    assert!(l.contains(r#""announced":["198.51.100.0/24#7"]"#), "{l}");
    let l = &lines(&["--add-path", "ipv6-unicast"], hex(&m).as_bytes())[0];
    assert!(l.contains(r#""action":"session-reset""#), "{l}");

    // eBGP: LOCAL_PREF is discarded.
    let lp: &[u8] = &[0x40, 5, 4, 0, 0, 0, 100];
    let m = msg(
        2,
        &update(&[], &[ORIGIN_IGP, AS_PATH_4, NEXT_HOP, lp], NLRI),
    );
    let l = &lines(&["--ebgp"], hex(&m).as_bytes())[0];
    assert!(l.contains(r#""action":"attribute-discard""#), "{l}");
    assert!(!l.contains("local_pref"), "{l}");
    let l = &lines(&[], hex(&m).as_bytes())[0];
    assert!(l.contains(r#""local_pref":100"#), "{l}");

    // Extended messages: 900 /32 prefixes make a 4543-octet UPDATE.
    let nlri: Vec<u8> = [32, 192, 0, 2, 1].repeat(900);
    let m = msg(2, &update(&[], &[ORIGIN_IGP, AS_PATH_4, NEXT_HOP], &nlri));
    assert!(m.len() > 4096);
    let l = &lines(&[], hex(&m).as_bytes())[0];
    assert!(l.contains(r#""notification":[1,2]"#), "{l}");
    let l = &lines(&["--extended-message"], hex(&m).as_bytes())[0];
    assert!(l.contains(r#""action":"none""#), "{l}");
}

#[test]
fn raw_stream() {
    let keepalive = msg(4, &[]);
    let upd = msg(2, &update(&[], &[ORIGIN_IGP, AS_PATH_4, NEXT_HOP], NLRI));
    let notif = msg(3, &[6, 2, 5, b'b', b'y', b'e', b'"', b'!']);
    let rr = msg(5, &[0, 2, 0, 1]);
    let mut s = [keepalive.clone(), upd, notif, rr].concat();
    let out = lines(&["--raw"], &s);
    assert_eq!(out.len(), 4, "{out:#?}");
    assert_eq!(out[0], r#"{"type":"KEEPALIVE"}"#);
    assert!(out[1].contains(r#""announced":["198.51.100.0/24"]"#));
    assert!(out[2].contains(r#""code":6"#) && out[2].contains(r#""subcode":2"#));
    assert!(
        out[2].contains(r#""shutdown_communication":"bye\"!""#),
        "{}",
        out[2]
    );
    assert!(out[3].contains(r#""type":"ROUTE-REFRESH""#), "{}", out[3]);
    assert!(
        out[3].contains(r#""afi":2,"safi":1,"subtype":0"#),
        "{}",
        out[3]
    );

    // A header error ends the stream after it is printed.
    let mut bad = keepalive.clone();
    bad[0] = 0;
    s.extend_from_slice(&bad);
    s.extend_from_slice(&keepalive);
    let out = lines(&["--raw"], &s);
    assert_eq!(out.len(), 5, "{out:#?}");
    assert!(out[4].starts_with(r#"{"type":"INVALID""#), "{}", out[4]);
    assert!(out[4].contains(r#""notification":[1,1]"#), "{}", out[4]);

    // A trailing partial message is reported as truncated.
    let out = lines(
        &["--raw"],
        &[keepalive.as_slice(), &keepalive[..10]].concat(),
    );
    assert_eq!(out.len(), 2, "{out:#?}");
    assert!(out[1].contains("truncated"), "{}", out[1]);
}

#[test]
fn hex_input_details() {
    let k = hex(&msg(4, &[]));
    let input = format!("# comment\n\n  {k}  \r\n0x{}\nzz\n", k.to_uppercase());
    let out = lines(&[], input.as_bytes());
    assert_eq!(out.len(), 3, "{out:#?}");
    assert_eq!(out[0], r#"{"type":"KEEPALIVE"}"#);
    assert_eq!(out[1], r#"{"type":"KEEPALIVE"}"#);
    assert!(out[2].starts_with(r#"{"type":"INVALID""#), "{}", out[2]);
}

#[test]
fn usage_errors() {
    let out = run(&["--help"], b"");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("usage: bgp-decode"));
    for args in [
        &["--bogus"][..],
        &["--add-path"],
        &["--add-path", "ipv9"],
        &["a", "b"],
    ] {
        let out = run(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let out = run(&["/nonexistent/file"], b"");
    assert_eq!(out.status.code(), Some(1));
}

//! `speaker --fib-log` against a minimal peer written with bgp-wire on
//! loopback: a route the peer announces and then withdraws is printed as a
//! FIB addition and a deletion. (Without `--fib-log` the speaker keeps no
//! Loc-RIB change stream at all; bgp-rib's
//! `loc_rib_changes_can_be_turned_off` covers that side.)

mod minipeer;

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use bgp_wire::testing::{attr, message, update_body};
use minipeer::{Kill, accept_session, read_msg};

#[test]
fn fib_log_prints_additions_and_deletions() {
    let listener = TcpListener::bind("127.0.24.1:0").expect("bind a loopback port");
    let port = listener.local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("speaker-fib-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("bgpd.conf");
    std::fs::write(
        &config,
        format!(
            "router bgp 65001\n bgp router-id 10.0.0.5\n no bgp ebgp-requires-policy\n neighbor 127.0.24.1 remote-as 65002\n \
             neighbor 127.0.24.1 port {port}\n neighbor 127.0.24.1 update-source 127.0.24.2\n"
        ),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_speaker"))
        .args(["--config", config.to_str().unwrap(), "--fib-log", "--quiet"])
        .args(["--listen", "127.0.24.2:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run speaker");
    let mut child = Kill(child);
    let (tx, lines) = mpsc::channel();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });

    let (mut s, mut buf) = accept_session(&listener, 65002, Ipv4Addr::new(10, 0, 0, 9));
    // Wait for the speaker's KEEPALIVE: the session is up on its side.
    loop {
        let m = read_msg(&mut s, &mut buf).expect("the speaker's KEEPALIVE");
        if m[18] == 4 {
            break;
        }
    }
    let prefix = [24, 192, 0, 2];
    let attrs = [
        attr(0x40, 1, &[0]),                      // ORIGIN IGP
        attr(0x40, 2, &[2, 1, 0, 0, 0xfd, 0xea]), // AS_PATH 65002 (4-octet)
        attr(0x40, 3, &[127, 0, 24, 1]),          // NEXT_HOP 127.0.24.1
    ];
    s.write_all(&message(2, &update_body(&[], &attrs, &prefix)))
        .unwrap();
    let wait_for = |want: &str| {
        let mut seen = Vec::new();
        loop {
            match lines.recv_timeout(Duration::from_secs(20)) {
                Ok(l) if l == want => return,
                Ok(l) => seen.push(l),
                Err(_) => panic!("waited for {want:?}, saw {seen:?}"),
            }
        }
    };
    wait_for("fib: add 192.0.2.0/24 via 127.0.24.1");
    s.write_all(&message(2, &update_body(&prefix, &[], &[])))
        .unwrap();
    wait_for("fib: del 192.0.2.0/24");

    // SIGTERM with a route held: a Cease / Administrative Shutdown (6/2)
    // carrying the shutdown communication, the close, a clean exit, and the
    // route's deletion printed on the way out (a FIB hook removes what it
    // installed).
    let other = [24, 198, 51, 100];
    s.write_all(&message(2, &update_body(&[], &attrs, &other)))
        .unwrap();
    wait_for("fib: add 198.51.100.0/24 via 127.0.24.1");
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut notification = None;
    while let Some(m) = read_msg(&mut s, &mut buf) {
        if m[18] == 3 {
            notification = Some(m);
        }
    }
    let n = notification.expect("a NOTIFICATION before the close");
    assert_eq!((n[19], n[20]), (6, 2), "Cease / Administrative Shutdown");
    let text = String::from_utf8_lossy(&n[22..22 + usize::from(n[21])]).into_owned();
    assert_eq!(text, "speaker shutting down");
    let exit = child.0.wait().unwrap();
    assert!(exit.success(), "speaker exited with {exit}");
    let rest: Vec<String> = lines.iter().collect();
    assert_eq!(rest, ["fib: del 198.51.100.0/24"]);
    let _ = std::fs::remove_dir_all(&dir);
}

//! `announcer` against a minimal peer written with bgp-wire on loopback: it
//! announces while its check passes, withdraws when it fails, and on
//! SIGTERM the withdrawal reaches the peer before the Cease and the close.

mod minipeer;

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use bgp_examples::driver::clock;
use bgp_wire::{Message, SessionContext, parse_message};
use minipeer::{Kill, accept_session, read_msg};

/// What the peer saw: `+P` announce, `-P` withdraw, `N6/2` a NOTIFICATION
/// (code/subcode), `EOF`.
fn events(msg: &[u8]) -> Vec<String> {
    match parse_message(msg, &SessionContext::default()) {
        Ok(Message::Update(u)) => u
            .all_withdrawn()
            .map(|n| format!("-{}", n.prefix))
            .chain(u.all_announced().map(|n| format!("+{}", n.prefix)))
            .collect(),
        Ok(Message::Notification(n)) => vec![format!("N{}/{}", n.code.0, n.subcode)],
        _ => vec![],
    }
}

#[test]
fn withdraws_on_check_failure_and_before_exit() {
    let listener = TcpListener::bind("127.0.23.1:0").expect("bind a loopback port");
    let port = listener.local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("announcer-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let flag = dir.join("up");
    std::fs::write(&flag, "").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_announcer"))
        .args(["--asn", "65001", "--router-id", "10.1.0.1"])
        .args(["--neighbor", &format!("127.0.23.1:{port}")])
        .args(["--local-address", "127.0.23.2", "--next-hop", "198.18.23.2"])
        .args(["--address", "198.18.50.1/32", "--address", "198.18.50.2/32"])
        .args(["--check", &format!("test -f {}", flag.display())])
        .args(["--interval", "0.1", "--rise", "1", "--fall", "1"])
        .stderr(Stdio::null())
        .spawn()
        .expect("run announcer");
    let mut child = Kill(child);
    let (mut s, mut buf) = accept_session(&listener, 65001, Ipv4Addr::new(10, 0, 0, 5));

    let mut seen: Vec<String> = Vec::new();
    let mut wait_for = |s: &mut TcpStream, buf: &mut Vec<u8>, want: &[&str]| {
        let deadline = clock() + Duration::from_secs(20);
        while !want.iter().all(|w| seen.iter().any(|x| x == w)) {
            assert!(clock() < deadline, "waited for {want:?}, saw {seen:?}");
            match read_msg(s, buf) {
                Some(m) => seen.extend(events(&m)),
                None => {
                    seen.push("EOF".into());
                    break;
                }
            }
        }
        std::mem::take(&mut seen)
    };
    wait_for(&mut s, &mut buf, &["+198.18.50.1/32", "+198.18.50.2/32"]);
    // The check fails: both addresses are withdrawn, the session stays.
    std::fs::remove_file(&flag).unwrap();
    wait_for(&mut s, &mut buf, &["-198.18.50.1/32", "-198.18.50.2/32"]);
    std::fs::write(&flag, "").unwrap();
    wait_for(&mut s, &mut buf, &["+198.18.50.1/32", "+198.18.50.2/32"]);
    // SIGTERM: withdrawals, then Cease / Administrative Shutdown (6/2), then EOF.
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let tail = wait_for(&mut s, &mut buf, &["EOF"]);
    let pos = |w: &str| tail.iter().position(|x| x == w);
    let (w1, w2, cease) = (pos("-198.18.50.1/32"), pos("-198.18.50.2/32"), pos("N6/2"));
    assert!(
        w1.is_some() && w2.is_some() && cease.is_some() && w1 < cease && w2 < cease,
        "expected the withdrawals before the Cease: {tail:?}"
    );
    let exit = child.0.wait().unwrap();
    assert!(exit.success(), "announcer exited with {exit}");
    let _ = std::fs::remove_dir_all(&dir);
}

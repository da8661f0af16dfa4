//! `speaker --fib-log` against a minimal peer written with bgp-wire on
//! loopback: a route the peer announces and then withdraws is printed as a
//! FIB addition and a deletion. (Without `--fib-log` the speaker keeps no
//! Loc-RIB change stream at all; bgp-rib's
//! `loc_rib_changes_can_be_turned_off` covers that side.)

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use bgp_wire::capability::Capability;
use bgp_wire::open::OpenMessage;
use bgp_wire::{Family, message::KEEPALIVE};

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn read_msg(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    loop {
        if buf.len() >= 19 {
            let len = usize::from(u16::from_be_bytes([buf[16], buf[17]]));
            if buf.len() >= len {
                return Some(buf.drain(..len).collect());
            }
        }
        let mut chunk = [0u8; 4096];
        match s.read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return None,
        }
    }
}

/// An UPDATE with header: `withdrawn`, `attrs` and `nlri` fields as given.
fn update(withdrawn: &[u8], attrs: &[u8], nlri: &[u8]) -> Vec<u8> {
    let mut m = vec![0xff; 16];
    let len = 19 + 2 + withdrawn.len() + 2 + attrs.len() + nlri.len();
    m.extend_from_slice(&(len as u16).to_be_bytes());
    m.push(2);
    m.extend_from_slice(&(withdrawn.len() as u16).to_be_bytes());
    m.extend_from_slice(withdrawn);
    m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    m.extend_from_slice(attrs);
    m.extend_from_slice(nlri);
    m
}

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

    let (mut s, _) = listener.accept().unwrap();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = Vec::new();
    let open = read_msg(&mut s, &mut buf).expect("an OPEN");
    assert_eq!(open[18], 1);
    let mut out = Vec::new();
    OpenMessage::new(
        65002,
        90,
        Ipv4Addr::new(10, 0, 0, 9),
        vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::FourOctetAs(65002),
        ],
    )
    .emit(&mut out)
    .unwrap();
    out.extend_from_slice(&KEEPALIVE);
    s.write_all(&out).unwrap();
    // Wait for the speaker's KEEPALIVE: the session is up on its side.
    loop {
        let m = read_msg(&mut s, &mut buf).expect("the speaker's KEEPALIVE");
        if m[18] == 4 {
            break;
        }
    }
    let prefix = [24, 192, 0, 2];
    let attrs = [
        0x40, 1, 1, 0, // ORIGIN IGP
        0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xea, // AS_PATH 65002 (4-octet)
        0x40, 3, 4, 127, 0, 24, 1, // NEXT_HOP 127.0.24.1
    ];
    s.write_all(&update(&[], &attrs, &prefix)).unwrap();
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
    s.write_all(&update(&prefix, &[], &[])).unwrap();
    wait_for("fib: del 192.0.2.0/24");
    let _ = std::fs::remove_dir_all(&dir);
}

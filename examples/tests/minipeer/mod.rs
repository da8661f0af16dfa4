//! A minimal BGP peer for the example programs' tests, written with
//! bgp-wire on loopback: accept the program's connection, answer its OPEN,
//! and read whole messages.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::Child;
use std::time::Duration;

use bgp_wire::Family;
use bgp_wire::capability::Capability;
use bgp_wire::message::KEEPALIVE;
use bgp_wire::open::OpenMessage;

/// A child process killed on drop.
pub(crate) struct Kill(pub Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The next whole message from `s` (`buf` keeps what was read past it), or
/// `None` once the connection is closed.
pub(crate) fn read_msg(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
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

/// Accepts one connection on `listener`, reads the program's OPEN and
/// answers with ours (AS `asn`, IPv4 unicast, 4-octet AS) and a KEEPALIVE.
/// Returns the connection (reads time out every 100 ms, which `read_msg`
/// rides over) and the bytes read past the OPEN.
pub(crate) fn accept_session(
    listener: &TcpListener,
    asn: u32,
    id: Ipv4Addr,
) -> (TcpStream, Vec<u8>) {
    let (mut s, _) = listener.accept().unwrap();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = Vec::new();
    let open = read_msg(&mut s, &mut buf).expect("an OPEN");
    assert_eq!(open[18], 1, "the first message is an OPEN");
    let mut out = Vec::new();
    OpenMessage::new(
        asn,
        90,
        id,
        vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::FourOctetAs(asn),
        ],
    )
    .emit(&mut out)
    .unwrap();
    out.extend_from_slice(&KEEPALIVE);
    s.write_all(&out).unwrap();
    (s, buf)
}

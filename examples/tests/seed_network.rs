//! The users' seed network with real border routers, on loopback: two FRR
//! borders (AS 65001, each originating a default route), two `speaker`
//! route servers configured in the style of issue 7, three hosts running
//! `announcer` and one ExaBGP host.
//!
//! Checked: both borders learn every host /32 from both route servers with
//! the host as next hop; every host is sent the default by both route
//! servers; a /24 announced by a host is received by the route servers and
//! filtered there; and a /32 moved from one host to another (withdrawn by
//! the first, announced by the second) reaches both borders. The move is
//! timed from the moment it is triggered until both borders hold the new
//! paths (and until FRR has selected them), polling FRR's vty socket
//! directly (no vtysh process per poll).
//!
//! Needs FRR 8.4's bgpd and ExaBGP (Debian: `frr exabgp`), root for port
//! 179, and the loopback addresses 127.77.0.0/16. `.ci/run` runs it:
//! `cargo test -p bgp-examples --test seed_network -- --ignored --nocapture`.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bgp_examples::driver::clock;
use serde_json::Value;

const FRR_BGPD: &str = "/usr/lib/frr/bgpd";
const BORDERS: [&str; 2] = ["127.77.0.1", "127.77.0.2"];
/// The borders' default routes carry these next hops (127/8 next hops are
/// martian to FRR).
const BORDER_NH: [&str; 2] = ["198.18.0.1", "198.18.0.2"];
const RS: [&str; 2] = ["127.77.0.5", "127.77.0.6"];
/// announcer hosts, then the ExaBGP host.
const HOSTS: [&str; 4] = ["127.77.1.1", "127.77.1.2", "127.77.1.3", "127.77.1.4"];
const HOST_NH: [&str; 4] = ["198.18.1.1", "198.18.1.2", "198.18.1.3", "198.18.1.4"];
const HOST_ROUTE: [&str; 4] = [
    "198.18.100.1/32",
    "198.18.100.2/32",
    "198.18.100.3/32",
    "198.18.100.4/32",
];
/// The service address that moves between host 1 and host 2.
const MOVING: &str = "198.18.100.9/32";
/// Announced by host 3 (announcer) and host 4 (ExaBGP); must be filtered.
const FILTERED: [&str; 2] = ["198.18.103.0/24", "198.18.104.0/24"];
const MOVES: usize = 6;

/// A directory removed on drop (kept with `SEED_KEEP=1`).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let p = std::env::temp_dir().join(format!("seed-network-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create a temporary directory");
        Self(p)
    }

    fn sub(&self, name: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::create_dir_all(&p).expect("create a directory");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("SEED_KEEP").is_some() {
            eprintln!("kept {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A process started in its own process group; the group is killed when
/// this is dropped, also while the test panics.
struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(name: &str, mut cmd: Command, log: PathBuf) -> Self {
        let out = std::fs::File::create(&log).expect("create a log file");
        let err = out.try_clone().expect("clone a file handle");
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: cannot start {cmd:?}: {e}"));
        Self {
            name: name.into(),
            child,
            log,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Panics (with the end of its log) if the process has exited.
    fn alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: String = log
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            panic!("{} exited with {status}:\n{tail}", self.name);
        }
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill {sig} {}", self.name);
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // The whole group: ExaBGP's helper processes go with it.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `f` until it returns `Ok`, or panics with its last error.
fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Result<T, String>) -> T {
    let deadline = clock() + limit;
    loop {
        match f() {
            Ok(v) => return v,
            Err(e) if clock() > deadline => panic!("timed out waiting for {what}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// A connection to bgpd's vty socket, spoken to as vtysh does: a command
/// ends with NUL, the answer with three NULs and a status byte.
struct Vty {
    sock: UnixStream,
    buf: Vec<u8>,
}

impl Vty {
    fn connect(dir: &Path) -> Result<Self, String> {
        let path = dir.join("bgpd.vty");
        let sock = UnixStream::connect(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        sock.set_read_timeout(Some(Duration::from_secs(5)))
            .map_err(|e| e.to_string())?;
        Ok(Self {
            sock,
            buf: Vec::with_capacity(1 << 16),
        })
    }

    fn cmd(&mut self, line: &str) -> String {
        let mut req = line.as_bytes().to_vec();
        req.push(0);
        self.sock.write_all(&req).expect("write to the vty");
        self.buf.clear();
        let mut chunk = [0u8; 65536];
        loop {
            let n = self.sock.read(&mut chunk).expect("read from the vty");
            assert!(n > 0, "bgpd closed its vty");
            self.buf.extend_from_slice(&chunk[..n]);
            let l = self.buf.len();
            if l >= 4 && self.buf[l - 4..l - 1] == [0, 0, 0] {
                return String::from_utf8_lossy(&self.buf[..l - 4]).into_owned();
            }
        }
    }

    fn json(&mut self, line: &str) -> Value {
        let out = self.cmd(line);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{line}: {e}: {out}"))
    }
}

/// One path of a border's route: from which route server, to which next hop.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct BorderPath {
    peer: String,
    next_hop: String,
    best: bool,
}

/// The paths bgpd holds for `prefix` (paths FRR marks removed are left out).
fn border_paths(vty: &mut Vty, prefix: &str) -> Vec<BorderPath> {
    let v = vty.json(&format!("show bgp ipv4 unicast {prefix} json"));
    let mut out = Vec::new();
    for p in v["paths"].as_array().map(Vec::as_slice).unwrap_or_default() {
        if p["removed"].as_bool() == Some(true) || p["valid"].as_bool() != Some(true) {
            continue;
        }
        out.push(BorderPath {
            peer: p["peer"]["peerId"].as_str().unwrap_or("?").to_string(),
            next_hop: p["nexthops"][0]["ip"].as_str().unwrap_or("?").to_string(),
            best: p["bestpath"]["overall"].as_bool() == Some(true),
        });
    }
    out.sort();
    out
}

/// Whether a border holds `prefix` from both route servers via `nh` only.
fn via_both(paths: &[BorderPath], nh: &str) -> bool {
    RS.iter()
        .all(|rs| paths.iter().any(|p| p.peer == *rs && p.next_hop == nh))
        && paths.iter().all(|p| p.next_hop == nh)
}

fn start_border(dir: &Path, i: usize) -> Proc {
    let me = BORDERS[i];
    let mut conf = format!(
        "frr defaults traditional\nhostname border{n}\nlog file {log} informational\n!\n\
         route-map DEFAULT permit 10\n set ip next-hop {nh}\n!\n\
         router bgp 65001\n bgp router-id 10.0.0.{n}\n no bgp ebgp-requires-policy\n\
          no bgp network import-check\n bgp log-neighbor-changes\n",
        n = i + 1,
        log = dir.join("bgpd.log").display(),
        nh = BORDER_NH[i],
    );
    for rs in RS {
        conf.push_str(&format!(
            " neighbor {rs} remote-as 65001\n neighbor {rs} update-source {me}\n\
              neighbor {rs} timers connect 1\n neighbor {rs} advertisement-interval 0\n"
        ));
    }
    // Pitfall 4: without zebra, `default-originate route-map` sends NEXT_HOP
    // 0.0.0.0; a `network` statement with the next hop set works.
    conf.push_str(
        " address-family ipv4 unicast\n  network 0.0.0.0/0 route-map DEFAULT\n exit-address-family\n",
    );
    std::fs::write(dir.join("bgpd.conf"), conf).unwrap();
    let mut cmd = Command::new(FRR_BGPD);
    cmd.args(["-Z", "-S", "-f"])
        .arg(dir.join("bgpd.conf"))
        .arg("-i")
        .arg(dir.join("bgpd.pid"))
        .arg("--vty_socket")
        .arg(dir)
        .args(["-p", "179", "-l", me, "-P", "0"]);
    Proc::spawn(&format!("border{}", i + 1), cmd, dir.join("stdout.log"))
}

/// The route server's configuration: the block verbatim, with
/// loopback addresses, plus the hosts' listen range and the prefix-lists.
fn rs_config(i: usize) -> String {
    let me = RS[i];
    format!(
        "ip prefix-list defaultroute seq 5 permit 0.0.0.0/0
ip prefix-list hostroutes seq 5 permit 0.0.0.0/0 ge 32
ip prefix-list alldynamicroutes seq 5 permit 0.0.0.0/0 ge 32
ip prefix-list alldynamicroutes seq 100 deny any
!
router bgp 65001
 bgp router-id {me}
 bgp listen range 127.77.1.0/24 peer-group hosts
 neighbor border peer-group
 neighbor border soft-reconfiguration inbound
 neighbor border update-source {me}
 neighbor border route-server-client
 neighbor border prefix-list defaultroute in
 neighbor border prefix-list alldynamicroutes out
 neighbor {b1} remote-as 65001
 neighbor {b1} peer-group border
 neighbor {b1} description border router 1
 neighbor {b2} remote-as 65001
 neighbor {b2} peer-group border
 neighbor {b2} description border router 2
 neighbor hosts peer-group
 neighbor hosts remote-as 65001
 neighbor hosts soft-reconfiguration inbound
 neighbor hosts update-source {me}
 neighbor hosts route-server-client
 neighbor hosts prefix-list hostroutes in
 neighbor hosts prefix-list defaultroute out
exit
",
        b1 = BORDERS[0],
        b2 = BORDERS[1],
    )
}

fn start_rs(dir: &Path, i: usize) -> (Proc, PathBuf) {
    std::fs::write(dir.join("bgpd.conf"), rs_config(i)).unwrap();
    let control = dir.join("control.sock");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_speaker"));
    cmd.arg("--config")
        .arg(dir.join("bgpd.conf"))
        .args(["--listen", &format!("{}:179", RS[i])])
        .arg("--control")
        .arg(&control);
    (
        Proc::spawn(&format!("rs{}", i + 1), cmd, dir.join("speaker.log")),
        control,
    )
}

fn start_announcer(dir: &Path, i: usize, addresses: &[&str]) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_announcer"));
    cmd.args([
        "--asn",
        "65001",
        "--router-id",
        &format!("10.1.0.{}", i + 1),
    ])
    .args(["--local-address", HOSTS[i], "--next-hop", HOST_NH[i]])
    .args(["--interval", "0.05", "--rise", "1", "--fall", "1"]);
    for rs in RS {
        cmd.args(["--neighbor", rs]);
    }
    for a in addresses {
        cmd.args(["--address", a]);
    }
    Proc::spawn(
        &format!("host{}", i + 1),
        cmd,
        dir.join(format!("host{}.log", i + 1)),
    )
}

fn start_exabgp(dir: &Path) -> Proc {
    let i = 3;
    let rx = dir.join("rx.sh");
    std::fs::write(
        &rx,
        format!("#!/bin/sh\n# stdout stays open: ExaBGP takes a closed one for a dead process\ncat >> {}\n", dir.join("rx.json").display()),
    )
    .unwrap();
    let mut perm = std::fs::metadata(&rx).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&rx, perm).unwrap();
    let mut conf = format!("process rx {{ run {}; encoder json; }}\n", rx.display());
    for (k, rs) in RS.iter().enumerate() {
        conf.push_str(&format!(
            "neighbor {rs} {{\n  router-id 10.1.0.4; local-address {me}; local-as 65001; peer-as 65001;\n\
             \x20 connect 179; hold-time 90;\n  family {{ ipv4 unicast; }}\n\
             \x20 api rx{k} {{ processes [ rx ]; neighbor-changes; receive {{ parsed; update; }} }}\n\
             \x20 static {{\n    route {r} next-hop {nh};\n    route {f} next-hop {nh};\n  }}\n}}\n",
            me = HOSTS[i],
            r = HOST_ROUTE[i],
            f = FILTERED[1],
            nh = HOST_NH[i],
        ));
    }
    std::fs::write(dir.join("exabgp.conf"), conf).unwrap();
    let mut cmd = Command::new("exabgp");
    cmd.env("exabgp.daemon.user", "root")
        .env("exabgp.daemon.daemonize", "false")
        .env("exabgp.api.ack", "false")
        .env("exabgp.tcp.bind", "")
        .env("exabgp.tcp.port", "179")
        .env("exabgp.api.pipename", "exabgp-seed-network")
        .env("exabgp.log.destination", dir.join("exabgp.log"))
        .arg(dir.join("exabgp.conf"));
    Proc::spawn("exabgp", cmd, dir.join("exabgp.out"))
}

/// `speaker ctl --control PATH ARGS... --json`, parsed.
fn ctl(control: &Path, args: &str) -> Result<Value, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_speaker"))
        .arg("ctl")
        .arg("--control")
        .arg(control)
        .args(args.split_whitespace())
        .arg("--json")
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "speaker ctl {args}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("speaker ctl {args}: {e}"))
}

/// (prefix, next hop) of each route in a `show neighbor ... --json` answer.
fn routes(v: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["routes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|r| {
            (
                r["prefix"].as_str().unwrap_or("?").to_string(),
                r["next_hop"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Prefixes the ExaBGP host was sent by route server `rs` (announced and not
/// withdrawn since), with their next hops, from its JSON feed.
fn exabgp_received(dir: &Path, rs: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir.join("rx.json")).unwrap_or_default();
    let mut held = std::collections::BTreeMap::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if v["type"] != "update" || v["neighbor"]["address"]["peer"] != rs {
            continue;
        }
        let update = &v["neighbor"]["message"]["update"];
        if let Some(fams) = update["withdraw"].as_object() {
            for list in fams.values() {
                for n in list.as_array().map(Vec::as_slice).unwrap_or_default() {
                    held.remove(n["nlri"].as_str().unwrap_or("?"));
                }
            }
        }
        if let Some(fams) = update["announce"].as_object() {
            for by_nh in fams.values() {
                for (nh, list) in by_nh.as_object().into_iter().flatten() {
                    for n in list.as_array().map(Vec::as_slice).unwrap_or_default() {
                        held.insert(n["nlri"].as_str().unwrap_or("?").to_string(), nh.clone());
                    }
                }
            }
        }
    }
    held.into_iter().collect()
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Until both borders hold `MOVING` from both route servers via `nh` only:
/// the time each border first held the new paths and first had one of them
/// selected as best, measured from `t0`.
fn time_move(
    vtys: &mut [Vty; 2],
    nh: &str,
    t0: std::time::Instant,
) -> Result<([Duration; 2], [Duration; 2]), String> {
    let mut held = [None; 2];
    let mut best = [None; 2];
    let limit = Duration::from_secs(10);
    loop {
        for (b, vty) in vtys.iter_mut().enumerate() {
            if held[b].is_some() && best[b].is_some() {
                continue;
            }
            let paths = border_paths(vty, MOVING);
            let now = clock() - t0;
            if held[b].is_none() && via_both(&paths, nh) {
                held[b] = Some(now);
            }
            if best[b].is_none() && via_both(&paths, nh) && paths.iter().any(|p| p.best) {
                best[b] = Some(now);
            }
        }
        if let ([Some(h0), Some(h1)], [Some(b0), Some(b1)]) = (held, best) {
            return Ok(([h0, h1], [b0, b1]));
        }
        if clock() - t0 > limit {
            let p0 = border_paths(&mut vtys[0], MOVING);
            let p1 = border_paths(&mut vtys[1], MOVING);
            return Err(format!(
                "after {limit:?} the borders hold {MOVING} as {p0:?} and {p1:?}, want via {nh}"
            ));
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[test]
#[ignore = "needs FRR and ExaBGP (run by .ci/run)"]
fn seed_network_with_frr_borders() {
    assert!(
        Path::new(FRR_BGPD).exists() && have("exabgp"),
        "needs FRR's bgpd ({FRR_BGPD}) and exabgp: apt-get install frr exabgp"
    );
    let tmp = TempDir::new();
    let border_dirs = [tmp.sub("border1"), tmp.sub("border2")];
    let rs_dirs = [tmp.sub("rs1"), tmp.sub("rs2")];
    let hosts_dir = tmp.sub("hosts");
    let exa_dir = tmp.sub("exabgp");

    let mut procs: Vec<Proc> = Vec::new();
    let mut controls = Vec::new();
    for (i, d) in rs_dirs.iter().enumerate() {
        let (p, c) = start_rs(d, i);
        procs.push(p);
        controls.push(c);
    }
    // The route servers are passive toward the hosts (a listen range): a
    // host that connects before its route server listens is refused and
    // tries again only after ConnectRetry (120 s), longer than the waits
    // below. `speaker` binds its listeners before its control socket.
    for c in &controls {
        wait_for(
            "a route server's control socket",
            Duration::from_secs(10),
            || {
                if c.exists() {
                    Ok(())
                } else {
                    Err(format!("{} missing", c.display()))
                }
            },
        );
    }
    for (i, d) in border_dirs.iter().enumerate() {
        procs.push(start_border(d, i));
    }
    // Host 1 and host 2 both carry the moving address (host 2 starts
    // drained of it below); host 3 also announces a /24.
    let mut h1 = start_announcer(&hosts_dir, 0, &[HOST_ROUTE[0], MOVING]);
    let mut h2 = start_announcer(&hosts_dir, 1, &[HOST_ROUTE[1], MOVING]);
    procs.push(start_announcer(
        &hosts_dir,
        2,
        &[HOST_ROUTE[2], FILTERED[0]],
    ));
    procs.push(start_exabgp(&exa_dir));

    let mut vtys = border_dirs
        .clone()
        .map(|d| wait_for("bgpd's vty", Duration::from_secs(10), || Vty::connect(&d)));

    // 1. Both borders learn every host /32 from both route servers, with the
    //    host as next hop, and nothing else but their own default.
    wait_for(
        "every host route at both borders via both route servers",
        Duration::from_secs(60),
        || {
            for p in procs.iter_mut().chain([&mut h1, &mut h2]) {
                p.alive();
            }
            for (b, vty) in vtys.iter_mut().enumerate() {
                for (h, prefix) in HOST_ROUTE.iter().enumerate() {
                    let paths = border_paths(vty, prefix);
                    if !via_both(&paths, HOST_NH[h]) {
                        return Err(format!("border{} has {prefix} as {paths:?}", b + 1));
                    }
                }
            }
            Ok(())
        },
    );
    for (b, vty) in vtys.iter_mut().enumerate() {
        let table = vty.json("show bgp ipv4 unicast json");
        let mut prefixes: Vec<&str> = table["routes"]
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        prefixes.sort_unstable();
        let mut want: Vec<&str> = HOST_ROUTE.to_vec();
        want.extend(["0.0.0.0/0", MOVING]);
        want.sort_unstable();
        assert_eq!(prefixes, want, "border{} holds exactly these", b + 1);
        println!(
            "border{}: every host /32 via both route servers, host next hops",
            b + 1
        );
    }

    // 2. Every host is sent the default by both route servers, and nothing
    //    else. Announcer hosts: the route servers' Adj-RIB-Out; the ExaBGP
    //    host: what it received.
    for (r, control) in controls.iter().enumerate() {
        for h in &HOSTS[..3] {
            let got = wait_for(
                "the default in Adj-RIB-Out",
                Duration::from_secs(20),
                || {
                    let got = routes(&ctl(
                        control,
                        &format!("show neighbor {h} advertised-routes"),
                    )?);
                    match got.as_slice() {
                        [(p, nh)] if p == "0.0.0.0/0" && BORDER_NH.contains(&nh.as_str()) => {
                            Ok(got)
                        }
                        _ => Err(format!("rs{} advertises {got:?} to {h}", r + 1)),
                    }
                },
            );
            println!("rs{} -> {h}: {got:?}", r + 1);
        }
        let rs = RS[r];
        let got = wait_for("the ExaBGP host's default", Duration::from_secs(20), || {
            let got = exabgp_received(&exa_dir, rs);
            match got.as_slice() {
                [(p, nh)] if p == "0.0.0.0/0" && BORDER_NH.contains(&nh.as_str()) => Ok(got),
                _ => Err(format!("ExaBGP host has {got:?} from {rs}")),
            }
        });
        println!("rs{} -> {} (ExaBGP): {got:?}", r + 1, HOSTS[3]);
    }

    // 3. The /24s are received by the route servers and filtered there.
    for (r, control) in controls.iter().enumerate() {
        for (h, f) in [(HOSTS[2], FILTERED[0]), (HOSTS[3], FILTERED[1])] {
            let rx = routes(&ctl(control, &format!("show neighbor {h} received-routes")).unwrap());
            assert!(
                rx.iter().any(|(p, _)| p == f),
                "rs{} never received {f} from {h}: {rx:?}",
                r + 1
            );
        }
        let rib = ctl(control, "show rib").unwrap();
        let held: Vec<&str> = rib["routes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["prefix"].as_str())
            .collect();
        for f in FILTERED {
            assert!(!held.contains(&f), "rs{} accepted {f}", r + 1);
        }
    }
    println!("the hosts' /24s reached the route servers and were filtered");

    // 4. The move. Host 2 is drained first, so only host 1 holds the
    //    address; then each move drains one host and undrains the other at
    //    the same moment, and waits for both borders.
    h2.signal("-USR2"); // no-op if not drained; makes the starting state explicit
    h2.signal("-USR1");
    wait_for(
        "the moving address via host 1 only",
        Duration::from_secs(20),
        || {
            for (b, vty) in vtys.iter_mut().enumerate() {
                let paths = border_paths(vty, MOVING);
                if !via_both(&paths, HOST_NH[0]) {
                    return Err(format!("border{} has {MOVING} as {paths:?}", b + 1));
                }
            }
            Ok(())
        },
    );
    let mut held_ms = Vec::new();
    let mut best_ms = Vec::new();
    for m in 0..MOVES {
        let (from, to, to_nh) = if m % 2 == 0 {
            (&h1, &h2, HOST_NH[1])
        } else {
            (&h2, &h1, HOST_NH[0])
        };
        let script = format!("kill -USR1 {}; kill -USR2 {}", from.pid(), to.pid());
        let t0 = clock();
        let ok = Command::new("sh")
            .args(["-c", &script])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "{script}");
        // Signals are sent by then: this is an upper bound on the part of
        // the figure spent starting `sh` and `kill`.
        let trigger = clock() - t0;
        let (held, best) = time_move(&mut vtys, to_nh, t0).unwrap();
        println!(
            "move {}: {MOVING} {} -> {}: held by border1/border2 after {:.2}/{:.2} ms, selected after {:.2}/{:.2} ms (signals sent within {:.2} ms)",
            m + 1,
            from.name,
            to.name,
            ms(held[0]),
            ms(held[1]),
            ms(best[0]),
            ms(best[1]),
            ms(trigger)
        );
        held_ms.push(ms(held[0].max(held[1])));
        best_ms.push(ms(best[0].max(best[1])));
        // Let the network settle (the old host's paths gone everywhere).
        std::thread::sleep(Duration::from_millis(200));
    }
    held_ms.sort_by(f64::total_cmp);
    best_ms.sort_by(f64::total_cmp);
    println!(
        "move time over {MOVES} moves (both borders, from the trigger): held median {:.2} ms \
         (min {:.2}, max {:.2}); selected by FRR median {:.2} ms (min {:.2}, max {:.2}); target < 5 ms",
        held_ms[MOVES / 2],
        held_ms[0],
        held_ms[MOVES - 1],
        best_ms[MOVES / 2],
        best_ms[0],
        best_ms[MOVES - 1],
    );
    for p in procs.iter_mut().chain([&mut h1, &mut h2]) {
        p.alive();
    }
}

//! `announcer`: the host agent of the users' design. It peers with one or
//! more route servers and announces the host's service addresses while a
//! health check passes; it withdraws them when the check fails, and on
//! SIGTERM withdraws them and waits until the withdrawal is written before
//! it exits, so an address never stays announced after its service is gone.
//!
//! ```text
//! announcer --asn N --router-id A --neighbor ADDR[:PORT]... --address PREFIX...
//!           [--peer-as N] [--local-address A] [--next-hop A]
//!           [--check CMD] [--interval S] [--rise N] [--fall N] [--hold S]
//! ```
//!
//! SIGUSR1 drains the host (withdraw, keep the sessions, stay withdrawn
//! whatever the check says); SIGUSR2 ends the drain (announce again at once
//! if the check is passing).
//!
//! The BGP side is the same [`Router`] as `speaker`'s, configured with the
//! FRR text this program writes from its arguments (printed with
//! `--print-config`).

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use bgp_examples::driver::{Driver, clock};
use bgp_examples::router::Router;
use bgp_wire::RouteAttrs;
use bgp_wire::attr::NextHop;
use ipnet::IpNet;
use tokio::signal::unix::{SignalKind, signal};

const USAGE: &str =
    "usage: announcer --asn N --router-id A --neighbor ADDR[:PORT]... --address PREFIX...
                 [--peer-as N] [--local-address A] [--next-hop A]
                 [--check CMD] [--interval S] [--rise N] [--fall N] [--hold S] [--print-config]
SIGUSR1 drains (withdraw, stay withdrawn), SIGUSR2 ends the drain.";

struct Args {
    asn: u32,
    router_id: String,
    neighbors: Vec<SocketAddr>,
    addresses: Vec<IpNet>,
    peer_as: Option<u32>,
    local: Option<IpAddr>,
    next_hop: Option<IpAddr>,
    check: Option<String>,
    interval: Duration,
    rise: u32,
    fall: u32,
    hold: u16,
    print_config: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        asn: 0,
        router_id: String::new(),
        neighbors: Vec::new(),
        addresses: Vec::new(),
        peer_as: None,
        local: None,
        next_hop: None,
        check: None,
        interval: Duration::from_secs(2),
        rise: 2,
        fall: 2,
        hold: 9,
        print_config: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(f) = it.next() {
        let mut v = || {
            it.next()
                .ok_or_else(|| format!("{f} needs a value\n{USAGE}"))
        };
        let bad = |f: &str, v: &str| format!("{f}: cannot read '{v}'");
        match f.as_str() {
            "--asn" => {
                let s = v()?;
                a.asn = s.parse().map_err(|_| bad(&f, &s))?;
            }
            "--router-id" => a.router_id = v()?,
            "--neighbor" => {
                let s = v()?;
                let addr = s
                    .parse::<SocketAddr>()
                    .or_else(|_| s.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 179)))
                    .map_err(|_| bad(&f, &s))?;
                a.neighbors.push(addr);
            }
            "--address" => {
                let s = v()?;
                let p = s
                    .parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| bad(&f, &s))?;
                a.addresses.push(p);
            }
            "--peer-as" => {
                let s = v()?;
                a.peer_as = Some(s.parse().map_err(|_| bad(&f, &s))?);
            }
            "--local-address" => {
                let s = v()?;
                a.local = Some(s.parse().map_err(|_| bad(&f, &s))?);
            }
            "--next-hop" => {
                let s = v()?;
                a.next_hop = Some(s.parse().map_err(|_| bad(&f, &s))?);
            }
            "--check" => a.check = Some(v()?),
            "--interval" => {
                let s = v()?;
                let secs: f64 = s.parse().map_err(|_| bad(&f, &s))?;
                a.interval = Duration::from_secs_f64(secs.max(0.01));
            }
            "--rise" => {
                let s = v()?;
                a.rise = s.parse::<u32>().map_err(|_| bad(&f, &s))?.max(1);
            }
            "--fall" => {
                let s = v()?;
                a.fall = s.parse::<u32>().map_err(|_| bad(&f, &s))?.max(1);
            }
            "--hold" => {
                let s = v()?;
                a.hold = s.parse().map_err(|_| bad(&f, &s))?;
            }
            "--print-config" => a.print_config = true,
            "-h" | "--help" => return Err(USAGE.into()),
            _ => return Err(format!("unknown argument {f}\n{USAGE}")),
        }
    }
    if a.asn == 0 || a.router_id.is_empty() || a.neighbors.is_empty() || a.addresses.is_empty() {
        return Err(format!(
            "--asn, --router-id, --neighbor and --address are required\n{USAGE}"
        ));
    }
    Ok(a)
}

/// The FRR configuration the arguments mean: one iBGP (or eBGP) session
/// per route server, nothing accepted from them but a default route.
fn config(a: &Args) -> String {
    let mut s = format!(
        "ip prefix-list defaultroute seq 5 permit 0.0.0.0/0\nipv6 prefix-list defaultroute6 seq 5 permit ::/0\n\
         router bgp {}\n bgp router-id {}\n no bgp ebgp-requires-policy\n",
        a.asn, a.router_id
    );
    let remote = a.peer_as.map_or("internal".to_string(), |p| p.to_string());
    for n in &a.neighbors {
        let ip = n.ip();
        s.push_str(&format!(" neighbor {ip} remote-as {remote}\n"));
        if n.port() != 179 {
            s.push_str(&format!(" neighbor {ip} port {}\n", n.port()));
        }
        let ka = (a.hold / 3).max(1);
        s.push_str(&format!(" neighbor {ip} timers {ka} {}\n", a.hold));
        if let Some(l) = a.local {
            s.push_str(&format!(" neighbor {ip} update-source {l}\n"));
        }
        s.push_str(&format!(" neighbor {ip} prefix-list defaultroute in\n"));
    }
    if a.addresses.iter().any(|p| matches!(p, IpNet::V6(_))) {
        s.push_str(" address-family ipv6 unicast\n");
        for n in &a.neighbors {
            s.push_str(&format!(
                "  neighbor {} activate\n  neighbor {} prefix-list defaultroute6 in\n",
                n.ip(),
                n.ip()
            ));
        }
        s.push_str(" exit-address-family\n");
    }
    s.push_str("exit\n");
    s
}

/// Runs the health check once: success when the command exits 0 within
/// the interval (no check: always healthy).
async fn healthy(check: Option<&str>, limit: Duration) -> bool {
    let Some(cmd) = check else { return true };
    let child = tokio::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .kill_on_drop(true)
        .stdin(std::process::Stdio::null())
        .status();
    matches!(tokio::time::timeout(limit, child).await, Ok(Ok(s)) if s.success())
}

fn main() -> ExitCode {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let text = config(&a);
    if a.print_config {
        print!("{text}");
        return ExitCode::SUCCESS;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    rt.block_on(run(a, text))
}

async fn run(a: Args, text: String) -> ExitCode {
    let mut router = match Router::from_text(&text, clock(), u64::from(std::process::id())) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("announcer: {e}\n{text}");
            return ExitCode::from(2);
        }
    };
    // The agent programs no FIB.
    router.set_fib_output(false);
    let mut driver = Driver::new(router);
    let (Ok(mut term), Ok(mut int), Ok(mut usr1), Ok(mut usr2)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::user_defined1()),
        signal(SignalKind::user_defined2()),
    ) else {
        eprintln!("announcer: cannot install signal handlers");
        return ExitCode::from(2);
    };
    let attrs = || RouteAttrs {
        next_hop: a.next_hop.map(|ip| match ip {
            IpAddr::V4(v4) => NextHop::V4(v4),
            IpAddr::V6(global) => NextHop::V6 {
                global,
                link_local: None,
            },
        }),
        ..RouteAttrs::default()
    };
    let (mut ok_run, mut fail_run, mut announced, mut drained) = (0u32, 0u32, false, false);
    let mut tick = tokio::time::interval(a.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = driver.step() => {}
            _ = tick.tick() => {
                let up = healthy(a.check.as_deref(), a.interval).await;
                if up { ok_run += 1; fail_run = 0 } else { fail_run += 1; ok_run = 0 }
                let now = clock();
                if !announced && !drained && ok_run >= a.rise {
                    for p in &a.addresses {
                        driver.router.announce(now, *p, attrs());
                    }
                    announced = true;
                    eprintln!("announcer: check passing: announcing {:?}", a.addresses);
                } else if announced && fail_run >= a.fall {
                    for p in &a.addresses {
                        driver.router.withdraw(now, *p);
                    }
                    announced = false;
                    eprintln!("announcer: check failing: withdrew {:?}", a.addresses);
                }
                driver.drain();
            }
            _ = usr1.recv() => {
                drained = true;
                if announced {
                    let now = clock();
                    for p in &a.addresses {
                        driver.router.withdraw(now, *p);
                    }
                    announced = false;
                    driver.drain();
                }
                eprintln!("announcer: drained: {:?} withdrawn", a.addresses);
            }
            _ = usr2.recv() => {
                drained = false;
                if !announced && ok_run >= a.rise {
                    let now = clock();
                    for p in &a.addresses {
                        driver.router.announce(now, *p, attrs());
                    }
                    announced = true;
                    driver.drain();
                }
                eprintln!("announcer: drain ended (announced: {announced})");
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    // Withdraw first, then close: the writers send in order, and shutdown
    // waits until they have written everything.
    let now = clock();
    for p in &a.addresses {
        driver.router.withdraw(now, *p);
    }
    driver.drain();
    driver
        .shutdown("announcer stopping", Duration::from_secs(5))
        .await;
    eprintln!(
        "announcer: withdrew {:?} and closed the sessions",
        a.addresses
    );
    ExitCode::SUCCESS
}

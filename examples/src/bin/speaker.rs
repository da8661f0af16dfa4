//! `speaker`: a BGP daemon configured with FRR's syntax, built from the
//! sans-IO crates on tokio sockets. See examples/README.md.
//!
//! ```text
//! speaker --config FILE [--listen ADDR:PORT]... [--control PATH] [--fib-log] [--quiet]
//! speaker ctl --control PATH COMMAND...
//! ```
//!
//! It never touches the kernel's routing table; `--fib-log` prints the
//! Loc-RIB changes a FIB would be programmed with.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bgp_examples::ctl::{self, Request};
use bgp_examples::driver::{Driver, Input};
use bgp_examples::router::{Router, parse_config};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, UnixListener, UnixStream};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, oneshot};

const USAGE: &str =
    "usage: speaker --config FILE [--listen ADDR:PORT]... [--control PATH] [--fib-log] [--quiet]
       speaker ctl --control PATH COMMAND...
commands: show summary [--json] | show rib [ipv4|ipv6|summary] [--json]
          show neighbor ADDR received-routes|advertised-routes [--json]
          announce route PREFIX next-hop ADDR [as-path ASN...] [community C...]
                   [large-community G:L1:L2...] [local-pref N] [med N] [origin O]
          withdraw route PREFIX | clear neighbor ADDR [soft in|out] | reload";

struct Args {
    config: PathBuf,
    listen: Vec<SocketAddr>,
    control: Option<PathBuf>,
    fib_log: bool,
    quiet: bool,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        config: PathBuf::new(),
        listen: Vec::new(),
        control: None,
        fib_log: false,
        quiet: false,
    };
    let mut config = None;
    let mut it = args.iter();
    while let Some(f) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{f} needs a value\n{USAGE}"))
        };
        match f.as_str() {
            "--config" => config = Some(PathBuf::from(value()?)),
            "--listen" => {
                let v = value()?;
                a.listen.push(
                    v.parse()
                        .map_err(|_| format!("--listen: not ADDR:PORT: {v}"))?,
                );
            }
            "--control" => a.control = Some(value()?.into()),
            "--fib-log" => a.fib_log = true,
            "--quiet" => a.quiet = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    a.config = config.ok_or_else(|| format!("--config is required\n{USAGE}"))?;
    if a.listen.is_empty() {
        a.listen.push("0.0.0.0:179".parse().expect("literal"));
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if args.first().map(String::as_str) == Some("ctl") {
        return rt.block_on(ctl_client(&args[1..]));
    }
    let a = match parse_args(&args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    rt.block_on(run(a))
}

/// `speaker ctl`: sends one command line, prints the answer.
async fn ctl_client(args: &[String]) -> ExitCode {
    let (path, cmd) = match args {
        [flag, path, cmd @ ..] if flag == "--control" && !cmd.is_empty() => (path, cmd.join(" ")),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut s = match UnixStream::connect(path).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("speaker ctl: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    if s.write_all(format!("{cmd}\n").as_bytes()).await.is_err() {
        return ExitCode::FAILURE;
    }
    let _ = s.shutdown().await;
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer).await;
    if let Some(e) = answer.strip_prefix("error: ") {
        eprint!("speaker ctl: {e}");
        return ExitCode::FAILURE;
    }
    print!("{answer}");
    ExitCode::SUCCESS
}

fn load(path: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

async fn run(a: Args) -> ExitCode {
    let text = match load(&a.config) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("speaker: {e}");
            return ExitCode::from(2);
        }
    };
    let seed = std::process::id() as u64;
    let mut router = match Router::from_text(&text, bgp_examples::driver::clock(), seed) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("speaker: {}: {e}", a.config.display());
            return ExitCode::from(2);
        }
    };
    // Nothing reads Loc-RIB changes but the FIB log.
    router.set_fib_output(a.fib_log);
    let mut driver = Driver::new(router);
    driver.fib_log = a.fib_log;
    driver.verbose = !a.quiet;
    for addr in &a.listen {
        match TcpListener::bind(addr).await {
            Ok(l) => driver.listen(l),
            Err(e) => {
                eprintln!("speaker: listen {addr}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(path) = &a.control {
        let _ = std::fs::remove_file(path);
        match UnixListener::bind(path) {
            Ok(l) => serve_control(l, driver.sender()),
            Err(e) => {
                eprintln!("speaker: control {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        eprintln!("speaker: cannot install signal handlers");
        return ExitCode::from(2);
    };
    if !a.quiet {
        eprintln!(
            "speaker: AS {} router-id {} listening on {:?}",
            driver.router.asn(),
            driver.router.router_id(),
            a.listen
        );
    }
    loop {
        tokio::select! {
            req = driver.step() => {
                if let Some((line, reply)) = req {
                    let answer = control(&mut driver, &a.config, &line);
                    let _ = reply.send(answer);
                }
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    driver
        .shutdown("speaker shutting down", Duration::from_secs(3))
        .await;
    if let Some(path) = &a.control {
        let _ = std::fs::remove_file(path);
    }
    ExitCode::SUCCESS
}

fn control(driver: &mut Driver, config: &PathBuf, line: &str) -> String {
    let now = bgp_examples::driver::clock();
    let answer = match ctl::execute(&mut driver.router, now, line) {
        Ok(Request::Answer(s)) => Ok(s),
        Ok(Request::Reload) => load(config)
            .and_then(|t| parse_config(&t).map_err(|e| e.to_string()))
            .and_then(|(bgp, pol)| {
                driver
                    .router
                    .reconfigure(now, bgp, Arc::new(pol))
                    .map_err(|e| e.to_string())
            }),
        Err(e) => Err(e),
    };
    driver.drain();
    match answer {
        Ok(s) => s,
        Err(e) => format!("error: {e}\n"),
    }
}

/// Reads one command line per connection and answers it.
fn serve_control(listener: UnixListener, tx: mpsc::UnboundedSender<Input>) {
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (rd, mut wr) = stream.into_split();
                let mut line = String::new();
                if BufReader::new(rd).read_line(&mut line).await.is_err() {
                    return;
                }
                let (otx, orx) = oneshot::channel();
                if tx
                    .send(Input::Control(line.trim().to_string(), otx))
                    .is_err()
                {
                    return;
                }
                if let Ok(answer) = orx.await {
                    let _ = wr.write_all(answer.as_bytes()).await;
                }
                let _ = wr.shutdown().await;
            });
        }
    });
}

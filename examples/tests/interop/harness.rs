//! The interop suite's own harness: temporary directories, daemons killed on
//! drop, polling with deadlines, the `speaker` under test and its control
//! client, and one normalised view of a route for comparing what each
//! implementation shows.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bgp_examples::driver::clock;
use serde_json::Value;

/// A directory removed on drop.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        let base = std::env::temp_dir().join(format!(
            "bgp-interop-{name}-{}-{}",
            std::process::id(),
            clock().elapsed().subsec_nanos()
        ));
        std::fs::create_dir_all(&base).expect("create a temporary directory");
        Self(base)
    }

    pub(crate) fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }

    pub(crate) fn join(&self, file: &str) -> String {
        self.path(file).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("INTEROP_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        } else {
            eprintln!("kept {}", self.0.display());
        }
    }
}

/// A daemon started in its own process group; the whole group is killed
/// when this is dropped (also while a test panics).
pub(crate) struct Proc {
    pub(crate) name: String,
    child: Option<Child>,
}

impl Proc {
    /// Starts `cmd` with stdout and stderr appended to `log`.
    pub(crate) fn spawn(name: &str, mut cmd: Command, log: &Path) -> Self {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("open a log file");
        let err = out.try_clone().expect("clone a file handle");
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: cannot start {cmd:?}: {e}"));
        Self {
            name: name.to_string(),
            child: Some(child),
        }
    }

    /// Whether the process is still running.
    pub(crate) fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Sends `signal` to the process group and waits for the leader to exit
    /// (SIGKILL after `grace`).
    pub(crate) fn kill(&mut self, signal: &str, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        eprintln!("stopping {} (SIG{signal})", self.name);
        let group = format!("-{}", child.id());
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), "--", &group])
            .stderr(Stdio::null())
            .status();
        let deadline = clock() + grace;
        while clock() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Whatever is left of the group (forked helpers included).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill("TERM", Duration::from_secs(2));
    }
}

/// Polls `f` every 100 ms until it returns `Some`, or panics with `what` and
/// the last state `show` gives after `secs`.
pub(crate) fn wait_for<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = clock() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            clock() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs a command, returning stdout (and panicking with stderr on failure
/// when `must` is set).
pub(crate) fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{cmd:?}: {}: {}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        ))
    }
}

pub(crate) fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

//----------- Routes -------------------------------------------------------

/// What the suite compares of a route, normalised across implementations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) prefix: String,
    pub(crate) as_path: String,
    /// `igp`, `egp` or `incomplete`.
    pub(crate) origin: String,
    pub(crate) med: Option<u32>,
    pub(crate) local_pref: Option<u32>,
    /// Sorted `A:B`.
    pub(crate) communities: Vec<String>,
    /// Sorted `G:L1:L2`.
    pub(crate) large_communities: Vec<String>,
    /// Our speaker's stale mark (graceful restart); always false elsewhere.
    pub(crate) stale: bool,
}

impl Route {
    pub(crate) fn new(prefix: &str, as_path: &str, origin: &str) -> Self {
        Self {
            prefix: prefix.to_string(),
            as_path: as_path.to_string(),
            origin: origin.to_string(),
            ..Self::default()
        }
    }

    pub(crate) fn med(mut self, m: u32) -> Self {
        self.med = Some(m);
        self
    }

    pub(crate) fn local_pref(mut self, l: u32) -> Self {
        self.local_pref = Some(l);
        self
    }

    pub(crate) fn communities(mut self, c: &[&str]) -> Self {
        self.communities = c.iter().map(|s| s.to_string()).collect();
        self.communities.sort();
        self
    }

    pub(crate) fn large(mut self, c: &[&str]) -> Self {
        self.large_communities = c.iter().map(|s| s.to_string()).collect();
        self.large_communities.sort();
        self
    }

    /// The words of `speaker ctl announce route`.
    pub(crate) fn announce_args(&self, next_hop: &str) -> String {
        let mut s = format!("announce route {} next-hop {next_hop}", self.prefix);
        if !self.as_path.is_empty() {
            let _ = write!(s, " as-path {}", self.as_path);
        }
        let _ = write!(s, " origin {}", self.origin);
        if let Some(m) = self.med {
            let _ = write!(s, " med {m}");
        }
        if let Some(l) = self.local_pref {
            let _ = write!(s, " local-pref {l}");
        }
        if !self.communities.is_empty() {
            let _ = write!(s, " community {}", self.communities.join(" "));
        }
        if !self.large_communities.is_empty() {
            let _ = write!(s, " large-community {}", self.large_communities.join(" "));
        }
        s
    }

    /// This route as a peer shows it after crossing a session: `as_path`
    /// as given, and local-pref only kept over iBGP.
    pub(crate) fn seen_as(&self, as_path: &str, ibgp: bool) -> Self {
        let mut r = self.clone();
        r.as_path = as_path.to_string();
        if !ibgp {
            r.local_pref = None;
        }
        r
    }
}

pub(crate) fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Normalises an origin name (`IGP`, `i`, `Incomplete`, `?`…).
pub(crate) fn origin_name(s: &str) -> String {
    match s.trim().to_ascii_lowercase().as_str() {
        "i" | "igp" => "igp",
        "e" | "egp" => "egp",
        "?" | "incomplete" => "incomplete",
        other => return other.to_string(),
    }
    .to_string()
}

//----------- The speaker under test ----------------------------------------

/// A `speaker` process with its configuration file and control socket.
pub(crate) struct Speaker {
    pub(crate) name: String,
    pub(crate) config: PathBuf,
    pub(crate) control: PathBuf,
    pub(crate) log: PathBuf,
    listen: Vec<String>,
    proc: Option<Proc>,
}

impl Speaker {
    pub(crate) fn start(dir: &TempDir, name: &str, config: &str, listen: &[String]) -> Self {
        let mut s = Self {
            name: name.to_string(),
            config: dir.path(&format!("{name}.conf")),
            control: dir.path(&format!("{name}.ctl")),
            log: dir.path(&format!("{name}.log")),
            listen: listen.to_vec(),
            proc: None,
        };
        std::fs::write(&s.config, config).expect("write the speaker's config");
        s.launch();
        s
    }

    fn launch(&mut self) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_speaker"));
        cmd.arg("--config")
            .arg(&self.config)
            .arg("--control")
            .arg(&self.control);
        for l in &self.listen {
            cmd.args(["--listen", l]);
        }
        self.proc = Some(Proc::spawn(&self.name, cmd, &self.log));
        let ctl = self.control.clone();
        let name = self.name.clone();
        wait_for(10, &format!("{name}'s control socket"), || {
            ctl.exists().then_some(())
        });
    }

    /// Runs `speaker ctl COMMAND`.
    pub(crate) fn ctl(&self, command: &str) -> Result<String, String> {
        run(Command::new(env!("CARGO_BIN_EXE_speaker"))
            .arg("ctl")
            .arg("--control")
            .arg(&self.control)
            .args(command.split_whitespace()))
    }

    pub(crate) fn ctl_ok(&self, command: &str) -> String {
        self.ctl(command)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", self.name, self.log_text()))
    }

    pub(crate) fn json(&self, command: &str) -> Value {
        let out = self.ctl_ok(&format!("{command} --json"));
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{command}: {e}: {out}"))
    }

    /// The neighbor's entry of `show summary --json`.
    pub(crate) fn neighbor(&self, addr: &str) -> Value {
        let want: IpAddr = addr.parse().expect("an address");
        let s = self.json("show summary");
        s["neighbors"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|n| n["address"].as_str().and_then(|a| a.parse().ok()) == Some(want))
            })
            .cloned()
            .unwrap_or(Value::Null)
    }

    pub(crate) fn state(&self, addr: &str) -> String {
        self.neighbor(addr)["state"]
            .as_str()
            .unwrap_or("?")
            .to_string()
    }

    pub(crate) fn established(&self, addr: &str) -> bool {
        self.state(addr) == "Established"
    }

    /// The best path for `prefix` in our Loc-RIB.
    pub(crate) fn route(&self, prefix: &str) -> Option<Route> {
        let rib = self.json("show rib");
        let routes = rib["routes"].as_array()?;
        routes
            .iter()
            .filter(|r| r["prefix"] == prefix)
            .find(|r| r["best"] == true)
            .map(speaker_route)
    }

    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Rewrites the configuration file and runs `ctl reload`.
    pub(crate) fn reload(&mut self, config: &str) -> String {
        std::fs::write(&self.config, config).expect("write the speaker's config");
        self.ctl_ok("reload")
    }
}

fn speaker_route(r: &Value) -> Route {
    let strs = |k: &str| {
        sorted(
            r[k].as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        )
    };
    Route {
        prefix: r["prefix"].as_str().unwrap_or("").to_string(),
        as_path: r["as_path"].as_str().unwrap_or("").to_string(),
        origin: origin_name(r["origin"].as_str().unwrap_or("")),
        med: r["med"].as_u64().map(|v| v as u32),
        local_pref: r["local_pref"].as_u64().map(|v| v as u32),
        communities: strs("communities"),
        large_communities: strs("large_communities"),
        stale: r["stale"] == true,
    }
}

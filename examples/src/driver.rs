//! Putting a [`Router`] on real sockets with tokio: the part of a BGP daemon
//! the sans-IO crates leave to their user, kept in one place so `speaker`
//! and `announcer` share it.
//!
//! One task owns the router. Socket readers, connectors, listeners and the
//! control socket send it [`Input`]s over a channel; after each input it
//! drains [`Router::poll_output`] (bytes go to one writer task per
//! connection) and sleeps until [`Router::poll_timeout`]. The clock is read
//! here, never inside the router.
//!
//! Socket readers send what they read over a channel of their own that holds
//! at most [`READS_IN_FLIGHT`] reads: when the router falls behind, readers
//! wait, the kernel's receive buffer fills and TCP flow control slows the
//! peer down. A peer cannot make us buffer more than that, however fast it
//! sends.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::router::{ConnId, Output, Router};

/// What the router task is told.
pub enum Input {
    /// A listener accepted a connection.
    Accepted(TcpStream, SocketAddr, SocketAddr),
    /// A connection asked for is up.
    Connected(ConnId, TcpStream),
    /// A connection asked for could not be made.
    ConnectFailed(ConnId),
    /// Bytes arrived.
    Data(ConnId, Vec<u8>),
    /// The peer closed the connection, or it broke.
    Closed(ConnId),
    /// A control request, with where to send the answer.
    Control(String, oneshot::Sender<String>),
}

enum Write {
    Data(Vec<u8>),
    Close,
}

struct Conn {
    writer: mpsc::UnboundedSender<Write>,
    reader: JoinHandle<()>,
    writer_task: JoinHandle<()>,
}

/// The router task's state.
pub struct Driver {
    /// The router.
    pub router: Router,
    tx: mpsc::UnboundedSender<Input>,
    rx: mpsc::UnboundedReceiver<Input>,
    /// Socket readers' [`Input::Data`] and [`Input::Closed`], in order per
    /// connection, bounded.
    reads_tx: mpsc::Sender<Input>,
    reads_rx: mpsc::Receiver<Input>,
    conns: HashMap<ConnId, Conn>,
    connecting: HashMap<ConnId, JoinHandle<()>>,
    /// Writers of closed connections still writing their last bytes.
    closing: Vec<JoinHandle<()>>,
    /// Print Loc-RIB changes (`--fib-log`).
    pub fib_log: bool,
    /// Print the router's log lines.
    pub verbose: bool,
}

/// The time now. The I/O layer is where the clock is read (the library
/// crates take `now` from here); this is the one place in the driver.
#[allow(clippy::disallowed_methods)]
pub fn clock() -> Instant {
    Instant::now()
}

/// How many socket reads (of up to 64 KiB each) may wait for the router,
/// over all connections.
pub const READS_IN_FLIGHT: usize = 16;

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl Driver {
    /// A driver for `router`.
    pub fn new(router: Router) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let (reads_tx, reads_rx) = mpsc::channel(READS_IN_FLIGHT);
        Self {
            router,
            tx,
            rx,
            reads_tx,
            reads_rx,
            conns: HashMap::new(),
            connecting: HashMap::new(),
            closing: Vec::new(),
            fib_log: false,
            verbose: true,
        }
    }

    /// A sender for inputs (listeners and the control socket use it).
    pub fn sender(&self) -> mpsc::UnboundedSender<Input> {
        self.tx.clone()
    }

    /// Accepts BGP connections on `listener` for as long as the driver runs.
    pub fn listen(&self, listener: TcpListener) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, remote)) => {
                        let _ = stream.set_nodelay(true);
                        let local = stream.local_addr().unwrap_or(remote);
                        if tx.send(Input::Accepted(stream, remote, local)).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        eprintln!("accept: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        });
    }

    /// Waits for the next input or the router's next deadline, and handles
    /// it. Returns the control request if it is one the driver's owner has
    /// to answer (`None` otherwise).
    pub async fn step(&mut self) -> Option<(String, oneshot::Sender<String>)> {
        self.drain();
        let deadline = self.router.poll_timeout();
        let sleep = async {
            match deadline {
                Some(t) => tokio::time::sleep_until(t.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            input = self.rx.recv() => {
                let input = input.expect("the driver holds a sender");
                return self.handle(input);
            }
            input = self.reads_rx.recv() => {
                let input = input.expect("the driver holds a sender");
                return self.handle(input);
            }
            () = sleep => {
                self.router.handle_timeout(clock());
            }
        }
        None
    }

    fn handle(&mut self, input: Input) -> Option<(String, oneshot::Sender<String>)> {
        let now = clock();
        match input {
            Input::Accepted(stream, remote, local) => {
                if let Some(conn) = self.router.accept(now, remote, local) {
                    self.attach(conn, stream);
                } else if self.verbose {
                    eprintln!("{remote}: connection refused (no such neighbor, or not now)");
                }
            }
            Input::Connected(conn, stream) => {
                // None: the router gave up on this attempt (Output::Close)
                // before it completed; the socket is dropped.
                self.connecting.remove(&conn)?;
                let local = stream.local_addr().ok();
                match local {
                    Some(local) => {
                        self.attach(conn, stream);
                        self.router.connected(now, conn, local);
                    }
                    None => self.router.connect_failed(now, conn),
                }
            }
            Input::ConnectFailed(conn) => {
                self.connecting.remove(&conn);
                self.router.connect_failed(now, conn);
            }
            Input::Data(conn, bytes) => self.router.input(now, conn, &bytes),
            Input::Closed(conn) => {
                if let Some(c) = self.conns.remove(&conn) {
                    let _ = c.writer.send(Write::Close);
                }
                self.router.closed(now, conn);
            }
            Input::Control(line, reply) => return Some((line, reply)),
        }
        None
    }

    fn attach(&mut self, conn: ConnId, stream: TcpStream) {
        let (mut rd, mut wr) = stream.into_split();
        let tx = self.reads_tx.clone();
        let reader = tokio::spawn(async move {
            let mut buf = vec![0u8; 65536];
            loop {
                match rd.read(&mut buf).await {
                    Ok(0) | Err(_) => {
                        let _ = tx.send(Input::Closed(conn)).await;
                        return;
                    }
                    Ok(n) => {
                        if tx.send(Input::Data(conn, buf[..n].to_vec())).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
        let (wtx, mut wrx) = mpsc::unbounded_channel::<Write>();
        let writer_task = tokio::spawn(async move {
            while let Some(w) = wrx.recv().await {
                match w {
                    Write::Data(b) => {
                        if wr.write_all(&b).await.is_err() {
                            return;
                        }
                    }
                    Write::Close => break,
                }
            }
            let _ = wr.shutdown().await;
        });
        self.conns.insert(
            conn,
            Conn {
                writer: wtx,
                reader,
                writer_task,
            },
        );
    }

    /// Carries out everything the router asked for.
    pub fn drain(&mut self) {
        // The FIB lines of one drain go out in one write (a full table
        // going down is a million of them; stdout flushes every line).
        let mut fib = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
        while let Some(o) = self.router.poll_output() {
            match o {
                Output::Connect {
                    conn,
                    remote,
                    local,
                } => self.connect(conn, remote, local),
                Output::Send { conn, bytes } => {
                    if let Some(c) = self.conns.get(&conn) {
                        let _ = c.writer.send(Write::Data(bytes));
                    }
                }
                Output::Close { conn } => {
                    if let Some(c) = self.conns.remove(&conn) {
                        c.reader.abort();
                        let _ = c.writer.send(Write::Close);
                        self.closing.retain(|t| !t.is_finished());
                        self.closing.push(c.writer_task);
                    }
                    if let Some(t) = self.connecting.remove(&conn) {
                        t.abort();
                    }
                }
                Output::Fib(c) => {
                    if self.fib_log {
                        match c.paths.first() {
                            None => {
                                let _ = writeln!(fib, "fib: del {}", c.prefix);
                            }
                            Some(p) => {
                                let nh = match p.attrs.next_hop.as_ref() {
                                    Some(bgp_wire::attr::NextHop::V4(a)) => a.to_string(),
                                    Some(bgp_wire::attr::NextHop::V6 { global, .. }) => {
                                        global.to_string()
                                    }
                                    _ => "-".into(),
                                };
                                let _ = writeln!(fib, "fib: add {} via {nh}", c.prefix);
                            }
                        }
                    }
                }
                Output::Log(line) => {
                    if self.verbose {
                        eprintln!("{line}");
                    }
                }
            }
        }
    }

    fn connect(&mut self, conn: ConnId, remote: SocketAddr, local: Option<IpAddr>) {
        let tx = self.tx.clone();
        let task = tokio::spawn(async move {
            let attempt = async {
                let sock = match remote {
                    SocketAddr::V4(_) => TcpSocket::new_v4()?,
                    SocketAddr::V6(_) => TcpSocket::new_v6()?,
                };
                if let Some(l) = local {
                    sock.bind(SocketAddr::new(l, 0))?;
                }
                let s = sock.connect(remote).await?;
                s.set_nodelay(true)?;
                Ok::<_, std::io::Error>(s)
            };
            match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
                Ok(Ok(s)) => {
                    let _ = tx.send(Input::Connected(conn, s));
                }
                _ => {
                    let _ = tx.send(Input::ConnectFailed(conn));
                }
            }
        });
        self.connecting.insert(conn, task);
    }

    /// Sends every neighbor a Cease with `message`, then waits (up to
    /// `limit`) until every byte has been written and every connection
    /// closed.
    pub async fn shutdown(&mut self, message: &str, limit: Duration) {
        self.router.shutdown(clock(), message);
        self.drain();
        let mut writers: Vec<JoinHandle<()>> = self
            .conns
            .drain()
            .map(|(_, c)| {
                c.reader.abort();
                let _ = c.writer.send(Write::Close);
                c.writer_task
            })
            .collect();
        // Connections the router closed itself (with their NOTIFICATION
        // queued) are still being written too.
        writers.append(&mut self.closing);
        let _ = tokio::time::timeout(limit, async {
            for w in writers {
                let _ = w.await;
            }
        })
        .await;
    }
}

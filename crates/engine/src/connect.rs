//! The connect-probe scheduler: TCP connections through the operating system, for unprivileged host discovery
//! and the connect scan (`-sT`).
//!
//! One loop owns all state (hosts, queues, window); each connection attempt is a task that reports back. The
//! loop launches probes while the congestion window, the rate limits and the per-host scan delay allow, and
//! turns outcomes into [`Fact`]s. Retransmissions are adaptive: a host is allowed one more retransmission than
//! the latest try on which it has ever answered, up to `--max-retries`.

use crate::rtt::RttEstimator;
use crate::window::Window;
use portolan_model::plan::EffectiveTiming;
use portolan_model::{PortState, Reason};
use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::TcpSocket;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// What one connection attempt showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The handshake completed: open (the peer sent SYN/ACK).
    Connected,
    /// ECONNREFUSED: the peer answered with RST.
    Refused,
    /// An ICMP error came back; the reason names it.
    Unreachable(&'static str),
    /// Nothing came back within the timeout.
    Timeout,
    /// A local resource ran out; the probe says nothing about the target and is tried again.
    LocalPressure,
    /// Any other local error, reported as a warning; the port is recorded as filtered with reason `unknown`.
    Error(String),
}

/// Classifies the result of `connect()`.
pub fn classify(r: &io::Result<()>) -> Outcome {
    let e = match r {
        Ok(()) => return Outcome::Connected,
        Err(e) => e,
    };
    if e.kind() == io::ErrorKind::ConnectionRefused {
        return Outcome::Refused;
    }
    // Raw errno values keep this independent of which io::ErrorKind names a given Rust version stabilised.
    match e.raw_os_error() {
        Some(libc_errno::EHOSTUNREACH) => Outcome::Unreachable(Reason::HOST_UNREACH),
        Some(libc_errno::ENETUNREACH) => Outcome::Unreachable(Reason::NET_UNREACH),
        Some(libc_errno::ETIMEDOUT) => Outcome::Timeout,
        Some(libc_errno::EMFILE | libc_errno::ENFILE | libc_errno::EADDRNOTAVAIL | libc_errno::ENOBUFS) => {
            Outcome::LocalPressure
        }
        _ => Outcome::Error(e.to_string()),
    }
}

/// Linux errno values (stable ABI numbers; avoids a libc dependency in this crate).
#[allow(dead_code)]
mod libc_errno {
    pub const ENFILE: i32 = 23;
    pub const EMFILE: i32 = 24;
    pub const ENOBUFS: i32 = 105;
    pub const EADDRNOTAVAIL: i32 = 99;
    pub const ENETUNREACH: i32 = 101;
    pub const ETIMEDOUT: i32 = 110;
    pub const EHOSTUNREACH: i32 = 113;
}

/// What the scheduler does with replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A host is up as soon as any probe is answered; its other probes are dropped.
    Discovery,
    /// Every port gets a final state.
    PortScan,
}

/// Results, in the order they were established.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    Port { host: usize, port: u16, state: PortState, reason: &'static str },
    HostUp { host: usize, reason: &'static str, latency: Duration },
    HostDown { host: usize, reason: &'static str },
    HostTimedOut { host: usize },
    HostDone { host: usize },
    Warning(String),
    Progress { done: u64, total: u64 },
    /// `--packet-trace` line.
    Trace(String),
}

/// Whether `ip` belongs to this machine (namespace). Binding a UDP socket to it succeeds only for a local
/// address; nothing is sent.
pub fn is_own_address(ip: IpAddr) -> bool {
    ip.is_loopback() || std::net::UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

/// Per-host state that lives across discovery and port scanning.
#[derive(Debug)]
pub struct HostCtx {
    pub ip: IpAddr,
    pub rtt: RttEstimator,
    /// Highest try number (0 = first) on which this host ever answered.
    pub max_success_try: u32,
    pub started: Option<Instant>,
    pub timed_out: bool,
    pub latency: Option<Duration>,
    /// The target is one of this machine's own addresses, where the scan's connects can meet each other.
    pub is_local: bool,
    queue: VecDeque<(u16, u32)>,
    outstanding: usize,
    next_send: Instant,
    done: bool,
    up: bool,
    last_unreach: Option<&'static str>,
}

impl HostCtx {
    pub fn new(ip: IpAddr, timing: &EffectiveTiming) -> Self {
        HostCtx {
            ip,
            rtt: RttEstimator::new(timing.min_rtt_timeout, timing.max_rtt_timeout, timing.initial_rtt_timeout),
            max_success_try: 0,
            started: None,
            timed_out: false,
            latency: None,
            is_local: is_own_address(ip),
            queue: VecDeque::new(),
            outstanding: 0,
            next_send: Instant::now(),
            done: false,
            up: false,
            last_unreach: None,
        }
    }
}

/// Limits for one run of the scheduler.
#[derive(Debug, Clone)]
pub struct SchedConfig {
    pub timing: EffectiveTiming,
    /// The most sockets this process may hold at once (from RLIMIT_NOFILE).
    pub socket_cap: usize,
    pub interface: Option<String>,
    /// How often to emit progress.
    pub progress_every: Duration,
    /// Emit a [`Fact::Trace`] for every connection attempt (`--packet-trace`).
    pub trace: bool,
}

/// Set to stop the scan early (Ctrl-C); outstanding probes are abandoned.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

struct Done {
    host: usize,
    port: u16,
    try_no: u32,
    outcome: Outcome,
    elapsed: Duration,
}

/// Source ports of this scan's own connection attempts to local addresses, mapped to their destination ports.
///
/// Scanning the machine itself (loopback or one of its own addresses), two of our attempts can cross (A: x -> y while B: y -> x) and complete each other as a
/// TCP simultaneous open, and an attempt can connect to itself; neither means a listener exists. With
/// thousands of attempts in flight this happens in most `-p-` scans of 127.0.0.1, so such connections are
/// recognised here and reported as what they are: closed ports.
type OwnPorts = Arc<std::sync::Mutex<std::collections::HashMap<u16, u16>>>;

async fn attempt(
    ip: IpAddr,
    port: u16,
    timeout: Duration,
    iface: Option<Arc<str>>,
    own: Option<OwnPorts>,
) -> (Outcome, Duration) {
    let start = Instant::now();
    let sock = match ip {
        IpAddr::V4(_) => TcpSocket::new_v4(),
        IpAddr::V6(_) => TcpSocket::new_v6(),
    };
    let sock = match sock {
        Ok(s) => s,
        Err(e) => return (classify(&Err(e)), start.elapsed()),
    };
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(i) = iface.as_deref()
        && let Err(e) = sock.bind_device(Some(i.as_bytes()))
    {
        return (Outcome::Error(format!("cannot bind to interface {i}: {e}")), start.elapsed());
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = iface;
    if let Some(own) = &own {
        // Bind first so the source port is known before the SYN leaves.
        let any = SocketAddr::new(if ip.is_ipv4() { IpAddr::from([0u8; 4]) } else { IpAddr::from([0u16; 8]) }, 0);
        let bound = sock.bind(any).and_then(|()| sock.local_addr());
        match bound {
            Ok(local) => {
                if let Ok(mut m) = own.lock() {
                    m.insert(local.port(), port);
                }
            }
            Err(e) => return (classify(&Err(e)), start.elapsed()),
        }
    }
    let r = tokio::time::timeout(timeout, sock.connect(SocketAddr::new(ip, port))).await;
    let elapsed = start.elapsed();
    match r {
        Err(_) => (Outcome::Timeout, elapsed),
        Ok(Ok(stream)) => {
            let (local, peer) = (stream.local_addr().ok(), stream.peer_addr().ok());
            let crossed = match (&own, local, peer) {
                (_, Some(l), Some(p)) if l == p => true,
                (Some(own), Some(l), Some(p)) if l.ip() == p.ip() => {
                    own.lock().map(|m| m.get(&p.port()) == Some(&l.port())).unwrap_or(false)
                }
                _ => false,
            };
            (if crossed { Outcome::Refused } else { Outcome::Connected }, elapsed)
        }
        Ok(res) => (classify(&res.map(drop)), elapsed),
    }
}

/// Runs probes to `ports` of every host in `hosts` (for discovery: the discovery ports) until each host has its
/// answer, reporting through `emit`.
pub async fn run(
    hosts: &mut [HostCtx],
    ports: &[u16],
    mode: Mode,
    randomize: bool,
    cfg: &SchedConfig,
    cancel: &Cancel,
    emit: &mut (dyn FnMut(Fact) + Send),
) {
    let t = &cfg.timing;
    let cap = cfg.socket_cap.max(1);
    // Without --max-parallelism, 4096 outstanding connects is plenty for any one link and keeps memory small.
    let max_par = t.max_parallelism.map_or(cap.min(4096), |m| (m as usize).min(cap)).max(1);
    let min_par = (t.min_parallelism as usize).min(max_par);
    // Ten outstanding probes per host to start with: hosts are independent, so a group of silent hosts (a
    // sweep of an empty network) must not queue behind one small window.
    let initial = (10 * hosts.len()).clamp(10, max_par).max(min_par) as u32;
    let mut window = Window::new(initial, min_par as u32, max_par as u32);
    let iface: Option<Arc<str>> = cfg.interface.as_deref().map(Arc::from);
    let own_ports: OwnPorts = Arc::default();

    let now = Instant::now();
    let mut total: u64 = 0;
    for h in hosts.iter_mut() {
        h.done = false;
        h.up = false;
        h.outstanding = 0;
        h.last_unreach = None;
        h.next_send = now;
        h.started.get_or_insert(now);
        let mut order: Vec<u16> = ports.to_vec();
        if randomize {
            use rand::seq::SliceRandom;
            order.shuffle(&mut rand::rng());
        }
        h.queue = order.into_iter().map(|p| (p, 0)).collect();
        total += h.queue.len() as u64;
        if h.timed_out {
            h.queue.clear();
            h.done = true;
        }
    }

    // Hosts not yet finished, and the hosts whose state changed since the last look: checking only those keeps
    // each turn of the loop independent of the group size.
    let mut undone = hosts.iter().filter(|h| !h.done).count();
    let mut to_check: Vec<usize> = (0..hosts.len()).collect();

    let start = Instant::now();
    let mut inflight: JoinSet<Done> = JoinSet::new();
    let mut sent: u64 = 0;
    let mut finished: u64 = 0;
    let mut next_global = start;
    let mut rr = 0usize;
    let mut next_progress = start + cfg.progress_every;
    let mut local_backoff_until = start;

    loop {
        if cancel.is_cancelled() {
            inflight.abort_all();
            return;
        }
        let now = Instant::now();

        // Host timeouts: stop a host that has run too long, as Nmap's --host-timeout does.
        if let Some(limit) = t.host_timeout {
            for (i, h) in hosts.iter_mut().enumerate() {
                if !h.done && h.started.is_some_and(|s| now.duration_since(s) > limit) {
                    h.timed_out = true;
                    h.done = true;
                    undone -= 1;
                    finished += h.queue.len() as u64;
                    h.queue.clear();
                    emit(Fact::HostTimedOut { host: i });
                }
            }
        }

        // Launch what the limits allow.
        let below_min_rate = |sent: u64| {
            t.min_rate.is_some_and(|r| (sent as f64) < r * now.duration_since(start).as_secs_f64())
        };
        while now >= local_backoff_until
            && inflight.len() < cap
            && (inflight.len() < window.allowed() || below_min_rate(sent))
            && now >= next_global
        {
            // Round-robin over hosts that have work and whose scan delay has passed.
            let n = hosts.len();
            let pick = (0..n).map(|k| (rr + k) % n).find(|&i| {
                let h = &hosts[i];
                !h.done && !h.queue.is_empty() && h.next_send <= now
            });
            let Some(i) = pick else { break };
            rr = (i + 1) % n.max(1);
            let h = &mut hosts[i];
            let Some((port, try_no)) = h.queue.pop_front() else { break };
            h.outstanding += 1;
            h.next_send = now + t.scan_delay;
            let timeout = h.rtt.timeout();
            let ip = h.ip;
            let iface = iface.clone();
            let own = h.is_local.then(|| own_ports.clone());
            inflight.spawn(async move {
                let (outcome, elapsed) = attempt(ip, port, timeout, iface, own).await;
                Done { host: i, port, try_no, outcome, elapsed }
            });
            sent += 1;
            if let Some(r) = t.max_rate.filter(|r| *r > 0.0) {
                // The send clock may lag real time by a few milliseconds, so that sleeping past a slot (timers
                // are coarse) is caught up; over any stretch the rate stays at most `r` plus that small burst.
                const CATCH_UP: Duration = Duration::from_millis(5);
                let floor = now.checked_sub(CATCH_UP).unwrap_or(now);
                next_global = next_global.max(floor) + Duration::from_secs_f64(1.0 / r);
            }
        }

        // Finished hosts with nothing outstanding.
        for i in to_check.drain(..) {
            let h = &mut hosts[i];
            if !h.done && h.queue.is_empty() && h.outstanding == 0 {
                h.done = true;
                undone -= 1;
                if mode == Mode::Discovery && !h.up {
                    emit(Fact::HostDown { host: i, reason: h.last_unreach.unwrap_or(Reason::NO_RESPONSE) });
                }
                emit(Fact::HostDone { host: i });
            }
        }
        // Hosts still waiting on their scan delay fall through to the timer below.
        if inflight.is_empty() && undone == 0 {
            emit(Fact::Progress { done: total, total });
            return;
        }

        // Sleep until a reply or the next moment something may be sent. Send times matter only while the
        // window has room: with a full window only a reply (or, with --min-rate, the clock) lets more out, and
        // waking for a send time already past would spin the loop until the next reply.
        let mut wake = next_progress;
        if inflight.len() < cap && inflight.len() < window.allowed() {
            for h in hosts.iter() {
                if !h.done && !h.queue.is_empty() {
                    wake = wake.min(h.next_send.max(next_global));
                }
            }
        }
        if let Some(r) = t.min_rate.filter(|r| *r > 0.0)
            && inflight.len() < cap
        {
            // The moment the rate so far falls below --min-rate.
            wake = wake.min(start + Duration::from_secs_f64(sent as f64 / r));
        }
        if let (Some(limit), Some(s)) = (t.host_timeout, hosts.iter().filter(|h| !h.done).filter_map(|h| h.started).min()) {
            wake = wake.min(s + limit + Duration::from_millis(1));
        }
        wake = wake.max(local_backoff_until);
        let joined = if inflight.is_empty() {
            tokio::time::sleep_until(wake).await;
            None
        } else {
            tokio::select! {
                r = inflight.join_next() => r,
                _ = tokio::time::sleep_until(wake) => None,
            }
        };
        if Instant::now() >= next_progress {
            emit(Fact::Progress { done: finished, total });
            next_progress = Instant::now() + cfg.progress_every;
        }
        let Some(joined) = joined else { continue };
        let d = match joined {
            Ok(d) => d,
            Err(e) => {
                emit(Fact::Warning(format!("internal: a probe task failed: {e}")));
                continue;
            }
        };
        to_check.push(d.host);
        let h = &mut hosts[d.host];
        h.outstanding -= 1;
        if cfg.trace {
            let what = match &d.outcome {
                Outcome::Connected => "Connected".to_owned(),
                Outcome::Refused => "Connection refused".to_owned(),
                Outcome::Unreachable(r) => format!("unreachable ({r})"),
                Outcome::Timeout => format!("no reply in {:.3}s", d.elapsed.as_secs_f64()),
                Outcome::LocalPressure => "local resources exhausted, will retry".to_owned(),
                Outcome::Error(e) => e.clone(),
            };
            let addr = SocketAddr::new(h.ip, d.port);
            emit(Fact::Trace(format!(
                "CONN ({:.4}s) TCP localhost > {addr} => {what}",
                Instant::now().duration_since(start).as_secs_f64()
            )));
        }
        if h.done {
            // Discovery already decided this host, or it timed out.
            continue;
        }
        let answered = matches!(d.outcome, Outcome::Connected | Outcome::Refused | Outcome::Unreachable(_));
        if answered {
            window.on_reply();
            h.rtt.sample(d.elapsed);
            if h.latency.is_none() {
                h.latency = Some(d.elapsed);
            }
            if d.try_no > 0 {
                // A retransmission was answered: the first try was lost.
                window.on_loss();
            }
            h.max_success_try = h.max_success_try.max(d.try_no);
        }
        let allowed_retx = t.max_retries.min(h.max_success_try + 1);
        match (mode, &d.outcome) {
            (_, Outcome::LocalPressure) => {
                window.on_local_pressure();
                local_backoff_until = Instant::now() + Duration::from_millis(5);
                h.queue.push_front((d.port, d.try_no));
                continue;
            }
            (Mode::Discovery, Outcome::Connected | Outcome::Refused) => {
                let reason = if d.outcome == Outcome::Connected { Reason::SYN_ACK } else { Reason::CONN_REFUSED };
                h.up = true;
                h.done = true;
                undone -= 1;
                finished += 1 + h.queue.len() as u64;
                h.queue.clear();
                emit(Fact::HostUp { host: d.host, reason, latency: d.elapsed });
                emit(Fact::HostDone { host: d.host });
                continue;
            }
            (Mode::Discovery, Outcome::Unreachable(r)) => {
                h.last_unreach = Some(r);
            }
            (Mode::PortScan, Outcome::Connected) => {
                emit(Fact::Port { host: d.host, port: d.port, state: PortState::Open, reason: Reason::SYN_ACK })
            }
            (Mode::PortScan, Outcome::Refused) => emit(Fact::Port {
                host: d.host,
                port: d.port,
                state: PortState::Closed,
                reason: Reason::CONN_REFUSED,
            }),
            (Mode::PortScan, Outcome::Unreachable(r)) => {
                emit(Fact::Port { host: d.host, port: d.port, state: PortState::Filtered, reason: r })
            }
            (_, Outcome::Timeout) => {
                if d.try_no < allowed_retx {
                    // Retransmissions go first so a lost probe is settled while its RTT estimate is fresh.
                    h.queue.push_front((d.port, d.try_no + 1));
                    continue;
                }
                // A probe settled by silence freed its slot without any sign of congestion (loss shows as an
                // answered retransmission), so it lets the window grow like a reply: a filtered host or an
                // empty network is not scanned one small window at a time.
                window.on_reply();
                if mode == Mode::PortScan {
                    emit(Fact::Port {
                        host: d.host,
                        port: d.port,
                        state: PortState::Filtered,
                        reason: Reason::NO_RESPONSE,
                    });
                }
            }
            (_, Outcome::Error(msg)) => {
                emit(Fact::Warning(format!("connect to {}:{} failed: {msg}", h.ip, d.port)));
                if mode == Mode::PortScan {
                    emit(Fact::Port {
                        host: d.host,
                        port: d.port,
                        state: PortState::Filtered,
                        reason: Reason::UNKNOWN,
                    });
                }
            }
        }
        finished += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_errno() {
        assert_eq!(classify(&Ok(())), Outcome::Connected);
        assert_eq!(classify(&Err(io::Error::from(io::ErrorKind::ConnectionRefused))), Outcome::Refused);
        assert_eq!(classify(&Err(io::Error::from_raw_os_error(113))), Outcome::Unreachable("host-unreach"));
        assert_eq!(classify(&Err(io::Error::from_raw_os_error(101))), Outcome::Unreachable("net-unreach"));
        assert_eq!(classify(&Err(io::Error::from_raw_os_error(24))), Outcome::LocalPressure);
        assert!(matches!(classify(&Err(io::Error::from_raw_os_error(22))), Outcome::Error(_)));
    }
}

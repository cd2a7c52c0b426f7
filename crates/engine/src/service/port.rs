//! The per-port algorithm: the probe list, the in-order judging of answers (with later probes sent
//! ahead), softmatch narrowing, tcpwrapped, and the restart inside TLS.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use portolan_fingerprint::{ProbeProtocol, ServiceMatch};
use portolan_model::Service;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::tcp::{Answer, LATER_ANSWERED, LATER_MATCHED, ReadLimits};
use super::{Outcome, SharedProbeDb, VersionOptions, fingerprint_text, printable, ssl, tcp, udp};

/// Nmap's `tcpwrappedms` when the NULL probe does not say.
const DEFAULT_TCPWRAPPED: Duration = Duration::from_millis(3000);

pub(crate) struct PortCtx {
    db: SharedProbeDb,
    opts: Arc<VersionOptions>,
    ip: IpAddr,
    port: u16,
    unix_time: u64,
    trace: Vec<String>,
}

/// How one pass over a probe list ended.
enum Pass {
    Hard(ServiceMatch),
    Soft(ServiceMatch),
    Wrapped,
    /// Nothing matched; the answers that had data (probe name, bytes), duplicates left out.
    Nothing(Vec<(String, Vec<u8>)>),
    /// The first connection (or TLS handshake) failed.
    NoConnection,
}

impl PortCtx {
    pub(crate) fn new(
        db: SharedProbeDb,
        opts: Arc<VersionOptions>,
        ip: IpAddr,
        port: u16,
        unix_time: u64,
    ) -> Self {
        PortCtx { db, opts, ip, port, unix_time, trace: Vec::new() }
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip, self.port)
    }

    fn note(&mut self, line: String) {
        tracing::debug!("{line}");
        if self.opts.trace {
            self.trace.push(line);
        }
    }

    fn index_of(&self, p: &portolan_fingerprint::probes::Probe) -> Option<usize> {
        self.db.probes().iter().position(|q| std::ptr::eq(q, p))
    }

    fn probe_list(&self, protocol: ProbeProtocol, ssl: bool) -> Vec<usize> {
        self.db
            .probes_for_port(protocol, self.port, ssl, self.opts.intensity)
            .into_iter()
            .filter_map(|p| self.index_of(p))
            .collect()
    }

    /// A second context for the same port (its own trace), to run a pass alongside this one.
    fn fork(&self) -> PortCtx {
        PortCtx::new(self.db.clone(), self.opts.clone(), self.ip, self.port, self.unix_time)
    }

    /// Whether some TCP probe of the database lists this port in `sslports`: a port where TLS is
    /// expected, so a handshake is tried alongside the plain probes.
    fn is_ssl_port(&self) -> bool {
        self.db.probes().iter().any(|p| p.protocol == ProbeProtocol::Tcp && p.ssl_port_listed(self.port))
    }

    pub(crate) async fn run_tcp(mut self) -> (Outcome, bool, Vec<String>) {
        let list = self.probe_list(ProbeProtocol::Tcp, false);
        let inner_list = self.probe_list(ProbeProtocol::Tcp, true);
        // On an sslports port, a TLS handshake runs at the same time as the plain probes; when it
        // succeeds, the probes run inside TLS too, without waiting for a plain `ssl` match.
        let early_tls = if self.is_ssl_port() {
            let (addr, limit) = (self.addr(), self.opts.connect_timeout);
            let handshake = tokio::spawn(async move {
                match tokio::time::timeout(limit, TcpStream::connect(addr)).await {
                    Ok(Ok(tcp)) => ssl::wrap(tcp, limit).await.is_ok(),
                    _ => false,
                }
            });
            let mut other = self.fork();
            let inner = &inner_list;
            let (plain, tls) = tokio::join!(self.pass(ProbeProtocol::Tcp, &list, false), async {
                if handshake.await.unwrap_or(false) {
                    other.note(format!("Service scan: TLS handshake with {} succeeded (sslports)", other.addr()));
                    Some(other.pass(ProbeProtocol::Tcp, inner, true).await)
                } else {
                    None
                }
            });
            self.trace.append(&mut other.trace);
            Some((plain, tls))
        } else {
            None
        };
        let (plain, tls) = match early_tls {
            Some(both) => both,
            None => (self.pass(ProbeProtocol::Tcp, &list, false).await, None),
        };
        let plain_ssl = matches!(&plain, Pass::Hard(m) if m.service == "ssl");
        let tls = match tls {
            None if plain_ssl => Some(self.pass(ProbeProtocol::Tcp, &inner_list, true).await),
            t => t,
        };
        // A plain match of a real service stands over an unrecognised answer inside TLS.
        let plain_named = matches!(&plain, Pass::Hard(m) | Pass::Soft(m) if m.service != "ssl");
        let (outcome, responded) = match (plain, tls) {
            (_, Some(Pass::Hard(inner) | Pass::Soft(inner))) => {
                (Outcome::Identified(Box::new(inner.to_service(Some("ssl")))), true)
            }
            (_, Some(Pass::Nothing(responses))) if !responses.is_empty() && !plain_named => {
                let fingerprint =
                    fingerprint_text(&self.opts, self.port, ProbeProtocol::Tcp, true, self.unix_time, responses);
                (Outcome::Unrecognized { fingerprint, tunnel: Some("ssl".into()) }, true)
            }
            // The handshake failed or nothing spoke inside: what the plain probes learned stands.
            (plain, _) => self.conclude(plain, ProbeProtocol::Tcp),
        };
        (outcome, responded, self.trace)
    }

    pub(crate) async fn run_udp(mut self) -> (Outcome, bool, Vec<String>) {
        let list = self.probe_list(ProbeProtocol::Udp, false);
        let pass = self.pass(ProbeProtocol::Udp, &list, false).await;
        let (outcome, responded) = self.conclude(pass, ProbeProtocol::Udp);
        (outcome, responded, self.trace)
    }

    fn conclude(&self, pass: Pass, protocol: ProbeProtocol) -> (Outcome, bool) {
        match pass {
            Pass::Hard(m) | Pass::Soft(m) => (Outcome::Identified(Box::new(m.to_service(None))), true),
            Pass::Wrapped => (
                Outcome::Identified(Box::new(Service {
                    name: "tcpwrapped".into(),
                    method: "probed".into(),
                    conf: 8,
                    ..Default::default()
                })),
                true,
            ),
            Pass::Nothing(responses) if !responses.is_empty() => {
                let fingerprint =
                    fingerprint_text(&self.opts, self.port, protocol, false, self.unix_time, responses);
                (Outcome::Unrecognized { fingerprint, tunnel: None }, true)
            }
            Pass::Nothing(_) | Pass::NoConnection => (Outcome::NoAnswer, false),
        }
    }

    fn wait_of(&self, probe: usize) -> Duration {
        self.db
            .probes()
            .get(probe)
            .and_then(|p| p.total_wait_ms)
            .map_or(self.opts.default_wait, |ms| Duration::from_millis(u64::from(ms)))
    }

    /// Starts probe `probe` on a connection (or socket) of its own.
    fn launch(
        &self,
        protocol: ProbeProtocol,
        probe: usize,
        ssl: bool,
        later_hit: Option<watch::Receiver<u8>>,
        hit_tx: Arc<watch::Sender<u8>>,
    ) -> JoinHandle<Answer> {
        let db = self.db.clone();
        let addr = self.addr();
        let wait = self.wait_of(probe);
        let cap = self.opts.max_response;
        let grace = self.opts.null_grace;
        let connect_timeout = self.opts.connect_timeout;
        tokio::spawn(async move {
            let payload = db.probes().get(probe).map(|p| p.payload.clone()).unwrap_or_default();
            let ans = match protocol {
                ProbeProtocol::Udp => udp::exchange(addr, &payload, wait, cap).await,
                ProbeProtocol::Tcp => {
                    let limits = ReadLimits { wait, cap, later_hit: later_hit.map(|rx| (rx, grace)) };
                    let tcp = match tokio::time::timeout(connect_timeout, TcpStream::connect(addr)).await {
                        Ok(Ok(s)) => s,
                        _ => return Answer { no_connection: true, ..Answer::default() },
                    };
                    let _ = tcp.set_nodelay(true);
                    if ssl {
                        match ssl::wrap(tcp, connect_timeout).await {
                            Ok(mut s) => tcp::exchange(&mut s, &payload, limits, &db, probe).await,
                            Err(_) => return Answer { no_connection: true, ..Answer::default() },
                        }
                    } else {
                        let mut s = tcp;
                        tcp::exchange(&mut s, &payload, limits, &db, probe).await
                    }
                }
            };
            // A server answering other connections waits for clients to speak: a NULL probe still silent
            // after its grace will not get a banner; one whose banner has not matched after its grace while
            // a later probe has a hard match will not get the rest of a banner either.
            let level = if ans.hard { LATER_MATCHED } else if ans.data.is_empty() { 0 } else { LATER_ANSWERED };
            hit_tx.send_if_modified(|l| {
                let raise = level > *l;
                *l = (*l).max(level);
                raise
            });
            ans
        })
    }

    /// Sends the probes of `list` (indexes into the database) and judges their answers in list order.
    async fn pass(&mut self, protocol: ProbeProtocol, list: &[usize], ssl: bool) -> Pass {
        let (hit_tx, hit_rx) = watch::channel(0u8);
        let hit_tx = Arc::new(hit_tx);
        let mut handles: Vec<Option<JoinHandle<Answer>>> = list.iter().map(|_| None).collect();
        let mut next = 0usize;
        let mut soft: Option<ServiceMatch> = None;
        let mut responses: Vec<(String, Vec<u8>)> = Vec::new();
        let tunnel = if ssl { "ssl/" } else { "" };
        let proto_name = if protocol == ProbeProtocol::Tcp { "tcp" } else { "udp" };
        let db = self.db.clone();
        let probes = db.probes();
        let excluded = |soft: &Option<ServiceMatch>, idx: usize| {
            soft.as_ref().is_some_and(|s| !probes[idx].has_match_for(&s.service))
        };
        let result = 'outer: {
            for pos in 0..list.len() {
                if excluded(&soft, list[pos]) {
                    if let Some(h) = handles[pos].take() {
                        h.abort();
                    }
                    continue;
                }
                while next < list.len() && next <= pos + self.opts.speculate {
                    if handles[next].is_none() && !excluded(&soft, list[next]) {
                        let p = &probes[list[next]];
                        // Only a NULL probe with later probes in flight can be cut short by their hits.
                        let rx = (p.is_null() && self.opts.speculate > 0).then(|| hit_rx.clone());
                        let line = format!(
                            "Service scan sending probe {} to {} ({proto_name})",
                            p.name,
                            self.addr()
                        );
                        self.note(line);
                        handles[next] = Some(self.launch(protocol, list[next], ssl, rx, hit_tx.clone()));
                    }
                    next += 1;
                }
                let Some(handle) = handles[pos].take() else { continue };
                let ans = handle.await.unwrap_or_default();
                let probe = &probes[list[pos]];
                if ans.no_connection {
                    self.note(format!("Service scan: no connection to {} for probe {}", self.addr(), probe.name));
                    if pos == 0 {
                        break 'outer Pass::NoConnection;
                    }
                    continue;
                }
                if !ans.data.is_empty() {
                    self.note(format!(
                        "Service scan read {} bytes from {} for probe {}: {}",
                        ans.data.len(),
                        self.addr(),
                        probe.name,
                        printable(&ans.data, 200)
                    ));
                }
                if probe.is_null() && ans.data.is_empty() && ans.closed {
                    let limit = probe
                        .tcpwrapped_ms
                        .map_or(DEFAULT_TCPWRAPPED, |ms| Duration::from_millis(u64::from(ms)));
                    if ans.closed_after.is_some_and(|t| t <= limit) {
                        self.note(format!("Service scan: {} closed at once with no data: tcpwrapped", self.addr()));
                        break 'outer Pass::Wrapped;
                    }
                }
                if ans.data.is_empty() {
                    continue;
                }
                let soft_name = soft.as_ref().map(|s| s.service.clone());
                let db2 = self.db.clone();
                let idx = list[pos];
                let data = ans.data.clone();
                let m = tokio::task::spawn_blocking(move || {
                    db2.probes().get(idx).and_then(|p| db2.match_response(p, &data, soft_name.as_deref()))
                })
                .await
                .ok()
                .flatten();
                if !responses.iter().any(|(_, d)| *d == ans.data) {
                    responses.push((probe.name.clone(), ans.data));
                }
                match m {
                    Some(m) if !m.soft => {
                        self.note(format!(
                            "Service scan match (Probe {} matched with {} line {}): {} is {tunnel}{}.  Version: |{}|{}|{}|",
                            probe.name,
                            m.matched_probe,
                            m.line,
                            self.addr(),
                            m.service,
                            m.product.as_deref().unwrap_or(""),
                            m.version.as_deref().unwrap_or(""),
                            m.info.as_deref().unwrap_or(""),
                        ));
                        break 'outer Pass::Hard(m);
                    }
                    Some(m) if soft.is_none() => {
                        {
                            self.note(format!(
                                "Service scan soft match (Probe {} matched with {} line {}): {} is {tunnel}{}",
                                probe.name,
                                m.matched_probe,
                                m.line,
                                self.addr(),
                                m.service
                            ));
                            soft = Some(m);
                        }
                    }
                    _ => {}
                }
            }
            match soft.take() {
                Some(m) => Pass::Soft(m),
                None => Pass::Nothing(std::mem::take(&mut responses)),
            }
        };
        for h in handles.into_iter().flatten() {
            h.abort();
        }
        result
    }
}

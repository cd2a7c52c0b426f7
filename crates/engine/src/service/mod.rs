//! Service and version detection (`-sV`): Nmap's probe-and-match algorithm over a probe database in the
//! `nmap-service-probes` format (`portolan_fingerprint::probes`).
//!
//! Per TCP port: connect and listen (the NULL probe) up to its `totalwaitms`; then the probes whose
//! `ports` list the port, then the others whose rarity is within `--version-intensity`, each on a new
//! connection, until a hard match. A softmatch narrows later probes to those with lines for its service.
//! A peer that closes with no data within the NULL probe's `tcpwrappedms` is `tcpwrapped`. A hard match
//! of service `ssl` wraps the next connections in TLS (OpenSSL, no verification, security level 0) and
//! starts over inside the tunnel, so `https` comes out as `http` with `tunnel="ssl"`. On a port some
//! probe lists in `sslports`, a TLS handshake is also tried alongside the plain probes, and when it
//! succeeds the probes run inside TLS without waiting for an `ssl` match (a database without TLS
//! match lines still finds what speaks inside; a plain match of a real service wins over an
//! unrecognised answer inside TLS). UDP ports get the
//! UDP probes the same way (no NULL probe). Ports in the database's `Exclude` are skipped unless
//! `all_ports`.
//!
//! Speed: probes that come later in a port's list are sent ahead on their own connections (a window of
//! `speculate` probes) while earlier ones still wait; answers are still judged strictly in list order, so
//! the result is the one the sequential algorithm gives for a server that answers each connection on its
//! own. The one shortcut: once a later probe got an answer on its own connection, the NULL probe stops
//! listening `null_grace` after connecting if nothing at all has arrived (a server that answers clients
//! but has sent no banner within that time is taken not to send one; banners come at once in practice),
//! and likewise stops reading a banner that has not hard-matched once a later probe has a hard match.
//!
//! Invariants: every connect, write and read has a deadline; a response is capped at
//! `max_response` bytes (the rest is not read); matching runs off the async workers; nothing is sent to an
//! address the caller did not name; untrusted response bytes only leave as fields the matcher extracted
//! (the caller escapes them per output format) or escaped inside the fingerprint text.

mod port;
mod ssl;
mod tcp;
mod udp;

use std::net::IpAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use portolan_fingerprint::probes::ServiceFingerprint;
use portolan_fingerprint::{ProbeDb, ProbeProtocol};
use portolan_model::{Protocol, Service};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// A probe database shared by the detection tasks: the built-in one, or one loaded from a file.
#[derive(Debug, Clone)]
pub enum SharedProbeDb {
    Static(&'static ProbeDb),
    Owned(Arc<ProbeDb>),
}

impl Deref for SharedProbeDb {
    type Target = ProbeDb;
    fn deref(&self) -> &ProbeDb {
        match self {
            SharedProbeDb::Static(db) => db,
            SharedProbeDb::Owned(db) => db,
        }
    }
}

impl From<&'static ProbeDb> for SharedProbeDb {
    fn from(db: &'static ProbeDb) -> Self {
        SharedProbeDb::Static(db)
    }
}

impl From<ProbeDb> for SharedProbeDb {
    fn from(db: ProbeDb) -> Self {
        SharedProbeDb::Owned(Arc::new(db))
    }
}

impl From<Arc<ProbeDb>> for SharedProbeDb {
    fn from(db: Arc<ProbeDb>) -> Self {
        SharedProbeDb::Owned(db)
    }
}

/// Options of a version scan (Nmap's `--version-*` and `--allports`, plus engine limits).
#[derive(Debug, Clone)]
pub struct VersionOptions {
    /// `--version-intensity` 0-9 (`--version-light` = 2, `--version-all` = 9); default 7.
    pub intensity: u8,
    /// `--allports`: also probe ports the database's `Exclude` lists.
    pub all_ports: bool,
    /// `--version-trace`: collect trace lines in each [`PortVersion::trace`].
    pub trace: bool,
    /// Ports probed at the same time (across all hosts).
    pub parallelism: usize,
    /// Later probes of one port sent ahead while earlier ones wait (0 = strictly one at a time, as Nmap).
    pub speculate: usize,
    /// How long the NULL probe keeps listening with no data once a later probe got an answer.
    pub null_grace: Duration,
    /// TCP connect timeout per connection.
    pub connect_timeout: Duration,
    /// Wait for a probe without `totalwaitms`.
    pub default_wait: Duration,
    /// Bytes kept of one response; the rest is not read.
    pub max_response: usize,
    /// `V=` of unmatched-service fingerprints.
    pub scanner_version: String,
    /// `P=` of unmatched-service fingerprints.
    pub platform: String,
}

impl Default for VersionOptions {
    fn default() -> Self {
        VersionOptions {
            intensity: portolan_fingerprint::probes::DEFAULT_INTENSITY,
            all_ports: false,
            trace: false,
            parallelism: 64,
            speculate: 3,
            null_grace: Duration::from_millis(1000),
            connect_timeout: Duration::from_secs(5),
            default_wait: Duration::from_secs(5),
            max_response: 32 * 1024,
            scanner_version: env!("CARGO_PKG_VERSION").to_owned(),
            platform: crate::platform(),
        }
    }
}

/// What version detection learned about one port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A match line (hard or soft) or `tcpwrapped`: the service as Nmap records it (`method="probed"`).
    Identified(Box<Service>),
    /// The port answered but nothing matched: Nmap keeps the services-table name (or `unknown`) with
    /// `method="table"` and adds the fingerprint. `tunnel` is `Some("ssl")` when the answers came
    /// through TLS.
    Unrecognized { fingerprint: String, tunnel: Option<String> },
    /// No probe got any data (or the port could not be connected): nothing learned.
    NoAnswer,
    /// The database's `Exclude` lists the port and `all_ports` is off: not probed.
    Excluded,
}

impl Outcome {
    /// The `<service>` to report, given what the services table says about the port (`table`, as
    /// [`Service::from_table`] makes it). Identified services replace it; an unrecognised one keeps the
    /// table name (`unknown` without one) and gains the fingerprint and tunnel.
    pub fn to_service(&self, table: Option<Service>) -> Option<Service> {
        match self {
            Outcome::Identified(s) => Some((**s).clone()),
            Outcome::Unrecognized { fingerprint, tunnel } => {
                let mut s = table.unwrap_or_else(|| Service::from_table("unknown"));
                s.fingerprint = Some(fingerprint.clone());
                s.tunnel = tunnel.clone();
                Some(s)
            }
            Outcome::NoAnswer | Outcome::Excluded => table,
        }
    }
}

/// The result for one port.
#[derive(Debug, Clone)]
pub struct PortVersion {
    pub ip: IpAddr,
    pub protocol: Protocol,
    pub port: u16,
    pub outcome: Outcome,
    /// Some probe got data back: an `open|filtered` UDP port is open.
    pub responded: bool,
    /// `--version-trace` lines, in the order they happened (empty unless asked).
    pub trace: Vec<String>,
    pub elapsed: Duration,
}

/// Totals of a [`detect`] run.
#[derive(Debug, Clone, Default)]
pub struct DetectSummary {
    pub ports: usize,
    pub identified: usize,
    pub unrecognized: usize,
    pub no_answer: usize,
    pub excluded: usize,
    pub elapsed: Duration,
}

/// Runs version detection on every `(protocol, port)` of every host, in parallel (at most
/// `opts.parallelism` ports at once), calling `on_result` as each port finishes (in completion order).
/// Only TCP and UDP ports are probed; others are ignored. Ports are expected to be open (or
/// `open|filtered` for UDP); a TCP port that refuses connections ends as [`Outcome::NoAnswer`].
pub async fn detect(
    targets: Vec<(IpAddr, Vec<(Protocol, u16)>)>,
    db: SharedProbeDb,
    opts: VersionOptions,
    mut on_result: impl FnMut(PortVersion),
) -> DetectSummary {
    let started = Instant::now();
    let opts = Arc::new(opts);
    let limit = Arc::new(Semaphore::new(opts.parallelism.max(1)));
    let mut set: JoinSet<PortVersion> = JoinSet::new();
    let mut summary = DetectSummary::default();
    let unix_time = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());

    let mut jobs = Vec::new();
    for (ip, ports) in targets {
        for (protocol, port) in ports {
            let proto = match protocol {
                Protocol::Tcp => ProbeProtocol::Tcp,
                Protocol::Udp => ProbeProtocol::Udp,
                _ => continue,
            };
            jobs.push((ip, protocol, proto, port));
        }
    }
    summary.ports = jobs.len();
    let mut finish = |pv: PortVersion, summary: &mut DetectSummary| {
        match pv.outcome {
            Outcome::Identified(_) => summary.identified += 1,
            Outcome::Unrecognized { .. } => summary.unrecognized += 1,
            Outcome::NoAnswer => summary.no_answer += 1,
            Outcome::Excluded => summary.excluded += 1,
        }
        on_result(pv);
    };
    for (ip, protocol, proto, port) in jobs {
        if !opts.all_ports && db.is_excluded(proto, port) {
            let pv = PortVersion {
                ip,
                protocol,
                port,
                outcome: Outcome::Excluded,
                responded: false,
                trace: Vec::new(),
                elapsed: Duration::ZERO,
            };
            finish(pv, &mut summary);
            continue;
        }
        // Results are handed out while later ports wait for a slot.
        while let Some(done) = set.try_join_next() {
            if let Ok(pv) = done {
                finish(pv, &mut summary);
            }
        }
        let Ok(permit) = limit.clone().acquire_owned().await else { break };
        let (db, opts) = (db.clone(), opts.clone());
        set.spawn(async move {
            let _permit = permit;
            let t0 = Instant::now();
            let ctx = port::PortCtx::new(db, opts, ip, port, unix_time);
            let (outcome, responded, trace) = match proto {
                ProbeProtocol::Tcp => ctx.run_tcp().await,
                ProbeProtocol::Udp => ctx.run_udp().await,
            };
            PortVersion { ip, protocol, port, outcome, responded, trace, elapsed: t0.elapsed() }
        });
    }
    while let Some(done) = set.join_next().await {
        match done {
            Ok(pv) => finish(pv, &mut summary),
            Err(e) => tracing::warn!("version detection task failed: {e}"),
        }
    }
    summary.elapsed = started.elapsed();
    summary
}

/// Builds the `SF-Port…` text for an unmatched service from the (probe, response) pairs that got data.
pub(crate) fn fingerprint_text(
    opts: &VersionOptions,
    port: u16,
    protocol: ProbeProtocol,
    ssl: bool,
    unix_time: u64,
    responses: Vec<(String, Vec<u8>)>,
) -> String {
    ServiceFingerprint {
        port,
        protocol,
        scanner_version: opts.scanner_version.clone(),
        ssl,
        intensity: opts.intensity,
        unix_time,
        platform: opts.platform.clone(),
        responses,
    }
    .to_single_line()
}

/// Printable form of response bytes for trace lines: non-printable bytes as `.`, as Nmap's trace does.
pub(crate) fn printable(data: &[u8], max: usize) -> String {
    data.iter().take(max).map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect()
}

#[cfg(test)]
mod tests;

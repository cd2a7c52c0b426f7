//! OS detection's probe engine (`-O`): sends Nmap's second-generation probes to one IPv4 target with raw
//! packets, computes every test the way the Nmap book's "TCP/IP Fingerprinting Methods" describes it and
//! builds a [`SubjectFingerprint`] for `portolan_fingerprint::os` to score, plus what Nmap derives from the
//! same probes (uptime guess, network distance, TCP sequence predictability, IP ID and timestamp classes).
//!
//! Pieces: [`probes`] (the 16 probes and the per-try numbers replies are matched on), [`run`] (one try over a
//! [`PacketIo`]), [`compute`] (test values from replies, pure). [`fingerprint_host`] opens a live capture
//! and runs the tries on a blocking thread; [`fingerprint_with_io`] does the same over any `PacketIo`.
//!
//! Invariants: every try is bounded (16 probes, at most `retries` extra copies of each non-SEQ probe, each
//! waiting at most [`MAX_TIMEOUT`]); a try that gets no reply at all ends the tries; only the target's
//! address is ever sent to.

pub mod compute;
pub mod probes;
pub mod run;

use portolan_fingerprint::os::{OsDb, SubjectFingerprint};
use portolan_model::{EventBody, OsInfo, OsPortUsed, PortState, Protocol, SequenceClass, TcpSequence, Uptime};
use portolan_netio::{LinkType, LiveConfig, LiveIo, NetError, PacketIo, Route};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::connect::Cancel;
use compute::{Derived, TsResult};
use probes::TryPlan;
use run::{TryCounters, TryTiming};

/// The longest a probe waits for its reply.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(2);
/// The shortest (Nmap's OS scan used 100 ms on a fast link).
pub const MIN_TIMEOUT: Duration = Duration::from_millis(100);
/// Nmap's warning when the port scan found no open or no closed TCP port.
pub const UNRELIABLE_WARNING: &str =
    "OSScan results may be unreliable because we could not find at least 1 open and 1 closed port";

/// What OS detection needs to know of a target, from the port scan and the route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsProbeTarget {
    pub addr: Ipv4Addr,
    /// Our source address toward it.
    pub src: Ipv4Addr,
    /// The interface the route leaves through (the capture runs there).
    pub interface: String,
    pub loopback: bool,
    /// On a directly attached network (distance 1, Nmap's `DC=D`).
    pub direct: bool,
    /// The target's MAC when on the local link (the SCAN line's `M`).
    pub mac: Option<[u8; 6]>,
    pub open_tcp_port: Option<u16>,
    /// Without one, a random high port is tried (Nmap's "hope for the best").
    pub closed_tcp_port: Option<u16>,
    /// Without one, a random high port is tried.
    pub closed_udp_port: Option<u16>,
    /// Round trip measured by the port scan, for the first timeout.
    pub rtt_hint: Option<Duration>,
}

impl OsProbeTarget {
    /// A target reached by `route`; ports and the RTT hint are for the caller to fill.
    pub fn from_route(addr: Ipv4Addr, route: &Route) -> Result<OsProbeTarget, OsError> {
        let IpAddr::V4(src) = route.source else {
            return Err(OsError::NotIpv4(IpAddr::V4(addr)));
        };
        Ok(OsProbeTarget {
            addr,
            src,
            interface: route.interface.name.clone(),
            loopback: route.interface.loopback,
            direct: route.direct,
            mac: None,
            open_tcp_port: None,
            closed_tcp_port: None,
            closed_udp_port: None,
            rtt_hint: None,
        })
    }
}

/// How OS detection runs.
#[derive(Debug, Clone)]
pub struct OsProbeOptions {
    /// `--max-os-tries` (Nmap's default 5; 2 when conditions are poor). Tries stop at a perfect match.
    pub max_tries: u32,
    /// The database that decides whether another try is worth it and which try is kept. Without one, one
    /// try is made.
    pub db: Option<Arc<OsDb>>,
    /// Extra copies of an unanswered non-SEQ probe within a try (Nmap sent 3 in the lab).
    pub retries: u32,
    pub cancel: Cancel,
}

impl Default for OsProbeOptions {
    fn default() -> Self {
        OsProbeOptions { max_tries: 5, db: None, retries: 3, cancel: Cancel::default() }
    }
}

/// How the network distance was found (Nmap's SCAN `DC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistanceMethod {
    /// The target is this machine.
    Localhost,
    /// On the local link.
    Direct,
    /// From the TTL U1's ICMP reply quoted.
    Icmp,
    /// Guessed from a TCP reply's TTL.
    TcpTtl,
}

impl DistanceMethod {
    pub fn code(self) -> &'static str {
        match self {
            DistanceMethod::Localhost => "L",
            DistanceMethod::Direct => "D",
            DistanceMethod::Icmp => "I",
            DistanceMethod::TcpTtl => "T",
        }
    }
}

/// The result of OS detection against one host.
#[derive(Debug, Clone)]
pub struct OsProbeOutcome {
    /// The kept try's fingerprint, SCAN line included.
    pub fingerprint: SubjectFingerprint,
    /// Tries made.
    pub tries: u32,
    /// Said to the user (Nmap's "OSScan results may be unreliable ...", unanswered probes).
    pub warnings: Vec<String>,
    /// Nmap's `G`: an open and a closed TCP port were used and every probe family was answered.
    pub good_conditions: bool,
    pub uptime: Option<Uptime>,
    pub distance: Option<u32>,
    pub distance_method: Option<DistanceMethod>,
    pub tcp_sequence: Option<TcpSequence>,
    pub ip_id_sequence: Option<SequenceClass>,
    pub tcp_ts_sequence: Option<SequenceClass>,
    /// The ports the probes used, as Nmap lists them (`<portused>`): the open TCP port, the closed TCP port
    /// when it answered or came from the port scan, the closed UDP port when it answered.
    pub ports_used: Vec<OsPortUsed>,
    pub packets_sent: u32,
    pub packets_received: u32,
    pub elapsed: Duration,
}

impl OsProbeOutcome {
    /// The report's view: matches from `db` (none without one), the fingerprint as Nmap prints it (wrapped
    /// under good conditions, one test per line otherwise) and the ports used.
    pub fn os_info(&self, db: Option<&OsDb>) -> OsInfo {
        let mut info = match db {
            Some(db) => portolan_fingerprint::os::guess(db, &self.fingerprint).to_os_info(&self.fingerprint),
            None => OsInfo { ports_used: Vec::new(), matches: Vec::new(), fingerprint: None },
        };
        info.fingerprint = Some(self.fingerprint.printed_text());
        info.ports_used = self.ports_used.clone();
        info
    }

    /// The `OsDetected` event for host `addr`.
    pub fn event_body(&self, addr: IpAddr, db: Option<&OsDb>) -> EventBody {
        EventBody::OsDetected {
            addr,
            os: self.os_info(db),
            uptime: self.uptime.clone(),
            distance: self.distance,
            tcp_sequence: self.tcp_sequence.clone(),
            ip_id_sequence: self.ip_id_sequence.clone(),
            tcp_ts_sequence: self.tcp_ts_sequence.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OsError {
    #[error("OS detection needs an IPv4 target and source ({0} is not one)")]
    NotIpv4(IpAddr),
    #[error("OS detection of {addr}: {source}")]
    Net {
        addr: Ipv4Addr,
        #[source]
        source: NetError,
    },
    #[error("OS detection thread: {0}")]
    Thread(String),
}

/// Opens a capture on the target's interface and fingerprints it on a blocking thread (the thread is
/// spawned from the caller's, so it shares the caller's network namespace).
pub async fn fingerprint_host(target: OsProbeTarget, opts: OsProbeOptions) -> Result<OsProbeOutcome, OsError> {
    tokio::task::spawn_blocking(move || {
        let filter = format!("src host {} and dst host {} and (tcp or icmp)", target.addr, target.src);
        let mut cfg = LiveConfig::new(target.interface.clone(), filter);
        cfg.incoming_only = !target.loopback;
        let mut io = LiveIo::open(cfg).map_err(|source| OsError::Net { addr: target.addr, source })?;
        let link = io.link_type();
        fingerprint_with_io(&mut io, link, &target, &opts)
    })
    .await
    .map_err(|e| OsError::Thread(e.to_string()))?
}

fn random_port() -> u16 {
    33_000 + rand::random::<u16>() % 30_000
}

/// Runs up to `opts.max_tries` tries over `io` and keeps the best one.
pub fn fingerprint_with_io(
    io: &mut dyn PacketIo,
    link: LinkType,
    target: &OsProbeTarget,
    opts: &OsProbeOptions,
) -> Result<OsProbeOutcome, OsError> {
    let started = io.now();
    let mut warnings = Vec::new();
    if target.open_tcp_port.is_none() || target.closed_tcp_port.is_none() {
        warnings.push(UNRELIABLE_WARNING.to_string());
    }
    let closed = target.closed_tcp_port.unwrap_or_else(random_port);
    let closed_udp = target.closed_udp_port.unwrap_or_else(random_port);
    let mut timeout = target
        .rtt_hint
        .map_or(Duration::from_secs(1), |r| (r * 4).clamp(MIN_TIMEOUT, MAX_TIMEOUT));
    let mut tries_allowed = opts.max_tries.max(1);
    let mut best: Option<(Derived, SystemTime, u32, u32)> = None; // derived, wall time, matched, possible
    let (mut sent, mut received, mut tries) = (0u32, 0u32, 0u32);
    while tries < tries_allowed && !opts.cancel.is_cancelled() {
        tries += 1;
        let plan = TryPlan::random(target.src, target.addr, target.open_tcp_port, closed, closed_udp);
        let timing = TryTiming {
            seq_spacing: Duration::from_millis(100),
            spacing: Duration::from_millis(25),
            timeout,
            retries: opts.retries,
        };
        let wall = SystemTime::now();
        let (res, c): (_, TryCounters) = run::run_try(io, link, &plan, &timing, &opts.cancel)
            .map_err(|source| OsError::Net { addr: target.addr, source })?;
        sent += c.sent;
        received += c.received;
        if let Some(rtt) = c.max_rtt {
            timeout = (rtt * 4 + Duration::from_millis(20)).clamp(MIN_TIMEOUT, MAX_TIMEOUT);
        }
        let d = compute::derive(&res);
        let replies = d.replies;
        let good = good_conditions(target, &d);
        if !good {
            tries_allowed = tries_allowed.min(2);
        }
        let (m, p, perfect) = match &opts.db {
            Some(db) => {
                let g = portolan_fingerprint::os::rank(db, &d.fingerprint);
                g.first().map_or((0, 0, false), |s| (s.points.matched, s.points.possible, s.points.is_perfect()))
            }
            None => (0, 0, false),
        };
        let better = best.as_ref().is_none_or(|(bd, _, bm, bp)| {
            // Higher accuracy wins; at equal accuracy, more answered probes.
            let l = u64::from(m) * u64::from(*bp);
            let r = u64::from(*bm) * u64::from(p.max(1));
            l > r || (l == r && d.replies > bd.replies)
        });
        if better {
            best = Some((d, wall, m, p));
        }
        if replies == 0 {
            warnings.push(format!(
                "no reply to any OS detection probe on try {tries}: the host stopped answering or filters every probe"
            ));
            break;
        }
        if perfect || opts.db.is_none() {
            break;
        }
    }
    let Some((d, wall, _, _)) = best else {
        return Err(OsError::Thread("OS detection was cancelled before its first try".into()));
    };
    let good = good_conditions(target, &d);
    let (distance, method) = distance(target, &d);
    let mut fp = d.fingerprint.clone();
    scan_line(&mut fp, target, &d, closed, closed_udp, good, distance, method);
    fp.sort_canonical();
    // Linux never answers T2/T3, so single silent probes are normal; whole families going silent are not.
    let silent = |n: &str| fp.test(n).is_some_and(|t| t.get("R") == Some("N"));
    if target.open_tcp_port.is_some() && d.replies > 0 {
        let answered = fp.test("WIN").map_or(0, |t| t.attrs.len());
        if answered < 6 {
            warnings.push(format!(
                "only {answered} of the 6 SEQ probes to port {} were answered: the sequence tests are less reliable",
                target.open_tcp_port.unwrap_or_default()
            ));
        }
    }
    if d.replies > 0 && ["T5", "T6", "T7"].iter().all(|n| silent(n)) {
        warnings.push(format!("no reply from closed TCP port {closed} (T5-T7): it may be filtered"));
    }
    if d.replies > 0 && silent("U1") && silent("IE") {
        warnings.push("no ICMP reply (U1, IE): TTL values are guesses (TG)".to_string());
    }
    let tcp_sequence = d.isn.as_ref().and_then(|s| {
        s.sp.map(|sp| TcpSequence {
            index: u32::try_from(sp).unwrap_or(u32::MAX),
            difficulty: compute::difficulty(sp).to_string(),
            values: join_hex(s.isns.iter().copied()),
        })
    });
    let ip_id_sequence = d.ti.as_ref().map(|(c, ids)| SequenceClass {
        class: compute::ip_id_words(c).to_string(),
        values: join_hex(ids.iter().map(|&i| u32::from(i))),
    });
    let tcp_ts_sequence = d.ts.as_ref().map(|ts| SequenceClass {
        class: compute::ts_words(ts),
        values: match ts {
            TsResult::Unsupported => String::new(),
            _ => join_hex(d.tsvals.iter().copied()),
        },
    });
    let uptime = match (&d.ts, d.last_tsval) {
        (Some(TsResult::Rate { per_second, .. }), Some((tsval, _))) if *per_second > 0.0 => {
            let up = f64::from(tsval) / per_second;
            let boot = wall.checked_sub(Duration::from_secs_f64(up.min(1e10))).unwrap_or(UNIX_EPOCH);
            let secs = SystemTime::now().duration_since(boot).unwrap_or_default().as_secs();
            Some(Uptime { seconds: secs, last_boot: ctime_utc(boot) })
        }
        _ => None,
    };
    let scan_port = |attr: &str| fp.test("SCAN").and_then(|t| t.get(attr)).and_then(|v| v.parse::<u16>().ok());
    let ports_used = [("OT", PortState::Open, Protocol::Tcp), ("CT", PortState::Closed, Protocol::Tcp), ("CU", PortState::Closed, Protocol::Udp)]
        .into_iter()
        .filter_map(|(a, state, protocol)| scan_port(a).map(|port| OsPortUsed { state, protocol, port }))
        .collect();
    Ok(OsProbeOutcome {
        ports_used,
        fingerprint: fp,
        tries,
        warnings,
        good_conditions: good,
        uptime,
        distance,
        distance_method: method,
        tcp_sequence,
        ip_id_sequence,
        tcp_ts_sequence,
        packets_sent: sent,
        packets_received: received,
        elapsed: io.now().saturating_duration_since(started),
    })
}

fn good_conditions(target: &OsProbeTarget, d: &Derived) -> bool {
    let answered = |name: &str| d.fingerprint.test(name).is_some_and(|t| t.get("R") == Some("Y"));
    target.open_tcp_port.is_some()
        && target.closed_tcp_port.is_some()
        && answered("U1")
        && answered("IE")
        && d.isn.is_some()
}

fn distance(target: &OsProbeTarget, d: &Derived) -> (Option<u32>, Option<DistanceMethod>) {
    if target.loopback || target.addr == target.src {
        (Some(0), Some(DistanceMethod::Localhost))
    } else if target.direct {
        (Some(1), Some(DistanceMethod::Direct))
    } else if let Some(h) = d.u1_hops {
        (Some(u32::from(h)), Some(DistanceMethod::Icmp))
    } else if let Some(h) = d.tcp_ttl_hops {
        (Some(u32::from(h)), Some(DistanceMethod::TcpTtl))
    } else {
        (None, None)
    }
}

#[allow(clippy::too_many_arguments)]
fn scan_line(
    fp: &mut SubjectFingerprint,
    target: &OsProbeTarget,
    d: &Derived,
    closed: u16,
    closed_udp: u16,
    good: bool,
    distance: Option<u32>,
    method: Option<DistanceMethod>,
) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let date = chrono::DateTime::from_timestamp(now as i64, 0).unwrap_or_default();
    let (month, day) = (chrono::Datelike::month(&date), chrono::Datelike::day(&date));
    let u1_answered = d.fingerprint.test("U1").is_some_and(|t| t.get("R") == Some("Y"));
    let ct_answered = ["T5", "T6", "T7"].iter().any(|n| d.fingerprint.test(n).is_some_and(|t| t.get("R") == Some("Y")));
    let private = target.addr.is_private();
    let s = fp.test_mut("SCAN");
    s.set("V", env!("CARGO_PKG_VERSION"))
        .set("D", format!("{month}/{day}"))
        .set("OT", target.open_tcp_port.map(|p| p.to_string()).unwrap_or_default())
        .set("CT", if target.closed_tcp_port.is_some() || ct_answered { closed.to_string() } else { String::new() })
        .set("CU", if u1_answered { closed_udp.to_string() } else { String::new() })
        .set("PV", if private { "Y" } else { "N" })
        .set("DS", distance.map(|d| d.to_string()).unwrap_or_default())
        .set("DC", method.map_or("", DistanceMethod::code))
        .set("G", if good { "Y" } else { "N" });
    if let Some(m) = target.mac {
        s.set("M", format!("{:02X}{:02X}{:02X}", m[0], m[1], m[2]));
    }
    s.set("TM", format!("{now:X}")).set("P", crate::platform());
}

fn join_hex(v: impl Iterator<Item = u32>) -> String {
    v.map(|x| format!("{x:X}")).collect::<Vec<_>>().join(",")
}

/// `Thu Nov 26 18:20:49 2026`, in UTC (Nmap writes ctime's local time; the lab runs in UTC).
pub fn ctime_utc(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    chrono::DateTime::from_timestamp(secs as i64, 0).unwrap_or_default().format("%a %b %e %H:%M:%S %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctime_like_nmap() {
        let t = UNIX_EPOCH + Duration::from_secs(0x6B08_7883);
        assert_eq!(ctime_utc(t), "Thu Nov 26 18:20:51 2026");
        assert_eq!(ctime_utc(UNIX_EPOCH), "Thu Jan  1 00:00:00 1970");
    }
}

#[cfg(test)]
mod sim_tests;

//! The fold of a [`ScanEvent`] stream into a [`ScanReport`]: the only place where events become a report, so
//! the terminal, the files, the store and the desktop app all see the same facts.

use crate::text::{ctime, done_tail};
use portolan_model::{
    EventBody, HostReport, HostState, HostStatus, Hostname, PortReport, Reason, RunStats, ScanEvent,
    ScanReport,
};
use std::collections::HashMap;
use std::net::IpAddr;

/// Folds events one at a time, so a caller can render the report while the scan runs.
///
/// Rules: `start` is the first event's time; hosts keep the order of their first `HostStatus` (a `Port` for
/// an unknown host adds it, up, with reason `unknown`, rather than dropping the fact); `Port` events upsert
/// by (protocol, port) and ports stay sorted; `HostScanStarted` sets the host's start time (Nmap records
/// none for hosts that were not port-scanned); `HostFinished` sets the end time, times and time-out flag;
/// `Hostnames` appends new names; `Warning`s are collected; `Finished` sets `run_stats`. Without `Finished`
/// the report's `run_stats` is `None`: the scan was interrupted or is still running.
#[derive(Debug, Clone)]
pub struct Folder {
    report: ScanReport,
    index: HashMap<IpAddr, usize>,
    seen_any: bool,
}

impl Default for Folder {
    fn default() -> Self {
        Self::new()
    }
}

fn secs(time_ms: i64) -> i64 {
    time_ms.div_euclid(1000)
}

impl Folder {
    pub fn new() -> Self {
        Folder {
            report: ScanReport {
                scanner: "portolan".into(),
                version: String::new(),
                args: String::new(),
                start: 0,
                scan_info: Vec::new(),
                verbose: 0,
                debugging: 0,
                hosts: Vec::new(),
                warnings: Vec::new(),
                run_stats: None,
            },
            index: HashMap::new(),
            seen_any: false,
        }
    }

    fn host_mut(&mut self, addr: IpAddr) -> &mut HostReport {
        let i = match self.index.get(&addr) {
            Some(&i) => i,
            None => {
                let status =
                    HostStatus { state: HostState::Up, reason: Reason::new(Reason::UNKNOWN), reason_ttl: 0 };
                self.report.hosts.push(HostReport::new(addr, status));
                let i = self.report.hosts.len() - 1;
                self.index.insert(addr, i);
                i
            }
        };
        &mut self.report.hosts[i]
    }

    pub fn push(&mut self, ev: &ScanEvent) {
        if !self.seen_any {
            self.seen_any = true;
            self.report.start = secs(ev.time_ms);
        }
        match &ev.body {
            EventBody::ScanStarted { scanner, version, args, scan_info, verbose, debugging, .. } => {
                let r = &mut self.report;
                r.scanner.clone_from(scanner);
                r.version.clone_from(version);
                r.args.clone_from(args);
                r.scan_info.clone_from(scan_info);
                r.verbose = *verbose;
                r.debugging = *debugging;
            }
            EventBody::HostStatus { addr, status, latency, hostnames } => {
                let h = self.host_mut(*addr);
                h.status = status.clone();
                if latency.is_some() {
                    h.latency = *latency;
                }
                add_names(&mut h.hostnames, hostnames);
            }
            EventBody::Hostnames { addr, hostnames } => {
                let h = self.host_mut(*addr);
                add_names(&mut h.hostnames, hostnames);
            }
            EventBody::HostScanStarted { addr } => {
                self.host_mut(*addr).start_time = Some(secs(ev.time_ms));
            }
            EventBody::Port { addr, protocol, port, state, reason, reason_ttl, service } => {
                let h = self.host_mut(*addr);
                let rec = PortReport {
                    protocol: *protocol,
                    port: *port,
                    state: *state,
                    reason: reason.clone(),
                    reason_ttl: *reason_ttl,
                    service: service.clone(),
                };
                match h.ports.binary_search_by(|p| (p.protocol, p.port).cmp(&(*protocol, *port))) {
                    Ok(i) => h.ports[i] = rec,
                    Err(i) => h.ports.insert(i, rec),
                }
            }
            EventBody::HostFinished { addr, times, timed_out } => {
                let h = self.host_mut(*addr);
                h.end_time = Some(secs(ev.time_ms));
                if times.is_some() {
                    h.times = *times;
                }
                h.timed_out = *timed_out;
            }
            EventBody::Progress { .. } => {}
            EventBody::Warning { message } => self.report.warnings.push(message.clone()),
            EventBody::Finished { elapsed, hosts_up, hosts_down, hosts_total, error } => {
                let finished = secs(ev.time_ms);
                self.report.run_stats = Some(RunStats {
                    finished,
                    elapsed: *elapsed,
                    summary: format!(
                        "Nmap done at {}; {}",
                        ctime(finished),
                        done_tail(*hosts_total, *hosts_up, *elapsed)
                    ),
                    exit: if error.is_some() { "error".into() } else { "success".into() },
                    error_msg: error.clone(),
                    hosts_up: *hosts_up,
                    hosts_down: *hosts_down,
                    hosts_total: *hosts_total,
                });
            }
        }
    }

    /// The report so far (a snapshot; folding can continue).
    pub fn report(&self) -> ScanReport {
        self.report.clone()
    }

    /// The report, consuming the folder (no copy).
    pub fn into_report(self) -> ScanReport {
        self.report
    }
}

fn add_names(have: &mut Vec<Hostname>, new: &[Hostname]) {
    for n in new {
        if !have.contains(n) {
            have.push(n.clone());
        }
    }
}

/// Folds a whole stream.
pub fn fold<'a>(events: impl IntoIterator<Item = &'a ScanEvent>) -> ScanReport {
    let mut f = Folder::new();
    for e in events {
        f.push(e);
    }
    f.into_report()
}

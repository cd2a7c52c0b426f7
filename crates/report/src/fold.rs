//! The fold of a [`ScanEvent`] stream into a [`ScanReport`]: the only place where events become a report, so
//! the terminal, the files, the store and the desktop app all see the same facts.

use crate::text::{ctime, done_tail};
use portolan_model::{
    EventBody, HostReport, HostState, HostStatus, Hostname, PortReport, Protocol, Reason, RunStats, ScanEvent,
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
/// a timed-out host's ports are dropped, as Nmap drops them; `Hostnames` appends new names; `Warning`s are collected; `Finished` sets `run_stats`. Without `Finished`
/// the report's `run_stats` is `None`: the scan was interrupted or is still running.
#[derive(Debug, Clone)]
pub struct Folder {
    report: ScanReport,
    index: HashMap<IpAddr, usize>,
    /// Where each port sits in its host's list. Ports are appended as they arrive (a `-p-` scan of a host
    /// brings 65,535 in random order; keeping the list sorted on every insert was quadratic) and sorted
    /// when a report or host is taken.
    port_index: HashMap<(IpAddr, Protocol, u16), usize>,
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
            report: ScanReport::empty("portolan"),
            index: HashMap::new(),
            port_index: HashMap::new(),
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
            EventBody::MacAddress { addr, mac, vendor } => {
                let h = self.host_mut(*addr);
                if !h.addresses.iter().any(|a| a.kind == portolan_model::AddressKind::Mac) {
                    h.addresses.push(portolan_model::Address {
                        addr: mac.clone(),
                        kind: portolan_model::AddressKind::Mac,
                        vendor: vendor.clone(),
                    });
                }
            }
            EventBody::Traceroute { addr, trace } => self.host_mut(*addr).trace = Some(trace.clone()),
            EventBody::Hostnames { addr, hostnames } => {
                let h = self.host_mut(*addr);
                add_names(&mut h.hostnames, hostnames);
            }
            EventBody::HostScanStarted { addr } => {
                self.host_mut(*addr).start_time = Some(secs(ev.time_ms));
            }
            EventBody::Port { addr, protocol, port, state, reason, reason_ttl, service } => {
                let hi = {
                    self.host_mut(*addr);
                    self.index[addr]
                };
                let rec = PortReport {
                    protocol: *protocol,
                    port: *port,
                    state: *state,
                    reason: reason.clone(),
                    reason_ttl: *reason_ttl,
                    service: service.clone(),
                    scripts: Vec::new(),
                };
                let key = (*addr, *protocol, *port);
                let h = &mut self.report.hosts[hi];
                match self.port_index.get(&key) {
                    Some(&i) => h.ports[i] = rec,
                    None => {
                        self.port_index.insert(key, h.ports.len());
                        h.ports.push(rec);
                    }
                }
            }
            EventBody::ServiceDetected { addr, protocol, port, service } => {
                // A result for a port the stream never reported is ignored: there is no state to attach it to.
                if let (Some(&hi), Some(&pi)) = (self.index.get(addr), self.port_index.get(&(*addr, *protocol, *port))) {
                    self.report.hosts[hi].ports[pi].service = Some(service.clone());
                }
            }
            EventBody::OsDetected { addr, os, uptime, distance, tcp_sequence, ip_id_sequence, tcp_ts_sequence } => {
                let host = self.host_mut(*addr);
                host.os = Some(os.clone());
                host.uptime = uptime.clone().or(host.uptime.take());
                host.distance = distance.or(host.distance);
                host.tcp_sequence = tcp_sequence.clone();
                host.ip_id_sequence = ip_id_sequence.clone();
                host.tcp_ts_sequence = tcp_ts_sequence.clone();
            }
            EventBody::HostFinished { addr, times, timed_out } => {
                let h = self.host_mut(*addr);
                h.end_time = Some(secs(ev.time_ms));
                if times.is_some() {
                    h.times = *times;
                }
                // Without a discovery reply (-Pn) Nmap still reports latency, from the port scan's RTT.
                if h.latency.is_none()
                    && let Some(t) = times
                {
                    h.latency = Some(t.srtt as f64 / 1e6);
                }
                h.timed_out = *timed_out;
                if *timed_out {
                    // Nmap reports nothing about the ports of a host cut short by --host-timeout: what was
                    // seen is incomplete and the states of the rest unknown. The Port events remain in the
                    // stream for live views.
                    h.ports.clear();
                    h.extra_ports.clear();
                    self.port_index.retain(|(ip, _, _), _| ip != addr);
                }
            }
            EventBody::Progress { .. } | EventBody::Trace { .. } => {}
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
        let mut r = self.report.clone();
        r.hosts.iter_mut().for_each(sort_ports);
        r
    }

    /// One host as it stands (a snapshot), without copying the rest of the report.
    pub fn host(&self, addr: IpAddr) -> Option<HostReport> {
        let mut h = self.report.hosts.get(*self.index.get(&addr)?)?.clone();
        sort_ports(&mut h);
        Some(h)
    }

    /// The report, consuming the folder (no copy).
    pub fn into_report(mut self) -> ScanReport {
        self.report.hosts.iter_mut().for_each(sort_ports);
        self.report
    }
}

fn sort_ports(h: &mut HostReport) {
    h.ports.sort_by_key(|p| (p.protocol, p.port));
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

#[cfg(test)]
mod order_tests {
    use super::*;
    use portolan_model::PortState;

    fn port_event(seq: u64, port: u16, state: PortState) -> ScanEvent {
        ScanEvent {
            seq,
            time_ms: 1_000,
            body: EventBody::Port {
                addr: "198.18.0.2".parse().unwrap(),
                protocol: Protocol::Tcp,
                port,
                state,
                reason: Reason::new("conn-refused"),
                reason_ttl: 0,
                service: None,
            },
        }
    }

    #[test]
    fn ports_arrive_in_any_order_and_later_facts_win() {
        // A scrambled order with a repeat: the report lists each port once, ascending, with its last state.
        let order = [9u16, 3, 7, 1, 3, 5];
        let mut events: Vec<ScanEvent> = order.iter().enumerate().map(|(i, p)| port_event(i as u64, *p, PortState::Closed)).collect();
        events.push(port_event(99, 7, PortState::Open));
        let mut f = Folder::new();
        for e in &events {
            f.push(e);
        }
        let h = f.host("198.18.0.2".parse().unwrap()).unwrap();
        let got: Vec<(u16, PortState)> = h.ports.iter().map(|p| (p.port, p.state)).collect();
        let want = vec![(1, PortState::Closed), (3, PortState::Closed), (5, PortState::Closed), (7, PortState::Open), (9, PortState::Closed)];
        assert_eq!(got, want);
        assert_eq!(f.report().hosts[0].ports.len(), 5);
        assert_eq!(fold(&events).hosts[0].ports.iter().map(|p| p.port).collect::<Vec<_>>(), vec![1, 3, 5, 7, 9]);
    }
}

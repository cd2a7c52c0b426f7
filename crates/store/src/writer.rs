//! [`ScanWriter`]: a running scan's events into the store as they happen.
//!
//! Events are buffered in memory and written in one transaction per commit: on each `HostFinished` and at
//! least every half second while anything is pending, so the database always holds a consistent prefix of
//! the scan and a killed scanner loses at most the last half second. [`ScanWriter::finish`] replaces the
//! live rows with the folded report (the same rows an import of that report would give) and stores the full
//! report for exact reload.

use crate::error::Result;
use crate::liveness::Writer;
use crate::tables::{addresses, hostnames, hosts, ports, scans, services};
use crate::{ScanStatus, now_secs};
use portolan_model::{EventBody, HostReport, HostState, HostStatus, PortReport, Protocol, Reason, ScanEvent, ScanReport};
use sqlx::AnyPool;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Longest time a fact waits in memory before it is committed.
pub const COMMIT_INTERVAL: Duration = Duration::from_millis(500);
/// A scan with nothing new still refreshes its heartbeat this often.
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(60);

/// What a new scan records before its first event.
#[derive(Debug, Clone, Default)]
pub struct NewScan {
    pub scanner: String,
    pub version: String,
    /// The command line.
    pub args: String,
    /// The desktop app's profile name, if any.
    pub profile: Option<String>,
    /// Unix seconds.
    pub started: i64,
}

#[derive(Debug)]
struct LivePort {
    id: Option<i64>,
    rec: PortReport,
    dirty: bool,
}

#[derive(Debug)]
struct LiveHost {
    ord: i64,
    id: Option<i64>,
    rec: HostReport,
    names_written: usize,
    dirty: bool,
    /// `--host-timeout` cut it short: its ports go, as in the fold.
    drop_ports: bool,
    ports: HashMap<(Protocol, u16), LivePort>,
    dirty_ports: Vec<(Protocol, u16)>,
}

/// Writes one running scan. Not shared between tasks: the session owns it in its history task.
#[derive(Debug)]
pub struct ScanWriter {
    pool: AnyPool,
    backend: crate::Backend,
    id: i64,
    hosts: HashMap<IpAddr, LiveHost>,
    dirty_hosts: Vec<IpAddr>,
    next_ord: i64,
    host_finished: bool,
    last_commit: Instant,
}

fn secs(time_ms: i64) -> i64 {
    time_ms.div_euclid(1000)
}

impl ScanWriter {
    pub(crate) async fn begin(pool: AnyPool, backend: crate::Backend, scan: NewScan) -> Result<ScanWriter> {
        let mut conn = pool.acquire().await?;
        let id = scans::insert(
            &mut conn,
            scans::NewRow {
                scanner: scan.scanner,
                version: scan.version,
                args: scan.args,
                profile: scan.profile,
                started: scan.started,
                status: ScanStatus::Running,
                source: "scan".into(),
                source_file: None,
                writer: Some(Writer::current()),
            },
        )
        .await?;
        drop(conn);
        Ok(ScanWriter {
            pool,
            backend,
            id,
            hosts: HashMap::new(),
            dirty_hosts: Vec::new(),
            next_ord: 0,
            host_finished: false,
            last_commit: Instant::now(),
        })
    }

    /// The scan's id in the history.
    pub fn id(&self) -> i64 {
        self.id
    }

    fn host(&mut self, addr: IpAddr) -> &mut LiveHost {
        let ord = &mut self.next_ord;
        let h = self.hosts.entry(addr).or_insert_with(|| {
            let status = HostStatus { state: HostState::Up, reason: Reason::new(Reason::UNKNOWN), reason_ttl: 0 };
            *ord += 1;
            LiveHost {
                ord: *ord - 1,
                id: None,
                rec: HostReport::new(addr, status),
                names_written: 0,
                dirty: false,
                drop_ports: false,
                ports: HashMap::new(),
                dirty_ports: Vec::new(),
            }
        });
        if !h.dirty {
            h.dirty = true;
            self.dirty_hosts.push(addr);
        }
        h
    }

    /// Takes an event into the buffer (no I/O). Same rules as `report::fold` for what a host holds.
    pub fn buffer(&mut self, ev: &ScanEvent) {
        match &ev.body {
            EventBody::HostStatus { addr, status, latency, hostnames } => {
                let h = self.host(*addr);
                h.rec.status = status.clone();
                if latency.is_some() {
                    h.rec.latency = *latency;
                }
                add_names(&mut h.rec, hostnames);
            }
            EventBody::Hostnames { addr, hostnames } => add_names(&mut self.host(*addr).rec, hostnames),
            EventBody::Traceroute { addr, trace } => self.host(*addr).rec.trace = Some(trace.clone()),
            EventBody::MacAddress { addr, mac, vendor } => {
                let rec = &mut self.host(*addr).rec;
                if !rec.addresses.iter().any(|a| a.kind == portolan_model::AddressKind::Mac) {
                    rec.addresses.push(portolan_model::Address {
                        addr: mac.clone(),
                        kind: portolan_model::AddressKind::Mac,
                        vendor: vendor.clone(),
                    });
                }
            }
            EventBody::HostScanStarted { addr } => self.host(*addr).rec.start_time = Some(secs(ev.time_ms)),
            EventBody::Port { addr, protocol, port, state, reason, reason_ttl, service } => {
                let h = self.host(*addr);
                let rec = PortReport {
                    protocol: *protocol,
                    port: *port,
                    state: *state,
                    reason: reason.clone(),
                    reason_ttl: *reason_ttl,
                    service: service.clone(),
                    scripts: Vec::new(),
                };
                let key = (*protocol, *port);
                match h.ports.get_mut(&key) {
                    Some(p) => {
                        p.rec = rec;
                        if !p.dirty {
                            p.dirty = true;
                            h.dirty_ports.push(key);
                        }
                    }
                    None => {
                        h.ports.insert(key, LivePort { id: None, rec, dirty: true });
                        h.dirty_ports.push(key);
                    }
                }
            }
            EventBody::ServiceDetected { addr, protocol, port, service } => {
                let h = self.host(*addr);
                let key = (*protocol, *port);
                if let Some(p) = h.ports.get_mut(&key) {
                    p.rec.service = Some(service.clone());
                    if !p.dirty {
                        p.dirty = true;
                        h.dirty_ports.push(key);
                    }
                }
            }
            // OS rows are written with the finished report (`finish`); a killed scan keeps its ports, not this.
            EventBody::OsDetected { addr, os, uptime, distance, tcp_sequence, ip_id_sequence, tcp_ts_sequence } => {
                let rec = &mut self.host(*addr).rec;
                rec.os = Some(os.clone());
                rec.uptime = uptime.clone().or(rec.uptime.take());
                rec.distance = distance.or(rec.distance);
                rec.tcp_sequence = tcp_sequence.clone();
                rec.ip_id_sequence = ip_id_sequence.clone();
                rec.tcp_ts_sequence = tcp_ts_sequence.clone();
            }
            EventBody::HostFinished { addr, times, timed_out } => {
                let h = self.host(*addr);
                h.rec.end_time = Some(secs(ev.time_ms));
                if h.rec.latency.is_none()
                    && let Some(t) = times
                {
                    h.rec.latency = Some(t.srtt as f64 / 1e6);
                }
                h.rec.timed_out = *timed_out;
                if *timed_out {
                    h.drop_ports = true;
                    h.ports.clear();
                    h.dirty_ports.clear();
                }
                self.host_finished = true;
            }
            EventBody::ScanStarted { .. }
            | EventBody::Progress { .. }
            | EventBody::Warning { .. }
            | EventBody::Trace { .. }
            | EventBody::Finished { .. } => {}
        }
    }

    /// Something is pending and a host just finished or the oldest pending fact is half a second old.
    pub fn commit_due(&self) -> bool {
        !self.dirty_hosts.is_empty() && (self.host_finished || self.last_commit.elapsed() >= COMMIT_INTERVAL)
    }

    /// Buffers the event and commits when due.
    pub async fn apply(&mut self, ev: &ScanEvent) -> Result<()> {
        self.buffer(ev);
        if self.commit_due() { self.commit().await } else { Ok(()) }
    }

    /// For a timer: commits when due, and refreshes the heartbeat of a quiet scan.
    pub async fn tick(&mut self) -> Result<()> {
        if self.commit_due() || self.last_commit.elapsed() >= HEARTBEAT_INTERVAL {
            self.commit().await
        } else {
            Ok(())
        }
    }

    /// Writes everything buffered in one transaction.
    pub async fn commit(&mut self) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let dirty: Vec<IpAddr> = std::mem::take(&mut self.dirty_hosts);

        // New hosts first, with their address, so ports have a host id.
        let new: Vec<IpAddr> = dirty.iter().copied().filter(|a| self.hosts.get(a).is_some_and(|h| h.id.is_none())).collect();
        let rows = new.iter().filter_map(|a| self.hosts.get(a)).map(|h| hosts::row(self.id, h.ord, &h.rec)).collect();
        let ids = hosts::insert(&mut tx, rows).await?;
        let mut addr_rows = Vec::new();
        // Rows were built from `new` in order (every entry exists), so ids line up with it.
        for (a, id) in new.iter().zip(ids) {
            if let Some(h) = self.hosts.get_mut(a) {
                h.id = Some(id);
                addr_rows.extend(h.rec.addresses.iter().map(|x| addresses::row(id, x)));
            }
        }
        addresses::insert(&mut tx, addr_rows).await?;
        let new: std::collections::HashSet<IpAddr> = new.into_iter().collect();

        let mut name_rows = Vec::new();
        let mut port_rows = Vec::new();
        let mut new_ports: Vec<(IpAddr, (Protocol, u16))> = Vec::new();
        for a in &dirty {
            let Some(h) = self.hosts.get_mut(a) else { continue };
            let Some(hid) = h.id else { continue };
            h.dirty = false;
            if !new.contains(a) {
                hosts::update_live(&mut tx, hid, &h.rec).await?;
            }
            name_rows.extend(h.rec.hostnames[h.names_written..].iter().map(|n| hostnames::row(hid, n)));
            h.names_written = h.rec.hostnames.len();
            if h.drop_ports {
                ports::delete_for_host(&mut tx, hid).await?;
                h.drop_ports = false;
            }
            for key in std::mem::take(&mut h.dirty_ports) {
                let Some(p) = h.ports.get_mut(&key) else { continue };
                p.dirty = false;
                match p.id {
                    Some(pid) => {
                        ports::update_state(&mut tx, pid, &p.rec).await?;
                        services::delete_for_port(&mut tx, pid).await?;
                        if let Some(s) = &p.rec.service {
                            services::insert(&mut tx, vec![services::row(pid, hid, s)]).await?;
                        }
                    }
                    None => {
                        port_rows.push(ports::row(hid, &p.rec));
                        new_ports.push((*a, key));
                    }
                }
            }
        }
        hostnames::insert(&mut tx, name_rows).await?;
        let port_ids = ports::insert(&mut tx, port_rows).await?;
        let mut svc_rows = Vec::new();
        for ((a, key), pid) in new_ports.into_iter().zip(port_ids) {
            let Some(h) = self.hosts.get_mut(&a) else { continue };
            let Some(hid) = h.id else { continue };
            let Some(p) = h.ports.get_mut(&key) else { continue };
            p.id = Some(pid);
            if let Some(s) = &p.rec.service {
                svc_rows.push(services::row(pid, hid, s));
            }
        }
        services::insert(&mut tx, svc_rows).await?;
        scans::refresh_counts(&mut tx, self.id).await?;
        scans::heartbeat(&mut tx, self.id, now_secs()).await?;
        tx.commit().await?;
        self.host_finished = false;
        self.last_commit = Instant::now();
        Ok(())
    }

    /// Replaces the live rows with the final report and marks the scan `complete` or `interrupted`.
    pub async fn finish(self, report: &ScanReport, status: ScanStatus) -> Result<()> {
        let json = serde_json::to_string(report)?;
        let mut tx = self.pool.begin().await?;
        hosts::delete_for_scan(&mut tx, self.id).await?;
        crate::rows::insert_hosts(&mut tx, self.id, &report.hosts).await?;
        let ended = report.run_stats.as_ref().map(|r| r.finished).or_else(|| Some(now_secs()));
        scans::complete(&mut tx, self.id, status, ended, Some(json)).await?;
        if let Some(rs) = &report.run_stats {
            scans::set_totals(&mut tx, self.id, rs.hosts_up.into(), rs.hosts_down.into(), rs.hosts_total.into())
                .await?;
        }
        tx.commit().await?;
        crate::db::refresh_statistics(&self.pool, self.backend).await;
        Ok(())
    }
}

fn add_names(h: &mut HostReport, new: &[portolan_model::Hostname]) {
    for n in new {
        if !h.hostnames.contains(n) {
            h.hostnames.push(n.clone());
        }
    }
}

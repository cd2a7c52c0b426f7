//! A whole report into the normalised tables (used by import and by the final write of a scan), and back.

use crate::error::Result;
use crate::tables::{addresses, hostnames, hosts, os_matches, ports, script_results, services, trace_hops};
use portolan_model::{HostReport, OsInfo, PortReport, ScanReport, Trace};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// Writes a report's hosts with every child row. Runs inside the caller's transaction.
pub(crate) async fn insert_hosts(conn: &mut AnyConnection, scan_id: i64, hosts_in: &[HostReport]) -> Result<()> {
    let host_rows = hosts_in.iter().enumerate().map(|(i, h)| hosts::row(scan_id, i as i64, h)).collect();
    let ids = hosts::insert(conn, host_rows).await?;

    let mut addr_rows = Vec::new();
    let mut name_rows = Vec::new();
    let mut port_rows = Vec::new();
    let mut port_refs: Vec<(i64, &PortReport)> = Vec::new();
    let mut os_rows = Vec::new();
    let mut hop_rows = Vec::new();
    let mut script_rows = Vec::new();
    for (h, &hid) in hosts_in.iter().zip(&ids) {
        addr_rows.extend(h.addresses.iter().map(|a| addresses::row(hid, a)));
        name_rows.extend(h.hostnames.iter().map(|n| hostnames::row(hid, n)));
        for p in unique_ports(&h.ports) {
            port_rows.push(ports::row(hid, p));
            port_refs.push((hid, p));
        }
        if let Some(os) = &h.os {
            os_rows.extend(os.matches.iter().enumerate().map(|(k, m)| os_matches::row(hid, k, m)));
        }
        if let Some(t) = &h.trace {
            hop_rows.extend(t.hops.iter().map(|hop| trace_hops::row(hid, hop)));
        }
        script_rows.extend(h.host_scripts.iter().map(|s| script_results::row(hid, None, s)));
    }
    addresses::insert(conn, addr_rows).await?;
    hostnames::insert(conn, name_rows).await?;
    os_matches::insert(conn, os_rows).await?;
    trace_hops::insert(conn, hop_rows).await?;
    let port_ids = ports::insert(conn, port_rows).await?;

    let mut svc_rows = Vec::new();
    for ((hid, p), &pid) in port_refs.iter().zip(&port_ids) {
        if let Some(s) = &p.service {
            svc_rows.push(services::row(pid, *hid, s));
        }
        script_rows.extend(p.scripts.iter().map(|s| script_results::row(*hid, Some(pid), s)));
    }
    services::insert(conn, svc_rows).await?;
    script_results::insert(conn, script_rows).await?;
    Ok(())
}

/// A file may list a port twice; the last listing wins, as in the fold. Order is kept.
pub(crate) fn unique_ports(ports_in: &[PortReport]) -> impl Iterator<Item = &PortReport> {
    let mut last: HashMap<(portolan_model::Protocol, u16), usize> = HashMap::with_capacity(ports_in.len());
    for (i, p) in ports_in.iter().enumerate() {
        last.insert((p.protocol, p.port), i);
    }
    ports_in.iter().enumerate().filter(move |(i, p)| last.get(&(p.protocol, p.port)) == Some(i)).map(|(_, p)| p)
}

/// Rebuilds a report from the normalised rows (for a scan that never completed, so has no full report).
pub(crate) async fn load_report(conn: &mut AnyConnection, head: ScanReport, scan_id: i64) -> Result<ScanReport> {
    let mut report = head;
    let hosts_rows = hosts::load(conn, scan_id).await?;
    let mut index: HashMap<i64, usize> = HashMap::with_capacity(hosts_rows.len());
    for (i, (id, h)) in hosts_rows.into_iter().enumerate() {
        index.insert(id, i);
        report.hosts.push(h);
    }
    let host = |id: i64| -> Option<usize> { index.get(&id).copied() };
    for (hid, a) in addresses::load(conn, scan_id).await? {
        if let Some(i) = host(hid) {
            report.hosts[i].addresses.push(a);
        }
    }
    for (hid, n) in hostnames::load(conn, scan_id).await? {
        if let Some(i) = host(hid) {
            report.hosts[i].hostnames.push(n);
        }
    }
    let mut port_pos: HashMap<i64, (usize, usize)> = HashMap::new();
    for (pid, hid, p) in ports::load(conn, scan_id).await? {
        if let Some(i) = host(hid) {
            port_pos.insert(pid, (i, report.hosts[i].ports.len()));
            report.hosts[i].ports.push(p);
        }
    }
    for (pid, s) in services::load(conn, scan_id).await? {
        if let Some(&(i, j)) = port_pos.get(&pid) {
            report.hosts[i].ports[j].service = Some(s);
        }
    }
    for (hid, m) in os_matches::load(conn, scan_id).await? {
        if let Some(i) = host(hid) {
            report.hosts[i].os.get_or_insert_with(OsInfo::default).matches.push(m);
        }
    }
    for (hid, hop) in trace_hops::load(conn, scan_id).await? {
        if let Some(i) = host(hid) {
            report.hosts[i].trace.get_or_insert_with(|| Trace { port: None, protocol: None, hops: Vec::new() }).hops.push(hop);
        }
    }
    for (hid, pid, s) in script_results::load(conn, scan_id).await? {
        match pid.and_then(|p| port_pos.get(&p)) {
            Some(&(i, j)) => report.hosts[i].ports[j].scripts.push(s),
            None => {
                if let Some(i) = host(hid) {
                    report.hosts[i].host_scripts.push(s);
                }
            }
        }
    }
    Ok(report)
}


//! From the plan's port selection to the concrete list of ports, through the services table.

use portolan_fingerprint::services::ServicesDb;
use portolan_model::{PortSelection, Protocol, ScanPlan};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum PortsError {
    #[error("services database: {0}")]
    Database(String),
    #[error("no ports left to scan after the port selection and --exclude-ports")]
    NoPorts,
}

/// The project's services table, or Nmap's (or another) when the user opted in with `--datadir`.
pub fn services_db(datadir: Option<&Path>) -> Result<ServicesDb, PortsError> {
    match datadir {
        None => Ok(ServicesDb::builtin().clone()),
        Some(dir) => ServicesDb::load_from_datadir(dir).map_err(|e| PortsError::Database(e.to_string())),
    }
}

/// The TCP ports a connect scan covers, ascending, and warnings about parts of the selection it cannot use.
pub fn resolve_tcp_ports(plan: &ScanPlan, db: &ServicesDb) -> Result<(Vec<u16>, Vec<String>), PortsError> {
    if plan.effective_scan_types().is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let scans_udp = plan.scan_types.contains(&portolan_model::ScanType::Udp);
    let scans_sctp = plan
        .scan_types
        .iter()
        .any(|t| matches!(t, portolan_model::ScanType::SctpInit | portolan_model::ScanType::SctpCookieEcho));
    let mut warnings = Vec::new();
    if let PortSelection::Spec(spec) = &plan.ports {
        if !scans_udp && !spec.udp.is_empty() && spec.udp != spec.tcp {
            warnings.push("Your ports include \"U:\" but you haven't specified a UDP scan (-sU); they are ignored.".into());
        }
        if !scans_sctp && !spec.sctp.is_empty() && spec.sctp != spec.tcp {
            warnings.push("Your ports include \"S:\" but you haven't specified an SCTP scan; they are ignored.".into());
        }
    }
    let (ports, more) = resolve_ports(plan, db, Protocol::Tcp)?;
    warnings.extend(more);
    Ok((ports, warnings))
}

/// The ports of one protocol that the plan's selection means, ascending.
pub fn resolve_ports(plan: &ScanPlan, db: &ServicesDb, proto: Protocol) -> Result<(Vec<u16>, Vec<String>), PortsError> {
    let mut warnings = Vec::new();
    let mut ports: Vec<u16> = match &plan.ports {
        PortSelection::Default => db.top(proto, 1000),
        PortSelection::Fast => db.top(proto, 100),
        PortSelection::Top(n) => {
            let list = db.top(proto, *n as usize);
            if list.len() < *n as usize {
                warnings.push(format!(
                    "--top-ports {n}: the services database ({}) ranks only {} {} ports; scanning those.",
                    db.source(),
                    list.len(),
                    proto.as_str().to_uppercase()
                ));
            }
            list
        }
        PortSelection::Spec(spec) => spec.ports(proto).collect(),
    };
    if let Some(ex) = &plan.exclude_ports {
        let excluded: std::collections::HashSet<u16> = ex.ports(proto).collect();
        ports.retain(|p| !excluded.contains(p));
    }
    ports.sort_unstable();
    ports.dedup();
    if ports.is_empty() {
        return Err(PortsError::NoPorts);
    }
    Ok((ports, warnings))
}

//! # portolan-session
//!
//! One scan from a validated [`ScanPlan`] to its results: resolve the port list from the services table, run the
//! engine, stamp each event with its sequence number and time, and hand it to every sink — the fold into a
//! [`ScanReport`], the terminal (Nmap's normal output, or `--stream-json` lines), the progress line and the
//! output files. The CLI and (later) the desktop helper call the same [`run`].
//!
//! Invariants:
//! - Every sink sees the same events in the same order; the report is only ever `report::fold` of them.
//! - Output files are written even when the scan is interrupted (Ctrl-C), with what was found so far.
//! - Nothing from the network reaches a terminal or file unescaped: the writers of `portolan-report` escape.

mod history;
mod ports;
mod sinks;

mod protocols;
pub use ports::{PortsError, resolve_tcp_ports, services_db};

use portolan_engine::source::TargetSource;
use portolan_engine::{Cancel, EngineInput};
use portolan_model::{EventBody, Protocol, ScanEvent, ScanInfo, ScanPlan, ScanReport, ScanType};
use portolan_report::Folder;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Ports(#[from] PortsError),
    #[error(transparent)]
    Engine(#[from] portolan_engine::EngineError),
    #[error(transparent)]
    Techniques(#[from] portolan_engine::raw_scan::TechniqueError),
    #[error(transparent)]
    Probes(#[from] portolan_fingerprint::ProbeError),
    #[error(transparent)]
    OsDb(#[from] portolan_fingerprint::os::OsDbError),
    #[error("cannot write {path}: {err}")]
    Write { path: String, err: std::io::Error },
}

/// How the scan ended.
#[derive(Debug)]
pub struct Outcome {
    pub report: ScanReport,
    pub interrupted: bool,
}

/// Options of the session that are not part of the plan.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// The command line as the user typed it, recorded in the outputs.
    pub command_line: String,
    /// Draw a progress line on standard error (only when it is a terminal).
    pub progress: bool,
    /// Write normal output (or JSON lines) to standard output.
    pub stdout: bool,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Stamps events in order.
struct Stamper {
    seq: u64,
}

impl Stamper {
    fn stamp(&mut self, body: EventBody) -> ScanEvent {
        let ev = ScanEvent { seq: self.seq, time_ms: now_ms(), body };
        self.seq += 1;
        ev
    }
}

/// Resolves when the process is asked to terminate (SIGTERM); never on platforms without it.
async fn terminate() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut s) = signal(SignalKind::terminate()) {
            s.recv().await;
            return;
        }
    }
    std::future::pending::<()>().await
}

/// Runs one scan to the end (or until Ctrl-C or SIGTERM) and writes every requested output.
pub async fn run(plan: ScanPlan, opts: SessionOptions) -> Result<Outcome, SessionError> {
    let db = services_db(plan.datadir.as_deref())?;
    let techniques = portolan_engine::raw_scan::choose_techniques(&plan)?;
    let types = techniques.scan_types.clone();
    let (tcp_ports, mut warnings) = if types.iter().any(|t| portolan_engine::raw_scan::protocol_of(*t) == Protocol::Tcp) {
        resolve_tcp_ports(&plan, &db)?
    } else {
        (Vec::new(), Vec::new())
    };
    let udp_ports = if types.contains(&ScanType::Udp) { ports::resolve_ports(&plan, &db, Protocol::Udp)?.0 } else { Vec::new() };
    let sctp_ports = if types.iter().any(|t| matches!(t, ScanType::SctpInit | ScanType::SctpCookieEcho)) {
        ports::resolve_ports(&plan, &db, Protocol::Sctp)?.0
    } else {
        Vec::new()
    };
    let ip_protocols: Vec<u8> = if types.contains(&ScanType::IpProtocol) {
        protocols::load(plan.datadir.as_deref());
        let mut list: Vec<u8> = match &plan.ports {
            portolan_model::PortSelection::Spec(spec) => {
                spec.ports(Protocol::Ip).filter_map(|p| u8::try_from(p).ok()).collect()
            }
            // Nmap's -sO covers all 256 protocol numbers unless told otherwise.
            _ => (0..=255).collect(),
        };
        if let Some(ex) = &plan.exclude_ports {
            let gone: std::collections::HashSet<u16> = ex.ports(Protocol::Ip).collect();
            list.retain(|p| !gone.contains(&u16::from(*p)));
        }
        list
    } else {
        Vec::new()
    };
    warnings.splice(0..0, techniques.notices.iter().cloned());
    // UDP probes carry protocol payloads (ours, or Nmap's with --datadir) for the ports they know.
    let mut udp_payloads = std::collections::HashMap::new();
    if !udp_ports.is_empty() || !plan.discovery_probes.udp.is_empty() {
        let loaded = match plan.datadir.as_deref() {
            Some(dir) => portolan_fingerprint::UdpPayloads::load_from_datadir(dir).map(std::borrow::Cow::Owned),
            None => Ok(std::borrow::Cow::Borrowed(portolan_fingerprint::UdpPayloads::builtin())),
        };
        match loaded {
            Ok(db) => {
                for &p in udp_ports.iter().chain(&plan.discovery_probes.udp) {
                    if let Some(bytes) = db.for_port(p) {
                        udp_payloads.insert(p, bytes.to_vec());
                    }
                }
            }
            Err(e) => warnings.push(format!("UDP payloads not loaded, probes go empty: {e}")),
        }
    }
    // -sV's probe database: --versiondb, else Nmap's from --datadir (the user opted in), else Portolan's own.
    let version_db: Option<portolan_engine::service::SharedProbeDb> = if plan.service_detection {
        Some(match (&plan.version.db, &plan.datadir) {
            (Some(file), _) => portolan_fingerprint::ProbeDb::load(file)?.into(),
            (None, Some(dir)) => portolan_fingerprint::ProbeDb::load_from_datadir(dir)?.into(),
            (None, None) => portolan_fingerprint::ProbeDb::builtin().into(),
        })
    } else {
        None
    };
    // -O's database: Nmap's from --datadir (the user opted in), else Portolan's own.
    let os_db = if plan.os_detection {
        Some(Arc::new(match &plan.datadir {
            Some(dir) => portolan_fingerprint::os::OsDb::load_from_datadir(dir)?,
            None => portolan_fingerprint::os::OsDb::builtin().clone(),
        }))
    } else {
        None
    };
    // Targets are read and checked (including -iL files) before anything is printed or sent.
    let targets = TargetSource::from_plan(&plan).map_err(portolan_engine::EngineError::from)?;
    let db = Arc::new(db);
    let started = Instant::now();

    let mut sinks = sinks::Sinks::open(&plan, &opts)?;
    // The history records the scan from its first event; opening it never stops the scan.
    let history = history::History::start(&plan, &opts.command_line, now_ms().div_euclid(1000)).await;
    let mut folder = Folder::new();
    let mut stamper = Stamper { seq: 0 };
    let mut deliver = |body: EventBody, sinks: &mut sinks::Sinks, folder: &mut Folder| -> Result<(), SessionError> {
        let ev = stamper.stamp(body);
        folder.push(&ev);
        if let Some(h) = &history {
            h.event(&ev);
        }
        sinks.event(&ev, folder)
    };

    let scan_info: Vec<ScanInfo> = types
        .iter()
        .filter_map(|t| {
            let proto = portolan_engine::raw_scan::protocol_of(*t);
            let ip_list: Vec<u16> = ip_protocols.iter().map(|p| u16::from(*p)).collect();
            let list = match proto {
                Protocol::Tcp => &tcp_ports,
                Protocol::Udp => &udp_ports,
                Protocol::Sctp => &sctp_ports,
                Protocol::Ip => &ip_list,
            };
            if list.is_empty() {
                return None;
            }
            let spec = portolan_model::PortSpec::from_ports(list, &[]);
            Some(ScanInfo {
                scan_type: t.xml_name().into(),
                protocol: proto,
                num_services: list.len() as u32,
                services: portolan_model::PortSpec::render_list(&spec.tcp),
            })
            .filter(|_| !list.is_empty())
        })
        .collect();
    deliver(
        EventBody::ScanStarted {
            scanner: "portolan".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            args: opts.command_line.clone(),
            scan_info,
            verbose: plan.verbosity.saturating_add(plan.debug),
            debugging: plan.debug,
            targets_total: None,
        },
        &mut sinks,
        &mut folder,
    )?;
    for w in warnings.drain(..) {
        deliver(EventBody::Warning { message: w }, &mut sinks, &mut folder)?;
    }

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cancel = Cancel::default();
    let namer_db = db.clone();
    let input = EngineInput {
        plan: plan.clone(),
        targets,
        tcp_ports,
        udp_ports,
        sctp_ports,
        ip_protocols,
        techniques,
        udp_payloads,
        service_name: Arc::new(move |port, proto| match proto {
            Protocol::Ip => protocols::name(port),
            _ => namer_db.name(port, proto).map(str::to_owned),
        }),
        version_db,
        os_db,
    };
    let engine_cancel = cancel.clone();
    let mut engine = tokio::spawn(async move { portolan_engine::run(input, tx, engine_cancel).await });

    let mut interrupted = false;
    let mut ctrl_c = Box::pin(tokio::signal::ctrl_c());
    // SIGTERM (the desktop app's Cancel, `kill`, a service manager) stops the scan the way Ctrl-C does: the
    // outputs and the history get everything found so far.
    let mut term = Box::pin(terminate());
    let result = loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(body) => deliver(body, &mut sinks, &mut folder)?,
                None => {
                    // The engine dropped its sender: it has finished.
                    break (&mut engine).await;
                }
            },
            _ = &mut ctrl_c, if !interrupted => {
                interrupted = true;
                cancel.cancel();
            }
            _ = &mut term, if !interrupted => {
                interrupted = true;
                cancel.cancel();
            }
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    let (summary, error) = match result {
        Ok(Ok(s)) => (s, None),
        Ok(Err(e)) => return Err(e.into()),
        Err(join) => (portolan_engine::Summary::default(), Some(format!("internal error: {join}"))),
    };
    let error = error.or_else(|| interrupted.then(|| "interrupted by the user".to_owned()));
    deliver(
        EventBody::Finished {
            elapsed,
            hosts_up: summary.hosts_up,
            hosts_down: summary.hosts_down,
            hosts_total: summary.hosts_total,
            error,
        },
        &mut sinks,
        &mut folder,
    )?;
    let report = folder.report();
    sinks.finish(&report)?;
    if let Some(h) = history {
        h.finish(&report, interrupted).await;
    }
    Ok(Outcome { report, interrupted })
}

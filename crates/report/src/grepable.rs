//! Nmap's grepable output (`-oG`): one line per fact, tab-separated fields, `/`-separated port entries.
//! Field text from the network has `/` and `,` replaced (by `|` and `;`) and control characters escaped,
//! so a hostile banner cannot forge fields or lines.

use crate::layout::{hidden_by_open, layout};
use crate::normal::{listed_service_name, product, service_name, version_text};
use crate::text::{ctime, done_tail, sanitize};
use crate::RenderOptions;
use portolan_model::report::AddressKind;
use portolan_model::{HostReport, Protocol, ScanReport};


fn field(s: &str) -> String {
    sanitize(s).replace('/', "|").replace(',', ";")
}

/// "# Portolan 0.1.0 scan initiated <ctime> as: <args>\n", plus at `-v` the "# Ports scanned:" line.
pub fn header(report: &ScanReport, opts: &RenderOptions) -> String {
    let (name, _) = product(report);
    let mut out = format!(
        "# {name} {} scan initiated {} as: {}\n",
        sanitize(&report.version),
        ctime(report.start),
        sanitize(&report.args)
    );
    if opts.verbose >= 1 {
        let mut parts = Vec::new();
        for (label, proto) in [("TCP", Some(Protocol::Tcp)), ("UDP", Some(Protocol::Udp)), ("SCTP", Some(Protocol::Sctp))] {
            let infos: Vec<_> = report.scan_info.iter().filter(|s| Some(s.protocol) == proto).collect();
            let n: u64 = infos.iter().map(|s| u64::from(s.num_services)).sum();
            let list: Vec<String> = infos.iter().map(|s| field(&s.services).replace(';', ",")).collect();
            parts.push(format!("{label}({n};{})", list.join(",")));
        }
        parts.push("PROTOCOLS(0;)".into());
        out.push_str(&format!("# Ports scanned: {}\n", parts.join(" ")));
    }
    out
}

/// "# Portolan done at <ctime> -- 1 IP address (1 host up) scanned in 0.02 seconds\n"; empty when
/// interrupted.
pub fn footer(report: &ScanReport) -> String {
    let Some(rs) = &report.run_stats else { return String::new() };
    let (name, _) = product(report);
    format!("# {name} done at {} -- {}\n", ctime(rs.finished), done_tail(rs.hosts_total, rs.hosts_up, rs.elapsed))
}

/// "Host: 127.0.0.1 (name)\tStatus: Up" and, when ports were scanned, "Host: ...\tPorts: ...".
pub fn host(h: &HostReport, opts: &RenderOptions) -> String {
    let ip = h
        .addresses
        .iter()
        .find(|a| a.kind != AddressKind::Mac)
        .map(|a| field(&a.addr))
        .unwrap_or_default();
    let name = h.hostnames.first().map(|n| field(&n.name)).unwrap_or_default();
    let prefix = format!("Host: {ip} ({name})");
    if !h.is_up() {
        if opts.verbose == 0 {
            return String::new();
        }
        return format!("{prefix}\tStatus: Down\n");
    }
    if hidden_by_open(h, opts) {
        return String::new();
    }
    let mut out = format!("{prefix}\tStatus: Up\n");
    let lay = layout(h, opts);
    if !lay.scanned() {
        return out;
    }
    let entries: Vec<String> = lay
        .shown
        .iter()
        .map(|p| {
            let svc = if p.service.as_ref().is_some_and(|s| !s.name.is_empty()) {
                field(&listed_service_name(p, opts))
            } else {
                String::new()
            };
            format!("{}/{}/{}//{svc}//{}/", p.port, p.state, p.protocol, field(&version_text(p)))
        })
        .collect();
    // -sO's line is "Protocols: 1/open/icmp/": number, state, name.
    let protocols = lay.shown.iter().all(|p| p.protocol == portolan_model::Protocol::Ip) && !lay.shown.is_empty();
    if protocols {
        let entries: Vec<String> = lay
            .shown
            .iter()
            .map(|p| format!("{}/{}/{}/", p.port, p.state, field(&service_name(p))))
            .collect();
        out.push_str(&format!("{prefix}\tProtocols: {}", entries.join(", ")));
    } else {
        out.push_str(&format!("{prefix}\tPorts: {}", entries.join(", ")));
    }
    if let [only] = lay.ignored.as_slice() {
        out.push_str(&format!("\tIgnored State: {} ({})", only.state, only.count));
    }
    if let Some(t) = &h.tcp_sequence {
        out.push_str(&format!("\tSeq Index: {}", t.index));
    }
    if let Some(c) = &h.ip_id_sequence {
        out.push_str(&format!("\tIP ID Seq: {}", field(&c.class)));
    }
    out.push('\n');
    out
}

pub fn render(report: &ScanReport, opts: &RenderOptions) -> String {
    let mut out = header(report, opts);
    for h in &report.hosts {
        out.push_str(&host(h, opts));
    }
    out.push_str(&footer(report));
    out
}

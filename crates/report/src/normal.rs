//! Nmap's normal output (`-oN` and the terminal), line for line: the same phrases ("Nmap scan report for",
//! "Not shown:", the PORT/STATE/SERVICE table) so users' eyes and scripts keep working; only the product
//! name in the header and footer is Portolan's.
//!
//! The terminal form starts "Starting Portolan ..." and ends "Portolan done: ..."; the file form (`-oN`)
//! starts and ends with `#` comments, as Nmap's files do. Hosts render identically in both, so the CLI can
//! stream [`host`] as each host finishes.

use crate::layout::{Layout, hidden_by_open, layout, not_shown_text};
use crate::text::{ctime, done_tail, latency, long_time, sanitize, short_time};
use crate::RenderOptions;
use portolan_model::report::AddressKind;
use portolan_model::{HostReport, PortReport, PortState, ScanReport};

/// The product named in headers and footers: Nmap's own name when the report came from an Nmap file.
pub(crate) fn product(report: &ScanReport) -> (&'static str, &'static str) {
    if report.scanner.eq_ignore_ascii_case("nmap") {
        ("Nmap", "https://nmap.org")
    } else {
        ("Portolan", "https://portolan.invalid")
    }
}

/// "Starting Portolan 0.1.0 ( https://portolan.invalid ) at 2026-11-26 15:02 UTC\n"
pub fn header(report: &ScanReport) -> String {
    let (name, url) = product(report);
    format!("Starting {name} {} ( {url} ) at {}\n", sanitize(&report.version), short_time(report.start))
}

/// "Portolan done: 1 IP address (1 host up) scanned in 0.05 seconds\n", preceded by Nmap's note when the
/// only target was down. Empty for an interrupted scan (no run statistics), as Nmap leaves it.
pub fn footer(report: &ScanReport) -> String {
    let Some(rs) = &report.run_stats else { return String::new() };
    let (name, _) = product(report);
    let mut out = String::new();
    if rs.hosts_total == 1 && rs.hosts_up == 0 {
        out.push_str("Note: Host seems down. If it is really up, but blocking our ping probes, try -Pn\n");
    }
    out.push_str(&format!("{name} done: {}\n", done_tail(rs.hosts_total, rs.hosts_up, rs.elapsed)));
    out
}

/// "# Portolan 0.1.0 scan initiated Thu Nov 26 14:53:31 2026 as: portolan -sT ...\n" (the `-oN` file form).
pub fn file_header(report: &ScanReport) -> String {
    let (name, _) = product(report);
    format!(
        "# {name} {} scan initiated {} as: {}\n",
        sanitize(&report.version),
        ctime(report.start),
        sanitize(&report.args)
    )
}

/// "# Portolan done at Thu Nov 26 14:53:31 2026 -- 1 IP address (1 host up) scanned in 0.02 seconds\n"
/// (the `-oN` file form); empty for an interrupted scan.
pub fn file_footer(report: &ScanReport) -> String {
    let Some(rs) = &report.run_stats else { return String::new() };
    let (name, _) = product(report);
    format!("# {name} done at {} -- {}\n", ctime(rs.finished), done_tail(rs.hosts_total, rs.hosts_up, rs.elapsed))
}

/// The whole terminal output.
pub fn render(report: &ScanReport, opts: &RenderOptions) -> String {
    let mut out = header(report);
    for h in &report.hosts {
        out.push_str(&host(h, opts));
    }
    out.push_str(&footer(report));
    out
}

/// The whole `-oN` file.
pub fn render_file(report: &ScanReport, opts: &RenderOptions) -> String {
    let mut out = file_header(report);
    for h in &report.hosts {
        out.push_str(&host(h, opts));
    }
    out.push_str(&file_footer(report));
    out
}

/// "NAME (IP)" or "IP", as Nmap names a host: the name given on the command line, else the first PTR.
pub(crate) fn host_label(h: &HostReport) -> String {
    let ip = h
        .addresses
        .iter()
        .find(|a| a.kind != AddressKind::Mac)
        .map(|a| sanitize(&a.addr).into_owned())
        .unwrap_or_else(|| "(no address)".into());
    let name = h
        .hostnames
        .iter()
        .find(|n| n.kind == portolan_model::HostnameKind::User)
        .or_else(|| h.hostnames.first())
        .filter(|n| !n.name.is_empty());
    match name {
        Some(n) => format!("{} ({ip})", sanitize(&n.name)),
        None => ip,
    }
}

fn reason_text(reason: &str, ttl: u8) -> String {
    let r = sanitize(reason);
    if ttl > 0 { format!("{r} ttl {ttl}") } else { r.into_owned() }
}

/// One host's block, ending with its blank line when ports were scanned. Empty for a down host below `-v`
/// and for a host `--open` hides.
pub fn host(h: &HostReport, opts: &RenderOptions) -> String {
    let label = host_label(h);
    let mut out = String::new();
    if h.status.state == portolan_model::HostState::Unknown {
        // A list scan (-sL) names every target and says nothing else about it.
        out.push_str(&format!("Nmap scan report for {label}\n"));
        return out;
    }
    if !h.is_up() {
        if opts.verbose == 0 {
            return out;
        }
        let why = if opts.show_reason() {
            format!(", received {}", reason_text(h.status.reason.as_str(), h.status.reason_ttl))
        } else {
            String::new()
        };
        out.push_str(&format!("Nmap scan report for {label} [host down{why}]\n"));
        return out;
    }
    if hidden_by_open(h, opts) {
        return out;
    }
    out.push_str(&format!("Nmap scan report for {label}\n"));
    let mut up = String::from("Host is up");
    if opts.show_reason() {
        up.push_str(&format!(", received {}", reason_text(h.status.reason.as_str(), h.status.reason_ttl)));
    }
    if let Some(l) = h.latency {
        up.push_str(&format!(" ({}s latency)", latency(l)));
    }
    up.push_str(".\n");
    out.push_str(&up);
    if h.timed_out {
        if let Some(ip) = h.ip() {
            out.push_str(&format!("Skipping host {ip} due to host timeout\n"));
        }
        return out;
    }
    if let (true, Some(start), Some(end)) = (opts.verbose >= 2, h.start_time, h.end_time) {
        out.push_str(&format!("Scanned at {} for {}s\n", long_time(start), (end - start).max(0)));
    }
    let lay = layout(h, opts);
    if !lay.scanned() {
        return out;
    }
    if lay.shown.is_empty() {
        out.push_str(&format!("All {} scanned ports on {label} are in ignored states.\n", lay.total()));
        out.push_str(&format!("Not shown: {}\n\n", not_shown_text(&lay.ignored)));
        return out;
    }
    if lay.ignored.is_empty() {
        out.push('\n');
    } else {
        out.push_str(&format!("Not shown: {}\n", not_shown_text(&lay.ignored)));
    }
    if opts.open_only && lay.ignored.iter().any(|e| e.state == PortState::Filtered) {
        out.push_str("Some closed ports may be reported as filtered due to --defeat-rst-ratelimit\n");
    }
    out.push_str(&port_table(&lay, opts));
    out.push('\n');
    out
}

pub(crate) fn service_name(p: &PortReport) -> String {
    match &p.service {
        Some(s) if !s.name.is_empty() => match s.tunnel.as_deref() {
            Some(t) if !t.is_empty() => format!("{}/{}", sanitize(t), sanitize(&s.name)),
            _ => sanitize(&s.name).into_owned(),
        },
        _ => "unknown".into(),
    }
}

/// "product version (extrainfo)", the VERSION column and grepable version field.
pub(crate) fn version_text(p: &PortReport) -> String {
    let Some(s) = &p.service else { return String::new() };
    let mut parts: Vec<String> = Vec::new();
    for v in [&s.product, &s.version].into_iter().flatten() {
        if !v.is_empty() {
            parts.push(sanitize(v).into_owned());
        }
    }
    if let Some(e) = s.extra_info.as_deref().filter(|e| !e.is_empty()) {
        parts.push(format!("({})", sanitize(e)));
    }
    parts.join(" ")
}

/// The port table: each column as wide as its widest cell plus one space, the last one unpadded.
fn port_table(lay: &Layout<'_>, opts: &RenderOptions) -> String {
    let with_reason = opts.show_reason();
    let with_version = lay.shown.iter().any(|p| {
        p.service.as_ref().is_some_and(|s| s.method == "probed" || s.product.is_some() || s.version.is_some())
    });
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(lay.shown.len() + 1);
    let mut head = vec!["PORT".to_owned(), "STATE".to_owned(), "SERVICE".to_owned()];
    if with_reason {
        head.push("REASON".into());
    }
    if with_version {
        head.push("VERSION".into());
    }
    rows.push(head);
    for p in &lay.shown {
        let mut row = vec![format!("{}/{}", p.port, p.protocol), p.state.to_string(), service_name(p)];
        if with_reason {
            row.push(reason_text(p.reason.as_str(), p.reason_ttl));
        }
        if with_version {
            row.push(version_text(p));
        }
        rows.push(row);
    }
    let cols = rows[0].len();
    let widths: Vec<usize> =
        (0..cols).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == cols {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', widths[c] + 1 - cell.chars().count()));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

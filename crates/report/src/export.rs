//! Exports for people and other tools, beside Nmap's formats: CSV (one row per port, for spreadsheets),
//! Markdown (for tickets and wikis) and a standalone HTML report (for browsers and e-mail).
//!
//! Every string may have come from the network, so each format escapes it for its own reader: CSV quotes
//! fields and defuses cells a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR at the start
//! get a leading `'`); Markdown escapes its markup characters and line breaks; HTML escapes `<>&"'` and
//! carries no script at all (a CSP forbids it). Control characters are sanitised first, as everywhere.

use crate::normal::{listed_service_name, version_text};
use crate::text::{ctime, sanitize};
use crate::RenderOptions;
use portolan_model::{HostReport, PortReport, ScanReport};
use std::fmt::Write as _;

fn ip_of(h: &HostReport) -> String {
    h.ip().map(|i| i.to_string()).unwrap_or_default()
}

fn names_of(h: &HostReport) -> String {
    h.hostnames.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(" ")
}

fn os_of(h: &HostReport) -> String {
    h.os.as_ref().and_then(|o| o.matches.first()).map(|m| format!("{} ({}%)", m.name, m.accuracy)).unwrap_or_default()
}

/// One CSV field: quoted when it must be, and never a formula.
fn csv_field(s: &str) -> String {
    let s = sanitize(s);
    let defused = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.into_owned() };
    if defused.contains([',', '"', '\n', '\r']) || defused.starts_with(' ') || defused.ends_with(' ') {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// CSV, RFC 4180 with CRLF line ends: a header, then one row per listed port of every up host (a host with no
/// port listed gets one row with empty port fields, so every host appears).
pub fn csv(report: &ScanReport, opts: &RenderOptions) -> String {
    let mut out = String::from("host,hostnames,status,protocol,port,state,service,version,reason,os\r\n");
    for h in &report.hosts {
        let base = [ip_of(h), names_of(h), h.status.state.as_str().to_owned()];
        let row = |p: Option<&PortReport>| -> String {
            let mut cells: Vec<String> = base.to_vec();
            match p {
                Some(p) => cells.extend([
                    p.protocol.as_str().to_owned(),
                    p.port.to_string(),
                    p.state.to_string(),
                    listed_service_name(p, opts),
                    version_text(p),
                    p.reason.as_str().to_owned(),
                ]),
                None => cells.extend(std::iter::repeat_n(String::new(), 6)),
            }
            cells.push(os_of(h));
            let mut line = cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",");
            line.push_str("\r\n");
            line
        };
        if h.ports.is_empty() {
            out.push_str(&row(None));
        }
        for p in &h.ports {
            out.push_str(&row(Some(p)));
        }
    }
    out
}

/// Text that Markdown shows as written: its markup characters behind a backslash, line breaks as spaces.
fn md(s: &str) -> String {
    let mut out = String::new();
    for c in sanitize(s).chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.' | '!' | '|' | '<'
            | '>' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Markdown: a title with the command line, then per up host a heading, its facts and a table of its ports.
pub fn markdown(report: &ScanReport, opts: &RenderOptions) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Scan report\n");
    let _ = writeln!(out, "- Command: {}", md(&report.args));
    let _ = writeln!(out, "- Started: {}", ctime(report.start));
    if let Some(rs) = &report.run_stats {
        let _ = writeln!(out, "- Hosts: {} up of {}", rs.hosts_up, rs.hosts_total);
    }
    for h in report.hosts.iter().filter(|h| h.is_up()) {
        let names = names_of(h);
        let _ = writeln!(out, "\n## {}{}\n", md(&ip_of(h)), if names.is_empty() { String::new() } else { format!(" ({})", md(&names)) });
        let os = os_of(h);
        if !os.is_empty() {
            let _ = writeln!(out, "OS: {}\n", md(&os));
        }
        if h.ports.is_empty() {
            let _ = writeln!(out, "No port listed.");
            continue;
        }
        let _ = writeln!(out, "| Port | State | Service | Version | Reason |");
        let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
        for p in &h.ports {
            let _ = writeln!(
                out,
                "| {}/{} | {} | {} | {} | {} |",
                p.port,
                p.protocol.as_str(),
                md(&p.state.to_string()),
                md(&listed_service_name(p, opts)),
                md(&version_text(p)),
                md(p.reason.as_str())
            );
        }
    }
    out
}

fn html_text(s: &str) -> String {
    let mut out = String::new();
    for c in sanitize(s).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const HTML_STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2025}\
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #c9ced6;padding:.2rem .6rem;\
text-align:left}th{background:#f0f1f3}.open{color:#17803d;font-weight:600}code{font-family:monospace}";

/// A standalone HTML page: no script, no external resource, a CSP that forbids both.
pub fn html(report: &ScanReport, opts: &RenderOptions) -> String {
    let mut out = String::new();
    out.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    let _ = writeln!(out, "<title>Scan report: {}</title>", html_text(&report.args));
    let _ = writeln!(out, "<style>{HTML_STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(out, "<h1>Scan report</h1>");
    let _ = writeln!(out, "<p>Command: <code>{}</code><br>Started: {}</p>", html_text(&report.args), html_text(&ctime(report.start)));
    for h in report.hosts.iter().filter(|h| h.is_up()) {
        let names = names_of(h);
        let _ = writeln!(
            out,
            "<h2>{}{}</h2>",
            html_text(&ip_of(h)),
            if names.is_empty() { String::new() } else { format!(" ({})", html_text(&names)) }
        );
        let os = os_of(h);
        if !os.is_empty() {
            let _ = writeln!(out, "<p>OS: {}</p>", html_text(&os));
        }
        if h.ports.is_empty() {
            continue;
        }
        out.push_str("<table>\n<tr><th>Port</th><th>State</th><th>Service</th><th>Version</th><th>Reason</th></tr>\n");
        for p in &h.ports {
            let state = p.state.to_string();
            let _ = writeln!(
                out,
                "<tr><td>{}/{}</td><td{}>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                p.port,
                p.protocol.as_str(),
                if state == "open" { " class=\"open\"" } else { "" },
                html_text(&state),
                html_text(&listed_service_name(p, opts)),
                html_text(&version_text(p)),
                html_text(p.reason.as_str())
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

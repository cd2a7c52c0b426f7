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
use portolan_model::{HostReport, PortReport, PortState, ScanReport, ScriptResult};
use std::fmt::Write as _;

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
    let mut out = detection_note(report);
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
    format!(
        "{}# {name} done at {} -- {}\n",
        detection_note(report),
        ctime(rs.finished),
        done_tail(rs.hosts_total, rs.hosts_up, rs.elapsed)
    )
}

/// "OS and Service detection performed. Please report ...", which Nmap prints after the hosts when version
/// or OS detection ran (judged here from the report: an OS result or a probed service on any host).
fn detection_note(report: &ScanReport) -> String {
    let os = report.hosts.iter().any(|h| h.os.is_some());
    let sv = report.hosts.iter().any(|h| h.ports.iter().any(|p| p.service.as_ref().is_some_and(|s| s.method == "probed")));
    let what = match (os, sv) {
        (true, true) => "OS and Service detection",
        (true, false) => "OS detection",
        (false, true) => "Service detection",
        (false, false) => return String::new(),
    };
    let (_, url) = product(report);
    format!("{what} performed. Please report any incorrect results at {url}/submit/ .\n")
}

/// The whole terminal output.
pub fn render(report: &ScanReport, opts: &RenderOptions) -> String {
    let mut out = header(report);
    for (i, h) in report.hosts.iter().enumerate() {
        out.push_str(&host_after(h, &report.hosts[..i], opts));
    }
    out.push_str(&footer(report));
    out
}

/// The whole `-oN` file.
pub fn render_file(report: &ScanReport, opts: &RenderOptions) -> String {
    let mut out = file_header(report);
    for (i, h) in report.hosts.iter().enumerate() {
        out.push_str(&host_after(h, &report.hosts[..i], opts));
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
    host_after(h, &[], opts)
}

/// [`host`], knowing the hosts printed before it: traceroute hops shared with one of them are printed as
/// Nmap prints them ("Hop 1 is the same as for ...").
pub fn host_after(h: &HostReport, earlier: &[HostReport], opts: &RenderOptions) -> String {
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
        out.push_str(&mac_line(h));
        out.push_str(&details(h, earlier, opts));
        return out;
    }
    if lay.shown.is_empty() {
        out.push_str(&format!("All {} scanned ports on {label} are in ignored states.\n", lay.total()));
        out.push_str(&format!("Not shown: {}\n", not_shown_text(&lay.ignored)));
        out.push_str(&mac_line(h));
        out.push_str(&details(h, earlier, opts));
        out.push('\n');
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
    out.push_str(&unrecognized_services(&lay, opts));
    out.push_str(&mac_line(h));
    out.push_str(&details(h, earlier, opts));
    out.push('\n');
    out
}

/// Nmap's block for services that answered but matched nothing: their fingerprints, for users to write
/// match lines (Nmap asks for them at its submission page). Only ports in the table, as Nmap.
fn unrecognized_services(lay: &Layout<'_>, opts: &RenderOptions) -> String {
    let fps: Vec<&str> =
        lay.shown.iter().filter_map(|p| p.service.as_ref().and_then(|s| s.fingerprint.as_deref())).collect();
    if fps.is_empty() {
        return String::new();
    }
    let url = if opts.from_nmap { "https://nmap.org" } else { "https://portolan.invalid" };
    let mut out = if let [_] = fps.as_slice() {
        format!(
            "1 service unrecognized despite returning data. If you know the service/version, please submit the following fingerprint at {url}/cgi-bin/submit.cgi?new-service :\n"
        )
    } else {
        format!(
            "{} services unrecognized despite returning data. If you know the service/version, please submit the following fingerprints at {url}/cgi-bin/submit.cgi?new-service :\n",
            fps.len()
        )
    };
    for fp in &fps {
        if fps.len() > 1 {
            out.push_str("==============NEXT SERVICE FINGERPRINT (SUBMIT INDIVIDUALLY)==============\n");
        }
        for line in portolan_model::report::service_fingerprint_lines(fp) {
            out.push_str(&sanitize(&line));
            out.push('\n');
        }
    }
    out
}

/// "MAC Address: 02:00:00:00:0A:01 (Unknown)" for a host on the scanner's link.
fn mac_line(h: &HostReport) -> String {
    match h.addresses.iter().find(|a| a.kind == AddressKind::Mac) {
        Some(m) => format!(
            "MAC Address: {} ({})\n",
            sanitize(&m.addr),
            m.vendor.as_deref().filter(|v| !v.is_empty()).map(sanitize).unwrap_or("Unknown".into())
        ),
        None => String::new(),
    }
}

/// Everything Nmap prints after the port table: OS detection, uptime (at -v), distance, "Service Info",
/// host script results and the traceroute.
fn details(h: &HostReport, earlier: &[HostReport], opts: &RenderOptions) -> String {
    let mut out = String::new();
    if let Some(os) = &h.os {
        out.push_str(&os_text(os, opts.osscan_guess));
    }
    if let (true, Some(u)) = (opts.verbose >= 1, &h.uptime) {
        let _ = writeln!(out, "Uptime guess: {:.3} days (since {})", u.seconds as f64 / 86400.0, sanitize(&u.last_boot));
    }
    if let Some(d) = h.distance {
        let _ = writeln!(out, "Network Distance: {d} {}", if d == 1 { "hop" } else { "hops" });
    }
    if opts.verbose >= 1 {
        if let Some(t) = &h.tcp_sequence {
            let _ = writeln!(out, "TCP Sequence Prediction: Difficulty={} ({})", t.index, sanitize(&t.difficulty));
        }
        if let Some(c) = &h.ip_id_sequence {
            let _ = writeln!(out, "IP ID Sequence Generation: {}", sanitize(&c.class));
        }
    }
    out.push_str(&service_info(h));
    if !h.host_scripts.is_empty() {
        out.push_str("\nHost script results:\n");
        for sc in &h.host_scripts {
            out.push_str(&script_text(sc));
        }
    }
    if let Some(t) = &h.trace {
        out.push_str(&trace_text(h, t, earlier));
    }
    out
}

/// The OS detection lines. An exact match (100%) is printed as Nmap's "Device type / Running / OS CPE /
/// OS details"; otherwise Nmap shows no guesses unless asked (`--osscan-guess`), only that there was no
/// exact match and the fingerprint to submit.
fn os_text(os: &portolan_model::OsInfo, guess: bool) -> String {
    let mut out = String::new();
    let exact: Vec<&portolan_model::OsMatch> = os.matches.iter().filter(|m| m.accuracy >= 100).collect();
    if exact.is_empty() {
        if os.matches.is_empty() && os.fingerprint.is_none() {
            return out;
        }
        // The close matches the report lists (Nmap keeps at most ten), printed only when asked for. Nmap's
        // "Running (JUST GUESSING)" summary is left out: it needs the classes of every kept match, which
        // the report does not hold (and Nmap omits it for real databases' guesses anyway).
        if guess && !os.matches.is_empty() {
            let list: Vec<String> =
                os.matches.iter().map(|m| format!("{} ({}%)", sanitize(&m.name), m.accuracy)).collect();
            let _ = writeln!(out, "Aggressive OS guesses: {}", list.join(", "));
        }
        out.push_str(if os.matches.is_empty() {
            "No OS matches for host\n"
        } else {
            "No exact OS matches for host (If you know what OS is running on it, see https://nmap.org/submit/ ).\n"
        });
        if let Some(fp) = &os.fingerprint {
            out.push_str("TCP/IP fingerprint:\n");
            for line in fp.lines() {
                out.push_str(&sanitize(line));
                out.push('\n');
            }
            out.push('\n');
        }
        return out;
    }
    let classes: Vec<&portolan_model::OsClass> = exact.iter().flat_map(|m| m.classes.iter()).collect();
    let mut devices: Vec<String> = Vec::new();
    let mut running: Vec<(String, Vec<String>)> = Vec::new();
    let mut cpes: Vec<String> = Vec::new();
    for c in &classes {
        if let Some(d) = c.device_type.as_deref().filter(|d| !d.is_empty()).map(|d| sanitize(d).into_owned())
            && !devices.contains(&d)
        {
            devices.push(d);
        }
        let fam = sanitize(&format!("{} {}", c.vendor, c.family)).into_owned();
        let fam = if c.vendor == c.family { sanitize(&c.family).into_owned() } else { fam };
        let entry = match running.iter_mut().find(|(f, _)| *f == fam) {
            Some(e) => e,
            None => {
                running.push((fam, Vec::new()));
                let last = running.len() - 1;
                &mut running[last]
            }
        };
        if let Some(g) = c.generation.as_deref().filter(|g| !g.is_empty()).map(|g| sanitize(g).into_owned())
            && !entry.1.contains(&g)
        {
            entry.1.push(g);
        }
        for cpe in &c.cpe {
            if !cpes.contains(cpe) {
                cpes.push(cpe.clone());
            }
        }
    }
    if !devices.is_empty() {
        let _ = writeln!(out, "Device type: {}", devices.join("|"));
    }
    if !running.is_empty() {
        let items: Vec<String> =
            running.iter().map(|(f, g)| if g.is_empty() { f.clone() } else { format!("{f} {}", g.join("|")) }).collect();
        let _ = writeln!(out, "Running: {}", items.join(", "));
    }
    if !cpes.is_empty() {
        let _ = writeln!(out, "OS CPE: {}", cpes.iter().map(|c| sanitize(c).into_owned()).collect::<Vec<_>>().join(" "));
    }
    let names: Vec<String> = exact.iter().map(|m| sanitize(&m.name).into_owned()).collect();
    let _ = writeln!(out, "OS details: {}", names.join(", "));
    out
}

/// "Service Info: Host: x; OS: Linux; Device: router; CPE: cpe:/o:linux:linux_kernel" from what version
/// detection learned on the listed ports (only OS and hardware CPEs, as Nmap).
fn service_info(h: &HostReport) -> String {
    let mut hosts: Vec<&str> = Vec::new();
    let mut oses: Vec<&str> = Vec::new();
    let mut devices: Vec<&str> = Vec::new();
    let mut cpes: Vec<&str> = Vec::new();
    for s in h.ports.iter().filter_map(|p| p.service.as_ref()) {
        for (list, v) in [(&mut hosts, &s.hostname), (&mut oses, &s.os_type), (&mut devices, &s.device_type)] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty())
                && !list.contains(&v)
            {
                list.push(v);
            }
        }
        for c in &s.cpe {
            if (c.starts_with("cpe:/o") || c.starts_with("cpe:/h")) && !cpes.contains(&c.as_str()) {
                cpes.push(c);
            }
        }
    }
    let mut parts: Vec<String> = Vec::new();
    let join = |v: &[&str], sep: &str| v.iter().map(|x| sanitize(x).into_owned()).collect::<Vec<_>>().join(sep);
    if !hosts.is_empty() {
        parts.push(format!("{}: {}", if hosts.len() == 1 { "Host" } else { "Hosts" }, join(&hosts, ", ")));
    }
    if !oses.is_empty() {
        parts.push(format!("{}: {}", if oses.len() == 1 { "OS" } else { "OSs" }, join(&oses, ", ")));
    }
    if !devices.is_empty() {
        parts.push(format!("{}: {}", if devices.len() == 1 { "Device" } else { "Devices" }, join(&devices, ", ")));
    }
    if !cpes.is_empty() {
        parts.push(format!("CPE: {}", join(&cpes, ", ")));
    }
    if parts.is_empty() { String::new() } else { format!("Service Info: {}\n", parts.join("; ")) }
}

/// A script's output under its port or in "Host script results": "|_id: output" for one line, else
/// "| id: first", "| ..." and a last "|_..." line. Every line is sanitised.
pub(crate) fn script_text(sc: &ScriptResult) -> String {
    let text = format!("{}: {}", sc.id, sc.output.strip_suffix('\n').unwrap_or(&sc.output));
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        let l = l.strip_suffix('\r').unwrap_or(l);
        out.push_str(if i + 1 == lines.len() { "|_" } else { "| " });
        out.push_str(&sanitize(l));
        out.push('\n');
    }
    out
}

/// The TRACEROUTE block: a table of hop, round trip and address; runs of silent hops as "ttl ... ttl"; the
/// first hops shared with a host printed earlier as "Hops 1-n are the same as for ...".
fn trace_text(h: &HostReport, t: &portolan_model::Trace, earlier: &[HostReport]) -> String {
    let mut out = String::from("\nTRACEROUTE");
    if let (Some(port), Some(proto)) = (t.port, t.protocol.as_deref()) {
        let _ = write!(out, " (using port {port}/{})", sanitize(proto));
    } else if let Some(proto) = t.protocol.as_deref().filter(|p| *p != "tcp" && *p != "udp") {
        let _ = write!(out, " (using proto {})", sanitize(proto));
    }
    out.push('\n');
    let mut hops: Vec<&portolan_model::TraceHop> = t.hops.iter().collect();
    hops.sort_by_key(|x| x.ttl);
    // Shared leading hops: the longest run equal (by address) to an earlier host's, that host named first.
    let mut shared: Option<(usize, String)> = None;
    for e in earlier {
        let Some(et) = &e.trace else { continue };
        let n = hops
            .iter()
            .zip(et.hops.iter())
            .take_while(|(a, b)| a.ttl == b.ttl && a.addr.is_some() && a.addr == b.addr)
            .count();
        if n > 0 && n < hops.len() && shared.as_ref().is_none_or(|(m, _)| n > *m) {
            let name = e.ip().map(|ip| ip.to_string()).unwrap_or_default();
            shared = Some((n, name));
        }
    }
    let own_ip = h.ip();
    let mut rows: Vec<[String; 3]> = vec![["HOP".into(), "RTT".into(), "ADDRESS".into()]];
    let mut raw_after_header: Option<String> = None;
    let skip = shared.as_ref().map(|(n, _)| *n).unwrap_or(0);
    if let Some((n, name)) = &shared {
        let what = if *n == 1 { "Hop 1 is".to_owned() } else { format!("Hops 1-{n} are") };
        raw_after_header = Some(format!("{what} the same as for {}", sanitize(name)));
    }
    let mut prev_ttl: u8 = hops.get(skip.saturating_sub(1)).filter(|_| skip > 0).map(|x| x.ttl).unwrap_or(0);
    for hop in hops.iter().skip(skip) {
        if hop.ttl > prev_ttl.saturating_add(1) {
            let (a, b) = (prev_ttl + 1, hop.ttl - 1);
            rows.push([a.to_string(), "...".into(), if a == b { String::new() } else { b.to_string() }]);
        }
        prev_ttl = hop.ttl;
        let rtt = hop.rtt_ms.filter(|r| r.is_finite()).map(|r| format!("{r:.2} ms")).unwrap_or_else(|| "--".into());
        let addr = match (hop.addr, hop.host.as_deref().filter(|n| !n.is_empty())) {
            (Some(ip), Some(name)) => format!("{} ({ip})", sanitize(name)),
            (Some(ip), None) => {
                // The target's own hop carries the name the report gave the host.
                match (own_ip == Some(ip), h.hostnames.first()) {
                    (true, Some(n)) if !n.name.is_empty() => format!("{} ({ip})", sanitize(&n.name)),
                    _ => ip.to_string(),
                }
            }
            (None, _) => "...".into(),
        };
        rows.push([hop.ttl.to_string(), rtt, addr]);
    }
    let w0 = rows.iter().map(|r| r[0].chars().count()).max().unwrap_or(3);
    let w1 = rows.iter().map(|r| r[1].chars().count()).max().unwrap_or(3);
    for (i, r) in rows.iter().enumerate() {
        let line = format!("{:<w0$} {:<w1$} {}", r[0], r[1], r[2]);
        out.push_str(line.trim_end());
        out.push('\n');
        if let (0, Some(raw)) = (i, &raw_after_header) {
            let _ = writeln!(out, "{:<w0$} {raw}", "-");
        }
    }
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

/// The SERVICE column and grepable service field: after version detection, an open port's table name is a
/// guess, and Nmap marks it with "?".
pub(crate) fn listed_service_name(p: &PortReport, opts: &RenderOptions) -> String {
    let mut name = service_name(p);
    if opts.version_scan && p.state == PortState::Open && p.service.as_ref().is_none_or(|s| s.method == "table") {
        name.push('?');
    }
    name
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
    let with_version = opts.version_scan
        || lay.shown.iter().any(|p| {
            p.service.as_ref().is_some_and(|s| s.method == "probed" || s.product.is_some() || s.version.is_some())
        });
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(lay.shown.len() + 1);
    // -sO lists protocol numbers under PROTOCOL, without a "/proto" suffix.
    let protocols = lay.shown.iter().all(|p| p.protocol == portolan_model::Protocol::Ip) && !lay.shown.is_empty();
    let first = if protocols { "PROTOCOL" } else { "PORT" };
    let mut head = vec![first.to_owned(), "STATE".to_owned(), "SERVICE".to_owned()];
    if with_reason {
        head.push("REASON".into());
    }
    if with_version {
        head.push("VERSION".into());
    }
    rows.push(head);
    for p in &lay.shown {
        let id = if protocols { p.port.to_string() } else { format!("{}/{}", p.port, p.protocol) };
        let mut row = vec![id, p.state.to_string(), listed_service_name(p, opts)];
        if with_reason {
            row.push(reason_text(p.reason.as_str(), p.reason_ttl));
        }
        if with_version {
            row.push(version_text(p));
        }
        rows.push(row);
    }
    let scripts: Vec<String> = std::iter::once(String::new())
        .chain(lay.shown.iter().map(|p| p.scripts.iter().map(script_text).collect::<String>()))
        .collect();
    let cols = rows[0].len();
    let widths: Vec<usize> =
        (0..cols).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for (row, script_lines) in rows.into_iter().zip(scripts) {
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
        out.push_str(&script_lines);
    }
    out
}

//! The diff's three faces: text and XML laid out as Nmap's `ndiff` lays them out (a `-`/`+`/` ` column, a
//! port table, script output lines, `<nmapdiff>`), and JSON (the serde shape of [`ScanDiff`]).

use super::{summarised_state, Change, HostDiff, ScanDiff, ScanSummary, ServiceId};
use crate::text::sanitize;
use crate::xml::{attr, attr_lines};
use chrono::{Local, TimeZone};
use portolan_model::{AddressKind, HostReport, PortReport, PortState, Protocol, ScriptResult};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// "Nmap 7.93 scan initiated Thu Nov 26 15:39:42 2026 as: nmap -sV ...", `ndiff`'s banner.
fn banner(s: &ScanSummary) -> String {
    let mut parts: Vec<String> =
        vec![if s.scanner.is_empty() || s.scanner.eq_ignore_ascii_case("nmap") { "Nmap".into() } else { sanitize(&s.scanner).into_owned() }];
    if !s.version.is_empty() {
        parts.push(sanitize(&s.version).into_owned());
    }
    parts.push("scan".into());
    if let Some(t) = Local.timestamp_opt(s.start, 0).single() {
        parts.push(format!("initiated {}", t.format("%a %b %d %H:%M:%S %Y")));
    }
    if !s.args.is_empty() {
        parts.push(format!("as: {}", sanitize(&s.args)));
    }
    parts.join(" ")
}

/// Edit script of two line lists by longest common subsequence: each run of changes is its removals then
/// its additions, as `ndiff` (difflib) prints a replaced block. Very long inputs fall back to "all removed,
/// all added" so the quadratic table stays bounded.
fn line_ops<'a>(a: &'a [String], b: &'a [String]) -> Vec<(char, &'a str)> {
    let (n, m) = (a.len(), b.len());
    let mut out = Vec::with_capacity(n + m);
    if n.saturating_mul(m) > 4_000_000 {
        out.extend(a.iter().map(|l| ('-', l.as_str())));
        out.extend(b.iter().map(|l| ('+', l.as_str())));
        return out;
    }
    // lcs[i][j]: length of the LCS of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let (mut del, mut ins): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    let flush = |out: &mut Vec<(char, &'a str)>, del: &mut Vec<&'a str>, ins: &mut Vec<&'a str>| {
        out.extend(del.drain(..).map(|l| ('-', l)));
        out.extend(ins.drain(..).map(|l| ('+', l)));
    };
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            flush(&mut out, &mut del, &mut ins);
            out.push((' ', a[i].as_str()));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            ins.push(b[j].as_str());
            j += 1;
        } else {
            del.push(a[i].as_str());
            i += 1;
        }
    }
    flush(&mut out, &mut del, &mut ins);
    out
}

/// A script's output as Nmap's port table shows it: "|  " lines and a final "|_ " line, the first line
/// starting with the script id.
fn script_lines(s: &ScriptResult) -> Vec<String> {
    let lines: Vec<String> = s
        .output
        .split('\n')
        .map(|l| sanitize(l.strip_suffix('\r').unwrap_or(l)).into_owned())
        .collect();
    // Python's splitlines drops the empty piece after a final newline, and an empty output has no lines.
    let mut lines = lines;
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let n = lines.len();
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let l = if i == 0 { format!("{}: {l}", sanitize(&s.id)) } else { l };
            if i + 1 == n { format!("|_ {l}") } else { format!("|  {l}") }
        })
        .collect()
}

/// The marked lines of script results (a port's or a host's): changed scripts always, unchanged ones when
/// verbose.
fn script_rows(a: &[ScriptResult], b: &[ScriptResult], verbose: bool) -> Vec<String> {
    let mut ids: BTreeMap<&str, (Option<&ScriptResult>, Option<&ScriptResult>)> = BTreeMap::new();
    for s in a {
        ids.entry(s.id.as_str()).or_default().0.get_or_insert(s);
    }
    for s in b {
        ids.entry(s.id.as_str()).or_default().1.get_or_insert(s);
    }
    let mut rows = Vec::new();
    for (_, (sa, sb)) in ids {
        let la = sa.map(script_lines).unwrap_or_default();
        let lb = sb.map(script_lines).unwrap_or_default();
        if la == lb && !verbose {
            continue;
        }
        rows.extend(line_ops(&la, &lb).into_iter().map(|(mark, l)| format!("{mark}{l}")));
    }
    rows
}

fn name_string(s: Option<&ServiceId>) -> String {
    match s {
        None => String::new(),
        Some(s) => {
            let mut parts = Vec::new();
            if let Some(t) = &s.tunnel {
                parts.push(sanitize(t).into_owned());
            }
            if !s.name.is_empty() {
                parts.push(sanitize(&s.name).into_owned());
            }
            parts.join("/")
        }
    }
}

fn version_string(s: Option<&ServiceId>) -> String {
    let Some(s) = s else { return String::new() };
    let mut parts = Vec::new();
    for v in [&s.product, &s.version].into_iter().flatten() {
        parts.push(sanitize(v).into_owned());
    }
    if let Some(e) = &s.extra_info {
        parts.push(format!("({})", sanitize(e)));
    }
    parts.join(" ")
}

/// "web-a.lab (198.18.1.2, 02:00:00:00:0A:01)": names, then addresses (IPv4, IPv6, MAC), each sorted.
fn host_name(h: &HostReport) -> String {
    let mut addrs: Vec<(u8, String)> = h
        .addresses
        .iter()
        .map(|a| {
            let rank = match a.kind {
                AddressKind::Ipv4 => 0,
                AddressKind::Ipv6 => 1,
                AddressKind::Mac => 2,
            };
            (rank, sanitize(&a.addr).into_owned())
        })
        .collect();
    addrs.sort();
    let addrs = addrs.into_iter().map(|(_, a)| a).collect::<Vec<_>>().join(", ");
    let mut names: Vec<String> = h.hostnames.iter().map(|n| sanitize(&n.name).into_owned()).collect();
    names.sort();
    names.dedup();
    let names = names.join(", ");
    match (names.is_empty(), addrs.is_empty()) {
        (false, false) => format!("{names} ({addrs})"),
        (false, true) => names,
        (true, false) => addrs,
        (true, true) => "<no name>".into(),
    }
}

fn not_shown(h: &HostReport) -> String {
    super::extra_counts(h).iter().map(|s| format!("{} {} ports", s.count, s.state)).collect::<Vec<_>>().join(", ")
}

/// One port as the table shows it: listed, or its state inferred from the host's summary.
struct PortView<'a> {
    listed: Option<&'a PortReport>,
    state: Option<PortState>,
    service: Option<ServiceId>,
}

fn port_view<'a>(h: Option<&'a HostReport>, protocol: Protocol, port: u16) -> PortView<'a> {
    let listed = h.and_then(|h| h.ports.iter().find(|p| p.protocol == protocol && p.port == port));
    let state = listed.map(|p| p.state).or_else(|| h.and_then(|h| summarised_state(h, protocol, port)));
    PortView { listed, state, service: listed.and_then(|p| p.service.as_ref()).map(ServiceId::of) }
}

/// The ports of a host pair in `ndiff`'s order (number, then protocol).
fn port_keys(a: Option<&HostReport>, b: Option<&HostReport>) -> Vec<(Protocol, u16)> {
    let mut keys: BTreeSet<(u16, Protocol)> = BTreeSet::new();
    for h in [a, b].into_iter().flatten() {
        keys.extend(h.ports.iter().map(|p| (p.port, p.protocol)));
    }
    keys.into_iter().map(|(p, pr)| (pr, p)).collect()
}

/// Text in `ndiff`'s layout. `verbose` also shows unchanged hosts, ports and script output.
pub fn render_text(d: &ScanDiff, verbose: bool) -> String {
    let mut o = String::new();
    let (ba, bb) = (banner(&d.a), banner(&d.b));
    if ba != bb {
        let _ = writeln!(o, "-{ba}\n+{bb}");
    } else if verbose {
        let _ = writeln!(o, " {ba}");
    }
    for h in &d.hosts {
        if h.changes.is_empty() && !verbose {
            continue;
        }
        o.push('\n');
        host_text(&mut o, h, verbose);
    }
    o
}

fn host_text(o: &mut String, d: &HostDiff, verbose: bool) {
    let (a, b) = (d.a.as_ref(), d.b.as_ref());
    let id_changed = a.is_none()
        || b.is_none()
        || d.changes.iter().any(|c| matches!(c, Change::Addresses { .. } | Change::Hostnames { .. }));
    if id_changed {
        if let Some(a) = a {
            let _ = writeln!(o, "-{}:", host_name(a));
        }
        if let Some(b) = b {
            let _ = writeln!(o, "+{}:", host_name(b));
        }
    } else if let Some(h) = a.or(b) {
        let _ = writeln!(o, " {}:", host_name(h));
    }
    let state_changed = a.map(|h| h.status.state) != b.map(|h| h.status.state);
    if state_changed {
        if let Some(a) = a {
            let _ = writeln!(o, "-Host is {}.", a.status.state.as_str());
        }
        if let Some(b) = b {
            let _ = writeln!(o, "+Host is {}.", b.status.state.as_str());
        }
    } else if let (true, Some(b)) = (verbose, b) {
        let _ = writeln!(o, " Host is {}.", b.status.state.as_str());
    }
    let (xa, xb) = (a.map(not_shown).unwrap_or_default(), b.map(not_shown).unwrap_or_default());
    if xa != xb {
        if !xa.is_empty() {
            let _ = writeln!(o, "-Not shown: {xa}");
        }
        if !xb.is_empty() {
            let _ = writeln!(o, "+Not shown: {xb}");
        }
    } else if verbose && !xa.is_empty() {
        let _ = writeln!(o, " Not shown: {xa}");
    }

    // The port table: formatted rows and raw script lines.
    enum Row {
        Cells([String; 5]),
        Raw(String),
    }
    let mark = match (a, b) {
        (None, Some(_)) => "+",
        (Some(_), None) => "-",
        _ => " ",
    };
    let mut rows = vec![Row::Cells([mark.into(), "PORT".into(), "STATE".into(), "SERVICE".into(), "VERSION".into()])];
    let empty: Vec<ScriptResult> = Vec::new();
    for (protocol, port) in port_keys(a, b) {
        let (va, vb) = (port_view(a, protocol, port), port_view(b, protocol, port));
        let spec = format!("{port}/{protocol}");
        let cells = |v: &PortView<'_>, m: &str| -> [String; 5] {
            [
                m.into(),
                spec.clone(),
                v.state.map(|s| s.to_string()).unwrap_or_else(|| "unknown".into()),
                name_string(v.service.as_ref()),
                version_string(v.service.as_ref()),
            ]
        };
        let compare_details = (va.listed.is_some() && vb.listed.is_some()) || va.state != vb.state;
        let scripts = if compare_details {
            script_rows(
                va.listed.map(|p| &p.scripts).unwrap_or(&empty),
                vb.listed.map(|p| &p.scripts).unwrap_or(&empty),
                verbose,
            )
        } else {
            Vec::new()
        };
        let same = va.state == vb.state && (!compare_details || va.service == vb.service);
        if same {
            if verbose || !scripts.is_empty() {
                rows.push(Row::Cells(cells(if va.listed.is_some() { &va } else { &vb }, " ")));
            }
        } else {
            if va.state.is_some() {
                rows.push(Row::Cells(cells(&va, "-")));
            }
            if vb.state.is_some() {
                rows.push(Row::Cells(cells(&vb, "+")));
            }
        }
        rows.extend(scripts.into_iter().map(Row::Raw));
    }
    if rows.len() > 1 {
        let mut widths = [0usize; 5];
        for r in &rows {
            if let Row::Cells(c) = r {
                for (w, cell) in widths.iter_mut().zip(c) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        for r in &rows {
            match r {
                Row::Raw(s) => {
                    o.push_str(s);
                    o.push('\n');
                }
                Row::Cells(c) => {
                    let mut line = String::new();
                    for (i, cell) in c.iter().enumerate() {
                        line.push_str(cell);
                        if i + 1 < c.len() {
                            line.extend(std::iter::repeat_n(' ', widths[i] - cell.chars().count()));
                            if i > 0 {
                                line.push(' ');
                            }
                        }
                    }
                    o.push_str(line.trim_end());
                    o.push('\n');
                }
            }
        }
    }

    let os = |h: Option<&HostReport>| -> Vec<String> {
        h.and_then(|h| h.os.as_ref())
            .map(|os| os.matches.iter().map(|m| sanitize(&m.name).into_owned()).collect())
            .unwrap_or_default()
    };
    let (oa, ob) = (os(a), os(b));
    if oa != ob || verbose {
        match (oa.is_empty(), ob.is_empty()) {
            (false, false) => o.push_str(" OS details:\n"),
            (false, true) => o.push_str("-OS details:\n"),
            (true, false) => o.push_str("+OS details:\n"),
            (true, true) => {}
        }
        for (m, l) in line_ops(&oa, &ob) {
            let _ = writeln!(o, "{m}  {l}");
        }
    }

    let hsa = a.map(|h| &h.host_scripts).unwrap_or(&empty);
    let hsb = b.map(|h| &h.host_scripts).unwrap_or(&empty);
    let lines = script_rows(hsa, hsb, verbose);
    if !lines.is_empty() {
        let mark = if hsb.is_empty() {
            "-"
        } else if hsa.is_empty() {
            "+"
        } else {
            " "
        };
        let _ = writeln!(o, "\n{mark}Host script results:");
        for l in lines {
            o.push_str(&l);
            o.push('\n');
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// XML

fn nmaprun_xml(s: &ScanSummary) -> String {
    let start = Local
        .timestamp_opt(s.start, 0)
        .single()
        .map(|t| t.format("%a %b %e %H:%M:%S %Y").to_string())
        .unwrap_or_default();
    format!(
        "<nmaprun scanner=\"{}\" args=\"{}\" start=\"{}\" startstr=\"{}\" version=\"{}\"/>",
        attr(if s.scanner.is_empty() { "nmap" } else { &s.scanner }),
        attr(&s.args),
        s.start,
        attr(&start),
        attr(&s.version)
    )
}

fn service_xml(s: Option<&ServiceId>) -> String {
    let Some(s) = s else { return String::new() };
    let mut o = format!("<service name=\"{}\"", attr(&s.name));
    for (k, v) in
        [("product", &s.product), ("version", &s.version), ("extrainfo", &s.extra_info), ("tunnel", &s.tunnel)]
    {
        if let Some(v) = v {
            let _ = write!(o, " {k}=\"{}\"", attr(v));
        }
    }
    o.push_str("/>\n");
    o
}

fn script_xml(s: &ScriptResult) -> String {
    format!("<script id=\"{}\" output=\"{}\"/>\n", attr(&s.id), attr_lines(&s.output))
}

/// Scripts of a port or host shown whole, ordered by id (then output) as `ndiff` orders them.
fn scripts_sorted_xml(list: &[ScriptResult]) -> String {
    let mut v: Vec<&ScriptResult> = list.iter().collect();
    v.sort_by(|a, b| (&a.id, &a.output).cmp(&(&b.id, &b.output)));
    v.into_iter().map(script_xml).collect()
}

fn port_xml(protocol: Protocol, port: u16, v: &PortView<'_>) -> String {
    let mut o = format!("<port portid=\"{port}\" protocol=\"{protocol}\">\n");
    if let Some(s) = v.state {
        let _ = writeln!(o, "<state state=\"{s}\"/>");
    }
    o.push_str(&service_xml(v.service.as_ref()));
    if let Some(p) = v.listed {
        o.push_str(&scripts_sorted_xml(&p.scripts));
    }
    o.push_str("</port>\n");
    o
}

fn addr_xml(a: &portolan_model::Address) -> String {
    format!("<address addr=\"{}\" addrtype=\"{}\"/>\n", attr(&a.addr), a.kind.as_str())
}

/// A whole host, for a host only one scan has.
fn host_xml(h: &HostReport) -> String {
    let mut o = String::from("<host>\n");
    let _ = writeln!(o, "<status state=\"{}\"/>", h.status.state.as_str());
    for a in &h.addresses {
        o.push_str(&addr_xml(a));
    }
    if !h.hostnames.is_empty() {
        o.push_str("<hostnames>\n");
        for n in &h.hostnames {
            let _ = writeln!(o, "<hostname name=\"{}\"/>", attr(&n.name));
        }
        o.push_str("</hostnames>\n");
    }
    if !h.ports.is_empty() || !h.extra_ports.is_empty() {
        o.push_str("<ports>\n");
        for e in super::extra_counts(h) {
            let _ = writeln!(o, "<extraports state=\"{}\" count=\"{}\"/>", e.state, e.count);
        }
        for p in &h.ports {
            o.push_str(&port_xml(p.protocol, p.port, &port_view(Some(h), p.protocol, p.port)));
        }
        o.push_str("</ports>\n");
    }
    if let Some(os) = &h.os {
        o.push_str("<os>\n");
        for m in &os.matches {
            let _ = writeln!(o, "<osmatch name=\"{}\"/>", attr(&m.name));
        }
        o.push_str("</os>\n");
    }
    if !h.host_scripts.is_empty() {
        o.push_str("<hostscript>\n");
        o.push_str(&scripts_sorted_xml(&h.host_scripts));
        o.push_str("</hostscript>\n");
    }
    o.push_str("</host>\n");
    o
}

fn script_diff_xml(a: &[ScriptResult], b: &[ScriptResult], verbose: bool) -> String {
    let mut ids: BTreeMap<&str, (Option<&ScriptResult>, Option<&ScriptResult>)> = BTreeMap::new();
    for s in a {
        ids.entry(s.id.as_str()).or_default().0.get_or_insert(s);
    }
    for s in b {
        ids.entry(s.id.as_str()).or_default().1.get_or_insert(s);
    }
    let mut o = String::new();
    for (_, (sa, sb)) in ids {
        match (sa, sb) {
            (Some(x), Some(y)) if x.output == y.output => {
                if verbose {
                    o.push_str(&script_xml(x));
                }
            }
            _ => {
                if let Some(x) = sa {
                    let _ = write!(o, "<a>\n{}</a>\n", script_xml(x));
                }
                if let Some(y) = sb {
                    let _ = write!(o, "<b>\n{}</b>\n", script_xml(y));
                }
            }
        }
    }
    o
}

/// XML in `ndiff`'s `<nmapdiff>` layout: unchanged parts plain, differing parts as `<a>` (before) and `<b>`
/// (after).
pub fn render_xml(d: &ScanDiff, verbose: bool) -> String {
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<nmapdiff version=\"1\"><scandiff>");
    let (na, nb) = (nmaprun_xml(&d.a), nmaprun_xml(&d.b));
    if na == nb {
        o.push_str(&na);
        o.push('\n');
    } else {
        let _ = write!(o, "<a>{na}\n</a><b>{nb}\n</b>");
    }
    for h in &d.hosts {
        if h.changes.is_empty() && !verbose {
            continue;
        }
        o.push_str("<hostdiff>\n");
        match (&h.a, &h.b) {
            (Some(a), None) => {
                let _ = write!(o, "<a>\n{}</a>\n", host_xml(a));
            }
            (None, Some(b)) => {
                let _ = write!(o, "<b>\n{}</b>\n", host_xml(b));
            }
            (Some(a), Some(b)) => host_pair_xml(&mut o, a, b, verbose),
            (None, None) => {}
        }
        o.push_str("</hostdiff>\n");
    }
    o.push_str("</scandiff></nmapdiff>\n");
    o
}

fn host_pair_xml(o: &mut String, a: &HostReport, b: &HostReport, verbose: bool) {
    o.push_str("<host>\n");
    if a.status.state != b.status.state {
        let _ = write!(
            o,
            "<a>\n<status state=\"{}\"/>\n</a>\n<b>\n<status state=\"{}\"/>\n</b>\n",
            a.status.state.as_str(),
            b.status.state.as_str()
        );
    } else if verbose {
        let _ = writeln!(o, "<status state=\"{}\"/>", a.status.state.as_str());
    }
    let key = |x: &portolan_model::Address| (x.kind.as_str(), x.addr.to_ascii_lowercase());
    let ka: BTreeSet<_> = a.addresses.iter().map(key).collect();
    let kb: BTreeSet<_> = b.addresses.iter().map(key).collect();
    for x in a.addresses.iter().filter(|x| kb.contains(&key(x))) {
        o.push_str(&addr_xml(x));
    }
    let only_a: String = a.addresses.iter().filter(|x| !kb.contains(&key(x))).map(addr_xml).collect();
    let only_b: String = b.addresses.iter().filter(|x| !ka.contains(&key(x))).map(addr_xml).collect();
    if !only_a.is_empty() {
        let _ = write!(o, "<a>\n{only_a}</a>\n");
    }
    if !only_b.is_empty() {
        let _ = write!(o, "<b>\n{only_b}</b>\n");
    }
    let na: BTreeSet<&str> = a.hostnames.iter().map(|n| n.name.as_str()).collect();
    let nb: BTreeSet<&str> = b.hostnames.iter().map(|n| n.name.as_str()).collect();
    let mut names = String::new();
    for n in na.intersection(&nb) {
        let _ = writeln!(names, "<hostname name=\"{}\"/>", attr(n));
    }
    let fmt = |set: Vec<&&str>| set.iter().map(|n| format!("<hostname name=\"{}\"/>\n", attr(n))).collect::<String>();
    let (ra, rb) = (fmt(na.difference(&nb).collect()), fmt(nb.difference(&na).collect()));
    if !ra.is_empty() {
        let _ = write!(names, "<a>\n{ra}</a>\n");
    }
    if !rb.is_empty() {
        let _ = write!(names, "<b>\n{rb}</b>\n");
    }
    if !names.is_empty() {
        let _ = write!(o, "<hostnames>\n{names}</hostnames>\n");
    }

    let mut ports = String::new();
    let (xa, xb) = (super::extra_counts(a), super::extra_counts(b));
    let extra = |v: &[super::StateCount]| {
        v.iter().map(|e| format!("<extraports state=\"{}\" count=\"{}\"/>\n", e.state, e.count)).collect::<String>()
    };
    if xa == xb {
        ports.push_str(&extra(&xa));
    } else {
        let _ = write!(ports, "<a>\n{}</a>\n<b>\n{}</b>\n", extra(&xa), extra(&xb));
    }
    let empty: Vec<ScriptResult> = Vec::new();
    for (protocol, port) in port_keys(Some(a), Some(b)) {
        let (va, vb) = (port_view(Some(a), protocol, port), port_view(Some(b), protocol, port));
        let compare_details = (va.listed.is_some() && vb.listed.is_some()) || va.state != vb.state;
        if va.state != vb.state {
            let _ = write!(
                ports,
                "<portdiff>\n<a>\n{}</a>\n<b>\n{}</b>\n</portdiff>\n",
                port_xml(protocol, port, &va),
                port_xml(protocol, port, &vb)
            );
            continue;
        }
        let (sa, sb) = (va.listed.map(|p| &p.scripts).unwrap_or(&empty), vb.listed.map(|p| &p.scripts).unwrap_or(&empty));
        let scripts_changed = compare_details && !script_diff_xml(sa, sb, false).is_empty();
        let svc_changed = compare_details && va.service != vb.service;
        if !svc_changed && !scripts_changed {
            if verbose {
                ports.push_str(&port_xml(protocol, port, if va.listed.is_some() { &va } else { &vb }));
            }
            continue;
        }
        let _ = write!(ports, "<portdiff>\n<port portid=\"{port}\" protocol=\"{protocol}\">\n");
        if let Some(s) = va.state {
            let _ = writeln!(ports, "<state state=\"{s}\"/>");
        }
        if svc_changed {
            let _ = write!(
                ports,
                "<a>\n{}</a>\n<b>\n{}</b>\n",
                service_xml(va.service.as_ref()),
                service_xml(vb.service.as_ref())
            );
        } else {
            ports.push_str(&service_xml(va.service.as_ref()));
        }
        // In a changed port, -v also lists the scripts that did not change, as ndiff does.
        ports.push_str(&script_diff_xml(sa, sb, verbose));
        ports.push_str("</port>\n</portdiff>\n");
    }
    if !ports.is_empty() {
        let _ = write!(o, "<ports>\n{ports}</ports>\n");
    }

    let os = |h: &HostReport| -> Vec<String> {
        h.os.as_ref().map(|os| os.matches.iter().map(|m| m.name.clone()).collect()).unwrap_or_default()
    };
    let (oa, ob) = (os(a), os(b));
    if oa != ob || verbose {
        let mut body = String::new();
        let (mut ga, mut gb) = (String::new(), String::new());
        let flush = |body: &mut String, ga: &mut String, gb: &mut String| {
            if !ga.is_empty() {
                let _ = write!(body, "<a>\n{ga}</a>\n");
                ga.clear();
            }
            if !gb.is_empty() {
                let _ = write!(body, "<b>\n{gb}</b>\n");
                gb.clear();
            }
        };
        for (m, name) in line_ops(&oa, &ob) {
            let line = format!("<osmatch name=\"{}\"/>\n", attr(name));
            match m {
                '-' => ga.push_str(&line),
                '+' => gb.push_str(&line),
                _ => {
                    flush(&mut body, &mut ga, &mut gb);
                    body.push_str(&line);
                }
            }
        }
        flush(&mut body, &mut ga, &mut gb);
        if !body.is_empty() {
            let _ = write!(o, "<os>\n{body}</os>\n");
        }
    }
    let hs = script_diff_xml(&a.host_scripts, &b.host_scripts, verbose);
    if !hs.is_empty() {
        let _ = write!(o, "<hostscript>\n{hs}</hostscript>\n");
    }
    o.push_str("</host>\n");
}

/// The pretty-printed serde form of the diff, with a final newline.
pub fn render_json(d: &ScanDiff) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(d)?;
    s.push('\n');
    Ok(s)
}

//! Nmap's XML output (`-oX`), valid against Nmap's `nmap.dtd` (which requires `scanner="nmap"`; Portolan's
//! own version goes in `version=` and the opening comment names Portolan).
//!
//! Every string attribute goes through [`attr`]: control characters become `\xHH` text (XML 1.0 cannot carry
//! them, not even as character references) and the rest is escaped by quick-xml. Values the DTD restricts
//! to a list (`method`, `conf`, `tunnel`, scan types) are mapped into the list, so hostile or foreign
//! reports still produce a valid document.

use crate::layout::{hidden_by_open, layout};
use crate::text::{ctime, done_tail, sanitize};
use crate::RenderOptions;
use portolan_model::{HostReport, OsInfo, ScanReport, ScriptElement, ScriptResult, Trace};
use std::fmt::Write as _;

const STYLESHEET: &str = "https://svn.nmap.org/nmap/docs/nmap.xsl";
const SCAN_TYPES: [&str; 13] = [
    "syn", "ack", "bounce", "connect", "null", "xmas", "window", "maimon", "fin", "udp", "sctpinit",
    "sctpcookieecho", "ipproto",
];

/// An attribute value: sanitised, then escaped by quick-xml (`<`, `>`, `&`, `'`, `"`).
pub fn attr(s: &str) -> String {
    quick_xml::escape::escape(sanitize(s).as_ref()).into_owned()
}

/// A value whose line breaks and tabs are part of the data (script output, fingerprints): those become
/// character references, which XML keeps through attribute normalisation; other control characters are
/// sanitised as in [`attr`].
pub fn attr_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, piece) in s.split('\n').enumerate() {
        if i > 0 {
            out.push_str("&#xa;");
        }
        for (j, part) in piece.split('\t').enumerate() {
            if j > 0 {
                out.push_str("&#x9;");
            }
            for (k, seg) in part.split('\r').enumerate() {
                if k > 0 {
                    out.push_str("&#xd;");
                }
                out.push_str(&attr(seg));
            }
        }
    }
    out
}

/// Text safe inside `<!-- -->`: sanitised, without `--` (Nmap writes the second dash as `&#45;`, which a
/// comment shows literally; we do the same so the line reads like Nmap's).
fn comment_text(s: &str) -> String {
    no_double_dash(&sanitize(s))
}

/// Writes the second of two dashes as `&#45;`, as Nmap does in the comment and the `args` attribute.
fn no_double_dash(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '-' && out.ends_with('-') {
            out.push_str("&#45;");
        } else {
            out.push(c);
        }
    }
    out
}

/// Everything before the first host: prologue, comment, `<nmaprun>`, scaninfo, verbose, debugging.
pub fn header(report: &ScanReport, opts: &RenderOptions) -> String {
    let mut o = String::new();
    o.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n");
    let _ = writeln!(o, "<?xml-stylesheet href=\"{STYLESHEET}\" type=\"text/xsl\"?>");
    let product = if report.scanner.eq_ignore_ascii_case("nmap") { "Nmap" } else { "Portolan" };
    let _ = writeln!(
        o,
        "<!-- {product} {} scan initiated {} as: {} -->",
        comment_text(&report.version),
        comment_text(&ctime(report.start)),
        comment_text(&report.args)
    );
    let _ = writeln!(
        o,
        "<nmaprun scanner=\"nmap\" args=\"{}\" start=\"{}\" startstr=\"{}\" version=\"{}\" xmloutputversion=\"1.05\">",
        no_double_dash(&attr(&report.args)),
        report.start,
        attr(&ctime(report.start)),
        attr(&report.version)
    );
    for si in &report.scan_info {
        if !SCAN_TYPES.contains(&si.scan_type.as_str()) {
            continue;
        }
        let _ = writeln!(
            o,
            "<scaninfo type=\"{}\" protocol=\"{}\" numservices=\"{}\" services=\"{}\"/>",
            si.scan_type,
            si.protocol,
            si.num_services,
            attr(&si.services)
        );
    }
    let _ = writeln!(o, "<verbose level=\"{}\"/>", opts.verbose.max(report.verbose));
    let _ = writeln!(o, "<debugging level=\"{}\"/>", opts.debug.max(report.debugging));
    o
}

/// One `<host>` element. Down hosts appear only at `-v` or more and `--open` leaves out hosts without a
/// port it would show, as in Nmap.
pub fn host(h: &HostReport, opts: &RenderOptions) -> String {
    let mut o = String::new();
    if (!h.is_up() && opts.verbose == 0) || (h.is_up() && hidden_by_open(h, opts)) {
        return o;
    }
    o.push_str("<host");
    if let Some(t) = h.start_time {
        let _ = write!(o, " starttime=\"{t}\"");
    }
    // Nmap times only port-scanned hosts: an end without a start (a down or -sn host) is left out.
    if let (Some(_), Some(t)) = (h.start_time, h.end_time) {
        let _ = write!(o, " endtime=\"{t}\"");
    }
    if h.timed_out {
        o.push_str(" timedout=\"true\"");
    }
    let _ = writeln!(
        o,
        "><status state=\"{}\" reason=\"{}\" reason_ttl=\"{}\"/>",
        h.status.state.as_str(),
        attr(h.status.reason.as_str()),
        h.status.reason_ttl
    );
    for a in &h.addresses {
        let _ = write!(o, "<address addr=\"{}\" addrtype=\"{}\"", attr(&a.addr), a.kind.as_str());
        if let Some(v) = &a.vendor {
            let _ = write!(o, " vendor=\"{}\"", attr(v));
        }
        o.push_str("/>\n");
    }
    if !h.is_up() {
        if !h.hostnames.is_empty() {
            hostnames(&mut o, h);
        }
        o.push_str("</host>\n");
        return o;
    }
    hostnames(&mut o, h);
    let lay = layout(h, opts);
    if lay.scanned() {
        o.push_str("<ports>");
        for e in &lay.ignored {
            let _ = writeln!(o, "<extraports state=\"{}\" count=\"{}\">", e.state, e.count);
            for r in &e.reasons {
                let _ = write!(o, "<extrareasons reason=\"{}\" count=\"{}\"", attr(r.reason.as_str()), r.count);
                if let Some(p) = r.protocol {
                    let _ = write!(o, " proto=\"{p}\"");
                }
                if let Some(p) = &r.ports {
                    let _ = write!(o, " ports=\"{}\"", attr(p));
                }
                o.push_str("/>\n");
            }
            o.push_str("</extraports>\n");
        }
        for p in &lay.shown {
            let _ = write!(
                o,
                "<port protocol=\"{}\" portid=\"{}\"><state state=\"{}\" reason=\"{}\" reason_ttl=\"{}\"/>",
                p.protocol,
                p.port,
                p.state,
                attr(p.reason.as_str()),
                p.reason_ttl
            );
            if let Some(s) = &p.service {
                let _ = write!(o, "<service name=\"{}\"", attr(&s.name));
                for (k, v) in [("product", &s.product), ("version", &s.version), ("extrainfo", &s.extra_info)] {
                    if let Some(v) = v {
                        let _ = write!(o, " {k}=\"{}\"", attr(v));
                    }
                }
                if s.tunnel.as_deref() == Some("ssl") {
                    o.push_str(" tunnel=\"ssl\"");
                }
                for (k, v) in [("hostname", &s.hostname), ("ostype", &s.os_type), ("devicetype", &s.device_type)] {
                    if let Some(v) = v {
                        let _ = write!(o, " {k}=\"{}\"", attr(v));
                    }
                }
                if let Some(fp) = &s.fingerprint {
                    let _ = write!(o, " servicefp=\"{}\"", attr_lines(fp));
                }
                let method = if s.method == "probed" { "probed" } else { "table" };
                let _ = write!(o, " method=\"{method}\" conf=\"{}\"", s.conf.min(10));
                if s.cpe.is_empty() {
                    o.push_str("/>");
                } else {
                    o.push('>');
                    cpes(&mut o, &s.cpe);
                    o.push_str("</service>");
                }
            }
            for sc in &p.scripts {
                script(&mut o, sc);
            }
            o.push_str("</port>\n");
        }
        o.push_str("</ports>\n");
    }
    if let Some(os) = &h.os {
        os_element(&mut o, os);
    }
    if let Some(u) = &h.uptime {
        let _ = writeln!(o, "<uptime seconds=\"{}\" lastboot=\"{}\"/>", u.seconds, attr(&u.last_boot));
    }
    if let Some(d) = h.distance {
        let _ = writeln!(o, "<distance value=\"{d}\"/>");
    }
    if let Some(t) = &h.tcp_sequence {
        let _ = writeln!(
            o,
            "<tcpsequence index=\"{}\" difficulty=\"{}\" values=\"{}\"/>",
            t.index,
            attr(&t.difficulty),
            attr(&t.values)
        );
    }
    for (name, c) in [("ipidsequence", &h.ip_id_sequence), ("tcptssequence", &h.tcp_ts_sequence)] {
        if let Some(c) = c {
            let _ = writeln!(o, "<{name} class=\"{}\" values=\"{}\"/>", attr(&c.class), attr(&c.values));
        }
    }
    if !h.host_scripts.is_empty() {
        o.push_str("<hostscript>");
        for sc in &h.host_scripts {
            script(&mut o, sc);
        }
        o.push_str("</hostscript>");
    }
    if let Some(t) = &h.trace {
        trace(&mut o, t);
    }
    if let Some(t) = &h.times {
        let _ = writeln!(o, "<times srtt=\"{}\" rttvar=\"{}\" to=\"{}\"/>", t.srtt, t.rttvar, t.timeout);
    }
    o.push_str("</host>\n");
    o
}

fn cpes(o: &mut String, list: &[String]) {
    for c in list {
        let _ = write!(o, "<cpe>{}</cpe>", attr(c));
    }
}

/// `<script id output>` with its `<elem>`/`<table>` tree, as Nmap writes it (a newline after each child).
fn script(o: &mut String, sc: &ScriptResult) {
    let _ = write!(o, "<script id=\"{}\" output=\"{}\"", attr(&sc.id), attr_lines(&sc.output));
    if sc.elements.is_empty() {
        o.push_str("/>");
        return;
    }
    o.push('>');
    for e in &sc.elements {
        element(o, e);
    }
    o.push_str("</script>");
}

fn element(o: &mut String, e: &ScriptElement) {
    match e {
        ScriptElement::Elem { key, value } => {
            o.push_str("<elem");
            if let Some(k) = key {
                let _ = write!(o, " key=\"{}\"", attr(k));
            }
            let _ = writeln!(o, ">{}</elem>", attr_lines(value));
        }
        ScriptElement::Table { key, children } => {
            o.push_str("<table");
            if let Some(k) = key {
                let _ = write!(o, " key=\"{}\"", attr(k));
            }
            o.push_str(">\n");
            for c in children {
                element(o, c);
            }
            o.push_str("</table>\n");
        }
    }
}

fn os_element(o: &mut String, os: &OsInfo) {
    o.push_str("<os>");
    for u in &os.ports_used {
        let _ = writeln!(o, "<portused state=\"{}\" proto=\"{}\" portid=\"{}\"/>", u.state, u.protocol, u.port);
    }
    for m in &os.matches {
        let _ = writeln!(
            o,
            "<osmatch name=\"{}\" accuracy=\"{}\" line=\"{}\">",
            attr(&m.name),
            m.accuracy.min(100),
            m.line
        );
        for c in &m.classes {
            o.push_str("<osclass");
            if let Some(t) = &c.device_type {
                let _ = write!(o, " type=\"{}\"", attr(t));
            }
            let _ = write!(o, " vendor=\"{}\" osfamily=\"{}\"", attr(&c.vendor), attr(&c.family));
            if let Some(g) = &c.generation {
                let _ = write!(o, " osgen=\"{}\"", attr(g));
            }
            let _ = write!(o, " accuracy=\"{}\">", c.accuracy.min(100));
            cpes(o, &c.cpe);
            o.push_str("</osclass>\n");
        }
        o.push_str("</osmatch>\n");
    }
    if let Some(fp) = &os.fingerprint {
        let _ = writeln!(o, "<osfingerprint fingerprint=\"{}\"/>", attr_lines(fp));
    }
    o.push_str("</os>\n");
}

fn trace(o: &mut String, t: &Trace) {
    o.push_str("<trace");
    if let Some(p) = t.port {
        let _ = write!(o, " port=\"{p}\"");
    }
    if let Some(p) = &t.protocol {
        let _ = write!(o, " proto=\"{}\"", attr(p));
    }
    o.push_str(">\n");
    for h in &t.hops {
        let _ = write!(o, "<hop ttl=\"{}\"", h.ttl);
        if let Some(a) = h.addr {
            let _ = write!(o, " ipaddr=\"{a}\"");
        }
        if let Some(r) = h.rtt_ms.filter(|r| r.is_finite()) {
            let _ = write!(o, " rtt=\"{r:.2}\"");
        }
        if let Some(n) = &h.host {
            let _ = write!(o, " host=\"{}\"", attr(n));
        }
        o.push_str("/>\n");
    }
    o.push_str("</trace>\n");
}

fn hostnames(o: &mut String, h: &HostReport) {
    o.push_str("<hostnames>\n");
    for n in &h.hostnames {
        let _ = writeln!(o, "<hostname name=\"{}\" type=\"{}\"/>", attr(&n.name), n.kind.as_str());
    }
    o.push_str("</hostnames>\n");
}

/// `<runstats>` and the closing tag. The DTD requires `runstats`, so an interrupted report (no run
/// statistics) gets one marked `exit="error"` with counts taken from the hosts seen so far.
pub fn footer(report: &ScanReport) -> String {
    let mut o = String::new();
    let (time, elapsed, summary, exit, errmsg, up, down, total) = match &report.run_stats {
        Some(rs) => (
            rs.finished,
            rs.elapsed,
            rs.summary.clone(),
            if rs.exit == "success" { "success" } else { "error" },
            rs.error_msg.clone(),
            rs.hosts_up,
            rs.hosts_down,
            rs.hosts_total,
        ),
        None => {
            let last = report.hosts.iter().filter_map(|h| h.end_time.or(h.start_time)).max().unwrap_or(report.start);
            let up = report.hosts.iter().filter(|h| h.is_up()).count() as u32;
            let total = report.hosts.len() as u32;
            let elapsed = (last - report.start).max(0) as f64;
            (
                last,
                elapsed,
                format!("Scan interrupted at {}; {}", ctime(last), done_tail(total, up, elapsed)),
                "error",
                Some("scan interrupted".to_owned()),
                up,
                total - up,
                total,
            )
        }
    };
    let _ = write!(
        o,
        "<runstats><finished time=\"{time}\" timestr=\"{}\" summary=\"{}\" elapsed=\"{elapsed:.2}\" exit=\"{exit}\"",
        attr(&ctime(time)),
        attr(&summary)
    );
    if let Some(m) = errmsg {
        let _ = write!(o, " errormsg=\"{}\"", attr(&m));
    }
    let _ = writeln!(o, "/><hosts up=\"{up}\" down=\"{down}\" total=\"{total}\"/>");
    o.push_str("</runstats>\n</nmaprun>\n");
    o
}

pub fn render(report: &ScanReport, opts: &RenderOptions) -> String {
    let mut o = header(report, opts);
    for h in &report.hosts {
        o.push_str(&host(h, opts));
    }
    o.push_str(&footer(report));
    o
}

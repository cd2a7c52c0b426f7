//! Reports built from events (the fold's rules), hostile strings in every format, and the XML reader's
//! errors on malformed and truncated input.
#![allow(clippy::unwrap_used)]

mod common;

use common::xmllint_valid;
use portolan_model::{
    EventBody, HostState, HostStatus, Hostname, HostnameKind, PortState, Protocol, Reason, ScanEvent, ScanInfo,
    Service, Times,
};
use portolan_report::{Folder, RenderOptions, fold, grepable, json, normal, xml, xml_reader};
use std::net::IpAddr;

const T0: i64 = 1_795_704_811_000;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn up() -> HostStatus {
    HostStatus { state: HostState::Up, reason: Reason::new("syn-ack"), reason_ttl: 0 }
}

fn events(bodies: Vec<EventBody>) -> Vec<ScanEvent> {
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| ScanEvent { seq: i as u64, time_ms: T0 + 10 * i as i64, body })
        .collect()
}

fn started() -> EventBody {
    EventBody::ScanStarted {
        scanner: "portolan".into(),
        version: "0.1.0".into(),
        args: "portolan -sT -p 1-30 --reason 198.18.0.2".into(),
        scan_info: vec![ScanInfo {
            scan_type: "connect".into(),
            protocol: Protocol::Tcp,
            num_services: 30,
            services: "1-30".into(),
        }],
        verbose: 0,
        debugging: 0,
        targets_total: Some(2),
    }
}

fn port(addr: &str, p: u16, state: PortState, reason: &str, svc: Option<Service>) -> EventBody {
    EventBody::Port {
        addr: ip(addr),
        protocol: Protocol::Tcp,
        port: p,
        state,
        reason: Reason::new(reason),
        reason_ttl: 0,
        service: svc,
    }
}

fn finished(up: u32, down: u32) -> EventBody {
    EventBody::Finished { elapsed: 0.054, hosts_up: up, hosts_down: down, hosts_total: up + down, error: None }
}

#[test]
fn fold_follows_the_rules() {
    let evs = events(vec![
        started(),
        EventBody::HostStatus { addr: ip("198.18.0.3"), status: up(), latency: Some(0.0002), hostnames: vec![] },
        EventBody::HostStatus {
            addr: ip("198.18.0.2"),
            status: up(),
            latency: Some(0.00012),
            hostnames: vec![Hostname { name: "a.example".into(), kind: HostnameKind::User }],
        },
        EventBody::HostScanStarted { addr: ip("198.18.0.2") },
        port("198.18.0.2", 80, PortState::Filtered, "no-response", None),
        port("198.18.0.2", 22, PortState::Open, "syn-ack", Some(Service::from_table("ssh"))),
        // A later fact about the same port replaces the earlier one.
        port("198.18.0.2", 80, PortState::Open, "syn-ack", Some(Service::from_table("http"))),
        EventBody::Hostnames {
            addr: ip("198.18.0.2"),
            hostnames: vec![Hostname { name: "b.example".into(), kind: HostnameKind::Ptr }],
        },
        EventBody::Warning { message: "retransmission cap hit".into() },
        EventBody::HostFinished {
            addr: ip("198.18.0.2"),
            times: Some(Times { srtt: 120, rttvar: 50, timeout: 100_000 }),
            timed_out: false,
        },
        finished(2, 0),
    ]);
    let r = fold(&evs);
    assert_eq!(r.start, T0 / 1000);
    assert_eq!(r.version, "0.1.0");
    let order: Vec<String> = r.hosts.iter().map(|h| h.ip().unwrap().to_string()).collect();
    assert_eq!(order, ["198.18.0.3", "198.18.0.2"], "hosts in order of their first HostStatus");
    let h = r.host(ip("198.18.0.2")).unwrap();
    let ports: Vec<(u16, PortState)> = h.ports.iter().map(|p| (p.port, p.state)).collect();
    assert_eq!(ports, [(22, PortState::Open), (80, PortState::Open)]);
    assert_eq!(h.hostnames.len(), 2);
    assert_eq!(h.times.unwrap().srtt, 120);
    assert_eq!(h.start_time, Some(T0 / 1000));
    assert!(h.end_time.is_some());
    assert_eq!(r.warnings, ["retransmission cap hit"]);
    let rs = r.run_stats.as_ref().unwrap();
    assert!(rs.summary.starts_with("Nmap done at "), "{}", rs.summary);
    assert!(rs.summary.ends_with("; 2 IP addresses (2 hosts up) scanned in 0.05 seconds"), "{}", rs.summary);
    assert_eq!(rs.exit, "success");

    // Incremental folding agrees with the whole-stream fold, and a stream cut short is "interrupted".
    let mut f = Folder::new();
    for e in &evs[..evs.len() - 1] {
        f.push(e);
    }
    assert!(f.report().run_stats.is_none());
    f.push(&evs[evs.len() - 1]);
    assert_eq!(f.report(), r);
}

#[test]
fn normal_output_of_a_folded_report() {
    let mut bodies = vec![
        started(),
        EventBody::HostStatus {
            addr: ip("198.18.0.2"),
            status: up(),
            latency: Some(0.00012),
            hostnames: vec![Hostname { name: "a.example".into(), kind: HostnameKind::User }],
        },
        EventBody::HostScanStarted { addr: ip("198.18.0.2") },
    ];
    for p in 1..=30u16 {
        let (st, why) = if p == 22 { (PortState::Open, "syn-ack") } else { (PortState::Closed, "conn-refused") };
        bodies.push(port("198.18.0.2", p, st, why, Some(Service::from_table(if p == 22 { "ssh" } else { "x" }))));
    }
    bodies.push(EventBody::HostFinished { addr: ip("198.18.0.2"), times: None, timed_out: false });
    bodies.push(finished(1, 0));
    let r = fold(&events(bodies));
    let opts = RenderOptions { reason: true, ..Default::default() };
    let host = normal::host(&r.hosts[0], &opts);
    assert_eq!(
        host,
        "Nmap scan report for a.example (198.18.0.2)\n\
         Host is up, received syn-ack (0.00012s latency).\n\
         Not shown: 29 closed tcp ports (conn-refused)\n\
         PORT   STATE SERVICE REASON\n\
         22/tcp open  ssh     syn-ack\n\n"
    );
    assert_eq!(normal::footer(&r), "Portolan done: 1 IP address (1 host up) scanned in 0.05 seconds\n");
    assert!(normal::header(&r).starts_with("Starting Portolan 0.1.0 ( https://portolan.invalid ) at "));
    let g = grepable::host(&r.hosts[0], &opts);
    assert_eq!(
        g,
        "Host: 198.18.0.2 (a.example)\tStatus: Up\n\
         Host: 198.18.0.2 (a.example)\tPorts: 22/open/tcp//ssh///\tIgnored State: closed (29)\n"
    );
    let x = xml::render(&r, &opts);
    assert!(x.contains("<extrareasons reason=\"conn-refused\" count=\"29\" proto=\"tcp\" ports=\"1-21,23-30\"/>"));
    xmllint_valid(&x);
    // --open with nothing open hides the host in normal and grepable output.
    let closed_only = {
        let mut h = r.hosts[0].clone();
        h.ports.retain(|p| p.state != PortState::Open);
        h
    };
    let open = RenderOptions { open_only: true, ..Default::default() };
    assert_eq!(normal::host(&closed_only, &open), "");
    assert_eq!(grepable::host(&closed_only, &open), "");
    assert_eq!(xml::host(&closed_only, &open), "");
}

const HOSTILE: &[&str] = &[
    "a\"b'c<d>e&f",
    "]]><!-- x --><script>alert(1)</script>",
    "tab\there\nnewline\rcr",
    "bell\u{7}esc\u{1b}[31mnul\u{0}del\u{7f}c1\u{85}",
    "\u{fffe}\u{ffff}\u{fffd} replacement and non-characters",
    "-- double -- dash --",
    "slash/comma,pipe|",
    "&amp; already-escaped &#60;",
    "日本語 emoji 🦀",
];

fn hostile_report() -> portolan_model::ScanReport {
    let mut bodies = vec![EventBody::ScanStarted {
        scanner: "portolan".into(),
        version: "0.1.0 <\"&'>".into(),
        args: format!("portolan --script-args x={} 198.18.0.2", HOSTILE.join("|")),
        scan_info: vec![],
        verbose: 1,
        debugging: 0,
        targets_total: None,
    }];
    let names = HOSTILE.iter().map(|n| Hostname { name: (*n).to_owned(), kind: HostnameKind::Ptr }).collect();
    bodies.push(EventBody::HostStatus {
        addr: ip("198.18.0.2"),
        status: HostStatus { state: HostState::Up, reason: Reason::new("evil\"<reason>"), reason_ttl: 64 },
        latency: None,
        hostnames: names,
    });
    bodies.push(EventBody::HostScanStarted { addr: ip("198.18.0.2") });
    for (i, s) in HOSTILE.iter().enumerate() {
        bodies.push(port(
            "198.18.0.2",
            1000 + i as u16,
            PortState::Open,
            s,
            Some(Service {
                name: (*s).to_owned(),
                method: (*s).to_owned(),
                conf: 200,
                product: Some((*s).to_owned()),
                version: Some((*s).to_owned()),
                extra_info: Some((*s).to_owned()),
                tunnel: Some((*s).to_owned()),
                ..Default::default()
            }),
        ));
    }
    bodies.push(EventBody::HostStatus {
        addr: ip("198.18.0.9"),
        status: HostStatus { state: HostState::Down, reason: Reason::new(HOSTILE[3]), reason_ttl: 0 },
        latency: None,
        hostnames: vec![],
    });
    bodies.push(EventBody::Finished {
        elapsed: 1.0,
        hosts_up: 1,
        hosts_down: 1,
        hosts_total: 2,
        error: Some(HOSTILE.join(" ")),
    });
    fold(&events(bodies))
}

#[test]
fn hostile_strings_keep_xml_well_formed_and_valid() {
    let r = hostile_report();
    let opts = RenderOptions { reason: true, verbose: 1, ..Default::default() };
    let x = xml::render(&r, &opts);
    xmllint_valid(&x);
    for bad in ["\u{1b}", "\u{0}", "\u{7}", "\u{fffe}"] {
        assert!(!x.contains(bad), "raw {bad:?} in XML:\n{x}");
    }
    // Outside the comment (where markup is inert text) no hostile markup survives unescaped.
    let body: String = x.lines().filter(|l| !l.starts_with("<!--")).collect::<Vec<_>>().join("\n");
    for bad in ["<script>", "a\"b'c", "<d>"] {
        assert!(!body.contains(bad), "raw {bad:?} in XML:\n{x}");
    }
    // The comment holds no "--" (XML forbids it) yet the command line survives in args=.
    let comment = x.lines().find(|l| l.starts_with("<!--")).unwrap();
    assert!(!comment[4..comment.len() - 3].contains("--"), "{comment}");
    // Our reader loads it back: markup characters come back verbatim, control characters as \xHH text.
    let back = xml_reader::read(&x).unwrap();
    let h = &back.hosts[0];
    assert_eq!(h.hostnames[0].name, HOSTILE[0]);
    assert_eq!(h.hostnames[1].name, HOSTILE[1]);
    assert_eq!(h.hostnames[3].name, "bell\\x07esc\\x1b[31mnul\\x00del\\x7fc1\\x85");
    assert_eq!(h.ports[0].service.as_ref().unwrap().product.as_deref(), Some(HOSTILE[0]));
    assert_eq!(h.ports[0].service.as_ref().unwrap().method, "table", "DTD allows only table|probed");
    assert_eq!(h.ports[0].service.as_ref().unwrap().conf, 10, "DTD allows conf 0-10");
    assert!(back.args.contains("a\"b'c<d>e&f|]]><!-- x --><script>"), "{}", back.args);
    assert!(back.args.contains("&amp; already-escaped &#60;|日本語 emoji 🦀"), "{}", back.args);
    assert!(back.args.contains("tab\\x09here\\x0anewline"), "{}", back.args);
    assert_eq!(back.hosts.len(), 2, "the down host is kept at -v");
}

#[test]
fn hostile_strings_cannot_forge_text_lines() {
    let r = hostile_report();
    let opts = RenderOptions { reason: true, verbose: 1, ..Default::default() };
    let n = normal::render(&r, &opts);
    assert!(!n.contains('\u{1b}') && !n.contains('\u{0}') && !n.contains('\r'), "{n:?}");
    // Every line is one we expect to write; no injected newline starts a forged one.
    for line in n.lines() {
        let ok = ["Starting ", "Nmap scan report for ", "Host is up", "PORT", "Portolan done", "Scanned at"]
            .iter()
            .any(|p| line.starts_with(p))
            || line.is_empty()
            || line.chars().next().is_some_and(|c| c.is_ascii_digit());
        assert!(ok, "unexpected line {line:?} in\n{n}");
    }
    let g = grepable::render(&r, &opts);
    for line in g.lines() {
        assert!(line.starts_with("# ") || line.starts_with("Host: "), "unexpected line {line:?}");
    }
    let ports_line = g.lines().find(|l| l.contains("\tPorts: ")).unwrap();
    let entries = ports_line.split("\tPorts: ").nth(1).unwrap().split(", ").count();
    assert_eq!(entries, HOSTILE.len(), "one entry per port, no forged separators:\n{ports_line}");
    for entry in ports_line.split("\tPorts: ").nth(1).unwrap().split(", ") {
        assert_eq!(entry.matches('/').count(), 7, "{entry}");
    }
    // JSON keeps the raw strings (serde escapes them) and parses back to the same report.
    let j = json::render(&r).unwrap();
    let back: portolan_model::ScanReport = serde_json::from_str(&j).unwrap();
    assert_eq!(back, r);
}

#[test]
fn interrupted_report_still_gives_valid_xml() {
    let evs = events(vec![
        started(),
        EventBody::HostStatus { addr: ip("198.18.0.2"), status: up(), latency: None, hostnames: vec![] },
        EventBody::HostScanStarted { addr: ip("198.18.0.2") },
        port("198.18.0.2", 22, PortState::Open, "syn-ack", None),
    ]);
    let r = fold(&evs);
    assert!(r.run_stats.is_none());
    let x = xml::render(&r, &RenderOptions::default());
    xmllint_valid(&x);
    let back = xml_reader::read(&x).unwrap();
    let rs = back.run_stats.unwrap();
    assert_eq!(rs.exit, "error");
    assert_eq!(rs.error_msg.as_deref(), Some("scan interrupted"));
    assert_eq!(normal::footer(&r), "");
}

#[test]
fn stream_json_lines_are_flat_tagged_events() {
    let evs = events(vec![started(), finished(0, 1)]);
    for e in &evs {
        let line = json::event_line(e).unwrap();
        assert!(line.ends_with('\n') && !line.trim_end().contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert!(v["event"].is_string() && v["seq"].is_u64() && v["time_ms"].is_i64(), "{line}");
        let back: ScanEvent = serde_json::from_str(&line).unwrap();
        assert_eq!(&back, e);
    }
}

fn good_xml() -> String {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/report/mixed.xml");
    std::fs::read_to_string(dir).unwrap()
}

#[test]
fn truncated_xml_is_an_error_with_line_and_column() {
    let text = good_xml();
    assert!(xml_reader::read(&text).is_ok());
    // Cut at many points: every prefix is an error (or, at the very end, fine), never a panic.
    let mut cuts = 0;
    let end = text.trim_end().len();
    for cut in (0..end).step_by(7) {
        if !text.is_char_boundary(cut) {
            continue;
        }
        let err = xml_reader::read(&text[..cut]).expect_err(&format!("prefix of {cut} bytes accepted"));
        assert!(err.line >= 1 && err.column >= 1);
        let lines = text[..cut].lines().count().max(1);
        assert!(err.line <= lines + 1, "line {} beyond input of {lines} lines", err.line);
        cuts += 1;
    }
    assert!(cuts > 100);
    // A cut inside <host> names the element and the end of the input.
    let cut = text.find("<times").unwrap();
    let err = xml_reader::read(&text[..cut]).unwrap_err();
    assert!(err.message.contains("<host>") || err.message.contains("<ports>"), "{err}");
    let lines: Vec<&str> = text[..cut].split('\n').collect();
    assert_eq!(err.line, lines.len(), "{err}");
    assert_eq!(err.column, lines.last().unwrap().chars().count() + 1, "{err}");
    assert!(err.to_string().starts_with(&format!("XML error at line {}, column ", err.line)));
}

#[test]
fn malformed_xml_errors_name_the_place() {
    let cases: &[(&str, usize, &str)] = &[
        ("<nmaprun scanner=\"nmap\">\n<host>\n</hots>\n</nmaprun>", 3, "hots"),
        ("<nmaprun>\n<host><status state=\"sideways\" reason=\"x\" reason_ttl=\"0\"/></host></nmaprun>", 2, "sideways"),
        ("<nmaprun>\n<host><ports>\n  <port protocol=\"tcp\" portid=\"99999\"/></ports></host></nmaprun>", 3, "portid"),
        ("<nmaprun>\n<scaninfo type=\"connect\" protocol=\"icmp\"/></nmaprun>", 2, "icmp"),
        ("<nmaprun>\n<verbose level=\"&bogus;\"/></nmaprun>", 2, "level"),
        ("<nmaprun a=\"1\" a=\"2\"></nmaprun>", 1, "attribute"),
        ("", 1, "nmaprun"),
        ("<html></html>", 1, "nmaprun"),
        ("<nmaprun></nmaprun><nmaprun>", 1, "after"),
    ];
    for (doc, line, word) in cases {
        let err = xml_reader::read(doc).expect_err(doc);
        assert_eq!(err.line, *line, "{doc:?}: {err}");
        assert!(err.to_string().contains(word), "{doc:?}: {err}");
    }
    // Garbage bytes of every kind: errors, never panics.
    let text = good_xml();
    for (i, b) in text.char_indices().step_by(11) {
        for rep in ["<", "\"", "&", ">", "\u{0}", "é"] {
            let mut t = String::with_capacity(text.len() + 2);
            t.push_str(&text[..i]);
            t.push_str(rep);
            t.push_str(&text[i + b.len_utf8()..]);
            let _ = xml_reader::read(&t);
        }
    }
}

#[test]
fn reads_mac_vendor_and_service_details() {
    let doc = r#"<?xml version="1.0"?>
<nmaprun scanner="nmap" args="nmap -sV" start="1700000000" version="7.93" xmloutputversion="1.05">
<scaninfo type="syn" protocol="tcp" numservices="2" services="22,443"/>
<verbose level="0"/><debugging level="0"/>
<host starttime="1700000000" endtime="1700000009"><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="198.18.0.7" addrtype="ipv4"/>
<address addr="02:00:00:00:00:07" addrtype="mac" vendor="Acme &amp; Sons"/>
<hostnames><hostname name="lab7" type="PTR"/></hostnames>
<ports><extraports state="closed" count="998"><extrareasons reason="reset" count="998" proto="tcp" ports="1-21,23-442,444-1000"/></extraports>
<port protocol="tcp" portid="443"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="http" product="nginx" version="1.22.1" extrainfo="Debian" tunnel="ssl" method="probed" conf="10"><cpe>cpe:/a:igor_sysoev:nginx:1.22.1</cpe></service><script id="x" output="y"/></port>
<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="ssh" method="table" conf="3"/></port>
</ports>
<os><osmatch name="Linux" accuracy="100" line="1"/></os>
<times srtt="500" rttvar="100" to="100000"/>
</host>
<runstats><finished time="1700000009" timestr="x" elapsed="9.10" summary="s" exit="success"/><hosts up="1" down="0" total="1"/></runstats>
</nmaprun>"#;
    let r = xml_reader::read(doc).unwrap();
    let h = &r.hosts[0];
    assert_eq!(h.addresses[1].vendor.as_deref(), Some("Acme & Sons"));
    assert_eq!(h.ports[0].port, 22, "ports sorted");
    let s = h.ports[1].service.as_ref().unwrap();
    assert_eq!((s.product.as_deref(), s.tunnel.as_deref(), s.conf), (Some("nginx"), Some("ssl"), 10));
    assert_eq!(h.ports[1].reason_ttl, 64);
    assert_eq!(h.state_count(PortState::Closed), 998);
    assert_eq!(r.run_stats.as_ref().unwrap().elapsed, 9.10);
    let opts = RenderOptions::default();
    let n = normal::host(h, &opts);
    assert!(n.contains("Not shown: 998 closed tcp ports (reset)"), "{n}");
    assert!(n.contains("443/tcp open  ssl/http nginx 1.22.1 (Debian)"), "{n}");
    let g = grepable::host(h, &opts);
    assert!(g.contains("443/open/tcp//ssl|http//nginx 1.22.1 (Debian)/"), "{g}");
    let x = xml::render(&r, &opts);
    xmllint_valid(&x);
    assert_eq!(xml_reader::read(&x).unwrap(), r);
}

/// `-sV` results arrive after the port's state and replace its table-named service; a result for a port the
/// stream never reported attaches to nothing; the VERSION column appears once a service was probed.
#[test]
fn service_results_replace_the_table_name() {
    let named = Service { name: "http".into(), method: "table".into(), conf: 3, ..Service::default() };
    let probed = Service {
        name: "http".into(),
        product: Some("nginx".into()),
        version: Some("1.22.1".into()),
        method: "probed".into(),
        conf: 10,
        ..Service::default()
    };
    let r = fold(&events(vec![
        started(),
        EventBody::HostStatus { addr: ip("198.18.0.2"), status: up(), latency: None, hostnames: vec![] },
        port("198.18.0.2", 80, PortState::Open, "syn-ack", Some(named)),
        port("198.18.0.2", 81, PortState::Closed, "conn-refused", None),
        EventBody::ServiceDetected { addr: ip("198.18.0.2"), protocol: Protocol::Tcp, port: 80, service: probed.clone() },
        EventBody::ServiceDetected { addr: ip("198.18.0.2"), protocol: Protocol::Tcp, port: 82, service: probed.clone() },
        EventBody::HostFinished { addr: ip("198.18.0.2"), times: None, timed_out: false },
        finished(1, 0),
    ]));
    let h = &r.hosts[0];
    assert_eq!(h.ports.len(), 2);
    assert_eq!(h.ports[0].service.as_ref(), Some(&probed));
    let text = normal::render(&r, &RenderOptions::default());
    assert!(text.contains("PORT   STATE  SERVICE VERSION"), "{text}");
    assert!(text.contains("80/tcp open   http    nginx 1.22.1"), "{text}");
}

/// The exports carry hostile text as text: CSV reads back field by field with no cell a spreadsheet would run
/// as a formula, HTML has no markup from the network and no script, Markdown's tables keep their columns.
#[test]
fn exports_keep_hostile_strings_inert() {
    use portolan_report::export;
    let r = hostile_report();
    let opts = RenderOptions { version_scan: true, ..Default::default() };

    let text = export::csv(&r, &opts);
    let mut rd = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let head = rd.headers().unwrap().clone();
    assert_eq!(head.len(), 10);
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    // The up host's ports, then the down host on a row of its own.
    assert_eq!(rows.len(), HOSTILE.len() + 1);
    for row in &rows {
        assert_eq!(row.len(), 10);
        for cell in row.iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "a formula-like cell: {cell:?}");
            assert!(!cell.contains('\u{1b}') && !cell.contains('\0'), "control characters: {cell:?}");
        }
    }
    assert_eq!(&rows[1][4], "1001");
    assert!(rows[1][7].contains("<script>alert(1)</script>"), "text kept as text: {:?}", &rows[1][7]);
    assert!(rows.iter().any(|r| r[7].starts_with("'-- double")), "defused, not dropped");

    let page = export::html(&r, &opts);
    assert!(page.contains("Content-Security-Policy") && page.contains("default-src 'none'"));
    assert!(!page.contains("<script") && !page.contains("<!--"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains('\u{1b}'));

    let md = export::markdown(&r, &opts);
    assert!(!md.contains("<script>"), "markup stays escaped");
    for line in md.lines().filter(|l| l.starts_with("| 10")) {
        // Six unescaped pipes make the five columns of every port row.
        let cols = line.replace("\\|", "").matches('|').count();
        assert_eq!(cols, 6, "{line}");
    }
}

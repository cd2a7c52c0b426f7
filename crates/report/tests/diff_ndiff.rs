//! Real Nmap 7.93 scans of our own lab (tests/golden/diff, made by make-fixtures.sh there): the XML reader
//! keeps everything -sV, -O, --traceroute and scripts wrote; our XML of it is DTD-valid and reads back the
//! same; and `report::diff` finds the same changes as Debian's `ndiff`, both run here on the same files.
#![allow(clippy::unwrap_used, clippy::type_complexity)]

mod common;

use common::xmllint_valid;
use portolan_model::{HostState, PortState, Protocol, ScanReport, ScriptElement};
use portolan_report::diff::{self, Change, ScanDiff};
use portolan_report::{RenderOptions, normal, xml, xml_reader};
use quick_xml::events::Event;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/diff")
}

fn fixture(name: &str) -> PathBuf {
    fixture_dir().join(name)
}

fn load(name: &str) -> ScanReport {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    xml_reader::read(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn opts(r: &ScanReport) -> RenderOptions {
    RenderOptions { verbose: r.verbose, debug: r.debugging, ..Default::default() }
}

#[test]
fn reader_keeps_version_os_trace_and_scripts() {
    let a = load("scan-a.xml");
    let web = a.host("198.18.1.2".parse().unwrap()).unwrap();
    assert_eq!(web.hostnames.first().map(|n| n.name.as_str()), Some("web-a.lab"));
    let ssh = web.ports.iter().find(|p| p.port == 2222).unwrap();
    let svc = ssh.service.as_ref().unwrap();
    assert_eq!(svc.product.as_deref(), Some("OpenSSH"));
    assert_eq!(svc.version.as_deref(), Some("8.4p1 Debian 5+deb11u1"));
    assert_eq!(svc.os_type.as_deref(), Some("Linux"));
    assert_eq!(svc.cpe, ["cpe:/a:openbsd:openssh:8.4p1", "cpe:/o:linux:linux_kernel"]);
    assert_eq!(ssh.scripts[0].id, "banner");
    assert_eq!(ssh.scripts[0].output, "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u1");
    let http = web.ports.iter().find(|p| p.port == 80).unwrap();
    let title = http.scripts.iter().find(|s| s.id == "http-title").unwrap();
    assert_eq!(
        title.elements,
        [ScriptElement::Elem { key: Some("title".into()), value: "Portolan lab A".into() }]
    );
    let os = web.os.as_ref().unwrap();
    assert!(os.ports_used.iter().any(|u| u.port == 80 && u.state == PortState::Open));
    assert!(os.matches.len() >= 2, "{:?}", os.matches);
    assert!(os.matches[0].classes[0].cpe[0].starts_with("cpe:/o:linux:linux_kernel"));
    assert!(os.fingerprint.as_deref().unwrap().starts_with("OS:SCAN(V=7.93"));
    assert!(os.fingerprint.as_deref().unwrap().contains('\n'), "fingerprint keeps its line breaks");
    assert_eq!(web.distance, Some(2));
    assert!(web.uptime.is_some());
    let trace = web.trace.as_ref().unwrap();
    assert_eq!(trace.hops.len(), 2);
    assert_eq!(trace.hops[0].addr, Some("198.18.0.254".parse().unwrap()));
    assert_eq!(trace.hops[1].addr, Some("198.18.1.2".parse().unwrap()));
    assert_eq!(web.host_scripts[0].id, "ipidseq");
    let lan = a.host("198.18.2.3".parse().unwrap()).unwrap();
    assert!(lan.addresses.iter().any(|x| x.addr == "02:00:00:00:0A:01"));
}

/// Our normal output of Nmap's XML is Nmap's own -oN of the same scan, line by line: scripts under their
/// ports, MAC address, OS, distance, "Service Info", host scripts and the traceroute.
#[test]
fn normal_output_matches_nmaps_file() {
    for name in ["scan-a", "scan-b", "scan-c"] {
        let r = load(&format!("{name}.xml"));
        let theirs = std::fs::read_to_string(fixture(&format!("{name}.nmap"))).unwrap();
        common::assert_same_lines(name, &theirs, &normal::render_file(&r, &opts(&r)));
    }
}

#[test]
fn nmap_xml_round_trips_through_our_writer() {
    for name in ["scan-a.xml", "scan-b.xml", "scan-c.xml", "scan-d.xml"] {
        let r = load(name);
        let ours = xml::render(&r, &opts(&r));
        xmllint_valid(&ours);
        let back = xml_reader::read(&ours).unwrap_or_else(|e| panic!("{name}: reading our XML: {e}\n{ours}"));
        assert_eq!(back, r, "{name}: XML round trip changed the report");
    }
}

/// Hostile script output, banners, CPEs and OS names: the XML stays valid and reads back, and no control
/// character reaches the normal output.
#[test]
fn hostile_strings_in_new_elements() {
    let mut r = load("scan-a.xml");
    let evil = "x\u{1b}[2J\"<&>'\u{0}\u{7}]]>--";
    let h = &mut r.hosts[0];
    let p = &mut h.ports[1];
    p.scripts[0].output = format!("line1\n{evil}\n\tlast");
    p.scripts[0].elements = vec![ScriptElement::Table {
        key: Some(evil.into()),
        children: vec![ScriptElement::Elem { key: None, value: evil.into() }],
    }];
    p.service.as_mut().unwrap().cpe.push(evil.into());
    h.os.as_mut().unwrap().matches[0].name = evil.into();
    h.host_scripts[0].output = evil.into();
    let ours = xml::render(&r, &opts(&r));
    xmllint_valid(&ours);
    let back = xml_reader::read(&ours).unwrap();
    let s = &back.hosts[0].ports[1].scripts[0];
    assert!(s.output.starts_with("line1\n") && s.output.ends_with("\n\tlast"), "line breaks kept: {:?}", s.output);
    assert!(!s.output.contains('\u{1b}'));
    let text = normal::render(&r, &opts(&r));
    assert!(!text.contains('\u{1b}') && !text.contains('\u{0}'), "{text}");
    let d = diff::diff(&load("scan-a.xml"), &r);
    for out in [diff::render_text(&d, true), diff::render_xml(&d, true), diff::render_json(&d).unwrap()] {
        assert!(!out.contains('\u{1b}') && !out.contains('\u{0}'), "{out}");
    }
}

/// Malformed values in the new elements are errors naming the line and column, never panics.
#[test]
fn bad_values_in_new_elements_name_line_and_column() {
    let host = |inner: &str| {
        format!(
            "<nmaprun>\n<host><status state=\"up\"/><address addr=\"198.18.0.2\" addrtype=\"ipv4\"/>\n{inner}\n</host></nmaprun>"
        )
    };
    let cases = [
        ("<trace><hop ttl=\"1\" ipaddr=\"not-an-ip\"/></trace>", "not an IP address"),
        ("<trace><hop ttl=\"300\"/></trace>", "ttl"),
        ("<os><osmatch accuracy=\"90\" line=\"1\"/></os>", "lacks the name attribute"),
        ("<os><portused state=\"bogus\" proto=\"tcp\" portid=\"1\"/></os>", "state"),
        ("<uptime lastboot=\"x\"/>", "seconds"),
        ("<distance value=\"-1\"/>", "value"),
        ("<hostscript><script output=\"x\"/></hostscript>", "lacks the id attribute"),
        ("<ports><port protocol=\"tcp\" portid=\"1\"><state state=\"open\"/><script id=\"a\" output=\"\"><elem key=\"k\">x</table></script></port></ports>", "table"),
    ];
    for (inner, needle) in cases {
        let e = xml_reader::read(&host(inner)).unwrap_err();
        assert_eq!(e.line, 3, "{inner}: {e}");
        assert!(e.column >= 1, "{inner}: {e}");
        assert!(e.message.contains(needle), "{inner}: {e} lacks {needle:?}");
    }
    // A script without elements, and elements with entities and empty values, read as written.
    let ok = host(
        "<ports><port protocol=\"tcp\" portid=\"1\"><state state=\"open\"/><script id=\"a\" output=\"o&#xa;p\">\
         <elem key=\"k\">&lt;&amp;&gt;</elem><elem key=\"e\"/><table><elem>v</elem></table></script></port></ports>",
    );
    let r = xml_reader::read(&ok).unwrap();
    let sc = &r.hosts[0].ports[0].scripts[0];
    assert_eq!(sc.output, "o\np");
    assert_eq!(
        sc.elements,
        [
            ScriptElement::Elem { key: Some("k".into()), value: "<&>".into() },
            ScriptElement::Elem { key: Some("e".into()), value: String::new() },
            ScriptElement::Table { key: None, children: vec![ScriptElement::Elem { key: None, value: "v".into() }] },
        ]
    );
}

#[test]
fn deeply_nested_script_tables_are_refused() {
    let open = "<table>".repeat(100);
    let close = "</table>".repeat(100);
    let doc = format!(
        "<nmaprun><host><status state=\"up\"/><address addr=\"198.18.0.2\" addrtype=\"ipv4\"/><ports>\
         <port protocol=\"tcp\" portid=\"1\"><state state=\"open\"/><script id=\"x\" output=\"\">{open}{close}\
         </script></port></ports></host></nmaprun>"
    );
    let e = xml_reader::read(&doc).unwrap_err();
    assert!(e.message.contains("nested deeper"), "{e}");
    assert_eq!(e.line, 1);
}

// ---------------------------------------------------------------------------------------------------------
// ndiff

/// Debian's ndiff (7.93) under Python 3.11 crashes on ports with two scripts and on script diffs in text
/// mode (nmap/nmap#2930, fixed upstream by giving ScriptResult an ordering). This runs the installed module
/// with those two comparisons supplied, nothing else changed.
const NDIFF_WRAPPER: &str = r#"
import sys
sys.path.insert(0, "/usr/lib/python3/dist-packages")
import ndiff
ndiff.ScriptResult.__lt__ = lambda a, b: (a.id, a.output) < (b.id, b.output)
class _L(list):
    def __gt__(self, other):
        return len(self) > other if isinstance(other, int) else list.__gt__(self, other)
_orig = ndiff.ScriptResultDiff.diff_lists
ndiff.ScriptResultDiff.diff_lists = staticmethod(lambda a, b: _L(_orig(a, b)))
sys.argv[0] = "ndiff"
sys.exit(ndiff.main())
"#;

fn have_ndiff() -> bool {
    Path::new("/usr/lib/python3/dist-packages/ndiff.py").exists() && Path::new("/usr/bin/python3").exists()
}

fn run_ndiff(args: &[&str], a: &str, b: &str) -> (i32, String) {
    let out = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(NDIFF_WRAPPER)
        .args(args)
        .arg(fixture(a))
        .arg(fixture(b))
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert!(code == 0 || code == 1, "ndiff failed ({code}): {}", String::from_utf8_lossy(&out.stderr));
    (code, String::from_utf8(out.stdout).unwrap())
}

/// A minimal element tree of ndiff's XML.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
}

impl Node {
    fn attr(&self, k: &str) -> Option<&str> {
        self.attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }
    fn kids<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    fn kid(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    /// Children named `name`, directly or inside an `<a>` (side 'a') or `<b>` (side 'b').
    fn sided<'a>(&'a self, name: &'a str) -> Vec<(char, &'a Node)> {
        let mut v = Vec::new();
        for c in &self.children {
            match c.name.as_str() {
                n if n == name => v.push((' ', c)),
                "a" | "b" => {
                    let side = if c.name == "a" { 'a' } else { 'b' };
                    v.extend(c.kids(name).map(|n| (side, n)));
                }
                _ => {}
            }
        }
        v
    }
}

fn parse_tree(text: &str) -> Node {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                let n = node(&e);
                stack.push(n);
            }
            Event::Empty(e) => {
                let n = node(&e);
                stack.last_mut().unwrap().children.push(n);
            }
            Event::End(_) => {
                let n = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(n);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    stack.pop().unwrap()
}

fn node(e: &quick_xml::events::BytesStart<'_>) -> Node {
    Node {
        name: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
        attrs: e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (String::from_utf8_lossy(a.key.as_ref()).into_owned(), a.unescape_value().unwrap().into_owned())
            })
            .collect(),
        children: Vec::new(),
    }
}

fn svc_token(s: Option<&Node>) -> String {
    match s {
        None => "-".into(),
        Some(s) => ["name", "product", "version", "extrainfo"]
            .iter()
            .map(|k| s.attr(k).unwrap_or(""))
            .collect::<Vec<_>>()
            .join("|"),
    }
}

/// The change tokens of ndiff's XML, and the ids of hosts ndiff split in two because their names changed.
fn ndiff_changes(xml_text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let root = parse_tree(xml_text);
    let scandiff = root.kid("nmapdiff").and_then(|n| n.kid("scandiff")).expect("scandiff");
    let mut out = BTreeSet::new();
    // Hosts only on one side: (side, id, names, addresses, state).
    let mut lone: Vec<(char, String, BTreeSet<String>, BTreeSet<String>, String)> = Vec::new();
    for hd in scandiff.kids("hostdiff") {
        for (side, host) in hd.sided("host") {
            let addrs: Vec<(char, &Node)> = host.sided("address");
            let id = addrs
                .iter()
                .find(|(_, a)| a.attr("addrtype") == Some("ipv4"))
                .and_then(|(_, a)| a.attr("addr"))
                .unwrap()
                .to_owned();
            if side != ' ' {
                let names = host
                    .kid("hostnames")
                    .map(|h| h.kids("hostname").filter_map(|n| n.attr("name")).map(str::to_owned).collect())
                    .unwrap_or_default();
                let all = addrs.iter().filter_map(|(_, a)| a.attr("addr")).map(str::to_uppercase).collect();
                let state = host.kid("status").and_then(|s| s.attr("state")).unwrap_or("").to_owned();
                lone.push((side, id, names, all, state));
                continue;
            }
            let status = host.sided("status");
            if status.len() == 2 {
                out.insert(format!(
                    "state {id} {}->{}",
                    status[0].1.attr("state").unwrap(),
                    status[1].1.attr("state").unwrap()
                ));
            }
            for (s, a) in &addrs {
                if *s != ' ' {
                    let m = if *s == 'a' { '-' } else { '+' };
                    out.insert(format!("addr {id} {m}{}", a.attr("addr").unwrap().to_uppercase()));
                }
            }
            if let Some(hn) = host.kid("hostnames") {
                for (s, n) in hn.sided("hostname") {
                    if s != ' ' {
                        let m = if s == 'a' { '-' } else { '+' };
                        out.insert(format!("name {id} {m}{}", n.attr("name").unwrap()));
                    }
                }
            }
            if let Some(ports) = host.kid("ports") {
                for pd in ports.kids("portdiff") {
                    port_tokens(&id, pd, &mut out);
                }
            }
            if host.kid("os").is_some_and(|os| os.kids("a").chain(os.kids("b")).any(|g| !g.children.is_empty())) {
                out.insert(format!("os {id}"));
            }
            if let Some(hs) = host.kid("hostscript") {
                script_tokens(&id, "host", hs.sided("script"), &mut out);
            }
        }
        // A host-level <a>/<b> wrapping <hostscript> (scripts only on one side) is also a script change.
        if let Some(host) = hd.kid("host") {
            let id = host
                .sided("address")
                .iter()
                .find(|(_, a)| a.attr("addrtype") == Some("ipv4"))
                .and_then(|(_, a)| a.attr("addr"))
                .unwrap()
                .to_owned();
            for (side, hs) in host.sided("hostscript") {
                if side != ' ' {
                    for s in hs.kids("script") {
                        let m = if side == 'a' { '-' } else { '+' };
                        out.insert(format!("script {id} host {} {m}", s.attr("id").unwrap()));
                    }
                }
            }
        }
    }
    // ndiff matches hosts on address and name: a renamed host is one gone plus one new. Our diff matches on
    // the address and reports the names; translate ndiff's pair into that.
    let mut split = BTreeSet::new();
    for (side, id, names, addrs, state) in &lone {
        let other = lone.iter().find(|(s, i, ..)| s != side && i == id);
        match (side, other) {
            ('a', Some((_, _, names_b, addrs_b, state_b))) => {
                split.insert(id.clone());
                for n in names.difference(names_b) {
                    out.insert(format!("name {id} -{n}"));
                }
                for n in names_b.difference(names) {
                    out.insert(format!("name {id} +{n}"));
                }
                for x in addrs.difference(addrs_b) {
                    out.insert(format!("addr {id} -{x}"));
                }
                for x in addrs_b.difference(addrs) {
                    out.insert(format!("addr {id} +{x}"));
                }
                if state != state_b {
                    out.insert(format!("state {id} {state}->{state_b}"));
                }
            }
            ('b', Some(_)) => {}
            ('a', None) => {
                out.insert(format!("host- {id}"));
            }
            _ => {
                out.insert(format!("host+ {id}"));
            }
        }
    }
    (out, split)
}

fn port_tokens(id: &str, pd: &Node, out: &mut BTreeSet<String>) {
    let pa = pd.kid("a").and_then(|a| a.kid("port"));
    let pb = pd.kid("b").and_then(|b| b.kid("port"));
    if let (Some(pa), Some(pb)) = (pa, pb) {
        let spec = format!("{}/{}", pa.attr("protocol").unwrap(), pa.attr("portid").unwrap());
        let st = |p: &Node| p.kid("state").and_then(|s| s.attr("state")).unwrap_or("unknown").to_owned();
        if st(pa) != st(pb) {
            out.insert(format!("port {id} {spec} {}->{}", st(pa), st(pb)));
        }
        let (sa, sb) = (svc_token(pa.kid("service")), svc_token(pb.kid("service")));
        if sa != sb {
            out.insert(format!("service {id} {spec} {sa}->{sb}"));
        }
        let mut scripts: Vec<(char, &Node)> = pa.kids("script").map(|s| ('a', s)).collect();
        scripts.extend(pb.kids("script").map(|s| ('b', s)));
        // Same id and output on both sides is no change.
        let same: BTreeSet<(String, String)> = pa
            .kids("script")
            .filter(|x| {
                pb.kids("script").any(|y| y.attr("id") == x.attr("id") && y.attr("output") == x.attr("output"))
            })
            .map(|x| (x.attr("id").unwrap().to_owned(), x.attr("output").unwrap_or("").to_owned()))
            .collect();
        let changed: Vec<(char, &Node)> = scripts
            .into_iter()
            .filter(|(_, s)| {
                !same.contains(&(s.attr("id").unwrap().to_owned(), s.attr("output").unwrap_or("").to_owned()))
            })
            .collect();
        script_tokens(id, &spec, changed, out);
        return;
    }
    let p = pd.kid("port").expect("portdiff without port");
    let spec = format!("{}/{}", p.attr("protocol").unwrap(), p.attr("portid").unwrap());
    let svcs = p.sided("service");
    if svcs.iter().any(|(s, _)| *s != ' ') {
        let a = svcs.iter().find(|(s, _)| *s == 'a').map(|(_, n)| *n);
        let b = svcs.iter().find(|(s, _)| *s == 'b').map(|(_, n)| *n);
        out.insert(format!("service {id} {spec} {}->{}", svc_token(a), svc_token(b)));
    }
    script_tokens(id, &spec, p.sided("script").into_iter().filter(|(s, _)| *s != ' ').collect(), out);
}

fn script_tokens(id: &str, at: &str, scripts: Vec<(char, &Node)>, out: &mut BTreeSet<String>) {
    let ids_a: BTreeSet<&str> = scripts.iter().filter(|(s, _)| *s == 'a').filter_map(|(_, n)| n.attr("id")).collect();
    let ids_b: BTreeSet<&str> = scripts.iter().filter(|(s, _)| *s == 'b').filter_map(|(_, n)| n.attr("id")).collect();
    for sid in ids_a.union(&ids_b) {
        let m = match (ids_a.contains(sid), ids_b.contains(sid)) {
            (true, true) => '~',
            (true, false) => '-',
            _ => '+',
        };
        out.insert(format!("script {id} {at} {sid} {m}"));
    }
}

fn state_word(s: Option<PortState>) -> String {
    s.map(|s| s.to_string()).unwrap_or_else(|| "unknown".into())
}

fn our_svc(s: &Option<diff::ServiceId>) -> String {
    match s {
        None => "-".into(),
        Some(s) => [Some(s.name.as_str()), s.product.as_deref(), s.version.as_deref(), s.extra_info.as_deref()]
            .iter()
            .map(|v| v.unwrap_or(""))
            .collect::<Vec<_>>()
            .join("|"),
    }
}

/// Our changes as the same tokens. For hosts ndiff split in two (`split`), only what ndiff can still see
/// (names, addresses, state) is kept.
fn our_changes(d: &ScanDiff, split: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (id, c) in d.changes() {
        let spec = |pr: &Protocol, p: &u16| format!("{pr}/{p}");
        let token = match c {
            Change::HostAppeared { .. } => vec![format!("host+ {id}")],
            Change::HostDisappeared { .. } => vec![format!("host- {id}")],
            Change::HostState { from, to } => vec![format!("state {id} {}->{}", from.as_str(), to.as_str())],
            Change::Addresses { removed, added } => removed
                .iter()
                .map(|a| format!("addr {id} -{}", a.addr.to_uppercase()))
                .chain(added.iter().map(|a| format!("addr {id} +{}", a.addr.to_uppercase())))
                .collect(),
            Change::Hostnames { removed, added } => removed
                .iter()
                .map(|n| format!("name {id} -{n}"))
                .chain(added.iter().map(|n| format!("name {id} +{n}")))
                .collect(),
            _ if split.contains(id) => vec![],
            Change::ExtraPorts { .. } => vec![format!("extraports {id}")],
            Change::PortState { protocol, port, from, to } => {
                vec![format!("port {id} {} {}->{}", spec(protocol, port), state_word(*from), state_word(*to))]
            }
            Change::Service { protocol, port, from, to } => {
                vec![format!("service {id} {} {}->{}", spec(protocol, port), our_svc(from), our_svc(to))]
            }
            Change::Script { protocol, port, id: sid, from, to } => {
                let at = match (protocol, port) {
                    (Some(pr), Some(p)) => spec(pr, p),
                    _ => "host".into(),
                };
                let m = match (from, to) {
                    (Some(_), Some(_)) => '~',
                    (Some(_), None) => '-',
                    _ => '+',
                };
                vec![format!("script {id} {at} {sid} {m}")]
            }
            Change::Os { .. } => vec![format!("os {id}")],
        };
        out.extend(token);
    }
    out
}

fn compare_with_ndiff(a: &str, b: &str) -> BTreeSet<String> {
    let (ra, rb) = (load(a), load(b));
    let d = diff::diff(&ra, &rb);
    let (code, x) = run_ndiff(&["--xml"], a, b);
    let (theirs, split) = ndiff_changes(&x);
    let ours = our_changes(&d, &split);
    assert_eq!(
        ours,
        theirs,
        "{a} -> {b}: our changes (left) differ from ndiff's (right)\n--- ndiff ---\n{x}\n--- ours ---\n{}",
        diff::render_text(&d, false)
    );
    assert_eq!(code == 1, !d.is_empty(), "{a} -> {b}: ndiff's exit status {code} vs our verdict");
    theirs
}

#[test]
fn same_changes_as_ndiff_port_service_script_host_mac() {
    if !have_ndiff() {
        eprintln!("SKIP: Debian's ndiff is not installed");
        return;
    }
    let set = compare_with_ndiff("scan-a.xml", "scan-b.xml");
    // The lab's known changes must be among them (the test would otherwise pass on two empty sets).
    for want in [
        "port 198.18.1.2 tcp/8080 closed->open",
        "host- 198.18.1.3",
        "addr 198.18.2.3 -02:00:00:00:0A:01",
        "addr 198.18.2.3 +02:00:00:00:0B:02",
        "script 198.18.1.2 tcp/80 http-title ~",
        "script 198.18.1.2 tcp/2222 banner ~",
    ] {
        assert!(set.contains(want), "missing {want} in {set:#?}");
    }
    assert!(
        set.iter().any(|t| t.starts_with("service 198.18.1.2 tcp/2222 ssh|OpenSSH|8.4p1")),
        "service upgrade missing: {set:#?}"
    );
}

/// The same scans the other way round: a host appearing, a port closing, a service downgrade.
#[test]
fn same_changes_as_ndiff_reversed() {
    if !have_ndiff() {
        eprintln!("SKIP: Debian's ndiff is not installed");
        return;
    }
    let set = compare_with_ndiff("scan-b.xml", "scan-a.xml");
    assert!(set.contains("host+ 198.18.1.3"), "{set:#?}");
    assert!(set.contains("port 198.18.1.2 tcp/8080 open->closed"), "{set:#?}");
    let set = compare_with_ndiff("scan-c.xml", "scan-a.xml");
    assert!(set.contains("name 198.18.1.2 -web-b.lab"), "{set:#?}");
}

/// Scan D (-v) lists 198.18.1.3 as down and finds port 22 filtered.
#[test]
fn same_changes_as_ndiff_host_down_and_filtered() {
    if !have_ndiff() {
        eprintln!("SKIP: Debian's ndiff is not installed");
        return;
    }
    let set = compare_with_ndiff("scan-a.xml", "scan-d.xml");
    assert!(set.contains("state 198.18.1.3 up->down"), "{set:#?}");
    assert!(set.contains("port 198.18.1.3 tcp/80 open->unknown"), "{set:#?}");
    // C and D share the host name of 198.18.1.2, so ndiff compares its ports.
    let set = compare_with_ndiff("scan-c.xml", "scan-d.xml");
    assert!(set.contains("host+ 198.18.1.3"), "{set:#?}");
    assert!(set.contains("port 198.18.1.2 tcp/22 closed->filtered"), "{set:#?}");
}

#[test]
fn same_changes_as_ndiff_hostname() {
    if !have_ndiff() {
        eprintln!("SKIP: Debian's ndiff is not installed");
        return;
    }
    let set = compare_with_ndiff("scan-b.xml", "scan-c.xml");
    assert!(set.contains("name 198.18.1.2 -web-a.lab"), "{set:#?}");
    assert!(set.contains("name 198.18.1.2 +web-b.lab"), "{set:#?}");
}

#[test]
fn identical_scans_have_no_changes() {
    let a = load("scan-a.xml");
    let d = diff::diff(&a, &a);
    assert!(d.is_empty(), "{:#?}", d.hosts);
    assert_eq!(diff::render_text(&d, false), "");
    if have_ndiff() {
        let (code, out) = run_ndiff(&[], "scan-a.xml", "scan-a.xml");
        assert_eq!((code, out.as_str()), (0, ""));
    }
}

/// Our text layout against ndiff's, line by line, on the pair ndiff does not split (both run on the same
/// files, in this process's time zone).
#[test]
fn text_layout_matches_ndiff() {
    if !have_ndiff() {
        eprintln!("SKIP: Debian's ndiff is not installed");
        return;
    }
    for (a, b) in [("scan-a.xml", "scan-b.xml"), ("scan-b.xml", "scan-a.xml"), ("scan-c.xml", "scan-d.xml")] {
        let d = diff::diff(&load(a), &load(b));
        for (flags, verbose) in [(&[][..], false), (&["-v"][..], true)] {
            let (_, theirs) = run_ndiff(flags, a, b);
            let ours = diff::render_text(&d, verbose);
            let (t, o): (Vec<&str>, Vec<&str>) = (theirs.lines().collect(), ours.lines().collect());
            assert_eq!(o, t, "{a} -> {b} verbose={verbose}\n--- ndiff ---\n{theirs}\n--- ours ---\n{ours}");
        }
    }
}

/// Our --xml against ndiff's, text for text, on three pairs, plain and -v. Normalised only where ndiff's
/// output is not what it means: it writes line breaks inside attribute values literally (an XML parser turns
/// them into spaces; we write `&#xa;`), names the encoding in lower case and ends without a newline; and
/// with -v it counts every port with scripts on both sides as changed (its exit status is then 1 even for
/// a scan compared with itself) and wraps it in `<portdiff>`, so at -v the `<portdiff>` lines are left out
/// of the comparison.
#[test]
fn xml_layout_matches_ndiff() {
    if !have_ndiff() {
        eprintln!("SKIP: Debian's ndiff is not installed");
        return;
    }
    fn normalise_ndiff(x: &str) -> String {
        let mut out = String::with_capacity(x.len());
        let mut in_attr = false;
        let mut in_tag = false;
        for c in x.chars() {
            match c {
                '<' if !in_attr => in_tag = true,
                '>' if !in_attr => in_tag = false,
                '"' if in_tag => in_attr = !in_attr,
                _ => {}
            }
            if c == '\n' && in_attr {
                out.push_str("&#xa;");
            } else {
                out.push(c);
            }
        }
        let mut out = out.replacen("encoding=\"utf-8\"", "encoding=\"UTF-8\"", 1);
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out
    }
    for (a, b) in [("scan-a.xml", "scan-b.xml"), ("scan-b.xml", "scan-a.xml"), ("scan-c.xml", "scan-d.xml")] {
        let d = diff::diff(&load(a), &load(b));
        for (flags, verbose) in [(&["--xml"][..], false), (&["--xml", "-v"][..], true)] {
            let (_, theirs) = run_ndiff(flags, a, b);
            let theirs = normalise_ndiff(&theirs);
            let ours = diff::render_xml(&d, verbose);
            let keep = |l: &&str| !verbose || (*l != "<portdiff>" && *l != "</portdiff>");
            let (t, o): (Vec<&str>, Vec<&str>) =
                (theirs.lines().filter(keep).collect(), ours.lines().filter(keep).collect());
            assert_eq!(o, t, "{a} -> {b} verbose={verbose}");
        }
    }
}

#[test]
fn xml_diff_is_well_formed_and_names_the_changes() {
    let d = diff::diff(&load("scan-a.xml"), &load("scan-b.xml"));
    let x = diff::render_xml(&d, false);
    let root = parse_tree(&x);
    let (set, _) = ndiff_changes(&x);
    let ours = our_changes(&d, &BTreeSet::new());
    assert_eq!(set, ours, "our XML, read as ndiff's, says the same as our diff\n{x}");
    assert!(root.kid("nmapdiff").is_some());
    let json: serde_json::Value = serde_json::from_str(&diff::render_json(&d).unwrap()).unwrap();
    assert!(json["hosts"].as_array().unwrap().iter().any(|h| h["id"] == "198.18.1.3"
        && h["changes"][0]["kind"] == "host_disappeared"));
}

#[test]
fn timeline_follows_a_host_across_scans() {
    let reports = [load("scan-a.xml"), load("scan-b.xml"), load("scan-c.xml")];
    let t = diff::timeline(&reports, "198.18.1.0/24".parse::<diff::HostSelector>().unwrap());
    let ids: Vec<String> = t.iter().map(|h| h.addr.to_string()).collect();
    assert_eq!(ids, ["198.18.1.2", "198.18.1.3"]);
    let gone = &t[1];
    assert_eq!(gone.points.iter().map(|p| p.state).collect::<Vec<_>>(), [Some(HostState::Up), None, None]);
    assert!(matches!(gone.points[1].changes[0], Change::HostDisappeared { .. }));
    let web = &t[0];
    let p8080 = |i: usize| web.points[i].ports.iter().find(|p| p.port == 8080).map(|p| p.state);
    assert_eq!([p8080(0), p8080(1), p8080(2)], [Some(PortState::Closed), Some(PortState::Open), Some(PortState::Open)]);
    assert!(web.points[2].changes.iter().any(|c| matches!(c, Change::Hostnames { .. })));
    let single = diff::timeline(&reports, "198.18.2.3".parse::<std::net::IpAddr>().unwrap());
    assert_eq!(single.len(), 1);
    assert!(single[0].points[1].changes.iter().any(|c| matches!(c, Change::Addresses { .. })));
}

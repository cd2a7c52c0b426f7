//! Loads Nmap's XML (`-oX`, ours or Nmap's own) into a [`ScanReport`] with quick-xml.
//!
//! Read: hosts, addresses, hostnames, ports and extraports, services with their `<cpe>`s, port and host
//! scripts with their `<elem>`/`<table>` trees, OS detection (`portused`, `osmatch`/`osclass`/`cpe`,
//! `osfingerprint`), uptime, distance, traceroute hops, times and run statistics. Skipped: task progress,
//! hosthints, pre/post-scan scripts and the TCP/IP-ID/timestamp sequence elements. Any malformed or
//! truncated input is an [`XmlReadError`] naming the line and column (1-based, columns in characters) —
//! never a panic; script tables nested deeper than [`MAX_TABLE_DEPTH`] are refused, so a hostile file cannot
//! build a tree whose drop or comparison would exhaust the stack. A file without `<runstats>` but otherwise complete would be an interrupted
//! Nmap run only if it were also unterminated, so a missing `</nmaprun>` is reported as truncation.

use portolan_model::report::{ExtraPorts, ExtraReason};
use portolan_model::{
    Address, AddressKind, HostReport, HostState, HostStatus, Hostname, HostnameKind, OsClass, OsInfo, OsMatch,
    OsPortUsed, PortReport, PortState, Protocol, Reason, RunStats, ScanInfo, ScanReport, ScriptElement,
    ScriptResult, SequenceClass, Service, TcpSequence, Times, Trace, TraceHop, Uptime,
};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::str::FromStr;

/// Deepest `<table>` nesting accepted inside one `<script>`.
pub const MAX_TABLE_DEPTH: usize = 64;

/// Where a `<script>` being read belongs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ScriptOwner {
    Port,
    Host,
    /// Pre/post-scan scripts: read for well-formedness, then dropped (the model has no place for them).
    Elsewhere,
}

/// A script being read: its result so far and the `<table>`s open inside it (key, children).
struct OpenScript {
    owner: ScriptOwner,
    result: ScriptResult,
    tables: Vec<(Option<String>, Vec<ScriptElement>)>,
}

impl OpenScript {
    fn push(&mut self, e: ScriptElement) {
        match self.tables.last_mut() {
            Some((_, children)) => children.push(e),
            None => self.result.elements.push(e),
        }
    }
}

/// Why a document could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("XML error at line {line}, column {column}: {message}")]
pub struct XmlReadError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// 1-based line and character column of a byte offset.
fn line_col(text: &str, offset: u64) -> (usize, usize) {
    let off = usize::try_from(offset).unwrap_or(usize::MAX).min(text.len());
    // A byte offset inside a multi-byte character counts from that character's start.
    let mut end = off;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[line_start..].chars().count() + 1)
}

struct Ctx<'t> {
    text: &'t str,
    pos: u64,
}

impl Ctx<'_> {
    fn err(&self, message: impl Into<String>) -> XmlReadError {
        let (line, column) = line_col(self.text, self.pos);
        XmlReadError { line, column, message: message.into() }
    }
}

/// The attributes of one element, unescaped.
fn sequence_class(a: &Attrs) -> SequenceClass {
    SequenceClass {
        class: a.get("class").unwrap_or_default().to_owned(),
        values: a.get("values").unwrap_or_default().to_owned(),
    }
}

struct Attrs {
    element: String,
    items: Vec<(String, String)>,
}

impl Attrs {
    fn parse(ctx: &Ctx<'_>, e: &BytesStart<'_>) -> Result<Attrs, XmlReadError> {
        let element = String::from_utf8_lossy(e.name().as_ref()).into_owned();
        let mut items = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|err| ctx.err(format!("bad attribute in <{element}>: {err}")))?;
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let value = a
                .unescape_value()
                .map_err(|err| ctx.err(format!("bad value of {key} in <{element}>: {err}")))?
                .into_owned();
            items.push((key, value));
        }
        Ok(Attrs { element, items })
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.items.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn req(&self, ctx: &Ctx<'_>, key: &str) -> Result<&str, XmlReadError> {
        self.get(key).ok_or_else(|| ctx.err(format!("<{}> lacks the {key} attribute", self.element)))
    }

    fn num<T: FromStr>(&self, ctx: &Ctx<'_>, key: &str) -> Result<Option<T>, XmlReadError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.trim().parse::<T>().map(Some).map_err(|_| {
                ctx.err(format!("<{}> has {key}=\"{v}\", which is not a valid number", self.element))
            }),
        }
    }

    fn req_num<T: FromStr>(&self, ctx: &Ctx<'_>, key: &str) -> Result<T, XmlReadError> {
        self.num(ctx, key)?.ok_or_else(|| ctx.err(format!("<{}> lacks the {key} attribute", self.element)))
    }

    fn word<T: FromStr>(&self, ctx: &Ctx<'_>, key: &str) -> Result<T, XmlReadError> {
        let v = self.req(ctx, key)?;
        v.parse::<T>().map_err(|_| ctx.err(format!("<{}> has unknown {key}=\"{v}\"", self.element)))
    }
}

fn host_state(ctx: &Ctx<'_>, s: &str) -> Result<HostState, XmlReadError> {
    match s {
        "up" => Ok(HostState::Up),
        "down" => Ok(HostState::Down),
        // The DTD also allows "skipped"; the model has no such state, and such a host was not scanned.
        "unknown" | "skipped" => Ok(HostState::Unknown),
        _ => Err(ctx.err(format!("unknown host state \"{s}\""))),
    }
}

/// Reads one Nmap XML document.
pub fn read(text: &str) -> Result<ScanReport, XmlReadError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut ctx = Ctx { text, pos: 0 };
    let mut report = ScanReport::empty("");
    let mut stack: Vec<String> = Vec::new();
    let mut seen_root = false;
    let mut closed_root = false;
    let mut host: Option<HostReport> = None;
    let mut port: Option<PortReport> = None;
    let mut extra: Option<ExtraPorts> = None;
    let mut run_stats: Option<RunStats> = None;
    let mut script: Option<OpenScript> = None;
    let mut os: Option<OsInfo> = None;
    let mut trace: Option<Trace> = None;
    // Text of the innermost `<elem>` or `<cpe>` being read, and the key of that `<elem>`.
    let mut text: Option<String> = None;
    let mut elem_key: Option<String> = None;

    loop {
        ctx.pos = reader.buffer_position();
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                ctx.pos = reader.error_position();
                return Err(ctx.err(e.to_string()));
            }
        };
        let (start, is_empty) = match &ev {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let parent_of_ended = if stack.len() >= 2 { stack[stack.len() - 2].clone() } else { String::new() };
                if stack.pop().as_deref() != Some(name.as_str()) {
                    return Err(ctx.err(format!("unexpected </{name}>")));
                }
                match name.as_str() {
                    "host" => {
                        if let Some(mut h) = host.take() {
                            h.ports.sort_by_key(|p| (p.protocol, p.port));
                            report.hosts.push(h);
                        }
                    }
                    "port" => {
                        if let (Some(p), Some(h)) = (port.take(), host.as_mut()) {
                            h.ports.push(p);
                        }
                    }
                    "extraports" => {
                        if let (Some(x), Some(h)) = (extra.take(), host.as_mut()) {
                            h.extra_ports.push(x);
                        }
                    }
                    "nmaprun" => closed_root = true,
                    _ => end_inner(
                        &name,
                        &parent_of_ended,
                        &mut text,
                        &mut elem_key,
                        &mut script,
                        &mut os,
                        &mut trace,
                        &mut port,
                        &mut host,
                    ),
                }
                continue;
            }
            Event::Eof => break,
            Event::Text(t) => {
                if let Some(buf) = text.as_mut() {
                    let s = t.unescape().map_err(|err| ctx.err(format!("bad text: {err}")))?;
                    buf.push_str(&s);
                } else if stack.is_empty() && !t.iter().all(u8::is_ascii_whitespace) {
                    return Err(ctx.err("text outside the root element"));
                }
                continue;
            }
            Event::CData(t) => {
                if let Some(buf) = text.as_mut() {
                    buf.push_str(&String::from_utf8_lossy(t.as_ref()));
                }
                continue;
            }
            _ => continue,
        };
        let Some(e) = start else { continue };
        let a = Attrs::parse(&ctx, e)?;
        if closed_root {
            return Err(ctx.err(format!("<{}> after </nmaprun>", a.element)));
        }
        if !seen_root && a.element != "nmaprun" {
            return Err(ctx.err(format!("expected <nmaprun>, found <{}>", a.element)));
        }
        let parent = stack.last().map(String::as_str).unwrap_or("");
        match a.element.as_str() {
            "nmaprun" => {
                if seen_root {
                    return Err(ctx.err("nested <nmaprun>"));
                }
                seen_root = true;
                report.scanner = a.get("scanner").unwrap_or("nmap").to_owned();
                report.version = a.get("version").unwrap_or_default().to_owned();
                report.args = a.get("args").unwrap_or_default().to_owned();
                report.start = a.num(&ctx, "start")?.unwrap_or(0);
            }
            "scaninfo" => report.scan_info.push(ScanInfo {
                scan_type: a.req(&ctx, "type")?.to_owned(),
                protocol: a.word::<Protocol>(&ctx, "protocol")?,
                num_services: a.num(&ctx, "numservices")?.unwrap_or(0),
                services: a.get("services").unwrap_or_default().to_owned(),
            }),
            "verbose" => report.verbose = a.num(&ctx, "level")?.unwrap_or(0),
            "debugging" => report.debugging = a.num(&ctx, "level")?.unwrap_or(0),
            "host" if parent == "nmaprun" => {
                let placeholder = HostStatus { state: HostState::Unknown, reason: Reason::new(""), reason_ttl: 0 };
                host = Some(HostReport {
                    start_time: a.num(&ctx, "starttime")?,
                    end_time: a.num(&ctx, "endtime")?,
                    status: placeholder,
                    addresses: Vec::new(),
                    hostnames: Vec::new(),
                    ports: Vec::new(),
                    extra_ports: Vec::new(),
                    latency: None,
                    times: None,
                    timed_out: a.get("timedout") == Some("true"),
                    os: None,
                    uptime: None,
                    distance: None,
                    tcp_sequence: None,
                    ip_id_sequence: None,
                    tcp_ts_sequence: None,
                    trace: None,
                    host_scripts: Vec::new(),
                });
            }
            "status" if parent == "host" => {
                if let Some(h) = host.as_mut() {
                    h.status = HostStatus {
                        state: host_state(&ctx, a.req(&ctx, "state")?)?,
                        reason: Reason::new(a.get("reason").unwrap_or_default()),
                        reason_ttl: a.num(&ctx, "reason_ttl")?.unwrap_or(0),
                    };
                }
            }
            "address" if parent == "host" => {
                let kind = match a.get("addrtype").unwrap_or("ipv4") {
                    "ipv4" => AddressKind::Ipv4,
                    "ipv6" => AddressKind::Ipv6,
                    "mac" => AddressKind::Mac,
                    other => return Err(ctx.err(format!("unknown addrtype \"{other}\""))),
                };
                if let Some(h) = host.as_mut() {
                    h.addresses.push(Address {
                        addr: a.req(&ctx, "addr")?.to_owned(),
                        kind,
                        vendor: a.get("vendor").map(str::to_owned),
                    });
                }
            }
            "hostname" if parent == "hostnames" => {
                let kind = match a.get("type") {
                    Some("user") => HostnameKind::User,
                    _ => HostnameKind::Ptr,
                };
                if let (Some(h), Some(name)) = (host.as_mut(), a.get("name")) {
                    h.hostnames.push(Hostname { name: name.to_owned(), kind });
                }
            }
            "extraports" if parent == "ports" => {
                extra = Some(ExtraPorts {
                    state: a.word::<PortState>(&ctx, "state")?,
                    count: a.req_num(&ctx, "count")?,
                    reasons: Vec::new(),
                });
            }
            "extrareasons" if parent == "extraports" => {
                let protocol = match a.get("proto") {
                    Some(p) => Some(a.word::<Protocol>(&ctx, "proto").map_err(|_| ctx.err(format!("unknown proto \"{p}\"")))?),
                    None => None,
                };
                let r = ExtraReason {
                    reason: Reason::new(a.req(&ctx, "reason")?),
                    count: a.req_num(&ctx, "count")?,
                    protocol,
                    ports: a.get("ports").map(str::to_owned),
                };
                if let Some(x) = extra.as_mut() {
                    x.reasons.push(r);
                }
            }
            "port" if parent == "ports" => {
                port = Some(PortReport {
                    protocol: a.word::<Protocol>(&ctx, "protocol")?,
                    port: a.req_num(&ctx, "portid")?,
                    state: PortState::Closed,
                    reason: Reason::new(""),
                    reason_ttl: 0,
                    service: None,
                    scripts: Vec::new(),
                });
            }
            "state" if parent == "port" => {
                if let Some(p) = port.as_mut() {
                    p.state = a.word::<PortState>(&ctx, "state")?;
                    p.reason = Reason::new(a.get("reason").unwrap_or_default());
                    p.reason_ttl = a.num(&ctx, "reason_ttl")?.unwrap_or(0);
                }
            }
            "service" if parent == "port" => {
                let s = Service {
                    name: a.get("name").unwrap_or_default().to_owned(),
                    method: a.get("method").unwrap_or("table").to_owned(),
                    conf: a.num(&ctx, "conf")?.unwrap_or(0),
                    product: a.get("product").map(str::to_owned),
                    version: a.get("version").map(str::to_owned),
                    extra_info: a.get("extrainfo").map(str::to_owned),
                    tunnel: a.get("tunnel").map(str::to_owned),
                    os_type: a.get("ostype").map(str::to_owned),
                    device_type: a.get("devicetype").map(str::to_owned),
                    hostname: a.get("hostname").map(str::to_owned),
                    cpe: Vec::new(),
                    fingerprint: a.get("servicefp").map(str::to_owned),
                };
                if let Some(p) = port.as_mut() {
                    p.service = Some(s);
                }
            }
            "cpe" if parent == "service" || parent == "osclass" => text = Some(String::new()),
            "script" => {
                let owner = match parent {
                    "port" => ScriptOwner::Port,
                    "hostscript" => ScriptOwner::Host,
                    _ => ScriptOwner::Elsewhere,
                };
                script = Some(OpenScript {
                    owner,
                    result: ScriptResult {
                        id: a.req(&ctx, "id")?.to_owned(),
                        output: a.get("output").unwrap_or_default().to_owned(),
                        elements: Vec::new(),
                    },
                    tables: Vec::new(),
                });
            }
            "table" if parent == "script" || parent == "table" => {
                if let Some(sc) = script.as_mut() {
                    if sc.tables.len() >= MAX_TABLE_DEPTH {
                        return Err(ctx.err(format!("script tables nested deeper than {MAX_TABLE_DEPTH}")));
                    }
                    sc.tables.push((a.get("key").map(str::to_owned), Vec::new()));
                }
            }
            "elem" if parent == "script" || parent == "table" => {
                elem_key = a.get("key").map(str::to_owned);
                text = Some(String::new());
            }
            "os" if parent == "host" => os = Some(OsInfo::default()),
            "portused" if parent == "os" => {
                let u = OsPortUsed {
                    state: a.word::<PortState>(&ctx, "state")?,
                    protocol: a.word::<Protocol>(&ctx, "proto")?,
                    port: a.req_num(&ctx, "portid")?,
                };
                if let Some(o) = os.as_mut() {
                    o.ports_used.push(u);
                }
            }
            "osmatch" if parent == "os" => {
                let m = OsMatch {
                    name: a.req(&ctx, "name")?.to_owned(),
                    accuracy: a.num(&ctx, "accuracy")?.unwrap_or(0),
                    line: a.num(&ctx, "line")?.unwrap_or(0),
                    classes: Vec::new(),
                };
                if let Some(o) = os.as_mut() {
                    o.matches.push(m);
                }
            }
            "osclass" if parent == "osmatch" => {
                let c = OsClass {
                    device_type: a.get("type").map(str::to_owned),
                    vendor: a.get("vendor").unwrap_or_default().to_owned(),
                    family: a.get("osfamily").unwrap_or_default().to_owned(),
                    generation: a.get("osgen").map(str::to_owned),
                    accuracy: a.num(&ctx, "accuracy")?.unwrap_or(0),
                    cpe: Vec::new(),
                };
                if let Some(m) = os.as_mut().and_then(|o| o.matches.last_mut()) {
                    m.classes.push(c);
                }
            }
            "osfingerprint" if parent == "os" => {
                if let Some(o) = os.as_mut() {
                    o.fingerprint = a.get("fingerprint").map(str::to_owned);
                }
            }
            "uptime" if parent == "host" => {
                let u = Uptime {
                    seconds: a.req_num(&ctx, "seconds")?,
                    last_boot: a.get("lastboot").unwrap_or_default().to_owned(),
                };
                if let Some(h) = host.as_mut() {
                    h.uptime = Some(u);
                }
            }
            "distance" if parent == "host" => {
                let d = a.req_num(&ctx, "value")?;
                if let Some(h) = host.as_mut() {
                    h.distance = Some(d);
                }
            }
            "tcpsequence" if parent == "host" => {
                let t = TcpSequence {
                    index: a.req_num(&ctx, "index")?,
                    difficulty: a.get("difficulty").unwrap_or_default().to_owned(),
                    values: a.get("values").unwrap_or_default().to_owned(),
                };
                if let Some(h) = host.as_mut() {
                    h.tcp_sequence = Some(t);
                }
            }
            "ipidsequence" if parent == "host" => {
                if let Some(h) = host.as_mut() {
                    h.ip_id_sequence = Some(sequence_class(&a));
                }
            }
            "tcptssequence" if parent == "host" => {
                if let Some(h) = host.as_mut() {
                    h.tcp_ts_sequence = Some(sequence_class(&a));
                }
            }
            "trace" if parent == "host" => {
                trace = Some(Trace {
                    port: a.num(&ctx, "port")?,
                    protocol: a.get("proto").map(str::to_owned),
                    hops: Vec::new(),
                });
            }
            "hop" if parent == "trace" => {
                let addr = match a.get("ipaddr") {
                    Some(v) if !v.is_empty() => Some(
                        v.parse()
                            .map_err(|_| ctx.err(format!("<hop> has ipaddr=\"{v}\", which is not an IP address")))?,
                    ),
                    _ => None,
                };
                let rtt: Option<f64> = a.num(&ctx, "rtt")?;
                let hop = TraceHop {
                    ttl: a.req_num(&ctx, "ttl")?,
                    addr,
                    rtt_ms: rtt.filter(|r| r.is_finite()),
                    host: a.get("host").map(str::to_owned),
                };
                if let Some(t) = trace.as_mut() {
                    t.hops.push(hop);
                }
            }
            "times" if parent == "host" => {
                let t = Times {
                    srtt: a.num(&ctx, "srtt")?.unwrap_or(0),
                    rttvar: a.num(&ctx, "rttvar")?.unwrap_or(0),
                    timeout: a.num(&ctx, "to")?.unwrap_or(0),
                };
                if let Some(h) = host.as_mut() {
                    h.times = Some(t);
                    // Nmap's "Host is up (Xs latency)" is its smoothed RTT; the file keeps only that.
                    if h.is_up() && t.srtt > 0 {
                        h.latency = Some(t.srtt as f64 / 1e6);
                    }
                }
            }
            "finished" if parent == "runstats" => {
                run_stats = Some(RunStats {
                    finished: a.req_num(&ctx, "time")?,
                    elapsed: a.req_num(&ctx, "elapsed")?,
                    summary: a.get("summary").unwrap_or_default().to_owned(),
                    exit: a.get("exit").unwrap_or("success").to_owned(),
                    error_msg: a.get("errormsg").map(str::to_owned),
                    hosts_up: 0,
                    hosts_down: 0,
                    hosts_total: 0,
                });
            }
            "hosts" if parent == "runstats" => {
                let (up, down) = (a.num(&ctx, "up")?.unwrap_or(0), a.num(&ctx, "down")?.unwrap_or(0));
                let total = a.num(&ctx, "total")?.unwrap_or(up + down);
                if let Some(rs) = run_stats.as_mut() {
                    rs.hosts_up = up;
                    rs.hosts_down = down;
                    rs.hosts_total = total;
                }
            }
            _ => {}
        }
        if is_empty {
            end_inner(
                &a.element,
                parent,
                &mut text,
                &mut elem_key,
                &mut script,
                &mut os,
                &mut trace,
                &mut port,
                &mut host,
            );
        } else {
            stack.push(a.element);
        }
    }
    ctx.pos = reader.buffer_position();
    if !seen_root {
        return Err(ctx.err("no <nmaprun> element (empty or not an Nmap XML file)"));
    }
    if let Some(open) = stack.last() {
        return Err(ctx.err(format!("file ends inside <{open}> (truncated?)")));
    }
    report.run_stats = run_stats;
    Ok(report)
}

/// Closes the elements whose content is collected while reading (scripts and their trees, `<cpe>`, OS
/// detection, traces). `parent` is the element that contained the one that ended.
#[allow(clippy::too_many_arguments)]
fn end_inner(
    name: &str,
    parent: &str,
    text: &mut Option<String>,
    elem_key: &mut Option<String>,
    script: &mut Option<OpenScript>,
    os: &mut Option<OsInfo>,
    trace: &mut Option<Trace>,
    port: &mut Option<PortReport>,
    host: &mut Option<HostReport>,
) {
    match name {
        "cpe" => {
            let Some(value) = text.take() else { return };
            if parent == "service" {
                if let Some(s) = port.as_mut().and_then(|p| p.service.as_mut()) {
                    s.cpe.push(value);
                }
            } else if let (true, Some(c)) = (
                parent == "osclass",
                os.as_mut().and_then(|o| o.matches.last_mut()).and_then(|m| m.classes.last_mut()),
            ) {
                c.cpe.push(value);
            }
        }
        "elem" => {
            let Some(value) = text.take() else { return };
            if let Some(sc) = script.as_mut() {
                sc.push(ScriptElement::Elem { key: elem_key.take(), value });
            }
        }
        "table" => {
            if let Some((sc, (key, children))) = script.as_mut().and_then(|sc| sc.tables.pop().map(|t| (sc, t))) {
                sc.push(ScriptElement::Table { key, children });
            }
        }
        "script" => {
            let Some(sc) = script.take() else { return };
            match sc.owner {
                ScriptOwner::Port => {
                    if let Some(p) = port.as_mut() {
                        p.scripts.push(sc.result);
                    }
                }
                ScriptOwner::Host => {
                    if let Some(h) = host.as_mut() {
                        h.host_scripts.push(sc.result);
                    }
                }
                ScriptOwner::Elsewhere => {}
            }
        }
        "os" => {
            if let (Some(o), Some(h)) = (os.take(), host.as_mut()) {
                h.os = Some(o);
            }
        }
        "trace" => {
            if let (Some(t), Some(h)) = (trace.take(), host.as_mut()) {
                h.trace = Some(t);
            }
        }
        _ => {}
    }
}

//! Comparison of two scans ([`diff`]) and of one host across many ([`timeline`]), in the manner of Nmap's
//! `ndiff`: which hosts appeared, disappeared or changed state; which ports changed state; which services,
//! OS guesses, script outputs, host names and addresses changed.
//!
//! Hosts are matched by their first IP address (else their first MAC address, else their first host
//! name), so a host whose name changed is one host with a [`Change::Hostnames`] — where `ndiff`, which
//! matches on address *and* name, reports one host gone and another new. A port that one scan summarised
//! (`<extraports>`) instead of listing takes the summarised state when the summary names it or is the only
//! one; otherwise it is "not listed" (`None`, `ndiff`'s "unknown").
//!
//! Renderers ([`render_text`], [`render_xml`], [`render_json`]) are pure functions of a [`ScanDiff`]; every
//! string from a scan is sanitised (text) or escaped (XML, JSON).

use crate::text::sanitize;
use portolan_model::{
    Address, AddressKind, HostReport, HostState, PortReport, PortState, Protocol, ScanReport, ScriptResult,
    Service,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::str::FromStr;

mod render;
pub use render::{render_json, render_text, render_xml};

/// The scan a side of the diff came from (what `ndiff` prints as its banner).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanSummary {
    pub scanner: String,
    pub version: String,
    pub args: String,
    /// Unix seconds.
    pub start: i64,
}

impl ScanSummary {
    fn of(r: &ScanReport) -> Self {
        ScanSummary { scanner: r.scanner.clone(), version: r.version.clone(), args: r.args.clone(), start: r.start }
    }
}

/// Everything that differs between scan `a` (before) and scan `b` (after).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanDiff {
    pub a: ScanSummary,
    pub b: ScanSummary,
    /// Every host of either scan, ordered by address; `changes` is empty for a host that did not change.
    pub hosts: Vec<HostDiff>,
}

impl ScanDiff {
    /// True when no host changed (the scans' banners may still differ, as in `ndiff`'s exit status).
    pub fn is_empty(&self) -> bool {
        self.hosts.iter().all(|h| h.changes.is_empty())
    }

    /// Every change, with the id of its host.
    pub fn changes(&self) -> impl Iterator<Item = (&str, &Change)> {
        self.hosts.iter().flat_map(|h| h.changes.iter().map(move |c| (h.id.as_str(), c)))
    }
}

/// One host's side-by-side: how it looked in each scan (`None` where absent) and what changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostDiff {
    /// The matching key: the host's first IP address (or MAC address, or name).
    pub id: String,
    pub changes: Vec<Change>,
    #[serde(skip)]
    pub a: Option<HostReport>,
    #[serde(skip)]
    pub b: Option<HostReport>,
}

/// What version detection said about a port, in the fields `ndiff` compares (plus the SSL tunnel).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ServiceId {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<String>,
}

impl ServiceId {
    fn of(s: &Service) -> Self {
        let opt = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
        ServiceId {
            name: s.name.clone(),
            product: opt(&s.product),
            version: opt(&s.version),
            extra_info: opt(&s.extra_info),
            tunnel: opt(&s.tunnel),
        }
    }
}

/// A state count of ports a scan summarised (`Not shown: 95 closed ports`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StateCount {
    pub state: PortState,
    pub count: u32,
}

/// One difference. "from" is scan `a`, "to" is scan `b`; `None` means absent from that scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// In `b` only.
    HostAppeared { state: HostState },
    /// In `a` only.
    HostDisappeared { state: HostState },
    HostState { from: HostState, to: HostState },
    /// Addresses (typically the MAC) that only one scan saw.
    Addresses { removed: Vec<Address>, added: Vec<Address> },
    Hostnames { removed: Vec<String>, added: Vec<String> },
    /// The summarised ("Not shown") counts changed.
    ExtraPorts { from: Vec<StateCount>, to: Vec<StateCount> },
    PortState { protocol: Protocol, port: u16, from: Option<PortState>, to: Option<PortState> },
    Service { protocol: Protocol, port: u16, from: Option<ServiceId>, to: Option<ServiceId> },
    /// A port script (`port: Some`) or host script (`port: None`) appeared, disappeared or changed output.
    Script {
        #[serde(skip_serializing_if = "Option::is_none")]
        protocol: Option<Protocol>,
        #[serde(skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
        id: String,
        from: Option<String>,
        to: Option<String>,
    },
    /// The OS match list (names, best first) changed.
    Os { from: Vec<String>, to: Vec<String> },
}

/// One item as each scan has it.
type Pair<'a, T> = (Option<&'a T>, Option<&'a T>);

/// The key hosts are matched on.
fn host_key(h: &HostReport, index: usize) -> (u8, String) {
    if let Some(ip) = h.ip() {
        return (0, ip.to_string());
    }
    if let Some(mac) = h.addresses.iter().find(|a| a.kind == AddressKind::Mac) {
        return (1, mac.addr.to_ascii_uppercase());
    }
    match h.hostnames.first() {
        Some(n) => (2, n.name.clone()),
        None => (3, format!("#{index}")),
    }
}

/// Sort key: IP addresses numerically, then everything else by text.
fn order_key(id: &(u8, String)) -> (u8, Option<IpAddr>, String) {
    (id.0, id.1.parse().ok(), id.1.clone())
}

/// Compares scan `a` (before) with scan `b` (after).
pub fn diff(a: &ScanReport, b: &ScanReport) -> ScanDiff {
    let mut pairs: BTreeMap<(u8, Option<IpAddr>, String), Pair<'_, HostReport>> =
        BTreeMap::new();
    for (i, h) in a.hosts.iter().enumerate() {
        // A host listed twice in one file (two scans of the same target) keeps its first entry.
        pairs.entry(order_key(&host_key(h, i))).or_insert((None, None)).0.get_or_insert(h);
    }
    for (i, h) in b.hosts.iter().enumerate() {
        pairs.entry(order_key(&host_key(h, i))).or_insert((None, None)).1.get_or_insert(h);
    }
    let hosts = pairs
        .into_iter()
        .map(|((_, _, id), (ha, hb))| HostDiff {
            id,
            changes: host_changes(ha, hb),
            a: ha.cloned(),
            b: hb.cloned(),
        })
        .collect();
    ScanDiff { a: ScanSummary::of(a), b: ScanSummary::of(b), hosts }
}

/// The changes of one host between two scans (either side may be absent).
pub fn host_changes(a: Option<&HostReport>, b: Option<&HostReport>) -> Vec<Change> {
    let (a, b) = match (a, b) {
        (None, None) => return Vec::new(),
        (None, Some(b)) => return vec![Change::HostAppeared { state: b.status.state }],
        (Some(a), None) => return vec![Change::HostDisappeared { state: a.status.state }],
        (Some(a), Some(b)) => (a, b),
    };
    let mut out = Vec::new();
    if a.status.state != b.status.state {
        out.push(Change::HostState { from: a.status.state, to: b.status.state });
    }
    let addr_key = |x: &Address| (x.kind.as_str(), x.addr.to_ascii_lowercase());
    let addrs_a: BTreeSet<_> = a.addresses.iter().map(addr_key).collect();
    let addrs_b: BTreeSet<_> = b.addresses.iter().map(addr_key).collect();
    if addrs_a != addrs_b {
        let removed = a.addresses.iter().filter(|x| !addrs_b.contains(&addr_key(x))).cloned().collect();
        let added = b.addresses.iter().filter(|x| !addrs_a.contains(&addr_key(x))).cloned().collect();
        out.push(Change::Addresses { removed, added });
    }
    let names_a: BTreeSet<&str> = a.hostnames.iter().map(|n| n.name.as_str()).collect();
    let names_b: BTreeSet<&str> = b.hostnames.iter().map(|n| n.name.as_str()).collect();
    if names_a != names_b {
        out.push(Change::Hostnames {
            removed: names_a.difference(&names_b).map(|s| (*s).to_owned()).collect(),
            added: names_b.difference(&names_a).map(|s| (*s).to_owned()).collect(),
        });
    }
    let (xa, xb) = (extra_counts(a), extra_counts(b));
    if xa != xb {
        out.push(Change::ExtraPorts { from: xa, to: xb });
    }
    port_changes(a, b, &mut out);
    let (os_a, os_b) = (os_names(a), os_names(b));
    if os_a != os_b {
        out.push(Change::Os { from: os_a, to: os_b });
    }
    script_changes(None, &a.host_scripts, &b.host_scripts, &mut out);
    out
}

fn extra_counts(h: &HostReport) -> Vec<StateCount> {
    let mut v: Vec<StateCount> = h.extra_ports.iter().map(|e| StateCount { state: e.state, count: e.count }).collect();
    v.sort_by(|x, y| y.count.cmp(&x.count).then(x.state.cmp(&y.state)));
    v
}

fn os_names(h: &HostReport) -> Vec<String> {
    h.os.as_ref().map(|o| o.matches.iter().map(|m| m.name.clone()).collect()).unwrap_or_default()
}

/// The state a host's scan gave a port it did not list: the summary naming the port, or the only summary.
fn summarised_state(h: &HostReport, protocol: Protocol, port: u16) -> Option<PortState> {
    for e in &h.extra_ports {
        for r in &e.reasons {
            if r.protocol.is_some_and(|p| p != protocol) {
                continue;
            }
            if r.ports.as_deref().is_some_and(|list| port_list_contains(list, port)) {
                return Some(e.state);
            }
        }
    }
    let has_lists = h.extra_ports.iter().any(|e| e.reasons.iter().any(|r| r.ports.is_some()));
    match h.extra_ports.as_slice() {
        [only] if !has_lists => Some(only.state),
        _ => None,
    }
}

fn port_list_contains(list: &str, port: u16) -> bool {
    list.split(',').any(|part| match part.split_once('-') {
        Some((lo, hi)) => match (lo.trim().parse::<u16>(), hi.trim().parse::<u16>()) {
            (Ok(lo), Ok(hi)) => (lo..=hi).contains(&port),
            _ => false,
        },
        None => part.trim().parse::<u16>() == Ok(port),
    })
}

fn port_changes(a: &HostReport, b: &HostReport, out: &mut Vec<Change>) {
    let mut keys: BTreeMap<(Protocol, u16), Pair<'_, PortReport>> = BTreeMap::new();
    for p in &a.ports {
        keys.entry((p.protocol, p.port)).or_default().0.get_or_insert(p);
    }
    for p in &b.ports {
        keys.entry((p.protocol, p.port)).or_default().1.get_or_insert(p);
    }
    for ((protocol, port), (pa, pb)) in keys {
        let sa = pa.map(|p| p.state).or_else(|| summarised_state(a, protocol, port));
        let sb = pb.map(|p| p.state).or_else(|| summarised_state(b, protocol, port));
        if sa != sb {
            out.push(Change::PortState { protocol, port, from: sa, to: sb });
        }
        // A port one scan only summarised has no service or script facts there: compare those only when
        // both scans listed the port, or when its state changed (then the listed side's facts are news).
        if !(pa.is_some() && pb.is_some()) && sa == sb {
            continue;
        }
        let va = pa.and_then(|p| p.service.as_ref()).map(ServiceId::of);
        let vb = pb.and_then(|p| p.service.as_ref()).map(ServiceId::of);
        if va != vb {
            out.push(Change::Service { protocol, port, from: va, to: vb });
        }
        let empty: Vec<ScriptResult> = Vec::new();
        let sca = pa.map(|p| &p.scripts).unwrap_or(&empty);
        let scb = pb.map(|p| &p.scripts).unwrap_or(&empty);
        script_changes(Some((protocol, port)), sca, scb, out);
    }
}

fn script_changes(
    at: Option<(Protocol, u16)>,
    a: &[ScriptResult],
    b: &[ScriptResult],
    out: &mut Vec<Change>,
) {
    let mut ids: BTreeMap<&str, (Option<&str>, Option<&str>)> = BTreeMap::new();
    for s in a {
        ids.entry(s.id.as_str()).or_default().0.get_or_insert(s.output.as_str());
    }
    for s in b {
        ids.entry(s.id.as_str()).or_default().1.get_or_insert(s.output.as_str());
    }
    for (id, (oa, ob)) in ids {
        if oa != ob {
            out.push(Change::Script {
                protocol: at.map(|x| x.0),
                port: at.map(|x| x.1),
                id: id.to_owned(),
                from: oa.map(str::to_owned),
                to: ob.map(str::to_owned),
            });
        }
    }
}

/// Which hosts a [`timeline`] follows: one address or every address in a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostSelector {
    Addr(IpAddr),
    Net { base: IpAddr, prefix: u8 },
}

impl HostSelector {
    pub fn matches(&self, ip: IpAddr) -> bool {
        match *self {
            HostSelector::Addr(a) => a == ip,
            HostSelector::Net { base, prefix } => match (base, ip) {
                (IpAddr::V4(n), IpAddr::V4(x)) => {
                    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix.min(32))) };
                    u32::from(n) & mask == u32::from(x) & mask
                }
                (IpAddr::V6(n), IpAddr::V6(x)) => {
                    let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix.min(128))) };
                    u128::from(n) & mask == u128::from(x) & mask
                }
                _ => false,
            },
        }
    }
}

impl From<IpAddr> for HostSelector {
    fn from(a: IpAddr) -> Self {
        HostSelector::Addr(a)
    }
}

/// `198.18.1.2`, `198.18.1.0/24` or `2001:db8::/32`.
impl FromStr for HostSelector {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('/') {
            None => s.parse().map(HostSelector::Addr).map_err(|_| format!("'{s}' is not an IP address")),
            Some((addr, bits)) => {
                let base: IpAddr = addr.parse().map_err(|_| format!("'{addr}' is not an IP address"))?;
                let max = if base.is_ipv4() { 32 } else { 128 };
                let prefix: u8 = bits
                    .parse()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(|| format!("'{bits}' is not a prefix length (0-{max})"))?;
                Ok(HostSelector::Net { base, prefix })
            }
        }
    }
}

/// One port of a host as one scan saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortPoint {
    pub protocol: Protocol,
    pub port: u16,
    pub state: PortState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceId>,
}

/// A host in one scan of a [`timeline`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelinePoint {
    /// Index of the scan in the slice given to [`timeline`].
    pub scan: usize,
    /// The scan's start, Unix seconds.
    pub start: i64,
    /// `None` when this scan did not report the host at all.
    pub state: Option<HostState>,
    /// The ports the scan listed, in (protocol, port) order.
    pub ports: Vec<PortPoint>,
    /// Ports summarised instead of listed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_ports: Vec<StateCount>,
    /// What changed since the previous scan of the timeline (empty for the first).
    pub changes: Vec<Change>,
}

/// One host's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostTimeline {
    pub addr: IpAddr,
    pub points: Vec<TimelinePoint>,
}

/// The state and ports of every host `select` matches, across `reports` (in the order given, normally
/// oldest first): one point per scan, including scans that did not report the host (`state: None`).
pub fn timeline(reports: &[ScanReport], select: impl Into<HostSelector>) -> Vec<HostTimeline> {
    let select = select.into();
    let mut addrs: BTreeSet<IpAddr> = BTreeSet::new();
    for r in reports {
        addrs.extend(r.hosts.iter().filter_map(HostReport::ip).filter(|ip| select.matches(*ip)));
    }
    addrs
        .into_iter()
        .map(|addr| {
            let mut prev: Option<&HostReport> = None;
            let mut points = Vec::with_capacity(reports.len());
            for (i, r) in reports.iter().enumerate() {
                let h = r.host(addr);
                let changes = if i == 0 { Vec::new() } else { host_changes(prev, h) };
                points.push(TimelinePoint {
                    scan: i,
                    start: r.start,
                    state: h.map(|h| h.status.state),
                    ports: h
                        .map(|h| {
                            h.ports
                                .iter()
                                .map(|p| PortPoint {
                                    protocol: p.protocol,
                                    port: p.port,
                                    state: p.state,
                                    service: p.service.as_ref().map(ServiceId::of),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    extra_ports: h.map(extra_counts).unwrap_or_default(),
                    changes,
                });
                prev = h;
            }
            HostTimeline { addr, points }
        })
        .collect()
}

/// One line of a [`Change`] in plain words ("198.18.1.2 tcp/8080: closed -> open"), sanitised: for logs,
/// notifications and summaries that need no layout.
pub fn describe(host: &str, c: &Change) -> String {
    let host = sanitize(host);
    let opt = |s: Option<PortState>| s.map(|s| s.to_string()).unwrap_or_else(|| "unknown".into());
    let svc = |s: &Option<ServiceId>| match s {
        None => "none".to_owned(),
        Some(s) => {
            let mut parts = vec![sanitize(&s.name).into_owned()];
            for v in [&s.product, &s.version].into_iter().flatten() {
                parts.push(sanitize(v).into_owned());
            }
            if let Some(e) = &s.extra_info {
                parts.push(format!("({})", sanitize(e)));
            }
            parts.join(" ")
        }
    };
    let list = |v: &[String]| v.iter().map(|s| sanitize(s).into_owned()).collect::<Vec<_>>().join(", ");
    match c {
        Change::HostAppeared { state } => format!("{host}: new host ({})", state.as_str()),
        Change::HostDisappeared { state } => format!("{host}: host gone (was {})", state.as_str()),
        Change::HostState { from, to } => format!("{host}: host {} -> {}", from.as_str(), to.as_str()),
        Change::Addresses { removed, added } => format!(
            "{host}: addresses -[{}] +[{}]",
            removed.iter().map(|a| sanitize(&a.addr).into_owned()).collect::<Vec<_>>().join(", "),
            added.iter().map(|a| sanitize(&a.addr).into_owned()).collect::<Vec<_>>().join(", ")
        ),
        Change::Hostnames { removed, added } => {
            format!("{host}: hostnames -[{}] +[{}]", list(removed), list(added))
        }
        Change::ExtraPorts { from, to } => {
            let f = |v: &[StateCount]| v.iter().map(|s| format!("{} {}", s.count, s.state)).collect::<Vec<_>>().join(", ");
            format!("{host}: not shown [{}] -> [{}]", f(from), f(to))
        }
        Change::PortState { protocol, port, from, to } => {
            format!("{host} {protocol}/{port}: {} -> {}", opt(*from), opt(*to))
        }
        Change::Service { protocol, port, from, to } => {
            format!("{host} {protocol}/{port}: service {} -> {}", svc(from), svc(to))
        }
        Change::Script { protocol, port, id, from, to } => {
            let at = match (protocol, port) {
                (Some(pr), Some(p)) => format!(" {pr}/{p}"),
                _ => " host".to_owned(),
            };
            let what = match (from, to) {
                (None, Some(_)) => "added",
                (Some(_), None) => "removed",
                _ => "changed",
            };
            format!("{host}{at}: script {} {what}", sanitize(id))
        }
        Change::Os { from, to } => format!("{host}: OS [{}] -> [{}]", list(from), list(to)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portolan_model::report::{ExtraPorts, ExtraReason};
    use portolan_model::{HostStatus, Reason};

    fn host(ports: &[(u16, PortState)], extra: Option<(PortState, u32, Option<&str>)>) -> HostReport {
        let mut h = HostReport::new(
            "198.18.0.2".parse().unwrap(),
            HostStatus { state: HostState::Up, reason: Reason::new("syn-ack"), reason_ttl: 0 },
        );
        for &(port, state) in ports {
            h.ports.push(PortReport {
                protocol: Protocol::Tcp,
                port,
                state,
                reason: Reason::new("syn-ack"),
                reason_ttl: 0,
                service: Some(Service::from_table("http")),
                scripts: Vec::new(),
            });
        }
        if let Some((state, count, list)) = extra {
            h.extra_ports.push(ExtraPorts {
                state,
                count,
                reasons: vec![ExtraReason {
                    reason: Reason::new("conn-refused"),
                    count,
                    protocol: Some(Protocol::Tcp),
                    ports: list.map(str::to_owned),
                }],
            });
        }
        h
    }

    #[test]
    fn a_port_summarised_in_the_same_state_is_no_change() {
        let a = host(&[(80, PortState::Open), (22, PortState::Closed)], Some((PortState::Closed, 98, None)));
        let b = host(&[(80, PortState::Open)], Some((PortState::Closed, 99, None)));
        let c = host_changes(Some(&a), Some(&b));
        assert!(!c.iter().any(|c| matches!(c, Change::PortState { .. } | Change::Service { .. })), "{c:?}");
        // The summary counts changed, and that is reported.
        assert!(c.iter().any(|c| matches!(c, Change::ExtraPorts { .. })), "{c:?}");
    }

    #[test]
    fn a_port_leaving_a_summary_keeps_its_summarised_state() {
        let a = host(&[], Some((PortState::Closed, 100, Some("1-100"))));
        let b = host(&[(80, PortState::Open)], Some((PortState::Closed, 99, Some("1-79,81-100"))));
        let c = host_changes(Some(&a), Some(&b));
        assert!(c.contains(&Change::PortState {
            protocol: Protocol::Tcp,
            port: 80,
            from: Some(PortState::Closed),
            to: Some(PortState::Open)
        }));
        assert!(c.iter().any(|c| matches!(c, Change::Service { port: 80, from: None, to: Some(_), .. })), "{c:?}");
        // Two summaries without port lists: the state of an unlisted port is unknown.
        let mut two = host(&[], Some((PortState::Closed, 50, None)));
        two.extra_ports.push(ExtraPorts { state: PortState::Filtered, count: 50, reasons: Vec::new() });
        assert_eq!(summarised_state(&two, Protocol::Tcp, 80), None);
    }

    #[test]
    fn selectors_and_port_lists() {
        let net: HostSelector = "198.18.1.0/24".parse().unwrap();
        assert!(net.matches("198.18.1.77".parse().unwrap()));
        assert!(!net.matches("198.18.2.1".parse().unwrap()));
        assert!(!net.matches("::1".parse().unwrap()));
        let v6: HostSelector = "2001:db8::/32".parse().unwrap();
        assert!(v6.matches("2001:db8:1::5".parse().unwrap()));
        assert!("198.18.0.0/33".parse::<HostSelector>().is_err());
        assert!("nope".parse::<HostSelector>().is_err());
        assert!(port_list_contains("1-21,23,80-90", 85));
        assert!(!port_list_contains("1-21,23,80-90", 22));
        assert!(!port_list_contains("x-y,,", 1));
    }

    #[test]
    fn describe_sanitises() {
        let c = Change::Script {
            protocol: Some(Protocol::Tcp),
            port: Some(80),
            id: "x\u{1b}[31m".into(),
            from: None,
            to: Some("y".into()),
        };
        let s = describe("198.18.0.2", &c);
        assert_eq!(s, "198.18.0.2 tcp/80: script x\\x1b[31m added");
    }
}

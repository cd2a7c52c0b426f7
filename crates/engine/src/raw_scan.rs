//! Host groups through the raw-packet engine: which techniques a run may use, routes and captures per
//! interface, raw host discovery (ARP / neighbour discovery on the local link, ICMP and TCP pings beyond it)
//! and the raw port scans, turned into events.

use crate::connect::Cancel;
use crate::raw::codec::{Shaping, WireCodec};
use crate::raw::{self, Probe, RawConfig, RawFact, RawHost, Work, classify};
use portolan_model::plan::EffectiveTiming;
use portolan_model::{DiscoveryMode, Protocol, ScanPlan, ScanType};
use portolan_netio::{LiveConfig, LiveIo, NetError, Route, RouteOverrides};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// How a run scans, decided once from the plan and the process's privileges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Techniques {
    /// Raw packets are available and used (discovery and the raw scan types).
    pub raw: bool,
    /// The scan types to run, in Nmap's order; the default filled in.
    pub scan_types: Vec<ScanType>,
    /// Said to the user before the scan starts (fallbacks).
    pub notices: Vec<String>,
}

impl Techniques {
    /// The unprivileged techniques: connect scan and connect discovery.
    pub fn connect_only() -> Techniques {
        Techniques { raw: false, scan_types: vec![ScanType::Connect], notices: Vec::new() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TechniqueError {
    #[error(
        "{0} needs raw-packet privileges, which this process lacks ({1}). {2}"
    )]
    NeedsPrivileges(String, String, String),
}

fn is_tcp_raw(t: ScanType) -> bool {
    classify::tcp_flags(t).is_some()
}

/// Decides the techniques: SYN scan and raw discovery with privileges, connect scan without (as Nmap
/// does). A raw TCP scan asked for without privileges falls back to the connect scan with a notice; scans
/// that have no unprivileged form (UDP, SCTP, IP protocol) are an error that says how to get privileges.
pub fn choose_techniques(plan: &ScanPlan) -> Result<Techniques, TechniqueError> {
    let privs = portolan_netio::raw_privileges();
    match plan.privileged {
        // --privileged: the user vouches for raw access (e.g. capabilities this check cannot see).
        Some(true) => choose_with(plan, true, ""),
        Some(false) => choose_with(plan, false, "--unprivileged was given"),
        None => choose_with(plan, privs.can_raw(), &privs.missing().unwrap_or_default()),
    }
}

pub fn choose_with(plan: &ScanPlan, can_raw: bool, why_not: &str) -> Result<Techniques, TechniqueError> {
    let no_ports = matches!(plan.discovery, DiscoveryMode::DiscoveryOnly | DiscoveryMode::ListOnly);
    let mut notices = Vec::new();
    let mut types: Vec<ScanType> = if plan.scan_types.is_empty() && !no_ports {
        vec![if can_raw { ScanType::Syn } else { ScanType::Connect }]
    } else {
        plan.scan_types.clone()
    };
    if !can_raw {
        if plan.os_detection {
            return Err(TechniqueError::NeedsPrivileges(
                "-O (OS detection)".into(),
                why_not.to_owned(),
                portolan_netio::privilege::fix_hint(),
            ));
        }
        if let Some(t) = types.iter().copied().find(|t| matches!(t, ScanType::Udp | ScanType::SctpInit | ScanType::SctpCookieEcho | ScanType::IpProtocol)) {
            return Err(TechniqueError::NeedsPrivileges(
                format!("-s{}", t.letter()),
                why_not.to_owned(),
                portolan_netio::privilege::fix_hint(),
            ));
        }
        if let Some(t) = types.iter().copied().find(|t| is_tcp_raw(*t)) {
            notices.push(format!(
                "-s{} needs raw-packet privileges ({why_not}); falling back to a connect scan (-sT). {}",
                t.letter(),
                portolan_netio::privilege::fix_hint()
            ));
            types.retain(|t| !is_tcp_raw(*t));
            if !types.contains(&ScanType::Connect) {
                types.insert(0, ScanType::Connect);
            }
        }
    }
    if let Some(n) = spoof_mac_note(plan) {
        notices.push(n);
    }
    Ok(Techniques { raw: can_raw && plan.discovery != DiscoveryMode::ListOnly, scan_types: types, notices })
}

/// Per target: how to reach it, or why it cannot be reached. One snapshot of the machine's interfaces,
/// routes and neighbours serves every target (a sweep of a /16 resolves 65,536 routes).
pub fn routes(targets: &[IpAddr], plan: &ScanPlan) -> (Option<portolan_netio::Machine>, Vec<Result<Route, NetError>>) {
    let ov = RouteOverrides { interface: plan.interface.clone(), source: plan.evasion.source_addr };
    match portolan_netio::Machine::snapshot() {
        Ok(m) => {
            let r = targets.iter().map(|ip| m.route_to(*ip, &ov)).collect();
            (Some(m), r)
        }
        Err(e) => {
            let msg = e.to_string();
            (None, targets.iter().map(|_| Err(NetError::Other(msg.clone()))).collect())
        }
    }
}

/// Raw hosts, grouped by the interface their route leaves through (one capture each).
pub fn by_interface(
    machine: Option<&portolan_netio::Machine>,
    targets: &[IpAddr],
    routes: &[Result<Route, NetError>],
) -> BTreeMap<String, Vec<(usize, RawHost, bool)>> {
    let mut out: BTreeMap<String, Vec<(usize, RawHost, bool)>> = BTreeMap::new();
    for (i, (ip, r)) in targets.iter().zip(routes).enumerate() {
        let Ok(r) = r else { continue };
        let hop = r.next_hop(*ip);
        let on_link_ethernet = r.direct && !r.interface.loopback && r.interface.mac.is_some();
        let next_hop_mac = if r.interface.loopback {
            Some([0; 6])
        } else {
            machine.and_then(|m| m.neighbour_mac(hop, Some(&r.interface.name)))
        };
        out.entry(r.interface.name.clone()).or_default().push((
            i,
            RawHost { ip: *ip, src: r.source, src_mac: r.interface.mac, next_hop_mac, rtt_hint: None },
            on_link_ethernet,
        ));
    }
    out
}

/// Nmap's default discovery probes for a privileged run, or the ones the user chose.
pub fn discovery_probes(plan: &ScanPlan, on_link_ethernet: bool, v6: bool) -> Vec<Probe> {
    if on_link_ethernet && !plan.disable_arp_ping && plan.send_eth != Some(false) {
        // On the local link a neighbour request is both the fastest and the most reliable test, and Nmap
        // uses it whatever other probes were asked for.
        return vec![Probe::Neighbour];
    }
    let d = &plan.discovery_probes;
    let mut explicit: Vec<Probe> =
        plan.discovery_tcp_ports.iter().map(|&port| Probe::Tcp { port, flags: classify::SYN }).collect();
    explicit.extend(d.tcp_ack.iter().map(|&port| Probe::Tcp { port, flags: classify::ACK }));
    explicit.extend(d.udp.iter().map(|&port| Probe::Udp { port }));
    explicit.extend(d.sctp.iter().map(|&port| Probe::SctpInit { port }));
    if d.icmp_echo {
        explicit.push(Probe::IcmpEcho);
    }
    if d.icmp_timestamp && !v6 {
        explicit.push(Probe::IcmpTimestamp);
    }
    if d.icmp_mask && !v6 {
        explicit.push(Probe::IcmpAddressMask);
    }
    explicit.extend(d.ip_proto.iter().map(|&proto| Probe::IpProto { proto }));
    if d.arp && on_link_ethernet {
        explicit.push(Probe::Neighbour);
    }
    if !explicit.is_empty() {
        return explicit;
    }
    let mut p = vec![
        Probe::IcmpEcho,
        Probe::Tcp { port: 443, flags: classify::SYN },
        Probe::Tcp { port: 80, flags: classify::ACK },
    ];
    if !v6 {
        p.push(Probe::IcmpTimestamp);
    }
    p
}

/// The probes of one scan type over its ports.
pub fn scan_probes(
    t: ScanType,
    tcp: &[u16],
    udp: &[u16],
    sctp: &[u16],
    protocols: &[u8],
    scan_flags: Option<u8>,
) -> Vec<Probe> {
    match t {
        ScanType::IpProtocol => protocols.iter().map(|&proto| Probe::IpProto { proto }).collect(),
        ScanType::Udp => udp.iter().map(|&port| Probe::Udp { port }).collect(),
        ScanType::SctpInit => sctp.iter().map(|&port| Probe::SctpInit { port }).collect(),
        ScanType::SctpCookieEcho => sctp.iter().map(|&port| Probe::SctpCookieEcho { port }).collect(),
        t => match classify::tcp_flags(t) {
            Some(f) => {
                let flags = scan_flags.unwrap_or(f);
                tcp.iter().map(|&port| Probe::Tcp { port, flags }).collect()
            }
            None => Vec::new(),
        },
    }
}

/// Nmap's phase name for progress lines.
pub fn phase_name(t: ScanType) -> &'static str {
    match t {
        ScanType::Syn => "SYN Stealth Scan",
        ScanType::Ack => "ACK Scan",
        ScanType::Window => "Window Scan",
        ScanType::Maimon => "Maimon Scan",
        ScanType::Null => "NULL Scan",
        ScanType::Fin => "FIN Scan",
        ScanType::Xmas => "XMAS Scan",
        ScanType::Udp => "UDP Scan",
        ScanType::SctpInit => "SCTP INIT Scan",
        ScanType::SctpCookieEcho => "SCTP COOKIE-ECHO Scan",
        ScanType::IpProtocol => "IPProto Scan",
        ScanType::Connect => "Connect Scan",
    }
}

/// The probe-shaping options of the plan (`-g`, `--ttl`, `--data*`, `--badsum`, `--ip-options`, `-f`,
/// `--mtu`, `-D`) and the UDP payloads.
pub fn shaping(plan: &ScanPlan, udp_payloads: &std::collections::HashMap<u16, Vec<u8>>) -> Shaping {
    let e = &plan.evasion;
    let data = match e.data_length {
        Some(n) => (0..n).map(|_| rand::random::<u8>()).collect(),
        None => e.data.clone(),
    };
    let mut decoys: Vec<Option<IpAddr>> = Vec::new();
    for d in &e.decoys {
        match d.as_str() {
            "ME" => decoys.push(None),
            rnd if rnd == "RND" || rnd.starts_with("RND:") => {
                let n: usize = rnd.strip_prefix("RND:").and_then(|n| n.parse().ok()).unwrap_or(1);
                for _ in 0..n.min(128) {
                    decoys.push(Some(IpAddr::V4(crate::targets::random_public_ipv4(&mut rand::rng()))));
                }
            }
            other => {
                if let Ok(ip) = other.parse::<IpAddr>() {
                    decoys.push(Some(ip));
                }
            }
        }
    }
    if !decoys.is_empty() && !decoys.contains(&None) {
        // Without ME, the real probe takes a random place among the decoys, as in Nmap.
        let at = rand::random::<u64>() as usize % (decoys.len() + 1);
        decoys.insert(at, None);
    }
    let spoof_mac = e.spoof_mac.as_deref().map(spoof_mac);
    Shaping {
        send_eth: plan.send_eth == Some(true) || spoof_mac.is_some(),
        spoof_mac,
        source_port: e.source_port,
        ttl: e.ttl,
        data,
        bad_checksum: e.badsum,
        udp_payloads: udp_payloads.clone(),
        ip_options: e.ip_options_bytes.clone(),
        fragment_mtu: e.fragment_mtu,
        decoys,
    }
}

/// `--spoof-mac`: `0` for a random address, a MAC or a prefix of one in hex (the rest drawn at random). A
/// vendor name needs the MAC vendor database, which Portolan does not ship yet: it gets a random address
/// too, and [`spoof_mac_note`] says so.
pub fn spoof_mac(spec: &str) -> [u8; 6] {
    let mut mac: [u8; 6] = rand::random();
    let hex: String = spec.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    let given = spec.chars().all(|c| c.is_ascii_hexdigit() || ":-.".contains(c)) && spec != "0";
    if given {
        for (i, pair) in hex.as_bytes().chunks(2).take(6).enumerate() {
            if let Ok(b) = u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("0"), 16) {
                mac[i] = b;
            }
        }
    } else {
        // A random address must still be a unicast one.
        mac[0] &= 0xfe;
    }
    mac
}

/// The notice owed for a `--spoof-mac` value that names a vendor.
pub fn spoof_mac_note(plan: &ScanPlan) -> Option<String> {
    let spec = plan.evasion.spoof_mac.as_deref()?;
    let named = !(spec.chars().all(|c| c.is_ascii_hexdigit() || ":-.".contains(c)));
    named.then(|| {
        format!("--spoof-mac {spec}: there is no MAC vendor database yet, so a random address is used instead")
    })
}

/// Everything one raw run needs besides the hosts and probes.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub interface: String,
    pub loopback: bool,
    pub work: Work,
    pub randomize: bool,
    pub timing: EffectiveTiming,
    pub trace: bool,
    pub shaping: Shaping,
    /// Capture frames not addressed to us too (replies to a spoofed MAC).
    pub promisc: bool,
}

/// Runs the scheduler on its own thread and hands every fact to `on_fact` as it comes.
pub async fn run(
    spec: RunSpec,
    hosts: Vec<RawHost>,
    probes: Vec<Probe>,
    cancel: Cancel,
    mut on_fact: impl FnMut(RawFact),
) -> Result<raw::RawStats, NetError> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = tokio::task::spawn_blocking(move || {
        let filter = crate::raw::codec::capture_filter(&hosts);
        let mut cfg = LiveConfig::new(spec.interface.clone(), filter);
        // On loopback our probes and the replies travel the same device; elsewhere only what arrives matters.
        cfg.incoming_only = !spec.loopback;
        cfg.promisc = spec.promisc;
        let mut io = LiveIo::open(cfg)?;
        if probes.contains(&Probe::Neighbour) {
            io.open_frame_sender()?;
        }
        let mut codec = WireCodec::new(io.link_type(), &probes, &hosts, spec.shaping.clone());
        let rc = RawConfig { timing: spec.timing.clone(), progress_every: Duration::from_secs(1), trace: spec.trace };
        raw::run(&mut io, &mut codec, &hosts, &probes, spec.work, spec.randomize, &rc, &cancel, &mut |f| {
            let _ = tx.send(f);
        })
    });
    while let Some(f) = rx.recv().await {
        on_fact(f);
    }
    handle.await.map_err(|e| NetError::Other(format!("raw scan thread: {e}")))?
}

/// Traces `targets` (all leaving through `interface`) on a thread of their own.
pub async fn run_trace(
    interface: String,
    loopback: bool,
    targets: Vec<crate::raw::trace::TraceTarget>,
    timeout: Duration,
    cancel: Cancel,
) -> Result<Vec<crate::raw::trace::TraceResult>, NetError> {
    tokio::task::spawn_blocking(move || {
        let mut srcs: Vec<String> = targets.iter().map(|t| t.src.to_string()).collect();
        srcs.sort();
        srcs.dedup();
        let filter = srcs.iter().map(|s| format!("dst host {s}")).collect::<Vec<_>>().join(" or ");
        let mut cfg = LiveConfig::new(interface, filter);
        cfg.incoming_only = !loopback;
        let mut io = LiveIo::open(cfg)?;
        let link = io.link_type();
        crate::raw::trace::trace(&mut io, link, &targets, timeout, &cancel)
    })
    .await
    .map_err(|e| NetError::Other(format!("traceroute thread: {e}")))?
}

/// Nmap writes MAC addresses in upper case with colons.
pub fn mac_string(m: [u8; 6]) -> String {
    m.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

pub fn protocol_of(t: ScanType) -> Protocol {
    match t {
        ScanType::Udp => Protocol::Udp,
        ScanType::SctpInit | ScanType::SctpCookieEcho => Protocol::Sctp,
        ScanType::IpProtocol => Protocol::Ip,
        _ => Protocol::Tcp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileges_decide_the_default_and_the_fallbacks() {
        let plan = ScanPlan::new();
        let t = choose_with(&plan, true, "").unwrap();
        assert!(t.raw);
        assert_eq!(t.scan_types, vec![ScanType::Syn]);
        let t = choose_with(&plan, false, "no CAP_NET_RAW").unwrap();
        assert!(!t.raw);
        assert_eq!(t.scan_types, vec![ScanType::Connect]);
        assert!(t.notices.is_empty(), "the default falls back silently, as Nmap's does");
        let syn = ScanPlan { scan_types: vec![ScanType::Syn], ..ScanPlan::new() };
        let t = choose_with(&syn, false, "no CAP_NET_RAW").unwrap();
        assert_eq!(t.scan_types, vec![ScanType::Connect]);
        assert!(t.notices[0].contains("falling back to a connect scan"), "{:?}", t.notices);
        let os = ScanPlan { os_detection: true, ..ScanPlan::new() };
        let e = choose_with(&os, false, "no CAP_NET_RAW").unwrap_err().to_string();
        assert!(e.contains("-O (OS detection) needs raw-packet privileges") && e.contains("setcap"), "{e}");
        assert!(choose_with(&os, true, "").is_ok());
        let udp = ScanPlan { scan_types: vec![ScanType::Udp], ..ScanPlan::new() };
        let e = choose_with(&udp, false, "no CAP_NET_RAW").unwrap_err().to_string();
        assert!(e.contains("-sU needs raw-packet privileges") && e.contains("setcap"), "{e}");
    }
}

//! One scan from plan to events: targets in host groups -> discovery -> connect scan -> reverse DNS.

use crate::connect::{self, Cancel, Fact, HostCtx, Mode, SchedConfig};
use crate::raw::trace::{TraceProbe, TraceTarget};
use crate::raw::{RawFact, RawHost, Work};
use crate::raw_scan::{self, RunSpec, Techniques};
use crate::dns::Dns;
use crate::source::{SourceError, Target, TargetSource};
use portolan_model::{
    DiscoveryMode, DnsMode, EventBody, HostState, HostStatus, Hostname, HostnameKind, PortState, Protocol, Reason, ScanPlan,
    Service, Times,
};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;

/// Looks up the service name of a port (the services table).
/// The final state of each port of one host, as the port scan reported it.
type PortStates = BTreeMap<(Protocol, u16), PortState>;

pub type ServiceNamer = Arc<dyn Fn(u16, Protocol) -> Option<String> + Send + Sync>;

/// What the engine needs besides the plan: its targets (built, and so checked, before the scan starts), the
/// resolved TCP port list and the services table.
pub struct EngineInput {
    pub plan: ScanPlan,
    /// From [`TargetSource::from_plan`] of the same plan.
    pub targets: TargetSource,
    /// TCP ports to scan, ascending; empty with `-sn`/`-sL`.
    pub tcp_ports: Vec<u16>,
    /// UDP and SCTP ports, ascending, for `-sU` and `-sY`/`-sZ`.
    pub udp_ports: Vec<u16>,
    pub sctp_ports: Vec<u16>,
    /// IP protocol numbers for `-sO`.
    pub ip_protocols: Vec<u8>,
    /// From [`crate::raw_scan::choose_techniques`] of the same plan.
    pub techniques: Techniques,
    /// UDP probe payloads by port (`-sU`, `-PU`), from the payload database.
    pub udp_payloads: std::collections::HashMap<u16, Vec<u8>>,
    pub service_name: ServiceNamer,
    /// The probe database for `-sV` (`None` without it).
    pub version_db: Option<crate::service::SharedProbeDb>,
    /// The OS database for `-O` (`None` without it).
    pub os_db: Option<Arc<portolan_fingerprint::os::OsDb>>,
}

impl std::fmt::Debug for EngineInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineInput").field("plan", &self.plan).field("tcp_ports", &self.tcp_ports.len()).finish()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub hosts_up: u32,
    pub hosts_down: u32,
    pub hosts_total: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Targets(#[from] SourceError),
    #[error("raw-packet scan on {interface}: {error}")]
    Net { interface: String, error: portolan_netio::NetError },
}

/// Raises the soft open-files limit to the hard limit and returns how many sockets the scan may hold, leaving
/// room for files, pipes and the resolver. Nmap's connect scan is bounded the same way.
pub fn socket_budget() -> usize {
    let soft = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    (soft.saturating_sub(64)).clamp(16, 1 << 20) as usize
}

const DEFAULT_DISCOVERY_PORTS: [u16; 2] = [80, 443];

/// Runs the scan, sending every fact to `tx` as it is established.
pub async fn run(input: EngineInput, tx: UnboundedSender<EventBody>, cancel: Cancel) -> Result<Summary, EngineError> {
    let plan = &input.plan;
    let timing = plan.timing.effective();
    let mut source = input.targets;
    // -sV probes the ports each host showed open (or open|filtered, UDP), so they are noted as they pass.
    let open_seen: std::sync::Mutex<HashMap<IpAddr, PortStates>> = Default::default();
    let send = |b: EventBody| {
        if (plan.service_detection || plan.os_detection)
            && let EventBody::Port { addr, protocol, port, state, .. } = &b
        {
            let mut seen = open_seen.lock().unwrap_or_else(|p| p.into_inner());
            seen.entry(*addr).or_default().insert((*protocol, *port), *state);
        }
        // A closed receiver means nobody listens any more (the session ended); the scan just finishes.
        let _ = tx.send(b);
    };
    let mut warn = |m: String| send(EventBody::Warning { message: m });
    let dns = Dns::system(plan.ipv6);
    source.resolve_exclusions(&dns, &mut warn).await;

    let cfg = SchedConfig {
        timing: timing.clone(),
        socket_cap: socket_budget(),
        interface: plan.interface.clone(),
        progress_every: Duration::from_secs(1),
        trace: plan.packet_trace,
    };
    // A ping scan has no per-host port work, so bigger groups keep the wire busy (Nmap does the same).
    let default_group = if input.techniques.raw && plan.discovery == DiscoveryMode::DiscoveryOnly { 4096 } else { 256 };
    let group_size = plan
        .timing
        .max_hostgroup
        .map_or(default_group, |m| m as usize)
        .max(plan.timing.min_hostgroup.unwrap_or(1) as usize)
        .max(1);
    let discovery_ports: Vec<u16> = if plan.discovery_tcp_ports.is_empty() {
        DEFAULT_DISCOVERY_PORTS.to_vec()
    } else {
        plan.discovery_tcp_ports.clone()
    };

    let mut summary = Summary::default();
    let mut open_ports: u64 = 0;
    loop {
        if cancel.is_cancelled() {
            break;
        }
        let group = source.next_group(group_size, &dns, &mut warn).await;
        if group.is_empty() {
            break;
        }
        summary.hosts_total += group.len() as u32;
        let mut hosts: Vec<HostCtx> = group.iter().map(|t| HostCtx::new(t.ip, &timing)).collect();
        let user_names = |t: &Target| -> Vec<Hostname> {
            t.user_name.iter().map(|n| Hostname { name: n.clone(), kind: HostnameKind::User }).collect()
        };

        if plan.discovery == DiscoveryMode::ListOnly {
            let names = reverse_all(&dns, plan.dns, &group).await;
            for (t, ptr) in group.iter().zip(names) {
                let mut hostnames = user_names(t);
                hostnames.extend(ptr.map(|n| Hostname { name: n, kind: HostnameKind::Ptr }));
                send(EventBody::HostStatus {
                    addr: t.ip,
                    status: HostStatus { state: HostState::Unknown, reason: Reason::new(Reason::USER_SET), reason_ttl: 0 },
                    latency: None,
                    hostnames,
                });
                send(EventBody::HostFinished { addr: t.ip, times: None, timed_out: false });
            }
            continue;
        }

        // Discovery.
        let mut up = vec![false; group.len()];
        // What each host answered best, for --traceroute: the probe, and the reply TTL (distance guess).
        let mut trace_hints: std::collections::HashMap<IpAddr, (TraceProbe, Option<u8>, u8)> = Default::default();
        // Round trips measured by discovery seed the port scan's timeouts.
        let mut rtt_hints: std::collections::HashMap<IpAddr, Duration> = Default::default();
        let mut mac_hints: std::collections::HashMap<IpAddr, [u8; 6]> = Default::default();
        if plan.discovery == DiscoveryMode::SkipDiscovery {
            up.iter_mut().for_each(|u| *u = true);
            for t in &group {
                send(EventBody::HostStatus {
                    addr: t.ip,
                    status: HostStatus { state: HostState::Up, reason: Reason::new(Reason::USER_SET), reason_ttl: 0 },
                    latency: None,
                    hostnames: user_names(t),
                });
            }
        } else if input.techniques.raw {
            let found = raw_discovery(plan, &group, &timing, &cancel, &input.udp_payloads, &mut |b| send(b)).await?;
            for (i, f) in found.into_iter().enumerate() {
                let t = &group[i];
                match f {
                    Some((reason, ttl, latency, mac)) => {
                        up[i] = true;
                        if let Some(l) = latency {
                            rtt_hints.insert(t.ip, l);
                        }
                        if reason == "echo-reply" {
                            trace_hints.insert(t.ip, (TraceProbe::IcmpEcho, Some(ttl), 0));
                        }
                        send(EventBody::HostStatus {
                            addr: t.ip,
                            status: HostStatus { state: HostState::Up, reason: Reason::new(reason), reason_ttl: ttl },
                            latency: latency.map(|l| l.as_secs_f64()),
                            hostnames: user_names(t),
                        });
                        if let Some(m) = mac {
                            mac_hints.insert(t.ip, m);
                            send(EventBody::MacAddress { addr: t.ip, mac: raw_scan::mac_string(m), vendor: None });
                        }
                    }
                    None => send(EventBody::HostStatus {
                        addr: t.ip,
                        status: HostStatus { state: HostState::Down, reason: Reason::new(Reason::NO_RESPONSE), reason_ttl: 0 },
                        latency: None,
                        hostnames: user_names(t),
                    }),
                }
            }
        } else {
            let mut facts = Vec::new();
            connect::run(&mut hosts, &discovery_ports, Mode::Discovery, false, &cfg, &cancel, &mut |f| facts.push(f)).await;
            // Report hosts in target order, as Nmap does, whatever order their replies came in.
            let host_of = |f: &Fact| match f {
                Fact::HostUp { host, .. } | Fact::HostDown { host, .. } => *host,
                _ => usize::MAX,
            };
            facts.sort_by_key(host_of);
            for f in facts {
                match f {
                    Fact::HostUp { host, reason, latency } => {
                        up[host] = true;
                        send(EventBody::HostStatus {
                            addr: group[host].ip,
                            status: HostStatus { state: HostState::Up, reason: Reason::new(reason), reason_ttl: 0 },
                            latency: Some(latency.as_secs_f64()),
                            hostnames: user_names(&group[host]),
                        });
                    }
                    Fact::HostDown { host, reason } => send(EventBody::HostStatus {
                        addr: group[host].ip,
                        status: HostStatus { state: HostState::Down, reason: Reason::new(reason), reason_ttl: 0 },
                        latency: None,
                        hostnames: user_names(&group[host]),
                    }),
                    Fact::Warning(m) => send(EventBody::Warning { message: m }),
                    Fact::Trace(line) => send(EventBody::Trace { line }),
                    _ => {}
                }
            }
        }
        let n_up = up.iter().filter(|u| **u).count() as u32;
        summary.hosts_up += n_up;
        summary.hosts_down += group.len() as u32 - n_up;

        // Reverse DNS runs while the ports are scanned.
        let wanted: Vec<Target> = group
            .iter()
            .zip(&up)
            .filter(|(_, u)| match plan.dns {
                DnsMode::Never => false,
                DnsMode::UpHosts => **u,
                DnsMode::Always => true,
            })
            .map(|(t, _)| t.clone())
            .collect();
        let dns2 = dns.clone();
        let rdns = tokio::spawn(async move {
            let names = reverse_all(&dns2, DnsMode::Always, &wanted).await;
            wanted.into_iter().map(|t| t.ip).zip(names).collect::<Vec<_>>()
        });

        let scan_ports = plan.discovery != DiscoveryMode::DiscoveryOnly;
        let up_idx: Vec<usize> = (0..group.len()).filter(|i| up[*i]).collect();
        let connect_scan = input.techniques.scan_types.contains(&portolan_model::ScanType::Connect) && !input.tcp_ports.is_empty();
        let raw_types: Vec<portolan_model::ScanType> = input
            .techniques
            .scan_types
            .iter()
            .copied()
            .filter(|t| *t != portolan_model::ScanType::Connect)
            .collect();
        let mut raw_times: std::collections::HashMap<IpAddr, (Option<Times>, bool)> = Default::default();
        if scan_ports && !up_idx.is_empty() && !raw_types.is_empty() {
            for &i in &up_idx {
                send(EventBody::HostScanStarted { addr: group[i].ip });
            }
            let ips: Vec<IpAddr> = up_idx.iter().map(|&i| group[i].ip).collect();
            for t in &raw_types {
                let probes = raw_scan::scan_probes(
                    *t,
                    &input.tcp_ports,
                    &input.udp_ports,
                    &input.sctp_ports,
                    &input.ip_protocols,
                    plan.scan_flags,
                );
                if probes.is_empty() {
                    continue;
                }
                let proto = raw_scan::protocol_of(*t);
                let namer = input.service_name.clone();
                let phase = raw_scan::phase_name(*t);
                let hosts_up = u64::from(summary.hosts_up);
                let open_ref = &mut open_ports;
                let times_ref = &mut raw_times;
                let hints_ref = &mut trace_hints;
                run_raw_groups(plan, &ips, Work::PortScan(*t), plan.randomize_ports, &timing, &cancel, probes, &input.udp_payloads, &rtt_hints, &mac_hints, &mut |ip, f| match f {
                    RawFact::Port { port, state, reason, ttl, .. } => {
                        if state == portolan_model::PortState::Open {
                            *open_ref += 1;
                        }
                        // A closed TCP port is the best traceroute probe (its RST leaves no half-open
                        // connection behind, and Nmap prefers it too), an open one the next best.
                        let rank = match (proto, state) {
                            (Protocol::Tcp, portolan_model::PortState::Closed) if reason == "reset" => 3,
                            (Protocol::Tcp, portolan_model::PortState::Open) if reason == "syn-ack" => 2,
                            _ => 0,
                        };
                        if rank > 0 && hints_ref.get(&ip).is_none_or(|h| h.2 < rank) {
                            hints_ref.insert(ip, (TraceProbe::TcpSyn(port), Some(ttl), rank));
                        }
                        let name = namer(port, proto).unwrap_or_else(|| "unknown".to_owned());
                        send(EventBody::Port {
                            addr: ip,
                            protocol: proto,
                            port,
                            state,
                            reason: Reason::new(reason),
                            reason_ttl: ttl,
                            service: Some(Service::from_table(&name)),
                        });
                    }
                    RawFact::HostTimedOut { .. } => times_ref.entry(ip).or_default().1 = true,
                    RawFact::HostDone { times, .. } => {
                        times_ref.entry(ip).or_default().0 = times.srtt.map(|s| Times {
                            srtt: s.as_micros() as u64,
                            rttvar: times.rttvar.as_micros() as u64,
                            timeout: times.timeout.as_micros() as u64,
                        });
                    }
                    RawFact::Progress { done, total } => send(EventBody::Progress {
                        phase: phase.into(),
                        done,
                        total,
                        hosts_up,
                        open_ports: *open_ref,
                        eta_secs: None,
                    }),
                    RawFact::Note(m) => {
                        if plan.verbosity > 0 || plan.debug > 0 {
                            send(EventBody::Warning { message: m })
                        }
                    }
                    RawFact::Warning(m) => send(EventBody::Warning { message: m }),
                    RawFact::Trace(line) => send(EventBody::Trace { line }),
                    RawFact::HostUp { .. } | RawFact::HostDown { .. } => {}
                })
                .await?;
            }
        }
        if scan_ports && connect_scan && !up_idx.is_empty() {
            let mut up_hosts: Vec<HostCtx> = Vec::with_capacity(up_idx.len());
            // Keep each host's RTT knowledge from discovery.
            let mut taken: Vec<Option<HostCtx>> = hosts.drain(..).map(Some).collect();
            for &i in &up_idx {
                if let Some(mut h) = taken[i].take() {
                    h.started = None;
                    up_hosts.push(h);
                }
            }
            if raw_types.is_empty() {
                for &i in &up_idx {
                    send(EventBody::HostScanStarted { addr: group[i].ip });
                }
            }
            let namer = input.service_name.clone();
            let mut emit = |f: Fact| match f {
                Fact::Port { host, port, state, reason } => {
                    if state == portolan_model::PortState::Open {
                        open_ports += 1;
                    }
                    let name = namer(port, Protocol::Tcp).unwrap_or_else(|| "unknown".to_owned());
                    send(EventBody::Port {
                        addr: group[up_idx[host]].ip,
                        protocol: Protocol::Tcp,
                        port,
                        state,
                        reason: Reason::new(reason),
                        reason_ttl: 0,
                        service: Some(Service::from_table(&name)),
                    });
                }
                // Reported through HostFinished { timed_out }, which the writers turn into Nmap's
                // "Skipping host ... due to host timeout".
                Fact::HostTimedOut { .. } => {}
                Fact::Warning(m) => send(EventBody::Warning { message: m }),
                Fact::Trace(line) => send(EventBody::Trace { line }),
                Fact::Progress { done, total } => send(EventBody::Progress {
                    phase: "Connect Scan".into(),
                    done,
                    total,
                    hosts_up: u64::from(summary.hosts_up),
                    open_ports,
                    eta_secs: None,
                }),
                // Host completion is reported below, in target order, once reverse DNS is in.
                Fact::HostUp { .. } | Fact::HostDown { .. } | Fact::HostDone { .. } => {}
            };
            connect::run(&mut up_hosts, &input.tcp_ports, Mode::PortScan, plan.randomize_ports, &cfg, &cancel, &mut emit)
                .await;
            hosts = up_hosts;
        } else {
            hosts = up_idx.iter().map(|&i| std::mem::replace(&mut hosts[i], HostCtx::new(group[i].ip, &timing))).collect();
        }

        if plan.traceroute && input.techniques.raw && !up_idx.is_empty() {
            let ips: Vec<IpAddr> = up_idx.iter().map(|&i| group[i].ip).collect();
            let (machine, routes) = raw_scan::routes(&ips, plan);
            for (iface, members) in raw_scan::by_interface(machine.as_ref(), &ips, &routes) {
                let loopback =
                    members.first().and_then(|m| routes[m.0].as_ref().ok()).is_some_and(|r| r.interface.loopback);
                let targets: Vec<TraceTarget> = members
                    .iter()
                    .map(|(k, h, _)| {
                        let (probe, ttl, _) = trace_hints.get(&h.ip).copied().unwrap_or((TraceProbe::IcmpEcho, None, 0));
                        TraceTarget {
                            ip: h.ip,
                            src: h.src,
                            probe,
                            distance_guess: ttl.and_then(crate::raw::trace::distance_from_ttl),
                            gateway: routes[*k].as_ref().ok().and_then(|r| r.gateway),
                        }
                    })
                    .collect();
                let timeout = timing.initial_rtt_timeout.clamp(Duration::from_millis(300), Duration::from_secs(1));
                match raw_scan::run_trace(iface.clone(), loopback, targets.clone(), timeout, cancel.clone()).await {
                    Ok(results) => {
                        for (t, r) in targets.iter().zip(results) {
                            let (port, protocol) = match t.probe {
                                TraceProbe::TcpSyn(p) => (Some(p), "tcp"),
                                TraceProbe::IcmpEcho => (None, if t.ip.is_ipv4() { "icmp" } else { "icmpv6" }),
                            };
                            let hops = r
                                .hops
                                .iter()
                                .map(|h| portolan_model::TraceHop {
                                    ttl: h.ttl,
                                    addr: Some(h.addr),
                                    rtt_ms: Some(h.rtt.as_secs_f64() * 1000.0),
                                    host: None,
                                })
                                .collect();
                            send(EventBody::Traceroute {
                                addr: t.ip,
                                trace: portolan_model::Trace { port, protocol: Some(protocol.into()), hops },
                            });
                        }
                    }
                    Err(e) => send(EventBody::Warning { message: format!("traceroute on {iface}: {e}") }),
                }
            }
        }

        // The port states of this group's hosts, for -sV and -O.
        let states: HashMap<IpAddr, PortStates> = {
            let mut seen = open_seen.lock().unwrap_or_else(|p| p.into_inner());
            hosts.iter().filter_map(|h| seen.remove(&h.ip).map(|m| (h.ip, m))).collect()
        };
        if let (true, Some(db)) = (plan.service_detection, input.version_db.as_ref()) {
            let targets: Vec<(IpAddr, Vec<(Protocol, u16)>)> = hosts
                .iter()
                .filter_map(|h| {
                    let ports: Vec<(Protocol, u16)> = states
                        .get(&h.ip)?
                        .iter()
                        .filter(|(_, st)| matches!(st, PortState::Open | PortState::OpenFiltered))
                        .map(|(k, _)| *k)
                        .collect();
                    (!ports.is_empty()).then_some((h.ip, ports))
                })
                .collect();
            if !targets.is_empty() && !cancel.is_cancelled() {
                version_scan(targets, db.clone(), plan, &input.service_name, &cancel, &send).await;
            }
        }
        if let (true, true, Some(db)) = (plan.os_detection, input.techniques.raw, input.os_db.as_ref()) {
            let ips: Vec<(IpAddr, Option<Duration>)> = hosts.iter().map(|h| (h.ip, h.rtt.srtt())).collect();
            if !ips.is_empty() && !cancel.is_cancelled() {
                os_scan(&ips, &states, db.clone(), plan, &cancel, &send).await;
            }
        }

        let names = rdns.await.unwrap_or_default();
        for (ip, name) in names {
            if let Some(n) = name {
                send(EventBody::Hostnames { addr: ip, hostnames: vec![Hostname { name: n, kind: HostnameKind::Ptr }] });
            }
        }
        for h in &hosts {
            let mut times = h.rtt.srtt().map(|s| Times {
                srtt: s.as_micros() as u64,
                rttvar: h.rtt.rttvar().as_micros() as u64,
                timeout: h.rtt.timeout().as_micros() as u64,
            });
            let mut timed_out = h.timed_out;
            if let Some((t, out)) = raw_times.get(&h.ip) {
                times = t.or(times);
                timed_out |= *out;
            }
            send(EventBody::HostFinished { addr: h.ip, times, timed_out });
        }
        // Down hosts are finished too, so every host in a stream has a HostFinished.
        for (i, t) in group.iter().enumerate() {
            if !up[i] {
                send(EventBody::HostFinished { addr: t.ip, times: None, timed_out: false });
            }
        }
    }
    Ok(summary)
}

/// Reverse lookups of many addresses at once (Nmap resolves in parallel too).
async fn reverse_all(dns: &Dns, mode: DnsMode, targets: &[Target]) -> Vec<Option<String>> {
    if mode == DnsMode::Never {
        return vec![None; targets.len()];
    }
    let mut set = JoinSet::new();
    // Bounded fan-out: enough to overlap latency, few enough not to flood a resolver.
    const MAX_PARALLEL: usize = 64;
    let mut out: Vec<Option<String>> = vec![None; targets.len()];
    let mut next = 0;
    while next < targets.len() || !set.is_empty() {
        while next < targets.len() && set.len() < MAX_PARALLEL {
            let d = dns.clone();
            let ip: IpAddr = targets[next].ip;
            let i = next;
            set.spawn(async move { (i, d.reverse(ip).await) });
            next += 1;
        }
        if let Some(Ok((i, name))) = set.join_next().await {
            out[i] = name;
        }
    }
    out
}

/// Runs raw probes against `ips`, one capture per outgoing interface, reporting each fact with its host's
/// address.
#[allow(clippy::too_many_arguments)]
async fn run_raw_groups(
    plan: &ScanPlan,
    ips: &[IpAddr],
    work: Work,
    randomize: bool,
    timing: &portolan_model::plan::EffectiveTiming,
    cancel: &Cancel,
    probes: Vec<crate::raw::Probe>,
    udp_payloads: &std::collections::HashMap<u16, Vec<u8>>,
    rtt_hints: &std::collections::HashMap<IpAddr, Duration>,
    mac_hints: &std::collections::HashMap<IpAddr, [u8; 6]>,
    on_fact: &mut (dyn FnMut(IpAddr, RawFact) + Send),
) -> Result<(), EngineError> {
    let (machine, routes) = raw_scan::routes(ips, plan);
    for (ip, r) in ips.iter().zip(&routes) {
        if let Err(e) = r {
            on_fact(*ip, RawFact::Warning(format!("no route to {ip}: {e}")));
        }
    }
    let shaping = raw_scan::shaping(plan, udp_payloads);
    for (iface, members) in raw_scan::by_interface(machine.as_ref(), ips, &routes) {
        let loopback = members.first().and_then(|m| routes[m.0].as_ref().ok()).is_some_and(|r| r.interface.loopback);
        let hosts: Vec<RawHost> = members
            .iter()
            .map(|m| RawHost {
                rtt_hint: rtt_hints.get(&m.1.ip).copied(),
                // On the local link, discovery's ARP reply gave the MAC the kernel may not know.
                next_hop_mac: m.1.next_hop_mac.or_else(|| mac_hints.get(&m.1.ip).copied().filter(|_| m.2)),
                ..m.1.clone()
            })
            .collect();
        let spec = RunSpec {
            interface: iface.clone(),
            loopback,
            work,
            randomize,
            timing: timing.clone(),
            trace: plan.packet_trace,
            shaping: shaping.clone(),
            promisc: shaping.spoof_mac.is_some(),
        };
        let idx: Vec<IpAddr> = hosts.iter().map(|h| h.ip).collect();
        raw_scan::run(spec, hosts, probes.clone(), cancel.clone(), |f| {
            let host = match &f {
                RawFact::Port { host, .. }
                | RawFact::HostUp { host, .. }
                | RawFact::HostDown { host }
                | RawFact::HostTimedOut { host }
                | RawFact::HostDone { host, .. } => Some(*host),
                _ => None,
            };
            let ip = host.and_then(|h| idx.get(h).copied()).unwrap_or(IpAddr::from([0u8; 4]));
            on_fact(ip, f)
        })
        .await
        .map_err(|error| EngineError::Net { interface: iface.clone(), error })?;
    }
    Ok(())
}

/// What raw discovery found for a host: reason, reply TTL, latency and MAC, or `None` when it is down.
type Found = Option<(&'static str, u8, Option<Duration>, Option<[u8; 6]>)>;

/// Raw host discovery of a group: this machine's own addresses are up without a probe (Nmap's
/// `localhost-response`); hosts on the local Ethernet are asked by ARP or neighbour discovery; the others get
/// the ICMP and TCP pings.
async fn raw_discovery(
    plan: &ScanPlan,
    group: &[Target],
    timing: &portolan_model::plan::EffectiveTiming,
    cancel: &Cancel,
    udp_payloads: &std::collections::HashMap<u16, Vec<u8>>,
    send: &mut (dyn FnMut(EventBody) + Send),
) -> Result<Vec<Found>, EngineError> {
    let mut found: Vec<Found> = vec![None; group.len()];
    let ips: Vec<IpAddr> = group.iter().map(|t| t.ip).collect();
    let (_machine, routes) = raw_scan::routes(&ips, plan);
    let mut by_ip: std::collections::HashMap<IpAddr, Vec<usize>> = Default::default();
    for (i, ip) in ips.iter().enumerate() {
        by_ip.entry(*ip).or_default().push(i);
    }
    let mut pending: Vec<(IpAddr, bool)> = Vec::new();
    for (i, (ip, r)) in ips.iter().zip(&routes).enumerate() {
        match r {
            Err(e) => send(EventBody::Warning { message: format!("no route to {ip}: {e}") }),
            Ok(r) if r.interface.loopback || r.interface.has_addr(*ip) || connect::is_own_address(*ip) => {
                found[i] = Some((Reason::LOCALHOST_RESPONSE, 0, None, None));
            }
            Ok(r) => pending.push((*ip, r.direct && !r.interface.loopback && r.interface.mac.is_some())),
        }
    }
    for on_link in [true, false] {
        let ips: Vec<IpAddr> = pending.iter().filter(|p| p.1 == on_link).map(|p| p.0).collect();
        if ips.is_empty() {
            continue;
        }
        let v6 = ips.first().is_some_and(|ip| ip.is_ipv6());
        let probes = raw_scan::discovery_probes(plan, on_link, v6);
        let mut facts: Vec<(IpAddr, RawFact)> = Vec::new();
        let no_hints = std::collections::HashMap::new();
        run_raw_groups(plan, &ips, Work::Discovery, false, timing, cancel, probes, udp_payloads, &no_hints, &Default::default(), &mut |ip, f| {
            facts.push((ip, f))
        })
        .await?;
        for (ip, f) in facts {
            match f {
                RawFact::HostUp { reason, ttl, latency, mac, .. } => {
                    for &i in by_ip.get(&ip).into_iter().flatten() {
                        found[i] = Some((reason, ttl, Some(latency), mac.filter(|_| on_link)));
                    }
                }
                RawFact::Warning(m) => send(EventBody::Warning { message: m }),
                RawFact::Trace(line) => send(EventBody::Trace { line }),
                _ => {}
            }
        }
    }
    Ok(found)
}

/// `-sV` over the open ports of one host group: each result replaces the port's table-named service; an
/// `open|filtered` UDP port that answered a probe becomes open, as in Nmap. Stops early when cancelled.
async fn version_scan(
    targets: Vec<(IpAddr, Vec<(Protocol, u16)>)>,
    db: crate::service::SharedProbeDb,
    plan: &portolan_model::ScanPlan,
    namer: &ServiceNamer,
    cancel: &Cancel,
    send: &impl Fn(EventBody),
) {
    use crate::service::{Outcome, VersionOptions};
    let opts = VersionOptions {
        intensity: plan.version.intensity.unwrap_or(portolan_fingerprint::probes::DEFAULT_INTENSITY),
        all_ports: plan.version.all_ports,
        trace: plan.version.trace,
        scanner_version: env!("CARGO_PKG_VERSION").to_owned(),
        ..VersionOptions::default()
    };
    let on_result = |pv: crate::service::PortVersion| {
        for line in &pv.trace {
            send(EventBody::Trace { line: line.clone() });
        }
        if pv.protocol == Protocol::Udp && pv.responded {
            send(EventBody::Port {
                addr: pv.ip,
                protocol: pv.protocol,
                port: pv.port,
                state: PortState::Open,
                reason: Reason::new("udp-response"),
                reason_ttl: 0,
                service: None,
            });
        }
        if matches!(pv.outcome, Outcome::NoAnswer | Outcome::Excluded) {
            return;
        }
        let table = namer(pv.port, pv.protocol).map(|n| Service::from_table(&n));
        if let Some(service) = pv.outcome.to_service(table) {
            send(EventBody::ServiceDetected { addr: pv.ip, protocol: pv.protocol, port: pv.port, service });
        }
    };
    let cancelled = async {
        while !cancel.is_cancelled() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::select! {
        _ = crate::service::detect(targets, db, opts, on_result) => {}
        _ = cancelled => {}
    }
}

/// How many hosts OS detection probes at once (each has its own capture and up to 16 probes in flight).
const OS_PARALLEL: usize = 8;

/// `-O` over the up hosts of one group: Nmap's probes with the first open and first closed TCP port (and a
/// closed UDP port) the port scan found, scored against `db`. A host without both an open and a closed
/// port is probed anyway with Nmap's warning, or skipped with `--osscan-limit`.
async fn os_scan(
    hosts: &[(IpAddr, Option<Duration>)],
    states: &HashMap<IpAddr, PortStates>,
    db: Arc<portolan_fingerprint::os::OsDb>,
    plan: &ScanPlan,
    cancel: &Cancel,
    send: &impl Fn(EventBody),
) {
    use crate::os::{OsProbeOptions, OsProbeTarget, fingerprint_host};
    let addrs: Vec<IpAddr> = hosts.iter().map(|h| h.0).collect();
    let (_machine, routes) = raw_scan::routes(&addrs, plan);
    let mut jobs: JoinSet<(IpAddr, Result<crate::os::OsProbeOutcome, crate::os::OsError>)> = JoinSet::new();
    let mut waiting = hosts.iter().zip(routes).peekable();
    loop {
        while jobs.len() < OS_PARALLEL
            && let Some(((ip, rtt), route)) = waiting.next()
        {
            let first = |proto: Protocol, want: PortState| {
                states.get(ip).and_then(|m| m.iter().find(|(k, st)| k.0 == proto && **st == want).map(|(k, _)| k.1))
            };
            let (open, closed) = (first(Protocol::Tcp, PortState::Open), first(Protocol::Tcp, PortState::Closed));
            // Without both, the probes still run (the outcome carries Nmap's "may be unreliable" warning).
            if plan.os.limit && (open.is_none() || closed.is_none()) {
                continue;
            }
            let IpAddr::V4(v4) = ip else {
                send(EventBody::Warning { message: format!("OS detection of {ip}: IPv6 OS detection is not supported yet") });
                continue;
            };
            let route = match route {
                Ok(r) => r,
                Err(e) => {
                    send(EventBody::Warning { message: format!("OS detection of {ip}: {e}") });
                    continue;
                }
            };
            let mut target = match OsProbeTarget::from_route(*v4, &route) {
                Ok(t) => t,
                Err(e) => {
                    send(EventBody::Warning { message: e.to_string() });
                    continue;
                }
            };
            target.open_tcp_port = open;
            target.closed_tcp_port = closed;
            target.closed_udp_port = first(Protocol::Udp, PortState::Closed);
            target.rtt_hint = *rtt;
            if target.direct && !target.loopback {
                target.mac = portolan_netio::neighbour_mac(*ip, Some(&target.interface)).ok().flatten();
            }
            let opts = OsProbeOptions {
                max_tries: plan.os.max_tries.unwrap_or(5),
                db: Some(db.clone()),
                cancel: cancel.clone(),
                ..OsProbeOptions::default()
            };
            let ip = *ip;
            jobs.spawn(async move { (ip, fingerprint_host(target, opts).await) });
        }
        let Some(done) = jobs.join_next().await else { break };
        match done {
            Ok((ip, Ok(outcome))) => {
                for w in &outcome.warnings {
                    send(EventBody::Warning { message: format!("{w} ({ip})") });
                }
                send(outcome.event_body(ip, Some(&db)));
            }
            Ok((ip, Err(e))) => send(EventBody::Warning { message: format!("OS detection of {ip} failed: {e}") }),
            Err(e) => send(EventBody::Warning { message: format!("OS detection task failed: {e}") }),
        }
    }
}

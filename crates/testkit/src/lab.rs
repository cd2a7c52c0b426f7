//! `Lab`: a scenario brought to life in network namespaces, and removed again on drop.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::process::{Child, Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::relay::{LinkStats, Relay};
use crate::scenario::{FilterAction, FilterProto, ImpairEngine, Ipv4Cidr, Scenario};
use crate::services::{self, Server};
use crate::{LabError, netns};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// An address that must never be reachable from the scanner namespace (TEST-NET-2). Only a route lookup is
/// made for it; no packet is sent.
const OUTSIDE_PROBE: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);

/// A running lab. Everything it created (namespaces with their interfaces, nft tables and processes, TAP
/// devices, relay and responder threads) is removed when it is dropped, including during a panic's unwinding.
#[derive(Debug)]
pub struct Lab {
    id: String,
    scenario: Scenario,
    /// Scenario namespace name -> real namespace name, for the namespaces created so far.
    netns: BTreeMap<String, String>,
    relays: BTreeMap<usize, Relay>,
    server: Option<Server>,
    daemons: Vec<Child>,
    torn_down: bool,
}

impl Lab {
    /// Build the lab described by `scenario`. Needs root (`LabError::NotRoot` otherwise), `ip` and `nft`.
    /// Namespaces left behind by earlier runs whose process is dead are removed first.
    pub fn start(scenario: &Scenario) -> Result<Lab, LabError> {
        let euid = rustix::process::geteuid();
        if !euid.is_root() {
            return Err(LabError::NotRoot(euid.as_raw()));
        }
        scenario.validate().map_err(|msg| LabError::Scenario {
            origin: scenario.name.clone(),
            msg,
        })?;
        netns::cleanup_stale()?;
        let id = format!(
            "{}-{}",
            netns::base36(u64::from(std::process::id())),
            netns::base36(COUNTER.fetch_add(1, Ordering::Relaxed))
        );
        let mut lab = Lab {
            id,
            scenario: scenario.clone(),
            netns: BTreeMap::new(),
            relays: BTreeMap::new(),
            server: None,
            daemons: Vec::new(),
            torn_down: false,
        };
        // Any error from here on drops `lab`, which tears down whatever was already built.
        lab.build()?;
        Ok(lab)
    }

    /// Load `tests/scenarios/<name>.toml` and start it.
    pub fn start_named(name: &str) -> Result<Lab, LabError> {
        Lab::start(&Scenario::named(name)?)
    }

    fn build(&mut self) -> Result<(), LabError> {
        let sc = self.scenario.clone();
        for ns in &sc.namespaces {
            let real = format!("{}{}-{}", netns::PREFIX, self.id, ns.name);
            netns::run("ip", &["netns", "add", &real])?;
            self.netns.insert(ns.name.clone(), real.clone());
            // IPv6 off before any interface exists, so no link-local chatter (RS, MLD) crosses lab links.
            let mut sysctls = vec![
                "net.ipv6.conf.all.disable_ipv6=1".to_string(),
                "net.ipv6.conf.default.disable_ipv6=1".to_string(),
            ];
            if ns.forward {
                sysctls.push("net.ipv4.ip_forward=1".into());
            }
            if let Some(r) = ns.icmp_ratelimit_ms {
                sysctls.push(format!("net.ipv4.icmp_ratelimit={r}"));
            }
            let mut args = vec!["netns", "exec", &real, "sysctl", "-qw"];
            args.extend(sysctls.iter().map(String::as_str));
            netns::run("ip", &args)?;
            netns::run("ip", &["-n", &real, "link", "set", "lo", "up"])?;
        }

        for (i, l) in sc.links.iter().enumerate() {
            let na = self.real(&l.a.ns)?.to_string();
            let nb = self.real(&l.b.ns)?.to_string();
            match &l.impair {
                Some(imp) if imp.engine == ImpairEngine::Relay => {
                    let relay = crate::relay::start(
                        (&na, &l.a.ifname),
                        (&nb, &l.b.ifname),
                        imp,
                        format!("relay-{}-{i}", self.id),
                    )?;
                    self.relays.insert(i, relay);
                }
                _ => {
                    netns::run(
                        "ip",
                        &[
                            "link",
                            "add",
                            &l.a.ifname,
                            "netns",
                            &na,
                            "type",
                            "veth",
                            "peer",
                            "name",
                            &l.b.ifname,
                            "netns",
                            &nb,
                        ],
                    )?;
                }
            }
            for (ns, ep) in [(&na, &l.a), (&nb, &l.b)] {
                for a in ep.addr.as_slice() {
                    netns::run(
                        "ip",
                        &["-n", ns, "addr", "add", &a.to_string(), "dev", &ep.ifname],
                    )?;
                }
                netns::run("ip", &["-n", ns, "link", "set", &ep.ifname, "up"])?;
                if let Some(imp) = l.impair.as_ref().filter(|i| i.engine == ImpairEngine::Relay) {
                    // The relay writes a due batch of frames before it reads again; meanwhile the kernel
                    // queues what the namespace sends on the TAP. At the default 1000 frames that queue
                    // overflowed under a scan's burst (a quarter of the replies lost on a "2%" link), so it
                    // gets at least the emulator's own queue limit: loss then comes from the figures.
                    let qlen = imp.queue_limit.max(1000).to_string();
                    netns::run("ip", &["-n", ns, "link", "set", &ep.ifname, "txqueuelen", &qlen])?;
                }
            }
            if let Some(imp) = l
                .impair
                .as_ref()
                .filter(|i| i.engine == ImpairEngine::Nft && i.loss > 0.0)
            {
                // Per-direction loss at each end's ingress, as the relay does per direction. Only IP packets
                // are dropped: losing ARP too makes the kernel mark the neighbour FAILED, after which sends
                // fail locally for a while and a test sees no traffic at all rather than the asked-for loss.
                let threshold = (imp.loss * 1_000_000.0).round() as u64;
                for (ns, ep) in [(&na, &l.a), (&nb, &l.b)] {
                    let rules = format!(
                        "table netdev portolan_loss_{i} {{\n  chain ingress {{\n    type filter hook ingress \
                         device \"{}\" priority 0; policy accept;\n    meta protocol {{ ip, ip6 }} numgen random mod 1000000 < {threshold} drop\n  \
                         }}\n}}\n",
                        ep.ifname
                    );
                    netns::run_with_stdin(
                        "ip",
                        &["netns", "exec", ns, "nft", "-f", "-"],
                        Some(&rules),
                    )?;
                }
            }
        }

        for r in &sc.routes {
            let ns = self.real(&r.ns)?.to_string();
            let to = format!("{}/{}", r.to.network(), r.to.prefix);
            let mut args = vec!["-n".to_string(), ns, "route".into(), "add".into(), to];
            if let Some(v) = r.via {
                args.extend(["via".into(), v.to_string()]);
            }
            if let Some(d) = &r.dev {
                args.extend(["dev".into(), d.clone()]);
            }
            netns::run("ip", &args.iter().map(String::as_str).collect::<Vec<_>>())?;
        }
        for r in &sc.local_routes {
            let ns = self.real(&r.ns)?.to_string();
            let prefix = format!("{}/{}", r.prefix.network(), r.prefix.prefix);
            netns::run(
                "ip",
                &["-n", &ns, "route", "add", "local", &prefix, "dev", "lo"],
            )?;
        }

        for ns in &sc.namespaces {
            let rules = nft_ruleset(&sc, &ns.name);
            let real = self.real(&ns.name)?.to_string();
            if !rules.is_empty() {
                netns::run_with_stdin(
                    "ip",
                    &["netns", "exec", &real, "nft", "-f", "-"],
                    Some(&rules),
                )?;
            }
            if let Some(extra) = &ns.nft {
                netns::run_with_stdin(
                    "ip",
                    &["netns", "exec", &real, "nft", "-f", "-"],
                    Some(extra),
                )?;
            }
        }

        let mut pending = services::Pending::default();
        for (i, s) in sc.services.iter().enumerate() {
            let at = format!("service[{i}]");
            let ns = self.real(&s.ns)?.to_string();
            if s.command.is_some() {
                let child = services::start_daemon(&ns, s, &at)?;
                self.daemons.push(child);
            } else {
                pending.bind(&ns, s, &at)?;
            }
        }
        self.server = pending.serve(format!("responders-{}", self.id))?;

        self.check_scanner_isolated()
    }

    /// The scanner namespace must have no route out: a lookup for an outside address has to fail as
    /// unreachable and every route of its main table must lead into the lab range.
    fn check_scanner_isolated(&self) -> Result<(), LabError> {
        let ns = self.real(&self.scenario.scanner)?;
        match netns::run(
            "ip",
            &["-n", ns, "route", "get", &OUTSIDE_PROBE.to_string()],
        ) {
            Err(LabError::Command { stderr, .. }) if stderr.contains("unreachable") => {}
            Err(e) => return Err(e),
            Ok(route) => {
                return Err(LabError::Safety(format!(
                    "scanner namespace {ns} has a route to {OUTSIDE_PROBE}: {}",
                    route.trim()
                )));
            }
        }
        let routes = netns::run("ip", &["-n", ns, "-4", "route", "show"])?;
        for line in routes.lines() {
            let dst = line.split_whitespace().next().unwrap_or_default();
            let ok = dst.parse::<Ipv4Cidr>().is_ok_and(|c| c.in_lab());
            if !ok {
                return Err(LabError::Safety(format!(
                    "scanner namespace {ns} has a non-lab route: {line}"
                )));
            }
        }
        Ok(())
    }

    fn real(&self, ns: &str) -> Result<&str, LabError> {
        self.netns
            .get(ns)
            .map(String::as_str)
            .ok_or_else(|| LabError::UnknownNamespace(ns.to_string()))
    }

    /// This run's id (`<pid base36>-<counter base36>`); every real namespace name is `pl-<id>-<name>`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The scenario this lab runs.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Scenario name of the scanner namespace.
    pub fn scanner(&self) -> &str {
        &self.scenario.scanner
    }

    /// The real name (under /run/netns) of scenario namespace `ns`, for `ip netns exec` and friends.
    pub fn netns_name(&self, ns: &str) -> Result<&str, LabError> {
        self.real(ns)
    }

    /// All real namespace names of this lab.
    pub fn netns_names(&self) -> Vec<String> {
        self.netns.values().cloned().collect()
    }

    /// Every link address of namespace `ns`, with prefix, in file order.
    pub fn addrs(&self, ns: &str) -> Result<Vec<Ipv4Cidr>, LabError> {
        self.real(ns)?;
        let mut out = Vec::new();
        for l in &self.scenario.links {
            for ep in [&l.a, &l.b] {
                if ep.ns == ns {
                    out.extend_from_slice(ep.addr.as_slice());
                }
            }
        }
        Ok(out)
    }

    /// The first link address of namespace `ns` (a host's address, e.g. `lab.addr("target")`).
    pub fn addr(&self, ns: &str) -> Result<Ipv4Addr, LabError> {
        self.addrs(ns)?
            .first()
            .map(|c| c.addr)
            .ok_or_else(|| LabError::NoAddress(ns.to_string()))
    }

    /// `ip netns exec <ns> <program>`: add arguments, then run it. Tests run `portolan` and `nmap` this way.
    pub fn command(
        &self,
        ns: &str,
        program: impl AsRef<std::ffi::OsStr>,
    ) -> Result<Command, LabError> {
        let real = self.real(ns)?;
        let mut c = Command::new("ip");
        c.args(["netns", "exec", real]).arg(program);
        Ok(c)
    }

    /// Run `argv` inside namespace `ns` and collect its output (whatever its exit status).
    pub fn exec(&self, ns: &str, argv: &[&str]) -> Result<Output, LabError> {
        let (program, args) = argv.split_first().ok_or_else(|| LabError::Io {
            what: "Lab::exec".into(),
            source: std::io::Error::other("empty command line"),
        })?;
        let mut c = self.command(ns, program)?;
        c.args(args);
        c.output().map_err(|source| LabError::Io {
            what: format!("running {argv:?} in {ns}"),
            source,
        })
    }

    /// Run `f` on a thread inside namespace `ns` (sockets it opens live there) and return its result.
    pub fn run_in<T: Send + 'static>(
        &self,
        ns: &str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, LabError> {
        netns::in_netns(self.real(ns)?, f)
    }

    /// Counters of link `index` (file order) when it runs through the relay; `None` for a plain veth link.
    pub fn link_stats(&self, index: usize) -> Option<LinkStats> {
        self.relays.get(&index).map(Relay::stats)
    }

    /// Tear down now and report errors (drop does the same silently).
    pub fn stop(mut self) -> Result<(), LabError> {
        self.teardown()
    }

    fn teardown(&mut self) -> Result<(), LabError> {
        if self.torn_down {
            return Ok(());
        }
        self.torn_down = true;
        if let Some(mut s) = self.server.take() {
            s.stop();
        }
        for mut r in std::mem::take(&mut self.relays).into_values() {
            r.stop();
        }
        for mut d in self.daemons.drain(..) {
            let _ = d.kill();
            let _ = d.wait();
        }
        let mut first_err = None;
        for real in std::mem::take(&mut self.netns).into_values() {
            if let Err(e) = netns::delete(&real) {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Err(e) = self.teardown() {
            eprintln!("portolan-testkit: lab {} teardown: {e}", self.id);
        }
    }
}

/// The generated `inet portolan` table of namespace `ns` from its `[[filter]]` entries ("" when none).
pub(crate) fn nft_ruleset(sc: &Scenario, ns: &str) -> String {
    let mut body = String::new();
    for f in sc.filters.iter().filter(|f| f.ns == ns) {
        let mut rule = String::new();
        if let Some(s) = f.saddr {
            let _ = write!(rule, "ip saddr {}/{} ", s.network(), s.prefix);
        }
        if let Some(d) = f.daddr {
            let _ = write!(rule, "ip daddr {}/{} ", d.network(), d.prefix);
        }
        let proto = match f.proto {
            FilterProto::Tcp => Some("tcp"),
            FilterProto::Udp => Some("udp"),
            FilterProto::Icmp => {
                rule.push_str("meta l4proto icmp ");
                None
            }
            FilterProto::Any => {
                rule.push_str("meta nfproto ipv4 ");
                None
            }
        };
        if let Some(p) = proto {
            if f.ports.is_empty() {
                let _ = write!(rule, "meta l4proto {p} ");
            } else {
                let list: Vec<String> = f.ports.iter().map(u16::to_string).collect();
                let _ = write!(rule, "{p} dport {{ {} }} ", list.join(", "));
            }
        }
        rule.push_str(match f.action {
            FilterAction::Drop => "drop",
            FilterAction::Accept => "accept",
            FilterAction::RejectTcpReset => "reject with tcp reset",
            FilterAction::RejectAdminProhibited => "reject with icmpx type admin-prohibited",
            FilterAction::RejectPortUnreachable => "reject with icmpx type port-unreachable",
        });
        let _ = writeln!(body, "    {rule}");
    }
    if body.is_empty() {
        return String::new();
    }
    format!(
        "table inet portolan {{\n  chain input {{\n    type filter hook input priority 0; policy accept;\n{body}  }}\n}}\n"
    )
}

//! Scenario files: the TOML description of a lab, parsed with serde and validated before anything is created.
//!
//! Validation is the lab's first safety net: every address, route destination, gateway and filter address must
//! lie inside 198.18.0.0/15, and no namespace may get a default route, so nothing the lab builds can send a
//! packet to the outside world. The format is described in the crate's README.md.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::LabError;

/// The only addresses a lab may use: 198.18.0.0/15 (RFC 2544 benchmarking range).
pub const LAB_NET: Ipv4Cidr = Ipv4Cidr {
    addr: Ipv4Addr::new(198, 18, 0, 0),
    prefix: 15,
};

/// An IPv4 address with a prefix length, written `198.18.0.1/24` (a bare address means `/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ipv4Cidr {
    /// The address as written (host bits may be set, as in an interface address).
    pub addr: Ipv4Addr,
    /// Prefix length, 0..=32.
    pub prefix: u8,
}

impl Ipv4Cidr {
    fn mask(prefix: u8) -> u32 {
        if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(prefix))
        }
    }

    /// The network address (host bits cleared).
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & Self::mask(self.prefix))
    }

    /// Whether `ip` lies inside this network.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let m = Self::mask(self.prefix);
        u32::from(ip) & m == u32::from(self.addr) & m
    }

    /// Whether the whole of `other` lies inside this network.
    pub fn covers(&self, other: &Ipv4Cidr) -> bool {
        other.prefix >= self.prefix && self.contains(other.addr)
    }

    /// Whether the whole network lies inside the lab range 198.18.0.0/15.
    pub fn in_lab(&self) -> bool {
        LAB_NET.covers(self)
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl FromStr for Ipv4Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: Ipv4Addr = a
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not an IPv4 address or IPv4 CIDR (a.b.c.d/n)"))?;
        let prefix = match p {
            None => 32,
            Some(p) => match p.trim().parse::<u8>() {
                Ok(n) if n <= 32 => n,
                _ => return Err(format!("{s:?}: prefix length must be 0..=32")),
            },
        };
        Ok(Ipv4Cidr { addr, prefix })
    }
}

impl TryFrom<String> for Ipv4Cidr {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Ipv4Cidr> for String {
    fn from(c: Ipv4Cidr) -> String {
        c.to_string()
    }
}

/// One value or a list of values in TOML (`addr = "x"` or `addr = ["x", "y"]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single value.
    One(T),
    /// A list of values.
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    /// The values as a slice.
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(v) => std::slice::from_ref(v),
            OneOrMany::Many(v) => v,
        }
    }
}

/// A whole lab: namespaces, the links between them and what runs inside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name, for messages.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// The namespace the scanner runs in; it gets lab routes only, never a default route.
    pub scanner: String,
    /// `[[namespace]]` tables.
    #[serde(default, rename = "namespace")]
    pub namespaces: Vec<NamespaceSpec>,
    /// `[[link]]` tables: veth pairs, or TAP pairs joined by the link emulator when `impair` is set.
    #[serde(default, rename = "link")]
    pub links: Vec<LinkSpec>,
    /// `[[route]]` tables.
    #[serde(default, rename = "route")]
    pub routes: Vec<RouteSpec>,
    /// `[[local_route]]` tables: the namespace answers for every address of the prefix.
    #[serde(default, rename = "local_route")]
    pub local_routes: Vec<LocalRouteSpec>,
    /// `[[service]]` tables: listeners (own responder) or daemons.
    #[serde(default, rename = "service")]
    pub services: Vec<ServiceSpec>,
    /// `[[filter]]` tables: nftables rules in a namespace's input path.
    #[serde(default, rename = "filter")]
    pub filters: Vec<FilterSpec>,
}

/// A network namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceSpec {
    /// Scenario-local name (`[a-z0-9_]`, at most 16 characters); the real namespace name adds the lab's prefix.
    pub name: String,
    /// Enable IPv4 forwarding (a router).
    #[serde(default)]
    pub forward: bool,
    /// Set `net.ipv4.icmp_ratelimit` (ms) in this namespace; 0 lifts the kernel's ICMP error rate limit, which
    /// otherwise makes UDP and admin-prohibited answers slow.
    #[serde(default)]
    pub icmp_ratelimit_ms: Option<u32>,
    /// Extra nftables ruleset text loaded verbatim (`nft -f`) into this namespace after the generated rules.
    #[serde(default)]
    pub nft: Option<String>,
}

/// One end of a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Namespace name.
    pub ns: String,
    /// Interface name inside that namespace (default `eth0`).
    #[serde(default = "default_ifname")]
    pub ifname: String,
    /// Address(es) with prefix length, e.g. `"198.18.0.1/24"`.
    #[serde(default)]
    pub addr: OneOrMany<Ipv4Cidr>,
}

fn default_ifname() -> String {
    "eth0".to_string()
}

/// A point-to-point layer-2 link between two namespaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// First end.
    pub a: Endpoint,
    /// Second end.
    pub b: Endpoint,
    /// Impairment; without it the link is a plain veth pair.
    #[serde(default)]
    pub impair: Option<Impairment>,
}

/// Which mechanism impairs a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImpairEngine {
    /// The userspace relay between two TAP devices (seeded; delay, jitter, loss, duplication, reordering, rate).
    #[default]
    Relay,
    /// A veth pair with nftables `numgen random` drops at each end's ingress: loss only, kernel randomness.
    Nft,
}

/// Link impairment. Every figure applies to each direction separately (as netem on both ends would), so a
/// round trip sees `delay_ms` twice and survives with probability `(1 - loss)^2`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Impairment {
    /// Which mechanism (default `relay`).
    #[serde(default)]
    pub engine: ImpairEngine,
    /// One-way delay in milliseconds.
    #[serde(default)]
    pub delay_ms: f64,
    /// Uniform jitter: each frame's delay is `delay_ms ± jitter_ms` (never below zero); it can reorder frames.
    #[serde(default)]
    pub jitter_ms: f64,
    /// Probability (0..=1) that a frame is dropped.
    #[serde(default)]
    pub loss: f64,
    /// Probability (0..=1) that a frame is sent twice.
    #[serde(default)]
    pub duplicate: f64,
    /// Probability (0..=1) that a frame skips the delay and so overtakes the frames queued before it.
    #[serde(default)]
    pub reorder: f64,
    /// Rate limit in kbit/s per direction (0 = unlimited); frames queue behind each other at this rate.
    #[serde(default)]
    pub rate_kbit: u64,
    /// Seed of the random source (`StdRng`); the same seed gives the same decisions for the same frame sequence.
    #[serde(default)]
    pub seed: u64,
    /// Frames queued per direction before tail drop.
    #[serde(default = "default_queue_limit")]
    pub queue_limit: usize,
}

fn default_queue_limit() -> usize {
    10_000
}

impl Default for Impairment {
    fn default() -> Self {
        Impairment {
            engine: ImpairEngine::Relay,
            delay_ms: 0.0,
            jitter_ms: 0.0,
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            rate_kbit: 0,
            seed: 0,
            queue_limit: default_queue_limit(),
        }
    }
}

/// A route in a namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    /// Namespace name.
    pub ns: String,
    /// Destination network (inside the lab range; `default` is refused).
    pub to: Ipv4Cidr,
    /// Gateway (inside the lab range).
    #[serde(default)]
    pub via: Option<Ipv4Addr>,
    /// Output interface.
    #[serde(default)]
    pub dev: Option<String>,
}

/// `ip route add local PREFIX dev lo` in a namespace: it answers for every address of the prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalRouteSpec {
    /// Namespace name.
    pub ns: String,
    /// The prefix the namespace answers for.
    pub prefix: Ipv4Cidr,
}

/// Transport protocol of a service or filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP.
    #[default]
    Tcp,
    /// UDP.
    Udp,
}

/// Listeners inside a namespace: the project's own responder, or a real daemon started by command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// Namespace name.
    pub ns: String,
    /// Protocol of the responder (default tcp).
    #[serde(default)]
    pub proto: Proto,
    /// Ports; with `command` they are the ports the daemon must be listening on (TCP) before the lab is ready.
    pub ports: Vec<u16>,
    /// Address to bind (default 0.0.0.0, which also covers a `local_route` prefix).
    #[serde(default)]
    pub bind: Option<Ipv4Addr>,
    /// Text sent on accept (TCP) or in answer to every datagram (UDP). Escapes such as `\r\n` are TOML's.
    #[serde(default)]
    pub banner: Option<String>,
    /// Echo what the peer sends (after the banner, if any).
    #[serde(default)]
    pub echo: bool,
    /// How long a TCP connection is held open, in milliseconds (default 10000).
    #[serde(default = "default_hold_ms")]
    pub hold_ms: u64,
    /// Run this program (argv) inside the namespace instead of the own responder, e.g. a Debian daemon in
    /// foreground mode. It is killed at teardown.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// How long to wait for a daemon's ports to listen, in milliseconds (default 10000).
    #[serde(default = "default_ready_ms")]
    pub ready_timeout_ms: u64,
}

fn default_hold_ms() -> u64 {
    10_000
}
fn default_ready_ms() -> u64 {
    10_000
}

/// What a filter does to matching packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FilterAction {
    /// Silently drop (a scanner sees "filtered").
    Drop,
    /// Answer with a TCP reset (a scanner sees "closed").
    RejectTcpReset,
    /// Answer with ICMP communication administratively prohibited (type 3 code 13).
    RejectAdminProhibited,
    /// Answer with ICMP port unreachable (type 3 code 3).
    RejectPortUnreachable,
    /// Accept (useful before a broader drop).
    Accept,
}

/// Protocol a filter matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilterProto {
    /// TCP (default).
    #[default]
    Tcp,
    /// UDP.
    Udp,
    /// ICMP.
    Icmp,
    /// Every IPv4 packet.
    Any,
}

/// An nftables rule in a namespace's input hook. Rules apply in file order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    /// Namespace name.
    pub ns: String,
    /// Protocol matched (default tcp).
    #[serde(default)]
    pub proto: FilterProto,
    /// Destination ports (tcp/udp only); empty = every port.
    #[serde(default)]
    pub ports: Vec<u16>,
    /// Source network matched.
    #[serde(default)]
    pub saddr: Option<Ipv4Cidr>,
    /// Destination network matched (e.g. part of a `local_route` prefix).
    #[serde(default)]
    pub daddr: Option<Ipv4Cidr>,
    /// What to do.
    pub action: FilterAction,
}

fn valid_name(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn valid_ifname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s != "lo"
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

fn prob(v: f64) -> bool {
    (0.0..=1.0).contains(&v)
}

impl Scenario {
    /// Parse and validate TOML text; `origin` names the source in error messages.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Scenario, LabError> {
        let sc: Scenario = toml::from_str(text).map_err(|e| LabError::Scenario {
            origin: origin.to_string(),
            msg: e.to_string(),
        })?;
        sc.validate().map_err(|msg| LabError::Scenario {
            origin: origin.to_string(),
            msg,
        })?;
        Ok(sc)
    }

    /// Read, parse and validate a scenario file.
    pub fn load(path: impl AsRef<Path>) -> Result<Scenario, LabError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| LabError::Io {
            what: format!("reading scenario {}", path.display()),
            source,
        })?;
        Scenario::from_toml_str(&text, &path.display().to_string())
    }

    /// Load `tests/scenarios/<name>.toml` of this repository.
    pub fn named(name: &str) -> Result<Scenario, LabError> {
        Scenario::load(scenario_dir().join(format!("{name}.toml")))
    }

    /// Names of the namespaces, in file order.
    pub fn namespace_names(&self) -> impl Iterator<Item = &str> {
        self.namespaces.iter().map(|n| n.name.as_str())
    }

    /// Check every rule of the format; the error names the offending table and field.
    pub fn validate(&self) -> Result<(), String> {
        let mut names = BTreeSet::new();
        for (i, ns) in self.namespaces.iter().enumerate() {
            if !valid_name(&ns.name, 16) {
                return Err(format!(
                    "namespace[{i}].name {:?}: use 1-16 characters from [a-z0-9_]",
                    ns.name
                ));
            }
            if !names.insert(ns.name.as_str()) {
                return Err(format!(
                    "namespace[{i}].name {:?} is defined twice",
                    ns.name
                ));
            }
        }
        let known = |what: &str, ns: &str| -> Result<(), String> {
            if names.contains(ns) {
                Ok(())
            } else {
                Err(format!("{what}: unknown namespace {ns:?}"))
            }
        };
        known("scanner", &self.scanner)?;

        let mut ifaces: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for (i, l) in self.links.iter().enumerate() {
            for (side, ep) in [("a", &l.a), ("b", &l.b)] {
                let at = format!("link[{i}].{side}");
                known(&format!("{at}.ns"), &ep.ns)?;
                if !valid_ifname(&ep.ifname) {
                    return Err(format!(
                        "{at}.ifname {:?}: use 1-15 characters from [A-Za-z0-9_.-], not \"lo\"",
                        ep.ifname
                    ));
                }
                if ifaces
                    .insert((ep.ns.as_str(), ep.ifname.as_str()), i)
                    .is_some()
                {
                    return Err(format!(
                        "{at}: interface {:?} exists twice in namespace {:?}",
                        ep.ifname, ep.ns
                    ));
                }
                for a in ep.addr.as_slice() {
                    if !a.in_lab() {
                        return Err(format!("{at}.addr {a} is outside the lab range {LAB_NET}"));
                    }
                    if a.prefix < 16 {
                        return Err(format!("{at}.addr {a}: use a prefix of /16 or longer"));
                    }
                }
            }
            if l.a.ns == l.b.ns {
                return Err(format!(
                    "link[{i}]: both ends are in namespace {:?}",
                    l.a.ns
                ));
            }
            if let Some(im) = &l.impair {
                let at = format!("link[{i}].impair");
                for (f, v) in [
                    ("loss", im.loss),
                    ("duplicate", im.duplicate),
                    ("reorder", im.reorder),
                ] {
                    if !prob(v) {
                        return Err(format!("{at}.{f} = {v}: must be a probability in 0..=1"));
                    }
                }
                for (f, v) in [("delay_ms", im.delay_ms), ("jitter_ms", im.jitter_ms)] {
                    if !(0.0..=60_000.0).contains(&v) {
                        return Err(format!("{at}.{f} = {v}: must be in 0..=60000"));
                    }
                }
                if im.queue_limit == 0 || im.queue_limit > 1_000_000 {
                    return Err(format!(
                        "{at}.queue_limit = {}: must be in 1..=1000000",
                        im.queue_limit
                    ));
                }
                if im.engine == ImpairEngine::Nft
                    && (im.delay_ms != 0.0
                        || im.jitter_ms != 0.0
                        || im.duplicate != 0.0
                        || im.reorder != 0.0
                        || im.rate_kbit != 0)
                {
                    return Err(format!(
                        "{at}: engine \"nft\" does loss only; use engine \"relay\" for the rest"
                    ));
                }
            }
        }
        for (i, r) in self.routes.iter().enumerate() {
            let at = format!("route[{i}]");
            known(&format!("{at}.ns"), &r.ns)?;
            if !r.to.in_lab() {
                return Err(format!(
                    "{at}.to {}: routes may only lead into the lab range {LAB_NET} (no default route)",
                    r.to
                ));
            }
            if let Some(v) = r.via
                && !LAB_NET.contains(v)
            {
                return Err(format!("{at}.via {v} is outside the lab range {LAB_NET}"));
            }
            match &r.dev {
                Some(d) if !ifaces.contains_key(&(r.ns.as_str(), d.as_str())) => {
                    return Err(format!(
                        "{at}.dev {d:?}: no such link interface in namespace {:?}",
                        r.ns
                    ));
                }
                None if r.via.is_none() => return Err(format!("{at}: give `via` or `dev`")),
                _ => {}
            }
        }
        for (i, r) in self.local_routes.iter().enumerate() {
            let at = format!("local_route[{i}]");
            known(&format!("{at}.ns"), &r.ns)?;
            if !r.prefix.in_lab() {
                return Err(format!(
                    "{at}.prefix {} is outside the lab range {LAB_NET}",
                    r.prefix
                ));
            }
            if r.ns == self.scanner {
                return Err(format!(
                    "{at}: the scanner namespace cannot answer for a prefix"
                ));
            }
        }
        for (i, s) in self.services.iter().enumerate() {
            let at = format!("service[{i}]");
            known(&format!("{at}.ns"), &s.ns)?;
            if s.ports.is_empty() {
                return Err(format!("{at}.ports: give at least one port"));
            }
            if s.ports.contains(&0) {
                return Err(format!("{at}.ports: port 0 is not a port"));
            }
            if let Some(b) = s.bind
                && !LAB_NET.contains(b)
                && !b.is_unspecified()
                && !b.is_loopback()
            {
                return Err(format!("{at}.bind {b} is outside the lab range {LAB_NET}"));
            }
            if let Some(c) = &s.command {
                if c.is_empty() || c[0].is_empty() {
                    return Err(format!("{at}.command: give a program and its arguments"));
                }
                if s.proto != Proto::Tcp {
                    return Err(format!(
                        "{at}: readiness of a daemon is checked on TCP ports only"
                    ));
                }
            }
            if s.hold_ms > 600_000 || s.ready_timeout_ms > 600_000 {
                return Err(format!(
                    "{at}: hold_ms and ready_timeout_ms must be at most 600000"
                ));
            }
        }
        for (i, f) in self.filters.iter().enumerate() {
            let at = format!("filter[{i}]");
            known(&format!("{at}.ns"), &f.ns)?;
            for (k, c) in [("saddr", f.saddr), ("daddr", f.daddr)] {
                if let Some(c) = c
                    && !c.in_lab()
                {
                    return Err(format!("{at}.{k} {c} is outside the lab range {LAB_NET}"));
                }
            }
            if !f.ports.is_empty() && !matches!(f.proto, FilterProto::Tcp | FilterProto::Udp) {
                return Err(format!("{at}.ports: ports need proto \"tcp\" or \"udp\""));
            }
            if f.ports.contains(&0) {
                return Err(format!("{at}.ports: port 0 is not a port"));
            }
            if f.action == FilterAction::RejectTcpReset && f.proto != FilterProto::Tcp {
                return Err(format!("{at}.action: reject-tcp-reset needs proto \"tcp\""));
            }
        }
        Ok(())
    }
}

/// The repository's `tests/scenarios` directory.
pub fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = r#"
name = "t"
scanner = "s"
[[namespace]]
name = "s"
[[namespace]]
name = "t"
[[link]]
a = { ns = "s", addr = "198.18.0.1/24" }
b = { ns = "t", addr = "198.18.0.2/24" }
"#;

    #[test]
    fn cidr_parse_and_range() {
        let c: Ipv4Cidr = "198.19.3.4/16".parse().unwrap();
        assert_eq!(c.network(), Ipv4Addr::new(198, 19, 0, 0));
        assert!(c.in_lab());
        assert!(!"198.20.0.1/32".parse::<Ipv4Cidr>().unwrap().in_lab());
        assert!(!"198.17.255.255".parse::<Ipv4Cidr>().unwrap().in_lab());
        assert!(!"198.18.0.0/14".parse::<Ipv4Cidr>().unwrap().in_lab());
        assert!("198.18.0.0/33".parse::<Ipv4Cidr>().is_err());
        assert!("nope".parse::<Ipv4Cidr>().is_err());
    }

    #[test]
    fn minimal_scenario_parses() {
        let s = Scenario::from_toml_str(MIN, "min").unwrap();
        assert_eq!(s.links[0].a.ifname, "eth0");
        assert_eq!(
            s.links[0].b.addr.as_slice()[0].addr,
            Ipv4Addr::new(198, 18, 0, 2)
        );
    }

    fn err_of(text: &str) -> String {
        Scenario::from_toml_str(text, "x").unwrap_err().to_string()
    }

    #[test]
    fn refuses_addresses_outside_the_lab() {
        // Validation must refuse an address outside the lab; no lab is built from this scenario.
        let e = err_of(&MIN.replace("198.18.0.2/24", "10.0.0.2/24"));
        assert!(
            e.contains("link[0].b.addr 10.0.0.2/24 is outside the lab range"),
            "{e}"
        );
        let e = err_of(&format!(
            "{MIN}\n[[route]]\nns = \"s\"\nto = \"0.0.0.0/0\"\nvia = \"198.18.0.2\"\n"
        ));
        assert!(e.contains("route[0].to 0.0.0.0/0"), "{e}");
        let e = err_of(&format!(
            "{MIN}\n[[route]]\nns = \"s\"\nto = \"198.19.0.0/16\"\nvia = \"192.168.1.1\"\n"
        ));
        assert!(e.contains("route[0].via 192.168.1.1"), "{e}");
        let e = err_of(&format!(
            "{MIN}\n[[local_route]]\nns = \"t\"\nprefix = \"203.0.113.0/24\"\n"
        ));
        assert!(e.contains("local_route[0].prefix"), "{e}");
        let e = err_of(&format!(
            "{MIN}\n[[filter]]\nns = \"t\"\nsaddr = \"8.8.8.8\"\naction = \"drop\"\n"
        ));
        assert!(e.contains("filter[0].saddr 8.8.8.8/32"), "{e}");
    }

    #[test]
    fn refuses_bad_names_and_fields() {
        assert!(
            err_of(&MIN.replace("scanner = \"s\"", "scanner = \"q\""))
                .contains("scanner: unknown namespace")
        );
        assert!(
            err_of(&MIN.replace("name = \"t\"\n[[link]]", "name = \"T!\"\n[[link]]"))
                .contains("namespace[1].name")
        );
        assert!(err_of(&format!("{MIN}\nbogus = 1\n")).contains("bogus"));
        let e = err_of(&format!("{MIN}\n[link.impair]\nloss = 1.5\n"));
        assert!(e.contains("link[0].impair.loss"), "{e}");
        let e = err_of(&format!(
            "{MIN}\n[link.impair]\nengine = \"nft\"\ndelay_ms = 3\n"
        ));
        assert!(e.contains("loss only"), "{e}");
    }

    #[test]
    fn shipped_scenarios_are_valid() {
        let mut n = 0;
        for entry in std::fs::read_dir(scenario_dir()).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "toml") {
                Scenario::load(&p).unwrap();
                n += 1;
            }
        }
        assert!(n >= 2, "expected at least connect-basic and impaired");
    }
}

//! Ports, protocols, port states and the reasons behind them, spelled as Nmap spells them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A transport protocol that has ports, or `Ip` for the IP protocol scan (`-sO`), whose "ports" are protocol
/// numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
    Ip,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
            Protocol::Ip => "ip",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Protocol {
    type Err = UnknownWord;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tcp" => Ok(Protocol::Tcp),
            "udp" => Ok(Protocol::Udp),
            "sctp" => Ok(Protocol::Sctp),
            "ip" => Ok(Protocol::Ip),
            _ => Err(UnknownWord { what: "protocol", word: s.to_owned() }),
        }
    }
}

/// A word that is not one of the known spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{word}'")]
pub struct UnknownWord {
    pub what: &'static str,
    pub word: String,
}

/// The six port states Nmap reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum PortState {
    #[serde(rename = "open")]
    Open,
    #[serde(rename = "closed")]
    Closed,
    #[serde(rename = "filtered")]
    Filtered,
    #[serde(rename = "unfiltered")]
    Unfiltered,
    #[serde(rename = "open|filtered")]
    OpenFiltered,
    #[serde(rename = "closed|filtered")]
    ClosedFiltered,
}

impl PortState {
    pub const ALL: [PortState; 6] = [
        PortState::Open,
        PortState::Closed,
        PortState::Filtered,
        PortState::Unfiltered,
        PortState::OpenFiltered,
        PortState::ClosedFiltered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PortState::Open => "open",
            PortState::Closed => "closed",
            PortState::Filtered => "filtered",
            PortState::Unfiltered => "unfiltered",
            PortState::OpenFiltered => "open|filtered",
            PortState::ClosedFiltered => "closed|filtered",
        }
    }

    /// `--open` keeps ports whose state allows "open".
    pub fn may_be_open(self) -> bool {
        matches!(self, PortState::Open | PortState::OpenFiltered)
    }
}

impl fmt::Display for PortState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PortState {
    type Err = UnknownWord;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PortState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownWord { what: "port state", word: s.to_owned() })
    }
}

/// Why a port or host was given its state, in Nmap's words (`--reason`, XML `reason=`).
///
/// Kept as Nmap's string so that reasons read from other scanners' files survive a round trip; the
/// constants name the ones Portolan itself produces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct Reason(pub String);

impl Reason {
    pub const SYN_ACK: &'static str = "syn-ack";
    pub const CONN_REFUSED: &'static str = "conn-refused";
    pub const NO_RESPONSE: &'static str = "no-response";
    pub const HOST_UNREACH: &'static str = "host-unreach";
    pub const NET_UNREACH: &'static str = "net-unreach";
    pub const ADMIN_PROHIBITED: &'static str = "admin-prohibited";
    pub const RESET: &'static str = "reset";
    pub const USER_SET: &'static str = "user-set";
    pub const LOCALHOST_RESPONSE: &'static str = "localhost-response";
    pub const UNKNOWN: &'static str = "unknown";

    pub fn new(s: &str) -> Self {
        Reason(s.to_owned())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An inclusive range of port numbers. Port 0 is legal (Nmap scans it when asked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PortRange {
    pub start: u16,
    pub end: u16,
}

impl PortRange {
    pub fn len(&self) -> usize {
        usize::from(self.end) - usize::from(self.start) + 1
    }
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// A parsed `-p` argument: per protocol, sorted, merged ranges.
///
/// Invariant: each list is sorted and its ranges neither overlap nor touch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PortSpec {
    pub tcp: Vec<PortRange>,
    pub udp: Vec<PortRange>,
    pub sctp: Vec<PortRange>,
}

/// A `-p` argument that Nmap would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortSpecError {
    #[error("port number '{0}' is out of range (0-65535)")]
    OutOfRange(String),
    #[error("'{0}' is not a port number or range")]
    NotANumber(String),
    #[error("port range '{0}' runs backwards")]
    Backwards(String),
    #[error("empty port specification")]
    Empty,
    #[error("service names in port lists ('{0}') are not supported yet")]
    ServiceName(String),
}

impl PortSpec {
    /// Every TCP port 1-65535 (what `-p-` means).
    pub fn all_tcp() -> Self {
        PortSpec { tcp: vec![PortRange { start: 1, end: 65535 }], ..Default::default() }
    }

    /// Parses Nmap's `-p` syntax: `22`, `1-100`, `-100`, `60000-`, `-`, `T:80,U:53,S:9`, comma lists.
    /// Ranges without a protocol prefix apply to every protocol the scan uses; the caller decides which.
    pub fn parse(spec: &str) -> Result<PortSpec, PortSpecError> {
        let mut out = PortSpec::default();
        // Which lists an unprefixed item goes to: until a prefix is seen, all of them.
        let mut current: Option<Protocol> = None;
        if spec.trim().is_empty() {
            return Err(PortSpecError::Empty);
        }
        for raw in spec.split(',') {
            let mut item = raw.trim();
            if item.is_empty() {
                continue;
            }
            if let Some((prefix, rest)) = item.split_once(':') {
                current = Some(match prefix {
                    "T" | "t" => Protocol::Tcp,
                    "U" | "u" => Protocol::Udp,
                    "S" | "s" => Protocol::Sctp,
                    _ => return Err(PortSpecError::NotANumber(item.to_owned())),
                });
                item = rest;
            }
            let range = parse_range(item)?;
            match current {
                None => {
                    out.tcp.push(range);
                    out.udp.push(range);
                    out.sctp.push(range);
                }
                Some(Protocol::Tcp | Protocol::Ip) => out.tcp.push(range),
                Some(Protocol::Udp) => out.udp.push(range),
                Some(Protocol::Sctp) => out.sctp.push(range),
            }
        }
        out.normalise();
        if out.tcp.is_empty() && out.udp.is_empty() && out.sctp.is_empty() {
            return Err(PortSpecError::Empty);
        }
        Ok(out)
    }

    /// Sorts and merges each list so the invariant holds.
    pub fn normalise(&mut self) {
        for list in [&mut self.tcp, &mut self.udp, &mut self.sctp] {
            list.sort_by_key(|r| (r.start, r.end));
            let mut merged: Vec<PortRange> = Vec::with_capacity(list.len());
            for r in list.drain(..) {
                match merged.last_mut() {
                    Some(last) if u32::from(r.start) <= u32::from(last.end) + 1 => {
                        last.end = last.end.max(r.end);
                    }
                    _ => merged.push(r),
                }
            }
            *list = merged;
        }
    }

    pub fn ranges(&self, proto: Protocol) -> &[PortRange] {
        match proto {
            Protocol::Tcp => &self.tcp,
            Protocol::Udp => &self.udp,
            Protocol::Sctp => &self.sctp,
            // With -sO the list holds protocol numbers, written without a prefix (so in every list).
            Protocol::Ip => &self.tcp,
        }
    }

    /// The ports of one protocol in ascending order.
    pub fn ports(&self, proto: Protocol) -> impl Iterator<Item = u16> + '_ {
        self.ranges(proto).iter().flat_map(|r| r.start..=r.end)
    }

    pub fn count(&self, proto: Protocol) -> usize {
        self.ranges(proto).iter().map(PortRange::len).sum()
    }

    /// Builds a spec from explicit port lists.
    pub fn from_ports(tcp: &[u16], udp: &[u16]) -> PortSpec {
        let one = |p: &u16| PortRange { start: *p, end: *p };
        let mut s = PortSpec {
            tcp: tcp.iter().map(one).collect(),
            udp: udp.iter().map(one).collect(),
            sctp: Vec::new(),
        };
        s.normalise();
        s
    }

    /// Nmap's compact rendering (`1-100,443`), used in command lines and XML `services=`.
    pub fn render_list(ranges: &[PortRange]) -> String {
        ranges
            .iter()
            .map(|r| if r.start == r.end { r.start.to_string() } else { format!("{}-{}", r.start, r.end) })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Renders back to `-p` syntax; when all protocols share the same list it is written without prefixes.
    pub fn render(&self) -> String {
        if self.tcp == self.udp && self.udp == self.sctp {
            return Self::render_list(&self.tcp);
        }
        let mut parts = Vec::new();
        for (prefix, list) in [("T:", &self.tcp), ("U:", &self.udp), ("S:", &self.sctp)] {
            if !list.is_empty() {
                parts.push(format!("{prefix}{}", Self::render_list(list)));
            }
        }
        parts.join(",")
    }
}

fn parse_port(s: &str, whole: &str) -> Result<u16, PortSpecError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        if s.bytes().any(|b| b.is_ascii_alphabetic()) && !s.contains('-') {
            return Err(PortSpecError::ServiceName(whole.to_owned()));
        }
        return Err(PortSpecError::NotANumber(whole.to_owned()));
    }
    s.parse::<u32>()
        .ok()
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| PortSpecError::OutOfRange(whole.to_owned()))
}

fn parse_range(item: &str) -> Result<PortRange, PortSpecError> {
    if item == "-" {
        return Ok(PortRange { start: 1, end: 65535 });
    }
    let (start, end) = match item.split_once('-') {
        None => {
            let p = parse_port(item, item)?;
            (p, p)
        }
        Some(("", hi)) => (1, parse_port(hi, item)?),
        Some((lo, "")) => (parse_port(lo, item)?, 65535),
        Some((lo, hi)) => (parse_port(lo, item)?, parse_port(hi, item)?),
    };
    if start > end {
        return Err(PortSpecError::Backwards(item.to_owned()));
    }
    Ok(PortRange { start, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nmap_forms() {
        let s = PortSpec::parse("1-100,T:443,U:53").unwrap();
        assert_eq!(s.count(Protocol::Tcp), 101);
        assert_eq!(s.count(Protocol::Udp), 100, "U:53 lies inside 1-100");
        assert_eq!(s.tcp.len(), 2);
        // Unprefixed items apply to every protocol; T:443 goes to TCP only.
        let s = PortSpec::parse("T:443,80,U:53").unwrap();
        assert_eq!(s.ports(Protocol::Tcp).collect::<Vec<_>>(), vec![80, 443]);
        assert_eq!(s.ports(Protocol::Udp).collect::<Vec<_>>(), vec![53]);
        assert_eq!(PortSpec::parse("-").unwrap().count(Protocol::Tcp), 65535);
        assert_eq!(PortSpec::parse("-10").unwrap().count(Protocol::Tcp), 10);
        assert_eq!(PortSpec::parse("65530-").unwrap().count(Protocol::Tcp), 6);
        assert_eq!(PortSpec::parse("0").unwrap().count(Protocol::Tcp), 1);
    }

    #[test]
    fn merges_and_renders() {
        let s = PortSpec::parse("5,1-3,4,10").unwrap();
        assert_eq!(PortSpec::render_list(&s.tcp), "1-5,10");
        let s = PortSpec::parse("T:1-3,U:53").unwrap();
        assert_eq!(s.render(), "T:1-3,U:53");
        assert_eq!(PortSpec::parse(&s.render()).unwrap(), s);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(PortSpec::parse("70000"), Err(PortSpecError::OutOfRange("70000".into())));
        assert_eq!(PortSpec::parse("10-5"), Err(PortSpecError::Backwards("10-5".into())));
        assert!(matches!(PortSpec::parse("x1"), Err(PortSpecError::ServiceName(_))));
        assert!(matches!(PortSpec::parse("1-2-3"), Err(PortSpecError::NotANumber(_))));
        assert_eq!(PortSpec::parse(""), Err(PortSpecError::Empty));
        assert_eq!(PortSpec::parse(","), Err(PortSpecError::Empty));
    }

    #[test]
    fn states_round_trip() {
        for st in PortState::ALL {
            assert_eq!(st.as_str().parse::<PortState>().unwrap(), st);
            let json = serde_json::to_string(&st).unwrap();
            assert_eq!(json, format!("\"{}\"", st.as_str()));
        }
    }
}

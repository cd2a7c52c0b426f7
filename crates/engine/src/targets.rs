//! Target specifications in Nmap's syntax and their lazy expansion into addresses.
//!
//! A spec is parsed without I/O ([`TargetSpec::parse`]); expansion ([`TargetSpec::addrs`]) walks numbers, so a
//! `/8` costs nothing until it is iterated. Hostnames are resolved by [`crate::dns`] when the scan reaches them.

use rand::Rng;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One target word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// A single address, or a network in CIDR form (`/32` or `/128` for a single address).
    Network { base: IpAddr, prefix: u8 },
    /// IPv4 octet ranges: `198.18.0-3.1-254`, `198.18.0.*`, `198.18.0.1,3,5`.
    Octets(Box<[Vec<(u8, u8)>; 4]>),
    /// A name to resolve, optionally with a prefix applied to the address it resolves to.
    Name { name: String, prefix: Option<u8> },
}

/// Why a target word was refused; the message says what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetError(pub String);

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for TargetError {}

fn err<T>(msg: impl Into<String>) -> Result<T, TargetError> {
    Err(TargetError(msg.into()))
}

impl TargetSpec {
    /// Parses one target word. `ipv6` is the `-6` flag: IPv4 forms are refused with it and IPv6 ones without it,
    /// as Nmap does.
    pub fn parse(s: &str, ipv6: bool) -> Result<TargetSpec, TargetError> {
        let s = s.trim();
        if s.is_empty() {
            return err("empty target");
        }
        let (host, prefix) = match s.rsplit_once('/') {
            Some((h, p)) => {
                let n: u8 = p
                    .parse()
                    .map_err(|_| TargetError(format!("'{p}' is not a valid CIDR prefix length")))?;
                (h, Some(n))
            }
            None => (s, None),
        };
        if let Ok(ip) = host.parse::<IpAddr>() {
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let prefix = prefix.unwrap_or(max);
            if prefix > max {
                return err(format!("CIDR prefix /{prefix} is larger than /{max}"));
            }
            if ip.is_ipv6() && !ipv6 {
                return err("IPv6 addresses need -6");
            }
            if ip.is_ipv4() && ipv6 {
                return err("IPv4 addresses cannot be scanned with -6");
            }
            // Nmap does not scan IPv4 networks larger than a /0 sensibly; it allows /0 but warns. Keep it.
            return Ok(TargetSpec::Network { base: ip, prefix });
        }
        if host.contains(':') {
            return err(format!("'{host}' is not a valid IPv6 address"));
        }
        if looks_like_octets(host) {
            if ipv6 {
                return err("IPv4 ranges cannot be scanned with -6");
            }
            if prefix.is_some() {
                return err("octet ranges cannot carry a CIDR prefix");
            }
            return parse_octets(host).map(|o| TargetSpec::Octets(Box::new(o)));
        }
        if !valid_hostname(host) {
            return err(format!("'{host}' is not an address, a range or a valid host name"));
        }
        let max = if ipv6 { 128 } else { 32 };
        if let Some(p) = prefix
            && p > max
        {
            return err(format!("CIDR prefix /{p} is larger than /{max}"));
        }
        Ok(TargetSpec::Name { name: host.to_owned(), prefix })
    }

    /// Number of addresses this spec stands for (names count as one network of their prefix). Saturates.
    pub fn size(&self) -> u128 {
        match self {
            TargetSpec::Network { base, prefix } => network_size(base.is_ipv4(), *prefix),
            TargetSpec::Octets(o) => o
                .iter()
                .map(|ranges| ranges.iter().map(|(a, b)| u128::from(*b - *a) + 1).sum::<u128>())
                .product(),
            TargetSpec::Name { prefix, .. } => prefix.map_or(1, |p| network_size(true, p)),
        }
    }

    /// The addresses of an address-only spec, in order, computed lazily. `None` for names (resolve first, then
    /// call [`TargetSpec::addrs_of_resolved`]).
    pub fn addrs(&self) -> Option<Box<dyn Iterator<Item = IpAddr> + Send>> {
        match self {
            TargetSpec::Network { base, prefix } => Some(network_iter(*base, *prefix)),
            TargetSpec::Octets(o) => Some(Box::new(OctetIter::new((**o).clone()))),
            TargetSpec::Name { .. } => None,
        }
    }

    /// The addresses of a name that resolved to `ip`.
    pub fn addrs_of_resolved(&self, ip: IpAddr) -> Box<dyn Iterator<Item = IpAddr> + Send> {
        let max = if ip.is_ipv4() { 32 } else { 128 };
        match self {
            TargetSpec::Name { prefix: Some(p), .. } => network_iter(ip, (*p).min(max)),
            _ => Box::new(std::iter::once(ip)),
        }
    }

    /// Whether an address falls inside this spec (for `--exclude`). Names never match addresses here; excluded
    /// names are resolved by the caller.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self, ip) {
            (TargetSpec::Network { base: IpAddr::V4(b), prefix }, IpAddr::V4(a)) => {
                let mask = if *prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(*prefix)) };
                u32::from(*b) & mask == u32::from(a) & mask
            }
            (TargetSpec::Network { base: IpAddr::V6(b), prefix }, IpAddr::V6(a)) => {
                let mask = if *prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(*prefix)) };
                u128::from(*b) & mask == u128::from(a) & mask
            }
            (TargetSpec::Octets(o), IpAddr::V4(a)) => {
                a.octets().iter().zip(o.iter()).all(|(x, ranges)| ranges.iter().any(|(lo, hi)| lo <= x && x <= hi))
            }
            _ => false,
        }
    }
}

fn network_size(v4: bool, prefix: u8) -> u128 {
    let bits = if v4 { 32 } else { 128 } - u32::from(prefix);
    if bits >= 128 { u128::MAX } else { 1u128 << bits }
}

fn network_iter(base: IpAddr, prefix: u8) -> Box<dyn Iterator<Item = IpAddr> + Send> {
    match base {
        IpAddr::V4(b) => {
            let bits = 32 - u32::from(prefix);
            let mask = if bits == 32 { 0 } else { u32::MAX << bits };
            let start = u64::from(u32::from(b) & mask);
            let end = start + (1u64 << bits) - 1;
            Box::new((start..=end).map(|n| IpAddr::V4(Ipv4Addr::from(n as u32))))
        }
        IpAddr::V6(b) => {
            let bits = 128 - u32::from(prefix);
            let mask = if bits == 128 { 0 } else { u128::MAX << bits };
            let start = u128::from(b) & mask;
            let end = if bits == 128 { u128::MAX } else { start | !mask };
            // `start..=end` over u128 is lazy; a /64 is enumerable in principle and never allocated.
            Box::new((start..=end).map(|n| IpAddr::V6(Ipv6Addr::from(n))))
        }
    }
}

fn looks_like_octets(s: &str) -> bool {
    s.split('.').count() == 4 && s.bytes().all(|b| b.is_ascii_digit() || b"-,*.".contains(&b))
}

fn parse_octets(s: &str) -> Result<[Vec<(u8, u8)>; 4], TargetError> {
    let mut out: [Vec<(u8, u8)>; 4] = Default::default();
    for (i, part) in s.split('.').enumerate() {
        for item in part.split(',') {
            let range = if item == "*" {
                (0, 255)
            } else if let Some((lo, hi)) = item.split_once('-') {
                let lo = if lo.is_empty() { 0 } else { octet(lo, s)? };
                let hi = if hi.is_empty() { 255 } else { octet(hi, s)? };
                if lo > hi {
                    return err(format!("octet range '{item}' in '{s}' runs backwards"));
                }
                (lo, hi)
            } else {
                let v = octet(item, s)?;
                (v, v)
            };
            out[i].push(range);
        }
    }
    Ok(out)
}

fn octet(s: &str, whole: &str) -> Result<u8, TargetError> {
    s.parse::<u8>().map_err(|_| TargetError(format!("'{s}' in '{whole}' is not an octet (0-255)")))
}

fn valid_hostname(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !label.starts_with('-')
        })
        // an all-numeric dotted word that failed to parse as an address is a typo, not a name
        && !s.split('.').all(|l| l.bytes().all(|b| b.is_ascii_digit()))
}

/// Odometer over the four octet range lists.
#[derive(Debug)]
struct OctetIter {
    ranges: [Vec<(u8, u8)>; 4],
    /// Per octet: (index of the range, current value). `None` once exhausted.
    pos: Option<[(usize, u8); 4]>,
}

impl OctetIter {
    fn new(ranges: [Vec<(u8, u8)>; 4]) -> Self {
        let pos = if ranges.iter().all(|r| !r.is_empty()) {
            Some([(0, ranges[0][0].0), (0, ranges[1][0].0), (0, ranges[2][0].0), (0, ranges[3][0].0)])
        } else {
            None
        };
        OctetIter { ranges, pos }
    }
}

impl Iterator for OctetIter {
    type Item = IpAddr;
    fn next(&mut self) -> Option<IpAddr> {
        let pos = self.pos.as_mut()?;
        let ip = IpAddr::V4(Ipv4Addr::new(pos[0].1, pos[1].1, pos[2].1, pos[3].1));
        // advance, last octet fastest
        let mut i = 4;
        loop {
            if i == 0 {
                self.pos = None;
                break;
            }
            i -= 1;
            let (ri, v) = pos[i];
            let (_, hi) = self.ranges[i][ri];
            if v < hi {
                pos[i].1 = v + 1;
                break;
            }
            if ri + 1 < self.ranges[i].len() {
                pos[i] = (ri + 1, self.ranges[i][ri + 1].0);
                break;
            }
            pos[i] = (0, self.ranges[i][0].0);
        }
        Some(ip)
    }
}

/// Reads a target list file (`-iL`): words separated by whitespace, `#` starts a comment.
pub fn read_list(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.split_whitespace())
        .map(str::to_owned)
        .collect()
}

/// `-iR`: a random IPv4 address that is globally routable unicast (not private, reserved, multicast,
/// loopback, documentation, benchmarking or shared address space). Tests check the filter; nothing scans these.
pub fn random_public_ipv4(rng: &mut impl Rng) -> Ipv4Addr {
    loop {
        let ip = Ipv4Addr::from(rng.random::<u32>());
        if is_public_ipv4(ip) {
            return ip;
        }
    }
}

/// Whether an address is one that `-iR` may produce.
pub fn is_public_ipv4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    let n = u32::from(ip);
    let in_net = |base: [u8; 4], len: u32| {
        let mask = u32::MAX << (32 - len);
        n & mask == u32::from(Ipv4Addr::from(base)) & mask
    };
    !(o[0] == 0
        || o[0] == 10
        || o[0] == 127
        || o[0] >= 224
        || in_net([100, 64, 0, 0], 10)
        || in_net([169, 254, 0, 0], 16)
        || in_net([172, 16, 0, 0], 12)
        || in_net([192, 0, 0, 0], 24)
        || in_net([192, 0, 2, 0], 24)
        || in_net([192, 88, 99, 0], 24)
        || in_net([192, 168, 0, 0], 16)
        || in_net([198, 18, 0, 0], 15)
        || in_net([198, 51, 100, 0], 24)
        || in_net([203, 0, 113, 0], 24))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(s: &str) -> Vec<String> {
        TargetSpec::parse(s, false).unwrap().addrs().unwrap().map(|a| a.to_string()).collect()
    }

    #[test]
    fn cidr_and_literals() {
        assert_eq!(addrs("198.18.0.1"), vec!["198.18.0.1"]);
        let v = addrs("198.18.0.5/30");
        assert_eq!(v, vec!["198.18.0.4", "198.18.0.5", "198.18.0.6", "198.18.0.7"]);
        let v6: Vec<String> =
            TargetSpec::parse("2001:db8::/126", true).unwrap().addrs().unwrap().map(|a| a.to_string()).collect();
        assert_eq!(v6, vec!["2001:db8::", "2001:db8::1", "2001:db8::2", "2001:db8::3"]);
    }

    #[test]
    fn octet_ranges() {
        let v = addrs("198.18.0-1.1-2");
        assert_eq!(v, vec!["198.18.0.1", "198.18.0.2", "198.18.1.1", "198.18.1.2"]);
        assert_eq!(addrs("198.18.0.1,5,7-8"), vec!["198.18.0.1", "198.18.0.5", "198.18.0.7", "198.18.0.8"]);
        assert_eq!(TargetSpec::parse("198.18.0-3.1-254", false).unwrap().size(), 4 * 254);
        assert_eq!(TargetSpec::parse("198.18.*.*", false).unwrap().size(), 65536);
        assert_eq!(addrs("198.18.0.-1"), vec!["198.18.0.0", "198.18.0.1"]);
    }

    #[test]
    fn huge_networks_are_lazy() {
        // Pure address arithmetic on a large network: nothing here is sent anywhere.
        let spec = TargetSpec::parse("10.0.0.0/8", false).unwrap();
        assert_eq!(spec.size(), 1 << 24);
        let mut it = spec.addrs().unwrap();
        assert_eq!(it.next().unwrap().to_string(), "10.0.0.0");
        // Skipping to the end walks numbers, allocates nothing.
        assert_eq!(it.last().unwrap().to_string(), "10.255.255.255");
        let v6 = TargetSpec::parse("2001:db8::/32", true).unwrap();
        assert_eq!(v6.addrs().unwrap().nth(1_000_000).unwrap().to_string(), "2001:db8::f:4240");
    }

    #[test]
    fn bad_targets_say_why() {
        let e = |s: &str| TargetSpec::parse(s, false).unwrap_err().0;
        assert_eq!(e("198.18.0.0/33"), "CIDR prefix /33 is larger than /32");
        assert!(e("198.18.0.300").contains("'300'"), "{}", e("198.18.0.300"));
        assert!(e("198.18.5-2.1").contains("backwards"));
        assert!(e("198.18.0.0/x").contains("prefix"));
        assert!(e("bad_name!").contains("not an address"));
        assert_eq!(e("::1"), "IPv6 addresses need -6");
        assert!(TargetSpec::parse("198.18.0.1", true).is_err());
        assert!(e("1.2.3").contains("not an address"));
    }

    #[test]
    fn names_and_exclusion() {
        assert_eq!(
            TargetSpec::parse("scanme.example/30", false).unwrap(),
            TargetSpec::Name { name: "scanme.example".into(), prefix: Some(30) }
        );
        let ex = TargetSpec::parse("198.18.0.0/31", false).unwrap();
        assert!(ex.contains("198.18.0.1".parse().unwrap()));
        assert!(!ex.contains("198.18.0.2".parse().unwrap()));
        let ex = TargetSpec::parse("198.18.0-1.5", false).unwrap();
        assert!(ex.contains("198.18.1.5".parse().unwrap()));
        assert!(!ex.contains("198.18.2.5".parse().unwrap()));
    }

    #[test]
    fn list_files_and_random_targets() {
        assert_eq!(read_list("198.18.0.1 198.18.0.2\n# c\n\n198.18.1.0/24 # x\n"), vec![
            "198.18.0.1",
            "198.18.0.2",
            "198.18.1.0/24"
        ]);
        let mut rng = rand::rng();
        for _ in 0..10_000 {
            let ip = random_public_ipv4(&mut rng);
            assert!(!ip.is_private() && !ip.is_loopback() && !ip.is_multicast());
            assert!(!TargetSpec::parse("198.18.0.0/15", false).unwrap().contains(IpAddr::V4(ip)));
        }
    }
}

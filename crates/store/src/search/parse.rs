//! Query text -> [`Query`] (a list of possibly negated filters). No SQL here.

use chrono::{NaiveDate, NaiveDateTime};
use std::net::IpAddr;

/// Why a query could not be parsed, and where (1-based character column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct QueryError {
    pub column: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub negated: bool,
    pub filter: Filter,
}

/// Which port states a port filter accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortStates {
    Any,
    Open,
    Closed,
    Filtered,
}

/// One port or range, of one protocol or any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortPat {
    pub protocol: Option<String>,
    pub lo: u16,
    pub hi: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    Target(String),
    Profile(String),
    /// Unix seconds.
    After(i64),
    Before(i64),
    /// Inclusive range of addresses (IPv4 as IPv4-mapped IPv6).
    Net { lo: u128, hi: u128 },
    HostAddr(IpAddr),
    HostName(String),
    Service(String),
    Product(String),
    Version(String),
    Ports { states: PortStates, ports: Vec<PortPat> },
    Os(String),
    Script { id: String, output: Option<String> },
    Word(String),
}

impl Filter {
    /// Filters on the scan rather than on its hosts.
    pub fn is_scan_level(&self) -> bool {
        matches!(self, Filter::Target(_) | Filter::Profile(_) | Filter::After(_) | Filter::Before(_))
    }
}

/// Splits into words, honouring double quotes (with `\"` and `\\` inside them).
fn words(text: &str) -> Result<Vec<(usize, String)>, QueryError> {
    let mut out = Vec::new();
    let mut chars = text.chars().enumerate().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let start = i + 1;
        let mut w = String::new();
        let mut quoted_from = None;
        while let Some(&(j, c)) = chars.peek() {
            if quoted_from.is_none() && c.is_whitespace() {
                break;
            }
            chars.next();
            match (c, quoted_from) {
                ('"', None) => quoted_from = Some(j + 1),
                ('"', Some(_)) => quoted_from = None,
                ('\\', Some(_)) => match chars.next() {
                    Some((_, e)) => w.push(e),
                    None => break,
                },
                _ => w.push(c),
            }
        }
        if let Some(col) = quoted_from {
            return Err(QueryError { column: col, message: "unterminated quote".into() });
        }
        out.push((start, w));
    }
    Ok(out)
}

pub fn parse(text: &str) -> Result<Query, QueryError> {
    let mut q = Query::default();
    for (col, w) in words(text)? {
        let (negated, body) = match w.strip_prefix('!').or_else(|| w.strip_prefix('-')) {
            Some(rest) if !rest.is_empty() => (true, rest.to_owned()),
            _ => (false, w.clone()),
        };
        let err = |message: String| QueryError { column: col, message };
        let filter = match body.split_once(':') {
            // A bare IPv6 address has colons but no known key before the first one.
            Some((key, value)) if is_key(key) => {
                if value.is_empty() {
                    return Err(err(format!("{key}: needs a value")));
                }
                filter(key, value).map_err(err)?
            }
            Some((key, _)) if key.chars().all(|c| c.is_ascii_alphabetic()) && !key.is_empty() && body.parse::<IpAddr>().is_err() => {
                return Err(err(format!("unknown filter {key}: (known: {})", KEYS.join(": "))));
            }
            _ => Filter::Word(body),
        };
        q.terms.push(Term { negated, filter });
    }
    Ok(q)
}

const KEYS: &[&str] = &[
    "target", "profile", "after", "before", "net", "host", "service", "product", "version", "port", "open",
    "closed", "filtered", "os", "script",
];

fn is_key(k: &str) -> bool {
    KEYS.contains(&k)
}

fn filter(key: &str, v: &str) -> Result<Filter, String> {
    Ok(match key {
        "target" => Filter::Target(v.into()),
        "profile" => Filter::Profile(v.into()),
        "after" => Filter::After(date(v)?),
        "before" => Filter::Before(date(v)?),
        "net" => net(v)?,
        "host" => match v.parse::<IpAddr>() {
            Ok(ip) => Filter::HostAddr(ip),
            Err(_) => Filter::HostName(v.into()),
        },
        "service" => Filter::Service(v.into()),
        "product" => Filter::Product(v.into()),
        "version" => Filter::Version(v.into()),
        "port" => Filter::Ports { states: PortStates::Any, ports: ports(v)? },
        "open" => Filter::Ports { states: PortStates::Open, ports: ports(v)? },
        "closed" => Filter::Ports { states: PortStates::Closed, ports: ports(v)? },
        "filtered" => Filter::Ports { states: PortStates::Filtered, ports: ports(v)? },
        "os" => Filter::Os(v.into()),
        "script" => match v.split_once(':') {
            Some((id, out)) => Filter::Script { id: id.into(), output: (!out.is_empty()).then(|| out.into()) },
            None => Filter::Script { id: v.into(), output: None },
        },
        _ => return Err(format!("unknown filter {key}:")),
    })
}

fn mapped(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(a.to_ipv6_mapped()),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn net(v: &str) -> Result<Filter, String> {
    let (addr, len) = match v.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (v, None),
    };
    let ip: IpAddr = addr.parse().map_err(|_| format!("net: {addr:?} is not an IP address"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len: u32 = match len {
        Some(l) => l.parse().ok().filter(|n| *n <= max).ok_or_else(|| format!("net: bad prefix length {l:?}"))?,
        None => max,
    };
    // Work in the 128-bit space: an IPv4 prefix of n bits is a mapped prefix of 96 + n.
    let bits = len + (128 - max);
    let host_mask: u128 = if bits >= 128 { 0 } else { u128::MAX >> bits };
    let base = mapped(ip) & !host_mask;
    Ok(Filter::Net { lo: base, hi: base | host_mask })
}

fn ports(v: &str) -> Result<Vec<PortPat>, String> {
    let mut out = Vec::new();
    for part in v.split(',').filter(|p| !p.is_empty()) {
        let (protocol, range) = match part.split_once('/') {
            Some((p, r)) => {
                let p = p.to_ascii_lowercase();
                if !["tcp", "udp", "sctp", "ip"].contains(&p.as_str()) {
                    return Err(format!("unknown protocol {p:?} in port list"));
                }
                (Some(p), r)
            }
            None => (None, part),
        };
        let num = |s: &str| s.trim().parse::<u16>().map_err(|_| format!("{s:?} is not a port number"));
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) => (num(a)?, num(b)?),
            None => (num(range)?, num(range)?),
        };
        if lo > hi {
            return Err(format!("port range {lo}-{hi} is backwards"));
        }
        out.push(PortPat { protocol, lo, hi });
    }
    if out.is_empty() {
        return Err("empty port list".into());
    }
    Ok(out)
}

/// Absolute dates (UTC) or an age (`7d`, `12h`, `30m`, `2w`) before now. Ages are stored as negative
/// offsets and resolved against the clock when the query runs.
fn date(v: &str) -> Result<i64, String> {
    if let Some(n) = v.strip_suffix(['d', 'h', 'm', 'w'])
        && let Ok(n) = n.parse::<i64>()
    {
        let unit = match v.chars().last() {
            Some('m') => 60,
            Some('h') => 3_600,
            Some('d') => 86_400,
            _ => 604_800,
        };
        return n.checked_mul(unit).filter(|s| *s >= 0).map(|s| -s - 1).ok_or_else(|| format!("age {v:?} is too large"));
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).ok_or_else(|| format!("bad date {v:?}"));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(v, fmt) {
            return Ok(t.and_utc().timestamp());
        }
    }
    Err(format!("{v:?} is not a date (use 2024-05-01, 2024-05-01T13:00, or an age such as 7d)"))
}

/// Resolves an `After`/`Before` value: an age (negative) becomes an absolute time.
pub(crate) fn resolve_time(v: i64, now: i64) -> i64 {
    if v < 0 { now - (-v - 1) } else { v }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Term {
        let q = parse(s).unwrap();
        assert_eq!(q.terms.len(), 1, "{s}");
        q.terms.into_iter().next().unwrap()
    }

    #[test]
    fn filters_and_negation() {
        let q = parse(r#"service:ssh !port:23 -os:windows product:"Apache httpd" apache"#).unwrap();
        assert_eq!(q.terms.len(), 5);
        assert_eq!(q.terms[0], Term { negated: false, filter: Filter::Service("ssh".into()) });
        assert_eq!(
            q.terms[1],
            Term { negated: true, filter: Filter::Ports { states: PortStates::Any, ports: vec![PortPat { protocol: None, lo: 23, hi: 23 }] } }
        );
        assert_eq!(q.terms[2], Term { negated: true, filter: Filter::Os("windows".into()) });
        assert_eq!(q.terms[3].filter, Filter::Product("Apache httpd".into()));
        assert_eq!(q.terms[4].filter, Filter::Word("apache".into()));
    }

    #[test]
    fn nets_and_addresses() {
        match one("net:198.18.0.0/24").filter {
            Filter::Net { lo, hi } => {
                assert_eq!(lo, mapped("198.18.0.0".parse().unwrap()));
                assert_eq!(hi, mapped("198.18.0.255".parse().unwrap()));
            }
            f => panic!("{f:?}"),
        }
        match one("net:2001:db8::/32").filter {
            Filter::Net { lo, hi } => {
                assert_eq!(lo, mapped("2001:db8::".parse().unwrap()));
                assert_eq!(hi, mapped("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff".parse().unwrap()));
            }
            f => panic!("{f:?}"),
        }
        assert_eq!(one("host:198.18.0.7").filter, Filter::HostAddr("198.18.0.7".parse().unwrap()));
        assert_eq!(one("host:web").filter, Filter::HostName("web".into()));
        // A bare IPv6 address is a free word, not an unknown key.
        assert_eq!(one("2001:db8::1").filter, Filter::Word("2001:db8::1".into()));
        assert!(parse("net:198.18.0.0/33").is_err());
        assert!(parse("net:nonsense").is_err());
    }

    #[test]
    fn ports_dates_scripts() {
        assert_eq!(
            one("open:22,udp/53,1000-1010").filter,
            Filter::Ports {
                states: PortStates::Open,
                ports: vec![
                    PortPat { protocol: None, lo: 22, hi: 22 },
                    PortPat { protocol: Some("udp".into()), lo: 53, hi: 53 },
                    PortPat { protocol: None, lo: 1000, hi: 1010 },
                ]
            }
        );
        assert_eq!(one("after:2024-05-01").filter, Filter::After(1_714_521_600));
        assert_eq!(one("before:2024-05-01T01:00").filter, Filter::Before(1_714_525_200));
        match one("after:7d").filter {
            Filter::After(v) => assert_eq!(resolve_time(v, 1_000_000), 1_000_000 - 7 * 86_400),
            f => panic!("{f:?}"),
        }
        assert_eq!(one("script:banner:OpenSSH").filter, Filter::Script { id: "banner".into(), output: Some("OpenSSH".into()) });
        assert_eq!(one("script:http-title").filter, Filter::Script { id: "http-title".into(), output: None });
    }

    #[test]
    fn errors_name_the_place() {
        let e = parse("service:ssh colour:blue").unwrap_err();
        assert_eq!(e.column, 13);
        assert!(e.message.contains("unknown filter colour"), "{e}");
        assert_eq!(parse(r#"product:"open"#).unwrap_err().message, "unterminated quote");
        assert!(parse("port:70000").is_err());
        assert!(parse("port:30-20").is_err());
        assert!(parse("after:yesterdayish").is_err());
        assert!(parse("service:").is_err());
        // A lone "-" or "!" is a word, not an empty negation.
        assert_eq!(one("-").filter, Filter::Word("-".into()));
        assert_eq!(parse("").unwrap(), Query::default());
    }
}

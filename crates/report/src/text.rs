//! Small text helpers shared by the writers: Nmap's plurals, time formats and sanitising of untrusted text.

use chrono::{Local, Offset, TimeZone};
use std::borrow::Cow;

pub(crate) fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// "1 IP address (1 host up) scanned in 0.05 seconds", Nmap's summary tail.
pub(crate) fn done_tail(total: u32, up: u32, elapsed: f64) -> String {
    format!(
        "{total} IP {} ({up} {} up) scanned in {elapsed:.2} seconds",
        plural(u64::from(total), "address", "addresses"),
        plural(u64::from(up), "host", "hosts"),
    )
}

/// C `ctime` layout in local time, as Nmap writes in comments and XML: "Thu Nov 26 14:53:31 2026".
pub(crate) fn ctime(secs: i64) -> String {
    match Local.timestamp_opt(secs, 0).single() {
        Some(t) => t.format("%a %b %e %H:%M:%S %Y").to_string(),
        None => format!("@{secs}"),
    }
}

/// "2026-11-26 15:02 UTC", the terminal header's clock. Without a time-zone database the zone is named
/// only when it is UTC; elsewhere it is the numeric offset.
pub(crate) fn short_time(secs: i64) -> String {
    match Local.timestamp_opt(secs, 0).single() {
        Some(t) => {
            let off = t.offset().fix().local_minus_utc();
            let zone = if off == 0 { "UTC".to_owned() } else { t.format("%z").to_string() };
            format!("{} {zone}", t.format("%Y-%m-%d %H:%M"))
        }
        None => format!("@{secs}"),
    }
}

/// "2026-11-26 15:00:54 UTC", the clock of Nmap's "Scanned at" line.
pub(crate) fn long_time(secs: i64) -> String {
    match Local.timestamp_opt(secs, 0).single() {
        Some(t) => {
            let off = t.offset().fix().local_minus_utc();
            let zone = if off == 0 { "UTC".to_owned() } else { t.format("%z").to_string() };
            format!("{} {zone}", t.format("%Y-%m-%d %H:%M:%S"))
        }
        None => format!("@{secs}"),
    }
}

/// Two significant digits in fixed notation, as Nmap prints latencies ("0.000089", "0.00012", "0.010").
pub(crate) fn latency(secs: f64) -> String {
    if !secs.is_finite() || secs <= 0.0 {
        return "0.00".to_owned();
    }
    let decimals = (1 - secs.log10().floor() as i64).clamp(0, 12) as usize;
    format!("{secs:.decimals$}")
}

/// Replaces characters that would corrupt a terminal, a line-based format or XML (C0 controls, DEL, C1
/// controls, U+FFFE/U+FFFF) with `\xHH` (`\u{HHHH}` above 0xFF). Tabs and newlines are replaced too, because
/// every format here is line- or tab-structured.
pub(crate) fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            let n = u32::from(c);
            if n <= 0xff {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:04x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || c == '\u{fffe}' || c == '\u{ffff}'
}

/// Nmap's compact port list: "1-21,23-45".
pub(crate) fn compact_ports(ports: &[u16]) -> String {
    let mut sorted = ports.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && u32::from(sorted[i + 1]) == u32::from(end) + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end { start.to_string() } else { format!("{start}-{end}") });
        i += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_has_two_significant_digits() {
        assert_eq!(latency(0.000089), "0.000089");
        assert_eq!(latency(0.00058), "0.00058");
        assert_eq!(latency(0.00012), "0.00012");
        assert_eq!(latency(0.01), "0.010");
        assert_eq!(latency(1.5), "1.5");
        assert_eq!(latency(0.0), "0.00");
        assert_eq!(latency(f64::NAN), "0.00");
    }

    #[test]
    fn plurals_and_tail() {
        assert_eq!(done_tail(1, 1, 0.054), "1 IP address (1 host up) scanned in 0.05 seconds");
        assert_eq!(done_tail(2, 0, 1.456), "2 IP addresses (0 hosts up) scanned in 1.46 seconds");
        assert_eq!(done_tail(0, 0, 0.0), "0 IP addresses (0 hosts up) scanned in 0.00 seconds");
    }

    #[test]
    fn compacts_ports() {
        assert_eq!(compact_ports(&[23, 1, 2, 3, 45, 44, 5]), "1-3,5,23,44-45");
        assert_eq!(compact_ports(&[65535, 65534]), "65534-65535");
        assert_eq!(compact_ports(&[]), "");
    }

    #[test]
    fn sanitizes_controls() {
        assert_eq!(sanitize("a\u{1b}[31mb\n"), "a\\x1b[31mb\\x0a");
        assert_eq!(sanitize("ok é"), "ok é");
        assert_eq!(sanitize("\u{fffe}\u{85}"), "\\u{fffe}\\x85");
    }
}

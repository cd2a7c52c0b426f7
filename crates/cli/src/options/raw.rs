//! Value parsers of the raw-packet options (`--scanflags`, `-PO`, `-D`, `-S`, `--data`, `--ip-options`,
//! `--spoof-mac`, `--mtu` ...). Each takes the option's canonical name for its messages and returns the
//! decoded value or a [`OptionError::BadValue`] that names the option and quotes the value.
//!
//! The accepted syntax and limits are Nmap's, learnt from its manual and from running `nmap` with good and
//! bad values; where Nmap silently ignores text it cannot read (`--scanflags FOO` sends no flags at all),
//! Portolan refuses it instead.

use super::{OptionError, bad, parse_probe_ports, parse_u32};
use portolan_model::TCP_FLAG_NAMES;
use std::net::{IpAddr, Ipv4Addr};

/// The most decoys Nmap takes (its `MAX_DECOYS`), counting `ME` and every address `RND:n` stands for.
pub const MAX_DECOYS: usize = 128;
/// The largest `--data-length` Nmap accepts (an IPv4 packet's room after the largest headers).
pub const MAX_DATA_LENGTH: u32 = 65_435;
/// IPv4 header options take at most 40 bytes (the header length field counts to 60).
const MAX_IP_OPTIONS: usize = 40;

/// `--scanflags`: a number (decimal, `0x` hex or `0` octal, as C's `strtol` reads it, 0-255) or flag names
/// mashed together in any order and case (`URGPSHFIN`, `synfin`), optionally separated by `,`, `|` or `+`.
pub fn scan_flags(name: &str, s: &str) -> Result<u8, OptionError> {
    let err = |what: String| bad(name, format!("{what} (use a number 0-255 such as 9 or 0x29, or names of URG ACK PSH RST SYN FIN ECE CWR mashed together: URGPSHFIN)"));
    if s.is_empty() {
        return Err(err("empty value".into()));
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            (h, 16)
        } else if s.len() > 1 && s.starts_with('0') {
            (&s[1..], 8)
        } else {
            (s, 10)
        };
        let n = if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            None
        } else {
            u64::from_str_radix(digits, radix).ok()
        };
        return match n {
            Some(n) => u8::try_from(n).map_err(|_| err(format!("'{s}' is out of range (0-255)"))),
            None => Err(err(format!("'{s}' is not a number"))),
        };
    }
    let mut flags = 0u8;
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix([',', '|', '+']) {
            rest = r;
            continue;
        }
        let head = rest.get(..3).unwrap_or(rest);
        match TCP_FLAG_NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(head)) {
            Some((_, bit)) => {
                flags |= bit;
                rest = &rest[3..];
            }
            None => {
                let at = if rest == s { String::new() } else { format!(" at '{rest}'") };
                return Err(err(format!("'{s}' is not a list of TCP flag names{at}")));
            }
        }
    }
    Ok(flags)
}

/// `-PO`: IP protocol numbers 0-255 with ranges (`1,2,4`, `1-6`).
pub fn protocol_list(name: &str, s: &str) -> Result<Vec<u8>, OptionError> {
    let ports = parse_probe_ports(name, s)?;
    ports
        .into_iter()
        .map(|p| u8::try_from(p).map_err(|_| bad(name, format!("protocol number {p} in '{s}' is out of range (0-255)"))))
        .collect()
}

/// A host name's shape (RFC 1123 labels; underscores are tolerated as resolvers do). Nothing is resolved
/// here: names are looked up when the scan starts.
fn is_host_name(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// `-D decoy1,decoy2[,ME],...`: addresses, host names, `ME` (where the real probe goes; at most once) and
/// `RND` / `RND:n` (random addresses). Kept as written; address families are checked against `-6` later.
pub fn decoys(name: &str, s: &str) -> Result<Vec<String>, OptionError> {
    let mut out = Vec::new();
    let mut count = 0usize;
    let mut me = false;
    for d in s.split(',') {
        if d.is_empty() {
            return Err(bad(name, format!("empty decoy in '{s}'")));
        }
        if d.eq_ignore_ascii_case("ME") {
            if me {
                return Err(bad(name, format!("ME can be used only once in '{s}'")));
            }
            me = true;
            count += 1;
        } else if let Some(tail) = d.get(..3).filter(|h| h.eq_ignore_ascii_case("RND")).and_then(|_| d.get(3..)) {
            let n = match tail {
                "" => Some(1),
                tail => tail
                    .strip_prefix(':')
                    .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|n| *n >= 1),
            };
            let Some(n) = n else {
                return Err(bad(name, format!("bad random decoy '{d}' (use RND or RND:<number of decoys>)")));
            };
            count = count.saturating_add(n);
        } else if d.parse::<IpAddr>().is_ok() || is_host_name(d) {
            count += 1;
        } else {
            return Err(bad(name, format!("decoy '{d}' is neither an IP address nor a host name")));
        }
        out.push(d.to_owned());
    }
    if count > MAX_DECOYS {
        return Err(bad(name, format!("'{s}' asks for {count} decoys; at most {MAX_DECOYS} are allowed")));
    }
    Ok(out)
}

/// `-S`: a literal address (the source must be known exactly to forge it).
pub fn source_addr(name: &str, s: &str) -> Result<IpAddr, OptionError> {
    s.parse::<IpAddr>().map_err(|_| bad(name, format!("'{s}' is not an IP address")))
}

/// Whole numbers `0..=max`, with the limits in the message.
pub fn number_upto(name: &str, s: &str, max: u32, what: &str) -> Result<u32, OptionError> {
    let range = || bad(name, format!("'{s}' is not {what} between 0 and {max}"));
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(range());
    }
    match parse_u32(name, s) {
        Ok(n) if n <= max => Ok(n),
        _ => Err(range()),
    }
}

/// `--mtu`: payload bytes per fragment, a positive multiple of 8 that fits the IP length field.
pub fn mtu(name: &str, s: &str) -> Result<u16, OptionError> {
    const MAX: u32 = 65_528;
    let n = number_upto(name, s, MAX, "a multiple of 8").map_err(|_| {
        bad(name, format!("'{s}' is not a multiple of 8 between 8 and {MAX}"))
    })?;
    if n == 0 || n % 8 != 0 {
        return Err(bad(name, format!("'{s}' is not a multiple of 8 between 8 and {MAX}")));
    }
    u16::try_from(n).map_err(|_| bad(name, format!("'{s}' is too large")))
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// `--data`: `0xdeadbeef`, `deadbeef` or `\xde\xad\xbe\xef` (two hex digits per byte; the forms do not mix).
pub fn hex_data(name: &str, s: &str) -> Result<Vec<u8>, OptionError> {
    let err = || bad(name, format!("'{s}' is not a hex string (use 0xdeadbeef, deadbeef or \\xde\\xad\\xbe\\xef)"));
    let bytes: Option<Vec<u8>> = if s.starts_with("\\x") {
        s.split("\\x")
            .skip(1)
            .map(|pair| match pair.as_bytes() {
                [a, b] => Some(hex_digit(*a)? * 16 + hex_digit(*b)?),
                _ => None,
            })
            .collect()
    } else {
        let digits = s.strip_prefix("0x").unwrap_or(s);
        if digits.is_empty() || !digits.len().is_multiple_of(2) {
            None
        } else {
            digits.as_bytes().chunks(2).map(|p| Some(hex_digit(p[0])? * 16 + hex_digit(p[1])?)).collect()
        }
    };
    let bytes = bytes.filter(|b| !b.is_empty()).ok_or_else(err)?;
    payload_fits(name, bytes)
}

/// `--data` and `--data-string` payloads obey `--data-length`'s limit.
pub fn payload_fits(name: &str, bytes: Vec<u8>) -> Result<Vec<u8>, OptionError> {
    if bytes.len() > MAX_DATA_LENGTH as usize {
        return Err(bad(name, format!("{} bytes of data; at most {MAX_DATA_LENGTH} fit in a probe", bytes.len())));
    }
    Ok(bytes)
}

/// `--ip-options`: `R` (record route), `T` (timestamps), `U` (timestamps and addresses), `L addr...` /
/// `S addr...` (loose / strict source route, at most 8 hops: one slot stays free for the target), or raw
/// bytes as `\xHH` with `*N` to repeat the last byte N times in all (`\x01\x07\x04\x00*36\x01`). Returns the
/// option bytes for the IPv4 header (RFC 791 layouts, padded with a leading NOP where Nmap puts one), or
/// `None` for an empty value.
pub fn ip_options(name: &str, s: &str) -> Result<Option<Vec<u8>>, OptionError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let bytes = if t.starts_with('\\') { ip_options_hex(name, t)? } else { ip_options_named(name, t)? };
    if bytes.len() > MAX_IP_OPTIONS {
        return Err(bad(name, format!("'{s}' is {} bytes long; IP options hold at most {MAX_IP_OPTIONS}", bytes.len())));
    }
    if bytes.len() % 4 != 0 {
        return Err(bad(name, format!("'{s}' is {} bytes long; IP options must be a multiple of 4 bytes", bytes.len())));
    }
    Ok(Some(bytes))
}

fn ip_options_named(name: &str, t: &str) -> Result<Vec<u8>, OptionError> {
    let mut words = t.split_whitespace();
    let letter = words.next().unwrap_or_default();
    let zeros = |n: usize| std::iter::repeat_n(0u8, n);
    let bytes: Vec<u8> = match letter {
        // NOP, then record route with room for 9 addresses.
        "R" => [1u8, 7, 39, 4].into_iter().chain(zeros(36)).collect(),
        // Timestamps only (flag 0), room for 9.
        "T" => [0x44u8, 40, 5, 0].into_iter().chain(zeros(36)).collect(),
        // Address and timestamp pairs (flag 1), room for 4.
        "U" => [0x44u8, 36, 5, 1].into_iter().chain(zeros(32)).collect(),
        "L" | "S" => {
            let hops: Vec<Ipv4Addr> = words
                .by_ref()
                .map(|w| w.parse::<Ipv4Addr>().map_err(|_| bad(name, format!("'{w}' in '{t}' is not an IPv4 address"))))
                .collect::<Result<_, _>>()?;
            if hops.len() > 8 {
                return Err(bad(
                    name,
                    format!("'{t}' routes through {} hops; at most 8 fit, one slot stays for the target", hops.len()),
                ));
            }
            let kind = if letter == "L" { 0x83 } else { 0x89 };
            // 3 header bytes, the hops, then the slot the target's address takes when the route is done.
            let len = 3 + 4 * (hops.len() + 1);
            let mut b = vec![1u8, kind, len as u8, 4];
            for h in &hops {
                b.extend_from_slice(&h.octets());
            }
            b.extend(zeros(4));
            b
        }
        other => {
            return Err(bad(
                name,
                format!("unknown IP option '{other}' (use R, T, U, \"L <addr> ...\", \"S <addr> ...\" or \\xHH bytes)"),
            ));
        }
    };
    if let Some(extra) = words.next().filter(|_| !matches!(letter, "L" | "S")) {
        return Err(bad(name, format!("'{extra}' after '{letter}': only L and S take addresses")));
    }
    Ok(bytes)
}

fn ip_options_hex(name: &str, t: &str) -> Result<Vec<u8>, OptionError> {
    let err = |at: &str| bad(name, format!("cannot read '{at}' in '{t}' (write bytes as \\xHH, repeats as \\xHH*N)"));
    let mut out: Vec<u8> = Vec::new();
    let mut rest = t;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("\\x") {
            let n = r.bytes().take(2).take_while(|b| b.is_ascii_hexdigit()).count();
            if n == 0 {
                return Err(err(rest));
            }
            let v = u8::from_str_radix(&r[..n], 16).map_err(|_| err(rest))?;
            out.push(v);
            rest = &r[n..];
        } else if let Some(r) = rest.strip_prefix('*') {
            let n = r.bytes().take_while(u8::is_ascii_digit).count();
            let count = r[..n].parse::<usize>().ok().filter(|c| (1..=255).contains(c));
            let (Some(count), Some(&last)) = (count, out.last()) else {
                return Err(err(rest));
            };
            out.extend(std::iter::repeat_n(last, count - 1));
            rest = &r[n..];
        } else {
            return Err(err(rest));
        }
    }
    Ok(out)
}

/// `--spoof-mac`: `0` (random), a MAC address or a prefix of one in hex (`00:11:22:33:44:55`,
/// `001122334455`, `00:11:22`), or a vendor name that the engine looks up. Kept as written.
pub fn spoof_mac(name: &str, s: &str) -> Result<String, OptionError> {
    if s.is_empty() {
        return Err(bad(name, "empty value (use 0 for a random address)"));
    }
    if s == "0" {
        return Ok(s.to_owned());
    }
    let hexish = s.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
    if hexish {
        let digits = s.bytes().filter(u8::is_ascii_hexdigit).count();
        let groups_ok = !s.contains(':') || s.split(':').all(|g| g.len() == 2);
        if digits > 12 {
            return Err(bad(name, format!("'{s}' is longer than a MAC address (6 bytes)")));
        }
        if digits % 2 != 0 || !groups_ok {
            return Err(bad(name, format!("'{s}': give whole bytes, two hex digits each (00:11:22 or 001122)")));
        }
        return Ok(s.to_owned());
    }
    if s.bytes().any(|b| b.is_ascii_control()) {
        return Err(bad(name, format!("'{s}' is not a MAC address, prefix or vendor name")));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scan_flags_numbers_and_names() {
        let ok = |s: &str| scan_flags("--scanflags", s).unwrap();
        assert_eq!(ok("9"), 9);
        assert_eq!(ok("0x29"), 0x29);
        assert_eq!(ok("012"), 10, "leading zero is octal, as strtol reads it");
        assert_eq!(ok("0"), 0);
        assert_eq!(ok("255"), 255);
        assert_eq!(ok("URGACKPSHRSTSYNFIN"), 0x3f);
        assert_eq!(ok("finsyn"), 0x03);
        assert_eq!(ok("SYN,FIN"), 0x03);
        assert_eq!(ok("SYNSYN"), 0x02);
        assert_eq!(ok("ECECWR"), 0xc0);
        for bad in ["", "256", "0x", "0x100", "9abc", "FOO", "SYNX", "SY", "-1", "08"] {
            let e = scan_flags("--scanflags", bad).unwrap_err().to_string();
            assert!(e.starts_with("portolan: --scanflags: "), "{bad}: {e}");
        }
    }

    #[test]
    fn ip_options_encode_like_nmap() {
        let enc = |s: &str| ip_options("--ip-options", s).unwrap().unwrap();
        // Bytes as `nmap -d --ip-options ...` prints them.
        let r = enc("R");
        assert_eq!(r.len(), 40);
        assert_eq!(&r[..4], &[0x01, 0x07, 0x27, 0x04]);
        assert!(r[4..].iter().all(|b| *b == 0));
        assert_eq!(&enc("T")[..4], &[0x44, 0x28, 0x05, 0x00]);
        assert_eq!(enc("T").len(), 40);
        assert_eq!(&enc("U")[..4], &[0x44, 0x24, 0x05, 0x01]);
        assert_eq!(enc("U").len(), 36);
        assert_eq!(
            enc("L 198.18.0.1 198.18.0.2"),
            [0x01, 0x83, 0x0f, 0x04, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0, 0, 0, 0]
        );
        assert_eq!(enc("S 198.18.0.1"), [0x01, 0x89, 0x0b, 0x04, 0xc6, 0x12, 0x00, 0x01, 0, 0, 0, 0]);
        assert_eq!(enc("L"), [0x01, 0x83, 0x07, 0x04, 0, 0, 0, 0]);
        let hex = enc("\\x01\\x07\\x04\\x00*36\\x01");
        assert_eq!(hex.len(), 40);
        assert_eq!(&hex[..3], &[1, 7, 4]);
        assert_eq!(hex[39], 1);
        assert_eq!(enc("\\x1\\x01\\x01\\x01"), [1, 1, 1, 1]);
        assert_eq!(ip_options("--ip-options", "").unwrap(), None);
        let nine = format!("L{}", " 1.2.3.4".repeat(9));
        for bad in ["X", "r", "R R", "RT", "L 1.2.3", "\\x01\\x07\\x04", "\\x01*0\\x01\\x01\\x01", "\\x01\\x07\\x04\\x00*60\\x01", "\\xzz", nine.as_str()] {
            assert!(ip_options("--ip-options", bad).is_err(), "{bad}");
        }
        assert!(ip_options("--ip-options", &format!("L{}", " 1.2.3.4".repeat(8))).unwrap().unwrap().len() == 40);
    }

    #[test]
    fn data_forms() {
        let ok = |s: &str| hex_data("--data", s).unwrap();
        assert_eq!(ok("0x4142"), b"AB");
        assert_eq!(ok("4142"), b"AB");
        assert_eq!(ok("\\x41\\x42"), b"AB");
        for bad in ["", "0x", "0xzz", "0x123", "41 42", "0X41", "\\x4", "\\x41\\x4g", "\\X41", "abc", "0x41\\x42"] {
            assert!(hex_data("--data", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decoy_rules() {
        let ok = |s: &str| decoys("-D", s).unwrap();
        assert_eq!(ok("198.18.0.5,RND,ME"), ["198.18.0.5", "RND", "ME"]);
        assert_eq!(ok("RND:5"), ["RND:5"]);
        assert_eq!(ok("decoy.example,2001:db8::1"), ["decoy.example", "2001:db8::1"]);
        assert_eq!(ok("RND:127,ME").len(), 2);
        for bad in ["RND:0", "RND:x", "RND:", "RND:129", "RND:128,ME", "ME,ME", "198.18.0.5,,ME", "198.18.0.5,", "bogus..name", ""] {
            assert!(decoys("-D", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn spoof_mac_forms() {
        for good in ["0", "00:11:22:33:44:55", "001122334455", "00:11:22", "0011", "Apple", "Dell Inc"] {
            assert_eq!(spoof_mac("--spoof-mac", good).unwrap(), good);
        }
        for bad in ["", "00:11:22:33:44:55:66", "001", "0:1:2:3:4:5", "0011223344556677"] {
            assert!(spoof_mac("--spoof-mac", bad).is_err(), "{bad}");
        }
    }

    /// Arbitrary text, multi-byte characters included, never panics any value parser.
    #[test]
    fn garbage_never_panics() {
        let pieces = ["\\x", "\\", "x", "0", "0x", "1", "f", "*", "*9", ",", ":", " ", "RND", "RND:", "ME", "L", "S", "R", "é", "ü1", "\u{7f}", "SYN", "9"];
        let mut state = 0x1234_5678_9abc_def0_u64;
        for _ in 0..20_000 {
            let mut s = String::new();
            for _ in 0..(state % 6) {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                s.push_str(pieces[(state >> 33) as usize % pieces.len()]);
            }
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let _ = scan_flags("--scanflags", &s);
            let _ = protocol_list("-PO", &s);
            let _ = decoys("-D", &s);
            let _ = source_addr("-S", &s);
            let _ = mtu("--mtu", &s);
            let _ = hex_data("--data", &s);
            let _ = ip_options("--ip-options", &s);
            let _ = spoof_mac("--spoof-mac", &s);
        }
        // A multi-byte letter straddling byte 3 (where `RND` would end): refused, not a panic.
        assert!(decoys("-D", "ab\u{e9}").is_err());
    }

    #[test]
    fn mtu_and_numbers() {
        assert_eq!(mtu("--mtu", "16").unwrap(), 16);
        assert_eq!(mtu("--mtu", "65528").unwrap(), 65528);
        for bad in ["0", "12", "1500", "x", "65536", "-8", ""] {
            assert!(mtu("--mtu", bad).is_err(), "{bad}");
        }
        assert_eq!(number_upto("--ttl", "255", 255, "a number").unwrap(), 255);
        assert!(number_upto("--ttl", "256", 255, "a number").is_err());
        assert!(number_upto("--ttl", "-1", 255, "a number").is_err());
    }
}

//! IP protocol names for `-sO`'s SERVICE column, from the system's protocols table (`/etc/protocols`, IANA's
//! "Assigned Internet Protocol Numbers" as Debian's netbase ships it), or from `DIR/nmap-protocols` when the
//! user opted in with `--datadir DIR` (same format). netbase names some numbers differently from IANA's
//! keywords (0 `ip` for `hopopt`, 4 `ipencap` for `ipv4`) and leaves some out; Nmap's file uses the keywords.

use std::collections::HashMap;
use std::sync::OnceLock;

static TABLE: OnceLock<HashMap<u16, String>> = OnceLock::new();

/// Loads the table once: `DIR/nmap-protocols` with `--datadir`, else the system's.
pub(crate) fn load(datadir: Option<&std::path::Path>) {
    let path = datadir.map_or_else(|| std::path::PathBuf::from("/etc/protocols"), |d| d.join("nmap-protocols"));
    let _ = TABLE.set(std::fs::read_to_string(path).map(|t| parse(&t)).unwrap_or_default());
}

fn table() -> &'static HashMap<u16, String> {
    TABLE.get_or_init(|| std::fs::read_to_string("/etc/protocols").map(|t| parse(&t)).unwrap_or_default())
}

/// `name number [aliases] [# comment]` lines; the first name given for a number wins.
pub(crate) fn parse(text: &str) -> HashMap<u16, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let (Some(name), Some(num)) = (words.next(), words.next()) else { continue };
        if let Ok(n) = num.parse::<u16>() {
            out.entry(n).or_insert_with(|| name.to_owned());
        }
    }
    out
}

/// The name of IP protocol `number`, if the system knows it.
pub(crate) fn name(number: u16) -> Option<String> {
    table().get(&number).cloned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_the_protocols_format() {
        let t = super::parse("# comment\nip\t0\tIP\t\t# internet protocol\nicmp\t1\tICMP\ntcp 6 TCP\nbad x\n");
        assert_eq!(t.get(&0).map(String::as_str), Some("ip"));
        assert_eq!(t.get(&1).map(String::as_str), Some("icmp"));
        assert_eq!(t.get(&6).map(String::as_str), Some("tcp"));
        assert_eq!(t.len(), 3);
    }
}

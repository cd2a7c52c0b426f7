//! The services database: port/protocol -> service name and frequency, in Nmap's `nmap-services` format.
//!
//! Format, one entry per line: `name <whitespace> port/protocol [<whitespace> frequency] [# comment]`.
//! Blank lines and lines starting with `#` are ignored; columns after the frequency are ignored (Nmap's own
//! file carries extra ones). A missing frequency counts as 0, as Nmap treats it.
//!
//! Portolan's own file, `data/portolan-services`, is embedded in the binary; see `data/PROVENANCE.md` for what
//! its frequencies mean (an editorial rank, not a measurement).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use portolan_model::{PortSpec, Protocol};

/// The text of Portolan's own services database, as committed in `data/portolan-services`.
pub const BUILTIN_TEXT: &str = include_str!("../../../data/portolan-services");

/// The name `builtin()` gives its source in errors and in `ServicesDb::source`.
pub const BUILTIN_SOURCE: &str = "portolan-services (built in)";

/// File names `load_from_datadir` looks for, in order of preference.
pub const DATADIR_FILES: [&str; 2] = ["nmap-services", "portolan-services"];

/// One line of a services database.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceEntry {
    pub name: String,
    pub port: u16,
    pub protocol: Protocol,
    /// How often the service is expected open, in [0, 1]; in Portolan's own file a function of its rank.
    pub frequency: f64,
    /// 1-based line number in the source text, for messages that point back at the file.
    pub line: usize,
}

/// What is wrong with one line of a services file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    /// Only a name, no `port/protocol` column.
    MissingPort,
    /// The second column is not `port/protocol`.
    NotPortProtocol(String),
    /// The port is not a number from 0 to 65535.
    BadPort(String),
    /// The protocol is not tcp, udp or sctp.
    UnknownProtocol(String),
    /// The frequency is not a number from 0 to 1.
    BadFrequency(String),
    /// The service name contains control characters or bytes that were not UTF-8.
    BadName(String),
    /// The same port/protocol was already defined.
    Duplicate {
        port: u16,
        protocol: Protocol,
        first_line: usize,
    },
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineProblem::MissingPort => {
                f.write_str("expected 'name port/protocol [frequency]', found only a name")
            }
            LineProblem::NotPortProtocol(s) => {
                write!(f, "'{}' is not port/protocol", s.escape_debug())
            }
            LineProblem::BadPort(s) => write!(
                f,
                "port '{}' is not a number from 0 to 65535",
                s.escape_debug()
            ),
            LineProblem::UnknownProtocol(s) => {
                write!(f, "protocol '{}' is not tcp, udp or sctp", s.escape_debug())
            }
            LineProblem::BadFrequency(s) => {
                write!(
                    f,
                    "frequency '{}' is not a number from 0 to 1",
                    s.escape_debug()
                )
            }
            LineProblem::BadName(s) => write!(
                f,
                "service name '{}' is not printable text",
                s.escape_debug()
            ),
            LineProblem::Duplicate {
                port,
                protocol,
                first_line,
            } => {
                write!(
                    f,
                    "{port}/{protocol} is already defined on line {first_line}"
                )
            }
        }
    }
}

/// A services file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum ServicesError {
    #[error("{source_name} line {line}: {problem}")]
    Line {
        source_name: String,
        line: usize,
        problem: LineProblem,
    },
    #[error("cannot read services file {}: {error}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    #[error("no services file in {}: looked for {} and {}", dir.display(), DATADIR_FILES[0], DATADIR_FILES[1])]
    NotFound { dir: PathBuf },
}

/// The entries of one protocol, in rank order, with an index by port.
#[derive(Debug, Clone, Default)]
struct Table {
    ranked: Vec<ServiceEntry>,
    by_port: HashMap<u16, usize>,
}

/// A parsed services database.
///
/// Invariants: at most one entry per port and protocol; each protocol's entries are kept sorted by
/// frequency descending, then port ascending, so `top(p, n)` is a prefix of `top(p, m)` for n <= m.
#[derive(Debug, Clone)]
pub struct ServicesDb {
    source: String,
    tcp: Table,
    udp: Table,
    sctp: Table,
    /// Always empty: IP protocol numbers are not services (their names come from a protocols table).
    ip: Table,
}

impl ServicesDb {
    /// Parses services-file text. `source_name` names the text in errors (a path, or a label).
    pub fn parse(text: &str, source_name: &str) -> Result<ServicesDb, ServicesError> {
        let mut tcp = Vec::new();
        let mut udp = Vec::new();
        let mut sctp = Vec::new();
        let mut first_seen: HashMap<(u16, Protocol), usize> = HashMap::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let fail = |problem| ServicesError::Line {
                source_name: source_name.to_owned(),
                line,
                problem,
            };
            let entry = match parse_line(raw, line).map_err(fail)? {
                Some(entry) => entry,
                None => continue,
            };
            if let Some(&first_line) = first_seen.get(&(entry.port, entry.protocol)) {
                return Err(fail(LineProblem::Duplicate {
                    port: entry.port,
                    protocol: entry.protocol,
                    first_line,
                }));
            }
            first_seen.insert((entry.port, entry.protocol), line);
            match entry.protocol {
                Protocol::Tcp => tcp.push(entry),
                Protocol::Udp => udp.push(entry),
                Protocol::Sctp => sctp.push(entry),
                // Not a services-file protocol; such a line names nothing a port scan reports.
                Protocol::Ip => {}
            }
        }
        Ok(ServicesDb {
            source: source_name.to_owned(),
            tcp: Table::new(tcp),
            udp: Table::new(udp),
            sctp: Table::new(sctp),
            ip: Table::new(Vec::new()),
        })
    }

    /// Portolan's own database (`data/portolan-services`), parsed once and shared.
    pub fn builtin() -> &'static ServicesDb {
        static DB: OnceLock<ServicesDb> = OnceLock::new();
        DB.get_or_init(|| {
            // The text is compiled in and the test suite parses it, so failure here is a build defect.
            #[allow(clippy::expect_used)]
            ServicesDb::parse(BUILTIN_TEXT, BUILTIN_SOURCE)
                .expect("the built-in services database parses")
        })
    }

    /// Reads and parses a services file. Bytes that are not UTF-8 are tolerated in comments; in a service
    /// name they are an error.
    pub fn load(path: &Path) -> Result<ServicesDb, ServicesError> {
        let bytes = std::fs::read(path).map_err(|error| ServicesError::Io {
            path: path.to_owned(),
            error,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        ServicesDb::parse(&text, &path.display().to_string())
    }

    /// Reads `<dir>/nmap-services` if it exists, else `<dir>/portolan-services` (the `--datadir` rule).
    pub fn load_from_datadir(dir: &Path) -> Result<ServicesDb, ServicesError> {
        for file in DATADIR_FILES {
            let path = dir.join(file);
            if path.exists() {
                return ServicesDb::load(&path);
            }
        }
        Err(ServicesError::NotFound {
            dir: dir.to_owned(),
        })
    }

    /// Where the database came from: a path, or `BUILTIN_SOURCE`.
    pub fn source(&self) -> &str {
        &self.source
    }

    fn table(&self, protocol: Protocol) -> &Table {
        match protocol {
            Protocol::Tcp => &self.tcp,
            Protocol::Udp => &self.udp,
            Protocol::Sctp => &self.sctp,
            Protocol::Ip => &self.ip,
        }
    }

    /// The entry for a port, if the database has one.
    pub fn get(&self, port: u16, protocol: Protocol) -> Option<&ServiceEntry> {
        let table = self.table(protocol);
        table.by_port.get(&port).and_then(|&i| table.ranked.get(i))
    }

    /// The service name of a port (Nmap prints "unknown" where this is `None`).
    pub fn name(&self, port: u16, protocol: Protocol) -> Option<&str> {
        self.get(port, protocol).map(|e| e.name.as_str())
    }

    /// The frequency of a port, if the database has an entry for it.
    pub fn frequency(&self, port: u16, protocol: Protocol) -> Option<f64> {
        self.get(port, protocol).map(|e| e.frequency)
    }

    /// The `n` most frequent ports of a protocol, most frequent first (ties: lower port first). Fewer than
    /// `n` when the database has fewer entries.
    pub fn top(&self, protocol: Protocol, n: usize) -> Vec<u16> {
        self.table(protocol)
            .ranked
            .iter()
            .take(n)
            .map(|e| e.port)
            .collect()
    }

    /// A port spec of the top `tcp_n` TCP and top `udp_n` UDP ports (`--top-ports`, `-F` = 100, default 1000).
    pub fn top_spec(&self, tcp_n: usize, udp_n: usize) -> PortSpec {
        self.top_spec_with_sctp(tcp_n, udp_n, 0)
    }

    /// As `top_spec`, with the top `sctp_n` SCTP ports too (for SCTP scans).
    pub fn top_spec_with_sctp(&self, tcp_n: usize, udp_n: usize, sctp_n: usize) -> PortSpec {
        let mut spec = PortSpec::from_ports(
            &self.top(Protocol::Tcp, tcp_n),
            &self.top(Protocol::Udp, udp_n),
        );
        let one = |p: u16| portolan_model::PortRange { start: p, end: p };
        spec.sctp = self
            .top(Protocol::Sctp, sctp_n)
            .into_iter()
            .map(one)
            .collect();
        spec.normalise();
        spec
    }

    /// How many entries a protocol has.
    pub fn len(&self, protocol: Protocol) -> usize {
        self.table(protocol).ranked.len()
    }

    /// All entries of a protocol in rank order (frequency descending, port ascending).
    pub fn entries(&self, protocol: Protocol) -> &[ServiceEntry] {
        &self.table(protocol).ranked
    }
}

impl Table {
    fn new(mut entries: Vec<ServiceEntry>) -> Table {
        entries.sort_by(|a, b| {
            b.frequency
                .total_cmp(&a.frequency)
                .then(a.port.cmp(&b.port))
        });
        let by_port = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.port, i))
            .collect();
        Table {
            ranked: entries,
            by_port,
        }
    }
}

/// One line to an entry; `None` for blank and comment lines.
fn parse_line(raw: &str, line: usize) -> Result<Option<ServiceEntry>, LineProblem> {
    let content = raw.split('#').next().unwrap_or_default();
    let mut fields = content.split_whitespace();
    let Some(name) = fields.next() else {
        return Ok(None);
    };
    if name
        .chars()
        .any(|c| c.is_control() || c == char::REPLACEMENT_CHARACTER)
    {
        return Err(LineProblem::BadName(name.to_owned()));
    }
    let port_proto = fields.next().ok_or(LineProblem::MissingPort)?;
    let (port_s, proto_s) = port_proto
        .split_once('/')
        .ok_or_else(|| LineProblem::NotPortProtocol(port_proto.to_owned()))?;
    // u16::from_str accepts a leading '+', which no services file uses; insist on digits.
    if port_s.is_empty() || !port_s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LineProblem::BadPort(port_s.to_owned()));
    }
    let port = u16::from_str(port_s).map_err(|_| LineProblem::BadPort(port_s.to_owned()))?;
    let protocol = Protocol::from_str(proto_s)
        .map_err(|_| LineProblem::UnknownProtocol(proto_s.to_owned()))?;
    let frequency = match fields.next() {
        None => 0.0,
        Some(f) => match f64::from_str(f) {
            Ok(v) if (0.0..=1.0).contains(&v) => v,
            _ => return Err(LineProblem::BadFrequency(f.to_owned())),
        },
    };
    Ok(Some(ServiceEntry {
        name: name.to_owned(),
        port,
        protocol,
        frequency,
        line,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_error(text: &str) -> (usize, LineProblem, String) {
        match ServicesDb::parse(text, "test-file") {
            Err(e @ ServicesError::Line { .. }) => {
                let msg = e.to_string();
                let ServicesError::Line { line, problem, .. } = e else {
                    unreachable!()
                };
                (line, problem, msg)
            }
            other => panic!("expected a line error, got {other:?}"),
        }
    }

    #[test]
    fn parses_entries_comments_and_extra_columns() {
        let text = "# header\n\nssh\t22/tcp\t0.18\t# Secure Shell\nhttp 80/tcp 0.48 extra columns here\n\
                    domain\t53/udp\nsnmp\t161/udp\t0.43\n   # indented comment\nm3ua 2905/sctp 0.001\n";
        let db = ServicesDb::parse(text, "t").unwrap();
        assert_eq!(db.name(22, Protocol::Tcp), Some("ssh"));
        assert_eq!(db.name(22, Protocol::Udp), None);
        assert_eq!(
            db.frequency(53, Protocol::Udp),
            Some(0.0),
            "missing frequency counts as 0"
        );
        assert_eq!(db.top(Protocol::Tcp, 10), vec![80, 22]);
        assert_eq!(db.top(Protocol::Udp, 10), vec![161, 53]);
        assert_eq!(db.name(2905, Protocol::Sctp), Some("m3ua"));
        assert_eq!(db.len(Protocol::Tcp), 2);
        assert_eq!(db.get(80, Protocol::Tcp).unwrap().line, 4);
    }

    #[test]
    fn ties_are_broken_by_port_ascending() {
        let db = ServicesDb::parse(
            "b 900/tcp 0.1\na 30/tcp 0.1\nc 7/tcp 0.2\nd 5/tcp 0.1\n",
            "t",
        )
        .unwrap();
        assert_eq!(db.top(Protocol::Tcp, 4), vec![7, 5, 30, 900]);
    }

    #[test]
    fn top_spec_collects_each_protocol() {
        let db = ServicesDb::parse("a 1/tcp 0.3\nb 2/tcp 0.2\nc 3/udp 0.1\nd 4/sctp 0.1\n", "t")
            .unwrap();
        let spec = db.top_spec(1, 5);
        assert_eq!(spec.ports(Protocol::Tcp).collect::<Vec<_>>(), vec![1]);
        assert_eq!(spec.ports(Protocol::Udp).collect::<Vec<_>>(), vec![3]);
        assert_eq!(spec.count(Protocol::Sctp), 0);
        assert_eq!(
            db.top_spec_with_sctp(0, 0, 1)
                .ports(Protocol::Sctp)
                .collect::<Vec<_>>(),
            vec![4]
        );
    }

    #[test]
    fn malformed_lines_name_file_line_and_problem() {
        let (line, problem, msg) = line_error("# ok\nssh 22/tcp 0.1\nlonely\n");
        assert_eq!((line, problem), (3, LineProblem::MissingPort));
        assert!(msg.starts_with("test-file line 3: "), "{msg}");

        assert_eq!(
            line_error("x 22-tcp 0.1").1,
            LineProblem::NotPortProtocol("22-tcp".into())
        );
        assert_eq!(
            line_error("\nx 70000/tcp").1,
            LineProblem::BadPort("70000".into())
        );
        assert_eq!(
            line_error("x +22/tcp").1,
            LineProblem::BadPort("+22".into())
        );
        assert_eq!(line_error("x /tcp").1, LineProblem::BadPort("".into()));
        assert_eq!(
            line_error("x 22/ddp").1,
            LineProblem::UnknownProtocol("ddp".into())
        );
        assert_eq!(
            line_error("x 22/tcp lots").1,
            LineProblem::BadFrequency("lots".into())
        );
        assert_eq!(
            line_error("x 22/tcp 1.5").1,
            LineProblem::BadFrequency("1.5".into())
        );
        assert_eq!(
            line_error("x 22/tcp NaN").1,
            LineProblem::BadFrequency("NaN".into())
        );
        assert_eq!(
            line_error("x\u{1}y 22/tcp").1,
            LineProblem::BadName("x\u{1}y".into())
        );
        let (line, problem, msg) = line_error("a 22/tcp 0.1\nb 22/udp 0.1\n\nc 22/tcp 0.2\n");
        assert_eq!(line, 4);
        assert_eq!(
            problem,
            LineProblem::Duplicate {
                port: 22,
                protocol: Protocol::Tcp,
                first_line: 1
            }
        );
        assert!(msg.contains("already defined on line 1"), "{msg}");
    }

    #[test]
    fn error_messages_escape_what_they_quote() {
        let (_, _, msg) = line_error("x 22/t\u{1b}[31m 0.1");
        assert!(
            !msg.contains('\u{1b}'),
            "control characters must not reach a terminal: {msg:?}"
        );
    }
}

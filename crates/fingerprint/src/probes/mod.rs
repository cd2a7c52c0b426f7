//! Service probes for version detection (`-sV`): the probe database in Nmap's `nmap-service-probes`
//! format, its matcher, and the "service fingerprint" text printed for services nothing matched.
//!
//! Format (one directive per line; `#` lines and blank lines are ignored):
//!
//! ```text
//! Exclude <port spec>                       # T:/U: prefixes as with -p; once, before any Probe
//! Probe <TCP|UDP> <name> q<d>bytes<d> [no-payload]
//! match <service> m<d>regex<d>[s][i] [p<d>..<d>] [v..] [i..] [h..] [o..] [d..] [cpe:<d>..<d>[a]]...
//! softmatch <service> m<d>regex<d>[s][i] [same fields]
//! ports <list>   sslports <list>   totalwaitms <ms>   tcpwrappedms <ms>   rarity <1-9>
//! fallback <probe>[,<probe>...]
//! ```
//!
//! `<d>` is any byte: a string runs to the next occurrence of its delimiter (there is no escaping of it).
//! Probe strings take C escapes (`\0 \a \b \f \n \r \t \v \\ \xHH`, and `\` before any other
//! punctuation stands for it). Patterns are PCRE2 regular expressions run on bytes, without UTF mode, so
//! `\0` and `\xHH` mean single bytes; a raw non-ASCII byte in a pattern stands for itself. Version fields
//! take `$1`..`$9`, `$P(n)`, `$SUBST(n,"from","to")` and `$I(n,">")` / `$I(n,"<")`.
//!
//! Invariants of a parsed [`ProbeDb`]: every pattern compiled once at load (JIT where the platform has
//! it); every `$n` in a template names a group its pattern has; every `fallback` names a probe of the
//! database; probe names are unique; match lines keep file order, which is the order they are tried in.

mod matcher;
mod parse;
mod submit;
mod template;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use matcher::ServiceMatch;
pub use submit::{SF_LINE_WIDTH, ServiceFingerprint};
pub use template::{Template, TemplatePiece};

/// The text of Portolan's own probe database, as committed in `data/portolan-service-probes`.
pub const BUILTIN_TEXT: &str = include_str!("../../../../data/portolan-service-probes");

/// The name `builtin()` gives its source in errors and in `ProbeDb::source`.
pub const BUILTIN_SOURCE: &str = "portolan-service-probes (built in)";

/// File names `load_from_datadir` looks for, in order of preference.
pub const DATADIR_FILES: [&str; 2] = ["nmap-service-probes", "portolan-service-probes"];

/// Nmap's default `--version-intensity`.
pub const DEFAULT_INTENSITY: u8 = 7;

/// The rarity a probe without a `rarity` line is given when filtering by intensity. The format leaves
/// it unspecified; the middle of the 1-9 scale keeps such a probe in default scans.
pub const DEFAULT_RARITY: u8 = 5;

/// Transport of a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProbeProtocol {
    Tcp,
    Udp,
}

impl ProbeProtocol {
    /// `TCP` or `UDP`, as the file and the fingerprint spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeProtocol::Tcp => "TCP",
            ProbeProtocol::Udp => "UDP",
        }
    }
}

/// One field of a match line's version information, by its letter.
#[derive(Debug, Clone, Default)]
pub struct VersionTemplates {
    /// `p//`
    pub product: Option<Template>,
    /// `v//`
    pub version: Option<Template>,
    /// `i//`
    pub info: Option<Template>,
    /// `h//`
    pub hostname: Option<Template>,
    /// `o//`
    pub os_type: Option<Template>,
    /// `d//`
    pub device_type: Option<Template>,
    /// `cpe://`, in line order.
    pub cpe: Vec<Template>,
}

/// A `match` or `softmatch` line, compiled.
pub struct MatchRule {
    pub service: String,
    pub soft: bool,
    /// The pattern as written between its delimiters (non-UTF-8 bytes replaced for display).
    pub pattern: String,
    /// `i` flag.
    pub caseless: bool,
    /// `s` flag (`.` matches newlines too).
    pub dot_all: bool,
    pub templates: VersionTemplates,
    /// 1-based line in the source file.
    pub line: usize,
    regex: pcre2::bytes::Regex,
}

impl fmt::Debug for MatchRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MatchRule")
            .field("service", &self.service)
            .field("soft", &self.soft)
            .field("pattern", &self.pattern)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

/// A `Probe` with the directives that follow it.
#[derive(Debug)]
pub struct Probe {
    pub protocol: ProbeProtocol,
    pub name: String,
    /// The bytes to send (empty for the NULL probe: connect and listen).
    pub payload: Vec<u8>,
    /// `no-payload`: the probe is for matching only (e.g. its payload is sent by other means).
    pub no_payload: bool,
    /// `ports`, inclusive ranges.
    pub ports: Vec<(u16, u16)>,
    /// `sslports`, inclusive ranges: ports where this probe is likely to help once inside TLS.
    pub ssl_ports: Vec<(u16, u16)>,
    pub total_wait_ms: Option<u32>,
    pub tcpwrapped_ms: Option<u32>,
    pub rarity: Option<u8>,
    /// `fallback` probe names, as written.
    pub fallback: Vec<String>,
    pub matches: Vec<MatchRule>,
    /// 1-based line of the `Probe` directive.
    pub line: usize,
    /// `fallback` resolved to indexes into the database's probes.
    fallback_ids: Vec<usize>,
}

impl Probe {
    /// Whether `ports` lists `port`.
    pub fn port_listed(&self, port: u16) -> bool {
        covers(&self.ports, port)
    }

    /// Whether `sslports` lists `port`.
    pub fn ssl_port_listed(&self, port: u16) -> bool {
        covers(&self.ssl_ports, port)
    }

    /// The rarity used for `--version-intensity` filtering.
    pub fn effective_rarity(&self) -> u8 {
        self.rarity.unwrap_or(DEFAULT_RARITY)
    }

    /// Whether one of this probe's own match lines (hard or soft) is for `service`: after a softmatch,
    /// only such probes can improve on it.
    pub fn has_match_for(&self, service: &str) -> bool {
        self.matches.iter().any(|m| m.service == service)
    }

    /// Whether this is the NULL probe (TCP, empty payload: the banner a server sends unasked).
    pub fn is_null(&self) -> bool {
        self.protocol == ProbeProtocol::Tcp && self.name == "NULL"
    }
}

fn covers(ranges: &[(u16, u16)], port: u16) -> bool {
    ranges.iter().any(|&(lo, hi)| lo <= port && port <= hi)
}

/// One element of the `Exclude` directive: a port range, for one protocol or (no prefix) for all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExcludeRange {
    pub protocol: Option<ProbeProtocol>,
    pub low: u16,
    pub high: u16,
}

/// What is wrong at one place of a probes file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeProblem {
    UnknownDirective(String),
    /// A directive that belongs to a probe before the first `Probe`.
    OutsideProbe(String),
    MissingArgument(&'static str),
    BadProtocol(String),
    DuplicateProbe(String),
    /// A `q`/`m`/field string without its opening letter where one is required.
    Expected(&'static str),
    Unterminated(&'static str),
    BadEscape(String),
    BadPort(String),
    BadNumber(String),
    BadRarity(String),
    UnknownFlag(char),
    UnknownField(String),
    DuplicateField(char),
    TrailingText(String),
    /// A second `ports`, `sslports`, `rarity`, ... for the same probe, or a second `Exclude`.
    Duplicate(&'static str),
    ExcludeAfterProbe,
    /// PCRE2 refused the pattern; the column points at the offending byte.
    Regex(String),
    BadTemplate(String),
    /// `$n` names a group the pattern does not have.
    NoSuchGroup(u8),
    UnknownFallback(String),
}

impl fmt::Display for ProbeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeProblem::UnknownDirective(d) => {
                write!(f, "unknown directive '{}'", d.escape_debug())
            }
            ProbeProblem::OutsideProbe(d) => {
                write!(f, "'{}' must follow a Probe directive", d.escape_debug())
            }
            ProbeProblem::MissingArgument(what) => write!(f, "missing {what}"),
            ProbeProblem::BadProtocol(p) => {
                write!(f, "protocol '{}' is not TCP or UDP", p.escape_debug())
            }
            ProbeProblem::DuplicateProbe(n) => {
                write!(f, "a probe named '{}' already exists", n.escape_debug())
            }
            ProbeProblem::Expected(what) => write!(f, "expected {what}"),
            ProbeProblem::Unterminated(what) => {
                write!(
                    f,
                    "{what} is not closed by its delimiter before the end of the line"
                )
            }
            ProbeProblem::BadEscape(e) => write!(f, "bad escape '{}'", e.escape_debug()),
            ProbeProblem::BadPort(p) => {
                write!(
                    f,
                    "'{}' is not a port (0-65535) or port range",
                    p.escape_debug()
                )
            }
            ProbeProblem::BadNumber(n) => write!(f, "'{}' is not a number", n.escape_debug()),
            ProbeProblem::BadRarity(n) => {
                write!(
                    f,
                    "rarity '{}' is not a number from 1 to 9",
                    n.escape_debug()
                )
            }
            ProbeProblem::UnknownFlag(c) => {
                write!(
                    f,
                    "unknown flag '{}' (patterns take s and i)",
                    c.escape_debug()
                )
            }
            ProbeProblem::UnknownField(s) => write!(
                f,
                "unknown version field '{}' (expected p v i h o d or cpe:)",
                s.escape_debug()
            ),
            ProbeProblem::DuplicateField(c) => write!(f, "version field '{c}' given twice"),
            ProbeProblem::TrailingText(s) => {
                write!(f, "unexpected text '{}'", s.escape_debug())
            }
            ProbeProblem::Duplicate(what) => write!(f, "{what} given twice"),
            ProbeProblem::ExcludeAfterProbe => f.write_str("Exclude must come before any Probe"),
            ProbeProblem::Regex(e) => write!(f, "pattern does not compile: {e}"),
            ProbeProblem::BadTemplate(e) => write!(f, "bad substitution: {e}"),
            ProbeProblem::NoSuchGroup(n) => {
                write!(
                    f,
                    "${n} refers to a capture group the pattern does not have"
                )
            }
            ProbeProblem::UnknownFallback(n) => {
                write!(f, "fallback probe '{}' does not exist", n.escape_debug())
            }
        }
    }
}

/// A probes file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{source_name} line {line} column {column}: {problem}")]
    Syntax {
        source_name: String,
        line: usize,
        /// 1-based, counted in bytes.
        column: usize,
        problem: ProbeProblem,
    },
    #[error("cannot read service probes file {}: {error}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    #[error("no service probes file in {}: looked for {} and {}", dir.display(), DATADIR_FILES[0], DATADIR_FILES[1])]
    NotFound { dir: PathBuf },
}

/// A parsed, compiled service-probe database.
#[derive(Debug)]
pub struct ProbeDb {
    source: String,
    exclude: Vec<ExcludeRange>,
    probes: Vec<Probe>,
}

impl ProbeDb {
    /// Parses probe-file text. `source_name` names the text in errors (a path, or a label).
    pub fn parse(text: &str, source_name: &str) -> Result<ProbeDb, ProbeError> {
        ProbeDb::parse_bytes(text.as_bytes(), source_name)
    }

    /// As `parse`, for text that is not all UTF-8 (Nmap's file has Latin-1 and UTF-8 bytes in comments
    /// and version strings; a pattern's raw byte stands for that byte).
    pub fn parse_bytes(text: &[u8], source_name: &str) -> Result<ProbeDb, ProbeError> {
        let (exclude, probes) = parse::parse(text).map_err(|e| ProbeError::Syntax {
            source_name: source_name.to_owned(),
            line: e.line,
            column: e.column,
            problem: e.problem,
        })?;
        Ok(ProbeDb {
            source: source_name.to_owned(),
            exclude,
            probes,
        })
    }

    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<ProbeDb, ProbeError> {
        let text = std::fs::read(path).map_err(|error| ProbeError::Io {
            path: path.to_owned(),
            error,
        })?;
        ProbeDb::parse_bytes(&text, &path.display().to_string())
    }

    /// Loads `nmap-service-probes`, else `portolan-service-probes`, from a data directory.
    pub fn load_from_datadir(dir: &Path) -> Result<ProbeDb, ProbeError> {
        for name in DATADIR_FILES {
            let path = dir.join(name);
            if path.is_file() {
                return ProbeDb::load(&path);
            }
        }
        Err(ProbeError::NotFound {
            dir: dir.to_owned(),
        })
    }

    /// Portolan's own database (`data/portolan-service-probes`), parsed and compiled once, shared.
    pub fn builtin() -> &'static ProbeDb {
        static DB: OnceLock<ProbeDb> = OnceLock::new();
        DB.get_or_init(|| {
            // The text is compiled in and the test suite parses it, so failure here is a build defect.
            #[allow(clippy::expect_used)]
            ProbeDb::parse(BUILTIN_TEXT, BUILTIN_SOURCE)
                .expect("the built-in service probe database parses")
        })
    }

    /// The name given at parse time.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// All probes in file order.
    pub fn probes(&self) -> &[Probe] {
        &self.probes
    }

    /// The probe named `name` for `protocol`.
    pub fn probe(&self, protocol: ProbeProtocol, name: &str) -> Option<&Probe> {
        self.probes
            .iter()
            .find(|p| p.protocol == protocol && p.name == name)
    }

    /// The `Exclude` directive's ranges.
    pub fn exclude(&self) -> &[ExcludeRange] {
        &self.exclude
    }

    /// Whether `Exclude` keeps version detection away from this port (unless the user asks for all
    /// ports, Nmap's `--allports`).
    pub fn is_excluded(&self, protocol: ProbeProtocol, port: u16) -> bool {
        self.exclude
            .iter()
            .any(|r| r.protocol.is_none_or(|p| p == protocol) && r.low <= port && port <= r.high)
    }

    /// Number of `match` and `softmatch` lines.
    pub fn match_counts(&self) -> (usize, usize) {
        let soft = self
            .probes
            .iter()
            .flat_map(|p| &p.matches)
            .filter(|m| m.soft)
            .count();
        let all: usize = self.probes.iter().map(|p| p.matches.len()).sum();
        (all - soft, soft)
    }
}

//! The OS fingerprint database in Nmap's `nmap-os-db` format.
//!
//! A file is comments (`#`), blank lines, one `MatchPoints` block (a line `MatchPoints` followed by test
//! lines whose values are decimal weights) and fingerprint blocks:
//! `Fingerprint NAME`, one or more `Class VENDOR | FAMILY | GENERATION | DEVICE TYPE` lines each followed by
//! its `CPE cpe:/… [auto]` lines, then test lines `NAME(ATTR=EXPR%…)` whose values are expressions
//! ([`Expr`]). The MatchPoints block comes before the first fingerprint. An attribute without a weight
//! scores nothing: Nmap's own database writes `SEQ(R=N)`, `OPS(R=N)` and `WIN(R=N)` for hosts without an
//! open port, and MatchPoints weighs no `R` in those tests.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::fingerprint::{FingerprintError, Test, parse_body};

/// Portolan's own OS database (`data/portolan-os-db`), compiled in.
pub const BUILTIN_TEXT: &str = include_str!("../../../../data/portolan-os-db");
/// The source name of the built-in database in errors and reports.
pub const BUILTIN_SOURCE: &str = "<built-in portolan-os-db>";
/// File names `load_from_datadir` looks for, in order.
pub const DATADIR_FILES: [&str; 2] = ["nmap-os-db", "portolan-os-db"];

/// One alternative of a reference value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alt {
    /// A plain string (possibly empty): the subject's value must be exactly this.
    Exact(String),
    /// `a-b`, hexadecimal, inclusive.
    Range(u64, u64),
    /// `>x`, hexadecimal.
    Greater(u64),
    /// `<x`, hexadecimal.
    Less(u64),
}

/// A reference value: alternatives separated by `|`; the subject matches if it matches any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    pub alts: Vec<Alt>,
}

impl Expr {
    /// Parses a reference value. Numbers in ranges and comparisons are hexadecimal, like every number
    /// in a fingerprint.
    pub fn parse(text: &str) -> Result<Expr, String> {
        let mut alts = Vec::new();
        for part in text.split('|') {
            let alt = if let Some(n) = part.strip_prefix('>') {
                Alt::Greater(hex(n).ok_or_else(|| format!("'>{n}': not a hexadecimal number"))?)
            } else if let Some(n) = part.strip_prefix('<') {
                Alt::Less(hex(n).ok_or_else(|| format!("'<{n}': not a hexadecimal number"))?)
            } else if let Some((a, b)) = part.split_once('-') {
                match (hex(a), hex(b)) {
                    (Some(lo), Some(hi)) if lo <= hi => Alt::Range(lo, hi),
                    (Some(_), Some(_)) => return Err(format!("range '{part}' is reversed")),
                    _ => {
                        return Err(format!(
                            "range '{part}': bounds must be hexadecimal numbers"
                        ));
                    }
                }
            } else {
                Alt::Exact(part.to_owned())
            };
            alts.push(alt);
        }
        Ok(Expr { alts })
    }

    /// Whether the subject's value matches.
    ///
    /// Ranges and comparisons need a hexadecimal subject value. A plain value on its own needs the very
    /// same string (an empty one only matches an empty value). A plain alternative of a `|` list matches
    /// a subject value that *starts* with it, so an empty alternative matches anything: this is what
    /// Nmap 7.93 does (measured with a crafted database, tests/fixtures/os/README.md), and its scores
    /// depend on it (`O1=|M5B4NNS` matches `M5B4NNSNWA`).
    pub fn matches(&self, value: &str) -> bool {
        let num = || hex(value);
        let listed = self.alts.len() > 1;
        self.alts.iter().any(|alt| match alt {
            Alt::Exact(s) if listed => value.starts_with(s.as_str()),
            Alt::Exact(s) => s == value,
            Alt::Range(lo, hi) => num().is_some_and(|n| *lo <= n && n <= *hi),
            Alt::Greater(x) => num().is_some_and(|n| n > *x),
            Alt::Less(x) => num().is_some_and(|n| n < *x),
        })
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, alt) in self.alts.iter().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            match alt {
                Alt::Exact(s) => f.write_str(s)?,
                Alt::Range(a, b) => write!(f, "{a:X}-{b:X}")?,
                Alt::Greater(x) => write!(f, ">{x:X}")?,
                Alt::Less(x) => write!(f, "<{x:X}")?,
            }
        }
        Ok(())
    }
}

fn hex(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(s, 16).ok()
}

/// A reference test line: attributes with expressions, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefTest {
    pub name: String,
    pub attrs: Vec<(String, Expr)>,
}

impl RefTest {
    pub fn get(&self, attr: &str) -> Option<&Expr> {
        self.attrs.iter().find(|(a, _)| a == attr).map(|(_, e)| e)
    }
}

/// One `Class` line and the `CPE` lines that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsClassLine {
    pub vendor: String,
    pub family: String,
    /// Empty field in the file: none.
    pub generation: Option<String>,
    pub device_type: String,
    /// CPE names without the trailing `auto` flag.
    pub cpe: Vec<String>,
}

/// A reference fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefFingerprint {
    pub name: String,
    /// Line of the `Fingerprint` line (what Nmap's XML calls `line`).
    pub line: u32,
    pub classes: Vec<OsClassLine>,
    pub tests: Vec<RefTest>,
}

impl RefFingerprint {
    pub fn test(&self, name: &str) -> Option<&RefTest> {
        self.tests.iter().find(|t| t.name == name)
    }
}

/// Points per test attribute.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchPoints {
    /// test -> attribute -> weight (nested so lookups borrow `&str`, no allocation per attribute scored).
    weights: HashMap<String, HashMap<String, u32>>,
    /// Test names in file order.
    tests: Vec<String>,
}

impl MatchPoints {
    pub fn weight(&self, test: &str, attr: &str) -> Option<u32> {
        self.weights.get(test)?.get(attr).copied()
    }
    /// Whether the test is scored at all (`SCAN` is not).
    pub fn has_test(&self, test: &str) -> bool {
        self.tests.iter().any(|t| t == test)
    }
}

/// What is wrong with one line of an OS database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OsDbProblem {
    #[error("unrecognised line: '{0}'")]
    UnknownLine(String),
    #[error("second MatchPoints block (the first is at line {first})")]
    DuplicateMatchPoints { first: u32 },
    #[error("fingerprint before the MatchPoints block")]
    NoMatchPoints,
    #[error("no MatchPoints block in the file")]
    MatchPointsMissing,
    #[error("MatchPoints {test}({attr}=…): '{value}' is not a decimal weight")]
    BadWeight {
        test: String,
        attr: String,
        value: String,
    },
    #[error("'Fingerprint' without a name")]
    EmptyName,
    #[error("{0} line outside a fingerprint")]
    OutsideFingerprint(&'static str),
    #[error(
        "Class line needs 4 fields 'vendor | family | generation | device type', found {found}"
    )]
    BadClass { found: usize },
    #[error("Class line: empty {0}")]
    EmptyClassField(&'static str),
    #[error("CPE line before any Class line of this fingerprint")]
    CpeWithoutClass,
    #[error("CPE line: '{0}' does not start with 'cpe:/'")]
    BadCpe(String),
    #[error("test line: {0}")]
    BadTest(FingerprintError),
    #[error("test {test} appears twice in this fingerprint")]
    DuplicateTest { test: String },
    #[error("test {test}({attr}=…): {why}")]
    BadExpr {
        test: String,
        attr: String,
        why: String,
    },
    #[error("fingerprint '{name}' (line {line}) has no Class line")]
    NoClass { name: String, line: u32 },
    #[error("fingerprint '{name}' (line {line}) has no test lines")]
    NoTests { name: String, line: u32 },
}

/// An OS database that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum OsDbError {
    #[error("{source_name} line {line}: {problem}")]
    Line {
        source_name: String,
        line: u32,
        problem: OsDbProblem,
    },
    #[error("cannot read OS database {}: {error}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    #[error("no OS database in {}: looked for {} and {}", dir.display(), DATADIR_FILES[0], DATADIR_FILES[1])]
    NotFound { dir: PathBuf },
}

/// A parsed OS database.
#[derive(Debug, Clone)]
pub struct OsDb {
    source: String,
    pub match_points: MatchPoints,
    pub fingerprints: Vec<RefFingerprint>,
}

impl OsDb {
    /// Parses database text; `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<OsDb, OsDbError> {
        let mut p = Parser {
            mp: None,
            in_mp: false,
            fps: Vec::new(),
            cur: None,
        };
        let mut last = 0u32;
        for (index, raw) in text.lines().enumerate() {
            let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
            last = line;
            p.line(raw, line).map_err(|problem| OsDbError::Line {
                source_name: source_name.to_owned(),
                line,
                problem,
            })?;
        }
        let end = |problem| OsDbError::Line {
            source_name: source_name.to_owned(),
            line: last,
            problem,
        };
        p.finish_fp().map_err(end)?;
        let Some((_, match_points)) = p.mp else {
            return Err(end(OsDbProblem::MatchPointsMissing));
        };
        Ok(OsDb {
            source: source_name.to_owned(),
            match_points,
            fingerprints: p.fps,
        })
    }

    /// Portolan's own database, parsed once.
    pub fn builtin() -> &'static OsDb {
        static DB: OnceLock<OsDb> = OnceLock::new();
        DB.get_or_init(|| {
            // Compiled-in text that the test suite parses: failure is a build defect.
            #[allow(clippy::expect_used)]
            OsDb::parse(BUILTIN_TEXT, BUILTIN_SOURCE).expect("the built-in OS database parses")
        })
    }

    /// Reads and parses a database file.
    pub fn load(path: &Path) -> Result<OsDb, OsDbError> {
        let bytes = std::fs::read(path).map_err(|error| OsDbError::Io {
            path: path.to_owned(),
            error,
        })?;
        OsDb::parse(
            &String::from_utf8_lossy(&bytes),
            &path.display().to_string(),
        )
    }

    /// Reads `<dir>/nmap-os-db` if it exists, else `<dir>/portolan-os-db` (the `--datadir` rule).
    pub fn load_from_datadir(dir: &Path) -> Result<OsDb, OsDbError> {
        for file in DATADIR_FILES {
            let path = dir.join(file);
            if path.exists() {
                return OsDb::load(&path);
            }
        }
        Err(OsDbError::NotFound {
            dir: dir.to_owned(),
        })
    }

    /// Where the database came from: a path, or [`BUILTIN_SOURCE`].
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }
}

struct Parser {
    mp: Option<(u32, MatchPoints)>,
    in_mp: bool,
    fps: Vec<RefFingerprint>,
    cur: Option<RefFingerprint>,
}

impl Parser {
    fn line(&mut self, raw: &str, line: u32) -> Result<(), OsDbProblem> {
        let text = raw.trim_end_matches(['\r', ' ', '\t']);
        if text.trim_start().starts_with('#') {
            return Ok(());
        }
        if text.trim().is_empty() {
            // A blank line ends the MatchPoints block; fingerprints end at the next `Fingerprint`.
            self.in_mp = false;
            return Ok(());
        }
        if text == "MatchPoints" {
            if let Some((first, _)) = &self.mp {
                return Err(OsDbProblem::DuplicateMatchPoints { first: *first });
            }
            self.finish_fp()?;
            self.mp = Some((line, MatchPoints::default()));
            self.in_mp = true;
            return Ok(());
        }
        if let Some(name) = text
            .strip_prefix("Fingerprint ")
            .or(if text == "Fingerprint" {
                Some("")
            } else {
                None
            })
        {
            self.in_mp = false;
            self.finish_fp()?;
            if self.mp.is_none() {
                return Err(OsDbProblem::NoMatchPoints);
            }
            let name = name.trim();
            if name.is_empty() {
                return Err(OsDbProblem::EmptyName);
            }
            self.cur = Some(RefFingerprint {
                name: name.to_owned(),
                line,
                classes: Vec::new(),
                tests: Vec::new(),
            });
            return Ok(());
        }
        if let Some(rest) = text.strip_prefix("Class ") {
            let fp = self
                .cur
                .as_mut()
                .ok_or(OsDbProblem::OutsideFingerprint("Class"))?;
            fp.classes.push(parse_class(rest)?);
            return Ok(());
        }
        if let Some(rest) = text.strip_prefix("CPE ") {
            let fp = self
                .cur
                .as_mut()
                .ok_or(OsDbProblem::OutsideFingerprint("CPE"))?;
            let class = fp.classes.last_mut().ok_or(OsDbProblem::CpeWithoutClass)?;
            let mut words = rest.split_whitespace();
            let cpe = words.next().unwrap_or("");
            if !cpe.starts_with("cpe:/") {
                return Err(OsDbProblem::BadCpe(cpe.to_owned()));
            }
            match words.next() {
                None | Some("auto") if words.next().is_none() => {}
                _ => return Err(OsDbProblem::UnknownLine(text.to_owned())),
            }
            class.cpe.push(cpe.to_owned());
            return Ok(());
        }
        if let Some(open) = text.find('(').filter(|_| text.ends_with(')')) {
            let name = &text[..open];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(OsDbProblem::UnknownLine(text.to_owned()));
            }
            let body = &text[open + 1..text.len() - 1];
            let test = parse_body(name, body).map_err(OsDbProblem::BadTest)?;
            if self.in_mp {
                return self.mp_line(test);
            }
            return self.fp_test(test);
        }
        Err(OsDbProblem::UnknownLine(text.to_owned()))
    }

    fn mp_line(&mut self, test: Test) -> Result<(), OsDbProblem> {
        let Some((_, mp)) = self.mp.as_mut() else {
            return Err(OsDbProblem::OutsideFingerprint("test"));
        };
        if mp.has_test(&test.name) {
            return Err(OsDbProblem::DuplicateTest { test: test.name });
        }
        for (attr, value) in &test.attrs {
            let w = value
                .strip_suffix('%')
                .unwrap_or(value)
                .parse::<u32>()
                .map_err(|_| OsDbProblem::BadWeight {
                    test: test.name.clone(),
                    attr: attr.clone(),
                    value: value.clone(),
                })?;
            mp.weights
                .entry(test.name.clone())
                .or_default()
                .insert(attr.clone(), w);
        }
        mp.tests.push(test.name);
        Ok(())
    }

    fn fp_test(&mut self, test: Test) -> Result<(), OsDbProblem> {
        let fp = self
            .cur
            .as_mut()
            .ok_or(OsDbProblem::OutsideFingerprint("test"))?;
        if fp.test(&test.name).is_some() {
            return Err(OsDbProblem::DuplicateTest { test: test.name });
        }
        let mut attrs = Vec::with_capacity(test.attrs.len());
        for (attr, value) in test.attrs {
            let expr = Expr::parse(&value).map_err(|why| OsDbProblem::BadExpr {
                test: test.name.clone(),
                attr: attr.clone(),
                why,
            })?;
            attrs.push((attr, expr));
        }
        fp.tests.push(RefTest {
            name: test.name,
            attrs,
        });
        Ok(())
    }

    fn finish_fp(&mut self) -> Result<(), OsDbProblem> {
        if let Some(fp) = self.cur.take() {
            if fp.classes.is_empty() {
                return Err(OsDbProblem::NoClass {
                    name: fp.name,
                    line: fp.line,
                });
            }
            if fp.tests.is_empty() {
                return Err(OsDbProblem::NoTests {
                    name: fp.name,
                    line: fp.line,
                });
            }
            self.fps.push(fp);
        }
        Ok(())
    }
}

fn parse_class(rest: &str) -> Result<OsClassLine, OsDbProblem> {
    let fields: Vec<&str> = rest.split('|').map(str::trim).collect();
    if fields.len() != 4 {
        return Err(OsDbProblem::BadClass {
            found: fields.len(),
        });
    }
    for (i, what) in [(0, "vendor"), (1, "family"), (3, "device type")] {
        if fields[i].is_empty() {
            return Err(OsDbProblem::EmptyClassField(what));
        }
    }
    Ok(OsClassLine {
        vendor: fields[0].to_owned(),
        family: fields[1].to_owned(),
        generation: (!fields[2].is_empty()).then(|| fields[2].to_owned()),
        device_type: fields[3].to_owned(),
        cpe: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        let e = Expr::parse("0-5|>FF|<3|Z|").unwrap();
        assert_eq!(e.alts.len(), 5);
        assert_eq!(e.to_string(), "0-5|>FF|<3|Z|");
        // The empty alternative of a list matches anything.
        for yes in ["0", "5", "100", "2", "Z", "", "6", "G"] {
            assert!(e.matches(yes), "{yes}");
        }
        let e = Expr::parse("0-5|>FF|<3|Z").unwrap();
        for no in ["6", "FF", "z", "S+", "G", ""] {
            assert!(!e.matches(no), "{no}");
        }
        assert!(e.matches("ZA"), "a listed plain alternative is a prefix");
        let single = Expr::parse("M5B4").unwrap();
        assert!(
            single.matches("M5B4") && !single.matches("M5B4NW7"),
            "a lone value is exact"
        );
        let empty = Expr::parse("").unwrap();
        assert!(empty.matches("") && !empty.matches("M5B4"));
        assert!(Expr::parse("5-1").is_err());
        assert!(Expr::parse("A-Q").is_err());
        assert!(Expr::parse(">x").is_err());
    }
}

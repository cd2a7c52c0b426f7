//! A subject fingerprint: what OS detection measured on one host, in Nmap's 2nd-generation text form
//! (`SCAN(...)SEQ(...)OPS(...)...IE(...)`).
//!
//! Nmap prints it wrapped: every line is `OS:` followed by at most [`WRAP_WIDTH`] characters of the
//! concatenated tests, cut wherever the width falls (inside a value too), each line ending in a newline.
//! [`SubjectFingerprint::parse`] reads that form, the unwrapped one-test-per-line form Nmap prints with
//! `-d` when nothing matched, and the two mixed; [`SubjectFingerprint::to_nmap_text`] writes the wrapped
//! form byte for byte.

use std::fmt;

/// Characters of fingerprint text per `OS:` line in Nmap's wrapped form (measured on Nmap 7.93 output).
pub const WRAP_WIDTH: usize = 72;

/// The prefix of every wrapped line.
pub const WRAP_PREFIX: &str = "OS:";

/// Test lines in the order Nmap prints them, each with its attributes in printed order (the Nmap book's
/// description of the subject format, confirmed on Nmap 7.93's output). `SCAN` is the scan-conditions
/// line; it is printed but not scored.
pub const TEST_ORDER: [(&str, &[&str]); 14] = [
    (
        "SCAN",
        &[
            "V", "E", "D", "OT", "CT", "CU", "PV", "DS", "DC", "G", "M", "TM", "P",
        ],
    ),
    ("SEQ", &["SP", "GCD", "ISR", "TI", "CI", "II", "SS", "TS"]),
    ("OPS", &["O1", "O2", "O3", "O4", "O5", "O6"]),
    ("WIN", &["W1", "W2", "W3", "W4", "W5", "W6"]),
    ("ECN", &["R", "DF", "T", "TG", "W", "O", "CC", "Q"]),
    ("T1", &["R", "DF", "T", "TG", "S", "A", "F", "RD", "Q"]),
    ("T2", T_ATTRS),
    ("T3", T_ATTRS),
    ("T4", T_ATTRS),
    ("T5", T_ATTRS),
    ("T6", T_ATTRS),
    ("T7", T_ATTRS),
    (
        "U1",
        &[
            "R", "DF", "T", "TG", "IPL", "UN", "RIPL", "RID", "RIPCK", "RUCK", "RUD",
        ],
    ),
    ("IE", &["R", "DFI", "T", "TG", "CD"]),
];
const T_ATTRS: &[&str] = &["R", "DF", "T", "TG", "W", "S", "A", "F", "O", "RD", "Q"];

fn rank_of(order: &[&str], name: &str) -> usize {
    order.iter().position(|n| *n == name).unwrap_or(order.len())
}

/// One test line: `NAME(ATTR=VALUE%ATTR=VALUE...)`, attributes in their printed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Test {
    pub name: String,
    pub attrs: Vec<(String, String)>,
}

impl Test {
    pub fn new(name: impl Into<String>) -> Test {
        Test {
            name: name.into(),
            attrs: Vec::new(),
        }
    }

    /// Adds or replaces attribute `attr`, keeping its place when replaced.
    pub fn set(&mut self, attr: &str, value: impl Into<String>) -> &mut Test {
        let value = value.into();
        match self.attrs.iter_mut().find(|(a, _)| a == attr) {
            Some((_, v)) => *v = value,
            None => self.attrs.push((attr.to_owned(), value)),
        }
        self
    }

    /// The value of attribute `attr`, if the test has it.
    pub fn get(&self, attr: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(a, _)| a == attr)
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for Test {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name)?;
        for (i, (a, v)) in self.attrs.iter().enumerate() {
            if i > 0 {
                f.write_str("%")?;
            }
            write!(f, "{a}={v}")?;
        }
        f.write_str(")")
    }
}

/// A measured fingerprint. `SCAN` (scan conditions, not scored) is kept like any other test.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubjectFingerprint {
    pub tests: Vec<Test>,
}

/// Why fingerprint text could not be read. `offset` counts characters of the unwrapped text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FingerprintError {
    #[error("empty fingerprint")]
    Empty,
    #[error(
        "at character {offset} of the unwrapped fingerprint: expected a test name followed by '('"
    )]
    ExpectedTest { offset: usize },
    #[error("test {test}: no closing ')'")]
    Unclosed { test: String },
    #[error("test {test}: attribute '{item}' has no '='")]
    NoEquals { test: String, item: String },
    #[error("test {test}: empty attribute name")]
    EmptyAttr { test: String },
    #[error("test {test}: attribute {attr} appears twice")]
    DuplicateAttr { test: String, attr: String },
    #[error("test {test} appears twice")]
    DuplicateTest { test: String },
}

impl SubjectFingerprint {
    /// Reads a fingerprint in Nmap's wrapped (`OS:` lines) or unwrapped form. Surrounding blank lines and
    /// a `TCP/IP fingerprint:` heading are ignored.
    pub fn parse(text: &str) -> Result<SubjectFingerprint, FingerprintError> {
        let mut joined = String::new();
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim() == "TCP/IP fingerprint:" {
                continue;
            }
            // A wrapped line may end in the middle of a value (even right after a space-free cut), so
            // only the line break and the prefix go; nothing else is trimmed.
            joined.push_str(line.strip_prefix(WRAP_PREFIX).unwrap_or(line.trim()));
        }
        let tests = parse_tests(&joined)?;
        if tests.is_empty() {
            return Err(FingerprintError::Empty);
        }
        Ok(SubjectFingerprint { tests })
    }

    /// The test named `name`, created (at the end) when missing: for building a fingerprint from probe
    /// results, then [`SubjectFingerprint::sort_canonical`].
    pub fn test_mut(&mut self, name: &str) -> &mut Test {
        let i = match self.tests.iter().position(|t| t.name == name) {
            Some(i) => i,
            None => {
                self.tests.push(Test::new(name));
                self.tests.len() - 1
            }
        };
        &mut self.tests[i]
    }

    /// Puts tests and attributes in Nmap's printing order ([`TEST_ORDER`]); names Nmap does not print
    /// keep their relative order after the known ones.
    pub fn sort_canonical(&mut self) {
        let names: Vec<&str> = TEST_ORDER.iter().map(|(n, _)| *n).collect();
        self.tests.sort_by_key(|t| rank_of(&names, &t.name));
        for t in &mut self.tests {
            if let Some((_, order)) = TEST_ORDER.iter().find(|(n, _)| *n == t.name) {
                t.attrs.sort_by_key(|(a, _)| rank_of(order, a));
            }
        }
    }

    /// The first test named `name`.
    pub fn test(&self, name: &str) -> Option<&Test> {
        self.tests.iter().find(|t| t.name == name)
    }

    /// All tests concatenated on one line, as inside Nmap's wrapped form.
    pub fn to_flat_text(&self) -> String {
        self.tests.iter().map(|t| t.to_string()).collect()
    }

    /// One test per line (Nmap's `-d` form), each line ending in a newline.
    pub fn to_lines_text(&self) -> String {
        self.tests.iter().map(|t| format!("{t}\n")).collect()
    }

    /// The form Nmap prints in normal output and XML: wrapped ([`Self::to_nmap_text`]) when the SCAN
    /// line says conditions were good (`G=Y`), one test per line otherwise (measured: every G=N run —
    /// no open port, no UDP/ICMP answer, too many perfect matches — printed the unwrapped form).
    pub fn printed_text(&self) -> String {
        let good = self.test("SCAN").and_then(|t| t.get("G")) == Some("Y");
        if good {
            self.to_nmap_text()
        } else {
            self.to_lines_text()
        }
    }

    /// Nmap's wrapped form: `OS:` lines of at most [`WRAP_WIDTH`] characters each, every line ending in
    /// a newline (also the last: the text of XML's `<osfingerprint fingerprint=..>`).
    pub fn to_nmap_text(&self) -> String {
        wrap(&self.to_flat_text())
    }
}

/// Wraps flat fingerprint text the way Nmap prints it.
pub fn wrap(flat: &str) -> String {
    let chars: Vec<char> = flat.chars().collect();
    let mut out = String::with_capacity(flat.len() + flat.len() / WRAP_WIDTH * 4 + 4);
    for chunk in chars.chunks(WRAP_WIDTH) {
        out.push_str(WRAP_PREFIX);
        out.extend(chunk);
        out.push('\n');
    }
    out
}

impl fmt::Display for SubjectFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_nmap_text())
    }
}

impl std::str::FromStr for SubjectFingerprint {
    type Err = FingerprintError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SubjectFingerprint::parse(s)
    }
}

/// Splits `NAME(a=b%c=d)NAME(...)` into tests. Shared with the database parser's test lines.
pub(crate) fn parse_tests(flat: &str) -> Result<Vec<Test>, FingerprintError> {
    let mut tests: Vec<Test> = Vec::new();
    let mut rest = flat;
    let mut offset = 0usize;
    while !rest.is_empty() {
        let open = match rest.find('(') {
            Some(i) if i > 0 && rest[..i].chars().all(|c| c.is_ascii_alphanumeric()) => i,
            _ => return Err(FingerprintError::ExpectedTest { offset }),
        };
        let name = &rest[..open];
        let close =
            rest[open..]
                .find(')')
                .map(|i| open + i)
                .ok_or_else(|| FingerprintError::Unclosed {
                    test: name.to_owned(),
                })?;
        let test = parse_body(name, &rest[open + 1..close])?;
        if tests.iter().any(|t| t.name == test.name) {
            return Err(FingerprintError::DuplicateTest { test: test.name });
        }
        tests.push(test);
        offset += rest[..=close].chars().count();
        rest = &rest[close + 1..];
    }
    Ok(tests)
}

/// `a=b%c=d` (possibly empty: Nmap prints `T2()` for nothing, though it normally prints `T2(R=N)`).
pub(crate) fn parse_body(name: &str, body: &str) -> Result<Test, FingerprintError> {
    let mut test = Test::new(name);
    if body.is_empty() {
        return Ok(test);
    }
    for item in body.split('%') {
        let (attr, value) = item
            .split_once('=')
            .ok_or_else(|| FingerprintError::NoEquals {
                test: name.to_owned(),
                item: item.to_owned(),
            })?;
        if attr.is_empty() {
            return Err(FingerprintError::EmptyAttr {
                test: name.to_owned(),
            });
        }
        if test.get(attr).is_some() {
            return Err(FingerprintError::DuplicateAttr {
                test: name.to_owned(),
                attr: attr.to_owned(),
            });
        }
        test.attrs.push((attr.to_owned(), value.to_owned()));
    }
    Ok(test)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_wrapped_and_lines() {
        let flat = "SCAN(V=1%P=x)SEQ(SP=10%TI=Z)T2(R=N)OPS(O1=M5B4%O2=)";
        let fp = SubjectFingerprint::parse(flat).unwrap();
        assert_eq!(fp.tests.len(), 4);
        assert_eq!(fp.test("OPS").unwrap().get("O2"), Some(""));
        assert_eq!(fp.to_flat_text(), flat);
        let again = SubjectFingerprint::parse(&fp.to_lines_text()).unwrap();
        assert_eq!(again, fp);
        let wrapped = wrap(&"A(B=C)".repeat(30));
        assert!(
            wrapped
                .lines()
                .all(|l| l.len() <= 75 && l.starts_with("OS:"))
        );
        assert_eq!(
            SubjectFingerprint::parse(&wrapped).unwrap_err(),
            FingerprintError::DuplicateTest { test: "A".into() }
        );
    }

    #[test]
    fn built_then_sorted_like_nmap() {
        let mut fp = SubjectFingerprint::default();
        fp.test_mut("IE").set("CD", "S").set("R", "Y");
        fp.test_mut("T2").set("R", "N");
        fp.test_mut("SEQ").set("TS", "U").set("SP", "101");
        fp.test_mut("SCAN").set("P", "x").set("V", "7.93");
        fp.test_mut("SEQ").set("SP", "102");
        fp.sort_canonical();
        assert_eq!(
            fp.to_flat_text(),
            "SCAN(V=7.93%P=x)SEQ(SP=102%TS=U)T2(R=N)IE(R=Y%CD=S)"
        );
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(
            SubjectFingerprint::parse("").unwrap_err(),
            FingerprintError::Empty
        );
        assert_eq!(
            SubjectFingerprint::parse("SEQ(SP=1").unwrap_err(),
            FingerprintError::Unclosed { test: "SEQ".into() }
        );
        assert_eq!(
            SubjectFingerprint::parse("SEQ(SP=1)(x=1)").unwrap_err(),
            FingerprintError::ExpectedTest { offset: 9 }
        );
        assert!(matches!(
            SubjectFingerprint::parse("SEQ(SP)").unwrap_err(),
            FingerprintError::NoEquals { .. }
        ));
        assert!(matches!(
            SubjectFingerprint::parse("SEQ(SP=1%SP=2)").unwrap_err(),
            FingerprintError::DuplicateAttr { .. }
        ));
    }
}

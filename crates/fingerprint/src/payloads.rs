//! UDP payloads: the protocol-specific datagrams a UDP scan sends to well-known ports so that a service
//! answers (an empty datagram makes most services stay silent, which reads as `open|filtered`).
//!
//! Format: Nmap's `nmap-payloads`. The file is a stream of tokens separated by whitespace (newlines
//! included); `#` outside a string starts a comment that runs to the end of the line. An entry is
//!
//! ```text
//! udp <ports> "<C-escaped string>" ["<C-escaped string>" ...] [<keyword> <rest of line>]...
//! ```
//!
//! - `<ports>` is a comma-separated list of ports and ranges (`53,5353,32768-65535`), no spaces.
//! - The strings are concatenated into one payload and may sit on following lines. Escapes: `\\ \" \'
//!   \? \0 \a \b \f \n \r \t \v` and `\xHH` (exactly two hex digits); `\0` is one NUL byte and may not be
//!   followed by another octal digit (that would be a C octal escape, which the format does not define).
//! - After the strings, keywords may follow, each with its arguments on the same line. `source <port>`
//!   asks for a source port; unknown keywords are skipped with the rest of their line (the format reserves
//!   them for expansion) and listed in `ignored_keywords`.
//! - A port may have several payloads (Nmap sends them all; at most 255 per port). `for_port` gives the
//!   first in file order.
//! - Nmap skips lines of 1024 characters or more; this parser reads them like any other (Portolan's own
//!   generator refuses to write one, so both read Portolan's file alike).
//!
//! Portolan's own file, `data/portolan-payloads`, is embedded in the binary. Nmap's is read only on
//! request (`load_from_datadir`); see `data/PROVENANCE.md`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The text of Portolan's own payload database, as committed in `data/portolan-payloads`.
pub const BUILTIN_TEXT: &str = include_str!("../../../data/portolan-payloads");

/// The name `builtin()` gives its source in errors and in `UdpPayloads::source`.
pub const BUILTIN_SOURCE: &str = "portolan-payloads (built in)";

/// File names `load_from_datadir` looks for, in order of preference.
pub const DATADIR_FILES: [&str; 2] = ["nmap-payloads", "portolan-payloads"];

/// How many payloads one port may have (the format's documented limit).
pub const MAX_PAYLOADS_PER_PORT: usize = 255;

/// One payload entry: the bytes to send, the ports they are for, and an optional source port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// Destination port ranges, inclusive, as written.
    pub ports: Vec<(u16, u16)>,
    pub data: Vec<u8>,
    /// The `source` keyword's port, if given.
    pub source_port: Option<u16>,
    /// 1-based line of the entry's `udp` keyword.
    pub line: usize,
}

impl Payload {
    /// Whether this entry is for destination port `port`.
    pub fn covers(&self, port: u16) -> bool {
        self.ports.iter().any(|&(lo, hi)| lo <= port && port <= hi)
    }
}

/// What is wrong at one place of a payloads file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadProblem {
    /// A protocol other than `udp` starts an entry.
    UnsupportedProtocol(String),
    /// Something other than an entry where an entry must start.
    ExpectedEntry(String),
    /// The file ended, or something else came, where the port list must be.
    ExpectedPorts,
    /// A port list element is not a port or `low-high` range.
    BadPort(String),
    /// A range whose start is above its end.
    ReversedRange(u16, u16),
    /// An entry with no quoted string.
    MissingPayload,
    /// A string not closed before the end of its line.
    UnterminatedString,
    /// An unknown or malformed backslash escape.
    BadEscape(String),
    /// `source` without a port number after it.
    BadSourcePort(String),
    /// A port given more payloads than the format allows.
    TooManyPayloads(u16),
}

impl fmt::Display for PayloadProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadProblem::UnsupportedProtocol(p) => write!(
                f,
                "protocol '{}' is not supported (only udp)",
                p.escape_debug()
            ),
            PayloadProblem::ExpectedEntry(s) => {
                write!(
                    f,
                    "expected an entry ('udp <ports> \"...\"'), found '{}'",
                    s.escape_debug()
                )
            }
            PayloadProblem::ExpectedPorts => f.write_str("expected a port list after 'udp'"),
            PayloadProblem::BadPort(s) => write!(
                f,
                "'{}' is not a port (0-65535) or port range",
                s.escape_debug()
            ),
            PayloadProblem::ReversedRange(lo, hi) => {
                write!(f, "port range {lo}-{hi} ends before it starts")
            }
            PayloadProblem::MissingPayload => {
                f.write_str("entry has no payload (expected a quoted string)")
            }
            PayloadProblem::UnterminatedString => {
                f.write_str("string is not closed before the end of the line")
            }
            PayloadProblem::BadEscape(s) => write!(f, "bad escape '{}'", s.escape_debug()),
            PayloadProblem::BadSourcePort(s) => write!(
                f,
                "'source' needs a port from 0 to 65535, found '{}'",
                s.escape_debug()
            ),
            PayloadProblem::TooManyPayloads(port) => write!(
                f,
                "port {port} has more than {MAX_PAYLOADS_PER_PORT} payloads"
            ),
        }
    }
}

/// A payloads file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("{source_name} line {line} column {column}: {problem}")]
    Syntax {
        source_name: String,
        line: usize,
        /// 1-based, counted in bytes.
        column: usize,
        problem: PayloadProblem,
    },
    #[error("cannot read payloads file {}: {error}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    #[error("no payloads file in {}: looked for {} and {}", dir.display(), DATADIR_FILES[0], DATADIR_FILES[1])]
    NotFound { dir: PathBuf },
}

/// A keyword after an entry's strings that this parser does not know, skipped with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredKeyword {
    pub keyword: String,
    pub line: usize,
}

/// A parsed payload database.
///
/// Invariants: every entry has at least one port range (each with start <= end) and no port is covered by
/// more than `MAX_PAYLOADS_PER_PORT` entries; entries keep file order, which is the order of preference.
#[derive(Debug, Clone)]
pub struct UdpPayloads {
    source: String,
    entries: Vec<Payload>,
    ignored_keywords: Vec<IgnoredKeyword>,
}

impl UdpPayloads {
    /// Parses payload-file text. `source_name` names the text in errors (a path, or a label).
    pub fn parse(text: &str, source_name: &str) -> Result<UdpPayloads, PayloadError> {
        UdpPayloads::parse_bytes(text.as_bytes(), source_name)
    }

    /// As `parse`, for text that may hold bytes that are not UTF-8 (inside strings they are payload bytes).
    pub fn parse_bytes(text: &[u8], source_name: &str) -> Result<UdpPayloads, PayloadError> {
        let (entries, ignored_keywords) =
            Parser::new(text)
                .entries()
                .map_err(|e| PayloadError::Syntax {
                    source_name: source_name.to_owned(),
                    line: e.line,
                    column: e.column,
                    problem: e.problem,
                })?;
        Ok(UdpPayloads {
            source: source_name.to_owned(),
            entries,
            ignored_keywords,
        })
    }

    /// Portolan's own database (`data/portolan-payloads`), parsed once and shared.
    pub fn builtin() -> &'static UdpPayloads {
        static DB: OnceLock<UdpPayloads> = OnceLock::new();
        DB.get_or_init(|| {
            // The text is compiled in and the test suite parses it, so failure here is a build defect.
            #[allow(clippy::expect_used)]
            UdpPayloads::parse(BUILTIN_TEXT, BUILTIN_SOURCE)
                .expect("the built-in payload database parses")
        })
    }

    /// Reads and parses a payloads file.
    pub fn load(path: &Path) -> Result<UdpPayloads, PayloadError> {
        let bytes = std::fs::read(path).map_err(|error| PayloadError::Io {
            path: path.to_owned(),
            error,
        })?;
        UdpPayloads::parse_bytes(&bytes, &path.display().to_string())
    }

    /// Reads `<dir>/nmap-payloads` if it exists, else `<dir>/portolan-payloads` (the `--datadir` rule).
    pub fn load_from_datadir(dir: &Path) -> Result<UdpPayloads, PayloadError> {
        for file in DATADIR_FILES {
            let path = dir.join(file);
            if path.exists() {
                return UdpPayloads::load(&path);
            }
        }
        Err(PayloadError::NotFound {
            dir: dir.to_owned(),
        })
    }

    /// Where the database came from: a path, or `BUILTIN_SOURCE`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The first payload for a destination port, if any.
    pub fn for_port(&self, port: u16) -> Option<&[u8]> {
        self.first(port).map(|p| p.data.as_slice())
    }

    /// The source port the first payload for `port` asks for, if it asks for one.
    pub fn source_port(&self, port: u16) -> Option<u16> {
        self.first(port).and_then(|p| p.source_port)
    }

    /// Every payload for a destination port, in file order.
    pub fn all_for_port(&self, port: u16) -> impl Iterator<Item = &Payload> {
        self.entries.iter().filter(move |p| p.covers(port))
    }

    /// All entries in file order.
    pub fn entries(&self) -> &[Payload] {
        &self.entries
    }

    /// Keywords after payload strings that were skipped as unknown.
    pub fn ignored_keywords(&self) -> &[IgnoredKeyword] {
        &self.ignored_keywords
    }

    fn first(&self, port: u16) -> Option<&Payload> {
        self.entries.iter().find(|p| p.covers(port))
    }
}

struct SyntaxError {
    line: usize,
    column: usize,
    problem: PayloadProblem,
}

/// Where a token starts: line, byte offset in the text, offset of its line's start.
type At = (usize, usize, usize);

/// A token of the file.
enum Token {
    Word(Vec<u8>),
    Str(Vec<u8>),
}

struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a [u8]) -> Parser<'a> {
        Parser {
            text,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    fn error_at(
        &self,
        line: usize,
        pos_in_text: usize,
        line_start: usize,
        problem: PayloadProblem,
    ) -> SyntaxError {
        SyntaxError {
            line,
            column: pos_in_text.saturating_sub(line_start) + 1,
            problem,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    /// Skips whitespace and comments across lines.
    fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                }
                b'#' => self.skip_rest_of_line(),
                b if b.is_ascii_whitespace() => self.pos += 1,
                _ => break,
            }
        }
    }

    /// Moves to the newline ending the current line (not past it).
    fn skip_rest_of_line(&mut self) {
        while let Some(b) = self.peek() {
            if b == b'\n' {
                break;
            }
            self.pos += 1;
        }
    }

    /// The next token and its (line, position, line start), or `None` at the end.
    fn next_token(&mut self) -> Result<Option<(Token, At)>, SyntaxError> {
        self.skip_space();
        let at = (self.line, self.pos, self.line_start);
        match self.peek() {
            None => Ok(None),
            Some(b'"') => Ok(Some((Token::Str(self.string()?), at))),
            Some(_) => {
                let start = self.pos;
                while let Some(b) = self.peek() {
                    if b.is_ascii_whitespace() || b == b'"' || b == b'#' {
                        break;
                    }
                    self.pos += 1;
                }
                Ok(Some((Token::Word(self.text[start..self.pos].to_vec()), at)))
            }
        }
    }

    /// Reads a quoted string at `pos` (which holds the opening quote) and unescapes it.
    fn string(&mut self) -> Result<Vec<u8>, SyntaxError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(self.error_at(
                    self.line,
                    open,
                    self.line_start,
                    PayloadProblem::UnterminatedString,
                ));
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\n' => {
                    return Err(self.error_at(
                        self.line,
                        open,
                        self.line_start,
                        PayloadProblem::UnterminatedString,
                    ));
                }
                b'\\' => {
                    let esc_start = self.pos;
                    self.pos += 1;
                    let byte = self.escape(esc_start)?;
                    out.push(byte);
                }
                _ => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    /// Decodes the escape whose backslash is at `esc_start`; `pos` is just past the backslash.
    fn escape(&mut self, esc_start: usize) -> Result<u8, SyntaxError> {
        let bad = |p: &Parser<'_>, end: usize| {
            let end = end.min(p.text.len());
            let shown = String::from_utf8_lossy(&p.text[esc_start..end]).into_owned();
            p.error_at(
                p.line,
                esc_start,
                p.line_start,
                PayloadProblem::BadEscape(shown),
            )
        };
        let Some(c) = self.peek() else {
            return Err(bad(self, self.pos));
        };
        self.pos += 1;
        let byte = match c {
            b'\\' => b'\\',
            b'"' => b'"',
            b'\'' => b'\'',
            b'?' => b'?',
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0b,
            b'0' => {
                if matches!(self.peek(), Some(b'0'..=b'7')) {
                    return Err(bad(self, self.pos + 1));
                }
                0
            }
            b'x' => {
                let hex = |b: Option<&u8>| b.and_then(|&b| (b as char).to_digit(16));
                match (
                    hex(self.text.get(self.pos)),
                    hex(self.text.get(self.pos + 1)),
                ) {
                    (Some(h), Some(l)) => {
                        self.pos += 2;
                        // Both digits are below 16, so this fits a byte.
                        u8::try_from(h * 16 + l).unwrap_or(0)
                    }
                    _ => return Err(bad(self, self.pos + 2)),
                }
            }
            b'\n' => return Err(bad(self, self.pos - 1)),
            _ => return Err(bad(self, self.pos)),
        };
        Ok(byte)
    }

    fn entries(mut self) -> Result<(Vec<Payload>, Vec<IgnoredKeyword>), SyntaxError> {
        let mut entries: Vec<Payload> = Vec::new();
        // Column of each entry's `udp`, for errors found after the whole file is read.
        let mut columns: Vec<usize> = Vec::new();
        let mut ignored = Vec::new();
        let mut pending = self.next_token()?;
        while let Some((token, at)) = pending.take() {
            let (line, pos, line_start) = at;
            let word = match token {
                Token::Word(w) => w,
                Token::Str(_) => {
                    return Err(self.error_at(
                        line,
                        pos,
                        line_start,
                        PayloadProblem::ExpectedEntry("\"...\"".into()),
                    ));
                }
            };
            if !word.eq_ignore_ascii_case(b"udp") {
                let shown = String::from_utf8_lossy(&word).into_owned();
                let problem =
                    if matches!(shown.to_ascii_lowercase().as_str(), "tcp" | "sctp" | "icmp") {
                        PayloadProblem::UnsupportedProtocol(shown)
                    } else {
                        PayloadProblem::ExpectedEntry(shown)
                    };
                return Err(self.error_at(line, pos, line_start, problem));
            }
            let ports = match self.next_token()? {
                Some((Token::Word(w), (l, p, s))) => {
                    parse_ports(&w).map_err(|problem| self.error_at(l, p, s, problem))?
                }
                _ => {
                    return Err(self.error_at(
                        line,
                        pos,
                        line_start,
                        PayloadProblem::ExpectedPorts,
                    ));
                }
            };
            let mut data = Vec::new();
            let mut strings = 0;
            let mut source_port = None;
            let mut saw_keyword = false;
            loop {
                match self.next_token()? {
                    Some((Token::Str(s), _)) if !saw_keyword => {
                        data.extend_from_slice(&s);
                        strings += 1;
                    }
                    Some((Token::Word(w), (l, p, s)))
                        if strings > 0 && !w.eq_ignore_ascii_case(b"udp") =>
                    {
                        saw_keyword = true;
                        if w.eq_ignore_ascii_case(b"source") {
                            let arg_line = self.line;
                            let arg = self.next_token()?;
                            source_port = Some(match arg {
                                Some((Token::Word(n), (al, _, _))) if al == arg_line => {
                                    parse_port(&n).ok_or_else(|| {
                                        self.error_at(
                                            l,
                                            p,
                                            s,
                                            PayloadProblem::BadSourcePort(
                                                String::from_utf8_lossy(&n).into_owned(),
                                            ),
                                        )
                                    })?
                                }
                                _ => {
                                    return Err(self.error_at(
                                        l,
                                        p,
                                        s,
                                        PayloadProblem::BadSourcePort(String::new()),
                                    ));
                                }
                            });
                        } else {
                            ignored.push(IgnoredKeyword {
                                keyword: String::from_utf8_lossy(&w).into_owned(),
                                line: l,
                            });
                            self.skip_rest_of_line();
                        }
                    }
                    other => {
                        if strings == 0 {
                            return Err(self.error_at(
                                line,
                                pos,
                                line_start,
                                PayloadProblem::MissingPayload,
                            ));
                        }
                        pending = other;
                        break;
                    }
                }
            }
            entries.push(Payload {
                ports,
                data,
                source_port,
                line,
            });
            columns.push(pos - line_start + 1);
        }
        if let Some((index, port)) = first_over_limit(&entries) {
            return Err(SyntaxError {
                line: entries[index].line,
                column: columns[index],
                problem: PayloadProblem::TooManyPayloads(port),
            });
        }
        Ok((entries, ignored))
    }
}

/// The first entry, in file order, that gives some port more than `MAX_PAYLOADS_PER_PORT` payloads, and
/// that port. A sweep over range boundaries finds the most-covered ports in O(R log R) for R ranges, so a
/// hostile file with many entries cannot make loading slow.
fn first_over_limit(entries: &[Payload]) -> Option<(usize, u16)> {
    let mut events: Vec<(u32, i32)> = entries
        .iter()
        .flat_map(|e| e.ports.iter())
        .flat_map(|&(lo, hi)| [(u32::from(lo), 1), (u32::from(hi) + 1, -1)])
        .collect();
    // At one position, ends (-1) sort before starts (+1), so touching ranges do not count as overlapping.
    events.sort_unstable();
    let mut depth = 0i32;
    let mut over: Option<u16> = None;
    for (at, delta) in events {
        depth += delta;
        if depth > MAX_PAYLOADS_PER_PORT as i32 {
            over = u16::try_from(at).ok();
            break;
        }
    }
    let port = over?;
    let index = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.covers(port))
        .nth(MAX_PAYLOADS_PER_PORT)
        .map(|(i, _)| i)?;
    Some((index, port))
}

fn parse_port(s: &[u8]) -> Option<u16> {
    if s.is_empty() || s.len() > 5 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

fn parse_ports(list: &[u8]) -> Result<Vec<(u16, u16)>, PayloadProblem> {
    let mut out = Vec::new();
    for item in list.split(|&b| b == b',') {
        let bad = || PayloadProblem::BadPort(String::from_utf8_lossy(item).into_owned());
        let (lo, hi) = match item.iter().position(|&b| b == b'-') {
            Some(dash) => (
                parse_port(&item[..dash]).ok_or_else(bad)?,
                parse_port(&item[dash + 1..]).ok_or_else(bad)?,
            ),
            None => {
                let p = parse_port(item).ok_or_else(bad)?;
                (p, p)
            }
        };
        if lo > hi {
            return Err(PayloadProblem::ReversedRange(lo, hi));
        }
        out.push((lo, hi));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax_error(text: &str) -> (usize, usize, PayloadProblem, String) {
        match UdpPayloads::parse(text, "test-file") {
            Err(e @ PayloadError::Syntax { .. }) => {
                let msg = e.to_string();
                let PayloadError::Syntax {
                    line,
                    column,
                    problem,
                    ..
                } = e
                else {
                    unreachable!()
                };
                (line, column, problem, msg)
            }
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn parses_entries_strings_ranges_and_source() {
        let text = "# header\n\nudp 7 \"ab\\r\\n\"   # trailing comment\n\
                    udp 53,100-102\n  \"\\x00\\x01\" # between strings\n  \"\\0z\\\"\\\\\\t\"\n  source 5353\n\
                    udp 53 \"second\"\nudp 9 \"\"\n";
        let db = UdpPayloads::parse(text, "t").unwrap();
        assert_eq!(db.entries().len(), 4);
        assert_eq!(db.for_port(7), Some(&b"ab\r\n"[..]));
        assert_eq!(db.for_port(53), Some(&b"\x00\x01\x00z\"\\\t"[..]));
        assert_eq!(db.for_port(101), db.for_port(53));
        assert_eq!(db.for_port(103), None);
        assert_eq!(db.source_port(102), Some(5353));
        assert_eq!(db.source_port(7), None);
        assert_eq!(
            db.for_port(9),
            Some(&b""[..]),
            "an empty string is an empty payload"
        );
        let all: Vec<&[u8]> = db.all_for_port(53).map(|p| p.data.as_slice()).collect();
        assert_eq!(all, vec![&b"\x00\x01\x00z\"\\\t"[..], &b"second"[..]]);
        assert_eq!(db.entries()[1].line, 4);
        assert_eq!(db.entries()[1].ports, vec![(53, 53), (100, 102)]);
    }

    #[test]
    fn unknown_keywords_are_skipped_with_their_line() {
        let text = "udp 1 \"a\" future x y \"not a string\"\n  source 2 later 3\nudp 4 \"b\"\n";
        let db = UdpPayloads::parse(text, "t").unwrap();
        assert_eq!(db.for_port(1), Some(&b"a"[..]));
        assert_eq!(db.source_port(1), Some(2));
        let kws: Vec<(&str, usize)> = db
            .ignored_keywords()
            .iter()
            .map(|k| (k.keyword.as_str(), k.line))
            .collect();
        assert_eq!(kws, vec![("future", 1), ("later", 2)]);
        assert_eq!(db.for_port(4), Some(&b"b"[..]));
    }

    #[test]
    fn all_escapes_decode() {
        let db = UdpPayloads::parse(r#"udp 1 "\\\"\'\?\0\a\b\f\n\r\t\v\xfF\x00""#, "t").unwrap();
        assert_eq!(
            db.for_port(1),
            Some(&b"\\\"'?\x00\x07\x08\x0c\n\r\t\x0b\xff\x00"[..])
        );
    }

    #[test]
    fn raw_non_utf8_bytes_are_payload_bytes() {
        let db = UdpPayloads::parse_bytes(b"udp 1 \"\xff\xfe\"\n", "t").unwrap();
        assert_eq!(db.for_port(1), Some(&b"\xff\xfe"[..]));
    }

    #[test]
    fn errors_name_file_line_column_and_problem() {
        let (line, col, problem, msg) = syntax_error("udp 1 \"ok\"\n\nudp 2 \"a\\q\"\n");
        assert_eq!((line, col), (3, 9));
        assert_eq!(problem, PayloadProblem::BadEscape("\\q".into()));
        assert!(
            msg.starts_with("test-file line 3 column 9: bad escape"),
            "{msg}"
        );

        assert_eq!(
            syntax_error("udp 1 \"abc\n\"").2,
            PayloadProblem::UnterminatedString
        );
        assert_eq!(
            syntax_error("# c\n tcp 2 \"x\"").2,
            PayloadProblem::UnsupportedProtocol("tcp".into())
        );
        assert_eq!(
            syntax_error("\"x\"").2,
            PayloadProblem::ExpectedEntry("\"...\"".into())
        );
        assert_eq!(syntax_error("udp").2, PayloadProblem::ExpectedPorts);
        assert_eq!(syntax_error("udp \"x\"").2, PayloadProblem::ExpectedPorts);
        let (line, col, problem, _) = syntax_error("udp 1\nudp 2 \"x\"");
        assert_eq!((line, col, problem), (1, 1, PayloadProblem::MissingPayload));
        assert_eq!(
            syntax_error("udp 1,,2 \"x\"").2,
            PayloadProblem::BadPort("".into())
        );
        assert_eq!(
            syntax_error("udp 65536 \"x\"").2,
            PayloadProblem::BadPort("65536".into())
        );
        assert_eq!(
            syntax_error("udp +5 \"x\"").2,
            PayloadProblem::BadPort("+5".into())
        );
        assert_eq!(
            syntax_error("udp 9-3 \"x\"").2,
            PayloadProblem::ReversedRange(9, 3)
        );
        let (line, col, problem, _) = syntax_error("udp 1 \"x\"\n   source\n");
        assert_eq!(
            (line, col, problem),
            (2, 4, PayloadProblem::BadSourcePort("".into()))
        );
        assert_eq!(
            syntax_error("udp 1 \"x\" source 70000").2,
            PayloadProblem::BadSourcePort("70000".into())
        );
        assert_eq!(
            syntax_error("udp 1 \"x\" more args\n \"late string\"").2,
            PayloadProblem::ExpectedEntry("\"...\"".into())
        );
        for bad in [r"\x4", r"\xg0", r"\01", r"\8"] {
            let text = format!("udp 1 \"{bad}\"");
            assert!(
                matches!(syntax_error(&text).2, PayloadProblem::BadEscape(_)),
                "{bad} should be a bad escape"
            );
        }
    }

    #[test]
    fn per_port_limit_is_enforced_through_ranges() {
        let mut text = String::from("udp 10-20 \"a\"\n");
        for _ in 1..MAX_PAYLOADS_PER_PORT {
            text.push_str("udp 15 \"b\"\n");
        }
        let db = UdpPayloads::parse(&text, "t").unwrap();
        assert_eq!(db.all_for_port(15).count(), MAX_PAYLOADS_PER_PORT);
        text.push_str("udp 12-16 \"c\"\n");
        let (line, _, problem, _) = syntax_error(&text);
        assert_eq!(line, MAX_PAYLOADS_PER_PORT + 1);
        assert_eq!(problem, PayloadProblem::TooManyPayloads(15));
    }

    #[test]
    fn truncated_and_mutated_files_never_panic() {
        let text = BUILTIN_TEXT.as_bytes();
        for end in 0..text.len() {
            let _ = UdpPayloads::parse_bytes(&text[..end], "t");
        }
        // A fixed xorshift sequence: reproducible, no dependency.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let specials = b"\\\"#x0-,\n udp source";
        let mut parsed = 0;
        for _ in 0..3000 {
            let mut m = text.to_vec();
            for _ in 0..(1 + next() % 4) {
                let at = (next() % m.len() as u64) as usize;
                m[at] = specials[(next() % specials.len() as u64) as usize];
            }
            if UdpPayloads::parse_bytes(&m, "t").is_ok() {
                parsed += 1;
            }
        }
        assert!(parsed > 0, "some mutations (inside comments) still parse");
    }

    #[test]
    fn error_messages_escape_what_they_quote() {
        let (_, _, _, msg) = syntax_error("udp 1\u{1b}[31m \"x\"");
        assert!(!msg.contains('\u{1b}'), "{msg:?}");
        let (_, _, _, msg) = syntax_error("udp 1 \"\\\u{1b}\"");
        assert!(!msg.contains('\u{1b}'), "{msg:?}");
    }
}

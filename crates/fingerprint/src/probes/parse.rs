//! Line parser for the probes file. Works on bytes: the file is not guaranteed UTF-8, and every column
//! reported is a 1-based byte offset in its line.

use super::template::{self, Template};
use super::{ExcludeRange, MatchRule, Probe, ProbeProblem, ProbeProtocol, VersionTemplates};

pub(super) struct ParseError {
    pub line: usize,
    pub column: usize,
    pub problem: ProbeProblem,
}

type Res<T> = Result<T, ParseError>;

/// A cursor over one line.
struct Line<'a> {
    bytes: &'a [u8],
    pos: usize,
    number: usize,
}

impl<'a> Line<'a> {
    fn err(&self, at: usize, problem: ProbeProblem) -> ParseError {
        ParseError {
            line: self.number,
            column: at + 1,
            problem,
        }
    }

    fn skip_ws(&mut self) {
        while self.pos < self.bytes.len() && matches!(self.bytes[self.pos], b' ' | b'\t') {
            self.pos += 1;
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// The next whitespace-delimited word (may be empty at the end of the line).
    fn word(&mut self) -> (usize, &'a [u8]) {
        self.skip_ws();
        let start = self.pos;
        while self.pos < self.bytes.len() && !matches!(self.bytes[self.pos], b' ' | b'\t') {
            self.pos += 1;
        }
        (start, &self.bytes[start..self.pos])
    }

    fn required_word(&mut self, what: &'static str) -> Res<(usize, &'a [u8])> {
        let (at, w) = self.word();
        if w.is_empty() {
            return Err(self.err(at, ProbeProblem::MissingArgument(what)));
        }
        Ok((at, w))
    }

    /// After a directive's arguments: nothing but whitespace may remain.
    fn finish(&mut self) -> Res<()> {
        self.skip_ws();
        if self.at_end() {
            Ok(())
        } else {
            Err(self.err(
                self.pos,
                ProbeProblem::TrailingText(lossy(&self.bytes[self.pos..])),
            ))
        }
    }

    /// `<letter><d>content<d>`: the cursor is on the delimiter. Returns (content start, content).
    fn delimited(&mut self, what: &'static str) -> Res<(usize, &'a [u8])> {
        let Some(&delim) = self.bytes.get(self.pos) else {
            return Err(self.err(self.pos, ProbeProblem::Expected(what)));
        };
        let start = self.pos + 1;
        let Some(len) = self.bytes[start..].iter().position(|&b| b == delim) else {
            return Err(self.err(self.pos, ProbeProblem::Unterminated(what)));
        };
        self.pos = start + len + 1;
        Ok((start, &self.bytes[start..start + len]))
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Parses a whole file: the `Exclude` ranges and the probes, fallbacks resolved.
pub(super) fn parse(text: &[u8]) -> Res<(Vec<ExcludeRange>, Vec<Probe>)> {
    let mut exclude: Option<Vec<ExcludeRange>> = None;
    let mut probes: Vec<Probe> = Vec::new();
    // Where each probe's fallback line is, to report an unknown name after the whole file is read.
    let mut fallback_at: Vec<Option<(usize, usize)>> = Vec::new();

    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let mut line = Line {
            bytes: raw,
            pos: 0,
            number: i + 1,
        };
        line.skip_ws();
        if line.at_end() || raw[line.pos] == b'#' {
            continue;
        }
        let (at, directive) = line.word();
        match directive {
            b"Exclude" => {
                if !probes.is_empty() {
                    return Err(line.err(at, ProbeProblem::ExcludeAfterProbe));
                }
                if exclude.is_some() {
                    return Err(line.err(at, ProbeProblem::Duplicate("Exclude")));
                }
                let (at, spec) = line.required_word("port specification")?;
                exclude = Some(parse_exclude(&line, at, spec)?);
                line.finish()?;
            }
            b"Probe" => {
                let probe = parse_probe(&mut line)?;
                if probes
                    .iter()
                    .any(|p| p.protocol == probe.protocol && p.name == probe.name)
                {
                    return Err(line.err(at, ProbeProblem::DuplicateProbe(probe.name)));
                }
                probes.push(probe);
                fallback_at.push(None);
            }
            b"match" | b"softmatch" | b"ports" | b"sslports" | b"totalwaitms" | b"tcpwrappedms"
            | b"rarity" | b"fallback" => {
                let Some(probe) = probes.last_mut() else {
                    return Err(line.err(at, ProbeProblem::OutsideProbe(lossy(directive))));
                };
                match directive {
                    b"match" | b"softmatch" => {
                        let rule = parse_match(&mut line, directive == b"softmatch")?;
                        probe.matches.push(rule);
                    }
                    b"ports" | b"sslports" => {
                        let ssl = directive == b"sslports";
                        let what = if ssl { "sslports" } else { "ports" };
                        let target = if ssl {
                            &mut probe.ssl_ports
                        } else {
                            &mut probe.ports
                        };
                        if !target.is_empty() {
                            return Err(line.err(at, ProbeProblem::Duplicate(what)));
                        }
                        let (at, list) = line.required_word("port list")?;
                        *target = parse_port_list(&line, at, list)?;
                        line.finish()?;
                    }
                    b"totalwaitms" | b"tcpwrappedms" => {
                        let total = directive == b"totalwaitms";
                        let what = if total { "totalwaitms" } else { "tcpwrappedms" };
                        let (at, n) = line.required_word("milliseconds")?;
                        let ms = parse_num::<u32>(&line, at, n)?;
                        let slot = if total {
                            &mut probe.total_wait_ms
                        } else {
                            &mut probe.tcpwrapped_ms
                        };
                        if slot.replace(ms).is_some() {
                            return Err(line.err(at, ProbeProblem::Duplicate(what)));
                        }
                        line.finish()?;
                    }
                    b"rarity" => {
                        let (at, n) = line.required_word("rarity")?;
                        let r = match std::str::from_utf8(n)
                            .ok()
                            .and_then(|s| s.parse::<u8>().ok())
                        {
                            Some(r @ 1..=9) => r,
                            _ => return Err(line.err(at, ProbeProblem::BadRarity(lossy(n)))),
                        };
                        if probe.rarity.replace(r).is_some() {
                            return Err(line.err(at, ProbeProblem::Duplicate("rarity")));
                        }
                        line.finish()?;
                    }
                    _ => {
                        let (at, list) = line.required_word("fallback probe names")?;
                        if !probe.fallback.is_empty() {
                            return Err(line.err(at, ProbeProblem::Duplicate("fallback")));
                        }
                        probe.fallback = list
                            .split(|&b| b == b',')
                            .filter(|n| !n.is_empty())
                            .map(lossy)
                            .collect();
                        if let Some(slot) = fallback_at.last_mut() {
                            *slot = Some((line.number, at + 1));
                        }
                        line.finish()?;
                    }
                }
            }
            other => {
                return Err(line.err(at, ProbeProblem::UnknownDirective(lossy(other))));
            }
        }
    }

    // Fallbacks may name probes defined later in the file.
    let mut resolved = Vec::with_capacity(probes.len());
    for (probe, at) in probes.iter().zip(&fallback_at) {
        let mut ids = Vec::new();
        for name in &probe.fallback {
            // Same protocol first; Nmap's own file has a TCP probe fall back on a UDP probe's lines.
            let same = probes
                .iter()
                .position(|p| p.protocol == probe.protocol && &p.name == name);
            match same.or_else(|| probes.iter().position(|p| &p.name == name)) {
                Some(id) => ids.push(id),
                None => {
                    let (line, column) = at.unwrap_or((probe.line, 1));
                    return Err(ParseError {
                        line,
                        column,
                        problem: ProbeProblem::UnknownFallback(name.clone()),
                    });
                }
            }
        }
        resolved.push(ids);
    }
    for (probe, ids) in probes.iter_mut().zip(resolved) {
        probe.fallback_ids = ids;
    }
    Ok((exclude.unwrap_or_default(), probes))
}

fn parse_num<T: std::str::FromStr>(line: &Line<'_>, at: usize, n: &[u8]) -> Res<T> {
    std::str::from_utf8(n)
        .ok()
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<T>().ok())
        .ok_or_else(|| line.err(at, ProbeProblem::BadNumber(lossy(n))))
}

fn parse_port(line: &Line<'_>, at: usize, p: &[u8]) -> Res<u16> {
    std::str::from_utf8(p)
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| line.err(at, ProbeProblem::BadPort(lossy(p))))
}

/// One `N` or `N-M` element; `at` is its column offset.
fn parse_range(line: &Line<'_>, at: usize, item: &[u8]) -> Res<(u16, u16)> {
    match item.iter().position(|&b| b == b'-') {
        None => {
            let p = parse_port(line, at, item)?;
            Ok((p, p))
        }
        Some(dash) => {
            let lo = parse_port(line, at, &item[..dash])?;
            let hi = parse_port(line, at + dash + 1, &item[dash + 1..])?;
            if lo > hi {
                return Err(line.err(at, ProbeProblem::BadPort(lossy(item))));
            }
            Ok((lo, hi))
        }
    }
}

/// Splits a comma list, yielding each element with its offset in the line.
fn items(at: usize, list: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut offset = at;
    list.split(|&b| b == b',').map(move |item| {
        let here = offset;
        offset += item.len() + 1;
        (here, item)
    })
}

fn parse_port_list(line: &Line<'_>, at: usize, list: &[u8]) -> Res<Vec<(u16, u16)>> {
    items(at, list)
        .map(|(at, item)| parse_range(line, at, item))
        .collect()
}

/// `-p` syntax: `T:`/`U:` switch the protocol for the elements that follow; elements before any prefix
/// are for every protocol.
fn parse_exclude(line: &Line<'_>, at: usize, spec: &[u8]) -> Res<Vec<ExcludeRange>> {
    let mut protocol = None;
    let mut out = Vec::new();
    for (at, mut item) in items(at, spec) {
        let mut at = at;
        if item.len() >= 2 && item[1] == b':' {
            protocol = match item[0].to_ascii_uppercase() {
                b'T' => Some(ProbeProtocol::Tcp),
                b'U' => Some(ProbeProtocol::Udp),
                _ => return Err(line.err(at, ProbeProblem::BadPort(lossy(item)))),
            };
            item = &item[2..];
            at += 2;
        }
        let (low, high) = parse_range(line, at, item)?;
        out.push(ExcludeRange {
            protocol,
            low,
            high,
        });
    }
    Ok(out)
}

fn parse_probe(line: &mut Line<'_>) -> Res<Probe> {
    let (at, proto) = line.required_word("protocol (TCP or UDP)")?;
    let protocol = match proto {
        b"TCP" => ProbeProtocol::Tcp,
        b"UDP" => ProbeProtocol::Udp,
        other => return Err(line.err(at, ProbeProblem::BadProtocol(lossy(other)))),
    };
    let (_, name) = line.required_word("probe name")?;
    let name = lossy(name);
    line.skip_ws();
    if line.bytes.get(line.pos) != Some(&b'q') {
        return Err(line.err(line.pos, ProbeProblem::Expected("probe string q|...|")));
    }
    line.pos += 1;
    let (start, raw) = line.delimited("probe string")?;
    let payload = unescape(line, start, raw)?;
    let mut no_payload = false;
    loop {
        let (at, w) = line.word();
        match w {
            b"" => break,
            b"no-payload" => no_payload = true,
            other => return Err(line.err(at, ProbeProblem::TrailingText(lossy(other)))),
        }
    }
    Ok(Probe {
        protocol,
        name,
        payload,
        no_payload,
        ports: Vec::new(),
        ssl_ports: Vec::new(),
        total_wait_ms: None,
        tcpwrapped_ms: None,
        rarity: None,
        fallback: Vec::new(),
        matches: Vec::new(),
        line: line.number,
        fallback_ids: Vec::new(),
    })
}

/// C escapes of probe strings. `start` is the column offset of `raw` in the line.
fn unescape(line: &Line<'_>, start: usize, raw: &[u8]) -> Res<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let Some(&e) = raw.get(i + 1) else {
            return Err(line.err(start + i, ProbeProblem::BadEscape("\\".into())));
        };
        let byte = match e {
            b'0' => 0,
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0b,
            b'x' => {
                let hex = raw
                    .get(i + 2..i + 4)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) if hex.is_some_and(|h| h.bytes().all(|c| c.is_ascii_hexdigit())) => {
                        out.push(v);
                        i += 4;
                        continue;
                    }
                    _ => {
                        let end = (i + 4).min(raw.len());
                        return Err(
                            line.err(start + i, ProbeProblem::BadEscape(lossy(&raw[i..end])))
                        );
                    }
                }
            }
            // A backslash before punctuation stands for the punctuation itself.
            e if e.is_ascii_punctuation() => e,
            _ => {
                return Err(line.err(start + i, ProbeProblem::BadEscape(lossy(&raw[i..i + 2]))));
            }
        };
        out.push(byte);
        i += 2;
    }
    Ok(out)
}

/// PCRE2 takes the pattern as a `&str`; without UTF mode each char of it is one byte. Raw bytes >= 0x80
/// are therefore written as `\x{HH}` (a preceding escaping backslash is dropped: an escaped non-ASCII
/// byte is the byte itself).
fn pattern_to_str(raw: &[u8]) -> String {
    let mut s = String::with_capacity(raw.len());
    let mut backslashes = 0usize;
    for &b in raw {
        if b >= 0x80 {
            if backslashes % 2 == 1 {
                s.pop();
            }
            s.push_str(&format!("\\x{{{b:02x}}}"));
            backslashes = 0;
        } else {
            s.push(b as char);
            backslashes = if b == b'\\' { backslashes + 1 } else { 0 };
        }
    }
    s
}

fn parse_match(line: &mut Line<'_>, soft: bool) -> Res<MatchRule> {
    let (_, service) = line.required_word("service name")?;
    let service = lossy(service);
    line.skip_ws();
    if line.bytes.get(line.pos) != Some(&b'm') {
        return Err(line.err(line.pos, ProbeProblem::Expected("pattern m/.../")));
    }
    line.pos += 1;
    let (pstart, raw) = line.delimited("pattern")?;
    let (mut caseless, mut dot_all) = (false, false);
    while let Some(&f) = line.bytes.get(line.pos) {
        match f {
            b'i' => caseless = true,
            b's' => dot_all = true,
            b' ' | b'\t' => break,
            other => return Err(line.err(line.pos, ProbeProblem::UnknownFlag(other as char))),
        }
        line.pos += 1;
    }
    let pattern = pattern_to_str(raw);
    let regex = pcre2::bytes::RegexBuilder::new()
        .caseless(caseless)
        .dotall(dot_all)
        .utf(false)
        .jit_if_available(true)
        .build(&pattern)
        .map_err(|e| {
            // The offset is into the converted pattern; before any non-ASCII byte it equals the raw one.
            let off = e.offset().unwrap_or(0).min(raw.len());
            line.err(pstart + off, ProbeProblem::Regex(e.to_string()))
        })?;
    // captures_len counts group 0.
    let groups = regex.captures_len().saturating_sub(1);

    let mut templates = VersionTemplates::default();
    loop {
        line.skip_ws();
        if line.at_end() {
            break;
        }
        let field_at = line.pos;
        let rest = &line.bytes[line.pos..];
        let (letter, is_cpe) = if rest.starts_with(b"cpe:") {
            line.pos += 4;
            ('c', true)
        } else {
            let c = rest[0];
            if !matches!(c, b'p' | b'v' | b'i' | b'h' | b'o' | b'd') || rest.len() < 2 {
                let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
                return Err(line.err(field_at, ProbeProblem::UnknownField(lossy(&rest[..end]))));
            }
            line.pos += 1;
            (c as char, false)
        };
        let (cstart, content) = line.delimited("version field")?;
        let tpl = template::parse(content)
            .map_err(|(off, msg)| line.err(cstart + off, ProbeProblem::BadTemplate(msg)))?;
        if let Some((off, n)) = tpl.max_group().filter(|&(_, n)| usize::from(n) > groups) {
            return Err(line.err(cstart + off, ProbeProblem::NoSuchGroup(n)));
        }
        if is_cpe {
            // The only CPE flag is `a` (the CPE is an application's; informational).
            while line.bytes.get(line.pos) == Some(&b'a') {
                line.pos += 1;
            }
            templates.cpe.push(tpl);
        } else {
            let slot: &mut Option<Template> = match letter {
                'p' => &mut templates.product,
                'v' => &mut templates.version,
                'i' => &mut templates.info,
                'h' => &mut templates.hostname,
                'o' => &mut templates.os_type,
                _ => &mut templates.device_type,
            };
            if slot.replace(tpl).is_some() {
                return Err(line.err(field_at, ProbeProblem::DuplicateField(letter)));
            }
        }
        match line.bytes.get(line.pos) {
            None | Some(b' ' | b'\t') => {}
            Some(_) => {
                return Err(line.err(
                    line.pos,
                    ProbeProblem::TrailingText(lossy(&line.bytes[line.pos..])),
                ));
            }
        }
    }
    Ok(MatchRule {
        service,
        soft,
        pattern: lossy(raw),
        caseless,
        dot_all,
        templates,
        line: line.number,
        regex,
    })
}

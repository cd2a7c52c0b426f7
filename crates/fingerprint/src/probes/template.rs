//! Version-field templates: literal text with `$n`, `$P(n)`, `$SUBST(n,"from","to")` and `$I(n,">"|"<")`
//! filled from a match's capture groups.

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePiece {
    Literal(Vec<u8>),
    /// `$n`: the group's bytes.
    Group(u8),
    /// `$P(n)`: the group's printable bytes (0x20-0x7e) only.
    Printable(u8),
    /// `$SUBST(n,"from","to")`: the group with every `from` replaced by `to`.
    Subst(u8, Vec<u8>, Vec<u8>),
    /// `$I(n,">")` (big endian) or `$I(n,"<")` (little endian): the group's bytes as an unsigned
    /// integer, in decimal.
    Int {
        group: u8,
        big_endian: bool,
    },
}

impl TemplatePiece {
    fn group(&self) -> Option<u8> {
        match self {
            TemplatePiece::Literal(_) => None,
            TemplatePiece::Group(n) | TemplatePiece::Printable(n) | TemplatePiece::Subst(n, ..) => {
                Some(*n)
            }
            TemplatePiece::Int { group, .. } => Some(*group),
        }
    }
}

/// A parsed version field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    pub pieces: Vec<TemplatePiece>,
    /// Byte offset of each piece in the field text (for error columns).
    offsets: Vec<usize>,
}

impl Template {
    /// The highest group referenced and the offset of its reference.
    pub(super) fn max_group(&self) -> Option<(usize, u8)> {
        self.pieces
            .iter()
            .zip(&self.offsets)
            .filter_map(|(p, &o)| p.group().map(|g| (o, g)))
            .max_by_key(|&(_, g)| g)
    }

    /// Fills the template. `group(n)` gives group n's bytes, empty when it did not take part.
    /// `None` when an `$I` group is longer than 8 bytes (no integer to print).
    pub fn render<'a>(&self, group: impl Fn(u8) -> &'a [u8]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for piece in &self.pieces {
            match piece {
                TemplatePiece::Literal(l) => out.extend_from_slice(l),
                TemplatePiece::Group(n) => out.extend_from_slice(group(*n)),
                TemplatePiece::Printable(n) => out.extend(
                    group(*n)
                        .iter()
                        .copied()
                        .filter(|b| (0x20..0x7f).contains(b)),
                ),
                TemplatePiece::Subst(n, from, to) => {
                    let g = group(*n);
                    let mut i = 0;
                    while i < g.len() {
                        if !from.is_empty() && g[i..].starts_with(from) {
                            out.extend_from_slice(to);
                            i += from.len();
                        } else {
                            out.push(g[i]);
                            i += 1;
                        }
                    }
                }
                TemplatePiece::Int {
                    group: n,
                    big_endian,
                } => {
                    let g = group(*n);
                    if g.len() > 8 {
                        return None;
                    }
                    let mut v: u64 = 0;
                    if *big_endian {
                        for &b in g {
                            v = (v << 8) | u64::from(b);
                        }
                    } else {
                        for &b in g.iter().rev() {
                            v = (v << 8) | u64::from(b);
                        }
                    }
                    out.extend_from_slice(v.to_string().as_bytes());
                }
            }
        }
        Some(out)
    }
}

/// Parses a field's text. Errors are (byte offset in `text`, message). A `$` not followed by a digit
/// or one of the three function names is literal.
pub(super) fn parse(text: &[u8]) -> Result<Template, (usize, String)> {
    let mut t = Template::default();
    let mut lit: Vec<u8> = Vec::new();
    let mut lit_at = 0;
    let mut i = 0;
    let flush = |t: &mut Template, lit: &mut Vec<u8>, at: usize| {
        if !lit.is_empty() {
            t.pieces.push(TemplatePiece::Literal(std::mem::take(lit)));
            t.offsets.push(at);
        }
    };
    while i < text.len() {
        let rest = &text[i..];
        let piece = if rest.len() >= 2 && rest[0] == b'$' && (b'1'..=b'9').contains(&rest[1]) {
            Some((TemplatePiece::Group(rest[1] - b'0'), 2))
        } else if rest.starts_with(b"$P(") {
            let (n, used) = args(rest, 3, 0).map_err(|(o, m)| (i + o, m))?;
            Some((TemplatePiece::Printable(n.0), used))
        } else if rest.starts_with(b"$SUBST(") {
            let ((n, strs), used) = args(rest, 7, 2).map_err(|(o, m)| (i + o, m))?;
            let mut strs = strs.into_iter();
            let from = strs.next().unwrap_or_default();
            let to = strs.next().unwrap_or_default();
            Some((TemplatePiece::Subst(n, from, to), used))
        } else if rest.starts_with(b"$I(") {
            let ((n, strs), used) = args(rest, 3, 1).map_err(|(o, m)| (i + o, m))?;
            let big_endian = match strs.first().map(Vec::as_slice) {
                Some(b">") => true,
                Some(b"<") => false,
                _ => return Err((i, "$I takes \">\" or \"<\" as its second argument".into())),
            };
            Some((
                TemplatePiece::Int {
                    group: n,
                    big_endian,
                },
                used,
            ))
        } else {
            None
        };
        match piece {
            Some((p, used)) => {
                flush(&mut t, &mut lit, lit_at);
                t.pieces.push(p);
                t.offsets.push(i);
                i += used;
                lit_at = i;
            }
            None => {
                if lit.is_empty() {
                    lit_at = i;
                }
                lit.push(text[i]);
                i += 1;
            }
        }
    }
    flush(&mut t, &mut lit, lit_at);
    Ok(t)
}

/// Reads `n` then `strings` quoted arguments and `)`, starting at `rest[open..]`. Returns the group
/// number, the strings and how many bytes of `rest` were used.
#[allow(clippy::type_complexity)]
fn args(
    rest: &[u8],
    open: usize,
    strings: usize,
) -> Result<((u8, Vec<Vec<u8>>), usize), (usize, String)> {
    let mut i = open;
    let n = match rest.get(i) {
        Some(d @ b'1'..=b'9') => d - b'0',
        _ => return Err((i, "expected a group number 1-9".into())),
    };
    i += 1;
    let mut out = Vec::new();
    let skip_ws = |i: &mut usize| {
        while matches!(rest.get(*i), Some(b' ' | b'\t')) {
            *i += 1;
        }
    };
    for _ in 0..strings {
        skip_ws(&mut i);
        if rest.get(i) != Some(&b',') {
            return Err((i, "expected ,\"...\"".into()));
        }
        i += 1;
        skip_ws(&mut i);
        if rest.get(i) != Some(&b'"') {
            return Err((i, "expected ,\"...\"".into()));
        }
        i += 1;
        // C escapes inside the quotes, so that `\r\n` can be replaced; `\"` does not end the string.
        let mut s = Vec::new();
        loop {
            match rest.get(i) {
                None => return Err((i, "string not closed by \"".into())),
                Some(b'"') => break,
                Some(b'\\') => {
                    let (b, used) = match rest.get(i + 1) {
                        Some(b'r') => (b'\r', 2),
                        Some(b'n') => (b'\n', 2),
                        Some(b't') => (b'\t', 2),
                        Some(b'0') => (0, 2),
                        Some(b'x') => {
                            let h = rest
                                .get(i + 2..i + 4)
                                .and_then(|h| std::str::from_utf8(h).ok());
                            match h.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                                Some(v) => (v, 4),
                                None => return Err((i, "bad \\x escape".into())),
                            }
                        }
                        Some(&c) => (c, 2),
                        None => return Err((i, "string not closed by \"".into())),
                    };
                    s.push(b);
                    i += used;
                }
                Some(&c) => {
                    s.push(c);
                    i += 1;
                }
            }
        }
        out.push(s);
        i += 1;
    }
    skip_ws(&mut i);
    if rest.get(i) != Some(&b')') {
        return Err((i, "expected )".into()));
    }
    Ok(((n, out), i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(t: &str, groups: &[&[u8]]) -> Option<Vec<u8>> {
        let tpl = parse(t.as_bytes()).unwrap();
        tpl.render(|n| groups.get(usize::from(n) - 1).copied().unwrap_or(b""))
    }

    #[test]
    fn substitutions() {
        assert_eq!(fill("v$1-$2.x", &[b"1", b"2"]).unwrap(), b"v1-2.x");
        assert_eq!(fill("$P(1)", &[b"a\x00b\xffc\n"]).unwrap(), b"abc");
        assert_eq!(
            fill("$SUBST(1,\"_\",\".\")", &[b"1_2_3"]).unwrap(),
            b"1.2.3"
        );
        assert_eq!(fill("$I(1,\">\")", &[b"\x01\x02"]).unwrap(), b"258");
        assert_eq!(
            fill("$SUBST(1, \"\\r\\n\", \",\")", &[b"a\r\nb"]).unwrap(),
            b"a,b"
        );
        assert_eq!(fill("$I(1,\"<\")", &[b"\x01\x02"]).unwrap(), b"513");
        assert_eq!(fill("$I(1,\">\")", &[b"123456789"]), None);
        assert_eq!(fill("cost $5 $x", &[]).unwrap(), b"cost  $x");
        assert_eq!(parse(b"a$2b$P(3)").unwrap().max_group(), Some((4, 3)));
    }

    #[test]
    fn malformed() {
        assert_eq!(parse(b"x$P(a)").unwrap_err().0, 4);
        assert_eq!(parse(b"$SUBST(1,\"a\")").unwrap_err().0, 12);
        assert!(parse(b"$I(1,\"=\")").is_err());
        assert!(parse(b"$SUBST(1,\"a").is_err());
    }
}

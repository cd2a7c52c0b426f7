//! The probes-file parser on small hand-written files: what each directive produces, and errors that
//! name the line and column of what is wrong.
#![allow(clippy::unwrap_used)]

use portolan_fingerprint::probes::{ProbeDb, ProbeError, ProbeProblem, ProbeProtocol};

fn err(text: &str) -> (usize, usize, ProbeProblem) {
    match ProbeDb::parse(text, "test-probes") {
        Err(ProbeError::Syntax {
            source_name,
            line,
            column,
            problem,
        }) => {
            assert_eq!(source_name, "test-probes");
            (line, column, problem)
        }
        other => panic!("expected a syntax error for {text:?}, got {other:?}"),
    }
}

const HEAD: &str = "# comment\n\nProbe TCP NULL q||\n";

#[test]
fn directives_are_read() {
    let text = "Exclude 53,T:9100-9107,U:30000\n\
                Probe TCP NULL q||\n\
                totalwaitms 6000\n\
                tcpwrappedms 3000\n\
                match ftp m|^220 Zork FTP ([\\d.]+)\\r\\n| p/Zork ftpd/ v/$1/ cpe:/a:zork:ftpd:$1/a\n\
                softmatch ftp m=^220[ -]=i\n\
                Probe UDP Odd q/\\0\\x01\\r\\n\\t\\\\\\|/ no-payload\n\
                rarity 8\n\
                ports 7,100-200\n\
                sslports 443\n\
                fallback Later\n\
                Probe UDP Later q|x|\n";
    let db = ProbeDb::parse(text, "t").unwrap();
    assert_eq!(db.probes().len(), 3);
    assert!(db.is_excluded(ProbeProtocol::Tcp, 53) && db.is_excluded(ProbeProtocol::Udp, 53));
    assert!(db.is_excluded(ProbeProtocol::Tcp, 9105) && !db.is_excluded(ProbeProtocol::Udp, 9105));
    assert!(
        db.is_excluded(ProbeProtocol::Udp, 30000) && !db.is_excluded(ProbeProtocol::Tcp, 30000)
    );
    let null = &db.probes()[0];
    assert_eq!(
        (null.total_wait_ms, null.tcpwrapped_ms),
        (Some(6000), Some(3000))
    );
    assert_eq!(null.matches.len(), 2);
    assert!(!null.matches[0].soft && null.matches[1].soft && null.matches[1].caseless);
    let odd = &db.probes()[1];
    assert_eq!(odd.protocol, ProbeProtocol::Udp);
    assert_eq!(odd.payload, b"\0\x01\r\n\t\\|");
    assert!(odd.no_payload);
    assert_eq!(odd.rarity, Some(8));
    assert!(odd.port_listed(7) && odd.port_listed(150) && !odd.port_listed(201));
    assert!(odd.ssl_port_listed(443) && !odd.port_listed(443));
    assert_eq!(odd.fallback, vec!["Later".to_string()]);

    let m = db
        .match_response(null, b"220 Zork FTP 1.2.3\r\n", None)
        .unwrap();
    assert_eq!((m.service.as_str(), m.soft), ("ftp", false));
    assert_eq!(m.product.as_deref(), Some("Zork ftpd"));
    assert_eq!(m.version.as_deref(), Some("1.2.3"));
    assert_eq!(m.cpe, vec!["cpe:/a:zork:ftpd:1.2.3".to_string()]);
    let s = db.match_response(null, b"220-other\r\n", None).unwrap();
    assert!(s.soft && s.product.is_none());
    assert!(db.match_response(null, b"SSH-2.0-x\r\n", None).is_none());
}

#[test]
fn patterns_work_on_bytes_not_utf8() {
    // \0, \xHH above 0x7f, a class of high bytes and a raw Latin-1 byte (0xe9) in the pattern.
    let mut text = b"Probe TCP NULL q||\nmatch bin m|^\\0\\xff([\\x80-\\xfe]+)\xe9| p/bin/ v/$I(1,\">\")/ i/$P(1)/\n".to_vec();
    text.extend_from_slice(b"match dot m|^a.b|s p/dotall/\n");
    let db = ProbeDb::parse_bytes(&text, "t").unwrap();
    let null = &db.probes()[0];
    let m = db
        .match_response(null, b"\0\xff\x81\x82\xe9", None)
        .unwrap();
    assert_eq!(m.version.as_deref(), Some("33154"));
    assert_eq!(m.info, None); // no printable byte in the group: the field is empty, so absent
    assert!(db.match_response(null, b"\0\xff\x7f\xe9", None).is_none());
    assert_eq!(
        db.match_response(null, b"a\nb", None)
            .unwrap()
            .product
            .as_deref(),
        Some("dotall")
    );
}

#[test]
fn errors_name_line_and_column() {
    // Columns are 1-based byte offsets in the line.
    type Case = (&'static str, usize, usize, fn(&ProbeProblem) -> bool);
    let cases: &[Case] = &[
        (
            "Frobnicate 1\n",
            4,
            1,
            |p| matches!(p, ProbeProblem::UnknownDirective(d) if d == "Frobnicate"),
        ),
        ("match x m|a|\n", 1, 1, |p| {
            matches!(p, ProbeProblem::OutsideProbe(_))
        }),
        ("Probe TCP NULL q||\nProbe SCTP X q||\n", 2, 7, |p| {
            matches!(p, ProbeProblem::BadProtocol(_))
        }),
        ("Probe TCP NULL q||\nProbe TCP NULL q||\n", 2, 1, |p| {
            matches!(p, ProbeProblem::DuplicateProbe(_))
        }),
        ("Probe TCP X q|abc\n", 1, 14, |p| {
            matches!(p, ProbeProblem::Unterminated(_))
        }),
        ("Probe TCP X q|a\\xZZ|\n", 1, 16, |p| {
            matches!(p, ProbeProblem::BadEscape(_))
        }),
        ("Probe TCP X |a|\n", 1, 13, |p| {
            matches!(p, ProbeProblem::Expected(_))
        }),
        ("match ftp m|^220 (unclosed| p/x/\n", 4, 27, |p| {
            matches!(p, ProbeProblem::Regex(_))
        }),
        ("match ftp m|^220|x\n", 4, 18, |p| {
            matches!(p, ProbeProblem::UnknownFlag('x'))
        }),
        ("match ftp m|^220| q/x/\n", 4, 19, |p| {
            matches!(p, ProbeProblem::UnknownField(_))
        }),
        ("match ftp m|^220 (\\d)| v/$2/\n", 4, 26, |p| {
            matches!(p, ProbeProblem::NoSuchGroup(2))
        }),
        ("match ftp m|^220 (\\d)| v/$P(x)/\n", 4, 29, |p| {
            matches!(p, ProbeProblem::BadTemplate(_))
        }),
        ("match ftp m|^220| p/a/ p/b/\n", 4, 24, |p| {
            matches!(p, ProbeProblem::DuplicateField('p'))
        }),
        ("match ftp m|^220| p/a\n", 4, 20, |p| {
            matches!(p, ProbeProblem::Unterminated(_))
        }),
        ("ports 1,2,70000\n", 4, 11, |p| {
            matches!(p, ProbeProblem::BadPort(_))
        }),
        ("ports 9-3\n", 4, 7, |p| {
            matches!(p, ProbeProblem::BadPort(_))
        }),
        ("rarity 10\n", 4, 8, |p| {
            matches!(p, ProbeProblem::BadRarity(_))
        }),
        ("totalwaitms 5s\n", 4, 13, |p| {
            matches!(p, ProbeProblem::BadNumber(_))
        }),
        ("rarity 3\nrarity 4\n", 5, 8, |p| {
            matches!(p, ProbeProblem::Duplicate("rarity"))
        }),
        (
            "fallback Nowhere\n",
            4,
            10,
            |p| matches!(p, ProbeProblem::UnknownFallback(n) if n == "Nowhere"),
        ),
        ("Exclude T:1\n", 4, 1, |p| {
            matches!(p, ProbeProblem::ExcludeAfterProbe)
        }),
    ];
    for (body, line, column, check) in cases {
        // Cases are appended to HEAD (so their line is 4), except those that bring their own first
        // probe or must come before any, which are given whole.
        let text = if body.starts_with("Probe") || body.starts_with("match x") {
            body.to_string()
        } else {
            format!("{HEAD}{body}")
        };
        let (l, c, p) = err(&text);
        let (want_line, want_col) = (*line, *column);
        assert_eq!((l, c), (want_line, want_col), "position for {body:?}: {p}");
        assert!(check(&p), "problem for {body:?}: {p:?}");
    }
    // The message names the source, the line and the column.
    let e = ProbeDb::parse("Probe TCP NULL q||\nmatch a m|(| p/x/\n", "my-file").unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with("my-file line 2 column 12: pattern does not compile"),
        "{msg}"
    );
}

#[test]
fn missing_file_is_an_io_error() {
    let e = ProbeDb::load(std::path::Path::new("/nonexistent/portolan-probes")).unwrap_err();
    assert!(matches!(e, ProbeError::Io { .. }), "{e}");
}

/// Garbled databases: every directive line of a small file cut short at every byte, and random byte
/// mutations of the built-in database, give a result or an error, never a panic; CRLF line ends read
/// like LF.
#[test]
fn garbled_input_never_panics() {
    let base = "Exclude T:9100-9107\n\
                Probe TCP NULL q||\n\
                totalwaitms 5000\n\
                match ssh m|^SSH-([\\d.]+)-(\\S+)| p/x/ v/$2/ i/$P(1) $SUBST(1,\"_\",\".\") $I(1,\">\")/ cpe:/a:x:y:$2/a\n\
                softmatch ftp m=^220=i h/$1/\n\
                Probe UDP U q|\\x01\\0\\r| no-payload\n\
                ports 1,2-3\n\
                sslports 4\n\
                rarity 3\n\
                fallback NULL\n";
    for cut in 0..=base.len() {
        let _ = ProbeDb::parse_bytes(&base.as_bytes()[..cut], "cut");
    }
    let crlf = base.replace('\n', "\r\n");
    // The softmatch above names $1 with no group: the CRLF file must fail in the same place.
    let (a, b) = (
        ProbeDb::parse(base, "x").unwrap_err(),
        ProbeDb::parse(&crlf, "x").unwrap_err(),
    );
    assert_eq!(a.to_string(), b.to_string());

    let text = portolan_fingerprint::probes::BUILTIN_TEXT.as_bytes();
    let mut state: u64 = 0x5eed_1234_abcd_ef01;
    let mut next = move || {
        // xorshift64*: deterministic, no dependency.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..300 {
        let mut garbled = text.to_vec();
        for _ in 0..(next() % 8 + 1) {
            let at = (next() as usize) % garbled.len();
            garbled[at] = (next() & 0xff) as u8;
        }
        match ProbeDb::parse_bytes(&garbled, "garbled") {
            Ok(db) => {
                ok += 1;
                // And the matcher on random responses.
                let resp: Vec<u8> = (0..64).map(|_| (next() & 0xff) as u8).collect();
                for p in db.probes() {
                    let _ = db.match_response(p, &resp, None);
                }
            }
            Err(_) => failed += 1,
        }
    }
    assert!(
        ok > 0 && failed > 0,
        "mutations gave {ok} good and {failed} bad files"
    );
}

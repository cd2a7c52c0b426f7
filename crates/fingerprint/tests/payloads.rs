//! The UDP payload database against real files and real protocol rules: Portolan's own file (built in, and
//! reproduced by its generator), Nmap's (Debian nmap-common, read only here to prove the parser reads the
//! format), and a decoder per protocol, written from the RFCs independently of the generator, that checks
//! each built-in payload is a well-formed request of its protocol.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use portolan_fingerprint::payloads::{BUILTIN_TEXT, PayloadError, UdpPayloads};

const NMAP_PAYLOADS: &str = "/usr/share/nmap/nmap-payloads";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn all(port: u16) -> Vec<&'static [u8]> {
    let v: Vec<&[u8]> = UdpPayloads::builtin()
        .all_for_port(port)
        .map(|p| p.data.as_slice())
        .collect();
    assert!(!v.is_empty(), "no built-in payload for {port}/udp");
    v
}

#[test]
fn builtin_parses_and_covers_the_common_services() {
    let db = UdpPayloads::builtin();
    assert!(db.ignored_keywords().is_empty());
    for port in [
        7, 13, 17, 19, 37, 53, 69, 111, 123, 137, 161, 427, 500, 520, 623, 1194, 1645, 1701, 1812,
        1900, 2049, 3478, 3702, 4500, 5060, 5351, 5353, 5683, 11211,
    ] {
        assert!(db.for_port(port).is_some(), "{port}/udp has no payload");
    }
    assert_eq!(db.for_port(1), None);
    assert_eq!(db.source_port(500), Some(500));
    assert_eq!(db.source_port(53), None);
    assert_eq!(db.all_for_port(53).count(), 2);
    assert_eq!(db.all_for_port(161).count(), 2);
}

#[test]
fn generator_reproduces_committed_file() {
    let root = repo_root();
    let out = Command::new("python3")
        .arg(root.join("data/tools/gen_payloads.py"))
        .output()
        .expect("python3 runs data/tools/gen_payloads.py");
    assert!(
        out.status.success(),
        "generator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout == BUILTIN_TEXT.as_bytes(),
        "data/portolan-payloads is not what data/tools/gen_payloads.py writes; regenerate it"
    );
}

#[test]
fn nmaps_own_file_parses_without_errors() {
    if !Path::new(NMAP_PAYLOADS).exists() {
        eprintln!("SKIP: {NMAP_PAYLOADS} absent (install Debian nmap-common)");
        return;
    }
    let db = UdpPayloads::load(Path::new(NMAP_PAYLOADS)).unwrap();
    assert!(db.entries().len() > 50, "{} entries", db.entries().len());
    assert!(db.ignored_keywords().is_empty());
    // Independent count of entries: lines starting with the `udp` keyword.
    let text = std::fs::read_to_string(NMAP_PAYLOADS).unwrap();
    let udp_lines = text.lines().filter(|l| l.starts_with("udp ")).count();
    assert_eq!(db.entries().len(), udp_lines);
    assert!(db.for_port(53).is_some() && db.for_port(161).is_some());
    // A port that is only reachable through a range in Nmap's file.
    assert!(db.for_port(40000).is_some());
    assert!(db.entries().iter().any(|e| e.source_port == Some(500)));
    let via_datadir = UdpPayloads::load_from_datadir(Path::new("/usr/share/nmap")).unwrap();
    assert_eq!(via_datadir.source(), NMAP_PAYLOADS);
}

#[test]
fn datadir_prefers_nmap_payloads_then_portolan_payloads() {
    let dir = tempfile::tempdir().unwrap();
    match UdpPayloads::load_from_datadir(dir.path()) {
        Err(PayloadError::NotFound { .. }) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
    std::fs::write(dir.path().join("portolan-payloads"), "udp 9 \"p\"\n").unwrap();
    let db = UdpPayloads::load_from_datadir(dir.path()).unwrap();
    assert_eq!(db.for_port(9), Some(&b"p"[..]));
    std::fs::write(dir.path().join("nmap-payloads"), "udp 9 \"n\"\n").unwrap();
    let db = UdpPayloads::load_from_datadir(dir.path()).unwrap();
    assert_eq!(db.for_port(9), Some(&b"n"[..]));
    std::fs::write(dir.path().join("nmap-payloads"), "udp 9 \"n\\z\"\n").unwrap();
    let msg = UdpPayloads::load_from_datadir(dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("nmap-payloads line 1 column 9: bad escape"),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Decoders, one per protocol. Each reads fields by their RFC offsets and fails on anything left over.
// ---------------------------------------------------------------------------------------------------------

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(b: &'a [u8]) -> Self {
        Reader { b, at: 0 }
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        assert!(
            self.at + n <= self.b.len(),
            "truncated at byte {} (wanted {n} more of {})",
            self.at,
            self.b.len()
        );
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        s
    }
    fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }
    fn u16(&mut self) -> u16 {
        u16::from_be_bytes(self.take(2).try_into().unwrap())
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take(4).try_into().unwrap())
    }
    fn rest(&self) -> usize {
        self.b.len() - self.at
    }
    fn done(&self) {
        assert_eq!(self.rest(), 0, "{} bytes left over", self.rest());
    }
}

/// DNS message header and questions (RFC 1035 4.1.1, 4.1.2); returns (id, flags, questions).
fn decode_dns_query(p: &[u8]) -> (u16, u16, Vec<(String, u16, u16)>) {
    let mut r = Reader::new(p);
    let id = r.u16();
    let flags = r.u16();
    let (qd, an, ns, ar) = (r.u16(), r.u16(), r.u16(), r.u16());
    assert_eq!((an, ns, ar), (0, 0, 0), "a query carries only questions");
    let mut qs = Vec::new();
    for _ in 0..qd {
        let mut labels = Vec::new();
        loop {
            let len = usize::from(r.u8());
            assert!(
                len < 64,
                "label length {len}: compression or bad length in a query"
            );
            if len == 0 {
                break;
            }
            labels.push(String::from_utf8(r.take(len).to_vec()).unwrap());
        }
        let name = if labels.is_empty() {
            ".".to_owned()
        } else {
            labels.join(".")
        };
        qs.push((name, r.u16(), r.u16()));
    }
    r.done();
    (id, flags, qs)
}

#[test]
fn dns_payloads_are_standard_queries() {
    let decoded: Vec<_> = all(53).into_iter().map(decode_dns_query).collect();
    for (_, flags, qs) in &decoded {
        assert_eq!(flags & 0x8000, 0, "QR must be 0 (query)");
        assert_eq!((flags >> 11) & 0xF, 0, "OPCODE must be 0 (standard query)");
        assert_eq!(qs.len(), 1);
    }
    let questions: Vec<_> = decoded.iter().map(|d| d.2[0].clone()).collect();
    assert!(
        questions.contains(&(".".to_owned(), 2, 1)),
        "root NS IN: {questions:?}"
    );
    assert!(
        questions.contains(&("version.bind".to_owned(), 16, 3)),
        "version.bind TXT CH: {questions:?}"
    );
    assert_ne!(
        decoded[0].0, decoded[1].0,
        "the two queries have distinct IDs"
    );

    let (_, _, qs) = decode_dns_query(all(5353)[0]);
    assert_eq!(qs, vec![("_services._dns-sd._udp.local".to_owned(), 12, 1)]);
}

#[test]
fn ntp_payload_is_a_client_request() {
    let p = all(123)[0];
    assert_eq!(p.len(), 48, "NTP header without extensions is 48 bytes");
    let (leap, version, mode) = (p[0] >> 6, (p[0] >> 3) & 7, p[0] & 7);
    assert_eq!(mode, 3, "mode 3 = client");
    assert!(matches!(version, 3 | 4), "version {version}");
    assert_ne!(leap, 2, "leap");
    assert_ne!(
        &p[40..48],
        &[0u8; 8],
        "transmit timestamp set, so the reply's origin can be matched"
    );
}

/// One BER element (X.690): tag, and either children (constructed) or contents.
#[derive(Debug)]
struct Ber {
    tag: u8,
    content: Vec<u8>,
    children: Vec<Ber>,
}

fn ber_parse_all(b: &[u8]) -> Vec<Ber> {
    let mut r = Reader::new(b);
    let mut out = Vec::new();
    while r.rest() > 0 {
        let tag = r.u8();
        assert_ne!(tag & 0x1F, 0x1F, "high tag numbers do not occur in SNMP");
        let first = r.u8();
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7F);
            assert!((1..=4).contains(&n), "indefinite or huge length");
            let len = r
                .take(n)
                .iter()
                .fold(0usize, |a, &b| a << 8 | usize::from(b));
            assert!(len >= 0x80, "DER: long form used for a short length");
            len
        };
        let content = r.take(len).to_vec();
        let children = if tag & 0x20 != 0 {
            ber_parse_all(&content)
        } else {
            Vec::new()
        };
        out.push(Ber {
            tag,
            content,
            children,
        });
    }
    out
}

fn ber_int(e: &Ber) -> i64 {
    assert_eq!(e.tag, 0x02, "INTEGER expected, found tag {:#x}", e.tag);
    assert!(!e.content.is_empty() && e.content.len() <= 8);
    if e.content.len() > 1 {
        let redundant = (e.content[0] == 0 && e.content[1] & 0x80 == 0)
            || (e.content[0] == 0xFF && e.content[1] & 0x80 != 0);
        assert!(!redundant, "INTEGER not minimally encoded");
    }
    let neg = e.content[0] & 0x80 != 0;
    e.content
        .iter()
        .fold(if neg { -1i64 } else { 0 }, |a, &b| (a << 8) | i64::from(b))
}

fn ber_oid(e: &Ber) -> String {
    assert_eq!(e.tag, 0x06);
    let mut arcs = vec![u64::from(e.content[0] / 40), u64::from(e.content[0] % 40)];
    let mut acc = 0u64;
    for &b in &e.content[1..] {
        acc = (acc << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            arcs.push(acc);
            acc = 0;
        }
    }
    assert_eq!(e.content.last().unwrap() & 0x80, 0, "OID ends mid-arc");
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// Checks a GetRequest-PDU (RFC 3416 3) and returns (request-id, OIDs of its varbinds).
fn snmp_get_request(pdu: &Ber) -> (i64, Vec<String>) {
    assert_eq!(pdu.tag, 0xA0, "GetRequest-PDU is [0] IMPLICIT, constructed");
    let [id, status, index, varbinds] = &pdu.children[..] else {
        panic!("PDU must have 4 fields")
    };
    assert_eq!((ber_int(status), ber_int(index)), (0, 0));
    assert_eq!(varbinds.tag, 0x30);
    let oids = varbinds
        .children
        .iter()
        .map(|vb| {
            assert_eq!(vb.tag, 0x30);
            assert_eq!(vb.children.len(), 2);
            assert_eq!(
                (vb.children[1].tag, vb.children[1].content.len()),
                (0x05, 0),
                "value NULL"
            );
            ber_oid(&vb.children[0])
        })
        .collect();
    (ber_int(id), oids)
}

#[test]
fn snmp_payloads_are_ber_get_requests() {
    let mut saw_v2c = false;
    let mut saw_v3 = false;
    for p in all(161) {
        let top = ber_parse_all(p);
        assert_eq!(top.len(), 1, "one message per datagram");
        let msg = &top[0];
        assert_eq!(msg.tag, 0x30);
        match ber_int(&msg.children[0]) {
            1 => {
                // RFC 1901: version, community, PDU.
                let [_, community, pdu] = &msg.children[..] else {
                    panic!()
                };
                assert_eq!(
                    (community.tag, community.content.as_slice()),
                    (0x04, &b"public"[..])
                );
                let (_, oids) = snmp_get_request(pdu);
                assert_eq!(oids, vec!["1.3.6.1.2.1.1.1.0"], "sysDescr.0");
                saw_v2c = true;
            }
            3 => {
                // RFC 3412 6: version, HeaderData, security parameters, ScopedPDU.
                let [_, header, sec, scoped] = &msg.children[..] else {
                    panic!()
                };
                let [msg_id, max_size, flags, model] = &header.children[..] else {
                    panic!()
                };
                assert!(ber_int(msg_id) >= 0);
                assert!(
                    ber_int(max_size) >= 484,
                    "msgMaxSize below RFC 3412 minimum"
                );
                assert_eq!(flags.content, vec![0x04], "noAuthNoPriv, reportable");
                assert_eq!(ber_int(model), 3, "USM");
                assert_eq!(sec.tag, 0x04, "security parameters are an OCTET STRING");
                let usm = ber_parse_all(&sec.content);
                let fields = &usm[0].children;
                assert_eq!(
                    fields.len(),
                    6,
                    "UsmSecurityParameters has 6 fields (RFC 3414 2.4)"
                );
                assert!(
                    fields[0].content.is_empty() && fields[3].content.is_empty(),
                    "empty engine ID and user"
                );
                let [ctx_engine, ctx_name, pdu] = &scoped.children[..] else {
                    panic!()
                };
                assert_eq!((ctx_engine.tag, ctx_name.tag), (0x04, 0x04));
                let (_, oids) = snmp_get_request(pdu);
                assert!(
                    oids.is_empty(),
                    "discovery uses an empty varbind list (RFC 3414 4)"
                );
                saw_v3 = true;
            }
            v => panic!("unexpected SNMP version {v}"),
        }
    }
    assert!(saw_v2c && saw_v3);
}

#[test]
fn netbios_payload_is_a_node_status_request_for_star() {
    let mut r = Reader::new(all(137)[0]);
    let _id = r.u16();
    let flags = r.u16();
    assert_eq!(flags & 0xF800, 0, "request, opcode query");
    assert_eq!((r.u16(), r.u16(), r.u16(), r.u16()), (1, 0, 0, 0));
    assert_eq!(r.u8(), 32);
    let encoded = r.take(32);
    let name: Vec<u8> = encoded
        .chunks(2)
        .map(|c| {
            assert!((b'A'..=b'P').contains(&c[0]) && (b'A'..=b'P').contains(&c[1]));
            ((c[0] - b'A') << 4) | (c[1] - b'A')
        })
        .collect();
    assert_eq!(name[0], b'*');
    assert!(name[1..].iter().all(|&b| b == 0));
    assert_eq!(r.u8(), 0, "no scope id");
    assert_eq!((r.u16(), r.u16()), (0x21, 1), "NBSTAT, IN");
    r.done();
}

/// ONC RPC call header (RFC 5531 9) with AUTH_NONE; returns (program, version, procedure).
fn decode_rpc_call(p: &[u8]) -> (u32, u32, u32) {
    let mut r = Reader::new(p);
    let _xid = r.u32();
    assert_eq!((r.u32(), r.u32()), (0, 2), "CALL, RPC version 2");
    let (prog, vers, proc_) = (r.u32(), r.u32(), r.u32());
    for what in ["cred", "verf"] {
        let flavor = r.u32();
        let len = r.u32();
        assert_eq!((flavor, len), (0, 0), "{what}: AUTH_NONE, empty");
    }
    r.done();
    (prog, vers, proc_)
}

#[test]
fn rpc_payloads_are_null_calls() {
    assert_eq!(decode_rpc_call(all(111)[0]), (100_000, 2, 0));
    assert_eq!(decode_rpc_call(all(2049)[0]), (100_003, 3, 0));
}

#[test]
fn tftp_payload_is_a_read_request() {
    let p = all(69)[0];
    assert_eq!(&p[..2], &[0, 1], "RRQ");
    let parts: Vec<&[u8]> = p[2..].split(|&b| b == 0).collect();
    assert_eq!(parts.len(), 3, "filename NUL mode NUL");
    assert!(parts[2].is_empty());
    assert!(
        !parts[0].is_empty() && !parts[0].contains(&b'/'),
        "a plain file name"
    );
    assert!(parts[1].eq_ignore_ascii_case(b"octet") || parts[1].eq_ignore_ascii_case(b"netascii"));
}

/// A text request: request line, headers, blank line, and nothing after (Content-Length 0 or absent).
fn decode_text_request(p: &[u8]) -> (String, Vec<(String, String)>) {
    let text = std::str::from_utf8(p).unwrap();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .expect("header block ends with CRLF CRLF");
    assert!(body.is_empty());
    let mut lines = head.split("\r\n");
    let request = lines.next().unwrap().to_owned();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').expect("header line is name: value");
            (n.to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    (request, headers)
}

#[test]
fn ssdp_and_sip_payloads_are_well_formed_requests() {
    let (req, h) = decode_text_request(all(1900)[0]);
    assert_eq!(req, "M-SEARCH * HTTP/1.1");
    let get = |h: &[(String, String)], n: &str| {
        h.iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {n}"))
    };
    assert_eq!(get(&h, "man"), "\"ssdp:discover\"");
    assert!(get(&h, "st").len() > 3);

    let (req, h) = decode_text_request(all(5060)[0]);
    let parts: Vec<&str> = req.split(' ').collect();
    assert_eq!((parts[0], parts[2]), ("OPTIONS", "SIP/2.0"));
    assert!(parts[1].starts_with("sip:"));
    // RFC 3261 8.1.1: the headers every request must carry.
    for n in ["via", "max-forwards", "to", "from", "call-id", "cseq"] {
        get(&h, n);
    }
    assert!(
        get(&h, "via").contains(";branch=z9hG4bK"),
        "RFC 3261 magic cookie"
    );
    assert_eq!(
        get(&h, "cseq"),
        "1 OPTIONS",
        "CSeq method matches the request"
    );
    assert_eq!(get(&h, "content-length"), "0");
}

#[test]
fn isakmp_payloads_have_consistent_lengths() {
    for (port, marker) in [(500u16, 0usize), (4500, 4)] {
        let p = all(port)[0];
        assert_eq!(&p[..marker], &[0u8; 4][..marker], "non-ESP marker");
        let mut r = Reader::new(&p[marker..]);
        let icookie = r.take(8);
        assert_ne!(icookie, &[0u8; 8], "initiator cookie must be non-zero");
        assert_eq!(
            r.take(8),
            &[0u8; 8],
            "responder cookie zero in the first message"
        );
        let mut next = r.u8();
        assert_eq!(r.u8(), 0x10, "ISAKMP version 1.0");
        assert_eq!(r.u8(), 2, "Identity Protection (Main Mode)");
        let _flags = r.u8();
        assert_eq!(r.u32(), 0, "message ID 0 in phase 1");
        assert_eq!(
            r.u32() as usize,
            p.len() - marker,
            "header length = datagram"
        );
        // Walk the payload chain (generic header, RFC 2408 3.2).
        let mut seen = Vec::new();
        while next != 0 {
            seen.push(next);
            let this_next = r.u8();
            assert_eq!(r.u8(), 0, "reserved");
            let len = usize::from(r.u16());
            let body = r.take(len - 4);
            if next == 1 {
                // SA: DOI, situation, then one proposal whose transforms must fill it exactly.
                let mut s = Reader::new(body);
                assert_eq!((s.u32(), s.u32()), (1, 1), "IPSEC DOI, SIT_IDENTITY_ONLY");
                assert_eq!(s.u8(), 0, "single proposal");
                s.u8();
                let plen = usize::from(s.u16());
                assert_eq!(plen, s.rest() + 4, "proposal length");
                let (_num, proto, spi, ntrans) = (s.u8(), s.u8(), s.u8(), s.u8());
                assert_eq!((proto, spi), (1, 0), "PROTO_ISAKMP, no SPI");
                for i in 0..ntrans {
                    let tnext = s.u8();
                    s.u8();
                    let tlen = usize::from(s.u16());
                    assert_eq!(tnext, if i + 1 == ntrans { 0 } else { 3 });
                    let t = s.take(tlen - 4);
                    assert_eq!(t[1], 1, "KEY_IKE");
                    assert_eq!((t.len() - 4) % 4, 0, "TV attributes of 4 bytes");
                    assert!(
                        t[4..].chunks(4).all(|a| a[0] & 0x80 != 0),
                        "all attributes TV form"
                    );
                }
                s.done();
            }
            next = this_next;
        }
        r.done();
        assert_eq!(seen, vec![1], "one SA payload");
    }
}

#[test]
fn small_binary_payloads_follow_their_specs() {
    // STUN (RFC 8489 5): type Binding request, length = attributes (none), magic cookie.
    let mut r = Reader::new(all(3478)[0]);
    assert_eq!(r.u16(), 0x0001);
    assert_eq!(usize::from(r.u16()), 0);
    assert_eq!(r.u32(), 0x2112_A442);
    r.take(12);
    r.done();

    // CoAP (RFC 7252 3): version 1, confirmable GET, token, Uri-Path options .well-known and core.
    let p = all(5683)[0];
    assert_eq!(p[0] >> 6, 1);
    assert_eq!((p[0] >> 4) & 3, 0, "CON");
    let tkl = usize::from(p[0] & 0xF);
    assert!(tkl <= 8);
    assert_eq!(p[1], 0x01, "0.01 GET");
    let mut r = Reader::new(&p[4 + tkl..]);
    let (mut option, mut path) = (0u16, Vec::new());
    while r.rest() > 0 {
        let b = r.u8();
        assert_ne!(b, 0xFF, "no payload marker in a GET without body");
        let (delta, len) = (u16::from(b >> 4), usize::from(b & 0xF));
        assert!(delta < 13 && len < 13, "extended forms not expected here");
        option += delta;
        assert_eq!(option, 11, "Uri-Path");
        path.push(String::from_utf8(r.take(len).to_vec()).unwrap());
    }
    assert_eq!(path, vec![".well-known", "core"]);

    // L2TP (RFC 2661 3.1, 4.1): control message with length, AVPs that fill it, Message Type SCCRQ first.
    let p = all(1701)[0];
    let mut r = Reader::new(p);
    let flags = r.u16();
    assert_eq!(flags & 0x8000, 0x8000, "T: control");
    assert_eq!(flags & 0x000F, 2, "version 2");
    assert_eq!(usize::from(r.u16()), p.len());
    assert_eq!(
        (r.u16(), r.u16(), r.u16(), r.u16()),
        (0, 0, 0, 0),
        "tunnel, session, Ns, Nr"
    );
    let mut types = Vec::new();
    while r.rest() > 0 {
        let fl = r.u16();
        let len = usize::from(fl & 0x03FF);
        assert_eq!(r.u16(), 0, "IETF vendor");
        let t = r.u16();
        let v = r.take(len - 6);
        if t == 0 {
            assert_eq!(v, &[0, 1], "SCCRQ");
        }
        types.push(t);
    }
    assert_eq!(types[0], 0, "Message Type AVP first");
    for t in [2, 3, 7, 9] {
        assert!(types.contains(&t), "SCCRQ must carry AVP {t}");
    }

    // RADIUS (RFC 2865 3, 5): Access-Request, length field = datagram, attributes fill it.
    let p = all(1812)[0];
    let mut r = Reader::new(p);
    assert_eq!(r.u8(), 1, "Access-Request");
    r.u8();
    assert_eq!(usize::from(r.u16()), p.len());
    r.take(16);
    let mut attrs = Vec::new();
    while r.rest() > 0 {
        let t = r.u8();
        let len = usize::from(r.u8());
        let v = r.take(len - 2);
        if t == 2 {
            assert!(
                v.len() >= 16 && v.len().is_multiple_of(16),
                "User-Password is a multiple of 16"
            );
        }
        attrs.push(t);
    }
    assert!(
        attrs.contains(&1) && attrs.contains(&2) && (attrs.contains(&4) || attrs.contains(&32))
    );
    assert_eq!(all(1645), all(1812));

    // SLPv2 (RFC 2608 8): version 2, SrvRqst, length = datagram, strings fill the body.
    let p = all(427)[0];
    let mut r = Reader::new(p);
    assert_eq!((r.u8(), r.u8()), (2, 1));
    let len = r
        .take(3)
        .iter()
        .fold(0usize, |a, &b| a << 8 | usize::from(b));
    assert_eq!(len, p.len());
    r.take(2 + 3 + 2);
    let lang_len = usize::from(r.u16());
    r.take(lang_len);
    let strings: Vec<Vec<u8>> = (0..5)
        .map(|_| {
            let n = usize::from(r.u16());
            r.take(n).to_vec()
        })
        .collect();
    r.done();
    assert!(strings[1].starts_with(b"service:"), "service type");

    // RIP (RFC 2453 3.9.1): request, v2, one entry with AFI 0 and metric 16.
    let p = all(520)[0];
    assert_eq!((p[0], p[1], p.len()), (1, 2, 24));
    assert_eq!(&p[4..6], &[0, 0]);
    assert_eq!(&p[20..24], &[0, 0, 0, 16]);

    // NAT-PMP (RFC 6886 3.2).
    assert_eq!(all(5351)[0], &[0, 0]);

    // RMCP/ASF presence ping: RMCP v1.0, ASF class, IANA 4542, type 0x80, no data.
    let p = all(623)[0];
    assert_eq!((p[0], p[3], p.len()), (0x06, 0x06, 12));
    assert_eq!(&p[4..8], &4542u32.to_be_bytes());
    assert_eq!((p[8], p[11]), (0x80, 0));

    // Memcached UDP frame: sequence 0 of 1 datagram, then an ASCII command line.
    let p = all(11211)[0];
    assert_eq!(&p[2..8], &[0, 0, 0, 1, 0, 0]);
    assert!(p[8..].ends_with(b"\r\n") && p[8..].is_ascii());

    // OpenVPN: opcode 7 (hard reset client v2), key id 0, empty ACK array, packet id 0.
    let p = all(1194)[0];
    assert_eq!((p[0] >> 3, p[0] & 7, p.len()), (7, 0, 14));
    assert_eq!(p[9], 0, "no ACKs");
}

#[test]
fn ws_discovery_payload_is_well_formed_xml_probe() {
    let p = all(3702)[0];
    let mut reader = quick_xml::Reader::from_reader(p);
    let mut buf = Vec::new();
    let mut names = Vec::new();
    let mut depth = 0i32;
    loop {
        match reader.read_event_into(&mut buf).unwrap() {
            quick_xml::events::Event::Start(e) => {
                depth += 1;
                names.push(String::from_utf8(e.name().as_ref().to_vec()).unwrap());
            }
            quick_xml::events::Event::Empty(e) => {
                names.push(String::from_utf8(e.name().as_ref().to_vec()).unwrap())
            }
            quick_xml::events::Event::End(_) => depth -= 1,
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    assert_eq!(depth, 0, "balanced elements");
    for n in [
        "soap:Envelope",
        "soap:Header",
        "wsa:Action",
        "wsa:MessageID",
        "wsa:To",
        "soap:Body",
        "wsd:Probe",
    ] {
        assert!(names.iter().any(|x| x == n), "missing {n}: {names:?}");
    }
    let text = std::str::from_utf8(p).unwrap();
    assert!(text.contains("discovery/Probe</wsa:Action>"));
}

// ---------------------------------------------------------------------------------------------------------
// Real daemons on 127.0.0.1 (Debian dnsmasq-base, chrony, snmpd): the payload gets a real answer. Each
// test skips, saying so, when its daemon is not installed; it fails when the daemon is there but the
// answer is missing or wrong.
// ---------------------------------------------------------------------------------------------------------

fn installed(binary: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(binary))
        .find(|p| p.exists())
}

/// A daemon this test started; killed and reaped when dropped, even when the test fails.
struct Daemon {
    child: std::process::Child,
    log: PathBuf,
}

impl Daemon {
    fn start(mut cmd: Command, log: PathBuf) -> Daemon {
        let out = std::fs::File::create(&log).unwrap();
        cmd.stdout(out.try_clone().unwrap()).stderr(out);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        Daemon { child, log }
    }
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends `payload` to 127.0.0.1:`port` until an answer from that address arrives (the daemon may still be
/// starting); at most 25 tries of 200 ms.
fn exchange(daemon: &mut Daemon, port: u16, payload: &[u8]) -> Vec<u8> {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_millis(200)))
        .unwrap();
    let target = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut buf = vec![0u8; 65_536];
    for _ in 0..25 {
        sock.send_to(payload, target).unwrap();
        if let Ok((n, from)) = sock.recv_from(&mut buf)
            && from == target
        {
            return buf[..n].to_vec();
        }
        if let Ok(Some(status)) = daemon.child.try_wait() {
            panic!("daemon exited ({status}):\n{}", daemon.log());
        }
    }
    panic!(
        "no answer from 127.0.0.1:{port}; daemon log:\n{}",
        daemon.log()
    );
}

#[test]
fn dnsmasq_answers_the_dns_payloads() {
    let Some(bin) = installed("dnsmasq") else {
        eprintln!("SKIP: dnsmasq not installed (Debian dnsmasq-base)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let mut cmd = Command::new(bin);
    // No upstream servers, no hosts file, loopback only: dnsmasq answers from itself and sends nothing out.
    cmd.args([
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--pid-file=",
        "--log-facility=-",
        &format!("--port={port}"),
    ]);
    let mut d = Daemon::start(cmd, dir.path().join("log"));
    for payload in all(53) {
        let reply = exchange(&mut d, port, payload);
        let (qid, _, questions) = decode_dns_query(payload);
        let mut r = Reader::new(&reply);
        assert_eq!(r.u16(), qid, "reply ID matches the query");
        let flags = r.u16();
        assert_eq!(flags & 0x8000, 0x8000, "QR set: a response");
        assert_eq!(r.u16(), 1, "question echoed");
        let ancount = r.u16();
        let (name, qtype, _) = &questions[0];
        if name == "version.bind" && *qtype == 16 {
            assert_eq!(flags & 0xF, 0, "NOERROR");
            assert_eq!(ancount, 1);
            assert!(
                reply.windows(8).any(|w| w == b"dnsmasq-"),
                "TXT answer names the software: {reply:02x?}"
            );
        }
    }
}

#[test]
fn chronyd_answers_the_ntp_payload() {
    let Some(bin) = installed("chronyd") else {
        eprintln!("SKIP: chronyd not installed (Debian chrony)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let conf = dir.path().join("chrony.conf");
    // No time sources (nothing is sent out), serve loopback clients as a local stratum-10 clock, no command
    // sockets, never touch the system clock (-x).
    std::fs::write(
        &conf,
        format!(
            "port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\ncmdport 0\nbindcmdaddress /\n\
             local stratum 10\npidfile {}\n",
            dir.path().join("chronyd.pid").display()
        ),
    )
    .unwrap();
    let mut cmd = Command::new(bin);
    cmd.args(["-d", "-x", "-u", "root", "-f"]).arg(&conf);
    let mut d = Daemon::start(cmd, dir.path().join("log"));
    let payload = all(123)[0];
    let reply = exchange(&mut d, port, payload);
    assert!(reply.len() >= 48, "{} bytes", reply.len());
    assert_eq!(reply[0] & 7, 4, "mode 4 = server");
    assert_eq!(
        (reply[0] >> 3) & 7,
        (payload[0] >> 3) & 7,
        "server answers in the client's version"
    );
    assert_eq!(reply[1], 10, "stratum of the configured local clock");
    assert_eq!(
        &reply[24..32],
        &payload[40..48],
        "origin timestamp = our transmit timestamp"
    );
}

#[test]
fn snmpd_answers_both_snmp_payloads() {
    let Some(bin) = installed("snmpd") else {
        eprintln!("SKIP: snmpd not installed (Debian snmpd)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let persistent = dir.path().join("persistent");
    std::fs::create_dir(&persistent).unwrap();
    let conf = dir.path().join("agent.conf");
    std::fs::write(&conf, "rocommunity public 127.0.0.1\n").unwrap();
    let port = free_udp_port();
    let mut cmd = Command::new(bin);
    // -C: only our configuration; SNMP_PERSISTENT_DIR keeps the agent's state out of /var/lib/snmp.
    cmd.env("SNMP_PERSISTENT_DIR", &persistent)
        .env("MIBS", "")
        .args(["-f", "-Le", "-C", "-c"])
        .arg(&conf)
        .arg(format!("udp:127.0.0.1:{port}"));
    let mut d = Daemon::start(cmd, dir.path().join("log"));
    let mut saw = (false, false);
    for payload in all(161) {
        let sent = &ber_parse_all(payload)[0];
        let reply = exchange(&mut d, port, payload);
        let top = ber_parse_all(&reply);
        let msg = &top[0];
        match ber_int(&msg.children[0]) {
            3 => {
                // Report (RFC 3416 [8]) of usmStatsUnknownEngineIDs, with our msgID, and the engine ID filled.
                assert_eq!(
                    ber_int(&msg.children[1].children[0]),
                    ber_int(&sent.children[1].children[0]),
                    "msgID echoed"
                );
                let usm = ber_parse_all(&msg.children[2].content);
                assert!(
                    !usm[0].children[0].content.is_empty(),
                    "agent's engine ID reported"
                );
                let pdu = &msg.children[3].children[2];
                assert_eq!(pdu.tag, 0xA8, "Report-PDU");
                let oid = ber_oid(&pdu.children[3].children[0].children[0]);
                assert_eq!(oid, "1.3.6.1.6.3.15.1.1.4.0", "usmStatsUnknownEngineIDs");
                saw.0 = true;
            }
            1 => {
                let pdu = &msg.children[2];
                assert_eq!(pdu.tag, 0xA2, "Response-PDU");
                assert_eq!(
                    ber_int(&pdu.children[0]),
                    ber_int(&sent.children[2].children[0]),
                    "request-id echoed"
                );
                assert_eq!(ber_int(&pdu.children[1]), 0, "noError");
                let vb = &pdu.children[3].children[0];
                assert_eq!(ber_oid(&vb.children[0]), "1.3.6.1.2.1.1.1.0");
                assert_eq!(vb.children[1].tag, 0x04, "sysDescr is an OCTET STRING");
                assert!(!vb.children[1].content.is_empty());
                saw.1 = true;
            }
            v => panic!("answer in SNMP version {v}"),
        }
    }
    assert_eq!(saw, (true, true));
}

// ---------------------------------------------------------------------------------------------------------
// Nmap as the judge of the format: given Portolan's file as its nmap-payloads (--datadir), Nmap 7.93 sends,
// to each port, exactly the payloads Portolan's parser reads from that file.
// ---------------------------------------------------------------------------------------------------------

#[test]
fn nmap_sends_the_bytes_our_parser_reads() {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    if !is_root || installed("nmap").is_none() {
        eprintln!("SKIP: needs nmap and root (nmap -sU)");
        return;
    }
    let db = UdpPayloads::builtin();
    // The file as committed, with each entry's ports moved to ephemeral ports that this test holds, so the
    // test neither needs the well-known ports free nor takes them from anything else on the machine. The
    // strings, the part being compared, are untouched.
    let mut listeners: Vec<(u16, u16, std::net::UdpSocket)> = Vec::new();
    let mut moved = String::new();
    for line in BUILTIN_TEXT.lines() {
        if let Some(list) = line.strip_prefix("udp ") {
            let mapped: Vec<String> = list
                .split(',')
                .map(|p| {
                    let orig: u16 = p.parse().expect("the built-in file lists single ports");
                    if let Some((_, m, _)) = listeners.iter().find(|(o, _, _)| *o == orig) {
                        return m.to_string();
                    }
                    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
                    sock.set_nonblocking(true).unwrap();
                    let m = sock.local_addr().unwrap().port();
                    listeners.push((orig, m, sock));
                    m.to_string()
                })
                .collect();
            moved.push_str(&format!("udp {}\n", mapped.join(",")));
        } else {
            moved.push_str(line);
            moved.push('\n');
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nmap-payloads"), &moved).unwrap();
    let ours = UdpPayloads::parse(&moved, "moved").unwrap();
    let list = listeners
        .iter()
        .map(|(_, m, _)| m.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let out = Command::new("nmap")
        .arg("--datadir")
        .arg(dir.path())
        .args([
            "-sU",
            "-n",
            "-Pn",
            "--max-retries",
            "0",
            "-p",
            &list,
            "127.0.0.1",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut buf = vec![0u8; 65_536];
    for (orig, mapped, sock) in &listeners {
        let mut got = std::collections::BTreeSet::new();
        while let Ok((n, _)) = sock.recv_from(&mut buf) {
            got.insert(buf[..n].to_vec());
        }
        let want: std::collections::BTreeSet<Vec<u8>> =
            ours.all_for_port(*mapped).map(|p| p.data.clone()).collect();
        let builtin: std::collections::BTreeSet<Vec<u8>> =
            db.all_for_port(*orig).map(|p| p.data.clone()).collect();
        assert_eq!(
            want, builtin,
            "moving {orig} to {mapped} changed its payloads"
        );
        assert_eq!(
            got, want,
            "{orig}/udp (moved to {mapped}): Nmap sent other bytes than our parser read"
        );
    }
    eprintln!(
        "Nmap sent our parser's payloads to all {} ports",
        listeners.len()
    );
}

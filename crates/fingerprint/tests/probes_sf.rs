//! The unmatched-service fingerprint block, compared with what Nmap 7.93 printed for two test listeners
//! (fixtures/services/nmap-sf-*.txt; how they were made is in fixtures/services/README.md).
#![allow(clippy::unwrap_used)]

use portolan_fingerprint::probes::{ProbeProtocol, SF_LINE_WIDTH, ServiceFingerprint};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/services");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).expect("fixture")
}

#[test]
fn wrapped_block_matches_nmap_for_a_banner_service() {
    // banner_srv.py 47123 'ZORKD ready \x01\x02 v9.1\r\n': the banner, then one error line per request.
    let banner = b"ZORKD ready \x01\x02 v9.1\r\n".to_vec();
    let mut answered = banner.clone();
    answered.extend_from_slice(b"ERR unknown zork\r\n");
    // The probes Nmap 7.93 sent at intensity 7, in its order, as listed in its block.
    let sent = [
        "GenericLines",
        "GetRequest",
        "HTTPOptions",
        "RTSPRequest",
        "RPCCheck",
        "DNSVersionBindReqTCP",
        "DNSStatusRequestTCP",
        "Help",
        "SSLSessionReq",
        "TerminalServerCookie",
        "TLSSessionReq",
        "Kerberos",
        "SMBProgNeg",
        "X11Probe",
        "FourOhFourRequest",
        "LPDString",
        "LDAPSearchReq",
        "LDAPBindReq",
        "SIPOptions",
        "LANDesk-RC",
        "TerminalServer",
        "NCP",
        "NotesRPC",
    ];
    let mut responses = vec![("NULL".to_string(), banner)];
    responses.extend(sent.iter().map(|p| (p.to_string(), answered.clone())));
    let fp = ServiceFingerprint {
        port: 47123,
        protocol: ProbeProtocol::Tcp,
        scanner_version: "7.93".into(),
        ssl: false,
        intensity: 7,
        unix_time: 0x6B08_785F,
        platform: "x86_64-pc-linux-gnu".into(),
        responses,
    };
    let want: Vec<String> = fixture("nmap-sf-zorkd.txt")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(fp.to_lines(), want);
    assert!(fp.to_lines().iter().all(|l| l.len() <= SF_LINE_WIDTH));
}

#[test]
fn every_byte_value_is_escaped_like_nmap() {
    // allbytes_srv.py: "QQQ" then every byte value from 255 down to 0, at --version-intensity 0.
    let mut data = b"QQQ".to_vec();
    data.extend((0..=255u8).rev());
    let fp = ServiceFingerprint {
        port: 47125,
        protocol: ProbeProtocol::Tcp,
        scanner_version: "7.93".into(),
        ssl: false,
        intensity: 0,
        unix_time: 0x6B08_7903,
        platform: "x86_64-pc-linux-gnu".into(),
        responses: vec![("NULL".into(), data)],
    };
    assert_eq!(
        fp.to_single_line(),
        fixture("nmap-sf-allbytes.txt").trim_end()
    );
}

//! Identification of real daemons from their captured responses (fixtures/services/<daemon>/*.bin,
//! made by fixtures/services/capture.py against daemons on 127.0.0.1), compared with what `nmap -sV`
//! reported for the same daemon in the same run (fixtures/services/expected.json):
//! - Nmap's own database (read from /usr/share/nmap at test time) run by Portolan's matcher must give
//!   exactly Nmap's answer: service, product, version, extra info, OS type, device type, hostname, CPEs.
//! - Portolan's built-in database must give the same service, product and version.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use portolan_fingerprint::probes::{ProbeDb, ProbeProtocol, ServiceMatch};
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/services");
const NMAP_DB: &str = "/usr/share/nmap/nmap-service-probes";

struct Case {
    daemon: String,
    dir: PathBuf,
    protocol: ProbeProtocol,
    standard_port: u16,
    /// The port the daemon listened on during the capture (and Nmap's scan).
    port: u16,
    nmap: Value,
    /// The daemon's own report of its version (`redis-server --version`, ...), when it has one.
    installed_version: Option<String>,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(format!("{FIXTURES}/expected.json")).expect("expected.json");
    let v: Value = serde_json::from_str(&text).expect("expected.json is JSON");
    let mut out = Vec::new();
    for (daemon, e) in v.as_object().expect("object") {
        if daemon.starts_with('_') {
            continue;
        }
        let protocol = match e["protocol"].as_str() {
            Some("UDP") => ProbeProtocol::Udp,
            _ => ProbeProtocol::Tcp,
        };
        out.push(Case {
            daemon: daemon.clone(),
            dir: Path::new(FIXTURES).join(daemon),
            protocol,
            standard_port: e["standard_port"].as_u64().expect("standard port") as u16,
            port: e["port"].as_u64().expect("port") as u16,
            nmap: e["nmap_sV"].clone(),
            installed_version: field(e, "installed_version"),
        });
    }
    assert!(
        out.len() >= 8,
        "fixtures for at least 8 daemons, found {}",
        out.len()
    );
    out
}

/// Runs the database's probes for the port in scan order over the captured responses (`<prefix>-<probe
/// name>.bin`), the way a scan would: the first hard match ends it, a softmatch narrows the probes that
/// follow to those that can match its service.
fn identify(db: &ProbeDb, prefix: &str, case: &Case, port: u16) -> Option<ServiceMatch> {
    let mut soft: Option<ServiceMatch> = None;
    for probe in db.probes_for_port(case.protocol, port, false, 7) {
        if soft
            .as_ref()
            .is_some_and(|s| !probe.has_match_for(&s.service))
        {
            continue;
        }
        let Ok(response) = std::fs::read(case.dir.join(format!("{prefix}-{}.bin", probe.name)))
        else {
            continue;
        };
        match db.match_response(probe, &response, soft.as_ref().map(|s| s.service.as_str())) {
            Some(m) if !m.soft => return Some(m),
            Some(m) if soft.is_none() => soft = Some(m),
            _ => {}
        }
    }
    soft
}

fn field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

#[test]
fn nmap_database_gives_nmaps_answers() {
    if !Path::new(NMAP_DB).is_file() {
        eprintln!("SKIPPED: {NMAP_DB} is absent (install Debian's nmap-common to run this test)");
        return;
    }
    let db = ProbeDb::load(Path::new(NMAP_DB)).expect("Nmap's database");
    for case in cases() {
        // The scan Nmap ran: default intensity, the daemon's real port (which decides the probe order).
        let m = identify(&db, "nmap", &case, case.port).unwrap_or_else(|| {
            panic!(
                "{}: Nmap's database matched none of the responses",
                case.daemon
            )
        });
        let n = &case.nmap;
        let mut want_product = field(n, "product");
        if case.daemon == "snmpd" {
            // Nmap 7.93 printed "SNMPv1 server; net-snmp SNMPv3 server": the probe database gives the
            // part before "; " and the snmp-info NSE script (category "version", so it runs with -sV)
            // appends the rest from its own SNMPv3 exchange. Scripts are not part of the database.
            let full = want_product.clone().unwrap_or_default();
            let (db_part, script_part) = full.split_once("; ").expect("two parts");
            assert!(script_part.contains("SNMPv3"), "{full}");
            want_product = Some(db_part.to_string());
        }
        let got = (
            Some(m.service.clone()),
            m.product.clone(),
            m.version.clone(),
            m.info.clone(),
            m.os_type.clone(),
            m.device_type.clone(),
            m.hostname.clone(),
        );
        let want = (
            field(n, "name"),
            want_product,
            field(n, "version"),
            field(n, "extrainfo"),
            field(n, "ostype"),
            field(n, "devicetype"),
            field(n, "hostname"),
        );
        assert_eq!(
            got, want,
            "{}: matched line {} of {NMAP_DB}",
            case.daemon, m.line
        );
        let cpes: Vec<String> = n["cpe"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(m.cpe, cpes, "{}: CPEs (line {})", case.daemon, m.line);
        eprintln!(
            "{}: {} {:?} {:?} (line {})",
            case.daemon, m.service, m.product, m.version, m.line
        );
    }
}

#[test]
fn builtin_database_agrees_with_nmap_on_service_product_and_version() {
    let db = ProbeDb::builtin();
    for case in cases() {
        let m = identify(db, "portolan", &case, case.standard_port).unwrap_or_else(|| {
            panic!(
                "{}: the built-in database matched none of the responses",
                case.daemon
            )
        });
        let n = &case.nmap;
        assert_eq!(
            Some(m.service.clone()),
            field(n, "name"),
            "{}: service (line {})",
            case.daemon,
            m.line
        );
        assert!(
            !m.soft,
            "{}: only a softmatch (line {})",
            case.daemon, m.line
        );
        // Where Nmap's answer comes from a probe Portolan does not have, or Nmap finds no version that
        // the protocol does reveal, the expectation is stated here with the reason.
        let (product, version) = match case.daemon.as_str() {
            // Nmap names the product from two probes' answers together; Portolan's SNMPv3 probe finds
            // the net-snmp enterprise number (8072) in the engine ID, which does not carry a version.
            "snmpd" => (Some("net-snmp".to_string()), None),
            // Portolan's PostgreSQL probe reads the server's supported protocol range, which narrows the
            // release more than Nmap's "9.6.0 or later": the range that holds the installed release.
            "postgresql" => {
                let installed = case
                    .installed_version
                    .as_deref()
                    .expect("postgres --version");
                let major: u32 = installed
                    .split('.')
                    .next()
                    .and_then(|m| m.parse().ok())
                    .expect("major");
                let range = match major {
                    ..=13 => "7.4 - 13",
                    14..=17 => "14 - 17",
                    _ => "18 or later",
                };
                (field(n, "product"), Some(range.to_string()))
            }
            _ => (
                field(n, "product"),
                field(n, "version").or_else(|| case.installed_version.clone()),
            ),
        };
        assert_eq!(
            m.product, product,
            "{}: product (line {})",
            case.daemon, m.line
        );
        // Where Nmap reports no version, Portolan's must be the daemon's own account of it (or none).
        assert_eq!(
            m.version, version,
            "{}: version (line {})",
            case.daemon, m.line
        );
        eprintln!(
            "{}: {} {:?} {:?} {:?} (line {})",
            case.daemon, m.service, m.product, m.version, m.info, m.line
        );
    }
}

/// The order Nmap sent its probes to a silent TCP listener (closer_srv.py: accepts, says nothing,
/// closes when data arrives), from `nmap -sV --version-trace`: port 47131 (no probe lists it) at the
/// default intensity, and port 8000 (listed by several probes) at intensity 2. Portolan's
/// `probes_for_port` on Nmap's database must give the same sequence.
#[test]
fn probe_order_is_nmaps() {
    if !Path::new(NMAP_DB).is_file() {
        eprintln!("SKIPPED: {NMAP_DB} is absent (install Debian's nmap-common to run this test)");
        return;
    }
    let db = ProbeDb::load(Path::new(NMAP_DB)).expect("Nmap's database");
    for (file, port, intensity) in [
        ("nmap-order-47131-i7.txt", 47131, 7),
        ("nmap-order-8000-i2.txt", 8000, 2),
    ] {
        let text = std::fs::read_to_string(format!("{FIXTURES}/{file}")).expect("trace fixture");
        // "Service scan sending probe <name> to 127.0.0.1:<port> (tcp)"
        let sent: Vec<&str> = text.lines().filter_map(|l| l.split(' ').nth(4)).collect();
        assert!(sent.len() > 5, "{file}: {sent:?}");
        let ours: Vec<&str> = db
            .probes_for_port(ProbeProtocol::Tcp, port, false, intensity)
            .into_iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(ours, sent, "{file}");
    }
}

/// A banner that only softmatches (softftp_srv.py on port 47133: "220 Zorkware zork ftp gateway at your
/// service", then "500 Command not understood" to the first line read). Nmap's --version-trace shows
/// the softmatch (NULL probe, line 1390 of its file), then only the probes able to match ftp, and
/// finally prints "ftp" with "Host: Zorkware" and the fingerprint block. Portolan's matcher and
/// helpers on Nmap's database must reproduce each step.
#[test]
fn softmatch_narrows_the_probes_like_nmap() {
    if !Path::new(NMAP_DB).is_file() {
        eprintln!("SKIPPED: {NMAP_DB} is absent (install Debian's nmap-common to run this test)");
        return;
    }
    let db = ProbeDb::load(Path::new(NMAP_DB)).expect("Nmap's database");
    let trace =
        std::fs::read_to_string(format!("{FIXTURES}/nmap-order-softftp-47133.txt")).expect("trace");
    let soft_line: usize = trace
        .split("matched with NULL line ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .and_then(|n| n.parse().ok())
        .expect("the trace names the soft match line");
    let sent: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("sending probe"))
        .filter_map(|l| l.split(' ').nth(4))
        .collect();

    let banner = b"220 Zorkware zork ftp gateway at your service\r\n".to_vec();
    let mut answer = banner.clone();
    answer.extend_from_slice(b"500 Command not understood\r\n");

    let null = db.probe(ProbeProtocol::Tcp, "NULL").expect("NULL");
    let soft = db
        .match_response(null, &banner, None)
        .expect("the banner softmatches");
    assert!(soft.soft);
    assert_eq!((soft.service.as_str(), soft.line), ("ftp", soft_line));
    assert_eq!(soft.hostname.as_deref(), Some("Zorkware"));

    let mut ours = vec!["NULL"];
    let mut responses = vec![("NULL".to_string(), banner.clone())];
    for probe in db.probes_for_port(ProbeProtocol::Tcp, 47133, false, 7) {
        if probe.is_null() || !probe.has_match_for("ftp") {
            continue;
        }
        ours.push(&probe.name);
        let m = db.match_response(probe, &answer, Some("ftp"));
        assert!(m.as_ref().is_none_or(|m| m.soft), "{}: {m:?}", probe.name);
        responses.push((probe.name.clone(), answer.clone()));
    }
    assert_eq!(ours, sent);

    let fp = portolan_fingerprint::probes::ServiceFingerprint {
        port: 47133,
        protocol: ProbeProtocol::Tcp,
        scanner_version: "7.93".into(),
        ssl: false,
        intensity: 7,
        unix_time: 0x6B08_7DDC,
        platform: "x86_64-pc-linux-gnu".into(),
        responses,
    };
    let want =
        std::fs::read_to_string(format!("{FIXTURES}/nmap-sf-softftp.txt")).expect("sf fixture");
    assert_eq!(fp.to_lines(), want.lines().collect::<Vec<_>>());
}

/// "220 Zorkware FTP server ready": Nmap's trace named line 747 (ProFTPD, host Zorkware, OS Unix).
#[test]
fn hard_match_line_and_fields_are_nmaps() {
    if !Path::new(NMAP_DB).is_file() {
        eprintln!("SKIPPED: {NMAP_DB} is absent (install Debian's nmap-common to run this test)");
        return;
    }
    let db = ProbeDb::load(Path::new(NMAP_DB)).expect("Nmap's database");
    let null = db.probe(ProbeProtocol::Tcp, "NULL").expect("NULL");
    let m = db
        .match_response(null, b"220 Zorkware FTP server ready\r\n", None)
        .expect("match");
    assert_eq!(
        (m.soft, m.line, m.product.as_deref()),
        (false, 747, Some("ProFTPD"))
    );
    assert_eq!(
        (m.hostname.as_deref(), m.os_type.as_deref()),
        (Some("Zorkware"), Some("Unix"))
    );
}

/// A silent TLS service on port 8443 (tlscloser_srv.py with a throwaway self-signed certificate).
/// Nmap's trace: in clear, the NULL probe and then the probes whose `ports` list 8443 until one finds
/// SSL; then, inside TLS, the order for the port where `sslports` replaces `ports`.
#[test]
fn probe_order_inside_tls_uses_sslports() {
    if !Path::new(NMAP_DB).is_file() {
        eprintln!("SKIPPED: {NMAP_DB} is absent (install Debian's nmap-common to run this test)");
        return;
    }
    let db = ProbeDb::load(Path::new(NMAP_DB)).expect("Nmap's database");
    let trace =
        std::fs::read_to_string(format!("{FIXTURES}/nmap-order-ssl-8443.txt")).expect("trace");
    let (clear, tls) = trace
        .split_once("matched with")
        .expect("the trace shows the ssl match");
    let names = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.contains("sending probe"))
            .filter_map(|l| l.split(' ').nth(4))
            .map(str::to_owned)
            .collect()
    };
    let (clear, tls) = (names(clear), names(tls));
    assert!(
        tls.first().map(String::as_str) == Some("NULL") && tls.len() > 20,
        "{tls:?}"
    );

    let in_clear: Vec<String> = db
        .probes_for_port(ProbeProtocol::Tcp, 8443, false, 7)
        .iter()
        .map(|p| p.name.clone())
        .collect();
    assert_eq!(
        &in_clear[..clear.len()],
        clear.as_slice(),
        "probes sent in clear until SSL was found"
    );
    let inside: Vec<String> = db
        .probes_for_port(ProbeProtocol::Tcp, 8443, true, 7)
        .iter()
        .map(|p| p.name.clone())
        .collect();
    assert_eq!(inside, tls, "probes sent inside TLS");
}

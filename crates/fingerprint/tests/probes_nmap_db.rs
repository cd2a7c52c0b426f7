//! Nmap's own `nmap-service-probes` (Debian nmap-common, read at test time, never committed) loads with
//! no error, and the parser finds exactly what an independent line count finds.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use portolan_fingerprint::probes::ProbeDb;

const NMAP_DB: &str = "/usr/share/nmap/nmap-service-probes";

fn nmap_db() -> Option<Vec<u8>> {
    if !Path::new(NMAP_DB).is_file() {
        eprintln!("SKIPPED: {NMAP_DB} is absent (install Debian's nmap-common to run this test)");
        return None;
    }
    Some(std::fs::read(NMAP_DB).expect("read nmap-service-probes"))
}

fn count_prefix(text: &[u8], prefix: &str) -> usize {
    text.split(|&b| b == b'\n')
        .filter(|l| l.starts_with(prefix.as_bytes()))
        .count()
}

#[test]
fn nmap_database_loads_completely() {
    let Some(text) = nmap_db() else { return };
    let started = std::time::Instant::now();
    let db = ProbeDb::load(Path::new(NMAP_DB)).expect("Nmap's database parses with no error");
    eprintln!("loaded and compiled {NMAP_DB} in {:?}", started.elapsed());

    assert_eq!(db.probes().len(), count_prefix(&text, "Probe "));
    let (hard, soft) = db.match_counts();
    assert_eq!(hard, count_prefix(&text, "match "));
    assert_eq!(soft, count_prefix(&text, "softmatch "));
    let with = |d: &str| count_prefix(&text, &format!("{d} "));
    assert_eq!(
        db.probes().iter().filter(|p| !p.ports.is_empty()).count(),
        with("ports")
    );
    assert_eq!(
        db.probes()
            .iter()
            .filter(|p| !p.ssl_ports.is_empty())
            .count(),
        with("sslports")
    );
    assert_eq!(
        db.probes().iter().filter(|p| p.rarity.is_some()).count(),
        with("rarity")
    );
    assert_eq!(
        db.probes()
            .iter()
            .filter(|p| !p.fallback.is_empty())
            .count(),
        with("fallback")
    );
    assert_eq!(
        db.probes()
            .iter()
            .filter(|p| p.total_wait_ms.is_some())
            .count(),
        with("totalwaitms")
    );
    assert_eq!(
        db.probes()
            .iter()
            .filter(|p| p.tcpwrapped_ms.is_some())
            .count(),
        with("tcpwrappedms")
    );
    // Sanity of a few well-known facts of the format, not of this file's contents.
    let null = db
        .probe(portolan_fingerprint::ProbeProtocol::Tcp, "NULL")
        .expect("a NULL probe");
    assert!(null.payload.is_empty());
    assert!(!db.exclude().is_empty());
}

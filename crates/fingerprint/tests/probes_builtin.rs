//! Portolan's own probe database (`data/portolan-service-probes`, built in) parses with no error, its
//! probes are well formed, and it identifies the responses of real daemons captured in `fixtures/`.
#![allow(clippy::unwrap_used)]

use portolan_fingerprint::probes::{BUILTIN_TEXT, ProbeDb, ProbeProtocol};

#[test]
fn builtin_parses_with_no_error() {
    let db = ProbeDb::parse(BUILTIN_TEXT, "data/portolan-service-probes")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(std::ptr::eq(
        ProbeDb::builtin().probes().as_ptr(),
        ProbeDb::builtin().probes().as_ptr()
    ));
    let count = |p: &str| BUILTIN_TEXT.lines().filter(|l| l.starts_with(p)).count();
    assert_eq!(db.probes().len(), count("Probe "));
    assert_eq!(db.match_counts(), (count("match "), count("softmatch ")));
    let null = db.probe(ProbeProtocol::Tcp, "NULL").expect("NULL probe");
    assert!(null.payload.is_empty());
}

/// The hand-written binary probes carry length fields; each must equal the length it measures.
#[test]
fn builtin_probe_lengths_are_consistent() {
    let db = ProbeDb::builtin();
    let get = |proto, name: &str| {
        db.probe(proto, name)
            .unwrap_or_else(|| panic!("probe {name}"))
            .payload
            .clone()
    };
    let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let le32 = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    // BER: a definite short-form length after each SEQUENCE / context tag.
    let ber_outer = |p: &[u8]| (p[0], usize::from(p[1]) + 2 == p.len());

    let pg = get(ProbeProtocol::Tcp, "PostgresStartup");
    assert_eq!(be32(&pg), pg.len());
    assert_eq!(be32(&pg[4..]), 196_608, "protocol 3.0");
    let dns = get(ProbeProtocol::Tcp, "DNSVersionTCP");
    assert_eq!(
        usize::from(u16::from_be_bytes([dns[0], dns[1]])) + 2,
        dns.len()
    );
    assert_eq!(&dns[2..], get(ProbeProtocol::Udp, "DNSVersion").as_slice());
    let mongo = get(ProbeProtocol::Tcp, "MongoIsMaster");
    assert_eq!(le32(&mongo), mongo.len());
    let doc = &mongo[mongo.len() - 19..];
    assert_eq!(le32(doc), doc.len(), "BSON document length");
    let mqtt = get(ProbeProtocol::Tcp, "MQTTConnect");
    assert_eq!(usize::from(mqtt[1]) + 2, mqtt.len());
    let rpc = get(ProbeProtocol::Tcp, "RPCPortmapNull");
    assert_eq!(be32(&rpc) & 0x7fff_ffff, rpc.len() - 4);
    assert!(be32(&rpc) & 0x8000_0000 != 0, "last fragment");
    let rdp = get(ProbeProtocol::Tcp, "RDPNegotiation");
    assert_eq!(
        usize::from(u16::from_be_bytes([rdp[2], rdp[3]])),
        rdp.len(),
        "TPKT length"
    );
    assert_eq!(usize::from(rdp[4]) + 5, rdp.len(), "X.224 length indicator");
    let ldap = get(ProbeProtocol::Tcp, "LDAPBind");
    assert_eq!(ber_outer(&ldap), (0x30, true));
    for name in ["SNMPv2cSysDescr", "SNMPv3Discovery"] {
        let snmp = get(ProbeProtocol::Udp, name);
        assert_eq!(ber_outer(&snmp), (0x30, true), "{name}");
        // The PDU (0xa0, GetRequest) is the last element and runs to the end.
        let pdu = snmp.iter().rposition(|&b| b == 0xa0).expect("PDU tag");
        assert_eq!(
            usize::from(snmp[pdu + 1]) + pdu + 2,
            snmp.len(),
            "{name} PDU length"
        );
    }
    let ntp = get(ProbeProtocol::Udp, "NTPv4Client");
    assert_eq!((ntp.len(), ntp[0]), (48, 0x23));
    assert_eq!(&ntp[40..], b"PORTOLAN");
}

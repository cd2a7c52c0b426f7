//! Version detection against tiny servers on loopback: each test starts its own listener on 127.0.0.1
//! (port 0) and checks what `detect` makes of it, hostile servers included.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::ssl::{SslAcceptor, SslMethod};
use openssl::x509::{X509, X509NameBuilder};
use portolan_fingerprint::ProbeDb;
use portolan_model::Protocol;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

use super::*;

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A database written for these tests (short waits so a silent port costs little).
const TEST_DB: &str = r#"
Exclude T:9100
Probe TCP NULL q||
totalwaitms 1500
tcpwrappedms 1000
match ssh m|^SSH-([\d.]+)-OpenSSH_([\w.]+)| p/OpenSSH/ v/$2/ i/protocol $1/
softmatch ftp m|^220 |
Probe TCP GetRequest q|GET / HTTP/1.0\r\n\r\n|
rarity 1
ports 80
totalwaitms 1500
match http m|^HTTP/1\.[01] \d\d\d .*\r\nServer: ([^\r\n]+)|s p/$1/
Probe TCP Help q|HELP\r\n|
rarity 3
totalwaitms 1500
match ftp m|^220 [^\r\n]*\r\n214 TestFTP ([\d.]+)| p/TestFTP/ v/$1/
match smtp m|^220 [^\r\n]*\r\n214 TestSMTP| p/TestSMTP/
Probe UDP Ping q|PING|
rarity 1
totalwaitms 1500
match echo m|^PING$| p/UDP echo/
"#;

fn test_db() -> SharedProbeDb {
    ProbeDb::parse(TEST_DB, "test").unwrap().into()
}

fn nmap_db() -> Option<SharedProbeDb> {
    let path = std::path::Path::new("/usr/share/nmap/nmap-service-probes");
    if !path.exists() {
        eprintln!("note: Nmap's probe file is not installed; skipping the part that uses it");
        return None;
    }
    Some(ProbeDb::load(path).unwrap().into())
}

fn opts() -> VersionOptions {
    VersionOptions { trace: true, ..VersionOptions::default() }
}

async fn run(db: SharedProbeDb, opts: VersionOptions, ports: Vec<(Protocol, u16)>) -> Vec<PortVersion> {
    let mut out = Vec::new();
    detect(vec![(LO, ports)], db, opts, |pv| out.push(pv)).await;
    out
}

async fn one(db: SharedProbeDb, opts: VersionOptions, port: u16) -> PortVersion {
    run(db, opts, vec![(Protocol::Tcp, port)]).await.remove(0)
}

/// A TCP server: `f(stream)` per connection, on its own task.
async fn serve<F, Fut>(f: F) -> u16
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let l = TcpListener::bind((LO, 0)).await.unwrap();
    let port = l.local_addr().unwrap().port();
    let f = Arc::new(f);
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let f = f.clone();
            tokio::spawn(async move { f(s).await });
        }
    });
    port
}

fn identified(pv: &PortVersion) -> &Service {
    match &pv.outcome {
        Outcome::Identified(s) => s,
        other => panic!("port {}: expected a match, got {other:?}\n{}", pv.port, pv.trace.join("\n")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn banner_match_stops_at_the_null_probe() {
    let port = serve(|mut s| async move {
        let _ = s.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n").await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let t = Instant::now();
    let pv = one(test_db(), opts(), port).await;
    let s = identified(&pv);
    assert_eq!((s.name.as_str(), s.product.as_deref(), s.version.as_deref()), ("ssh", Some("OpenSSH"), Some("9.2p1")));
    assert_eq!((s.method.as_str(), s.conf), ("probed", 10));
    assert!(t.elapsed() < Duration::from_secs(1), "a banner match must not wait: {:?}", t.elapsed());
    assert!(pv.trace.iter().any(|l| l.contains("Service scan match (Probe NULL matched with NULL line")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn softmatch_narrows_to_probes_of_that_service() {
    // Says 220 at once, answers HELP with a line only the ftp match of Help knows.
    let port = serve(|mut s| async move {
        let _ = s.write_all(b"220 ready\r\n").await;
        let mut buf = [0u8; 64];
        if let Ok(n) = s.read(&mut buf).await
            && buf[..n].starts_with(b"HELP")
        {
            let _ = s.write_all(b"214 TestFTP 3.1\r\n").await;
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    })
    .await;
    let pv = one(test_db(), opts(), port).await;
    let s = identified(&pv);
    assert_eq!((s.name.as_str(), s.product.as_deref(), s.version.as_deref()), ("ftp", Some("TestFTP"), Some("3.1")));
    // GetRequest has no ftp line: after the softmatch it must not be judged.
    assert!(pv.trace.iter().any(|l| l.contains("soft match")), "{:?}", pv.trace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_port_with_http_on_a_later_probe() {
    let port = serve(|mut s| async move {
        let mut buf = [0u8; 256];
        if let Ok(n) = s.read(&mut buf).await
            && buf[..n].starts_with(b"GET ")
        {
            let _ = s.write_all(b"HTTP/1.0 200 OK\r\nServer: tiny/1.0\r\n\r\nhi").await;
        }
    })
    .await;
    for speculate in [0, 3] {
        let t = Instant::now();
        let pv = one(test_db(), VersionOptions { speculate, ..opts() }, port).await;
        let s = identified(&pv);
        assert_eq!((s.name.as_str(), s.product.as_deref()), ("http", Some("tiny/1.0")), "speculate {speculate}");
        // Sequential: the NULL probe's full 1.5 s first. Sent ahead: the NULL probe's grace only.
        let took = t.elapsed();
        if speculate == 0 {
            assert!(took >= Duration::from_millis(1400), "{took:?}");
        } else {
            assert!(took < Duration::from_millis(1400), "{took:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_at_once_is_tcpwrapped() {
    let port = serve(|s| async move { drop(s) }).await;
    let pv = one(test_db(), opts(), port).await;
    let s = identified(&pv);
    assert_eq!((s.name.as_str(), s.method.as_str(), s.conf), ("tcpwrapped", "probed", 8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_and_excluded_ports() {
    // A port just freed: nothing listens there.
    let port = TcpListener::bind((LO, 0)).await.unwrap().local_addr().unwrap().port();
    let pv = one(test_db(), opts(), port).await;
    assert_eq!(pv.outcome, Outcome::NoAnswer);
    let pv = one(test_db(), opts(), 9100).await;
    assert_eq!(pv.outcome, Outcome::Excluded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_banner_gives_an_escaped_fingerprint() {
    let port = serve(|mut s| async move {
        let _ = s.write_all(b"\x1b[31mHELLO\x00<html>\"weird\"</html>\r\n").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    })
    .await;
    let pv = one(test_db(), opts(), port).await;
    let Outcome::Unrecognized { fingerprint, tunnel } = &pv.outcome else { panic!("{:?}", pv.outcome) };
    assert!(tunnel.is_none());
    assert!(fingerprint.starts_with(&format!("SF-Port{port}-TCP:V=")), "{fingerprint}");
    assert!(fingerprint.contains(r#"%r(NULL,21,"\x1b\[31mHELLO\0<html>\"weird\"</html>\r\n")"#), "{fingerprint}");
    // The same banner on every connection is listed once.
    assert_eq!(fingerprint.matches("%r(").count(), 1, "{fingerprint}");
    assert!(!fingerprint.bytes().any(|b| !(0x20..=0x7e).contains(&b)));
    let svc = pv.outcome.to_service(None).unwrap();
    assert_eq!((svc.name.as_str(), svc.method.as_str()), ("unknown", "table"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_megabytes_and_a_tarpit_end_within_their_waits() {
    let big = serve(|mut s| async move {
        let chunk = vec![b'A'; 64 * 1024];
        for _ in 0..160 {
            if s.write_all(&chunk).await.is_err() {
                return;
            }
        }
    })
    .await;
    let tarpit = serve(|mut s| async move {
        for _ in 0..60 {
            if s.write_all(b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
    .await;
    let o = VersionOptions { speculate: 0, ..opts() };
    let t = Instant::now();
    let res = run(test_db(), o.clone(), vec![(Protocol::Tcp, big), (Protocol::Tcp, tarpit)]).await;
    // Three probes of at most 1.5 s each, one after another.
    assert!(t.elapsed() < Duration::from_secs(6), "{:?}", t.elapsed());
    for pv in &res {
        let Outcome::Unrecognized { fingerprint, .. } = &pv.outcome else { panic!("{:?}", pv.outcome) };
        if pv.port == big {
            // Capped at max_response bytes.
            assert!(fingerprint.contains(&format!("%r(NULL,{:X},", o.max_response)), "{}", &fingerprint[..200]);
        } else {
            assert!(fingerprint.contains("%r(NULL,"), "{fingerprint}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_probe_and_silence() {
    let sock = UdpSocket::bind((LO, 0)).await.unwrap();
    let port = sock.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = sock.recv_from(&mut buf).await {
            let _ = sock.send_to(&buf[..n], from).await;
        }
    });
    let silent = UdpSocket::bind((LO, 0)).await.unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let res = run(test_db(), opts(), vec![(Protocol::Udp, port), (Protocol::Udp, silent_port)]).await;
    for pv in res {
        if pv.port == port {
            let s = identified(&pv);
            assert_eq!((s.name.as_str(), s.product.as_deref()), ("echo", Some("UDP echo")));
            assert!(pv.responded);
        } else {
            assert_eq!(pv.outcome, Outcome::NoAnswer);
            assert!(!pv.responded);
        }
    }
    drop(silent);
}

/// A self-signed certificate; `broken` makes one that has expired, names nobody and is signed by a
/// different key than the one it carries.
fn certificate(broken: bool) -> (X509, PKey<openssl::pkey::Private>) {
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let signer = if broken { PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap() } else { key.clone() };
    let mut name = X509NameBuilder::new().unwrap();
    if !broken {
        name.append_entry_by_text("CN", "lab.test").unwrap();
    }
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    let (from, to) = if broken { (Asn1Time::from_unix(0), Asn1Time::from_unix(86_400)) } else { (Asn1Time::days_from_now(0), Asn1Time::days_from_now(30)) };
    b.set_not_before(&from.unwrap()).unwrap();
    b.set_not_after(&to.unwrap()).unwrap();
    b.sign(&signer, MessageDigest::sha256()).unwrap();
    (b.build(), key)
}

async fn tls_http_server(broken: bool) -> u16 {
    let (cert, key) = certificate(broken);
    let mut acc = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
    acc.set_certificate(&cert).unwrap();
    acc.set_private_key(&key).unwrap();
    let acc = Arc::new(acc.build());
    serve(move |s| {
        let acc = acc.clone();
        async move {
            let Ok(ssl) = openssl::ssl::Ssl::new(acc.context()) else { return };
            let Ok(mut tls) = tokio_openssl::SslStream::new(ssl, s) else { return };
            if std::pin::Pin::new(&mut tls).accept().await.is_err() {
                return;
            }
            let mut buf = [0u8; 512];
            if let Ok(n) = tls.read(&mut buf).await
                && buf[..n].starts_with(b"GET ")
            {
                let _ = tls.write_all(b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
                let _ = tls.shutdown().await;
            }
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_is_http_through_ssl_with_nmaps_database() {
    let Some(db) = nmap_db() else { return };
    for broken in [false, true] {
        let port = tls_http_server(broken).await;
        let t = Instant::now();
        let pv = one(db.clone(), opts(), port).await;
        let s = identified(&pv);
        assert_eq!(
            (s.name.as_str(), s.product.as_deref(), s.version.as_deref(), s.tunnel.as_deref()),
            ("http", Some("nginx"), Some("1.22.1"), Some("ssl")),
            "broken certificate: {broken}\n{}",
            pv.trace.join("\n")
        );
        assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn banner_in_two_quick_pieces_matches_without_waiting_out_the_probe() {
    let port = serve(|mut s| async move {
        let _ = s.write_all(b"SSH-2.0-Op").await;
        tokio::time::sleep(Duration::from_millis(10)).await;
        let _ = s.write_all(b"enSSH_9.2p1\r\n").await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let t = Instant::now();
    let pv = one(test_db(), opts(), port).await;
    assert_eq!(identified(&pv).product.as_deref(), Some("OpenSSH"));
    assert!(t.elapsed() < Duration::from_millis(800), "{:?}", t.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_on_an_sslports_port_without_any_ssl_match_line() {
    let port = tls_http_server(false).await;
    // No line of this database recognises TLS; only `sslports` says the port may speak it.
    let text = format!(
        "Probe TCP NULL q||\ntotalwaitms 1500\nProbe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|\nrarity 1\nsslports {port}\n\
         match http m|^HTTP/1\\.[01] \\d\\d\\d .*\\r\\nServer: ([^\\r\\n]+)|s p/$1/\n"
    );
    let db: SharedProbeDb = ProbeDb::parse(&text, "test").unwrap().into();
    let pv = one(db, opts(), port).await;
    let s = identified(&pv);
    assert_eq!(
        (s.name.as_str(), s.product.as_deref(), s.tunnel.as_deref()),
        ("http", Some("nginx/1.22.1"), Some("ssl")),
        "{}",
        pv.trace.join("\n")
    );
}

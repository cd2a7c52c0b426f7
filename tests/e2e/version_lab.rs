//! Version detection (`-sV`) against real Debian daemons in the lab, side by side with `nmap -sV` in the same
//! run. Each daemon runs in the target namespace with a throwaway configuration bound to the target's lab
//! address, and is killed at the end (the lab's teardown kills anything left in its namespaces).
//!
//! - With Nmap's database (opted in, /usr/share/nmap/nmap-service-probes) Portolan's engine must report the
//!   same service name, product and version as Nmap on every port.
//! - With Portolan's own database: the right service name on every port, the right product on >= 80%.
//! - Hostile responders (ANSI/NUL/HTML banner, 10 MB answer, 1 byte/s tarpit, TLS with a broken certificate)
//!   must each end within their probes' waits.
//!
//! The daemons come from `tools/install-lab-daemons`; without them (or without root) the tests skip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use portolan_engine::service::{Outcome, PortVersion, SharedProbeDb, VersionOptions, detect};
use portolan_fingerprint::ProbeDb;
use portolan_model::{Protocol, Service};
use portolan_report::xml_reader;
use portolan_testkit::{Lab, Scenario, require_root_or_skip};
use portolan_tests::{portolan_bin, run_limited};

const SCENARIO: &str = r#"
name = "version-lab"
description = "scanner 198.18.0.1 -> target 198.18.0.2 running real daemons"
scanner = "scanner"

[[namespace]]
name = "scanner"

[[namespace]]
name = "target"

[[link]]
a = { ns = "scanner", ifname = "eth0", addr = "198.18.0.1/24" }
b = { ns = "target", ifname = "eth0", addr = "198.18.0.2/24" }
"#;

const NMAP_PROBES: &str = "/usr/share/nmap/nmap-service-probes";
const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// (protocol, port, daemon) of the service host. 2222 is sshd on a port no probe lists.
const PORTS: &[(Protocol, u16, &str)] = &[
    (Protocol::Tcp, 21, "vsftpd"),
    (Protocol::Tcp, 22, "sshd"),
    (Protocol::Tcp, 25, "opensmtpd"),
    (Protocol::Tcp, 53, "dnsmasq"),
    (Protocol::Tcp, 80, "nginx"),
    (Protocol::Tcp, 110, "dovecot"),
    (Protocol::Tcp, 143, "dovecot"),
    (Protocol::Tcp, 443, "nginx"),
    (Protocol::Tcp, 2222, "sshd"),
    (Protocol::Tcp, 5432, "postgres"),
    (Protocol::Tcp, 6379, "redis"),
    (Protocol::Tcp, 11211, "memcached"),
    (Protocol::Udp, 53, "dnsmasq"),
    (Protocol::Udp, 161, "snmpd"),
];

fn have_all(paths: &[&str]) -> bool {
    let missing: Vec<_> = paths.iter().filter(|p| !Path::new(p).exists()).collect();
    if !missing.is_empty() {
        eprintln!("skipping: missing {missing:?} (run tools/install-lab-daemons)");
    }
    missing.is_empty()
}

fn lab() -> Lab {
    Lab::start(&Scenario::from_toml_str(SCENARIO, "version_lab.rs").unwrap()).unwrap()
}

/// Daemons started in the target namespace; killed on drop (the lab kills stragglers too).
struct Daemons(Vec<(String, Child)>);

impl Drop for Daemons {
    fn drop(&mut self) {
        for (_, c) in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Daemons {
    fn spawn(&mut self, lab: &Lab, dir: &Path, name: &str, argv: &[&str]) {
        let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
        let mut cmd = lab.command("target", argv[0]).unwrap();
        cmd.args(&argv[1..]).stdin(Stdio::null()).stdout(log.try_clone().unwrap()).stderr(log);
        let child = cmd.spawn().unwrap_or_else(|e| panic!("starting {name}: {e}"));
        self.0.push((name.to_owned(), child));
    }
}

fn write(path: PathBuf, text: &str) -> String {
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn sh(argv: &[&str]) {
    let out = Command::new(argv[0]).args(&argv[1..]).output().unwrap();
    assert!(out.status.success(), "{argv:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Writes every configuration under `dir` and starts the daemons bound to `t`.
fn start_daemons(lab: &Lab, dir: &Path, t: Ipv4Addr) -> Daemons {
    let d = dir.display().to_string();
    for sub in ["www", "ftp", "home", "run", "pg"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    std::fs::write(dir.join("www/index.html"), "lab\n").unwrap();
    // Daemons dropping privileges (postgres, vsftpd's ftp user, dovecot's login user) must reach their files.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all("/run/sshd").unwrap();
    std::fs::create_dir_all("/var/run/vsftpd/empty").unwrap();
    sh(&["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", &format!("{d}/hostkey")]);
    sh(&[
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", &format!("{d}/tls.key"), "-out",
        &format!("{d}/tls.crt"), "-days", "2", "-subj", "/CN=lab.test",
    ]);
    let sshd = write(
        dir.join("sshd.conf"),
        &format!("Port 22\nPort 2222\nListenAddress {t}\nHostKey {d}/hostkey\nPidFile {d}/sshd.pid\nUsePAM no\n"),
    );
    let nginx = write(
        dir.join("nginx.conf"),
        &format!(
            "user root;\npid {d}/nginx.pid;\nerror_log {d}/nginx.err;\nworker_processes 1;\nevents {{ worker_connections 64; }}\n\
             http {{\n access_log off;\n client_body_temp_path {d}/run; proxy_temp_path {d}/run; fastcgi_temp_path {d}/run;\n \
             uwsgi_temp_path {d}/run; scgi_temp_path {d}/run;\n server {{ listen {t}:80; root {d}/www; }}\n \
             server {{ listen {t}:443 ssl; ssl_certificate {d}/tls.crt; ssl_certificate_key {d}/tls.key; root {d}/www; }}\n}}\n"
        ),
    );
    let vsftpd = write(
        dir.join("vsftpd.conf"),
        &format!(
            "listen=YES\nlisten_ipv6=NO\nlisten_address={t}\nbackground=NO\nanonymous_enable=YES\nanon_root={d}/ftp\n\
             local_enable=NO\nsecure_chroot_dir=/var/run/vsftpd/empty\n"
        ),
    );
    let smtpd = write(
        dir.join("smtpd.conf"),
        &format!("listen on {t}\naction \"l\" mbox\nmatch from any for local action \"l\"\n"),
    );
    let snmpd = write(dir.join("snmpd.conf"), &format!("agentaddress udp:{t}:161\nrocommunity public\n"));
    let dovecot = write(
        dir.join("dovecot.conf"),
        &format!(
            "protocols = imap pop3\nlisten = {t}\nbase_dir = {d}/dovecot\nstate_dir = {d}/dovecot-state\nssl = no\n\
             log_path = {d}/dovecot-own.log\ndisable_plaintext_auth = no\n\
             passdb {{\n driver = static\n args = password=unused\n}}\n\
             userdb {{\n driver = static\n args = uid=nobody gid=nogroup home={d}/home\n}}\n"
        ),
    );
    let pg = dir.join("pg");
    sh(&["chown", "postgres", &pg.display().to_string()]);
    let pgdata = format!("{}/data", pg.display());
    sh(&["runuser", "-u", "postgres", "--", &format!("{PG_BIN}/initdb"), "--no-sync", "-D", &pgdata, "-A", "trust"]);

    let ts = t.to_string();
    let mut ds = Daemons(Vec::new());
    ds.spawn(lab, dir, "sshd", &["/usr/sbin/sshd", "-D", "-e", "-f", &sshd]);
    ds.spawn(lab, dir, "nginx", &["/usr/sbin/nginx", "-c", &nginx, "-g", "daemon off;"]);
    ds.spawn(lab, dir, "vsftpd", &["/usr/sbin/vsftpd", &vsftpd]);
    ds.spawn(lab, dir, "smtpd", &["/usr/sbin/smtpd", "-d", "-f", &smtpd]);
    ds.spawn(
        lab,
        dir,
        "dnsmasq",
        &[
            "/usr/sbin/dnsmasq", "-k", "--conf-file=/dev/null", &format!("--listen-address={ts}"), "--bind-interfaces",
            "--no-resolv", "--no-hosts", &format!("--pid-file={d}/dnsmasq.pid"), "-u", "root",
        ],
    );
    ds.spawn(
        lab,
        dir,
        "redis",
        &["/usr/bin/redis-server", "--bind", &ts, "--port", "6379", "--protected-mode", "no", "--save", "", "--dir", &d],
    );
    ds.spawn(lab, dir, "memcached", &["/usr/bin/memcached", "-u", "root", "-l", &ts, "-p", "11211", "-U", "0"]);
    ds.spawn(lab, dir, "snmpd", &["/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c", &snmpd, "-p", &format!("{d}/snmpd.pid")]);
    ds.spawn(lab, dir, "dovecot", &["/usr/sbin/dovecot", "-F", "-c", &dovecot]);
    ds.spawn(
        lab,
        dir,
        "postgres",
        &[
            "/usr/sbin/runuser", "-u", "postgres", "--", &format!("{PG_BIN}/postgres"), "-D", &pgdata, "-k",
            &pg.display().to_string(), "-c", &format!("listen_addresses={ts}"),
        ],
    );
    ds
}

/// Waits (at most 20 s) until every TCP port accepts from the scanner namespace and every daemon still runs.
fn wait_ready(lab: &Lab, ds: &mut Daemons, dir: &Path, t: Ipv4Addr, ports: Vec<u16>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        for (name, c) in &mut ds.0 {
            if let Ok(Some(st)) = c.try_wait() {
                let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
                panic!("{name} exited ({st}):\n{log}");
            }
        }
        let ports = ports.clone();
        let down: Vec<u16> = lab
            .run_in("scanner", move || {
                ports
                    .into_iter()
                    .filter(|&p| {
                        std::net::TcpStream::connect_timeout(&SocketAddr::from((t, p)), Duration::from_millis(300))
                            .is_err()
                    })
                    .collect()
            })
            .unwrap();
        if down.is_empty() {
            // UDP daemons bind at start-up like the TCP ones; a short grace covers the slowest.
            std::thread::sleep(Duration::from_millis(500));
            return;
        }
        assert!(Instant::now() < deadline, "ports still closed after 20 s: {down:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs the engine from inside the scanner namespace (its runtime's threads inherit the namespace).
fn engine(lab: &Lab, t: Ipv4Addr, ports: Vec<(Protocol, u16)>, db: SharedProbeDb, opts: VersionOptions) -> (Vec<PortVersion>, Duration) {
    lab.run_in("scanner", move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let start = Instant::now();
        let mut out = Vec::new();
        rt.block_on(detect(vec![(IpAddr::V4(t), ports)], db, opts, |pv| out.push(pv)));
        (out, start.elapsed())
    })
    .unwrap()
}

type Key = (Protocol, u16);

fn by_port(results: &[PortVersion]) -> BTreeMap<Key, Option<Service>> {
    results.iter().map(|pv| ((pv.protocol, pv.port), pv.outcome.to_service(None))).collect()
}

fn triple(s: &Option<Service>) -> (String, Option<String>, Option<String>) {
    match s {
        Some(s) => (s.name.clone(), s.product.clone(), s.version.clone()),
        None => ("-".into(), None, None),
    }
}

/// `-sV` also runs Nmap's `version` scripts, and one of them (snmp-info) appends "; <its finding>" to the
/// product the probes found (161/udp: "SNMPv1 server; net-snmp SNMPv3 server"). Scripts are not part of the
/// probe engine, so the comparison keeps what precedes "; ".
fn probe_part(mut t: (String, Option<String>, Option<String>)) -> (String, Option<String>, Option<String>) {
    if let Some(p) = &t.1
        && let Some((head, _)) = p.split_once("; ")
    {
        t.1 = Some(head.to_owned());
    }
    t
}

fn show(s: &Option<Service>) -> String {
    match s {
        Some(s) => format!(
            "{}{} | {} | {}",
            s.tunnel.as_deref().map(|t| format!("{t}/")).unwrap_or_default(),
            s.name,
            s.product.as_deref().unwrap_or(""),
            s.version.as_deref().unwrap_or("")
        ),
        None => "-".into(),
    }
}

#[test]
fn version_detection_matches_nmap_on_real_daemons() {
    if !require_root_or_skip() {
        return;
    }
    if !have_all(&[
        NMAP_PROBES, "/usr/bin/nmap", "/usr/sbin/sshd", "/usr/sbin/nginx", "/usr/sbin/vsftpd", "/usr/sbin/smtpd",
        "/usr/sbin/dnsmasq", "/usr/bin/redis-server", "/usr/bin/memcached", "/usr/sbin/snmpd", "/usr/sbin/dovecot",
        "/usr/lib/postgresql/15/bin/postgres", "/usr/bin/openssl", "/usr/bin/ssh-keygen",
    ]) {
        return;
    }
    let lab = lab();
    let t = lab.addr("target").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut ds = start_daemons(&lab, dir.path(), t);
    let tcp: Vec<u16> = PORTS.iter().filter(|p| p.0 == Protocol::Tcp).map(|p| p.1).collect();
    wait_ready(&lab, &mut ds, dir.path(), t, tcp.clone());
    let ports: Vec<Key> = PORTS.iter().map(|p| (p.0, p.1)).collect();

    // Nmap.
    let xml = dir.path().join("nmap.xml");
    let udp: Vec<String> = PORTS.iter().filter(|p| p.0 == Protocol::Udp).map(|p| p.1.to_string()).collect();
    let spec = format!(
        "T:{},U:{}",
        tcp.iter().map(u16::to_string).collect::<Vec<_>>().join(","),
        udp.join(",")
    );
    let mut cmd = lab.command(lab.scanner(), "nmap").unwrap();
    cmd.args(["-sS", "-sU", "-sV", "-n", "-Pn", "-p", &spec, "-oX"]).arg(&xml).arg(t.to_string());
    let (out, nmap_time) = run_limited(&mut cmd, Duration::from_secs(300));
    assert!(out.status.success(), "nmap failed: {}", String::from_utf8_lossy(&out.stderr));
    let report = xml_reader::read(&std::fs::read_to_string(&xml).unwrap()).unwrap();
    let host = report.hosts.first().expect("nmap reported the target");
    let nmap: BTreeMap<Key, Option<Service>> = host.ports.iter().map(|p| ((p.protocol, p.port), p.service.clone())).collect();
    for k in &ports {
        let state = host.ports.iter().find(|p| (p.protocol, p.port) == *k).map(|p| p.state.to_string());
        assert_eq!(state.as_deref(), Some("open"), "nmap state of {k:?}");
    }

    // Portolan's engine with Nmap's database, then with its own.
    let nmap_db: SharedProbeDb = ProbeDb::load(Path::new(NMAP_PROBES)).unwrap().into();
    let (with_nmap_db, our_time) = engine(&lab, t, ports.clone(), nmap_db, VersionOptions::default());
    let (with_own_db, own_time) = engine(&lab, t, ports.clone(), ProbeDb::builtin().into(), VersionOptions::default());
    let ours = by_port(&with_nmap_db);
    let own = by_port(&with_own_db);

    eprintln!("{:<10} {:<40} {:<40} portolan (own db)", "port", "nmap", "portolan (nmap db)");
    for k in &ports {
        eprintln!(
            "{:<10} {:<40} {:<40} {}",
            format!("{}/{}", k.1, k.0.as_str()),
            show(&nmap[k]),
            show(&ours[k]),
            show(&own[k])
        );
    }
    eprintln!(
        "time: nmap -sV {:.2} s, portolan (nmap db) {:.2} s = {:.2}x, portolan (own db) {:.2} s",
        nmap_time.as_secs_f64(),
        our_time.as_secs_f64(),
        our_time.as_secs_f64() / nmap_time.as_secs_f64(),
        own_time.as_secs_f64()
    );

    let mut slowest: Vec<&PortVersion> = with_nmap_db.iter().collect();
    slowest.sort_by_key(|pv| std::cmp::Reverse(pv.elapsed));
    for pv in slowest.iter().take(4) {
        eprintln!("slowest: {}/{} {:.2} s", pv.port, pv.protocol.as_str(), pv.elapsed.as_secs_f64());
    }
    let mut mismatches = Vec::new();
    for k in &ports {
        if probe_part(triple(&nmap[k])) != triple(&ours[k]) || nmap[k].as_ref().and_then(|s| s.tunnel.clone()) != ours[k].as_ref().and_then(|s| s.tunnel.clone()) {
            mismatches.push(format!("{k:?}: nmap {} / ours {}", show(&nmap[k]), show(&ours[k])));
        }
    }
    assert!(mismatches.is_empty(), "with Nmap's database:\n{}", mismatches.join("\n"));

    // The whole CLI path (SYN and UDP scans, then -sV through the session, written as XML), with Nmap's
    // database opted in through --datadir: the same services as nmap's.
    let ours_xml = dir.path().join("portolan.xml");
    let mut cmd = lab.command(lab.scanner(), portolan_bin().to_str().unwrap()).unwrap();
    cmd.env("PORTOLAN_HISTORY", "off")
        .args(["-sS", "-sU", "-sV", "--datadir", "/usr/share/nmap", "-n", "-Pn", "-p", &spec, "-oX"])
        .arg(&ours_xml)
        .arg(t.to_string());
    let (out, cli_time) = run_limited(&mut cmd, Duration::from_secs(300));
    assert!(out.status.success(), "portolan failed: {}", String::from_utf8_lossy(&out.stderr));
    let cli_report = xml_reader::read(&std::fs::read_to_string(&ours_xml).unwrap()).unwrap();
    let cli_host = cli_report.hosts.first().expect("portolan reported the target");
    let cli: BTreeMap<Key, Option<Service>> =
        cli_host.ports.iter().map(|p| ((p.protocol, p.port), p.service.clone())).collect();
    let mut cli_mismatches = Vec::new();
    for k in &ports {
        let state = cli_host.ports.iter().find(|p| (p.protocol, p.port) == *k).map(|p| p.state.to_string());
        let got = cli.get(k).cloned().flatten();
        if state.as_deref() != Some("open")
            || probe_part(triple(&nmap[k])) != triple(&got)
            || nmap[k].as_ref().and_then(|s| s.tunnel.clone()) != got.as_ref().and_then(|s| s.tunnel.clone())
        {
            cli_mismatches.push(format!("{k:?}: nmap {} / portolan -sV {:?} {}", show(&nmap[k]), state, show(&got)));
        }
    }
    eprintln!("time: portolan -sS -sU -sV (CLI, nmap db) {:.2} s", cli_time.as_secs_f64());
    assert!(cli_mismatches.is_empty(), "the CLI with Nmap's database:\n{}", cli_mismatches.join("\n"));

    let mut wrong_name = Vec::new();
    let mut right_product = 0usize;
    for k in &ports {
        let (n, o) = (probe_part(triple(&nmap[k])), triple(&own[k]));
        let tunnel = |s: &Option<Service>| s.as_ref().and_then(|s| s.tunnel.clone());
        if n.0 != o.0 || tunnel(&nmap[k]) != tunnel(&own[k]) {
            wrong_name.push(format!("{k:?}: nmap {} / own db {}", show(&nmap[k]), show(&own[k])));
        }
        // The same product, in Nmap's words or in words that contain them (or the other way round).
        if let (Some(a), Some(b)) = (&n.1, &o.1) {
            let (a, b) = (a.to_lowercase(), b.to_lowercase());
            if a.contains(&b) || b.contains(&a) {
                right_product += 1;
            }
        }
    }
    let share = right_product as f64 / ports.len() as f64;
    eprintln!("own database: product found on {right_product} of {} ports ({:.0}%)", ports.len(), share * 100.0);
    assert!(wrong_name.is_empty(), "with Portolan's database, service names:\n{}", wrong_name.join("\n"));
    assert!(share >= 0.8, "with Portolan's database, products on {right_product} of {} ports", ports.len());
    drop(ds);
    lab.stop().unwrap();
}

/// A tiny Python server per hostile behaviour, in the target namespace.
const HOSTILE_PY: &str = r#"
import socket, ssl, sys, threading, time
host, certfile, keyfile = sys.argv[1], sys.argv[2], sys.argv[3]
def listen(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((host, port)); s.listen(64); return s
def loop(s, fn):
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(fn, c), daemon=True).start()
def handle(fn, c):
    try: fn(c)
    except Exception: pass
    finally: c.close()
def ansi(c):
    c.sendall(b"\x1b[2J\x1b[31mWELCOME\x00\x00<html><script>alert(1)</script></html>\r\n"); time.sleep(2)
def big(c):
    chunk = b"B" * 65536
    for _ in range(160): c.sendall(chunk)
def tarpit(c):
    for _ in range(120): c.sendall(b"z"); time.sleep(1)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.set_ciphers("ALL:@SECLEVEL=0"); ctx.load_cert_chain(certfile, keyfile)
def tls(c):
    t = ctx.wrap_socket(c, server_side=True)
    data = t.recv(1024)
    if data.startswith(b"GET "): t.sendall(b"HTTP/1.0 200 OK\r\nServer: hostile-tls/0.1\r\n\r\n")
for port, fn in [(7001, ansi), (7002, big), (7003, tarpit), (7004, tls)]:
    threading.Thread(target=loop, args=(listen(port), fn), daemon=True).start()
print("ready", flush=True)
time.sleep(600)
"#;

#[test]
fn hostile_responders_end_within_their_waits() {
    if !require_root_or_skip() {
        return;
    }
    if !have_all(&["/usr/bin/python3", "/usr/bin/openssl"]) {
        return;
    }
    let lab = lab();
    let t = lab.addr("target").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    // A broken certificate: 1024-bit RSA signed with SHA-1 (a default OpenSSL 3 client refuses both),
    // naming another host.
    sh(&["openssl", "req", "-x509", "-newkey", "rsa:1024", "-sha1", "-nodes", "-keyout", &format!("{d}/k.pem"), "-out", &format!("{d}/c.pem"), "-days", "1", "-subj", "/CN=not-this-host.invalid"]);
    let script = write(dir.path().join("hostile.py"), HOSTILE_PY);
    let mut ds = Daemons(Vec::new());
    ds.spawn(&lab, dir.path(), "hostile", &["/usr/bin/python3", &script, &t.to_string(), &format!("{d}/c.pem"), &format!("{d}/k.pem")]);
    wait_ready(&lab, &mut ds, dir.path(), t, vec![7001, 7002, 7003, 7004]);

    let db: SharedProbeDb = match ProbeDb::load(Path::new(NMAP_PROBES)) {
        Ok(db) => db.into(),
        Err(_) => ProbeDb::builtin().into(),
    };
    let ports: Vec<Key> = [7001, 7002, 7003, 7004].iter().map(|&p| (Protocol::Tcp, p)).collect();
    // Short waits: each probe 2 s at most, so a port's whole list is bounded by its length times that.
    let opts = VersionOptions { default_wait: Duration::from_secs(2), intensity: 2, trace: true, ..VersionOptions::default() };
    let (res, took) = engine(&lab, t, ports, db, opts);
    eprintln!("hostile: {:.2} s", took.as_secs_f64());
    for pv in &res {
        let text = format!("{:?}", pv.outcome);
        eprintln!("{} -> {} ({:.2} s)", pv.port, text.chars().take(160).collect::<String>(), pv.elapsed.as_secs_f64());
    }
    // NULL probe (6 s in Nmap's file) plus the intensity-2 list, a few probes at a time.
    assert!(took < Duration::from_secs(40), "took {took:?}");
    let get = |p: u16| res.iter().find(|r| r.port == p).unwrap();
    for p in [7001, 7002, 7003] {
        match &get(p).outcome {
            Outcome::Unrecognized { fingerprint, .. } => {
                assert!(fingerprint.bytes().all(|b| (0x20..0x7f).contains(&b)), "{p}: fingerprint not escaped");
                assert!(fingerprint.len() < 64 * 1024 * 8, "{p}: fingerprint of {} bytes", fingerprint.len());
            }
            // A database may know some of these bytes; what matters is that it ended, escaped.
            Outcome::Identified(_) => {}
            other => panic!("{p}: {other:?}"),
        }
    }
    let tls = get(7004);
    let s = tls.outcome.to_service(None).expect("the TLS port answered");
    assert_eq!(s.tunnel.as_deref(), Some("ssl"), "{:?}\n{}", tls.outcome, tls.trace.join("\n"));
    drop(ds);
    lab.stop().unwrap();
}

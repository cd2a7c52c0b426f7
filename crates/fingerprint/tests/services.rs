//! The services database against real files: Portolan's own (built in), Nmap's (Debian nmap-common, read only
//! here, to prove compatibility), and Nmap itself as the judge of what `--top-ports` means.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use portolan_fingerprint::services::{BUILTIN_TEXT, ServicesDb, ServicesError};
use portolan_model::{PortSpec, Protocol};

const NMAP_SERVICES: &str = "/usr/share/nmap/nmap-services";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn builtin_defines_top_1000_with_distinct_frequencies() {
    let db = ServicesDb::builtin();
    for proto in [Protocol::Tcp, Protocol::Udp] {
        assert!(
            db.len(proto) >= 1000,
            "{proto}: only {} entries",
            db.len(proto)
        );
        let freqs: HashSet<u64> = db
            .entries(proto)
            .iter()
            .map(|e| e.frequency.to_bits())
            .collect();
        assert_eq!(
            freqs.len(),
            db.len(proto),
            "{proto}: frequencies are not all distinct"
        );
        let top = db.top(proto, 1000);
        assert_eq!(
            top.iter().collect::<HashSet<_>>().len(),
            1000,
            "{proto}: top 1000 has repeats"
        );
        assert_eq!(
            db.top(proto, 100),
            top[..100],
            "{proto}: -F is not a prefix of the top 1000"
        );
    }
    let tcp = db.top(Protocol::Tcp, 1000);
    for port in [22, 80, 443] {
        assert!(tcp.contains(&port), "{port}/tcp missing from the top 1000");
    }
    let udp = db.top(Protocol::Udp, 100);
    for port in [53, 123, 161] {
        assert!(udp.contains(&port), "{port}/udp missing from the top 100");
    }
    let spec = db.top_spec(100, 1000);
    assert_eq!(
        (spec.count(Protocol::Tcp), spec.count(Protocol::Udp)),
        (100, 1000)
    );
    assert_eq!(db.name(22, Protocol::Tcp), Some("ssh"));
    assert_eq!(db.name(53, Protocol::Udp), Some("domain"));
    assert!(db.len(Protocol::Sctp) > 0);
}

/// data/PROVENANCE.md promises frequency = 0.5 / rank, rank counted per protocol in file order from 1, printed
/// with 8 decimals. Check the file keeps that promise, independently of the generator.
#[test]
fn builtin_frequencies_follow_the_documented_formula() {
    let mut rank = std::collections::HashMap::new();
    for line in BUILTIN_TEXT
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let proto = cols[1].split('/').nth(1).unwrap();
        let r = rank.entry(proto).or_insert(0u32);
        *r += 1;
        let expected = format!("{:.8}", 0.5 / f64::from(*r));
        assert_eq!(cols[2], expected, "line '{line}' is rank {r} of {proto}");
        assert!(
            cols[3].starts_with(&format!("# rank {r};")),
            "line '{line}' comment disagrees with rank {r}"
        );
    }
}

#[test]
fn nmap_real_file_parses_with_sensible_lookups() {
    let path = Path::new(NMAP_SERVICES);
    if !path.exists() {
        eprintln!("SKIP: {NMAP_SERVICES} absent (install Debian nmap-common)");
        return;
    }
    let db = ServicesDb::load(path).unwrap();
    assert!(db.len(Protocol::Tcp) > 1000 && db.len(Protocol::Udp) > 1000);
    assert_eq!(db.name(22, Protocol::Tcp), Some("ssh"));
    assert_eq!(db.name(80, Protocol::Tcp), Some("http"));
    assert_eq!(db.name(53, Protocol::Udp), Some("domain"));
    assert_eq!(db.name(161, Protocol::Udp), Some("snmp"));
    assert!(db.top(Protocol::Tcp, 1000).contains(&443));
    assert_eq!(db.source(), NMAP_SERVICES);
}

/// Nmap prints the port list it would scan in XML `<scaninfo services=...>` even with no targets (no packets
/// are sent). Returns None when Nmap is missing or refuses (UDP scans need root).
fn nmap_top_ports(datadir: Option<&Path>, scan: &str, n: usize) -> Option<String> {
    let mut cmd = Command::new("nmap");
    if let Some(dir) = datadir {
        cmd.arg("--datadir").arg(dir);
    }
    cmd.args([
        scan,
        "--top-ports",
        &n.to_string(),
        "-oX",
        "-",
        "-iL",
        "/dev/null",
    ])
    .env_remove("NMAPDIR");
    let out = cmd.output().ok()?;
    let xml = String::from_utf8_lossy(&out.stdout);
    let start = xml.find("<scaninfo ")?;
    let tag = &xml[start..start + xml[start..].find("/>")?];
    let attr = tag.split(" services=\"").nth(1)?;
    Some(attr[..attr.find('"')?].to_owned())
}

fn assert_nmap_agrees(db: &ServicesDb, datadir: Option<&Path>, what: &str) {
    let mut compared = 0;
    for (scan, proto) in [
        ("-sT", Protocol::Tcp),
        ("-sU", Protocol::Udp),
        ("-sY", Protocol::Sctp),
    ] {
        for n in [1, 10, 100, 1000] {
            let Some(nmap) = nmap_top_ports(datadir, scan, n) else {
                eprintln!(
                    "SKIP: nmap {scan} --top-ports unavailable (nmap missing, or not root for -sU/-sY)"
                );
                continue;
            };
            let spec = match proto {
                Protocol::Tcp => db.top_spec(n, 0),
                Protocol::Udp => db.top_spec(0, n),
                Protocol::Sctp => db.top_spec_with_sctp(0, 0, n),
                Protocol::Ip => unreachable!("only the three port protocols are compared"),
            };
            assert_eq!(
                PortSpec::render_list(spec.ranges(proto)),
                nmap,
                "{what}: {proto} top {n}"
            );
            compared += 1;
        }
    }
    eprintln!("{what}: {compared} top-N lists agree with nmap");
}

#[test]
fn nmap_agrees_on_top_ports_of_its_own_file() {
    if !Path::new(NMAP_SERVICES).exists() {
        eprintln!("SKIP: {NMAP_SERVICES} absent");
        return;
    }
    let db = ServicesDb::load(Path::new(NMAP_SERVICES)).unwrap();
    assert_nmap_agrees(&db, None, "nmap-services");
}

/// Nmap reading Portolan's file through --datadir proves the file is in Nmap's format and that our
/// ordering rule is Nmap's.
#[test]
fn nmap_reads_portolan_file_and_agrees_on_top_ports() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nmap-services"), BUILTIN_TEXT).unwrap();
    let db = ServicesDb::load_from_datadir(dir.path()).unwrap();
    assert_nmap_agrees(&db, Some(dir.path()), "portolan-services");
}

#[test]
fn datadir_prefers_nmap_services_then_portolan_services() {
    let dir = tempfile::tempdir().unwrap();
    match ServicesDb::load_from_datadir(dir.path()) {
        Err(e @ ServicesError::NotFound { .. }) => {
            assert!(
                e.to_string().contains(&dir.path().display().to_string()),
                "{e}"
            )
        }
        other => panic!("empty dir: {other:?}"),
    }
    std::fs::write(dir.path().join("portolan-services"), "ours 22/tcp 0.5\n").unwrap();
    let db = ServicesDb::load_from_datadir(dir.path()).unwrap();
    assert_eq!(db.name(22, Protocol::Tcp), Some("ours"));
    std::fs::write(dir.path().join("nmap-services"), "theirs 22/tcp 0.5\n").unwrap();
    let db = ServicesDb::load_from_datadir(dir.path()).unwrap();
    assert_eq!(db.name(22, Protocol::Tcp), Some("theirs"));
    assert!(db.source().ends_with("nmap-services"));
}

#[test]
fn load_errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nmap-services");
    std::fs::write(&path, "# fine\nssh\t22/tcp\t0.5\nbroken\t22/tcp/x\t0.1\n").unwrap();
    let err = ServicesDb::load_from_datadir(dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!("{} line 3: ", path.display())),
        "{err}"
    );
    assert!(err.contains("22/tcp/x") || err.contains("tcp/x"), "{err}");

    std::fs::write(&path, b"ok 1/tcp 0.1 # caf\xe9\nbad\xff 2/tcp 0.1\n").unwrap();
    let err = ServicesDb::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("line 2: service name"),
        "non-UTF-8 in a comment is fine, in a name it is not: {err}"
    );

    let missing = dir.path().join("nope");
    let err = ServicesDb::load(&missing).unwrap_err().to_string();
    assert!(
        err.contains("cannot read services file") && err.contains("nope"),
        "{err}"
    );
}

fn input_digest(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|l| {
            l.trim_start_matches('#')
                .trim()
                .strip_prefix("input sha256 ")
        })
        .map(|d| d.trim_end_matches(','))
}

/// The committed file is exactly what data/tools/gen_services.py makes from this machine's /etc/services.
#[test]
fn generator_reproduces_committed_file() {
    let root = repo_root();
    let out = match Command::new("python3")
        .arg(root.join("data/tools/gen_services.py"))
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("SKIP: cannot run python3: {e}");
            return;
        }
    };
    assert!(
        out.status.success(),
        "generator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = String::from_utf8(out.stdout).unwrap();
    let committed = std::fs::read_to_string(root.join("data/portolan-services")).unwrap();
    let (gen_digest, com_digest) = (input_digest(&generated), input_digest(&committed));
    assert!(
        com_digest.is_some(),
        "committed file does not record its input digest"
    );
    if gen_digest != com_digest {
        eprintln!(
            "SKIP: this /etc/services ({gen_digest:?}) is not the one the file was made from ({com_digest:?})"
        );
        return;
    }
    assert!(
        generated == committed,
        "data/portolan-services is stale: run data/tools/gen_services.py --output data/portolan-services"
    );
    assert_eq!(
        committed, BUILTIN_TEXT,
        "the embedded text is the committed file"
    );
}

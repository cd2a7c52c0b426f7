//! Shared helpers of the end-to-end tests and lab benchmarks: building and locating the `portolan` binary,
//! running a command with a time limit, comparing port tables.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The cargo profile directory this test binary was built into (`target/debug` or `target/release`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test-binary>
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// Builds (once per process) and returns the `portolan` binary of the same profile as the running test.
/// Tests in another package cannot use `CARGO_BIN_EXE_*`, so this asks cargo, which is cheap when up to date.
pub fn portolan_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = profile_dir();
        let release = dir.file_name().is_some_and(|n| n == "release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let target_dir = dir.parent().unwrap();
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-q", "-p", "portolan-cli", "--bin", "portolan"]).env("CARGO_TARGET_DIR", target_dir);
        if release {
            cmd.arg("--release");
        }
        let st = cmd.status().expect("run cargo build");
        assert!(st.success(), "cargo build of portolan failed");
        let bin = dir.join("portolan");
        assert!(bin.exists(), "{} missing after build", bin.display());
        bin
    })
    .clone()
}

/// Runs a command to completion, killing it after `limit` so no test can hang.
pub fn run_limited(cmd: &mut Command, limit: Duration) -> (Output, Duration) {
    use std::process::Stdio;
    let start = Instant::now();
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    // Drain pipes on threads so a chatty child cannot block on a full pipe.
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t1 = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut so, &mut v).ok();
        v
    });
    let t2 = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut se, &mut v).ok();
        v
    });
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let out = Output { status, stdout: t1.join().unwrap(), stderr: t2.join().unwrap() };
    assert!(elapsed <= limit + Duration::from_secs(1), "command exceeded {limit:?} and was killed: {cmd:?}");
    (out, elapsed)
}

/// Every port with an explicit or summarised state, from a report: (protocol/port) -> state. Ports that a file
/// only summarised (`<extraports>`) are expanded from their port lists where the file gives them.
pub fn port_states(report: &portolan_model::ScanReport) -> BTreeMap<String, BTreeMap<u16, String>> {
    let mut out = BTreeMap::new();
    for h in &report.hosts {
        let ip = h.ip().map(|i| i.to_string()).unwrap_or_default();
        let m: &mut BTreeMap<u16, String> = out.entry(ip).or_default();
        for p in &h.ports {
            m.insert(p.port, p.state.as_str().to_owned());
        }
        for e in &h.extra_ports {
            for r in &e.reasons {
                if let Some(list) = &r.ports {
                    for part in list.split(',') {
                        let (a, b) = part.split_once('-').unwrap_or((part, part));
                        if let (Ok(a), Ok(b)) = (a.parse::<u16>(), b.parse::<u16>()) {
                            for p in a..=b {
                                m.insert(p, e.state.as_str().to_owned());
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

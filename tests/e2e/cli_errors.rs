//! Bad input to the real binary: one clear line on standard error and exit status 2, before any packet.
#![allow(clippy::unwrap_used)]

use portolan_tests::{portolan_bin, run_limited};
use std::process::Command;
use std::time::Duration;

fn run(args: &[&str]) -> (i32, String, String) {
    let (out, _) = run_limited(Command::new(portolan_bin()).args(args), Duration::from_secs(20));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--bogus", "127.0.0.1"], "portolan: unrecognized option '--bogus'"),
        (&["-p", "70000", "127.0.0.1"], "70000"),
        (&["198.18.0.0/33"], "/33"),
        (&["-sT"], "portolan: no targets were specified"),
        (&["-iL", "/nonexistent/list.txt"], "/nonexistent/list.txt"),
        (&["-sC", "127.0.0.1"], "portolan: option -sC is not supported yet"),
        (&["-sI", "198.18.0.9", "127.0.0.1"], "portolan: option -sI is not supported yet"),
        (&["--ttl", "300", "127.0.0.1"], "portolan: --ttl: '300' is not a number between 0 and 255"),
        (&["-sS", "-sA", "127.0.0.1"], "more than one type of TCP scan"),
        (&["-T7", "127.0.0.1"], "-T"),
    ];
    for (args, needle) in cases {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, 2, "{args:?}: stderr {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: one line, got {stderr:?}");
        assert!(stderr.starts_with("portolan: "), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr:?} lacks {needle:?}");
        assert!(stdout.is_empty(), "{args:?}: nothing on stdout, got {stdout:?}");
    }
}

#[test]
fn parse_only_prints_the_canonical_command() {
    // Letters combine as in Nmap: -sTV is a connect scan with version detection.
    let (code, stdout, stderr) =
        run(&["--parse-only", "-sTV", "--version-light", "--allports", "-p22,80", "198.18.0.1"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["plan"]["service_detection"], true);
    assert_eq!(v["plan"]["version"]["intensity"], 2);
    let cmd: Vec<String> = serde_json::from_value(v["command_line"].clone()).unwrap();
    assert!(cmd.windows(2).any(|w| w == ["--version-intensity", "2"]) && cmd.contains(&"--allports".to_owned()), "{cmd:?}");
    let (code, _, stderr) = run(&["--parse-only", "-sV", "--version-intensity", "10", "198.18.0.1"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("between 0 and 9"), "{stderr}");
    let (code, stdout, _) = run(&["--parse-only", "-T4", "-p-", "-Pn", "-n", "198.18.0.1"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let cmd: Vec<String> = serde_json::from_value(v["command_line"].clone()).unwrap();
    assert!(cmd.contains(&"-T4".to_owned()) && cmd.contains(&"-Pn".to_owned()), "{cmd:?}");
    assert_eq!(cmd.last().unwrap(), "198.18.0.1");
}

/// `--parse-only` also says what the scan would do with the privileges the binary runs with, so the desktop
/// app can warn before a scan starts: a raw TCP scan falling back to connect, a UDP scan that cannot run.
#[test]
fn parse_only_reports_privileges_and_fallbacks() {
    let json = |args: &[&str]| {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        serde_json::from_str::<serde_json::Value>(stdout.trim()).unwrap()
    };
    let v = json(&["--parse-only", "--unprivileged", "-sS", "-p", "80", "127.0.0.1"]);
    let notices = v["notices"].as_array().unwrap();
    assert!(notices.iter().any(|n| n.as_str().unwrap().contains("falling back to a connect scan")), "{v}");
    assert!(v["blocked"].is_null(), "{v}");
    let v = json(&["--parse-only", "--unprivileged", "-sU", "-p", "53", "127.0.0.1"]);
    assert!(v["blocked"].as_str().unwrap().contains("-sU needs raw-packet privileges"), "{v}");
    let v = json(&["--parse-only", "-sT", "-p", "80", "127.0.0.1"]);
    assert!(v["blocked"].is_null() && v["notices"].as_array().unwrap().is_empty(), "{v}");
    assert!(v["raw_privileges"].is_boolean(), "{v}");
    // As an ordinary user (the tests run as root, as CI does): no raw privileges, and a note saying how to get them.
    if is_root() {
        let (out, _) = run_limited(
            Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(portolan_bin())
                .args(["--parse-only", "-sS", "-p", "80", "127.0.0.1"]),
            Duration::from_secs(20),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        if out.status.success() {
            let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
            assert_eq!(v["raw_privileges"], false, "{v}");
            assert!(v["privileges_note"].as_str().unwrap().contains("setcap"), "{v}");
            assert!(v["notices"][0].as_str().unwrap().contains("falling back"), "{v}");
        } else {
            // The binary lives where nobody may not read it (a private target directory): nothing to check.
            eprintln!("setpriv run skipped: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2) == Some("0")))
        .unwrap_or(false)
}

/// Ctrl-C (SIGINT) or SIGTERM (the desktop app's Cancel) mid-scan: exit 130, and the XML file holds what was
/// found, valid and marked as an error.
#[test]
fn interrupted_scan_keeps_what_was_found() {
    for sig in ["-INT", "-TERM"] {
        interrupted_by(sig);
    }
}

fn interrupted_by(sig: &str) {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("partial.xml");
    // Loopback only; the scan delay makes it last long enough to interrupt.
    let mut child = Command::new(portolan_bin())
        .args(["-sT", "-n", "-Pn", "--scan-delay", "5ms", "-p", "1-5000", "127.0.0.1", "-oX"])
        .arg(&xml)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let st = Command::new("kill").args([sig, &child.id().to_string()]).status().unwrap();
    assert!(st.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("portolan did not stop after {sig}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130), "{sig}");
    let text = std::fs::read_to_string(&xml).unwrap();
    let report = portolan_report::xml_reader::read(&text).unwrap();
    let stats = report.run_stats.unwrap();
    assert_eq!(stats.exit, "error");
    assert_eq!(stats.error_msg.as_deref(), Some("interrupted by the user"));
    let h = &report.hosts[0];
    let seen = h.ports.len() as u32 + h.extra_ports.iter().map(|e| e.count).sum::<u32>();
    assert!(seen > 0 && seen < 5000, "a partial scan: {seen} of 5000 ports");
}

/// `-oA` writes the three files; `-iL -` reads targets from standard input; `--exclude` removes them again.
#[test]
fn output_all_and_target_files_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("scan");
    let mut cmd = Command::new(portolan_bin());
    cmd.args(["-sT", "-n", "-p", "1-3", "-iL", "-", "--exclude", "127.0.0.3", "-oA"]).arg(&base);
    cmd.stdin(std::process::Stdio::piped());
    let mut child = cmd.stdout(std::process::Stdio::piped()).spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"127.0.0.1 # a comment\n127.0.0.2\n127.0.0.3\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("Nmap scan report for").count(), 2, "{stdout}");
    // The command line (recorded in every file) names 127.0.0.3; the host entries must not.
    for (ext, host_marker) in [("nmap", "Nmap scan report for "), ("xml", "<address addr=\""), ("gnmap", "Host: ")] {
        let p = dir.path().join(format!("scan.{ext}"));
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(text.contains(&format!("{host_marker}127.0.0.2")), "{ext}: {text}");
        assert!(!text.contains(&format!("{host_marker}127.0.0.3")), "{ext}: {text}");
    }
    let report = portolan_report::xml_reader::read(&std::fs::read_to_string(dir.path().join("scan.xml")).unwrap()).unwrap();
    assert_eq!(report.hosts.len(), 2);
    assert!(report.hosts.iter().all(|h| h.state_count(portolan_model::PortState::Closed) == 3));
}

/// Problems found when the scan starts (not by the option parser) still give one clear line, before any
/// probe: a bad target inside an -iL file, an output file that cannot be created, a --datadir without a
/// services file.
#[test]
fn startup_errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("targets.txt");
    std::fs::write(&list, "127.0.0.1\n198.18.0.0/33\n").unwrap();
    let list = list.display().to_string();
    let empty = dir.path().display().to_string();
    let cases: &[(&[&str], i32, &str)] = &[
        (&["-sT", "-iL", &list], 2, "target '198.18.0.0/33': CIDR prefix /33 is larger than /32"),
        (&["-sT", "-oX", "/nonexistent-dir/out.xml", "127.0.0.1"], 1, "cannot write /nonexistent-dir/out.xml"),
        (&["-sT", "--datadir", &empty, "127.0.0.1"], 1, "services database"),
    ];
    for (args, want_code, needle) in cases {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, *want_code, "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr:?}");
        assert!(stderr.starts_with("portolan: ") && stderr.contains(needle), "{args:?}: {stderr:?}");
        assert!(stdout.is_empty(), "{args:?}: nothing printed before the error: {stdout}");
    }
}

/// A reader that goes away (`portolan history list | head`) ends the command quietly: no panic, exit 141
/// as a command killed by SIGPIPE.
#[test]
fn closed_stdout_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    for args in [vec!["--help"], vec!["-V"], vec!["history", "--history", db.to_str().unwrap(), "list", "--json"]] {
        let mut child = Command::new(portolan_bin())
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before the command writes.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(matches!(out.status.code(), Some(0) | Some(141)), "{args:?}: {:?} {stderr}", out.status);
    }
}

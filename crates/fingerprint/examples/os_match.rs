//! Scores a fingerprint against an OS database and prints the ranking with exact points.
//!
//! `cargo run -p portolan-fingerprint --example os_match -- DB_FILE FINGERPRINT_FILE [N]`
//! The fingerprint file may be nmap's whole normal output: the last "TCP/IP fingerprint:" block is used.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use portolan_fingerprint::os::{OsDb, SubjectFingerprint, guess, rank};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: os_match DB_FILE FINGERPRINT_FILE [N]");
        return ExitCode::from(2);
    }
    let db = match OsDb::load(Path::new(&args[0])) {
        Ok(db) => db,
        Err(e) => {
            eprintln!("os_match: {e}");
            return ExitCode::from(1);
        }
    };
    let text = match std::fs::read_to_string(&args[1]) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("os_match: {}: {e}", args[1]);
            return ExitCode::from(1);
        }
    };
    let block = match text.rfind("TCP/IP fingerprint:") {
        Some(i) => text[i..]
            .lines()
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
        None => text,
    };
    let fp = match SubjectFingerprint::parse(&block) {
        Ok(fp) => fp,
        Err(e) => {
            eprintln!("os_match: {}: {e}", args[1]);
            return ExitCode::from(1);
        }
    };
    let n = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(20);
    let mut out = std::io::stdout().lock();
    let mut lines = Vec::new();
    for s in rank(&db, &fp).iter().take(n) {
        lines.push(format!(
            "{:>3}% {:.4} {}/{} line {} {}",
            s.points.percent(),
            s.points.accuracy(),
            s.points.matched,
            s.points.possible,
            s.reference.line,
            s.reference.name
        ));
    }
    let g = guess(&db, &fp);
    lines.extend(g.summary(true).map(|s| s.lines()).unwrap_or_default());
    lines.push(
        g.normal_output_line(true)
            .unwrap_or_else(|| "(no match listed)".to_owned()),
    );
    for line in lines {
        // A closed pipe (`| head`) ends the listing quietly.
        if writeln!(out, "{line}").is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}

//! Lists the match lines that take longest on the captured responses (to find patterns that backtrack).
//! `cargo run --release -p portolan-fingerprint --example probes_slowest -- /usr/share/nmap/nmap-service-probes`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Instant;

use portolan_fingerprint::probes::ProbeDb;

fn main() {
    let path = std::env::args().nth(1).expect("a probes file");
    let db = ProbeDb::load(Path::new(&path)).expect("database");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/services");
    let mut responses = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("fixtures").flatten() {
        if entry.path().is_dir() {
            for f in std::fs::read_dir(entry.path())
                .expect("daemon dir")
                .flatten()
            {
                responses.push((
                    f.path().display().to_string(),
                    std::fs::read(f.path()).expect("fixture"),
                ));
            }
        }
    }
    let mut times = Vec::new();
    let mut total = 0.0;
    for probe in db.probes() {
        for rule in &probe.matches {
            let t = Instant::now();
            for (_, r) in &responses {
                let _ = rule.is_match(r);
            }
            let s = t.elapsed().as_secs_f64();
            total += s;
            times.push((
                s,
                rule.line,
                rule.pattern.chars().take(90).collect::<String>(),
            ));
        }
    }
    times.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!(
        "all {} lines over {} responses: {:.1} ms",
        times.len(),
        responses.len(),
        total * 1e3
    );
    for (s, line, pat) in times.iter().take(8) {
        println!("{:>8.3} ms  line {line}: {pat}", s * 1e3);
    }
}

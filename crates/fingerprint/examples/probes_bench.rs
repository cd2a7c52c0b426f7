//! Times loading (parse + PCRE2 compile + JIT) of a service-probe database and matching the captured
//! daemon responses of `tests/fixtures/services` against it. Run in release:
//! `cargo run --release -p portolan-fingerprint --example probes_bench [/usr/share/nmap/nmap-service-probes]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Instant;

use portolan_fingerprint::probes::ProbeDb;

fn main() {
    let path = std::env::args().nth(1);
    let started = Instant::now();
    let db = match &path {
        Some(p) => ProbeDb::load(Path::new(p)).expect("database"),
        None => ProbeDb::parse(portolan_fingerprint::probes::BUILTIN_TEXT, "built in")
            .expect("built in"),
    };
    let load = started.elapsed();
    let (hard, soft) = db.match_counts();
    println!(
        "{}: {} probes, {hard} match + {soft} softmatch lines, loaded in {load:?}",
        db.source(),
        db.probes().len()
    );

    // Every captured response, run through every probe's match chain of its protocol.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/services");
    let mut responses = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("fixtures").flatten() {
        if entry.path().is_dir() {
            for f in std::fs::read_dir(entry.path())
                .expect("daemon dir")
                .flatten()
            {
                responses.push(std::fs::read(f.path()).expect("fixture"));
            }
        }
    }
    let rounds = 20;
    let started = Instant::now();
    let mut runs = 0usize;
    let mut hits = 0usize;
    for _ in 0..rounds {
        for r in &responses {
            for probe in db.probes() {
                runs += 1;
                hits += usize::from(db.match_response(probe, r, None).is_some());
            }
        }
    }
    let took = started.elapsed();
    println!(
        "{} responses x {} probes x {rounds} rounds = {runs} match_response calls in {took:?} ({:.1} us each, {hits} hits)",
        responses.len(),
        db.probes().len(),
        took.as_secs_f64() * 1e6 / runs as f64
    );
}

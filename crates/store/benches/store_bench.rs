//! History benchmarks (not timed tests): `cargo bench -p portolan-store`.
//!
//! 1. Import of a generated 100,000-host Nmap XML file: XML parsing (portolan-report's reader) plus the
//!    one-transaction import. Target: at least 20,000 hosts/s.
//! 2. Search over 10,000 stored scans (10 hosts and 30 ports each): several queries, median of 5 runs.
//!    Target: under 100 ms.
//!
//! SQLite in a temporary directory; also PostgreSQL when `PORTOLAN_TEST_PG_URL` is set
//! (`tools/pg-test-server run -- cargo bench -p portolan-store`).

#![allow(clippy::unwrap_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use portolan_report::{RenderOptions, xml, xml_reader};
use portolan_store::Import;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn bench(b: &common::Backend) {
    let store = b.open().await;
    println!("== {} ==", b.name);
    bench_store(&store).await;
    store.close().await;
}

async fn bench_store(store: &portolan_store::Store) {
    let have = store.list(1, 0).await.unwrap().len();
    if have == 0 {
        fill(store).await;
    }
    searches(store).await;
}

async fn fill(store: &portolan_store::Store) {

    // 1. Import.
    let n = 100_000;
    let report = common::bulk_report(n, 1_760_000_000);
    let text = xml::render(&report, &RenderOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bulk.xml");
    std::fs::write(&file, &text).unwrap();
    let t0 = Instant::now();
    let body = std::fs::read_to_string(&file).unwrap();
    let parsed = xml_reader::read(&body).unwrap();
    let t_parse = t0.elapsed();
    assert_eq!(parsed.hosts.len(), n as usize);
    let t1 = Instant::now();
    store.import(&[Import { report: parsed, source: "nmap-xml".into(), file: None }]).await.unwrap();
    let t_store = t1.elapsed();
    let total = t0.elapsed();
    println!(
        "import: {n} hosts ({:.1} MB XML): parse {:.2} s, store {:.2} s, total {:.2} s = {:.0} hosts/s (target >= 20000)",
        text.len() as f64 / 1e6,
        t_parse.as_secs_f64(),
        t_store.as_secs_f64(),
        total.as_secs_f64(),
        f64::from(n) / total.as_secs_f64()
    );

    // 2. Search over 10,000 scans (plus the big one).
    let t2 = Instant::now();
    let scans = 10_000;
    let mut batch = Vec::new();
    for i in 0..scans {
        let mut r = common::bulk_report(10, 1_700_000_000 + i64::from(i) * 3_600);
        // Vary addresses across scans so net: queries select a slice.
        for (k, h) in r.hosts.iter_mut().enumerate() {
            let a = std::net::Ipv4Addr::from(u32::from(std::net::Ipv4Addr::new(198, 18, 0, 0)) + (i % 256) * 256 + k as u32);
            h.addresses[0].addr = a.to_string();
        }
        if i % 100 == 0 {
            r.hosts[0].os = Some(portolan_model::OsInfo {
                matches: vec![portolan_model::OsMatch { name: "Linux 5.15".into(), accuracy: 98, line: 1, classes: vec![] }],
                ..Default::default()
            });
        }
        batch.push(Import { report: r, source: "nmap-xml".into(), file: None });
        if batch.len() == 500 {
            store.import(&batch).await.unwrap();
            batch.clear();
        }
    }
    println!("stored {scans} more scans of 10 hosts in {:.1} s", t2.elapsed().as_secs_f64());
}

async fn searches(store: &portolan_store::Store) {
    let scans = store.list(100_000, 0).await.unwrap().len() - 1;
    for q in [
        "service:ssh",
        "open:22 net:198.18.7.0/24",
        "product:openssh version:9.3",
        "os:linux",
        "host:198.18.200.3",
        "after:2024-01-01 service:http",
        "h77.bulk",
        "-service:ssh filtered:8081 before:2023-12-01",
    ] {
        let mut times = Vec::new();
        let mut hits = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let r = store.search(q, 100).await.unwrap();
            times.push(t.elapsed());
            hits = r.hosts.len();
        }
        println!("search {q:<45} {:>4} hosts  median {:>7.1} ms (target < 100)", hits, median(times).as_secs_f64() * 1e3);
    }
    let t = Instant::now();
    let l = store.list(50, 0).await.unwrap();
    println!("list 50 newest of {} scans: {:.1} ms", scans + 1, t.elapsed().as_secs_f64() * 1e3);
    assert_eq!(l.len(), 50);
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        // BENCH_DB=/path keeps the database between runs (filled on the first), for studying query plans.
        if let Ok(path) = std::env::var("BENCH_DB") {
            let s = portolan_store::Store::open(&path).await.unwrap();
            bench_store(&s).await;
            s.close().await;
            return;
        }
        for b in common::backends().await {
            bench(&b).await;
            b.teardown().await;
        }
    });
}

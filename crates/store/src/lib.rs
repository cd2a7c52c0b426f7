//! # portolan-store
//!
//! Scan history on sqlx: SQLite by default (a file in the platform data directory), PostgreSQL for a team
//! sharing one history. Every scan is written while it runs ([`ScanWriter`]); Nmap XML and Portolan JSON
//! files can be imported ([`Store::import`]); the history can be searched with a small filter language
//! ([`search`]) and any scan reloaded as a [`ScanReport`].
//!
//! Invariants:
//! - The schema is defined by timestamped migrations (`migrations/sqlite`, `migrations/postgres`, kept in
//!   step); a database with a migration this build does not know is refused ([`StoreError::NewerSchema`]),
//!   never modified.
//! - Every change is a transaction: an import is all or nothing, a running scan commits a consistent prefix
//!   (whole hosts' facts as far as they are known), and a scan's final write swaps live rows for the
//!   folded report atomically.
//! - SQL text is built only from this crate's constants and placeholder numbers; every value (including all
//!   user search input) is a bound parameter.
//! - A scan stays `running` only while its writer process lives: readers turn a `running` scan whose writer
//!   is gone into `interrupted` ([`liveness`]).
//! - Depends on `portolan-model` only among Portolan crates.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod db;
mod error;
pub mod liveness;
mod location;
mod pg_import;
mod rows;
pub mod search;
mod tables;
mod writer;

pub use db::schema_version;
pub use error::{Result, StoreError};
pub use location::{Backend, HISTORY_ENV, Location, default_path};
pub use search::{HostHit, SearchResults, ServiceHit};
pub use writer::{COMMIT_INTERVAL, NewScan, ScanWriter};

use portolan_model::ScanReport;
use serde::Serialize;
use sqlx::AnyPool;
use tables::scans;

pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Where a scan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanStatus {
    Running,
    Complete,
    Interrupted,
}

impl ScanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Running => "running",
            ScanStatus::Complete => "complete",
            ScanStatus::Interrupted => "interrupted",
        }
    }
    pub fn parse(s: &str) -> Option<ScanStatus> {
        Some(match s {
            "running" => ScanStatus::Running,
            "complete" => ScanStatus::Complete,
            "interrupted" => ScanStatus::Interrupted,
            _ => return None,
        })
    }
}

/// One scan as listed (without its hosts).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanSummary {
    pub id: i64,
    pub scanner: String,
    pub version: String,
    pub args: String,
    pub profile: Option<String>,
    /// Unix seconds.
    pub started: i64,
    pub ended: Option<i64>,
    pub status: ScanStatus,
    /// `scan` (written while scanning), `nmap-xml` or `portolan-json` (imported).
    pub source: String,
    pub source_file: Option<String>,
    pub hosts_up: i64,
    pub hosts_down: i64,
    pub hosts_total: i64,
    pub open_ports: i64,
    #[serde(skip)]
    pub writer: liveness::Writer,
    #[serde(skip)]
    pub heartbeat: Option<i64>,
}

/// A report to import and where it came from.
#[derive(Debug, Clone)]
pub struct Import {
    pub report: ScanReport,
    /// `nmap-xml` or `portolan-json`.
    pub source: String,
    pub file: Option<String>,
}

/// Which scans `prune` deletes (scans still running are never pruned).
#[derive(Debug, Clone, Copy, Default)]
pub struct Prune {
    /// Started before this Unix time.
    pub before: Option<i64>,
    /// All but the newest N.
    pub keep: Option<i64>,
}

/// An open history.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    /// A native pool next to the generic one, for PostgreSQL's COPY (imports).
    pg: Option<sqlx::PgPool>,
    location: Location,
}

impl Store {
    /// Opens (creating when needed) the history at `location`: a file path, `sqlite:///path` or
    /// `postgres://...`. Refuses a newer schema; applies missing migrations.
    pub async fn open(location: &str) -> Result<Store> {
        Store::open_location(Location::parse(location)?).await
    }

    pub async fn open_location(location: Location) -> Result<Store> {
        let pool = db::connect(&location).await?;
        if let Err(e) = db::migrate(&pool, &location).await {
            pool.close().await;
            return Err(e);
        }
        let pg = if location.backend == Backend::Postgres {
            let opts = <sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(&location.url)
                .map_err(|e| StoreError::Open { url: location.display(), message: e.to_string() })?;
            Some(sqlx::postgres::PgPoolOptions::new().max_connections(2).connect_lazy_with(opts))
        } else {
            None
        };
        Ok(Store { pool, pg, location })
    }

    /// The connection pool, for tests and tools that need raw SQL.
    #[doc(hidden)]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Records a new running scan and returns its writer.
    pub async fn begin_scan(&self, scan: NewScan) -> Result<ScanWriter> {
        ScanWriter::begin(self.pool.clone(), self.location.backend, scan).await
    }

    /// Imports reports in one transaction: all of them, or (on any error) none. Returns the new scan ids.
    pub async fn import(&self, items: &[Import]) -> Result<Vec<i64>> {
        if let Some(pg) = &self.pg {
            let ids = pg_import::import(pg, items).await?;
            // Autovacuum analyses new rows only after a delay; until then plans for searches are guesses.
            let _ = sqlx::query("ANALYZE scans, hosts, addresses, hostnames, ports, services, os_matches, trace_hops, script_results")
                .execute(pg)
                .await;
            return Ok(ids);
        }
        let mut tx = self.pool.begin().await?;
        let mut ids = Vec::with_capacity(items.len());
        for it in items {
            let r = &it.report;
            let status = if r.run_stats.is_some() { ScanStatus::Complete } else { ScanStatus::Interrupted };
            let id = scans::insert(
                &mut tx,
                scans::NewRow {
                    scanner: r.scanner.clone(),
                    version: r.version.clone(),
                    args: r.args.clone(),
                    profile: None,
                    started: r.start,
                    status,
                    source: it.source.clone(),
                    source_file: it.file.clone(),
                    writer: None,
                },
            )
            .await?;
            rows::insert_hosts(&mut tx, id, &r.hosts).await?;
            let json = serde_json::to_string(r)?;
            scans::complete(&mut tx, id, status, r.run_stats.as_ref().map(|s| s.finished), Some(json)).await?;
            if let Some(rs) = &r.run_stats {
                scans::set_totals(&mut tx, id, rs.hosts_up.into(), rs.hosts_down.into(), rs.hosts_total.into())
                    .await?;
            } else {
                let total = r.hosts.len() as i64;
                let up = r.hosts.iter().filter(|h| h.is_up()).count() as i64;
                scans::set_totals(&mut tx, id, up, total - up, total).await?;
            }
            ids.push(id);
        }
        tx.commit().await?;
        db::refresh_statistics(&self.pool, self.location.backend).await;
        Ok(ids)
    }

    /// A `running` scan whose writer is gone is really interrupted: say so, and record it.
    async fn settle(&self, mut s: ScanSummary) -> ScanSummary {
        if s.status == ScanStatus::Running {
            let dead = match s.writer.alive() {
                Some(alive) => !alive,
                None => s.heartbeat.is_some_and(|h| now_secs() - h > liveness::STALE_SECS),
            };
            if dead {
                s.status = ScanStatus::Interrupted;
                // Best effort: a read-only reader still reports the right status.
                if let Ok(mut c) = self.pool.acquire().await {
                    let _ = scans::mark_interrupted(&mut c, s.id).await;
                }
            }
        }
        s
    }

    /// Scans, newest first.
    pub async fn list(&self, limit: i64, offset: i64) -> Result<Vec<ScanSummary>> {
        let mut c = self.pool.acquire().await?;
        let rows = scans::list(&mut c, limit, offset).await?;
        drop(c);
        let mut out = Vec::with_capacity(rows.len());
        for s in rows {
            out.push(self.settle(s).await);
        }
        Ok(out)
    }

    pub async fn scan(&self, id: i64) -> Result<ScanSummary> {
        let mut c = self.pool.acquire().await?;
        let s = scans::get(&mut c, id).await?.ok_or(StoreError::NoSuchScan(id))?;
        drop(c);
        Ok(self.settle(s).await)
    }

    /// The scan's report: exactly the stored one when the scan completed (or was imported), else rebuilt
    /// from the rows a running or killed scan committed.
    pub async fn report(&self, id: i64) -> Result<ScanReport> {
        let summary = self.scan(id).await?;
        let mut c = self.pool.acquire().await?;
        if let Some(json) = scans::report_json(&mut c, id).await? {
            return serde_json::from_str(&json).map_err(|e| StoreError::BadReport { id, message: e.to_string() });
        }
        let mut head = ScanReport::empty(&summary.scanner);
        head.version = summary.version;
        head.args = summary.args;
        head.start = summary.started;
        rows::load_report(&mut c, head, id).await
    }

    /// Deletes one scan with everything in it; `false` when there was none.
    pub async fn delete(&self, id: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = scans::delete(&mut tx, id).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Deletes old scans; returns how many.
    pub async fn prune(&self, p: Prune) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let mut n = 0;
        if let Some(b) = p.before {
            n += scans::delete_before(&mut tx, b).await?;
        }
        if let Some(k) = p.keep {
            n += scans::delete_all_but(&mut tx, k.max(0)).await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Runs a search query (see [`search`] for the language).
    pub async fn search(&self, text: &str, limit: i64) -> Result<SearchResults> {
        let q = search::parse(text)?;
        search::run(&self.pool, &q, limit, now_secs()).await
    }

    /// SQLite's `PRAGMA integrity_check` (`ok` when sound); PostgreSQL has no equivalent and answers `ok`.
    pub async fn integrity_check(&self) -> Result<String> {
        if self.location.backend != Backend::Sqlite {
            return Ok("ok".into());
        }
        let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check").fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("\n"))
    }

    pub async fn close(self) {
        if let Some(pg) = &self.pg {
            pg.close().await;
        }
        self.pool.close().await;
    }
}

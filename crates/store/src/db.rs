//! Opening a history database: connect, check the schema version, migrate, and the small SQL helpers every
//! table module uses (typed values and multi-row inserts with numbered binds).

use crate::error::{Result, StoreError};
use crate::location::{Backend, Location, ensure_parent};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyConnection, AnyPool, AssertSqlSafe, Connection, Executor};
use std::str::FromStr;
use std::time::Duration;

pub(crate) static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
pub(crate) static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// SQLite allows 32,766 bound values per statement and PostgreSQL 65,535; stay well below both.
const MAX_BINDS: usize = 30_000;

pub(crate) fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    }
}

/// The newest schema version this build knows.
pub fn schema_version() -> i64 {
    SQLITE_MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

pub(crate) async fn connect(loc: &Location) -> Result<AnyPool> {
    sqlx::any::install_default_drivers();
    let open_err = |message: String| StoreError::Open { url: loc.display(), message };
    if let Some(p) = &loc.path {
        ensure_parent(p).map_err(|e| open_err(format!("cannot create its directory: {e}")))?;
    }
    let opts = AnyConnectOptions::from_str(&loc.url).map_err(|e| open_err(e.to_string()))?;
    // A pool retries failed connects until its acquire timeout; one direct connect fails fast and clearly.
    let mut probe = AnyConnection::connect_with(&opts).await.map_err(|e| open_err(e.to_string()))?;
    if loc.backend == Backend::Sqlite {
        // SQLite opens files lazily: reading the schema is what finds a file that is not a database.
        probe.execute("SELECT COUNT(*) FROM sqlite_master").await.map_err(|e| open_err(e.to_string()))?;
    }
    let _ = probe.close().await;
    let backend = loc.backend;
    let pool = AnyPoolOptions::new()
        .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL lets readers (history list, the desktop app) run while a scan writes; NORMAL sync
                    // is durable against a killed process, which is the crash that matters here.
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    // Imports touch several indexes at once; the 2 MB default cache made them page-bound.
                    conn.execute("PRAGMA cache_size = -65536").await?;
                }
                Ok(())
            })
        })
        .connect_with(opts)
        .await
        .map_err(|e| open_err(e.to_string()))?;
    if backend == Backend::Sqlite {
        // journal_mode is a property of the file: set once, it sticks. A read-only file cannot switch.
        let mode: (String,) = sqlx::query_as("PRAGMA journal_mode = WAL")
            .fetch_one(&pool)
            .await
            .map_err(|e| open_err(e.to_string()))?;
        // A file system without WAL support (some network mounts) keeps its old mode: slower, still correct.
        let _ = mode;
    }
    Ok(pool)
}

/// Refuses a database written by a newer Portolan (an applied migration this build does not know), then
/// applies any missing migrations.
pub(crate) async fn migrate(pool: &AnyPool, loc: &Location) -> Result<()> {
    let known = schema_version();
    let applied: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success").fetch_optional(pool).await.ok().flatten();
    if let Some((Some(found),)) = applied {
        let m = migrator(loc.backend);
        let unknown = sqlx::query_as::<_, (i64,)>("SELECT version FROM _sqlx_migrations")
            .fetch_all(pool)
            .await
            .map_err(|e| StoreError::Migrate { url: loc.display(), message: e.to_string() })?
            .into_iter()
            .any(|(v,)| !m.iter().any(|k| k.version == v));
        if found > known || unknown {
            return Err(StoreError::NewerSchema { url: loc.display(), found, known });
        }
    }
    migrator(loc.backend)
        .run(pool)
        .await
        .map_err(|e| StoreError::Migrate { url: loc.display(), message: e.to_string() })
}

/// Keeps SQLite's planner statistics current (search plans depend on them: without them a correlated
/// check may pick the wrong index and crawl). Cheap: sampled.
/// PostgreSQL's autovacuum does this itself.
pub(crate) async fn refresh_statistics(pool: &AnyPool, backend: Backend) {
    if backend != Backend::Sqlite {
        return;
    }
    let Ok(mut c) = pool.acquire().await else { return };
    // A sampled ANALYZE takes milliseconds even on a large history; `PRAGMA optimize` alone left statistics
    // from when the tables were tiny, and the planner then scanned whole tables.
    let _ = c.execute("PRAGMA analysis_limit = 1000").await;
    let _ = c.execute("ANALYZE").await;
}

/// One bound value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(Some(v))
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        Val::Int(v)
    }
}
impl From<Option<f64>> for Val {
    fn from(v: Option<f64>) -> Self {
        Val::Real(v)
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(Some(v))
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(Some(v.to_owned()))
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        Val::Text(v)
    }
}
impl From<Option<&str>> for Val {
    fn from(v: Option<&str>) -> Self {
        Val::Text(v.map(str::to_owned))
    }
}

pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

pub(crate) fn bind(q: AnyQuery<'_>, v: Val) -> AnyQuery<'_> {
    match v {
        Val::Int(x) => q.bind(x),
        Val::Real(x) => q.bind(x),
        // PostgreSQL text cannot hold NUL; a banner may. The full report JSON keeps it (escaped) exactly.
        Val::Text(Some(x)) if x.contains('\0') => q.bind(Some(x.replace('\0', "\u{FFFD}"))),
        Val::Text(x) => q.bind(x),
    }
}

/// Runs SQL built by this crate (never containing user text: values travel as binds).
pub(crate) fn query(sql: String, vals: Vec<Val>) -> AnyQuery<'static> {
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for v in vals {
        q = bind(q, v);
    }
    q
}

/// `INSERT INTO table (cols) VALUES (...), (...)` in as few statements as the bind limits allow, returning
/// the `returning` columns of every inserted row (empty when `returning` is empty).
pub(crate) async fn insert_rows(
    conn: &mut AnyConnection,
    table: &'static str,
    cols: &[&'static str],
    rows: Vec<Vec<Val>>,
    returning: &'static str,
) -> Result<Vec<AnyRow>> {
    let mut out = Vec::new();
    if rows.is_empty() {
        return Ok(out);
    }
    // SQLite looks up each named parameter (`$7`) by a linear search of the names seen so far, which is
    // quadratic in a statement with thousands of binds; plain `?` is positional and free there.
    let positional = conn.backend_name().eq_ignore_ascii_case("sqlite");
    let per = (MAX_BINDS / cols.len()).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(per).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
        let mut n = 0usize;
        for (i, r) in chunk.iter().enumerate() {
            debug_assert_eq!(r.len(), cols.len());
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for j in 0..r.len() {
                n += 1;
                if j > 0 {
                    sql.push_str(", ");
                }
                if positional {
                    sql.push('?');
                } else {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
            }
            sql.push(')');
        }
        let vals: Vec<Val> = chunk.into_iter().flatten().collect();
        if returning.is_empty() {
            query(sql, vals).execute(&mut *conn).await?;
        } else {
            sql.push_str(" RETURNING ");
            sql.push_str(returning);
            out.extend(query(sql, vals).fetch_all(&mut *conn).await?);
        }
    }
    Ok(out)
}

/// Inserts rows and returns their new ids in the order of `rows`, without `RETURNING` (which costs a decoded
/// row per insert). SQLite gives the rows of one INSERT consecutive rowids after the largest one (the write
/// lock is held for the statement), so they are `last_insert_rowid() - n + 1 ..= last_insert_rowid()`, which
/// is checked. PostgreSQL takes `n` values of the table's identity sequence first and inserts them
/// explicitly, which is safe with concurrent writers.
pub(crate) async fn insert_rows_ids(
    conn: &mut AnyConnection,
    table: &'static str,
    cols: &[&'static str],
    rows: Vec<Vec<Val>>,
) -> Result<Vec<i64>> {
    let n = rows.len();
    let mut ids = Vec::with_capacity(n);
    if n == 0 {
        return Ok(ids);
    }
    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        let per = (MAX_BINDS / cols.len()).max(1);
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Val>> = rows.by_ref().take(per).collect();
            let k = chunk.len() as i64;
            insert_rows(conn, table, cols, chunk, "").await?;
            let (last, changed): (i64, i64) =
                sqlx::query_as("SELECT last_insert_rowid(), changes()").fetch_one(&mut *conn).await?;
            let first = last - k + 1;
            let (count,): (i64,) = query(format!("SELECT COUNT(*) FROM {table} WHERE id >= $1 AND id <= $2"), vec![first.into(), last.into()])
                .try_map(|r: AnyRow| Ok((sqlx::Row::try_get::<i64, _>(&r, 0)?,)))
                .fetch_one(&mut *conn)
                .await?;
            if changed != k || count != k {
                return Err(sqlx::Error::Protocol(format!("{table}: rows did not get consecutive ids")).into());
            }
            ids.extend(first..=last);
        }
    } else {
        let got = query(
            "SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id FROM generate_series(1, $2)".into(),
            vec![table.into(), (n as i64).into()],
        )
        .fetch_all(&mut *conn)
        .await?;
        for r in &got {
            ids.push(sqlx::Row::try_get::<i64, _>(r, "id")?);
        }
        let mut with_id = Vec::with_capacity(cols.len() + 1);
        with_id.push("id");
        with_id.extend_from_slice(cols);
        let rows = rows
            .into_iter()
            .zip(&ids)
            .map(|(mut r, id)| {
                r.insert(0, Val::Int(Some(*id)));
                r
            })
            .collect();
        insert_rows(conn, table, &with_id, rows, "").await?;
    }
    Ok(ids)
}

/// `$first, $first+1, ...` for an `IN (...)` list of `n` binds.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

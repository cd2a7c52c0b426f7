//! `scans`: one row per scan or imported file, with its counts and (once complete) the full report.

use crate::db::{Val, query};
use crate::error::Result;
use crate::tables::{get_i64, get_oi64, get_ostr, get_str};
use crate::{ScanStatus, ScanSummary};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

pub(crate) const SUMMARY_COLS: &str = "s.id, s.scanner, s.version, s.args, s.profile, s.started, s.ended, s.status, \
     s.source, s.source_file, s.writer_host, s.writer_pid, s.writer_boot, s.writer_start, s.heartbeat, \
     s.hosts_up, s.hosts_down, s.hosts_total, s.open_ports";

/// What a new row holds before any host.
#[derive(Debug, Clone)]
pub(crate) struct NewRow {
    pub scanner: String,
    pub version: String,
    pub args: String,
    pub profile: Option<String>,
    pub started: i64,
    pub status: ScanStatus,
    pub source: String,
    pub source_file: Option<String>,
    pub writer: Option<crate::liveness::Writer>,
}

pub(crate) async fn insert(conn: &mut AnyConnection, r: NewRow) -> Result<i64> {
    let w = r.writer.unwrap_or_default();
    let row = query(
        "INSERT INTO scans (scanner, version, args, profile, started, status, source, source_file, writer_host, \
         writer_pid, writer_boot, writer_start, heartbeat) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id"
            .into(),
        vec![
            r.scanner.into(),
            r.version.into(),
            r.args.into(),
            r.profile.into(),
            r.started.into(),
            r.status.as_str().into(),
            r.source.into(),
            r.source_file.into(),
            w.host.into(),
            w.pid.into(),
            w.boot.into(),
            w.start.into(),
            Val::Int(Some(r.started)),
        ],
    )
    .fetch_one(conn)
    .await?;
    Ok(get_i64(&row, "id")?)
}

/// Final state of a scan: status, end, counts and the full report.
pub(crate) async fn complete(
    conn: &mut AnyConnection,
    id: i64,
    status: ScanStatus,
    ended: Option<i64>,
    report_json: Option<String>,
) -> Result<()> {
    query(
        "UPDATE scans SET status = $1, ended = $2, report_json = $3 WHERE id = $4".into(),
        vec![status.as_str().into(), ended.into(), report_json.into(), id.into()],
    )
    .execute(&mut *conn)
    .await?;
    refresh_counts(conn, id).await
}

/// Recounts hosts and open ports from the normalised rows.
pub(crate) async fn refresh_counts(conn: &mut AnyConnection, id: i64) -> Result<()> {
    query(
        "UPDATE scans SET \
         hosts_up = (SELECT COUNT(*) FROM hosts WHERE scan_id = $1 AND state = 'up'), \
         hosts_down = (SELECT COUNT(*) FROM hosts WHERE scan_id = $1 AND state <> 'up'), \
         open_ports = (SELECT COUNT(*) FROM ports p JOIN hosts h ON h.id = p.host_id \
                       WHERE h.scan_id = $1 AND p.state = 'open') \
         WHERE id = $1"
            .into(),
        vec![id.into()],
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn set_totals(conn: &mut AnyConnection, id: i64, up: i64, down: i64, total: i64) -> Result<()> {
    query(
        "UPDATE scans SET hosts_up = $1, hosts_down = $2, hosts_total = $3 WHERE id = $4".into(),
        vec![up.into(), down.into(), total.into(), id.into()],
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn heartbeat(conn: &mut AnyConnection, id: i64, now: i64) -> Result<()> {
    query("UPDATE scans SET heartbeat = $1 WHERE id = $2".into(), vec![now.into(), id.into()]).execute(conn).await?;
    Ok(())
}

/// Marks a scan whose writer is gone as interrupted (only if it is still `running`).
pub(crate) async fn mark_interrupted(conn: &mut AnyConnection, id: i64) -> Result<()> {
    query(
        "UPDATE scans SET status = 'interrupted' WHERE id = $1 AND status = 'running'".into(),
        vec![id.into()],
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) fn summary(r: &AnyRow) -> Result<ScanSummary> {
    let status = ScanStatus::parse(&get_str(r, "status")?).unwrap_or(ScanStatus::Interrupted);
    Ok(ScanSummary {
        id: get_i64(r, "id")?,
        scanner: get_str(r, "scanner")?,
        version: get_str(r, "version")?,
        args: get_str(r, "args")?,
        profile: get_ostr(r, "profile")?,
        started: get_i64(r, "started")?,
        ended: get_oi64(r, "ended")?,
        status,
        source: get_str(r, "source")?,
        source_file: get_ostr(r, "source_file")?,
        hosts_up: get_i64(r, "hosts_up")?,
        hosts_down: get_i64(r, "hosts_down")?,
        hosts_total: get_i64(r, "hosts_total")?,
        open_ports: get_i64(r, "open_ports")?,
        writer: crate::liveness::Writer {
            host: get_ostr(r, "writer_host")?,
            pid: get_oi64(r, "writer_pid")?,
            boot: get_ostr(r, "writer_boot")?,
            start: get_ostr(r, "writer_start")?,
        },
        heartbeat: get_oi64(r, "heartbeat")?,
    })
}

pub(crate) async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<ScanSummary>> {
    let row = query(format!("SELECT {SUMMARY_COLS} FROM scans s WHERE s.id = $1"), vec![id.into()])
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(summary).transpose()
}

/// Newest first.
pub(crate) async fn list(conn: &mut AnyConnection, limit: i64, offset: i64) -> Result<Vec<ScanSummary>> {
    let rows = query(
        format!("SELECT {SUMMARY_COLS} FROM scans s ORDER BY s.started DESC, s.id DESC LIMIT $1 OFFSET $2"),
        vec![limit.into(), offset.into()],
    )
    .fetch_all(conn)
    .await?;
    rows.iter().map(summary).collect()
}

pub(crate) async fn report_json(conn: &mut AnyConnection, id: i64) -> Result<Option<String>> {
    let row = query("SELECT report_json FROM scans WHERE id = $1".into(), vec![id.into()]).fetch_optional(conn).await?;
    Ok(match row {
        Some(r) => get_ostr(&r, "report_json")?,
        None => None,
    })
}

pub(crate) async fn delete(conn: &mut AnyConnection, id: i64) -> Result<bool> {
    let r = query("DELETE FROM scans WHERE id = $1".into(), vec![id.into()]).execute(conn).await?;
    Ok(r.rows_affected() > 0)
}

/// Deletes scans started before `before` (Unix seconds); returns how many.
pub(crate) async fn delete_before(conn: &mut AnyConnection, before: i64) -> Result<u64> {
    let r = query("DELETE FROM scans WHERE started < $1 AND status <> 'running'".into(), vec![before.into()])
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

/// Keeps the `keep` newest scans (and any still running); returns how many were deleted.
pub(crate) async fn delete_all_but(conn: &mut AnyConnection, keep: i64) -> Result<u64> {
    let r = query(
        "DELETE FROM scans WHERE status <> 'running' AND id NOT IN \
         (SELECT id FROM scans ORDER BY started DESC, id DESC LIMIT $1)"
            .into(),
        vec![keep.into()],
    )
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

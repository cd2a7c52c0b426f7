//! `script_results`: script outputs, of a port (`port_id` set) or of the host (`<hostscript>`).

use crate::db::{Val, insert_rows, query};
use crate::error::Result;
use crate::tables::{get_i64, get_oi64, get_str};
use portolan_model::ScriptResult;
use sqlx::AnyConnection;

pub(crate) const COLS: &[&str] = &["host_id", "port_id", "script_id", "output"];

pub(crate) fn row(host_id: i64, port_id: Option<i64>, s: &ScriptResult) -> Vec<Val> {
    vec![host_id.into(), port_id.into(), s.id.as_str().into(), s.output.as_str().into()]
}

pub(crate) async fn insert(conn: &mut AnyConnection, rows: Vec<Vec<Val>>) -> Result<()> {
    insert_rows(conn, "script_results", COLS, rows, "").await?;
    Ok(())
}

/// `(host id, port id, result)` without the structured elements (those live in the full report).
pub(crate) async fn load(conn: &mut AnyConnection, scan_id: i64) -> Result<Vec<(i64, Option<i64>, ScriptResult)>> {
    let rows = query(
        "SELECT s.host_id, s.port_id, s.script_id, s.output FROM script_results s \
         JOIN hosts h ON h.id = s.host_id WHERE h.scan_id = $1 ORDER BY s.id"
            .into(),
        vec![scan_id.into()],
    )
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push((
            get_i64(&r, "host_id")?,
            get_oi64(&r, "port_id")?,
            ScriptResult { id: get_str(&r, "script_id")?, output: get_str(&r, "output")?, elements: Vec::new() },
        ));
    }
    Ok(out)
}

//! `os_matches`: OS detection's matches for a host, best first.

use crate::db::{Val, insert_rows, query};
use crate::error::Result;
use crate::tables::{get_i64, get_str, narrow};
use portolan_model::OsMatch;
use sqlx::AnyConnection;

pub(crate) const COLS: &[&str] = &["host_id", "ord", "name", "accuracy", "line", "classes"];

pub(crate) fn row(host_id: i64, ord: usize, m: &OsMatch) -> Vec<Val> {
    let classes: Vec<String> = m
        .classes
        .iter()
        .map(|c| {
            [Some(c.vendor.as_str()), Some(c.family.as_str()), c.generation.as_deref(), c.device_type.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    vec![
        host_id.into(),
        (ord as i64).into(),
        m.name.as_str().into(),
        i64::from(m.accuracy).into(),
        i64::from(m.line).into(),
        classes.join("; ").into(),
    ]
}

pub(crate) async fn insert(conn: &mut AnyConnection, rows: Vec<Vec<Val>>) -> Result<()> {
    insert_rows(conn, "os_matches", COLS, rows, "").await?;
    Ok(())
}

/// Matches without their classes (those live in the full report).
pub(crate) async fn load(conn: &mut AnyConnection, scan_id: i64) -> Result<Vec<(i64, OsMatch)>> {
    let rows = query(
        "SELECT o.host_id, o.name, o.accuracy, o.line FROM os_matches o JOIN hosts h ON h.id = o.host_id \
         WHERE h.scan_id = $1 ORDER BY o.host_id, o.ord"
            .into(),
        vec![scan_id.into()],
    )
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push((
            get_i64(&r, "host_id")?,
            OsMatch {
                name: get_str(&r, "name")?,
                accuracy: narrow(get_i64(&r, "accuracy")?),
                line: narrow(get_i64(&r, "line")?),
                classes: Vec::new(),
            },
        ));
    }
    Ok(out)
}

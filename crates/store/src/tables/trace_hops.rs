//! `trace_hops`: `--traceroute` hops of a host.

use crate::db::{Val, insert_rows, query};
use crate::error::Result;
use crate::tables::{get_i64, get_of64, get_ostr, narrow};
use portolan_model::TraceHop;
use sqlx::AnyConnection;

pub(crate) const COLS: &[&str] = &["host_id", "ttl", "addr", "rtt_ms", "name"];

pub(crate) fn row(host_id: i64, h: &TraceHop) -> Vec<Val> {
    vec![
        host_id.into(),
        i64::from(h.ttl).into(),
        h.addr.map(|a| a.to_string()).into(),
        h.rtt_ms.into(),
        h.host.clone().into(),
    ]
}

pub(crate) async fn insert(conn: &mut AnyConnection, rows: Vec<Vec<Val>>) -> Result<()> {
    insert_rows(conn, "trace_hops", COLS, rows, "").await?;
    Ok(())
}

pub(crate) async fn load(conn: &mut AnyConnection, scan_id: i64) -> Result<Vec<(i64, TraceHop)>> {
    let rows = query(
        "SELECT t.host_id, t.ttl, t.addr, t.rtt_ms, t.name FROM trace_hops t JOIN hosts h ON h.id = t.host_id \
         WHERE h.scan_id = $1 ORDER BY t.host_id, t.ttl"
            .into(),
        vec![scan_id.into()],
    )
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push((
            get_i64(&r, "host_id")?,
            TraceHop {
                ttl: narrow(get_i64(&r, "ttl")?),
                addr: get_ostr(&r, "addr")?.and_then(|a| a.parse().ok()),
                rtt_ms: get_of64(&r, "rtt_ms")?,
                host: get_ostr(&r, "name")?,
            },
        ));
    }
    Ok(out)
}

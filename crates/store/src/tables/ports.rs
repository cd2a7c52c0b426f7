//! `ports`: one row per (host, protocol, port) the scan determined.

use crate::db::{Val, insert_rows_ids, query};
use crate::error::Result;
use crate::tables::{get_i64, get_str, narrow};
use portolan_model::{PortReport, PortState, Protocol, Reason};
use sqlx::AnyConnection;

pub(crate) const COLS: &[&str] = &["host_id", "protocol", "port", "state", "reason", "reason_ttl"];

pub(crate) fn row(host_id: i64, p: &PortReport) -> Vec<Val> {
    vec![
        host_id.into(),
        p.protocol.as_str().into(),
        i64::from(p.port).into(),
        p.state.as_str().into(),
        p.reason.as_str().into(),
        i64::from(p.reason_ttl).into(),
    ]
}

/// Inserts ports; returns their ids in the order of `rows`.
pub(crate) async fn insert(conn: &mut AnyConnection, rows: Vec<Vec<Val>>) -> Result<Vec<i64>> {
    insert_rows_ids(conn, "ports", COLS, rows).await
}

pub(crate) async fn update_state(conn: &mut AnyConnection, id: i64, p: &PortReport) -> Result<()> {
    query(
        "UPDATE ports SET state = $1, reason = $2, reason_ttl = $3 WHERE id = $4".into(),
        vec![p.state.as_str().into(), p.reason.as_str().into(), i64::from(p.reason_ttl).into(), id.into()],
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn delete_for_host(conn: &mut AnyConnection, host_id: i64) -> Result<()> {
    query("DELETE FROM ports WHERE host_id = $1".into(), vec![host_id.into()]).execute(conn).await?;
    Ok(())
}

/// `(port id, host id, port)` of every port of a scan, in (host, protocol, port) order.
pub(crate) async fn load(conn: &mut AnyConnection, scan_id: i64) -> Result<Vec<(i64, i64, PortReport)>> {
    let rows = query(
        "SELECT p.id, p.host_id, p.protocol, p.port, p.state, p.reason, p.reason_ttl FROM ports p \
         JOIN hosts h ON h.id = p.host_id WHERE h.scan_id = $1 ORDER BY p.host_id, p.protocol, p.port"
            .into(),
        vec![scan_id.into()],
    )
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let Ok(protocol) = get_str(&r, "protocol")?.parse::<Protocol>() else { continue };
        let Ok(state) = get_str(&r, "state")?.parse::<PortState>() else { continue };
        out.push((
            get_i64(&r, "id")?,
            get_i64(&r, "host_id")?,
            PortReport {
                protocol,
                port: narrow(get_i64(&r, "port")?),
                state,
                reason: Reason(get_str(&r, "reason")?),
                reason_ttl: narrow(get_i64(&r, "reason_ttl")?),
                service: None,
                scripts: Vec::new(),
            },
        ));
    }
    Ok(out)
}

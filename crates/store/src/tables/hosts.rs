//! `hosts`: one row per host of a scan, in report order (`ord`).

use crate::db::{Val, insert_rows_ids, query};
use crate::error::Result;
use crate::tables::{get_i64, get_of64, get_oi64, get_ostr, get_str, narrow};
use portolan_model::{HostReport, HostState, HostStatus, Reason, Uptime};
use sqlx::AnyConnection;

pub(crate) const COLS: &[&str] = &[
    "scan_id", "ord", "ip", "state", "reason", "start_time", "end_time", "latency", "timed_out", "distance",
    "uptime", "last_boot",
];

pub(crate) fn row(scan_id: i64, ord: i64, h: &HostReport) -> Vec<Val> {
    vec![
        scan_id.into(),
        ord.into(),
        h.ip().map(|ip| ip.to_string()).into(),
        h.status.state.as_str().into(),
        h.status.reason.as_str().into(),
        h.start_time.into(),
        h.end_time.into(),
        h.latency.into(),
        i64::from(h.timed_out).into(),
        h.distance.map(i64::from).into(),
        h.uptime.as_ref().map(|u| i64::try_from(u.seconds).unwrap_or(i64::MAX)).into(),
        h.uptime.as_ref().map(|u| u.last_boot.clone()).into(),
    ]
}

/// Inserts hosts; returns their ids in the order of `rows`.
pub(crate) async fn insert(conn: &mut AnyConnection, rows: Vec<Vec<Val>>) -> Result<Vec<i64>> {
    insert_rows_ids(conn, "hosts", COLS, rows).await
}

/// Updates what a running scan learns about a host after it was first written.
pub(crate) async fn update_live(conn: &mut AnyConnection, id: i64, h: &HostReport) -> Result<()> {
    query(
        "UPDATE hosts SET state = $1, reason = $2, start_time = $3, end_time = $4, latency = $5, timed_out = $6 \
         WHERE id = $7"
            .into(),
        vec![
            h.status.state.as_str().into(),
            h.status.reason.as_str().into(),
            h.start_time.into(),
            h.end_time.into(),
            h.latency.into(),
            i64::from(h.timed_out).into(),
            id.into(),
        ],
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn delete_for_scan(conn: &mut AnyConnection, scan_id: i64) -> Result<()> {
    query("DELETE FROM hosts WHERE scan_id = $1".into(), vec![scan_id.into()]).execute(conn).await?;
    Ok(())
}

/// Hosts of a scan in order, without their child rows.
pub(crate) async fn load(conn: &mut AnyConnection, scan_id: i64) -> Result<Vec<(i64, HostReport)>> {
    let rows = query(
        "SELECT id, state, reason, start_time, end_time, latency, timed_out, distance, uptime, last_boot \
         FROM hosts WHERE scan_id = $1 ORDER BY ord"
            .into(),
        vec![scan_id.into()],
    )
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let state = match get_str(&r, "state")?.as_str() {
            "up" => HostState::Up,
            "down" => HostState::Down,
            _ => HostState::Unknown,
        };
        let uptime = match (get_oi64(&r, "uptime")?, get_ostr(&r, "last_boot")?) {
            (Some(s), Some(b)) => Some(Uptime { seconds: narrow(s), last_boot: b }),
            _ => None,
        };
        let h = HostReport {
            start_time: get_oi64(&r, "start_time")?,
            end_time: get_oi64(&r, "end_time")?,
            status: HostStatus { state, reason: Reason(get_str(&r, "reason")?), reason_ttl: 0 },
            addresses: Vec::new(),
            hostnames: Vec::new(),
            ports: Vec::new(),
            extra_ports: Vec::new(),
            latency: get_of64(&r, "latency")?,
            times: None,
            timed_out: get_i64(&r, "timed_out")? != 0,
            os: None,
            uptime,
            distance: get_oi64(&r, "distance")?.map(narrow),
            trace: None,
            // Kept in the scan's stored report (JSON), not in columns: nothing searches them.
            tcp_sequence: None,
            ip_id_sequence: None,
            tcp_ts_sequence: None,
            host_scripts: Vec::new(),
        };
        out.push((get_i64(&r, "id")?, h));
    }
    Ok(out)
}

//! `hostnames`: names of a host (user-given or PTR).

use crate::db::{Val, insert_rows, query};
use crate::error::Result;
use crate::tables::{get_i64, get_str};
use portolan_model::{Hostname, HostnameKind};
use sqlx::AnyConnection;

pub(crate) const COLS: &[&str] = &["host_id", "name", "kind"];

pub(crate) fn row(host_id: i64, n: &Hostname) -> Vec<Val> {
    vec![host_id.into(), n.name.as_str().into(), n.kind.as_str().into()]
}

pub(crate) async fn insert(conn: &mut AnyConnection, rows: Vec<Vec<Val>>) -> Result<()> {
    insert_rows(conn, "hostnames", COLS, rows, "").await?;
    Ok(())
}

pub(crate) async fn load(conn: &mut AnyConnection, scan_id: i64) -> Result<Vec<(i64, Hostname)>> {
    let rows = query(
        "SELECT n.host_id, n.name, n.kind FROM hostnames n JOIN hosts h ON h.id = n.host_id \
         WHERE h.scan_id = $1 ORDER BY n.id"
            .into(),
        vec![scan_id.into()],
    )
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let kind = if get_str(&r, "kind")? == "PTR" { HostnameKind::Ptr } else { HostnameKind::User };
        out.push((get_i64(&r, "host_id")?, Hostname { name: get_str(&r, "name")?, kind }));
    }
    Ok(out)
}

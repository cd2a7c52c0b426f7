//! `services`: what runs on a port (at most one row per port).

use crate::db::{Val, insert_rows, query};
use crate::error::Result;
use crate::tables::{get_i64, get_ostr, get_str, narrow};
use portolan_model::Service;
use sqlx::AnyConnection;

pub(crate) const COLS: &[&str] = &[
    "port_id", "host_id", "name", "method", "conf", "product", "version", "extra_info", "tunnel", "os_type",
    "device_type", "hostname", "cpe", "fingerprint",
];

pub(crate) fn row(port_id: i64, host_id: i64, s: &Service) -> Vec<Val> {
    vec![
        port_id.into(),
        host_id.into(),
        s.name.as_str().into(),
        s.method.as_str().into(),
        i64::from(s.conf).into(),
        s.product.clone().into(),
        s.version.clone().into(),
        s.extra_info.clone().into(),
        s.tunnel.clone().into(),
        s.os_type.clone().into(),
        s.device_type.clone().into(),
        s.hostname.clone().into(),
        // CPE names contain no whitespace, so a newline-joined list splits back exactly.
        (!s.cpe.is_empty()).then(|| s.cpe.join("\n")).into(),
        s.fingerprint.clone().into(),
    ]
}

pub(crate) async fn insert(conn: &mut AnyConnection, rows: Vec<Vec<Val>>) -> Result<()> {
    insert_rows(conn, "services", COLS, rows, "").await?;
    Ok(())
}

pub(crate) async fn delete_for_port(conn: &mut AnyConnection, port_id: i64) -> Result<()> {
    query("DELETE FROM services WHERE port_id = $1".into(), vec![port_id.into()]).execute(conn).await?;
    Ok(())
}

pub(crate) async fn load(conn: &mut AnyConnection, scan_id: i64) -> Result<Vec<(i64, Service)>> {
    let rows = query(
        "SELECT s.port_id, s.name, s.method, s.conf, s.product, s.version, s.extra_info, s.tunnel, s.os_type, \
         s.device_type, s.hostname, s.cpe, s.fingerprint FROM services s JOIN hosts h ON h.id = s.host_id \
         WHERE h.scan_id = $1"
            .into(),
        vec![scan_id.into()],
    )
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push((
            get_i64(&r, "port_id")?,
            Service {
                name: get_str(&r, "name")?,
                method: get_str(&r, "method")?,
                conf: narrow(get_i64(&r, "conf")?),
                product: get_ostr(&r, "product")?,
                version: get_ostr(&r, "version")?,
                extra_info: get_ostr(&r, "extra_info")?,
                tunnel: get_ostr(&r, "tunnel")?,
                os_type: get_ostr(&r, "os_type")?,
                device_type: get_ostr(&r, "device_type")?,
                hostname: get_ostr(&r, "hostname")?,
                cpe: get_ostr(&r, "cpe")?.map(|c| c.lines().map(str::to_owned).collect()).unwrap_or_default(),
                fingerprint: get_ostr(&r, "fingerprint")?,
            },
        ));
    }
    Ok(out)
}

//! PostgreSQL's fast path for imports: `COPY ... FROM STDIN` on a native connection, all in one
//! transaction (the generic path binds every value of multi-row INSERTs, which PostgreSQL parses slowly).
//! Same rows as `rows::insert_hosts`; ids come from each table's identity sequence first.

use crate::db::Val;
use crate::error::Result;
use crate::tables::{addresses, hostnames, hosts, os_matches, ports, script_results, services, trace_hops};
use crate::{Import, ScanStatus};
use portolan_model::{HostReport, PortReport, PortState};
use sqlx::postgres::{PgConnection, PgPool};
use sqlx::Connection;

pub(crate) async fn import(pool: &PgPool, items: &[Import]) -> Result<Vec<i64>> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    let mut ids = Vec::with_capacity(items.len());
    for it in items {
        let r = &it.report;
        let status = if r.run_stats.is_some() { ScanStatus::Complete } else { ScanStatus::Interrupted };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO scans (scanner, version, args, started, status, source, source_file) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(clean(&r.scanner))
        .bind(clean(&r.version))
        .bind(clean(&r.args))
        .bind(r.start)
        .bind(status.as_str())
        .bind(&it.source)
        .bind(it.file.as_deref().map(clean))
        .fetch_one(&mut *tx)
        .await?;
        insert_hosts(&mut tx, id, &r.hosts).await?;
        let total = r.hosts.len() as i64;
        let up = r.hosts.iter().filter(|h| h.is_up()).count() as i64;
        let (up, down, total) = match &r.run_stats {
            Some(rs) => (i64::from(rs.hosts_up), i64::from(rs.hosts_down), i64::from(rs.hosts_total)),
            None => (up, total - up, total),
        };
        let open: i64 = r
            .hosts
            .iter()
            .map(|h| crate::rows::unique_ports(&h.ports).filter(|p| p.state == PortState::Open).count() as i64)
            .sum();
        sqlx::query(
            "UPDATE scans SET ended = $1, report_json = $2, hosts_up = $3, hosts_down = $4, hosts_total = $5, \
             open_ports = $6 WHERE id = $7",
        )
        .bind(r.run_stats.as_ref().map(|s| s.finished))
        .bind(serde_json::to_string(r)?)
        .bind(up)
        .bind(down)
        .bind(total)
        .bind(open)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}

/// PostgreSQL text cannot hold NUL.
fn clean(s: &str) -> String {
    s.replace('\0', "\u{FFFD}")
}

async fn next_ids(conn: &mut PgConnection, table: &str, n: usize) -> Result<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)")
        .bind(table)
        .bind(n as i64)
        .fetch_all(conn)
        .await?)
}

/// One value in COPY's text format.
fn encode(out: &mut String, v: &Val) {
    match v {
        Val::Int(Some(i)) => out.push_str(&i.to_string()),
        Val::Real(Some(f)) if f.is_finite() => out.push_str(&f.to_string()),
        Val::Real(Some(f)) => out.push_str(if f.is_nan() { "NaN" } else if *f > 0.0 { "Infinity" } else { "-Infinity" }),
        Val::Text(Some(s)) => {
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '\0' => out.push('\u{FFFD}'),
                    c => out.push(c),
                }
            }
        }
        Val::Int(None) | Val::Real(None) | Val::Text(None) => out.push_str("\\N"),
    }
}

/// COPYs rows (with an explicit id first when `ids` is given).
async fn copy(conn: &mut PgConnection, table: &str, cols: &[&str], ids: Option<&[i64]>, rows: Vec<Vec<Val>>) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut names: Vec<&str> = Vec::with_capacity(cols.len() + 1);
    if ids.is_some() {
        names.push("id");
    }
    names.extend_from_slice(cols);
    // Table and column names are this crate's constants.
    let mut c = conn.copy_in_raw(&format!("COPY {table} ({}) FROM STDIN", names.join(", "))).await?;
    let mut buf = String::with_capacity(1 << 20);
    for (i, r) in rows.iter().enumerate() {
        if let Some(ids) = ids {
            buf.push_str(&ids[i].to_string());
            buf.push('\t');
        }
        for (j, v) in r.iter().enumerate() {
            if j > 0 {
                buf.push('\t');
            }
            encode(&mut buf, v);
        }
        buf.push('\n');
        if buf.len() >= 1 << 20 {
            c.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        c.send(buf.as_bytes()).await?;
    }
    c.finish().await?;
    Ok(())
}

async fn insert_hosts(conn: &mut PgConnection, scan_id: i64, hosts_in: &[HostReport]) -> Result<()> {
    let host_ids = next_ids(conn, "hosts", hosts_in.len()).await?;
    let host_rows = hosts_in.iter().enumerate().map(|(i, h)| hosts::row(scan_id, i as i64, h)).collect();
    copy(conn, "hosts", hosts::COLS, Some(&host_ids), host_rows).await?;

    let mut addr_rows = Vec::new();
    let mut name_rows = Vec::new();
    let mut port_rows = Vec::new();
    let mut port_refs: Vec<(i64, &PortReport)> = Vec::new();
    let mut os_rows = Vec::new();
    let mut hop_rows = Vec::new();
    let mut script_rows = Vec::new();
    for (h, &hid) in hosts_in.iter().zip(&host_ids) {
        addr_rows.extend(h.addresses.iter().map(|a| addresses::row(hid, a)));
        name_rows.extend(h.hostnames.iter().map(|n| hostnames::row(hid, n)));
        for p in crate::rows::unique_ports(&h.ports) {
            port_rows.push(ports::row(hid, p));
            port_refs.push((hid, p));
        }
        if let Some(os) = &h.os {
            os_rows.extend(os.matches.iter().enumerate().map(|(k, m)| os_matches::row(hid, k, m)));
        }
        if let Some(t) = &h.trace {
            hop_rows.extend(t.hops.iter().map(|hop| trace_hops::row(hid, hop)));
        }
        script_rows.extend(h.host_scripts.iter().map(|s| script_results::row(hid, None, s)));
    }
    copy(conn, "addresses", addresses::COLS, None, addr_rows).await?;
    copy(conn, "hostnames", hostnames::COLS, None, name_rows).await?;
    copy(conn, "os_matches", os_matches::COLS, None, os_rows).await?;
    copy(conn, "trace_hops", trace_hops::COLS, None, hop_rows).await?;
    let port_ids = next_ids(conn, "ports", port_rows.len()).await?;
    copy(conn, "ports", ports::COLS, Some(&port_ids), port_rows).await?;
    let mut svc_rows = Vec::new();
    for ((hid, p), &pid) in port_refs.iter().zip(&port_ids) {
        if let Some(s) = &p.service {
            svc_rows.push(services::row(pid, *hid, s));
        }
        script_rows.extend(p.scripts.iter().map(|s| script_results::row(*hid, Some(pid), s)));
    }
    copy(conn, "services", services::COLS, None, svc_rows).await?;
    copy(conn, "script_results", script_results::COLS, None, script_rows).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes() {
        let mut s = String::new();
        for v in [Val::Text(Some("a\tb\\c\nd\re\0".into())), Val::Text(None), Val::Int(Some(-3)), Val::Real(Some(f64::NAN))] {
            encode(&mut s, &v);
            s.push('|');
        }
        assert_eq!(s, "a\\tb\\\\c\\nd\\re\u{FFFD}|\\N|-3|NaN|");
    }
}

//! `addresses`: IPv4, IPv6 and MAC addresses of a host. `addr_key` is the address as 32 hex digits (IPv4 as
//! IPv4-mapped IPv6), so that a network is a contiguous range of keys on both SQLite and PostgreSQL.

use crate::db::{Val, insert_rows, query};
use crate::error::Result;
use crate::tables::{get_i64, get_ostr, get_str};
use portolan_model::{Address, AddressKind};
use sqlx::AnyConnection;
use std::net::IpAddr;

pub(crate) const COLS: &[&str] = &["host_id", "addr", "kind", "addr_key", "vendor"];

/// The sortable key of an IP address.
pub(crate) fn key(ip: IpAddr) -> String {
    let v6 = match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    };
    format!("{:032x}", u128::from(v6))
}

pub(crate) fn row(host_id: i64, a: &Address) -> Vec<Val> {
    let k = match a.kind {
        AddressKind::Mac => None,
        _ => a.addr.parse::<IpAddr>().ok().map(key),
    };
    vec![host_id.into(), a.addr.as_str().into(), a.kind.as_str().into(), k.into(), a.vendor.clone().into()]
}

pub(crate) async fn insert(conn: &mut AnyConnection, rows: Vec<Vec<Val>>) -> Result<()> {
    insert_rows(conn, "addresses", COLS, rows, "").await?;
    Ok(())
}

pub(crate) async fn load(conn: &mut AnyConnection, scan_id: i64) -> Result<Vec<(i64, Address)>> {
    let rows = query(
        "SELECT a.host_id, a.addr, a.kind, a.vendor FROM addresses a JOIN hosts h ON h.id = a.host_id \
         WHERE h.scan_id = $1 ORDER BY a.id"
            .into(),
        vec![scan_id.into()],
    )
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let kind = match get_str(&r, "kind")?.as_str() {
            "ipv6" => AddressKind::Ipv6,
            "mac" => AddressKind::Mac,
            _ => AddressKind::Ipv4,
        };
        out.push((
            get_i64(&r, "host_id")?,
            Address { addr: get_str(&r, "addr")?, kind, vendor: get_ostr(&r, "vendor")? },
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_like_addresses() {
        let k = |s: &str| key(s.parse().unwrap());
        assert_eq!(k("0.0.0.1"), "00000000000000000000ffff00000001");
        assert!(k("198.18.0.255") < k("198.18.1.0"));
        assert!(k("9.255.255.255") < k("10.0.0.0"));
        assert_eq!(k("::1"), "00000000000000000000000000000001");
    }
}

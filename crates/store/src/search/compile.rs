//! [`Query`] -> SQL with numbered binds, run on SQLite or PostgreSQL. User text only ever travels as a bound
//! value (LIKE patterns are escaped with `\`).

use super::parse::{Filter, PortStates, Query, resolve_time};
use crate::db::{Val, placeholders, query};
use crate::error::Result;
use crate::tables::scans::{SUMMARY_COLS, summary};
use crate::tables::{get_i64, get_ostr, get_str};
use crate::ScanSummary;
use serde::Serialize;
use sqlx::AnyPool;
use std::collections::HashMap;

/// One matching host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostHit {
    pub scan_id: i64,
    pub host_id: i64,
    pub ip: Option<String>,
    pub state: String,
    pub hostnames: Vec<String>,
    /// Open ports as `22/tcp`.
    pub open_ports: Vec<String>,
    /// The scan's start, Unix seconds.
    pub scan_started: i64,
    /// What runs on the open ports (those of `open_ports` with a known service), in the same order: the
    /// answer to "which hosts run http, and what exactly?" without loading each report.
    pub services: Vec<ServiceHit>,
}

/// The service on one open port of a [`HostHit`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceHit {
    pub port: i64,
    pub protocol: String,
    pub name: String,
    pub product: Option<String>,
    pub version: Option<String>,
    pub extra_info: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    pub scans: Vec<ScanSummary>,
    pub hosts: Vec<HostHit>,
    /// More hosts (or scans) matched than the limit allowed.
    pub truncated: bool,
}

/// SQL text under construction with its binds.
struct Sql {
    text: String,
    vals: Vec<Val>,
}

impl Sql {
    fn new() -> Sql {
        Sql { text: String::new(), vals: Vec::new() }
    }
    fn bind(&mut self, v: Val) -> String {
        self.vals.push(v);
        format!("${}", self.vals.len())
    }
}

/// `*` is the user's wildcard; `%`, `_` and `\` are literal.
fn like_pattern(s: &str, substring: bool) -> String {
    let mut p = String::with_capacity(s.len() + 2);
    if substring {
        p.push('%');
    }
    for c in s.to_lowercase().chars() {
        match c {
            '%' | '_' | '\\' => {
                p.push('\\');
                p.push(c);
            }
            '*' => p.push('%'),
            _ => p.push(c),
        }
    }
    if substring {
        p.push('%');
    }
    p
}

fn like(sql: &mut Sql, col: &str, v: &str, substring: bool) -> String {
    let b = sql.bind(like_pattern(v, substring).into());
    format!("LOWER({col}) LIKE {b} ESCAPE '\\'")
}

fn hex(v: u128) -> String {
    format!("{v:032x}")
}

/// How a host-level filter reaches the child tables: `h.id IN (SELECT host_id ...)` materialises the
/// matching hosts (best when few match); a correlated `EXISTS` lets the database walk scans newest first
/// and stop at the limit (best when many match).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    In,
    Exists,
    /// The filter's child rows alone (`SELECT 1 FROM table WHERE ...`), to count how selective it is.
    Probe,
}

fn sub(mode: Mode, table: &str, cond: &str) -> String {
    match mode {
        Mode::In => format!("h.id IN (SELECT host_id FROM {table} WHERE {cond})"),
        Mode::Exists => format!("EXISTS (SELECT 1 FROM {table} x WHERE x.host_id = h.id AND ({cond}))"),
        Mode::Probe => format!("SELECT 1 FROM {table} WHERE {cond}"),
    }
}

/// The condition of one host-level filter on `h`, or of a scan-level one on `s`.
fn condition(sql: &mut Sql, f: &Filter, now: i64, mode: Mode) -> String {
    match f {
        Filter::Target(t) => like(sql, "s.args", t, true),
        Filter::Profile(t) => like(sql, "COALESCE(s.profile, '')", t, true),
        Filter::After(t) => format!("s.started >= {}", sql.bind(resolve_time(*t, now).into())),
        Filter::Before(t) => format!("s.started < {}", sql.bind(resolve_time(*t, now).into())),
        Filter::Net { lo, hi } => {
            let (a, b) = (sql.bind(hex(*lo).into()), sql.bind(hex(*hi).into()));
            sub(mode, "addresses", &format!("addr_key >= {a} AND addr_key <= {b}"))
        }
        Filter::HostAddr(ip) => {
            let k = sql.bind(crate::tables::addresses::key(*ip).into());
            sub(mode, "addresses", &format!("addr_key = {k}"))
        }
        Filter::HostName(n) => {
            let c = like(sql, "name", n, true);
            sub(mode, "hostnames", &c)
        }
        Filter::Service(n) => {
            if n.contains('*') {
                let c = like(sql, "name", n, false);
                sub(mode, "services", &c)
            } else {
                // Service names are lower case; an exact match can use the index.
                let b = sql.bind(n.to_lowercase().into());
                sub(mode, "services", &format!("name = {b}"))
            }
        }
        Filter::Product(t) => {
            let c = like(sql, "product", t, true);
            sub(mode, "services", &c)
        }
        Filter::Version(t) => {
            let c = like(sql, "version", t, true);
            sub(mode, "services", &c)
        }
        Filter::Ports { states, ports } => {
            let mut alts = Vec::new();
            for p in ports {
                let mut c = if p.lo == p.hi {
                    format!("port = {}", sql.bind(i64::from(p.lo).into()))
                } else {
                    let (a, b) = (sql.bind(i64::from(p.lo).into()), sql.bind(i64::from(p.hi).into()));
                    format!("port >= {a} AND port <= {b}")
                };
                if let Some(proto) = &p.protocol {
                    c = format!("{c} AND protocol = {}", sql.bind(proto.as_str().into()));
                }
                alts.push(format!("({c})"));
            }
            let state = match states {
                PortStates::Any => String::new(),
                PortStates::Open => " AND state = 'open'".into(),
                PortStates::Closed => " AND state = 'closed'".into(),
                PortStates::Filtered => " AND state IN ('filtered', 'open|filtered', 'closed|filtered')".into(),
            };
            sub(mode, "ports", &format!("({}){state}", alts.join(" OR ")))
        }
        Filter::Os(t) => {
            let (a, b) = (like(sql, "name", t, true), like(sql, "classes", t, true));
            sub(mode, "os_matches", &format!("{a} OR {b}"))
        }
        Filter::Script { id, output } => {
            let mut c = if id == "*" {
                "1 = 1".to_owned()
            } else if id.contains('*') {
                like(sql, "script_id", id, false)
            } else {
                format!("script_id = {}", sql.bind(id.as_str().into()))
            };
            if let Some(o) = output {
                c = format!("{c} AND {}", like(sql, "output", o, true));
            }
            sub(mode, "script_results", &c)
        }
        Filter::Word(w) => {
            let parts = [
                sub(mode, "addresses", &like(sql, "addr", w, true)),
                sub(mode, "hostnames", &like(sql, "name", w, true)),
                sub(
                    mode,
                    "services",
                    &format!(
                        "{} OR {} OR {} OR {}",
                        like(sql, "name", w, true),
                        like(sql, "product", w, true),
                        like(sql, "version", w, true),
                        like(sql, "extra_info", w, true)
                    ),
                ),
                sub(mode, "os_matches", &like(sql, "name", w, true)),
                sub(mode, "script_results", &like(sql, "output", w, true)),
            ];
            format!("({})", parts.join(" OR "))
        }
    }
}

#[cfg(test)]
fn conditions(sql: &mut Sql, q: &Query, scan_level: bool, now: i64, mode: Mode) -> Vec<String> {
    conditions_by(sql, q, scan_level, now, &|_| mode)
}

/// Like [`conditions`], with the mode chosen per term (by its index in the query).
fn conditions_by(sql: &mut Sql, q: &Query, scan_level: bool, now: i64, mode: &dyn Fn(usize) -> Mode) -> Vec<String> {
    q.terms
        .iter()
        .enumerate()
        .filter(|(_, t)| t.filter.is_scan_level() == scan_level)
        .map(|(i, t)| {
            let c = condition(sql, &t.filter, now, mode(i));
            if t.negated { format!("NOT ({c})") } else { format!("({c})") }
        })
        .collect()
}

fn where_clause(conds: &[String]) -> String {
    if conds.is_empty() { "1 = 1".into() } else { conds.join(" AND ") }
}

/// Matching hosts up to which the materialising plan is used.
const PROBE_CAP: i64 = 2_000;

/// Runs a parsed query: up to `limit` hosts and up to `limit` scans.
pub async fn run(pool: &AnyPool, q: &Query, limit: i64, now: i64) -> Result<SearchResults> {
    let limit = limit.max(1);
    let has_host_terms = q.terms.iter().any(|t| !t.filter.is_scan_level());
    let mut conn = pool.acquire().await?;

    let sqlite = conn.backend_name().eq_ignore_ascii_case("sqlite");

    // Plan: the most selective positive host filter, when it matches fewer than PROBE_CAP hosts, drives the
    // search (IN, materialised) and the others are checked per host (EXISTS). When every filter matches many
    // hosts, scans are walked newest first and the walk stops at the limit (EXISTS only). Free words scan
    // whole tables, so they are never probed and drive only when nothing else can.
    let mut driver: Option<usize> = None;
    let mut best = PROBE_CAP;
    let mut probed_any = false;
    for (i, t) in q.terms.iter().enumerate() {
        if t.negated || t.filter.is_scan_level() || matches!(t.filter, Filter::Word(_)) {
            continue;
        }
        probed_any = true;
        let mut sql = Sql::new();
        // Counting child rows (not distinct hosts) is an estimate, and stops at the cap: cheap when common.
        let c = condition(&mut sql, &t.filter, now, Mode::Probe);
        let cap = sql.bind(PROBE_CAP.into());
        let n: (i64,) = query(format!("SELECT COUNT(*) FROM ({c} LIMIT {cap}) t"), sql.vals)
            .try_map(|r: sqlx::any::AnyRow| Ok((sqlx::Row::try_get::<i64, _>(&r, 0)?,)))
            .fetch_one(&mut *conn)
            .await?;
        if n.0 < best {
            best = n.0;
            driver = Some(i);
        }
    }
    if driver.is_none() && !probed_any {
        driver = q.terms.iter().position(|t| !t.negated && matches!(t.filter, Filter::Word(_)));
    }
    let mode_of = |i: usize| if Some(i) == driver { Mode::In } else { Mode::Exists };
    let walk = driver.is_none();
    // SQLite's CROSS JOIN fixes the loop order: scans outside (by the started index) for a walk, the few
    // driving hosts outside otherwise. PostgreSQL plans itself.
    // When few hosts drive, SQLite gets the scan's start through a scalar subquery, so no statistics can
    // tempt it into scanning `scans`; the sort is of fewer than PROBE_CAP rows.
    // The walk's ORDER BY must name the index columns exactly for SQLite to stop early instead of sorting.
    let (from, started, order) = match (sqlite, walk) {
        (true, true) => ("scans s CROSS JOIN hosts h ON h.scan_id = s.id", "s.started", "s.started DESC, s.id DESC, h.ord"),
        (true, false) => (
            "hosts h",
            "(SELECT s.started FROM scans s WHERE s.id = h.scan_id)",
            "started DESC, h.scan_id DESC, h.ord",
        ),
        (false, _) => ("scans s JOIN hosts h ON h.scan_id = s.id", "s.started", "s.started DESC, s.id DESC, h.ord"),
    };

    // Hosts.
    let mut sql = Sql::new();
    let scan_c = conditions_by(&mut sql, q, true, now, &mode_of);
    let host_c = conditions_by(&mut sql, q, false, now, &mode_of);
    let lim = sql.bind((limit + 1).into());
    sql.text = if !sqlite && walk {
        // PostgreSQL walks scans newest first only when made to: a LATERAL join per scan (its own estimates
        // for LIKE filters otherwise lead it to collect every match and sort). Hosts of one scan come in
        // report order from the index.
        format!(
            "SELECT h.id AS host_id, h.scan_id, h.ip, h.state, s.started AS started FROM scans s CROSS JOIN LATERAL \
             (SELECT h.id, h.scan_id, h.ip, h.state, h.ord FROM hosts h WHERE h.scan_id = s.id AND {} ORDER BY h.ord) h \
             WHERE {} ORDER BY s.started DESC, s.id DESC LIMIT {lim}",
            where_clause(&host_c),
            where_clause(&scan_c)
        )
    } else {
        let mut all = if sqlite && !walk && !scan_c.is_empty() {
            vec![format!("h.scan_id IN (SELECT s.id FROM scans s WHERE {})", where_clause(&scan_c))]
        } else {
            scan_c.clone()
        };
        all.extend(host_c.iter().cloned());
        format!(
            "SELECT h.id AS host_id, h.scan_id, h.ip, h.state, {started} AS started FROM {from} \
             WHERE {} ORDER BY {order} LIMIT {lim}",
            where_clause(&all)
        )
    };
    let rows = query(sql.text, sql.vals).fetch_all(&mut *conn).await?;
    let mut truncated = rows.len() as i64 > limit;
    let mut hosts = Vec::new();
    for r in rows.iter().take(limit as usize) {
        hosts.push(HostHit {
            scan_id: get_i64(r, "scan_id")?,
            host_id: get_i64(r, "host_id")?,
            ip: get_ostr(r, "ip")?,
            state: get_str(r, "state")?,
            hostnames: Vec::new(),
            open_ports: Vec::new(),
            scan_started: get_i64(r, "started")?,
            services: Vec::new(),
        });
    }
    if !hosts.is_empty() {
        let ids: Vec<Val> = hosts.iter().map(|h| h.host_id.into()).collect();
        let ph = placeholders(1, ids.len());
        let mut pos: HashMap<i64, usize> = HashMap::new();
        for (i, h) in hosts.iter().enumerate() {
            pos.insert(h.host_id, i);
        }
        let names = query(format!("SELECT host_id, name FROM hostnames WHERE host_id IN ({ph}) ORDER BY id"), ids.clone())
            .fetch_all(&mut *conn)
            .await?;
        for r in names {
            if let Some(&i) = pos.get(&get_i64(&r, "host_id")?) {
                hosts[i].hostnames.push(get_str(&r, "name")?);
            }
        }
        // A port has at most one service row (its key is the port's id), so the join keeps one row per port.
        let ports = query(
            format!(
                "SELECT p.host_id, p.protocol, p.port, v.name AS svc_name, v.product, v.version, v.extra_info \
                 FROM ports p LEFT JOIN services v ON v.port_id = p.id \
                 WHERE p.host_id IN ({ph}) AND p.state = 'open' ORDER BY p.host_id, p.protocol, p.port"
            ),
            ids,
        )
        .fetch_all(&mut *conn)
        .await?;
        for r in ports {
            if let Some(&i) = pos.get(&get_i64(&r, "host_id")?) {
                let (port, protocol) = (get_i64(&r, "port")?, get_str(&r, "protocol")?);
                hosts[i].open_ports.push(format!("{port}/{protocol}"));
                if let Some(name) = get_ostr(&r, "svc_name")? {
                    hosts[i].services.push(ServiceHit {
                        port,
                        protocol,
                        name,
                        product: get_ostr(&r, "product")?,
                        version: get_ostr(&r, "version")?,
                        extra_info: get_ostr(&r, "extra_info")?,
                    });
                }
            }
        }
    }

    // Scans: those holding matching hosts, or (without host filters) every scan the scan filters accept.
    let mut sql = Sql::new();
    if has_host_terms && !truncated {
        // Every matching host is in hand: its scans are exactly the answer.
        let mut ids: Vec<i64> = hosts.iter().map(|h| h.scan_id).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(SearchResults { scans: Vec::new(), hosts, truncated });
        }
        let ph = placeholders(1, ids.len());
        let rows = query(
            format!("SELECT {SUMMARY_COLS} FROM scans s WHERE s.id IN ({ph}) ORDER BY s.started DESC, s.id DESC"),
            ids.into_iter().map(Val::from).collect(),
        )
        .fetch_all(&mut *conn)
        .await?;
        let scans = rows.iter().map(summary).collect::<Result<Vec<_>>>()?;
        return Ok(SearchResults { scans, hosts, truncated });
    }
    let scan_c = conditions_by(&mut sql, q, true, now, &mode_of);
    let mut conds = scan_c;
    if has_host_terms {
        let host_c = conditions_by(&mut sql, q, false, now, &mode_of);
        conds.push(if walk {
            format!("EXISTS (SELECT 1 FROM hosts h WHERE h.scan_id = s.id AND {})", where_clause(&host_c))
        } else {
            format!("s.id IN (SELECT h.scan_id FROM hosts h WHERE {})", where_clause(&host_c))
        });
    }
    let lim = sql.bind((limit + 1).into());
    sql.text = format!(
        "SELECT {SUMMARY_COLS} FROM scans s WHERE {} ORDER BY s.started DESC, s.id DESC LIMIT {lim}",
        where_clause(&conds)
    );
    let rows = query(sql.text, sql.vals).fetch_all(&mut *conn).await?;
    truncated |= rows.len() as i64 > limit;
    let scans = rows.iter().take(limit as usize).map(summary).collect::<Result<Vec<_>>>()?;
    Ok(SearchResults { scans, hosts, truncated })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_user_text() {
        assert_eq!(like_pattern("Apache", true), "%apache%");
        assert_eq!(like_pattern("100%_\\", true), "%100\\%\\_\\\\%");
        assert_eq!(like_pattern("http*", false), "http%");
    }

    #[test]
    fn user_text_never_reaches_the_sql() {
        let q = super::super::parse(r#"product:"x' OR 1=1 --" host:"a'b" it's"#).unwrap();
        let mut sql = Sql::new();
        let c = conditions(&mut sql, &q, false, 0, Mode::In).join(" AND ");
        assert!(!c.contains("OR 1=1"), "{c}");
        assert!(!c.contains("a'b"), "{c}");
        assert!(sql.vals.iter().any(|v| *v == Val::Text(Some("%x' or 1=1 --%".into()))));
    }
}

//! One module per table: the SQL that writes and reads it. Every statement binds its values; the only text
//! spliced into SQL is column names and placeholder numbers from this crate.

pub(crate) mod addresses;
pub(crate) mod hostnames;
pub(crate) mod hosts;
pub(crate) mod os_matches;
pub(crate) mod ports;
pub(crate) mod scans;
pub(crate) mod script_results;
pub(crate) mod services;
pub(crate) mod trace_hops;

use sqlx::Row;
use sqlx::any::AnyRow;

pub(crate) fn get_i64(r: &AnyRow, col: &str) -> Result<i64, sqlx::Error> {
    r.try_get::<i64, _>(col)
}
pub(crate) fn get_oi64(r: &AnyRow, col: &str) -> Result<Option<i64>, sqlx::Error> {
    r.try_get::<Option<i64>, _>(col)
}
pub(crate) fn get_str(r: &AnyRow, col: &str) -> Result<String, sqlx::Error> {
    r.try_get::<String, _>(col)
}
pub(crate) fn get_ostr(r: &AnyRow, col: &str) -> Result<Option<String>, sqlx::Error> {
    r.try_get::<Option<String>, _>(col)
}
pub(crate) fn get_of64(r: &AnyRow, col: &str) -> Result<Option<f64>, sqlx::Error> {
    r.try_get::<Option<f64>, _>(col)
}

/// Clamps a stored integer into a smaller type (values we wrote always fit; a foreign row may not).
pub(crate) fn narrow<T: TryFrom<i64> + Default>(v: i64) -> T {
    T::try_from(v).unwrap_or_default()
}

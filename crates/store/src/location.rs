//! Where the history lives: an explicit `--history` value, else `$PORTOLAN_HISTORY`, else the platform data
//! directory (Linux `$XDG_DATA_HOME/portolan/history.db` or `~/.local/share/portolan/history.db`; macOS
//! `~/Library/Application Support/portolan/history.db`; Windows `%APPDATA%\portolan\data\history.db`).

use crate::error::{Result, StoreError};
use std::path::{Path, PathBuf};

/// The environment variable that selects the history database when `--history` is not given.
pub const HISTORY_ENV: &str = "PORTOLAN_HISTORY";

/// Which server a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A parsed history location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub backend: Backend,
    /// The URL handed to sqlx.
    pub url: String,
    /// For SQLite, the database file (its parent directory is created on demand).
    pub path: Option<PathBuf>,
}

impl Location {
    /// Accepts `postgres://…`/`postgresql://…`, `sqlite:///abs/path`, `sqlite://rel/path`, `sqlite:path`, and a
    /// plain file path.
    pub fn parse(s: &str) -> Result<Location> {
        let s = s.trim();
        if s.is_empty() {
            return Err(StoreError::Open { url: s.into(), message: "empty history location".into() });
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(Location { backend: Backend::Postgres, url: s.to_owned(), path: None });
        }
        let (path, query) = if let Some(rest) = s.strip_prefix("sqlite://") {
            split_query(rest)
        } else if let Some(rest) = s.strip_prefix("sqlite:") {
            split_query(rest)
        } else if s.contains("://") {
            return Err(StoreError::Open {
                url: s.into(),
                message: "unknown scheme (use sqlite:///path, a file path or postgres://...)".into(),
            });
        } else {
            (s, None)
        };
        if path.is_empty() {
            return Err(StoreError::Open { url: s.into(), message: "no file name in the SQLite URL".into() });
        }
        let path = PathBuf::from(path);
        // mode=rwc creates the file; a caller's own query string wins.
        let url = format!("sqlite://{}?{}", path.display(), query.unwrap_or("mode=rwc"));
        Ok(Location { backend: Backend::Sqlite, url, path: Some(path) })
    }

    /// Explicit value, else `$PORTOLAN_HISTORY`, else the platform default. `None` when the environment
    /// turns history off (`PORTOLAN_HISTORY=off`, as the repository's tests do).
    pub fn resolve(explicit: Option<&str>) -> Result<Option<Location>> {
        if let Some(e) = explicit {
            return Location::parse(e).map(Some);
        }
        match std::env::var(HISTORY_ENV) {
            Ok(v) if is_off(&v) => Ok(None),
            Ok(v) if !v.trim().is_empty() => Location::parse(&v).map(Some),
            _ => {
                let p = default_path()?;
                Location::parse(&p.display().to_string()).map(Some)
            }
        }
    }

    /// The location without any password, for messages.
    pub fn display(&self) -> String {
        match self.backend {
            Backend::Sqlite => self.path.as_deref().map(|p| p.display().to_string()).unwrap_or_default(),
            Backend::Postgres => redact(&self.url),
        }
    }
}

fn is_off(v: &str) -> bool {
    matches!(v.trim().to_ascii_lowercase().as_str(), "off" | "none" | "no" | "0")
}

fn split_query(rest: &str) -> (&str, Option<&str>) {
    match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    }
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((auth, host)) = rest.split_once('@') else { return url.to_owned() };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// The platform's default history file. Linux honours `XDG_DATA_HOME` (through `directories`).
pub fn default_path() -> Result<PathBuf> {
    // `directories` ignores a relative XDG_DATA_HOME, as the XDG spec says to.
    let dirs = directories::ProjectDirs::from("", "", "portolan")
        .ok_or_else(|| StoreError::NoDataDir("no home directory found; pass --history PATH".into()))?;
    Ok(dirs.data_dir().join("history.db"))
}

/// Creates the parent directory of a SQLite file.
pub(crate) fn ensure_parent(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => std::fs::create_dir_all(p),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_location() {
        let l = Location::parse("/tmp/x/h.db").unwrap();
        assert_eq!(l.backend, Backend::Sqlite);
        assert_eq!(l.url, "sqlite:///tmp/x/h.db?mode=rwc");
        assert_eq!(Location::parse("sqlite:///tmp/h.db").unwrap().path.unwrap(), PathBuf::from("/tmp/h.db"));
        assert_eq!(Location::parse("sqlite:rel.db").unwrap().path.unwrap(), PathBuf::from("rel.db"));
        assert_eq!(Location::parse("sqlite:///tmp/h.db?mode=ro").unwrap().url, "sqlite:///tmp/h.db?mode=ro");
        let pg = Location::parse("postgres://u:pw@localhost/db").unwrap();
        assert_eq!(pg.backend, Backend::Postgres);
        assert_eq!(pg.display(), "postgres://u:***@localhost/db");
        assert!(Location::parse("mysql://x").is_err());
        assert!(Location::parse("").is_err());
        assert!(Location::parse("sqlite://").is_err());
    }
}

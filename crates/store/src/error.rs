//! Errors of the store: each names what failed and, where it helps, the database it failed on.

/// Everything that can go wrong with the history.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the history database {url}: {message}")]
    Open { url: String, message: String },
    #[error(
        "the history database {url} has schema version {found}, newer than this Portolan knows ({known}); \
         use a newer Portolan or another --history database"
    )]
    NewerSchema { url: String, found: i64, known: i64 },
    #[error("cannot prepare the history database {url}: {message}")]
    Migrate { url: String, message: String },
    #[error("history database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("no scan with id {0} in the history")]
    NoSuchScan(i64),
    #[error("stored report of scan {id} is unreadable: {message}")]
    BadReport { id: i64, message: String },
    #[error("cannot serialise the report: {0}")]
    Json(#[from] serde_json::Error),
    #[error("no default history location: {0}")]
    NoDataDir(String),
    #[error("search: {0}")]
    Query(#[from] crate::search::QueryError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

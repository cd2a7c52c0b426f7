//! The scan history, read and changed through the helper's `portolan history ... --json`: the store lives
//! behind one program (the CLI, which also records every scan the app runs), so the window links no
//! database code. The types mirror the CLI's JSON (`portolan_store::ScanSummary`, `SearchResults`); a test
//! decodes the real binary's output into them.

use crate::error::{CommandError, ErrorCode};
use portolan_model::ScanReport;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

/// Longest a history command may take (a search over a large history takes well under this).
const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanSummary {
    pub id: i64,
    pub scanner: String,
    pub version: String,
    pub args: String,
    pub profile: Option<String>,
    /// Unix seconds.
    pub started: i64,
    pub ended: Option<i64>,
    /// `running`, `complete`, `interrupted` or `failed`.
    pub status: String,
    /// `scan`, or the import's format.
    pub source: String,
    pub source_file: Option<String>,
    pub hosts_up: i64,
    pub hosts_down: i64,
    pub hosts_total: i64,
    pub open_ports: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostHit {
    pub scan_id: i64,
    pub host_id: i64,
    pub ip: Option<String>,
    pub state: String,
    pub hostnames: Vec<String>,
    /// `22/tcp`
    pub open_ports: Vec<String>,
    pub scan_started: i64,
    /// The services on the open ports (absent from the JSON of older scanners).
    #[serde(default)]
    pub services: Vec<ServiceHit>,
}

/// `portolan_store::ServiceHit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceHit {
    pub port: i64,
    pub protocol: String,
    pub name: String,
    pub product: Option<String>,
    pub version: Option<String>,
    pub extra_info: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    pub scans: Vec<ScanSummary>,
    pub hosts: Vec<HostHit>,
    pub truncated: bool,
}

/// Which `portolan` runs the history commands, and on which history (`None`: the CLI's own choice,
/// `$PORTOLAN_HISTORY` or the user's default file, where the app's scans are recorded too).
#[derive(Debug, Clone, Copy)]
pub struct History<'a> {
    pub bin: &'a Path,
    pub location: Option<&'a str>,
}

/// Runs `portolan history ARGS` and returns its standard output; a failure carries the CLI's message.
async fn run(h: History<'_>, args: &[String]) -> Result<Vec<u8>, CommandError> {
    let bin = h.bin;
    let mut cmd = Command::new(bin);
    cmd.arg("history");
    if let Some(loc) = h.location {
        cmd.args(["--history", loc]);
    }
    let out = cmd
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(TIMEOUT, out)
        .await
        .map_err(|_| CommandError::new(ErrorCode::HelperFailed, "the history did not answer within 60 s"))?
        .map_err(|e| {
            CommandError::new(ErrorCode::HelperMissing, format!("cannot run the scanner {}: {e}", bin.display()))
        })?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        return Err(CommandError::new(
            ErrorCode::History,
            if msg.is_empty() { format!("the history command failed ({})", out.status) } else { msg },
        ));
    }
    Ok(out.stdout)
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, CommandError> {
    serde_json::from_slice(bytes)
        .map_err(|e| CommandError::new(ErrorCode::HelperFailed, format!("the scanner's {what} could not be read: {e}")))
}

/// Scans, newest first: `limit` of them after skipping `offset`.
pub async fn list(h: History<'_>, limit: u32, offset: u32) -> Result<Vec<ScanSummary>, CommandError> {
    let args = ["list", "--json", "--limit", &limit.max(1).to_string(), "--offset", &offset.to_string()].map(str::to_owned);
    decode(&run(h, &args).await?, "history list")
}

/// Hosts and scans matching `query` in the store's search language.
pub async fn search(h: History<'_>, query: &str, limit: u32) -> Result<SearchResults, CommandError> {
    if query.trim().is_empty() {
        return Err(CommandError::new(ErrorCode::Usage, "type something to search for"));
    }
    // `--` keeps a query word that starts with "-" (a negation) from being read as an option.
    let args = ["search", "--json", "--limit", &limit.max(1).to_string(), "--", query].map(str::to_owned);
    decode(&run(h, &args).await?, "search results")
}

/// One stored scan as a report.
pub async fn open(h: History<'_>, id: i64) -> Result<ScanReport, CommandError> {
    let args = ["export", &id.to_string(), "--format", "json"].map(str::to_owned);
    decode(&run(h, &args).await?, "stored report")
}

pub async fn delete(h: History<'_>, id: i64) -> Result<(), CommandError> {
    run(h, &["delete".to_owned(), id.to_string()]).await.map(|_| ())
}

/// Imports Nmap XML or Portolan JSON files, all or nothing; returns the CLI's summary lines.
pub async fn import(h: History<'_>, paths: &[String]) -> Result<String, CommandError> {
    if paths.is_empty() {
        return Err(CommandError::new(ErrorCode::Usage, "no files to import"));
    }
    let mut args = vec!["import".to_owned(), "--".to_owned()];
    args.extend(paths.iter().cloned());
    Ok(String::from_utf8_lossy(&run(h, &args).await?).trim().to_owned())
}

/// Two scans compared by `portolan diff` (ids of the history, or files): its JSON for the side-by-side view and
/// its text, which is what `portolan diff` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub json: serde_json::Value,
    pub text: String,
}

/// `portolan diff A B` in both forms. The diff's exit status 1 means "different", not a failure.
pub async fn compare(h: History<'_>, a: &str, b: &str) -> Result<Comparison, CommandError> {
    let run = |json: bool| {
        let mut cmd = Command::new(h.bin);
        cmd.arg("diff");
        if let Some(loc) = h.location {
            cmd.args(["--history", loc]);
        }
        if json {
            cmd.arg("--json");
        }
        cmd.args(["--", a, b]).stdin(Stdio::null()).kill_on_drop(true);
        async move {
            let out = tokio::time::timeout(TIMEOUT, cmd.output())
                .await
                .map_err(|_| CommandError::new(ErrorCode::HelperFailed, "the comparison did not finish within 60 s"))?
                .map_err(|e| {
                    CommandError::new(ErrorCode::HelperMissing, format!("cannot run the scanner {}: {e}", h.bin.display()))
                })?;
            match out.status.code() {
                Some(0 | 1) => Ok(out.stdout),
                _ => Err(CommandError::new(ErrorCode::History, String::from_utf8_lossy(&out.stderr).trim().to_owned())),
            }
        }
    };
    let json = decode(&run(true).await?, "comparison")?;
    let text = String::from_utf8_lossy(&run(false).await?).into_owned();
    Ok(Comparison { json, text })
}

/// `portolan diff FILE1 FILE2`: two report files (Nmap or Portolan XML, Portolan JSON). Both must be files, so a
/// missing path is named as such instead of being taken for a scan id of the history.
pub async fn compare_files(h: History<'_>, a: &str, b: &str) -> Result<Comparison, CommandError> {
    for p in [a, b] {
        if !Path::new(p).is_file() {
            return Err(CommandError::new(ErrorCode::Usage, format!("{p}: no such file to compare")));
        }
    }
    compare(h, a, b).await
}

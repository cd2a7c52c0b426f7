//! The one error type every command returns: a stable code the UI can branch on and a sentence for the user.
//! It serialises as `{code, message}`, which is `IpcError` in ui/src/lib/ipc/backend.ts.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The command line was refused by the scanner's parser.
    Usage,
    /// The `portolan` helper binary could not be started.
    HelperMissing,
    /// The helper ran but answered something unexpected or timed out.
    HelperFailed,
    /// No running scan has that id.
    NoSuchScan,
    /// A file could not be read as a scan report.
    BadFile,
    /// Reading or writing a file failed.
    Io,
    /// A setting was refused (say, a data directory that is not Nmap's).
    BadSetting,
    /// The scan history refused or failed a request (its message says why).
    History,
    /// A profile of the user's was refused (empty or long name, control characters ...) or a profile file
    /// could not be read.
    BadProfile,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        CommandError { code, message: message.into() }
    }
}

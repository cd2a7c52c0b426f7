//! JSON output: `-oJ` is the pretty-printed [`ScanReport`]; `--stream-json` is one compact [`ScanEvent`] per
//! line. The shapes are the serde shapes of the model types, documented in `docs/json-schema.md`.

use portolan_model::{ScanEvent, ScanReport};

/// The `-oJ` document (pretty-printed, with a final newline).
pub fn render(report: &ScanReport) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(report)?;
    s.push('\n');
    Ok(s)
}

/// One `--stream-json` line (compact, with its newline).
pub fn event_line(event: &ScanEvent) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string(event)?;
    s.push('\n');
    Ok(s)
}

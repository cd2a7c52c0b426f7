//! Opening saved reports (Nmap's or Portolan's XML) and saving a report in one of the CLI's output formats,
//! with the CLI's own reader and writers.

use crate::error::{CommandError, ErrorCode};
use portolan_model::ScanReport;
use portolan_report::RenderOptions;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tauri_plugin_dialog::DialogExt;

/// Larger files are refused rather than read into memory (a /16 with every port listed is far smaller).
const MAX_XML_BYTES: u64 = 1 << 30;

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum XmlSource {
    Path { path: String },
    Text { text: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaveFormat {
    Xml,
    Json,
    Normal,
}

pub fn open_xml(source: &XmlSource) -> Result<ScanReport, CommandError> {
    let (text, name) = match source {
        XmlSource::Text { text } => (text.clone(), "the dropped file".to_owned()),
        XmlSource::Path { path } => {
            let p = Path::new(path);
            let io = |e: std::io::Error| CommandError::new(ErrorCode::Io, format!("cannot read {path}: {e}"));
            let len = std::fs::metadata(p).map_err(io)?.len();
            if len > MAX_XML_BYTES {
                return Err(CommandError::new(ErrorCode::BadFile, format!("{path} is larger than 1 GiB")));
            }
            (std::fs::read_to_string(p).map_err(io)?, path.clone())
        }
    };
    portolan_report::xml_reader::read(&text)
        .map_err(|e| CommandError::new(ErrorCode::BadFile, format!("{name} is not a scan report: {e}")))
}

pub fn render(report: &ScanReport, format: SaveFormat) -> Result<String, CommandError> {
    let opts = RenderOptions { reason: false, open_only: false, verbose: report.verbose, debug: report.debugging };
    Ok(match format {
        SaveFormat::Xml => portolan_report::xml::render(report, &opts),
        SaveFormat::Normal => portolan_report::normal::render_file(report, &opts),
        SaveFormat::Json => portolan_report::json::render(report)
            .map_err(|e| CommandError::new(ErrorCode::BadFile, format!("the report cannot be written as JSON: {e}")))?,
    })
}

pub fn save_report(report: &ScanReport, format: SaveFormat, path: &str) -> Result<(), CommandError> {
    let text = render(report, format)?;
    std::fs::write(path, text).map_err(|e| CommandError::new(ErrorCode::Io, format!("cannot write {path}: {e}")))
}

/// A report read from a file the user chose.
#[derive(Debug, Clone, Serialize)]
pub struct OpenedReport {
    pub path: String,
    pub report: ScanReport,
}

async fn picked(rx: tokio::sync::oneshot::Receiver<Option<tauri_plugin_dialog::FilePath>>) -> Option<PathBuf> {
    // A dialog closed without a choice, or a path the platform cannot express as a file (a content URI), is
    // a cancel.
    rx.await.ok().flatten().and_then(|p| p.into_path().ok())
}

/// The native Open dialog, then [`open_xml`]. `None` when the user cancels.
pub async fn open_dialog<R: tauri::Runtime>(app: &tauri::AppHandle<R>) -> Result<Option<OpenedReport>, CommandError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Open a saved scan")
        .add_filter("Scan reports (Nmap or Portolan XML)", &["xml"])
        .add_filter("All files", &["*"])
        .pick_file(move |p| {
            let _ = tx.send(p);
        });
    let Some(path) = picked(rx).await else { return Ok(None) };
    let path = path.display().to_string();
    let report = open_xml(&XmlSource::Path { path: path.clone() })?;
    Ok(Some(OpenedReport { path, report }))
}

/// The native Save dialog, then [`save_report`]. Returns the path written, `None` when the user cancels.
pub async fn save_dialog<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    report: &ScanReport,
    format: SaveFormat,
) -> Result<Option<String>, CommandError> {
    let (ext, what) = match format {
        SaveFormat::Xml => ("xml", "Nmap-compatible XML"),
        SaveFormat::Json => ("json", "Portolan JSON"),
        SaveFormat::Normal => ("nmap", "Normal output (text)"),
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Save the scan")
        .set_file_name(format!("scan.{ext}"))
        .add_filter(what, &[ext])
        .save_file(move |p| {
            let _ = tx.send(p);
        });
    let Some(path) = picked(rx).await else { return Ok(None) };
    let path = path.display().to_string();
    save_report(report, format, &path)?;
    Ok(Some(path))
}

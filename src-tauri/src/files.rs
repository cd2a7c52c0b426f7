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
    Csv,
    Html,
    Markdown,
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
    let opts = RenderOptions::for_report(report);
    Ok(match format {
        SaveFormat::Xml => portolan_report::xml::render(report, &opts),
        SaveFormat::Normal => portolan_report::normal::render_file(report, &opts),
        SaveFormat::Json => portolan_report::json::render(report)
            .map_err(|e| CommandError::new(ErrorCode::BadFile, format!("the report cannot be written as JSON: {e}")))?,
        SaveFormat::Csv => portolan_report::export::csv(report, &opts),
        SaveFormat::Html => portolan_report::export::html(report, &opts),
        SaveFormat::Markdown => portolan_report::export::markdown(report, &opts),
    })
}

pub fn save_report(report: &ScanReport, format: SaveFormat, path: &str) -> Result<(), CommandError> {
    let text = render(report, format)?;
    std::fs::write(path, text).map_err(|e| CommandError::new(ErrorCode::Io, format!("cannot write {path}: {e}")))
}

/// The first part of a report being opened: everything but the hosts, the first screenful of hosts, and how
/// many hosts there are. The window asks for the rest with [`OpenReports::next`], one chunk per frame, so it
/// paints the first screen of a 65,536-host file before the rest has crossed the IPC.
#[derive(Debug, Clone, Serialize)]
pub struct OpenBegin {
    /// Names the rest of the hosts for `next`; 0 when there is no rest.
    pub id: u64,
    pub report: ScanReport,
    pub total_hosts: usize,
    pub hosts: Vec<portolan_model::HostReport>,
}

/// A screenful of hosts, sent with the report's header.
pub const FIRST_HOSTS: usize = 200;
/// Hosts per later chunk: about 2.8 MB of JSON, some 40 ms to parse in the web view.
pub const CHUNK_HOSTS: usize = 4096;
/// Reports being opened at once; beyond this the oldest is dropped (its window was closed mid-open).
const MAX_OPEN: usize = 8;

/// Hosts of reports being opened, by id, not yet sent to the window.
#[derive(Debug, Default)]
pub struct OpenReports {
    next_id: std::sync::atomic::AtomicU64,
    pending: std::sync::Mutex<std::collections::VecDeque<(u64, std::vec::IntoIter<portolan_model::HostReport>)>>,
}

impl OpenReports {
    /// Reads the report and keeps all but the first screenful of hosts for [`next`](Self::next).
    pub fn begin(&self, source: &XmlSource) -> Result<OpenBegin, CommandError> {
        let mut report = open_xml(source)?;
        let mut rest = std::mem::take(&mut report.hosts).into_iter();
        let total_hosts = rest.len();
        let hosts: Vec<_> = rest.by_ref().take(FIRST_HOSTS).collect();
        let id = if rest.len() == 0 {
            0
        } else {
            let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            if pending.len() >= MAX_OPEN {
                pending.pop_front();
            }
            pending.push_back((id, rest));
            id
        };
        Ok(OpenBegin { id, report, total_hosts, hosts })
    }

    /// The next chunk of hosts of report `id`; empty when all were sent (or `id` is unknown).
    pub fn next(&self, id: u64) -> Vec<portolan_model::HostReport> {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let Some(at) = pending.iter().position(|(i, _)| *i == id) else { return Vec::new() };
        let chunk: Vec<_> = pending[at].1.by_ref().take(CHUNK_HOSTS).collect();
        if pending[at].1.len() == 0 {
            pending.remove(at);
        }
        chunk
    }
}

async fn picked(rx: tokio::sync::oneshot::Receiver<Option<tauri_plugin_dialog::FilePath>>) -> Option<PathBuf> {
    // A dialog closed without a choice, or a path the platform cannot express as a file (a content URI), is
    // a cancel.
    rx.await.ok().flatten().and_then(|p| p.into_path().ok())
}

/// The native Open dialog: the path chosen, `None` when the user cancels.
pub async fn pick_xml<R: tauri::Runtime>(app: &tauri::AppHandle<R>) -> Option<String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Open a saved scan")
        .add_filter("Scan reports (Nmap or Portolan XML)", &["xml"])
        .add_filter("All files", &["*"])
        .pick_file(move |p| {
            let _ = tx.send(p);
        });
    picked(rx).await.map(|p| p.display().to_string())
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
        SaveFormat::Csv => ("csv", "CSV, one row per port"),
        SaveFormat::Html => ("html", "HTML report"),
        SaveFormat::Markdown => ("md", "Markdown"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use portolan_model::{HostReport, HostState, HostStatus, Reason};

    #[test]
    fn a_screenful_first_then_chunks_with_every_host_once_in_order() {
        let status = HostStatus { state: HostState::Up, reason: Reason::new("user-set"), reason_ttl: 0 };
        let hosts: Vec<HostReport> = (0..10_000u32)
            .map(|i| HostReport::new(std::net::IpAddr::from([198, 18, (i >> 8) as u8, i as u8]), status.clone()))
            .collect();
        let mut report = ScanReport::empty("portolan");
        report.hosts = hosts.clone();
        let xml = portolan_report::xml::render(&report, &RenderOptions::default());
        let open = OpenReports::default();
        let b = open.begin(&XmlSource::Text { text: xml }).expect("open");
        assert_eq!((b.total_hosts, b.hosts.len(), b.report.hosts.len()), (10_000, FIRST_HOSTS, 0));
        assert_ne!(b.id, 0);
        let mut got: Vec<_> = b.hosts.iter().filter_map(HostReport::ip).collect();
        let mut sizes = Vec::new();
        loop {
            let chunk = open.next(b.id);
            if chunk.is_empty() {
                break;
            }
            sizes.push(chunk.len());
            got.extend(chunk.iter().filter_map(HostReport::ip));
        }
        assert_eq!(sizes, vec![CHUNK_HOSTS, CHUNK_HOSTS, 10_000 - FIRST_HOSTS - 2 * CHUNK_HOSTS]);
        assert_eq!(got, hosts.iter().filter_map(HostReport::ip).collect::<Vec<_>>());
        assert!(open.next(b.id).is_empty(), "nothing is kept once sent");
        assert!(open.pending.lock().expect("lock").is_empty());
    }

    #[test]
    fn only_png_bytes_are_saved_as_a_png() {
        assert!(check_png(b"\x89PNG\r\n\x1a\nrest").is_ok());
        let e = check_png(b"<svg onload=alert(1)>").expect_err("not a PNG");
        assert_eq!(e.code, ErrorCode::BadFile);
        assert!(check_png(b"").is_err());
    }
}

/// The map of a report, laid out for the window to draw (`layout`: `radial` or `force`).
pub fn map_view(report: &ScanReport, layout: portolan_topology::LayoutKind) -> portolan_topology::MapView {
    let graph = portolan_topology::TopologyGraph::from_report(report);
    let placed = portolan_topology::layout::compute(&graph, layout);
    portolan_topology::MapView::new(&graph, &placed)
}

/// What the map export writes.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "format", rename_all = "snake_case")]
pub enum MapExport {
    /// The map drawn by Rust's SVG writer (the same picture as `portolan map`).
    Svg { report: Box<ScanReport>, layout: portolan_topology::LayoutKind },
    /// A PNG the window drew from its canvas.
    Png { bytes: Vec<u8> },
}

/// The web view's picture must be a PNG: anything else is refused before a file is written.
fn check_png(bytes: &[u8]) -> Result<(), CommandError> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(())
    } else {
        Err(CommandError::new(ErrorCode::BadFile, "the window's picture is not a PNG image"))
    }
}

/// The native Save dialog, then the map as SVG or PNG. The path written, `None` when the user cancels.
pub async fn save_map_dialog<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    export: MapExport,
) -> Result<Option<String>, CommandError> {
    let (ext, what) = match &export {
        MapExport::Svg { .. } => ("svg", "SVG image"),
        MapExport::Png { .. } => ("png", "PNG image"),
    };
    if let MapExport::Png { bytes } = &export {
        check_png(bytes)?;
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Save the map")
        .set_file_name(format!("map.{ext}"))
        .add_filter(what, &[ext])
        .save_file(move |p| {
            let _ = tx.send(p);
        });
    let Some(path) = picked(rx).await else { return Ok(None) };
    let data = match export {
        MapExport::Svg { report, layout } => portolan_topology::svg::render(&map_view(&report, layout)).into_bytes(),
        MapExport::Png { bytes } => bytes,
    };
    std::fs::write(&path, data)
        .map_err(|e| CommandError::new(ErrorCode::Io, format!("cannot write {}: {e}", path.display())))?;
    Ok(Some(path.display().to_string()))
}

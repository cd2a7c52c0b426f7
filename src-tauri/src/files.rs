//! Opening saved reports (Nmap's or Portolan's XML) and saving a report in one of the CLI's output formats,
//! with the CLI's own reader and writers.

use crate::error::{CommandError, ErrorCode};
use portolan_model::ScanReport;
use portolan_report::RenderOptions;
use serde::Deserialize;
use std::path::Path;

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

//! # portolan-desktop
//!
//! The Tauri shell of Portolan's desktop app. It stays thin: each command checks its input, calls the
//! `portolan` helper binary or the report crate, and answers with a typed [`CommandError`] (`{code, message}`)
//! on failure.
//!
//! Invariants:
//! - The app never links the packet code and never needs privileges: scans run in the `portolan` helper
//!   process ([`helper`]), the same binary users run by hand, so every scan is a reproducible command line.
//! - A scan's events reach the web view in the order the helper printed them, followed by exactly one exit
//!   message; a helper that is cancelled, killed or crashes is reported as interrupted.
//! - The web view gets no Tauri core or plugin permission beyond a window (capabilities/default.json) and a
//!   strict CSP (tauri.conf.json, mirrored in ui/index.html).

pub mod error;
pub mod files;
pub mod helper;

pub use error::{CommandError, ErrorCode};
use files::{SaveFormat, XmlSource};
use helper::{ParsedPlan, Registry, ScanMessage};
use portolan_model::ScanReport;
use tauri::ipc::Channel;

#[tauri::command]
async fn parse_plan(state: tauri::State<'_, Registry>, args: Vec<String>) -> Result<ParsedPlan, CommandError> {
    helper::parse_plan(state.bin(), &args).await
}

#[tauri::command]
async fn start_scan(
    state: tauri::State<'_, Registry>,
    args: Vec<String>,
    on_message: Channel<ScanMessage>,
) -> Result<String, CommandError> {
    state.start(&args, move |msg| {
        // A closed window drops its channel; the scan still runs to its end and is reaped.
        let _ = on_message.send(msg);
    })
}

#[tauri::command]
async fn cancel_scan(state: tauri::State<'_, Registry>, id: String) -> Result<(), CommandError> {
    state.cancel(&id)
}

#[tauri::command]
async fn open_xml(source: XmlSource) -> Result<ScanReport, CommandError> {
    files::open_xml(&source)
}

#[tauri::command]
async fn save_report(report: ScanReport, format: SaveFormat, path: String) -> Result<(), CommandError> {
    files::save_report(&report, format, &path)
}

/// Runs the app until its last window closes.
pub fn run() {
    let result = tauri::Builder::default()
        .manage(Registry::new(helper::helper_path()))
        .invoke_handler(tauri::generate_handler![parse_plan, start_scan, cancel_scan, open_xml, save_report])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("portolan desktop: {e}");
        std::process::exit(1);
    }
}

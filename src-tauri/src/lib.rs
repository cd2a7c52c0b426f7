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

pub mod drops;
pub mod error;
pub mod files;
pub mod helper;
pub mod history;
pub mod profiles;
pub mod settings;

pub use error::{CommandError, ErrorCode};
use files::{OpenBegin, OpenReports, SaveFormat, XmlSource};
use settings::{Settings, SettingsStore};
use tauri::Manager;
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
async fn render_report(report: ScanReport, format: SaveFormat) -> Result<String, CommandError> {
    files::render(&report, format)
}

#[tauri::command]
async fn save_report(report: ScanReport, format: SaveFormat, path: String) -> Result<(), CommandError> {
    files::save_report(&report, format, &path)
}

#[tauri::command]
async fn open_xml_begin(app: tauri::AppHandle, source: XmlSource) -> Result<OpenBegin, CommandError> {
    // Parsing a large file takes a while: off the async workers.
    tauri::async_runtime::spawn_blocking(move || app.state::<OpenReports>().begin(&source))
        .await
        .map_err(|e| CommandError::new(ErrorCode::BadFile, format!("opening the file failed: {e}")))?
}

#[tauri::command]
fn open_xml_next(state: tauri::State<'_, OpenReports>, id: u64) -> Vec<portolan_model::HostReport> {
    state.next(id)
}

#[tauri::command]
async fn map_view(
    report: ScanReport,
    layout: portolan_topology::LayoutKind,
) -> Result<portolan_topology::MapView, CommandError> {
    // A 10,000-node layout takes up to half a second (force): off the async workers.
    tauri::async_runtime::spawn_blocking(move || files::map_view(&report, layout))
        .await
        .map_err(|e| CommandError::new(ErrorCode::BadFile, format!("the map could not be laid out: {e}")))
}

#[tauri::command]
async fn save_map_dialog(app: tauri::AppHandle, export: files::MapExport) -> Result<Option<String>, CommandError> {
    files::save_map_dialog(&app, export).await
}

#[tauri::command]
async fn pick_xml_file(app: tauri::AppHandle) -> Option<String> {
    files::pick_xml(&app).await
}

#[tauri::command]
async fn save_report_dialog(
    app: tauri::AppHandle,
    report: ScanReport,
    format: SaveFormat,
) -> Result<Option<String>, CommandError> {
    files::save_dialog(&app, &report, format).await
}

#[tauri::command]
fn get_settings(state: tauri::State<'_, SettingsStore>) -> Settings {
    state.get()
}

#[tauri::command]
fn set_settings(state: tauri::State<'_, SettingsStore>, settings: Settings) -> Result<Settings, CommandError> {
    state.set(settings)
}

/// The history the CLI records the app's scans in (`$PORTOLAN_HISTORY`, else the user's default file).
fn user_history<'a>(r: &'a Registry) -> history::History<'a> {
    history::History { bin: r.bin(), location: None }
}

#[tauri::command]
async fn history_list(state: tauri::State<'_, Registry>, limit: u32, offset: u32) -> Result<Vec<history::ScanSummary>, CommandError> {
    history::list(user_history(&state), limit, offset).await
}

#[tauri::command]
async fn history_search(state: tauri::State<'_, Registry>, query: String, limit: u32) -> Result<history::SearchResults, CommandError> {
    history::search(user_history(&state), &query, limit).await
}

#[tauri::command]
async fn history_open(state: tauri::State<'_, Registry>, id: i64) -> Result<ScanReport, CommandError> {
    history::open(user_history(&state), id).await
}

#[tauri::command]
async fn history_delete(state: tauri::State<'_, Registry>, id: i64) -> Result<(), CommandError> {
    history::delete(user_history(&state), id).await
}

#[tauri::command]
async fn history_import(state: tauri::State<'_, Registry>, paths: Vec<String>) -> Result<String, CommandError> {
    history::import(user_history(&state), &paths).await
}

#[tauri::command]
async fn history_compare(state: tauri::State<'_, Registry>, a: String, b: String) -> Result<history::Comparison, CommandError> {
    history::compare(user_history(&state), &a, &b).await
}

#[tauri::command]
async fn history_compare_files(state: tauri::State<'_, Registry>, a: String, b: String) -> Result<history::Comparison, CommandError> {
    history::compare_files(user_history(&state), &a, &b).await
}

#[tauri::command]
fn profiles_list(state: tauri::State<'_, profiles::ProfileStore>) -> Vec<profiles::UserProfile> {
    state.list()
}

#[tauri::command]
fn profile_save(
    state: tauri::State<'_, profiles::ProfileStore>,
    name: String,
    description: String,
    args: String,
) -> Result<profiles::UserProfile, CommandError> {
    state.save(&name, &description, &args)
}

#[tauri::command]
fn profile_delete(state: tauri::State<'_, profiles::ProfileStore>, id: String) -> Result<(), CommandError> {
    state.delete(&id)
}

/// The Open dialog, then [`profiles_import_usp_path`]; `None` when the user cancels.
#[tauri::command]
async fn profiles_import_usp(
    app: tauri::AppHandle,
    builtins: Vec<profiles::BuiltinProfile>,
) -> Result<Option<profiles::ImportReport>, CommandError> {
    let Some(path) = profiles::pick_usp(&app).await else { return Ok(None) };
    let (store, registry) = (app.state::<profiles::ProfileStore>(), app.state::<Registry>());
    profiles::import_usp(&store, registry.bin(), &path, &builtins).await.map(Some)
}

#[tauri::command]
async fn profiles_import_usp_path(
    app: tauri::AppHandle,
    path: String,
    builtins: Vec<profiles::BuiltinProfile>,
) -> Result<profiles::ImportReport, CommandError> {
    let (store, registry) = (app.state::<profiles::ProfileStore>(), app.state::<Registry>());
    profiles::import_usp(&store, registry.bin(), std::path::Path::new(&path), &builtins).await
}

/// Files named on the app's command line (`portolan-desktop scan.xml`), opened at start.
#[derive(Debug, Default)]
pub struct StartupFiles(pub Vec<String>);

#[tauri::command]
fn startup_files(state: tauri::State<'_, StartupFiles>) -> Vec<String> {
    state.0.clone()
}

/// Why the window refuses to start, if it does: the UI never runs as root (non-negotiable 5). Raw-packet
/// work belongs to the scanner helper, which gets capabilities of its own.
pub fn refuse_root() -> Option<String> {
    #[cfg(unix)]
    if rustix::process::geteuid().is_root() {
        return Some(format!(
            "portolan desktop: the window does not run as root. Start it as your own user; to let it run raw-packet \
             scans, grant the scanner its capabilities once: sudo setcap cap_net_raw,cap_net_admin+eip {}",
            helper::helper_path().display()
        ));
    }
    None
}

/// Runs the app until its last window closes.
pub fn run() {
    if let Some(msg) = refuse_root() {
        eprintln!("{msg}");
        std::process::exit(1);
    }
    let files: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(Registry::new(helper::helper_path()))
        .manage(StartupFiles(files))
        .manage(OpenReports::default())
        .manage(drops::DropRelay::default())
        .on_window_event(drops::on_window_event)
        .setup(|app| {
            let dir = app.path().app_config_dir().ok();
            app.manage(SettingsStore::open(dir));
            app.manage(profiles::ProfileStore::open(app.path().app_data_dir().ok()));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            parse_plan,
            start_scan,
            cancel_scan,
            open_xml,
            save_report,
            render_report,
            open_xml_begin,
            open_xml_next,
            pick_xml_file,
            save_report_dialog,
            get_settings,
            set_settings,
            startup_files,
            history_list,
            history_search,
            history_open,
            history_delete,
            history_import,
            history_compare,
            history_compare_files,
            drops::watch_file_drops,
            map_view,
            save_map_dialog,
            profiles_list,
            profile_save,
            profile_delete,
            profiles_import_usp,
            profiles_import_usp_path
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("portolan desktop: {e}");
        std::process::exit(1);
    }
}

//! Files dropped on the window, relayed to the web view through a channel it hands over once
//! (`watch_file_drops`). A channel instead of Tauri's `tauri://drag-drop` event keeps the web view without any
//! event permission: the capability stays empty.

use std::sync::Mutex;
use tauri::ipc::Channel;
use tauri::{DragDropEvent, Manager, Runtime, Window, WindowEvent};

/// Where the web view wants dropped paths delivered (the last channel it handed over).
#[derive(Default)]
pub struct DropRelay(Mutex<Option<Channel<Vec<String>>>>);

impl DropRelay {
    /// Sends `paths` to the web view; false when it has not asked for them (or the channel is gone).
    pub fn deliver(&self, paths: Vec<String>) -> bool {
        let guard = match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        guard.as_ref().is_some_and(|c| c.send(paths).is_ok())
    }

    fn set(&self, channel: Channel<Vec<String>>) {
        let mut guard = match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Some(channel);
    }
}

/// The paths of a drop, as text (a path that is not UTF-8 keeps a replacement character, and the import then
/// names it as missing).
pub fn dropped_paths(event: &DragDropEvent) -> Option<Vec<String>> {
    match event {
        DragDropEvent::Drop { paths, .. } if !paths.is_empty() => {
            Some(paths.iter().map(|p| p.to_string_lossy().into_owned()).collect())
        }
        _ => None,
    }
}

/// For `Builder::on_window_event`. The main window's web view is its whole content, and Tauri reports drops
/// on such a web view as a window event (a web view added to a window would report a `WebviewEvent`).
pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if let WindowEvent::DragDrop(e) = event
        && let Some(paths) = dropped_paths(e)
    {
        window.state::<DropRelay>().deliver(paths);
    }
}

#[tauri::command]
pub fn watch_file_drops(state: tauri::State<'_, DropRelay>, on_drop: Channel<Vec<String>>) {
    state.set(on_drop);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use tauri::PhysicalPosition;

    #[test]
    fn only_a_drop_with_files_yields_paths() {
        let pos = PhysicalPosition::new(1.0, 2.0);
        let drop = DragDropEvent::Drop { paths: vec![PathBuf::from("/tmp/a.xml"), PathBuf::from("/tmp/b c.json")], position: pos };
        assert_eq!(dropped_paths(&drop), Some(vec!["/tmp/a.xml".to_owned(), "/tmp/b c.json".to_owned()]));
        assert_eq!(dropped_paths(&DragDropEvent::Drop { paths: vec![], position: pos }), None);
        assert_eq!(dropped_paths(&DragDropEvent::Enter { paths: vec![PathBuf::from("/tmp/a.xml")], position: pos }), None);
        assert_eq!(dropped_paths(&DragDropEvent::Leave), None);
    }

    #[test]
    fn a_drop_reaches_the_channel_the_web_view_handed_over() {
        let relay = DropRelay::default();
        assert!(!relay.deliver(vec!["/tmp/a.xml".into()]), "nobody asked yet");
        let got = std::sync::Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = got.clone();
        relay.set(Channel::new(move |body| {
            if let tauri::ipc::InvokeResponseBody::Json(j) = body {
                sink.lock().unwrap().push(j);
            }
            Ok(())
        }));
        assert!(relay.deliver(vec!["/tmp/a.xml".into(), "/tmp/b\"c.json".into()]));
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 1);
        let paths: Vec<String> = serde_json::from_str(&got[0]).unwrap();
        assert_eq!(paths, vec!["/tmp/a.xml", "/tmp/b\"c.json"]);
    }
}

//! The user's settings, kept as one JSON file in the app's configuration directory. A missing or unreadable
//! file gives the defaults (and an unreadable one is kept aside, never overwritten silently); values are
//! checked before they are stored.

use crate::error::{CommandError, ErrorCode};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Follow the system's light or dark preference.
    #[default]
    System,
    Light,
    Dark,
}

/// What the Settings panel edits. Unknown fields in the file are ignored, missing ones take their defaults,
/// so an older or newer app can read the file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub theme: Theme,
    /// Nmap's data directory, used only when the user sets it: the app then adds `--datadir DIR` to the
    /// command lines it builds, visibly. Portolan's own databases are the default.
    pub nmap_datadir: Option<String>,
    /// The profile the Scan view starts with.
    pub default_profile: Option<String>,
    /// The first-run note (scan only networks you own or may scan) was dismissed; false in files written
    /// before the note existed, so their users see it once.
    pub first_run_done: bool,
}

impl Settings {
    fn check(&self) -> Result<(), CommandError> {
        if let Some(dir) = &self.nmap_datadir {
            let p = Path::new(dir);
            if !p.is_dir() {
                return Err(CommandError::new(ErrorCode::BadSetting, format!("{dir} is not a directory")));
            }
            if !p.join("nmap-services").is_file() {
                return Err(CommandError::new(
                    ErrorCode::BadSetting,
                    format!("{dir} has no nmap-services file: it is not Nmap's data directory (on Debian: /usr/share/nmap)"),
                ));
            }
        }
        Ok(())
    }
}

/// Where the settings live, and the settings read at start.
#[derive(Debug)]
pub struct SettingsStore {
    path: Option<PathBuf>,
    current: std::sync::Mutex<Settings>,
}

impl SettingsStore {
    /// Reads `dir/settings.json`. A file that does not parse is renamed to `settings.json.bad` (so the user's
    /// text is not lost) and the defaults are used.
    pub fn open(dir: Option<PathBuf>) -> Self {
        let path = dir.map(|d| d.join("settings.json"));
        let current = match &path {
            Some(p) => match std::fs::read(p) {
                Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                    let bad = p.with_extension("json.bad");
                    eprintln!("portolan desktop: {} is not valid ({e}); kept as {} and using defaults", p.display(), bad.display());
                    let _ = std::fs::rename(p, bad);
                    Settings::default()
                }),
                Err(_) => Settings::default(),
            },
            None => Settings::default(),
        };
        SettingsStore { path, current: std::sync::Mutex::new(current) }
    }

    pub fn get(&self) -> Settings {
        self.current.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Checks and stores `new`; written to a temporary file and renamed, so a crash never leaves half a file.
    pub fn set(&self, new: Settings) -> Result<Settings, CommandError> {
        new.check()?;
        if let Some(p) = &self.path {
            let io = |e: std::io::Error| CommandError::new(ErrorCode::Io, format!("cannot save {}: {e}", p.display()));
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let tmp = p.with_extension("json.tmp");
            let text = serde_json::to_vec_pretty(&new)
                .map_err(|e| CommandError::new(ErrorCode::Io, format!("cannot encode the settings: {e}")))?;
            std::fs::write(&tmp, text).map_err(io)?;
            std::fs::rename(&tmp, p).map_err(io)?;
        }
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = new.clone();
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_defaults_and_bad_files() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = SettingsStore::open(Some(dir.path().to_owned()));
        assert_eq!(store.get(), Settings::default());
        assert!(!store.get().first_run_done, "the first-run note shows on a fresh install");
        let s = Settings {
            theme: Theme::Dark,
            nmap_datadir: None,
            default_profile: Some("quick".into()),
            first_run_done: true,
        };
        store.set(s.clone()).expect("save");
        assert_eq!(SettingsStore::open(Some(dir.path().to_owned())).get(), s);
        let text = std::fs::read_to_string(dir.path().join("settings.json")).expect("written");
        assert!(text.contains("\"first_run_done\": true"), "{text}");

        let bad = Settings { nmap_datadir: Some(dir.path().display().to_string()), ..s.clone() };
        let e = store.set(bad).expect_err("not nmap's directory");
        assert_eq!(e.code, ErrorCode::BadSetting);
        assert!(e.message.contains("nmap-services"), "{}", e.message);
        assert_eq!(store.get(), s, "a refused value is not stored");

        // A file written before the first-run note existed loads, with the note not yet dismissed.
        std::fs::write(dir.path().join("settings.json"), br#"{"theme":"light","nmap_datadir":null,"default_profile":"regular"}"#)
            .expect("write");
        let old = SettingsStore::open(Some(dir.path().to_owned())).get();
        assert_eq!((old.theme, old.default_profile.as_deref(), old.first_run_done), (Theme::Light, Some("regular"), false));
        assert!(!dir.path().join("settings.json.bad").exists(), "an older file is not treated as broken");

        std::fs::write(dir.path().join("settings.json"), b"{ not json").expect("write");
        assert_eq!(SettingsStore::open(Some(dir.path().to_owned())).get(), Settings::default());
        assert_eq!(std::fs::read(dir.path().join("settings.json.bad")).expect("kept"), b"{ not json");
    }
}

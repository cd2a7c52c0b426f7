//! The user's own scan profiles, kept as one JSON file (`profiles.json`) in the app's data directory, and the
//! import of Zenmap's profile file (`scan_profile.usp`).
//!
//! Invariants:
//! - Every stored profile passed [`check_profile`]: a name of 1 to [`MAX_NAME`] characters, arguments of at most
//!   [`MAX_ARGS`] characters, no control characters anywhere. Names are unique (saving under an existing name
//!   replaces that profile and keeps its id); ids start with `user-`, so they never meet a built-in's id.
//! - `args` is the command line without the program name and without targets; the Scan view appends both.
//! - A file that does not parse is renamed to `profiles.json.bad` (the user's text is never overwritten) and the
//!   list starts empty; writes go to a temporary file that is then renamed.
//! - A Zenmap file is read with a small INI reader of our own that follows Python ConfigParser's rules as far as
//!   such files use them. One bad section skips that profile with its reason; it never fails the whole import.

use crate::error::{CommandError, ErrorCode};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const MAX_NAME: usize = 100;
pub const MAX_ARGS: usize = 4096;
pub const MAX_DESCRIPTION: usize = 2000;
/// A Zenmap profile file is a few kilobytes; anything this large is not one.
const MAX_USP_BYTES: u64 = 1 << 20;
/// Profiles read from one file; each is checked by a run of the scanner's parser.
const MAX_IMPORT: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The scanner's options, as typed (quoted like a shell command line), without program name and targets.
    pub args: String,
}

/// A built-in profile, as the window knows it: an imported profile identical to one is not stored twice.
#[derive(Debug, Clone, Deserialize)]
pub struct BuiltinProfile {
    pub name: String,
    pub args: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedProfile {
    pub profile: UserProfile,
    /// Why the scanner's parser refused this command line (the profile is stored anyway, so the user can fix
    /// it in the Scan view, where the same message shows).
    pub problem: Option<String>,
    /// What the import changed, e.g. targets taken out of the command.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedProfile {
    /// The section's name; empty for lines outside any section.
    pub name: String,
    /// The line the section (or the bad line) starts at, 1-based.
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub path: String,
    pub imported: Vec<ImportedProfile>,
    pub skipped: Vec<SkippedProfile>,
}

fn bad(msg: impl Into<String>) -> CommandError {
    CommandError::new(ErrorCode::BadProfile, msg)
}

fn control_char(what: &str, s: &str) -> Result<(), CommandError> {
    if let Some((at, c)) = s.chars().enumerate().find(|(_, c)| c.is_control()) {
        return Err(bad(format!(
            "the {what} contains a control character (U+{:04X}) at character {}",
            c as u32,
            at + 1
        )));
    }
    Ok(())
}

/// The checks every stored profile passes; `name` and the others are taken as given (trim before).
pub fn check_profile(name: &str, description: &str, args: &str) -> Result<(), CommandError> {
    if name.is_empty() {
        return Err(bad("a profile needs a name"));
    }
    let n = name.chars().count();
    if n > MAX_NAME {
        return Err(bad(format!("the name is {n} characters long; at most {MAX_NAME} are allowed")));
    }
    control_char("name", name)?;
    let d = description.chars().count();
    if d > MAX_DESCRIPTION {
        return Err(bad(format!("the description is {d} characters long; at most {MAX_DESCRIPTION} are allowed")));
    }
    control_char("description", description)?;
    let a = args.chars().count();
    if a > MAX_ARGS {
        return Err(bad(format!("the command line is {a} characters long; at most {MAX_ARGS} are allowed")));
    }
    control_char("command line", args)?;
    split_words(args).map_err(|e| bad(format!("the command line cannot be read: {e}")))?;
    Ok(())
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ProfileFile {
    #[serde(default)]
    profiles: Vec<UserProfile>,
}

/// The user's profiles, read at start.
#[derive(Debug)]
pub struct ProfileStore {
    path: Option<PathBuf>,
    current: std::sync::Mutex<Vec<UserProfile>>,
}

impl ProfileStore {
    /// Reads `dir/profiles.json`; a file that does not parse (or holds a profile that fails the checks) is
    /// renamed to `profiles.json.bad` and the list starts empty.
    pub fn open(dir: Option<PathBuf>) -> Self {
        let path = dir.map(|d| d.join("profiles.json"));
        let current = match &path {
            Some(p) => match std::fs::read(p) {
                Ok(bytes) => match read_file(&bytes) {
                    Ok(list) => list,
                    Err(e) => {
                        let kept = p.with_extension("json.bad");
                        eprintln!("portolan desktop: {} is not valid ({e}); kept as {} and starting with no profiles of your own", p.display(), kept.display());
                        let _ = std::fs::rename(p, kept);
                        Vec::new()
                    }
                },
                Err(_) => Vec::new(),
            },
            None => Vec::new(),
        };
        ProfileStore { path, current: std::sync::Mutex::new(current) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<UserProfile>> {
        // Every change replaces the whole list at once, so a poisoned lock still holds a consistent list.
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn list(&self) -> Vec<UserProfile> {
        self.lock().clone()
    }

    /// Creates a profile, or replaces the one with the same name (keeping its id). Returns what was stored.
    pub fn save(&self, name: &str, description: &str, args: &str) -> Result<UserProfile, CommandError> {
        let mut saved = self.save_all(&[(name.to_owned(), description.to_owned(), args.to_owned())])?;
        saved.pop().ok_or_else(|| bad("the profile was not stored"))
    }

    /// [`save`](Self::save) for several profiles, written to disk once; all are checked before any is stored.
    fn save_all(&self, items: &[(String, String, String)]) -> Result<Vec<UserProfile>, CommandError> {
        let mut list = self.lock();
        let mut next = list.clone();
        let mut out = Vec::new();
        for (name, description, args) in items {
            let (name, description, args) = (name.trim(), description.trim(), args.trim());
            check_profile(name, description, args)?;
            let p = match next.iter_mut().find(|p| p.name == name) {
                Some(old) => {
                    old.description = description.to_owned();
                    old.args = args.to_owned();
                    old.clone()
                }
                None => {
                    let p = UserProfile {
                        id: fresh_id(&next, name),
                        name: name.to_owned(),
                        description: description.to_owned(),
                        args: args.to_owned(),
                    };
                    next.push(p.clone());
                    p
                }
            };
            out.push(p);
        }
        self.write(&next)?;
        *list = next;
        Ok(out)
    }

    pub fn delete(&self, id: &str) -> Result<(), CommandError> {
        let mut list = self.lock();
        let Some(at) = list.iter().position(|p| p.id == id) else {
            return Err(bad(format!("there is no profile of yours with id {id}")));
        };
        let mut next = list.clone();
        next.remove(at);
        self.write(&next)?;
        *list = next;
        Ok(())
    }

    fn write(&self, list: &[UserProfile]) -> Result<(), CommandError> {
        let Some(p) = &self.path else { return Ok(()) };
        let io = |e: std::io::Error| CommandError::new(ErrorCode::Io, format!("cannot save {}: {e}", p.display()));
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let text = serde_json::to_vec_pretty(&ProfileFile { profiles: list.to_vec() })
            .map_err(|e| CommandError::new(ErrorCode::Io, format!("cannot encode the profiles: {e}")))?;
        let tmp = p.with_extension("json.tmp");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, p).map_err(io)
    }
}

fn read_file(bytes: &[u8]) -> Result<Vec<UserProfile>, String> {
    let file: ProfileFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let mut names = std::collections::HashSet::new();
    for p in &file.profiles {
        check_profile(&p.name, &p.description, &p.args).map_err(|e| format!("profile \"{}\": {}", p.name, e.message))?;
        if !p.id.starts_with("user-") || !names.insert(p.name.clone()) {
            return Err(format!("profile \"{}\" has a bad id or a name used twice", p.name));
        }
    }
    Ok(file.profiles)
}

/// `user-` and the name's letters and digits, made unique among `list`.
fn fresh_id(list: &[UserProfile], name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let base = if slug.is_empty() { "user-profile".to_owned() } else { format!("user-{slug}") };
    let taken = |id: &str| list.iter().any(|p| p.id == id);
    if !taken(&base) {
        return base;
    }
    (2..).map(|n| format!("{base}-{n}")).find(|id| !taken(id)).unwrap_or(base)
}

/// A word of a command line and where it is in the text (byte offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// Splits a command line into words with the window's rules (ui/src/lib/commandline.ts): single quotes, double
/// quotes (where `\` escapes `"`, `\`, `$` and `` ` ``), backslash escapes, whitespace between words.
pub fn split_words(line: &str) -> Result<Vec<Word>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut start: Option<usize> = None;
    let mut quote: Option<(char, usize)> = None;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(('\'', _)) => {
                if c == '\'' {
                    quote = None;
                } else {
                    cur.push(c);
                }
            }
            Some(('"', _)) => {
                if c == '"' {
                    quote = None;
                } else if c == '\\' && chars.peek().is_some_and(|(_, n)| "\"\\$`".contains(*n)) {
                    if let Some((_, n)) = chars.next() {
                        cur.push(n);
                    }
                } else {
                    cur.push(c);
                }
            }
            _ if c == '\'' || c == '"' => {
                quote = Some((c, i));
                start.get_or_insert(i);
            }
            _ if c == '\\' => {
                let Some((_, n)) = chars.next() else {
                    return Err("the command line ends with a lone backslash".into());
                };
                cur.push(n);
                start.get_or_insert(i);
            }
            _ if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    words.push(Word { text: std::mem::take(&mut cur), start: s, end: i });
                }
            }
            _ => {
                cur.push(c);
                start.get_or_insert(i);
            }
        }
    }
    if let Some((q, at)) = quote {
        return Err(format!("the quote ({q}) at character {} is never closed", line[..at].chars().count() + 1));
    }
    if let Some(s) = start {
        words.push(Word { text: cur, start: s, end: line.len() });
    }
    Ok(words)
}

/// One `[section]` of an INI file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniSection {
    pub name: String,
    pub line: usize,
    /// Keys lower-cased (as ConfigParser does); continuation lines joined with `\n`.
    pub entries: Vec<(String, String)>,
    /// What is wrong in this section; a section with errors is not used.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ini {
    pub sections: Vec<IniSection>,
    /// Lines outside any section: (line, what).
    pub stray: Vec<(usize, String)>,
}

/// Reads INI text with the ConfigParser rules Zenmap's files use: `[section]` headers, `key = value` and
/// `key: value` (the first `=` or `:` splits), whole-line comments starting with `#` or `;`, and values
/// continued on lines indented deeper than their key. A repeated section or key is an error of that section.
pub fn parse_ini(text: &str) -> Ini {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut ini = Ini::default();
    // The key being read: (indent of its line, index in the section's entries).
    let mut open_key: Option<(usize, usize)> = None;
    let mut pending_blank = 0usize;
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            pending_blank += usize::from(open_key.is_some());
            continue;
        }
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let indent = raw.len() - raw.trim_start().len();
        if let (Some((key_indent, at)), Some(sec)) = (open_key, ini.sections.last_mut())
            && indent > key_indent
        {
            if let Some((_, v)) = sec.entries.get_mut(at) {
                for _ in 0..pending_blank {
                    v.push('\n');
                }
                v.push('\n');
                v.push_str(trimmed);
            }
            pending_blank = 0;
            continue;
        }
        pending_blank = 0;
        open_key = None;
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                ini.stray.push((line_no, format!("'{trimmed}' starts a section header but has no closing ]")));
                continue;
            };
            let name = name.trim().to_owned();
            let mut errors = Vec::new();
            if let Some(first) = ini.sections.iter().find(|s| s.name == name) {
                errors.push(format!("a second [{name}] section (the first is at line {})", first.line));
            }
            ini.sections.push(IniSection { name, line: line_no, entries: Vec::new(), errors });
            continue;
        }
        let Some(sec) = ini.sections.last_mut() else {
            ini.stray.push((line_no, "a line before the first [section] header".to_owned()));
            continue;
        };
        let Some(split) = trimmed.find(['=', ':']) else {
            sec.errors.push(format!("line {line_no}: '{}' is not 'key = value'", cut(trimmed)));
            continue;
        };
        let key = trimmed[..split].trim().to_lowercase();
        let value = trimmed[split + 1..].trim().to_owned();
        if key.is_empty() {
            sec.errors.push(format!("line {line_no}: a value with no key"));
            continue;
        }
        if sec.entries.iter().any(|(k, _)| *k == key) {
            sec.errors.push(format!("line {line_no}: the key '{key}' is given twice"));
            continue;
        }
        sec.entries.push((key, value));
        open_key = Some((indent, sec.entries.len() - 1));
    }
    ini
}

fn cut(s: &str) -> String {
    if s.chars().count() <= 60 { s.to_owned() } else { format!("{}…", s.chars().take(60).collect::<String>()) }
}

/// A profile read from a Zenmap file, before the scanner's parser has seen it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UspCandidate {
    pub name: String,
    pub description: String,
    pub args: String,
    pub line: usize,
}

/// Reads Zenmap's `scan_profile.usp`: each section is a profile named by its header, with `command` (the
/// program word first, which Zenmap replaces by its Nmap path) and `description`; other keys are ignored.
/// Sections identical to a built-in profile (same name and the same words) are skipped.
pub fn read_usp(text: &str, builtins: &[BuiltinProfile]) -> (Vec<UspCandidate>, Vec<SkippedProfile>) {
    let ini = parse_ini(text);
    let mut ok = Vec::new();
    let mut skipped: Vec<SkippedProfile> = ini
        .stray
        .iter()
        .map(|(line, why)| SkippedProfile { name: String::new(), line: *line, reason: why.clone() })
        .collect();
    for sec in ini.sections {
        let skip = |reason: String| SkippedProfile { name: sec.name.clone(), line: sec.line, reason };
        if !sec.errors.is_empty() {
            skipped.push(skip(sec.errors.join("; ")));
            continue;
        }
        if ok.len() >= MAX_IMPORT {
            skipped.push(skip(format!("more than {MAX_IMPORT} profiles in one file; the rest are not read")));
            continue;
        }
        let get = |k: &str| sec.entries.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        let Some(command) = get("command") else {
            skipped.push(skip("the section has no 'command' key".into()));
            continue;
        };
        // Continuation lines of a command are more words of it; of a description, more of its text.
        let command = command.replace('\n', " ");
        let description = get("description").unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ");
        let words = match split_words(&command) {
            Ok(w) => w,
            Err(e) => {
                skipped.push(skip(format!("the command cannot be read: {e}")));
                continue;
            }
        };
        let args = match words.first() {
            Some(w) if !w.text.starts_with('-') => command[w.end..].trim(),
            _ => command.trim(),
        };
        if let Err(e) = check_profile(&sec.name, &description, args) {
            skipped.push(skip(e.message));
            continue;
        }
        let same_words = |a: &str, b: &str| {
            matches!((split_words(a), split_words(b)), (Ok(x), Ok(y))
                if x.iter().map(|w| &w.text).eq(y.iter().map(|w| &w.text)))
        };
        if let Some(b) = builtins.iter().find(|b| b.name.eq_ignore_ascii_case(&sec.name) && same_words(&b.args, args)) {
            skipped.push(skip(format!("the same as the built-in profile \"{}\"", b.name)));
            continue;
        }
        ok.push(UspCandidate { name: sec.name.clone(), description, args: args.to_owned(), line: sec.line });
    }
    (ok, skipped)
}

/// Checks a candidate with the scanner's parser (`portolan --parse-only`, a stand-in target appended). Targets
/// the profile itself names at its end are taken out, with a note: the Scan view supplies the target.
pub async fn check_candidate(bin: &Path, c: UspCandidate) -> ImportedProfile {
    let mut args = c.args.clone();
    let mut note = None;
    let words: Vec<Word> = split_words(&args).unwrap_or_default();
    let mut argv: Vec<String> = words.iter().map(|w| w.text.clone()).collect();
    let placeholder = if argv.iter().any(|w| w == "-6") { "::1" } else { "127.0.0.1" };
    argv.push(placeholder.to_owned());
    let problem = match crate::helper::parse_plan(bin, &argv).await {
        Ok(plan) => {
            let named = plan.plan.targets.len().saturating_sub(1);
            let theirs = &plan.plan.targets[..named];
            let k = theirs.len();
            if k > 0 && words.len() >= k && words[words.len() - k..].iter().map(|w| &w.text).eq(theirs.iter()) {
                let cut_at = words[words.len() - k].start;
                args = args[..cut_at].trim_end().to_owned();
                note = Some(format!(
                    "{} {} taken out of the command: the Scan view adds the target",
                    if k == 1 { "target" } else { "targets" },
                    theirs.join(" ")
                ));
            }
            None
        }
        Err(e) => Some(e.message),
    };
    ImportedProfile {
        profile: UserProfile { id: String::new(), name: c.name, description: c.description, args },
        problem,
        note,
    }
}

/// Reads `path` as Zenmap's profile file, checks each profile with the scanner at `bin`, and stores the ones
/// that could be read (replacing profiles of the same name).
pub async fn import_usp(
    store: &ProfileStore,
    bin: &Path,
    path: &Path,
    builtins: &[BuiltinProfile],
) -> Result<ImportReport, CommandError> {
    let shown = path.display().to_string();
    let io = |e: std::io::Error| CommandError::new(ErrorCode::Io, format!("cannot read {shown}: {e}"));
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_USP_BYTES {
        return Err(bad(format!("{shown} is larger than 1 MiB: it is not a Zenmap profile file")));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        bad(format!("{shown} is not UTF-8 text (byte {}): it is not a Zenmap profile file", e.utf8_error().valid_up_to()))
    })?;
    let (candidates, skipped) = read_usp(&text, builtins);
    if candidates.is_empty() && skipped.is_empty() {
        return Err(bad(format!("{shown} holds no profiles: a Zenmap profile file has [Profile name] sections")));
    }
    let mut imported = Vec::new();
    for c in candidates {
        imported.push(check_candidate(bin, c).await);
    }
    let items: Vec<_> = imported
        .iter()
        .map(|i| (i.profile.name.clone(), i.profile.description.clone(), i.profile.args.clone()))
        .collect();
    let stored = store.save_all(&items)?;
    for (i, p) in imported.iter_mut().zip(stored) {
        i.profile = p;
    }
    Ok(ImportReport { path: shown, imported, skipped })
}

/// The native Open dialog for a Zenmap profile file; `None` when the user cancels.
pub async fn pick_usp<R: tauri::Runtime>(app: &tauri::AppHandle<R>) -> Option<PathBuf> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Import Zenmap profiles (scan_profile.usp)")
        .add_filter("Zenmap profiles", &["usp"])
        .add_filter("All files", &["*"])
        .pick_file(move |p| {
            let _ = tx.send(p);
        });
    rx.await.ok().flatten().and_then(|p| p.into_path().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A profile file in Zenmap's layout, written for this test: three good profiles (one with a continued
    /// description and a continued command), one equal to a built-in, and broken sections of several kinds.
    const USP: &str = "\
# Profiles of a lab team
; exported from Zenmap

[Web servers]
command = nmap -p 80,443,8080 -sV --script \"http-title and safe\"
description = HTTP and HTTPS ports with versions
  and the page titles,
\tfor the weekly report.
hint = ignored by the importer
options = Ports to scan,Version detection

[Quick UDP]
command: nmap -sU --top-ports 20
  -T4
description: The twenty most common UDP ports

[Quick scan]
command = nmap -T4 -F
description = Same as ours

[No command here]
description = nothing to run

[Broken quoting]
command = nmap --script \"default or safe
description = an unclosed quote

[Bad line]
command = nmap -F
this line has no delimiter

[Web servers]
command = nmap -p 1

[Ping only]
command = -sn
";

    fn builtins() -> Vec<BuiltinProfile> {
        vec![BuiltinProfile { name: "Quick scan".into(), args: "-T4  -F".into() }]
    }

    #[test]
    fn the_ini_reader_follows_configparser_rules() {
        let ini = parse_ini(USP);
        assert!(ini.stray.is_empty(), "{:?}", ini.stray);
        let names: Vec<&str> = ini.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["Web servers", "Quick UDP", "Quick scan", "No command here", "Broken quoting", "Bad line", "Web servers", "Ping only"]
        );
        let web = &ini.sections[0];
        assert_eq!(web.line, 4);
        assert_eq!(web.entries[1], ("description".into(), "HTTP and HTTPS ports with versions\nand the page titles,\nfor the weekly report.".into()));
        assert_eq!(web.entries.len(), 4, "every key is read, unknown ones included");
        assert_eq!(ini.sections[1].entries[0], ("command".into(), "nmap -sU --top-ports 20\n-T4".into()));
        assert!(ini.sections[5].errors[0].contains("line 30: 'this line has no delimiter' is not 'key = value'"), "{:?}", ini.sections[5].errors);
        assert!(ini.sections[6].errors[0].contains("the first is at line 4"), "{:?}", ini.sections[6].errors);

        let odd = parse_ini("command = -F\n[A]\nKey = 1\nkey: 2\n[B\n");
        assert_eq!(odd.stray, vec![(1, "a line before the first [section] header".to_owned()), (5, "'[B' starts a section header but has no closing ]".to_owned())]);
        assert_eq!(odd.sections[0].errors, vec!["line 4: the key 'key' is given twice".to_owned()]);
    }

    #[test]
    fn a_zenmap_file_gives_profiles_and_says_why_others_were_skipped() {
        let (ok, skipped) = read_usp(USP, &builtins());
        let got: Vec<(&str, &str)> = ok.iter().map(|c| (c.name.as_str(), c.args.as_str())).collect();
        assert_eq!(
            got,
            [
                ("Web servers", "-p 80,443,8080 -sV --script \"http-title and safe\""),
                ("Quick UDP", "-sU --top-ports 20 -T4"),
                ("Ping only", "-sn"),
            ]
        );
        assert_eq!(ok[0].description, "HTTP and HTTPS ports with versions and the page titles, for the weekly report.");
        let why: Vec<(&str, usize, &str)> = skipped.iter().map(|s| (s.name.as_str(), s.line, s.reason.as_str())).collect();
        assert_eq!(why.len(), 5, "{why:#?}");
        assert_eq!(why[0], ("Quick scan", 17, "the same as the built-in profile \"Quick scan\""));
        assert_eq!(why[1], ("No command here", 21, "the section has no 'command' key"));
        assert_eq!(why[2], ("Broken quoting", 24, "the command cannot be read: the quote (\") at character 15 is never closed"));
        assert_eq!(why[3].0, "Bad line");
        assert_eq!(why[4].0, "Web servers");
    }

    #[test]
    fn words_keep_their_place_in_the_text() {
        let w = split_words(r#"nmap  --script "a b" x\ y 'c'"#).expect("words");
        let texts: Vec<&str> = w.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["nmap", "--script", "a b", "x y", "c"]);
        assert_eq!((w[2].start, w[2].end), (15, 20));
        assert!(split_words("-p 1 \\").is_err());
    }

    #[test]
    fn profiles_round_trip_and_replace_by_name() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = ProfileStore::open(Some(dir.path().to_owned()));
        assert!(store.list().is_empty());
        let a = store.save("  Web servers ", "HTTP ports", " -p 80,443 -sV ").expect("save");
        assert_eq!((a.id.as_str(), a.name.as_str(), a.args.as_str()), ("user-web-servers", "Web servers", "-p 80,443 -sV"));
        let b = store.save("Web: servers!", "", "-F").expect("save");
        assert_eq!(b.id, "user-web-servers-2", "ids stay unique");
        let a2 = store.save("Web servers", "HTTP and HTTPS", "-p 80,443,8443 -sV").expect("replace");
        assert_eq!(a2.id, a.id, "saving under the same name replaces, keeping the id");

        let again = ProfileStore::open(Some(dir.path().to_owned()));
        assert_eq!(again.list(), vec![a2.clone(), b.clone()]);
        again.delete(&b.id).expect("delete");
        assert_eq!(ProfileStore::open(Some(dir.path().to_owned())).list(), vec![a2]);
        let e = again.delete(&b.id).expect_err("gone");
        assert_eq!(e.code, ErrorCode::BadProfile);
        assert!(e.message.contains(&b.id), "{}", e.message);
    }

    #[test]
    fn a_corrupt_file_is_kept_aside() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("profiles.json"), b"{ \"profiles\": [ oops").expect("write");
        let store = ProfileStore::open(Some(dir.path().to_owned()));
        assert!(store.list().is_empty());
        assert_eq!(std::fs::read(dir.path().join("profiles.json.bad")).expect("kept"), b"{ \"profiles\": [ oops");
        // A file that parses but holds a profile the checks refuse is not trusted either.
        let bad = serde_json::json!({"profiles": [{"id": "user-x", "name": "x\u{7}", "description": "", "args": ""}]});
        std::fs::write(dir.path().join("profiles.json"), bad.to_string()).expect("write");
        assert!(ProfileStore::open(Some(dir.path().to_owned())).list().is_empty());
        store.save("Fresh", "", "-F").expect("a new file is written");
        assert_eq!(ProfileStore::open(Some(dir.path().to_owned())).list().len(), 1);
    }

    #[test]
    fn bad_profiles_are_refused_with_clear_messages() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = ProfileStore::open(Some(dir.path().to_owned()));
        let msg = |name: &str, desc: &str, args: &str| {
            let e = store.save(name, desc, args).expect_err("refused");
            assert_eq!(e.code, ErrorCode::BadProfile);
            e.message
        };
        assert_eq!(msg("   ", "", "-F"), "a profile needs a name");
        assert_eq!(msg(&"n".repeat(101), "", "-F"), "the name is 101 characters long; at most 100 are allowed");
        assert!(store.save(&"é".repeat(100), "", "-F").is_ok(), "100 characters, not bytes");
        assert_eq!(msg("ok", "", &"-F ".repeat(1366)), "the command line is 4097 characters long; at most 4096 are allowed");
        assert_eq!(msg("tab\tname", "", "-F"), "the name contains a control character (U+0009) at character 4");
        assert_eq!(msg("ok", "line\u{1b}[31m", "-F"), "the description contains a control character (U+001B) at character 5");
        assert_eq!(msg("ok", "", "-F\n-v"), "the command line contains a control character (U+000A) at character 3");
        assert!(msg("ok", "", "--script 'x").contains("is never closed"));
        assert_eq!(store.list().len(), 1, "nothing refused was stored");
    }
}

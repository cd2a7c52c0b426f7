//! Importing a Zenmap profile file with the real scanner's parser checking each command line. Needs
//! `PORTOLAN_BIN` (a built `cargo build -p portolan-cli`), like tests/helper.rs. Nothing is scanned:
//! `--parse-only` sends no packet.

use portolan_desktop::ErrorCode;
use portolan_desktop::profiles::{BuiltinProfile, ProfileStore, import_usp};
use std::path::PathBuf;

fn bin() -> PathBuf {
    let p = std::env::var_os("PORTOLAN_BIN")
        .map(PathBuf::from)
        .expect("set PORTOLAN_BIN to a built portolan binary (cargo build -p portolan-cli)");
    assert!(p.is_file(), "PORTOLAN_BIN={} is not a file", p.display());
    p
}

const USP: &str = "\
[Fast with versions]
command = nmap -F -sV
description = The 100 most common ports, with versions

[With targets]
command = nmap -p 22,80 198.18.0.1 198.18.0.2
description = A profile saved with its targets

[Refused]
command = nmap -F --bogus-option
description = The parser refuses this one

[Regular]
command = nmap
description = Same as the built-in

[No command]
description = skipped

[IPv6]
command = nmap -6 -F
description = checked with an IPv6 stand-in target
";

#[tokio::test]
async fn a_zenmap_file_is_imported_checked_by_the_scanner_and_stored() {
    let dir = tempfile::tempdir().expect("tmp");
    let usp = dir.path().join("scan_profile.usp");
    std::fs::write(&usp, USP).expect("write");
    let store = ProfileStore::open(Some(dir.path().join("data")));
    let builtins = vec![BuiltinProfile { name: "Regular".into(), args: String::new() }];
    let report = import_usp(&store, &bin(), &usp, &builtins).await.expect("import");

    let got: Vec<(&str, &str, Option<&str>)> = report
        .imported
        .iter()
        .map(|i| (i.profile.name.as_str(), i.profile.args.as_str(), i.problem.as_deref()))
        .collect();
    assert_eq!(got[0], ("Fast with versions", "-F -sV", None));
    assert_eq!(got[1], ("With targets", "-p 22,80", None), "the targets are taken out");
    assert_eq!(
        report.imported[1].note.as_deref(),
        Some("targets 198.18.0.1 198.18.0.2 taken out of the command: the Scan view adds the target")
    );
    assert_eq!((got[2].0, got[2].1), ("Refused", "-F --bogus-option"));
    assert!(got[2].2.is_some_and(|m| m.contains("--bogus-option")), "the parser's own message: {:?}", got[2].2);
    assert_eq!(got[3], ("IPv6", "-6 -F", None), "-6 is checked with an IPv6 stand-in target");
    assert_eq!(got.len(), 4);
    let skipped: Vec<(&str, &str)> = report.skipped.iter().map(|s| (s.name.as_str(), s.reason.as_str())).collect();
    assert_eq!(
        skipped,
        [("Regular", "the same as the built-in profile \"Regular\""), ("No command", "the section has no 'command' key")]
    );

    // The shape `ProfileImport` in ui/src/lib/ipc/backend.ts reads.
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["imported"][1]["profile"]["args"], "-p 22,80");
    assert!(json["imported"][0]["problem"].is_null() && json["imported"][0]["note"].is_null(), "{json}");
    assert_eq!(json["skipped"][1], serde_json::json!({"name": "No command", "line": 17, "reason": "the section has no 'command' key"}));
    assert_eq!(json["path"], usp.display().to_string());

    // Stored, with ids, and read back by a new store; a second import replaces rather than duplicates.
    let stored = ProfileStore::open(Some(dir.path().join("data"))).list();
    assert_eq!(stored.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["Fast with versions", "With targets", "Refused", "IPv6"]);
    assert!(stored.iter().all(|p| p.id.starts_with("user-")));
    let again = import_usp(&store, &bin(), &usp, &builtins).await.expect("import again");
    assert_eq!(again.imported[0].profile.id, stored[0].id);
    assert_eq!(store.list().len(), 4);
}

#[tokio::test]
async fn files_that_are_not_profile_files_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = ProfileStore::open(None);
    let missing = import_usp(&store, &bin(), &dir.path().join("nope.usp"), &[]).await.expect_err("missing");
    assert_eq!(missing.code, ErrorCode::Io);
    assert!(missing.message.contains("nope.usp"), "{}", missing.message);

    let empty = dir.path().join("empty.usp");
    std::fs::write(&empty, "# only a comment\n").expect("write");
    let e = import_usp(&store, &bin(), &empty, &[]).await.expect_err("no profiles");
    assert_eq!(e.code, ErrorCode::BadProfile);
    assert_eq!(serde_json::to_value(&e).expect("json")["code"], "bad_profile", "the code the UI's mock uses");
    assert!(e.message.contains("holds no profiles"), "{}", e.message);

    let binary = dir.path().join("binary.usp");
    std::fs::write(&binary, [0x5b, 0xff, 0xfe, 0x5d]).expect("write");
    let e = import_usp(&store, &bin(), &binary, &[]).await.expect_err("not text");
    assert!(e.message.contains("not UTF-8"), "{}", e.message);
    assert!(store.list().is_empty());
}

//! `portolan diff A B [--text|--xml|--json] [-v] [--history PATH|URL]`: compares two scans as Nmap's
//! `ndiff` does. A and B are files (Nmap's or Portolan's XML `-oX`, or Portolan's JSON `-oJ`) or, when no
//! such file exists, scan ids of the history (`portolan diff 12 15`). Exit status as `ndiff`'s: 0 when the
//! scans are equal, 1 when they differ, 2 on error.

use portolan_model::ScanReport;
use portolan_report::{diff, xml_reader};
use portolan_store::{Location, Store};
use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "\
Usage: portolan diff [option] A B
Compare two scans and display their differences (hosts, ports, services, OS guesses, script output,
host names and addresses), in the manner of Nmap's ndiff.
A and B are files (Nmap or Portolan XML -oX, Portolan JSON -oJ) or scan ids of the history
(see portolan history list).

  -h, --help     display this help
  -v, --verbose  also show hosts and ports that haven't changed
  --text         display output in text format (default)
  --xml          display output in XML format
  --json         display output as JSON
  --history PATH|URL  the history that scan ids refer to (default: $PORTOLAN_HISTORY, else the
                 user's history file)

Exit status: 0 when the scans are equal, 1 when they differ, 2 on error.
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Xml,
    Json,
}

/// Runs the subcommand on the words after `diff`.
pub fn main(args: &[String]) -> ExitCode {
    let mut format = Format::Text;
    let mut verbose = false;
    let mut operands: Vec<&str> = Vec::new();
    let mut only_operands = false;
    let mut history: Option<&str> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            _ if only_operands => operands.push(a),
            "--" => only_operands = true,
            "--history" => match it.next() {
                Some(v) => history = Some(v),
                None => {
                    eprintln!("portolan diff: --history needs a value");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                out!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "-v" | "--verbose" => verbose = true,
            "--text" => format = Format::Text,
            "--xml" => format = Format::Xml,
            "--json" => format = Format::Json,
            s if s.starts_with('-') && s.len() > 1 => {
                eprintln!("portolan diff: unknown option '{s}'\n{USAGE}");
                return ExitCode::from(2);
            }
            _ => operands.push(a),
        }
    }
    let [a, b] = operands.as_slice() else {
        eprintln!("portolan diff: need exactly two scans to compare, got {}\n{USAGE}", operands.len());
        return ExitCode::from(2);
    };
    let (ra, rb) = match load_operands(a, b, history) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("portolan diff: {e}");
            return ExitCode::from(2);
        }
    };
    let d = diff::diff(&ra, &rb);
    let out = match format {
        Format::Text => diff::render_text(&d, verbose),
        Format::Xml => diff::render_xml(&d, verbose),
        Format::Json => match diff::render_json(&d) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("portolan diff: cannot write JSON: {e}");
                return ExitCode::from(2);
            }
        },
    };
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()) {
        // A closed pipe (`| head`) is not the comparison's fault, but the output is incomplete.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("portolan diff: cannot write the output: {e}");
        }
        return ExitCode::from(2);
    }
    if d.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// Whether an operand names a history scan: no such file, and a number.
fn is_scan_id(operand: &str) -> bool {
    !Path::new(operand).exists() && !operand.is_empty() && operand.bytes().all(|b| b.is_ascii_digit())
}

/// Loads both operands, opening the history (once) only when one of them is a scan id.
pub fn load_operands(a: &str, b: &str, history: Option<&str>) -> Result<(ScanReport, ScanReport), String> {
    let ids: Vec<&str> = [a, b].into_iter().filter(|o| is_scan_id(o)).collect();
    let mut from_history = if ids.is_empty() { Vec::new() } else { history_reports(&ids, history)? }.into_iter();
    let mut load = |o: &str| if is_scan_id(o) { from_history.next().ok_or_else(|| "internal: scan missing".to_owned()) } else { load_file(Path::new(o)) };
    let ra = load(a)?;
    let rb = load(b)?;
    Ok((ra, rb))
}

/// Resolves history scan ids (`portolan diff 12 15`) to their reports, in order. The history must exist
/// already: diffing never creates an empty one.
pub fn history_reports(ids: &[&str], history: Option<&str>) -> Result<Vec<ScanReport>, String> {
    let loc = Location::resolve(history)
        .map_err(|e| format!("history: {e}"))?
        .ok_or_else(|| format!("'{}' is not a file, and the history is turned off (PORTOLAN_HISTORY)", ids[0]))?;
    if let Some(p) = loc.path.as_ref().filter(|p| !p.exists()) {
        return Err(format!("'{}' is not a file, and there is no scan history at {}", ids[0], p.display()));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(async {
        let store = Store::open_location(loc).await.map_err(|e| format!("history: {e}"))?;
        let mut out = Vec::with_capacity(ids.len());
        let mut result = Ok(());
        for id in ids {
            let n: i64 = match id.parse() {
                Ok(n) => n,
                Err(_) => {
                    result = Err(format!("'{id}' is not a scan id"));
                    break;
                }
            };
            match store.report(n).await {
                Ok(r) => out.push(r),
                Err(e) => {
                    result = Err(format!("history scan {id}: {e}"));
                    break;
                }
            }
        }
        store.close().await;
        result.map(|()| out)
    })
}

/// Reads an XML (`-oX`) or JSON (`-oJ`) report file; errors name the file and, for XML, the line and column.
pub fn load_file(path: &Path) -> Result<ScanReport, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| format!("{shown}: not UTF-8 text: {e}"))?;
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with('{') {
        serde_json::from_str::<ScanReport>(body).map_err(|e| format!("{shown}: not a Portolan JSON report: {e}"))
    } else {
        xml_reader::read(&text).map_err(|e| format!("{shown}: {e}"))
    }
}

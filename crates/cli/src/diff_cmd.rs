//! `portolan diff A B [--text|--xml|--json] [-v]`: compares two scans as Nmap's `ndiff` does. A and B are
//! files: Nmap's or Portolan's XML (`-oX`), or Portolan's JSON (`-oJ`). Exit status as `ndiff`'s: 0 when
//! the scans are equal, 1 when they differ, 2 on error.

use portolan_model::ScanReport;
use portolan_report::{diff, xml_reader};
use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "\
Usage: portolan diff [option] A B
Compare two scans and display their differences (hosts, ports, services, OS guesses, script output,
host names and addresses), in the manner of Nmap's ndiff.
A and B are files: Nmap or Portolan XML (-oX) or Portolan JSON (-oJ).

  -h, --help     display this help
  -v, --verbose  also show hosts and ports that haven't changed
  --text         display output in text format (default)
  --xml          display output in XML format
  --json         display output as JSON

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
    for a in args {
        match a.as_str() {
            _ if only_operands => operands.push(a),
            "--" => only_operands = true,
            "-h" | "--help" => {
                print!("{USAGE}");
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
    let (ra, rb) = match (load_operand(a), load_operand(b)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => {
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

/// Loads one operand: a file path, or — when no such file exists and the operand is a number — a scan id
/// of the history store.
pub fn load_operand(operand: &str) -> Result<ScanReport, String> {
    let path = Path::new(operand);
    if !path.exists() && !operand.is_empty() && operand.bytes().all(|b| b.is_ascii_digit()) {
        return history_report(operand);
    }
    load_file(path)
}

/// HOOK for the history store: resolves a scan id (`portolan diff 12 15`) to its report. The store crate
/// is not wired into the CLI yet, so this names what is missing instead of guessing.
pub fn history_report(id: &str) -> Result<ScanReport, String> {
    Err(format!(
        "'{id}' is not a file, and loading scan {id} from the history store is not available in this build"
    ))
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

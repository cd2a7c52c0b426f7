//! `portolan map SCAN... [-o FILE] [--layout radial|force] [--json FILE]`: draws the network topology of one
//! or more saved scans (Nmap's or Portolan's XML `-oX`, or Portolan's JSON `-oJ`) as an SVG: the scanner at the
//! centre, routers and silent hops from `--traceroute`, hosts on rings by hop count. Several scans are merged
//! into one map. Exit status: 0 when the map was written, 2 on any error (bad option, unreadable or invalid
//! scan file, cannot write the output).

use portolan_topology::{LayoutKind, MapView, TopologyGraph, layout, svg};
use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "\
Usage: portolan map [options] SCAN [SCAN ...]
Draw the network topology found by one or more scans (run them with --traceroute) as an SVG image.
SCAN is a file written with -oX (Nmap or Portolan XML) or -oJ (Portolan JSON); several scans are merged
into one map.

  -o, --output FILE       write the SVG to FILE (default: standard output; '-' is standard output)
  --layout radial|force   radial (default): rings by hop count around the scanner;
                          force: a force-directed layout, for meshes
  --json FILE             also write the laid-out map (nodes, edges, positions) as JSON
  -h, --help              display this help

Exit status: 0 when the map was written, 2 on error.
";

/// Runs the subcommand on the words after `map`.
pub fn main(args: &[String]) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_empty() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portolan map: {e}");
            ExitCode::from(2)
        }
    }
}

/// `Err("")` means help was printed.
fn run(args: &[String]) -> Result<(), String> {
    let mut output: Option<&str> = None;
    let mut json_out: Option<&str> = None;
    let mut kind = LayoutKind::Radial;
    let mut scans: Vec<&str> = Vec::new();
    let mut only_operands = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().map(String::as_str).ok_or_else(|| format!("{name} needs a value\n{USAGE}"));
        match a.as_str() {
            _ if only_operands => scans.push(a),
            "--" => only_operands = true,
            "-h" | "--help" => {
                out!("{USAGE}");
                return Err(String::new());
            }
            "-o" | "--output" => output = Some(value(a)?),
            "--json" => json_out = Some(value(a)?),
            "--layout" => kind = value(a)?.parse().map_err(|e| format!("--layout: {e}"))?,
            s if s.starts_with("--layout=") => {
                kind = s["--layout=".len()..].parse().map_err(|e| format!("--layout: {e}"))?;
            }
            s if s.starts_with('-') && s.len() > 1 => return Err(format!("unknown option '{s}'\n{USAGE}")),
            _ => scans.push(a),
        }
    }
    if scans.is_empty() {
        return Err(format!("no scan file given\n{USAGE}"));
    }
    let mut graph = TopologyGraph::new();
    for s in &scans {
        let report = crate::diff_cmd::load_file(Path::new(s))?;
        graph.merge(&report);
    }
    let laid = layout::compute(&graph, kind);
    let view = MapView::new(&graph, &laid);
    let text = svg::render(&view);
    write_out(output.unwrap_or("-"), &text)?;
    if let Some(j) = json_out {
        let body = serde_json::to_string_pretty(&view).map_err(|e| format!("cannot encode the map as JSON: {e}"))?;
        write_out(j, &body)?;
    }
    Ok(())
}

fn write_out(path: &str, text: &str) -> Result<(), String> {
    if path == "-" {
        // A closed pipe ends the process quietly (141), as for the other subcommands.
        crate::out::write(text);
        return Ok(());
    }
    std::fs::write(path, text).map_err(|e| format!("{path}: cannot write: {e}"))
}

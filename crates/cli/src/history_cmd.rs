//! `portolan history`: list, show, search, import, export, delete and prune the scan history.
//!
//! Exit status 0 when the command did what it was asked, 1 with a message on standard error otherwise
//! (including usage errors). Importing parses every file first and stores them in one transaction: a bad
//! file (truncated, not XML, an XML bomb) names the file, line and column, and nothing is imported.

use portolan_model::ScanReport;
use portolan_report::{RenderOptions, json, normal, xml, xml_reader};
use portolan_store::{Import, Location, Prune, ScanSummary, Store, search};
use std::process::ExitCode;

/// Largest file `import` reads (a 100,000-host Nmap XML file is about 100 MB).
const MAX_IMPORT_BYTES: u64 = 1 << 30;

fn usage() -> String {
    format!(
        "\
Usage: portolan history [--history PATH|URL] COMMAND ...
Commands:
  list [--limit N] [--offset N] [--json]    scans, newest first (--offset skips that many: paging)
  show ID [--json]                          one scan: summary and hosts (Nmap's normal output)
  search QUERY... [--limit N] [--json]      hosts and scans matching the query (below)
  import FILE...                            Nmap XML or Portolan JSON (-oJ) files, all or nothing
  export ID [-o FILE] [--format xml|json]   the scan as Nmap XML (default) or Portolan JSON
  delete ID                                 remove one scan
  prune (--before DATE | --keep N)          remove scans started before DATE, or all but the newest N
The history is --history, else $PORTOLAN_HISTORY, else {} (SQLite).
A PostgreSQL history is a URL: postgres://user:password@host/database.

{}",
        portolan_store::default_path().map(|p| p.display().to_string()).unwrap_or_else(|_| "the user's data directory".into()),
        search::HELP
    )
}

struct Cli {
    history: Option<String>,
    json: bool,
    limit: i64,
    offset: i64,
    output: Option<String>,
    format: Option<String>,
    before: Option<String>,
    keep: Option<i64>,
    words: Vec<String>,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("portolan history: {msg}");
    ExitCode::from(1)
}

fn parse(args: &[String]) -> Result<Cli, String> {
    let mut c = Cli { history: None, json: false, limit: 100, offset: 0, output: None, format: None, before: None, keep: None, words: Vec::new() };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--history" => c.history = Some(val("--history")?),
            "--json" => c.json = true,
            "--limit" => c.limit = val("--limit")?.parse().ok().filter(|n| *n > 0).ok_or("--limit needs a positive number")?,
            "--offset" => c.offset = val("--offset")?.parse().ok().filter(|n| *n >= 0).ok_or("--offset needs a number")?,
            "-o" | "--output" => c.output = Some(val("-o")?),
            "--format" => c.format = Some(val("--format")?),
            "--before" => c.before = Some(val("--before")?),
            "--keep" => c.keep = Some(val("--keep")?.parse().ok().filter(|n| *n >= 0).ok_or("--keep needs a number")?),
            "--" => c.words.extend(it.by_ref().cloned()),
            s if s.starts_with("--history=") => c.history = Some(s["--history=".len()..].to_owned()),
            s if s.starts_with("--") && s.len() > 2 => return Err(format!("unknown option {s}")),
            _ => c.words.push(a.clone()),
        }
    }
    Ok(c)
}

pub fn main(args: &[String]) -> ExitCode {
    if args.is_empty() || args.iter().any(|a| a == "-h" || a == "--help") || args[0] == "help" {
        out!("{}", usage());
        return if args.is_empty() { ExitCode::from(1) } else { ExitCode::SUCCESS };
    }
    let cli = match parse(args) {
        Ok(c) => c,
        Err(e) => return fail(format!("{e} (see portolan history --help)")),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

async fn open(cli: &Cli) -> Result<Store, String> {
    let loc = location(cli)?;
    Store::open_location(loc).await.map_err(|e| e.to_string())
}

fn location(cli: &Cli) -> Result<Location, String> {
    Location::resolve(cli.history.as_deref()).map_err(|e| e.to_string())?.ok_or_else(|| {
        format!("history is turned off by {}; pass --history PATH|URL", portolan_store::HISTORY_ENV)
    })
}

/// Reading commands never create a history file: `None` when the SQLite file does not exist yet.
async fn open_existing(cli: &Cli) -> Result<Option<Store>, String> {
    let loc = location(cli)?;
    if loc.path.as_ref().is_some_and(|p| !p.exists()) {
        return Ok(None);
    }
    Store::open_location(loc).await.map(Some).map_err(|e| e.to_string())
}

fn no_history(cli: &Cli) -> String {
    let place = location(cli).map(|l| l.display()).unwrap_or_default();
    format!("no scan history at {place} yet")
}

fn id_arg(words: &[String]) -> Result<i64, String> {
    match words {
        [id] => id.parse().map_err(|_| format!("{id:?} is not a scan id")),
        [] => Err("a scan id is needed".into()),
        _ => Err(format!("one scan id expected, got {}", words.len())),
    }
}

async fn dispatch(mut cli: Cli) -> Result<(), String> {
    let cmd = cli.words.remove(0);
    match cmd.as_str() {
        "list" => {
            no_words(&cli)?;
            let scans = match open_existing(&cli).await? {
                Some(store) => store.list(cli.limit, cli.offset).await.map_err(|e| e.to_string())?,
                None => Vec::new(),
            };
            if cli.json {
                outln!("{}", serde_json::to_string_pretty(&scans).map_err(|e| e.to_string())?);
            } else {
                print_scans(&scans);
            }
        }
        "show" => {
            let id = id_arg(&cli.words)?;
            let store = open_existing(&cli).await?.ok_or_else(|| no_history(&cli))?;
            let s = store.scan(id).await.map_err(|e| e.to_string())?;
            let report = store.report(id).await.map_err(|e| e.to_string())?;
            if cli.json {
                let v = serde_json::json!({ "scan": s, "report": report });
                outln!("{}", serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?);
            } else {
                print_scans(std::slice::from_ref(&s));
                outln!();
                let opts = RenderOptions::for_report(&report);
                for h in &report.hosts {
                    out!("{}", normal::host(h, &opts));
                }
            }
        }
        "search" => {
            let text = cli.words.join(" ");
            // Parse before opening, so a bad query fails without touching any database.
            search::parse(&text).map_err(|e| format!("bad query {text:?}: {e}"))?;
            let store = open_existing(&cli).await?.ok_or_else(|| no_history(&cli))?;
            let r = store.search(&text, cli.limit).await.map_err(|e| e.to_string())?;
            if cli.json {
                outln!("{}", serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?);
            } else {
                outln!("{} host(s){} in {} scan(s)", r.hosts.len(), if r.truncated { " (more not shown; raise --limit)" } else { "" }, r.scans.len());
                for h in &r.hosts {
                    let names = if h.hostnames.is_empty() { String::new() } else { format!(" ({})", sanitize(&h.hostnames.join(", "))) };
                    outln!(
                        "  scan {:>5}  {}  {}{}  {}  {}",
                        h.scan_id,
                        when(h.scan_started),
                        h.ip.as_deref().unwrap_or("-"),
                        names,
                        h.state,
                        h.open_ports.join(",")
                    );
                }
                if !r.scans.is_empty() {
                    outln!();
                    print_scans(&r.scans);
                }
            }
        }
        "import" => {
            if cli.words.is_empty() {
                return Err("import needs at least one file".into());
            }
            let mut items = Vec::new();
            for f in &cli.words {
                items.push(read_file(f)?);
            }
            let store = open(&cli).await?;
            let ids = store.import(&items).await.map_err(|e| format!("nothing imported: {e}"))?;
            for (f, (id, it)) in cli.words.iter().zip(ids.iter().zip(&items)) {
                outln!("imported {f} as scan {id} ({} hosts)", it.report.hosts.len());
            }
        }
        "export" => {
            let id = id_arg(&cli.words)?;
            let format = cli.format.clone().unwrap_or_else(|| match &cli.output {
                Some(o) if o.ends_with(".json") => "json".into(),
                _ => "xml".into(),
            });
            if format != "xml" && format != "json" {
                return Err(format!("unknown format {format:?} (xml or json)"));
            }
            let store = open_existing(&cli).await?.ok_or_else(|| no_history(&cli))?;
            let report = store.report(id).await.map_err(|e| e.to_string())?;
            let text = if format == "json" {
                json::render(&report).map_err(|e| e.to_string())?
            } else {
                let opts = RenderOptions::for_report(&report);
                xml::render(&report, &opts)
            };
            match cli.output.as_deref() {
                None | Some("-") => out!("{text}"),
                Some(path) => std::fs::write(path, text).map_err(|e| format!("cannot write {path}: {e}"))?,
            }
        }
        "delete" => {
            let id = id_arg(&cli.words)?;
            let store = open_existing(&cli).await?.ok_or_else(|| no_history(&cli))?;
            if !store.delete(id).await.map_err(|e| e.to_string())? {
                return Err(format!("no scan with id {id} in the history"));
            }
            outln!("deleted scan {id}");
        }
        "prune" => {
            no_words(&cli)?;
            let before = match &cli.before {
                Some(d) => Some(parse_before(d)?),
                None => None,
            };
            if before.is_none() && cli.keep.is_none() {
                return Err("prune needs --before DATE or --keep N".into());
            }
            let store = open_existing(&cli).await?.ok_or_else(|| no_history(&cli))?;
            let n = store.prune(Prune { before, keep: cli.keep }).await.map_err(|e| e.to_string())?;
            outln!("deleted {n} scan(s)");
        }
        other => return Err(format!("unknown command {other:?} (see portolan history --help)")),
    }
    Ok(())
}

fn no_words(cli: &Cli) -> Result<(), String> {
    match cli.words.first() {
        Some(w) => Err(format!("unexpected argument {w:?}")),
        None => Ok(()),
    }
}

/// A date in the search language's syntax (`2024-05-01`, `2024-05-01T13:00`, `30d` ago).
fn parse_before(d: &str) -> Result<i64, String> {
    let q = search::parse(&format!("before:{d}")).map_err(|e| format!("--before: {}", e.message))?;
    match q.terms.first().map(|t| &t.filter) {
        Some(search::Filter::Before(v)) => {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
            Ok(if *v < 0 { now - (-v - 1) } else { *v })
        }
        _ => Err(format!("--before: {d:?} is not a date")),
    }
}

/// Reads one file to import: Portolan JSON when it starts with `{`, else Nmap XML.
fn read_file(path: &str) -> Result<Import, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{path}: {e}"))?;
    if meta.len() > MAX_IMPORT_BYTES {
        return Err(format!("{path}: {} bytes is more than the {} a history import accepts", meta.len(), MAX_IMPORT_BYTES));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!("{path}: not a text file (invalid UTF-8 at byte {}): neither Nmap XML nor Portolan JSON", e.utf8_error().valid_up_to())
    })?;
    let body = text.trim_start_matches('\u{feff}').trim_start();
    let (report, source): (ScanReport, &str) = if body.starts_with('{') {
        let r = serde_json::from_str(body).map_err(|e| format!("{path}: JSON error at line {}, column {}: {e}", e.line(), e.column()))?;
        (r, "portolan-json")
    } else if body.starts_with('<') {
        let r = xml_reader::read(&text).map_err(|e| format!("{path}: {e}"))?;
        (r, "nmap-xml")
    } else {
        return Err(format!("{path}: neither Nmap XML nor Portolan JSON (it starts with neither '<' nor '{{')"));
    };
    Ok(Import { report, source: source.into(), file: Some(path.to_owned()) })
}

fn when(t: i64) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_opt(t, 0) {
        chrono::LocalResult::Single(d) => d.format("%Y-%m-%d %H:%M").to_string(),
        _ => t.to_string(),
    }
}

/// Text from scanned hosts or imported files may hold control characters; never send them to a terminal raw.
fn sanitize(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

fn print_scans(scans: &[ScanSummary]) {
    outln!("{:>5}  {:<16}  {:<11}  {:>9}  {:>5}  {:<13}  COMMAND", "ID", "STARTED", "STATUS", "UP/TOTAL", "OPEN", "SOURCE");
    for s in scans {
        let mut args = sanitize(&s.args);
        if args.chars().count() > 60 {
            args = args.chars().take(57).collect::<String>() + "...";
        }
        outln!(
            "{:>5}  {:<16}  {:<11}  {:>9}  {:>5}  {:<13}  {}",
            s.id,
            when(s.started),
            s.status.as_str(),
            format!("{}/{}", s.hosts_up, s.hosts_total.max(s.hosts_up + s.hosts_down)),
            s.open_ports,
            s.source,
            args
        );
    }
}

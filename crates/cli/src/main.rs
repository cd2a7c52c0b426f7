//! The `portolan` command: parse Nmap-style options into a plan, run the session, map the outcome to an exit
//! status (0 done, 1 runtime failure, 2 bad usage, 130 interrupted).

use portolan_cli::options::{ParseOutcome, help_text, parse_args};
use std::process::ExitCode;

#[macro_use]
mod out;
mod diff_cmd;
mod history_cmd;
mod map_cmd;

fn main() -> ExitCode {
    // Arguments must be text: a non-UTF-8 word is refused with a message instead of a panic.
    let mut args: Vec<String> = Vec::new();
    for a in std::env::args_os().skip(1) {
        match a.into_string() {
            Ok(s) => args.push(s),
            Err(raw) => {
                eprintln!("portolan: argument {raw:?} is not valid UTF-8");
                return ExitCode::from(2);
            }
        }
    }
    if args.first().map(String::as_str) == Some("history") {
        return history_cmd::main(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("diff") {
        return diff_cmd::main(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("map") {
        return map_cmd::main(&args[1..]);
    }
    // `--parse-only` prints the validated plan and its canonical command line without scanning; the desktop
    // app uses it to check what the user typed with exactly the parser the CLI uses.
    let parse_only = args.iter().any(|a| a == "--parse-only");
    args.retain(|a| a != "--parse-only");

    let plan = match parse_args(&args) {
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(e.exit_code().clamp(1, 255) as u8);
        }
        Ok(ParseOutcome::Help) => {
            out!("{}", help_text());
            return ExitCode::SUCCESS;
        }
        Ok(ParseOutcome::Version) => {
            outln!("Portolan version {} (an Nmap-compatible network mapper)", env!("CARGO_PKG_VERSION"));
            outln!("Licence: MIT OR Apache-2.0");
            return ExitCode::SUCCESS;
        }
        Ok(ParseOutcome::Iflist) => {
            return match portolan_netio::iflist() {
                Ok(text) => {
                    out!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("portolan: --iflist: cannot list the interfaces and routes: {e}");
                    ExitCode::from(1)
                }
            };
        }
        Ok(ParseOutcome::Plan(plan)) => plan,
    };
    if parse_only {
        // What the scan would do with this process's privileges: the desktop app shows the notices (a raw
        // scan falling back to connect) and refuses to start a scan that `blocked` names, offering -sT.
        let privileges = portolan_netio::raw_privileges();
        let (notices, blocked) = match portolan_engine::raw_scan::choose_techniques(&plan) {
            Ok(t) => (t.notices, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        let out = serde_json::json!({
            "plan": plan,
            "command_line": plan.to_args(),
            "raw_privileges": privileges.can_raw(),
            "privileges_note": privileges.explain(),
            "notices": notices,
            "blocked": blocked,
        });
        outln!("{out}");
        return ExitCode::SUCCESS;
    }

    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("PORTOLAN_LOG"))
        .with_writer(std::io::stderr)
        .init();

    // `--stream-json` only chooses how results reach the caller (the desktop app passes it to every scan); the
    // command line printed in outputs and stored in the history is the scan the user asked for.
    let command_line = std::iter::once("portolan".to_owned())
        .chain(args.iter().filter(|a| *a != "--stream-json").cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("portolan: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let opts = portolan_session::SessionOptions { command_line, progress: true, stdout: true };
    match runtime.block_on(portolan_session::run(plan, opts)) {
        Ok(outcome) if outcome.interrupted => ExitCode::from(130),
        Ok(_) => ExitCode::SUCCESS,
        Err(portolan_session::SessionError::Engine(e)) => {
            eprintln!("portolan: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("portolan: {e}");
            ExitCode::from(1)
        }
    }
}

//! Start a scenario, run one command in its scanner namespace, tear the lab down.
//!
//! `cargo run -p portolan-testkit --example lab_run -- connect-basic nmap -sT -p 1-1000 {addr:target}`
//! The first argument is a name under tests/scenarios or a path to a .toml file; `{addr:NS}` in the command
//! becomes the first address of namespace NS.

use std::process::ExitCode;

use portolan_testkit::{Lab, Scenario};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((which, cmd)) = args.split_first().filter(|(_, c)| !c.is_empty()) else {
        eprintln!("usage: lab_run <scenario name or file.toml> <command> [args...]");
        return ExitCode::from(2);
    };
    let scenario = if which.ends_with(".toml") {
        Scenario::load(which)
    } else {
        Scenario::named(which)
    };
    let lab = match scenario.and_then(|s| Lab::start(&s)) {
        Ok(lab) => lab,
        Err(e) => {
            eprintln!("lab_run: {e}");
            return ExitCode::from(2);
        }
    };
    let mut argv = Vec::new();
    for a in cmd {
        let mut a = a.clone();
        for ns in lab.scenario().namespace_names() {
            let key = format!("{{addr:{ns}}}");
            if a.contains(&key) {
                match lab.addr(ns) {
                    Ok(ip) => a = a.replace(&key, &ip.to_string()),
                    Err(e) => {
                        eprintln!("lab_run: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
        }
        argv.push(a);
    }
    let status = match lab.command(lab.scanner(), &argv[0]) {
        Ok(mut c) => c.args(&argv[1..]).status(),
        Err(e) => {
            eprintln!("lab_run: {e}");
            return ExitCode::from(2);
        }
    };
    drop(lab);
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("lab_run: {e}");
            ExitCode::from(2)
        }
    }
}

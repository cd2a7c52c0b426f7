//! Where events go: the terminal (normal output or JSON lines), the progress line, and output files.

use crate::SessionError;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use portolan_model::{EventBody, ScanEvent, ScanPlan, ScanReport};
use portolan_report::{Folder, RenderOptions, grepable, json, normal, xml};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

pub(crate) struct Sinks {
    render: RenderOptions,
    stdout_normal: bool,
    /// `-oX -`, `-oG -`, `-oJ -`: that format goes to standard output at the end instead of normal output.
    stdout_format: Option<Format>,
    stdout_json: bool,
    progress: Option<ProgressBar>,
    files: Files,
    /// Hosts printed so far that have a traceroute (only those can share hops with a later one).
    traced: Vec<portolan_model::HostReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Xml,
    Grepable,
    Json,
}

struct Files {
    normal: Option<PathBuf>,
    xml: Option<PathBuf>,
    grepable: Option<PathBuf>,
    json: Option<PathBuf>,
    append: bool,
}

impl Sinks {
    pub(crate) fn open(plan: &ScanPlan, opts: &crate::SessionOptions) -> Result<Sinks, SessionError> {
        let o = &plan.outputs;
        let files = Files {
            normal: o.normal_path().filter(|p| p.as_os_str() != "-"),
            xml: o.xml_path().filter(|p| p.as_os_str() != "-"),
            grepable: o.grepable_path().filter(|p| p.as_os_str() != "-"),
            json: o.json.clone().filter(|p| p.as_os_str() != "-"),
            append: o.append,
        };
        // Fail before scanning when an output file cannot be created, as Nmap does.
        for p in [&files.normal, &files.xml, &files.grepable, &files.json].into_iter().flatten() {
            open_file(p, files.append)?;
        }
        let progress = (opts.progress && !o.stream_json && std::io::stderr().is_terminal()).then(|| {
            let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(4));
            pb.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {percent}% ETA {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            pb
        });
        let dash = |p: &Option<PathBuf>| p.as_ref().is_some_and(|p| p.as_os_str() == "-");
        let stdout_format = if dash(&o.xml) {
            Some(Format::Xml)
        } else if dash(&o.grepable) {
            Some(Format::Grepable)
        } else if dash(&o.json) {
            Some(Format::Json)
        } else {
            None
        };
        Ok(Sinks {
            // Nmap counts every -d as one more -v as well.
            render: RenderOptions {
                reason: plan.reason,
                open_only: plan.open_only,
                verbose: plan.verbosity.saturating_add(plan.debug),
                debug: plan.debug,
                osscan_guess: plan.os.guess,
                version_scan: plan.service_detection,
                from_nmap: false,
            },
            stdout_format: stdout_format.filter(|_| opts.stdout && !o.stream_json),
            stdout_normal: opts.stdout && !o.stream_json && stdout_format.is_none(),
            stdout_json: opts.stdout && o.stream_json,
            progress,
            files,
            traced: Vec::new(),
        })
    }

    fn print(&self, text: &str) {
        let write = || {
            let mut out = std::io::stdout().lock();
            // A closed stdout (e.g. `| head`) must not abort the scan or lose the files.
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        };
        match &self.progress {
            Some(pb) => pb.suspend(write),
            None => write(),
        }
    }

    pub(crate) fn event(&mut self, ev: &ScanEvent, folder: &Folder) -> Result<(), SessionError> {
        if self.stdout_json {
            let line = serde_json::to_string(ev).unwrap_or_default();
            self.print(&(line + "\n"));
        }
        match &ev.body {
            EventBody::ScanStarted { .. } if self.stdout_normal => {
                self.print(&normal::header(&folder.report()));
            }
            EventBody::HostFinished { addr, .. } if self.stdout_normal => {
                if let Some(h) = folder.host(*addr) {
                    // Traceroute paths shared with a host printed before are collapsed, as in the file.
                    self.print(&normal::host_after(&h, &self.traced, &self.render));
                    if h.trace.is_some() {
                        self.traced.push(h);
                    }
                }
            }
            EventBody::Warning { message } if !self.stdout_json => {
                let text = format!("Warning: {message}\n");
                match &self.progress {
                    Some(pb) => pb.suspend(|| eprint!("{text}")),
                    None => eprint!("{text}"),
                }
            }
            EventBody::Trace { line } if self.stdout_normal => {
                // Nothing in a trace line comes from the network except numbers and addresses we parsed.
                self.print(&format!("{line}\n"));
            }
            EventBody::Progress { done, total, hosts_up, open_ports, phase, .. } => {
                if let Some(pb) = &self.progress {
                    pb.set_length(*total);
                    pb.set_position(*done);
                    pb.set_message(format!("{phase}: {hosts_up} hosts up, {open_ports} open ports"));
                }
            }
            EventBody::Finished { .. } => {
                if let Some(pb) = self.progress.take() {
                    pb.finish_and_clear();
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn finish(&mut self, report: &ScanReport) -> Result<(), SessionError> {
        if self.stdout_normal {
            self.print(&normal::footer(report));
        }
        match self.stdout_format {
            Some(Format::Xml) => self.print(&xml::render(report, &self.render)),
            Some(Format::Grepable) => self.print(&grepable::render(report, &self.render)),
            Some(Format::Json) => self.print(&(json::render(report).unwrap_or_default() + "\n")),
            None => {}
        }
        let f = &self.files;
        if let Some(p) = &f.normal {
            write_file(p, f.append, &normal::render_file(report, &self.render))?;
        }
        if let Some(p) = &f.xml {
            write_file(p, f.append, &xml::render(report, &self.render))?;
        }
        if let Some(p) = &f.grepable {
            write_file(p, f.append, &grepable::render(report, &self.render))?;
        }
        if let Some(p) = &f.json {
            let text = json::render(report)
                .map_err(|e| SessionError::Write { path: p.display().to_string(), err: std::io::Error::other(e) })?;
            write_file(p, f.append, &text)?;
        }
        Ok(())
    }
}

fn open_file(p: &Path, append: bool) -> Result<std::fs::File, SessionError> {
    let mut o = std::fs::OpenOptions::new();
    o.create(true);
    if append {
        o.append(true);
    } else {
        o.write(true);
    }
    o.open(p).map_err(|err| SessionError::Write { path: p.display().to_string(), err })
}

fn write_file(p: &Path, append: bool, text: &str) -> Result<(), SessionError> {
    let mut o = std::fs::OpenOptions::new();
    o.create(true);
    if append {
        o.append(true);
    } else {
        o.write(true).truncate(true);
    }
    o.open(p)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|err| SessionError::Write { path: p.display().to_string(), err })
}

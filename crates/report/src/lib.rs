//! # portolan-report
//!
//! Everything between the event stream and the user's eyes or files: [`fold()`] turns [`ScanEvent`]s into a
//! [`ScanReport`] (the one fold used everywhere), the writers render a report in Nmap's normal
//! ([`normal`]), XML ([`xml`]) and grepable ([`grepable`]) layouts and as JSON ([`json`]), and
//! [`xml_reader`] loads Nmap's (and our) XML files back into a [`ScanReport`]; [`diff`] compares two
//! reports (and follows hosts across many) in the manner of Nmap's `ndiff`; [`export`] writes CSV, Markdown
//! and HTML for people and other tools.
//!
//! Invariants:
//! - Writers are pure functions of a report and [`RenderOptions`]: no I/O, no clock, so output is
//!   reproducible (times shown are the report's times, rendered in the local time zone as Nmap does).
//! - Which ports are listed and which are summarised ("Not shown", `<extraports>`, "Ignored State") is
//!   decided in one place (`layout`), so the normal, XML and grepable outputs always agree.
//! - Every string that may have come from the network is sanitised (control characters become `\xHH`) and,
//!   in XML, escaped; the XML stays well-formed and valid against Nmap's DTD whatever the strings hold.
//! - No panics on any input: the XML reader reports malformed input as an error with line and column.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod diff;
pub mod export;
pub mod fold;
pub mod grepable;
pub mod json;
mod layout;
pub mod normal;
mod text;
pub mod xml;
pub mod xml_reader;

pub use fold::{Folder, fold};
pub use xml_reader::XmlReadError;

#[doc(no_inline)]
pub use portolan_model::{ScanEvent, ScanReport};

/// What the user asked the output to show (Nmap's `--reason`, `--open`, `-v`, `-d`).
///
/// `verbose` is counted as Nmap counts it: every `-d` also raises the verbosity by one (Nmap's XML
/// `<verbose level>` is this number), so `-d` alone means `verbose: 1, debug: 1`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// `--reason`: a REASON column and "received ..." on host lines.
    pub reason: bool,
    /// `--open`: only hosts with, and only ports in, a state that may be open (open, open|filtered,
    /// unfiltered).
    pub open_only: bool,
    pub verbose: u8,
    pub debug: u8,
    /// `--osscan-guess` / `--fuzzy`: print close OS matches ("Aggressive OS guesses").
    pub osscan_guess: bool,
    /// Version detection ran (`-sV`): a VERSION column, "?" after names it could not confirm, and the
    /// fingerprints of services that answered but matched nothing.
    pub version_scan: bool,
    /// The report came from Nmap (its submission page is named in the unrecognized-services block).
    pub from_nmap: bool,
}

impl RenderOptions {
    /// The options a saved report was made with, as far as its header tells (verbosity, debugging, and
    /// `--reason`, `--open`, `--osscan-guess` from its command line): how to print a file the way the scan
    /// printed it.
    pub fn for_report(report: &portolan_model::ScanReport) -> RenderOptions {
        let has = |opt: &str| report.args.split_whitespace().any(|w| w == opt);
        RenderOptions {
            reason: has("--reason"),
            open_only: has("--open"),
            verbose: report.verbose,
            debug: report.debugging,
            osscan_guess: has("--osscan-guess") || has("--fuzzy"),
            version_scan: has("-A")
                || report.args.split_whitespace().any(|w| {
                    w.strip_prefix("-s").is_some_and(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphabetic()) && l.contains('V'))
                })
                || report.hosts.iter().flat_map(|h| &h.ports).any(|p| {
                    p.service.as_ref().is_some_and(|s| s.method == "probed" || s.fingerprint.is_some())
                }),
            from_nmap: report.scanner.eq_ignore_ascii_case("nmap"),
        }
    }

    /// Nmap shows reasons with `--reason`, at `-vv` and with any `-d`.
    pub fn show_reason(&self) -> bool {
        self.reason || self.verbose >= 2 || self.debug >= 1
    }

    /// A state with more than this many ports is summarised instead of listed. Measured against Nmap 7.93:
    /// 25 at the default level, 25 more per `-v`, 500 more per `-d` (on top of the `-v` that `-d` implies).
    pub fn max_listed_per_state(&self) -> u64 {
        25 * (1 + u64::from(self.verbose)) + 500 * u64::from(self.debug)
    }
}

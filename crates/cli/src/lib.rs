//! # portolan-cli
//!
//! The `portolan` command. This library half holds what the desktop app and tests may reuse without running
//! a scan: the Nmap-syntax option parser ([`options`]), which turns argv into a validated
//! [`portolan_model::ScanPlan`]. Invariant: every option of `nmap --help` is either implemented or refused by
//! name with exit status 2; none is silently ignored.
pub mod options;

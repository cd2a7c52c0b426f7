//! Portolan's databases and matchers: the services/ports table and the UDP scan payloads today, later
//! service probes, OS fingerprints and MAC vendor prefixes. Each database is read from Nmap's file format,
//! so the same parser serves Portolan's own files (in `data/`, embedded at build time) and, when the user
//! opts in with `--datadir`, Nmap's.
//!
//! Invariants:
//! - No network I/O. The only I/O is reading a database file the caller names (`load`, `load_from_datadir`);
//!   the built-in databases need none.
//! - Database text is untrusted input: a bad line is an error naming the file, the line number and what is
//!   wrong, never a panic.
//! - Lookups are deterministic: "top N" orders by frequency descending, ties by port ascending, which is
//!   also how Nmap orders `--top-ports`.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod payloads;
pub mod services;

pub use payloads::{PayloadError, PayloadProblem, UdpPayloads};
pub use services::{LineProblem, ServiceEntry, ServicesDb, ServicesError};

//! Portolan's databases and matchers: the services/ports table, the UDP scan payloads, the service
//! probes of version detection (`-sV`) with their matcher, and the OS fingerprints of `-O` with their
//! format and scoring; later MAC vendor prefixes. Each database is read from Nmap's file format, so the same parser serves Portolan's own
//! files (in `data/`, embedded at build time) and, when the user opts in with `--datadir`, Nmap's.
//!
//! Invariants:
//! - No network I/O. The only I/O is reading a database file the caller names (`load`, `load_from_datadir`);
//!   the built-in databases need none.
//! - Database text is untrusted input: a bad line is an error naming the file, the line number and what is
//!   wrong, never a panic.
//! - Lookups are deterministic: "top N" orders by frequency descending, ties by port ascending, which is
//!   also how Nmap orders `--top-ports`.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod os;
pub mod payloads;
pub mod probes;
pub mod services;

pub use payloads::{PayloadError, PayloadProblem, UdpPayloads};
pub use probes::{ProbeDb, ProbeError, ProbeProblem, ProbeProtocol, ServiceMatch};
pub use services::{LineProblem, ServiceEntry, ServicesDb, ServicesError};

//! # portolan-model
//!
//! The vocabulary every part of Portolan speaks: what a scan should do ([`ScanPlan`]), what happened while it
//! ran ([`ScanEvent`]) and what it found ([`ScanReport`]).
//!
//! Invariants:
//! - No I/O and no dependency on any other Portolan crate: the desktop app, the store and the report writers
//!   can all use these types without linking the packet code.
//! - Everything is `serde`-serialisable; the JSON shape of [`ScanEvent`] is the `--stream-json` contract and
//!   of [`ScanReport`] the `-oJ` contract (see `docs/json-schema.md`), so renaming a field is a breaking change.
//! - Strings that came from the network (banners, hostnames) are stored verbatim; escaping is the job of each
//!   writer.
//! - With the `ts` feature every serialisable type also derives `ts_rs::TS`; the desktop app's TypeScript
//!   bindings in `ui/src/lib/ipc/bindings/` are generated from them and `tests/ts_bindings.rs` fails when the
//!   committed files drift.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod event;
pub mod plan;
pub mod port;
pub mod report;

pub use event::{EventBody, ScanEvent};
pub use plan::{
    DiscoveryMode, DiscoveryProbes, DnsMode, Evasion, Outputs, PortSelection, ScanPlan, ScanType, TCP_FLAG_NAMES, Timing,
    OsDetection, TimingTemplate, VersionDetection, tcp_flags_text,
};
pub use port::{PortRange, PortSpec, PortState, Protocol, Reason};
pub use report::{
    Address, AddressKind, HostReport, HostState, HostStatus, Hostname, HostnameKind, OsClass, OsInfo, OsMatch,
    OsPortUsed, PortReport, RunStats, ScanInfo, ScanReport, ScriptElement, ScriptResult, Service, Times, Trace,
    TraceHop, Uptime, TcpSequence, SequenceClass,
};

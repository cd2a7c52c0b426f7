//! # portolan-engine
//!
//! The scheduler: target expansion, host groups, discovery, port scans, timing. This foundation holds the
//! unprivileged half — TCP connect discovery and the connect scan (`-sT`) over tokio — with adaptive
//! concurrency (a congestion window), RTT-based timeouts and adaptive retransmission.
//!
//! Invariants:
//! - The engine never prints. Everything it learns leaves as [`portolan_model::EventBody`] values on a channel,
//!   in the order established; the session stamps and distributes them.
//! - Target expansion is lazy: memory does not grow with the size of a network, only with a host group.
//! - Every scheduler loop ends: each probe has a bounded number of tries, each try a bounded timeout.
//! - The open-files limit is raised to its hard limit and never exceeded (no EMFILE failures).

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod connect;
pub mod dns;
pub mod rtt;
pub mod scan;
pub mod source;
pub mod targets;
pub mod raw;
pub mod os;
pub mod raw_scan;
pub mod service;
pub mod window;

pub use connect::Cancel;

/// The platform as Nmap names it in fingerprints (`P=x86_64-pc-linux-gnu`).
pub fn platform() -> String {
    let os = match std::env::consts::OS {
        "linux" => "pc-linux-gnu",
        "macos" => "apple-darwin",
        "windows" => "pc-windows-msvc",
        other => other,
    };
    format!("{}-{os}", std::env::consts::ARCH)
}
pub use scan::{EngineError, EngineInput, ServiceNamer, Summary, run};

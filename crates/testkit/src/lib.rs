//! Portolan's test infrastructure (dev only): the network-namespace lab of DESIGN.md section 8.
//!
//! A [`Scenario`] (TOML, see README.md) describes namespaces, links, addresses, routes, services and nftables
//! filters; [`Lab::start`] builds it and dropping the [`Lab`] removes it. Impaired links run through the
//! project's own link emulator (a seeded userspace relay between two TAP devices), because these kernels have
//! no `netem`.
//!
//! Invariants:
//! - Every address, route, gateway and filter address is inside 198.18.0.0/15; a scenario that says otherwise
//!   is refused before anything is created. The scanner namespace gets lab routes only, and `Lab::start`
//!   checks that a route lookup for an outside address fails as unreachable.
//! - Everything a lab creates lives in namespaces named `pl-<pid base36>-<n>-<name>`; nothing is created in
//!   the caller's namespace. Drop (also while a panic unwinds) deletes them; `Lab::start` first deletes those
//!   whose owning process is dead.
//! - Every thread the lab starts stops when the lab drops; queues are bounded.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod lab;
mod netns;
mod relay;
mod scenario;
mod services;

pub use lab::Lab;
pub use netns::cleanup_stale;
pub use relay::{DirectionStats, LinkStats};
pub use scenario::{
    Endpoint, FilterAction, FilterProto, FilterSpec, ImpairEngine, Impairment, Ipv4Cidr, LAB_NET,
    LinkSpec, LocalRouteSpec, NamespaceSpec, OneOrMany, Proto, RouteSpec, Scenario, ServiceSpec,
    scenario_dir,
};

/// Everything that can go wrong building or using a lab.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The lab creates namespaces and so needs root.
    #[error("the lab needs root (effective uid {0})")]
    NotRoot(u32),
    /// The scenario is malformed or unsafe.
    #[error("scenario {origin}: {msg}")]
    Scenario {
        /// File or scenario name.
        origin: String,
        /// What is wrong and where.
        msg: String,
    },
    /// An external command (`ip`, `nft`, ...) failed.
    #[error("`{cmd}` failed ({status}): {stderr}")]
    Command {
        /// The command line.
        cmd: String,
        /// Its exit status.
        status: String,
        /// Its standard error.
        stderr: String,
    },
    /// A system call or file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A daemon of a `[[service]]` with `command` did not come up.
    #[error("{what}")]
    Daemon {
        /// What happened.
        what: String,
    },
    /// The namespace is not part of this lab's scenario.
    #[error("unknown namespace {0:?} in this lab")]
    UnknownNamespace(String),
    /// The namespace has no link address.
    #[error("namespace {0:?} has no address")]
    NoAddress(String),
    /// A safety check on the built lab failed (e.g. the scanner namespace could reach outside the lab).
    #[error("lab safety check failed: {0}")]
    Safety(String),
}

impl LabError {
    /// Whether this error only means "not root" (a test should skip, not fail).
    pub fn is_not_root(&self) -> bool {
        matches!(self, LabError::NotRoot(_))
    }
}

/// Whether the effective user is root.
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// For tests: `true` when the lab can run; otherwise prints "skipping: the lab needs root" and returns `false`.
///
/// ```no_run
/// if !portolan_testkit::require_root_or_skip() { return; }
/// ```
pub fn require_root_or_skip() -> bool {
    if is_root() {
        true
    } else {
        eprintln!("skipping: the lab needs root");
        false
    }
}

//! The history's search language, modelled on Zenmap's and IVRE's filters.
//!
//! A query is words separated by spaces; every word must match (AND). A word is `key:value` or a free
//! word; `!` or `-` in front negates it; values with spaces go in double quotes (`product:"Apache httpd"`).
//! In text values `*` is a wildcard; matching ignores ASCII case.
//!
//! | filter | matches |
//! | --- | --- |
//! | `target:TEXT` | scans whose command line contains TEXT |
//! | `profile:TEXT` | scans whose profile name contains TEXT |
//! | `after:DATE`, `before:DATE` | scans started at/after, or before, DATE (`2024-05-01`, `2024-05-01T13:00`, UTC; or `7d`, `12h`, `30m`, `2w` ago) |
//! | `net:CIDR` | hosts with an address in the network (`198.18.0.0/24`, `2001:db8::/32`, or one address) |
//! | `host:ADDR` / `host:NAME` | hosts with that address, or a hostname containing NAME |
//! | `service:NAME` | hosts with a port whose service is NAME (`ssh`, `http*`) |
//! | `product:TEXT`, `version:TEXT` | hosts with a service whose product / version contains TEXT |
//! | `port:LIST` | hosts with any listed port in any state (`22`, `80,443`, `1-1024`, `udp/53`) |
//! | `open:LIST`, `closed:LIST`, `filtered:LIST` | the same, in that state (`filtered` includes `open\|filtered` and `closed\|filtered`) |
//! | `os:TEXT` | hosts with an OS match (name, vendor, family, generation, device type) containing TEXT |
//! | `script:ID`, `script:ID:TEXT` | hosts with that script's result (ID may be `*`), whose output contains TEXT |
//! | free word | hosts whose address, hostname, service name/product/version/extra info, OS match or script output contains it |
//!
//! Results are hosts (newest scan first) and the scans they belong to; a query with only scan filters
//! (`target:`, `profile:`, `after:`, `before:`) also returns matching scans without hosts.

mod compile;
mod parse;

pub use compile::{HostHit, SearchResults, ServiceHit, run};
pub use parse::{Filter, PortPat, PortStates, Query, QueryError, Term, parse};

/// The language summary for `--help` texts.
pub const HELP: &str = "\
Search words (all must match; ! or - negates one; quote values with spaces; * is a wildcard):
  target:TEXT        scans whose command line contains TEXT
  profile:TEXT       scans whose profile contains TEXT
  after:DATE         scans started at or after DATE (2024-05-01, 2024-05-01T13:00 UTC, or 7d/12h/30m/2w ago)
  before:DATE        scans started before DATE
  net:CIDR           hosts with an address in the network (198.18.0.0/24, 2001:db8::/32)
  host:ADDR|NAME     hosts with that address, or a hostname containing NAME
  service:NAME       hosts with a port running service NAME (ssh, http*)
  product:TEXT       hosts with a service product containing TEXT
  version:TEXT       hosts with a service version containing TEXT
  port:LIST          hosts with a listed port in any state (22,80,1-1024,udp/53)
  open:LIST          ... in state open (closed:LIST and filtered:LIST likewise)
  os:TEXT            hosts with an OS match containing TEXT
  script:ID[:TEXT]   hosts with a result of script ID (* for any) whose output contains TEXT
  WORD               hosts whose address, names, services, OS or script output contain WORD
";

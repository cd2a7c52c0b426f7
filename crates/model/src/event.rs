//! [`ScanEvent`]: the facts a running scan emits, in order. The event stream is the contract between the
//! engine and everything downstream (terminal, files, `--stream-json`, the store, the desktop app); a
//! [`ScanReport`](crate::ScanReport) is always `report::fold` of a stream.

use crate::port::{PortState, Protocol, Reason};
use crate::report::{HostStatus, Hostname, OsInfo, ScanInfo, SequenceClass, Service, TcpSequence, Times, Trace, Uptime};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// One event with its place in the stream. `seq` starts at 0 and increases by one; `time_ms` is Unix time in
/// milliseconds when the fact was established, so a stream can be replayed with its timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScanEvent {
    pub seq: u64,
    pub time_ms: i64,
    #[serde(flatten)]
    pub body: EventBody,
}

// Events are built once and moved through a channel; boxing the larger variants would cost an allocation
// each and make every match noisier, for no measurable gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventBody {
    /// The first event of every stream.
    ScanStarted {
        scanner: String,
        version: String,
        args: String,
        scan_info: Vec<ScanInfo>,
        verbose: u8,
        debugging: u8,
        /// Number of targets after expansion and exclusion, when known up front.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        targets_total: Option<u64>,
    },
    /// Host discovery decided a host's state.
    HostStatus {
        addr: IpAddr,
        status: HostStatus,
        /// Seconds from the discovery probe to the reply.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        latency: Option<f64>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        hostnames: Vec<Hostname>,
    },
    /// The host's link-layer address, learnt from its reply on the local network (ARP / neighbour discovery).
    MacAddress {
        addr: IpAddr,
        mac: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vendor: Option<String>,
    },
    /// `--traceroute`: the path to a host.
    Traceroute { addr: IpAddr, trace: Trace },
    /// Names found for a host after its status (reverse DNS runs in parallel with scanning).
    Hostnames { addr: IpAddr, hostnames: Vec<Hostname> },
    /// Port scanning of a host began.
    HostScanStarted { addr: IpAddr },
    /// One port's final state.
    Port {
        addr: IpAddr,
        protocol: Protocol,
        port: u16,
        state: PortState,
        reason: Reason,
        #[serde(default)]
        reason_ttl: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        service: Option<Service>,
    },
    /// Service and version detection (`-sV`) identified what listens on a port; replaces the port's service.
    ServiceDetected { addr: IpAddr, protocol: Protocol, port: u16, service: Service },
    /// OS detection (`-O`) for a host, with what Nmap derives from the same probes.
    OsDetected {
        addr: IpAddr,
        os: OsInfo,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        uptime: Option<Uptime>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        distance: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tcp_sequence: Option<TcpSequence>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ip_id_sequence: Option<SequenceClass>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tcp_ts_sequence: Option<SequenceClass>,
    },
    /// All scanning of a host ended.
    HostFinished {
        addr: IpAddr,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        times: Option<Times>,
        #[serde(default)]
        timed_out: bool,
    },
    /// Periodic progress for bars and ETAs.
    Progress {
        phase: String,
        done: u64,
        total: u64,
        hosts_up: u64,
        open_ports: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        eta_secs: Option<f64>,
    },
    /// Something the user should know that does not stop the scan.
    Warning { message: String },
    /// `--packet-trace`: one probe and what came of it, in Nmap's trace wording.
    Trace { line: String },
    /// The last event of a complete stream. A stream without it was interrupted.
    Finished {
        elapsed: f64,
        hosts_up: u32,
        hosts_down: u32,
        hosts_total: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::HostState;

    #[test]
    fn event_json_is_flat_and_tagged() {
        let ev = ScanEvent {
            seq: 3,
            time_ms: 1_700_000_000_000,
            body: EventBody::HostStatus {
                addr: "198.18.0.2".parse().unwrap(),
                status: HostStatus { state: HostState::Up, reason: Reason::new("syn-ack"), reason_ttl: 0 },
                latency: Some(0.0004),
                hostnames: vec![],
            },
        };
        let j = serde_json::to_value(&ev).unwrap();
        assert_eq!(j["event"], "host_status");
        assert_eq!(j["seq"], 3);
        assert_eq!(j["status"]["state"], "up");
        let back: ScanEvent = serde_json::from_value(j).unwrap();
        assert_eq!(back, ev);
    }
}

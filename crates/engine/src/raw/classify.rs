//! What a reply (or its absence) means for a port, per scan type: the tables of Nmap's documentation
//! ("Port Scanning Techniques"), checked against Nmap's own output in the lab.

use portolan_model::{PortState, ScanType};

/// A reply, reduced to what decides a port's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// A TCP segment from the probed port: its flags and window.
    Tcp { flags: u8, window: u16 },
    /// A UDP datagram from the probed port.
    Udp,
    SctpInitAck,
    SctpAbort,
    /// Any other SCTP chunk from the probed port.
    SctpOther,
    /// An ICMP/ICMPv6 destination-unreachable quoting the probe.
    Unreachable(Unreach),
    /// For `-sO`: any reply in the probed protocol itself.
    ProtocolReply,
    /// For `-sO` of ICMP: an echo reply to the echo request sent.
    EchoReply,
}

/// Destination-unreachable kinds, named as Nmap names the reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreach {
    Net,
    Host,
    Protocol,
    Port,
    NetProhibited,
    HostProhibited,
    AdminProhibited,
    /// Other codes (fragmentation needed, source route failed, TOS...).
    Other,
}

impl Unreach {
    /// ICMPv4 type 3 codes.
    pub fn from_icmpv4(code: u8) -> Self {
        match code {
            0 | 6 | 11 => Unreach::Net,
            1 | 7 | 12 => Unreach::Host,
            2 => Unreach::Protocol,
            3 => Unreach::Port,
            9 => Unreach::NetProhibited,
            10 => Unreach::HostProhibited,
            13 => Unreach::AdminProhibited,
            _ => Unreach::Other,
        }
    }

    /// ICMPv6 type 1 codes (RFC 4443).
    pub fn from_icmpv6(code: u8) -> Self {
        match code {
            0 => Unreach::Net,
            1 | 5 | 6 => Unreach::AdminProhibited,
            3 => Unreach::Host,
            4 => Unreach::Port,
            _ => Unreach::Other,
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Unreach::Net => "net-unreach",
            Unreach::Host => "host-unreach",
            Unreach::Protocol => "proto-unreach",
            Unreach::Port => "port-unreach",
            Unreach::NetProhibited => "net-prohibited",
            Unreach::HostProhibited => "host-prohibited",
            Unreach::AdminProhibited => "admin-prohibited",
            Unreach::Other => "unknown-response",
        }
    }
}

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;
pub const URG: u8 = 0x20;

/// TCP flags each scan sends.
pub fn tcp_flags(scan: ScanType) -> Option<u8> {
    Some(match scan {
        ScanType::Syn => SYN,
        ScanType::Ack | ScanType::Window => ACK,
        ScanType::Maimon => FIN | ACK,
        ScanType::Null => 0,
        ScanType::Fin => FIN,
        ScanType::Xmas => FIN | PSH | URG,
        _ => return None,
    })
}

/// The state of a port whose probes all went unanswered, and its reason.
pub fn silent_state(scan: ScanType) -> PortState {
    match scan {
        ScanType::Syn | ScanType::Ack | ScanType::Window | ScanType::SctpInit | ScanType::Connect => {
            PortState::Filtered
        }
        ScanType::Null
        | ScanType::Fin
        | ScanType::Xmas
        | ScanType::Maimon
        | ScanType::Udp
        | ScanType::SctpCookieEcho
        | ScanType::IpProtocol => PortState::OpenFiltered,
    }
}

/// The state a reply gives the probed port, with Nmap's reason; `None` when the reply says nothing about it
/// (e.g. a SYN/ACK to a FIN scan, which no conforming stack sends).
pub fn classify(scan: ScanType, r: Response) -> Option<(PortState, &'static str)> {
    use PortState::*;
    let unreach_filtered = |u: Unreach| Some((Filtered, u.reason()));
    match scan {
        ScanType::Syn | ScanType::Connect => match r {
            // A SYN (simultaneous open) counts as open too, as Nmap does.
            Response::Tcp { flags, .. } if flags & SYN != 0 => Some((Open, "syn-ack")),
            Response::Tcp { flags, .. } if flags & RST != 0 => Some((Closed, "reset")),
            Response::Unreachable(u) => unreach_filtered(u),
            _ => None,
        },
        ScanType::Ack => match r {
            Response::Tcp { flags, .. } if flags & RST != 0 => Some((Unfiltered, "reset")),
            Response::Unreachable(u) => unreach_filtered(u),
            _ => None,
        },
        ScanType::Window => match r {
            // A RST with a non-zero window comes from an open port on the stacks this scan works against.
            Response::Tcp { flags, window } if flags & RST != 0 => {
                Some((if window > 0 { Open } else { Closed }, "reset"))
            }
            Response::Unreachable(u) => unreach_filtered(u),
            _ => None,
        },
        ScanType::Null | ScanType::Fin | ScanType::Xmas | ScanType::Maimon => match r {
            Response::Tcp { flags, .. } if flags & RST != 0 => Some((Closed, "reset")),
            // Some stacks answer a bare FIN/ACK with a SYN/ACK-less ACK; that tells nothing.
            Response::Tcp { .. } => None,
            Response::Unreachable(u) => unreach_filtered(u),
            _ => None,
        },
        ScanType::Udp => match r {
            Response::Udp => Some((Open, "udp-response")),
            Response::Unreachable(Unreach::Port) => Some((Closed, "port-unreach")),
            Response::Unreachable(u) => unreach_filtered(u),
            _ => None,
        },
        ScanType::SctpInit => match r {
            Response::SctpInitAck => Some((Open, "init-ack")),
            Response::SctpAbort => Some((Closed, "abort")),
            Response::Unreachable(u) => unreach_filtered(u),
            _ => None,
        },
        ScanType::SctpCookieEcho => match r {
            Response::SctpAbort => Some((Closed, "abort")),
            Response::Unreachable(u) => unreach_filtered(u),
            _ => None,
        },
        ScanType::IpProtocol => match r {
            Response::Unreachable(Unreach::Protocol) => Some((Closed, "proto-unreach")),
            // A port-unreachable for UDP means the protocol is spoken.
            Response::Unreachable(Unreach::Port) => Some((Open, "port-unreach")),
            Response::Unreachable(u) => unreach_filtered(u),
            Response::EchoReply => Some((Open, "echo-reply")),
            Response::ProtocolReply | Response::Tcp { .. } | Response::Udp => Some((Open, "proto-response")),
            Response::SctpInitAck | Response::SctpAbort | Response::SctpOther => Some((Open, "proto-response")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PortState::*;

    #[test]
    fn tables_follow_the_scan_type() {
        let rst = Response::Tcp { flags: RST | ACK, window: 0 };
        let synack = Response::Tcp { flags: SYN | ACK, window: 64240 };
        let adm = Response::Unreachable(Unreach::AdminProhibited);
        assert_eq!(classify(ScanType::Syn, synack), Some((Open, "syn-ack")));
        assert_eq!(classify(ScanType::Syn, rst), Some((Closed, "reset")));
        assert_eq!(classify(ScanType::Syn, adm), Some((Filtered, "admin-prohibited")));
        assert_eq!(classify(ScanType::Ack, rst), Some((Unfiltered, "reset")));
        assert_eq!(classify(ScanType::Window, Response::Tcp { flags: RST, window: 5 }), Some((Open, "reset")));
        assert_eq!(classify(ScanType::Window, rst), Some((Closed, "reset")));
        assert_eq!(classify(ScanType::Fin, rst), Some((Closed, "reset")));
        assert_eq!(classify(ScanType::Xmas, synack), None);
        assert_eq!(classify(ScanType::Udp, Response::Udp), Some((Open, "udp-response")));
        assert_eq!(
            classify(ScanType::Udp, Response::Unreachable(Unreach::Port)),
            Some((Closed, "port-unreach"))
        );
        assert_eq!(classify(ScanType::Udp, adm), Some((Filtered, "admin-prohibited")));
        assert_eq!(classify(ScanType::SctpInit, Response::SctpInitAck), Some((Open, "init-ack")));
        assert_eq!(classify(ScanType::SctpCookieEcho, Response::SctpAbort), Some((Closed, "abort")));
        assert_eq!(
            classify(ScanType::IpProtocol, Response::Unreachable(Unreach::Protocol)),
            Some((Closed, "proto-unreach"))
        );
        assert_eq!(silent_state(ScanType::Syn), Filtered);
        assert_eq!(silent_state(ScanType::Fin), OpenFiltered);
        assert_eq!(silent_state(ScanType::Udp), OpenFiltered);
    }

    #[test]
    fn icmp_codes_map_to_nmap_reasons() {
        assert_eq!(Unreach::from_icmpv4(3).reason(), "port-unreach");
        assert_eq!(Unreach::from_icmpv4(13).reason(), "admin-prohibited");
        assert_eq!(Unreach::from_icmpv4(10).reason(), "host-prohibited");
        assert_eq!(Unreach::from_icmpv6(4).reason(), "port-unreach");
        assert_eq!(Unreach::from_icmpv6(1).reason(), "admin-prohibited");
    }
}

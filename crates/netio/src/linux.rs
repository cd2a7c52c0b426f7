//! Linux: interfaces, addresses, routes and neighbours from rtnetlink dumps.
//!
//! A netlink socket belongs to the network namespace of the thread that opens it, so these answers follow
//! the caller's namespace (unlike `/proc/net/*`, which follows the process's main thread).

use std::collections::BTreeMap;
use std::net::IpAddr;

use netlink_packet_core::{
    NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkLayerType, LinkMessage};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

use crate::NetError;
use crate::machine::{
    IfAddr, IfKind, Interface, Mac, NeighState, Neighbour, RouteEntry, RouteKind,
};

/// A dump never legitimately needs more receive calls than this (each carries many messages); the bound
/// keeps a confused kernel conversation from spinning forever.
const MAX_RECVS: usize = 100_000;

fn nl_err(what: &str, e: impl std::fmt::Display) -> NetError {
    NetError::Other(format!("rtnetlink {what}: {e}"))
}

/// Send one request and collect the inner messages of the answer (a dump until DONE, or a single reply).
fn request(msg: RouteNetlinkMessage, dump: bool) -> Result<Vec<RouteNetlinkMessage>, NetError> {
    let mut sock = Socket::new(NETLINK_ROUTE)?;
    sock.bind_auto()?;
    sock.connect(&SocketAddr::new(0, 0))?;
    let mut hdr = NetlinkHeader::default();
    hdr.flags = NLM_F_REQUEST | if dump { NLM_F_DUMP } else { 0 };
    hdr.sequence_number = 1;
    let mut packet = NetlinkMessage::new(hdr, NetlinkPayload::from(msg));
    packet.finalize();
    let mut buf = vec![0u8; packet.buffer_len()];
    packet.serialize(&mut buf);
    sock.send(&buf, 0)?;

    let mut out = Vec::new();
    for _ in 0..MAX_RECVS {
        let (data, _) = sock.recv_from_full()?;
        if data.is_empty() {
            return Err(nl_err("receive", "empty datagram"));
        }
        let mut off = 0;
        while off < data.len() {
            let m = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&data[off..])
                .map_err(|e| nl_err("decode", e))?;
            let len = m.header.length as usize;
            match m.payload {
                NetlinkPayload::Done(_) => return Ok(out),
                NetlinkPayload::Error(e) => {
                    return match e.code {
                        // An ACK (code 0) ends a non-dump request.
                        None => Ok(out),
                        Some(c) => Err(NetError::Io(std::io::Error::from_raw_os_error(-c.get()))),
                    };
                }
                NetlinkPayload::InnerMessage(inner) => {
                    out.push(inner);
                    if !dump {
                        return Ok(out);
                    }
                }
                _ => {}
            }
            if len == 0 {
                break;
            }
            off += len;
            // Netlink messages are 4-byte aligned.
            off = (off + 3) & !3;
        }
    }
    Err(nl_err("receive", "dump did not end"))
}

fn link_kind(t: LinkLayerType, flags: LinkFlags) -> IfKind {
    if flags.contains(LinkFlags::Loopback) || t == LinkLayerType::Loopback {
        IfKind::Loopback
    } else if flags.contains(LinkFlags::Pointopoint) {
        IfKind::PointToPoint
    } else if t == LinkLayerType::Ether {
        IfKind::Ethernet
    } else {
        IfKind::Other
    }
}

fn mac_of(bytes: &[u8]) -> Option<Mac> {
    <Mac>::try_from(bytes).ok()
}

/// Every interface with its addresses, MAC, MTU and flags, in index order.
pub fn interfaces() -> Result<Vec<Interface>, NetError> {
    let mut by_index: BTreeMap<u32, Interface> = BTreeMap::new();
    for m in request(RouteNetlinkMessage::GetLink(LinkMessage::default()), true)? {
        let RouteNetlinkMessage::NewLink(l) = m else { continue };
        let mut i = Interface {
            index: l.header.index,
            name: String::new(),
            kind: link_kind(l.header.link_layer_type, l.header.flags),
            addrs: Vec::new(),
            mac: None,
            mtu: 0,
            up: l.header.flags.contains(LinkFlags::Up),
            loopback: l.header.flags.contains(LinkFlags::Loopback),
        };
        for a in l.attributes {
            match a {
                LinkAttribute::IfName(n) => i.name = n,
                LinkAttribute::Mtu(m) => i.mtu = m,
                LinkAttribute::Address(b) => i.mac = mac_of(&b),
                _ => {}
            }
        }
        by_index.insert(i.index, i);
    }
    let mut v6: Vec<(u32, IfAddr)> = Vec::new();
    for m in request(RouteNetlinkMessage::GetAddress(AddressMessage::default()), true)? {
        let RouteNetlinkMessage::NewAddress(a) = m else { continue };
        // IFA_LOCAL is the interface's own address on point-to-point links; IFA_ADDRESS the peer there.
        let mut local = None;
        let mut address = None;
        for at in &a.attributes {
            match at {
                AddressAttribute::Local(ip) => local = Some(*ip),
                AddressAttribute::Address(ip) => address = Some(*ip),
                _ => {}
            }
        }
        let Some(ip) = local.or(address) else { continue };
        let ifa = IfAddr { addr: ip, prefix_len: a.header.prefix_len };
        if ip.is_ipv4() {
            if let Some(i) = by_index.get_mut(&a.header.index) {
                i.addrs.push(ifa);
            }
        } else {
            v6.push((a.header.index, ifa));
        }
    }
    for (idx, ifa) in v6 {
        if let Some(i) = by_index.get_mut(&idx) {
            i.addrs.push(ifa);
        }
    }
    Ok(by_index.into_values().collect())
}

fn route_addr(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v) => Some(IpAddr::V4(*v)),
        RouteAddress::Inet6(v) => Some(IpAddr::V6(*v)),
        _ => None,
    }
}

fn route_entry(r: &RouteMessage, names: &BTreeMap<u32, String>) -> Option<RouteEntry> {
    let v4 = match r.header.address_family {
        AddressFamily::Inet => true,
        AddressFamily::Inet6 => false,
        _ => return None,
    };
    let mut e = RouteEntry {
        dst: if v4 {
            IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
        },
        prefix_len: r.header.destination_prefix_length,
        ifindex: 0,
        interface: String::new(),
        gateway: None,
        metric: 0,
        pref_src: None,
        table: u32::from(r.header.table),
        kind: match r.header.kind {
            RouteType::Unicast => RouteKind::Unicast,
            RouteType::Local => RouteKind::Local,
            RouteType::Broadcast => RouteKind::Broadcast,
            RouteType::Multicast => RouteKind::Multicast,
            RouteType::BlackHole | RouteType::Unreachable | RouteType::Prohibit => {
                RouteKind::Reject
            }
            _ => RouteKind::Other,
        },
    };
    for a in &r.attributes {
        match a {
            RouteAttribute::Destination(d) => e.dst = route_addr(d)?,
            RouteAttribute::Gateway(g) => e.gateway = route_addr(g),
            RouteAttribute::PrefSource(s) => e.pref_src = route_addr(s),
            RouteAttribute::Oif(i) => e.ifindex = *i,
            RouteAttribute::Priority(p) => e.metric = *p,
            RouteAttribute::Table(t) => e.table = *t,
            _ => {}
        }
    }
    e.interface = names.get(&e.ifindex).cloned().unwrap_or_default();
    Some(e)
}

fn if_names() -> Result<BTreeMap<u32, String>, NetError> {
    Ok(interfaces()?.into_iter().map(|i| (i.index, i.name)).collect())
}

/// All IPv4 and IPv6 routes of every table (filter on `table` for the main one).
pub fn routes() -> Result<Vec<RouteEntry>, NetError> {
    routes_named(&if_names()?)
}

pub(crate) fn names_of(ifaces: &[Interface]) -> BTreeMap<u32, String> {
    ifaces.iter().map(|i| (i.index, i.name.clone())).collect()
}

pub(crate) fn routes_named(names: &BTreeMap<u32, String>) -> Result<Vec<RouteEntry>, NetError> {
    let mut out = Vec::new();
    for fam in [AddressFamily::Inet, AddressFamily::Inet6] {
        let mut q = RouteMessage::default();
        q.header.address_family = fam;
        for m in request(RouteNetlinkMessage::GetRoute(q), true)? {
            if let RouteNetlinkMessage::NewRoute(r) = m {
                out.extend(route_entry(&r, names));
            }
        }
    }
    Ok(out)
}

/// The kernel's answer to "how would you send to `dst`" (`ip route get`), optionally restricted to an
/// output interface. Honours policy routing, which [`crate::select_route`] does not model.
pub fn kernel_route_get(dst: IpAddr, oif: Option<u32>) -> Result<RouteEntry, NetError> {
    let names = if_names()?;
    let mut q = RouteMessage::default();
    q.header.address_family = if dst.is_ipv4() { AddressFamily::Inet } else { AddressFamily::Inet6 };
    q.header.destination_prefix_length = if dst.is_ipv4() { 32 } else { 128 };
    q.header.table = RouteHeader::RT_TABLE_UNSPEC;
    q.attributes.push(RouteAttribute::Destination(dst.into()));
    if let Some(i) = oif {
        q.attributes.push(RouteAttribute::Oif(i));
    }
    let reply = request(RouteNetlinkMessage::GetRoute(q), false)
        .map_err(|e| match e {
            // ENETUNREACH, EHOSTUNREACH
            NetError::Io(io) if matches!(io.raw_os_error(), Some(101 | 113)) => NetError::NoRoute(dst),
            other => other,
        })?;
    reply
        .iter()
        .find_map(|m| match m {
            RouteNetlinkMessage::NewRoute(r) => route_entry(r, &names),
            _ => None,
        })
        .ok_or_else(|| nl_err("route get", "no route in the answer"))
}

/// The kernel's ARP (IPv4) and NDP (IPv6) tables.
pub fn neighbours() -> Result<Vec<Neighbour>, NetError> {
    neighbours_named(&if_names()?)
}

pub(crate) fn neighbours_named(names: &BTreeMap<u32, String>) -> Result<Vec<Neighbour>, NetError> {
    let mut out = Vec::new();
    for m in request(RouteNetlinkMessage::GetNeighbour(NeighbourMessage::default()), true)? {
        let RouteNetlinkMessage::NewNeighbour(n) = m else { continue };
        let mut ip = None;
        let mut mac = None;
        for a in &n.attributes {
            match a {
                NeighbourAttribute::Destination(NeighbourAddress::Inet(v)) => ip = Some(IpAddr::V4(*v)),
                NeighbourAttribute::Destination(NeighbourAddress::Inet6(v)) => ip = Some(IpAddr::V6(*v)),
                NeighbourAttribute::LinkLayerAddress(b) => mac = mac_of(b),
                _ => {}
            }
        }
        let Some(ip) = ip else { continue };
        let state = match n.header.state {
            NeighbourState::Reachable => NeighState::Reachable,
            NeighbourState::Stale => NeighState::Stale,
            NeighbourState::Delay => NeighState::Delay,
            NeighbourState::Probe => NeighState::Probe,
            NeighbourState::Permanent => NeighState::Permanent,
            NeighbourState::Noarp => NeighState::Noarp,
            NeighbourState::Incomplete => NeighState::Incomplete,
            NeighbourState::Failed => NeighState::Failed,
            _ => NeighState::Other,
        };
        out.push(Neighbour {
            ip,
            ifindex: n.header.ifindex,
            interface: names.get(&n.header.ifindex).cloned().unwrap_or_default(),
            mac,
            state,
        });
    }
    Ok(out)
}

//! Machine knowledge: interfaces, routes, neighbours, route/source selection and Nmap's `--iflist` table.
//!
//! The selection logic ([`select_route`]) and the renderer ([`render_iflist`]) are pure functions over
//! snapshots, so they are unit-tested without a kernel; the platform functions ([`interfaces`], [`routes`],
//! [`neighbours`], [`route_to`]) take the snapshot. On Linux they ask rtnetlink from the calling thread, so
//! they answer for the network namespace of that thread (the lab's `run_in` threads included), which
//! `/proc/net/*` and `/sys/class/net` would not.

use std::fmt::Write as _;
use std::net::IpAddr;

use crate::NetError;

/// A 48-bit link-layer address.
pub type Mac = [u8; 6];

/// One address of an interface, with its prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfAddr {
    pub addr: IpAddr,
    pub prefix_len: u8,
}

impl IfAddr {
    /// Whether `ip` lies in this address's subnet.
    pub fn contains(&self, ip: IpAddr) -> bool {
        prefix_contains(self.addr, self.prefix_len, ip)
    }
}

/// The kind of link, as Nmap's `--iflist` TYPE column names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfKind {
    Loopback,
    Ethernet,
    PointToPoint,
    Other,
}

impl IfKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IfKind::Loopback => "loopback",
            IfKind::Ethernet => "ethernet",
            IfKind::PointToPoint => "point2point",
            IfKind::Other => "other",
        }
    }
}

/// A network interface of this machine (in the caller's network namespace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub index: u32,
    pub name: String,
    pub kind: IfKind,
    /// IPv4 addresses first, then IPv6, each in the kernel's order.
    pub addrs: Vec<IfAddr>,
    pub mac: Option<Mac>,
    pub mtu: u32,
    pub up: bool,
    pub loopback: bool,
}

impl Interface {
    pub fn has_addr(&self, ip: IpAddr) -> bool {
        self.addrs.iter().any(|a| a.addr == ip)
    }
}

/// What a route does with matching packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    Unicast,
    /// Addressed to this machine.
    Local,
    Broadcast,
    Multicast,
    /// Blackhole, unreachable or prohibit: the kernel refuses to send.
    Reject,
    Other,
}

/// One entry of a routing table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEntry {
    pub dst: IpAddr,
    pub prefix_len: u8,
    pub ifindex: u32,
    /// Interface name (empty when the route has no output interface, e.g. a blackhole).
    pub interface: String,
    pub gateway: Option<IpAddr>,
    pub metric: u32,
    pub pref_src: Option<IpAddr>,
    pub table: u32,
    pub kind: RouteKind,
}

/// Linux's main routing table id.
pub const TABLE_MAIN: u32 = 254;
/// Linux's local routing table id (addresses of this machine, broadcast, multicast).
pub const TABLE_LOCAL: u32 = 255;

/// The state of a neighbour-table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeighState {
    Reachable,
    Stale,
    Delay,
    Probe,
    Permanent,
    Noarp,
    Incomplete,
    Failed,
    Other,
}

impl NeighState {
    /// Whether the MAC of such an entry can be used to address a frame.
    pub fn usable(self) -> bool {
        matches!(
            self,
            NeighState::Reachable
                | NeighState::Stale
                | NeighState::Delay
                | NeighState::Probe
                | NeighState::Permanent
                | NeighState::Noarp
        )
    }
}

/// One entry of the kernel's ARP / NDP table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour {
    pub ip: IpAddr,
    pub ifindex: u32,
    pub interface: String,
    pub mac: Option<Mac>,
    pub state: NeighState,
}

/// User overrides of route selection: Nmap's `-e IFACE` and `-S ADDR`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteOverrides {
    pub interface: Option<String>,
    pub source: Option<IpAddr>,
}

/// How to reach one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub interface: Interface,
    pub source: IpAddr,
    /// The next hop when the destination is not on a directly attached network.
    pub gateway: Option<IpAddr>,
    /// The destination is on a directly attached network (or is this machine).
    pub direct: bool,
}

impl Route {
    /// The address whose MAC a layer-2 frame to `dst` must carry.
    pub fn next_hop(&self, dst: IpAddr) -> IpAddr {
        self.gateway.unwrap_or(dst)
    }
}

/// Whether `ip` is in `net/prefix_len` (different families never match).
pub fn prefix_contains(net: IpAddr, prefix_len: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let len = u32::from(prefix_len.min(32));
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let len = u32::from(prefix_len.min(128));
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_link_local(),
        IpAddr::V6(a) => a.segments()[0] & 0xffc0 == 0xfe80,
    }
}

/// Choose the interface, source address and gateway for `dst`, as the kernel would with its main table,
/// honouring `-e` (only routes through that interface; with none, the destination is taken as directly
/// attached to it, as Nmap does) and `-S` (used as given: spoofing is the point of the option).
///
/// Destinations that are this machine's own addresses go out of the loopback interface.
pub fn select_route(
    dst: IpAddr,
    ifaces: &[Interface],
    routes: &[RouteEntry],
    ov: &RouteOverrides,
) -> Result<Route, NetError> {
    let forced = match &ov.interface {
        Some(name) => Some(
            ifaces
                .iter()
                .find(|i| &i.name == name)
                .ok_or_else(|| NetError::NoSuchInterface(name.clone()))?,
        ),
        None => None,
    };
    let finish = |iface: &Interface, gateway: Option<IpAddr>, pref: Option<IpAddr>| {
        let source = match ov.source {
            Some(s) => s,
            None => match pref.filter(|p| p.is_ipv4() == dst.is_ipv4()) {
                Some(p) => p,
                None => pick_source(iface, dst, gateway.unwrap_or(dst)).ok_or_else(|| {
                    NetError::NoSourceAddress {
                        interface: iface.name.clone(),
                        dst,
                    }
                })?,
            },
        };
        Ok(Route {
            interface: iface.clone(),
            source,
            gateway,
            direct: gateway.is_none(),
        })
    };

    // Our own address: the kernel delivers it through loopback, whatever interface carries it.
    if forced.is_none()
        && ifaces.iter().any(|i| i.has_addr(dst))
        && let Some(lo) = ifaces.iter().find(|i| i.loopback)
    {
        return finish(lo, None, Some(dst));
    }

    let best = routes
        .iter()
        .filter(|r| r.dst.is_ipv4() == dst.is_ipv4())
        .filter(|r| r.table == TABLE_MAIN)
        .filter(|r| matches!(r.kind, RouteKind::Unicast | RouteKind::Reject))
        .filter(|r| forced.is_none_or(|f| f.index == r.ifindex))
        .filter(|r| prefix_contains(r.dst, r.prefix_len, dst))
        // Longest prefix wins; among equals, the lowest metric (the kernel's order).
        .min_by_key(|r| (std::cmp::Reverse(r.prefix_len), r.metric));

    match best {
        Some(r) if r.kind == RouteKind::Reject => Err(NetError::NoRoute(dst)),
        Some(r) => {
            let iface = ifaces
                .iter()
                .find(|i| i.index == r.ifindex)
                .ok_or_else(|| NetError::Other(format!("route to {dst} names unknown interface index {}", r.ifindex)))?;
            let gw = r.gateway.filter(|g| !g.is_unspecified());
            finish(iface, gw, r.pref_src)
        }
        None => match forced {
            Some(f) => finish(f, None, None),
            None => Err(NetError::NoRoute(dst)),
        },
    }
}

/// A source address on `iface` for reaching `dst` through `next_hop` (= `dst` when direct).
///
/// IPv4 (as Linux's `inet_select_addr`): an address whose subnet holds the next hop, else the first one.
/// IPv6 (the parts of RFC 6724 that matter here): an address whose prefix holds the destination, else one of
/// the destination's scope — a global destination behind a link-local gateway gets a global source.
fn pick_source(iface: &Interface, dst: IpAddr, next_hop: IpAddr) -> Option<IpAddr> {
    let same_family = || iface.addrs.iter().filter(move |a| a.addr.is_ipv4() == dst.is_ipv4());
    let found = if dst.is_ipv4() {
        same_family().find(|a| a.contains(next_hop))
    } else {
        same_family()
            .find(|a| a.prefix_len > 0 && a.contains(dst))
            .or_else(|| same_family().find(|a| is_link_local(a.addr) == is_link_local(dst)))
    };
    found.or_else(|| same_family().next()).map(|a| a.addr)
}

fn fmt_mac(m: &Mac) -> String {
    let mut s = String::with_capacity(17);
    for (i, b) in m.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{b:02X}");
    }
    s
}

/// Nmap's `--iflist` text: an INTERFACES table (one line per address, `(none)/0` for an interface without
/// IPv4 or any address) and a ROUTES table (main-table routes, longest prefix first, IPv4 then IPv6).
pub fn render_iflist(ifaces: &[Interface], routes: &[RouteEntry]) -> String {
    let mut rows: Vec<[String; 7]> = Vec::new();
    for i in ifaces {
        let mut addrs: Vec<String> = i.addrs.iter().map(|a| format!("{}/{}", a.addr, a.prefix_len)).collect();
        if !i.addrs.iter().any(|a| a.addr.is_ipv4()) {
            addrs.insert(0, "(none)/0".to_string());
        }
        for a in addrs {
            rows.push([
                i.name.clone(),
                format!("({})", i.name),
                a,
                i.kind.as_str().to_string(),
                if i.up { "up" } else { "down" }.to_string(),
                i.mtu.to_string(),
                i.mac.as_ref().filter(|_| !i.loopback).map(fmt_mac).unwrap_or_default(),
            ]);
        }
    }
    let mut out = String::new();
    out.push_str("************************INTERFACES************************\n");
    table(&mut out, ["DEV", "(SHORT)", "IP/MASK", "TYPE", "UP", "MTU", "MAC"], &rows);
    out.push('\n');

    let mut shown: Vec<&RouteEntry> = routes
        .iter()
        .filter(|r| match r.table {
            TABLE_MAIN => matches!(r.kind, RouteKind::Unicast),
            // Nmap also lists IPv6 multicast and the machine's own IPv6 addresses (::1 included), which
            // Linux keeps in the local table; an address still in duplicate-address detection has no
            // local route yet and is absent from both lists (checked against nmap 7.93's output).
            TABLE_LOCAL => {
                r.dst.is_ipv6() && matches!(r.kind, RouteKind::Multicast | RouteKind::Local)
            }
            _ => false,
        })
        .filter(|r| !r.interface.is_empty())
        .collect();
    shown.sort_by_key(|r| (r.dst.is_ipv6(), std::cmp::Reverse(r.prefix_len)));
    let rrows: Vec<[String; 4]> = shown
        .iter()
        .map(|r| {
            [
                format!("{}/{}", r.dst, r.prefix_len),
                r.interface.clone(),
                r.metric.to_string(),
                r.gateway.filter(|g| !g.is_unspecified()).map(|g| g.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    out.push_str("**************************ROUTES**************************\n");
    table(&mut out, ["DST/MASK", "DEV", "METRIC", "GATEWAY"], &rrows);
    out
}

/// Left-aligned columns one space apart, no trailing spaces.
fn table<const N: usize>(out: &mut String, head: [&str; N], rows: &[[String; N]]) {
    let mut width = head.map(str::len);
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut line = |cells: &[&str]| {
        let mut l = String::new();
        for (k, c) in cells.iter().enumerate() {
            if k > 0 {
                l.push(' ');
            }
            l.push_str(c);
            if k + 1 < N {
                for _ in c.chars().count()..width[k] {
                    l.push(' ');
                }
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&head);
    for r in rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        line(&cells);
    }
}

/// The kernel's own answer for the source address towards `dst`: connect a UDP socket (nothing is sent)
/// and read its local address. With `device`, the socket is bound to that interface first.
pub fn kernel_source_for(dst: IpAddr, device: Option<&str>) -> Result<IpAddr, NetError> {
    use socket2::{Domain, Protocol, Socket, Type};
    let domain = if dst.is_ipv4() { Domain::IPV4 } else { Domain::IPV6 };
    let s = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(d) = device {
        s.bind_device(Some(d.as_bytes()))?;
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = device;
    let sa: std::net::SocketAddr = match dst {
        IpAddr::V4(a) => (a, 9).into(),
        IpAddr::V6(a) => std::net::SocketAddrV6::new(a, 9, 0, 0).into(),
    };
    s.connect(&sa.into())?;
    let local = s
        .local_addr()?
        .as_socket()
        .ok_or_else(|| NetError::Other("UDP socket has no IP local address".into()))?;
    Ok(local.ip())
}

#[cfg(target_os = "linux")]
pub use crate::linux::{interfaces, kernel_route_get, neighbours, routes};

/// Interfaces of this machine. macOS/Windows: not written yet (the plan: `getifaddrs` + `sysctl
/// NET_RT_IFLIST2` on macOS; `GetAdaptersAddresses` on Windows, with Npcap device names).
#[cfg(not(target_os = "linux"))]
pub fn interfaces() -> Result<Vec<Interface>, NetError> {
    Err(NetError::Unsupported("interface listing on this platform"))
}

/// Routing tables. macOS: `sysctl NET_RT_DUMP`; Windows: `GetIpForwardTable2` (not written yet).
#[cfg(not(target_os = "linux"))]
pub fn routes() -> Result<Vec<RouteEntry>, NetError> {
    Err(NetError::Unsupported("route listing on this platform"))
}

/// Neighbour table. macOS: `sysctl NET_RT_FLAGS/RTF_LLINFO`; Windows: `GetIpNetTable2` (not written yet).
#[cfg(not(target_os = "linux"))]
pub fn neighbours() -> Result<Vec<Neighbour>, NetError> {
    Err(NetError::Unsupported("neighbour listing on this platform"))
}

/// One reading of the machine's interfaces, routes and neighbours, for resolving many targets without
/// asking the kernel again for each (a /16 sweep resolves 65,536 routes). Take a new one when the network
/// may have changed (e.g. after ARP resolution, for [`Machine::neighbour_mac`]).
#[derive(Debug, Default)]
pub struct Machine {
    pub interfaces: Vec<Interface>,
    pub routes: Vec<RouteEntry>,
    pub neighbours: Vec<Neighbour>,
    /// The kernel's source choice per (interface, gateway, table's choice): a connect() per target would
    /// cost a socket per target for the same answer.
    kernel_src: std::sync::Mutex<std::collections::HashMap<SourceKey, Option<IpAddr>>>,
}

/// (interface, gateway, the table's source choice).
type SourceKey = (String, Option<IpAddr>, IpAddr);

impl Machine {
    /// Read interfaces, routes and neighbours now.
    pub fn snapshot() -> Result<Machine, NetError> {
        #[cfg(target_os = "linux")]
        {
            let interfaces = crate::linux::interfaces()?;
            let names = crate::linux::names_of(&interfaces);
            let routes = crate::linux::routes_named(&names)?;
            let neighbours = crate::linux::neighbours_named(&names)?;
            Ok(Machine::from_parts(interfaces, routes, neighbours))
        }
        #[cfg(not(target_os = "linux"))]
        {
            Ok(Machine::from_parts(interfaces()?, routes()?, neighbours()?))
        }
    }

    /// A machine described by the caller (tests, or tables read some other way).
    pub fn from_parts(interfaces: Vec<Interface>, routes: Vec<RouteEntry>, neighbours: Vec<Neighbour>) -> Machine {
        Machine { interfaces, routes, neighbours, kernel_src: Default::default() }
    }

    /// How to reach `dst`: interface, source address and gateway.
    ///
    /// The route comes from the main table ([`select_route`]); without `-S`, the kernel's own source choice
    /// (the UDP-connect trick, bound to the chosen interface) wins whenever it is an address of that
    /// interface, so the source agrees with the kernel's even under source policy we do not model.
    pub fn route_to(&self, dst: IpAddr, ov: &RouteOverrides) -> Result<Route, NetError> {
        let mut r = select_route(dst, &self.interfaces, &self.routes, ov)?;
        if ov.source.is_none() && !r.interface.loopback {
            let key = (r.interface.name.clone(), r.gateway, r.source);
            let cached = self.kernel_src.lock().ok().and_then(|m| m.get(&key).copied());
            let k = match cached {
                Some(k) => k,
                None => {
                    let k = kernel_source_for(dst, Some(&r.interface.name)).ok();
                    if let Ok(mut m) = self.kernel_src.lock() {
                        m.insert(key, k);
                    }
                    k
                }
            };
            if let Some(k) = k.filter(|k| r.interface.has_addr(*k)) {
                r.source = k;
            }
        }
        Ok(r)
    }

    /// The MAC of `ip` from the neighbour table as read, if usable (on `interface`, when given).
    pub fn neighbour_mac(&self, ip: IpAddr, interface: Option<&str>) -> Option<Mac> {
        self.neighbours
            .iter()
            .filter(|n| n.ip == ip && n.state.usable())
            .filter(|n| interface.is_none_or(|i| n.interface == i))
            .find_map(|n| n.mac)
    }

    pub fn interface(&self, name: &str) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.name == name)
    }

    /// `--iflist` text for this reading.
    pub fn iflist(&self) -> String {
        render_iflist(&self.interfaces, &self.routes)
    }
}

/// How to reach `dst` (one-shot: reads the tables; use [`Machine`] for many targets).
pub fn route_to(dst: IpAddr, ov: &RouteOverrides) -> Result<Route, NetError> {
    let m = Machine::from_parts(interfaces()?, routes()?, Vec::new());
    m.route_to(dst, ov)
}

/// The MAC of `ip` from the kernel's neighbour table, if it holds a usable entry (on `interface`, when
/// given). `None` means: resolve it yourself (ARP / neighbour solicitation).
pub fn neighbour_mac(ip: IpAddr, interface: Option<&str>) -> Result<Option<Mac>, NetError> {
    Ok(Machine::from_parts(Vec::new(), Vec::new(), neighbours()?).neighbour_mac(ip, interface))
}

/// `--iflist` for this machine.
pub fn iflist() -> Result<String, NetError> {
    Ok(render_iflist(&interfaces()?, &routes()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn lo() -> Interface {
        Interface {
            index: 1,
            name: "lo".into(),
            kind: IfKind::Loopback,
            addrs: vec![
                IfAddr { addr: v4("127.0.0.1"), prefix_len: 8 },
                IfAddr { addr: v4("::1"), prefix_len: 128 },
            ],
            mac: Some([0; 6]),
            mtu: 65536,
            up: true,
            loopback: true,
        }
    }

    fn eth(index: u32, name: &str, addrs: &[(&str, u8)]) -> Interface {
        Interface {
            index,
            name: name.into(),
            kind: IfKind::Ethernet,
            addrs: addrs.iter().map(|(a, p)| IfAddr { addr: v4(a), prefix_len: *p }).collect(),
            mac: Some([0x02, 0, 0, 0, 0, index as u8]),
            mtu: 1500,
            up: true,
            loopback: false,
        }
    }

    fn rt(dst: &str, len: u8, ifi: u32, name: &str, gw: Option<&str>, metric: u32) -> RouteEntry {
        RouteEntry {
            dst: v4(dst),
            prefix_len: len,
            ifindex: ifi,
            interface: name.into(),
            gateway: gw.map(v4),
            metric,
            pref_src: None,
            table: TABLE_MAIN,
            kind: RouteKind::Unicast,
        }
    }

    fn fixture() -> (Vec<Interface>, Vec<RouteEntry>) {
        let ifs = vec![
            lo(),
            eth(2, "eth0", &[("198.18.0.1", 24)]),
            eth(3, "eth1", &[("198.18.2.1", 24), ("198.18.3.1", 24)]),
        ];
        let rs = vec![
            rt("198.18.0.0", 24, 2, "eth0", None, 0),
            rt("198.18.2.0", 24, 3, "eth1", None, 0),
            rt("198.18.3.0", 24, 3, "eth1", None, 0),
            rt("198.19.0.0", 16, 2, "eth0", Some("198.18.0.254"), 10),
            rt("198.19.0.0", 16, 3, "eth1", Some("198.18.3.254"), 5),
            rt("198.19.7.0", 24, 2, "eth0", Some("198.18.0.253"), 100),
        ];
        (ifs, rs)
    }

    #[test]
    fn longest_prefix_then_metric() {
        let (ifs, rs) = fixture();
        let none = RouteOverrides::default();
        let r = select_route(v4("198.19.7.9"), &ifs, &rs, &none).unwrap();
        assert_eq!((r.interface.name.as_str(), r.gateway), ("eth0", Some(v4("198.18.0.253"))));
        assert_eq!(r.source, v4("198.18.0.1"));
        let r = select_route(v4("198.19.1.1"), &ifs, &rs, &none).unwrap();
        assert_eq!((r.interface.name.as_str(), r.gateway), ("eth1", Some(v4("198.18.3.254"))));
        // The source is the eth1 address whose subnet holds the gateway, not the first one.
        assert_eq!(r.source, v4("198.18.3.1"));
        assert!(!r.direct);
        let r = select_route(v4("198.18.2.77"), &ifs, &rs, &none).unwrap();
        assert!(r.direct && r.gateway.is_none());
        assert_eq!(r.source, v4("198.18.2.1"));
    }

    #[test]
    fn overrides_and_failures() {
        let (ifs, rs) = fixture();
        let e0 = RouteOverrides { interface: Some("eth0".into()), source: None };
        let r = select_route(v4("198.19.1.1"), &ifs, &rs, &e0).unwrap();
        assert_eq!((r.interface.name.as_str(), r.gateway), ("eth0", Some(v4("198.18.0.254"))));
        // -e with no route through it: taken as directly attached.
        let r = select_route(v4("198.18.2.5"), &ifs, &rs, &e0).unwrap();
        assert!(r.direct);
        assert_eq!(r.interface.name, "eth0");
        let s = RouteOverrides { interface: None, source: Some(v4("198.18.99.99")) };
        assert_eq!(select_route(v4("198.18.0.2"), &ifs, &rs, &s).unwrap().source, v4("198.18.99.99"));
        let bad = RouteOverrides { interface: Some("nope0".into()), source: None };
        let e = select_route(v4("198.18.0.2"), &ifs, &rs, &bad).unwrap_err();
        assert!(e.to_string().contains("nope0"), "{e}");
        let e = select_route(v4("203.0.113.1"), &ifs, &rs, &RouteOverrides::default()).unwrap_err();
        assert!(matches!(e, NetError::NoRoute(_)), "{e}");
        let e = select_route(v4("::2"), &ifs, &rs, &RouteOverrides::default()).unwrap_err();
        assert!(matches!(e, NetError::NoRoute(_)), "{e}");
        // Own address: through loopback.
        let r = select_route(v4("198.18.2.1"), &ifs, &rs, &RouteOverrides::default()).unwrap();
        assert_eq!((r.interface.name.as_str(), r.source), ("lo", v4("198.18.2.1")));
    }

    /// The usual IPv6 default route points at the router's link-local address; the source must still be
    /// global for a global destination, and link-local for a link-local one.
    #[test]
    fn ipv6_source_follows_destination_scope() {
        let mut e = eth(2, "eth0", &[("2001:2::10", 64), ("fe80::10", 64)]);
        e.addrs.swap(0, 1); // the link-local address first, as the kernel may list it
        let ifs = vec![lo(), e];
        let mut def = rt("::", 0, 2, "eth0", Some("fe80::1"), 1024);
        def.dst = v4("::");
        let rs = vec![rt("2001:2::", 64, 2, "eth0", None, 256), rt("fe80::", 64, 2, "eth0", None, 256), def];
        let none = RouteOverrides::default();
        let r = select_route(v4("2001:db8::5"), &ifs, &rs, &none).unwrap();
        assert_eq!((r.gateway, r.source), (Some(v4("fe80::1")), v4("2001:2::10")));
        let r = select_route(v4("2001:2::99"), &ifs, &rs, &none).unwrap();
        assert_eq!((r.gateway, r.source, r.direct), (None, v4("2001:2::10"), true));
        let r = select_route(v4("fe80::99"), &ifs, &rs, &none).unwrap();
        assert_eq!(r.source, v4("fe80::10"));
    }

    #[test]
    fn reject_route_is_no_route() {
        let (ifs, mut rs) = fixture();
        let mut b = rt("198.19.9.0", 24, 0, "", None, 0);
        b.kind = RouteKind::Reject;
        rs.push(b);
        let e = select_route(v4("198.19.9.1"), &ifs, &rs, &RouteOverrides::default()).unwrap_err();
        assert!(matches!(e, NetError::NoRoute(_)));
    }

    #[test]
    fn iflist_layout() {
        let (ifs, rs) = fixture();
        let mut ifs = ifs;
        ifs.push(Interface { addrs: vec![], up: false, ..eth(4, "veth9", &[]) });
        let text = render_iflist(&ifs, &rs);
        let want = "\
************************INTERFACES************************
DEV   (SHORT) IP/MASK       TYPE     UP   MTU   MAC
lo    (lo)    127.0.0.1/8   loopback up   65536
lo    (lo)    ::1/128       loopback up   65536
eth0  (eth0)  198.18.0.1/24 ethernet up   1500  02:00:00:00:00:02
eth1  (eth1)  198.18.2.1/24 ethernet up   1500  02:00:00:00:00:03
eth1  (eth1)  198.18.3.1/24 ethernet up   1500  02:00:00:00:00:03
veth9 (veth9) (none)/0      ethernet down 1500  02:00:00:00:00:04

**************************ROUTES**************************
DST/MASK      DEV  METRIC GATEWAY
198.18.0.0/24 eth0 0
198.18.2.0/24 eth1 0
198.18.3.0/24 eth1 0
198.19.7.0/24 eth0 100    198.18.0.253
198.19.0.0/16 eth0 10     198.18.0.254
198.19.0.0/16 eth1 5      198.18.3.254
";
        assert_eq!(text, want);
    }

    #[test]
    fn prefixes() {
        assert!(prefix_contains(v4("198.18.0.0"), 15, v4("198.19.255.255")));
        assert!(!prefix_contains(v4("198.18.0.0"), 15, v4("198.20.0.0")));
        assert!(prefix_contains(v4("0.0.0.0"), 0, v4("1.2.3.4")));
        assert!(prefix_contains(v4("fe80::"), 64, v4("fe80::1")));
        assert!(!prefix_contains(v4("fe80::"), 64, v4("fe81::1")));
        assert!(!prefix_contains(v4("0.0.0.0"), 0, v4("::1")));
    }
}

//! netio against real kernels, only inside lab namespaces (198.18.0.0/15; IPv6 tests add 2001:2::/48,
//! RFC 5180's benchmarking prefix, on an isolated veth pair).
//!
//! Two ways in:
//! - machine-knowledge tests use `Lab::run_in` (a thread inside the namespace): netio's rtnetlink queries
//!   follow the calling thread's namespace, which these tests also prove;
//! - capture/send tests re-execute this test binary under `ip netns exec NS` with `NETIO_INNER` set, so the
//!   whole process (pcap, raw sockets, sysfs) lives in the namespace. The outer half builds the lab,
//!   passes facts through the environment and checks the inner half's exit status and its `INNER-OK`
//!   marker (a filter typo would otherwise "pass" with zero tests run).

#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv6Addr};
use std::process::Output;
use std::time::{Duration, Instant};

use portolan_netio::{
    LinkType, LiveConfig, LiveIo, NetError, PacketIo, RouteOverrides, iflist, interfaces,
    kernel_route_get, neighbour_mac, raw_privileges, route_to,
};
use portolan_testkit::{Lab, require_root_or_skip};

const INNER: &str = "NETIO_INNER";

fn inner() -> bool {
    std::env::var_os(INNER).is_some()
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("inner half needs ${name}"))
}

/// Run test `name` of this binary again inside `ns`, with `prefix` before the binary (e.g. setpriv).
fn run_inner(lab: &Lab, ns: &str, name: &str, vars: &[(&str, String)], prefix: &[&str]) -> Output {
    let exe = std::env::current_exe().unwrap();
    let mut c = lab.command(ns, prefix.first().copied().unwrap_or(exe.to_str().unwrap())).unwrap();
    if !prefix.is_empty() {
        c.args(&prefix[1..]).arg(&exe);
    }
    c.args([name, "--exact", "--nocapture", "--test-threads=1"]);
    c.env(INNER, "1");
    for (k, v) in vars {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("--- inner {name} in {ns}: {}\n{stdout}\n{stderr}", out.status);
    assert!(out.status.success(), "inner half of {name} failed");
    assert!(stdout.contains(&format!("INNER-OK {name}")), "inner half of {name} did not run");
    out
}

fn done(name: &str) {
    println!("INNER-OK {name}");
}

// ---- hand-built packets (wire is being written concurrently; these tests need only a SYN) ----

fn csum(chunks: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    for c in chunks {
        let mut it = c.chunks_exact(2);
        for w in &mut it {
            sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
        }
        if let [b] = it.remainder() {
            sum += u32::from(*b) << 8;
        }
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn tcp_syn(src: IpAddr, dst: IpAddr, sport: u16, dport: u16, seq: u32) -> Vec<u8> {
    let mut tcp = vec![0u8; 24];
    tcp[0..2].copy_from_slice(&sport.to_be_bytes());
    tcp[2..4].copy_from_slice(&dport.to_be_bytes());
    tcp[4..8].copy_from_slice(&seq.to_be_bytes());
    tcp[12] = 6 << 4; // data offset: 6 words (MSS option)
    tcp[13] = 0x02; // SYN
    tcp[14..16].copy_from_slice(&1024u16.to_be_bytes());
    tcp[20..24].copy_from_slice(&[2, 4, 0x05, 0xb4]); // MSS 1460
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let pseudo = [&s.octets()[..], &d.octets()[..], &[0, 6, 0, 24]].concat();
            let c = csum(&[&pseudo, &tcp]);
            tcp[16..18].copy_from_slice(&c.to_be_bytes());
            let mut ip = vec![0x45, 0, 0, 44, 0x12, 0x34, 0, 0, 64, 6, 0, 0];
            ip.extend_from_slice(&s.octets());
            ip.extend_from_slice(&d.octets());
            let c = csum(&[&ip]);
            ip[10..12].copy_from_slice(&c.to_be_bytes());
            ip.extend_from_slice(&tcp);
            ip
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let pseudo = [&s.octets()[..], &d.octets()[..], &[0, 0, 0, 24, 0, 0, 0, 6]].concat();
            let c = csum(&[&pseudo, &tcp]);
            tcp[16..18].copy_from_slice(&c.to_be_bytes());
            let mut ip = vec![0x60, 0, 0, 0, 0, 24, 6, 64];
            ip.extend_from_slice(&s.octets());
            ip.extend_from_slice(&d.octets());
            ip.extend_from_slice(&tcp);
            ip
        }
        _ => panic!("mixed families"),
    }
}

/// (source MAC, source IP, source port, dest port, flags, ack) of a TCP segment in an Ethernet frame.
struct Seg {
    src_mac: [u8; 6],
    src: IpAddr,
    sport: u16,
    dport: u16,
    flags: u8,
    ack: u32,
}

fn parse_tcp(frame: &[u8]) -> Option<Seg> {
    let src_mac: [u8; 6] = frame.get(6..12)?.try_into().ok()?;
    let et = u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]);
    let ip = frame.get(14..)?;
    let (src, tcp) = match et {
        0x0800 => {
            let ihl = usize::from(ip.first()? & 0x0f) * 4;
            if *ip.get(9)? != 6 {
                return None;
            }
            let s: [u8; 4] = ip.get(12..16)?.try_into().ok()?;
            (IpAddr::V4(s.into()), ip.get(ihl..)?)
        }
        0x86dd => {
            if *ip.get(6)? != 6 {
                return None;
            }
            let s: [u8; 16] = ip.get(8..24)?.try_into().ok()?;
            (IpAddr::V6(s.into()), ip.get(40..)?)
        }
        _ => return None,
    };
    Some(Seg {
        src_mac,
        src,
        sport: u16::from_be_bytes([*tcp.first()?, *tcp.get(1)?]),
        dport: u16::from_be_bytes([*tcp.get(2)?, *tcp.get(3)?]),
        flags: *tcp.get(13)?,
        ack: u32::from_be_bytes(tcp.get(8..12)?.try_into().ok()?),
    })
}

/// Wait (bounded by `within`) for the first captured segment from `from`:`sport` to `dport`.
fn await_seg(io: &mut LiveIo, from: IpAddr, sport: u16, dport: u16, within: Duration) -> Option<(Seg, Instant)> {
    let deadline = Instant::now() + within;
    while let Some(r) = io.recv_until(deadline).unwrap() {
        assert_eq!(r.link, LinkType::Ethernet);
        if let Some(s) = parse_tcp(&r.data)
            && s.src == from
            && s.sport == sport
            && s.dport == dport
        {
            return Some((s, r.time));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------------

/// A raw SYN from the scanner namespace; the capture, narrowed by BPF, sees the target's SYN/ACK (open
/// port 22) and RST (closed port 23). The target's MAC in the capture is the one the kernel's neighbour
/// table then holds. A layer-2 frame (ARP request) through `send_frame` gets an ARP reply.
#[test]
fn syn_gets_synack_through_capture() {
    const NAME: &str = "syn_gets_synack_through_capture";
    if inner() {
        let me: IpAddr = env("NETIO_ME").parse().unwrap();
        let target: IpAddr = env("NETIO_TARGET").parse().unwrap();
        let route = route_to(target, &RouteOverrides::default()).unwrap();
        assert_eq!((route.interface.name.as_str(), route.source, route.direct), ("eth0", me, true));
        let filter = format!("(tcp or icmp) and dst host {me} and src host {target}");
        let mut io = LiveIo::open(LiveConfig::new("eth0", filter)).unwrap();
        assert_eq!(io.link_type(), LinkType::Ethernet);

        let t0 = Instant::now();
        io.send_ip(&tcp_syn(me, target, 40000, 22, 0x0101_0101)).unwrap();
        let (s, seen) = await_seg(&mut io, target, 22, 40000, Duration::from_secs(3)).expect("no SYN/ACK captured");
        assert_eq!(s.flags & 0x12, 0x12, "flags {:#x}", s.flags);
        assert_eq!(s.ack, 0x0101_0102);
        assert!(seen >= t0 && seen <= Instant::now(), "capture time outside the exchange");
        println!("SYN -> SYN/ACK round trip as captured: {:?}", seen - t0);

        io.send_ip(&tcp_syn(me, target, 40001, 23, 7)).unwrap();
        let (s, _) = await_seg(&mut io, target, 23, 40001, Duration::from_secs(3)).expect("no RST captured");
        assert_eq!(s.flags & 0x14, 0x14, "closed port: RST/ACK, flags {:#x}", s.flags);
        assert_eq!(s.ack, 8);

        // The kernel resolved the target for our raw send; its table now agrees with the wire.
        let mac = neighbour_mac(target, Some("eth0")).unwrap().expect("no neighbour entry");
        assert_eq!(mac, s.src_mac);
        assert_eq!(neighbour_mac(target, Some("lo")).unwrap(), None);

        // Nothing else matched the filter: our own SYNs (dst = target) were filtered out.
        let st = io.stats();
        assert_eq!(st.sent_ip, 2);
        assert_eq!(st.channel_dropped, 0);
        drop(io);

        // Direction: without `incoming_only` our own SYN is captured too; with it, only the answer.
        for incoming_only in [false, true] {
            let mut cfg = LiveConfig::new("eth0", format!("tcp and host {target} and port 22"));
            cfg.incoming_only = incoming_only;
            let mut io = LiveIo::open(cfg).unwrap();
            io.send_ip(&tcp_syn(me, target, 40003, 22, 1)).unwrap();
            let deadline = Instant::now() + Duration::from_millis(500);
            let (mut ours, mut theirs) = (0, 0);
            while let Some(r) = io.recv_until(deadline).unwrap() {
                match parse_tcp(&r.data) {
                    Some(s) if s.src == me => ours += 1,
                    Some(s) if s.src == target => theirs += 1,
                    _ => {}
                }
            }
            // Ours: the SYN and the kernel's RST to the unexpected SYN/ACK.
            assert_eq!((ours > 0, theirs > 0), (!incoming_only, true), "incoming_only {incoming_only}: {ours} {theirs}");
        }

        // Layer 2: an ARP request built here, sent with pcap, answered by the target's kernel.
        let eth0 = interfaces().unwrap().into_iter().find(|i| i.name == "eth0").unwrap();
        let my_mac = eth0.mac.unwrap();
        let (IpAddr::V4(me4), IpAddr::V4(t4)) = (me, target) else { panic!("v4 lab") };
        let mut arp = vec![0xff; 6];
        arp.extend_from_slice(&my_mac);
        arp.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1]);
        arp.extend_from_slice(&my_mac);
        arp.extend_from_slice(&me4.octets());
        arp.extend_from_slice(&[0; 6]);
        arp.extend_from_slice(&t4.octets());
        let mut io = LiveIo::open(LiveConfig::new("eth0", format!("arp and ether dst {}", fmt_mac(&my_mac)))).unwrap();
        io.send_frame(&arp).unwrap();
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut answered = false;
        while let Some(r) = io.recv_until(deadline).unwrap() {
            // ARP reply (op 2) whose sender is the target, with the target's MAC.
            if r.data.len() >= 42 && r.data[20..22] == [0, 2] && r.data[28..32] == t4.octets() {
                assert_eq!(r.data[22..28], mac);
                answered = true;
                break;
            }
        }
        assert!(answered, "no ARP reply to the frame sent through pcap");
        assert_eq!(io.stats().sent_frames, 1);
        done(NAME);
        return;
    }
    if !require_root_or_skip() {
        return;
    }
    let lab = Lab::start_named("connect-basic").unwrap();
    run_inner(
        &lab,
        lab.scanner(),
        NAME,
        &[("NETIO_ME", lab.addr("scanner").unwrap().to_string()), ("NETIO_TARGET", lab.addr("target").unwrap().to_string())],
        &[],
    );
}

fn fmt_mac(m: &[u8; 6]) -> String {
    m.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// Route, source and gateway in the routed lab, from both ends of the router and from the router, checked
/// against the kernel's own answer (`ip route get` over rtnetlink) and with -e/-S overrides.
#[test]
fn route_to_in_routed_lab() {
    if !require_root_or_skip() {
        return;
    }
    let lab = Lab::start_named("routed").unwrap();
    let ip = |s: &str| -> IpAddr { s.parse().unwrap() };

    let r = lab
        .run_in("scanner", move || {
            let none = RouteOverrides::default();
            let far = route_to(ip("198.18.1.2"), &none).unwrap();
            let near = route_to(ip("198.18.0.254"), &none).unwrap();
            let own = route_to(ip("198.18.0.1"), &none).unwrap();
            let outside = route_to(ip("198.19.0.1"), &none).unwrap_err();
            let kernel_far = kernel_route_get(ip("198.18.1.2"), None).unwrap();
            let kernel_out = kernel_route_get(ip("198.19.0.1"), None).unwrap_err();
            let spoof = route_to(ip("198.18.1.2"), &RouteOverrides { interface: None, source: Some(ip("198.18.0.77")) }).unwrap();
            let forced_lo = route_to(ip("198.18.1.2"), &RouteOverrides { interface: Some("lo".into()), source: None }).unwrap();
            let bad_if = route_to(ip("198.18.1.2"), &RouteOverrides { interface: Some("wlan9".into()), source: None }).unwrap_err();
            (far, near, own, outside, kernel_far, kernel_out, spoof, forced_lo, bad_if)
        })
        .unwrap();
    let (far, near, own, outside, kernel_far, kernel_out, spoof, forced_lo, bad_if) = r;
    assert_eq!(far.interface.name, "eth0");
    assert_eq!(far.source, ip("198.18.0.1"));
    assert_eq!(far.gateway, Some(ip("198.18.0.254")));
    assert!(!far.direct);
    assert_eq!(far.next_hop(ip("198.18.1.2")), ip("198.18.0.254"));
    assert_eq!(far.interface.mtu, 1500);
    assert!(far.interface.mac.is_some() && far.interface.up);
    // The kernel agrees on every part.
    assert_eq!(kernel_far.interface, far.interface.name);
    assert_eq!(kernel_far.gateway, far.gateway);
    assert_eq!(kernel_far.pref_src, Some(far.source));

    assert_eq!((near.interface.name.as_str(), near.gateway, near.direct), ("eth0", None, true));
    assert_eq!((own.interface.name.as_str(), own.source), ("lo", ip("198.18.0.1")));
    assert!(matches!(outside, NetError::NoRoute(_)), "{outside}");
    assert!(matches!(kernel_out, NetError::NoRoute(_)), "{kernel_out}");
    assert_eq!(spoof.source, ip("198.18.0.77"));
    assert_eq!(spoof.gateway, Some(ip("198.18.0.254")));
    // -e lo: no route through lo covers it, so Nmap's "directly attached on the forced interface".
    assert_eq!((forced_lo.interface.name.as_str(), forced_lo.direct), ("lo", true));
    assert!(bad_if.to_string().contains("wlan9"), "{bad_if}");

    // The router has two legs: each destination picks its own interface and the source on it.
    let (a, b) = lab
        .run_in("router", move || {
            let n = RouteOverrides::default();
            (route_to(ip("198.18.1.2"), &n).unwrap(), route_to(ip("198.18.0.1"), &n).unwrap())
        })
        .unwrap();
    assert_eq!((a.interface.name.as_str(), a.source, a.direct), ("eth1", ip("198.18.1.254"), true));
    assert_eq!((b.interface.name.as_str(), b.source, b.direct), ("eth0", ip("198.18.0.254"), true));

    // The thread moved back out: this (root-namespace) thread never saw the lab's interfaces.
    let here: Vec<String> = interfaces().unwrap().into_iter().flat_map(|i| i.addrs).map(|a| a.addr.to_string()).collect();
    assert!(!here.contains(&"198.18.0.1".to_string()));
}

fn assert_iflist_like_nmap(lab: &Lab, ns: &str) {
    let ours = lab.run_in(ns, || iflist().unwrap()).unwrap();
    let out = lab.exec(ns, &["nmap", "--iflist"]).unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let theirs: String = text.lines().skip_while(|l| !l.starts_with('*')).map(|l| format!("{l}\n")).collect();
    // Nmap lists an interface's IPv6 addresses in /proc/net/if_inet6's hash order, ours in the kernel's
    // per-interface order: the INTERFACES section is compared as a set of lines (widths included), the
    // ROUTES section exactly.
    let split = |t: &str| {
        let (a, b) = t.split_once("**************************ROUTES").unwrap();
        let mut lines: Vec<String> = a.lines().map(str::to_string).collect();
        lines.sort();
        (lines, b.trim_end().to_string())
    };
    assert_eq!(split(&ours), split(&theirs), "ours:\n{ours}\nnmap:\n{theirs}");
}

/// Turn IPv6 on in namespace `ns` of a lab (the lab keeps it off) and give eth0 `addr`/64.
fn enable_ipv6(lab: &Lab, ns: &str, addr: IpAddr) {
    let real = lab.netns_name(ns).unwrap().to_string();
    let cmds: [&[&str]; 2] = [
        &["ip", "netns", "exec", &real, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.lo.disable_ipv6=0", "net.ipv6.conf.eth0.disable_ipv6=0"],
        &["ip", "-n", &real, "addr", "add", &format!("{addr}/64"), "dev", "eth0", "nodad"],
    ];
    for c in cmds {
        let st = std::process::Command::new(c[0]).args(&c[1..]).status().unwrap();
        assert!(st.success(), "{c:?}");
    }
}

/// `--iflist` equals Nmap's own output in the same namespace, line for line (IPv4 only, then with IPv6).
#[test]
fn iflist_matches_nmap() {
    if !require_root_or_skip() {
        return;
    }
    let lab = Lab::start_named("routed").unwrap();
    for ns in ["scanner", "router"] {
        assert_iflist_like_nmap(&lab, ns);
    }
    enable_ipv6(&lab, "scanner", IpAddr::V6(Ipv6Addr::new(0x2001, 2, 0, 0, 0, 0, 0, 1)));
    // The link-local address appears (tentative, then final) a moment later and the kernel's address order
    // changes meanwhile: compare once it has settled.
    let settle = Instant::now() + Duration::from_secs(5);
    loop {
        let out = lab.exec("scanner", &["ip", "-6", "addr", "show", "dev", "eth0"]).unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if (text.contains("fe80::") && !text.contains("tentative")) || Instant::now() > settle {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_iflist_like_nmap(&lab, "scanner");
}

/// Privilege detection agrees with the kernel: with every capability dropped (still uid 0), detection says
/// so and opening a capture fails with NoPrivilege and the setcap hint.
#[test]
fn unprivileged_open_is_refused_with_hint() {
    const NAME: &str = "unprivileged_open_is_refused_with_hint";
    if inner() {
        let p = raw_privileges();
        let want_root = env("NETIO_EXPECT_ROOT") == "1";
        assert_eq!(p.root, want_root);
        assert!(!p.net_raw && !p.net_admin, "{p:?}");
        let why = p.explain().unwrap();
        println!("explain: {why}");
        assert!(why.contains("CAP_NET_RAW"));
        let e = LiveIo::open(LiveConfig::new("eth0", "tcp")).unwrap_err();
        println!("open error: {e}");
        assert!(matches!(e, NetError::NoPrivilege(_)), "{e:?}");
        let text = e.to_string();
        assert!(text.contains("setcap cap_net_raw,cap_net_admin+eip"), "{text}");
        assert!(text.contains("raw-packet access needs root"), "{text}");
        done(NAME);
        return;
    }
    if !require_root_or_skip() {
        return;
    }
    let lab = Lab::start_named("connect-basic").unwrap();
    let drop_all = ["setpriv", "--inh-caps=-all", "--bounding-set=-all"];
    run_inner(&lab, lab.scanner(), NAME, &[("NETIO_EXPECT_ROOT", "1".into())], &drop_all);
    // And as an ordinary user, if that user can reach the test binary.
    let exe = std::env::current_exe().unwrap();
    let probe = lab.exec(lab.scanner(), &["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "test", "-x", exe.to_str().unwrap()]).unwrap();
    if probe.status.success() {
        let nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"];
        run_inner(&lab, lab.scanner(), NAME, &[("NETIO_EXPECT_ROOT", "0".into())], &nobody);
    } else {
        eprintln!("note: uid 65534 cannot execute {}; the nobody variant was not run", exe.display());
    }
}

/// In the root namespace as root: detection says privileged (the CI machine runs as root).
#[test]
fn privileged_when_root() {
    if !require_root_or_skip() {
        return;
    }
    let p = raw_privileges();
    assert!(p.root && p.net_raw && p.net_admin && p.explain().is_none(), "{p:?}");
}

/// IPv6: raw IPv6 send (the caller's header), capture of the answer, NDP neighbour lookup. The lab keeps
/// IPv6 off, so this test turns it on for the connect-basic pair and adds 2001:2::/64 addresses.
#[test]
fn ipv6_syn_and_neighbour() {
    const NAME: &str = "ipv6_syn_and_neighbour";
    let me6: IpAddr = IpAddr::V6(Ipv6Addr::new(0x2001, 2, 0, 0, 0, 0, 0, 1));
    let t6: IpAddr = IpAddr::V6(Ipv6Addr::new(0x2001, 2, 0, 0, 0, 0, 0, 2));
    if inner() {
        let route = route_to(t6, &RouteOverrides::default()).unwrap();
        assert_eq!((route.interface.name.as_str(), route.source, route.direct), ("eth0", me6, true));
        let mut io = LiveIo::open(LiveConfig::new("eth0", format!("ip6 and tcp and src host {t6}"))).unwrap();
        // Port 23 is closed: the target's kernel answers RST over IPv6.
        io.send_ip(&tcp_syn(me6, t6, 40002, 23, 99)).unwrap();
        let (s, _) = await_seg(&mut io, t6, 23, 40002, Duration::from_secs(3)).expect("no IPv6 answer captured");
        assert_eq!(s.flags & 0x14, 0x14, "flags {:#x}", s.flags);
        assert_eq!(s.ack, 100);
        let mac = neighbour_mac(t6, None).unwrap().expect("no NDP entry");
        assert_eq!(mac, s.src_mac);
        done(NAME);
        return;
    }
    if !require_root_or_skip() {
        return;
    }
    let lab = Lab::start_named("connect-basic").unwrap();
    for (ns, addr) in [("scanner", me6), ("target", t6)] {
        enable_ipv6(&lab, ns, addr);
    }
    run_inner(&lab, lab.scanner(), NAME, &[], &[]);

    // A route through a link-local gateway (the usual IPv6 default): the source must be the global address,
    // as the kernel's own answer says. Route lookups only; nothing is sent to 2001:2:0:99::/64.
    let gw_ll: Ipv6Addr = "fe80::2".parse().unwrap();
    let real = lab.netns_name("scanner").unwrap().to_string();
    let st = std::process::Command::new("ip")
        .args(["-n", &real, "-6", "route", "add", "2001:2:0:99::/64", "via", &gw_ll.to_string(), "dev", "eth0"])
        .status()
        .unwrap();
    assert!(st.success());
    let far: IpAddr = "2001:2:0:99::1".parse().unwrap();
    let (ours, kernel) = lab
        .run_in("scanner", move || (route_to(far, &RouteOverrides::default()).unwrap(), kernel_route_get(far, None).unwrap()))
        .unwrap();
    assert_eq!((ours.interface.name.as_str(), ours.gateway, ours.source), ("eth0", Some(IpAddr::V6(gw_ll)), me6));
    assert_eq!((kernel.gateway, kernel.pref_src), (ours.gateway, Some(ours.source)));
}

/// Throughput and loss: SYNs to closed ports as fast as one thread sends them; every RST should come back
/// through the capture. Prints the figures (sent/s, captured, pcap and channel drops).
#[test]
fn capture_keeps_up_with_a_syn_burst() {
    const NAME: &str = "capture_keeps_up_with_a_syn_burst";
    if inner() {
        // Measurement knob: NETIO_BURST=N sends N SYNs instead of 20,000.
        let n: u32 = std::env::var("NETIO_BURST").map(|v| v.parse().unwrap()).unwrap_or(20_000);
        let me: IpAddr = env("NETIO_ME").parse().unwrap();
        let target: IpAddr = env("NETIO_TARGET").parse().unwrap();
        let filter = format!("tcp and dst host {me} and src host {target} and dst port 41000");
        let mut cfg = LiveConfig::new("eth0", filter);
        // Measurement knob: NETIO_SNAPLEN=65535 shows what a full-size ring slot costs.
        if let Ok(v) = std::env::var("NETIO_SNAPLEN") {
            cfg.snaplen = v.parse().unwrap();
        }
        println!("snaplen {} buffer {} bytes", cfg.snaplen, cfg.buffer_bytes);
        let mut io = LiveIo::open(cfg).unwrap();
        let t0 = Instant::now();
        let mut busy = 0u32;
        let mut got = 0u32;
        let mut seen = vec![false; n as usize];
        let drain = |io: &mut LiveIo, until: Instant, seen: &mut Vec<bool>, got: &mut u32| {
            while let Some(r) = io.recv_until(until).unwrap() {
                if let Some(s) = parse_tcp(&r.data)
                    && s.flags & 0x04 != 0
                {
                    let k = s.ack.wrapping_sub(1_000_001) as usize;
                    if k < seen.len() && !seen[k] {
                        seen[k] = true;
                        *got += 1;
                    }
                }
            }
        };
        for k in 0..n {
            // Closed ports 30000..; seq encodes k so each RST's ack names its probe.
            let port = 30000 + (k % 20000) as u16;
            let syn = tcp_syn(me, target, 41000, port, 1_000_000 + k);
            loop {
                match io.send_ip(&syn) {
                    Ok(()) => break,
                    Err(NetError::SendBusy(_)) if busy < 1_000_000 => {
                        busy += 1;
                        std::thread::yield_now();
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            if k % 512 == 511 {
                drain(&mut io, Instant::now(), &mut seen, &mut got);
            }
        }
        let send_time = t0.elapsed();
        drain(&mut io, Instant::now() + Duration::from_secs(2), &mut seen, &mut got);
        std::thread::sleep(Duration::from_millis(250));
        let st = io.stats();
        println!(
            "MEASURED sent {n} SYNs in {:?} ({:.0}/s), send-busy retries {busy}; RSTs captured {got} ({:.2}%); stats {st:?}",
            send_time,
            f64::from(n) / send_time.as_secs_f64(),
            100.0 * f64::from(got) / f64::from(n)
        );
        assert_eq!(st.sent_ip, u64::from(n));
        // Any shortfall must be accounted for by pcap's or the channel's drop counters.
        let lost = u64::from(n - got);
        assert!(
            lost <= st.pcap_dropped + st.channel_dropped + u64::from(n / 100),
            "{lost} replies missing, drops counted {st:?}"
        );
        let t = Instant::now();
        drop(io);
        let dt = t.elapsed();
        println!("MEASURED LiveIo drop took {dt:?}");
        assert!(dt < Duration::from_millis(500));
        done(NAME);
        return;
    }
    if !require_root_or_skip() {
        return;
    }
    let lab = Lab::start_named("connect-basic").unwrap();
    let mut vars = vec![("NETIO_ME", lab.addr("scanner").unwrap().to_string()), ("NETIO_TARGET", lab.addr("target").unwrap().to_string())];
    for k in ["NETIO_SNAPLEN", "NETIO_BURST"] {
        if let Ok(v) = std::env::var(k) {
            vars.push((k, v));
        }
    }
    run_inner(&lab, lab.scanner(), NAME, &vars, &[]);
}

/// Dropping a LiveIo ends its capture thread (the process's thread count returns to where it was), and a
/// bad filter is a clear error naming the filter.
#[test]
fn shutdown_and_bad_filter() {
    const NAME: &str = "shutdown_and_bad_filter";
    if inner() {
        let threads = || std::fs::read_dir("/proc/self/task").unwrap().count();
        let before = threads();
        let io = LiveIo::open(LiveConfig::new("lo", "icmp")).unwrap();
        assert_eq!(threads(), before + 1);
        drop(io);
        assert_eq!(threads(), before);
        let e = LiveIo::open(LiveConfig::new("lo", "tcp and and")).unwrap_err();
        assert!(e.to_string().contains("tcp and and"), "{e}");
        let e = LiveIo::open(LiveConfig::new("nosuch0", "tcp")).unwrap_err();
        assert!(e.to_string().contains("nosuch0"), "{e}");
        // Loopback inside the namespace works too: ICMP echo to 127.0.0.1 comes back.
        let mut io = LiveIo::open(LiveConfig::new("lo", "icmp[icmptype] == icmp-echoreply")).unwrap();
        let mut ping = vec![0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1];
        let icmp = [8u8, 0, 0, 0, 0x12, 0x34, 0, 1];
        let c = csum(&[&icmp]);
        ping.extend_from_slice(&icmp);
        ping[22..24].copy_from_slice(&c.to_be_bytes());
        let c = csum(&[&ping[..20]]);
        ping[10..12].copy_from_slice(&c.to_be_bytes());
        io.send_ip(&ping).unwrap();
        let r = io.recv_until(Instant::now() + Duration::from_secs(2)).unwrap().expect("no echo reply on lo");
        assert_eq!(r.data[14 + 20], 0, "echo reply type");
        assert!(io.recv_until(Instant::now() + Duration::from_millis(50)).unwrap().is_none());
        // A new filter on the running capture: now the requests are seen, not the replies.
        let e = io.set_filter("icmp and and").unwrap_err();
        assert!(e.to_string().contains("icmp and and"), "{e}");
        io.set_filter("icmp[icmptype] == icmp-echo").unwrap();
        io.send_ip(&ping).unwrap();
        let r = io.recv_until(Instant::now() + Duration::from_secs(2)).unwrap().expect("no echo request on lo");
        assert_eq!(r.data[14 + 20], 8, "echo request type");
        assert!(io.recv_until(Instant::now() + Duration::from_millis(50)).unwrap().is_none());
        done(NAME);
        return;
    }
    if !require_root_or_skip() {
        return;
    }
    let lab = Lab::start_named("connect-basic").unwrap();
    run_inner(&lab, lab.scanner(), NAME, &[], &[]);
}

/// A /16 sweep resolves 65,536 routes from one `Machine` reading, quickly, all through the gateway, with
/// the kernel's source; and the neighbour table as read names the gateway's MAC once it is resolved.
#[test]
fn machine_snapshot_routes_a_slash16() {
    if !require_root_or_skip() {
        return;
    }
    let lab = Lab::start_named("sweep").unwrap();
    let gw = lab.addr("target").unwrap();
    // Resolve the gateway's MAC the ordinary way (a ping through the kernel), then read the tables.
    let ping = lab.exec(lab.scanner(), &["ping", "-c", "1", "-W", "2", &gw.to_string()]).unwrap();
    assert!(ping.status.success());
    let (elapsed, ok, first, mac) = lab
        .run_in(lab.scanner(), move || {
            let m = portolan_netio::Machine::snapshot().unwrap();
            let none = RouteOverrides::default();
            let t = Instant::now();
            let mut ok = 0u32;
            let mut first = None;
            for k in 0..=0xffffu32 {
                let dst = IpAddr::V4(std::net::Ipv4Addr::from(0xc613_0000 | k));
                let r = m.route_to(dst, &none).unwrap();
                if r.interface.name == "eth0" && r.gateway == Some(IpAddr::V4(gw)) && !r.direct {
                    ok += 1;
                }
                first.get_or_insert(r);
            }
            let mac = m.neighbour_mac(IpAddr::V4(gw), Some("eth0"));
            (t.elapsed(), ok, first.unwrap(), mac)
        })
        .unwrap();
    println!("MEASURED 65536 routes from one snapshot in {elapsed:?}");
    assert_eq!(ok, 65536);
    assert_eq!(first.source, IpAddr::V4(lab.addr("scanner").unwrap()));
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    let target_mac = lab.exec("target", &["cat", "/sys/class/net/eth0/address"]).unwrap();
    let want = String::from_utf8_lossy(&target_mac.stdout).trim().to_string();
    assert_eq!(mac.map(|m| fmt_mac(&m)), Some(want));
}

/// Through a router: the raw SYN leaves via the gateway (the kernel resolves the gateway's MAC) and the
/// far target's SYN/ACK comes back; with TTL 1 the router's ICMP time-exceeded is captured instead.
#[test]
fn routed_syn_and_ttl_expiry() {
    const NAME: &str = "routed_syn_and_ttl_expiry";
    if inner() {
        let me: IpAddr = "198.18.0.1".parse().unwrap();
        let target: IpAddr = "198.18.1.2".parse().unwrap();
        let router: IpAddr = "198.18.0.254".parse().unwrap();
        let route = route_to(target, &RouteOverrides::default()).unwrap();
        assert_eq!(route.gateway, Some(router));
        let filter = format!("dst host {me} and (tcp or icmp)");
        let mut io = LiveIo::open(LiveConfig::new(route.interface.name.clone(), filter)).unwrap();
        io.send_ip(&tcp_syn(me, target, 40100, 80, 5000)).unwrap();
        let (s, _) = await_seg(&mut io, target, 80, 40100, Duration::from_secs(3)).expect("no SYN/ACK through the router");
        assert_eq!((s.flags & 0x12, s.ack), (0x12, 5001));
        // The frame came from the router's MAC: the gateway, not the target, is the link-layer peer.
        assert_eq!(neighbour_mac(router, Some("eth0")).unwrap(), Some(s.src_mac));

        let mut syn = tcp_syn(me, target, 40101, 80, 6000);
        syn[8] = 1;
        syn[10..12].copy_from_slice(&[0, 0]);
        let c = csum(&[&syn[..20]]);
        syn[10..12].copy_from_slice(&c.to_be_bytes());
        io.send_ip(&syn).unwrap();
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut expired = false;
        while let Some(r) = io.recv_until(deadline).unwrap() {
            let ip = &r.data[14..];
            // ICMP (proto 1) type 11 from the router, quoting our SYN (its source port at the quote's TCP).
            if ip[9] == 1 && ip[12..16] == [198, 18, 0, 254] && ip[20] == 11 {
                let quoted = &ip[28..];
                let qihl = usize::from(quoted[0] & 0x0f) * 4;
                assert_eq!(u16::from_be_bytes([quoted[qihl], quoted[qihl + 1]]), 40101);
                expired = true;
                break;
            }
        }
        assert!(expired, "no ICMP time exceeded from the router");
        done(NAME);
        return;
    }
    if !require_root_or_skip() {
        return;
    }
    let lab = Lab::start_named("routed").unwrap();
    run_inner(&lab, lab.scanner(), NAME, &[], &[]);
}

//! Traceroute (`--traceroute`): after the port scan, each host gets the probe that worked best against it
//! (a SYN to a port that answered, else an ICMP echo), sent with every TTL from 1 up to a little beyond the
//! distance its replies suggested, all hosts and all TTLs at once. ICMP time-exceeded messages name the
//! routers; the target's own answer marks the last hop. Unanswered TTLs are retried twice.
//!
//! Hops shared between targets are probed once (a hop cache): the first host behind each gateway is traced
//! at every TTL; the others start near their own distance and walk down one TTL at a time until a router
//! answers that the cache already holds at the same TTL, and take the hops below it from the cache. A /24
//! behind three routers thus costs about two probes per host instead of five. (The report prints such
//! paths as Nmap does: "Hops 1-N are the same as for X".)

use portolan_netio::{LinkType, NetError, PacketIo, Received};
use portolan_wire::build::{self, Ipv4Params, Ipv6Params};
use portolan_wire::{Icmpv4Repr, Icmpv6Repr, LinkKind, QuotedTransport, TcpFlags, TcpRepr, Transport, parse_frame};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The probe a host is traced with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceProbe {
    /// TCP SYN to this port (open or closed: either answers).
    TcpSyn(u16),
    IcmpEcho,
}

#[derive(Debug, Clone)]
pub struct TraceTarget {
    pub ip: IpAddr,
    pub src: IpAddr,
    pub probe: TraceProbe,
    /// Hops away, guessed from the reply TTL of the scan (`None`: unknown).
    pub distance_guess: Option<u8>,
    /// The first router on the way (`None` on the local link): paths are shared per gateway.
    pub gateway: Option<IpAddr>,
}

/// One answered hop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hop {
    pub ttl: u8,
    pub addr: IpAddr,
    pub rtt: Duration,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceResult {
    /// Answered hops by TTL, the target's own hop last.
    pub hops: Vec<Hop>,
    /// The target answered at this TTL.
    pub distance: Option<u8>,
}

pub const MAX_TTL: u8 = 30;
const TRIES: u8 = 3;

/// Guesses the hop count from a reply's TTL: stacks start at 64, 128 or 255.
pub fn distance_from_ttl(ttl: u8) -> Option<u8> {
    if ttl == 0 {
        return None;
    }
    let initial: u16 = [32u16, 64, 128, 255].into_iter().find(|i| *i >= u16::from(ttl))?;
    u8::try_from(initial - u16::from(ttl) + 1).ok()
}

struct Sent {
    host: usize,
    ttl: u8,
    at: Instant,
    tries: u8,
}

/// Traces every target. `timeout` is how long an unanswered TTL waits before its retry.
pub fn trace(
    io: &mut dyn PacketIo,
    link: LinkType,
    targets: &[TraceTarget],
    timeout: Duration,
    cancel: &crate::connect::Cancel,
) -> Result<Vec<TraceResult>, NetError> {
    let link = match link {
        LinkType::Ethernet => LinkKind::Ethernet,
        LinkType::RawIp => LinkKind::RawIp,
        LinkType::Null => LinkKind::Null,
        LinkType::LinuxSll => LinkKind::LinuxSll,
    };
    let base_port: u16 = 40_000 + rand::random::<u16>() % 20_000;
    let icmp_id: u16 = rand::random();
    let cookie: u32 = rand::random();
    let index: HashMap<IpAddr, usize> = targets.iter().enumerate().map(|(i, t)| (t.ip, i)).collect();
    let mut results: Vec<TraceResult> = vec![TraceResult::default(); targets.len()];
    let mut answered: Vec<BTreeMap<u8, Hop>> = vec![BTreeMap::new(); targets.len()];
    // Outstanding probes by (host, ttl).
    let mut pending: HashMap<(usize, u8), Sent> = HashMap::new();
    let mut limit: Vec<u8> = targets
        .iter()
        .map(|t| t.distance_guess.map_or(MAX_TTL, |d| d.saturating_add(2).min(MAX_TTL)))
        .collect();
    // Leaders (first host per gateway) probe every TTL; followers start just below their distance.
    let mut leader_of: HashMap<Option<IpAddr>, usize> = HashMap::new();
    let mut low: Vec<u8> = vec![1; targets.len()];
    let mut follower: Vec<Option<usize>> = vec![None; targets.len()];
    for (h, t) in targets.iter().enumerate() {
        match leader_of.get(&t.gateway) {
            None => {
                leader_of.insert(t.gateway, h);
            }
            Some(&l) => {
                if let Some(d) = t.distance_guess.filter(|d| *d > 2) {
                    follower[h] = Some(l);
                    low[h] = d - 1;
                }
            }
        }
    }
    // Router hops seen, per gateway and TTL.
    let mut cache: HashMap<(Option<IpAddr>, u8), (IpAddr, usize)> = HashMap::new();
    // Where a follower met a router already traced at the same distance: (that TTL, the host whose trace
    // found the router). The hops below come from that host's path, which may itself have joined another.
    let mut joined: Vec<Option<(u8, usize)>> = vec![None; targets.len()];

    let build = |t: &TraceTarget, ttl: u8| -> Option<Vec<u8>> {
        let sport = base_port + u16::from(ttl);
        match (t.src, t.ip, t.probe) {
            (IpAddr::V4(s), IpAddr::V4(d), TraceProbe::TcpSyn(port)) => {
                let ip = Ipv4Params::new(s, d, ttl, u16::from(ttl) | 0x7a00);
                build::ipv4_tcp(&ip, &TcpRepr::new(sport, port, cookie, 0, TcpFlags::SYN), &[]).ok()
            }
            (IpAddr::V4(s), IpAddr::V4(d), TraceProbe::IcmpEcho) => {
                let ip = Ipv4Params::new(s, d, ttl, u16::from(ttl) | 0x7a00);
                build::ipv4_icmp(&ip, &Icmpv4Repr::EchoRequest { ident: icmp_id, seq: u16::from(ttl), data: &[] }).ok()
            }
            (IpAddr::V6(s), IpAddr::V6(d), TraceProbe::TcpSyn(port)) => {
                let ip = Ipv6Params::new(s, d, ttl);
                build::ipv6_tcp(&ip, &TcpRepr::new(sport, port, cookie, 0, TcpFlags::SYN), &[]).ok()
            }
            (IpAddr::V6(s), IpAddr::V6(d), TraceProbe::IcmpEcho) => {
                let ip = Ipv6Params::new(s, d, ttl);
                build::ipv6_icmp(&ip, &Icmpv6Repr::EchoRequest { ident: icmp_id, seq: u16::from(ttl), data: &[] }).ok()
            }
            _ => None,
        }
    };
    let quoted_ttl = |q: &QuotedTransport| -> Option<u8> {
        match *q {
            QuotedTransport::Tcp { src_port, .. } => {
                let d = src_port.wrapping_sub(base_port);
                (1..=u16::from(MAX_TTL)).contains(&d).then_some(d as u8)
            }
            QuotedTransport::Icmp { ident, seq, .. } | QuotedTransport::Icmpv6 { ident, seq, .. } if ident == icmp_id => {
                u8::try_from(seq).ok()
            }
            _ => None,
        }
    };
    fn quoted_impl(
        q: &portolan_wire::Quoted,
        from: IpAddr,
        unreach: bool,
        index: &HashMap<IpAddr, usize>,
        ttl_of: &dyn Fn(&QuotedTransport) -> Option<u8>,
    ) -> Option<(usize, u8, IpAddr, bool)> {
        let h = *index.get(&q.ip.dst)?;
        let ttl = ttl_of(&q.transport)?;
        // A destination-unreachable from the target itself is its own answer.
        Some((h, ttl, from, unreach && from == q.ip.dst))
    }
    let quoted = |q: &portolan_wire::Quoted, from: IpAddr, unreach: bool| quoted_impl(q, from, unreach, &index, &quoted_ttl);
    // Which (host, ttl) a captured frame answers, who answered, and whether it is the target itself.
    let decode = |rx: &Received| -> Option<(usize, u8, IpAddr, bool)> {
        let p = parse_frame(link, &rx.data).ok()?;
        let ip = p.ip?;
        let ttl_of_port = |port: u16| {
            let d = port.wrapping_sub(base_port);
            (1..=u16::from(MAX_TTL)).contains(&d).then_some(d as u8)
        };
        match p.transport {
            Transport::Tcp(t) => {
                let h = *index.get(&ip.src)?;
                let ttl = ttl_of_port(t.dst_port)?;
                Some((h, ttl, ip.src, true))
            }
            Transport::Icmp(i) if i.msg_type == 0 && i.ident == icmp_id => {
                let h = *index.get(&ip.src)?;
                Some((h, u8::try_from(i.seq).ok()?, ip.src, true))
            }
            Transport::Icmpv6(i6) if i6.icmp.msg_type == 129 && i6.icmp.ident == icmp_id => {
                let h = *index.get(&ip.src)?;
                Some((h, u8::try_from(i6.icmp.seq).ok()?, ip.src, true))
            }
            Transport::Icmp(i) if matches!(i.msg_type, 11 | 3) => quoted(&i.quoted?, ip.src, i.msg_type == 3),
            Transport::Icmpv6(i6) if matches!(i6.icmp.msg_type, 3 | 1) => {
                quoted(&i6.icmp.quoted?, ip.src, i6.icmp.msg_type == 1)
            }
            _ => None,
        }
    };

    // Send every TTL of every host at once (bounded: at most MAX_TTL per host).
    let send_one = |io: &mut dyn PacketIo, t: &TraceTarget, ttl: u8| -> Result<(), NetError> {
        match build(t, ttl) {
            Some(b) => io.send_ip(&b),
            None => Ok(()),
        }
    };
    for (h, t) in targets.iter().enumerate() {
        for ttl in low[h]..=limit[h] {
            // Stamped before sending: on a fast link the reply can be captured before the send returns.
            let at = io.now();
            send_one(io, t, ttl)?;
            pending.insert((h, ttl), Sent { host: h, ttl, at, tries: 1 });
        }
    }
    while !pending.is_empty() && !cancel.is_cancelled() {
        let now = io.now();
        // Retry or give up on expired probes.
        let expired: Vec<(usize, u8)> =
            pending.iter().filter(|(_, s)| now.duration_since(s.at) >= timeout).map(|(k, _)| *k).collect();
        for k in expired {
            let Some(s) = pending.get_mut(&k) else { continue };
            if s.tries >= TRIES || s.ttl > limit[s.host] {
                pending.remove(&k);
                continue;
            }
            s.tries += 1;
            s.at = now;
            let (h, ttl) = k;
            send_one(io, &targets[h], ttl)?;
        }
        let deadline = pending.values().map(|s| s.at + timeout).min().unwrap_or(now).max(now + Duration::from_millis(1));
        while let Some(rx) = io.recv_until(deadline)? {
            let Some((h, ttl, from, at_target)) = decode(&rx) else { continue };
            let Some(s) = pending.remove(&(h, ttl)) else { continue };
            let rtt = rx.time.saturating_duration_since(s.at);
            answered[h].insert(ttl, Hop { ttl, addr: from, rtt });
            if !at_target {
                let key = (targets[h].gateway, ttl);
                match cache.get(&key) {
                    Some((addr, owner)) if *addr == from && *owner != h && follower[h].is_some() => {
                        // The same router at the same distance: the rest of the way down is known.
                        if joined[h].is_none_or(|(j, _)| ttl < j) {
                            joined[h] = Some((ttl, *owner));
                        }
                        pending.retain(|(ph, pt), _| *ph != h || *pt > ttl);
                    }
                    Some(_) => {}
                    None => {
                        cache.insert(key, (from, h));
                    }
                }
            }
            if at_target {
                // Beyond the first TTL that reached the target there is nothing to learn.
                let d = results[h].distance.map_or(ttl, |d| d.min(ttl));
                results[h].distance = Some(d);
                limit[h] = d;
                pending.retain(|(ph, pt), _| *ph != h || *pt < d);
            }
            if pending.is_empty() {
                break;
            }
        }
        // A follower whose lowest probes are settled without meeting the cache walks one TTL down.
        for h in 0..targets.len() {
            if follower[h].is_some() && joined[h].is_none() && low[h] > 1 {
                let settled = !pending.keys().any(|(ph, pt)| *ph == h && *pt <= low[h]);
                if settled {
                    low[h] -= 1;
                    let ttl = low[h];
                    let at = io.now();
                    send_one(io, &targets[h], ttl)?;
                    pending.insert((h, ttl), Sent { host: h, ttl, at, tries: 1 });
                }
            }
        }
        // A host with no distance yet and nothing pending below MAX_TTL gets its next TTLs.
        for h in 0..targets.len() {
            if results[h].distance.is_none() && limit[h] < MAX_TTL && !pending.keys().any(|(ph, _)| *ph == h) {
                let from = limit[h] + 1;
                limit[h] = (limit[h] + 5).min(MAX_TTL);
                for ttl in from..=limit[h] {
                    let at = io.now();
                    send_one(io, &targets[h], ttl)?;
                    pending.insert((h, ttl), Sent { host: h, ttl, at, tries: 1 });
                }
            }
        }
    }
    for (h, r) in results.iter_mut().enumerate() {
        let d = r.distance.unwrap_or(MAX_TTL);
        r.hops = full_path(h, &answered, &joined, 0).into_values().filter(|hop| hop.ttl <= d).collect();
    }
    Ok(results)
}

/// Host `h`'s hops: its own answers, and below the TTL where it joined another host's path, that host's
/// (followed as far as it joined others in turn; each join is to a host traced earlier, and the depth is
/// bounded by the number of hosts all the same).
fn full_path(h: usize, answered: &[BTreeMap<u8, Hop>], joined: &[Option<(u8, usize)>], depth: usize) -> BTreeMap<u8, Hop> {
    let mut hops = answered[h].clone();
    if let Some((j, owner)) = joined[h]
        && depth < answered.len()
    {
        for (ttl, hop) in full_path(owner, answered, joined, depth + 1) {
            if ttl < j {
                hops.insert(ttl, hop);
            }
        }
    }
    hops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_from_reply_ttl() {
        assert_eq!(distance_from_ttl(64), Some(1));
        assert_eq!(distance_from_ttl(61), Some(4));
        assert_eq!(distance_from_ttl(127), Some(2));
        assert_eq!(distance_from_ttl(250), Some(6));
        assert_eq!(distance_from_ttl(0), None);
    }
}

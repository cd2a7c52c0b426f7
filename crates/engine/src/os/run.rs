//! One try over a [`PacketIo`]: the six SEQ probes 100 ms apart (their timing feeds ISR, SP and TS), then the
//! other ten 25 ms apart, replies matched as they come; unanswered non-SEQ probes are sent again after a
//! timeout, a bounded number of times (the SEQ probes are not: a late copy would spoil the rates).

use portolan_netio::{NetError, PacketIo, Received};
use portolan_wire::{LinkKind, QuotedTransport, Transport, parse_frame};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::compute::{EchoReply, SentTcp, TcpReply, TryResults, Unreachable};
use super::probes::{self, Probe, TryPlan};

/// Timing of a try.
#[derive(Debug, Clone, Copy)]
pub struct TryTiming {
    /// Between SEQ probes (Nmap: 100 ms).
    pub seq_spacing: Duration,
    /// Between the other probes (Nmap: 25 ms).
    pub spacing: Duration,
    /// How long a probe waits for its reply before it is sent again (and after its last copy).
    pub timeout: Duration,
    /// Extra copies of an unanswered non-SEQ probe.
    pub retries: u32,
}

#[derive(Debug, Default)]
struct Slot {
    sends: u32,
    last_sent: Option<Instant>,
    first_sent: Option<Instant>,
    answered: bool,
}

/// Counters of a try.
#[derive(Debug, Clone, Copy, Default)]
pub struct TryCounters {
    pub sent: u32,
    pub received: u32,
    /// Largest round trip seen (from the last copy of the probe answered).
    pub max_rtt: Option<Duration>,
}

fn link_kind(l: portolan_netio::LinkType) -> LinkKind {
    match l {
        portolan_netio::LinkType::Ethernet => LinkKind::Ethernet,
        portolan_netio::LinkType::RawIp => LinkKind::RawIp,
        portolan_netio::LinkType::Null => LinkKind::Null,
        portolan_netio::LinkType::LinuxSll => LinkKind::LinuxSll,
    }
}

/// Sends one try's probes and collects the replies. `u1_ttl` is the TTL every U1 copy carries.
pub fn run_try(
    io: &mut dyn PacketIo,
    link: portolan_netio::LinkType,
    plan: &TryPlan,
    timing: &TryTiming,
    cancel: &crate::connect::Cancel,
) -> Result<(TryResults, TryCounters), NetError> {
    let link = link_kind(link);
    let order = probes::order(plan.open.is_some());
    let start = io.now();
    // When each probe's first copy is due.
    let mut due: Vec<(Probe, Instant)> = Vec::with_capacity(order.len());
    let mut at = start;
    for (i, p) in order.iter().enumerate() {
        if i > 0 {
            let prev = order[i - 1];
            at += if matches!(prev, Probe::Seq(_)) && matches!(p, Probe::Seq(_)) { timing.seq_spacing } else { timing.spacing };
        }
        due.push((*p, at));
    }
    let u1_ttl: u8 = 37 + rand::random::<u8>() % 27;
    let mut res = TryResults {
        open_probed: plan.open.is_some(),
        u1_ttl,
        ie_sent: true,
        u1_sent: true,
        ..TryResults::default()
    };
    let mut slots: BTreeMap<Probe, Slot> = order.iter().map(|p| (*p, Slot::default())).collect();
    let mut counters = TryCounters::default();
    let mut next_first = 0usize;

    loop {
        if cancel.is_cancelled() {
            break;
        }
        // Once replies show the round trip, waits shrink to it (never above the configured timeout).
        let timeout = counters
            .max_rtt
            .map_or(timing.timeout, |r| (r * 4 + Duration::from_millis(20)).clamp(super::MIN_TIMEOUT, timing.timeout));
        let now = io.now();
        // First copies that are due.
        while next_first < due.len() && due[next_first].1 <= now {
            let p = due[next_first].0;
            send(io, plan, p, u1_ttl, &mut res, slots.get_mut(&p), &mut counters, now)?;
            next_first += 1;
        }
        // Retransmissions of unanswered non-SEQ probes.
        for (p, s) in slots.iter_mut() {
            if matches!(p, Probe::Seq(_)) || s.answered || s.sends == 0 || s.sends > timing.retries {
                continue;
            }
            if s.last_sent.is_some_and(|t| now.saturating_duration_since(t) >= timeout) {
                let p = *p;
                send(io, plan, p, u1_ttl, &mut res, Some(s), &mut counters, now)?;
            }
        }
        // Done when everything is sent and every probe is answered or out of time.
        let waiting: Vec<Instant> = slots
            .iter()
            .filter(|(_, s)| !s.answered)
            .filter_map(|(p, s)| {
                let last = s.last_sent?;
                let more = !matches!(p, Probe::Seq(_)) && s.sends <= timing.retries;
                let until = last + timeout;
                (more || until > now).then_some(until)
            })
            .collect();
        if next_first >= due.len() && waiting.is_empty() {
            break;
        }
        let mut wake = waiting.iter().copied().min().unwrap_or(now + timeout);
        if let Some((_, t)) = due.get(next_first) {
            wake = wake.min(*t);
        }
        // Never sleep past a moment that needs action, never spin either.
        let wake = wake.max(now + Duration::from_micros(200));
        while let Some(rx) = io.recv_until(wake)? {
            if absorb(link, &rx, plan, &mut res, &mut slots, &mut counters) {
                counters.received += 1;
            }
            if io.now() >= wake {
                break;
            }
        }
    }
    Ok((res, counters))
}

#[allow(clippy::too_many_arguments)]
fn send(
    io: &mut dyn PacketIo,
    plan: &TryPlan,
    p: Probe,
    u1_ttl: u8,
    res: &mut TryResults,
    slot: Option<&mut Slot>,
    counters: &mut TryCounters,
    now: Instant,
) -> Result<(), NetError> {
    let ttl = if p == Probe::U1 { u1_ttl } else { 37 + rand::random::<u8>() % 27 };
    let d = probes::build(plan, p, ttl, rand::random()).map_err(|e| NetError::BadDatagram(format!("OS probe {p:?}: {e}")))?;
    // A full send queue is worth a short wait; any other failure ends the try.
    let mut tries = 0;
    loop {
        match io.send_ip(&d) {
            Ok(()) => break,
            Err(NetError::SendBusy(_)) if tries < 20 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(e),
        }
    }
    counters.sent += 1;
    if p == Probe::U1 {
        res.u1_udp_checksum = probes::udp_checksum_of(&d);
    }
    let (seq, ack) = plan.seq_ack(p);
    let sent = SentTcp { seq, ack, at: now };
    match p {
        Probe::Seq(i) => res.seq[usize::from(i)] = Some((sent, None)),
        Probe::Ecn => {
            if res.ecn.is_none() {
                res.ecn = Some((sent, None));
            }
        }
        Probe::T(k) => {
            let i = usize::from(k - 2);
            if res.t[i].is_none() {
                res.t[i] = Some((sent, None));
            }
        }
        Probe::Ie(_) | Probe::U1 => {}
    }
    if let Some(s) = slot {
        s.sends += 1;
        s.last_sent = Some(now);
        s.first_sent.get_or_insert(now);
    }
    Ok(())
}

/// Files a captured frame under the probe it answers; false when it answers none.
fn absorb(
    link: LinkKind,
    rx: &Received,
    plan: &TryPlan,
    res: &mut TryResults,
    slots: &mut BTreeMap<Probe, Slot>,
    counters: &mut TryCounters,
) -> bool {
    let Ok(f) = parse_frame(link, &rx.data) else { return false };
    let Some(ip) = f.ip else { return false };
    if ip.src != std::net::IpAddr::V4(plan.dst) || ip.dst != std::net::IpAddr::V4(plan.src) {
        return false;
    }
    let ip_id = (ip.ident & 0xFFFF) as u16;
    let probe = match f.transport {
        Transport::Tcp(t) => {
            let Some(p) = plan.tcp_probe_for(t.dst_port) else { return false };
            let expect = if p.needs_open() { plan.open } else { Some(plan.closed) };
            if expect != Some(t.src_port) {
                return false;
            }
            let reply = TcpReply {
                ttl: ip.ttl,
                df: ip.dont_frag,
                ip_id,
                seq: t.seq,
                ack: t.ack,
                flags: t.flags.bits(),
                reserved: t.reserved,
                window: t.window,
                urgent: t.urgent,
                options: t.options,
                payload: t.payload.to_vec(),
            };
            let slot = match p {
                Probe::Seq(i) => res.seq[usize::from(i)].as_mut(),
                Probe::Ecn => res.ecn.as_mut(),
                Probe::T(k) => res.t[usize::from(k - 2)].as_mut(),
                _ => None,
            };
            let Some(slot) = slot else { return false };
            if slot.1.is_some() {
                return false;
            }
            slot.1 = Some(reply);
            p
        }
        Transport::Icmp(i) if i.msg_type == 0 => {
            let k = i.ident.wrapping_sub(plan.ie_ident);
            if k > 1 || res.ie[usize::from(k)].is_some() {
                return false;
            }
            res.ie[usize::from(k)] = Some(EchoReply { ttl: ip.ttl, df: ip.dont_frag, ip_id, code: i.code });
            Probe::Ie(k as u8)
        }
        Transport::Icmp(i) if i.msg_type == 3 && i.code == 3 => {
            let Some(q) = i.quoted else { return false };
            let ours = matches!(q.transport, QuotedTransport::Udp { src_port, dst_port, .. }
                if src_port == plan.u1_sport && dst_port == plan.closed_udp);
            if !ours || q.ip.dst != std::net::IpAddr::V4(plan.dst) || res.u1.is_some() {
                return false;
            }
            res.u1 = Some(Unreachable {
                ttl: ip.ttl,
                df: ip.dont_frag,
                ip_id,
                ip_len: u16::try_from(ip.total_len).unwrap_or(u16::MAX),
                unused: (u32::from(i.ident) << 16) | u32::from(i.seq),
                quote: i.data.to_vec(),
            });
            Probe::U1
        }
        _ => return false,
    };
    if let Some(s) = slots.get_mut(&probe) {
        s.answered = true;
        if let Some(sent) = s.last_sent {
            let rtt = rx.time.saturating_duration_since(sent);
            counters.max_rtt = Some(counters.max_rtt.map_or(rtt, |m| m.max(rtt)));
        }
    }
    true
}

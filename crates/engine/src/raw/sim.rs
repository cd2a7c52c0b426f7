//! Scripted networks for the scheduler's unit tests: a [`PacketIo`] with a virtual clock and hosts whose
//! ports answer by rule, behind a link that delays, drops (in bursts or at random, from a seed), duplicates
//! and reorders, and targets that rate-limit their answers. The probes travel as tokens (the codec keeps the
//! table), because what is under test here is scheduling, not packet layouts (those are `wire`'s tests and
//! the lab's).

use super::classify::{self, Response, Unreach};
use super::{Answer, AnswerKind, Outgoing, Probe, ProbeCodec, RawHost};
use portolan_model::PortState;
use portolan_netio::{LinkType, NetError, PacketIo, Received};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How a port answers a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortRule {
    Open,
    Closed,
    Dropped,
    Rejected(Unreach),
}

/// A token bucket on a host's negative answers (RST for TCP, port-unreachable for UDP), as Linux limits ICMP.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub per_sec: f64,
    pub burst: f64,
}

#[derive(Debug, Clone)]
pub struct SimHost {
    pub ip: IpAddr,
    pub ports: HashMap<u16, PortRule>,
    pub default: PortRule,
    pub limit: Option<RateLimit>,
    /// The host falls silent from this moment on (virtual time since start).
    pub silent_after: Option<Duration>,
    pub ttl: u8,
}

#[derive(Debug, Clone)]
pub struct Link {
    pub delay: Duration,
    /// Extra random delay up to this much per packet: reorders replies.
    pub jitter: Duration,
    /// Independent loss probability per packet, each direction.
    pub loss: f64,
    /// Every packet sent during these windows (virtual time) is lost.
    pub bursts: Vec<(Duration, Duration)>,
    pub duplicate: f64,
    pub seed: u64,
    /// A bottleneck on the way to the hosts: packets per second it forwards, and how many may wait in its
    /// queue (tail drop beyond), as a slow link or an overloaded relay behaves.
    pub bottleneck: Option<(f64, usize)>,
}

impl Default for Link {
    fn default() -> Self {
        Link {
            delay: Duration::from_millis(1),
            jitter: Duration::ZERO,
            loss: 0.0,
            bursts: vec![],
            duplicate: 0.0,
            seed: 1,
            bottleneck: None,
        }
    }
}

type Table = Rc<RefCell<Vec<(IpAddr, Probe, u8)>>>;

/// The codec half: probes become tokens; replies are token + what came back.
#[derive(Debug)]
pub struct TokenCodec {
    table: Table,
}

impl ProbeCodec for TokenCodec {
    fn build(&mut self, target: &RawHost, probe: Probe, try_no: u8) -> Outgoing {
        let mut t = self.table.borrow_mut();
        t.push((target.ip, probe, try_no));
        Outgoing::Ip(((t.len() - 1) as u64).to_be_bytes().to_vec())
    }

    fn decode(&mut self, rx: &Received) -> Option<Answer> {
        let d = &rx.data;
        if d.len() != 13 {
            return None;
        }
        let token = u64::from_be_bytes(d[..8].try_into().ok()?) as usize;
        let (ip, probe, try_no) = *self.table.borrow().get(token)?;
        let resp = match d[8] {
            0 => Response::Tcp { flags: d[9], window: u16::from_be_bytes([d[10], d[11]]) },
            1 => Response::Udp,
            2 => Response::Unreachable(match d[9] {
                3 => Unreach::Port,
                13 => Unreach::AdminProhibited,
                _ => Unreach::Host,
            }),
            _ => return None,
        };
        Some(Answer {
            target: ip,
            probe,
            try_no: Some(try_no),
            kind: AnswerKind::Port(resp),
            ttl: d[12],
            via: None,
            mac: None,
        })
    }

    fn capture_filter(&self, _hosts: &[RawHost]) -> String {
        String::new()
    }
}

/// The network half.
#[derive(Debug)]
pub struct SimNet {
    base: Instant,
    now: Duration,
    table: Table,
    hosts: HashMap<IpAddr, (SimHost, f64, Duration)>,
    link: Link,
    rng: StdRng,
    /// Replies in flight, by arrival time (then by insertion order).
    inbox: BTreeMap<(Duration, u64), Vec<u8>>,
    serial: u64,
    pub sent: u64,
    /// When the bottleneck is free again.
    wire_free: Duration,
}

impl SimNet {
    pub fn new(hosts: Vec<SimHost>, link: Link) -> (SimNet, TokenCodec) {
        let table: Table = Rc::default();
        let rng = StdRng::seed_from_u64(link.seed);
        let hosts = hosts
            .into_iter()
            .map(|h| {
                let burst = h.limit.map_or(0.0, |l| l.burst);
                (h.ip, (h, burst, Duration::ZERO))
            })
            .collect();
        let net = SimNet {
            base: Instant::now(),
            now: Duration::ZERO,
            table: table.clone(),
            hosts,
            link,
            rng,
            inbox: BTreeMap::new(),
            serial: 0,
            sent: 0,
            wire_free: Duration::ZERO,
        };
        (net, TokenCodec { table })
    }

    pub fn elapsed(&self) -> Duration {
        self.now
    }

    fn lost(&mut self, at: Duration) -> bool {
        self.link.bursts.iter().any(|(a, b)| at >= *a && at < *b) || self.rng.random::<f64>() < self.link.loss
    }

    fn one_way(&mut self) -> Duration {
        let j = self.link.jitter.as_micros() as u64;
        let extra = if j > 0 { Duration::from_micros(self.rng.random_range(0..j)) } else { Duration::ZERO };
        self.link.delay + extra
    }
}

impl PacketIo for SimNet {
    fn now(&self) -> Instant {
        self.base + self.now
    }

    fn send_ip(&mut self, datagram: &[u8]) -> Result<(), NetError> {
        self.sent += 1;
        // Time passes a little with every send, as on a real wire.
        self.now += Duration::from_micros(2);
        let token = u64::from_be_bytes(datagram.try_into().map_err(|_| NetError::Other("bad token".into()))?);
        let Some(&(ip, probe, _)) = self.table.borrow().get(token as usize) else { return Ok(()) };
        let now = self.now;
        if self.lost(now) {
            return Ok(());
        }
        let mut there = now + self.one_way();
        if let Some((pps, limit)) = self.link.bottleneck {
            let gap = Duration::from_secs_f64(1.0 / pps);
            let start = self.wire_free.max(now);
            let waiting = start.saturating_sub(now).as_secs_f64() * pps;
            if waiting >= limit as f64 {
                return Ok(()); // tail drop
            }
            self.wire_free = start + gap;
            there += self.wire_free - now;
        }
        let Some((host, tokens, last)) = self.hosts.get_mut(&ip) else { return Ok(()) };
        if host.silent_after.is_some_and(|s| there >= s) {
            return Ok(());
        }
        let rule = host.ports.get(&probe.port()).copied().unwrap_or(host.default);
        let ttl = host.ttl;
        let (tag, a, win) = match (probe, rule) {
            (_, PortRule::Dropped) => return Ok(()),
            (Probe::Tcp { flags, .. }, PortRule::Open) => {
                if flags & classify::SYN != 0 {
                    (0u8, classify::SYN | classify::ACK, 64240u16)
                } else if flags & classify::ACK != 0 && flags & classify::FIN == 0 {
                    (0, classify::RST, 0)
                } else {
                    return Ok(()); // FIN/NULL/Xmas to an open port: RFC 793 says silence.
                }
            }
            (Probe::Tcp { .. }, PortRule::Closed) => (0, classify::RST | classify::ACK, 0),
            (Probe::Udp { .. }, PortRule::Open) => (1, 0, 0),
            (Probe::Udp { .. }, PortRule::Closed) => (2, 3, 0),
            (_, PortRule::Rejected(u)) => (2, if u == Unreach::AdminProhibited { 13 } else { 1 }, 0),
            _ => return Ok(()),
        };
        let negative = !(tag == 0 && a & classify::SYN != 0) && tag != 1;
        if negative && let Some(l) = host.limit {
            let refill = (there.saturating_sub(*last)).as_secs_f64() * l.per_sec;
            *tokens = (*tokens + refill).min(l.burst);
            *last = there;
            if *tokens < 1.0 {
                return Ok(());
            }
            *tokens -= 1.0;
        }
        let mut reply = token.to_be_bytes().to_vec();
        reply.extend_from_slice(&[tag, a]);
        reply.extend_from_slice(&win.to_be_bytes());
        reply.push(ttl);
        if self.lost(there) {
            return Ok(());
        }
        let copies = if self.rng.random::<f64>() < self.link.duplicate { 2 } else { 1 };
        for _ in 0..copies {
            let back = there + self.one_way();
            self.serial += 1;
            self.inbox.insert((back, self.serial), reply.clone());
        }
        Ok(())
    }

    fn send_frame(&mut self, _frame: &[u8]) -> Result<(), NetError> {
        Ok(())
    }

    fn recv_until(&mut self, deadline: Instant) -> Result<Option<Received>, NetError> {
        let deadline = deadline.saturating_duration_since(self.base);
        let Some((&key, _)) = self.inbox.iter().next() else {
            self.now = self.now.max(deadline);
            return Ok(None);
        };
        if key.0 > deadline {
            self.now = self.now.max(deadline);
            return Ok(None);
        }
        let data = self.inbox.remove(&key).unwrap_or_default();
        self.now = self.now.max(key.0);
        Ok(Some(Received { time: self.base + self.now, link: LinkType::RawIp, data }))
    }
}

/// The truth a host's rules imply for a scan type, to compare the scan's result with.
pub fn expected(scan: portolan_model::ScanType, rule: PortRule) -> PortState {
    use portolan_model::ScanType as S;
    match (scan, rule) {
        (S::Syn, PortRule::Open) => PortState::Open,
        (S::Syn, PortRule::Closed) => PortState::Closed,
        (S::Udp, PortRule::Open) => PortState::Open,
        (S::Udp, PortRule::Closed) => PortState::Closed,
        (S::Fin | S::Null | S::Xmas, PortRule::Closed) => PortState::Closed,
        (S::Ack, PortRule::Open | PortRule::Closed) => PortState::Unfiltered,
        (s, PortRule::Dropped) => classify::silent_state(s),
        (s, PortRule::Open) => classify::silent_state(s),
        (_, PortRule::Rejected(_)) => PortState::Filtered,
        (_, PortRule::Closed) => PortState::Closed,
    }
}

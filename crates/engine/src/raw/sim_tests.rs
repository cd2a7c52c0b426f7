//! The scheduler against scripted networks: every test compares the scan's port states with the truth the
//! script implies, so a scheduler that gives up early, double-counts or mislabels fails.

use super::classify::{self, Unreach};
use super::sim::{Link, PortRule, RateLimit, SimHost, SimNet, expected};
use super::{Probe, RawConfig, RawFact, RawHost, RawStats, Work, run};
use crate::connect::Cancel;
use portolan_model::{PortState, ScanType, Timing, TimingTemplate};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

fn ip(last: u8) -> IpAddr {
    IpAddr::from([198, 18, 0, last])
}

fn host(last: u8, ports: &[(u16, PortRule)], default: PortRule) -> SimHost {
    SimHost {
        ip: ip(last),
        ports: ports.iter().copied().collect(),
        default,
        limit: None,
        silent_after: None,
        ttl: 64,
    }
}

fn probes(scan: ScanType, ports: std::ops::RangeInclusive<u16>) -> Vec<Probe> {
    ports
        .map(|port| match scan {
            ScanType::Udp => Probe::Udp { port },
            s => Probe::Tcp { port, flags: classify::tcp_flags(s).unwrap_or(classify::SYN) },
        })
        .collect()
}

struct Outcome {
    states: BTreeMap<(IpAddr, u16), (PortState, &'static str)>,
    stats: RawStats,
    elapsed: Duration,
    facts: Vec<RawFact>,
    duplicates: usize,
}

fn scan(hosts: Vec<SimHost>, link: Link, scan: ScanType, ports: Vec<Probe>, timing: Timing) -> Outcome {
    let targets: Vec<RawHost> = hosts
        .iter()
        .map(|h| RawHost { ip: h.ip, src: ip(1), src_mac: None, next_hop_mac: None, rtt_hint: None })
        .collect();
    let (mut net, mut codec) = SimNet::new(hosts, link);
    let cfg = RawConfig { timing: timing.effective(), progress_every: Duration::from_secs(5), trace: false };
    let mut facts = Vec::new();
    let stats = run(&mut net, &mut codec, &targets, &ports, Work::PortScan(scan), true, &cfg, &Cancel::default(), &mut |f| {
        facts.push(f)
    })
    .expect("the scripted network never fails");
    let mut states = BTreeMap::new();
    let mut duplicates = 0;
    for f in &facts {
        if let RawFact::Port { host, port, state, reason, .. } = f
            && states.insert((targets[*host].ip, *port), (*state, *reason)).is_some()
        {
            duplicates += 1;
        }
    }
    Outcome { states, stats, elapsed: net.elapsed(), facts, duplicates }
}

fn check_truth(out: &Outcome, hosts: &[SimHost], scan_type: ScanType, ports: std::ops::RangeInclusive<u16>) {
    assert_eq!(out.duplicates, 0, "every port gets exactly one final state");
    let mut wrong = Vec::new();
    for h in hosts {
        for p in ports.clone() {
            let rule = h.ports.get(&p).copied().unwrap_or(h.default);
            let want = expected(scan_type, rule);
            match out.states.get(&(h.ip, p)) {
                Some((got, _)) if *got == want => {}
                other => wrong.push(format!("{}:{p} want {want:?} got {other:?}", h.ip)),
            }
        }
    }
    assert!(wrong.is_empty(), "{} wrong of {}: {:?}", wrong.len(), out.states.len(), &wrong[..wrong.len().min(10)]);
}

fn t4() -> Timing {
    Timing { template: TimingTemplate::Aggressive, ..Timing::default() }
}

#[test]
fn every_state_and_reason_on_a_clean_link() {
    let rules = [
        (22, PortRule::Open),
        (23, PortRule::Dropped),
        (24, PortRule::Rejected(Unreach::AdminProhibited)),
        (80, PortRule::Open),
    ];
    let hosts = vec![host(2, &rules, PortRule::Closed)];
    for st in [ScanType::Syn, ScanType::Ack, ScanType::Fin, ScanType::Null, ScanType::Xmas, ScanType::Udp] {
        let out = scan(hosts.clone(), Link::default(), st, probes(st, 1..=200), Timing::default());
        check_truth(&out, &hosts, st, 1..=200);
        let reason = |p: u16| out.states[&(ip(2), p)].1;
        assert_eq!(reason(24), "admin-prohibited", "{st:?}");
        assert_eq!(reason(23), "no-response", "{st:?}");
        if st == ScanType::Syn {
            assert_eq!(reason(22), "syn-ack");
            assert_eq!(reason(25), "reset");
        }
        if st == ScanType::Udp {
            assert_eq!(reason(25), "port-unreach");
        }
        // Silent ports cost one retransmission, not max-retries.
        assert!(out.stats.retransmitted <= 200, "{st:?}: {} retransmissions", out.stats.retransmitted);
    }
}

#[test]
fn loss_bursts_lose_no_port() {
    let opens: Vec<(u16, PortRule)> = (0..40).map(|k| (37 + k * 97, PortRule::Open)).collect();
    let hosts = vec![host(2, &opens, PortRule::Closed), host(3, &opens, PortRule::Closed)];
    let link = Link {
        delay: Duration::from_millis(10),
        bursts: vec![
            (Duration::from_millis(50), Duration::from_millis(400)),
            (Duration::from_millis(900), Duration::from_millis(1500)),
        ],
        ..Link::default()
    };
    let out = scan(hosts.clone(), link, ScanType::Syn, probes(ScanType::Syn, 1..=4000), t4());
    check_truth(&out, &hosts, ScanType::Syn, 1..=4000);
    assert!(out.stats.retransmitted > 0, "the bursts must have cost retransmissions");
}

#[test]
fn fifty_ms_two_percent_loss_finds_every_open_port_five_times() {
    let opens: Vec<(u16, PortRule)> = (0..25).map(|k| (13 + k * 389, PortRule::Open)).collect();
    let hosts = vec![host(2, &opens, PortRule::Closed)];
    for seed in 1..=5 {
        let link = Link { delay: Duration::from_millis(25), loss: 0.02, seed, ..Link::default() };
        let out = scan(hosts.clone(), link, ScanType::Syn, probes(ScanType::Syn, 1..=10_000), t4());
        check_truth(&out, &hosts, ScanType::Syn, 1..=10_000);
        println!("seed {seed}: {:?} virtual, {:?}", out.elapsed, out.stats);
        assert!(out.elapsed < Duration::from_secs(5), "seed {seed}: {:?} of virtual time", out.elapsed);
    }
}

#[test]
fn rate_limited_resets_one_per_second_come_out_closed() {
    let mut h = host(2, &[(80, PortRule::Open)], PortRule::Closed);
    h.limit = Some(RateLimit { per_sec: 1.0, burst: 5.0 });
    let hosts = vec![h];
    let out = scan(hosts.clone(), Link::default(), ScanType::Syn, probes(ScanType::Syn, 1..=60), Timing::default());
    check_truth(&out, &hosts, ScanType::Syn, 1..=60);
    assert!(out.stats.delay_boosts > 0, "the scan delay must have been raised");
    assert!(out.facts.iter().any(|f| matches!(f, RawFact::Note(n) if n.starts_with("Increasing send delay"))));
}

#[test]
fn icmp_rate_limited_udp_closed_ports_are_exact_at_t3() {
    // Linux answers closed UDP ports with at most one ICMP error per second after a burst of about six.
    let mut h = host(2, &[(53, PortRule::Open), (161, PortRule::Dropped)], PortRule::Closed);
    h.limit = Some(RateLimit { per_sec: 1.0, burst: 6.0 });
    let hosts = vec![h];
    let out = scan(hosts.clone(), Link::default(), ScanType::Udp, probes(ScanType::Udp, 1..=40), Timing::default());
    check_truth(&out, &hosts, ScanType::Udp, 1..=40);
}

#[test]
fn reordering_duplicates_and_late_replies_change_nothing() {
    let opens: Vec<(u16, PortRule)> = (0..30).map(|k| (5 + k * 31, PortRule::Open)).collect();
    let hosts = vec![host(2, &opens, PortRule::Closed)];
    let link = Link {
        delay: Duration::from_millis(5),
        // Jitter far beyond the delay reorders replies and pushes some past their timeout (late replies).
        jitter: Duration::from_millis(400),
        duplicate: 0.2,
        seed: 7,
        ..Link::default()
    };
    let out = scan(hosts.clone(), link, ScanType::Syn, probes(ScanType::Syn, 1..=1000), t4());
    check_truth(&out, &hosts, ScanType::Syn, 1..=1000);
    assert!(out.stats.late_or_duplicate > 0, "duplicates were sent and must be recognised");
}

#[test]
fn a_host_that_falls_silent_midway_finishes_with_filtered_ports() {
    let mut h = host(2, &[(7, PortRule::Open)], PortRule::Closed);
    h.silent_after = Some(Duration::from_millis(5));
    let out = scan(vec![h], Link::default(), ScanType::Syn, probes(ScanType::Syn, 1..=3000), t4());
    let filtered = out.states.values().filter(|(s, _)| *s == PortState::Filtered).count();
    let closed = out.states.values().filter(|(s, _)| *s == PortState::Closed).count();
    assert_eq!(out.states.len(), 3000, "every port gets a state");
    assert!(closed > 0 && filtered > 0, "closed before the silence, filtered after: {closed}/{filtered}");
    // The silence must not cost max-retries per port: at most one retransmission round plus the bench's.
    assert!(out.stats.sent < 3000 * 4, "{} probes sent", out.stats.sent);
}

#[test]
fn a_bottleneck_with_a_deep_queue_is_not_flooded() {
    // 1,000 probes per second through a queue of 2,000: sending faster only queues (seconds of delay) and
    // then drops. The scan must stay exact and not collapse into retransmissions.
    let opens: Vec<(u16, PortRule)> = (0..20).map(|k| (11 + k * 499, PortRule::Open)).collect();
    let hosts = vec![host(2, &opens, PortRule::Closed)];
    let link = Link {
        delay: Duration::from_millis(20),
        loss: 0.02,
        seed: 3,
        bottleneck: Some((1000.0, 2000)),
        ..Link::default()
    };
    let out = scan(hosts.clone(), link, ScanType::Syn, probes(ScanType::Syn, 1..=10_000), t4());
    check_truth(&out, &hosts, ScanType::Syn, 1..=10_000);
    println!("bottleneck: {:?} virtual, {:?}", out.elapsed, out.stats);
    // At least 10 s at 1,000 per second. Before queueing was read from the round trips, the scan took 46 s
    // (drops mistaken for a rate limit raised the scan delay) or retried most probes; measured now: about
    // 14 s and 40% more probes than ports (timeouts capped at T4's 1.25 s expire inside the 2 s queue).
    assert!(out.elapsed < Duration::from_secs(20), "{:?}", out.elapsed);
    assert!(out.stats.sent < 15_000, "{} probes for 10,000 ports", out.stats.sent);
}

#[test]
fn host_timeout_cuts_a_slow_host() {
    let hosts = vec![host(2, &[], PortRule::Dropped), host(3, &[], PortRule::Closed)];
    let timing = Timing { host_timeout: Some(Duration::from_millis(500)), ..Timing::default() };
    let out = scan(hosts, Link::default(), ScanType::Syn, probes(ScanType::Syn, 1..=2000), timing);
    assert!(out.facts.iter().any(|f| matches!(f, RawFact::HostTimedOut { host: 0 })));
    let closed_b = out.states.iter().filter(|((h, _), (s, _))| *h == ip(3) && *s == PortState::Closed).count();
    assert_eq!(closed_b, 2000, "the other host is unaffected");
}

#[test]
fn max_rate_is_a_ceiling() {
    let hosts = vec![host(2, &[], PortRule::Closed)];
    let timing = Timing { max_rate: Some(1000.0), ..Timing::default() };
    let out = scan(hosts, Link::default(), ScanType::Syn, probes(ScanType::Syn, 1..=2000), timing);
    let secs = out.elapsed.as_secs_f64();
    assert!(secs >= 1.9, "2000 probes at 1000/s took {secs:.2} s of virtual time");
}

#[test]
#[ignore]
fn debug_dump() {
    let opens: Vec<(u16, PortRule)> = (0..25).map(|k| (13 + k * 389, PortRule::Open)).collect();
    let hosts = vec![host(2, &opens, PortRule::Closed)];
    let link = Link { delay: Duration::from_millis(25), loss: 0.02, seed: 2, ..Link::default() };
    let targets: Vec<RawHost> =
        hosts.iter().map(|h| RawHost { ip: h.ip, src: ip(1), src_mac: None, next_hop_mac: None, rtt_hint: None }).collect();
    let (mut net, mut codec) = SimNet::new(hosts, link);
    let cfg = RawConfig { timing: t4().effective(), progress_every: Duration::from_millis(250), trace: true };
    let mut last = Vec::new();
    let probes = probes(ScanType::Syn, 1..=10_000);
    run(&mut net, &mut codec, &targets, &probes, Work::PortScan(ScanType::Syn), true, &cfg, &Cancel::default(), &mut |f| {
        if let RawFact::Progress { done, .. } = &f {
            last.push(format!("progress {done}"));
        } else if let RawFact::Trace(t) = &f {
            last.push(t.clone());
        }
    })
    .unwrap();
    for l in last.iter().filter(|l| l.starts_with("progress")) {
        println!("{l}");
    }
    for l in &last[last.len().saturating_sub(40)..] {
        println!("{l}");
    }
    println!("{:?}", net.elapsed());
}

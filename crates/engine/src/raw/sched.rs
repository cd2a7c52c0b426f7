//! The raw-probe scheduler, after the behaviour of Nmap's ultra_scan (own code): an outstanding-probe table
//! per host keyed by what replies carry, per-host and per-group congestion windows (slow start, avoidance,
//! halving on drops), RTT estimation with RFC 6298 timeouts, adaptive retransmission, scan-delay boosts when a
//! target rate-limits its answers, `--min-rate`/`--max-rate`, `--scan-delay` and `--host-timeout`.
//!
//! Drops are inferred the way Nmap infers them: a reply to a retransmission means an earlier try was lost.
//! Silence alone is not a drop (it is how filtered ports answer), so a firewall does not throttle the scan.
//! A host may retransmit one try more than the highest try it has ever answered, up to `--max-retries`.
//! Probes that reach that cap wait on a bench; when the host has nothing else left and its answers showed
//! drops since the last round, the bench gets another round (at the by then raised scan delay). This is
//! what makes a rate-limiting target (1 RST or ICMP error per second) come out exact rather than filtered.

use super::classify;
use super::{Answer, AnswerKind, HostTimes, Outgoing, Probe, ProbeCodec, RawFact, RawStats};
use crate::connect::Cancel;
use crate::rtt::RttEstimator;
use crate::window::Window;
use portolan_model::ScanType;
use portolan_model::plan::EffectiveTiming;
use portolan_netio::{NetError, PacketIo};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// A target with what is needed to reach it.
#[derive(Debug, Clone)]
pub struct RawHost {
    pub ip: IpAddr,
    /// Our source address towards it.
    pub src: IpAddr,
    /// Link-layer addresses for frames (ARP/ND, `--send-eth`): ours and the next hop's.
    pub src_mac: Option<[u8; 6]>,
    pub next_hop_mac: Option<[u8; 6]>,
    /// A round trip measured earlier (host discovery): the first timeouts start from it rather than from
    /// `--initial-rtt-timeout`, so silent ports cost milliseconds, not seconds, on a fast network.
    pub rtt_hint: Option<Duration>,
}

/// What a run does with replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// The first answer shows the host up; its other probes are dropped.
    Discovery,
    /// Every probe (port) gets a final state.
    PortScan(ScanType),
}

#[derive(Debug, Clone)]
pub struct RawConfig {
    pub timing: EffectiveTiming,
    pub progress_every: Duration,
    /// Emit a trace line per probe sent and per reply (`--packet-trace`).
    pub trace: bool,
}

#[derive(Debug)]
struct Outstanding {
    try_no: u8,
    sent: Instant,
    /// The current try timed out and waits in the retransmission queue.
    waiting_retx: bool,
    /// When the first try left: drops of probes sent before the last window cut do not cut it again.
    first_sent: Instant,
    /// A reachability check (see [`Check`]), not a port's probe.
    check: bool,
    /// When each try left (index = try number): replies name their try, so even a late answer to an earlier
    /// try measures a true round trip (no Karn ambiguity), and queueing delay shows in the estimate.
    try_sent: Vec<Instant>,
}

/// Before benched probes are given up as silent, the host is asked once more on a probe that answered
/// before (Nmap's timing pings serve the same end): an answer means the silence is real; no answer means the
/// network is dropping right now, and the bench gets another round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    Idle,
    Queued,
    Pending,
    Passed,
}

#[derive(Debug)]
struct HostRun {
    rtt: RttEstimator,
    window: Window,
    max_success_try: u8,
    queue: VecDeque<Probe>,
    retx: VecDeque<Probe>,
    /// Probes past the host's current try cap, waiting to see whether the network earns them another round.
    bench: Vec<Probe>,
    /// Answers to retransmissions since the last bench round began.
    round_drops: u32,
    /// A probe that drew a decisive answer, for reachability checks.
    responsive: Option<Probe>,
    check: Check,
    /// Checks in a row that went unanswered: after a few the host is taken to have gone dark.
    failed_checks: u8,
    last_cut: Instant,
    drops_since_cut: u32,
    answers_since_cut: u32,
    /// When the scan delay was last raised.
    last_boost: Instant,
    /// First tries sent, and how many of them were answered and the latest send index among those: a host
    /// whose answers all came from the first probes of a round is throttling its answers, not filtering.
    first_tries: u32,
    first_answered: u32,
    last_first_answered: u32,
    /// The throttling test has been made (once per host).
    throttle_probed: bool,
    /// ICMP errors (unreachables) received from or about this host.
    icmp_errors: u32,
    /// Send index of each probe's first try.
    order: HashMap<Probe, u32>,
    /// When the tries that drew answers were sent: proof that the path worked at those moments.
    answered_sends: std::collections::BTreeSet<Instant>,
    /// The smallest round trip seen: the path's own delay, against which queueing shows.
    min_rtt: Option<Duration>,
    /// Tries in the order they were sent, for loss detection by later answers (entries that were answered
    /// or retried since are skipped when met).
    sent_order: VecDeque<(Instant, Probe, u8)>,
    table: HashMap<Probe, Outstanding>,
    in_flight: usize,
    next_send: Instant,
    delay: Duration,
    started: Option<Instant>,
    done: bool,
    up: bool,
    /// Replies, and replies to retransmissions, since the scan delay was last raised.
    answered: u32,
    answered_retx: u32,
}

/// Runs `probes` against every host until each has its answer. Returns the run's counters; network errors
/// that stop the run (the capture died) are returned as `Err`.
#[allow(clippy::too_many_arguments)]
pub fn run(
    io: &mut dyn PacketIo,
    codec: &mut dyn ProbeCodec,
    hosts: &[RawHost],
    probes: &[Probe],
    work: Work,
    randomize: bool,
    cfg: &RawConfig,
    cancel: &Cancel,
    emit: &mut dyn FnMut(RawFact),
) -> Result<RawStats, NetError> {
    let t = &cfg.timing;
    let start = io.now();
    let max_par = t.max_parallelism.unwrap_or(u32::MAX).max(1);
    let min_par = t.min_parallelism.min(max_par);
    let mut rng = rand::rng();
    let mut runs: Vec<HostRun> = hosts
        .iter()
        .map(|host| {
            let mut queue: Vec<Probe> = probes.to_vec();
            if randomize {
                use rand::seq::SliceRandom;
                queue.shuffle(&mut rng);
            }
            let mut rtt = RttEstimator::new(t.min_rtt_timeout, t.max_rtt_timeout, t.initial_rtt_timeout);
            if let Some(h) = host.rtt_hint {
                rtt.sample(h);
            }
            HostRun {
                rtt,
                // Nmap's hosts start small and grow quickly; per-host caps keep one host from starving others.
                // Discovery asks one question at a time: most live hosts answer the first probe, and the
                // others cost one round trip each only for hosts that stay silent.
                window: Window::new(if matches!(work, Work::Discovery) { 1 } else { 10 }, min_par.max(1), max_par.min(10_000)),
                max_success_try: 0,
                queue: queue.into(),
                retx: VecDeque::new(),
                bench: Vec::new(),
                round_drops: 0,
                responsive: None,
                check: Check::Idle,
                failed_checks: 0,
                last_cut: start,
                drops_since_cut: 0,
                answers_since_cut: 0,
                last_boost: start,
                first_tries: 0,
                first_answered: 0,
                last_first_answered: 0,
                throttle_probed: false,
                icmp_errors: 0,
                order: HashMap::new(),
                answered_sends: Default::default(),
                sent_order: VecDeque::new(),
                min_rtt: None,
                table: HashMap::new(),
                in_flight: 0,
                next_send: start,
                delay: t.scan_delay,
                started: None,
                done: probes.is_empty(),
                up: false,
                answered: 0,
                answered_retx: 0,
            }
        })
        .collect();
    let index: HashMap<IpAddr, usize> = hosts.iter().enumerate().map(|(i, h)| (h.ip, i)).collect();
    let group_initial = (10 * hosts.len()).clamp(10, max_par.min(100_000) as usize) as u32;
    let mut group = Window::new(group_initial, min_par.max(1), max_par.min(100_000));
    let mut group_in_flight = 0usize;
    let mut group_rtt = RttEstimator::new(t.min_rtt_timeout, t.max_rtt_timeout, t.initial_rtt_timeout);
    let mut group_last_cut = start;
    let mut group_loss = (0u32, 0u32);
    let mut timeouts: BinaryHeap<Reverse<(Instant, usize, Probe, u8)>> = BinaryHeap::new();
    let mut stats = RawStats::default();
    let total = (hosts.len() * probes.len()) as u64;
    let mut finished = 0u64;
    let mut remaining_hosts = runs.iter().filter(|r| !r.done).count();
    for (i, r) in runs.iter().enumerate() {
        if r.done {
            emit(RawFact::HostDone { host: i, times: times_of(&runs[i]) });
        }
    }
    let mut cursor = 0usize;
    let mut next_rate_send = start;
    let rate_gap = t.max_rate.filter(|r| *r > 0.0).map(|r| Duration::from_secs_f64(1.0 / r));
    let mut next_progress = start + cfg.progress_every;
    let max_retries = u8::try_from(t.max_retries.min(50)).unwrap_or(50);
    const MAX_FAILED_CHECKS: u8 = 2;
    const THROTTLE_SAMPLE: usize = 6;
    const THROTTLE_PROBE_GAP: Duration = Duration::from_millis(250);

    // Finishes one probe of one host: bookkeeping shared by answers and final timeouts.
    macro_rules! finish_probe {
        ($i:expr) => {{
            finished += 1;
            let r = &mut runs[$i];
            if !r.done && r.queue.is_empty() && r.retx.is_empty() && r.table.is_empty() {
                r.done = true;
                remaining_hosts -= 1;
                if matches!(work, Work::Discovery) && !r.up {
                    emit(RawFact::HostDown { host: $i });
                }
                emit(RawFact::HostDone { host: $i, times: times_of(&runs[$i]) });
            }
        }};
    }

    // A probe out of tries: its port gets the scan's silent state.
    macro_rules! give_up {
        ($i:expr, $probe:expr) => {{
            let probe: Probe = $probe;
            runs[$i].table.remove(&probe);
            if let Work::PortScan(scan) = work {
                emit(RawFact::Port {
                    host: $i,
                    protocol: probe.protocol(),
                    port: probe.port(),
                    state: classify::silent_state(scan),
                    reason: "no-response",
                    ttl: 0,
                });
            }
            finish_probe!($i);
        }};
    }

    // A host with only benched probes left either earns them another round or gives them their silent state.
    macro_rules! settle {
        ($i:expr) => {{
            let r = &mut runs[$i];
            if !r.done
                && r.queue.is_empty()
                && r.retx.is_empty()
                && r.in_flight == 0
                && !r.bench.is_empty()
                && r.check != Check::Queued
            {
                // Either the answers all came from the first sends of the round, or the host has answered
                // with ICMP errors, which common stacks rate-limit (Linux: about one per second after a
                // burst of six) whatever the port list's length.
                let throttled_look = !r.throttle_probed
                    && ((r.first_answered >= 2
                        && r.last_first_answered < r.first_tries / 4
                        && r.bench.len() as u32 >= r.first_tries / 2)
                        // A handful of errors at least: fewer cannot have emptied a limiter's burst (six on
                        // Linux), and a lone reject must not cost every firewalled host a slow round.
                        || r.icmp_errors >= 5);
                if r.round_drops > 0 {
                    r.round_drops = 0;
                    r.check = Check::Idle;
                    if r.throttle_probed {
                        // A throttled host still dropping answers: slow the next round down (up to
                        // --max-scan-delay), so each retry has a fresh token to be answered with.
                        r.delay = (r.delay * 2).min(t.max_scan_delay.max(t.scan_delay)).max(r.delay);
                    }
                    r.retx.extend(r.bench.drain(..));
                } else if throttled_look {
                    // All answers came from the first sends of the round and then the host fell silent:
                    // the signature of a reply rate limit. A few benched probes, sent slowly, tell: answers
                    // to them count as drops and earn the bench full rounds at a raised delay.
                    r.throttle_probed = true;
                    r.delay = r.delay.max(THROTTLE_PROBE_GAP);
                    let n = r.bench.len().min(THROTTLE_SAMPLE);
                    let sample: Vec<Probe> = r.bench.drain(..n).collect();
                    r.retx.extend(sample);
                } else {
                    // A benched probe is truly silent when the host answered something sent close to its
                    // last try: the path worked then. The others were sent into an outage (or a burst of
                    // loss) and get another round, followed by a check that shows whether the path works.
                    // Near enough: a few round trips (the check leaves right after the retries it vouches
                    // for, whatever the host's send delay).
                    let near = (r.rtt.srtt().unwrap_or(Duration::from_millis(10)) * 4).max(Duration::from_millis(20));
                    let mut unproven = Vec::new();
                    let mut silent = Vec::new();
                    for p in r.bench.drain(..) {
                        let sent = r.table.get(&p).map(|o| o.sent);
                        let proven = sent.is_some_and(|t| {
                            r.answered_sends.range(t.checked_sub(near).unwrap_or(t)..=t + near).next().is_some()
                        });
                        if proven { silent.push(p) } else { unproven.push(p) }
                    }
                    if !unproven.is_empty() && r.responsive.is_some() && r.failed_checks <= MAX_FAILED_CHECKS {
                        r.retx.extend(unproven);
                        r.check = Check::Queued;
                    } else {
                        silent.extend(unproven);
                        r.check = Check::Idle;
                    }
                    for probe in silent {
                        give_up!($i, probe);
                    }
                }
            }
        }};
    }

    while remaining_hosts > 0 {
        if cancel.is_cancelled() {
            break;
        }
        let now = io.now();

        // 1. Host timeouts.
        if let Some(limit) = t.host_timeout {
            #[allow(clippy::needless_range_loop)]
            for i in 0..runs.len() {
                let r = &mut runs[i];
                if !r.done && r.started.is_some_and(|s| now.duration_since(s) >= limit) {
                    group_in_flight -= r.in_flight;
                    finished += (r.queue.len() + r.table.len()) as u64;
                    r.queue.clear();
                    r.retx.clear();
                    r.bench.clear();
                    r.table.clear();
                    r.in_flight = 0;
                    r.done = true;
                    remaining_hosts -= 1;
                    emit(RawFact::HostTimedOut { host: i });
                    emit(RawFact::HostDone { host: i, times: times_of(&runs[i]) });
                }
            }
        }

        // 2. Expired tries: retransmit or give the probe its silent state.
        while let Some(Reverse((deadline, i, probe, try_no))) = timeouts.peek().copied() {
            if deadline > now {
                break;
            }
            timeouts.pop();
            let r = &mut runs[i];
            let Some(o) = r.table.get_mut(&probe) else { continue };
            if o.try_no != try_no || o.waiting_retx {
                continue;
            }
            r.in_flight -= 1;
            group_in_flight -= 1;
            if o.check {
                r.table.remove(&probe);
                r.failed_checks += 1;
                if r.failed_checks <= MAX_FAILED_CHECKS {
                    // The path is down right now: ask again after a pause, and retry the bench only once
                    // a check is answered.
                    r.check = Check::Queued;
                    r.next_send = now + r.rtt.timeout() * (1 << r.failed_checks);
                } else {
                    // The host has gone dark.
                    r.check = Check::Idle;
                    settle!(i);
                }
                continue;
            }
            let allowed = max_retries.min(r.max_success_try.saturating_add(1));
            if try_no < allowed {
                o.waiting_retx = true;
                r.retx.push_back(probe);
            } else if try_no < max_retries {
                o.waiting_retx = true;
                r.bench.push(probe);
                settle!(i);
            } else {
                give_up!(i, probe);
                settle!(i);
            }
        }

        // 3. Send while windows, rates and delays allow.
        let mut next_wake: Option<Instant> = None;
        let n = runs.len();
        let mut idle_streak = 0usize;
        while remaining_hosts > 0 && idle_streak < n {
            let now = io.now();
            if let Some(_gap) = rate_gap
                && next_rate_send > now
            {
                next_wake = Some(next_wake.map_or(next_rate_send, |w| w.min(next_rate_send)));
                break;
            }
            let behind_min_rate = t.min_rate.is_some_and(|m| {
                (stats.sent as f64) < m * now.duration_since(start).as_secs_f64()
            });
            if group_in_flight >= group.allowed() && !behind_min_rate {
                break;
            }
            let i = cursor % n;
            cursor = cursor.wrapping_add(1);
            let r = &mut runs[i];
            if r.done || (r.queue.is_empty() && r.retx.is_empty() && r.check != Check::Queued) {
                idle_streak += 1;
                continue;
            }
            // A reachability check is not held back by the send delay: it must leave right after the
            // retries it vouches for, or it proves nothing about them.
            let check_due = r.check == Check::Queued && r.retx.is_empty();
            if r.next_send > now && !check_due {
                next_wake = Some(next_wake.map_or(r.next_send, |w| w.min(r.next_send)));
                idle_streak += 1;
                continue;
            }
            if r.in_flight >= r.window.allowed() && !behind_min_rate {
                idle_streak += 1;
                continue;
            }
            idle_streak = 0;
            // The check goes out after the retransmissions it vouches for.
            let check = r.check == Check::Queued && r.retx.is_empty();
            // In discovery the other probe types come before any retry: a host that ignores echo requests
            // may answer the TCP probe at once.
            let discovery_first = matches!(work, Work::Discovery) && !r.queue.is_empty();
            let (probe, try_no) = if let Some(p) = (!discovery_first).then(|| r.retx.pop_front()).flatten() {
                let Some(o) = r.table.get(&p) else { continue };
                (p, o.try_no + 1)
            } else if discovery_first {
                let Some(p) = r.queue.pop_front() else { continue };
                (p, 0)
            } else if check {
                r.check = Check::Pending;
                match r.responsive {
                    Some(p) => (p, 0),
                    None => continue,
                }
            } else if let Some(p) = r.queue.pop_front() {
                (p, 0)
            } else {
                continue;
            };
            if r.started.is_none() {
                r.started = Some(now);
            }
            let out = codec.build(&hosts[i], probe, try_no);
            // Stamped before sending: on a fast link the reply can be captured before the send returns.
            let sent_at = io.now();
            let sent = match &out {
                Outgoing::Ip(b) => io.send_ip(b),
                Outgoing::Frame(b) => io.send_frame(b),
                Outgoing::Many(list) => list.iter().try_for_each(|b| io.send_ip(b)),
                Outgoing::Frames(list) => list.iter().try_for_each(|b| io.send_frame(b)),
            };
            if let Err(e) = sent {
                // A local send error (no buffer space, unreachable route) says nothing about the target:
                // the try counts as sent and times out like a lost probe.
                stats.send_errors += 1;
                if cfg.trace {
                    emit(RawFact::Trace(format!("SENT FAILED to {}: {e}", hosts[i].ip)));
                }
            } else if cfg.trace {
                emit(RawFact::Trace(format!("SENT {} {:?} try {try_no}", hosts[i].ip, probe)));
            }
            stats.sent += 1;
            if try_no > 0 {
                stats.retransmitted += 1;
            }
            let first_sent = if try_no == 0 { sent_at } else { r.table.get(&probe).map_or(sent_at, |o| o.first_sent) };
            let mut try_sent = if try_no == 0 { Vec::new() } else { r.table.get_mut(&probe).map(|o| std::mem::take(&mut o.try_sent)).unwrap_or_default() };
            try_sent.push(sent_at);
            if try_no == 0 && !check {
                r.order.insert(probe, r.first_tries);
                r.first_tries += 1;
            }
            r.table.insert(probe, Outstanding { try_no, sent: sent_at, waiting_retx: false, first_sent, check, try_sent });
            if !check {
                r.sent_order.push_back((sent_at, probe, try_no));
            }
            r.in_flight += 1;
            group_in_flight += 1;
            r.next_send = sent_at + r.delay;
            // A host not heard from yet takes the group's timing, learnt from the hosts that answered.
            let timeout = if r.rtt.srtt().is_some() { r.rtt.timeout() } else { group_rtt.timeout() };
            timeouts.push(Reverse((sent_at + timeout, i, probe, try_no)));
            if let Some(gap) = rate_gap {
                // Catch up after a coarse sleep, but never burst more than a few probes.
                next_rate_send = (next_rate_send + gap).max(sent_at.checked_sub(gap * 4).unwrap_or(sent_at));
            }
        }

        // 4. Progress.
        if now >= next_progress {
            emit(RawFact::Progress { done: finished, total });
            next_progress = now + cfg.progress_every;
        }
        if remaining_hosts == 0 {
            break;
        }

        // 5. Wait for a reply until the next thing to do.
        let mut deadline = io.now() + Duration::from_millis(100);
        if let Some(Reverse((d, ..))) = timeouts.peek() {
            deadline = deadline.min(*d);
        }
        if let Some(w) = next_wake {
            deadline = deadline.min(w);
        }
        deadline = deadline.min(next_progress);
        let mut first = true;
        loop {
            // After the first frame, drain what is already queued without waiting.
            let until = if first { deadline } else { io.now() };
            first = false;
            let Some(rx) = io.recv_until(until)? else { break };
            stats.captured += 1;
            let Some(ans) = codec.decode(&rx) else {
                stats.unmatched += 1;
                continue;
            };
            let Some(&i) = index.get(&ans.target) else {
                stats.unmatched += 1;
                continue;
            };
            handle_answer(
                &mut runs[i],
                i,
                &ans,
                rx.time,
                work,
                &mut group,
                &mut group_last_cut,
                &mut group_loss,
                &mut group_rtt,
                &mut group_in_flight,
                &mut stats,
                cfg,
                t,
                emit,
                &mut |fin| {
                    if fin {
                        finished += 1;
                    }
                },
            );
            settle!(i);
            let r = &mut runs[i];
            if !r.done && r.queue.is_empty() && r.retx.is_empty() && r.table.is_empty() {
                r.done = true;
                remaining_hosts -= 1;
                if matches!(work, Work::Discovery) && !r.up {
                    emit(RawFact::HostDown { host: i });
                }
                emit(RawFact::HostDone { host: i, times: times_of(&runs[i]) });
            }
            // The host whose reply freed a slot is the first to use it.
            cursor = i;
            if remaining_hosts == 0 {
                break;
            }
        }
    }
    emit(RawFact::Progress { done: finished, total });
    Ok(stats)
}

#[allow(clippy::too_many_arguments)]
fn handle_answer(
    r: &mut HostRun,
    i: usize,
    ans: &Answer,
    at: Instant,
    work: Work,
    group: &mut Window,
    group_last_cut: &mut Instant,
    group_loss: &mut (u32, u32),
    group_rtt: &mut RttEstimator,
    group_in_flight: &mut usize,
    stats: &mut RawStats,
    cfg: &RawConfig,
    t: &EffectiveTiming,
    emit: &mut dyn FnMut(RawFact),
    finished: &mut dyn FnMut(bool),
) {
    let probe = match work {
        // Discovery: any answer from the host counts, whichever probe drew it; an unreachable sent by a
        // router on its behalf does not (it says the host could not be reached).
        Work::Discovery => {
            if r.up || r.done {
                stats.late_or_duplicate += 1;
                return;
            }
            if ans.via.is_some() && matches!(ans.kind, AnswerKind::Port(super::Response::Unreachable(_))) {
                return;
            }
            ans.probe
        }
        Work::PortScan(_) => ans.probe,
    };
    let Some(o) = r.table.get(&probe) else {
        stats.late_or_duplicate += 1;
        return;
    };
    let (cur_try, sent, waiting, first_sent) = (o.try_no, o.sent, o.waiting_retx, o.first_sent);
    if o.check {
        if ans.try_no == Some(0) {
            r.rtt.sample(at.saturating_duration_since(sent));
        }
        r.answered_sends.insert(sent);
        r.table.remove(&probe);
        r.in_flight -= 1;
        *group_in_flight -= 1;
        r.check = Check::Passed;
        r.failed_checks = 0;
        r.window.on_reply();
        group.on_reply();
        return;
    }
    let answered_try = ans.try_no.unwrap_or(cur_try).min(cur_try);
    // The reply names its try, so its own send time gives the round trip; without a try number (-g) only
    // an answer to a try that was not repeated is unambiguous (Karn).
    let rtt_sample = match ans.try_no {
        Some(k) => o.try_sent.get(usize::from(k)).map(|s| at.saturating_duration_since(*s)),
        None => (cur_try == 0 && !waiting).then(|| at.saturating_duration_since(sent)),
    };
    // When the answered try left: the reference for loss detection (a late answer to an earlier try must
    // not make everything sent before the latest try look lost).
    let answered_sent = ans.try_no.and_then(|k| o.try_sent.get(usize::from(k)).copied()).unwrap_or(first_sent);
    let mut queueing = Queueing::None;
    if let Some(s) = rtt_sample {
        r.rtt.sample(s);
        group_rtt.sample(s);
        r.min_rtt = Some(r.min_rtt.map_or(s, |m| m.min(s)));
        queueing = queueing_level(s, r.min_rtt.unwrap_or(s));
    }
    let decided = match work {
        Work::Discovery => true,
        Work::PortScan(scan) => match ans.kind {
            AnswerKind::Port(resp) => classify::classify(scan, resp).is_some(),
            _ => false,
        },
    };
    if !decided {
        // A reply that says nothing about the port (e.g. an ACK to a FIN scan): still a sign of life.
        if cfg.trace {
            emit(RawFact::Trace(format!("RCVD (ignored) from {} for {:?}", ans.target, probe)));
        }
        return;
    }
    if cfg.trace {
        emit(RawFact::Trace(format!(
            "RCVD {:?} from {} for {:?} (try {answered_try})",
            ans.kind,
            ans.via.unwrap_or(ans.target),
            probe
        )));
    }
    if ans.try_no == Some(cur_try) {
        r.answered_sends.insert(sent);
    }
    let raised_to = (answered_try > r.max_success_try).then_some(answered_try);
    if answered_try == 0 {
        r.first_answered += 1;
        if let Some(&k) = r.order.get(&probe) {
            r.last_first_answered = r.last_first_answered.max(k);
        }
    }
    r.max_success_try = r.max_success_try.max(answered_try);
    // Evidence for a rate limit counts only from probes sent since the delay last changed: answers to
    // older ones describe the old pace.
    let fresh = first_sent > r.last_boost;
    if fresh {
        r.answered += 1;
    }
    r.answers_since_cut += 1;
    group_loss.1 += 1;
    r.failed_checks = 0;
    r.responsive = Some(probe);
    if matches!(ans.kind, AnswerKind::Port(super::Response::Unreachable(_))) {
        r.icmp_errors += 1;
    }
    match queueing {
        // Replies are coming back late: a queue is building on the path. Sending more only lengthens it,
        // and once it overflows every probe behind it is lost, so the window stops growing, and shrinks
        // (once per round trip) when the delay is far above the path's own.
        Queueing::None => {
            r.window.on_reply();
            group.on_reply();
        }
        Queueing::Building => {}
        Queueing::Severe => {
            let (base, sample) = (r.min_rtt.unwrap_or_default(), rtt_sample.unwrap_or_default());
            if first_sent > r.last_cut {
                r.window.on_queueing(r.in_flight, base, sample);
                r.last_cut = at;
            }
            if first_sent > *group_last_cut {
                group.on_queueing(*group_in_flight, base, sample);
                *group_last_cut = at;
            }
        }
    }
    let udp = matches!(work, Work::PortScan(ScanType::Udp));
    if answered_try > 0 {
        // An earlier try of this probe went unanswered and this one was heard: the network dropped it.
        // Like TCP, cut each window once per round trip: drops of probes sent before the last cut are
        // the same congestion event.
        if fresh {
            r.answered_retx += 1;
        }
        r.round_drops += 1;
        record_drop(r, first_sent, at, group, group_last_cut, group_loss);
        maybe_boost_delay(r, ans.target, udp, None, at, t, stats, emit);
    }
    if let Some(n) = raised_to
        && n >= 3
    {
        maybe_boost_delay(r, ans.target, udp, Some(n), at, t, stats, emit);
    }
    if matches!(work, Work::PortScan(_)) {
        detect_losses(r, answered_sent, at, t, group, group_last_cut, group_loss, group_in_flight, stats);
    }
    if !waiting {
        r.in_flight -= 1;
        *group_in_flight -= 1;
    } else {
        r.retx.retain(|p| *p != probe);
        r.bench.retain(|p| *p != probe);
    }
    r.table.remove(&probe);
    match work {
        Work::Discovery => {
            r.up = true;
            let latency = at.saturating_duration_since(sent);
            emit(RawFact::HostUp {
                host: i,
                reason: ans.kind.host_reason(ans.target.is_ipv6()),
                ttl: ans.ttl,
                latency,
                mac: ans.mac,
            });
            // The host is up: its remaining probes are moot.
            finished(true);
            let rest = r.queue.len() + r.table.len();
            for _ in 0..rest {
                finished(true);
            }
            *group_in_flight -= r.table.values().filter(|o| !o.waiting_retx).count();
            r.in_flight = 0;
            r.queue.clear();
            r.retx.clear();
            r.bench.clear();
            r.table.clear();
        }
        Work::PortScan(scan) => {
            if let AnswerKind::Port(resp) = ans.kind
                && let Some((state, reason)) = classify::classify(scan, resp)
            {
                emit(RawFact::Port {
                    host: i,
                    protocol: probe.protocol(),
                    port: probe.port(),
                    state,
                    reason,
                    ttl: ans.ttl,
                });
            }
            finished(true);
        }
    }
}

/// Nmap raises a host's scan delay when a large share of its answers came only after retransmission: the
/// signature of a target that rate-limits its replies (ICMP port-unreachable on Linux, RSTs on others).
/// Loss detection by later answers (as TCP's RACK does): a try still unanswered although a try sent
/// clearly after it has been answered was most likely lost. It is retried at once instead of after its
/// timeout, and the loss reaches the congestion windows a timeout earlier, before slow start has piled
/// thousands more probes into a queue that is already dropping. Silence stays silence: a filtered port's
/// try is only retried, never counted as a drop, unless its retry is answered.
#[allow(clippy::too_many_arguments)]
fn detect_losses(
    r: &mut HostRun,
    answered_sent: Instant,
    now: Instant,
    t: &EffectiveTiming,
    group: &mut Window,
    group_last_cut: &mut Instant,
    group_loss: &mut (u32, u32),
    group_in_flight: &mut usize,
    stats: &mut RawStats,
) {
    let margin = (r.rtt.srtt().unwrap_or(Duration::from_millis(1)) / 4)
        .max(r.rtt.rttvar())
        .max(Duration::from_millis(2));
    let Some(limit) = answered_sent.checked_sub(margin) else { return };
    let max_retries = u8::try_from(t.max_retries.min(50)).unwrap_or(50);
    let allowed = max_retries.min(r.max_success_try.saturating_add(1));
    let mut lost_any = false;
    while let Some(&(sent, probe, try_no)) = r.sent_order.front() {
        if sent >= limit {
            break;
        }
        r.sent_order.pop_front();
        let Some(o) = r.table.get_mut(&probe) else { continue };
        if o.try_no != try_no || o.waiting_retx || o.check {
            continue;
        }
        if try_no >= allowed {
            // Out of tries for now: its timeout decides (bench or silent state).
            continue;
        }
        o.waiting_retx = true;
        r.retx.push_back(probe);
        r.in_flight -= 1;
        *group_in_flight -= 1;
        stats.fast_retransmits += 1;
        lost_any = true;
    }
    if lost_any {
        record_drop(r, answered_sent, now, group, group_last_cut, group_loss);
    }
}

/// One drop event for the host's and the group's windows: each is cut when the drops since its last cut
/// look like congestion, and only for probes sent after that cut (one cut per round trip, as TCP).
fn record_drop(
    r: &mut HostRun,
    sent: Instant,
    now: Instant,
    group: &mut Window,
    group_last_cut: &mut Instant,
    group_loss: &mut (u32, u32),
) {
    r.drops_since_cut += 1;
    if sent > r.last_cut && congested(r.drops_since_cut, r.answers_since_cut) {
        r.window.on_loss();
        r.last_cut = now;
        r.drops_since_cut = 0;
        r.answers_since_cut = 0;
    }
    group_loss.0 += 1;
    if sent > *group_last_cut && congested(group_loss.0, group_loss.1) {
        group.on_loss();
        *group_last_cut = now;
        *group_loss = (0, 0);
    }
}

/// How much of a round trip is queueing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queueing {
    None,
    Building,
    Severe,
}

fn queueing_level(sample: Duration, min: Duration) -> Queueing {
    if sample > min * 6 + Duration::from_millis(100) {
        Queueing::Severe
    } else if sample > min * 3 + Duration::from_millis(20) {
        Queueing::Building
    } else {
        Queueing::None
    }
}

/// Whether drops are congestion rather than the steady background loss of a lossy link: random loss of a
/// few percent does not grow with the sending rate, so cutting the window for it only slows the scan
/// (a TCP-style controller settles near 6 probes in flight at 4% loss). Loss well above that does get a cut.
fn congested(drops: u32, answers: u32) -> bool {
    const TOLERATED_PERCENT: u32 = 10;
    // Over fewer replies than this, a few percent of random loss too often looks like ten.
    const MIN_SAMPLE: u32 = 100;
    let total = drops + answers;
    total >= MIN_SAMPLE && drops * 100 > total * TOLERATED_PERCENT
}

#[allow(clippy::too_many_arguments)]
/// `tryno_raised`: the boost is for the host's highest answered try reaching that number.
fn maybe_boost_delay(
    r: &mut HostRun,
    ip: IpAddr,
    udp: bool,
    tryno_raised: Option<u8>,
    now: Instant,
    t: &EffectiveTiming,
    stats: &mut RawStats,
    emit: &mut dyn FnMut(RawFact),
) {
    const MIN_DROPS: u32 = 5;
    if tryno_raised.is_none() && (r.answered_retx < MIN_DROPS || r.answered_retx * 100 < r.answered * 15) {
        return;
    }
    // Once every port has had its first try, the answers still coming are mostly to retries by
    // construction: their share says nothing about a rate limit (a short list is the bench's job).
    if tryno_raised.is_none() && r.queue.is_empty() {
        r.answered = 0;
        r.answered_retx = 0;
        return;
    }
    // Drops with round trips far above the path's own are a full queue on the way (congestion, which the
    // windows handle), not a target limiting its answers; a per-host delay would only slow the scan.
    if let (Some(srtt), Some(min)) = (r.rtt.srtt(), r.min_rtt)
        && srtt > min * 2 + Duration::from_millis(10)
    {
        r.answered = 0;
        r.answered_retx = 0;
        return;
    }
    let old = r.delay;
    // ICMP errors are limited to about one per second on common stacks, so UDP starts higher.
    let first = Duration::from_millis(if udp { 50 } else { 5 });
    let new = if old.is_zero() { first } else { old * 2 };
    let new = new.min(t.max_scan_delay.max(t.scan_delay));
    if new > old {
        let why = match tryno_raised {
            Some(n) => format!("max_successful_tryno increase to {n}"),
            None => format!("{} out of {} dropped probes since last increase", r.answered_retx, r.answered),
        };
        emit(RawFact::Note(format!(
            "Increasing send delay for {ip} from {} to {} due to {why}.",
            old.as_millis(),
            new.as_millis(),
        )));
        r.delay = new;
        r.last_boost = now.max(r.last_boost);
        stats.delay_boosts += 1;
    }
    r.answered = 0;
    r.answered_retx = 0;
}


fn times_of(r: &HostRun) -> HostTimes {
    HostTimes { srtt: r.rtt.srtt(), rttvar: r.rtt.rttvar(), timeout: r.rtt.timeout() }
}

//! The link emulator. These kernels have no `sch_netem`, so an impaired link is two TAP devices (one in each
//! namespace) and a thread that moves Ethernet frames between them, deciding per frame from a seeded `StdRng`
//! whether to drop, duplicate, delay (with jitter), send early (reorder) or pace it (rate).
//!
//! Invariants: the relay only moves frames between its own two TAP devices (it never opens a socket); its
//! queue is bounded (`queue_limit` per direction, tail drop); it stops when its stop channel fires or its
//! sender is dropped, and the TAP devices vanish when their file descriptors close.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::watch;
use tokio::time::Instant;
use tun::AsyncDevice;

use crate::LabError;
use crate::netns;
use crate::scenario::Impairment;

/// Counters of one direction of a relayed link.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DirectionStats {
    /// Frames read from the sending side's TAP.
    pub received: u64,
    /// Frames dropped by the loss decision.
    pub lost: u64,
    /// Extra copies made by the duplication decision.
    pub duplicated: u64,
    /// Frames sent without delay (reordered ahead of queued ones).
    pub reordered: u64,
    /// Frames dropped because the queue was full.
    pub queue_drops: u64,
    /// Frames written to the receiving side's TAP.
    pub delivered: u64,
    /// Writes that failed (e.g. the receiving interface was down).
    pub send_errors: u64,
}

/// Counters of a relayed link, per direction (a = the link's `a` end).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LinkStats {
    /// Frames sent by `a` towards `b`.
    pub a_to_b: DirectionStats,
    /// Frames sent by `b` towards `a`.
    pub b_to_a: DirectionStats,
}

#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    lost: AtomicU64,
    duplicated: AtomicU64,
    reordered: AtomicU64,
    queue_drops: AtomicU64,
    delivered: AtomicU64,
    send_errors: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> DirectionStats {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        DirectionStats {
            received: g(&self.received),
            lost: g(&self.lost),
            duplicated: g(&self.duplicated),
            reordered: g(&self.reordered),
            queue_drops: g(&self.queue_drops),
            delivered: g(&self.delivered),
            send_errors: g(&self.send_errors),
        }
    }
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// A running relay; dropping it stops the thread and closes both TAP devices.
#[derive(Debug)]
pub(crate) struct Relay {
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
    counters: Arc<[Counters; 2]>,
}

impl Relay {
    pub(crate) fn stats(&self) -> LinkStats {
        LinkStats {
            a_to_b: self.counters[0].snapshot(),
            b_to_a: self.counters[1].snapshot(),
        }
    }

    pub(crate) fn stop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Create a layer-2 TAP device named `ifname` inside namespace `netns`.
fn create_tap(netns: &str, ifname: &str) -> Result<tun::Device, LabError> {
    let name = ifname.to_string();
    let made = netns::in_netns(netns, move || {
        let mut cfg = tun::Configuration::default();
        cfg.tun_name(&name).layer(tun::Layer::L2);
        // Addresses and link state are set with `ip` afterwards, like every other lab interface.
        cfg.platform_config(|p| {
            p.ensure_root_privileges(false);
        });
        tun::create(&cfg)
    })?;
    made.map_err(|e| LabError::Io {
        what: format!("creating TAP device {ifname} in namespace {netns} (/dev/net/tun)"),
        source: std::io::Error::other(e.to_string()),
    })
}

/// Create the two TAP ends and start relaying between them.
pub(crate) fn start(
    a: (&str, &str),
    b: (&str, &str),
    imp: &Impairment,
    label: String,
) -> Result<Relay, LabError> {
    let dev_a = create_tap(a.0, a.1)?;
    let dev_b = create_tap(b.0, b.1)?;
    let (stop, stop_rx) = watch::channel(false);
    let counters: Arc<[Counters; 2]> = Arc::new([Counters::default(), Counters::default()]);
    let imp = imp.clone();
    let c2 = Arc::clone(&counters);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
    let thread = std::thread::Builder::new()
        .name(label)
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("building the relay runtime: {e}")));
                    return;
                }
            };
            rt.block_on(async move {
                let (a, b) = match (AsyncDevice::new(dev_a), AsyncDevice::new(dev_b)) {
                    (Ok(a), Ok(b)) => (a, b),
                    (Err(e), _) | (_, Err(e)) => {
                        let _ = ready_tx.send(Err(format!("registering TAP devices: {e}")));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                run(a, b, imp, c2, stop_rx).await;
            });
        })
        .map_err(|source| LabError::Io {
            what: "spawning the relay thread".into(),
            source,
        })?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(Relay {
            stop,
            thread: Some(thread),
            counters,
        }),
        Ok(Err(msg)) => {
            let _ = thread.join();
            Err(LabError::Io {
                what: "starting the link emulator".into(),
                source: std::io::Error::other(msg),
            })
        }
        Err(_) => {
            let _ = thread.join();
            Err(LabError::Io {
                what: "starting the link emulator".into(),
                source: std::io::Error::other("relay thread ended before it was ready"),
            })
        }
    }
}

/// The per-direction decision maker: its own random stream (so one direction's traffic does not shift the
/// other's decisions) and the time the simulated wire is free again (rate limit). Pure apart from `now`, so its
/// statistics and determinism are unit-tested without a lab.
#[derive(Debug)]
pub(crate) struct Shaper {
    imp: Impairment,
    rng: StdRng,
    wire_free: Instant,
}

/// What happens to one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// Dropped by the loss decision.
    pub(crate) lost: bool,
    /// Departure time of each copy (two when duplicated), with whether it skipped the delay.
    pub(crate) copies: Vec<(Instant, bool)>,
}

impl Shaper {
    pub(crate) fn new(imp: &Impairment, seed: u64, now: Instant) -> Shaper {
        Shaper {
            imp: imp.clone(),
            rng: StdRng::seed_from_u64(seed),
            wire_free: now,
        }
    }

    pub(crate) fn decide(&mut self, now: Instant, len: usize) -> Verdict {
        let imp = &self.imp;
        if imp.loss > 0.0 && self.rng.random::<f64>() < imp.loss {
            return Verdict {
                lost: true,
                copies: Vec::new(),
            };
        }
        let n = if imp.duplicate > 0.0 && self.rng.random::<f64>() < imp.duplicate {
            2
        } else {
            1
        };
        let mut copies = Vec::with_capacity(n);
        for _ in 0..n {
            let mut delay_ms = imp.delay_ms;
            if imp.jitter_ms > 0.0 {
                delay_ms += self.rng.random_range(-imp.jitter_ms..=imp.jitter_ms);
            }
            let reordered = imp.reorder > 0.0 && self.rng.random::<f64>() < imp.reorder;
            if reordered {
                delay_ms = 0.0;
            }
            let mut depart = now;
            if imp.rate_kbit > 0 {
                // Serialisation at the link rate: a frame leaves when the wire is free and it has been clocked out.
                let start = self.wire_free.max(now);
                let secs = (len as f64 * 8.0) / (imp.rate_kbit as f64 * 1000.0);
                self.wire_free = start + Duration::from_secs_f64(secs);
                depart = self.wire_free;
            }
            copies.push((
                depart + Duration::from_secs_f64(delay_ms.max(0.0) / 1000.0),
                reordered,
            ));
        }
        Verdict {
            lost: false,
            copies,
        }
    }
}

/// Seeds of the two directions; a fixed odd constant separates the streams while one seed determines both.
pub(crate) fn direction_seeds(seed: u64) -> [u64; 2] {
    [seed, seed ^ 0x9E37_79B9_7F4A_7C15]
}

struct Queued {
    due: Instant,
    seq: u64,
    dir: usize,
    frame: Vec<u8>,
}

impl PartialEq for Queued {
    fn eq(&self, o: &Self) -> bool {
        (self.due, self.seq) == (o.due, o.seq)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Queued {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.due, self.seq).cmp(&(o.due, o.seq))
    }
}

const MAX_FRAME: usize = 65_536;

async fn run(
    a: AsyncDevice,
    b: AsyncDevice,
    imp: Impairment,
    counters: Arc<[Counters; 2]>,
    mut stop: watch::Receiver<bool>,
) {
    let now = Instant::now();
    let seeds = direction_seeds(imp.seed);
    let mut dirs = [
        Shaper::new(&imp, seeds[0], now),
        Shaper::new(&imp, seeds[1], now),
    ];
    let mut queue: BinaryHeap<Reverse<Queued>> = BinaryHeap::new();
    let mut queued = [0usize; 2];
    let mut seq = 0u64;
    let mut buf_a = vec![0u8; MAX_FRAME];
    let mut buf_b = vec![0u8; MAX_FRAME];
    let far = Duration::from_secs(3600);
    loop {
        let wake = queue
            .peek()
            .map_or_else(|| Instant::now() + far, |Reverse(q)| q.due);
        // Unbiased: a busy direction must not starve the other.
        let got: Option<(usize, usize)> = tokio::select! {
            r = stop.changed() => {
                if r.is_err() || *stop.borrow() { break; }
                None
            }
            _ = tokio::time::sleep_until(wake) => None,
            r = a.recv(&mut buf_a) => match r {
                Ok(n) => Some((0, n)),
                // A vanished device (namespace deleted under us) must not turn into a busy loop.
                Err(_) => { tokio::time::sleep(Duration::from_millis(10)).await; None }
            },
            r = b.recv(&mut buf_b) => match r {
                Ok(n) => Some((1, n)),
                Err(_) => { tokio::time::sleep(Duration::from_millis(10)).await; None }
            },
        };
        if let Some((dir, n)) = got {
            let frame = if dir == 0 { &buf_a[..n] } else { &buf_b[..n] };
            let c = &counters[dir];
            bump(&c.received);
            let verdict = dirs[dir].decide(Instant::now(), n);
            if verdict.lost {
                bump(&c.lost);
            }
            if verdict.copies.len() > 1 {
                bump(&c.duplicated);
            }
            for (due, reordered) in verdict.copies {
                if reordered {
                    bump(&c.reordered);
                }
                if queued[dir] >= imp.queue_limit {
                    bump(&c.queue_drops);
                    continue;
                }
                queued[dir] += 1;
                seq += 1;
                queue.push(Reverse(Queued {
                    due,
                    seq,
                    dir,
                    frame: frame.to_vec(),
                }));
            }
        }
        let now = Instant::now();
        while queue.peek().is_some_and(|Reverse(q)| q.due <= now) {
            let Some(Reverse(q)) = queue.pop() else { break };
            queued[q.dir] = queued[q.dir].saturating_sub(1);
            let out = if q.dir == 0 { &b } else { &a };
            let c = &counters[q.dir];
            // A TAP write never blocks for long; bound it anyway so a wedged device cannot stall the relay.
            match tokio::time::timeout(Duration::from_millis(100), out.send(&q.frame)).await {
                Ok(Ok(_)) => bump(&c.delivered),
                _ => bump(&c.send_errors),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imp(f: impl FnOnce(&mut Impairment)) -> Impairment {
        let mut i = Impairment::default();
        f(&mut i);
        i
    }

    #[test]
    fn same_seed_same_decisions_other_seed_differs() {
        let i = imp(|i| {
            i.loss = 0.1;
            i.duplicate = 0.1;
            i.reorder = 0.1;
            i.delay_ms = 10.0;
            i.jitter_ms = 3.0;
        });
        let t0 = Instant::now();
        let run = |seed| {
            let mut s = Shaper::new(&i, seed, t0);
            (0..500)
                .map(|k| s.decide(t0 + Duration::from_micros(k * 100), 100))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
    }

    #[test]
    fn loss_duplication_and_delay_follow_the_figures() {
        let i = imp(|i| {
            i.loss = 0.2;
            i.duplicate = 0.1;
            i.delay_ms = 20.0;
            i.jitter_ms = 5.0;
            i.seed = 1;
        });
        let t0 = Instant::now();
        let mut s = Shaper::new(&i, 1, t0);
        let n = 20_000;
        let (mut lost, mut dup, mut min, mut max) = (0, 0, Duration::MAX, Duration::ZERO);
        for _ in 0..n {
            let v = s.decide(t0, 100);
            lost += usize::from(v.lost);
            dup += usize::from(v.copies.len() == 2);
            for (due, _) in v.copies {
                min = min.min(due - t0);
                max = max.max(due - t0);
            }
        }
        let lost_frac = lost as f64 / n as f64;
        let dup_frac = dup as f64 / (n - lost) as f64;
        assert!((0.18..0.22).contains(&lost_frac), "{lost_frac}");
        assert!((0.085..0.115).contains(&dup_frac), "{dup_frac}");
        assert!(
            min >= Duration::from_millis(15) && min < Duration::from_millis(16),
            "{min:?}"
        );
        assert!(
            max <= Duration::from_millis(25) && max > Duration::from_millis(24),
            "{max:?}"
        );
    }

    #[test]
    fn rate_limit_spaces_frames_by_their_size() {
        let i = imp(|i| i.rate_kbit = 1000);
        let t0 = Instant::now();
        let mut s = Shaper::new(&i, 0, t0);
        // 1250 bytes at 1 Mbit/s take 10 ms on the wire.
        let dues: Vec<Duration> = (0..3)
            .map(|_| s.decide(t0, 1250).copies[0].0 - t0)
            .collect();
        let ms: Vec<u128> = dues.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [10, 20, 30]);
    }
}

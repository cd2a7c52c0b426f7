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
        LinkStats { a_to_b: self.counters[0].snapshot(), b_to_a: self.counters[1].snapshot() }
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
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
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
        .map_err(|source| LabError::Io { what: "spawning the relay thread".into(), source })?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(Relay { stop, thread: Some(thread), counters }),
        Ok(Err(msg)) => {
            let _ = thread.join();
            Err(LabError::Io { what: "starting the link emulator".into(), source: std::io::Error::other(msg) })
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

/// Per-direction state: its own random stream (so one direction's traffic does not shift the other's
/// decisions) and the time the simulated wire is free again (rate limit).
struct Direction {
    rng: StdRng,
    wire_free: Instant,
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
    let mut dirs = [
        Direction { rng: StdRng::seed_from_u64(imp.seed), wire_free: now },
        // A fixed odd constant separates the two streams while keeping both determined by the one seed.
        Direction { rng: StdRng::seed_from_u64(imp.seed ^ 0x9E37_79B9_7F4A_7C15), wire_free: now },
    ];
    let mut queue: BinaryHeap<Reverse<Queued>> = BinaryHeap::new();
    let mut queued = [0usize; 2];
    let mut seq = 0u64;
    let mut buf_a = vec![0u8; MAX_FRAME];
    let mut buf_b = vec![0u8; MAX_FRAME];
    let far = Duration::from_secs(3600);
    loop {
        let wake = queue.peek().map_or_else(|| Instant::now() + far, |Reverse(q)| q.due);
        let got: Option<(usize, usize)> = tokio::select! {
            biased;
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
            let d = &mut dirs[dir];
            let now = Instant::now();
            if imp.loss > 0.0 && d.rng.random::<f64>() < imp.loss {
                bump(&c.lost);
            } else {
                let copies = if imp.duplicate > 0.0 && d.rng.random::<f64>() < imp.duplicate {
                    bump(&c.duplicated);
                    2
                } else {
                    1
                };
                for _ in 0..copies {
                    let mut delay_ms = imp.delay_ms;
                    if imp.jitter_ms > 0.0 {
                        delay_ms += d.rng.random_range(-imp.jitter_ms..=imp.jitter_ms);
                    }
                    if imp.reorder > 0.0 && d.rng.random::<f64>() < imp.reorder {
                        bump(&c.reordered);
                        delay_ms = 0.0;
                    }
                    let mut depart = now;
                    if imp.rate_kbit > 0 {
                        let start = d.wire_free.max(now);
                        let secs = (n as f64 * 8.0) / (imp.rate_kbit as f64 * 1000.0);
                        d.wire_free = start + Duration::from_secs_f64(secs);
                        depart = d.wire_free;
                    }
                    if queued[dir] >= imp.queue_limit {
                        bump(&c.queue_drops);
                        continue;
                    }
                    let due = depart + Duration::from_secs_f64(delay_ms.max(0.0) / 1000.0);
                    queued[dir] += 1;
                    seq += 1;
                    queue.push(Reverse(Queued { due, seq, dir, frame: frame.to_vec() }));
                }
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

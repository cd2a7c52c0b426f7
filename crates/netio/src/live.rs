//! `LiveIo`: the real network. One pcap capture on one interface, read by a thread that only copies
//! frames and timestamps into a bounded channel; raw IP sockets for sending; a second pcap handle for
//! layer-2 frames.
//!
//! Platforms: Linux is built and tested. macOS uses the same code (libpcap over BPF; raw IPv4 sockets with
//! IP_HDRINCL exist, but BSD wants `ip_len`/`ip_off` in host byte order before macOS 11 — callers that
//! target old macOS must send through `send_frame` instead). Windows has no raw IP send: there `send_ip`
//! must go through Npcap as a frame with the gateway's MAC (the engine resolves it), which this file does
//! not yet do; it returns `NetError::Unsupported`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pcap::{Active, Capture, Linktype};
use socket2::{Domain, Protocol, Socket, Type};

use crate::{LinkType, NetError, PacketIo, Received};

const IPPROTO_RAW: i32 = 255;

/// How to open a [`LiveIo`].
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Capture (and, by default, send) on this interface.
    pub interface: String,
    /// BPF filter in pcap syntax, narrowed by the caller to the scan, e.g. `(tcp or icmp) and dst host X`.
    pub filter: String,
    /// Kernel capture buffer in bytes.
    pub buffer_bytes: i32,
    /// Bytes kept of each frame (longer frames arrive truncated). Linux sizes every capture-ring slot for
    /// this, so it decides how many frames the buffer holds: with 65535, a 16 MiB ring held ~250 frames and
    /// dropped 13% of a 54k/s reply burst; with 1600 it dropped none (tests/netio_lab.rs measures it).
    pub snaplen: i32,
    /// Frames waiting for `recv_until`; beyond this the capture thread drops and counts.
    pub channel_capacity: usize,
    /// How long the capture thread blocks in pcap before checking for shutdown.
    pub poll_ms: i32,
    /// Capture only frames arriving at the interface (not our own probes).
    pub incoming_only: bool,
    /// Bind the raw sockets to `interface` (SO_BINDTODEVICE), so `-e` is obeyed for IP sends too.
    pub bind_raw_to_interface: bool,
    pub promisc: bool,
}

impl LiveConfig {
    pub fn new(interface: impl Into<String>, filter: impl Into<String>) -> LiveConfig {
        LiveConfig {
            interface: interface.into(),
            filter: filter.into(),
            buffer_bytes: 16 << 20,
            snaplen: 1600,
            channel_capacity: 1 << 16,
            poll_ms: 20,
            incoming_only: false,
            bind_raw_to_interface: true,
            promisc: false,
        }
    }
}

/// Counters of a [`LiveIo`]. The pcap figures are refreshed by the capture thread about every 100 ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Frames the capture thread read from pcap.
    pub captured: u64,
    /// Frames lost because the channel to `recv_until` was full.
    pub channel_dropped: u64,
    /// pcap's count of frames that passed the filter.
    pub pcap_received: u64,
    /// Frames the kernel dropped for lack of buffer space (the capture fell behind).
    pub pcap_dropped: u64,
    /// Frames the interface or driver dropped.
    pub if_dropped: u64,
    pub sent_ip: u64,
    pub sent_frames: u64,
}

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    captured: AtomicU64,
    channel_dropped: AtomicU64,
    pcap_received: AtomicU64,
    pcap_dropped: AtomicU64,
    if_dropped: AtomicU64,
    error: Mutex<Option<String>>,
    /// A new BPF filter for the capture thread to install, with where to say how it went.
    filter_req: Mutex<Option<FilterRequest>>,
}

type FilterRequest = (String, mpsc::Sender<Result<(), String>>);

/// The real network: see the module documentation.
pub struct LiveIo {
    cfg: LiveConfig,
    link: LinkType,
    ifindex: u32,
    rx: Receiver<Received>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    /// Wakes the capture thread out of pcap's wait: with immediate mode libpcap may keep waiting past the
    /// read timeout, so the stop flag alone does not end the thread.
    breaker: Option<pcap::BreakLoop>,
    raw4: Option<Socket>,
    raw6: Option<Socket>,
    l2: Option<Capture<Active>>,
    sent_ip: u64,
    sent_frames: u64,
}

impl std::fmt::Debug for LiveIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveIo")
            .field("interface", &self.cfg.interface)
            .field("filter", &self.cfg.filter)
            .field("link", &self.link)
            .finish_non_exhaustive()
    }
}

fn is_permission(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    m.contains("not permitted") || m.contains("permission") || m.contains("access is denied")
}

fn pcap_err(what: &str, e: pcap::Error) -> NetError {
    let msg = format!("{what}: {e}");
    if is_permission(&msg) {
        NetError::NoPrivilege(format!("{msg}. {}", crate::privilege::fix_hint()))
    } else {
        NetError::Capture(msg)
    }
}

fn io_open_err(what: &str, e: std::io::Error) -> NetError {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        NetError::NoPrivilege(format!("{what}: {e}. {}", crate::privilege::fix_hint()))
    } else {
        NetError::Io(std::io::Error::new(e.kind(), format!("{what}: {e}")))
    }
}

fn link_type(l: Linktype) -> Result<LinkType, NetError> {
    Ok(match l {
        Linktype::ETHERNET => LinkType::Ethernet,
        Linktype::NULL | Linktype::LOOP => LinkType::Null,
        Linktype::RAW | Linktype::IPV4 | Linktype::IPV6 => LinkType::RawIp,
        Linktype(12) | Linktype(14) => LinkType::RawIp,
        Linktype::LINUX_SLL => LinkType::LinuxSll,
        other => {
            return Err(NetError::Capture(format!(
                "unsupported capture link type {} ({})",
                other.0,
                other.get_name().unwrap_or_else(|_| "unknown".into())
            )));
        }
    })
}

/// Capture-clock (wall time) to the caller's monotonic clock: now, minus how long ago pcap saw the frame.
fn to_instant(sec: i64, usec: i64, now: Instant) -> Instant {
    let secs = u64::try_from(sec).unwrap_or(0);
    let nanos = u32::try_from(usec.clamp(0, 999_999) * 1000).unwrap_or(0);
    let seen = UNIX_EPOCH + Duration::new(secs, nanos);
    let age = SystemTime::now().duration_since(seen).unwrap_or(Duration::ZERO);
    // A wall clock step must not move a reply seconds into the past.
    now.checked_sub(age.min(Duration::from_secs(1))).unwrap_or(now)
}

fn capture_loop(mut cap: Capture<Active>, link: LinkType, tx: SyncSender<Received>, shared: Arc<Shared>, poll_ms: i32) {
    let mut last_stats = Instant::now();
    let save_stats = |cap: &mut Capture<Active>| {
        if let Ok(s) = cap.stats() {
            shared.pcap_received.store(u64::from(s.received), Ordering::Relaxed);
            shared.pcap_dropped.store(u64::from(s.dropped), Ordering::Relaxed);
            shared.if_dropped.store(u64::from(s.if_dropped), Ordering::Relaxed);
        }
    };
    let fail = |msg: String| {
        if let Ok(mut g) = shared.error.lock() {
            *g = Some(msg);
        }
    };
    'outer: while !shared.stop.load(Ordering::Relaxed) {
        // Drain what is there (non-blocking handle), then wait on the descriptor with our own timeout:
        // libpcap's own read timeout does not end a blocking read on an idle Linux capture.
        loop {
            match cap.next_packet() {
                Ok(p) => {
                    let now = Instant::now();
                    #[allow(clippy::useless_conversion)]
                    let time = to_instant(i64::from(p.header.ts.tv_sec), i64::from(p.header.ts.tv_usec), now);
                    let r = Received { time, link, data: p.data.to_vec() };
                    shared.captured.fetch_add(1, Ordering::Relaxed);
                    match tx.try_send(r) {
                        Ok(()) => {}
                        Err(TrySendError::Full(_)) => {
                            shared.channel_dropped.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(TrySendError::Disconnected(_)) => break 'outer,
                    }
                }
                Err(pcap::Error::TimeoutExpired) => break,
                Err(e) => {
                    fail(e.to_string());
                    break 'outer;
                }
            }
            if shared.stop.load(Ordering::Relaxed) {
                break 'outer;
            }
        }
        if last_stats.elapsed() >= Duration::from_millis(100) {
            save_stats(&mut cap);
            last_stats = Instant::now();
        }
        let req = shared.filter_req.lock().ok().and_then(|mut g| g.take());
        if let Some((f, reply)) = req {
            let _ = reply.send(cap.filter(&f, true).map_err(|e| e.to_string()));
            continue;
        }
        if let Err(e) = wait_readable(&cap, poll_ms) {
            fail(format!("waiting for frames: {e}"));
            break;
        }
    }
    save_stats(&mut cap);
}

#[cfg(unix)]
fn wait_readable(cap: &Capture<Active>, poll_ms: i32) -> std::io::Result<()> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let ms = i64::from(poll_ms.max(1));
    let ts = Timespec { tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000 };
    let mut fds = [PollFd::new(cap, PollFlags::IN)];
    match poll(&mut fds, Some(&ts)) {
        Ok(_) | Err(rustix::io::Errno::INTR) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Windows: no pollable descriptor; the handle stays blocking and Npcap's read timeout ends each read.
#[cfg(not(unix))]
fn wait_readable(_cap: &Capture<Active>, _poll_ms: i32) -> std::io::Result<()> {
    Ok(())
}

impl LiveIo {
    /// Open the capture (filter installed before the thread starts, so nothing unfiltered is queued) and
    /// the raw IPv4 socket. `NetError::NoPrivilege` when the process may not.
    pub fn open(cfg: LiveConfig) -> Result<LiveIo, NetError> {
        let mut cap = Capture::from_device(cfg.interface.as_str())
            .map_err(|e| pcap_err(&format!("interface {}", cfg.interface), e))?
            .immediate_mode(true)
            .buffer_size(cfg.buffer_bytes)
            .snaplen(cfg.snaplen)
            .timeout(cfg.poll_ms.max(1))
            .promisc(cfg.promisc)
            .open()
            .map_err(|e| pcap_err(&format!("opening capture on {}", cfg.interface), e))?;
        cap.filter(&cfg.filter, true)
            .map_err(|e| NetError::Capture(format!("BPF filter {:?}: {e}", cfg.filter)))?;
        if cfg.incoming_only {
            cap.direction(pcap::Direction::In)
                .map_err(|e| pcap_err("capture direction", e))?;
        }
        let link = link_type(cap.get_datalink())?;
        #[cfg(unix)]
        let mut cap = cap.setnonblock().map_err(|e| pcap_err("non-blocking capture", e))?;
        let poll_ms = cfg.poll_ms;
        let ifindex = if_index(&cfg.interface);
        let breaker = Some(cap.breakloop_handle());

        let raw4 = Some(raw_socket(Domain::IPV4, &cfg)?);

        let (tx, rx) = mpsc::sync_channel(cfg.channel_capacity.max(1));
        let shared = Arc::new(Shared::default());
        let sh = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("capture-{}", cfg.interface))
            .spawn(move || capture_loop(cap, link, tx, sh, poll_ms))
            .map_err(NetError::Io)?;
        Ok(LiveIo {
            cfg,
            link,
            ifindex,
            rx,
            shared,
            thread: Some(thread),
            breaker,
            raw4,
            raw6: None,
            l2: None,
            sent_ip: 0,
            sent_frames: 0,
        })
    }

    /// Open `interface` with the defaults of [`LiveConfig::new`].
    pub fn open_simple(interface: &str, filter: &str) -> Result<LiveIo, NetError> {
        LiveIo::open(LiveConfig::new(interface, filter))
    }

    pub fn link_type(&self) -> LinkType {
        self.link
    }

    pub fn interface(&self) -> &str {
        &self.cfg.interface
    }

    pub fn stats(&self) -> CaptureStats {
        let s = &self.shared;
        CaptureStats {
            captured: s.captured.load(Ordering::Relaxed),
            channel_dropped: s.channel_dropped.load(Ordering::Relaxed),
            pcap_received: s.pcap_received.load(Ordering::Relaxed),
            pcap_dropped: s.pcap_dropped.load(Ordering::Relaxed),
            if_dropped: s.if_dropped.load(Ordering::Relaxed),
            sent_ip: self.sent_ip,
            sent_frames: self.sent_frames,
        }
    }

    /// Replace the capture's BPF filter (e.g. between discovery and the port scan). Takes effect within
    /// one `poll_ms`; frames captured under the old filter and not yet received are still delivered.
    pub fn set_filter(&mut self, filter: &str) -> Result<(), NetError> {
        let (tx, rx) = mpsc::channel();
        {
            let mut g = self
                .shared
                .filter_req
                .lock()
                .map_err(|_| NetError::Capture("capture thread state poisoned".into()))?;
            *g = Some((filter.to_string(), tx));
        }
        let wait = Duration::from_millis(u64::try_from(self.cfg.poll_ms.max(1)).unwrap_or(20) * 10 + 1000);
        match rx.recv_timeout(wait) {
            Ok(Ok(())) => {
                self.cfg.filter = filter.to_string();
                Ok(())
            }
            Ok(Err(e)) => Err(NetError::Capture(format!("BPF filter {filter:?}: {e}"))),
            Err(_) => {
                if let Ok(mut g) = self.shared.filter_req.lock() {
                    g.take();
                }
                Err(self.thread_error())
            }
        }
    }

    fn thread_error(&self) -> NetError {
        let msg = self
            .shared
            .error
            .lock()
            .ok()
            .and_then(|g| g.clone())
            .unwrap_or_else(|| "capture thread ended".to_string());
        NetError::Capture(format!("{}: {msg}", self.cfg.interface))
    }
}

fn if_index(name: &str) -> u32 {
    #[cfg(target_os = "linux")]
    if let Ok(ifs) = crate::linux::interfaces()
        && let Some(i) = ifs.iter().find(|i| i.name == name)
    {
        return i.index;
    }
    let _ = name;
    0
}

fn raw_socket(domain: Domain, cfg: &LiveConfig) -> Result<Socket, NetError> {
    let what = if domain == Domain::IPV4 { "raw IPv4 socket" } else { "raw IPv6 socket" };
    let s = Socket::new(domain, Type::RAW, Some(Protocol::from(IPPROTO_RAW)))
        .map_err(|e| io_open_err(what, e))?;
    if domain == Domain::IPV4 {
        // IPPROTO_RAW implies it on Linux; other systems need it said.
        s.set_header_included_v4(true).map_err(|e| io_open_err(what, e))?;
    }
    // Linux: an IPPROTO_RAW IPv6 socket takes the caller's IPv6 header as is (IPV6_HDRINCL is implied).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if cfg.bind_raw_to_interface {
        s.bind_device(Some(cfg.interface.as_bytes()))
            .map_err(|e| io_open_err(&format!("{what} bound to {}", cfg.interface), e))?;
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = cfg;
    s.set_nonblocking(false).map_err(NetError::Io)?;
    Ok(s)
}

fn send_err(e: std::io::Error) -> NetError {
    // ENOBUFS / EAGAIN: the queue is full; the caller should slow down and retry, not give up.
    if e.kind() == std::io::ErrorKind::WouldBlock || e.raw_os_error() == Some(105) {
        NetError::SendBusy(e)
    } else {
        NetError::Io(e)
    }
}

impl PacketIo for LiveIo {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn send_ip(&mut self, d: &[u8]) -> Result<(), NetError> {
        let version = d.first().map(|b| b >> 4);
        let dst: SocketAddr = match version {
            Some(4) if d.len() >= 20 => {
                let a = Ipv4Addr::new(d[16], d[17], d[18], d[19]);
                SocketAddrV4::new(a, 0).into()
            }
            Some(6) if d.len() >= 40 => {
                let mut b = [0u8; 16];
                b.copy_from_slice(&d[24..40]);
                let a = Ipv6Addr::from(b);
                let scoped = a.is_multicast() || a.segments()[0] & 0xffc0 == 0xfe80;
                SocketAddrV6::new(a, 0, 0, if scoped { self.ifindex } else { 0 }).into()
            }
            _ => {
                return Err(NetError::BadDatagram(format!(
                    "{} bytes, version nibble {:?}: not an IPv4 (>= 20 bytes) or IPv6 (>= 40 bytes) datagram",
                    d.len(),
                    version
                )));
            }
        };
        if cfg!(target_os = "windows") {
            return Err(NetError::Unsupported("raw IP send on Windows (send a frame through Npcap)"));
        }
        let sock = match dst.ip() {
            IpAddr::V4(_) => &self.raw4,
            IpAddr::V6(_) => {
                if self.raw6.is_none() {
                    self.raw6 = Some(raw_socket(Domain::IPV6, &self.cfg)?);
                }
                &self.raw6
            }
        };
        let sock = sock.as_ref().ok_or_else(|| NetError::Other("raw socket missing".into()))?;
        let n = sock.send_to(d, &dst.into()).map_err(send_err)?;
        if n != d.len() {
            return Err(NetError::Other(format!("raw send wrote {n} of {} bytes", d.len())));
        }
        self.sent_ip += 1;
        Ok(())
    }

    fn send_frame(&mut self, frame: &[u8]) -> Result<(), NetError> {
        self.open_frame_sender()?;
        let h = self.l2.as_mut().ok_or_else(|| NetError::Other("send handle missing".into()))?;
        h.sendpacket(frame)
            .map_err(|e| NetError::Capture(format!("sending a {}-byte frame on {}: {e}", frame.len(), self.cfg.interface)))?;
        self.sent_frames += 1;
        Ok(())
    }


    fn recv_until(&mut self, deadline: Instant) -> Result<Option<Received>, NetError> {
        match self.rx.try_recv() {
            Ok(r) => return Ok(Some(r)),
            Err(mpsc::TryRecvError::Disconnected) => return Err(self.thread_error()),
            Err(mpsc::TryRecvError::Empty) => {}
        }
        let now = Instant::now();
        if deadline <= now {
            return Ok(None);
        }
        match self.rx.recv_timeout(deadline - now) {
            Ok(r) => Ok(Some(r)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(self.thread_error()),
        }
    }
}

impl Drop for LiveIo {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(b) = &self.breaker {
            b.breakloop();
        }
        if let Some(t) = self.thread.take() {
            // The thread notices within one pcap timeout (poll_ms).
            let _ = t.join();
        }
    }
}

impl LiveIo {
    /// Opens the layer-2 send handle now rather than on the first frame: opening takes milliseconds, which
    /// would otherwise count in the first ARP probe's round-trip time.
    pub fn open_frame_sender(&mut self) -> Result<(), NetError> {
        if self.l2.is_none() {
            // A second handle for injection only: its filter matches nothing, so it never buffers frames.
            let mut h = Capture::from_device(self.cfg.interface.as_str())
                .map_err(|e| pcap_err(&format!("interface {}", self.cfg.interface), e))?
                .snaplen(64)
                .buffer_size(1 << 16)
                .timeout(1)
                .open()
                .map_err(|e| pcap_err(&format!("opening send handle on {}", self.cfg.interface), e))?;
            h.filter("less 1", true)
                .map_err(|e| NetError::Capture(format!("send handle filter: {e}")))?;
            self.l2 = Some(h);
        }
        Ok(())
    }
}
